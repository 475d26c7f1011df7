/* engine_test.c - scheduler invariants of both policies under randomized
 * workloads, checked against a mirror of the queue kept by the test. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "sim/engine.h"
#include "test.h"

#define MAXR 600

static struct sim_catalog *cat;

enum { M_NONE = 0, M_WAIT, M_RUN, M_DONE, M_GONE };

struct mirror {
	int state[MAXR];
	int32_t count[MAXR], max_new[MAXR], prompt[MAXR];
	uint32_t run[MAXR]; /* running, admission order */
	int n_run;
	uint32_t wait[4 * MAXR]; /* FIFO with push-front room */
	int w_head, w_tail;
};

/* Re-centre the live part of the queue so both ends have room. */
static void m_compact(struct mirror *m)
{
	int n = m->w_tail - m->w_head;
	if (m->w_head > 0 && m->w_tail < 4 * MAXR)
		return;
	memmove(&m->wait[2 * MAXR], &m->wait[m->w_head],
		(size_t)n * sizeof(uint32_t));
	m->w_head = 2 * MAXR;
	m->w_tail = 2 * MAXR + n;
}

static void m_wait_back(struct mirror *m, uint32_t id)
{
	m_compact(m);
	m->wait[m->w_tail++] = id;
	m->state[id] = M_WAIT;
}

static void m_wait_front(struct mirror *m, uint32_t id)
{
	m_compact(m);
	m->wait[--m->w_head] = id;
	m->state[id] = M_WAIT;
}

static void m_remove_wait(struct mirror *m, uint32_t id)
{
	for (int i = m->w_head; i < m->w_tail; i++)
		if (m->wait[i] == id) {
			memmove(&m->wait[i], &m->wait[i + 1],
				(size_t)(m->w_tail - i - 1) * sizeof(uint32_t));
			m->w_tail--;
			return;
		}
}

static void m_remove_run(struct mirror *m, uint32_t id)
{
	for (int i = 0; i < m->n_run; i++)
		if (m->run[i] == id) {
			memmove(&m->run[i], &m->run[i + 1],
				(size_t)(m->n_run - i - 1) * sizeof(uint32_t));
			m->n_run--;
			return;
		}
}

struct totals {
	long preemptions, requeues, rejected, steps, finished, cancelled;
};

