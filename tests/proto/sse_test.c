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

/* Feed s whole (mode 0), a byte at a time (1) or in random pieces of 1 to
 * maxn bytes (2), with peek as the parser's look-ahead (may be NULL); or
 * (3) in random pieces handed over as spans, 1 to 6 a sse_feedv call. */
static void feed_pieces(const char *s, size_t len, struct rng *r, int mode,
			int maxn, sse_peek_cb peek, sse_event_cb cb, void *ud)
{
	struct sse p;
	sse_init(&p);
	p.peek = peek;
	size_t i = 0;
	struct iovec v[6];
	size_t nv = 0, want = 1;
	while (i < len) {
		size_t n = mode == 0   ? len - i
			   : mode == 1 ? 1
				       : (size_t)rng_int(r, 1, maxn);
		if (n > len - i)
			n = len - i;
		if (mode == 3) {
			if (!nv)
				want = (size_t)rng_int(r, 1, 6);
			v[nv].iov_base = (void *)(s + i);
			v[nv++].iov_len = n;
			if (nv == want || i + n == len) {
				ASSERT_EQ(sse_feedv(&p, v, nv, cb, ud), 0);
				nv = 0;
			}
		} else {
			ASSERT_EQ(sse_feed(&p, s + i, n, cb, ud), 0);
		}
		i += n;
	}
	ASSERT_EQ(sse_finish(&p, cb, ud), 0);
	sse_free(&p);
}

static void feed_split(const char *s, size_t len, struct rng *r, int mode,
		       struct buf *out)
{
	feed_pieces(s, len, r, mode, 9, NULL, collect, out);
}

