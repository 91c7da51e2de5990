# mdmserver_validate.sh — the conformance server's schema validator and plist
# parser, offline (`mdmserver validate`), one case per rule of Apple's YAML
# (key names, types, required keys, rangelist, enumerated subkeys, ANY keys,
# YAML aliases, supportedOS: n/a, introduced/removed, channels, user
# enrollment) and per parser refusal.  Each row: name, flags, plist body,
# the exact output lines (without the file name) and exit code.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../mdm/lib.sh"
need_testdata validate || exit 0

V="$BIN/mdmserver validate --schema $MDM_TD"
n=0
# case NAME EXIT "FLAGS" BODY EXPECTED-OUTPUT
case_() {
	n=$((n + 1))
	printf '%s' "$4" >"$TMP/c$n.plist"
	_got=$($V $3 "$TMP/c$n.plist" 2>&1 | sed "s|^$TMP/c$n.plist: ||")
	_rc=$($V $3 "$TMP/c$n.plist" >/dev/null 2>&1; echo $?)
	if [ "$_got" = "$5" ] && [ "$_rc" = "$2" ]; then _pass "$1"
	else _fail "$1" "exit $_rc (wanted $2)" "--- got:" "$_got" "--- wanted:" "$5"; fi
}
P() { printf '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>%s</dict>\n</plist>\n' "$1"; }
S() { printf '<key>%s</key><string>%s</string>' "$1" "$2"; }
U=11111111-2222-3333-4444-555555555555
AUTH="$(S MessageType Authenticate)$(S Topic t)$(S UDID $U)$(S DeviceName d)$(S Model m)$(S ModelName mn)"
ACK="$(S Status Acknowledged)$(S UDID $U)$(S CommandUUID c1)"

