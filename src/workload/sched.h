/* sched.h - request arrival schedules (open loop).
 *
 * Owns the intended release times of requests: gaps ~ Gamma(shape,
 * 1/(rate*shape)) (shape 1 = Poisson, "constant" = equal gaps), cumulated
 * and, for a fixed request count, rescaled so the last arrival lands at
 * N/rate (vLLM's get_request, anchors.md §5.18). rate = inf releases all at
 * t=0. Times are ns from the run's t0; callers sleep to these absolute
 * deadlines, never to relative gaps. Pure given the seed.
 */
#ifndef INFBENCH_WORKLOAD_SCHED_H
#define INFBENCH_WORKLOAD_SCHED_H

#include <stddef.h>
#include <stdint.h>

enum sched_kind { SCHED_POISSON, SCHED_GAMMA, SCHED_CONSTANT };

struct sched_cfg {
	double rate;          /* requests/s; INFINITY = all at once */
	enum sched_kind kind;
	double shape;         /* gamma shape (burstiness); 1 for Poisson */
	uint64_t seed;
};

/* Parse "poisson", "constant" or "gamma:K". 0 or -EINVAL. */
int sched_parse(const char *spec, struct sched_cfg *c);
/* Fill out[0..n) for a fixed count (rescaled as vLLM). */
void sched_fixed(const struct sched_cfg *c, size_t n, int64_t *out_ns);
/* Arrivals up to duration_s without rescaling; returns a malloc'd array
 * (caller frees) and its length in *n. */
int64_t *sched_until(const struct sched_cfg *c, double duration_s, size_t *n);

#endif
