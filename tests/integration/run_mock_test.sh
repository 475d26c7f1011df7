#!/bin/sh
# run_mock_test.sh - `infbench run` against the built-in mock server:
# timing, token counts, every fault in its bucket, interrupts, bad input.
. tests/integration/lib.sh

check() { # check DESCRIPTION CONDITION...
	d=$1; shift
	if "$@"; then ok "$d"; else fail "$d"; fi
}
between() { # between VALUE LO HI (floats)
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'
}

# 1. Timing and counts, completions API. TTFT 40 ms, ITL 8 ms.
start_server t --mock --ttft 40ms --itl 8ms
"$INFBENCH" run --url "$URL_t" -n 60 -c 6 --input-len 64,128 \
	--output-len 32 --result "$TMP/t.json" -q >"$TMP/t.out" ||
	fail "timing run exited $?"
R=$TMP/t.json
check "all 60 completed" [ "$(json_get $R .completed)" = 60 ]
check "output tokens exact" [ "$(json_get $R .total_output_tokens)" = 1920 ]
check "prompt tokens match target" \
	[ "$(json_get $R .prompt_len_check.n_differ)" = 0 ]
check "TTFT median ~40 ms ($(json_get $R .median_ttft_ms))" \
	between "$(json_get $R .median_ttft_ms)" 39 55
check "ITL median ~8 ms ($(json_get $R .median_itl_ms))" \
	between "$(json_get $R .median_itl_ms)" 7.5 9
check "TPOT mean ~8 ms" between "$(json_get $R .mean_tpot_ms)" 7.6 9
check "table on stdout" grep -q "TTFT p50/p99" "$TMP/t.out"
check "CSV written" [ "$(wc -l <"$TMP/t.csv")" = 61 ]

# 2. Chat (role-only first chunk) and TGI (data: without space).
for api in openai-chat tgi; do
	"$INFBENCH" run --url "$URL_t" --api $api -n 20 -c 4 --input-len 50 \
		--output-len 16 --result "$TMP/$api.json" -q >/dev/null ||
		fail "$api run exited $?"
	check "$api: 20 ok" [ "$(json_get $TMP/$api.json .completed)" = 20 ]
	check "$api: 320 output tokens" \
		[ "$(json_get $TMP/$api.json .total_output_tokens)" = 320 ]
done
check "chat: server prompt = words + template" \
	[ "$(json_get $TMP/openai-chat.json .prompt_len_check.mean_diff_tokens)" = 8 ]

# 3. Every fault in its bucket; nothing lost; keep-alive closes are not
# failures. Fault k hits every N_k-th request at the server.
start_server f --mock --ttft 2ms --itl 1ms --close-after 3 \
	--fault-every 429:7 --fault-every 503:11 --fault-every error:13 \
	--fault-every drop:17 --fault-every garbage:19 --fault-every stall:23
"$INFBENCH" run --url "$URL_f" -n 300 -c 8 --input-len 20 --output-len 20 \
	--timeout 2s --result "$TMP/f.json" -q >/dev/null
R=$TMP/f.json
o() { json_get $R ".outcomes.$1"; }
check "429+503 -> http_error 66" [ "$(o http_error)" = 66 ]
check "error event -> stream_error 18" [ "$(o stream_error)" = 18 ]
check "drop -> connection_reset 13" [ "$(o connection_reset)" = 13 ]
check "garbage -> bad_event 11" [ "$(o bad_event)" = 11 ]
check "stall -> timeout_total 10" [ "$(o timeout_total)" = 10 ]
check "the rest ok (182)" [ "$(o ok)" = 182 ]
check "none lost: completed + failed = 300" \
	[ "$(json_get $R '.completed + .failed')" = 300 ]
check "errors array names the 429" \
	sh -c "jq -r '.errors[]' $R | grep -q 'HTTP 429'"
check "native HTTP client by default" \
	[ "$(json_get $R .run.client_check.http_client)" = native ]
# The same faults through libcurl: the same outcome in every bucket (the
# cross-check of infbench's own HTTP reader against the library).
start_server f2 --mock --ttft 2ms --itl 1ms --close-after 3 \
	--fault-every 429:7 --fault-every 503:11 --fault-every error:13 \
	--fault-every drop:17 --fault-every garbage:19 --fault-every stall:23
