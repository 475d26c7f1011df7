/* json_test.c - results JSON: write, parse back with jansson, check. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/version.h"
#include "core/xmalloc.h"
#include "results/json.h"
#include "results/summary.h"
#include "test.h"
#include "fixture.h"

static char dir[] = "/tmp/infbench-json-test-XXXXXX";

static double num(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_number(v)) {
		fprintf(stderr, "  key %s is not a number\n", k);
		return NAN;
	}
	return json_number_value(v);
}

static json_t *build(struct rec *r, struct summary *s, double slo_ttft,
		     const char *pcts, const char *metrics, json_t *meta)
{
	struct summary_config c;
	summary_config_init(&c);
	c.slo_ttft_s = slo_ttft;
	if (pcts && summary_config_set_pcts(&c, pcts))
		return NULL;
	if (metrics && summary_config_set_metrics(&c, metrics))
		return NULL;
	if (summary_compute(s, r, FIX_N, NULL, 2 * NS_PER_S, &c))
		return NULL;
	struct results_json_opts o;
	results_json_opts_init(&o);
	o.meta = meta;
	o.interrupted = 1;
	return results_json_build(s, r, FIX_N, &o);
}

static void test_round_trip(void)
{
	struct rec r[FIX_N];
	struct summary s, back;
	fix_build(r);
	/* a text with a broken UTF-8 byte must still give valid JSON */
	free(r[1].text);
	r[1].text = xstrdup("ok \xff end");
	r[1].text_len = strlen(r[1].text);
	json_t *meta = json_pack("{s:s, s:i}", "command", "infbench run -n 7",
				 "seed", 42);
	json_t *doc = build(r, &s, 0, "50,99,99.9", NULL, meta);
	json_decref(meta);
	ASSERT_TRUE(doc != NULL);
	char *path = xasprintf("%s/res.json", dir);
	ASSERT_EQ(results_json_write(path, doc), 0);
	json_decref(doc);
	/* no temp file left behind */
	char *tmpglob = xasprintf("ls %s | grep -c tmp >/dev/null", dir);
	ASSERT_TRUE(system(tmpglob) != 0);
	free(tmpglob);

	json_error_t je;
	json_t *d = json_load_file(path, 0, &je);
	ASSERT_TRUE(d != NULL);
	/* vLLM top-level keys */
	ASSERT_NEAR(num(d, "duration"), 2, 0);
	ASSERT_EQ(json_integer_value(json_object_get(d, "completed")), 3);
	ASSERT_EQ(json_integer_value(json_object_get(d, "failed")), 3);
	ASSERT_EQ(json_integer_value(json_object_get(d, "total_input_tokens")), 42);
	ASSERT_EQ(json_integer_value(json_object_get(d, "total_output_tokens")), 13);
	ASSERT_NEAR(num(d, "request_throughput"), 1.5, 1e-12);
	ASSERT_NEAR(num(d, "output_throughput"), 6.5, 1e-12);
	ASSERT_NEAR(num(d, "total_token_throughput"), 27.5, 1e-12);
	ASSERT_TRUE(json_is_null(json_object_get(d, "request_goodput")));
	ASSERT_NEAR(num(d, "max_output_tokens_per_s"), 8, 0);
	ASSERT_EQ(json_integer_value(json_object_get(d, "max_concurrent_requests")),
		  2);
	/* selected metrics only, vLLM key spelling */
	ASSERT_NEAR(num(d, "mean_ttft_ms"), 280.0 / 3, 1e-9);
	ASSERT_NEAR(num(d, "median_ttft_ms"), 100, 1e-9);
	ASSERT_TRUE(json_is_number(json_object_get(d, "std_tpot_ms")));
	ASSERT_NEAR(num(d, "p99_itl_ms"), 100, 1e-9);
	ASSERT_TRUE(json_is_number(json_object_get(d, "p99.9_itl_ms")));
	ASSERT_TRUE(json_is_number(json_object_get(d, "p50_ttft_ms")));
	ASSERT_TRUE(!json_object_get(d, "p99.0_ttft_ms"));
	ASSERT_TRUE(!json_object_get(d, "mean_e2el_ms")); /* not selected */
	/* per-request arrays: 6 measured records, failures as 0 / "" */
	json_t *ttfts = json_object_get(d, "ttfts");
	ASSERT_EQ(json_array_size(ttfts), 6);
	ASSERT_NEAR(json_real_value(json_array_get(ttfts, 0)), 0.1, 1e-12);
	ASSERT_NEAR(json_number_value(json_array_get(ttfts, 2)), 0, 0);
	json_t *itls = json_object_get(d, "itls");
	ASSERT_EQ(json_array_size(json_array_get(itls, 0)), 2);
	ASSERT_NEAR(json_real_value(json_array_get(json_array_get(itls, 1), 1)),
		    0.02, 1e-12);
	ASSERT_EQ(json_array_size(json_array_get(itls, 4)), 0); /* timeout */
	json_t *ol = json_object_get(d, "output_lens");
	ASSERT_EQ(json_integer_value(json_array_get(ol, 4)), 0);
	ASSERT_EQ(json_integer_value(json_array_get(ol, 3)), 3);
	json_t *errs = json_object_get(d, "errors");
	ASSERT_STR_EQ(json_string_value(json_array_get(errs, 0)), "");
	ASSERT_STR_EQ(json_string_value(json_array_get(errs, 2)),
		      "HTTP 503: overloaded, retry");
	ASSERT_STR_EQ(json_string_value(json_array_get(errs, 5)), "not_sent");
	json_t *tx = json_object_get(d, "generated_texts");
	ASSERT_STR_EQ(json_string_value(json_array_get(tx, 0)),
		      "hello, \"world\"\n");
	ASSERT_STR_EQ(json_string_value(json_array_get(tx, 1)),
		      "ok \xEF\xBF\xBD end");
	ASSERT_TRUE(json_is_null(json_array_get(json_object_get(d, "start_times"),
						5)));
	ASSERT_NEAR(json_number_value(json_array_get(
			    json_object_get(d, "queue_times"), 1)), 0.1, 1e-12);
	/* ours */
	ASSERT_EQ(json_integer_value(json_object_get(d, "schema_version")),
		  RESULTS_SCHEMA_VERSION);
	ASSERT_TRUE(json_is_true(json_object_get(d, "interrupted")));
	ASSERT_STR_EQ(json_string_value(json_object_get(d, "infbench_version")),
		      INFBENCH_VERSION);
	json_t *oc = json_object_get(d, "outcomes");
	ASSERT_EQ(json_integer_value(json_object_get(oc, "http_error")), 1);
	ASSERT_EQ(json_integer_value(json_object_get(oc, "timeout_total")), 1);
	ASSERT_EQ(json_integer_value(json_object_get(oc, "ok")), 3);
	json_t *run = json_object_get(d, "run");
	ASSERT_STR_EQ(json_string_value(json_object_get(run, "command")),
		      "infbench run -n 7");
	json_t *m = json_object_get(json_object_get(d, "metrics"), "e2el");
	ASSERT_EQ(json_integer_value(json_object_get(m, "n")), 3);
	ASSERT_NEAR(num(m, "max_ms"), 250, 1e-9);
	ASSERT_NEAR(num(json_object_get(m, "percentiles"), "p50_ms"), 220, 1e-9);
	json_t *co = json_object_get(d, "corrected");
	json_t *fi = json_object_get(co, "ttft_failures_inf");
	ASSERT_TRUE(json_is_null(json_object_get(fi, "p99_ms")));
	ASSERT_EQ(json_integer_value(json_object_get(fi, "n_inf")), 2);
	ASSERT_EQ(json_integer_value(json_object_get(
			  json_object_get(co, "itl_token_level"), "n")), 8);
	json_t *ci = json_object_get(json_object_get(d, "ci"), "ttft");
	ASSERT_TRUE(json_is_false(json_object_get(ci, "sufficient")));
	json_t *pc = json_object_get(d, "prompt_len_check");
	ASSERT_EQ(json_integer_value(json_object_get(pc, "n_differ")), 1);
	/* per-request records, warmup included */
	json_t *reqs = json_object_get(d, "requests");
	ASSERT_EQ(json_array_size(reqs), 7);
	json_t *r1 = json_array_get(reqs, 1);
	ASSERT_STR_EQ(json_string_value(json_object_get(r1, "out_tokens_source")),
		      "chunks");
	ASSERT_EQ(json_integer_value(json_object_get(r1, "out_tokens")), 5);
	ASSERT_TRUE(json_is_null(json_object_get(r1, "completion_tokens")));
	ASSERT_NEAR(num(r1, "t_arrival"), 0.1, 1e-12);
	ASSERT_NEAR(num(r1, "t_send"), 0.2, 1e-12);
	ASSERT_NEAR(num(r1, "ttft"), 0.1, 1e-12);
	json_t *ct = json_object_get(r1, "chunk_t");
	ASSERT_EQ(json_array_size(ct), 3);
	ASSERT_NEAR(json_real_value(json_array_get(ct, 2)), 0.22, 1e-12);
	ASSERT_EQ(json_integer_value(json_array_get(
			  json_object_get(r1, "chunk_tokens"), 1)), 3);
	json_t *r3 = json_array_get(reqs, 3);
	ASSERT_TRUE(json_is_true(json_object_get(r3, "warmup")));
	ASSERT_STR_EQ(json_string_value(json_object_get(
			      json_array_get(reqs, 6), "outcome")), "not_sent");
	json_decref(d);

	/* loader + summary-shaped read back */
	char err[256] = "";
	ASSERT_EQ(results_json_load(path, &d, err, sizeof(err)), 0);
	ASSERT_EQ(results_json_to_summary(d, &back, err, sizeof(err)), 0);
	ASSERT_EQ(back.completed, s.completed);
	ASSERT_EQ(back.failed, s.failed);
	ASSERT_EQ(back.n_warmup, 1);
	ASSERT_EQ(back.cfg.n_pcts, 3);
	ASSERT_EQ(back.outcomes[REC_TIMEOUT_TOTAL], 1);
	ASSERT_EQ(back.max_concurrent_requests, 2);
	for (int k = 0; k < SUMMARY__METRICS; k++) {
		ASSERT_EQ(back.m[k].n, s.m[k].n);
		ASSERT_NEAR(back.m[k].p99_s, s.m[k].p99_s, 1e-13);
		ASSERT_NEAR(back.m[k].mean_s, s.m[k].mean_s, 1e-13);
		ASSERT_NEAR(back.m[k].pct_s[2], s.m[k].pct_s[2], 1e-13);
	}
	ASSERT_TRUE(isinf(back.corr.e2el_fail_inf.p99_s));
	ASSERT_NEAR(back.corr.itl_token.mean_s, s.corr.itl_token.mean_s, 1e-13);
	ASSERT_EQ(back.corr.attempts, 5);
	ASSERT_EQ(back.prompt.max_abs_diff, 2);
	ASSERT_EQ(back.outlen.n_short, 1);
	summary_free(&back);
	json_decref(d);
	summary_free(&s);
	unlink(path);
	free(path);
	fix_free(r);
}

