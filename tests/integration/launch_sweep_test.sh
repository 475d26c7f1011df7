#!/bin/sh
# launch_sweep_test.sh - `infbench sweep` launching its own emulated server
# per configuration: max-num-seqs 8 and 64 (both work), an engine name the
# server rejects (exits before it is ready), a wrapper that kills the
# server 2 s after its start (dies mid-run) and a server that never prints
# its ready line (timeout). The sweep must finish, report each failure with
# its log tail, pick max-num-seqs 64 as the best configuration, leave no
# server running, record the settings in every point file, and on resume
# reuse the working configurations without launching them again. Also
# validates every shipped examples/launch-*.yaml. About 30 s.
set -u
: "${INFBENCH:=./infbench}"
command -v jq >/dev/null 2>&1 || { echo "  SKIP: no jq"; exit 77; }
command -v timeout >/dev/null 2>&1 || { echo "  SKIP: no timeout(1)"; exit 77; }
. tests/integration/lib.sh

for f in examples/launch-*.yaml; do
	"$INFBENCH" sweep "$f" --check >/dev/null 2>"$TMP/check.err" ||
		fail "$f does not validate: $(cat "$TMP/check.err")"
done
ok "examples/launch-*.yaml validate"

cat >"$TMP/s.yaml" <<'EOS'
name: launch-test
seed: 1
targets:
  - name: sim
    api: openai-completions
    model: qwen2-7b
    launch:
      command: "{wrap} {exe} serve --engine {engine} --model qwen2-7b --gpu a100 --max-num-seqs {max_num_seqs} --host {host} --port {port}"
      configs:
        - {name: mns8, engine: paged, max_num_seqs: 8, wrap: exec}
        - {name: mns64, engine: paged, max_num_seqs: 64, wrap: exec}
        - {name: bad, engine: nosuch, max_num_seqs: 64, wrap: exec}
        - {name: dies, engine: paged, max_num_seqs: 64, wrap: "timeout -s KILL 2"}
      ready:
        http: /health
        log: "listening on"
        timeout: 20s
      stop_grace: 5s
  - name: stuck
    model: qwen2-7b
    launch:
      command: "echo loading weights for {name}; exec sleep 60"
      ready: {log: "listening on", timeout: 1s}
      stop_grace: 1s
workloads:
  - name: chat
    kind: custom
    input_len: 128
    output_len: 32
    requests: 24
sla: p90 e2el <= 1.5s
confidence: 0.9
load:
  concurrency: [8, 32, 64]
  bisect_steps: 1
  requests_per_load: 2
EOS

D="$TMP/sw"
"$INFBENCH" sweep "$TMP/s.yaml" --dir "$D" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc = 1 ] || fail "sweep exit $rc (want 1: some configurations failed); $(tail -20 "$TMP/err")"
st() { jq -r .launch.state "$D/launch/$1.json"; }
[ "$(st sim.mns8)" = ok ] || fail "mns8: $(st sim.mns8)"
[ "$(st sim.mns64)" = ok ] || fail "mns64: $(st sim.mns64)"
[ "$(st sim.bad)" = start_failed ] || fail "bad: $(st sim.bad)"
[ "$(st sim.dies)" = crashed ] || fail "dies: $(st sim.dies) ($(jq -r .launch.detail "$D/launch/sim.dies.json"))"
[ "$(st stuck)" = not_ready ] || fail "stuck: $(st stuck)"
ok "launch outcomes: ok, ok, start_failed, crashed, not_ready"

