/* parse_bench.c - per-event parse cost on the client's hot path: jansson
 * (json_loadb + lookups) versus jscan, on real vLLM and TGI chunk shapes.
 * Prints ns/event for each; the ratio is the figure in docs/DESIGN.md.
 * Usage: parse_bench [N [jansson|vllm|tgi]]; the second argument runs one
 * case only, so callgrind totals at two N give instructions per event. */
#include <jansson.h>
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

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 300000;
	const char *only = argc > 2 ? argv[2] : NULL;
	if (only) {
		double ns;
		if (!strcmp(only, "jansson"))
			ns = jansson_ns(vllm_chunk, n);
		else if (!strcmp(only, "vllm"))
			ns = per_event_ns(&proto_openai_completions,
					  vllm_chunk, n);
		else if (!strcmp(only, "tgi"))
			ns = per_event_ns(&proto_tgi, tgi_chunk, n);
		else {
			fprintf(stderr, "parse_bench: unknown case %s\n", only);
			return 2;
		}
		printf("%s: %.0f ns/event\n", only, ns);
		return 0;
	}
	double j = jansson_ns(vllm_chunk, n);
	double a = per_event_ns(&proto_openai_completions, vllm_chunk, n);
	double t = per_event_ns(&proto_tgi, tgi_chunk, n);
	printf("event parse, vLLM completions chunk (%zu bytes):\n",
	       strlen(vllm_chunk));
	printf("  jansson json_loadb + lookups   %8.0f ns/event\n", j);
	printf("  infbench adapter (jscan)       %8.0f ns/event  (%.1fx)\n", a,
	       j / a);
	printf("event parse, TGI chunk (%zu bytes):\n", strlen(tgi_chunk));
	printf("  infbench adapter (jscan)       %8.0f ns/event\n", t);
	return 0;
}
