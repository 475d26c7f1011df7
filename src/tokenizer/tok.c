/* tok.c - loading dispatch, encode (added-token split, normalize,
 * pre-tokenize, cached BPE per word), decode and accessors.
 * Encode state lives in a struct tok__ctx borrowed from tok's pool, so a
 * loaded tokenizer stays read-only and shareable across threads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <utf8proc.h>

#include "core/xmalloc.h"
#include "tokenizer/tok_internal.h"

#define SYM_DEAD (-2)

struct sym {
	int32_t id; /* token id, -1 unknown char, SYM_DEAD merged away */
	int32_t prev, next;
	uint32_t start, len; /* bytes in the word */
};

struct cand {
	uint64_t key; /* (prio << 32) | start of left symbol */
	int32_t left, right, lid, rid, nid;
};

struct cache_ent {
	uint32_t tag;     /* high hash bits */
	uint32_t key_off; /* into keys */
	uint32_t ids_off; /* into ids */
	uint16_t key_len; /* 0 = empty slot */
	uint16_t n_ids;
};

struct tok__ctx {
	struct tok__ctx *next;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
	struct cache_ent *slots; /* TOK_CACHE_SLOTS, lazily allocated */
	size_t n_ent;
	char *keys; /* TOK_CACHE_KEY_BYTES */
	size_t keys_len;
	int32_t *cids; /* TOK_CACHE_IDS */
	size_t cids_len;
	struct sym *sym; /* capped by TOK_MAX_TEXT_BYTES + 1 */
	size_t sym_cap;
	struct cand *heap;
	size_t heap_n, heap_cap;
	int32_t *wids; /* one word's ids */
	size_t wids_cap;
	char *tmp; /* SentencePiece working text */
	size_t tmp_cap;
};

struct ovec {
	int32_t *v;
	size_t n, cap;
	int count_only;
};

static inline void ov_push(struct ovec *o, int32_t id)
{
	if (!o->count_only) {
		if (o->n == o->cap)
			xgrow((void **)&o->v, &o->cap, o->n + 1, sizeof(int32_t));
		o->v[o->n] = id;
	}
	o->n++;
}

static inline void ov_push_n(struct ovec *o, const int32_t *ids, size_t n)
{
	if (!o->count_only) {
		if (o->n + n > o->cap)
			xgrow((void **)&o->v, &o->cap, o->n + n, sizeof(int32_t));
		memcpy(o->v + o->n, ids, n * sizeof(int32_t));
	}
	o->n += n;
}

/* ---- context pool ---- */

static struct tok__ctx *ctx_get(struct tok *t)
{
	struct tok__ctx *c = NULL;
	pthread_mutex_lock(&t->mu);
	if (t->ctx_free) {
		c = t->ctx_free;
		t->ctx_free = c->next;
		t->n_ctx_free--;
	}
	pthread_mutex_unlock(&t->mu);
	if (c)
		return c;
	c = xcalloc(1, sizeof(*c));
	if (t->re) {
		c->md = pcre2_match_data_create_from_pattern(t->re, NULL);
		c->mctx = pcre2_match_context_create(NULL);
		c->jit = pcre2_jit_stack_create(32 * 1024, TOK_JIT_STACK_MAX,
						NULL);
		if (!c->md || !c->mctx || !c->jit) {
			fprintf(stderr, "infbench: out of memory (pcre2)\n");
			abort();
		}
		pcre2_jit_stack_assign(c->mctx, NULL, c->jit);
	}
	return c;
}

static void ctx_destroy(struct tok__ctx *c)
{
	if (!c)
		return;
	pcre2_match_data_free(c->md);
	pcre2_match_context_free(c->mctx);
	pcre2_jit_stack_free(c->jit);
	free(c->slots);
	free(c->keys);
	free(c->cids);
	free(c->sym);
	free(c->heap);
	free(c->wids);
	free(c->tmp);
	free(c);
}

