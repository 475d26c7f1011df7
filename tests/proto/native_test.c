/* native_test.c - the native-route adapters (sglang.c, lmdeploy.c,
 * triton.c, llamacpp.c, ollama.c) on fixtures of the shapes protocols.md
 * §4-§8 describe, fed through the SSE/NDJSON parsers in random splits:
 * cumulative counts -> exact deltas, coalesced chunks, end markers, errors
 * under 200, server timings, request bodies. */
#include <jansson.h>
#include <math.h>

#include "feed.h"

/* SGLang default: cumulative text/output_ids/completion_tokens; the
 * second chunk coalesces three tokens; [DONE] ends it. */
static const char sglang_stream[] =
	"data: {\"text\":\" The\",\"output_ids\":[450],\"meta_info\":{\"id\":"
	"\"a1\",\"finish_reason\":null,\"prompt_tokens\":7,"
	"\"completion_tokens\":1,\"cached_tokens\":0}}\n\n"
	"data: {\"text\":\" The quick brown fox\",\"output_ids\":[450,4996,"
	"17354,1701],\"meta_info\":{\"id\":\"a1\",\"finish_reason\":null,"
	"\"prompt_tokens\":7,\"completion_tokens\":4,\"cached_tokens\":0}}\n\n"
	"data: {\"text\":\" The quick brown fox jum\\u00e9\",\"output_ids\":"
	"[450,4996,17354,1701,432],\"meta_info\":{\"id\":\"a1\","
	"\"finish_reason\":{\"type\":\"length\",\"length\":5},"
	"\"prompt_tokens\":7,\"completion_tokens\":5,\"cached_tokens\":0,"
	"\"e2e_latency\":0.12}}\n\n"
	"data: [DONE]\n\n";

static void test_sglang_cumulative(void)
{
	struct feed_sum s;
	feed_all_splits(&proto_sglang_generate, sglang_stream, &s);
	ASSERT_EQ(s.n_token, 3);
	ASSERT_STR_EQ(s.deltas, "1,3,1");
	ASSERT_EQ(s.tokens, 5);
	ASSERT_EQ(s.completion, 5);
	ASSERT_EQ(s.prompt, 7);
	ASSERT_EQ(s.n_done, 1);
	ASSERT_TRUE(s.finished);
	ASSERT_STR_EQ(s.text.data, " The quick brown fox jum\xc3\xa9");
	ASSERT_TRUE(proto_sglang_generate.complete(&s.st));
	buf_free(&s.text);
}

/* --incremental-streaming-output: ids and text are deltas, the count is
 * still cumulative; a trailing chunk repeating the count adds nothing. */
static void test_sglang_incremental_and_errors(void)
{
	struct feed_sum s;
	feed_all_splits(
		&proto_sglang_generate,
		"data: {\"text\":\" a b\",\"output_ids\":[1,2],\"meta_info\":"
		"{\"finish_reason\":null,\"prompt_tokens\":3,"
		"\"completion_tokens\":2}}\n\n"
		"data: {\"text\":\" c\",\"output_ids\":[3],\"meta_info\":"
		"{\"finish_reason\":null,\"prompt_tokens\":3,"
		"\"completion_tokens\":3}}\n\n"
		"data: {\"text\":\"\",\"output_ids\":[],\"meta_info\":"
		"{\"finish_reason\":{\"type\":\"stop\"},\"prompt_tokens\":3,"
		"\"completion_tokens\":3}}\n\n",
		&s);
	ASSERT_STR_EQ(s.deltas, "2,1");
	ASSERT_EQ(s.n_usage, 1); /* the no-token final chunk */
	ASSERT_STR_EQ(s.text.data, " a b c");
	ASSERT_TRUE(proto_sglang_generate.complete(&s.st)); /* finish seen */
	buf_free(&s.text);

	feed_all_splits(&proto_sglang_generate,
			"data: {\"error\":{\"message\":\"boom\"}}\n\n"
			"data: [DONE]\n\n",
			&s);
	ASSERT_EQ(s.n_error, 1);
	ASSERT_TRUE(strstr(s.error, "boom") != NULL);
	buf_free(&s.text);
	feed_all_splits(&proto_sglang_generate,
			"data: {\"object\":\"error\",\"message\":\"queue full\","
			"\"type\":\"x\",\"param\":null,\"code\":503}\n\n"
			"data: {\"text\":\"x\"}\n\n",
			&s);
	ASSERT_EQ(s.n_error, 1);
	ASSERT_EQ(s.n_bad, 1); /* no meta_info */
	buf_free(&s.text);
}

