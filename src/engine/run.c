/* run.c - one benchmark run: phases, worker threads, request lifecycle. */
#include "engine/run.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/msg.h"
#include "core/xmalloc.h"
#include "dist/dist.h"
#include "dist/share.h"
#include "net/client.h"
#include "proto/jscan.h"
#include "proto/ndjson.h"
#include "proto/sse.h"
#include "workload/plan.h"

#define RUN_MAX_WORKERS 256
#define RUN_ERRBODY_MAX 4096      /* bytes of a non-200 body kept */
#define RUN_TEXT_MAX (16u << 20)  /* generated text kept per request */
#define RUN_SCAN_NS (20 * NS_PER_MS) /* timeout scan period */
#define RUN_WARMUP_STREAM (1ULL << 40)

/* Interrupt protocol: the handler bumps the level and pokes every worker's
 * eventfd (write(2) is async-signal-safe). */
static volatile sig_atomic_t stop_level;
static int stop_efds[RUN_MAX_WORKERS];
static volatile sig_atomic_t n_stop_efds;

static void poke_workers(void)
{
	uint64_t one = 1;
	for (int i = 0; i < n_stop_efds; i++)
		if (stop_efds[i] >= 0) {
			ssize_t r = write(stop_efds[i], &one, sizeof(one));
			(void)r;
		}
}

static void on_signal(int sig)
{
	(void)sig;
	if (stop_level < 2)
		stop_level++;
	poke_workers();
}

void run_install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void run_request_stop(int level)
{
	stop_level = level;
	poke_workers();
}

/* What every worker of one phase shares (read-only during the phase). */
struct phase {
	const struct run_config *cfg;
	const struct plan *plan;  /* lengths and prompts per id */
	int64_t t0;               /* monotonic ns at the phase's t0 */
	const int64_t *arrivals;  /* per id (ns from t0), NULL = all at 0 */
	long long n_total;        /* ids [0, n_total) */
	int id_base, id_stride;   /* this rank's ids: base + stride * k
				     (rank, ranks; 0, 1 in one process) */
	int64_t end_issue;        /* absolute ns: no new sends after; -1 */
	int warmup;
	int nworkers;
	int worker_base;          /* global index of worker 0 (ranks before
				     this one hold the lower indexes) */
	long long concurrency;    /* total cap, 0 = none */
};

struct worker;

/* Events reserved per request, at most: address space only (1 MiB), its
 * pages made present as the stream reaches them (record.h), the unused
 * rest given back when the stream ends. */
#define RUN_EVENTS_RESERVE 65536
#define RUN_REQID_MAX 128 /* the per-request id header line, bytes */

struct slot {
	struct worker *w;
	struct http_req http;
	struct sse sse;
	struct ndjson nd;
	struct proto_stream ps;
	struct jscan_memo memo; /* the slot's event template, kept across
				   its requests (same API, same shapes) */
	struct buf body;
	struct buf text;
	struct buf errbody;
	struct plan_scratch prompt; /* prompts built on the fly */
	struct curl_slist idh;      /* the request's id header, chained to
				       cfg->headers (curl reads the list,
				       never frees a node it did not make) */
	char idline[RUN_REQID_MAX];
	size_t rec;      /* index into w->recs */
	int64_t t_cur;   /* timestamp of the bytes being parsed (rel. t0) */
	int busy;
};

struct worker {
	int idx;
	const struct phase *ph;
	pthread_t th;
	struct http_client *cl;
	int efd;
	struct slot **slots;
	size_t nslots, cap_slots;
	long long cap;       /* this worker's concurrency cap, 0 = none */
	size_t busy;
	struct rec *recs;
	size_t nrecs, cap_recs;
	long long k_next;    /* next local index: id = base + stride *
				(idx + k * nworkers) */
	int exhausted;
	int head_blocked;    /* the due request waited for a slot */
	int64_t *late;
	size_t nlate, cap_late;
	int stopping;
	int64_t drain_deadline;
	int64_t cpu_ns;
	uint64_t chunks;
	struct http_client_stats cst;
	char *err;
};

/* The k-th request id of worker w: its rank's ids (base + stride * j),
 * of which it takes every nworkers-th. */
static long long worker_id(const struct worker *w, long long k)
{
	const struct phase *ph = w->ph;
	return ph->id_base +
	       (long long)ph->id_stride * (w->idx + k * ph->nworkers);
}

static struct rec *slot_rec(struct slot *s)
{
	return &s->w->recs[s->rec];
}

/* sse_feed's look-ahead: an event the slot's memo recognises needs no
 * scan for its line end (proto_peek). */
