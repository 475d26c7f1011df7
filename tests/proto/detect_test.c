/* detect_test.c - server classification from info-route probes
 * (proto/detect.c detect_classify), one probe set per server as
 * protocols.md describes its routes, plus path-based adapter choice. */
#include <errno.h>

#include "proto/detect.h"
#include "test.h"

/* Build a probe set: every probe path 404 unless given. */
struct set {
	struct detect_probe p[DETECT_NPROBES];
};

static void set_init(struct set *s)
{
	for (int i = 0; i < DETECT_NPROBES; i++)
		s->p[i] = (struct detect_probe){detect_probe_paths[i], 404,
						"{\"detail\":\"Not Found\"}", 22};
}

static void set_answer(struct set *s, const char *path, long status,
		       const char *body)
{
	for (int i = 0; i < DETECT_NPROBES; i++)
		if (!strcmp(s->p[i].path, path)) {
			s->p[i].status = status;
			s->p[i].body = body;
			s->p[i].len = strlen(body);
			return;
		}
	ASSERT_TRUE(0);
}

static enum detect_flavour classify(struct set *s, struct detect_result *r)
{
	int rc = detect_classify(s->p, DETECT_NPROBES, r);
	ASSERT_TRUE(rc == 0 || rc == -ENOENT);
	return r->flavour;
}

#define MODELS(owner)                                                     \
	"{\"object\":\"list\",\"data\":[{\"id\":\"m\",\"object\":\"model\"," \
	"\"created\":1,\"owned_by\":\"" owner "\"}]}"

static void test_each_server(void)
{
	struct set s;
	struct detect_result r;

	set_init(&s); /* vLLM */
	set_answer(&s, "/version", 200, "{\"version\":\"0.10.1\"}");
	set_answer(&s, "/v1/models", 200, MODELS("vllm"));
	ASSERT_EQ(classify(&s, &r), DETECT_VLLM);
	ASSERT_TRUE(r.api == &proto_openai_completions);
	ASSERT_STR_EQ(r.also, "");

	set_init(&s); /* trtllm-serve: /version too, but its owner */
	set_answer(&s, "/version", 200, "{\"version\":\"1.1.0\"}");
	set_answer(&s, "/v1/models", 200, MODELS("tensorrt_llm"));
	ASSERT_EQ(classify(&s, &r), DETECT_TRTLLM);
	ASSERT_TRUE(r.api == &proto_trtllm_completions);

	set_init(&s); /* SGLang, old and new info path */
	set_answer(&s, "/get_server_info", 200,
		   "{\"context_length\":4096,\"version\":\"0.4.0\"}");
	set_answer(&s, "/v1/models", 200, MODELS("sglang"));
	ASSERT_EQ(classify(&s, &r), DETECT_SGLANG);
	ASSERT_TRUE(r.api == &proto_sglang_generate);
	set_init(&s);
	set_answer(&s, "/get_server_info", 404, "{}");
	set_answer(&s, "/server_info", 200, "{\"max_total_num_tokens\":9}");
	ASSERT_EQ(classify(&s, &r), DETECT_SGLANG);

	set_init(&s); /* LMDeploy: no /version, only its owner */
	set_answer(&s, "/v1/models", 200, MODELS("lmdeploy"));
	ASSERT_EQ(classify(&s, &r), DETECT_LMDEPLOY);
	ASSERT_TRUE(r.api == &proto_lmdeploy_generate);

	set_init(&s); /* TGI: /info (and its /v1/models owned by the id) */
	set_answer(&s, "/info", 200,
		   "{\"model_id\":\"m\",\"max_total_tokens\":4096,"
		   "\"router\":\"text-generation-router\",\"version\":"
		   "\"3.3.6\"}");
	set_answer(&s, "/v1/models", 200, MODELS("m"));
	ASSERT_EQ(classify(&s, &r), DETECT_TGI);
	ASSERT_TRUE(r.api == &proto_tgi);

	set_init(&s); /* TGI 2.0 spelling */
	set_answer(&s, "/info", 200,
		   "{\"model_id\":\"m\",\"max_input_length\":1024}");
	ASSERT_EQ(classify(&s, &r), DETECT_TGI);

	set_init(&s); /* llama.cpp */
	set_answer(&s, "/props", 200,
		   "{\"default_generation_settings\":{\"n_ctx\":4096},"
		   "\"total_slots\":4,\"build_info\":\"b6500\"}");
	set_answer(&s, "/v1/models", 200, MODELS("llamacpp"));
	ASSERT_EQ(classify(&s, &r), DETECT_LLAMACPP);
	ASSERT_TRUE(r.api == &proto_llamacpp);

	set_init(&s); /* Ollama */
	set_answer(&s, "/api/version", 200, "{\"version\":\"0.12.6\"}");
	set_answer(&s, "/v1/models", 200, MODELS("library"));
	ASSERT_EQ(classify(&s, &r), DETECT_OLLAMA);
	ASSERT_TRUE(r.api == &proto_ollama);

	set_init(&s); /* Triton */
	set_answer(&s, "/v2", 200,
		   "{\"name\":\"triton\",\"version\":\"2.59.0\","
		   "\"extensions\":[\"classification\"]}");
	ASSERT_EQ(classify(&s, &r), DETECT_TRITON);
	ASSERT_TRUE(r.api == &proto_triton);

	set_init(&s); /* some other OpenAI server */
	set_answer(&s, "/v1/models", 200, MODELS("acme"));
	ASSERT_EQ(classify(&s, &r), DETECT_OPENAI);
	ASSERT_TRUE(r.api == &proto_openai_completions);
}

