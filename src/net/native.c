/* native.c - infbench's own HTTP/1.1 transport for plain http://.
 *
 * Owns the connections of one client: non-blocking connect, the request
 * write, one recv per readiness event into a buffer shared by all
 * connections of the client (bytes are timestamped right after it), the
 * response framing (h1resp.c), a keep-alive pool per origin with one
 * transparent resend when a pooled connection turns out closed, and the
 * connect and total timeouts (start-order lists: both are constant per
 * client, so the earliest deadline is always at the head). A connection
 * costs its struct (a few hundred bytes) and a socket; nothing else is
 * kept per stream. Used by client.c only; not thread-safe.
 */
#include <errno.h>
#include <stdarg.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/xmalloc.h"
#include "net/client_int.h"
#include "net/h1resp.h"

#define NAT_RBUF (1u << 20)      /* one recv's worth, shared per client */
#define NAT_SPANS 256            /* body spans (chunks) per on_data call */
#define NAT_MAX_TARGETS 16       /* distinct URLs per client */
#define NAT_MAX_ADDRS 4          /* resolved addresses tried per origin */
#define NAT_HEAD_MAX (64u << 10) /* bytes of one request head */
#define NAT_CONNECT_DEFAULT_S 300.0 /* as curl's default */

enum { C_CONNECTING = 1, C_SENDING, C_READING, C_IDLE, C_DEAD };

struct nat_target {
	char *url;       /* the key: the exact URL string */
	char *path;      /* path and query */
	char *host_hdr;  /* Host header value */
	char *origin;    /* host:port, for messages */
	struct sockaddr_storage addr[NAT_MAX_ADDRS];
	socklen_t alen[NAT_MAX_ADDRS];
	int naddr;
	int good;        /* address that connected last */
	int pool;        /* index of the target whose pool is shared */
};

struct nat_conn {
	int fd;
	int state;
	int pool;
	int addr_i;            /* address being tried */
	int addr_k;            /* how many addresses were tried before it */
	int reused;            /* carried a whole response before */
	uint32_t evmask;       /* registered epoll events, 0 = none */
	struct http_req *req;
	struct nat_conn *prev, *next;   /* idle pool or graveyard */
	struct nat_conn *cprev, *cnext; /* connecting list */
	int64_t t_connect_ns;  /* connect deadline */
	char *pend;            /* request bytes not yet written (owned) */
	size_t pend_len, pend_off;
	uint64_t rx;           /* response bytes received */
	struct h1_resp p;
};

struct native {
	struct nat_target tg[NAT_MAX_TARGETS];
	int ntg;
	const char *last_url;    /* fast path: same pointer as last time */
	int last_tg;
	struct nat_conn *idle[NAT_MAX_TARGETS]; /* per pool, LIFO */
	size_t nidle;
	struct nat_conn *conn_head, *conn_tail; /* connecting, FIFO */
	struct http_req *req_head, *req_tail;   /* active, start order */
	struct http_req *dq_head, *dq_tail;     /* ended inside http_start,
						   to be reported */
	struct nat_conn *grave;  /* closed during a wake-up, freed after */
	int in_poll;
	int64_t connect_ns, total_ns; /* timeouts, 0 = none */
	char *rbuf;
	struct iovec spans[NAT_SPANS]; /* one read's body, into rbuf */
	struct buf head;         /* request head scratch */
};

static int proxy_configured(void)
{
	static const char *const vars[] = {"http_proxy", "HTTP_PROXY",
					   "all_proxy", "ALL_PROXY"};
	for (size_t i = 0; i < sizeof(vars) / sizeof(*vars); i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return 1;
	}
	return 0;
}

