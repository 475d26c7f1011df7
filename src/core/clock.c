/* clock.c - absolute-deadline sleeping and CPU clocks. */
#include "core/clock.h"

#include <errno.h>

void clock_sleep_until_ns(int64_t deadline_ns, volatile int *stop)
{
	struct timespec ts = {
		.tv_sec = deadline_ns / NS_PER_S,
		.tv_nsec = deadline_ns % NS_PER_S,
	};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR) {
		if (stop && *stop)
			return;
	}
}

int64_t clock_thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}
