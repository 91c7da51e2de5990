#!/bin/sh
# bench/run.sh BUILD-DIR — `make bench`: one table, every row measured side
# by side in this run, with the command that reproduces it.
#   BENCH_QUICK=1 leaves out the 100,000-device rollout (about a minute) and the
#                 10,000-device MDM agent rows (several minutes)
#   BENCH_KEEP=1  keeps the work directory
# Times are wall clock medians of hyperfine when installed, else of a loop;
# the policy row counts CPU time of one core.
set -u
B=${1:-build}
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
MX="$ROOT/$B/macext"
[ -x "$MX" ] || { echo "bench: $MX missing (make first)" >&2; exit 2; }
W=$(mktemp -d /tmp/macext-bench-XXXXXX)
[ "${BENCH_KEEP:-0}" = 1 ] || trap 'rm -rf "$W"' EXIT
TESTDATA=${MACEXT_TESTDATA:-$ROOT/../shared/testdata}
ROWS="$W/rows"
: > "$ROWS"
row() { printf '| %s | %s | %s | %s | `%s` |\n' "$1" "$2" "$3" "$4" "$5" >> "$ROWS"; echo "bench: $1: $2" >&2; }
ok() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { r = (op == "<=") ? (v <= t) : (v >= t); print r ? "yes" : "**no**" }'; }

