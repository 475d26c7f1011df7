/* summary_test.c - run summary on hand-built records (fixture.h). */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/xmalloc.h"
#include "results/summary.h"
#include "test.h"
#include "fixture.h"

#define EPS 1e-12

static void compute(struct summary *s, struct rec *r, double slo_ttft,
		    double slo_tpot)
{
	struct summary_config c;
	summary_config_init(&c);
	c.slo_ttft_s = slo_ttft;
	c.slo_tpot_s = slo_tpot;
	ASSERT_EQ(summary_compute(s, r, FIX_N, NULL, NS_PER_S, &c), 0);
}

static void test_counts_and_throughput(void)
{
	struct rec r[FIX_N];
	struct summary s;
	fix_build(r);
	compute(&s, r, 0, 0);
	ASSERT_EQ(s.n_records, 7);
	ASSERT_EQ(s.n_warmup, 1);
	ASSERT_EQ(s.completed, 3);
	ASSERT_EQ(s.failed, 3);
	ASSERT_EQ(s.outcomes[REC_OK], 3);
	ASSERT_EQ(s.outcomes[REC_HTTP_ERROR], 1);
	ASSERT_EQ(s.outcomes[REC_TIMEOUT_TOTAL], 1);
	ASSERT_EQ(s.outcomes[REC_NOT_SENT], 1);
	ASSERT_EQ(s.total_input_tokens, 10 + 12 + 20);
	ASSERT_EQ(s.total_output_tokens, 5 + 5 + 3);
	ASSERT_NEAR(s.duration_s, 1, 0);
	ASSERT_NEAR(s.request_throughput, 3, EPS);
	ASSERT_NEAR(s.output_throughput, 13, EPS);
	ASSERT_NEAR(s.total_token_throughput, 55, EPS);
	ASSERT_EQ(s.out_src[REC_COUNT_USAGE], 2);
	ASSERT_EQ(s.out_src[REC_COUNT_CHUNK], 1);
	ASSERT_TRUE(!s.has_slo);
	/* every event of the successes is in second 0 */
	ASSERT_NEAR(s.max_output_tokens_per_s, 8, 0);
	/* [0,250) [200,420) [250,430): 2 because 250 ends before it starts */
	ASSERT_EQ(s.max_concurrent_requests, 2);
	summary_free(&s);
	fix_free(r);
}

static void test_latencies(void)
{
	struct rec r[FIX_N];
	struct summary s;
	fix_build(r);
	compute(&s, r, 0, 0);
	const struct summary_dist *t = &s.m[SUMMARY_TTFT];
	ASSERT_EQ(t->n, 3); /* failures and the warmup are out */
	ASSERT_NEAR(t->mean_s, (0.1 + 0.1 + 0.08) / 3, EPS);
	ASSERT_NEAR(t->median_s, 0.1, EPS);
	ASSERT_NEAR(t->min_s, 0.08, EPS);
	ASSERT_NEAR(t->max_s, 0.1, EPS);
	ASSERT_NEAR(t->pct_s[0], 0.1, EPS); /* h = 1.98 between .1 and .1 */
	const struct summary_dist *e = &s.m[SUMMARY_E2EL];
	ASSERT_EQ(e->n, 3);
	ASSERT_NEAR(e->mean_s, (0.25 + 0.22 + 0.18) / 3, EPS);
	/* sorted .18 .22 .25: p99 h = 1.98 -> .22 + .98 * .03 */
	ASSERT_NEAR(e->p99_s, 0.22 + 0.98 * 0.03, EPS);
	ASSERT_NEAR(e->p99_loadgen_s, 0.25, EPS);
	ASSERT_NEAR(e->p99_inverted_cdf_s, 0.25, EPS);
	ASSERT_NEAR(e->std_s, sqrt(((0.25 - 0.65 / 3) * (0.25 - 0.65 / 3) +
				    (0.22 - 0.65 / 3) * (0.22 - 0.65 / 3) +
				    (0.18 - 0.65 / 3) * (0.18 - 0.65 / 3)) / 3),
		    EPS);
	/* ITL: chunk gaps pooled: .05 .1 | .1 .02 | .1 */
	const struct summary_dist *i = &s.m[SUMMARY_ITL];
	ASSERT_EQ(i->n, 5);
	ASSERT_NEAR(i->mean_s, 0.37 / 5, EPS);
	ASSERT_NEAR(i->median_s, 0.1, EPS);
	ASSERT_NEAR(i->min_s, 0.02, EPS);
	/* TPOT: (.25-.1)/4, (.22-.1)/4, (.18-.08)/2 */
	const struct summary_dist *p = &s.m[SUMMARY_TPOT];
	ASSERT_EQ(p->n, 3);
	ASSERT_NEAR(p->mean_s, (0.0375 + 0.03 + 0.05) / 3, EPS);
	ASSERT_NEAR(p->max_s, 0.05, EPS);
	ASSERT_NEAR(s.per[0].tpot_s, 0.0375, EPS);
	ASSERT_TRUE(isnan(s.per[2].ttft_s));
	ASSERT_TRUE(!s.per[3].counted);
	ASSERT_EQ(s.per[4].in_tokens, 20); /* no prompt_tokens: in_len */
	ASSERT_EQ(s.per[1].out_src, REC_COUNT_CHUNK);
	/* n = 3 cannot bound a P99 */
	ASSERT_TRUE(!t->ci99.sufficient);
	summary_free(&s);
	fix_free(r);
}

