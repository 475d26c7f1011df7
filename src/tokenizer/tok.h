/* tok.h - exact BPE tokenizers: HF tokenizer.json, vocab.json+merges.txt,
 * encoder.json+vocab.bpe, and the vocabulary of a GGUF file.
 *
 * Owns the loaded vocabulary, merge table, pre-tokenizer regex and a pool of
 * per-thread encode contexts (word cache + scratch). Does no file I/O after
 * tok_load and knows nothing of HTTP or datasets.
 * Threading: a loaded struct tok is read-only and may be shared by any number
 * of threads; each tok_encode call borrows a private context (cache) from a
 * mutex-guarded pool, so concurrent calls never share a cache.
 */
#ifndef INFBENCH_TOKENIZER_TOK_H
#define INFBENCH_TOKENIZER_TOK_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct tok;

/* Largest text tok_encode accepts, in bytes (caps every scratch buffer). */
#define TOK_MAX_TEXT_BYTES ((size_t)256 << 20)

/* tok_encode flags. */
enum {
	TOK_ADD_SPECIAL = 1,   /* add BOS/EOS as the tokenizer's config says */
	TOK_SPLIT_SPECIAL = 2, /* treat added-token text as plain text */
	TOK_NO_CACHE = 4,      /* reference path: no word cache, heap merge
				  loop for every word */
	TOK_NO_PREFIX = 8,     /* text continues a longer text: no
				  SentencePiece space prefix at its start */
};

/* Pre-tokenizer family (what the regex / prefix rule is). */
enum tok_family {
	TOK_FAM_GPT2 = 0, /* GPT-2 regex, byte-level */
	TOK_FAM_LLAMA3,   /* Llama-3 regex (\p{N}{1,3}), byte-level */
	TOK_FAM_QWEN2,    /* Qwen2 regex (\p{N}), NFC, byte-level */
	TOK_FAM_REGEX,    /* a byte-level regex taken verbatim from tokenizer.json */
	TOK_FAM_SPM_HF,   /* Metaspace/Prepend SentencePiece-style BPE by merge rank */
	TOK_FAM_SPM_GGUF, /* SentencePiece BPE by score (llama.cpp "llama") */
};

/* Load a tokenizer. path is a tokenizer.json, a directory holding
 * tokenizer.json, vocab.json+merges.txt or encoder.json+vocab.bpe (plus
 * optional tokenizer_config.json / added_tokens.json), or a .gguf file.
 * Returns NULL on failure with *err set to a one-line message naming the
 * file (and line where there is one); the caller frees *err with free().
 * The caller frees the result with tok_free. */
struct tok *tok_load(const char *path, char **err);
/* Frees everything; NULL-safe. No encode may be running on tok. */
void tok_free(struct tok *tok);

/* Encode len bytes of UTF-8 text into a new array *ids of *n ids (the caller
 * frees *ids; it is non-NULL even when *n is 0). flags: TOK_*. Returns 0,
 * -EILSEQ for invalid UTF-8, -E2BIG when len > TOK_MAX_TEXT_BYTES, or
 * -EINVAL when a regex match fails. Thread-safe. */
int tok_encode(struct tok *tok, const char *text, size_t len, int flags,
	       int32_t **ids, size_t *n);
/* Number of tokens tok_encode would return; same errors, < 0. */
long long tok_count(struct tok *tok, const char *text, size_t len, int flags);

/* Append the text of ids to out (bytes exactly as the tokens give them; a
 * cut multi-byte character stays cut). SentencePiece tokenizers drop one
 * leading space of the result, as HF's decoder does. Returns 0, -EINVAL for
 * an id out of range, or buf's -ENOBUFS. */
int tok_decode(const struct tok *tok, const int32_t *ids, size_t n,
	       struct buf *out);

/* Number of ids (largest id + 1, added tokens included). */
int32_t tok_vocab_size(const struct tok *tok);
/* Size of the model's own vocabulary without added tokens (HF
 * tokenizer.vocab_size; what vLLM's random dataset draws from). */
int32_t tok_base_vocab_size(const struct tok *tok);
/* BOS / EOS id, or -1 when the tokenizer has none. */
int32_t tok_bos_id(const struct tok *tok);
int32_t tok_eos_id(const struct tok *tok);
/* The token's bytes (decoded form: raw bytes for byte-level vocabularies,
 * ' ' for the SentencePiece '\xe2\x96\x81'); *len gets the length. NULL for
 * an id out of range or unused. Valid while tok lives. */
const char *tok_id_to_piece(const struct tok *tok, int32_t id, size_t *len);
/* Non-zero for special (control) tokens such as <s>, <|endoftext|>. */
int tok_is_special(const struct tok *tok, int32_t id);
/* Pre-tokenizer family and its name ("gpt2", "llama3", "qwen2", "regex",
 * "spm-hf", "spm-gguf"). */
enum tok_family tok_family(const struct tok *tok);
const char *tok_family_name(const struct tok *tok);
/* Non-zero when encode NFC-normalizes text first (Qwen2): then
 * decode(encode(x)) == NFC(x) rather than x. */
int tok_nfc(const struct tok *tok);
/* 64-bit FNV-1a over the bytes of every file loaded, in load order, as 16
 * lowercase hex digits (for the results fingerprint). */
const char *tok_hash(const struct tok *tok);

#endif
