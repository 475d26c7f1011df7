/* calibrate_test.c - the fit recovers constants from synthetic points. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/rng.h"
#include "sim/calibrate.h"
#include "test.h"

static struct sim_catalog *cat;

/* Decode sweeps (batch × context), prefill sweeps and a few mixed steps,
 * as simulator.md §8.1 prescribes, priced by the cost model itself. */
static size_t make_points(const struct sim_model *m, const struct sim_gpu *g,
			  int32_t tp, const struct sim_profile *truth,
			  double noise, struct sim_calib_point *pts)
{
	struct sim_cost c;
	struct rng r;
	rng_seed(&r, 7);
	sim_cost_init(&c, m, g, tp, 2, truth);
	size_t n = 0;
	static const int32_t batches[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
	static const int32_t ctxs[] = {128, 2048, 8192};
	for (size_t i = 0; i < 9; i++)
		for (size_t j = 0; j < 3; j++)
			pts[n++] = (struct sim_calib_point){
				SIM_CALIB_DECODE, batches[i], 0, ctxs[j], 0};
	for (int32_t tok = 128; tok <= 16384; tok *= 2)
		pts[n++] = (struct sim_calib_point){SIM_CALIB_PREFILL, 1, tok,
						    0, 0};
	pts[n++] = (struct sim_calib_point){SIM_CALIB_PREFILL, 4, 4096, 0, 0};
	pts[n++] = (struct sim_calib_point){SIM_CALIB_MIXED, 32, 1024, 512, 0};
	pts[n++] = (struct sim_calib_point){SIM_CALIB_MIXED, 64, 2048, 1024, 0};
	for (size_t i = 0; i < n; i++) {
		struct sim_shape s;
		sim_calib_shape(&pts[i], &s);
		pts[i].seconds = sim_cost_step_s(&c, &s) *
				 (1 + noise * rng_normal(&r));
	}
	return n;
}

static void check_recovery(const char *model, const char *gpu, int32_t tp,
			   const struct sim_profile *truth)
{
	const struct sim_model *m = sim_catalog_model(cat, model);
	const struct sim_gpu *g = sim_catalog_gpu(cat, gpu);
	struct sim_calib_point pts[64];
	size_t n = make_points(m, g, tp, truth, 0, pts);
	struct sim_calib_result res;
	char *err = NULL;
	ASSERT_EQ(sim_calibrate(m, g, tp, 2, pts, n, NULL, &res, &err), 0);
	fprintf(stderr, "  %s/%s tp%d: eta_f %.4f eta_b %.4f eta_a %.4f "
			"t_fixed %.3f ms t_seq %.2f us rms %.2e iters %d\n",
		model, gpu, tp, res.profile.eta_f, res.profile.eta_b,
		res.profile.eta_a, res.profile.t_fixed_s * 1e3,
		res.profile.t_seq_s * 1e6, res.rms_rel_err, res.iterations);
	ASSERT_EQ(res.fitted, SIM_FIT_ETA_F | SIM_FIT_ETA_B | SIM_FIT_ETA_A |
				      SIM_FIT_T_FIXED | SIM_FIT_T_SEQ);
	ASSERT_NEAR(res.profile.eta_f / truth->eta_f, 1, 0.02);
	ASSERT_NEAR(res.profile.eta_b / truth->eta_b, 1, 0.02);
	ASSERT_NEAR(res.profile.eta_a / truth->eta_a, 1, 0.02);
	ASSERT_NEAR(res.profile.t_fixed_s / truth->t_fixed_s, 1, 0.02);
	ASSERT_NEAR(res.profile.t_seq_s / truth->t_seq_s, 1, 0.02);
	ASSERT_TRUE(res.rms_rel_err < 1e-6);
	ASSERT_EQ(res.n_points, n);
	ASSERT_STR_EQ(res.profile.gpu, g->name);
}

static void test_recover_exact(void)
{
	/* truth far from the default start (0.6/0.8/0.5/1.5 ms/10 us) */
	struct sim_profile t;
	sim_profile_default(&t);
	t.eta_f = 0.45;
	t.eta_b = 0.68;
	t.eta_a = 0.31;
	t.t_fixed_s = 3.2e-3;
	t.t_seq_s = 18e-6;
	check_recovery("Qwen2-7B", "A100-80G", 1, &t);
	t.eta_f = 0.72;
	t.eta_b = 0.9;
	t.eta_a = 0.6;
	t.t_fixed_s = 0.9e-3;
	t.t_seq_s = 6e-6;
	check_recovery("Llama-3-8B", "H100-SXM", 1, &t);
	check_recovery("Llama-3-70B", "H100-SXM", 4, &t);
}

static void test_noise(void)
{
	/* 1 % noise: the fit stays close and reports ~1 % RMS error */
	struct sim_profile t;
	sim_profile_default(&t);
	const struct sim_model *m = sim_catalog_model(cat, "qwen2-7b");
	const struct sim_gpu *g = sim_catalog_gpu(cat, "a100");
	struct sim_calib_point pts[64];
	size_t n = make_points(m, g, 1, &t, 0.01, pts);
	struct sim_calib_result res;
	ASSERT_EQ(sim_calibrate(m, g, 1, 2, pts, n, NULL, &res, NULL), 0);
	fprintf(stderr, "  noisy: eta_f %.3f eta_b %.3f rms %.4f\n",
		res.profile.eta_f, res.profile.eta_b, res.rms_rel_err);
	ASSERT_NEAR(res.profile.eta_b / t.eta_b, 1, 0.02);
	ASSERT_NEAR(res.profile.eta_f / t.eta_f, 1, 0.05);
	ASSERT_TRUE(res.rms_rel_err > 0.004 && res.rms_rel_err < 0.02);
}

static void test_unidentifiable(void)
{
	/* decode-only points at batch 1: nothing constrains eta_f / eta_a,
	 * and t_seq is collinear with t_fixed; those keep their start. */
	struct sim_profile t;
	sim_profile_default(&t);
	t.eta_b = 0.7;
	const struct sim_model *m = sim_catalog_model(cat, "qwen2-7b");
	const struct sim_gpu *g = sim_catalog_gpu(cat, "a100");
	struct sim_cost c;
	sim_cost_init(&c, m, g, 1, 2, &t);
	struct sim_calib_point pts[8];
	for (int i = 0; i < 8; i++) {
		pts[i] = (struct sim_calib_point){SIM_CALIB_DECODE, 1, 0,
						  512 * (i + 1), 0};
		struct sim_shape s;
		sim_calib_shape(&pts[i], &s);
		pts[i].seconds = sim_cost_step_s(&c, &s);
	}
	struct sim_calib_result res;
	ASSERT_EQ(sim_calibrate(m, g, 1, 2, pts, 8, NULL, &res, NULL), 0);
	ASSERT_TRUE(res.fitted & SIM_FIT_ETA_B);
	ASSERT_TRUE(!(res.fitted & SIM_FIT_ETA_F));
	ASSERT_TRUE(!(res.fitted & SIM_FIT_ETA_A));
	ASSERT_NEAR(res.profile.eta_f, 0.6, 1e-12);
	ASSERT_TRUE(res.rms_rel_err < 1e-3);
}

static void test_bad_input(void)
{
	const struct sim_model *m = sim_catalog_model(cat, "qwen2-7b");
	const struct sim_gpu *g = sim_catalog_gpu(cat, "a100");
	struct sim_calib_point pts[2] = {
		{SIM_CALIB_DECODE, 1, 0, 10, 0.01},
		{SIM_CALIB_DECODE, 1, 0, 10, -1},
	};
	struct sim_calib_result res;
	char *err = NULL;
	ASSERT_EQ(sim_calibrate(m, g, 1, 2, pts, 2, NULL, &res, &err), -EINVAL);
	ASSERT_TRUE(err != NULL);
	free(err);
	ASSERT_EQ(sim_calibrate(m, g, 1, 2, pts, 1, NULL, &res, &err), -EINVAL);
	free(err);
}

int main(void)
{
	cat = sim_catalog_new();
	TEST_RUN(test_recover_exact);
	TEST_RUN(test_noise);
	TEST_RUN(test_unidentifiable);
	TEST_RUN(test_bad_input);
	sim_catalog_free(cat);
	return TEST_DONE();
}
