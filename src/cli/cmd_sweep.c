/* cmd_sweep.c - `infbench sweep SCENARIO`: per target x workload a load
 * ladder, then bisection to the SLA boundary, then the decision.
 *
 * Each point runs as a child process (`infbench run ...`, or `infbench
 * simulate ...` for a simulated target) that writes a full results file
 * into the sweep directory; the file is read back, the SLA evaluated
 * (decide/eval.h) and the next load chosen (decide/search.h). Points whose
 * files already exist and are valid are reused, so an interrupted sweep
 * resumes. One progress line per point on stderr; the decision on stdout.
 * Single-threaded except for the optional telemetry samplers.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "core/clock.h"
#include "core/msg.h"
#include "core/xmalloc.h"
#include "decide/decision.h"
#include "decide/search.h"
#include "decide/sweepdir.h"
#include "scenario/scenario.h"
#include "telemetry/dcgm.h"
#include "telemetry/gpusampler.h"
#include "telemetry/scrape.h"

#define SWEEP_MAX_ARGV 128 /* child argument vector */

struct sweep_opts {
	char *dir;
	int virtual_time, restart, check, quiet;
	double peak_rate;
	long long peak_conc;
	char *exe;
};

#define O(f) offsetof(struct sweep_opts, f)
static const struct opt sweep_table[] = {
	{"dir", 'o', OPT_STR, O(dir), NULL, "DIR",
	 "sweep directory (default sweep-<scenario name>); an existing one "
	 "is resumed", NULL, NULL},
	{"virtual", 0, OPT_BOOL, O(virtual_time), "0", NULL,
	 "run every target that has 'simulated:' in virtual time "
	 "(infbench simulate), even when it has a url", NULL, NULL},
	{"restart", 0, OPT_BOOL, O(restart), "0", NULL,
	 "re-run every point even when its results file exists", NULL, NULL},
	{"check", 0, OPT_BOOL, O(check), "0", NULL,
	 "only validate the scenario and print the plan", NULL, NULL},
	{"peak-rate", 0, OPT_DOUBLE, O(peak_rate), "0", "R",
	 "GPUs needed for a peak of R requests/s", NULL, NULL},
	{"peak-concurrency", 0, OPT_INT, O(peak_conc), "0", "N",
	 "GPUs needed for a peak of N concurrent requests", NULL, NULL},
	{"exe", 0, OPT_STR, O(exe), NULL, "PATH",
	 "infbench binary for the points (default: this one)", NULL, NULL},
	{"quiet", 'q', OPT_BOOL, O(quiet), "0", NULL,
	 "no progress lines, only errors", NULL, NULL},
	OPT_END,
};
#undef O

static const struct opts_cmd sweep_cmd = {
	"sweep",
	"infbench sweep SCENARIO.yaml [--dir DIR] [--virtual] "
	"[--peak-rate R | --peak-concurrency N]",
	"For each target x workload of the scenario: run the load ladder, "
	"then bisect to the\nSLA boundary (the highest load whose percentile "
	"bound meets the SLA), stopping on\nover-saturation. Every point is a "
	"full results file in DIR/points; an interrupted\nsweep resumes. "
	"Prints the decision: best throughput under the SLA per target,\nthe "
	"winner per workload, GPUs for a peak, a context check "
	"(docs/SWEEP.md).",
	sweep_table,
	1,
	1,
};

static volatile sig_atomic_t sweep_stop;

static void on_sigint(int sig)
{
	(void)sig;
	sweep_stop = 1;
}

struct argv_b {
	char *v[SWEEP_MAX_ARGV + 1];
	int n;
};

static void add(struct argv_b *a, const char *s)
{
	if (a->n < SWEEP_MAX_ARGV)
		a->v[a->n++] = xstrdup(s);
}

static void addf(struct argv_b *a, const char *k, const char *fmt, double v)
{
	char b[64];
	snprintf(b, sizeof(b), fmt, v);
	add(a, k);
	add(a, b);
}

static void argv_free(struct argv_b *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
}

static int uses_sim(const struct scen_target *t, int virtual_time)
{
	return t->simulated && (!t->url || virtual_time);
}

static long long point_requests(const struct scenario *sc,
				const struct scen_workload *w, double load)
{
	long long n = w->requests;
	double k = ceil(sc->load.requests_per_load * load);
	return k > (double)n ? (long long)k : n;
}