static void run_random(enum sim_policy pol, uint64_t seed, struct totals *tot)
{
	struct rng r;
	rng_seed(&r, seed);
	struct sim_config cfg;
	sim_config_default(&cfg, pol, sim_catalog_model(cat, "qwen2-7b"),
			   sim_catalog_gpu(cat, "a100"));
	cfg.kv_tokens_override = rng_int(&r, 3000, 20000);
	cfg.max_num_batched_tokens = (int32_t)rng_int(&r, 32, 2048);
	cfg.max_num_seqs = (int32_t)rng_int(&r, 2, 64);
	cfg.long_prefill_token_threshold =
		rng_uniform(&r) < 0.3 ? (int32_t)rng_int(&r, 16, 512) : 0;
	cfg.max_batch_prefill_tokens = (int32_t)rng_int(&r, 64, 4096);
	cfg.max_concurrent_requests = (int32_t)rng_int(&r, 8, 96);
	cfg.max_new_per_admission =
		rng_uniform(&r) < 0.5 ? (int32_t)rng_int(&r, 8, 64) : 0;
	if (rng_uniform(&r) < 0.3)
		cfg.block_size = (int32_t)rng_int(&r, 1, 32);
	char *err = NULL;
	struct sim_engine *e = sim_engine_new(&cfg, &err);
	ASSERT_TRUE(e != NULL);
	const struct sim_config *rc = sim_engine_config(e);
	struct sim_mem st;
	sim_stats(e, &st);
	ASSERT_EQ(st.kv_capacity_blocks * rc->block_size +
			  (pol == SIM_POLICY_RESERVED ? rc->block_size : 0),
		  cfg.kv_tokens_override / rc->block_size * rc->block_size);
	int mnpa = rc->max_new_per_admission;

	static struct mirror m;
	memset(&m, 0, sizeof(m));
	m.w_head = m.w_tail = 2 * MAXR;
	uint32_t next_id = 0;
	int64_t now = 0;
	int guard = 0;
	for (;;) {
		ASSERT_TRUE(++guard < 2000000);
		/* arrivals */
		int k = next_id < MAXR && rng_uniform(&r) < 0.3
				? (int)rng_int(&r, 0, 4)
				: 0;
		for (int i = 0; i < k && next_id < MAXR; i++) {
			uint32_t id = next_id++;
			int32_t p = (int32_t)rng_int(&r, 1, 1500);
			int32_t o = (int32_t)rng_int(&r, 1, 300);
			uint32_t infl = sim_in_flight(e);
			int s = sim_submit(e, id, p, o, now);
			m.prompt[id] = p;
			m.max_new[id] = o;
			if (s == -EBUSY) {
				ASSERT_EQ(pol, SIM_POLICY_RESERVED);
				ASSERT_EQ(infl, rc->max_concurrent_requests);
				m.state[id] = M_GONE;
				tot->rejected++;
				continue;
			}
			if (s == -E2BIG) {
				ASSERT_TRUE((p + o - 1 + rc->block_size - 1) /
						    rc->block_size >
					    st.kv_capacity_blocks);
				m.state[id] = M_GONE;
				continue;
			}
			ASSERT_EQ(s, 0);
			ASSERT_EQ(sim_submit(e, id, 5, 5, now), -EEXIST);
			m_wait_back(&m, id);
		}
		/* the client goes away sometimes */
		if (next_id && rng_uniform(&r) < 0.01) {
			uint32_t id = (uint32_t)rng_int(&r, 0, next_id - 1);
			int s = sim_cancel(e, id);
			if (m.state[id] == M_WAIT || m.state[id] == M_RUN) {
				ASSERT_EQ(s, 0);
				if (m.state[id] == M_WAIT)
					m_remove_wait(&m, id);
				else
					m_remove_run(&m, id);
				m.state[id] = M_GONE;
				tot->cancelled++;
			} else {
				ASSERT_EQ(s, -ENOENT);
			}
		}
		struct sim_step_out o;
		int64_t dt = sim_step(e, now, &o);
		ASSERT_EQ(dt, o.dt_ns);
		if (dt == 0) {
			ASSERT_EQ(sim_in_flight(e), 0);
			ASSERT_EQ(m.n_run, 0);
			ASSERT_EQ(m.w_tail - m.w_head, 0);
			if (next_id >= MAXR)
				break;
			now += 1000000;
			continue;
		}
		tot->steps++;
		/* preemption: paged only, only on shortage, newest first */
		if (pol == SIM_POLICY_RESERVED)
			ASSERT_EQ(o.n_preempted, 0);
		for (uint32_t i = 0; i < o.n_preempted; i++) {
			const struct sim_preempt *p = &o.preempted[i];
			ASSERT_TRUE(p->need_blocks > p->free_blocks);
			ASSERT_TRUE(m.n_run > 0);
			ASSERT_EQ(p->id, m.run[m.n_run - 1]);
			m.n_run--;
			m.count[p->id] = m.count[p->id]; /* keeps its tokens */
			m_wait_front(&m, p->id);
			tot->preemptions++;
		}
		if (o.n_preempted)
			ASSERT_EQ(o.n_admitted, 0);
		/* admission is FIFO from the queue head, both policies */
		for (uint32_t i = 0; i < o.n_admitted; i++) {
			ASSERT_TRUE(m.w_tail > m.w_head);
			ASSERT_EQ(o.admitted[i], m.wait[m.w_head]);
			m.w_head++;
			m.run[m.n_run++] = o.admitted[i];
			m.state[o.admitted[i]] = M_RUN;
		}
		if (pol == SIM_POLICY_PAGED)
			ASSERT_TRUE(m.n_run <= rc->max_num_seqs);
		uint32_t requeued = 0;
		for (uint32_t i = 0; i < o.n_tokens; i++) {
			uint32_t id = o.tokens[i].id;
			ASSERT_EQ(m.state[id], M_RUN);
			ASSERT_EQ(o.tokens[i].first, m.count[id] == 0);
			m.count[id]++;
			ASSERT_TRUE(m.count[id] <= m.max_new[id]);
			ASSERT_EQ(o.tokens[i].last,
				  m.count[id] == m.max_new[id]);
			if (o.tokens[i].last) {
				m_remove_run(&m, id);
				m.state[id] = M_DONE;
				tot->finished++;
			} else if (pol == SIM_POLICY_RESERVED &&
				   m.count[id] % mnpa == 0) {
				m_remove_run(&m, id);
				m_wait_back(&m, id);
				requeued++;
			}
		}
		ASSERT_EQ(o.n_requeued, requeued);
		tot->requeues += requeued;
		ASSERT_TRUE(o.decode_tok + o.prefill_tok <=
			    (pol == SIM_POLICY_PAGED
				     ? rc->max_num_batched_tokens
				     : rc->max_batch_prefill_tokens +
					       o.decode_tok));
		sim_stats(e, &st);
		ASSERT_TRUE(st.kv_allocated_blocks <= st.kv_capacity_blocks);
		ASSERT_TRUE(st.kv_used_tok <= st.kv_allocated_tok);
		ASSERT_TRUE(st.peak_kv_allocated_tok <= st.kv_capacity_tok);
		ASSERT_EQ(st.running, m.n_run);
		ASSERT_EQ(st.waiting, m.w_tail - m.w_head);
		now += dt;
	}
	for (uint32_t id = 0; id < MAXR; id++) {
		ASSERT_TRUE(m.state[id] == M_DONE || m.state[id] == M_GONE);
		if (m.state[id] == M_DONE)
			ASSERT_EQ(m.count[id], m.max_new[id]);
	}
	sim_stats(e, &st);
	ASSERT_EQ(st.kv_allocated_tok, 0);
	ASSERT_EQ(st.kv_used_tok, 0);
	ASSERT_EQ(st.running + st.waiting, 0);
	ASSERT_EQ(st.preemptions, pol == SIM_POLICY_PAGED ? st.preemptions : 0);
	sim_engine_free(e);
}

