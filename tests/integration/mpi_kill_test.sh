#!/bin/sh
# mpi_kill_test.sh - a distributed run that loses a rank mid-run (kill -9)
# or is stopped with Ctrl-C on mpirun: rank 0 still writes the partial
# results, every planned id has a record, the lost rank's share is named.
# Open MPI ends the whole job when a rank dies (SIGTERM, then SIGKILL after
# odls_base_sigkill_timeout): rank 0 needs drain + 1 s in between.
# Needs `make MPI=1` and mpirun (else SKIP).
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
# Give rank 0 time to write partial results after mpirun's SIGTERM (the
# default is 1 s before SIGKILL; docs/DISTRIBUTED.md). Open MPI waits
# twice this long before mpirun returns, so keep it short here; sanitizer
# builds (with slow unwinding for the leak suppressions) need longer.
KILL_S=3
case $INFBENCH in *-san) KILL_S=12 ;; esac
MPIRUN="mpirun --oversubscribe --bind-to none --mca odls_base_sigkill_timeout $KILL_S"

check() { d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }
# rank_pid MPIRUN_PID RANK: the pid of that rank (a child of mpirun).
rank_pid() {
	for p in $(pgrep -P "$1"); do
		tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null |
			grep -qx "OMPI_COMM_WORLD_RANK=$2" && { echo "$p"; return; }
	done
}

start_server m --mock --ttft 10ms --itl 4ms

# --- 1. rank 1 killed mid-run ------------------------------------------
L="-n 600 -c 6 --input-len 16 --output-len 50 -t 1 --gpu none --metrics-url none --drain-timeout 0.3s"
$MPIRUN -np 3 "$INFBENCH" run --url "$URL_m" $L --result "$TMP/k.json" \
	>/dev/null 2>"$TMP/k.err" &
MP=$!
# Kill it once the measurement runs (rank 0 announces the run just before
# the start vote), not while the ranks still start up.
i=0
while ! grep -q '^infbench: run: ' "$TMP/k.err" && [ $i -lt 400 ]; do
	sleep 0.05; i=$((i + 1))
done
sleep 1
kill -9 "$(rank_pid $MP 1)"
wait $MP
check "killed rank: mpirun exit non-zero" [ $? != 0 ]
R=$TMP/k.json
check "partial results written" [ -s "$R" ]
check "all 600 ids accounted" [ "$(json_get "$R" '.outcomes | add')" = 600 ]
check "marked interrupted" [ "$(json_get "$R" .interrupted)" = true ]
check "rank 1 unreported, its 200 ids not_sent" \
	[ "$(json_get "$R" '(.run.distributed.unreported_ranks | join(",")), .run.distributed.hosts[1].not_run' | tr '\n' ' ')" = "1 200 " ]
check "ranks 0 and 2 returned their records" \
	[ "$(json_get "$R" '[.run.distributed.hosts[0,2].measured_requests] | join(",")')" = "200,200" ]
check "some requests completed before the kill" [ "$(json_get "$R" .outcomes.ok)" -gt 0 ]

# --- 2. Ctrl-C on mpirun ----------------------------------------------
$MPIRUN -np 3 "$INFBENCH" run --url "$URL_m" $L --result "$TMP/i.json" \
	>/dev/null 2>"$TMP/i.err" &
MP=$!
i=0
while ! grep -q '^infbench: run: ' "$TMP/i.err" && [ $i -lt 400 ]; do
	sleep 0.05; i=$((i + 1))
done
sleep 1
kill -INT $MP
wait $MP
R=$TMP/i.json
check "Ctrl-C: partial results, interrupted" [ "$(json_get "$R" .interrupted)" = true ]
check "Ctrl-C: all 600 ids accounted, every rank reported" \
	[ "$(json_get "$R" '(.outcomes | add), (.run.distributed.unreported_ranks | length)' | tr '\n' ' ')" = "600 0 " ]
check "Ctrl-C: unsent ones recorded not_sent" [ "$(json_get "$R" .outcomes.not_sent)" -gt 0 ]

