# device_export.sh — `macext device export|import` (issue 12 §4): a device's
# state as the files a real Mac holds, read by readers that share no code
# with macext (a Python reader of db.plist after osquery's system_extensions
# table, the sqlite3 queries Mac administrators run over KextPolicy,
# macholib and llvm-objdump-19 over the AuxKC, plistlib over profiles show's
# XML); the round trip export -> import -> export giving identical files;
# files copied off a "real Mac" (no macext/device.plist); the next steps on
# an imported Mac behaving as on the original.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kext_common.inc"
kx_setup
OSQ="$PY $(dirname "$0")/osquery_sysext.py"
KC="$PY $(dirname "$0")/kc_check.py"
VB=org.virtualbox.kext.VBoxDrv
SANTA=com.google.santa.daemon
E=$TMP/e

# profiles made here (as a vendor's would be)
$PY - "$TMP/vbox.mobileconfig" "$TMP/santa.mobileconfig" <<'EOF'
import plistlib, sys
def profile(ident, uuid, payload):
    payload.update(PayloadIdentifier=ident + ".p", PayloadUUID=uuid[:-1] + "1", PayloadVersion=1)
    return dict(PayloadType="Configuration", PayloadVersion=1, PayloadIdentifier=ident,
                PayloadUUID=uuid, PayloadDisplayName=ident, PayloadOrganization="Example",
                PayloadContent=[payload])
plistlib.dump(profile("com.example.vbox", "6F0F2C58-3C5A-4D8E-9C7B-0E4B3A1D2C30",
    dict(PayloadType="com.apple.syspolicy.kernel-extension-policy",
         AllowedKernelExtensions={"VB5E2TV963": ["org.virtualbox.kext.VBoxDrv"]})), open(sys.argv[1], "wb"))
plistlib.dump(profile("com.example.santa", "0C1E7A42-57B9-4E86-8E0A-1B2C3D4E5F60",
    dict(PayloadType="com.apple.system-extension-policy",
         AllowedSystemExtensions={"EQHXZ8M8AV": ["com.google.santa.daemon"]},
         AllowedSystemExtensionTypes={"EQHXZ8M8AV": ["EndpointSecurityExtension"]})), open(sys.argv[2], "wb"))
EOF
"$MX" forge sysext "$TMP/k/$SANTA.systemextension" --bundle-id $SANTA --team EQHXZ8M8AV \
    --category endpoint-security --version 2024.1 --ca "$TMP/ca" >/dev/null
"$MX" forge app "$TMP/k/Santa.app" --bundle-id com.google.santa --team EQHXZ8M8AV \
    --embed "$TMP/k/$SANTA.systemextension" --ca "$TMP/ca" >/dev/null

# ---- an Intel Mac, enrolled: the kext loaded from the AuxKC, Santa allowed by MDM
kx_dev imac x86_64 --os 12.7
t imac.enroll "$MX" mdm enroll --method device --user-approved
t imac.kext_profile "$MX" mdm install-profile "$TMP/vbox.mobileconfig"
t imac.sysext_profile "$MX" mdm install-profile "$TMP/santa.mobileconfig"
kx_forge $VB VB5E2TV963 --version 7.0.12
t imac.kext "$MX" kext install "$TMP/k/$VB.kext"
"$BIN/kmutil" load -b $VB >/dev/null 2>&1
t imac.restart "$MX" mdm restart --rebuild-kernel-cache
t imac.app "$MX" app install "$TMP/k/Santa.app"
t imac.activate "$MX" sysext activate com.google.santa $SANTA
kx_state imac.loaded $VB loaded
IMAC_CDHASH=$(kx_field $VB cdhash)
# ---- an Apple silicon Mac: Reduced Security from 1TR, the kext approved by the user, Santa waiting
kx_dev studio arm64 --os 15.1
t studio.app "$MX" app install "$TMP/k/Santa.app"
t studio.activate "$MX" sysext activate com.google.santa $SANTA
KX_ARCH=fat-arm64e kx_forge $VB VB5E2TV963 --version 7.0.12
t studio.kext "$MX" kext install "$TMP/k/$VB.kext"
t studio.1tr "$MX" recovery --via power-button
t studio.reduced "$MX" security set reduced --kext-user-management --as admin:pw
t studio.boot "$MX" restart
t_exit 27 studio.load_asks "$BIN/kmutil" load -b $VB
t studio.allow "$MX" approve kext $VB --as admin:pw
t studio.restart "$MX" restart
kx_state studio.loaded $VB loaded