static void test_random_paged(void)
{
	struct totals t = {0};
	for (uint64_t s = 1; s <= 40; s++)
		run_random(SIM_POLICY_PAGED, s, &t);
	fprintf(stderr, "  paged: %ld steps, %ld finished, %ld preemptions, "
			"%ld cancelled\n",
		t.steps, t.finished, t.preemptions, t.cancelled);
	ASSERT_TRUE(t.preemptions > 0); /* the pools were tight enough */
	ASSERT_TRUE(t.cancelled > 0);
}

static void test_random_reserved(void)
{
	struct totals t = {0};
	for (uint64_t s = 1; s <= 40; s++)
		run_random(SIM_POLICY_RESERVED, 100 + s, &t);
	fprintf(stderr, "  reserved: %ld steps, %ld finished, %ld requeues, "
			"%ld rejected (429), %ld cancelled\n",
		t.steps, t.finished, t.requeues, t.rejected, t.cancelled);
	ASSERT_EQ(t.preemptions, 0);
	ASSERT_TRUE(t.requeues > 0);
	ASSERT_TRUE(t.rejected > 0);
}

/* Defaults resolve as the real servers' (simulator.md §2, §3). */
static void test_defaults(void)
{
	struct sim_config c;
	char *err = NULL;
	const struct sim_model *q = sim_catalog_model(cat, "qwen2-7b");
	sim_config_default(&c, SIM_POLICY_PAGED, q, sim_catalog_gpu(cat, "a100"));
	struct sim_engine *e = sim_engine_new(&c, &err);
	ASSERT_TRUE(e != NULL);
	const struct sim_config *r = sim_engine_config(e);
	ASSERT_EQ(r->max_num_batched_tokens, 2048);
	ASSERT_EQ(r->max_num_seqs, 256);
	ASSERT_EQ(r->block_size, 16);
	ASSERT_NEAR(r->gpu_memory_utilization, 0.9, 0);
	struct sim_mem st;
	sim_stats(e, &st);
	/* ≈55 GiB pool, ≈1.0M tokens, ≈64k blocks (§4) */
	fprintf(stderr, "  Qwen2-7B/A100 paged pool: %lld blocks, %.1f GiB\n",
		(long long)st.kv_capacity_blocks,
		st.kv_capacity_bytes / (double)(1LL << 30));
	ASSERT_NEAR(st.kv_capacity_bytes / (double)(1LL << 30), 56, 2.5);
	ASSERT_EQ(st.kv_bytes_per_tok, 57344);
	ASSERT_EQ(st.weights_bytes, q->params * 2);
	sim_engine_free(e);

	sim_config_default(&c, SIM_POLICY_PAGED, q, sim_catalog_gpu(cat, "h100"));
	e = sim_engine_new(&c, &err);
	ASSERT_EQ(sim_engine_config(e)->max_num_batched_tokens, 8192);
	ASSERT_EQ(sim_engine_config(e)->max_num_seqs, 1024);
	sim_engine_free(e);
	sim_config_default(&c, SIM_POLICY_PAGED, q, sim_catalog_gpu(cat, "l40s"));
	e = sim_engine_new(&c, &err);
	ASSERT_EQ(sim_engine_config(e)->max_num_batched_tokens, 2048);
	sim_engine_free(e);

	sim_config_default(&c, SIM_POLICY_RESERVED, q,
			   sim_catalog_gpu(cat, "a100"));
	e = sim_engine_new(&c, &err);
	r = sim_engine_config(e);
	/* 312 TF / 13.77 GF ≈ 22.6k */
	ASSERT_NEAR(r->max_batch_prefill_tokens, 22650, 100);
	ASSERT_EQ(r->max_concurrent_requests, 128);
	ASSERT_EQ(r->max_new_per_admission, 1024);
	ASSERT_EQ(r->block_size, 1);
	sim_engine_free(e);
	/* Llama-3-8B: capped by max_position_embeddings 8192 */
	sim_config_default(&c, SIM_POLICY_RESERVED,
			   sim_catalog_model(cat, "llama-3-8b"),
			   sim_catalog_gpu(cat, "h100"));
	e = sim_engine_new(&c, &err);
	ASSERT_EQ(sim_engine_config(e)->max_batch_prefill_tokens, 8192);
	sim_engine_free(e);

	/* 70B does not fit one A100; it does on 4 (TP) */
	sim_config_default(&c, SIM_POLICY_PAGED,
			   sim_catalog_model(cat, "llama-3-70b"),
			   sim_catalog_gpu(cat, "a100"));
	e = sim_engine_new(&c, &err);
	ASSERT_TRUE(e == NULL);
	ASSERT_TRUE(err && strstr(err, "does not fit"));
	free(err);
	c.tp = 4;
	e = sim_engine_new(&c, &err);
	ASSERT_TRUE(e != NULL);
	sim_engine_free(e);
}

