/* decision.c - boundary cells, winners, GPU counts, reading (decision.h). */
#include "decide/decision.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

int decide_launch_failed(enum decide_launch_state st)
{
	return st == DECIDE_LAUNCH_START_FAILED ||
	       st == DECIDE_LAUNCH_NOT_READY || st == DECIDE_LAUNCH_CRASHED;
}

static const char *const launch_names[] = {"none", "ok", "start_failed",
					   "not_ready", "crashed"};

const char *decide_launch_state_name(enum decide_launch_state st)
{
	return (unsigned)st < 5 ? launch_names[st] : "none";
}

enum decide_launch_state decide_launch_state_parse(const char *s)
{
	for (int i = 0; s && i < 5; i++)
		if (!strcmp(s, launch_names[i]))
			return (enum decide_launch_state)i;
	return DECIDE_LAUNCH_NONE;
}

void decide_set_init(struct decide_set *s, const struct scenario *sc)
{
	memset(s, 0, sizeof(*s));
	s->sc = sc;
	for (size_t t = 0; t < SCEN_MAX_TARGETS; t++) {
		struct decide_launch *l = &s->launch[t];
		l->ready_s = l->crash_load = NAN;
		l->gpu_before_bytes = l->gpu_idle_bytes = NAN;
		l->gpu_after_bytes = NAN;
		l->gpu_released = -1;
	}
	for (size_t t = 0; t < sc->n_targets; t++)
		for (size_t w = 0; w < sc->n_workloads; w++) {
			struct decide_cell *c = &s->cells[s->n_cells++];
			c->target = (int)t;
			c->workload = (int)w;
			c->status = DECIDE_BELOW;
			c->op_level = -1;
			c->tok_s_per_gpu = NAN;
			c->ctx_have = NAN;
		}
}

void decide_set_free(struct decide_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_levels; i++)
		for (size_t k = 0; k < s->levels[i].n_files; k++)
			free(s->levels[i].files[k]);
	free(s->levels);
	for (size_t t = 0; t < SCEN_MAX_TARGETS; t++)
		free(s->launch[t].log_tail);
	memset(s, 0, sizeof(*s));
}

int decide_set_add_level(struct decide_set *s, int target, int workload,
			 double load, char *const *files, size_t n_files,
			 int phase_bisect)
{
	if (s->n_levels == s->cap_levels)
		xgrow((void **)&s->levels, &s->cap_levels, s->n_levels + 1,
		      sizeof(*s->levels));
	struct decide_level *lv = &s->levels[s->n_levels];
	memset(lv, 0, sizeof(*lv));
	lv->target = target;
	lv->workload = workload;
	lv->load = load;
	lv->phase_bisect = phase_bisect;
	for (size_t i = 0; i < n_files && i < DECIDE_MAX_REPEATS; i++)
		lv->files[lv->n_files++] = xstrdup(files[i]);
	return (int)s->n_levels++;
}

static double jnum(const json_t *o, const char *path)
{
	/* dotted path of object keys */
	char key[64];
	const json_t *cur = o;
	while (cur && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(key))
			return NAN;
		memcpy(key, path, n);
		key[n] = 0;
		cur = json_object_get(cur, key);
		path += n + (path[n] == '.');
	}
	return json_is_number(cur) ? json_number_value(cur) : NAN;
}

