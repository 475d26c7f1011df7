/* hist.h - mergeable log-linear histogram of non-negative integers (ns).
 *
 * Owns a fixed bucket array (HdrHistogram-like): values below 2^S are exact,
 * above that each power-of-two range is split into 2^S equal buckets, so a
 * reported value is within 2^-(S+1) of the true one, relative. Exact count,
 * min, max and sum are kept beside. For very long runs where keeping every
 * sample is too much. One per thread; merge at the end. Not thread-safe.
 */
#ifndef INFBENCH_STATS_HIST_H
#define INFBENCH_STATS_HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_MIN_SUB_BITS 1
#define HIST_MAX_SUB_BITS 16 /* 2^16 sub-buckets: 48 * 65536 * 8 B = 25 MB */

struct hist {
	unsigned sub_bits;  /* S */
	size_t n_buckets;   /* (64 - S) << S */
	uint64_t *counts;   /* owned, n_buckets */
	uint64_t count;     /* values recorded */
	int64_t min, max;   /* exact; 0 when empty */
	double sum;         /* exact-ish sum for the mean */
};

/* Set up h so that any value it reports is within rel_err (relative) of a
 * recorded value: picks the smallest S with 2^-(S+1) <= rel_err, e.g.
 * 0.01 -> S = 6 (0.78 %). Returns 0, or -EINVAL when rel_err is outside
 * [2^-(HIST_MAX_SUB_BITS+1), 0.25]. h owns memory: hist_free. */
int hist_init(struct hist *h, double rel_err);
/* Free the buckets; NULL-safe; h may be hist_init'ed again. */
void hist_free(struct hist *h);
/* Forget every value, keep the precision. */
void hist_reset(struct hist *h);

/* Record v (negative values are recorded as 0) n times. */
void hist_record_n(struct hist *h, int64_t v, uint64_t n);
void hist_record(struct hist *h, int64_t v);

/* Add every value of src into dst. Returns 0, or -EINVAL when the two were
 * made with different precision (dst unchanged). */
int hist_merge(struct hist *dst, const struct hist *src);

/* The p-th percentile (0..100) by the inverted-CDF rule (smallest value
 * whose rank >= ceil(p/100 * count), at least rank 1): the middle of its
 * bucket, clamped to [min, max]; the first and last rank give the exact min
 * and max. 0 when empty. */
int64_t hist_value_at_pct(const struct hist *h, double p);

uint64_t hist_count(const struct hist *h);
/* sum / count; 0 when empty. */
double hist_mean(const struct hist *h);
/* The guaranteed relative error bound 2^-(S+1). */
double hist_rel_error(const struct hist *h);

#endif
