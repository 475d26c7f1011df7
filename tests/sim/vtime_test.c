/* vtime_test.c - virtual-time runs: records as a client would fill them,
 * closed/open loop, 429s, timeline, the §7 chat sanity scenario and the
 * memory-bound paged-vs-reserved scenario. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "sim/vtime.h"
#include "test.h"

static struct sim_catalog *cat;

static void cfg_for(struct sim_config *c, enum sim_policy p)
{
	sim_config_default(c, p, sim_catalog_model(cat, "qwen2-7b"),
			   sim_catalog_gpu(cat, "a100"));
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of v[n] (sorted in place). */
static double pct(int64_t *v, size_t n, double p)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_i64);
	size_t k = (size_t)(p / 100 * (double)n + 0.5);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return (double)v[k - 1];
}

struct summary {
	double out_tok_s, ttft_p50, ttft_p99, itl_p50, itl_p99, e2e_p50;
	long ok, http429;
	double kv_used_mean_gib, kv_alloc_mean_gib;
};

static void summarize(const struct rec *r, uint32_t n,
		      const struct sim_timeline *tl, struct summary *s)
{
	memset(s, 0, sizeof(*s));
	int64_t *ttft = malloc(n * sizeof(int64_t)), *e2e = malloc(n * 8);
	size_t n_itl = 0, n_ok = 0;
	for (uint32_t i = 0; i < n; i++)
		n_itl += r[i].n_events;
	int64_t *itl = malloc((n_itl + 1) * sizeof(int64_t));
	int64_t t_end = 0, tokens = 0;
	n_itl = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (r[i].outcome == REC_HTTP_ERROR && r[i].http_status == 429)
			s->http429++;
		if (r[i].outcome != REC_OK)
			continue;
		ttft[n_ok] = rec_first_ev_ns(&r[i]) - r[i].t_send_ns;
		e2e[n_ok++] = r[i].t_done_ns - r[i].t_send_ns;
		struct rec_evcur c;
		struct rec_event e;
		int64_t prev = rec_first_ev_ns(&r[i]);
		rec_ev_begin(&r[i], &c);
		for (uint32_t k = 0; rec_ev_next(&c, &e); k++) {
			if (k > 0)
				itl[n_itl++] = e.t_ns - prev;
			prev = e.t_ns;
		}
		tokens += r[i].completion_tokens;
		if (r[i].t_done_ns > t_end)
			t_end = r[i].t_done_ns;
	}
	s->ok = (long)n_ok;
	s->out_tok_s = t_end ? tokens / (t_end / 1e9) : 0;
	s->ttft_p50 = pct(ttft, n_ok, 50) / 1e9;
	s->ttft_p99 = pct(ttft, n_ok, 99) / 1e9;
	s->e2e_p50 = pct(e2e, n_ok, 50) / 1e9;
	s->itl_p50 = pct(itl, n_itl, 50) / 1e6;
	s->itl_p99 = pct(itl, n_itl, 99) / 1e6;
	double u = 0, a = 0;
	for (uint32_t i = 0; tl && i < tl->n; i++) {
		u += (double)tl->pts[i].kv_used_tok;
		a += (double)tl->pts[i].kv_alloc_tok;
	}
	if (tl && tl->n) {
		s->kv_used_mean_gib = u / tl->n * 57344 / (1 << 30);
		s->kv_alloc_mean_gib = a / tl->n * 57344 / (1 << 30);
	}
	free(ttft);
	free(e2e);
	free(itl);
}

static void free_recs(struct rec *r, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		rec_free(&r[i]);
	free(r);
}

