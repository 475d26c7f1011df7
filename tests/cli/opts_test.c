/* opts_test.c - option table parsing, units, aliases, env, --no-. */
#include <stddef.h>
#include <stdlib.h>

#include "cli/opts.h"
#include "cli/units.h"
#include "test.h"

struct cfg {
	long long n;
	double rate, timeout_s, slo_s;
	char *url;
	int flag;
	struct opt_list hdr;
};

static const struct opt table[] = {
	{"num-requests", 'n', OPT_INT, offsetof(struct cfg, n), "100", "N",
	 "requests", "num-prompts", NULL},
	{"rate", 0, OPT_DOUBLE, offsetof(struct cfg, rate), "inf", "R", "rate",
	 "request-rate", NULL},
	{"timeout", 0, OPT_DURATION, offsetof(struct cfg, timeout_s), "60s",
	 NULL, "timeout", NULL, NULL},
	{"slo", 0, OPT_DURATION_MS, offsetof(struct cfg, slo_s), NULL, NULL,
	 "slo", NULL, NULL},
	{"url", 'u', OPT_STR, offsetof(struct cfg, url), NULL, "URL", "url",
	 NULL, "OPTS_TEST_URL"},
	{"flag", 0, OPT_BOOL, offsetof(struct cfg, flag), "1", NULL, "flag",
	 NULL, NULL},
	{"header", 'H', OPT_LIST, offsetof(struct cfg, hdr), NULL, NULL,
	 "header", NULL, NULL},
	OPT_END,
};
static const struct opts_cmd cmd = {"t", "t [opts]", "test", table, 0, 1};

static void test_defaults_and_aliases(void)
{
	struct cfg c = {0};
	char *argv[] = {"t", "--num-prompts", "2k", "--request-rate=3.5",
			"--timeout", "250ms", "--slo", "500", "--no-flag",
			"-H", "a: b", "--header", "c: d", "pos", NULL};
	char **args;
	int nargs;
	unsetenv("OPTS_TEST_URL");
	ASSERT_EQ(opts_parse(&cmd, 14, argv, &c, &args, &nargs), 0);
	ASSERT_EQ(c.n, 2000);
	ASSERT_NEAR(c.rate, 3.5, 0);
	ASSERT_NEAR(c.timeout_s, 0.25, 1e-12);
	ASSERT_NEAR(c.slo_s, 0.5, 1e-12);
	ASSERT_EQ(c.flag, 0);
	ASSERT_EQ(c.hdr.n, 2);
	ASSERT_STR_EQ(c.hdr.items[1], "c: d");
	ASSERT_EQ(nargs, 1);
	ASSERT_STR_EQ(args[0], "pos");
	ASSERT_TRUE(opts_given(&cmd, "rate"));
	ASSERT_TRUE(!opts_given(&cmd, "url"));
	free(args);
	opts_free(&cmd, &c);
}

static void test_env_then_argv(void)
{
	struct cfg c = {0};
	setenv("OPTS_TEST_URL", "http://env", 1);
	char *argv1[] = {"t", NULL};
	ASSERT_EQ(opts_parse(&cmd, 1, argv1, &c, NULL, NULL), 0);
	ASSERT_STR_EQ(c.url, "http://env");
	ASSERT_TRUE(isinf(c.rate));
	char *argv2[] = {"t", "-u", "http://argv", NULL};
	ASSERT_EQ(opts_parse(&cmd, 3, argv2, &c, NULL, NULL), 0);
	ASSERT_STR_EQ(c.url, "http://argv");
	opts_free(&cmd, &c);
	unsetenv("OPTS_TEST_URL");
}

static void test_errors(void)
{
	struct cfg c = {0};
	char *a1[] = {"t", "--bogus", NULL};
	ASSERT_TRUE(opts_parse(&cmd, 2, a1, &c, NULL, NULL) < 0);
	char *a2[] = {"t", "--num-requests", "ten", NULL};
	ASSERT_TRUE(opts_parse(&cmd, 3, a2, &c, NULL, NULL) < 0);
	char *a3[] = {"t", "--timeout", NULL};
	ASSERT_TRUE(opts_parse(&cmd, 2, a3, &c, NULL, NULL) < 0);
	char *a4[] = {"t", "a", "b", NULL};
	ASSERT_TRUE(opts_parse(&cmd, 3, a4, &c, NULL, NULL) < 0);
	opts_free(&cmd, &c);
}

static void test_units(void)
{
	double d;
	int64_t i;
	ASSERT_EQ(units_duration_s("1.5m", 1, &d), 0);
	ASSERT_NEAR(d, 90, 1e-9);
	ASSERT_EQ(units_duration_s("20us", 1, &d), 0);
	ASSERT_NEAR(d, 20e-6, 1e-15);
	ASSERT_TRUE(units_duration_s("5 parsecs", 1, &d) < 0);
	ASSERT_TRUE(units_duration_s("-1s", 1, &d) < 0);
	ASSERT_EQ(units_int("10k", &i), 0);
	ASSERT_EQ(i, 10000);
	ASSERT_TRUE(units_int("1.5", &i) < 0);
	ASSERT_EQ(units_int("1.5k", &i), 0);
	ASSERT_EQ(i, 1500);
}

int main(void)
{
	TEST_RUN(test_defaults_and_aliases);
	TEST_RUN(test_env_then_argv);
	TEST_RUN(test_errors);
	TEST_RUN(test_units);
	return TEST_DONE();
}
