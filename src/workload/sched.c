/* sched.c - request arrival schedules. */
#include "workload/sched.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/xmalloc.h"

int sched_parse(const char *spec, struct sched_cfg *c)
{
	if (!strcmp(spec, "poisson")) {
		c->kind = SCHED_POISSON;
		c->shape = 1.0;
		return 0;
	}
	if (!strcmp(spec, "constant")) {
		c->kind = SCHED_CONSTANT;
		c->shape = INFINITY;
		return 0;
	}
	if (!strncmp(spec, "gamma:", 6)) {
		char *end;
		double k = strtod(spec + 6, &end);
		if (end == spec + 6 || *end || !(k > 0))
			return -EINVAL;
		c->kind = isinf(k) ? SCHED_CONSTANT : SCHED_GAMMA;
		c->shape = k;
		return 0;
	}
	return -EINVAL;
}

static double gap_s(const struct sched_cfg *c, struct rng *r)
{
	switch (c->kind) {
	case SCHED_CONSTANT:
		return 1.0 / c->rate;
	case SCHED_POISSON:
		return rng_exp(r, c->rate);
	case SCHED_GAMMA:
		return rng_gamma(r, c->shape, 1.0 / (c->rate * c->shape));
	}
	return 0;
}

void sched_fixed(const struct sched_cfg *c, size_t n, int64_t *out_ns)
{
	if (!n)
		return;
	if (!(c->rate > 0) || isinf(c->rate)) {
		memset(out_ns, 0, n * sizeof(*out_ns));
		return;
	}
	struct rng r;
	rng_seed(&r, c->seed ^ 0x5c4ed11e5ULL);
	double *t = xmalloc(n * sizeof(double));
	double acc = 0;
	for (size_t i = 0; i < n; i++) {
		acc += gap_s(c, &r);
		t[i] = acc;
	}
	/* Rescale so the last arrival is at n/rate (vLLM). */
	double scale = t[n - 1] > 0 ? ((double)n / c->rate) / t[n - 1] : 1.0;
	for (size_t i = 0; i < n; i++)
		out_ns[i] = (int64_t)llround(t[i] * scale * 1e9);
	free(t);
}

int64_t *sched_until(const struct sched_cfg *c, double duration_s, size_t *n)
{
	size_t cap = 0, len = 0;
	int64_t *out = NULL;
	if (!(c->rate > 0) || isinf(c->rate)) {
		*n = 0;
		return NULL;
	}
	struct rng r;
	rng_seed(&r, c->seed ^ 0x5c4ed11e5ULL);
	double acc = 0;
	for (;;) {
		acc += gap_s(c, &r);
		if (acc > duration_s)
			break;
		xgrow((void **)&out, &cap, len + 1, sizeof(*out));
		out[len++] = (int64_t)llround(acc * 1e9);
	}
	*n = len;
	return out;
}
