/* srvmetrics_test.c - per-server names onto common series. */
#include <math.h>

#include "prom_fixtures.h"
#include "telemetry/prom.h"
#include "telemetry/srvmetrics.h"
#include "test.h"

/* Feeds one scrape body through prom + srvm. */
static void scrape_text(struct srvm *m, const char *text, int64_t t,
			struct srvm_sample *out, double *raw)
{
	struct prom_parser p;
	prom_init(&p);
	srvm_begin(m);
	prom_feed(&p, text, strlen(text), srvm_prom_cb, m);
	prom_finish(&p, srvm_prom_cb, m);
	srvm_end(m, t, out, raw);
	prom_free(&p);
}

static void test_vllm_v1_sums_engines(void)
{
	struct srvm m;
	srvm_init(&m, SRVM_AUTO, 0);
	struct srvm_sample s;
	scrape_text(&m, FX_VLLM_V1, 42, &s, NULL);
	ASSERT_EQ(m.flavour, SRVM_VLLM);
	ASSERT_EQ(s.t_ns, 42);
	ASSERT_NEAR(s.running, 21, 1e-12);
	ASSERT_NEAR(s.waiting, 4, 1e-12);
	/* V1 name wins over the dual-emitted V0 one; averaged over engines */
	ASSERT_NEAR(s.kv_usage, 0.30, 1e-12);
	ASSERT_NEAR(s.preemptions, 5, 1e-12);
	ASSERT_NEAR(s.batch, 21, 1e-12);
	ASSERT_NEAR(s.prompt_tok, 153600, 1e-9);
	ASSERT_NEAR(s.gen_tok, 30000, 1e-9);
	ASSERT_NEAR(s.kv_pool_tok, 2 * 27000 * 16, 1e-9);
	ASSERT_EQ(srvm_raw_active(&m), 0);
	ASSERT_EQ(m.raw.n, 0);
	srvm_free(&m);
}

static void test_vllm_v0_names(void)
{
	struct srvm m;
	srvm_init(&m, SRVM_AUTO, 0);
	struct srvm_sample s;
	scrape_text(&m, FX_VLLM_V0, 1, &s, NULL);
	ASSERT_EQ(m.flavour, SRVM_VLLM);
	ASSERT_NEAR(s.running, 5, 1e-12);
	ASSERT_NEAR(s.waiting, 2, 1e-12);
	ASSERT_NEAR(s.kv_usage, 0.6, 1e-12);
	ASSERT_NEAR(s.preemptions, 7, 1e-12);
	ASSERT_TRUE(isnan(s.prompt_tok));
	ASSERT_TRUE(isnan(s.kv_pool_tok));
	srvm_free(&m);
}

static void test_tgi_ratio(void)
{
	struct srvm m;
	srvm_init(&m, SRVM_AUTO, 0);
	struct srvm_sample s;
	scrape_text(&m, FX_TGI, 1, &s, NULL);
	ASSERT_EQ(m.flavour, SRVM_TGI);
	ASSERT_NEAR(s.running, 8, 1e-12);
	ASSERT_NEAR(s.batch, 8, 1e-12);
	ASSERT_NEAR(s.waiting, 5, 1e-12);
	ASSERT_NEAR(s.kv_usage, 0.25, 1e-12);
	ASSERT_NEAR(s.kv_pool_tok, 24000, 1e-9);
	ASSERT_TRUE(isnan(s.preemptions)); /* TGI never preempts */
	ASSERT_NEAR(s.prompt_tok, 61440, 1e-9);
	ASSERT_NEAR(s.gen_tok, 15360, 1e-9);
	srvm_free(&m);
}

