# profiles_validate_bad.sh — bad input to `macext profiles validate`: each
# gives one line on stderr naming the file and the key path or offset, and
# a distinct exit code (64 usage, 65 format, 66 invalid, 67 not found,
# 69 signature, 71 too big).
. "$(dirname "$0")/lib.sh"
if "$MX" profiles validate /dev/null 2>&1 | grep -q 'not in this build yet'; then
	skip wired "macext profiles does not dispatch validate in this build"; exit 0
fi
D="$TMP/p"; mkdir -p "$D"
hdr='<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>PayloadType</key><string>Configuration</string><key>PayloadIdentifier</key><string>com.example.bad</string><key>PayloadUUID</key><string>0F0F0F0F-0000-4000-8000-00000000000B</string><key>PayloadVersion</key><integer>1</integer><key>PayloadContent</key><array>'
ftr='</array></dict></plist>'
sysext() { printf '<dict><key>PayloadType</key><string>com.apple.system-extension-policy</string><key>PayloadIdentifier</key><string>com.example.bad.sysext</string><key>PayloadUUID</key><string>0F0F0F0F-0000-4000-8000-00000000000C</string><key>PayloadVersion</key><integer>1</integer>%s</dict>' "$1"; }
mk() { printf '%s%s%s' "$hdr" "$1" "$ftr" > "$D/$2"; }
one_line() { [ -n "$ERR" ] && [ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ]; }
# t_err CODE NAME REGEX FILE...: exit CODE, one stderr line matching REGEX
t_err() { code=$1; n=$2; re=$3; shift 3; _run "$MX" profiles validate "$@"
  if [ $RC -eq "$code" ] && one_line && printf '%s\n' "$ERR" | grep -Eq -- "$re"; then _pass "$n"
  else _fail "$n" "exit $RC (wanted $code), stderr must be one line matching /$re/" "$ERR"; fi; }

mk "$(sysext '<key>AllowedTeamIdentifiers</key><array><string>EQHXZ8M8AV</string></array>')" good.mobileconfig

# malformed XML: truncated, mismatched tags, unknown element
head -c 300 "$D/good.mobileconfig" > "$D/trunc.mobileconfig"
t_err 65 xml_truncated "^macext: $D/trunc.mobileconfig: .*(unterminated|truncated).*offset" "$D/trunc.mobileconfig"
printf '<plist><dict><key>a</key><string>x</dict></plist>' > "$D/mismatch.mobileconfig"
t_err 65 xml_mismatched "mismatch.mobileconfig: a: <string> closed by </dict> \(at offset 34\)" "$D/mismatch.mobileconfig"
printf '<plist><dict><key>PayloadType</key><stving>x</stving></dict></plist>' > "$D/stving.mobileconfig"
t_err 65 xml_unknown_element "stving.mobileconfig: PayloadType: unknown element <stving>" "$D/stving.mobileconfig"
printf 'hello' > "$D/text.mobileconfig"
t_err 65 not_a_plist "text.mobileconfig: not a property list" "$D/text.mobileconfig"
: > "$D/empty.mobileconfig"
t_err 65 empty_file "empty.mobileconfig: empty file" "$D/empty.mobileconfig"

# malformed binary plists
printf 'bplist00\xd1\x01\x02\x51a\x09' > "$D/nobin.mobileconfig"
t_err 65 binary_no_trailer "nobin.mobileconfig: binary plist: .*too short" "$D/nobin.mobileconfig"
plistutil -i "$D/good.mobileconfig" -o "$D/good.bin" -f bin 2>/dev/null || plistutil -i "$D/good.mobileconfig" -o "$D/good.bin"
python3 -c "
import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[-1]=0xff; b[-2]=0xff; open(sys.argv[2],'wb').write(b)" "$D/good.bin" "$D/badtab.mobileconfig"
t_err 65 binary_bad_offset_table "badtab.mobileconfig: binary plist: offset table .* does not fit" "$D/badtab.mobileconfig"

# wrong value types: the first error's key path on stderr, all in the report
mk "$(sysext '<key>AllowedTeamIdentifiers</key><string>EQHXZ8M8AV</string>')" type.mobileconfig
t_err 66 wrong_type "^macext: $D/type.mobileconfig: PayloadContent\[0\]\.AllowedTeamIdentifiers: expected array, got string$" "$D/type.mobileconfig"
t_grep wrong_type_report 'error: PayloadContent\[0\]\.AllowedTeamIdentifiers: expected array, got string' "$MX" profiles validate "$D/type.mobileconfig"
t_json wrong_type_json '[(p["severity"], p["path"]) for p in j["problems"]]' '[["error", "PayloadContent[0].AllowedTeamIdentifiers"]]' sh -c "\"$MX\" profiles validate \"$D/type.mobileconfig\" --json; exit 0"
mk "$(sysext '<key>AllowUserOverrides</key><string>false</string><key>AllowedSystemExtensions</key><dict><key>EQHXZ8M8AV</key><string>com.x</string></dict>')" types2.mobileconfig
t_err 66 two_errors "types2.mobileconfig: PayloadContent\[0\]\.AllowUserOverrides: expected boolean, got string \(and 1 more errors\)" "$D/types2.mobileconfig"

