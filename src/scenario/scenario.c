/* scenario.c - sweep scenario YAML loader and validator (see scenario.h). */
#include "scenario/scenario.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cli/units.h"
#include "core/xmalloc.h"
#include "launcher/grid.h"
#include "launcher/template.h"
#include "proto/proto.h"
#include "workload/dist.h"

const char *const scenario_builtin_vars[] = {"exe", "port", "host", "name",
					     "dir", NULL};

static int is_builtin(const char *k)
{
	for (size_t i = 0; scenario_builtin_vars[i]; i++)
		if (!strcmp(scenario_builtin_vars[i], k))
			return 1;
	return 0;
}

struct yctx {
	const char *label;
	yaml_document_t *doc;
	char *err;
	size_t errlen;
};

static int yfail(struct yctx *y, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int yfail(struct yctx *y, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(y->err, y->errlen, "%s:%zu: %s", y->label,
		 n ? n->start_mark.line + 1 : (size_t)1, msg);
	return -EINVAL;
}

static yaml_node_t *ynode(struct yctx *y, int id)
{
	return yaml_document_get_node(y->doc, id);
}

static const char *yscalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE
		       ? (const char *)n->data.scalar.value
		       : NULL;
}

static int ystr(struct yctx *y, const yaml_node_t *n, const char *key,
		char **out)
{
	const char *s = yscalar(n);
	if (!s || !*s)
		return yfail(y, n, "%s: expected a non-empty string", key);
	free(*out);
	*out = xstrdup(s);
	return 0;
}

static int yname(struct yctx *y, const yaml_node_t *n, const char *key,
		 char *out)
{
	const char *s = yscalar(n);
	if (!s || !*s)
		return yfail(y, n, "%s: expected a name", key);
	if (strlen(s) >= SCEN_MAX_NAME)
		return yfail(y, n, "%s: longer than %d bytes", key,
			     SCEN_MAX_NAME - 1);
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		      *p == '.'))
			return yfail(y, n,
				     "%s: '%s' may only hold letters, digits, "
				     "'-', '_' and '.' (it names files)",
				     key, s);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int ynum(struct yctx *y, const yaml_node_t *n, const char *key,
		double lo, double hi, double *out)
{
	const char *s = yscalar(n);
	double v;
	if (!s || units_double(s, &v) || !isfinite(v))
		return yfail(y, n, "%s: expected a number", key);
	if (v < lo || v > hi)
		return yfail(y, n, "%s: %g is outside [%g, %g]", key, v, lo,
			     hi);
	*out = v;
	return 0;
}

static int ydur(struct yctx *y, const yaml_node_t *n, const char *key,
		double lo, double hi, double *out)
{
	const char *s = yscalar(n);
	double v;
	if (!s || units_duration_s(s, 1.0, &v) || !isfinite(v))
		return yfail(y, n, "%s: expected a duration such as 30s or 2m",
			     key);
	if (v < lo || v > hi)
		return yfail(y, n, "%s: %gs is outside [%g, %g] s", key, v, lo,
			     hi);
	*out = v;
	return 0;
}

static int yint(struct yctx *y, const yaml_node_t *n, const char *key,
		long long lo, long long hi, long long *out)
{
	const char *s = yscalar(n);
	int64_t v;
	if (!s || units_int(s, &v))
		return yfail(y, n, "%s: expected an integer", key);
	if (v < lo || v > hi)
		return yfail(y, n, "%s: %lld is outside [%lld, %lld]", key,
			     (long long)v, lo, hi);
	*out = v;
	return 0;
}

/* A scalar or a sequence of scalars, appended to args. */
static int yargs(struct yctx *y, yaml_node_t *n, const char *key, char **args,
		 size_t *n_args)
{
	if (n->type == YAML_SCALAR_NODE) {
		/* one string: split on spaces (no quoting; use a list) */
		const char *s = yscalar(n);
		while (*s) {
			size_t len = strcspn(s, " \t");
			if (len) {
				if (*n_args == SCEN_MAX_ARGS)
					return yfail(y, n,
						     "%s: more than %d items",
						     key, SCEN_MAX_ARGS);
				args[(*n_args)++] = xstrndup(s, len);
			}
			s += len;
			s += strspn(s, " \t");
		}
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return yfail(y, n, "%s: expected a list of strings", key);
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = ynode(y, *it);
		if (!yscalar(e))
			return yfail(y, e, "%s: expected a string", key);
		if (*n_args == SCEN_MAX_ARGS)
			return yfail(y, e, "%s: more than %d items", key,
				     SCEN_MAX_ARGS);
		args[(*n_args)++] = xstrdup(yscalar(e));
	}
	return 0;
}

/* An SLA: one expression string, or a list of them (joined by "and"). */
static int ysla(struct yctx *y, yaml_node_t *n, struct sla *out)
{
	char e[256];
	struct sla acc;
	memset(&acc, 0, sizeof(acc));
	yaml_node_t *items[SLA_MAX_TERMS];
	size_t ni = 0;
	if (n->type == YAML_SCALAR_NODE) {
		items[ni++] = n;
	} else if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			if (ni == SLA_MAX_TERMS)
				return yfail(y, n, "sla: too many entries");
			items[ni++] = ynode(y, *it);
		}
	}
	if (!ni)
		return yfail(y, n,
			     "sla: expected an expression such as "
			     "'p99 e2el <= 500ms' (or a list of them)");
	for (size_t i = 0; i < ni; i++) {
		struct sla one;
		const char *s = yscalar(items[i]);
		if (!s)
			return yfail(y, items[i], "sla: expected a string");
		if (sla_parse(s, &one, e, sizeof(e)))
			return yfail(y, items[i], "sla '%s': %s", s, e);
		for (size_t k = 0; k < one.n; k++) {
			if (acc.n == SLA_MAX_TERMS)
				return yfail(y, items[i],
					     "sla: more than %d terms",
					     SLA_MAX_TERMS);
			acc.t[acc.n++] = one.t[k];
		}
	}
	*out = acc;
	return 0;
}

