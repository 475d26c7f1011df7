/* sse.h - incremental text/event-stream parser (pure push function).
 *
 * Owns line buffering and event assembly for one response: accepts any byte
 * split (one byte at a time included), handles LF, CRLF and bare CR line
 * ends, `data:` with or without the space, multi-line data, `:` comments and
 * the other fields (ignored). Knows nothing of JSON or of any server. Does no
 * I/O. One per stream, not thread-safe.
 */
#ifndef INFBENCH_PROTO_SSE_H
#define INFBENCH_PROTO_SSE_H

#include <stddef.h>
#include <sys/uio.h>

#include "core/buf.h"

#define SSE_MAX_EVENT (4u << 20) /* bytes of data in one event */
#define SSE_MAX_LINE (4u << 20)  /* bytes in one line */

/* Called once per complete event that carries data. data (len bytes, not
 * necessarily NUL-terminated: it may point into the fed buffer) is valid
 * only during the call. Return 0 to continue, non-zero to stop
 * (sse_feed then returns that value). */
typedef int (*sse_event_cb)(void *ud, const char *data, size_t len);

/* Optional look-ahead (struct sse's peek): given the bytes after a
 * line's "data:" and its one optional space, up to the end of the fed
 * buffer, the length of a value at their start that the caller
 * recognises and that holds no CR or LF (which the caller guarantees),
 * else 0. When "\n\n" follows that value and nothing is pending, the
 * event is dispatched without scanning its bytes for line ends. */
typedef size_t (*sse_peek_cb)(void *ud, const char *s, size_t avail);

struct sse {
	struct buf line; /* partial line carried across feeds */
	struct buf data; /* data of the event being assembled */
	int has_data;    /* a data: field was seen in this event */
	int last_cr;     /* previous byte was CR (CRLF split across feeds) */
	int skipping;    /* dropping the rest of an over-long line */
	unsigned long events;   /* events dispatched */
	unsigned long overflow; /* events dropped for exceeding a cap */
	sse_peek_cb peek; /* optional; set after sse_init, called with
			     sse_feed's ud */
};

void sse_init(struct sse *p);
void sse_free(struct sse *p);
/* Feed bytes; calls cb for each completed event. Returns 0, the callback's
 * non-zero value, or -ENOBUFS when a line or event exceeded its cap (the
 * parser skips that event and stays usable). */
int sse_feed(struct sse *p, const char *buf, size_t len, sse_event_cb cb,
	     void *ud);
/* sse_feed over spans v[0..nv) in order, as one byte stream (an event may
 * run across spans). Returns as sse_feed: the callback's non-zero value
 * stops it at once; -ENOBUFS once all spans are fed. */
int sse_feedv(struct sse *p, const struct iovec *v, size_t nv,
	      sse_event_cb cb, void *ud);
/* End of stream: dispatches an event whose data lines were complete but
 * whose blank line never came. Returns 1 when bytes of an incomplete line
 * or event were pending (a truncated stream), else 0 or the cb's value. */
int sse_finish(struct sse *p, sse_event_cb cb, void *ud);

#endif
