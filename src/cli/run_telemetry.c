/* run_telemetry.c - scraper + GPU sampler + fingerprint + memeff for a run.
 *
 * The order matters: the fingerprint's info GETs happen before any load,
 * the samplers start before the idle baseline, the window opens just before
 * the engine starts (summaries are computed as readings arrive, so it cannot
 * be moved afterwards) and closes when the engine returns.
 */
#include "cli/run_telemetry.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/msg.h"
#include "core/xmalloc.h"
#include "telemetry/dcgm.h"
#include "telemetry/fingerprint.h"
#include "telemetry/gpusampler.h"
#include "telemetry/nvml.h"
#include "telemetry/scrape.h"
#include "telemetry/tstat.h"

#define RTEL_DEFAULT_IDLE_S 1.0   /* idle baseline when a GPU is sampled */
#define RTEL_MAX_REASON 512       /* bytes of the memeff "reason" text */
#define GIB 1073741824.0

enum rtel_gpu_kind { RTEL_GPU_NVML, RTEL_GPU_DCGM, RTEL_GPU_NONE };

struct rtel {
	struct rtel_cfg cfg;      /* strings below are owned copies */
	char *base_url, *metrics_url, *dcgm_url;
	enum rtel_gpu_kind gpu_kind;
	struct scrape *srv;       /* NULL: metrics disabled */
	struct gpu_sampler *gpu;  /* NULL: no GPU source */
	char gpu_note[256];       /* why there is no GPU source */
	double idle_s;            /* idle baseline actually waited */
	int started;
	int64_t win_begin, win_end;
	json_t *fp, *server_js, *gpu_js, *memeff_js;
	struct memeff_out me;
	int me_computed;
};

void rtel_cfg_init(struct rtel_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->idle_baseline_s = -1;
	c->weights_bytes = c->kv_bytes_per_token = c->kv_pool_tokens = NAN;
}

int rtel_gpu_spec_check(const char *spec, const char **why)
{
	if (!spec || !strcmp(spec, "nvml") || !strcmp(spec, "none"))
		return 0;
	if (!strncmp(spec, "dcgm:", 5)) {
		const char *u = spec + 5;
		if (!strncmp(u, "http://", 7) || !strncmp(u, "https://", 8))
			return 0;
		*why = "dcgm: needs an http:// or https:// URL of the "
		       "exporter, e.g. dcgm:http://host:9400/metrics";
		return -EINVAL;
	}
	*why = "expected nvml, dcgm:URL or none";
	return -EINVAL;
}

/* Opens the GPU source named by t->cfg.gpu; t->gpu stays NULL with a note
 * in t->gpu_note when there is none. */
static void open_gpu(struct rtel *t)
{
	const char *spec = t->cfg.gpu ? t->cfg.gpu : "nvml";
	struct gpu_src src;
	char why[256] = "";
	struct gpu_sampler_cfg gc = {0};
	if (t->cfg.gpu_interval_s > 0)
		gc.interval_ns = (int64_t)(t->cfg.gpu_interval_s * 1e9);
	if (!strcmp(spec, "none")) {
		t->gpu_kind = RTEL_GPU_NONE;
		snprintf(t->gpu_note, sizeof(t->gpu_note),
			 "GPU sampling disabled (--gpu none)");
		return;
	}
	if (!strncmp(spec, "dcgm:", 5)) {
		t->gpu_kind = RTEL_GPU_DCGM;
		t->dcgm_url = xstrdup(spec + 5);
		dcgm_src_init(&src, t->dcgm_url, 0);
	} else {
		t->gpu_kind = RTEL_GPU_NVML;
		pid_t pid = t->cfg.server_pid > 0 ? (pid_t)t->cfg.server_pid : 0;
		if (nvml_src_init(&src, pid, why, sizeof(why))) {
			snprintf(t->gpu_note, sizeof(t->gpu_note), "%s", why);
			return;
		}
	}
	t->gpu = gpu_sampler_new(src, &gc, why, sizeof(why));
	if (!t->gpu)
		snprintf(t->gpu_note, sizeof(t->gpu_note), "%s", why);
}