static void test_negative_and_ambiguous(void)
{
	struct set s;
	struct detect_result r;
	set_init(&s);
	ASSERT_EQ(detect_classify(s.p, DETECT_NPROBES, &r), -ENOENT);
	ASSERT_EQ(r.flavour, DETECT_NONE);

	/* Look-alikes that must not match: /version from a web app, a TGI
	 * /info without model_id, /props that is not llama.cpp, 200s with
	 * HTML, unreachable probes (status 0). */
	set_init(&s);
	set_answer(&s, "/version", 200, "{\"version\":\"2.0\"}");
	set_answer(&s, "/info", 200, "{\"name\":\"my app\"}");
	set_answer(&s, "/props", 200, "{\"color\":\"red\"}");
	set_answer(&s, "/v2", 200, "<html>hello</html>");
	set_answer(&s, "/api/version", 500, "{\"version\":\"1\"}");
	set_answer(&s, "/v1/models", 0, "");
	ASSERT_EQ(detect_classify(s.p, DETECT_NPROBES, &r), -ENOENT);

	/* The mock's "all" flavour answers vLLM and TGI routes: vLLM wins,
	 * TGI is reported as also matched. */
	set_init(&s);
	set_answer(&s, "/version", 200, "{\"version\":\"0.10.1\"}");
	set_answer(&s, "/info", 200, "{\"model_id\":\"m\",\"router\":\"r\"}");
	set_answer(&s, "/v1/models", 200, MODELS("vllm"));
	ASSERT_EQ(classify(&s, &r), DETECT_VLLM);
	ASSERT_STR_EQ(r.also, "tgi");
	ASSERT_TRUE(strstr(r.evidence, "vllm") != NULL);

	/* A subset of probes (any order) is enough. */
	struct detect_probe one = {"/props", 200, "{\"total_slots\":1}", 17};
	ASSERT_EQ(detect_classify(&one, 1, &r), 0);
	ASSERT_EQ(r.flavour, DETECT_LLAMACPP);
	ASSERT_STR_EQ(detect_flavour_name(DETECT_TRITON), "triton");
}

static void test_path_choice(void)
{
	ASSERT_TRUE(detect_api_for_path(DETECT_SGLANG, &proto_sglang_generate,
					"/v1/chat/completions") ==
		    &proto_sglang_chat);
	ASSERT_TRUE(detect_api_for_path(DETECT_SGLANG, &proto_sglang_generate,
					"/v1/completions") ==
		    &proto_sglang_completions);
	ASSERT_TRUE(detect_api_for_path(DETECT_TRTLLM,
					&proto_trtllm_completions,
					"/v1/chat/completions") ==
		    &proto_trtllm_chat);
	ASSERT_TRUE(detect_api_for_path(DETECT_LMDEPLOY,
					&proto_lmdeploy_generate, "") ==
		    &proto_lmdeploy_generate);
	ASSERT_TRUE(detect_api_for_path(DETECT_TRITON, &proto_triton,
					"/v1/chat/completions") ==
		    &proto_triton);
	ASSERT_TRUE(proto_find("auto") == NULL);
	ASSERT_TRUE(proto_find("sglang") == &proto_sglang_generate);
	ASSERT_TRUE(proto_find("llama.cpp") == &proto_llamacpp);
	ASSERT_TRUE(proto_find("vllm-chat") == &proto_openai_chat);
}

int main(void)
{
	TEST_RUN(test_each_server);
	TEST_RUN(test_negative_and_ambiguous);
	TEST_RUN(test_path_choice);
	return TEST_DONE();
}
