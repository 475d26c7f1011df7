#!/bin/sh
# sim_cli_test.sh - the simulator commands from the shell: `compare` prints
# the article's four rows fast and labelled SIMULATED; `compare --out` then
# `compare A.json B.json` diffs results files; `simulate` gives the lengths a
# real `infbench run` of the same seed gives (against the mock server);
# same seed, same output; bad options give one line and exit 2.
set -u
. tests/integration/lib.sh
command -v jq >/dev/null 2>&1 || { echo "  SKIP: no jq"; exit 77; }

# --- compare: the article's experiment --------------------------------
t0=$(date +%s.%N)
"$INFBENCH" compare >"$TMP/cmp.out" 2>"$TMP/cmp.err" || fail "compare: $(cat "$TMP/cmp.err")"
t1=$(date +%s.%N)
secs=$(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }")
awk "BEGIN { exit !($secs < 5) }" || fail "compare took $secs s (make demo needs < 5 s)"
head -1 "$TMP/cmp.out" | grep -q '^SIMULATED - not measured\. Qwen2-7B FP16 on 1 x A100-80G' \
	|| fail "title: $(head -1 "$TMP/cmp.out")"
grep -q '^workload engine .*out tok/s.*P50 e2el.*P99 e2el.*GPU mem.*KV used/alloc.*tok/s per.*preempt' \
	"$TMP/cmp.out" || fail "header: $(cat "$TMP/cmp.out")"
for w in chat rag; do
	for e in paged reserved; do
		n=$(grep -cE "^$w +$e +[0-9.]+ +[0-9.]+ +[0-9.]+ +72\.0 +[0-9.]+/[0-9.]+ +[0-9]+ +[0-9]+ +0$" "$TMP/cmp.out")
		[ "$n" = 1 ] || fail "row $w/$e: $(cat "$TMP/cmp.out")"
	done
done
grep -q '^\* GPU mem = weights + the preallocated KV pool' "$TMP/cmp.out" || fail "footnote"
grep -q '^- chat: \(paged\|reserved\) has the lower P99 e2el' "$TMP/cmp.out" || fail "reading (chat)"
grep -q '^- KV memory does not bind' "$TMP/cmp.out" || fail "reading (memory)"
ok "compare: 4 rows in $secs s"

# --- compare --kv-tokens: memory binds, paged preempts ----------------
"$INFBENCH" compare --kv-tokens 60000 --out "$TMP/cmp" >"$TMP/kv.out" 2>"$TMP/kv.err" \
	|| fail "compare --kv-tokens: $(cat "$TMP/kv.err")"
grep -q '^- KV memory binds' "$TMP/kv.out" || fail "kv reading: $(cat "$TMP/kv.out")"
grep -qE '^rag +reserved .* 0$' "$TMP/kv.out" || fail "reserved must not preempt"
grep -qE '^rag +paged .* [1-9][0-9]*$' "$TMP/kv.out" || fail "paged should preempt at 60k tokens: $(cat "$TMP/kv.out")"
for f in chat-paged chat-reserved rag-paged rag-reserved; do
	[ "$(json_get "$TMP/cmp/$f.json" '.run.simulated')" = true ] || fail "$f.json"
done
[ "$(json_get "$TMP/cmp/rag-paged.json" '.completed')" = 500 ] || fail "rag completed"
ok "compare --kv-tokens --out"

# --- compare A.json B.json ---------------------------------------------
"$INFBENCH" compare "$TMP/cmp/rag-paged.json" "$TMP/cmp/rag-reserved.json" \
	>"$TMP/diff.out" 2>"$TMP/diff.err" || fail "diff: $(cat "$TMP/diff.err")"
grep -q '^change vs (sim) rag-paged' "$TMP/diff.out" || fail "diff: $(cat "$TMP/diff.out")"
grep -qE '^\(sim\) rag-reserved +[+-][0-9.]+%' "$TMP/diff.out" || fail "delta row: $(cat "$TMP/diff.out")"
ok "compare files"

# --- simulate: same lengths as a real run of the same seed -------------
start_server m --mock --ttft 1ms --itl 0
"$INFBENCH" run -q --url "$URL_m" -n 25 --warmup 3 -c 4 --seed 9 \
	-i uniform:5:200 -o uniform:1:12 --result "$TMP/real.json" >/dev/null \
	|| fail "real run"
"$INFBENCH" simulate -q -n 25 --warmup 3 -c 4 --seed 9 \
	-i uniform:5:200 -o uniform:1:12 --result "$TMP/sim.json" >"$TMP/sim.out" \
	|| fail "simulate"
lens='[.requests[] | [.warmup, .in_len, .out_len]]'
[ "$(jq -c "$lens" "$TMP/real.json")" = "$(jq -c "$lens" "$TMP/sim.json")" ] \
	|| fail "lengths differ: $(jq -c "$lens" "$TMP/real.json") vs $(jq -c "$lens" "$TMP/sim.json")"
head -1 "$TMP/sim.out" | grep -q '^SIMULATED (no server, virtual clock): paged engine' || fail "sim title"
grep -q '^SIM paged ' "$TMP/sim.out" || fail "sim row"
grep -q '^memory (simulated): GPU 72.0 GiB = weights 14.2' "$TMP/sim.out" || fail "memory line"
ok "simulate lengths = run lengths"

# --- same seed, same output --------------------------------------------
a=$("$INFBENCH" simulate -q --engine tgi -n 300 -c 24 --seed 5 -i lognormal:800:400 -o 100 | sed 1d)
b=$("$INFBENCH" simulate -q --engine tgi -n 300 -c 24 --seed 5 -i lognormal:800:400 -o 100 | sed 1d)
[ "$a" = "$b" ] || fail "same seed, different tables"
c=$("$INFBENCH" simulate -q --engine tgi -n 300 -c 24 --seed 6 -i lognormal:800:400 -o 100 | sed 1d)
[ "$a" != "$c" ] || fail "different seed, same table"
ok "determinism"

# --- bad options: one line on stderr, exit 2 ---------------------------
bad() {
	"$INFBENCH" "$@" >/dev/null 2>"$TMP/bad.err"
	rc=$?
	[ $rc = 2 ] || fail "$* exited $rc"
	[ "$(wc -l <"$TMP/bad.err")" = 1 ] || fail "$*: want one line: $(cat "$TMP/bad.err")"
}
bad simulate --engine foo
bad simulate --engine paged --max-batch-prefill-tokens 4096
bad simulate -c 8 --rate 2
bad simulate --tp 0
bad compare --kv-tokens -5
bad compare --out "$TMP/x" "$TMP/cmp/rag-paged.json"
bad calibrate "$TMP/sim.json"
bad calibrate --out "$TMP/p.json"
ok "bad options"
