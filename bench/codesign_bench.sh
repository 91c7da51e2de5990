#!/bin/sh
# codesign_bench.sh — wall time of `macext codesign verify FILE` against
# `sha256sum FILE` (best of N runs each, warm page cache), and their ratio.
#   sh bench/codesign_bench.sh [BUILD_DIR] [FILE] [RUNS]
# FILE defaults to the sentry-cli fat binary that tests/cli/codesign.sh caches
# in ~/.cache/macext-test (about 28 MB, two SHA-256 CodeDirectories).
# Prints one line: "codesign-verify FILE BYTES verify_s sha256sum_s ratio".
B=${1:-build}
FILE=${2:-}
RUNS=${3:-5}
MX="$B/macext"
if [ -z "$FILE" ]; then
	CACHE=${MACEXT_TEST_CACHE:-${HOME:-/tmp}/.cache/macext-test}
	tgz="$CACHE/sentry-cli-darwin-3.8.0.tgz"
	if [ ! -f "$tgz" ] && command -v npm >/dev/null 2>&1; then
		mkdir -p "$CACHE" && (cd "$CACHE" && npm pack --silent @sentry/cli-darwin@3.8.0 >/dev/null 2>&1)
	fi
	[ -f "$tgz" ] || { echo "codesign_bench: no FILE and no cached sentry-cli tarball" >&2; exit 2; }
	tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
	tar xzf "$tgz" -C "$tmp" package/bin/sentry-cli || exit 2
	FILE="$tmp/package/bin/sentry-cli"
fi
best() {   # best wall time in seconds of RUNS runs of "$@"
	b=""
	i=0
	while [ $i -lt "$RUNS" ]; do
		s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
		t=$(awk "BEGIN { print $e - $s }")
		if [ -z "$b" ] || awk "BEGIN { exit !($t < $b) }"; then b=$t; fi
		i=$((i + 1))
	done
	echo "$b"
}
cat "$FILE" >/dev/null
v=$(best "$MX" codesign verify "$FILE")
h=$(best sha256sum "$FILE")
r=$(awk "BEGIN { printf \"%.2f\", $v / $h }")
printf 'codesign-verify %s %s %.4f %.4f %s\n' "$(basename "$FILE")" "$(wc -c <"$FILE")" "$v" "$h" "$r"
