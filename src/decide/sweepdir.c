/* sweepdir.c - sweep directory layout and manifest (see sweepdir.h). */
#include "decide/sweepdir.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "results/json.h"

#define SWEEPDIR_MAX_MANIFEST (64 << 20)

char *sweepdir_point_stem(const struct scenario *sc, int target,
			  int workload, double load, int rep)
{
	return xasprintf("points/%s.%s.%c%g.rep%d",
			 sc->targets[target].name, sc->workloads[workload].name,
			 sc->load.mode == SCEN_LOAD_CONCURRENCY ? 'c' : 'r',
			 load, rep);
}

int sweepdir_point_valid(const char *path)
{
	json_t *doc = NULL;
	char err[256];
	if (results_json_load(path, &doc, err, sizeof(err)))
		return 0;
	int ok = !json_is_true(json_object_get(doc, "interrupted"));
	json_decref(doc);
	return ok;
}

char *sweepdir_read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *b = xmalloc(max + 1);
	size_t n = fread(b, 1, max + 1, f);
	int bad = ferror(f) || n > max;
	fclose(f);
	if (bad) {
		free(b);
		errno = EFBIG;
		return NULL;
	}
	b[n] = 0;
	if (len)
		*len = n;
	return b;
}

/* "<stem>.telemetry.json" for "<stem>.json". */
static char *sidecar(const char *file, const char *ext)
{
	size_t n = strlen(file);
	if (n > 5 && !strcmp(file + n - 5, ".json"))
		n -= 5;
	return xasprintf("%.*s%s", (int)n, file, ext);
}

int sweepdir_level_load(struct decide_level *lv, const struct scenario *sc,
			char *err, size_t errlen)
{
	json_t *docs[DECIDE_MAX_REPEATS] = {0};
	json_t *tel[DECIDE_MAX_REPEATS] = {0};
	size_t n = 0;
	int rc = 0;
	const struct sla *sla = scenario_sla(sc, &sc->workloads[lv->workload]);
	struct decide_limits lim = {sc->confidence, sc->max_error_rate,
				    sc->queue_growth,
				    sc->load.mode == SCEN_LOAD_RATE};
	lv->ran_ok = 0;
	for (; n < lv->n_files; n++) {
		char e[256];
		int lrc = results_json_load(lv->files[n], &docs[n], e, sizeof(e));
		if (lrc) {
			snprintf(err, errlen, "%s: %s", lv->files[n],
				 lrc == -EINVAL ? e : strerror(-lrc));
			rc = -1;
			goto out;
		}
		char *tp = sidecar(lv->files[n], ".telemetry.json");
		json_error_t je;
		tel[n] = json_load_file(tp, 0, &je);
		free(tp);
	}
	if (decide_eval_docs((const json_t *const *)docs, n, sla, &lim,
			     &lv->ev)) {
		snprintf(err, errlen, "%s: no requests[] to evaluate",
			 lv->files[0]);
		rc = -1;
		goto out;
	}
	decide_level_metrics(lv, (const json_t *const *)docs,
			     (const json_t *const *)tel, n, sla,
			     lim.from_arrival);
	lv->ran_ok = n > 0;
out:
	for (size_t i = 0; i < DECIDE_MAX_REPEATS; i++) {
		json_decref(docs[i]);
		json_decref(tel[i]);
	}
	return rc;
}

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static const char *rel(const char *dir, const char *path)
{
	size_t n = strlen(dir);
	if (!strncmp(path, dir, n) && path[n] == '/')
		return path + n + 1;
	return path;
}

