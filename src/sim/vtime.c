/* vtime.c - the virtual-time event loop over one engine. */
#include "sim/vtime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/xmalloc.h"

void sim_timeline_init(struct sim_timeline *tl, uint32_t max_points)
{
	memset(tl, 0, sizeof(*tl));
	tl->cap = max_points ? max_points : SIM_TL_MAX_POINTS;
	if (tl->cap < 2)
		tl->cap = 2;
	tl->stride = 1;
}

void sim_timeline_free(struct sim_timeline *tl)
{
	if (!tl)
		return;
	free(tl->pts);
	tl->pts = NULL;
	tl->n = 0;
}

static void tl_offer(struct sim_timeline *tl, const struct sim_tl_point *p)
{
	if (tl->seen++ % tl->stride)
		return;
	if (!tl->pts)
		tl->pts = xmalloc((size_t)tl->cap * sizeof(*tl->pts));
	if (tl->n == tl->cap) {
		/* keep every other point; double the stride */
		for (uint32_t i = 0; i < tl->n / 2; i++)
			tl->pts[i] = tl->pts[2 * i];
		tl->n /= 2;
		tl->stride *= 2;
		if ((tl->seen - 1) % tl->stride)
			return;
	}
	tl->pts[tl->n++] = *p;
}

struct order {
	int64_t t;
	uint32_t i;
};

static int cmp_order(const void *a, const void *b)
{
	const struct order *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

struct run {
	struct sim_engine *e;
	const struct sim_workload *wl;
	struct rec *recs;
	uint32_t bpt;
	int reserved;
	uint32_t ended; /* requests finished or failed */
};

/* Send request i at time t. Returns 1 when it ended at once (rejected). */
static int send_one(struct run *R, uint32_t i, int64_t t)
{
	struct rec *r = &R->recs[i];
	r->t_arrival_ns = t;
	r->t_send_ns = t;
	r->t_first_byte_ns = t;
	int rc = sim_submit(R->e, i, R->wl->in_len[i], R->wl->out_len[i], t);
	if (rc == 0) {
		/* one event per token: no regrowth */
		rec_reserve_events(r, (uint32_t)R->wl->out_len[i]);
		return 0;
	}
	r->t_done_ns = t;
	if (rc == -EBUSY) {
		r->http_status = 429;
		rec_set_outcome(r, REC_HTTP_ERROR,
				"429 Too Many Requests (engine full)");
	} else {
		r->http_status = R->reserved ? 422 : 400;
		rec_set_outcome(r, REC_HTTP_ERROR,
				rc == -E2BIG ? "request can never fit"
					     : "invalid request");
	}
	R->ended++;
	return 1;
}

int sim_run_virtual(const struct sim_config *cfg, const struct sim_workload *wl,
		    struct rec *out_recs, struct sim_timeline *tl,
		    struct sim_mem *final, char **err)
{
	struct run R = {0};
	struct order *ord = NULL;
	int rc = 0;
	if (err)
		*err = NULL;
	if (!wl->in_len || !wl->out_len || (!wl->arrival_ns && !wl->concurrency)) {
		rc = -EINVAL;
		if (err)
			*err = xstrdup("workload needs in_len, out_len and "
				       "either arrival_ns or concurrency");
		goto out;
	}
	R.e = sim_engine_new(cfg, err);
	if (!R.e) {
		rc = -EINVAL;
		goto out;
	}
	R.wl = wl;
	R.recs = out_recs;
	R.bpt = wl->bytes_per_token ? wl->bytes_per_token : 4;
	R.reserved = cfg->policy == SIM_POLICY_RESERVED;
	for (uint32_t i = 0; i < wl->n; i++) {
		rec_init(&out_recs[i], i);
		out_recs[i].warmup = i < wl->warmup;
		out_recs[i].in_len = wl->in_len[i];
		out_recs[i].out_len = wl->out_len[i];
	}
	uint32_t next = 0; /* next request to release (index into ord) */
	int closed = wl->concurrency > 0;
	if (!closed) {
		ord = xmalloc((size_t)wl->n * sizeof(*ord) + 1);
		for (uint32_t i = 0; i < wl->n; i++)
			ord[i] = (struct order){wl->arrival_ns[i], i};
		qsort(ord, wl->n, sizeof(*ord), cmp_order);
	}
	int64_t now = closed ? 0 : (wl->n ? ord[0].t : 0);
	if (closed) {
		/* a rejected request frees its client at once: start another */
		uint32_t started = 0;
		while (next < wl->n && started < wl->concurrency) {
			if (!send_one(&R, next++, 0))
				started++;
		}
	}
	struct sim_step_out so;
	while (R.ended < wl->n) {
		if (!closed)
			while (next < wl->n && ord[next].t <= now) {
				send_one(&R, ord[next].i, ord[next].t);
				next++;
			}
		int64_t dt = sim_step(R.e, now, &so);
		if (dt == 0) {
			if (closed || next >= wl->n) {
				ASSERT(R.ended == wl->n);
				break;
			}
			now = ord[next].t; /* idle: jump to the next arrival */
			continue;
		}
		now += dt;
		uint32_t freed = 0;
		for (uint32_t k = 0; k < so.n_tokens; k++) {
			const struct sim_tok *t = &so.tokens[k];
			struct rec *r = &out_recs[t->id];
			rec_push_event(r, now, 1, R.bpt);
			if (!t->last)
				continue;
			r->t_done_ns = now;
			r->prompt_tokens = r->in_len;
			r->completion_tokens = (int32_t)r->n_events;
			rec_set_outcome(r, REC_OK, NULL);
			R.ended++;
			freed++;
		}
		if (closed) {
			while (freed > 0 && next < wl->n) {
				if (!send_one(&R, next++, now))
					freed--;
			}
		}
		if (tl) {
			struct sim_mem m;
			sim_stats(R.e, &m);
			struct sim_tl_point p = {
				now, m.running, m.waiting,
				so.prefill_tok + so.decode_tok, m.kv_used_tok,
				m.kv_allocated_tok, m.preemptions};
			tl_offer(tl, &p);
		}
	}
	if (final)
		sim_stats(R.e, final);
out:
	sim_engine_free(R.e);
	free(ord);
	return rc;
}
