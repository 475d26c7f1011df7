/* ci.c - order-statistic confidence bounds for percentiles (see ci.h). */
#include "stats/ci.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* Terms further than this many sqrt(n) from the mean carry less than
 * 2 exp(-2 * 6^2) ~ 1e-31 of the mass (Hoeffding), far below any alpha. */
#define CI_WINDOW_SQRT_N 6.0
#define CI_WINDOW_PAD 16.0

/* Acklam's rational approximation of the standard normal quantile
 * (|relative error| < 1.2e-9), enough to place an integer rank. */
static double norm_quantile(double p)
{
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
				   -2.759285104469687e+02, 1.383577518672690e+02,
				   -3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
				   -1.556989798598866e+02, 6.680131188771972e+01,
				   -1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
				   -2.400758277161838e+00, -2.549732539343734e+00,
				   4.374664141464968e+00, 2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
				   2.445134137142996e+00, 3.754408661907416e+00};
	const double plow = 0.02425;
	double q, r;
	if (p < plow) {
		q = sqrt(-2 * log(p));
		return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q +
			c[5]) /
		       ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	if (p > 1 - plow) {
		q = sqrt(-2 * log1p(-p));
		return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q +
			 c[5]) /
		       ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	q = p - 0.5;
	r = q * q;
	return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) *
	       q /
	       (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

static double norm_cdf(double x)
{
	return 0.5 * erfc(-x / sqrt(2.0));
}

/* The summation window [*k0, *k1] for Binomial(n, q). */
static void window(uint64_t n, double q, uint64_t *k0, uint64_t *k1)
{
	double w = CI_WINDOW_SQRT_N * sqrt((double)n) + CI_WINDOW_PAD;
	double m = (double)n * q;
	double lo = floor(m - w), hi = ceil(m + w);
	*k0 = lo <= 0 ? 0 : (uint64_t)lo;
	*k1 = hi >= (double)n ? n : (uint64_t)hi;
}

static double log_pmf(uint64_t n, double q, uint64_t k)
{
	double dn = (double)n, dk = (double)k;
	return lgamma(dn + 1) - lgamma(dk + 1) - lgamma(dn - dk + 1) +
	       dk * log(q) + (dn - dk) * log1p(-q);
}

/* Exact: largest rank l in [1, n] with P(B <= l-1) <= a, or 0 if none.
 * *tail gets P(B <= l-1) (or P(B = 0) when none). */
static uint64_t lo_search(uint64_t n, double q, double a, double *tail)
{
	uint64_t k0, k1;
	window(n, q, &k0, &k1);
	double lstep = log(q) - log1p(-q);
	double lp = log_pmf(n, q, k0), cum = 0, prev = 0;
	for (uint64_t k = k0; k <= k1; k++) {
		if (k > k0)
			lp += log((double)(n - k + 1) / (double)k) + lstep;
		cum += exp(lp);
		if (cum > a) {
			/* P(B <= k-1) = prev <= a < P(B <= k): rank l = k */
			*tail = k == 0 ? cum : prev;
			return k > n ? n : k;
		}
		prev = cum;
	}
	*tail = prev;
	return n; /* whole mass <= a: any rank works; n is the largest */
}

/* Exact: smallest rank h in [1, n] with P(B >= h) <= b, or n+1 if none.
 * *tail gets P(B >= h) (or P(B = n) when none). */
static uint64_t hi_search(uint64_t n, double q, double b, double *tail)
{
	uint64_t k0, k1;
	window(n, q, &k0, &k1);
	double lstep = log1p(-q) - log(q);
	double lp = log_pmf(n, q, k1), cum = 0, prev = 0;
	for (uint64_t k = k1;; k--) {
		if (k < k1)
			lp += log((double)(k + 1) / (double)(n - k)) + lstep;
		cum += exp(lp);
		if (cum > b) {
			/* P(B >= k+1) = prev <= b < P(B >= k): rank h = k+1 */
			*tail = k == n ? cum : prev;
			return k + 1;
		}
		prev = cum;
		if (k == k0)
			break;
	}
	*tail = prev;
	return 1;
}

/* Normal approximation with continuity correction, same contracts. */
static uint64_t lo_search_norm(uint64_t n, double q, double a, double *tail)
{
	double m = (double)n * q, sd = sqrt((double)n * q * (1 - q));
	double l = floor(m + sd * norm_quantile(a) + 0.5);
	if (l < 1) {
		*tail = norm_cdf((0.5 - m) / sd);
		return 0;
	}
	if (l > (double)n)
		l = (double)n;
	*tail = norm_cdf((l - 0.5 - m) / sd);
	return (uint64_t)l;
}

static uint64_t hi_search_norm(uint64_t n, double q, double b, double *tail)
{
	double m = (double)n * q, sd = sqrt((double)n * q * (1 - q));
	double h = ceil(m - sd * norm_quantile(b) + 0.5);
	if (h > (double)n) {
		*tail = norm_cdf((m - (double)n + 0.5) / sd);
		return n + 1;
	}
	if (h < 1)
		h = 1;
	*tail = norm_cdf((m - h + 0.5) / sd);
	return (uint64_t)h;
}

static uint64_t lo_find(uint64_t n, double q, double a, double *tail)
{
	return n <= CI_EXACT_MAX_N ? lo_search(n, q, a, tail)
				   : lo_search_norm(n, q, a, tail);
}

static uint64_t hi_find(uint64_t n, double q, double b, double *tail)
{
	return n <= CI_EXACT_MAX_N ? hi_search(n, q, b, tail)
				   : hi_search_norm(n, q, b, tail);
}

static int bad_args(double p_pct, double conf)
{
	return !(p_pct > 0 && p_pct < 100 && conf > 0 && conf < 1);
}

double ci_binom_cdf(uint64_t n, double q, uint64_t k)
{
	if (k >= n || q <= 0)
		return 1;
	if (q >= 1)
		return 0;
	if (n > CI_EXACT_MAX_N) {
		double sd = sqrt((double)n * q * (1 - q));
		return norm_cdf(((double)k + 0.5 - (double)n * q) / sd);
	}
	uint64_t k0, k1;
	window(n, q, &k0, &k1);
	if (k < k0)
		return 0;
	if (k >= k1)
		return 1;
	double lstep = log(q) - log1p(-q);
	double lp = log_pmf(n, q, k0), cum = exp(lp);
	for (uint64_t j = k0 + 1; j <= k; j++) {
		lp += log((double)(n - j + 1) / (double)j) + lstep;
		cum += exp(lp);
	}
	return cum > 1 ? 1 : cum;
}

int ci_pct_ranks(uint64_t n, double p_pct, double conf, struct ci_ranks *out)
{
	memset(out, 0, sizeof(*out));
	if (bad_args(p_pct, conf))
		return -EINVAL;
	if (n == 0)
		return 0;
	double q = p_pct / 100, alpha = 1 - conf;
	out->exact = n <= CI_EXACT_MAX_N;
	/* Smallest possible tails: P(B = 0) below x_(1), P(B = n) above x_(n). */
	double m_lo = exp((double)n * log1p(-q));
	double m_hi = exp((double)n * log(q));
	double t_lo = m_lo, t_hi = m_hi;
	uint64_t lo = 1, hi = n;
	if (m_lo + m_hi > alpha) {
		out->sufficient = 0;
	} else if (m_lo > alpha / 2) {
		hi = hi_find(n, q, alpha - m_lo, &t_hi);
		out->sufficient = hi <= n;
	} else if (m_hi > alpha / 2) {
		lo = lo_find(n, q, alpha - m_hi, &t_lo);
		out->sufficient = lo >= 1;
	} else {
		lo = lo_find(n, q, alpha / 2, &t_lo);
		hi = hi_find(n, q, alpha / 2, &t_hi);
		out->sufficient = lo >= 1 && hi <= n;
	}
	if (!out->sufficient) {
		lo = 1;
		hi = n;
		t_lo = m_lo;
		t_hi = m_hi;
	}
	if (lo > hi) /* cannot happen for conf > 0; keep the invariant */
		lo = hi;
	out->lo = lo;
	out->hi = hi;
	out->coverage = 1 - t_lo - t_hi;
	return 0;
}

int ci_pct_upper(uint64_t n, double p_pct, double conf, struct ci_bound *out)
{
	memset(out, 0, sizeof(*out));
	if (bad_args(p_pct, conf))
		return -EINVAL;
	if (n == 0)
		return 0;
	double q = p_pct / 100, tail;
	out->exact = n <= CI_EXACT_MAX_N;
	uint64_t h = hi_find(n, q, 1 - conf, &tail);
	if (h > n)
		return 0;
	out->rank = h;
	out->coverage = 1 - tail;
	out->sufficient = 1;
	return 0;
}

int ci_pct_lower(uint64_t n, double p_pct, double conf, struct ci_bound *out)
{
	memset(out, 0, sizeof(*out));
	if (bad_args(p_pct, conf))
		return -EINVAL;
	if (n == 0)
		return 0;
	double q = p_pct / 100, tail;
	out->exact = n <= CI_EXACT_MAX_N;
	uint64_t l = lo_find(n, q, 1 - conf, &tail);
	if (l < 1)
		return 0;
	out->rank = l;
	out->coverage = 1 - tail;
	out->sufficient = 1;
	return 0;
}

int ci_pct_below(const double *sorted, size_t n, double p_pct, double conf,
		 double limit)
{
	struct ci_bound b;
	int rc = ci_pct_upper(n, p_pct, conf, &b);
	if (rc < 0)
		return rc;
	if (!b.sufficient)
		return -1;
	return sorted[b.rank - 1] <= limit;
}

uint64_t ci_pct_min_n(double p_pct, double conf)
{
	if (bad_args(p_pct, conf))
		return 0;
	double q = p_pct / 100;
	/* start near the answer of the dominant tail, then step */
	double lq = log(q > 0.5 ? q : 1 - q);
	double n0 = floor(log1p(-conf) / lq) - 2;
	uint64_t n = n0 > 1 ? (uint64_t)n0 : 1;
	while (exp((double)n * log1p(-q)) + exp((double)n * log(q)) > 1 - conf)
		n++;
	return n;
}
