# forge_kext.sh — macext forge ca + forge kext (signed, ad-hoc, unsigned,
# tampered, codeless, SHA-1 primary), cross-checked with tools nobody here
# wrote: openssl (x509, cms -verify), llvm-objdump-14, python3-macholib,
# plistutil, and tests/cli/forge_check.py (hashlib) recomputing every hash.
. "$(dirname "$0")/lib.sh"
FC="python3 $(cd "$(dirname "$0")" && pwd)/forge_check.py"
SYSPY=/usr/bin/python3
cd "$TMP" || exit 1

# ---- the CA ----
t ca_create "$MX" forge ca ca
check ca_files test -s ca/root.pem -a -s ca/root.key -a -s ca/devid-ca.pem -a -s ca/devid-ca.key
t_grep ca_root_subject 'CN *= *macext Test Root CA' openssl x509 -in ca/root.pem -noout -subject
t_grep ca_intermediate_subject 'CN *= *Developer ID Certification Authority' openssl x509 -in ca/devid-ca.pem -noout -subject
t_grep ca_intermediate_marker '1\.2\.840\.113635\.100\.6\.2\.6: critical' openssl x509 -in ca/devid-ca.pem -noout -text
t_grep ca_intermediate_chain ': OK' openssl verify -ignore_critical -CAfile ca/root.pem ca/devid-ca.pem
t_grep ca_validity 'notAfter=Jan  1 00:00:00 2040 GMT' openssl x509 -in ca/devid-ca.pem -noout -enddate
fp1=$(openssl x509 -in ca/root.pem -noout -fingerprint -sha256)
t ca_reopen_keeps_root "$MX" forge ca ca
check ca_same_root test "$fp1" = "$(openssl x509 -in ca/root.pem -noout -fingerprint -sha256)"
t_json ca_json_fingerprint 'j["root_sha256"]' "$(echo "$fp1" | sed 's/.*=//; s/://g' | tr A-F a-f)" "$MX" forge ca ca --json

# ---- a Developer ID kext, thin x86_64 ----
"$MX" forge kext k1.kext --bundle-id com.example.driver --team ABCDE12345 --ca ca --json >k1.json
check signed_kext_made test -s k1.kext/Contents/MacOS/driver -a -s k1.kext/Contents/_CodeSignature/CodeResources
t_json signed_expect 'j["expected_kind"]' developer-id-kext cat k1.json
t_out signed_hashes_recomputed ok $FC compare k1.kext k1.json
leaf=$(ls ca/leaves/ABCDE12345-kext-*.pem)
t_grep leaf_subject 'UID *= *ABCDE12345, CN *= *Developer ID Application: macext Test Developer \(ABCDE12345\), OU *= *ABCDE12345' openssl x509 -in "$leaf" -noout -subject
t_grep leaf_devid_oid '1\.2\.840\.113635\.100\.6\.1\.13: critical' openssl x509 -in "$leaf" -noout -text
t_grep leaf_kext_oid '1\.2\.840\.113635\.100\.6\.1\.18: critical' openssl x509 -in "$leaf" -noout -text
t_grep leaf_eku 'Code Signing' openssl x509 -in "$leaf" -noout -text
mkdir -p x1 && $FC extract k1.kext 0 x1
t_grep cms_verifies_with_test_root 'Verification successful' openssl cms -verify -binary -inform DER \
    -in x1/cms.der -content x1/cd0.bin -CAfile ca/root.pem -purpose any -ignore_critical -out /dev/null
"$MX" forge ca other >/dev/null
t_exit 4 cms_fails_with_other_root openssl cms -verify -binary -inform DER \
    -in x1/cms.der -content x1/cd0.bin -CAfile other/root.pem -purpose any -ignore_critical -out /dev/null
printf 'X' | dd of=x1/cd0.bin bs=1 seek=200 conv=notrunc 2>/dev/null
t_exit 4 cms_fails_on_changed_cd openssl cms -verify -binary -inform DER \
    -in x1/cms.der -content x1/cd0.bin -CAfile ca/root.pem -purpose any -ignore_critical -out /dev/null
