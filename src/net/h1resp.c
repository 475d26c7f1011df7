/* h1resp.c - HTTP/1.x response push parser (see h1resp.h). */
#include "net/h1resp.h"

#include <string.h>
#include <strings.h>

enum {
	S_STATUS = 0,  /* status line */
	S_HEADER,      /* header lines up to the blank line */
	S_HEAD_END,    /* head parsed, H1_HEAD not yet returned */
	S_BODY_LEN,    /* p->left bytes of body */
	S_BODY_EOF,    /* body until the peer closes */
	S_CHUNK_SIZE,  /* hex digits of a chunk size line */
	S_CHUNK_EXT,   /* rest of the size line */
	S_CHUNK_DATA,  /* p->left bytes of chunk payload */
	S_CHUNK_CR,    /* CRLF after a payload */
	S_CHUNK_LF,
	S_TRAILER,     /* trailer lines up to the blank line */
	S_DONE_PEND,   /* complete; H1_DONE not yet returned */
	S_DONE,
	S_DEAD,
};

#define CHUNK_LINE_MAX 4096     /* bytes of one chunk-size line */
#define CHUNK_SIZE_MAX (1ull << 56)

void h1_resp_init(struct h1_resp *p, int head_req)
{
	memset(p, 0, sizeof(*p));
	p->content_length = -1;
	p->head_req = head_req;
	p->state = S_STATUS;
}

int h1_resp_has_head(const struct h1_resp *p)
{
	return p->got_head;
}

static enum h1_ev fail(struct h1_resp *p, const char *why)
{
	p->error = why;
	p->state = S_DEAD;
	return H1_ERROR;
}

/* Case-insensitive "does the comma-separated list s[0..n) contain tok". */
static int list_has(const char *s, size_t n, const char *tok, int last_only)
{
	size_t tl = strlen(tok);
	int found = 0;
	size_t i = 0;
	while (i < n) {
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
			i++;
		size_t j = i;
		while (j < n && s[j] != ',')
			j++;
		size_t e = j;
		while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t'))
			e--;
		if (e > i) {
			int eq = e - i == tl && !strncasecmp(s + i, tok, tl);
			if (last_only)
				found = eq;
			else if (eq)
				return 1;
		}
		i = j;
	}
	return found;
}

static int status_line(struct h1_resp *p, const char *l, size_t n)
{
	if (n < 12 || memcmp(l, "HTTP/1.", 7) || l[7] < '0' || l[7] > '9' ||
	    l[8] != ' ')
		return -1;
	for (int i = 9; i < 12; i++)
		if (l[i] < '0' || l[i] > '9')
			return -1;
	if (n > 12 && l[12] != ' ')
		return -1;
	p->minor = l[7] - '0';
	p->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	if (p->status < 100)
		return -1;
	p->keep_alive = p->minor >= 1;
	p->chunked = 0;
	p->saw_te = 0;
	p->content_length = -1;
	return 0;
}

/* One complete header line (CR stripped, possibly truncated). */
static const char *header_line(struct h1_resp *p, const char *l, size_t n,
			       int truncated)
{
	if (l[0] == ' ' || l[0] == '\t')
		return NULL; /* obsolete line folding: a continuation, ignored */
	const char *colon = memchr(l, ':', n);
	if (!colon || colon == l)
		return "malformed header line";
	size_t nl = (size_t)(colon - l);
	const char *v = colon + 1;
	size_t vn = n - nl - 1;
	while (vn && (*v == ' ' || *v == '\t'))
		v++, vn--;
	while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
		vn--;
	if (nl == 14 && !strncasecmp(l, "Content-Length", 14)) {
		if (truncated || !vn)
			return "bad Content-Length";
		int64_t x = 0;
		for (size_t i = 0; i < vn; i++) {
			if (v[i] < '0' || v[i] > '9' || x > (INT64_MAX - 9) / 10)
				return "bad Content-Length";
			x = x * 10 + (v[i] - '0');
		}
		if (p->content_length >= 0 && p->content_length != x)
			return "conflicting Content-Length headers";
		p->content_length = x;
	} else if (nl == 17 && !strncasecmp(l, "Transfer-Encoding", 17)) {
		if (truncated)
			return "Transfer-Encoding header too long";
		p->saw_te = 1;
		p->chunked = list_has(v, vn, "chunked", 1);
	} else if (nl == 10 && !strncasecmp(l, "Connection", 10)) {
		if (list_has(v, vn, "close", 0))
			p->keep_alive = 0;
		else if (list_has(v, vn, "keep-alive", 0))
			p->keep_alive = 1;
	}
	return NULL;
}

