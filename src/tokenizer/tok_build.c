/* tok_build.c - building a struct tok: id table, hash maps, byte tables,
 * added-token index, SentencePiece score pairs, regex compile, file hash.
 * Used only by the loaders; nothing here runs while encoding.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "tokenizer/tok_internal.h"

const char tok__re_gpt2[] =
	"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+"
	"|\\s+(?!\\S)|\\s+";
const char tok__re_llama3[] =
	"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
	"|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+"
	"|\\s+(?!\\S)|\\s+";
const char tok__re_qwen2[] =
	"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
	"|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+"
	"|\\s+(?!\\S)|\\s+";

struct tok *tok__new(void)
{
	struct tok *t = xcalloc(1, sizeof(*t));
	t->unk_id = t->bos_id = t->eos_id = -1;
	t->fnv = TOK_FNV_OFFSET;
	for (int i = 0; i < 256; i++)
		t->byte_id[i] = -1;
	for (int i = 0; i < 128; i++)
		t->ascii_id[i] = -1;
	pthread_mutex_init(&t->mu, NULL);
	return t;
}

int tok__set(struct tok *t, int32_t id, const char *s, size_t n, int type)
{
	if (id < 0 || id >= TOK_MAX_VOCAB || n > UINT32_MAX / 2)
		return -ERANGE;
	if (id >= t->ids_cap) {
		size_t cap = (size_t)t->ids_cap;
		xgrow((void **)&t->pieces, &cap, (size_t)id + 1,
		      sizeof(*t->pieces));
		memset(t->pieces + t->ids_cap, 0,
		       (cap - (size_t)t->ids_cap) * sizeof(*t->pieces));
		t->ids_cap = (int32_t)cap;
	}
	if (id >= t->n_ids)
		t->n_ids = id + 1;
	struct tok__piece *p = &t->pieces[id];
	if (p->type != TOK_T_NONE)
		return -EEXIST;
	if (t->pool_len + n + 1 > TOK_MAX_POOL_BYTES)
		return -ERANGE;
	xgrow((void **)&t->pool, &t->pool_cap, t->pool_len + n + 1, 1);
	memcpy(t->pool + t->pool_len, s, n);
	p->off = (uint32_t)t->pool_len;
	p->len = (uint32_t)n;
	p->type = (uint8_t)type;
	t->pool_len += n;
	t->pool[t->pool_len++] = '\0';
	return 0;
}

static size_t pow2_at_least(size_t n)
{
	size_t p = 16;
	while (p < n)
		p *= 2;
	return p;
}

void tok__index(struct tok *t)
{
	free(t->vocab.slots);
	size_t nslots = pow2_at_least((size_t)t->n_ids * 2 + 1);
	t->vocab.slots = xmalloc(nslots * sizeof(int32_t));
	memset(t->vocab.slots, 0xff, nslots * sizeof(int32_t));
	t->vocab.mask = nslots - 1;
	for (int32_t id = 0; id < t->n_ids; id++) {
		const struct tok__piece *p = &t->pieces[id];
		if (p->type == TOK_T_NONE || p->type == TOK_T_UNUSED)
			continue;
		const char *s = t->pool + p->off;
		size_t i = tok__hash(s, p->len) & t->vocab.mask;
		int dup = 0;
		while (t->vocab.slots[i] >= 0) {
			const struct tok__piece *q = &t->pieces[t->vocab.slots[i]];
			if (q->len == p->len && !memcmp(t->pool + q->off, s, p->len)) {
				dup = 1;
				break;
			}
			i = (i + 1) & t->vocab.mask;
		}
		if (!dup)
			t->vocab.slots[i] = id;
	}
}

int32_t tok__lookup(const struct tok *t, const char *s, size_t n)
{
	if (!t->vocab.slots)
		return -1;
	size_t i = tok__hash(s, n) & t->vocab.mask;
	for (;;) {
		int32_t id = t->vocab.slots[i];
		if (id < 0)
			return -1;
		const struct tok__piece *p = &t->pieces[id];
		if (p->len == n && !memcmp(t->pool + p->off, s, n))
			return id;
		i = (i + 1) & t->vocab.mask;
	}
}

static inline size_t pair_slot(uint64_t key, size_t mask)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & mask;
}

static void pairs_grow(struct tok__pairmap *m)
{
	size_t nslots = m->slots ? (m->mask + 1) * 2 : 1024;
	struct tok__pair *old = m->slots;
	size_t oldn = m->slots ? m->mask + 1 : 0;
	m->slots = xmalloc(nslots * sizeof(*m->slots));
	for (size_t i = 0; i < nslots; i++)
		m->slots[i].key = UINT64_MAX;
	m->mask = nslots - 1;
	for (size_t i = 0; i < oldn; i++) {
		if (old[i].key == UINT64_MAX)
			continue;
		size_t j = pair_slot(old[i].key, m->mask);
		while (m->slots[j].key != UINT64_MAX)
			j = (j + 1) & m->mask;
		m->slots[j] = old[i];
	}
	free(old);
}

int tok__pair_add(struct tok *t, int32_t a, int32_t b, uint32_t prio,
		  int32_t id)
{
	struct tok__pairmap *m = &t->merges;
	if (!m->slots || (m->n + 1) * 2 > m->mask + 1)
		pairs_grow(m);
	uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
	size_t j = pair_slot(key, m->mask);
	while (m->slots[j].key != UINT64_MAX) {
		if (m->slots[j].key == key)
			return -EEXIST;
		j = (j + 1) & m->mask;
	}
	m->slots[j].key = key;
	m->slots[j].prio = prio;
	m->slots[j].id = id;
	m->n++;
	return 0;
}

/* GPT-2 bytes_to_unicode: printable Latin-1 bytes map to themselves, the
 * other 68 bytes to U+0100.. in byte order. */