static int check_dist(struct yctx *y, const yaml_node_t *n, const char *key,
		      const char *spec)
{
	struct dist d;
	const char *why = NULL;
	if (dist_parse(spec, &d, &why))
		return yfail(y, n, "%s: '%s': %s", key, spec,
			     why ? why : "bad length spec");
	return 0;
}

#define FOR_PAIRS(y, map, kn, vn)                                         \
	for (yaml_node_pair_t *p_ = (map)->data.mapping.pairs.start;      \
	     p_ < (map)->data.mapping.pairs.top; p_++)                    \
		for (yaml_node_t *kn = ynode(y, p_->key),                 \
				 *vn = ynode(y, p_->value), *once_ = kn;  \
		     once_; once_ = NULL)

/* The launch: mapping's configuration nodes, kept until expansion. */
struct lnodes {
	yaml_node_t *launch;   /* the launch: value */
	yaml_node_t *grid;     /* grid: mapping, or NULL */
	yaml_node_t *configs;  /* configs: sequence, or NULL */
	yaml_node_t *url;      /* url: value, or NULL */
	yaml_node_t *cmd, *env, *cwd, *ready; /* for error lines */
};

static int parse_ready(struct yctx *y, yaml_node_t *map, struct scen_launch *l)
{
	int rc = 0, any = 0;
	if (map->type != YAML_MAPPING_NODE)
		return yfail(y, map, "launch.ready: expected a mapping (http:, "
				     "log:, timeout:)");
	free(l->ready_http); /* the default /health goes once ready: is given */
	l->ready_http = NULL;
	FOR_PAIRS(y, map, kn, vn)
	{
		const char *k = yscalar(kn);
		if (!k)
			return yfail(y, kn, "launch.ready: keys must be strings");
		if (!strcmp(k, "http")) {
			rc = ystr(y, vn, "ready.http", &l->ready_http);
			any = 1;
		} else if (!strcmp(k, "log")) {
			rc = ystr(y, vn, "ready.log", &l->ready_log);
			any = 1;
		} else if (!strcmp(k, "timeout"))
			rc = ydur(y, vn, "ready.timeout", 0.1, 86400,
				  &l->ready_timeout_s);
		else
			return yfail(y, kn,
				     "launch.ready: unknown key '%s' (known: "
				     "http, log, timeout)",
				     k);
		if (rc)
			return rc;
	}
	if (!any)
		return yfail(y, map, "launch.ready: give http: (a health route) "
				     "and/or log: (a pattern)");
	return 0;
}

static int parse_launch(struct yctx *y, yaml_node_t *n, struct scen_target *t,
			struct lnodes *ln)
{
	int rc = 0;
	struct scen_launch *l = &t->lc;
	ln->launch = n;
	l->line = (int)n->start_mark.line + 1;
	l->ready_http = xstrdup("/health");
	l->ready_timeout_s = 600;
	l->stop_grace_s = 30;
	l->release_timeout_s = 60;
	l->release_tolerance_mib = 512;
	if (n->type == YAML_SCALAR_NODE) {
		ln->cmd = n;
		return ystr(y, n, "launch", &t->launch);
	}
	if (n->type != YAML_MAPPING_NODE)
		return yfail(y, n, "launch: expected a command string or a "
				   "mapping with command:");
	FOR_PAIRS(y, n, kn, vn)
	{
		const char *k = yscalar(kn);
		if (!k)
			return yfail(y, kn, "launch: keys must be strings");
		if (!strcmp(k, "command")) {
			rc = ystr(y, vn, "launch.command", &t->launch);
			ln->cmd = vn;
		}
		else if (!strcmp(k, "grid")) {
			if (vn->type != YAML_MAPPING_NODE)
				return yfail(y, vn,
					     "launch.grid: expected a mapping "
					     "of parameter: [values]");
			ln->grid = vn;
		} else if (!strcmp(k, "configs")) {
			if (vn->type != YAML_SEQUENCE_NODE ||
			    vn->data.sequence.items.top ==
				    vn->data.sequence.items.start)
				return yfail(y, vn,
					     "launch.configs: expected a "
					     "non-empty list of mappings");
			ln->configs = vn;
		} else if (!strcmp(k, "env")) {
			ln->env = vn;
			if (vn->type != YAML_MAPPING_NODE)
				return yfail(y, vn, "launch.env: expected a "
						    "mapping of NAME: value");
			FOR_PAIRS(y, vn, ek, ev)
			{
				const char *en = yscalar(ek), *evs = yscalar(ev);
				if (!en || !*en || strchr(en, '=') || !evs)
					return yfail(y, ek,
						     "launch.env: NAME: value "
						     "with a NAME without '='");
				if (l->n_env == SCEN_MAX_ENV)
					return yfail(y, ek,
						     "launch.env: more than %d "
						     "entries",
						     SCEN_MAX_ENV);
				l->env[l->n_env++] = xasprintf("%s=%s", en, evs);
			}
		} else if (!strcmp(k, "cwd")) {
			rc = ystr(y, vn, "launch.cwd", &l->cwd);
			ln->cwd = vn;
		} else if (!strcmp(k, "ready")) {
			rc = parse_ready(y, vn, l);
			ln->ready = vn;
		}
		else if (!strcmp(k, "stop_grace"))
			rc = ydur(y, vn, "launch.stop_grace", 0, 3600,
				  &l->stop_grace_s);
		else if (!strcmp(k, "release_timeout"))
			rc = ydur(y, vn, "launch.release_timeout", 0, 3600,
				  &l->release_timeout_s);
		else if (!strcmp(k, "release_tolerance_mib"))
			rc = ynum(y, vn, "launch.release_tolerance_mib", 0, 1e7,
				  &l->release_tolerance_mib);
		else
			return yfail(y, kn,
				     "launch: unknown key '%s' (known: "
				     "command, grid, configs, env, cwd, ready, "
				     "stop_grace, release_timeout, "
				     "release_tolerance_mib)",
				     k);
		if (rc)
			return rc;
	}
	if (!t->launch)
		return yfail(y, n, "launch: 'command' is required");
	if (ln->grid && ln->configs)
		return yfail(y, n, "launch: give grid: or configs:, not both");
	return 0;
}

