/* tok_gguf.c - the vocabulary of a GGUF file (v2/v3): tokens, scores, token
 * types, merges and the special ids from the metadata; tensors are never
 * read. Supports tokenizer.ggml.model "llama" (SentencePiece BPE by score)
 * and "gpt2" (byte-level BPE by merge rank, pre = gpt-2/llama-bpe/qwen2).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "tokenizer/tok_internal.h"

enum {
	G_U8, G_I8, G_U16, G_I16, G_U32, G_I32, G_F32, G_BOOL, G_STR, G_ARR,
	G_U64, G_I64, G_F64,
};

struct cur {
	const unsigned char *p;
	size_t n, off;
	int bad;
};

static const unsigned char *take(struct cur *c, size_t k)
{
	if (c->bad || k > c->n - c->off) {
		c->bad = 1;
		return NULL;
	}
	const unsigned char *r = c->p + c->off;
	c->off += k;
	return r;
}

static uint64_t rd(struct cur *c, size_t k)
{
	const unsigned char *r = take(c, k);
	uint64_t v = 0;
	if (r)
		for (size_t i = 0; i < k; i++)
			v |= (uint64_t)r[i] << (8 * i);
	return v;
}

static const char *rd_str(struct cur *c, size_t *len)
{
	uint64_t n = rd(c, 8);
	*len = 0;
	if (n > c->n) {
		c->bad = 1;
		return NULL;
	}
	*len = (size_t)n;
	return (const char *)take(c, (size_t)n);
}

static size_t scalar_size(uint32_t ty)
{
	switch (ty) {
	case G_U8: case G_I8: case G_BOOL: return 1;
	case G_U16: case G_I16: return 2;
	case G_U32: case G_I32: case G_F32: return 4;
	case G_U64: case G_I64: case G_F64: return 8;
	default: return 0;
	}
}

static void skip_value(struct cur *c, uint32_t ty, int depth)
{
	if (depth > 4) {
		c->bad = 1;
		return;
	}
	if (ty == G_STR) {
		size_t l;
		rd_str(c, &l);
	} else if (ty == G_ARR) {
		uint32_t et = (uint32_t)rd(c, 4);
		uint64_t cnt = rd(c, 8);
		size_t es = scalar_size(et);
		if (es) {
			if (cnt > c->n / es)
				c->bad = 1;
			else
				take(c, (size_t)cnt * es);
		} else {
			for (uint64_t i = 0; i < cnt && !c->bad; i++)
				skip_value(c, et, depth + 1);
		}
	} else if (scalar_size(ty)) {
		take(c, scalar_size(ty));
	} else {
		c->bad = 1;
	}
}

static int64_t rd_int(struct cur *c, uint32_t ty)
{
	switch (ty) {
	case G_U8: case G_BOOL: return (int64_t)rd(c, 1);
	case G_I8: return (int8_t)rd(c, 1);
	case G_U16: return (int64_t)rd(c, 2);
	case G_I16: return (int16_t)rd(c, 2);
	case G_U32: return (int64_t)rd(c, 4);
	case G_I32: return (int32_t)rd(c, 4);
	case G_U64: case G_I64: return (int64_t)rd(c, 8);
	default: skip_value(c, ty, 0); return -1;
	}
}

struct tok *tok__load_gguf(const char *path, char **err)
{
	struct tok *t = tok__new(), *ret = NULL;
	size_t len = 0;
	char *data = tok__slurp(t, path, &len, err);
	char *model = NULL, *pre = NULL, *tmp = NULL;
	size_t tok_off = 0, merges_off = 0;
	uint64_t n_tok = 0, n_merges = 0;
	float *scores = NULL;
	int32_t *types = NULL;
	int64_t add_space_prefix = 1;
	if (!data)
		goto out;
	struct cur c = {(const unsigned char *)data, len, 0, 0};
	const unsigned char *magic = take(&c, 4);
	if (!magic || memcmp(magic, "GGUF", 4)) {
		*err = xasprintf("%s: not a GGUF file (bad magic)", path);
		goto out;
	}
	uint32_t ver = (uint32_t)rd(&c, 4);
	if (ver < 2 || ver > 3) {
		*err = xasprintf("%s: GGUF version %u not supported", path, ver);
		goto out;
	}
	rd(&c, 8); /* tensor count */
	uint64_t n_kv = rd(&c, 8);
	for (uint64_t k = 0; k < n_kv && !c.bad; k++) {
		size_t kl;
		const char *key = rd_str(&c, &kl);
		uint32_t ty = (uint32_t)rd(&c, 4);
		if (c.bad)
			break;
#define KEY(s) (kl == sizeof(s) - 1 && !memcmp(key, s, kl))
		if ((KEY("tokenizer.ggml.model") || KEY("tokenizer.ggml.pre")) &&
		    ty == G_STR) {
			size_t sl;
			const char *s = rd_str(&c, &sl);
			if (!s)
				break;
			char **dst = KEY("tokenizer.ggml.model") ? &model : &pre;
			free(*dst);
			*dst = xstrndup(s, sl);
		} else if ((KEY("tokenizer.ggml.tokens") ||
			    KEY("tokenizer.ggml.merges")) && ty == G_ARR) {
			uint32_t et = (uint32_t)rd(&c, 4);
			uint64_t cnt = rd(&c, 8);
			if (et != G_STR || cnt > TOK_MAX_VOCAB) {
				*err = xasprintf("%s: %.*s: bad array", path,
						 (int)kl, key);
				goto out;
			}
			if (KEY("tokenizer.ggml.tokens")) {
				tok_off = c.off;
				n_tok = cnt;
			} else {
				merges_off = c.off;
				n_merges = cnt;
			}
			for (uint64_t i = 0; i < cnt && !c.bad; i++)
				skip_value(&c, G_STR, 0);
		} else if (KEY("tokenizer.ggml.scores") && ty == G_ARR) {
			uint32_t et = (uint32_t)rd(&c, 4);
			uint64_t cnt = rd(&c, 8);
			if (et != G_F32 || cnt > TOK_MAX_VOCAB) {
				*err = xasprintf("%s: tokenizer.ggml.scores: "
						 "bad array", path);
				goto out;
			}
			free(scores);
			scores = xcalloc((size_t)cnt + 1, sizeof(float));
			for (uint64_t i = 0; i < cnt && !c.bad; i++) {
				uint32_t u = (uint32_t)rd(&c, 4);
				memcpy(&scores[i], &u, 4);
			}
			if (cnt != n_tok && n_tok) {
				*err = xasprintf("%s: %llu scores for %llu "
						 "tokens", path,
						 (unsigned long long)cnt,
						 (unsigned long long)n_tok);
				goto out;
			}
		} else if (KEY("tokenizer.ggml.token_type") && ty == G_ARR) {
			uint32_t et = (uint32_t)rd(&c, 4);
			uint64_t cnt = rd(&c, 8);
			if ((et != G_I32 && et != G_U32) || cnt > TOK_MAX_VOCAB) {
				*err = xasprintf("%s: tokenizer.ggml.token_type: "
						 "bad array", path);
				goto out;
			}
			free(types);
			types = xcalloc((size_t)cnt + 1, sizeof(int32_t));
			for (uint64_t i = 0; i < cnt && !c.bad; i++)
				types[i] = (int32_t)rd(&c, 4);
		} else if (KEY("tokenizer.ggml.bos_token_id")) {
			t->bos_id = (int32_t)rd_int(&c, ty);
		} else if (KEY("tokenizer.ggml.eos_token_id")) {
			t->eos_id = (int32_t)rd_int(&c, ty);
		} else if (KEY("tokenizer.ggml.unknown_token_id")) {
			t->unk_id = (int32_t)rd_int(&c, ty);
		} else if (KEY("tokenizer.ggml.add_bos_token")) {
			t->add_bos = rd_int(&c, ty) > 0;
		} else if (KEY("tokenizer.ggml.add_eos_token")) {
			t->add_eos = rd_int(&c, ty) > 0;
		} else if (KEY("tokenizer.ggml.add_space_prefix")) {
			add_space_prefix = rd_int(&c, ty);
		} else {
			skip_value(&c, ty, 0);
		}
#undef KEY
	}
	if (c.bad) {
		*err = xasprintf("%s: truncated or corrupt GGUF metadata near "
				 "byte %zu", path, c.off);
		goto out;
	}
	if (!model || !n_tok) {
		*err = xasprintf("%s: no tokenizer.ggml.model / "
				 "tokenizer.ggml.tokens (not a vocabulary)",
				 path);
		goto out;
	}
	int spm = !strcmp(model, "llama");
	if (!spm && strcmp(model, "gpt2")) {
		*err = xasprintf("%s: tokenizer.ggml.model \"%s\" not supported "
				 "(llama, gpt2)", path, model);
		goto out;
	}
	if (spm) {
		t->fam = TOK_FAM_SPM_GGUF;
		t->byte_fallback = 1;
		t->spm_prefix = add_space_prefix ? 1 : 0;
		t->spm_strip = add_space_prefix ? 1 : 0;
	} else {
		t->byte_level = 1;
		if (!pre || !strcmp(pre, "default") || !strcmp(pre, "gpt-2")) {
			t->fam = TOK_FAM_GPT2;
		} else if (!strcmp(pre, "llama-bpe") || !strcmp(pre, "llama3")) {
			t->fam = TOK_FAM_LLAMA3;
			t->ignore_merges = 1;
			t->regex_src = xstrdup(tok__re_llama3);
		} else if (!strcmp(pre, "qwen2")) {
			t->fam = TOK_FAM_QWEN2;
			t->nfc = 1;
			t->regex_src = xstrdup(tok__re_qwen2);
		} else {
			*err = xasprintf("%s: tokenizer.ggml.pre \"%s\" not "
					 "supported (gpt-2, llama-bpe, qwen2)",
					 path, pre);
			goto out;
		}
	}
	struct cur tc = {(const unsigned char *)data, len, tok_off, 0};
	tmp = xmalloc(len + 1);
	for (uint64_t i = 0; i < n_tok; i++) {
		size_t sl = 0;
		const char *s = rd_str(&tc, &sl);
		int ty = types ? types[i] : TOK_T_NORMAL;
		if (ty < 1 || ty > 6)
			ty = TOK_T_NORMAL;
		long m;
		if (spm) {
			m = (long)tok__spm_unescape(s, sl, tmp);
		} else if (ty == TOK_T_NORMAL || ty == TOK_T_BYTE) {
			m = tok__bytelevel_decode(s, sl, tmp);
			if (m < 0) {
				*err = xasprintf("%s: token %llu is not "
						 "byte-level text", path,
						 (unsigned long long)i);
				goto out;
			}
		} else {
			memcpy(tmp, s, sl);
			m = (long)sl;
		}
		tok__set(t, (int32_t)i, tmp, (size_t)m, ty);
		if (scores)
			t->pieces[i].score = scores[i];
	}
	tok__index(t);
	struct cur mc = {(const unsigned char *)data, len, merges_off, 0};
	for (uint64_t i = 0; i < n_merges; i++) {
		size_t sl = 0;
		const char *s = rd_str(&mc, &sl);
		const char *sp = memchr(s, ' ', sl);
		long la = sp ? tok__bytelevel_decode(s, (size_t)(sp - s), tmp)
			     : -1;
		long lb = sp ? tok__bytelevel_decode(
				       sp + 1, sl - (size_t)(sp - s) - 1,
				       tmp + (la > 0 ? la : 0))
			     : -1;
		int32_t a = la > 0 ? tok__lookup(t, tmp, (size_t)la) : -1;
		int32_t b = lb > 0 ? tok__lookup(t, tmp + la, (size_t)lb) : -1;
		int32_t ab = (a >= 0 && b >= 0)
				     ? tok__lookup(t, tmp, (size_t)(la + lb))
				     : -1;
		if (ab < 0) {
			*err = xasprintf("%s: merge %llu \"%.*s\": unknown token",
					 path, (unsigned long long)i, (int)sl, s);
			goto out;
		}
		tok__pair_add(t, a, b, (uint32_t)i, ab);
	}
	if (tok__finish(t, path, err))
		goto out;
	ret = t;
	t = NULL;
out:
	free(data);
	free(model);
	free(pre);
	free(tmp);
	free(scores);
	free(types);
	tok_free(t);
	return ret;
}
