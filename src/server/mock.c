/* mock.c - the mock backend: absolute-deadline token schedule. */
#include "server/mock.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/rng.h"
#include "core/xmalloc.h"

#define MOCK_CONGESTED_RETRY_NS (1 * NS_PER_MS)

struct mock {
	struct loop *loop;
	struct mock_config cfg;
	int64_t ttft_ns, itl_ns, jitter_ns;
	struct rng rng;
	uint64_t running;
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
};

static int mock_create(struct loop *l, const void *arg, void **be, char **err)
{
	const struct mock_config *c = arg;
	if (c->tokens_per_chunk < 1 || c->ttft_s < 0 || c->itl_s < 0 ||
	    c->jitter_s < 0) {
		if (err)
			*err = xstrdup("mock: invalid timing configuration");
		return -EINVAL;
	}
	struct mock *m = xcalloc(1, sizeof(*m));
	m->loop = l;
	m->cfg = *c;
	m->ttft_ns = (int64_t)(c->ttft_s * 1e9 + 0.5);
	m->itl_ns = (int64_t)(c->itl_s * 1e9 + 0.5);
	m->jitter_ns = (int64_t)(c->jitter_s * 1e9 + 0.5);
	rng_seed(&m->rng, c->seed ^ 0x6d6f636bULL); /* "mock" */
	*be = m;
	return 0;
}

static void mock_destroy(void *be)
{
	free(be);
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
	uint32_t n = ms->done == 0 ? 1 : (uint32_t)ms->m->cfg.tokens_per_chunk;
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
		loop_timer_start(l, &ms->timer,
				 loop_now_ns(l) + MOCK_CONGESTED_RETRY_NS);
		return;
	}
	uint32_t last = chunk_last(ms);
	uint32_t n = last + 1 - ms->done;
	int fin = last + 1 >= ms->total;
	ms->done = last + 1;
	if (fin)
		m->running--;
	if (srv_stream_tokens(ms->s, n,
			      fin ? SRV_FINISH_LENGTH : SRV_FINISH_NONE) ==
	    SRV_EMIT_GONE) {
		if (!fin)
			m->running--;
		return;
	}
	loop_timer_start(l, &ms->timer, deadline(ms, chunk_last(ms)));
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
	loop_timer_start(m->loop, &ms->timer, deadline(ms, 0));
}

static void mock_cancel(void *be, struct srv_stream *s)
{
	struct mock *m = be;
	struct mock_stream *ms = srv_stream_priv(s);
	loop_timer_stop(m->loop, &ms->timer);
	m->running--;
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
