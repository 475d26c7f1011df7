/* buf.h - growable byte buffer with a hard cap (curl dynbuf).
 *
 * Owns its bytes. Every buffer has a named cap; growing past it fails with
 * -ENOBUFS so callers count it as a protocol error instead of eating memory.
 * Always NUL-terminated for convenience. Not thread-safe.
 */
#ifndef INFBENCH_CORE_BUF_H
#define INFBENCH_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data; /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;     /* allocated bytes */
	size_t max_len; /* hard cap on len; 0 = unlimited */
};

void buf_init(struct buf *b, size_t max_len);
/* Frees the bytes; b may be reused after buf_init. NULL-safe. */
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
/* 0, or -ENOBUFS when the cap would be exceeded (b unchanged). */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Hands the bytes to the caller (who frees them); b is left empty. */
char *buf_take(struct buf *b);

#endif
