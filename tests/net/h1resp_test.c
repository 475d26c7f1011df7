/* h1resp_test.c - the HTTP/1.x response parser: framings, keep-alive,
 * interim responses, malformed input, and the same result for every byte
 * split (each two-way split point, byte by byte, random splits). */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/rng.h"
#include "net/h1resp.h"
#include "test.h"

/* What one response parse produced. */
struct got {
	int heads, status, keep_alive, done, error, eof_done;
	struct buf body;
	size_t trailing; /* bytes left after H1_DONE */
	const char *why;
};

/* Spans per h1_resp_feed call: some passes use few, so that a call
 * stops with its spans full and the next goes on. */
static size_t max_spans = 64;

/* Feed msg in pieces of the given sizes (sizes[i] == 0: the rest), then
 * signal EOF when eof is set and the response is not done. */
static void parse(const char *msg, size_t n, const size_t *cuts,
		  size_t ncuts, int eof, int head_req, struct got *g)
{
	memset(g, 0, sizeof(*g));
	buf_init(&g->body, 0);
	struct h1_resp p;
	h1_resp_init(&p, head_req);
	char *copy = malloc(n + 1);
	memcpy(copy, msg, n);
	size_t off = 0, c = 0;
	while (off < n || (off == n && !g->done && !g->error && c == 0)) {
		size_t k = c < ncuts && cuts[c] ? cuts[c] : n - off;
		c++;
		if (k > n - off)
			k = n - off;
		/* a fresh copy of each piece, as from a read buffer */
		char *piece = malloc(k + 1);
		memcpy(piece, copy + off, k);
		char *b = piece;
		size_t left = k;
		for (;;) {
			size_t used, ns = 0;
			struct iovec sp[64];
			enum h1_ev ev = h1_resp_feed(&p, b, left, &used, sp,
						     max_spans, &ns);
			ASSERT_TRUE(used <= left);
			b += used;
			left -= used;
			if (ev == H1_MORE) {
				ASSERT_EQ(left, 0);
				break;
			}
			if (ev == H1_HEAD) {
				g->heads++;
				g->status = p.status;
				ASSERT_TRUE(h1_resp_has_head(&p));
			} else if (ev == H1_BODY) {
				ASSERT_TRUE(ns > 0 && ns <= max_spans);
				for (size_t j = 0; j < ns; j++) {
					const char *sb = sp[j].iov_base;
					ASSERT_TRUE(sp[j].iov_len > 0);
					ASSERT_TRUE(sb >= piece &&
						    sb + sp[j].iov_len <=
							    piece + k);
					buf_append(&g->body, sb,
						   sp[j].iov_len);
				}
			} else if (ev == H1_DONE) {
				g->done = 1;
				g->trailing += left;
				break;
			} else {
				g->error = 1;
				g->why = p.error;
				break;
			}
		}
		free(piece);
		off += k;
		if (g->done || g->error)
			break;
	}
	if (!g->done && !g->error && eof) {
		enum h1_ev ev = h1_resp_eof(&p);
		if (ev == H1_DONE)
			g->done = g->eof_done = 1;
		else
			g->error = 1, g->why = p.error;
	}
	g->keep_alive = p.keep_alive;
	free(copy);
}

static void got_free(struct got *g)
{
	buf_free(&g->body);
}

