/* ndjson.h - incremental newline-delimited JSON splitter (pure push).
 *
 * Owns line buffering for one response (Ollama /api/generate, and any
 * server that streams one JSON document per line). Accepts any byte split;
 * LF or CRLF; blank lines skipped. Knows nothing of JSON content. No I/O.
 * One per stream, not thread-safe.
 */
#ifndef INFBENCH_PROTO_NDJSON_H
#define INFBENCH_PROTO_NDJSON_H

#include <stddef.h>
#include <sys/uio.h>

#include "core/buf.h"

#define NDJSON_MAX_LINE (4u << 20)

/* Called per non-blank line (without terminator, NUL-terminated, valid only
 * during the call). Non-zero return stops ndjson_feed with that value. */
typedef int (*ndjson_line_cb)(void *ud, const char *line, size_t len);

struct ndjson {
	struct buf line;
	unsigned long lines;
	unsigned long overflow;
	int skipping; /* dropping the rest of an over-long line */
};

void ndjson_init(struct ndjson *p);
void ndjson_free(struct ndjson *p);
/* 0, the callback's value, or -ENOBUFS for an over-long line (skipped). */
int ndjson_feed(struct ndjson *p, const char *buf, size_t len,
		ndjson_line_cb cb, void *ud);
/* ndjson_feed over spans v[0..nv) in order, as one byte stream. Returns
 * as ndjson_feed (the callback's non-zero value stops it at once). */
int ndjson_feedv(struct ndjson *p, const struct iovec *v, size_t nv,
		 ndjson_line_cb cb, void *ud);
/* Dispatch an unterminated last line. Returns 1 if one was pending. */
int ndjson_finish(struct ndjson *p, ndjson_line_cb cb, void *ud);

#endif
