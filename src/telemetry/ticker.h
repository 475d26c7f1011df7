/* ticker.h - a thread that calls a function at absolute deadlines.
 *
 * Owns one pthread and its stop signal. Tick k is due at start + k*interval
 * (CLOCK_MONOTONIC); a tick that runs past later deadlines skips them and
 * counts them as late, so the schedule never drifts. Stopping wakes the
 * sleeper at once. Start/stop from one controlling thread.
 */
#ifndef INFBENCH_TELEMETRY_TICKER_H
#define INFBENCH_TELEMETRY_TICKER_H

#include <pthread.h>
#include <stdint.h>

/* Called on the ticker thread with the deadline it was due at. */
typedef void (*ticker_fn)(void *ud, int64_t due_ns);

struct ticker {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started;
	int stop;
	int64_t interval_ns;
	ticker_fn fn;
	void *ud;
	uint64_t ticks; /* calls made */
	uint64_t late;  /* deadlines skipped because a tick overran */
};

/* Starts calling fn(ud, due) now and every interval_ns. 0, or a negative
 * errno when the thread cannot start. */
int ticker_start(struct ticker *t, int64_t interval_ns, ticker_fn fn,
		 void *ud);
/* Stops and joins (waits for a running tick to finish). Idempotent; safe on
 * a ticker never started if it was zeroed. */
void ticker_stop(struct ticker *t);

#endif
