/* httpd.c - HTTP/1.1 connections on the event loop. */
#include "server/httpd.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/msg.h"
#include "core/xmalloc.h"

#define HTTPD_ACCEPT_BATCH 256  /* accepts per readiness event */
#define HTTPD_READS_PER_EVENT 16 /* reads per readiness event (fairness) */
#define HTTPD_EMFILE_PAUSE_NS (100 * NS_PER_MS)

struct httpd_conn {
	struct loop_io io; /* first: the loop hands us &io */
	struct httpd *h;
	struct http1_parser p;
	struct buf out;     /* queued bytes, out_off already sent */
	size_t out_off;
	struct buf pending; /* bytes read while a response was open */
	void *resp_ud;
	unsigned n_resp;    /* responses started on this connection */
	unsigned busy : 1;  /* a request is being answered */
	unsigned streaming : 1;
	unsigned raw_stream : 1;  /* HTTP/1.0: no chunked framing */
	unsigned head_only : 1;   /* HEAD request */
	unsigned want_close : 1;  /* close after this response */
	unsigned close_when_drained : 1;
	unsigned closing : 1;
	unsigned notify : 1;      /* call on_abort when closing */
	unsigned in_dirty : 1;
	unsigned resume : 1;      /* re-parse pending input at the hook */
	unsigned read_paused : 1;
	unsigned sent_continue : 1;
	unsigned keep_alive_10 : 1; /* HTTP/1.0 client asked for keep-alive */
	struct httpd_conn *dirty_next, *close_next;
	struct httpd_conn *prev, *next; /* all connections */
};

struct httpd {
	struct loop *loop;
	struct loop_io lio; /* listener */
	struct loop_timer emfile_timer;
	struct httpd_config cfg;
	char *server_hdr; /* "server: X\r\n" or "" */
	struct httpd_ops ops;
	void *ud;
	int port;
	struct httpd_conn *conns;
	struct httpd_conn *dirty, *closed;
	char scratch[HTTPD_READ_BYTES];
	time_t date_s;
	char date[64]; /* "date: ...\r\n" */
	struct httpd_stats st;
};