/* One request alone: TTFT is one prefill step, then one step per token. */
static void test_single_request(void)
{
	struct sim_config c;
	cfg_for(&c, SIM_POLICY_PAGED);
	int32_t in = 1000, out = 5;
	int64_t arr = 7000000;
	struct sim_workload wl = {.n = 1, .in_len = &in, .out_len = &out,
				  .arrival_ns = &arr, .bytes_per_token = 3};
	struct rec *r = calloc(1, sizeof(*r));
	struct sim_mem fin;
	char *err = NULL;
	ASSERT_EQ(sim_run_virtual(&c, &wl, r, NULL, &fin, &err), 0);
	ASSERT_EQ(r->outcome, REC_OK);
	ASSERT_EQ(r->t_arrival_ns, arr);
	ASSERT_EQ(r->t_send_ns, arr);
	ASSERT_EQ(r->t_first_byte_ns, arr);
	ASSERT_EQ(r->n_events, 5);
	ASSERT_EQ(r->completion_tokens, 5);
	ASSERT_EQ(r->prompt_tokens, 1000);
	struct rec_event ev[6];
	struct rec_evcur cur;
	uint32_t n_ev = 0;
	rec_ev_begin(r, &cur);
	while (n_ev < 6 && rec_ev_next(&cur, &ev[n_ev]))
		n_ev++;
	ASSERT_EQ(n_ev, 5);
	ASSERT_EQ(ev[0].tokens, 1);
	ASSERT_EQ(ev[0].has_text, 1);
	ASSERT_EQ(r->t_done_ns, ev[4].t_ns);
	ASSERT_EQ(r->t_last_ev_ns, ev[4].t_ns);
	ASSERT_EQ(rec_out_tokens(r, -1, NULL), 5);
	/* price the steps independently with the cost model */
	struct sim_cost cost;
	sim_cost_init(&cost, &c.model, &c.gpu, 1, 2, &c.profile);
	struct sim_shape pre = {.n_prefill = 1, .n_logits = 1,
				.prefill_tok = 1000, .prefill_kv = 1000,
				.prefill_attn = 1000 * 500.5};
	double ttft = sim_cost_step_s(&cost, &pre);
	ASSERT_NEAR((ev[0].t_ns - arr) / 1e9, ttft, 2e-9);
	struct sim_shape dec = {.n_decode = 1, .n_logits = 1,
				.decode_ctx = 1001};
	ASSERT_NEAR((ev[1].t_ns - ev[0].t_ns) / 1e9,
		    sim_cost_step_s(&cost, &dec), 2e-9);
	ASSERT_EQ(fin.finished, 1);
	ASSERT_EQ(fin.kv_allocated_tok, 0);
	free_recs(r, 1);
}

/* Closed loop never has more than c requests in flight; warmup flags. */
static void test_closed_loop(void)
{
	enum { N = 400, C = 8 };
	struct sim_config c;
	cfg_for(&c, SIM_POLICY_RESERVED);
	int32_t in[N], out[N];
	struct rng g;
	rng_seed(&g, 3);
	for (int i = 0; i < N; i++) {
		in[i] = (int32_t)rng_int(&g, 50, 800);
		out[i] = (int32_t)rng_int(&g, 1, 200);
	}
	struct sim_workload wl = {.n = N, .in_len = in, .out_len = out,
				  .concurrency = C, .warmup = 10};
	struct rec *r = calloc(N, sizeof(*r));
	struct sim_timeline tl;
	sim_timeline_init(&tl, 64);
	ASSERT_EQ(sim_run_virtual(&c, &wl, r, &tl, NULL, NULL), 0);
	for (int i = 0; i < N; i++) {
		ASSERT_EQ(r[i].outcome, REC_OK);
		ASSERT_EQ(r[i].warmup, i < 10);
		ASSERT_EQ((int)r[i].n_events, out[i]);
		struct rec_evcur c;
		struct rec_event e;
		int64_t prev = INT64_MIN;
		rec_ev_begin(&r[i], &c);
		while (rec_ev_next(&c, &e)) {
			ASSERT_TRUE(e.t_ns > prev);
			prev = e.t_ns;
		}
		/* in flight at its own send instant: <= C */
		int live = 0;
		for (int j = 0; j < N; j++)
			live += r[j].t_send_ns <= r[i].t_send_ns &&
				r[j].t_done_ns > r[i].t_send_ns;
		ASSERT_TRUE(live <= C);
	}
	for (int i = 0; i < C; i++)
		ASSERT_EQ(r[i].t_send_ns, 0);
	/* each later request starts at some other request's end */
	for (int i = C; i < N; i++) {
		int found = 0;
		for (int j = 0; j < i && !found; j++)
			found = r[j].t_done_ns == r[i].t_send_ns;
		ASSERT_TRUE(found);
	}
	/* decimated timeline: within the cap, stride a power of two */
	ASSERT_TRUE(tl.n <= 64 && tl.n > 16);
	ASSERT_TRUE(tl.stride > 1 && (tl.stride & (tl.stride - 1)) == 0);
	for (uint32_t i = 1; i < tl.n; i++)
		ASSERT_TRUE(tl.pts[i].t_ns > tl.pts[i - 1].t_ns);
	sim_timeline_free(&tl);
	free_recs(r, N);
}

