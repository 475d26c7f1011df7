/* h1resp.h - HTTP/1.x response push parser (the client side of one
 * connection).
 *
 * Owns only its fixed-size state: no allocation, no I/O; accepts any byte
 * split. Understands the status line (1xx interim responses are skipped),
 * the framing headers (Content-Length, Transfer-Encoding: chunked,
 * Connection, HTTP/1.0 defaults) and the three body framings (chunked, by
 * length, until the peer closes). Chunk framing is removed in place: the
 * body bytes of one feed are moved to the front of the consumed region so
 * a read holding many SSE chunks reaches the caller as one span. Other
 * headers are skipped unread. One per connection, not thread-safe.
 */
#ifndef INFBENCH_NET_H1RESP_H
#define INFBENCH_NET_H1RESP_H

#include <stddef.h>
#include <stdint.h>

#define H1_MAX_HEAD (64u << 10) /* bytes of status line + headers */
#define H1_LINE_KEEP 160        /* bytes of each header line inspected */

enum h1_ev {
	H1_MORE = 0, /* all input consumed; feed more */
	H1_HEAD,     /* final status line and headers are in */
	H1_BODY,     /* *body, *body_len: body bytes (non-empty) */
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
 * For H1_BODY, *body and *body_len give the body bytes; they lie inside
 * buf[0..*used), which may have been rewritten to join chunk payloads
 * (buf is modified; only the body span is meaningful afterwards). Call
 * again with buf + *used, n - *used until H1_MORE or H1_DONE; after
 * H1_DONE any further bytes belong to no response (the caller decides).
 * body and body_len are set only for H1_BODY. */
enum h1_ev h1_resp_feed(struct h1_resp *p, char *buf, size_t n, size_t *used,
			const char **body, size_t *body_len);

/* The peer closed the connection: H1_DONE when that completes the message
 * (a body delimited by close), else H1_ERROR (p->error: truncated head,
 * chunk or length). */
enum h1_ev h1_resp_eof(struct h1_resp *p);

/* 1 once the final status line has been parsed (H1_HEAD was returned). */
int h1_resp_has_head(const struct h1_resp *p);

#endif
