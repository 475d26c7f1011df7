#!/bin/sh
# mpi_run_test.sh - `mpirun -np 3 infbench-mpi run` against the built-in
# mock equals a single-process run of the same schedule: the same request
# ids, lengths, arrival times and token counts, request i on rank i mod 3,
# TTFT/ITL/E2EL within noise; one report, one results file, telemetry on
# rank 0 only; closed loop with the concurrency split; warm-up split.
# Needs a binary built with `make MPI=1` and mpirun (else SKIP).
set -u
. tests/integration/lib.sh
command -v jq >/dev/null 2>&1 || { echo "  SKIP: no jq"; exit 77; }
grep -q MPI_Init_thread "$INFBENCH" 2>/dev/null ||
	{ echo "  SKIP: $INFBENCH has no MPI support (make MPI=1 test)"; exit 77; }
command -v mpirun >/dev/null 2>&1 ||
	{ echo "  SKIP: no mpirun (MPI=1 sh scripts/deps.sh)"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# SANITIZE builds: Open MPI's own allocations are not ours to report.
: "${LSAN_OPTIONS:=suppressions=$PWD/tests/dist/mpi-lsan.supp:fast_unwind_on_malloc=0}"
export LSAN_OPTIONS OMPI_MCA_mca_base_component_disable_dlclose=1
MPIRUN="mpirun --oversubscribe --bind-to none"
INFBENCH=$(cd "$(dirname "$INFBENCH")" && pwd)/$(basename "$INFBENCH")

check() { d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }
near() { # near A B TOL
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'
}

# --- 1. open loop, constant arrivals: the same schedule ---------------
start_server m --mock --ttft 30ms --itl 5ms
ARGS="--url $URL_m -n 60 -r 30 --arrival constant --input-len 16,32,64 \
	--output-len uniform:4:24 --seed 11 -t 1 --gpu none"
"$INFBENCH" run $ARGS --result "$TMP/one.json" >"$TMP/one.out" 2>"$TMP/one.err" ||
	fail "single run exited $?: $(cat "$TMP/one.err")"
mkdir "$TMP/cwd"
(cd "$TMP/cwd" && $MPIRUN -np 3 "$INFBENCH" run $ARGS >"$TMP/mpi.out" 2>"$TMP/mpi.err") ||
	fail "mpirun exited $?: $(cat "$TMP/mpi.err")"
n_files=$(ls "$TMP/cwd/infbench-results" | wc -l)
check "one results JSON + CSV, written by rank 0 only ($n_files files)" [ "$n_files" = 2 ]
R=$(ls "$TMP/cwd/infbench-results/"*.json)
O=$TMP/one.json
check "one report on stdout" [ "$(grep -c '^scenario' "$TMP/mpi.out")" = 1 ]
check "one telemetry block on stdout" [ "$(grep -c '^telemetry:' "$TMP/mpi.out")" = 1 ]
check "run.ranks = 3" [ "$(json_get "$R" .run.ranks)" = 3 ]
check "run.ranks = 1 in one process" [ "$(json_get "$O" .run.ranks)" = 1 ]
check "3 hosts recorded" [ "$(json_get "$R" '.run.distributed.hosts | length')" = 3 ]
sched='[.requests[] | [.id, .in_len, .out_len, .t_arrival, .outcome, .out_tokens, .completion_tokens]]'
jq -c "$sched" "$O" >"$TMP/s1"
jq -c "$sched" "$R" >"$TMP/s3"
check "per-request ids, lengths, arrivals, outcomes, token counts identical" \
	cmp -s "$TMP/s1" "$TMP/s3"
check "60 requests, 60 ok" [ "$(json_get "$R" '.completed')" = 60 ]
check "same total output tokens" \
	[ "$(json_get "$R" .total_output_tokens)" = "$(json_get "$O" .total_output_tokens)" ]
check "request i ran on rank i mod 3 (global worker = rank with 1 thread)" \
	[ "$(json_get "$R" '[.requests[] | select(.worker != (.id % 3))] | length')" = 0 ]
check "20 measured requests per rank, none not run" \
	[ "$(json_get "$R" '[.run.distributed.hosts[] | select(.measured_requests == 20 and .not_run == 0 and .ran)] | length')" = 3 ]
check "clock offsets below 2 ms on one host" \
	[ "$(json_get "$R" '[.run.distributed.hosts[] | select(.clock_offset_us > 2000 or .clock_offset_us < -2000)] | length')" = 0 ]
check "round trips measured for ranks 1, 2" \
	[ "$(json_get "$R" '[.run.distributed.hosts[1:][] | select(.clock_rtt_us > 0)] | length')" = 2 ]
for m in median_ttft_ms median_itl_ms median_e2el_ms p90_ttft_ms; do
	a=$(json_get "$O" ".$m"); b=$(json_get "$R" ".$m")
	check "$m within noise: 1 process $a, 3 ranks $b" near "$a" "$b" 4
done
check "TTFT median ~30 ms ($(json_get "$R" .median_ttft_ms))" \
	near "$(json_get "$R" .median_ttft_ms)" 31 3
a=$(json_get "$O" .request_throughput); b=$(json_get "$R" .request_throughput)
check "request throughput within 5% ($a vs $b)" near "$a" "$b" "$(awk -v a="$a" 'BEGIN{print a*0.05}')"
# One host shares CLOCK_MONOTONIC: each rank's t0 there is directly
# comparable with rank 0's (the offset mapping under test).
check "common t0: every rank within 1 ms of rank 0 ($(json_get "$R" '[.run.distributed.hosts[].t0_skew_same_host_us] | join(",")') us)" \
	[ "$(json_get "$R" '[.run.distributed.hosts[] | .t0_skew_same_host_us | select(. == null or . > 1000 or . < -1000)] | length')" = 0 ]
for r in 0 1 2; do
	check "rank $r sent on its schedule: send - arrival p50 < 5 ms" \
		[ "$(json_get "$R" "[.requests[] | select(.id % 3 == $r) | (.t_send - .t_arrival)] | sort | .[length/2|floor] < 0.005")" = true ]
done

# --- 2. closed loop: the concurrency split, warm-up split ------------------
$MPIRUN -np 3 "$INFBENCH" run --url "$URL_m" -n 60 -c 6 --warmup 5 \
	--input-len 16 --output-len 20 -t 1 --gpu none --metrics-url none \
	--result "$TMP/c.json" -q >/dev/null 2>"$TMP/c.err" ||
	fail "closed loop mpirun exited $?: $(cat "$TMP/c.err")"
R=$TMP/c.json
check "closed loop: 60 ok, 1200 tokens" \
	[ "$(json_get "$R" '.completed,.total_output_tokens' | tr '\n' ' ')" = "60 1200 " ]
check "concurrency share 2 per rank" \
	[ "$(json_get "$R" '[.run.distributed.hosts[].concurrency_share] | join(",")')" = "2,2,2" ]
mc=$(json_get "$R" .max_concurrent_requests)
check "at most 6 in flight over all ranks ($mc)" [ "$mc" -le 6 ] && [ "$mc" -ge 4 ]
check "5 warm-up requests over the ranks" [ "$(json_get "$R" .warmup_requests)" = 5 ]
check "config.concurrency 6, threads 3" \
	[ "$(json_get "$R" '.run.config.concurrency,.run.config.threads' | tr '\n' ' ')" = "6 3 " ]
