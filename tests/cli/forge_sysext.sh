# forge_sysext.sh — macext forge sysext / dext / app: categories, Info.plist
# keys, entitlements (XML and DER, decoded independently), thin arm64 and fat
# files, embedding, Team ID mismatch, signing time and expired leaves.
# Oracles: openssl, llvm-objdump-14, python3-macholib, plistutil,
# tests/cli/forge_check.py.
. "$(dirname "$0")/lib.sh"
FC="python3 $(cd "$(dirname "$0")" && pwd)/forge_check.py"
SYSPY=/usr/bin/python3
cd "$TMP" || exit 1
"$MX" forge ca ca >/dev/null
info() { plistutil -f xml -o - -i "$1/Contents/Info.plist"; }
ents() { $FC dump "$1" | python3 -c 'import json,sys; s=json.load(sys.stdin)["slices"][0]["signature"]; print(json.dumps(s.get("entitlements_xml"), sort_keys=True)); print("der-same" if s.get("entitlements_xml")==s.get("entitlements_der") else "der-DIFFERENT")'; }

# ---- network extension, fat ----
"$MX" forge sysext net.systemextension --bundle-id com.example.net --team ABCDE12345 --ca ca \
    --category network --arch fat --version 2.1 --json >net.json
t_out net_hashes ok $FC compare net.systemextension net.json
t_json net_expect 'j["expected_kind"], j["category"]' '["developer-id", "com.apple.system_extension.network_extension"]' cat net.json
t_grep net_package_type '<string>SYSX</string>' info net.systemextension
t_grep net_point_identifier 'NSSystemExtensionPointIdentifier</key>[[:space:]]*$' info net.systemextension
t_grep net_usage_description 'NSSystemExtensionUsageDescription' info net.systemextension
t_grep net_ne_dict 'NEMachServiceName' info net.systemextension
t_out net_entitlements "$(printf '%s\n%s' '{"com.apple.application-identifier": "ABCDE12345.com.example.net", "com.apple.developer.networking.networkextension": ["content-filter-provider-systemextension"], "com.apple.developer.team-identifier": "ABCDE12345"}' der-same)" ents net.systemextension
t_json net_fat_slices '[(s["arch"], s["offset"] % 16384, s["align"]) for s in j["slices"]]' '[["x86_64", 0, 14], ["arm64", 0, 14]]' $FC dump net.systemextension
t_json net_page_sizes '[s["signature"]["cds"][0]["page_size"] for s in j["slices"]]' '[4096, 16384]' $FC dump net.systemextension
t_json net_main_binary '[s["signature"]["cds"][0]["exec_seg"][2] for s in j["slices"]]' '[1, 1]' $FC dump net.systemextension
t_json net_slot_list 'j["slices"][1]["signature"]["slots"]' '[0, 2, 5, 7, 65536]' $FC dump net.systemextension
t_json net_special_slots 'j["slices"][1]["signature"]["cds"][0]["special"]' '{"1": "ok", "2": "ok", "3": "ok", "4": "unbound", "5": "ok", "6": "unbound", "7": "ok"}' $FC dump net.systemextension
t_out net_macholib_fat '2 [2, 2] [16777223, 16777228]' $SYSPY -c '
from macholib.MachO import MachO
import sys
m = MachO(sys.argv[1])
print(m.fat.nfat_arch, [h.header.filetype for h in m.headers], [h.header.cputype for h in m.headers])' net.systemextension/Contents/MacOS/net
t_grep net_objdump_fat 'architecture arm64' llvm-objdump-14 --macho --private-headers --arch=all net.systemextension/Contents/MacOS/net
t_grep net_objdump_execute 'EXECUTE' llvm-objdump-14 --macho --private-headers --arch=arm64 net.systemextension/Contents/MacOS/net
for i in 0 1; do
	mkdir -p n$i && $FC extract net.systemextension $i n$i
	t_grep net_cms_slice$i 'Verification successful' openssl cms -verify -binary -inform DER \
	    -in n$i/cms.der -content n$i/cd0.bin -CAfile ca/root.pem -purpose any -ignore_critical -out /dev/null
