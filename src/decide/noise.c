/* noise.c - Mann-Whitney U test (see noise.h). */
#include "decide/noise.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

struct tagged {
	double v;
	int from_b;
};

static int cmp_tag(const void *x, const void *y)
{
	double a = ((const struct tagged *)x)->v,
	       b = ((const struct tagged *)y)->v;
	return (a > b) - (a < b);
}

static int cmp_dbl(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

static double median(const double *v, size_t n)
{
	double *c = xmalloc(n * sizeof(double));
	memcpy(c, v, n * sizeof(double));
	qsort(c, n, sizeof(double), cmp_dbl);
	double m = n % 2 ? c[n / 2]
			 : (isinf(c[n / 2]) ? c[n / 2]
					    : (c[n / 2 - 1] + c[n / 2]) / 2);
	free(c);
	return m;
}

int noise_mann_whitney(const double *a, size_t na, const double *b,
		       size_t nb, struct noise_mw *out)
{
	memset(out, 0, sizeof(*out));
	out->na = na;
	out->nb = nb;
	out->p = 1;
	if (!na || !nb)
		return -1;
	size_t n = na + nb;
	struct tagged *t = xmalloc(n * sizeof(*t));
	for (size_t i = 0; i < na; i++)
		t[i] = (struct tagged){a[i], 0};
	for (size_t i = 0; i < nb; i++)
		t[na + i] = (struct tagged){b[i], 1};
	qsort(t, n, sizeof(*t), cmp_tag);
	double rb = 0, ties = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && (t[j].v == t[i].v ||
				 (isinf(t[j].v) && isinf(t[i].v))))
			j++;
		double rank = ((double)i + 1 + (double)j) / 2; /* mid-rank */
		double k = (double)(j - i);
		ties += k * k * k - k;
		for (size_t m = i; m < j; m++)
			if (t[m].from_b)
				rb += rank;
		i = j;
	}
	free(t);
	double fa = (double)na, fb = (double)nb, fn = (double)n;
	out->u = rb - fb * (fb + 1) / 2;
	double mu = fa * fb / 2;
	double var = fa * fb / 12 * ((fn + 1) - ties / (fn * (fn - 1)));
	out->prob_b_gt_a = out->u / (fa * fb);
	if (var > 0) {
		double d = out->u - mu;
		double cc = d > 0 ? -0.5 : d < 0 ? 0.5 : 0;
		out->z = (d + cc) / sqrt(var);
		out->p = erfc(fabs(out->z) / sqrt(2));
	}
	out->median_a = median(a, na);
	out->median_b = median(b, nb);
	return 0;
}
