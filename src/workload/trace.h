/* trace.h - request traces and JSONL workloads, parsed from bytes.
 *
 * Owns the push parsers of four line formats: Azure LLM inference 2023 CSV
 * (TIMESTAMP,ContextTokens,GeneratedTokens), Mooncake JSONL (timestamp ms,
 * input_length, output_length, hash_ids of 512-token blocks), BurstGPT CSV
 * (Timestamp s, Request/Response tokens; failed and zero-token rows are
 * skipped and counted) and our simple JSONL ({prompt | input_len,
 * output_len[, timestamp s]}); and the parsed rows. Errors name the input
 * and line. Does no I/O and knows nothing of scheduling or prompts (see
 * plan.h). One parser per input, not thread-safe; a finished struct trace
 * is read-only and shareable.
 */
#ifndef INFBENCH_WORKLOAD_TRACE_H
#define INFBENCH_WORKLOAD_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "workload/lines.h"

#define TRACE_MAX_LINE ((size_t)16 << 20)     /* bytes of one line */
#define TRACE_MAX_ROWS ((size_t)1 << 24)      /* rows kept */
#define TRACE_MAX_HASHES ((size_t)1 << 28)    /* hash ids kept, all rows */
#define TRACE_MAX_TEXT ((size_t)512 << 20)    /* prompt bytes kept */
#define TRACE_BLOCK_TOK 512                   /* Mooncake hash block size */

enum trace_format {
	TRACE_AZURE = 0, /* Azure LLM inference 2023 CSV */
	TRACE_MOONCAKE,  /* Mooncake FAST'25 JSONL */
	TRACE_BURSTGPT,  /* BurstGPT CSV */
	TRACE_JSONL,     /* {prompt | input_len, output_len[, timestamp]} */
};

/* "azure" | "mooncake" | "burstgpt" | "jsonl"; 0 or -EINVAL. */
int trace_format_parse(const char *name, enum trace_format *f);
const char *trace_format_name(enum trace_format f);

struct trace_row {
	int64_t t_ns;      /* arrival, ns from the earliest kept row; -1 none */
	int32_t in_len;    /* prompt tokens; -1 when only text was given */
	int32_t out_len;   /* output tokens (>= 1) */
	uint32_t hash_off; /* first of n_hash entries in trace.hashes */
	uint32_t n_hash;
	int64_t text_off;  /* prompt text in trace.text, -1 none */
	uint32_t text_len;
	uint32_t line;     /* 1-based line in the input */
};

struct trace {
	enum trace_format fmt;
	struct trace_row *rows; /* in input order */
	size_t n, cap;
	uint32_t *hashes;
	size_t n_hashes, cap_hashes;
	struct buf text;        /* JSONL prompts, each NUL-terminated */
	size_t data_lines;      /* non-blank lines after the header */
	size_t skipped_failed;  /* 0 input and 0 output tokens */
	size_t skipped_zero;    /* 0 input or 0 output tokens (not both) */
	int has_time;           /* every kept row has a timestamp */
	int has_hash;           /* some row has hash_ids */
	int has_text;           /* some row has prompt text */
	int sorted;             /* timestamps non-decreasing in input order */
};

struct trace_parser {
	enum trace_format fmt;
	char *name;           /* input name for errors (owned copy) */
	struct lines lines;
	struct trace t;
	int header_done;
	int ncols;            /* CSV: columns in the header */
	int col_time, col_in, col_out; /* CSV: column indexes */
	int64_t min_raw_ns;   /* earliest raw timestamp kept */
	int64_t last_raw_ns;
	int any_time, any_untimed;
	char *err;            /* first error, owned */
};

/* Start parsing input `name` (used in errors) of format f. */
void trace_parser_init(struct trace_parser *p, enum trace_format f,
		       const char *name);
/* Feed n bytes (any split). Returns 0 or -EINVAL with p->err set to
 * "NAME:LINE: what" (the parser is then stuck; later feeds return the same
 * error). */
int trace_parser_feed(struct trace_parser *p, const char *buf, size_t n);
/* End of input: deliver the last line, check there was at least one row,
 * normalise times. On success moves the rows to *out (zeroed first; the
 * caller frees with trace_free) and returns 0; else -EINVAL with p->err. */
int trace_parser_finish(struct trace_parser *p, struct trace *out);
/* Free the parser (NULL-safe); a finished trace is not touched. */
void trace_parser_free(struct trace_parser *p);
void trace_free(struct trace *t);

/* Prompt text of row r (NUL-terminated), NULL when it has none. */
const char *trace_row_text(const struct trace *t, const struct trace_row *r);

/* Parse an Azure timestamp "YYYY-MM-DD HH:MM:SS[.fffffff]" into ns since
 * 1970-01-01 UTC. 0 or -EINVAL. (Exposed for tests.) */
int trace_parse_datetime(const char *s, size_t n, int64_t *ns);

#endif
