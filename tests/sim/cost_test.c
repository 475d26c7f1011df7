/* cost_test.c - roofline step time and profile JSON round trip. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/catalog.h"
#include "sim/cost.h"
#include "test.h"

static struct sim_catalog *cat;

static void test_decode_bandwidth_bound(void)
{
	struct sim_profile p;
	struct sim_cost c;
	sim_profile_default(&p);
	const struct sim_model *m = sim_catalog_model(cat, "qwen2-7b");
	const struct sim_gpu *g = sim_catalog_gpu(cat, "a100");
	sim_cost_init(&c, m, g, 1, 2, &p);
	/* one decode at ctx 1: weights 15.24 GB / (0.8 · 2.039 TB/s) */
	struct sim_shape s = {.n_decode = 1, .n_logits = 1, .decode_ctx = 1};
	double w = 15.24e9 / (0.8 * 2.039e12);
	ASSERT_NEAR(sim_cost_step_s(&c, &s), w + 1.5e-3 + 10e-6, 2e-5);
	/* RAG: 16 decodes at 3.2k context read 2.9 GB of KV (§5) */
	struct sim_shape r = {.n_decode = 16, .n_logits = 16,
			      .decode_ctx = 16 * 3200};
	struct sim_terms t;
	sim_cost_terms(&c, &r, &t);
	ASSERT_NEAR(t.b_attn * g->bw_bytes_per_s / 1e9, 2.94, 0.01);
	ASSERT_TRUE(t.b_attn > t.a_attn * 2); /* decode attention: BW bound */
	ASSERT_NEAR(sim_cost_step_s(&c, &r) - sim_cost_step_s(&c, &s),
		    t.b_attn / 0.8 + 15 * 10e-6, 1e-4);
	/* empty step costs nothing */
	struct sim_shape z = {0};
	ASSERT_NEAR(sim_cost_step_s(&c, &z), 0, 0);
	/* eager adds t_eager */
	s.eager = 1;
	ASSERT_NEAR(sim_cost_step_s(&c, &s), w + 2.5e-3 + 10e-6, 2e-5);
}

static void test_prefill_compute_bound(void)
{
	struct sim_profile p;
	struct sim_cost c;
	sim_profile_default(&p);
	const struct sim_model *m = sim_catalog_model(cat, "qwen2-7b");
	sim_cost_init(&c, m, sim_catalog_gpu(cat, "a100"), 1, 2, &p);
	struct sim_shape s = {.n_prefill = 1, .n_logits = 1,
			      .prefill_tok = 8192, .prefill_kv = 8192,
			      .prefill_attn = 8192 * (8193 / 2.0)};
	struct sim_terms t;
	sim_cost_terms(&c, &s, &t);
	ASSERT_TRUE(t.a_lin > t.b_lin); /* T = 8192 >> ridge */
	double lin = 2.0 * sim_model_nonemb_params(m) * 8192 +
		     2.0 * m->vocab * m->hidden;
	ASSERT_NEAR(t.a_lin, lin / 312e12, 1e-9);
	/* ~0.6 s at eta_f 0.6 plus attention; monotone in tokens */
	double t8k = sim_cost_step_s(&c, &s);
	ASSERT_TRUE(t8k > 0.3 && t8k < 1.0);
	/* TP 2 halves compute and adds the all-reduce */
	struct sim_cost c2;
	struct sim_gpu g2 = *sim_catalog_gpu(cat, "a100");
	sim_cost_init(&c2, m, &g2, 2, 2, &p);
	struct sim_terms t2;
	sim_cost_terms(&c2, &s, &t2);
	ASSERT_NEAR(t2.a_lin, t.a_lin / 2, 1e-12);
	ASSERT_NEAR(t2.allreduce_s, 2.0 * 28 * 3584 * 2 * 8192 / 600e9, 1e-9);
	/* KV heads per GPU halve too (4 -> 2) */
	ASSERT_NEAR(c2.kv_bytes_per_tok, 57344 / 2, 0);
}

static void test_profile_json(void)
{
	struct sim_profile p, q;
	sim_profile_default(&p);
	p.eta_f = 0.55;
	p.t_seq_s = 12.5e-6;
	snprintf(p.gpu, sizeof(p.gpu), "A100-80G");
	p.fit_points = 42;
	char *js = sim_profile_to_json(&p);
	ASSERT_TRUE(strstr(js, "\"format\": \"infbench-sim-profile\""));
	char *err = NULL;
	ASSERT_EQ(sim_profile_from_json(&q, js, &err), 0);
	ASSERT_NEAR(q.eta_f, 0.55, 1e-12);
	ASSERT_NEAR(q.t_seq_s, 12.5e-6, 1e-15);
	ASSERT_STR_EQ(q.gpu, "A100-80G");
	ASSERT_EQ(q.fit_points, 42);
	free(js);
	/* missing keys keep defaults */
	ASSERT_EQ(sim_profile_from_json(&q, "{\"eta_b\": 0.7}", &err), 0);
	ASSERT_NEAR(q.eta_b, 0.7, 1e-12);
	ASSERT_NEAR(q.eta_f, 0.6, 1e-12);
	/* bad values are refused and q is untouched */
	ASSERT_EQ(sim_profile_from_json(&q, "{\"eta_f\": -1}", &err), -EINVAL);
	ASSERT_TRUE(err && strstr(err, "eta_f"));
	free(err);
	ASSERT_EQ(sim_profile_from_json(&q, "{\"eta_f\": ", &err), -EINVAL);
	free(err);
	ASSERT_NEAR(q.eta_b, 0.7, 1e-12);
	/* file round trip */
	char path[] = "/tmp/infbench-prof-XXXXXX";
	int fd = mkstemp(path);
	ASSERT_TRUE(fd >= 0);
	close(fd);
	ASSERT_EQ(sim_profile_save(&p, path, &err), 0);
	ASSERT_EQ(sim_profile_load(&q, path, &err), 0);
	ASSERT_NEAR(q.eta_f, 0.55, 1e-12);
	unlink(path);
	ASSERT_EQ(sim_profile_load(&q, path, &err), -ENOENT);
	free(err);
}

int main(void)
{
	cat = sim_catalog_new();
	TEST_RUN(test_decode_bandwidth_bound);
	TEST_RUN(test_prefill_compute_bound);
	TEST_RUN(test_profile_json);
	sim_catalog_free(cat);
	return TEST_DONE();
}
