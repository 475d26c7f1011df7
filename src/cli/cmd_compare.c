/* cmd_compare.c - `infbench compare`: the article's experiment, or a diff
 * of results files.
 *
 * With no positional arguments: simulates both engines (paged, reserved) on
 * the article's chat and RAG workloads (sim/scenario.h) and prints one
 * table in the article's shape plus KV used vs allocated and throughput per
 * GiB of KV, then a short reading generated from the numbers. With results
 * files: loads each and prints them side by side with % changes against
 * the first. Everything simulated is labelled so.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/run_report.h"
#include "cli/sim_job.h"
#include "core/msg.h"
#include "core/xmalloc.h"
#include "decide/eval.h"
#include "decide/noise.h"
#include "results/json.h"
#include "results/table.h"
#include "sim/scenario.h"

#define COMPARE_MAX_FILES 16 /* results files one diff accepts */

struct compare_opts {
	char *model, *gpu, *profile, *catalog, *out_dir;
	long long tp, seed, kv_tokens;
	double alpha;
	int quiet;
};

#define O(f) offsetof(struct compare_opts, f)
static const struct opt compare_table[] = {
	{"model", 'm', OPT_STR, O(model), SIM_SCENARIO_MODEL, "NAME",
	 "catalog model for the simulated experiment", NULL, NULL},
	{"gpu", 'g', OPT_STR, O(gpu), SIM_SCENARIO_GPU, "NAME",
	 "catalog GPU for the simulated experiment", NULL, NULL},
	{"tp", 0, OPT_INT, O(tp), "1", "N", "tensor-parallel GPUs",
	 "tensor-parallel-size", NULL},
	{"seed", 's', OPT_INT, O(seed), "0", "N",
	 "seed for the request lengths (both engines get the same)", NULL,
	 NULL},
	{"profile", 0, OPT_STR, O(profile), NULL, "FILE",
	 "step-time profile from `infbench calibrate` (default: uncalibrated)",
	 NULL, NULL},
	{"catalog", 0, OPT_STR, O(catalog), NULL, "FILE",
	 "YAML with extra models:/gpus: entries", NULL, NULL},
	{"kv-tokens", 0, OPT_INT, O(kv_tokens), "0", "N",
	 "squeeze the KV pool of both engines to N tokens (0 = derived)", NULL,
	 NULL},
	{"out", 'o', OPT_STR, O(out_dir), NULL, "DIR",
	 "also write each simulated run's results JSON into DIR", NULL, NULL},
	{"alpha", 0, OPT_DOUBLE, O(alpha), "0.01", "P",
	 "results files: a difference exceeds noise when the Mann-Whitney "
	 "p-value is below P", NULL, NULL},
	{"quiet", 'q', OPT_BOOL, O(quiet), "0", NULL, "only errors on stderr",
	 NULL, NULL},
	OPT_END,
};
#undef O

static const struct opts_cmd compare_cmd = {
	"compare",
	"infbench compare [--kv-tokens N] [--out DIR]  |  infbench compare "
	"A.json B.json...",
	"Without files: simulate paged (vLLM-like) and reserved (TGI-like) "
	"KV policies on\nthe article's chat and RAG workloads (Qwen2-7B FP16, "
	"A100-80G) and print the\narticle's table, labelled SIMULATED. With "
	"results files: print them side by\nside with % changes against the "
	"first, and whether each\ndifference exceeds run-to-run noise "
	"(Mann-Whitney U on the per-request E2EL and\nTTFT samples; P99 "
	"confidence intervals).",
	compare_table,
	0,
	COMPARE_MAX_FILES,
};

/* ---- simulated experiment ------------------------------------------ */

struct cell {
	const struct sim_scenario *sc;
	enum sim_policy pol;
	struct summary s;
	struct sim_job_mem mem;
	struct sim_config resolved;
	int have;
};

static double pct(double b, double a)
{
	return a != 0 ? (b - a) / a * 100 : NAN;
}

