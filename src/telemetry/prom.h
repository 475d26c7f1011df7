/* prom.h - Prometheus text exposition format 0.0.4, as a push parser.
 *
 * Owns line buffering (capped at PROM_MAX_LINE), label unescaping and the
 * `# TYPE` table of one scrape. Does no I/O and knows nothing of servers:
 * srvmetrics.c maps what it emits. One parser per scrape stream; not
 * thread-safe. Bad lines are counted and skipped; parsing resumes at the next
 * line.
 */
#ifndef INFBENCH_TELEMETRY_PROM_H
#define INFBENCH_TELEMETRY_PROM_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define PROM_MAX_LINE 16384   /* bytes per line, excl. newline */
#define PROM_MAX_LABELS 32    /* label pairs per sample */
#define PROM_MAX_FAMILIES 512 /* remembered `# TYPE` entries per scrape */

enum prom_type {
	PROM_UNTYPED = 0,
	PROM_COUNTER,
	PROM_GAUGE,
	PROM_HISTOGRAM,
	PROM_SUMMARY,
};

/* "untyped", "counter", ... */
const char *prom_type_name(enum prom_type t);

struct prom_label {
	const char *name;
	const char *value; /* unescaped (\\ \" \n) */
};

/* One sample line. Every pointer is valid only during the callback. */
struct prom_sample {
	const char *name;    /* full series name, e.g. "x_bucket" */
	const char *family;  /* name with _bucket/_sum/_count/_total stripped
	                      * when the TYPE table says so, else == name */
	const struct prom_label *labels;
	size_t n_labels;
	double value;        /* may be NaN or +-Inf */
	int64_t ts_ms;       /* optional timestamp (ms since epoch) */
	int has_ts;
	enum prom_type type; /* from `# TYPE` of the family; UNTYPED if none */
};

typedef void (*prom_cb)(const struct prom_sample *s, void *ud);

struct prom_parser {
	struct buf line;        /* current partial line, capped */
	int discarding;         /* over-long line: skip to next '\n' */
	uint64_t lines;         /* lines seen (incl. comments, blank) */
	uint64_t samples;       /* samples emitted */
	uint64_t errors;        /* malformed lines (incl. over-long) */
	uint64_t overlong;      /* lines over PROM_MAX_LINE */
	uint64_t types_dropped; /* `# TYPE` lines beyond PROM_MAX_FAMILIES */
	size_t n_fam;
	struct prom__fam {
		char *name;
		enum prom_type type;
	} *fam; /* PROM_MAX_FAMILIES entries once allocated */
	struct prom_label lab[PROM_MAX_LABELS];
};

/* Sets up an empty parser; release with prom_free. */
void prom_init(struct prom_parser *p);
/* Frees buffers and the TYPE table. NULL-safe. */
void prom_free(struct prom_parser *p);
/* Forgets the partial line and the TYPE table (start of a new scrape);
 * counters are kept. */
void prom_reset(struct prom_parser *p);

/* Feeds len bytes (any split: a line may span calls). cb fires once per
 * complete sample line, in input order. Returns the number of malformed
 * lines found in this call (0 = all good); never fails otherwise. */
size_t prom_feed(struct prom_parser *p, const void *buf, size_t len,
		 prom_cb cb, void *ud);
/* End of input: parses a final line that had no newline. Returns the number
 * of malformed lines (0 or 1). */
size_t prom_finish(struct prom_parser *p, prom_cb cb, void *ud);

/* Value of label `name` in s, or NULL. */
const char *prom_label_get(const struct prom_sample *s, const char *name);

#endif
