# mdmserver_protocol.sh — the conformance MDM server's check-in and command
# endpoints, driven by the "curl device" (curl + openssl cms): the queue
# semantics of NanoMDM's test/e2e/queue.go, NotNow, CheckOut, cert-auth and
# the failure statuses of mdm-observed.md §3, signature variants, duplicate
# results, bootstrap token escrow, UserAuthenticate, the user channel, ADE's
# AwaitingConfiguration.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../mdm/lib.sh"
need_testdata protocol || exit 0

mds_start || exit 0
U1=D91C5EC1-7FD3-43A5-A22F-10FAD4A2882C
U2=97A90F99-4C40-4F83-9748-CFAF8713BE08
dev_identity d1 "$U1"
dev_identity d2 "$U2"
dev_identity d1b "$U1"

# --- enrolment: Authenticate, TokenUpdate; Idle with an empty queue ---
pl_auth "$TMP/auth1" "$U1"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/auth1" d1
eq authenticate_200 "$HTTP" 200
eq authenticate_empty_body "$(wc -c <"$RESP")" 0
ctl GET "/v1/enrollments/$U1"
eq authenticate_leaves_disabled "$(jq_py 'j["enabled"]')" false
pl_tokenupdate "$TMP/tu1" "$U1"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/tu1" d1
eq tokenupdate_200 "$HTTP" 200
ctl GET "/v1/enrollments/$U1"
eq tokenupdate_enables "$(jq_py '[j["enabled"], j["token_update_tally"], j["push_magic"], j["token_hex"][:8], j["os_version"]]')" \
    "[true, 1, \"PM-$U1\", \"77b2ed74\", \"15.4\"]"
pl_status "$TMP/idle1" Idle "$U1"
dev_put "$MDS_SU" "" "$TMP/idle1" d1
eq idle_empty_queue "$HTTP:$(wc -c <"$RESP")" "200:0"

# --- the queue (NanoMDM test/e2e/queue.go, step by step) ---
ctl POST "/v1/enqueue/$U1" '{"request_type":"ProfileList","command_uuid":"CMD1"}'
eq enqueue_cmd1 "$HTTP:$(jq_py 'j["targets"]')" "200:1"
ctl POST "/v1/enqueue/$U1" '{"request_type":"SecurityInfo","command_uuid":"CMD2"}'
ctl POST "/v1/enqueue/$U1" '{"request_type":"SecurityInfo","command_uuid":"CMD2"}'
eq enqueue_same_uuid_409 "$HTTP" 409
dev_put "$MDS_SU" "" "$TMP/idle1" d1
eq idle_delivers_cmd1 "$(resp_uuid):$(resp_reqtype)" "CMD1:ProfileList"
dev_put "$MDS_SU" "" "$TMP/idle1" d1
eq unanswered_is_delivered_again "$(resp_uuid)" CMD1
pl_status "$TMP/ack1" Acknowledged "$U1" CMD1 "<key>ProfileList</key><array/>"
dev_put "$MDS_SU" "" "$TMP/ack1" d1
eq ack_cmd1_carries_cmd2 "$(resp_uuid):$(resp_reqtype)" "CMD2:SecurityInfo"
pl_status "$TMP/ack2" Acknowledged "$U1" CMD2 "<key>SecurityInfo</key><dict><key>SystemIntegrityProtectionEnabled</key><true/></dict>"
dev_put "$MDS_SU" "" "$TMP/ack2" d1
eq ack_cmd2_queue_empty "$HTTP:$(wc -c <"$RESP")" "200:0"
ctl POST "/v1/enqueue/$U1" '{"request_type":"DeviceInformation","command_uuid":"CMD3","queries":["OSVersion"]}'
dev_put "$MDS_SU" "" "$TMP/idle1" d1
eq idle_delivers_cmd3 "$(resp_uuid)" CMD3
pl_status "$TMP/nn3" NotNow "$U1" CMD3
dev_put "$MDS_SU" "" "$TMP/nn3" d1
eq notnow_gets_empty_reply "$HTTP:$(wc -c <"$RESP")" "200:0"
dev_put "$MDS_SU" "" "$TMP/idle1" d1
eq idle_redelivers_notnow "$(resp_uuid)" CMD3
pl_status "$TMP/ack3" Acknowledged "$U1" CMD3 "<key>QueryResponses</key><dict><key>OSVersion</key><string>15.4</string></dict>"
dev_put "$MDS_SU" "" "$TMP/ack3" d1
eq ack_cmd3_empty "$HTTP:$(wc -c <"$RESP")" "200:0"
# NotNow is skipped only in the reply to that NotNow: an Ack's reply carries it
ctl POST "/v1/enqueue/$U1" '{"request_type":"ProfileList","command_uuid":"CMD4"}'
ctl POST "/v1/enqueue/$U1" '{"request_type":"SecurityInfo","command_uuid":"CMD5"}'
dev_put "$MDS_SU" "" "$TMP/idle1" d1
pl_status "$TMP/nn4" NotNow "$U1" CMD4
dev_put "$MDS_SU" "" "$TMP/nn4" d1
eq notnow_reply_skips_to_cmd5 "$(resp_uuid)" CMD5
pl_status "$TMP/err5" Error "$U1" CMD5 "<key>ErrorChain</key><array><dict><key>ErrorCode</key><integer>12021</integer><key>ErrorDomain</key><string>MCMDMErrorDomain</string><key>LocalizedDescription</key><string>Unknown command</string></dict></array>"
dev_put "$MDS_SU" "" "$TMP/err5" d1
eq error_reply_carries_notnowed_cmd4 "$(resp_uuid)" CMD4
pl_status "$TMP/ack4" Acknowledged "$U1" CMD4 "<key>ProfileList</key><array/>"
dev_put "$MDS_SU" "" "$TMP/ack4" d1
ctl GET "/v1/results?uuid=CMD4"
eq result_cmd4 "$(jq_py '[j["results"][0][k] for k in ("status","delivered","not_now","valid")]')" '["Acknowledged", 2, 1, true]'
ctl GET "/v1/results?uuid=CMD5"
eq result_cmd5_error "$(jq_py '[j["results"][0]["status"], "12021" in j["results"][0]["response"]]')" '["Error", true]'

