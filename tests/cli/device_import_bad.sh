# device_import_bad.sh — `macext device import` on hostile or broken files
# (issue 12 §4): wrong types, huge files, SQL that is not Apple's schema,
# values that are not what their column holds, symbolic links out of the
# directory, ".." paths.  Each case is one change to a good export; each
# must be refused with its exit code and a message naming the file and the
# key, column or link — and change nothing (the store's digest, the device
# list).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kext_common.inc"
kx_setup
SANTA=com.google.santa.daemon
"$MX" forge sysext "$TMP/k/$SANTA.systemextension" --bundle-id $SANTA --team EQHXZ8M8AV \
    --category endpoint-security --ca "$TMP/ca" >/dev/null
"$MX" forge app "$TMP/k/Santa.app" --bundle-id com.google.santa --team EQHXZ8M8AV \
    --embed "$TMP/k/$SANTA.systemextension" --ca "$TMP/ca" >/dev/null
kx_dev mac arm64 --os 15.1
KX_ARCH=arm64e kx_forge com.example.k ABCDE12345
"$MX" kext install "$TMP/k/com.example.k.kext" >/dev/null
"$MX" app install "$TMP/k/Santa.app" >/dev/null
"$MX" sysext activate com.google.santa $SANTA >/dev/null
"$MX" approve sysext $SANTA --as admin:pw >/dev/null
"$MX" approve kext com.example.k --as admin:pw >/dev/null 2>&1
$PY - "$TMP/p.mobileconfig" <<'EOF'
import plistlib, sys
plistlib.dump(dict(PayloadType="Configuration", PayloadVersion=1, PayloadIdentifier="com.example.p",
    PayloadUUID="11111111-2222-3333-4444-555555555555", PayloadDisplayName="P",
    PayloadContent=[dict(PayloadType="com.apple.system-extension-policy", PayloadVersion=1,
        PayloadIdentifier="com.example.p.1", PayloadUUID="11111111-2222-3333-4444-555555555556",
        AllowedTeamIdentifiers=["EQHXZ8M8AV"])]), open(sys.argv[1], "wb"))
EOF
"$MX" mdm enroll --method device --user-approved >/dev/null
"$MX" mdm install-profile "$TMP/p.mobileconfig" >/dev/null
G=$TMP/good
t good.export "$MX" device export mac "$G"
S=$TMP/s
t good.import "$MX" --state "$S" device import "$G" --name first
DIG=$("$MX" --state "$S" store digest)
LIST=$("$MX" --state "$S" device list)

DB=Library/SystemExtensions/db.plist
KP=var/db/SystemPolicyConfiguration/KextPolicy
SC=macext/device.plist
# plist_edit FILE PYTHON: loads FILE (binary or XML) as p, runs PYTHON, writes it back as it was
plist_edit() { $PY - "$1" "$2" <<'EOF'
import plistlib, sys
path, code = sys.argv[1], sys.argv[2]
raw = open(path, "rb").read()
fmt = plistlib.FMT_BINARY if raw.startswith(b"bplist") else plistlib.FMT_XML
p = plistlib.loads(raw)
exec(code)
open(path, "wb").write(plistlib.dumps(p, fmt=fmt))
EOF
}
sql() { sqlite3 "$C/$KP" "$1"; }

# case NAME EXIT REGEX; the change is made in $C by the commands that follow until `run`
run() { n=$1; code=$2; re=$3
	t_exit "$code" "$n.refused" "$MX" --state "$S" device import "$C" --name "x-$n" --serial "S$$"
	t_grep "$n.message" "$re" "$MX" --state "$S" device import "$C" --name "x-$n" --serial "S$$"
	t_out "$n.nothing_changed" "$DIG" "$MX" --state "$S" store digest
}
fresh() { C=$TMP/c-$1; rm -rf "$C"; cp -r "$G" "$C"; }

