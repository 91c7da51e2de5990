# profile_cms_trailing.sh — issue 14 §5: every byte of a signed profile is
# authenticated.  A CMS-signed profile with bytes appended after the
# SignedData used to verify; now `profiles validate` and `mdm
# install-profile` refuse it alike (one reader: mx_profile_read), naming how
# many bytes and where they start, and nothing is installed.
. "$(dirname "$0")/lib.sh"
D="$TMP/p"; mkdir -p "$D"
cat > "$D/good.mobileconfig" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>PayloadType</key><string>Configuration</string><key>PayloadIdentifier</key><string>com.example.signed</string><key>PayloadUUID</key><string>0F0F0F0F-0000-4000-8000-00000000000B</string><key>PayloadVersion</key><integer>1</integer><key>PayloadContent</key><array><dict><key>PayloadType</key><string>com.apple.system-extension-policy</string><key>PayloadIdentifier</key><string>com.example.signed.sysext</string><key>PayloadUUID</key><string>0F0F0F0F-0000-4000-8000-00000000000C</string><key>PayloadVersion</key><integer>1</integer><key>AllowedTeamIdentifiers</key><array><string>EQHXZ8M8AV</string></array></dict></array></dict></plist>
XML
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$D/key.pem" -out "$D/cert.pem" -subj "/CN=Example MDM Signing" -days 2 2>/dev/null
openssl cms -sign -binary -nodetach -outform DER -signer "$D/cert.pem" -inkey "$D/key.pem" \
    -in "$D/good.mobileconfig" -out "$D/signed.mobileconfig"
size=$(wc -c < "$D/signed.mobileconfig")
{ cat "$D/signed.mobileconfig"; head -c 400 /dev/zero | tr '\0' 'J'; } > "$D/junk.mobileconfig"
{ cat "$D/signed.mobileconfig"; printf '\n'; } > "$D/newline.mobileconfig"
want="400 bytes after the CMS SignedData \(bytes $size to $((size + 399)) of $((size + 400))\) are not covered by the signature"

t signed_validates "$MX" profiles validate "$D/signed.mobileconfig"
t_exit 65 junk_validate_refused "$MX" profiles validate "$D/junk.mobileconfig"
t_grep junk_validate_message "junk.mobileconfig: $want" "$MX" profiles validate "$D/junk.mobileconfig"
t_exit 65 newline_validate_refused "$MX" profiles validate "$D/newline.mobileconfig"
t_grep newline_message "1 bytes after the CMS SignedData" "$MX" profiles validate "$D/newline.mobileconfig"

t create "$MX" device create mac --arch arm64 --os 15.1
t enroll "$MX" mdm enroll --method device --user-approved
t_exit 65 junk_install_refused "$MX" mdm install-profile "$D/junk.mobileconfig"
t_grep junk_install_message "junk.mobileconfig: $want" "$MX" mdm install-profile "$D/junk.mobileconfig"
t_json nothing_installed 'len(j)' 0 "$MX" profiles list --json
t signed_installs "$MX" mdm install-profile "$D/signed.mobileconfig"
t_json signer_recorded 'j[0]["signer"]' "Example MDM Signing" "$MX" profiles list --json