static void ctx_put(struct tok *t, struct tok__ctx *c)
{
	pthread_mutex_lock(&t->mu);
	if (t->n_ctx_free < TOK_MAX_CTX) {
		c->next = t->ctx_free;
		t->ctx_free = c;
		t->n_ctx_free++;
		c = NULL;
	}
	pthread_mutex_unlock(&t->mu);
	ctx_destroy(c);
}

/* ---- BPE over one word ---- */

static inline const struct tok__pair *pair_get(const struct tok *t, int32_t a,
					       int32_t b)
{
	const struct tok__pairmap *m = &t->merges;
	if (!m->slots)
		return NULL;
	uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
	size_t j = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & m->mask;
	for (;;) {
		const struct tok__pair *p = &m->slots[j];
		if (p->key == key)
			return p;
		if (p->key == UINT64_MAX)
			return NULL;
		j = (j + 1) & m->mask;
	}
}

static void heap_push(struct tok__ctx *c, const struct cand *x)
{
	if (c->heap_n == c->heap_cap)
		xgrow((void **)&c->heap, &c->heap_cap, c->heap_n + 1,
		      sizeof(*c->heap));
	size_t i = c->heap_n++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (c->heap[p].key <= x->key)
			break;
		c->heap[i] = c->heap[p];
		i = p;
	}
	c->heap[i] = *x;
}

static struct cand heap_pop(struct tok__ctx *c)
{
	struct cand top = c->heap[0];
	struct cand last = c->heap[--c->heap_n];
	size_t i = 0, n = c->heap_n;
	for (;;) {
		size_t l = 2 * i + 1;
		if (l >= n)
			break;
		if (l + 1 < n && c->heap[l + 1].key < c->heap[l].key)
			l++;
		if (last.key <= c->heap[l].key)
			break;
		c->heap[i] = c->heap[l];
		i = l;
	}
	if (n)
		c->heap[i] = last;
	return top;
}

static inline void try_pair(const struct tok *t, struct tok__ctx *c,
			    int32_t i, int32_t j)
{
	if (i < 0 || j < 0)
		return;
	int32_t a = c->sym[i].id, b = c->sym[j].id;
	if (a < 0 || b < 0)
		return;
	const struct tok__pair *p = pair_get(t, a, b);
	if (!p)
		return;
	struct cand x = {((uint64_t)p->prio << 32) | c->sym[i].start, i, j, a,
			 b, p->id};
	heap_push(c, &x);
}

static inline size_t utf8_len(unsigned char b)
{
	return b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
}

static void wids_push(struct tok__ctx *c, size_t *n, int32_t id)
{
	if (*n == c->wids_cap)
		xgrow((void **)&c->wids, &c->wids_cap, *n + 1, sizeof(int32_t));
	c->wids[(*n)++] = id;
}

/* Words of at most this many symbols merge by linear scans, no heap. */
#define SMALL_WORD_SYMS 24

/* The same merge order as the heap loop (lowest priority, then leftmost),
 * for short words: each live symbol keeps the priority of the pair it
 * starts; every round scans for the minimum. */
static void merge_small(const struct tok *t, struct tok__ctx *c, int32_t ns)
{
	uint32_t prio[SMALL_WORD_SYMS];
	int32_t nid[SMALL_WORD_SYMS];
	struct sym *y = c->sym;
	for (int32_t i = 0; i < ns; i++) {
		const struct tok__pair *p =
			i + 1 < ns && y[i].id >= 0 && y[i + 1].id >= 0
				? pair_get(t, y[i].id, y[i + 1].id)
				: NULL;
		prio[i] = p ? p->prio : UINT32_MAX;
		nid[i] = p ? p->id : -1;
	}
	for (;;) {
		int32_t best = -1;
		uint32_t bp = UINT32_MAX;
		for (int32_t i = 0; i >= 0; i = y[i].next)
			if (prio[i] < bp) {
				bp = prio[i];
				best = i;
			}
		if (best < 0)
			break;
		int32_t r = y[best].next;
		y[best].id = nid[best];
		y[best].len += y[r].len;
		y[best].next = y[r].next;
		if (y[r].next >= 0)
			y[y[r].next].prev = best;
		y[r].id = SYM_DEAD;
		int32_t fix[2] = {y[best].prev, best};
		for (int k = 0; k < 2; k++) {
			int32_t i = fix[k];
			if (i < 0)
				continue;
			int32_t j = y[i].next;
			const struct tok__pair *p =
				j >= 0 && y[i].id >= 0 && y[j].id >= 0
					? pair_get(t, y[i].id, y[j].id)
					: NULL;
			prio[i] = p ? p->prio : UINT32_MAX;
			nid[i] = p ? p->id : -1;
		}
	}
}

