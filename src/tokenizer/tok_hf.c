/* tok_hf.c - HuggingFace tokenizer files: tokenizer.json (BPE model,
 * normalizer, pre-tokenizer, post-processor, decoder, added tokens) and the
 * split form vocab.json+merges.txt / encoder.json+vocab.bpe with
 * tokenizer_config.json / added_tokens.json for special tokens.
 * Knows nothing of encoding; fills a struct tok through tok_build.c.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/msg.h"
#include "core/xmalloc.h"
#include "tokenizer/tok_internal.h"

/* Scratch for converting one token text. */
struct conv {
	char *s;
	size_t cap;
};

/* Convert a token as written in the file to its text form; -1 when a
 * byte-level token holds a char outside the byte map. */
static long conv_text(const struct tok *t, struct conv *cv, const char *s,
		      size_t n)
{
	xgrow((void **)&cv->s, &cv->cap, n + 1, 1);
	if (t->byte_level)
		return tok__bytelevel_decode(s, n, cv->s);
	if (t->fam == TOK_FAM_SPM_HF)
		return (long)tok__spm_unescape(s, n, cv->s);
	memcpy(cv->s, s, n);
	return (long)n;
}

static json_t *load_json(struct tok *t, const char *path, size_t flags,
			 char **err)
{
	size_t len;
	char *data = tok__slurp(t, path, &len, err);
	if (!data)
		return NULL;
	json_error_t je;
	json_t *root = json_loadb(data, len, flags, &je);
	free(data);
	if (!root)
		*err = xasprintf("%s:%d:%d: invalid JSON: %s", path, je.line,
				 je.column, je.text);
	return root;
}

static const char *str_of(json_t *o, const char *key)
{
	json_t *v = o ? json_object_get(o, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A token given as "text" or {"content": "text"}. */
static const char *token_content(json_t *v)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_object(v))
		return str_of(v, "content");
	return NULL;
}

/* Mark (or add) an added token. */
static int add_token(struct tok *t, int32_t id, const char *content,
		     int special, const char *file, char **err)
{
	size_t n = strlen(content);
	int type = special ? TOK_T_CONTROL : TOK_T_USER;
	if (id >= 0 && id < t->n_ids && t->pieces[id].type != TOK_T_NONE) {
		struct tok__piece *p = &t->pieces[id];
		if (p->len != n || memcmp(t->pool + p->off, content, n)) {
			*err = xasprintf("%s: added token %d \"%s\" clashes with "
					 "vocabulary token %d",
					 file, id, content, id);
			return -1;
		}
		if (p->type == TOK_T_NORMAL || special)
			p->type = (uint8_t)type;
		return 0;
	}
	if (tok__set(t, id, content, n, type)) {
		*err = xasprintf("%s: added token \"%s\" has a bad id %d", file,
				 content, id);
		return -1;
	}
	return 0;
}

static int32_t id_of_content(const struct tok *t, const char *s)
{
	return s ? tok__lookup(t, s, strlen(s)) : -1;
}

/* tokenizer_config.json: added_tokens_decoder, bos/eos, add_*_token. */
static int read_config(struct tok *t, json_t *cfg, const char *file,
		       char **err)
{
	json_t *atd = json_object_get(cfg, "added_tokens_decoder");
	if (atd && !json_is_object(atd)) {
		*err = xasprintf("%s: added_tokens_decoder is not an object",
				 file);
		return -1;
	}
	const char *key;
	json_t *v;
	json_object_foreach(atd, key, v)
	{
		char *end;
		long id = strtol(key, &end, 10);
		const char *content = str_of(v, "content");
		if (*end || id < 0 || !content) {
			*err = xasprintf("%s: added_tokens_decoder[\"%s\"]: want "
					 "a numeric id and a content string",
					 file, key);
			return -1;
		}
		json_t *sp = json_object_get(v, "special");
		if (add_token(t, (int32_t)id, content,
			      sp ? json_is_true(sp) : 1, file, err))
			return -1;
	}
	return 0;
}

static void read_bos_eos(struct tok *t, json_t *cfg, int *has_add_bos)
{
	int32_t id = id_of_content(t, token_content(json_object_get(cfg,
								    "bos_token")));
	if (id >= 0)
		t->bos_id = id;
	id = id_of_content(t, token_content(json_object_get(cfg, "eos_token")));
	if (id >= 0)
		t->eos_id = id;
	json_t *ab = json_object_get(cfg, "add_bos_token");
	if (json_is_boolean(ab)) {
		t->add_bos = json_is_true(ab);
		*has_add_bos = 1;
	}
	json_t *ae = json_object_get(cfg, "add_eos_token");
	if (json_is_boolean(ae))
		t->add_eos = json_is_true(ae);
}

