/* desc.h - descriptive statistics over a plain array of doubles.
 *
 * Owns nothing: percentiles (numpy "linear", numpy "inverted_cdf" as GuideLLM
 * uses, and MLPerf LoadGen's sorted[floor(n*p)]), median, mean, population
 * std, min and max. Knows nothing of requests or units. An empty set gives 0
 * everywhere (vLLM's np.*(x or 0)). Pure functions, thread-safe.
 */
#ifndef INFBENCH_STATS_DESC_H
#define INFBENCH_STATS_DESC_H

#include <stddef.h>

/* How a percentile is read off sorted data. Labels go into every report. */
enum stats_pct_method {
	STATS_PCT_LINEAR = 0,    /* numpy default: interpolate at (n-1)p */
	STATS_PCT_INVERTED_CDF,  /* smallest x with CDF(x) >= p (GuideLLM) */
	STATS_PCT_LOADGEN,       /* sorted[floor(n*p)] (MLPerf LoadGen) */
};

/* "linear", "inverted_cdf", "loadgen". */
const char *stats_pct_method_name(enum stats_pct_method m);

/* Sort x ascending in place (NaN is not expected; it sorts last). */
void stats_sort(double *x, size_t n);

/* Percentile p in [0, 100] of ascending data sorted[0..n-1] by method m.
 * p outside [0, 100] is clamped. n == 0 gives 0. An +inf in the data
 * propagates to any result that interpolates with it. */
double stats_pct(const double *sorted, size_t n, double p,
		 enum stats_pct_method m);
/* Same as stats_pct(sorted, n, p, STATS_PCT_LINEAR). */
double stats_pct_linear(const double *sorted, size_t n, double p);

/* numpy median of sorted data: middle value, or the mean of the two middle
 * values. n == 0 gives 0. */
double stats_median_sorted(const double *sorted, size_t n);

/* Arithmetic mean with compensated (Neumaier) summation; 0 when n == 0. */
double stats_mean(const double *x, size_t n);

/* Population standard deviation (numpy ddof=0), two-pass; 0 when n < 2. */
double stats_std(const double *x, size_t n);

/* Summary of one sample. */
struct stats_desc {
	size_t n;
	double mean, std, median, min, max; /* all 0 when n == 0 */
};

/* Fill d from x[0..n-1]. Sorts x in place (so percentiles can follow with
 * stats_pct on the same array). */
void stats_describe(double *x, size_t n, struct stats_desc *d);

#endif
