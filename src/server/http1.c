/* http1.c - incremental HTTP/1.x request parser. */
#include "server/http1.h"

#include <string.h>
#include <strings.h>

#define HTTP1_MAX_HEADERS 64  /* header lines per request */
#define HTTP1_MAX_CHUNK_LINE 256 /* chunk-size line incl. extensions */

enum {
	S_HEAD = 0,
	S_BODY,
	S_CH_SIZE,
	S_CH_DATA,
	S_CH_DATA_END,
	S_CH_TRAILER,
	S_DONE,
	S_ERR,
};

void http1_init(struct http1_parser *p)
{
	memset(p, 0, sizeof(*p));
	buf_init(&p->head, HTTP1_MAX_HEAD);
	buf_init(&p->body, HTTP1_MAX_BODY);
	http1_reset(p);
}

void http1_free(struct http1_parser *p)
{
	if (!p)
		return;
	buf_free(&p->head);
	buf_free(&p->body);
}

void http1_reset(struct http1_parser *p)
{
	buf_reset(&p->head);
	buf_reset(&p->body);
	p->state = S_HEAD;
	p->scan = 0;
	p->remain = 0;
	p->chunk_ext = 0;
	p->chunk_sz = 0;
	p->nline = 0;
	memset(&p->req, 0, sizeof(p->req));
	p->req.content_length = -1;
}

int http1_in_body(const struct http1_parser *p)
{
	return p->state >= S_BODY && p->state <= S_CH_TRAILER;
}

static int is_tchar(unsigned char c)
{
	if (c >= 'a' && c <= 'z')
		return 1;
	if (c >= 'A' && c <= 'Z')
		return 1;
	if (c >= '0' && c <= '9')
		return 1;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

int http1_is_token(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i]))
			return 0;
	return n > 0;
}

static int has_token(const char *v, const char *tok)
{
	size_t n = strlen(tok);
	const char *s = v;
	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		const char *e = s;
		while (*e && *e != ',')
			e++;
		const char *t = e;
		while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if ((size_t)(t - s) == n && !strncasecmp(s, tok, n))
			return 1;
		s = e;
	}
	return 0;
}

/* Walk the NUL-separated header lines that follow the request line.
 * Each line is "name\0value\0" after parse_head rewrote it. */
const char *http1_header(const struct http1_parser *p, const char *name)
{
	if (p->state == S_HEAD || p->state == S_ERR || !p->head.data)
		return NULL;
	const char *s = p->head.data + p->hdr_off;
	const char *end = p->head.data + p->scan;
	while (s < end && *s) {
		const char *v = s + strlen(s) + 1;
		if (!strcasecmp(s, name))
			return v;
		s = v + strlen(v) + 1;
	}
	return NULL;
}

static enum http1_rc parse_head(struct http1_parser *p)
{
	char *h = p->head.data, *end = h + p->head.len;
	struct http1_req *r = &p->req;
	int nhdr = 0;

	/* Request line. */
	char *eol = memchr(h, '\n', (size_t)(end - h));
	if (!eol)
		return HTTP1_BAD;
	char *line_end = eol;
	if (line_end > h && line_end[-1] == '\r')
		line_end--;
	*line_end = '\0';
	char *sp1 = strchr(h, ' ');
	if (!sp1 || sp1 == h)
		return HTTP1_BAD;
	*sp1 = '\0';
	if (!http1_is_token(h, (size_t)(sp1 - h)))
		return HTTP1_BAD;
	char *target = sp1 + 1;
	char *sp2 = strchr(target, ' ');
	if (!sp2 || sp2 == target || (*target != '/' && *target != '*'))
		return HTTP1_BAD;
	*sp2 = '\0';
	const char *ver = sp2 + 1;
	if (strncmp(ver, "HTTP/1.", 7) || ver[7] < '0' || ver[7] > '9' ||
	    ver[8])
		return HTTP1_BAD;
	r->minor = ver[7] - '0';
	r->method_str = h;
	r->method = !strcmp(h, "GET")    ? HTTP1_GET
		    : !strcmp(h, "POST") ? HTTP1_POST
		    : !strcmp(h, "HEAD") ? HTTP1_HEAD
					 : HTTP1_OTHER;
	r->target = target;
	const char *q = strchr(target, '?');
	r->path_len = q ? (size_t)(q - target) : strlen(target);
	r->keep_alive = r->minor >= 1;

