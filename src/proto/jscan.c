/* jscan.c - non-allocating JSON validator with field extraction, and the
 * per-stream memo over it.
 *
 * One flat loop over the bytes (no recursion, no per-value calls): an
 * explicit stack of container kinds, field bookkeeping only for the first
 * JSCAN_MAX_PATH levels, and SSE2 for string bodies (16 bytes per step; a
 * block with a quote, backslash, control or non-ASCII byte drops to the
 * exact scalar checks). Never reads s[n] or beyond: vector loads happen
 * only while 16 bytes remain, the tail is scanned bytewise. Build with
 * -DJSCAN_NO_SIMD for the scalar-only variant (tests build it too). The
 * memo (jscan_parse_memo, at the end) compares an event with the stream's
 * template and parses only the values that differ: first those the last
 * match replaced (its plan), searching for others only when that fails.
 * jscan_memo_peek runs the plan's replay as a prefix of a longer buffer,
 * for the SSE splitter's look-ahead, and fills the memo's fields, which
 * the parse of that document returns.
 */
#include "proto/jscan.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__) && !defined(JSCAN_NO_SIMD)
#define JSCAN_SSE2 1
#include <emmintrin.h>
#endif

/* The scanner's hot loop starts on a cache line, so its speed does not
 * depend on what the linker happens to place before it. */
#define JSCAN_HOT __attribute__((aligned(64)))
#define JSCAN_INLINE static inline __attribute__((always_inline))
#define JSCAN_COLD static __attribute__((noinline, cold))

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

/* A string byte that is not plain and not the closing quote, at p < end:
 * an escape, a UTF-8 sequence or a (rejected) control byte. Returns the
 * position after it, or NULL when invalid. */
JSCAN_COLD const char *str_special(const char *p, const char *end)
{
	unsigned char c = (unsigned char)*p;
	if (c >= 0x80) {
		size_t n = utf8_len((const unsigned char *)p,
				    (const unsigned char *)end);
		return n ? p + n : NULL;
	}
	if (c != '\\')
		return NULL; /* control byte */
	if (++p >= end)
		return NULL;
	switch (*p) {
	case '"':
	case '\\':
	case '/':
	case 'b':
	case 'f':
	case 'n':
	case 'r':
	case 't':
		return p + 1;
	case 'u': {
		int v = read_u4(p + 1, end);
		if (v < 0)
			return NULL;
		p += 5;
		if (v == 0)
			return NULL; /* jansson: no NUL */
		if (v >= 0xD800 && v <= 0xDBFF) {
			if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
				return NULL;
			int lo = read_u4(p + 2, end);
			if (lo < 0xDC00 || lo > 0xDFFF)
				return NULL;
			p += 6;
		} else if (v >= 0xDC00 && v <= 0xDFFF) {
			return NULL;
		}
		return p;
	}
	default:
		return NULL;
	}
}

#ifdef JSCAN_SSE2
/* What the string scan compares 16 bytes with; loaded once per parse. */
struct vconst {
	__m128i quote, bslash, space;
};
#define VCONST_INIT                                                     \
	{_mm_set1_epi8('"'), _mm_set1_epi8('\\'), _mm_set1_epi8(0x20)}
#else
struct vconst {
	char unused;
};
#define VCONST_INIT {0}
#endif

/* Scan a string body starting after the opening quote. Returns the
 * position of the closing quote, or NULL when the string is invalid or
 * unterminated. Sets *escaped when it holds a backslash escape. */
JSCAN_INLINE const char *str_body(const char *p, const char *end,
				  int *escaped, const struct vconst *vc)
{
	(void)vc;
	for (;;) {
#ifdef JSCAN_SSE2
		while (end - p >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)p);
			/* Bytes >= 0x80 are negative as signed chars and
			 * control bytes are < 0x20: one signed compare
			 * finds both. */
			__m128i bad = _mm_or_si128(
				_mm_or_si128(_mm_cmpeq_epi8(v, vc->quote),
					     _mm_cmpeq_epi8(v, vc->bslash)),
				_mm_cmplt_epi8(v, vc->space));
			unsigned m = (unsigned)_mm_movemask_epi8(bad);
			if (m) {
				p += __builtin_ctz(m);
				goto special;
			}
			p += 16;
		}
#endif
		while (p < end && plain[(unsigned char)*p])
			p++;
		if (p >= end)
			return NULL;
#ifdef JSCAN_SSE2
special:
#endif
		if (*p == '"')
			return p;
		if (*p == '\\')
			*escaped = 1;
		p = str_special(p, end);
		if (!p)
			return NULL;
	}
}

/* The rest of a number after its integer part [b, p): fraction, exponent
 * and jansson's range rules (integers must fit long long, reals must not
 * overflow). Returns the end of the number or NULL; *real tells which. */
