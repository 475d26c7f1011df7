/* wl_opts_test.c - after a run with a tokenizer: records without a server
 * count get the tokenizer's count of their text (source "tokenizer" in the
 * summary), texts are dropped unless kept, and the prompt overhead
 * (server prompt_tokens - in_len) is measured. */
#include "cli/wl_opts.h"

#include <stdlib.h>
#include <string.h>

#include "results/summary.h"
#include "test.h"

static void add_rec(struct run_output *o, uint32_t id, const char *text,
		    int32_t completion, int32_t prompt)
{
	struct rec *r = &o->recs[o->n++];
	rec_init(r, id);
	r->in_len = 10;
	r->out_len = 16;
	r->prompt_tokens = prompt;
	r->completion_tokens = completion;
	r->t_send_ns = 0;
	rec_push_event(r, 1000000, -1, 5);
	rec_push_event(r, 2000000, -1, 5);
	r->t_done_ns = 2000000;
	r->text = strdup(text);
	r->text_len = strlen(text);
	rec_set_outcome(r, REC_OK, NULL);
}

static void test_tok_counts(void)
{
	const char *sh = test_shared_dir();
	if (!sh)
		TEST_SKIP("no shared data");
	char path[8192];
	snprintf(path, sizeof(path), "%s/data/tokenizers/gpt2", sh);
	struct wl_ctx ctx = {0};
	char *err = NULL;
	ctx.tok = tok_load(path, &err);
	ASSERT_TRUE(ctx.tok != NULL);
	struct run_output out = {0};
	out.recs = calloc(3, sizeof(struct rec));
	/* "Hello world, hello!" is 5 GPT-2 tokens */
	add_rec(&out, 0, "Hello world, hello!", -1, 18);
	add_rec(&out, 1, "Hello world, hello!", 7, 14);
	add_rec(&out, 2, "a b", -1, -1);
	wl_after_run(&ctx, &out, 0);
	ASSERT_EQ(out.tok_counts[0], 5);
	ASSERT_EQ(out.tok_counts[2], 2);
	ASSERT_TRUE(out.recs[0].text == NULL); /* not kept */
	ASSERT_EQ(ctx.tok_counted, 2);          /* rec 1 has a server count */
	ASSERT_EQ(ctx.overhead_n, 2);
	ASSERT_NEAR(ctx.overhead_mean, 6, 1e-9); /* (8 + 4) / 2 */
	struct summary s;
	struct summary_config c;
	summary_config_init(&c);
	ASSERT_EQ(summary_compute(&s, out.recs, out.n, out.tok_counts,
				  1000000000, &c),
		  0);
	ASSERT_EQ(s.per[0].out_tokens, 5);
	ASSERT_EQ(s.per[0].out_src, REC_COUNT_TOKENIZER);
	ASSERT_EQ(s.per[1].out_tokens, 7);
	ASSERT_EQ(s.per[1].out_src, REC_COUNT_USAGE);
	ASSERT_EQ(s.out_src[REC_COUNT_TOKENIZER], 2);
	summary_free(&s);
	run_output_free(&out);
	wl_free(&ctx);
}

static void test_keep_text(void)
{
	struct wl_ctx ctx = {0}; /* no tokenizer: texts untouched */
	struct run_output out = {0};
	out.recs = calloc(1, sizeof(struct rec));
	add_rec(&out, 0, "x y", -1, 12);
	wl_after_run(&ctx, &out, 0);
	ASSERT_TRUE(out.tok_counts == NULL);
	ASSERT_STR_EQ(out.recs[0].text, "x y");
	ASSERT_NEAR(ctx.overhead_mean, 2, 1e-9);
	run_output_free(&out);
}

int main(void)
{
	TEST_RUN(test_tok_counts);
	TEST_RUN(test_keep_text);
	return TEST_DONE();
}
