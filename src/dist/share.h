/* share.h - which requests each rank runs, and rank 0's merge of them.
 *
 * Owns the id rule of a distributed run (rank r runs id = r (mod size);
 * its workers split those further), the schedule digest the ranks compare
 * before starting, the bytes a rank sends back (its records, self-check and
 * flags) and rank 0's merge: records of every rank sorted by id, the share
 * of a rank that did not run or report recorded not_sent with a reason
 * naming the rank, self-checks merged. Pure (no MPI, no I/O); one thread.
 */
#ifndef INFBENCH_DIST_SHARE_H
#define INFBENCH_DIST_SHARE_H

#include <stddef.h>
#include <stdint.h>

#include "dist/dist.h"
#include "dist/pack.h"
#include "engine/run.h"
#include "workload/plan.h"

#define SHARE_DIGEST_IDS (1LL << 20) /* ids whose lengths enter the digest */
#define SHARE_FILL_MAX (1LL << 32)   /* ids rank 0 can account for */

/* Ids in [0, n) that rank r of size owns: r, r + size, ... */
long long share_count(long long n, int rank, int size);
/* Concurrency share of rank r (0 = no cap only when total is 0). */
long long share_cap(long long total, int rank, int size);

/* FNV-1a digest of what every rank must agree on: the request count, the
 * warm-up count, the arrival times and the lengths of the first
 * SHARE_DIGEST_IDS measured ids and of the warm-up ids. */
uint64_t share_digest(const struct plan *p, long long n_total,
		      const int64_t *arrivals, long long warmup);

/* The schedule rank 0 accounts against. */
struct share_sched {
	const struct plan *plan;
	long long n_fill;        /* ids [0, n_fill) must each have a record
				    (0 = open-ended: nothing to fill) */
	const int64_t *arrivals; /* per id, NULL = all at 0 */
};

/* This rank's bytes for dist_gather: its output (records, self-check,
 * interrupted flag). Sticky errors in w->err. */
void share_pack(struct pack_w *w, const struct run_output *out);

/* Rank 0: merge blobs[1..size) (from dist_gather; NULL data = did not
 * report) into out, which holds rank 0's own output. Afterwards out has
 * warm-up records first, then measured records sorted by id, ids of
 * sched->n_fill without a record added as not_sent ("not run: rank R
 * (HOST): WHY"), out->ranks/n_ranks/n_not_run filled, self-checks merged
 * (the caller judges the merged one) and out->threads summed. A blob
 * that does not decode counts as not reported. Returns the number of
 * duplicated ids found (0 when consistent). */
size_t share_merge(struct run_output *out, struct dist_blob *blobs,
		   const struct dist_rank *ranks, int size,
		   const struct share_sched *sched);

#endif
