/* prompt.h - synthetic prompt text sized by an estimate.
 *
 * Owns the word list and the rule: a prompt of L tokens is L common English
 * words, each a single token (with its leading space) in the GPT-2, Llama-3,
 * Qwen2 and Llama-2 vocabularies, chosen at random so no two prompts share
 * a prefix (defeating prefix caches). Until a tokenizer is loaded this is an
 * estimate: the server's own prompt count is recorded per request and the
 * difference reported. Pure given the rng.
 */
#ifndef INFBENCH_WORKLOAD_PROMPT_H
#define INFBENCH_WORKLOAD_PROMPT_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/rng.h"

/* Append a prompt of about n_tokens tokens to out. */
void prompt_synth(struct rng *r, int32_t n_tokens, struct buf *out);
/* The word list (for callers that check each word against a tokenizer). */
size_t prompt_nwords(void);
const char *prompt_word(size_t i);

#endif
