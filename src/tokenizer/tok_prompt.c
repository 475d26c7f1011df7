/* tok_prompt.c - exact-length prompts from a pre-encoded corpus, and
 * vLLM-style random-token prompts.
 *
 * A corpus cut [s, e) (token indices) is counted without encoding it all:
 * "hard" boundaries are token starts at a line start (non-space, '\n', then
 * an ASCII letter), where every supported pre-tokenizer splits and no merge
 * crosses; each block between two kept boundaries was checked to encode on
 * its own to exactly its corpus tokens. So count(s, e) = count(head up to
 * the first boundary) + corpus tokens between boundaries + count(tail).
 */
#include "tokenizer/tok_prompt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "tokenizer/tok_internal.h"

#define CORPUS_SLACK 64 /* tokens kept after a cut for end fix-ups */

struct tok_corpus {
	struct tok *tok;
	char *base; /* the corpus as the tokenizer round-trips it */
	size_t base_len;
	int32_t *ids;
	size_t n;
	uint32_t *off;   /* n + 1 byte offsets into base */
	int32_t *hard;   /* kept boundaries, ascending token indices */
	size_t n_hard;
	int32_t max_len;
};

void tok_corpus_free(struct tok_corpus *c)
{
	if (!c)
		return;
	free(c->base);
	free(c->ids);
	free(c->off);
	free(c->hard);
	free(c);
}

int32_t tok_corpus_max_len(const struct tok_corpus *c)
{
	return c->max_len;
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
	       ch == '\v' || ch == '\f';
}

static int is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* Byte offsets of each token in base from the decoded pieces; -1 when the
 * pieces do not spell base (optionally after one SentencePiece prefix
 * space). */
static int compute_offsets(struct tok_corpus *c)
{
	c->off = xmalloc((c->n + 1) * sizeof(uint32_t));
	size_t pos = 0, total = 0, len;
	for (size_t i = 0; i < c->n; i++) {
		if (!tok_id_to_piece(c->tok, c->ids[i], &len))
			return -1;
		total += len;
	}
	if (total != c->base_len && total != c->base_len + 1)
		return -1;
	int shift = (int)(total - c->base_len);
	for (size_t i = 0; i < c->n; i++) {
		const char *p = tok_id_to_piece(c->tok, c->ids[i], &len);
		if (shift && i == 0 && (!len || p[0] != ' '))
			return -1;
		size_t at = pos >= (size_t)shift ? pos - (size_t)shift : 0;
		const char *q = p;
		size_t ql = len;
		if (pos < (size_t)shift) { /* the prefix space itself */
			q++;
			ql--;
		}
		if (at + ql > c->base_len || memcmp(c->base + at, q, ql))
			return -1;
		c->off[i] = (uint32_t)at;
		pos += len;
	}
	c->off[c->n] = (uint32_t)(pos - (shift > 0 ? 1 : 0));
	return c->off[c->n] == c->base_len ? 0 : -1;
}

static long long count_slice(const struct tok_corpus *c, size_t a, size_t b,
			     int flags)
{
	return tok_count(c->tok, c->base + a, b - a, flags);
}

