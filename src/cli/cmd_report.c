/* cmd_report.c - `infbench report DIR|FILES`: Markdown, CSV, JSON and a
 * self-contained HTML file from a sweep directory or from results files.
 *
 * A sweep directory (with manifest.json) gives one row per target at its
 * operating point and the decision; results files are grouped by their run
 * label ("target/workload", as sweep writes it) and load, and give a row
 * each (--sla adds the SLA evaluation). The Markdown also goes to stdout.
 * Single-threaded.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "core/msg.h"
#include "core/xmalloc.h"
#include "decide/decision.h"
#include "decide/sweepdir.h"
#include "report/html.h"
#include "report/tables.h"
#include "results/json.h"

#define REPORT_MAX_FILES 1024 /* results files one report accepts */

struct report_opts {
	char *out, *formats, *sla, *title;
	double confidence, peak_rate;
	long long peak_conc;
	int quiet;
};

#define O(f) offsetof(struct report_opts, f)
static const struct opt report_table[] = {
	{"out", 'o', OPT_STR, O(out), NULL, "DIR",
	 "write report.{md,csv,json,html} here (default DIR/report for a "
	 "sweep, else ./infbench-report)", NULL, NULL},
	{"format", 'f', OPT_STR, O(formats), "md,csv,json,html", "LIST",
	 "which files to write", NULL, NULL},
	{"sla", 0, OPT_STR, O(sla), NULL, "EXPR",
	 "results files: evaluate this SLA, e.g. 'p99 e2el <= 500ms'", NULL,
	 NULL},
	{"confidence", 0, OPT_DOUBLE, O(confidence), "0.95", "C",
	 "results files: confidence of the percentile bound", NULL, NULL},
	{"title", 0, OPT_STR, O(title), NULL, "TEXT", "report title", NULL,
	 NULL},
	{"peak-rate", 0, OPT_DOUBLE, O(peak_rate), "0", "R",
	 "GPUs needed for a peak of R requests/s", NULL, NULL},
	{"peak-concurrency", 0, OPT_INT, O(peak_conc), "0", "N",
	 "GPUs needed for a peak of N concurrent requests", NULL, NULL},
	{"quiet", 'q', OPT_BOOL, O(quiet), "0", NULL,
	 "no Markdown on stdout, only errors", NULL, NULL},
	OPT_END,
};
#undef O

static const struct opts_cmd report_cmd = {
	"report",
	"infbench report SWEEP_DIR | A.json B.json... [--out DIR] [--sla EXPR]",
	"Write the sweep's report: per workload the article's table "
	"(framework, tok/s, P50,\nP99, GPU memory, KV efficiency) in Markdown, "
	"CSV and JSON, and one self-contained\nHTML file with SVG charts "
	"(latency vs throughput with the SLA line and operating\npoints, "
	"latency CDFs, timelines of in-flight requests, tok/s, KV use and GPU "
	"memory).\nNo network access is needed to view it.",
	report_table,
	1,
	REPORT_MAX_FILES,
};

static int is_sweep_dir(const char *p)
{
	struct stat st;
	char *m = xasprintf("%s/%s", p, SWEEPDIR_MANIFEST);
	int ok = !stat(p, &st) && S_ISDIR(st.st_mode) && !stat(m, &st);
	free(m);
	return ok;
}

static int find_or_add(char names[][SCEN_MAX_NAME], size_t *n, size_t cap,
		       const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(names[i], s))
			return (int)i;
	if (*n == cap)
		return -1;
	snprintf(names[*n], SCEN_MAX_NAME, "%s", s);
	return (int)(*n)++;
}

/* Build an in-memory scenario and one level per (target, workload, load)
 * from loose results files. */
