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
#include "workload/dist.h"

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

static int parse_target(struct yctx *y, yaml_node_t *map,
			struct scen_target *t)
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
		else if (!strcmp(k, "url"))
			rc = ystr(y, vn, "url", &t->url);
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
			rc = ystr(y, vn, "launch", &t->launch);
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
	if (!t->url && !t->simulated)
		return yfail(y, map,
			     "target '%s': needs 'url' (a server) or "
			     "'simulated: paged|reserved'",
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
	if (t->api && strcmp(t->api, "openai-completions") &&
	    strcmp(t->api, "openai-chat") && strcmp(t->api, "tgi"))
		return yfail(y, map,
			     "target '%s': api must be openai-completions, "
			     "openai-chat or tgi, not '%s'",
			     t->name, t->api);
	if (t->url && strncmp(t->url, "http://", 7) &&
	    strncmp(t->url, "https://", 8))
		return yfail(y, map, "target '%s': url must start with http:// "
				     "or https://", t->name);
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
	for (yaml_node_item_t *it = tn->data.sequence.items.start;
	     it < tn->data.sequence.items.top; it++) {
		yaml_node_t *e = ynode(y, *it);
		if (sc->n_targets == SCEN_MAX_TARGETS)
			return yfail(y, e, "targets: more than %d",
				     SCEN_MAX_TARGETS);
		struct scen_target *t = &sc->targets[sc->n_targets++];
		rc = parse_target(y, e, t);
		if (rc)
			return rc;
		for (size_t i = 0; i + 1 < sc->n_targets; i++)
			if (!strcmp(sc->targets[i].name, t->name))
				return yfail(y, e,
					     "target '%s' is defined twice "
					     "(first on line %d)",
					     t->name, sc->targets[i].line);
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
	for (size_t i = 0; i < SCEN_MAX_TARGETS; i++) {
		struct scen_target *t = &sc->targets[i];
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
	}
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
