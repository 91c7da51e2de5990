# mdmserver_replay.sh — replays the recorded device requests of
# ../shared/testdata/mdm-captures/ (mdmb and the curl device against NanoMDM)
# byte for byte, Mdm-Signature headers included, and checks that the
# conformance server answers each with the status (and command) NanoMDM
# answered.  The identities chain to the lab CA whose certificate is the
# body of the recorded GetCACert reply; they are checked at the time the
# captures were made (--verify-time 2026-12-02T02:00:00Z: some expire on
# 2027-01-01, and a replay must not start failing then).  Also: what the
# schema validation says about each peer's messages.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../mdm/lib.sh"
need_testdata replay || exit 0

$CAPTURE "$CAPS/scep/mdmb-02-GetCACert.http" response-body >"$TMP/lab.der"
openssl x509 -inform DER -in "$TMP/lab.der" -out "$TMP/lab.pem"
t_grep lab_ca 'MDM LAB SCEP CA' openssl x509 -in "$TMP/lab.pem" -noout -subject

# replay FILE [URL]: PUT the recorded request to the same path; HTTP, RESP
replay() {
	_f="$CAPS/$1"
	$CAPTURE "$_f" body >"$TMP/body"
	_sig=$($CAPTURE "$_f" header Mdm-Signature)
	_ct=$($CAPTURE "$_f" header Content-Type)
	_path=$($CAPTURE "$_f" path)
	RESP="$TMP/resp"
	HTTP=$(curl -s -o "$RESP" -w '%{http_code}' -X "$($CAPTURE "$_f" method)" \
	    ${_ct:+-H "Content-Type: $_ct"} ${_sig:+-H "Mdm-Signature: $_sig"} \
	    --data-binary "@$TMP/body" "$MDS_BASE$_path")
}
# as FILE: the status we answer equals the recorded one
as_recorded() {
	replay "$1"
	_want=$($CAPTURE "$CAPS/$1" status)
	eq "$(basename "$1" .http | tr -c 'A-Za-z0-9_\n' _)" "$HTTP" "$_want"
}
# the command in our reply is the one NanoMDM delivered (same CommandUUID and RequestType)
same_command() {
	$CAPTURE "$CAPS/$1" response-body >"$TMP/want"
	_w=$(python3 -c 'import plistlib,sys
d=plistlib.load(open(sys.argv[1],"rb"));print(d["CommandUUID"], d["Command"]["RequestType"])' "$TMP/want")
	eq "$2" "$(resp_uuid) $(resp_reqtype)" "$_w"
}
# enqueue the command NanoMDM's API was given (captures/api/), for the same enrollment
enqueue_recorded() {
	$CAPTURE "$CAPS/api/$1" body >"$TMP/cmd"
	_id=$($CAPTURE "$CAPS/api/$1" path | sed 's|^/v1/enqueue/||; s|?.*||')
	ctl POST "/v1/enqueue/$_id" "@$TMP/cmd"
	eq "enqueue_$(echo "$1" | tr -c 'A-Za-z0-9_\n' _)" "$HTTP" 200
}

mds_start --device-ca "$TMP/lab.pem" --verify-time 2026-12-02T02:00:00Z --no-checkin-url || exit 0

# --- mdmb: enrolment and the command loop (captures/mdmb/) ---
as_recorded mdmb/01-Authenticate.http
as_recorded mdmb/02-TokenUpdate.http
enqueue_recorded enqueue-DeviceInformation-nopush.http
enqueue_recorded enqueue-ProfileList-nopush.http
enqueue_recorded enqueue-InstallProfile-nopush.http
enqueue_recorded enqueue-InstalledApplicationList-nopush.http
as_recorded mdmb/03-Idle__delivers-DeviceInformation.http
same_command mdmb/03-Idle__delivers-DeviceInformation.http mdmb_03_delivers
as_recorded mdmb/04-Acknowledged-DeviceInformation__delivers-ProfileList.http
same_command mdmb/04-Acknowledged-DeviceInformation__delivers-ProfileList.http mdmb_04_delivers
as_recorded mdmb/05-Acknowledged-ProfileList__delivers-InstallProfile.http
same_command mdmb/05-Acknowledged-ProfileList__delivers-InstallProfile.http mdmb_05_delivers
cmp -s "$RESP" "$TMP/want" && _pass mdmb_05_installprofile_bytes || _fail mdmb_05_installprofile_bytes "InstallProfile differs from NanoMDM's"
as_recorded mdmb/06-Acknowledged-InstallProfile__delivers-InstalledApplicationList.http
same_command mdmb/06-Acknowledged-InstallProfile__delivers-InstalledApplicationList.http mdmb_06_delivers
as_recorded mdmb/07-Error-InstalledApplicationList__queue-empty.http
eq mdmb_07_queue_empty "$(wc -c <"$RESP")" 0
ctl GET "/v1/results?id=CB4B21DC-A7C9-4112-8B70-55947F58E808&body=0"
eq mdmb_results "$(jq_py 'sorted([r["request_type"]+":"+r["status"]+":"+str(r["valid"]) for r in j["results"]])')" \
    '["DeviceInformation:Acknowledged:True", "InstallProfile:Acknowledged:True", "InstalledApplicationList:Error:True", "ProfileList:Acknowledged:False"]'
ctl GET /v1/results?uuid=502E1248-4197-4527-BE7D-CF404C0284BA
eq mdmb_profilelist_violation "$(jq_py '[(v["kind"], v["path"]) for v in j["results"][0]["violations"]]')" \
    '[["unknown-key", "ProfileList[0].PayloadType"]]'

# --- the curl device: NotNow, redelivery, CheckOut, re-Authenticate (captures/curl/, negative/) ---
as_recorded curl/01-Authenticate.http
as_recorded curl/02-TokenUpdate.http
enqueue_recorded enqueue-DeviceInformation-for-curl-device.http
as_recorded curl/03-Idle__delivers-DeviceInformation.http
same_command curl/03-Idle__delivers-DeviceInformation.http curl_03_delivers
as_recorded curl/04-NotNow__empty-reply.http
eq curl_04_empty "$(wc -c <"$RESP")" 0
as_recorded curl/05-Idle__redelivers-after-NotNow.http
same_command curl/05-Idle__redelivers-after-NotNow.http curl_05_redelivers
as_recorded curl/06-Acknowledged-DeviceInformation__queue-empty.http
eq curl_06_empty "$(wc -c <"$RESP")" 0
as_recorded curl/07-CheckOut.http
as_recorded curl/08-Idle-after-CheckOut__200-empty.http
eq curl_08_empty "$(wc -c <"$RESP")" 0
for f in 01-no-Mdm-Signature__400 02-identity-from-unknown-CA__400 03-signature-over-other-body__400 \
    04-Idle-for-unknown-enrollment__500; do
	as_recorded "negative/$f.http"
done
as_recorded curl/10-Authenticate-openssl-signed-identity__200.http
as_recorded curl/11-TokenUpdate-sha1-digest__200.http
as_recorded curl/12-Idle-openssl-identity__200.http
as_recorded curl/13-re-Authenticate-after-CheckOut__200.http
for f in 05-same-cert-other-UDID-Authenticate__500-cert-reuse 06-enrolled-UDID-with-other-valid-cert__500-not-associated \
    07-body-not-a-plist__400 08-unknown-MessageType__400; do
	as_recorded "negative/$f.http"
done
ctl GET "/v1/enrollments/D91C5EC1-7FD3-43A5-A22F-10FAD4A2882C"
eq curl_device_after_replay "$(jq_py '[j["enabled"], j["authenticate_count"], j["checkout_count"]]')" '[false, 2, 1]'
ctl GET /v1/results?uuid=EBD7208C-180A-4D71-9ACC-60E88278F886
eq curl_notnow_then_ack "$(jq_py '[j["results"][0][k] for k in ("status","delivered","not_now","valid")]')" '["Acknowledged", 2, 1, true]'

# --- what the schema says about each recorded message ---
ctl GET /v1/report
eq report_mdmb_authenticate "$(jq_py 'sorted(v["path"] for v in j["validation"]["violations"] if v["where"].startswith("checkin:Authenticate CB4B21DC"))')" \
    '["Model", "ModelName"]'
eq report_curl_authenticate_valid "$(jq_py '[v for v in j["validation"]["violations"] if "D91C5EC1" in v["where"] or "97A90F99" in v["where"]]')" '[]'
eq report_tokenupdates_valid "$(jq_py 'j["validation"]["messages"]["checkin:TokenUpdate"]')" '{"invalid": 0, "validated": 3}'
eq report_malformed_recorded "$(jq_py 'j["validation"]["violations_by_kind"].get("malformed")')" 1
eq report_unknown_message_recorded "$(jq_py 'j["validation"]["violations_by_kind"].get("unknown-message")')" 1
mds_stop

# --- mdmb over HTTPS (captures/tls/): the same requests against the TLS listener ---
mds_start --tls --device-ca "$TMP/lab.pem" --verify-time 2026-12-02T02:00:00Z || exit 0
for f in 01-mdmb-https-Authenticate 02-mdmb-https-TokenUpdate 03-mdmb-https-Idle; do
	_f="$CAPS/tls/$f.http"
	$CAPTURE "$_f" body >"$TMP/body"
	HTTP=$(curl -s -o "$TMP/resp" -w '%{http_code}' --cacert "$MDS_DIR/pki/tls-ca.pem" -X PUT \
	    -H "Content-Type: $($CAPTURE "$_f" header Content-Type)" -H "Mdm-Signature: $($CAPTURE "$_f" header Mdm-Signature)" \
	    --data-binary "@$TMP/body" "$MDS_BASE$($CAPTURE "$_f" path)")
	eq "tls_$f" "$HTTP" "$($CAPTURE "$_f" status)"
done
mds_stop

# --- without --verify-time, at a later time, the recorded identities have expired ---
mds_start --device-ca "$TMP/lab.pem" --verify-time 2028-01-01T00:00:00Z || exit 0
as_recorded_at_2028() { replay mdmb/01-Authenticate.http; eq expired_identity_refused "$HTTP" 400; }
as_recorded_at_2028
check why_expired grep -q 'certificate has expired' "$MDS_DIR/log"
mds_stop

# --- the offline validator agrees with the server ---
for f in mdmb/01-Authenticate curl/01-Authenticate curl/02-TokenUpdate mdmb/02-TokenUpdate; do
	$CAPTURE "$CAPS/$f.http" body >"$TMP/$(echo "$f" | tr / _).plist"
done
t_exit 1 validate_mdmb_authenticate "$BIN/mdmserver" validate --schema "$MDM_TD" "$TMP/mdmb_01-Authenticate.plist"
t_grep validate_names_model 'missing: Model: required key absent' "$BIN/mdmserver" validate --schema "$MDM_TD" "$TMP/mdmb_01-Authenticate.plist"
t validate_curl_messages "$BIN/mdmserver" validate --schema "$MDM_TD" "$TMP/curl_01-Authenticate.plist" \
    "$TMP/curl_02-TokenUpdate.plist" "$TMP/mdmb_02-TokenUpdate.plist"
