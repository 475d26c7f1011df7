#!/bin/sh
# serve_cli_test.sh - `infbench serve --mock --port 0 --port-file F` in the
# background, curl against it, then SIGTERM. Skips (77) without curl.
set -u
: "${INFBENCH:=./infbench}"
command -v curl >/dev/null 2>&1 || { echo "  SKIP: no curl"; exit 77; }
dir=$(mktemp -d)
pf=$dir/port
fail() { echo "  FAIL: $*"; kill "$pid" 2>/dev/null; rm -rf "$dir"; exit 1; }
"$INFBENCH" serve --mock --port 0 --port-file "$pf" --ttft 5ms --itl 1ms \
	--fault-every drop:3 --fault-after-tokens 1 --model tiny \
	--stats-file "$dir/stats" --send-log "$dir/sends" 2>"$dir/err" &
pid=$!
i=0
while [ ! -s "$pf" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$pf" ] || fail "no port file"
port=$(cat "$pf")
grep -q "listening on http://127.0.0.1:$port" "$dir/err" || fail "no listening line"
url=http://127.0.0.1:$port

out=$(curl -sS -N "$url/v1/completions" -H 'Content-Type: application/json' \
	-H 'X-Request-Id: run7-42' -d '{"model":"tiny","prompt":"one two three","max_tokens":4,"stream":true,"stream_options":{"include_usage":true}}') \
	|| fail "completions"
n=$(printf '%s\n' "$out" | grep -c '^data: {"id"')
[ "$n" = 5 ] || fail "want 4 token chunks + usage, got $n: $out"
printf '%s\n' "$out" | grep -q '"usage":{"prompt_tokens":3,"total_tokens":7,"completion_tokens":4}' \
	|| fail "usage chunk: $out"
printf '%s\n' "$out" | tail -n 2 | grep -q '^data: \[DONE\]$' || fail "no [DONE]"
# X-Request-Id becomes the response id, as in vLLM
[ "$(printf '%s\n' "$out" | grep -c '"id":"cmpl-run7-42"')" = 5 ] ||
	fail "X-Request-Id not the id: $out"

out=$(curl -sS -N "$url/generate_stream" -d '{"inputs":"a b","parameters":{"max_new_tokens":2,"details":true}}') \
	|| fail "generate_stream"
[ "$(printf '%s\n' "$out" | grep -c '^data:{"index"')" = 2 ] || fail "tgi: $out"

# Third generation request: dropped mid-stream -> curl reports an error.
if curl -sS -N "$url/v1/completions" -d '{"model":"tiny","prompt":"a","max_tokens":5,"stream":true}' \
	>"$dir/drop" 2>&1; then
	fail "dropped stream should make curl fail: $(cat "$dir/drop")"
fi

# an id that cannot stand in JSON unescaped is replaced by a random one
out=$(curl -sS -N "$url/v1/completions" -H 'X-Request-Id: a"b' \
	-d '{"model":"tiny","prompt":"a","max_tokens":1,"stream":true}') ||
	fail "completions with a bad id"
printf '%s\n' "$out" | grep -q '"id":"cmpl-[0-9a-f]\{32\}"' ||
	fail "bad X-Request-Id kept: $out"

code=$(curl -s -o /dev/null -w '%{http_code}' "$url/health") || fail health
[ "$code" = 200 ] || fail "health $code"
curl -s "$url/v1/models" | grep -q '"id":"tiny"' || fail models
curl -s "$url/metrics" | grep -q '^vllm:generation_tokens_total{model_name="tiny",engine="0"} 8.0$' \
	|| fail "metrics: $(curl -s "$url/metrics" | grep generation)"

kill -TERM "$pid"
wait "$pid"
rc=$?
[ $rc = 0 ] || fail "exit status $rc after SIGTERM"
grep -q "stopping on SIGTERM" "$dir/err" || fail "no stop message"
# --stats-file: the send lateness of every token emission (4 + 2 + the
# one the drop fault cut), written at shutdown.
grep -q '"send_lateness_us": {"tokens": 8, "p50": [0-9]' "$dir/stats" ||
	fail "stats file: $(cat "$dir/stats" 2>&1)"
# --send-log: a line per stream as it ended, its emissions' times after
# the stream's arrival; the dropped one did not finish.
[ "$(wc -l <"$dir/sends")" = 4 ] || fail "send log: $(cat "$dir/sends")"
grep -q '^{"id":"cmpl-run7-42","t_arrival_ns":[0-9]*,"finished":true,"dropped":0,"sent_ns":\[[0-9]*,[0-9]*,[0-9]*,[0-9]*\]}$' \
	"$dir/sends" || fail "send log of the first stream: $(cat "$dir/sends")"
[ "$(grep -c '"finished":false' "$dir/sends")" = 1 ] ||
	fail "send log of the dropped stream: $(cat "$dir/sends")"
timeout 5 "$INFBENCH" serve --mock --bench-mode bulk --port 0 --send-log "$dir/x" \
	2>"$dir/bulk" && fail "bulk mode took --send-log"
grep -q "not kept in bulk" "$dir/bulk" || fail "bulk --send-log: $(cat "$dir/bulk")"
rm -rf "$dir"
echo "  ok"
