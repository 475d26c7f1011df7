/* client.h - streaming HTTP client: one epoll loop, two transports.
 *
 * Owns one epoll set, a timerfd for sub-millisecond deadlines, the
 * dispatch of per-request callbacks, and two transports behind one API:
 * infbench's own HTTP/1.1 client for plain http:// (native.c: one recv per
 * readiness event, a few hundred bytes per connection, its own keep-alive
 * pool with transparent reconnects) and libcurl's multi interface for
 * everything else (TLS, proxies, credentials in the URL). Response bytes
 * are timestamped right after the read that got them. Knows nothing of
 * SSE, JSON or statistics. One client per worker thread; not thread-safe.
 */
#ifndef INFBENCH_NET_CLIENT_H
#define INFBENCH_NET_CLIENT_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

enum http_result {
	HTTP_RES_OK = 0,           /* transfer completed (any HTTP status) */
	HTTP_RES_CONNECT_FAILED,   /* refused, unresolvable, TLS failure */
	HTTP_RES_TIMEOUT_CONNECT,  /* connect timeout */
	HTTP_RES_TIMEOUT,          /* total timeout */
	HTTP_RES_RESET,            /* closed/reset mid-response */
	HTTP_RES_ABORTED,          /* a callback asked to stop */
	HTTP_RES_OTHER,            /* anything else curl reports */
};

struct http_req;
/* First response line and headers are in: status known. */
typedef void (*http_head_cb)(struct http_req *r, long status, int64_t t_ns);
/* Body bytes (chunked encoding removed) as spans in order (a chunk each
 * on the native transport; borrowed for the call), all stamped at the
 * time of the read that got them. Return 0 to continue, non-zero to abort
 * the transfer (it then ends ABORTED). */
typedef int (*http_data_cb)(struct http_req *r, const struct iovec *spans,
			    size_t nspans, int64_t t_ns);
/* The transfer ended; r may be reused or freed from here on. */
typedef void (*http_done_cb)(struct http_req *r, enum http_result res,
			     const char *detail, int64_t t_ns);

/* A caller-owned request slot. Set the public fields, then http_start.
 * The easy handle is kept across uses of the same slot. */
struct http_req {
	const char *url;               /* borrowed until done */
	const struct curl_slist *headers; /* borrowed until done */
	const char *body;              /* borrowed until done; NULL = GET */
	size_t body_len;
	http_head_cb on_head;
	http_data_cb on_data;
	http_done_cb on_done;
	void *ud;
	/* filled in */
	long status;
	int64_t t_first_byte_ns;       /* -1 until the first header byte */
	/* private */
	CURL *easy;
	struct http_client *cl;
	int active;
	int head_done;
	int native;                    /* on the native transport */
	int retried;                   /* native: resent once on a fresh
					  connection after a stale one */
	int queued;                    /* native: completion queued */
	enum http_result q_res;
	int64_t t_deadline_ns;         /* native: total timeout, -1 none */
	void *conn;                    /* native connection */
	struct http_req *q_prev, *q_next; /* native: start-order list */
	char errbuf[CURL_ERROR_SIZE];
};

enum http_transport {
	HTTP_TRANSPORT_AUTO = 0, /* native for http:// without a proxy */
	HTTP_TRANSPORT_NATIVE,   /* native whenever the URL allows */
	HTTP_TRANSPORT_CURL,     /* libcurl always */
};

struct http_client_config {
	double connect_timeout_s; /* 0 = curl default */
	double timeout_s;         /* total per request; 0 = none */
	int insecure;             /* skip TLS verification */
	long max_connections;     /* connection cache size (>= streams) */
	int verbose;              /* curl debug output to stderr */
	enum http_transport transport;
};

/* Self-check counters, per client (merge by summing / max). */
struct http_client_stats {
	uint64_t polls;             /* epoll_wait returns */
	uint64_t data_cbs;          /* write callbacks */
	int64_t stamp_delay_max_ns; /* epoll return -> timestamp, max */
	int64_t stamp_delay_sum_ns;
	int64_t timer_lag_max_ns;   /* timerfd wake - armed deadline, max */
	int64_t timer_lag_sum_ns;
	uint64_t timer_wakes;
	uint64_t native_starts;     /* transfers per transport */
	uint64_t curl_starts;
	uint64_t native_connects;   /* connections opened (native) */
	uint64_t native_retries;    /* resent after a stale keep-alive */
};

/* Returns a client or NULL with *err set (caller frees *err). */
struct http_client *http_client_new(const struct http_client_config *cfg,
				    char **err);
/* Aborts active transfers without callbacks. NULL-safe. */
void http_client_free(struct http_client *cl);
/* Watch an extra fd (e.g. an eventfd for shutdown): http_client_poll
 * returns when it becomes readable. It is not read. */
int http_client_watch_fd(struct http_client *cl, int fd);
/* Start a transfer. 0 or a negative errno. t_send is the caller's. */
int http_start(struct http_client *cl, struct http_req *r);
/* Stop an active transfer now; no on_done is called. */
void http_abort(struct http_client *cl, struct http_req *r);
/* Wait for I/O, curl's timers, or the absolute deadline (monotonic ns,
 * -1 = none) and dispatch callbacks. Returns 1 if a watched fd fired,
 * 0 otherwise, negative errno on failure. */
int http_client_poll(struct http_client *cl, int64_t deadline_ns);
size_t http_client_active(const struct http_client *cl);
const struct http_client_stats *http_client_stats(const struct http_client *cl);
/* Release a slot's easy handle (slot not active). */
void http_req_free(struct http_req *r);

/* Blocking GET/POST for control requests (model discovery, health): body
 * into out (capped), status into *status. 0 or a negative errno with a
 * message in *err (caller frees). */
struct buf;
int http_fetch(const char *url, const struct curl_slist *headers,
	       const char *post_body, double timeout_s, int insecure,
	       struct buf *out, long *status, char **err);

/* Call once at program start (curl_global_init) and raise RLIMIT_NOFILE. */
void http_global_init(void);

#endif
