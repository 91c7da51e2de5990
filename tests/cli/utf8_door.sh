# utf8_door.sh — issue 14 §9, the door part: a profile identifier, display
# name or payload string holding a byte that is not UTF-8 made `profiles
# validate --json` print nothing with exit 0 and `profiles list --json`
# leave the profile out.  Such text is now refused where it enters (the
# plist reader, the account-name check), naming the key path, so nothing
# invalid reaches a JSON serializer.
. "$(dirname "$0")/lib.sh"
D="$TMP/p"; mkdir -p "$D"
mk() {  # mk FILE IDENT DISPLAYNAME SSID: a one-Wi-Fi-payload profile
	printf '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>PayloadType</key><string>Configuration</string><key>PayloadIdentifier</key><string>%s</string><key>PayloadDisplayName</key><string>%s</string><key>PayloadUUID</key><string>0F0F0F0F-0000-4000-8000-00000000000B</string><key>PayloadVersion</key><integer>1</integer><key>PayloadContent</key><array><dict><key>PayloadType</key><string>com.apple.wifi.managed</string><key>PayloadIdentifier</key><string>com.example.w</string><key>PayloadUUID</key><string>0F0F0F0F-0000-4000-8000-00000000000C</string><key>PayloadVersion</key><integer>1</integer><key>SSID_STR</key><string>%s</string><key>EncryptionType</key><string>None</string></dict></array></dict></plist>\n' "$2" "$3" "$4" > "$D/$1"; }
mk good.mobileconfig com.example.good "Caf$(printf '\303\251')" "net"
mk ident.mobileconfig "com.example.$(printf '\351')" "Office" "net"
mk name.mobileconfig com.example.name "Caf$(printf '\351')" "net"
mk ssid.mobileconfig com.example.ssid "Office" "caf$(printf '\377')"
python3 -c "
import plistlib,sys
p=plistlib.load(open(sys.argv[1],'rb')); b=bytearray(plistlib.dumps(p,fmt=plistlib.FMT_BINARY))
i=b.find(b'com.example.good'); b[i+12:i+16]=b'g\xe9od'; open(sys.argv[2],'wb').write(b)" "$D/good.mobileconfig" "$D/binary.mobileconfig"

t good_validates "$MX" profiles validate "$D/good.mobileconfig" --json
t_exit 65 ident_refused "$MX" profiles validate "$D/ident.mobileconfig" --json
t_grep ident_path "ident.mobileconfig: PayloadIdentifier: <string> is not valid UTF-8 \(byte 0xe9\)" "$MX" profiles validate "$D/ident.mobileconfig"
t_exit 65 name_refused "$MX" profiles validate "$D/name.mobileconfig" --json
t_grep name_path "name.mobileconfig: PayloadDisplayName: <string> is not valid UTF-8" "$MX" profiles validate "$D/name.mobileconfig"
t_grep ssid_path "ssid.mobileconfig: PayloadContent\[0\]\.SSID_STR: <string> is not valid UTF-8 \(byte 0xff\)" "$MX" profiles validate "$D/ssid.mobileconfig"
t_grep binary_path "binary.mobileconfig: PayloadIdentifier: binary plist: ASCII string object holds byte 0xe9" "$MX" profiles validate "$D/binary.mobileconfig"

t create "$MX" device create mac --arch arm64 --os 15.1
t enroll "$MX" mdm enroll --method device --user-approved
for f in ident name ssid binary; do
	t_exit 65 "${f}_install_refused" "$MX" mdm install-profile "$D/$f.mobileconfig"
done
t good_installs "$MX" mdm install-profile "$D/good.mobileconfig"
t_json list_is_complete '[p["display_name"] for p in j]' '["Caf\u00e9"]' "$MX" profiles list --json

# account names: refused where they enter, shown escaped in the message
t_exit 64 bad_user_refused "$MX" device create m2 --user "$(printf 'bo\377b'):pw"
t_grep bad_user_message "bad user name 'bo\\\\xffb'" "$MX" device create m2 --user "$(printf 'bo\377b'):pw"
t_json users_in_json '[u["name"] for u in j["users"]]' '["bob"]' "$MX" device create m3 --user bob:pw --json
