#!/bin/sh
# datasets_test.sh - workloads from files: `simulate --trace mooncake`
# reproduces the trace's arrival offsets (within 1 ms) and token counts
# exactly; BurstGPT skip counts are reported; a real-time Azure replay
# against the mock reports send lateness and keeps the trace's (scaled)
# arrivals; ids and server-tokenize prompts make the mock count exactly the
# target; chat template overhead is reported; `run` and `simulate` agree on
# a dataset's lengths; bad files give one line naming file and line.
set -u
. tests/integration/lib.sh
command -v jq >/dev/null 2>&1 || { echo "  SKIP: no jq"; exit 77; }
D="${SHARED:-../shared}/data"
[ -d "$D/traces" ] || { echo "  SKIP: no shared data"; exit 77; }
MC="$D/traces/mooncake-fast25/conversation_trace.jsonl"
QW="$D/tokenizers/qwen2"

# --- Mooncake in virtual time: arrivals and counts ---------------------
"$INFBENCH" simulate -q --gpu h200 --max-model-len 131072 --trace mooncake \
	--trace-path "$MC" --trace-window 0:60 --result "$TMP/mc.json" \
	>/dev/null || fail "simulate mooncake"
jq -s -c '[.[] | select(.timestamp < 60000) | [.timestamp, .input_length, .output_length]]' \
	"$MC" >"$TMP/want.json"
jq -c '[.requests[] | [.t_arrival * 1000, .t_send * 1000, .in_len, .out_len, .completion_tokens, .outcome]]' \
	"$TMP/mc.json" >"$TMP/got.json"
n=$(jq length "$TMP/want.json")
[ "$n" -gt 100 ] || fail "window too small: $n"
[ "$(jq length "$TMP/got.json")" = "$n" ] || fail "request count $(jq length "$TMP/got.json") != $n"
bad=$(jq -n --slurpfile w "$TMP/want.json" --slurpfile g "$TMP/got.json" '
	[range(0; $w[0] | length) as $i | $w[0][$i] as $a | $g[0][$i] as $b |
	 select((($b[0] - $a[0]) | fabs) > 1 or (($b[1] - $a[0]) | fabs) > 1 or
		$b[2] != $a[1] or $b[3] != $a[2] or
		($b[5] == "ok" and $b[4] != $a[2]))] | length')
[ "$bad" = 0 ] || fail "$bad requests differ from the trace"
[ "$(json_get "$TMP/mc.json" '.run.workload.trace.prefix_blocks > 100')" = true ] || fail "prefix blocks"
ok "simulate --trace mooncake: $n arrivals within 1 ms, token counts exact"

# --- BurstGPT: failed rows skipped and counted ---------------------------
"$INFBENCH" simulate --trace burstgpt --trace-path "$D/traces/burstgpt/BurstGPT_1_first400.csv" \
	--trace-speedup 1000 --result "$TMP/bg.json" >/dev/null 2>"$TMP/bg.err" || fail "burstgpt"
grep -q '17 rows skipped: 17 failed' "$TMP/bg.err" || fail "skip note: $(cat "$TMP/bg.err")"
[ "$(json_get "$TMP/bg.json" '.run.workload.trace.rows_skipped_failed')" = 17 ] || fail "skip count"
[ "$(json_get "$TMP/bg.json" '.requests | length')" = 383 ] || fail "383 requests"
ok "burstgpt: 17 failed rows skipped and reported"

# --- real-time Azure replay against the mock -----------------------------
start_server m --mock --ttft 1ms --itl 0
"$INFBENCH" run -q --url "$URL_m" --trace azure \
	--trace-path "$D/traces/azure-llm-2023/AzureLLMInferenceTrace_conv.csv" \
	--trace-window 0:20 --trace-speedup 20 --max-context 4096 \
	--result "$TMP/az.json" >/dev/null || fail "azure replay"
n=$(json_get "$TMP/az.json" '.run.workload.trace.requests')
[ "$n" -gt 5 ] || fail "azure rows: $n"
[ "$(json_get "$TMP/az.json" '.completed')" = "$n" ] || fail "azure completed"
[ "$(json_get "$TMP/az.json" '.run.client_check.send_lateness_samples')" = "$n" ] || fail "lateness samples"
json_get "$TMP/az.json" '.run.client_check.send_lateness_p99_us' | grep -qE '^[0-9.e+-]+$' || fail "lateness"
# intended arrivals are the trace's offsets / 20 (µs rounding)
awk -F, 'NR > 1 { split($1, d, /[ :]/); t = d[2] * 3600 + d[3] * 60 + d[4];
	if (NR == 2) t0 = t; if (t - t0 < 20) print (t - t0) / 20 }' \
	"$D/traces/azure-llm-2023/AzureLLMInferenceTrace_conv.csv" >"$TMP/az.want"