# --- check-ins ---
case_ authenticate_valid 0 "" "$(P "$AUTH$(S OSVersion 15.4)")" "Authenticate: valid"
case_ authenticate_missing_model 1 "" "$(P "$(S MessageType Authenticate)$(S Topic t)$(S UDID $U)$(S DeviceName d)")" \
"Authenticate: missing: ModelName: required key absent
Authenticate: missing: Model: required key absent"
case_ authenticate_unknown_key 1 "" "$(P "$AUTH$(S Colour blue)")" "Authenticate: unknown-key: Colour: key not in Apple's schema"
case_ authenticate_type 1 "" "$(P "$AUTH<key>OSVersion</key><integer>15</integer>")" "Authenticate: type: OSVersion: expected string, got integer"
case_ authenticate_ios_only_key 1 "" "$(P "$AUTH$(S IMEI 123)")" "Authenticate: unavailable: IMEI: not available on macOS"
case_ authenticate_ue_without_udid 0 "--user-enrollment" "$(P "$(S MessageType Authenticate)$(S Topic t)$(S EnrollmentID e1)$(S DeviceName d)$(S Model m)$(S ModelName mn)")" "Authenticate: valid"
case_ authenticate_ue_serial_forbidden 1 "--user-enrollment" "$(P "$(S MessageType Authenticate)$(S Topic t)$(S EnrollmentID e1)$(S DeviceName d)$(S Model m)$(S ModelName mn)$(S SerialNumber s)")" \
"Authenticate: unavailable: SerialNumber: forbidden in a user enrollment"
case_ tokenupdate_device_channel 0 "" "$(P "$(S MessageType TokenUpdate)$(S Topic t)$(S UDID $U)$(S PushMagic p)<key>Token</key><data>AAEC</data>")" "TokenUpdate: valid"
case_ tokenupdate_token_not_data 1 "" "$(P "$(S MessageType TokenUpdate)$(S Topic t)$(S UDID $U)$(S PushMagic p)$(S Token AAEC)")" "TokenUpdate: type: Token: expected data, got string"
case_ tokenupdate_user_channel_needs_user_keys 1 "--user-channel" "$(P "$(S MessageType TokenUpdate)$(S Topic t)$(S UDID $U)$(S PushMagic p)<key>Token</key><data>AAEC</data>$(S UserID u1)")" \
"TokenUpdate: missing: NotOnConsole: required key absent
TokenUpdate: missing: UserLongName: required key absent"
case_ tokenupdate_awaiting_configuration_not_on_user_channel 1 "--user-channel" "$(P "$(S MessageType TokenUpdate)$(S Topic t)$(S UDID $U)$(S PushMagic p)<key>Token</key><data>AAEC</data>$(S UserID u1)$(S UserLongName L)<key>NotOnConsole</key><false/><key>AwaitingConfiguration</key><false/>")" \
"TokenUpdate: unavailable: AwaitingConfiguration: not sent on the user channel"
case_ tokenupdate_user_keys_on_device_channel 1 "" "$(P "$(S MessageType TokenUpdate)$(S Topic t)$(S UDID $U)$(S PushMagic p)<key>Token</key><data>AAEC</data><key>NotOnConsole</key><false/>")" \
"TokenUpdate: unavailable: NotOnConsole: not sent on the device channel"
case_ tokenupdate_user_enrollment 1 "--user-enrollment" "$(P "$(S MessageType TokenUpdate)$(S Topic t)$(S UDID $U)$(S PushMagic p)<key>Token</key><data>AAEC</data>")" \
"TokenUpdate: unavailable: UDID: forbidden in a user enrollment
TokenUpdate: missing: EnrollmentID: required key absent"
case_ tokenupdate_awaiting_before_10_11 1 "--os 10.10" "$(P "$(S MessageType TokenUpdate)$(S Topic t)$(S UDID $U)$(S PushMagic p)<key>Token</key><data>AAEC</data><key>AwaitingConfiguration</key><false/>")" \
"TokenUpdate: unavailable: AwaitingConfiguration: introduced in macOS 10.11, device runs 10.10.0"
case_ userauthenticate_on_device_channel 1 "" "$(P "$(S MessageType UserAuthenticate)$(S UDID $U)$(S UserID u)$(S DigestResponse x)")" \
"UserAuthenticate: unavailable: MessageType: UserAuthenticate: not sent on the device channel
UserAuthenticate: unavailable: MessageType: not sent on the device channel
UserAuthenticate: unavailable: UDID: not sent on the device channel
UserAuthenticate: unavailable: UserID: not sent on the device channel
UserAuthenticate: unavailable: DigestResponse: not sent on the device channel"
case_ userauthenticate_user_channel 0 "--user-channel" "$(P "$(S MessageType UserAuthenticate)$(S UDID $U)$(S UserID u)$(S DigestResponse x)")" "UserAuthenticate: valid"
case_ setbootstraptoken_identifies_device 0 "" "$(P "$(S MessageType SetBootstrapToken)$(S UDID $U)<key>BootstrapToken</key><data>AA==</data>")" "SetBootstrapToken: valid"
case_ setbootstraptoken_before_10_15 1 "--os 10.14" "$(P "$(S MessageType SetBootstrapToken)$(S UDID $U)<key>BootstrapToken</key><data>AA==</data>")" \
"SetBootstrapToken: unavailable: MessageType: SetBootstrapToken: introduced in macOS 10.15, device runs 10.14.0
SetBootstrapToken: unavailable: MessageType: introduced in macOS 10.15, device runs 10.14.0
SetBootstrapToken: unavailable: UDID: introduced in macOS 10.15, device runs 10.14.0
SetBootstrapToken: unavailable: BootstrapToken: introduced in macOS 10.15, device runs 10.14.0"
case_ checkin_unknown_message 1 "" "$(P "$(S MessageType FooBar)$(S UDID $U)")" "FooBar: unknown-message: MessageType: \"FooBar\" is not a check-in message"

