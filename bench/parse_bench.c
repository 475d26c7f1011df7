/* parse_bench.c - per-event parse cost on the client's hot path: jansson
 * (json_loadb + lookups) versus the adapters on jscan, on real vLLM and
 * TGI chunk shapes: one chunk parsed over and over without a memo, and
 * streams of 64 changing chunks (text, counts, ids and the final
 * finish_reason change) with the stream memo the engine uses and without,
 * plus the memo's worst case: chat chunks whose shape alternates (a
 * "usage" key every other event), which it must notice and back off from.
 * Prints ns/event for each; the ratios are the figures in docs/DESIGN.md.
 * Usage: parse_bench [N [CASE]] with CASE one of jansson, vllm, tgi,
 * vllm-stream, vllm-stream-memo, tgi-stream, tgi-stream-memo, alt-stream,
 * alt-stream-memo; one case
 * only, so callgrind totals at two N give instructions per event. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "proto/jscan.h"
#include "proto/proto.h"

static const char *vllm_chunk =
	"{\"id\":\"cmpl-8f3c2a1b9d7e4f60a1b2c3d4e5f60718\",\"object\":"
	"\"text_completion\",\"created\":1764090000,\"model\":\"Qwen/Qwen2-7B-"
	"Instruct\",\"choices\":[{\"index\":0,\"text\":\" the\",\"logprobs\":"
	"null,\"finish_reason\":null,\"stop_reason\":null}],\"usage\":{"
	"\"prompt_tokens\":512,\"total_tokens\":530,\"completion_tokens\":18}}";
static const char *tgi_chunk =
	"{\"index\":18,\"token\":{\"id\":279,\"text\":\" the\",\"logprob\":"
	"-0.3125,\"special\":false},\"generated_text\":null,\"details\":null}";

/* Streams: NSTREAM chunks of one request, each as the server would send
 * the k-th token. */
#define NSTREAM 64
static char stream_buf[3][NSTREAM][400];
static size_t stream_len[3][NSTREAM];

/* stream_buf[s][k] = the formatted chunk. */
__attribute__((format(printf, 3, 4))) static void put(int s, int k,
						      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	stream_len[s][k] = (size_t)vsnprintf(stream_buf[s][k],
					     sizeof(stream_buf[s][k]), fmt, ap);
	va_end(ap);
}

static void streams_make(void)
{
	static const char *texts[] = {" the", " caf\\u00e9", ",", "\\n",
				      " model", " \\\"q\\\"", " is", " a"};
	for (int k = 0; k < NSTREAM; k++) {
		const char *t = texts[k % 8];
		int last = k == NSTREAM - 1;
		put(0, k, "{\"id\":\"cmpl-8f3c2a1b9d7e4f60a1b2c3d4e5f60718\","
			"\"object\":\"text_completion\",\"created\":1764090000,"
			"\"model\":\"Qwen/Qwen2-7B-Instruct\",\"choices\":[{"
			"\"index\":0,\"text\":\"%s\",\"logprobs\":null,"
			"\"finish_reason\":%s,\"stop_reason\":null}],\"usage\":"
			"{\"prompt_tokens\":512,\"total_tokens\":%d,"
			"\"completion_tokens\":%d}}",
			t, last ? "\"length\"" : "null", 512 + 1 + k, 1 + k);
		put(1, k, "{\"index\":%d,\"token\":{\"id\":%d,\"text\":\"%s\","
			"\"logprob\":-0.%d,\"special\":false},"
			"\"generated_text\":%s,\"details\":null}",
			k, 279 + 37 * k, t, 3125 + 17 * k,
			last ? "\"the end\"" : "null");
		put(2, k, "{\"id\":\"chatcmpl-8f3c2a1b9d7e4f60a1b2c3d4e5f60718\","
			"\"object\":\"chat.completion.chunk\",\"created\":"
			"1764090000,\"model\":\"Qwen/Qwen2-7B-Instruct\","
			"\"choices\":[{\"index\":0,\"delta\":{\"content\":"
			"\"%s\"},\"logprobs\":null,\"finish_reason\":%s}]%s}",
			t, last ? "\"length\"" : "null",
			k % 2 ? ",\"usage\":null" : "");
	}
}

static double per_event_ns(const struct proto_ops *ops, const char *ev,
			   int n)
{
	struct proto_stream st;
	proto_stream_init(&st, NULL);
	struct proto_event e;
	size_t len = strlen(ev);
	int64_t t0 = clock_now_ns();
	for (int i = 0; i < n; i++) {
		st.last_completion_tokens = 0;
		ops->on_event(&st, ev, len, &e);
	}
	return (double)(clock_now_ns() - t0) / n;
}