static struct native *nat_get(struct http_client *cl)
{
	if (cl->nat)
		return cl->nat;
	struct native *n = xcalloc(1, sizeof(*n));
	n->last_tg = -1;
	double ct = cl->cfg.connect_timeout_s > 0 ? cl->cfg.connect_timeout_s
						  : NAT_CONNECT_DEFAULT_S;
	n->connect_ns = (int64_t)(ct * 1e9);
	n->total_ns = cl->cfg.timeout_s > 0 ? (int64_t)(cl->cfg.timeout_s * 1e9)
					    : 0;
	n->rbuf = xmalloc(NAT_RBUF);
	buf_init(&n->head, NAT_HEAD_MAX);
	cl->nat = n;
	return n;
}

/* Parse and resolve url into a new target. 1: created; 0: not for the
 * native transport (scheme, credentials); -1: an error in errbuf. */
static int target_add(struct native *n, const char *url, char *errbuf,
		      size_t errlen)
{
	int rc = -1;
	char *scheme = NULL, *user = NULL, *host = NULL, *port = NULL;
	char *path = NULL, *query = NULL;
	struct addrinfo *ai = NULL;
	CURLU *u = curl_url();
	if (!u || curl_url_set(u, CURLUPART_URL, url, 0)) {
		snprintf(errbuf, errlen, "malformed URL '%s'", url);
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_USER, &user, 0);
	if (!scheme || strcasecmp(scheme, "http") || user) {
		rc = 0;
		goto out;
	}
	if (n->ntg == NAT_MAX_TARGETS) {
		rc = 0; /* unusual: leave the rest to curl */
		goto out;
	}
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	if (!host || !port) {
		snprintf(errbuf, errlen, "malformed URL '%s'", url);
		goto out;
	}
	/* getaddrinfo wants the IPv6 literal without brackets. */
	char name[256];
	size_t hl = strlen(host);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		snprintf(name, sizeof(name), "%.*s", (int)(hl - 2), host + 1);
	} else {
		snprintf(name, sizeof(name), "%s", host);
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM};
	int g = getaddrinfo(name, port, &hints, &ai);
	if (g) {
		snprintf(errbuf, errlen, "could not resolve host '%.200s': %s",
			 name, gai_strerror(g));
		goto out;
	}
	struct nat_target *t = &n->tg[n->ntg];
	memset(t, 0, sizeof(*t));
	for (struct addrinfo *a = ai; a && t->naddr < NAT_MAX_ADDRS;
	     a = a->ai_next) {
		if (a->ai_addrlen > sizeof(t->addr[0]))
			continue;
		memcpy(&t->addr[t->naddr], a->ai_addr, a->ai_addrlen);
		t->alen[t->naddr++] = a->ai_addrlen;
	}
	if (!t->naddr) {
		snprintf(errbuf, errlen, "no usable address for '%.200s'", name);
		goto out;
	}
	t->url = xstrdup(url);
	t->path = query ? xasprintf("%s?%s", path ? path : "/", query)
			: xstrdup(path && *path ? path : "/");
	int defport = !strcmp(port, "80");
	t->host_hdr = defport ? xstrdup(host) : xasprintf("%s:%s", host, port);
	t->origin = xasprintf("%s:%s", host, port);
	t->pool = n->ntg;
	for (int i = 0; i < n->ntg; i++)
		if (!strcmp(n->tg[i].origin, t->origin)) {
			t->pool = n->tg[i].pool;
			break;
		}
	n->ntg++;
	rc = 1;
out:
	if (ai)
		freeaddrinfo(ai);
	curl_free(scheme);
	curl_free(user);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	curl_url_cleanup(u);
	return rc;
}

/* Index of url's target, -2 when it is not for us, -1 on an error
 * (errbuf). */
static int target_find(struct native *n, const char *url, char *errbuf,
		       size_t errlen)
{
	if (url == n->last_url && n->last_tg >= 0)
		return n->last_tg;
	for (int i = 0; i < n->ntg; i++)
		if (!strcmp(n->tg[i].url, url)) {
			n->last_url = url;
			n->last_tg = i;
			return i;
		}
	int rc = target_add(n, url, errbuf, errlen);
	if (rc <= 0)
		return rc == 0 ? -2 : -1;
	n->last_url = url;
	n->last_tg = n->ntg - 1;
	return n->ntg - 1;
}

