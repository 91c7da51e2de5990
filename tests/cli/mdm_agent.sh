# mdm_agent.sh — simulated Macs enrol over the wire in the conformance MDM
# server (tests/mdm) and are driven by it, through the engine (issue 11):
# a mixed fleet enrols (SCEP, Authenticate, TokenUpdate; ADE with
# AwaitingConfiguration and a bootstrap token; the user channel); the
# server pushes the vendors' real allow-list profiles through the agent's
# APNs stand-in; the vendor kext and system extension are installed and
# activated; RestartDevice(RebuildKernelCache) loads the kext; SecurityInfo
# and ProfileList report what happened; every device message validates
# against Apple's schemas; the store checks clean.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../mdm/lib.sh"
. "$(dirname "$0")/kext_common.inc"
[ -x "$BIN/mdmserver" ] || { skip agent "mdmserver is not built"; exit 0; }
[ -n "$TESTDATA" ] || { skip agent "../shared/testdata is absent"; exit 0; }
kx_need_security || exit 0
kx_setup
CS=com.crowdstrike.sensor
CSPROF=$(kx_profile kandji__crowdstrike_settings_with_kext.mobileconfig)
SANTA=$(kx_profile northpolesec__system-extension-policy.santa.example.mobileconfig)

mds_start --capabilities com.apple.mdm.per-user-connections,com.apple.mdm.bootstraptoken || exit 0
PROF="$MDS_DIR/enroll.mobileconfig"
AGENT="--start-spread 0 --reboot-delay 0.2 --backoff-max 1"

# ---- a mixed fleet enrols: ADE on Apple silicon, Device Enrollment on Apple silicon and Intel
kx_dev ade arm64 --os 15.1
t ade.enroll_recorded "$MX" mdm enroll --profile "$PROF" --method automated --insecure --no-wait
kx_dev dev arm64 --os 14.5
t dev.enroll_recorded "$MX" mdm enroll --profile "$PROF" --method device --user-approved --insecure --no-wait
kx_dev intel x86_64 --os 12.7
t intel.enroll_recorded "$MX" mdm enroll --profile "$PROF" --method device --user-approved --insecure --no-wait
unset MACEXT_DEVICE
t_exit 68 enroll.twice_refused "$MX" --device ade mdm enroll --profile "$PROF" --insecure --no-wait
t_grep enroll.https_needed "is not an https:// URL" "$MX" --device ade mdm enroll --profile "$PROF"
t fleet.enrols "$MX" mdm agent --until enrolled $AGENT
t_json fleet.all_enrolled '[d["state"] for d in j]' '["enrolled", "enrolled", "enrolled"]' "$MX" mdm status --json
t_json ade.supervised_escrowed '[j["enrollment"]["supervised"], j["enrollment"]["bootstrap_token_escrowed"]]' \
    '[true, true]' "$MX" --device ade device show --json
t_json dev.device_enrollment_supervised '[j["enrollment"]["method"], j["enrollment"]["supervised"]]' \
    '["device", true]' "$MX" --device dev device show --json
ctl GET /v1/enrollments
eq server.device_and_user_channels "$(jq_py 'len(j) if isinstance(j, list) else len(j["enrollments"])')" 6
ctl GET /v1/counters
eq server.three_authenticates "$(jq_py 'j["counters"]["authenticate"]')" 3
eq server.scep_issued "$(jq_py 'j["counters"]["scep_issued"]')" 3
# every Mac here is supervised (ADE; Device Enrollment approved by the user on macOS 11+)
eq server.bootstrap_escrowed "$(jq_py 'j["counters"]["set_bootstrap_token"]')" 3
t_grep ade.profile_installed 'com.macext.mdmserver.enroll +manual' "$MX" --device ade profiles list

# ---- the agent runs with its APNs stand-in; the server pushes there
"$MX" mdm agent --apns-listen 127.0.0.1:0 --ready-file "$TMP/agent.json" --poll 3600 $AGENT \
    >"$TMP/agent.out" 2>"$TMP/agent.err" &