/* Stream s (0 vLLM, 1 TGI, 2 alternating chat) through ops, n events,
 * with a memo or not. */
static double stream_ns(const struct proto_ops *ops, int s, int n, int memo)
{
	struct proto_stream st;
	struct jscan_memo m = {0};
	struct proto_event e;
	int64_t t0 = clock_now_ns();
	for (int i = 0; i < n; i++) {
		int k = i % NSTREAM;
		if (!k) {
			proto_stream_init(&st, NULL);
			st.memo = memo ? &m : NULL;
		}
		ops->on_event(&st, stream_buf[s][k], stream_len[s][k], &e);
		if (e.kind != PEV_TOKEN) {
			fprintf(stderr, "parse_bench: event %d not a token\n",
				k);
			exit(1);
		}
	}
	double ns = (double)(clock_now_ns() - t0) / n;
	jscan_memo_free(&m);
	return ns;
}

static double jansson_ns(const char *ev, int n)
{
	size_t len = strlen(ev);
	int64_t t0 = clock_now_ns();
	long long sink = 0;
	for (int i = 0; i < n; i++) {
		json_error_t err;
		json_t *j = json_loadb(ev, len, 0, &err);
		json_t *c = json_array_get(json_object_get(j, "choices"), 0);
		sink += (long long)json_string_length(json_object_get(c, "text"));
		sink += json_integer_value(json_object_get(
			json_object_get(j, "usage"), "completion_tokens"));
		json_decref(j);
	}
	if (sink == 42)
		printf("#");
	return (double)(clock_now_ns() - t0) / n;
}

static double run_case(const char *c, int n)
{
	const struct proto_ops *v = &proto_openai_completions, *t = &proto_tgi;
	if (!strcmp(c, "jansson"))
		return jansson_ns(vllm_chunk, n);
	if (!strcmp(c, "vllm"))
		return per_event_ns(v, vllm_chunk, n);
	if (!strcmp(c, "tgi"))
		return per_event_ns(t, tgi_chunk, n);
	if (!strcmp(c, "vllm-stream"))
		return stream_ns(v, 0, n, 0);
	if (!strcmp(c, "vllm-stream-memo"))
		return stream_ns(v, 0, n, 1);
	if (!strcmp(c, "tgi-stream"))
		return stream_ns(t, 1, n, 0);
	if (!strcmp(c, "tgi-stream-memo"))
		return stream_ns(t, 1, n, 1);
	if (!strcmp(c, "alt-stream"))
		return stream_ns(&proto_openai_chat, 2, n, 0);
	if (!strcmp(c, "alt-stream-memo"))
		return stream_ns(&proto_openai_chat, 2, n, 1);
	fprintf(stderr, "parse_bench: unknown case %s\n", c);
	exit(2);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 300000;
	streams_make();
	if (argc > 2) {
		printf("%s: %.0f ns/event\n", argv[2], run_case(argv[2], n));
		return 0;
	}
	double j = run_case("jansson", n), a = run_case("vllm", n);
	printf("event parse, vLLM completions chunk (%zu bytes):\n",
	       strlen(vllm_chunk));
	printf("  jansson json_loadb + lookups   %8.0f ns/event\n", j);
	printf("  infbench adapter (jscan)       %8.0f ns/event  (%.1fx)\n", a,
	       j / a);
	printf("event parse, TGI chunk (%zu bytes):\n", strlen(tgi_chunk));
	printf("  infbench adapter (jscan)       %8.0f ns/event\n",
	       run_case("tgi", n));
	static const char *names[3] = {"vLLM", "TGI",
				       "alternating-shape chat"};
	static const char *cases[3] = {"vllm", "tgi", "alt"};
	for (int s = 0; s < 3; s++) {
		char c[32];
		snprintf(c, sizeof(c), "%s-stream", cases[s]);
		double pl = run_case(c, n);
		strcat(c, "-memo");
		double me = run_case(c, n);
		printf("event parse, %s stream of %d changing chunks:\n",
		       names[s], NSTREAM);
		printf("  adapter, full parse            %8.0f ns/event\n", pl);
		printf("  adapter, stream memo           %8.0f ns/event  "
		       "(%.2fx)\n", me, pl / me);
	}
	return 0;
}