static size_t on_event_peek(void *ud, const char *data, size_t avail)
{
	struct slot *s = ud;
	return proto_peek(&s->ps, data, avail);
}

/* Data of one SSE event or NDJSON line. */
static int on_event_data(void *ud, const char *data, size_t len)
{
	struct slot *s = ud;
	struct worker *w = s->w;
	struct rec *r = slot_rec(s);
	struct proto_event ev;
	w->ph->cfg->api->on_event(&s->ps, data, len, &ev);
	if (ev.prompt_tokens >= 0)
		r->prompt_tokens = ev.prompt_tokens;
	if (ev.completion_tokens >= 0)
		r->completion_tokens = ev.completion_tokens;
	switch (ev.kind) {
	case PEV_TOKEN:
		w->chunks++;
		rec_push_event(r, s->t_cur, ev.tokens, ev.text_bytes);
		break;
	case PEV_ERROR:
		rec_set_outcome(r, REC_STREAM_ERROR, ev.error);
		break;
	case PEV_BAD:
		rec_set_outcome(r, REC_BAD_EVENT, ev.error);
		return 1; /* stop reading: the stream is garbage */
	default:
		break;
	}
	return 0;
}

static void on_head(struct http_req *h, long status, int64_t t)
{
	struct slot *s = h->ud;
	struct rec *r = slot_rec(s);
	r->http_status = (uint16_t)status;
	if (r->t_first_byte_ns < 0)
		r->t_first_byte_ns = t - s->w->ph->t0;
}

static int on_data(struct http_req *h, const struct iovec *v, size_t nv,
		   int64_t t)
{
	struct slot *s = h->ud;
	if (h->status != 200) {
		for (size_t k = 0; k < nv; k++) {
			size_t room = RUN_ERRBODY_MAX - s->errbody.len;
			size_t n = v[k].iov_len;
			buf_append(&s->errbody, v[k].iov_base,
				   n < room ? n : room);
		}
		return 0;
	}
	s->t_cur = t - s->w->ph->t0;
	int rc = s->w->ph->cfg->api->ndjson
			 ? ndjson_feedv(&s->nd, v, nv, on_event_data, s)
			 : sse_feedv(&s->sse, v, nv, on_event_data, s);
	if (rc == -ENOBUFS) {
		rec_set_outcome(slot_rec(s), REC_BAD_EVENT,
				"event larger than the parser's cap");
		return 1;
	}
	return rc;
}

/* Squeeze a server's error body into one line. */
static void one_line(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
}

static void finish_slot(struct slot *s, int64_t t_abs)
{
	struct worker *w = s->w;
	struct rec *r = slot_rec(s);
	r->t_done_ns = t_abs - w->ph->t0;
	rec_trim_events(r);
	if (s->ps.text && s->text.len) {
		r->text = buf_take(&s->text);
		r->text_len = strlen(r->text);
	}
	s->busy = 0;
	w->busy--;
}

static void on_done(struct http_req *h, enum http_result res,
		    const char *detail, int64_t t)
{
	struct slot *s = h->ud;
	struct worker *w = s->w;
	struct rec *r = slot_rec(s);
	const struct proto_ops *api = w->ph->cfg->api;
	int pending = 0;
	if (h->status == 200) {
		s->t_cur = t - w->ph->t0;
		pending = api->ndjson
				  ? ndjson_finish(&s->nd, on_event_data, s) == 1
				  : sse_finish(&s->sse, on_event_data, s) == 1;
	}
	if (h->status && r->http_status == 0)
		r->http_status = (uint16_t)h->status;
	switch (res) {
	case HTTP_RES_OK:
		if (h->status != 200) {
			char *msg = xasprintf("HTTP %ld: %s", h->status,
					      s->errbody.data ? s->errbody.data
							      : "");
			one_line(msg);
			rec_set_outcome(r, REC_HTTP_ERROR, msg);
			free(msg);
		} else if (!api->complete(&s->ps)) {
			rec_set_outcome(r, REC_TRUNCATED,
					pending ? "stream ended mid-event"
						: "stream ended without its "
						  "end-of-stream marker");
		} else if (r->n_events == 0) {
			rec_set_outcome(r, REC_NO_TOKENS,
					"stream carried no generated token");
		} else {
			rec_set_outcome(r, REC_OK, NULL);
		}
		break;
	case HTTP_RES_CONNECT_FAILED:
		rec_set_outcome(r, REC_CONNECT_FAILED, detail);
		break;
	case HTTP_RES_TIMEOUT_CONNECT:
		rec_set_outcome(r, REC_TIMEOUT_CONNECT, detail);
		break;
	case HTTP_RES_TIMEOUT:
		rec_set_outcome(r, REC_TIMEOUT_TOTAL, detail);
		break;
	case HTTP_RES_ABORTED: /* our callback stopped it: cause already set */
		rec_set_outcome(r, REC_BAD_EVENT, detail);
		break;
	case HTTP_RES_RESET:
	case HTTP_RES_OTHER:
		if (h->status && h->status != 200) {
			char *msg = xasprintf("HTTP %ld (then %s)", h->status,
					      detail ? detail : "reset");
			rec_set_outcome(r, REC_HTTP_ERROR, msg);
			free(msg);
		} else {
			rec_set_outcome(r, REC_CONN_RESET, detail);
		}
		break;
	}
	finish_slot(s, t);
}

