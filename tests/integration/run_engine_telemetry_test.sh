#!/bin/sh
# run_engine_telemetry_test.sh - a run against the emulated engine records
# server-metric and GPU timelines (the engine's vLLM /metrics and its
# DCGM-style /dcgm/metrics) and a memory-efficiency section computed from
# them, including the preallocation (flat device memory) explanation.
. tests/integration/lib.sh
start_server e --engine paged --model qwen2-7b --gpu a100
R=$TMP/e.json
"$INFBENCH" run --url "$URL_e" -n 60 -c 8 --input-len 256 --output-len 32 \
	--gpu "dcgm:$URL_e/dcgm/metrics" --gpu-interval 100ms \
	--metrics-interval 200ms --kv-bytes-per-token 57344 --weights-gb 15.2 \
	--result "$R" --csv /dev/null -q >/dev/null 2>"$TMP/e.err" ||
	{ cat "$TMP/e.err"; fail "run exited $?"; }
check() { d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }
check "server metrics flavour vllm" [ "$(json_get $R .server_metrics.flavour)" = vllm ]
check "server metrics timeline has samples" \
	[ "$(json_get $R '.server_metrics.timeline.t_s | length')" -gt 3 ]
check "running > 0 seen in the window" \
	[ "$(json_get $R '.server_metrics.summary.running_peak > 0')" = true ]
check "GPU present via DCGM" [ "$(json_get $R .gpu.present)" = true ]
check "GPU timeline has samples" \
	[ "$(json_get $R '.gpu.gpus[0].timeline.t_s | length')" -gt 5 ]
check "frame buffer flat (preallocated)" \
	[ "$(json_get $R '.gpu.gpus[0].summary.mem_used_bytes | .peak == .baseline')" = true ]
check "memory efficiency computed" \
	[ "$(json_get $R .memory_efficiency.computed)" = true ]
check "flat preallocation flagged" \
	[ "$(json_get $R .memory_efficiency.flat_prealloc)" = true ]
check "KV used from server usage" \
	[ "$(json_get $R '.memory_efficiency.kv_used_mean_bytes > 0')" = true ]
echo "run_engine_telemetry_test: all checks passed"