static void print_table(FILE *f, struct cell *cells, size_t n,
			const struct compare_opts *o, double wall_s)
{
	const struct sim_config *c0 = &cells[0].resolved;
	fprintf(f,
		"SIMULATED - not measured. %s %s on %d x %s, %s profile, "
		"both engines emulated\n(docs/SIMULATION.md); closed loop, "
		"seed %lld%s; %.2f s of host time.\n",
		c0->model.name, c0->dtype_bytes == 2 ? "FP16" : "",
		c0->tp, c0->gpu.name,
		o->profile ? o->profile : "default uncalibrated", o->seed,
		o->kv_tokens > 0 ? ", KV pool squeezed by --kv-tokens" : "",
		wall_s);
	for (size_t i = 0; i < sim_scenario_count(); i++)
		fprintf(f, "  %s\n", sim_scenario_at(i)->what);
	fprintf(f, "\n%-8s %-8s %9s %9s %9s %8s %14s %10s %10s %7s\n",
		"workload", "engine", "out tok/s", "P50 e2el", "P99 e2el",
		"GPU mem", "KV used/alloc", "tok/s per", "tok/s per",
		"preempt");
	fprintf(f, "%-8s %-8s %9s %9s %9s %8s %14s %10s %10s %7s\n", "", "",
		"", "s", "s", "GiB*", "GiB (mean)", "GiB alloc", "GiB used",
		"");
	for (size_t i = 0; i < n; i++) {
		const struct cell *x = &cells[i];
		double ua = x->mem.kv_alloc_mean_bytes / SIM_GIB;
		double uu = x->mem.kv_used_mean_bytes / SIM_GIB;
		char kv[32];
		snprintf(kv, sizeof(kv), "%.2f/%.2f", uu, ua);
		fprintf(f,
			"%-8s %-8s %9.1f %9.2f %9.2f %8.1f %14s %10.0f %10.0f "
			"%7lld\n",
			x->sc->name, sim_policy_name(x->pol),
			x->s.output_throughput, x->s.m[SUMMARY_E2EL].p50_s,
			x->s.m[SUMMARY_E2EL].p99_s,
			(double)x->mem.gpu_total_bytes / SIM_GIB, kv,
			ua > 0 ? x->s.output_throughput / ua : 0,
			uu > 0 ? x->s.output_throughput / uu : 0,
			(long long)x->mem.preemptions);
	}
	fprintf(f,
		"* GPU mem = weights + the preallocated KV pool + activation "
		"reserve and overhead [est];\n  real servers preallocate it "
		"at start, so it is flat across load. KV used/alloc are\n  "
		"time-weighted means over the run; tok/s per GiB divides the "
		"output throughput by them.\n");
}

/* 2-4 lines of plain language derived from the cells (paged, reserved
 * pairs per scenario). */
static void print_reading(FILE *f, struct cell *cells, size_t n)
{
	fprintf(f, "\nReading (generated from the numbers above):\n");
	int any_bind = 0;
	double worst_frac = 0;
	const char *worst = "";
	for (size_t i = 0; i + 1 < n; i += 2) {
		const struct cell *p = &cells[i], *r = &cells[i + 1];
		double pp = p->s.m[SUMMARY_E2EL].p99_s,
		       rp = r->s.m[SUMMARY_E2EL].p99_s;
		const struct cell *lo = pp <= rp ? p : r, *hi = pp <= rp ? r : p;
		double d = pct(hi->s.m[SUMMARY_E2EL].p99_s,
			       lo->s.m[SUMMARY_E2EL].p99_s);
		double dt = pct(r->s.output_throughput, p->s.output_throughput);
		double pa = p->mem.kv_alloc_mean_bytes / SIM_GIB,
		       ra = r->mem.kv_alloc_mean_bytes / SIM_GIB;
		double pe = pa > 0 ? p->s.output_throughput / pa : 0,
		       re = ra > 0 ? r->s.output_throughput / ra : 0;
		fprintf(f,
			"- %s: %s has the lower P99 e2el (%.2f s vs %.2f s, "
			"%.1f%% lower); reserved throughput %+.1f%% vs paged; "
			"tok/s per GiB KV allocated %s (%.0f vs %.0f).\n",
			p->sc->name, sim_policy_name(lo->pol),
			lo->s.m[SUMMARY_E2EL].p99_s,
			hi->s.m[SUMMARY_E2EL].p99_s, d / (1 + d / 100), dt,
			pe >= re ? "higher for paged" : "higher for reserved",
			pe >= re ? pe : re, pe >= re ? re : pe);
		for (size_t k = i; k < i + 2; k++) {
			const struct sim_job_mem *m = &cells[k].mem;
			double frac = m->kv_capacity_bytes > 0
					      ? (double)m->kv_alloc_peak_bytes /
							(double)m->kv_capacity_bytes
					      : 0;
			if (frac > worst_frac) {
				worst_frac = frac;
				worst = cells[k].sc->name;
			}
			if (m->preemptions > 0 || frac >= 0.95)
				any_bind = 1;
		}
	}
	if (any_bind) {
		long long pre = 0;
		for (size_t i = 0; i < n; i++)
			pre += cells[i].mem.preemptions;
		fprintf(f,
			"- KV memory binds (peak allocation %.0f%% of the pool, "
			"%s): paged preempted %lld times in all (recompute, no "
			"prefix-cache hit);\n  reserved never preempts but "
			"queues requests until their reservations fit.\n",
			worst_frac * 100, worst, pre);
	} else {
		fprintf(f,
			"- KV memory does not bind (peak allocation %.1f%% of "
			"the pool, %s): both engines admit the same requests; "
			"the differences come from\n  scheduling (prefill "
			"chunking), not paging vs reservation. --kv-tokens "
			"60000 shows the memory-bound regime.\n",
			worst_frac * 100, worst);
	}
}