/* The response parsed whole must equal every other split of it. */
static void all_splits(const char *msg, int eof, struct got *whole)
{
	size_t n = strlen(msg);
	parse(msg, n, NULL, 0, eof, 0, whole);
	const char *wb = whole->body.data ? whole->body.data : "";
	for (size_t cut = 1; cut < n; cut++) {
		size_t cuts[2] = {cut, 0};
		struct got g;
		parse(msg, n, cuts, 2, eof, 0, &g);
		ASSERT_EQ(g.done, whole->done);
		ASSERT_EQ(g.error, whole->error);
		ASSERT_EQ(g.status, whole->status);
		ASSERT_EQ(g.heads, whole->heads);
		ASSERT_EQ(g.body.len, whole->body.len);
		ASSERT_TRUE(!g.body.len || !memcmp(g.body.data, wb, g.body.len));
		got_free(&g);
	}
	size_t *ones = malloc(n * sizeof(*ones));
	for (size_t i = 0; i < n; i++)
		ones[i] = 1;
	struct got g;
	parse(msg, n, ones, n, eof, 0, &g);
	ASSERT_EQ(g.done, whole->done);
	ASSERT_EQ(g.error, whole->error);
	ASSERT_EQ(g.body.len, whole->body.len);
	ASSERT_TRUE(!g.body.len || !memcmp(g.body.data, wb, g.body.len));
	got_free(&g);
	struct rng r;
	rng_seed(&r, n);
	for (int t = 0; t < 50; t++) {
		for (size_t i = 0; i < n; i++)
			ones[i] = 1 + rng_u64(&r) % 9;
		parse(msg, n, ones, n, eof, 0, &g);
		ASSERT_EQ(g.done, whole->done);
		ASSERT_EQ(g.body.len, whole->body.len);
		ASSERT_TRUE(!g.body.len ||
			    !memcmp(g.body.data, wb, g.body.len));
		got_free(&g);
	}
	/* whole, with one and two spans per call */
	for (max_spans = 1; max_spans <= 2; max_spans++) {
		parse(msg, n, NULL, 0, eof, 0, &g);
		ASSERT_EQ(g.done, whole->done);
		ASSERT_EQ(g.error, whole->error);
		ASSERT_EQ(g.body.len, whole->body.len);
		ASSERT_TRUE(!g.body.len ||
			    !memcmp(g.body.data, wb, g.body.len));
		got_free(&g);
	}
	max_spans = 64;
	free(ones);
}

static void test_chunked_sse(void)
{
	const char *m = "HTTP/1.1 200 OK\r\n"
			"Content-Type: text/event-stream\r\n"
			"Transfer-Encoding: chunked\r\n"
			"\r\n"
			"f\r\ndata: {\"a\":1}\n\n\r\n"
			"11;ext=1\r\ndata: {\"bb\":22}\n\n\r\n"
			"E\r\ndata: [DONE]\n\n\r\n"
			"0\r\n\r\n";
	struct got g;
	all_splits(m, 0, &g);
	ASSERT_EQ(g.heads, 1);
	ASSERT_EQ(g.status, 200);
	ASSERT_TRUE(g.done && !g.eof_done && !g.error);
	ASSERT_TRUE(g.keep_alive);
	ASSERT_EQ(g.trailing, 0);
	buf_append(&g.body, "", 1);
	ASSERT_STR_EQ(g.body.data, "data: {\"a\":1}\n\n"
				   "data: {\"bb\":22}\n\n"
				   "data: [DONE]\n\n");
	got_free(&g);
}

/* A whole read of chunks comes back in one call, a span per chunk, in
 * place (nothing moved); with room for two spans, in two calls. */
