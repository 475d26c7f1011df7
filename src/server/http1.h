/* http1.h - incremental HTTP/1.x request parser (push, no I/O).
 *
 * Owns the bytes of one request at a time: the head (request line and
 * headers) and the body (Content-Length or chunked), each under a named cap.
 * Accepts any split of the input; knows nothing of sockets or responses.
 * One parser per connection, not thread-safe.
 */
#ifndef INFBENCH_SERVER_HTTP1_H
#define INFBENCH_SERVER_HTTP1_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define HTTP1_MAX_HEAD (16 * 1024)        /* request line + headers, bytes */
#define HTTP1_MAX_BODY (8 * 1024 * 1024) /* request body, bytes */

enum http1_rc {
	HTTP1_MORE = 0,     /* need more bytes */
	HTTP1_DONE,         /* one request complete (see http1_parser.req) */
	HTTP1_BAD,          /* malformed: answer 400 and close */
	HTTP1_TOO_LARGE,    /* body over the cap: answer 413 and close */
	HTTP1_HEAD_TOO_LARGE, /* head over the cap: answer 400 and close */
	HTTP1_UNSUPPORTED,  /* transfer-encoding other than chunked: 501 */
};

enum http1_method {
	HTTP1_OTHER = 0,
	HTTP1_GET,
	HTTP1_HEAD,
	HTTP1_POST,
};

/* A parsed request; its strings live in the parser and stay valid until
 * the next http1_feed or http1_reset. */
struct http1_req {
	enum http1_method method;
	const char *method_str;
	const char *target; /* as sent, e.g. "/v1/completions?x=1" */
	size_t path_len;    /* length of target before any '?' */
	int minor;          /* HTTP/1.<minor> */
	int keep_alive;     /* after this request (version + Connection) */
	int expect_continue; /* "Expect: 100-continue" was sent */
	int chunked;         /* body came chunked */
	int64_t content_length; /* -1 when absent */
	const char *body;   /* NUL-terminated copy, body_len bytes */
	size_t body_len;
};

struct http1_parser {
	int state;
	struct buf head; /* capped at HTTP1_MAX_HEAD */
	struct buf body; /* capped at HTTP1_MAX_BODY */
	size_t scan;     /* head bytes already searched for the blank line */
	size_t hdr_off;  /* parsed head: where the header list starts */
	int64_t remain;  /* body or chunk bytes still expected */
	int chunk_ext;   /* inside a chunk-size line's extension */
	int64_t chunk_sz;
	int nline;       /* length of the current trailer/size line */
	struct http1_req req;
};

/* Initialise p (no allocation until bytes arrive); free with http1_free. */
void http1_init(struct http1_parser *p);
/* Release the parser's buffers. NULL-safe. */
void http1_free(struct http1_parser *p);
/* Forget the current request and start on the next; keeps the buffers. */
void http1_reset(struct http1_parser *p);
/* Feed len bytes; *used says how many were consumed (all of them unless a
 * request completed or an error occurred; the rest belong to the next
 * request). After HTTP1_DONE the request is in p->req; call http1_reset
 * before feeding more. Errors are sticky until http1_reset. */
enum http1_rc http1_feed(struct http1_parser *p, const char *data, size_t len,
			 size_t *used);
/* Head complete and a body still to come (for "100 Continue")? */
int http1_in_body(const struct http1_parser *p);
/* Case-insensitive lookup of a header in the parsed head; NULL if absent.
 * Valid only after the head completed. The value has OWS trimmed. */
const char *http1_header(const struct http1_parser *p, const char *name);
/* s[0..n) is a token (RFC 9110: a method or a header name): non-empty,
 * letters, digits and !#$%&'*+-.^_`|~ only. */
int http1_is_token(const char *s, size_t n);

#endif
