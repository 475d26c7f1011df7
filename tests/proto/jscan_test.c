/* jscan_test.c - the per-token JSON scanner, cross-checked against jansson
 * on fixtures, every truncation and byte mutation of them, random
 * documents, and the edges of its fast paths (16- and 64-byte blocks,
 * backslash runs, buffer end,
 * whitespace runs, number lengths, key compares). Every document is
 * checked from an exact-size heap copy, so a read past n is an ASan error.
 * jscan_scalar_test.c runs the same file against the scalar build. */
#include "core/buf.h"
#include "core/rng.h"
#include "jscan_memo_check.h"
#include "jscan_xcheck.h"
#include "test.h"

/* xc_check on an exact-size heap copy of doc[0..len). */
static const char *check_exact(const char *doc, size_t len)
{
	static char none;
	char *copy = malloc(len);
	if (len)
		memcpy(copy, doc, len);
	const char *why = xc_check(copy ? copy : &none, len);
	free(copy);
	return why;
}
#define xc_check check_exact

static const char *fixtures[] = {
	"{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,"
	"\"model\":\"m\",\"choices\":[{\"index\":0,\"text\":\" the\","
	"\"logprobs\":null,\"finish_reason\":null}],\"usage\":{"
	"\"prompt_tokens\":12,\"completion_tokens\":3}}",
	"{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":"
	"\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ \\/ \\n\"}}]}",
	"{\"error\":{\"message\":\"x\",\"code\":500}}",
	"{\"index\":3,\"token\":{\"id\":1,\"text\":\"\xc3\xa9\",\"logprob\":"
	"-1.5e-3,\"special\":true},\"generated_text\":null}",
	"[1, 2.5, -0, 1e10, true, false, null, \"s\", [], {}]",
	"{\"a\":{\"b\":1},\"a\":{\"b\":2}}",
	"  {\"usage\" : { \"completion_tokens\" : 9223372036854775807 } }  ",
	"{\"choices\":[]}",
	"{\"choices\":[{\"text\":\"a\"},{\"text\":\"b\"}]}",
};
#define NFIX (sizeof(fixtures) / sizeof(fixtures[0]))

static const char *rejects[] = {
	"", "{", "{\"a\":}", "{\"a\":1,}", "[1,]", "{not json", "{\"a\":01}",
	"{\"a\":1.}", "{\"a\":-}", "{\"a\":\"\x01\"}", "{\"a\":\"\\x\"}",
	"{\"a\":\"\\u12\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\u0000\"}",
	"{\"a\":\"\xff\"}", "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}",
	"\"top-level string\"", "12", "{\"a\":1} x",
	"{\"a\":99999999999999999999}", "{\"a\":1e999}", "{\"a\":tru}",
	"{'a':1}", "{\"a\" 1}",
};

static void test_fixtures_agree(void)
{
	for (size_t i = 0; i < NFIX; i++) {
		const char *why = xc_check(fixtures[i], strlen(fixtures[i]));
		if (why)
			TEST_FAIL_("fixture %zu: %s", i, why);
	}
	for (size_t i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		const char *why = xc_check(rejects[i], strlen(rejects[i]));
		if (why)
			TEST_FAIL_("reject %zu (%s): %s", i, rejects[i], why);
	}
}

static void test_extracts(void)
{
	struct jscan_field f[XC_N];
	jscan_compile(xc_paths, XC_N);
	ASSERT_EQ(jscan_parse(fixtures[0], strlen(fixtures[0]), xc_paths, f,
			      XC_N),
		  0);
	ASSERT_EQ(f[1].type, JSCAN_ARRAY);
	ASSERT_EQ(f[1].count, 1);
	ASSERT_EQ(f[2].type, JSCAN_STRING);
	ASSERT_TRUE(jscan_str_eq(&f[2], " the"));
	ASSERT_EQ(jscan_int(&f[5]), 3);
	ASSERT_EQ(f[10].type, JSCAN_OBJECT); /* root */
	ASSERT_EQ(jscan_parse(fixtures[1], strlen(fixtures[1]), xc_paths, f,
			      XC_N),
		  0);
	char buf[64];
	size_t n = jscan_str_copy(&f[3], buf);
	ASSERT_EQ(n, jscan_str_len(&f[3]));
	buf[n] = '\0';
	ASSERT_STR_EQ(buf, "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\" \\ / \n");
	/* Duplicate keys: the last wins, as in jansson. */
	ASSERT_EQ(jscan_parse(fixtures[5], strlen(fixtures[5]), xc_paths, f,
			      XC_N),
		  0);
	ASSERT_EQ(jscan_int(&f[9]), 2);
}

/* Every truncation and many single-byte mutations of every fixture. */
static void test_mutations_agree(void)
{
	static const char bytes[] = "{}[]\",:\\0123456789eE.-+tfnu \x80\xff\xc3";
	struct rng r;
	rng_seed(&r, 1234);
	char buf[512];
	for (size_t i = 0; i < NFIX; i++) {
		size_t len = strlen(fixtures[i]);
		for (size_t cut = 0; cut < len; cut++) {
			const char *why = xc_check(fixtures[i], cut);
			if (why)
				TEST_FAIL_("fixture %zu cut %zu: %s", i, cut,
					   why);
		}
		for (int k = 0; k < 3000; k++) {
			memcpy(buf, fixtures[i], len);
			size_t n = len;
			int edits = (int)rng_int(&r, 1, 3);
			for (int e = 0; e < edits; e++) {
				size_t pos = (size_t)rng_int(&r, 0,
							     (int64_t)n - 1);
				char c = bytes[rng_int(&r, 0,
						       sizeof(bytes) - 2)];
				int op = (int)rng_int(&r, 0, 2);
				if (op == 0) {
					buf[pos] = c;
				} else if (op == 1 && n < sizeof(buf) - 1) {
					memmove(buf + pos + 1, buf + pos,
						n - pos);
					buf[pos] = c;
					n++;
				} else if (n > 1) {
					memmove(buf + pos, buf + pos + 1,
						n - pos - 1);
					n--;
				}
			}
			const char *why = xc_check(buf, n);
			if (why)
				TEST_FAIL_("fixture %zu mutation %d: %s (%.*s)",
					   i, k, why, (int)n, buf);
		}
	}
}

