/* dist.h - token-length distributions for prompts and outputs.
 *
 * Owns parsing and sampling of a length spec:
 *   "512"                 fixed
 *   "128,256,512"         uniform choice among the values
 *   "uniform:LO:HI"       uniform integer in [LO, HI]
 *   "normal:MEAN:SD"      rounded normal
 *   "lognormal:MEAN:SD"   lognormal with that mean and sd (in tokens)
 * Samples are clamped to [min, max] (min >= 1). Pure; thread-safe given a
 * per-caller rng.
 */
#ifndef INFBENCH_WORKLOAD_DIST_H
#define INFBENCH_WORKLOAD_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "core/rng.h"

#define DIST_MAX_VALUES 64

enum dist_kind { DIST_FIXED, DIST_CHOICE, DIST_UNIFORM, DIST_NORMAL,
		 DIST_LOGNORMAL };

struct dist {
	enum dist_kind kind;
	double a, b;                    /* fixed: a; uniform: [a,b]; normal/
					   lognormal: mean a, sd b */
	int32_t values[DIST_MAX_VALUES]; /* choice */
	size_t nvalues;
	int32_t min, max;               /* clamp; max 0 = none */
	double mu, sigma;               /* lognormal, derived */
};

/* Parse spec into d. Returns 0 or -EINVAL with a reason in *why (static
 * string). */
int dist_parse(const char *spec, struct dist *d, const char **why);
int32_t dist_sample(const struct dist *d, struct rng *r);
/* Expected value (for estimates and labels). */
double dist_mean(const struct dist *d);
/* Human-readable form into buf ("uniform:128:512"). */
void dist_format(const struct dist *d, char *buf, size_t n);

#endif