static void test_corrected(void)
{
	struct rec r[FIX_N];
	struct summary s;
	fix_build(r);
	compute(&s, r, 0, 0);
	const struct summary_corrected *c = &s.corr;
	/* from t_arrival: .1 .2 .08 and .25 .32 .18 */
	ASSERT_NEAR(c->ttft_arrival.mean_s, 0.38 / 3, EPS);
	ASSERT_NEAR(c->ttft_arrival.max_s, 0.2, EPS);
	ASSERT_NEAR(c->e2el_arrival.max_s, 0.32, EPS);
	/* token-level ITL: .05 .1 | .1/3 x3 .02 | 0 (2nd token of the first
	 * chunk) .1 -> 8 samples = sum(N_out - 1), summing to .37 */
	ASSERT_EQ(c->itl_token.n, 8);
	ASSERT_EQ(c->itl_token.n, (5 - 1) + (5 - 1) + (3 - 1) - 2);
	ASSERT_NEAR(c->itl_token.mean_s, 0.37 / 8, EPS);
	ASSERT_NEAR(c->itl_token.min_s, 0, 0);
	/* sorted 0 .02 .033 .033 .033 .05 .1 .1 */
	ASSERT_NEAR(c->itl_token.median_s, 0.1 / 3, EPS);
	ASSERT_EQ(c->chunks_split, 2);
	/* GuideLLM TPOT: e2el / N_out */
	ASSERT_NEAR(c->tpot_guidellm.mean_s, (0.25 / 5 + 0.22 / 5 + 0.18 / 3) / 3,
		    EPS);
	/* queue: sent records 0 1 2 4 5 -> 0 .1 0 0 .05 */
	ASSERT_EQ(c->queue.n, 5);
	ASSERT_NEAR(c->queue.max_s, 0.1, EPS);
	ASSERT_NEAR(c->queue.mean_s, 0.03, EPS);
	/* failures as +inf over 5 attempts (not_sent excluded) */
	ASSERT_EQ(c->attempts, 5);
	ASSERT_EQ(c->ttft_fail_inf.n, 5);
	ASSERT_EQ(c->ttft_fail_inf.n_inf, 2);
	ASSERT_TRUE(isinf(c->ttft_fail_inf.p99_s));
	ASSERT_TRUE(isinf(c->e2el_fail_inf.p99_s));
	ASSERT_NEAR(c->ttft_fail_inf.p50_s, 0.1, EPS);
	/* prompt check: 10 vs 10, 12 vs 10; record 4 unknown */
	ASSERT_EQ(s.prompt.n_known, 2);
	ASSERT_EQ(s.prompt.n_unknown, 1);
	ASSERT_EQ(s.prompt.n_differ, 1);
	ASSERT_NEAR(s.prompt.mean_abs_diff, 1, EPS);
	ASSERT_NEAR(s.prompt.mean_diff, 1, EPS);
	ASSERT_EQ(s.prompt.max_abs_diff, 2);
	/* output shortfall: record 1 asked 8, got 5 */
	ASSERT_EQ(s.outlen.n_checked, 3);
	ASSERT_EQ(s.outlen.n_short, 1);
	ASSERT_NEAR(s.outlen.mean_shortfall, 3, EPS);
	summary_free(&s);
	fix_free(r);
}

static void test_goodput(void)
{
	struct rec r[FIX_N];
	struct summary s;
	fix_build(r);
	/* TTFT <= .1 inclusive keeps all three; TPOT <= .04 drops record 4 */
	compute(&s, r, 0.1, 0.04);
	ASSERT_TRUE(s.has_slo);
	ASSERT_EQ(s.good, 2);
	ASSERT_NEAR(s.request_goodput, 2, EPS);
	ASSERT_NEAR(s.corr.slo_attainment, 2.0 / 5, EPS);
	ASSERT_TRUE(s.per[0].good && s.per[1].good && !s.per[4].good);
	summary_free(&s);
	/* TTFT SLO just below .1 keeps only record 4, which fails TPOT */
	compute(&s, r, 0.0999, 0.04);
	ASSERT_EQ(s.good, 0);
	summary_free(&s);
	fix_free(r);
}