int native_wants(struct http_client *cl, const struct http_req *r)
{
	if (cl->cfg.transport == HTTP_TRANSPORT_CURL)
		return 0;
	if (strncasecmp(r->url, "http://", 7))
		return 0;
	if (cl->proxy_env < 0) /* the environment, read once per client */
		cl->proxy_env = proxy_configured();
	if (cl->cfg.transport == HTTP_TRANSPORT_AUTO && cl->proxy_env)
		return 0;
	if (cl->cfg.verbose)
		return 0; /* curl's protocol trace was asked for */
	return 1;
}

/* ---- lists ---- */

/* r is on the active list, or on the done queue when r->queued. */
static void req_link(struct native *n, struct http_req *r)
{
	struct http_req **head = r->queued ? &n->dq_head : &n->req_head;
	struct http_req **tail = r->queued ? &n->dq_tail : &n->req_tail;
	r->q_next = NULL;
	r->q_prev = *tail;
	if (*tail)
		(*tail)->q_next = r;
	else
		*head = r;
	*tail = r;
}

static void req_unlink(struct native *n, struct http_req *r)
{
	struct http_req **head = r->queued ? &n->dq_head : &n->req_head;
	struct http_req **tail = r->queued ? &n->dq_tail : &n->req_tail;
	if (r->q_prev)
		r->q_prev->q_next = r->q_next;
	else
		*head = r->q_next;
	if (r->q_next)
		r->q_next->q_prev = r->q_prev;
	else
		*tail = r->q_prev;
	r->q_prev = r->q_next = NULL;
}

static void connecting_link(struct native *n, struct nat_conn *c)
{
	c->cnext = NULL;
	c->cprev = n->conn_tail;
	if (n->conn_tail)
		n->conn_tail->cnext = c;
	else
		n->conn_head = c;
	n->conn_tail = c;
}

static void connecting_unlink(struct native *n, struct nat_conn *c)
{
	if (c->cprev)
		c->cprev->cnext = c->cnext;
	else if (n->conn_head == c)
		n->conn_head = c->cnext;
	else
		return; /* not linked */
	if (c->cnext)
		c->cnext->cprev = c->cprev;
	else
		n->conn_tail = c->cprev;
	c->cprev = c->cnext = NULL;
}

static void idle_unlink(struct native *n, struct nat_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		n->idle[c->pool] = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	n->nidle--;
}

/* ---- connections ---- */

static void conn_close(struct http_client *cl, struct nat_conn *c)
{
	struct native *n = cl->nat;
	if (c->state == C_DEAD)
		return;
	if (c->state == C_IDLE)
		idle_unlink(n, c);
	if (c->state == C_CONNECTING)
		connecting_unlink(n, c);
	if (c->fd >= 0)
		close(c->fd); /* leaves the epoll set with it */
	c->fd = -1;
	c->state = C_DEAD;
	if (c->req && c->req->conn == c)
		c->req->conn = NULL;
	c->req = NULL;
	free(c->pend);
	c->pend = NULL;
	if (n->in_poll) {
		/* An event for it may still be in this wake-up's batch. */
		c->next = n->grave;
		n->grave = c;
	} else {
		free(c);
	}
}

static int conn_watch(struct http_client *cl, struct nat_conn *c,
		      uint32_t mask)
{
	if (c->evmask == mask)
		return 0;
	struct epoll_event ev = {.events = mask, .data.ptr = c};
	int rc = epoll_ctl(cl->epfd, c->evmask ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
			   c->fd, &ev);
	if (rc)
		return -errno;
	c->evmask = mask;
	return 0;
}

/* Deliver r's ending now (inside a wake-up) or queue it (inside
 * http_start, where the caller must not be re-entered). */