struct rtel *rtel_new(const struct rtel_cfg *cfg)
{
	struct rtel *t = xcalloc(1, sizeof(*t));
	t->cfg = *cfg;
	t->base_url = cfg->base_url ? xstrdup(cfg->base_url) : NULL;
	t->cfg.base_url = t->base_url;
	t->cfg.metrics_url = NULL;
	t->cfg.gpu = cfg->gpu ? xstrdup(cfg->gpu) : NULL;
	t->win_begin = t->win_end = INT64_MIN;

	if (cfg->metrics_url && !strcmp(cfg->metrics_url, "none"))
		t->metrics_url = NULL;
	else if (cfg->metrics_url)
		t->metrics_url = xstrdup(cfg->metrics_url);
	else if (t->base_url)
		t->metrics_url = xasprintf("%s/metrics", t->base_url);
	if (t->metrics_url) {
		struct scrape_cfg sc = {.url = t->metrics_url};
		if (cfg->metrics_interval_s > 0)
			sc.interval_ns =
				(int64_t)(cfg->metrics_interval_s * 1e9);
		t->srv = scrape_new(&sc);
	}

	open_gpu(t);
	if (!t->gpu && t->gpu_kind != RTEL_GPU_NONE)
		notef("gpu: not sampled: %s", t->gpu_note);

	double idle = cfg->idle_baseline_s;
	if (idle < 0)
		idle = t->gpu ? RTEL_DEFAULT_IDLE_S : 0;
	t->idle_s = idle;
	return t;
}

static void collect_fingerprint(struct rtel *t)
{
	struct fp_cfg fc = {
		.server_url = t->base_url,
		.timeout_ns = t->cfg.http_timeout_ns,
		.no_gpu = t->gpu_kind != RTEL_GPU_NVML,
	};
	t->fp = fingerprint_collect(&fc);
	if (t->gpu_kind != RTEL_GPU_NVML) {
		/* The GPU facts come from the source actually sampled: local
		 * NVML would describe this client's machine, not the
		 * server's. */
		json_t *g = json_object_get(t->fp, "gpu");
		json_object_set_new(g, "note",
				    json_string(t->gpu_note[0]
							? t->gpu_note
							: "from the DCGM "
							  "exporter"));
	}
}

/* Set by SIGINT/SIGTERM during the idle baseline only. */
static volatile int rtel_interrupted;

static void on_signal(int sig)
{
	(void)sig;
	rtel_interrupted = 1;
}

int rtel_start(struct rtel *t)
{
	if (t->started)
		return 0;
	t->started = 1;
	int64_t t_start = clock_now_ns();
	struct sigaction sa, old_int, old_term;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	rtel_interrupted = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	/* The sampler threads inherit a mask without SIGINT/SIGTERM, so a
	 * Ctrl-C reaches (and wakes) this thread, not one of them. */
	sigset_t block, old_mask;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old_mask);
	if (t->srv && scrape_start(t->srv))
		warnf("metrics: cannot start the scraper thread");
	if (t->gpu && gpu_sampler_start(t->gpu))
		warnf("gpu: cannot start the sampler thread");
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	/* collected while the idle baseline runs: no load yet */
	collect_fingerprint(t);
	if (t->idle_s > 0 && !rtel_interrupted) {
		notef("telemetry: %.2g s idle baseline", t->idle_s);
		clock_sleep_until_ns(t_start + (int64_t)(t->idle_s * 1e9),
				     &rtel_interrupted);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return rtel_interrupted ? -EINTR : 0;
}

void rtel_window_begin(struct rtel *t, int64_t t_ns)
{
	t->win_begin = t_ns;
	if (t->srv)
		scrape_window_begin(t->srv, t_ns);
	if (t->gpu)
		gpu_sampler_window_begin(t->gpu, t_ns);
}

void rtel_window_end(struct rtel *t, int64_t t_ns)
{
	t->win_end = t_ns;
	if (t->srv)
		scrape_window_end(t->srv, t_ns);
	if (t->gpu)
		gpu_sampler_window_end(t->gpu, t_ns);
}

void rtel_stop(struct rtel *t)
{
	if (t->srv)
		scrape_stop(t->srv);
	if (t->gpu)
		gpu_sampler_stop(t->gpu);
}