static int write_cell(const char *dir, const char *name, int argc,
		      char **argv, const struct sim_job *job,
		      const struct sim_job_result *res, const struct summary *s)
{
	char *path = xasprintf("%s/%s.json", dir, name);
	json_t *meta = json_object();
	sim_job_add_meta(meta, argc, argv, job, res, name);
	struct results_json_opts o;
	results_json_opts_init(&o);
	o.meta = meta;
	json_t *doc = results_json_build(s, res->out.recs, res->out.n, &o);
	int rc = doc ? results_json_write(path, doc) : -EINVAL;
	if (rc)
		errorf("compare: cannot write %s: %s", path, strerror(-rc));
	else
		notef("results: %s", path);
	json_decref(doc);
	json_decref(meta);
	free(path);
	return rc;
}

static int simulated_experiment(const struct compare_opts *o, int argc,
				char **argv)
{
	enum { NPOL = 2 };
	static const char *const engines[NPOL] = {"paged", "reserved"};
	size_t n = sim_scenario_count() * NPOL;
	struct cell *cells = xcalloc(n, sizeof(*cells));
	struct summary_config scfg;
	int rc = EXIT_FAIL;
	double wall = 0;
	summary_config_init(&scfg);
	if (o->out_dir && mkdir(o->out_dir, 0755) && errno != EEXIST) {
		errorf("compare: cannot create %s: %s", o->out_dir,
		       strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct cell *x = &cells[i];
		struct sim_job job;
		struct sim_job_result res;
		char *err = NULL;
		const char *why = NULL;
		memset(&job, 0, sizeof(job));
		x->sc = sim_scenario_at(i / NPOL);
		struct sim_job_names names = {engines[i % NPOL], o->model,
					      o->gpu, o->profile, o->catalog,
					      o->tp};
		if (sim_job_config("compare", &names, &job.cfg))
			goto out;
		x->pol = job.cfg.policy;
		job.cfg.kv_tokens_override = o->kv_tokens;
		if (dist_parse(x->sc->input_len, &job.wl.in_dist, &why) ||
		    dist_parse(x->sc->output_len, &job.wl.out_dist, &why)) {
			errorf("compare: scenario %s: %s", x->sc->name, why);
			goto out;
		}
		sched_parse("poisson", &job.wl.arrivals);
		job.wl.arrivals.rate = INFINITY;
		job.wl.num_requests = x->sc->num_requests;
		job.wl.concurrency = x->sc->concurrency;
		job.wl.seed = (uint64_t)o->seed;
		if (sim_job_run(&job, &res, &err)) {
			errorf("compare: %s/%s: %s", x->sc->name,
			       engines[i % NPOL], err);
			free(err);
			sim_job_result_free(&res);
			goto out;
		}
		wall += res.wall_s;
		x->mem = res.mem;
		x->resolved = res.resolved;
		int src = summary_compute(&x->s, res.out.recs, res.out.n, NULL,
					  res.out.duration_ns, &scfg);
		x->have = !src;
		if (!src && o->out_dir) {
			char name[64];
			snprintf(name, sizeof(name), "%s-%s", x->sc->name,
				 engines[i % NPOL]);
			if (write_cell(o->out_dir, name, argc, argv, &job, &res,
				       &x->s)) {
				sim_job_result_free(&res);
				goto out;
			}
		}
		sim_job_result_free(&res);
		if (src) {
			errorf("compare: could not summarise %s", x->sc->name);
			goto out;
		}
	}
	print_table(stdout, cells, n, o, wall);
	print_reading(stdout, cells, n);
	rc = EXIT_OK;
out:
	for (size_t i = 0; i < n; i++)
		summary_free(&cells[i].s);
	free(cells);
	return rc;
}

/* ---- results files ------------------------------------------------- */

static void fmt_delta(char *b, size_t len, double v, double base)
{
	double d = pct(v, base);
	if (isnan(d) || isinf(d))
		snprintf(b, len, "n/a");
	else
		snprintf(b, len, "%+.1f%%", d);
}

/* Per-request E2EL and TTFT samples of each file (failures as +inf). */
struct file_samples {
	double *v[2];
	size_t n[2];
};

static void print_noise(const char *const *labels, const struct summary *sums,
			struct file_samples *fs, int nfiles, double alpha)
{
	static const int metrics[2] = {SLA_E2EL, SLA_TTFT};
	static const int smetric[2] = {SUMMARY_E2EL, SUMMARY_TTFT};
	printf("\nnoise vs %s: Mann-Whitney U (two-sided, normal approximation "
	       "with tie correction) on\nper-request samples, failures as "
	       "+inf; a difference exceeds noise when p < %g.\nP99: do the "
	       "files' P99 order-statistic intervals (ci99) overlap?\n",
	       labels[0], alpha);
	printf("%-20s %-5s %10s %10s %9s %10s  %-16s %s\n", "", "", "median A",
	       "median B", "change", "p", "verdict", "P99 intervals");
	for (int i = 1; i < nfiles; i++) {
		for (int k = 0; k < 2; k++) {
			struct noise_mw mw;
			const struct summary_ci *ca = &sums[0].m[smetric[k]].ci99,
						*cb = &sums[i].m[smetric[k]].ci99;
			char ci[96];
			if (!ca->sufficient || !cb->sufficient)
				snprintf(ci, sizeof(ci), "too few samples");
			else if (ca->hi_s < cb->lo_s || cb->hi_s < ca->lo_s)
				snprintf(ci, sizeof(ci),
					 "disjoint [%.4g,%.4g] vs [%.4g,%.4g] s",
					 ca->lo_s, ca->hi_s, cb->lo_s, cb->hi_s);
			else
				snprintf(ci, sizeof(ci), "overlap");
			int rc = noise_mann_whitney(fs[0].v[k], fs[0].n[k],
						    fs[i].v[k], fs[i].n[k], &mw);
			char d[32];
			fmt_delta(d, sizeof(d), mw.median_b, mw.median_a);
			printf("%-20.20s %-5s %10.4g %10.4g %9s %10.3g  %-16s %s\n",
			       k ? "" : labels[i],
			       sla_metric_name((enum sla_metric)metrics[k]),
			       mw.median_a, mw.median_b, d, mw.p,
			       rc ? "no samples"
			       : mw.p < alpha ? "EXCEEDS noise"
					      : "within noise",
			       ci);
		}
	}
}

static int diff_files(char **files, int nfiles, double alpha)
{
	struct file_samples fs[COMPARE_MAX_FILES];
	memset(fs, 0, sizeof(fs));
	struct summary sums[COMPARE_MAX_FILES];
	const struct summary *sp[COMPARE_MAX_FILES] = {0};
	char *labels[COMPARE_MAX_FILES];
	int loaded = 0, rc = EXIT_FAIL;
	memset(labels, 0, sizeof(labels));
	for (int i = 0; i < nfiles; i++) {
		json_t *doc = NULL;
		char err[256];
		int lrc = results_json_load(files[i], &doc, err, sizeof(err));
		if (lrc) {
			errorf("compare: %s: %s", files[i],
			       lrc == -EINVAL ? err : strerror(-lrc));
			goto out;
		}
		if (results_json_to_summary(doc, &sums[i], err, sizeof(err))) {
			errorf("compare: %s: %s", files[i], err);
			json_decref(doc);
			goto out;
		}
		loaded = i + 1;
		sp[i] = &sums[i];
		fs[i].v[0] = decide_samples((const json_t *const *)&doc, 1,
					    SLA_E2EL, 0, &fs[i].n[0]);
		fs[i].v[1] = decide_samples((const json_t *const *)&doc, 1,
					    SLA_TTFT, 0, &fs[i].n[1]);
		json_t *run = json_object_get(doc, "run");
		const char *lab =
			json_string_value(json_object_get(run, "label"));
		const char *base = strrchr(files[i], '/');
		base = base ? base + 1 : files[i];
		int sim = json_is_true(json_object_get(run, "simulated"));
		labels[i] = xasprintf("%s%s", sim ? "(sim) " : "",
				      lab ? lab : base);
		json_decref(doc);
	}
	printf("results files (run label or file name; \"(sim)\" = "
	       "simulated):\n");
	for (int i = 0; i < nfiles; i++)
		printf("  %-20s %s\n", labels[i], files[i]);
	printf("\n");
	results_table_print_multi(stdout, (const char *const *)labels, sp,
				  (size_t)nfiles);
	if (nfiles > 1) {
		static const struct {
			const char *name;
			int metric; /* -1: output throughput */
			int p99;
		} cols[] = {{"out tok/s", -1, 0},
			    {"TTFT p50", SUMMARY_TTFT, 0},
			    {"TTFT p99", SUMMARY_TTFT, 1},
			    {"TPOT p50", SUMMARY_TPOT, 0},
			    {"TPOT p99", SUMMARY_TPOT, 1},
			    {"ITL p99", SUMMARY_ITL, 1},
			    {"E2EL p50", SUMMARY_E2EL, 0},
			    {"E2EL p99", SUMMARY_E2EL, 1}};
		size_t nc = sizeof(cols) / sizeof(cols[0]);
		printf("\nchange vs %s (latency: + is slower):\n%-20s",
		       labels[0], "");
		for (size_t c = 0; c < nc; c++)
			printf(" %9s", cols[c].name);
		printf("\n");
		for (int i = 1; i < nfiles; i++) {
			printf("%-20.20s", labels[i]);
			for (size_t c = 0; c < nc; c++) {
				double a, b;
				if (cols[c].metric < 0) {
					a = sums[0].output_throughput;
					b = sums[i].output_throughput;
				} else {
					const struct summary_dist *da =
						&sums[0].m[cols[c].metric];
					const struct summary_dist *db =
						&sums[i].m[cols[c].metric];
					a = cols[c].p99 ? da->p99_s : da->p50_s;
					b = cols[c].p99 ? db->p99_s : db->p50_s;
				}
				char d[32];
				fmt_delta(d, sizeof(d), b, a);
				printf(" %9s", d);
			}
			printf("\n");
		}
		print_noise((const char *const *)labels, sums, fs, nfiles,
			    alpha);
	}
	rc = EXIT_OK;
out:
	for (int i = 0; i < COMPARE_MAX_FILES; i++) {
		free(fs[i].v[0]);
		free(fs[i].v[1]);
	}
	for (int i = 0; i < loaded; i++)
		summary_free(&sums[i]);
	for (int i = 0; i < nfiles; i++)
		free(labels[i]);
	return rc;
}

int cmd_compare(int argc, char **argv)
{
	struct compare_opts o;
	char **args = NULL;
	int nargs = 0, rc = EXIT_USAGE;
	memset(&o, 0, sizeof(o));
	int prc = opts_parse(&compare_cmd, argc, argv, &o, &args, &nargs);
	if (prc) {
		rc = prc > 0 ? EXIT_OK : EXIT_USAGE;
		goto out;
	}
	msg_level = o.quiet ? MSG_QUIET : MSG_NORMAL;
	if (nargs > 0) {
		if (opts_given(&compare_cmd, "kv-tokens") ||
		    opts_given(&compare_cmd, "out") ||
		    opts_given(&compare_cmd, "profile")) {
			errorf("compare: --kv-tokens, --out and --profile "
			       "apply to the simulated experiment, not to "
			       "results files");
			goto out;
		}
		if (!(o.alpha > 0 && o.alpha < 1)) {
			errorf("compare: --alpha must be in (0, 1)");
			goto out;
		}
		rc = diff_files(args, nargs, o.alpha);
		goto out;
	}
	if (o.kv_tokens < 0) {
		errorf("compare: --kv-tokens must be >= 0");
		goto out;
	}
	rc = simulated_experiment(&o, argc, argv);
out:
	free(args);
	opts_free(&compare_cmd, &o);
	return rc;
}