t_grep cms_has_agility_v1 '1\.2\.840\.113635\.100\.9\.1' openssl cms -cmsout -print -inform DER -in x1/cms.der
t_grep cms_has_agility_v2 '1\.2\.840\.113635\.100\.9\.2' openssl cms -cmsout -print -inform DER -in x1/cms.der
t_grep cms_is_detached 'eContent: <ABSENT>' openssl cms -cmsout -print -inform DER -in x1/cms.der
t_grep cms_three_certs 'Developer ID Application.*|macext Test Root CA' openssl pkcs7 -inform DER -in x1/cms.der -print_certs -noout
t_out cms_cert_count 3 sh -c "openssl pkcs7 -inform DER -in x1/cms.der -print_certs | grep -c '^subject'"
t_grep objdump_kext_bundle 'KEXTBUNDLE' llvm-objdump-14 --macho --private-headers k1.kext/Contents/MacOS/driver
t_grep objdump_code_signature 'LC_CODE_SIGNATURE' llvm-objdump-14 --macho --private-headers k1.kext/Contents/MacOS/driver
t_grep objdump_build_version 'platform macos' llvm-objdump-14 --macho --private-headers k1.kext/Contents/MacOS/driver
t_out macholib_headers '11 0x1000007 LC_CODE_SIGNATURE' $SYSPY -c '
from macholib.MachO import MachO
import sys
m = MachO(sys.argv[1])
h = m.headers[0]
print(h.header.filetype, hex(h.header.cputype), h.commands[-1][0].get_cmd_name())' k1.kext/Contents/MacOS/driver
t_grep plistutil_info '<string>com.example.driver</string>' plistutil -f xml -o - -i k1.kext/Contents/Info.plist
t_grep plistutil_package_type '<string>KEXT</string>' plistutil -f xml -o - -i k1.kext/Contents/Info.plist
t_grep plistutil_libraries 'OSBundleLibraries' plistutil -f xml -o - -i k1.kext/Contents/Info.plist
t_json dump_designated_requirement 'j["slices"][0]["signature"]["requirements"]["3"]' \
    'identifier "com.example.driver" and anchor apple generic and certificate 1[field.1.2.840.113635.100.6.2.6] /* exists */ and certificate leaf[field.1.2.840.113635.100.6.1.13] /* exists */ and certificate leaf[subject.OU] = "ABCDE12345"' \
    $FC dump k1.kext
t_json dump_cd_version 'j["slices"][0]["signature"]["cds"][0]["version"]' 0x20400 $FC dump k1.kext
t_json dump_exec_seg 'j["slices"][0]["signature"]["cds"][0]["exec_seg"][1]' \
    "$($FC dump k1.kext | python3 -c 'import json,sys; print(json.load(sys.stdin)["slices"][0]["dataoff"])')" $FC dump k1.kext
t_json dump_special_slots 'j["slices"][0]["signature"]["cds"][0]["special"]' '{"1": "ok", "2": "ok", "3": "ok"}' $FC dump k1.kext
t_json dump_resources_sealed 'j["resources"]' '{"sealed": 1, "bad": []}' $FC dump k1.kext

# deterministic: same inputs, same Mach-O up to the CMS
"$MX" forge kext k1b.kext --bundle-id com.example.driver --team ABCDE12345 --ca ca --signing-time 2024-01-02 --json >k1b.json
"$MX" forge kext k1c.kext --bundle-id com.example.driver --team ABCDE12345 --ca ca --signing-time 2024-01-02 --json >k1c.json
t_out deterministic_cdhash "$(python3 -c 'import json;print(json.load(open("k1b.json"))["arches"][0]["cdhash"])')" \
    python3 -c 'import json;print(json.load(open("k1c.json"))["arches"][0]["cdhash"])'
mkdir -p x1b && $FC extract k1b.kext 0 x1b
t_grep signing_time_attribute 'UTCTIME:Jan  2 00:00:00 2024 GMT' openssl cms -cmsout -print -inform DER -in x1b/cms.der

# ---- --no-kext-oid: an ordinary Developer ID Application leaf ----
"$MX" forge kext k2.kext --bundle-id com.example.plain --team ABCDE12345 --ca ca --no-kext-oid --json >k2.json
t_json no_kext_oid_expect 'j["expected_kind"]' developer-id cat k2.json
leaf2=$(ls ca/leaves/ABCDE12345-????????.pem)
t_exit 1 no_kext_oid_leaf sh -c "openssl x509 -in '$leaf2' -noout -text | grep -q '113635.100.6.1.18'"
t_out no_kext_oid_hashes ok $FC compare k2.kext k2.json