static void build_argv(struct argv_b *a, const char *exe,
		       const struct scenario *sc, int ti, int wi, double load,
		       int rep, const char *stem_abs, int virtual_time)
{
	const struct scen_target *t = &sc->targets[ti];
	const struct scen_workload *w = &sc->workloads[wi];
	int sim = uses_sim(t, virtual_time);
	char label[2 * SCEN_MAX_NAME + 2], *p;
	add(a, exe);
	if (sim) {
		add(a, "simulate");
		add(a, "--engine");
		add(a, t->simulated);
		if (t->model) {
			add(a, "--model");
			add(a, t->model);
		}
		if (t->gpu) {
			add(a, "--gpu");
			add(a, t->gpu);
		}
		addf(a, "--tp", "%.0f", t->gpus);
		p = xasprintf("%s.timeline.csv", stem_abs);
		add(a, "--timeline");
		add(a, p);
		free(p);
	} else {
		add(a, "run");
		add(a, "--url");
		add(a, t->url);
		add(a, "--api");
		add(a, t->api ? t->api : "openai-completions");
		if (t->model) {
			add(a, "--model");
			add(a, t->model);
		}
		add(a, "--max-error-rate");
		add(a, "1");
	}
	add(a, "-i");
	add(a, w->input_len);
	add(a, "-o");
	add(a, w->output_len);
	addf(a, "-n", "%.0f", (double)point_requests(sc, w, load));
	addf(a, "--warmup", "%.0f", (double)w->warmup);
	if (sc->load.mode == SCEN_LOAD_CONCURRENCY) {
		addf(a, "-c", "%.0f", load);
	} else {
		addf(a, "-r", "%.17g", load);
		add(a, "--arrival");
		add(a, sc->load.arrival ? sc->load.arrival : "poisson");
	}
	addf(a, "--seed", "%.0f", (double)(sc->seed + (uint64_t)rep));
	p = xasprintf("%s.json", stem_abs);
	add(a, "--result");
	add(a, p);
	free(p);
	p = xasprintf("%s.csv", stem_abs);
	add(a, "--csv");
	add(a, p);
	free(p);
	snprintf(label, sizeof(label), "%s/%s", t->name, w->name);
	add(a, "--label");
	add(a, label);
	add(a, "-q");
	for (size_t i = 0; i < t->n_args; i++)
		add(a, t->args[i]);
	for (size_t i = 0; i < w->n_args; i++)
		add(a, w->args[i]);
	a->v[a->n] = NULL;
}

/* Telemetry around a real point: server /metrics and DCGM, if given. */
struct telem {
	struct scrape *scr;
	struct gpu_sampler *gs;
	int64_t t0;
};

static void telem_start(struct telem *tm, const struct scen_target *t)
{
	memset(tm, 0, sizeof(*tm));
	tm->t0 = clock_now_ns();
	if (t->metrics_url) {
		struct scrape_cfg c;
		memset(&c, 0, sizeof(c));
		c.url = t->metrics_url;
		c.interval_ns = 250000000LL;
		tm->scr = scrape_new(&c);
		if (tm->scr) {
			scrape_window_begin(tm->scr, tm->t0);
			scrape_start(tm->scr);
		}
	}
	if (t->dcgm_url) {
		struct gpu_src src;
		struct gpu_sampler_cfg gc = {250000000LL, 0};
		char why[256];
		dcgm_src_init(&src, t->dcgm_url, 2000000000LL);
		tm->gs = gpu_sampler_new(src, &gc, why, sizeof(why));
		if (!tm->gs)
			warnf("sweep: %s: %s", t->dcgm_url, why);
		else {
			gpu_sampler_window_begin(tm->gs, tm->t0);
			gpu_sampler_start(tm->gs);
		}
	}
}

static void telem_stop(struct telem *tm, const char *stem_abs)
{
	if (!tm->scr && !tm->gs)
		return;
	json_t *o = json_object();
	int64_t t1 = clock_now_ns();
	if (tm->scr) {
		scrape_window_end(tm->scr, t1);
		scrape_stop(tm->scr);
		json_object_set_new(o, "metrics", scrape_to_json(tm->scr, tm->t0));
		scrape_free(tm->scr);
	}
	if (tm->gs) {
		gpu_sampler_window_end(tm->gs, t1);
		gpu_sampler_stop(tm->gs);
		json_object_set_new(o, "gpu", gpu_sampler_to_json(tm->gs, tm->t0));
		gpu_sampler_free(tm->gs);
	}
	char *p = xasprintf("%s.telemetry.json", stem_abs);
	if (json_dump_file(o, p, JSON_COMPACT | JSON_REAL_PRECISION(10)))
		warnf("sweep: cannot write %s", p);
	free(p);
	json_decref(o);
}

