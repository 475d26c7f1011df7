/* simulate_cmd_test.c - `infbench simulate` end to end: a valid results
 * file whose counts and token totals equal the workload's, the "run" block
 * (simulated, engine, memory), determinism per seed, open loop, warm-up,
 * the memory-bound contrast, and one-line refusals of bad options. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/sim_job.h"
#include "results/json.h"
#include "test.h"

static char dir[] = "/tmp/infbench-simcmd-XXXXXX";

#define SIM(...)                                                          \
	({                                                                \
		char *a_[] = {"simulate", "-q", __VA_ARGS__, NULL};       \
		cmd_simulate((int)(sizeof(a_) / sizeof(a_[0])) - 1, a_); \
	})

static json_t *load(const char *path)
{
	json_t *doc = NULL;
	char err[256];
	int rc = results_json_load(path, &doc, err, sizeof(err));
	if (rc)
		fprintf(stderr, "  load %s: %s\n", path, err);
	return doc;
}

static long long jint(const json_t *o, const char *path)
{
	/* "a.b.c" */
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	const json_t *j = o;
	for (char *s = buf, *dot; s; s = dot ? dot + 1 : NULL) {
		dot = strchr(s, '.');
		if (dot)
			*dot = '\0';
		j = json_object_get(j, s);
	}
	return json_is_integer(j) ? json_integer_value(j) : -999999;
}

static void test_results_file_matches_workload(void)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/r.json", dir);
	ASSERT_EQ(SIM("--engine", "reserved", "-i", "uniform:100:900", "-o",
		      "uniform:10:200", "-c", "8", "-n", "300", "--warmup",
		      "7", "--seed", "3", "--result", path),
		  EXIT_OK);
	json_t *doc = load(path);
	ASSERT_TRUE(doc);
	char err[256];
	ASSERT_EQ(results_json_validate(doc, err, sizeof(err)), 0);

	/* the lengths `infbench run --seed 3` would have used */
	struct run_config wl;
	memset(&wl, 0, sizeof(wl));
	const char *why;
	ASSERT_EQ(dist_parse("uniform:100:900", &wl.in_dist, &why), 0);
	ASSERT_EQ(dist_parse("uniform:10:200", &wl.out_dist, &why), 0);
	wl.seed = 3;
	long long sum_in = 0, sum_out = 0;
	const json_t *il = json_object_get(doc, "input_lens");
	for (uint32_t i = 0; i < 300; i++) {
		int32_t in, out;
		sim_job_lengths(&wl, i, 0, &in, &out);
		sum_in += in;
		sum_out += out;
		ASSERT_EQ(json_integer_value(json_array_get(il, i)), in);
	}
	ASSERT_EQ(jint(doc, "completed"), 300);
	ASSERT_EQ(jint(doc, "failed"), 0);
	ASSERT_EQ(jint(doc, "total_input_tokens"), sum_in);
	ASSERT_EQ(jint(doc, "total_output_tokens"), sum_out);
	ASSERT_EQ(jint(doc, "warmup_requests"), 7);
	ASSERT_EQ(json_array_size(json_object_get(doc, "requests")), 307);

	const json_t *run = json_object_get(doc, "run");
	ASSERT_TRUE(json_is_true(json_object_get(run, "simulated")));
	ASSERT_STR_EQ(json_string_value(json_object_get(run, "model")),
		      "Qwen2-7B");
	ASSERT_STR_EQ(json_string_value(json_object_get(run, "gpu")),
		      "A100-80G");
	ASSERT_STR_EQ(json_string_value(json_object_get(
			      json_object_get(run, "engine"), "policy")),
		      "reserved");
	/* defaults resolved, not 0 */
	ASSERT_EQ(jint(run, "engine.max_batch_prefill_tokens"), 22658);
	ASSERT_EQ(jint(run, "config.concurrency"), 8);
	ASSERT_EQ(jint(run, "config.seed"), 3);
	long long cap = jint(run, "memory.kv_capacity_bytes");
	long long peak = jint(run, "memory.kv_allocated_peak_bytes");
	ASSERT_TRUE(cap > 50LL << 30 && peak > 0 && peak <= cap);
	ASSERT_EQ(jint(run, "memory.preemptions"), 0);
	ASSERT_EQ(jint(run, "memory.peak_running"), 8);
	double am = json_real_value(json_object_get(
		json_object_get(run, "memory"), "kv_allocated_mean_bytes"));
	double um = json_real_value(json_object_get(
		json_object_get(run, "memory"), "kv_used_mean_bytes"));
	ASSERT_TRUE(um > 0 && um <= am * 1.0001 && am <= (double)peak);
	ASSERT_EQ(jint(run, "memory.gpu_total_bytes"),
		  jint(run, "memory.weights_bytes") + cap +
			  jint(run, "memory.other_bytes"));
	json_decref(doc);
}

