/* jscan.h - a non-allocating JSON validator that extracts a few fields.
 *
 * Owns the per-token fast path's JSON: one pass over an event validates the
 * whole document with jansson's acceptance rules (strict RFC 8259 grammar,
 * UTF-8 checked, no NUL byte anywhere, integers that fit in long long, depth
 * <= 2048, object or array at the top) and records where the values of the
 * requested paths are. No allocation, no copies; values stay spans into
 * the caller's buffer (through the memo, also into its copy of equal bytes).
 * jansson remains the parser everywhere else; tests
 * cross-check the two on fixtures and fuzzed inputs (docs/DESIGN.md has the
 * numbers that justified it). Pure; thread-safe. Also owns the per-stream
 * memo (jscan_parse_memo): the same results from a byte compare against
 * the stream's last event; it allocates its template, one per memo.
 */
#ifndef INFBENCH_PROTO_JSCAN_H
#define INFBENCH_PROTO_JSCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define JSCAN_MAX_DEPTH 2048  /* jansson's JSON_PARSER_MAX_DEPTH */
#define JSCAN_MAX_PATH 4      /* components in a requested path */
#define JSCAN_MAX_FIELDS 32   /* fields per jscan_parse call */

enum jscan_type {
	JSCAN_ABSENT = 0,
	JSCAN_NULL,
	JSCAN_FALSE,
	JSCAN_TRUE,
	JSCAN_INT,
	JSCAN_REAL,
	JSCAN_STRING,
	JSCAN_OBJECT,
	JSCAN_ARRAY,
};

/* Masks over a whole table of paths (bit i = paths[i]), precomputed by
 * jscan_compile so that jscan_parse does no per-call setup. */
struct jscan_tab {
	uint32_t n;                          /* paths compiled together */
	uint32_t stamp;                      /* distinct per jscan_compile
						call (memos tell a recompiled
						table from the one they saw) */
	uint32_t exact[JSCAN_MAX_PATH + 1];  /* paths ending at depth d */
	uint32_t deeper[JSCAN_MAX_PATH + 1]; /* paths going below depth d */
	uint32_t bykey[JSCAN_MAX_PATH][16];  /* paths by a 4-bit hash of
						component d (jscan.c) */
};

/* A requested path: object keys, or "0", "1", ... for array indexes
 * (e.g. {"choices", "0", "text"}); depth 0 is the root. Compile a table of
 * paths once (jscan_compile) and share it read-only across threads. */
struct jscan_path {
	const char *path[JSCAN_MAX_PATH];
	int depth;                  /* components used */
	size_t plen[JSCAN_MAX_PATH]; /* filled by jscan_compile */
	long pidx[JSCAN_MAX_PATH];   /* component as array index, or -1 */
	uint32_t same[JSCAN_MAX_PATH]; /* paths with the same component at
					  this depth (bit i = paths[i]) */
	struct jscan_tab tab;       /* filled by jscan_compile in paths[0]
				       for the whole table */
};

/* Where a path's value is in one parsed document. 24 bytes: the parsers
 * write every requested field of every event (documents are < 4 GiB).
 * A container's span is not kept (start NULL, len 0): nothing reads it,
 * and the memo would move it on every event. */
struct jscan_field {
	const char *start;     /* scalar value span (strings: inside the
				  quotes) */
	uint32_t len;
	uint32_t count;        /* arrays/objects: number of elements */
	enum jscan_type type;  /* JSCAN_ABSENT when not present */
	int escaped;           /* strings: contains a backslash escape */
};

/* Fill plen/pidx/same of paths[0..n) and the table masks in paths[0].tab.
 * Call once before sharing the table; jscan_parse then takes the same
 * table (paths[0] first, nfields <= n; other tables still parse
 * correctly, they just pay the setup on every call). */
void jscan_compile(struct jscan_path *paths, size_t n);

/* Validate s[0..n) and fill out[i] for compiled paths[i] (last
 * occurrence wins, as jansson). Returns 0 when the document is valid, else
 * -1 (out then undefined; documents of 4 GiB or more are refused).
 * nfields <= JSCAN_MAX_FIELDS. */
int jscan_parse(const char *s, size_t n, const struct jscan_path *paths,
		struct jscan_field *out, size_t nfields);

/* A stream's template (caller-owned; zero-initialised = empty; release
 * with jscan_memo_free). Consecutive events of one stream, and of the
 * requests that follow on the same connection slot, differ only in a few
 * scalar values (the token text, counters, finish_reason, the id). The
 * memo keeps the last valid document that needed a full parse, where each
 * of its scalar values lies, and where each field's value was; the next
 * document is compared with it byte for byte, and only the values that
 * differ are parsed. See jscan_parse_memo. */
