/* tables.c - Markdown, CSV and JSON reports (see tables.h). */
#include "report/tables.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "decide/sweepdir.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

const char *const report_cols[REPORT_NCOLS] = {
	"framework", "load",	  "out tok/s",	   "tok/s per GPU",
	"P50 e2el",  "P99 e2el",  "SLA metric",	   "SLA",
	"GPU memory", "KV efficiency", "spread (repeats)"};

const char *const report_cfg_cols[REPORT_CFG_NCOLS] = {
	"configuration", "framework", "settings", "launch", "ready",
	"GPU memory (idle / released)", "best for"};

int report_has_configs(const struct decide_set *s)
{
	for (size_t t = 0; t < s->sc->n_targets; t++)
		if (s->sc->targets[t].n_configs > 1 ||
		    s->launch[t].state != DECIDE_LAUNCH_NONE)
			return 1;
	return 0;
}

void report_config_row(const struct decide_set *s, int ti,
		       char out[REPORT_CFG_NCOLS][REPORT_CFG_COL_BYTES])
{
	const struct scenario *sc = s->sc;
	const struct scen_target *t = &sc->targets[ti];
	const struct decide_launch *l = &s->launch[ti];
	snprintf(out[0], REPORT_CFG_COL_BYTES, "%s", t->name);
	snprintf(out[1], REPORT_CFG_COL_BYTES, "%s", t->group);
	scenario_settings_str(t, out[2], REPORT_CFG_COL_BYTES);
	if (!out[2][0])
		snprintf(out[2], REPORT_CFG_COL_BYTES, "-");
	snprintf(out[3], REPORT_CFG_COL_BYTES, "%s",
		 l->state == DECIDE_LAUNCH_NONE
			 ? (t->launch ? "not launched" : "already running")
			 : l->detail);
	if (isfinite(l->ready_s) && l->state != DECIDE_LAUNCH_NONE)
		snprintf(out[4], REPORT_CFG_COL_BYTES, "%.1f s", l->ready_s);
	else
		snprintf(out[4], REPORT_CFG_COL_BYTES, "-");
	if (isfinite(l->gpu_idle_bytes) && isfinite(l->gpu_before_bytes))
		snprintf(out[5], REPORT_CFG_COL_BYTES,
			 "%.2f GiB idle (+%.2f over pre-launch) / %s",
			 l->gpu_idle_bytes / GIB,
			 (l->gpu_idle_bytes - l->gpu_before_bytes) / GIB,
			 l->gpu_released == 1   ? "released"
			 : l->gpu_released == 0 ? "NOT released"
						: "not checked");
	else
		snprintf(out[5], REPORT_CFG_COL_BYTES, "%s",
			 l->state == DECIDE_LAUNCH_NONE ? "-"
			 : l->gpu_released == 1	 ? "released"
			 : l->gpu_released == 0	 ? "NOT released"
						 : "not checked");
	out[6][0] = 0;
	for (size_t i = 0; i < s->n_cells; i++) {
		const struct decide_cell *c = &s->cells[i];
		size_t o = strlen(out[6]);
		if (c->target == ti && (c->group_best || c->winner))
			snprintf(out[6] + o, REPORT_CFG_COL_BYTES - o,
				 "%s%s%s", o ? ", " : "",
				 sc->workloads[c->workload].name,
				 c->winner ? " (overall)" : "");
	}
	if (!out[6][0])
		snprintf(out[6], REPORT_CFG_COL_BYTES, "-");
}

static void fsz(char *b, size_t n, double v)
{
	if (isnan(v))
		snprintf(b, n, "n/a");
	else if (isinf(v))
		snprintf(b, n, "inf");
	else if (v < 1)
		snprintf(b, n, "%.0f ms", v * 1e3);
	else if (v < 1e6)
		snprintf(b, n, "%.2f s", v);
	else
		snprintf(b, n, "%.3g s", v);
}
#define fs(b, v) fsz(b, sizeof(b), v)