static void test_goodput_and_selection(void)
{
	struct rec r[FIX_N];
	struct summary s;
	fix_build(r);
	json_t *d = build(r, &s, 0.1, NULL, "e2el", NULL);
	ASSERT_TRUE(d != NULL);
	ASSERT_NEAR(num(d, "request_goodput"), 1.5, 1e-12); /* 3 good / 2 s */
	ASSERT_TRUE(json_is_number(json_object_get(d, "p99_e2el_ms")));
	ASSERT_TRUE(!json_object_get(d, "p99_ttft_ms"));
	ASSERT_TRUE(json_is_object(json_object_get(d, "run")));
	ASSERT_NEAR(num(json_object_get(d, "corrected"), "slo_attainment"), 0.6,
		    1e-12);
	json_decref(d);
	summary_free(&s);
	fix_free(r);
}

static void test_validate_rejects(void)
{
	struct rec r[FIX_N];
	struct summary s;
	char err[256];
	fix_build(r);
	json_t *d = build(r, &s, 0, NULL, NULL, NULL);
	ASSERT_EQ(results_json_validate(d, err, sizeof(err)), 0);
	json_array_remove(json_object_get(d, "ttfts"), 0);
	ASSERT_EQ(results_json_validate(d, err, sizeof(err)), -EINVAL);
	ASSERT_TRUE(strstr(err, "ttfts") != NULL);
	json_object_set_new(d, "schema_version", json_integer(99));
	ASSERT_EQ(results_json_validate(d, err, sizeof(err)), -EINVAL);
	ASSERT_TRUE(strstr(err, "schema_version") != NULL);
	json_decref(d);
	d = json_pack("{s:i}", "duration", 1);
	ASSERT_EQ(results_json_validate(d, err, sizeof(err)), -EINVAL);
	json_decref(d);
	/* a non-JSON file and a missing one */
	char *path = xasprintf("%s/bad.json", dir);
	FILE *f = fopen(path, "w");
	fputs("{\"duration\": ", f);
	fclose(f);
	ASSERT_EQ(results_json_load(path, &d, err, sizeof(err)), -EINVAL);
	ASSERT_TRUE(d == NULL);
	unlink(path);
	ASSERT_EQ(results_json_load(path, &d, err, sizeof(err)), -ENOENT);
	free(path);
	/* writing into a missing directory fails cleanly */
	json_t *x = json_object();
	ASSERT_EQ(results_json_write("/nonexistent-dir/x.json", x), -ENOENT);
	json_decref(x);
	summary_free(&s);
	fix_free(r);
}

static void test_mismatch(void)
{
	struct rec r[FIX_N];
	struct summary s;
	fix_build(r);
	json_t *d = build(r, &s, 0, NULL, NULL, NULL);
	json_decref(d);
	struct results_json_opts o;
	results_json_opts_init(&o);
	ASSERT_TRUE(results_json_build(&s, r, FIX_N - 1, &o) == NULL);
	summary_free(&s);
	fix_free(r);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	TEST_RUN(test_round_trip);
	TEST_RUN(test_goodput_and_selection);
	TEST_RUN(test_validate_rejects);
	TEST_RUN(test_mismatch);
	rmdir(dir);
	return TEST_DONE();
}
