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

int main(void)
{
	TEST_RUN(test_outcome_first_wins);
	TEST_RUN(test_out_tokens_rule);
	return TEST_DONE();
}
