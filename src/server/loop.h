/* loop.h - one epoll event loop with a binary min-heap of absolute timers.
 *
 * Owns the epoll descriptor, the timer heap and a wake-up eventfd. Knows
 * nothing of HTTP. Callers embed struct loop_io / struct loop_timer in their
 * own objects (no allocation per timer). Single-threaded: every call except
 * loop_stop must come from the thread running loop_run.
 */
#ifndef INFBENCH_SERVER_LOOP_H
#define INFBENCH_SERVER_LOOP_H

#include <stddef.h>
#include <stdint.h>

struct loop;

struct loop_io;
typedef void (*loop_io_cb)(struct loop *l, struct loop_io *io, uint32_t events);

/* A registered file descriptor; embed it in the owning object. */
struct loop_io {
	int fd;
	uint32_t events; /* current epoll mask */
	loop_io_cb cb;
};

struct loop_timer;
typedef void (*loop_timer_cb)(struct loop *l, struct loop_timer *t);

/* A one-shot timer at an absolute CLOCK_MONOTONIC deadline; embed it. */
struct loop_timer {
	int64_t deadline_ns;
	uint64_t seq;      /* tie-break: equal deadlines fire in arming order */
	uint32_t heap_idx; /* 0 = not armed, else 1-based heap slot */
	loop_timer_cb cb;
};

/* Called once per iteration just before the loop blocks. */
typedef void (*loop_hook_cb)(struct loop *l, void *ud);

#define LOOP_MAX_HOOKS 4

/* Creates a loop; *out is freed with loop_free. Returns 0 or -errno. */
int loop_new(struct loop **out);
/* Frees the loop (not the objects whose io/timers were registered). NULL-safe. */
void loop_free(struct loop *l);

/* Register io->fd for the epoll mask events (EPOLLIN...). 0 or -errno. */
int loop_io_add(struct loop *l, struct loop_io *io, uint32_t events);
/* Change the mask; a no-op when unchanged. 0 or -errno. */
int loop_io_mod(struct loop *l, struct loop_io *io, uint32_t events);
/* Unregister (before closing the fd). */
void loop_io_del(struct loop *l, struct loop_io *io);

/* Arm t (re-arming moves it) for the absolute monotonic deadline. */
void loop_timer_start(struct loop *l, struct loop_timer *t, int64_t deadline_ns);
/* Disarm t; a no-op when not armed. */
void loop_timer_stop(struct loop *l, struct loop_timer *t);
static inline int loop_timer_armed(const struct loop_timer *t)
{
	return t->heap_idx != 0;
}
/* Number of armed timers. */
size_t loop_timer_count(const struct loop *l);

/* Add a hook run before each wait (write coalescing, deferred frees). */
void loop_add_hook(struct loop *l, loop_hook_cb cb, void *ud);

/* Monotonic time cached at the start of the current iteration (ns). */
int64_t loop_now_ns(const struct loop *l);

/* Run until loop_stop. Returns 0, or -errno when epoll fails. */
int loop_run(struct loop *l);
/* Ask loop_run to return; thread- and async-signal-safe. */
void loop_stop(struct loop *l);
/* Has loop_stop been called? */
int loop_stopping(const struct loop *l);

#endif
