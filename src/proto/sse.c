/* sse.c - incremental text/event-stream parser. */
#include "proto/sse.h"

#include <errno.h>
#include <string.h>

#define SSE_CR_AHEAD 4096 /* bytes past a line's LF scanned for CRs */

void sse_init(struct sse *p)
{
	memset(p, 0, sizeof(*p));
	buf_init(&p->line, SSE_MAX_LINE);
	buf_init(&p->data, SSE_MAX_EVENT);
}

void sse_free(struct sse *p)
{
	if (!p)
		return;
	buf_free(&p->line);
	buf_free(&p->data);
}

/* A complete line (without its terminator) is in (s, n). */
static int sse_line(struct sse *p, const char *s, size_t n, sse_event_cb cb,
		    void *ud)
{
	if (n == 0) { /* blank line: dispatch */
		int rc = 0;
		if (p->has_data) {
			p->events++;
			rc = cb(ud, p->data.data ? p->data.data : "",
				p->data.len);
		}
		buf_reset(&p->data);
		p->has_data = 0;
		return rc;
	}
	if (s[0] == ':')
		return 0; /* comment / keep-alive */
	const char *colon = memchr(s, ':', n);
	size_t flen = colon ? (size_t)(colon - s) : n;
	if (flen != 4 || memcmp(s, "data", 4))
		return 0; /* event:, id:, retry: and unknown fields */
	const char *v = colon ? colon + 1 : s + n;
	size_t vlen = (size_t)(s + n - v);
	if (vlen && *v == ' ')
		v++, vlen--;
	if (p->has_data && buf_append(&p->data, "\n", 1))
		goto overflow;
	if (buf_append(&p->data, v, vlen))
		goto overflow;
	p->has_data = 1;
	return 0;
overflow:
	p->overflow++;
	buf_reset(&p->data);
	p->has_data = 0;
	return -ENOBUFS;
}

/* The look-ahead at buf[i..len), for a parser with nothing pending: a
 * data line whose value the caller recognises (and vouches holds no CR
 * or LF), then "\n\n", is dispatched without a scan. Returns the offset
 * after it, 0 when not taken; *peeked is set when the peek ran, *rc to
 * cb's result. */
static inline __attribute__((always_inline)) size_t
look_ahead(struct sse *p, const char *buf, size_t len, size_t i,
	   sse_event_cb cb, void *ud, int *peeked, int *rc)
{
	if (!p->peek || p->line.len || p->has_data || p->skipping ||
	    len - i <= 6 || memcmp(buf + i, "data:", 5))
		return 0;
	size_t v = i + 5 + (buf[i + 5] == ' ');
	size_t vl = p->peek(ud, buf + v, len - v);
	size_t j = v + vl;
	*peeked = 1;
	if (!vl || j + 1 >= len || buf[j] != '\n' || buf[j + 1] != '\n')
		return 0;
	p->events++;
	*rc = cb(ud, buf + v, vl);
	return j + 2;
}

/* sse_feed's body, inlined into sse_feedv's loop over spans (a span per
 * HTTP chunk: the call per span was 35 instructions per event in a bulk
 * run, callgrind). */
