/* loop.c - epoll event loop with a binary min-heap of absolute timers. */
#include "server/loop.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/xmalloc.h"

#define LOOP_MAX_EVENTS 256 /* epoll events fetched per wait */
#define LOOP_MAX_TIMERS 4096 /* timers fired per iteration (then I/O) */

struct loop {
	int epfd;
	struct loop_io wake; /* eventfd written by loop_stop */
	volatile int stop;
	int64_t now_ns;
	uint64_t seq;
	struct loop_timer **heap; /* 1-based; heap[0] unused */
	size_t heap_n, heap_cap;
	int no_pwait2; /* kernel lacks epoll_pwait2: fall back to ms waits */
	struct {
		loop_hook_cb cb;
		void *ud;
	} hooks[LOOP_MAX_HOOKS];
	int n_hooks;
};

static void wake_cb(struct loop *l, struct loop_io *io, uint32_t ev)
{
	(void)ev;
	uint64_t v;
	while (read(io->fd, &v, sizeof(v)) > 0)
		;
	(void)l;
}

int loop_new(struct loop **out)
{
	struct loop *l = xcalloc(1, sizeof(*l));
	int rc = 0;
	l->wake.fd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		rc = -errno;
		goto out;
	}
	l->wake.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->wake.fd < 0) {
		rc = -errno;
		goto out;
	}
	l->wake.cb = wake_cb;
	if ((rc = loop_io_add(l, &l->wake, EPOLLIN)))
		goto out;
	l->heap_cap = 64;
	l->heap = xmalloc(l->heap_cap * sizeof(*l->heap));
	l->now_ns = clock_now_ns();
	*out = l;
	l = NULL;
out:
	loop_free(l);
	return rc;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	if (l->wake.fd >= 0)
		close(l->wake.fd);
	if (l->epfd >= 0)
		close(l->epfd);
	free(l->heap);
	free(l);
}

int loop_io_add(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = io};
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, io->fd, &ev) < 0)
		return -errno;
	io->events = events;
	return 0;
}

int loop_io_mod(struct loop *l, struct loop_io *io, uint32_t events)
{
	if (io->events == events)
		return 0;
	struct epoll_event ev = {.events = events, .data.ptr = io};
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0)
		return -errno;
	io->events = events;
	return 0;
}

void loop_io_del(struct loop *l, struct loop_io *io)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->events = 0;
}

/* ---- timer heap ---- */

static int t_less(const struct loop_timer *a, const struct loop_timer *b)
{
	if (a->deadline_ns != b->deadline_ns)
		return a->deadline_ns < b->deadline_ns;
	return a->seq < b->seq;
}

static void heap_set(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->heap_idx = (uint32_t)i;
}

static void sift_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];
	while (i > 1 && t_less(t, l->heap[i / 2])) {
		heap_set(l, i, l->heap[i / 2]);
		i /= 2;
	}
	heap_set(l, i, t);
}

static void sift_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];
	for (;;) {
		size_t c = 2 * i;
		if (c > l->heap_n)
			break;
		if (c + 1 <= l->heap_n && t_less(l->heap[c + 1], l->heap[c]))
			c++;
		if (!t_less(l->heap[c], t))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

void loop_timer_stop(struct loop *l, struct loop_timer *t)
{
	size_t i = t->heap_idx;
	if (!i)
		return;
	DEBUG_ASSERT(l->heap[i] == t);
	struct loop_timer *last = l->heap[l->heap_n--];
	t->heap_idx = 0;
	if (last == t)
		return;
	heap_set(l, i, last);
	if (i > 1 && t_less(last, l->heap[i / 2]))
		sift_up(l, i);
	else
		sift_down(l, i);
}

void loop_timer_start(struct loop *l, struct loop_timer *t, int64_t deadline_ns)
{
	loop_timer_stop(l, t);
	t->deadline_ns = deadline_ns;
	t->seq = ++l->seq;
	if (l->heap_n + 2 > l->heap_cap)
		xgrow((void **)&l->heap, &l->heap_cap, l->heap_n + 2,
		      sizeof(*l->heap));
	l->heap_n++;
	heap_set(l, l->heap_n, t);
	sift_up(l, l->heap_n);
}

size_t loop_timer_count(const struct loop *l)
{
	return l->heap_n;
}

void loop_add_hook(struct loop *l, loop_hook_cb cb, void *ud)
{
	ASSERT(l->n_hooks < LOOP_MAX_HOOKS);
	l->hooks[l->n_hooks].cb = cb;
	l->hooks[l->n_hooks].ud = ud;
	l->n_hooks++;
}

int64_t loop_now_ns(const struct loop *l)
{
	return l->now_ns;
}

static void run_timers(struct loop *l)
{
	int n = 0;
	while (l->heap_n && l->heap[1]->deadline_ns <= l->now_ns &&
	       n++ < LOOP_MAX_TIMERS) {
		struct loop_timer *t = l->heap[1];
		loop_timer_stop(l, t);
		t->cb(l, t);
	}
}

static int wait_events(struct loop *l, struct epoll_event *evs)
{
	int64_t wait_ns = -1;
	if (l->heap_n) {
		wait_ns = l->heap[1]->deadline_ns - clock_now_ns();
		if (wait_ns < 0)
			wait_ns = 0;
	}
	if (!l->no_pwait2) {
		struct timespec ts, *tsp = NULL;
		if (wait_ns >= 0) {
			ts.tv_sec = wait_ns / NS_PER_S;
			ts.tv_nsec = wait_ns % NS_PER_S;
			tsp = &ts;
		}
		int n = epoll_pwait2(l->epfd, evs, LOOP_MAX_EVENTS, tsp, NULL);
		if (n >= 0 || errno != ENOSYS)
			return n;
		l->no_pwait2 = 1;
	}
	int ms = wait_ns < 0 ? -1 : (int)((wait_ns + NS_PER_MS - 1) / NS_PER_MS);
	return epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS, ms);
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[LOOP_MAX_EVENTS];
	/* Wake on the deadline, not up to 50 us after it (the default timer
	 * slack of epoll_pwait2's timeout): token times are the output. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	while (!l->stop) {
		for (int i = 0; i < l->n_hooks; i++)
			l->hooks[i].cb(l, l->hooks[i].ud);
		if (l->stop)
			break;
		int n = wait_events(l, evs);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		l->now_ns = clock_now_ns();
		for (int i = 0; i < n; i++) {
			struct loop_io *io = evs[i].data.ptr;
			io->cb(l, io, evs[i].events);
		}
		run_timers(l);
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	uint64_t one = 1;
	l->stop = 1;
	ssize_t w = write(l->wake.fd, &one, sizeof(one));
	(void)w;
}

int loop_stopping(const struct loop *l)
{
	return l->stop;
}
