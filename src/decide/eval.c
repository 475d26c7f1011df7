/* eval.c - SLA evaluation of load points (see eval.h). */
#include "decide/eval.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "stats/ci.h"
#include "stats/desc.h"

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* numpy "linear" percentile of ascending v (inf-safe). */
static double pct_linear(const double *v, size_t n, double p)
{
	if (!n)
		return 0;
	double h = (double)(n - 1) * p / 100.0;
	size_t lo = (size_t)floor(h);
	size_t hi = lo + 1 < n ? lo + 1 : lo;
	double f = h - (double)lo;
	if (isinf(v[hi]) || isinf(v[lo]))
		return f > 0 || isinf(v[lo]) ? INFINITY : v[lo];
	return v[lo] + (v[hi] - v[lo]) * f;
}

int decide_eval_term(double *v, size_t n, const struct sla_term *t,
		     double conf, struct decide_term_eval *out)
{
	struct ci_bound b;
	memset(out, 0, sizeof(*out));
	if (ci_pct_upper(n, t->pct, conf, &b))
		return -EINVAL;
	qsort(v, n, sizeof(*v), cmp_dbl);
	out->term = *t;
	out->n = n;
	for (size_t i = 0; i < n; i++)
		out->n_inf += isinf(v[i]) != 0;
	out->estimate_s = pct_linear(v, n, t->pct);
	out->sufficient = b.sufficient;
	out->rank = b.sufficient ? b.rank : 0;
	out->bound_s = b.sufficient ? v[b.rank - 1] : INFINITY;
	out->min_n = (uint64_t)ceil(log(1 - conf) / log(t->pct / 100.0));
	while (out->min_n > 1 &&
	       1 - pow(t->pct / 100.0, (double)(out->min_n - 1)) >= conf)
		out->min_n--;
	out->met = out->sufficient && out->bound_s <= t->limit_s;
	return 0;
}

