/* search_test.c - ladder + bisection on a synthetic monotone latency model:
 * finds the boundary within tolerance, same seed same answer; the
 * percentile bound (eval) decides each point; Mann-Whitney noise test. */
#include <errno.h>

#include "core/rng.h"
#include "decide/eval.h"
#include "decide/noise.h"
#include "decide/search.h"
#include "test.h"

/* Latency at load L: exponential with mean base * (1 + (L/knee)^2). Its
 * p99 is mean * ln(100). */
#define BASE_S 0.1
#define KNEE 40.0

static double model_p99(double load)
{
	return BASE_S * (1 + (load / KNEE) * (load / KNEE)) * log(100);
}

static int measure(double load, uint64_t seed, size_t n, double limit)
{
	struct rng r;
	rng_seed(&r, seed ^ (uint64_t)(load * 1000));
	double *v = malloc(n * sizeof(double));
	double mean = BASE_S * (1 + (load / KNEE) * (load / KNEE));
	for (size_t i = 0; i < n; i++)
		v[i] = -mean * log(1 - rng_uniform(&r));
	struct sla_term t = {99, SLA_E2EL, limit};
	struct decide_term_eval ev;
	ASSERT_EQ(decide_eval_term(v, n, &t, 0.95, &ev), 0);
	free(v);
	return ev.met;
}

static double run_search(uint64_t seed, double limit, int *points,
			 enum decide_status *st)
{
	static const double ladder[] = {8, 16, 32, 64, 128, 256};
	struct decide_search s;
	double load, b, ff;
	decide_search_init(&s, ladder, 6, 1, 8, 0.02);
	*points = 0;
	while (decide_search_next(&s, &load)) {
		decide_search_feed(&s, load, measure(load, seed, 3000, limit));
		(*points)++;
	}
	*st = decide_search_result(&s, &b, &ff);
	return b;
}

static void test_finds_boundary(void)
{
	/* limit = model p99 at load 50: the true boundary is 50; the bound
	 * is conservative, so the answer sits a little below it */
	double limit = model_p99(50);
	int pts;
	enum decide_status st;
	double b = run_search(1, limit, &pts, &st);
	ASSERT_EQ(st, DECIDE_FOUND);
	ASSERT_TRUE(b >= 42 && b <= 50);
	ASSERT_TRUE(pts <= 6 + 8);
	/* same seed, same answer; another seed close by */
	int pts2;
	ASSERT_NEAR(run_search(1, limit, &pts2, &st), b, 0);
	ASSERT_EQ(pts2, pts);
	double b3 = run_search(7, limit, &pts2, &st);
	ASSERT_TRUE(fabs(b3 - b) <= 5);
}

static void test_exact_feedback(void)
{
	/* deterministic oracle: met iff load <= 37 */
	static const double ladder[] = {10, 20, 40, 80};
	struct decide_search s;
	double load, b, ff;
	int seq[32], n = 0;
	decide_search_init(&s, ladder, 4, 1, 10, 0);
	while (decide_search_next(&s, &load) && n < 32) {
		seq[n++] = (int)load;
		decide_search_feed(&s, load, load <= 37);
	}
	ASSERT_EQ(decide_search_result(&s, &b, &ff), DECIDE_FOUND);
	ASSERT_NEAR(b, 37, 0);
	ASSERT_NEAR(ff, 38, 0);
	ASSERT_EQ(seq[0], 10);
	ASSERT_EQ(seq[2], 40);
	ASSERT_EQ(seq[3], 30); /* bisection of (20, 40) */
	/* ladder never runs past the first failure */
	for (int i = 0; i < n; i++)
		ASSERT_TRUE(seq[i] != 80);
}

static void test_bisect_cap_and_edges(void)
{
	static const double ladder[] = {10, 20, 40};
	struct decide_search s;
	double load, b, ff;
	int n = 0;
	decide_search_init(&s, ladder, 3, 0, 2, 0);
	while (decide_search_next(&s, &load)) {
		n++;
		decide_search_feed(&s, load, load <= 27.3);
	}
	ASSERT_EQ(n, 3 + 2); /* two bisection points at most */
	ASSERT_EQ(decide_search_result(&s, &b, &ff), DECIDE_FOUND);
	ASSERT_NEAR(b, 25, 1e-9);
	ASSERT_NEAR(ff, 30, 1e-9);
	/* everything passes */
	decide_search_init(&s, ladder, 3, 1, 4, 0.05);
	while (decide_search_next(&s, &load))
		decide_search_feed(&s, load, 1);
	ASSERT_EQ(decide_search_result(&s, &b, &ff), DECIDE_ABOVE);
	ASSERT_NEAR(b, 40, 0);
	/* nothing passes: bisects below the first rung down to 1 */
	decide_search_init(&s, ladder, 3, 1, 10, 0.05);
	n = 0;
	while (decide_search_next(&s, &load)) {
		n++;
		decide_search_feed(&s, load, 0);
	}
	ASSERT_EQ(decide_search_result(&s, &b, &ff), DECIDE_BELOW);
	ASSERT_NEAR(ff, 1, 0);
	ASSERT_EQ(n, 4); /* 10, then 5, 2, 1 */
}