	/* Header lines, rewritten in place to "name\0value\0". The request
	 * line's NULs are already in place; the head ends with an empty line. */
	char *s = eol + 1, *w = s;
	p->hdr_off = (size_t)(s - h);
	int te_chunked = 0, te_other = 0;
	for (;;) {
		char *nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			return HTTP1_BAD;
		char *le = nl;
		if (le > s && le[-1] == '\r')
			le--;
		if (le == s)
			break; /* blank line: end of head */
		if (*s == ' ' || *s == '\t')
			return HTTP1_BAD; /* obsolete line folding */
		if (++nhdr > HTTP1_MAX_HEADERS)
			return HTTP1_HEAD_TOO_LARGE;
		char *colon = memchr(s, ':', (size_t)(le - s));
		if (!colon || !http1_is_token(s, (size_t)(colon - s)))
			return HTTP1_BAD;
		char *v = colon + 1;
		while (v < le && (*v == ' ' || *v == '\t'))
			v++;
		char *ve = le;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		for (char *c = v; c < ve; c++)
			if ((unsigned char)*c < 0x20 && *c != '\t')
				return HTTP1_BAD;
		/* Compact to w: name NUL value NUL (w <= s always). */
		size_t nlen = (size_t)(colon - s), vlen = (size_t)(ve - v);
		memmove(w, s, nlen);
		char *name = w;
		w[nlen] = '\0';
		memmove(w + nlen + 1, v, vlen);
		char *val = w + nlen + 1;
		val[vlen] = '\0';
		w += nlen + 1 + vlen + 1;
		s = nl + 1;

		if (!strcasecmp(name, "content-length")) {
			int64_t n = 0;
			if (!*val || strlen(val) > 15)
				return *val ? HTTP1_TOO_LARGE : HTTP1_BAD;
			for (const char *c = val; *c; c++) {
				if (*c < '0' || *c > '9')
					return HTTP1_BAD;
				n = n * 10 + (*c - '0');
			}
			if (r->content_length >= 0 && r->content_length != n)
				return HTTP1_BAD;
			r->content_length = n;
		} else if (!strcasecmp(name, "transfer-encoding")) {
			if (has_token(val, "chunked") &&
			    !strcasecmp(val, "chunked"))
				te_chunked = 1;
			else
				te_other = 1;
		} else if (!strcasecmp(name, "connection")) {
			if (has_token(val, "close"))
				r->keep_alive = 0;
			else if (has_token(val, "keep-alive"))
				r->keep_alive = 1;
		} else if (!strcasecmp(name, "expect")) {
			if (!strcasecmp(val, "100-continue"))
				r->expect_continue = 1;
		}
	}
	*w = '\0'; /* end of the header list */
	p->scan = (size_t)(w - h) + 1;
	if (te_other)
		return HTTP1_UNSUPPORTED;
	if (te_chunked) {
		r->chunked = 1;
		r->content_length = -1;
		p->state = S_CH_SIZE;
		p->nline = 0;
		p->chunk_sz = 0;
		p->chunk_ext = 0;
		return HTTP1_MORE;
	}
	if (r->content_length > HTTP1_MAX_BODY)
		return HTTP1_TOO_LARGE;
	if (r->content_length > 0) {
		p->remain = r->content_length;
		p->state = S_BODY;
		return HTTP1_MORE;
	}
	p->state = S_DONE;
	return HTTP1_DONE;
}

static enum http1_rc fail(struct http1_parser *p, enum http1_rc rc)
{
	p->state = S_ERR;
	p->remain = rc; /* remembered for sticky errors */
	return rc;
}

