# bench/serve.sh — the daemon's rows of `make bench`, sourced by bench/run.sh
# (it uses row, ok, timeit, $MX, $W): `macext serve` on loopback driven by
# wrk (Debian's wrk) at 64 connections, side by side with the same work
# through the CLI, one process per request:
#   - GET one device (/api/v1/devices/m-000001)          target >= 20,000/s, p99 < 5 ms
#   - GET the fleet page of 100 (/api/v1/devices?limit=100&after=m-050000)
#   - POST approve: each request allows a different Mac's blocked kext
#   - the daemon's peak RSS (VmHWM) after all of it, over a 100,000-device fleet: < 200 MiB
# BENCH_SERVE_DEVICES (100000) sizes the fleet; BENCH_QUICK=1 uses 20,000.
# The first 50,000 Macs (m-000001...) get a kext blocked awaiting approval
# (fleet apply: kext install, kmutil load -> 27).
# Alone: `sh bench/serve.sh [BUILD-DIR]` prints just these rows.
SERVE_ALONE=0
if ! command -v row >/dev/null 2>&1; then
	SERVE_ALONE=1
	set -u
	B=${1:-build}
	cd "$(dirname "$0")/.." || exit 2
	ROOT=$PWD
	MX="$ROOT/$B/macext"
	W=$(mktemp -d /tmp/macext-bench-serve-XXXXXX)
	trap 'rm -rf "$W"' EXIT
	ROWS="$W/rows"
	: > "$ROWS"
	row() { printf '| %s | %s | %s | %s | `%s` |\n' "$1" "$2" "$3" "$4" "$5" >> "$ROWS"; echo "bench: $1: $2" >&2; }
	ok() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { r = (op == "<=") ? (v <= t) : (v >= t); print r ? "yes" : "**no**" }'; }
	eval "$(sed -n '/^timeit() {/,/^}/p' bench/run.sh)"
	"$MX" forge ca "$W/ca" >/dev/null || exit 1
fi
if ! command -v wrk >/dev/null 2>&1; then
	echo "bench: wrk is not installed (Debian package wrk): serve rows left out" >&2
else
SN=${BENCH_SERVE_DEVICES:-100000}
[ "${BENCH_QUICK:-0}" = 1 ] && SN=${BENCH_SERVE_DEVICES:-20000}
SV="$W/serve"
mkdir -p "$SV"
"$MX" forge kext "$SV/Approve.kext" --bundle-id com.example.approve.kext --team APPROVE001 \
    --ca "$W/ca" --arch x86_64 >/dev/null || exit 1
"$MX" --state "$SV/s" fleet create --count "$SN" --mix 'x86_64:12.7:none=100%' --prefix m \
    --trust-anchor "$W/ca/root.pem" >/dev/null || exit 1
printf 'kext install %s/Approve.kext\nkmutil load -b com.example.approve.kext expect-exit 27\n' "$SV" \
    > "$SV/block.steps"
"$MX" --state "$SV/s" fleet apply "$SV/block.steps" --devices 'name=m-0[0-4]*' >/dev/null 2>&1 ||
    echo "bench: fleet apply of the blocked kexts failed" >&2
"$MX" --state "$SV/s" serve --listen 127.0.0.1:0 --ready-file "$SV/ready.json" 2>"$SV/serve.log" &
SPID=$!
_i=0; while [ ! -s "$SV/ready.json" ] && [ $_i -lt 200 ]; do sleep 0.05; _i=$((_i + 1)); done
SPORT=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['port'])" "$SV/ready.json")
TOKEN=$(cat "$SV/s/serve.token")
U="http://127.0.0.1:$SPORT"
wrkrun() { # OUT DURATION URL [APPROVE-ID]
	_o=$1; _d=$2; _u=$3
	if [ -n "${4:-}" ]; then
		APPROVE=$4 TOKEN=$TOKEN THREADS=2 wrk -t2 -c64 -d"$_d" -s bench/serve.lua "$_u" > "$_o" 2>&1
	else
		THREADS=2 wrk -t2 -c64 -d"$_d" -s bench/serve.lua "$_u" > "$_o" 2>&1
	fi
	tail -n 1 "$_o"
}
jf() { python3 -c "import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))" "$1" "$2"; }
curl -s "$U/api/v1/devices/m-000001" >/dev/null   # warm: each worker opens its engine at first use
wrkrun "$SV/w0" 2s "$U/api/v1/devices/m-000001" >/dev/null
J=$(wrkrun "$SV/w1" 10s "$U/api/v1/devices/m-000001")
rps=$(jf "$J" '"%.0f" % (j["requests"] / j["seconds"])'); p99=$(jf "$J" '"%.2f" % j["p99_ms"]')
bad=$(jf "$J" 'j["non2xx"] + j["errors"]')
row "serve: GET one device, 64 connections (wrk)" "$rps req/s, p99 $p99 ms ($bad not 200)" "≥ 20000/s, p99 < 5 ms" \
    "$( [ "$(ok "$rps" 20000 ">=")" = yes ] && [ "$(ok "$p99" 5 "<=")" = yes ] && echo yes || echo '**no**')" \
    "wrk -t2 -c64 -d10s -s bench/serve.lua http://127.0.0.1:PORT/api/v1/devices/m-000001"