static double num(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Counted attempt: not warmup, sent (not "not_sent"/"cancelled"). */
static int attempt(const json_t *r, int *ok)
{
	if (json_is_true(json_object_get(r, "warmup")))
		return 0;
	const char *oc = json_string_value(json_object_get(r, "outcome"));
	if (!oc || !strcmp(oc, "not_sent") || !strcmp(oc, "cancelled"))
		return 0;
	*ok = !strcmp(oc, "ok") && isfinite(num(r, "ttft")) &&
	      isfinite(num(r, "e2el"));
	return 1;
}

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

static double queue_s(const json_t *r)
{
	double q = num(r, "t_send") - num(r, "t_arrival");
	return isfinite(q) && q > 0 ? q : 0;
}

static void add_samples(const json_t *r, int ok, int metric, int arr,
			struct vec *a)
{
	if (!ok) {
		vpush(a, INFINITY);
		return;
	}
	switch (metric) {
	case SLA_TTFT:
		vpush(a, (arr ? queue_s(r) : 0) + num(r, "ttft"));
		break;
	case SLA_E2EL:
		vpush(a, (arr ? queue_s(r) : 0) + num(r, "e2el"));
		break;
	case SLA_TPOT: {
		double t = num(r, "tpot");
		vpush(a, isfinite(t) ? t : 0);
		break;
	}
	case SLA_ITL: {
		const json_t *ct = json_object_get(r, "chunk_t");
		size_t n = json_array_size(ct);
		for (size_t i = 1; i < n; i++)
			vpush(a, json_number_value(json_array_get(ct, i)) -
					 json_number_value(
						 json_array_get(ct, i - 1)));
		break;
	}
	default:
		break;
	}
}

double *decide_samples(const json_t *const *docs, size_t n_docs, int metric,
		       int from_arrival, size_t *n)
{
	struct vec a = {0};
	for (size_t d = 0; d < n_docs; d++) {
		const json_t *reqs = json_object_get(docs[d], "requests");
		size_t i;
		const json_t *r;
		json_array_foreach(reqs, i, r)
		{
			int ok = 0;
			if (attempt(r, &ok))
				add_samples(r, ok, metric, from_arrival, &a);
		}
	}
	*n = a.n;
	if (!a.v)
		a.v = xmalloc(sizeof(double));
	return a.v;
}

struct arr_pt {
	double t_arrival, ttft_arr;
};

static int cmp_arr(const void *a, const void *b)
{
	const struct arr_pt *x = a, *y = b;
	return (x->t_arrival > y->t_arrival) - (x->t_arrival < y->t_arrival);
}

static double median_of(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Growth of TTFT-from-arrival within one run (thirds by arrival). */
static void growth(const json_t *doc, int arr, double *early, double *late,
		   double *ratio)
{
	const json_t *reqs = json_object_get(doc, "requests");
	size_t n = 0, i;
	const json_t *r;
	struct arr_pt *p = xcalloc(json_array_size(reqs) + 1, sizeof(*p));
	json_array_foreach(reqs, i, r)
	{
		int ok = 0;
		if (!attempt(r, &ok) || !ok)
			continue;
		p[n].t_arrival = num(r, "t_arrival");
		p[n].ttft_arr = (arr ? queue_s(r) : 0) + num(r, "ttft");
		if (isfinite(p[n].t_arrival))
			n++;
	}
	*early = *late = *ratio = NAN;
	if (n >= DECIDE_GROWTH_MIN_N) {
		qsort(p, n, sizeof(*p), cmp_arr);
		size_t k = n / 3;
		double *v = xmalloc(k * sizeof(double));
		for (size_t j = 0; j < k; j++)
			v[j] = p[j].ttft_arr;
		*early = median_of(v, k);
		for (size_t j = 0; j < k; j++)
			v[j] = p[n - k + j].ttft_arr;
		*late = median_of(v, k);
		free(v);
		*ratio = *early > 0 ? *late / *early : INFINITY;
	}
	free(p);
}

int decide_eval_docs(const json_t *const *docs, size_t n_docs,
		     const struct sla *sla, const struct decide_limits *lim,
		     struct decide_eval *out)
{
	memset(out, 0, sizeof(*out));
	out->ttft_growth = out->ttft_early_s = out->ttft_late_s = NAN;
	for (size_t d = 0; d < n_docs; d++) {
		const json_t *reqs = json_object_get(docs[d], "requests");
		if (!json_is_array(reqs))
			return -EINVAL;
		size_t i;
		const json_t *r;
		json_array_foreach(reqs, i, r)
		{
			int ok = 0;
			if (attempt(r, &ok)) {
				out->attempts++;
				out->failures += !ok;
			}
		}
		double e, l, g;
		growth(docs[d], lim->from_arrival, &e, &l, &g);
		/* the worst repeat speaks for the point */
		if (isfinite(g) && !(g <= out->ttft_growth)) {
			out->ttft_growth = g;
			out->ttft_early_s = e;
			out->ttft_late_s = l;
		}
	}
	out->error_rate = out->attempts
				  ? (double)out->failures / (double)out->attempts
				  : 0;
	out->met = 1;
	out->n_terms = sla->n;
	for (size_t k = 0; k < sla->n; k++) {
		size_t n = 0;
		double *v = decide_samples(docs, n_docs, sla->t[k].metric,
					   lim->from_arrival, &n);
		int rc = decide_eval_term(v, n, &sla->t[k], lim->conf,
					  &out->terms[k]);
		free(v);
		if (rc)
			return rc;
		if (!out->terms[k].met) {
			out->met = 0;
			if (!out->why[0]) {
				const struct decide_term_eval *t =
					&out->terms[k];
				if (!t->sufficient)
					snprintf(out->why, sizeof(out->why),
						 "p%g %s: %zu samples, a "
						 "bound needs %llu",
						 t->term.pct,
						 sla_metric_name(t->term.metric),
						 t->n,
						 (unsigned long long)t->min_n);
				else
					snprintf(out->why, sizeof(out->why),
						 "p%g %s bound %.4g s > %.4g s",
						 t->term.pct,
						 sla_metric_name(t->term.metric),
						 t->bound_s, t->term.limit_s);
			}
		}
	}
	if (out->attempts == 0) {
		out->met = 0;
		snprintf(out->why, sizeof(out->why), "no requests");
	}
	if (out->error_rate > lim->max_error_rate) {
		out->saturated = 1;
		snprintf(out->why, sizeof(out->why),
			 "over-saturated: error rate %.1f%% > %.1f%%",
			 out->error_rate * 100, lim->max_error_rate * 100);
	} else if (lim->queue_growth > 0 && isfinite(out->ttft_growth) &&
		   out->ttft_growth > lim->queue_growth &&
		   out->ttft_late_s - out->ttft_early_s >= DECIDE_GROWTH_MIN_S) {
		out->saturated = 1;
		snprintf(out->why, sizeof(out->why),
			 "over-saturated: queue grows (median TTFT %.3g s "
			 "early in the run, %.3g s late)",
			 out->ttft_early_s, out->ttft_late_s);
	}
	if (out->saturated)
		out->met = 0;
	return 0;
}
