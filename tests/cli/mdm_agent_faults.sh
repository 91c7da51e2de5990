# mdm_agent_faults.sh — the MDM agent against a bad server and with faults
# of its own, through the engine: a result whose upload is cut (the
# server resets the connection, or the agent's --drop-rate drops it) is
# sent again from the store and the command runs once; NotNow'd commands
# come again and run once; a check-in answered 500 is retried; a SCEP CA
# that answers FAILURE fails the enrolment with its failInfo; the store
# checks clean after all of it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../mdm/lib.sh"
[ -x "$BIN/mdmserver" ] || { skip faults "mdmserver is not built"; exit 0; }
[ -n "$TESTDATA" ] || { skip faults "../shared/testdata is absent"; exit 0; }
PROFILE="$TESTDATA/profiles/kandji__crowdstrike_settings_with_kext.mobileconfig"
AGENT="--start-spread 0 --backoff-max 0.3 --http-timeout 2"
installs() { "$MX" --device "$1" log --json | python3 -c 'import json,sys
j=json.load(sys.stdin); j=j if isinstance(j, list) else j.get("events", [])
print(len([e for e in j if e["what"].startswith(("profile com.kandji.crowdstrike installed", "profile com.kandji.crowdstrike replaced"))]))'; }
results() { ctl GET "/v1/results?uuid=$1&body=0"; jq_py '[r["status"] for r in (j if isinstance(j, list) else j["results"])]'; }

# ---- enrolment through 500s on check-in
mds_start --fault checkin:status,status=500,count=4 || exit 0
for n in m1 m2 m3; do "$MX" device create $n --arch arm64 --os 15.1 >/dev/null; done
# user approved: the kext and system extension payloads need a user-approved enrolment
t enrol.through_500s "$MX" fleet enroll --profile "$MDS_DIR/enroll.mobileconfig" --user-approved \
    --insecure $AGENT
ctl GET /v1/counters
eq enrol.faults_hit "$(jq_py 'j["counters"]["faults_applied"] >= 4')" true

# ---- the server resets the connection on the result: sent again, run once
ctl POST /v1/faults 'command:reset,count=3,match=Acknowledged'
ctl POST "/v1/enqueue/all" "{\"request_type\": \"InstallProfile\", \"profile_file\": \"$PROFILE\"}"
U1=$(jq_py 'j["command_uuid"]')
t reset.agent timeout 120 "$MX" mdm agent --until idle $AGENT
eq reset.acknowledged "$(results "$U1")" '["Acknowledged", "Acknowledged", "Acknowledged"]'
eq reset.installed_once "$(installs m1)$(installs m2)$(installs m3)" 111
ctl GET /v1/counters
eq reset.no_duplicates "$(jq_py 'j["counters"]["duplicate_results"]')" 0

# ---- the agent drops results and answers NotNow on purpose (deterministic seed)
for i in 1 2 3 4; do ctl POST "/v1/enqueue/all" '{"request_type": "SecurityInfo"}'; done
ctl POST "/v1/enqueue/all" '{"request_type": "RemoveProfile", "identifier": "com.kandji.crowdstrike"}'
eq faults.remove_enqueued "$HTTP" 200
U2=$(jq_py 'j["command_uuid"]')
t faults.agent timeout 120 "$MX" mdm agent --until idle $AGENT --drop-rate 0.3 --notnow-rate 0.3 --seed 42
# NotNow'd commands came back and were answered; nothing ran twice
eq faults.remove_acknowledged "$(results "$U2")" '["Acknowledged", "Acknowledged", "Acknowledged"]'
ctl GET /v1/counters
eq faults.notnow_seen "$(jq_py 'j["counters"]["not_now"] > 0')" true
eq faults.no_duplicates "$(jq_py 'j["counters"]["duplicate_results"]')" 0
eq faults.all_valid "$(jq_py 'j["counters"]["invalid"]')" 0
t_grep faults.profile_gone '^IDENTIFIER' "$MX" --device m1 profiles list
t_exit 1 faults.crowdstrike_removed sh -c "'$MX' --device m1 profiles list | grep -q crowdstrike"
t store.check "$MX" store check

# ---- the agent killed at every store write of a command: it never half-applies it,
# the server's command comes again and runs once, the store stays whole
kills=0
M1=$("$MX" --device m1 device show --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["udid"])')
for k in 1 2 3 4 5 6 7 8 9 10 11 12; do
	ctl POST "/v1/enqueue/$M1" "{\"request_type\": \"InstallProfile\", \"profile_file\": \"$PROFILE\"}"
	U=$(jq_py 'j["command_uuid"]')
	n0=$(installs m1)
	MACEXT_FAULT=$k MACEXT_FAULT_KILL=1 "$MX" --device m1 mdm agent --until idle $AGENT >/dev/null 2>&1
	[ $? -eq 137 ] && kills=$((kills + 1))
	"$MX" store check >/dev/null 2>&1 || _fail "crash.$k.store_check" "$("$MX" store check 2>&1)"
	timeout 120 "$MX" mdm agent --until idle $AGENT >/dev/null 2>&1
	got="$(results "$U") $(( $(installs m1) - n0 ))"
	eq "crash.$k.once" "$got" '["Acknowledged"] 1'
done
eq crash.killed_mid_command "$([ $kills -ge 8 ] && echo yes || echo "only $kills")" yes
ctl GET /v1/counters
eq crash.no_duplicates "$(jq_py 'j["counters"]["duplicate_results"]')" 0
t store.check_after_crashes "$MX" store check
mds_stop

# ---- a SCEP CA that answers FAILURE: the enrolment fails and says why
mds_start --scep-mode failure --scep-failinfo badRequest || exit 0
"$MX" device create s1 --arch arm64 --os 15.1 >/dev/null
t_exit 70 scep.failure "$MX" --device s1 mdm enroll --profile "$MDS_DIR/enroll.mobileconfig" --insecure $AGENT
t_grep scep.failinfo 'FAILURE, failInfo badRequest' "$MX" mdm status
t store.check_after_failure "$MX" store check
mds_stop
