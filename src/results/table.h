/* table.h - the console table: a compact human summary on a FILE*.
 *
 * Owns the layout of what a person reads on stdout after a run: the main
 * row (vLLM-compatible numbers), the labelled "corrected" block, failures
 * by reason, P99 confidence intervals or "too few samples", and the
 * prompt/output length checks; plus a side-by-side variant for several
 * runs. Prints only; computes nothing beyond formatting. Not thread-safe
 * on one FILE.
 */
#ifndef INFBENCH_RESULTS_TABLE_H
#define INFBENCH_RESULTS_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "results/summary.h"

/* One run: header, its row, then the detail blocks. label names the row
 * (scenario; NULL -> "run"). Works on computed and loaded summaries. */
void results_table_print(FILE *f, const char *label, const struct summary *s);

/* Several runs side by side: one header, one main row per (labels[i],
 * sums[i]), then one "corrected" row each. No detail blocks. */
void results_table_print_multi(FILE *f, const char *const *labels,
			       const struct summary *const *sums, size_t n);

#endif
