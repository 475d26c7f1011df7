#!/bin/sh
# run.sh - build and run every tests/fuzz/*_fuzz.c libFuzzer driver.
# Each runs for FUZZ_SECONDS (default 20) with ASan+UBSan, seeded from
# tests/fuzz/corpus/<name>/ when present; new inputs go to
# build/fuzz/corpus/<name>/ (never into the repo). Crashes land in
# build/fuzz/crash-<name>-*. Exit 1 when any driver fails.
# Env: FUZZ_SECONDS, CLANG (default clang), FUZZ_JOBS (make -j, default 2).
set -u
cd "$(dirname "$0")/../.." || exit 1
: "${FUZZ_SECONDS:=20}"
: "${CLANG:=clang}"
: "${FUZZ_JOBS:=2}"
OUT=build/fuzz
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
PKGS="libcurl jansson yaml-0.1 libpcre2-8 libutf8proc"
CFLAGS="-std=c17 -g -O1 -D_GNU_SOURCE -Isrc -pthread $SAN $(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -ldl -lm -pthread"
command -v "$CLANG" >/dev/null 2>&1 || { echo "fuzz: $CLANG not found" >&2; exit 1; }
mkdir -p "$OUT/obj"

# Library objects, instrumented for coverage (fuzzer-no-link).
mk="$OUT/Makefile"
{
	echo "all:"
	for src in $(find src -name '*.c' ! -path src/main.c | sort); do
		obj="$OUT/obj/$(echo "$src" | tr / _).o"
		echo "all: $obj"
		echo "$obj: $src"
		printf '\t%s %s -fsanitize=fuzzer-no-link -c %s -o %s\n' \
			"$CLANG" "$CFLAGS" "$src" "$obj"
	done
} >"$mk"
make -s -j"$FUZZ_JOBS" -f "$mk" all || exit 1
rm -f "$OUT/libfuzz.a"
ar rcs "$OUT/libfuzz.a" "$OUT"/obj/*.o

fail=0
for drv in tests/fuzz/*_fuzz.c; do
	[ -e "$drv" ] || continue
	name=$(basename "$drv" .c)
	bin="$OUT/$name"
	"$CLANG" $CFLAGS -fsanitize=fuzzer "$drv" "$OUT/libfuzz.a" $LIBS -o "$bin" || { fail=1; continue; }
	corpus="$OUT/corpus/$name"
	mkdir -p "$corpus"
	seeds="tests/fuzz/corpus/${name%_fuzz}"
	[ -d "$seeds" ] || seeds="tests/fuzz/corpus/$name"
	[ -d "$seeds" ] || seeds=
	echo "fuzz: $name for ${FUZZ_SECONDS}s"
	if "$bin" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
		-artifact_prefix="$OUT/crash-$name-" "$corpus" $seeds \
		>"$OUT/$name.log" 2>&1; then
		grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$OUT/$name.log"
		echo "fuzz: $name ok"
	else
		tail -30 "$OUT/$name.log"
		echo "fuzz: $name FAILED (log: $OUT/$name.log)"
		fail=1
	fi
done
exit $fail