void rtel_free(struct rtel *t)
{
	if (!t)
		return;
	rtel_stop(t);
	scrape_free(t->srv);
	gpu_sampler_free(t->gpu);
	json_decref(t->fp);
	json_decref(t->server_js);
	json_decref(t->gpu_js);
	json_decref(t->memeff_js);
	free(t->base_url);
	free(t->metrics_url);
	free(t->dcgm_url);
	free((char *)t->cfg.gpu);
	free(t);
}

static json_t *window_json(const struct rtel *t, const struct rtel_run *r)
{
	json_t *w = json_object();
	int set = t->win_begin != INT64_MIN && t->win_end != INT64_MIN;
	json_object_set_new(w, "begin_s",
			    set ? json_real((double)(t->win_begin - r->t0_ns) /
					    1e9)
				: json_null());
	json_object_set_new(w, "end_s",
			    set ? json_real((double)(t->win_end - r->t0_ns) /
					    1e9)
				: json_null());
	json_object_set_new(w, "includes_warmup",
			    json_boolean(r->window_has_warmup));
	json_object_set_new(w, "t0_from",
			    json_string(r->t0_from ? r->t0_from : "window"));
	json_object_set_new(w, "idle_baseline_s", json_real(t->idle_s));
	return w;
}

/* Device memory for memeff, summed over GPUs: the watched process tree
 * when --server-pid was given and read, else device used. */
static const char *gpu_mem(struct rtel *t, double *idle, double *peak,
			   double *mean)
{
	*idle = *peak = *mean = NAN;
	if (!t->gpu)
		return NULL;
	int n = gpu_sampler_count(t->gpu), use_proc = t->cfg.server_pid > 0;
	struct gpu_summary s;
	for (int i = 0; use_proc && i < n; i++)
		if (gpu_sampler_get_summary(t->gpu, i, &s) ||
		    s.proc_mem_bytes.n_win == 0)
			use_proc = 0;
	double a = 0, b = 0, c = 0;
	int na = 0, nb = 0, nc = 0;
	for (int i = 0; i < n; i++) {
		if (gpu_sampler_get_summary(t->gpu, i, &s))
			continue;
		const struct gpu_stat *m =
			use_proc ? &s.proc_mem_bytes : &s.mem_used_bytes;
		if (!isnan(m->base_mean)) {
			a += m->base_mean;
			na++;
		}
		if (!isnan(m->win_peak)) {
			b += m->win_peak;
			nb++;
		}
		if (!isnan(m->win_mean)) {
			c += m->win_mean;
			nc++;
		}
	}
	if (na == n && n)
		*idle = a;
	if (nb == n && n)
		*peak = b;
	if (nc == n && n)
		*mean = c;
	return use_proc ? "process_tree" : "device_used";
}

static void memeff_nan(struct memeff_out *o)
{
	memset(o, 0, sizeof(*o));
	o->weights_bytes = o->overhead_bytes = o->kv_alloc_bytes = NAN;
	o->kv_alloc_mean_bytes = o->pool_bytes = o->pool_tokens = NAN;
	o->kv_usage_mean = o->kv_usage_peak = NAN;
	o->kv_used_mean_bytes = o->kv_used_peak_bytes = NAN;
	o->naive_tok_s_per_gb = o->tok_s_per_gb_alloc = NAN;
	o->tok_s_per_gb_used = o->per_req_tokens = o->max_concurrency = NAN;
	o->weights_src = "none";
}

/* Appends "; " + s to a reason text. */
static void reason_add(char *r, size_t cap, const char *s)
{
	size_t n = strlen(r);
	snprintf(r + n, cap - n, "%s%s", n ? "; " : "", s);
}

