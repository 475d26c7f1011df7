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

#define TAIL                                                            \
	"workloads:\n  - {name: w, kind: chat}\nsla: p99 e2el <= 1s\n"     \
	"load: {concurrency: [1]}\n"

static void test_launch_grid(void)
{
	static const char text[] =
		"targets:\n"
		"  - name: vllm\n"
		"    model: m\n"
		"    launch:\n"
		"      command: vllm serve m --port {port} --max-num-seqs "
		"{mns} --kv-cache-dtype {kv}\n"
		"      grid:\n"
		"        mns: [64, 256]\n"
		"        kv: [auto, fp8, fp8_e5m2]\n"
		"      env: {CUDA_VISIBLE_DEVICES: '0', TAG: 'run-{name}'}\n"
		"      ready: {log: 'Uvicorn running', timeout: 15m}\n"
		"      stop_grace: 20s\n"
		"  - name: up\n"
		"    url: http://127.0.0.1:9\n" TAIL;
	struct scenario sc;
	char err[512];
	ASSERT_EQ(scenario_parse("g.yaml", text, sizeof(text) - 1, &sc, err,
				 sizeof(err)),
		  0);
	ASSERT_EQ(sc.n_targets, 7);
	/* last parameter fastest: (64,auto) (64,fp8) (64,e5m2) (256,auto) */
	ASSERT_STR_EQ(sc.targets[0].name, "vllm.1");
	ASSERT_STR_EQ(sc.targets[3].name, "vllm.4");
	ASSERT_STR_EQ(sc.targets[3].group, "vllm");
	ASSERT_EQ(sc.targets[3].config, 3);
	ASSERT_EQ(sc.targets[3].n_configs, 6);
	ASSERT_EQ(sc.targets[3].n_settings, 2);
	ASSERT_STR_EQ(sc.targets[3].settings[0].key, "mns");
	ASSERT_STR_EQ(sc.targets[3].settings[0].value, "256");
	ASSERT_STR_EQ(sc.targets[3].settings[1].value, "auto");
	ASSERT_STR_EQ(sc.targets[2].settings[1].value, "fp8_e5m2");
	char st[128];
	scenario_settings_str(&sc.targets[1], st, sizeof(st));
	ASSERT_STR_EQ(st, "mns=64 kv=fp8");
	/* defaults and copies per configuration */
	ASSERT_STR_EQ(sc.targets[5].url, "http://{host}:{port}");
	ASSERT_STR_EQ(sc.targets[5].model, "m");
	ASSERT_EQ(sc.targets[5].lc.n_env, 2);
	ASSERT_STR_EQ(sc.targets[5].lc.env[1], "TAG=run-{name}");
	ASSERT_STR_EQ(sc.targets[5].lc.ready_log, "Uvicorn running");
	ASSERT_TRUE(sc.targets[5].lc.ready_http == NULL); /* ready: given */
	ASSERT_NEAR(sc.targets[5].lc.ready_timeout_s, 900, 0);
	ASSERT_NEAR(sc.targets[5].lc.stop_grace_s, 20, 0);
	ASSERT_NEAR(sc.targets[5].lc.release_tolerance_mib, 512, 0);
	/* a plain target is its own group of one */
	ASSERT_STR_EQ(sc.targets[6].name, "up");
	ASSERT_STR_EQ(sc.targets[6].group, "up");
	ASSERT_EQ(sc.targets[6].n_configs, 1);
	ASSERT_TRUE(sc.targets[6].launch == NULL);
	scenario_free(&sc);
}