static void test_chunk_spans(void)
{
	char m[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		   "3\r\nabc\r\n3\r\ndef\r\n2\r\ngh\r\n0\r\n\r\n";
	struct h1_resp p;
	h1_resp_init(&p, 0);
	size_t used, ns = 0, n = strlen(m);
	struct iovec sp[4];
	ASSERT_EQ(h1_resp_feed(&p, m, n, &used, sp, 4, &ns), H1_HEAD);
	char *b = m + used;
	n -= used;
	ASSERT_EQ(h1_resp_feed(&p, b, n, &used, sp, 4, &ns), H1_BODY);
	ASSERT_EQ(ns, 3);
	ASSERT_TRUE(sp[0].iov_base == b + 3 && sp[0].iov_len == 3);
	ASSERT_TRUE(sp[1].iov_base == b + 11 && sp[1].iov_len == 3);
	ASSERT_TRUE(sp[2].iov_base == b + 19 && sp[2].iov_len == 2);
	/* the buffer is not rewritten */
	ASSERT_TRUE(!memcmp(b, "3\r\nabc\r\n3\r\ndef\r\n2\r\ngh\r\n", 23));
	b += used;
	n -= used;
	ASSERT_EQ(h1_resp_feed(&p, b, n, &used, sp, 4, &ns), H1_DONE);
	ASSERT_EQ(used, n);
	/* Done is sticky. */
	ASSERT_EQ(h1_resp_feed(&p, b, 0, &used, sp, 4, &ns), H1_DONE);
	/* two spans a call */
	char m2[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "3\r\nabc\r\n3\r\ndef\r\n2\r\ngh\r\n0\r\n\r\n";
	h1_resp_init(&p, 0);
	n = strlen(m2);
	ASSERT_EQ(h1_resp_feed(&p, m2, n, &used, sp, 2, &ns), H1_HEAD);
	b = m2 + used;
	n -= used;
	ASSERT_EQ(h1_resp_feed(&p, b, n, &used, sp, 2, &ns), H1_BODY);
	ASSERT_EQ(ns, 2);
	ASSERT_TRUE(!memcmp(sp[1].iov_base, "def", 3));
	b += used;
	n -= used;
	ASSERT_EQ(h1_resp_feed(&p, b, n, &used, sp, 2, &ns), H1_BODY);
	ASSERT_EQ(ns, 1);
	ASSERT_TRUE(sp[0].iov_len == 2 && !memcmp(sp[0].iov_base, "gh", 2));
	b += used;
	n -= used;
	ASSERT_EQ(h1_resp_feed(&p, b, n, &used, sp, 2, &ns), H1_DONE);
}

/* The whole-chunk loop's edges: sizes of 8 hex digits (taken whole) and
 * 9 (left to the byte path), upper case, a bare LF after the data, an
 * extension, a chunk whose CRLF is not there; every split the same. */
static void test_whole_chunk_edges(void)
{
	const char *m = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			"00000003\r\nabc\r\n"
			"000000003\r\ndef\r\n"
			"A\r\n0123456789\r\n"
			"2\r\ngh\n"
			"1;x\r\ni\r\n"
			"3\r\njkl\r\n"
			"0\r\n\r\n";
	struct got g;
	all_splits(m, 0, &g);
	ASSERT_TRUE(g.done && !g.error);
	buf_append(&g.body, "", 1);
	ASSERT_STR_EQ(g.body.data, "abcdef0123456789ghijkl");
	got_free(&g);
	/* chunk data not followed by CRLF: an error at the same place */
	const char *bad = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			  "3\r\nabc\r\n3\r\ndefXY3\r\nghi\r\n0\r\n\r\n";
	all_splits(bad, 0, &g);
	ASSERT_TRUE(g.error && !g.done);
	buf_append(&g.body, "", 1);
	ASSERT_STR_EQ(g.body.data, "abcdef");
	got_free(&g);
}

static void test_content_length(void)
{
	struct got g;
	all_splits("HTTP/1.1 400 Bad Request\r\ncontent-length: 11\r\n"
		   "Connection: keep-alive\r\n\r\n{\"e\":\"bad\"}",
		   0, &g);
	ASSERT_EQ(g.status, 400);
	ASSERT_TRUE(g.done && g.keep_alive);
	ASSERT_EQ(g.body.len, 11);
	got_free(&g);
	/* Zero length: done right after the head. */
	all_splits("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, &g);
	ASSERT_TRUE(g.done && g.body.len == 0 && g.keep_alive);
	got_free(&g);
	/* Bytes after the message are left to the caller. */
	const char *m = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokXYZ";
	parse(m, strlen(m), NULL, 0, 0, 0, &g);
	ASSERT_TRUE(g.done);
	ASSERT_EQ(g.trailing, 3);
	got_free(&g);
}

static void test_close_delimited(void)
{
	struct got g;
	all_splits("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
		   "data: x\n\n",
		   1, &g);
	ASSERT_TRUE(g.done && g.eof_done && !g.keep_alive);
	ASSERT_EQ(g.body.len, 9);
	got_free(&g);
	/* Transfer-Encoding without chunked: until close, not reusable. */
	all_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n"
		   "Content-Length: 3\r\n\r\nabcdef",
		   1, &g);
	ASSERT_TRUE(g.done && g.eof_done && !g.keep_alive);
	ASSERT_EQ(g.body.len, 6);
	got_free(&g);
	/* HTTP/1.0 keep-alive with a length. */
	all_splits("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n"
		   "Content-Length: 1\r\n\r\nz",
		   0, &g);
	ASSERT_TRUE(g.done && g.keep_alive);
	got_free(&g);
}

static void test_connection_close_and_bare_lf(void)
{
	struct got g;
	all_splits("HTTP/1.1 200 OK\nConnection: upgrade, Close\n"
		   "Transfer-Encoding: chunked\n\n"
		   "4\nabcd\n0\nX-Trailer: 1\n\n",
		   0, &g);
	ASSERT_TRUE(g.done && !g.keep_alive && !g.error);
	ASSERT_EQ(g.body.len, 4);
	got_free(&g);
}

static void test_interim_responses(void)
{
	struct got g;
	all_splits("HTTP/1.1 100 Continue\r\n\r\n"
		   "HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
		   "HTTP/1.1 204 No Content\r\n\r\n",
		   0, &g);
	ASSERT_EQ(g.heads, 1);
	ASSERT_EQ(g.status, 204);
	ASSERT_TRUE(g.done && g.body.len == 0);
	got_free(&g);
	/* HEAD: no body whatever the length says. */
	const char *m = "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n";
	parse(m, strlen(m), NULL, 0, 0, 1, &g);
	ASSERT_TRUE(g.done && g.body.len == 0);
	got_free(&g);
}

/* Long headers are skipped unread; the parser keeps only a prefix. */
static void test_long_headers(void)
{
	struct buf m;
	buf_init(&m, 0);
	buf_puts(&m, "HTTP/1.1 200 OK\r\nX-Long: ");
	for (int i = 0; i < 5000; i++)
		buf_puts(&m, "y");
	buf_puts(&m, "\r\nContent-Length: 3\r\n\r\nabc");
	struct got g;
	parse(m.data, m.len, NULL, 0, 0, 0, &g);
	ASSERT_TRUE(g.done && g.body.len == 3);
	got_free(&g);
	/* A head over the cap is an error, not unbounded buffering. */
	buf_reset(&m);
	buf_puts(&m, "HTTP/1.1 200 OK\r\n");
	while (m.len < H1_MAX_HEAD + 100)
		buf_puts(&m, "X-Filler: 0123456789012345678901234567890\r\n");
	parse(m.data, m.len, NULL, 0, 0, 0, &g);
	ASSERT_TRUE(g.error && !g.done);
	ASSERT_TRUE(strstr(g.why, "64 KiB") != NULL);
	got_free(&g);
	buf_free(&m);
}

static void expect_error(const char *m, int eof, const char *why_part)
{
	struct got g;
	all_splits(m, eof, &g);
	ASSERT_TRUE(g.error);
	ASSERT_TRUE(!g.done);
	if (!strstr(g.why, why_part)) {
		fprintf(stderr, "error '%s' lacks '%s'\n", g.why, why_part);
		ASSERT_TRUE(0);
	}
	got_free(&g);
}

static void test_malformed(void)
{
	expect_error("garbage\r\n\r\n", 0, "status line");
	expect_error("HTTP/1.1 2x0 OK\r\n\r\n", 0, "status line");
	expect_error("HTTP/2 200\r\n\r\n", 0, "status line");
	expect_error("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", 0, "header");
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", 0,
		     "Content-Length");
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
		     "Content-Length: 2\r\n\r\n",
		     0, "conflicting");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "zz\r\n",
		     0, "chunk size");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "2\r\nabX\r\n",
		     0, "CRLF");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "fffffffffffffffffff\r\n",
		     0, "too large");
	expect_error("HTTP/1.1 101 Switching Protocols\r\n\r\n", 0, "101");
	/* Truncation found at EOF. */
	expect_error("", 1, "before a response");
	expect_error("HTTP/1.1 200 OK\r\nContent-Le", 1, "head");
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 1,
		     "Content-Length");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "5\r\nab",
		     1, "chunked");
}