static void build_memeff(struct rtel *t, const struct rtel_run *r)
{
	struct memeff_in in;
	memeff_in_init(&in);
	double *kv = NULL;
	size_t nkv = 0, kvn = 0;
	char reason[RTEL_MAX_REASON] = "";
	const char *pool_src = NULL;
	struct scrape_summary ss;
	int have_srv = 0;

	const char *mem_src = gpu_mem(t, &in.idle_used_bytes,
				      &in.used_peak_bytes, &in.used_mean_bytes);
	if (t->srv) {
		scrape_get_summary(t->srv, &ss);
		have_srv = 1;
		size_t n = scrape_len(t->srv);
		kv = xcalloc(n ? n : 1, sizeof(*kv));
		for (size_t i = 0; i < n; i++) {
			struct srvm_sample x;
			if (scrape_point(t->srv, i, &x) ||
			    x.t_ns < t->win_begin || x.t_ns >= t->win_end)
				continue;
			kv[nkv++] = x.kv_usage;
			if (!isnan(x.kv_usage))
				kvn++;
		}
	}
	in.kv_usage = kv;
	in.n_kv_usage = nkv;
	in.weights_bytes = t->cfg.weights_bytes;
	in.kv_bytes_per_token = t->cfg.kv_bytes_per_token;
	if (t->cfg.kv_pool_tokens > 0) {
		in.pool_tokens = t->cfg.kv_pool_tokens;
		pool_src = "given";
	} else if (have_srv && ss.kv_pool_tok > 0) {
		in.pool_tokens = ss.kv_pool_tok;
		pool_src = "server_metrics";
	}
	in.out_tok_s = r->out_tok_s;
	in.in_len = r->in_len;
	in.out_len = r->out_len;

	if (!t->gpu)
		reason_add(reason, sizeof(reason),
			   "no GPU memory readings (no GPU source), so no "
			   "weights/KV split of device memory");
	if (!kvn)
		reason_add(reason, sizeof(reason),
			   t->srv ? "no KV-usage gauge in the server's "
				    "metrics during the window"
				  : "server metrics disabled, so no KV usage");
	if (!(in.pool_tokens > 0))
		reason_add(reason, sizeof(reason),
			   "KV pool size unknown (--kv-pool-tokens, or a "
			   "server exposing it, e.g. vLLM cache_config_info)");
	if (!(in.kv_bytes_per_token > 0))
		reason_add(reason, sizeof(reason),
			   "KV bytes per token unknown (--kv-bytes-per-token)");
	if (!(in.weights_bytes > 0) && t->gpu)
		reason_add(reason, sizeof(reason),
			   "weights not given (--weights-gb): the idle "
			   "baseline stands in for them");

	t->me_computed = memeff_compute(&in, &t->me) == 0;
	if (!t->me_computed)
		memeff_nan(&t->me);
	json_t *j = memeff_to_json(&t->me);
	json_object_set_new(j, "computed", json_boolean(t->me_computed));
	json_object_set_new(j, "reason",
			    reason[0] ? json_string(reason) : json_null());
	json_t *ji = json_object();
	json_object_set_new(ji, "memory_source",
			    mem_src ? json_string(mem_src) : json_null());
	json_object_set_new(ji, "idle_used_bytes",
			    tjson_num(in.idle_used_bytes));
	json_object_set_new(ji, "used_peak_bytes",
			    tjson_num(in.used_peak_bytes));
	json_object_set_new(ji, "used_mean_bytes",
			    tjson_num(in.used_mean_bytes));
	json_object_set_new(ji, "weights_bytes", tjson_num(in.weights_bytes));
	json_object_set_new(ji, "kv_usage_samples",
			    json_integer((json_int_t)kvn));
	json_object_set_new(ji, "pool_tokens", tjson_num(in.pool_tokens));
	json_object_set_new(ji, "pool_tokens_from",
			    pool_src ? json_string(pool_src) : json_null());
	json_object_set_new(ji, "kv_bytes_per_token",
			    tjson_num(in.kv_bytes_per_token));
	json_object_set_new(ji, "out_tok_s", tjson_num(in.out_tok_s));
	json_object_set_new(ji, "in_len", tjson_num(in.in_len));
	json_object_set_new(ji, "out_len", tjson_num(in.out_len));
	json_object_set_new(j, "inputs", ji);
	t->memeff_js = j;
	free(kv);
}