json_t *sweepdir_manifest(const struct decide_set *s, const char *dir,
			  const char *text, int virtual_time, int complete)
{
	const struct scenario *sc = s->sc;
	json_t *m = json_object(), *levels = json_array(), *cells = json_array();
	char dig[32];
	snprintf(dig, sizeof(dig), "%016" PRIx64, sc->digest);
	json_object_set_new(m, "format", json_string(SWEEPDIR_FORMAT));
	json_object_set_new(m, "version", json_integer(SWEEPDIR_VERSION));
	json_object_set_new(m, "scenario_path", json_string(sc->path));
	json_object_set_new(m, "scenario_name", json_string(sc->name));
	json_object_set_new(m, "scenario_digest", json_string(dig));
	json_object_set_new(m, "scenario_text", json_string(text));
	json_object_set_new(m, "virtual_time", json_boolean(virtual_time));
	json_object_set_new(m, "complete", json_boolean(complete));
	json_object_set_new(m, "load_mode",
			    json_string(sc->load.mode == SCEN_LOAD_CONCURRENCY
						? "concurrency"
						: "rate"));
	json_object_set_new(m, "confidence", json_real(sc->confidence));
	for (size_t i = 0; i < s->n_levels; i++) {
		const struct decide_level *lv = &s->levels[i];
		json_t *l = json_object(), *files = json_array(),
		       *terms = json_array();
		json_object_set_new(l, "target",
				    json_string(sc->targets[lv->target].name));
		json_object_set_new(l, "workload",
				    json_string(sc->workloads[lv->workload].name));
		json_object_set_new(l, "load", json_real(lv->load));
		json_object_set_new(l, "phase", json_string(lv->phase_bisect
								    ? "bisect"
								    : "ladder"));
		for (size_t k = 0; k < lv->n_files; k++)
			json_array_append_new(files,
					      json_string(rel(dir, lv->files[k])));
		json_object_set_new(l, "files", files);
		json_object_set_new(l, "ran_ok", json_boolean(lv->ran_ok));
		json_object_set_new(l, "met", json_boolean(lv->ev.met));
		json_object_set_new(l, "saturated",
				    json_boolean(lv->ev.saturated));
		json_object_set_new(l, "why", json_string(lv->ev.why));
		json_object_set_new(l, "error_rate", jnum(lv->ev.error_rate));
		json_object_set_new(l, "ttft_growth", jnum(lv->ev.ttft_growth));
		for (size_t k = 0; k < lv->ev.n_terms; k++) {
			const struct decide_term_eval *t = &lv->ev.terms[k];
			json_t *o = json_object();
			json_object_set_new(o, "pct", json_real(t->term.pct));
			json_object_set_new(o, "metric",
					    json_string(sla_metric_name(
						    t->term.metric)));
			json_object_set_new(o, "limit_s",
					    json_real(t->term.limit_s));
			json_object_set_new(o, "n", json_integer((json_int_t)t->n));
			json_object_set_new(o, "estimate_s", jnum(t->estimate_s));
			json_object_set_new(o, "bound_s", jnum(t->bound_s));
			json_object_set_new(o, "sufficient",
					    json_boolean(t->sufficient));
			json_object_set_new(o, "met", json_boolean(t->met));
			json_array_append_new(terms, o);
		}
		json_object_set_new(l, "terms", terms);
		json_object_set_new(l, "output_throughput",
				    jnum(lv->m.out_tok_s));
		json_object_set_new(l, "output_throughput_min",
				    jnum(lv->m.out_tok_s_min));
		json_object_set_new(l, "output_throughput_max",
				    jnum(lv->m.out_tok_s_max));
		json_object_set_new(l, "request_throughput", jnum(lv->m.req_s));
		json_object_set_new(l, "e2el_p50_s", jnum(lv->m.e2el_p50_s));
		json_object_set_new(l, "e2el_p99_s", jnum(lv->m.e2el_p99_s));
		json_array_append_new(levels, l);
	}
	for (size_t i = 0; i < s->n_cells; i++) {
		const struct decide_cell *c = &s->cells[i];
		json_t *o = json_object();
		json_object_set_new(o, "target",
				    json_string(sc->targets[c->target].name));
		json_object_set_new(o, "workload",
				    json_string(sc->workloads[c->workload].name));
		json_object_set_new(o, "status",
				    json_string(decide_status_name(c->status)));
		json_object_set_new(o, "boundary", json_real(c->boundary));
		json_object_set_new(o, "first_fail", json_real(c->first_fail));
		json_object_set_new(o, "tok_s_per_gpu", jnum(c->tok_s_per_gpu));
		json_object_set_new(o, "winner", json_boolean(c->winner));
		json_object_set_new(o, "context_needed", jnum(c->ctx_need));
		json_object_set_new(o, "context_max", jnum(c->ctx_have));
		json_object_set_new(o, "error", json_boolean(c->error));
		json_array_append_new(cells, o);
	}
	json_object_set_new(m, "levels", levels);
	json_object_set_new(m, "cells", cells);
	json_t *cfgs = json_array();
	for (size_t t = 0; t < sc->n_targets; t++)
		json_array_append_new(cfgs, sweepdir_config_json(s, (int)t));
	json_object_set_new(m, "configurations", cfgs);
	return m;
}

