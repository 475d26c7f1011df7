/* httpd.h - HTTP/1.1 server connections on one event loop.
 *
 * Owns the listening socket and every accepted connection: non-blocking
 * reads fed to the http1 parser, one request at a time per connection
 * (pipelined bytes wait), complete or chunked-streamed responses, per-loop
 * write coalescing with a capped output buffer, keep-alive, --close-after,
 * and deferred close. Knows nothing of JSON or LLM APIs. Single-threaded:
 * every function runs on the loop's thread.
 */
#ifndef INFBENCH_SERVER_HTTPD_H
#define INFBENCH_SERVER_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include "server/http1.h"
#include "server/loop.h"

#define HTTPD_MAX_OUT (16 * 1024 * 1024) /* default output cap per conn */
#define HTTPD_READ_BYTES (64 * 1024)     /* one read; also pending cap */

struct httpd;
struct httpd_conn;

struct httpd_config {
	const char *host;     /* "127.0.0.1", "0.0.0.0", "::", "localhost" */
	int port;             /* 0 = ephemeral */
	unsigned close_after; /* close a connection after N responses; 0 = never */
	int reuse_port;       /* SO_REUSEPORT: several servers share a port */
	size_t max_out_bytes; /* output buffer cap per connection; 0 = default */
	const char *server_name; /* "server:" header value; NULL = none */
};

struct httpd_ops {
	/* A complete request arrived; r is valid only during the call. The
	 * handler answers exactly once, now or later: httpd_respond, or
	 * httpd_stream_begin ... httpd_stream_end, or httpd_conn_abort. If it
	 * answers later it must first call httpd_conn_hold. */
	void (*on_request)(void *ud, struct httpd_conn *c,
			   const struct http1_req *r);
	/* c is closing while its response is still open (peer gone, output
	 * overflow, write error, server shutdown). resp_ud is what the handler
	 * passed to httpd_conn_hold. The handler must drop every reference to
	 * c. Never called for closes the handler asked for (httpd_conn_abort),
	 * and always from the loop's pre-wait hook or httpd_free, never from
	 * inside another httpd call. */
	void (*on_abort)(void *ud, struct httpd_conn *c, void *resp_ud);
};

struct httpd_stats {
	uint64_t accepted;      /* connections accepted */
	uint64_t open;          /* connections open now */
	uint64_t requests;      /* complete requests parsed */
	uint64_t responses;     /* responses completed */
	uint64_t aborted;       /* open responses lost to a close */
	uint64_t bad_requests;  /* 400/413/501 parse errors */
	uint64_t out_overflows; /* connections closed at the output cap */
	uint64_t bytes_out;     /* bytes written to sockets */
};

/* Listen on cfg->host:cfg->port and register with l. On success *out is
 * freed with httpd_free. On failure returns -errno and, when err is not
 * NULL, *err gets a message the caller frees. */
int httpd_new(struct loop *l, const struct httpd_config *cfg,
	      const struct httpd_ops *ops, void *ud, struct httpd **out,
	      char **err);
/* Close every connection (calling on_abort for open responses) and the
 * listener. Call from the loop's thread with the loop not running. */
void httpd_free(struct httpd *h);
/* The port actually bound. */
int httpd_port(const struct httpd *h);
void httpd_get_stats(const struct httpd *h, struct httpd_stats *out);

/* Mark c's response as pending (answered later from a timer); resp_ud is
 * handed back in on_abort. */
void httpd_conn_hold(struct httpd_conn *c, void *resp_ud);
/* Complete response with Content-Length. extra_headers is NULL or lines
 * each ending in "\r\n". content_type NULL = no body type. */
void httpd_respond(struct httpd_conn *c, int status, const char *content_type,
		   const char *extra_headers, const void *body, size_t len);
/* Start a streamed response (Transfer-Encoding: chunked on HTTP/1.1; raw
 * bytes then close on HTTP/1.0). The response stays open. */
void httpd_stream_begin(struct httpd_conn *c, int status,
			const char *content_type, const char *extra_headers);
/* Queue one chunk (empty writes are ignored). 0, or -EPIPE when c is
 * closing (the bytes are dropped; on_abort will follow unless the handler
 * ends or aborts the response itself). */
int httpd_stream_write(struct httpd_conn *c, const void *data, size_t len);
/* Finish the streamed response with the terminating zero chunk. */
void httpd_stream_end(struct httpd_conn *c);
/* Write what is queued on c now (one send) instead of at the end of the
 * loop iteration, so that with TCP_NODELAY each call is its own segment.
 * A write error closes c like a lost peer (on_abort follows unless the
 * response ends first). No-op when c is closing. */
void httpd_conn_flush(struct httpd_conn *c);
/* Flush what is queued, then close without finishing the response (a
 * dropped connection). The handler must not touch c afterwards. */
void httpd_conn_abort(struct httpd_conn *c);
/* Bytes queued on c and not yet accepted by the socket. */
size_t httpd_conn_out_bytes(const struct httpd_conn *c);
/* Is c already closing (peer gone, overflow)? */
int httpd_conn_closing(const struct httpd_conn *c);
/* A header of the request being handled (case-insensitive name; value
 * with blanks trimmed), NULL if absent. Valid inside on_request only. */
const char *httpd_conn_header(const struct httpd_conn *c, const char *name);

/* Status line text ("OK", "Too Many Requests"...). */
const char *httpd_status_text(int status);

#endif
