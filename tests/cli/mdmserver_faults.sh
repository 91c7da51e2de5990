# mdmserver_faults.sh — the conformance server's bad-server modes, which the
# agent's failure tests use: HTTP errors, a held connection, a reset, a wrong
# Content-Type, a malformed and a huge plist, an empty reply, an unknown
# RequestType, the body cap, --strict; each fault fires the number of times
# asked, for the enrollment and message asked, and the ones that fail a
# request leave the state untouched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../mdm/lib.sh"
need_testdata faults || exit 0

mds_start --max-body 65536 --fault "checkin:status,status=503,match=TokenUpdate" || exit 0
U1=FA000001-0000-4000-8000-000000000001
U2=FA000002-0000-4000-8000-000000000002
dev_identity d1 "$U1"
dev_identity d2 "$U2"
pl_auth "$TMP/a1" "$U1"; pl_tokenupdate "$TMP/t1" "$U1"; pl_status "$TMP/i1" Idle "$U1"
pl_auth "$TMP/a2" "$U2"; pl_tokenupdate "$TMP/t2" "$U2"; pl_status "$TMP/i2" Idle "$U2"

# --- a startup fault on TokenUpdate only, once ---
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/a1" d1
eq fault_skips_other_messages "$HTTP" 200
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/t1" d1
eq fault_tokenupdate_503 "$HTTP" 503
ctl GET "/v1/enrollments/$U1"
eq failed_request_changed_nothing "$(jq_py '[j["enabled"], j["token_update_tally"]]')" '[false, 0]'
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/t1" d1
eq fault_fired_once "$HTTP" 200
for f in a2 t2; do dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/$f" d2; done
eq second_device_enrolled "$HTTP" 200

# --- status on commands, for one enrollment, twice ---
ctl POST /v1/faults '{"scope":"command","kind":"status","status":500,"count":2,"id":"'"$U2"'"}'
eq fault_added "$HTTP" 200
dev_put "$MDS_SU" "" "$TMP/i1" d1
eq other_enrollment_unaffected "$HTTP" 200
dev_put "$MDS_SU" "" "$TMP/i2" d2
eq fault_u2_first "$HTTP" 500
dev_put "$MDS_SU" "" "$TMP/i2" d2
eq fault_u2_second "$HTTP" 500
dev_put "$MDS_SU" "" "$TMP/i2" d2
eq fault_u2_spent "$HTTP" 200
ctl GET /v1/faults
eq faults_all_spent "$(jq_py 'len(j["faults"])')" 0

# --- an Ack that meets a fault is not recorded: the command stays queued ---
ctl POST "/v1/enqueue/$U1" '{"request_type":"SecurityInfo","command_uuid":"F-SI"}'
dev_put "$MDS_SU" "" "$TMP/i1" d1
pl_status "$TMP/ack" Acknowledged "$U1" F-SI "<key>SecurityInfo</key><dict/>"
ctl POST /v1/faults "command:status,status=502,match=Acknowledged"
dev_put "$MDS_SU" "" "$TMP/ack" d1
eq ack_fault_502 "$HTTP" 502
ctl GET /v1/results?uuid=F-SI
eq ack_not_recorded "$(jq_py '[j["results"][0]["status"], j["results"][0]["pending"]]')" '["Delivered", true]'
dev_put "$MDS_SU" "" "$TMP/i1" d1
eq command_still_queued "$(resp_uuid)" F-SI
dev_put "$MDS_SU" "" "$TMP/ack" d1
eq ack_after_fault "$HTTP:$(wc -c <"$RESP")" "200:0"

# --- hold: the connection waits, other clients do not ---
ctl POST /v1/faults "command:hold,hold_ms=2500,id=$U1"
sig=$(openssl cms -sign -binary -in "$TMP/i1" -signer "$TMP/d1.pem" -inkey "$TMP/d1.key" -outform DER | base64 -w0)
t_exit 28 hold_times_the_client_out curl -s -o /dev/null --max-time 1 -X PUT -H "Mdm-Signature: $sig" --data-binary "@$TMP/i1" "$MDS_SU"
ctl POST /v1/faults "command:hold,hold_ms=1500,id=$U1"
( curl -s -o "$TMP/held.body" -w '%{http_code}' -X PUT -H "Mdm-Signature: $sig" --data-binary "@$TMP/i1" "$MDS_SU" >"$TMP/held.code" ) &
HELD=$!
sleep 0.3
dev_put "$MDS_SU" "" "$TMP/i2" d2
eq others_served_during_hold "$HTTP" 200
wait $HELD
eq held_then_503 "$(cat "$TMP/held.code")" 503

# --- reset: the client sees the connection torn down ---
ctl POST /v1/faults "command:reset"
_run curl -s -o /dev/null -X PUT -H "Mdm-Signature: $sig" --data-binary "@$TMP/i1" "$MDS_SU"
case $RC in 52|56) _pass reset_seen ;; *) _fail reset_seen "curl exit $RC, wanted 52 or 56" ;; esac
dev_put "$MDS_SU" "" "$TMP/i1" d1
eq served_after_reset "$HTTP" 200