# ---- export
t imac.export "$MX" device export imac "$E/imac"
t_json studio.export_json '[j["name"], j["local_policy"], j["system_extensions"]]' '["studio", true, 1]' \
    "$MX" device export studio "$E/studio" --json
t_exit 68 export_needs_empty_dir "$MX" device export imac "$E/imac"
t_exit 67 export_unknown_device "$MX" device export nosuch "$E/x"
for f in System/Library/CoreServices/SystemVersion.plist Library/SystemExtensions/db.plist \
    var/db/SystemPolicyConfiguration/KextPolicy Library/KernelCollections/AuxiliaryKernelExtensions.kc \
    Library/Extensions/$VB.kext/Contents/Info.plist Applications/Santa.app/Contents/Info.plist \
    macext/device.plist macext/profiles-show.xml; do
	check "imac.file_$(basename "$f")" [ -f "$E/imac/$f" ]
done
check studio.localpolicy_file sh -c "ls '$E'/studio/System/Volumes/iSCPreboot/*/LocalPolicy/*.mxlp >/dev/null"
check imac.no_localpolicy_on_intel [ ! -d "$E/imac/System/Volumes/iSCPreboot" ]
t_out imac.db_plist_is_binary bplist00 head -c 8 "$E/imac/Library/SystemExtensions/db.plist"
t_grep imac.system_version '<key>ProductVersion</key>' cat "$E/imac/System/Library/CoreServices/SystemVersion.plist"

# ---- db.plist through osquery's system_extensions logic
for dev in imac studio; do
	t_out $dev.osquery_rows_match "$("$MX" --device $dev sysext list --json | $PY -c '
import json,sys
print(json.dumps([{"path": r["origin_path"], "UUID": r["unique_id"], "state": r["state"],
  "identifier": r["bundle_id"], "version": r["version"], "category": r["category"],
  "bundle_path": r["container"], "team": r["team_id"], "mdm_managed": int(sys.argv[1])}
  for r in json.load(sys.stdin)], sort_keys=True))' $([ $dev = imac ] && echo 1 || echo 0))" \
	    $OSQ "$E/$dev/Library/SystemExtensions/db.plist"
done
t_json imac.osquery_state 'j[0]["state"], j[0]["mdm_managed"]' '["activated_enabled", 1]' $OSQ "$E/imac/Library/SystemExtensions/db.plist"
t_json studio.osquery_state 'j[0]["state"], j[0]["mdm_managed"]' '["activated_waiting_for_user", 0]' $OSQ "$E/studio/Library/SystemExtensions/db.plist"
t_json imac.extension_policies 'j["extensionPolicies"]' \
    '[{"allowedExtensionTypes": {"EQHXZ8M8AV": ["com.apple.system_extension.endpoint_security"]}, "allowedExtensions": {"EQHXZ8M8AV": ["com.google.santa.daemon"]}, "allowedTeamIDs": []}]' \
    $PY -c "import plistlib,json,sys; print(json.dumps(plistlib.load(open('$E/imac/Library/SystemExtensions/db.plist','rb'))))"