/* BPE of one pre-token into c->wids; returns the count. TOK_NO_CACHE
 * (the reference path) always uses the heap loop. */
static size_t bpe_compute(const struct tok *t, struct tok__ctx *c,
			  const char *w, size_t n, int flags)
{
	size_t nw = 0;
	const unsigned char *u = (const unsigned char *)w;
	if (t->byte_level) {
		if (n == 1) {
			wids_push(c, &nw, t->byte_id[u[0]]);
			return nw;
		}
		if (t->ignore_merges) {
			int32_t id = tok__lookup(t, w, n);
			if (id >= 0 && t->pieces[id].type == TOK_T_NORMAL) {
				wids_push(c, &nw, id);
				return nw;
			}
		}
	}
	if (n + 1 > c->sym_cap)
		xgrow((void **)&c->sym, &c->sym_cap, n + 1, sizeof(*c->sym));
	int32_t ns = 0;
	for (size_t i = 0; i < n;) {
		size_t k = 1;
		int32_t id;
		if (t->byte_level) {
			id = t->byte_id[u[i]];
		} else if (u[i] < 0x80) {
			id = t->ascii_id[u[i]];
		} else {
			k = utf8_len(u[i]);
			if (i + k > n)
				k = n - i;
			id = tok__lookup(t, w + i, k);
			if (id >= 0 && t->pieces[id].type != TOK_T_NORMAL &&
			    t->pieces[id].type != TOK_T_USER)
				id = -1;
		}
		struct sym *s = &c->sym[ns];
		s->id = id;
		s->prev = ns - 1;
		s->next = ns + 1;
		s->start = (uint32_t)i;
		s->len = (uint32_t)k;
		ns++;
		i += k;
	}
	c->sym[ns - 1].next = -1;
	if (ns <= SMALL_WORD_SYMS && !(flags & TOK_NO_CACHE)) {
		merge_small(t, c, ns);
		goto emit;
	}
	c->heap_n = 0;
	for (int32_t i = 0; i + 1 < ns; i++)
		try_pair(t, c, i, i + 1);
	while (c->heap_n) {
		struct cand x = heap_pop(c);
		struct sym *L = &c->sym[x.left];
		if (L->id != x.lid || L->next != x.right)
			continue;
		struct sym *R = &c->sym[x.right];
		if (R->id != x.rid)
			continue;
		L->id = x.nid;
		L->len += R->len;
		L->next = R->next;
		if (R->next >= 0)
			c->sym[R->next].prev = x.left;
		R->id = SYM_DEAD;
		try_pair(t, c, L->prev, x.left);
		try_pair(t, c, x.left, L->next);
	}
emit:;
	int prev_unk = 0;
	for (int32_t i = 0; i >= 0; i = c->sym[i].next) {
		const struct sym *s = &c->sym[i];
		if (s->id >= 0) {
			wids_push(c, &nw, s->id);
			prev_unk = 0;
		} else if (t->byte_fallback) {
			for (uint32_t k = 0; k < s->len; k++)
				wids_push(c, &nw, t->byte_id[u[s->start + k]]);
		} else if (t->unk_id >= 0 && !prev_unk) {
			wids_push(c, &nw, t->unk_id);
			prev_unk = 1; /* fuse_unk */
		}
	}
	return nw;
}

static void cache_clear(struct tok__ctx *c)
{
	memset(c->slots, 0, TOK_CACHE_SLOTS * sizeof(*c->slots));
	c->n_ent = c->keys_len = c->cids_len = 0;
}