json_t *sweepdir_config_json(const struct decide_set *s, int ti)
{
	const struct scen_target *t = &s->sc->targets[ti];
	const struct decide_launch *l = &s->launch[ti];
	json_t *o = json_object(), *st = json_object();
	json_object_set_new(o, "target", json_string(t->name));
	json_object_set_new(o, "group", json_string(t->group));
	json_object_set_new(o, "config", json_integer(t->config));
	json_object_set_new(o, "n_configs", json_integer(t->n_configs));
	for (size_t k = 0; k < t->n_settings; k++)
		json_object_set_new(st, t->settings[k].key,
				    json_string(t->settings[k].value));
	json_object_set_new(o, "settings", st);
	if (!t->launch || l->state == DECIDE_LAUNCH_NONE) {
		json_object_set_new(o, "launch", json_null());
		return o;
	}
	json_t *j = json_object();
	json_object_set_new(j, "state",
			    json_string(decide_launch_state_name(l->state)));
	json_object_set_new(j, "detail", json_string(l->detail));
	json_object_set_new(j, "command", json_string(l->command));
	json_object_set_new(j, "log", json_string(l->log));
	json_object_set_new(j, "ready_s", jnum(l->ready_s));
	json_object_set_new(j, "exit", json_string(l->exit));
	json_object_set_new(j, "log_tail",
			    l->log_tail ? json_string(l->log_tail) : json_null());
	json_object_set_new(j, "crash_workload",
			    l->crash_workload[0] ? json_string(l->crash_workload)
						 : json_null());
	json_object_set_new(j, "crash_load", jnum(l->crash_load));
	json_object_set_new(j, "stop_killed", json_boolean(l->stop_killed));
	json_object_set_new(j, "gpu_before_bytes", jnum(l->gpu_before_bytes));
	json_object_set_new(j, "gpu_idle_bytes", jnum(l->gpu_idle_bytes));
	json_object_set_new(j, "gpu_after_bytes", jnum(l->gpu_after_bytes));
	json_object_set_new(j, "gpu_released",
			    l->gpu_released < 0 ? json_null()
						: json_boolean(l->gpu_released));
	json_object_set_new(j, "gpu_note", json_string(l->gpu_note));
	json_object_set_new(o, "launch", j);
	return o;
}

