/* mock.c - the mock backend: absolute-deadline token schedule, and the
 * bulk / paced / lockstep benchmark modes; what it measures of itself (send
 * lateness, holds for a slow client, each stream's write times). */
#include "server/mock.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/msg.h"
#include "core/rng.h"
#include "core/xmalloc.h"
#include "stats/hist.h"

#define MOCK_CONGESTED_RETRY_NS (1 * NS_PER_MS)
#define MOCK_SEND_LOG_MAX 65536 /* emissions logged per stream */

struct mock_stream;

/* One stream's emission times for --send-log. Kept apart from the
 * stream's private area, which is gone once its last emission returns. */
struct mock_log {
	char *id;          /* the response id, owned */
	int64_t t0_ns;     /* arrival (loop time) */
	uint32_t n, cap;   /* times kept, room */
	uint32_t dropped;  /* emissions past cap, not kept */
	int64_t at_ns[];   /* after each emission's write, from t0_ns */
};

struct mock {
	struct loop *loop;
	struct mock_config cfg;
	int64_t ttft_ns, itl_ns, jitter_ns;
	struct rng rng;
	uint64_t running;
	/* lockstep: the active streams and the grid timer */
	struct loop_timer tick;
	int64_t tick_ns; /* deadline of the armed tick */
	struct mock_stream *ls_head;
	/* send lateness in ns (cfg.stats_path), owned; counts == NULL when
	 * not measured */
	struct hist late;
	uint64_t congested; /* emissions held because the client was
			       behind (its lateness is then the client's) */
	FILE *send_log;     /* cfg.send_log_path, owned; NULL = none */
};

/* Per-stream state in srv_stream_priv; the timer comes first. */
struct mock_stream {
	struct loop_timer timer;
	struct mock *m;
	struct srv_stream *s;
	int64_t t0_ns;
	int64_t last_ns; /* previous emission deadline (monotonic schedule) */
	uint32_t done;   /* tokens emitted */
	uint32_t total;
	struct rng rng;
	struct mock_stream *ls_prev, *ls_next; /* lockstep list */
	struct mock_log *log; /* --send-log, owned; NULL = none */
};

static const char *const bench_names[] = {"off", "bulk", "paced",
					  "lockstep"};

const char *mock_bench_name(enum mock_bench b)
{
	return (unsigned)b < 4 ? bench_names[b] : "?";
}

int mock_bench_parse(const char *s, enum mock_bench *out)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, bench_names[i])) {
			*out = (enum mock_bench)i;
			return 0;
		}
	return -EINVAL;
}

static void on_tick(struct loop *l, struct loop_timer *t);

static int mock_create(struct loop *l, const void *arg, void **be, char **err)
{
	const struct mock_config *c = arg;
	if (c->tokens_per_chunk < 1 || c->ttft_s < 0 || c->itl_s < 0 ||
	    c->jitter_s < 0 || (unsigned)c->bench > MOCK_BENCH_LOCKSTEP) {
		if (err)
			*err = xstrdup("mock: invalid timing configuration");
		return -EINVAL;
	}
	if (c->bench == MOCK_BENCH_LOCKSTEP && c->itl_s * 1e9 < 1000) {
		if (err)
			*err = xstrdup("mock: lockstep needs --itl >= 1us");
		return -EINVAL;
	}
	if (c->send_log_path && c->bench == MOCK_BENCH_BULK) {
		if (err)
			*err = xstrdup("mock: --send-log is not kept in bulk "
				       "mode (it would slow what bulk measures)");
		return -EINVAL;
	}
	FILE *log = NULL;
	if (c->send_log_path && !(log = fopen(c->send_log_path, "w"))) {
		int e = errno;
		if (err)
			*err = xasprintf("mock: cannot write --send-log %s: %s",
					 c->send_log_path, strerror(e));
		return -e;
	}
	struct mock *m = xcalloc(1, sizeof(*m));
	m->send_log = log;
	m->loop = l;
	m->cfg = *c;
	m->ttft_ns = (int64_t)(c->ttft_s * 1e9 + 0.5);
	m->itl_ns = (int64_t)(c->itl_s * 1e9 + 0.5);
	m->jitter_ns = (int64_t)(c->jitter_s * 1e9 + 0.5);
	rng_seed(&m->rng, c->seed ^ 0x6d6f636bULL); /* "mock" */
	m->tick.cb = on_tick;
	if (c->stats_path)
		hist_init(&m->late, 0.01); /* within 1 %; cannot fail */
	*be = m;
	return 0;
}

