/* jscan.c - non-allocating JSON validator with field extraction. */
#include "proto/jscan.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The scanner's hot loops start on a cache line, so their speed does not
 * depend on what the linker happens to place before them (measured: up to
 * 5% per event on parse_bench from layout alone). */
#define JSCAN_HOT __attribute__((aligned(64)))

struct scan {
	const char *p, *end;
	const struct jscan_path *paths;
	struct jscan_field *fields;
	size_t nfields;
	/* live[d]: fields whose path matches the current path's first d
	 * components (bit i = fields[i]). */
	uint32_t live[JSCAN_MAX_PATH + 1];
	int depth;
};

/* Bytes a string may hold without further checks: printable ASCII other
 * than '"' and '\\'. */
static const unsigned char plain[256] = {
#define P16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
	[0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x30] = P16,
	[0x40] = P16,
	[0x50] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	[0x60] = P16,
	[0x70] = P16,
#undef P16
};

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* First byte at or after p that is not plain (or end). */
static inline const char *skip_plain(const char *p, const char *end)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i bslash = _mm_set1_epi8('\\');
	const __m128i ctl = _mm_set1_epi8(0x1F);
	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)p);
		/* Bytes >= 0x80 are negative as signed chars, and control
		 * bytes are <= 0x1F: one signed compare finds both. */
		__m128i bad = _mm_or_si128(
			_mm_or_si128(_mm_cmpeq_epi8(v, quote),
				     _mm_cmpeq_epi8(v, bslash)),
			_mm_cmpgt_epi8(_mm_add_epi8(ctl, _mm_set1_epi8(1)), v));
		int m = _mm_movemask_epi8(bad);
		if (m)
			return p + __builtin_ctz((unsigned)m);
		p += 16;
	}
#endif
	while (p < end && plain[(unsigned char)*p])
		p++;
	return p;
}