# --- command results ---
case_ idle_valid 0 "" "$(P "$(S Status Idle)$(S UDID $U)")" "response: valid"
case_ status_rangelist 1 "" "$(P "$(S Status Sleeping)$(S UDID $U)$(S CommandUUID c)")" "response: range: Status: \"Sleeping\" is not in the rangelist (Acknowledged, ...)"
case_ result_without_uuid 1 "" "$(P "$(S Status Acknowledged)$(S UDID $U)")" "response: missing: CommandUUID: a Acknowledged result names no command"
case_ error_without_chain 1 "--request-type SecurityInfo" "$(P "$(S Status Error)$(S UDID $U)$(S CommandUUID c)")" "SecurityInfo: missing: ErrorChain: Status Error without an ErrorChain"
case_ error_chain_item 1 "--request-type SecurityInfo" "$(P "$(S Status Error)$(S UDID $U)$(S CommandUUID c)<key>ErrorChain</key><array><dict>$(S ErrorCode 12)$(S ErrorDomain d)</dict></array>")" \
"SecurityInfo: type: ErrorChain[0].ErrorCode: expected integer, got string
SecurityInfo: missing: ErrorChain[0].LocalizedDescription: required key absent"
case_ error_needs_no_response_keys 0 "--request-type SecurityInfo" "$(P "$(S Status Error)$(S UDID $U)$(S CommandUUID c)<key>ErrorChain</key><array><dict><key>ErrorCode</key><integer>1</integer>$(S ErrorDomain d)$(S LocalizedDescription x)</dict></array>")" "SecurityInfo: valid"
case_ ack_needs_response_keys 1 "--request-type SecurityInfo" "$(P "$ACK")" "SecurityInfo: missing: SecurityInfo: required key absent"
case_ securityinfo_valid 0 "--request-type SecurityInfo --os 15.1" "$(P "$ACK<key>SecurityInfo</key><dict><key>SystemIntegrityProtectionEnabled</key><true/><key>SecureBoot</key><dict>$(S SecureBootLevel medium)<key>ReducedSecurity</key><array><string>AllowsUserKextApproval</string></array></dict>$(S BootstrapTokenAllowedForAuthentication allowed)<key>ManagementStatus</key><dict><key>EnrolledViaDEP</key><false/><key>UserApprovedEnrollment</key><true/></dict></dict>")" "SecurityInfo: valid"
case_ securityinfo_rangelist 1 "--request-type SecurityInfo" "$(P "$ACK<key>SecurityInfo</key><dict><key>SecureBoot</key><dict>$(S SecureBootLevel maximum)</dict></dict>")" \
"SecurityInfo: range: SecurityInfo.SecureBoot.SecureBootLevel: \"maximum\" is not in the rangelist (off, ...)"
case_ securityinfo_enumerated_subkeys 1 "--request-type SecurityInfo" "$(P "$ACK<key>SecurityInfo</key><dict><key>SecureBoot</key><dict><key>ReducedSecurity</key><array><string>AllowsEverything</string></array></dict></dict>")" \
"SecurityInfo: range: SecurityInfo.SecureBoot.ReducedSecurity[0]: \"AllowsEverything\" is not one of the values the schema lists"
case_ securityinfo_bootstrap_is_a_string 1 "--request-type SecurityInfo" "$(P "$ACK<key>SecurityInfo</key><dict><key>BootstrapTokenAllowedForAuthentication</key><true/></dict>")" \
"SecurityInfo: type: SecurityInfo.BootstrapTokenAllowedForAuthentication: expected string, got boolean"
case_ securityinfo_reduced_security_before_11 1 "--request-type SecurityInfo --os 10.15.7" "$(P "$ACK<key>SecurityInfo</key><dict><key>SecureBoot</key><dict>$(S SecureBootLevel full)<key>ReducedSecurity</key><array/></dict></dict>")" \
"SecurityInfo: unavailable: SecurityInfo.SecureBoot.ReducedSecurity: introduced in macOS 11.0, device runs 10.15.7"
case_ deviceinformation_types 1 "--request-type DeviceInformation" "$(P "$ACK<key>QueryResponses</key><dict>$(S OSVersion 15.4)$(S IsAppleSilicon true)<key>DeviceCapacity</key><integer>500</integer>$(S Nonsense x)</dict>")" \
"DeviceInformation: type: QueryResponses.IsAppleSilicon: expected boolean, got string
DeviceInformation: unknown-key: QueryResponses.Nonsense: key not in Apple's schema"
case_ profilelist_nested 1 "--request-type ProfileList" "$(P "$ACK<key>ProfileList</key><array><dict>$(S PayloadUUID u)$(S PayloadIdentifier i)<key>PayloadContent</key><array><dict>$(S PayloadType t)$(S PayloadIdentifier i)$(S PayloadUUID u)</dict></array></dict></array>")" \
"ProfileList: missing: ProfileList[0].PayloadContent[0].PayloadVersion: required key absent"
case_ profilelist_payloaduuid_required_from_14 0 "--request-type ProfileList --os 13.6" "$(P "$ACK<key>ProfileList</key><array><dict>$(S PayloadUUID u)$(S PayloadIdentifier i)<key>PayloadContent</key><array><dict>$(S PayloadType t)$(S PayloadIdentifier i)<key>PayloadVersion</key><integer>1</integer></dict></array></dict></array>")" "ProfileList: valid"
case_ profilelist_payloaduuid_missing_on_15 1 "--request-type ProfileList --os 15.0" "$(P "$ACK<key>ProfileList</key><array><dict>$(S PayloadUUID u)$(S PayloadIdentifier i)<key>PayloadContent</key><array><dict>$(S PayloadType t)$(S PayloadIdentifier i)<key>PayloadVersion</key><integer>1</integer></dict></array></dict></array>")" \
"ProfileList: missing: ProfileList[0].PayloadContent[0].PayloadUUID: required key absent"
case_ request_type_must_match 1 "--request-type ProfileList" "$(P "$ACK$(S RequestType SecurityInfo)<key>ProfileList</key><array/>")" \
"ProfileList: request-type: RequestType: \"SecurityInfo\" answers a ProfileList command"
case_ empty_request_type_accepted 0 "--request-type InstallProfile" "$(P "$ACK$(S RequestType '')")" "InstallProfile: valid"
case_ any_keys 1 "--request-type ManagedApplicationList" "$(P "$ACK<key>ManagedApplicationList</key><dict><key>com.example.app</key><dict>$(S Status Managed)<key>ManagementFlags</key><integer>1</integer><key>HasConfiguration</key><false/><key>ExternalVersionIdentifier</key><string>7</string></dict></dict>")" \
"ManagedApplicationList: type: ManagedApplicationList.com.example.app.ExternalVersionIdentifier: expected integer, got string"
case_ yaml_alias_shared_subkeys 1 "--request-type Restrictions" "$(P "$ACK<key>GlobalRestrictions</key><dict/><key>ProfileRestrictions</key><dict><key>com.example.profile</key><dict><key>restrictedBool</key><dict><key>allowCamera</key><dict><key>value</key><string>no</string></dict></dict></dict></dict>")" \
"Restrictions: unavailable: RequestType: Restrictions: not available on macOS
Restrictions: type: ProfileRestrictions.com.example.profile.restrictedBool.allowCamera.value: expected boolean, got string"
case_ user_channel_result 1 "--user-channel --request-type ProfileList" "$(P "$ACK$(S UserID u)<key>ProfileList</key><array/>")" \
"ProfileList: missing: UserLongName: required key absent
ProfileList: missing: NotOnConsole: required key absent"