/* Reserved: 2 requests whose reservations fill the pool block a third, even
 * a small one behind a big head (strict FIFO), and nothing is preempted. */
static void test_reserved_fifo_hol(void)
{
	struct sim_config c;
	sim_config_default(&c, SIM_POLICY_RESERVED,
			   sim_catalog_model(cat, "qwen2-7b"),
			   sim_catalog_gpu(cat, "a100"));
	c.kv_tokens_override = 1001; /* 1000 usable (block 0 reserved) */
	struct sim_engine *e = sim_engine_new(&c, NULL);
	ASSERT_EQ(sim_submit(e, 1, 300, 101, 0), 0); /* reserves 400 */
	ASSERT_EQ(sim_submit(e, 2, 300, 101, 0), 0); /* 400 */
	ASSERT_EQ(sim_submit(e, 3, 400, 101, 0), 0); /* 500: does not fit */
	ASSERT_EQ(sim_submit(e, 4, 10, 11, 0), 0);   /* 20: fits, but FIFO */
	ASSERT_EQ(sim_submit(e, 5, 1000, 2, 0), -E2BIG);
	struct sim_step_out o;
	ASSERT_TRUE(sim_step(e, 0, &o) > 0);
	ASSERT_EQ(o.n_admitted, 2);
	struct sim_mem st;
	sim_stats(e, &st);
	ASSERT_EQ(st.kv_allocated_tok, 800);
	ASSERT_EQ(st.kv_used_tok, 600);
	ASSERT_EQ(st.waiting, 2);
	int64_t t = 0;
	while (st.running == 2) {
		t += sim_step(e, t, &o);
		ASSERT_EQ(o.n_admitted, 0);
		sim_stats(e, &st);
	}
	sim_engine_free(e);
}

/* Paged: on-demand blocks let 4 requests in where reservation admits 2;
 * the growth then forces recompute preemption of the newest. */
static void test_paged_preempts_newest(void)
{
	struct sim_config c;
	sim_config_default(&c, SIM_POLICY_PAGED,
			   sim_catalog_model(cat, "qwen2-7b"),
			   sim_catalog_gpu(cat, "a100"));
	c.kv_tokens_override = 64 * 16; /* 64 blocks */
	struct sim_engine *e = sim_engine_new(&c, NULL);
	for (uint32_t i = 0; i < 4; i++)
		ASSERT_EQ(sim_submit(e, i, 200, 300, 0), 0); /* 13 blocks */
	struct sim_step_out o;
	sim_step(e, 0, &o);
	ASSERT_EQ(o.n_admitted, 4);
	ASSERT_EQ(o.n_tokens, 4);
	int64_t t = 0;
	int preempted = 0;
	while (!preempted) {
		t += sim_step(e, t, &o);
		if (o.n_preempted) {
			ASSERT_EQ(o.preempted[0].id, 3);
			preempted = 1;
		}
	}
	struct sim_mem st;
	sim_stats(e, &st);
	ASSERT_EQ(st.preemptions, 1);
	ASSERT_EQ(st.waiting, 1);
	ASSERT_TRUE(st.kv_allocated_blocks <= 64);
	sim_engine_free(e);
}

int main(void)
{
	cat = sim_catalog_new();
	TEST_RUN(test_defaults);
	TEST_RUN(test_reserved_fifo_hol);
	TEST_RUN(test_paged_preempts_newest);
	TEST_RUN(test_random_paged);
	TEST_RUN(test_random_reserved);
	sim_catalog_free(cat);
	return TEST_DONE();
}