void report_row(const struct decide_set *s, int li,
		char out[REPORT_NCOLS][REPORT_COL_BYTES])
{
	const struct scenario *sc = s->sc;
	const struct decide_level *lv = &s->levels[li];
	const struct decide_metrics *m = &lv->m;
	const struct scen_target *t = &sc->targets[lv->target];
	const struct decide_term_eval *te = &lv->ev.terms[0];
	char e1[20], e2[20];
	snprintf(out[0], REPORT_COL_BYTES, "%s%s", t->name,
		 m->simulated ? " (sim)" : "");
	decide_load_str(sc, lv->load, out[1], REPORT_COL_BYTES);
	snprintf(out[2], REPORT_COL_BYTES, "%.1f", m->out_tok_s);
	snprintf(out[3], REPORT_COL_BYTES, "%.1f", m->out_tok_s / t->gpus);
	fsz(out[4], REPORT_COL_BYTES, m->e2el_p50_s);
	fsz(out[5], REPORT_COL_BYTES, m->e2el_p99_s);
	if (lv->ev.n_terms) {
		fs(e1, te->estimate_s);
		fs(e2, te->bound_s);
		snprintf(out[6], REPORT_COL_BYTES, "p%.4g %s %s (bound %s)",
			 te->term.pct, sla_metric_name(te->term.metric), e1,
			 te->sufficient ? e2 : "n/a");
	} else {
		snprintf(out[6], REPORT_COL_BYTES, "-");
	}
	snprintf(out[7], REPORT_COL_BYTES, "%s",
		 !lv->ran_ok	    ? "not run"
		 : lv->ev.n_terms == 0 ? "-"
		 : lv->ev.met	    ? "met"
		 : lv->ev.saturated ? "saturated"
				    : "missed");
	if (isfinite(m->gpu_mem_bytes))
		snprintf(out[8], REPORT_COL_BYTES, "%.1f GiB%s",
			 m->gpu_mem_bytes / GIB, m->simulated ? " [est]" : "");
	else
		snprintf(out[8], REPORT_COL_BYTES, "n/a");
	if (isfinite(m->kv_alloc_mean_bytes) && m->kv_alloc_mean_bytes > 0)
		snprintf(out[9], REPORT_COL_BYTES,
			 "%.0f%% used/alloc, %.0f tok/s/GiB",
			 m->kv_used_mean_bytes / m->kv_alloc_mean_bytes * 100,
			 m->out_tok_s / (m->kv_alloc_mean_bytes / GIB));
	else if (isfinite(m->kv_usage_mean))
		snprintf(out[9], REPORT_COL_BYTES, "pool %.0f%% used",
			 m->kv_usage_mean * 100);
	else
		snprintf(out[9], REPORT_COL_BYTES, "n/a");
	if (lv->n_files > 1) {
		fs(e1, m->sla_p_min_s);
		fs(e2, m->sla_p_max_s);
		snprintf(out[10], REPORT_COL_BYTES,
			 "%d runs: %.5g-%.5g tok/s, p%.4g %s-%s", (int)lv->n_files,
			 m->out_tok_s_min, m->out_tok_s_max,
			 lv->ev.n_terms ? te->term.pct : 99, e1, e2);
	} else {
		snprintf(out[10], REPORT_COL_BYTES, "1 run");
	}
}

size_t report_rows(const struct decide_set *s, int w, int rows_all, int *idx,
		   size_t n_idx)
{
	size_t n = 0;
	if (rows_all) {
		for (size_t i = 0; i < s->n_levels && n < n_idx; i++)
			if (s->levels[i].workload == w)
				idx[n++] = (int)i;
		return n;
	}
	for (size_t c = 0; c < s->n_cells && n < n_idx; c++) {
		const struct decide_cell *cell = &s->cells[c];
		if (cell->workload != w)
			continue;
		int pick = cell->op_level;
		for (size_t i = 0; pick < 0 && i < s->n_levels; i++) {
			const struct decide_level *lv = &s->levels[i];
			if (lv->workload == w && lv->target == cell->target &&
			    (pick < 0 || lv->load < s->levels[pick].load))
				pick = (int)i;
		}
		if (pick >= 0)
			idx[n++] = pick;
	}
	return n;
}

char *report_reading(struct decide_set *s)
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);
	if (!f)
		return xstrdup("");
	decide_explain(f, s);
	fclose(f);
	return p;
}

static void md_cell(FILE *f, const char *s)
{
	for (; *s; s++)
		fputs(*s == '|' ? "\\|" : (char[]){*s, 0}, f);
}

