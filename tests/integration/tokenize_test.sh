#!/bin/sh
# tokenize_test.sh - `infbench tokenize` end to end: counts, ids, JSONL in
# order, --add-special, and one-line errors naming file and line.
# Env: INFBENCH (binary), SHARED (shared dir). Exit 77 when data is absent.
set -u
: "${INFBENCH:=./infbench}"
: "${SHARED:=../shared}"
D="$SHARED/data/tokenizers"
[ -d "$D/gpt2" ] || { echo "SKIP: no shared data"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() { # name, expected, actual
	if [ "$2" = "$3" ]; then echo "ok   $1"
	else echo "FAIL $1: want [$2] got [$3]"; fail=1; fi
}

out=$(printf 'Hello world' | "$INFBENCH" tokenize --tokenizer "$D/gpt2")
check "gpt2 count" "2" "$out"
out=$(printf 'Hello world' | "$INFBENCH" tokenize --tokenizer "$D/gpt2" --ids)
check "gpt2 ids" "15496 995" "$out"
out=$(printf 'Hello world' | "$INFBENCH" tokenize -t "$D/llama3" --ids --add-special)
check "llama3 --add-special" "128000 9906 1917" "$out"
out=$(printf 'Hello world' | "$INFBENCH" tokenize -t "$D/llama3" --ids)
check "llama3 no specials by default" "9906 1917" "$out"
out=$(printf 'Hello world' | "$INFBENCH" tokenize -t "$D/llama2-spm-gguf/ggml-vocab-llama-spm.gguf" --ids)
check "llama-spm gguf ids" "15043 3186" "$out"
out=$(printf '' | "$INFBENCH" tokenize -t "$D/gpt2")
check "empty input" "0" "$out"

printf '{"text": "Hello"}\n\n{"text": " world", "id": 7}\n{"text": ""}\n' > "$T/in.jsonl"
"$INFBENCH" tokenize -t "$D/mistral-7b-v0.1/tokenizer.json" --jsonl --add-special \
	< "$T/in.jsonl" > "$T/out.jsonl"
check "jsonl exit" "0" "$?"
check "jsonl lines" "$(printf '{"ids": [1, 22557]}\n{"ids": [1, 1526]}\n{"ids": [1]}')" "$(cat "$T/out.jsonl")"

printf '{"text": "a"}\n{"text": "b"\n' > "$T/trunc.jsonl"
"$INFBENCH" tokenize -t "$D/gpt2" --jsonl < "$T/trunc.jsonl" > "$T/o" 2> "$T/e"
rc=$?
check "truncated json exit" "2" "$rc"
check "truncated json names line" "1" "$(grep -c '^infbench: error: <stdin>:2: invalid JSON' "$T/e")"
check "lines before the error were written" '{"ids": [64]}' "$(cat "$T/o")"

printf '{"txt": "a"}\n' | "$INFBENCH" tokenize -t "$D/gpt2" --jsonl > /dev/null 2> "$T/e"
check "missing field exit" "2" "$?"
check "missing field message" "1" "$(grep -c '<stdin>:1: want an object with a "text" string' "$T/e")"

printf 'x' > "$T/tok.txt"
printf 'hi' | "$INFBENCH" tokenize -t "$T/tok.txt" > /dev/null 2> "$T/e"
check "unknown file type exit" "2" "$?"
check "unknown file type message" "1" "$(grep -c "tok.txt: unknown tokenizer file type" "$T/e")"

printf '{"model": {"type": "BPE",\n "vocab": {"a": 0,\n' > "$T/tokenizer.json"
printf 'hi' | "$INFBENCH" tokenize -t "$T/tokenizer.json" > /dev/null 2> "$T/e"
check "truncated tokenizer.json exit" "2" "$?"
check "truncated tokenizer.json names file:line" "1" "$(grep -c "tokenizer.json:3:" "$T/e")"
check "errors are one line" "1" "$(wc -l < "$T/e" | tr -d ' ')"

printf '\377\376' | "$INFBENCH" tokenize -t "$D/gpt2" > /dev/null 2> "$T/e"
check "invalid utf-8 exit" "2" "$?"

exit $fail
