/* plan.h - the workload plan: what every request of a run is.
 *
 * Owns, per request id (measured or warm-up): the target prompt length,
 * the output length, the arrival time (trace replay) and the prompt (text
 * or token ids), from one source: lengths from distributions (today's
 * synthetic words, vLLM-style random tokens, text cut from a corpus),
 * ShareGPT conversations, a JSONL file, or a trace (Azure, Mooncake with
 * its 512-token prefix blocks, BurstGPT); plus shared prefixes, trace time
 * windows and scaling, and truncation to the model's context. Loads its
 * input files (the only I/O besides the optional server counter); parsing
 * is trace.c's and dataset.c's. Everything depends only on (seed, id), so
 * worker threads do not matter. Threading: after plan_prepare the plan is
 * read-only; plan_lengths and plan_prompt may be called from any thread,
 * each caller with its own struct plan_scratch.
 */
#ifndef INFBENCH_WORKLOAD_PLAN_H
#define INFBENCH_WORKLOAD_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "tokenizer/tok.h"
#include "workload/dist.h"
#include "workload/trace.h"

#define PLAN_WARMUP_STREAM (1ULL << 40) /* = engine/run.c's warm-up stream */
#define PLAN_PREFIX_STREAM (1ULL << 41) /* rng streams of prefix groups */
#define PLAN_HASH_STREAM (1ULL << 42)   /* rng streams of Mooncake blocks */
#define PLAN_CACHE_MAX_BYTES ((size_t)512 << 20) /* precomputed prompts */
#define PLAN_MAX_PREFIXES 65536
#define PLAN_FIT_ROUNDS 8    /* /tokenize calls per prompt, at most */
#define PLAN_JOIN_TRIES 64   /* suffix draws per prefixed text prompt */
#define PLAN_FILE_MAX ((size_t)1 << 30) /* bytes of an input file */
#define PLAN_SHAREGPT_MAX_PROMPT 1024   /* vLLM's ShareGPT filter */
#define PLAN_SHAREGPT_MAX_TOTAL 2048
#define PLAN_SHAREGPT_MIN 4

/* How prompts reach the server. */
enum plan_mode {
	PLAN_MODE_TEXT = 0, /* text; exact with a local tokenizer */
	PLAN_MODE_IDS,      /* token ids (completions APIs): always exact */
	PLAN_MODE_SERVER,   /* text fitted with the server's /tokenize */
};
/* "text" | "ids" | "server-tokenize"; 0 or -EINVAL. */
int plan_mode_parse(const char *s, enum plan_mode *m);
const char *plan_mode_name(enum plan_mode m);

/* The server's token counter (PLAN_MODE_SERVER). count returns 0 or a
 * negative errno with *err set (caller frees). */
struct plan_counter {
	int (*count)(void *ud, const char *text, size_t len, int32_t *n,
		     char **err);
	void *ud;
};

struct plan_config {
	enum plan_mode mode;
	struct tok *tok;                    /* borrowed; NULL = none */
	const struct plan_counter *server;  /* borrowed; PLAN_MODE_SERVER */
	const char *dataset;      /* NULL, random, sonnet, sharegpt, jsonl */
	const char *dataset_path; /* sonnet, sharegpt, jsonl */
	int trace;                /* replay trace_path */
	enum trace_format trace_fmt;
	const char *trace_path;
	struct dist in_dist, out_dist;
	int in_given, out_given;  /* given on the command line */
	double range_ratio;       /* vLLM random: 0 <= r < 1 */
	int32_t prefix_len;       /* shared prefix tokens, 0 = none */
	int32_t num_prefixes;     /* distinct prefixes (>= 1 with a prefix) */
	uint64_t seed;
	long long num_requests;   /* measured; 0 = open-ended (--duration) */
	int num_given;            /* cap trace rows at num_requests */
	long long warmup;
	double speedup;           /* trace time / speedup; 1 = as recorded */
	double rate_scale;        /* keep each row this many times on average */
	double win_start_s;       /* trace window [start, end), trace seconds */
	double win_end_s;         /* < 0 = to the end */
	int32_t max_context;      /* truncate to this; 0 = plan_prepare's */
	int threads;              /* for precomputing prompts; 0 = auto */
};