static void skip_ws(struct scan *s)
{
	if (s->p < s->end && (unsigned char)*s->p > ' ')
		return; /* servers rarely send whitespace */
	while (s->p < s->end &&
	       (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
		s->p++;
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

static int read_u4(const char *p, const char *end)
{
	if (end - p < 4)
		return -1;
	int v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval(p[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* Validate a UTF-8 sequence starting at p (first byte >= 0x80) as jansson
 * does (no overlongs, no surrogates, <= U+10FFFF). Returns its length or
 * 0 when invalid. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t n;
	unsigned cp;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return 0;
	return n;
}

/* Scan a string body after the opening quote; on success s->p is past the
 * closing quote. */
JSCAN_HOT static int scan_string(struct scan *s, const char **start,
				  size_t *len, int *escaped)
{
	const char *p = s->p;
	*start = p;
	*escaped = 0;
	while (p < s->end) {
		/* Plain printable ASCII: 16 bytes at a time, then bytewise. */
		p = skip_plain(p, s->end);
		if (p >= s->end)
			break;
		unsigned char c = (unsigned char)*p;
		if (c == '"') {
			*len = (size_t)(p - *start);
			s->p = p + 1;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			*escaped = 1;
			if (++p >= s->end)
				return -1;
			switch (*p) {
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				p++;
				break;
			case 'u': {
				int v = read_u4(p + 1, s->end);
				if (v < 0)
					return -1;
				p += 5;
				if (v == 0)
					return -1; /* jansson: no NUL */
				if (v >= 0xD800 && v <= 0xDBFF) {
					if (s->end - p < 6 || p[0] != '\\' ||
					    p[1] != 'u')
						return -1;
					int lo = read_u4(p + 2, s->end);
					if (lo < 0xDC00 || lo > 0xDFFF)
						return -1;
					p += 6;
				} else if (v >= 0xDC00 && v <= 0xDFFF) {
					return -1;
				}
				break;
			}
			default:
				return -1;
			}
			continue;
		}
		if (c >= 0x80) {
			size_t n = utf8_len((const unsigned char *)p,
					    (const unsigned char *)s->end);
			if (!n)
				return -1;
			p += n;
			continue;
		}
		p++;
	}
	return -1;
}

static int scan_number(struct scan *s, enum jscan_type *type)
{
	const char *p = s->p, *b = p;
	int real = 0;
	if (p < s->end && *p == '-')
		p++;
	if (p >= s->end)
		return -1;
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	} else {
		return -1;
	}
	if (p < s->end && *p == '.') {
		real = 1;
		p++;
		if (p >= s->end || *p < '0' || *p > '9')
			return -1;
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < s->end && (*p == 'e' || *p == 'E')) {
		real = 1;
		p++;
		if (p < s->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= s->end || *p < '0' || *p > '9')
			return -1;
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	}
	/* jansson rejects integers outside long long and reals that
	 * overflow. */
	char tmp[64];
	size_t n = (size_t)(p - b);
	if (!real) {
		if (n > 20)
			return -1;
		if (n < 19)
			goto ok; /* cannot overflow long long */
		memcpy(tmp, b, n);
		tmp[n] = '\0';
		errno = 0;
		strtoll(tmp, NULL, 10);
		if (errno == ERANGE)
			return -1;
	} else if (!memchr(b, 'e', n) && !memchr(b, 'E', n) && n < 300) {
		/* No exponent and few digits: finite. */
	} else if (n < sizeof(tmp)) {
		memcpy(tmp, b, n);
		tmp[n] = '\0';
		errno = 0;
		double d = strtod(tmp, NULL);
		if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
			return -1;
	} else {
		char *big = malloc(n + 1); /* rare: a very long real */
		if (!big)
			return -1;
		memcpy(big, b, n);
		big[n] = '\0';
		errno = 0;
		double d = strtod(big, NULL);
		free(big);
		if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
			return -1;
	}
ok:
	*type = real ? JSCAN_REAL : JSCAN_INT;
	s->p = p;
	return 0;
}

/* Short keys: a plain loop beats a memcmp call. */
static inline int key_eq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

static int scan_value(struct scan *s);
static size_t decode(const struct jscan_field *f, char *out);

JSCAN_HOT static int scan_value(struct scan *s)
{
	skip_ws(s);
	if (s->p >= s->end)
		return -1;
	/* Which fields does this value belong to? A value replaces whatever
	 * an earlier duplicate key left at or below it (last one wins). */
	uint32_t hits = 0;
	if (s->depth <= JSCAN_MAX_PATH && s->live[s->depth]) {
		uint32_t m = s->live[s->depth];
		while (m) {
			int i = __builtin_ctz(m);
			m &= m - 1;
			s->fields[i].type = JSCAN_ABSENT;
			if (s->paths[i].depth == s->depth)
				hits |= 1u << i;
		}
	}
	const char *vstart = s->p;
	enum jscan_type t;
	size_t count = 0;
	int escaped = 0;
	const char *sstart = NULL;
	size_t slen = 0;
	char c = *s->p;
	if (c == '{' || c == '[') {
		if (s->depth >= JSCAN_MAX_DEPTH)
			return -1;
		int obj = c == '{';
		t = obj ? JSCAN_OBJECT : JSCAN_ARRAY;
		s->p++;
		skip_ws(s);
		if (s->p < s->end && *s->p == (obj ? '}' : ']')) {
			s->p++;
			goto done;
		}
		for (;;) {
			int d = s->depth;
			if (obj) {
				skip_ws(s);
				if (s->p >= s->end || *s->p != '"')
					return -1;
				s->p++;
				const char *ks;
				size_t kl;
				int kesc;
				if (scan_string(s, &ks, &kl, &kesc))
					return -1;
				skip_ws(s);
				if (s->p >= s->end || *s->p != ':')
					return -1;
				s->p++;
				char kbuf[64];
				if (kesc && d < JSCAN_MAX_PATH) {
					/* Compare escaped keys decoded. */
					struct jscan_field kf = {
						.type = JSCAN_STRING,
						.start = ks, .len = kl,
						.escaped = 1};
					size_t dl = decode(&kf, NULL);
					if (dl <= sizeof(kbuf)) {
						decode(&kf, kbuf);
						ks = kbuf;
						kl = dl;
						kesc = 0;
					}
				}
				if (d < JSCAN_MAX_PATH) {
					/* A key too long to decode here
					 * matches none of our short paths. */
					/* One compare per distinct
					 * component: paths sharing it are
					 * decided together. */
					uint32_t m = kesc ? 0 : s->live[d];
					uint32_t nm = 0;
					while (m) {
						int i = __builtin_ctz(m);
						const struct jscan_path *pp =
							&s->paths[i];
						if (pp->depth <= d) {
							m &= m - 1;
							continue;
						}
						uint32_t g =
							(pp->same[d] | 1u << i) & m;
						if (pp->plen[d] == kl &&
						    key_eq(pp->path[d], ks, kl))
							nm |= g;
						m &= ~g;
					}
					s->live[d + 1] = nm;
				}
			} else if (d < JSCAN_MAX_PATH) {
				uint32_t m = s->live[d], nm = 0;
				while (m) {
					int i = __builtin_ctz(m);
					m &= m - 1;
					if (s->paths[i].depth > d &&
					    s->paths[i].pidx[d] == (long)count)
						nm |= 1u << i;
				}
				s->live[d + 1] = nm;
			}
			s->depth++;
			int rc = scan_value(s);
			s->depth--;
			if (rc)
				return -1;
			count++;
			skip_ws(s);
			if (s->p >= s->end)
				return -1;
			if (*s->p == ',') {
				s->p++;
				continue;
			}
			if (*s->p == (obj ? '}' : ']')) {
				s->p++;
				break;
			}
			return -1;
		}
	} else if (c == '"') {
		s->p++;
		if (scan_string(s, &sstart, &slen, &escaped))
			return -1;
		t = JSCAN_STRING;
	} else if (c == 't' || c == 'f' || c == 'n') {
		const char *lit = c == 't' ? "true" : c == 'f' ? "false" : "null";
		size_t n = c == 'f' ? 5 : 4;
		if ((size_t)(s->end - s->p) < n)
			return -1;
		for (size_t k = 1; k < n; k++)
			if (s->p[k] != lit[k])
				return -1;
		s->p += n;
		t = c == 't' ? JSCAN_TRUE : c == 'f' ? JSCAN_FALSE : JSCAN_NULL;
	} else {
		if (scan_number(s, &t))
			return -1;
	}
done:
	while (hits) {
		int i = __builtin_ctz(hits);
		hits &= hits - 1;
		struct jscan_field *f = &s->fields[i];
		f->type = t;
		f->count = count;
		f->escaped = escaped;
		if (t == JSCAN_STRING) {
			f->start = sstart;
			f->len = slen;
		} else {
			f->start = vstart;
			f->len = (size_t)(s->p - vstart);
		}
	}
	return 0;
}

void jscan_compile(struct jscan_path *paths, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct jscan_path *f = &paths[i];
		for (int d = 0; d < f->depth && d < JSCAN_MAX_PATH; d++) {
			const char *c = f->path[d];
			char *end;
			f->plen[d] = strlen(c);
			long v = strtol(c, &end, 10);
			f->pidx[d] = end != c && !*end && v >= 0 ? v : -1;
		}
	}
	for (size_t i = 0; i < n && i < JSCAN_MAX_FIELDS; i++)
		for (int d = 0; d < paths[i].depth && d < JSCAN_MAX_PATH; d++) {
			uint32_t same = 0;
			for (size_t j = 0; j < n && j < JSCAN_MAX_FIELDS; j++)
				if (paths[j].depth > d &&
				    !strcmp(paths[j].path[d], paths[i].path[d]))
					same |= 1u << j;
			paths[i].same[d] = same;
		}
}

int jscan_parse(const char *str, size_t n, const struct jscan_path *paths,
		struct jscan_field *out, size_t nfields)
{
	struct scan s = {.p = str, .end = str + n, .paths = paths,
			 .fields = out, .nfields = nfields};
	if (nfields > JSCAN_MAX_FIELDS)
		return -1;
	s.live[0] = nfields == 32 ? UINT32_MAX : (1u << nfields) - 1;
	memset(out, 0, nfields * sizeof(*out));
	skip_ws(&s);
	if (s.p >= s.end || (*s.p != '{' && *s.p != '['))
		return -1;
	if (scan_value(&s))
		return -1;
	skip_ws(&s);
	return s.p == s.end ? 0 : -1;
}

/* Decode escapes; out may be NULL to only count. */
static size_t decode(const struct jscan_field *f, char *out)
{
	const char *p = f->start, *end = f->start + f->len;
	size_t n = 0;
	if (!f->escaped) {
		if (out)
			memcpy(out, p, f->len);
		return f->len;
	}
	while (p < end) {
		if (*p != '\\') {
			if (out)
				out[n] = *p;
			n++;
			p++;
			continue;
		}
		p++;
		unsigned cp;
		switch (*p) {
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u': {
			cp = (unsigned)read_u4(p + 1, end);
			p += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				unsigned lo = (unsigned)read_u4(p + 3, end);
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				     (lo - 0xDC00);
				p += 6;
			}
			break;
		}
		default:
			cp = (unsigned char)*p;
			break;
		}
		p++;
		char u[4];
		size_t k;
		if (cp < 0x80) {
			u[0] = (char)cp;
			k = 1;
		} else if (cp < 0x800) {
			u[0] = (char)(0xC0 | (cp >> 6));
			u[1] = (char)(0x80 | (cp & 0x3F));
			k = 2;
		} else if (cp < 0x10000) {
			u[0] = (char)(0xE0 | (cp >> 12));
			u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
			u[2] = (char)(0x80 | (cp & 0x3F));
			k = 3;
		} else {
			u[0] = (char)(0xF0 | (cp >> 18));
			u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
			u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
			u[3] = (char)(0x80 | (cp & 0x3F));
			k = 4;
		}
		if (out)
			memcpy(out + n, u, k);
		n += k;
	}
	return n;
}

size_t jscan_str_len(const struct jscan_field *f)
{
	return f->type == JSCAN_STRING ? decode(f, NULL) : 0;
}

size_t jscan_str_copy(const struct jscan_field *f, char *out)
{
	return f->type == JSCAN_STRING ? decode(f, out) : 0;
}

long long jscan_int(const struct jscan_field *f)
{
	/* The span is a validated JSON integer that fits in long long;
	 * accumulate negatively so LLONG_MIN works too. */
	const char *p = f->start, *end = f->start + f->len;
	int neg = p < end && *p == '-';
	long long v = 0;
	for (p += neg; p < end; p++)
		v = v * 10 - (*p - '0');
	return neg ? v : -v;
}

int jscan_str_eq(const struct jscan_field *f, const char *lit)
{
	if (f->type != JSCAN_STRING)
		return 0;
	size_t n = strlen(lit);
	if (!f->escaped)
		return f->len == n && !memcmp(f->start, lit, n);
	if (decode(f, NULL) != n)
		return 0;
	char *tmp = malloc(n + 1);
	if (!tmp)
		return 0;
	decode(f, tmp);
	int eq = !memcmp(tmp, lit, n);
	free(tmp);
	return eq;
}