# --- the parser refuses, naming the offset ---
case_ malformed_text 2 "" "not a plist" "malformed: offset 0: expected an element"
case_ malformed_integer 2 "" "$(P "<key>Status</key><integer>12abc</integer>")" "malformed: offset 84: bad integer \"12abc\""
case_ malformed_duplicate_key 2 "" "$(P "$(S Status Idle)$(S Status Idle)")" "malformed: offset 105: duplicate key \"Status\""
case_ malformed_unclosed 2 "" '<plist version="1.0"><dict><key>Status</key><string>Idle</string>' "malformed: offset 65: unexpected end of input inside <dict>"
case_ malformed_entity 2 "" "$(P "$(S Status '&bogus;')")" "malformed: offset 92: unknown entity &bogus;"
case_ malformed_base64 2 "" "$(P "<key>Token</key><data>@@@@</data>")" "malformed: offset 83: bad base64 in <data>"
case_ malformed_date 2 "" "$(P "<key>When</key><date>yesterday</date>")" "malformed: offset 82: date is not YYYY-MM-DDTHH:MM:SSZ"
case_ malformed_doctype_subset 2 "" '<!DOCTYPE plist [<!ENTITY x "y">]><plist><dict/></plist>' "malformed: offset 16: DOCTYPE with an internal subset"
case_ malformed_binary 2 "" "bplist00rest" "malformed: offset 0: binary plist (MDM messages are XML)"
case_ malformed_value_without_key 2 "" '<plist><dict><string>x</string></dict></plist>' "malformed: offset 13: value <string> without a key"
case_ entities_decoded 0 "" "$(P "$(S Status 'Idle')$(S UDID '&#x41;&#66;&lt;&amp;&gt;')")" "response: valid"
python3 -c 'print("<plist>" + "<array>" * 200 + "</array>" * 200 + "</plist>")' >"$TMP/deep.plist"
t_grep malformed_deep 'nesting deeper than 128' $V "$TMP/deep.plist"
python3 -c 'print("<plist><array>" + "<true/>" * 500000 + "</array></plist>")' >"$TMP/many.plist"
t_grep malformed_too_many 'more than 400000 plist elements' $V "$TMP/many.plist"
python3 -c '
print("<plist><dict>" + "".join("<key>k%d</key><true/>" % i for i in range(100000)) + "<key>k5</key><true/></dict></plist>")' >"$TMP/dupbig.plist"
t_grep malformed_duplicate_in_big_dict 'duplicate key "k5"' $V "$TMP/dupbig.plist"
printf '<plist><string>\377\376</string></plist>' >"$TMP/utf8.plist"
t_grep malformed_utf8 'invalid UTF-8' $V "$TMP/utf8.plist"

# --- the schema as loaded ---
t_exit 2 schema_dir_missing "$BIN/mdmserver" validate --schema "$TMP/nowhere" "$TMP/deep.plist"
