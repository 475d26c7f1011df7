/* json.h - the results file: write it (atomically) and read it back.
 *
 * Owns the results JSON schema (docs/RESULTS.md): vLLM's top-level keys,
 * exactly named, so vLLM consumers can read our files, plus infbench's own
 * blocks under distinct keys. Builds a jansson document from a summary and
 * its records; loads and validates one for compare/report. No sockets, no
 * statistics of its own. Thread-safe on distinct documents.
 */
#ifndef INFBENCH_RESULTS_JSON_H
#define INFBENCH_RESULTS_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "results/record.h"
#include "results/summary.h"

#define RESULTS_SCHEMA_VERSION 1
/* Cap on a results file we read back (a 1M-request run is ~1 GB). */
#define RESULTS_MAX_FILE_BYTES (4LL << 30)

struct results_json_opts {
	json_t *meta;      /* borrowed; stored under "run" (reference taken);
			    * NULL gives {} */
	int interrupted;   /* the run was cut short (SIGINT, --duration) */
	int chunk_times;   /* 1: per-request chunk offsets and deltas */
};

/* Defaults: no meta, not interrupted, chunk times on. */
void results_json_opts_init(struct results_json_opts *o);

/* Build the results document from s (computed by summary_compute over the
 * same reqs[0..n-1]; s->per must be present and n == s->n_records).
 * Returns a new reference (caller json_decref's it), or NULL on a
 * mismatch. Non-finite numbers become null. Strings are made valid UTF-8
 * (bad bytes -> U+FFFD). */
json_t *results_json_build(const struct summary *s, const struct rec *reqs,
			   size_t n, const struct results_json_opts *o);

/* Write doc to path atomically: a temp file in the same directory, fsync,
 * rename. Compact, 15 significant digits, trailing newline. Returns 0 or
 * -errno (the temp file is removed on failure). */
int results_json_write(const char *path, const json_t *doc);

/* Check that doc looks like a results file of a schema we can read: an
 * object with schema_version 1..RESULTS_SCHEMA_VERSION, every vLLM scalar
 * and per-request array (all of one length, completed + failed), and our
 * "metrics" and "outcomes" objects. 0, or -EINVAL with a reason in err. */
int results_json_validate(const json_t *doc, char *err, size_t errlen);

/* Read and validate a results file. *doc gets a new reference on success
 * (caller json_decref's), NULL on failure. 0, -errno, or -EINVAL (parse or
 * schema error, reason in err). */
int results_json_load(const char *path, json_t **doc, char *err,
		      size_t errlen);

/* Fill a summary from a validated document: config, counts, throughputs,
 * every distribution (vLLM and corrected), CIs and the length checks.
 * s->per stays NULL (summary_free is still fine). 0, or -EINVAL with err. */
int results_json_to_summary(const json_t *doc, struct summary *s, char *err,
			    size_t errlen);

/* Atomic-write helpers shared with csv.c. open: creates "<path>.tmp.XXXXXX"
 * and returns it (and *tmp, caller passes it to commit) or NULL with -errno
 * in *rc. commit: flushes, fsyncs, closes f and renames tmp over path when
 * ok, else removes tmp; frees *tmp; returns 0 or -errno. */
FILE *results_atomic_open(const char *path, char **tmp, int *rc);
int results_atomic_commit(FILE *f, char **tmp, const char *path, int ok);

/* A copy of bytes s[0..len) as valid UTF-8 (invalid sequences replaced by
 * U+FFFD); caller frees. NULL s gives "". */
char *results_utf8_clean(const char *s, size_t len);

#endif
