#!/bin/sh
# mpi_fail_test.sh - what a distributed run does when part of it cannot
# start: a rank that cannot reach the server, a rank with another schedule,
# rank 0 unreachable, too little concurrency. Nothing silently dropped:
# every planned id has a record and the not-run share names its rank.
# (Ranks killed mid-run and Ctrl-C: mpi_kill_test.sh.) Needs `make MPI=1`
# and mpirun (else SKIP).
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

check() { d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }

start_server m --mock --ttft 10ms --itl 4ms
BAD=http://127.0.0.1:1
A="-n 30 -r 100 --arrival constant --input-len 16 --output-len 8 -t 1 --gpu none --metrics-url none"

# --- 1. rank 2 cannot reach the server -------------------------------
$MPIRUN -np 2 "$INFBENCH" run --url "$URL_m" $A --result "$TMP/u.json" : \
	-np 1 "$INFBENCH" run --url "$BAD" $A --result "$TMP/u.json" \
	>"$TMP/u.out" 2>"$TMP/u.err"
check "unreachable rank: mpirun exit non-zero" [ $? != 0 ]
R=$TMP/u.json
check "results written" [ -s "$R" ]
check "20 ok, 10 not_sent, 30 accounted" \
	[ "$(json_get "$R" '.outcomes.ok, .outcomes.not_sent, (.outcomes | add)' | tr '\n' ' ')" = "20 10 30 " ]
check "exactly ids 2, 5, ... not sent" \
	[ "$(json_get "$R" '[.requests[] | select(.outcome == "not_sent") | .id % 3] | unique | join(",")')" = 2 ]
check "reason names rank 2 and the server" \
	sh -c "jq -r '.errors[]' '$R' | grep -q 'not run: rank 2 (.*reaching the server'"
check "run.distributed says rank 2 did not run" \
	[ "$(json_get "$R" '.run.distributed.hosts[2] | [.ran, .not_run] | join(",")')" = "false,10" ]
check "warning on stderr names rank 2" grep -q "rank 2 (.*) did not run" "$TMP/u.err"
check "schedule of the missing share kept (lengths, arrivals)" \
	[ "$(json_get "$R" '[.requests[] | select(.outcome == "not_sent" and .in_len == 16 and .out_len == 8 and .t_arrival > 0)] | length')" = 10 ]

# --- 2. rank 1 has another schedule (seed) ----------------------------
$MPIRUN -np 1 "$INFBENCH" run --url "$URL_m" $A --result "$TMP/s.json" : \
	-np 1 "$INFBENCH" run --url "$URL_m" $A --seed 5 --output-len 4,8 \
	--result "$TMP/s.json" : -np 1 "$INFBENCH" run --url "$URL_m" $A \
	--result "$TMP/s.json" >/dev/null 2>"$TMP/s.err"
R=$TMP/s.json
check "other schedule: its share not run, the rest ok" \
	[ "$(json_get "$R" '.outcomes.ok, .outcomes.not_sent' | tr '\n' ' ')" = "20 10 " ]
check "reason: schedule differs" \
	sh -c "jq -r '.run.distributed.hosts[1].reason' '$R' | grep -q 'schedule differs'"

# --- 3. rank 0 cannot reach the server: nothing runs, nothing written --
$MPIRUN -np 1 "$INFBENCH" run --url "$BAD" $A --result "$TMP/z.json" : \
	-np 2 "$INFBENCH" run --url "$URL_m" $A --result "$TMP/z.json" \
	>/dev/null 2>"$TMP/z.err"
check "rank 0 unreachable: exit non-zero" [ $? != 0 ]
check "rank 0 unreachable: no results file" [ ! -e "$TMP/z.json" ]
check "rank 0 unreachable: said so" grep -q "rank 0 (.*) could not start" "$TMP/z.err"

# --- 4. concurrency below the rank count --------------------------------
$MPIRUN -np 3 "$INFBENCH" run --url "$URL_m" -n 6 -c 2 --gpu none -q \
	--no-save >/dev/null 2>"$TMP/c.err"
check "--concurrency 2 on 3 ranks refused" [ $? != 0 ]
check "one-line reason" grep -q "concurrency 2 is below the 3 MPI ranks" "$TMP/c.err"