done
t_json net_version 'j["version"], j["short_version"]' '["2.1", "2.1"]' cat net.json

# ---- endpoint security, thin arm64 ----
"$MX" forge sysext es.systemextension --bundle-id com.example.es --team ABCDE12345 --ca ca \
    --category endpoint-security --arch arm64 --short-version 3.0 --version 300 --json >es.json
t_out es_hashes ok $FC compare es.systemextension es.json
t_grep es_point_identifier 'com.apple.system_extension.endpoint_security' info es.systemextension
t_grep es_short_version '<string>3.0</string>' info es.systemextension
t_out es_entitlement 'True' sh -c "$FC dump es.systemextension | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"slices\"][0][\"signature\"][\"entitlements_der\"][\"com.apple.developer.endpoint-security.client\"])'"
t_grep es_objdump_arm64 'ARM64' llvm-objdump-14 --macho --private-headers es.systemextension/Contents/MacOS/es

# ---- DriverKit: forge dext and forge sysext --category driver ----
"$MX" forge dext drv.dext --bundle-id com.example.drv --team ABCDE12345 --ca ca --json >drv.json
t_out dext_hashes ok $FC compare drv.dext drv.json
t_json dext_category 'j["category"]' com.apple.system_extension.driver_extension cat drv.json
t_grep dext_package_type '<string>DEXT</string>' info drv.dext
t_grep dext_usage 'OSBundleUsageDescription' info drv.dext
t_grep dext_user_class 'IOUserServerName' info drv.dext
t_json dext_platform_driverkit 'j["slices"][0]["platform"]' 10 $FC dump drv.dext
t_grep dext_objdump_driverkit 'platform driverkit' llvm-objdump-14 --macho --private-headers drv.dext/Contents/MacOS/drv
t_json dext_entitlements 'sorted(j["slices"][0]["signature"]["entitlements_der"])' \
    '["com.apple.application-identifier", "com.apple.developer.driverkit", "com.apple.developer.driverkit.transport.usb", "com.apple.developer.team-identifier"]' $FC dump drv.dext
t_json dext_usb_vendor 'j["slices"][0]["signature"]["entitlements_der"]["com.apple.developer.driverkit.transport.usb"]' '[{"idVendor": 4660}]' $FC dump drv.dext
"$MX" forge sysext drv2.dext --bundle-id com.example.drv2 --team ABCDE12345 --ca ca --category driver --json >drv2.json
t_json sysext_driver_is_dext 'j["slices"][0]["platform"]' 10 $FC dump drv2.dext
"$MX" forge dext nousage.dext --bundle-id com.example.nousage --team ABCDE12345 --ca ca --no-usage-description >/dev/null
t_exit 1 dext_no_usage sh -c "plistutil -f xml -o - -i nousage.dext/Contents/Info.plist | grep -q OSBundleUsageDescription"

# ---- entitlement options (least-privilege tests) ----
"$MX" forge sysext over.systemextension --bundle-id com.example.over --team ABCDE12345 --ca ca \
    --category network --entitlement com.apple.developer.endpoint-security.client=true \
    --entitlement com.example.count=7 --entitlement 'com.example.list=[a,b]' \
    --entitlement com.example.name=hello --drop-entitlement com.apple.developer.team-identifier --json >over.json