void report_md(FILE *f, struct decide_set *s, const char *title,
	       int rows_all, double peak_rate, double peak_conc)
{
	const struct scenario *sc = s->sc;
	char cols[REPORT_NCOLS][REPORT_COL_BYTES], slab[256];
	int idx[DECIDE_MAX_LEVELS];
	int any_sim = 0;
	for (size_t i = 0; i < s->n_levels; i++)
		any_sim |= s->levels[i].m.simulated;
	fprintf(f, "# %s\n\n", title);
	if (any_sim)
		fprintf(f, "**SIMULATED** rows (marked `(sim)`) come from the "
			   "emulated engines on a virtual clock, not from a "
			   "GPU; GPU memory there is an estimate [est].\n\n");
	for (size_t w = 0; w < sc->n_workloads; w++) {
		const struct scen_workload *wl = &sc->workloads[w];
		const struct sla *sla = scenario_sla(sc, wl);
		sla_format(sla, slab, sizeof(slab));
		fprintf(f, "## %s\n\n%s workload, input %s, output %s tokens. "
			   "SLA: `%s` (percentile upper bound at %.0f%% "
			   "confidence; failures count as misses).\n\n",
			wl->name, scenario_wl_kind_name(wl->kind),
			wl->input_len ? wl->input_len : "-",
			wl->output_len ? wl->output_len : "-",
			sla->n ? slab : "none", sc->confidence * 100);
		for (int c = 0; c < REPORT_NCOLS; c++)
			fprintf(f, "| %s ", report_cols[c]);
		fprintf(f, "|\n");
		for (int c = 0; c < REPORT_NCOLS; c++)
			fprintf(f, "|---");
		fprintf(f, "|\n");
		size_t n = report_rows(s, (int)w, rows_all, idx,
				       DECIDE_MAX_LEVELS);
		for (size_t r = 0; r < n; r++) {
			report_row(s, idx[r], cols);
			for (int c = 0; c < REPORT_NCOLS; c++) {
				fprintf(f, "| ");
				md_cell(f, cols[c]);
				fprintf(f, " ");
			}
			fprintf(f, "|\n");
		}
		fprintf(f, "\n");
	}
	if (report_has_configs(s)) {
		char cc[REPORT_CFG_NCOLS][REPORT_CFG_COL_BYTES];
		fprintf(f, "## Configurations\n\n");
		for (int c = 0; c < REPORT_CFG_NCOLS; c++)
			fprintf(f, "| %s ", report_cfg_cols[c]);
		fprintf(f, "|\n");
		for (int c = 0; c < REPORT_CFG_NCOLS; c++)
			fprintf(f, "|---");
		fprintf(f, "|\n");
		for (size_t t = 0; t < sc->n_targets; t++) {
			report_config_row(s, (int)t, cc);
			for (int c = 0; c < REPORT_CFG_NCOLS; c++) {
				fprintf(f, "| ");
				md_cell(f, cc[c]);
				fprintf(f, " ");
			}
			fprintf(f, "|\n");
		}
		for (size_t t = 0; t < sc->n_targets; t++) {
			const struct decide_launch *l = &s->launch[t];
			if (!decide_launch_failed(l->state))
				continue;
			fprintf(f, "\n%s: %s. Last lines of `%s`:\n\n```\n%s\n"
				   "```\n",
				sc->targets[t].name, l->detail, l->log,
				l->log_tail ? l->log_tail : "(no log)");
		}
		fprintf(f, "\n");
	}
	int have_sla = 0;
	for (size_t w = 0; w < sc->n_workloads; w++)
		have_sla |= scenario_sla(sc, &sc->workloads[w])->n > 0;
	if (have_sla) {
		fprintf(f, "## Decision\n\n```\n");
		decide_print(f, s, peak_rate, peak_conc);
		fprintf(f, "```\n");
	}
	fprintf(f, "\nColumns: load = concurrency (c=) or request rate at the "
		   "row's point (the operating point: highest load meeting "
		   "the SLA); P50/P99 e2el as in vLLM; SLA metric = sample "
		   "percentile and its one-sided upper confidence bound; GPU "
		   "memory = device memory in use (preallocated by the "
		   "servers, so flat across load); KV efficiency = KV used / "
		   "allocated and output tok/s per GiB of KV allocated "
		   "(simulated engines), or mean KV pool use from /metrics.\n");
}

static void csv_str(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
}

static void csv_num(FILE *f, double v)
{
	if (isnan(v))
		fputs(",", f);
	else if (isinf(v))
		fputs(",inf", f);
	else
		fprintf(f, ",%.10g", v);
}