JSCAN_COLD const char *num_tail(const char *b, const char *p,
				const char *end, int *real)
{
	*real = 0;
	if (p < end && *p == '.') {
		*real = 1;
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		*real = 1;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	char tmp[64];
	size_t n = (size_t)(p - b);
	if (!*real) {
		if (n > 20)
			return NULL;
		if (n < 19)
			return p; /* cannot overflow long long */
		memcpy(tmp, b, n);
		tmp[n] = '\0';
		errno = 0;
		strtoll(tmp, NULL, 10);
		if (errno == ERANGE)
			return NULL;
	} else if (!memchr(b, 'e', n) && !memchr(b, 'E', n) && n < 300) {
		/* No exponent and few digits: finite. */
	} else if (n < sizeof(tmp)) {
		memcpy(tmp, b, n);
		tmp[n] = '\0';
		errno = 0;
		double d = strtod(tmp, NULL);
		if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
			return NULL;
	} else {
		char *big = malloc(n + 1); /* rare: a very long real */
		if (!big)
			return NULL;
		memcpy(big, b, n);
		big[n] = '\0';
		errno = 0;
		double d = strtod(big, NULL);
		free(big);
		if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
			return NULL;
	}
	return p;
}

JSCAN_INLINE uint64_t ld64(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

JSCAN_INLINE uint32_t ld32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

JSCAN_INLINE uint16_t ld16(const char *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

/* a[0..n) == b[0..n) with word loads that stay inside both spans. */
JSCAN_INLINE int key_eq(const char *a, const char *b, size_t n)
{
	if (n >= 8) {
		for (size_t i = 0; i + 8 < n; i += 8)
			if (ld64(a + i) != ld64(b + i))
				return 0;
		return ld64(a + n - 8) == ld64(b + n - 8);
	}
	if (n >= 4)
		return ld32(a) == ld32(b) && ld32(a + n - 4) == ld32(b + n - 4);
	if (n >= 2)
		return ld16(a) == ld16(b) && a[n - 1] == b[n - 1];
	return !n || a[0] == b[0];
}

static size_t decode(const struct jscan_field *f, char *out);

/* First byte at or after p that is not an ASCII digit (or end). */
JSCAN_INLINE const char *skip_digits(const char *p, const char *end)
{
#ifdef JSCAN_SSE2
	/* Eight bytes at a time (x86 is little-endian): a byte is a digit
	 * when its high nibble is 3 and adding 6 keeps it so. A carry out
	 * of a byte >= 0xFA only reaches bytes after it, which do not
	 * matter: it is not a digit itself. */
	const uint64_t hi = 0xF0F0F0F0F0F0F0F0ull, d3 = 0x3030303030303030ull;
	while (end - p >= 8) {
		uint64_t v = ld64(p);
		uint64_t x = ((v & hi) ^ d3) |
			     (((v + 0x0606060606060606ull) & hi) ^ d3);
		if (x)
			return p + (__builtin_ctzll(x) >> 3);
		p += 8;
	}
#endif
	while (p < end && (unsigned)(*p - '0') < 10)
		p++;
	return p;
}

/* A literal or number value at p < end (c = *p): its end, or NULL when
 * invalid (containers and strings are not atoms); *t its type. */
JSCAN_INLINE const char *atom(const char *p, const char *end, char c,
			      enum jscan_type *t)
{
	switch (c) {
	case 't':
		if (end - p < 4 || memcmp(p, "true", 4))
			return NULL;
		*t = JSCAN_TRUE;
		return p + 4;
	case 'f':
		if (end - p < 5 || memcmp(p + 1, "alse", 4))
			return NULL;
		*t = JSCAN_FALSE;
		return p + 5;
	case 'n':
		if (end - p < 4 || memcmp(p, "null", 4))
			return NULL;
		*t = JSCAN_NULL;
		return p + 4;
	default: {
		/* Number: the integer part here, the rest (and long
		 * integers) in num_tail. */
		const char *b = p;
		if (c == '-' && ++p >= end)
			return NULL;
		if (*p == '0') {
			p++;
		} else if ((unsigned)(*p - '1') < 9) {
			p = skip_digits(p + 1, end);
		} else {
			return NULL;
		}
		*t = JSCAN_INT;
		if ((p < end && (*p == '.' || *p == 'e' || *p == 'E')) ||
		    p - b >= 19) {
			int real;
			p = num_tail(b, p, end, &real);
			if (p && real)
				*t = JSCAN_REAL;
		}
		return p;
	}
	}
}

JSCAN_COLD uint32_t match_escaped_key(const struct jscan_path *paths,
				      uint32_t m, int d, const char *ks,
				      size_t kl);

/* Fields among m (all with a component at depth d) whose component d is
 * the object key [ks, ks + kl) (kesc: holds escapes). One compare per
 * distinct component: paths sharing it are decided together. */
JSCAN_INLINE uint32_t match_key(const struct jscan_path *paths, uint32_t m,
				int d, const char *ks, size_t kl, int kesc)
{
	if (kesc)
		return match_escaped_key(paths, m, d, ks, kl);
	uint32_t nm = 0;
	while (m) {
		int i = __builtin_ctz(m);
		const struct jscan_path *pp = &paths[i];
		uint32_t g = (pp->same[d] | 1u << i) & m;
		if (pp->plen[d] == kl && key_eq(pp->path[d], ks, kl))
			nm |= g;
		m &= ~g;
	}
	return nm;
}

/* Escaped keys are compared decoded; a key too long to decode here
 * matches none of our short paths. */
JSCAN_COLD uint32_t match_escaped_key(const struct jscan_path *paths,
				      uint32_t m, int d, const char *ks,
				      size_t kl)
{
	char kbuf[64];
	struct jscan_field kf = {.type = JSCAN_STRING, .start = ks, .len = kl,
				 .escaped = 1};
	size_t dl = decode(&kf, NULL);
	if (dl > sizeof(kbuf))
		return 0;
	decode(&kf, kbuf);
	return match_key(paths, m, d, kbuf, dl, 0);
}

/* Fields among m whose component d is array index k. */
JSCAN_INLINE uint32_t match_index(const struct jscan_path *paths,
				  uint32_t m, int d, size_t k)
{
	uint32_t nm = 0;
	while (m) {
		int i = __builtin_ctz(m);
		const struct jscan_path *pp = &paths[i];
		uint32_t g = (pp->same[d] | 1u << i) & m;
		if (pp->pidx[d] == (long)k)
			nm |= g;
		m &= ~g;
	}
	return nm;
}

/* Bookkeeping of an open container at value depth <= JSCAN_MAX_PATH. */
struct level {
	size_t count;       /* elements begun so far */
	uint32_t live;      /* fields whose path runs through it */
	uint32_t hits;      /* fields whose value it is */
};

JSCAN_INLINE int is_ws(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* Skip whitespace, then c = the byte at p; fail at the end of input.
 * Servers rarely send whitespace: one compare decides that case. */
/* Slot of lv for a container at depth d. */
#define LV(d) ((d) <= JSCAN_MAX_PATH ? (d) : JSCAN_MAX_PATH + 1)

#define NEXT_BYTE()                                                     \
	do {                                                            \
		if (p >= end)                                           \
			goto fail;                                      \
		c = *p;                                                 \
		if ((unsigned char)c <= ' ') {                          \
			while (p < end && is_ws(*p))                    \
				p++;                                    \
			if (p >= end)                                   \
				goto fail;                              \
			c = *p;                                         \
		}                                                       \
	} while (0)

/* Bucket of an object key [ks, q) (q: its closing quote, ks[-1] its
 * opening one): length, first and last byte. */
#define KEY_HASH(kl, ks, q)                                             \
	(((kl) + (unsigned char)(ks)[0] + (unsigned char)(q)[-1]) & 15)

/* Build the table masks of paths[0..n) into t. */
static void tab_build(struct jscan_tab *t, const struct jscan_path *paths,
		      size_t n)
{
	memset(t, 0, sizeof(*t));
	t->n = (uint32_t)n;
	uint32_t below = 0; /* depth > JSCAN_MAX_PATH */
	for (size_t i = 0; i < n && i < JSCAN_MAX_FIELDS; i++) {
		const struct jscan_path *pp = &paths[i];
		uint32_t bit = 1u << i;
		if (pp->depth > JSCAN_MAX_PATH)
			below |= bit;
		else if (pp->depth >= 0)
			t->exact[pp->depth] |= bit;
		for (int d = 0; d < pp->depth && d < JSCAN_MAX_PATH; d++) {
			/* a key of length 0 hashes its two quotes */
			const char *k = pp->plen[d] ? pp->path[d] : &"\"\""[1];
			t->bykey[d][KEY_HASH(pp->plen[d], k,
					     k + pp->plen[d])] |= bit;
		}
	}
	t->deeper[JSCAN_MAX_PATH] = below;
	for (int d = JSCAN_MAX_PATH - 1; d >= 0; d--)
		t->deeper[d] = t->deeper[d + 1] | t->exact[d + 1];
}

/* Where a parse records its scalar values (jscan_parse_memo): offsets
 * from base of each string, number and literal value (not keys), in
 * document order; n counts past max when they do not fit. */
struct rec {
	const char *base;
	uint16_t *ss, *se; /* value start, end (exclusive) */
	unsigned n, max;
};

#define REC_SCALAR(b, e)                                                \
	do {                                                            \
		if (rec->n < rec->max) {                                \
			rec->ss[rec->n] = (uint16_t)((b) - rec->base);  \
			rec->se[rec->n] = (uint16_t)((e) - rec->base);  \
		}                                                       \
		rec->n++;                                               \
	} while (0)

/* The parser: jscan_parse's contract; rec, when non-NULL, receives the
 * scalar values. Inlined into its two callers so that the plain one
 * carries no recording at all. */
JSCAN_INLINE int parse(const char *str, size_t n,
		       const struct jscan_path *paths, struct jscan_field *out,
		       size_t nfields, struct rec *rec)
{
	if (nfields > JSCAN_MAX_FIELDS || n > UINT32_MAX)
		return -1;
	memset(out, 0, nfields * sizeof(*out));
	struct jscan_tab own;
	const struct jscan_tab *tab = &own;
	if (nfields && paths[0].tab.n >= nfields) {
		tab = &paths[0].tab; /* masks of a superset: all ANDed with
					live below */
	} else {
		tab_build(&own, paths, nfields);
	}
	const uint32_t *exact = tab->exact, *deeper = tab->deeper;

	/* lv[d] for containers at depth d <= JSCAN_MAX_PATH; all deeper
	 * ones share lv[JSCAN_MAX_PATH + 1], whose live and hits stay 0. */
	struct level lv[JSCAN_MAX_PATH + 2];
	unsigned char isobj[JSCAN_MAX_DEPTH]; /* per open container */
	const char *p = str, *end = str + n;
	int vd = 0;           /* depth of the value at p (open containers) */
	uint32_t live = nfields == 32 ? UINT32_MAX : (1u << nfields) - 1;
	uint32_t set = 0;     /* fields given a value so far */
	const struct vconst vc = VCONST_INIT;
	char c;

	NEXT_BYTE();
	if (c != '{' && c != '[')
		goto fail;

value:
	/* A value at depth vd begins at p (c = *p). live: fields whose path
	 * matches the path to it (0 below JSCAN_MAX_PATH). A value replaces
	 * whatever an earlier duplicate key left below it (last one wins). */
	{
		uint32_t hits = 0;
		if (live) {
			uint32_t m = live & deeper[vd] & set;
			while (m) { /* rare: a duplicate key */
				memset(&out[__builtin_ctz(m)], 0,
				       sizeof(*out));
				m &= m - 1;
			}
			hits = live & exact[vd];
			set |= hits;
		}
		const char *vstart = p;
		enum jscan_type t;
		switch (c) {
		case '"': {
			int esc = 0;
			const char *q = str_body(p + 1, end, &esc, &vc);
			if (!q)
				goto fail;
			p = q + 1;
			if (rec)
				REC_SCALAR(vstart, p);
			while (hits) {
				struct jscan_field *f = &out[__builtin_ctz(hits)];
				hits &= hits - 1;
				f->type = JSCAN_STRING;
				f->start = vstart + 1;
				f->len = (size_t)(q - vstart - 1);
				f->count = 0;
				f->escaped = esc;
			}
			goto next;
		}
		case '{':
		case '[':
			if (vd >= JSCAN_MAX_DEPTH)
				goto fail;
			isobj[vd] = c == '{';
			{
				struct level *l = &lv[LV(vd)];
				l->count = 0;
				/* fields that may match one of its
				 * elements */
				l->live = vd < JSCAN_MAX_PATH
						  ? live & deeper[vd]
						  : 0;
				l->hits = hits;
			}
			vd++;
			p++;
			NEXT_BYTE();
			if (c == (isobj[vd - 1] ? '}' : ']')) {
				p++;
				goto close;
			}
			goto element;
		default:
			p = atom(p, end, c, &t);
			if (!p)
				goto fail;
			if (rec)
				REC_SCALAR(vstart, p);
			break;
		}
		while (hits) {
			struct jscan_field *f = &out[__builtin_ctz(hits)];
			hits &= hits - 1;
			f->type = t;
			f->start = vstart;
			f->len = (size_t)(p - vstart);
			f->count = 0;
			f->escaped = 0;
		}
	}

next:
	/* A value at depth vd ended at p: a separator or the end of its
	 * container follows. */
	NEXT_BYTE();
	p++;
	if (c == ',')
		goto element;
	if (c != (isobj[vd - 1] ? '}' : ']'))
		goto fail;

close:
	/* The container at depth vd - 1 ended just before p. */
	vd--;
	{
		const struct level *l = &lv[LV(vd)];
		uint32_t hits = l->hits;
		while (hits) {
			struct jscan_field *f = &out[__builtin_ctz(hits)];
			hits &= hits - 1;
			f->type = isobj[vd] ? JSCAN_OBJECT : JSCAN_ARRAY;
			f->start = NULL; /* no span: see jscan_field */
			f->len = 0;
			f->count = l->count;
			f->escaped = 0;
		}
	}
	if (!vd)
		goto done; /* the root ended */
	goto next;

element:
	/* Begin the next element of the container at depth vd - 1, at p
	 * (after '{', '[' or ','). */
	{
		int d = vd - 1;
		struct level *l = &lv[LV(d)];
		size_t k = l->count++;
		uint32_t m = l->live;
		if (isobj[d]) {
			NEXT_BYTE();
			if (c != '"')
				goto fail;
			int kesc = 0;
			const char *ks = p + 1;
			const char *q = str_body(ks, end, &kesc, &vc);
			if (!q)
				goto fail;
			p = q + 1;
			size_t kl = (size_t)(q - ks);
			if (m && !kesc)
				m &= tab->bykey[d][KEY_HASH(kl, ks, q)];
			live = m ? match_key(paths, m, d, ks, kl, kesc) : 0;
			if (end - p >= 2 && p[0] == ':' &&
			    (unsigned char)p[1] > ' ') {
				c = *++p; /* no whitespace around ':' */
				goto value;
			}
			NEXT_BYTE();
			if (c != ':')
				goto fail;
			p++;
		} else {
			live = m ? match_index(paths, m, d, k) : 0;
		}
		NEXT_BYTE();
		goto value;
	}

done:
	while (p < end && is_ws(*p))
		p++;
	return p == end ? 0 : -1;
fail:
	return -1;
}

JSCAN_HOT int jscan_parse(const char *s, size_t n,
			  const struct jscan_path *paths,
			  struct jscan_field *out, size_t nfields)
{
	return parse(s, n, paths, out, nfields, NULL);
}

/* ---- the per-stream memo (jscan_parse_memo) ----
 *
 * Why it is exact: a template T is a valid document. A document s that
 * equals T byte for byte except that some scalar values of T are replaced
 * by other complete, valid scalar values (each followed by the same bytes
 * as in T) is derived by the same grammar with other leaves, so it is
 * valid under the same rules (depth, keys and structure unchanged), and
 * every path resolves to the same value slot: the fields are T's, with
 * positions moved by the length changes of the values before them. Any
 * other difference (a key, a bracket, whitespace, a value turned into a
 * container) makes the match fail and s is parsed in full. A field whose
 * value was not replaced holds T's bytes: its span points at the memo's
 * copy of T (equal bytes), so a match writes only the replaced values.
 */
#define MEMO_BYTES 1024   /* longest document kept as a template */
#define MEMO_SCALARS 64   /* most scalar values in a template */
#define MEMO_NONE 0xFF    /* memo_field.sidx of containers and absent */
#define MEMO_NOPLAN 0xFF  /* jscan_memo_tpl.nplan: no plan yet */

/* A field's value in the template. */
struct memo_field {
	uint8_t type;       /* enum jscan_type */
	uint8_t escaped;
	uint8_t sidx;       /* scalar values: index in ss/se */
	uint16_t off, len;  /* scalars: span in buf, as jscan_field's
			       (strings: inside the quotes) */
	uint16_t count;     /* containers: elements */
};

/* The plan (memo_plan): the scalars the last match replaced, ascending,
 * and the fields they feed: a planned one is written where its new value
 * is read (memo_value into the step's field x; a second field on the same
 * scalar copies it: put, memo_out). One that is not planned keeps the
 * template's span (its bytes in buf, which s repeats). A container field
 * has no span (jscan_field), and its type and count are the template's:
 * nothing to write. */
struct memo_step {
	uint16_t ss, se;    /* a planned scalar's span in the template */
	uint8_t x;          /* the field it is read into: live[x] (nf: the
			       sink, a scalar no field names) */
};
struct memo_put {
	uint8_t x, pi;      /* field index; the step whose field it copies */
};

/* One allocation, sized to the document: header, then img[nf] (the
 * template's fields, spans into buf), live[nf + 1] (the fields of the
 * last match, which jscan_memo_fields returns: img's, except that every
 * field of the plan's steps and put is rewritten by each match, so a new
 * plan starts again from img; live[nf] is the steps' sink), the plan's
 * put[nf] and
 * step[ns], ss[ns] and se[ns] (each scalar value's start and end offset,
 * in document order), f[nf] (each field's value), the document buf[len],
 * and owner[len + 1] (owner[i]: the first scalar whose end is >= i, ns
 * when none: where a difference at offset i must lie). */
struct jscan_memo_tpl {
	uint16_t len, ns, nf;  /* document bytes, scalars, fields */
	uint8_t nplan;         /* scalars the last match replaced, or
				  MEMO_NOPLAN */
	uint8_t nput;          /* entries in put */
	uint8_t eol;           /* buf holds a CR or LF (whitespace): no
				  jscan_memo_peek */
	uint16_t o_put, o_step, o_buf; /* where put, step and buf start
					  (bytes from the header: the
					  peek does not recompute them) */
	uint32_t size;         /* bytes allocated */
	struct jscan_field img[];
};

#define T_LIVE(T) ((T)->img + (T)->nf)
#define T_PUT(T) ((struct memo_put *)((char *)(T) + (T)->o_put))
#define T_STEP(T) ((struct memo_step *)((char *)(T) + (T)->o_step))
#define T_SS(T) ((uint16_t *)(T_STEP(T) + (T)->ns))
#define T_SE(T) (T_SS(T) + (T)->ns)
#define T_F(T) ((struct memo_field *)(T_SS(T) + 2 * (T)->ns))
#define T_BUF(T) ((char *)(T) + (T)->o_buf)
#define T_OWNER(T) ((unsigned char *)T_BUF(T) + (T)->len)


/* Length of the common prefix of a[0..n) and b[0..n). */
JSCAN_INLINE size_t common_prefix(const char *a, const char *b, size_t n)
{
	size_t i = 0;
#ifdef JSCAN_SSE2
	while (n - i >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(a + i));
		__m128i y = _mm_loadu_si128((const __m128i *)(b + i));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y));
		if (m != 0xFFFF)
			return i + (size_t)__builtin_ctz(~m);
		i += 16;
	}
#endif
	while (n - i >= 8) {
		uint64_t d = ld64(a + i) ^ ld64(b + i);
		if (d) /* little-endian: the lowest set byte is first */
			return i + (size_t)(__builtin_ctzll(d) >> 3);
		i += 8;
	}
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* First index k in v[0..n) with v[k] >= x. */
static unsigned lower_bound(const uint16_t *v, unsigned n, size_t x)
{
	unsigned lo = 0, hi = n;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The scalar value of s at vs (< n is not assumed) into o: its span
 * (strings: inside the quotes), type and escapes; o's count is left
 * alone. Returns where the value ends in s, or 0 when no valid scalar
 * starts there (a container, a key's bytes, invalid or truncated; s is
 * under 4 GiB). bounded: the
 * caller goes on to compare the template's byte after the value (one
 * that ends a value: a comma, bracket or space) with s's, so a positive
 * integer of up to 18 digits is read as its digits alone; that compare
 * rejects a fraction or an exponent. */
JSCAN_INLINE size_t memo_value(const char *s, size_t n, size_t vs,
			       int bounded, struct jscan_field *o,
			       const struct vconst *vc)
{
	const char *q;
	if (vs >= n)
		return 0;
	int esc = 0;
	enum jscan_type t;
	size_t str = 0; /* 1: a string (its span is inside the quotes) */
	if (bounded && (unsigned)(s[vs] - '1') < 9 &&
	    (q = skip_digits(s + vs + 1, s + n)) - (s + vs) < 19) {
		t = JSCAN_INT;
	} else if (s[vs] == '"') {
		q = str_body(s + vs + 1, s + n, &esc, vc);
		if (!q)
			return 0;
		q++;
		t = JSCAN_STRING;
		str = 1;
	} else if (s[vs] == '{' || s[vs] == '[') {
		return 0;
	} else {
		q = atom(s + vs, s + n, s[vs], &t);
		if (!q)
			return 0;
	}
	size_t end = (size_t)(q - s);
	o->start = s + vs + str;
	o->len = (uint32_t)(end - vs - 2 * str);
	o->type = t;
	o->escaped = esc;
	return end;
}

/* a[0..n) == b[0..n): short gaps inline, long ones by memcmp. */
JSCAN_INLINE int memo_eq(const char *a, const char *b, size_t n)
{
#ifdef JSCAN_SSE2
	if (n - 16 <= 16) { /* 16..32 bytes: two overlapping compares */
		__m128i x = _mm_xor_si128(
			_mm_loadu_si128((const __m128i *)a),
			_mm_loadu_si128((const __m128i *)b));
		__m128i y = _mm_xor_si128(
			_mm_loadu_si128((const __m128i *)(a + n - 16)),
			_mm_loadu_si128((const __m128i *)(b + n - 16)));
		return _mm_movemask_epi8(_mm_cmpeq_epi8(
			       _mm_or_si128(x, y), _mm_setzero_si128())) ==
		       0xFFFF;
	}
#endif
	return n <= 32 ? key_eq(a, b, n) : !memcmp(a, b, n);
}

/* The rest of live[0..nf) once the steps' fields hold a match's new
 * values: a second field on a planned scalar copies the first. The other
 * fields keep img's values (memo_plan starts live from img). */
JSCAN_INLINE void memo_out(struct jscan_memo_tpl *T)
{
	unsigned nput = T->nput;
	if (nput) {
		struct jscan_field *out = T_LIVE(T);
		const struct memo_put *put = T_PUT(T);
		const struct memo_step *step = T_STEP(T);
		for (unsigned i = 0; i < nput; i++)
			out[put[i].x] = out[step[put[i].pi].x];
	}
}

/* The fast path: s is T with the scalars of T's plan (those the last
 * match replaced) replaced again, every byte between them equal to T's.
 * Each gap is one compare (memo_eq) and each planned value is parsed
 * where it starts, whether or not it changed; nothing is searched. The
 * values go straight to their fields in live (memo_out copies them to a
 * second field). On failure some of the steps' fields may hold new
 * values: live is returned only after a match, which rewrites them all.
 * Exact (prefix 0): s[0..n) must
 * be that document. Prefix: the document may end before n, and *len is
 * its length. Returns 0, or -1 otherwise: the general match decides.
 * Exact by the argument above: the bytes outside the planned values are
 * T's, the planned values are valid scalars. */
JSCAN_INLINE int memo_fast(struct jscan_memo_tpl *T, const char *s,
			   size_t n, int prefix, size_t *len)
{
	const char *b = T_BUF(T);
	const struct memo_step *step = T_STEP(T), *last = step + T->nplan;
	struct jscan_field *live = T_LIVE(T);
	const struct vconst vc = VCONST_INIT;
	size_t op = 0, np = 0; /* matched up to b + op and s + np */
	size_t tlen = T->len;
	for (; step < last; step++) {
		size_t gap = step->ss - op;
		if (n - np < gap || !memo_eq(s + np, b + op, gap))
			return -1;
		/* the tail or next gap after the value is compared next */
		np = memo_value(s, n, np + gap, step->se < tlen, &live[step->x],
				&vc);
		if (!np)
			return -1;
		op = step->se;
	}
	size_t tail = tlen - op;
	if ((prefix ? n - np < tail : n - np != tail) ||
	    !memo_eq(s + np, b + op, tail))
		return -1;
	*len = np + tail;
	return 0;
}

/* Make the scalars in mark T's plan, with its put. */
static void memo_plan(struct jscan_memo_tpl *T, uint64_t mark)
{
	const uint16_t *ss = T_SS(T), *se = T_SE(T);
	struct memo_step *step = T_STEP(T);
	T->nplan = 0;
	for (uint64_t m = mark; m; m &= m - 1) {
		unsigned j = (unsigned)__builtin_ctzll(m);
		step[T->nplan].ss = ss[j];
		step[T->nplan].se = se[j];
		step[T->nplan].x = (uint8_t)T->nf; /* the sink, until a field */
		T->nplan++;
	}
	const struct memo_field *f = T_F(T);
	struct memo_put *put = T_PUT(T);
	T->nput = 0;
	for (unsigned x = 0; x < T->nf; x++) {
		const struct memo_field *mf = &f[x];
		unsigned k = mf->sidx; /* < 64 (MEMO_SCALARS) */
		if (k == MEMO_NONE || !(mark >> k & 1))
			continue; /* absent, a container, or not planned */
		unsigned c0 = (unsigned)__builtin_popcountll(
			mark & ((1ull << k) - 1)); /* its step */
		if (step[c0].x == T->nf) {
			step[c0].x = (uint8_t)x;
			continue;
		}
		put[T->nput].x = (uint8_t)x; /* a second field */
		put[T->nput].pi = (uint8_t)c0;
		T->nput++;
	}
	memcpy(T_LIVE(T), T->img, T->nf * sizeof(*T->img));
}

/* Match s against T (see above): find each difference, which must lie
 * in a scalar value; on success T's plan becomes the scalars replaced and
 * T's live fields are filled from it. Returns 0, or -1 when s is not T
 * with some scalar values replaced (T then untouched). */
static int memo_match(struct jscan_memo_tpl *T, const char *s, size_t n)
{
	const char *b = T_BUF(T);
	const unsigned char *owner = T_OWNER(T);
	const uint16_t *ss = T_SS(T), *se = T_SE(T);
	const struct vconst vc = VCONST_INIT;
	struct jscan_field chg[MEMO_SCALARS]; /* the new values, ascending */
	unsigned nc = 0;
	uint64_t mark = 0; /* bit k: scalar k replaced */
	unsigned k = 0;    /* scalars before k are settled */
	size_t op = 0, np = 0; /* matched up to b + op and s + np */
	for (;;) {
		size_t ro = T->len - op, rn = n - np;
		size_t x = common_prefix(s + np, b + op, ro < rn ? ro : rn);
		if (x == ro && x == rn)
			break;
		/* The first difference must lie in a scalar value at or
		 * after k, or at the byte right after it. */
		size_t xo = op + x;
		unsigned j = owner[xo];
		if (j < k || j == T->ns || ss[j] > xo)
			return -1;
		size_t vs = np + (ss[j] - op);
		/* the bytes after it are compared next (common_prefix) */
		size_t end = memo_value(s, n, vs, se[j] < T->len, &chg[nc], &vc);
		if (!end)
			return -1;
		nc++;
		mark |= 1ull << j;
		k = j + 1;
		np = end;
		op = se[j];
	}
	memo_plan(T, mark);
	struct jscan_field *live = T_LIVE(T);
	const struct memo_step *step = T_STEP(T);
	for (unsigned i = 0; i < nc; i++) { /* memo_fast's writes */
		struct jscan_field *o = &live[step[i].x];
		o->start = chg[i].start;
		o->len = chg[i].len;
		o->type = chg[i].type;
		o->escaped = chg[i].escaped;
	}
	memo_out(T);
	return 0;
}

/* Make s (valid, fields in out, scalar values in r) m's template.
 * Returns 0, or -1 when it cannot be kept. */
static int memo_build(struct jscan_memo *m, const char *s, size_t n,
		      const struct jscan_path *paths,
		      const struct jscan_field *out, size_t nf,
		      const struct rec *r)
{
	if (r->n > MEMO_SCALARS)
		return -1;
	size_t size = sizeof(struct jscan_memo_tpl) +
		      (2 * nf + 1) * sizeof(struct jscan_field) +
		      nf * sizeof(struct memo_put) +
		      r->n * (sizeof(struct memo_step) + 4) +
		      nf * sizeof(struct memo_field) + 2 * n + 1;
	struct jscan_memo_tpl *T = m->tpl;
	if (!T || T->size < size) {
		size = (size + 63) & ~(size_t)63;
		T = realloc(m->tpl, size);
		if (!T)
			return -1; /* m->tpl is still allocated */
		T->size = (uint32_t)size;
		m->tpl = T;
	}
	T->len = (uint16_t)n;
	T->ns = (uint16_t)r->n;
	T->nf = (uint16_t)nf;
	T->nplan = MEMO_NOPLAN;
	T->o_put = (uint16_t)((char *)(T_LIVE(T) + nf + 1) - (char *)T);
	T->o_step = (uint16_t)(T->o_put + nf * sizeof(struct memo_put));
	T->o_buf = (uint16_t)((char *)(T_F(T) + nf) - (char *)T);
	uint16_t *ss = T_SS(T), *se = T_SE(T);
	memcpy(ss, r->ss, r->n * sizeof(*ss));
	memcpy(se, r->se, r->n * sizeof(*se));
	memcpy(T_BUF(T), s, n);
	T->eol = memchr(s, '\n', n) || memchr(s, '\r', n);
	unsigned char *owner = T_OWNER(T);
	size_t i0 = 0; /* owner[i] = k for se[k - 1] < i <= se[k] */
	for (unsigned k = 0; k < T->ns; k++) {
		memset(owner + i0, (int)k, se[k] + 1 - i0);
		i0 = se[k] + 1u;
	}
	memset(owner + i0, T->ns, n + 1 - i0);
	for (size_t i = 0; i < nf; i++) {
		const struct jscan_field *o = &out[i];
		struct memo_field *mf = &T_F(T)[i];
		memset(mf, 0, sizeof(*mf));
		mf->type = (uint8_t)o->type;
		mf->sidx = MEMO_NONE;
		if (o->type == JSCAN_ABSENT)
			continue;
		if (o->type == JSCAN_OBJECT || o->type == JSCAN_ARRAY) {
			mf->count = (uint16_t)o->count;
			continue;
		}
		size_t off = (size_t)(o->start - s);
		mf->off = (uint16_t)off;
		mf->len = (uint16_t)o->len;
		mf->escaped = (uint8_t)o->escaped;
		size_t vo = off - (o->type == JSCAN_STRING);
		unsigned k = lower_bound(ss, T->ns, vo);
		if (k == T->ns || ss[k] != vo)
			return -1;
		mf->sidx = (uint8_t)k;
	}
	for (size_t i = 0; i < nf; i++) { /* what every match starts from */
		const struct memo_field *mf = &T_F(T)[i];
		struct jscan_field *g = &T->img[i];
		g->type = (enum jscan_type)mf->type;
		/* a scalar's span: the copy of its bytes in buf */
		g->start = mf->sidx == MEMO_NONE ? NULL : T_BUF(T) + mf->off;
		g->len = mf->len; /* 0: absent, or a container */
		g->count = mf->count;
		g->escaped = mf->escaped;
	}
	memcpy(T_LIVE(T), T->img, nf * sizeof(*T->img));
	m->paths = paths;
	m->nfields = nf;
	return 0;
}

/* The compilation a memo built for paths[0..nfields) records (0: an
 * uncompiled table, told apart by its address alone). */
JSCAN_INLINE uint32_t memo_stamp(const struct jscan_path *paths,
				 size_t nfields)
{
	return nfields && paths[0].tab.n >= nfields ? paths[0].tab.stamp : 0;
}

/* A match's bookkeeping (jscan_memo_fields). */
JSCAN_INLINE const struct jscan_field *memo_hit(struct jscan_memo *m,
						int fast)
{
	m->fast += (uint64_t)fast;
	m->matched++;
	m->misses = 0;
	if (++m->run >= 16)
		m->level = 0;
	return T_LIVE(m->tpl);
}

static const struct jscan_field *
memo_fields(struct jscan_memo *m, const char *s, size_t n,
	    const struct jscan_path *paths, struct jscan_field *out,
	    size_t nfields)
{
	if (nfields > JSCAN_MAX_FIELDS || n > UINT32_MAX)
		return NULL; /* as jscan_parse */
	uint32_t stamp = memo_stamp(paths, nfields);
	if (m->skip) { /* backing off: plain parses, template untouched */
		m->peek = NULL;
		m->skip--;
		m->parsed++;
		return parse(s, n, paths, out, nfields, NULL) ? NULL : out;
	}
	int tried = m->tpl && m->paths == paths && m->nfields == nfields &&
		    m->stamp == stamp;
	struct jscan_memo_tpl *T = m->tpl;
	int fast = 0;
	if (tried && T->nplan != MEMO_NOPLAN) {
		size_t len;
		fast = !memo_fast(T, s, n, 0, &len);
		if (fast)
			memo_out(T);
	}
	m->peek = NULL;
	if (fast || (tried && !memo_match(T, s, n)))
		return memo_hit(m, fast);
	m->parsed++;
	uint16_t ss[MEMO_SCALARS], se[MEMO_SCALARS];
	struct rec r = {.base = s, .ss = ss, .se = se, .max = MEMO_SCALARS};
	struct rec *rp = n <= MEMO_BYTES ? &r : NULL; /* too long to keep */
	if (parse(s, n, paths, out, nfields, rp))
		return NULL; /* the template stays for the next event */
	/* A stream whose shape keeps changing would pay a failed match and
	 * a rebuild on every event: from the second failed attempt in a
	 * row, the next 1, 2, 4, ... 64 events are parsed plainly before
	 * the memo tries again; 16 matches in a row start over at 1. */
	if (tried) {
		m->run = 0;
		if (++m->misses >= 2) {
			m->skip = 1u << m->level;
			if (m->level < 6)
				m->level++;
		}
	}
	if (!rp || memo_build(m, s, n, paths, out, nfields, rp))
		m->paths = NULL; /* no template: s did not fit */
	else
		m->stamp = stamp;
	return out;
}

const struct jscan_field *jscan_memo_fields(struct jscan_memo *m,
					    const char *s, size_t n,
					    const struct jscan_path *paths,
					    struct jscan_field *out,
					    size_t nfields)
{
	/* The document jscan_memo_peek just matched, for the table the
	 * template was built with: its fields are live already. */
	if (m->peek == s && m->peek_len == n && m->paths == paths &&
	    m->nfields == nfields && m->stamp == memo_stamp(paths, nfields)) {
		m->peek = NULL;
		return memo_hit(m, 1);
	}
	return memo_fields(m, s, n, paths, out, nfields);
}

int jscan_parse_memo(struct jscan_memo *m, const char *s, size_t n,
		     const struct jscan_path *paths, struct jscan_field *out,
		     size_t nfields)
{
	const struct jscan_field *f =
		jscan_memo_fields(m, s, n, paths, out, nfields);
	if (!f)
		return -1;
	if (f != out)
		memcpy(out, f, nfields * sizeof(*out));
	return 0;
}

size_t jscan_memo_peek(struct jscan_memo *m, const char *s, size_t avail)
{
	struct jscan_memo_tpl *T = m->tpl;
	size_t len;
	m->peek = NULL;
	if (m->skip || !T || !m->paths || T->nplan == MEMO_NOPLAN || T->eol ||
	    avail > UINT32_MAX || memo_fast(T, s, avail, 1, &len))
		return 0;
	memo_out(T); /* the parse of this document returns it */
	m->peek = s;
	m->peek_len = len;
	return len;
}

void jscan_memo_free(struct jscan_memo *m)
{
	free(m->tpl);
	memset(m, 0, sizeof(*m));
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
	if (n) {
		static atomic_uint stamps;
		tab_build(&paths[0].tab, paths, n);
		paths[0].tab.stamp = atomic_fetch_add(&stamps, 1) + 1;
	}
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

size_t jscan__str_len_escaped(const struct jscan_field *f)
{
	return decode(f, NULL);
}

size_t jscan_str_copy(const struct jscan_field *f, char *out)
{
	return f->type == JSCAN_STRING ? decode(f, out) : 0;
}

long long jscan__int_long(const struct jscan_field *f)
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

int jscan__str_eq_escaped(const struct jscan_field *f, const char *lit,
			  size_t n)
{
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
