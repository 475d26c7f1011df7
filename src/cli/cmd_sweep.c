/* cmd_sweep.c - `infbench sweep SCENARIO`: per target x workload a load
 * ladder, then bisection to the SLA boundary, then the decision.
 *
 * Each point runs as a child process (`infbench run ...`, or `infbench
 * simulate ...` for a simulated target) that writes a full results file
 * into the sweep directory; the file is read back, the SLA evaluated
 * (decide/eval.h) and the next load chosen (decide/search.h). Points whose
 * files already exist and are valid are reused, so an interrupted sweep
 * resumes. A target with launch: is started before its first point that
 * has to run (launcher/), probed until ready, measured for every workload,
 * then stopped and its GPU memory release checked, one configuration after
 * the other (docs/LAUNCH.md). One progress line per point on stderr; the
 * decision on stdout. Single-threaded except for the optional telemetry
 * samplers.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
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
#include "launcher/gpumem.h"
#include "launcher/launcher.h"
#include "launcher/template.h"
#include "scenario/scenario.h"
#include "telemetry/dcgm.h"
#include "telemetry/gpusampler.h"
#include "telemetry/scrape.h"

#define SWEEP_MAX_ARGV 192  /* child argument vector */
#define SWEEP_TAIL_LINES 20  /* log lines kept of a failed server */
#define GIB (1024.0 * 1024.0 * 1024.0)

struct sweep_opts {
	char *dir;
	int virtual_time, restart, check, quiet, no_launch;
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
	 "infbench binary for the points and {exe} in launch commands "
	 "(default: this one)", NULL, NULL},
	{"no-launch", 0, OPT_BOOL, O(no_launch), "0", NULL,
	 "do not run launch: commands; every target must already be up at "
	 "its url (one configuration per target)", NULL, NULL},
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

/* A launched configuration's server while its points run. */
struct srv {
	int ti;                  /* target, -1 = none */
	int failed;              /* start failed / not ready / crashed */
	struct launcher *l;
	char *url, *metrics_url, *dcgm_url; /* expanded for this launch */
	char *log_abs;
	struct gpumem gm;        /* opened at the first launch */
	int gm_tried;
	struct gpumem_snap before;
	char *meta[2 * SCEN_MAX_SETTINGS + 16]; /* "--meta" "K=V" pairs */
	int n_meta;
};

/* Everything a point needs besides the scenario. */
struct sweep_ctx {
	const char *dir, *dir_abs, *exe, *text;
	const struct sweep_opts *o;
	struct scenario *sc;
	struct decide_set *set;
	struct srv sv;
};

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
		       int rep, const char *stem_abs, int virtual_time,
		       const struct srv *sv)
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
		add(a, sv && sv->url ? sv->url : t->url);
		add(a, "--api");
		add(a, t->api ? t->api : "openai-completions");
		if (t->model) {
			add(a, "--model");
			add(a, t->model);
		}
		add(a, "--max-error-rate");
		add(a, "1");
		for (int i = 0; sv && i < sv->n_meta; i++)
			add(a, sv->meta[i]);
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