# median wall seconds of a command (hyperfine if present)
timeit() {  # timeit RUNS PREPARE CMD
	runs=$1; prep=$2; shift 2
	if command -v hyperfine >/dev/null 2>&1; then
		if [ -n "$prep" ]; then
			hyperfine -N -w 1 -r "$runs" --prepare "$prep" --export-json "$W/h.json" "$*" >/dev/null 2>&1
		else
			hyperfine -N -w 1 -r "$runs" --export-json "$W/h.json" "$*" >/dev/null 2>&1
		fi
		python3 -c "import json; print('%.4f' % json.load(open('$W/h.json'))['results'][0]['median'])"
	else
		python3 - "$runs" "$prep" "$@" <<'PY'
import subprocess, sys, time
runs, prep, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
ts = []
for _ in range(runs):
    if prep: subprocess.run(prep, shell=True)
    t = time.perf_counter(); subprocess.run(cmd, stdout=subprocess.DEVNULL); ts.append(time.perf_counter() - t)
print('%.4f' % sorted(ts)[len(ts) // 2])
PY
	fi
}

echo "bench: work directory $W" >&2
"$MX" forge ca "$W/ca" >/dev/null || exit 1

# ---- 1. policy decisions per second (pure core, one core) ----
CFL="-std=c11 -D_GNU_SOURCE -O2 -Iinclude -Isrc $(pkg-config --cflags libplist-2.0 openssl)"
# the Makefile's link (libarchive, libcurl, libmicrohttpd, libssl and libnghttp2
# are opened on first use: src/formats/dl.h)
LIBS="$(pkg-config --libs libplist-2.0 libcrypto sqlite3 jansson libsodium yaml-0.1) -lpthread -lm"
if cc $CFL -o "$W/policy" bench/policy.c "$B/libmacext.a" $LIBS; then
	"$W/policy" 20000000 > "$W/policy.out"
	sx=$(awk '$1 == "sysext" { printf "%.1f", $2 / 1e6 }' "$W/policy.out")
	kx=$(awk '$1 == "kext" { printf "%.1f", $2 / 1e6 }' "$W/policy.out")
	row "policy decisions/s, system extensions (mx_sx_decide)" "${sx} M/s" "> 5 M/s" "$(ok "$sx" 5 ">=")" "cc bench/policy.c $B/libmacext.a && ./policy"
	row "policy decisions/s, kexts (mx_kext_load)" "${kx} M/s" "> 5 M/s" "$(ok "$kx" 5 ">=")" "cc bench/policy.c $B/libmacext.a && ./policy"
fi

# ---- 2. fleet rollout throughput ----
"$MX" forge kext "$W/Fleet.kext" --bundle-id com.example.fleet.kext --team FLEETTEAM1 \
    --ca "$W/ca" --arch fat >/dev/null || exit 1
cp bench/rollout.steps tests/data/fleet/kext-allow.mobileconfig "$W/"
MIX='arm64:15.1:automated=40%,arm64:14.5:device=30%,x86_64:12.7:none=30%'
sizes="1000 10000 100000"
[ "${BENCH_QUICK:-0}" = 1 ] && sizes="1000 10000"
for n in $sizes; do
	S="$W/fleet-$n"
	"$MX" --state "$S" fleet create --count "$n" --mix "$MIX" --prefix m \
	    --trust-anchor "$W/ca/root.pem" >/dev/null || exit 1
	/usr/bin/time -f '%e %M' -o "$W/time-$n" "$MX" --state "$S" fleet apply "$W/rollout.steps" \
	    --json > "$W/apply-$n.json" 2>/dev/null
	secs=$(awk '{ print $1 }' "$W/time-$n"); rss=$(awk '{ printf "%.0f", $2 / 1024 }' "$W/time-$n")
	loaded=$(python3 -c "import json; print(json.load(open('$W/apply-$n.json'))['kext_states'].get('loaded', 0))")
	total=$(du -sk "$S" | awk '{ print $1 }'); cas=$(du -sk "$S/cas" | awk '{ print $1 }')
	per=$(awk -v t="$total" -v c="$cas" -v n="$n" 'BEGIN { printf "%.1f", (t - c) * 1024 / n / 1024 }')
	rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
	target="-"; verdict="-"
	if [ "$n" = 10000 ]; then target="< 10 s"; verdict=$(ok "$secs" 10 "<="); fi
	row "fleet kext rollout, $n devices (device-flows/s)" "$rate/s ($secs s, $loaded loaded)" "$target" "$verdict" "macext fleet create --count $n --mix '$MIX' && macext fleet apply bench/rollout.steps"
	row "disk per device beyond shared bundles, $n devices" "$per KiB" "< 8 KiB" "$(ok "$per" 8 "<=")" "du -sk STATE STATE/cas"
	row "peak RSS of fleet apply, $n devices" "$rss MiB" "< 200 MiB" "$(ok "$rss" 200 "<=")" "/usr/bin/time -f %M macext fleet apply ..."
done

# the same fleet size with a system extension (informational: no target)
"$MX" forge sysext "$W/com.example.fleet.ext.systemextension" --bundle-id com.example.fleet.ext \
    --team FLEETTEAM1 --category endpoint-security --ca "$W/ca" >/dev/null &&
"$MX" forge app "$W/FleetApp.app" --bundle-id com.example.fleet.app --team FLEETTEAM1 \
    --ca "$W/ca" --embed "$W/com.example.fleet.ext.systemextension" >/dev/null || exit 1
cp bench/sysext-rollout.steps tests/data/fleet/sysext-allow.mobileconfig "$W/"
S="$W/sx-10000"
"$MX" --state "$S" fleet create --count 10000 --mix "$MIX" --prefix m \
    --trust-anchor "$W/ca/root.pem" >/dev/null || exit 1
/usr/bin/time -f '%e' -o "$W/time-sx" "$MX" --state "$S" fleet apply "$W/sysext-rollout.steps" \
    --json > "$W/apply-sx.json" 2>/dev/null
secs=$(cat "$W/time-sx")
on=$(python3 -c "import json; print(json.load(open('$W/apply-sx.json'))['sysext_states'].get('activated_enabled', 0))")
rate=$(awk -v s="$secs" 'BEGIN { printf "%.0f", 10000 / s }')
row "fleet system extension rollout, 10000 devices (device-flows/s)" "$rate/s ($secs s, $on activated_enabled)" "-" "-" "macext fleet create --count 10000 --mix '$MIX' && macext fleet apply bench/sysext-rollout.steps"

# ---- 2b. preflight ÷ fleet apply (bench/preflight.sh) ----
. "$ROOT/bench/preflight.sh"

# ---- 3. code-signature verification ÷ sha256sum, ~100 MB signed binary ----
"$MX" forge kext "$W/Big.kext" --bundle-id com.example.big --team FLEETTEAM1 --ca "$W/ca" \
    --arch x86_64 --extra-code 100000000 >/dev/null || exit 1
BIG="$W/Big.kext/Contents/MacOS/big"
cs=$(timeit 5 "" "$MX" codesign verify "$BIG" --trust-anchor "$W/ca/root.pem")
sh=$(timeit 5 "" sha256sum "$BIG")
r=$(awk -v a="$cs" -v b="$sh" 'BEGIN { printf "%.2f", a / b }')
row "codesign verify ÷ sha256sum ($(du -m "$BIG" | cut -f1) MB Developer ID kext)" "$r ($cs s / $sh s)" "≤ 1.3" "$(ok "$r" 1.3 "<=")" "macext codesign verify BIG --trust-anchor root.pem vs sha256sum BIG"

# ---- 4. profile parse + validate ÷ plistutil conversion, same vendor files ----
# In one process, side by side (bench/profiles.c): the work of `macext
# profiles validate F` (its command function: read, parse, CMS when signed,
# envelope, schema validation, report to /dev/null) against the work of
# `plistutil -i F -o /dev/null` (libplist parse + convert + write).  Also,
# for readers, one process per file on both sides: there start-up dominates.
if ls "$TESTDATA"/profiles/*.mobileconfig >/dev/null 2>&1; then
	ls "$TESTDATA"/profiles/*.mobileconfig > "$W/profiles.list"
	np=$(wc -l < "$W/profiles.list")
	TOOLS_OBJ="$(ls "$B"/obj/src/tools/*.o | grep -v '/main\.o$') $B/obj/src/daemon/*.o $B/obj/gen/page_assets.o"
	if cc $CFL $(pkg-config --cflags jansson) -o "$W/profiles" bench/profiles.c $TOOLS_OBJ \
	    "$B/libmacext.a" $LIBS && "$W/profiles" 300 $(cat "$W/profiles.list") > "$W/profiles.out"; then
		v=$(awk '$1 == "validate_us" { print $2 }' "$W/profiles.out")
		p=$(awk '$1 == "plistutil_us" { print $2 }' "$W/profiles.out")
		r=$(awk -v a="$v" -v b="$p" 'BEGIN { printf "%.2f", a / b }')
		row "profiles validate ÷ plistutil, in-process work per file ($np vendor profiles)" \
		    "$r ($v µs / $p µs per file)" "≤ 1.0" "$(ok "$r" 1.0 "<=")" \
		    "cc bench/profiles.c $B/obj/src/tools/*.o (not main.o) $B/libmacext.a && ./profiles 300 ../shared/testdata/profiles/*.mobileconfig"
	fi
	printf 'while read f; do "%s" profiles validate "$f" >/dev/null 2>&1; done < "%s"\n' "$MX" "$W/profiles.list" > "$W/pv.sh"
	printf 'while read f; do plistutil -i "$f" -o /dev/null; done < "%s"\n' "$W/profiles.list" > "$W/pu.sh"
	pv=$(timeit 10 "" sh "$W/pv.sh"); pu=$(timeit 10 "" sh "$W/pu.sh")
	r=$(awk -v a="$pv" -v b="$pu" 'BEGIN { printf "%.2f", a / b }')
	pvf=$(awk -v a="$pv" -v n="$np" 'BEGIN { printf "%.2f", a * 1000 / n }')
	puf=$(awk -v a="$pu" -v n="$np" 'BEGIN { printf "%.2f", a * 1000 / n }')
	row "informational: the same, one process per file (start-up included)" \
	    "$r ($pvf ms macext profiles validate F / $puf ms plistutil -i F -o /dev/null, per file)" "-" "-" \
	    "for F: macext profiles validate F; for F: plistutil -i F -o /dev/null"
else
	row "profiles validate ÷ plistutil" "skipped: ../shared/testdata absent" "≤ 1.0" "-" "-"
fi

# ---- 4b. profile install ÷ parse, 16 MiB profiles (issue 14 §8) ----
# CPU seconds (user + system) of `macext mdm install-profile F` on a fresh
# enrolled Mac against the CPU seconds of reading the same file in-process
# (bench/parse.c: mx_profile_read_file), the median of 3 each.  Two shapes
# forged by bench/bigprofile.py: one kext allow list (~530,000 entries,
# merged when asked, no store row each: docs/performance.md), and ~40,000
# Wi-Fi payloads.
cc $CFL -o "$W/parse" bench/parse.c "$B/libmacext.a" $LIBS || exit 1
for shape in kext wifi; do
	if [ "$shape" = kext ]; then
		python3 bench/bigprofile.py bytes 16000000 > "$W/big-$shape.mobileconfig"
		what="one kext allow list"
	else
		python3 bench/bigprofile.py wifi 39500 > "$W/big-$shape.mobileconfig"
		what="Wi-Fi payloads"
	fi
	F="$W/big-$shape.mobileconfig"
	mb=$(awk -v b="$(wc -c < "$F")" 'BEGIN { printf "%.1f", b / 1048576 }')
	ps=$("$W/parse" 3 "$F" | awk '$1 == "parse_s" { print $2 }')
	ins=""
	for r in 1 2 3; do
		S="$W/big-$shape-$r"
		"$MX" --state "$S" device create m --arch x86_64 --os 14.5 >/dev/null
		"$MX" --state "$S" mdm enroll --method device --user-approved >/dev/null
		/usr/bin/time -f '%U %S' -o "$W/t-$shape" "$MX" --state "$S" mdm install-profile "$F" \
		    >/dev/null 2>&1 || echo "bench: install of $F failed" >&2
		ins="$ins $(awk '{ printf "%.3f", $1 + $2 }' "$W/t-$shape")"
		rm -rf "$S"
	done
	# shellcheck disable=SC2086
	is=$(printf '%s\n' $ins | sort -n | sed -n 2p)
	r=$(awk -v a="$is" -v b="$ps" 'BEGIN { printf "%.2f", a / b }')
	row "profile install ÷ parse, $mb MiB profile of $what (CPU)" "$r ($is s / $ps s)" "≤ 3" \
	    "$(ok "$r" 3 "<=")" "python3 bench/bigprofile.py ...; macext mdm install-profile F vs bench/parse.c F"
done

# ---- 5. AuxKC build ÷ cat of the same kexts ----
# kmutil create -n aux (developer use): the collection file from 8 ~4 MB
# kexts, linked against the device's boot KC; -z skips signature validation
K="$W/auxkc"; mkdir -p "$K"
"$MX" --state "$K/s" device create bench --arch x86_64 --os 14.5 --trust-anchor "$W/ca/root.pem" >/dev/null
KP=""
for i in 1 2 3 4 5 6 7 8; do
	"$MX" forge kext "$K/K$i.kext" --bundle-id "com.example.k$i" --team FLEETTEAM1 --ca "$W/ca" \
	    --arch x86_64 --extra-code 4000000 >/dev/null || exit 1
	KP="$KP -p $K/K$i.kext"
done
# the file names written out: the baseline is one cat(1) and its shell, nothing else
printf 'cat %s > "%s/cat.out"\n' "$(ls "$K"/K*.kext/Contents/MacOS/* | tr '\n' ' ')" "$K" > "$K/cat.sh"
mb=$(du -cm "$K"/K*.kext/Contents/MacOS/* | tail -1 | cut -f1)
# Three alternating rounds of cat, build with -z, build with validation (10
# runs each); each figure is the median of its three medians, so a burst of
# load from other processes lands on one round, not on one side.
med3() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
cts=""; azs=""; aas=""
for round in 1 2 3; do
	cts="$cts $(timeit 10 "" sh "$K/cat.sh")"
	# shellcheck disable=SC2086
	azs="$azs $(timeit 10 "" "$MX" --state "$K/s" kmutil create -n aux -z -A "$K/aux.kc" $KP)"
	# shellcheck disable=SC2086
	aas="$aas $(timeit 10 "" "$MX" --state "$K/s" kmutil create -n aux -A "$K/aux-auth.kc" $KP)"
done
# shellcheck disable=SC2086
ct=$(med3 $cts); az=$(med3 $azs); aa=$(med3 $aas)
"$MX" --state "$K/s" kmutil inspect -A "$K/aux.kc" 2>/dev/null | grep -q 'com.example.k8' || echo "bench: AuxKC check failed" >&2
"$MX" --state "$K/s" kmutil inspect -A "$K/aux-auth.kc" 2>/dev/null | grep -q 'com.example.k8' || echo "bench: authenticated AuxKC check failed" >&2
r=$(awk -v a="$az" -v b="$ct" 'BEGIN { printf "%.2f", a / b }')
row "AuxKC build (kmutil create -z) ÷ cat of the same 8 kexts ($mb MB)" "$r ($az s / $ct s)" "≤ 1.5" "$(ok "$r" 1.5 "<=")" "macext kmutil create -n aux -z -A OUT -p K1.kext ... -p K8.kext vs cat K*/Contents/MacOS/* > file"
r=$(awk -v a="$aa" -v b="$ct" 'BEGIN { printf "%.2f", a / b }')
row "AuxKC build with signature validation (kmutil create) ÷ cat ($mb MB)" "$r ($aa s / $ct s)" "-" "-" "macext kmutil create -n aux -A OUT -p K1.kext ... -p K8.kext vs cat K*/Contents/MacOS/* > file"

# ---- 6. start-up ----
# hyperfine without a shell, 10 warm-up runs then 300; mean (the target) and min
"$MX" --state "$W/one" device create one >/dev/null
if command -v hyperfine >/dev/null 2>&1; then
	hyperfine -N -w 10 -r 300 --export-json "$W/startup.json" "$MX --state $W/one device show" >/dev/null 2>&1
	mean=$(python3 -c "import json; print('%.2f' % (json.load(open('$W/startup.json'))['results'][0]['mean'] * 1000))")
	min=$(python3 -c "import json; print('%.2f' % (json.load(open('$W/startup.json'))['results'][0]['min'] * 1000))")
	ms=$mean; res="$mean ms mean, $min ms min (300 runs)"
else
	ms=$(awk -v s="$(timeit 300 "" "$MX" --state "$W/one" device show)" 'BEGIN { printf "%.2f", s * 1000 }')
	res="$ms ms median (300 runs; install hyperfine for mean and min)"
fi
row "start-up: macext device show" "$res" "< 5 ms" "$(ok "$ms" 5 "<=")" "hyperfine -N -w 10 -r 300 'macext device show'"

# ---- 7. the MDM agent against the conformance MDM server (bench/mdm.sh) ----
. "$ROOT/bench/mdm.sh"

# ---- 8. macext serve under wrk, beside the CLI (bench/serve.sh) ----
. "$ROOT/bench/serve.sh"

echo
echo "macext benchmarks — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| measure | result | target | met | reproduce |"
echo "|---|---|---|---|---|"
cat "$ROWS"
