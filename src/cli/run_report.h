/* run_report.h - what `infbench run` does with a finished run.
 *
 * Owns the hand-off from the engine's records to the results layer: the
 * summary configuration from the command line (percentiles, metrics, SLOs),
 * the "run" metadata block (command line with secrets redacted, config,
 * client self-check), the console table on stdout, the results JSON and
 * per-request CSV, the telemetry block and blocks (cli/run_telemetry.h),
 * and the exit code policy (--max-error-rate, client-limited warning). Single-threaded, called once per run.
 */
#ifndef INFBENCH_CLI_RUN_REPORT_H
#define INFBENCH_CLI_RUN_REPORT_H

#include <jansson.h>

#include "cli/run_telemetry.h"
#include "engine/run.h"
#include "results/summary.h"

/* Fill c from --percentiles, --percentile-metrics and --slo
 * ("ttft:200,tpot:50,e2el:1000", milliseconds). Prints a one-line error and
 * returns -EINVAL on bad input. */
int report_cfg_parse(struct summary_config *c, const char *pcts,
		     const char *metrics, const char *slo);

/* Add infbench_version, git_revision, the command line (secret headers
 * redacted) and label (when non-NULL) to meta (borrowed). Shared by every
 * command that writes a results file. */
void report_add_provenance(json_t *meta, int argc, char **argv,
			   const char *label);

/* Add the workload keys of a "config" block to c (borrowed): input_len,
 * output_len, num_requests, duration_s, warmup, concurrency, request_rate,
 * arrival, burstiness, seed. Only those fields of cfg are read, so a
 * simulated run can describe its workload with the same keys. */
void report_add_workload(json_t *c, const struct run_config *cfg);

/* Add the run description to meta (a JSON object, borrowed). */
void report_add_meta(json_t *meta, int argc, char **argv,
		     const struct run_config *cfg, const struct run_output *out,
		     const char *model, long long max_ctx, const char *label);

/* Summarise, print the table, write result (JSON) and csv when non-NULL.
 * With tel (may be NULL): completes the telemetry (rtel_finish with rr,
 * whose out_tok_s is filled here from the summary), prints its block after
 * the table and adds its blocks to the results; the fingerprint also gets a
 * "workload" object (model, tokenizer hash, command line, scenario, seeds)
 * copied from meta. Returns the process exit code (EXIT_OK, EXIT_FAIL when
 * a file could not be written, EXIT_ERROR_RATE past max_error_rate). */
int report_run(const struct summary_config *c, const struct run_output *out,
	       json_t *meta, const char *label, const char *result,
	       const char *csv, double max_error_rate, struct rtel *tel,
	       struct rtel_run *rr);

#endif
