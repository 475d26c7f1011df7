/* summary.c - records to run summary (see summary.h, anchors.md §5). */
#include "results/summary.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/xmalloc.h"
#include "stats/ci.h"
#include "stats/desc.h"

static const char *const metric_names[SUMMARY__METRICS] = {
	[SUMMARY_TTFT] = "ttft",
	[SUMMARY_TPOT] = "tpot",
	[SUMMARY_ITL] = "itl",
	[SUMMARY_E2EL] = "e2el",
};

const char *summary_metric_name(enum summary_metric m)
{
	return (unsigned)m < SUMMARY__METRICS ? metric_names[m] : "unknown";
}

void summary_config_init(struct summary_config *c)
{
	memset(c, 0, sizeof(*c));
	c->pcts[0] = 99;
	c->n_pcts = 1;
	c->metrics = SUMMARY_METRICS_DEFAULT;
	c->ci_conf = 0.95;
}

int summary_config_set_pcts(struct summary_config *c, const char *list)
{
	double v[SUMMARY_MAX_PCTS];
	size_t n = 0;
	const char *p = list;
	if (!p || !*p)
		return -EINVAL;
	for (;;) {
		char *end;
		while (*p == ' ')
			p++;
		double x = strtod(p, &end);
		if (end == p || !(x >= 0 && x <= 100) || n == SUMMARY_MAX_PCTS)
			return -EINVAL;
		v[n++] = x;
		p = end;
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (*p++ != ',')
			return -EINVAL;
	}
	memcpy(c->pcts, v, n * sizeof(v[0]));
	c->n_pcts = n;
	return 0;
}

int summary_config_set_metrics(struct summary_config *c, const char *list)
{
	unsigned bits = 0;
	const char *p = list;
	if (!p || !*p)
		return -EINVAL;
	while (*p) {
		size_t len = strcspn(p, ",");
		int found = 0;
		for (int m = 0; m < SUMMARY__METRICS; m++) {
			if (len == strlen(metric_names[m]) &&
			    !strncmp(p, metric_names[m], len)) {
				bits |= SUMMARY_METRIC_BIT(m);
				found = 1;
			}
		}
		if (!found)
			return -EINVAL;
		p += len;
		if (*p == ',' && !*++p)
			return -EINVAL;
	}
	c->metrics = bits;
	return 0;
}

void summary_pct_word(double p, char *buf, size_t len)
{
	if (p == floor(p) && fabs(p) < 1e15) {
		snprintf(buf, len, "%lld", (long long)p);
		return;
	}
	/* shortest repr that reads back as p, like Python's str(float) */
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, p);
		if (strtod(buf, NULL) == p)
			return;
	}
}

/* Sort x[0..n-1] in place and fill d. */
static void dist_fill(struct summary_dist *d, double *x, size_t n,
		      const struct summary_config *cfg)
{
	struct stats_desc sd;
	memset(d, 0, sizeof(*d));
	stats_describe(x, n, &sd);
	d->n = n;
	d->mean_s = sd.mean;
	d->std_s = sd.std;
	d->median_s = sd.median;
	d->min_s = sd.min;
	d->max_s = sd.max;
	for (size_t i = 0; i < n; i++)
		d->n_inf += isinf(x[i]) != 0;
	d->p50_s = stats_pct_linear(x, n, 50);
	d->p90_s = stats_pct_linear(x, n, 90);
	d->p99_s = stats_pct_linear(x, n, 99);
	d->p99_inverted_cdf_s = stats_pct(x, n, 99, STATS_PCT_INVERTED_CDF);
	d->p99_loadgen_s = stats_pct(x, n, 99, STATS_PCT_LOADGEN);
	for (size_t i = 0; i < cfg->n_pcts; i++)
		d->pct_s[i] = stats_pct_linear(x, n, cfg->pcts[i]);
	struct ci_ranks r;
	d->ci99.p = 99;
	d->ci99.conf = cfg->ci_conf;
	if (n > 0 && ci_pct_ranks(n, 99, cfg->ci_conf, &r) == 0) {
		d->ci99.sufficient = r.sufficient;
		d->ci99.lo_rank = r.lo;
		d->ci99.hi_rank = r.hi;
		d->ci99.lo_s = x[r.lo - 1];
		d->ci99.hi_s = x[r.hi - 1];
		d->ci99.coverage = r.coverage;
	}
}