/* Body bytes delivered before an error are still delivered. */
static void test_body_before_error(void)
{
	char m[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		   "2\r\nok!!";
	struct h1_resp p;
	h1_resp_init(&p, 0);
	size_t used, ns, n = strlen(m);
	struct iovec sp[2];
	char *b = m;
	ASSERT_EQ(h1_resp_feed(&p, b, n, &used, sp, 2, &ns), H1_HEAD);
	b += used, n -= used;
	ASSERT_EQ(h1_resp_feed(&p, b, n, &used, sp, 2, &ns), H1_BODY);
	ASSERT_EQ(ns, 1);
	ASSERT_EQ(sp[0].iov_len, 2);
	ASSERT_TRUE(!memcmp(sp[0].iov_base, "ok", 2));
	b += used, n -= used;
	ASSERT_EQ(h1_resp_feed(&p, b, n, &used, sp, 2, &ns), H1_ERROR);
	ASSERT_TRUE(strstr(p.error, "CRLF") != NULL);
}

int main(void)
{
	TEST_RUN(test_chunked_sse);
	TEST_RUN(test_chunk_spans);
	TEST_RUN(test_whole_chunk_edges);
	TEST_RUN(test_content_length);
	TEST_RUN(test_close_delimited);
	TEST_RUN(test_connection_close_and_bare_lf);
	TEST_RUN(test_interim_responses);
	TEST_RUN(test_long_headers);
	TEST_RUN(test_malformed);
	TEST_RUN(test_body_before_error);
	return TEST_DONE();
}
