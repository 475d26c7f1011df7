/* client.h - a tiny blocking HTTP/1.1 test client for the server tests.
 *
 * One struct tcli per connection; reads one response at a time (Content-
 * Length or chunked), de-chunks the body, timestamps each SSE event ("\n\n")
 * as it arrives and keeps pipelined leftovers. Test-only, not thread-safe.
 */
#ifndef INFBENCH_TESTS_SERVER_CLIENT_H
#define INFBENCH_TESTS_SERVER_CLIENT_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"

#define TCLI_MAX_EV 4096

struct tcli {
	int fd;
	char *in;
	size_t len, cap;
	int eof;
};

struct tresp {
	int status;
	char head[4096];
	struct buf body;
	int complete;   /* whole response seen (length or zero chunk) */
	int eof;        /* connection closed before/after */
	int timeout;
	int n_ev;
	int64_t ev_ns[TCLI_MAX_EV]; /* arrival time of each "\n\n" event */
	size_t ev_scan;
};

static int tcli_open(struct tcli *c, int port)
{
	struct sockaddr_in a = {0};
	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&a, sizeof(a))) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->cap = 1 << 16;
	c->in = malloc(c->cap);
	return 0;
}

static void tcli_close(struct tcli *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->in);
	c->in = NULL;
}

static int tcli_send(struct tcli *c, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read more bytes; 0 data, -1 EOF, -2 timeout. */
static int tcli_fill(struct tcli *c, int64_t deadline_ns)
{
	if (c->eof)
		return -1;
	int64_t left = deadline_ns - clock_now_ns();
	if (left <= 0)
		return -2;
	struct pollfd p = {c->fd, POLLIN, 0};
	int rc = poll(&p, 1, (int)(left / NS_PER_MS) + 1);
	if (rc == 0)
		return -2;
	if (c->len + 65536 > c->cap) {
		c->cap *= 2;
		c->in = realloc(c->in, c->cap);
	}
	ssize_t n = recv(c->fd, c->in + c->len, c->cap - c->len, 0);
	if (n <= 0) {
		c->eof = 1;
		return -1;
	}
	c->len += (size_t)n;
	return 0;
}

static void tresp_events(struct tresp *r)
{
	int64_t now = clock_now_ns();
	while (r->body.len >= 2 && r->ev_scan + 2 <= r->body.len) {
		char *p = memmem(r->body.data + r->ev_scan,
				 r->body.len - r->ev_scan, "\n\n", 2);
		if (!p)
			break;
		if (r->n_ev < TCLI_MAX_EV)
			r->ev_ns[r->n_ev] = now;
		r->n_ev++;
		r->ev_scan = (size_t)(p - r->body.data) + 2;
	}
}

/* Read one response within timeout_ms. Returns 0 when complete. */
static int tcli_read(struct tcli *c, struct tresp *r, int timeout_ms)
{
	int64_t dl = clock_now_ns() + (int64_t)timeout_ms * NS_PER_MS;
	char *he;
	memset(r, 0, sizeof(*r));
	buf_init(&r->body, 0);
	while (!(he = memmem(c->in, c->len, "\r\n\r\n", 4))) {
		int rc = tcli_fill(c, dl);
		if (rc) {
			r->eof = rc == -1;
			r->timeout = rc == -2;
			return -1;
		}
	}
	size_t hl = (size_t)(he - c->in) + 4;
	snprintf(r->head, sizeof(r->head), "%.*s", (int)hl, c->in);
	r->status = atoi(r->head + 9);
	if (r->status == 100) { /* interim: drop it and read the real one */
		memmove(c->in, c->in + hl, c->len - hl);
		c->len -= hl;
		return tcli_read(c, r, timeout_ms);
	}
	const char *cl = strcasestr(r->head, "\r\ncontent-length:");
	int chunked = strcasestr(r->head, "transfer-encoding: chunked") != NULL;
	size_t pos = hl;
	if (!chunked) {
		size_t n = cl ? strtoul(cl + 17, NULL, 10) : 0;
		while (c->len < hl + n) {
			int rc = tcli_fill(c, dl);
			if (rc) {
				r->eof = rc == -1;
				r->timeout = rc == -2;
				return -1;
			}
		}
		buf_append(&r->body, c->in + hl, n);
		pos = hl + n;
		r->complete = 1;
	} else {
		for (;;) {
			char *le = memmem(c->in + pos, c->len - pos, "\r\n", 2);
			size_t sz = 0, need = 0;
			if (le) {
				sz = strtoul(c->in + pos, NULL, 16);
				need = (size_t)(le - c->in) + 2 + sz + 2;
			}
			if (!le || c->len < need) {
				int rc = tcli_fill(c, dl);
				if (rc) {
					r->eof = rc == -1;
					r->timeout = rc == -2;
					break;
				}
				continue;
			}
			buf_append(&r->body, le + 2, sz);
			tresp_events(r);
			pos = need;
			if (sz == 0) {
				r->complete = 1;
				break;
			}
		}
	}
	memmove(c->in, c->in + pos, c->len - pos);
	c->len -= pos;
	if (r->complete && strcasestr(r->head, "connection: close")) {
		/* The server closes next: wait for EOF briefly. */
		while (tcli_fill(c, clock_now_ns() + 500 * NS_PER_MS) == 0)
			;
		r->eof = c->eof;
	}
	return r->complete ? 0 : -1;
}

static void tresp_free(struct tresp *r)
{
	buf_free(&r->body);
}

/* "POST path" with a JSON body, keep-alive. */
static int tcli_post(struct tcli *c, const char *path, const char *json)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "POST %s HTTP/1.1\r\nHost: t\r\nContent-Type: "
			 "application/json\r\nContent-Length: %zu\r\n\r\n",
			 path, strlen(json));
	if (tcli_send(c, head, (size_t)n))
		return -1;
	return tcli_send(c, json, strlen(json));
}

static int tcli_get(struct tcli *c, const char *path)
{
	char head[256];
	int n = snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n",
			 path);
	return tcli_send(c, head, (size_t)n);
}

/* The i-th SSE event of body (0-based) as a new string, or NULL. */
static char *tresp_event(const struct tresp *r, int i)
{
	const char *s = r->body.data, *e = s + r->body.len;
	if (!s)
		return NULL;
	for (int k = 0; k <= i; k++) {
		const char *p = memmem(s, (size_t)(e - s), "\n\n", 2);
		if (!p)
			return NULL;
		if (k == i) {
			char *out = malloc((size_t)(p - s) + 1);
			memcpy(out, s, (size_t)(p - s));
			out[p - s] = '\0';
			return out;
		}
		s = p + 2;
	}
	return NULL;
}

#endif
