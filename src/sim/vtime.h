/* vtime.h - run a whole workload through one engine on a virtual clock.
 *
 * Owns the event loop of simulator.md §7 in virtual time: no sockets, the
 * clock jumps from step end to step end (or to the next arrival when idle).
 * Fills one struct rec per request exactly as a zero-overhead client would
 * have, and an optional decimated timeline. Single-threaded; separate runs
 * may proceed on separate threads.
 */
#ifndef INFBENCH_SIM_VTIME_H
#define INFBENCH_SIM_VTIME_H

#include <stdint.h>

#include "results/record.h"
#include "sim/engine.h"

#define SIM_TL_MAX_POINTS 100000 /* default cap on timeline points */

struct sim_workload {
	uint32_t n;               /* requests */
	const int32_t *in_len;    /* [n] prompt tokens */
	const int32_t *out_len;   /* [n] tokens to generate (max_tokens) */
	const int64_t *arrival_ns; /* [n] open loop release times, or NULL */
	uint32_t concurrency;     /* > 0: closed loop (arrival_ns ignored);
				     requests start in index order, the first
				     `concurrency` at t=0, each next one at
				     the instant another finishes or fails */
	uint32_t warmup;          /* the first `warmup` requests get
				     rec.warmup = 1 */
	uint32_t bytes_per_token; /* text bytes per token event; 0 = 4 */
};

struct sim_tl_point {
	int64_t t_ns;           /* step end */
	int32_t running, waiting;
	int32_t batch_tok;      /* tokens computed in the step */
	int64_t kv_used_tok, kv_alloc_tok;
	int64_t preemptions;    /* cumulative */
};

/* Per-step samples, decimated by 2 each time the cap is reached (so the
 * spacing in steps is `stride`, a power of two). */
struct sim_timeline {
	struct sim_tl_point *pts; /* owned */
	uint32_t n, cap;          /* cap = max points */
	uint32_t stride;          /* steps per kept point */
	uint64_t seen;            /* steps offered */
};

/* max_points 0 = SIM_TL_MAX_POINTS (min 2). Free with sim_timeline_free. */
void sim_timeline_init(struct sim_timeline *tl, uint32_t max_points);
void sim_timeline_free(struct sim_timeline *tl);

/* Simulate the workload. out_recs[n] is caller-owned: each is rec_init'ed
 * here (free with rec_free) and gets t_arrival/t_send (intended release),
 * t_first_byte (= send: headers go out on admission to the queue), one
 * rec_push_event(t, 1, bytes_per_token) per token, t_done, prompt/
 * completion tokens and the outcome: REC_OK; REC_HTTP_ERROR 429 when the
 * reserved engine is full; REC_HTTP_ERROR 400 (paged) / 422 (reserved) when
 * the request can never fit. tl and final may be NULL. Returns 0, or -errno
 * with *err set (caller frees) for a bad config or workload. */
int sim_run_virtual(const struct sim_config *cfg, const struct sim_workload *wl,
		    struct rec *out_recs, struct sim_timeline *tl,
		    struct sim_mem *final, char **err);

#endif