static void req_end(struct http_client *cl, struct http_req *r,
		    enum http_result res, int from_start)
{
	struct native *n = cl->nat;
	if (r->conn) {
		struct nat_conn *c = r->conn;
		r->conn = NULL;
		c->req = NULL;
		conn_close(cl, c);
	}
	req_unlink(n, r);
	if (from_start) {
		r->queued = 1;
		r->q_res = res;
		req_link(n, r); /* onto the done queue */
		return;
	}
	r->active = 0;
	cl->active--;
	if (r->on_done)
		r->on_done(r, res, res == HTTP_RES_OK ? NULL : r->errbuf,
			   clock_now_ns());
}

static void req_fail(struct http_client *cl, struct http_req *r,
		     enum http_result res, int from_start, const char *fmt,
		     ...) __attribute__((format(printf, 5, 6)));
static void req_fail(struct http_client *cl, struct http_req *r,
		     enum http_result res, int from_start, const char *fmt,
		     ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->errbuf, sizeof(r->errbuf), fmt, ap);
	va_end(ap);
	req_end(cl, r, res, from_start);
}

/* Build the request bytes of r for target t into n->head (head) and
 * return the body to send after it. */
static int build_head(struct native *n, const struct nat_target *t,
		      const struct http_req *r)
{
	struct buf *b = &n->head;
	int host = 1, accept = 1;
	buf_reset(b);
	buf_printf(b, "%s %s HTTP/1.1\r\n", r->body ? "POST" : "GET", t->path);
	for (const struct curl_slist *h = r->headers; h; h = h->next) {
		const char *s = h->data;
		const char *colon = strchr(s, ':');
		const char *semi = strchr(s, ';');
		if (semi && (!colon || semi < colon) && semi[1] == '\0') {
			/* curl's "Name;": send the header with no value */
			buf_printf(b, "%.*s:\r\n", (int)(semi - s), s);
			continue;
		}
		if (!colon)
			continue;
		size_t nl = (size_t)(colon - s);
		const char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		int is_host = nl == 4 && !strncasecmp(s, "Host", 4);
		int is_accept = nl == 6 && !strncasecmp(s, "Accept", 6);
		if (is_host)
			host = 0;
		if (is_accept)
			accept = 0;
		if (!*v) /* curl's "Name:": remove an internal header */
			continue;
		if (nl == 14 && !strncasecmp(s, "Content-Length", 14))
			continue; /* ours is the true one */
		buf_printf(b, "%s\r\n", s);
	}
	if (host)
		buf_printf(b, "Host: %s\r\n", t->host_hdr);
	if (accept)
		buf_puts(b, "Accept: */*\r\n");
	if (r->body)
		buf_printf(b, "Content-Length: %zu\r\n", r->body_len);
	return buf_puts(b, "\r\n");
}

static void conn_send(struct http_client *cl, struct nat_conn *c);
static void conn_open(struct http_client *cl, struct http_req *r,
		      int from_start, int first_k);

/* The request could not be written or got no byte back on a pooled
 * connection the server had closed meanwhile: resend once on a fresh
 * one, as curl does. Returns 1 when resent. */
static int maybe_resend(struct http_client *cl, struct nat_conn *c,
			int from_start)
{
	struct http_req *r = c->req;
	if (!r || !c->reused || c->rx || r->retried)
		return 0;
	r->retried = 1;
	cl->st.native_retries++;
	r->conn = NULL;
	c->req = NULL;
	conn_close(cl, c);
	conn_open(cl, r, from_start, 0);
	return 1;
}

/* Put the whole request of r into c->pend (connect not done yet, or a
 * partial write). */
static void pend_set(struct nat_conn *c, const struct buf *head,
		     size_t head_off, const struct http_req *r)
{
	size_t hl = head->len - (head_off < head->len ? head_off : head->len);
	size_t boff = head_off > head->len ? head_off - head->len : 0;
	size_t bl = r->body ? r->body_len - boff : 0;
	free(c->pend);
	c->pend = xmalloc(hl + bl + 1);
	if (hl)
		memcpy(c->pend, head->data + head_off, hl);
	if (bl)
		memcpy(c->pend + hl, r->body + boff, bl);
	c->pend_len = hl + bl;
	c->pend_off = 0;
}

