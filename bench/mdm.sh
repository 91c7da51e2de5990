# bench/mdm.sh — the MDM agent's rows of `make bench`, sourced by
# bench/run.sh (it uses row, ok, $MX, $W, $B, $TESTDATA): against the
# conformance MDM server (B/mdmserver, plain http on loopback, SignMessage),
# side by side in one run, for 100, 1,000 and 10,000 devices
# (BENCH_MDM_SIZES to change; BENCH_QUICK=1 leaves out 10,000):
#   - the bare RSA-2048 key generation rate on every core (the limit for inline keys)
#   - enrolments/s, SCEP + Authenticate + TokenUpdate, with pooled keys, and inline
#     for 100 and 1,000 (10,000 inline would take the key rate's 10,000 / rate seconds)
#   - command round trips/s: one InstallProfile per device -> Acknowledged, through the engine
#   - one InstallProfile and one SecurityInfo per device, wall time
#   - the agent's peak RSS in each (GNU time's maximum resident set size)
# The 10,000-device fleet enrols with Keysize 1024 (the SCEP payload's default)
# unless BENCH_MDM_KEYSIZE_10K=2048: generating 10,000 RSA-2048 keys ahead
# takes longer than the rest of the bench together.
MDMS="$ROOT/$B/mdmserver"
CSPROF="$TESTDATA/profiles/kandji__crowdstrike_settings_with_kext.mobileconfig"
if [ ! -x "$MDMS" ] || [ ! -f "$CSPROF" ]; then
	echo "bench: no mdmserver or testdata: MDM agent rows left out" >&2