static void test_lmdeploy(void)
{
	struct feed_sum s;
	feed_all_splits(
		&proto_lmdeploy_generate,
		"data: {\"text\":\" the\",\"output_ids\":[10],\"meta_info\":"
		"{\"finish_reason\":null,\"prompt_tokens\":11,"
		"\"completion_tokens\":1}}\n\n"
		"data: {\"text\":\" quick brown fox\",\"output_ids\":[11,12,13],"
		"\"meta_info\":{\"finish_reason\":null,\"prompt_tokens\":11,"
		"\"completion_tokens\":4}}\n\n"
		"data: {\"text\":\" over\",\"output_ids\":[14],\"meta_info\":"
		"{\"finish_reason\":{\"type\":\"length\"},\"prompt_tokens\":11,"
		"\"completion_tokens\":5}}\n\n"
		"data: [DONE]\n\n",
		&s);
	ASSERT_STR_EQ(s.deltas, "1,3,1");
	ASSERT_EQ(s.completion, 5);
	ASSERT_EQ(s.prompt, 11);
	ASSERT_STR_EQ(s.text.data, " the quick brown fox over");
	ASSERT_TRUE(proto_lmdeploy_generate.complete(&s.st));
	buf_free(&s.text);
	/* Truncated: no finish, no [DONE]. */
	feed_all_splits(&proto_lmdeploy_generate,
			"data: {\"text\":\"a\",\"output_ids\":[1],\"meta_info\":"
			"{\"finish_reason\":null,\"completion_tokens\":1}}\n\n",
			&s);
	ASSERT_TRUE(!proto_lmdeploy_generate.complete(&s.st));
	buf_free(&s.text);
}

static void test_triton(void)
{
	struct feed_sum s;
	proto_triton_reset();
	feed_all_splits(
		&proto_triton,
		"data: {\"model_name\":\"ensemble\",\"model_version\":\"1\","
		"\"num_input_tokens\":12,\"num_output_tokens\":1,"
		"\"text_output\":\" the\"}\n\n"
		"data: {\"model_name\":\"ensemble\",\"model_version\":\"1\","
		"\"num_input_tokens\":12,\"num_output_tokens\":4,"
		"\"text_output\":\" a b c d\"}\n\n"
		"data: {\"model_name\":\"ensemble\",\"model_version\":\"1\","
		"\"num_input_tokens\":12,\"num_output_tokens\":0,"
		"\"text_output\":\"\"}\n\n",
		&s);
	ASSERT_STR_EQ(s.deltas, "1,4");
	ASSERT_EQ(s.tokens, 5);
	ASSERT_EQ(s.n_usage, 1);
	ASSERT_EQ(s.prompt, 12);
	ASSERT_TRUE(proto_triton.complete(&s.st)); /* no end marker exists */
	buf_free(&s.text);
	feed_all_splits(&proto_triton,
			"data: {\"model_name\":\"e\",\"text_output\":\"x\"}\n\n"
			"data: {\"error\":\"in-flight batcher: out of KV\"}\n\n",
			&s);
	ASSERT_STR_EQ(s.deltas, "-1"); /* no num_output_tokens: unknown */
	ASSERT_EQ(s.n_error, 1);
	ASSERT_TRUE(strstr(s.error, "out of KV") != NULL);
	buf_free(&s.text);
}

static json_t *body(const struct proto_ops *o, const struct proto_params *p)
{
	struct buf b;
	json_error_t je;
	buf_init(&b, 0);
	ASSERT_EQ(o->build_body(p, &b), 0);
	json_t *j = json_loads(b.data, 0, &je);
	buf_free(&b);
	ASSERT_TRUE(j != NULL);
	return j;
}

#define JI(j, k) json_integer_value(json_object_get((j), (k)))

