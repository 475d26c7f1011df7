/* wire_test.c - exact bytes of every event kind the server sends. */
#include <string.h>

#include "server/wire.h"
#include "test.h"

static const struct wire_ctx X = {"cmpl-abc", "m", 1700000000, 3};
static const struct wire_ctx XC = {"chatcmpl-abc", "m", 1700000000, 11};

#define GOLD(call, expect)                                                \
	do {                                                              \
		struct buf b_;                                            \
		buf_init(&b_, 0);                                         \
		ASSERT_EQ((call), 0);                                     \
		ASSERT_STR_EQ(b_.data, (expect));                         \
		buf_free(&b_);                                            \
	} while (0)
#define B (&b_)

static void test_completions(void)
{
	GOLD(wire_cmpl_chunk(B, &X, 0, 2, WIRE_FINISH_NONE, -1),
	     "data: {\"id\":\"cmpl-abc\",\"object\":\"text_completion\","
	     "\"created\":1700000000,\"model\":\"m\",\"choices\":[{\"index\":0,"
	     "\"text\":\" the quick\",\"logprobs\":null,\"finish_reason\":null,"
	     "\"stop_reason\":null}],\"usage\":null}\n\n");
	GOLD(wire_cmpl_chunk(B, &X, 2, 1, WIRE_FINISH_LENGTH, 3),
	     "data: {\"id\":\"cmpl-abc\",\"object\":\"text_completion\","
	     "\"created\":1700000000,\"model\":\"m\",\"choices\":[{\"index\":0,"
	     "\"text\":\" brown\",\"logprobs\":null,\"finish_reason\":\"length\","
	     "\"stop_reason\":null}],\"usage\":{\"prompt_tokens\":3,"
	     "\"total_tokens\":6,\"completion_tokens\":3,"
	     "\"prompt_tokens_details\":null}}\n\n");
	GOLD(wire_usage_chunk(B, &X, 0, 3),
	     "data: {\"id\":\"cmpl-abc\",\"object\":\"text_completion\","
	     "\"created\":1700000000,\"model\":\"m\",\"choices\":[],\"usage\":"
	     "{\"prompt_tokens\":3,\"total_tokens\":6,\"completion_tokens\":3}}"
	     "\n\n");
	GOLD(wire_done(B), "data: [DONE]\n\n");
}

static void test_chat(void)
{
	GOLD(wire_chat_role_chunk(B, &XC, 0),
	     "data: {\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion.chunk\","
	     "\"created\":1700000000,\"model\":\"m\",\"choices\":[{\"index\":0,"
	     "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
	     "\"logprobs\":null,\"finish_reason\":null}]}\n\n");
	GOLD(wire_chat_role_chunk(B, &XC, 1),
	     "data: {\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion.chunk\","
	     "\"created\":1700000000,\"model\":\"m\",\"choices\":[{\"index\":0,"
	     "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
	     "\"logprobs\":null,\"finish_reason\":null}],\"usage\":"
	     "{\"prompt_tokens\":11,\"total_tokens\":11,"
	     "\"completion_tokens\":0}}\n\n");
	GOLD(wire_chat_chunk(B, &XC, 64, 1, WIRE_FINISH_NONE, -1),
	     "data: {\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion.chunk\","
	     "\"created\":1700000000,\"model\":\"m\",\"choices\":[{\"index\":0,"
	     "\"delta\":{\"content\":\" the\"},\"logprobs\":null,"
	     "\"finish_reason\":null}]}\n\n");
	GOLD(wire_chat_chunk(B, &XC, 1, 1, WIRE_FINISH_LENGTH, 2),
	     "data: {\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion.chunk\","
	     "\"created\":1700000000,\"model\":\"m\",\"choices\":[{\"index\":0,"
	     "\"delta\":{\"content\":\" quick\"},\"logprobs\":null,"
	     "\"finish_reason\":\"length\",\"stop_reason\":null}],\"usage\":"
	     "{\"prompt_tokens\":11,\"total_tokens\":13,"
	     "\"completion_tokens\":2}}\n\n");
	GOLD(wire_usage_chunk(B, &XC, 1, 2),
	     "data: {\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion.chunk\","
	     "\"created\":1700000000,\"model\":\"m\",\"choices\":[],\"usage\":"
	     "{\"prompt_tokens\":11,\"total_tokens\":13,"
	     "\"completion_tokens\":2}}\n\n");
}

static void test_errors(void)
{
	GOLD(wire_openai_error_event(B, "boom \"x\"", "InternalServerError",
				     500),
	     "data: {\"error\": {\"message\": \"boom \\\"x\\\"\", \"type\": "
	     "\"InternalServerError\", \"param\": null, \"code\": 500}}\n\n");
	GOLD(wire_openai_error_json(B, "slow down", "RateLimitError", NULL,
				    429),
	     "{\"error\":{\"message\":\"slow down\",\"type\":\"RateLimitError\","
	     "\"param\":null,\"code\":429}}");
	GOLD(wire_tgi_error_event(B, "Model is overloaded", "overloaded"),
	     "data:{\"error\":\"Model is overloaded\",\"error_type\":"
	     "\"overloaded\"}\n\n");
}