static inline __attribute__((always_inline)) int
feed(struct sse *p, const char *buf, size_t len, sse_event_cb cb, void *ud,
     int peeked)
{
	size_t i = 0;
	int over = 0;
	/* CRs are looked for a window at a time, from the current line to
	 * SSE_CR_AHEAD bytes past its LF: cr is the first CR in the last
	 * window, or its end (cr_end) when it has none. An LF-only stream
	 * (vLLM, TGI) pays one pass over its bytes for CRs, not one per
	 * line, and nothing for what the look-ahead dispatched. */
	size_t cr = 0, cr_end = 0;
	if (p->last_cr && len && buf[0] == '\n')
		i = 1; /* second half of a CRLF split across feeds */
	p->last_cr = 0;
	while (i < len) {
		/* the look-ahead, unless sse_feedv peeked here already */
		if (i || !peeked) {
			int pk, rc = 0;
			size_t e = look_ahead(p, buf, len, i, cb, ud, &pk, &rc);
			if (e) {
				i = e;
				if (rc)
					return rc;
				continue;
			}
		}
		/* Find the next line terminator (LF, CRLF or CR). */
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t j = nl ? (size_t)(nl - buf) : len;
		if (cr < i || (cr == cr_end && cr_end < j)) {
			size_t e = len - j > SSE_CR_AHEAD ? j + SSE_CR_AHEAD
							  : len;
			const char *c = memchr(buf + i, '\r', e - i);
			cr = c ? (size_t)(c - buf) : e;
			cr_end = e;
		}
		if (cr < j)
			j = cr;
		if (j == len) { /* no terminator: carry the partial line */
			if (!p->skipping &&
			    buf_append(&p->line, buf + i, len - i)) {
				p->overflow++;
				buf_reset(&p->line);
				p->skipping = 1;
				over = -ENOBUFS;
			}
			return over;
		}
		const char *s = buf + i;
		size_t n = j - i;
		int rc = 0;
		/* Fast path: "data:...\n\n" wholly inside buf, nothing pending:
		 * hand the bytes over without copying them. */
		if (!p->line.len && !p->has_data && !p->skipping && n >= 5 &&
		    !memcmp(s, "data:", 5) && buf[j] == '\n' && j + 1 < len &&
		    buf[j + 1] == '\n') {
			const char *v = s + 5;
			size_t vlen = n - 5;
			if (vlen && *v == ' ')
				v++, vlen--;
			p->events++;
			rc = cb(ud, v, vlen);
			i = j + 2;
			if (rc)
				return rc;
			continue;
		}
		if (p->skipping) {
			/* The tail of an over-long line: drop it, and the
			 * event it belonged to. */
			p->skipping = 0;
			buf_reset(&p->data);
			p->has_data = 0;
			goto next;
		}
		if (p->line.len) { /* line started in an earlier feed */
			if (buf_append(&p->line, s, n)) {
				p->overflow++;
				buf_reset(&p->line);
				over = -ENOBUFS;
				goto next;
			}
			s = p->line.data;
			n = p->line.len;
		}
		rc = sse_line(p, s, n, cb, ud);
		buf_reset(&p->line);
		if (rc == -ENOBUFS) {
			over = rc;
			rc = 0;
		}
	next:
		if (buf[j] == '\r') {
			if (j + 1 < len && buf[j + 1] == '\n')
				j++;
			else if (j + 1 == len)
				p->last_cr = 1;
		}
		i = j + 1;
		if (rc)
			return rc;
	}
	return over;
}

int sse_feed(struct sse *p, const char *buf, size_t len, sse_event_cb cb,
	     void *ud)
{
	return feed(p, buf, len, cb, ud, 0);
}

int sse_feedv(struct sse *p, const struct iovec *v, size_t nv,
	      sse_event_cb cb, void *ud)
{
	int over = 0;
	for (size_t k = 0; k < nv; k++) {
		const char *b = v[k].iov_base;
		size_t n = v[k].iov_len;
		/* The look-ahead first: a span that is one whole event (an
		 * HTTP chunk per event, as servers stream) is dispatched
		 * without feed's set-up; feed takes whatever else there is,
		 * without peeking at the same bytes again. */
		int peeked = 0, rc = 0;
		size_t i = p->last_cr ? 0
				      : look_ahead(p, b, n, 0, cb, ud, &peeked,
						   &rc);
		if (!rc && i < n)
			rc = feed(p, b + i, n - i, cb, ud, peeked && !i);
		if (rc == -ENOBUFS)
			over = rc;
		else if (rc)
			return rc;
	}
	return over;
}

int sse_finish(struct sse *p, sse_event_cb cb, void *ud)
{
	int truncated = p->line.len > 0;
	int rc = 0;
	if (p->line.len) {
		/* An unterminated last line: take it as a line, then end. */
		rc = sse_line(p, p->line.data, p->line.len, cb, ud);
		buf_reset(&p->line);
		if (rc)
			return rc;
	}
	if (p->has_data) {
		truncated = 1;
		rc = sse_line(p, "", 0, cb, ud);
		if (rc)
			return rc;
	}
	return truncated;
}