/* Reserved answers 429 past max_concurrent_requests; paged queues. */
static void test_open_loop_429(void)
{
	enum { N = 200 };
	int32_t in[N], out[N];
	int64_t arr[N];
	for (int i = 0; i < N; i++) {
		in[i] = 500;
		out[i] = 100;
		arr[i] = (int64_t)(N - i) * 1000; /* unsorted, 1 us apart */
	}
	struct sim_workload wl = {.n = N, .in_len = in, .out_len = out,
				  .arrival_ns = arr};
	struct sim_config c;
	cfg_for(&c, SIM_POLICY_RESERVED);
	c.max_concurrent_requests = 50;
	struct rec *r = calloc(N, sizeof(*r));
	ASSERT_EQ(sim_run_virtual(&c, &wl, r, NULL, NULL, NULL), 0);
	int ok = 0, busy = 0;
	for (int i = 0; i < N; i++) {
		if (r[i].outcome == REC_OK) {
			ok++;
			continue;
		}
		ASSERT_EQ(r[i].outcome, REC_HTTP_ERROR);
		ASSERT_EQ(r[i].http_status, 429);
		ASSERT_EQ(r[i].t_done_ns, r[i].t_send_ns);
		ASSERT_EQ(r[i].n_events, 0);
		busy++;
	}
	ASSERT_TRUE(ok >= 50 && busy > 0);
	/* the earliest arrivals (highest index) are the ones served */
	ASSERT_EQ(r[N - 1].outcome, REC_OK);
	free_recs(r, N);

	cfg_for(&c, SIM_POLICY_PAGED);
	r = calloc(N, sizeof(*r));
	ASSERT_EQ(sim_run_virtual(&c, &wl, r, NULL, NULL, NULL), 0);
	for (int i = 0; i < N; i++)
		ASSERT_EQ(r[i].outcome, REC_OK);
	free_recs(r, N);

	/* too long for max_model_len: 400 (paged) */
	int32_t big = 40000, o1 = 10;
	int64_t a0 = 0;
	struct sim_workload w1 = {.n = 1, .in_len = &big, .out_len = &o1,
				  .arrival_ns = &a0};
	r = calloc(1, sizeof(*r));
	ASSERT_EQ(sim_run_virtual(&c, &w1, r, NULL, NULL, NULL), 0);
	ASSERT_EQ(r->outcome, REC_HTTP_ERROR);
	ASSERT_EQ(r->http_status, 400);
	free_recs(r, 1);
}

/* simulator.md §7 default scenario: chat c=32, Qwen2-7B, A100-80G. */
static void test_chat_sanity(void)
{
	enum { N = 2000, C = 32 };
	int32_t *in = malloc(N * 4), *out = malloc(N * 4);
	struct rng g;
	rng_seed(&g, 11);
	for (int i = 0; i < N; i++) {
		in[i] = (int32_t)rng_int(&g, 128, 640);
		out[i] = (int32_t)rng_int(&g, 128, 384); /* mean 256 */
	}
	struct sim_workload wl = {.n = N, .in_len = in, .out_len = out,
				  .concurrency = C};
	for (int p = 0; p < 2; p++) {
		struct sim_config c;
		cfg_for(&c, p ? SIM_POLICY_RESERVED : SIM_POLICY_PAGED);
		struct rec *r = calloc(N, sizeof(*r));
		struct sim_timeline tl;
		sim_timeline_init(&tl, 0);
		struct sim_mem fin;
		ASSERT_EQ(sim_run_virtual(&c, &wl, r, &tl, &fin, NULL), 0);
		struct summary s;
		summarize(r, N, &tl, &s);
		fprintf(stderr,
			"  chat c=32 %-8s: %.0f tok/s, TTFT p50 %.3f p99 %.3f s,"
			" ITL p50 %.1f p99 %.1f ms, E2E p50 %.2f s, KV used "
			"%.2f / alloc %.2f GiB\n",
			sim_policy_name(c.policy), s.out_tok_s, s.ttft_p50,
			s.ttft_p99, s.itl_p50, s.itl_p99, s.e2e_p50,
			s.kv_used_mean_gib, s.kv_alloc_mean_gib);
		ASSERT_EQ(s.ok, N);
		/* §6/§7: a 7B model on one A100 at c=32 yields O(2-3k) tok/s */
		ASSERT_TRUE(s.out_tok_s > 1200 && s.out_tok_s < 4500);
		ASSERT_TRUE(s.ttft_p50 < s.e2e_p50 / 10);
		ASSERT_TRUE(s.itl_p50 > 5 && s.itl_p50 < 30);
		ASSERT_EQ(fin.preemptions, 0);
		ASSERT_TRUE(fin.peak_running <= C);
		sim_timeline_free(&tl);
		free_recs(r, N);
	}
	free(in);
	free(out);
}