/* A growable sample array; caps come from the record count, so none. */
struct vec {
	double *v;
	size_t n, cap;
};

static void vec_push(struct vec *a, double x)
{
	if (a->n == a->cap)
		xgrow((void **)&a->v, &a->cap, a->n + 1, sizeof(double));
	a->v[a->n++] = x;
}

static double ns_to_s(int64_t ns)
{
	return (double)ns / (double)NS_PER_S;
}

/* Chunk-level ITL of one success: the gaps between consecutive events. */
static void chunk_itl(const struct rec *r, struct vec *out)
{
	struct rec_evcur c;
	struct rec_event e;
	rec_ev_begin(r, &c);
	if (!rec_ev_next(&c, &e))
		return;
	int64_t prev = e.t_ns;
	while (rec_ev_next(&c, &e)) {
		vec_push(out, ns_to_s(e.t_ns - prev));
		prev = e.t_ns;
	}
}

/* Token-level ITL of one success (see docs/RESULTS.md): events with an
 * unknown delta count as one token if they carried text; a chunk of d > 1
 * tokens contributes d samples of gap/d; the first token-carrying chunk's
 * extra tokens came with the first token (gap 0). */
static void token_itl(const struct rec *r, struct vec *out, size_t *split)
{
	int have = 0;
	int64_t t_last = 0;
	struct rec_evcur c;
	struct rec_event e;
	rec_ev_begin(r, &c);
	while (rec_ev_next(&c, &e)) {
		int64_t d = e.tokens >= 0 ? (int64_t)e.tokens
					  : (int64_t)e.has_text;
		if (d <= 0)
			continue;
		if (d > 1)
			(*split)++;
		if (!have) {
			for (int64_t k = 1; k < d; k++)
				vec_push(out, 0);
			have = 1;
		} else {
			double g = ns_to_s(e.t_ns - t_last) / (double)d;
			for (int64_t k = 0; k < d; k++)
				vec_push(out, g);
		}
		t_last = e.t_ns;
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Busiest 1-s bucket (from the earliest send) of success events. */
static double peak_events(const struct rec *reqs, size_t n,
			  const struct summary_req *per)
{
	int64_t t0 = INT64_MAX, t1 = INT64_MIN;
	size_t n_ev = 0;
	for (size_t i = 0; i < n; i++) {
		if (!per[i].ok)
			continue;
		if (reqs[i].t_send_ns < t0)
			t0 = reqs[i].t_send_ns;
		int64_t last = reqs[i].t_last_ev_ns;
		if (last > t1)
			t1 = last;
		n_ev += reqs[i].n_events;
	}
	if (n_ev == 0)
		return 0;
	/* Count per bucket when the span is small enough, else collect the
	 * bucket of every event and count runs after sorting. */
	uint64_t best = 0;
	int64_t span = (t1 - t0) / NS_PER_S + 1;
	uint32_t *cnt = NULL;
	int64_t *bk = NULL;
	if (span > 0 && (uint64_t)span <= SUMMARY_MAX_PEAK_BUCKETS)
		cnt = xcalloc((size_t)span, sizeof(*cnt));
	else
		bk = xmalloc(n_ev * sizeof(*bk));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (!per[i].ok)
			continue;
		struct rec_evcur c;
		struct rec_event e;
		rec_ev_begin(&reqs[i], &c);
		while (m < n_ev && rec_ev_next(&c, &e)) {
			int64_t b = (e.t_ns - t0) / NS_PER_S;
			if (bk) {
				bk[m++] = b;
				continue;
			}
			if (b < 0)
				b = 0; /* event before its send: data bug */
			if (++cnt[b] > best)
				best = cnt[b];
		}
	}
	if (cnt) {
		free(cnt);
		return (double)best;
	}
	qsort(bk, m, sizeof(*bk), cmp_i64);
	for (size_t i = 0, j; i < m; i = j) {
		for (j = i; j < m && bk[j] == bk[i]; j++)
			;
		if (j - i > best)
			best = j - i;
	}
	free(bk);
	return (double)best;
}

/* Maximum overlap of [t_send, last event) over successes; at equal times
 * ends are processed before starts (touching intervals do not overlap). */
static size_t peak_concurrency(const struct rec *reqs, size_t n,
			       const struct summary_req *per, size_t n_ok)
{
	if (n_ok == 0)
		return 0;
	int64_t *st = xmalloc(n_ok * sizeof(*st));
	int64_t *en = xmalloc(n_ok * sizeof(*en));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (!per[i].ok)
			continue;
		st[m] = reqs[i].t_send_ns;
		en[m] = reqs[i].t_last_ev_ns;
		m++;
	}
	qsort(st, m, sizeof(*st), cmp_i64);
	qsort(en, m, sizeof(*en), cmp_i64);
	size_t cur = 0, best = 0, j = 0;
	for (size_t i = 0; i < m; i++) {
		while (j < m && en[j] <= st[i]) {
			cur--;
			j++;
		}
		if (++cur > best)
			best = cur;
	}
	free(st);
	free(en);
	return best;
}

