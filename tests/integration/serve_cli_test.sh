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
	--stats-file "$dir/stats" 2>"$dir/err" &
pid=$!
i=0
while [ ! -s "$pf" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$pf" ] || fail "no port file"
port=$(cat "$pf")
grep -q "listening on http://127.0.0.1:$port" "$dir/err" || fail "no listening line"
url=http://127.0.0.1:$port

out=$(curl -sS -N "$url/v1/completions" -H 'Content-Type: application/json' \
	-d '{"model":"tiny","prompt":"one two three","max_tokens":4,"stream":true,"stream_options":{"include_usage":true}}') \
	|| fail "completions"
n=$(printf '%s\n' "$out" | grep -c '^data: {"id"')
[ "$n" = 5 ] || fail "want 4 token chunks + usage, got $n: $out"
printf '%s\n' "$out" | grep -q '"usage":{"prompt_tokens":3,"total_tokens":7,"completion_tokens":4}' \
	|| fail "usage chunk: $out"
printf '%s\n' "$out" | tail -n 2 | grep -q '^data: \[DONE\]$' || fail "no [DONE]"

out=$(curl -sS -N "$url/generate_stream" -d '{"inputs":"a b","parameters":{"max_new_tokens":2,"details":true}}') \
	|| fail "generate_stream"
[ "$(printf '%s\n' "$out" | grep -c '^data:{"index"')" = 2 ] || fail "tgi: $out"

# Third generation request: dropped mid-stream -> curl reports an error.
if curl -sS -N "$url/v1/completions" -d '{"model":"tiny","prompt":"a","max_tokens":5,"stream":true}' \
	>"$dir/drop" 2>&1; then
	fail "dropped stream should make curl fail: $(cat "$dir/drop")"
fi

code=$(curl -s -o /dev/null -w '%{http_code}' "$url/health") || fail health
[ "$code" = 200 ] || fail "health $code"
curl -s "$url/v1/models" | grep -q '"id":"tiny"' || fail models
curl -s "$url/metrics" | grep -q '^vllm:generation_tokens_total{model_name="tiny",engine="0"} 7.0$' \
	|| fail "metrics: $(curl -s "$url/metrics" | grep generation)"

kill -TERM "$pid"
wait "$pid"
rc=$?
[ $rc = 0 ] || fail "exit status $rc after SIGTERM"
grep -q "stopping on SIGTERM" "$dir/err" || fail "no stop message"
# --stats-file: the send lateness of every token emission (4 + 2 + the
# one the drop fault cut), written at shutdown.
grep -q '"send_lateness_us": {"tokens": 7, "p50": [0-9]' "$dir/stats" ||
	fail "stats file: $(cat "$dir/stats" 2>&1)"
rm -rf "$dir"
echo "  ok"
