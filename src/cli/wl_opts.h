/* wl_opts.h - the workload options `infbench run` and `simulate` share.
 *
 * Owns the option-table entries for tokenizer, datasets, traces, shared
 * prefixes and prompt modes (WL_OPTS, spliced into each command's table),
 * their validation, the hand-off to workload/plan.h (tokenizer, server
 * /tokenize counter, plan), the workload part of the results "run" block,
 * and the tokenizer's output counts after a run. Single-threaded, called
 * from the command's main path.
 */
#ifndef INFBENCH_CLI_WL_OPTS_H
#define INFBENCH_CLI_WL_OPTS_H

#include <curl/curl.h>
#include <jansson.h>
#include <stddef.h>

#include "cli/opts.h"
#include "engine/run.h"
#include "tokenizer/tok.h"
#include "workload/plan.h"
#include "workload/srvtok.h"

struct wl_opts {
	char *tokenizer;
	char *dataset, *dataset_path;
	char *trace, *trace_path, *trace_window;
	char *prompt_mode;
	long long prefix_len, num_prefixes, max_context;
	double range_ratio, trace_speedup, trace_rate_scale;
};

/* Table entries for a command whose option struct S holds a struct
 * wl_opts member F. */
#define WL_OPTS(S, F)                                                        \
	{"tokenizer", 0, OPT_STR, offsetof(S, F.tokenizer), NULL, "PATH",    \
	 "tokenizer.json, .gguf or vocab+merges dir: exact prompt lengths",  \
	 NULL, NULL},                                                        \
	{"dataset", 0, OPT_STR, offsetof(S, F.dataset), NULL, "NAME",        \
	 "prompts: random (vLLM) | sonnet | sharegpt | jsonl (default: "     \
	 "random with --tokenizer, else synthetic words)",                   \
	 "dataset-name", NULL},                                              \
	{"dataset-path", 0, OPT_STR, offsetof(S, F.dataset_path), NULL,      \
	 "FILE", "sonnet text, ShareGPT JSON or JSONL file", NULL, NULL},     \
	{"prefix-len", 0, OPT_INT, offsetof(S, F.prefix_len), "0", "N",      \
	 "shared prefix tokens before each generated prompt",                \
	 "random-prefix-len", NULL},                                         \
	{"num-prefixes", 0, OPT_INT, offsetof(S, F.num_prefixes), "1", "N",  \
	 "distinct shared prefixes (request id mod N picks one)",            \
	 "prefix-repetition-num-prefixes", NULL},                            \
	{"range-ratio", 0, OPT_DOUBLE, offsetof(S, F.range_ratio), "0", "R", \
	 "vLLM random: lengths uniform within +-R of --input/--output-len",  \
	 "random-range-ratio", NULL},                                        \
	{"trace", 0, OPT_STR, offsetof(S, F.trace), NULL, "KIND",            \
	 "replay a trace: azure | mooncake | burstgpt (its arrivals and "    \
	 "token counts)",                                                    \
	 NULL, NULL},                                                        \
	{"trace-path", 0, OPT_STR, offsetof(S, F.trace_path), NULL, "FILE",  \
	 "the trace file", NULL, NULL},                                      \
	{"trace-speedup", 0, OPT_DOUBLE, offsetof(S, F.trace_speedup), "1",  \
	 "X", "replay X times faster (arrival times / X)", NULL, NULL},      \
	{"trace-window", 0, OPT_STR, offsetof(S, F.trace_window), NULL,      \
	 "START:END", "only rows with START <= t < END (trace seconds from " \
	 "its first row; END may be empty)",                                 \
	 NULL, NULL},                                                        \
	{"trace-rate-scale", 0, OPT_DOUBLE, offsetof(S, F.trace_rate_scale), \
	 "1", "X", "keep each row X times on average (thin < 1, copy > 1)",  \
	 NULL, NULL},                                                        \
	{"max-context", 0, OPT_INT, offsetof(S, F.max_context), "0", "N",    \
	 "truncate dataset/trace lengths to N tokens (0 = the server's)",    \
	 NULL, NULL},                                                        \
	{"prompt-mode", 0, OPT_STR, offsetof(S, F.prompt_mode), "text",      \
	 "MODE", "text | ids (token ids, completions API) | server-tokenize " \
	 "(fit with the server's /tokenize)",                                \
	 NULL, NULL}

/* What a command knows when it builds the workload. */
struct wl_in {
	const char *cmd;               /* "run" / "simulate", for errors */
	const struct opts_cmd *oc;     /* for opts_given */
	const struct wl_opts *o;
	const struct run_config *cfg;  /* in_dist, out_dist, seed,
					  num_requests, warmup, threads */
	const struct proto_ops *api;   /* NULL: simulate */
	const char *base_url;          /* server-tokenize */
	const char *model;
	const struct curl_slist *headers;
	int insecure;
	int rate_given, duration_given;
};

/* The built workload. Zero-initialise; wl_free. */
struct wl_ctx {
	struct tok *tok;
	struct srvtok *srv;
	struct plan_counter counter;
	struct plan *plan;
	enum plan_mode mode;
	double win_start_s, win_end_s;
	size_t tok_counted;     /* records whose N_out came from tok */
	double overhead_mean;   /* server prompt_tokens - in_len, mean */
	size_t overhead_n;      /* records with a known prompt count */
};

/* Validate the options, load the tokenizer, build the plan and prepare it
 * for a context of max_ctx tokens (0 = unknown) with prompts when
 * need_prompts. Prints one line "CMD: ..." on error and returns -EINVAL
 * (bad options or files) or another negative errno. */
int wl_build(const struct wl_in *in, long long max_ctx, int need_prompts,
	     struct wl_ctx *ctx);
void wl_free(struct wl_ctx *ctx);

/* After a run: when a tokenizer is loaded, count each record's generated
 * text into out->tok_counts (the summary uses it where the server gave no
 * count), then drop the texts unless keep_text. Also measures the prompt
 * overhead (server prompt_tokens - in_len) for the report. */
void wl_after_run(struct wl_ctx *ctx, struct run_output *out, int keep_text);

/* Add the workload description to the "run" block meta (borrowed):
 * "workload" {...}, "tok_hash", and config.prompt_source. */
void wl_add_meta(json_t *meta, const struct wl_in *in,
		 const struct wl_ctx *ctx);

#endif