fresh db_state_type; plist_edit "$C/$DB" 'p["extensions"][0]["state"] = 7'
run db_state_type 66 "$DB: extensions\[0\]\.state: expected string, got integer"
fresh db_bad_uuid; plist_edit "$C/$DB" 'p["extensions"][0]["uniqueID"] = "../../etc"'
run db_bad_uuid 66 'extensions\[0\]\.uniqueID: "\.\./\.\./etc" is not allowed'
fresh db_dotdot_url; plist_edit "$C/$DB" 'p["extensions"][0]["stagedBundleURL"]["relative"] = "file:///Library/SystemExtensions/../../../etc/"'
run db_dotdot_url 66 'stagedBundleURL\.relative: .* is not an absolute path without "\.\."'
fresh db_unknown_state; plist_edit "$C/$DB" 'p["extensions"][0]["state"] = "activated_sideways"'
run db_unknown_state 66 "$DB: extensions\[0\]\.state: unknown system extension state .activated_sideways."
fresh db_categories_type; plist_edit "$C/$DB" 'p["extensions"][0]["categories"] = "com.apple.system_extension.endpoint_security"'
run db_categories_type 66 'extensions\[0\]\.categories: expected array, got string'
fresh db_policy_type; plist_edit "$C/$DB" 'p["extensionPolicies"] = [{"allowedTeamIDs": "EQHXZ8M8AV"}]'
run db_policy_type 66 'extensionPolicies\[0\]: allowedTeamIDs: expected array'
fresh db_dup_uuid; plist_edit "$C/$DB" 'p["extensions"].append(dict(p["extensions"][0]))'
run db_dup_uuid 66 'uniqueID .* appears twice'
fresh db_garbage; printf 'this is not a plist' >"$C/$DB"
run db_garbage 65 "$DB"
fresh db_huge; head -c $((17 * 1024 * 1024)) /dev/zero >"$C/$DB"
run db_huge 71 'over the 16 MiB cap'

fresh kp_extra_table; sql "CREATE TABLE evil (x TEXT)"
run kp_extra_table 66 "$KP: table 'evil' is not part of Apple's KextPolicy schema"
fresh kp_trigger; sql "CREATE TRIGGER t AFTER INSERT ON settings BEGIN DELETE FROM kext_policy; END"
run kp_trigger 66 "trigger 't' is not part of Apple's"
fresh kp_view; sql "CREATE VIEW v AS SELECT * FROM kext_policy"
run kp_view 66 "view 'v' is not part of Apple's"
fresh kp_index; sql "CREATE INDEX i ON kext_policy(flags)"
run kp_index 66 "index 'i' is not part of Apple's"
fresh kp_column_type; sql "DROP TABLE kext_policy; CREATE TABLE kext_policy ( team_id TEXT, bundle_id TEXT, allowed TEXT, developer_name TEXT, flags INTEGER, PRIMARY KEY (team_id, bundle_id) )"
run kp_column_type 66 'kext_policy column 3 is allowed TEXT, Apple.s is allowed BOOLEAN'
fresh kp_missing_table; sql "DROP TABLE kext_policy_mdm"
run kp_missing_table 66 'no table kext_policy_mdm'
fresh kp_allowed_value; sql "INSERT INTO kext_policy VALUES ('ABCDE12345','com.example.x',5,'X',1)"
run kp_allowed_value 66 'kext_policy row [0-9]+, allowed: expected 0 or 1'
fresh kp_team_quote; sql "INSERT INTO kext_policy VALUES ('X''; DROP TABLE devices;--','com.example.x',1,'X',1)"
run kp_team_quote 66 'team_id: expected a Team ID'
fresh kp_path_dotdot; sql "INSERT INTO kext_load_history_v3 VALUES ('/Library/../../etc/x.kext','ABCDE12345','com.example.x','','','',1,NULL)"
run kp_path_dotdot 66 'kext_load_history_v3 row [0-9]+, path: expected an absolute path'
fresh kp_blob; sql "INSERT INTO settings VALUES ('k', x'00ff')"
run kp_blob 66 'settings row [0-9]+, value: expected text'
fresh kp_garbage; head -c 8192 /dev/urandom >"$C/$KP"
run kp_garbage 65 "$KP: not an SQLite 3 database"
fresh kp_truncated; head -c 5000 "$G/$KP" >"$C/$KP"
run kp_truncated 65 "$KP: page size"
fresh kp_wal; printf 'pending' >"$C/$KP-wal"
run kp_wal 66 'write-ahead log is not empty'
fresh kp_huge; head -c $((65 * 1024 * 1024)) /dev/zero >"$C/$KP"
run kp_huge 71 'over the 64 MiB cap'

