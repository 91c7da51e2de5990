# preflight_findings.sh — macext preflight over the vendors' profiles
# (../shared/testdata/profiles) and bundles forged with the vendors'
# identities: for each finding a plan that produces it and one that does
# not (table below), the exit codes 0/1/2, the person steps found by doing
# them, the plan parser's file:line:key messages, and that the given state
# is never touched.
. "$(dirname "$0")/lib.sh"
need_testdata plans || exit 0
P="$TESTDATA/profiles"
W="$TMP/w"; mkdir -p "$W"; cd "$W" || exit 1
"$MX" forge ca ca >/dev/null
forge() { "$MX" forge "$@" --ca ca --arch fat-arm64e >/dev/null || echo "FAIL $CASE.forge $*"; }
# CrowdStrike Falcon: an Endpoint Security extension in its app (Team X9E956P446)
forge sysext com.crowdstrike.falcon.Agent.systemextension --bundle-id com.crowdstrike.falcon.Agent \
    --team X9E956P446 --category endpoint-security
forge app Falcon.app --bundle-id com.crowdstrike.falcon.App --team X9E956P446 \
    --embed com.crowdstrike.falcon.Agent.systemextension
# the same extension signed by another team, and one whose bundle name is wrong
forge sysext other/com.crowdstrike.falcon.Agent.systemextension --bundle-id com.crowdstrike.falcon.Agent \
    --team AAAAAAAAAA --category endpoint-security
forge app Wrong.app --bundle-id com.crowdstrike.falcon.App --team AAAAAAAAAA \
    --embed other/com.crowdstrike.falcon.Agent.systemextension
forge sysext Agent.systemextension --bundle-id com.crowdstrike.falcon.Agent --team X9E956P446 \
    --category endpoint-security
forge app Misnamed.app --bundle-id com.crowdstrike.falcon.App --team X9E956P446 --embed Agent.systemextension
# VirtualBox's kext (Team VB5E2TV963)
forge kext VBoxDrv.kext --bundle-id org.virtualbox.kext.VBoxDrv --team VB5E2TV963
cp "$P/kandji__crowdstrike_settings.mobileconfig" cs.mobileconfig
cp "$P/kandji__crowdstrike_settings_macOS15.mobileconfig" cs15.mobileconfig
cp "$P/kandji__VirtualBox.mobileconfig" vbox.mobileconfig
# a second system extension policy that locks user approval
cat > lock.mobileconfig <<'X'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>PayloadContent</key><array><dict>
<key>AllowUserOverrides</key><false/>
<key>AllowedTeamIdentifiers</key><array><string>EQHXZ8M8AV</string></array>
<key>PayloadIdentifier</key><string>com.example.lock.sxp</string>
<key>PayloadType</key><string>com.apple.system-extension-policy</string>
<key>PayloadUUID</key><string>6A1C2E1B-3E0B-4C55-9C2B-5B0F7E2C1A01</string>
<key>PayloadVersion</key><integer>1</integer>
</dict></array>
<key>PayloadIdentifier</key><string>com.example.lock</string>
<key>PayloadType</key><string>Configuration</string>
<key>PayloadUUID</key><string>6A1C2E1B-3E0B-4C55-9C2B-5B0F7E2C1A02</string>
<key>PayloadVersion</key><integer>1</integer>
</dict></plist>
X
sed -e 's/<string>EQHXZ8M8AV<\/string>/<string>not-a-team<\/string>/' -e 's/com.example.lock/com.example.badteam/g' \
    -e 's/<false\/>/<true\/>/' lock.mobileconfig > badteam.mobileconfig