static void bpe_word(const struct tok *t, struct tok__ctx *c, const char *w,
		     size_t n, int flags, struct ovec *out)
{
	if (n == 0)
		return;
	if (t->byte_level && n == 1) {
		ov_push(out, t->byte_id[(unsigned char)w[0]]);
		return;
	}
	int use_cache = !(flags & TOK_NO_CACHE) && n <= TOK_CACHE_MAX_WORD;
	uint64_t h = 0;
	size_t slot = 0;
	if (use_cache) {
		if (!c->slots) {
			c->slots = xcalloc(TOK_CACHE_SLOTS, sizeof(*c->slots));
			c->keys = xmalloc(TOK_CACHE_KEY_BYTES);
			c->cids = xmalloc(TOK_CACHE_IDS * sizeof(int32_t));
		}
		h = tok__hash(w, n);
		slot = (size_t)h & (TOK_CACHE_SLOTS - 1);
		uint32_t tag = (uint32_t)(h >> 32);
		for (;;) {
			const struct cache_ent *e = &c->slots[slot];
			if (!e->key_len)
				break;
			if (e->tag == tag && e->key_len == n &&
			    !memcmp(c->keys + e->key_off, w, n)) {
				ov_push_n(out, c->cids + e->ids_off, e->n_ids);
				return;
			}
			slot = (slot + 1) & (TOK_CACHE_SLOTS - 1);
		}
	}
	size_t nw = bpe_compute(t, c, w, n, flags);
	ov_push_n(out, c->wids, nw);
	if (!use_cache)
		return;
	if (c->n_ent >= TOK_CACHE_MAX_ENTRIES ||
	    c->keys_len + n > TOK_CACHE_KEY_BYTES ||
	    c->cids_len + nw > TOK_CACHE_IDS) {
		cache_clear(c);
		slot = (size_t)h & (TOK_CACHE_SLOTS - 1);
	}
	while (c->slots[slot].key_len)
		slot = (slot + 1) & (TOK_CACHE_SLOTS - 1);
	struct cache_ent *e = &c->slots[slot];
	e->tag = (uint32_t)(h >> 32);
	e->key_off = (uint32_t)c->keys_len;
	e->key_len = (uint16_t)n;
	e->ids_off = (uint32_t)c->cids_len;
	e->n_ids = (uint16_t)nw;
	memcpy(c->keys + c->keys_len, w, n);
	c->keys_len += n;
	memcpy(c->cids + c->cids_len, c->wids, nw * sizeof(int32_t));
	c->cids_len += nw;
	c->n_ent++;
}

/* ---- segments ---- */

/* NFC of s. An ASCII char is a starter that composes with nothing before
 * it, so text splits before every ASCII char into independently normalized
 * pieces; only runs of an ASCII base + non-ASCII chars go to utf8proc.
 * *out stays NULL when s is already NFC, else gets a malloc'd copy. */
static int nfc_runs(const char *s, size_t n, uint8_t **out, size_t *out_len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, done = 0, len = 0, cap = 0;
	uint8_t *o = NULL;
	*out = NULL;
	while (i < n) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		size_t a = (i > done && u[i - 1] < 0x80) ? i - 1 : i;
		size_t b = i;
		while (b < n && u[b] >= 0x80)
			b++;
		uint8_t *m = NULL;
		utf8proc_ssize_t ml = utf8proc_map(
			u + a, (utf8proc_ssize_t)(b - a), &m,
			UTF8PROC_STABLE | UTF8PROC_COMPOSE);
		if (ml < 0) {
			free(o);
			return -EILSEQ;
		}
		if (o || (size_t)ml != b - a || memcmp(m, u + a, b - a)) {
			size_t need = len + (a - done) + (size_t)ml + (n - b) + 1;
			if (need > cap)
				xgrow((void **)&o, &cap, need, 1);
			memcpy(o + len, u + done, a - done);
			len += a - done;
			memcpy(o + len, m, (size_t)ml);
			len += (size_t)ml;
			done = b;
		}
		free(m);
		i = b;
	}
	if (o) {
		memcpy(o + len, u + done, n - done);
		len += n - done;
		*out = o;
		*out_len = len;
	}
	return 0;
}

