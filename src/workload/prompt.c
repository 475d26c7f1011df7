/* prompt.c - synthetic prompt text. */
#include "workload/prompt.h"

/* Common words that are one token each, with a leading space, in the
 * byte-level BPE vocabularies (GPT-2, Llama-3, Qwen2) and in Llama-2's
 * SentencePiece vocabulary. */
static const char *const words[] = {
	"the", "of", "and", "to", "in", "is", "for", "on", "that", "by",
	"this", "with", "you", "it", "not", "or", "be", "are", "from", "at",
	"as", "your", "all", "have", "new", "more", "an", "was", "we", "will",
	"can", "us", "about", "if", "my", "has", "but", "our", "one",
	"other", "do", "no", "time", "they", "he", "up", "may", "what",
	"which", "their", "out", "use", "any", "there", "see", "only", "so",
	"his", "when", "here", "who", "also", "now", "help", "get", "first",
	"been", "would", "how", "were", "me", "some", "these", "its", "like",
	"than", "find", "back", "just", "over", "into", "two", "after",
	"day", "most", "made", "work", "part", "well", "where", "down",
	"world", "year", "make", "long", "good", "high", "each", "name",
	"life", "system", "place", "water", "light", "house", "open",
	"small", "large", "city", "state", "book", "game", "line", "point",
	"group", "power", "order", "story", "music", "model", "value",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

void prompt_synth(struct rng *r, int32_t n_tokens, struct buf *out)
{
	for (int32_t i = 0; i < n_tokens; i++) {
		if (i)
			buf_append(out, " ", 1);
		buf_puts(out, words[rng_u64(r) % NWORDS]);
	}
}

size_t prompt_nwords(void)
{
	return NWORDS;
}

const char *prompt_word(size_t i)
{
	return i < NWORDS ? words[i] : NULL;
}