cat > sm.mobileconfig <<'X'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>PayloadContent</key><array><dict>
<key>Rules</key><array><dict><key>RuleType</key><string>TeamIdentifier</string>
<key>RuleValue</key><string>X9E956P446</string></dict></array>
<key>PayloadIdentifier</key><string>com.example.sm.p</string>
<key>PayloadType</key><string>com.apple.servicemanagement</string>
<key>PayloadUUID</key><string>6A1C2E1B-3E0B-4C55-9C2B-5B0F7E2C1A11</string>
<key>PayloadVersion</key><integer>1</integer>
</dict></array>
<key>PayloadIdentifier</key><string>com.example.sm</string>
<key>PayloadType</key><string>Configuration</string>
<key>PayloadUUID</key><string>6A1C2E1B-3E0B-4C55-9C2B-5B0F7E2C1A12</string>
<key>PayloadVersion</key><integer>1</integer>
</dict></plist>
X
INPUTS='inputs:
  sm: { profile: sm.mobileconfig }
  falcon: { app: Falcon.app }
  wrong: { app: Wrong.app }
  misnamed: { app: Misnamed.app }
  vbox: { kext: VBoxDrv.kext }
  cs: { profile: cs.mobileconfig }
  cs15: { profile: cs15.mobileconfig }
  vbox-profile: { profile: vbox.mobileconfig }
  lock: { profile: lock.mobileconfig }
  badteam: { profile: badteam.mobileconfig }'
# plan NAME MACOS ENROLMENT STEP...: a plan over arm64 Macs of that macOS and enrolment
plan() { _n=$1 _os=$2 _en=$3; shift 3
  { printf '%s\nfleet: { arch: [arm64], macos: ["%s"], enrollment: [%s], count: 10 }\ntimeline:\n' \
      "$INPUTS" "$_os" "$_en"; for s in "$@"; do printf '  - %s\n' "$s"; done; } > "$_n.yaml"; }

# finding | plan that produces it | plan that does not
plan race.yes 14.6 automated 'install-app: falcon' 'activate: falcon' 'install-profile: cs'
plan race.no 14.6 automated 'install-profile: cs' 'install-app: falcon' 'activate: falcon'
plan refused.yes 14.6 user 'install-profile: cs' 'install-app: falcon' 'activate: falcon'
plan refused.no 14.6 automated 'install-profile: cs' 'install-app: falcon' 'activate: falcon'
plan overrides.yes 14.6 automated 'install-profile: cs' 'install-profile: lock'
plan overrides.no 14.6 automated 'install-profile: cs'
plan ignored.yes 14.6 automated 'install-profile: cs15'
plan ignored.no 15.1 automated 'install-profile: cs15'
plan payload.yes 14.6 automated 'install-profile: badteam'
plan payload.no 14.6 automated 'install-profile: lock'
plan notallowed.yes 14.6 automated 'install-profile: cs' 'install-app: wrong' 'activate: wrong'
plan notallowed.no 14.6 automated 'install-profile: cs' 'install-app: falcon' 'activate: falcon'
plan removal.yes 14.6 automated 'install-profile: cs' 'install-app: falcon' 'activate: falcon' \
    'remove-profile: cs'
plan removal.no 14.6 automated 'install-profile: cs' 'install-app: falcon' 'activate: falcon'
plan upgrade.yes 11.2 automated 'install-profile: cs' 'upgrade: "12.1"'
plan upgrade.no 12.1 automated 'install-profile: cs' 'upgrade: "12.6"'
plan disable.yes 15.1 automated 'install-profile: cs' 'install-app: falcon' 'activate: falcon'
plan disable.no 15.1 automated 'install-profile: cs15' 'install-app: falcon' 'activate: falcon'
plan never.yes 14.6 automated 'install-profile: lock' 'install-app: falcon' 'activate: falcon'
plan never.no 14.6 automated 'install-profile: cs' 'install-app: falcon' 'activate: falcon'
plan refusedact.yes 14.6 automated 'install-profile: cs' 'install-app: misnamed' 'activate: misnamed'
plan refusedact.no 14.6 automated 'install-profile: cs' 'install-app: falcon' 'activate: falcon'
plan companion.yes 14.6 automated 'install-profile: cs15' 'install-app: falcon' 'activate: falcon'
plan companion.no 14.6 automated 'install-profile: cs' 'install-profile: sm' 'install-app: falcon' \
    'activate: falcon'

