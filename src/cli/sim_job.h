/* sim_job.h - one simulated run as the simulator commands use it.
 *
 * Owns the step from names to a finished virtual-time run: catalog, model,
 * GPU and profile lookup; the workload built exactly as `infbench run`
 * builds it (same per-request length rule, same arrival schedule, warm-up
 * as its own phase); the memory summary over the run (time-weighted KV
 * means, peaks, GPU total); and the "run" block of a simulated results
 * file. Does not print tables or write results files (run_report.c does).
 * Single-threaded.
 */
#ifndef INFBENCH_CLI_SIM_JOB_H
#define INFBENCH_CLI_SIM_JOB_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/run.h"
#include "sim/engine.h"
#include "sim/vtime.h"

/* Must equal engine/run.c's RUN_WARMUP_STREAM (the integration test
 * sim_simulate_test.sh compares a real run's lengths with ours). */
#define SIM_JOB_WARMUP_STREAM (1ULL << 40)

/* What the user named on the command line. */
struct sim_job_names {
	const char *engine;  /* paged | reserved (vllm | tgi) */
	const char *model;   /* catalog name or alias */
	const char *gpu;
	const char *profile; /* profile JSON file, or NULL = default */
	const char *catalog; /* extra YAML catalog, or NULL */
	long long tp;        /* >= 1 */
};

/* Fill cfg (sim_config_default for the named policy, model and GPU, then
 * tp and the profile). On error prints one line "CMD: ..." and returns
 * -EINVAL. */
int sim_job_config(const char *cmd, const struct sim_job_names *names,
		   struct sim_config *cfg);

struct sim_job {
	struct sim_config cfg; /* engine; 0 fields = server defaults */
	struct run_config wl;  /* only plan, in_dist, out_dist,
				  num_requests, warmup, concurrency,
				  arrivals, seed are read; concurrency > 0
				  with a finite rate or a trace is refused
				  (the virtual loop is closed or open, not
				  both). wl.plan (prepared, borrowed) gives
				  lengths and, for a trace, arrivals and the
				  request count; NULL = a synthetic plan
				  from the dists, clamped to the engine's
				  context as `infbench run` clamps */
};

/* Memory over the measured phase. Bytes cover all tp GPUs. */
struct sim_job_mem {
	int64_t kv_bytes_per_tok;
	int64_t weights_bytes;
	int64_t kv_capacity_bytes;   /* the preallocated pool */
	int64_t other_bytes;         /* activations + non-torch overhead:
					util·mem − weights − derived pool */
	int64_t gpu_total_bytes;     /* weights + pool + other */
	double kv_alloc_mean_bytes;  /* time-weighted over the run */
	double kv_used_mean_bytes;
	int64_t kv_alloc_peak_bytes, kv_used_peak_bytes;
	int64_t preemptions, requeues, rejected, steps;
	int32_t peak_running, peak_waiting;
};

struct sim_job_result {
	struct run_output out;      /* records, warm-up first; D; caller
				       frees with sim_job_result_free */
	struct sim_config resolved; /* every default filled in */
	struct sim_job_mem mem;
	struct sim_timeline tl;     /* measured phase, decimated */
	double wall_s;              /* host seconds the simulation took */
};

/* The lengths `infbench run` gives request id of the measured (warmup 0)
 * or warm-up phase with seed wl->seed (wl->plan's when set). */
void sim_job_lengths(const struct run_config *wl, uint64_t id, int warmup,
		     int32_t *in_len, int32_t *out_len);

/* The resolved context (max_model_len) of cfg, for sizing a plan before
 * sim_job_run; -1 with *err set (caller frees) for a bad config. */
int32_t sim_job_max_model_len(const struct sim_config *cfg, char **err);

/* Run the job. res is filled (zeroed first) and owns its records and
 * timeline: sim_job_result_free. Returns 0, or -EINVAL with *err set
 * (caller frees). */
int sim_job_run(const struct sim_job *job, struct sim_job_result *res,
		char **err);
/* NULL-safe; res is zeroed. */
void sim_job_result_free(struct sim_job_result *res);

/* New JSON objects (caller json_decref's): the resolved engine
 * configuration with its profile, and the memory block. */
json_t *sim_job_engine_json(const struct sim_config *resolved);
json_t *sim_job_memory_json(const struct sim_job_mem *m);
/* Add the whole "run" description of a simulated run to meta (borrowed):
 * provenance, "simulated": true, model, gpu, tp, engine, config (workload
 * keys as `infbench run` writes them), memory, sim_wall_s. */
void sim_job_add_meta(json_t *meta, int argc, char **argv,
		      const struct sim_job *job,
		      const struct sim_job_result *res, const char *label);
/* One line: "memory (simulated): weights .. GiB, KV pool .., allocated
 * mean/peak .., used mean/peak .., preemptions .., peak running ..". */
void sim_job_print_memory(FILE *f, const struct sim_job_result *res);
/* Write the timeline as CSV (atomically). 0 or -errno. */
int sim_job_write_timeline(const char *path, const struct sim_job_result *res);

#define SIM_GIB (1024.0 * 1024.0 * 1024.0)

#endif
