#!/bin/sh
# serve_engine_test.sh - `infbench serve --engine paged --model qwen2-7b
# --gpu a100 --port 0 --port-file F` in the background, curl against it
# (stream, /v1/models, /metrics, /dcgm/metrics), a reserved engine's 429,
# option errors, then SIGTERM. Skips (77) without curl.
set -u
: "${INFBENCH:=./infbench}"
command -v curl >/dev/null 2>&1 || { echo "  SKIP: no curl"; exit 77; }
dir=$(mktemp -d)
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "  FAIL: $*"; exit 1; }

# start NAME ARGS...: background server, sets port_NAME
start() {
	name=$1; shift
	"$INFBENCH" serve "$@" --port 0 --port-file "$dir/$name.port" \
		2>"$dir/$name.err" &
	pids="$pids $!"
	eval "pid_$name=$!"
	i=0
	while [ ! -s "$dir/$name.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$dir/$name.port" ] || fail "$name did not start: $(cat "$dir/$name.err")"
	eval "port_$name=$(cat "$dir/$name.port")"
}

start paged --engine paged --model qwen2-7b --gpu a100
url=http://127.0.0.1:$port_paged
grep -q "paged engine: Qwen2-7B on 1 x A100-80G, KV pool 66246 blocks" "$dir/paged.err" \
	|| fail "banner: $(cat "$dir/paged.err")"

out=$(curl -sS -N "$url/v1/completions" -H 'Content-Type: application/json' \
	-d '{"model":"qwen2-7b","prompt":"one two three","max_tokens":12,"stream":true,"stream_options":{"include_usage":true}}') \
	|| fail "completions"
n=$(printf '%s\n' "$out" | grep -c '"text_completion"')
[ "$n" = 13 ] || fail "want 12 token chunks + usage, got $n: $out"
printf '%s\n' "$out" | grep -q '"usage":{"prompt_tokens":3,"total_tokens":15,"completion_tokens":12}' \
	|| fail "usage chunk: $out"

curl -s "$url/v1/models" | grep -q '"id":"qwen2-7b".*"max_model_len":32768' || fail models
m=$(curl -s "$url/metrics")
printf '%s\n' "$m" | grep -q '^vllm:generation_tokens_total{model_name="qwen2-7b",engine="0"} 12.0$' \
	|| fail "metrics: $m"
printf '%s\n' "$m" | grep -q '^vllm:num_requests_running{model_name="qwen2-7b",engine="0"} 0.0$' \
	|| fail "running: $m"
printf '%s\n' "$m" | grep -q 'vllm:cache_config_info{block_size="16".*num_gpu_blocks="66246"' \
	|| fail "cache_config_info: $m"
d=$(curl -s "$url/dcgm/metrics")
u1=$(printf '%s\n' "$d" | sed -n 's/^DCGM_FI_DEV_FB_USED{gpu="0".*} //p')
[ -n "$u1" ] && [ "$u1" -gt 60000 ] || fail "dcgm FB used: $d"
# a streamed request in flight: FB used is flat (preallocated)
curl -sS -N "$url/v1/completions" -d '{"prompt":"a","max_tokens":40,"stream":true}' >/dev/null &
sleep 0.2
u2=$(curl -s "$url/dcgm/metrics" | sed -n 's/^DCGM_FI_DEV_FB_USED{gpu="0".*} //p')
wait $!
[ "$u1" = "$u2" ] || fail "FB used moved: $u1 -> $u2"

# reserved: 429 past --max-concurrent-requests
start tgi --engine reserved --model llama-3-8b --gpu h100 --max-concurrent-requests 1
url2=http://127.0.0.1:$port_tgi
curl -sS -N "$url2/generate_stream" -d '{"inputs":"a b","parameters":{"max_new_tokens":100}}' >/dev/null &
bg=$!
i=0
until curl -s "$url2/metrics" | grep -q '^tgi_batch_current_size 1$'; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "reserved never ran"; sleep 0.02
done
code=$(curl -s -o "$dir/429" -w '%{http_code}' "$url2/generate" -d '{"inputs":"x","parameters":{"max_new_tokens":2}}')
[ "$code" = 429 ] || fail "want 429, got $code $(cat "$dir/429")"
curl -sS -N "$url2/generate_stream" -d '{"inputs":"x","parameters":{"max_new_tokens":2}}' \
	| grep -q '^data:{"error":"Model is overloaded","error_type":"overloaded"}$' || fail "overload event"
wait $bg
curl -s "$url2/metrics" | grep -q '^tgi_request_failure{err="overloaded"} 2$' || fail "failure counter"

# option errors
"$INFBENCH" serve --engine paged --max-batch-total-tokens 5 2>"$dir/e1" && fail "TGI knob on paged accepted"
grep -q "max-batch-total-tokens: a TGI" "$dir/e1" || fail "msg: $(cat "$dir/e1")"
"$INFBENCH" serve --engine paged --itl 5 2>"$dir/e2" && fail "--itl on engine accepted"
"$INFBENCH" serve --engine paged --model nosuch 2>"$dir/e3" && fail "unknown model accepted"
grep -q "unknown --model 'nosuch'" "$dir/e3" || fail "msg: $(cat "$dir/e3")"
"$INFBENCH" serve --engine paged --model llama-3-70b --gpu a10g 2>"$dir/e4" && fail "70B on a10g accepted"
grep -q "does not fit" "$dir/e4" || fail "msg: $(cat "$dir/e4")"

kill -TERM "$pid_paged"
wait "$pid_paged"
rc=$?
[ $rc = 0 ] || fail "exit status $rc after SIGTERM"
grep -q "stopping on SIGTERM" "$dir/paged.err" || fail "no stop message"
echo "  ok"