static struct slot *free_slot(struct worker *w)
{
	for (size_t i = 0; i < w->nslots; i++)
		if (!w->slots[i]->busy)
			return w->slots[i];
	xgrow((void **)&w->slots, &w->cap_slots, w->nslots + 1,
	      sizeof(*w->slots));
	struct slot *s = xcalloc(1, sizeof(*s));
	s->w = w;
	buf_init(&s->body, 0);
	buf_init(&s->text, RUN_TEXT_MAX);
	buf_init(&s->errbody, RUN_ERRBODY_MAX);
	plan_scratch_init(&s->prompt);
	s->http.ud = s;
	s->http.on_head = on_head;
	s->http.on_data = on_data;
	s->http.on_done = on_done;
	w->slots[w->nslots++] = s;
	return s;
}

static size_t push_rec(struct worker *w, long long id)
{
	xgrow((void **)&w->recs, &w->cap_recs, w->nrecs + 1,
	      sizeof(*w->recs));
	struct rec *r = &w->recs[w->nrecs];
	rec_init(r, (uint32_t)id);
	r->warmup = (uint8_t)w->ph->warmup;
	r->worker = w->ph->worker_base + w->idx;
	return w->nrecs++;
}

_Static_assert(RUN_WARMUP_STREAM == PLAN_WARMUP_STREAM,
	       "warm-up lengths must follow the plan's stream rule");

static void start_request(struct worker *w, long long id, int64_t arrival)
{
	const struct phase *ph = w->ph;
	const struct run_config *cfg = ph->cfg;
	struct slot *s = free_slot(w);
	size_t ri = push_rec(w, id);
	struct rec *r = &w->recs[ri];
	int32_t in_len, out_len;
	/* Lengths and prompt depend only on (seed, id), never on which
	 * worker or when it runs; precomputed prompts cost a lookup. */
	plan_lengths(ph->plan, id, ph->warmup, &in_len, &out_len);
	r->in_len = in_len;
	r->out_len = out_len;
	r->t_arrival_ns = arrival;
	/* One event per token plus the role and usage chunks: no allocation
	 * on the per-token path below RUN_EVENTS_RESERVE chunks. */
	if (out_len > 0)
		rec_reserve_events(r, (uint32_t)(out_len < RUN_EVENTS_RESERVE
							 ? out_len + 3
							 : RUN_EVENTS_RESERVE));

	struct plan_prompt prompt;
	char *perr = NULL;
	int prc = plan_prompt(ph->plan, id, ph->warmup, &s->prompt, &prompt,
			      &perr);
	struct proto_params pp = {
		.model = cfg->model,
		.prompt = prompt.text ? prompt.text : "",
		.prompt_ids = prompt.ids,
		.n_prompt_ids = prompt.n_ids,
		.max_tokens = out_len,
		.ignore_eos = cfg->ignore_eos,
		.min_tokens = cfg->min_tokens,
		.temperature = cfg->temperature,
		.include_usage = 1,
		.continuous_usage = cfg->continuous_usage,
		.extra_body = cfg->extra_body,
	};
	buf_reset(&s->body);
	int brc = prc ? prc : cfg->api->build_body(&pp, &s->body);

	s->rec = ri;
	s->busy = 1;
	w->busy++;
	buf_reset(&s->errbody);
	buf_reset(&s->text);
	sse_free(&s->sse);
	sse_init(&s->sse);
	s->sse.peek = on_event_peek;
	ndjson_free(&s->nd);
	ndjson_init(&s->nd);
	proto_stream_init(&s->ps, cfg->save_text ? &s->text : NULL);
	s->ps.memo = &s->memo;
	s->http.url = cfg->gen_url;
	s->http.headers = cfg->headers;
	if (cfg->request_id) {
		snprintf(s->idline, sizeof(s->idline), "%s%s%lld",
			 cfg->request_id, ph->warmup ? "w" : "", id);
		s->idh.data = s->idline;
		s->idh.next = (struct curl_slist *)cfg->headers;
		s->http.headers = &s->idh;
	}
	s->http.body = s->body.data;
	s->http.body_len = s->body.len;

	int64_t now = clock_now_ns();
	r->t_send_ns = now - ph->t0;
	if (brc) {
		char *why = xasprintf("could not build the request%s%s",
				      perr ? ": " : "", perr ? perr : "");
		rec_set_outcome(r, REC_BAD_EVENT, why);
		free(why);
		free(perr);
		finish_slot(s, now);
		return;
	}
	int rc = http_start(w->cl, &s->http);
	if (rc) {
		rec_set_outcome(r, REC_CONNECT_FAILED, strerror(-rc));
		finish_slot(s, clock_now_ns());
	}
}