/* Random valid documents built from the grammar. */
static void gen(struct rng *r, struct buf *b, int depth)
{
	int kind = (int)rng_int(r, 0, depth > 3 ? 4 : 6);
	switch (kind) {
	case 0:
		buf_printf(b, "%lld", (long long)rng_int(r, -100000, 100000));
		break;
	case 1:
		buf_printf(b, "%.3e", rng_normal(r) * 1e5);
		break;
	case 2: {
		static const char *s[] = {"\"a\"", "\"\\u00e9x\"", "\"\"",
					  "\"\\n\\t\"", "\"text\"",
					  "\"\xe2\x82\xac\""};
		buf_puts(b, s[rng_int(r, 0, 5)]);
		break;
	}
	case 3:
		buf_puts(b, rng_int(r, 0, 1) ? "true" : "null");
		break;
	case 4:
		buf_puts(b, "false");
		break;
	case 5: {
		static const char *keys[] = {"choices", "usage", "text", "a",
					     "b", "error", "0", "delta",
					     "completion_tokens", "content"};
		buf_puts(b, "{");
		int n = (int)rng_int(r, 0, 4);
		for (int i = 0; i < n; i++)
			buf_printf(b, "%s\"%s\":", i ? "," : "",
				   keys[rng_int(r, 0, 9)]),
				gen(r, b, depth + 1);
		buf_puts(b, "}");
		break;
	}
	default: {
		buf_puts(b, "[");
		int n = (int)rng_int(r, 0, 4);
		for (int i = 0; i < n; i++) {
			if (i)
				buf_puts(b, ",");
			gen(r, b, depth + 1);
		}
		buf_puts(b, "]");
	}
	}
}

static void test_random_documents_agree(void)
{
	struct rng r;
	rng_seed(&r, 99);
	for (int k = 0; k < 20000; k++) {
		struct buf b;
		buf_init(&b, 0);
		buf_puts(&b, rng_int(&r, 0, 1) ? "{\"choices\":" : "{\"usage\":");
		gen(&r, &b, 1);
		buf_puts(&b, "}");
		const char *why = xc_check(b.data, b.len);
		if (why)
			TEST_FAIL_("doc %d: %s (%s)", k, why, b.data);
		buf_free(&b);
	}
}

/* Bytes with a meaning inside strings, valid and invalid. */
struct span {
	const char *s;
	size_t n;
};
#define SPAN(x) {x, sizeof(x) - 1}
static const struct span specials[] = {
	SPAN("\\\""), SPAN("\\\\"), SPAN("\\/"), SPAN("\\n"), SPAN("\\u00e9"),
	SPAN("\\ud83d\\ude00"), SPAN("\xc3\xa9"), SPAN("\xe2\x82\xac"),
	SPAN("\xf0\x9f\x98\x80"), SPAN("\x7f"), SPAN("\xef\xbf\xbf"),
	SPAN("\xf4\x8f\xbf\xbf"), SPAN("\xc3\xa9\xe2\x82\xac\xc3\xa9"),
	/* invalid */
	SPAN("\\x"), SPAN("\\u12"), SPAN("\\u12g4"), SPAN("\\ud800"),
	SPAN("\\udc00"), SPAN("\\ud800\\u0041"), SPAN("\\u0000"), SPAN("\\"),
	SPAN("\xff"), SPAN("\xc3"), SPAN("\xe2\x82"), SPAN("\xf0\x9f\x98"),
	SPAN("\xc0\xaf"), SPAN("\xed\xa0\x80"), SPAN("\xf4\x90\x80\x80"),
	SPAN("\x80"), SPAN("\xc3\x41"), SPAN("\x01"), SPAN("\x1f"), SPAN("\t"),
	SPAN("\n"), SPAN("\0"), SPAN("\""),
};
#define NSPECIAL (sizeof(specials) / sizeof(specials[0]))

static size_t put(char *b, size_t n, const char *s, size_t len)
{
	memcpy(b + n, s, len);
	return n + len;
}

static size_t put_run(char *b, size_t n, char c, size_t len)
{
	memset(b + n, c, len);
	return n + len;
}

/* Every special byte sequence at every offset of a 16-byte block (and
 * across two), in a value, a key and an array element, followed by 0..17
 * plain bytes so the string also ends in the bytewise tail; the value form
 * also cut at every length. */
static void test_block_boundaries_agree(void)
{
	static const char *pre[] = {"{\"a\":\"", "{\"", "[\""};
	static const char *post[] = {"\"}", "\":1}", "\"]"};
	static const size_t tails[] = {0, 1, 7, 15, 16, 17};
	char buf[160];
	for (size_t f = 0; f < 3; f++)
		for (size_t i = 0; i < NSPECIAL; i++)
			for (size_t k = 0; k <= 33; k++)
				for (size_t t = 0; t < 6; t++) {
					size_t n = put(buf, 0, pre[f],
						       strlen(pre[f]));
					n = put_run(buf, n, 'x', k);
					n = put(buf, n, specials[i].s,
						specials[i].n);
					n = put_run(buf, n, 'y', tails[t]);
					n = put(buf, n, post[f],
						strlen(post[f]));
					const char *why = xc_check(buf, n);
					if (why)
						TEST_FAIL_("form %zu special "
							   "%zu at %zu tail "
							   "%zu: %s",
							   f, i, k, tails[t],
							   why);
					if (f || (t != 0 && t != 4))
						continue;
					for (size_t cut = 0; cut < n; cut++) {
						why = xc_check(buf, cut);
						if (why)
							TEST_FAIL_(
								"special %zu "
								"at %zu cut "
								"%zu: %s",
								i, k, cut, why);
					}
				}
}

/* 64-byte block edges (the unit a block-wise classifier works in): every
 * special sequence at offsets up to 130, backslash runs of 1..70 bytes
 * before a quote at every offset, strings and keys of 60..200 bytes and
 * whitespace or control bytes between tokens, each shifted by 0..64
 * leading spaces so that every byte meets every block position. */
