/* gpusampler.c - GPU readings on a ticker, timeline + window statistics. */
#include "telemetry/gpusampler.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/msg.h"
#include "core/xmalloc.h"
#include "telemetry/ticker.h"
#include "telemetry/timeline.h"
#include "telemetry/tstat.h"

/* The metrics summarised, as offsets into struct gpu_sample. */
static const struct {
	const char *name;
	size_t off;
} metrics[] = {
	{"mem_used_bytes", offsetof(struct gpu_sample, mem_used_bytes)},
	{"sm_util_pct", offsetof(struct gpu_sample, sm_util_pct)},
	{"mem_util_pct", offsetof(struct gpu_sample, mem_util_pct)},
	{"power_w", offsetof(struct gpu_sample, power_w)},
	{"sm_clock_mhz", offsetof(struct gpu_sample, sm_clock_mhz)},
	{"temp_c", offsetof(struct gpu_sample, temp_c)},
	{"proc_mem_bytes", offsetof(struct gpu_sample, proc_mem_bytes)},
};
#define N_METRICS (sizeof(metrics) / sizeof(metrics[0]))

struct gstats {
	struct tstat base[N_METRICS];
	struct tstat win[N_METRICS];
};

struct gpu_sampler {
	struct gpu_src src;
	int n;
	struct gpu_info info[GPU_MAX_DEVICES];
	int64_t interval_ns;
	struct gpu_sample *scratch; /* n readings, thread-only */
	pthread_mutex_t mu;
	struct ticker tick;
	int started;
	struct tl tl; /* n struct gpu_sample per record */
	struct gstats st[GPU_MAX_DEVICES];
	int64_t win_begin, win_end;
	uint64_t reads, failures, late;
};

static double field(const struct gpu_sample *g, size_t k)
{
	return *(const double *)((const char *)g + metrics[k].off);
}

struct gpu_sampler *gpu_sampler_new(struct gpu_src src,
				    const struct gpu_sampler_cfg *cfg,
				    char *why, size_t why_len)
{
	struct gpu_sampler *s = xcalloc(1, sizeof(*s)), *ret = NULL;
	s->src = src;
	int n = src.ops->open(src.ctx, s->info, GPU_MAX_DEVICES);
	if (n < 0) {
		if (why && why_len)
			snprintf(why, why_len, "%s: no GPU readings (%s)",
				 src.ops->name, strerror(-n));
		goto out;
	}
	if (n == 0) {
		if (why && why_len)
			snprintf(why, why_len, "%s: no GPU found",
				 src.ops->name);
		goto out;
	}
	s->n = n;
	s->interval_ns = cfg && cfg->interval_ns > 0
				 ? cfg->interval_ns
				 : GPU_SAMPLER_DEFAULT_INTERVAL_NS;
	s->scratch = xcalloc((size_t)n, sizeof(struct gpu_sample));
	tl_init(&s->tl, (size_t)n * sizeof(struct gpu_sample),
		cfg ? cfg->max_points : 0);
	pthread_mutex_init(&s->mu, NULL);
	for (int i = 0; i < n; i++)
		for (size_t k = 0; k < N_METRICS; k++) {
			tstat_init(&s->st[i].base[k]);
			tstat_init(&s->st[i].win[k]);
		}
	s->win_begin = s->win_end = INT64_MAX;
	ret = s;
	s = NULL;
out:
	if (s) {
		src.ops->close(src.ctx);
		free(s);
	}
	return ret;
}

