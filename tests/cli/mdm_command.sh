# mdm_command.sh — raw MDM commands: InstallProfile, RemoveProfile, ProfileList,
# SecurityInfo, RestartDevice (NotifyUser from 11.3; forbidden on User Enrollment).
. "$(dirname "$0")/lib.sh"

mkprofile() { # $1 out $2 identifier
python3 - "$1" "$2" <<'PY'
import plistlib, sys, uuid
p = {"PayloadType": "Configuration", "PayloadVersion": 1, "PayloadIdentifier": sys.argv[2],
     "PayloadUUID": str(uuid.uuid4()).upper(), "PayloadDisplayName": "Test",
     "PayloadContent": [{"PayloadType": "com.apple.system-extension-policy", "PayloadVersion": 1,
        "PayloadIdentifier": sys.argv[2] + ".sysext", "PayloadUUID": str(uuid.uuid4()).upper(),
        "AllowedTeamIdentifiers": ["ABCDE12345"]}]}
plistlib.dump(p, open(sys.argv[1], "wb"))
PY
}
mkcmd() { # $1 out $2 request-type, then python dict literal of extra keys
python3 - "$@" <<'PY'
import plistlib, sys
out, rt = sys.argv[1], sys.argv[2]
extra = eval(sys.argv[3]) if len(sys.argv) > 3 else {}
cmd = {"RequestType": rt}; cmd.update(extra)
plistlib.dump({"CommandUUID": "0001-" + rt, "Command": cmd}, open(out, "wb"))
PY
}
mkprofile "$TMP/p.mobileconfig" com.example.test
t create "$MX" device create mac --arch arm64 --os 15.1
t enroll "$MX" mdm enroll --method automated
mkcmd "$TMP/install.plist" InstallProfile "{'Payload': open('$TMP/p.mobileconfig','rb').read()}"
t_grep install_ack '<string>Acknowledged</string>' "$MX" mdm command "$TMP/install.plist"
t_json installed 'j[0]["identifier"]' com.example.test "$MX" profiles list --json
mkcmd "$TMP/list.plist" ProfileList
t_grep profile_list 'com.example.test' "$MX" mdm command "$TMP/list.plist"
mkcmd "$TMP/sec.plist" SecurityInfo
t_grep security_info 'SystemIntegrityProtectionEnabled' "$MX" mdm command "$TMP/sec.plist"
mkcmd "$TMP/bad.plist" InstallProfile "{'Payload': b'not a profile'}"
t_grep install_error '<string>Error</string>' "$MX" mdm command "$TMP/bad.plist"
t_json error_changed_nothing 'len(j)' 1 "$MX" profiles list --json
mkcmd "$TMP/rm.plist" RemoveProfile "{'Identifier': 'com.example.test'}"
t_grep remove_ack '<string>Acknowledged</string>' "$MX" mdm command "$TMP/rm.plist"
t_json removed 'len(j)' 0 "$MX" profiles list --json
mkcmd "$TMP/erase.plist" EraseDevice
t_grep unsimulated_request 'does not carry out' "$MX" mdm command "$TMP/erase.plist"
mkcmd "$TMP/unknown.plist" RefreshCellularPlans
t_grep unknown_request 'Unknown command: RefreshCellularPlans' "$MX" mdm command "$TMP/unknown.plist"
printf 'garbage' > "$TMP/garbage.plist"
t_exit 65 garbage_command "$MX" mdm command "$TMP/garbage.plist"

# RestartDevice: NotifyUser from 11.3 shows a notice; before, a forced restart
S1=$("$MX" device show --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["boot_session"])')
mkcmd "$TMP/notify.plist" RestartDevice "{'NotifyUser': True}"
t_grep notify_ack '<string>Acknowledged</string>' "$MX" mdm command "$TMP/notify.plist"
t_json not_restarted_yet 'j["boot_session"] == "'"$S1"'" and j["restart_pending"]' true "$MX" device show --json
t_json restart_notice 'j[0]["kind"]' restart-required "$MX" alerts --json
t user_restarts "$MX" restart
t_json notice_gone 'len(j)' 0 "$MX" alerts --json
t create_old "$MX" device create old --arch x86_64 --os 11.2
t enroll_old env MACEXT_DEVICE=old "$MX" mdm enroll --method device --user-approved
S2=$(MACEXT_DEVICE=old "$MX" device show --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["boot_session"])')
t_grep notify_ignored_on_11_2 'Acknowledged' env MACEXT_DEVICE=old "$MX" mdm command "$TMP/notify.plist"
t_json forced_restart_on_11_2 'j["boot_session"] != "'"$S2"'"' true env MACEXT_DEVICE=old "$MX" device show --json
t create_ue "$MX" device create ue --arch arm64 --os 15.1
t enroll_ue env MACEXT_DEVICE=ue "$MX" mdm enroll --method user
t_grep restart_forbidden_user_enrollment 'not allowed with User Enrollment' env MACEXT_DEVICE=ue "$MX" mdm command "$TMP/notify.plist"
