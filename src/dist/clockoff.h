/* clockoff.h - clock offset between two hosts from ping-pong samples.
 *
 * Owns the estimator only: from k rounds of (local send time, remote clock
 * reading, local receive time) the offset remote - local is the median of
 * remote - midpoint, and the round trip the median of receive - send. No
 * I/O, no MPI; pure and thread-safe.
 */
#ifndef INFBENCH_DIST_CLOCKOFF_H
#define INFBENCH_DIST_CLOCKOFF_H

#include <stddef.h>
#include <stdint.h>

#define CLOCKOFF_MAX_ROUNDS 1024

/* One round: t_send_ns and t_recv_ns on the local clock, t_remote_ns the
 * remote clock read in between. */
struct clockoff_sample {
	int64_t t_send_ns;
	int64_t t_remote_ns;
	int64_t t_recv_ns;
};

/* Median offset (remote - local, ns) and median round trip over
 * s[0..k). The error of the offset is at most half the round trip when
 * the two legs are symmetric. Returns 0, or -EINVAL when k is 0, above
 * CLOCKOFF_MAX_ROUNDS or a sample has recv < send. */
int clockoff_estimate(const struct clockoff_sample *s, size_t k,
		      int64_t *offset_ns, int64_t *rtt_ns);

#endif
