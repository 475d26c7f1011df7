/* h1resp.h - HTTP/1.x response push parser (the client side of one
 * connection).
 *
 * Owns only its fixed-size state: no allocation, no I/O; accepts any byte
 * split. Understands the status line (1xx interim responses are skipped),
 * the framing headers (Content-Length, Transfer-Encoding: chunked,
 * Connection, HTTP/1.0 defaults) and the three body framings (chunked, by
 * length, until the peer closes). The body comes back as spans of the
 * caller's buffer, one per chunk (nothing is copied or moved: a read
 * holding many SSE chunks reaches the caller as many spans in one call).
 * Other headers are skipped unread. One per connection, not thread-safe.
 */
#ifndef INFBENCH_NET_H1RESP_H
#define INFBENCH_NET_H1RESP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define H1_MAX_HEAD (64u << 10) /* bytes of status line + headers */
#define H1_LINE_KEEP 160        /* bytes of each header line inspected */

enum h1_ev {
	H1_MORE = 0, /* all input consumed; feed more */
	H1_HEAD,     /* final status line and headers are in */
	H1_BODY,     /* spans[0..*nspans): body bytes (each non-empty) */
	H1_DONE,     /* the response is complete */
	H1_ERROR,    /* malformed; p->error says why; parser is dead */
};

struct h1_resp {
	/* Valid after H1_HEAD. */
	int status;             /* 200.. */
	int minor;              /* HTTP/1.minor */
	int keep_alive;         /* connection reusable after H1_DONE */
	int chunked;
	int64_t content_length; /* -1 when absent */
	const char *error;      /* static text after H1_ERROR */
	/* Private. */
	int state;
	int no_body;            /* 1xx/204/304 or a HEAD request */
	int head_req;
	int got_head;           /* H1_HEAD was returned */
	int saw_te;             /* a Transfer-Encoding header was seen */
	uint64_t left;          /* bytes left in this chunk or the body */
	size_t head_bytes;      /* bytes of head so far (capped) */
	unsigned linelen;       /* bytes kept of the current line */
	int line_long;          /* current line exceeded H1_LINE_KEEP */
	char line[H1_LINE_KEEP];
};

/* Ready the parser for one response. head_req: the request was HEAD (no
 * body whatever the headers say). */
void h1_resp_init(struct h1_resp *p, int head_req);

/* Parse from buf[0..n). Returns the next event and sets *used to the bytes
 * consumed (0 < *used <= n, except H1_MORE with n == 0 and H1_ERROR).
 * For H1_BODY, spans[0..*nspans) (at most max_spans, >= 1) give the body
 * bytes in order, each inside buf[0..*used) (borrowed: valid while buf
 * is; buf is not modified); *nspans is set only for H1_BODY. Call again
 * with buf + *used, n - *used until H1_MORE or H1_DONE; after H1_DONE any
 * further bytes belong to no response (the caller decides). */
enum h1_ev h1_resp_feed(struct h1_resp *p, const char *buf, size_t n,
			size_t *used, struct iovec *spans, size_t max_spans,
			size_t *nspans);

/* The peer closed the connection: H1_DONE when that completes the message
 * (a body delimited by close), else H1_ERROR (p->error: truncated head,
 * chunk or length). */
enum h1_ev h1_resp_eof(struct h1_resp *p);

/* 1 once the final status line has been parsed (H1_HEAD was returned). */
int h1_resp_has_head(const struct h1_resp *p);

#endif