static enum http1_rc finish(struct http1_parser *p)
{
	p->state = S_DONE;
	if (buf_append(&p->body, "", 0))
		return fail(p, HTTP1_TOO_LARGE);
	p->req.body = p->body.data ? p->body.data : "";
	p->req.body_len = p->body.len;
	return HTTP1_DONE;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum http1_rc http1_feed(struct http1_parser *p, const char *data, size_t len,
			 size_t *used)
{
	size_t i = 0;
	enum http1_rc rc = HTTP1_MORE;
	*used = 0;
	if (p->state == S_ERR)
		return (enum http1_rc)p->remain;
	if (p->state == S_DONE)
		return HTTP1_DONE;
	while (i < len) {
		switch (p->state) {
		case S_HEAD: {
			const char *nl = memchr(data + i, '\n', len - i);
			size_t end = nl ? (size_t)(nl - data) + 1 : len;
			if (buf_append(&p->head, data + i, end - i)) {
				*used = end;
				return fail(p, HTTP1_HEAD_TOO_LARGE);
			}
			if (!nl) {
				p->nline += (int)(end - i);
				i = end;
				break;
			}
			p->nline += (int)(end - i) - 1;
			i = end;
			int blank = p->nline == 0 ||
				    (p->nline == 1 &&
				     p->head.data[p->head.len - 2] == '\r');
			p->nline = 0;
			if (!blank)
				break;
			if (p->head.len <= 2) {
				/* Leading empty line before a request line. */
				buf_reset(&p->head);
				break;
			}
			rc = parse_head(p);
			if (rc != HTTP1_MORE && rc != HTTP1_DONE) {
				*used = i;
				return fail(p, rc);
			}
			if (rc == HTTP1_DONE) {
				*used = i;
				return finish(p);
			}
			break;
		}
		case S_BODY: {
			size_t n = len - i;
			if ((int64_t)n > p->remain)
				n = (size_t)p->remain;
			if (buf_append(&p->body, data + i, n)) {
				*used = i + n;
				return fail(p, HTTP1_TOO_LARGE);
			}
			i += n;
			p->remain -= (int64_t)n;
			if (!p->remain) {
				*used = i;
				return finish(p);
			}
			break;
		}
		case S_CH_SIZE: {
			char c = data[i++];
			if (++p->nline > HTTP1_MAX_CHUNK_LINE) {
				*used = i;
				return fail(p, HTTP1_BAD);
			}
			if (c == '\n') {
				if (p->nline == 1) { /* empty size line */
					*used = i;
					return fail(p, HTTP1_BAD);
				}
				p->nline = 0;
				p->chunk_ext = 0;
				if (p->chunk_sz == 0) {
					p->state = S_CH_TRAILER;
				} else {
					p->remain = p->chunk_sz;
					p->state = S_CH_DATA;
				}
				p->chunk_sz = 0;
			} else if (c == '\r') {
				/* tolerated before \n */
			} else if (p->chunk_ext) {
				/* skip extension bytes */
			} else if (c == ';' || c == ' ' || c == '\t') {
				p->chunk_ext = 1;
			} else {
				int v = hexval(c);
				if (v < 0) {
					*used = i;
					return fail(p, HTTP1_BAD);
				}
				p->chunk_sz = p->chunk_sz * 16 + v;
				if (p->chunk_sz > HTTP1_MAX_BODY) {
					*used = i;
					return fail(p, HTTP1_TOO_LARGE);
				}
			}
			break;
		}
		case S_CH_DATA: {
			size_t n = len - i;
			if ((int64_t)n > p->remain)
				n = (size_t)p->remain;
			if (buf_append(&p->body, data + i, n)) {
				*used = i + n;
				return fail(p, HTTP1_TOO_LARGE);
			}
			i += n;
			p->remain -= (int64_t)n;
			if (!p->remain) {
				p->state = S_CH_DATA_END;
				p->nline = 0;
			}
			break;
		}
		case S_CH_DATA_END: {
			char c = data[i++];
			if (c == '\r' && p->nline == 0) {
				p->nline = 1;
			} else if (c == '\n') {
				p->nline = 0;
				p->state = S_CH_SIZE;
			} else {
				*used = i;
				return fail(p, HTTP1_BAD);
			}
			break;
		}
		case S_CH_TRAILER: {
			char c = data[i++];
			if (c == '\n') {
				int blank = p->nline == 0 || p->nline == -1;
				p->nline = 0;
				if (blank) {
					*used = i;
					return finish(p);
				}
			} else if (c == '\r' && p->nline == 0) {
				p->nline = -1; /* CR of a possibly blank line */
			} else {
				p->nline = p->nline < 0 ? 2 : p->nline + 1;
				if (p->nline > HTTP1_MAX_HEAD) {
					*used = i;
					return fail(p, HTTP1_HEAD_TOO_LARGE);
				}
			}
			break;
		}
		default:
			*used = i;
			return fail(p, HTTP1_BAD);
		}
	}
	*used = i;
	return HTTP1_MORE;
}
