/* decision.h - from measured load points to an answer: the best throughput
 * under the SLA per target, the winner per workload, GPUs for a peak, a
 * context-length check and a plain-language reading.
 *
 * Owns the sweep's data model (levels = one load of one target x workload,
 * its repeats pooled; cells = target x workload with the search outcome)
 * and the arithmetic on it. Reads results documents given to it; no file
 * I/O except printing the reading to a FILE. Not thread-safe.
 */
#ifndef INFBENCH_DECIDE_DECISION_H
#define INFBENCH_DECIDE_DECISION_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "decide/eval.h"
#include "decide/search.h"
#include "scenario/scenario.h"

#define DECIDE_MAX_REPEATS 100   /* files per level */
#define DECIDE_MAX_LEVELS 4096   /* levels in one set */

/* Numbers of one level; NaN where the files do not say. */
struct decide_metrics {
	double out_tok_s, out_tok_s_min, out_tok_s_max; /* over repeats */
	double req_s;
	double ttft_p50_s, ttft_p99_s, tpot_p99_s;
	double e2el_p50_s, e2el_p99_s, e2el_mean_s;
	double sla_p_min_s, sla_p_max_s; /* first SLA term's sample
					  * percentile over repeats */
	double gpu_mem_bytes;       /* simulated: preallocated total; real:
				     * DCGM peak from the telemetry sidecar */
	double kv_alloc_mean_bytes; /* simulated only */
	double kv_used_mean_bytes;  /* simulated only */
	double kv_usage_mean;       /* fraction of the pool (sidecar or sim) */
	double max_model_len;       /* the server's or engine's context */
	int simulated;
};

struct decide_level {
	int target, workload;  /* indices into the scenario */
	double load;
	char *files[DECIDE_MAX_REPEATS]; /* owned paths of the repeats */
	size_t n_files;
	int ran_ok;            /* every repeat produced a results file */
	int phase_bisect;      /* proposed by bisection (else the ladder) */
	struct decide_eval ev;
	struct decide_metrics m;
};

/* What happened to a launched configuration's server (docs/LAUNCH.md). */
enum decide_launch_state {
	DECIDE_LAUNCH_NONE = 0,    /* not launched (already up, simulated,
				    * or not reached) */
	DECIDE_LAUNCH_OK,          /* ready, measured, stopped */
	DECIDE_LAUNCH_START_FAILED, /* exited (or could not start) before it
				     * was ready */
	DECIDE_LAUNCH_NOT_READY,   /* not ready within the timeout */
	DECIDE_LAUNCH_CRASHED,     /* died while its points ran */
};

#define DECIDE_LOG_TAIL_BYTES 4096 /* log tail kept per configuration */

struct decide_launch {
	enum decide_launch_state state;
	char command[1024];        /* the expanded command (cut) */
	char log[256];             /* server log, relative to the sweep dir */
	double ready_s;            /* start to ready; NaN */
	char exit[64];             /* how the leader ended: "exit 1", "signal
				    * 9 (Killed)"; "" while unknown */
	char detail[256];          /* one line on what happened */
	char *log_tail;            /* owned; NULL when none kept */
	char crash_workload[SCEN_MAX_NAME]; /* point that saw the crash */
	double crash_load;         /* NaN */
	int stop_killed;           /* SIGKILL was needed */
	double gpu_before_bytes;   /* all devices, before the start; NaN */
	double gpu_idle_bytes;     /* once ready (idle baseline); NaN */
	double gpu_after_bytes;    /* after the stop; NaN */
	int gpu_released;          /* 1 back within tolerance, 0 not, -1
				    * not checked (see gpu_note) */
	char gpu_note[160];
};

/* 1 for the states that disqualify a configuration from "best". */
int decide_launch_failed(enum decide_launch_state st);

/* "ok", "start_failed", "not_ready", "crashed", "none". */
const char *decide_launch_state_name(enum decide_launch_state st);

/* Inverse of decide_launch_state_name (DECIDE_LAUNCH_NONE if unknown). */
enum decide_launch_state decide_launch_state_parse(const char *s);

struct decide_cell {
	int target, workload;
	enum decide_status status;
	double boundary, first_fail;
	int op_level;          /* level index of the operating point, -1 */
	double tok_s_per_gpu;  /* at the operating point; NaN without */
	int winner;            /* best tok/s per GPU of its workload */
	int group_best;        /* best configuration of its target group
				* (framework) for the workload */
	double ctx_need, ctx_have; /* tokens; ctx_have NaN = unknown */
	int error;             /* a point could not be measured */
};

struct decide_set {
	const struct scenario *sc; /* borrowed */
	struct decide_level *levels;
	size_t n_levels, cap_levels;
	struct decide_cell cells[SCEN_MAX_TARGETS * SCEN_MAX_WORKLOADS];
	size_t n_cells;
	struct decide_launch launch[SCEN_MAX_TARGETS]; /* per target */
};

/* Empty set over sc (borrowed; must outlive the set). */
void decide_set_init(struct decide_set *s, const struct scenario *sc);
/* Free levels and their paths; NULL-safe. */
void decide_set_free(struct decide_set *s);
/* Append a level (files copied); returns its index. */
int decide_set_add_level(struct decide_set *s, int target, int workload,
			 double load, char *const *files, size_t n_files,
			 int phase_bisect);

/* Fill lv->m from its documents (and optional telemetry sidecars, NULL
 * entries allowed). Pure reading. */
void decide_level_metrics(struct decide_level *lv, const json_t *const *docs,
			  const json_t *const *telem, size_t n,
			  const struct sla *sla, int from_arrival);

/* Replicas and GPUs a cell needs for peak_rate requests/s (> 0) or
 * peak_conc concurrent requests (> 0; the other 0). Uses the operating
 * point's measured request rate, or its concurrency (concurrency ladder)
 * / Little's law req/s x mean E2EL (rate ladder). 0, or -EINVAL when the
 * cell has no operating point. */
int decide_gpus_needed(const struct decide_set *s, const struct decide_cell *c,
		       double peak_rate, double peak_conc, long long *replicas,
		       long long *gpus);

/* Set each cell's operating point, tok/s per GPU, winner flags and the
 * context check. Call after every level's eval and metrics are set. A
 * configuration whose server failed to start, never became ready or
 * crashed is never a winner nor its group's best. */
void decide_compute(struct decide_set *s);

/* The cell of (target, workload), or NULL. */
struct decide_cell *decide_cell_of(struct decide_set *s, int target,
				   int workload);

/* Print the decision: per workload a table of targets (boundary, tok/s,
 * per GPU, P50/P99, GPUs for the peak), the winner, the context check and a
 * short reading of the trade-off derived from the numbers. */
void decide_print(FILE *f, struct decide_set *s, double peak_rate,
		  double peak_conc);

/* The launched configurations: per group, each configuration's settings,
 * launch outcome, ready time, GPU memory (idle, released), best per
 * workload, and the log tail of each failure (indented). Prints nothing
 * when no target was launched. */
void decide_print_launches(FILE *f, const struct decide_set *s);

/* The reading alone (plain language, one paragraph per workload). */
void decide_explain(FILE *f, struct decide_set *s);

/* "c=32" / "3.5 req/s" style label of a load. */
void decide_load_str(const struct scenario *sc, double load, char *buf,
		     size_t len);

#endif