/* The blank line ended a head: choose the body framing. Returns 1 for an
 * interim (1xx) head, to be followed by another status line. */
static int head_done(struct h1_resp *p)
{
	if (p->status < 200)
		return 1;
	p->no_body = p->head_req || p->status == 204 || p->status == 304;
	if (p->no_body) {
		p->left = 0;
	} else if (p->saw_te) {
		/* Transfer-Encoding overrides Content-Length (RFC 9112 6.3);
		 * without chunked last, the body runs until close. */
		if (p->content_length >= 0)
			p->keep_alive = 0;
		if (!p->chunked)
			p->keep_alive = 0;
	} else if (p->content_length < 0) {
		p->keep_alive = 0; /* delimited by close */
	}
	return 0;
}

static int body_state(const struct h1_resp *p)
{
	if (p->no_body)
		return S_DONE_PEND;
	if (p->chunked)
		return S_CHUNK_SIZE;
	if (p->saw_te || p->content_length < 0)
		return S_BODY_EOF;
	return p->content_length ? S_BODY_LEN : S_DONE_PEND;
}

/* Accumulate one line of head or trailer: returns 1 when a line ended
 * (its kept prefix is in p->line[0..p->linelen)), 0 when more is needed,
 * -1 when the head grew too large. *i advances. */
static int take_line(struct h1_resp *p, const char *buf, size_t n, size_t *i)
{
	const char *s = buf + *i;
	size_t avail = n - *i;
	const char *lf = memchr(s, '\n', avail);
	size_t k = lf ? (size_t)(lf - s) : avail;
	if (p->head_bytes + k + 1 > H1_MAX_HEAD)
		return -1;
	p->head_bytes += k + (lf != NULL);
	size_t room = H1_LINE_KEEP - p->linelen;
	if (k > room) {
		p->line_long = 1;
		memcpy(p->line + p->linelen, s, room);
		p->linelen = H1_LINE_KEEP;
	} else {
		memcpy(p->line + p->linelen, s, k);
		p->linelen += (unsigned)k;
	}
	*i += k + (lf != NULL);
	if (!lf)
		return 0;
	/* Strip the CR of CRLF (it may be the last kept byte). */
	if (!p->line_long && p->linelen && p->line[p->linelen - 1] == '\r')
		p->linelen--;
	return 1;
}

static void line_reset(struct h1_resp *p)
{
	p->linelen = 0;
	p->line_long = 0;
}