/* ---- tokenizer.json ---- */

static int walk_normalizer(struct tok *t, json_t *n, const char *file,
			   char **err)
{
	if (!n || json_is_null(n))
		return 0;
	const char *ty = str_of(n, "type");
	if (!ty) {
		*err = xasprintf("%s: normalizer without a type", file);
		return -1;
	}
	if (!strcmp(ty, "Sequence")) {
		json_t *a = json_object_get(n, "normalizers"), *x;
		size_t i;
		json_array_foreach(a, i, x) if (walk_normalizer(t, x, file, err))
			return -1;
		return 0;
	}
	if (!strcmp(ty, "NFC")) {
		t->nfc = 1;
		return 0;
	}
	if (!strcmp(ty, "Prepend")) {
		const char *p = str_of(n, "prepend");
		if (p && !strcmp(p, "\xe2\x96\x81")) {
			t->fam = TOK_FAM_SPM_HF;
			t->spm_prefix = 1;
			return 0;
		}
	}
	if (!strcmp(ty, "Replace")) {
		const char *pat = str_of(json_object_get(n, "pattern"), "String");
		const char *c = str_of(n, "content");
		if (pat && c && !strcmp(pat, " ") &&
		    !strcmp(c, "\xe2\x96\x81")) {
			t->fam = TOK_FAM_SPM_HF;
			return 0;
		}
	}
	*err = xasprintf("%s: normalizer %s not supported (NFC, Prepend/Replace "
			 "of U+2581, Sequence)", file, ty);
	return -1;
}

static int walk_pretok(struct tok *t, json_t *n, const char *file, int *bl,
		       char **err)
{
	if (!n || json_is_null(n))
		return 0;
	const char *ty = str_of(n, "type");
	if (!ty) {
		*err = xasprintf("%s: pre_tokenizer without a type", file);
		return -1;
	}
	if (!strcmp(ty, "Sequence")) {
		json_t *a = json_object_get(n, "pretokenizers"), *x;
		size_t i;
		json_array_foreach(a, i, x) if (walk_pretok(t, x, file, bl, err))
			return -1;
		return 0;
	}
	if (!strcmp(ty, "ByteLevel")) {
		*bl = 1;
		json_t *ur = json_object_get(n, "use_regex");
		if ((!ur || json_is_true(ur)) && !t->regex_src)
			t->regex_src = xstrdup(tok__re_gpt2);
		t->prefix_space = json_is_true(json_object_get(n,
							       "add_prefix_space"));
		return 0;
	}
	if (!strcmp(ty, "Split")) {
		json_t *pat = json_object_get(n, "pattern");
		const char *re = str_of(pat, "Regex");
		const char *lit = str_of(pat, "String");
		const char *beh = str_of(n, "behavior");
		if ((!re && !lit) || !beh || strcmp(beh, "Isolated") ||
		    json_is_true(json_object_get(n, "invert")) || t->regex_src) {
			*err = xasprintf("%s: pre_tokenizer Split: only one "
					 "Isolated, non-inverted pattern is "
					 "supported", file);
			return -1;
		}
		t->regex_src = re ? xstrdup(re) : xasprintf("\\Q%s\\E", lit);
		return 0;
	}
	if (!strcmp(ty, "Metaspace")) {
		const char *rep = str_of(n, "replacement");
		const char *ps = str_of(n, "prepend_scheme");
		if (!rep || strcmp(rep, "\xe2\x96\x81")) {
			*err = xasprintf("%s: Metaspace replacement must be "
					 "U+2581", file);
			return -1;
		}
		t->fam = TOK_FAM_SPM_HF;
		if (ps)
			t->spm_prefix = !strcmp(ps, "first")	 ? 2
					: !strcmp(ps, "always") ? 3
								 : 0;
		else
			t->spm_prefix =
				json_is_false(json_object_get(n,
							      "add_prefix_space"))
					? 0
					: 3;
		json_t *sp = json_object_get(n, "split");
		t->spm_split_each = !sp || json_is_true(sp);
		return 0;
	}
	*err = xasprintf("%s: pre_tokenizer %s not supported (ByteLevel, Split, "
			 "Metaspace, Sequence)", file, ty);
	return -1;
}