/* Memory-bound: pool squeezed to 150k tokens, RAG 2048-4096 in, 256 out,
 * c=64. On-demand blocks admit more requests at once but must preempt;
 * reservation admits fewer and never preempts. */
static void test_memory_bound(void)
{
	enum { N = 600, C = 64 };
	int32_t *in = malloc(N * 4), *out = malloc(N * 4);
	struct rng g;
	rng_seed(&g, 5);
	for (int i = 0; i < N; i++) {
		in[i] = (int32_t)rng_int(&g, 2048, 4096);
		out[i] = 256;
	}
	struct sim_workload wl = {.n = N, .in_len = in, .out_len = out,
				  .concurrency = C};
	struct sim_mem fin[2];
	struct summary s[2];
	for (int p = 0; p < 2; p++) {
		struct sim_config c;
		cfg_for(&c, p ? SIM_POLICY_RESERVED : SIM_POLICY_PAGED);
		c.kv_tokens_override = 150000;
		struct rec *r = calloc(N, sizeof(*r));
		struct sim_timeline tl;
		sim_timeline_init(&tl, 0);
		ASSERT_EQ(sim_run_virtual(&c, &wl, r, &tl, &fin[p], NULL), 0);
		summarize(r, N, &tl, &s[p]);
		fprintf(stderr,
			"  RAG c=64 150k-token pool %-8s: %.0f tok/s, TTFT p50 "
			"%.2f p99 %.2f s, ITL p50 %.1f p99 %.0f ms, E2E p50 "
			"%.2f s, peak running %d, preemptions %lld, KV used "
			"%.2f / alloc %.2f GiB (mean), peak alloc %lld tok\n",
			sim_policy_name(c.policy), s[p].out_tok_s, s[p].ttft_p50,
			s[p].ttft_p99, s[p].itl_p50, s[p].itl_p99, s[p].e2e_p50,
			fin[p].peak_running, (long long)fin[p].preemptions,
			s[p].kv_used_mean_gib, s[p].kv_alloc_mean_gib,
			(long long)fin[p].peak_kv_allocated_tok);
		ASSERT_EQ(s[p].ok, N);
		ASSERT_TRUE(fin[p].peak_kv_allocated_tok <= 150000);
		sim_timeline_free(&tl);
		free_recs(r, N);
	}
	ASSERT_TRUE(fin[0].peak_running > fin[1].peak_running);
	ASSERT_TRUE(fin[0].preemptions > 0);
	ASSERT_EQ(fin[1].preemptions, 0);
	/* reservation wastes part of what it holds; paged far less */
	ASSERT_TRUE(s[1].kv_used_mean_gib / s[1].kv_alloc_mean_gib <
		    s[0].kv_used_mean_gib / s[0].kv_alloc_mean_gib);
	free(in);
	free(out);
}

static void test_bad_workload(void)
{
	struct sim_config c;
	cfg_for(&c, SIM_POLICY_PAGED);
	int32_t in = 10, out = 10;
	struct sim_workload wl = {.n = 1, .in_len = &in, .out_len = &out};
	struct rec r;
	char *err = NULL;
	ASSERT_EQ(sim_run_virtual(&c, &wl, &r, NULL, NULL, &err), -EINVAL);
	ASSERT_TRUE(err != NULL);
	free(err);
	c.gpu_memory_utilization = 0.1; /* weights alone exceed 8 GiB */
	wl.concurrency = 1;
	ASSERT_EQ(sim_run_virtual(&c, &wl, &r, NULL, NULL, &err), -EINVAL);
	ASSERT_TRUE(err && strstr(err, "does not fit"));
	free(err);
}

int main(void)
{
	cat = sim_catalog_new();
	TEST_RUN(test_single_request);
	TEST_RUN(test_closed_loop);
	TEST_RUN(test_open_loop_429);
	TEST_RUN(test_chat_sanity);
	TEST_RUN(test_memory_bound);
	TEST_RUN(test_bad_workload);
	sim_catalog_free(cat);
	return TEST_DONE();
}
