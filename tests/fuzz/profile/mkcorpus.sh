#!/bin/sh
# mkcorpus.sh — regenerates the seed corpus of the profile and plist fuzz
# targets from small profiles written here (no vendor file is copied):
# XML, the same as binary (plistutil), and CMS-signed (openssl cms) forms.
set -e
cd "$(dirname "$0")"
P=corpus; Q=../plist/corpus
mkdir -p "$P" "$Q"
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
hdr='<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>PayloadType</key><string>Configuration</string><key>PayloadIdentifier</key><string>com.example.p</string><key>PayloadUUID</key><string>1A2B3C4D-0000-0000-0000-000000000001</string><key>PayloadVersion</key><integer>1</integer><key>PayloadContent</key><array>'
ftr='</array></dict></plist>'
pl() { printf '<dict><key>PayloadType</key><string>%s</string><key>PayloadIdentifier</key><string>com.example.p.%s</string><key>PayloadUUID</key><string>1A2B3C4D-0000-0000-0000-00000000000%s</string><key>PayloadVersion</key><integer>1</integer>%s</dict>' "$1" "$2" "$2" "$3"; }
sysext=$(pl com.apple.system-extension-policy 2 '<key>AllowUserOverrides</key><false/><key>AllowedTeamIdentifiers</key><array><string>ABCDE12345</string></array><key>AllowedSystemExtensions</key><dict><key>ZYXWV98765</key><array><string>com.example.ext</string></array></dict><key>AllowedSystemExtensionTypes</key><dict><key>ZYXWV98765</key><array><string>NetworkExtension</string></array></dict><key>RemovableSystemExtensions</key><dict><key>ZYXWV98765</key><array><string>com.example.ext</string></array></dict>')
kext=$(pl com.apple.syspolicy.kernel-extension-policy 3 '<key>AllowNonAdminUserApprovals</key><true/><key>AllowedTeamIdentifiers</key><array><string>ABCDE12345</string></array><key>AllowedKernelExtensions</key><dict><key></key><array><string>com.example.unsigned</string></array></dict>')
other=$(pl com.apple.webcontent-filter 4 '<key>FilterType</key><string>Plugin</string><key>FilterSockets</key><true/><key>FilterGrade</key><string>firewall</string>')
printf '%s%s%s' "$hdr" "$sysext" "$ftr" > "$P/sysext.xml"
printf '\n%s%s%s%s' "$hdr" "$kext" "$other" "$ftr" > "$P/kext-newline.xml"
printf '%s%s%s' "$hdr" "$(pl com.example.unknown 5 '<key>X</key><data>AAEC</data><key>D</key><date>2020-01-01T00:00:00Z</date><key>R</key><real>1.5</real>')" "$ftr" > "$P/unknown.xml"
printf '%s%s%s' "$hdr" "$(pl com.apple.system-extension-policy 6 '<key>AllowedTeamIdentifiers</key><string>ABCDE12345</string><key>AllowedSystemExtensions</key><dict><key>ABCDE12345</key><array><string>a</string></array></dict>')" "$ftr" > "$P/bad-types.xml"
plistutil -i "$P/sysext.xml" -o "$P/sysext.bin" -f bin 2>/dev/null || plistutil -i "$P/sysext.xml" -o "$P/sysext.bin"
plistutil -i "$P/kext-newline.xml" -o "$P/kext.bin" -f bin 2>/dev/null || plistutil -i "$P/kext-newline.xml" -o "$P/kext.bin"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$t/k.pem" -out "$t/c.pem" -subj "/CN=Corpus Signer" -days 30 2>/dev/null
openssl cms -sign -binary -nodetach -outform DER -signer "$t/c.pem" -inkey "$t/k.pem" -in "$P/sysext.xml" -out "$P/sysext.cms" -noattr
openssl cms -sign -binary -nodetach -outform DER -signer "$t/c.pem" -inkey "$t/k.pem" -in "$P/kext.bin" -out "$P/kext-bin.cms"
# plist target: the same plus small edge cases
cp "$P/sysext.xml" "$P/kext.bin" "$Q/"
printf '<plist><dict><key>a</key><true/><key>a</key><false/></dict></plist>' > "$Q/dup.xml"
printf '<plist><array><array><array><dict><key>k</key><array/></dict></array></array></array></plist>' > "$Q/nest.xml"
printf '<plist><dict><key>s</key><string>&lt;&amp;&#65;</string><key>c</key><string><![CDATA[x<y]]></string></dict></plist>' > "$Q/entities.xml"
