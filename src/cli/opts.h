/* opts.h - one option table drives parsing, --help and environment variables.
 *
 * Each command declares a static table of struct opt pointing (by offset)
 * into its own config struct. opts_parse fills defaults, then environment
 * variables, then argv (later wins), with typed parsers from units.c.
 * Validation across options is the command's job, not this module's.
 * Not thread-safe (called once at startup).
 */
#ifndef INFBENCH_CLI_OPTS_H
#define INFBENCH_CLI_OPTS_H

#include <stddef.h>
#include <stdio.h>

enum opt_type {
	OPT_BOOL,     /* int; "--x" sets 1, "--no-x" sets 0, "--x=VAL" */
	OPT_INT,      /* long long; SI suffixes k/M/G */
	OPT_DOUBLE,   /* double; "inf" allowed */
	OPT_DURATION, /* double seconds; "500ms", "2s", bare = seconds */
	OPT_DURATION_MS, /* double seconds; bare number = milliseconds */
	OPT_STR,      /* char * (owned by the config, xstrdup'd) */
	OPT_LIST,     /* struct opt_list; repeatable, each value appended */
	OPT_COUNT,    /* int; each occurrence adds one (-v -v) */
};

struct opt_list {
	char **items; /* each xstrdup'd */
	size_t n;
	size_t cap;
};

struct opt {
	const char *name;    /* long name without dashes */
	char shortc;         /* 0 for none */
	enum opt_type type;
	size_t off;          /* offsetof(config, field) */
	const char *defval;  /* default as text, parsed like argv; NULL = zero */
	const char *metavar; /* shown in --help ("N", "URL") */
	const char *help;    /* one line */
	const char *aliases; /* comma-separated extra long names, or NULL */
	const char *env;     /* environment variable, or NULL */
};

#define OPT_END {NULL, 0, 0, 0, NULL, NULL, NULL, NULL, NULL}

struct opts_cmd {
	const char *name;    /* "run" */
	const char *usage;   /* "infbench run --url URL [options]" */
	const char *summary; /* one line */
	const struct opt *table;
	int min_args, max_args; /* positional arguments allowed (-1 = any) */
};

/* Parse argv (argv[0] is the command name) into cfg. Positional arguments
 * are returned in *args / *nargs (pointers into argv, not copies).
 * Returns 0, 1 when --help was printed (caller exits 0), or -EINVAL after
 * printing a one-line error that names the option. */
int opts_parse(const struct opts_cmd *cmd, int argc, char **argv, void *cfg,
	       char ***args, int *nargs);
/* Print the command's --help (usage, summary, table) to f. */
void opts_help(const struct opts_cmd *cmd, FILE *f);
/* Print the table as a Markdown list (for the README). */
void opts_markdown(const struct opts_cmd *cmd, FILE *f);
/* Free every OPT_STR and OPT_LIST value in cfg. */
void opts_free(const struct opts_cmd *cmd, void *cfg);
/* Was option name given explicitly (argv or env) in the last opts_parse on
 * this cfg table? */
int opts_given(const struct opts_cmd *cmd, const char *name);

#endif
