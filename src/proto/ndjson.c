/* ndjson.c - incremental newline-delimited JSON splitter. */
#include "proto/ndjson.h"

#include <errno.h>
#include <string.h>

void ndjson_init(struct ndjson *p)
{
	memset(p, 0, sizeof(*p));
	buf_init(&p->line, NDJSON_MAX_LINE);
}

void ndjson_free(struct ndjson *p)
{
	if (p)
		buf_free(&p->line);
}

static int is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

static int emit(struct ndjson *p, const char *s, size_t n, ndjson_line_cb cb,
		void *ud)
{
	if (n && s[n - 1] == '\r')
		n--;
	if (is_blank(s, n))
		return 0;
	p->lines++;
	return cb(ud, s, n);
}

int ndjson_feed(struct ndjson *p, const char *buf, size_t len,
		ndjson_line_cb cb, void *ud)
{
	size_t i = 0;
	int over = 0;
	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (buf + i)) : len - i;
		if (p->skipping) {
			if (nl)
				p->skipping = 0;
		} else if (!nl) {
			if (buf_append(&p->line, buf + i, n)) {
				p->overflow++;
				buf_reset(&p->line);
				p->skipping = 1;
				over = -ENOBUFS;
			}
		} else {
			/* Copy so the callback gets a NUL-terminated line
			 * without writing into the caller's buffer. */
			int rc = buf_append(&p->line, buf + i, n);
			if (rc) {
				p->overflow++;
				over = -ENOBUFS;
			} else {
				rc = emit(p, p->line.data, p->line.len, cb,
					  ud);
			}
			buf_reset(&p->line);
			if (rc > 0 || (rc < 0 && rc != -ENOBUFS))
				return rc;
		}
		i += n + (nl ? 1 : 0);
	}
	return over;
}

int ndjson_feedv(struct ndjson *p, const struct iovec *v, size_t nv,
		 ndjson_line_cb cb, void *ud)
{
	int over = 0;
	for (size_t k = 0; k < nv; k++) {
		int rc = ndjson_feed(p, v[k].iov_base, v[k].iov_len, cb, ud);
		if (rc == -ENOBUFS)
			over = rc;
		else if (rc)
			return rc;
	}
	return over;
}

int ndjson_finish(struct ndjson *p, ndjson_line_cb cb, void *ud)
{
	if (!p->line.len)
		return 0;
	int rc = emit(p, p->line.data, p->line.len, cb, ud);
	buf_reset(&p->line);
	return rc ? rc : 1;
}
