/* requeue.h - periodic stall check: does a request pause every P tokens?
 *
 * Owns the detection of TGI 3.x's re-queue (a request is split into
 * passes of DEFAULT_GENERATION_LENGTH = 1024 tokens; each later pass waits
 * in the queue and re-runs prefill): for every successful record with
 * exact per-chunk token counts, the gap before the first token past each
 * multiple of P is compared with the same requests' typical per-token gap.
 * Pure; reads records only; thread-safe on distinct outputs.
 */
#ifndef INFBENCH_RESULTS_REQUEUE_H
#define INFBENCH_RESULTS_REQUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "results/record.h"

#define REQUEUE_MIN_STALL_S 0.005 /* below this a gap is not a stall */

struct requeue_check {
	int32_t period_tok;   /* P */
	size_t n_requests;    /* successes that crossed >= 1 boundary */
	size_t n_boundaries;  /* boundaries crossed, all requests */
	size_t n_unknown;     /* long enough, but chunk counts unknown */
	double gap_mean_s;    /* mean gap of the chunks that start a pass
			       * (hold token k*P+1) */
	double gap_max_s;
	double itl_median_s;  /* median per-token gap elsewhere (same reqs) */
	double stall_mean_s;  /* gap_mean_s - itl_median_s */
	int detected;         /* stall_mean_s > max(REQUEUE_MIN_STALL_S,
			       * 2 * itl_median_s) */
};

/* Check recs[0..n) (warm-up and failed records skipped) for stalls every
 * period_tok tokens. out is zeroed first. Returns 0, or -EINVAL for
 * period_tok < 1. */
int requeue_check(const struct rec *recs, size_t n, int32_t period_tok,
		  struct requeue_check *out);

#endif
