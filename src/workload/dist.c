/* dist.c - token-length distributions. */
#include "workload/dist.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_num(const char *s, char **end, double *v)
{
	errno = 0;
	*v = strtod(s, end);
	return errno || *end == s || !isfinite(*v) ? -EINVAL : 0;
}

int dist_parse(const char *spec, struct dist *d, const char **why)
{
	memset(d, 0, sizeof(*d));
	d->min = 1;
	char *end;
	double x, y;
	*why = "expected N, N,N,..., uniform:LO:HI, normal:MEAN:SD or "
	       "lognormal:MEAN:SD";
	if (!spec || !*spec)
		return -EINVAL;
	const char *colon = strchr(spec, ':');
	if (colon) {
		size_t kl = (size_t)(colon - spec);
		if (kl == 7 && !strncmp(spec, "uniform", 7))
			d->kind = DIST_UNIFORM;
		else if (kl == 6 && !strncmp(spec, "normal", 6))
			d->kind = DIST_NORMAL;
		else if (kl == 9 && !strncmp(spec, "lognormal", 9))
			d->kind = DIST_LOGNORMAL;
		else
			return -EINVAL;
		if (parse_num(colon + 1, &end, &x) || *end != ':' ||
		    parse_num(end + 1, &end, &y) || *end)
			return -EINVAL;
		d->a = x;
		d->b = y;
		if (d->kind == DIST_UNIFORM &&
		    (x < 1 || y < x || x != floor(x) || y != floor(y))) {
			*why = "uniform:LO:HI needs integers 1 <= LO <= HI";
			return -EINVAL;
		}
		if (d->kind != DIST_UNIFORM && (x <= 0 || y < 0)) {
			*why = "MEAN must be > 0 and SD >= 0";
			return -EINVAL;
		}
		if (d->kind == DIST_LOGNORMAL) {
			double v = log(1.0 + (y * y) / (x * x));
			d->sigma = sqrt(v);
			d->mu = log(x) - v / 2.0;
		}
		return 0;
	}
	const char *p = spec;
	for (;;) {
		if (parse_num(p, &end, &x) || x < 1 || x != floor(x) ||
		    x > INT32_MAX) {
			*why = "lengths must be integers >= 1";
			return -EINVAL;
		}
		if (d->nvalues == DIST_MAX_VALUES) {
			*why = "too many values in the list";
			return -EINVAL;
		}
		d->values[d->nvalues++] = (int32_t)x;
		if (!*end)
			break;
		if (*end != ',')
			return -EINVAL;
		p = end + 1;
	}
	if (d->nvalues == 1) {
		d->kind = DIST_FIXED;
		d->a = d->values[0];
	} else {
		d->kind = DIST_CHOICE;
	}
	return 0;
}

static int32_t clamp(const struct dist *d, double v)
{
	double r = floor(v + 0.5);
	if (r < d->min)
		r = d->min;
	if (d->max > 0 && r > d->max)
		r = d->max;
	if (r > INT32_MAX)
		r = INT32_MAX;
	return (int32_t)r;
}

int32_t dist_sample(const struct dist *d, struct rng *r)
{
	switch (d->kind) {
	case DIST_FIXED:
		return clamp(d, d->a);
	case DIST_CHOICE:
		return clamp(d, d->values[rng_int(r, 0,
						   (int64_t)d->nvalues - 1)]);
	case DIST_UNIFORM:
		return clamp(d, (double)rng_int(r, (int64_t)d->a,
						(int64_t)d->b));
	case DIST_NORMAL:
		return clamp(d, d->a + d->b * rng_normal(r));
	case DIST_LOGNORMAL:
		return clamp(d, exp(d->mu + d->sigma * rng_normal(r)));
	}
	return d->min;
}

double dist_mean(const struct dist *d)
{
	switch (d->kind) {
	case DIST_CHOICE: {
		double s = 0;
		for (size_t i = 0; i < d->nvalues; i++)
			s += d->values[i];
		return s / (double)d->nvalues;
	}
	case DIST_UNIFORM:
		return (d->a + d->b) / 2.0;
	default:
		return d->a;
	}
}

void dist_format(const struct dist *d, char *buf, size_t n)
{
	switch (d->kind) {
	case DIST_FIXED:
		snprintf(buf, n, "%d", (int)d->a);
		break;
	case DIST_CHOICE: {
		size_t off = 0;
		for (size_t i = 0; i < d->nvalues && off < n; i++)
			off += (size_t)snprintf(buf + off, n - off, "%s%d",
						i ? "," : "", d->values[i]);
		break;
	}
	case DIST_UNIFORM:
		snprintf(buf, n, "uniform:%g:%g", d->a, d->b);
		break;
	case DIST_NORMAL:
		snprintf(buf, n, "normal:%g:%g", d->a, d->b);
		break;
	case DIST_LOGNORMAL:
		snprintf(buf, n, "lognormal:%g:%g", d->a, d->b);
		break;
	}
}
