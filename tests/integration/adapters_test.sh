#!/bin/sh
# adapters_test.sh - `infbench run --api auto` against the built-in server
# in every --flavour: detection recorded, exact token counts, TTFT/ITL with
# 4 tokens per chunk, errors mapped to outcomes, a server matching nothing.
. tests/integration/lib.sh

check() { d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }
between() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }

# flavour : adapter auto-detection must pick
for pair in vllm:openai-completions sglang:sglang-generate \
	lmdeploy:lmdeploy-generate trtllm:trtllm-completions tgi:tgi \
	llamacpp:llamacpp ollama:ollama triton:triton; do
	fl=${pair%%:*} api=${pair#*:}
	start_server $fl --mock --flavour $fl --ttft 30ms --itl 3ms \
		--tokens-per-chunk 4 --fault-every error:7 --fault-every 429:11
	eval url=\$URL_$fl
	R=$TMP/$fl.json
	"$INFBENCH" run --url "$url" -n 30 -c 3 --input-len 12 --output-len 33 \
		--result "$R" -q >/dev/null 2>"$TMP/$fl.run.err"
	check "$fl: detected $api" [ "$(json_get $R .run.server.detected.api)" = "$api" ]
	check "$fl: flavour recorded" [ "$(json_get $R .run.server.detected.flavour)" = "$fl" ]
	# requests 7,14,21,28 -> error event; 11,22 -> 429 (fault numbering
	# counts generation requests only)
	check "$fl: 24 ok" [ "$(json_get $R .outcomes.ok)" = 24 ]
	check "$fl: error event -> stream_error" [ "$(json_get $R .outcomes.stream_error)" = 4 ]
	check "$fl: 429 -> http_error" [ "$(json_get $R .outcomes.http_error)" = 2 ]
	check "$fl: output tokens exact (24 x 33)" \
		[ "$(json_get $R .total_output_tokens)" = 792 ]
	check "$fl: no request short" [ "$(json_get $R .output_len_check.n_short)" = 0 ]
	check "$fl: prompt = 12 server tokens" \
		[ "$(json_get $R .prompt_len_check.n_differ)" = 0 ]
	check "$fl: TTFT ~30 ms ($(json_get $R .median_ttft_ms))" \
		between "$(json_get $R .median_ttft_ms)" 29 45
	check "$fl: TPOT ~3 ms ($(json_get $R .mean_tpot_ms))" \
		between "$(json_get $R .mean_tpot_ms)" 2.8 3.6
	case $fl in
	tgi) # one event per token, whatever the server's chunking
		check "$fl: ITL per event ~3 ms" \
			between "$(json_get $R .median_itl_ms)" 0 3.6 ;;
	*)
		check "$fl: ITL per chunk ~12 ms ($(json_get $R .median_itl_ms))" \
			between "$(json_get $R .median_itl_ms)" 11.5 13.5 ;;
	esac
	case $fl in
	ollama) # lines are not tokens: final count only
		check "$fl: counts from usage" \
			[ "$(json_get $R .out_tokens_source.server)" = 24 ] ;;
	tgi|vllm|trtllm) ;;
	*)
		check "$fl: token-level ITL ~3 ms ($(json_get $R .corrected.itl_token_level.median_ms))" \
			between "$(json_get $R .corrected.itl_token_level.median_ms)" 2.5 3.6 ;;
	esac
done
check "tgi: force_length false recorded" \
	[ "$(json_get $TMP/tgi.json .run.config.force_length)" = false ]
err=$("$INFBENCH" run --url "$URL_tgi" -n 2 --input-len 5 --output-len 3 \
	--no-save 2>&1 >/dev/null)
case $err in *"cannot force the output length"*) ok "tgi: length caveat printed" ;;
*) fail "tgi: length caveat printed: $err" ;; esac
check "ollama: force_length false recorded" \
	[ "$(json_get $TMP/ollama.json .run.config.force_length)" = false ]

# chat on SGLang via the URL path picks the flavour's chat adapter
start_server sc --mock --flavour sglang --ttft 2ms --itl 1ms
"$INFBENCH" run --url "$URL_sc/v1/chat/completions" -n 5 -c 1 \
	--input-len 10 --output-len 9 --result "$TMP/sc.json" -q >/dev/null 2>&1
check "sglang chat path -> sglang-chat" \
	[ "$(json_get $TMP/sc.json .run.config.api)" = sglang-chat ]
check "sglang chat exact tokens" [ "$(json_get $TMP/sc.json .total_output_tokens)" = 45 ]
# trtllm-serve rejects vLLM-only keys: the vLLM adapter with an extra key
# fails, the trtllm adapter does not send it
start_server tv --mock --flavour trtllm --ttft 2ms --itl 1ms
"$INFBENCH" run --url "$URL_tv" --api openai-completions -n 3 -c 1 \
	--input-len 5 --output-len 4 --extra-body '{"return_token_ids":true}' \
	--result "$TMP/tv.json" -q >/dev/null 2>&1
check "trtllm: unknown field -> 400" \
	[ "$(json_get $TMP/tv.json .outcomes.http_error)" = 3 ]

# nothing matches: one clear error naming every probe, exit 1
start_server none --mock --flavour none
err=$("$INFBENCH" run --url "$URL_none" -n 1 --no-save 2>&1); rc=$?
check "no match -> exit 1" [ $rc = 1 ]
case $err in *"no known server API"*"/props (404)"*"/api/version (404)"*) ok "no match lists probes" ;;
*) fail "no match lists probes: $err" ;; esac
echo "adapters_test: all checks passed"
