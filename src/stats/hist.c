/* hist.c - log-linear histogram (see hist.h). */
#include "stats/hist.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

int hist_init(struct hist *h, double rel_err)
{
	memset(h, 0, sizeof(*h));
	if (!(rel_err <= 0.25 && rel_err >= ldexp(1, -(HIST_MAX_SUB_BITS + 1))))
		return -EINVAL;
	unsigned s = HIST_MIN_SUB_BITS;
	while (ldexp(1, -(int)(s + 1)) > rel_err)
		s++;
	h->sub_bits = s;
	h->n_buckets = (size_t)(64 - s) << s;
	h->counts = xcalloc(h->n_buckets, sizeof(*h->counts));
	return 0;
}

void hist_free(struct hist *h)
{
	if (!h)
		return;
	free(h->counts);
	memset(h, 0, sizeof(*h));
}

void hist_reset(struct hist *h)
{
	memset(h->counts, 0, h->n_buckets * sizeof(*h->counts));
	h->count = 0;
	h->min = h->max = 0;
	h->sum = 0;
}

/* Bucket of v >= 0: exact below 2^S; else shift = msb - S, index =
 * (shift + 1) * 2^S + (v >> shift) - 2^S. */
static size_t bucket_of(unsigned s, uint64_t v)
{
	uint64_t sub = (uint64_t)1 << s;
	if (v < sub)
		return (size_t)v;
	unsigned msb = 63 - (unsigned)__builtin_clzll(v);
	unsigned shift = msb - s;
	return (size_t)(((uint64_t)shift + 1) * sub + (v >> shift) - sub);
}

/* Lowest value of bucket i and its width. */
static void bucket_range(unsigned s, size_t i, uint64_t *lo, uint64_t *width)
{
	uint64_t sub = (uint64_t)1 << s;
	if (i < sub) {
		*lo = i;
		*width = 1;
		return;
	}
	uint64_t shift = i / sub - 1;
	uint64_t mant = i % sub + sub;
	*lo = mant << shift;
	*width = (uint64_t)1 << shift;
}

void hist_record_n(struct hist *h, int64_t v, uint64_t n)
{
	if (n == 0)
		return;
	if (v < 0)
		v = 0;
	h->counts[bucket_of(h->sub_bits, (uint64_t)v)] += n;
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (h->count == 0 || v > h->max)
		h->max = v;
	h->count += n;
	h->sum += (double)v * (double)n;
}

void hist_record(struct hist *h, int64_t v)
{
	hist_record_n(h, v, 1);
}

int hist_merge(struct hist *dst, const struct hist *src)
{
	if (dst->sub_bits != src->sub_bits)
		return -EINVAL;
	if (src->count == 0)
		return 0;
	for (size_t i = 0; i < dst->n_buckets; i++)
		dst->counts[i] += src->counts[i];
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (dst->count == 0 || src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
	return 0;
}

int64_t hist_value_at_pct(const struct hist *h, double p)
{
	if (h->count == 0)
		return 0;
	if (!(p >= 0))
		p = 0;
	if (p > 100)
		p = 100;
	double r = ceil(p / 100 * (double)h->count);
	uint64_t rank = r < 1 ? 1 : (uint64_t)r;
	if (rank >= h->count)
		return h->max; /* exact extremes */
	if (rank == 1)
		return h->min;
	uint64_t cum = 0;
	for (size_t i = 0; i < h->n_buckets; i++) {
		cum += h->counts[i];
		if (cum >= rank) {
			uint64_t lo, w;
			bucket_range(h->sub_bits, i, &lo, &w);
			int64_t mid = (int64_t)(lo + (w - 1) / 2);
			if (mid < h->min)
				mid = h->min;
			if (mid > h->max)
				mid = h->max;
			return mid;
		}
	}
	return h->max;
}

uint64_t hist_count(const struct hist *h)
{
	return h->count;
}

double hist_mean(const struct hist *h)
{
	return h->count ? h->sum / (double)h->count : 0;
}

double hist_rel_error(const struct hist *h)
{
	return ldexp(1, -(int)(h->sub_bits + 1));
}
