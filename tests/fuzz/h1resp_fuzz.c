/* h1resp_fuzz.c - libFuzzer: the HTTP/1.x response parser must give the
 * same status, body bytes and ending whatever the byte split (whole input,
 * byte by byte, and a split pattern drawn from the input), keep body spans
 * inside the fed piece, and never overrun. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "net/h1resp.h"

static void run(const uint8_t *d, size_t n, size_t step, struct buf *out)
{
	struct h1_resp p;
	h1_resp_init(&p, 0);
	int end = 0;
	for (size_t i = 0; i < n && !end;) {
		size_t k = step ? step : (size_t)(d[i] % 13) + 1;
		if (k > n - i)
			k = n - i;
		char *piece = malloc(k ? k : 1);
		memcpy(piece, d + i, k);
		char *b = piece;
		size_t left = k;
		while (!end) {
			size_t used, ns = 0;
			struct iovec sp[4];
			/* 1 to 4 spans a call, drawn from the input */
			size_t max = n ? (size_t)(d[n / 2] % 4) + 1 : 4;
			enum h1_ev ev = h1_resp_feed(&p, b, left, &used, sp,
						     step == 1 ? 1 : max, &ns);
			if (used > left)
				abort();
			b += used;
			left -= used;
			if (ev == H1_MORE) {
				if (left)
					abort();
				break;
			}
			if (ev == H1_HEAD) {
				buf_printf(out, "H%d,%d|", p.status,
					   p.keep_alive);
			} else if (ev == H1_BODY) {
				if (!ns || ns > 4)
					abort();
				for (size_t j = 0; j < ns; j++) {
					const char *sb = sp[j].iov_base;
					size_t sl = sp[j].iov_len;
					if (!sl || sb < piece ||
					    sb + sl > piece + k)
						abort();
					buf_append(out, sb, sl);
				}
			} else if (ev == H1_DONE) {
				buf_printf(out, "|D%zu", n - (i + k) + left);
				end = 1;
			} else {
				buf_printf(out, "|E%s", p.error);
				end = 1;
			}
		}
		free(piece);
		i += k;
	}
	if (!end)
		buf_printf(out, "|F%d", (int)h1_resp_eof(&p));
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct buf a, b, c;
	buf_init(&a, 0);
	buf_init(&b, 0);
	buf_init(&c, 0);
	run(d, n, n ? n : 1, &a);
	run(d, n, 1, &b);
	run(d, n, 0, &c);
	if (a.len != b.len || a.len != c.len ||
	    (a.len && (memcmp(a.data, b.data, a.len) ||
		       memcmp(a.data, c.data, a.len))))
		abort();
	buf_free(&a);
	buf_free(&b);
	buf_free(&c);
	return 0;
}