static void test_eval_bound(void)
{
	double v[400];
	struct sla_term t = {99, SLA_TTFT, 1.0};
	struct decide_term_eval ev;
	/* 298 samples: not enough for a P99 bound at 95% */
	for (int i = 0; i < 298; i++)
		v[i] = 0.001 * i;
	ASSERT_EQ(decide_eval_term(v, 298, &t, 0.95, &ev), 0);
	ASSERT_EQ(ev.sufficient, 0);
	ASSERT_EQ(ev.met, 0);
	ASSERT_EQ(ev.min_n, 299);
	/* 400 samples, 3 failures (+inf): the bound is the 399th value... */
	for (int i = 0; i < 400; i++)
		v[i] = i < 397 ? 0.001 * i : INFINITY;
	ASSERT_EQ(decide_eval_term(v, 400, &t, 0.95, &ev), 0);
	ASSERT_EQ(ev.sufficient, 1);
	ASSERT_EQ(ev.n_inf, 3);
	ASSERT_TRUE(ev.rank >= 398);
	ASSERT_TRUE(isinf(ev.bound_s));
	ASSERT_EQ(ev.met, 0);
	/* ... while the point estimate alone would have passed */
	ASSERT_TRUE(ev.estimate_s < 1.0);
	for (int i = 0; i < 400; i++)
		v[i] = 0.001 * i;
	ASSERT_EQ(decide_eval_term(v, 400, &t, 0.95, &ev), 0);
	ASSERT_EQ(ev.met, 1);
	ASSERT_TRUE(ev.bound_s >= ev.estimate_s);
}

static void test_mann_whitney(void)
{
	double a[5] = {1, 2, 3, 4, 5}, b[5] = {6, 7, 8, 9, 10};
	struct noise_mw mw;
	ASSERT_EQ(noise_mann_whitney(a, 5, b, 5, &mw), 0);
	ASSERT_NEAR(mw.u, 25, 0);
	ASSERT_NEAR(mw.p, 0.01219, 2e-4); /* scipy, asymptotic, continuity */
	ASSERT_TRUE(mw.z > 0);
	ASSERT_EQ(noise_mann_whitney(b, 5, a, 5, &mw), 0);
	ASSERT_TRUE(mw.z < 0);
	/* identical samples: no evidence */
	ASSERT_EQ(noise_mann_whitney(a, 5, a, 5, &mw), 0);
	ASSERT_TRUE(mw.p > 0.99);
	/* same distribution, big samples: p rarely small; shifted: tiny */
	struct rng r;
	rng_seed(&r, 5);
	double x[2000], y[2000];
	for (int i = 0; i < 2000; i++) {
		x[i] = rng_uniform(&r);
		y[i] = rng_uniform(&r);
	}
	ASSERT_EQ(noise_mann_whitney(x, 2000, y, 2000, &mw), 0);
	ASSERT_TRUE(mw.p > 0.01);
	for (int i = 0; i < 2000; i++)
		y[i] += 0.05;
	ASSERT_EQ(noise_mann_whitney(x, 2000, y, 2000, &mw), 0);
	ASSERT_TRUE(mw.p < 1e-3);
	/* failures (+inf) rank above everything */
	double f[5] = {1, 2, INFINITY, INFINITY, INFINITY};
	ASSERT_EQ(noise_mann_whitney(a, 5, f, 5, &mw), 0);
	ASSERT_TRUE(mw.prob_b_gt_a > 0.5);
	ASSERT_EQ(noise_mann_whitney(a, 0, f, 5, &mw), -1);
}

int main(void)
{
	TEST_RUN(test_finds_boundary);
	TEST_RUN(test_exact_feedback);
	TEST_RUN(test_bisect_cap_and_edges);
	TEST_RUN(test_eval_bound);
	TEST_RUN(test_mann_whitney);
	return TEST_DONE();
}
