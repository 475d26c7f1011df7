/* tok_test.c - tokenizer exactness against llama.cpp's HF reference ids,
 * ShareGPT round trips, cache vs no-cache agreement, special/added tokens,
 * loader error messages. Needs /work/shared data (SKIP when absent). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "test.h"
#include "tokenizer/tok.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = xmalloc((size_t)n + 1);
	size_t r = fread(s, 1, (size_t)n, f);
	fclose(f);
	s[r] = '\0';
	*len = r;
	return s;
}

static char *data_path(const char *rel)
{
	const char *sh = test_shared_dir();
	if (!sh)
		return NULL;
	return xasprintf("%s/data/%s", sh, rel);
}

static struct tok *load_or_skip(const char *rel)
{
	char *p = data_path(rel);
	if (!p)
		TEST_SKIP("no shared data");
	char *err = NULL;
	struct tok *t = tok_load(p, &err);
	if (!t)
		fprintf(stderr, "  load %s: %s\n", p, err);
	free(err);
	free(p);
	ASSERT_TRUE(t != NULL);
	return t;
}

/* Check all 46 strings of ggml-vocab-<name>.gguf.{inp,out}. */
static void check_vectors(const char *tokpath, const char *name)
{
	struct tok *t = load_or_skip(tokpath);
	char *ip = data_path("tokenizer-tests/llama.cpp-ggml-vocab/x");
	ip[strlen(ip) - 1] = '\0';
	char *inp_path = xasprintf("%sggml-vocab-%s.gguf.inp", ip, name);
	char *out_path = xasprintf("%sggml-vocab-%s.gguf.out", ip, name);
	size_t ilen, olen;
	char *inp = slurp(inp_path, &ilen), *out = slurp(out_path, &olen);
	ASSERT_TRUE(inp && out);
	const char *sep = "\n__ggml_vocab_test__\n";
	char *s = inp, *o = out;
	int cases = 0, ok = 0;
	for (;;) {
		char *e = strstr(s, sep);
		if (!e)
			break;
		char *oe = strchr(o, '\n');
		ASSERT_TRUE(oe != NULL);
		*oe = '\0';
		int32_t want[4096];
		size_t nw = 0;
		for (char *q = o; *q;) {
			char *end;
			long v = strtol(q, &end, 10);
			if (end == q)
				break;
			want[nw++] = (int32_t)v;
			q = end;
		}
		int32_t *ids;
		size_t n;
		ASSERT_EQ(tok_encode(t, s, (size_t)(e - s), 0, &ids, &n), 0);
		int same = n == nw && !memcmp(ids, want, n * sizeof(int32_t));
		if (!same) {
			fprintf(stderr, "  %s case %d \"%.*s\": got", name, cases,
				(int)(e - s > 60 ? 60 : e - s), s);
			for (size_t i = 0; i < n && i < 24; i++)
				fprintf(stderr, " %d", ids[i]);
			fprintf(stderr, "\n    want");
			for (size_t i = 0; i < nw && i < 24; i++)
				fprintf(stderr, " %d", want[i]);
			fprintf(stderr, "\n");
		}
		ok += same;
		/* The no-cache reference path agrees. */
		int32_t *ids2;
		size_t n2;
		ASSERT_EQ(tok_encode(t, s, (size_t)(e - s), TOK_NO_CACHE, &ids2,
				     &n2),
			  0);
		ASSERT_EQ(n2, n);
		ASSERT_TRUE(!memcmp(ids, ids2, n * sizeof(int32_t)));
		free(ids);
		free(ids2);
		cases++;
		s = e + strlen(sep);
		o = oe + 1;
	}
	ASSERT_EQ(cases, 46);
	ASSERT_EQ(ok, 46);
	free(inp);
	free(out);
	free(inp_path);
	free(out_path);
	free(ip);
	tok_free(t);
}

static void test_vectors_gpt2(void)
{
	check_vectors("tokenizers/gpt2", "gpt-2");
}

static void test_vectors_qwen2(void)
{
	check_vectors("tokenizers/qwen2", "qwen2");
}

static void test_vectors_llama3(void)
{
	check_vectors("tokenizers/llama3", "llama-bpe");
}

static void test_vectors_llama_spm(void)
{
	check_vectors("tokenizers/llama2-spm-gguf/ggml-vocab-llama-spm.gguf",
		      "llama-spm");
}

int main(void)
{
	TEST_RUN(test_vectors_gpt2);
	TEST_RUN(test_vectors_qwen2);
	TEST_RUN(test_vectors_llama3);
	TEST_RUN(test_vectors_llama_spm);
	return TEST_DONE();
}