static void test_sse_every_split(void)
{
	struct rng r;
	rng_seed(&r, 42);
	for (int mode = 0; mode < 4; mode++) {
		for (int rep = 0; rep < (mode >= 2 ? 500 : 1); rep++) {
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

/* The look-ahead: a recogniser of "{...}" runs without CR or LF. */
struct pk {
	struct buf out;
	int peeks, taken; /* calls, and events dispatched by one */
	const char *last; /* the value the last peek recognised */
	size_t last_len;
};

static size_t peek_obj(void *ud, const char *s, size_t avail)
{
	struct pk *k = ud;
	k->peeks++;
	k->last = NULL;
	if (!avail || s[0] != '{')
		return 0;
	for (size_t i = 1; i < avail; i++) {
		if (s[i] == '\r' || s[i] == '\n')
			return 0;
		if (s[i] == '}') {
			k->last = s;
			k->last_len = i + 1;
			return i + 1;
		}
	}
	return 0;
}

static int collect_pk(void *ud, const char *data, size_t len)
{
	struct pk *k = ud;
	if (k->last == data && k->last_len == len)
		k->taken++;
	k->last = NULL;
	return collect(&k->out, data, len);
}

/* With a peek the events are the same as without, under any split:
 * recognised values followed by anything but "\n\n" (CRLF, more data
 * lines, trailing bytes, the end of a feed) take the scanning path. */
static void test_sse_peek_same_events(void)
{
	static const char *stream =
		"data: {\"a\":1}\n\n"
		"data:{\"b\":2}\n\n"
		"data: {\"c\":3}\r\n\r\n"
		"data: {\"c2\":3}\r\ndata: x\n\n"
		"data: {\"d\":4}\ndata: {\"e\":5}\n\n"
		"data: {\"f\":6} tail\n\n"
		": comment\n"
		"data: {\"g\":7}\r\r"
		"data: {\"h\":8}\n\n"
		"data: [DONE]\n\n";
	size_t len = strlen(stream);
	struct buf want;
	buf_init(&want, 0);
	struct rng r;
	rng_seed(&r, 7);
	feed_split(stream, len, &r, 0, &want);
	ASSERT_TRUE(strstr(want.data, "15:{\"d\":4}\n{\"e\":5}|") != NULL);
	for (int mode = 0; mode < 4; mode++) {
		for (int rep = 0; rep < (mode >= 2 ? 300 : 1); rep++) {
			struct pk k = {0};
			buf_init(&k.out, 0);
			feed_pieces(stream, len, &r, mode, 40, peek_obj,
				    collect_pk, &k);
			ASSERT_STR_EQ(k.out.data, want.data);
			if (mode == 0) /* a, b and h; the others fall back */
				ASSERT_EQ(k.taken, 3);
			if (mode != 1) /* one byte a feed: too short */
				ASSERT_TRUE(k.peeks > 0);
			buf_free(&k.out);
		}
	}
	buf_free(&want);
}

/* Spans cut at event boundaries, as HTTP chunks of one event each: a
 * span that is one recognised event is dispatched by sse_feedv itself,
 * and no bytes are peeked at twice (a span the peek rejects goes through
 * the scanning path without a second peek). */
static void test_sse_feedv_event_spans(void)
{
	static const char *const spans[] = {
		"data: {\"a\":1}\n\n",                    /* taken */
		"data: {\"b\":2}\n\ndata: {\"c\":3}\n\n", /* two, taken */
		"data: {\"d\":4} tail\n\n",               /* peeked, scanned */
		"data: x\n\n",                             /* peeked, scanned */
		"data: {\"e\":5}\r\n\r\n",                /* peeked, scanned */
		": note\n",                                 /* not peeked */
		"data: {\"f\":6}\n\n",                    /* taken */
		"data: {\"g\"",                            /* peeked, carried */
		":7}\n\n",                                 /* (the rest of g) */
		"data: {\"h\":8}\n\n",                    /* taken */
	};
	size_t ns = sizeof(spans) / sizeof(spans[0]);
	struct iovec v[16];
	struct buf whole, want;
	buf_init(&whole, 0);
	buf_init(&want, 0);
	for (size_t i = 0; i < ns; i++) {
		v[i].iov_base = (void *)spans[i];
		v[i].iov_len = strlen(spans[i]);
		buf_append(&whole, spans[i], strlen(spans[i]));
	}
	struct rng r;
	rng_seed(&r, 3);
	feed_split(whole.data, whole.len, &r, 0, &want);
	for (size_t per = 1; per <= ns; per++) { /* spans per call */
		struct pk k = {0};
		buf_init(&k.out, 0);
		struct sse p;
		sse_init(&p);
		p.peek = peek_obj;
		for (size_t i = 0; i < ns; i += per)
			ASSERT_EQ(sse_feedv(&p, v + i,
					    ns - i < per ? ns - i : per,
					    collect_pk, &k),
				  0);
		ASSERT_EQ(sse_finish(&p, collect_pk, &k), 0);
		ASSERT_STR_EQ(k.out.data, want.data);
		ASSERT_EQ(k.taken, 5);  /* a, b, c, f, h */
		ASSERT_EQ(k.peeks, 9);  /* each data line at a span's or an
					   event's start once */
		sse_free(&p);
		buf_free(&k.out);
	}
	buf_free(&whole);
	buf_free(&want);
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

/* A data line over SSE_MAX_LINE (no line end); *n its length. */
static char *overlong_line(size_t *n)
{
	*n = SSE_MAX_LINE + 100;
	char *s = xmalloc(*n);
	memset(s, 'x', *n);
	memcpy(s, "data: ", 6);
	return s;
}

static void test_sse_overflow_recovers(void)
{
	struct sse p;
	sse_init(&p);
	struct buf out;
	buf_init(&out, 0);
	size_t big;
	char *s = overlong_line(&big);
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

/* sse_feedv and ndjson_feedv (random spans: feed_pieces' mode 3): a
 * stop from the callback returns at once; an over-long line in one span
 * is reported after the rest is fed; NDJSON lines across spans. */
static void test_feedv(void)
{
	struct sse p;
	sse_init(&p);
	int count = 0;
	struct iovec v[3] = {{(void *)"data: a\n\nda", 11},
			     {(void *)"ta: b\n\n", 7},
			     {(void *)"data: c\n\n", 9}};
	ASSERT_EQ(sse_feedv(&p, v, 3, stop_at_second, &count), 99);
	ASSERT_EQ(count, 2);
	sse_free(&p);
	/* an over-long line, then an event in the next span */
	sse_init(&p);
	struct buf out;
	buf_init(&out, 0);
	size_t big;
	char *s = overlong_line(&big);
	struct iovec w[2] = {{s, big}, {(void *)"\n\ndata: ok\n\n", 12}};
	ASSERT_EQ(sse_feedv(&p, w, 2, collect, &out), -ENOBUFS);
	ASSERT_STR_EQ(out.data, "2:ok|");
	free(s);
	sse_free(&p);
	buf_reset(&out);
	/* NDJSON */
	const char *nd = "{\"a\":1}\n\n{\"b\":2}\r\n{\"c\":3}";
	struct ndjson q;
	ndjson_init(&q);
	struct iovec x[3] = {{(void *)nd, 4}, {(void *)(nd + 4), 9},
			     {(void *)(nd + 13), strlen(nd) - 13}};
	ASSERT_EQ(ndjson_feedv(&q, x, 3, collect_line, &out), 0);
	ASSERT_EQ(ndjson_finish(&q, collect_line, &out), 1);
	ASSERT_STR_EQ(out.data, "7:{\"a\":1}|7:{\"b\":2}|7:{\"c\":3}|");
	ndjson_free(&q);
	buf_free(&out);
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
	TEST_RUN(test_sse_peek_same_events);
	TEST_RUN(test_sse_feedv_event_spans);
	TEST_RUN(test_sse_truncated);
	TEST_RUN(test_sse_callback_stops);
	TEST_RUN(test_sse_overflow_recovers);
	TEST_RUN(test_ndjson_splits);
	TEST_RUN(test_feedv);
	return TEST_DONE();
}
