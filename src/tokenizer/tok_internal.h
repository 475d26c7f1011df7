/* tok_internal.h - the tokenizer module's shared internals (tok__ prefix).
 *
 * Owns the layout of struct tok, the hash tables (bytes->id, id pair->merge),
 * the per-thread encode context and the loaders' builder helpers. Not a
 * public header: only the tokenizer sources and their tests include it.
 * Threading: everything in struct tok is written only while loading.
 */
#ifndef INFBENCH_TOKENIZER_TOK_INTERNAL_H
#define INFBENCH_TOKENIZER_TOK_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "tokenizer/tok.h"

/* Caps. */
#define TOK_MAX_VOCAB (1 << 22)          /* ids per tokenizer */
#define TOK_MAX_POOL_BYTES ((size_t)1 << 30)
#define TOK_CACHE_SLOTS (1u << 17)       /* word-cache hash slots (pow2) */
#define TOK_CACHE_MAX_ENTRIES (TOK_CACHE_SLOTS / 2)
#define TOK_CACHE_MAX_WORD 128           /* longest cached word, bytes */
#define TOK_CACHE_KEY_BYTES (4u << 20)   /* key arena per context */
#define TOK_CACHE_IDS (1u << 20)         /* id arena per context */
#define TOK_MAX_CTX 256                  /* pooled contexts kept */
#define TOK_JIT_STACK_MAX (8u << 20)     /* PCRE2 JIT stack, bytes */

/* Token types (GGUF numbering for 1..6). */
enum {
	TOK_T_NONE = 0,    /* unused id */
	TOK_T_NORMAL = 1,
	TOK_T_UNKNOWN = 2, /* <unk> */
	TOK_T_CONTROL = 3, /* special: <s>, <|endoftext|> */
	TOK_T_USER = 4,    /* added, not special */
	TOK_T_UNUSED = 5,
	TOK_T_BYTE = 6,    /* <0xXX> byte fallback */
};

struct tok__piece {
	uint32_t off, len; /* text form in tok->pool (byte-level: raw bytes;
			      SentencePiece: '\xe2\x96\x81' replaced by ' ') */
	float score;       /* SentencePiece score (GGUF), else 0 */
	uint8_t type;      /* TOK_T_* */
	uint8_t byte;      /* the byte of a TOK_T_BYTE token */
};

/* bytes -> id, open addressing over ids in tok->pieces. */
struct tok__strmap {
	int32_t *slots; /* id, or -1 when empty */
	size_t mask;
};

/* (left id, right id) -> (priority, merged id). */
struct tok__pair {
	uint64_t key;  /* (left << 32) | right; UINT64_MAX when empty */
	uint32_t prio; /* lower merges first (rank, or inverted score) */
	int32_t id;
};
struct tok__pairmap {
	struct tok__pair *slots;
	size_t mask, n;
};

struct tok__added {
	uint32_t off, len; /* content in tok->pool */
	int32_t id;
};

struct tok__ctx;

