/* ci.h - distribution-free confidence bounds for a percentile.
 *
 * Owns the order-statistic arithmetic: with n samples, the number B of them
 * below the true p-quantile is Binomial(n, p), so P(x_(l) <= Q_p <= x_(h)) =
 * P(l <= B <= h-1) whatever the distribution. Knows nothing of requests. Ranks
 * are 1-based (x_(1) is the smallest). Pure functions, thread-safe.
 */
#ifndef INFBENCH_STATS_CI_H
#define INFBENCH_STATS_CI_H

#include <stddef.h>
#include <stdint.h>

/* Up to this n the binomial tails are summed exactly (log-space terms over a
 * +-6 sqrt(n) window, O(sqrt n)); above it a normal approximation is used. */
#define CI_EXACT_MAX_N 10000000ULL

/* A two-sided interval [x_(lo), x_(hi)]. */
struct ci_ranks {
	uint64_t lo, hi;  /* 1-based ranks, 1 <= lo <= hi <= n (0 if n==0) */
	double coverage;  /* P(x_(lo) <= Q_p <= x_(hi)) for continuous data;
			   * >= this for data with ties */
	int sufficient;   /* 0: even [x_(1), x_(n)] covers less than conf
			   * ("too few samples"); lo=1, hi=n are set anyway */
	int exact;        /* 1: exact binomial, 0: normal approximation */
};

/* Ranks of a two-sided conf interval for the p_pct-th percentile
 * (0 < p_pct < 100, 0 < conf < 1). Tails are split equally (alpha/2 each);
 * when one extreme order statistic cannot hold its alpha/2 the other side
 * gets the remaining budget. Returns 0, or -EINVAL for bad arguments (out
 * is then zeroed). n == 0 returns 0 with sufficient = 0. */
int ci_pct_ranks(uint64_t n, double p_pct, double conf, struct ci_ranks *out);

/* A one-sided bound: a single order statistic x_(rank). */
struct ci_bound {
	uint64_t rank;   /* 1-based; 0 when insufficient */
	double coverage; /* P(Q_p <= x_(rank)) (upper) or P(x_(rank) <= Q_p) */
	int sufficient;  /* 0: no order statistic reaches conf */
	int exact;
};

/* Smallest rank r with P(Q_p <= x_(r)) >= conf: x_(r) is a conf upper bound
 * on the p-th percentile, so "P_p <= X with confidence conf" holds when
 * x_(r) <= X, i.e. when the k-th largest value (k = n - r + 1) is <= X
 * (MLPerf-style early stopping). Insufficient when 1 - p^n < conf (P99 at
 * 95% needs n >= 299). Returns 0 or -EINVAL. */
int ci_pct_upper(uint64_t n, double p_pct, double conf, struct ci_bound *out);

/* Largest rank r with P(x_(r) <= Q_p) >= conf (a conf lower bound). */
int ci_pct_lower(uint64_t n, double p_pct, double conf, struct ci_bound *out);

/* Decide "the p_pct-th percentile is <= limit with confidence conf" from
 * ascending data: 1 yes, 0 no (not shown), -1 too few samples to ever
 * show it, -EINVAL bad arguments. */
int ci_pct_below(const double *sorted, size_t n, double p_pct, double conf,
		 double limit);

/* Smallest n for which ci_pct_ranks is sufficient (the sample extremes
 * bound the percentile): (1-p)^n + p^n <= 1 - conf; 299 for P99 at 95%.
 * 0 for bad arguments. */
uint64_t ci_pct_min_n(double p_pct, double conf);

/* Binomial(n, q) lower tail P(B <= k), exposed for tests and reports.
 * Exact summation up to CI_EXACT_MAX_N, normal approximation above. */
double ci_binom_cdf(uint64_t n, double q, uint64_t k);

#endif
