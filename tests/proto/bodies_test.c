/* bodies_test.c - every adapter's request body pinned byte for byte for a
 * few fixed proto_params (key order, escaping, extra_body merge included).
 * The goldens were produced by the adapters as they were before the
 * request-body helpers were factored out (proto/body.c); a change here is a
 * change on the wire and must be deliberate. */
#include <errno.h>
#include <math.h>

#include "proto/proto.h"
#include "test.h"

/* Fixed request parameter sets. */
static const struct proto_params params[] = {
	/* everything on; extra_body adds a key and overrides "stream" */
	{.model = "m", .prompt = "hi \"there\"\n\u00e9", .max_tokens = 64,
	 .ignore_eos = 1, .min_tokens = 1, .temperature = 0.5,
	 .include_usage = 1, .continuous_usage = 1,
	 .extra_body = "{\"top_k\":5,\"stream\":false}"},
	/* nothing optional */
	{.model = NULL, .prompt = "x", .max_tokens = 1, .temperature = NAN},
	/* continuous usage alone, min tokens without ignore_eos,
	 * temperature 0 (greedy) */
	{.model = "org/model-7b", .prompt = "a b c", .max_tokens = 9,
	 .min_tokens = 1, .temperature = 0.0, .continuous_usage = 1},
	/* ignore_eos alone, include_usage alone, an empty extra object */
	{.model = "m", .prompt = "", .max_tokens = 1024, .ignore_eos = 1,
	 .temperature = 1.25, .include_usage = 1, .extra_body = "{}"},
};
#define N_PARAMS (sizeof(params) / sizeof(params[0]))

static const struct proto_ops *const adapters[] = {
	&proto_openai_completions, &proto_openai_chat,
	&proto_sglang_completions, &proto_sglang_chat,
	&proto_lmdeploy_completions, &proto_lmdeploy_chat,
	&proto_trtllm_completions, &proto_trtllm_chat,
	&proto_tgi, &proto_sglang_generate, &proto_lmdeploy_generate,
	&proto_triton, &proto_llamacpp, &proto_ollama,
};
#define N_ADAPTERS (sizeof(adapters) / sizeof(adapters[0]))

/* A Triton model with other input names and no count outputs. */
static const char triton_cfg[] =
	"{\"name\":\"ensemble\",\"input\":[{\"name\":\"prompt\"},"
	"{\"name\":\"request_output_len\"},{\"name\":\"min_length\"},"
	"{\"name\":\"streaming\"},{\"name\":\"return_num_input_tokens\"},"
	"{\"name\":\"temperature\"}],\"output\":[{\"name\":\"output\"},"
	"{\"name\":\"num_input_tokens\"}]}";

/* golden[a * N_PARAMS + i]: adapters[a]'s body for params[i]; the last
 * N_PARAMS rows are Triton configured with triton_cfg. */
