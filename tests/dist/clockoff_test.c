/* clockoff_test.c - the ping-pong offset estimator. */
#include "dist/clockoff.h"

#include <errno.h>

#include "test.h"

/* A remote clock 5 ms ahead, symmetric 40 us legs: exact offset. */
static void test_symmetric(void)
{
	struct clockoff_sample s[5];
	for (int i = 0; i < 5; i++) {
		s[i].t_send_ns = 1000000 + i * 100000;
		s[i].t_remote_ns = s[i].t_send_ns + 40000 + 5000000;
		s[i].t_recv_ns = s[i].t_send_ns + 80000;
	}
	int64_t off, rtt;
	ASSERT_EQ(clockoff_estimate(s, 5, &off, &rtt), 0);
	ASSERT_EQ(off, 5000000);
	ASSERT_EQ(rtt, 80000);
}

/* Two delayed rounds (a slow return leg) do not move the median. */
static void test_outliers(void)
{
	struct clockoff_sample s[7];
	for (int i = 0; i < 7; i++) {
		int64_t back = i < 2 ? 3000000 : 10000; /* 3 ms stalls */
		s[i].t_send_ns = 0;
		s[i].t_remote_ns = 10000 - 2000; /* remote 2 us behind */
		s[i].t_recv_ns = 10000 + back;
	}
	int64_t off, rtt;
	ASSERT_EQ(clockoff_estimate(s, 7, &off, &rtt), 0);
	ASSERT_EQ(off, -2000);
	ASSERT_EQ(rtt, 20000);
}

/* Negative remote offsets and large clock values (monotonic vs epoch). */
static void test_epoch_vs_monotonic(void)
{
	struct clockoff_sample s = {.t_send_ns = 123456789,
				    .t_remote_ns = 1700000000000000000LL,
				    .t_recv_ns = 123456789 + 30};
	int64_t off, rtt;
	ASSERT_EQ(clockoff_estimate(&s, 1, &off, &rtt), 0);
	ASSERT_EQ(off, 1700000000000000000LL - (123456789 + 15));
	ASSERT_EQ(rtt, 30);
}

static void test_rejects(void)
{
	struct clockoff_sample s = {.t_send_ns = 10, .t_remote_ns = 0,
				    .t_recv_ns = 5};
	int64_t off, rtt;
	ASSERT_EQ(clockoff_estimate(&s, 1, &off, &rtt), -EINVAL);
	ASSERT_EQ(clockoff_estimate(&s, 0, &off, &rtt), -EINVAL);
	ASSERT_EQ(clockoff_estimate(&s, CLOCKOFF_MAX_ROUNDS + 1, &off, &rtt),
		  -EINVAL);
}

int main(void)
{
	TEST_RUN(test_symmetric);
	TEST_RUN(test_outliers);
	TEST_RUN(test_epoch_vs_monotonic);
	TEST_RUN(test_rejects);
	return TEST_DONE();
}
