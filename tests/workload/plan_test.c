/* plan_test.c - the workload plan: the old length rule, exact prompt
 * lengths with real tokenizers (random, sonnet, prefixes, ids, Mooncake
 * blocks), trace selection and scaling, ShareGPT counting, the server
 * counter fit, and file errors. */
#include "workload/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/rng.h"
#include "test.h"
#include "tokenizer/tok.h"
#include "workload/prompt.h"

static char path_buf[8192];

static const char *data_path(const char *rel)
{
	const char *sh = test_shared_dir();
	if (!sh)
		return NULL;
	snprintf(path_buf, sizeof(path_buf), "%s/data/%s", sh, rel);
	return path_buf;
}

static struct tok *load_tok(const char *name)
{
	char rel[256];
	snprintf(rel, sizeof(rel), "tokenizers/%s", name);
	const char *p = data_path(rel);
	if (!p)
		return NULL;
	char *err = NULL;
	struct tok *t = tok_load(p, &err);
	if (!t)
		fprintf(stderr, "tok_load %s: %s\n", p, err);
	free(err);
	return t;
}

static void base_cfg(struct plan_config *c, const char *in, const char *out)
{
	const char *why;
	memset(c, 0, sizeof(*c));
	dist_parse(in, &c->in_dist, &why);
	dist_parse(out, &c->out_dist, &why);
	c->seed = 7;
	c->num_requests = 40;
	c->win_end_s = -1;
	c->speedup = c->rate_scale = 1;
	c->threads = 2;
}

static struct plan *make(const struct plan_config *c, int32_t ctx,
			 int prompts)
{
	struct plan *p = NULL;
	char *err = NULL;
	if (plan_new(c, &p, &err) || plan_prepare(p, ctx, prompts, &err))
		TEST_FAIL_("plan: %s", err ? err : "?");
	return p;
}

static int32_t count(struct tok *t, const struct plan_prompt *pr, int flags)
{
	if (pr->ids)
		return (int32_t)pr->n_ids;
	long long n = tok_count(t, pr->text, pr->text_len, flags);
	return (int32_t)n;
}

/* Lengths and synthetic prompts exactly as engine/run.c made them before
 * the plan existed. */
static void test_dist_rule(void)
{
	struct plan_config c;
	base_cfg(&c, "uniform:5:200", "uniform:1:12");
	struct plan *p = make(&c, 0, 0);
	struct plan_scratch sc;
	plan_scratch_init(&sc);
	for (int warm = 0; warm < 2; warm++)
		for (long long id = 0; id < 30; id++) {
			struct rng base, r;
			rng_seed(&base, 7);
			rng_fork(&base,
				 (uint64_t)id + (warm ? PLAN_WARMUP_STREAM : 0),
				 &r);
			int32_t in = dist_sample(&c.in_dist, &r);
			int32_t out = dist_sample(&c.out_dist, &r);
			int32_t a, b;
			plan_lengths(p, id, warm, &a, &b);
			ASSERT_EQ(a, in);
			ASSERT_EQ(b, out);
			struct buf want;
			buf_init(&want, 0);
			prompt_synth(&r, in, &want);
			struct plan_prompt pr;
			char *err = NULL;
			ASSERT_EQ(plan_prompt(p, id, warm, &sc, &pr, &err), 0);
			ASSERT_STR_EQ(pr.text, want.data);
			buf_free(&want);
		}
	ASSERT_STR_EQ(plan_stats(p)->source, "synthetic");
	ASSERT_EQ(plan_stats(p)->exact, 0);
	ASSERT_TRUE(plan_arrivals(p) == NULL);
	plan_scratch_free(&sc);
	plan_free(p);
}

/* vLLM random with a BOS-adding tokenizer (Llama-3) and without (Qwen2):
 * text prompts + specials encode to exactly in_len. */