/* What the plan did, for the results "run" block. */
struct plan_stats {
	const char *source;       /* synthetic, random, sonnet, sharegpt,
				     sharegpt-text, jsonl, trace */
	const char *text;         /* words, random-tokens, corpus, dataset */
	int exact;                /* prompt lengths exact (tokenizer, ids or
				     fitted) rather than estimated */
	size_t rows_read;         /* data lines / conversations in the file */
	size_t rows_failed;       /* trace: 0 in and 0 out tokens, skipped */
	size_t rows_zero;         /* trace: 0 in or 0 out tokens, skipped */
	size_t rows_filtered;     /* ShareGPT: vLLM length filter */
	size_t rows_kept;         /* usable rows / conversations */
	size_t rows_in_window;    /* trace rows inside --trace-window */
	size_t rows_scaled;       /* after --trace-rate-scale */
	size_t rows_used;         /* measured requests drawn from them */
	int sorted;               /* trace rows were in time order */
	int has_hash;             /* Mooncake prefix blocks used */
	size_t hash_blocks;       /* distinct hash ids in the used rows */
	double span_s;            /* trace: first to last used arrival, as
				     replayed (after speed-up) */
	double span_trace_s;      /* the same in trace time */
	int32_t max_context;      /* truncation limit applied, 0 = none */
	size_t truncated;         /* requests shortened to fit it */
	size_t fit_inexact;       /* server-tokenize: no exact fit found */
	uint64_t counter_calls;   /* server /tokenize calls */
	size_t prompts_cached;    /* precomputed prompts */
	int32_t n_special;        /* tokens the tokenizer adds (BOS...) */
};

struct plan;

/* Build a plan: read and parse the files, count dataset lengths (local
 * tokenizer or server counter), select trace rows (window, rate scale,
 * --num-requests), derive arrivals. Returns 0, or a negative errno with
 * *err set (caller frees) naming the option or FILE:LINE. The caller frees
 * *out with plan_free. */
int plan_new(const struct plan_config *c, struct plan **out, char **err);
void plan_free(struct plan *p);

/* Apply the context limit (cfg.max_context if set, else max_ctx; 0 =
 * none): distribution sources clamp the prompt at ctx - 1 (as before);
 * file sources shorten prompt and output to fit, counted. With
 * need_prompts, precompute the prompts when they fit PLAN_CACHE_MAX_BYTES
 * (always in server-tokenize mode, which needs a known request count).
 * Call once, before any plan_lengths/plan_prompt. 0 or -errno with *err. */
int plan_prepare(struct plan *p, int32_t max_ctx, int need_prompts,
		 char **err);

/* Measured requests the plan defines (0 = open-ended). */
long long plan_count(const struct plan *p);
/* Arrival times (ns from t0) of the plan_count measured requests, or NULL
 * when the plan has none (use the rate schedule). */
const int64_t *plan_arrivals(const struct plan *p);
const struct plan_stats *plan_stats(const struct plan *p);
enum plan_mode plan_mode(const struct plan *p);

/* Target prompt tokens (what the server should count) and max_tokens of
 * request id (warmup: of the warm-up phase). */
void plan_lengths(const struct plan *p, long long id, int warmup,
		  int32_t *in_len, int32_t *out_len);

/* Per-caller scratch for prompts built on the fly. */
struct plan_scratch {
	struct buf text;
	int32_t *ids;
	size_t n_ids, cap_ids;
};
void plan_scratch_init(struct plan_scratch *s);
void plan_scratch_free(struct plan_scratch *s);

/* One request's prompt: text (NUL-terminated) or ids, never both. Points
 * into the plan (precomputed) or into the caller's scratch; valid until
 * the scratch is reused or the plan freed. */
struct plan_prompt {
	const char *text;
	size_t text_len;
	const int32_t *ids; /* PLAN_MODE_IDS */
	size_t n_ids;
};

/* The prompt of request id. Returns 0, or a negative errno with *err set
 * (caller frees) when an on-the-fly prompt could not be built. */
int plan_prompt(const struct plan *p, long long id, int warmup,
		struct plan_scratch *sc, struct plan_prompt *out, char **err);

/* Read a whole file into a new buffer (caller frees *data). The one I/O
 * helper of the workload layer; errors name the file. */
int plan_read_file(const char *path, size_t max, char **data, size_t *len,
		   char **err);

#endif
