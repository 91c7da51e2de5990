# profiles_validate.sh — `macext profiles validate` on real and made-up
# profiles: XML, binary, CMS-signed; text and JSON reports; --os.
. "$(dirname "$0")/lib.sh"
if "$MX" profiles validate /dev/null 2>&1 | grep -q 'not in this build yet'; then
	skip wired "macext profiles does not dispatch validate in this build"; exit 0
fi
D="$TMP/p"; mkdir -p "$D"
hdr='<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>PayloadType</key><string>Configuration</string><key>PayloadIdentifier</key><string>com.example.test</string><key>PayloadUUID</key><string>0F0F0F0F-0000-4000-8000-000000000001</string><key>PayloadVersion</key><integer>1</integer><key>PayloadDisplayName</key><string>Test</string><key>PayloadContent</key><array>'
ftr='</array></dict></plist>'
sysext() { printf '<dict><key>PayloadType</key><string>com.apple.system-extension-policy</string><key>PayloadIdentifier</key><string>com.example.test.sysext</string><key>PayloadUUID</key><string>0F0F0F0F-0000-4000-8000-000000000002</string><key>PayloadVersion</key><integer>1</integer>%s</dict>' "$1"; }
mk() { printf '%s%s%s' "$hdr" "$1" "$ftr" > "$D/$2"; }

mk "$(sysext '<key>AllowedTeamIdentifiers</key><array><string>EQHXZ8M8AV</string></array><key>AllowUserOverrides</key><false/>')" good.mobileconfig
t good_exit0 "$MX" profiles validate "$D/good.mobileconfig"
t_grep good_summary 'allows every system extension of team EQHXZ8M8AV \(all types\)' "$MX" profiles validate "$D/good.mobileconfig"
t_grep good_delivery 'installs only via MDM on a user-approved enrollment; refused on User Enrollment' "$MX" profiles validate "$D/good.mobileconfig"
t_json json_file 'j["file"].endswith("good.mobileconfig")' true "$MX" profiles validate "$D/good.mobileconfig" --json
t_json json_envelope '[j["signed"], j["signer"], j["identifier"], j["uuid"]]' '[false, null, "com.example.test", "0F0F0F0F-0000-4000-8000-000000000001"]' "$MX" profiles validate "$D/good.mobileconfig" --json
t_json json_payload '[(p["type"], p["identifier"], p["delivery"]["mdm_only"], p["delivery"]["user_enrollment_forbidden"]) for p in j["payloads"]]' '[["com.apple.system-extension-policy", "com.example.test.sysext", true, true]]' "$MX" profiles validate "$D/good.mobileconfig" --json
t_json json_no_problems 'j["problems"]' '[]' "$MX" profiles validate "$D/good.mobileconfig" --json

# binary form of the same profile
plistutil -i "$D/good.mobileconfig" -o "$D/good.bin.mobileconfig" -f bin 2>/dev/null || plistutil -i "$D/good.mobileconfig" -o "$D/good.bin.mobileconfig"
t_json binary_reads 'j["payloads"][0]["summary"][1]' 'allows every system extension of team EQHXZ8M8AV (all types)' "$MX" profiles validate "$D/good.bin.mobileconfig" --json

# CMS-signed (attached SignedData), XML and binary inside
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$D/key.pem" -out "$D/cert.pem" -subj "/O=Example/CN=Example MDM Signing" -days 2 2>/dev/null
openssl cms -sign -binary -nodetach -outform DER -signer "$D/cert.pem" -inkey "$D/key.pem" -in "$D/good.mobileconfig" -out "$D/signed.mobileconfig"
openssl cms -sign -binary -nodetach -outform DER -signer "$D/cert.pem" -inkey "$D/key.pem" -in "$D/good.bin.mobileconfig" -out "$D/signed-bin.mobileconfig"
t_json signed_xml '[j["signed"], j["signer"], j["identifier"]]' '[true, "Example MDM Signing", "com.example.test"]' "$MX" profiles validate "$D/signed.mobileconfig" --json
t_json signed_bin '[j["signed"], j["signer"]]' '[true, "Example MDM Signing"]' "$MX" profiles validate "$D/signed-bin.mobileconfig" --json
t_grep signed_text 'signed by "Example MDM Signing"' "$MX" profiles validate "$D/signed.mobileconfig"