/* Hex digit values plus one; 0 for other bytes. */
static const unsigned char hex_tab[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
	['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14,
	['E'] = 15, ['F'] = 16,
};

/* A hex digit's value, -1 for other bytes. */
static int hexval(char c)
{
	return (int)hex_tab[(unsigned char)c] - 1;
}

/* Where H1_BODY's spans go: sp[0..*ns) of max. */
struct spans {
	struct iovec *sp;
	size_t max, ns;
};

/* Add [p, p + n) (n > 0) to the spans; -1 when they are full. */
static int span_add(struct spans *o, const char *p, size_t n)
{
	if (o->ns == o->max)
		return -1;
	o->sp[o->ns].iov_base = (void *)p;
	o->sp[o->ns].iov_len = n;
	o->ns++;
	return 0;
}

/* A whole chunk-size line "hex CRLF" (1 to 11 digits, no extension) at
 * buf[i..n): the size in *v and the offset after the line; 0 when there
 * is none in view (then the byte path decides). */
static inline size_t size_line(const char *buf, size_t n, size_t i,
				uint64_t *v)
{
	size_t k = i, lim = n - i > 11 ? i + 11 : n;
	uint64_t x = 0;
	unsigned h;
	if (lim - k >= 2) { /* the first two digits without the loop (an
			       event's chunk is 16..255 bytes: two) */
		unsigned h0 = hex_tab[(unsigned char)buf[k]];
		unsigned h1 = hex_tab[(unsigned char)buf[k + 1]];
		if (h0 && h1)
			x = (h0 - 1) << 4 | (h1 - 1), k += 2;
	}
	while (k < lim && (h = hex_tab[(unsigned char)buf[k]]) != 0)
		x = x << 4 | (h - 1), k++;
	if (k == i || n - k < 2 || buf[k] != '\r' || buf[k + 1] != '\n')
		return 0;
	*v = x;
	return k + 2;
}

/* The complete chunks "hex CRLF data CRLF" (not the last, of size 0) at
 * buf[i..n), their data each a span, while there is room. Returns the
 * offset after the last one taken. */
static size_t whole_chunks(const char *buf, size_t n, size_t i,
			   struct spans *o)
{
	struct iovec *sp = o->sp;
	size_t ns = o->ns, max = o->max;
	while (ns < max) {
		uint64_t v;
		size_t ds = size_line(buf, n, i, &v);
		if (!ds || !v || n - ds < v + 2 || buf[ds + v] != '\r' ||
		    buf[ds + v + 1] != '\n')
			break;
		sp[ns].iov_base = (void *)(buf + ds);
		sp[ns].iov_len = (size_t)v;
		ns++;
		i = ds + (size_t)v + 2;
	}
	o->ns = ns;
	return i;
}

enum h1_ev h1_resp_feed(struct h1_resp *p, const char *buf, size_t n,
			size_t *used, struct iovec *spans, size_t max_spans,
			size_t *nspans)
{
	size_t i = 0;
	struct spans o = {spans, max_spans, 0};
	enum h1_ev ev = H1_MORE;
	*used = 0;
	while (p->state < S_BODY_LEN || p->state == S_HEAD_END) {
		if (p->state == S_HEAD_END) {
			p->state = body_state(p);
			p->left = p->state == S_BODY_LEN
					  ? (uint64_t)p->content_length
					  : 0;
			p->head_bytes = 0;
			line_reset(p);
			p->got_head = 1;
			*used = i;
			return H1_HEAD;
		}
		if (i >= n)
			goto out;
		int r = take_line(p, buf, n, &i);
		if (r < 0)
			return fail(p, "response head larger than 64 KiB");
		if (!r)
			goto out;
		const char *l = p->line;
		size_t ln = p->linelen;
		if (p->state == S_STATUS) {
			if (ln == 0 && p->head_bytes <= 2 && !p->line_long) {
				/* tolerate a stray CRLF before the status
				 * line (after a 1xx, some servers add one) */
				p->head_bytes = 0;
				line_reset(p);
				continue;
			}
			if (status_line(p, l, ln))
				return fail(p, "malformed status line");
			if (p->status == 101)
				return fail(p, "unexpected 101 Switching "
					       "Protocols");
			p->state = S_HEADER;
		} else if (ln == 0 && !p->line_long) {
			if (head_done(p)) {
				p->state = S_STATUS; /* 1xx: next head */
				p->head_bytes = 0;
			} else {
				p->state = S_HEAD_END;
			}
		} else {
			const char *why = header_line(p, l, ln, p->line_long);
			if (why)
				return fail(p, why);
		}
		line_reset(p);
	}
	for (;;) {
		switch (p->state) {
		case S_BODY_LEN:
		case S_CHUNK_DATA: {
			if (i >= n)
				goto out;
			size_t k = n - i;
			if (k > p->left)
				k = (size_t)p->left;
			if (span_add(&o, buf + i, k))
				goto out; /* no room: the rest next call */
			i += k;
			p->left -= k;
			if (!p->left)
				p->state = p->state == S_BODY_LEN ? S_DONE_PEND
								  : S_CHUNK_CR;
			break;
		}
		case S_BODY_EOF:
			if (i >= n || span_add(&o, buf + i, n - i))
				goto out;
			i = n;
			goto out;
		case S_CHUNK_SIZE: {
			/* Fastest path: whole chunks in view, "hex CRLF
			 * data CRLF" (an SSE event each, as streaming
			 * servers write them), a span each, taken in one
			 * loop without a state change per chunk. Anything
			 * else (a chunk cut by the read's end, extensions,
			 * bare LF, the last chunk, no room for a span) is
			 * left to the paths below. */
			if (!p->head_bytes)
				i = whole_chunks(buf, n, i, &o);
			/* Fast path: a whole "hex CRLF" line in view (its
			 * data cut by the read's end). */
			uint64_t v;
			size_t ds;
			if (!p->head_bytes && (ds = size_line(buf, n, i, &v))) {
				i = ds;
				p->left = v;
				if (v) {
					p->state = S_CHUNK_DATA;
				} else {
					p->state = S_TRAILER;
					line_reset(p);
				}
				break;
			}
			int seen = 0;
			while (i < n) {
				int h = hexval(buf[i]);
				if (h < 0)
					break;
				if (p->left >= CHUNK_SIZE_MAX >> 4) {
					ev = fail(p, "chunk size too large");
					goto out;
				}
				p->left = p->left << 4 | (uint64_t)h;
				p->head_bytes++;
				seen = 1;
				i++;
			}
			if (i >= n)
				goto out;
			if (!seen && !p->head_bytes) {
				ev = fail(p, "malformed chunk size");
				goto out;
			}
			p->state = S_CHUNK_EXT;
			break;
		}
		case S_CHUNK_EXT: {
			/* Extensions and whitespace up to LF; nothing else
			 * may follow the digits. */
			while (i < n && buf[i] != '\n') {
				char c = buf[i];
				if (++p->head_bytes > CHUNK_LINE_MAX) {
					ev = fail(p, "chunk size line too long");
					goto out;
				}
				if (!p->linelen && c != ';' && c != ' ' &&
				    c != '\t' && c != '\r') {
					ev = fail(p, "malformed chunk size");
					goto out;
				}
				if (c == ';')
					p->linelen = 1; /* in an extension */
				i++;
			}
			if (i >= n)
				goto out;
			i++; /* the LF */
			p->linelen = 0;
			p->head_bytes = 0;
			if (p->left) {
				p->state = S_CHUNK_DATA;
			} else {
				p->state = S_TRAILER;
				line_reset(p);
			}
			break;
		}
		case S_CHUNK_CR:
			if (i >= n)
				goto out;
			if (buf[i] == '\r' && i + 1 < n && buf[i + 1] == '\n') {
				i += 2;
				p->state = S_CHUNK_SIZE;
			} else if (buf[i] == '\r') {
				i++;
				p->state = S_CHUNK_LF;
			} else if (buf[i] == '\n') {
				i++;
				p->state = S_CHUNK_SIZE;
			} else {
				ev = fail(p, "missing CRLF after a chunk");
				goto out;
			}
			break;
		case S_CHUNK_LF:
			if (i >= n)
				goto out;
			if (buf[i] != '\n') {
				ev = fail(p, "missing CRLF after a chunk");
				goto out;
			}
			i++;
			p->state = S_CHUNK_SIZE;
			break;
		case S_TRAILER: {
			if (i >= n)
				goto out;
			int r = take_line(p, buf, n, &i);
			if (r < 0) {
				ev = fail(p, "trailer larger than 64 KiB");
				goto out;
			}
			if (!r)
				goto out;
			int blank = p->linelen == 0 && !p->line_long;
			line_reset(p);
			if (blank)
				p->state = S_DONE_PEND;
			break;
		}
		case S_DONE_PEND:
			if (o.ns)
				goto out; /* deliver the body first */
			p->state = S_DONE;
			*used = i;
			return H1_DONE;
		case S_DONE:
			*used = 0;
			return H1_DONE;
		default:
			ev = H1_ERROR;
			goto out;
		}
	}
out:
	if (o.ns) {
		/* Body first; an error found after it is reported on the
		 * next call (the state is sticky). */
		if (ev == H1_ERROR)
			i = n;
		*nspans = o.ns;
		*used = i;
		return H1_BODY;
	}
	*used = ev == H1_ERROR ? 0 : i;
	return ev;
}

enum h1_ev h1_resp_eof(struct h1_resp *p)
{
	switch (p->state) {
	case S_BODY_EOF:
	case S_DONE_PEND:
	case S_DONE:
		p->state = S_DONE;
		return H1_DONE;
	case S_STATUS:
		if (!p->head_bytes && !p->linelen)
			return fail(p, "connection closed before a response");
		return fail(p, "connection closed in the response head");
	case S_HEADER:
	case S_HEAD_END:
		return fail(p, "connection closed in the response head");
	case S_BODY_LEN:
		return fail(p, "connection closed before Content-Length bytes");
	case S_DEAD:
		return H1_ERROR;
	default:
		return fail(p, "connection closed inside a chunked body");
	}
}
