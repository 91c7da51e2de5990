#!/bin/sh
# run.sh — runs every test and prints the totals line "N passed, N failed".
#   unit tests (build-check/unit), CLI scenarios (tests/cli/*.sh),
#   API tests (tests/api/*.py: each starts its own `macext serve`),
#   fuzz corpus + crash replay (build-check/fuzz-replay-*),
#   browser scenarios (tests/browser/*.mjs: the serve page in headless chromium).
# `sh tests/run.sh cli` runs only the CLI scenarios; TESTS=pattern filters.
B=${B:-build-check}
export B
cd "$(dirname "$0")/.." || exit 2
log=$(mktemp /tmp/macext-check-XXXXXX)
what=${1:-all}
jobs=${JOBS:-2}

if [ "$what" = all ] || [ "$what" = unit ]; then
	"./$B/unit" ${TESTS:-} >>"$log" 2>&1 || true
fi
if [ "$what" = all ] || [ "$what" = cli ]; then
	ls tests/cli/*.sh | grep -v '/lib.sh$' | grep -- "${TESTS:-}" |
	    xargs -P "$jobs" -I{} sh -c 'sh {} > {}.log.$$ 2>&1 || echo "FAIL $(basename {} .sh).script (exit $?)" >> {}.log.$$; cat {}.log.$$; rm -f {}.log.$$' >>"$log" 2>&1
fi
if [ "$what" = all ] || [ "$what" = api ]; then
	ls tests/api/*.py | grep -v '/lib.py$' | grep -- "${TESTS:-}" |
	    xargs -P "$jobs" -I{} sh -c 'python3 {} > {}.log.$$ 2>&1 || echo "FAIL $(basename {} .py).script (exit $?)" >> {}.log.$$; cat {}.log.$$; rm -f {}.log.$$' >>"$log" 2>&1
fi
# browser scenarios (tests/browser/*.mjs; lib.mjs is their harness): one at a
# time, each with its own macext serve and headless chromium
if [ "$what" = all ] || [ "$what" = browser ]; then
	if ! command -v node >/dev/null || [ ! -x "${MACEXT_CHROMIUM:-/usr/bin/chromium}" ] ||
	    [ ! -d tests/browser/node_modules/playwright-core ]; then
		echo "FAIL browser (node, /usr/bin/chromium or tests/browser/node_modules missing: make browser-deps)" >>"$log"
	else
		for f in $(ls tests/browser/*.mjs | grep -v '/lib.mjs$' | grep -- "${TESTS:-}"); do
			timeout -k 10 300 node "$f" >>"$log" 2>&1 || echo "FAIL $(basename "$f" .mjs).browser (exit $?)" >>"$log"
		done
	fi
fi
if [ "$what" = all ] || [ "$what" = fuzz ]; then
	for t in ${FUZZ:-}; do
		files=$(find "tests/fuzz/$t/corpus" "tests/fuzz/$t/crashes" -type f 2>/dev/null)
		if [ -z "$files" ]; then echo "FAIL fuzz.$t (empty corpus)" >>"$log"; continue; fi
		if echo "$files" | xargs "./$B/fuzz-replay-$t" >"$log.f" 2>&1; then
			echo "PASS fuzz.$t ($(echo "$files" | wc -l) inputs)" >>"$log"
		else
			echo "FAIL fuzz.$t" >>"$log"; tail -n 20 "$log.f" >>"$log"
		fi
		rm -f "$log.f"
	done
fi
grep -v '^PASS ' "$log" | grep -v '^unit: ' | grep -v '^SKIP ' | grep -v '^  skipped:' | head -n 300
grep '^SKIP ' "$log"
p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log"); s=$(grep -c '^SKIP ' "$log")
grep '^FAIL ' "$log" | sed 's/^/failed: /'
rm -f "$log"
if [ "$s" -gt 0 ]; then echo "$p passed, $f failed, $s skipped"; else echo "$p passed, $f failed"; fi
[ "$f" -eq 0 ] && [ "$p" -gt 0 ]
