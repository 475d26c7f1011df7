/* request_native_test.c - request parsing of the native routes and the
 * per-flavour OpenAI rules (server/request.c): length and prompt counts,
 * defaults, trtllm-serve's unknown-field 400, usage defaults by flavour,
 * /generate shape dispatch. */
#include <errno.h>
#include <string.h>

#include "server/request.h"
#include "test.h"

static int parse(enum srv_api api, enum srv_flavour fl, const char *body,
		 struct srv_request *r, struct request_error *e)
{
	struct request_limits lim = {"m", 100, 8, fl};
	return request_parse(api, body, strlen(body), &lim, r, e);
}

static void test_native(void)
{
	struct srv_request r;
	struct request_error e;
	ASSERT_EQ(parse(SRV_API_SGLANG, SRV_FLAVOUR_SGLANG,
			"{\"text\":\"a b c\",\"sampling_params\":{"
			"\"max_new_tokens\":7,\"ignore_eos\":true},\"stream\":"
			"true}",
			&r, &e),
		  0);
	ASSERT_EQ(r.prompt_tokens, 3);
	ASSERT_EQ(r.max_tokens, 7);
	ASSERT_TRUE(r.stream && r.ignore_eos);
	/* SGLang's default max_new_tokens 128 does not fit 100 tokens */
	ASSERT_TRUE(parse(SRV_API_SGLANG, 0, "{\"input_ids\":[1,2]}", &r,
			  &e) < 0);
	ASSERT_TRUE(strstr(e.msg, "2 prompt tokens + 128") != NULL);
	ASSERT_TRUE(parse(SRV_API_SGLANG, 0, "{\"sampling_params\":{}}", &r,
			  &e) < 0);
	ASSERT_EQ(e.status, 400);

	ASSERT_EQ(parse(SRV_API_LMDEPLOY, 0,
			"{\"prompt\":\"a b\",\"max_tokens\":5,\"stream\":true}",
			&r, &e),
		  0);
	ASSERT_EQ(r.max_tokens, 5);
	ASSERT_TRUE(parse(SRV_API_LMDEPLOY, 0,
			  "{\"prompt\":\"a\",\"input_ids\":[1]}", &r, &e) < 0);
	ASSERT_TRUE(parse(SRV_API_LMDEPLOY, 0,
			  "{\"prompt\":\"a\",\"max_tokens\":100}", &r, &e) < 0);

	ASSERT_EQ(parse(SRV_API_LLAMACPP, 0, "{\"prompt\":\"a b c d\"}", &r,
			&e),
		  0);
	ASSERT_EQ(r.max_tokens, 96); /* n_predict -1: to the context end */
	ASSERT_TRUE(!r.stream);

	ASSERT_EQ(parse(SRV_API_OLLAMA, 0,
			"{\"model\":\"m\",\"prompt\":\"a b\",\"options\":{"
			"\"num_predict\":3}}",
			&r, &e),
		  0);
	ASSERT_TRUE(r.stream); /* Ollama streams by default */
	ASSERT_EQ(r.max_tokens, 3);
	ASSERT_TRUE(parse(SRV_API_OLLAMA, 0, "{\"prompt\":\"a\"}", &r, &e) <
		    0);
	ASSERT_STR_EQ(e.msg, "model is required");
	ASSERT_TRUE(parse(SRV_API_OLLAMA, 0, "{\"model\":\"x\"}", &r, &e) < 0);
	ASSERT_EQ(e.status, 404);
	/* over-long prompt: truncated silently, as Ollama does */
	char big[400];
	strcpy(big, "{\"model\":\"m\",\"prompt\":\"");
	for (int i = 0; i < 150; i++)
		strcat(big, "a ");
	strcat(big, "\",\"options\":{\"num_predict\":5}}");
	ASSERT_EQ(parse(SRV_API_OLLAMA, 0, big, &r, &e), 0);
	ASSERT_EQ(r.prompt_tokens, 99);
	ASSERT_EQ(r.max_tokens, 1);

	ASSERT_EQ(parse(SRV_API_TRITON_STREAM, 0,
			"{\"text_input\":\"a b\",\"max_tokens\":4,\"min_tokens\":"
			"4,\"stream\":true,\"return_num_output_tokens\":true}",
			&r, &e),
		  0);
	ASSERT_TRUE(r.stream && r.ret_num_out && !r.ret_num_in);
	ASSERT_TRUE(parse(SRV_API_TRITON_STREAM, 0, "{\"text_input\":\"a\"}",
			  &r, &e) < 0);
	ASSERT_TRUE(strstr(e.msg, "missing required input(s) ['max_tokens']"));
}

static void test_openai_flavours(void)
{
	struct srv_request r;
	struct request_error e;
	const char *cont = "{\"prompt\":\"a\",\"max_tokens\":2,\"stream\":true,"
			   "\"stream_options\":{\"continuous_usage_stats\":true}}";
	ASSERT_EQ(parse(SRV_API_COMPLETIONS, SRV_FLAVOUR_VLLM, cont, &r, &e), 0);
	ASSERT_TRUE(r.include_usage && r.continuous_usage);
	ASSERT_EQ(parse(SRV_API_COMPLETIONS, SRV_FLAVOUR_SGLANG, cont, &r, &e),
		  0);
	ASSERT_TRUE(!r.include_usage && r.continuous_usage);
	ASSERT_EQ(parse(SRV_API_COMPLETIONS, SRV_FLAVOUR_LMDEPLOY, cont, &r,
			&e),
		  0);
	ASSERT_TRUE(!r.include_usage && !r.continuous_usage);
	ASSERT_EQ(parse(SRV_API_COMPLETIONS, SRV_FLAVOUR_TRTLLM, cont, &r, &e),
		  0);
	ASSERT_TRUE(r.include_usage && r.continuous_usage);
	/* trtllm-serve rejects what vLLM accepts */
	ASSERT_TRUE(parse(SRV_API_COMPLETIONS, SRV_FLAVOUR_TRTLLM,
			  "{\"prompt\":\"a\",\"max_tokens\":2,"
			  "\"return_token_ids\":true}",
			  &r, &e) < 0);
	ASSERT_EQ(e.status, 400);
	ASSERT_TRUE(strstr(e.msg, "return_token_ids") &&
		    strstr(e.msg, "Extra inputs are not permitted"));
	ASSERT_TRUE(parse(SRV_API_CHAT, SRV_FLAVOUR_TRTLLM,
			  "{\"messages\":[{\"role\":\"user\",\"content\":"
			  "\"a\"}],\"max_tokens\":2,\"min_new_tokens\":2}",
			  &r, &e) < 0);
	ASSERT_EQ(parse(SRV_API_CHAT, SRV_FLAVOUR_VLLM,
			"{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],"
			"\"max_tokens\":2,\"return_token_ids\":true}",
			&r, &e),
		  0);
	ASSERT_EQ(request_generate_shape("{\"text\":\"a\"}", 12), SRV_API_SGLANG);
	ASSERT_EQ(request_generate_shape("{\"prompt\":\"a\"}", 14),
		  SRV_API_LMDEPLOY);
	ASSERT_EQ(request_generate_shape("{\"inputs\":\"a\"}", 14),
		  SRV_API_TGI_GENERATE);
	enum srv_flavour f;
	ASSERT_EQ(request_flavour_parse("llamacpp", &f), 0);
	ASSERT_EQ(f, SRV_FLAVOUR_LLAMACPP);
	ASSERT_TRUE(request_flavour_parse("vllmx", &f) < 0);
}

int main(void)
{
	TEST_RUN(test_native);
	TEST_RUN(test_openai_flavours);
	return TEST_DONE();
}
