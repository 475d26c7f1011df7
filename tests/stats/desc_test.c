#include <stdint.h>
/* desc_test.c - percentiles, median, mean, std against python3 values.
 *
 * Expected values were produced independently with python3 (numpy is not
 * installed; statistics.quantiles(method='inclusive') equals numpy 'linear'):
 *   import statistics, math; from fractions import Fraction as F
 *   q = statistics.quantiles(v, n=100, method='inclusive')      # q[p-1]
 *   q1000 = statistics.quantiles(v, n=1000, method='inclusive') # q1000[998]=p99.9
 *   statistics.fmean(v), statistics.pstdev(v), statistics.median(v)
 *   inverted_cdf: s[max(0, math.ceil(F(n)*F(p)/100) - 1)]
 *   loadgen:      s[min(n-1, math.floor(F(n)*F(p)/100))]
 */
#include <math.h>
#include <string.h>

#include "stats/desc.h"
#include "test.h"

#define REL 1e-12

static void check_linear(double *v, size_t n, const double exp5[5],
			 double exp999)
{
	static const double ps[5] = {1, 25, 50, 90, 99};
	stats_sort(v, n);
	for (int i = 0; i < 5; i++)
		ASSERT_NEAR(stats_pct_linear(v, n, ps[i]), exp5[i],
			    REL * fabs(exp5[i]) + 1e-300);
	ASSERT_NEAR(stats_pct_linear(v, n, 99.9), exp999, REL * fabs(exp999));
}

static void test_linear_unsorted_ties(void)
{
	double a[] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5};
	const double e[5] = {1.0, 2.5, 4.0, 6.0, 8.7};
	check_linear(a, 11, e, 8.97);
	ASSERT_NEAR(stats_pct_linear(a, 11, 0), 1, 0);
	ASSERT_NEAR(stats_pct_linear(a, 11, 100), 9, 0);
}

static void test_linear_n2_and_latencies(void)
{
	double c[] = {20, 10};
	const double ec[5] = {10.1, 12.5, 15.0, 19.0, 19.9};
	check_linear(c, 2, ec, 19.99);
	double d[] = {0.25, 0.001, 0.0102, 0.0031, 0.1, 0.0025, 0.0507};
	const double ed[5] = {0.00109, 0.0028000000000000004, 0.0102, 0.16,
			      0.24100000000000002};
	check_linear(d, 7, ed, 0.2491);
	double e[] = {7, 7, 7, 7};
	const double ee[5] = {7, 7, 7, 7, 7};
	check_linear(e, 4, ee, 7);
}

static void test_n1_and_empty(void)
{
	double b[] = {42.5};
	for (double p = 0; p <= 100; p += 12.5) {
		ASSERT_NEAR(stats_pct(b, 1, p, STATS_PCT_LINEAR), 42.5, 0);
		ASSERT_NEAR(stats_pct(b, 1, p, STATS_PCT_INVERTED_CDF), 42.5, 0);
		ASSERT_NEAR(stats_pct(b, 1, p, STATS_PCT_LOADGEN), 42.5, 0);
	}
	struct stats_desc d;
	stats_describe(b, 1, &d);
	ASSERT_NEAR(d.mean, 42.5, 0);
	ASSERT_NEAR(d.std, 0, 0);
	ASSERT_NEAR(d.median, 42.5, 0);
	stats_describe(NULL, 0, &d);
	ASSERT_EQ(d.n, 0);
	ASSERT_NEAR(d.mean + d.std + d.median + d.min + d.max, 0, 0);
	ASSERT_NEAR(stats_pct_linear(NULL, 0, 99), 0, 0);
	ASSERT_NEAR(stats_mean(NULL, 0), 0, 0);
}

static void test_mean_std_median(void)
{
	double a[] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5};
	struct stats_desc d;
	stats_describe(a, 11, &d);
	ASSERT_NEAR(d.mean, 4.0, 1e-15);
	ASSERT_NEAR(d.std, 2.256304299271065, 1e-14);
	ASSERT_NEAR(d.median, 4.0, 0);
	ASSERT_NEAR(d.min, 1, 0);
	ASSERT_NEAR(d.max, 9, 0);
	ASSERT_TRUE(a[0] == 1 && a[10] == 9); /* sorted in place */
	double c[] = {20, 10};
	stats_describe(c, 2, &d);
	ASSERT_NEAR(d.std, 5.0, 1e-15);
	ASSERT_NEAR(d.median, 15.0, 0);
	double v[] = {0.25, 0.001, 0.0102, 0.0031, 0.1, 0.0025, 0.0507};
	stats_describe(v, 7, &d);
	ASSERT_NEAR(d.mean, 0.05964285714285714, 1e-17);
	ASSERT_NEAR(d.std, 0.0847605847944307, 1e-16);
	ASSERT_NEAR(d.median, 0.0102, 0);
}

