/* tstat.h - running count/mean/min/max of one series, NaN-skipping, and the
 * JSON number helper telemetry writes with (NaN -> null).
 *
 * Header-only; no allocation. Not thread-safe (owners lock).
 */
#ifndef INFBENCH_TELEMETRY_TSTAT_H
#define INFBENCH_TELEMETRY_TSTAT_H

#include <jansson.h>
#include <math.h>
#include <stdint.h>

struct tstat {
	uint64_t n;
	double sum, min, max;
};

static inline void tstat_init(struct tstat *s)
{
	s->n = 0;
	s->sum = 0;
	s->min = INFINITY;
	s->max = -INFINITY;
}

static inline void tstat_add(struct tstat *s, double v)
{
	if (isnan(v))
		return;
	s->n++;
	s->sum += v;
	if (v < s->min)
		s->min = v;
	if (v > s->max)
		s->max = v;
}

/* Mean, min, max; NaN when empty. */
static inline double tstat_mean(const struct tstat *s)
{
	return s->n ? s->sum / (double)s->n : NAN;
}
static inline double tstat_min(const struct tstat *s)
{
	return s->n ? s->min : NAN;
}
static inline double tstat_max(const struct tstat *s)
{
	return s->n ? s->max : NAN;
}

/* New reference: a JSON real, or null for NaN/Inf (JSON has neither). */
static inline json_t *tjson_num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

#endif
