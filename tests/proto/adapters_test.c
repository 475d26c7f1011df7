/* adapters_test.c - OpenAI and TGI adapters on real wire fixtures
 * (protocols.md §2/§3): event classes, token deltas, usage, errors under
 * 200, completion markers, request bodies. */
#include <jansson.h>
#include <math.h>

#include "proto/proto.h"
#include "test.h"

static struct proto_event ev_of(const struct proto_ops *ops,
				struct proto_stream *st, const char *data)
{
	struct proto_event ev;
	ops->on_event(st, data, strlen(data), &ev);
	return ev;
}

static void test_completions_continuous_usage(void)
{
	struct buf text;
	buf_init(&text, 0);
	struct proto_stream st;
	proto_stream_init(&st, &text);
	const struct proto_ops *o = proto_find("openai-completions");
	ASSERT_TRUE(o == &proto_openai_completions);
	struct proto_event e = ev_of(
		o, &st,
		"{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"choices\":"
		"[{\"index\":0,\"text\":\" Hello\",\"logprobs\":null,"
		"\"finish_reason\":null}],\"usage\":{\"prompt_tokens\":12,"
		"\"total_tokens\":13,\"completion_tokens\":1}}");
	ASSERT_EQ(e.kind, PEV_TOKEN);
	ASSERT_EQ(e.tokens, 1);
	ASSERT_EQ(e.text_bytes, 6);
	ASSERT_EQ(e.prompt_tokens, 12);
	/* A chunk carrying three tokens (stream_interval / spec decode). */
	e = ev_of(o, &st,
		  "{\"choices\":[{\"index\":0,\"text\":\" a b c\","
		  "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":"
		  "12,\"completion_tokens\":4}}");
	ASSERT_EQ(e.kind, PEV_TOKEN);
	ASSERT_EQ(e.tokens, 3);
	ASSERT_TRUE(e.finished);
	e = ev_of(o, &st,
		  "{\"choices\":[],\"usage\":{\"prompt_tokens\":12,"
		  "\"completion_tokens\":4,\"total_tokens\":16}}");
	ASSERT_EQ(e.kind, PEV_USAGE);
	ASSERT_EQ(e.completion_tokens, 4);
	e = ev_of(o, &st, "[DONE]");
	ASSERT_EQ(e.kind, PEV_DONE);
	ASSERT_TRUE(o->complete(&st));
	ASSERT_STR_EQ(text.data, " Hello a b c");
	buf_free(&text);
}

static void test_chat_role_chunk_and_reasoning(void)
{
	struct proto_stream st;
	proto_stream_init(&st, NULL);
	const struct proto_ops *o = proto_find("openai-chat");
	struct proto_event e = ev_of(
		o, &st,
		"{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
		"\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}");
	ASSERT_EQ(e.kind, PEV_TOKEN); /* vLLM counts it as an event */
	ASSERT_EQ(e.tokens, 0);        /* but it carries no token */
	ASSERT_EQ(e.text_bytes, 0);
	e = ev_of(o, &st,
		  "{\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":"
		  "\"think\"},\"finish_reason\":null}]}");
	ASSERT_EQ(e.kind, PEV_TOKEN);
	ASSERT_EQ(e.tokens, -1); /* no continuous usage: unknown */
	ASSERT_EQ(e.text_bytes, 5);
	ASSERT_TRUE(!o->complete(&st));
	e = ev_of(o, &st,
		  "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},"
		  "\"finish_reason\":\"stop\"}]}");
	ASSERT_TRUE(o->complete(&st));
}

static void test_openai_errors(void)
{
	struct proto_stream st;
	proto_stream_init(&st, NULL);
	const struct proto_ops *o = &proto_openai_completions;
	/* vLLM >= 0.10.1 */
	struct proto_event e = ev_of(
		o, &st,
		"{\"error\":{\"message\":\"boom\",\"type\":\"InternalServerError"
		"\",\"param\":null,\"code\":500}}");
	ASSERT_EQ(e.kind, PEV_ERROR);
	ASSERT_TRUE(strstr(e.error, "boom") && strstr(e.error, "500"));
	/* older flat shape */
	e = ev_of(o, &st,
		  "{\"object\":\"error\",\"message\":\"old\",\"type\":\"x\","
		  "\"param\":null,\"code\":400}");
	ASSERT_EQ(e.kind, PEV_ERROR);
	ASSERT_TRUE(strstr(e.error, "old") != NULL);
	e = ev_of(o, &st, "{not json");
	ASSERT_EQ(e.kind, PEV_BAD);
	e = ev_of(o, &st, "[1,2]");
	ASSERT_EQ(e.kind, PEV_BAD);
	e = ev_of(o, &st, "{\"foo\":1}");
	ASSERT_EQ(e.kind, PEV_BAD);
}

