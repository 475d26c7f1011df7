/* requeue.c - periodic stall check over per-request chunk timelines. */
#include "results/requeue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Are all of r's chunk counts known? */
static int exact_counts(const struct rec *r)
{
	struct rec_evcur c;
	struct rec_event e;
	rec_ev_begin(r, &c);
	while (rec_ev_next(&c, &e))
		if (e.tokens < 0)
			return 0;
	return 1;
}

int requeue_check(const struct rec *recs, size_t n, int32_t period_tok,
		  struct requeue_check *out)
{
	memset(out, 0, sizeof(*out));
	if (period_tok < 1)
		return -EINVAL;
	out->period_tok = period_tok;
	double *gaps = NULL, gap_sum = 0;
	size_t ngaps = 0, cap = 0, gap_events = 0;
	for (size_t i = 0; i < n; i++) {
		const struct rec *r = &recs[i];
		if (r->warmup || r->outcome != REC_OK || r->n_events < 2)
			continue;
		if (!exact_counts(r)) {
			if (r->completion_tokens > period_tok ||
			    (int64_t)r->n_events > period_tok)
				out->n_unknown++;
			continue;
		}
		struct rec_evcur c;
		struct rec_event e;
		rec_ev_begin(r, &c);
		if (!rec_ev_next(&c, &e))
			continue;
		int64_t cum = e.tokens, prev = e.t_ns;
		size_t crossed = 0;
		while (rec_ev_next(&c, &e)) {
			double gap = (double)(e.t_ns - prev) / 1e9;
			prev = e.t_ns;
			int64_t before = cum;
			cum += e.tokens;
			if (e.tokens <= 0)
				continue;
			/* e holds tokens before+1 .. cum (1-based); the
			 * first token of pass k+1 is k*P+1, so e starts a
			 * pass for every multiple of P in [before, cum-1] */
			int64_t nb = (cum - 1) / period_tok -
				     (before > 0 ? (before - 1) / period_tok
						 : 0);
			if (nb > 0) {
				crossed += (size_t)nb;
				gap_events++;
				gap_sum += gap;
				if (gap > out->gap_max_s)
					out->gap_max_s = gap;
				continue;
			}
			xgrow((void **)&gaps, &cap, ngaps + 1, sizeof(*gaps));
			gaps[ngaps++] = gap / e.tokens;
		}
		if (crossed) {
			out->n_requests++;
			out->n_boundaries += crossed;
		}
	}
	if (out->n_boundaries) {
		out->gap_mean_s = gap_sum / (double)gap_events;
		if (ngaps) {
			qsort(gaps, ngaps, sizeof(*gaps), cmp_d);
			out->itl_median_s =
				ngaps % 2 ? gaps[ngaps / 2]
					  : (gaps[ngaps / 2 - 1] +
					     gaps[ngaps / 2]) / 2;
		}
		out->stall_mean_s = out->gap_mean_s - out->itl_median_s;
		double lim = 2 * out->itl_median_s;
		if (lim < REQUEUE_MIN_STALL_S)
			lim = REQUEUE_MIN_STALL_S;
		out->detected = out->stall_mean_s > lim;
	}
	free(gaps);
	return 0;
}
