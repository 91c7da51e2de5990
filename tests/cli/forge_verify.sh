# forge_verify.sh — the two halves of issue 3 check each other: every kind of
# forged bundle, verified by `macext codesign verify`, must come out as the
# kind forge predicted (expected_kind), with the same cdhash per
# architecture; and "untrusted" when the test root is not a trust anchor.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
"$MX" forge ca ca >/dev/null
A="--trust-anchor ca/root.pem"
T="--team ABCDE12345 --ca ca"

# name | forge arguments (after OUT)
while IFS='|' read -r name out args; do
	[ -n "$name" ] || continue
	# shellcheck disable=SC2086
	"$MX" forge $args "$out" --json >"$name.json" 2>"$name.err" || { _fail "$name.forge" "$(cat "$name.err")"; continue; }
	want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["expected_kind"])' "$name.json")
	code=0; [ "$want" = invalid ] && code=69
	t_exit $code "$name.exit" "$MX" codesign verify "$out" $A --json
	t_json "$name.kind" 'j["kind"]' "$want" sh -c "'$MX' codesign verify '$out' $A --json; true"
	# expiry: reported as forge predicted, and fatal only with --check-expiration
	strict=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["expected_kind_check_expiration"])' "$name.json")
	t_json "$name.strict_kind" 'j["kind"]' "$strict" sh -c "'$MX' codesign verify '$out' $A --json --check-expiration; true"
	if [ "$want" != invalid ]; then
		t_json "$name.expired" 'j["expired"]' "$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["expected_expired"]))' "$name.json")" \
		    "$MX" codesign verify "$out" $A --json
	fi
	if [ "$want" != unsigned ] && [ "$want" != invalid ]; then
		t_json "$name.cdhashes" '[a["cdhash"] for a in j["archs"]]' \
		    "$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(json.dumps([a["cdhash"] for a in j["arches"]] or [j["detached"]["cdhash"]]))' "$name.json")" \
		    "$MX" codesign verify "$out" $A --json
	fi
	case $want in developer-id*)
		t_json "$name.team" 'j["team_id"]' ABCDE12345 "$MX" codesign verify "$out" $A --json
		t_json "$name.untrusted_without_anchor" 'j["kind"]' untrusted "$MX" codesign verify "$out" --json
	esac
done <<EOF
kext_x86|k1.kext|kext --bundle-id com.example.k1 $T
kext_arm64|k2.kext|kext --bundle-id com.example.k2 $T --arch arm64
kext_fat|k3.kext|kext --bundle-id com.example.k3 $T --arch fat
kext_fat_arm64e|k3e.kext|kext --bundle-id com.example.k3e $T --arch fat-arm64e
kext_no_oid|k4.kext|kext --bundle-id com.example.k4 $T --no-kext-oid
kext_adhoc|k5.kext|kext --bundle-id com.example.k5 --adhoc
kext_adhoc_fat|k6.kext|kext --bundle-id com.example.k6 --adhoc --arch fat
kext_unsigned|k7.kext|kext --bundle-id com.example.k7 --unsigned
kext_tamper|k8.kext|kext --bundle-id com.example.k8 $T --tamper
kext_tamper_fat|k9.kext|kext --bundle-id com.example.k9 $T --tamper --arch fat
kext_tamper_adhoc|k10.kext|kext --bundle-id com.example.k10 --adhoc --tamper
kext_codeless|k11.kext|kext --bundle-id com.example.k11 $T --codeless
kext_sha1|k12.kext|kext --bundle-id com.example.k12 $T --sha1
sysext_network|n.systemextension|sysext --bundle-id com.example.n $T --category network --arch fat
sysext_es|e.systemextension|sysext --bundle-id com.example.e $T --category endpoint-security --arch arm64
sysext_driver|sd.dext|sysext --bundle-id com.example.sd $T --category driver
dext|d.dext|dext --bundle-id com.example.d $T
dext_adhoc|da.dext|dext --bundle-id com.example.da --adhoc
app|h.app|app --bundle-id com.example.h $T
tamper_resource|tr.systemextension|sysext --bundle-id com.example.tr $T --category network --tamper-resource
kext_tamper_resource|trk.kext|kext --bundle-id com.example.trk $T --tamper-resource
team_mismatch|m.systemextension|sysext --bundle-id com.example.m $T --cd-team ZZZZZ99999 --category network
expired_at_signing|l.systemextension|sysext --bundle-id com.example.l $T --category network --expired-cert --signing-time 2022-01-01
expired_later|o.systemextension|sysext --bundle-id com.example.o $T --category network --expired-cert --signing-time 2020-06-01
expired_no_signing_time|ns.kext|kext --bundle-id com.example.ns $T --expired-cert --no-signing-time
valid_no_signing_time|vs.kext|kext --bundle-id com.example.vs $T --no-signing-time
expired_intermediate|ei.kext|kext --bundle-id com.example.ei $T --ca-not-before 2020-01-01 --ca-not-after 2022-01-01 --signing-time 2021-06-01
expired_intermediate_at_signing|eis.kext|kext --bundle-id com.example.eis $T --ca-not-before 2020-01-01 --ca-not-after 2022-01-01 --signing-time 2023-06-01
expired_leaf_and_intermediate|eli.kext|kext --bundle-id com.example.eli $T --not-after 2021-06-01 --ca-not-before 2020-01-01 --ca-not-after 2022-01-01 --signing-time 2021-01-01
not_yet_valid_leaf|ny.kext|kext --bundle-id com.example.ny $T --not-before 2024-01-01 --signing-time 2023-06-01
not_yet_valid_intermediate|nyi.kext|kext --bundle-id com.example.nyi $T --ca-not-before 2024-01-01 --signing-time 2023-06-01
not_yet_valid_now|nyn.kext|kext --bundle-id com.example.nyn $T --not-before 2099-01-01 --not-after 2099-06-01 --no-signing-time
apple_expired_ca|ap.kext|kext --bundle-id com.apple.driver.ap --ca ca --apple --no-signing-time
apple_expired_ca_tampered|apt.kext|kext --bundle-id com.apple.driver.apt --ca ca --apple --no-signing-time --tamper
EOF

