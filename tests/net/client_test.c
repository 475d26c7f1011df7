/* client_test.c - the streaming HTTP client against a scripted loopback
 * server: chunked bodies, keep-alive reuse, the transparent resend after a
 * stale pooled connection, refused connects, timeouts, resets mid-body,
 * aborts from the reader, malformed responses, and the same body bytes
 * through the native transport and libcurl. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "net/client.h"
#include "test.h"

/* ---- the scripted server ---- */

enum script {
	SC_SSE,        /* every request: chunked SSE, keep-alive */
	SC_STALE,      /* conn 1: one reply, then close on the next request */
	SC_SILENT,     /* read the request, never answer */
	SC_RESET,      /* head and one chunk, then close */
	SC_GARBAGE,    /* a non-HTTP reply */
	SC_LONG,       /* a long chunked stream, one event per chunk */
};

struct srv {
	int lfd, port;
	enum script sc;
	pthread_t th;
	int requests;  /* requests read, all connections */
};

/* Read one request (head + Content-Length body). 1 ok, 0 EOF/error. */
static int read_request(int fd)
{
	char buf[8192];
	size_t n = 0;
	for (;;) {
		ssize_t r = recv(fd, buf + n, sizeof(buf) - 1 - n, 0);
		if (r <= 0)
			return 0;
		n += (size_t)r;
		buf[n] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		const char *cl = strcasestr(buf, "Content-Length:");
		size_t want = (size_t)(end + 4 - buf) +
			      (cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0);
		while (n < want) {
			r = recv(fd, buf + n, sizeof(buf) - 1 - n, 0);
			if (r <= 0)
				return 0;
			n += (size_t)r;
		}
		return 1;
	}
}