# versions: a key macOS 14 does not know is a warning, not an error
mk "$(sysext '<key>NonRemovableSystemExtensions</key><dict><key>EQHXZ8M8AV</key><array><string>com.example.ext</string></array></dict>')" new.mobileconfig
t os14_exit0 "$MX" profiles validate "$D/new.mobileconfig" --os 14.5
t_json os14_warning '[(p["severity"], p["path"], p["message"]) for p in j["problems"]]' '[["warning", "PayloadContent[0].NonRemovableSystemExtensions", "introduced in macOS 15.0: ignored by macOS 14.5"]]' "$MX" profiles validate "$D/new.mobileconfig" --os 14.5 --json
t_json os15_clean 'j["problems"]' '[]' "$MX" profiles validate "$D/new.mobileconfig" --os 15.0 --json
t_grep os1014_payload_ignored 'ignored: needs macOS 10.15 \(this Mac runs 10.14.6\)' "$MX" profiles validate "$D/good.mobileconfig" --os 10.14.6

# unknown payload type: a warning
mk '<dict><key>PayloadType</key><string>com.example.custom</string><key>PayloadIdentifier</key><string>c</string><key>PayloadUUID</key><string>C</string><key>PayloadVersion</key><integer>1</integer><key>Anything</key><true/></dict>' custom.mobileconfig
t_json unknown_type_warning '[(p["severity"], p["path"]) for p in j["problems"]]' '[["warning", "PayloadContent[0].PayloadType"]]' "$MX" profiles validate "$D/custom.mobileconfig" --json

# the kext payload: "" is the unsigned-kext key
mk '<dict><key>PayloadType</key><string>com.apple.syspolicy.kernel-extension-policy</string><key>PayloadIdentifier</key><string>k</string><key>PayloadUUID</key><string>K</string><key>PayloadVersion</key><integer>1</integer><key>AllowedKernelExtensions</key><dict><key></key><array><string>com.example.legacy</string></array><key>ABCDE12345</key><array><string>com.example.driver</string></array></dict></dict>' kext.mobileconfig
t kext_unsigned_ok "$MX" profiles validate "$D/kext.mobileconfig" --os 10.15.7
t_grep kext_unsigned_summary 'allows unsigned kexts com.example.legacy' "$MX" profiles validate "$D/kext.mobileconfig" --os 10.15.7
t_grep kext_default_overrides 'users may not approve other kexts \(AllowUserOverrides false\)' "$MX" profiles validate "$D/kext.mobileconfig"

# the 16 real vendor profiles validate cleanly on every version they target
if need_testdata vendor; then
	for f in "$TESTDATA"/profiles/*.mobileconfig; do
		n=$(basename "$f" .mobileconfig)
		t "vendor_$n" "$MX" profiles validate "$f"
	done
	t_json santa_json '[(p["type"], p["summary"][1]) for p in j["payloads"]]' '[["com.apple.system-extension-policy", "allows com.google.santa.daemon of team EQHXZ8M8AV (EndpointSecurityExtension)"]]' "$MX" profiles validate "$TESTDATA/profiles/google__system-extension-policy.santa.example.mobileconfig" --json
	t_json crowdstrike_types '[p["type"] for p in j["payloads"]]' '["webcontent-filter", "system-extensions.admin", "TCC.configuration-profile-policy", "system-extension-policy", "notificationsettings"]' sh -c "\"$MX\" profiles validate \"$TESTDATA/profiles/kandji__crowdstrike_settings.mobileconfig\" --json | sed 's/com\\.apple\\.//g'"
	t_grep bitdefender15_on_14 'NonRemovableFromUISystemExtensions: introduced in macOS 15.0: ignored by macOS 14.6' "$MX" profiles validate "$TESTDATA/profiles/kandji__bitdefender_settings_macOS15.mobileconfig" --os 14.6
fi
