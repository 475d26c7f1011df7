/* run.h - one benchmark run: warm-up, measurement window, drain.
 *
 * Owns the run's phases and its worker threads (one event loop and one HTTP
 * client each; requests sharded by id, records merged at the end), the
 * interrupt protocol (first Ctrl-C stops issuing and drains in-flight
 * requests for a bounded time, a second cancels them) and the client
 * self-check. Every request of the plan ends in exactly one outcome record;
 * none is dropped. Under MPI (dist/dist.h) each rank runs the ids
 * id = rank (mod ranks) of the same plan from a common t0 and rank 0
 * merges every rank's records (dist/share.h). Knows nothing of output
 * formats.
 */
#ifndef INFBENCH_ENGINE_RUN_H
#define INFBENCH_ENGINE_RUN_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"
#include "results/record.h"
#include "workload/dist.h"
#include "workload/plan.h"
#include "workload/sched.h"

struct run_config {
	const char *gen_url;          /* full URL of the generation route */
	const struct proto_ops *api;
	const struct curl_slist *headers; /* Content-Type, auth, user's */
	const char *request_id;       /* "Name: prefix" of a per-request
					 header; each request appends its id
					 ('w' before a warm-up id), e.g.
					 "X-Request-Id: ib-1f2e3d4c-" -> ...-17;
					 NULL = none */
	const char *model;            /* NULL: not sent */
	const struct plan *plan;      /* lengths, prompts, arrivals per id
					 (prepared; borrowed). NULL: a
					 synthetic plan from in_dist,
					 out_dist and seed */
	struct dist in_dist;
	struct dist out_dist;
	long long num_requests;       /* 0 with duration_s > 0 */
	double duration_s;            /* 0 = count-based */
	long long warmup;             /* warm-up requests before t0 */
	long long concurrency;        /* 0 = no cap */
	struct sched_cfg arrivals;    /* rate INFINITY = all at t0 */
	uint64_t seed;
	int threads;                  /* >= 1 */
	double connect_timeout_s;
	double first_token_timeout_s; /* 0 = none */
	double timeout_s;             /* total per request, 0 = none */
	double drain_timeout_s;       /* after the first Ctrl-C */
	int ignore_eos;
	int min_tokens;
	int continuous_usage;
	int save_text;
	double temperature;           /* NaN = server default */
	const char *extra_body;
	int insecure;
	int verbose;
	int transport;                /* enum http_transport */
};

/* Client self-check: is the client, not the server, limiting the run? */
struct run_selfcheck {
	int64_t lateness_p99_ns;     /* send time - intended time (open loop,
					free slot), p99 */
	int64_t lateness_max_ns;
	uint64_t lateness_n;
	int64_t stamp_delay_max_ns;  /* epoll wake-up -> chunk timestamp: how
					long ready data waited while the loop
					served other sockets */
	double stamp_delay_mean_ns;
	int64_t timer_lag_max_ns;    /* wake-up lateness of the loop timer */
	double timer_lag_mean_ns;
	double cpu_s;                /* client worker CPU, all threads */
	double wall_s;
	uint64_t chunks;             /* streamed chunks handled */
	double cpu_us_per_chunk;
	double cpu_busy_frac;        /* cpu_s / (wall_s * threads) */
	long peak_rss_kib;           /* process peak resident memory */
	uint64_t stamp_n;            /* samples behind stamp_delay_mean_ns */
	uint64_t timer_n;            /* samples behind timer_lag_mean_ns */
	uint64_t native_transfers;   /* requests per HTTP transport */
	uint64_t curl_transfers;
	uint64_t connections;        /* opened by the native transport */
	int client_limited;          /* thresholds exceeded */
	char why[256];               /* which threshold, when limited */
};

#define RUN_HOST_MAX 64  /* = DIST_HOST_MAX */
#define RUN_WHY_MAX 256  /* = DIST_WHY_MAX */

/* One rank of a distributed run, as rank 0 saw it. */
struct run_rank {
	char host[RUN_HOST_MAX];
	int runs;                /* ran its share */
	int reported;            /* its records reached rank 0 */
	int status;              /* 0, or it failed mid-run (why) */
	char why[RUN_WHY_MAX];   /* why it did not run / report / finish */
	int threads;
	long long cap;           /* its concurrency share, 0 = none */
	int64_t clock_offset_ns; /* its wall clock minus rank 0's (est.) */
	int64_t clock_rtt_ns;    /* ping-pong round trip (offset error is at
				    most half of it) */
	int64_t t0_skew_ns;      /* its t0 minus rank 0's on the shared
				    monotonic clock: only on rank 0's host
				    (INT64_MIN elsewhere) */
	size_t n_recs;           /* measured records it returned */
	size_t n_not_run;        /* ids of its share recorded not_sent by
				    rank 0 (did not run or report) */
	int interrupted;
	struct run_selfcheck self; /* its own self-check */
};

struct run_output {
	struct rec *recs;    /* warm-up records first, then measured by id */
	size_t n;
	int32_t *tok_counts; /* NULL, or n tokenizer counts of each record's
				text (-1 none) for summary_compute; owned */
	size_t n_warmup;
	int64_t duration_ns; /* measurement window D (anchors.md §5.11) */
	int interrupted;     /* stopped by a signal: partial results */
	int64_t t0_wall_ns;  /* wall clock at t0, for labels */
	int threads;         /* worker threads (all ranks) */
	struct run_selfcheck self; /* merged over ranks: sums, max, and the
				      max of the ranks' p99 lateness */
	int n_ranks;         /* 1, or the MPI ranks of a distributed run */
	struct run_rank *ranks; /* rank 0 with n_ranks > 1: per rank; owned */
	size_t n_not_run;    /* measured requests recorded not_sent because
				their rank did not run or report */
};

/* Run the plan (cfg->plan: lengths, prompts and, for trace replay, the
 * arrival times that replace cfg->arrivals). Returns 0 (also when interrupted: see out->interrupted) or
 * a negative errno with *err set (caller frees) when the run could not
 * start. out->recs is owned by the caller: run_output_free.
 * Distributed (dist_size() > 1, every rank calls it): this rank runs its
 * share; on rank 0 out holds the merged records of all ranks (other ranks'
 * out is empty). A rank that cannot run its share still takes part in the
 * protocol and rank 0 records its share as not_sent. */
int run_execute(const struct run_config *cfg, struct run_output *out,
		char **err);
void run_output_free(struct run_output *out);

/* Install SIGINT/SIGTERM handlers that drive the interrupt protocol. */
void run_install_signals(void);
/* For tests: request a stop as if a signal arrived (level 1 or 2). */
void run_request_stop(int level);

#endif
