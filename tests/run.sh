#!/bin/sh
# run.sh - run every test binary and integration script, one process each,
# with a timeout; print one line per test file and a closing
# "N passed, N failed, N skipped" line. Exit 1 when anything failed.
# Env: INFBENCH (binary under test), BUILD, SHARED, TEST_TIMEOUT (s).
: "${TEST_TIMEOUT:=300}"
: "${INFBENCH:=./infbench}"
export INFBENCH SHARED BUILD
pass=0 fail=0 skip=0 failed_names=""
run_one() {
	name=$1; shift
	log=$(mktemp)
	timeout -k 5 "$TEST_TIMEOUT" "$@" >"$log" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		pass=$((pass + 1)); echo "PASS $name"
		grep -E '^  SKIP' "$log" || true
	elif [ $rc = 77 ]; then
		skip=$((skip + 1)); echo "SKIP $name"
		grep -E '^  SKIP' "$log" | head -3
	else
		fail=$((fail + 1)); echo "FAIL $name (exit $rc)"
		failed_names="$failed_names $name"
		tail -40 "$log" | sed 's/^/    /'
	fi
	rm -f "$log"
}
for t in "$@"; do
	run_one "${t#$BUILD/}" "$t"
done
for s in $(find tests/integration -name '*_test.sh' 2>/dev/null | sort); do
	run_one "$s" sh "$s"
done
echo
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
