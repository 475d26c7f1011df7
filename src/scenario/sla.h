/* sla.h - service-level agreement expressions: "p99 e2el <= 500ms and
 * p99 ttft <= 300ms".
 *
 * Owns the grammar, the parsed form and its canonical text. A pure parser:
 * no I/O, no statistics (decide/ evaluates an SLA against samples).
 * Thread-safe (pure functions on caller memory).
 */
#ifndef INFBENCH_SCENARIO_SLA_H
#define INFBENCH_SCENARIO_SLA_H

#include <stddef.h>

#define SLA_MAX_TERMS 8 /* terms joined by "and" */

/* Latency metrics an SLA can bound (same meaning as docs/RESULTS.md). */
enum sla_metric { SLA_TTFT = 0, SLA_TPOT, SLA_ITL, SLA_E2EL, SLA__METRICS };

struct sla_term {
	double pct;            /* percentile, 0 < pct < 100 */
	enum sla_metric metric;
	double limit_s;        /* the percentile must be <= this, seconds */
};

struct sla {
	struct sla_term t[SLA_MAX_TERMS];
	size_t n; /* >= 1 after a successful parse */
};

/* "ttft", "tpot", "itl", "e2el". */
const char *sla_metric_name(enum sla_metric m);

/* Parse text into *out. Grammar (case-insensitive, spaces free):
 *   sla  := term { ("and" | "&&" | ",") term }
 *   term := ("p" NUMBER | "median") METRIC ("<=" | "<") DURATION
 * METRIC is ttft|tpot|itl|e2el (e2e, latency accepted for e2el); DURATION
 * is a number with s/ms/us/m (a bare number is milliseconds). Returns 0,
 * or -EINVAL with "column N: reason" in err (out unchanged). */
int sla_parse(const char *text, struct sla *out, char *err, size_t errlen);

/* Canonical text ("p99 e2el <= 500ms and p99 ttft <= 300ms") into buf. */
void sla_format(const struct sla *s, char *buf, size_t len);

#endif
