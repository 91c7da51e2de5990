#!/bin/sh
# bench/mdmserver.sh BUILD-DIR — measures the conformance MDM server itself
# (tests/mdm/README.md), not the agent: for 100, 1,000 and 10,000 simulated
# devices (BENCH_SIZES to change), a fresh server, `mdmserver load` driving it
# with 64 connections: enrolment (Authenticate + TokenUpdate), one
# InstallProfile and one SecurityInfo per device, three Idle rounds, and 500
# SCEP PKCSReqs; the server's CPU seconds and peak RSS from /proc.  Prints a
# Markdown table and the raw JSON lines.
set -u
B=${1:-build}
cd "$(dirname "$0")/.." || exit 2
M="$PWD/$B/mdmserver"
[ -x "$M" ] || { echo "bench: $M missing (make $B/mdmserver)" >&2; exit 2; }
SCHEMA=${MDMSERVER_SCHEMA:-$PWD/../shared/testdata/apple-device-management/mdm}
W=$(mktemp -d /tmp/mdmserver-bench-XXXXXX)
trap 'rm -rf "$W"' EXIT
echo '| devices | enrol/s | InstallProfile+SecurityInfo devices/s | command requests/s | Idle requests/s | SCEP/s | server CPU s | server peak RSS MiB | errors |'
echo '|---|---|---|---|---|---|---|---|---|'
for n in ${BENCH_SIZES:-100 1000 10000}; do
	d="$W/$n"
	mkdir -p "$d"
	"$M" --dir "$d/pki" --schema "$SCHEMA" --ready-file "$d/ready.json" --keep-bodies 0 >"$d/log" 2>&1 &
	pid=$!
	i=0
	while [ ! -s "$d/ready.json" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	"$M" load --ready "$d/ready.json" --dir "$d/pki" --devices "$n" --concurrency 64 --scep 500 >"$d/load.json"
	rc=$?
	cpu=$(awk '{ printf "%.1f", ($14 + $15) / 100 }' "/proc/$pid/stat")
	rss=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
	kill "$pid"
	wait "$pid" 2>/dev/null
	python3 - "$d/load.json" "$n" "$cpu" "$rss" "$rc" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
print("| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %s | %s | %d%s |" % (
    sys.argv[2], j["enrolments_per_s"], j["devices_per_s_installprofile_and_securityinfo"],
    j["command_requests_per_s"], j["idle_requests_per_s"], j.get("scep_per_s", 0), sys.argv[3], sys.argv[4],
    j["errors"] + j["unexpected_replies"], "" if sys.argv[5] == "0" else " (exit %s)" % sys.argv[5]))
PY
done
for n in ${BENCH_SIZES:-100 1000 10000}; do
	tr -d '\n' <"$W/$n/load.json"
	echo
done