static void test_triton_config(void)
{
	struct proto_params p = {.model = "ensemble", .prompt = "hi",
				 .max_tokens = 64, .ignore_eos = 1,
				 .temperature = NAN};
	proto_triton_reset();
	json_t *j = body(&proto_triton, &p);
	ASSERT_STR_EQ(json_string_value(json_object_get(j, "text_input")),
		      "hi");
	ASSERT_EQ(JI(j, "max_tokens"), 64);
	ASSERT_EQ(JI(j, "min_tokens"), 64); /* forces the length */
	ASSERT_TRUE(json_is_true(json_object_get(j, "stream")));
	ASSERT_TRUE(json_is_true(json_object_get(j,
						 "return_num_output_tokens")));
	json_decref(j);

	/* An older backend: other input names, no min/count inputs. */
	static const char cfg[] =
		"{\"name\":\"ensemble\",\"input\":[{\"name\":\"prompt\","
		"\"data_type\":\"TYPE_STRING\"},{\"name\":\"request_output_len\","
		"\"data_type\":\"TYPE_INT32\"},{\"name\":\"streaming\"}],"
		"\"output\":[{\"name\":\"output\"}]}";
	int force = -1, exact = -1;
	char why[128];
	ASSERT_EQ(proto_triton_configure(cfg, strlen(cfg), &force, &exact, why,
					 sizeof(why)),
		  0);
	ASSERT_EQ(force, 0);
	ASSERT_EQ(exact, 0);
	j = body(&proto_triton, &p);
	ASSERT_STR_EQ(json_string_value(json_object_get(j, "prompt")), "hi");
	ASSERT_EQ(JI(j, "request_output_len"), 64);
	ASSERT_TRUE(json_object_get(j, "min_tokens") == NULL);
	ASSERT_TRUE(json_object_get(j, "return_num_output_tokens") == NULL);
	ASSERT_TRUE(json_is_true(json_object_get(j, "streaming")));
	json_decref(j);
	struct feed_sum s;
	feed_all_splits(&proto_triton, "data: {\"output\":\" ab\"}\n\n", &s);
	ASSERT_EQ(s.n_token, 1);
	ASSERT_STR_EQ(s.text.data, " ab");
	buf_free(&s.text);
	ASSERT_TRUE(proto_triton_configure("{\"input\":[]}", 12, &force,
					   &exact, why, sizeof(why)) < 0);
	ASSERT_TRUE(proto_triton_configure("nope", 4, &force, &exact, why,
					   sizeof(why)) < 0);
	proto_triton_reset();
	char *route = proto_route(&proto_triton, "ensemble");
	ASSERT_STR_EQ(route, "/v2/models/ensemble/generate_stream");
	free(route);
}

static void test_llamacpp(void)
{
	struct feed_sum s;
	feed_all_splits(
		&proto_llamacpp,
		"data: {\"index\":0,\"content\":\" the\",\"tokens\":[],"
		"\"stop\":false,\"id_slot\":0,\"tokens_predicted\":1,"
		"\"tokens_evaluated\":9}\n\n"
		"data: {\"index\":0,\"content\":\" a b c d\",\"tokens\":[],"
		"\"stop\":false,\"id_slot\":0,\"tokens_predicted\":5,"
		"\"tokens_evaluated\":9}\n\n"
		"data: {\"index\":0,\"content\":\"\",\"tokens\":[],\"id_slot\":0,"
		"\"stop\":true,\"model\":\"m\",\"tokens_predicted\":5,"
		"\"tokens_evaluated\":9,\"stop_type\":\"limit\","
		"\"tokens_cached\":13,\"timings\":{\"cache_n\":4,\"prompt_n\":5,"
		"\"prompt_ms\":12.5,\"predicted_n\":5,\"predicted_ms\":50.25,"
		"\"predicted_per_second\":99.5}}\n\n",
		&s);
	ASSERT_STR_EQ(s.deltas, "1,4");
	ASSERT_EQ(s.completion, 5);
	ASSERT_EQ(s.prompt, 9); /* tokens_evaluated, not timings.prompt_n */
	ASSERT_EQ(s.n_usage, 1);
	ASSERT_EQ(s.n_done, 0);
	ASSERT_TRUE(proto_llamacpp.complete(&s.st));
	ASSERT_EQ(s.st.srv_prompt_ns, 12500000);
	ASSERT_EQ(s.st.srv_decode_ns, 50250000);
	buf_free(&s.text);
	/* A mid-stream error closes the stream without [DONE] or stop. */
	feed_all_splits(&proto_llamacpp,
			"data: {\"content\":\"x\",\"stop\":false,"
			"\"tokens_predicted\":1}\n\n"
			"data: {\"error\":{\"code\":500,\"message\":\"slot "
			"died\",\"type\":\"server_error\"}}\n\n",
			&s);
	ASSERT_EQ(s.n_error, 1);
	ASSERT_TRUE(strstr(s.error, "slot died") && strstr(s.error, "500"));
	ASSERT_TRUE(!proto_llamacpp.complete(&s.st));
	buf_free(&s.text);
}