static const char *const golden[] = {
	/* openai-completions */
	"{\"prompt\":\"hi \\\"there\\\"\\n\303\251\",\"max_tokens\":64,\"model\":\"m\",\"stream\":false,\"stream_options\":{\"include_usage\":true,\"continuous_usage_stats\":true},\"ignore_eos\":true,\"min_tokens\":64,\"temperature\":0.5,\"top_k\":5}",
	"{\"prompt\":\"x\",\"max_tokens\":1,\"stream\":true}",
	"{\"prompt\":\"a b c\",\"max_tokens\":9,\"model\":\"org/model-7b\",\"stream\":true,\"stream_options\":{\"include_usage\":true,\"continuous_usage_stats\":true},\"min_tokens\":9,\"temperature\":0.0}",
	"{\"prompt\":\"\",\"max_tokens\":1024,\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"ignore_eos\":true,\"temperature\":1.25}",
	/* openai-chat */
	"{\"messages\":[{\"role\":\"user\",\"content\":\"hi \\\"there\\\"\\n\303\251\"}],\"max_completion_tokens\":64,\"max_tokens\":64,\"model\":\"m\",\"stream\":false,\"stream_options\":{\"include_usage\":true,\"continuous_usage_stats\":true},\"ignore_eos\":true,\"min_tokens\":64,\"temperature\":0.5,\"top_k\":5}",
	"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_completion_tokens\":1,\"max_tokens\":1,\"stream\":true}",
	"{\"messages\":[{\"role\":\"user\",\"content\":\"a b c\"}],\"max_completion_tokens\":9,\"max_tokens\":9,\"model\":\"org/model-7b\",\"stream\":true,\"stream_options\":{\"include_usage\":true,\"continuous_usage_stats\":true},\"min_tokens\":9,\"temperature\":0.0}",
	"{\"messages\":[{\"role\":\"user\",\"content\":\"\"}],\"max_completion_tokens\":1024,\"max_tokens\":1024,\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"ignore_eos\":true,\"temperature\":1.25}",
	/* sglang-completions */
	"{\"prompt\":\"hi \\\"there\\\"\\n\303\251\",\"max_tokens\":64,\"model\":\"m\",\"stream\":false,\"stream_options\":{\"include_usage\":true,\"continuous_usage_stats\":true},\"ignore_eos\":true,\"min_tokens\":64,\"temperature\":0.5,\"top_k\":5}",
	"{\"prompt\":\"x\",\"max_tokens\":1,\"stream\":true}",
	"{\"prompt\":\"a b c\",\"max_tokens\":9,\"model\":\"org/model-7b\",\"stream\":true,\"stream_options\":{\"continuous_usage_stats\":true},\"min_tokens\":9,\"temperature\":0.0}",
	"{\"prompt\":\"\",\"max_tokens\":1024,\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"ignore_eos\":true,\"temperature\":1.25}",
	/* sglang-chat */
	"{\"messages\":[{\"role\":\"user\",\"content\":\"hi \\\"there\\\"\\n\303\251\"}],\"max_completion_tokens\":64,\"max_tokens\":64,\"model\":\"m\",\"stream\":false,\"stream_options\":{\"include_usage\":true,\"continuous_usage_stats\":true},\"ignore_eos\":true,\"min_tokens\":64,\"temperature\":0.5,\"top_k\":5}",
	"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_completion_tokens\":1,\"max_tokens\":1,\"stream\":true}",
	"{\"messages\":[{\"role\":\"user\",\"content\":\"a b c\"}],\"max_completion_tokens\":9,\"max_tokens\":9,\"model\":\"org/model-7b\",\"stream\":true,\"stream_options\":{\"continuous_usage_stats\":true},\"min_tokens\":9,\"temperature\":0.0}",
	"{\"messages\":[{\"role\":\"user\",\"content\":\"\"}],\"max_completion_tokens\":1024,\"max_tokens\":1024,\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"ignore_eos\":true,\"temperature\":1.25}",
	/* lmdeploy-completions */
	"{\"prompt\":\"hi \\\"there\\\"\\n\303\251\",\"max_tokens\":64,\"model\":\"m\",\"stream\":false,\"stream_options\":{\"include_usage\":true},\"ignore_eos\":true,\"temperature\":0.5,\"top_k\":5}",
	"{\"prompt\":\"x\",\"max_tokens\":1,\"stream\":true}",
	"{\"prompt\":\"a b c\",\"max_tokens\":9,\"model\":\"org/model-7b\",\"stream\":true,\"temperature\":0.0}",
	"{\"prompt\":\"\",\"max_tokens\":1024,\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"ignore_eos\":true,\"temperature\":1.25}",
	/* lmdeploy-chat */
	"{\"messages\":[{\"role\":\"user\",\"content\":\"hi \\\"there\\\"\\n\303\251\"}],\"max_completion_tokens\":64,\"max_tokens\":64,\"model\":\"m\",\"stream\":false,\"stream_options\":{\"include_usage\":true},\"ignore_eos\":true,\"min_new_tokens\":64,\"temperature\":0.5,\"top_k\":5}",
	"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_completion_tokens\":1,\"max_tokens\":1,\"stream\":true}",
	"{\"messages\":[{\"role\":\"user\",\"content\":\"a b c\"}],\"max_completion_tokens\":9,\"max_tokens\":9,\"model\":\"org/model-7b\",\"stream\":true,\"min_new_tokens\":9,\"temperature\":0.0}",
	"{\"messages\":[{\"role\":\"user\",\"content\":\"\"}],\"max_completion_tokens\":1024,\"max_tokens\":1024,\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"ignore_eos\":true,\"temperature\":1.25}",
	/* trtllm-completions */
	"{\"prompt\":\"hi \\\"there\\\"\\n\303\251\",\"max_tokens\":64,\"model\":\"m\",\"stream\":false,\"stream_options\":{\"include_usage\":true,\"continuous_usage_stats\":true},\"ignore_eos\":true,\"min_tokens\":64,\"temperature\":0.5,\"top_k\":5}",
	"{\"prompt\":\"x\",\"max_tokens\":1,\"stream\":true}",
	"{\"prompt\":\"a b c\",\"max_tokens\":9,\"model\":\"org/model-7b\",\"stream\":true,\"stream_options\":{\"include_usage\":true,\"continuous_usage_stats\":true},\"min_tokens\":9,\"temperature\":0.0}",
	"{\"prompt\":\"\",\"max_tokens\":1024,\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"ignore_eos\":true,\"temperature\":1.25}",
	/* trtllm-chat */
	"{\"messages\":[{\"role\":\"user\",\"content\":\"hi \\\"there\\\"\\n\303\251\"}],\"max_tokens\":64,\"model\":\"m\",\"stream\":false,\"stream_options\":{\"include_usage\":true,\"continuous_usage_stats\":true},\"ignore_eos\":true,\"min_tokens\":64,\"temperature\":0.5,\"top_k\":5}",
	"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":1,\"stream\":true}",
	"{\"messages\":[{\"role\":\"user\",\"content\":\"a b c\"}],\"max_tokens\":9,\"model\":\"org/model-7b\",\"stream\":true,\"stream_options\":{\"include_usage\":true,\"continuous_usage_stats\":true},\"min_tokens\":9,\"temperature\":0.0}",
	"{\"messages\":[{\"role\":\"user\",\"content\":\"\"}],\"max_tokens\":1024,\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"ignore_eos\":true,\"temperature\":1.25}",
	/* tgi */
	"{\"inputs\":\"hi \\\"there\\\"\\n\303\251\",\"parameters\":{\"max_new_tokens\":64,\"details\":true,\"do_sample\":true,\"temperature\":0.5},\"stream\":false,\"top_k\":5}",
	"{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":1,\"details\":true},\"stream\":true}",
	"{\"inputs\":\"a b c\",\"parameters\":{\"max_new_tokens\":9,\"details\":true},\"stream\":true}",
	"{\"inputs\":\"\",\"parameters\":{\"max_new_tokens\":1024,\"details\":true,\"do_sample\":true,\"temperature\":1.25},\"stream\":true}",
	/* sglang-generate */
	"{\"text\":\"hi \\\"there\\\"\\n\303\251\",\"sampling_params\":{\"max_new_tokens\":64,\"ignore_eos\":true,\"min_new_tokens\":64,\"temperature\":0.5},\"stream\":false,\"top_k\":5}",
	"{\"text\":\"x\",\"sampling_params\":{\"max_new_tokens\":1},\"stream\":true}",
	"{\"text\":\"a b c\",\"sampling_params\":{\"max_new_tokens\":9,\"min_new_tokens\":9,\"temperature\":0.0},\"stream\":true}",
	"{\"text\":\"\",\"sampling_params\":{\"max_new_tokens\":1024,\"ignore_eos\":true,\"temperature\":1.25},\"stream\":true}",
	/* lmdeploy-generate */
	"{\"prompt\":\"hi \\\"there\\\"\\n\303\251\",\"max_tokens\":64,\"ignore_eos\":true,\"temperature\":0.5,\"stream\":false,\"top_k\":5}",
	"{\"prompt\":\"x\",\"max_tokens\":1,\"stream\":true}",
	"{\"prompt\":\"a b c\",\"max_tokens\":9,\"temperature\":0.0,\"stream\":true}",
	"{\"prompt\":\"\",\"max_tokens\":1024,\"ignore_eos\":true,\"temperature\":1.25,\"stream\":true}",
	/* triton */
	"{\"text_input\":\"hi \\\"there\\\"\\n\303\251\",\"max_tokens\":64,\"min_tokens\":64,\"stream\":false,\"return_num_output_tokens\":true,\"return_num_input_tokens\":true,\"temperature\":0.5,\"top_k\":5}",
	"{\"text_input\":\"x\",\"max_tokens\":1,\"stream\":true,\"return_num_output_tokens\":true,\"return_num_input_tokens\":true}",
	"{\"text_input\":\"a b c\",\"max_tokens\":9,\"stream\":true,\"return_num_output_tokens\":true,\"return_num_input_tokens\":true,\"temperature\":0.0}",
	"{\"text_input\":\"\",\"max_tokens\":1024,\"min_tokens\":1024,\"stream\":true,\"return_num_output_tokens\":true,\"return_num_input_tokens\":true,\"temperature\":1.25}",
	/* llamacpp */
	"{\"model\":\"m\",\"prompt\":\"hi \\\"there\\\"\\n\303\251\",\"n_predict\":64,\"ignore_eos\":true,\"stream\":false,\"cache_prompt\":true,\"temperature\":0.5,\"top_k\":5}",
	"{\"prompt\":\"x\",\"n_predict\":1,\"stream\":true,\"cache_prompt\":true}",
	"{\"model\":\"org/model-7b\",\"prompt\":\"a b c\",\"n_predict\":9,\"stream\":true,\"cache_prompt\":true,\"temperature\":0.0}",
	"{\"model\":\"m\",\"prompt\":\"\",\"n_predict\":1024,\"ignore_eos\":true,\"stream\":true,\"cache_prompt\":true,\"temperature\":1.25}",
	/* ollama */
	"{\"model\":\"m\",\"prompt\":\"hi \\\"there\\\"\\n\303\251\",\"stream\":false,\"raw\":true,\"options\":{\"num_predict\":64,\"temperature\":0.5},\"top_k\":5}",
	"{\"prompt\":\"x\",\"stream\":true,\"raw\":true,\"options\":{\"num_predict\":1}}",
	"{\"model\":\"org/model-7b\",\"prompt\":\"a b c\",\"stream\":true,\"raw\":true,\"options\":{\"num_predict\":9,\"temperature\":0.0}}",
	"{\"model\":\"m\",\"prompt\":\"\",\"stream\":true,\"raw\":true,\"options\":{\"num_predict\":1024,\"temperature\":1.25}}",
	/* triton, configured */
	"{\"prompt\":\"hi \\\"there\\\"\\n\303\251\",\"request_output_len\":64,\"min_length\":64,\"streaming\":true,\"return_num_input_tokens\":true,\"temperature\":0.5,\"top_k\":5,\"stream\":false}",
	"{\"prompt\":\"x\",\"request_output_len\":1,\"streaming\":true,\"return_num_input_tokens\":true}",
	"{\"prompt\":\"a b c\",\"request_output_len\":9,\"streaming\":true,\"return_num_input_tokens\":true,\"temperature\":0.0}",
	"{\"prompt\":\"\",\"request_output_len\":1024,\"min_length\":1024,\"streaming\":true,\"return_num_input_tokens\":true,\"temperature\":1.25}",
};