# --- duplicate and unknown results ---
dev_put "$MDS_SU" "" "$TMP/ack4" d1
eq duplicate_result_200 "$HTTP" 200
ctl GET "/v1/results?uuid=CMD4"
eq duplicate_result_flagged "$(jq_py 'j["results"][0]["duplicate_results"]')" 1
pl_status "$TMP/ackx" Acknowledged "$U1" NEVER-SENT
dev_put "$MDS_SU" "" "$TMP/ackx" d1
eq unknown_uuid_200 "$HTTP" 200
ctl GET /v1/report
eq report_flags_duplicate_and_unknown "$(jq_py '[j["counters"]["duplicate_results"], j["counters"]["unknown_command_uuid"], j["validation"]["violations_by_kind"].get("duplicate-result"), j["validation"]["violations_by_kind"].get("unknown-command")]')" '[1, 1, 1, 1]'

# --- signature variants NanoMDM accepts: SHA-1, SHA-256, no signed attributes ---
dev_put "$MDS_SU" "" "$TMP/idle1" d1 sha1
eq sha1_signature "$HTTP" 200
dev_put "$MDS_SU" "" "$TMP/idle1" d1 sha256 -noattr
eq noattr_signature "$HTTP" 200
dev_put "$MDS_SU" "" "$TMP/idle1" d1 sha512
eq sha512_signature "$HTTP" 200

# --- failure statuses (captures/negative/) ---
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/auth1" -
eq no_signature_400 "$HTTP" 400
dev_put "$MDS_SU" "" "$TMP/idle1" d1 sha256 -nocerts
eq signer_cert_missing_400 "$HTTP" 400
sig=$(openssl cms -sign -binary -in "$TMP/tu1" -signer "$TMP/d1.pem" -inkey "$TMP/d1.key" -outform DER | base64 -w0)
HTTP=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Mdm-Signature: $sig" --data-binary "@$TMP/idle1" "$MDS_SU")
eq signature_over_other_body_400 "$HTTP" 400
HTTP=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Mdm-Signature: bm90IGEgQ01T" --data-binary "@$TMP/idle1" "$MDS_SU")
eq signature_not_cms_400 "$HTTP" 400
sig=$(openssl cms -sign -binary -nodetach -in "$TMP/idle1" -signer "$TMP/d1.pem" -inkey "$TMP/d1.key" -outform DER | base64 -w0)
HTTP=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Mdm-Signature: $sig" --data-binary "@$TMP/idle1" "$MDS_SU")
eq signature_not_detached_400 "$HTTP" 400
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/selfsigned.key" -subj "/CN=$U1" -days 2 -out "$TMP/selfsigned.pem" 2>/dev/null
dev_put "$MDS_SU" "" "$TMP/idle1" selfsigned
eq self_signed_identity_400 "$HTTP" 400
openssl req -new -newkey rsa:2048 -nodes -keyout "$TMP/rogue.key" -subj "/CN=$U1" -out "$TMP/rogue.csr" 2>/dev/null
openssl x509 -req -in "$TMP/rogue.csr" -CA "$MDS_DIR/pki/other-ca.pem" -CAkey "$MDS_DIR/pki/other-ca.key" \
    -set_serial 99 -days 2 -out "$TMP/rogue.pem" 2>/dev/null
