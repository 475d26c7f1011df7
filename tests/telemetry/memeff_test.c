/* memeff_test.c - memory-efficiency arithmetic, incl. the flat-memory case. */
#include <errno.h>
#include <math.h>

#include "telemetry/memeff.h"
#include "test.h"

#define GIB 1073741824.0

/* A server that grows memory with load (llama.cpp-like, no prealloc):
 * idle 16 GiB (weights 15.2 GB given + context), peak 24 GiB. */
static void test_growing_memory(void)
{
	static const double kv[] = {0.1, 0.3, NAN, 0.5};
	struct memeff_in in;
	memeff_in_init(&in);
	in.weights_bytes = 15.2e9;
	in.overhead_bytes = 0.8 * GIB;
	in.idle_used_bytes = 16 * GIB;
	in.used_peak_bytes = 24 * GIB;
	in.used_mean_bytes = 20 * GIB;
	in.kv_usage = kv;
	in.n_kv_usage = 4;
	in.pool_tokens = 100000;
	in.kv_bytes_per_token = 57344;
	in.out_tok_s = 2000;
	in.in_len = 1000;
	in.out_len = 250;
	in.block_tokens = 16;
	struct memeff_out o;
	ASSERT_EQ(memeff_compute(&in, &o), 0);
	ASSERT_STR_EQ(o.weights_src, "given");
	ASSERT_EQ(o.flat_prealloc, 0);
	ASSERT_STR_EQ(o.explain, "");
	double alloc = 24 * GIB - 15.2e9 - 0.8 * GIB;
	ASSERT_NEAR(o.kv_alloc_bytes, alloc, 1);
	ASSERT_NEAR(o.kv_alloc_mean_bytes, 20 * GIB - 15.2e9 - 0.8 * GIB, 1);
	ASSERT_NEAR(o.pool_bytes, 100000 * 57344.0, 1e-3);
	ASSERT_NEAR(o.kv_usage_mean, 0.3, 1e-12);
	ASSERT_NEAR(o.kv_usage_peak, 0.5, 1e-12);
	ASSERT_NEAR(o.kv_used_mean_bytes, 0.3 * 100000 * 57344.0, 1e-3);
	ASSERT_NEAR(o.kv_used_peak_bytes, 0.5 * 100000 * 57344.0, 1e-3);
	ASSERT_NEAR(o.naive_tok_s_per_gb, 2000 / (24 * GIB / 1e9), 1e-9);
	ASSERT_NEAR(o.tok_s_per_gb_alloc, 2000 / (alloc / 1e9), 1e-9);
	ASSERT_NEAR(o.tok_s_per_gb_used,
		    2000 / (0.3 * 100000 * 57344.0 / 1e9), 1e-9);
	ASSERT_NEAR(o.per_req_tokens, 1264, 0); /* ceil(1250/16)*16 */
	ASSERT_NEAR(o.max_concurrency, 79, 0);  /* floor(100000/1264) */
	json_t *j = memeff_to_json(&o);
	ASSERT_TRUE(json_is_false(json_object_get(j, "flat_prealloc")));
	ASSERT_TRUE(json_object_get(j, "explain") == NULL);
	json_decref(j);
}

/* vLLM-like: 90 % of an 80 GiB card reserved at start-up; memory flat. */
static void test_flat_preallocated(void)
{
	static const double kv[] = {0.02, 0.04, 0.06};
	struct memeff_in in;
	memeff_in_init(&in);
	in.params = 7.62e9;
	in.dtype_bytes = 2;
	in.idle_used_bytes = 72.0 * GIB;
	in.used_peak_bytes = 72.1 * GIB;
	in.used_mean_bytes = 72.05 * GIB;
	in.kv_usage = kv;
	in.n_kv_usage = 3;
	in.kv_bytes_per_token = 57344;
	in.out_tok_s = 2341;
	in.in_len = 200;
	in.out_len = 256;
	in.block_tokens = 16;
	struct memeff_out o;
	ASSERT_EQ(memeff_compute(&in, &o), 0);
	ASSERT_STR_EQ(o.weights_src, "params");
	ASSERT_NEAR(o.weights_bytes, 15.24e9, 1);
	ASSERT_NEAR(o.overhead_bytes, MEMEFF_DEFAULT_OVERHEAD_BYTES, 0);
	ASSERT_EQ(o.flat_prealloc, 1);
	double alloc = 72.1 * GIB - 15.24e9 - GIB;
	ASSERT_NEAR(o.kv_alloc_bytes, alloc, 1);
	/* no pool size given: the reservation is the pool */
	ASSERT_NEAR(o.pool_bytes, alloc, 1);
	ASSERT_NEAR(o.pool_tokens, alloc / 57344, 1e-6);
	ASSERT_NEAR(o.kv_used_mean_bytes, 0.04 * alloc, 1);
	ASSERT_TRUE(o.tok_s_per_gb_used > 20 * o.tok_s_per_gb_alloc);
	ASSERT_NEAR(o.max_concurrency, floor(alloc / 57344 / 464), 0);
	ASSERT_TRUE(strstr(o.explain, "flat") != NULL);
	ASSERT_TRUE(strstr(o.explain, "reserv") != NULL);
	json_t *j = memeff_to_json(&o);
	ASSERT_TRUE(json_is_true(json_object_get(j, "flat_prealloc")));
	ASSERT_TRUE(json_is_string(json_object_get(j, "explain")));
	json_decref(j);
}

/* Weights from the idle baseline + flat memory: peak - idle says nothing,
 * so KV allocated is not derivable (NaN) rather than ~0. */
static void test_idle_baseline_weights(void)
{
	static const double kv[] = {0.5};
	struct memeff_in in;
	memeff_in_init(&in);
	in.idle_used_bytes = 70 * GIB;
	in.used_peak_bytes = 70 * GIB;
	in.kv_usage = kv;
	in.n_kv_usage = 1;
	in.pool_tokens = 1000;
	in.out_tok_s = 10;
	struct memeff_out o;
	ASSERT_EQ(memeff_compute(&in, &o), 0);
	ASSERT_STR_EQ(o.weights_src, "idle_baseline");
	ASSERT_NEAR(o.overhead_bytes, 0, 0);
	ASSERT_EQ(o.flat_prealloc, 1);
	ASSERT_TRUE(isnan(o.kv_alloc_bytes));
	ASSERT_TRUE(isnan(o.tok_s_per_gb_alloc));
	ASSERT_TRUE(isnan(o.pool_bytes)); /* no bytes/token */
	ASSERT_TRUE(isnan(o.max_concurrency)); /* no lengths */

	/* same, but memory grew by 4 GiB: not flat, KV alloc = growth */
	in.used_peak_bytes = 74 * GIB;
	ASSERT_EQ(memeff_compute(&in, &o), 0);
	ASSERT_EQ(o.flat_prealloc, 0);
	ASSERT_NEAR(o.kv_alloc_bytes, 4 * GIB, 1);
}

static void test_no_inputs(void)
{
	struct memeff_in in;
	memeff_in_init(&in);
	struct memeff_out o;
	ASSERT_EQ(memeff_compute(&in, &o), -EINVAL);
}

int main(void)
{
	TEST_RUN(test_growing_memory);
	TEST_RUN(test_flat_preallocated);
	TEST_RUN(test_idle_baseline_weights);
	TEST_RUN(test_no_inputs);
	return TEST_DONE();
}
