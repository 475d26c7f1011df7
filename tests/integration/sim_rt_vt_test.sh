#!/bin/sh
# sim_rt_vt_test.sh - the emulated engine in real time (`serve --engine`,
# driven by `run`) and in virtual time (`simulate`) agree on the same
# workload: throughput within 5 %, E2EL P50/P99 and TTFT P50 within 10 %.
# Open loop, so both see the same arrival times (see docs/SIMULATION.md for
# the closed-loop TTFT difference).
. tests/integration/lib.sh
within() { # within A B FRACTION
	awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { d = a - b; if (d < 0) d = -d;
		exit !(d <= f * (b < 0 ? -b : b)) }'
}
W="-n 300 --rate 25 --input-len 128,256,512 --output-len 32 --seed 3"
for eng in paged reserved; do
	start_server $eng --engine $eng --model qwen2-7b --gpu a100
	eval url=\$URL_$eng
	"$INFBENCH" run --url "$url" $W --result "$TMP/rt-$eng.json" \
		--csv /dev/null -q --metrics-url none --gpu none >/dev/null ||
		fail "$eng: run exited $?"
	"$INFBENCH" simulate --engine $eng --model qwen2-7b --gpu a100 $W \
		--result "$TMP/vt-$eng.json" -q >/dev/null ||
		fail "$eng: simulate exited $?"
	for k in output_throughput:0.05 median_e2el_ms:0.10 p99_e2el_ms:0.10 \
		median_ttft_ms:0.10; do
		key=${k%%:*}; tol=${k#*:}
		rt=$(json_get "$TMP/rt-$eng.json" ".$key")
		vt=$(json_get "$TMP/vt-$eng.json" ".$key")
		if within "$rt" "$vt" "$tol"; then
			ok "$eng $key real $rt vs virtual $vt (tol $tol)"
		else
			fail "$eng $key real $rt vs virtual $vt (tol $tol)"
		fi
	done
	p99=$(json_get "$TMP/rt-$eng.json" .p99_ttft_ms)
	p99v=$(json_get "$TMP/vt-$eng.json" .p99_ttft_ms)
	echo "info: $eng p99 TTFT real $p99 vs virtual $p99v"
done
echo "sim_rt_vt_test: all checks passed"
