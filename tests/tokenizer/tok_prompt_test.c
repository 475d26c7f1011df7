/* tok_prompt_test.c - exact-length prompts: property test (random target
 * lengths in [1, 32768] per tokenizer, cut from ShareGPT text), a short
 * corpus that must be repeated (sonnet), vLLM-style random-token prompts,
 * and the lossy UTF-8 repair. Needs /work/shared (SKIP when absent).
 *
 * Counts: TOK_PROPERTY_N target lengths per tokenizer (default 10,000; 1,000
 * under a sanitizer build or when SANITIZE_BUILD is set). Every prompt is
 * checked by the generator's exact block count; every TOK_PROPERTY_EVERY-th
 * one (default 8) is also re-encoded whole by tok_count and must match.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/rng.h"
#include "core/xmalloc.h"
#include "test.h"
#include "tokenizer/tok.h"
#include "tokenizer/tok_prompt.h"

#if defined(__SANITIZE_ADDRESS__)
#define SAN_BUILD 1
#else
#define SAN_BUILD 0
#endif

static const char *tok_paths[] = {
	"tokenizers/gpt2",
	"tokenizers/qwen2",
	"tokenizers/llama3",
	"tokenizers/mistral-7b-v0.1/tokenizer.json",
	"tokenizers/llama2-spm-gguf/ggml-vocab-llama-spm.gguf",
};
#define N_TOKS (sizeof(tok_paths) / sizeof(tok_paths[0]))

static struct tok *load(const char *rel)
{
	const char *sh = test_shared_dir();
	if (!sh)
		TEST_SKIP("no shared data");
	char *p = xasprintf("%s/data/%s", sh, rel), *err = NULL;
	struct tok *t = tok_load(p, &err);
	if (!t)
		fprintf(stderr, "  %s: %s\n", p, err);
	free(p);
	free(err);
	ASSERT_TRUE(t != NULL);
	return t;
}

/* All ShareGPT turns joined by "\n" (caller frees). */
static char *sharegpt_text(size_t *len)
{
	const char *sh = test_shared_dir();
	char *p = xasprintf("%s/data/prompts/sharegpt/sharegpt_samples_1024.json",
			    sh);
	json_error_t je;
	json_t *root = json_load_file(p, 0, &je);
	free(p);
	if (!root)
		return NULL;
	struct buf b;
	buf_init(&b, 0);
	size_t i, j;
	json_t *c, *turn;
	json_array_foreach(root, i, c)
		json_array_foreach(json_object_get(c, "conversations"), j, turn)
	{
		json_t *v = json_object_get(turn, "value");
		if (json_is_string(v)) {
			buf_append(&b, json_string_value(v), json_string_length(v));
			buf_append(&b, "\n", 1);
		}
	}
	json_decref(root);
	*len = b.len;
	return buf_take(&b);
}

static long env_long(const char *name, long def)
{
	const char *s = getenv(name);
	return s && *s ? strtol(s, NULL, 10) : def;
}

static void test_exact_length_property(void)
{
	if (!test_shared_dir())
		TEST_SKIP("no shared data");
	int san = SAN_BUILD || getenv("SANITIZE_BUILD");
	long n_targets = env_long("TOK_PROPERTY_N", san ? 1000 : 10000);
	long every = env_long("TOK_PROPERTY_EVERY", 8);
	size_t len;
	char *text = sharegpt_text(&len);
	ASSERT_TRUE(text != NULL);
	for (size_t k = 0; k < N_TOKS; k++) {
		int64_t t0 = clock_now_ns();
		struct tok *t = load(tok_paths[k]);
		char *err = NULL;
		struct tok_corpus *c = tok_corpus_new(t, text, len, 32768, &err);
		if (!c)
			fprintf(stderr, "  corpus: %s\n", err);
		ASSERT_TRUE(c != NULL);
		ASSERT_TRUE(tok_corpus_max_len(c) >= 32768);
		struct rng r;
		rng_seed(&r, 42 + k);
		struct buf b;
		buf_init(&b, 0);
		long full = 0;
		for (long i = 0; i < n_targets; i++) {
			int32_t target = (int32_t)rng_int(&r, 1, 32768);
			buf_reset(&b);
			int rc = tok_prompt_exact(c, &r, target, &b);
			if (rc)
				fprintf(stderr, "  %s: target %d: rc %d\n",
					tok_paths[k], target, rc);
			ASSERT_EQ(rc, 0);
			if (i % every == 0 || target <= 64) {
				long long n = tok_count(t, b.data, b.len, 0);
				if (n != target)
					fprintf(stderr, "  %s: \"%.80s\"...\n",
						tok_paths[k], b.data);
				ASSERT_EQ(n, target);
				full++;
			}
		}
		fprintf(stderr, "  %-50s %ld targets, %ld re-encoded whole, "
				"%.1f s\n",
			tok_paths[k], n_targets, full,
			(double)(clock_now_ns() - t0) / 1e9);
		buf_free(&b);
		tok_corpus_free(c);
		tok_free(t);
	}
	free(text);
}