# pfj FILE ARGS...: the report's JSON in $TMP/o.json, whatever the exit code
pfj() { _f=$1; shift; "$MX" preflight "$_f" --trust-anchor ca/root.pem --json "$@" > "$TMP/o.json" 2>"$TMP/pf.err"; }
codes() { "$MX" preflight "$1.yaml" --trust-anchor ca/root.pem --json 2>"$TMP/pf.err" |
  python3 -c 'import json,sys; j=json.load(sys.stdin); print(" ".join(sorted({f["code"] for f in j["findings"]})))'; }
while read -r code name extra; do
  [ -n "$code" ] || continue
  got=$(codes "$name.yes")
  case " $got " in *" $code "*) _pass "$name.produced";; *) _fail "$name.produced" "$code not in: $got" "$(cat "$TMP/pf.err")";; esac
  got=$(codes "$name.no")
  case " $got " in *" $code "*) _fail "$name.absent" "$code in: $got";; *) _pass "$name.absent";; esac
  if [ -n "$extra" ]; then
    got=$(codes "$name.yes"); case " $got " in *" $extra "*) _pass "$name.also";; *) _fail "$name.also" "$extra not in $got";; esac
  fi
done <<'T'
ordering-race race
profile-refused refused
overrides-conflict overrides
key-ignored ignored
payload-error payload
not-allowed notallowed
removal-deactivates removal
upgrade-crossing upgrade
user-can-disable disable
never-loads never
activation-refused refusedact
companion-missing companion
T

# the content of two findings, and the dialog at its moment
pfj race.yes.yaml
t_json race_names_dialog '[f["message"] for f in j["findings"] if f["code"]=="ordering-race"][0]' \
    'activating com.crowdstrike.falcon.Agent (step 2) comes before cs (step 3), which allows it: users see "System Extension Blocked" in between' \
    cat "$TMP/o.json"
t_json race_dialog_at_step_2 '[(m["step"], m["what"]) for m in j["classes"][0]["dialogs"]]' \
    '[[2, "sysext-blocked: System Extension Blocked"]]' printf '%s' "$OUT"
pfj refused.yes.yaml
t_json refused_rule '[f["rule"] for f in j["findings"] if f["code"]=="profile-refused"][0].split(";")[0]' \
    'com.apple.webcontent-filter: not on User Enrollment' cat "$TMP/o.json"
pfj notallowed.yes.yaml
t_json notallowed_team '[f["message"] for f in j["findings"] if f["code"]=="not-allowed"][0].split(" matches")[0]' \
    'system extension com.crowdstrike.falcon.Agent (Team ID AAAAAAAAAA, com.apple.system_extension.endpoint_security)' \
    cat "$TMP/o.json"
pfj race.no.yaml
t_json coverage_fda '[(c["need"].split(" ")[0], c["present"], c["well_formed"], c.get("profile")) for c in j["coverage"][0]["companions"]]' \
    '[["Full", true, true, "cs"], ["login", false, false, null]]' \
    cat "$TMP/o.json"

# the macOS 15 switch (toggle): a person switches the extension off; under the macOS 15
# profile's NonRemovableFromUISystemExtensions the switch is refused and it stays on
plan toggle.off 15.1 automated 'install-profile: cs' 'install-app: falcon' 'activate: falcon' \
    'toggle: { extension: com.crowdstrike.falcon.Agent, as: admin }'
plan toggle.locked 15.1 automated 'install-profile: cs' 'install-profile: cs15' 'install-app: falcon' \
    'activate: falcon' 'toggle: com.crowdstrike.falcon.Agent'
