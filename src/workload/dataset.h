/* dataset.h - ShareGPT conversations, parsed from bytes.
 *
 * Owns the parser of a ShareGPT JSON file (one array of {"conversations":
 * [{"from","value"}, ...]} objects, as vLLM's sharegpt dataset reads it:
 * the first turn is the prompt, the second the reply whose length is the
 * output length) and the parsed pairs. Entries with fewer than two turns
 * are skipped and counted. Errors name the input and, for JSON syntax,
 * line and column. Does no I/O and no tokenization. One parser per input,
 * not thread-safe; a finished struct dataset is read-only and shareable.
 */
#ifndef INFBENCH_WORKLOAD_DATASET_H
#define INFBENCH_WORKLOAD_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define DATASET_MAX_BYTES ((size_t)1 << 30) /* a dataset file, bytes */

struct dataset_conv {
	size_t prompt_off, prompt_len; /* into dataset.text, NUL-terminated */
	size_t reply_off, reply_len;
};

struct dataset {
	struct dataset_conv *convs;
	size_t n, cap;
	size_t entries;        /* objects in the file */
	size_t skipped;        /* with fewer than two string turns */
	struct buf text;       /* every kept turn, NUL-terminated */
};

struct dataset_parser {
	char *name;     /* input name for errors, owned */
	struct buf in;  /* the whole document (JSON needs it all) */
	char *err;      /* first error, owned */
};

void dataset_parser_init(struct dataset_parser *p, const char *name);
/* Feed n bytes (any split). 0, or -E2BIG past DATASET_MAX_BYTES (p->err
 * set). */
int dataset_parser_feed(struct dataset_parser *p, const char *buf, size_t n);
/* Parse what was fed. On success fills *out (zeroed first; free with
 * dataset_free) and returns 0; else -EINVAL with p->err = "NAME:LINE:COL:
 * what" for syntax errors or "NAME: what" for structure errors. */
int dataset_parser_finish(struct dataset_parser *p, struct dataset *out);
void dataset_parser_free(struct dataset_parser *p);
void dataset_free(struct dataset *d);

static inline const char *dataset_prompt(const struct dataset *d, size_t i)
{
	return d->text.data + d->convs[i].prompt_off;
}
static inline const char *dataset_reply(const struct dataset *d, size_t i)
{
	return d->text.data + d->convs[i].reply_off;
}

#endif
