#!/bin/sh
# sweep_report_test.sh - virtual-time sweep of examples/chat.yaml (both
# emulated engines), then: resume reuses every point, a second sweep with
# the same seed gives the same decision, a malformed scenario gets a
# file:line error, `report` writes md/csv/json/html from the sweep dir and
# from loose results files, the HTML has no scripts or external URLs, and
# (when chromium is installed) renders to a non-blank screenshot.
set -u
: "${INFBENCH:=./infbench}"
command -v jq >/dev/null 2>&1 || { echo "  SKIP: no jq"; exit 77; }
. tests/integration/lib.sh

"$INFBENCH" sweep examples/chat.yaml --virtual --dir "$TMP/s1" --peak-rate 50 \
	>"$TMP/s1.out" 2>"$TMP/s1.err" || fail "sweep: $(cat "$TMP/s1.err")"
grep -q "vllm .*<- best\|tgi .*<- best" "$TMP/s1.out" || fail "no winner: $(cat "$TMP/s1.out")"
grep -q "SLA MET" "$TMP/s1.err" || fail "no progress lines"
[ "$(jq -r '.complete' "$TMP/s1/manifest.json")" = true ] || fail "manifest not complete"
npts=$(ls "$TMP/s1/points/"*.rep0.json | wc -l)
[ "$npts" -ge 6 ] || fail "only $npts points"

# resume: nothing re-runs, same decision
"$INFBENCH" sweep examples/chat.yaml --virtual --dir "$TMP/s1" --peak-rate 50 \
	>"$TMP/s1b.out" 2>"$TMP/s1b.err" || fail "resume"
grep -q "resuming" "$TMP/s1b.err" || fail "no resume note"
n_run=$(grep -c "SLA M" "$TMP/s1b.err")
n_reused=$(grep -c "(reused)" "$TMP/s1b.err")
[ "$n_run" = "$n_reused" ] || fail "resume re-ran points ($n_reused of $n_run reused)"
cmp -s "$TMP/s1.out" "$TMP/s1b.out" || fail "resumed decision differs"
# same seed, new directory: same decision
"$INFBENCH" sweep examples/chat.yaml --virtual --dir "$TMP/s2" --peak-rate 50 -q \
	>"$TMP/s2.out" 2>/dev/null || fail "second sweep"
sed "s|$TMP/s2|DIR|g" "$TMP/s2.out" >"$TMP/a"; sed "s|$TMP/s1|DIR|g" "$TMP/s1.out" >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b" || fail "same seed, different decision"
# a different scenario is refused in the same directory
sed 's/seed: 0/seed: 1/' examples/chat.yaml >"$TMP/other.yaml"
"$INFBENCH" sweep "$TMP/other.yaml" --virtual --dir "$TMP/s1" 2>"$TMP/e0" && fail "changed scenario resumed"
grep -q "different scenario" "$TMP/e0" || fail "msg: $(cat "$TMP/e0")"

# malformed scenarios: exit 2, file:line
printf 'targets:\n  - name: a\n    url: http://127.0.0.1:1\n    colour: red\n' >"$TMP/bad.yaml"
"$INFBENCH" sweep "$TMP/bad.yaml" 2>"$TMP/e1"; rc=$?
[ $rc = 2 ] || fail "bad scenario exit $rc"
grep -q "bad.yaml:4: target: unknown key 'colour'" "$TMP/e1" || fail "msg: $(cat "$TMP/e1")"
printf 'targets: [\n' >"$TMP/bad2.yaml"
"$INFBENCH" sweep "$TMP/bad2.yaml" 2>"$TMP/e2" && fail "yaml syntax accepted"
grep -q "bad2.yaml:2:1: YAML" "$TMP/e2" || fail "msg: $(cat "$TMP/e2")"
"$INFBENCH" sweep examples/rag.yaml --check >"$TMP/plan" || fail "--check"
grep -q "workload rag .*SLA p99 ttft <= 2s and p99 tpot <= 60ms" "$TMP/plan" || fail "plan: $(cat "$TMP/plan")"

# report from the sweep directory
"$INFBENCH" report "$TMP/s1" --peak-rate 50 >"$TMP/r.md" 2>"$TMP/r.err" || fail "report: $(cat "$TMP/r.err")"
for f in md csv json html; do [ -s "$TMP/s1/report/report.$f" ] || fail "no report.$f"; done
grep -q '^| framework | load | out tok/s |' "$TMP/s1/report/report.md" || fail "md header"
[ "$(grep -c '^| vllm (sim)\|^| tgi (sim)' "$TMP/s1/report/report.md")" = 2 ] || fail "md rows"
nl=$(jq '.levels | length' "$TMP/s1/manifest.json")
nr=$(($(wc -l <"$TMP/s1/report/report.csv") - 1))
[ "$nl" = "$nr" ] || fail "csv rows $nr, levels $nl"
[ "$(jq '[.cells[] | select(.winner)] | length' "$TMP/s1/report/report.json")" = 1 ] || fail "json winner"
jq -e '.cells[0].gpus_for_peak > 0' "$TMP/s1/report/report.json" >/dev/null || fail "json gpus"
h="$TMP/s1/report/report.html"
[ "$(grep -c '<svg' "$h")" -ge 8 ] || fail "html charts"
grep -qi '<script\|<link\|@import\|src=' "$h" && fail "html loads something"
grep -o 'https\?://[^"]*' "$h" | grep -v '^http://www.w3.org/2000/svg$' | grep -q . && fail "html has external URLs"

# report from loose results files, with an SLA
"$INFBENCH" report "$TMP"/s1/points/vllm.chat.c8.rep0.json "$TMP"/s1/points/vllm.chat.c32.rep0.json \
	--sla 'p99 ttft <= 500ms' --out "$TMP/fr" -q || fail "report files"
grep -q '| met |' "$TMP/fr/report.md" || fail "files: no met row"
grep -q '| missed |' "$TMP/fr/report.md" || fail "files: no missed row"

# render: headless chromium, no network
if command -v chromium >/dev/null 2>&1; then
	png="$TMP/shot.png"
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run \
		--user-data-dir="$TMP/chr" --screenshot="$png" --window-size=1400,2400 \
		"file://$h" >"$TMP/chr.log" 2>&1 || fail "chromium: $(tail -3 "$TMP/chr.log")"
	sz=$(wc -c <"$png")
	# a blank 1400x2400 page compresses to a few kB; the charts give >100 kB
	[ "$sz" -gt 60000 ] || fail "screenshot looks blank ($sz bytes)"
	ok "screenshot $sz bytes"
else
	echo "  SKIP: chromium not installed (screenshot not checked)"
fi
ok "sweep + report"
