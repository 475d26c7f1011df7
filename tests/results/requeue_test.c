/* requeue_test.c - periodic stall check (results/requeue.c) on synthetic
 * timelines: a TGI-like stall at every 1024th token is found, a smooth
 * stream is not, multi-token chunks and unknown counts are handled. */
#include "results/requeue.h"
#include "test.h"

#define MS 1000000LL

/* n tokens, k per chunk, itl per token; extra stall before the chunk
 * that holds token period*j+1. */
static void mk(struct rec *r, uint32_t id, int n, int k, int64_t itl_ns,
	       int period, int64_t stall_ns, int unknown)
{
	rec_init(r, id);
	int64_t t = 50 * MS;
	int sent = 0;
	while (sent < n) {
		int c = sent == 0 ? 1 : k;
		if (c > n - sent)
			c = n - sent;
		if (sent)
			t += itl_ns * c;
		if (period && sent > 0 &&
		    (sent + c - 1) / period != (sent - 1) / period)
			t += stall_ns;
		rec_push_event(r, t, unknown ? -1 : c, 4);
		sent += c;
	}
	r->completion_tokens = n;
	rec_set_outcome(r, REC_OK, NULL);
}

static void test_stall_found(void)
{
	struct rec r[3];
	struct requeue_check c;
	mk(&r[0], 0, 2100, 1, 10 * MS / 10, 1024, 80 * MS, 0); /* 2 stalls */
	mk(&r[1], 1, 1500, 1, 1 * MS, 1024, 80 * MS, 0);        /* 1 stall */
	mk(&r[2], 2, 500, 1, 1 * MS, 1024, 80 * MS, 0);         /* none */
	ASSERT_EQ(requeue_check(r, 3, 1024, &c), 0);
	ASSERT_EQ(c.n_requests, 2);
	ASSERT_EQ(c.n_boundaries, 3);
	ASSERT_NEAR(c.itl_median_s, 0.001, 1e-9);
	ASSERT_NEAR(c.gap_mean_s, 0.081, 1e-9);
	ASSERT_NEAR(c.stall_mean_s, 0.080, 1e-9);
	ASSERT_TRUE(c.detected);
	for (int i = 0; i < 3; i++)
		rec_free(&r[i]);
}

static void test_smooth_and_chunks(void)
{
	struct rec r[2];
	struct requeue_check c;
	/* 4 tokens per chunk: the boundary falls inside chunks; no stall */
	mk(&r[0], 0, 3000, 4, 1 * MS, 0, 0, 0);
	mk(&r[1], 1, 3000, 4, 1 * MS, 0, 0, 1); /* counts unknown */
	ASSERT_EQ(requeue_check(r, 2, 1024, &c), 0);
	ASSERT_EQ(c.n_requests, 1);
	ASSERT_EQ(c.n_boundaries, 2);
	ASSERT_EQ(c.n_unknown, 1);
	ASSERT_NEAR(c.gap_mean_s, 0.004, 1e-9); /* one 4-token chunk */
	ASSERT_TRUE(!c.detected);
	rec_free(&r[0]);
	/* a stall with multi-token chunks is still found */
	mk(&r[0], 0, 3000, 4, 1 * MS, 1024, 60 * MS, 0);
	ASSERT_EQ(requeue_check(r, 1, 1024, &c), 0);
	ASSERT_EQ(c.n_boundaries, 2);
	ASSERT_TRUE(c.detected);
	ASSERT_TRUE(requeue_check(r, 1, 0, &c) < 0);
	rec_free(&r[0]);
	rec_free(&r[1]);
}

int main(void)
{
	TEST_RUN(test_stall_found);
	TEST_RUN(test_smooth_and_chunks);
	return TEST_DONE();
}
