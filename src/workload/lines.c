/* lines.c - push line splitter. */
#include "workload/lines.h"

#include <errno.h>
#include <string.h>

void lines_init(struct lines *l, size_t max_line_bytes)
{
	memset(l, 0, sizeof(*l));
	buf_init(&l->cur, max_line_bytes);
}

void lines_free(struct lines *l)
{
	if (l)
		buf_free(&l->cur);
}

static int emit(struct lines *l, const char *p, size_t n, lines_cb cb,
		void *ud)
{
	if (n && p[n - 1] == '\r')
		n--;
	l->lineno++;
	/* cb sees a NUL-terminated copy only when the line was split across
	 * feeds; otherwise it reads the caller's bytes in place, so give it a
	 * terminated copy in cur either way (cheap: one memcpy per line). */
	buf_reset(&l->cur);
	if (buf_append(&l->cur, p, n))
		return -E2BIG;
	return cb(ud, l->cur.data ? l->cur.data : "", n, l->lineno);
}

int lines_feed(struct lines *l, const char *p, size_t n, lines_cb cb,
	       void *ud)
{
	while (n) {
		const char *nl = memchr(p, '\n', n);
		if (!nl) {
			if (buf_append(&l->cur, p, n)) {
				l->overflow = 1;
				return -E2BIG;
			}
			return 0;
		}
		size_t k = (size_t)(nl - p);
		int rc;
		if (l->cur.len) {
			if (buf_append(&l->cur, p, k)) {
				l->overflow = 1;
				return -E2BIG;
			}
			size_t m = l->cur.len;
			if (m && l->cur.data[m - 1] == '\r')
				l->cur.data[--m] = '\0';
			l->lineno++;
			l->cur.len = m;
			rc = cb(ud, l->cur.data, m, l->lineno);
			buf_reset(&l->cur);
		} else {
			rc = emit(l, p, k, cb, ud);
			buf_reset(&l->cur);
		}
		if (rc)
			return rc;
		p += k + 1;
		n -= k + 1;
	}
	return 0;
}

int lines_finish(struct lines *l, lines_cb cb, void *ud)
{
	if (!l->cur.len)
		return 0;
	size_t m = l->cur.len;
	if (l->cur.data[m - 1] == '\r')
		l->cur.data[--m] = '\0';
	l->lineno++;
	int rc = cb(ud, l->cur.data, m, l->lineno);
	buf_reset(&l->cur);
	return rc;
}