fresh link_db; rm "$C/$DB"; ln -s /etc/passwd "$C/$DB"
run link_db 66 'symbolic link'
fresh link_dir; mv "$C/var/db" "$TMP/outside-db"; ln -s "$TMP/outside-db" "$C/var/db"
run link_dir 66 "'db' is a symbolic link"
fresh link_app; mv "$C/Applications/Santa.app" "$TMP/outside.app"; ln -s "$TMP/outside.app" "$C/Applications/Santa.app"
run link_app 66 'Applications/Santa\.app: a symbolic link'
fresh link_in_bundle; ln -s /etc/passwd "$C/Applications/Santa.app/Contents/Resources/passwd"
run link_in_bundle 66 'passwd'
fresh link_root; ln -s "$G" "$TMP/linkroot"; C=$TMP/linkroot
run link_root 66 'a symbolic link'

fresh sc_files_dotdot; plist_edit "$C/$SC" 'p["files"].append("/Applications/../../etc")'
run sc_files_dotdot 66 "$SC: files\[[0-9]+\]: expected an absolute device path"
fresh sc_os_type; plist_edit "$C/$SC" 'p["device"]["os"] = 15'
run sc_os_type 66 "$SC: device\.os: expected string"
fresh sc_pwhash; plist_edit "$C/$SC" 'p["users"][0]["pwhash"] = "pbkdf2-sha256$999999999$" + "0"*32 + "$" + "0"*64'
run sc_pwhash 66 'users\[0\]\.pwhash'
fresh sc_kv_seed; plist_edit "$C/$SC" 'p["kv"]["boot.sep.seed"] = "00"*32'
run sc_kv_seed 66 'kv\.boot\.sep\.seed: not a key macext exports'
fresh sc_kext_path; plist_edit "$C/$SC" 'p["kernel_extensions"][0]["path"] = "relative/x.kext"'
run sc_kext_path 66 'kernel_extensions\[0\]\.path'
fresh sc_approval; plist_edit "$C/$SC" 'p["system_extensions"][list(p["system_extensions"])[0]]["approval"] = "root"'
run sc_approval 66 'approval: expected'
fresh sc_format; plist_edit "$C/$SC" 'p["format"] = 2'
run sc_format 66 'format: expected 1'
fresh profile_bad; plist_edit "$(ls "$C"/macext/profiles/*.mobileconfig | head -1)" 'del p["PayloadIdentifier"]'
run profile_bad 66 'PayloadIdentifier'
fresh lp_bad; f=$(ls "$C"/System/Volumes/iSCPreboot/*/LocalPolicy/*.mxlp); printf 'MXLPbroken' >"$f"
run lp_bad 65 'LocalPolicy'
fresh name_taken
t_exit 68 name_taken.refused "$MX" --state "$S" device import "$C" --name first --serial OTHER1
t_exit 68 serial_taken.refused "$MX" --state "$S" device import "$C" --name second
t_grep serial_taken.message 'serial .* already exists' "$MX" --state "$S" device import "$C" --name second
t_exit 64 bad_serial.refused "$MX" --state "$S" device import "$C" --name second --serial 'a b'
t_out name_taken.nothing_changed "$DIG" "$MX" --state "$S" store digest
t_out devices_unchanged "$LIST" "$MX" --state "$S" device list
t store_check "$MX" --state "$S" store check
# and the good copy still imports beside the first, under a new name and serial
t good.import_again "$MX" --state "$S" device import "$G" --name second --serial C02XYZ0001
t_json good.second '[j["name"], j["serial"]]' '["second", "C02XYZ0001"]' "$MX" --state "$S" device show second --json
