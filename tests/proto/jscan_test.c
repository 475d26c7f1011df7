/* jscan_test.c - the per-token JSON scanner, cross-checked against jansson
 * on fixtures, every truncation and byte mutation of them, and random
 * documents. */
#include "core/buf.h"
#include "core/rng.h"
#include "jscan_xcheck.h"
#include "test.h"

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

int main(void)
{
	TEST_RUN(test_fixtures_agree);
	TEST_RUN(test_extracts);
	TEST_RUN(test_mutations_agree);
	TEST_RUN(test_random_documents_agree);
	return TEST_DONE();
}