static void test_tgi(void)
{
	struct buf text;
	buf_init(&text, 0);
	struct proto_stream st;
	proto_stream_init(&st, &text);
	const struct proto_ops *o = proto_find("tgi");
	struct proto_event e = ev_of(
		o, &st,
		"{\"index\":1,\"token\":{\"id\":22,\"text\":\" the\",\"logprob\":"
		"-0.5,\"special\":false},\"generated_text\":null,\"details\":"
		"null}");
	ASSERT_EQ(e.kind, PEV_TOKEN);
	ASSERT_EQ(e.tokens, 1);
	ASSERT_TRUE(!o->complete(&st));
	e = ev_of(o, &st,
		  "{\"index\":2,\"token\":{\"id\":2,\"text\":\"</s>\","
		  "\"logprob\":-0.1,\"special\":true},\"generated_text\":\" the"
		  "\",\"details\":{\"finish_reason\":\"eos_token\","
		  "\"generated_tokens\":2,\"seed\":null,\"input_length\":7}}");
	ASSERT_EQ(e.kind, PEV_TOKEN);
	ASSERT_EQ(e.tokens, 1); /* EOS is streamed and counted */
	ASSERT_EQ(e.text_bytes, 0);
	ASSERT_EQ(e.completion_tokens, 2);
	ASSERT_EQ(e.prompt_tokens, 7);
	ASSERT_TRUE(o->complete(&st));
	ASSERT_STR_EQ(text.data, " the");
	e = ev_of(o, &st,
		  "{\"error\":\"Model is overloaded\",\"error_type\":"
		  "\"overloaded\"}");
	ASSERT_EQ(e.kind, PEV_ERROR);
	ASSERT_TRUE(strstr(e.error, "overloaded") != NULL);
	buf_free(&text);
}

static json_t *body_of(const struct proto_ops *o, struct proto_params *p)
{
	struct buf b;
	buf_init(&b, 0);
	ASSERT_EQ(o->build_body(p, &b), 0);
	json_error_t jerr;
	json_t *j = json_loads(b.data, 0, &jerr);
	buf_free(&b);
	ASSERT_TRUE(j != NULL);
	return j;
}

static void test_bodies(void)
{
	struct proto_params p = {
		.model = "m",
		.prompt = "hi there",
		.max_tokens = 64,
		.ignore_eos = 1,
		.temperature = NAN,
		.include_usage = 1,
		.continuous_usage = 1,
		.extra_body = "{\"top_k\":5}",
	};
	json_t *j = body_of(&proto_openai_completions, &p);
	ASSERT_STR_EQ(json_string_value(json_object_get(j, "prompt")),
		      "hi there");
	ASSERT_EQ(json_integer_value(json_object_get(j, "max_tokens")), 64);
	ASSERT_TRUE(json_is_true(json_object_get(j, "ignore_eos")));
	ASSERT_TRUE(json_is_true(json_object_get(j, "stream")));
	json_t *so = json_object_get(j, "stream_options");
	ASSERT_TRUE(json_is_true(json_object_get(so, "include_usage")));
	ASSERT_TRUE(json_is_true(json_object_get(so, "continuous_usage_stats")));
	ASSERT_TRUE(json_object_get(j, "temperature") == NULL);
	ASSERT_EQ(json_integer_value(json_object_get(j, "top_k")), 5);
	json_decref(j);

	j = body_of(&proto_openai_chat, &p);
	json_t *m0 = json_array_get(json_object_get(j, "messages"), 0);
	ASSERT_STR_EQ(json_string_value(json_object_get(m0, "content")),
		      "hi there");
	ASSERT_EQ(json_integer_value(
			  json_object_get(j, "max_completion_tokens")),
		  64);
	json_decref(j);

	p.extra_body = NULL;
	j = body_of(&proto_tgi, &p);
	json_t *par = json_object_get(j, "parameters");
	ASSERT_EQ(json_integer_value(json_object_get(par, "max_new_tokens")),
		  64);
	ASSERT_TRUE(json_is_true(json_object_get(par, "details")));
	ASSERT_STR_EQ(json_string_value(json_object_get(j, "inputs")),
		      "hi there");
	json_decref(j);

	struct buf b;
	buf_init(&b, 0);
	p.extra_body = "[1]";
	ASSERT_TRUE(proto_openai_completions.build_body(&p, &b) < 0);
	buf_free(&b);
}

