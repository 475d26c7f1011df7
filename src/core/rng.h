/* rng.h - seeded pseudo-random numbers and the distributions workloads use.
 *
 * xoshiro256** seeded through splitmix64: same seed, same stream, on every
 * machine. One struct rng per user (not thread-safe; give each thread its
 * own, derived with rng_fork).
 */
#ifndef INFBENCH_CORE_RNG_H
#define INFBENCH_CORE_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
/* A new independent stream derived from r and a stream id. */
void rng_fork(const struct rng *r, uint64_t stream, struct rng *out);
uint64_t rng_u64(struct rng *r);
/* Uniform in [0, 1). */
double rng_uniform(struct rng *r);
/* Uniform integer in [lo, hi] inclusive. */
int64_t rng_int(struct rng *r, int64_t lo, int64_t hi);
/* Standard normal (Box-Muller, no cached second value). */
double rng_normal(struct rng *r);
/* Exponential with rate lambda (mean 1/lambda). */
double rng_exp(struct rng *r, double lambda);
/* Gamma(shape k, scale theta), Marsaglia-Tsang. */
double rng_gamma(struct rng *r, double k, double theta);

#endif