static void test_random_exact(void)
{
	const char *names[] = {"qwen2", "llama3"};
	for (int k = 0; k < 2; k++) {
		struct tok *t = load_tok(names[k]);
		if (!t)
			TEST_SKIP("no shared tokenizers");
		struct plan_config c;
		base_cfg(&c, "100", "8");
		c.tok = t;
		c.range_ratio = 0.5;
		struct plan *p = make(&c, 4096, 1);
		const struct plan_stats *st = plan_stats(p);
		ASSERT_STR_EQ(st->source, "random");
		ASSERT_EQ(st->n_special, k == 1 ? 1 : 0);
		ASSERT_EQ(st->prompts_cached, 40);
		int32_t lo = 1000, hi = 0;
		struct plan_scratch sc;
		plan_scratch_init(&sc);
		for (long long id = 0; id < 40; id++) {
			int32_t in, out;
			plan_lengths(p, id, 0, &in, &out);
			/* L_real = 100 - specials, +-50 % */
			ASSERT_TRUE(in >= 50 && in <= 151);
			ASSERT_TRUE(out >= 4 && out <= 12);
			lo = in < lo ? in : lo;
			hi = in > hi ? in : hi;
			struct plan_prompt pr;
			char *err = NULL;
			ASSERT_EQ(plan_prompt(p, id, 0, &sc, &pr, &err), 0);
			ASSERT_EQ(count(t, &pr, TOK_ADD_SPECIAL), in);
		}
		ASSERT_TRUE(hi - lo > 30); /* the range is used */
		plan_scratch_free(&sc);
		plan_free(p);
		tok_free(t);
	}
}

/* Sonnet cuts with shared prefixes: exact lengths, identical first N
 * tokens within a group, different across groups; text and ids modes. */
static void test_sonnet_prefix(void)
{
	struct tok *t = load_tok("qwen2");
	if (!t)
		TEST_SKIP("no shared tokenizers");
	for (int ids = 0; ids < 2; ids++) {
		struct plan_config c;
		base_cfg(&c, "uniform:20:300", "8");
		c.tok = t;
		c.mode = ids ? PLAN_MODE_IDS : PLAN_MODE_TEXT;
		c.dataset = "sonnet";
		c.dataset_path = data_path("prompts/sonnet/sonnet.txt");
		c.prefix_len = 64;
		c.num_prefixes = 3;
		c.num_requests = 30;
		struct plan *p = make(&c, 4096, 1);
		ASSERT_STR_EQ(plan_stats(p)->text, "corpus");
		int32_t *first[30];
		struct plan_scratch sc;
		plan_scratch_init(&sc);
		for (long long id = 0; id < 30; id++) {
			int32_t in, out;
			plan_lengths(p, id, 0, &in, &out);
			ASSERT_TRUE(in >= 84 && in <= 364);
			struct plan_prompt pr;
			char *err = NULL;
			ASSERT_EQ(plan_prompt(p, id, 0, &sc, &pr, &err), 0);
			int32_t *v;
			size_t n;
			if (ids) {
				ASSERT_TRUE(pr.ids && !pr.text);
				n = pr.n_ids;
				v = malloc(n * sizeof(*v));
				memcpy(v, pr.ids, n * sizeof(*v));
			} else {
				ASSERT_EQ(tok_encode(t, pr.text, pr.text_len, 0,
						     &v, &n),
					  0);
			}
			ASSERT_EQ(n, in);
			first[id] = v;
		}
		for (int id = 3; id < 30; id++)
			ASSERT_TRUE(!memcmp(first[id], first[id % 3],
					    64 * sizeof(int32_t)));
		ASSERT_TRUE(memcmp(first[0], first[1], 64 * sizeof(int32_t)));
		ASSERT_TRUE(memcmp(first[1], first[2], 64 * sizeof(int32_t)));
		/* the suffixes differ */
		ASSERT_TRUE(memcmp(first[0] + 64, first[3] + 64,
				   16 * sizeof(int32_t)));
		for (int id = 0; id < 30; id++)
			free(first[id]);
		plan_scratch_free(&sc);
		plan_free(p);
	}
	tok_free(t);
}

/* Mooncake replay: arrivals = the trace's ms; with a tokenizer every
 * prompt is exactly input_length tokens and equal leading hash ids give
 * equal leading 512-token blocks. */