dev_put "$MDS_SU" "" "$TMP/idle1" rogue
eq identity_from_unknown_ca_400 "$HTTP" 400
dev_identity srvonly "$U1" serverAuth
dev_put "$MDS_SU" "" "$TMP/idle1" srvonly
eq identity_without_clientauth_400 "$HTTP" 400
dev_identity noeku "$U2" none
dev_identity_dated expired "$U1" 20200101000000Z 20200201000000Z
check expired_identity_made sh -c "openssl x509 -in '$TMP/expired.pem' -noout -enddate | grep -q 2020"
dev_put "$MDS_SU" "" "$TMP/idle1" expired
eq expired_identity_400 "$HTTP" 400
pl_status "$TMP/idle_unknown" Idle AC4626F3-A4DE-4CD6-A7A1-B86EEE6403E7
dev_put "$MDS_SU" "" "$TMP/idle_unknown" d2
eq idle_unknown_enrollment_500 "$HTTP" 500
dev_put "$MDS_SU" "" "$TMP/idle1" d1b
eq enrolled_udid_other_cert_500 "$HTTP" 500
printf 'not a plist' >"$TMP/notplist"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/notplist" d1
eq body_not_a_plist_400 "$HTTP" 400
plist_file "$TMP/foobar" "<key>MessageType</key><string>FooBar</string><key>UDID</key><string>$U1</string>"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/foobar" d1
eq unknown_message_type_400 "$HTTP" 400
plist_file "$TMP/nostatus" "<key>UDID</key><string>$U1</string>"
dev_put "$MDS_SU" "" "$TMP/nostatus" d1
eq report_without_status_400 "$HTTP" 400

# each refusal for its own reason (the server's log names it)
L="$MDS_DIR/log"
check why_no_signature grep -q 'empty Mdm-Signature header' "$L"
check why_nocerts grep -q 'no certificate for the signer' "$L"
check why_other_body grep -q 'does not verify over the body' "$L"
check why_not_cms grep -q 'not a DER CMS message' "$L"
check why_attached grep -q 'carries its content' "$L"
check why_self_signed grep -q 'self-signed certificate' "$L"
check why_unknown_ca grep -q 'unable to get local issuer certificate' "$L"
check why_no_clientauth grep -q 'has no clientAuth EKU' "$L"
check why_expired grep -q 'certificate has expired' "$L"
check why_not_associated grep -q 'enrollment not associated with cert' "$L"

# --- cert-auth: a certificate bound to U2 cannot Authenticate U3 ---
pl_auth "$TMP/auth2" "$U2"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/auth2" d2
eq authenticate_u2 "$HTTP" 200
pl_auth "$TMP/auth3" DA624693-91AE-4F50-A8C6-B9CCAFBEBC20
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/auth3" d2
eq cert_reuse_other_udid_500 "$HTTP" 500
check why_cert_reuse grep -q 'cert re-use not permitted' "$MDS_DIR/log"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/auth2" noeku
eq reauthenticate_new_cert_without_eku_200 "$HTTP" 200
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/auth2" d2
eq old_cert_still_bound_to_u2 "$HTTP" 200

# --- check-ins on ServerURL by Content-Type; POST is recorded ---
pl_tokenupdate "$TMP/tu2" "$U2"
dev_put "$MDS_SU" "$CHECKIN_CT" "$TMP/tu2" d2
eq checkin_on_serverurl_200 "$HTTP" 200
sig=$(openssl cms -sign -binary -in "$TMP/idle1" -signer "$TMP/d1.pem" -inkey "$TMP/d1.key" -outform DER | base64 -w0)
HTTP=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Mdm-Signature: $sig" --data-binary "@$TMP/idle1" "$MDS_SU")
eq post_accepted "$HTTP" 200
HTTP=$(curl -s -o /dev/null -w '%{http_code}' -X GET "$MDS_SU")
eq get_405 "$HTTP" 405
ctl GET /v1/report
eq post_recorded_as_violation "$(jq_py 'j["validation"]["violations_by_kind"].get("method")')" 1