t_json kext_requirement_met 'j["kext_requirement_met"]' true "$MX" codesign verify k1.kext $A --json
t_json kext_requirement_needs_oid 'j["kext_requirement_met"]' false "$MX" codesign verify k4.kext $A --json
t_json app_entitlement_seen 'j["entitlements"]["com.apple.developer.system-extension.install"]' true "$MX" codesign verify h.app $A --json
t_json es_entitlement_seen 'j["entitlements"]["com.apple.developer.endpoint-security.client"]' true "$MX" codesign verify e.systemextension $A --json
# a bundle whose Info.plist changed after signing no longer matches special slot 1
cp -r k1.kext k1x.kext && sed -i 's/com.example.k1</com.example.kX</' k1x.kext/Contents/Info.plist
t_json info_plist_changed 'j["kind"]' invalid sh -c "'$MX' codesign verify k1x.kext $A --json; true"

# ---- expiry, spelled out (issue 12 §1) ----
# Apple's own binaries carry no signing time and chain through Apple Code
# Signing Certification Authority, which expired on 2026-10-24: macOS keeps
# loading them.  The stand-in here has the same window; the clock is an input.
t_json apple_kind_after_ca_expiry '[j["kind"], j["signing_time"], j["expired"]]' '["apple", null, true]' \
    env MACEXT_FAKE_TIME=1796000000 "$MX" codesign verify ap.kext $A --json
t_json apple_expired_which '[(c["subject"], c["not_after"], c["expired_before"]) for c in j["expired_certificates"]]' \
    '[["Apple Code Signing Certification Authority", "2026-10-24T17:39:41Z", "now"]]' \
    env MACEXT_FAKE_TIME=1796000000 "$MX" codesign verify ap.kext $A --json
t_json apple_before_ca_expiry '[j["kind"], j["expired"], j["expired_certificates"]]' '["apple", false, []]' \
    env MACEXT_FAKE_TIME=1780000000 "$MX" codesign verify ap.kext $A --json --check-expiration
t_json_strict() { _n=$1; shift; _run "$@"; if [ $RC -eq 69 ] && printf '%s' "$OUT" | python3 -c 'import json,sys; j=json.load(sys.stdin); sys.exit(0 if j["kind"]=="invalid" and "--check-expiration" in j["reason"] else 1)'; then _pass "$_n"; else _fail "$_n" "exit $RC: $*" "$OUT" "$ERR"; fi; }
t_json_strict apple_strict_after_ca_expiry env MACEXT_FAKE_TIME=1796000000 "$MX" codesign verify ap.kext $A --json --check-expiration
t_grep apple_strict_says_why 'certificate "Apple Code Signing Certification Authority" expired on 2026-10-24T17:39:41Z, before now \(2026-11-30' \
    env MACEXT_FAKE_TIME=1796000000 "$MX" codesign verify ap.kext $A --check-expiration
t_grep apple_text_says_default 'not grounds for rejection' env MACEXT_FAKE_TIME=1796000000 "$MX" codesign verify ap.kext $A
# Apple's own code has no Team ID (codesign -dv: TeamIdentifier=not set), not the OU "Apple Software"
t_json apple_no_team_id '[j["team_id"], [a["team_id"] for a in j["archs"]], j["signer"]]' '[null, [null], "Software Signing"]' \
    env MACEXT_FAKE_TIME=1780000000 "$MX" codesign verify ap.kext $A --json
# a broken signature stays invalid whatever the expiry options
t_exit 69 apple_tampered_invalid env MACEXT_FAKE_TIME=1796000000 "$MX" codesign verify apt.kext $A
t_json apple_tampered_reason '"does not match" in j["reason"]' true sh -c "MACEXT_FAKE_TIME=1796000000 '$MX' codesign verify apt.kext $A --json; true"
# not yet valid: invalid, and the reason says so
t_json not_yet_valid_reason '"not yet valid" in j["reason"]' true sh -c "'$MX' codesign verify ny.kext $A --json; true"
t_json not_yet_valid_ca_reason '"not yet valid" in j["reason"]' true sh -c "'$MX' codesign verify nyi.kext $A --json; true"
# leaf and intermediate both expired: both reported, leaf first
t_json both_expired '[c["subject"][:12] for c in j["expired_certificates"]]' '["Developer ID", "Developer ID"]' \
    "$MX" codesign verify eli.kext $A --json
t_json both_expired_when '[c["expired_before"] for c in j["expired_certificates"]]' '["now", "now"]' \
    "$MX" codesign verify eli.kext $A --json
t_json intermediate_expired_at_signing '[c["expired_before"] for c in j["expired_certificates"]]' '["signing-time"]' \
    "$MX" codesign verify eis.kext $A --json