static void telem_start(struct telem *tm, const struct scen_target *t,
			const struct srv *sv)
{
	const char *murl = sv && sv->metrics_url ? sv->metrics_url
						 : t->metrics_url;
	const char *durl = sv && sv->dcgm_url ? sv->dcgm_url : t->dcgm_url;
	memset(tm, 0, sizeof(*tm));
	tm->t0 = clock_now_ns();
	if (murl) {
		struct scrape_cfg c;
		memset(&c, 0, sizeof(c));
		c.url = murl;
		c.interval_ns = 250000000LL;
		tm->scr = scrape_new(&c);
		if (tm->scr) {
			scrape_window_begin(tm->scr, tm->t0);
			scrape_start(tm->scr);
		}
	}
	if (durl) {
		struct gpu_src src;
		struct gpu_sampler_cfg gc = {250000000LL, 0};
		char why[256];
		dcgm_src_init(&src, durl, 2000000000LL);
		tm->gs = gpu_sampler_new(src, &gc, why, sizeof(why));
		if (!tm->gs)
			warnf("sweep: %s: %s", durl, why);
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
		     int rep, const char *stem, int virtual_time,
		     const struct srv *sv)
{
	struct argv_b a = {.n = 0};
	char *stem_abs = xasprintf("%s/%s", dir, stem);
	const char *base = strrchr(stem, '/');
	char *log = xasprintf("%s/logs/%s.log", dir, base ? base + 1 : stem);
	char *res = xasprintf("%s.json", stem_abs);
	struct telem tm;
	int rc = -1, status = 0;
	build_argv(&a, exe, sc, ti, wi, load, rep, stem_abs, virtual_time, sv);
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
		telem_start(&tm, &sc->targets[ti], sv);
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
		char st[512];
		scenario_settings_str(t, st, sizeof(st));
		if (t->launch && t->config == 0)
			printf("  launch %s (%d configuration(s)): %s\n",
			       t->group, t->n_configs, t->launch);
		printf("  target %-14s %s %s, %d GPU(s)%s%s%s\n", t->name,
		       uses_sim(t, virtual_time) ? "simulated" : "url",
		       uses_sim(t, virtual_time) ? t->simulated : t->url,
		       t->gpus, t->launch && !uses_sim(t, virtual_time)
					? ", launched"
					: "",
		       st[0] ? ": " : "", st);
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


static int uses_launch(const struct scen_target *t, const struct sweep_opts *o)
{
	return t->launch && !o->no_launch && !uses_sim(t, o->virtual_time);
}

static void srv_meta(struct srv *sv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void srv_meta(struct srv *sv, const char *fmt, ...)
{
	char b[512];
	va_list ap;
	if (sv->n_meta + 2 > (int)(sizeof(sv->meta) / sizeof(sv->meta[0])))
		return;
	va_start(ap, fmt);
	vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	sv->meta[sv->n_meta++] = xstrdup("--meta");
	sv->meta[sv->n_meta++] = xstrdup(b);
}

static void srv_clear(struct srv *sv)
{
	free(sv->url);
	free(sv->metrics_url);
	free(sv->dcgm_url);
	free(sv->log_abs);
	for (int i = 0; i < sv->n_meta; i++)
		free(sv->meta[i]);
	sv->url = sv->metrics_url = sv->dcgm_url = sv->log_abs = NULL;
	sv->n_meta = 0;
	sv->ti = -1;
	sv->failed = 0;
}

static void record_tail(struct sweep_ctx *x, struct decide_launch *lr)
{
	free(lr->log_tail);
	lr->log_tail = x->sv.log_abs
			       ? launcher_log_tail(x->sv.log_abs,
						   DECIDE_LOG_TAIL_BYTES,
						   SWEEP_TAIL_LINES)
			       : NULL;
}

static void print_tail(const struct decide_launch *lr)
{
	if (!lr->log_tail || !lr->log_tail[0]) {
		errorf("sweep:   (the server log %s is empty)", lr->log);
		return;
	}
	errorf("sweep:   last lines of %s:", lr->log);
	for (const char *p = lr->log_tail; *p;) {
		size_t n = strcspn(p, "\n");
		errorf("sweep:   | %.*s", (int)n, p);
		p += n + (*(p + n) == '\n');
	}
}

/* Stop the running server of x->sv (if any), check the GPU memory came
 * back, and write the launch record. */
static void srv_stop(struct sweep_ctx *x)
{
	struct srv *sv = &x->sv;
	if (sv->ti < 0)
		return;
	struct decide_launch *lr = &x->set->launch[sv->ti];
	const struct scen_target *t = &x->sc->targets[sv->ti];
	if (sv->l) {
		struct launch_stop st;
		struct launch_exit ex;
		int alive = launcher_alive(sv->l);
		launcher_stop(sv->l, &st);
		ex = launcher_exit(sv->l);
		if (!lr->exit[0])
			launcher_exit_str(&ex, lr->exit, sizeof(lr->exit));
		lr->stop_killed = st.sent_kill;
		if (lr->state == DECIDE_LAUNCH_OK)
			snprintf(lr->detail, sizeof(lr->detail),
				 "ran its points; stopped in %.1f s (%s%s)",
				 st.stop_s,
				 !alive ? "had already exited"
				 : st.sent_kill ? "SIGKILL after the grace "
						  "period"
						: "SIGTERM",
				 st.group_gone ? "" : "; processes left");
		if (!st.group_gone)
			warnf("sweep: [%s] processes of the server's group "
			      "outlived SIGKILL", t->name);
		launcher_free(sv->l);
		sv->l = NULL;
		if (x->sv.gm.open) {
			struct gpumem_snap after;
			double waited = 0;
			lr->gpu_released = gpumem_wait_release(
				&x->sv.gm, &sv->before,
				t->lc.release_tolerance_mib * 1024 * 1024,
				t->lc.release_timeout_s, 0.25, &after, &waited);
			lr->gpu_after_bytes = gpumem_total(&after);
			if (!lr->gpu_released)
				warnf("sweep: [%s] GPU memory not released "
				      "%.0f s after the stop: %.2f GiB used, "
				      "%.2f GiB before the launch",
				      t->name, waited,
				      lr->gpu_after_bytes / GIB,
				      gpumem_total(&sv->before) / GIB);
		}
	}
	if (sweepdir_write_launch(x->dir, x->set, sv->ti))
		warnf("sweep: cannot write %s/launch/%s.json", x->dir,
		      t->name);
	srv_clear(sv);
}

/* Record a failed launch (state, one line), print it with the log tail. */
static void srv_fail(struct sweep_ctx *x, enum decide_launch_state st,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void srv_fail(struct sweep_ctx *x, enum decide_launch_state st,
		     const char *fmt, ...)
{
	struct decide_launch *lr = &x->set->launch[x->sv.ti];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(lr->detail, sizeof(lr->detail), fmt, ap);
	va_end(ap);
	lr->state = st;
	x->sv.failed = 1;
	if (x->sv.l) {
		/* stop first, so the log holds the server's last words */
		struct launch_stop ls;
		launcher_stop(x->sv.l, &ls);
		struct launch_exit ex = launcher_exit(x->sv.l);
		launcher_exit_str(&ex, lr->exit, sizeof(lr->exit));
		lr->stop_killed = ls.sent_kill;
	}
	record_tail(x, lr);
	errorf("sweep: [%s] %s", x->sc->targets[x->sv.ti].name, lr->detail);
	print_tail(lr);
}

static int expand(struct sweep_ctx *x, const char *what, const char *tmpl,
		  const struct tmpl_var *v, size_t nv, char **out)
{
	char e[256];
	*out = NULL;
	if (!tmpl)
		return 0;
	if (tmpl_expand(tmpl, v, nv, out, e, sizeof(e))) {
		srv_fail(x, DECIDE_LAUNCH_START_FAILED, "%s: %s", what, e);
		return -1;
	}
	return 0;
}

/* Make sure target ti's server runs and is ready (launching it the first
 * time a point needs it). 0 when ready, -1 when it cannot be used. */
static int srv_ensure(struct sweep_ctx *x, int ti)
{
	struct srv *sv = &x->sv;
	const struct scen_target *t = &x->sc->targets[ti];
	struct decide_launch *lr = &x->set->launch[ti];
	struct tmpl_var v[SCEN_MAX_SETTINGS + 8];
	char port_s[16], err[512], *cmd = NULL, *cwd = NULL, *ready = NULL;
	char *env[SCEN_MAX_ENV];
	size_t nv = 0, n_env = 0;
	int port = 0, rc = -1;
	if (sv->ti == ti)
		return sv->failed ? -1 : 0;
	srv_stop(x); /* a previous configuration, if still up */
	sv->ti = ti;
	free(lr->log_tail);
	memset(lr, 0, sizeof(*lr));
	lr->ready_s = lr->crash_load = NAN;
	lr->gpu_before_bytes = lr->gpu_idle_bytes = lr->gpu_after_bytes = NAN;
	lr->gpu_released = -1;
	snprintf(lr->log, sizeof(lr->log), "logs/%s.server.log", t->name);
	sv->log_abs = xasprintf("%s/%s", x->dir, lr->log);
	if (launcher_free_port(&port)) {
		srv_fail(x, DECIDE_LAUNCH_START_FAILED,
			 "no free loopback port for {port}");
		return -1;
	}
	snprintf(port_s, sizeof(port_s), "%d", port);
	v[nv++] = (struct tmpl_var){"exe", x->exe};
	v[nv++] = (struct tmpl_var){"port", port_s};
	v[nv++] = (struct tmpl_var){"host", "127.0.0.1"};
	v[nv++] = (struct tmpl_var){"name", t->name};
	v[nv++] = (struct tmpl_var){"dir", x->dir_abs};
	for (size_t i = 0; i < t->n_settings; i++)
		v[nv++] = (struct tmpl_var){t->settings[i].key,
					    t->settings[i].value};
	if (expand(x, "launch command", t->launch, v, nv, &cmd) ||
	    expand(x, "url", t->url, v, nv, &sv->url) ||
	    expand(x, "metrics_url", t->metrics_url, v, nv,
		   &sv->metrics_url) ||
	    expand(x, "dcgm_url", t->dcgm_url, v, nv, &sv->dcgm_url) ||
	    expand(x, "launch.cwd", t->lc.cwd, v, nv, &cwd) ||
	    expand(x, "launch.ready.http", t->lc.ready_http, v, nv, &ready))
		goto out;
	for (size_t i = 0; i < t->lc.n_env; i++) {
		if (expand(x, "launch.env", t->lc.env[i], v, nv, &env[n_env]))
			goto out;
		n_env++;
	}
	if (ready && ready[0] == '/') { /* a route on the server's url */
		size_t ul = strlen(sv->url);
		while (ul && sv->url[ul - 1] == '/')
			ul--;
		char *full = xasprintf("%.*s%s", (int)ul, sv->url, ready);
		free(ready);
		ready = full;
	}
	snprintf(lr->command, sizeof(lr->command), "%s", cmd);
	if (!sv->gm_tried) {
		sv->gm_tried = 1;
		if (gpumem_open_nvml(&sv->gm))
			notef("sweep: GPU memory will not be checked around "
			      "launches: %s", sv->gm.why);
	}
	if (sv->gm.open && !gpumem_read(&sv->gm, &sv->before))
		lr->gpu_before_bytes = gpumem_total(&sv->before);
	else
		snprintf(lr->gpu_note, sizeof(lr->gpu_note),
			 "GPU memory not checked (%.120s)",
			 sv->gm.open ? "NVML read failed" : sv->gm.why);
	struct launch_cfg lc = {
		.command = cmd,
		.env = (const char *const *)env,
		.n_env = n_env,
		.cwd = cwd,
		.log_path = sv->log_abs,
		.ready_url = ready,
		.ready_log = t->lc.ready_log,
		.ready_timeout_s = t->lc.ready_timeout_s,
		.poll_s = 0.1,
		.stop_grace_s = t->lc.stop_grace_s,
	};
	notef("sweep: [%s] launching: %s", t->name, cmd);
	if (launcher_start(&lc, &sv->l, err, sizeof(err))) {
		srv_fail(x, DECIDE_LAUNCH_START_FAILED, "could not start: %s",
			 err);
		goto out;
	}
	double ready_s = 0;
	enum launch_wait w = launcher_wait_ready(sv->l, &sweep_stop, &ready_s);
	if (w == LAUNCH_EXITED) {
		struct launch_exit ex = launcher_exit(sv->l);
		char es[64];
		launcher_exit_str(&ex, es, sizeof(es));
		srv_fail(x, DECIDE_LAUNCH_START_FAILED,
			 "server exited before it was ready (%s, after %.1f s)",
			 es, launcher_elapsed_s(sv->l));
		goto out;
	}
	if (w == LAUNCH_TIMEOUT) {
		srv_fail(x, DECIDE_LAUNCH_NOT_READY,
			 "server not ready after %.1f s (%s%s%s); stopped",
			 t->lc.ready_timeout_s, ready ? "GET " : "",
			 ready ? ready : "",
			 t->lc.ready_log ? " + log pattern" : "");
		goto out;
	}
	if (w == LAUNCH_INTERRUPTED) {
		sv->failed = 1;
		goto out;
	}
	lr->state = DECIDE_LAUNCH_OK;
	lr->ready_s = ready_s;
	snprintf(lr->detail, sizeof(lr->detail), "ready");
	if (sv->gm.open) {
		struct gpumem_snap idle;
		if (!gpumem_read(&sv->gm, &idle))
			lr->gpu_idle_bytes = gpumem_total(&idle);
	}
	notef("sweep: [%s] ready in %.1f s at %s (pid %d)%s", t->name, ready_s,
	      sv->url, (int)launcher_pid(sv->l),
	      isfinite(lr->gpu_idle_bytes) ? "" : "");
	if (isfinite(lr->gpu_idle_bytes))
		notef("sweep: [%s] idle GPU memory %.2f GiB (%.2f GiB before "
		      "the launch)",
		      t->name, lr->gpu_idle_bytes / GIB,
		      lr->gpu_before_bytes / GIB);
	srv_meta(sv, "config=%s", t->name);
	srv_meta(sv, "group=%s", t->group);
	for (size_t i = 0; i < t->n_settings; i++)
		srv_meta(sv, "setting.%s=%s", t->settings[i].key,
			 t->settings[i].value);
	srv_meta(sv, "launch.command=%s", cmd);
	srv_meta(sv, "launch.ready_s=%.3f", ready_s);
	srv_meta(sv, "launch.pid=%d", (int)launcher_pid(sv->l));
	srv_meta(sv, "launch.log=%s", lr->log);
	if (isfinite(lr->gpu_idle_bytes))
		srv_meta(sv, "launch.gpu_idle_bytes=%.0f", lr->gpu_idle_bytes);
	rc = 0;
out:
	if (rc && sv->l && !sv->failed)
		sv->failed = 1;
	if (rc && !sweep_stop && sv->ti == ti)
		srv_stop(x), sv->ti = ti, sv->failed = 1;
	for (size_t i = 0; i < n_env; i++)
		free(env[i]);
	free(cmd);
	free(cwd);
	free(ready);
	return rc;
}

/* After a point of a launched target: did the server die? Then record the
 * crash, keep the point's file as <stem>.crashed.json (with the crash in
 * run.launch_crash) so a resume does not reuse it, and stop. 1 = crashed. */
static int srv_check_crash(struct sweep_ctx *x, int wi, double load,
			   const char *stem, int during)
{
	struct srv *sv = &x->sv;
	if (!sv->l || launcher_alive(sv->l))
		return 0;
	int ti = sv->ti;
	struct decide_launch *lr = &x->set->launch[ti];
	struct launch_exit ex = launcher_exit(sv->l);
	char es[64], ls[48];
	launcher_exit_str(&ex, es, sizeof(es));
	decide_load_str(x->sc, load, ls, sizeof(ls));
	snprintf(lr->crash_workload, sizeof(lr->crash_workload), "%s",
		 x->sc->workloads[wi].name);
	lr->crash_load = load;
	srv_fail(x, DECIDE_LAUNCH_CRASHED,
		 "server died %s %s at %s (%s, %.1f s after the start)",
		 during ? "during" : "before", x->sc->workloads[wi].name, ls,
		 es, launcher_elapsed_s(sv->l));
	char *from = xasprintf("%s/%s.json", x->dir, stem);
	char *to = xasprintf("%s/%s.crashed.json", x->dir, stem);
	json_error_t je;
	json_t *doc = json_load_file(from, 0, &je);
	if (doc) {
		json_t *c = json_object();
		json_object_set_new(c, "exit", json_string(es));
		json_object_set_new(c, "detail", json_string(lr->detail));
		json_object_set_new(c, "log", json_string(lr->log));
		json_object_set_new(json_object_get(doc, "run"),
				    "launch_crash", c);
		if (json_dump_file(doc, to, JSON_COMPACT |
						    JSON_REAL_PRECISION(17)))
			warnf("sweep: cannot write %s", to);
		json_decref(doc);
	}
	unlink(from);
	free(from);
	free(to);
	srv_stop(x);
	sv->ti = ti; /* remembered: the rest of this target is skipped */
	sv->failed = 1;
	return 1;
}

static int sweep_cell(struct sweep_ctx *x, int ti, int wi)
{
	const char *dir = x->dir, *exe = x->exe, *text = x->text;
	struct scenario *sc = x->sc;
	struct decide_set *set = x->set;
	const struct sweep_opts *o = x->o;
	int launched = uses_launch(&sc->targets[ti], o);
	struct decide_search s;
	double load;
	int failed = 0;
	decide_search_init(&s, sc->load.ladder, sc->load.n,
			   sc->load.mode == SCEN_LOAD_CONCURRENCY,
			   sc->load.bisect_steps, sc->load.tolerance);
	while (!sweep_stop && decide_search_next(&s, &load)) {
		char *files[DECIDE_MAX_REPEATS];
		int reused = 1, ok = 1, nalloc = 0, launch_fail = 0;
		for (int r = 0; r < sc->repeats; r++) {
			char *stem = sweepdir_point_stem(sc, ti, wi, load, r);
			files[r] = xasprintf("%s/%s.json", dir, stem);
			nalloc = r + 1;
			if (o->restart || !sweepdir_point_valid(files[r])) {
				reused = 0;
				if (launched && srv_ensure(x, ti)) {
					ok = 0;
					launch_fail = 1;
				} else if (launched &&
					   srv_check_crash(x, wi, load, stem, 0)) {
					ok = 0; /* died since the last point */
					launch_fail = 1;
				} else if (run_point(dir, exe, sc, ti, wi,
						     load, r, stem,
						     o->virtual_time,
						     launched ? &x->sv : NULL)) {
					ok = 0;
				}
				if (launched && ok && !sweep_stop &&
				    srv_check_crash(x, wi, load, stem, 1)) {
					ok = 0;
					launch_fail = 1;
				}
			}
			free(stem);
			if (!ok || sweep_stop)
				break;
		}
		int nf = ok && !sweep_stop ? sc->repeats : 0;
		if (launch_fail && !sweep_stop) {
			/* the configuration is out: no level, no point file */
			for (int r = 0; r < nalloc; r++)
				free(files[r]);
			failed = 1;
			break;
		}
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
	int have_sig = 0, have_ctx = 0;
	char *dir_abs = NULL;
	struct sweep_ctx x;
	memset(&x, 0, sizeof(x));
	x.sv.ti = -1;
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
	for (size_t i = 0; i < sc.n_targets; i++) {
		const struct scen_target *t = &sc.targets[i];
		if (!o.no_launch || !t->launch)
			continue;
		if (t->n_configs > 1 || strchr(t->url, '{')) {
			errorf("%s:%d: target '%s': --no-launch needs one "
			       "configuration and a url without placeholders",
			       sc.path, t->line, t->name);
			goto out;
		}
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
	char *lad = xasprintf("%s/launch", dir);
	int mrc = mkdir_p(dir);
	if (!mrc)
		mrc = mkdir_p(pd);
	if (!mrc)
		mrc = mkdir_p(ld);
	if (!mrc)
		mrc = mkdir_p(lad);
	free(pd);
	free(ld);
	free(lad);
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
	if (!o.restart)
		sweepdir_load_launches(dir, &set); /* configurations reused */
	dir_abs = realpath(dir, NULL);
	x.dir = dir;
	x.dir_abs = dir_abs ? dir_abs : dir;
	x.exe = exe;
	x.text = text;
	x.o = &o;
	x.sc = &sc;
	x.set = &set;
	have_ctx = 1;
	for (size_t ti = 0; ti < sc.n_targets && !sweep_stop; ti++) {
		for (size_t wi = 0; wi < sc.n_workloads && !sweep_stop; wi++)
			any_fail |= sweep_cell(&x, (int)ti, (int)wi);
		if (x.sv.ti == (int)ti && !sweep_stop)
			srv_stop(&x); /* this configuration is done */
	}
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
	if (have_ctx) {
		if (x.sv.l) { /* interrupted with a server up */
			notef("sweep: stopping the launched server");
			srv_stop(&x);
		}
		srv_clear(&x.sv);
		gpumem_close(&x.sv.gm);
	}
	if (have_sig) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	decide_set_free(&set);
	scenario_free(&sc);
	free(text);
	free(dir);
	free(dir_abs);
	free(exe);
	free(args);
	opts_free(&sweep_cmd, &o);
	return rc;
}
