/* opts.c - table-driven option parsing, --help and environment variables. */
#include "cli/opts.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/units.h"
#include "core/msg.h"
#include "core/xmalloc.h"

#define OPTS_MAX 256

/* Which options of the last parsed table were given (argv or env). */
static const struct opt *given_table;
static unsigned char given[OPTS_MAX];

static void *field(void *cfg, const struct opt *o)
{
	return (char *)cfg + o->off;
}

static int set_value(const struct opt *o, void *cfg, const char *val,
		     const char *origin)
{
	void *f = field(cfg, o);
	int rc = 0;
	switch (o->type) {
	case OPT_BOOL: {
		int b = 1;
		if (val)
			rc = units_bool(val, &b);
		if (!rc)
			*(int *)f = b;
		break;
	}
	case OPT_COUNT:
		(*(int *)f)++;
		break;
	case OPT_INT: {
		int64_t v;
		rc = units_int(val, &v);
		if (!rc)
			*(long long *)f = v;
		break;
	}
	case OPT_DOUBLE:
		rc = units_double(val, (double *)f);
		break;
	case OPT_DURATION:
		rc = units_duration_s(val, 1.0, (double *)f);
		break;
	case OPT_DURATION_MS:
		rc = units_duration_s(val, 1e-3, (double *)f);
		break;
	case OPT_STR:
		free(*(char **)f);
		*(char **)f = val ? xstrdup(val) : NULL;
		break;
	case OPT_LIST: {
		struct opt_list *l = f;
		xgrow((void **)&l->items, &l->cap, l->n + 1, sizeof(char *));
		l->items[l->n++] = xstrdup(val);
		break;
	}
	}
	if (rc)
		errorf("%s --%s: invalid value '%s'", origin, o->name,
		       val ? val : "");
	return rc;
}

static int name_matches(const struct opt *o, const char *name, size_t len)
{
	if (strlen(o->name) == len && !strncmp(o->name, name, len))
		return 1;
	if (!o->aliases)
		return 0;
	const char *p = o->aliases;
	while (*p) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		if (n == len && !strncmp(p, name, len))
			return 1;
		if (!c)
			break;
		p = c + 1;
	}
	return 0;
}

static const struct opt *find_long(const struct opt *t, const char *name,
				   size_t len, int *negated)
{
	*negated = 0;
	for (const struct opt *o = t; o->name; o++)
		if (name_matches(o, name, len))
			return o;
	if (len > 3 && !strncmp(name, "no-", 3)) {
		for (const struct opt *o = t; o->name; o++)
			if (o->type == OPT_BOOL &&
			    name_matches(o, name + 3, len - 3)) {
				*negated = 1;
				return o;
			}
	}
	return NULL;
}

static int takes_arg(const struct opt *o)
{
	return o->type != OPT_BOOL && o->type != OPT_COUNT;
}

int opts_parse(const struct opts_cmd *cmd, int argc, char **argv, void *cfg,
	       char ***args, int *nargs)
{
	const struct opt *t = cmd->table;
	char **pos = xcalloc((size_t)argc + 1, sizeof(char *));
	int npos = 0, rc = 0;

	given_table = t;
	memset(given, 0, sizeof(given));

	/* Defaults first. */
	for (const struct opt *o = t; o->name; o++)
		if (o->defval && (rc = set_value(o, cfg, o->defval, "default")))
			goto out;
	/* Then the environment. */
	for (const struct opt *o = t; o->name; o++) {
		const char *e = o->env ? getenv(o->env) : NULL;
		if (!e || !*e)
			continue;
		if ((rc = set_value(o, cfg, e, o->env)))
			goto out;
		given[o - t] = 1;
	}
	/* Then argv. */
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			opts_help(cmd, stdout);
			rc = 1;
			goto out;
		}
		if (!strcmp(a, "--")) {
			while (++i < argc)
				pos[npos++] = argv[i];
			break;
		}
		if (a[0] == '-' && a[1] == '-') {
			const char *name = a + 2;
			const char *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			int neg;
			const struct opt *o = find_long(t, name, len, &neg);
			if (!o) {
				errorf("%s: unknown option '--%.*s' (see "
				       "'infbench %s --help')",
				       cmd->name, (int)len, name, cmd->name);
				rc = -EINVAL;
				goto out;
			}
			const char *val = eq ? eq + 1 : NULL;
			if (takes_arg(o) && !val) {
				if (i + 1 >= argc) {
					errorf("option --%s needs a value",
					       o->name);
					rc = -EINVAL;
					goto out;
				}
				val = argv[++i];
			}
			if (neg)
				val = "0";
			if ((rc = set_value(o, cfg, val, "option")))
				goto out;
			given[o - t] = 1;
			continue;
		}
		if (a[0] == '-' && a[1] && a[1] != '-' &&
		    !(a[1] >= '0' && a[1] <= '9')) {
			for (const char *c = a + 1; *c; c++) {
				const struct opt *o = NULL;
				for (const struct opt *p = t; p->name; p++)
					if (p->shortc == *c)
						o = p;
				if (!o) {
					errorf("%s: unknown option '-%c'",
					       cmd->name, *c);
					rc = -EINVAL;
					goto out;
				}
				const char *val = NULL;
				if (takes_arg(o)) {
					if (c[1])
						val = c + 1;
					else if (i + 1 < argc)
						val = argv[++i];
					else {
						errorf("option -%c needs a "
						       "value",
						       *c);
						rc = -EINVAL;
						goto out;
					}
				}
				if ((rc = set_value(o, cfg, val, "option")))
					goto out;
				given[o - t] = 1;
				if (val)
					break;
			}
			continue;
		}
		pos[npos++] = a;
	}
	if (npos < cmd->min_args ||
	    (cmd->max_args >= 0 && npos > cmd->max_args)) {
		errorf("%s: expected %s positional argument%s, got %d "
		       "(usage: %s)",
		       cmd->name,
		       cmd->min_args == cmd->max_args	? "exactly that many"
		       : cmd->max_args < 0		? "at least that many"
							: "a different number of",
		       "s", npos, cmd->usage);
		rc = -EINVAL;
		goto out;
	}
	if (args) {
		*args = pos;
		pos = NULL;
	}
	if (nargs)
		*nargs = npos;
