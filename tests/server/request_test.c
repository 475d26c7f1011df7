/* request_test.c - prompt counting rule, output length rule, errors. */
#include <string.h>

#include "server/request.h"
#include "test.h"

static const struct request_limits L = {"m", 100, 8, SRV_FLAVOUR_ALL};

static int parse(enum srv_api api, const char *body, struct srv_request *r,
		 struct request_error *e)
{
	return request_parse(api, body, strlen(body), &L, r, e);
}

static void test_counting(void)
{
	struct srv_request r;
	struct request_error e;
	ASSERT_EQ(request_count_words("  a b\tc\n d  ", 12), 4);
	ASSERT_EQ(parse(SRV_API_COMPLETIONS,
			"{\"prompt\":\"one two  three\",\"max_tokens\":5}", &r,
			&e),
		  0);
	ASSERT_EQ(r.prompt_tokens, 3);
	ASSERT_EQ(r.max_tokens, 5);
	ASSERT_EQ(parse(SRV_API_COMPLETIONS, "{\"prompt\":[5,6,7,8]}", &r, &e),
		  0);
	ASSERT_EQ(r.prompt_tokens, 4);
	ASSERT_EQ(r.max_tokens, 16); /* vLLM completions default */
	ASSERT_EQ(parse(SRV_API_CHAT,
			"{\"model\":\"m\",\"messages\":[{\"role\":\"system\","
			"\"content\":\"be nice\"},{\"role\":\"user\",\"content\":"
			"[{\"type\":\"text\",\"text\":\"hi there you\"}]}],"
			"\"max_completion_tokens\":7,\"max_tokens\":3}",
			&r, &e),
		  0);
	ASSERT_EQ(r.prompt_tokens, 8 + 2 + 3);
	ASSERT_EQ(r.max_tokens, 7);
	ASSERT_EQ(parse(SRV_API_CHAT,
			"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
			&r, &e),
		  0);
	ASSERT_EQ(r.max_tokens, 100 - 9); /* chat default: fill context */
	ASSERT_EQ(parse(SRV_API_TGI_STREAM,
			"{\"inputs\":\"a b\",\"parameters\":{\"max_new_tokens\":"
			"4,\"details\":true}}",
			&r, &e),
		  0);
	ASSERT_EQ(r.prompt_tokens, 2);
	ASSERT_EQ(r.max_tokens, 4);
	ASSERT_EQ(r.details, 1);
	ASSERT_EQ(r.stream, 1);
}

static void test_stream_options(void)
{
	struct srv_request r;
	struct request_error e;
	ASSERT_EQ(parse(SRV_API_COMPLETIONS,
			"{\"prompt\":\"a\",\"stream\":true,\"stream_options\":{}}",
			&r, &e),
		  0);
	ASSERT_EQ(r.include_usage, 1); /* vLLM default once present */
	ASSERT_EQ(r.continuous_usage, 0);
	ASSERT_EQ(parse(SRV_API_COMPLETIONS,
			"{\"prompt\":\"a\",\"stream\":true,\"stream_options\":"
			"{\"include_usage\":false,\"continuous_usage_stats\":"
			"true}}",
			&r, &e),
		  0);
	ASSERT_EQ(r.continuous_usage, 0); /* needs include_usage */
	ASSERT_TRUE(parse(SRV_API_COMPLETIONS,
			  "{\"prompt\":\"a\",\"stream_options\":{}}", &r,
			  &e) < 0);
	ASSERT_EQ(e.status, 400);
}

static void test_errors(void)
{
	struct srv_request r;
	struct request_error e;
	ASSERT_TRUE(parse(SRV_API_COMPLETIONS, "{nope", &r, &e) < 0);
	ASSERT_EQ(e.status, 400);
	ASSERT_TRUE(parse(SRV_API_COMPLETIONS, "{\"model\":\"x\",\"prompt\":"
					       "\"a\"}",
			  &r, &e) < 0);
	ASSERT_EQ(e.status, 404);
	ASSERT_STR_EQ(e.type, "NotFoundError");
	ASSERT_TRUE(parse(SRV_API_COMPLETIONS,
			  "{\"prompt\":\"a b\",\"max_tokens\":99}", &r, &e) < 0);
	ASSERT_EQ(e.status, 400);
	ASSERT_TRUE(strstr(e.msg, "maximum context length is 100") != NULL);
	ASSERT_TRUE(parse(SRV_API_COMPLETIONS,
			  "{\"prompt\":\"a\",\"max_tokens\":0}", &r, &e) < 0);
	ASSERT_TRUE(parse(SRV_API_COMPLETIONS, "{\"prompt\":[\"a\",\"b\"]}",
			  &r, &e) < 0);
	ASSERT_TRUE(parse(SRV_API_COMPLETIONS, "{\"prompt\":\"a\",\"n\":2}",
			  &r, &e) < 0);
	ASSERT_TRUE(parse(SRV_API_TGI_STREAM, "{\"x\":1}", &r, &e) < 0);
	ASSERT_EQ(e.status, 422);
	ASSERT_STR_EQ(e.type, "validation");
}

int main(void)
{
	TEST_RUN(test_counting);
	TEST_RUN(test_stream_options);
	TEST_RUN(test_errors);
	return TEST_DONE();
}
