# codesign_forge.sh — `macext codesign verify` on bundles made by `macext
# forge` (written independently by another engineer): every kind, fat and
# codeless bundles, tampering after signing, and the trust anchor.
. "$(dirname "$0")/lib.sh"

# t_json_rc CODE NAME EXPR WANT CMD...: t_json for a command that exits with CODE
t_json_rc() { code=$1; n=$2; expr=$3; want=$4; shift 4; _run "$@"
  got=$(printf '%s' "$OUT" | python3 -c "import json,sys
j=json.load(sys.stdin)
v=($expr)
print(json.dumps(v) if not isinstance(v,str) else v)" 2>&1)
  if [ $RC -eq "$code" ] && [ "$got" = "$want" ]; then _pass "$n"
  else _fail "$n" "exit $RC (wanted $code): $*" "$expr = $got, wanted $want" "$ERR"; fi; }

CA="$TMP/ca"
F="$TMP/f"
mkdir -p "$F"
t forge_ca "$MX" forge ca "$CA"
A="--trust-anchor $CA/root.pem"
T=TEAMA12345
forge() { kind=$1; out=$2; shift 2; "$MX" forge "$kind" "$F/$out" --ca "$CA" --team $T "$@" >/dev/null 2>"$TMP/forge.err" \
    || { echo "FAIL $CASE.forge_$out"; cat "$TMP/forge.err"; }; }
V() { "$MX" codesign verify "$@"; }

forge kext k.kext --bundle-id com.example.k
forge kext noid.kext --bundle-id com.example.noid --no-kext-oid
forge kext codeless.kext --bundle-id com.example.codeless --codeless
forge kext codeless-u.kext --bundle-id com.example.codelessu --codeless --unsigned
forge kext adhoc.kext --bundle-id com.example.adhoc --adhoc
forge kext unsigned.kext --bundle-id com.example.unsigned --unsigned
forge kext tamper.kext --bundle-id com.example.tamper --tamper
forge kext fat.kext --bundle-id com.example.fat --arch fat --sha1
forge kext expired.kext --bundle-id com.example.expired --expired-cert
forge kext old.kext --bundle-id com.example.old --signing-time 2021-06-01
forge dext com.example.d.dext --bundle-id com.example.d
forge sysext com.example.es.systemextension --bundle-id com.example.es --category endpoint-security
forge app App.app --bundle-id com.example.app --embed "$F/com.example.es.systemextension" --embed "$F/com.example.d.dext"
forge app NoInst.app --bundle-id com.example.noinst --no-install-entitlement

t_json kext_kind 'j["kind"]' developer-id-kext V "$F/k.kext" --json $A
t_json kext_req 'j["kext_requirement_met"]' true V "$F/k.kext" --json $A
t_json kext_team 'j["team_id"]' $T V "$F/k.kext" --json $A
t_json kext_identifier 'j["identifier"]' com.example.k V "$F/k.kext" --json $A
t_json kext_signer '"("+j["team_id"]+")" in j["signer"]' true V "$F/k.kext" --json $A
t_json kext_executable_too 'j["kind"]' developer-id-kext V "$F/k.kext/Contents/MacOS/k" --json $A
t_json noid_kind 'j["kind"]' developer-id V "$F/noid.kext" --json $A
t_json noid_req '[j["kext_requirement_met"], j["devid_requirement_met"]]' '[false, true]' V "$F/noid.kext" --json $A
t_json codeless_signed 'j["kind"]' developer-id-kext V "$F/codeless.kext" --json $A
t_json codeless_unsigned 'j["kind"]' unsigned V "$F/codeless-u.kext" --json $A
t_json adhoc_kind '[j["kind"], j["team_id"], j["kext_requirement_met"]]' '["adhoc", null, false]' V "$F/adhoc.kext" --json $A
t_json unsigned_kind '[j["kind"], j["cdhash"]]' '["unsigned", null]' V "$F/unsigned.kext" --json $A
t_exit 69 tamper_exit V "$F/tamper.kext" $A
t_json_rc 69 tamper_kind 'j["kind"]' invalid V "$F/tamper.kext" --json $A
t_json fat_archs '[a["arch"] for a in j["archs"]]' '["x86_64", "arm64"]' V "$F/fat.kext" --json $A
t_json fat_kind '[a["kind"] for a in j["archs"]]' '["developer-id-kext", "developer-id-kext"]' V "$F/fat.kext" --json $A
t_json fat_cdhashes_differ 'j["archs"][0]["cdhash"] != j["archs"][1]["cdhash"]' true V "$F/fat.kext" --json $A
# a leaf that expired before the signing time: macOS's default ignores expiry
# (kSecCSConsiderExpiration off) and reports it; --check-expiration rejects it
t_json expired_cert_default '[j["kind"], j["expired"], j["check_expiration"]]' '["developer-id-kext", true, false]' \
    V "$F/expired.kext" --json $A
t_json expired_cert_which '[(c["subject"], c["not_after"], c["expired_before"]) for c in j["expired_certificates"]]' \
    "[[\"Developer ID Application: macext Test Developer ($T)\", \"2021-01-01T00:00:00Z\", \"signing-time\"]]" \
    V "$F/expired.kext" --json $A
t_grep expired_cert_text 'expired: +"Developer ID Application: macext Test Developer \(TEAMA12345\)" on 2021-01-01T00:00:00Z \(before the signing time\)' \
    V "$F/expired.kext" $A
t_json_rc 69 expired_cert_strict '[j["kind"], j["check_expiration"]]' '["invalid", true]' \
    V "$F/expired.kext" --json $A --check-expiration
t_json_rc 69 expired_reason_strict '"--check-expiration" in j["reason"] and "expired on 2021-01-01T00:00:00Z, before the signing time" in j["reason"]' true \
    V "$F/expired.kext" --json $A --check-expiration
t_grep expired_strict_stderr 'invalid signature: --check-expiration: the certificate' V "$F/expired.kext" $A --check-expiration
t_json old_signing_time 'j["signing_time"][:10]' 2021-06-01 V "$F/old.kext" --json $A
t_json dext_kind 'j["kind"]' developer-id V "$F/com.example.d.dext" --json $A
t_json dext_entitlement 'j["entitlements"]["com.apple.developer.driverkit"]' true V "$F/com.example.d.dext" --json $A
t_json es_entitlement 'j["entitlements"]["com.apple.developer.endpoint-security.client"]' true \
    V "$F/com.example.es.systemextension" --json $A
t_json app_install_entitlement 'j["entitlements"]["com.apple.developer.system-extension.install"]' true \
    V "$F/App.app" --json $A
t_json noinst_app 'j["entitlements"].get("com.apple.developer.system-extension.install", False)' false \
    V "$F/NoInst.app" --json $A
t_json embedded_es 'j["kind"]' developer-id \
    V "$F/App.app/Contents/Library/SystemExtensions/com.example.es.systemextension" --json $A

# without the anchor the forge CA is just another root: untrusted (exit 0)
t_json no_anchor_untrusted 'j["kind"]' untrusted V "$F/k.kext" --json
t_json no_anchor_no_req 'j["kext_requirement_met"]' false V "$F/k.kext" --json
t_exit 0 untrusted_exit0 V "$F/k.kext"
t_exit 74 anchor_missing V "$F/k.kext" --trust-anchor "$TMP/nope.pem"

# editing a signed bundle afterwards breaks it
cp -R "$F/k.kext" "$F/edit.kext"
sed 's/com.example.k</com.example.K</' "$F/k.kext/Contents/Info.plist" >"$F/edit.kext/Contents/Info.plist"
t_json_rc 69 info_plist_edited '"Info.plist" in j["reason"]' true V "$F/edit.kext" --json $A
cp -R "$F/k.kext" "$F/res.kext"
printf ' ' >>"$F/res.kext/Contents/_CodeSignature/CodeResources"
t_json_rc 69 code_resources_edited '"CodeResources" in j["reason"]' true V "$F/res.kext" --json $A
cp -R "$F/k.kext" "$F/nores.kext"
rm "$F/nores.kext/Contents/_CodeSignature/CodeResources"
t_json_rc 69 code_resources_removed 'j["kind"]' invalid V "$F/nores.kext" --json $A
cp -R "$F/codeless.kext" "$F/cl.kext"
printf 'x' >>"$F/cl.kext/Contents/_CodeSignature/CodeDirectory"
t_json_rc 69 codeless_cd_edited 'j["kind"]' invalid V "$F/cl.kext" --json $A

# text output names the kind and the arches
t_grep text_kind 'developer-id-kext' V "$F/fat.kext" $A
t_grep text_arch 'arch arm64 ' V "$F/fat.kext" $A

# the resource seal (CodeResources files2/rules2)
cp -R "$F/k.kext" "$F/seal.kext"
printf 'changed' >>"$F/seal.kext/Contents/Resources/README.txt"
t_json_rc 69 resource_modified 'j["reason"]' 'sealed resource "Resources/README.txt" was modified' V "$F/seal.kext" --json $A
cp -R "$F/k.kext" "$F/seal2.kext"
printf 'new' >"$F/seal2.kext/Contents/Resources/extra.txt"
t_json_rc 69 resource_added 'j["reason"]' 'resource "Resources/extra.txt" was added after signing' V "$F/seal2.kext" --json $A
cp -R "$F/k.kext" "$F/seal3.kext"
rm "$F/seal3.kext/Contents/Resources/README.txt"
t_json_rc 69 resource_removed '"missing" in j["reason"]' true V "$F/seal3.kext" --json $A
cp -R "$F/k.kext" "$F/seal4.kext"
touch "$F/seal4.kext/Contents/.DS_Store" "$F/seal4.kext/Contents/Resources/.DS_Store"
t_json omitted_ds_store 'j["kind"]' developer-id-kext V "$F/seal4.kext" --json $A

# a device's trust anchor (device create --trust-anchor) is used with --device
t device_with_anchor "$MX" device create mac1 --trust-anchor "$CA/root.pem"
t device_without_anchor "$MX" device create mac2
t_json device_anchor_used 'j["kind"]' developer-id-kext "$MX" --device mac1 codesign verify "$F/k.kext" --json
t_json device_no_anchor 'j["kind"]' untrusted "$MX" --device mac2 codesign verify "$F/k.kext" --json
t_exit 67 device_unknown "$MX" --device nosuch codesign verify "$F/k.kext"