static int bytelevel_segment(const struct tok *t, struct tok__ctx *c,
			     const char *s, size_t n, int at_start, int flags,
			     struct ovec *out)
{
	int rc = 0;
	uint8_t *nfc = NULL;
	char *pre = NULL;
	if (t->nfc) {
		size_t m = 0;
		rc = nfc_runs(s, n, &nfc, &m);
		if (rc)
			goto out;
		if (nfc) {
			s = (const char *)nfc;
			n = m;
		}
	}
	if (t->prefix_space && n && s[0] != ' ' &&
	    !(at_start && (flags & TOK_NO_PREFIX))) {
		pre = xmalloc(n + 1);
		pre[0] = ' ';
		memcpy(pre + 1, s, n);
		s = pre;
		n++;
	}
	size_t pos = 0;
	while (pos < n) {
		int m;
		if (t->jit_ok)
			m = pcre2_jit_match(t->re, (PCRE2_SPTR)s, n, pos, 0,
					    c->md, c->mctx);
		else
			m = pcre2_match(t->re, (PCRE2_SPTR)s, n, pos,
					PCRE2_NO_UTF_CHECK, c->md, c->mctx);
		size_t ms, me;
		if (m == PCRE2_ERROR_NOMATCH) {
			ms = me = n;
		} else if (m < 0) {
			rc = -EINVAL;
			goto out;
		} else {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->md);
			ms = ov[0];
			me = ov[1];
		}
		if (ms > pos) /* text no alternative matched: its own split */
			bpe_word(t, c, s + pos, ms - pos, flags, out);
		if (me == ms) { /* empty match: step one char */
			if (me >= n)
				break;
			me = ms + utf8_len((unsigned char)s[ms]);
			if (me > n)
				me = n;
			bpe_word(t, c, s + ms, me - ms, flags, out);
		} else {
			bpe_word(t, c, s + ms, me - ms, flags, out);
		}
		pos = me;
	}
out:
	free(nfc);
	free(pre);
	return rc;
}

static int spm_segment(const struct tok *t, struct tok__ctx *c, const char *s,
		       size_t n, int at_start, int flags, struct ovec *out)
{
	if (n == 0)
		return 0;
	int prefix = t->spm_prefix == 1;
	if (t->spm_prefix == 3 || (t->spm_prefix == 2 && at_start))
		prefix = !(s[0] == ' ' ||
			   (n >= 3 && !memcmp(s, "\xe2\x96\x81", 3)));
	if (at_start && (flags & TOK_NO_PREFIX))
		prefix = 0;
	size_t need = n + 1;
	if (need > c->tmp_cap)
		xgrow((void **)&c->tmp, &c->tmp_cap, need, 1);
	char *b = c->tmp;
	size_t m = 0;
	if (prefix)
		b[m++] = ' ';
	if (memmem(s, n, "\xe2\x96\x81", 3))
		m += tok__spm_unescape(s, n, b + m);
	else {
		memcpy(b + m, s, n);
		m += n;
	}
	if (!t->spm_split && !t->spm_split_each) {
		bpe_word(t, c, b, m, flags, out);
		return 0;
	}
	const uint8_t *iso = t->spm_iso;
	const unsigned char *u = (const unsigned char *)b;
	for (size_t i = 0; i < m;) {
		size_t j = i;
		if (u[j] < 128 && iso[u[j]]) {
			if (t->ascii_id[u[j]] >= 0)
				ov_push(out, t->ascii_id[u[j]]);
			else
				bpe_word(t, c, b + i, 1, flags, out);
			i++;
			continue;
		}
		if (t->spm_split_each && u[j] == ' ')
			j++;
		else
			while (j < m && u[j] == ' ')
				j++;
		while (j < m && u[j] != ' ' && !(u[j] < 128 && iso[u[j]]))
			j++;
		bpe_word(t, c, b + i, j - i, flags, out);
		i = j;
	}
	return 0;
}