static void test_short_corpus_repeats(void)
{
	const char *sh = test_shared_dir();
	if (!sh)
		TEST_SKIP("no shared data");
	char *p = xasprintf("%s/data/prompts/sonnet/sonnet.txt", sh);
	FILE *f = fopen(p, "rb");
	free(p);
	ASSERT_TRUE(f != NULL);
	char *text = xmalloc(1 << 20);
	size_t len = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	struct tok *t = load(tok_paths[4]);
	char *err = NULL;
	struct tok_corpus *c = tok_corpus_new(t, text, len, 20000, &err);
	ASSERT_TRUE(c != NULL);
	ASSERT_TRUE(tok_corpus_max_len(c) >= 20000);
	struct rng r;
	rng_seed(&r, 7);
	struct buf b;
	buf_init(&b, 0);
	int32_t targets[] = {1, 2, 3, 17, 1000, 19999, 20000};
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		buf_reset(&b);
		ASSERT_EQ(tok_prompt_exact(c, &r, targets[i], &b), 0);
		ASSERT_EQ(tok_count(t, b.data, b.len, 0), targets[i]);
	}
	buf_reset(&b);
	ASSERT_EQ(tok_prompt_exact(c, &r, 0, &b), -ERANGE);
	ASSERT_EQ(tok_prompt_exact(c, &r, tok_corpus_max_len(c) + 1, &b),
		  -ERANGE);
	buf_free(&b);
	tok_corpus_free(c);
	ASSERT_TRUE(tok_corpus_new(t, "", 0, 10, &err) == NULL);
	ASSERT_TRUE(err != NULL);
	free(err);
	tok_free(t);
	free(text);
}

static void test_random_prompts(void)
{
	if (!test_shared_dir())
		TEST_SKIP("no shared data");
	int san = SAN_BUILD || getenv("SANITIZE_BUILD");
	for (size_t k = 0; k < N_TOKS; k++) {
		struct tok *t = load(tok_paths[k]);
		struct rng r;
		rng_seed(&r, 1234);
		struct buf b;
		buf_init(&b, 0);
		int n = san ? 10 : 60;
		for (int i = 0; i < n; i++) {
			int32_t target = (int32_t)rng_int(&r, 1, 4096);
			int64_t offset = rng_int(&r, 0, 1 << 20);
			buf_reset(&b);
			int rc = tok_prompt_random(t, &r, offset, i, target, &b);
			ASSERT_EQ(rc, 0);
			ASSERT_EQ(tok_count(t, b.data, b.len, 0), target);
		}
		/* Same offset/index/length and rng seed: same text. */
		struct rng r1, r2;
		rng_seed(&r1, 5);
		rng_seed(&r2, 5);
		struct buf b2;
		buf_init(&b2, 0);
		buf_reset(&b);
		ASSERT_EQ(tok_prompt_random(t, &r1, 99, 3, 500, &b), 0);
		ASSERT_EQ(tok_prompt_random(t, &r2, 99, 3, 500, &b2), 0);
		ASSERT_EQ(b.len, b2.len);
		ASSERT_TRUE(!memcmp(b.data, b2.data, b.len));
		buf_free(&b2);
		buf_free(&b);
		tok_free(t);
	}
}

static void test_utf8_lossy(void)
{
	struct buf b;
	buf_init(&b, 0);
	/* valid, truncated 3-byte, lone continuation, surrogate, valid */
	buf_append(&b, "a\xe2\x82" "b\x80\xed\xa0\x80\xc3\xa9", 10);
	ASSERT_EQ(tok_utf8_lossy(&b, 0), 0);
	const char *want = "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
			   "\xef\xbf\xbd\xc3\xa9";
	ASSERT_EQ(b.len, strlen(want));
	ASSERT_TRUE(!memcmp(b.data, want, b.len));
	buf_free(&b);
}

int main(void)
{
	TEST_RUN(test_utf8_lossy);
	TEST_RUN(test_short_corpus_repeats);
	TEST_RUN(test_random_prompts);
	TEST_RUN(test_exact_length_property);
	return TEST_DONE();
}
