# crash_points.sh — the crash-safety harness (tests/stress/crash.c) at
# `make check` scale: random operation sequences over a 3-device fleet,
# SIGKILLed at store writes (MACEXT_FAULT + MACEXT_FAULT_KILL) and by timer;
# after each kill the store must open, `store check` must hold and the
# state must equal the uninterrupted run's after the last reported
# operation (or the one in flight).  At least 1,000 kill points.
# CRASH_SEQUENCES / CRASH_KILLS scale it (`make stress` raises them).  Timer
# kills land further along on a fast, idle machine, so fewer kill points fit
# in a sequence there (seen: 17 per sequence idle, 39 under load): 80
# sequences keep an idle run well above 1,000.
. "$(dirname "$0")/lib.sh"

DATA=$(cd "$(dirname "$0")/../data/fleet" && pwd)
# kills simulate a process crash (the page cache survives), so a RAM disk
# keeps the fsyncs cheap
ROOT=$TMP
[ -d /dev/shm ] && [ -w /dev/shm ] && ROOT=/dev/shm
MAT="$TMP/material"
mkdir -p "$MAT"
OPS="$TMP/ops"
cat > "$OPS" <<OPS
device create extra{dev} --arch arm64 --os 14.5
device delete extra{dev}
mdm enroll --device {dev} --method automated
mdm enroll --device {dev} --method device --user-approved
mdm enroll --device {dev} --method device
mdm unenroll --device {dev}
mdm escrow-bootstrap-token --device {dev}
mdm install-profile --device {dev} $DATA/kext-allow.mobileconfig
mdm install-profile --device {dev} $DATA/sysext-allow.mobileconfig
mdm remove-profile --device {dev} com.example.fleet.kext-policy
mdm remove-profile --device {dev} com.example.fleet.sysext-policy
mdm restart --device {dev} --rebuild-kernel-cache
restart --device {dev}
recovery --device {dev} --via power-button
security set reduced --kext-user-management --device {dev} --as admin:admin
OPS
# signed bundles once forge exists: kexts and an app with a system extension
if "$MX" forge ca "$MAT/ca" >/dev/null 2>&1 &&
   "$MX" forge kext "$MAT/Fleet.kext" --bundle-id com.example.fleet.kext --team FLEETTEAM1 \
       --ca "$MAT/ca" --arch fat >/dev/null 2>&1; then
	cat >> "$OPS" <<OPS
kext install --device {dev} $MAT/Fleet.kext
kmutil load --device {dev} -b com.example.fleet.kext
approve kext com.example.fleet.kext --device {dev} --as admin:admin
restart --device {dev}
OPS
	if "$MX" forge sysext "$MAT/com.example.fleet.ext.systemextension" --bundle-id \
	       com.example.fleet.ext --team FLEETTEAM1 --category endpoint-security --ca "$MAT/ca" \
	       >/dev/null 2>&1 &&
	   "$MX" forge app "$MAT/FleetApp.app" --bundle-id com.example.fleet.app --team FLEETTEAM1 \
	       --ca "$MAT/ca" --embed "$MAT/com.example.fleet.ext.systemextension" >/dev/null 2>&1; then
		cat >> "$OPS" <<OPS
app install --device {dev} $MAT/FleetApp.app
sysext activate --device {dev} com.example.fleet.app com.example.fleet.ext
approve sysext com.example.fleet.ext --device {dev} --as admin:admin
OPS
	fi
fi
# The 1,000+ kill points run on the unsanitized build (make check builds
# build/crash): under ASan every fork and exit costs ~10x more.  The
# sanitized driver runs a short round too, for memory errors on the way.
CRASH=$BIN/../build/crash
[ -x "$CRASH" ] || CRASH=$BIN/crash
"$CRASH" "$OPS" --sequences "${CRASH_SEQUENCES:-80}" --ops 40 \
    --kills-per-seq "${CRASH_KILLS:-50}" --devices 3 --seed "${CRASH_SEED:-1}" --dir "$ROOT" \
    >"$TMP/crash.out" 2>&1
rc=$?
grep -E '^(FAIL|  )' "$TMP/crash.out" | head -n 40
kills=$(sed -n 's/.* \([0-9][0-9]*\) kill points.*/\1/p' "$TMP/crash.out")
echo "  $(grep '^crash:' "$TMP/crash.out")"
check harness_exit_0 test "$rc" -eq 0
check at_least_1000_kill_points test "${kills:-0}" -ge "${CRASH_MIN_KILLS:-1000}"
"$BIN/crash" "$OPS" --sequences 2 --ops 25 --kills-per-seq 10 --devices 2 --seed 7 \
    --dir "$ROOT" >"$TMP/crash-asan.out" 2>&1
rc=$?
grep -E '^(FAIL|  )|ERROR: AddressSanitizer|runtime error' "$TMP/crash-asan.out" | head -n 20
check sanitized_round_exit_0 test "$rc" -eq 0
