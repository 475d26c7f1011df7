/* scrape.c - periodic /metrics scraping into a bounded timeline.
 *
 * The HTTP body streams straight into the Prometheus parser, whose samples
 * feed the srvmetrics accumulator; nothing of the body is kept. Only the
 * append of a finished sample (and the window statistics) takes the lock.
 */
#include "telemetry/scrape.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/msg.h"
#include "core/xmalloc.h"
#include "telemetry/httpget.h"
#include "telemetry/prom.h"
#include "telemetry/ticker.h"
#include "telemetry/timeline.h"
#include "telemetry/tstat.h"

struct ctr {
	double base;  /* last value before the window */
	double first; /* first value in the window */
	double last;  /* last value in the window */
};

struct scrape {
	char *url;
	int64_t interval_ns, timeout_ns;
	/* used by the scraping thread only */
	struct httpget http;
	struct prom_parser prom;
	struct srvm map;
	double raw_row[1 + SRVM_MAX_RAW]; /* t_ns, values */
	int noted[4];                     /* kinds already reported */
	/* shared, under mu */
	pthread_mutex_t mu;
	struct ticker tick;
	int started;
	struct scrape_stats st;
	struct tl tl;    /* struct srvm_sample */
	struct tl rawtl; /* raw_row, allocated on first use */
	int64_t win_begin, win_end;
	struct tstat running, waiting, kv, batch;
	struct ctr preempt, prompt, gen;
	double pool;
	uint64_t win_n;
};

static void ctr_init(struct ctr *c)
{
	c->base = c->first = c->last = NAN;
}

static void ctr_add(struct ctr *c, double v, int in_window, int before)
{
	if (isnan(v))
		return;
	if (before)
		c->base = v;
	if (in_window) {
		if (isnan(c->first))
			c->first = v;
		c->last = v;
	}
}

static double ctr_delta(const struct ctr *c)
{
	double from = isnan(c->base) ? c->first : c->base;
	double d = c->last - from;
	return d >= 0 ? d : NAN; /* NaN also when absent */
}

struct scrape *scrape_new(const struct scrape_cfg *cfg)
{
	if (!cfg->url || !*cfg->url)
		return NULL;
	httpget_global_init();
	struct scrape *s = xcalloc(1, sizeof(*s));
	s->url = xstrdup(cfg->url);
	s->interval_ns = cfg->interval_ns > 0 ? cfg->interval_ns
					      : SCRAPE_DEFAULT_INTERVAL_NS;
	s->timeout_ns = cfg->timeout_ns;
	if (s->timeout_ns <= 0)
		s->timeout_ns = s->interval_ns > 2 * NS_PER_S ? s->interval_ns
							      : 2 * NS_PER_S;
	httpget_init(&s->http);
	prom_init(&s->prom);
	srvm_init(&s->map, cfg->flavour, cfg->keep_raw);
	pthread_mutex_init(&s->mu, NULL);
	tl_init(&s->tl, sizeof(struct srvm_sample), cfg->max_points);
	s->rawtl.cap = cfg->max_points; /* tl_init'ed on first raw row */
	s->win_begin = s->win_end = INT64_MAX;
	tstat_init(&s->running);
	tstat_init(&s->waiting);
	tstat_init(&s->kv);
	tstat_init(&s->batch);
	ctr_init(&s->preempt);
	ctr_init(&s->prompt);
	ctr_init(&s->gen);
	s->pool = NAN;
	s->st.flavour = s->map.flavour;
	return s;
}

void scrape_free(struct scrape *s)
{
	if (!s)
		return;
	scrape_stop(s);
	httpget_free(&s->http);
	prom_free(&s->prom);
	srvm_free(&s->map);
	tl_free(&s->tl);
	tl_free(&s->rawtl);
	pthread_mutex_destroy(&s->mu);
	free(s->url);
	free(s);
}

/* Reports the first failure of each kind; later ones are only counted. */
static void note_once(struct scrape *s, int rc, long status)
{
	int k = rc == HTTPGET_ETRANSPORT ? 0
		: rc == HTTPGET_ESTATUS	 ? 1
		: rc == HTTPGET_EGARBAGE ? 2
					 : 3;
	if (s->noted[k])
		return;
	s->noted[k] = 1;
	if (rc == HTTPGET_ETRANSPORT)
		warnf("metrics %s: %s (further failures counted only)",
		      s->url, s->http.err);
	else if (rc == HTTPGET_ESTATUS)
		warnf("metrics %s: HTTP %ld (further failures counted only)",
		      s->url, status);
	else
		warnf("metrics %s: %s response (further failures counted "
		      "only)", s->url, httpget_strerror(rc));
}

/* x was issued at x->t_ns and answered at done_ns. A counter's base is
 * a reading answered before the window began: one that straddles the
 * beginning may count the window's first tokens, and is neither. */