J=$(wrkrun "$SV/w2" 10s "$U/api/v1/devices?limit=100&after=m-050000")
rps=$(jf "$J" '"%.0f" % (j["requests"] / j["seconds"])'); p99=$(jf "$J" '"%.2f" % j["p99_ms"]')
bad=$(jf "$J" 'j["non2xx"] + j["errors"]')
row "serve: GET the fleet page of 100 of $SN devices, 64 connections" "$rps req/s, p99 $p99 ms ($bad not 200)" "-" "-" \
    "wrk -t2 -c64 -d10s 'http://127.0.0.1:PORT/api/v1/devices?limit=100&after=m-050000'"
J=$(wrkrun "$SV/w3" 5s "$U" com.example.approve.kext)
rps=$(jf "$J" '"%.0f" % (j["requests"] / j["seconds"])'); p99=$(jf "$J" '"%.2f" % j["p99_ms"]')
bad=$(jf "$J" 'j["non2xx"] + j["errors"]'); nreq=$(jf "$J" 'j["requests"]')
row "serve: POST approve kext (a different Mac each), 64 connections" "$rps req/s, p99 $p99 ms ($nreq requests, $bad not 200)" "-" "-" \
    "APPROVE=com.example.approve.kext TOKEN=... wrk -t2 -c64 -d5s -s bench/serve.lua http://127.0.0.1:PORT"
# the whole fleet: the summary, and every device a page of 1,000 at a time
s=$(timeit 5 "" curl -s -o /dev/null "$U/api/v1/fleet")
row "serve: GET /api/v1/fleet (fleet summary of $SN devices)" "$(awk -v s="$s" 'BEGIN { printf "%.0f ms", s * 1000 }')" "-" "-" \
    "curl http://127.0.0.1:PORT/api/v1/fleet"
python3 - "$U" > "$SV/walk" <<'PY'
import json, sys, time, urllib.request
u, url, n, t = sys.argv[1], "/api/v1/devices?limit=1000", 0, time.time()
while url:
    r = urllib.request.urlopen(u + url)
    n += len(json.load(r))
    link = r.headers.get("Link")
    url = link[1:link.index(">")] if link else None
print(n, "%.2f" % (time.time() - t))
PY
row "serve: every device, pages of 1,000 following Link (bounded memory)" "$(awk '{ printf "%d devices in %s s", $1, $2 }' "$SV/walk")" "-" "-" \
    "GET /api/v1/devices?limit=1000, then each rel=next"
rss=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$SPID/status")
row "serve: daemon peak RSS, $SN-device fleet, after the rows above" "$rss MiB" "< 200 MiB" "$(ok "$rss" 200 "<=")" \
    "grep VmHWM /proc/PID/status"
kill -TERM "$SPID"; wait "$SPID" || echo "bench: serve did not stop cleanly" >&2
# the same work through the CLI, one process per request
s=$(timeit 100 "" "$MX" --state "$SV/s" device show m-000001 --json)
rate=$(awk -v s="$s" 'BEGIN { printf "%.0f", 1 / s }')
row "CLI: device show --json, one process per request (sequential)" "$rate/s ($(awk -v s="$s" 'BEGIN { printf "%.2f", s * 1000 }') ms each)" "-" "-" \
    "macext device show m-000001 --json"
s=$(timeit 50 "" "$MX" --state "$SV/s" device list --json)
row "CLI: device list --json of all $SN devices (the CLI has no page)" "$(awk -v s="$s" 'BEGIN { printf "%.0f ms", s * 1000 }')" "-" "-" \
    "macext device list --json"
t0=$(date +%s.%N)
for i in $(seq 49001 49200); do
	"$MX" --state "$SV/s" --device "$(printf 'm-%06d' "$i")" approve kext com.example.approve.kext \
	    --as admin:admin >/dev/null 2>&1
done
t1=$(date +%s.%N)
rate=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", 200 / (b - a) }')
row "CLI: approve kext, one process per request (200 Macs, sequential)" "$rate/s" "-" "-" \
    "macext --device m-0NNNNN approve kext com.example.approve.kext --as admin:admin"
fi
if [ "$SERVE_ALONE" = 1 ]; then
	echo
	echo "macext serve benchmarks — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	echo "| measure | result | target | met | reproduce |"
	echo "|---|---|---|---|---|"
	cat "$ROWS"
fi
