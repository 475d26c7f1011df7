/* clockoff.c - median offset and round trip of ping-pong samples. */
#include "dist/clockoff.h"

#include <errno.h>
#include <stdlib.h>

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Median of v[0..k) (sorted in place); the lower middle for even k, so
 * the value is one that was measured. */
static int64_t median(int64_t *v, size_t k)
{
	qsort(v, k, sizeof(*v), cmp_i64);
	return v[(k - 1) / 2];
}

int clockoff_estimate(const struct clockoff_sample *s, size_t k,
		      int64_t *offset_ns, int64_t *rtt_ns)
{
	int64_t off[CLOCKOFF_MAX_ROUNDS], rtt[CLOCKOFF_MAX_ROUNDS];
	if (k == 0 || k > CLOCKOFF_MAX_ROUNDS)
		return -EINVAL;
	for (size_t i = 0; i < k; i++) {
		if (s[i].t_recv_ns < s[i].t_send_ns)
			return -EINVAL;
		rtt[i] = s[i].t_recv_ns - s[i].t_send_ns;
		/* midpoint without overflow */
		int64_t mid = s[i].t_send_ns + rtt[i] / 2;
		off[i] = s[i].t_remote_ns - mid;
	}
	*offset_ns = median(off, k);
	*rtt_ns = median(rtt, k);
	return 0;
}