static void test_launch_configs_and_string(void)
{
	static const char text[] =
		"targets:\n"
		"  - name: sim\n"
		"    launch:\n"
		"      command: '{exe} serve --engine {engine} --port {port}'\n"
		"      configs:\n"
		"        - {name: small, engine: paged}\n"
		"        - {engine: reserved}\n"
		"  - name: tgi\n"
		"    url: http://127.0.0.1:{port}\n"
		"    launch: text-generation-launcher --port {port}\n" TAIL;
	struct scenario sc;
	char err[512];
	ASSERT_EQ(scenario_parse("c.yaml", text, sizeof(text) - 1, &sc, err,
				 sizeof(err)),
		  0);
	ASSERT_EQ(sc.n_targets, 3);
	ASSERT_STR_EQ(sc.targets[0].name, "sim.small");
	ASSERT_STR_EQ(sc.targets[1].name, "sim.2");
	ASSERT_STR_EQ(sc.targets[1].settings[0].value, "reserved");
	/* the string form: one configuration, named as the entry, default
	 * readiness GET /health */
	ASSERT_STR_EQ(sc.targets[2].name, "tgi");
	ASSERT_EQ(sc.targets[2].n_configs, 1);
	ASSERT_STR_EQ(sc.targets[2].launch,
		      "text-generation-launcher --port {port}");
	ASSERT_STR_EQ(sc.targets[2].lc.ready_http, "/health");
	ASSERT_NEAR(sc.targets[2].lc.ready_timeout_s, 600, 0);
	scenario_free(&sc);
}

static void test_launch_errors(void)
{
	expect("targets:\n  - name: a\n    launch:\n      command: x "
	       "--n {nseq}\n      grid: {mns: [1, 2]}\n" TAIL,
	       "s.yaml:4: target 'a': launch command: unknown placeholder "
	       "{nseq} (mns; built-in exe, port, host, name, dir)");
	expect("targets:\n  - name: a\n    launch:\n      command: x "
	       "--port {port}\n      grid:\n        mns: [1, 2]\n" TAIL,
	       "s.yaml:6: target 'a': setting 'mns' is not used");
	expect("targets:\n  - name: a\n    launch:\n      command: x {m}\n"
	       "      grid: {m: [1]}\n      configs: [{m: 2}]\n" TAIL,
	       "s.yaml:4: launch: give grid: or configs:, not both");
	expect("targets:\n  - name: a\n    launch:\n      command: x\n"
	       "      grid:\n        port: [1, 2]\n" TAIL,
	       "s.yaml:6: launch.grid: 'port' is a built-in placeholder");
	expect("targets:\n  - name: a\n    launch:\n      command: x "
	       "{a\n" TAIL,
	       "s.yaml:4: target 'a': launch command: column 3: '{' is not "
	       "closed");
	expect("targets:\n  - name: a\n    launch:\n      command: x\n"
	       "      restart: always\n" TAIL,
	       "s.yaml:5: launch: unknown key 'restart'");
	expect("targets:\n  - name: a\n    launch: {grid: {m: [1]}}\n" TAIL,
	       "s.yaml:3: launch: 'command' is required");
	expect("targets:\n  - name: a\n    url: http://h:{port}\n" TAIL,
	       "s.yaml:3: target 'a': url: unknown placeholder {port} "
	       "(placeholders need launch:)");
	expect("targets:\n  - name: a\n    launch:\n      command: x {a} {b}\n"
	       "      grid:\n        a: [1, 2, 3, 4, 5, 6, 7, 8, 9]\n"
	       "        b: [1, 2, 3, 4, 5, 6, 7, 8]\n" TAIL,
	       "s.yaml:6: launch.grid: more than 64 configurations");
	expect("targets:\n  - name: a\n    launch:\n      command: x {a}\n"
	       "      configs:\n        - {a: 1}\n        - {b: 2}\n" TAIL,
	       "s.yaml:4: target 'a': launch command: unknown placeholder {a}");
	expect("targets:\n  - name: a\n    launch:\n      command: x\n"
	       "      ready: {timeout: 5s}\n" TAIL,
	       "s.yaml:5: launch.ready: give http:");
	expect("targets:\n  - name: a\n    launch:\n      command: x\n"
	       "      ready: {log: up, timeout: soon}\n" TAIL,
	       "s.yaml:5: ready.timeout: expected a duration");
	expect("targets:\n  - name: a.1\n    url: http://x\n  - name: a\n"
	       "    launch:\n      command: x {m}\n      grid: {m: [1, 2]}\n"
	       TAIL,
	       "s.yaml:4: target 'a.1' is defined twice (first on line 2)");
}

int main(void)
{
	TEST_RUN(test_launch_grid);
	TEST_RUN(test_launch_configs_and_string);
	TEST_RUN(test_launch_errors);
	TEST_RUN(test_examples_parse);
	TEST_RUN(test_minimal_defaults);
	TEST_RUN(test_errors_name_file_and_line);
	return TEST_DONE();
}
