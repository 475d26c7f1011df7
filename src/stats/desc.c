/* desc.c - percentiles, median, mean, std (see desc.h). */
#include "stats/desc.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *stats_pct_method_name(enum stats_pct_method m)
{
	switch (m) {
	case STATS_PCT_LINEAR:
		return "linear";
	case STATS_PCT_INVERTED_CDF:
		return "inverted_cdf";
	case STATS_PCT_LOADGEN:
		return "loadgen";
	}
	return "unknown";
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	if (isnan(x))
		return isnan(y) ? 0 : 1;
	if (isnan(y))
		return -1;
	return (x > y) - (x < y);
}

/* IEEE-754 doubles as unsigned keys in the same order: flip every bit of
 * negatives, only the sign bit of the rest (NaN with the sign clear sorts
 * last). */
static inline uint64_t dkey(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof(u));
	return u >> 63 ? ~u : u | (1ULL << 63);
}

static inline double dval(uint64_t k)
{
	uint64_t u = k >> 63 ? k & ~(1ULL << 63) : ~k;
	double d;
	memcpy(&d, &u, sizeof(d));
	return d;
}

#define SORT_RADIX_MIN 4096 /* below this qsort is as fast */
#define SORT_DIGIT_BITS 11
#define SORT_DIGITS 6       /* 6 x 11 >= 64 */

/* LSD radix sort (11-bit digits, stable, O(n), one scratch buffer) above
 * SORT_RADIX_MIN samples: sorting pooled ITLs (tens of millions of samples)
 * by comparison was the slowest step of summarising a long run. */
void stats_sort(double *x, size_t n)
{
	if (n < SORT_RADIX_MIN) {
		if (n > 1)
			qsort(x, n, sizeof(*x), cmp_double);
		return;
	}
	uint64_t *keys = malloc(n * sizeof(uint64_t));
	uint64_t *tmp = malloc(n * sizeof(uint64_t));
	if (!keys || !tmp) { /* no memory for the fast path */
		free(keys);
		free(tmp);
		qsort(x, n, sizeof(*x), cmp_double);
		return;
	}
	for (size_t i = 0; i < n; i++)
		keys[i] = dkey(x[i]);
	/* Track where the sorted keys end up. */
	uint64_t *a = keys, *b = tmp;
	size_t count[1u << SORT_DIGIT_BITS];
	for (int d = 0; d < SORT_DIGITS; d++) {
		unsigned shift = (unsigned)d * SORT_DIGIT_BITS;
		const uint64_t mask = (1u << SORT_DIGIT_BITS) - 1;
		memset(count, 0, sizeof(count));
		for (size_t i = 0; i < n; i++)
			count[(a[i] >> shift) & mask]++;
		if (count[(a[0] >> shift) & mask] == n)
			continue;
		size_t sum = 0;
		for (size_t k = 0; k <= mask; k++) {
			size_t c = count[k];
			count[k] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			b[count[(a[i] >> shift) & mask]++] = a[i];
		uint64_t *t = a;
		a = b;
		b = t;
	}
	for (size_t i = 0; i < n; i++)
		x[i] = dval(a[i]);
	free(keys);
	free(tmp);
}

/* numpy's _lerp: a + (b-a)t below t = 0.5, b - (b-a)(1-t) from 0.5 on, so
 * results match numpy to the last bit. Equal ends return a (also for inf). */
static double lerp(double a, double b, double t)
{
	if (a == b || t == 0)
		return a;
	if (isinf(a) || isinf(b))
		return isinf(b) ? b : a;
	double d = b - a;
	return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

double stats_pct(const double *sorted, size_t n, double p,
		 enum stats_pct_method m)
{
	if (n == 0)
		return 0;
	if (!(p >= 0))
		p = 0;
	if (p > 100)
		p = 100;
	double q = p / 100; /* numpy divides first, then scales */
	double last = (double)(n - 1);
	switch (m) {
	case STATS_PCT_LINEAR: {
		double h = last * q;
		double lo = floor(h);
		if (lo >= last)
			return sorted[n - 1];
		size_t i = (size_t)lo;
		return lerp(sorted[i], sorted[i + 1], h - lo);
	}
	case STATS_PCT_INVERTED_CDF: {
		/* numpy: v = n*q - 1; floor(v) if v is integral, else
		 * floor(v) + 1; clipped to [0, n-1]. */
		double v = (double)n * q - 1;
		double fl = floor(v);
		double idx = (v - fl == 0) ? fl : fl + 1;
		if (idx < 0)
			idx = 0;
		if (idx > last)
			idx = last;
		return sorted[(size_t)idx];
	}
	case STATS_PCT_LOADGEN: {
		double idx = floor((double)n * q);
		if (idx > last)
			idx = last;
		return sorted[(size_t)idx];
	}
	}
	return 0;
}

double stats_pct_linear(const double *sorted, size_t n, double p)
{
	return stats_pct(sorted, n, p, STATS_PCT_LINEAR);
}

double stats_median_sorted(const double *sorted, size_t n)
{
	if (n == 0)
		return 0;
	if (n % 2)
		return sorted[n / 2];
	return (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/* Neumaier compensated add of v into (*s, *c). */
static void kadd(double *s, double *c, double v)
{
	double t = *s + v;
	if (fabs(*s) >= fabs(v))
		*c += (*s - t) + v;
	else
		*c += (v - t) + *s;
	*s = t;
}

double stats_mean(const double *x, size_t n)
{
	if (n == 0)
		return 0;
	double s = 0, c = 0;
	for (size_t i = 0; i < n; i++)
		kadd(&s, &c, x[i]);
	if (!isfinite(s))
		return s;
	return (s + c) / (double)n;
}

double stats_std(const double *x, size_t n)
{
	if (n < 2)
		return 0;
	double m = stats_mean(x, n);
	if (!isfinite(m))
		return NAN;
	double s = 0, c = 0;
	for (size_t i = 0; i < n; i++)
		kadd(&s, &c, (x[i] - m) * (x[i] - m));
	return sqrt((s + c) / (double)n);
}

void stats_describe(double *x, size_t n, struct stats_desc *d)
{
	d->n = n;
	d->mean = d->std = d->median = d->min = d->max = 0;
	if (n == 0)
		return;
	d->mean = stats_mean(x, n);
	d->std = stats_std(x, n);
	stats_sort(x, n);
	d->median = stats_median_sorted(x, n);
	d->min = x[0];
	d->max = x[n - 1];
}