/* GPU facts for the fingerprint when DCGM, not NVML, was the source. */
static void fp_gpu_from_sampler(struct rtel *t)
{
	json_t *g = json_object_get(t->fp, "gpu");
	if (!g || !t->gpu)
		return;
	int n = gpu_sampler_count(t->gpu);
	json_t *devs = json_array();
	for (int i = 0; i < n; i++) {
		struct gpu_summary s;
		if (gpu_sampler_get_summary(t->gpu, i, &s))
			continue;
		json_t *d = json_object();
		json_object_set_new(d, "index", json_integer(s.info.index));
		json_object_set_new(d, "name", json_string(s.info.name));
		json_object_set_new(d, "uuid", json_string(s.info.uuid));
		json_object_set_new(d, "mem_total_bytes",
				    tjson_num(s.info.mem_total_bytes));
		json_array_append_new(devs, d);
	}
	json_object_set_new(g, "present", json_boolean(n > 0));
	json_object_set_new(g, "source", json_string(gpu_sampler_source(t->gpu)));
	json_object_set_new(g, "count", json_integer(n));
	json_object_set_new(g, "devices", devs);
	json_object_set_new(g, "driver", json_null());
	json_object_set_new(g, "cuda_driver", json_null());
	json_object_set_new(g, "nvml", json_null());
	json_object_set_new(g, "note",
			    json_string("from the DCGM exporter: driver, CUDA "
					"and NVML versions are not exported"));
}

void rtel_finish(struct rtel *t, const struct rtel_run *r)
{
	if (t->server_js)
		return;
	json_t *w = window_json(t, r);
	if (t->srv) {
		t->server_js = scrape_to_json(t->srv, r->t0_ns);
		json_object_set_new(t->server_js, "enabled", json_true());
	} else {
		t->server_js = json_object();
		json_object_set_new(t->server_js, "enabled", json_false());
		json_object_set_new(t->server_js, "note",
				    json_string("metrics scraping disabled "
						"(--metrics-url none)"));
	}
	json_object_set(t->server_js, "window", w);
	if (t->gpu) {
		t->gpu_js = gpu_sampler_to_json(t->gpu, r->t0_ns);
		json_object_set_new(t->gpu_js, "present", json_true());
		json_object_set_new(t->gpu_js, "server_pid",
				    json_integer(t->cfg.server_pid));
		if (t->gpu_kind == RTEL_GPU_DCGM)
			fp_gpu_from_sampler(t);
	} else {
		t->gpu_js = json_object();
		json_object_set_new(t->gpu_js, "present", json_false());
		json_object_set_new(t->gpu_js, "source",
				    json_string(t->gpu_kind == RTEL_GPU_NONE
							? "none"
						: t->gpu_kind == RTEL_GPU_DCGM
							? "dcgm"
							: "nvml"));
		json_object_set_new(t->gpu_js, "note",
				    json_string(t->gpu_note));
	}
	json_object_set(t->gpu_js, "window", w);
	json_decref(w);
	build_memeff(t, r);
}

json_t *rtel_server_json(struct rtel *t)
{
	return t->server_js;
}
json_t *rtel_gpu_json(struct rtel *t)
{
	return t->gpu_js;
}
json_t *rtel_memeff_json(struct rtel *t)
{
	return t->memeff_js;
}
json_t *rtel_fingerprint(struct rtel *t)
{
	return t->fp;
}
const struct memeff_out *rtel_memeff(const struct rtel *t)
{
	return &t->me;
}

void rtel_add_json(struct rtel *t, json_t *doc)
{
	if (t->server_js)
		json_object_set(doc, "server_metrics", t->server_js);
	if (t->gpu_js)
		json_object_set(doc, "gpu", t->gpu_js);
	if (t->memeff_js)
		json_object_set(doc, "memory_efficiency", t->memeff_js);
	if (t->fp)
		json_object_set(doc, "fingerprint", t->fp);
}

/* "%.*f" of v, or "-" for NaN, into a caller buffer. */
static const char *num(char *b, size_t n, double v, int prec)
{
	if (isfinite(v))
		snprintf(b, n, "%.*f", prec, v);
	else
		snprintf(b, n, "-");
	return b;
}