static void test_tgi(void)
{
	GOLD(wire_tgi_event(B, &X, 0, 0, WIRE_FINISH_NONE, 1),
	     "data:{\"index\":1,\"token\":{\"id\":1000,\"text\":\" the\","
	     "\"logprob\":-0.125,\"special\":false},\"generated_text\":null,"
	     "\"details\":null}\n\n");
	GOLD(wire_tgi_event(B, &X, 1, 1, WIRE_FINISH_LENGTH, 1),
	     "data:{\"index\":2,\"token\":{\"id\":1001,\"text\":\" quick\","
	     "\"logprob\":-0.5,\"special\":false},\"generated_text\":"
	     "\" the quick\",\"details\":{\"finish_reason\":\"length\","
	     "\"generated_tokens\":2,\"seed\":null,\"input_length\":3}}\n\n");
	GOLD(wire_tgi_event(B, &X, 1, 1, WIRE_FINISH_LENGTH, 0),
	     "data:{\"index\":2,\"token\":{\"id\":1001,\"text\":\" quick\","
	     "\"logprob\":-0.5,\"special\":false},\"generated_text\":"
	     "\" the quick\",\"details\":null}\n\n");
}

static void test_tokenize_and_info(void)
{
	struct buf b;
	buf_init(&b, 0);
	ASSERT_EQ(wire_tokenize_tgi(&b, " ab  c", 6), 0);
	char want[256];
	snprintf(want, sizeof(want),
		 "[{\"id\":%u,\"text\":\"ab\",\"start\":1,\"stop\":3},"
		 "{\"id\":%u,\"text\":\"c\",\"start\":5,\"stop\":6}]",
		 wire_word_id("ab", 2), wire_word_id("c", 1));
	ASSERT_STR_EQ(b.data, want);
	buf_reset(&b);
	const char *t[] = {"ab c"};
	size_t l[] = {4};
	ASSERT_EQ(wire_tokenize_vllm(&b, t, l, 1, 2, 100), 0);
	snprintf(want, sizeof(want),
		 "{\"count\":4,\"max_model_len\":100,\"tokens\":[1,1,%u,%u],"
		 "\"token_strs\":null}",
		 wire_word_id("ab", 2), wire_word_id("c", 1));
	ASSERT_STR_EQ(b.data, want);
	buf_reset(&b);
	ASSERT_EQ(wire_version(&b, "0.10.1"), 0);
	ASSERT_STR_EQ(b.data, "{\"version\":\"0.10.1\"}");
	buf_reset(&b);
	ASSERT_EQ(wire_models(&b, "m", 4096, 5), 0);
	ASSERT_TRUE(strstr(b.data, "\"max_model_len\":4096") != NULL);
	ASSERT_TRUE(!strncmp(b.data, "{\"object\":\"list\",\"data\":[{\"id\":"
				     "\"m\",\"object\":\"model\"", 49));
	buf_reset(&b);
	struct wire_metrics m = {.model = "m", .running = 2, .kv_usage = 0.25,
				 .prompt_tokens = 7};
	ASSERT_EQ(wire_metrics(&b, &m), 0);
	ASSERT_TRUE(strstr(b.data, "\nvllm:num_requests_running{model_name="
				   "\"m\",engine=\"0\"} 2.0\n") != NULL);
	ASSERT_TRUE(strstr(b.data, "vllm:kv_cache_usage_perc{model_name=\"m\","
				   "engine=\"0\"} 0.25\n") != NULL);
	ASSERT_TRUE(strstr(b.data, "# TYPE vllm:prompt_tokens_total counter\n"
				   "vllm:prompt_tokens_total{model_name=\"m\","
				   "engine=\"0\"} 7.0\n") != NULL);
	ASSERT_TRUE(strstr(b.data, "vllm:num_requests_waiting") != NULL);
	ASSERT_TRUE(strstr(b.data, "vllm:num_preemptions_total") != NULL);
	ASSERT_TRUE(strstr(b.data, "vllm:generation_tokens_total") != NULL);
	buf_free(&b);
}

static void test_json_escape_and_cap(void)
{
	struct buf b;
	buf_init(&b, 0);
	ASSERT_EQ(wire_json_str(&b, "a\"\\\n\x01z", 6), 0);
	ASSERT_STR_EQ(b.data, "\"a\\\"\\\\\\n\\u0001z\"");
	buf_free(&b);
	buf_init(&b, 16); /* cap: the chunk does not fit */
	ASSERT_TRUE(wire_cmpl_chunk(&b, &X, 0, 1, WIRE_FINISH_NONE, -1) != 0);
	buf_free(&b);
}

int main(void)
{
	TEST_RUN(test_completions);
	TEST_RUN(test_chat);
	TEST_RUN(test_errors);
	TEST_RUN(test_tgi);
	TEST_RUN(test_tokenize_and_info);
	TEST_RUN(test_json_escape_and_cap);
	return TEST_DONE();
}