static int parse_target(struct yctx *y, yaml_node_t *map,
			struct scen_target *t, struct lnodes *ln)
{
	int rc = 0;
	long long ll;
	if (map->type != YAML_MAPPING_NODE)
		return yfail(y, map, "targets: each entry must be a mapping");
	t->line = (int)map->start_mark.line + 1;
	t->gpus = 1;
	FOR_PAIRS(y, map, kn, vn)
	{
		const char *k = yscalar(kn);
		if (!k)
			return yfail(y, kn, "target: keys must be strings");
		if (!strcmp(k, "name"))
			rc = yname(y, vn, "name", t->name);
		else if (!strcmp(k, "url")) {
			rc = ystr(y, vn, "url", &t->url);
			ln->url = vn;
		}
		else if (!strcmp(k, "api"))
			rc = ystr(y, vn, "api", &t->api);
		else if (!strcmp(k, "model"))
			rc = ystr(y, vn, "model", &t->model);
		else if (!strcmp(k, "gpus")) {
			rc = yint(y, vn, "gpus", 1, 4096, &ll);
			t->gpus = (int)ll;
		} else if (!strcmp(k, "simulated"))
			rc = ystr(y, vn, "simulated", &t->simulated);
		else if (!strcmp(k, "gpu"))
			rc = ystr(y, vn, "gpu", &t->gpu);
		else if (!strcmp(k, "launch"))
			rc = parse_launch(y, vn, t, ln);
		else if (!strcmp(k, "metrics_url"))
			rc = ystr(y, vn, "metrics_url", &t->metrics_url);
		else if (!strcmp(k, "dcgm_url"))
			rc = ystr(y, vn, "dcgm_url", &t->dcgm_url);
		else if (!strcmp(k, "max_model_len"))
			rc = yint(y, vn, "max_model_len", 1, 1LL << 31,
				  &t->max_model_len);
		else if (!strcmp(k, "args"))
			rc = yargs(y, vn, "args", t->args, &t->n_args);
		else
			return yfail(y, kn,
				     "target: unknown key '%s' (known: name, "
				     "url, api, model, gpus, simulated, gpu, "
				     "launch, metrics_url, dcgm_url, "
				     "max_model_len, args)",
				     k);
		if (rc)
			return rc;
	}
	if (!t->name[0])
		return yfail(y, map, "target: 'name' is required");
	if (!t->url && t->launch)
		t->url = xstrdup("http://{host}:{port}");
	if (!t->url && !t->simulated)
		return yfail(y, map,
			     "target '%s': needs 'url' (a server), 'launch' "
			     "or 'simulated: paged|reserved'",
			     t->name);
	if (t->simulated) {
		const char *s = t->simulated;
		if (!strcmp(s, "vllm"))
			s = "paged";
		else if (!strcmp(s, "tgi"))
			s = "reserved";
		if (strcmp(s, "paged") && strcmp(s, "reserved"))
			return yfail(y, map,
				     "target '%s': simulated must be paged or "
				     "reserved, not '%s'",
				     t->name, t->simulated);
		if (s != t->simulated) {
			free(t->simulated);
			t->simulated = xstrdup(s);
		}
	}
	if (t->api && strcmp(t->api, "auto") && !proto_find(t->api))
		return yfail(y, map,
			     "target '%s': api must be auto or one of %s "
			     "(docs/ADAPTERS.md), not '%s'",
			     t->name, proto_names(), t->api);
	if (t->url && strncmp(t->url, "http://", 7) &&
	    strncmp(t->url, "https://", 8))
		return yfail(y, map, "target '%s': url must start with http:// "
				     "or https://", t->name);
	return 0;
}