static int bytelevel_printable(unsigned b)
{
	return (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) ||
	       (b >= 0xae && b <= 0xff);
}

static int bytelevel_cp_to_byte(uint32_t cp)
{
	if (cp < 256)
		return bytelevel_printable(cp) ? (int)cp : -1;
	uint32_t k = cp - 256, n = 0;
	for (unsigned b = 0; b < 256; b++) {
		if (bytelevel_printable(b))
			continue;
		if (n++ == k)
			return (int)b;
	}
	return -1;
}

static int16_t bl_map[324]; /* code point (< 324) -> byte, or -1 */
static pthread_once_t bl_once = PTHREAD_ONCE_INIT;

static void bl_init(void)
{
	for (uint32_t cp = 0; cp < 324; cp++)
		bl_map[cp] = (int16_t)bytelevel_cp_to_byte(cp);
}

long tok__bytelevel_decode(const char *s, size_t n, char *out)
{
	const int16_t *map = bl_map;
	pthread_once(&bl_once, bl_init);
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0;
	while (i < n) {
		uint32_t cp;
		if (u[i] < 0x80) {
			cp = u[i++];
		} else if ((u[i] & 0xe0) == 0xc0 && i + 1 < n) {
			cp = ((uint32_t)(u[i] & 0x1f) << 6) | (u[i + 1] & 0x3f);
			i += 2;
		} else {
			return -1;
		}
		if (cp >= 324 || map[cp] < 0)
			return -1;
		out[o++] = (char)map[cp];
	}
	return (long)o;
}

size_t tok__spm_unescape(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		if (i + 2 < n && (unsigned char)s[i] == 0xe2 &&
		    (unsigned char)s[i + 1] == 0x96 &&
		    (unsigned char)s[i + 2] == 0x81) {
			out[o++] = ' ';
			i += 3;
		} else {
			out[o++] = s[i++];
		}
	}
	return o;
}

char *tok__slurp(struct tok *t, const char *path, size_t *len, char **err)
{
	char *data = NULL;
	size_t n = 0, cap = 0;
	FILE *f = fopen(path, "rb");
	if (!f) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		xgrow((void **)&data, &cap, n + 65536 + 1, 1);
		size_t r = fread(data + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
		if (n > TOK_MAX_POOL_BYTES) {
			*err = xasprintf("%s: file too large", path);
			free(data);
			fclose(f);
			return NULL;
		}
	}
	if (ferror(f)) {
		*err = xasprintf("%s: read error", path);
		free(data);
		fclose(f);
		return NULL;
	}
	fclose(f);
	data[n] = '\0';
	t->fnv = tok__fnv(t->fnv, data, n);
	if (len)
		*len = n;
	return data;
}

static int is_byte_token(const char *s, size_t n, int *val)
{
	static const char hex[] = "0123456789ABCDEF";
	if (n != 6 || memcmp(s, "<0x", 3) || s[5] != '>')
		return 0;
	const char *h1 = memchr(hex, s[3], 16), *h2 = memchr(hex, s[4], 16);
	if (!s[3] || !s[4] || !h1 || !h2)
		return 0;
	*val = (int)((h1 - hex) * 16 + (h2 - hex));
	return 1;
}

