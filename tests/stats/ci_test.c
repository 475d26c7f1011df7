/* ci_test.c - order-statistic CI ranks against a brute-force binomial.
 *
 * Fixed cases were computed with python3 and exact rationals
 * (fractions.Fraction, math.comb): the equal-tailed rule of ci.h applied to
 * P(B <= k) = sum_j comb(n,j) q^j (1-q)^(n-j). E.g. n=100, p=50, 95% gives
 * (40, 61), the textbook value for the median.
 */
#include <errno.h>
#include <math.h>

#include "stats/ci.h"
#include "test.h"

/* Brute force: P(B <= k) by direct long-double summation of every term. */
static long double bf_cdf(unsigned n, long double q, long k)
{
	if (k < 0)
		return 0;
	long double s = 0;
	for (unsigned j = 0; j <= (unsigned)k && j <= n; j++) {
		long double lc = lgammal(n + 1.0L) - lgammal(j + 1.0L) -
				 lgammal(n - j + 1.0L);
		s += expl(lc + j * logl(q) + (n - j) * log1pl(-q));
	}
	return s;
}

static void test_known_values(void)
{
	static const struct {
		unsigned n;
		double p;
		unsigned lo, hi;
		int ok;
	} cases[] = {
		{100, 50, 40, 61, 1}, {20, 50, 6, 15, 1},  {299, 99, 289, 299, 1},
		{298, 99, 1, 298, 0}, {1000, 99, 983, 997, 1}, {50, 90, 41, 50, 1},
		{400, 99, 392, 400, 1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ci_ranks r;
		ASSERT_EQ(ci_pct_ranks(cases[i].n, cases[i].p, 0.95, &r), 0);
		ASSERT_EQ(r.sufficient, cases[i].ok);
		ASSERT_EQ(r.lo, cases[i].lo);
		ASSERT_EQ(r.hi, cases[i].hi);
		ASSERT_TRUE(r.exact);
	}
	struct ci_bound b;
	ASSERT_EQ(ci_pct_upper(299, 99, 0.95, &b), 0);
	ASSERT_TRUE(b.sufficient);
	ASSERT_EQ(b.rank, 299);
	ASSERT_EQ(ci_pct_upper(298, 99, 0.95, &b), 0);
	ASSERT_TRUE(!b.sufficient);
	ASSERT_EQ(ci_pct_upper(1000, 99, 0.95, &b), 0);
	ASSERT_EQ(b.rank, 996);
	ASSERT_EQ(ci_pct_upper(100, 50, 0.95, &b), 0);
	ASSERT_EQ(b.rank, 59);
}

/* For many (n, p, conf): coverage really >= conf by brute force; each
 * tail within its budget; moving either end inwards breaks the budget;
 * insufficient exactly when [x_(1), x_(n)] falls short. */
static void test_brute_force(void)
{
	static const double ps[] = {1, 10, 50, 90, 95, 99, 99.9};
	static const double confs[] = {0.8, 0.9, 0.95, 0.99};
	for (unsigned n = 1; n <= 700; n += (n < 40 ? 1 : 37)) {
		for (size_t pi = 0; pi < 7; pi++) {
			for (size_t ci = 0; ci < 4; ci++) {
				long double q = ps[pi] / 100.0L;
				long double conf = confs[ci], a = 1 - conf;
				struct ci_ranks r;
				ASSERT_EQ(ci_pct_ranks(n, ps[pi], confs[ci], &r), 0);
				long double mlo = bf_cdf(n, q, 0);
				long double mhi = 1 - bf_cdf(n, q, n - 1);
				int want_ok = mlo + mhi <= a * (1 + 1e-9L);
				if (fabsl(mlo + mhi - a) > 1e-9L)
					ASSERT_EQ(r.sufficient, want_ok);
				if (!r.sufficient) {
					ASSERT_EQ(r.lo, 1);
					ASSERT_EQ(r.hi, n);
					continue;
				}
				long double tlo = bf_cdf(n, q, (long)r.lo - 1);
				long double thi = 1 - bf_cdf(n, q, (long)r.hi - 1);
				long double cov = 1 - tlo - thi;
				ASSERT_TRUE(cov >= conf - 1e-9L);
				ASSERT_NEAR(r.coverage, (double)cov, 1e-7);
				ASSERT_TRUE(r.lo >= 1 && r.lo <= r.hi && r.hi <= n);
				/* tightness: one step inwards on a side whose tail
				 * was chosen by budget exceeds that budget */
				long double blo = a / 2, bhi = a / 2;
				if (mlo > a / 2)
					bhi = a - mlo;
				else if (mhi > a / 2)
					blo = a - mhi;
				if (!(mlo > a / 2) && r.lo < n)
					ASSERT_TRUE(bf_cdf(n, q, (long)r.lo) >
						    blo - 1e-12L);
				if (!(mhi > a / 2) && r.hi > 1)
					ASSERT_TRUE(1 - bf_cdf(n, q, (long)r.hi - 2) >
						    bhi - 1e-12L);
			}
		}
	}
}

static void test_one_sided_brute_force(void)
{
	for (unsigned n = 1; n <= 600; n += 7) {
		long double q = 0.99L;
		struct ci_bound b;
		ASSERT_EQ(ci_pct_upper(n, 99, 0.95, &b), 0);
		/* smallest r with P(B <= r-1) >= 0.95 */
		unsigned want = 0;
		for (unsigned r = 1; r <= n; r++)
			if (bf_cdf(n, q, r - 1) >= 0.95L) {
				want = r;
				break;
			}
		ASSERT_EQ(b.sufficient, want != 0);
		ASSERT_EQ(b.rank, want);
		ASSERT_EQ(ci_pct_lower(n, 99, 0.95, &b), 0);
		want = 0;
		for (unsigned r = n; r >= 1; r--)
			if (1 - bf_cdf(n, q, r - 1) >= 0.95L) {
				want = r;
				break;
			}
		ASSERT_EQ(b.rank, want);
	}
}

static void test_below_decision(void)
{
	double x[300];
	for (int i = 0; i < 300; i++)
		x[i] = i + 1; /* 1..300 */
	/* n=300, P99, 95%: upper rank is 299 (x=299) */
	struct ci_bound b;
	ASSERT_EQ(ci_pct_upper(300, 99, 0.95, &b), 0);
	ASSERT_EQ(ci_pct_below(x, 300, 99, 0.95, (double)b.rank), 1);
	ASSERT_EQ(ci_pct_below(x, 300, 99, 0.95, (double)b.rank - 0.5), 0);
	ASSERT_EQ(ci_pct_below(x, 100, 99, 0.95, 1e9), -1);
	ASSERT_EQ(ci_pct_below(x, 100, 100, 0.95, 1e9), -EINVAL);
}

static void test_large_n(void)
{
	/* exact path at 10^7 and the normal path above agree closely */
	struct ci_ranks a, b;
	ASSERT_EQ(ci_pct_ranks(10000000, 99, 0.95, &a), 0);
	ASSERT_TRUE(a.exact && a.sufficient);
	ASSERT_EQ(ci_pct_ranks(10000001, 99, 0.95, &b), 0);
	ASSERT_TRUE(!b.exact && b.sufficient);
	/* sd = sqrt(1e7 * .99 * .01) = 314.6; z = 1.96 -> +-617 */
	ASSERT_NEAR((double)a.lo, 9900000 - 617, 3);
	ASSERT_NEAR((double)a.hi, 9900000 + 618, 3);
	ASSERT_NEAR((double)b.lo, (double)a.lo, 3);
	ASSERT_NEAR((double)b.hi, (double)a.hi, 3);
	ASSERT_NEAR(a.coverage, 0.95, 0.002);
	ASSERT_TRUE(a.coverage >= 0.95);
	ASSERT_NEAR(ci_binom_cdf(10000000, 0.5, 5000000), 0.5 + 0.000126, 2e-5);
}

static void test_min_n(void)
{
	ASSERT_EQ(ci_pct_min_n(99, 0.95), 299);
	ASSERT_EQ(ci_pct_min_n(1, 0.95), 299);
	/* the median: 2 * 0.5^n <= 0.05 -> n >= 5.32 */
	ASSERT_EQ(ci_pct_min_n(50, 0.95), 6);
	struct ci_ranks r;
	for (double p = 50; p < 99.95; p += 7.3) {
		uint64_t n = ci_pct_min_n(p, 0.9);
		ASSERT_EQ(ci_pct_ranks(n, p, 0.9, &r), 0);
		ASSERT_TRUE(r.sufficient);
		ASSERT_EQ(ci_pct_ranks(n - 1, p, 0.9, &r), 0);
		ASSERT_TRUE(!r.sufficient);
	}
	ASSERT_EQ(ci_pct_min_n(0, 0.95), 0);
}

static void test_bad_args(void)
{
	struct ci_ranks r;
	ASSERT_EQ(ci_pct_ranks(10, 0, 0.95, &r), -EINVAL);
	ASSERT_EQ(ci_pct_ranks(10, 50, 1.0, &r), -EINVAL);
	ASSERT_EQ(ci_pct_ranks(0, 50, 0.95, &r), 0);
	ASSERT_EQ(r.sufficient, 0);
}

int main(void)
{
	TEST_RUN(test_known_values);
	TEST_RUN(test_brute_force);
	TEST_RUN(test_one_sided_brute_force);
	TEST_RUN(test_below_decision);
	TEST_RUN(test_large_n);
	TEST_RUN(test_min_n);
	TEST_RUN(test_bad_args);
	return TEST_DONE();
}