static void test_other_methods(void)
{
	double a[] = {1, 1, 2, 3, 3, 4, 5, 5, 5, 6, 9};
	ASSERT_NEAR(stats_pct(a, 11, 25, STATS_PCT_INVERTED_CDF), 2, 0);
	ASSERT_NEAR(stats_pct(a, 11, 25, STATS_PCT_LOADGEN), 2, 0);
	ASSERT_NEAR(stats_pct(a, 11, 99, STATS_PCT_INVERTED_CDF), 9, 0);
	ASSERT_NEAR(stats_pct(a, 11, 99, STATS_PCT_LOADGEN), 9, 0);
	double c[] = {10, 20};
	/* p50 of two values: linear 15, inverted_cdf 10, loadgen 20 */
	ASSERT_NEAR(stats_pct(c, 2, 50, STATS_PCT_LINEAR), 15, 0);
	ASSERT_NEAR(stats_pct(c, 2, 50, STATS_PCT_INVERTED_CDF), 10, 0);
	ASSERT_NEAR(stats_pct(c, 2, 50, STATS_PCT_LOADGEN), 20, 0);
	ASSERT_NEAR(stats_pct(c, 2, 25, STATS_PCT_INVERTED_CDF), 10, 0);
	double d[] = {0.001, 0.0025, 0.0031, 0.0102, 0.0507, 0.1, 0.25};
	ASSERT_NEAR(stats_pct(d, 7, 90, STATS_PCT_INVERTED_CDF), 0.25, 0);
	ASSERT_NEAR(stats_pct(d, 7, 50, STATS_PCT_LOADGEN), 0.0102, 0);
	ASSERT_STR_EQ(stats_pct_method_name(STATS_PCT_INVERTED_CDF),
		      "inverted_cdf");
}

static void test_inf_propagates(void)
{
	double x[] = {1, 2, 3, INFINITY};
	/* h = 3 * 0.99 = 2.97: between 3 and inf */
	ASSERT_TRUE(isinf(stats_pct_linear(x, 4, 99)));
	/* h = 3 * 0.5 = 1.5: between 2 and 3, finite */
	ASSERT_NEAR(stats_pct_linear(x, 4, 50), 2.5, 0);
}


static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Large arrays take the radix path: it must order exactly like qsort,
 * negatives, zeros, duplicates and infinities included. */
static void test_sort_radix_matches_qsort(void)
{
	size_t n = 100003;
	double *a = malloc(n * sizeof(double)), *b = malloc(n * sizeof(double));
	uint64_t s = 12345;
	for (size_t i = 0; i < n; i++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		double v = (double)(s >> 11) / (double)(1ULL << 53);
		switch (i % 7) {
		case 0: v = -v * 1e3; break;
		case 1: v = 0.0; break;
		case 2: v = -0.0; break;
		case 3: v = (double)(i % 13); break;
		case 4: v = i % 1000 == 4 ? INFINITY : v * 1e-6; break;
		default: v = v * 5.0; break;
		}
		a[i] = b[i] = v;
	}
	stats_sort(a, n);
	qsort(b, n, sizeof(double), cmp_d);
	for (size_t i = 0; i < n; i++)
		if (!(a[i] == b[i]))
			TEST_FAIL_("index %zu: %g vs %g", i, a[i], b[i]);
	free(a);
	free(b);
}

int main(void)
{
	TEST_RUN(test_sort_radix_matches_qsort);
	TEST_RUN(test_linear_unsorted_ties);
	TEST_RUN(test_linear_n2_and_latencies);
	TEST_RUN(test_n1_and_empty);
	TEST_RUN(test_mean_std_median);
	TEST_RUN(test_other_methods);
	TEST_RUN(test_inf_propagates);
	return TEST_DONE();
}