/* Run one point as a child; 0 when it exited 0 with a valid file. */
static int run_point(const char *dir, const char *exe,
		     const struct scenario *sc, int ti, int wi, double load,
		     int rep, const char *stem, int virtual_time)
{
	struct argv_b a = {.n = 0};
	char *stem_abs = xasprintf("%s/%s", dir, stem);
	const char *base = strrchr(stem, '/');
	char *log = xasprintf("%s/logs/%s.log", dir, base ? base + 1 : stem);
	char *res = xasprintf("%s.json", stem_abs);
	struct telem tm;
	int rc = -1, status = 0;
	build_argv(&a, exe, sc, ti, wi, load, rep, stem_abs, virtual_time);
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		errorf("sweep: cannot create %s: %s", log, strerror(errno));
		goto out;
	}
	for (int i = 0; i < a.n; i++)
		dprintf(fd, "%s%s", i ? " " : "$ ", a.v[i]);
	dprintf(fd, "\n");
	int sim = uses_sim(&sc->targets[ti], virtual_time);
	if (!sim)
		telem_start(&tm, &sc->targets[ti]);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		execv(a.v[0], a.v);
		dprintf(2, "exec %s: %s\n", a.v[0], strerror(errno));
		_exit(127);
	}
	close(fd);
	if (pid < 0) {
		errorf("sweep: fork: %s", strerror(errno));
		if (!sim)
			telem_stop(&tm, stem_abs);
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!sim)
		telem_stop(&tm, stem_abs);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    sweepdir_point_valid(res))
		rc = 0;
	else if (!sweep_stop)
		errorf("sweep: point %s failed (%s %d); see %s", stem,
		       WIFEXITED(status) ? "exit" : "signal",
		       WIFEXITED(status) ? WEXITSTATUS(status)
					 : WTERMSIG(status),
		       log);
out:
	argv_free(&a);
	free(stem_abs);
	free(log);
	free(res);
	return rc;
}

static void progress(const struct scenario *sc, const struct decide_level *lv,
		     int reused)
{
	char ls[48];
	const struct decide_term_eval *t = &lv->ev.terms[0];
	decide_load_str(sc, lv->load, ls, sizeof(ls));
	if (!lv->ran_ok) {
		notef("sweep: [%s/%s] %-10s point failed to run",
		      sc->targets[lv->target].name,
		      sc->workloads[lv->workload].name, ls);
		return;
	}
	notef("sweep: [%s/%s] %-10s %8.1f tok/s  p%g %s %.3f s (bound %s%.3f "
	      "s, limit %.3f s)  %s%s%s%s",
	      sc->targets[lv->target].name, sc->workloads[lv->workload].name,
	      ls, lv->m.out_tok_s, t->term.pct, sla_metric_name(t->term.metric),
	      t->estimate_s, t->sufficient ? "" : "n/a ",
	      t->sufficient ? t->bound_s : 0, t->term.limit_s,
	      lv->ev.met ? "SLA MET" : "SLA MISSED",
	      lv->ev.met ? "" : ": ", lv->ev.met ? "" : lv->ev.why,
	      reused ? "  (reused)" : "");
}

static void print_plan(const struct scenario *sc, int virtual_time)
{
	char slab[256];
	printf("scenario %s (%s): %zu target(s) x %zu workload(s), %s "
	       "ladder",
	       sc->name, sc->path, sc->n_targets, sc->n_workloads,
	       sc->load.mode == SCEN_LOAD_CONCURRENCY ? "concurrency"
						      : "rate");
	for (size_t i = 0; i < sc->load.n; i++)
		printf("%s%g", i ? "," : " ", sc->load.ladder[i]);
	printf(", bisection <= %d steps, %d repeat(s), confidence %g\n",
	       sc->load.bisect_steps, sc->repeats, sc->confidence);
	for (size_t i = 0; i < sc->n_targets; i++) {
		const struct scen_target *t = &sc->targets[i];
		printf("  target %-14s %s %s, %d GPU(s)%s%s\n", t->name,
		       uses_sim(t, virtual_time) ? "simulated" : "url",
		       uses_sim(t, virtual_time) ? t->simulated : t->url,
		       t->gpus, t->launch ? ", launch: " : "",
		       t->launch ? t->launch : "");
	}
	for (size_t i = 0; i < sc->n_workloads; i++) {
		const struct scen_workload *w = &sc->workloads[i];
		sla_format(scenario_sla(sc, w), slab, sizeof(slab));
		printf("  workload %-12s %s in %s out %s, %lld requests; SLA "
		       "%s\n",
		       w->name, scenario_wl_kind_name(w->kind),
		       w->input_len ? w->input_len : "-",
		       w->output_len ? w->output_len : "-", w->requests, slab);
	}
}