# --- AwaitingConfiguration (ADE) and DeviceConfigured ---
pl_tokenupdate "$TMP/tu2a" "$U2" ""
sed -i 's|<key>AwaitingConfiguration</key><false/>|<key>AwaitingConfiguration</key><true/>|' "$TMP/tu2a"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/tu2a" d2
ctl GET "/v1/enrollments/$U2"
eq awaiting_configuration "$(jq_py 'j["awaiting_configuration"]')" true
ctl POST "/v1/enqueue/$U2" '{"request_type":"DeviceConfigured","command_uuid":"DC1"}'
pl_status "$TMP/idle2" Idle "$U2"
dev_put "$MDS_SU" "" "$TMP/idle2" d2
eq device_configured_delivered "$(resp_reqtype)" DeviceConfigured
pl_status "$TMP/ackdc" Acknowledged "$U2" DC1
dev_put "$MDS_SU" "" "$TMP/ackdc" d2
ctl GET "/v1/enrollments/$U2"
eq configured_after_ack "$(jq_py 'j["awaiting_configuration"]')" false

# --- bootstrap token escrow ---
plist_file "$TMP/getbt" "<key>MessageType</key><string>GetBootstrapToken</string><key>UDID</key><string>$U2</string>"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/getbt" d2
eq get_bootstrap_none "$HTTP:$(wc -c <"$RESP")" "200:0"
plist_file "$TMP/setbt" "<key>MessageType</key><string>SetBootstrapToken</string><key>UDID</key><string>$U2</string><key>BootstrapToken</key><data>Ym9vdHN0cmFwLXRva2Vu</data><key>AwaitingConfiguration</key><false/>"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/setbt" d2
eq set_bootstrap_200 "$HTTP" 200
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/getbt" d2
eq get_bootstrap_returns_token "$(python3 -c 'import plistlib,sys;print(plistlib.load(open(sys.argv[1],"rb"))["BootstrapToken"].decode())' "$RESP")" bootstrap-token
plist_file "$TMP/clearbt" "<key>MessageType</key><string>SetBootstrapToken</string><key>UDID</key><string>$U2</string>"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/clearbt" d2
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/getbt" d2
eq set_without_token_deletes "$HTTP:$(wc -c <"$RESP")" "200:0"

# --- the user channel: UserAuthenticate (both rounds), TokenUpdate, commands ---
UID1=9B2C7D4E-1111-2222-3333-444455556666
plist_file "$TMP/ua1" "<key>MessageType</key><string>UserAuthenticate</string><key>UDID</key><string>$U2</string><key>UserID</key><string>$UID1</string><key>DigestResponse</key><string></string>"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/ua1" d2
eq userauth_first_empty_challenge "$HTTP:$(python3 -c 'import plistlib,sys;print(repr(plistlib.load(open(sys.argv[1],"rb"))["DigestChallenge"]))' "$RESP")" "200:''"
plist_file "$TMP/ua2" "<key>MessageType</key><string>UserAuthenticate</string><key>UDID</key><string>$U2</string><key>UserID</key><string>$UID1</string><key>DigestResponse</key><string>digest</string>"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/ua2" d2
eq userauth_second_200_empty "$HTTP:$(wc -c <"$RESP")" "200:0"
pl_tokenupdate "$TMP/tuu" "$U2" "<key>UserID</key><string>$UID1</string><key>UserShortName</key><string>alice</string><key>UserLongName</key><string>Alice</string><key>NotOnConsole</key><false/>"
sed -i 's|<key>AwaitingConfiguration</key><false/>||' "$TMP/tuu"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/tuu" d2
eq user_tokenupdate_200 "$HTTP" 200
ctl GET "/v1/enrollments/$U2:$UID1"
eq user_channel_enrollment "$(jq_py '[j["type"], j["enabled"], j["user_short_name"], j["user_authenticate_first"], j["user_authenticate_second"]]')" \
    '["User", true, "alice", 1, 1]'
