/* summary.h - the run summary: every number a report prints.
 *
 * Owns the reduction of per-request records to run-level metrics exactly as
 * anchors.md §5.1-§5.16 define them (vLLM-compatible), plus the "corrected"
 * views (from t_arrival, token-level ITL, failures as SLO misses, client
 * queue, GuideLLM TPOT), P99 confidence intervals, and the prompt/output
 * length checks. Knows nothing of sockets, JSON or tokenizers. Pure: one
 * call, no globals; thread-safe on distinct summaries.
 */
#ifndef INFBENCH_RESULTS_SUMMARY_H
#define INFBENCH_RESULTS_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "results/record.h"

#define SUMMARY_MAX_PCTS 16 /* cap on --metric-percentiles entries */
/* 1-s buckets kept in a counting array for the peak tok/s; longer runs
 * fall back to sorting the bucket numbers (no cap on run length). */
#define SUMMARY_MAX_PEAK_BUCKETS (1u << 22)

/* The four vLLM latency metrics, in vLLM's key spelling. */
enum summary_metric {
	SUMMARY_TTFT = 0,
	SUMMARY_TPOT,
	SUMMARY_ITL,
	SUMMARY_E2EL,
	SUMMARY__METRICS
};
#define SUMMARY_METRIC_BIT(m) (1u << (m))
#define SUMMARY_METRICS_DEFAULT                                       \
	(SUMMARY_METRIC_BIT(SUMMARY_TTFT) | SUMMARY_METRIC_BIT(SUMMARY_TPOT) | \
	 SUMMARY_METRIC_BIT(SUMMARY_ITL))
#define SUMMARY_METRICS_ALL ((1u << SUMMARY__METRICS) - 1)

/* "ttft", "tpot", "itl", "e2el". */
const char *summary_metric_name(enum summary_metric m);

/* What the user asked for. Plain data; copy freely. */
struct summary_config {
	double pcts[SUMMARY_MAX_PCTS]; /* 0..100, vLLM --metric-percentiles */
	size_t n_pcts;                 /* default 1: {99} */
	unsigned metrics;   /* SUMMARY_METRIC_BIT set that gets vLLM keys,
			     * vLLM --percentile-metrics; default ttft,tpot,itl.
			     * Our own "metrics" block always has all four. */
	double slo_ttft_s;  /* goodput SLOs in seconds; 0 = no SLO */
	double slo_tpot_s;
	double slo_e2el_s;
	double ci_conf;     /* confidence of the P99 intervals; default 0.95 */
};

/* Defaults as above. */
void summary_config_init(struct summary_config *c);
/* Parse "99,99.9" into c->pcts. 0, or -EINVAL (bad number, outside
 * [0, 100], empty, more than SUMMARY_MAX_PCTS); c unchanged on error. */
int summary_config_set_pcts(struct summary_config *c, const char *list);
/* Parse "ttft,tpot,itl,e2el" into c->metrics. 0 or -EINVAL. */
int summary_config_set_metrics(struct summary_config *c, const char *list);
/* vLLM's percentile key word: "99" for 99.0, "99.9" for 99.9 (Python
 * str(int(p)) if integral else str(p)). Writes at most len bytes. */
void summary_pct_word(double p, char *buf, size_t len);

/* Distribution-free CI of one percentile (stats/ci.h). */
struct summary_ci {
	double p;        /* percentile, e.g. 99 */
	double conf;     /* e.g. 0.95 */
	int sufficient;  /* 0: too few samples, lo/hi are the sample extremes */
	uint64_t lo_rank, hi_rank; /* 1-based order statistics */
	double lo_s, hi_s;         /* their values */
	double coverage;           /* actual binomial coverage */
};

/* One sample's statistics, in seconds. Empty -> all 0 (vLLM). Non-finite
 * values (only in the failures-as-+inf views) make mean/std infinite. */
struct summary_dist {
	size_t n;         /* samples */
	size_t n_inf;     /* of which +inf (failures, *_fail_inf only) */
	double mean_s, median_s, std_s, min_s, max_s;
	double p50_s, p90_s, p99_s;  /* numpy "linear", always computed */
	double p99_inverted_cdf_s;   /* GuideLLM's method, labelled */
	double p99_loadgen_s;        /* LoadGen's sorted[floor(n p)] */
	double pct_s[SUMMARY_MAX_PCTS]; /* "linear" at cfg.pcts[i] */
	struct summary_ci ci99;      /* CI of the P99 */
};