static void check_body(const struct proto_ops *o, size_t i, const char *want)
{
	struct buf b;
	buf_init(&b, 0);
	int rc = o->build_body(&params[i], &b);
	if (rc || strcmp(b.data ? b.data : "", want)) {
		fprintf(stderr, "  %s, params[%zu]: rc %d\n   got  %s\n   want %s\n",
			o->name, i, rc, b.data ? b.data : "(null)", want);
		buf_free(&b);
		TEST_FAIL_("%s body for params[%zu] differs", o->name, i);
	}
	buf_free(&b);
}

static void test_golden_bodies(void)
{
	ASSERT_EQ(sizeof(golden) / sizeof(golden[0]),
		  (N_ADAPTERS + 1) * N_PARAMS);
	proto_triton_reset();
	for (size_t a = 0; a < N_ADAPTERS; a++)
		for (size_t i = 0; i < N_PARAMS; i++)
			check_body(adapters[a], i, golden[a * N_PARAMS + i]);
}

static void test_golden_triton_configured(void)
{
	int force = -1, exact = -1;
	char why[128];
	ASSERT_EQ(proto_triton_configure(triton_cfg, strlen(triton_cfg), &force,
					 &exact, why, sizeof(why)),
		  0);
	ASSERT_EQ(force, 1);
	ASSERT_EQ(exact, 0);
	for (size_t i = 0; i < N_PARAMS; i++)
		check_body(&proto_triton, i, golden[N_ADAPTERS * N_PARAMS + i]);
	proto_triton_reset();
}

/* The body is appended; a bad extra_body fails with -EINVAL and leaves
 * the buffer as it was. */
static void test_append_and_bad_extra(void)
{
	static const char *const bad[] = {"[1]", "nope", "{\"a\":", "\"s\""};
	for (size_t a = 0; a < N_ADAPTERS; a++) {
		const struct proto_ops *o = adapters[a];
		struct buf b;
		buf_init(&b, 0);
		ASSERT_EQ(buf_puts(&b, "X"), 0);
		ASSERT_EQ(o->build_body(&params[1], &b), 0);
		ASSERT_TRUE(b.data[0] == 'X');
		ASSERT_STR_EQ(b.data + 1, golden[a * N_PARAMS + 1]);
		for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			struct proto_params p = params[0];
			p.extra_body = bad[k];
			buf_reset(&b);
			ASSERT_EQ(o->build_body(&p, &b), -EINVAL);
			ASSERT_EQ(b.len, 0);
		}
		buf_free(&b);
	}
}

int main(void)
{
	TEST_RUN(test_golden_bodies);
	TEST_RUN(test_golden_triton_configured);
	TEST_RUN(test_append_and_bad_extra);
	return TEST_DONE();
}