int summary_compute(struct summary *s, const struct rec *reqs, size_t n,
		    const int32_t *tok_counts, int64_t duration_ns,
		    const struct summary_config *cfg)
{
	int rc = 0;
	struct vec ttft = {0}, tpot = {0}, itl = {0}, e2el = {0};
	struct vec ttft_a = {0}, e2el_a = {0}, itl_t = {0}, tpot_g = {0};
	struct vec queue = {0}, ttft_inf = {0}, e2el_inf = {0};
	memset(s, 0, sizeof(*s));
	if (cfg->n_pcts > SUMMARY_MAX_PCTS ||
	    !(cfg->ci_conf > 0 && cfg->ci_conf < 1) || cfg->slo_ttft_s < 0 ||
	    cfg->slo_tpot_s < 0 || cfg->slo_e2el_s < 0) {
		rc = -EINVAL;
		goto out;
	}
	s->cfg = *cfg;
	s->n_records = n;
	s->duration_s = ns_to_s(duration_ns);
	s->has_slo = cfg->slo_ttft_s > 0 || cfg->slo_tpot_s > 0 ||
		     cfg->slo_e2el_s > 0;
	s->per = xcalloc(n ? n : 1, sizeof(*s->per));
	size_t n_ok = 0;
	double abs_sum = 0, diff_sum = 0, short_sum = 0;

	for (size_t i = 0; i < n; i++) {
		const struct rec *r = &reqs[i];
		struct summary_req *q = &s->per[i];
		enum rec_count_src src;
		q->ttft_s = q->e2el_s = q->tpot_s = q->queue_s = NAN;
		q->in_tokens = r->prompt_tokens >= 0 ? r->prompt_tokens : r->in_len;
		q->out_tokens = rec_out_tokens(r, tok_counts ? tok_counts[i] : -1,
					       &src);
		q->out_src = (uint8_t)src;
		if (r->t_send_ns >= 0)
			q->queue_s = ns_to_s(r->t_send_ns - r->t_arrival_ns);
		if (r->warmup) {
			s->n_warmup++;
			continue;
		}
		q->counted = 1;
		unsigned oc = r->outcome < REC__COUNT ? r->outcome : REC__COUNT;
		/* "ok" without an event or a send time cannot be measured:
		 * count it as no_tokens rather than invent a latency */
		if (oc == REC_OK && (r->n_events == 0 || r->t_send_ns < 0))
			oc = REC_NO_TOKENS;
		s->outcomes[oc]++;
		if (r->t_send_ns >= 0)
			vec_push(&queue, q->queue_s);
		int attempt = oc != REC_NOT_SENT && oc != REC_CANCELLED;
		s->corr.attempts += attempt;
		if (oc != REC_OK) {
			s->failed++;
			if (attempt) {
				vec_push(&ttft_inf, INFINITY);
				vec_push(&e2el_inf, INFINITY);
			}
			continue;
		}
		/* a success */
		q->ok = 1;
		n_ok++;
		s->completed++;
		s->out_src[src]++;
		int64_t t_first = rec_first_ev_ns(r);
		int64_t t_last = r->t_last_ev_ns;
		q->ttft_s = ns_to_s(t_first - r->t_send_ns);
		q->e2el_s = ns_to_s(t_last - r->t_send_ns);
		vec_push(&ttft, q->ttft_s);
		vec_push(&e2el, q->e2el_s);
		vec_push(&ttft_inf, q->ttft_s);
		vec_push(&e2el_inf, q->e2el_s);
		chunk_itl(r, &itl);
		if (q->out_tokens > 1) {
			q->tpot_s = (q->e2el_s - q->ttft_s) /
				    (double)(q->out_tokens - 1);
			vec_push(&tpot, q->tpot_s);
		}
		s->total_input_tokens += q->in_tokens;
		s->total_output_tokens += q->out_tokens;
		/* goodput: <= inclusive; a missing TPOT counts as 0 */
		double tp = q->out_tokens > 1 ? q->tpot_s : 0;
		q->good = s->has_slo &&
			  (cfg->slo_ttft_s <= 0 || q->ttft_s <= cfg->slo_ttft_s) &&
			  (cfg->slo_tpot_s <= 0 || tp <= cfg->slo_tpot_s) &&
			  (cfg->slo_e2el_s <= 0 || q->e2el_s <= cfg->slo_e2el_s);
		s->good += q->good;
		/* corrected views */
		vec_push(&ttft_a, ns_to_s(t_first - r->t_arrival_ns));
		vec_push(&e2el_a, ns_to_s(t_last - r->t_arrival_ns));
		token_itl(r, &itl_t, &s->corr.chunks_split);
		if (q->out_tokens >= 1)
			vec_push(&tpot_g, q->e2el_s / (double)q->out_tokens);
		/* length checks */
		if (r->prompt_tokens >= 0) {
			int32_t d = r->prompt_tokens - r->in_len;
			int32_t ad = d < 0 ? -d : d;
			s->prompt.n_known++;
			s->prompt.n_differ += d != 0;
			abs_sum += ad;
			diff_sum += d;
			if (ad > s->prompt.max_abs_diff)
				s->prompt.max_abs_diff = ad;
		} else {
			s->prompt.n_unknown++;
		}
		if (r->out_len > 0) {
			s->outlen.n_checked++;
			if (q->out_tokens < r->out_len) {
				s->outlen.n_short++;
				short_sum += r->out_len - q->out_tokens;
			}
		}
	}
	if (s->prompt.n_known) {
		s->prompt.mean_abs_diff = abs_sum / (double)s->prompt.n_known;
		s->prompt.mean_diff = diff_sum / (double)s->prompt.n_known;
	}
	if (s->outlen.n_short)
		s->outlen.mean_shortfall = short_sum / (double)s->outlen.n_short;

	double d = s->duration_s;
	if (d > 0) {
		s->request_throughput = (double)s->completed / d;
		s->output_throughput = (double)s->total_output_tokens / d;
		s->total_token_throughput =
			(double)(s->total_input_tokens + s->total_output_tokens) / d;
		s->request_goodput = (double)s->good / d;
	}
	if (s->has_slo && s->corr.attempts)
		s->corr.slo_attainment = (double)s->good / (double)s->corr.attempts;
	s->max_output_tokens_per_s = peak_events(reqs, n, s->per);
	s->max_concurrent_requests = peak_concurrency(reqs, n, s->per, n_ok);

	dist_fill(&s->m[SUMMARY_TTFT], ttft.v, ttft.n, cfg);
	dist_fill(&s->m[SUMMARY_TPOT], tpot.v, tpot.n, cfg);
	dist_fill(&s->m[SUMMARY_ITL], itl.v, itl.n, cfg);
	dist_fill(&s->m[SUMMARY_E2EL], e2el.v, e2el.n, cfg);
	dist_fill(&s->corr.ttft_arrival, ttft_a.v, ttft_a.n, cfg);
	dist_fill(&s->corr.e2el_arrival, e2el_a.v, e2el_a.n, cfg);
	dist_fill(&s->corr.itl_token, itl_t.v, itl_t.n, cfg);
	dist_fill(&s->corr.tpot_guidellm, tpot_g.v, tpot_g.n, cfg);
	dist_fill(&s->corr.queue, queue.v, queue.n, cfg);
	dist_fill(&s->corr.ttft_fail_inf, ttft_inf.v, ttft_inf.n, cfg);
	dist_fill(&s->corr.e2el_fail_inf, e2el_inf.v, e2el_inf.n, cfg);
out:
	free(ttft.v);
	free(tpot.v);
	free(itl.v);
	free(e2el.v);
	free(ttft_a.v);
	free(e2el_a.v);
	free(itl_t.v);
	free(tpot_g.v);
	free(queue.v);
	free(ttft_inf.v);
	free(e2el_inf.v);
	return rc;
}

void summary_free(struct summary *s)
{
	if (!s)
		return;
	free(s->per);
	memset(s, 0, sizeof(*s));
}