static int cmp_added(const void *a, const void *b, void *ud)
{
	const struct tok *t = ud;
	const struct tok__added *x = a, *y = b;
	unsigned char cx = (unsigned char)t->pool[x->off];
	unsigned char cy = (unsigned char)t->pool[y->off];
	if (cx != cy)
		return cx < cy ? -1 : 1;
	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Inverted, order-preserving float -> u32: higher score, lower prio. */
static uint32_t score_prio(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
	return ~u;
}

static void spm_score_pairs(struct tok *t)
{
	for (int32_t id = 0; id < t->n_ids; id++) {
		const struct tok__piece *p = &t->pieces[id];
		if (p->type != TOK_T_NORMAL && p->type != TOK_T_USER)
			continue;
		const char *s = t->pool + p->off;
		for (uint32_t k = 1; k < p->len; k++) {
			if (((unsigned char)s[k] & 0xc0) == 0x80)
				continue; /* not a char boundary */
			int32_t a = tok__lookup(t, s, k);
			int32_t b = tok__lookup(t, s + k, p->len - k);
			if (a < 0 || b < 0)
				continue;
			int ta = t->pieces[a].type, tb = t->pieces[b].type;
			if ((ta != TOK_T_NORMAL && ta != TOK_T_USER) ||
			    (tb != TOK_T_NORMAL && tb != TOK_T_USER))
				continue;
			tok__pair_add(t, a, b, score_prio(p->score), id);
		}
	}
}

int tok__finish(struct tok *t, const char *name, char **err)
{
	int spm = t->fam == TOK_FAM_SPM_HF || t->fam == TOK_FAM_SPM_GGUF;
	if (!t->base_vocab)
		t->base_vocab = t->n_ids;
	if (spm) {
		for (int32_t id = 0; id < t->n_ids; id++) {
			struct tok__piece *p = &t->pieces[id];
			int v;
			if ((p->type == TOK_T_NORMAL || p->type == TOK_T_BYTE) &&
			    is_byte_token(t->pool + p->off, p->len, &v)) {
				p->type = TOK_T_BYTE;
				p->byte = (uint8_t)v;
				if (t->byte_id[v] < 0)
					t->byte_id[v] = id;
			}
		}
	}
	tok__index(t);
	if (t->byte_level) {
		for (int b = 0; b < 256; b++) {
			char c = (char)b;
			t->byte_id[b] = tok__lookup(t, &c, 1);
			if (t->byte_id[b] < 0) {
				*err = xasprintf("%s: byte-level vocabulary lacks "
						 "the token for byte 0x%02x",
						 name, b);
				return -1;
			}
		}
	}
	if (spm) {
		for (int c = 0; c < 128; c++) {
			char ch = (char)c;
			int32_t id = tok__lookup(t, &ch, 1);
			if (id >= 0 && t->pieces[id].type == TOK_T_NORMAL)
				t->ascii_id[c] = id;
		}
		if (t->byte_fallback)
			for (int b = 0; b < 256; b++)
				if (t->byte_id[b] < 0) {
					*err = xasprintf("%s: byte_fallback "
							 "without token <0x%02X>",
							 name, b);
					return -1;
				}
		/* A token holding a non-space before a space would merge
		 * across the boundaries the encoder splits at. */
		t->spm_split = 1;
		for (int32_t id = 0; id < t->n_ids && t->spm_split; id++) {
			const struct tok__piece *p = &t->pieces[id];
			const char *s = t->pool + p->off;
			for (uint32_t k = 1; k < p->len; k++)
				if (s[k] == ' ' && s[k - 1] != ' ') {
					t->spm_split = 0;
					break;
				}
		}
		/* ASCII bytes in no multi-char token never merge. */
		for (int ch = 0; ch < 128; ch++)
			t->spm_iso[ch] = ch != ' ';
		for (int32_t id = 0; id < t->n_ids; id++) {
			const struct tok__piece *p = &t->pieces[id];
			if ((p->type != TOK_T_NORMAL && p->type != TOK_T_USER) ||
			    p->len < 2)
				continue;
			for (uint32_t k = 0; k < p->len; k++) {
				unsigned char ch = (unsigned char)t->pool[p->off + k];
				if (ch < 128)
					t->spm_iso[ch] = 0;
			}
		}
		if (t->fam == TOK_FAM_SPM_GGUF)
			spm_score_pairs(t);
	}
	/* Added tokens: everything special or user-defined. */
	t->n_added = 0;
	for (int32_t id = 0; id < t->n_ids; id++) {
		const struct tok__piece *p = &t->pieces[id];
		if ((p->type == TOK_T_CONTROL || p->type == TOK_T_USER ||
		     p->type == TOK_T_UNKNOWN) && p->len > 0) {
			if (!t->added || t->n_added % 64 == 0)
				t->added = xrealloc(t->added, (t->n_added + 64) *
								      sizeof(*t->added));
			t->added[t->n_added].off = p->off;
			t->added[t->n_added].len = p->len;
			t->added[t->n_added].id = id;
			t->n_added++;
		}
	}
	if (t->n_added)
		qsort_r(t->added, t->n_added, sizeof(*t->added), cmp_added, t);
	memset(t->added_at, 0, sizeof(t->added_at));
	for (size_t i = 0; i < t->n_added; i++)
		t->added_at[(unsigned char)t->pool[t->added[i].off] + 1]++;
	for (int c = 0; c < 256; c++)
		t->added_at[c + 1] += t->added_at[c];
	if (t->byte_level) {
		if (!t->regex_src)
			t->regex_src = xstrdup(tok__re_gpt2);
		int ec;
		PCRE2_SIZE eo;
		t->re = pcre2_compile((PCRE2_SPTR)t->regex_src,
				      PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP,
				      &ec, &eo, NULL);
		if (!t->re) {
			PCRE2_UCHAR msg[256];
			pcre2_get_error_message(ec, msg, sizeof(msg));
			*err = xasprintf("%s: pre-tokenizer regex at offset %zu: "
					 "%s",
					 name, (size_t)eo, (char *)msg);
			return -1;
		}
		t->jit_ok = pcre2_jit_compile(t->re, PCRE2_JIT_COMPLETE) == 0;
	}
	snprintf(t->hash_hex, sizeof(t->hash_hex), "%016llx",
		 (unsigned long long)t->fnv);
	return 0;
}
