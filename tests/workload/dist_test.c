/* dist_test.c - length distributions and arrival schedules. */
#include <math.h>

#include "core/rng.h"
#include "workload/dist.h"
#include "workload/prompt.h"
#include "workload/sched.h"
#include "test.h"

static void test_parse(void)
{
	struct dist d;
	const char *why;
	ASSERT_EQ(dist_parse("512", &d, &why), 0);
	ASSERT_EQ(d.kind, DIST_FIXED);
	ASSERT_EQ(dist_parse("128,256,512", &d, &why), 0);
	ASSERT_EQ(d.kind, DIST_CHOICE);
	ASSERT_EQ(d.nvalues, 3);
	ASSERT_NEAR(dist_mean(&d), (128 + 256 + 512) / 3.0, 1e-9);
	ASSERT_EQ(dist_parse("uniform:2048:4096", &d, &why), 0);
	ASSERT_EQ(dist_parse("normal:300:50", &d, &why), 0);
	ASSERT_EQ(dist_parse("lognormal:300:100", &d, &why), 0);
	ASSERT_TRUE(dist_parse("", &d, &why) < 0);
	ASSERT_TRUE(dist_parse("0", &d, &why) < 0);
	ASSERT_TRUE(dist_parse("12.5", &d, &why) < 0);
	ASSERT_TRUE(dist_parse("uniform:9:3", &d, &why) < 0);
	ASSERT_TRUE(dist_parse("gauss:1:2", &d, &why) < 0);
	ASSERT_TRUE(dist_parse("normal:5", &d, &why) < 0);
	ASSERT_TRUE(dist_parse("1,,2", &d, &why) < 0);
	char buf[64];
	dist_parse("uniform:1:9", &d, &why);
	dist_format(&d, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "uniform:1:9");
}

static void test_sampling(void)
{
	struct dist d;
	const char *why;
	struct rng r;
	rng_seed(&r, 1);
	dist_parse("uniform:10:20", &d, &why);
	double sum = 0;
	int seen_lo = 0, seen_hi = 0;
	for (int i = 0; i < 100000; i++) {
		int32_t v = dist_sample(&d, &r);
		ASSERT_TRUE(v >= 10 && v <= 20);
		seen_lo |= v == 10;
		seen_hi |= v == 20;
		sum += v;
	}
	ASSERT_TRUE(seen_lo && seen_hi);
	ASSERT_NEAR(sum / 100000, 15, 0.05);
	dist_parse("lognormal:300:100", &d, &why);
	double s = 0, s2 = 0;
	for (int i = 0; i < 200000; i++) {
		double v = dist_sample(&d, &r);
		s += v;
		s2 += v * v;
	}
	double mean = s / 200000, sd = sqrt(s2 / 200000 - mean * mean);
	ASSERT_NEAR(mean, 300, 2);
	ASSERT_NEAR(sd, 100, 2);
	dist_parse("normal:5:100", &d, &why);
	d.max = 50;
	for (int i = 0; i < 10000; i++) {
		int32_t v = dist_sample(&d, &r);
		ASSERT_TRUE(v >= 1 && v <= 50);
	}
}

static void test_sched(void)
{
	struct sched_cfg c = {.rate = 10, .seed = 3};
	ASSERT_EQ(sched_parse("poisson", &c), 0);
	int64_t a[1000], b[1000];
	sched_fixed(&c, 1000, a);
	sched_fixed(&c, 1000, b);
	ASSERT_EQ(memcmp(a, b, sizeof(a)), 0); /* same seed, same schedule */
	ASSERT_EQ(a[999], 100LL * 1000000000LL); /* last at N/rate */
	for (int i = 1; i < 1000; i++)
		ASSERT_TRUE(a[i] >= a[i - 1]);
	/* Poisson: squared coefficient of variation of gaps near 1. */
	double s = 0, s2 = 0;
	for (int i = 1; i < 1000; i++) {
		double g = (double)(a[i] - a[i - 1]);
		s += g;
		s2 += g * g;
	}
	double m = s / 999, cv2 = (s2 / 999 - m * m) / (m * m);
	ASSERT_NEAR(cv2, 1.0, 0.2);
	ASSERT_EQ(sched_parse("constant", &c), 0);
	sched_fixed(&c, 1000, a);
	ASSERT_EQ(a[0], 100000000LL);
	ASSERT_EQ(a[1] - a[0], 100000000LL);
	ASSERT_EQ(sched_parse("gamma:0.25", &c), 0);
	sched_fixed(&c, 1000, a);
	s = s2 = 0;
	for (int i = 1; i < 1000; i++) {
		double g = (double)(a[i] - a[i - 1]);
		s += g;
		s2 += g * g;
	}
	m = s / 999;
	cv2 = (s2 / 999 - m * m) / (m * m);
	ASSERT_NEAR(cv2, 4.0, 1.2); /* bursty: cv^2 = 1/shape */
	ASSERT_TRUE(sched_parse("gamma:-1", &c) < 0);
	ASSERT_TRUE(sched_parse("weibull", &c) < 0);
	c.rate = INFINITY;
	sched_fixed(&c, 10, a);
	ASSERT_EQ(a[9], 0);
	c.rate = 100;
	sched_parse("poisson", &c);
	size_t n;
	int64_t *u = sched_until(&c, 10, &n);
	ASSERT_TRUE(n > 850 && n < 1150);
	ASSERT_TRUE(u[n - 1] <= 10LL * 1000000000LL);
	free(u);
}

static void test_prompt(void)
{
	struct rng r1, r2;
	rng_seed(&r1, 9);
	rng_seed(&r2, 9);
	struct buf a, b;
	buf_init(&a, 0);
	buf_init(&b, 0);
	prompt_synth(&r1, 100, &a);
	prompt_synth(&r2, 100, &b);
	ASSERT_STR_EQ(a.data, b.data);
	int words = 1;
	for (size_t i = 0; i < a.len; i++)
		words += a.data[i] == ' ';
	ASSERT_EQ(words, 100);
	buf_free(&a);
	buf_free(&b);
}

int main(void)
{
	TEST_RUN(test_parse);
	TEST_RUN(test_sampling);
	TEST_RUN(test_sched);
	TEST_RUN(test_prompt);
	return TEST_DONE();
}
