/* tok_test.c - tokenizer exactness against llama.cpp's HF reference ids,
 * ShareGPT round trips, cache vs no-cache agreement, special/added tokens,
 * loader error messages. Needs /work/shared data (SKIP when absent). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utf8proc.h>

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

static const char *all_toks[] = {
	"tokenizers/gpt2",
	"tokenizers/qwen2",
	"tokenizers/llama3",
	"tokenizers/mistral-7b-v0.1/tokenizer.json",
	"tokenizers/llama2-spm-gguf/ggml-vocab-llama-spm.gguf",
};

struct texts {
	json_t *root;
	const char **s;
	size_t *n, count;
};

static void sharegpt(struct texts *tx)
{
	char *p = data_path("prompts/sharegpt/sharegpt_samples_1024.json");
	if (!p)
		TEST_SKIP("no shared data");
	json_error_t je;
	tx->root = json_load_file(p, 0, &je);
	free(p);
	ASSERT_TRUE(tx->root != NULL);
	tx->s = xcalloc(4096, sizeof(char *));
	tx->n = xcalloc(4096, sizeof(size_t));
	tx->count = 0;
	size_t i, j;
	json_t *c, *turn;
	json_array_foreach(tx->root, i, c)
		json_array_foreach(json_object_get(c, "conversations"), j, turn)
	{
		json_t *v = json_object_get(turn, "value");
		if (json_is_string(v) && tx->count < 4096) {
			tx->s[tx->count] = json_string_value(v);
			tx->n[tx->count++] = json_string_length(v);
		}
	}
}

static void texts_free(struct texts *tx)
{
	json_decref(tx->root);
	free(tx->s);
	free(tx->n);
}

/* decode(encode(x)) == x on all 2,048 ShareGPT turns (human and gpt), with
 * the two documented exceptions: NFC tokenizers give NFC(x), and Metaspace
 * "first" (Mistral) drops one leading space. */