static void test_block64_agree(void)
{
	static const char *pre[] = {"{\"a\":\"", "{\"", "[\""};
	static const char *post[] = {"\"}", "\":1}", "\"]"};
	char buf[512];
	for (size_t f = 0; f < 3; f++)
		for (size_t i = 0; i < NSPECIAL; i++)
			for (size_t k = 34; k <= 130; k++) {
				size_t n = put(buf, 0, pre[f], strlen(pre[f]));
				n = put_run(buf, n, 'x', k);
				n = put(buf, n, specials[i].s, specials[i].n);
				n = put_run(buf, n, 'y', k % 3);
				n = put(buf, n, post[f], strlen(post[f]));
				const char *why = xc_check(buf, n);
				if (why)
					TEST_FAIL_("form %zu special %zu at %zu:"
						   " %s",
						   f, i, k, why);
			}
	/* odd runs escape the quote (valid), even runs end the string */
	for (size_t f = 0; f < 3; f++)
		for (size_t k = 0; k <= 130; k++)
			for (size_t r = 1; r <= 70; r++) {
				size_t n = put(buf, 0, pre[f], strlen(pre[f]));
				n = put_run(buf, n, 'x', k);
				n = put_run(buf, n, '\\', r);
				n = put(buf, n, "\"y", 2);
				n = put(buf, n, post[f], strlen(post[f]));
				const char *why = xc_check(buf, n);
				if (why)
					TEST_FAIL_("form %zu run %zu at %zu: %s",
						   f, r, k, why);
				n = put(buf, 0, pre[f], strlen(pre[f]));
				n = put_run(buf, n, 'x', k);
				n = put_run(buf, n, '\\', r);
				n = put(buf, n, post[f], strlen(post[f]));
				why = xc_check(buf, n);
				if (why)
					TEST_FAIL_("form %zu run %zu at %zu end:"
						   " %s",
						   f, r, k, why);
			}
	for (size_t lead = 0; lead <= 64; lead++) {
		for (size_t len = 60; len <= 200; len += 7) {
			size_t n = put_run(buf, 0, ' ', lead);
			n = put(buf, n, "{\"", 2);
			n = put_run(buf, n, 'k', len);
			n = put(buf, n, "\":\"", 3);
			n = put_run(buf, n, 'v', len);
			n = put(buf, n, "\",\"usage\":{\"completion_tokens\":7}}",
				35);
			const char *why = xc_check(buf, n);
			if (why)
				TEST_FAIL_("lead %zu len %zu: %s", lead, len,
					   why);
		}
		static const char *gaps[] = {" ", "\t\n\r ", "\x01", "\0",
					     "\x80", "\\", "x"};
		for (size_t g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++)
			for (size_t at = 0; at < 6; at++) {
				static const char *tok[] = {"{", "\"text\"", ":",
							    "[1", ",", "true]",
							    "}"};
				size_t n = put_run(buf, 0, ' ', lead);
				for (size_t t = 0; t < 7; t++) {
					n = put(buf, n, tok[t], strlen(tok[t]));
					if (t == at)
						n = put(buf, n, gaps[g],
							strlen(gaps[g]));
				}
				const char *why = xc_check(buf, n);
				if (why)
					TEST_FAIL_("lead %zu gap %zu at %zu: %s",
						   lead, g, at, why);
			}
	}
}

/* Whitespace runs of every length up to 20 (and a byte JSON does not count
 * as whitespace) in every gap between tokens. */
static void test_whitespace_agree(void)
{
	static const char *tok[] = {"{", "\"a\"", ":", "[", "1", ",", "\"x\"",
				    ",", "true", "]", ",", "\"usage\"", ":",
				    "{", "}", "}"};
	static const char ws[] = " \t\n\r";
	char buf[256];
	for (size_t gap = 0; gap <= 16; gap++)
		for (size_t len = 0; len <= 21; len++) {
			size_t n = 0;
			for (size_t t = 0; t <= 16; t++) {
				if (t == gap) {
					for (size_t i = 0; i < len; i++)
						buf[n++] = len == 21 && i == 10
								   ? '\f'
								   : ws[i % 4];
				}
				if (t < 16)
					n = put(buf, n, tok[t], strlen(tok[t]));
			}
			const char *why = xc_check(buf, n);
			if (why)
				TEST_FAIL_("gap %zu len %zu: %s (%.*s)", gap,
					   len, why, (int)n, buf);
		}
}

/* Integers and reals of 1..24 digits, signed or not, as values, array
 * elements and at the very end of the buffer; long long's edges. */
static void test_numbers_agree(void)
{
	static const char *forms[][2] = {
		{"{\"a\":", "}"}, {"[", "]"}, {"[", ""}, {"{\"a\":", ""},
		{"[", ",1]"}, {"[", " ]"}};
	static const char *suffix[] = {"", ".5", "e3", "E+2", "e-9", ".25e1",
				       ".", "e", "e+", "x", "0", ".e1"};
	static const char *edges[] = {
		"9223372036854775807", "9223372036854775808",
		"-9223372036854775808", "-9223372036854775809",
		"99999999999999999999", "999999999999999999999",
		"1e308", "1e309", "-1e309", "1e-400", "-", "-0", "00", "-01",
		"0.0000000000000000000000000000001", "123456789012345678"};
	char buf[128], num[64];
	for (size_t f = 0; f < 6; f++) {
		for (int digits = 1; digits <= 24; digits++)
			for (int neg = 0; neg <= 1; neg++)
				for (size_t sf = 0; sf < 12; sf++) {
					size_t k = 0;
					if (neg)
						num[k++] = '-';
					for (int d = 0; d < digits; d++)
						num[k++] = (char)('1' + (d % 9));
					k = put(num, k, suffix[sf],
						strlen(suffix[sf]));
					size_t n = put(buf, 0, forms[f][0],
						       strlen(forms[f][0]));
					n = put(buf, n, num, k);
					n = put(buf, n, forms[f][1],
						strlen(forms[f][1]));
					const char *why = xc_check(buf, n);
					if (why)
						TEST_FAIL_("%.*s: %s", (int)n,
							   buf, why);
				}
		for (size_t e = 0; e < sizeof(edges) / sizeof(edges[0]); e++) {
			size_t n = put(buf, 0, forms[f][0],
				       strlen(forms[f][0]));
			n = put(buf, n, edges[e], strlen(edges[e]));
			n = put(buf, n, forms[f][1], strlen(forms[f][1]));
			const char *why = xc_check(buf, n);
			if (why)
				TEST_FAIL_("%.*s: %s", (int)n, buf, why);
		}
	}
}