"$INFBENCH" run --url "$URL_f2" --http-client curl -n 300 -c 8 \
	--input-len 20 --output-len 20 --timeout 2s --result "$TMP/f2.json" \
	-q >/dev/null
check "libcurl run used libcurl" \
	[ "$(json_get $TMP/f2.json .run.client_check.http_client)" = curl ]
check "native and libcurl agree on every outcome" \
	[ "$(jq -cS .outcomes $R)" = "$(jq -cS .outcomes $TMP/f2.json)" ]
check "native and libcurl agree on tokens" \
	[ "$(json_get $R .total_output_tokens)" = \
	  "$(json_get $TMP/f2.json .total_output_tokens)" ]
"$INFBENCH" run --url "$URL_f" -n 50 -c 4 --input-len 5 --output-len 5 \
	--timeout 2s --max-error-rate 0.1 --no-save -q >/dev/null 2>&1
check "--max-error-rate exit 3" [ $? = 3 ]

# 4. Ctrl-C: partial results, every planned request accounted for.
start_server i --mock --ttft 2ms --itl 2ms --max-model-len 9999
"$INFBENCH" run --url "$URL_i" -n 500 -c 4 --input-len 10 \
	--output-len 600 --drain-timeout 0.3s --result "$TMP/i.json" -q \
	>/dev/null 2>&1 &
RP=$!
sleep 1.5
kill -INT $RP
wait $RP
check "interrupted run exits 130" [ $? = 130 ]
R=$TMP/i.json
check "marked interrupted" [ "$(json_get $R .interrupted)" = true ]
check "all 500 requests accounted" \
	[ "$(json_get $R '.outcomes | add')" = 500 ]
check "in-flight ones cancelled" [ "$(json_get $R .outcomes.cancelled)" = 4 ]

# Keep-alive: 60 requests on 6 streams reuse 6 connections.
check "keep-alive: 6 connections for 60 requests" \
	[ "$(json_get $TMP/t.json .run.client_check.native_connections)" = 6 ]
"$INFBENCH" run --url "$URL_t" --http-client h2 -n 1 2>/dev/null
check "bad --http-client -> exit 2" [ $? = 2 ]
# A proxy variable hands auto to libcurl (which honours it and no_proxy);
# --http-client native keeps infbench's reader for the streams (control
# requests, through libcurl, still honour the variables).
http_proxy=http://127.0.0.1:1 no_proxy=127.0.0.1 "$INFBENCH" run --url "$URL_t" \
	-n 4 -c 2 --input-len 8 --output-len 4 --result "$TMP/px.json" -q >/dev/null
check "proxy variable -> libcurl" \
	[ "$(json_get $TMP/px.json .run.client_check.http_client)" = curl ]
check "libcurl bypasses the proxy via no_proxy" \
	[ "$(json_get $TMP/px.json .completed)" = 4 ]
http_proxy=http://127.0.0.1:1 no_proxy=127.0.0.1 "$INFBENCH" run --url "$URL_t" \
	--http-client native \
	-n 4 -c 2 --input-len 8 --output-len 4 --result "$TMP/pn.json" -q >/dev/null
check "--http-client native keeps the native reader beside a proxy variable" \
	[ "$(json_get $TMP/pn.json .run.client_check.http_client)" = native ]
check "... and its requests complete" [ "$(json_get $TMP/pn.json .completed)" = 4 ]

# 5. Open loop on absolute deadlines: 100 requests at 50/s take ~2 s.
"$INFBENCH" run --url "$URL_t" -n 100 --rate 50 --arrival constant \
	--input-len 8 --output-len 4 --result "$TMP/o.json" -q >/dev/null
R=$TMP/o.json
check "open loop duration ~2 s ($(json_get $R .duration))" \
	between "$(json_get $R .duration)" 1.95 2.3
check "send lateness reported" \
	[ "$(json_get $R '.run.client_check.send_lateness_samples')" = 100 ]
# Duration-bound closed loop with two client threads.
"$INFBENCH" run --url "$URL_t" --duration 1s -c 4 --threads 2 \
	--input-len 8 --output-len 4 --result "$TMP/d.json" -q >/dev/null
check "duration run completes requests on 2 threads" \
	[ "$(json_get $TMP/d.json .completed)" -gt 10 ]

