# plist_scalars.sh — issue 14 §10: out-of-range and malformed plist scalars
# used to be read silently (18446744073709551617 as -1, "1abc" as 1, an
# empty <integer> as 0, a bad date as 2001-01-01, junk in <data> skipped);
# now each is an error naming the key path, in validate and install alike.
. "$(dirname "$0")/lib.sh"
D="$TMP/p"; mkdir -p "$D"
mk() {  # mk FILE XML-OF-EXTRA-KEYS [PAYLOADVERSION]
	printf '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>PayloadType</key><string>Configuration</string><key>PayloadIdentifier</key><string>com.example.s</string><key>PayloadUUID</key><string>0F0F0F0F-0000-4000-8000-00000000000B</string><key>PayloadVersion</key><integer>%s</integer><key>PayloadContent</key><array><dict><key>PayloadType</key><string>com.apple.wifi.managed</string><key>PayloadIdentifier</key><string>com.example.w</string><key>PayloadUUID</key><string>0F0F0F0F-0000-4000-8000-00000000000C</string><key>PayloadVersion</key><integer>1</integer><key>SSID_STR</key><string>net</string>%s</dict></array></dict></plist>\n' "${3-1}" "$2" > "$D/$1"; }
mk ok.mobileconfig '<key>PayloadExpirationDate</key><date>2030-01-01T00:00:00Z</date><key>X</key><data>aGVsbG8=</data><key>R</key><real>1.5</real>'
mk wrap.mobileconfig '' 18446744073709551617
mk junk.mobileconfig '' 1abc
mk empty.mobileconfig '' ''
mk octal.mobileconfig '' 010
mk date.mobileconfig '<key>RemovalDate</key><date>2024-13-45T00:00:00Z</date>'
mk data.mobileconfig '<key>Blob</key><data>aGV*bG8=</data>'
mk real.mobileconfig '<key>R</key><real>1.5x</real>'
t ok_validates "$MX" profiles validate "$D/ok.mobileconfig"
while IFS='|' read -r f path msg; do
	[ -n "$f" ] || continue
	t_exit 65 "${f}_refused" "$MX" profiles validate "$D/$f.mobileconfig"
	t_grep "${f}_message" "$f.mobileconfig: $path: $msg" "$MX" profiles validate "$D/$f.mobileconfig"
done <<'TABLE'
wrap|PayloadVersion|'18446744073709551617' is out of range
junk|PayloadVersion|'1abc' is not an integer
empty|PayloadVersion|empty <integer>
octal|PayloadVersion|'010': a leading zero
date|PayloadContent\[0\]\.RemovalDate|'2024-13-45T00:00:00Z' is not a date
data|PayloadContent\[0\]\.Blob|byte 0x2a at position 3 of <data> is not base64
real|PayloadContent\[0\]\.R|'1.5x' is not a real number
TABLE
t create "$MX" device create mac --arch arm64 --os 15.1
t enroll "$MX" mdm enroll --method device --user-approved
t_exit 65 wrap_install_refused "$MX" mdm install-profile "$D/wrap.mobileconfig"
t_json nothing_installed 'len(j)' 0 "$MX" profiles list --json