static void walk_decoder(struct tok *t, json_t *n)
{
	const char *ty = str_of(n, "type");
	if (!ty)
		return;
	if (!strcmp(ty, "Sequence")) {
		json_t *a = json_object_get(n, "decoders"), *x;
		size_t i;
		json_array_foreach(a, i, x) walk_decoder(t, x);
	} else if (!strcmp(ty, "Strip")) {
		const char *c = str_of(n, "content");
		json_t *st = json_object_get(n, "start");
		if (c && !strcmp(c, " ") && json_integer_value(st) >= 1)
			t->spm_strip = 1;
	} else if (!strcmp(ty, "Metaspace")) {
		const char *ps = str_of(n, "prepend_scheme");
		t->spm_strip = !(ps && !strcmp(ps, "never"));
	}
}

static void walk_post(struct tok *t, json_t *n, const char *file)
{
	const char *ty = str_of(n, "type");
	if (!ty)
		return;
	if (!strcmp(ty, "Sequence")) {
		json_t *a = json_object_get(n, "processors"), *x;
		size_t i;
		json_array_foreach(a, i, x) walk_post(t, x, file);
		return;
	}
	if (!strcmp(ty, "ByteLevel"))
		return;
	if (strcmp(ty, "TemplateProcessing")) {
		warnf("%s: post_processor %s ignored (no BOS/EOS added)", file,
		      ty);
		return;
	}
	json_t *single = json_object_get(n, "single"), *x;
	json_t *specials = json_object_get(n, "special_tokens");
	size_t i;
	int seen_seq = 0;
	json_array_foreach(single, i, x)
	{
		if (json_object_get(x, "Sequence")) {
			seen_seq = 1;
			continue;
		}
		const char *name = str_of(json_object_get(x, "SpecialToken"),
					  "id");
		if (!name)
			continue;
		json_t *ids = json_object_get(json_object_get(specials, name),
					      "ids");
		int32_t id = json_is_array(ids)
				     ? (int32_t)json_integer_value(
					       json_array_get(ids, 0))
				     : id_of_content(t, name);
		if (id < 0)
			continue;
		if (!seen_seq) {
			t->bos_id = id;
			t->add_bos = 1;
		} else {
			t->eos_id = id;
			t->add_eos = 1;
		}
	}
}

