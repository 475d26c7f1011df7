/* load_opts.h - the load options `run` and `simulate` share.
 *
 * Owns the option-table entries that mean the same in both commands (length
 * distributions and request count, arrival process and burstiness, report
 * percentiles and SLOs) and their common validation. The macros splice the
 * entries into a command's table over a struct with fields of those names.
 * What differs between the commands (concurrency and warm-up semantics,
 * limits, help wording) stays in each command. Called once at startup.
 */
#ifndef INFBENCH_CLI_LOAD_OPTS_H
#define INFBENCH_CLI_LOAD_OPTS_H

#include <stddef.h>

#include "cli/opts.h"
#include "workload/dist.h"
#include "workload/sched.h"

/* Fields: char *input_len, *output_len; long long num_requests. */
#define LOAD_LEN_OPTS(S)                                                      \
	{"input-len", 'i', OPT_STR, offsetof(S, input_len), "1024", "DIST",   \
	 "prompt tokens: N | N,N,.. | uniform:LO:HI | normal:M:SD | "        \
	 "lognormal:M:SD",                                                    \
	 "random-input-len", NULL},                                           \
	{"output-len", 'o', OPT_STR, offsetof(S, output_len), "128", "DIST", \
	 "output tokens (max_tokens), same forms as --input-len",             \
	 "random-output-len", NULL},                                          \
	{"num-requests", 'n', OPT_INT, offsetof(S, num_requests), "1000",     \
	 "N", "measured requests", "num-prompts", NULL}

/* Fields: char *arrival; double burstiness. */
#define LOAD_ARRIVAL_OPTS(S)                                                  \
	{"arrival", 0, OPT_STR, offsetof(S, arrival), "poisson", "KIND",      \
	 "arrival process for --rate: poisson | gamma:K | constant", NULL,   \
	 NULL},                                                               \
	{"burstiness", 0, OPT_DOUBLE, offsetof(S, burstiness), NULL, "K",     \
	 "vLLM spelling of --arrival gamma:K", NULL, NULL}

/* Fields: char *percentiles, *percentile_metrics, *slo. */
#define LOAD_REPORT_OPTS(S)                                                   \
	{"percentiles", 0, OPT_STR, offsetof(S, percentiles),                 \
	 "50,90,95,99,99.9", "LIST", "percentiles to report",                 \
	 "metric-percentiles", NULL},                                         \
	{"percentile-metrics", 0, OPT_STR, offsetof(S, percentile_metrics),   \
	 "ttft,tpot,itl,e2el", "LIST", "metrics given percentile keys", NULL, \
	 NULL},                                                               \
	{"slo", 0, OPT_STR, offsetof(S, slo), NULL, "SPEC",                   \
	 "goodput SLOs in ms, e.g. ttft:200,tpot:50,e2el:1000", "goodput",    \
	 NULL}

/* Parse --input-len/--output-len into in/out, --arrival (and --burstiness
 * when cmd saw it) into arr, and check --rate > 0. who names the command
 * in messages. Returns 0, or -EINVAL after a one-line error. */
int load_opts_parse(const char *who, const struct opts_cmd *cmd,
		    const char *input_len, const char *output_len,
		    const char *arrival, double burstiness, double rate,
		    struct dist *in, struct dist *out, struct sched_cfg *arr);

#endif