APID=$!
_i=0; while [ ! -s "$TMP/agent.json" ] && [ $_i -lt 200 ]; do sleep 0.05; _i=$((_i + 1)); done
APNS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["apns_port"])' "$TMP/agent.json")
ctl PUT /v1/config "{\"push_url\": \"http://127.0.0.1:$APNS\"}"
eq push.configured "$HTTP" 200
# wait until every result of uuid $1 is in (n results)
wait_results() { _u=$1; _n=$2; _i=0
	while [ $_i -lt 300 ]; do
		ctl GET "/v1/results?uuid=$_u&body=0"
		[ "$(jq_py 'len([r for r in (j if isinstance(j, list) else j["results"]) if r["status"] not in ("NotNow", "Queued", "Delivered")])')" -ge "$_n" ] && return 0
		sleep 0.1; _i=$((_i + 1))
	done; return 1; }
enqueue() { ctl POST "/v1/enqueue/all?push=1" "$1"; UUID=$(jq_py 'j["command_uuid"]'); }
# the vendors' real allow-list profiles: CrowdStrike (kext + system extension) and Santa
enqueue "{\"request_type\": \"InstallProfile\", \"profile_file\": \"$CSPROF\"}"
wait_results "$UUID" 3 || _fail push.install_cs "no results" "$(cat "$TMP/agent.err")"
eq push.install_cs_acknowledged "$(jq_py '[r["status"] for r in (j if isinstance(j, list) else j["results"])]')" \
    '["Acknowledged", "Acknowledged", "Acknowledged"]'
enqueue "{\"request_type\": \"InstallProfile\", \"profile_file\": \"$SANTA\"}"
wait_results "$UUID" 3 || _fail push.install_santa "no results"
t_grep ade.cs_profile_by_mdm 'com.kandji.crowdstrike +mdm' "$MX" --device ade profiles list