/* Start reading the response of c->req. */
static void conn_reading(struct http_client *cl, struct nat_conn *c,
			 int from_start)
{
	c->state = C_READING;
	c->rx = 0;
	h1_resp_init(&c->p, 0);
	int rc = conn_watch(cl, c, EPOLLIN);
	if (rc)
		req_fail(cl, c->req, HTTP_RES_OTHER, from_start,
			 "epoll_ctl: %s", strerror(-rc));
}

/* Write what is pending on c; on completion start reading. */
static void conn_flush(struct http_client *cl, struct nat_conn *c,
		       int from_start)
{
	struct http_req *r = c->req;
	struct nat_target *t = &cl->nat->tg[c->pool];
	while (c->pend_off < c->pend_len) {
		ssize_t w = send(c->fd, c->pend + c->pend_off,
				 c->pend_len - c->pend_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			c->pend_off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->state = C_SENDING;
			int rc = conn_watch(cl, c, EPOLLOUT);
			if (rc)
				req_fail(cl, r, HTTP_RES_OTHER, from_start,
					 "epoll_ctl: %s", strerror(-rc));
			return;
		}
		int e = w < 0 ? errno : EPIPE;
		if (maybe_resend(cl, c, from_start))
			return;
		req_fail(cl, r, HTTP_RES_RESET, from_start,
			 "sending the request to %s: %s", t->origin,
			 strerror(e));
		return;
	}
	free(c->pend);
	c->pend = NULL;
	c->pend_len = c->pend_off = 0;
	conn_reading(cl, c, from_start);
}

/* Send r's request on a connected c (head and body in one sendmsg). */
static void conn_send(struct http_client *cl, struct nat_conn *c)
{
	struct native *n = cl->nat;
	struct http_req *r = c->req;
	struct iovec iov[2] = {
		{.iov_base = n->head.data, .iov_len = n->head.len},
		{.iov_base = (void *)r->body, .iov_len = r->body ? r->body_len
								 : 0},
	};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = r->body ? 2 : 1};
	size_t total = iov[0].iov_len + iov[1].iov_len;
	ssize_t w;
	do
		w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (w < 0 && errno == EINTR);
	if (w == (ssize_t)total) {
		conn_reading(cl, c, 1);
		return;
	}
	if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		int e = errno;
		if (maybe_resend(cl, c, 1))
			return;
		req_fail(cl, r, HTTP_RES_RESET, 1,
			 "sending the request to %s: %s",
			 cl->nat->tg[c->pool].origin, strerror(e));
		return;
	}
	pend_set(c, &n->head, w > 0 ? (size_t)w : 0, r);
	conn_flush(cl, c, 1);
}

/* Open a fresh connection for r and send when connected, trying the
 * origin's addresses from the one that worked last, skipping the first
 * first_k of them (already refused). */
