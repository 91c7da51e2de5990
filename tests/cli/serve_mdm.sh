# serve_mdm.sh — the MDM agent hosted in `macext serve --mdm` (issue 11: "the
# agent lives in serve"): Macs enrol in the conformance server (tests/mdm)
# while the daemon serves the API; GET /api/v1/mdm gives the agent's counts;
# an enrolment recorded by the CLI while the daemon runs is picked up; a
# command pushed through the agent's APNs stand-in runs through the engine and
# its change reaches the API's event stream; SIGTERM stops daemon and agent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../mdm/lib.sh"
. "$(dirname "$0")/kext_common.inc"
[ -x "$BIN/mdmserver" ] || { skip serve_mdm "mdmserver is not built"; exit 0; }
[ -n "$TESTDATA" ] || { skip serve_mdm "../shared/testdata is absent"; exit 0; }
SANTA=$(kx_profile northpolesec__system-extension-policy.santa.example.mobileconfig)
check_eq() { if [ "$2" = "$3" ]; then _pass "$1"; else _fail "$1" "got '$2', wanted '$3'"; fi; }
kx_setup
mds_start || exit 0
PROF="$MDS_DIR/enroll.mobileconfig"
kx_dev one arm64 --os 15.1
t one.enroll_recorded "$MX" mdm enroll --profile "$PROF" --method device --user-approved --insecure --no-wait
kx_dev two x86_64 --os 14.6
t two.enroll_recorded "$MX" mdm enroll --profile "$PROF" --method device --user-approved --insecure --no-wait
kx_dev three arm64 --os 15.1
unset MACEXT_DEVICE

"$MX" serve --listen 127.0.0.1:0 --ready-file "$TMP/serve.json" --mdm --apns-listen 127.0.0.1:0 \
    --poll 3600 --start-spread 0 --reboot-delay 0.2 --backoff-max 1 >"$TMP/serve.out" 2>"$TMP/serve.err" &
SPID=$!
_i=0; while [ ! -s "$TMP/serve.json" ] && [ $_i -lt 300 ]; do sleep 0.05; _i=$((_i + 1)); done
PORT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$TMP/serve.json")
API="http://127.0.0.1:$PORT/api/v1"
curl -s -N "$API/events" >"$TMP/events" 2>/dev/null &
CPID=$!
mdm_field() { curl -s "$API/mdm" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
wait_enrolled() { _i=0; while [ $_i -lt 300 ]; do [ "$(mdm_field enrolled)" = "$1" ] && return 0
	sleep 0.1; _i=$((_i + 1)); done; return 1; }
if wait_enrolled 2; then _pass agent.two_enrolled; else _fail agent.two_enrolled "$(curl -s "$API/mdm")" "$(tail -5 "$TMP/serve.err")"; fi
check_eq agent.running "$(mdm_field running)" True
check_eq agent.nothing_failing "$(mdm_field failing)" 0
# an enrolment recorded through the API while the daemon runs
TOKEN=$(cat "$MACEXT_STATE/serve.token")
t_grep three.enroll_via_api '"state":"pending"' curl -s -H "Authorization: Bearer $TOKEN" \
    --data-binary "@$PROF" "$API/devices/three/mdm/enroll?method=device&user_approved=1&insecure=1"
t_grep three.enroll_twice_refused '"status":409' curl -s -H "Authorization: Bearer $TOKEN" \
    --data-binary "@$PROF" "$API/devices/three/mdm/enroll?insecure=1"
t_grep three.needs_https 'https' curl -s -H "Authorization: Bearer $TOKEN" \
    --data-binary "@$PROF" "$API/devices/one/mdm/enroll"
if wait_enrolled 3; then _pass agent.api_enrolment_picked_up; else _fail agent.api_enrolment_picked_up "$(curl -s "$API/mdm")"; fi
# and one the CLI records
kx_dev four x86_64 --os 13.6
unset MACEXT_DEVICE
t four.enroll_recorded "$MX" --device four mdm enroll --profile "$PROF" --method device --user-approved --insecure --no-wait
if wait_enrolled 4; then _pass agent.cli_enrolment_picked_up; else _fail agent.cli_enrolment_picked_up "$(curl -s "$API/mdm")"; fi
# a command through the stand-in; its change reaches the event stream
APNS=$(mdm_field apns_port)
ctl PUT /v1/config "{\"push_url\": \"http://127.0.0.1:$APNS\"}"
eq push.configured "$HTTP" 200
ctl POST "/v1/enqueue/all?push=1" "{\"request_type\": \"InstallProfile\", \"profile_file\": \"$SANTA\"}"
_i=0; while [ $_i -lt 300 ]; do
	curl -s "$API/devices/one/profiles" | grep -q northpolesec && break; sleep 0.1; _i=$((_i + 1)); done
t_grep push.profile_installed_via_agent 'northpolesec' curl -s "$API/devices/one/profiles"
_i=0; while [ $_i -lt 100 ] && ! grep -q '"device":"one","what":"profile' "$TMP/events"; do sleep 0.1; _i=$((_i + 1)); done
t_grep sse.agent_change_streamed '"device":"one","what":"profile' cat "$TMP/events"
t_grep sse.mdm_status_streamed '^event: mdm' cat "$TMP/events"
kill "$CPID" 2>/dev/null
kill -TERM "$SPID"; wait "$SPID"; _rc=$?
check_eq serve.stops_cleanly "$_rc" 0
if grep -q 'ERROR: AddressSanitizer\|runtime error' "$TMP/serve.err"; then _fail serve.sanitizers_quiet "$(tail -40 "$TMP/serve.err")"; else _pass serve.sanitizers_quiet; fi
t store.check "$MX" store check
mds_stop
