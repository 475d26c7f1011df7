/* csv.h - results as CSV: one row per request, or one row per run.
 *
 * Owns the CSV columns (docs/RESULTS.md) and RFC 4180 quoting: fields with
 * a comma, quote, CR or LF are quoted, quotes doubled, rows end in CRLF.
 * Unknown values are empty fields. Knows nothing of statistics. Thread-safe
 * on distinct FILEs.
 */
#ifndef INFBENCH_RESULTS_CSV_H
#define INFBENCH_RESULTS_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "results/record.h"
#include "results/summary.h"

/* Write s[0..len) as one RFC 4180 field (no separator). */
void results_csv_field(FILE *f, const char *s, size_t len);

/* Header plus one row per record, warmups and failures included, in the
 * caller's order. s must come from summary_compute over the same records
 * (s->per present, n == s->n_records). Times are seconds relative to the
 * run's t0. Returns 0, -EINVAL on a mismatch, -EIO on a write error. */
int results_csv_write_requests(FILE *f, const struct summary *s,
			       const struct rec *reqs, size_t n);

/* One summary row (and the header first when header != 0); label is the
 * first column (scenario name; may be NULL). Works on loaded summaries.
 * Returns 0 or -EIO. */
int results_csv_write_summary(FILE *f, const char *label,
			      const struct summary *s, int header);

/* The same, written atomically to path (temp file + rename). 0 or -errno. */
int results_csv_save_requests(const char *path, const struct summary *s,
			      const struct rec *reqs, size_t n);
int results_csv_save_summary(const char *path, const char *label,
			     const struct summary *s);

#endif