/* Per record, index-aligned with the caller's array. */
struct summary_req {
	int32_t in_tokens;  /* N_in: prompt_tokens if >= 0 else in_len */
	int32_t out_tokens; /* rec_out_tokens (also for failures: partial) */
	uint8_t out_src;    /* enum rec_count_src of out_tokens */
	uint8_t counted;    /* not warmup: part of the statistics */
	uint8_t ok;         /* counted and a success */
	uint8_t good;       /* ok and met every SLO (when any SLO is set) */
	double ttft_s, e2el_s, tpot_s; /* NAN where undefined */
	double queue_s;     /* t_send - t_arrival, NAN when never sent */
};

/* How the server's prompt length compared with our target in_len. */
struct summary_prompt_check {
	size_t n_known;       /* successes with server prompt_tokens */
	size_t n_unknown;     /* successes without */
	size_t n_differ;      /* known and != in_len */
	double mean_abs_diff; /* mean |prompt_tokens - in_len| over known */
	double mean_diff;     /* mean (prompt_tokens - in_len): the bias */
	int32_t max_abs_diff;
};

/* Successes that got fewer output tokens than max_tokens asked for. */
struct summary_outlen_check {
	size_t n_checked;      /* successes with out_len > 0 */
	size_t n_short;        /* N_out < out_len */
	double mean_shortfall; /* mean (out_len - N_out) over the short ones */
};

/* Corrected views, never mixed into the vLLM-compatible numbers. */
struct summary_corrected {
	struct summary_dist ttft_arrival;  /* first event - t_arrival */
	struct summary_dist e2el_arrival;  /* last event - t_arrival */
	struct summary_dist itl_token;     /* chunk gaps split per token */
	struct summary_dist tpot_guidellm; /* (last - t_send) / N_out */
	struct summary_dist queue;         /* t_send - t_arrival, all sent */
	struct summary_dist ttft_fail_inf; /* failures counted as +inf */
	struct summary_dist e2el_fail_inf;
	size_t chunks_split;   /* events with > 1 token (token-level ITL) */
	size_t attempts;       /* counted minus not_sent and cancelled */
	double slo_attainment; /* good / attempts; 0 without an SLO */
};

struct summary {
	struct summary_config cfg;
	double duration_s;          /* D, as given by the caller */
	size_t n_records;           /* records given */
	size_t n_warmup;            /* skipped */
	size_t completed, failed;   /* over non-warmup records */
	size_t outcomes[REC__COUNT + 1]; /* by outcome; [REC__COUNT] = unset */
	size_t out_src[REC_COUNT_EVENTS + 1]; /* successes by N_out source */
	int64_t total_input_tokens, total_output_tokens; /* successes */
	double request_throughput, output_throughput, total_token_throughput;
	int has_slo;                /* any SLO set */
	size_t good;                /* successes meeting every SLO */
	double request_goodput;     /* good / D; meaningful when has_slo */
	double max_output_tokens_per_s; /* events in the busiest 1-s bucket */
	size_t max_concurrent_requests; /* sweep line over successes */
	struct summary_dist m[SUMMARY__METRICS]; /* vLLM definitions */
	struct summary_corrected corr;
	struct summary_prompt_check prompt;
	struct summary_outlen_check outlen;
	struct summary_req *per;    /* owned, n_records entries; NULL when
				     * loaded from a file */
};

/* Compute s from reqs[0..n-1] (warmup records are skipped). tok_counts is
 * optional (NULL, or n entries, -1 = none): the tokenizer's count of each
 * record's generated text, passed to rec_out_tokens. duration_ns is D
 * (anchors §5.11). cfg is copied. s owns memory afterwards: summary_free.
 * Returns 0, or -EINVAL for a bad cfg (s then zeroed). */
int summary_compute(struct summary *s, const struct rec *reqs, size_t n,
		    const int32_t *tok_counts, int64_t duration_ns,
		    const struct summary_config *cfg);

/* Free what s owns; NULL-safe; s is zeroed. */
void summary_free(struct summary *s);

#endif