static int from_files(char **files, int n, const struct report_opts *o,
		      struct scenario *sc, struct decide_set *set)
{
	char tn[SCEN_MAX_TARGETS][SCEN_MAX_NAME], wn[SCEN_MAX_WORKLOADS][SCEN_MAX_NAME];
	size_t nt = 0, nw = 0;
	int *ti = xcalloc((size_t)n, sizeof(int)), *wi = xcalloc((size_t)n, sizeof(int));
	double *load = xcalloc((size_t)n, sizeof(double));
	int rc = -1, any_conc = 0;
	char err[320];
	memset(sc, 0, sizeof(*sc));
	sc->path = xstrdup("(results files)");
	sc->name = xstrdup("results files");
	sc->confidence = o->confidence;
	sc->max_error_rate = 0.05;
	sc->queue_growth = 3;
	sc->repeats = 1;
	if (o->sla) {
		if (sla_parse(o->sla, &sc->sla, err, sizeof(err))) {
			errorf("report: --sla '%s': %s", o->sla, err);
			goto out;
		}
		sc->has_sla = 1;
	}
	for (int i = 0; i < n; i++) {
		json_t *doc = NULL;
		int lrc = results_json_load(files[i], &doc, err, sizeof(err));
		if (lrc) {
			errorf("report: %s: %s", files[i],
			       lrc == -EINVAL ? err : strerror(-lrc));
			goto out;
		}
		const json_t *run = json_object_get(doc, "run");
		const json_t *cfg = json_object_get(run, "config");
		const char *lab = json_string_value(json_object_get(run, "label"));
		char t[256], w[256];
		const char *base = strrchr(files[i], '/');
		base = base ? base + 1 : files[i];
		snprintf(t, sizeof(t), "%s", lab ? lab : base);
		char *slash = strchr(t, '/');
		snprintf(w, sizeof(w), "%s", slash ? slash + 1 : "all");
		if (slash)
			*slash = 0;
		ti[i] = find_or_add(tn, &nt, SCEN_MAX_TARGETS, t);
		wi[i] = find_or_add(wn, &nw, SCEN_MAX_WORKLOADS, w);
		if (ti[i] < 0 || wi[i] < 0) {
			errorf("report: more than %d targets or %d workloads "
			       "among the files",
			       SCEN_MAX_TARGETS, SCEN_MAX_WORKLOADS);
			json_decref(doc);
			goto out;
		}
		json_int_t c = json_integer_value(json_object_get(cfg, "concurrency"));
		const json_t *rr = json_object_get(cfg, "request_rate");
		if (c > 0) {
			load[i] = (double)c;
			any_conc = 1;
		} else if (json_is_number(rr)) {
			load[i] = json_number_value(rr);
		} else {
			load[i] = json_string_value(rr)
					  ? strtod(json_string_value(rr), NULL)
					  : 0;
		}
		struct scen_workload *wl = &sc->workloads[wi[i]];
		if (!wl->input_len) {
			const char *il = json_string_value(
				json_object_get(cfg, "input_len"));
			const char *ol = json_string_value(
				json_object_get(cfg, "output_len"));
			wl->input_len = xstrdup(il ? il : "?");
			wl->output_len = xstrdup(ol ? ol : "?");
			wl->kind = SCEN_WL_CUSTOM;
		}
		json_decref(doc);
	}
	sc->load.mode = any_conc ? SCEN_LOAD_CONCURRENCY : SCEN_LOAD_RATE;
	for (size_t i = 0; i < nt; i++) {
		memcpy(sc->targets[i].name, tn[i], SCEN_MAX_NAME);
		sc->targets[i].gpus = 1;
	}
	for (size_t i = 0; i < nw; i++)
		memcpy(sc->workloads[i].name, wn[i], SCEN_MAX_NAME);
	sc->n_targets = nt;
	sc->n_workloads = nw;
	decide_set_init(set, sc);
	char **used = xcalloc((size_t)n, sizeof(char *));
	for (int i = 0; i < n; i++) {
		if (used[i])
			continue;
		char *grp[DECIDE_MAX_REPEATS];
		size_t ng = 0;
		for (int k = i; k < n && ng < DECIDE_MAX_REPEATS; k++)
			if (!used[k] && ti[k] == ti[i] && wi[k] == wi[i] &&
			    load[k] == load[i]) {
				grp[ng++] = files[k];
				used[k] = files[k];
			}
		int li = decide_set_add_level(set, ti[i], wi[i], load[i], grp,
					      ng, 0);
		if (sweepdir_level_load(&set->levels[li], sc, err,
					sizeof(err))) {
			errorf("report: %s", err);
			free(used);
			goto out;
		}
		if (!sc->has_sla)
			set->levels[li].ev.met = 0; /* no SLA: no boundary */
	}
	free(used);
	decide_compute(set);
	rc = 0;
out:
	free(ti);
	free(wi);
	free(load);
	return rc;
}

static int want(const char *formats, const char *f)
{
	size_t n = strlen(f);
	for (const char *p = formats; p && *p;) {
		size_t k = strcspn(p, ",");
		if (k == n && !strncmp(p, f, n))
			return 1;
		p += k + (p[k] == ',');
	}
	return 0;
}