static void test_mooncake(void)
{
	struct tok *t = load_tok("qwen2");
	if (!t)
		TEST_SKIP("no shared tokenizers");
	struct plan_config c;
	base_cfg(&c, "1", "1");
	c.tok = t;
	c.trace = 1;
	c.trace_fmt = TRACE_MOONCAKE;
	c.trace_path = data_path("traces/mooncake-fast25/conversation_trace.jsonl");
	c.win_end_s = 6;
	struct plan *p = make(&c, 0, 1);
	const struct plan_stats *st = plan_stats(p);
	const int64_t *arr = plan_arrivals(p);
	ASSERT_TRUE(arr != NULL);
	ASSERT_EQ(st->rows_read, 12031);
	ASSERT_STR_EQ(st->text, "hash-blocks");
	/* rows with timestamp < 6000 ms in the file: checked with jq */
	ASSERT_EQ(plan_count(p), st->rows_in_window);
	ASSERT_TRUE(plan_count(p) > 10 && plan_count(p) < 60);
	struct plan_scratch sc;
	plan_scratch_init(&sc);
	int32_t *v0 = NULL;
	size_t n0 = 0, shared = 0;
	for (long long id = 0; id < plan_count(p); id++) {
		int32_t in, out;
		plan_lengths(p, id, 0, &in, &out);
		struct plan_prompt pr;
		char *err = NULL;
		ASSERT_EQ(plan_prompt(p, id, 0, &sc, &pr, &err), 0);
		int32_t *v;
		size_t n;
		ASSERT_EQ(tok_encode(t, pr.text, pr.text_len, 0, &v, &n), 0);
		ASSERT_EQ(n, in);
		if (!id) {
			v0 = v;
			n0 = n;
			continue;
		}
		/* requests 0 and 1..2 start with hash id 0 (file rows 1-3) */
		if (id <= 2) {
			ASSERT_TRUE(n0 >= 512 && n >= 512);
			ASSERT_TRUE(!memcmp(v, v0, 512 * sizeof(int32_t)));
			ASSERT_TRUE(memcmp(v + 512, v0 + 512,
					   16 * sizeof(int32_t)));
			shared++;
		}
		free(v);
	}
	ASSERT_EQ(shared, 2);
	free(v0);
	ASSERT_EQ(arr[0], 0);
	plan_scratch_free(&sc);
	plan_free(p);
	tok_free(t);
}

static void test_trace_scaling(void)
{
	if (!test_shared_dir())
		TEST_SKIP("no shared data");
	struct plan_config c;
	base_cfg(&c, "1", "1");
	c.trace = 1;
	c.trace_fmt = TRACE_MOONCAKE;
	c.trace_path = data_path("traces/mooncake-fast25/synthetic_trace.jsonl");
	struct plan *all = make(&c, 0, 0);
	long long n_all = plan_count(all);
	ASSERT_EQ(n_all, 3993);
	const int64_t *a = plan_arrivals(all);
	ASSERT_EQ(a[n_all - 1], 1022025LL * 1000000); /* SOURCE.md */

	c.speedup = 4;
	struct plan *fast = make(&c, 0, 0);
	for (long long i = 0; i < n_all; i++)
		ASSERT_NEAR(plan_arrivals(fast)[i], (double)a[i] / 4, 1);
	ASSERT_NEAR(plan_stats(fast)->span_s, 1022.025 / 4, 1e-6);
	plan_free(fast);

	c.speedup = 1;
	c.win_start_s = 100;
	c.win_end_s = 200;
	struct plan *win = make(&c, 0, 0);
	size_t want = 0;
	long long first = -1;
	for (long long i = 0; i < n_all; i++)
		if (a[i] >= 100000000000LL && a[i] < 200000000000LL) {
			want++;
			if (first < 0)
				first = i;
		}
	ASSERT_EQ(plan_count(win), want);
	ASSERT_EQ(plan_arrivals(win)[0], 0);
	ASSERT_EQ(plan_arrivals(win)[1], a[first + 1] - a[first]);
	plan_free(win);

	c.win_start_s = 0;
	c.win_end_s = -1;
	c.rate_scale = 2;
	struct plan *dbl = make(&c, 0, 0);
	ASSERT_EQ(plan_count(dbl), 2 * n_all);
	ASSERT_EQ(plan_arrivals(dbl)[1], plan_arrivals(dbl)[0]);
	plan_free(dbl);
	c.rate_scale = 0.5;
	struct plan *half = make(&c, 0, 0);
	ASSERT_NEAR((double)plan_count(half) / (double)n_all, 0.5, 0.05);
	plan_free(half);

	/* truncation to a 16k context: counted, lengths fit */
	c.rate_scale = 1;
	c.num_given = 1;
	c.num_requests = 500;
	struct plan *tr = make(&c, 16384, 0);
	ASSERT_EQ(plan_count(tr), 500);
	size_t over = 0;
	for (long long i = 0; i < 500; i++) {
		int32_t in0, out0, in, out;
		plan_lengths(all, i, 0, &in0, &out0);
		plan_lengths(tr, i, 0, &in, &out);
		if (in0 + out0 > 16384) {
			over++;
			ASSERT_TRUE(in + out <= 16384 && in >= 1 && out >= 1);
		} else {
			ASSERT_EQ(in, in0);
			ASSERT_EQ(out, out0);
		}
	}
	ASSERT_TRUE(over > 0);
	ASSERT_EQ(plan_stats(tr)->truncated, over);
	plan_free(tr);
	plan_free(all);
}