const char *httpd_status_text(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

static void mark_dirty(struct httpd_conn *c)
{
	if (c->in_dirty)
		return;
	c->in_dirty = 1;
	c->dirty_next = c->h->dirty;
	c->h->dirty = c;
}

/* Deferred close: the fd and memory go at the hook. */
static void conn_close(struct httpd_conn *c, int notify)
{
	if (c->closing)
		return;
	c->closing = 1;
	c->notify = notify && c->busy;
	loop_io_del(c->h->loop, &c->io);
	c->close_next = c->h->closed;
	c->h->closed = c;
}

static void out_append(struct httpd_conn *c, const void *p, size_t n)
{
	if (c->closing)
		return;
	if (c->out_off && c->out_off == c->out.len) {
		buf_reset(&c->out);
		c->out_off = 0;
	}
	if (buf_append(&c->out, p, n)) {
		if (c->out_off) { /* compact and retry once */
			memmove(c->out.data, c->out.data + c->out_off,
				c->out.len - c->out_off);
			c->out.len -= c->out_off;
			c->out_off = 0;
			if (!buf_append(&c->out, p, n))
				goto ok;
		}
		c->h->st.out_overflows++;
		conn_close(c, 1);
		return;
	}
ok:
	mark_dirty(c);
}

static const char *date_header(struct httpd *h)
{
	time_t now = time(NULL);
	if (now != h->date_s) {
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(h->date, sizeof(h->date),
			 "date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
		h->date_s = now;
	}
	return h->date;
}

static void write_head(struct httpd_conn *c, int status, const char *ctype,
		       const char *extra, const char *framing)
{
	char line[512];
	struct httpd *h = c->h;
	int n = snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n%s%s", status,
			 httpd_status_text(status), date_header(h),
			 h->server_hdr);
	out_append(c, line, (size_t)n);
	if (ctype) {
		n = snprintf(line, sizeof(line), "content-type: %s\r\n", ctype);
		out_append(c, line, (size_t)n);
	}
	if (extra)
		out_append(c, extra, strlen(extra));
	out_append(c, framing, strlen(framing));
	if (c->want_close)
		out_append(c, "connection: close\r\n", 19);
	else if (c->keep_alive_10)
		out_append(c, "connection: keep-alive\r\n", 24);
	out_append(c, "\r\n", 2);
}

/* The response is over: count it, maybe close, else resume parsing. */
static void response_done(struct httpd_conn *c)
{
	c->busy = 0;
	c->streaming = 0;
	c->resp_ud = NULL;
	c->h->st.responses++;
	if (c->want_close) {
		c->close_when_drained = 1;
		mark_dirty(c);
		return;
	}
	c->resume = 1;
	mark_dirty(c);
}

void httpd_conn_hold(struct httpd_conn *c, void *resp_ud)
{
	ASSERT(c->busy);
	c->resp_ud = resp_ud;
}

void httpd_respond(struct httpd_conn *c, int status, const char *ctype,
		   const char *extra, const void *body, size_t len)
{
	ASSERT(c->busy && !c->streaming);
	char cl[64];
	snprintf(cl, sizeof(cl), "content-length: %zu\r\n", len);
	write_head(c, status, ctype, extra, cl);
	if (!c->head_only)
		out_append(c, body, len);
	response_done(c);
}

void httpd_stream_begin(struct httpd_conn *c, int status, const char *ctype,
			const char *extra)
{
	ASSERT(c->busy && !c->streaming);
	c->streaming = 1;
	if (c->raw_stream) {
		c->want_close = 1;
		write_head(c, status, ctype, extra, "");
	} else {
		write_head(c, status, ctype, extra,
			   "transfer-encoding: chunked\r\n");
	}
}

int httpd_stream_write(struct httpd_conn *c, const void *data, size_t len)
{
	ASSERT(c->streaming);
	if (c->closing)
		return -EPIPE;
	if (!len || c->head_only)
		return 0;
	if (c->raw_stream) {
		out_append(c, data, len);
	} else {
		char hex[24];
		int n = snprintf(hex, sizeof(hex), "%zx\r\n", len);
		out_append(c, hex, (size_t)n);
		out_append(c, data, len);
		out_append(c, "\r\n", 2);
	}
	return c->closing ? -EPIPE : 0;
}

void httpd_stream_end(struct httpd_conn *c)
{
	ASSERT(c->streaming);
	if (!c->raw_stream && !c->head_only)
		out_append(c, "0\r\n\r\n", 5);
	response_done(c);
}

void httpd_conn_abort(struct httpd_conn *c)
{
	c->busy = 0;
	c->streaming = 0;
	c->resp_ud = NULL;
	c->want_close = 1;
	c->close_when_drained = 1;
	mark_dirty(c);
}

static int conn_flush(struct httpd_conn *c);

void httpd_conn_flush(struct httpd_conn *c)
{
	if (!c->closing && c->out_off < c->out.len)
		conn_flush(c);
}

size_t httpd_conn_out_bytes(const struct httpd_conn *c)
{
	return c->out.len - c->out_off;
}

int httpd_conn_closing(const struct httpd_conn *c)
{
	return c->closing;
}

const char *httpd_conn_header(const struct httpd_conn *c, const char *name)
{
	return http1_header(&c->p, name);
}

/* ---- input ---- */

static void bad_request(struct httpd_conn *c, enum http1_rc rc)
{
	int status = rc == HTTP1_TOO_LARGE     ? 413
		     : rc == HTTP1_UNSUPPORTED ? 501
					       : 400;
	static const char body[] = "{\"detail\":\"invalid HTTP request\"}";
	c->h->st.bad_requests++;
	c->busy = 1;
	c->want_close = 1;
	httpd_respond(c, status, "application/json", NULL, body,
		      sizeof(body) - 1);
}

/* Parse data (from the scratch buffer) and dispatch complete requests;
 * bytes that arrive while a response is open go to c->pending. */
static void process_input(struct httpd_conn *c, const char *data, size_t len)
{
	struct httpd *h = c->h;
	while (len > 0 && !c->closing && !c->close_when_drained) {
		if (c->busy) {
			if (buf_append(&c->pending, data, len)) {
				/* Cannot happen: reads are sized to fit. */
				conn_close(c, 1);
			}
			return;
		}
		size_t used;
		enum http1_rc rc = http1_feed(&c->p, data, len, &used);
		data += used;
		len -= used;
		if (rc == HTTP1_MORE) {
			if (http1_in_body(&c->p) && c->p.req.expect_continue &&
			    !c->sent_continue) {
				c->sent_continue = 1;
				out_append(c, "HTTP/1.1 100 Continue\r\n\r\n",
					   25);
			}
			continue;
		}
		if (rc != HTTP1_DONE) {
			bad_request(c, rc);
			return;
		}
		const struct http1_req *r = &c->p.req;
		h->st.requests++;
		c->busy = 1;
		c->n_resp++;
		c->sent_continue = 0;
		c->head_only = r->method == HTTP1_HEAD;
		c->raw_stream = r->minor == 0;
		c->keep_alive_10 = r->minor == 0 && r->keep_alive;
		c->want_close = !r->keep_alive ||
				(h->cfg.close_after &&
				 c->n_resp >= h->cfg.close_after) ||
				loop_stopping(h->loop);
		h->ops.on_request(h->ud, c, r);
		http1_reset(&c->p);
	}
}

static void conn_read(struct httpd_conn *c)
{
	struct httpd *h = c->h;
	for (int i = 0; i < HTTPD_READS_PER_EVENT && !c->closing; i++) {
		size_t room = sizeof(h->scratch);
		if (c->busy || c->close_when_drained) {
			size_t have = c->pending.len;
			room = have < HTTPD_READ_BYTES ? HTTPD_READ_BYTES - have
						       : 0;
			if (!room || c->close_when_drained) {
				/* Stop reading; EPOLLRDHUP still tells us
				 * when the peer goes away. */
				c->read_paused = 1;
				loop_io_mod(h->loop, &c->io,
					    (c->io.events & ~EPOLLIN));
				return;
			}
		}
		ssize_t n = recv(c->io.fd, h->scratch, room, 0);
		if (n > 0) {
			process_input(c, h->scratch, (size_t)n);
			continue;
		}
		if (n == 0) {
			conn_close(c, 1);
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			conn_close(c, 1);
		return;
	}
}

/* Write what is queued. Returns 0, or -1 when the conn was closed. */
static int conn_flush(struct httpd_conn *c)
{
	struct httpd *h = c->h;
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->io.fd, c->out.data + c->out_off,
				 c->out.len - c->out_off, MSG_NOSIGNAL);
		if (n > 0) {
			c->out_off += (size_t)n;
			h->st.bytes_out += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			loop_io_mod(h->loop, &c->io, c->io.events | EPOLLOUT);
			return 0;
		}
		conn_close(c, 1);
		return -1;
	}
	buf_reset(&c->out);
	c->out_off = 0;
	if (c->io.events & EPOLLOUT)
		loop_io_mod(h->loop, &c->io, c->io.events & ~EPOLLOUT);
	if (c->close_when_drained) {
		shutdown(c->io.fd, SHUT_WR);
		conn_close(c, 0);
		return -1;
	}
	return 0;
}