static void append(struct scrape *s, const struct srvm_sample *x, int raw,
		   int64_t done_ns)
{
	int in_win = x->t_ns >= s->win_begin && x->t_ns < s->win_end;
	int before = done_ns < s->win_begin;
	tl_push(&s->tl, x);
	if (raw) {
		if (!s->rawtl.data)
			tl_init(&s->rawtl, sizeof(s->raw_row), s->rawtl.cap);
		tl_push(&s->rawtl, s->raw_row);
	}
	if (in_win) {
		s->win_n++;
		tstat_add(&s->running, x->running);
		tstat_add(&s->waiting, x->waiting);
		tstat_add(&s->kv, x->kv_usage);
		tstat_add(&s->batch, x->batch);
	}
	ctr_add(&s->preempt, x->preemptions, in_win, before);
	ctr_add(&s->prompt, x->prompt_tok, in_win, before);
	ctr_add(&s->gen, x->gen_tok, in_win, before);
	if (!isnan(x->kv_pool_tok))
		s->pool = x->kv_pool_tok;
}

static int scrape_at(struct scrape *s, int64_t t_ns)
{
	long status = 0;
	uint64_t n_samples = 0, n_bad = 0;
	srvm_begin(&s->map);
	int rc = httpget_prom(&s->http, s->url, s->timeout_ns, &s->prom,
			      srvm_prom_cb, &s->map, &status, &n_samples,
			      &n_bad);
	int64_t done_ns = clock_now_ns();
	struct srvm_sample x;
	int raw = 0;
	if (rc == 0) {
		for (size_t i = 0; i < SRVM_MAX_RAW; i++)
			s->raw_row[1 + i] = NAN;
		s->raw_row[0] = (double)t_ns;
		srvm_end(&s->map, t_ns, &x, s->raw_row + 1);
		raw = srvm_raw_active(&s->map);
	}
	pthread_mutex_lock(&s->mu);
	s->st.attempts++;
	s->st.last_status = status;
	switch (rc) {
	case 0:
		s->st.ok++;
		s->st.bad_lines += n_bad;
		append(s, &x, raw, done_ns);
		break;
	case HTTPGET_ETRANSPORT:
		s->st.fail_transport++;
		break;
	case HTTPGET_ESTATUS:
		s->st.fail_status++;
		break;
	case HTTPGET_EGARBAGE:
		s->st.fail_garbage++;
		break;
	default:
		s->st.fail_other++;
		break;
	}
	s->st.flavour = s->map.flavour;
	s->st.raw_dropped = s->map.raw.dropped;
	pthread_mutex_unlock(&s->mu);
	if (rc)
		note_once(s, rc, status);
	return rc;
}

int scrape_once(struct scrape *s)
{
	return scrape_at(s, clock_now_ns());
}

static void on_tick(void *ud, int64_t due_ns)
{
	(void)due_ns;
	scrape_once(ud); /* stamped when issued, not when due */
}

int scrape_start(struct scrape *s)
{
	if (s->started)
		return 0;
	int rc = ticker_start(&s->tick, s->interval_ns, on_tick, s);
	if (rc == 0)
		s->started = 1;
	return rc;
}

void scrape_stop(struct scrape *s)
{
	if (!s->started)
		return;
	ticker_stop(&s->tick);
	s->started = 0;
	pthread_mutex_lock(&s->mu);
	s->st.late_ticks = s->tick.late;
	pthread_mutex_unlock(&s->mu);
}

void scrape_window_begin(struct scrape *s, int64_t t_ns)
{
	pthread_mutex_lock(&s->mu);
	s->win_begin = t_ns;
	pthread_mutex_unlock(&s->mu);
}

void scrape_window_end(struct scrape *s, int64_t t_ns)
{
	pthread_mutex_lock(&s->mu);
	s->win_end = t_ns;
	pthread_mutex_unlock(&s->mu);
}

void scrape_get_stats(struct scrape *s, struct scrape_stats *out)
{
	pthread_mutex_lock(&s->mu);
	*out = s->st;
	out->points = s->tl.len;
	pthread_mutex_unlock(&s->mu);
}

void scrape_get_summary(struct scrape *s, struct scrape_summary *o)
{
	pthread_mutex_lock(&s->mu);
	o->n = s->win_n;
	o->running_mean = tstat_mean(&s->running);
	o->running_peak = tstat_max(&s->running);
	o->waiting_mean = tstat_mean(&s->waiting);
	o->waiting_peak = tstat_max(&s->waiting);
	o->kv_usage_mean = tstat_mean(&s->kv);
	o->kv_usage_peak = tstat_max(&s->kv);
	o->batch_mean = tstat_mean(&s->batch);
	o->batch_peak = tstat_max(&s->batch);
	o->preemptions_delta = ctr_delta(&s->preempt);
	o->prompt_tok_delta = ctr_delta(&s->prompt);
	o->gen_tok_delta = ctr_delta(&s->gen);
	o->kv_pool_tok = s->pool;
	pthread_mutex_unlock(&s->mu);
}

size_t scrape_len(struct scrape *s)
{
	pthread_mutex_lock(&s->mu);
	size_t n = s->tl.len;
	pthread_mutex_unlock(&s->mu);
	return n;
}