static void test_burstgpt(void)
{
	if (!test_shared_dir())
		TEST_SKIP("no shared data");
	struct plan_config c;
	base_cfg(&c, "1", "1");
	c.trace = 1;
	c.trace_fmt = TRACE_BURSTGPT;
	c.trace_path = data_path("traces/burstgpt/BurstGPT_1_first400.csv");
	c.mode = PLAN_MODE_IDS;
	struct plan *p = make(&c, 0, 1);
	const struct plan_stats *st = plan_stats(p);
	ASSERT_EQ(st->rows_read, 400);
	ASSERT_EQ(st->rows_failed, 17);
	ASSERT_EQ(st->rows_zero, 0);
	ASSERT_EQ(plan_count(p), 383);
	ASSERT_STR_EQ(st->text, "random-ids");
	/* ids without a tokenizer: exact by construction */
	struct plan_scratch sc;
	plan_scratch_init(&sc);
	for (long long id = 0; id < 383; id += 37) {
		int32_t in, out;
		plan_lengths(p, id, 0, &in, &out);
		struct plan_prompt pr;
		char *err = NULL;
		ASSERT_EQ(plan_prompt(p, id, 0, &sc, &pr, &err), 0);
		ASSERT_EQ(pr.n_ids, in);
		ASSERT_TRUE(pr.ids[0] >= 1000 && pr.ids[0] < 30000);
	}
	plan_scratch_free(&sc);
	plan_free(p);
}

static void test_sharegpt(void)
{
	struct tok *t = load_tok("qwen2");
	if (!t)
		TEST_SKIP("no shared tokenizers");
	struct plan_config c;
	base_cfg(&c, "1", "1");
	c.tok = t;
	c.dataset = "sharegpt";
	c.dataset_path = data_path("prompts/sharegpt/sharegpt_samples_1024.json");
	c.num_requests = 0; /* all */
	struct plan *p = make(&c, 0, 0);
	const struct plan_stats *st = plan_stats(p);
	ASSERT_STR_EQ(st->source, "sharegpt");
	ASSERT_EQ(st->rows_read, 1024);
	ASSERT_EQ(st->rows_kept + st->rows_filtered, 1024);
	ASSERT_TRUE(st->rows_filtered > 0 && st->rows_filtered < 200);
	struct plan_scratch sc;
	plan_scratch_init(&sc);
	for (long long id = 0; id < 50; id++) {
		int32_t in, out;
		plan_lengths(p, id, 0, &in, &out);
		struct plan_prompt pr;
		char *err = NULL;
		ASSERT_EQ(plan_prompt(p, id, 0, &sc, &pr, &err), 0);
		ASSERT_EQ(count(t, &pr, TOK_ADD_SPECIAL), in);
		ASSERT_TRUE(in >= 4 && in <= 1024 && out >= 4 &&
			    in + out <= 2048);
	}
	/* the seed shuffles */
	int32_t a, b, x, y;
	plan_lengths(p, 0, 0, &a, &b);
	c.seed = 8;
	struct plan *q = make(&c, 0, 0);
	plan_lengths(q, 0, 0, &x, &y);
	ASSERT_TRUE(a != x || b != y);
	plan_free(q);
	plan_scratch_free(&sc);
	plan_free(p);
	tok_free(t);
}

/* A stand-in server: whitespace words, each "value" counting 2, plus a
 * 3-token template. */
static int fake_count(void *ud, const char *text, size_t len, int32_t *n,
		      char **err)
{
	(void)err;
	(*(int *)ud)++;
	int32_t c = 3;
	size_t i = 0;
	while (i < len) {
		while (i < len && text[i] == ' ')
			i++;
		size_t s = i;
		while (i < len && text[i] != ' ')
			i++;
		if (i > s)
			c += (i - s == 5 && !memcmp(text + s, "value", 5)) ? 2 : 1;
	}
	*n = c;
	return 0;
}

static int32_t fake(const char *t)
{
	int calls = 0;
	int32_t n;
	fake_count(&calls, t, strlen(t), &n, NULL);
	return n;
}