pfj toggle.off.yaml
t_json toggle_disables '[(e["id"], e["after_plan"]) for e in j["classes"][0]["extensions"]]' \
    '[["com.crowdstrike.falcon.Agent", "activated_disabled"]]' cat "$TMP/o.json"
t_json toggle_off_is_not_never_loads '[f["code"] for f in j["findings"] if f["code"] in ("never-loads", "step-failed")]' \
    '[]' cat "$TMP/o.json"
pfj toggle.locked.yaml
t_json toggle_refused_stays_on '[(e["id"], e["after_plan"]) for e in j["classes"][0]["extensions"]]' \
    '[["com.crowdstrike.falcon.Agent", "activated_enabled"]]' cat "$TMP/o.json"
t_json toggle_refused_names_key '["NonRemovableFromUISystemExtensions" in f["message"] for f in j["findings"] if f["code"]=="step-failed"]' \
    '[true]' cat "$TMP/o.json"
plan toggle.bad 15.1 automated 'toggle: { enabled: false }'
t_exit 66 toggle_needs_extension "$MX" preflight toggle.bad.yaml --trust-anchor ca/root.pem

# exit codes: 0 nothing for a person, 1 person steps, 2 blocking
t_exit 0 exit_0_nothing_to_do "$MX" preflight race.no.yaml --trust-anchor ca/root.pem
t_exit 2 exit_2_blocks "$MX" preflight refused.yes.yaml --trust-anchor ca/root.pem
plan person 14.6 device-unapproved 'install-app: falcon' 'activate: falcon'
t_exit 1 exit_1_person "$MX" preflight person.yaml --trust-anchor ca/root.pem
check_re person_step_named 'needed 1 +an administrator allows com.crowdstrike.falcon.Agent' "$OUT"
# Apple silicon kext: the person steps, in order, found by doing them
cat > kext.yaml <<X
$INPUTS
fleet: { mix: "arm64:14.6:automated=50%,x86_64:13.6:none=50%", count: 200 }
timeline:
  - install-profile: vbox-profile
    when: enroll!=none
  - install-kext: vbox
X
t_exit 1 kext_person "$MX" preflight kext.yaml --trust-anchor ca/root.pem --json
t_json kext_arm_steps '[m["what"].split(",")[0] for m in j["classes"][0]["person_steps_needed"]]' \
    '["a person starts recoveryOS (hold the power button)", "a person restarts the Mac"]' printf '%s' "$OUT"
t_json kext_intel_steps '[m["what"].split(" (")[0] for m in j["classes"][1]["person_steps_needed"]]' \
    '["an administrator allows macext Test Developer", "a person restarts the Mac"]' printf '%s' "$OUT"
t_json kext_loads '[c["extensions"][0]["after_person_steps"] for c in j["classes"]]' '["loaded", "loaded"]' \
    printf '%s' "$OUT"
t_json kext_devices '[c["devices"] for c in j["classes"]]' '[100, 100]' printf '%s' "$OUT"
# a standard user cannot approve: the step fails and stays needed
plan standard 14.6 device-unapproved 'install-app: falcon' 'activate: falcon' \
    'approve: { extension: com.crowdstrike.falcon.Agent, as: standard }'
pfj standard.yaml
t_json standard_refused '[(m["kind"], m["exit"] != 0) for m in j["classes"][0]["timeline"] if m["kind"] in ("person","needed")]' \
    '[["person", true], ["needed", false]]' cat "$TMP/o.json"

# a vendor package: its app and kext placed in one operation (the engine's
# pkg import), its kext loaded as its postinstall would, its app's extension
# activated by naming the package
mkdir -p root/Applications root/Library/Extensions
cp -R Falcon.app root/Applications/ && cp -R VBoxDrv.kext root/Library/Extensions/
"$MX" forge pkg Agent.pkg --identifier com.crowdstrike.falcon.pkg --root root >/dev/null
cat > pkg.yaml <<X
$INPUTS
  agent: { pkg: Agent.pkg }
