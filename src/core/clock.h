/* clock.h - the one clock every interval is measured with.
 *
 * CLOCK_MONOTONIC in nanoseconds for intervals (anchors.md §5); wall-clock only
 * for labels. Header-only, thread-safe.
 */
#ifndef INFBENCH_CORE_CLOCK_H
#define INFBENCH_CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

#define NS_PER_US 1000LL
#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL

/* Monotonic now in ns. */
static inline int64_t clock_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* Wall-clock now in ns since the epoch (labels only). */
static inline int64_t clock_wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* Sleep until the absolute monotonic deadline (ns); restarts on EINTR unless
 * *stop becomes non-zero. stop may be NULL. */
void clock_sleep_until_ns(int64_t deadline_ns, volatile int *stop);

/* Thread CPU time in ns (for client self-checks). */
int64_t clock_thread_cpu_ns(void);

#endif