struct tok_corpus *tok_corpus_new(struct tok *tok, const char *text,
				  size_t len, int32_t min_tokens, char **err)
{
	struct tok_corpus *c = xcalloc(1, sizeof(*c)), *ret = NULL;
	int32_t *ids0 = NULL;
	size_t n0 = 0;
	struct buf b0;
	buf_init(&b0, TOK_CORPUS_MAX_BYTES);
	c->tok = tok;
	*err = NULL;
	if (tok_encode(tok, text, len, 0, &ids0, &n0) ||
	    tok_decode(tok, ids0, n0, &b0) || b0.len == 0 || n0 == 0) {
		*err = xstrdup("corpus is empty or not valid UTF-8");
		goto out;
	}
	/* Repeat until long enough. */
	size_t reps = (size_t)min_tokens / n0 + 1;
	while (reps * n0 < (size_t)min_tokens + 4 * CORPUS_SLACK)
		reps++;
	if (reps * (b0.len + 1) > TOK_CORPUS_MAX_BYTES) {
		*err = xasprintf("corpus would exceed %zu bytes after repeating "
				 "it to %d tokens", (size_t)TOK_CORPUS_MAX_BYTES,
				 min_tokens);
		goto out;
	}
	c->base_len = reps * b0.len + (reps - 1);
	c->base = xmalloc(c->base_len + 1);
	for (size_t r = 0, at = 0; r < reps; r++) {
		memcpy(c->base + at, b0.data, b0.len);
		at += b0.len;
		if (r + 1 < reps)
			c->base[at++] = '\n';
	}
	c->base[c->base_len] = '\0';
	if (tok_encode(tok, c->base, c->base_len, 0, &c->ids, &c->n) ||
	    compute_offsets(c)) {
		*err = xstrdup("corpus does not round-trip through the "
			       "tokenizer");
		goto out;
	}
	/* Hard boundaries, each block checked. */
	c->hard = xmalloc((c->n + 1) * sizeof(int32_t));
	for (size_t i = 1; i < c->n; i++) {
		size_t p = c->off[i];
		if (p < 2 || c->base[p - 1] != '\n' || is_space(c->base[p - 2]) ||
		    !is_alpha(c->base[p]) || c->off[i - 1] == p)
			continue;
		if (c->n_hard) {
			size_t last = (size_t)c->hard[c->n_hard - 1];
			long long k = count_slice(c, c->off[last], p,
						  TOK_NO_PREFIX);
			if (k != (long long)(i - last))
				continue; /* block grows to the next one */
		}
		c->hard[c->n_hard++] = (int32_t)i;
	}
	if (!c->n_hard || (size_t)c->hard[0] + CORPUS_SLACK + 1 >= c->n) {
		*err = xstrdup("corpus has no line start (non-space, newline, "
			       "ASCII letter) to cut prompts at");
		goto out;
	}
	long long ml = (long long)c->n - c->hard[0] - CORPUS_SLACK;
	c->max_len = ml > INT32_MAX ? INT32_MAX : (int32_t)ml;
	ret = c;
	c = NULL;
out:
	free(ids0);
	buf_free(&b0);
	tok_corpus_free(c);
	return ret;
}