/* Warn when the request count can never give a bound at the confidence. */
static void check_counts(const struct scenario *sc)
{
	for (size_t i = 0; i < sc->n_workloads; i++) {
		const struct scen_workload *w = &sc->workloads[i];
		const struct sla *s = scenario_sla(sc, w);
		for (size_t k = 0; k < s->n; k++) {
			double need = log(1 - sc->confidence) /
				      log(s->t[k].pct / 100);
			double have = (double)w->requests * sc->repeats;
			if (have < need && s->t[k].metric != SLA_ITL)
				warnf("sweep: workload %s: p%g at %g%% "
				      "confidence needs >= %.0f samples per "
				      "load, %.0f planned (requests x repeats, "
				      "more with requests_per_load): low loads "
				      "may miss the SLA for lack of samples",
				      w->name, s->t[k].pct,
				      sc->confidence * 100, ceil(need), have);
		}
	}
}

static int mkdir_p(const char *d)
{
	if (mkdir(d, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static int sweep_cell(const char *dir, const char *exe, struct scenario *sc,
		      struct decide_set *set, int ti, int wi,
		      const struct sweep_opts *o, const char *text)
{
	struct decide_search s;
	double load;
	int failed = 0;
	decide_search_init(&s, sc->load.ladder, sc->load.n,
			   sc->load.mode == SCEN_LOAD_CONCURRENCY,
			   sc->load.bisect_steps, sc->load.tolerance);
	while (!sweep_stop && decide_search_next(&s, &load)) {
		char *files[DECIDE_MAX_REPEATS];
		int reused = 1, ok = 1, nalloc = 0;
		for (int r = 0; r < sc->repeats; r++) {
			char *stem = sweepdir_point_stem(sc, ti, wi, load, r);
			files[r] = xasprintf("%s/%s.json", dir, stem);
			nalloc = r + 1;
			if (o->restart || !sweepdir_point_valid(files[r])) {
				reused = 0;
				if (run_point(dir, exe, sc, ti, wi, load, r,
					      stem, o->virtual_time))
					ok = 0;
			}
			free(stem);
			if (!ok || sweep_stop)
				break;
		}
		int nf = ok && !sweep_stop ? sc->repeats : 0;
		int idx = decide_set_add_level(set, ti, wi, load, files,
					       (size_t)nf, s.bisecting);
		for (int r = 0; r < nalloc; r++)
			free(files[r]);
		struct decide_level *lv = &set->levels[idx];
		if (sweep_stop) {
			set->n_levels--; /* not measured */
			break;
		}
		char err[320];
		if (ok && sweepdir_level_load(lv, sc, err, sizeof(err))) {
			errorf("sweep: %s", err);
			ok = 0;
		}
		if (!ok) {
			lv->ran_ok = 0;
			progress(sc, lv, 0);
			failed = 1;
			break; /* a target that cannot be measured: stop */
		}
		progress(sc, lv, reused);
		decide_search_feed(&s, load, lv->ev.met);
		json_t *m = sweepdir_manifest(set, dir, text, o->virtual_time, 0);
		if (sweepdir_write_manifest(dir, m))
			warnf("sweep: cannot write the manifest in %s", dir);
		json_decref(m);
	}
	return failed;
}

int cmd_sweep(int argc, char **argv)
{
	struct sweep_opts o;
	struct scenario sc;
	struct decide_set set;
	char **args = NULL, *dir = NULL, *text = NULL, *exe = NULL;
	char err[512];
	int nargs = 0, rc = EXIT_USAGE, any_fail = 0;
	struct sigaction sa, old_int, old_term;
	int have_sig = 0;
	memset(&o, 0, sizeof(o));
	memset(&sc, 0, sizeof(sc));
	memset(&set, 0, sizeof(set));
	int prc = opts_parse(&sweep_cmd, argc, argv, &o, &args, &nargs);
	if (prc) {
		rc = prc > 0 ? EXIT_OK : EXIT_USAGE;
		goto out;
	}
	msg_level = o.quiet ? MSG_QUIET : MSG_NORMAL;
	if (o.peak_rate < 0 || o.peak_conc < 0 ||
	    (o.peak_rate > 0 && o.peak_conc > 0)) {
		errorf("sweep: give one of --peak-rate or --peak-concurrency, "
		       "> 0");
		goto out;
	}
	if (scenario_load(args[0], &sc, err, sizeof(err))) {
		errorf("%s", err);
		goto out;
	}
	for (size_t i = 0; i < sc.n_workloads; i++)
		if (sc.workloads[i].kind == SCEN_WL_TRACE) {
			errorf("%s:%d: workload '%s': trace replay is parsed "
			       "but not supported yet (infbench run has no "
			       "trace input)",
			       sc.path, sc.workloads[i].line,
			       sc.workloads[i].name);
			goto out;
		}
	check_counts(&sc);
	if (o.check) {
		print_plan(&sc, o.virtual_time);
		rc = EXIT_OK;
		goto out;
	}
	text = sweepdir_read_file(args[0], SCEN_MAX_FILE_BYTES, NULL);
	if (!text) {
		errorf("sweep: %s: %s", args[0], strerror(errno));
		goto out;
	}
	dir = o.dir ? xstrdup(o.dir) : xasprintf("sweep-%s", sc.name);
	if (o.exe) {
		exe = xstrdup(o.exe);
	} else {
		exe = realpath("/proc/self/exe", NULL);
		if (!exe) {
			errorf("sweep: cannot resolve /proc/self/exe: %s",
			       strerror(errno));
			rc = EXIT_FAIL;
			goto out;
		}
	}
	char *pd = xasprintf("%s/points", dir), *ld = xasprintf("%s/logs", dir);
	int mrc = mkdir_p(dir);
	if (!mrc)
		mrc = mkdir_p(pd);
	if (!mrc)
		mrc = mkdir_p(ld);
	free(pd);
	free(ld);
	if (mrc) {
		errorf("sweep: cannot create %s: %s", dir, strerror(-mrc));
		rc = EXIT_FAIL;
		goto out;
	}
	{
		char *mp = xasprintf("%s/%s", dir, SWEEPDIR_MANIFEST);
		json_error_t je;
		json_t *old = json_load_file(mp, 0, &je);
		free(mp);
		char dig[32];
		snprintf(dig, sizeof(dig), "%016llx",
			 (unsigned long long)sc.digest);
		const char *od = json_string_value(
			json_object_get(old, "scenario_digest"));
		int vt = json_is_true(json_object_get(old, "virtual_time"));
		if (old && !o.restart && ((od && strcmp(od, dig)) ||
					  vt != o.virtual_time)) {
			errorf("sweep: %s holds a sweep of a different "
			       "scenario or mode (%s); use another --dir or "
			       "--restart",
			       dir, od && strcmp(od, dig) ? "scenario changed"
							  : "--virtual differs");
			json_decref(old);
			goto out;
		}
		if (old && !o.restart)
			notef("sweep: resuming in %s (valid points are reused)",
			      dir);
		json_decref(old);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	have_sig = 1;
	decide_set_init(&set, &sc);
	for (size_t ti = 0; ti < sc.n_targets && !sweep_stop; ti++)
		for (size_t wi = 0; wi < sc.n_workloads && !sweep_stop; wi++)
			any_fail |= sweep_cell(dir, exe, &sc, &set, (int)ti,
					       (int)wi, &o, text);
	decide_compute(&set);
	{
		json_t *m = sweepdir_manifest(&set, dir, text, o.virtual_time,
					      !sweep_stop);
		if (sweepdir_write_manifest(dir, m))
			warnf("sweep: cannot write the manifest in %s", dir);
		json_decref(m);
	}
	if (sweep_stop) {
		errorf("sweep: interrupted; run the same command again to "
		       "resume (%s)", dir);
		rc = EXIT_INTERRUPTED;
		goto out;
	}
	printf("sweep %s: %s%s\n", sc.name, dir,
	       o.virtual_time ? "  (virtual time: SIMULATED targets)" : "");
	decide_print(stdout, &set, o.peak_rate, (double)o.peak_conc);
	printf("\nPoints: %s/points; report: infbench report %s\n", dir, dir);
	rc = any_fail ? EXIT_FAIL : EXIT_OK;
out:
	if (have_sig) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	decide_set_free(&set);
	scenario_free(&sc);
	free(text);
	free(dir);
	free(exe);
	free(args);
	opts_free(&sweep_cmd, &o);
	return rc;
}