struct jscan_memo {
	const struct jscan_path *paths; /* table the template was built for */
	size_t nfields;
	uint32_t stamp;                 /* its paths[0].tab.stamp */
	struct jscan_memo_tpl *tpl;     /* owned; NULL: no template */
	uint32_t misses;                /* failed match attempts in a row */
	uint32_t run;                   /* matches in a row */
	uint32_t skip;                  /* events left to parse plainly */
	uint32_t level;                 /* backoff: the next skip is
					   1 << level events */
	uint64_t matched;               /* documents that matched it */
	uint64_t fast;                  /* of those, by the plan alone */
	uint64_t parsed;                /* documents parsed in full */
	const char *peek;               /* the document jscan_memo_peek
					   matched last, NULL: none */
	size_t peek_len;
};

/* jscan_parse with a per-stream memo: the same contract and the same
 * results (return value, every out field; documents of 4 GiB or more
 * refused), except where a span points: into s, or, for a value equal to
 * the template's, at the memo's own copy of those bytes (valid until the
 * next call on m or jscan_memo_free). When s equals the
 * template except that some scalar values (strings, numbers, literals; not
 * keys) are replaced by other valid scalar values, only those are parsed:
 * s is then valid JSON by construction and its fields are the template's,
 * moved by the length changes. The values the last match replaced are
 * its plan: the next document is first read as the template with those
 * values replaced again (one compare per gap, each planned value parsed
 * where it starts, no search), then searched for differences when that
 * fails. Otherwise s is parsed in full, and becomes
 * the template when valid (and at most 1 KiB with at most 64 scalar
 * values). A stream whose documents keep failing to match (two attempts
 * in a row) is parsed plainly for the next 1, 2, 4, ... 64 events before
 * the memo tries again (16 matches in a row reset that to 1). Allocates
 * only when a template is (re)built. A table is told
 * apart by its address, nfields and compilation (jscan_compile): change
 * an uncompiled table's strings and m must be freed first. Not
 * thread-safe on the same m. */
int jscan_parse_memo(struct jscan_memo *m, const char *s, size_t n,
		     const struct jscan_path *paths, struct jscan_field *out,
		     size_t nfields);
/* jscan_parse_memo without the copy of a match's fields: returns out when
 * s was parsed in full, the memo's own fields[0..nfields) when s matched
 * its template (the same values jscan_parse_memo writes to out; read-only,
 * valid until the next call with m, jscan_memo_peek included), or NULL
 * when s is invalid (out then undefined). The adapters' per-event path:
 * a match writes only the fields of the values it re-read, not all. */
const struct jscan_field *jscan_memo_fields(struct jscan_memo *m,
					    const char *s, size_t n,
					    const struct jscan_path *paths,
					    struct jscan_field *out,
					    size_t nfields);
/* The length of the document at the start of s[0..avail) when it is the
 * memo's template with the values of its plan replaced (the fast path of
 * jscan_parse_memo, taken as a prefix; bytes after it are not looked at),
 * else 0. Such a document holds no CR or LF: the bytes outside the
 * planned values are the template's (a template with a CR or LF in its
 * whitespace is never peeked with), and a valid scalar holds no control
 * byte, so a line splitter can take it for the rest of a line without
 * scanning it (sse_feed's peek). The next jscan_parse_memo or
 * jscan_memo_fields of exactly that document (same s and length) reuses
 * the work: the memo's fields already hold it (the template is left as
 * it was). 0
 * while the memo backs off or has no plan yet. */
size_t jscan_memo_peek(struct jscan_memo *m, const char *s, size_t avail);
/* Release m's template; m is empty (reusable) afterwards. */
void jscan_memo_free(struct jscan_memo *m);

/* Decoded byte length of a JSCAN_STRING field (0 for other types);
 * inline for the unescaped case, which is every token's text. */
size_t jscan__str_len_escaped(const struct jscan_field *f);
static inline size_t jscan_str_len(const struct jscan_field *f)
{
	if (f->type != JSCAN_STRING)
		return 0;
	return f->escaped ? jscan__str_len_escaped(f) : f->len;
}
/* Decode a JSCAN_STRING into out (room for jscan_str_len bytes); returns
 * the bytes written. */
size_t jscan_str_copy(const struct jscan_field *f, char *out);
/* Value of a JSCAN_INT field. Inline for up to 9 digits (every token
 * count), in 32 bits. */
long long jscan__int_long(const struct jscan_field *f);
static inline long long jscan_int(const struct jscan_field *f)
{
	const char *p = f->start;
	size_t n = f->len;
	if (n - 1 < 9 && *p != '-') {
		uint32_t v = 0;
		for (size_t i = 0; i < n; i++)
			v = v * 10 + (uint32_t)(p[i] - '0');
		return v;
	}
	return jscan__int_long(f);
}
/* Does a JSCAN_STRING equal lit (after decoding)? Inline for the
 * unescaped case (the adapters' per-event checks: strlen of a literal
 * folds, a length mismatch costs a compare). */
int jscan__str_eq_escaped(const struct jscan_field *f, const char *lit,
			  size_t n);
static inline int jscan_str_eq(const struct jscan_field *f, const char *lit)
{
	if (f->type != JSCAN_STRING)
		return 0;
	size_t n = strlen(lit);
	if (!f->escaped)
		return f->len == n && !memcmp(f->start, lit, n);
	return jscan__str_eq_escaped(f, lit, n);
}

#endif