static double jget_num(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void jget_str(const json_t *o, const char *k, char *buf, size_t len)
{
	snprintf(buf, len, "%s",
		 json_string_value(json_object_get(o, k)) ?: "");
}

void sweepdir_launch_from_json(struct decide_launch *l, const json_t *o)
{
	const json_t *rel_v = json_object_get(o, "gpu_released");
	const char *tail = json_string_value(json_object_get(o, "log_tail"));
	free(l->log_tail);
	memset(l, 0, sizeof(*l));
	l->state = decide_launch_state_parse(
		json_string_value(json_object_get(o, "state")));
	jget_str(o, "detail", l->detail, sizeof(l->detail));
	jget_str(o, "command", l->command, sizeof(l->command));
	jget_str(o, "log", l->log, sizeof(l->log));
	jget_str(o, "exit", l->exit, sizeof(l->exit));
	jget_str(o, "crash_workload", l->crash_workload,
		 sizeof(l->crash_workload));
	jget_str(o, "gpu_note", l->gpu_note, sizeof(l->gpu_note));
	l->ready_s = jget_num(o, "ready_s");
	l->crash_load = jget_num(o, "crash_load");
	l->gpu_before_bytes = jget_num(o, "gpu_before_bytes");
	l->gpu_idle_bytes = jget_num(o, "gpu_idle_bytes");
	l->gpu_after_bytes = jget_num(o, "gpu_after_bytes");
	l->stop_killed = json_is_true(json_object_get(o, "stop_killed"));
	l->gpu_released = json_is_boolean(rel_v) ? json_is_true(rel_v) : -1;
	l->log_tail = tail ? xstrdup(tail) : NULL;
}

int sweepdir_write_launch(const char *dir, const struct decide_set *s,
			  int ti)
{
	char *path = xasprintf("%s/launch/%s.json", dir,
			       s->sc->targets[ti].name);
	char *tmp = NULL;
	int rc = 0;
	json_t *o = sweepdir_config_json(s, ti);
	FILE *f = results_atomic_open(path, &tmp, &rc);
	if (f) {
		int ok = json_dumpf(o, f, JSON_INDENT(1) |
						  JSON_REAL_PRECISION(12)) == 0;
		if (ok)
			fputc('\n', f);
		rc = results_atomic_commit(f, &tmp, path, ok);
	}
	json_decref(o);
	free(path);
	return rc;
}

void sweepdir_load_launches(const char *dir, struct decide_set *s)
{
	for (size_t t = 0; t < s->sc->n_targets; t++) {
		if (!s->sc->targets[t].launch)
			continue;
		char *path = xasprintf("%s/launch/%s.json", dir,
				       s->sc->targets[t].name);
		json_error_t je;
		json_t *o = json_load_file(path, 0, &je);
		const json_t *l = json_object_get(o, "launch");
		if (json_is_object(l))
			sweepdir_launch_from_json(&s->launch[t], l);
		json_decref(o);
		free(path);
	}
}

int sweepdir_write_manifest(const char *dir, const json_t *m)
{
	char *path = xasprintf("%s/%s", dir, SWEEPDIR_MANIFEST);
	char *tmp = NULL;
	int rc = 0;
	FILE *f = results_atomic_open(path, &tmp, &rc);
	if (f) {
		int ok = json_dumpf(m, f, JSON_INDENT(1) | JSON_REAL_PRECISION(15)) ==
			 0;
		if (ok)
			fputc('\n', f);
		rc = results_atomic_commit(f, &tmp, path, ok);
	}
	free(path);
	return rc;
}

static int find_name(const struct scenario *sc, int targets, const char *n)
{
	size_t cnt = targets ? sc->n_targets : sc->n_workloads;
	for (size_t i = 0; i < cnt; i++)
		if (!strcmp(targets ? sc->targets[i].name
				    : sc->workloads[i].name,
			    n))
			return (int)i;
	return -1;
}

int sweepdir_open(const char *dir, struct scenario *sc, struct decide_set *set,
		  char *err, size_t errlen)
{
	char *path = xasprintf("%s/%s", dir, SWEEPDIR_MANIFEST);
	json_error_t je;
	json_t *m = json_load_file(path, 0, &je);
	int rc = -1;
	memset(sc, 0, sizeof(*sc));
	memset(set, 0, sizeof(*set));
	if (!m) {
		snprintf(err, errlen, "%s: %s", path, je.text);
		goto out;
	}
	if (strcmp(json_string_value(json_object_get(m, "format")) ?: "",
		   SWEEPDIR_FORMAT)) {
		snprintf(err, errlen, "%s: not an infbench sweep manifest",
			 path);
		goto out;
	}
	const char *text =
		json_string_value(json_object_get(m, "scenario_text"));
	const char *spath =
		json_string_value(json_object_get(m, "scenario_path"));
	if (!text || scenario_parse(spath ? spath : path, text, strlen(text),
				    sc, err, errlen))
		goto out;
	decide_set_init(set, sc);
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(m, "levels"), i, l)
	{
		int t = find_name(sc, 1,
				  json_string_value(json_object_get(l, "target"))
					  ?: "");
		int w = find_name(
			sc, 0,
			json_string_value(json_object_get(l, "workload")) ?: "");
		if (t < 0 || w < 0) {
			snprintf(err, errlen, "%s: level %zu names an unknown "
					      "target or workload", path, i);
			goto out;
		}
		char *files[DECIDE_MAX_REPEATS];
		size_t nf = 0, k;
		json_t *fv;
		json_array_foreach(json_object_get(l, "files"), k, fv)
		{
			if (nf < DECIDE_MAX_REPEATS && json_string_value(fv))
				files[nf++] = xasprintf("%s/%s", dir,
							json_string_value(fv));
		}
		const char *ph = json_string_value(json_object_get(l, "phase"));
		int idx = decide_set_add_level(
			set, t, w, json_number_value(json_object_get(l, "load")),
			files, nf, ph && !strcmp(ph, "bisect"));
		for (k = 0; k < nf; k++)
			free(files[k]);
		char e[256];
		if (json_is_true(json_object_get(l, "ran_ok")) &&
		    sweepdir_level_load(&set->levels[idx], sc, e, sizeof(e))) {
			snprintf(err, errlen, "%s", e);
			goto out;
		}
	}
	sweepdir_load_launches(dir, set);
	decide_compute(set);
	rc = 0;
out:
	if (rc) {
		decide_set_free(set);
		scenario_free(sc);
	}
	json_decref(m);
	free(path);
	return rc;
}