/* Release every request that is due and has a slot. Returns the absolute
 * deadline of the next one that is not yet due (-1 if none). */
static int64_t issue_due(struct worker *w)
{
	const struct phase *ph = w->ph;
	while (!w->exhausted) {
		long long id = worker_id(w, w->k_next);
		if (id >= ph->n_total) {
			w->exhausted = 1;
			break;
		}
		int64_t arrival = ph->arrivals ? ph->arrivals[id] : 0;
		int64_t now = clock_now_ns();
		if (ph->end_issue >= 0 && now >= ph->end_issue) {
			w->exhausted = 1; /* duration reached */
			break;
		}
		if (ph->t0 + arrival > now)
			return ph->t0 + arrival;
		if (w->cap && (long long)w->busy >= w->cap) {
			w->head_blocked = 1;
			break;
		}
		start_request(w, id, arrival);
		if (ph->arrivals && !w->head_blocked) {
			/* Lateness of the scheduler itself: the slot was free
			 * when the request was due. */
			struct rec *r = &w->recs[w->nrecs - 1];
			xgrow((void **)&w->late, &w->cap_late, w->nlate + 1,
			      sizeof(*w->late));
			w->late[w->nlate++] = r->t_send_ns - arrival;
		}
		w->head_blocked = 0;
		w->k_next++;
	}
	return -1;
}

static void cancel_slot(struct worker *w, struct slot *s,
			enum rec_outcome o, const char *why)
{
	http_abort(w->cl, &s->http);
	rec_set_outcome(slot_rec(s), o, why);
	finish_slot(s, clock_now_ns());
}

static void scan_timeouts(struct worker *w, int64_t now)
{
	double ft = w->ph->cfg->first_token_timeout_s;
	if (ft <= 0)
		return;
	int64_t lim = (int64_t)(ft * 1e9);
	for (size_t i = 0; i < w->nslots; i++) {
		struct slot *s = w->slots[i];
		if (!s->busy)
			continue;
		struct rec *r = slot_rec(s);
		if (r->n_events == 0 && now - (w->ph->t0 + r->t_send_ns) > lim)
			cancel_slot(w, s, REC_TIMEOUT_FIRST_TOKEN,
				    "no token before --first-token-timeout");
	}
}

/* Stop issuing: every planned request not yet sent gets a record. */
static void mark_unsent(struct worker *w)
{
	const struct phase *ph = w->ph;
	if (ph->end_issue < 0 || ph->arrivals) {
		for (;; w->k_next++) {
			long long id = worker_id(w, w->k_next);
			if (id >= ph->n_total)
				break;
			size_t ri = push_rec(w, id);
			struct rec *r = &w->recs[ri];
			int32_t in_len, out_len;
			plan_lengths(ph->plan, id, ph->warmup, &in_len,
				     &out_len);
			r->in_len = in_len;
			r->out_len = out_len;
			r->t_arrival_ns = ph->arrivals ? ph->arrivals[id] : 0;
			rec_set_outcome(r, REC_NOT_SENT,
					"run interrupted before sending");
		}
	}
	w->exhausted = 1;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct phase *ph = w->ph;
	int64_t cpu0 = clock_thread_cpu_ns();
	int64_t next_scan = clock_now_ns() + RUN_SCAN_NS;
	int seen_level = 0;
	clock_sleep_until_ns(ph->t0, NULL);
	for (;;) {
		int64_t now = clock_now_ns();
		int level = stop_level;
		if (level > seen_level) {
			uint64_t x;
			ssize_t rr = read(w->efd, &x, sizeof(x));
			(void)rr;
			seen_level = level;
			if (!w->stopping) {
				w->stopping = 1;
				mark_unsent(w);
				w->drain_deadline =
					now + (int64_t)(ph->cfg->drain_timeout_s *
							1e9);
			}
		}
		if (w->stopping &&
		    (seen_level >= 2 || now >= w->drain_deadline)) {
			for (size_t i = 0; i < w->nslots; i++)
				if (w->slots[i]->busy)
					cancel_slot(w, w->slots[i],
						    REC_CANCELLED,
						    "in flight when the run was "
						    "interrupted");
		}
		int64_t deadline = w->stopping ? -1 : issue_due(w);
		if (w->exhausted && w->busy == 0)
			break;
		if (now >= next_scan) {
			scan_timeouts(w, now);
			next_scan = now + RUN_SCAN_NS;
		}
		if (w->busy && (ph->cfg->first_token_timeout_s > 0) &&
		    (deadline < 0 || next_scan < deadline))
			deadline = next_scan;
		if (w->stopping && (deadline < 0 || w->drain_deadline < deadline))
			deadline = w->drain_deadline;
		if (!w->exhausted && ph->end_issue >= 0 &&
		    (deadline < 0 || ph->end_issue < deadline))
			deadline = ph->end_issue;
		int rc = http_client_poll(w->cl, deadline);
		if (rc < 0) {
			w->err = xasprintf("event loop: %s", strerror(-rc));
			break;
		}
	}
	w->cpu_ns = clock_thread_cpu_ns() - cpu0;
	w->cst = *http_client_stats(w->cl);
	return NULL;
}