/* Index of the first hard boundary > x. */
static size_t hard_after(const struct tok_corpus *c, int32_t x)
{
	size_t lo = 0, hi = c->n_hard;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->hard[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static long long count_cut(const struct tok_corpus *c, int32_t s, int32_t e)
{
	size_t i1 = hard_after(c, s), i2 = hard_after(c, e);
	if (i1 >= c->n_hard || i2 == 0 || i2 - 1 < i1)
		return count_slice(c, c->off[s], c->off[e], 0);
	int32_t h1 = c->hard[i1], h2 = c->hard[i2 - 1];
	long long head = count_slice(c, c->off[s], c->off[h1], 0);
	long long tail = count_slice(c, c->off[h2], c->off[e], TOK_NO_PREFIX);
	if (head < 0 || tail < 0)
		return head < 0 ? head : tail;
	return head + (h2 - h1) + tail;
}

int tok_prompt_exact(const struct tok_corpus *c, struct rng *r,
		     int32_t target_len, struct buf *out)
{
	if (target_len < 1 || target_len > c->max_len)
		return -ERANGE;
	int32_t limit = (int32_t)c->n - target_len - CORPUS_SLACK;
	size_t k = hard_after(c, limit); /* starts <= limit */
	if (k == 0)
		return -ERANGE;
	for (int a = 0; a < TOK_PROMPT_STARTS; a++) {
		int32_t s = c->hard[rng_int(r, 0, (int64_t)k - 1)];
		int32_t e = s + target_len, prev_e = -1;
		for (int f = 0; f < TOK_PROMPT_FIXUPS; f++) {
			/* Byte-level tokens may split a character: cut only
			 * where one starts, moving the way the fix-up went. */
			int step = e < prev_e ? -1 : 1;
			while (e > s && e < (int32_t)c->n &&
			       ((unsigned char)c->base[c->off[e]] & 0xc0) == 0x80)
				e += step;
			if (e <= s || e > (int32_t)c->n || e == prev_e)
				break;
			long long cnt = count_cut(c, s, e);
			if (cnt < 0)
				return (int)cnt;
			if (cnt == target_len)
				return buf_append(out, c->base + c->off[s],
						  c->off[e] - c->off[s]);
			prev_e = e;
			e += (int32_t)(target_len - cnt);
		}
	}
	return -EAGAIN;
}

/* ---- random-token prompts ---- */

static size_t utf8_subpart(const unsigned char *s, size_t n, int *valid)
{
	unsigned char b = s[0];
	size_t need;
	unsigned char lo = 0x80, hi = 0xbf;
	if (b < 0x80) {
		*valid = 1;
		return 1;
	} else if (b >= 0xc2 && b <= 0xdf) {
		need = 2;
	} else if (b >= 0xe0 && b <= 0xef) {
		need = 3;
		if (b == 0xe0)
			lo = 0xa0;
		if (b == 0xed)
			hi = 0x9f;
	} else if (b >= 0xf0 && b <= 0xf4) {
		need = 4;
		if (b == 0xf0)
			lo = 0x90;
		if (b == 0xf4)
			hi = 0x8f;
	} else {
		*valid = 0;
		return 1;
	}
	size_t i = 1;
	for (; i < need && i < n; i++) {
		unsigned char x = s[i];
		if (i == 1 ? (x < lo || x > hi) : (x & 0xc0) != 0x80)
			break;
	}
	*valid = i == need;
	return i;
}

int tok_utf8_lossy(struct buf *b, size_t from)
{
	const unsigned char *s = (const unsigned char *)b->data;
	size_t i = from;
	int bad = 0;
	while (i < b->len && !bad) {
		int v;
		size_t k = utf8_subpart(s + i, b->len - i, &v);
		if (!v)
			bad = 1;
		else
			i += k;
	}
	if (!bad)
		return 0;
	struct buf nb;
	buf_init(&nb, b->max_len);
	int rc = buf_append(&nb, b->data, i);
	while (!rc && i < b->len) {
		int v;
		size_t k = utf8_subpart(s + i, b->len - i, &v);
		rc = v ? buf_append(&nb, s + i, k)
		       : buf_append(&nb, "\xef\xbf\xbd", 3);
		i += k;
	}
	if (rc) {
		buf_free(&nb);
		return rc;
	}
	buf_free(b);
	*b = nb;
	return 0;
}

int tok_prompt_random(struct tok *t, struct rng *r, int64_t offset,
		      int64_t index, int32_t target_len, struct buf *out)
{
	if (target_len < 1 || target_len > (int32_t)(TOK_MAX_TEXT_BYTES / 64))
		return -ERANGE;
	int rc = 0;
	int32_t *allowed = NULL, *ids = NULL, *ids2 = NULL;
	size_t n_allowed = 0, n = (size_t)target_len, cap = 0;
	struct buf text;
	buf_init(&text, TOK_MAX_TEXT_BYTES);
	allowed = xmalloc((size_t)t->base_vocab * sizeof(int32_t) + 4);
	for (int32_t id = 0; id < t->base_vocab && id < t->n_ids; id++) {
		int ty = t->pieces[id].type;
		if (ty != TOK_T_NONE && ty != TOK_T_CONTROL &&
		    ty != TOK_T_UNKNOWN && ty != TOK_T_UNUSED)
			allowed[n_allowed++] = id;
	}
	if (!n_allowed) {
		rc = -ERANGE;
		goto out;
	}
	xgrow((void **)&ids, &cap, n, sizeof(int32_t));
	uint64_t base = (uint64_t)offset + (uint64_t)index;
	for (size_t j = 0; j < n; j++)
		ids[j] = allowed[(base + j) % n_allowed];
	for (int round = 0; round < 64; round++) {
		buf_reset(&text);
		rc = tok_decode(t, ids, n, &text);
		if (!rc)
			rc = tok_utf8_lossy(&text, 0);
		if (rc)
			goto out;
		size_t n2;
		free(ids2);
		ids2 = NULL;
		rc = tok_encode(t, text.data ? text.data : "", text.len, 0, &ids2,
				&n2);
		if (rc)
			goto out;
		if (n2 == (size_t)target_len) {
			rc = buf_append(out, text.data ? text.data : "",
					text.len);
			goto out;
		}
		if (n2 > (size_t)target_len)
			n2 = (size_t)target_len;
		xgrow((void **)&ids, &cap, (size_t)target_len, sizeof(int32_t));
		memcpy(ids, ids2, n2 * sizeof(int32_t));
		for (size_t j = n2; j < (size_t)target_len; j++)
			ids[j] = allowed[rng_int(r, 0, (int64_t)n_allowed - 1)];
		n = (size_t)target_len;
	}
	rc = -EAGAIN;
out:
	free(allowed);
	free(ids);
	free(ids2);
	buf_free(&text);
	return rc;
}
