/* dist.h - one benchmark run across several client processes (MPI ranks).
 *
 * Owns the MPI runtime of the process (init/finalize, rank, size, host) and
 * the run protocol every rank follows exactly once per run, present or not:
 * vote (who can run, same schedule?) -> start (clock offsets, common t0) ->
 * gather (each rank's bytes to rank 0). Built without INFBENCH_MPI every call
 * is a no-op for rank 0 of 1, so callers have one code path. Knows nothing
 * of records or requests (dist/share.h does). Call from one thread only.
 */
#ifndef INFBENCH_DIST_DIST_H
#define INFBENCH_DIST_DIST_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define DIST_HOST_MAX 64          /* bytes of a host name kept */
#define DIST_WHY_MAX 256          /* bytes of a "why not" reason */
#define DIST_MAX_RANKS 4096
#define DIST_MAX_PAYLOAD ((size_t)8 << 30) /* bytes one rank may send */
#define DIST_SYNC_ROUNDS 31       /* ping-pongs per rank (median) */
#define DIST_T0_LEAD_NS (100 * 1000000LL) /* t0 this far after the vote */
#define DIST_REPORT_GRACE_S 1.0   /* after a stop: wait this much beyond
				     the drain time for other ranks */

/* One rank as the others know it after dist_vote / dist_start. */
struct dist_rank {
	char host[DIST_HOST_MAX];
	int present;              /* could start (vote) */
	int runs;                 /* present, same schedule as rank 0, and
				     rank 0 present: runs its share */
	char why[DIST_WHY_MAX];   /* why it does not run / failed */
	int32_t threads;          /* worker threads it uses */
	int64_t cap;              /* its concurrency share, 0 = none */
	uint64_t digest;          /* its schedule digest */
	int64_t clock_offset_ns;  /* its wall clock minus rank 0's (est.) */
	int64_t clock_rtt_ns;     /* median ping-pong round trip */
	int64_t t0_mono_ns;       /* its t0 on its monotonic clock
				     (comparable only on one host) */
	int reported;             /* rank 0: its gather bytes arrived */
	int32_t status;           /* its gather status: 0 ok, else failed */
};

/* Initialise: under an MPI launch (mpirun, srun) MPI_Init with
 * MPI_ERRORS_RETURN; otherwise (or without INFBENCH_MPI) rank 0 of 1.
 * A binary without MPI that detects an MPI launch (OMPI_COMM_WORLD_SIZE,
 * PMI_SIZE, PMIX_RANK, SLURM_STEP_NUM_TASKS > 1) returns -ENOTSUP with a
 * one-line reason in *why (static). Ranks other than 0 get stdout
 * redirected to /dev/null (only rank 0 reports). Idempotent; 0 on
 * success. */
int dist_init(const char **why);
/* End the MPI runtime: MPI_Finalize, or MPI_Abort(rc) when a rank was
 * lost (a pending receive from a dead rank would hang finalize). No-op
 * without MPI. Call once, at the very end. */
void dist_finalize(int rc);

int dist_rank(void);
int dist_size(void);
const char *dist_host(void);
/* 1 when built with INFBENCH_MPI. */
int dist_compiled(void);

/* What this rank brings to the vote. */
struct dist_vote_in {
	int present;         /* 0: could not start; why says so */
	const char *why;     /* NULL when present */
	int32_t threads;
	int64_t cap;
	uint64_t digest;     /* schedule digest (dist/share.h) */
};

/* Step 1 of a run, every rank: all-gather of the votes. Fills the rank
 * table; *runs_me says whether this rank runs its share (present, same
 * digest as rank 0, rank 0 present). Returns 0, or -EIO when rank 0 is
 * absent (then nobody runs; *why names rank 0's reason) or MPI failed. */
int dist_vote(const struct dist_vote_in *in, int *runs_me, char *why,
	      size_t why_len);

/* Step 2, every rank: clock offsets of every rank against rank 0's wall
 * clock (DIST_SYNC_ROUNDS ping-pongs, median), then rank 0 broadcasts
 * t0 = its wall clock + lead_ns and each rank maps it onto its own
 * monotonic clock. Size 1: t0 = now + lead_ns. 0 or -EIO. */
int dist_start(int64_t lead_ns, int64_t *t0_mono_ns, int64_t *t0_wall_ns);

/* One rank's gathered bytes, on rank 0. */
struct dist_blob {
	char *data;   /* owned; NULL when the rank did not report */
	size_t len;
};

/* Step 3, every rank: rank r != 0 sends status and its bytes to rank 0;
 * rank 0 receives from every other rank, polling, and gives up on the
 * ranks still silent DIST_REPORT_GRACE_S + drain_s after *stop becomes 1
 * (at once when it reaches 2). On rank 0 *out gets dist_size() blobs
 * (entry 0 empty; caller frees with dist_blobs_free); elsewhere NULL.
 * status != 0 with why: this rank failed mid-run. 0 or -EIO. */
int dist_gather(const void *data, size_t len, int32_t status,
		const char *why, const volatile sig_atomic_t *stop,
		double drain_s, struct dist_blob **out);
void dist_blobs_free(struct dist_blob *b, int n);

/* Steps 1-3 for a rank that cannot take part (failed before its run):
 * votes absent with why and sends nothing. No-op when size is 1 or the
 * protocol already ran in this process. */
void dist_absent(const char *why);
/* 1 while this process still owes the protocol (size > 1, not yet
 * gathered). */
int dist_pending(void);

/* The rank table of the last vote (dist_size() entries), or NULL before
 * it. Borrowed. */
const struct dist_rank *dist_ranks(void);
/* Ranks whose bytes did not arrive at the last gather (rank 0). */
int dist_lost(void);

#endif