fleet: { mix: "x86_64:13.6:automated=100%" }
timeline:
  - install-profile: cs
  - install-profile: vbox-profile
  - install-pkg: agent
  - activate: agent
X
pfj pkg.yaml
t_json pkg_extensions '[(e["id"], e["after_plan"], e["after_person_steps"]) for e in j["classes"][0]["extensions"]]' \
    '[["com.crowdstrike.falcon.Agent", "activated_enabled", "activated_enabled"], ["org.virtualbox.kext.VBoxDrv", "awaiting_restart", "loaded"]]' \
    cat "$TMP/o.json"
t_json pkg_restart_needed '[m["what"] for m in j["classes"][0]["person_steps_needed"]]' '["a person restarts the Mac"]' \
    cat "$TMP/o.json"
t_json pkg_coverage 'sorted((c["extension"], c["allowed"]) for c in j["coverage"])' \
    '[["com.crowdstrike.falcon.Agent", true], ["org.virtualbox.kext.VBoxDrv", true]]' cat "$TMP/o.json"

# --state DIR: classes from the devices there, the state untouched
S="$TMP/fleetstate"
"$MX" --state "$S" fleet create --count 12 --prefix m --mix 'arm64:14.6:automated=50%,x86_64:13.6:none=50%' >/dev/null
before=$("$MX" --state "$S" store digest)
plan st 14.6 automated 'install-profile: cs' 'install-app: falcon' 'activate: falcon'
"$MX" --state "$S" preflight st.yaml --trust-anchor ca/root.pem --json > "$TMP/o.json"
t_json state_classes '[(c["devices"], c["arch"]) for c in j["classes"]]' '[[6, "arm64"], [6, "x86_64"]]' \
    cat "$TMP/o.json"
t_out state_untouched "$before" "$MX" --state "$S" store digest
# --from-export DIR...
"$MX" --state "$S" device export m-000001 "$TMP/e1" >/dev/null
"$MX" --state "$S" device export m-000003 "$TMP/e3" >/dev/null
pfj st.yaml --from-export "$TMP/e1" --from-export "$TMP/e3"
t_json exports_classes '[c["devices"] for c in j["classes"]]' '[2]' cat "$TMP/o.json"
pfj st.yaml --fleet 'x86_64:12.7:none:sip-off=100%'
t_json fleet_option 'sorted(c["class"] for c in j["classes"])' '["x86_64 12.7 none SIP off"]' cat "$TMP/o.json"

# the parser: file, line and key
printf 'inputs:\n  p: { profile: cs.mobileconfig }\ntimeline:\n  - install-profile: q\n' > bad1.yaml
t_exit 66 bad_input_name "$MX" preflight bad1.yaml
check_re bad_input_where 'bad1.yaml:4: timeline\[0\]\.install-profile: no input named .q.' "$ERR"
printf 'timeline:\n  - install-app: x\n    colour: red\n' > bad2.yaml
t_grep bad_key_named 'bad2.yaml:3: timeline\[0\]: unknown action .colour.' "$MX" preflight bad2.yaml
printf 'fleet: { arch: [arm64], macos: [banana] }\ntimeline:\n  - restart:\n' > bad3.yaml
t_grep bad_version 'bad3.yaml:1: fleet.macos\[0\]: .banana. is not a macOS version' "$MX" preflight bad3.yaml
printf 'timeline: [\n' > bad4.yaml
t_exit 65 not_yaml "$MX" preflight bad4.yaml
printf 'fleet: { arch: [arm64], macos: ["15.1"] }\ntimeline:\n  - restart:\n    when: colour=red\n' > bad5.yaml
t_grep bad_when 'bad5.yaml:3: timeline\[0\].when' "$MX" preflight bad5.yaml
t_exit 67 plan_missing "$MX" preflight nosuch.yaml