static int encode_raw(const struct tok *t, struct tok__ctx *c, const char *s,
		      size_t n, int at_start, int flags, struct ovec *out)
{
	if (t->byte_level)
		return bytelevel_segment(t, c, s, n, at_start, flags, out);
	return spm_segment(t, c, s, n, at_start, flags, out);
}

/* Valid UTF-8 (no overlongs, surrogates or > U+10FFFF)? */
static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (i + 8 <= n) {
			uint64_t v;
			memcpy(&v, s + i, 8);
			if (!(v & 0x8080808080808080ULL)) {
				i += 8;
				continue;
			}
		}
		unsigned char b = s[i];
		if (b < 0x80) {
			i++;
			continue;
		}
		size_t k;
		uint32_t cp;
		if (b >= 0xc2 && b <= 0xdf) {
			k = 2;
			cp = b & 0x1f;
		} else if (b >= 0xe0 && b <= 0xef) {
			k = 3;
			cp = b & 0x0f;
		} else if (b >= 0xf0 && b <= 0xf4) {
			k = 4;
			cp = b & 0x07;
		} else {
			return 0;
		}
		if (i + k > n)
			return 0;
		for (size_t j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += k;
	}
	return 1;
}

static int encode(struct tok *t, const char *text, size_t len, int flags,
		  struct ovec *out)
{
	if (len > TOK_MAX_TEXT_BYTES)
		return -E2BIG;
	if (!utf8_valid((const unsigned char *)text, len))
		return -EILSEQ;
	int rc = 0;
	struct tok__ctx *c = ctx_get(t);
	if ((flags & TOK_ADD_SPECIAL) && t->add_bos && t->bos_id >= 0)
		ov_push(out, t->bos_id);
	size_t seg = 0, i = 0;
	if (t->n_added && !(flags & TOK_SPLIT_SPECIAL)) {
		while (i < len) {
			unsigned char ch = (unsigned char)text[i];
			uint32_t a = t->added_at[ch], z = t->added_at[ch + 1];
			const struct tok__added *hit = NULL;
			for (uint32_t k = a; k < z; k++) {
				const struct tok__added *x = &t->added[k];
				if (x->len <= len - i &&
				    !memcmp(t->pool + x->off, text + i, x->len)) {
					hit = x;
					break;
				}
			}
			if (!hit) {
				i++;
				continue;
			}
			rc = encode_raw(t, c, text + seg, i - seg, seg == 0,
					flags, out);
			if (rc)
				goto out;
			ov_push(out, hit->id);
			i += hit->len;
			seg = i;
		}
	}
	rc = encode_raw(t, c, text + seg, len - seg, seg == 0, flags, out);
	if (rc)
		goto out;
	if ((flags & TOK_ADD_SPECIAL) && t->add_eos && t->eos_id >= 0)
		ov_push(out, t->eos_id);
out:
	ctx_put(t, c);
	return rc;
}

int tok_encode(struct tok *t, const char *text, size_t len, int flags,
	       int32_t **ids, size_t *n)
{
	struct ovec o = {0};
	int rc = encode(t, text, len, flags, &o);
	if (rc) {
		free(o.v);
		*ids = NULL;
		*n = 0;
		return rc;
	}
	if (!o.v)
		o.v = xmalloc(sizeof(int32_t));
	*ids = o.v;
	*n = o.n;
	return 0;
}

long long tok_count(struct tok *t, const char *text, size_t len, int flags)
{
	struct ovec o = {0};
	o.count_only = 1;
	int rc = encode(t, text, len, flags, &o);
	return rc ? rc : (long long)o.n;
}