static void conn_io(struct loop *l, struct loop_io *io, uint32_t ev)
{
	(void)l;
	struct httpd_conn *c = (struct httpd_conn *)io;
	if (c->closing)
		return;
	if (ev & (EPOLLERR | EPOLLHUP)) {
		conn_close(c, 1);
		return;
	}
	if (ev & EPOLLOUT)
		if (conn_flush(c))
			return;
	if (ev & EPOLLIN)
		conn_read(c);
	else if ((ev & EPOLLRDHUP) && !c->closing)
		conn_close(c, 1); /* peer gone while we were not reading */
}

static void conn_free(struct httpd_conn *c)
{
	struct httpd *h = c->h;
	if (c->prev)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	close(c->io.fd);
	http1_free(&c->p);
	buf_free(&c->out);
	buf_free(&c->pending);
	h->st.open--;
	free(c);
}

/* Pre-wait hook: resume parsing, flush coalesced writes, free closed. */
static void httpd_hook(struct loop *l, void *ud)
{
	(void)l;
	struct httpd *h = ud;
	while (h->dirty) {
		struct httpd_conn *list = h->dirty;
		h->dirty = NULL;
		while (list) {
			struct httpd_conn *c = list;
			list = c->dirty_next;
			c->in_dirty = 0;
			if (c->closing)
				continue;
			if (c->resume && !c->busy) {
				c->resume = 0;
				if (c->read_paused) {
					c->read_paused = 0;
					loop_io_mod(h->loop, &c->io,
						    c->io.events | EPOLLIN);
				}
				if (c->pending.len) {
					size_t n = c->pending.len;
					memcpy(h->scratch, c->pending.data, n);
					buf_reset(&c->pending);
					process_input(c, h->scratch, n);
				}
			}
			if (!c->closing)
				conn_flush(c);
		}
	}
	while (h->closed) {
		struct httpd_conn *c = h->closed;
		h->closed = c->close_next;
		if (c->notify && c->busy) {
			h->st.aborted++;
			h->ops.on_abort(h->ud, c, c->resp_ud);
		}
		conn_free(c);
	}
}

/* ---- listener ---- */

static void listen_resume(struct loop *l, struct loop_timer *t)
{
	struct httpd *h = (struct httpd *)((char *)t -
					   offsetof(struct httpd, emfile_timer));
	loop_io_mod(l, &h->lio, EPOLLIN);
}

