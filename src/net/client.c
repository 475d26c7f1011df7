/* client.c - the event loop (epoll + timerfd) and the libcurl transport;
 * the native transport is in native.c. */
#include "net/client.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/xmalloc.h"
#include "net/client_int.h"

#define CLIENT_MAX_EVENTS 256

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

void http_global_init(void)
{
	pthread_once(&global_once, global_init_once);
}

/* curl tells us which sockets to watch. */
static int sock_cb(CURL *e, curl_socket_t s, int what, void *userp,
		   void *socketp)
{
	(void)e;
	struct http_client *cl = userp;
	struct epoll_event ev = {0};
	ev.data.u64 = CLIENT_FD_TAG(s);
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(cl->epfd, EPOLL_CTL_DEL, s, NULL);
		curl_multi_assign(cl->multi, s, NULL);
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) |
		    (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (!socketp) {
		if (epoll_ctl(cl->epfd, EPOLL_CTL_ADD, s, &ev) &&
		    errno == EEXIST)
			epoll_ctl(cl->epfd, EPOLL_CTL_MOD, s, &ev);
		curl_multi_assign(cl->multi, s, (void *)1);
	} else {
		epoll_ctl(cl->epfd, EPOLL_CTL_MOD, s, &ev);
	}
	return 0;
}

static int timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	(void)m;
	struct http_client *cl = userp;
	cl->curl_deadline_ns =
		timeout_ms < 0 ? -1
			       : clock_now_ns() + (int64_t)timeout_ms * NS_PER_MS;
	return 0;
}

