/* lines.h - push splitter of a byte stream into numbered lines.
 *
 * Owns the partial line between feeds (capped at the caller's max) and the
 * line counter. Accepts any chunk split; "\n" and "\r\n" both end a line; a
 * last line without a newline is delivered by lines_finish. Does no I/O and
 * knows nothing of the line's format. One per input, not thread-safe.
 */
#ifndef INFBENCH_WORKLOAD_LINES_H
#define INFBENCH_WORKLOAD_LINES_H

#include <stddef.h>

#include "core/buf.h"

/* Called once per line (without its line end; NUL-terminated at len).
 * lineno is 1-based. A non-zero return stops the feed and is returned. */
typedef int (*lines_cb)(void *ud, const char *line, size_t len, long lineno);

struct lines {
	struct buf cur; /* partial line, capped at the max given to init */
	long lineno;    /* lines delivered so far */
	int overflow;   /* a line exceeded the cap */
};

/* max_line_bytes: longest line accepted (the cap on cur). */
void lines_init(struct lines *l, size_t max_line_bytes);
void lines_free(struct lines *l);
/* Feed n bytes. Returns 0, the callback's non-zero value, or -E2BIG when a
 * line is longer than the cap (l->lineno + 1 is the line at fault). */
int lines_feed(struct lines *l, const char *p, size_t n, lines_cb cb,
	       void *ud);
/* Deliver a final unterminated line, if any. Same returns. */
int lines_finish(struct lines *l, lines_cb cb, void *ud);

#endif
