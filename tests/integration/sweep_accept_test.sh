#!/bin/sh
# sweep_accept_test.sh - acceptance: the article's chat workload (128/256/512
# in, 256 out, Qwen2-7B on A100) swept against the emulated engines in
# virtual time (`sweep --virtual`, i.e. `infbench simulate`) and in real time
# against `infbench serve --engine paged|reserved`; the SLA boundaries must
# agree within one ladder step. Short: 2 x concurrency requests per point,
# ladder 32/64/128, two bisection steps; the two real-time sweeps run in
# parallel (about 40 s). Needs jq (scripts/deps.sh installs it).
set -u
: "${INFBENCH:=./infbench}"
command -v jq >/dev/null 2>&1 || { echo "  SKIP: no jq"; exit 77; }
. tests/integration/lib.sh

scen() { # scen ENGINE URL > file
	cat <<EOS
name: accept-$1
seed: 3
targets:
  - name: $1
    url: $2
    api: openai-completions
    model: qwen2-7b
    gpus: 1
    simulated: $1
workloads:
  - name: chat
    kind: chat
    requests: 16
sla: p90 e2el <= 4.5s
confidence: 0.9
load:
  concurrency: [32, 64, 128]
  bisect_steps: 2
  requests_per_load: 2
EOS
}

start_server paged --engine paged --model qwen2-7b --gpu a100
start_server reserved --engine reserved --model qwen2-7b --gpu a100
scen paged "$URL_paged" >"$TMP/paged.yaml"
scen reserved "$URL_reserved" >"$TMP/reserved.yaml"

for e in paged reserved; do
	"$INFBENCH" sweep "$TMP/$e.yaml" --virtual --dir "$TMP/v-$e" -q \
		>"$TMP/v-$e.out" 2>"$TMP/v-$e.err" || fail "virtual sweep $e: $(cat "$TMP/v-$e.err")"
done
"$INFBENCH" sweep "$TMP/paged.yaml" --dir "$TMP/r-paged" >"$TMP/r-paged.out" 2>"$TMP/r-paged.err" &
p1=$!
"$INFBENCH" sweep "$TMP/reserved.yaml" --dir "$TMP/r-reserved" >"$TMP/r-reserved.out" 2>"$TMP/r-reserved.err" &
p2=$!
wait $p1 || fail "real sweep paged: $(cat "$TMP/r-paged.err")"
wait $p2 || fail "real sweep reserved: $(cat "$TMP/r-reserved.err")"

for e in paged reserved; do
	# the real sweep measured the server, not the simulator
	jq -e '.levels[0].files[0]' "$TMP/r-$e/manifest.json" >/dev/null || fail "no levels"
	f=$(jq -r '.levels[0].files[0]' "$TMP/r-$e/manifest.json")
	[ "$(jq -r '.run.config.api' "$TMP/r-$e/$f")" = openai-completions ] || fail "$e: real point is not a run"
	[ "$(jq -r '.run.simulated' "$TMP/v-$e/$f")" = true ] || fail "$e: virtual point is not simulated"
	sv=$(jq -r '.cells[0].status' "$TMP/v-$e/manifest.json")
	sr=$(jq -r '.cells[0].status' "$TMP/r-$e/manifest.json")
	bv=$(jq -r '.cells[0].boundary' "$TMP/v-$e/manifest.json")
	br=$(jq -r '.cells[0].boundary' "$TMP/r-$e/manifest.json")
	echo "$e: virtual $sv at c=$bv, real time $sr at c=$br"
	[ "$sv" = found ] && [ "$sr" = found ] || fail "$e: boundary not found ($sv / $sr)"
	# one ladder step: the rungs around the virtual boundary are 32 apart
	d=$(awk -v a="$bv" -v b="$br" 'BEGIN { d = a - b; print (d < 0 ? -d : d) }')
	awk -v d="$d" 'BEGIN { exit !(d <= 32) }' || fail "$e: boundaries differ by $d (> one ladder step)"
	grep -q "SLA MET\|SLA MISSED" "$TMP/r-$e.err" || fail "$e: no progress lines"
	grep -q "max load" "$TMP/r-$e.out" || fail "$e: no decision table"
done
ok "virtual and real-time SLA boundaries agree within one ladder step"