static void test_round_trip_sharegpt(void)
{
	struct texts tx;
	sharegpt(&tx);
	ASSERT_EQ(tx.count, 2048);
	for (size_t k = 0; k < sizeof(all_toks) / sizeof(all_toks[0]); k++) {
		struct tok *t = load_or_skip(all_toks[k]);
		struct buf b;
		buf_init(&b, 0);
		size_t bad = 0, lead = 0, nfc_changed = 0;
		for (size_t i = 0; i < tx.count; i++) {
			int32_t *ids;
			size_t n;
			ASSERT_EQ(tok_encode(t, tx.s[i], tx.n[i], 0, &ids, &n), 0);
			buf_reset(&b);
			ASSERT_EQ(tok_decode(t, ids, n, &b), 0);
			free(ids);
			const char *want = tx.s[i];
			size_t wn = tx.n[i];
			uint8_t *nfc = NULL;
			if (tok_nfc(t)) {
				utf8proc_ssize_t m = utf8proc_map(
					(const uint8_t *)want, (utf8proc_ssize_t)wn,
					&nfc, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
				ASSERT_TRUE(m >= 0);
				nfc_changed += (size_t)m != wn ||
					       memcmp(nfc, want, wn);
				want = (const char *)nfc;
				wn = (size_t)m;
			}
			if (tok_family(t) == TOK_FAM_SPM_HF && wn &&
			    want[0] == ' ') {
				want++;
				wn--;
				lead++;
			}
			if (b.len != wn || memcmp(b.data, want, wn))
				bad++;
			free(nfc);
		}
		if (bad || lead || nfc_changed)
			fprintf(stderr, "  %s: %zu round-trip failures; %zu texts "
					"with a leading space, %zu changed by NFC\n",
				all_toks[k], bad, lead, nfc_changed);
		ASSERT_EQ(bad, 0);
		buf_free(&b);
		tok_free(t);
	}
	texts_free(&tx);
}

static size_t enc(struct tok *t, const char *s, int flags, int32_t *out,
		  size_t max)
{
	int32_t *ids;
	size_t n;
	ASSERT_EQ(tok_encode(t, s, strlen(s), flags, &ids, &n), 0);
	ASSERT_TRUE(n <= max);
	memcpy(out, ids, n * sizeof(int32_t));
	free(ids);
	return n;
}

static void test_specials_gpt2_qwen2(void)
{
	int32_t ids[64];
	struct tok *t = load_or_skip("tokenizers/gpt2");
	ASSERT_EQ(tok_vocab_size(t), 50257);
	ASSERT_EQ(tok_base_vocab_size(t), 50257);
	ASSERT_EQ(tok_eos_id(t), 50256);
	ASSERT_TRUE(tok_is_special(t, 50256));
	ASSERT_TRUE(!tok_is_special(t, 15496));
	size_t len;
	const char *p = tok_id_to_piece(t, 15496, &len);
	ASSERT_EQ(len, 5);
	ASSERT_TRUE(!memcmp(p, "Hello", 5));
	p = tok_id_to_piece(t, 18435, &len); /* "ĠHello" is " Hello" */
	ASSERT_TRUE(len == 6 && !memcmp(p, " Hello", 6));
	ASSERT_TRUE(tok_id_to_piece(t, 50257, &len) == NULL);
	size_t n = enc(t, "Hello<|endoftext|>Hello", 0, ids, 64);
	ASSERT_EQ(n, 3);
	ASSERT_EQ(ids[1], 50256);
	n = enc(t, "Hello<|endoftext|>Hello", TOK_SPLIT_SPECIAL, ids, 64);
	ASSERT_TRUE(n > 3);
	for (size_t i = 0; i < n; i++)
		ASSERT_NE(ids[i], 50256);
	/* gpt2 adds nothing with TOK_ADD_SPECIAL (no BOS in its config). */
	ASSERT_EQ(enc(t, "Hello", TOK_ADD_SPECIAL, ids, 64), 1);
	ASSERT_STR_EQ(tok_family_name(t), "gpt2");
	ASSERT_EQ(strlen(tok_hash(t)), 16);
	char h1[17];
	memcpy(h1, tok_hash(t), 17);
	struct buf b;
	buf_init(&b, 0);
	int32_t bad[] = {15496, 50257};
	ASSERT_EQ(tok_decode(t, bad, 2, &b), -EINVAL);
	tok_free(t);
	t = load_or_skip("tokenizers/gpt2");
	ASSERT_STR_EQ(tok_hash(t), h1); /* stable across loads */
	tok_free(t);

	t = load_or_skip("tokenizers/qwen2");
	ASSERT_STR_EQ(tok_family_name(t), "qwen2");
	ASSERT_TRUE(strcmp(tok_hash(t), h1) != 0);
	ASSERT_EQ(tok_vocab_size(t), 151646);
	ASSERT_EQ(tok_base_vocab_size(t), 151643);
	ASSERT_EQ(tok_bos_id(t), -1);
	ASSERT_EQ(tok_eos_id(t), 151645);
	const char *chat = "<|im_start|>user\nhi<|im_end|>";
	n = enc(t, chat, 0, ids, 64);
	ASSERT_TRUE(n >= 4);
	ASSERT_EQ(ids[0], 151644);
	ASSERT_EQ(ids[n - 1], 151645);
	ASSERT_TRUE(tok_is_special(t, 151644));
	buf_reset(&b);
	ASSERT_EQ(tok_decode(t, ids, n, &b), 0);
	ASSERT_STR_EQ(b.data, chat);
	/* NFC: e + combining acute encodes like the precomposed char. */
	int32_t a[8], c[8];
	size_t na = enc(t, "caf\x65\xcc\x81", 0, a, 8);
	size_t nc = enc(t, "caf\xc3\xa9", 0, c, 8);
	ASSERT_EQ(na, nc);
	ASSERT_TRUE(!memcmp(a, c, na * sizeof(int32_t)));
	ASSERT_TRUE(tok_nfc(t));
	/* Invalid UTF-8 is refused. */
	int32_t *ids2;
	size_t n2;
	ASSERT_EQ(tok_encode(t, "a\xff", 2, 0, &ids2, &n2), -EILSEQ);
	ASSERT_EQ(tok_count(t, "\xc0\x80", 2, 0), -EILSEQ);
	buf_free(&b);
	tok_free(t);
}

static void test_specials_llama3_spm(void)
{
	int32_t ids[64];
	struct tok *t = load_or_skip("tokenizers/llama3");
	ASSERT_STR_EQ(tok_family_name(t), "llama3");
	ASSERT_EQ(tok_vocab_size(t), 128256);
	ASSERT_EQ(tok_base_vocab_size(t), 128000);
	ASSERT_EQ(tok_bos_id(t), 128000);
	ASSERT_EQ(tok_eos_id(t), 128001);
	size_t n = enc(t, "Hello world", TOK_ADD_SPECIAL, ids, 64);
	ASSERT_EQ(n, 3);
	ASSERT_EQ(ids[0], 128000);
	ASSERT_EQ(ids[1], 9906);
	ASSERT_EQ(enc(t, "Hello world", 0, ids, 64), 2);
	n = enc(t, "<|start_header_id|>user<|end_header_id|>", 0, ids, 64);
	ASSERT_EQ(n, 3);
	ASSERT_EQ(ids[0], 128006);
	ASSERT_EQ(ids[2], 128007);
	ASSERT_EQ(tok_count(t, "Hello world", 11, TOK_ADD_SPECIAL), 3);
	tok_free(t);

	t = load_or_skip("tokenizers/mistral-7b-v0.1/tokenizer.json");
	ASSERT_STR_EQ(tok_family_name(t), "spm-hf");
	ASSERT_EQ(tok_vocab_size(t), 32000);
	ASSERT_EQ(tok_bos_id(t), 1);
	ASSERT_EQ(tok_eos_id(t), 2);
	n = enc(t, "Hello", TOK_ADD_SPECIAL, ids, 64);
	ASSERT_EQ(n, 2);
	ASSERT_EQ(ids[0], 1);
	/* "first" prefix: only at the start, not after a special. */
	n = enc(t, "</s>Hello", 0, ids, 64);
	ASSERT_EQ(ids[0], 2);
	int32_t h[8];
	size_t nh = enc(t, "Hello", 0, h, 8);
	ASSERT_TRUE(n != nh + 1 || memcmp(ids + 1, h, nh * sizeof(int32_t)));
	/* Byte fallback for a char outside the vocabulary. */
	n = enc(t, "\xf0\x9f\xa6\x99", 0, ids, 64); /* llama emoji */
	struct buf b;
	buf_init(&b, 0);
	ASSERT_EQ(tok_decode(t, ids, n, &b), 0);
	ASSERT_STR_EQ(b.data, "\xf0\x9f\xa6\x99");
	tok_free(t);

	t = load_or_skip("tokenizers/llama2-spm-gguf/ggml-vocab-llama-spm.gguf");
	ASSERT_STR_EQ(tok_family_name(t), "spm-gguf");
	ASSERT_EQ(tok_bos_id(t), 1);
	n = enc(t, "Hello world", TOK_ADD_SPECIAL, ids, 64);
	ASSERT_EQ(n, 3);
	ASSERT_EQ(ids[0], 1);
	ASSERT_EQ(ids[1], 15043);
	ASSERT_TRUE(tok_is_special(t, 1));
	ASSERT_TRUE(!tok_is_special(t, 15043));
	/* Prefix after a special token too (llama.cpp, HF legacy). */
	n = enc(t, "<s>Hello", 0, ids, 64);
	ASSERT_EQ(n, 2);
	ASSERT_EQ(ids[1], 15043);
	/* Leading spaces survive the round trip. */
	n = enc(t, "  Hello", 0, ids, 64);
	buf_reset(&b);
	ASSERT_EQ(tok_decode(t, ids, n, &b), 0);
	ASSERT_STR_EQ(b.data, "  Hello");
	buf_free(&b);
	tok_free(t);
}

/* ---- bad files ---- */

static char tmpdir[64];

static char *write_file(const char *name, const char *data, size_t n)
{
	char *p = xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(p, "wb");
	ASSERT_TRUE(f != NULL);
	fwrite(data, 1, n, f);
	fclose(f);
	return p;
}

static void expect_load_error(const char *path, const char *needle1,
			      const char *needle2)
{
	char *err = NULL;
	struct tok *t = tok_load(path, &err);
	if (t || !err || !strstr(err, needle1) ||
	    (needle2 && !strstr(err, needle2)))
		fprintf(stderr, "  %s: got \"%s\"\n", path, err ? err : "");
	ASSERT_TRUE(t == NULL);
	ASSERT_TRUE(err && strstr(err, needle1));
	if (needle2)
		ASSERT_TRUE(strstr(err, needle2) != NULL);
	ASSERT_TRUE(strchr(err, '\n') == NULL);
	free(err);
}

static const char mini_json[] =
	"{\"model\": {\"type\": \"BPE\", \"unk_token\": \"<unk>\",\n"
	" \"vocab\": {\"<unk>\": 0, \"\xe2\x96\x81\": 1, \"a\": 2, \"b\": 3,"
	" \"ab\": 4, \"\xe2\x96\x81\x61\x62\": 5},\n"
	" \"merges\": [[\"a\", \"b\"], [\"\xe2\x96\x81\", \"ab\"]]},\n"
	" \"added_tokens\": [{\"id\": 0, \"content\": \"<unk>\", \"special\": true}],\n"
	" \"pre_tokenizer\": {\"type\": \"Metaspace\", \"replacement\": "
	"\"\xe2\x96\x81\", \"prepend_scheme\": \"first\", \"split\": false},\n"
	" \"decoder\": {\"type\": \"Sequence\", \"decoders\": [{\"type\": "
	"\"Strip\", \"content\": \" \", \"start\": 1, \"stop\": 0}]}}\n";

static void test_mini_json_and_errors(void)
{
	strcpy(tmpdir, "/tmp/tok_test_XXXXXX");
	ASSERT_TRUE(mkdtemp(tmpdir) != NULL);
	/* A valid hand-made tokenizer.json with array-form merges. */
	char *p = write_file("mini.json", mini_json, strlen(mini_json));
	char *err = NULL;
	struct tok *t = tok_load(p, &err);
	if (!t)
		fprintf(stderr, "  mini: %s\n", err);
	ASSERT_TRUE(t != NULL);
	int32_t ids[8];
	ASSERT_EQ(enc(t, "ab", 0, ids, 8), 1);
	ASSERT_EQ(ids[0], 5);
	size_t n = enc(t, "abc", 0, ids, 8); /* c: unknown, no byte fallback */
	ASSERT_EQ(n, 2);
	ASSERT_EQ(ids[1], 0);
	tok_free(t);
	free(p);
	/* Truncated JSON: file:line:column. */
	p = write_file("trunc.json", mini_json, 120);
	expect_load_error(p, "trunc.json:", "invalid JSON");
	free(p);
	/* Wrong structure. */
	const char *wp = "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}";
	p = write_file("wp.json", wp, strlen(wp));
	expect_load_error(p, "wp.json", "BPE");
	free(p);
	/* Unknown merge token. */
	char *bad = xstrdup(mini_json);
	char *m = strstr(bad, "[\"a\", \"b\"]");
	m[7] = 'z';
	p = write_file("badmerge.json", bad, strlen(bad));
	expect_load_error(p, "badmerge.json", "model.merges[0]: unknown token \"z\"");
	free(p);
	free(bad);
	/* Split files: unknown merge token names the line. */
	char *d = xasprintf("%s/split", tmpdir);
	mkdir(d, 0755);
	struct buf v;
	buf_init(&v, 0);
	buf_puts(&v, "{");
	for (int i = 0; i < 256; i++) {
		/* GPT-2 byte map: printable bytes as themselves. */
		unsigned cp = (i >= 33 && i <= 126) || (i >= 161 && i <= 172) ||
					      (i >= 174 && i <= 255)
				      ? (unsigned)i
				      : 0;
		if (!cp) {
			unsigned k = 0;
			for (int j = 0; j < i; j++)
				if (!((j >= 33 && j <= 126) ||
				      (j >= 161 && j <= 172) ||
				      (j >= 174 && j <= 255)))
					k++;
			cp = 256 + k;
		}
		char u[8];
		size_t ul = utf8proc_encode_char((utf8proc_int32_t)cp,
						 (utf8proc_uint8_t *)u);
		u[ul] = '\0';
		buf_printf(&v, "%s\"%s%s\": %d", i ? ", " : "",
			   cp == '"' || cp == '\\' ? "\\" : "", u, i);
	}
	buf_puts(&v, ", \"ab\": 256}");
	char *vp = xasprintf("split/vocab.json");
	free(write_file(vp, v.data, v.len));
	free(vp);
	buf_free(&v);
	const char *merges = "#version: 0.2\na b\nq r\n";
	p = write_file("split/merges.txt", merges, strlen(merges));
	expect_load_error(d, "merges.txt:3:", "merged token");
	free(p);
	merges = "#version: 0.2\na b\nab zz\n";
	p = write_file("split/merges.txt", merges, strlen(merges));
	expect_load_error(d, "merges.txt:3:", "unknown token \"zz\"");
	free(p);
	merges = "#version: 0.2\na b\n";
	p = write_file("split/merges.txt", merges, strlen(merges));
	t = tok_load(d, &err);
	ASSERT_TRUE(t != NULL);
	ASSERT_EQ(enc(t, "ab", 0, ids, 8), 1);
	ASSERT_EQ(ids[0], 256);
	tok_free(t);
	free(p);
	free(d);
	/* Unknown file type, missing file, truncated GGUF. */
	p = write_file("notes.txt", "hello", 5);
	expect_load_error(p, "notes.txt", "unknown tokenizer file type");
	free(p);
	expect_load_error("/nonexistent/tokenizer.json", "/nonexistent/", NULL);
	char *gp = data_path("tokenizers/llama2-spm-gguf/ggml-vocab-llama-spm.gguf");
	if (gp) {
		size_t gl;
		char *g = slurp(gp, &gl);
		ASSERT_TRUE(g != NULL);
		p = write_file("cut.gguf", g, gl / 2);
		expect_load_error(p, "cut.gguf", "truncated");
		free(p);
		free(g);
		free(gp);
	}
	p = write_file("zero.gguf", "GGUF\x03\0\0\0", 8);
	expect_load_error(p, "zero.gguf", "truncated");
	free(p);
	char *cmd = xasprintf("rm -rf %s", tmpdir);
	ASSERT_EQ(system(cmd), 0);
	free(cmd);
}

/* ---- threads share one tokenizer ---- */

struct thr {
	struct tok *t;
	struct texts *tx;
	size_t total;
	int rc;
};

static void *thr_main(void *arg)
{
	struct thr *a = arg;
	for (size_t i = 0; i < a->tx->count; i++) {
		long long n = tok_count(a->t, a->tx->s[i], a->tx->n[i], 0);
		if (n < 0)
			a->rc = 1;
		a->total += (size_t)n;
	}
	return NULL;
}

static void test_threads_share(void)
{
	struct texts tx;
	sharegpt(&tx);
	struct tok *t = load_or_skip("tokenizers/llama3");
	struct thr a[3] = {{t, &tx, 0, 0}, {t, &tx, 0, 0}, {t, &tx, 0, 0}};
	pthread_t th[3];
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(pthread_create(&th[i], NULL, thr_main, &a[i]), 0);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	ASSERT_EQ(a[0].rc + a[1].rc + a[2].rc, 0);
	ASSERT_EQ(a[0].total, 374661); /* = tokenizer_bench's count */
	ASSERT_EQ(a[1].total, a[0].total);
	ASSERT_EQ(a[2].total, a[0].total);
	tok_free(t);
	texts_free(&tx);
}

int main(void)
{
	TEST_RUN(test_vectors_gpt2);
	TEST_RUN(test_vectors_qwen2);
	TEST_RUN(test_vectors_llama3);
	TEST_RUN(test_vectors_llama_spm);
	TEST_RUN(test_round_trip_sharegpt);
	TEST_RUN(test_specials_gpt2_qwen2);
	TEST_RUN(test_specials_llama3_spm);
	TEST_RUN(test_mini_json_and_errors);
	TEST_RUN(test_threads_share);
	return TEST_DONE();
}
