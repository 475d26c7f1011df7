/* scrape.h - server /metrics sampler: GET, parse, map, keep a timeline.
 *
 * Owns one metrics URL's scraping: a ticker thread (absolute deadlines,
 * default 1 s), the Prometheus parser, the srvmetrics mapping, a bounded
 * decimating timeline of struct srvm_sample (plus raw columns for unknown
 * servers), failure counters and the window summary. Failures are counted
 * and noted once per kind, never fatal. Accessors lock; scrape_once must not
 * run while the thread is started.
 */
#ifndef INFBENCH_TELEMETRY_SCRAPE_H
#define INFBENCH_TELEMETRY_SCRAPE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "telemetry/srvmetrics.h"

#define SCRAPE_DEFAULT_INTERVAL_NS 1000000000LL /* 1 s */

struct scrape_cfg {
	const char *url;           /* full metrics URL (copied) */
	int64_t interval_ns;       /* 0 = SCRAPE_DEFAULT_INTERVAL_NS */
	int64_t timeout_ns;        /* per GET; 0 = max(interval, 2 s) */
	size_t max_points;         /* timeline cap; 0 = TL_DEFAULT_CAP */
	enum srvm_flavour flavour; /* SRVM_AUTO (0) to detect */
	int keep_raw;              /* raw columns for known servers too */
};

struct scrape_stats {
	uint64_t attempts;
	uint64_t ok;
	uint64_t fail_transport; /* unreachable, timeout, reset */
	uint64_t fail_status;    /* HTTP status not 200 */
	uint64_t fail_garbage;   /* 200 but nothing parseable */
	uint64_t fail_other;     /* body over the cap */
	uint64_t bad_lines;      /* malformed lines inside good scrapes */
	uint64_t late_ticks;     /* deadlines skipped (scrape overran) */
	long last_status;        /* HTTP status of the last attempt */
	enum srvm_flavour flavour;
	size_t points;           /* timeline length now */
	uint64_t raw_dropped;    /* raw series over SRVM_MAX_RAW */
};

/* Per-series summary of the measurement window. Gauges: mean/peak over the
 * window's scrapes. Counters: delta = last in window - last answered
 * before it (or first in it); NaN when absent or when the counter went
 * backwards. */
struct scrape_summary {
	uint64_t n;  /* successful scrapes in the window */
	double running_mean, running_peak;
	double waiting_mean, waiting_peak;
	double kv_usage_mean, kv_usage_peak;
	double batch_mean, batch_peak;
	double preemptions_delta;
	double prompt_tok_delta, gen_tok_delta;
	double kv_pool_tok; /* last seen */
};

struct scrape;

/* New sampler for cfg->url (NULL when url is NULL/empty). The caller frees
 * with scrape_free. Calls httpget_global_init. */
struct scrape *scrape_new(const struct scrape_cfg *cfg);
/* Stops if started, frees everything. NULL-safe. */
void scrape_free(struct scrape *s);
/* Starts the thread (first scrape at once). 0 or negative errno. */
int scrape_start(struct scrape *s);
/* Stops and joins; idempotent. Results stay readable. */
void scrape_stop(struct scrape *s);
/* One synchronous scrape appended to the timeline (not while started).
 * 0, or an HTTPGET_E* code (counted as with the thread). */
int scrape_once(struct scrape *s);

/* Scrapes answered before t_ns are baseline (a counter's base), those
 * issued from t_ns on are in the window (until scrape_window_end); one
 * that straddles t_ns is neither. Call before or while sampling. */
void scrape_window_begin(struct scrape *s, int64_t t_ns);
void scrape_window_end(struct scrape *s, int64_t t_ns);

void scrape_get_stats(struct scrape *s, struct scrape_stats *out);
void scrape_get_summary(struct scrape *s, struct scrape_summary *out);
/* Timeline length and point i (copied). 0 / -ERANGE. */
size_t scrape_len(struct scrape *s);
int scrape_point(struct scrape *s, size_t i, struct srvm_sample *out);

/* Call after scrape_stop (the raw series table belongs to the thread).
 * New JSON object (caller owns): url, flavour, interval_ms, stats, summary,
 * timeline (column arrays; t_s relative to t0_ns; NaN -> null) and, for
 * unknown servers, raw {series, t_s, values}. */
json_t *scrape_to_json(struct scrape *s, int64_t t0_ns);

#endif