int scrape_point(struct scrape *s, size_t i, struct srvm_sample *out)
{
	int rc = -ERANGE;
	pthread_mutex_lock(&s->mu);
	if (i < s->tl.len) {
		*out = *(const struct srvm_sample *)tl_at(&s->tl, i);
		rc = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static double rel_s(int64_t t, int64_t t0)
{
	return (double)(t - t0) / 1e9;
}

json_t *scrape_to_json(struct scrape *s, int64_t t0_ns)
{
	struct scrape_summary sm;
	scrape_get_summary(s, &sm);
	pthread_mutex_lock(&s->mu);
	json_t *o = json_object();
	json_object_set_new(o, "url", json_string(s->url));
	json_object_set_new(o, "flavour",
			    json_string(srvm_flavour_name(s->st.flavour)));
	json_object_set_new(o, "interval_ms",
			    json_real((double)s->interval_ns / 1e6));
	json_t *st = json_object();
	json_object_set_new(st, "attempts", json_integer((json_int_t)s->st.attempts));
	json_object_set_new(st, "ok", json_integer((json_int_t)s->st.ok));
	json_object_set_new(st, "fail_transport",
			    json_integer((json_int_t)s->st.fail_transport));
	json_object_set_new(st, "fail_status",
			    json_integer((json_int_t)s->st.fail_status));
	json_object_set_new(st, "fail_garbage",
			    json_integer((json_int_t)s->st.fail_garbage));
	json_object_set_new(st, "fail_other",
			    json_integer((json_int_t)s->st.fail_other));
	json_object_set_new(st, "bad_lines",
			    json_integer((json_int_t)s->st.bad_lines));
	json_object_set_new(st, "late_ticks",
			    json_integer((json_int_t)s->st.late_ticks));
	json_object_set_new(st, "last_status",
			    json_integer(s->st.last_status));
	json_object_set_new(st, "decimations",
			    json_integer((json_int_t)s->tl.decimations));
	json_object_set_new(o, "stats", st);

	json_t *su = json_object();
	json_object_set_new(su, "n", json_integer((json_int_t)sm.n));
#define SU(k) json_object_set_new(su, #k, tjson_num(sm.k))
	SU(running_mean);
	SU(running_peak);
	SU(waiting_mean);
	SU(waiting_peak);
	SU(kv_usage_mean);
	SU(kv_usage_peak);
	SU(batch_mean);
	SU(batch_peak);
	SU(preemptions_delta);
	SU(prompt_tok_delta);
	SU(gen_tok_delta);
	SU(kv_pool_tok);
#undef SU
	json_object_set_new(o, "summary", su);

	json_t *tl = json_object();
	static const char *const cols[] = {
		"t_s",	   "running", "waiting",    "kv_usage", "preemptions",
		"batch", "prompt_tok", "gen_tok", "kv_pool_tok"};
	json_t *arr[9];
	for (int c = 0; c < 9; c++) {
		arr[c] = json_array();
		json_object_set_new(tl, cols[c], arr[c]);
	}
	for (size_t i = 0; i < s->tl.len; i++) {
		const struct srvm_sample *x = tl_at(&s->tl, i);
		json_array_append_new(arr[0], json_real(rel_s(x->t_ns, t0_ns)));
		json_array_append_new(arr[1], tjson_num(x->running));
		json_array_append_new(arr[2], tjson_num(x->waiting));
		json_array_append_new(arr[3], tjson_num(x->kv_usage));
		json_array_append_new(arr[4], tjson_num(x->preemptions));
		json_array_append_new(arr[5], tjson_num(x->batch));
		json_array_append_new(arr[6], tjson_num(x->prompt_tok));
		json_array_append_new(arr[7], tjson_num(x->gen_tok));
		json_array_append_new(arr[8], tjson_num(x->kv_pool_tok));
	}
	json_object_set_new(o, "timeline", tl);

	if (s->rawtl.data && s->map.raw.n) {
		json_t *raw = json_object(), *keys = json_array(),
		       *ts = json_array(), *vals = json_array();
		size_t nk = s->map.raw.n;
		for (size_t k = 0; k < nk; k++)
			json_array_append_new(keys,
					      json_string(s->map.raw.keys[k]));
		for (size_t i = 0; i < s->rawtl.len; i++) {
			const double *row = tl_at(&s->rawtl, i);
			json_array_append_new(
				ts, json_real(rel_s((int64_t)row[0], t0_ns)));
			json_t *r = json_array();
			for (size_t k = 0; k < nk; k++)
				json_array_append_new(r, tjson_num(row[1 + k]));
			json_array_append_new(vals, r);
		}
		json_object_set_new(raw, "series", keys);
		json_object_set_new(raw, "t_s", ts);
		json_object_set_new(raw, "values", vals);
		json_object_set_new(o, "raw", raw);
	}
	pthread_mutex_unlock(&s->mu);
	return o;
}