# 6. Request ids: each request sends X-Request-Id ib-<tag>-<id> (warm-up
# w<id>), the mock makes it the response id and logs each stream's write
# times under it: every measured request is found there, with one write
# per timed chunk, through both HTTP readers.
start_server s --mock --ttft 5ms --itl 2ms --send-log "$TMP/s.sends"
SPID=${SERVER_PIDS##* }
for hc in native curl; do
	"$INFBENCH" run --url "$URL_s" --http-client $hc -n 12 -c 4 --warmup 2 \
		--input-len 8 --output-len 6 --result "$TMP/s-$hc.json" -q >/dev/null
done
"$INFBENCH" run --url "$URL_s" --request-id-header none -n 2 -c 2 \
	--input-len 8 --output-len 6 --no-save -q >/dev/null
# the user's own header of that name wins: one X-Request-Id, theirs
"$INFBENCH" run --url "$URL_s" -H 'x-request-id: mine' -n 2 -c 1 \
	--input-len 8 --output-len 6 --result "$TMP/s-mine.json" -q >/dev/null
kill "$SPID"; wait "$SPID" 2>/dev/null
check "32 streams logged (2 x (2 + 12) + 2 + 2)" \
	[ "$(wc -l <"$TMP/s.sends")" = 32 ]
check "--header X-Request-Id: the user's value, no run.request_id" \
	[ "$(grep -c '"id":"cmpl-mine"' "$TMP/s.sends")/$(json_get \
	$TMP/s-mine.json .run.request_id)" = 2/null ]
for hc in native curl; do
	R=$TMP/s-$hc.json
	p=$(json_get $R .run.request_id.prefix)
	check "$hc: prefix ib-<8 hex>- ($p)" \
		sh -c "echo '$p' | grep -qx 'ib-[0-9a-f]\{8\}-'"
	check "$hc: header named" \
		[ "$(json_get $R .run.request_id.header)" = X-Request-Id ]
	check "$hc: every measured request logged, writes = chunks" [ "$(jq -n \
		--slurpfile r $R --slurpfile s "$TMP/s.sends" '
		($s | map({key: .id, value: .sent_ns}) | from_entries) as $m |
		[$r[0].requests[] | select(.warmup | not) |
		 $m["cmpl-" + $r[0].run.request_id.prefix +
		    (.id | tostring)] as $t |
		 select($t != null and ($t | length) == (.chunk_t | length))] |
		length')" = 12 ]
	check "$hc: warm-up ids w0, w1" [ "$(grep -c "\"cmpl-${p}w[01]\"" \
		"$TMP/s.sends")" = 2 ]
done
check "two runs, two tags" [ "$(json_get $TMP/s-native.json \
	.run.request_id.prefix)" != "$(json_get $TMP/s-curl.json \
	.run.request_id.prefix)" ]
check "--request-id-header none: server ids of its own" \
	[ "$(grep -c '"id":"cmpl-[0-9a-f]\{32\}"' "$TMP/s.sends")" = 2 ]
err3=$("$INFBENCH" run --url "$URL_t" --request-id-header 'X Id' -n 1 2>&1)
check "bad --request-id-header -> exit 2" [ $? = 2 ]
check "... naming it ($err3)" sh -c "echo '$err3' | grep -q 'request-id-header'"

# 7. Bad input: one line naming the problem, usage exit code 2.
err1=$("$INFBENCH" run --url ftp://x -n 1 2>&1); rc=$?
check "bad URL -> exit 2" [ $rc = 2 ]
check "bad URL -> one line" [ "$(echo "$err1" | wc -l)" = 1 ]
"$INFBENCH" run --url "$URL_t" --input-len 12.5 2>/dev/null
check "bad --input-len -> exit 2" [ $? = 2 ]
"$INFBENCH" run --url "$URL_t" --bogus 2>/dev/null
check "unknown option -> exit 2" [ $? = 2 ]
err2=$("$INFBENCH" run --url http://127.0.0.1:1 -n 1 --no-save 2>&1); rc=$?
check "unreachable server -> exit 1 ($err2)" [ $rc = 1 ]
case $err2 in *"cannot reach"*) ok "unreachable server named" ;;
*) fail "unreachable server named" ;; esac
echo "run_mock_test: all checks passed"
