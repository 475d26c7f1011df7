#!/bin/sh
# run_telemetry_test.sh - `infbench run` records server metrics, GPU,
# memory efficiency and a fingerprint; `run --from` repeats a run; `diff`
# lists what differs. Against the built-in mock server (vLLM metric names).
. tests/integration/lib.sh

check() { # check DESCRIPTION CONDITION...
	d=$1; shift
	if "$@"; then ok "$d"; else fail "$d"; fi
}
jq_true() { # jq_true FILE FILTER: the filter yields true
	[ "$(jq -r "$2" "$1")" = true ]
}

start_server t --mock --ttft 20ms --itl 5ms --max-model-len 4096
W="--input-len uniform:10:100 --output-len uniform:10:40 -n 120 -c 8"

# 1. One run: telemetry blocks.
R=$TMP/r.json
"$INFBENCH" run --url "$URL_t" $W --seed 7 --metrics-interval 100ms \
	--kv-pool-tokens 8000 --result "$R" >"$TMP/r.out" 2>"$TMP/r.err" ||
	fail "run exited $?"
check "server metrics: vLLM flavour" \
	[ "$(json_get $R .server_metrics.flavour)" = vllm ]
check "server metrics: timeline of >= 5 scrapes" \
	jq_true $R '(.server_metrics.timeline.t_s | length) >= 5'
check "server metrics: scrapes inside the window" \
	jq_true $R '.server_metrics.summary.n >= 3'
check "server metrics: running > 0 seen in the window" \
	jq_true $R '.server_metrics.summary.running_peak > 0'
check "server metrics: running never above -c 8" \
	jq_true $R '.server_metrics.summary.running_peak <= 8'
check "server metrics: prompt-token delta within the client's total" \
	jq_true $R '.server_metrics.summary.prompt_tok_delta > 0 and
		.server_metrics.summary.prompt_tok_delta <= .total_input_tokens'
check "window starts at t0" \
	jq_true $R '.server_metrics.window.begin_s <= 0 and
		.server_metrics.window.begin_s > -0.1 and
		.server_metrics.window.end_s >= .duration'
check "fingerprint: infbench version and git revision" \
	jq_true $R '.fingerprint.infbench.version == .infbench_version and
		(.fingerprint.infbench.git | length) > 0'
check "fingerprint: host and kernel" \
	jq_true $R '(.fingerprint.host.hostname | length) > 0 and
		(.fingerprint.host.kernel.release | length) > 0 and
		.fingerprint.host.cpus_online >= 1'
check "fingerprint: server version and max context" \
	jq_true $R '.fingerprint.server.version == "0.10.1" and
		.fingerprint.server.max_context_len == 4096'
check "fingerprint: command line, scenario, seeds, tokenizer hash" \
	jq_true $R '.fingerprint.workload.command_line == .run.command_line and
		.fingerprint.workload.scenario.seed == 7 and
		.fingerprint.workload.seeds.seed == 7 and
		.fingerprint.workload.model == "mock-model" and
		.fingerprint.workload.tokenizer_hash == null'
if jq_true $R '.fingerprint.gpu.present'; then
	check "gpu: sampled where a GPU is present" \
		jq_true $R '.gpu.present and (.gpu.gpus | length) >= 1 and
			.gpu.gpus[0].summary.mem_used_bytes.n_baseline > 0'
else
	check "gpu: absent here, with a note" \
		jq_true $R '.gpu.present == false and .gpu.source == "nvml" and
			(.gpu.note | length) > 0'
	check "gpu: one-line note on stderr" grep -q "gpu: not sampled" \
		"$TMP/r.err"
	check "memory efficiency: nulls where GPU inputs are missing" \
		jq_true $R '.memory_efficiency.kv_alloc_bytes == null and
			.memory_efficiency.naive_tok_s_per_gb == null and
			(.memory_efficiency.reason | test("no GPU memory"))'
fi
check "memory efficiency: from the KV gauge and the given pool" \
	jq_true $R '.memory_efficiency.computed and
		.memory_efficiency.inputs.kv_usage_samples >= 3 and
		.memory_efficiency.inputs.pool_tokens_from == "given" and
		.memory_efficiency.per_req_tokens == 80 and
		.memory_efficiency.max_concurrency == 100 and
		.memory_efficiency.inputs.out_tok_s == .output_throughput'
check "telemetry block on stdout" grep -q "server   vllm, " "$TMP/r.out"

# 2. Sources off: the blocks say so.
"$INFBENCH" run --url "$URL_t" -n 10 -c 2 --input-len 10 --output-len 5 \
	--metrics-url none --gpu none --result "$TMP/off.json" -q \
	>/dev/null || fail "run with telemetry off exited $?"