static void test_peak_buckets_and_ci(void)
{
	enum { N = 400 };
	struct rec *r = xcalloc(N, sizeof(*r));
	for (int i = 0; i < N; i++) {
		rec_init(&r[i], (uint32_t)i);
		r[i].in_len = 1;
		r[i].completion_tokens = 2;
		r[i].t_send_ns = r[i].t_arrival_ns = MS(10) * i;
		/* TTFT = i+1 ms, second token 1 ms later */
		rec_push_event(&r[i], r[i].t_send_ns + MS(i + 1), 1, 1);
		rec_push_event(&r[i], r[i].t_send_ns + MS(i + 2), 1, 1);
		rec_set_outcome(&r[i], REC_OK, NULL);
	}
	struct summary_config c;
	summary_config_init(&c);
	ASSERT_EQ(summary_config_set_pcts(&c, "50,99.9"), 0);
	struct summary s;
	ASSERT_EQ(summary_compute(&s, r, N, NULL, 5 * NS_PER_S, &c), 0);
	const struct summary_dist *t = &s.m[SUMMARY_TTFT];
	/* ranks (392, 400) for n = 400, P99, 95 % (ci_test) */
	ASSERT_TRUE(t->ci99.sufficient);
	ASSERT_EQ(t->ci99.lo_rank, 392);
	ASSERT_EQ(t->ci99.hi_rank, 400);
	ASSERT_NEAR(t->ci99.lo_s, 0.392, EPS);
	ASSERT_NEAR(t->ci99.hi_s, 0.400, EPS);
	ASSERT_NEAR(t->pct_s[0], 0.2005, EPS);
	ASSERT_NEAR(t->pct_s[1], 0.001 + 399 * 0.999 * 0.001, EPS);
	/* events: send 10i + (i+1) and 10i + (i+2) ms; count per second */
	int cnt[8] = {0}, best = 0;
	for (int i = 0; i < N; i++)
		for (int k = 1; k <= 2; k++) {
			int b = (10 * i + i + k) / 1000;
			if (++cnt[b] > best)
				best = cnt[b];
		}
	ASSERT_NEAR(s.max_output_tokens_per_s, best, 0);
	/* e2el i+2 ms vs 10 ms spacing: overlap only from i >= 8 */
	int conc = 0;
	for (int i = 0; i < N; i++) {
		int cur = 0;
		for (int j = 0; j <= i; j++)
			cur += 10 * j + j + 2 > 10 * i;
		if (cur > conc)
			conc = cur;
	}
	ASSERT_EQ(s.max_concurrent_requests, conc);
	ASSERT_TRUE(conc > 1);
	summary_free(&s);
	for (int i = 0; i < N; i++)
		rec_free(&r[i]);
	free(r);
}

static void test_config_parse(void)
{
	struct summary_config c;
	summary_config_init(&c);
	ASSERT_EQ(c.n_pcts, 1);
	ASSERT_EQ(c.metrics, SUMMARY_METRICS_DEFAULT);
	ASSERT_EQ(summary_config_set_pcts(&c, "50, 90,99.9"), 0);
	ASSERT_EQ(c.n_pcts, 3);
	ASSERT_NEAR(c.pcts[2], 99.9, 0);
	ASSERT_EQ(summary_config_set_pcts(&c, "101"), -EINVAL);
	ASSERT_EQ(summary_config_set_pcts(&c, "50,"), -EINVAL);
	ASSERT_EQ(summary_config_set_pcts(&c, "abc"), -EINVAL);
	ASSERT_EQ(c.n_pcts, 3);
	ASSERT_EQ(summary_config_set_metrics(&c, "ttft,e2el"), 0);
	ASSERT_EQ(c.metrics, SUMMARY_METRIC_BIT(SUMMARY_TTFT) |
				     SUMMARY_METRIC_BIT(SUMMARY_E2EL));
	ASSERT_EQ(summary_config_set_metrics(&c, "ttft,foo"), -EINVAL);
	ASSERT_EQ(summary_config_set_metrics(&c, "ttft,"), -EINVAL);
	char w[32];
	summary_pct_word(99, w, sizeof(w));
	ASSERT_STR_EQ(w, "99");
	summary_pct_word(99.9, w, sizeof(w));
	ASSERT_STR_EQ(w, "99.9");
	summary_pct_word(99.99, w, sizeof(w));
	ASSERT_STR_EQ(w, "99.99");
	summary_pct_word(0.5, w, sizeof(w));
	ASSERT_STR_EQ(w, "0.5");
	c.ci_conf = 1;
	struct summary s;
	ASSERT_EQ(summary_compute(&s, NULL, 0, NULL, 0, &c), -EINVAL);
	summary_free(&s);
}

static void test_empty(void)
{
	struct summary_config c;
	struct summary s;
	summary_config_init(&c);
	ASSERT_EQ(summary_compute(&s, NULL, 0, NULL, 0, &c), 0);
	ASSERT_EQ(s.completed, 0);
	ASSERT_NEAR(s.m[SUMMARY_TTFT].p99_s, 0, 0);
	ASSERT_NEAR(s.request_throughput, 0, 0);
	ASSERT_EQ(s.max_concurrent_requests, 0);
	summary_free(&s);
}

int main(void)
{
	TEST_RUN(test_counts_and_throughput);
	TEST_RUN(test_latencies);
	TEST_RUN(test_corrected);
	TEST_RUN(test_goodput);
	TEST_RUN(test_peak_buckets_and_ci);
	TEST_RUN(test_config_parse);
	TEST_RUN(test_empty);
	return TEST_DONE();
}