static void listen_io(struct loop *l, struct loop_io *io, uint32_t ev)
{
	(void)ev;
	struct httpd *h = (struct httpd *)((char *)io -
					   offsetof(struct httpd, lio));
	for (int i = 0; i < HTTPD_ACCEPT_BATCH; i++) {
		int fd = accept4(io->fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				warnf("serve: out of file descriptors; "
				      "pausing accept");
				loop_io_mod(l, io, 0);
				loop_timer_start(l, &h->emfile_timer,
						 loop_now_ns(l) +
							 HTTPD_EMFILE_PAUSE_NS);
			}
			return;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct httpd_conn *c = xcalloc(1, sizeof(*c));
		c->h = h;
		c->io.fd = fd;
		c->io.cb = conn_io;
		http1_init(&c->p);
		buf_init(&c->out, h->cfg.max_out_bytes);
		buf_init(&c->pending, HTTPD_READ_BYTES);
		if (loop_io_add(l, &c->io, EPOLLIN | EPOLLRDHUP)) {
			http1_free(&c->p);
			close(fd);
			free(c);
			continue;
		}
		c->next = h->conns;
		if (h->conns)
			h->conns->prev = c;
		h->conns = c;
		h->st.accepted++;
		h->st.open++;
	}
}

int httpd_new(struct loop *l, const struct httpd_config *cfg,
	      const struct httpd_ops *ops, void *ud, struct httpd **out,
	      char **err)
{
	struct httpd *h = xcalloc(1, sizeof(*h));
	struct addrinfo hints = {0}, *ai = NULL;
	char portstr[16];
	int rc = 0, fd = -1;

	h->loop = l;
	h->cfg = *cfg;
	h->cfg.host = NULL;
	if (!h->cfg.max_out_bytes)
		h->cfg.max_out_bytes = HTTPD_MAX_OUT;
	h->server_hdr = cfg->server_name
				? xasprintf("server: %s\r\n", cfg->server_name)
				: xstrdup("");
	h->ops = *ops;
	h->ud = ud;
	h->lio.fd = -1;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%d", cfg->port);
	int gai = getaddrinfo(cfg->host && *cfg->host ? cfg->host : NULL,
			      portstr, &hints, &ai);
	if (gai) {
		rc = -EINVAL;
		if (err)
			*err = xasprintf("cannot resolve '%s': %s", cfg->host,
					 gai_strerror(gai));
		goto out;
	}
	rc = -EADDRNOTAVAIL;
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		fd = socket(a->ai_family,
			    a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			rc = -errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (h->cfg.reuse_port)
			setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
				   sizeof(one));
		if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 &&
		    listen(fd, 4096) == 0) {
			rc = 0;
			break;
		}
		rc = -errno;
		close(fd);
		fd = -1;
	}
	if (rc) {
		if (err)
			*err = xasprintf("cannot listen on %s:%d: %s",
					 cfg->host ? cfg->host : "*", cfg->port,
					 strerror(-rc));
		goto out;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	h->port = ntohs(ss.ss_family == AF_INET6
				? ((struct sockaddr_in6 *)&ss)->sin6_port
				: ((struct sockaddr_in *)&ss)->sin_port);
	h->lio.fd = fd;
	h->lio.cb = listen_io;
	fd = -1;
	h->emfile_timer.cb = listen_resume;
	if ((rc = loop_io_add(l, &h->lio, EPOLLIN))) {
		if (err)
			*err = xasprintf("epoll: %s", strerror(-rc));
		goto out;
	}
	loop_add_hook(l, httpd_hook, h);
	*out = h;
	h = NULL;
out:
	if (ai)
		freeaddrinfo(ai);
	if (fd >= 0)
		close(fd);
	if (h) {
		if (h->lio.fd >= 0)
			close(h->lio.fd);
		free(h->server_hdr);
		free(h);
	}
	return rc;
}

void httpd_free(struct httpd *h)
{
	if (!h)
		return;
	/* Run pending closes first, then close the rest. */
	httpd_hook(h->loop, h);
	while (h->conns) {
		struct httpd_conn *c = h->conns;
		if (!c->closing)
			conn_close(c, 1);
		httpd_hook(h->loop, h);
	}
	loop_timer_stop(h->loop, &h->emfile_timer);
	loop_io_del(h->loop, &h->lio);
	close(h->lio.fd);
	free(h->server_hdr);
	free(h);
}

int httpd_port(const struct httpd *h)
{
	return h->port;
}

void httpd_get_stats(const struct httpd *h, struct httpd_stats *out)
{
	*out = h->st;
}