static char *dup0(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void target_free(struct scen_target *t)
{
	free(t->url);
	free(t->api);
	free(t->model);
	free(t->simulated);
	free(t->gpu);
	free(t->launch);
	free(t->metrics_url);
	free(t->dcgm_url);
	for (size_t k = 0; k < t->n_args; k++)
		free(t->args[k]);
	for (size_t k = 0; k < t->lc.n_env; k++)
		free(t->lc.env[k]);
	free(t->lc.cwd);
	free(t->lc.ready_http);
	free(t->lc.ready_log);
	for (size_t k = 0; k < t->n_settings; k++) {
		free(t->settings[k].key);
		free(t->settings[k].value);
	}
	memset(t, 0, sizeof(*t));
}

/* Deep copy of s into d (d's old contents are not freed). */
static void target_dup(struct scen_target *d, const struct scen_target *s)
{
	*d = *s;
	d->url = dup0(s->url);
	d->api = dup0(s->api);
	d->model = dup0(s->model);
	d->simulated = dup0(s->simulated);
	d->gpu = dup0(s->gpu);
	d->launch = dup0(s->launch);
	d->metrics_url = dup0(s->metrics_url);
	d->dcgm_url = dup0(s->dcgm_url);
	for (size_t k = 0; k < s->n_args; k++)
		d->args[k] = xstrdup(s->args[k]);
	for (size_t k = 0; k < s->lc.n_env; k++)
		d->lc.env[k] = xstrdup(s->lc.env[k]);
	d->lc.cwd = dup0(s->lc.cwd);
	d->lc.ready_http = dup0(s->lc.ready_http);
	d->lc.ready_log = dup0(s->lc.ready_log);
	for (size_t k = 0; k < s->n_settings; k++) {
		d->settings[k].key = xstrdup(s->settings[k].key);
		d->settings[k].value = xstrdup(s->settings[k].value);
	}
}

/* Placeholder check of one configuration's templates. */
struct vcheck {
	const struct scen_target *t;
	unsigned used;              /* bit i: settings[i] is used */
	char bad[TMPL_MAX_NAME];
};

static int vcheck_cb(const char *name, void *ud)
{
	struct vcheck *v = ud;
	for (size_t i = 0; i < v->t->n_settings; i++)
		if (!strcmp(v->t->settings[i].key, name)) {
			v->used |= 1u << i;
			return 0;
		}
	if (v->t->launch && is_builtin(name))
		return 0;
	snprintf(v->bad, sizeof(v->bad), "%s", name);
	return 1;
}

static int check_tmpl(struct yctx *y, const yaml_node_t *at,
		      struct vcheck *v, const char *what, const char *tmpl)
{
	char e[160], known[256];
	const struct scen_target *t = v->t;
	if (!tmpl)
		return 0;
	int rc = tmpl_scan(tmpl, vcheck_cb, v, e, sizeof(e));
	if (rc < 0)
		return yfail(y, at, "target '%s': %s: %s", t->group, what, e);
	if (!rc)
		return 0;
	known[0] = 0;
	for (size_t i = 0; i < t->n_settings; i++)
		snprintf(known + strlen(known), sizeof(known) - strlen(known),
			 "%s%s", i ? ", " : "", t->settings[i].key);
	if (t->launch)
		snprintf(known + strlen(known), sizeof(known) - strlen(known),
			 "%sbuilt-in exe, port, host, name, dir",
			 t->n_settings ? "; " : "");
	return yfail(y, at, "target '%s': %s: unknown placeholder {%s} (%s)",
		     t->group, what, v->bad,
		     known[0] ? known : "placeholders need launch:");
}

static int check_config(struct yctx *y, yaml_node_t *map, struct lnodes *ln,
			struct scen_target *t, const yaml_node_t *cfg_node)
{
	struct vcheck v = {t, 0, ""};
	const yaml_node_t *at = ln->launch ? ln->launch : map;
	int rc = check_tmpl(y, ln->url ? ln->url : map, &v, "url", t->url);
	if (!rc)
		rc = check_tmpl(y, map, &v, "metrics_url", t->metrics_url);
	if (!rc)
		rc = check_tmpl(y, map, &v, "dcgm_url", t->dcgm_url);
	if (!rc)
		rc = check_tmpl(y, ln->cmd ? ln->cmd : at, &v, "launch command",
				t->launch);
	for (size_t i = 0; !rc && i < t->lc.n_env; i++)
		rc = check_tmpl(y, ln->env ? ln->env : at, &v, "launch.env",
				t->lc.env[i]);
	if (!rc)
		rc = check_tmpl(y, ln->cwd ? ln->cwd : at, &v, "launch.cwd",
				t->lc.cwd);
	if (!rc && t->launch)
		rc = check_tmpl(y, ln->ready ? ln->ready : at, &v,
				"launch.ready.http", t->lc.ready_http);
	if (rc)
		return rc;
	for (size_t i = 0; i < t->n_settings; i++)
		if (!(v.used & (1u << i)))
			return yfail(y, cfg_node,
				     "target '%s': setting '%s' is not used "
				     "by the launch command, env, cwd or urls "
				     "(every configuration would be the same)",
				     t->group, t->settings[i].key);
	return 0;
}

static int check_key(struct yctx *y, const yaml_node_t *kn, const char *what)
{
	const char *k = yscalar(kn);
	if (!k || !tmpl_name_ok(k))
		return yfail(y, kn,
			     "%s: '%s' is not a parameter name (letters, "
			     "digits, '_')",
			     what, k ? k : "?");
	if (is_builtin(k))
		return yfail(y, kn,
			     "%s: '%s' is a built-in placeholder (exe, port, "
			     "host, name, dir)",
			     what, k);
	return 0;
}

/* Expand base (parsed from map) into its configurations, appended to sc.
 * base keeps its strings (the caller frees it). */
static int expand_target(struct yctx *y, yaml_node_t *map,
			 struct scen_target *base, struct lnodes *ln,
			 struct scenario *sc)
{
	size_t sizes[GRID_MAX_AXES], count = 1, n_axes = 0;
	yaml_node_t *axis_key[GRID_MAX_AXES], *axis_val[GRID_MAX_AXES];
	int rc;
	if (ln->grid) {
		FOR_PAIRS(y, ln->grid, kn, vn)
		{
			rc = check_key(y, kn, "launch.grid");
			if (rc)
				return rc;
			if (n_axes == GRID_MAX_AXES)
				return yfail(y, kn,
					     "launch.grid: more than %d "
					     "parameters",
					     GRID_MAX_AXES);
			for (size_t a = 0; a < n_axes; a++)
				if (!strcmp(yscalar(axis_key[a]), yscalar(kn)))
					return yfail(y, kn,
						     "launch.grid: '%s' twice",
						     yscalar(kn));
			if (vn->type == YAML_SCALAR_NODE) {
				sizes[n_axes] = 1;
			} else if (vn->type == YAML_SEQUENCE_NODE &&
				   vn->data.sequence.items.top >
					   vn->data.sequence.items.start) {
				sizes[n_axes] =
					(size_t)(vn->data.sequence.items.top -
						 vn->data.sequence.items.start);
				for (yaml_node_item_t *it =
					     vn->data.sequence.items.start;
				     it < vn->data.sequence.items.top; it++)
					if (!yscalar(ynode(y, *it)))
						return yfail(
							y, ynode(y, *it),
							"launch.grid: '%s': "
							"values must be "
							"scalars",
							yscalar(kn));
			} else {
				return yfail(y, vn,
					     "launch.grid: '%s': expected a "
					     "value or a non-empty list",
					     yscalar(kn));
			}
			axis_key[n_axes] = kn;
			axis_val[n_axes++] = vn;
		}
		count = grid_count(sizes, n_axes);
		if (!count)
			return yfail(y, ln->grid,
				     "launch.grid: more than %d "
				     "configurations",
				     GRID_MAX_POINTS);
	} else if (ln->configs) {
		count = (size_t)(ln->configs->data.sequence.items.top -
				 ln->configs->data.sequence.items.start);
		if (count > GRID_MAX_POINTS)
			return yfail(y, ln->configs,
				     "launch.configs: more than %d entries",
				     GRID_MAX_POINTS);
	}
	if (sc->n_targets + count > SCEN_MAX_TARGETS)
		return yfail(y, map,
			     "targets: more than %d after expanding launch "
			     "configurations",
			     SCEN_MAX_TARGETS);
	for (size_t k = 0; k < count; k++) {
		struct scen_target *t = &sc->targets[sc->n_targets++];
		char cname[SCEN_MAX_NAME] = "";
		const yaml_node_t *cfg_node = ln->grid ? ln->grid : map;
		target_dup(t, base);
		memcpy(t->group, base->name, sizeof(t->group));
		t->config = (int)k;
		t->n_configs = (int)count;
		if (ln->grid) {
			size_t idx[GRID_MAX_AXES];
			grid_point(sizes, n_axes, k, idx);
			for (size_t a = 0; a < n_axes; a++) {
				yaml_node_t *v = axis_val[a];
				if (v->type == YAML_SEQUENCE_NODE)
					v = ynode(y, v->data.sequence.items
							     .start[idx[a]]);
				t->settings[t->n_settings].key =
					xstrdup(yscalar(axis_key[a]));
				t->settings[t->n_settings++].value =
					xstrdup(yscalar(v));
			}
		} else if (ln->configs) {
			yaml_node_t *cm = ynode(
				y, ln->configs->data.sequence.items.start[k]);
			cfg_node = cm;
			if (cm->type != YAML_MAPPING_NODE)
				return yfail(y, cm,
					     "launch.configs: each entry must "
					     "be a mapping of parameter: value");
			FOR_PAIRS(y, cm, kn, vn)
			{
				if (yscalar(kn) && !strcmp(yscalar(kn), "name")) {
					rc = yname(y, vn, "configs name", cname);
					if (rc)
						return rc;
					continue;
				}
				rc = check_key(y, kn, "launch.configs");
				if (rc)
					return rc;
				if (!yscalar(vn))
					return yfail(y, vn,
						     "launch.configs: '%s': "
						     "expected a scalar value",
						     yscalar(kn));
				for (size_t i = 0; i < t->n_settings; i++)
					if (!strcmp(t->settings[i].key,
						    yscalar(kn)))
						return yfail(y, kn,
							     "launch.configs: "
							     "'%s' twice",
							     yscalar(kn));
				if (t->n_settings == SCEN_MAX_SETTINGS)
					return yfail(y, kn,
						     "launch.configs: more than "
						     "%d parameters",
						     SCEN_MAX_SETTINGS);
				t->settings[t->n_settings].key =
					xstrdup(yscalar(kn));
				t->settings[t->n_settings++].value =
					xstrdup(yscalar(vn));
			}
		}
		if (count > 1 || cname[0]) {
			char nm[2 * SCEN_MAX_NAME + 24];
			if (cname[0])
				snprintf(nm, sizeof(nm), "%s.%s", base->name,
					 cname);
			else
				snprintf(nm, sizeof(nm), "%s.%zu", base->name,
					 k + 1);
			if (strlen(nm) >= SCEN_MAX_NAME)
				return yfail(y, cfg_node,
					     "target '%s': configuration name "
					     "'%s' longer than %d bytes",
					     base->name, nm, SCEN_MAX_NAME - 1);
			memcpy(t->name, nm, strlen(nm) + 1);
		}
		rc = check_config(y, map, ln, t, cfg_node);
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_workload(struct yctx *y, yaml_node_t *map,
			  struct scen_workload *w)
{
	int rc = 0;
	const char *kind = NULL;
	yaml_node_t *kind_node = map, *in_node = map, *out_node = map;
	if (map->type != YAML_MAPPING_NODE)
		return yfail(y, map, "workloads: each entry must be a mapping");
	w->line = (int)map->start_mark.line + 1;
	w->requests = 200;
	w->kind = SCEN_WL_CUSTOM;
	FOR_PAIRS(y, map, kn, vn)
	{
		const char *k = yscalar(kn);
		if (!k)
			return yfail(y, kn, "workload: keys must be strings");
		if (!strcmp(k, "name"))
			rc = yname(y, vn, "name", w->name);
		else if (!strcmp(k, "kind")) {
			kind = yscalar(vn);
			kind_node = vn;
			if (!kind)
				rc = yfail(y, vn, "kind: expected a string");
		} else if (!strcmp(k, "input_len")) {
			rc = ystr(y, vn, "input_len", &w->input_len);
			in_node = vn;
		} else if (!strcmp(k, "output_len")) {
			rc = ystr(y, vn, "output_len", &w->output_len);
			out_node = vn;
		} else if (!strcmp(k, "trace"))
			rc = ystr(y, vn, "trace", &w->trace);
		else if (!strcmp(k, "requests"))
			rc = yint(y, vn, "requests", 1, 100000000, &w->requests);
		else if (!strcmp(k, "warmup"))
			rc = yint(y, vn, "warmup", 0, 100000000, &w->warmup);
		else if (!strcmp(k, "sla")) {
			rc = ysla(y, vn, &w->sla);
			w->has_sla = !rc;
		} else if (!strcmp(k, "args"))
			rc = yargs(y, vn, "args", w->args, &w->n_args);
		else
			return yfail(y, kn,
				     "workload: unknown key '%s' (known: name, "
				     "kind, input_len, output_len, trace, "
				     "requests, warmup, sla, args)",
				     k);
		if (rc)
			return rc;
	}
	if (!w->name[0])
		return yfail(y, map, "workload: 'name' is required");
	if (!kind || !strcmp(kind, "custom")) {
		w->kind = SCEN_WL_CUSTOM;
	} else if (!strcmp(kind, "chat")) {
		w->kind = SCEN_WL_CHAT;
		if (!w->input_len)
			w->input_len = xstrdup("128,256,512");
		if (!w->output_len)
			w->output_len = xstrdup("256");
	} else if (!strcmp(kind, "rag")) {
		w->kind = SCEN_WL_RAG;
		if (!w->input_len)
			w->input_len = xstrdup("2048,4096");
		if (!w->output_len)
			w->output_len = xstrdup("256");
	} else if (!strcmp(kind, "trace")) {
		w->kind = SCEN_WL_TRACE;
		if (!w->trace)
			return yfail(y, map,
				     "workload '%s': kind trace needs "
				     "'trace: FILE'",
				     w->name);
	} else {
		return yfail(y, kind_node,
			     "workload '%s': kind must be chat, rag, trace or "
			     "custom, not '%s'",
			     w->name, kind);
	}
	if (w->kind != SCEN_WL_TRACE) {
		if (!w->input_len || !w->output_len)
			return yfail(y, map,
				     "workload '%s': a custom workload needs "
				     "input_len and output_len",
				     w->name);
		rc = check_dist(y, in_node, "input_len", w->input_len);
		if (!rc)
			rc = check_dist(y, out_node, "output_len",
					w->output_len);
	}
	return rc;
}

static int parse_load(struct yctx *y, yaml_node_t *map, struct scen_load *l)
{
	int rc = 0;
	long long ll;
	yaml_node_t *ladder = NULL;
	if (map->type != YAML_MAPPING_NODE)
		return yfail(y, map, "load: expected a mapping");
	FOR_PAIRS(y, map, kn, vn)
	{
		const char *k = yscalar(kn);
		if (!k)
			return yfail(y, kn, "load: keys must be strings");
		if (!strcmp(k, "concurrency") || !strcmp(k, "rate")) {
			if (ladder)
				return yfail(y, kn,
					     "load: give either concurrency or "
					     "rate, not both");
			l->mode = !strcmp(k, "rate") ? SCEN_LOAD_RATE
						     : SCEN_LOAD_CONCURRENCY;
			ladder = vn;
		} else if (!strcmp(k, "bisect_steps")) {
			rc = yint(y, vn, "bisect_steps", 0, 20, &ll);
			l->bisect_steps = (int)ll;
		} else if (!strcmp(k, "tolerance"))
			rc = ynum(y, vn, "tolerance", 0, 1, &l->tolerance);
		else if (!strcmp(k, "requests_per_load"))
			rc = ynum(y, vn, "requests_per_load", 0, 1e6,
				  &l->requests_per_load);
		else if (!strcmp(k, "arrival"))
			rc = ystr(y, vn, "arrival", &l->arrival);
		else
			return yfail(y, kn,
				     "load: unknown key '%s' (known: "
				     "concurrency, rate, bisect_steps, "
				     "tolerance, requests_per_load, arrival)",
				     k);
		if (rc)
			return rc;
	}
	if (!ladder)
		return yfail(y, map,
			     "load: needs a ladder: 'concurrency: [1, 2, 4]' "
			     "or 'rate: [1, 2, 4]'");
	if (ladder->type != YAML_SEQUENCE_NODE ||
	    ladder->data.sequence.items.top == ladder->data.sequence.items.start)
		return yfail(y, ladder, "load: the ladder must be a non-empty "
					"list of numbers");
	for (yaml_node_item_t *it = ladder->data.sequence.items.start;
	     it < ladder->data.sequence.items.top; it++) {
		yaml_node_t *e = ynode(y, *it);
		double v;
		if (l->n == SCEN_MAX_LADDER)
			return yfail(y, e, "load: more than %d ladder steps",
				     SCEN_MAX_LADDER);
		rc = ynum(y, e, "load ladder", 1e-6, 1e7, &v);
		if (rc)
			return rc;
		if (l->mode == SCEN_LOAD_CONCURRENCY && v != floor(v))
			return yfail(y, e,
				     "load: concurrency must be a whole number, "
				     "not %g",
				     v);
		if (l->n && v <= l->ladder[l->n - 1])
			return yfail(y, e,
				     "load: the ladder must increase (%g after "
				     "%g)",
				     v, l->ladder[l->n - 1]);
		l->ladder[l->n++] = v;
	}
	if (l->arrival && l->mode != SCEN_LOAD_RATE)
		return yfail(y, map, "load: arrival applies to a rate ladder");
	return 0;
}

static int parse_root(struct yctx *y, yaml_node_t *root, struct scenario *sc)
{
	int rc = 0;
	long long ll;
	yaml_node_t *tn = NULL, *wn = NULL, *ln = NULL;
	if (!root || root->type != YAML_MAPPING_NODE)
		return yfail(y, root,
			     "expected a mapping with targets:, workloads:, "
			     "sla: and load:");
	FOR_PAIRS(y, root, kn, vn)
	{
		const char *k = yscalar(kn);
		if (!k)
			return yfail(y, kn, "keys must be strings");
		if (!strcmp(k, "name"))
			rc = ystr(y, vn, "name", &sc->name);
		else if (!strcmp(k, "description"))
			rc = ystr(y, vn, "description", &sc->description);
		else if (!strcmp(k, "seed")) {
			rc = yint(y, vn, "seed", 0, INT64_MAX, &ll);
			sc->seed = (uint64_t)ll;
		} else if (!strcmp(k, "targets"))
			tn = vn;
		else if (!strcmp(k, "workloads"))
			wn = vn;
		else if (!strcmp(k, "sla")) {
			rc = ysla(y, vn, &sc->sla);
			sc->has_sla = !rc;
		} else if (!strcmp(k, "confidence"))
			rc = ynum(y, vn, "confidence", 0.5, 0.9999,
				  &sc->confidence);
		else if (!strcmp(k, "load"))
			ln = vn;
		else if (!strcmp(k, "repeats")) {
			rc = yint(y, vn, "repeats", 1, 100, &ll);
			sc->repeats = (int)ll;
		} else if (!strcmp(k, "max_error_rate"))
			rc = ynum(y, vn, "max_error_rate", 0, 1,
				  &sc->max_error_rate);
		else if (!strcmp(k, "queue_growth"))
			rc = ynum(y, vn, "queue_growth", 0, 1e6,
				  &sc->queue_growth);
		else
			return yfail(y, kn,
				     "unknown key '%s' (known: name, "
				     "description, seed, targets, workloads, "
				     "sla, confidence, load, repeats, "
				     "max_error_rate, queue_growth)",
				     k);
		if (rc)
			return rc;
	}
	if (!tn || tn->type != YAML_SEQUENCE_NODE ||
	    tn->data.sequence.items.top == tn->data.sequence.items.start)
		return yfail(y, tn ? tn : root,
			     "targets: a non-empty list is required");
	size_t n_entries = 0;
	for (yaml_node_item_t *it = tn->data.sequence.items.start;
	     it < tn->data.sequence.items.top; it++) {
		yaml_node_t *e = ynode(y, *it);
		struct scen_target base;
		struct lnodes ln;
		size_t first = sc->n_targets;
		if (n_entries++ == SCEN_MAX_ENTRIES)
			return yfail(y, e, "targets: more than %d",
				     SCEN_MAX_ENTRIES);
		memset(&base, 0, sizeof(base));
		memset(&ln, 0, sizeof(ln));
		rc = parse_target(y, e, &base, &ln);
		if (!rc)
			rc = expand_target(y, e, &base, &ln, sc);
		target_free(&base);
		if (rc)
			return rc;
		for (size_t n = first; n < sc->n_targets; n++)
			for (size_t i = 0; i < n; i++)
				if (!strcmp(sc->targets[i].name,
					    sc->targets[n].name))
					return yfail(y, e,
						     "target '%s' is defined "
						     "twice (first on line %d)",
						     sc->targets[n].name,
						     sc->targets[i].line);
	}
	if (!wn || wn->type != YAML_SEQUENCE_NODE ||
	    wn->data.sequence.items.top == wn->data.sequence.items.start)
		return yfail(y, wn ? wn : root,
			     "workloads: a non-empty list is required");
	for (yaml_node_item_t *it = wn->data.sequence.items.start;
	     it < wn->data.sequence.items.top; it++) {
		yaml_node_t *e = ynode(y, *it);
		if (sc->n_workloads == SCEN_MAX_WORKLOADS)
			return yfail(y, e, "workloads: more than %d",
				     SCEN_MAX_WORKLOADS);
		struct scen_workload *w = &sc->workloads[sc->n_workloads++];
		rc = parse_workload(y, e, w);
		if (rc)
			return rc;
		for (size_t i = 0; i + 1 < sc->n_workloads; i++)
			if (!strcmp(sc->workloads[i].name, w->name))
				return yfail(y, e,
					     "workload '%s' is defined twice "
					     "(first on line %d)",
					     w->name, sc->workloads[i].line);
	}
	for (size_t i = 0; i < sc->n_workloads; i++)
		if (!sc->workloads[i].has_sla && !sc->has_sla) {
			yaml_node_t fake;
			memset(&fake, 0, sizeof(fake));
			fake.start_mark.line = (size_t)sc->workloads[i].line - 1;
			return yfail(y, &fake,
				     "workload '%s' has no SLA: give a "
				     "top-level 'sla:' or one in the workload",
				     sc->workloads[i].name);
		}
	if (!ln)
		return yfail(y, root,
			     "load: required (e.g. 'load: {concurrency: "
			     "[8, 16, 32, 64]}')");
	return parse_load(y, ln, &sc->load);
}

int scenario_parse(const char *label, const char *text, size_t len,
		   struct scenario *sc, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct yctx y = {label, &doc, err, errlen};
	int rc = 0, have_doc = 0, have_parser = 0;

	memset(sc, 0, sizeof(*sc));
	sc->path = xstrdup(label);
	sc->confidence = 0.95;
	sc->repeats = 1;
	sc->max_error_rate = 0.05;
	sc->queue_growth = 3.0;
	sc->load.bisect_steps = 4;
	sc->load.tolerance = 0.05;
	sc->digest = scenario_fnv1a(text, len);
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "%s: cannot initialise the YAML parser",
			 label);
		rc = -ENOMEM;
		goto out;
	}
	have_parser = 1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%zu:%zu: YAML: %s%s%s", label,
			 parser.problem_mark.line + 1,
			 parser.problem_mark.column + 1,
			 parser.problem ? parser.problem : "syntax error",
			 parser.context ? " " : "",
			 parser.context ? parser.context : "");
		rc = -EINVAL;
		goto out;
	}
	have_doc = 1;
	rc = parse_root(&y, yaml_document_get_root_node(&doc), sc);
	if (!rc && !sc->name)
		sc->name = xstrdup(label);