# ---- the vendor's kext on the ADE Mac: approved by the profile, loads after the rebuild
export MACEXT_DEVICE=ade
KX_ARCH=arm64
kx_forge $CS X9E956P446
t ade.kext_install "$MX" kext install "$TMP/k/$CS.kext"
t_exit 28 ade.kext_needs_reboot kmutil load -b $CS
kx_state ade.kext_awaiting_restart $CS awaiting_restart
unset MACEXT_DEVICE
ADE_UDID=$("$MX" --device ade device show --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["udid"])')
ctl POST "/v1/enqueue/$ADE_UDID?push=1" '{"request_type": "RestartDevice", "keys": {"RebuildKernelCache": true}}'
UUID=$(jq_py 'j["command_uuid"]')
wait_results "$UUID" 1 || _fail ade.restart "no result"
eq ade.restart_acknowledged "$(jq_py '(j if isinstance(j, list) else j["results"])[0]["status"]')" Acknowledged
_i=0; while [ "$(MACEXT_DEVICE=ade kx_field $CS state)" != loaded ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
MACEXT_DEVICE=ade kx_state ade.kext_loaded $CS loaded
# the rebuild on Apple silicon under ADE asked the server for the bootstrap token first
ctl GET /v1/counters
eq ade.get_bootstrap_token "$(jq_py 'j["counters"]["get_bootstrap_token"]')" 1

# ---- SecurityInfo and ProfileList say what happened
ctl POST "/v1/enqueue/$ADE_UDID?push=1" '{"request_type": "SecurityInfo"}'
UUID=$(jq_py 'j["command_uuid"]')
wait_results "$UUID" 1
ctl GET "/v1/results?uuid=$UUID&body=1"
SI=$(jq_py '(j if isinstance(j, list) else j["results"])[0]["response"]')
printf '%s' "$SI" > "$TMP/si.plist"
eq ade.si_bootstrap_allowed "$(python3 -c 'import plistlib,sys; print(plistlib.load(open(sys.argv[1],"rb"))["SecurityInfo"]["BootstrapTokenAllowedForAuthentication"])' "$TMP/si.plist")" allowed
eq ade.si_enrolled_via_dep "$(python3 -c 'import plistlib,sys; print(plistlib.load(open(sys.argv[1],"rb"))["SecurityInfo"]["ManagementStatus"]["EnrolledViaDEP"])' "$TMP/si.plist")" True
eq ade.si_secure_boot "$(python3 -c 'import plistlib,sys; s=plistlib.load(open(sys.argv[1],"rb"))["SecurityInfo"]["SecureBoot"]; print(s["SecureBootLevel"], ",".join(s.get("ReducedSecurity", [])))' "$TMP/si.plist")" \
    "$("$MX" --device ade device show --json | python3 -c 'import json,sys; j=json.load(sys.stdin)["security"]
print({"full": "full", "reduced": "medium", "permissive": "off"}[j["policy"]], ",".join((["AllowsAnyAppleSignedOS"] if j["policy"] != "full" else []) + (["AllowsUserKextApproval"] if j["kext_user_management"] else []) + (["AllowsMDM"] if j["kext_remote_management"] else [])))')"
ctl POST "/v1/enqueue/$ADE_UDID?push=1" '{"request_type": "ProfileList"}'
UUID=$(jq_py 'j["command_uuid"]')
wait_results "$UUID" 1
ctl GET "/v1/results?uuid=$UUID&body=1"
jq_py '(j if isinstance(j, list) else j["results"])[0]["response"]' > "$TMP/pl.plist"
WANT=$("$MX" --device ade profiles list --json | python3 -c 'import json,sys; print(sorted(p["identifier"] for p in json.load(sys.stdin)))')
eq ade.profile_list_has_three "$(printf '%s' "$WANT" | grep -c 'crowdstrike.*mdmserver.enroll.*santa')" 1
eq ade.profile_list "$(python3 -c 'import plistlib,sys; print(sorted(p["PayloadIdentifier"] for p in plistlib.load(open(sys.argv[1],"rb"))["ProfileList"]))' "$TMP/pl.plist")" "$WANT"

# ---- ADE: AwaitingConfiguration until the server sends DeviceConfigured
awaiting() {
	ctl POST "/v1/enqueue/$ADE_UDID?push=1" '{"request_type": "DeviceInformation", "queries": ["AwaitingConfiguration", "IsSupervised"]}'
	_u=$(jq_py 'j["command_uuid"]'); wait_results "$_u" 1
	ctl GET "/v1/results?uuid=$_u&body=1"
	jq_py '(j if isinstance(j, list) else j["results"])[0]["response"]' > "$TMP/di.plist"
	python3 -c 'import plistlib,sys; q=plistlib.load(open(sys.argv[1],"rb"))["QueryResponses"]; print(q["AwaitingConfiguration"], q["IsSupervised"])' "$TMP/di.plist"; }
eq ade.awaiting_configuration "$(awaiting)" "True True"
ctl POST "/v1/enqueue/$ADE_UDID?push=1" '{"request_type": "DeviceConfigured"}'
UUID=$(jq_py 'j["command_uuid"]'); wait_results "$UUID" 1
eq ade.device_configured "$(jq_py '(j if isinstance(j, list) else j["results"])[0]["status"]')" Acknowledged
eq ade.configured "$(awaiting)" "False True"

# ---- a command uuid comes once; the answers are conformant; the store is whole
kill -TERM $APID; wait $APID
eq agent.clean_exit $? 0
ctl GET /v1/counters
eq server.no_duplicate_results "$(jq_py 'j["counters"]["duplicate_results"]')" 0
eq server.all_valid "$(jq_py 'j["counters"]["invalid"]')" 0
t store.check "$MX" store check
mds_stop