struct http_client *http_client_new(const struct http_client_config *cfg,
				    char **err)
{
	http_global_init();
	struct http_client *cl = xcalloc(1, sizeof(*cl));
	cl->cfg = *cfg;
	cl->epfd = -1;
	cl->tfd = -1;
	cl->watch_fd = -1;
	cl->curl_deadline_ns = -1;
	cl->armed_ns = -1;
	cl->proxy_env = -1;
	cl->epfd = epoll_create1(EPOLL_CLOEXEC);
	cl->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (cl->epfd < 0 || cl->tfd < 0) {
		*err = xasprintf("epoll/timerfd: %s", strerror(errno));
		goto fail;
	}
	struct epoll_event ev = {.events = EPOLLIN,
				 .data.u64 = CLIENT_FD_TAG(cl->tfd)};
	epoll_ctl(cl->epfd, EPOLL_CTL_ADD, cl->tfd, &ev);
	cl->multi = curl_multi_init();
	if (!cl->multi) {
		*err = xstrdup("curl_multi_init failed");
		goto fail;
	}
	curl_multi_setopt(cl->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(cl->multi, CURLMOPT_SOCKETDATA, cl);
	curl_multi_setopt(cl->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(cl->multi, CURLMOPT_TIMERDATA, cl);
	curl_multi_setopt(cl->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
	curl_multi_setopt(cl->multi, CURLMOPT_MAXCONNECTS,
			  cfg->max_connections > 0 ? cfg->max_connections
						   : 64L);
	curl_multi_setopt(cl->multi, CURLMOPT_PIPELINING, CURLPIPE_NOTHING);
	return cl;
fail:
	http_client_free(cl);
	return NULL;
}

void http_client_free(struct http_client *cl)
{
	if (!cl)
		return;
	native_free(cl);
	if (cl->multi)
		curl_multi_cleanup(cl->multi);
	if (cl->epfd >= 0)
		close(cl->epfd);
	if (cl->tfd >= 0)
		close(cl->tfd);
	free(cl);
}

int http_client_watch_fd(struct http_client *cl, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN,
				 .data.u64 = CLIENT_FD_TAG(fd)};
	if (epoll_ctl(cl->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	cl->watch_fd = fd;
	return 0;
}

static size_t header_cb(char *p, size_t size, size_t n, void *ud)
{
	struct http_req *r = ud;
	size_t len = size * n;
	if (r->t_first_byte_ns < 0)
		r->t_first_byte_ns = clock_now_ns();
	/* The blank line ends a header block; skip 1xx interim blocks. */
	if (len <= 2 && (p[0] == '\r' || p[0] == '\n')) {
		long st = 0;
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &st);
		if (st >= 200 && !r->head_done) {
			r->head_done = 1;
			r->status = st;
			if (r->on_head)
				r->on_head(r, st, clock_now_ns());
		}
	}
	return len;
}

static size_t write_cb(char *p, size_t size, size_t n, void *ud)
{
	struct http_req *r = ud;
	int64_t t = clock_now_ns();
	client_note_data(r->cl, t);
	size_t len = size * n;
	if (!r->head_done) { /* HTTP/1.0-style or no blank-line callback */
		long st = 0;
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &st);
		r->head_done = 1;
		r->status = st;
		if (r->on_head)
			r->on_head(r, st, t);
	}
	struct iovec v = {.iov_base = p, .iov_len = len};
	if (r->on_data && r->on_data(r, &v, 1, t))
		return CURL_WRITEFUNC_ERROR;
	return len;
}

void client_note_data(struct http_client *cl, int64_t t)
{
	int64_t d = t - cl->t_wake_ns;
	cl->st.data_cbs++;
	cl->st.stamp_delay_sum_ns += d;
	if (d > cl->st.stamp_delay_max_ns)
		cl->st.stamp_delay_max_ns = d;
}

int http_start(struct http_client *cl, struct http_req *r)
{
	r->native = 0;
	if (native_wants(cl, r)) {
		int rc = native_start(cl, r);
		if (!rc)
			cl->st.native_starts++;
		if (rc != -EPROTONOSUPPORT)
			return rc;
	}
	cl->st.curl_starts++;
	if (!r->easy) {
		r->easy = curl_easy_init();
		if (!r->easy)
			return -ENOMEM;
	}
	CURL *e = r->easy;
	r->cl = cl;
	r->status = 0;
	r->head_done = 0;
	r->t_first_byte_ns = -1;
	r->errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	if (r->body) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)r->body_len);
	} else {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, NULL);
	if (cl->cfg.connect_timeout_s > 0)
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
				 (long)(cl->cfg.connect_timeout_s * 1000));
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
			 (long)(cl->cfg.timeout_s > 0 ? cl->cfg.timeout_s * 1000
						      : 0));
	if (cl->cfg.insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	curl_easy_setopt(e, CURLOPT_VERBOSE, (long)cl->cfg.verbose);
	CURLMcode mc = curl_multi_add_handle(cl->multi, e);
	if (mc != CURLM_OK)
		return -EIO;
	r->active = 1;
	cl->active++;
	/* Kick curl now so the request is written without waiting a poll. */
	int running;
	cl->t_wake_ns = clock_now_ns();
	curl_multi_socket_action(cl->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	return 0;
}

void http_abort(struct http_client *cl, struct http_req *r)
{
	if (!r->active)
		return;
	if (r->native) {
		native_abort(cl, r);
		return;
	}
	curl_multi_remove_handle(cl->multi, r->easy);
	r->active = 0;
	cl->active--;
}

void http_req_free(struct http_req *r)
{
	if (r && r->easy && !r->active) {
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
	}
}

static enum http_result map_result(CURLcode c, struct http_req *r)
{
	switch (c) {
	case CURLE_OK:
		return HTTP_RES_OK;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return HTTP_RES_CONNECT_FAILED;
	case CURLE_OPERATION_TIMEDOUT: {
		/* Pre-transfer time stays 0 until a connection is ready. */
		curl_off_t pre_us = 0;
		curl_easy_getinfo(r->easy, CURLINFO_PRETRANSFER_TIME_T,
				  &pre_us);
		return pre_us == 0 && r->t_first_byte_ns < 0
			       ? HTTP_RES_TIMEOUT_CONNECT
			       : HTTP_RES_TIMEOUT;
	}
	case CURLE_WRITE_ERROR:
	case CURLE_ABORTED_BY_CALLBACK:
		return HTTP_RES_ABORTED;
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return HTTP_RES_RESET;
	default:
		return HTTP_RES_OTHER;
	}
}

static void drain_done(struct http_client *cl)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(cl->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct http_req *r = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		CURLcode c = m->data.result;
		curl_multi_remove_handle(cl->multi, m->easy_handle);
		if (!r)
			continue;
		r->active = 0;
		cl->active--;
		if (c == CURLE_OK && !r->head_done) {
			long st = 0;
			curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &st);
			r->status = st;
		}
		enum http_result res = map_result(c, r);
		const char *detail =
			c == CURLE_OK ? NULL
				      : (r->errbuf[0] ? r->errbuf
						      : curl_easy_strerror(c));
		if (r->on_done)
			r->on_done(r, res, detail, clock_now_ns());
	}
}