static void print_server(struct rtel *t, FILE *f)
{
	char a[32], b[32], c[32], d[32], e[32], g[32], h[32];
	if (!t->srv) {
		fprintf(f, "  server   metrics not scraped (--metrics-url "
			   "none)\n");
		return;
	}
	struct scrape_stats st;
	struct scrape_summary s;
	scrape_get_stats(t->srv, &st);
	scrape_get_summary(t->srv, &s);
	if (!st.ok) {
		fprintf(f,
			"  server   no metrics from %s (%llu attempts: %llu "
			"transport, %llu HTTP status, %llu garbage)\n",
			t->metrics_url, (unsigned long long)st.attempts,
			(unsigned long long)st.fail_transport,
			(unsigned long long)st.fail_status,
			(unsigned long long)st.fail_garbage);
		return;
	}
	fprintf(f,
		"  server   %s, %llu scrape%s in window: running mean/peak "
		"%s/%s, waiting %s/%s, KV usage %s%%/%s%%, preemptions %s\n",
		srvm_flavour_name(st.flavour), (unsigned long long)s.n,
		s.n == 1 ? "" : "s", num(a, sizeof(a), s.running_mean, 1),
		num(b, sizeof(b), s.running_peak, 0),
		num(c, sizeof(c), s.waiting_mean, 1),
		num(d, sizeof(d), s.waiting_peak, 0),
		num(e, sizeof(e), 100 * s.kv_usage_mean, 1),
		num(g, sizeof(g), 100 * s.kv_usage_peak, 1),
		num(h, sizeof(h), s.preemptions_delta, 0));
	if (s.n == 0)
		fprintf(f, "           (no scrape fell inside the window: the "
			   "run was shorter than --metrics-interval)\n");
}

static void print_gpu(struct rtel *t, FILE *f)
{
	char a[32], b[32], c[32], d[32];
	if (!t->gpu) {
		fprintf(f, "  gpu      not sampled: %s\n", t->gpu_note);
		return;
	}
	int n = gpu_sampler_count(t->gpu);
	for (int i = 0; i < n; i++) {
		struct gpu_summary s;
		if (gpu_sampler_get_summary(t->gpu, i, &s))
			continue;
		fprintf(f,
			"  gpu %-4d %s (%s): memory peak %s GiB (idle %s), "
			"util mean %s%%, power mean %s W\n",
			s.info.index, s.info.name, gpu_sampler_source(t->gpu),
			num(a, sizeof(a), s.mem_used_bytes.win_peak / GIB, 2),
			num(b, sizeof(b), s.mem_used_bytes.base_mean / GIB, 2),
			num(c, sizeof(c), s.sm_util_pct.win_mean, 0),
			num(d, sizeof(d), s.power_w.win_mean, 0));
	}
}

static void print_memeff(struct rtel *t, FILE *f)
{
	const struct memeff_out *m = &t->me;
	char a[32], b[32], c[32], d[32], e[32], g[32];
	if (!t->me_computed) {
		fprintf(f, "  memory   efficiency not computed: no GPU memory "
			   "readings and no KV-usage gauge\n");
		return;
	}
	fprintf(f,
		"  memory   KV allocated %s GB (%s tok/s/GB), KV used mean "
		"%s GB (%s tok/s/GB), naive %s tok/s/GB of device memory; "
		"pool fits %s requests\n",
		num(a, sizeof(a), m->kv_alloc_bytes / 1e9, 2),
		num(b, sizeof(b), m->tok_s_per_gb_alloc, 1),
		num(c, sizeof(c), m->kv_used_mean_bytes / 1e9, 2),
		num(d, sizeof(d), m->tok_s_per_gb_used, 1),
		num(e, sizeof(e), m->naive_tok_s_per_gb, 1),
		num(g, sizeof(g), m->max_concurrency, 0));
	const char *reason = json_string_value(
		json_object_get(t->memeff_js, "reason"));
	if (reason)
		fprintf(f, "           missing: %s\n", reason);
	if (m->flat_prealloc)
		fprintf(f, "  note     %s\n", m->explain);
}

void rtel_print(struct rtel *t, FILE *f)
{
	fprintf(f, "telemetry:\n");
	print_server(t, f);
	print_gpu(t, f);
	if (t->memeff_js)
		print_memeff(t, f);
}