# ---- KextPolicy through sqlite3, with the queries of the references
KP="$E/imac/var/db/SystemPolicyConfiguration/KextPolicy"
t_out imac.kextpolicy_schema "CREATE TABLE kext_load_history_v3 ( path TEXT PRIMARY KEY, team_id TEXT, bundle_id TEXT, boot_uuid TEXT, created_at TEXT, last_seen TEXT, flags INTEGER , cdhash TEXT );
CREATE TABLE kext_policy ( team_id TEXT, bundle_id TEXT, allowed BOOLEAN, developer_name TEXT, flags INTEGER, PRIMARY KEY (team_id, bundle_id) );
CREATE TABLE kext_policy_mdm ( team_id TEXT, bundle_id TEXT, allowed BOOLEAN, payload_uuid TEXT, PRIMARY KEY (team_id, bundle_id) );
CREATE TABLE settings ( name TEXT, value TEXT, PRIMARY KEY (name) );" sqlite3 "$KP" .schema
t_out imac.mdm_allowed 1 sqlite3 "$KP" "select allowed from kext_policy_mdm where team_id='VB5E2TV963' and bundle_id='$VB'"
t_out imac.klist_cdhashes "$IMAC_CDHASH" sqlite3 "$KP" "SELECT cdhash FROM kext_load_history_v3 WHERE cdhash IS NOT NULL"
t_out imac.history_path "/Library/StagedExtensions/Library/Extensions/$VB.kext|VB5E2TV963" sqlite3 "$KP" "select path, team_id from kext_load_history_v3"
t_out imac.integrity ok sqlite3 "$KP" "pragma integrity_check"
SKP="$E/studio/var/db/SystemPolicyConfiguration/KextPolicy"
t_out studio.user_approval "VB5E2TV963|$VB|1|macext Test Developer" sqlite3 "$SKP" "select team_id, bundle_id, allowed, developer_name from kext_policy"
t_out studio.no_mdm_rows 0 sqlite3 "$SKP" "select count(*) from kext_policy_mdm"

# ---- the AuxKC through kc_check.py, macholib and llvm-objdump-19
AUX="$E/imac/Library/KernelCollections/AuxiliaryKernelExtensions.kc"
t_out imac.auxkc_entry "$VB x86_64 /Library/StagedExtensions/Library/Extensions/$VB.kext same" $KC "$AUX" "$VB=$E/imac/Library/Extensions/$VB.kext/Contents/MacOS/VBoxDrv"
t_out imac.auxkc_macholib "$VB" $PY -c "
from macholib.MachO import MachO
h = MachO('$AUX').headers[0]
print(' '.join(d.split(b'\0')[0].decode() for lc, c, d in h.commands if lc.cmd == 0x80000035))"
t_grep imac.auxkc_objdump 'X86_64 .* FILESET' llvm-objdump-19 --macho --private-headers "$AUX"
t_grep studio.auxkc_objdump 'ARM64 +E .* FILESET' llvm-objdump-19 --macho --private-headers "$E/studio/Library/KernelCollections/AuxiliaryKernelExtensions.kc"
t_grep imac.auxkc_receipt '__aux_kc_receipt' llvm-objdump-19 --macho --section-headers "$AUX"

# ---- profiles: .mobileconfig files and what `profiles show -output stdout-xml` prints
t_out imac.profiles_show "com.example.vbox com.apple.syspolicy.kernel-extension-policy
com.example.santa com.apple.system-extension-policy" $PY -c "
import plistlib
for p in plistlib.load(open('$E/imac/macext/profiles-show.xml','rb'))['_computerlevel']:
    print(p['ProfileIdentifier'], ' '.join(i['PayloadType'] for i in p['ProfileItems']))"
t_out imac.profiles_show_content '{"VB5E2TV963": ["org.virtualbox.kext.VBoxDrv"]}' $PY -c "
import plistlib, json
p = plistlib.load(open('$E/imac/macext/profiles-show.xml','rb'))['_computerlevel'][0]
print(json.dumps(p['ProfileItems'][0]['PayloadContent']['AllowedKernelExtensions']))"
t_grep imac.mobileconfig_valid '^0 errors' "$MX" profiles validate "$E/imac/macext/profiles/01-com.example.vbox.mobileconfig"