/* Keys that nearly match a path component (same length, same first and
 * last byte, escaped spellings, longer than 8 and 16 bytes, empty) must
 * be told apart exactly; literals cut short. */
static void test_keys_agree(void)
{
	static const char *keys[] = {
		"usage", "usagE", "Usage", "usaxe", "usag", "usagee", "",
		"us\\u0061ge", "\\u0075sage", "usag\\u0065", "usage\\u0000",
		"completion_tokens", "completion_tokenz", "Completion_tokens",
		"completion_Tokens", "completioN_tokens", "completion_tokens_",
		"x\\\"y", "x\\u0022y", "x\\\"z", "choices", "chxices", "0",
		"error", "erorr", "\\u00e9rror", "token", "text", "texts",
	};
	static const char *vals[] = {"5", "{\"completion_tokens\":7}",
				     "[{\"text\":\"t\"}]", "null", "tru", "nul",
				     "fals", "true", "false", "{\"\":1}"};
	char buf[256];
	for (size_t a = 0; a < sizeof(keys) / sizeof(keys[0]); a++)
		for (size_t b = 0; b < sizeof(keys) / sizeof(keys[0]); b++)
			for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]);
			     v++) {
				int n = snprintf(buf, sizeof(buf),
						 "{\"%s\":{\"%s\":%s},\"%s\":%s}",
						 keys[a], keys[b], vals[v],
						 keys[b], vals[v]);
				const char *why = xc_check(buf, (size_t)n);
				if (why)
					TEST_FAIL_("%s: %s", buf, why);
				n = snprintf(buf, sizeof(buf),
					     "{\"choices\":[{\"delta\":{\"%s\":"
					     "%s}}],\"%s\":%s}",
					     keys[a], vals[v], keys[b], vals[v]);
				why = xc_check(buf, (size_t)n);
				if (why)
					TEST_FAIL_("%s: %s", buf, why);
			}
}

/* Parsing with fewer fields than compiled, or with the table masks
 * missing (they are then rebuilt per call), gives the same fields. */
static void test_table_variants(void)
{
	struct jscan_path copy[XC_N];
	struct jscan_field a[XC_N], b[XC_N];
	memcpy(copy, xc_paths, sizeof(copy));
	jscan_compile(copy, XC_N);
	copy[0].tab.n = 0;
	jscan_compile(xc_paths, XC_N);
	for (size_t i = 0; i < NFIX; i++) {
		size_t len = strlen(fixtures[i]);
		int ra = jscan_parse(fixtures[i], len, xc_paths, a, XC_N);
		int rb = jscan_parse(fixtures[i], len, copy, b, XC_N);
		ASSERT_EQ(ra, rb);
		for (size_t k = 0; k < XC_N && !ra; k++) {
			ASSERT_EQ(a[k].type, b[k].type);
			ASSERT_TRUE(a[k].start == b[k].start);
			ASSERT_EQ(a[k].len, b[k].len);
			ASSERT_EQ(a[k].count, b[k].count);
		}
		for (size_t nf = 0; nf < XC_N; nf++) {
			rb = jscan_parse(fixtures[i], len, xc_paths, b, nf);
			ASSERT_EQ(ra, rb);
			for (size_t k = 0; k < nf && !ra; k++) {
				ASSERT_EQ(a[k].type, b[k].type);
				ASSERT_TRUE(a[k].start == b[k].start);
				ASSERT_EQ(a[k].len, b[k].len);
			}
		}
	}
}

/* ---- jscan_parse_memo against jscan_parse ---- */

static struct jscan_path mpaths[] = {
	{.path = {"id"}, .depth = 1},
	{.path = {"object"}, .depth = 1},
	{.path = {"choices"}, .depth = 1},
	{.path = {"choices", "0", "text"}, .depth = 3},
	{.path = {"choices", "0", "finish_reason"}, .depth = 3},
	{.path = {"choices", "0", "delta", "content"}, .depth = 4},
	{.path = {"usage"}, .depth = 1},
	{.path = {"usage", "prompt_tokens"}, .depth = 2},
	{.path = {"usage", "completion_tokens"}, .depth = 2},
	{.path = {"error"}, .depth = 1},
	{.path = {NULL}, .depth = 0},
	{.path = {"choices", "0"}, .depth = 2},
	{.path = {"token", "text"}, .depth = 2},
	{.path = {"generated_text"}, .depth = 1},
	{.path = {"details"}, .depth = 1},
	{.path = {"a", "b"}, .depth = 2},
	{.path = {"a"}, .depth = 1},
};
#define MN (sizeof(mpaths) / sizeof(mpaths[0]))

static void memo_tables(void)
{
	jscan_compile(mpaths, MN);
	jscan_compile(xc_paths, XC_N);
}

/* mc_check on an exact-size heap copy of the document and, every other
 * call, one of a few tails after it (an SSE line end, a byte that could
 * continue the last value, a closing brace, a space): the peek sees them,
 * the parse does not. */
static const char *memo_exact(struct jscan_memo *m, const char *doc,
			      size_t len, const struct jscan_path *paths,
			      size_t nf)
{
	static const char *const tails[] = {"", "\n\ndata: {}", "7", "}",
					    "", " \n", "\"", "e5"};
	static unsigned k;
	const char *tail = tails[k++ % (sizeof(tails) / sizeof(tails[0]))];
	size_t tl = strlen(tail);
	char *copy = malloc(len + tl + 1);
	memcpy(copy, doc, len);
	memcpy(copy + len, tail, tl);
	const char *why = mc_check(m, copy, len, len + tl, paths, nf);
	free(copy);
	return why;
}

/* Every document through three memos: mpaths, a subset of mpaths (fewer
 * fields) and one alternating between mpaths and xc_paths. */
struct mstream {
	struct jscan_memo a, sub, alt;
	int k;
};