void gpu_sampler_free(struct gpu_sampler *s)
{
	if (!s)
		return;
	gpu_sampler_stop(s);
	s->src.ops->close(s->src.ctx);
	tl_free(&s->tl);
	free(s->scratch);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* One reading issued at t_ns; real: on the monotonic clock, so when it
 * was answered is measured (else it is taken as instant: a fake clock). */
static void sample(struct gpu_sampler *s, int64_t t_ns, int real)
{
	for (int i = 0; i < s->n; i++)
		gpu_sample_clear(&s->scratch[i], t_ns);
	int rc = s->src.ops->read(s->src.ctx, s->scratch, s->n);
	int64_t done_ns = real ? clock_now_ns() : t_ns;
	pthread_mutex_lock(&s->mu);
	s->reads++;
	if (rc) {
		s->failures++;
		pthread_mutex_unlock(&s->mu);
		return;
	}
	tl_push(&s->tl, s->scratch);
	/* A baseline reading is one that was over before the window began:
	 * a read that straddles the beginning (a DCGM scrape under load)
	 * may already show the load, and counts for neither. */
	int before = done_ns < s->win_begin;
	int in_win = t_ns >= s->win_begin && t_ns < s->win_end;
	for (int i = 0; i < s->n; i++) {
		const struct gpu_sample *g = &s->scratch[i];
		if (isnan(s->info[i].mem_total_bytes))
			s->info[i].mem_total_bytes = g->mem_total_bytes;
		for (size_t k = 0; k < N_METRICS; k++) {
			if (before)
				tstat_add(&s->st[i].base[k], field(g, k));
			else if (in_win)
				tstat_add(&s->st[i].win[k], field(g, k));
		}
	}
	pthread_mutex_unlock(&s->mu);
}

void gpu_sampler_tick(struct gpu_sampler *s, int64_t t_ns)
{
	sample(s, t_ns, 0);
}

static void on_tick(void *ud, int64_t due_ns)
{
	(void)due_ns;
	sample(ud, clock_now_ns(), 1);
}

int gpu_sampler_start(struct gpu_sampler *s)
{
	if (s->started)
		return 0;
	int rc = ticker_start(&s->tick, s->interval_ns, on_tick, s);
	if (rc == 0)
		s->started = 1;
	return rc;
}

void gpu_sampler_stop(struct gpu_sampler *s)
{
	if (!s->started)
		return;
	ticker_stop(&s->tick);
	s->started = 0;
	pthread_mutex_lock(&s->mu);
	s->late += s->tick.late;
	pthread_mutex_unlock(&s->mu);
}

void gpu_sampler_window_begin(struct gpu_sampler *s, int64_t t_ns)
{
	pthread_mutex_lock(&s->mu);
	s->win_begin = t_ns;
	pthread_mutex_unlock(&s->mu);
}

void gpu_sampler_window_end(struct gpu_sampler *s, int64_t t_ns)
{
	pthread_mutex_lock(&s->mu);
	s->win_end = t_ns;
	pthread_mutex_unlock(&s->mu);
}

const char *gpu_sampler_source(const struct gpu_sampler *s)
{
	return s->src.ops->name;
}

int gpu_sampler_count(const struct gpu_sampler *s)
{
	return s->n;
}

static void fill_stat(struct gpu_stat *o, const struct tstat *b,
		      const struct tstat *w)
{
	o->n_base = b->n;
	o->n_win = w->n;
	o->base_mean = tstat_mean(b);
	o->win_mean = tstat_mean(w);
	o->win_min = tstat_min(w);
	o->win_peak = tstat_max(w);
}

int gpu_sampler_get_summary(struct gpu_sampler *s, int i,
			    struct gpu_summary *out)
{
	if (i < 0 || i >= s->n)
		return -ERANGE;
	pthread_mutex_lock(&s->mu);
	out->info = s->info[i];
	struct gpu_stat *dst[N_METRICS] = {
		&out->mem_used_bytes, &out->sm_util_pct, &out->mem_util_pct,
		&out->power_w,	      &out->sm_clock_mhz, &out->temp_c,
		&out->proc_mem_bytes,
	};
	for (size_t k = 0; k < N_METRICS; k++)
		fill_stat(dst[k], &s->st[i].base[k], &s->st[i].win[k]);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

void gpu_sampler_get_stats(struct gpu_sampler *s,
			   struct gpu_sampler_stats *out)
{
	pthread_mutex_lock(&s->mu);
	out->reads = s->reads;
	out->failures = s->failures;
	out->late = s->late;
	out->points = s->tl.len;
	pthread_mutex_unlock(&s->mu);
}

size_t gpu_sampler_len(struct gpu_sampler *s)
{
	pthread_mutex_lock(&s->mu);
	size_t n = s->tl.len;
	pthread_mutex_unlock(&s->mu);
	return n;
}

int gpu_sampler_point(struct gpu_sampler *s, size_t i, int gpu,
		      struct gpu_sample *out)
{
	int rc = -ERANGE;
	pthread_mutex_lock(&s->mu);
	if (i < s->tl.len && gpu >= 0 && gpu < s->n) {
		const struct gpu_sample *row = tl_at(&s->tl, i);
		*out = row[gpu];
		rc = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

json_t *gpu_sampler_to_json(struct gpu_sampler *s, int64_t t0_ns)
{
	struct gpu_sampler_stats st;
	gpu_sampler_get_stats(s, &st);
	json_t *o = json_object();
	json_object_set_new(o, "source", json_string(gpu_sampler_source(s)));
	json_object_set_new(o, "interval_ms",
			    json_real((double)s->interval_ns / 1e6));
	json_t *js = json_object();
	json_object_set_new(js, "reads", json_integer((json_int_t)st.reads));
	json_object_set_new(js, "failures",
			    json_integer((json_int_t)st.failures));
	json_object_set_new(js, "late_ticks", json_integer((json_int_t)st.late));
	json_object_set_new(js, "points", json_integer((json_int_t)st.points));
	json_object_set_new(o, "stats", js);
	json_t *gpus = json_array();
	for (int i = 0; i < s->n; i++) {
		struct gpu_summary sm;
		gpu_sampler_get_summary(s, i, &sm);
		json_t *g = json_object();
		json_object_set_new(g, "index", json_integer(sm.info.index));
		json_object_set_new(g, "name", json_string(sm.info.name));
		json_object_set_new(g, "uuid", json_string(sm.info.uuid));
		json_object_set_new(g, "mem_total_bytes",
				    tjson_num(sm.info.mem_total_bytes));
		const struct gpu_stat *src[N_METRICS] = {
			&sm.mem_used_bytes, &sm.sm_util_pct, &sm.mem_util_pct,
			&sm.power_w,	    &sm.sm_clock_mhz, &sm.temp_c,
			&sm.proc_mem_bytes,
		};
		json_t *jsum = json_object();
		for (size_t k = 0; k < N_METRICS; k++) {
			json_t *m = json_object();
			json_object_set_new(m, "baseline",
					    tjson_num(src[k]->base_mean));
			json_object_set_new(m, "mean",
					    tjson_num(src[k]->win_mean));
			json_object_set_new(m, "min", tjson_num(src[k]->win_min));
			json_object_set_new(m, "peak",
					    tjson_num(src[k]->win_peak));
			json_object_set_new(m, "n_baseline",
					    json_integer((json_int_t)src[k]->n_base));
			json_object_set_new(m, "n_window",
					    json_integer((json_int_t)src[k]->n_win));
			json_object_set_new(jsum, metrics[k].name, m);
		}
		json_object_set_new(g, "summary", jsum);
		json_t *tl = json_object(), *ts = json_array();
		json_t *cols[N_METRICS];
		json_object_set_new(tl, "t_s", ts);
		for (size_t k = 0; k < N_METRICS; k++) {
			cols[k] = json_array();
			json_object_set_new(tl, metrics[k].name, cols[k]);
		}
		pthread_mutex_lock(&s->mu);
		for (size_t p = 0; p < s->tl.len; p++) {
			const struct gpu_sample *row = tl_at(&s->tl, p);
			const struct gpu_sample *x = &row[i];
			json_array_append_new(
				ts, json_real((double)(x->t_ns - t0_ns) / 1e9));
			for (size_t k = 0; k < N_METRICS; k++)
				json_array_append_new(cols[k],
						      tjson_num(field(x, k)));
		}
		pthread_mutex_unlock(&s->mu);
		json_object_set_new(g, "timeline", tl);
		json_array_append_new(gpus, g);
	}
	json_object_set_new(o, "gpus", gpus);
	return o;
}
