/* template.c - `{name}` placeholder expansion (see template.h). */
#include "launcher/template.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

static int name_char(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

int tmpl_name_ok(const char *s)
{
	if (!s || !*s || strlen(s) >= TMPL_MAX_NAME)
		return 0;
	for (const char *p = s; *p; p++)
		if (!name_char(*p, p == s))
			return 0;
	return 1;
}

/* One pass over tmpl: literal runs go to lit (when non-NULL), placeholders
 * to ph. Returns 0, ph's non-zero value or -EINVAL. */
static int walk(const char *tmpl, int (*lit)(const char *, size_t, void *),
		int (*ph)(const char *, void *), void *ud, char *err,
		size_t errlen)
{
	const char *p = tmpl, *run = tmpl;
	int rc;
	while (*p) {
		if (*p != '{' && *p != '}') {
			p++;
			continue;
		}
		rc = lit && p > run ? lit(run, (size_t)(p - run), ud) : 0;
		if (rc)
			return rc;
		if (p[0] == p[1]) { /* {{ or }} */
			rc = lit ? lit(p, 1, ud) : 0;
			if (rc)
				return rc;
			p += 2;
			run = p;
			continue;
		}
		if (*p == '}') {
			snprintf(err, errlen,
				 "column %zu: lone '}' (write '}}' for a "
				 "literal brace)",
				 (size_t)(p - tmpl) + 1);
			return -EINVAL;
		}
		const char *e = strchr(p + 1, '}');
		size_t len = e ? (size_t)(e - p - 1) : 0;
		char name[TMPL_MAX_NAME];
		if (!e) {
			snprintf(err, errlen,
				 "column %zu: '{' is not closed (write '{{' "
				 "for a literal brace)",
				 (size_t)(p - tmpl) + 1);
			return -EINVAL;
		}
		if (!len || len >= sizeof(name)) {
			snprintf(err, errlen, "column %zu: %s placeholder",
				 (size_t)(p - tmpl) + 1,
				 len ? "over-long" : "empty");
			return -EINVAL;
		}
		memcpy(name, p + 1, len);
		name[len] = 0;
		if (!tmpl_name_ok(name)) {
			snprintf(err, errlen,
				 "column %zu: '{%s}' is not a placeholder "
				 "name (letters, digits, '_'; write '{{' for "
				 "a literal brace)",
				 (size_t)(p - tmpl) + 1, name);
			return -EINVAL;
		}
		rc = ph ? ph(name, ud) : 0;
		if (rc)
			return rc;
		p = e + 1;
		run = p;
	}
	return lit && p > run ? lit(run, (size_t)(p - run), ud) : 0;
}

struct scan_ud {
	tmpl_name_cb cb;
	void *ud;
};

static int scan_ph(const char *name, void *ud)
{
	struct scan_ud *s = ud;
	return s->cb ? s->cb(name, s->ud) : 0;
}

int tmpl_scan(const char *tmpl, tmpl_name_cb cb, void *ud, char *err,
	      size_t errlen)
{
	struct scan_ud s = {cb, ud};
	return walk(tmpl, NULL, scan_ph, &s, err, errlen);
}

struct exp_ud {
	const struct tmpl_var *vars;
	size_t n;
	struct buf out;
	char *err;
	size_t errlen;
};

static int exp_lit(const char *s, size_t n, void *ud)
{
	struct exp_ud *x = ud;
	if (buf_append(&x->out, s, n)) {
		snprintf(x->err, x->errlen, "longer than %u bytes expanded",
			 TMPL_MAX_OUT);
		return -EINVAL;
	}
	return 0;
}

static int exp_ph(const char *name, void *ud)
{
	struct exp_ud *x = ud;
	for (size_t i = 0; i < x->n; i++)
		if (!strcmp(x->vars[i].name, name))
			return exp_lit(x->vars[i].value,
				       strlen(x->vars[i].value), ud);
	snprintf(x->err, x->errlen, "unknown placeholder {%s}", name);
	return -EINVAL;
}

int tmpl_expand(const char *tmpl, const struct tmpl_var *vars, size_t n,
		char **out, char *err, size_t errlen)
{
	struct exp_ud x = {vars, n, {0}, err, errlen};
	int rc;
	*out = NULL;
	buf_init(&x.out, TMPL_MAX_OUT);
	rc = walk(tmpl, exp_lit, exp_ph, &x, err, errlen);
	if (rc) {
		buf_free(&x.out);
		return rc < 0 ? rc : -EINVAL;
	}
	*out = buf_take(&x.out); /* "" for an empty template */
	return 0;
}