static void worker_free(struct worker *w)
{
	for (size_t i = 0; i < w->nslots; i++) {
		struct slot *s = w->slots[i];
		http_req_free(&s->http);
		sse_free(&s->sse);
		ndjson_free(&s->nd);
		jscan_memo_free(&s->memo);
		buf_free(&s->body);
		buf_free(&s->text);
		buf_free(&s->errbody);
		plan_scratch_free(&s->prompt);
		free(s);
	}
	free(w->slots);
	/* w->cl belongs to the run's pool */
	if (w->efd >= 0)
		close(w->efd);
	free(w->late);
	free(w->err);
	/* recs were moved to the output */
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_rec_id(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

/* Run one phase with nw workers on the clients in pool[0..nw) (one per
 * worker, kept across phases so warm-up connections stay open for the
 * measurement); appends its records to out. */
static int run_phase(struct phase *ph, struct http_client **pool,
		     struct run_output *out, struct run_selfcheck *sc,
		     char **err)
{
	int rc = 0, nw = ph->nworkers;
	struct worker *ws = xcalloc((size_t)nw, sizeof(*ws));
	for (int i = 0; i < nw; i++) {
		struct worker *w = &ws[i];
		w->idx = i;
		w->ph = ph;
		w->efd = -1;
		if (ph->concurrency > 0)
			w->cap = ph->concurrency / nw +
				 (i < ph->concurrency % nw ? 1 : 0);
		w->cl = pool[i];
		w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (w->efd < 0 || http_client_watch_fd(w->cl, w->efd)) {
			*err = xasprintf("eventfd: %s", strerror(errno));
			rc = -EIO;
			goto out;
		}
	}
	n_stop_efds = 0;
	for (int i = 0; i < nw; i++)
		stop_efds[i] = ws[i].efd;
	n_stop_efds = nw;
	for (int i = 0; i < nw; i++)
		if (pthread_create(&ws[i].th, NULL, worker_main, &ws[i])) {
			/* Run what started; the rest of the ids stay unsent
			 * and are recorded as such below. */
			errorf("could not start worker %d", i);
			ws[i].th = 0;
		}
	for (int i = 0; i < nw; i++)
		if (ws[i].th)
			pthread_join(ws[i].th, NULL);
	n_stop_efds = 0;
	for (int i = 0; i < nw; i++) {
		struct worker *w = &ws[i];
		if (!w->th && !w->stopping) {
			w->stopping = 1;
			mark_unsent(w);
		}
		if (w->err && !rc) {
			*err = w->err;
			w->err = NULL;
			rc = -EIO;
		}
		size_t cap = out->n;
		xgrow((void **)&out->recs, &cap, out->n + w->nrecs,
		      sizeof(*out->recs));
		memcpy(out->recs + out->n, w->recs,
		       w->nrecs * sizeof(*w->recs));
		out->n += w->nrecs;
		free(w->recs);
		w->recs = NULL;
		if (sc) {
			sc->cpu_s += (double)w->cpu_ns / 1e9;
			sc->chunks += w->chunks;
			sc->native_transfers += w->cst.native_starts;
			sc->curl_transfers += w->cst.curl_starts;
			sc->connections += w->cst.native_connects;
			if (w->cst.stamp_delay_max_ns > sc->stamp_delay_max_ns)
				sc->stamp_delay_max_ns =
					w->cst.stamp_delay_max_ns;
			sc->stamp_delay_mean_ns +=
				(double)w->cst.stamp_delay_sum_ns;
			if (w->cst.timer_lag_max_ns > sc->timer_lag_max_ns)
				sc->timer_lag_max_ns = w->cst.timer_lag_max_ns;
			sc->timer_lag_mean_ns +=
				(double)w->cst.timer_lag_sum_ns;
		}
	}
	if (sc) {
		uint64_t cbs = 0, wakes = 0;
		size_t nl = 0;
		for (int i = 0; i < nw; i++) {
			cbs += ws[i].cst.data_cbs;
			wakes += ws[i].cst.timer_wakes;
			nl += ws[i].nlate;
		}
		sc->stamp_delay_mean_ns = cbs ? sc->stamp_delay_mean_ns /
							(double)cbs
					      : 0;
		sc->timer_lag_mean_ns =
			wakes ? sc->timer_lag_mean_ns / (double)wakes : 0;
		sc->stamp_n = cbs;
		sc->timer_n = wakes;
		int64_t *all = xmalloc((nl ? nl : 1) * sizeof(int64_t));
		size_t k = 0;
		for (int i = 0; i < nw; i++) {
			if (!ws[i].nlate)
				continue; /* late may be NULL: memcpy UB */
			memcpy(all + k, ws[i].late,
			       ws[i].nlate * sizeof(int64_t));
			k += ws[i].nlate;
		}
		qsort(all, nl, sizeof(int64_t), cmp_i64);
		sc->lateness_n = nl;
		if (nl) {
			size_t idx = (size_t)ceil(0.99 * (double)nl) - 1;
			sc->lateness_p99_ns = all[idx];
			sc->lateness_max_ns = all[nl - 1];
		}
		free(all);
	}
out:
	for (int i = 0; i < nw; i++)
		worker_free(&ws[i]);
	free(ws);
	return rc;
}

static void judge_client(struct run_selfcheck *sc, int threads)
{
	sc->cpu_us_per_chunk = sc->chunks ? sc->cpu_s * 1e6 / (double)sc->chunks
					  : 0;
	sc->cpu_busy_frac = sc->wall_s > 0 ? sc->cpu_s / (sc->wall_s * threads)
					   : 0;
	/* Thresholds: the client must add well under a millisecond. */
	if (sc->lateness_n >= 20 && sc->lateness_p99_ns > 1 * NS_PER_MS)
		snprintf(sc->why, sizeof(sc->why),
			 "send lateness p99 %.2f ms > 1 ms",
			 (double)sc->lateness_p99_ns / 1e6);
	else if (sc->stamp_delay_mean_ns > 1.0 * NS_PER_MS)
		snprintf(sc->why, sizeof(sc->why),
			 "ready data waited %.2f ms on average before it was "
			 "read and stamped (> 1 ms)",
			 sc->stamp_delay_mean_ns / 1e6);
	else if (sc->timer_lag_mean_ns > 0.5 * NS_PER_MS)
		snprintf(sc->why, sizeof(sc->why),
			 "event-loop timer lag mean %.2f ms > 0.5 ms",
			 sc->timer_lag_mean_ns / 1e6);
	else if (sc->cpu_busy_frac > 0.9)
		snprintf(sc->why, sizeof(sc->why),
			 "client threads %.0f%% busy", sc->cpu_busy_frac * 100);
	else
		return;
	sc->client_limited = 1;
}

/* The measured ids and their arrivals (ns from t0, NULL = all at t0):
 * a trace's, a rate schedule's, or open-ended (--duration closed loop).
 * *own gets the array to free. */
static void measured_schedule(const struct run_config *cfg,
			      const struct plan *plan, struct phase *ph,
			      int64_t **own)
{
	int finite_rate = cfg->arrivals.rate > 0 && !isinf(cfg->arrivals.rate);
	*own = NULL;
	if (plan_arrivals(plan)) {
		/* Trace replay: the trace's own arrival times and count. */
		ph->n_total = plan_count(plan);
		ph->arrivals = plan_arrivals(plan);
	} else if (cfg->duration_s > 0) {
		if (finite_rate) {
			size_t n;
			*own = sched_until(&cfg->arrivals, cfg->duration_s, &n);
			ph->n_total = (long long)n;
		} else {
			ph->n_total = 1LL << 40; /* until the clock runs out */
		}
	} else {
		ph->n_total = cfg->num_requests;
		if (finite_rate) {
			*own = xmalloc((size_t)ph->n_total * sizeof(int64_t));
			sched_fixed(&cfg->arrivals, (size_t)ph->n_total, *own);
		}
	}
	if (!ph->arrivals)
		ph->arrivals = *own;
}

/* Distributed: send this rank's output to rank 0, which merges every
 * rank's (dist/share.h) and re-judges the merged self-check. Other ranks
 * keep nothing. rc/err: this rank's failure so far, passed on to rank 0. */
static void gather_ranks(const struct run_config *cfg, const struct phase *ph,
			 int open_ended, struct run_output *out, int rc,
			 const char *err)
{
	struct pack_w pw;
	struct dist_blob *blobs = NULL;
	pack_w_init(&pw, DIST_MAX_PAYLOAD);
	if (dist_rank() != 0) {
		share_pack(&pw, out);
		if (pw.err) {
			errorf("rank %d: results exceed %zu bytes: not sent",
			       dist_rank(), (size_t)DIST_MAX_PAYLOAD);
			buf_reset(&pw.b);
			rc = -ENOBUFS;
			err = "its results exceeded the gather cap";
		}
	}
	dist_gather(pw.b.data, pw.b.len, rc ? 1 : 0, rc ? err : NULL,
		    &stop_level, cfg->drain_timeout_s, &blobs);
	pack_w_free(&pw);
	if (dist_rank() != 0) {
		run_output_free(out); /* rank 0 owns them now */
		return;
	}
	struct share_sched sc = {
		.plan = ph->plan,
		.n_fill = open_ended ? 0 : ph->n_total,
		.arrivals = ph->arrivals,
	};
	size_t dup = share_merge(out, blobs, dist_ranks(), dist_size(), &sc);
	dist_blobs_free(blobs, dist_size());
	ASSERT(dup == 0 && "two ranks ran the same request id");
	out->self.client_limited = 0;
	out->self.why[0] = '\0';
	judge_client(&out->self, out->threads > 0 ? out->threads : 1);
	for (int r = 0; r < out->n_ranks && !out->self.client_limited; r++)
		if (out->ranks[r].self.client_limited) {
			char *why = xasprintf("rank %d (%s): %s", r,
					      out->ranks[r].host,
					      out->ranks[r].self.why);
			out->self.client_limited = 1;
			snprintf(out->self.why, sizeof(out->self.why), "%s",
				 why);
			free(why);
		}
	out->duration_ns = 0;
	for (size_t i = out->n_warmup; i < out->n; i++)
		if (out->recs[i].t_done_ns > out->duration_ns)
			out->duration_ns = out->recs[i].t_done_ns;
}

int run_execute(const struct run_config *cfg, struct run_output *out,
		char **err)
{
	int rc = 0, voted = 0, runs = 0;
	int rank = dist_rank(), size = dist_size();
	int64_t *arrivals = NULL;
	struct http_client *pool[RUN_MAX_WORKERS] = {NULL};
	struct plan *own = NULL;
	const struct plan *plan = cfg->plan;
	memset(out, 0, sizeof(*out));
	out->n_ranks = 1;
	http_global_init();
	stop_level = 0;
	if (!plan) {
		struct plan_config pc = {
			.in_dist = cfg->in_dist,
			.out_dist = cfg->out_dist,
			.seed = cfg->seed,
			.num_requests = cfg->num_requests,
			.warmup = cfg->warmup,
			.win_end_s = -1,
		};
		if ((rc = plan_new(&pc, &own, err)) ||
		    (rc = plan_prepare(own, 0, 0, err)))
			goto out;
		plan = own;
	}

	/* This rank's share of the concurrency cap (all of it in one
	 * process); its workers split it further. */
	long long cap = cfg->concurrency > 0
				? share_cap(cfg->concurrency, rank, size)
				: 0;
	if (cfg->concurrency > 0 && cap == 0) {
		*err = xasprintf("--concurrency %lld leaves rank %d without a "
				 "stream (%d ranks)",
				 cfg->concurrency, rank, size);
		rc = -EINVAL;
		goto out;
	}
	int nw = cfg->threads > 0 ? cfg->threads : 1;
	if (cap > 0 && nw > cap)
		nw = (int)cap;
	if (nw > RUN_MAX_WORKERS)
		nw = RUN_MAX_WORKERS;
	struct http_client_config hc = {
		.connect_timeout_s = cfg->connect_timeout_s,
		.timeout_s = cfg->timeout_s,
		.insecure = cfg->insecure,
		.verbose = cfg->verbose > 1,
		.transport = (enum http_transport)cfg->transport,
	};
	for (int i = 0; i < nw; i++) {
		long long wcap = cap > 0 ? cap / nw + (i < cap % nw) : 0;
		hc.max_connections = wcap > 0 ? wcap + 16 : 1024;
		pool[i] = http_client_new(&hc, err);
		if (!pool[i]) {
			rc = -EIO;
			goto out;
		}
	}

	struct phase ph = {
		.cfg = cfg,
		.plan = plan,
		.end_issue = -1,
		.id_base = rank,
		.id_stride = size,
		.nworkers = nw,
		.concurrency = cap,
	};
	int finite_rate = cfg->arrivals.rate > 0 && !isinf(cfg->arrivals.rate);
	int open_ended = cfg->duration_s > 0 && !finite_rate &&
			 !plan_arrivals(plan);
	measured_schedule(cfg, plan, &ph, &arrivals);

	/* Every rank says whether it can run and which schedule it has. */
	char vwhy[DIST_WHY_MAX] = "";
	struct dist_vote_in vote = {
		.present = 1,
		.threads = nw,
		.cap = cap,
		.digest = size > 1 ? share_digest(plan, ph.n_total, ph.arrivals,
						  cfg->warmup)
				   : 0,
	};
	voted = 1;
	if (dist_vote(&vote, &runs, vwhy, sizeof(vwhy))) {
		*err = xstrdup(vwhy);
		rc = -EIO;
		runs = 0;
	} else if (!runs) {
		errorf("rank %d (%s) does not run: %s", rank, dist_host(),
		       dist_ranks()[rank].why);
	}
	for (int r = 0; r < rank; r++)
		ph.worker_base += dist_ranks() ? dist_ranks()[r].threads : 0;

	long long wshare = share_count(cfg->warmup, rank, size);
	if (runs && wshare > 0) {
		/* Same workers and clients as the measurement, so every
		 * worker's connections are open before t0. */
		struct phase wp = ph;
		wp.t0 = clock_now_ns();
		wp.arrivals = NULL;
		wp.n_total = cfg->warmup;
		wp.end_issue = -1;
		wp.warmup = 1;
		wp.nworkers = wshare < nw ? (int)wshare : nw;
		wp.concurrency = cap > 0 && cap < wshare ? cap : wshare;
		if ((rc = run_phase(&wp, pool, out, NULL, err)))
			runs = 0;
		/* Warm-up records keep times on their own phase clock; they
		 * are flagged and excluded from every statistic. */
		out->n_warmup = out->n;
		if (stop_level) {
			out->interrupted = 1;
			runs = 0;
		}
	}

	/* A common t0 slightly ahead: after a barrier and a clock offset
	 * measurement when there are several ranks. */
	int64_t t0_mono, t0_wall;
	if (dist_start(size > 1 ? DIST_T0_LEAD_NS : 2 * NS_PER_MS, &t0_mono,
		       &t0_wall) &&
	    !rc) {
		*err = xstrdup("clock synchronisation between ranks failed");
		rc = -EIO;
		runs = 0;
	}
	out->threads = ph.nworkers;
	if (runs) {
		ph.t0 = t0_mono;
		if (open_ended && cfg->duration_s > 0)
			ph.end_issue = ph.t0 + (int64_t)(cfg->duration_s * 1e9);
		out->t0_wall_ns = t0_wall;
		size_t first = out->n;
		rc = run_phase(&ph, pool, out, &out->self, err);
		out->self.wall_s = (double)(clock_now_ns() - ph.t0) / 1e9;
		struct rusage ru;
		if (!getrusage(RUSAGE_SELF, &ru))
			out->self.peak_rss_kib = ru.ru_maxrss;
		judge_client(&out->self, ph.nworkers);
		if (stop_level)
			out->interrupted = 1;
		qsort(out->recs + first, out->n - first, sizeof(*out->recs),
		      cmp_rec_id);
		for (size_t i = first; i < out->n; i++)
			if (out->recs[i].t_done_ns > out->duration_ns)
				out->duration_ns = out->recs[i].t_done_ns;
	} else if (rank == 0) {
		out->t0_wall_ns = t0_wall;
	}
	if (size > 1)
		gather_ranks(cfg, &ph, open_ended, out, rc, *err);
out:
	if (!voted)
		dist_absent(*err ? *err : "could not start its run");
	for (int i = 0; i < RUN_MAX_WORKERS; i++)
		http_client_free(pool[i]);
	free(arrivals);
	plan_free(own);
	return rc;
}

void run_output_free(struct run_output *out)
{
	if (!out)
		return;
	for (size_t i = 0; i < out->n; i++)
		rec_free(&out->recs[i]);
	free(out->recs);
	free(out->tok_counts);
	free(out->ranks);
	out->recs = NULL;
	out->tok_counts = NULL;
	out->ranks = NULL;
	out->n = 0;
	out->n_warmup = 0;
}
