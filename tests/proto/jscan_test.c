/* jscan_test.c - the per-token JSON scanner, cross-checked against jansson
 * on fixtures, every truncation and byte mutation of them, random
 * documents, and the edges of its fast paths (16- and 64-byte blocks,
 * backslash runs, buffer end,
 * whitespace runs, number lengths, key compares). Every document is
 * checked from an exact-size heap copy, so a read past n is an ASan error.
 * jscan_scalar_test.c runs the same file against the scalar build. */
#include "core/buf.h"
#include "core/rng.h"
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
	return TEST_DONE();
}
