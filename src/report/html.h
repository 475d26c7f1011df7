/* html.h - the sweep report as one self-contained HTML file.
 *
 * Owns the page: per workload the article's table and inline SVG charts
 * (latency vs throughput per target with the SLA line and the operating
 * points, latency CDFs, timelines of in-flight requests, tok/s, KV use and
 * GPU memory at the operating points), then the decision. No scripts, no
 * external fonts, images or URLs. Reads each operating point's results
 * file (and sidecars) from disk. Not thread-safe (decide_set).
 */
#ifndef INFBENCH_REPORT_HTML_H
#define INFBENCH_REPORT_HTML_H

#include <stdio.h>

#include "decide/decision.h"

#define REPORT_MAX_HTML_BYTES (256u << 20) /* cap on the page */

/* Write the page to f. rows_all: a table row per level instead of per
 * operating point. 0, or -1 when the page exceeded its cap or a write
 * failed. */
int report_html(FILE *f, struct decide_set *s, const char *title,
		int rows_all, double peak_rate, double peak_conc);

#endif