# ---- round trip: import into a fresh state, export again: the same files
R=$TMP/r
t rt.import_imac "$MX" --state "$R" device import "$E/imac"
t rt.import_studio "$MX" --state "$R" device import "$E/studio"
t rt.export_imac "$MX" --state "$R" device export imac "$E/imac2"
t rt.export_studio "$MX" --state "$R" device export studio "$E/studio2"
t rt.identical_imac diff -r "$E/imac" "$E/imac2"
t rt.identical_studio diff -r "$E/studio" "$E/studio2"
t rt.store_check "$MX" --state "$R" store check
# what the imported Macs do next is what the originals do
for dev in imac studio; do
	for q in "kext list --json" "sysext list --json" "profiles list --json"; do
		# shellcheck disable=SC2086
		t_out "rt.$dev.$(echo $q | cut -d' ' -f1)_same" "$("$MX" --device $dev $q)" "$MX" --state "$R" --device $dev $q
	done
done
t_out rt.studio.bputil_same "$(MACEXT_DEVICE=studio "$BIN/bputil" -d | grep -v 'volume group')" \
    sh -c "MACEXT_STATE='$R' MACEXT_DEVICE=studio '$BIN/bputil' -d | grep -v 'volume group'"
t_grep rt.studio.localpolicy_valid 'Pairing Integrity +: Valid' env MACEXT_STATE="$R" MACEXT_DEVICE=studio "$BIN/bputil" -d
t rt.studio.allow_santa "$MX" --state "$R" --device studio approve sysext $SANTA --as admin:pw
t_json rt.studio.santa_enabled 'j[0]["state"]' activated_enabled "$MX" --state "$R" --device studio sysext list --json
t rt.studio.restart "$MX" --state "$R" --device studio restart
t_json rt.studio.kext_still_loads '[k["state"] for k in j]' '["loaded"]' "$MX" --state "$R" --device studio kext list --json
t_grep rt.import_logged 'device imported' "$MX" --state "$R" --device imac log

# ---- files copied off a real Mac: no macext/device.plist
F=$TMP/real
cp -r "$E/imac" "$F" && rm -f "$F/macext/device.plist" "$F/macext/profiles-show.xml"
t_exit 64 real.needs_name "$MX" --state "$TMP/s3" device import "$F"
t_grep real.name_hint 'name the new device with --name NAME' "$MX" --state "$TMP/s3" device import "$F"
t real.import "$MX" --state "$TMP/s3" device import "$F" --name mac1
t_json real.defaults '[j["arch"], j["os"], j["enrollment"]["method"], [u["name"] for u in j["users"]]]' \
    '["x86_64", "12.7", "none", ["admin"]]' "$MX" --state "$TMP/s3" device show mac1 --json
t_json real.sysext_from_db '[(r["bundle_id"], r["state"], r["container"]) for r in j]' \
    '[["com.google.santa.daemon", "activated_enabled", "/Applications/Santa.app"]]' "$MX" --state "$TMP/s3" --device mac1 sysext list --json
t_out real.kextpolicy_rows "$(sqlite3 "$KP" 'select * from kext_policy_mdm')" \
    sh -c "'$MX' --state '$TMP/s3' device export mac1 '$TMP/real-out' >/dev/null && sqlite3 '$TMP/real-out/var/db/SystemPolicyConfiguration/KextPolicy' 'select * from kext_policy_mdm'"
t real.bundles_found test -f "$TMP/real-out/Library/Extensions/$VB.kext/Contents/MacOS/VBoxDrv"
# those rows came without their profiles' owner: they describe the Mac until its profiles
# change; then kext_policy_mdm is what the installed profiles allow (issue 14 §8)
t real.edit_rows sqlite3 "$F/var/db/SystemPolicyConfiguration/KextPolicy" "INSERT INTO kext_policy_mdm VALUES ('X9E956P446',NULL,1,'FROM-A-PROFILE-NOT-COPIED')"
t real.import_edited "$MX" --state "$TMP/s4" device import "$F" --name mac2
t_out real.imported_rows_kept "VB5E2TV963|org.virtualbox.kext.VBoxDrv|1|6F0F2C58-3C5A-4D8E-9C7B-0E4B3A1D2C31
X9E956P446||1|FROM-A-PROFILE-NOT-COPIED" \
    sh -c "rm -rf '$TMP/real-out2' && '$MX' --state '$TMP/s4' device export mac2 '$TMP/real-out2' >/dev/null && sqlite3 '$TMP/real-out2/var/db/SystemPolicyConfiguration/KextPolicy' 'select * from kext_policy_mdm'"