out:
	free(pos);
	return rc;
}

static const char *type_meta(const struct opt *o)
{
	if (o->metavar)
		return o->metavar;
	switch (o->type) {
	case OPT_INT:
		return "N";
	case OPT_DOUBLE:
		return "X";
	case OPT_DURATION:
	case OPT_DURATION_MS:
		return "TIME";
	case OPT_STR:
	case OPT_LIST:
		return "STR";
	default:
		return NULL;
	}
}

void opts_help(const struct opts_cmd *cmd, FILE *f)
{
	fprintf(f, "usage: %s\n\n%s\n\noptions:\n", cmd->usage, cmd->summary);
	for (const struct opt *o = cmd->table; o->name; o++) {
		char left[96];
		const char *m = type_meta(o);
		int n;
		if (o->shortc)
			n = snprintf(left, sizeof(left), "  -%c, --%s%s%s",
				     o->shortc, o->name, m ? " " : "",
				     m ? m : "");
		else
			n = snprintf(left, sizeof(left), "      --%s%s%s",
				     o->name, m ? " " : "", m ? m : "");
		if (n < 32)
			fprintf(f, "%-32s%s", left, o->help);
		else
			fprintf(f, "%s\n%-32s%s", left, "", o->help);
		if (o->defval && o->type != OPT_BOOL)
			fprintf(f, " (default %s)", o->defval);
		else if (o->defval && o->type == OPT_BOOL &&
			 strcmp(o->defval, "0"))
			fprintf(f, " (default on; --no-%s)", o->name);
		if (o->aliases)
			fprintf(f, " [alias --%s]", o->aliases);
		if (o->env)
			fprintf(f, " [env %s]", o->env);
		fputc('\n', f);
	}
	fprintf(f, "  -h, --help                    this text\n");
}

void opts_markdown(const struct opts_cmd *cmd, FILE *f)
{
	fprintf(f, "### `%s`\n\n%s\n\n", cmd->usage, cmd->summary);
	for (const struct opt *o = cmd->table; o->name; o++) {
		const char *m = type_meta(o);
		fprintf(f, "- `--%s%s%s`", o->name, m ? " " : "", m ? m : "");
		if (o->aliases)
			fprintf(f, " (alias `--%s`)", o->aliases);
		fprintf(f, ": %s", o->help);
		if (o->defval && o->type != OPT_BOOL)
			fprintf(f, " Default `%s`.", o->defval);
		if (o->env)
			fprintf(f, " Env `%s`.", o->env);
		fputc('\n', f);
	}
	fputc('\n', f);
}

void opts_free(const struct opts_cmd *cmd, void *cfg)
{
	for (const struct opt *o = cmd->table; o->name; o++) {
		void *f = field(cfg, o);
		if (o->type == OPT_STR) {
			free(*(char **)f);
			*(char **)f = NULL;
		} else if (o->type == OPT_LIST) {
			struct opt_list *l = f;
			for (size_t i = 0; i < l->n; i++)
				free(l->items[i]);
			free(l->items);
			memset(l, 0, sizeof(*l));
		}
	}
}

int opts_given(const struct opts_cmd *cmd, const char *name)
{
	if (given_table != cmd->table)
		return 0;
	int neg;
	const struct opt *o =
		find_long(cmd->table, name, strlen(name), &neg);
	return o ? given[o - cmd->table] : 0;
}