# ---- ad-hoc ----
"$MX" forge kext k3.kext --bundle-id com.example.adhoc --adhoc --json >k3.json
t_json adhoc_expect 'j["expected_kind"]' adhoc cat k3.json
t_out adhoc_hashes ok $FC compare k3.kext k3.json
t_json adhoc_flag 'j["slices"][0]["signature"]["cds"][0]["flags"] & 2' 2 $FC dump k3.kext
t_json adhoc_empty_cms 'j["slices"][0]["signature"]["cms_length"]' 0 $FC dump k3.kext
t_json adhoc_no_team 'j["slices"][0]["signature"]["cds"][0]["team"]' null $FC dump k3.kext
t_json adhoc_no_requirement 'j["slices"][0]["signature"]["requirements"]' '{}' $FC dump k3.kext
check adhoc_made_no_ca test ! -d "$MACEXT_STATE/forge-ca"

# ---- unsigned ----
"$MX" forge kext k4.kext --bundle-id com.example.unsigned --unsigned --json >k4.json
t_json unsigned_expect 'j["expected_kind"]' unsigned cat k4.json
t_exit 1 unsigned_no_lc_code_signature sh -c "llvm-objdump-14 --macho --private-headers k4.kext/Contents/MacOS/unsigned | grep -q LC_CODE_SIGNATURE"
t_grep unsigned_still_kext 'KEXTBUNDLE' llvm-objdump-14 --macho --private-headers k4.kext/Contents/MacOS/unsigned
check unsigned_no_code_signature_dir test ! -e k4.kext/Contents/_CodeSignature
t_out unsigned_compare ok $FC compare k4.kext k4.json

# ---- tampered: exactly one page hash fails, the CMS still verifies ----
"$MX" forge kext k5.kext --bundle-id com.example.tampered --team ABCDE12345 --ca ca --tamper --json >k5.json
t_json tamper_expect 'j["expected_kind"]' invalid cat k5.json
t_json tamper_one_bad_page 'len(j["slices"][0]["signature"]["cds"][0]["bad_pages"])' 1 $FC dump k5.kext
t_out tamper_compare ok $FC compare k5.kext k5.json
mkdir -p x5 && $FC extract k5.kext 0 x5
t_grep tamper_cms_still_valid 'Verification successful' openssl cms -verify -binary -inform DER \
    -in x5/cms.der -content x5/cd0.bin -CAfile ca/root.pem -purpose any -ignore_critical -out /dev/null

# ---- SHA-1 primary + SHA-256 alternate (older signers) ----
"$MX" forge kext k6.kext --bundle-id com.example.old --team ABCDE12345 --ca ca --sha1 --json >k6.json
t_out sha1_hashes ok $FC compare k6.kext k6.json
t_json sha1_slots 'j["slices"][0]["signature"]["slots"]' '[0, 2, 4096, 65536]' $FC dump k6.kext
t_json sha1_types '[c["hash_type"] for c in j["slices"][0]["signature"]["cds"]]' '["sha1", "sha256"]' $FC dump k6.kext
t_json sha1_effective_is_sha256 'j["arches"][0]["cdhash"] == j["arches"][0]["code_directories"][1]["digest"][:40]' true cat k6.json
mkdir -p x6 && $FC extract k6.kext 0 x6
t_grep sha1_cms_over_primary 'Verification successful' openssl cms -verify -binary -inform DER \
    -in x6/cms.der -content x6/cd0.bin -CAfile ca/root.pem -purpose any -ignore_critical -out /dev/null

# ---- Apple silicon kexts: arm64e, thin and fat ----
"$MX" forge kext k8.kext --bundle-id com.example.as --team ABCDE12345 --ca ca --arch fat-arm64e --json >k8.json
t_out arm64e_hashes ok $FC compare k8.kext k8.json
t_json arm64e_arches '[a["arch"] for a in j["arches"]]' '["x86_64", "arm64e"]' cat k8.json
t_grep arm64e_objdump 'ARM64 +E' llvm-objdump-14 --macho --private-headers --arch=all k8.kext/Contents/MacOS/as
t_json arm64e_subtype 'hex(j["slices"][1]["cpusubtype"])' 0x80000002 $FC dump k8.kext
"$MX" forge kext k8b.kext --bundle-id com.example.as2 --team ABCDE12345 --ca ca --arch arm64e --json >k8b.json
t_out arm64e_thin_hashes ok $FC compare k8b.kext k8b.json

