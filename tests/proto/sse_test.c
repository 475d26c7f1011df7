/* sse_test.c - SSE and NDJSON push parsers under every byte split. */
#include <stdint.h>

#include <errno.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "core/rng.h"
#include "proto/ndjson.h"
#include "proto/sse.h"
#include "test.h"

/* Collects events as "<len>:<data>|" so sequences compare as strings. */
static int collect(void *ud, const char *data, size_t len)
{
	struct buf *b = ud;
	buf_printf(b, "%zu:", len);
	buf_append(b, data, len);
	buf_puts(b, "|");
	return 0;
}

static const char *stream_a =
	": keep-alive comment\n"
	"data: {\"a\":1}\n\n"
	"data:{\"tgi\":true}\n\n"          /* TGI: no space */
	"event: message\r\nid: 7\r\ndata: crlf\r\n\r\n"
	"data: line1\ndata: line2\n\n"     /* multi-line data */
	"data:  two spaces\n\n"             /* only one space stripped */
	"data\n\n"                          /* field without colon */
	"retry: 10\n\n"                     /* no data: not an event */
	"data: cr only\r\r"
	"data: [DONE]\n\n";

static const char *expect_a = "7:{\"a\":1}|"
			      "12:{\"tgi\":true}|"
			      "4:crlf|"
			      "11:line1\nline2|"
			      "11: two spaces|"
			      "0:|"
			      "7:cr only|"
			      "6:[DONE]|";

static void feed_split(const char *s, size_t len, struct rng *r, int mode,
		       struct buf *out)
{
	struct sse p;
	sse_init(&p);
	size_t i = 0;
	while (i < len) {
		size_t n = mode == 0   ? len - i
			   : mode == 1 ? 1
				       : (size_t)rng_int(r, 1, 9);
		if (n > len - i)
			n = len - i;
		ASSERT_EQ(sse_feed(&p, s + i, n, collect, out), 0);
		i += n;
	}
	ASSERT_EQ(sse_finish(&p, collect, out), 0);
	sse_free(&p);
}

static void test_sse_every_split(void)
{
	struct rng r;
	rng_seed(&r, 42);
	for (int mode = 0; mode < 3; mode++) {
		for (int rep = 0; rep < (mode == 2 ? 500 : 1); rep++) {
			struct buf out;
			buf_init(&out, 0);
			feed_split(stream_a, strlen(stream_a), &r, mode, &out);
			ASSERT_STR_EQ(out.data, expect_a);
			buf_free(&out);
		}
	}
	/* Every two-piece split point explicitly. */
	size_t len = strlen(stream_a);
	for (size_t cut = 0; cut <= len; cut++) {
		struct buf out;
		buf_init(&out, 0);
		struct sse p;
		sse_init(&p);
		ASSERT_EQ(sse_feed(&p, stream_a, cut, collect, &out), 0);
		ASSERT_EQ(sse_feed(&p, stream_a + cut, len - cut, collect,
				   &out),
			  0);
		ASSERT_EQ(sse_finish(&p, collect, &out), 0);
		ASSERT_STR_EQ(out.data, expect_a);
		sse_free(&p);
		buf_free(&out);
	}
}

static void test_sse_truncated(void)
{
	struct buf out;
	buf_init(&out, 0);
	struct sse p;
	sse_init(&p);
	const char *s = "data: one\n\ndata: tw";
	ASSERT_EQ(sse_feed(&p, s, strlen(s), collect, &out), 0);
	ASSERT_STR_EQ(out.data, "3:one|");
	/* The partial line is pending: finish reports truncation and
	 * delivers what there was. */
	ASSERT_EQ(sse_finish(&p, collect, &out), 1);
	ASSERT_STR_EQ(out.data, "3:one|2:tw|");
	ASSERT_EQ(p.events, 2);
	sse_free(&p);
	buf_free(&out);
}

static int stop_at_second(void *ud, const char *d, size_t n)
{
	(void)d;
	(void)n;
	return ++*(int *)ud == 2 ? 99 : 0;
}

static void test_sse_callback_stops(void)
{
	struct sse p;
	sse_init(&p);
	int count = 0;
	const char *s = "data: a\n\ndata: b\n\ndata: c\n\n";
	ASSERT_EQ(sse_feed(&p, s, strlen(s), stop_at_second, &count), 99);
	ASSERT_EQ(count, 2);
	sse_free(&p);
}

static void test_sse_overflow_recovers(void)
{
	struct sse p;
	sse_init(&p);
	struct buf out;
	buf_init(&out, 0);
	size_t big = SSE_MAX_LINE + 100;
	char *s = xmalloc(big);
	memset(s, 'x', big);
	memcpy(s, "data: ", 6);
	/* Fed in pieces: the over-long line is dropped, then parsing goes
	 * on normally. */
	int rc = 0;
	for (size_t i = 0; i < big; i += 65536) {
		size_t n = big - i < 65536 ? big - i : 65536;
		int r = sse_feed(&p, s + i, n, collect, &out);
		if (r)
			rc = r;
	}
	ASSERT_EQ(rc, -ENOBUFS);
	const char *tail = "\n\ndata: ok\n\n";
	ASSERT_EQ(sse_feed(&p, tail, strlen(tail), collect, &out), 0);
	ASSERT_STR_EQ(out.data, "2:ok|");
	ASSERT_EQ(p.overflow, 1);
	free(s);
	sse_free(&p);
	buf_free(&out);
}

static int collect_line(void *ud, const char *l, size_t n)
{
	return collect(ud, l, n);
}

static void test_ndjson_splits(void)
{
	const char *s = "{\"response\":\"a\",\"done\":false}\n\n"
			"{\"response\":\"b\"}\r\n"
			"   \n"
			"{\"done\":true}";
	const char *want = "29:{\"response\":\"a\",\"done\":false}|"
			   "16:{\"response\":\"b\"}|"
			   "13:{\"done\":true}|";
	struct rng r;
	rng_seed(&r, 7);
	size_t len = strlen(s);
	for (int rep = 0; rep < 300; rep++) {
		struct ndjson p;
		ndjson_init(&p);
		struct buf out;
		buf_init(&out, 0);
		size_t i = 0;
		while (i < len) {
			size_t n = rep == 0 ? 1 : (size_t)rng_int(&r, 1, 7);
			if (n > len - i)
				n = len - i;
			ASSERT_EQ(ndjson_feed(&p, s + i, n, collect_line, &out),
				  0);
			i += n;
		}
		ASSERT_EQ(ndjson_finish(&p, collect_line, &out), 1);
		ASSERT_STR_EQ(out.data, want);
		ndjson_free(&p);
		buf_free(&out);
	}
}

int main(void)
{
	TEST_RUN(test_sse_every_split);
	TEST_RUN(test_sse_truncated);
	TEST_RUN(test_sse_callback_stops);
	TEST_RUN(test_sse_overflow_recovers);
	TEST_RUN(test_ndjson_splits);
	return TEST_DONE();
}
