/* tok_prompt.h - prompts of an exact token length: cut from a corpus
 * (sonnet, ShareGPT text) or vLLM-style random token ids.
 *
 * Owns a pre-encoded corpus (ids, byte offsets, "hard" line boundaries at
 * which the tokenization provably splits, checked block by block when the
 * corpus is built). Does no I/O. Threading: a built corpus is read-only and
 * shareable; each caller passes its own struct rng.
 */
#ifndef INFBENCH_TOKENIZER_TOK_PROMPT_H
#define INFBENCH_TOKENIZER_TOK_PROMPT_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/rng.h"
#include "tokenizer/tok.h"

struct tok_corpus;

/* Longest corpus text kept after repetition, bytes. */
#define TOK_CORPUS_MAX_BYTES ((size_t)64 << 20)
/* Fix-up rounds per start position, and start positions per prompt. */
#define TOK_PROMPT_FIXUPS 8
#define TOK_PROMPT_STARTS 64

/* Encode text once for tok_prompt_exact. The text is repeated (joined with
 * "\n") until it holds at least min_tokens tokens. Returns NULL with *err
 * (caller frees) when the text is empty, invalid UTF-8, does not round-trip
 * through the tokenizer, or has no line starts to cut at. The caller frees
 * the result with tok_corpus_free; tok must outlive it. */
struct tok_corpus *tok_corpus_new(struct tok *tok, const char *text,
				  size_t len, int32_t min_tokens, char **err);
void tok_corpus_free(struct tok_corpus *c);
/* Largest target_len the corpus supports. */
int32_t tok_corpus_max_len(const struct tok_corpus *c);

/* Append to out a slice of the corpus that starts at a random line start
 * and encodes (flags 0) to exactly target_len tokens; the boundary merges
 * at its end are fixed up by moving the end. Returns 0, -ERANGE when
 * target_len is < 1 or > tok_corpus_max_len, -EAGAIN when no start found an
 * exact cut (not seen on the shipped tokenizers), or buf's -ENOBUFS. */
int tok_prompt_exact(const struct tok_corpus *c, struct rng *r,
		     int32_t target_len, struct buf *out);

/* vLLM `random` dataset prompt (anchors.md 5.17): ids
 * allowed[(offset + index + j) % n_allowed] for j < target_len, where
 * allowed is [0, tok_base_vocab_size) minus the special ids; decode (invalid
 * UTF-8 becomes U+FFFD), re-encode, truncate when long or append ids drawn
 * from r when short, repeat. Unlike vLLM, which gives up after 10 rounds,
 * this keeps going (up to 64 rounds) until the length is exact. Appends the
 * text to out. Returns 0, -ERANGE, -EAGAIN, or -ENOBUFS. */
int tok_prompt_random(struct tok *tok, struct rng *r, int64_t offset,
		      int64_t index, int32_t target_len, struct buf *out);

/* Replace invalid UTF-8 in b (from byte `from` on) with U+FFFD, one per
 * maximal invalid subpart (Rust String::from_utf8_lossy). Returns 0 or
 * -ENOBUFS. */
int tok_utf8_lossy(struct buf *b, size_t from);

#endif