static void mstream_check(struct mstream *ms, const char *doc, size_t len,
			  const char *what)
{
	const char *why = memo_exact(&ms->a, doc, len, mpaths, MN);
	if (!why)
		why = memo_exact(&ms->sub, doc, len, mpaths, 5);
	if (!why)
		why = ms->k++ % 2 ? memo_exact(&ms->alt, doc, len, xc_paths, XC_N)
				  : memo_exact(&ms->alt, doc, len, mpaths, MN);
	if (why)
		TEST_FAIL_("%s: %s (%.*s)", what, why, (int)len, doc);
}

static void mstream_free(struct mstream *ms)
{
	jscan_memo_free(&ms->a);
	jscan_memo_free(&ms->sub);
	jscan_memo_free(&ms->alt);
	free(ms);
}

static const char *mtexts[] = {
	" the", "", " caf\xc3\xa9", "\\n", "\\\"q\\\"", " \\u00e9\\ud83d\\ude00",
	" \xe6\x97\xa5\xe6\x9c\xac", ",", " a much longer piece of text here",
	"\\\\", "\xf0\x9f\x98\x80",
};
#define MTEXTS (sizeof(mtexts) / sizeof(mtexts[0]))

static void test_memo_streams(void)
{
	memo_tables();
	struct mstream *ms = calloc(1, sizeof(*ms));
	struct buf b;
	buf_init(&b, 0);
	for (int api = 0; api < 3; api++) {
		/* a fresh memo per API: the chat stream below makes the
		 * memo back off (test_memo_backoff) */
		jscan_memo_free(&ms->a);
		for (int k = 0; k < 1200; k++) {
			const char *t = mtexts[(k * 7 + k / 3) % MTEXTS];
			int last = k == 1199;
			buf_reset(&b);
			if (api == 0)
				buf_printf(&b,
					   "{\"id\":\"cmpl-8f3c2a1b9d7e4f60\","
					   "\"object\":\"text_completion\","
					   "\"created\":%d,\"model\":\"Qwen/Q\","
					   "\"choices\":[{\"index\":0,\"text\":"
					   "\"%s\",\"logprobs\":null,"
					   "\"finish_reason\":%s,\"stop_reason\""
					   ":null}],\"usage\":{\"prompt_tokens\""
					   ":512,\"total_tokens\":%d,"
					   "\"completion_tokens\":%d}}",
					   1764090000 + k / 500, t,
					   last ? "\"length\"" : "null",
					   512 + k, k);
			else if (api == 1)
				buf_printf(&b,
					   "{\"id\":\"chatcmpl-1\",\"object\":"
					   "\"chat.completion.chunk\",\"created\""
					   ":1,\"model\":\"m\",\"choices\":[{"
					   "\"index\":0,\"delta\":{%s\"content\""
					   ":\"%s\"},\"logprobs\":null,"
					   "\"finish_reason\":%s}]%s}",
					   k ? "" : "\"role\":\"assistant\",", t,
					   last ? "\"stop\"" : "null",
					   k % 2 ? ",\"usage\":null" : "");
			else
				buf_printf(&b,
					   "{\"index\":%d,\"token\":{\"id\":%d,"
					   "\"text\":\"%s\",\"logprob\":-0.%d,"
					   "\"special\":false},"
					   "\"generated_text\":%s,\"details\":%s}",
					   k, 1000 + k * 37, t, k + 1,
					   last ? "\"all\"" : "null",
					   last ? "{\"finish_reason\":\"length\"}"
						: "null");
			mstream_check(ms, b.data, b.len, "stream");
		}
		/* Only values change in the completions and TGI streams:
		 * after the first event (and TGI's last, whose details
		 * turn into an object) every event matches the template.
		 * The chat stream changes keys every event (role, usage). */
		uint64_t want = api == 0 ? 1199 : api == 2 ? 1198 : 0;
		if (api != 1 && ms->a.matched != want)
			TEST_FAIL_("api %d: %llu of 1200 events matched the "
				   "template, want %llu", api,
				   (unsigned long long)ms->a.matched,
				   (unsigned long long)want);
		/* ... and all but a few of them by the plan (the values the
		 * match before replaced): event 1 sets it (text and the
		 * counters); in completions, `created` ticking over at event
		 * 500 adds it (so event 1000, where it ticks again, needs no
		 * search) and finish_reason on the last event is new again. */
		uint64_t want_fast = api == 0 ? 1199 - 3 : api == 2 ? 1197 : 0;
		if (api != 1 && ms->a.fast != want_fast)
			TEST_FAIL_("api %d: %llu events matched by the plan, "
				   "want %llu", api,
				   (unsigned long long)ms->a.fast,
				   (unsigned long long)want_fast);
		static const char *tails[] = {
			"{\"id\":\"cmpl-8f3c2a1b9d7e4f60\",\"object\":"
			"\"text_completion\",\"created\":1764090002,\"model\":"
			"\"Qwen/Q\",\"choices\":[],\"usage\":{\"prompt_tokens\":"
			"512,\"total_tokens\":1711,\"completion_tokens\":1199}}",
			"{\"error\":{\"message\":\"x\",\"code\":500}}",
			"{\"object\":\"error\",\"message\":\"bad\",\"code\":400}",
			"{\"error\":\"overloaded\",\"error_type\":\"x\"}",
			"[DONE]",
		};
		for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++)
			mstream_check(ms, tails[i], strlen(tails[i]), "tail");
	}
	buf_free(&b);
	mstream_free(ms);
}

/* docs[0..n) through one memo twice: without a peek, then each followed
 * by an SSE line end that the peek sees and the parse does not. */
static void memo_docs_twice(struct jscan_memo *m, const char *const *docs,
			    size_t n, const struct jscan_path *paths, size_t nf)
{
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < n; i++) {
			size_t len = strlen(docs[i]);
			char *copy = malloc(len + 3);
			memcpy(copy, docs[i], len);
			memcpy(copy + len, "\n\n", 3);
			const char *why = mc_check(m, copy, len,
						   round ? len + 2 : len, paths,
						   nf);
			if (why)
				TEST_FAIL_("doc %zu round %d: %s", i, round,
					   why);
			free(copy);
		}
}

/* A match writes only the fields of its plan into the memo's own
 * fields: when the plan changes, a field the old plan replaced and the new
 * one does not must read as the template's again (value, length, type). */