struct tok {
	enum tok_family fam;
	char *pool; /* every token text */
	size_t pool_len, pool_cap;
	struct tok__piece *pieces; /* indexed by id */
	int32_t n_ids, ids_cap;
	int32_t base_vocab; /* model vocab size without added tokens */
	struct tok__strmap vocab;
	struct tok__pairmap merges;
	int32_t byte_id[256]; /* byte-level: byte -> id; SPM: <0xXX> -> id */
	int32_t ascii_id[128]; /* SPM: one-char token for ASCII, or -1 */
	int byte_level;      /* vocabulary is GPT-2 byte-level */
	int byte_fallback;   /* SPM: unknown chars become <0xXX> tokens */
	int ignore_merges;   /* whole pre-token in vocab wins (Llama-3) */
	int nfc;             /* NFC-normalize each segment (Qwen2) */
	int prefix_space;    /* ByteLevel add_prefix_space */
	int spm_prefix;      /* 0 none, 1 every segment (Prepend, llama.cpp),
				2 first segment unless it starts with ' ',
				3 every segment unless it starts with ' ' */
	int spm_strip;       /* decode drops one leading space */
	int spm_split;       /* SPM text may be split before ' ' runs */
	int spm_split_each;  /* Metaspace split=true: a word per ' ' */
	uint8_t spm_iso[128]; /* ASCII byte in no multi-char token: a word
				 of its own */
	int32_t unk_id, bos_id, eos_id;
	int add_bos, add_eos;
	struct tok__added *added; /* by first byte, longest first */
	size_t n_added;
	uint32_t added_at[257]; /* added[added_at[c]..added_at[c+1]) start
				   with byte c */
	char *regex_src;          /* byte-level pre-tokenizer pattern */
	pcre2_code *re;
	int jit_ok;
	uint64_t fnv;     /* FNV-1a over loaded files */
	char hash_hex[17];
	pthread_mutex_t mu; /* guards ctx_free */
	struct tok__ctx *ctx_free;
	int n_ctx_free;
};

/* FNV-1a 64-bit. */
#define TOK_FNV_OFFSET 0xcbf29ce484222325ULL
static inline uint64_t tok__fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h;
}

/* Fast non-cryptographic hash for table lookups. */
static inline uint64_t tok__hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)n * 0xff51afd7ed558ccdULL);
	while (n >= 8) {
		uint64_t v;
		memcpy(&v, s, 8);
		h = (h ^ v) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 29;
		s += 8;
		n -= 8;
	}
	uint64_t v = 0;
	memcpy(&v, s, n);
	h = (h ^ v) * 0x94d049bb133111ebULL;
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h;
}

/* --- builder (tok_build.c), used by the loaders --- */

/* New empty tokenizer (all ids unset); free with tok_free. */
struct tok *tok__new(void);
/* Set id's text (bytes copied) and type; grows the id space. Returns 0, or
 * -EEXIST when id already has a text, -ERANGE for a bad id. */
int tok__set(struct tok *t, int32_t id, const char *s, size_t n, int type);
/* Build the bytes->id map over every id with a text and type NORMAL,
 * UNKNOWN, BYTE, CONTROL or USER (first id wins for duplicates). */
void tok__index(struct tok *t);
/* Look text up in the vocabulary; -1 when absent. */
int32_t tok__lookup(const struct tok *t, const char *s, size_t n);
/* Add a merge; returns 0 or -EEXIST. */
int tok__pair_add(struct tok *t, int32_t a, int32_t b, uint32_t prio,
		  int32_t id);
/* Finish loading: byte tables, added-token list, SentencePiece score
 * pairs, regex compile, hash. Returns 0 or -1 with *err (malloc'd). */
int tok__finish(struct tok *t, const char *name, char **err);
/* Convert a GPT-2 byte-level token (UTF-8 of the byte->char map) to raw
 * bytes in out (capacity >= n). Returns the length, or -1 when a char is
 * not in the map. */
long tok__bytelevel_decode(const char *s, size_t n, char *out);
/* Copy s replacing every U+2581 by ' ' into out (capacity >= n); returns
 * the new length. */
size_t tok__spm_unescape(const char *s, size_t n, char *out);
/* Whole-file helpers: read path into a malloc'd NUL-terminated buffer and
 * fold it into t->fnv. Returns NULL with *err set. */
char *tok__slurp(struct tok *t, const char *path, size_t *len, char **err);

/* Loaders (return NULL with *err set). */
struct tok *tok__load_hf_json(const char *path, char **err);
struct tok *tok__load_hf_split(const char *dir, char **err);
struct tok *tok__load_gguf(const char *path, char **err);

/* Known pre-tokenizer regexes. */
extern const char tok__re_gpt2[];
extern const char tok__re_llama3[];
extern const char tok__re_qwen2[];

#endif