void report_csv(FILE *f, const struct decide_set *s)
{
	const struct scenario *sc = s->sc;
	fputs("target,workload,load_mode,load,phase,operating_point,ran_ok,"
	      "sla_met,saturated,why,repeats,output_tok_s,output_tok_s_min,"
	      "output_tok_s_max,output_tok_s_per_gpu,request_s,ttft_p50_s,"
	      "ttft_p99_s,tpot_p99_s,e2el_p50_s,e2el_p99_s,sla_metric,"
	      "sla_pct,sla_limit_s,sla_estimate_s,sla_bound_s,sla_samples,"
	      "error_rate,ttft_growth,gpu_mem_bytes,kv_alloc_mean_bytes,"
	      "kv_used_mean_bytes,kv_usage_mean,simulated,file,group,"
	      "settings\r\n",
	      f);
	for (size_t i = 0; i < s->n_levels; i++) {
		const struct decide_level *lv = &s->levels[i];
		const struct decide_metrics *m = &lv->m;
		const struct decide_term_eval *te = &lv->ev.terms[0];
		int op = 0;
		for (size_t c = 0; c < s->n_cells; c++)
			op |= s->cells[c].op_level == (int)i;
		csv_str(f, sc->targets[lv->target].name);
		fputc(',', f);
		csv_str(f, sc->workloads[lv->workload].name);
		fprintf(f, ",%s,%.10g,%s,%d,%d,%d,%d,",
			sc->load.mode == SCEN_LOAD_CONCURRENCY ? "concurrency"
							       : "rate",
			lv->load, lv->phase_bisect ? "bisect" : "ladder", op,
			lv->ran_ok, lv->ev.met, lv->ev.saturated);
		csv_str(f, lv->ev.why);
		fprintf(f, ",%zu", lv->n_files);
		csv_num(f, m->out_tok_s);
		csv_num(f, m->out_tok_s_min);
		csv_num(f, m->out_tok_s_max);
		csv_num(f, m->out_tok_s / sc->targets[lv->target].gpus);
		csv_num(f, m->req_s);
		csv_num(f, m->ttft_p50_s);
		csv_num(f, m->ttft_p99_s);
		csv_num(f, m->tpot_p99_s);
		csv_num(f, m->e2el_p50_s);
		csv_num(f, m->e2el_p99_s);
		if (lv->ev.n_terms) {
			fprintf(f, ",%s", sla_metric_name(te->term.metric));
			csv_num(f, te->term.pct);
			csv_num(f, te->term.limit_s);
			csv_num(f, te->estimate_s);
			csv_num(f, te->bound_s);
			fprintf(f, ",%zu", te->n);
		} else {
			fputs(",,,,,,", f);
		}
		csv_num(f, lv->ev.error_rate);
		csv_num(f, lv->ev.ttft_growth);
		csv_num(f, m->gpu_mem_bytes);
		csv_num(f, m->kv_alloc_mean_bytes);
		csv_num(f, m->kv_used_mean_bytes);
		csv_num(f, m->kv_usage_mean);
		fprintf(f, ",%d,", m->simulated);
		csv_str(f, lv->n_files ? lv->files[0] : "");
		char st[512];
		scenario_settings_str(&sc->targets[lv->target], st, sizeof(st));
		fputc(',', f);
		csv_str(f, sc->targets[lv->target].group);
		fputc(',', f);
		csv_str(f, st);
		fputs("\r\n", f);
	}
}