static void test_memo_plan_change(void)
{
	memo_tables();
	static const char *const docs[] = {
		"{\"a\":\"x\",\"b\":1}",      /* the template */
		"{\"a\":\"yyy\",\"b\":1}",    /* plan: a */
		"{\"a\":\"x\",\"b\":22}",     /* plan: b; a is the template's */
		"{\"a\":null,\"b\":1}",       /* plan: a again, another type */
		"{\"a\":\"x\",\"b\":333}",    /* plan: b */
		"{\"a\":\"x\",\"b\":333}",    /* the plan alone (fast) */
	};
	struct jscan_memo m = {0};
	memo_docs_twice(&m, docs, sizeof(docs) / sizeof(docs[0]), mpaths, MN);
	ASSERT_TRUE(m.matched >= 8);
	jscan_memo_free(&m);
}

/* Two fields of one table naming the same value: the plan reads it into
 * the first, the second copies it (memo_put). Both must follow every
 * change, peeked or not. */
static void test_memo_shared_value(void)
{
	static struct jscan_path dup[] = {
		{.path = {"b"}, .depth = 1},
		{.path = {"a"}, .depth = 1},
		{.path = {"b"}, .depth = 1},
		{.path = {"a"}, .depth = 1},
	};
	jscan_compile(dup, 4);
	static const char *const docs[] = {
		"{\"a\":\"x\",\"b\":1}", "{\"a\":\"yy\",\"b\":1}",
		"{\"a\":\"zzz\",\"b\":1}", "{\"a\":\"q\",\"b\":20}",
		"{\"a\":\"rr\",\"b\":300}", "{\"a\":7,\"b\":4}",
	};
	struct jscan_memo m = {0};
	memo_docs_twice(&m, docs, sizeof(docs) / sizeof(docs[0]), dup, 4);
	ASSERT_TRUE(m.fast >= 4);
	jscan_memo_free(&m);
}

/* A planned integer (the fast path reads its digits and lets the bytes
 * after it reject a fraction or exponent) turned into every other number
 * form, valid or not, at the end of the document and before a comma and
 * a space; a plain integer between each so the plan stays. Also checks
 * the integers were matched by the plan. */
static void test_memo_numbers(void)
{
	memo_tables();
	static const char *forms[] = {
		"12.5", "12e3", "12E+3", "1.", "1e", "123456789012345678",
		"1234567890123456789", "12345678901234567890", "0", "-5",
		"-0", "01", "00", "0.5", "9", "1x", "1-", "+1", "1.5e-3",
		"\"7\"", "null", "true", "18446744073709551616",
	};
	static const char *shapes[] = {
		"{\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":%s}}",
		"{\"usage\":{\"completion_tokens\":%s,\"prompt_tokens\":8}}",
		"{\"usage\":{\"completion_tokens\":%s ,\"prompt_tokens\":8}}",
		"{\"usage\":{\"completion_tokens\":%s}\t}",
	};
	struct buf b;
	buf_init(&b, 0);
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		struct mstream *ms = calloc(1, sizeof(*ms));
		int k = 1;
		for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
			char v[32];
			for (int w = 0; w < 3; w++) { /* plain, plan kept */
				snprintf(v, sizeof(v), "%d", k++);
				buf_reset(&b);
				buf_printf(&b, shapes[s], v);
				mstream_check(ms, b.data, b.len, "int");
			}
			buf_reset(&b);
			buf_printf(&b, shapes[s], forms[f]);
			mstream_check(ms, b.data, b.len, forms[f]);
		}
		/* The ints between the forms: each a new value of the one
		 * planned scalar, all but those right after a form (the
		 * plan may have changed) matched by the plan. */
		if (ms->a.fast < 23 * 2)
			TEST_FAIL_("shape %zu: %llu events matched by the plan",
				   s, (unsigned long long)ms->a.fast);
		mstream_free(ms);
	}
	buf_free(&b);
}

/* A valid base, then every one-byte change of it (valid or not), every
 * truncation, and the base again after each. */
static void test_memo_every_offset(void)
{
	memo_tables();
	static const char repl[] = "{}[]\",:\\0159eE.-tn a\x80\xc3 ";
	static const char *bases[] = {
		"{\"id\":\"cmpl-8f3c\",\"object\":\"text_completion\","
		"\"created\":1764090000,\"model\":\"Qwen/Q\",\"choices\":[{"
		"\"index\":0,\"text\":\" the\",\"logprobs\":null,"
		"\"finish_reason\":null,\"stop_reason\":null}],\"usage\":{"
		"\"prompt_tokens\":512,\"total_tokens\":530,"
		"\"completion_tokens\":18}}",
		"{\"a\":{\"b\":1},\"a\":{\"b\":2},\"a\":[3],\"choices\":[{\"text"
		"\":\"x\"},{\"text\":\"y\"}],\"choices\":[{\"text\":\"z\"}]}",
		"{\"choices\":[{\"delta\":{\"content\":\"caf\\u00e9 \\\"q\\\"\"}"
		",\"finish_reason\":null}],\"usage\":{\"completion_tokens\":"
		"9223372036854775807}}",
		"[1, {\"a\": {\"b\" : [true, false]}}, \"s\", [], {}, -0.5e3]",
	};
	struct mstream *ms = calloc(1, sizeof(*ms));
	char buf[512];
	for (size_t bi = 0; bi < sizeof(bases) / sizeof(bases[0]); bi++) {
		const char *base = bases[bi];
		size_t len = strlen(base);
		for (size_t i = 0; i < len; i++) {
			for (size_t r = 0; r < sizeof(repl) - 1; r++) {
				memcpy(buf, base, len);
				buf[i] = repl[r];
				mstream_check(ms, base, len, "base");
				mstream_check(ms, buf, len, "changed byte");
				mstream_check(ms, buf, len, "same again");
			}
			mstream_check(ms, base, len, "base");
			mstream_check(ms, base, i, "truncated");
		}
	}
	mstream_free(ms);
}

/* A stream alternating two shapes (almost) never matches: from the second
 * failed attempt in a row the memo parses 1, 2, 4, ... 64 events plainly
 * between attempts, and every result is still jscan_parse's. A stable
 * stream afterwards matches again once the backoff has run out. */