t_out over_hashes ok $FC compare over.systemextension over.json
t_out over_entitlements "$(printf '%s\n%s' '{"com.apple.application-identifier": "ABCDE12345.com.example.over", "com.apple.developer.endpoint-security.client": true, "com.apple.developer.networking.networkextension": ["content-filter-provider-systemextension"], "com.example.count": 7, "com.example.list": ["a", "b"], "com.example.name": "hello"}' der-same)" ents over.systemextension
cat >e.plist <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>com.apple.developer.driverkit.family.hid.device</key><true/>
<key>com.apple.developer.driverkit.transport.hid</key><true/>
<key>nested</key><dict><key>z</key><integer>1</integer><key>a</key><array><string>x</string><false/></array></dict>
</dict></plist>
EOF
"$MX" forge dext file.dext --bundle-id com.example.file --team ABCDE12345 --ca ca --entitlements e.plist --no-default-entitlements --json >file.json
t_out file_entitlements "$(printf '%s\n%s' '{"com.apple.developer.driverkit.family.hid.device": true, "com.apple.developer.driverkit.transport.hid": true, "nested": {"a": ["x", false], "z": 1}}' der-same)" ents file.dext
echo '<plist><dict><key>d</key><date>2020-01-01T00:00:00Z</date></dict></plist>' >bad.plist
t_exit 66 entitlement_without_der "$MX" forge dext bad.dext --bundle-id com.example.bad --team ABCDE12345 --ca ca --entitlements bad.plist
t_exit 65 entitlements_not_plist "$MX" forge dext bad.dext --bundle-id com.example.bad --team ABCDE12345 --ca ca --entitlements net.json
t_exit 64 entitlement_syntax "$MX" forge dext bad.dext --bundle-id com.example.bad --team ABCDE12345 --ca ca --entitlement novalue
check failed_forges_leave_nothing test ! -e bad.dext

# ---- app with embedded extensions ----
"$MX" forge app Host.app --bundle-id com.example.host --team ABCDE12345 --ca ca \
    --embed net.systemextension --embed drv.dext --json >app.json
t_out app_hashes ok $FC compare Host.app app.json
check app_embedded test -s Host.app/Contents/Library/SystemExtensions/net.systemextension/Contents/MacOS/net \
    -a -s Host.app/Contents/Library/SystemExtensions/drv.dext/Contents/MacOS/drv
t_json app_seals_embedded 'j["resources"]["sealed"], j["resources"]["bad"]' '[9, []]' $FC dump Host.app
t_json app_install_entitlement 'j["slices"][0]["signature"]["entitlements_der"]["com.apple.developer.system-extension.install"]' true $FC dump Host.app
t_grep app_package_type '<string>APPL</string>' info Host.app
t_grep app_usage 'NSSystemExtensionUsageDescription' info Host.app
check app_pkginfo test "$(cat Host.app/Contents/PkgInfo)" = 'APPL????'
"$MX" forge app NoInstall.app --bundle-id com.example.noinstall --team ABCDE12345 --ca ca --no-install-entitlement --json >noinst.json
t_json app_no_install_entitlement '"com.apple.developer.system-extension.install" in j["slices"][0]["signature"]["entitlements_der"]' false $FC dump NoInstall.app
# changing an embedded file breaks the app's seal (what a verifier must catch)
printf 'x' >>Host.app/Contents/Library/SystemExtensions/drv.dext/Contents/Resources/README.txt
t_json app_seal_broken 'j["resources"]["bad"]' '["Library/SystemExtensions/drv.dext/Contents/Resources/README.txt"]' $FC dump Host.app

# ---- --tamper-resource: signed, then a sealed resource changes ----
"$MX" forge sysext tr.systemextension --bundle-id com.example.tr --team ABCDE12345 --ca ca --category network --tamper-resource --json >tr.json
t_json tamper_resource_expect 'j["expected_kind"], j["tampered_resource"]' '["invalid", true]' cat tr.json
t_json tamper_resource_bad 'j["resources"]["bad"]' '["Resources/README.txt"]' $FC dump tr.systemextension
t_json tamper_resource_pages_fine 'j["slices"][0]["signature"]["cds"][0]["bad_pages"]' '[]' $FC dump tr.systemextension
t_out tamper_resource_compare ok $FC compare tr.systemextension tr.json

# ---- Team ID mismatch between the leaf and the CodeDirectory ----
"$MX" forge sysext mis.systemextension --bundle-id com.example.mis --team ABCDE12345 --cd-team ZZZZZ99999 --ca ca --category network --json >mis.json
t_json mismatch_expect 'j["expected_kind"], j["team_id"], j["cd_team_id"]' '["invalid", "ABCDE12345", "ZZZZZ99999"]' cat mis.json
t_json mismatch_cd_team 'j["slices"][0]["signature"]["cds"][0]["team"]' ZZZZZ99999 $FC dump mis.systemextension
mkdir -p xm && $FC extract mis.systemextension 0 xm
t_grep mismatch_leaf_ou 'OU *= *ABCDE12345' sh -c 'openssl pkcs7 -inform DER -in xm/cms.der -print_certs | grep "^subject.*Developer ID Application"'

