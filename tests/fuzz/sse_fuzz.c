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

static void run_sse(const uint8_t *d, size_t n, size_t step, struct buf *out,
		    int peek)
{
	struct sse p;
	sse_init(&p);
	if (peek)
		p.peek = peek_obj;
	for (size_t i = 0; i < n;) {
		size_t k = step ? step : (size_t)(d[i] % 7) + 1;
		if (k > n - i)
			k = n - i;
		sse_feed(&p, (const char *)d + i, k, collect, out);
		i += k;
	}
	buf_printf(out, "#%d", sse_finish(&p, collect, out));
	sse_free(&p);
}

static void run_nd(const uint8_t *d, size_t n, size_t step, struct buf *out)
{
	struct ndjson p;
	ndjson_init(&p);
	for (size_t i = 0; i < n;) {
		size_t k = step ? step : (size_t)(d[i] % 7) + 1;
		if (k > n - i)
			k = n - i;
		ndjson_feed(&p, (const char *)d + i, k, collect, out);
		i += k;
	}
	buf_printf(out, "#%d", ndjson_finish(&p, collect, out));
	ndjson_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a, b, c;
	buf_init(&a, 0);
	buf_init(&b, 0);
	buf_init(&c, 0);
	run_sse(data, size, size ? size : 1, &a, 0);
	run_sse(data, size, 1, &b, 0);
	run_sse(data, size, 0, &c, 0);
	if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len)) ||
	    a.len != c.len || (a.len && memcmp(a.data, c.data, a.len)))
		abort();
	for (int split = 0; split < 2; split++) { /* with a look-ahead */
		buf_reset(&b);
		run_sse(data, size, split ? 0 : (size ? size : 1), &b, 1);
		if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len)))
			abort();
	}
	buf_reset(&a);
	buf_reset(&b);
	run_nd(data, size, size ? size : 1, &a);
	run_nd(data, size, 1, &b);
	if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len)))
		abort();
	buf_free(&a);
	buf_free(&b);
	buf_free(&c);
	return 0;
}
