/* srvtok_test.c - /tokenize reply shapes of vLLM, TGI and llama.cpp. */
#include "workload/srvtok.h"

#include <errno.h>
#include <string.h>

#include "test.h"

static int32_t parse(enum srvtok_shape s, const char *body)
{
	int32_t n = -1;
	if (srvtok_parse_reply(s, body, strlen(body), &n))
		return -1;
	return n;
}

static void test_shapes(void)
{
	ASSERT_EQ(parse(SRVTOK_VLLM, "{\"count\":5,\"max_model_len\":4096,"
				     "\"tokens\":[1,2,3,4,5],\"token_strs\":null}"),
		  5);
	ASSERT_EQ(parse(SRVTOK_TGI, "[{\"id\":1,\"text\":\"a\",\"start\":0,"
				    "\"stop\":1},{\"id\":2,\"text\":\"b\","
				    "\"start\":2,\"stop\":3}]"),
		  2);
	ASSERT_EQ(parse(SRVTOK_TGI, "[]"), 0);
	ASSERT_EQ(parse(SRVTOK_LLAMACPP, "{\"tokens\":[9,8,7]}"), 3);
	/* the wrong shape or garbage is refused */
	ASSERT_EQ(parse(SRVTOK_VLLM, "[{\"id\":1}]"), -1);
	ASSERT_EQ(parse(SRVTOK_LLAMACPP, "{\"count\":3}"), -1);
	ASSERT_EQ(parse(SRVTOK_VLLM, "{\"count\":-1}"), -1);
	ASSERT_EQ(parse(SRVTOK_TGI, "{\"count\":3"), -1);
}

static void test_unreachable(void)
{
	struct srvtok *s = srvtok_new("http://127.0.0.1:1", NULL, SRVTOK_AUTO,
				      NULL, 0);
	int32_t n;
	char *err = NULL;
	ASSERT_TRUE(srvtok_count(s, "hello", 5, &n, &err) < 0);
	ASSERT_TRUE(err && strstr(err, "no /tokenize route answered"));
	ASSERT_STR_EQ(srvtok_shape_name(s), "auto");
	ASSERT_EQ(srvtok_calls(s), 2); /* vLLM shape, then llama.cpp's */
	free(err);
	srvtok_free(s);
}

int main(void)
{
	TEST_RUN(test_shapes);
	TEST_RUN(test_unreachable);
	return TEST_DONE();
}
