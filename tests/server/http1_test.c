/* http1_test.c - request parser: byte-by-byte, random splits, pipelining,
 * chunked bodies, caps and malformed input. */
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "server/http1.h"
#include "test.h"

static const char REQ[] =
	"POST /v1/completions?x=1 HTTP/1.1\r\n"
	"Host: 127.0.0.1\r\n"
	"Content-Type: application/json\r\n"
	"Content-Length: 14\r\n"
	"\r\n"
	"{\"prompt\":\"a\"}";

/* Feed data in pieces of the given sizes (cycled); collect bodies of the
 * requests that complete. Returns the number of requests. */
static int feed_split(const char *data, size_t len, struct rng *r,
		      int max_piece, char bodies[][64], char paths[][64])
{
	struct http1_parser p;
	http1_init(&p);
	size_t off = 0;
	int n = 0;
	while (off < len) {
		size_t piece = r ? (size_t)rng_int(r, 1, max_piece) : 1;
		if (piece > len - off)
			piece = len - off;
		size_t pos = 0;
		while (pos < piece) {
			size_t used;
			enum http1_rc rc = http1_feed(&p, data + off + pos,
						      piece - pos, &used);
			pos += used;
			if (rc == HTTP1_DONE) {
				snprintf(bodies[n], 64, "%s", p.req.body);
				snprintf(paths[n], 64, "%.*s",
					 (int)p.req.path_len, p.req.target);
				n++;
				http1_reset(&p);
			} else if (rc != HTTP1_MORE) {
				http1_free(&p);
				return -(int)rc;
			}
		}
		off += piece;
	}
	http1_free(&p);
	return n;
}

static void test_byte_by_byte(void)
{
	char bodies[4][64], paths[4][64];
	ASSERT_EQ(feed_split(REQ, strlen(REQ), NULL, 1, bodies, paths), 1);
	ASSERT_STR_EQ(bodies[0], "{\"prompt\":\"a\"}");
	ASSERT_STR_EQ(paths[0], "/v1/completions");
}

static void test_random_splits_pipelined(void)
{
	/* Three pipelined requests: CL body, chunked body, GET. */
	char all[2048];
	snprintf(all, sizeof(all),
		 "%s"
		 "POST /generate_stream HTTP/1.1\r\nTransfer-Encoding: chunked"
		 "\r\n\r\n4;ext=1\r\n{\"in\r\na\r\nputs\":\"x\"}\r\n0\r\n"
		 "Trailer: 1\r\n\r\n"
		 "GET /health HTTP/1.1\n\n",
		 REQ);
	struct rng r;
	rng_seed(&r, 42);
	for (int iter = 0; iter < 300; iter++) {
		char bodies[4][64], paths[4][64];
		int n = feed_split(all, strlen(all), &r, 1 + iter % 40, bodies,
				   paths);
		ASSERT_EQ(n, 3);
		ASSERT_STR_EQ(bodies[0], "{\"prompt\":\"a\"}");
		ASSERT_STR_EQ(bodies[1], "{\"inputs\":\"x\"}");
		ASSERT_STR_EQ(paths[1], "/generate_stream");
		ASSERT_STR_EQ(bodies[2], "");
		ASSERT_STR_EQ(paths[2], "/health");
	}
}