# ---- signing time and an expired leaf ----
"$MX" forge sysext old.systemextension --bundle-id com.example.old --team ABCDE12345 --ca ca --category network \
    --expired-cert --signing-time 2020-06-01 --json >old.json
t_json expired_valid_at_signing 'j["expected_kind"], j["signing_time"]' '["developer-id", 1590969600]' cat old.json
mkdir -p xo && $FC extract old.systemextension 0 xo
t_grep expired_cms_at_signing_time 'Verification successful' openssl cms -verify -binary -inform DER -attime 1590969600 \
    -in xo/cms.der -content xo/cd0.bin -CAfile ca/root.pem -purpose any -ignore_critical -out /dev/null
t_exit 4 expired_cms_today openssl cms -verify -binary -inform DER \
    -in xo/cms.der -content xo/cd0.bin -CAfile ca/root.pem -purpose any -ignore_critical -out /dev/null
t_grep expired_signing_time_attr 'UTCTIME:Jun  1 00:00:00 2020 GMT' openssl cms -cmsout -print -inform DER -in xo/cms.der
"$MX" forge sysext late.systemextension --bundle-id com.example.late --team ABCDE12345 --ca ca --category network \
    --expired-cert --signing-time 2023-01-01 --json >late.json
t_json expired_at_signing '[j["expected_kind"], j["expected_expired"], j["expected_kind_check_expiration"]]' \
    '["developer-id", true, "invalid"]' cat late.json
# validity windows of one's own: a leaf not yet valid at the signing time is invalid either way
"$MX" forge sysext early.systemextension --bundle-id com.example.early --team ABCDE12345 --ca ca --category network \
    --not-before 2024-01-01 --not-after 2030-01-01 --signing-time 2023-06-01 --json >early.json
t_json not_yet_valid '[j["expected_kind"], j["expected_kind_check_expiration"], j["not_before"]]' \
    '["invalid", "invalid", 1704067200]' cat early.json
t_exit 64 window_backwards "$MX" forge kext x.kext --bundle-id com.example.x --team ABCDE12345 --ca ca \
    --not-before 2024-01-01 --not-after 2023-01-01
t_exit 64 window_bad_time "$MX" forge kext x.kext --bundle-id com.example.x --team ABCDE12345 --ca ca --not-after soon
t_exit 64 window_unsigned "$MX" forge kext x.kext --bundle-id com.example.x --unsigned --not-after 2023-01-01
t_exit 64 no_signing_time_and_time "$MX" forge kext x.kext --bundle-id com.example.x --team ABCDE12345 --ca ca \
    --no-signing-time --signing-time 2023-01-01
t_exit 64 apple_no_team "$MX" forge kext x.kext --bundle-id com.apple.x --team ABCDE12345 --ca ca --apple
# an intermediate of its own, expired: its certificate goes into the signature
"$MX" forge kext ica.kext --bundle-id com.example.ica --team ABCDE12345 --ca ca --ca-not-before 2020-01-01 \
    --ca-not-after 2022-01-01 --signing-time 2021-06-01 --json >ica.json
t_json own_intermediate_window '[j["ca_not_after"], j["expected_kind"], j["expected_expired"]]' \
    '[1640995200, "developer-id-kext", true]' cat ica.json
mkdir -p xi && $FC extract ica.kext 0 xi
t_grep own_intermediate_embedded 'notAfter: Jan  1 00:00:00 2022 GMT' openssl pkcs7 -inform DER -in xi/cms.der -print -noout
t_exit 64 category_required "$MX" forge sysext x.systemextension --bundle-id com.example.x --team ABCDE12345 --ca ca
t_exit 64 category_unknown "$MX" forge sysext x.systemextension --bundle-id com.example.x --team ABCDE12345 --ca ca --category camera
t_exit 64 embed_only_for_apps "$MX" forge dext x.dext --bundle-id com.example.x --team ABCDE12345 --ca ca --embed net.systemextension
