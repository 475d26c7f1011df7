/* ticker.c - absolute-deadline periodic thread. */
#include "telemetry/ticker.h"

#include <errno.h>
#include <string.h>

#include "core/clock.h"

static void *ticker_main(void *arg)
{
	struct ticker *t = arg;
	int64_t next = clock_now_ns();
	pthread_mutex_lock(&t->mu);
	while (!t->stop) {
		pthread_mutex_unlock(&t->mu);
		t->fn(t->ud, next);
		pthread_mutex_lock(&t->mu);
		t->ticks++;
		next += t->interval_ns;
		int64_t now = clock_now_ns();
		if (now >= next) {
			int64_t skip = (now - next) / t->interval_ns + 1;
			t->late += (uint64_t)skip;
			next += skip * t->interval_ns;
		}
		struct timespec ts = {
			.tv_sec = next / NS_PER_S,
			.tv_nsec = next % NS_PER_S,
		};
		while (!t->stop && clock_now_ns() < next)
			pthread_cond_timedwait(&t->cv, &t->mu, &ts);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

int ticker_start(struct ticker *t, int64_t interval_ns, ticker_fn fn,
		 void *ud)
{
	memset(t, 0, sizeof(*t));
	if (interval_ns <= 0)
		return -EINVAL;
	t->interval_ns = interval_ns;
	t->fn = fn;
	t->ud = ud;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&t->mu, NULL);
	int rc = pthread_create(&t->th, NULL, ticker_main, t);
	if (rc) {
		pthread_cond_destroy(&t->cv);
		pthread_mutex_destroy(&t->mu);
		return -rc;
	}
	t->started = 1;
	return 0;
}

void ticker_stop(struct ticker *t)
{
	if (!t->started)
		return;
	pthread_mutex_lock(&t->mu);
	t->stop = 1;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->th, NULL);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	t->started = 0;
}
