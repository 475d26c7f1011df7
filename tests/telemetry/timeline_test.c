/* timeline_test.c - bounded decimating timeline. */
#include "telemetry/timeline.h"
#include "test.h"

static void test_decimates_evenly(void)
{
	struct tl t;
	tl_init(&t, sizeof(int), 8);
	int kept = 0;
	for (int i = 0; i < 100; i++)
		kept += tl_push(&t, &i);
	ASSERT_TRUE(t.len <= 8 && t.len >= 4);
	ASSERT_EQ(kept >= (int)t.len, 1);
	/* records are pushed indices 0, stride, 2*stride, ... */
	for (size_t i = 0; i < t.len; i++)
		ASSERT_EQ(*(int *)tl_at(&t, i), (long long)(i * t.stride));
	ASSERT_EQ(t.stride, 16);
	ASSERT_EQ(t.decimations, 4);
	tl_free(&t);
}

static void test_odd_cap_and_small(void)
{
	struct tl t;
	tl_init(&t, sizeof(int), 5);
	for (int i = 0; i < 23; i++)
		tl_push(&t, &i);
	for (size_t i = 0; i < t.len; i++)
		ASSERT_EQ(*(int *)tl_at(&t, i), (long long)(i * t.stride));
	ASSERT_TRUE(t.len <= 5);
	tl_free(&t);
	tl_init(&t, sizeof(int), 0);
	ASSERT_EQ(t.cap, TL_DEFAULT_CAP);
	int x = 7;
	ASSERT_EQ(tl_push(&t, &x), 1);
	ASSERT_EQ(*(int *)tl_at(&t, 0), 7);
	tl_free(&t);
	tl_init(&t, sizeof(int), 1);
	ASSERT_EQ(t.cap, 2);
	tl_free(&t);
}

int main(void)
{
	TEST_RUN(test_decimates_evenly);
	TEST_RUN(test_odd_cap_and_small);
	return TEST_DONE();
}
