/* record_test.c - the per-request record: outcomes and token counts. */
#include "results/record.h"
#include "test.h"

static void test_outcome_first_wins(void)
{
	struct rec r;
	rec_init(&r, 7);
	ASSERT_EQ(r.prompt_tokens, -1);
	rec_set_outcome(&r, REC_STREAM_ERROR, "boom");
	rec_set_outcome(&r, REC_OK, NULL);
	ASSERT_EQ(r.outcome, REC_STREAM_ERROR);
	ASSERT_STR_EQ(r.error, "boom");
	ASSERT_STR_EQ(rec_outcome_name(REC_TIMEOUT_FIRST_TOKEN),
		      "timeout_first_token");
	rec_free(&r);
}

static void test_out_tokens_rule(void)
{
	struct rec r;
	rec_init(&r, 1);
	enum rec_count_src src;
	for (int i = 0; i < 1000; i++) /* growth */
		rec_push_event(&r, i, -1, 3);
	ASSERT_EQ(r.n_events, 1000);
	/* No usage, unknown deltas: estimate = chunks with text. */
	ASSERT_EQ(rec_out_tokens(&r, -1, &src), 1000);
	ASSERT_EQ(src, REC_COUNT_EVENTS);
	/* A tokenizer count beats the estimate. */
	ASSERT_EQ(rec_out_tokens(&r, 900, &src), 900);
	ASSERT_EQ(src, REC_COUNT_TOKENIZER);
	/* Server usage beats everything. */
	r.completion_tokens = 1234;
	ASSERT_EQ(rec_out_tokens(&r, 900, &src), 1234);
	ASSERT_EQ(src, REC_COUNT_USAGE);
	rec_free(&r);

	rec_init(&r, 2);
	rec_push_event(&r, 1, 0, 0); /* role-only chunk */
	rec_push_event(&r, 2, 2, 4);
	rec_push_event(&r, 3, 3, 4);
	ASSERT_EQ(rec_out_tokens(&r, -1, &src), 5);
	ASSERT_EQ(src, REC_COUNT_CHUNK);
	rec_free(&r);
}

/* Reserved room holds that many events without moving them (no
 * allocation on the per-token path); beyond it the array still grows. */
static void test_reserve_events(void)
{
	struct rec r;
	rec_init(&r, 1);
	rec_reserve_events(&r, 103);
	ASSERT_TRUE(r.cap_events >= 103);
	const struct rec_event *e0 = r.events;
	for (int i = 0; i < 103; i++)
		rec_push_event(&r, i, 1, 1);
	ASSERT_TRUE(r.events == e0);
	rec_reserve_events(&r, 10); /* never shrinks */
	ASSERT_TRUE(r.cap_events >= 103);
	for (int i = 0; i < 1000; i++)
		rec_push_event(&r, 103 + i, 1, 1);
	ASSERT_EQ(r.n_events, 1103);
	ASSERT_EQ(r.events[1102].t_ns, 1102);
	rec_free(&r);
}

int main(void)
{
	TEST_RUN(test_reserve_events);
	TEST_RUN(test_outcome_first_wins);
	TEST_RUN(test_out_tokens_rule);
	return TEST_DONE();
}