static void conn_open(struct http_client *cl, struct http_req *r,
		      int from_start, int first_k)
{
	struct native *n = cl->nat;
	int ti = target_find(n, r->url, r->errbuf, sizeof(r->errbuf));
	if (ti < 0) { /* cannot happen: r started with this URL */
		req_end(cl, r, HTTP_RES_OTHER, from_start);
		return;
	}
	struct nat_target *t = &n->tg[ti];
	struct nat_target *pt = &n->tg[t->pool];
	if (build_head(n, t, r)) {
		req_fail(cl, r, HTTP_RES_OTHER, from_start,
			 "request head larger than %u bytes", NAT_HEAD_MAX);
		return;
	}
	struct nat_conn *c = xcalloc(1, sizeof(*c));
	c->fd = -1;
	c->pool = t->pool;
	c->addr_i = pt->good;
	c->req = r;
	r->conn = c;
	pend_set(c, &n->head, 0, r);
	cl->st.native_connects++;
	int e = 0;
	for (int k = first_k; k < pt->naddr; k++) {
		int ai = (pt->good + k) % pt->naddr;
		const struct sockaddr *sa = (const struct sockaddr *)&pt->addr[ai];
		c->fd = socket(sa->sa_family,
			       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (c->fd < 0) {
			e = errno;
			break; /* out of descriptors: no point going on */
		}
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->addr_i = ai;
		c->addr_k = k;
		if (!connect(c->fd, sa, pt->alen[ai])) {
			pt->good = ai;
			c->state = C_SENDING;
			conn_flush(cl, c, from_start);
			return;
		}
		if (errno == EINPROGRESS) {
			c->state = C_CONNECTING;
			c->t_connect_ns = clock_now_ns() + n->connect_ns;
			connecting_link(n, c);
			int rc = conn_watch(cl, c, EPOLLOUT);
			if (rc)
				req_fail(cl, r, HTTP_RES_OTHER, from_start,
					 "epoll_ctl: %s", strerror(-rc));
			return;
		}
		e = errno;
		close(c->fd);
		c->fd = -1;
	}
	req_fail(cl, r, HTTP_RES_CONNECT_FAILED, from_start,
		 "connecting to %s: %s", pt->origin, strerror(e));
}

int native_start(struct http_client *cl, struct http_req *r)
{
	struct native *n = nat_get(cl);
	r->cl = cl;
	r->native = 1;
	r->status = 0;
	r->head_done = 0;
	r->retried = 0;
	r->queued = 0;
	r->conn = NULL;
	r->t_first_byte_ns = -1;
	r->errbuf[0] = '\0';
	int64_t now = clock_now_ns();
	r->t_deadline_ns = n->total_ns ? now + n->total_ns : -1;
	r->active = 1;
	cl->active++;
	req_link(n, r);
	int ti = target_find(n, r->url, r->errbuf, sizeof(r->errbuf));
	if (ti == -2) {
		/* Not ours after all (credentials in the URL, more targets
		 * than NAT_MAX_TARGETS): undo and let curl take it. */
		req_unlink(n, r);
		r->active = 0;
		cl->active--;
		r->native = 0;
		return -EPROTONOSUPPORT;
	}
	if (ti < 0) {
		req_end(cl, r, HTTP_RES_CONNECT_FAILED, 1);
		return 0;
	}
	struct nat_target *t = &n->tg[ti];
	struct nat_conn *c = n->idle[t->pool];
	if (!c) {
		conn_open(cl, r, 1, 0);
		return 0;
	}
	if (build_head(n, t, r)) {
		req_fail(cl, r, HTTP_RES_OTHER, 1,
			 "request head larger than %u bytes", NAT_HEAD_MAX);
		return 0;
	}
	idle_unlink(n, c);
	c->req = r;
	r->conn = c;
	c->state = C_SENDING;
	conn_send(cl, c);
	return 0;
}

void native_abort(struct http_client *cl, struct http_req *r)
{
	struct native *n = cl->nat;
	if (r->conn) {
		struct nat_conn *c = r->conn;
		r->conn = NULL;
		c->req = NULL;
		conn_close(cl, c);
	}
	req_unlink(n, r); /* from whichever list holds it */
	r->queued = 0;
	r->active = 0;
	cl->active--;
}

/* A response is complete: pool or close the connection, report. */
static void conn_done(struct http_client *cl, struct nat_conn *c,
		      int leftover)
{
	struct native *n = cl->nat;
	struct http_req *r = c->req;
	c->req = NULL;
	r->conn = NULL;
	if (!leftover && c->p.keep_alive &&
	    n->nidle < (size_t)(cl->cfg.max_connections > 0
					? cl->cfg.max_connections
					: 64)) {
		c->state = C_IDLE;
		c->reused = 1;
		c->prev = NULL;
		c->next = n->idle[c->pool];
		if (c->next)
			c->next->prev = c;
		n->idle[c->pool] = c;
		n->nidle++;
	} else {
		conn_close(cl, c);
	}
	req_end(cl, r, HTTP_RES_OK, 0);
}

static void conn_readable(struct http_client *cl, struct nat_conn *c)
{
	struct native *n = cl->nat;
	struct http_req *r = c->req;
	ssize_t got;
	do
		got = recv(c->fd, n->rbuf, NAT_RBUF, 0);
	while (got < 0 && errno == EINTR);
	int64_t t = clock_now_ns();
	if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	const char *origin = n->tg[c->pool].origin;
	if (got <= 0) {
		int e = got < 0 ? errno : 0;
		if (maybe_resend(cl, c, 0))
			return;
		if (!e && h1_resp_eof(&c->p) == H1_DONE) {
			conn_done(cl, c, 1);
			return;
		}
		if (e)
			req_fail(cl, r, HTTP_RES_RESET, 0,
				 "reading from %s: %s", origin, strerror(e));
		else
			req_fail(cl, r, HTTP_RES_RESET, 0, "%s: %s", origin,
				 c->p.error);
		return;
	}
	if (r->t_first_byte_ns < 0)
		r->t_first_byte_ns = t;
	c->rx += (uint64_t)got;
	char *b = n->rbuf;
	size_t left = (size_t)got;
	for (;;) {
		size_t used, ns = 0;
		enum h1_ev ev = h1_resp_feed(&c->p, b, left, &used, n->spans,
					     NAT_SPANS, &ns);
		b += used;
		left -= used;
		switch (ev) {
		case H1_MORE:
			return;
		case H1_HEAD:
			r->head_done = 1;
			r->status = c->p.status;
			if (r->on_head)
				r->on_head(r, c->p.status, t);
			break;
		case H1_BODY:
			client_note_data(cl, t);
			if (r->on_data && r->on_data(r, n->spans, ns, t)) {
				req_fail(cl, r, HTTP_RES_ABORTED, 0,
					 "stopped by the reader");
				return;
			}
			break;
		case H1_DONE:
			conn_done(cl, c, left > 0);
			return;
		case H1_ERROR:
			req_fail(cl, r, HTTP_RES_OTHER, 0,
				 "malformed HTTP response from %s: %s", origin,
				 c->p.error);
			return;
		}
	}
}

static void conn_connected(struct http_client *cl, struct nat_conn *c)
{
	struct native *n = cl->nat;
	struct nat_target *pt = &n->tg[c->pool];
	int err = 0;
	socklen_t el = sizeof(err);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el))
		err = errno;
	connecting_unlink(n, c);
	if (!err) {
		pt->good = c->addr_i;
		c->state = C_SENDING;
		conn_flush(cl, c, 0);
		return;
	}
	struct http_req *r = c->req;
	if (c->addr_k + 1 < pt->naddr) {
		/* try the next address (e.g. ::1 refused, 127.0.0.1 next) */
		int next_k = c->addr_k + 1;
		r->conn = NULL;
		c->req = NULL;
		conn_close(cl, c);
		conn_open(cl, r, 0, next_k);
		return;
	}
	req_fail(cl, r, HTTP_RES_CONNECT_FAILED, 0, "connecting to %s: %s",
		 pt->origin, strerror(err));
}