/* Keep the time of an emission that just returned (now_ns). */
static void log_emit(struct mock_log *lg, int64_t now_ns)
{
	if (lg->n < lg->cap)
		lg->at_ns[lg->n++] = now_ns - lg->t0_ns;
	else
		lg->dropped++;
}

/* The stream of lg ended (finished: its last emission went out): one
 * JSON line, then lg is freed. */
static void log_end(struct mock *m, struct mock_log *lg, int finished)
{
	FILE *f = m->send_log;
	fprintf(f,
		"{\"id\":\"%s\",\"t_arrival_ns\":%lld,\"finished\":%s,"
		"\"dropped\":%u,\"sent_ns\":[",
		lg->id, (long long)lg->t0_ns, finished ? "true" : "false",
		lg->dropped);
	for (uint32_t i = 0; i < lg->n; i++)
		fprintf(f, i ? ",%lld" : "%lld", (long long)lg->at_ns[i]);
	fputs("]}\n", f);
	free(lg->id);
	free(lg);
}

/* Now, when the lateness or the send log needs it; else 0. */
static int64_t emit_time(const struct mock *m, const struct mock_log *lg)
{
	return m->late.counts || lg ? clock_now_ns() : 0;
}

/* The emission scheduled for deadline_ns happened at now_ns (early
 * counts as 0). */
static void note_late(struct mock *m, int64_t deadline_ns, int64_t now_ns)
{
	if (m->late.counts)
		hist_record(&m->late, now_ns - deadline_ns);
}

/* Lateness percentile p (0..100) in microseconds. */
static double late_us(const struct mock *m, double p)
{
	return (double)hist_value_at_pct(&m->late, p) / 1e3;
}

static void write_stats(const struct mock *m)
{
	FILE *f = fopen(m->cfg.stats_path, "w");
	if (!f) {
		warnf("serve: cannot write --stats-file %s: %s",
		      m->cfg.stats_path, strerror(errno));
		return;
	}
	fprintf(f,
		"{\"send_lateness_us\": {\"tokens\": %llu, \"p50\": %.0f, "
		"\"p99\": %.0f, \"p999\": %.0f, \"max\": %.1f}, "
		"\"congested_holds\": %llu, \"bench_mode\": \"%s\"}\n",
		(unsigned long long)hist_count(&m->late), late_us(m, 50),
		late_us(m, 99), late_us(m, 99.9), late_us(m, 100),
		(unsigned long long)m->congested,
		mock_bench_name(m->cfg.bench));
	if (fclose(f))
		warnf("serve: writing --stats-file %s: %s", m->cfg.stats_path,
		      strerror(errno));
}

static void mock_destroy(void *be)
{
	struct mock *m = be;
	if (!m)
		return;
	loop_timer_stop(m->loop, &m->tick);
	if (m->late.counts)
		write_stats(m);
	hist_free(&m->late);
	if (m->send_log && fclose(m->send_log))
		warnf("serve: writing --send-log %s: %s", m->cfg.send_log_path,
		      strerror(errno));
	free(m);
}

/* Deadline of token index i (0-based). */
static int64_t deadline(struct mock_stream *ms, uint32_t i)
{
	struct mock *m = ms->m;
	int64_t t = ms->t0_ns + m->ttft_ns + (int64_t)i * m->itl_ns;
	if (m->jitter_ns) {
		double u = rng_uniform(&ms->rng) - 0.5;
		t += (int64_t)(u * (double)m->jitter_ns);
		if (t < ms->t0_ns)
			t = ms->t0_ns;
		if (t < ms->last_ns)
			t = ms->last_ns;
	}
	ms->last_ns = t;
	return t;
}

