/* tokenizer_bench.c - single-threaded encode throughput (MB/s) of every
 * shipped tokenizer over the 2,048 ShareGPT turns, cold cache (first pass)
 * and warm (best of the next passes), plus a check that the cached ids
 * equal the reference path (TOK_NO_CACHE: no cache, heap merge for every
 * word) and that decode round-trips (modulo NFC and Mistral's leading
 * space, see docs/internals/TOKENIZER.md).
 * Usage: tokenizer_bench [SHARED_DIR]   (default $SHARED or ../shared)
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/xmalloc.h"
#include "tokenizer/tok.h"

struct text {
	const char *s;
	size_t n;
};

static const struct {
	const char *name, *rel;
} toks[] = {
	{"gpt2", "tokenizers/gpt2"},
	{"qwen2", "tokenizers/qwen2"},
	{"llama3", "tokenizers/llama3"},
	{"mistral", "tokenizers/mistral-7b-v0.1/tokenizer.json"},
	{"llama-spm", "tokenizers/llama2-spm-gguf/ggml-vocab-llama-spm.gguf"},
};

static double pass(struct tok *t, const struct text *tx, size_t nt, int flags,
		   size_t *ntok)
{
	int64_t t0 = clock_now_ns();
	size_t total = 0;
	for (size_t i = 0; i < nt; i++) {
		int32_t *ids;
		size_t n;
		if (tok_encode(t, tx[i].s, tx[i].n, flags, &ids, &n)) {
			fprintf(stderr, "encode failed on text %zu\n", i);
			exit(1);
		}
		total += n;
		free(ids);
	}
	*ntok = total;
	return (double)(clock_now_ns() - t0) / 1e9;
}

int main(int argc, char **argv)
{
	const char *shared = argc > 1 ? argv[1] : getenv("SHARED");
	if (!shared || !*shared)
		shared = "../shared";
	char *sg = xasprintf("%s/data/prompts/sharegpt/sharegpt_samples_1024.json",
			     shared);
	json_error_t je;
	json_t *root = json_load_file(sg, 0, &je);
	if (!root) {
		fprintf(stderr, "%s: %s\n", sg, je.text);
		return 1;
	}
	struct text *tx = NULL;
	size_t nt = 0, cap = 0, bytes = 0;
	size_t i;
	json_t *conv;
	json_array_foreach(root, i, conv)
	{
		size_t j;
		json_t *turn;
		json_array_foreach(json_object_get(conv, "conversations"), j, turn)
		{
			json_t *v = json_object_get(turn, "value");
			if (!json_is_string(v))
				continue;
			xgrow((void **)&tx, &cap, nt + 1, sizeof(*tx));
			tx[nt].s = json_string_value(v);
			tx[nt].n = json_string_length(v);
			bytes += tx[nt].n;
			nt++;
		}
	}
	printf("tokenizer_bench: %zu ShareGPT turns, %.2f MB, 1 thread\n", nt,
	       bytes / 1e6);
	printf("%-10s %8s %10s %10s %10s %8s %s\n", "tokenizer", "load_ms",
	       "cold_MB/s", "warm_MB/s", "nocache", "tokens", "check");
	int fail = 0;
	for (size_t k = 0; k < sizeof(toks) / sizeof(toks[0]); k++) {
		char *p = xasprintf("%s/data/%s", shared, toks[k].rel);
		char *err = NULL;
		int64_t l0 = clock_now_ns();
		struct tok *t = tok_load(p, &err);
		double load_ms = (double)(clock_now_ns() - l0) / 1e6;
		if (!t) {
			printf("%-10s load failed: %s\n", toks[k].name, err);
			free(err);
			free(p);
			fail = 1;
			continue;
		}
		size_t ntok, ntok2;
		double cold = pass(t, tx, nt, 0, &ntok);
		double warm = 1e9;
		for (int r = 0; r < 3; r++) {
			double w = pass(t, tx, nt, 0, &ntok2);
			if (w < warm)
				warm = w;
		}
		double nc = pass(t, tx, nt, TOK_NO_CACHE, &ntok2);
		/* Check: cached ids == no-cache ids; decode round trip. */
		size_t mism = 0, rt_bad = 0;
		struct buf b;
		buf_init(&b, 0);
		for (size_t x = 0; x < nt; x++) {
			int32_t *a, *c;
			size_t na, nc2;
			tok_encode(t, tx[x].s, tx[x].n, 0, &a, &na);
			tok_encode(t, tx[x].s, tx[x].n, TOK_NO_CACHE, &c, &nc2);
			if (na != nc2 || memcmp(a, c, na * sizeof(int32_t)))
				mism++;
			buf_reset(&b);
			tok_decode(t, a, na, &b);
			int spm = tok_family(t) == TOK_FAM_SPM_HF;
			const char *s = tx[x].s;
			size_t n = tx[x].n;
			/* Documented: Metaspace "first" drops one leading
			 * space. */
			if (spm && n && s[0] == ' ') {
				s++;
				n--;
			}
			/* Documented: NFC tokenizers give back NFC(x). */
			uint8_t *nfc = NULL;
			if (tok_nfc(t)) {
				utf8proc_ssize_t m = utf8proc_map(
					(const uint8_t *)s, (utf8proc_ssize_t)n,
					&nfc, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
				if (m >= 0) {
					s = (const char *)nfc;
					n = (size_t)m;
				}
			}
			if (b.len != n || memcmp(b.data, s, n))
				rt_bad++;
			free(nfc);
			free(a);
			free(c);
		}
		buf_free(&b);
		printf("%-10s %8.0f %10.1f %10.1f %10.1f %8zu %s", toks[k].name,
		       load_ms, bytes / cold / 1e6, bytes / warm / 1e6,
		       bytes / nc / 1e6, ntok,
		       (!mism && !rt_bad && ntok == ntok2) ? "ok" : "FAIL");
		if (mism || rt_bad)
			printf(" (%zu id mismatches, %zu round-trip failures)",
			       mism, rt_bad);
		printf("\n");
		if (mism || rt_bad || ntok != ntok2)
			fail = 1;
		tok_free(t);
		free(p);
	}
	json_decref(root);
	free(tx);
	free(sg);
	return fail;
}