/* Mean of finite values, NaN when none. */
struct acc {
	double sum;
	size_t n;
};
static void acc_add(struct acc *a, double v)
{
	if (isfinite(v)) {
		a->sum += v;
		a->n++;
	}
}
static double acc_mean(const struct acc *a)
{
	return a->n ? a->sum / (double)a->n : NAN;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void decide_level_metrics(struct decide_level *lv, const json_t *const *docs,
			  const json_t *const *telem, size_t n,
			  const struct sla *sla, int from_arrival)
{
	struct decide_metrics *m = &lv->m;
	enum { OUT, REQ, T50, T99, P99, E50, E99, EMEAN, GMEM, KVA, KVU, KVF,
	       CTX, NACC };
	struct acc a[NACC];
	memset(a, 0, sizeof(a));
	m->out_tok_s_min = INFINITY;
	m->out_tok_s_max = -INFINITY;
	m->sla_p_min_s = INFINITY;
	m->sla_p_max_s = -INFINITY;
	m->simulated = 0;
	for (size_t i = 0; i < n; i++) {
		const json_t *d = docs[i];
		const json_t *run = json_object_get(d, "run");
		double o = jnum(d, "output_throughput");
		acc_add(&a[OUT], o);
		if (o < m->out_tok_s_min)
			m->out_tok_s_min = o;
		if (o > m->out_tok_s_max)
			m->out_tok_s_max = o;
		acc_add(&a[REQ], jnum(d, "request_throughput"));
		acc_add(&a[T50], jnum(d, "metrics.ttft.p50_ms") / 1e3);
		acc_add(&a[T99], jnum(d, "metrics.ttft.p99_ms") / 1e3);
		acc_add(&a[P99], jnum(d, "metrics.tpot.p99_ms") / 1e3);
		acc_add(&a[E50], jnum(d, "metrics.e2el.p50_ms") / 1e3);
		acc_add(&a[E99], jnum(d, "metrics.e2el.p99_ms") / 1e3);
		acc_add(&a[EMEAN], jnum(d, "metrics.e2el.mean_ms") / 1e3);
		if (json_is_true(json_object_get(run, "simulated"))) {
			m->simulated = 1;
			double cap = jnum(run, "memory.kv_capacity_bytes");
			double used = jnum(run, "memory.kv_used_mean_bytes");
			acc_add(&a[GMEM], jnum(run, "memory.gpu_total_bytes"));
			acc_add(&a[KVA],
				jnum(run, "memory.kv_allocated_mean_bytes"));
			acc_add(&a[KVU], used);
			acc_add(&a[KVF], cap > 0 ? used / cap : NAN);
		}
		double ctx = jnum(run, "engine.max_model_len");
		if (!isfinite(ctx))
			ctx = jnum(run, "config.max_model_len");
		acc_add(&a[CTX], ctx);
		if (telem && telem[i]) {
			const json_t *g = json_array_get(
				json_object_get(json_object_get(telem[i], "gpu"),
						"gpus"),
				0);
			acc_add(&a[GMEM],
				jnum(g, "summary.mem_used_bytes.peak"));
			acc_add(&a[KVF],
				jnum(json_object_get(telem[i], "metrics"),
				     "summary.kv_usage_mean"));
		}
		if (sla && sla->n) {
			size_t ns = 0;
			double *v = decide_samples(&d, 1, sla->t[0].metric,
						   from_arrival, &ns);
			if (ns) {
				qsort(v, ns, sizeof(*v), cmp_dbl);
				double h = (double)(ns - 1) * sla->t[0].pct / 100;
				size_t lo = (size_t)h;
				size_t hi = lo + 1 < ns ? lo + 1 : lo;
				double p = isinf(v[hi]) ? v[hi]
					   : v[lo] + (v[hi] - v[lo]) *
							     (h - (double)lo);
				if (p < m->sla_p_min_s)
					m->sla_p_min_s = p;
				if (p > m->sla_p_max_s)
					m->sla_p_max_s = p;
			}
			free(v);
		}
	}
	m->out_tok_s = acc_mean(&a[OUT]);
	m->req_s = acc_mean(&a[REQ]);
	m->ttft_p50_s = acc_mean(&a[T50]);
	m->ttft_p99_s = acc_mean(&a[T99]);
	m->tpot_p99_s = acc_mean(&a[P99]);
	m->e2el_p50_s = acc_mean(&a[E50]);
	m->e2el_p99_s = acc_mean(&a[E99]);
	m->e2el_mean_s = acc_mean(&a[EMEAN]);
	m->gpu_mem_bytes = acc_mean(&a[GMEM]);
	m->kv_alloc_mean_bytes = acc_mean(&a[KVA]);
	m->kv_used_mean_bytes = acc_mean(&a[KVU]);
	m->kv_usage_mean = acc_mean(&a[KVF]);
	m->max_model_len = acc_mean(&a[CTX]);
	if (!n) {
		m->out_tok_s_min = m->out_tok_s_max = NAN;
		m->sla_p_min_s = m->sla_p_max_s = NAN;
	}
}

struct decide_cell *decide_cell_of(struct decide_set *s, int target,
				   int workload)
{
	for (size_t i = 0; i < s->n_cells; i++)
		if (s->cells[i].target == target &&
		    s->cells[i].workload == workload)
			return &s->cells[i];
	return NULL;
}

/* A cell that may be called best: it has an operating point and its
 * server neither failed to start nor crashed. */
static int cell_eligible(const struct decide_set *s, const struct decide_cell *c)
{
	return isfinite(c->tok_s_per_gpu) &&
	       !decide_launch_failed(s->launch[c->target].state);
}

void decide_compute(struct decide_set *s)
{
	const struct scenario *sc = s->sc;
	for (size_t i = 0; i < s->n_cells; i++) {
		struct decide_cell *c = &s->cells[i];
		const struct scen_target *t = &sc->targets[c->target];
		const struct scen_workload *w = &sc->workloads[c->workload];
		int have_lo = 0, have_hi = 0;
		double lo = 0, hi = 0;
		c->op_level = -1;
		c->error = 0;
		c->winner = 0;
		c->group_best = 0;
		c->ctx_have = t->max_model_len > 0 ? (double)t->max_model_len
						   : NAN;
		for (size_t k = 0; k < s->n_levels; k++) {
			const struct decide_level *lv = &s->levels[k];
			if (lv->target != c->target ||
			    lv->workload != c->workload)
				continue;
			if (!lv->ran_ok)
				c->error = 1;
			if (isnan(c->ctx_have) && isfinite(lv->m.max_model_len))
				c->ctx_have = lv->m.max_model_len;
			if (lv->ev.met && lv->ran_ok) {
				if (!have_lo || lv->load > lo) {
					lo = lv->load;
					c->op_level = (int)k;
				}
				have_lo = 1;
			} else if (!have_hi || lv->load < hi) {
				hi = lv->load;
				have_hi = 1;
			}
		}
		c->boundary = have_lo ? lo : 0;
		c->first_fail = have_hi ? hi : 0;
		c->status = !have_hi ? (have_lo ? DECIDE_ABOVE : DECIDE_BELOW)
			    : have_lo ? DECIDE_FOUND
				      : DECIDE_BELOW;
		c->tok_s_per_gpu =
			c->op_level >= 0
				? s->levels[c->op_level].m.out_tok_s / t->gpus
				: NAN;
		double in = scenario_dist_max(w->input_len);
		double out = scenario_dist_max(w->output_len);
		c->ctx_need = in > 0 && out > 0 ? in + out : NAN;
	}
	for (size_t w = 0; w < sc->n_workloads; w++) {
		struct decide_cell *best = NULL;
		for (size_t i = 0; i < s->n_cells; i++) {
			struct decide_cell *c = &s->cells[i];
			if (c->workload != (int)w || !cell_eligible(s, c))
				continue;
			if (!best || c->tok_s_per_gpu > best->tok_s_per_gpu)
				best = c;
			struct decide_cell *gb = NULL;
			for (size_t k = 0; k < s->n_cells; k++) {
				struct decide_cell *o = &s->cells[k];
				if (o->workload == (int)w && o->group_best &&
				    !strcmp(sc->targets[o->target].group,
					    sc->targets[c->target].group))
					gb = o;
			}
			if (!gb || c->tok_s_per_gpu > gb->tok_s_per_gpu) {
				if (gb)
					gb->group_best = 0;
				c->group_best = 1;
			}
		}
		if (best)
			best->winner = 1;
	}
}

int decide_gpus_needed(const struct decide_set *s, const struct decide_cell *c,
		       double peak_rate, double peak_conc, long long *replicas,
		       long long *gpus)
{
	if (c->op_level < 0)
		return -1;
	const struct decide_level *lv = &s->levels[c->op_level];
	double per = NAN, want = NAN;
	if (peak_rate > 0) {
		per = lv->m.req_s;
		want = peak_rate;
	} else if (peak_conc > 0) {
		per = s->sc->load.mode == SCEN_LOAD_CONCURRENCY
			      ? lv->load
			      : lv->m.req_s * lv->m.e2el_mean_s;
		want = peak_conc;
	}
	if (!(per > 0) || !isfinite(want))
		return -1;
	/* 1e-9: a peak equal to the capacity needs one replica, not two */
	*replicas = (long long)ceil(want / per - 1e-9);
	if (*replicas < 1)
		*replicas = 1;
	*gpus = *replicas * s->sc->targets[c->target].gpus;
	return 0;
}

void decide_load_str(const struct scenario *sc, double load, char *buf,
		     size_t len)
{
	if (sc->load.mode == SCEN_LOAD_CONCURRENCY)
		snprintf(buf, len, "c=%g", load);
	else
		snprintf(buf, len, "%g req/s", load);
}

static void fmt_s(char *b, size_t n, double v)
{
	if (isnan(v))
		snprintf(b, n, "n/a");
	else if (isinf(v))
		snprintf(b, n, "inf");
	else if (v < 1)
		snprintf(b, n, "%.0f ms", v * 1e3);
	else
		snprintf(b, n, "%.2f s", v);
}

void decide_print(FILE *f, struct decide_set *s, double peak_rate,
		  double peak_conc)
{
	const struct scenario *sc = s->sc;
	char slab[256], a[32], b[32], c1[32], c2[32];
	for (size_t w = 0; w < sc->n_workloads; w++) {
		const struct scen_workload *wl = &sc->workloads[w];
		sla_format(scenario_sla(sc, wl), slab, sizeof(slab));
		fprintf(f, "\nworkload %s (%s: in %s, out %s)  SLA: %s with "
			   "%.0f%% confidence\n",
			wl->name, scenario_wl_kind_name(wl->kind),
			wl->input_len ? wl->input_len : "trace",
			wl->output_len ? wl->output_len : "trace", slab,
			sc->confidence * 100);
		fprintf(f, "  %-14s %-14s %10s %10s %10s %10s %8s %s\n",
			"target", "max load", "out tok/s", "per GPU",
			"P50 e2el", "P99 e2el", "GPUs", "context");
		for (size_t i = 0; i < s->n_cells; i++) {
			struct decide_cell *c = &s->cells[i];
			if (c->workload != (int)w)
				continue;
			const struct scen_target *t = &sc->targets[c->target];
			const struct decide_level *lv =
				c->op_level >= 0 ? &s->levels[c->op_level]
						 : NULL;
			char load[48], gp[32], ctx[64];
			if (lv) {
				decide_load_str(sc, lv->load, a, sizeof(a));
				snprintf(load, sizeof(load), "%s%s",
					 c->status == DECIDE_ABOVE ? ">=" : "",
					 a);
			} else {
				snprintf(load, sizeof(load), "none");
			}
			long long rep, g;
			if ((peak_rate > 0 || peak_conc > 0) &&
			    !decide_gpus_needed(s, c, peak_rate, peak_conc,
						&rep, &g))
				snprintf(gp, sizeof(gp), "%s%lld",
					 c->status == DECIDE_ABOVE ? "<=" : "",
					 g);
			else
				snprintf(gp, sizeof(gp), "%s",
					 peak_rate > 0 || peak_conc > 0 ? "n/a"
									: "-");
			if (isnan(c->ctx_have))
				snprintf(ctx, sizeof(ctx), "needs %.0f, unknown",
					 c->ctx_need);
			else
				snprintf(ctx, sizeof(ctx), "%s (%.0f of %.0f)",
					 c->ctx_need <= c->ctx_have ? "ok"
								    : "TOO LONG",
					 c->ctx_need, c->ctx_have);
			fmt_s(c1, sizeof(c1), lv ? lv->m.e2el_p50_s : NAN);
			fmt_s(c2, sizeof(c2), lv ? lv->m.e2el_p99_s : NAN);
			snprintf(b, sizeof(b), "%.1f",
				 lv ? lv->m.out_tok_s : NAN);
			char mark[SCEN_MAX_NAME + 32], extra[320];
			const struct decide_launch *la = &s->launch[c->target];
			mark[0] = extra[0] = 0;
			if (c->winner)
				snprintf(mark, sizeof(mark), "  <- best");
			else if (c->group_best && t->n_configs > 1)
				snprintf(mark, sizeof(mark), "  <- best of %s",
					 t->group);
			if (t->n_settings) {
				char st[256];
				scenario_settings_str(t, st, sizeof(st));
				snprintf(extra, sizeof(extra), "  [%s]", st);
			}
			if (decide_launch_failed(la->state))
				snprintf(extra + strlen(extra),
					 sizeof(extra) - strlen(extra),
					 "  (%s)", la->detail);
			fprintf(f, "  %-14s %-14s %10s %10.1f %10s %10s %8s %s%s%s%s\n",
				t->name, load, lv ? b : "n/a",
				c->tok_s_per_gpu, c1, c2, gp, ctx, mark,
				c->error && !decide_launch_failed(la->state)
					? "  (some points failed to run)"
					: "",
				extra);
		}
	}
	decide_print_launches(f, s);
	if (peak_rate > 0)
		fprintf(f, "\nGPUs: for a peak of %g req/s, replicas = "
			   "ceil(peak / req/s at the operating point) x the "
			   "target's GPUs.\n", peak_rate);
	else if (peak_conc > 0)
		fprintf(f, "\nGPUs: for a peak of %g concurrent requests, "
			   "replicas = ceil(peak / concurrency per replica) x "
			   "the target's GPUs.\n", peak_conc);
	fprintf(f, "\nReading (generated from the measured numbers):\n");
	decide_explain(f, s);
}

/* Highest load that both levels sets measured for cells a and b. */
static int common_load(struct decide_set *s, const struct decide_cell *x,
		       const struct decide_cell *y, int *ia, int *ib)
{
	int found = 0;
	double best = -1;
	for (size_t i = 0; i < s->n_levels; i++) {
		const struct decide_level *p = &s->levels[i];
		if (p->target != x->target || p->workload != x->workload ||
		    !p->ran_ok)
			continue;
		for (size_t k = 0; k < s->n_levels; k++) {
			const struct decide_level *q = &s->levels[k];
			if (q->target != y->target ||
			    q->workload != y->workload || !q->ran_ok ||
			    q->load != p->load || !p->ev.met || !q->ev.met)
				continue;
			if (p->load > best) {
				best = p->load;
				*ia = (int)i;
				*ib = (int)k;
				found = 1;
			}
		}
	}
	return found;
}

/* One line per group with several configurations: its best one against
 * the runner-up of the same group. */
static void explain_configs(FILE *f, const struct decide_set *s, int w)
{
	const struct scenario *sc = s->sc;
	char la[32], st[256], st2[256];
	for (size_t i = 0; i < s->n_cells; i++) {
		const struct decide_cell *b = &s->cells[i], *r = NULL;
		const struct scen_target *t = &sc->targets[b->target];
		if (b->workload != w || !b->group_best || t->n_configs < 2)
			continue;
		size_t n_fail = 0;
		for (size_t k = 0; k < s->n_cells; k++) {
			const struct decide_cell *c = &s->cells[k];
			if (c->workload != w || c == b ||
			    strcmp(sc->targets[c->target].group, t->group))
				continue;
			if (decide_launch_failed(s->launch[c->target].state))
				n_fail++;
			else if (isfinite(c->tok_s_per_gpu) &&
				 (!r || c->tok_s_per_gpu > r->tok_s_per_gpu))
				r = c;
		}
		scenario_settings_str(t, st, sizeof(st));
		decide_load_str(sc, s->levels[b->op_level].load, la, sizeof(la));
		fprintf(f, "- %s: best configuration of %s: %s (%s), %.0f tok/s "
			   "per GPU at %s",
			sc->workloads[w].name, t->group, t->name, st,
			b->tok_s_per_gpu, la);
		if (r) {
			scenario_settings_str(&sc->targets[r->target], st2,
					      sizeof(st2));
			fprintf(f, "; next %s (%s) %.0f (%+.0f%%)",
				sc->targets[r->target].name, st2,
				r->tok_s_per_gpu,
				(r->tok_s_per_gpu / b->tok_s_per_gpu - 1) * 100);
		}
		if (n_fail)
			fprintf(f, "; %zu configuration(s) failed to start, never "
				   "became ready or crashed (not eligible)",
				n_fail);
		fprintf(f, ".\n");
	}
}

void decide_print_launches(FILE *f, const struct decide_set *s)
{
	const struct scenario *sc = s->sc;
	int any = 0;
	char st[256];
	for (size_t t = 0; t < sc->n_targets; t++)
		if (s->launch[t].state != DECIDE_LAUNCH_NONE)
			any = 1;
	if (!any)
		return;
	fprintf(f, "\nLaunched configurations:\n");
	for (size_t t = 0; t < sc->n_targets; t++)
		if (s->launch[t].state != DECIDE_LAUNCH_NONE &&
		    s->launch[t].gpu_released < 0 && s->launch[t].gpu_note[0]) {
			fprintf(f, "  (%s)\n", s->launch[t].gpu_note);
			break;
		}
	for (size_t ti = 0; ti < sc->n_targets; ti++) {
		const struct scen_target *t = &sc->targets[ti];
		const struct decide_launch *l = &s->launch[ti];
		if (!t->launch)
			continue;
		scenario_settings_str(t, st, sizeof(st));
		fprintf(f, "  %-14s %-30s %s", t->name, st[0] ? st : "-",
			l->state == DECIDE_LAUNCH_NONE ? "not launched"
						       : l->detail);
		if (isfinite(l->ready_s) && l->state != DECIDE_LAUNCH_NONE)
			fprintf(f, "; ready in %.1f s", l->ready_s);
		if (isfinite(l->gpu_idle_bytes) &&
		    isfinite(l->gpu_before_bytes))
			fprintf(f, "; GPU idle %.2f GiB (%.2f GiB over the "
				   "pre-launch %.2f)",
				l->gpu_idle_bytes / GIB,
				(l->gpu_idle_bytes - l->gpu_before_bytes) / GIB,
				l->gpu_before_bytes / GIB);
		if (l->gpu_released == 1)
			fprintf(f, "; GPU memory released");
		else if (l->gpu_released == 0)
			fprintf(f, "; GPU memory NOT released (%.2f GiB after "
				   "the stop)",
				l->gpu_after_bytes / GIB);
		else if (l->state != DECIDE_LAUNCH_NONE)
			fprintf(f, "; GPU memory not checked");
		if (l->stop_killed)
			fprintf(f, "; needed SIGKILL");
		for (size_t w = 0; w < sc->n_workloads; w++)
			for (size_t i = 0; i < s->n_cells; i++)
				if (s->cells[i].target == (int)ti &&
				    s->cells[i].workload == (int)w &&
				    s->cells[i].group_best &&
				    t->n_configs > 1)
					fprintf(f, "; best of %s for %s",
						t->group, sc->workloads[w].name);
		fprintf(f, "\n");
		if (decide_launch_failed(l->state) && l->log_tail &&
		    l->log_tail[0]) {
			fprintf(f, "    log tail (%s):\n", l->log);
			const char *p = l->log_tail;
			while (*p) {
				size_t n = strcspn(p, "\n");
				fprintf(f, "    | %.*s\n", (int)n, p);
				p += n + (p[n] == '\n');
			}
		}
	}
}

void decide_explain(FILE *f, struct decide_set *s)
{
	const struct scenario *sc = s->sc;
	char la[32], lb[32], x1[32], x2[32];
	for (size_t w = 0; w < sc->n_workloads; w++) {
		const struct decide_cell *best = NULL, *second = NULL;
		size_t n_ok = 0;
		for (size_t i = 0; i < s->n_cells; i++) {
			const struct decide_cell *c = &s->cells[i];
			if (c->workload != (int)w)
				continue;
			if (!isfinite(c->tok_s_per_gpu) || !c->group_best)
				continue;
			n_ok++;
			if (!best || c->tok_s_per_gpu > best->tok_s_per_gpu) {
				second = best;
				best = c;
			} else if (!second ||
				   c->tok_s_per_gpu > second->tok_s_per_gpu) {
				second = c;
			}
		}
		const char *wn = sc->workloads[w].name;
		explain_configs(f, s, (int)w);
		if (!best) {
			fprintf(f, "- %s: no target met the SLA at any load "
				   "tried; relax the SLA or start the ladder "
				   "lower.\n", wn);
			continue;
		}
		const struct decide_level *lb_ = &s->levels[best->op_level];
		decide_load_str(sc, lb_->load, la, sizeof(la));
		if (!second && sc->targets[best->target].n_configs > 1)
			continue; /* said by explain_configs */
		if (!second) {
			fprintf(f, "- %s: only %s meets the SLA (up to %s%s, "
				   "%.0f tok/s per GPU).\n",
				wn, sc->targets[best->target].name,
				best->status == DECIDE_ABOVE ? "at least " : "",
				la, best->tok_s_per_gpu);
			continue;
		}
		const struct decide_level *ls = &s->levels[second->op_level];
		decide_load_str(sc, ls->load, lb, sizeof(lb));
		double gain = (best->tok_s_per_gpu / second->tok_s_per_gpu - 1) *
			      100;
		fprintf(f, "- %s: %s gives the most throughput under the SLA: "
			   "%.0f tok/s per GPU at %s vs %.0f for %s at %s "
			   "(%+.0f%%)%s.",
			wn, sc->targets[best->target].name, best->tok_s_per_gpu,
			la, second->tok_s_per_gpu,
			sc->targets[second->target].name, lb, gain,
			fabs(gain) < 5 ? ", within 5%: close to a tie" : "");
		if (best->status == DECIDE_ABOVE || second->status == DECIDE_ABOVE)
			fprintf(f, " (a target that met the SLA at the top of "
				   "the ladder may go higher)");
		int ia, ib;
		if (common_load(s, best, second, &ia, &ib)) {
			const struct decide_level *p = &s->levels[ia],
						  *q = &s->levels[ib];
			decide_load_str(sc, p->load, la, sizeof(la));
			fmt_s(x1, sizeof(x1), p->m.e2el_p99_s);
			fmt_s(x2, sizeof(x2), q->m.e2el_p99_s);
			fprintf(f, " Tail latency at the same load (%s): P99 "
				   "e2el %s for %s vs %s for %s",
				la, x1, sc->targets[best->target].name, x2,
				sc->targets[second->target].name);
			fmt_s(x1, sizeof(x1), p->m.ttft_p99_s);
			fmt_s(x2, sizeof(x2), q->m.ttft_p99_s);
			fprintf(f, ", P99 TTFT %s vs %s.", x1, x2);
		}
		double ma = lb_->m.kv_alloc_mean_bytes,
		       mb = ls->m.kv_alloc_mean_bytes;
		if (isfinite(ma) && isfinite(mb) && ma > 0 && mb > 0) {
			fprintf(f, " Memory: KV allocated %.2f vs %.2f GiB "
				   "(used %.2f vs %.2f) at the operating points, "
				   "%.0f vs %.0f tok/s per GiB allocated",
				ma / GIB, mb / GIB,
				lb_->m.kv_used_mean_bytes / GIB,
				ls->m.kv_used_mean_bytes / GIB,
				lb_->m.out_tok_s / (ma / GIB),
				ls->m.out_tok_s / (mb / GIB));
			if (isfinite(lb_->m.gpu_mem_bytes) &&
			    isfinite(ls->m.gpu_mem_bytes))
				fprintf(f, "; device memory %.1f vs %.1f GiB "
					   "(preallocated, flat across load)",
					lb_->m.gpu_mem_bytes / GIB,
					ls->m.gpu_mem_bytes / GIB);
			fprintf(f, ".");
		} else if (isfinite(lb_->m.kv_usage_mean) &&
			   isfinite(ls->m.kv_usage_mean)) {
			fprintf(f, " Memory: mean KV pool use %.0f%% vs %.0f%% "
				   "at the operating points.",
				lb_->m.kv_usage_mean * 100,
				ls->m.kv_usage_mean * 100);
		} else {
			fprintf(f, " Memory was not recorded for these targets "
				   "(give metrics_url / dcgm_url).");
		}
		fprintf(f, "\n");
		(void)n_ok;
	}
}