static json_t *jnv(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *report_json(struct decide_set *s, double peak_rate, double peak_conc)
{
	const struct scenario *sc = s->sc;
	json_t *o = json_object(), *cells = json_array(), *levels = json_array();
	char slab[256];
	json_object_set_new(o, "format", json_string("infbench-report"));
	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "scenario", json_string(sc->name));
	json_object_set_new(o, "confidence", json_real(sc->confidence));
	json_object_set_new(o, "load_mode",
			    json_string(sc->load.mode == SCEN_LOAD_CONCURRENCY
						? "concurrency"
						: "rate"));
	for (size_t c = 0; c < s->n_cells; c++) {
		const struct decide_cell *cell = &s->cells[c];
		const struct scen_workload *w = &sc->workloads[cell->workload];
		json_t *j = json_object();
		sla_format(scenario_sla(sc, w), slab, sizeof(slab));
		json_object_set_new(j, "target",
				    json_string(sc->targets[cell->target].name));
		json_object_set_new(j, "workload", json_string(w->name));
		json_object_set_new(j, "sla", json_string(slab));
		json_object_set_new(j, "status",
				    json_string(decide_status_name(cell->status)));
		json_object_set_new(j, "boundary_load", jnv(cell->op_level >= 0
								   ? cell->boundary
								   : NAN));
		json_object_set_new(j, "first_failing_load",
				    jnv(cell->first_fail > 0 ? cell->first_fail
							    : NAN));
		json_object_set_new(j, "gpus",
				    json_integer(sc->targets[cell->target].gpus));
		json_object_set_new(j, "output_tok_s_per_gpu",
				    jnv(cell->tok_s_per_gpu));
		json_object_set_new(j, "winner", json_boolean(cell->winner));
		json_object_set_new(j, "group",
				    json_string(sc->targets[cell->target].group));
		json_object_set_new(j, "group_best",
				    json_boolean(cell->group_best));
		json_object_set_new(j, "context_needed", jnv(cell->ctx_need));
		json_object_set_new(j, "context_max", jnv(cell->ctx_have));
		json_object_set_new(j, "context_ok",
				    isfinite(cell->ctx_have)
					    ? json_boolean(cell->ctx_need <=
							   cell->ctx_have)
					    : json_null());
		long long rep, g;
		if ((peak_rate > 0 || peak_conc > 0) &&
		    !decide_gpus_needed(s, cell, peak_rate, peak_conc, &rep,
					&g)) {
			json_object_set_new(j, "replicas_for_peak",
					    json_integer(rep));
			json_object_set_new(j, "gpus_for_peak", json_integer(g));
		}
		if (cell->op_level >= 0) {
			const struct decide_metrics *m =
				&s->levels[cell->op_level].m;
			json_object_set_new(j, "output_tok_s", jnv(m->out_tok_s));
			json_object_set_new(j, "request_s", jnv(m->req_s));
			json_object_set_new(j, "e2el_p50_s", jnv(m->e2el_p50_s));
			json_object_set_new(j, "e2el_p99_s", jnv(m->e2el_p99_s));
			json_object_set_new(j, "ttft_p99_s", jnv(m->ttft_p99_s));
			json_object_set_new(j, "tpot_p99_s", jnv(m->tpot_p99_s));
			json_object_set_new(j, "gpu_mem_bytes",
					    jnv(m->gpu_mem_bytes));
			json_object_set_new(j, "kv_alloc_mean_bytes",
					    jnv(m->kv_alloc_mean_bytes));
			json_object_set_new(j, "kv_used_mean_bytes",
					    jnv(m->kv_used_mean_bytes));
			json_object_set_new(j, "simulated",
					    json_boolean(m->simulated));
		}
		json_array_append_new(cells, j);
	}
	for (size_t i = 0; i < s->n_levels; i++) {
		const struct decide_level *lv = &s->levels[i];
		json_t *j = json_object();
		json_object_set_new(j, "target",
				    json_string(sc->targets[lv->target].name));
		json_object_set_new(j, "workload",
				    json_string(sc->workloads[lv->workload].name));
		json_object_set_new(j, "load", json_real(lv->load));
		json_object_set_new(j, "met", json_boolean(lv->ev.met));
		json_object_set_new(j, "saturated",
				    json_boolean(lv->ev.saturated));
		json_object_set_new(j, "why", json_string(lv->ev.why));
		json_object_set_new(j, "output_tok_s", jnv(lv->m.out_tok_s));
		json_object_set_new(j, "e2el_p99_s", jnv(lv->m.e2el_p99_s));
		if (lv->ev.n_terms) {
			json_object_set_new(j, "sla_estimate_s",
					    jnv(lv->ev.terms[0].estimate_s));
			json_object_set_new(j, "sla_bound_s",
					    jnv(lv->ev.terms[0].bound_s));
		}
		json_object_set_new(j, "file", json_string(lv->n_files
								   ? lv->files[0]
								   : ""));
		json_array_append_new(levels, j);
	}
	json_object_set_new(o, "cells", cells);
	json_object_set_new(o, "levels", levels);
	json_t *cfgs = json_array();
	for (size_t t = 0; t < sc->n_targets; t++)
		json_array_append_new(cfgs, sweepdir_config_json(s, (int)t));
	json_object_set_new(o, "configurations", cfgs);
	char *r = report_reading(s);
	json_object_set_new(o, "reading", json_string(r));
	free(r);
	return o;
}
