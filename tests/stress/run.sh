#!/bin/sh
# tests/stress/run.sh BUILD-DIR — `make stress`: the crash harness at ten
# times `make check` scale (800 sequences, ~15,000 kill points, ten
# seeds), then the concurrency and I/O-fault scenarios five times each,
# against the optimized build.  Ends "N passed, N failed" like make check.
B=${1:-build}
cd "$(dirname "$0")/../.." || exit 2
log=$(mktemp /tmp/macext-stress-XXXXXX)
for seed in 11 12 13 14 15 16 17 18 19 20; do
	CRASH_SEED=$seed CRASH_SEQUENCES=80 CRASH_MIN_KILLS=1000 B=$B sh tests/cli/crash_points.sh \
	    >"$log.seed" 2>&1
	echo "seed $seed: $(grep -E '^ *crash:' "$log.seed" | head -n 1 | sed 's/^ *//')"
	grep '^FAIL' "$log.seed" || true
	cat "$log.seed" >>"$log"
done
rm -f "$log.seed"
for round in 1 2 3 4 5; do
	for t in concurrency_store iofault_write iofault_fulldisk fleet_apply; do
		B=$B sh "tests/cli/$t.sh" >>"$log" 2>&1
	done
done
grep '^FAIL' "$log" | head -n 50
p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log")
rm -f "$log"
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
