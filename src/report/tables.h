/* tables.h - the sweep report as text: Markdown (the article's table per
 * workload + the decision), CSV (one row per load level) and JSON.
 *
 * Owns the column set and number formatting shared with html.c. Reads a
 * computed decide_set (decide/decision.h); writes to the FILE given. No
 * file opening, no statistics of its own. Not thread-safe (decide_set).
 */
#ifndef INFBENCH_REPORT_TABLES_H
#define INFBENCH_REPORT_TABLES_H

#include <jansson.h>
#include <stdio.h>

#include "decide/decision.h"

#define REPORT_NCOLS 11
#define REPORT_COL_BYTES 96

/* Column headers of the per-workload table. */
extern const char *const report_cols[REPORT_NCOLS];

/* Formatted cells of level li's row (framework = target name). */
void report_row(const struct decide_set *s, int li,
		char out[REPORT_NCOLS][REPORT_COL_BYTES]);

#define REPORT_CFG_NCOLS 7
#define REPORT_CFG_COL_BYTES 320

/* Column headers of the configurations table. */
extern const char *const report_cfg_cols[REPORT_CFG_NCOLS];

/* 1 when some target was launched or has several configurations (then
 * the reports carry a configurations table). */
int report_has_configs(const struct decide_set *s);

/* Formatted cells of target ti's configuration row: name, framework
 * (group), settings, launch outcome, ready time, GPU memory (idle over
 * the pre-launch reading, released?), workloads it is the best of. */
void report_config_row(const struct decide_set *s, int ti,
		       char out[REPORT_CFG_NCOLS][REPORT_CFG_COL_BYTES]);

/* Levels that make rows for workload w: the operating point of each
 * target (rows_all = 0; targets without one get their lowest level), or
 * every level (rows_all = 1). Writes indices into idx (cap n_idx); returns
 * the count. */
size_t report_rows(const struct decide_set *s, int w, int rows_all, int *idx,
		   size_t n_idx);

/* The decision reading as a string (decide_explain); caller frees. */
char *report_reading(struct decide_set *s);

/* Markdown report. */
void report_md(FILE *f, struct decide_set *s, const char *title,
	       int rows_all, double peak_rate, double peak_conc);
/* CSV, one row per level (RFC 4180, CRLF). */
void report_csv(FILE *f, const struct decide_set *s);
/* JSON document (caller json_decref's): scenario summary, cells with the
 * operating point's numbers and GPUs for the peak, every level, reading. */
json_t *report_json(struct decide_set *s, double peak_rate, double peak_conc);

#endif
