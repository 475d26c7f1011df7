/* sla_test.c - SLA expression grammar: terms, units, errors with columns. */
#include "scenario/sla.h"
#include <errno.h>

#include "test.h"

static void test_single_and_compound(void)
{
	struct sla s;
	char err[128];
	ASSERT_EQ(sla_parse("p99 e2el <= 500ms", &s, err, sizeof(err)), 0);
	ASSERT_EQ(s.n, 1);
	ASSERT_NEAR(s.t[0].pct, 99, 0);
	ASSERT_EQ(s.t[0].metric, SLA_E2EL);
	ASSERT_NEAR(s.t[0].limit_s, 0.5, 1e-12);
	ASSERT_EQ(sla_parse("p99 ttft <= 300ms and p99 tpot <= 50ms", &s, err,
			    sizeof(err)),
		  0);
	ASSERT_EQ(s.n, 2);
	ASSERT_EQ(s.t[0].metric, SLA_TTFT);
	ASSERT_EQ(s.t[1].metric, SLA_TPOT);
	ASSERT_NEAR(s.t[1].limit_s, 0.05, 1e-12);
	ASSERT_EQ(sla_parse("P99.9 E2E<=1.5s && median itl < 20", &s, err,
			    sizeof(err)),
		  0);
	ASSERT_EQ(s.n, 2);
	ASSERT_NEAR(s.t[0].pct, 99.9, 1e-12);
	ASSERT_NEAR(s.t[0].limit_s, 1.5, 1e-12);
	ASSERT_NEAR(s.t[1].pct, 50, 0);
	ASSERT_EQ(s.t[1].metric, SLA_ITL);
	ASSERT_NEAR(s.t[1].limit_s, 0.020, 1e-12); /* bare number = ms */
	ASSERT_EQ(sla_parse("p90 ttft<=2s, p95 tpot<=40ms", &s, err,
			    sizeof(err)),
		  0);
	ASSERT_EQ(s.n, 2);
}

static void test_format_round_trip(void)
{
	struct sla s, t;
	char err[128], buf[256];
	ASSERT_EQ(sla_parse("p99 ttft <= 300ms and p99.5 e2el <= 4.5s", &s,
			    err, sizeof(err)),
		  0);
	sla_format(&s, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "p99 ttft <= 300ms and p99.5 e2el <= 4.5s");
	ASSERT_EQ(sla_parse(buf, &t, err, sizeof(err)), 0);
	ASSERT_EQ(t.n, 2);
	ASSERT_NEAR(t.t[1].limit_s, 4.5, 1e-12);
}

static void test_errors(void)
{
	struct sla s;
	char err[128];
	s.n = 7;
	ASSERT_EQ(sla_parse("p99 e2el 500ms", &s, err, sizeof(err)), -EINVAL);
	ASSERT_STR_EQ(err, "column 10: expected <= after the metric");
	ASSERT_EQ(s.n, 7); /* unchanged on error */
	ASSERT_EQ(sla_parse("p99 latencyx <= 1s", &s, err, sizeof(err)),
		  -EINVAL);
	ASSERT_STR_EQ(err, "column 5: expected a metric: ttft, tpot, itl or e2el");
	ASSERT_EQ(sla_parse("p100 ttft <= 1s", &s, err, sizeof(err)), -EINVAL);
	ASSERT_TRUE(strstr(err, "column 1: percentile") != NULL);
	ASSERT_EQ(sla_parse("p99 ttft <= fast", &s, err, sizeof(err)), -EINVAL);
	ASSERT_TRUE(strstr(err, "column 13: bad duration") != NULL);
	ASSERT_EQ(sla_parse("p99 ttft <= 1s or p99 tpot <= 1s", &s, err,
			    sizeof(err)),
		  -EINVAL);
	ASSERT_STR_EQ(err, "column 16: expected 'and' between terms");
	ASSERT_EQ(sla_parse("", &s, err, sizeof(err)), -EINVAL);
	ASSERT_EQ(sla_parse("p99 ttft <= 0ms", &s, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	TEST_RUN(test_single_and_compound);
	TEST_RUN(test_format_round_trip);
	TEST_RUN(test_errors);
	return TEST_DONE();
}