jq -r '.requests[].t_arrival' "$TMP/az.json" >"$TMP/az.got"
paste "$TMP/az.want" "$TMP/az.got" | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1e-6) bad++ }
	END { exit bad > 0 }' || fail "azure arrivals: $(paste "$TMP/az.want" "$TMP/az.got" | head)"
ok "azure replay: $n requests at the trace's times / 20, lateness reported"

# --- exact prompt counts at the server ----------------------------------
"$INFBENCH" run -q --url "$URL_m" -n 30 -c 4 -i uniform:10:300 -o 4 \
	--prompt-mode ids --result "$TMP/ids.json" >/dev/null || fail "ids"
[ "$(json_get "$TMP/ids.json" '.prompt_len_check.n_differ')" = 0 ] || fail "ids differ"
[ "$(json_get "$TMP/ids.json" '.run.workload.prompt_mode')" = ids ] || fail "ids mode recorded"
for api in openai-completions tgi; do
	"$INFBENCH" run -q --url "$URL_m" --api $api -n 20 -c 4 -i uniform:10:300 -o 4 \
		--prompt-mode server-tokenize --result "$TMP/st.json" >/dev/null || fail "server-tokenize $api"
	[ "$(json_get "$TMP/st.json" '.prompt_len_check.n_differ')" = 0 ] || fail "$api: server-tokenize differ"
	[ "$(json_get "$TMP/st.json" '.run.workload.server_tokenize.calls >= 20')" = true ] || fail "$api calls"
done
[ "$(json_get "$TMP/st.json" '.run.workload.server_tokenize.shape')" = tgi ] || fail "tgi shape"
"$INFBENCH" run -q --url "$URL_m" --api openai-chat -n 10 -c 2 -i 50 -o 4 \
	--prompt-mode server-tokenize --result "$TMP/chat.json" >/dev/null || fail "chat"
[ "$(json_get "$TMP/chat.json" '.run.workload.chat_template_overhead_tokens')" = 8 ] || fail "chat overhead"
ok "ids and server-tokenize prompts counted exactly; chat overhead 8 reported"

# --- tokenizer runs record tok_hash; run and simulate agree on lengths ---
if [ -d "$QW" ]; then
	"$INFBENCH" run -q --url "$URL_m" -n 12 -c 3 --tokenizer "$QW" --dataset sonnet \
		--dataset-path "$D/prompts/sonnet/sonnet.txt" -i uniform:50:400 -o 6 \
		--prefix-len 32 --num-prefixes 2 --result "$TMP/son.json" >/dev/null || fail "sonnet run"
	json_get "$TMP/son.json" '.run.tok_hash' | grep -qE '^[0-9a-f]{16}$' || fail "tok_hash"
	[ "$(json_get "$TMP/son.json" '.run.workload.shared_prefix.num_prefixes')" = 2 ] || fail "prefix meta"
	"$INFBENCH" simulate -q -n 12 --tokenizer "$QW" --dataset sonnet \
		--dataset-path "$D/prompts/sonnet/sonnet.txt" -i uniform:50:400 -o 6 \
		--prefix-len 32 --num-prefixes 2 --result "$TMP/son-sim.json" >/dev/null || fail "sonnet sim"
	lens='[.requests[] | [.in_len, .out_len]]'
	[ "$(jq -c "$lens" "$TMP/son.json")" = "$(jq -c "$lens" "$TMP/son-sim.json")" ] || fail "run/simulate lengths"
	ok "sonnet + prefixes: tok_hash recorded, run = simulate lengths"
fi

# --- bad files and options: one line naming file and line, exit 2 -------
bad() {
	want=$1; shift
	"$INFBENCH" "$@" >/dev/null 2>"$TMP/bad.err"
	rc=$?
	[ $rc = 2 ] || fail "$* exited $rc: $(cat "$TMP/bad.err")"
	[ "$(wc -l <"$TMP/bad.err")" = 1 ] || fail "$*: want one line: $(cat "$TMP/bad.err")"
	grep -qF -- "$want" "$TMP/bad.err" || fail "$*: '$want' not in $(cat "$TMP/bad.err")"
}
printf 'when,in,out\n1,2,3\n' >"$TMP/cols.csv"
bad "$TMP/cols.csv:1: not a Azure" simulate --trace azure --trace-path "$TMP/cols.csv"
head -c 300 "$MC" >"$TMP/cut.jsonl"
bad "$TMP/cut.jsonl:3:" simulate --trace mooncake --trace-path "$TMP/cut.jsonl"
printf '{"input_len": 3, "output_len": 2}\n{"input_len": three, "output_len": 2}\n' >"$TMP/tok.jsonl"
bad "$TMP/tok.jsonl:2:" simulate --dataset jsonl --dataset-path "$TMP/tok.jsonl"
bad "--trace-path" simulate --trace azure
bad "trace's arrival times" simulate --trace mooncake --trace-path "$MC" --rate 5
bad "--prompt-mode ids needs --api openai-completions" run --url "$URL_m" --api openai-chat --prompt-mode ids
ok "bad files and options"