static void send_all(int fd, const char *s)
{
	size_t n = strlen(s);
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static const char sse_reply[] =
	"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
	"Transfer-Encoding: chunked\r\n\r\n"
	"9\r\ndata: 1\n\n\r\n"
	"9\r\ndata: 2\n\n\r\n"
	"9\r\ndata: 3\n\n\r\n"
	"0\r\n\r\n";

static void *srv_main(void *ud)
{
	struct srv *s = ud;
	int conns = 0;
	for (;;) {
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			return NULL;
		conns++;
		while (read_request(fd)) {
			__atomic_add_fetch(&s->requests, 1, __ATOMIC_SEQ_CST);
			if (s->sc == SC_SSE) {
				send_all(fd, sse_reply);
				continue;
			}
			if (s->sc == SC_STALE) {
				if (conns == 1 && s->requests >= 2)
					break; /* closed under the request */
				send_all(fd, "HTTP/1.1 200 OK\r\n"
					     "Content-Length: 2\r\n\r\nok");
				continue;
			}
			if (s->sc == SC_SILENT) {
				char b[64];
				while (recv(fd, b, sizeof(b), 0) > 0)
					;
				break;
			}
			if (s->sc == SC_RESET) {
				send_all(fd, "HTTP/1.1 200 OK\r\n"
					     "Transfer-Encoding: chunked\r\n\r\n"
					     "5\r\nhello\r\n");
				usleep(20000);
				break;
			}
			if (s->sc == SC_GARBAGE) {
				send_all(fd, "SPDY/9 what\r\n\r\n");
				usleep(20000);
				break;
			}
			if (s->sc == SC_LONG) {
				send_all(fd, "HTTP/1.1 200 OK\r\n"
					     "Transfer-Encoding: chunked\r\n\r\n");
				for (int i = 0; i < 200; i++)
					send_all(fd, "9\r\ndata: x\n\n\r\n");
				send_all(fd, "0\r\n\r\n");
			}
		}
		close(fd);
	}
}

static void srv_start(struct srv *s, enum script sc)
{
	memset(s, 0, sizeof(*s));
	s->sc = sc;
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t al = sizeof(a);
	getsockname(s->lfd, (struct sockaddr *)&a, &al);
	s->port = ntohs(a.sin_port);
	ASSERT_EQ(listen(s->lfd, 16), 0);
	pthread_create(&s->th, NULL, srv_main, s);
}

static void srv_stop(struct srv *s)
{
	shutdown(s->lfd, SHUT_RDWR);
	close(s->lfd);
	pthread_join(s->th, NULL);
}

/* ---- the client side ---- */

struct xfer {
	struct http_req r;
	struct buf body;
	int done, heads, stop_after; /* stop_after: abort at this many cbs */
	int cbs;
	enum http_result res;
	char detail[256];
	char url[64];
};

static void x_head(struct http_req *r, long st, int64_t t)
{
	(void)st;
	(void)t;
	struct xfer *x = r->ud;
	x->heads++;
}

static int x_data(struct http_req *r, const struct iovec *v, size_t nv,
		  int64_t t)
{
	(void)t;
	struct xfer *x = r->ud;
	for (size_t k = 0; k < nv; k++)
		buf_append(&x->body, v[k].iov_base, v[k].iov_len);
	return x->stop_after && ++x->cbs >= x->stop_after;
}

static void x_done(struct http_req *r, enum http_result res, const char *d,
		   int64_t t)
{
	(void)t;
	struct xfer *x = r->ud;
	x->done = 1;
	x->res = res;
	snprintf(x->detail, sizeof(x->detail), "%s", d ? d : "");
}

static void x_init(struct xfer *x, int port, const char *body)
{
	memset(x, 0, sizeof(*x));
	buf_init(&x->body, 0);
	snprintf(x->url, sizeof(x->url), "http://127.0.0.1:%d/v1/x", port);
	x->r.url = x->url;
	x->r.body = body;
	x->r.body_len = body ? strlen(body) : 0;
	x->r.on_head = x_head;
	x->r.on_data = x_data;
	x->r.on_done = x_done;
	x->r.ud = x;
}

static struct http_client *client(enum http_transport tr, double timeout_s)
{
	struct http_client_config cfg = {.connect_timeout_s = 2,
					 .timeout_s = timeout_s,
					 .max_connections = 8,
					 .transport = tr};
	char *err = NULL;
	struct http_client *cl = http_client_new(&cfg, &err);
	ASSERT_TRUE(cl != NULL);
	return cl;
}

/* Run x to its end (5 s cap). */
static void run1(struct http_client *cl, struct xfer *x)
{
	x->done = 0;
	ASSERT_EQ(http_start(cl, &x->r), 0);
	int64_t end = clock_now_ns() + 5 * NS_PER_S;
	while (!x->done && clock_now_ns() < end)
		http_client_poll(cl, clock_now_ns() + 50 * NS_PER_MS);
	ASSERT_TRUE(x->done);
}

static void test_sse_keepalive(void)
{
	struct srv s;
	srv_start(&s, SC_SSE);
	struct http_client *cl = client(HTTP_TRANSPORT_AUTO, 5);
	struct xfer x;
	x_init(&x, s.port, "{\"stream\":true}");
	for (int i = 0; i < 5; i++) {
		run1(cl, &x);
		ASSERT_EQ(x.res, HTTP_RES_OK);
		ASSERT_EQ(x.r.status, 200);
	}
	buf_append(&x.body, "", 1);
	ASSERT_EQ(x.heads, 5);
	ASSERT_EQ(x.body.len, 5 * 27 + 1);
	ASSERT_TRUE(!strncmp(x.body.data, "data: 1\n\ndata: 2\n\ndata: 3\n\n",
			     27));
	const struct http_client_stats *st = http_client_stats(cl);
	ASSERT_EQ(st->native_starts, 5);
	ASSERT_EQ(st->native_connects, 1); /* one connection, reused */
	ASSERT_EQ(http_client_active(cl), 0);
	http_client_free(cl);
	buf_free(&x.body);
	srv_stop(&s);
}

/* The same bytes through libcurl: the cross-check of the native reader. */
static void test_same_bytes_as_curl(void)
{
	struct srv s;
	srv_start(&s, SC_LONG);
	struct buf got[2];
	for (int k = 0; k < 2; k++) {
		struct http_client *cl = client(
			k ? HTTP_TRANSPORT_CURL : HTTP_TRANSPORT_NATIVE, 5);
		struct xfer x;
		x_init(&x, s.port, "{}");
		run1(cl, &x);
		ASSERT_EQ(x.res, HTTP_RES_OK);
		const struct http_client_stats *st = http_client_stats(cl);
		ASSERT_EQ(k ? st->curl_starts : st->native_starts, 1);
		got[k] = x.body;
		http_req_free(&x.r);
		http_client_free(cl);
	}
	ASSERT_EQ(got[0].len, 200 * 9);
	ASSERT_EQ(got[0].len, got[1].len);
	ASSERT_TRUE(!memcmp(got[0].data, got[1].data, got[0].len));
	buf_free(&got[0]);
	buf_free(&got[1]);
	srv_stop(&s);
}

/* The server closes a pooled connection as the next request arrives: the
 * request is resent once on a fresh connection, not failed. */
static void test_stale_resend(void)
{
	struct srv s;
	srv_start(&s, SC_STALE);
	struct http_client *cl = client(HTTP_TRANSPORT_NATIVE, 5);
	struct xfer x;
	x_init(&x, s.port, "{}");
	run1(cl, &x);
	ASSERT_EQ(x.res, HTTP_RES_OK);
	run1(cl, &x);
	ASSERT_EQ(x.res, HTTP_RES_OK);
	buf_append(&x.body, "", 1);
	ASSERT_STR_EQ(x.body.data, "okok");
	const struct http_client_stats *st = http_client_stats(cl);
	ASSERT_EQ(st->native_retries, 1);
	ASSERT_EQ(st->native_connects, 2);
	http_client_free(cl);
	buf_free(&x.body);
	srv_stop(&s);
}

/* "localhost" may resolve to ::1 first; the server listens on 127.0.0.1
 * only: the next address is tried. */
static void test_localhost_addresses(void)
{
	struct srv s;
	srv_start(&s, SC_SSE);
	struct http_client *cl = client(HTTP_TRANSPORT_NATIVE, 5);
	struct xfer x;
	x_init(&x, s.port, "{}");
	snprintf(x.url, sizeof(x.url), "http://localhost:%d/v1/x", s.port);
	run1(cl, &x);
	ASSERT_EQ(x.res, HTTP_RES_OK);
	ASSERT_EQ(x.body.len, 27);
	run1(cl, &x); /* and the address that worked is kept */
	ASSERT_EQ(x.res, HTTP_RES_OK);
	ASSERT_EQ(http_client_stats(cl)->native_connects, 1);
	http_client_free(cl);
	buf_free(&x.body);
	srv_stop(&s);
}

static void test_refused(void)
{
	struct srv s;
	srv_start(&s, SC_SSE);
	int port = s.port;
	srv_stop(&s); /* nothing listens there now */
	struct http_client *cl = client(HTTP_TRANSPORT_NATIVE, 5);
	struct xfer x;
	x_init(&x, port, "{}");
	run1(cl, &x);
	ASSERT_EQ(x.res, HTTP_RES_CONNECT_FAILED);
	ASSERT_TRUE(strstr(x.detail, "127.0.0.1") != NULL);
	ASSERT_TRUE(strstr(x.detail, "refused") != NULL);
	http_client_free(cl);
	buf_free(&x.body);
}

static void test_timeout(void)
{
	struct srv s;
	srv_start(&s, SC_SILENT);
	struct http_client *cl = client(HTTP_TRANSPORT_NATIVE, 0.2);
	struct xfer x;
	x_init(&x, s.port, "{}");
	int64_t t0 = clock_now_ns();
	run1(cl, &x);
	double el = (double)(clock_now_ns() - t0) / 1e9;
	ASSERT_EQ(x.res, HTTP_RES_TIMEOUT);
	ASSERT_TRUE(el >= 0.19 && el < 1.5);
	http_client_free(cl);
	buf_free(&x.body);
	srv_stop(&s);
}

static void test_reset_mid_body(void)
{
	struct srv s;
	srv_start(&s, SC_RESET);
	struct http_client *cl = client(HTTP_TRANSPORT_NATIVE, 5);
	struct xfer x;
	x_init(&x, s.port, "{}");
	run1(cl, &x);
	ASSERT_EQ(x.res, HTTP_RES_RESET);
	ASSERT_EQ(x.body.len, 5); /* what came before the close is kept */
	ASSERT_TRUE(strstr(x.detail, "chunked") != NULL);
	http_client_free(cl);
	buf_free(&x.body);
	srv_stop(&s);
}

static void test_abort_and_garbage(void)
{
	struct srv s;
	srv_start(&s, SC_LONG);
	struct http_client *cl = client(HTTP_TRANSPORT_NATIVE, 5);
	struct xfer x;
	x_init(&x, s.port, "{}");
	x.stop_after = 1;
	run1(cl, &x);
	ASSERT_EQ(x.res, HTTP_RES_ABORTED);
	ASSERT_EQ(http_client_active(cl), 0);
	http_client_free(cl);
	buf_free(&x.body);
	srv_stop(&s);

	srv_start(&s, SC_GARBAGE);
	cl = client(HTTP_TRANSPORT_NATIVE, 5);
	x_init(&x, s.port, "{}");
	run1(cl, &x);
	ASSERT_EQ(x.res, HTTP_RES_OTHER);
	ASSERT_TRUE(strstr(x.detail, "malformed HTTP response") != NULL);
	http_client_free(cl);
	buf_free(&x.body);
	srv_stop(&s);
}

/* Aborting a request that is still connecting or queued leaves nothing
 * behind (ASan checks the rest). */
static void test_abort_in_flight(void)
{
	struct srv s;
	srv_start(&s, SC_SILENT);
	struct http_client *cl = client(HTTP_TRANSPORT_NATIVE, 5);
	struct xfer x[3];
	for (int i = 0; i < 3; i++) {
		x_init(&x[i], s.port, "{}");
		ASSERT_EQ(http_start(cl, &x[i].r), 0);
	}
	ASSERT_EQ(http_client_active(cl), 3);
	http_client_poll(cl, clock_now_ns() + 20 * NS_PER_MS);
	for (int i = 0; i < 3; i++)
		http_abort(cl, &x[i].r);
	ASSERT_EQ(http_client_active(cl), 0);
	http_client_poll(cl, clock_now_ns() + 10 * NS_PER_MS);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(x[i].done, 0); /* no callback after an abort */
		buf_free(&x[i].body);
	}
	http_client_free(cl);
	srv_stop(&s);
}

int main(void)
{
	http_global_init();
	TEST_RUN(test_sse_keepalive);
	TEST_RUN(test_same_bytes_as_curl);
	TEST_RUN(test_stale_resend);
	TEST_RUN(test_localhost_addresses);
	TEST_RUN(test_refused);
	TEST_RUN(test_timeout);
	TEST_RUN(test_reset_mid_body);
	TEST_RUN(test_abort_and_garbage);
	TEST_RUN(test_abort_in_flight);
	return TEST_DONE();
}