/* Index of the last token of the chunk starting at ms->done. */
static uint32_t chunk_last(struct mock_stream *ms)
{
	uint32_t n = ms->done == 0 || ms->m->cfg.bench == MOCK_BENCH_PACED
			     ? 1
			     : (uint32_t)ms->m->cfg.tokens_per_chunk;
	if (n > ms->total - ms->done)
		n = ms->total - ms->done;
	return ms->done + n - 1;
}

static void on_timer(struct loop *l, struct loop_timer *t)
{
	struct mock_stream *ms = (struct mock_stream *)t;
	struct mock *m = ms->m;
	if (srv_stream_congested(ms->s)) {
		/* Client behind: hold this chunk; the schedule is kept, so
		 * the tokens come late and together, as from a real server. */
		m->congested++;
		loop_timer_start(l, &ms->timer,
				 loop_now_ns(l) + MOCK_CONGESTED_RETRY_NS);
		return;
	}
	uint32_t last = chunk_last(ms);
	uint32_t n = last + 1 - ms->done;
	int fin = last + 1 >= ms->total;
	int64_t due = ms->last_ns;
	struct mock_log *lg = ms->log; /* ms may be gone after the emission */
	ms->done = last + 1;
	if (fin)
		m->running--;
	enum srv_emit em = srv_stream_tokens(
		ms->s, n, fin ? SRV_FINISH_LENGTH : SRV_FINISH_NONE);
	int64_t now = emit_time(m, lg); /* emitted (or, on a fault, tried) */
	note_late(m, due, now);
	if (lg)
		log_emit(lg, now);
	if (em == SRV_EMIT_GONE) {
		if (!fin)
			m->running--;
		if (lg)
			log_end(m, lg, fin);
		return;
	}
	loop_timer_start(l, &ms->timer, deadline(ms, chunk_last(ms)));
}

/* Bulk: as many one-token events as the socket takes, then yield to I/O. */
static void on_bulk(struct loop *l, struct loop_timer *t)
{
	struct mock_stream *ms = (struct mock_stream *)t;
	struct mock *m = ms->m;
	for (int k = 0; k < MOCK_BULK_TURN_TOKENS; k++) {
		if (srv_stream_congested(ms->s)) {
			loop_timer_start(l, &ms->timer,
					 loop_now_ns(l) + MOCK_BULK_RETRY_NS);
			return;
		}
		int fin = ++ms->done >= ms->total;
		if (fin)
			m->running--;
		if (srv_stream_tokens(ms->s, 1,
				      fin ? SRV_FINISH_LENGTH : SRV_FINISH_NONE) ==
		    SRV_EMIT_GONE) {
			if (!fin)
				m->running--;
			return;
		}
	}
	/* past the cached loop time: runs next iteration, after the flush */
	loop_timer_start(l, &ms->timer, loop_now_ns(l) + 1);
}

static void ls_unlink(struct mock *m, struct mock_stream *ms)
{
	if (ms->ls_prev)
		ms->ls_prev->ls_next = ms->ls_next;
	else
		m->ls_head = ms->ls_next;
	if (ms->ls_next)
		ms->ls_next->ls_prev = ms->ls_prev;
	ms->ls_prev = ms->ls_next = NULL;
}