else
mdm_sizes=${BENCH_MDM_SIZES:-"100 1000 10000"}
[ "${BENCH_QUICK:-0}" = 1 ] && mdm_sizes=${BENCH_MDM_SIZES:-"100 1000"}
MDMAGENT="--start-spread 0"
mdm_srv() { # DIR KEYSIZE: a fresh server; sets CTL
	"$MDMS" --dir "$1/pki" --schema "$TESTDATA/apple-device-management/mdm" --keysize "$2" \
	    --keep-bodies 0 --ready-file "$1/ready.json" --profile-out "$1/enroll.mobileconfig" \
	    >"$1/log" 2>&1 &
	echo $! > "$1/pid"
	_i=0; while [ ! -s "$1/ready.json" ] && [ $_i -lt 200 ]; do sleep 0.05; _i=$((_i + 1)); done
	CTL=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['control_url'])" "$1/ready.json")
}
mdm_stop() { kill "$(cat "$1/pid")" 2>/dev/null; wait "$(cat "$1/pid")" 2>/dev/null; }
# timed STATE OUTFILE ARGS...: runs macext, leaves "seconds rss-MiB" in OUTFILE
timed() { _s=$1; _o=$2; shift 2
	/usr/bin/time -f '%e %M' -o "$_o" "$MX" --state "$_s" "$@" >/dev/null 2>"$_o.err"
	_rc=$?; awk '{ printf "%s %.0f\n", $1, $2 / 1024 }' "$_o" > "$_o.x"; mv "$_o.x" "$_o"; return $_rc; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
enqueue() { curl -s -X POST "$CTL/v1/enqueue/all" --data "$1" >/dev/null; }
acked() { curl -s "$CTL/v1/counters" | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["acknowledged"])'; }

# ---- the bare key generation rate (2048 bits, every core)
KG="$W/mdm-keys"
"$MX" --state "$KG" device create k >/dev/null
"$MX" --state "$KG" --json mdm keys generate --count 200 --bits 2048 > "$KG/out.json" 2>/dev/null
krate=$(python3 -c "import json; print('%.1f' % json.load(open('$KG/out.json'))['per_second'])")
row "RSA-2048 identity keys generated, $(nproc) cores (the limit of inline enrolment)" "$krate keys/s" "-" "-" "macext mdm keys generate --count 200"

for n in $mdm_sizes; do
	ks=2048
	[ "$n" -ge 10000 ] && ks=${BENCH_MDM_KEYSIZE_10K:-1024}
	# ---- pooled keys: enrolment, then commands
	D="$W/mdm-$n"; mkdir -p "$D"
	mdm_srv "$D" "$ks"
	S="$D/state"
	"$MX" --state "$S" fleet create --count "$n" --mix 'arm64:15.1:none=60%,x86_64:14.5:none=40%' \
	    --prefix m >/dev/null || echo "bench: fleet create $n failed" >&2
	"$MX" --state "$S" mdm keys generate --count "$n" --bits "$ks" >/dev/null 2>&1
	if timed "$S" "$D/enrol" fleet enroll --profile "$D/enroll.mobileconfig" --user-approved --insecure $MDMAGENT; then
		read -r secs rss < "$D/enrol"
		target="-"; verdict="-"
		if [ "$n" = 1000 ]; then target="< 30 s"; verdict=$(ok "$secs" 30 "<="); fi
		row "MDM enrolment, $n devices, pooled RSA-$ks keys (SCEP + Authenticate + TokenUpdate)" \
		    "$(rate "$n" "$secs")/s ($secs s, agent peak RSS $rss MiB)" "$target" "$verdict" \
		    "macext mdm keys generate --count $n; macext fleet enroll --profile P --user-approved"
	else
		row "MDM enrolment, $n devices, pooled keys" "failed: $(tail -n 1 "$D/enrol.err")" "-" "**no**" "macext fleet enroll"
	fi
	# one InstallProfile per device: round trips through the engine
	before=$(acked)
	enqueue "{\"request_type\": \"InstallProfile\", \"profile_file\": \"$CSPROF\"}"
	timed "$S" "$D/install" mdm agent --until idle $MDMAGENT
	read -r secs rss < "$D/install"
	got=$(( $(acked) - before ))
	row "MDM command round trips, $n devices (InstallProfile -> Acknowledged, the engine installs it)" \
	    "$(rate "$got" "$secs")/s ($got in $secs s, agent peak RSS $rss MiB)" "-" "-" \
	    "enqueue InstallProfile for all; macext mdm agent --until idle"
	# one InstallProfile and one SecurityInfo per device
	before=$(acked)
	enqueue "{\"request_type\": \"InstallProfile\", \"profile_file\": \"$CSPROF\"}"
	enqueue '{"request_type": "SecurityInfo"}'
	timed "$S" "$D/both" mdm agent --until idle $MDMAGENT
	read -r secs rss < "$D/both"
	got=$(( $(acked) - before ))
	target="-"; verdict="-"; rtarget="-"; rverdict="-"
	if [ "$n" = 10000 ]; then target="< 60 s"; verdict=$(ok "$secs" 60 "<=")
		rtarget="< 200 MiB"; rverdict=$(ok "$rss" 200 "<="); fi
	row "MDM InstallProfile + SecurityInfo on each of $n devices ($got results)" "$secs s" "$target" "$verdict" \
	    "enqueue InstallProfile and SecurityInfo for all; macext mdm agent --until idle"
	row "MDM agent peak RSS, $n devices (InstallProfile + SecurityInfo run)" "$rss MiB" "$rtarget" "$rverdict" \
	    "/usr/bin/time -f %M macext mdm agent --until idle"
	mdm_stop "$D"
	# ---- inline keys (the enrolment generates each RSA-2048 key), 100 and 1,000
	if [ "$n" -le 1000 ]; then
		D="$W/mdm-inline-$n"; mkdir -p "$D"
		mdm_srv "$D" 2048
		S="$D/state"
		"$MX" --state "$S" fleet create --count "$n" --mix 'arm64:15.1:none=100%' --prefix m >/dev/null
		if timed "$S" "$D/enrol" fleet enroll --profile "$D/enroll.mobileconfig" --user-approved --insecure $MDMAGENT; then
			read -r secs rss < "$D/enrol"
			row "MDM enrolment, $n devices, RSA-2048 keys generated inline" \
			    "$(rate "$n" "$secs")/s ($secs s, agent peak RSS $rss MiB)" "-" "-" \
			    "macext fleet enroll --profile P (empty key pool)"
		fi
		mdm_stop "$D"
	fi
done
fi
