/* sse_fuzz.c - libFuzzer: the SSE and NDJSON push parsers must produce the
 * same events whatever the byte split (whole buffer, byte by byte, and a
 * split pattern drawn from the input), with or without a look-ahead, and
 * never overrun. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "proto/ndjson.h"
#include "proto/sse.h"

static int collect(void *ud, const char *d, size_t n)
{
	struct buf *b = ud;
	buf_printf(b, "%zu:", n);
	buf_append(b, d, n);
	buf_puts(b, "|");
	return 0;
}

/* A look-ahead that keeps its contract: "{...}" without CR or LF. */
static size_t peek_obj(void *ud, const char *s, size_t avail)
{
	(void)ud;
	if (!avail || s[0] != '{')
		return 0;
	for (size_t i = 1; i < avail; i++) {
		if (s[i] == '\r' || s[i] == '\n')
			return 0;
		if (s[i] == '}')
			return i + 1;
	}
	return 0;
}

/* One parser behind the piece driver: a call per piece, or the pieces
 * as spans. */
struct parser {
	void *p;
	void (*feed)(void *p, const char *s, size_t n, struct buf *out);
	void (*feedv)(void *p, const struct iovec *v, size_t nv,
		      struct buf *out);
};

/* The pieces (step bytes, or drawn from the input when 0) fed one call
 * each, or with vec, up to five at a time as spans. */
static void pieces(const uint8_t *d, size_t n, size_t step, int vec,
		   const struct parser *ps, struct buf *out)
{
	struct iovec v[5];
	size_t nv = 0;
	for (size_t i = 0; i < n;) {
		size_t k = step ? step : (size_t)(d[i] % 7) + 1;
		if (k > n - i)
			k = n - i;
		if (!vec) {
			ps->feed(ps->p, (const char *)d + i, k, out);
		} else {
			v[nv].iov_base = (void *)(d + i);
			v[nv++].iov_len = k;
			if (nv == 5 || i + k == n || d[i] % 3 == 0) {
				ps->feedv(ps->p, v, nv, out);
				nv = 0;
			}
		}
		i += k;
	}
}

static void sse_one(void *p, const char *s, size_t n, struct buf *out)
{
	sse_feed(p, s, n, collect, out);
}

static void sse_vec(void *p, const struct iovec *v, size_t nv,
		    struct buf *out)
{
	sse_feedv(p, v, nv, collect, out);
}

static void nd_one(void *p, const char *s, size_t n, struct buf *out)
{
	ndjson_feed(p, s, n, collect, out);
}

static void nd_vec(void *p, const struct iovec *v, size_t nv,
		   struct buf *out)
{
	ndjson_feedv(p, v, nv, collect, out);
}

static void run_sse(const uint8_t *d, size_t n, size_t step, struct buf *out,
		    int peek, int vec)
{
	struct sse p;
	sse_init(&p);
	if (peek)
		p.peek = peek_obj;
	struct parser ps = {&p, sse_one, sse_vec};
	pieces(d, n, step, vec, &ps, out);
	buf_printf(out, "#%d", sse_finish(&p, collect, out));
	sse_free(&p);
}

static void run_nd(const uint8_t *d, size_t n, size_t step, struct buf *out,
		   int vec)
{
	struct ndjson p;
	ndjson_init(&p);
	struct parser ps = {&p, nd_one, nd_vec};
	pieces(d, n, step, vec, &ps, out);
	buf_printf(out, "#%d", ndjson_finish(&p, collect, out));
	ndjson_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a, b, c;
	buf_init(&a, 0);
	buf_init(&b, 0);
	buf_init(&c, 0);
	run_sse(data, size, size ? size : 1, &a, 0, 0);
	run_sse(data, size, 1, &b, 0, 0);
	run_sse(data, size, 0, &c, 0, 0);
	if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len)) ||
	    a.len != c.len || (a.len && memcmp(a.data, c.data, a.len)))
		abort();
	for (int split = 0; split < 4; split++) { /* look-ahead, spans */
		buf_reset(&b);
		run_sse(data, size, split % 2 ? 0 : (size ? size : 1), &b,
			split < 2, split >= 2 || split == 1);
		if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len)))
			abort();
	}
	buf_reset(&a);
	buf_reset(&b);
	run_nd(data, size, size ? size : 1, &a, 0);
	run_nd(data, size, 1, &b, 0);
	if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len)))
		abort();
	buf_reset(&b);
	run_nd(data, size, 0, &b, 1);
	if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len)))
		abort();
	buf_free(&a);
	buf_free(&b);
	buf_free(&c);
	return 0;
}