# --- reply faults: the request is processed, the reply spoiled ---
ctl POST "/v1/enqueue/$U1" '{"request_type":"ProfileList","command_uuid":"F-PL"}'
ctl POST /v1/faults '{"scope":"command","kind":"ctype","content_type":"text/html"}'
CT=$(curl -s -o "$TMP/ct.body" -w '%{content_type}' -X PUT -H "Mdm-Signature: $sig" --data-binary "@$TMP/i1" "$MDS_SU")
eq wrong_content_type "$CT" text/html
RESP="$TMP/ct.body"
eq wrong_content_type_same_command "$(resp_uuid)" F-PL
ctl POST /v1/faults "command:malformed"
dev_put "$MDS_SU" "" "$TMP/i1" d1
eq malformed_reply_200 "$HTTP" 200
t_exit 1 malformed_reply_unparsable python3 -c 'import plistlib,sys;plistlib.load(open(sys.argv[1],"rb"))' "$RESP"
ctl POST /v1/faults "command:empty"
dev_put "$MDS_SU" "" "$TMP/i1" d1
eq empty_reply "$HTTP:$(wc -c <"$RESP")" "200:0"
ctl POST /v1/faults "command:huge,bytes=20000000"
dev_put "$MDS_SU" "" "$TMP/i1" d1
eq huge_reply_size "$HTTP:$(wc -c <"$RESP")" "200:20000000"
eq huge_reply_is_a_plist "$(resp_reqtype)" InstallProfile
dev_put "$MDS_SU" "" "$TMP/i1" d1
eq command_survives_spoiled_replies "$(resp_uuid)" F-PL
ctl GET /v1/results?uuid=F-PL
eq spoiled_deliveries_counted "$(jq_py 'j["results"][0]["delivered"]')" 5
pl_status "$TMP/ackpl" Acknowledged "$U1" F-PL "<key>ProfileList</key><array/>"
dev_put "$MDS_SU" "" "$TMP/ackpl" d1

# --- until cleared ---
ctl POST /v1/faults "mdm:status,status=429,count=-1"
dev_put "$MDS_SU" "" "$TMP/i1" d1
a=$HTTP
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/t1" d1
eq forever_fault "$a:$HTTP" "429:429"
ctl DELETE /v1/faults
dev_put "$MDS_SU" "" "$TMP/i1" d1
eq faults_cleared "$HTTP" 200
ctl POST /v1/faults "command:explode"
eq bad_fault_spec_400 "$HTTP" 400

# --- an unknown RequestType is delivered as given ---
plist_file "$TMP/unk" "<key>Command</key><dict><key>RequestType</key><string>MacextNoSuchCommand</string></dict><key>CommandUUID</key><string>F-UNK</string>"
ctl POST "/v1/enqueue/$U1" "@$TMP/unk"
dev_put "$MDS_SU" "" "$TMP/i1" d1
eq unknown_request_type_delivered "$(resp_uuid) $(resp_reqtype)" "F-UNK MacextNoSuchCommand"
pl_status "$TMP/unkerr" Error "$U1" F-UNK "<key>ErrorChain</key><array><dict><key>ErrorCode</key><integer>12021</integer><key>ErrorDomain</key><string>MCMDMErrorDomain</string><key>LocalizedDescription</key><string>Unknown command</string></dict></array>"
dev_put "$MDS_SU" "" "$TMP/unkerr" d1
ctl GET /v1/results?uuid=F-UNK
eq unknown_request_type_error_valid "$(jq_py '[j["results"][0]["status"], j["results"][0]["valid"]]')" '["Error", true]'

# --- SCEP faults ---
ctl POST /v1/faults "scep:status,status=500,match=GetCACert"
t_out scep_fault_getcacert 500 curl -s -o /dev/null -w '%{http_code}' "$MDS_SCEP?operation=GetCACert"
t_out scep_after_fault 200 curl -s -o /dev/null -w '%{http_code}' "$MDS_SCEP?operation=GetCACert"

# --- the body cap ---
head -c 70000 /dev/zero | tr '\0' 'x' >"$TMP/big"
HTTP=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary "@$TMP/big" "$MDS_SU")
eq body_over_cap_413 "$HTTP" 413
dev_put "$MDS_SU" "" "$TMP/i1" d1
eq served_after_413 "$HTTP" 200
ctl GET /v1/report
eq faults_counted "$(jq_py 'j["counters"]["faults_applied"]')" 14
mds_stop

# --- --strict: a message with violations is refused ---
mds_start --strict || exit 0
dev_identity s1 "$U1"
plist_file "$TMP/badauth" "<key>MessageType</key><string>Authenticate</string><key>UDID</key><string>$U1</string><key>Topic</key><string>t</string><key>DeviceName</key><string>x</string>"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/badauth" s1
eq strict_refuses_missing_model "$HTTP" 400
pl_auth "$TMP/sa" "$U1"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/sa" s1
eq strict_takes_valid "$HTTP" 200
mds_stop