static void test_ollama(void)
{
	struct feed_sum s;
	feed_all_splits(
		&proto_ollama,
		"{\"model\":\"llama3\",\"created_at\":\"2025-01-02T03:04:05."
		"1Z\",\"response\":\"The\",\"done\":false}\n"
		"{\"model\":\"llama3\",\"created_at\":\"2025-01-02T03:04:05."
		"2Z\",\"response\":\" sky\",\"done\":false}\r\n"
		"\n"
		"{\"model\":\"llama3\",\"created_at\":\"2025-01-02T03:04:05."
		"3Z\",\"response\":\"\",\"done\":true,\"done_reason\":\"length\","
		"\"total_duration\":5191566416,\"load_duration\":2154458,"
		"\"prompt_eval_count\":26,\"prompt_eval_duration\":383809000,"
		"\"eval_count\":3,\"eval_duration\":4799921000}\n",
		&s);
	ASSERT_EQ(s.n_token, 2);
	ASSERT_EQ(s.n_unknown, 2); /* lines are not tokens */
	ASSERT_EQ(s.completion, 3);
	ASSERT_EQ(s.prompt, 26);
	ASSERT_STR_EQ(s.text.data, "The sky");
	ASSERT_TRUE(proto_ollama.complete(&s.st));
	ASSERT_EQ(s.st.srv_total_ns, 5191566416LL);
	ASSERT_EQ(s.st.srv_load_ns, 2154458);
	ASSERT_EQ(s.st.srv_prompt_ns, 383809000);
	ASSERT_EQ(s.st.srv_decode_ns, 4799921000LL);
	buf_free(&s.text);
	feed_all_splits(&proto_ollama,
			"{\"model\":\"m\",\"response\":\"a\",\"done\":false}\n"
			"{\"error\":\"an error was encountered while running "
			"the model\"}\n",
			&s);
	ASSERT_EQ(s.n_error, 1);
	ASSERT_TRUE(!proto_ollama.complete(&s.st));
	buf_free(&s.text);
	/* Unterminated last line is still read (ndjson_finish). */
	feed_all_splits(&proto_ollama,
			"{\"response\":\"\",\"done\":true,\"eval_count\":7}", &s);
	ASSERT_EQ(s.completion, 7);
	ASSERT_TRUE(proto_ollama.complete(&s.st));
	buf_free(&s.text);
}

static void test_native_bodies(void)
{
	struct proto_params p = {.model = "m", .prompt = "hi there",
				 .max_tokens = 32, .ignore_eos = 1,
				 .min_tokens = 1, .temperature = 0.5,
				 .extra_body = "{\"seed\":3}"};
	json_t *j = body(&proto_sglang_generate, &p);
	json_t *sp = json_object_get(j, "sampling_params");
	ASSERT_STR_EQ(json_string_value(json_object_get(j, "text")),
		      "hi there");
	ASSERT_EQ(JI(sp, "max_new_tokens"), 32);
	ASSERT_EQ(JI(sp, "min_new_tokens"), 32);
	ASSERT_TRUE(json_is_true(json_object_get(sp, "ignore_eos")));
	ASSERT_EQ(JI(j, "seed"), 3);
	json_decref(j);

	j = body(&proto_lmdeploy_generate, &p);
	ASSERT_EQ(JI(j, "max_tokens"), 32);
	ASSERT_TRUE(json_is_true(json_object_get(j, "ignore_eos")));
	ASSERT_TRUE(json_is_true(json_object_get(j, "stream")));
	json_decref(j);

	j = body(&proto_llamacpp, &p);
	ASSERT_EQ(JI(j, "n_predict"), 32);
	ASSERT_TRUE(json_is_true(json_object_get(j, "ignore_eos")));
	ASSERT_TRUE(json_is_true(json_object_get(j, "cache_prompt")));
	json_decref(j);

	j = body(&proto_ollama, &p);
	ASSERT_EQ(JI(json_object_get(j, "options"), "num_predict"), 32);
	ASSERT_TRUE(json_is_true(json_object_get(j, "raw")));
	ASSERT_TRUE(json_object_get(j, "ignore_eos") == NULL);
	ASSERT_STR_EQ(json_string_value(json_object_get(j, "model")), "m");
	json_decref(j);
	ASSERT_TRUE(!proto_ollama.force_len && !proto_tgi.force_len);
	ASSERT_TRUE(proto_ollama.ndjson && !proto_llamacpp.ndjson);
}

int main(void)
{
	TEST_RUN(test_sglang_cumulative);
	TEST_RUN(test_sglang_incremental_and_errors);
	TEST_RUN(test_lmdeploy);
	TEST_RUN(test_triton);
	TEST_RUN(test_triton_config);
	TEST_RUN(test_llamacpp);
	TEST_RUN(test_ollama);
	TEST_RUN(test_native_bodies);
	return TEST_DONE();
}
