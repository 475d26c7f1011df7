/* calibrate_cmd_test.c - `infbench calibrate` round trip: results files
 * produced by `infbench simulate` with a known non-default profile must
 * give back that profile (the whole path: simulate -> results JSON ->
 * point extraction -> fit -> profile file); plus refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "sim/cost.h"
#include "test.h"

static char dir[] = "/tmp/infbench-calcmd-XXXXXX";

static int run(int (*fn)(int, char **), char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	return fn(argc, argv);
}

static char *path(const char *name)
{
	static char buf[8][256];
	static int k;
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static void write_profile(const char *p)
{
	FILE *f = fopen(p, "w");
	fprintf(f, "{\"format\":\"infbench-sim-profile\",\"version\":1,"
		   "\"eta_f\":0.45,\"eta_b\":0.7,\"eta_a\":0.35,"
		   "\"t_fixed_s\":0.003,\"t_seq_s\":2e-5,"
		   "\"t_eager_s\":0.001}\n");
	fclose(f);
}

static void test_round_trip(void)
{
	char *truth = path("true.json");
	write_profile(truth);
	/* concurrency 1 with many prompt lengths: prefill points (the budget
	 * is raised so no prompt is chunked) and batch-1 decode points */
	char *a1[] = {"simulate", "-q", "--profile", truth,
		      "--max-num-batched-tokens", "16384", "-c", "1", "-n",
		      "60", "-i", "128,512,2048,4096,8192,16384", "-o", "64",
		      "--result", path("c1.json"), NULL};
	ASSERT_EQ(run(cmd_simulate, a1), EXIT_OK);
	static const char *conc[] = {"4", "16", "64", "128"};
	static const char *nreq[] = {"16", "64", "256", "512"};
	for (int i = 0; i < 4; i++) {
		char name[32];
		snprintf(name, sizeof(name), "c%s.json", conc[i]);
		char *a[] = {"simulate", "-q", "--profile", truth,
			     "--max-num-batched-tokens", "16384", "-c",
			     (char *)conc[i], "-n", (char *)nreq[i], "-i",
			     "1024", "-o", "128", "--result", path(name),
			     NULL};
		ASSERT_EQ(run(cmd_simulate, a), EXIT_OK);
	}
	char *fit = path("fit.json");
	char *c[] = {"calibrate", "-q", path("c1.json"), path("c4.json"),
		     path("c16.json"), path("c64.json"), path("c128.json"),
		     "--out", fit, NULL};
	ASSERT_EQ(run(cmd_calibrate, c), EXIT_OK);
	struct sim_profile p;
	char *err = NULL;
	ASSERT_EQ(sim_profile_load(&p, fit, &err), 0);
	ASSERT_NEAR(p.eta_f, 0.45, 0.45 * 0.02);
	ASSERT_NEAR(p.eta_b, 0.7, 0.7 * 0.02);
	ASSERT_NEAR(p.eta_a, 0.35, 0.35 * 0.03);
	ASSERT_NEAR(p.t_fixed_s, 0.003, 0.003 * 0.03);
	ASSERT_NEAR(p.t_seq_s, 2e-5, 2e-5 * 0.05);
	ASSERT_TRUE(p.fit_rms_rel_err >= 0 && p.fit_rms_rel_err < 0.01);
	ASSERT_EQ(p.fit_points, 16); /* 6 lengths x 2 + 4 runs */
	ASSERT_STR_EQ(p.model, "Qwen2-7B");
	ASSERT_STR_EQ(p.gpu, "A100-80G");

	/* the default profile is far from it: the fit must have moved */
	struct sim_profile d;
	sim_profile_default(&d);
	ASSERT_TRUE(d.eta_f - p.eta_f > 0.1);

	/* and simulate accepts the fitted profile */
	char *s[] = {"simulate", "-q", "--profile", fit, "-n", "10", NULL};
	ASSERT_EQ(run(cmd_simulate, s), EXIT_OK);
}

static void test_refusals(void)
{
	char *a[] = {"calibrate", "-q", path("c1.json"), NULL};
	ASSERT_EQ(run(cmd_calibrate, a), EXIT_USAGE); /* no --out */
	char *b[] = {"calibrate", "-q", "--out", path("x.json"), NULL};
	ASSERT_EQ(run(cmd_calibrate, b), EXIT_USAGE); /* no files */
	char *c[] = {"calibrate", "-q", "/nonexistent.json", "--out",
		     path("x.json"), NULL};
	ASSERT_EQ(run(cmd_calibrate, c), EXIT_FAIL);
	/* an open-loop run alone gives no point */
	char *o[] = {"simulate", "-q", "-n", "20", "--rate", "5", "-o", "8",
		     "--result", path("open.json"), NULL};
	ASSERT_EQ(run(cmd_simulate, o), EXIT_OK);
	char *d[] = {"calibrate", "-q", path("open.json"), "--out",
		     path("x.json"), NULL};
	ASSERT_EQ(run(cmd_calibrate, d), EXIT_FAIL);
	FILE *f = fopen(path("x.json"), "r");
	ASSERT_TRUE(!f); /* nothing written on failure */
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	if (!freopen("/dev/null", "w", stdout))
		return 1;
	TEST_RUN(test_round_trip);
	TEST_RUN(test_refusals);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
	return TEST_DONE();
}