/* Open out/report.EXT atomically; write via fn; commit. */
static int write_one(const char *dir, const char *ext, struct decide_set *s,
		     const struct report_opts *o, const char *title,
		     int rows_all)
{
	char *path = xasprintf("%s/report.%s", dir, ext), *tmp = NULL;
	int rc = 0, ok = 1;
	FILE *f = results_atomic_open(path, &tmp, &rc);
	if (!f) {
		errorf("report: cannot write %s: %s", path, strerror(-rc));
		free(path);
		return -1;
	}
	if (!strcmp(ext, "md")) {
		report_md(f, s, title, rows_all, o->peak_rate,
			  (double)o->peak_conc);
	} else if (!strcmp(ext, "csv")) {
		report_csv(f, s);
	} else if (!strcmp(ext, "json")) {
		json_t *j = report_json(s, o->peak_rate, (double)o->peak_conc);
		ok = !json_dumpf(j, f, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
		fputc('\n', f);
		json_decref(j);
	} else {
		ok = !report_html(f, s, title, rows_all, o->peak_rate,
				  (double)o->peak_conc);
	}
	rc = results_atomic_commit(f, &tmp, path, ok);
	if (rc)
		errorf("report: cannot write %s: %s", path,
		       ok ? strerror(-rc) : "page too large");
	else
		notef("report: %s", path);
	free(path);
	return rc ? -1 : 0;
}

int cmd_report(int argc, char **argv)
{
	struct report_opts o;
	struct scenario sc;
	struct decide_set set;
	char **args = NULL, *out = NULL, *title = NULL;
	char err[512];
	int nargs = 0, rc = EXIT_USAGE, rows_all = 0;
	memset(&o, 0, sizeof(o));
	memset(&sc, 0, sizeof(sc));
	memset(&set, 0, sizeof(set));
	int prc = opts_parse(&report_cmd, argc, argv, &o, &args, &nargs);
	if (prc) {
		rc = prc > 0 ? EXIT_OK : EXIT_USAGE;
		goto out;
	}
	msg_level = o.quiet ? MSG_QUIET : MSG_NORMAL;
	if (!(o.confidence > 0 && o.confidence < 1)) {
		errorf("report: --confidence must be in (0, 1)");
		goto out;
	}
	for (const char *p = o.formats; *p;) {
		size_t k = strcspn(p, ",");
		if (!((k == 2 && !strncmp(p, "md", 2)) ||
		      (k == 3 && !strncmp(p, "csv", 3)) ||
		      (k == 4 && !strncmp(p, "json", 4)) ||
		      (k == 4 && !strncmp(p, "html", 4)))) {
			errorf("report: --format takes md,csv,json,html");
			goto out;
		}
		p += k + (p[k] == ',');
	}
	if (nargs == 1 && is_sweep_dir(args[0])) {
		if (o.sla)
			warnf("report: --sla is ignored for a sweep directory "
			      "(its scenario has the SLA)");
		if (sweepdir_open(args[0], &sc, &set, err, sizeof(err))) {
			errorf("report: %s", err);
			rc = EXIT_FAIL;
			goto out;
		}
		out = o.out ? xstrdup(o.out) : xasprintf("%s/report", args[0]);
		title = o.title ? xstrdup(o.title)
				: xasprintf("infbench sweep report: %s",
					    sc.name);
	} else {
		if (from_files(args, nargs, &o, &sc, &set)) {
			rc = EXIT_FAIL;
			goto out;
		}
		rows_all = 1;
		out = xstrdup(o.out ? o.out : "infbench-report");
		title = xstrdup(o.title ? o.title : "infbench report");
	}
	if (mkdir(out, 0755) && errno != EEXIST) {
		errorf("report: cannot create %s: %s", out, strerror(errno));
		rc = EXIT_FAIL;
		goto out;
	}
	rc = EXIT_OK;
	static const char *const exts[] = {"md", "csv", "json", "html"};
	for (int i = 0; i < 4; i++)
		if (want(o.formats, exts[i]) &&
		    write_one(out, exts[i], &set, &o, title, rows_all))
			rc = EXIT_FAIL;
	if (!o.quiet)
		report_md(stdout, &set, title, rows_all, o.peak_rate,
			  (double)o.peak_conc);
out:
	decide_set_free(&set);
	scenario_free(&sc);
	free(out);
	free(title);
	free(args);
	opts_free(&report_cmd, &o);
	return rc;
}