static void test_sglang(void)
{
	struct srvm m;
	srvm_init(&m, SRVM_AUTO, 0);
	struct srvm_sample s;
	scrape_text(&m, FX_SGLANG, 1, &s, NULL);
	ASSERT_EQ(m.flavour, SRVM_SGLANG);
	ASSERT_NEAR(s.running, 16, 1e-12);
	ASSERT_NEAR(s.waiting, 4, 1e-12);
	ASSERT_NEAR(s.kv_usage, 0.42, 1e-12);
	ASSERT_NEAR(s.preemptions, 2, 1e-12);
	ASSERT_NEAR(s.kv_pool_tok, 400000, 1e-9);
	ASSERT_NEAR(s.prompt_tok, 5000, 1e-9);
	ASSERT_NEAR(s.gen_tok, 7000, 1e-9);
	srvm_free(&m);
}

static void test_llamacpp(void)
{
	struct srvm m;
	srvm_init(&m, SRVM_AUTO, 0);
	struct srvm_sample s;
	scrape_text(&m, FX_LLAMACPP, 1, &s, NULL);
	ASSERT_EQ(m.flavour, SRVM_LLAMACPP);
	ASSERT_NEAR(s.running, 4, 1e-12);
	ASSERT_NEAR(s.waiting, 2, 1e-12);
	ASSERT_NEAR(s.batch, 3.86, 1e-12);
	ASSERT_TRUE(isnan(s.kv_usage)); /* removed by PR #13660 */
	ASSERT_NEAR(s.prompt_tok, 4096, 1e-9);
	ASSERT_NEAR(s.gen_tok, 2048, 1e-9);
	srvm_free(&m);
}

static void test_triton(void)
{
	struct srvm m;
	srvm_init(&m, SRVM_AUTO, 0);
	struct srvm_sample s;
	scrape_text(&m, FX_TRITON, 1, &s, NULL);
	ASSERT_EQ(m.flavour, SRVM_TRITON_TRTLLM);
	ASSERT_NEAR(s.running, 10, 1e-12);
	ASSERT_NEAR(s.batch, 10, 1e-12);
	ASSERT_NEAR(s.waiting, 3, 1e-12);
	ASSERT_NEAR(s.kv_usage, 0.5, 1e-12);
	ASSERT_NEAR(s.kv_pool_tok, 4096 * 64, 1e-9);
	srvm_free(&m);

	/* without the fraction series: used / max */
	static const char nofrac[] =
		"nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"max\",model=\"t\",version=\"1\"} 400\n"
		"nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"used\",model=\"t\",version=\"1\"} 100\n";
	srvm_init(&m, SRVM_AUTO, 0);
	scrape_text(&m, nofrac, 1, &s, NULL);
	ASSERT_NEAR(s.kv_usage, 0.25, 1e-12);
	ASSERT_TRUE(isnan(s.kv_pool_tok));
	srvm_free(&m);
}

static void test_trtllm_serve_and_lmdeploy(void)
{
	struct srvm m;
	srvm_init(&m, SRVM_AUTO, 0);
	struct srvm_sample s;
	scrape_text(&m, FX_TRTLLM_SERVE, 1, &s, NULL);
	ASSERT_EQ(m.flavour, SRVM_TRTLLM_SERVE);
	ASSERT_NEAR(s.running, 7, 1e-12);
	ASSERT_NEAR(s.waiting, 2, 1e-12);
	ASSERT_NEAR(s.kv_usage, 0.3, 1e-12);
	ASSERT_NEAR(s.kv_pool_tok, 32000, 1e-9);
	srvm_free(&m);

	srvm_init(&m, SRVM_AUTO, 0);
	scrape_text(&m, FX_LMDEPLOY, 1, &s, NULL);
	ASSERT_EQ(m.flavour, SRVM_LMDEPLOY);
	ASSERT_NEAR(s.running, 6, 1e-12);
	ASSERT_NEAR(s.waiting, 1, 1e-12);
	ASSERT_NEAR(s.kv_usage, 0.7, 1e-12);
	ASSERT_NEAR(s.prompt_tok, 900, 1e-9);
	ASSERT_NEAR(s.gen_tok, 1200, 1e-9);
	srvm_free(&m);
}