static void test_headers_and_keepalive(void)
{
	struct http1_parser p;
	size_t used;
	http1_init(&p);
	const char *a = "\r\nGET /x HTTP/1.0\r\nConnection: keep-alive\r\n"
			"X-Thing:   spaced value  \r\nExpect: 100-continue\r\n\r\n";
	ASSERT_EQ(http1_feed(&p, a, strlen(a), &used), HTTP1_DONE);
	ASSERT_EQ(used, strlen(a));
	ASSERT_EQ(p.req.method, HTTP1_GET);
	ASSERT_EQ(p.req.minor, 0);
	ASSERT_EQ(p.req.keep_alive, 1);
	ASSERT_EQ(p.req.expect_continue, 1);
	ASSERT_STR_EQ(http1_header(&p, "x-thing"), "spaced value");
	/* the first and the last header line too */
	ASSERT_STR_EQ(http1_header(&p, "connection"), "keep-alive");
	ASSERT_STR_EQ(http1_header(&p, "EXPECT"), "100-continue");
	ASSERT_TRUE(http1_header(&p, "absent") == NULL);
	ASSERT_TRUE(http1_header(&p, "/x") == NULL); /* not the request line */
	http1_reset(&p);
	const char *b = "GET / HTTP/1.1\r\nConnection: close\r\n\r\n";
	ASSERT_EQ(http1_feed(&p, b, strlen(b), &used), HTTP1_DONE);
	ASSERT_EQ(p.req.keep_alive, 0);
	http1_reset(&p);
	const char *c = "GET / HTTP/1.1\r\n\r\n";
	ASSERT_EQ(http1_feed(&p, c, strlen(c), &used), HTTP1_DONE);
	ASSERT_EQ(p.req.keep_alive, 1);
	http1_free(&p);
}

static enum http1_rc one(const char *s)
{
	struct http1_parser p;
	size_t used;
	http1_init(&p);
	enum http1_rc rc = http1_feed(&p, s, strlen(s), &used);
	/* Errors are sticky. */
	if (rc != HTTP1_MORE && rc != HTTP1_DONE)
		ASSERT_EQ(http1_feed(&p, "x", 1, &used), rc);
	http1_free(&p);
	return rc;
}

static void test_errors_and_caps(void)
{
	ASSERT_EQ(one("GARBAGE\r\n\r\n"), HTTP1_BAD);
	ASSERT_EQ(one("GET / HTTP/2.0\r\n\r\n"), HTTP1_BAD);
	ASSERT_EQ(one("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n"), HTTP1_BAD);
	ASSERT_EQ(one("GET / HTTP/1.1\r\n folded\r\n\r\n"), HTTP1_BAD);
	ASSERT_EQ(one("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n"),
		  HTTP1_BAD);
	ASSERT_EQ(one("POST / HTTP/1.1\r\nContent-Length: 1\r\n"
		      "Content-Length: 2\r\n\r\n"),
		  HTTP1_BAD);
	ASSERT_EQ(one("POST / HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n"),
		  HTTP1_TOO_LARGE);
	ASSERT_EQ(one("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
		  HTTP1_UNSUPPORTED);
	ASSERT_EQ(one("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		      "zz\r\n"),
		  HTTP1_BAD);
	ASSERT_EQ(one("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		      "1\r\nab"),
		  HTTP1_BAD);
	/* Head over the cap. */
	size_t big = HTTP1_MAX_HEAD + 100;
	char *h = malloc(big + 64);
	strcpy(h, "GET / HTTP/1.1\r\nX: ");
	memset(h + strlen(h), 'a', big);
	h[big] = '\0';
	ASSERT_EQ(one(h), HTTP1_HEAD_TOO_LARGE);
	free(h);
	/* Incomplete stays MORE. */
	ASSERT_EQ(one("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab"),
		  HTTP1_MORE);
}

static void test_in_body(void)
{
	struct http1_parser p;
	size_t used;
	http1_init(&p);
	const char *a = "POST / HTTP/1.1\r\nContent-Length: 4\r\n"
			"Expect: 100-continue\r\n\r\n";
	ASSERT_EQ(http1_feed(&p, a, strlen(a), &used), HTTP1_MORE);
	ASSERT_TRUE(http1_in_body(&p));
	ASSERT_EQ(http1_feed(&p, "abcdEXTRA", 9, &used), HTTP1_DONE);
	ASSERT_EQ(used, 4);
	ASSERT_EQ(p.req.body_len, 4);
	http1_free(&p);
}

int main(void)
{
	TEST_RUN(test_byte_by_byte);
	TEST_RUN(test_random_splits_pipelined);
	TEST_RUN(test_headers_and_keepalive);
	TEST_RUN(test_errors_and_caps);
	TEST_RUN(test_in_body);
	return TEST_DONE();
}
