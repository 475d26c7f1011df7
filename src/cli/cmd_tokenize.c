/* cmd_tokenize.c - `infbench tokenize`: text on stdin -> token count or ids.
 *
 * Plain mode encodes all of stdin as one text. --jsonl reads one JSON object
 * per line with a "text" string and writes one {"ids": [...]} per line, in
 * order. Errors name the input ("<stdin>") and line. Single-threaded.
 */
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "core/buf.h"
#include "core/msg.h"
#include "core/xmalloc.h"
#include "tokenizer/tok.h"

struct tokenize_cfg {
	char *tokenizer;
	int ids;
	int jsonl;
	int add_special;
	int split_special;
};

static const struct opt tokenize_opts[] = {
	{"tokenizer", 't', OPT_STR, offsetof(struct tokenize_cfg, tokenizer),
	 NULL, "PATH",
	 "tokenizer.json, a .gguf, or a directory with vocab.json+merges.txt",
	 NULL, "INFBENCH_TOKENIZER"},
	{"ids", 0, OPT_BOOL, offsetof(struct tokenize_cfg, ids), "0", NULL,
	 "print the ids (space-separated) instead of the count", NULL, NULL},
	{"jsonl", 0, OPT_BOOL, offsetof(struct tokenize_cfg, jsonl), "0", NULL,
	 "read {\"text\": ...} per line, write {\"ids\": [...]} per line", NULL,
	 NULL},
	{"add-special", 0, OPT_BOOL, offsetof(struct tokenize_cfg, add_special),
	 "0", NULL, "add BOS/EOS as the tokenizer's config says", NULL, NULL},
	{"split-special", 0, OPT_BOOL,
	 offsetof(struct tokenize_cfg, split_special), "0", NULL,
	 "treat special-token text (e.g. <|endoftext|>) as plain text", NULL,
	 NULL},
	OPT_END,
};

static const struct opts_cmd tokenize_cmd = {
	"tokenize", "infbench tokenize --tokenizer PATH [--ids] [--jsonl] "
		    "[--add-special] < text",
	"Tokenize stdin: print the token count, the ids, or JSONL ids.",
	tokenize_opts, 0, 0,
};

/* Cap on stdin in plain mode and on one JSONL line. */
#define TOKENIZE_MAX_INPUT TOK_MAX_TEXT_BYTES

static const char *enc_err(int rc)
{
	return rc == -EILSEQ  ? "text is not valid UTF-8"
	       : rc == -E2BIG ? "text too long"
			      : "tokenizer regex failed";
}

static void put_ids(struct buf *b, const int32_t *ids, size_t n, int json)
{
	buf_reset(b);
	if (json)
		buf_puts(b, "{\"ids\": [");
	for (size_t i = 0; i < n; i++)
		buf_printf(b, i ? (json ? ", %d" : " %d") : "%d", ids[i]);
	buf_puts(b, json ? "]}\n" : "\n");
	fwrite(b->data, 1, b->len, stdout);
}

static int run_jsonl(struct tok *t, int flags)
{
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0;
	int rc = EXIT_OK;
	struct buf b;
	buf_init(&b, 0);
	for (;;) {
		ssize_t n = getline(&line, &cap, stdin);
		if (n < 0)
			break;
		lineno++;
		if ((size_t)n > TOKENIZE_MAX_INPUT) {
			errorf("<stdin>:%ld: line longer than %zu bytes", lineno,
			       (size_t)TOKENIZE_MAX_INPUT);
			rc = EXIT_USAGE;
			goto out;
		}
		size_t k = 0;
		while (k < (size_t)n && strchr(" \t\r\n", line[k]))
			k++;
		if (k == (size_t)n)
			continue; /* blank line */
		json_error_t je;
		json_t *o = json_loadb(line, (size_t)n,
				       JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
		if (!o) {
			errorf("<stdin>:%ld: invalid JSON: %s", lineno, je.text);
			rc = EXIT_USAGE;
			goto out;
		}
		json_t *txt = json_is_object(o) ? json_object_get(o, "text")
						: NULL;
		if (!json_is_string(txt)) {
			errorf("<stdin>:%ld: want an object with a \"text\" "
			       "string", lineno);
			json_decref(o);
			rc = EXIT_USAGE;
			goto out;
		}
		int32_t *ids;
		size_t nids;
		int e = tok_encode(t, json_string_value(txt),
				   json_string_length(txt), flags, &ids, &nids);
		json_decref(o);
		if (e) {
			errorf("<stdin>:%ld: %s", lineno, enc_err(e));
			rc = EXIT_USAGE;
			goto out;
		}
		put_ids(&b, ids, nids, 1);
		free(ids);
	}
	if (ferror(stdin)) {
		errorf("<stdin>: read error");
		rc = EXIT_FAIL;
	}
out:
	free(line);
	buf_free(&b);
	return rc;
}

static int run_plain(struct tok *t, int flags, int print_ids)
{
	struct buf in;
	buf_init(&in, TOKENIZE_MAX_INPUT);
	char chunk[65536];
	size_t r;
	int rc = EXIT_OK;
	while ((r = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		if (buf_append(&in, chunk, r)) {
			errorf("<stdin>: input longer than %zu bytes",
			       (size_t)TOKENIZE_MAX_INPUT);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (ferror(stdin)) {
		errorf("<stdin>: read error");
		rc = EXIT_FAIL;
		goto out;
	}
	int32_t *ids;
	size_t n;
	int e = tok_encode(t, in.data ? in.data : "", in.len, flags, &ids, &n);
	if (e) {
		errorf("<stdin>: %s", enc_err(e));
		rc = EXIT_USAGE;
		goto out;
	}
	if (print_ids) {
		struct buf b;
		buf_init(&b, 0);
		put_ids(&b, ids, n, 0);
		buf_free(&b);
	} else {
		printf("%zu\n", n);
	}
	free(ids);
out:
	buf_free(&in);
	return rc;
}

int cmd_tokenize(int argc, char **argv)
{
	struct tokenize_cfg cfg = {0};
	struct tok *t = NULL;
	char *err = NULL;
	int rc = opts_parse(&tokenize_cmd, argc, argv, &cfg, NULL, NULL);
	if (rc) {
		rc = rc == 1 ? EXIT_OK : EXIT_USAGE;
		goto out;
	}
	if (!cfg.tokenizer) {
		errorf("tokenize: --tokenizer PATH is required");
		rc = EXIT_USAGE;
		goto out;
	}
	t = tok_load(cfg.tokenizer, &err);
	if (!t) {
		errorf("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	int flags = (cfg.add_special ? TOK_ADD_SPECIAL : 0) |
		    (cfg.split_special ? TOK_SPLIT_SPECIAL : 0);
	rc = cfg.jsonl ? run_jsonl(t, flags) : run_plain(t, flags, cfg.ids);
	if (fflush(stdout)) {
		errorf("<stdout>: %s", strerror(errno));
		rc = EXIT_FAIL;
	}
out:
	free(err);
	tok_free(t);
	opts_free(&tokenize_cmd, &cfg);
	return rc;
}
