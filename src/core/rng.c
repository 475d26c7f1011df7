/* rng.c - xoshiro256** and distributions. */
#include "core/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

void rng_fork(const struct rng *r, uint64_t stream, struct rng *out)
{
	uint64_t x = r->s[0] ^ (r->s[3] * 0x9e3779b97f4a7c15ULL) ^
		     (stream * 0xd1342543de82ef95ULL);
	for (int i = 0; i < 4; i++)
		out->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t rng_u64(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double rng_uniform(struct rng *r)
{
	return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

int64_t rng_int(struct rng *r, int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return lo;
	uint64_t span = (uint64_t)(hi - lo) + 1;
	/* Rejection sampling for an unbiased result. */
	uint64_t lim = UINT64_MAX - UINT64_MAX % span;
	uint64_t v;
	do
		v = rng_u64(r);
	while (v >= lim);
	return lo + (int64_t)(v % span);
}

double rng_normal(struct rng *r)
{
	double u1 = rng_uniform(r);
	double u2 = rng_uniform(r);
	if (u1 < 1e-300)
		u1 = 1e-300;
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

double rng_exp(struct rng *r, double lambda)
{
	double u = rng_uniform(r);
	return -log1p(-u) / lambda;
}

double rng_gamma(struct rng *r, double k, double theta)
{
	if (k < 1.0) {
		/* Boost: Gamma(k) = Gamma(k+1) * U^(1/k). */
		double u = rng_uniform(r);
		if (u < 1e-300)
			u = 1e-300;
		return rng_gamma(r, k + 1.0, theta) * pow(u, 1.0 / k);
	}
	double d = k - 1.0 / 3.0;
	double c = 1.0 / sqrt(9.0 * d);
	for (;;) {
		double x, v;
		do {
			x = rng_normal(r);
			v = 1.0 + c * x;
		} while (v <= 0);
		v = v * v * v;
		double u = rng_uniform(r);
		if (u < 1.0 - 0.0331 * x * x * x * x)
			return d * v * theta;
		if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v)))
			return d * v * theta;
	}
}