void native_event(struct http_client *cl, void *conn, uint32_t events)
{
	struct nat_conn *c = conn;
	switch (c->state) {
	case C_DEAD:
		return; /* closed earlier in this wake-up */
	case C_IDLE:
		/* The server closed a pooled connection (or spoke out of
		 * turn): drop it. */
		conn_close(cl, c);
		return;
	case C_CONNECTING:
		conn_connected(cl, c);
		return;
	case C_SENDING:
		if (events & (EPOLLERR | EPOLLHUP) &&
		    !(events & EPOLLOUT)) {
			if (maybe_resend(cl, c, 0))
				return;
			req_fail(cl, c->req, HTTP_RES_RESET, 0,
				 "sending the request to %s: connection "
				 "closed",
				 cl->nat->tg[c->pool].origin);
			return;
		}
		conn_flush(cl, c, 0);
		return;
	case C_READING:
		conn_readable(cl, c);
		return;
	}
}

int64_t native_deadline(const struct http_client *cl)
{
	const struct native *n = cl->nat;
	if (!n)
		return -1;
	if (n->dq_head)
		return 0;
	int64_t d = n->req_head ? n->req_head->t_deadline_ns : -1;
	if (n->conn_head && (d < 0 || n->conn_head->t_connect_ns < d))
		d = n->conn_head->t_connect_ns;
	return d;
}

