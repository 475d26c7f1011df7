/* scenario.h - sweep scenario files (YAML): targets, workloads, SLA, load
 * ladder, repeats, and how to launch each target (docs/LAUNCH.md).
 *
 * Owns the schema (docs/SWEEP.md, docs/LAUNCH.md), its validation with
 * file:line messages and the in-memory form the sweep and the decision
 * read. A target with a launch grid or list is expanded here into one
 * target per configuration (same group, its settings attached); templates
 * are checked but not expanded (the sweep does that at launch time). Runs
 * nothing. scenario_parse is pure (text in, struct out); scenario_load
 * reads the file. Thread-safe on distinct structs.
 */
#ifndef INFBENCH_SCENARIO_SCENARIO_H
#define INFBENCH_SCENARIO_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "scenario/sla.h"

#define SCEN_MAX_TARGETS 64       /* after expanding launch configurations */
#define SCEN_MAX_ENTRIES 16       /* target entries in the file */
#define SCEN_MAX_SETTINGS 16      /* parameters of one configuration */
#define SCEN_MAX_ENV 32           /* launch environment entries */
#define SCEN_MAX_WORKLOADS 16
#define SCEN_MAX_LADDER 32
#define SCEN_MAX_ARGS 32          /* extra CLI arguments per target/workload */
#define SCEN_MAX_NAME 48          /* bytes of a target/workload name */
#define SCEN_MAX_FILE_BYTES (1 << 20)

/* One parameter of a launch configuration: {key} in the templates. */
struct scen_setting {
	char *key;          /* placeholder name, not a built-in */
	char *value;        /* as written in the file */
};

/* How a launched target's server is started, probed and stopped. Strings
 * are templates ({exe} {port} {host} {name} {dir} and the settings). */
struct scen_launch {
	char *env[SCEN_MAX_ENV]; /* "KEY=VALUE" */
	size_t n_env;
	char *cwd;               /* NULL = the sweep's */
	char *ready_http;        /* "/path" joined to the url, or a full URL;
				  * NULL = no HTTP probe */
	char *ready_log;         /* PCRE2 pattern for a log line; NULL = none */
	double ready_timeout_s;  /* 600 */
	double stop_grace_s;     /* SIGTERM -> SIGKILL after this (30) */
	double release_timeout_s;   /* wait for GPU memory to return (60) */
	double release_tolerance_mib; /* above the pre-launch reading (512) */
	int line;                /* 1-based line of launch: */
};

struct scen_target {
	char name[SCEN_MAX_NAME]; /* [A-Za-z0-9._-], unique */
	char *url;          /* base URL; NULL for a simulated-only target */
	char *api;          /* openai-completions (default) | openai-chat |
			     * tgi */
	char *model;        /* served model name (run) / catalog model
			     * (simulate); NULL = server's first / qwen2-7b */
	int gpus;           /* GPUs the target occupies (default 1) */
	char *simulated;    /* "paged" | "reserved": runs in virtual time when
			     * there is no url, or with sweep --virtual */
	char *gpu;          /* catalog GPU for simulate (default a100) */
	char *launch;       /* command template that starts the server (sh
			     * -c); NULL = already running */
	struct scen_launch lc; /* with launch */
	char group[SCEN_MAX_NAME]; /* the entry's name: the configurations
				    * of one entry (one framework) share it */
	int config;         /* 0-based configuration within the group */
	int n_configs;      /* configurations of the group (>= 1) */
	struct scen_setting settings[SCEN_MAX_SETTINGS];
	size_t n_settings;
	char *metrics_url;  /* server /metrics, scraped during real points */
	char *dcgm_url;     /* DCGM exporter, scraped during real points */
	long long max_model_len; /* context length; 0 = from the results */
	char *args[SCEN_MAX_ARGS]; /* extra arguments for run / simulate */
	size_t n_args;
	int line;           /* 1-based line of the entry */
};

enum scen_wl_kind { SCEN_WL_CHAT, SCEN_WL_RAG, SCEN_WL_TRACE, SCEN_WL_CUSTOM };

struct scen_workload {
	char name[SCEN_MAX_NAME];
	enum scen_wl_kind kind;
	char *input_len;    /* DIST (workload/dist.h); chat/rag have defaults */
	char *output_len;
	char *trace;        /* kind trace: the trace file (kept; see SWEEP.md) */
	long long requests; /* measured requests per point (default 200) */
	long long warmup;   /* warm-up requests per point (default 0) */
	int has_sla;        /* own SLA instead of the scenario's */
	struct sla sla;
	char *args[SCEN_MAX_ARGS];
	size_t n_args;
	int line;
};

enum scen_load_mode { SCEN_LOAD_CONCURRENCY, SCEN_LOAD_RATE };

struct scen_load {
	enum scen_load_mode mode;
	double ladder[SCEN_MAX_LADDER]; /* strictly increasing, > 0 */
	size_t n;
	int bisect_steps;   /* most bisection points after the ladder (4) */
	double tolerance;   /* stop bisecting when hi - lo <= tolerance * lo
			     * (0.05); concurrency also stops at hi - lo <= 1 */
	double requests_per_load; /* n = max(requests, ceil(k * load)); 0 */
	char *arrival;      /* rate mode: poisson (default) | constant |
			     * gamma:K */
};

struct scenario {
	char *path;         /* as given (label in messages) */
	char *name;
	char *description;
	uint64_t seed;      /* repeat r uses seed + r */
	struct scen_target targets[SCEN_MAX_TARGETS];
	size_t n_targets;
	struct scen_workload workloads[SCEN_MAX_WORKLOADS];
	size_t n_workloads;
	int has_sla;
	struct sla sla;     /* default for workloads without their own */
	double confidence;  /* of the percentile bound (0.95) */
	struct scen_load load;
	double max_error_rate; /* over-saturation: failed/attempts above (0.05) */
	double queue_growth;   /* over-saturation: late/early TTFT-from-arrival
				* median ratio above this (3.0); 0 = off */
	int repeats;        /* runs per load point (1) */
	uint64_t digest;    /* FNV-1a 64 of the file bytes */
};

/* Parse text (len bytes; label names it in messages) into *sc, which the
 * caller later releases with scenario_free. Returns 0, or -EINVAL with
 * "label:line: reason" in err (sc is then freed and zeroed). */
int scenario_parse(const char *label, const char *text, size_t len,
		   struct scenario *sc, char *err, size_t errlen);

/* Read path (at most SCEN_MAX_FILE_BYTES) and parse it. 0, -errno with
 * "path: reason" in err, or -EINVAL as scenario_parse. */
int scenario_load(const char *path, struct scenario *sc, char *err,
		  size_t errlen);

/* Free what sc owns; NULL-safe; sc is zeroed. */
void scenario_free(struct scenario *sc);

/* The SLA that applies to workload w. */
const struct sla *scenario_sla(const struct scenario *sc,
			       const struct scen_workload *w);

/* "chat", "rag", "trace", "custom". */
const char *scenario_wl_kind_name(enum scen_wl_kind k);

/* Upper bound of a DIST's values (the largest of a choice, the max of
 * uniform, mean + 4 sd for normal/lognormal); -1 when spec is bad. */
double scenario_dist_max(const char *spec);

/* Built-in template names ({exe} {port} {host} {name} {dir}), NULL-ended. */
extern const char *const scenario_builtin_vars[];

/* "max_num_seqs=8 dtype=fp8" (settings of t) into buf; "" without. */
void scenario_settings_str(const struct scen_target *t, char *buf,
			   size_t len);

/* FNV-1a 64-bit of bytes. */
uint64_t scenario_fnv1a(const void *p, size_t n);

#endif