# the extension payloads' prose rules
mk "$(sysext '<key>AllowedTeamIdentifiers</key><array><string>EQHXZ8M8AV</string></array><key>AllowedSystemExtensions</key><dict><key>EQHXZ8M8AV</key><array><string>com.x</string></array></dict>')" both.mobileconfig
t_err 66 team_in_both "both.mobileconfig: PayloadContent\[0\]\.AllowedSystemExtensions\.EQHXZ8M8AV: Team ID EQHXZ8M8AV is also in AllowedTeamIdentifiers" "$D/both.mobileconfig"
mk "$(sysext '<key>RemovableSystemExtensions</key><dict><key>EQHXZ8M8AV</key><array><string>com.x</string></array></dict><key>NonRemovableSystemExtensions</key><dict><key>EQHXZ8M8AV</key><array><string>com.x</string></array></dict>')" rem.mobileconfig
t_err 66 removable_and_nonremovable "rem.mobileconfig: PayloadContent\[0\]\.NonRemovableSystemExtensions\.EQHXZ8M8AV\[0\]: EQHXZ8M8AV com.x is also in RemovableSystemExtensions" "$D/rem.mobileconfig"
mk "$(sysext '<key>AllowedTeamIdentifiers</key><array><string>eqhxz8m8av</string></array>')" lower.mobileconfig
t_err 66 team_format "lower.mobileconfig: PayloadContent\[0\]\.AllowedTeamIdentifiers\[0\]: Team ID \"eqhxz8m8av\" is not 10 uppercase letters or digits" "$D/lower.mobileconfig"

# envelope
sed 's/<string>Configuration</<string>Konfiguration</' "$D/good.mobileconfig" > "$D/env.mobileconfig"
t_err 66 envelope_type "env.mobileconfig: PayloadType: expected \"Configuration\", got \"Konfiguration\"" "$D/env.mobileconfig"
sed 's/<key>PayloadContent<\/key><array>/<key>PayloadContent<\/key><dict\/><key>X<\/key><array>/' "$D/good.mobileconfig" > "$D/env2.mobileconfig"
t_err 66 envelope_content "env2.mobileconfig: PayloadContent: expected array, got dictionary" "$D/env2.mobileconfig"

# duplicate keys (libplist would keep the last silently)
mk "$(sysext '<key>AllowUserOverrides</key><true/><key>AllowUserOverrides</key><false/>')" dup.mobileconfig
t_err 65 duplicate_key "dup.mobileconfig: PayloadContent\[0\]\.AllowUserOverrides: duplicate key \(at offset [0-9]+\)" "$D/dup.mobileconfig"

# absurd nesting
python3 -c "
import sys; n=100000; open(sys.argv[1],'w').write('<plist>'+'<array>'*n+'</array>'*n+'</plist>')" "$D/deep.mobileconfig"
t_err 65 absurd_nesting "deep.mobileconfig: (\[0\])+: nesting deeper than 512 \(at offset 3591\)" "$D/deep.mobileconfig"

# over 16 MiB
python3 -c "
import sys; f=open(sys.argv[1],'wb'); f.write(b' '*(16*1024*1024)); f.write(b'<plist/>')" "$D/big.mobileconfig"
t_err 71 over_16mib "big.mobileconfig: 16777224 bytes is over the 16777216-byte limit" "$D/big.mobileconfig"

# CMS: truncated, forged content, forged signature, detached
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$D/key.pem" -out "$D/cert.pem" -subj "/CN=Example MDM Signing" -days 2 2>/dev/null
openssl cms -sign -binary -nodetach -outform DER -signer "$D/cert.pem" -inkey "$D/key.pem" -in "$D/good.mobileconfig" -out "$D/signed.mobileconfig"
t signed_ok "$MX" profiles validate "$D/signed.mobileconfig"
head -c 700 "$D/signed.mobileconfig" > "$D/cms-trunc.mobileconfig"
t_err 65 cms_truncated "cms-trunc.mobileconfig: malformed CMS signed profile" "$D/cms-trunc.mobileconfig"
python3 -c "
import sys; b=bytearray(open(sys.argv[1],'rb').read()); i=b.find(b'EQHXZ8M8AV'); b[i]=ord('F'); open(sys.argv[2],'wb').write(b)" "$D/signed.mobileconfig" "$D/forged.mobileconfig"
t_err 69 cms_forged_content "forged.mobileconfig: CMS signature does not verify" "$D/forged.mobileconfig"
python3 -c "
import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[-3]^=0x40; open(sys.argv[2],'wb').write(b)" "$D/signed.mobileconfig" "$D/forged-sig.mobileconfig"
t_err 69 cms_forged_signature "forged-sig.mobileconfig: CMS signature does not verify" "$D/forged-sig.mobileconfig"
openssl cms -sign -binary -outform DER -signer "$D/cert.pem" -inkey "$D/key.pem" -in "$D/good.mobileconfig" -out "$D/detached.mobileconfig"
t_err 65 cms_detached "detached.mobileconfig: detached CMS signature" "$D/detached.mobileconfig"

# files and flags
t_err 67 missing_file "nosuch.mobileconfig: cannot open: No such file" "$D/nosuch.mobileconfig"
t_err 64 bad_os "--os" "$D/good.mobileconfig" --os 11.x
t_err 64 bad_flag "unknown or incomplete option '--frobnicate'" "$D/good.mobileconfig" --frobnicate
t_err 64 no_file "usage: macext profiles validate FILE"
check state_untouched test ! -e "$MACEXT_STATE/macext.db"
