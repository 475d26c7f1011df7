/* noise.h - is the difference between two runs larger than run-to-run
 * noise? Mann-Whitney U on per-request samples.
 *
 * Owns the rank-sum test (ties get mid-ranks, the variance the tie
 * correction; normal approximation with continuity correction, two-sided
 * p-value). +inf samples (failures) rank above everything. Pure functions
 * on caller arrays; thread-safe.
 */
#ifndef INFBENCH_DECIDE_NOISE_H
#define INFBENCH_DECIDE_NOISE_H

#include <stddef.h>

struct noise_mw {
	size_t na, nb;
	double u;        /* U statistic of sample b */
	double z;        /* standardised, + when b tends larger */
	double p;        /* two-sided p-value (normal approximation) */
	double prob_b_gt_a; /* U / (na nb): P(B > A) + P(B = A)/2 */
	double median_a, median_b;
};

/* Test a[0..na) against b[0..nb) (both copied, not modified). Returns 0,
 * or -1 when either sample is empty (out->p = 1). */
int noise_mann_whitney(const double *a, size_t na, const double *b,
		       size_t nb, struct noise_mw *out);

#endif