static void test_same_seed_same_output(void)
{
	char a[256], b[256], c[256];
	snprintf(a, sizeof(a), "%s/a.json", dir);
	snprintf(b, sizeof(b), "%s/b.json", dir);
	snprintf(c, sizeof(c), "%s/c.json", dir);
	ASSERT_EQ(SIM("-i", "normal:500:200", "-o", "64", "-c", "16", "-n",
		      "200", "--seed", "11", "--result", a),
		  EXIT_OK);
	ASSERT_EQ(SIM("-i", "normal:500:200", "-o", "64", "-c", "16", "-n",
		      "200", "--seed", "11", "--result", b),
		  EXIT_OK);
	ASSERT_EQ(SIM("-i", "normal:500:200", "-o", "64", "-c", "16", "-n",
		      "200", "--seed", "12", "--result", c),
		  EXIT_OK);
	json_t *da = load(a), *db = load(b), *dc = load(c);
	ASSERT_TRUE(da && db && dc);
	/* only the host time and the command line may differ */
	json_t *docs[] = {da, db, dc};
	for (int i = 0; i < 3; i++) {
		json_t *run = json_object_get(docs[i], "run");
		json_object_del(run, "sim_wall_s");
		json_object_del(run, "command_line");
	}
	ASSERT_TRUE(json_equal(da, db));
	ASSERT_TRUE(!json_equal(json_object_get(da, "input_lens"),
				json_object_get(dc, "input_lens")));
	json_decref(da);
	json_decref(db);
	json_decref(dc);
}

static void test_open_loop(void)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/o.json", dir);
	ASSERT_EQ(SIM("--engine", "paged", "-i", "256", "-o", "32", "--rate",
		      "20", "--arrival", "constant", "-n", "100", "--result",
		      p),
		  EXIT_OK);
	json_t *d = load(p);
	ASSERT_TRUE(d);
	ASSERT_EQ(jint(d, "completed"), 100);
	/* the last arrival is at n/rate = 5 s; light load: done soon after */
	double dur = json_real_value(json_object_get(d, "duration"));
	ASSERT_TRUE(dur > 5.0 && dur < 6.0);
	ASSERT_EQ(jint(json_object_get(d, "run"), "config.concurrency"), 0);
	json_decref(d);
}

static void test_memory_bound(void)
{
	/* RAG at c=64 with the pool squeezed to 150k tokens: paged preempts,
	 * reserved never does (docs/SIMULATION.md). */
	char p[256], r[256];
	snprintf(p, sizeof(p), "%s/mp.json", dir);
	snprintf(r, sizeof(r), "%s/mr.json", dir);
	ASSERT_EQ(SIM("--engine", "paged", "-i", "2048,4096", "-o", "256",
		      "-c", "64", "-n", "200", "--num-gpu-blocks-override",
		      "9375", "--result", p),
		  EXIT_OK);
	ASSERT_EQ(SIM("--engine", "reserved", "-i", "2048,4096", "-o", "256",
		      "-c", "64", "-n", "200", "--max-batch-total-tokens",
		      "150000", "--result", r),
		  EXIT_OK);
	json_t *dp = load(p), *dr = load(r);
	ASSERT_TRUE(dp && dr);
	const json_t *rp = json_object_get(dp, "run"),
		     *rr = json_object_get(dr, "run");
	ASSERT_EQ(jint(rp, "engine.kv_tokens_override"), 150000);
	ASSERT_TRUE(jint(rp, "memory.preemptions") > 0);
	ASSERT_EQ(jint(rr, "memory.preemptions"), 0);
	ASSERT_TRUE(jint(rp, "memory.peak_running") >
		    jint(rr, "memory.peak_running"));
	ASSERT_EQ(jint(dp, "completed"), 200);
	ASSERT_EQ(jint(dr, "completed"), 200);
	json_decref(dp);
	json_decref(dr);
}

static void test_bad_options(void)
{
	ASSERT_EQ(SIM("--engine", "sglang"), EXIT_USAGE);
	ASSERT_EQ(SIM("--engine", "paged", "--max-batch-total-tokens", "100"),
		  EXIT_USAGE);
	ASSERT_EQ(SIM("--engine", "tgi", "--max-num-seqs", "8"), EXIT_USAGE);
	ASSERT_EQ(SIM("-c", "4", "--rate", "5"), EXIT_USAGE);
	ASSERT_EQ(SIM("--model", "gpt-5"), EXIT_USAGE);
	ASSERT_EQ(SIM("--gpu", "tpu"), EXIT_USAGE);
	ASSERT_EQ(SIM("--input-len", "lots"), EXIT_USAGE);
	ASSERT_EQ(SIM("-n", "0"), EXIT_USAGE);
	ASSERT_EQ(SIM("--gpu-memory-utilization", "1.5"), EXIT_USAGE);
	ASSERT_EQ(SIM("--profile", "/nonexistent/profile.json"), EXIT_USAGE);
	ASSERT_EQ(SIM("--bogus"), EXIT_USAGE);
	/* valid options, impossible engine: a run failure, not usage */
	ASSERT_EQ(SIM("--model", "llama-3-70b", "-n", "1"), EXIT_FAIL);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	/* the commands print tables on stdout */
	if (!freopen("/dev/null", "w", stdout))
		return 1;
	TEST_RUN(test_results_file_matches_workload);
	TEST_RUN(test_same_seed_same_output);
	TEST_RUN(test_open_loop);
	TEST_RUN(test_memory_bound);
	TEST_RUN(test_bad_options);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
	return TEST_DONE();
}