static void arm_timer(struct http_client *cl, int64_t deadline_ns)
{
	/* Re-arming is a syscall: keep an armed deadline that is still ahead
	 * and no later than the new one (waking early is harmless: the loop
	 * just polls again). */
	if (deadline_ns == cl->armed_ns ||
	    (deadline_ns > cl->armed_ns && cl->armed_ns > clock_now_ns() &&
	     deadline_ns - cl->armed_ns < 2 * NS_PER_MS))
		return;
	struct itimerspec its = {0};
	if (deadline_ns >= 0) {
		if (deadline_ns == 0)
			deadline_ns = 1; /* 0 would disarm */
		its.it_value.tv_sec = deadline_ns / NS_PER_S;
		its.it_value.tv_nsec = deadline_ns % NS_PER_S;
	}
	timerfd_settime(cl->tfd, TFD_TIMER_ABSTIME, &its, NULL);
	cl->armed_ns = deadline_ns;
}

int http_client_poll(struct http_client *cl, int64_t deadline_ns)
{
	struct epoll_event evs[CLIENT_MAX_EVENTS];
	int64_t d = deadline_ns;
	if (cl->curl_deadline_ns >= 0 && (d < 0 || cl->curl_deadline_ns < d))
		d = cl->curl_deadline_ns;
	int64_t nd = native_deadline(cl);
	if (nd >= 0 && (d < 0 || nd < d))
		d = nd;
	int64_t now = clock_now_ns();
	int running, watched = 0;
	if (d >= 0 && d <= now) {
		/* Already due: no sleep, but still collect ready I/O. */
		arm_timer(cl, -1);
	} else {
		arm_timer(cl, d);
	}
	int n = epoll_wait(cl->epfd, evs, CLIENT_MAX_EVENTS,
			   d >= 0 && d <= now ? 0 : -1);
	cl->t_wake_ns = clock_now_ns();
	cl->st.polls++;
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		return -errno;
	}
	native_event_begin(cl);
	for (int i = 0; i < n; i++) {
		uint64_t tag = evs[i].data.u64;
		if (!(tag & 1)) {
			native_event(cl, evs[i].data.ptr, evs[i].events);
			continue;
		}
		int fd = (int)(tag >> 1);
		if (fd == cl->tfd) {
			uint64_t x;
			ssize_t rr = read(cl->tfd, &x, sizeof(x));
			(void)rr;
			/* Loop lag: how late the timer woke us. */
			if (cl->armed_ns > 0) {
				int64_t lag = cl->t_wake_ns - cl->armed_ns;
				if (lag < 0)
					lag = 0;
				cl->st.timer_wakes++;
				cl->st.timer_lag_sum_ns += lag;
				if (lag > cl->st.timer_lag_max_ns)
					cl->st.timer_lag_max_ns = lag;
			}
			cl->armed_ns = -1;
			continue;
		}
		if (fd == cl->watch_fd) {
			watched = 1;
			continue;
		}
		int fl = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
			 (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
			 (evs[i].events & (EPOLLERR | EPOLLHUP)
				  ? CURL_CSELECT_ERR
				  : 0);
		curl_multi_socket_action(cl->multi, fd, fl, &running);
	}
	now = clock_now_ns();
	if (cl->curl_deadline_ns >= 0 && now >= cl->curl_deadline_ns) {
		cl->curl_deadline_ns = -1;
		curl_multi_socket_action(cl->multi, CURL_SOCKET_TIMEOUT, 0,
					 &running);
	}
	drain_done(cl);
	native_after_poll(cl);
	return watched;
}

size_t http_client_active(const struct http_client *cl)
{
	return cl->active;
}

const struct http_client_stats *http_client_stats(const struct http_client *cl)
{
	return &cl->st;
}

static size_t fetch_write(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	size_t len = size * n;
	if (buf_append(b, p, len))
		return CURL_WRITEFUNC_ERROR;
	return len;
}

int http_fetch(const char *url, const struct curl_slist *headers,
	       const char *post_body, double timeout_s, int insecure,
	       struct buf *out, long *status, char **err)
{
	http_global_init();
	int rc = 0;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *e = curl_easy_init();
	if (!e) {
		*err = xstrdup("curl_easy_init failed");
		return -ENOMEM;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000));
	if (post_body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, post_body);
	}
	if (insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	CURLcode c = curl_easy_perform(e);
	if (c != CURLE_OK) {
		*err = xstrdup(errbuf[0] ? errbuf : curl_easy_strerror(c));
		rc = -EIO;
		goto out;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
out:
	curl_easy_cleanup(e);
	return rc;
}