out:
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	if (rc)
		scenario_free(sc);
	return rc;
}

int scenario_load(const char *path, struct scenario *sc, char *err,
		  size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t len = 0;
	int rc = 0;
	memset(sc, 0, sizeof(*sc));
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	text = xmalloc(SCEN_MAX_FILE_BYTES + 1);
	len = fread(text, 1, SCEN_MAX_FILE_BYTES + 1, f);
	if (ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	if (len > SCEN_MAX_FILE_BYTES) {
		rc = -EFBIG;
		snprintf(err, errlen, "%s: larger than %d bytes", path,
			 SCEN_MAX_FILE_BYTES);
		goto out;
	}
	rc = scenario_parse(path, text, len, sc, err, errlen);
out:
	if (f)
		fclose(f);
	free(text);
	return rc;
}

void scenario_free(struct scenario *sc)
{
	if (!sc)
		return;
	free(sc->path);
	free(sc->name);
	free(sc->description);
	for (size_t i = 0; i < SCEN_MAX_TARGETS; i++)
		target_free(&sc->targets[i]);
	for (size_t i = 0; i < SCEN_MAX_WORKLOADS; i++) {
		struct scen_workload *w = &sc->workloads[i];
		free(w->input_len);
		free(w->output_len);
		free(w->trace);
		for (size_t k = 0; k < w->n_args; k++)
			free(w->args[k]);
	}
	free(sc->load.arrival);
	memset(sc, 0, sizeof(*sc));
}

const struct sla *scenario_sla(const struct scenario *sc,
			       const struct scen_workload *w)
{
	return w->has_sla ? &w->sla : &sc->sla;
}

void scenario_settings_str(const struct scen_target *t, char *buf,
			   size_t len)
{
	size_t o = 0;
	if (len)
		buf[0] = 0;
	for (size_t i = 0; i < t->n_settings && o < len; i++) {
		int n = snprintf(buf + o, len - o, "%s%s=%s", i ? " " : "",
				 t->settings[i].key, t->settings[i].value);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

const char *scenario_wl_kind_name(enum scen_wl_kind k)
{
	static const char *const names[] = {"chat", "rag", "trace", "custom"};
	return (unsigned)k < 4 ? names[k] : "?";
}

double scenario_dist_max(const char *spec)
{
	struct dist d;
	const char *why = NULL;
	double m = -1;
	if (!spec || dist_parse(spec, &d, &why))
		return -1;
	switch (d.kind) {
	case DIST_FIXED:
		m = d.a;
		break;
	case DIST_CHOICE:
		for (size_t i = 0; i < d.nvalues; i++)
			if (d.values[i] > m)
				m = d.values[i];
		break;
	case DIST_UNIFORM:
		m = d.b;
		break;
	case DIST_NORMAL:
	case DIST_LOGNORMAL:
		m = d.a + 4 * d.b;
		break;
	}
	if (d.max > 0 && m > d.max)
		m = d.max;
	return m;
}

uint64_t scenario_fnv1a(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ULL;
	}
	return h;
}