struct tok *tok__load_hf_json(const char *path, char **err)
{
	struct tok *t = tok__new(), *ret = NULL;
	struct conv cv = {0}, cv2 = {0};
	json_t *root = load_json(t, path, 0, err), *cfg = NULL;
	char *cfg_path = NULL;
	int bl = 0;
	if (!root)
		goto out;
	json_t *model = json_object_get(root, "model");
	const char *mt = str_of(model, "type");
	json_t *vocab = json_object_get(model, "vocab");
	json_t *merges = json_object_get(model, "merges");
	if (!json_is_object(model) || (mt && strcmp(mt, "BPE")) ||
	    !json_is_object(vocab) || !json_is_array(merges)) {
		*err = xasprintf("%s: want model.type \"BPE\" with a vocab "
				 "object and a merges array", path);
		goto out;
	}
	if (str_of(model, "continuing_subword_prefix") ||
	    str_of(model, "end_of_word_suffix")) {
		*err = xasprintf("%s: BPE continuing_subword_prefix / "
				 "end_of_word_suffix not supported", path);
		goto out;
	}
	if (walk_normalizer(t, json_object_get(root, "normalizer"), path, err) ||
	    walk_pretok(t, json_object_get(root, "pre_tokenizer"), path, &bl,
			err))
		goto out;
	if (bl) {
		t->byte_level = 1;
		if (t->fam == TOK_FAM_SPM_HF) {
			*err = xasprintf("%s: ByteLevel mixed with Metaspace",
					 path);
			goto out;
		}
		if (!t->regex_src)
			t->regex_src = xstrdup(tok__re_gpt2);
		t->fam = !strcmp(t->regex_src, tok__re_gpt2)	  ? TOK_FAM_GPT2
			 : !strcmp(t->regex_src, tok__re_llama3) ? TOK_FAM_LLAMA3
			 : !strcmp(t->regex_src, tok__re_qwen2)	  ? TOK_FAM_QWEN2
								  : TOK_FAM_REGEX;
	} else if (t->fam != TOK_FAM_SPM_HF) {
		*err = xasprintf("%s: neither a ByteLevel nor a Metaspace / "
				 "U+2581 tokenizer", path);
		goto out;
	} else if (t->regex_src) {
		*err = xasprintf("%s: Split pre-tokenizer without ByteLevel not "
				 "supported", path);
		goto out;
	}
	t->ignore_merges = json_is_true(json_object_get(model, "ignore_merges"));
	t->byte_fallback = json_is_true(json_object_get(model, "byte_fallback"));
	json_t *dec = json_object_get(root, "decoder");
	if (t->fam == TOK_FAM_SPM_HF)
		walk_decoder(t, dec);
	const char *key;
	json_t *v;
	int32_t n_vocab = 0;
	json_object_foreach(vocab, key, v)
	{
		if (!json_is_integer(v)) {
			*err = xasprintf("%s: model.vocab[\"%s\"] is not an "
					 "integer id", path, key);
			goto out;
		}
		long m = conv_text(t, &cv, key, strlen(key));
		if (m < 0) {
			*err = xasprintf("%s: model.vocab[\"%s\"] is not "
					 "byte-level text", path, key);
			goto out;
		}
		int rc = tok__set(t, (int32_t)json_integer_value(v), cv.s,
				  (size_t)m, TOK_T_NORMAL);
		if (rc) {
			*err = xasprintf("%s: model.vocab[\"%s\"]: %s id %lld",
					 path, key,
					 rc == -EEXIST ? "duplicate" : "bad",
					 (long long)json_integer_value(v));
			goto out;
		}
		n_vocab++;
	}
	t->base_vocab = n_vocab;
	tok__index(t);
	size_t i;
	json_array_foreach(merges, i, v)
	{
		const char *a = NULL, *b = NULL;
		size_t la = 0, lb = 0;
		if (json_is_string(v)) {
			const char *s = json_string_value(v);
			const char *sp = strchr(s, ' ');
			if (sp && !strchr(sp + 1, ' ')) {
				a = s;
				la = (size_t)(sp - s);
				b = sp + 1;
				lb = strlen(b);
			}
		} else if (json_is_array(v) && json_array_size(v) == 2 &&
			   json_is_string(json_array_get(v, 0)) &&
			   json_is_string(json_array_get(v, 1))) {
			a = json_string_value(json_array_get(v, 0));
			b = json_string_value(json_array_get(v, 1));
			la = strlen(a);
			lb = strlen(b);
		}
		if (!a || !la || !lb) {
			*err = xasprintf("%s: model.merges[%zu]: want \"A B\" or "
					 "[\"A\", \"B\"]", path, i);
			goto out;
		}
		long ma = conv_text(t, &cv, a, la);
		long mb = conv_text(t, &cv2, b, lb);
		int32_t ia = ma >= 0 ? tok__lookup(t, cv.s, (size_t)ma) : -1;
		int32_t ib = mb >= 0 ? tok__lookup(t, cv2.s, (size_t)mb) : -1;
		if (ia < 0 || ib < 0) {
			*err = xasprintf("%s: model.merges[%zu]: unknown token "
					 "\"%.*s\"", path, i,
					 (int)(ia < 0 ? la : lb),
					 ia < 0 ? a : b);
			goto out;
		}
		xgrow((void **)&cv.s, &cv.cap, (size_t)(ma + mb) + 1, 1);
		memcpy(cv.s + ma, cv2.s, (size_t)mb);
		int32_t ab = tok__lookup(t, cv.s, (size_t)(ma + mb));
		if (ab < 0) {
			*err = xasprintf("%s: model.merges[%zu]: merged token "
					 "\"%.*s%.*s\" not in vocab", path, i,
					 (int)la, a, (int)lb, b);
			goto out;
		}
		tok__pair_add(t, ia, ib, (uint32_t)i, ab);
	}
	json_t *added = json_object_get(root, "added_tokens");
	json_array_foreach(added, i, v)
	{
		const char *content = str_of(v, "content");
		json_t *id = json_object_get(v, "id");
		if (!content || !json_is_integer(id)) {
			*err = xasprintf("%s: added_tokens[%zu]: want id and "
					 "content", path, i);
			goto out;
		}
		if (add_token(t, (int32_t)json_integer_value(id), content,
			      json_is_true(json_object_get(v, "special")), path,
			      err))
			goto out;
	}
	tok__index(t);
	const char *unk = str_of(model, "unk_token");
	t->unk_id = id_of_content(t, unk);
	if (t->unk_id >= 0 && t->pieces[t->unk_id].type == TOK_T_NORMAL)
		t->pieces[t->unk_id].type = TOK_T_UNKNOWN;
	walk_post(t, json_object_get(root, "post_processor"), path);
	/* A tokenizer_config.json beside it names BOS/EOS when the
	 * post-processor does not. */
	const char *slash = strrchr(path, '/');
	cfg_path = slash ? xasprintf("%.*s/tokenizer_config.json",
				     (int)(slash - path), path)
			 : xstrdup("tokenizer_config.json");
	struct stat st;
	if (!stat(cfg_path, &st)) {
		cfg = load_json(t, cfg_path, JSON_DECODE_INT_AS_REAL, err);
		if (!cfg)
			goto out;
		int32_t bos = t->bos_id, eos = t->eos_id;
		int add_bos = t->add_bos, add_eos = t->add_eos, dummy = 0;
		read_bos_eos(t, cfg, &dummy);
		/* The post-processor decides what encode adds. */
		t->add_bos = add_bos;
		t->add_eos = add_eos;
		if (add_bos)
			t->bos_id = bos;
		if (add_eos)
			t->eos_id = eos;
	}
	if (tok__finish(t, path, err))
		goto out;
	ret = t;
	t = NULL;
out:
	json_decref(root);
	json_decref(cfg);
	free(cfg_path);
	free(cv.s);
	free(cv2.s);
	tok_free(t);
	return ret;
}

