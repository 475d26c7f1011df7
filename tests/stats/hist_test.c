/* hist_test.c - log-linear histogram against exact percentiles. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "stats/desc.h"
#include "stats/hist.h"
#include "test.h"

/* xorshift, local so the test does not depend on rng.h's API details */
static uint64_t xs = 88172645463325252ULL;
static uint64_t next_u64(void)
{
	xs ^= xs << 13;
	xs ^= xs >> 7;
	xs ^= xs << 17;
	return xs;
}

static void test_precision_choice(void)
{
	struct hist h;
	ASSERT_EQ(hist_init(&h, 0.01), 0);
	ASSERT_EQ(h.sub_bits, 6);
	ASSERT_TRUE(hist_rel_error(&h) <= 0.01);
	hist_free(&h);
	ASSERT_EQ(hist_init(&h, 0.5), -EINVAL);
	ASSERT_EQ(hist_init(&h, 0), -EINVAL);
	hist_free(&h);
}

static void test_small_values_exact(void)
{
	struct hist h;
	ASSERT_EQ(hist_init(&h, 0.01), 0);
	for (int v = 0; v < 64; v++)
		hist_record(&h, v);
	/* below 2^S every value has its own bucket */
	ASSERT_EQ(hist_value_at_pct(&h, 50), 31);
	ASSERT_EQ(hist_value_at_pct(&h, 100), 63);
	ASSERT_EQ(hist_value_at_pct(&h, 0), 0);
	ASSERT_EQ(hist_count(&h), 64);
	ASSERT_NEAR(hist_mean(&h), 31.5, 1e-12);
	hist_record(&h, -5); /* clamped to 0 */
	ASSERT_EQ(h.min, 0);
	hist_free(&h);
}

/* Log-uniform values over 1 us .. 100 s in ns, split across 4 histograms
 * and merged: every percentile within the bound of the exact
 * inverted-CDF order statistic. */
static void test_rel_error_bound_merged(void)
{
	enum { N = 200000, PARTS = 4 };
	double *x = malloc(N * sizeof(*x));
	struct hist parts[PARTS], all;
	ASSERT_EQ(hist_init(&all, 0.01), 0);
	for (int i = 0; i < PARTS; i++)
		ASSERT_EQ(hist_init(&parts[i], 0.01), 0);
	for (int i = 0; i < N; i++) {
		double u = (double)(next_u64() >> 11) / 9007199254740992.0;
		int64_t v = (int64_t)exp(log(1e3) + u * (log(1e11) - log(1e3)));
		x[i] = (double)v;
		hist_record(&parts[i % PARTS], v);
	}
	for (int i = 0; i < PARTS; i++)
		ASSERT_EQ(hist_merge(&all, &parts[i]), 0);
	ASSERT_EQ(hist_count(&all), N);
	stats_sort(x, N);
	double bound = hist_rel_error(&all), worst = 0;
	for (double p = 0; p <= 100; p += 0.5) {
		double exact = stats_pct(x, N, p, STATS_PCT_INVERTED_CDF);
		double got = (double)hist_value_at_pct(&all, p);
		double rel = fabs(got - exact) / exact;
		if (rel > worst)
			worst = rel;
		ASSERT_TRUE(rel <= bound);
	}
	double got999 = (double)hist_value_at_pct(&all, 99.9);
	ASSERT_NEAR(got999, stats_pct(x, N, 99.9, STATS_PCT_INVERTED_CDF),
		    bound * got999);
	ASSERT_EQ(all.min, (int64_t)x[0]);
	ASSERT_EQ(all.max, (int64_t)x[N - 1]);
	ASSERT_NEAR(hist_mean(&all), stats_mean(x, N), 1e-9 * stats_mean(x, N));
	ASSERT_TRUE(worst > 0); /* the values really are bucketed */
	fprintf(stderr, "  worst relative error %.4f%% (bound %.4f%%)\n",
		worst * 100, bound * 100);
	for (int i = 0; i < PARTS; i++)
		hist_free(&parts[i]);
	hist_free(&all);
	free(x);
}

static void test_merge_mismatch_and_huge(void)
{
	struct hist a, b;
	ASSERT_EQ(hist_init(&a, 0.01), 0);
	ASSERT_EQ(hist_init(&b, 0.001), 0);
	hist_record(&b, 5);
	ASSERT_EQ(hist_merge(&a, &b), -EINVAL);
	ASSERT_EQ(hist_count(&a), 0);
	hist_record(&a, INT64_MAX);
	hist_record_n(&a, 1000000007, 3);
	ASSERT_EQ(hist_value_at_pct(&a, 100), INT64_MAX);
	double v = (double)hist_value_at_pct(&a, 50);
	ASSERT_NEAR(v, 1000000007.0, 1000000007.0 * hist_rel_error(&a));
	hist_reset(&a);
	ASSERT_EQ(hist_value_at_pct(&a, 50), 0);
	hist_free(&a);
	hist_free(&b);
}

int main(void)
{
	TEST_RUN(test_precision_choice);
	TEST_RUN(test_small_values_exact);
	TEST_RUN(test_rel_error_bound_merged);
	TEST_RUN(test_merge_mismatch_and_huge);
	return TEST_DONE();
}
