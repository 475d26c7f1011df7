/* run_telemetry.h - what the server and the GPUs did during one run.
 *
 * Owns the run command's telemetry glue: the /metrics scraper and the GPU
 * sampler of one run (their threads live from rtel_start to rtel_stop), the
 * idle-baseline wait, the measurement window, the environment fingerprint,
 * memory efficiency from those readings, and the JSON blocks and console
 * lines made from them. Does not time requests (engine/) or parse anything
 * (telemetry/). Call every function from one thread.
 */
#ifndef INFBENCH_CLI_RUN_TELEMETRY_H
#define INFBENCH_CLI_RUN_TELEMETRY_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "telemetry/memeff.h"

struct rtel_cfg {
	const char *base_url;      /* scheme://host[:port] of the server */
	const char *metrics_url;   /* NULL = <base_url>/metrics; "none" = off */
	double metrics_interval_s; /* <= 0: 1 s */
	const char *gpu;           /* "nvml" | "dcgm:URL" | "none"; NULL = nvml */
	double gpu_interval_s;     /* <= 0: 100 ms */
	long long server_pid;      /* > 0: memory of that process tree is read
				    * (NVML) and used for memory efficiency;
				    * 0: all compute processes */
	double idle_baseline_s;    /* < 0: 1 s when a GPU source is open, else
				    * 0 */
	double weights_bytes;      /* NaN = unknown */
	double kv_bytes_per_token; /* NaN = unknown */
	double kv_pool_tokens;     /* NaN = from the server's metrics */
	int64_t http_timeout_ns;   /* fingerprint GETs; 0 = 2 s */
};

/* Sets every field to its default (NaN for the memory inputs). */
void rtel_cfg_init(struct rtel_cfg *c);

/* Checks a --gpu value: 0, or -EINVAL with a one-line reason in *why
 * (static string). */
int rtel_gpu_spec_check(const char *spec, const char **why);

/* What the run module knows once the run is over. */
struct rtel_run {
	int64_t t0_ns;        /* monotonic t0 of the measurement (timelines'
			       * t_s are relative to it) */
	const char *t0_from;  /* how t0_ns was obtained (for the JSON) */
	int window_has_warmup;/* the window also covers warm-up requests */
	double out_tok_s;     /* measured output tokens/s (summary) */
	double in_len;        /* scenario mean prompt tokens */
	double out_len;       /* scenario mean output tokens */
};

struct rtel;

/* Opens the metrics scraper and the GPU source (a missing GPU is one
 * notef line, never fatal). cfg strings are copied. Never NULL; the caller
 * frees with rtel_free. */
struct rtel *rtel_new(const struct rtel_cfg *cfg);
/* Stops what is running and frees. NULL-safe. */
void rtel_free(struct rtel *t);

/* Starts the scraper and GPU threads, collects the fingerprint (blocking
 * GETs of the server's info routes) and waits out the rest of the idle
 * baseline (GPU readings before the window become the baseline). Catches
 * SIGINT/SIGTERM meanwhile (previous handlers restored on return): 0, or
 * -EINTR when one arrived (the caller should not start the load). */
int rtel_start(struct rtel *t);
/* Marks the measurement window (monotonic ns). begin must be called before
 * the load starts: summaries are computed as readings arrive. */
void rtel_window_begin(struct rtel *t, int64_t t_ns);
void rtel_window_end(struct rtel *t, int64_t t_ns);
/* Stops and joins the threads; idempotent. */
void rtel_stop(struct rtel *t);

/* After rtel_stop: builds the server_metrics, gpu and memory_efficiency
 * blocks and completes the fingerprint. Call once. */
void rtel_finish(struct rtel *t, const struct rtel_run *r);

/* Borrowed blocks (valid until rtel_free); NULL before rtel_finish
 * (fingerprint: available from rtel_start). */
json_t *rtel_server_json(struct rtel *t);
json_t *rtel_gpu_json(struct rtel *t);
json_t *rtel_memeff_json(struct rtel *t);
json_t *rtel_fingerprint(struct rtel *t);
/* The memory-efficiency figures (NaN where not derivable); valid after
 * rtel_finish. */
const struct memeff_out *rtel_memeff(const struct rtel *t);

/* Sets server_metrics, gpu, memory_efficiency and fingerprint in doc
 * (references taken; keys already there are replaced). */
void rtel_add_json(struct rtel *t, json_t *doc);
/* The console telemetry block (a few lines) to f. */
void rtel_print(struct rtel *t, FILE *f);

#endif