static void test_unknown_keeps_raw(void)
{
	static const char txt[] =
		"# TYPE my_queue gauge\n"
		"my_queue{shard=\"a\"} 3\n"
		"my_queue{shard=\"b\",note=\"q\\\"x\"} 4\n"
		"# TYPE lat histogram\n"
		"lat_bucket{le=\"1\"} 2\n"
		"lat_sum 1.5\n"
		"lat_count 2\n";
	struct srvm m;
	srvm_init(&m, SRVM_AUTO, 0);
	struct srvm_sample s;
	double raw[SRVM_MAX_RAW];
	scrape_text(&m, txt, 5, &s, raw);
	ASSERT_EQ(m.flavour, SRVM_UNKNOWN);
	ASSERT_TRUE(isnan(s.running) && isnan(s.kv_usage));
	ASSERT_EQ(srvm_raw_active(&m), 1);
	ASSERT_EQ(m.raw.n, 4); /* buckets are not kept */
	ASSERT_STR_EQ(m.raw.keys[0], "my_queue{shard=\"a\"}");
	ASSERT_STR_EQ(m.raw.keys[1], "my_queue{shard=\"b\",note=\"q\\\"x\"}");
	ASSERT_STR_EQ(m.raw.keys[2], "lat_sum");
	ASSERT_NEAR(raw[0], 3, 0);
	ASSERT_NEAR(raw[1], 4, 0);
	ASSERT_NEAR(raw[3], 2, 0);
	/* next scrape lacks shard b: NaN in its column, same indices */
	scrape_text(&m, "my_queue{shard=\"a\"} 9\nnew_one 1\n", 6, &s, raw);
	ASSERT_EQ(m.raw.n, 5);
	ASSERT_NEAR(raw[0], 9, 0);
	ASSERT_TRUE(isnan(raw[1]));
	ASSERT_NEAR(raw[4], 1, 0);
	srvm_free(&m);
}

/* A recognised server on the first scrape drops the raw table; forcing a
 * flavour maps even with no hits; keep_raw keeps raw for known servers. */
static void test_forced_and_keep_raw(void)
{
	struct srvm m;
	struct srvm_sample s;
	double raw[SRVM_MAX_RAW];
	srvm_init(&m, SRVM_TGI, 0);
	scrape_text(&m, FX_VLLM_V1, 1, &s, raw);
	ASSERT_EQ(m.flavour, SRVM_TGI);
	ASSERT_TRUE(isnan(s.running)); /* vLLM names are not TGI's */
	srvm_free(&m);

	srvm_init(&m, SRVM_AUTO, 1);
	scrape_text(&m, FX_SGLANG, 1, &s, raw);
	ASSERT_EQ(m.flavour, SRVM_SGLANG);
	ASSERT_EQ(srvm_raw_active(&m), 1);
	ASSERT_EQ(m.raw.n, 9); /* 11 samples minus 2 buckets */
	ASSERT_NEAR(s.running, 16, 0);
	srvm_free(&m);
}

static void test_flavour_names(void)
{
	for (int f = 0; f < SRVM__COUNT; f++)
		ASSERT_EQ(srvm_flavour_parse(srvm_flavour_name(f)), f);
	ASSERT_EQ(srvm_flavour_parse("nope"), -1);
}

int main(void)
{
	TEST_RUN(test_vllm_v1_sums_engines);
	TEST_RUN(test_vllm_v0_names);
	TEST_RUN(test_tgi_ratio);
	TEST_RUN(test_sglang);
	TEST_RUN(test_llamacpp);
	TEST_RUN(test_triton);
	TEST_RUN(test_trtllm_serve_and_lmdeploy);
	TEST_RUN(test_unknown_keeps_raw);
	TEST_RUN(test_forced_and_keep_raw);
	TEST_RUN(test_flavour_names);
	return TEST_DONE();
}