int tok_decode(const struct tok *t, const int32_t *ids, size_t n,
	       struct buf *out)
{
	size_t start = out->len;
	for (size_t i = 0; i < n; i++) {
		int32_t id = ids[i];
		if (id < 0 || id >= t->n_ids ||
		    t->pieces[id].type == TOK_T_NONE)
			return -EINVAL;
		const struct tok__piece *p = &t->pieces[id];
		int rc;
		if (p->type == TOK_T_BYTE)
			rc = buf_append(out, &p->byte, 1);
		else
			rc = buf_append(out, t->pool + p->off, p->len);
		if (rc)
			return rc;
	}
	if (t->spm_strip && out->len > start && out->data[start] == ' ') {
		memmove(out->data + start, out->data + start + 1,
			out->len - start - 1);
		out->len--;
		out->data[out->len] = '\0';
	}
	return 0;
}

/* ---- load / accessors ---- */

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

struct tok *tok_load(const char *path, char **err)
{
	struct stat st;
	*err = NULL;
	if (stat(path, &st)) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		char *j = xasprintf("%s/tokenizer.json", path);
		struct tok *t = NULL;
		if (!stat(j, &st))
			t = tok__load_hf_json(j, err);
		else
			t = tok__load_hf_split(path, err);
		free(j);
		return t;
	}
	FILE *f = fopen(path, "rb");
	char magic[4] = {0};
	if (f) {
		if (fread(magic, 1, 4, f) != 4)
			memset(magic, 0, 4);
		fclose(f);
	}
	if (!memcmp(magic, "GGUF", 4) || ends_with(path, ".gguf"))
		return tok__load_gguf(path, err);
	if (ends_with(path, "vocab.json") || ends_with(path, "encoder.json") ||
	    ends_with(path, "merges.txt") || ends_with(path, "vocab.bpe")) {
		char *dir = xstrdup(path);
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		else
			strcpy(dir, ".");
		struct tok *t = tok__load_hf_split(dir, err);
		free(dir);
		return t;
	}
	if (ends_with(path, ".json"))
		return tok__load_hf_json(path, err);
	*err = xasprintf("%s: unknown tokenizer file type (want tokenizer.json, "
			 "a .gguf, or a directory with vocab.json+merges.txt)",
			 path);
	return NULL;
}

void tok_free(struct tok *t)
{
	if (!t)
		return;
	while (t->ctx_free) {
		struct tok__ctx *c = t->ctx_free;
		t->ctx_free = c->next;
		ctx_destroy(c);
	}
	pthread_mutex_destroy(&t->mu);
	pcre2_code_free(t->re);
	free(t->regex_src);
	free(t->pool);
	free(t->pieces);
	free(t->vocab.slots);
	free(t->merges.slots);
	free(t->added);
	free(t);
}

int32_t tok_vocab_size(const struct tok *t)
{
	return t->n_ids;
}

int32_t tok_base_vocab_size(const struct tok *t)
{
	return t->base_vocab;
}

int32_t tok_bos_id(const struct tok *t)
{
	return t->bos_id;
}

int32_t tok_eos_id(const struct tok *t)
{
	return t->eos_id;
}

const char *tok_id_to_piece(const struct tok *t, int32_t id, size_t *len)
{
	if (id < 0 || id >= t->n_ids || t->pieces[id].type == TOK_T_NONE)
		return NULL;
	const struct tok__piece *p = &t->pieces[id];
	if (p->type == TOK_T_BYTE) {
		*len = 1;
		return (const char *)&p->byte;
	}
	*len = p->len;
	return t->pool + p->off;
}

int tok_is_special(const struct tok *t, int32_t id)
{
	if (id < 0 || id >= t->n_ids)
		return 0;
	int ty = t->pieces[id].type;
	return ty == TOK_T_CONTROL || ty == TOK_T_UNKNOWN;
}

enum tok_family tok_family(const struct tok *t)
{
	return t->fam;
}

const char *tok_family_name(const struct tok *t)
{
	static const char *names[] = {"gpt2",   "llama3", "qwen2",
				      "regex",  "spm-hf", "spm-gguf"};
	return names[t->fam];
}

int tok_nfc(const struct tok *t)
{
	return t->nfc;
}

const char *tok_hash(const struct tok *t)
{
	return t->hash_hex;
}
