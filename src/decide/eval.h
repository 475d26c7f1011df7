/* eval.h - does one load point meet the SLA, and is it over-saturated?
 *
 * Owns the SLA evaluation of measured samples: per SLA term, the sample
 * percentile and its one-sided upper confidence bound from order statistics
 * (stats/ci.h ci_pct_upper); a term is met only when the bound is within
 * the limit (MLPerf-style early stopping), so too few samples never pass.
 * Failures count as +inf samples. Also the over-saturation signals (error
 * rate, growth of TTFT-from-arrival across the run). Reads results documents
 * (docs/RESULTS.md) but does no file I/O. Pure; thread-safe.
 */
#ifndef INFBENCH_DECIDE_EVAL_H
#define INFBENCH_DECIDE_EVAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario/sla.h"

/* Queue growth counts only when the late third's median TTFT-from-arrival
 * also exceeds the early third's by at least this much. */
#define DECIDE_GROWTH_MIN_S 0.25
/* Successes needed before the growth ratio is computed. */
#define DECIDE_GROWTH_MIN_N 9

struct decide_term_eval {
	struct sla_term term;
	size_t n;           /* samples, failures (+inf) included */
	size_t n_inf;
	double estimate_s;  /* sample percentile (numpy linear); inf if it
			     * touches a failure */
	double bound_s;     /* conf upper bound x_(rank); inf when
			     * insufficient */
	uint64_t rank;      /* 1-based; 0 when insufficient */
	int sufficient;     /* enough samples for a bound at conf */
	uint64_t min_n;     /* samples a bound at conf needs */
	int met;            /* sufficient and bound_s <= limit_s */
};

struct decide_eval {
	struct decide_term_eval terms[SLA_MAX_TERMS];
	size_t n_terms;
	size_t attempts;     /* measured requests sent (not cancelled) */
	size_t failures;     /* attempts that did not succeed */
	double error_rate;   /* failures / attempts (0 when none) */
	double ttft_growth;  /* late/early median TTFT-from-arrival; NaN when
			      * too few successes */
	double ttft_early_s, ttft_late_s; /* those medians */
	int saturated;       /* error rate or growth over the limits */
	int met;             /* every term met and not saturated */
	char why[160];       /* one line: what failed, or "" */
};

/* Over-saturation limits (scenario max_error_rate / queue_growth). */
struct decide_limits {
	double conf;           /* confidence of the bounds, e.g. 0.95 */
	double max_error_rate; /* saturated above this */
	double queue_growth;   /* saturated above this ratio; 0 = off */
	int from_arrival;      /* TTFT/E2EL from t_arrival (open loop: rate
				* ladder) instead of t_send (closed loop, where
				* run's t_arrival is the start of the run) */
};

/* One term from raw samples (seconds, +inf = failure); v is sorted in
 * place. 0, or -EINVAL for bad pct/conf. */
int decide_eval_term(double *v, size_t n, const struct sla_term *t,
		     double conf, struct decide_term_eval *out);

/* Evaluate sla over the measured requests of docs[0..n_docs) pooled
 * (repeats of one load point). Samples: TTFT and E2EL from t_send (vLLM's
 * definition) or, with lim->from_arrival, from t_arrival (coordinated-
 * omission-safe in an open loop), TPOT (0 when undefined, as goodput), ITL chunk gaps; each
 * failed attempt adds one +inf sample per metric. Returns 0, or -EINVAL
 * when a document lacks requests[] (out zeroed). */
int decide_eval_docs(const json_t *const *docs, size_t n_docs,
		     const struct sla *sla, const struct decide_limits *lim,
		     struct decide_eval *out);

/* Collect one metric's samples from docs (as above) into a new array
 * (caller frees) of *n entries, unsorted. metric: enum sla_metric. */
double *decide_samples(const json_t *const *docs, size_t n_docs, int metric,
		       int from_arrival, size_t *n);

#endif