check "metrics off: server_metrics.enabled false" \
	jq_true $TMP/off.json '.server_metrics.enabled == false'
check "gpu none: source none, memeff not computed with a reason" \
	jq_true $TMP/off.json '.gpu.source == "none" and
		.memory_efficiency.computed == false and
		.memory_efficiency.kv_alloc_bytes == null and
		(.memory_efficiency.reason | length) > 0'

# 3. --from repeats the configuration; the original file is untouched.
SUM=$(cksum <"$R")
R2=$TMP/r2.json
"$INFBENCH" run --from "$R" --result "$R2" -q >/dev/null ||
	fail "run --from exited $?"
check "--from left the original results alone" [ "$(cksum <"$R")" = "$SUM" ]
check "--from: repeat_of recorded" [ "$(json_get $R2 .run.repeat_of)" = "$R" ]
check "--from: same input_lens" \
	[ "$(jq -c .input_lens "$R")" = "$(jq -c .input_lens "$R2")" ]
check "--from: same output_lens" \
	[ "$(jq -c .output_lens "$R")" = "$(jq -c .output_lens "$R2")" ]
check "--from: same run.config" \
	[ "$(jq -cS '.run.config | del(.threads)' "$R")" = \
	  "$(jq -cS '.run.config | del(.threads)' "$R2")" ]
R3=$TMP/r3.json
"$INFBENCH" run --from "$R2" --seed 8 --concurrency 4 --result "$R3" -q \
	>/dev/null || fail "run --from with overrides exited $?"
check "--from of a repeat, overrides applied" \
	jq_true $R3 '.run.config.seed == 8 and .run.config.concurrency == 4 and
		.run.config.num_requests == 120 and
		.run.config.telemetry.kv_pool_tokens == 8000'
check "--from: overrides listed" \
	jq_true $R3 '.run.repeat_overrides | index("seed") != null'
check "--from: another seed, other lengths" \
	[ "$(jq -c .input_lens "$R")" != "$(jq -c .input_lens "$R3")" ]
INF_ABS=$(cd "$(dirname "$INFBENCH")" && pwd)/$(basename "$INFBENCH")
mkdir "$TMP/cwd"
(cd "$TMP/cwd" && "$INF_ABS" run --from "$R" -n 5 -q >/dev/null) ||
	fail "run --from without --result exited $?"
check "--from without --result: new default file, original untouched" \
	sh -c "[ '$(cksum <"$R")' = '$SUM' ] &&
		ls $TMP/cwd/infbench-results/run-*.json >/dev/null"
"$INFBENCH" run --from "$TMP/missing.json" -q >/dev/null 2>&1
check "--from a missing file fails" [ $? != 0 ]

# 4. diff: configuration and environment differences.
"$INFBENCH" diff "$R" "$R2" >"$TMP/d0.out" || fail "diff exited $?"
check "diff of a repeat: identical environment and configuration" \
	sh -c "grep -q '^environment: identical' $TMP/d0.out &&
		grep -q '^configuration: identical' $TMP/d0.out"
"$INFBENCH" diff "$R" "$R3" >"$TMP/d1.out" || fail "diff exited $?"
check "diff lists the seed" grep -q '^  seed ' "$TMP/d1.out"
check "diff lists the concurrency" grep -q '^  concurrency ' "$TMP/d1.out"
check "diff shows headline metrics" grep -q '^  ttft_p99_ms ' "$TMP/d1.out"
start_server u --mock --ttft 20ms --itl 5ms --max-model-len 2048
"$INFBENCH" run --url "$URL_u" -n 10 -c 2 --input-len 10 --output-len 5 \
	--result "$TMP/u.json" -q >/dev/null || fail "run on u exited $?"
"$INFBENCH" diff --json "$R" "$TMP/u.json" >"$TMP/d2.json" ||
	fail "diff --json exited $?"
check "diff flags the server's other max context (environment)" \
	jq_true "$TMP/d2.json" '[.environment[] | select(.key ==
		"server.max_context_len")] == [{"key": "server.max_context_len",
		"a": 4096, "b": 2048}]'
check "diff: volatile /v1/models fields are not environment" \
	jq_true "$TMP/d2.json" '[.environment[].key |
		select(test("created"))] == []'

# 5. Bad options.
for bad in "--gpu cuda" "--gpu dcgm:host:9400" "--metrics-url ftp://x" \
	"--weights-gb -1" "--metrics-interval 0"; do
	"$INFBENCH" run --url "$URL_t" -n 1 $bad --no-save -q >/dev/null 2>&1
	check "rejects $bad (exit 2)" [ $? = 2 ]
done
exit 0