/* Lockstep: one tick of the global grid; every due stream gets a token. */
static void on_tick(struct loop *l, struct loop_timer *t)
{
	struct mock *m = (struct mock *)((char *)t - offsetof(struct mock, tick));
	int64_t now = m->tick_ns;
	struct mock_stream *ms = m->ls_head, *next;
	for (; ms; ms = next) {
		next = ms->ls_next;
		if (ms->t0_ns + m->ttft_ns > now || srv_stream_congested(ms->s))
			continue;
		/* out of the list during the call: s may be gone after it */
		struct mock_stream *prev = ms->ls_prev;
		struct mock_log *lg = ms->log;
		int fin = ++ms->done >= ms->total;
		ls_unlink(m, ms);
		m->running--;
		enum srv_emit em = srv_stream_tokens(
			ms->s, 1, fin ? SRV_FINISH_LENGTH : SRV_FINISH_NONE);
		if (lg)
			log_emit(lg, clock_now_ns());
		if (em == SRV_EMIT_GONE) {
			if (lg)
				log_end(m, lg, fin);
			continue;
		}
		m->running++; /* still active: back in place */
		ms->ls_prev = prev;
		ms->ls_next = next;
		if (prev)
			prev->ls_next = ms;
		else
			m->ls_head = ms;
		if (next)
			next->ls_prev = ms;
	}
	if (m->ls_head) { /* absolute grid: late ticks run back to back */
		m->tick_ns = now + m->itl_ns;
		loop_timer_start(l, &m->tick, m->tick_ns);
	}
}

static void mock_submit(void *be, struct srv_stream *s)
{
	struct mock *m = be;
	struct mock_stream *ms = srv_stream_priv(s);
	const struct srv_request *r = srv_stream_req(s);
	ms->timer.cb = on_timer;
	ms->m = m;
	ms->s = s;
	ms->t0_ns = r->t_arrival_ns;
	ms->last_ns = r->t_arrival_ns;
	ms->done = 0;
	ms->total = r->max_tokens > UINT32_MAX ? UINT32_MAX
						: (uint32_t)r->max_tokens;
	rng_fork(&m->rng, r->seq, &ms->rng);
	m->running++;
	if (m->send_log) {
		uint32_t cap = ms->total < MOCK_SEND_LOG_MAX ? ms->total
							     : MOCK_SEND_LOG_MAX;
		ms->log = xmalloc(sizeof(*ms->log) + cap * sizeof(int64_t));
		ms->log->id = xstrdup(srv_stream_id(s));
		ms->log->t0_ns = r->t_arrival_ns;
		ms->log->n = ms->log->dropped = 0;
		ms->log->cap = cap;
	}
	switch (m->cfg.bench) {
	case MOCK_BENCH_BULK:
		ms->timer.cb = on_bulk;
		loop_timer_start(m->loop, &ms->timer, r->t_arrival_ns);
		return;
	case MOCK_BENCH_LOCKSTEP:
		ms->ls_prev = NULL;
		ms->ls_next = m->ls_head;
		if (m->ls_head)
			m->ls_head->ls_prev = ms;
		m->ls_head = ms;
		if (!loop_timer_armed(&m->tick)) {
			/* first grid point at or after the first token is due */
			int64_t due = r->t_arrival_ns + m->ttft_ns;
			m->tick_ns = (due + m->itl_ns - 1) / m->itl_ns * m->itl_ns;
			loop_timer_start(m->loop, &m->tick, m->tick_ns);
		}
		return;
	case MOCK_BENCH_PACED:
		srv_stream_flush_each(s, 1);
		break;
	default:
		break;
	}
	loop_timer_start(m->loop, &ms->timer, deadline(ms, 0));
}

static void mock_cancel(void *be, struct srv_stream *s)
{
	struct mock *m = be;
	struct mock_stream *ms = srv_stream_priv(s);
	if (m->cfg.bench == MOCK_BENCH_LOCKSTEP)
		ls_unlink(m, ms);
	else
		loop_timer_stop(m->loop, &ms->timer);
	m->running--;
	if (ms->log)
		log_end(m, ms->log, 0);
}

static void mock_gauges(void *be, struct srv_gauges *g)
{
	struct mock *m = be;
	g->running = (double)m->running;
	g->waiting = 0;
	g->kv_usage = 0;
	g->preemptions = 0;
}

const struct srv_backend_ops mock_backend_ops = {
	.name = "mock",
	.priv_bytes = sizeof(struct mock_stream),
	.create = mock_create,
	.destroy = mock_destroy,
	.submit = mock_submit,
	.cancel = mock_cancel,
	.gauges = mock_gauges,
};
