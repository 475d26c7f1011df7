/* scenario_test.c - scenario YAML: the shipped examples, defaults, and
 * validation errors that name file:line. */
#include "scenario/scenario.h"
#include <errno.h>

#include "test.h"

static void test_examples_parse(void)
{
	struct scenario sc;
	char err[512];
	ASSERT_EQ(scenario_load("examples/chat.yaml", &sc, err, sizeof(err)), 0);
	ASSERT_EQ(sc.n_targets, 2);
	ASSERT_STR_EQ(sc.targets[0].name, "vllm");
	ASSERT_STR_EQ(sc.targets[0].simulated, "paged");
	ASSERT_STR_EQ(sc.targets[1].simulated, "reserved");
	ASSERT_STR_EQ(sc.targets[1].api, "tgi");
	ASSERT_TRUE(strstr(sc.targets[0].launch, "vllm serve") != NULL);
	ASSERT_EQ(sc.n_workloads, 1);
	ASSERT_EQ(sc.workloads[0].kind, SCEN_WL_CHAT);
	ASSERT_STR_EQ(sc.workloads[0].input_len, "128,256,512"); /* default */
	ASSERT_STR_EQ(sc.workloads[0].output_len, "256");
	ASSERT_EQ(sc.sla.n, 2);
	ASSERT_EQ(sc.load.mode, SCEN_LOAD_CONCURRENCY);
	ASSERT_EQ(sc.load.n, 6);
	ASSERT_NEAR(sc.load.ladder[5], 256, 0);
	ASSERT_NEAR(scenario_dist_max(sc.workloads[0].input_len), 512, 0);
	scenario_free(&sc);
	ASSERT_EQ(scenario_load("examples/rag.yaml", &sc, err, sizeof(err)), 0);
	ASSERT_STR_EQ(sc.workloads[0].input_len, "2048,4096");
	ASSERT_EQ(sc.workloads[0].kind, SCEN_WL_RAG);
	scenario_free(&sc);
}

static const char base[] =
	"targets:\n"
	"  - name: a\n"
	"    url: http://127.0.0.1:1\n"
	"workloads:\n"
	"  - name: w\n"
	"    kind: chat\n"
	"sla: p99 e2el <= 500ms\n"
	"load:\n"
	"  rate: [1, 2.5, 4]\n";

static void test_minimal_defaults(void)
{
	struct scenario sc;
	char err[512];
	ASSERT_EQ(scenario_parse("m.yaml", base, sizeof(base) - 1, &sc, err,
				 sizeof(err)),
		  0);
	ASSERT_EQ(sc.load.mode, SCEN_LOAD_RATE);
	ASSERT_NEAR(sc.load.ladder[1], 2.5, 0);
	ASSERT_NEAR(sc.confidence, 0.95, 0);
	ASSERT_EQ(sc.repeats, 1);
	ASSERT_EQ(sc.targets[0].gpus, 1);
	ASSERT_EQ(sc.workloads[0].requests, 200);
	ASSERT_STR_EQ(sc.name, "m.yaml");
	ASSERT_TRUE(scenario_sla(&sc, &sc.workloads[0]) == &sc.sla);
	scenario_free(&sc);
}

/* Replace line `line` (1-based) of base with `with` (may hold several
 * lines) and expect an error starting with want. */
static void expect(const char *text, const char *want)
{
	struct scenario sc;
	char err[512];
	int rc = scenario_parse("s.yaml", text, strlen(text), &sc, err,
				sizeof(err));
	if (rc == 0)
		scenario_free(&sc);
	ASSERT_EQ(rc, -EINVAL);
	if (strncmp(err, want, strlen(want)))
		fprintf(stderr, "  got: %s\n  want prefix: %s\n", err, want);
	ASSERT_TRUE(!strncmp(err, want, strlen(want)));
}

static void test_errors_name_file_and_line(void)
{
	expect("targets:\n  - name: a\n    url: http://x\n    colour: red\n",
	       "s.yaml:4: target: unknown key 'colour'");
	expect("targets:\n  - name: a\n    url: http://x\n    api: grpc\n"
	       "workloads: []\n",
	       "s.yaml:2: target 'a': api must be");
	expect("targets:\n  - name: a\n", "s.yaml:2: target 'a': needs 'url'");
	expect("targets:\n  - name: a b\n    url: http://x\n",
	       "s.yaml:2: name: 'a b' may only hold");
	expect("targets:\n  - {name: a, url: http://x}\n  - {name: a, url: "
	       "http://y}\n",
	       "s.yaml:3: target 'a' is defined twice (first on line 2)");
	expect("targets:\n  - {name: a, url: http://x}\nworkloads:\n  - name: w\n"
	       "    kind: chat\nsla: p99 e2el <= 500ms\nload:\n"
	       "  concurrency: [4, 2]\n",
	       "s.yaml:8: load: the ladder must increase (2 after 4)");
	expect("targets:\n  - {name: a, url: http://x}\nworkloads:\n  - name: w\n"
	       "    kind: chat\nsla: p99 e2el <= 500ms\nload:\n"
	       "  concurrency: [1.5]\n",
	       "s.yaml:8: load: concurrency must be a whole number");
	expect("targets:\n  - {name: a, url: http://x}\nworkloads:\n  - name: w\n"
	       "    kind: chat\nsla: p99 e2el 500ms\n",
	       "s.yaml:6: sla 'p99 e2el 500ms': column 10: expected <=");
	expect("targets:\n  - {name: a, url: http://x}\nworkloads:\n  - name: w\n"
	       "    kind: chat\nload: {concurrency: [1]}\n",
	       "s.yaml:4: workload 'w' has no SLA");
	expect("targets:\n  - {name: a, url: http://x}\nworkloads:\n  - name: w\n"
	       "    input_len: 12x\n    output_len: 5\n",
	       "s.yaml:5: input_len: '12x'");
	expect("targets:\n  - {name: a, url: http://x}\nworkloads:\n  - name: w\n"
	       "    kind: video\n",
	       "s.yaml:5: workload 'w': kind must be");
	expect("targets: [\n  {name: a\n", "s.yaml:3:1: YAML:");
	expect("targets:\n  - {name: a, simulated: sglang}\n",
	       "s.yaml:2: target 'a': simulated must be paged or reserved");
	expect("confidence: 2\n", "s.yaml:1: confidence: 2 is outside");
}

int main(void)
{
	TEST_RUN(test_examples_parse);
	TEST_RUN(test_minimal_defaults);
	TEST_RUN(test_errors_name_file_and_line);
	return TEST_DONE();
}