/* ---- vocab.json + merges.txt ---- */

static char *first_existing(const char *dir, const char *a, const char *b)
{
	struct stat st;
	char *p = xasprintf("%s/%s", dir, a);
	if (!stat(p, &st))
		return p;
	free(p);
	p = xasprintf("%s/%s", dir, b);
	if (!stat(p, &st))
		return p;
	free(p);
	return NULL;
}

static int load_merges_txt(struct tok *t, const char *path, char **err)
{
	size_t len;
	char *data = tok__slurp(t, path, &len, err);
	if (!data)
		return -1;
	int rc = -1;
	struct conv cv = {0};
	char *s = data, *end = data + len;
	uint32_t rank = 0;
	for (long line = 1; s < end; line++) {
		char *nl = memchr(s, '\n', (size_t)(end - s));
		char *e = nl ? nl : end;
		size_t n = (size_t)(e - s);
		if (n && s[n - 1] == '\r')
			n--;
		if (n == 0 || (line == 1 && n >= 8 && !memcmp(s, "#version", 8))) {
			s = nl ? nl + 1 : end;
			continue;
		}
		char *sp = memchr(s, ' ', n);
		if (!sp || sp == s || sp + 1 == s + n ||
		    memchr(sp + 1, ' ', (size_t)(s + n - sp - 1))) {
			*err = xasprintf("%s:%ld: want \"A B\" (two tokens "
					 "separated by one space)", path, line);
			goto out;
		}
		size_t la = (size_t)(sp - s), lb = n - la - 1;
		xgrow((void **)&cv.s, &cv.cap, n + 1, 1);
		long ma = tok__bytelevel_decode(s, la, cv.s);
		long mb = ma < 0 ? -1 : tok__bytelevel_decode(sp + 1, lb, cv.s + ma);
		int32_t a = ma > 0 ? tok__lookup(t, cv.s, (size_t)ma) : -1;
		int32_t b = mb > 0 ? tok__lookup(t, cv.s + ma, (size_t)mb) : -1;
		if (a < 0 || b < 0) {
			*err = xasprintf("%s:%ld: unknown token \"%.*s\"", path,
					 line, (int)(a < 0 ? la : lb),
					 a < 0 ? s : sp + 1);
			goto out;
		}
		int32_t ab = tok__lookup(t, cv.s, (size_t)(ma + mb));
		if (ab < 0) {
			*err = xasprintf("%s:%ld: merged token \"%.*s\" not in "
					 "the vocabulary", path, line, (int)la,
					 s);
			goto out;
		}
		tok__pair_add(t, a, b, rank++, ab);
		s = nl ? nl + 1 : end;
	}
	rc = 0;
out:
	free(cv.s);
	free(data);
	return rc;
}