static void test_server_fit(void)
{
	int calls = 0;
	struct plan_counter pc = {fake_count, &calls};
	struct plan_config c;
	base_cfg(&c, "uniform:10:300", "4");
	c.mode = PLAN_MODE_SERVER;
	c.server = &pc;
	c.prefix_len = 20;
	c.num_prefixes = 2;
	struct plan *p = make(&c, 0, 1);
	ASSERT_EQ(plan_stats(p)->fit_inexact, 0);
	ASSERT_TRUE(calls >= 40);
	ASSERT_EQ(plan_stats(p)->counter_calls, calls);
	struct plan_scratch sc;
	plan_scratch_init(&sc);
	struct plan_prompt p0, p2;
	char *err = NULL;
	for (long long id = 0; id < 40; id++) {
		int32_t in, out;
		plan_lengths(p, id, 0, &in, &out);
		struct plan_prompt pr;
		ASSERT_EQ(plan_prompt(p, id, 0, &sc, &pr, &err), 0);
		ASSERT_EQ(fake(pr.text), in);
	}
	/* prompts are precomputed: pointers stay valid */
	ASSERT_EQ(plan_prompt(p, 0, 0, &sc, &p0, &err), 0);
	ASSERT_EQ(plan_prompt(p, 2, 0, &sc, &p2, &err), 0);
	ASSERT_TRUE(!strncmp(p0.text, p2.text, 40)); /* same prefix group */
	plan_scratch_free(&sc);
	plan_free(p);
	/* open-ended runs cannot be fitted in advance */
	c.num_requests = 0;
	struct plan *q = NULL;
	ASSERT_EQ(plan_new(&c, &q, &err), 0);
	ASSERT_TRUE(plan_prepare(q, 0, 1, &err) < 0);
	ASSERT_TRUE(strstr(err, "needs a request count") != NULL);
	free(err);
	plan_free(q);
}

static char *write_tmp(const char *body)
{
	char *path = strdup("/tmp/plan_test_XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, body, strlen(body)) != (ssize_t)strlen(body))
		TEST_FAIL_("mkstemp");
	close(fd);
	return path;
}

static void expect_fail(struct plan_config *c, const char *want)
{
	struct plan *p = NULL;
	char *err = NULL;
	int rc = plan_new(c, &p, &err);
	if (!rc)
		rc = plan_prepare(p, 0, 0, &err);
	if (!rc)
		TEST_FAIL_("no error, wanted %s", want);
	if (!err || !strstr(err, want))
		TEST_FAIL_("error '%s' lacks '%s'", err ? err : "", want);
	free(err);
	plan_free(p);
}

static void test_bad_files(void)
{
	struct plan_config c;
	base_cfg(&c, "10", "4");
	char *f = write_tmp("{\"input_len\": 5, \"output_len\": 2}\n"
			    "{\"input_len\": 5, \"output_len\": tw}\n");
	char want[512];
	c.dataset = "jsonl";
	c.dataset_path = f;
	snprintf(want, sizeof(want), "%s:2:", f);
	expect_fail(&c, want);
	unlink(f);
	free(f);
	f = write_tmp("[{\"conversations\": [{\"value\": \"a b c d e\"}, "
		      "{\"value\": \"x");
	c.dataset = "sharegpt";
	c.dataset_path = f;
	c.mode = PLAN_MODE_IDS; /* counted with no tokenizer: refused */
	expect_fail(&c, "--tokenizer");
	c.mode = PLAN_MODE_TEXT;
	struct tok *t = load_tok("gpt2");
	if (t) {
		c.tok = t;
		snprintf(want, sizeof(want), "%s:1:", f);
		expect_fail(&c, want);
		c.tok = NULL;
		tok_free(t);
	}
	unlink(f);
	free(f);
	c.dataset = NULL;
	c.trace = 1;
	c.trace_fmt = TRACE_AZURE;
	c.trace_path = "/nonexistent/trace.csv";
	expect_fail(&c, "/nonexistent/trace.csv: No such file");
	c.trace = 0;
	c.dataset = "sonnet";
	c.dataset_path = "x";
	expect_fail(&c, "needs --tokenizer");
	c.dataset = "tweets";
	expect_fail(&c, "--dataset 'tweets'");
}

int main(void)
{
	TEST_RUN(test_dist_rule);
	TEST_RUN(test_random_exact);
	TEST_RUN(test_sonnet_prefix);
	TEST_RUN(test_mooncake);
	TEST_RUN(test_trace_scaling);
	TEST_RUN(test_burstgpt);
	TEST_RUN(test_sharegpt);
	TEST_RUN(test_server_fit);
	TEST_RUN(test_bad_files);
	return TEST_DONE();
}