static void test_memo_backoff(void)
{
	memo_tables();
	struct jscan_memo m = {0};
	struct buf b;
	buf_init(&b, 0);
	int attempts = 0;
	for (int k = 0; k < 600; k++) {
		buf_reset(&b);
		buf_printf(&b, "{\"id\":\"x\",\"choices\":[{\"text\":\"t%d\"}]%s}",
			   k, k % 2 ? ",\"usage\":null" : "");
		uint64_t before = m.matched + m.parsed;
		uint32_t skip = m.skip;
		const char *why = memo_exact(&m, b.data, b.len, mpaths, MN);
		if (why)
			TEST_FAIL_("alternating event %d: %s", k, why);
		ASSERT_EQ(m.matched + m.parsed, before + 1);
		if (!skip)
			attempts++; /* a match was tried (or a template built) */
	}
	/* an attempt after an odd gap meets its own shape once */
	ASSERT_TRUE(m.matched <= 2);
	/* attempts come after gaps of 1, 2, 4, 8, 16, 32, 64, 64, ...:
	 * far fewer than 600 */
	ASSERT_TRUE(attempts >= 10 && attempts <= 20);
	ASSERT_EQ(m.level, 6);
	/* a stable stream: at most 64 + 1 + 64 events until its template
	 * is in place (a skip under way, one failed attempt that rebuilds,
	 * the skip it triggers), then every event matches */
	uint64_t matched = m.matched;
	for (int k = 0; k < 300; k++) {
		buf_reset(&b);
		buf_printf(&b, "{\"id\":\"x\",\"choices\":[{\"text\":\"s%d\"}]}",
			   k);
		if (memo_exact(&m, b.data, b.len, mpaths, MN))
			TEST_FAIL_("stable event %d disagrees", k);
	}
	ASSERT_TRUE(m.matched - matched >= 300 - 129);
	ASSERT_EQ(m.misses, 0);
	ASSERT_EQ(m.level, 0); /* 16 matches in a row */
	ASSERT_EQ(m.skip, 0);
	buf_free(&b);
	jscan_memo_free(&m);
}

/* jscan_memo_peek: once the memo has a plan, a document that is the
 * template with the planned values replaced is recognised at the start of
 * a buffer, whatever follows it, and the parse of exactly that document
 * then reuses the peek (the fields still equal jscan_parse's); anything
 * else, and a planned string holding a raw line end, is not recognised. */
static void test_memo_peek(void)
{
	memo_tables();
	struct jscan_memo m = {0};
	struct buf b;
	buf_init(&b, 0);
	const char *fmt = "{\"id\":\"c1\",\"choices\":[{\"text\":\"%s\","
			  "\"finish_reason\":null}],\"usage\":{"
			  "\"completion_tokens\":%d}}";
	for (int k = 0; k < 3; k++) { /* template, then a plan */
		buf_reset(&b);
		buf_printf(&b, fmt, k ? " t" : "t", k + 1);
		ASSERT_TRUE(memo_exact(&m, b.data, b.len, mpaths, MN) == NULL);
	}
	ASSERT_EQ(m.fast, 1);
	buf_reset(&b);
	buf_printf(&b, fmt, " longer text", 1234);
	size_t len = b.len;
	buf_puts(&b, "\n\ndata: {\"next\":1}\n\n");
	ASSERT_EQ(jscan_memo_peek(&m, b.data, b.len), len);
	ASSERT_TRUE(m.peek == b.data);
	struct jscan_field a[JSCAN_MAX_FIELDS], p[JSCAN_MAX_FIELDS];
	ASSERT_EQ(jscan_parse_memo(&m, b.data, len, mpaths, a, MN), 0);
	ASSERT_EQ(m.fast, 2);
	ASSERT_TRUE(m.peek == NULL); /* used once */
	ASSERT_EQ(jscan_parse(b.data, len, mpaths, p, MN), 0);
	for (size_t i = 0; i < MN; i++) {
		ASSERT_EQ(a[i].type, p[i].type);
		ASSERT_TRUE(mc_span_ok(&a[i], &p[i], b.data, b.len));
		ASSERT_EQ(a[i].len, p[i].len);
		ASSERT_EQ(a[i].count, p[i].count);
	}
	/* not recognised: a key changed, cut short, a raw LF or CR in the
	 * planned text, a value turned into a container */
	static const char *no[] = {
		"{\"id\":\"c1\",\"choices\":[{\"txt\":\"a\","
		"\"finish_reason\":null}],\"usage\":{\"completion_tokens\":5}}",
		"{\"id\":\"c1\",\"choices\":[{\"text\":\"a\","
		"\"finish_reason\":null}],\"usage\":{\"completion_tokens\":5}",
		"{\"id\":\"c1\",\"choices\":[{\"text\":\"a\nb\","
		"\"finish_reason\":null}],\"usage\":{\"completion_tokens\":5}}",
		"{\"id\":\"c1\",\"choices\":[{\"text\":\"a\rb\","
		"\"finish_reason\":null}],\"usage\":{\"completion_tokens\":5}}",
		"{\"id\":\"c1\",\"choices\":[{\"text\":[1],"
		"\"finish_reason\":null}],\"usage\":{\"completion_tokens\":5}}",
		"{\"id\":\"c1\",\"choices\":[{\"text\":\"a\","
		"\"finish_reason\":null}],\"usage\":{\"completion_tokens\":5",
	};
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		ASSERT_EQ(jscan_memo_peek(&m, no[i], strlen(no[i])), 0);
		ASSERT_TRUE(m.peek == NULL);
	}
	/* a recognised document with trailing whitespace on its line: the
	 * peek takes the document alone; the parse of the whole line does
	 * not reuse it and is exact */
	buf_reset(&b);
	buf_printf(&b, fmt, "x", 7);
	len = b.len;
	buf_puts(&b, " \t");
	ASSERT_EQ(jscan_memo_peek(&m, b.data, b.len), len);
	uint64_t fast = m.fast;
	ASSERT_TRUE(memo_exact(&m, b.data, b.len, mpaths, MN) == NULL);
	ASSERT_TRUE(m.peek == NULL);
	ASSERT_EQ(m.fast, fast); /* whitespace: the search, not the plan */
	/* backing off: no peek */
	m.skip = 2;
	ASSERT_EQ(jscan_memo_peek(&m, b.data, b.len), 0);
	jscan_memo_free(&m);
	/* a template with a line end in its whitespace (a multi-line SSE
	 * event): matched by its plan, never peeked */
	for (int k = 0; k < 4; k++) {
		buf_reset(&b);
		buf_printf(&b, "{\"id\":\"c1\",\r\n\"usage\":{"
			       "\"completion_tokens\":%d}}", k + 10);
		ASSERT_EQ(jscan_memo_peek(&m, b.data, b.len), 0);
		ASSERT_TRUE(memo_exact(&m, b.data, b.len, mpaths, MN) == NULL);
	}
	ASSERT_EQ(m.fast, 2);
	jscan_memo_free(&m);
	/* a plan of nine values (more than a peek once held): peeked as
	 * soon as there is a plan (the third document), like any other */
	for (int k = 0; k < 4; k++) {
		buf_reset(&b);
		buf_puts(&b, "{\"n\":[");
		for (int i = 0; i < 9; i++)
			buf_printf(&b, "%s%d", i ? "," : "", k * 10 + i);
		buf_puts(&b, "]}");
		ASSERT_EQ(jscan_memo_peek(&m, b.data, b.len), k < 2 ? 0 : b.len);
		ASSERT_TRUE(memo_exact(&m, b.data, b.len, mpaths, MN) == NULL);
	}
	ASSERT_EQ(m.fast, 2);
	buf_free(&b);
	jscan_memo_free(&m);
}

