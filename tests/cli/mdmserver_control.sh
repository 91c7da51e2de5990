# mdmserver_control.sh — the conformance server's control API and enrolment
# profile: every JSON shortcut builds the command Apple's schema describes
# (the command plist is validated against its payloadkeys here), targets
# (one, a list, all, all-users), results filters, pushes to an APNs stand-in,
# the bearer token, the PKCS#12 profile (its identity opens with the password
# and chains to the SCEP CA), and macext's own profile validator agreeing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../mdm/lib.sh"
need_testdata control || exit 0

command python3 "$MDS_HERE/apns_stub.py" "$TMP/pushes.log" "$TMP/apns.port" &  # command: $! is python itself, not a subshell
STUB=$!
trap 'kill $STUB 2>/dev/null; mds_kill; rm -rf "$TMP"' EXIT
for i in $(seq 100); do [ -s "$TMP/apns.port" ] && break; sleep 0.05; done
mds_start --push-url "http://127.0.0.1:$(cat "$TMP/apns.port")" --control-token s3cret || exit 0
auth() { CTLH="Authorization: Bearer s3cret"; }
ctl() { # METHOD PATH [BODY|@FILE] — with the token
	if [ $# -ge 3 ]; then OUT=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer s3cret" -X "$1" --data-binary "$3" "$MDS_CTL$2")
	else OUT=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer s3cret" -X "$1" "$MDS_CTL$2"); fi
	HTTP=$(printf '%s' "$OUT" | tail -n 1); OUT=$(printf '%s' "$OUT" | sed '$d')
}
t_out token_required 401 curl -s -o /dev/null -w '%{http_code}' "$MDS_CTL/v1/health"
t_out wrong_token 401 curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer nope' "$MDS_CTL/v1/health"
ctl GET /v1/health
eq health "$(jq_py '[j["ok"], j["server_url"] == "'"$MDS_SU"'", j["topic"].startswith("com.apple.mgmt.External.")]')" '[true, true, true]'
ctl GET /v1/nowhere
eq unknown_route_404 "$HTTP" 404

# --- three devices, one user channel ---
U1=C0000001-0000-4000-8000-000000000001
U2=C0000002-0000-4000-8000-000000000002
U3=C0000003-0000-4000-8000-000000000003
for u in 1 2 3; do
	eval "U=\$U$u"
	dev_identity "d$u" "$U"
	pl_auth "$TMP/a$u" "$U"; dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/a$u" "d$u"
	pl_tokenupdate "$TMP/t$u" "$U"; dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/t$u" "d$u"
	pl_status "$TMP/i$u" Idle "$U"
done
sed -i "s|d7LtdLVlPYUjy+8+LoJUDg6q1fqBmMlrt1nrfZfaS5k=|AAEC|" "$TMP/t3"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/t3" d3
ctl GET /v1/enrollments
eq three_enrolled "$(jq_py 'j["count"]')" 3
ctl GET "/v1/enrollments?enabled=1"
eq enabled_filter "$(jq_py 'j["count"]')" 3
ctl GET /v1/enrollments/NOPE
eq unknown_enrollment_404 "$HTTP" 404

# --- every shortcut, validated against its command's payloadkeys ---
P1="$TESTDATA/profiles"
PF=$(ls "$P1"/*.mobileconfig 2>/dev/null | head -n 1)
[ -n "$PF" ] || PF="$MDS_DIR/enroll.mobileconfig"
n=0
shortcut() { # NAME JSON EXPECTED-KEYS
	n=$((n + 1))
	ctl POST "/v1/enqueue/$U1" "$2"
	_u=$(jq_py 'j["command_uuid"]')
	curl -s -H "Authorization: Bearer s3cret" "$MDS_CTL/v1/commands/$_u" | python3 -c 'import json,sys
print(json.load(sys.stdin)["command"], end="")' >"$TMP/cmd$n.plist"
	_keys=$(python3 -c 'import plistlib,sys
c=plistlib.load(open(sys.argv[1],"rb"))["Command"]
print(" ".join("%s=%s" % (k, (len(v) if isinstance(v,(bytes,list)) else v)) for k,v in sorted(c.items())))' "$TMP/cmd$n.plist")
	eq "shortcut_$1" "$_keys" "$3"
	# the command against Apple's payloadkeys, offline and as enqueue said
	_v=$("$BIN/mdmserver" validate --schema "$MDM_TD" --command "$TMP/cmd$n.plist" | sed "s|^$TMP/cmd$n.plist: ||")
	eq "shortcut_$1_valid" "$_v|$(jq_py 'j["command_violations"]')" "${4:-$(echo "$3" | sed 's/.*RequestType=\([A-Za-z]*\).*/\1/'): valid}|[]"
}
PLEN=$(wc -c <"$PF")
shortcut install_profile '{"request_type":"InstallProfile","profile_file":"'"$PF"'"}' "Payload=$PLEN RequestType=InstallProfile"
shortcut install_profile_b64 '{"request_type":"InstallProfile","payload_base64":"aGVsbG8="}' "Payload=5 RequestType=InstallProfile"
shortcut remove_profile '{"request_type":"RemoveProfile","identifier":"com.example.p"}' "Identifier=com.example.p RequestType=RemoveProfile"
shortcut profile_list '{"request_type":"ProfileList","managed_only":true}' "ManagedOnly=True RequestType=ProfileList"
shortcut security_info '{"request_type":"SecurityInfo"}' "RequestType=SecurityInfo"
shortcut device_information '{"request_type":"DeviceInformation","queries":["OSVersion","UDID"]}' "Queries=2 RequestType=DeviceInformation"
shortcut device_information_default '{"request_type":"DeviceInformation"}' "Queries=13 RequestType=DeviceInformation"
shortcut installed_apps '{"request_type":"InstalledApplicationList","identifiers":["com.apple.Safari"],"managed_apps_only":false}' "Identifiers=1 ManagedAppsOnly=False RequestType=InstalledApplicationList"
shortcut certificate_list '{"request_type":"CertificateList","managed_only":false}' "ManagedOnly=False RequestType=CertificateList"
shortcut available_os_updates '{"request_type":"AvailableOSUpdates"}' "RequestType=AvailableOSUpdates"
shortcut restart '{"request_type":"RestartDevice","notify_user":true,"rebuild_kernel_cache":true,"kext_paths":["/Library/Extensions/A.kext"]}' \
    "KextPaths=1 NotifyUser=True RebuildKernelCache=True RequestType=RestartDevice"
shortcut shutdown '{"request_type":"ShutDownDevice"}' "RequestType=ShutDownDevice"
shortcut device_configured '{"request_type":"DeviceConfigured"}' "RequestType=DeviceConfigured"
shortcut extra_keys '{"request_type":"Settings","keys":{"Settings":[{"Item":"DeviceName","DeviceName":"x"}]}}' \
    "RequestType=Settings Settings=1"
ctl POST "/v1/enqueue/$U1" '{"request_type":"Settings","keys":{"Settings":[{"Item":"DeviceName","DeviceName":7}],"Blob":{"$data":"AAEC"}}}'
eq enqueue_reports_command_violations "$(jq_py 'j["command_violations"]')" \
    '["type: Command.Settings[0].DeviceName: expected string, got integer", "unknown-key: Command.Blob: key not in Apple'"'"'s schema"]'
ctl POST "/v1/enqueue/$U1" '{"request_type":"MacextNoSuchCommand"}'
eq enqueue_unknown_request_type "$HTTP $(jq_py 'j["command_violations"]')" \
    '200 ["unknown-command: Command.RequestType: \"MacextNoSuchCommand\" has no schema"]'
ctl POST "/v1/enqueue/$U1" '{"request_type":"RemoveProfile"}'
eq shortcut_missing_identifier_400 "$HTTP" 400
ctl POST "/v1/enqueue/$U1" '{"request_type":"InstallProfile","profile_file":"/nonexistent"}'
eq shortcut_missing_file_400 "$HTTP" 400
ctl POST "/v1/enqueue/$U1" 'not json, not a plist'
eq garbage_body_400 "$HTTP" 400
ctl POST /v1/enqueue/NOPE '{"request_type":"SecurityInfo"}'
eq unknown_target_404 "$HTTP" 404
# the delivered InstallProfile carries the profile byte for byte
ctl POST "/v1/enqueue/$U2" '{"request_type":"InstallProfile","profile_file":"'"$PF"'","command_uuid":"IP-U2"}'
dev_put "$MDS_SU" "" "$TMP/i2" d2
python3 -c 'import plistlib,sys;open(sys.argv[2],"wb").write(plistlib.load(open(sys.argv[1],"rb"))["Command"]["Payload"])' "$RESP" "$TMP/delivered.mobileconfig"
t install_profile_bytes cmp "$PF" "$TMP/delivered.mobileconfig"

# --- targets ---
ctl POST "/v1/enqueue/$U2,$U3" '{"request_type":"ProfileList","command_uuid":"TWO"}'
eq list_target "$(jq_py 'j["targets"]')" 2
ctl POST /v1/enqueue/all '{"request_type":"SecurityInfo","command_uuid":"ALL"}'
eq all_target "$(jq_py 'j["targets"]')" 3
ctl GET "/v1/results?uuid=ALL&body=0"
eq all_results_queued "$(jq_py 'sorted(set(r["status"] for r in j["results"]))')" '["Queued"]'
pl_status "$TMP/ack3" Acknowledged "$U3" ALL "<key>SecurityInfo</key><dict/>"
dev_put "$MDS_SU" "" "$TMP/i3" d3
dev_put "$MDS_SU" "" "$TMP/i3" d3
dev_put "$MDS_SU" "" "$TMP/ack3" d3
ctl GET "/v1/results?status=Acknowledged"
eq status_filter "$(jq_py '[(r["id"], r["command_uuid"]) for r in j["results"]]')" "[[\"$U3\", \"ALL\"]]"
ctl GET "/v1/results?id=$U3&request_type=ProfileList"
eq id_and_type_filter "$(jq_py '[r["status"] for r in j["results"]]')" '["Delivered"]'
ctl GET "/v1/results?limit=2&body=0"
eq limit "$(jq_py 'j["count"]')" 2

# --- pushes: POST /3/device/<hex token>, apns-topic, {"mdm": PushMagic} ---
ctl POST "/v1/push/$U1"
eq push_one "$(jq_py '[j["pushed"], j["push_failed"]]')" '[1, 0]'
eq push_request "$(tail -n 1 "$TMP/pushes.log" | python3 -c 'import json,sys;j=json.load(sys.stdin);print(j["path"], j["topic"], json.loads(j["body"]))')" \
    "/3/device/77b2ed74b5653d8523cbef3e2e82540e0eaad5fa8198c96bb759eb7d97da4b99 $MDS_TOPIC {'mdm': 'PM-$U1'}"
ctl POST /v1/push/all
eq push_all "$(jq_py '[j["targets"], j["pushed"], j["push_failed"], j["push_errors"][0]["error"][:28]]')" \
    '[3, 2, 1, "HTTP 400 {\"reason\":\"BadDevic"]'
ctl POST "/v1/enqueue/$U2?push=1" '{"request_type":"SecurityInfo"}'
eq enqueue_with_push "$(jq_py '[j["targets"], j["pushed"]]')" '[1, 1]'
ctl PUT /v1/config '{"push_url":"http://127.0.0.1:1"}'
ctl POST "/v1/push/$U1"
eq push_unreachable "$(jq_py 'j["push_failed"]')" 1
ctl GET /v1/counters
eq push_counters "$(jq_py '[j["counters"]["pushes"], j["counters"]["push_failures"]]')" '[4, 2]'

# --- the profiles ---
ctl GET "/v1/profile?identity=pkcs12"
printf '%s' "$OUT" >"$TMP/p12.mobileconfig"
python3 -c 'import plistlib,sys
p=plistlib.load(open(sys.argv[1],"rb"))
x=[x for x in p["PayloadContent"] if x["PayloadType"]=="com.apple.security.pkcs12"][0]
m=[x for x in p["PayloadContent"] if x["PayloadType"]=="com.apple.mdm"][0]
assert m["IdentityCertificateUUID"]==x["PayloadUUID"]
open(sys.argv[2],"wb").write(x["PayloadContent"]); print(x["Password"])' "$TMP/p12.mobileconfig" "$TMP/id.p12" >"$TMP/p12.pw"
eq pkcs12_password "$(cat "$TMP/p12.pw")" macext
t pkcs12_opens openssl pkcs12 -in "$TMP/id.p12" -passin pass:macext -nodes -out "$TMP/id.pem"
openssl x509 -in "$TMP/id.pem" -out "$TMP/idcert.pem"
t pkcs12_identity_chains openssl verify -CAfile "$MDS_DIR/pki/scep-ca.pem" -purpose sslclient "$TMP/idcert.pem"
# and the PKCS#12 identity enrols
sed -n '/BEGIN PRIVATE KEY/,/END PRIVATE KEY/p' "$TMP/id.pem" >"$TMP/p12id.key"
cp "$TMP/idcert.pem" "$TMP/p12id.pem"
U4=C0000004-0000-4000-8000-000000000004
pl_auth "$TMP/a4" "$U4"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/a4" p12id
eq pkcs12_identity_enrols "$HTTP" 200
ctl GET "/v1/profile?identity=acme"
eq profile_bad_identity_400 "$HTTP" 400
if [ -x "$MX" ]; then
	t_grep macext_validates_scep_profile '0 errors, 0 warnings' "$MX" profiles validate "$MDS_DIR/enroll.mobileconfig"
	t_grep macext_validates_pkcs12_profile '0 errors, 0 warnings' "$MX" profiles validate "$TMP/p12.mobileconfig"
else
	skip macext_validates_profiles "$MX is not built"
fi
eq profile_payloads "$(python3 -c 'import plistlib,sys
p=plistlib.load(open(sys.argv[1],"rb"))
m=[x for x in p["PayloadContent"] if x["PayloadType"]=="com.apple.mdm"][0]
print(p["PayloadType"], [x["PayloadType"] for x in p["PayloadContent"]], m["AccessRights"], m["CheckOutWhenRemoved"], m["ServerCapabilities"], m["Topic"]==sys.argv[2])' \
    "$MDS_DIR/enroll.mobileconfig" "$MDS_TOPIC")" \
    "Configuration ['com.apple.security.scep', 'com.apple.mdm'] 8191 True ['com.apple.mdm.per-user-connections', 'com.apple.mdm.bootstraptoken'] True"
mds_stop

# --- profile options ---
mds_start --capabilities com.apple.mdm.bootstraptoken --access-rights 1025 --no-checkout-when-removed \
    --no-checkin-url --keysize 4096 --topic com.apple.mgmt.External.fixed --scep-challenge other || exit 0
eq profile_options "$(python3 -c 'import plistlib,sys
p=plistlib.load(open(sys.argv[1],"rb"))
by={x["PayloadType"]:x for x in p["PayloadContent"]}
m=by["com.apple.mdm"]; s=by["com.apple.security.scep"]["PayloadContent"]
print(m["ServerCapabilities"], m["AccessRights"], m["CheckOutWhenRemoved"], "CheckInURL" in m, s["Keysize"], m["Topic"], s["Challenge"])' "$MDS_DIR/enroll.mobileconfig")" \
    "['com.apple.mdm.bootstraptoken'] 1025 False False 4096 com.apple.mgmt.External.fixed other"
t_out loopback_without_token 200 curl -s -o /dev/null -w '%{http_code}' "$MDS_CTL/v1/health"
mds_stop