struct tok *tok__load_hf_split(const char *dir, char **err)
{
	struct tok *t = tok__new(), *ret = NULL;
	struct conv cv = {0};
	json_t *vocab = NULL, *cfg = NULL, *atj = NULL;
	char *vpath = first_existing(dir, "vocab.json", "encoder.json");
	char *mpath = first_existing(dir, "merges.txt", "vocab.bpe");
	char *cpath = first_existing(dir, "tokenizer_config.json",
				     "tokenizer_config.json");
	char *apath = first_existing(dir, "added_tokens.json",
				     "added_tokens.json");
	if (!vpath || !mpath) {
		*err = xasprintf("%s: no tokenizer.json, vocab.json+merges.txt "
				 "or encoder.json+vocab.bpe here", dir);
		goto out;
	}
	t->byte_level = 1;
	vocab = load_json(t, vpath, 0, err);
	if (!vocab)
		goto out;
	if (!json_is_object(vocab)) {
		*err = xasprintf("%s: want a JSON object of token -> id", vpath);
		goto out;
	}
	const char *key;
	json_t *v;
	int32_t n_vocab = 0;
	json_object_foreach(vocab, key, v)
	{
		long m = conv_text(t, &cv, key, strlen(key));
		if (!json_is_integer(v) || m < 0) {
			*err = xasprintf("%s: entry \"%s\": want a byte-level "
					 "token and an integer id", vpath, key);
			goto out;
		}
		if (tok__set(t, (int32_t)json_integer_value(v), cv.s, (size_t)m,
			     TOK_T_NORMAL)) {
			*err = xasprintf("%s: entry \"%s\": duplicate or bad id "
					 "%lld", vpath, key,
					 (long long)json_integer_value(v));
			goto out;
		}
		n_vocab++;
	}
	t->base_vocab = n_vocab;
	tok__index(t);
	if (load_merges_txt(t, mpath, err))
		goto out;
	int has_add_bos = 0;
	const char *cls = NULL;
	if (cpath) {
		cfg = load_json(t, cpath, JSON_DECODE_INT_AS_REAL, err);
		if (!cfg)
			goto out;
		if (!json_is_object(cfg)) {
			*err = xasprintf("%s: want a JSON object", cpath);
			goto out;
		}
		if (read_config(t, cfg, cpath, err))
			goto out;
		cls = str_of(cfg, "tokenizer_class");
	}
	if (apath) {
		atj = load_json(t, apath, 0, err);
		if (!atj)
			goto out;
		json_object_foreach(atj, key, v)
		{
			if (!json_is_integer(v)) {
				*err = xasprintf("%s: \"%s\": want an integer "
						 "id", apath, key);
				goto out;
			}
			if (add_token(t, (int32_t)json_integer_value(v), key, 1,
				      apath, err))
				goto out;
		}
	}
	tok__index(t);
	/* Family rule: tokenizer_class Qwen2* or an <|im_start|> token ->
	 * qwen2; a <|begin_of_text|> token -> llama3; else gpt2. */
	if ((cls && !strncmp(cls, "Qwen2", 5)) ||
	    id_of_content(t, "<|im_start|>") >= 0) {
		t->fam = TOK_FAM_QWEN2;
		t->nfc = 1;
		t->regex_src = xstrdup(tok__re_qwen2);
	} else if (id_of_content(t, "<|begin_of_text|>") >= 0) {
		t->fam = TOK_FAM_LLAMA3;
		t->ignore_merges = 1;
		t->regex_src = xstrdup(tok__re_llama3);
		t->add_bos = 1; /* Llama-3's post-processor adds BOS */
	} else {
		t->fam = TOK_FAM_GPT2;
		t->regex_src = xstrdup(tok__re_gpt2);
	}
	int32_t eot = id_of_content(t, "<|endoftext|>");
	if (eot >= 0) {
		if (t->pieces[eot].type == TOK_T_NORMAL)
			t->pieces[eot].type = TOK_T_CONTROL;
		if (t->fam == TOK_FAM_GPT2)
			t->bos_id = t->eos_id = eot;
	}
	if (cfg) {
		int save = t->add_bos;
		read_bos_eos(t, cfg, &has_add_bos);
		if (!has_add_bos)
			t->add_bos = save;
	}
	if (tok__finish(t, vpath, err))
		goto out;
	ret = t;
	t = NULL;
out:
	json_decref(vocab);
	json_decref(cfg);
	json_decref(atj);
	free(vpath);
	free(mpath);
	free(cpath);
	free(apath);
	free(cv.s);
	tok_free(t);
	return ret;
}