$PY - "$TMP/teams.mobileconfig" <<'EOF2'
import plistlib, sys
plistlib.dump(dict(PayloadType="Configuration", PayloadVersion=1, PayloadIdentifier="com.example.teams",
    PayloadUUID="3D7A1C0E-2B4F-4A6D-8E9F-1A2B3C4D5E60", PayloadDisplayName="teams",
    PayloadContent=[dict(PayloadType="com.apple.syspolicy.kernel-extension-policy",
        PayloadIdentifier="com.example.teams.p", PayloadUUID="3D7A1C0E-2B4F-4A6D-8E9F-1A2B3C4D5E61",
        PayloadVersion=1, AllowedTeamIdentifiers=["ABCDE12345"])]), open(sys.argv[1], "wb"))
EOF2
t real.enroll "$MX" --state "$TMP/s4" --device mac2 mdm enroll --method device --user-approved
t real.kext_profile "$MX" --state "$TMP/s4" --device mac2 mdm install-profile "$TMP/teams.mobileconfig"
t_out real.rows_from_profiles "ABCDE12345||1|3D7A1C0E-2B4F-4A6D-8E9F-1A2B3C4D5E61
VB5E2TV963|org.virtualbox.kext.VBoxDrv|1|6F0F2C58-3C5A-4D8E-9C7B-0E4B3A1D2C31" \
    sh -c "rm -rf '$TMP/real-out2' && '$MX' --state '$TMP/s4' device export mac2 '$TMP/real-out2' >/dev/null && sqlite3 '$TMP/real-out2/var/db/SystemPolicyConfiguration/KextPolicy' 'select * from kext_policy_mdm'"
# a pre-10.15 KextPolicy without kext_load_history_v3.cdhash is Apple's too
F2=$TMP/real2
mkdir -p "$F2/var/db/SystemPolicyConfiguration"
sqlite3 "$F2/var/db/SystemPolicyConfiguration/KextPolicy" "CREATE TABLE kext_load_history_v3 ( path TEXT PRIMARY KEY, team_id TEXT, bundle_id TEXT, boot_uuid TEXT, created_at TEXT, last_seen TEXT, flags INTEGER ); CREATE TABLE kext_policy ( team_id TEXT, bundle_id TEXT, allowed BOOLEAN, developer_name TEXT, flags INTEGER, PRIMARY KEY (team_id, bundle_id) ); CREATE TABLE kext_policy_mdm ( team_id TEXT, bundle_id TEXT, allowed BOOLEAN, payload_uuid TEXT, PRIMARY KEY (team_id, bundle_id) ); CREATE TABLE settings ( name TEXT, value TEXT, PRIMARY KEY (name) ); INSERT INTO kext_policy VALUES ('54GTJ2AU36','com.joshuawise.kexts.HoRNDIS',1,'Joshua Wise',1); INSERT INTO kext_load_history_v3 VALUES ('/Library/Extensions/HoRNDIS.kext','54GTJ2AU36','com.joshuawise.kexts.HoRNDIS','7BD644E2-0000-0000-0000-000000000000','2018-01-25 08:16:36','2018-01-25 08:17:47',7); INSERT INTO settings VALUES ('migrationPerformed','YES');"
t real2.import_old_schema "$MX" --state "$TMP/s3" device import "$F2" --name old
t_out real2.rows_kept "54GTJ2AU36|com.joshuawise.kexts.HoRNDIS|1|Joshua Wise|1
migrationPerformed|YES
/Library/Extensions/HoRNDIS.kext|" \
    sh -c "'$MX' --state '$TMP/s3' device export old '$TMP/old-out' >/dev/null && sqlite3 '$TMP/old-out/var/db/SystemPolicyConfiguration/KextPolicy' 'select * from kext_policy; select * from settings; select path, cdhash from kext_load_history_v3'"
