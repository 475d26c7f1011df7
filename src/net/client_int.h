/* client_int.h - what client.c (the event loop, libcurl glue) and
 * native.c (infbench's own HTTP/1.1 transport) share inside net/. Not for
 * use outside the module.
 *
 * epoll data: a file descriptor the loop owns (timerfd, watched fd, a curl
 * socket) is stored as (fd << 1) | 1; a native connection as its pointer
 * (aligned, low bit 0), so the dispatcher can tell them apart.
 */
#ifndef INFBENCH_NET_CLIENT_INT_H
#define INFBENCH_NET_CLIENT_INT_H

#include "net/client.h"

struct native;

struct http_client {
	CURLM *multi;
	int epfd;
	int tfd;                 /* timerfd, absolute CLOCK_MONOTONIC */
	int64_t curl_deadline_ns; /* -1 when curl wants no timer */
	int64_t armed_ns;         /* what tfd is armed for, -1 none */
	int64_t t_wake_ns;        /* when the current epoll_wait returned */
	int watch_fd;
	size_t active;
	struct native *nat;       /* own transport state, NULL until used */
	int proxy_env;            /* a proxy variable is set: -1 not read yet */
	struct http_client_config cfg;
	struct http_client_stats st;
};

#define CLIENT_FD_TAG(fd) (((uint64_t)(unsigned)(fd) << 1) | 1)

/* Should r go through the native transport? (cfg, proxies, URL scheme) */
int native_wants(struct http_client *cl, const struct http_req *r);
/* Start r natively: 0, or a negative errno (nothing started). Failures
 * after this point are reported through r->on_done. */
int native_start(struct http_client *cl, struct http_req *r);
void native_abort(struct http_client *cl, struct http_req *r);
/* Before the events of one wake-up are dispatched (connections closed
 * from then on are freed only after the batch). */
void native_event_begin(struct http_client *cl);
/* An epoll event for a native connection (the pointer in data). */
void native_event(struct http_client *cl, void *conn, uint32_t events);
/* Earliest native deadline (monotonic ns), 0 when completions are queued
 * and must be delivered now, -1 when none. */
int64_t native_deadline(const struct http_client *cl);
/* After the events of one wake-up: expire deadlines, deliver queued
 * completions, free closed connections. */
void native_after_poll(struct http_client *cl);
void native_free(struct http_client *cl);
/* Stamp-delay bookkeeping shared by both transports. */
void client_note_data(struct http_client *cl, int64_t t);

#endif
