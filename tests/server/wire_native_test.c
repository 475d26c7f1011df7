/* wire_native_test.c - the built-in server's native formats (server/wire.c):
 * exact bytes of one event per server, error shapes, and a round trip:
 * every stream the server can write is read back by the matching client
 * adapter with exact token counts, whatever the chunking. */
#include "proto/feed.h"
#include "server/request.h"
#include "server/wire.h"

static const struct wire_ctx X = {"cmpl-0123", "mock-model", 1700000000, 5};

static void test_bytes(void)
{
	struct buf b;
	buf_init(&b, 0);
	wire_sglang_chunk(&b, &X, 2, WIRE_FINISH_NONE, 1);
	ASSERT_STR_EQ(b.data,
		      "data: {\"text\":\" the quick\",\"output_ids\":[1000,1001],"
		      "\"meta_info\":{\"id\":\"cmpl-0123\",\"finish_reason\":null,"
		      "\"prompt_tokens\":5,\"weight_version\":\"default\","
		      "\"completion_tokens\":2,\"cached_tokens\":0}}\n\n");
	buf_reset(&b);
	wire_lmdeploy_chunk(&b, &X, 1, 1, WIRE_FINISH_LENGTH, 1);
	ASSERT_STR_EQ(b.data,
		      "data: {\"text\":\" quick\",\"output_ids\":[1001],"
		      "\"meta_info\":{\"finish_reason\":{\"type\":\"length\"},"
		      "\"prompt_tokens\":5,\"completion_tokens\":2}}\n\n");
	buf_reset(&b);
	wire_llamacpp_chunk(&b, &X, 0, 1);
	ASSERT_STR_EQ(b.data,
		      "data: {\"index\":0,\"content\":\" the\",\"tokens\":[],"
		      "\"stop\":false,\"id_slot\":0,\"tokens_predicted\":1,"
		      "\"tokens_evaluated\":5}\n\n");
	buf_reset(&b);
	struct wire_times t = {2000000, 30000000, 32000000,
			       "2025-01-02T03:04:05.5Z"};
	wire_ollama_line(&b, &X, 0, 2, &t);
	ASSERT_STR_EQ(b.data, "{\"model\":\"mock-model\",\"created_at\":"
			      "\"2025-01-02T03:04:05.5Z\",\"response\":\" the "
			      "quick\",\"done\":false}\n");
	buf_reset(&b);
	wire_ollama_final(&b, &X, 2, WIRE_FINISH_LENGTH, &t, 1);
	ASSERT_STR_EQ(b.data,
		      "{\"model\":\"mock-model\",\"created_at\":\"2025-01-02T03:"
		      "04:05.5Z\",\"response\":\"\",\"done\":true,\"done_reason\":"
		      "\"length\",\"total_duration\":32000000,"
		      "\"prompt_eval_count\":5,\"prompt_eval_duration\":2000000,"
		      "\"eval_count\":2,\"eval_duration\":30000000}\n");
	buf_reset(&b);
	wire_triton_event(&b, &X, 0, 1, 1, 0, 1);
	ASSERT_STR_EQ(b.data,
		      "data: {\"model_name\":\"mock-model\",\"model_version\":"
		      "\"1\",\"num_output_tokens\":1,\"text_output\":\" the\"}"
		      "\n\n");
	buf_free(&b);
}

static void test_error_shapes(void)
{
	struct buf b;
	buf_init(&b, 0);
	static const struct {
		enum wire_err_shape s;
		const char *want;
	} c[] = {
		{WIRE_ERR_VLLM, "{\"error\":{\"message\":\"m\",\"type\":\"T\","
				"\"param\":null,\"code\":400}}"},
		{WIRE_ERR_FLAT, "{\"object\":\"error\",\"message\":\"m\","
				"\"type\":\"T\",\"param\":null,\"code\":400}"},
		{WIRE_ERR_TGI, "{\"error\":\"m\",\"error_type\":\"T\"}"},
		{WIRE_ERR_MESSAGE, "{\"error\":{\"message\":\"m\"}}"},
		{WIRE_ERR_LLAMACPP, "{\"error\":{\"code\":400,\"message\":\"m\","
				    "\"type\":\"T\"}}"},
		{WIRE_ERR_STRING, "{\"error\":\"m\"}"},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		buf_reset(&b);
		ASSERT_EQ(wire_error_json(&b, c[i].s, "m", "T", NULL, 400), 0);
		ASSERT_STR_EQ(b.data, c[i].want);
		/* and every client adapter reads it as an error */
		struct proto_event ev;
		struct proto_stream st;
		proto_stream_init(&st, NULL);
		proto_sglang_generate.on_event(&st, b.data, b.len, &ev);
		ASSERT_EQ(ev.kind, PEV_ERROR);
		ASSERT_TRUE(strstr(ev.error, "m") != NULL);
	}
	buf_free(&b);
}

/* Write a whole stream of n tokens in chunks of k for api, the way
 * serve.c does, then read it back. */
static void stream_of(const struct proto_ops *o, uint32_t n, uint32_t k,
		      struct buf *b)
{
	struct wire_times t = {1000, 2000, 3000, "2025-01-01T00:00:00Z"};
	for (uint32_t s = 0; s < n;) {
		uint32_t c = s == 0 ? 1 : (k < n - s ? k : n - s);
		enum wire_finish fin =
			s + c == n ? WIRE_FINISH_LENGTH : WIRE_FINISH_NONE;
		if (o == &proto_sglang_generate)
			wire_sglang_chunk(b, &X, s + c, fin, 1);
		else if (o == &proto_lmdeploy_generate)
			wire_lmdeploy_chunk(b, &X, s, c, fin, 1);
		else if (o == &proto_llamacpp)
			wire_llamacpp_chunk(b, &X, s, c);
		else if (o == &proto_ollama)
			wire_ollama_line(b, &X, s, c, &t);
		else
			wire_triton_event(b, &X, s, c, 1, 1, 1);
		s += c;
	}
	if (o == &proto_sglang_generate || o == &proto_lmdeploy_generate)
		wire_done(b);
	else if (o == &proto_llamacpp)
		wire_llamacpp_final(b, &X, n, WIRE_FINISH_LENGTH, &t, 1);
	else if (o == &proto_ollama)
		wire_ollama_final(b, &X, n, WIRE_FINISH_LENGTH, &t, 1);
}

static void test_round_trip(void)
{
	const struct proto_ops *ops[] = {
		&proto_sglang_generate, &proto_lmdeploy_generate,
		&proto_llamacpp, &proto_ollama, &proto_triton};
	proto_triton_reset();
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct buf b;
		struct feed_sum s;
		buf_init(&b, 0);
		stream_of(ops[i], 23, 4, &b);
		feed_all_splits(ops[i], b.data, &s);
		ASSERT_TRUE(ops[i]->complete(&s.st));
		ASSERT_EQ(s.n_bad + s.n_error, 0);
		ASSERT_EQ(s.prompt, 5);
		if (ops[i] == &proto_ollama) {
			ASSERT_EQ(s.completion, 23); /* final count only */
			ASSERT_EQ(s.n_unknown, s.n_token);
		} else {
			ASSERT_EQ(s.tokens, 23);
			ASSERT_STR_EQ(s.deltas, "1,4,4,4,4,4,2");
		}
		/* the text is the words, once */
		ASSERT_EQ(request_count_words(s.text.data, s.text.len), 23);
		buf_free(&s.text);
		buf_free(&b);
	}
}

int main(void)
{
	TEST_RUN(test_bytes);
	TEST_RUN(test_error_shapes);
	TEST_RUN(test_round_trip);
	return TEST_DONE();
}