void native_event_begin(struct http_client *cl)
{
	if (cl->nat)
		cl->nat->in_poll = 1;
}

void native_after_poll(struct http_client *cl)
{
	struct native *n = cl->nat;
	if (!n)
		return;
	n->in_poll = 1;
	int64_t now = clock_now_ns();
	/* Timeouts: the heads of the start-order lists expire first. */
	while (n->conn_head && n->conn_head->t_connect_ns <= now) {
		struct nat_conn *c = n->conn_head;
		req_fail(cl, c->req, HTTP_RES_TIMEOUT_CONNECT, 0,
			 "connecting to %s: timed out after %.3g s",
			 n->tg[c->pool].origin, (double)n->connect_ns / 1e9);
	}
	struct http_req *r;
	while ((r = n->req_head) && r->t_deadline_ns >= 0 &&
	       r->t_deadline_ns <= now) {
		struct nat_conn *c = r->conn;
		int connecting = !c || c->state == C_CONNECTING;
		req_fail(cl, r,
			 connecting ? HTTP_RES_TIMEOUT_CONNECT : HTTP_RES_TIMEOUT,
			 0, "no complete response within %.3g s",
			 (double)n->total_ns / 1e9);
	}
	/* Failures found inside http_start: report those queued so far;
	 * ones queued by these callbacks wait for the next wake-up, so a
	 * watched fd is never starved. */
	struct http_req *last = n->dq_tail;
	while ((r = n->dq_head)) {
		int was_last = r == last;
		req_unlink(n, r);
		r->queued = 0;
		r->active = 0;
		cl->active--;
		if (r->on_done)
			r->on_done(r, r->q_res,
				   r->q_res == HTTP_RES_OK ? NULL : r->errbuf,
				   clock_now_ns());
		if (was_last)
			break;
	}
	n->in_poll = 0;
	while (n->grave) {
		struct nat_conn *c = n->grave;
		n->grave = c->next;
		free(c);
	}
}

void native_free(struct http_client *cl)
{
	struct native *n = cl->nat;
	if (!n)
		return;
	n->in_poll = 0;
	while (n->dq_head) {
		struct http_req *r = n->dq_head;
		req_unlink(n, r);
		r->queued = 0;
		r->active = 0;
	}
	while (n->req_head) {
		struct http_req *r = n->req_head;
		if (r->conn) {
			struct nat_conn *c = r->conn;
			r->conn = NULL;
			c->req = NULL;
			conn_close(cl, c);
		}
		req_unlink(n, r);
		r->active = 0;
	}
	for (int i = 0; i < NAT_MAX_TARGETS; i++)
		while (n->idle[i])
			conn_close(cl, n->idle[i]);
	while (n->grave) {
		struct nat_conn *c = n->grave;
		n->grave = c->next;
		free(c);
	}
	for (int i = 0; i < n->ntg; i++) {
		free(n->tg[i].url);
		free(n->tg[i].path);
		free(n->tg[i].host_hdr);
		free(n->tg[i].origin);
	}
	buf_free(&n->head);
	free(n->rbuf);
	free(n);
	cl->nat = NULL;
}