# ---- codeless: Info.plist only, detached signature in _CodeSignature ----
"$MX" forge kext k7.kext --bundle-id com.example.codeless --team ABCDE12345 --ca ca --codeless --json >k7.json
check codeless_no_macos test ! -e k7.kext/Contents/MacOS
t_exit 1 codeless_no_executable_key sh -c "plistutil -f xml -o - -i k7.kext/Contents/Info.plist | grep -q CFBundleExecutable"
t_json codeless_detached_slots 'j["detached"]["code_slots"], j["detached"]["special"]' '[0, {"1": "ok", "2": "ok", "3": "ok"}]' $FC dump k7.kext
t_json codeless_cdhash 'j["detached"]["cdhash"]' "$(python3 -c 'import json;print(json.load(open("k7.json"))["detached"]["cdhash"])')" $FC dump k7.kext
t_grep codeless_cms 'Verification successful' sh -c 'dd if=k7.kext/Contents/_CodeSignature/CodeSignature bs=8 skip=1 2>/dev/null >x7.der;
    openssl cms -verify -binary -inform DER -in x7.der -content k7.kext/Contents/_CodeSignature/CodeDirectory -CAfile ca/root.pem -purpose any -ignore_critical -out /dev/null'

# ---- errors ----
t_exit 68 exists_refused "$MX" forge kext k1.kext --bundle-id com.example.driver --team ABCDE12345 --ca ca
t forced_replace "$MX" forge kext k1.kext --bundle-id com.example.driver --team ABCDE12345 --ca ca --force
t_exit 64 team_required "$MX" forge kext k9.kext --bundle-id com.example.x --ca ca
t_exit 64 bundle_id_required "$MX" forge kext k9.kext --team ABCDE12345 --ca ca
t_exit 64 bad_team "$MX" forge kext k9.kext --bundle-id com.example.x --team 'AB/CD' --ca ca
t_exit 64 adhoc_and_unsigned "$MX" forge kext k9.kext --bundle-id com.example.x --adhoc --unsigned
t_exit 64 bad_arch "$MX" forge kext k9.kext --bundle-id com.example.x --team ABCDE12345 --arch ppc
t_exit 64 bad_time "$MX" forge kext k9.kext --bundle-id com.example.x --team ABCDE12345 --signing-time 2024-13-01
t_exit 64 unknown_sub "$MX" forge widget x
check errors_leave_nothing test ! -e k9.kext
check no_staging_left sh -c '! ls -d *.forge-* 2>/dev/null | grep -q .'

# ---- the default CA: $MACEXT_FORGE_CA, else $MACEXT_STATE/forge-ca, created once
# even when forges race for it ----
for i in 1 2 3 4; do
	"$MX" forge kext p$i.kext --bundle-id com.example.p$i --team PARALLEL01 >p$i.out 2>&1 &
done
wait
check parallel_all_made test -s p1.kext/Contents/MacOS/p1 -a -s p2.kext/Contents/MacOS/p2 \
    -a -s p3.kext/Contents/MacOS/p3 -a -s p4.kext/Contents/MacOS/p4
check default_ca_in_state test -s "$MACEXT_STATE/forge-ca/root.pem"
t_out parallel_one_leaf 1 sh -c "ls '$MACEXT_STATE'/forge-ca/leaves/PARALLEL01-kext-*.pem | wc -l"
for i in 1 2 3 4; do
	t_json "parallel_verifies_$i" 'j["kind"]' developer-id-kext "$MX" codesign verify p$i.kext \
	    --trust-anchor "$MACEXT_STATE/forge-ca/root.pem" --json
done
MACEXT_FORGE_CA="$TMP/envca" "$MX" forge kext e1.kext --bundle-id com.example.e1 --team ABCDE12345 >/dev/null
check env_ca_used test -s "$TMP/envca/root.pem"
