# fleet_apply.sh — macext fleet apply: steps run in-process on every
# selected device, `when` conditions, expect-exit, a failing step stops
# that device only, steps files resolve paths next to themselves, the
# summary counts states and user actions; bundles are stored once.
. "$(dirname "$0")/lib.sh"

DATA=$(cd "$(dirname "$0")/../data/fleet" && pwd)
W="$TMP/work"
mkdir -p "$W"
cp "$DATA/kext-allow.mobileconfig" "$DATA/sysext-allow.mobileconfig" "$W/"
t create "$MX" fleet create --count 60 --prefix a \
    --mix 'arm64:15.1:automated=50%,arm64:14.5:none=25%,x86_64:12.7:device=25%'

cat > "$W/profiles.steps" <<'S'
# the kext allow list goes to every enrolled Mac (paths are relative to this file)
when enroll!=none mdm install-profile kext-allow.mobileconfig
# unenrolled Macs refuse MDM profiles: exit 70 is the expected outcome there
mdm install-profile sysext-allow.mobileconfig expect-exit 0,70
profiles list
S
t apply_profiles "$MX" fleet apply "$W/profiles.steps" --json
t_json steps_ran '[(s["ran"], s["skipped"], s["ok"], s["failed"]) for s in j["steps"]]' \
    '[[45, 15, 45, 0], [60, 0, 60, 0], [60, 0, 60, 0]]' printf '%s' "$OUT"
t_json exit_codes_counted 'j["steps"][1]["exit_codes"]' '{"0": 45, "70": 15}' printf '%s' "$OUT"
t_json all_completed '(j["completed"], j["failed"], j["devices"])' '[60, 0, 60]' printf '%s' "$OUT"
t_out profiles_installed 90 sqlite3 "$MACEXT_STATE/macext.db" "SELECT count(*) FROM profiles"
t_out profile_bodies_shared 2 sqlite3 "$MACEXT_STATE/macext.db" "SELECT count(DISTINCT body) FROM profiles"
t_json one_device_as_cli 'sorted(p["identifier"] for p in j)' \
    '["com.example.fleet.kext-policy", "com.example.fleet.sysext-policy"]' \
    "$MX" --device a-000001 profiles list --json

# a failing step stops that device, not the fleet; the run exits non-zero
cat > "$W/fail.steps" <<'S'
mdm remove-profile com.example.fleet.sysext-policy
mdm escrow-bootstrap-token
S
t_exit 70 apply_with_failures "$MX" fleet apply "$W/fail.steps" --devices 'enroll!=automated' --json
t_json failures_counted '(j["devices"], j["failed"], j["steps"][0]["failed"], j["steps"][1]["ran"])' \
    '[30, 15, 15, 15]' printf '%s' "$OUT"
t_json first_failure_named 'j["steps"][0]["first_failure"].split(":")[0]' a-000002 printf '%s' "$OUT"
t_out failing_step_rolled_back 30 sqlite3 "$MACEXT_STATE/macext.db" \
    "SELECT count(*) FROM profiles WHERE identifier = 'com.example.fleet.sysext-policy'"

# filters select devices; progress and summary
t apply_filtered "$MX" fleet apply "$W/profiles.steps" --devices 'a-00001*'
check_re summary_text '^fleet apply .*: 10 devices in' "$OUT"
check_re summary_steps 'exit 0: ' "$OUT"
t_exit 67 steps_missing "$MX" fleet apply "$W/nosuch.steps"
printf 'fleet create --count 3\n' > "$W/nested.steps"
t_exit 64 steps_no_fleet "$MX" fleet apply "$W/nested.steps"
printf 'device show expect-exit x\n' > "$W/badexp.steps"
t_exit 64 steps_bad_expect "$MX" fleet apply "$W/badexp.steps"
printf 'when colour=red device show\n' > "$W/badwhen.steps"
t_exit 64 steps_bad_when "$MX" fleet apply "$W/badwhen.steps"
# every step is typed when the plan loads: a command the table does not know,
# or arguments its command rejects, fail the plan naming file and line, before
# any device runs anything (even on a step no device would reach)
before_typed=$("$MX" store digest)
printf 'mdm install-profile kext-allow.mobileconfig\nwhen name=nothing kmutil load -x y\n' \
    > "$W/badargs.steps"
t_exit 64 steps_bad_args_at_load "$MX" fleet apply "$W/badargs.steps"
check_re steps_bad_args_named "badargs.steps:2: unexpected argument '-x'" "$ERR"
printf '# a host-side command is no step\nkext auxkc --out x\n' > "$W/hostside.steps"
t_exit 64 steps_host_side_refused "$MX" fleet apply "$W/hostside.steps"
check_re steps_host_side_named "hostside.steps:2: 'kext auxkc' is not a device operation" "$ERR"
printf 'teleport home\n' > "$W/unknown.steps"
t_exit 64 steps_unknown_refused "$MX" fleet apply "$W/unknown.steps"
check_re steps_unknown_named "unknown.steps:1: unknown command 'teleport'" "$ERR"
t_out plan_errors_changed_nothing "$before_typed" "$MX" store digest
# a failed run says so after the summary, also when an Apple tool failed last
printf 'kmutil load -b com.example.none.kext\n' > "$W/kmfail.steps"
t_exit 70 apply_kmutil_fails "$MX" fleet apply "$W/kmfail.steps" --devices 'a-00000*'
check_re apply_kmutil_failure_said 'fleet apply: 9 of 9 devices stopped at a step that failed' "$ERR"
check_re apply_kmutil_first_failure 'first failure: a-000001: exit [0-9]+: ' "$OUT"
t store_check_after_apply "$MX" store check

# I/O fault inside a fleet apply: whole batches or nothing, never half a device
before=$("$MX" store digest)
printf 'mdm remove-profile com.example.fleet.kext-policy\nmdm install-profile kext-allow.mobileconfig\n' \
    > "$W/cycle.steps"
MACEXT_FAULT=200 t_exit 74 apply_fault_fails "$MX" fleet apply "$W/cycle.steps" --devices 'enroll!=none' --batch 5
check_re apply_fault_message 'fleet apply \([0-9]+ of 45 devices done; the batch of 5 being applied was rolled back whole\): .*injected I/O fault at write 200' "$ERR"
# committed batches removed and reinstalled; the faulted batch was rolled back whole
t_out apply_fault_whole_batches 45 sqlite3 "$MACEXT_STATE/macext.db" \
    "SELECT count(*) FROM profiles WHERE identifier = 'com.example.fleet.kext-policy'"
t_out apply_fault_no_half_device 0 sqlite3 "$MACEXT_STATE/macext.db" \
    "SELECT count(*) FROM devices d WHERE enroll <> 'none' AND NOT EXISTS (SELECT 1 FROM profiles p WHERE p.device_id = d.id AND p.identifier = 'com.example.fleet.kext-policy')"
t store_check_after_fault "$MX" store check