ctl POST /v1/enqueue/all-users '{"request_type":"ProfileList","command_uuid":"UPL"}'
eq enqueue_all_users "$(jq_py 'j["targets"]')" 1
pl_status "$TMP/uidle" Idle "$U2" "" "<key>UserID</key><string>$UID1</string><key>UserShortName</key><string>alice</string><key>UserLongName</key><string>Alice</string><key>NotOnConsole</key><false/>"
dev_put "$MDS_SU" "" "$TMP/uidle" d2
eq user_channel_gets_its_command "$(resp_uuid)" UPL
dev_put "$MDS_SU" "" "$TMP/idle2" d2
eq device_channel_does_not "$HTTP:$(wc -c <"$RESP")" "200:0"
plist_file "$TMP/usetbt" "<key>MessageType</key><string>SetBootstrapToken</string><key>UDID</key><string>$U2</string><key>UserID</key><string>$UID1</string><key>BootstrapToken</key><data>eA==</data>"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/usetbt" d2
eq bootstrap_on_user_channel_500 "$HTTP" 500

# --- DeclarativeManagement is refused (NanoMDM without -dm) ---
plist_file "$TMP/ddm" "<key>MessageType</key><string>DeclarativeManagement</string><key>UDID</key><string>$U2</string><key>Endpoint</key><string>tokens</string>"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/ddm" d2
eq declarative_management_refused_500 "$HTTP" 500

# --- CheckOut disables; queued commands are still handed out; re-Authenticate ---
ctl POST "/v1/enqueue/$U2" '{"request_type":"SecurityInfo","command_uuid":"AFTER-CHECKOUT"}'
plist_file "$TMP/co2" "<key>MessageType</key><string>CheckOut</string><key>Topic</key><string>$MDS_TOPIC</string><key>UDID</key><string>$U2</string>"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/co2" d2
eq checkout_200 "$HTTP:$(wc -c <"$RESP")" "200:0"
ctl GET "/v1/enrollments/$U2"
eq checkout_disables "$(jq_py '[j["enabled"], j["checkout_count"]]')" '[false, 1]'
dev_put "$MDS_SU" "" "$TMP/idle2" d2
eq idle_after_checkout_still_served "$HTTP:$(resp_uuid)" "200:AFTER-CHECKOUT"
ctl POST /v1/enqueue/all '{"request_type":"ProfileList"}'
eq all_skips_disabled "$(jq_py 'j["targets"]')" 1
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/auth2" d2
eq reauthenticate_after_checkout "$HTTP" 200
dev_put "$MDS_SU" "" "$TMP/idle2" d2
eq authenticate_cleared_queue "$HTTP:$(wc -c <"$RESP")" "200:0"
ctl GET "/v1/enrollments/$U2"
eq reauth_resets_tally "$(jq_py '[j["enabled"], j["token_update_tally"], j["authenticate_count"]]')" '[false, 0, 4]'

# --- what was validated along the way ---
ctl GET /v1/report
eq report_counts "$(jq_py '[j["counters"][k] for k in ("authenticate","checkout","user_authenticate","set_bootstrap_token","get_bootstrap_token")]')" '[5, 1, 2, 3, 3]'
eq every_message_validated "$(jq_py 'j["counters"]["validated"] >= j["counters"]["checkins"] - 8')" true
eq signatures_cached "$(jq_py 'j["counters"]["signature_verified_cached"] > j["counters"]["signature_verified_full"]')" true
eq signatures_fast_path "$(jq_py 'j["counters"]["signature_verified_fast"] > 20')" true
mds_stop
check report_file_written test -s "$MDS_DIR/report.json"

# --- the same refusals with every signature through OpenSSL's CMS (no fast path) ---
mds_start --no-fast-verify || exit 0
dev_identity f1 "$U1"
pl_auth "$TMP/fauth" "$U1"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/fauth" f1
eq slow_authenticate "$HTTP" 200
for md in sha1 sha256; do
	dev_put "$MDS_SU" "" "$TMP/idle1" f1 $md
	eq "slow_idle_$md" "$HTTP" 200
done
dev_put "$MDS_SU" "" "$TMP/idle1" f1 sha256 -noattr
eq slow_noattr "$HTTP" 200
sig=$(openssl cms -sign -binary -in "$TMP/tu1" -signer "$TMP/f1.pem" -inkey "$TMP/f1.key" -outform DER | base64 -w0)
HTTP=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Mdm-Signature: $sig" --data-binary "@$TMP/idle1" "$MDS_SU")
eq slow_signature_over_other_body_400 "$HTTP" 400
ctl GET /v1/report
eq slow_path_only "$(jq_py '[j["counters"]["signature_verified_fast"], j["counters"]["signature_verified_cached"]]')" '[0, 3]'
mds_stop