/* A document of exactly n bytes holding k numbers: {"a":[1,...],"s":"xx.."}
 * (the string pads it to n). */
static void limit_doc(struct buf *b, size_t n, int k)
{
	buf_reset(b);
	buf_puts(b, "{\"a\":[");
	for (int i = 0; i < k; i++)
		buf_puts(b, i ? ",7" : "7");
	buf_puts(b, "],\"s\":\"");
	while (b->len + 2 < n)
		buf_puts(b, "x");
	buf_puts(b, "\"}");
}

/* Templates are kept up to 1,024 bytes and 64 scalar values: at the limits
 * a repeated document matches; past them it is parsed in full (correctly)
 * and the earlier template is dropped, so the next small one is parsed
 * in full once and then matches again. */
static void test_memo_limits(void)
{
	memo_tables();
	struct jscan_memo m = {0};
	struct buf b;
	buf_init(&b, 0);
	const char *small = "{\"id\":\"x\",\"usage\":{\"prompt_tokens\":5}}";
	struct {
		size_t n;
		int k;
		int kept;
	} cases[] = {
		{1024, 63, 1}, /* 63 numbers and the string: 64 scalars */
		{1025, 63, 0},
		{1024, 64, 0},
		{200, 64, 0},
		{200, 10, 1},
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		limit_doc(&b, cases[c].n, cases[c].k);
		ASSERT_EQ(b.len, cases[c].n);
		const char *why = memo_exact(&m, small, strlen(small), mpaths, MN);
		if (!why)
			why = memo_exact(&m, small, strlen(small), mpaths, MN);
		uint64_t matched = m.matched;
		if (!why)
			why = memo_exact(&m, b.data, b.len, mpaths, MN);
		if (!why)
			why = memo_exact(&m, b.data, b.len, mpaths, MN);
		if (why)
			TEST_FAIL_("case %zu: %s", c, why);
		ASSERT_EQ(m.matched - matched, cases[c].kept);
		/* the small document again: matches only if its template
		 * survived, which it never does (the big one replaced it or
		 * dropped it) */
		matched = m.matched;
		ASSERT_TRUE(!memo_exact(&m, small, strlen(small), mpaths, MN));
		ASSERT_EQ(m.matched - matched, 0);
		ASSERT_TRUE(!memo_exact(&m, small, strlen(small), mpaths, MN));
		ASSERT_EQ(m.matched - matched, 1);
	}
	buf_free(&b);
	jscan_memo_free(&m);
}

/* Random documents, each followed by variants with one letter or digit
 * replaced by another of its class: in a string or number that is a
 * replaced value the template absorbs, in a key or literal a different
 * document (duplicate keys appearing and going) parsed in full. */
static void test_memo_random_documents(void)
{
	memo_tables();
	struct mstream *ms = calloc(1, sizeof(*ms));
	struct rng r;
	rng_seed(&r, 7);
	for (int k = 0; k < 6000; k++) {
		struct buf b;
		buf_init(&b, 0);
		buf_puts(&b, rng_int(&r, 0, 1) ? "{\"choices\":" : "{\"a\":");
		gen(&r, &b, 1);
		buf_puts(&b, rng_int(&r, 0, 1) ? ",\"a\":" : ",\"usage\":");
		gen(&r, &b, 1);
		buf_puts(&b, "}");
		mstream_check(ms, b.data, b.len, "random");
		for (int v = 0; v < 6; v++) {
			size_t i = (size_t)rng_int(&r, 0, (int64_t)b.len - 1);
			char c = b.data[i];
			if (c >= '0' && c <= '9')
				b.data[i] = (char)('0' + rng_int(&r, 0, 9));
			else if (c >= 'a' && c <= 'z')
				b.data[i] = "abcetx"[rng_int(&r, 0, 5)];
			mstream_check(ms, b.data, b.len, "random variant");
		}
		buf_free(&b);
	}
	mstream_free(ms);
}

int main(void)
{
	TEST_RUN(test_fixtures_agree);
	TEST_RUN(test_extracts);
	TEST_RUN(test_mutations_agree);
	TEST_RUN(test_random_documents_agree);
	TEST_RUN(test_block_boundaries_agree);
	TEST_RUN(test_block64_agree);
	TEST_RUN(test_whitespace_agree);
	TEST_RUN(test_numbers_agree);
	TEST_RUN(test_keys_agree);
	TEST_RUN(test_table_variants);
	TEST_RUN(test_memo_streams);
	TEST_RUN(test_memo_numbers);
	TEST_RUN(test_memo_plan_change);
	TEST_RUN(test_memo_shared_value);
	TEST_RUN(test_memo_every_offset);
	TEST_RUN(test_memo_random_documents);
	TEST_RUN(test_memo_limits);
	TEST_RUN(test_memo_backoff);
	TEST_RUN(test_memo_peek);
	return TEST_DONE();
}