jq -r .launch.log_tail "$D/launch/sim.bad.json" | grep -q "unknown 'nosuch'" || fail "bad: no log tail"
jq -r .launch.exit "$D/launch/sim.bad.json" | grep -q "exit 2" || fail "bad: exit status"
jq -r .launch.exit "$D/launch/sim.dies.json" | grep -q "137" || fail "dies: exit status $(jq -r .launch.exit "$D/launch/sim.dies.json")"
jq -r .launch.detail "$D/launch/sim.dies.json" | grep -q "server died" || fail "dies: detail"
jq -r .launch.log_tail "$D/launch/stuck.json" | grep -q "loading weights for stuck" || fail "stuck: no log tail"
jq -r .launch.detail "$D/launch/stuck.json" | grep -q "not ready after 1.0 s" || fail "stuck: detail"
grep -q "last lines of logs/sim.bad.server.log" "$TMP/err" || fail "no log tail on stderr"
grep -q "| infbench: error: serve --engine: unknown 'nosuch'" "$TMP/out" || fail "no log tail in the decision"
ok "failures reported with exit status and log tails"

grep -E '^  sim\.mns64 .*<- best' "$TMP/out" >/dev/null || fail "mns64 not marked best: $(cat "$TMP/out")"
grep -q "best configuration of sim: sim.mns64 (engine=paged max_num_seqs=64 wrap=exec)" "$TMP/out" || fail "no best-configuration reading"
jq -e '.cells[] | select(.target == "sim.mns64") | .winner' "$D/manifest.json" >/dev/null || fail "manifest: mns64 not the winner"
[ "$(jq -r '.cells[] | select(.target == "sim.dies") | .winner' "$D/manifest.json")" = false ] || fail "crashed configuration won"
ok "best working configuration: sim.mns64"

# settings and launch facts in every point file; the crashed point kept aside
n=0
for f in "$D"/points/sim.mns8.*.json; do
	[ "$(jq -r '.run.meta["setting.max_num_seqs"]' "$f")" = 8 ] || fail "$f: no setting in run.meta"
	[ "$(jq -r '.run.meta.group' "$f")" = sim ] || fail "$f: no group"
	jq -e '.run.meta["launch.ready_s"] | tonumber > 0' "$f" >/dev/null || fail "$f: no ready time"
	n=$((n + 1))
done
[ $n -ge 2 ] || fail "mns8: $n points"
c=$(ls "$D"/points/sim.dies.*.crashed.json 2>/dev/null | head -1)
[ -n "$c" ] || fail "no .crashed.json point"
jq -e '.run.launch_crash.exit' "$c" >/dev/null || fail "crashed point lacks run.launch_crash"
ok "settings in run.meta; the crashed point kept as $(basename "$c")"

# no server left behind
for p in $(cat "$D"/points/*.json | jq -r '.run.meta["launch.pid"] // empty' 2>/dev/null | sort -u); do
	kill -0 "$p" 2>/dev/null && fail "server pid $p still runs"
done
[ -s "$D/logs/sim.mns64.server.log" ] || fail "no server log"
ok "every launched server is gone"

# resume: the working configurations are not launched again
"$INFBENCH" sweep "$TMP/s.yaml" --dir "$D" >"$TMP/out2" 2>"$TMP/err2"
grep -q "\[sim.mns8\] launching" "$TMP/err2" && fail "resume relaunched mns8"
grep -q "\[sim.mns64\] launching" "$TMP/err2" && fail "resume relaunched mns64"
grep -q "(reused)" "$TMP/err2" || fail "resume reused nothing"
grep -E '^  sim\.mns64 .*<- best' "$TMP/out2" >/dev/null || fail "resume: another decision"
[ "$(st sim.mns8)" = ok ] || fail "resume lost mns8's launch record"
ok "resume reuses the working configurations"

"$INFBENCH" report "$D" -q >/dev/null || fail "report"
grep -q "## Configurations" "$D/report/report.md" || fail "report.md: no configurations"
grep -q "unknown 'nosuch'" "$D/report/report.md" || fail "report.md: no log tail"
grep -q "<h2>Configurations</h2>" "$D/report/report.html" || fail "report.html: no configurations"
[ "$(jq -r '.configurations[] | select(.target == "sim.dies") | .launch.state' "$D/report/report.json")" = crashed ] || fail "report.json"
head -1 "$D/report/report.csv" | grep -q ",group,settings" || fail "report.csv: no settings column"
ok "report carries the configurations"