/* Per-flavour OpenAI request differences (protocols.md §2/§4/§5a/§6). */
static void test_flavour_bodies(void)
{
	struct proto_params p = {.model = "m", .prompt = "hi", .max_tokens = 9,
				 .ignore_eos = 1, .min_tokens = 1,
				 .temperature = NAN, .include_usage = 0,
				 .continuous_usage = 1};
	/* SGLang: continuous usage works without include_usage. */
	json_t *j = body_of(&proto_sglang_completions, &p);
	json_t *so = json_object_get(j, "stream_options");
	ASSERT_TRUE(json_object_get(so, "include_usage") == NULL);
	ASSERT_TRUE(json_is_true(json_object_get(so, "continuous_usage_stats")));
	ASSERT_EQ(json_integer_value(json_object_get(j, "min_tokens")), 9);
	json_decref(j);
	/* vLLM: continuous usage needs include_usage. */
	j = body_of(&proto_openai_completions, &p);
	so = json_object_get(j, "stream_options");
	ASSERT_TRUE(json_is_true(json_object_get(so, "include_usage")));
	json_decref(j);
	/* LMDeploy: no continuous usage; chat min is min_new_tokens,
	 * completions has none. */
	p.include_usage = 1;
	j = body_of(&proto_lmdeploy_chat, &p);
	so = json_object_get(j, "stream_options");
	ASSERT_TRUE(json_object_get(so, "continuous_usage_stats") == NULL);
	ASSERT_TRUE(json_is_true(json_object_get(so, "include_usage")));
	ASSERT_EQ(json_integer_value(json_object_get(j, "min_new_tokens")), 9);
	ASSERT_TRUE(json_object_get(j, "min_tokens") == NULL);
	json_decref(j);
	j = body_of(&proto_lmdeploy_completions, &p);
	ASSERT_TRUE(json_object_get(j, "min_new_tokens") == NULL);
	ASSERT_TRUE(json_object_get(j, "min_tokens") == NULL);
	ASSERT_TRUE(json_is_true(json_object_get(j, "ignore_eos")));
	json_decref(j);
	/* trtllm-serve: only keys it declares; chat uses max_tokens alone. */
	j = body_of(&proto_trtllm_chat, &p);
	ASSERT_TRUE(json_object_get(j, "max_completion_tokens") == NULL);
	ASSERT_EQ(json_integer_value(json_object_get(j, "max_tokens")), 9);
	const char *k;
	json_t *v;
	static const char *const allowed[] = {
		"model", "messages", "max_tokens", "stream", "stream_options",
		"ignore_eos", "min_tokens", NULL};
	json_object_foreach(j, k, v)
	{
		int ok = 0;
		for (int i = 0; allowed[i]; i++)
			ok |= !strcmp(k, allowed[i]);
		if (!ok)
			TEST_FAIL_("trtllm chat body sends '%s'", k);
	}
	json_decref(j);
	ASSERT_TRUE(proto_trtllm_completions.cont_usage);
	ASSERT_TRUE(!proto_lmdeploy_completions.cont_usage);
	ASSERT_STR_EQ(proto_sglang_chat.default_path, "/v1/chat/completions");
}


/* Token-id prompts: arrays where the API takes them, refused where not. */
static void test_prompt_ids(void)
{
	static const int32_t ids[] = {11, 22, 33};
	struct proto_params p = {
		.model = "m", .prompt = NULL, .prompt_ids = ids,
		.n_prompt_ids = 3, .max_tokens = 4, .temperature = NAN,
	};
	static const struct { const char *api, *key; } takes[] = {
		{"openai-completions", "prompt"}, {"sglang-generate", "input_ids"},
		{"lmdeploy-generate", "input_ids"}, {"llamacpp", "prompt"},
	};
	for (size_t i = 0; i < sizeof(takes) / sizeof(takes[0]); i++) {
		const struct proto_ops *o = proto_find(takes[i].api);
		ASSERT_TRUE(o != NULL);
		json_t *j = body_of(o, &p);
		json_t *a = json_object_get(j, takes[i].key);
		ASSERT_TRUE(json_is_array(a));
		ASSERT_EQ(json_array_size(a), 3);
		ASSERT_EQ(json_integer_value(json_array_get(a, 2)), 33);
		json_decref(j);
	}
	static const char *refuse[] = {"openai-chat", "tgi", "ollama"};
	for (size_t i = 0; i < 3; i++) {
		struct buf b;
		buf_init(&b, 0);
		ASSERT_TRUE(proto_find(refuse[i])->build_body(&p, &b) < 0);
		ASSERT_EQ(b.len, 0);
		buf_free(&b);
	}
}

int main(void)
{
	TEST_RUN(test_prompt_ids);
	TEST_RUN(test_completions_continuous_usage);
	TEST_RUN(test_chat_role_chunk_and_reasoning);
	TEST_RUN(test_openai_errors);
	TEST_RUN(test_tgi);
	TEST_RUN(test_bodies);
	TEST_RUN(test_flavour_bodies);
	return TEST_DONE();
}
