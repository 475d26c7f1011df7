/* template.h - `{name}` placeholders in launch commands, environment values,
 * working directories and URLs.
 *
 * Owns the placeholder rule: `{name}` (name = [A-Za-z_][A-Za-z0-9_]*) is
 * replaced by the variable's value; `{{` and `}}` stand for literal braces;
 * any other brace is an error, so a typo never passes through silently.
 * Knows no variable names itself (the scenario and the sweep supply them).
 * Pure functions on caller memory; thread-safe.
 */
#ifndef INFBENCH_LAUNCHER_TEMPLATE_H
#define INFBENCH_LAUNCHER_TEMPLATE_H

#include <stddef.h>

#define TMPL_MAX_NAME 48          /* bytes of a placeholder name */
#define TMPL_MAX_OUT (64u << 10)  /* bytes of an expanded template */

struct tmpl_var {
	const char *name;
	const char *value;
};

/* Called by tmpl_scan for each placeholder (name is NUL-terminated, valid
 * for the call only). Return 0 to go on, non-zero to stop the scan with
 * that value. */
typedef int (*tmpl_name_cb)(const char *name, void *ud);

/* Check the syntax of tmpl and call cb (may be NULL) for each placeholder
 * in order. Returns 0, cb's non-zero value, or -EINVAL with "column N:
 * reason" in err (unclosed or empty `{}`, a bad name, a lone `}`). */
int tmpl_scan(const char *tmpl, tmpl_name_cb cb, void *ud, char *err,
	      size_t errlen);

/* Expand tmpl with vars[0..n) (first match wins) into *out, a new string
 * the caller frees. Returns 0, or -EINVAL with the reason in err (syntax,
 * "unknown placeholder {x}", result over TMPL_MAX_OUT); *out is then NULL. */
int tmpl_expand(const char *tmpl, const struct tmpl_var *vars, size_t n,
		char **out, char *err, size_t errlen);

/* 1 when s is a valid placeholder name. */
int tmpl_name_ok(const char *s);

#endif
