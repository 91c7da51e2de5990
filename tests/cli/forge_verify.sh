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
EOF

t_json kext_requirement_met 'j["kext_requirement_met"]' true "$MX" codesign verify k1.kext $A --json
t_json kext_requirement_needs_oid 'j["kext_requirement_met"]' false "$MX" codesign verify k4.kext $A --json
t_json app_entitlement_seen 'j["entitlements"]["com.apple.developer.system-extension.install"]' true "$MX" codesign verify h.app $A --json
t_json es_entitlement_seen 'j["entitlements"]["com.apple.developer.endpoint-security.client"]' true "$MX" codesign verify e.systemextension $A --json
# a bundle whose Info.plist changed after signing no longer matches special slot 1
cp -r k1.kext k1x.kext && sed -i 's/com.example.k1</com.example.kX</' k1x.kext/Contents/Info.plist
t_json info_plist_changed 'j["kind"]' invalid sh -c "'$MX' codesign verify k1x.kext $A --json; true"
