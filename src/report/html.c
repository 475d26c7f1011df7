/* html.c - self-contained HTML report with inline SVG (see html.h). */
#include "report/html.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "decide/eval.h"
#include "decide/sweepdir.h"
#include "report/svg.h"
#include "report/tables.h"
#include "results/json.h"

#define GIB (1024.0 * 1024.0 * 1024.0)
#define HTML_TL_BUCKETS 200 /* tok/s buckets over a run */

struct vec {
	double *v;
	size_t n, cap;
};

static void vpush(struct vec *a, double x)
{
	if (a->n == a->cap)
		xgrow((void **)&a->v, &a->cap, a->n + 1, sizeof(double));
	a->v[a->n++] = x;
}

/* One chart's per-target data (x, y) kept until rendering. */
struct pair {
	struct vec x, y;
	unsigned char *hollow;
	long hl;
	int target;
	int dashed;
	char *own;   /* owned name, freed with the pair */
	const char *name;
};

static void pair_free(struct pair *p)
{
	free(p->x.v);
	free(p->y.v);
	free(p->hollow);
	free(p->own);
	memset(p, 0, sizeof(*p));
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double num(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

struct ev {
	double t;
	int d;
};

static int cmp_ev(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;
	if (x->t != y->t)
		return (x->t > y->t) - (x->t < y->t);
	return x->d - y->d; /* ends before starts */
}

/* In-flight requests over time (step series) from requests[]. */
static void inflight(const json_t *doc, struct pair *p)
{
	const json_t *reqs = json_object_get(doc, "requests");
	size_t n = json_array_size(reqs), k = 0, i;
	struct ev *e = xcalloc(2 * n + 1, sizeof(*e));
	const json_t *r;
	json_array_foreach(reqs, i, r)
	{
		double a = num(r, "t_send"), b = num(r, "t_done");
		if (json_is_true(json_object_get(r, "warmup")) ||
		    !isfinite(a) || !isfinite(b))
			continue;
		e[k++] = (struct ev){a, 1};
		e[k++] = (struct ev){b, -1};
	}
	qsort(e, k, sizeof(*e), cmp_ev);
	int cur = 0;
	for (size_t j = 0; j < k; j++) {
		cur += e[j].d;
		vpush(&p->x, e[j].t);
		vpush(&p->y, cur);
	}
	free(e);
}

/* Output tokens/s in HTML_TL_BUCKETS buckets (at least 1 s wide). */
static void tok_rate(const json_t *doc, struct pair *p)
{
	const json_t *reqs = json_object_get(doc, "requests");
	double t_end = 0;
	size_t i;
	const json_t *r;
	json_array_foreach(reqs, i, r)
	{
		double d = num(r, "t_done");
		if (isfinite(d) && d > t_end)
			t_end = d;
	}
	double w = fmax(1.0, t_end / HTML_TL_BUCKETS);
	size_t nb = (size_t)ceil(t_end / w) + 1;
	double *b = xcalloc(nb, sizeof(double));
	json_array_foreach(reqs, i, r)
	{
		double ts = num(r, "t_send");
		if (json_is_true(json_object_get(r, "warmup")) || !isfinite(ts))
			continue;
		const json_t *ct = json_object_get(r, "chunk_t");
		const json_t *tk = json_object_get(r, "chunk_tokens");
		for (size_t k = 0; k < json_array_size(ct); k++) {
			double t = ts + json_number_value(json_array_get(ct, k));
			json_int_t d = json_integer_value(json_array_get(tk, k));
			size_t bi = (size_t)(t / w);
			if (bi < nb)
				b[bi] += d > 0 ? (double)d : 1;
		}
	}
	for (size_t k = 0; k < nb; k++) {
		vpush(&p->x, ((double)k + 0.5) * w);
		vpush(&p->y, b[k] / w);
	}
	free(b);
}

static char *sidecar(const char *file, const char *ext)
{
	size_t n = strlen(file);
	if (n > 5 && !strcmp(file + n - 5, ".json"))
		n -= 5;
	return xasprintf("%.*s%s", (int)n, file, ext);
}

/* KV use (% of pool) over time: simulated timeline CSV, else the
 * telemetry sidecar. alloc gets the allocated share where known. */
static void kv_series(const char *file, const json_t *doc, struct pair *used,
		      struct pair *alloc)
{
	char *csv = sidecar(file, ".timeline.csv");
	char *text = sweepdir_read_file(csv, 256u << 20, NULL);
	free(csv);
	const json_t *mem = json_object_get(json_object_get(doc, "run"),
					    "memory");
	double cap = num(mem, "kv_capacity_bytes") /
		     num(mem, "kv_bytes_per_token");
	if (text && cap > 0) {
		char *line = strchr(text, '\n');
		while (line && *++line) {
			double t, run, wait, bt, ku, ka;
			if (sscanf(line, "%lf,%lf,%lf,%lf,%lf,%lf", &t, &run,
				   &wait, &bt, &ku, &ka) == 6) {
				vpush(&used->x, t);
				vpush(&used->y, ku / cap * 100);
				vpush(&alloc->x, t);
				vpush(&alloc->y, ka / cap * 100);
			}
			line = strchr(line, '\n');
		}
		free(text);
		return;
	}
	free(text);
	char *tp = sidecar(file, ".telemetry.json");
	json_error_t je;
	json_t *tel = json_load_file(tp, 0, &je);
	free(tp);
	const json_t *tl = json_object_get(json_object_get(tel, "metrics"),
					   "timeline");
	const json_t *ts = json_object_get(tl, "t_s"),
		     *ku = json_object_get(tl, "kv_usage");
	for (size_t k = 0; k < json_array_size(ts); k++) {
		const json_t *v = json_array_get(ku, k);
		if (!json_is_number(v))
			continue;
		vpush(&used->x, json_number_value(json_array_get(ts, k)));
		vpush(&used->y, json_number_value(v) * 100);
	}
	json_decref(tel);
}

/* Device memory (GiB) over time: telemetry sidecar (DCGM), else the
 * simulated engine's preallocated total as a flat line. */
static int gpu_series(const char *file, const json_t *doc, struct pair *p)
{
	char *tp = sidecar(file, ".telemetry.json");
	json_error_t je;
	json_t *tel = json_load_file(tp, 0, &je);
	free(tp);
	const json_t *g = json_array_get(
		json_object_get(json_object_get(tel, "gpu"), "gpus"), 0);
	const json_t *tl = json_object_get(g, "timeline");
	const json_t *ts = json_object_get(tl, "t_s"),
		     *mu = json_object_get(tl, "mem_used_bytes");
	int sim = 0;
	for (size_t k = 0; k < json_array_size(ts); k++) {
		const json_t *v = json_array_get(mu, k);
		if (!json_is_number(v))
			continue;
		vpush(&p->x, json_number_value(json_array_get(ts, k)));
		vpush(&p->y, json_number_value(v) / GIB);
	}
	json_decref(tel);
	if (!p->x.n) {
		const json_t *run = json_object_get(doc, "run");
		double tot = num(json_object_get(run, "memory"),
				 "gpu_total_bytes");
		double d = num(doc, "duration");
		if (isfinite(tot) && d > 0) {
			vpush(&p->x, 0);
			vpush(&p->y, tot / GIB);
			vpush(&p->x, d);
			vpush(&p->y, tot / GIB);
			sim = 1;
		}
	}
	return sim;
}

struct page {
	struct buf b;
	int err;
};

static void put(struct page *pg, const char *s)
{
	pg->err |= buf_puts(&pg->b, s) != 0;
}

static void esc(struct page *pg, const char *s)
{
	pg->err |= svg_escape(&pg->b, s) != 0;
}

static void chart_out(struct page *pg, struct svg_chart *c, struct pair *ps,
		      size_t n, int markers, int step)
{
	for (size_t i = 0; i < n; i++) {
		struct svg_series s;
		memset(&s, 0, sizeof(s));
		s.name = ps[i].name;
		s.x = ps[i].x.v;
		s.y = ps[i].y.v;
		s.n = ps[i].x.n;
		s.color = ps[i].target;
		s.markers = markers;
		s.hollow = ps[i].hollow;
		s.highlight = markers ? ps[i].hl : -1;
		s.step = step;
		s.dashed = ps[i].dashed;
		svg_chart_add(c, &s);
	}
	put(pg, "<div class=\"chart\">");
	pg->err |= svg_chart_render(c, &pg->b) != 0;
	put(pg, "</div>\n");
}

/* Operating level of each target for workload w (or its lowest level). */
static size_t op_levels(struct decide_set *s, int w, int *idx)
{
	return report_rows(s, w, 0, idx, SCEN_MAX_TARGETS);
}

static void charts(struct page *pg, struct decide_set *s, int w)
{
	const struct scenario *sc = s->sc;
	const struct sla *sla = scenario_sla(sc, &sc->workloads[w]);
	struct pair ps[SCEN_MAX_TARGETS * 2];
	char title[256], lim[64], note[256];
	int idx[SCEN_MAX_TARGETS];
	size_t np;
	/* 1. latency vs throughput per SLA term (or P99 e2el) */
	size_t nterms = sla->n ? sla->n : 1;
	for (size_t k = 0; k < nterms; k++) {
		struct sla_term t = sla->n ? sla->t[k]
					   : (struct sla_term){99, SLA_E2EL, NAN};
		np = 0;
		for (size_t ti = 0; ti < sc->n_targets; ti++) {
			struct pair *p = &ps[np];
			memset(p, 0, sizeof(*p));
			p->target = (int)ti;
			p->name = sc->targets[ti].name;
			p->hl = -1;
			/* levels of this cell in load order */
			int ord[DECIDE_MAX_LEVELS];
			size_t no = 0;
			for (size_t i = 0; i < s->n_levels; i++)
				if (s->levels[i].target == (int)ti &&
				    s->levels[i].workload == w &&
				    s->levels[i].ran_ok && no < DECIDE_MAX_LEVELS)
					ord[no++] = (int)i;
			for (size_t a = 1; a < no; a++)
				for (size_t b = a; b > 0 &&
						   s->levels[ord[b]].load <
							   s->levels[ord[b - 1]].load;
				     b--) {
					int x = ord[b];
					ord[b] = ord[b - 1];
					ord[b - 1] = x;
				}
			if (!no)
				continue;
			p->hollow = xcalloc(no, 1);
			const struct decide_cell *cell =
				decide_cell_of(s, (int)ti, w);
			for (size_t a = 0; a < no; a++) {
				const struct decide_level *lv =
					&s->levels[ord[a]];
				double y = NAN;
				if (sla->n)
					y = lv->ev.terms[k].estimate_s;
				else
					y = lv->m.e2el_p99_s;
				vpush(&p->x, lv->m.out_tok_s);
				vpush(&p->y, isinf(y) ? 1e300 : y);
				p->hollow[a] = !lv->ev.met;
				if (cell && cell->op_level == ord[a])
					p->hl = (long)a;
			}
			np++;
		}
		struct svg_chart c;
		snprintf(title, sizeof(title), "%s: p%g %s vs output throughput",
			 sc->workloads[w].name, t.pct, sla_metric_name(t.metric));
		svg_chart_init(&c, title, "output tokens/s", "seconds");
		c.note = "filled = SLA met (bound within the limit), hollow = "
			 "missed; ring = operating point";
		if (isfinite(t.limit_s)) {
			c.hline = t.limit_s;
			snprintf(lim, sizeof(lim), "SLA p%g %s <= %g s", t.pct,
				 sla_metric_name(t.metric), t.limit_s);
			c.hline_label = lim;
		}
		double ymax = isfinite(t.limit_s) ? t.limit_s * 3 : NAN;
		c.ymax = ymax;
		chart_out(pg, &c, ps, np, 1, 0);
		for (size_t i = 0; i < np; i++)
			pair_free(&ps[i]);
	}
	/* operating point documents */
	size_t nop = op_levels(s, w, idx);
	json_t *docs[SCEN_MAX_TARGETS] = {0};
	for (size_t i = 0; i < nop; i++) {
		const struct decide_level *lv = &s->levels[idx[i]];
		char err[256];
		if (lv->n_files &&
		    results_json_load(lv->files[0], &docs[i], err, sizeof(err)))
			docs[i] = NULL;
	}
	/* 2. CDFs */
	for (size_t k = 0; k < nterms; k++) {
		struct sla_term t = sla->n ? sla->t[k]
					   : (struct sla_term){99, SLA_E2EL, NAN};
		np = 0;
		for (size_t i = 0; i < nop; i++) {
			if (!docs[i])
				continue;
			const struct decide_level *lv = &s->levels[idx[i]];
			struct pair *p = &ps[np++];
			memset(p, 0, sizeof(*p));
			p->target = lv->target;
			p->name = sc->targets[lv->target].name;
			size_t n = 0;
			double *v = decide_samples((const json_t *const *)&docs[i],
						   1, (int)t.metric,
						   sc->load.mode == SCEN_LOAD_RATE, &n);
			qsort(v, n, sizeof(*v), cmp_dbl);
			for (size_t j = 0; j < n; j++) {
				if (!isfinite(v[j]))
					break;
				vpush(&p->x, v[j]);
				vpush(&p->y, (double)(j + 1) / (double)n);
			}
			free(v);
		}
		struct svg_chart c;
		snprintf(title, sizeof(title), "%s: %s CDF at the operating points",
			 sc->workloads[w].name, sla_metric_name(t.metric));
		svg_chart_init(&c, title, "seconds", "fraction of requests");
		c.ymax = 1;
		snprintf(note, sizeof(note),
			 "failures count as +inf (the curve stops below 1)");
		c.note = note;
		if (isfinite(t.limit_s)) {
			c.vline = t.limit_s;
			snprintf(lim, sizeof(lim), "limit %g s", t.limit_s);
			c.vline_label = lim;
		}
		chart_out(pg, &c, ps, np, 0, 1);
		for (size_t i = 0; i < np; i++)
			pair_free(&ps[i]);
	}
	/* 3. timelines */
	for (int kind = 0; kind < 4; kind++) {
		np = 0;
		int any_sim = 0;
		for (size_t i = 0; i < nop; i++) {
			if (!docs[i])
				continue;
			const struct decide_level *lv = &s->levels[idx[i]];
			struct pair *p = &ps[np++];
			memset(p, 0, sizeof(*p));
			p->target = lv->target;
			p->name = sc->targets[lv->target].name;
			if (kind == 0)
				inflight(docs[i], p);
			else if (kind == 1)
				tok_rate(docs[i], p);
			else if (kind == 2) {
				struct pair *q = &ps[np++];
				memset(q, 0, sizeof(*q));
				q->target = lv->target;
				q->dashed = 1;
				q->own = xasprintf("%s allocated",
						   sc->targets[lv->target].name);
				q->name = q->own;
				kv_series(lv->files[0], docs[i], p, q);
				if (!q->x.n)
					pair_free(&ps[--np]);
			} else {
				any_sim |= gpu_series(lv->files[0], docs[i], p);
			}
		}
		static const char *const titles[4] = {
			"requests in flight", "output tokens/s",
			"KV cache use (% of pool)", "GPU memory in use (GiB)"};
		static const char *const ylab[4] = {"requests", "tokens/s",
						    "% of pool", "GiB"};
		struct svg_chart c;
		snprintf(title, sizeof(title), "%s: %s at the operating points",
			 sc->workloads[w].name, titles[kind]);
		svg_chart_init(&c, title, "seconds since start", ylab[kind]);
		size_t have = 0;
		for (size_t i = 0; i < np; i++)
			have += ps[i].x.n;
		if (kind == 2)
			c.note = have ? "solid: used, dashed: allocated "
					"(simulated) / pool use from /metrics"
				      : "not recorded (no simulated timeline "
					"or metrics_url)";
		if (kind == 3)
			c.note = !have	  ? "not recorded (give dcgm_url)"
				 : any_sim ? "simulated engines: estimate, "
					     "preallocated at start"
					   : "DCGM FB used";
		if (kind == 2)
			c.ymax = 100;
		chart_out(pg, &c, ps, np, 0, kind == 0);
		for (size_t i = 0; i < np; i++)
			pair_free(&ps[i]);
	}
	for (size_t i = 0; i < nop; i++)
		json_decref(docs[i]);
}

int report_html(FILE *f, struct decide_set *s, const char *title,
		int rows_all, double peak_rate, double peak_conc)
{
	const struct scenario *sc = s->sc;
	struct page pg;
	char cols[REPORT_NCOLS][REPORT_COL_BYTES], slab[256];
	int idx[DECIDE_MAX_LEVELS];
	int rc = -1, any_sim = 0;
	char *dec = NULL;
	size_t dec_n = 0;
	buf_init(&pg.b, REPORT_MAX_HTML_BYTES);
	pg.err = 0;
	for (size_t i = 0; i < s->n_levels; i++)
		any_sim |= s->levels[i].m.simulated;
	put(&pg, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
		 "charset=\"utf-8\"><title>");
	esc(&pg, title);
	put(&pg, "</title>\n<style>body{font-family:sans-serif;margin:24px;"
		 "color:#222;max-width:1340px}table{border-collapse:collapse;"
		 "font-size:13px;margin:8px 0}td,th{border:1px solid #ccc;"
		 "padding:3px 7px;text-align:right}td:first-child,"
		 "th:first-child{text-align:left}th{background:#f2f2f2}"
		 ".charts{display:flex;flex-wrap:wrap;gap:14px}.chart{border:"
		 "1px solid #ddd}.sim{background:#fff3cd;padding:8px;border:1px "
		 "solid #e0c36a}pre{background:#f6f6f6;padding:10px;white-space:"
		 "pre-wrap;font-size:12px}.best{font-weight:bold}</style>"
		 "</head><body>\n<h1>");
	esc(&pg, title);
	put(&pg, "</h1>\n");
	if (any_sim)
		put(&pg, "<p class=\"sim\"><b>SIMULATED</b>: rows marked (sim) "
			 "come from infbench's emulated engines on a virtual "
			 "clock, not from a GPU; their GPU memory is an "
			 "estimate.</p>\n");
	for (size_t w = 0; w < sc->n_workloads; w++) {
		const struct scen_workload *wl = &sc->workloads[w];
		const struct sla *sla = scenario_sla(sc, wl);
		sla_format(sla, slab, sizeof(slab));
		put(&pg, "<h2>");
		esc(&pg, wl->name);
		put(&pg, "</h2>\n<p>");
		char line[512];
		snprintf(line, sizeof(line),
			 "%s workload, input %s, output %s tokens. SLA: %s "
			 "(upper confidence bound of the percentile at %.0f%%; "
			 "failures count as misses).",
			 scenario_wl_kind_name(wl->kind),
			 wl->input_len ? wl->input_len : "-",
			 wl->output_len ? wl->output_len : "-",
			 sla->n ? slab : "none", sc->confidence * 100);
		esc(&pg, line);
		put(&pg, "</p>\n<table><tr>");
		for (int c = 0; c < REPORT_NCOLS; c++) {
			put(&pg, "<th>");
			esc(&pg, report_cols[c]);
			put(&pg, "</th>");
		}
		put(&pg, "</tr>\n");
		size_t n = report_rows(s, (int)w, rows_all, idx,
				       DECIDE_MAX_LEVELS);
		for (size_t r = 0; r < n; r++) {
			const struct decide_cell *cell = decide_cell_of(
				s, s->levels[idx[r]].target, (int)w);
			int best = cell && cell->winner &&
				   cell->op_level == idx[r];
			report_row(s, idx[r], cols);
			put(&pg, best ? "<tr class=\"best\">" : "<tr>");
			for (int c = 0; c < REPORT_NCOLS; c++) {
				put(&pg, "<td>");
				esc(&pg, cols[c]);
				put(&pg, "</td>");
			}
			put(&pg, "</tr>\n");
		}
		put(&pg, "</table>\n<div class=\"charts\">\n");
		charts(&pg, s, (int)w);
		put(&pg, "</div>\n");
	}
	if (report_has_configs(s)) {
		char cc[REPORT_CFG_NCOLS][REPORT_CFG_COL_BYTES];
		put(&pg, "<h2>Configurations</h2>\n<table><tr>");
		for (int c = 0; c < REPORT_CFG_NCOLS; c++) {
			put(&pg, "<th>");
			esc(&pg, report_cfg_cols[c]);
			put(&pg, "</th>");
		}
		put(&pg, "</tr>\n");
		for (size_t t = 0; t < sc->n_targets; t++) {
			report_config_row(s, (int)t, cc);
			put(&pg, "<tr>");
			for (int c = 0; c < REPORT_CFG_NCOLS; c++) {
				put(&pg, "<td>");
				esc(&pg, cc[c]);
				put(&pg, "</td>");
			}
			put(&pg, "</tr>\n");
		}
		put(&pg, "</table>\n");
		for (size_t t = 0; t < sc->n_targets; t++) {
			const struct decide_launch *l = &s->launch[t];
			if (!decide_launch_failed(l->state))
				continue;
			put(&pg, "<p>");
			esc(&pg, sc->targets[t].name);
			put(&pg, ": ");
			esc(&pg, l->detail);
			put(&pg, ". Last lines of ");
			esc(&pg, l->log);
			put(&pg, ":</p>\n<pre>");
			esc(&pg, l->log_tail ? l->log_tail : "(no log)");
			put(&pg, "</pre>\n");
		}
	}
	FILE *mf = open_memstream(&dec, &dec_n);
	if (mf) {
		decide_print(mf, s, peak_rate, peak_conc);
		fclose(mf);
	}
	int have_sla = 0;
	for (size_t w = 0; w < sc->n_workloads; w++)
		have_sla |= scenario_sla(sc, &sc->workloads[w])->n > 0;
	if (have_sla) {
		put(&pg, "<h2>Decision</h2>\n<pre>");
		esc(&pg, dec ? dec : "");
		put(&pg, "</pre>\n");
	}
	put(&pg, "<p>Generated by infbench report; every number comes "
		 "from the results files listed in the CSV/JSON "
		 "reports.</p>\n</body></html>\n");
	if (pg.err) {
		errno = ENOBUFS;
		goto out;
	}
	if (fwrite(pg.b.data, 1, pg.b.len, f) != pg.b.len)
		goto out;
	rc = 0;
out:
	free(dec);
	buf_free(&pg.b);
	return rc;
}
