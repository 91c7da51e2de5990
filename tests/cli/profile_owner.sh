# profile_owner.sh — issue 14 §3, a profile belongs to the channel that
# installed it.  A hand install whose PayloadIdentifier is held by an
# MDM-installed profile is refused (it once replaced the MDM's kext policy
# and its AllowUserOverrides=false lock disappeared); the other way, the
# MDM cannot replace (InstallProfile: MDMClientError 96) or remove
# (RemoveProfile: MDMClientError 89, "not found") a profile the user
# installed by hand: the ErrorChain real Macs answer with.  Through
# `mdm install-profile`/`remove-profile`, a raw `mdm command`, and the MDM
# agent against the conformance server.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../mdm/lib.sh"

# mkprofile OUT IDENTIFIER KIND: KIND kext (an MDM allow list, AllowUserOverrides
# false) or dock (a payload a user may install by hand)
mkprofile() { python3 - "$@" <<'PY'
import plistlib, sys, uuid
out, ident, kind = sys.argv[1:4]
if kind == "kext":
    pl = {"PayloadType": "com.apple.syspolicy.kernel-extension-policy", "AllowUserOverrides": False,
          "AllowedTeamIdentifiers": ["ABCDE12345"]}
else:
    pl = {"PayloadType": "com.apple.dock", "autohide": True}
pl.update({"PayloadVersion": 1, "PayloadIdentifier": ident + "." + kind,
           "PayloadUUID": str(uuid.uuid4()).upper()})
p = {"PayloadType": "Configuration", "PayloadVersion": 1, "PayloadIdentifier": ident,
     "PayloadUUID": str(uuid.uuid4()).upper(), "PayloadDisplayName": kind, "PayloadContent": [pl]}
plistlib.dump(p, open(out, "wb"))
PY
}
mkcmd() { python3 - "$@" <<'PY'
import plistlib, sys
out, rt, ident = sys.argv[1:4]
plistlib.dump({"CommandUUID": "0001-" + rt, "Command": {"RequestType": rt, "Identifier": ident}},
              open(out, "wb"))
PY
}
# chain FILE: "Status Domain Code" of a command response plist on stdin
chain() { python3 -c 'import plistlib,sys
r=plistlib.loads(sys.stdin.buffer.read()); c=r.get("ErrorChain",[{}])[0]
print(r["Status"], c.get("ErrorDomain"), c.get("ErrorCode"))'; }

mkprofile "$TMP/mdm.mobileconfig" com.example.managed kext
mkprofile "$TMP/hand-same.mobileconfig" com.example.managed dock
mkprofile "$TMP/hand.mobileconfig" com.example.mine dock
mkprofile "$TMP/mdm-same.mobileconfig" com.example.mine kext
t create "$MX" device create mac --arch x86_64 --os 14.5 --admin admin:pw
export MACEXT_DEVICE=mac
t enroll "$MX" mdm enroll --method device --user-approved

# ---- MDM's profile: a hand install of its identifier is refused, the lock stays
t mdm.install "$MX" mdm install-profile "$TMP/mdm.mobileconfig"
t_exit 77 hand.replace_refused "$MX" profiles install "$TMP/hand-same.mobileconfig" --as admin:pw
t_grep hand.replace_says_why "profile 'com.example.managed' was installed by MDM; a profile installed by hand cannot replace it" \
    "$MX" profiles install "$TMP/hand-same.mobileconfig" --as admin:pw
t_json hand.still_mdm '[[p["identifier"], p["source"]] for p in j]' '[["com.example.managed", "mdm"]]' \
    "$MX" profiles list --json
t_json hand.lock_stays 'j["kernel_extensions"]["AllowUserOverrides"]' false "$MX" profiles policy --json
t_exit 77 hand.remove_refused "$MX" profiles remove com.example.managed --as admin:pw
# refused before any password is asked (macOS offers no removal of it): the
# same answer without --as or with a wrong one, and no refusal logged
nlog=$("$MX" log | wc -l)
t_grep hand.remove_says_why "profile 'com.example.managed' was installed by MDM; only the MDM server can remove it" \
    "$MX" profiles remove com.example.managed
t_exit 77 hand.remove_refused_without_password "$MX" profiles remove com.example.managed
t_grep hand.remove_wrong_password_same_answer "only the MDM server can remove it" \
    "$MX" profiles remove com.example.managed --as admin:wrong
check hand.remove_refusal_not_logged [ "$("$MX" log | wc -l)" = "$nlog" ]
t mdm.may_replace_its_own "$MX" mdm install-profile "$TMP/mdm.mobileconfig"

# ---- the user's profile: MDM may neither replace nor remove it
t hand.install "$MX" profiles install "$TMP/hand.mobileconfig" --as admin:pw
t_exit 77 mdm.replace_refused "$MX" mdm install-profile "$TMP/mdm-same.mobileconfig"
t_grep mdm.replace_says_96 "Cannot replace profile 'com.example.mine' because it was not installed by the MDM server" \
    "$MX" mdm install-profile "$TMP/mdm-same.mobileconfig"
t_exit 67 mdm.remove_not_found "$MX" mdm remove-profile com.example.mine
t_grep mdm.remove_says_89 "Profile with identifier 'com.example.mine' not found" "$MX" mdm remove-profile com.example.mine
t_json mdm.hand_profile_stays '[[p["identifier"], p["source"]] for p in j]' \
    '[["com.example.managed", "mdm"], ["com.example.mine", "manual"]]' "$MX" profiles list --json
mkcmd "$TMP/rm.plist" RemoveProfile com.example.mine
t_out cmd.remove_chain "Error MDMClientError 89" sh -c "'$MX' mdm command '$TMP/rm.plist' | python3 -c 'import plistlib,sys
r=plistlib.loads(sys.stdin.buffer.read()); c=r[\"ErrorChain\"][0]
print(r[\"Status\"], c[\"ErrorDomain\"], c[\"ErrorCode\"])'"
mkcmd "$TMP/rm-none.plist" RemoveProfile com.example.absent
t_out cmd.remove_absent_chain "Error MDMClientError 89" sh -c "'$MX' mdm command '$TMP/rm-none.plist' | python3 -c 'import plistlib,sys
r=plistlib.loads(sys.stdin.buffer.read()); c=r[\"ErrorChain\"][0]
print(r[\"Status\"], c[\"ErrorDomain\"], c[\"ErrorCode\"])'"
mkcmd "$TMP/rm-own.plist" RemoveProfile com.example.managed
t_grep cmd.remove_own_acknowledged '<string>Acknowledged</string>' "$MX" mdm command "$TMP/rm-own.plist"
t hand.remove_own "$MX" profiles remove com.example.mine --as admin:pw
t_json none_left 'len(j)' 0 "$MX" profiles list --json
unset MACEXT_DEVICE

# ---- through the MDM agent: RemoveProfile of a hand-installed profile, as a Mac answers it
[ -x "$BIN/mdmserver" ] || { skip agent "mdmserver is not built"; exit 0; }
mds_start || exit 0
AGENT="--start-spread 0 --backoff-max 0.3 --http-timeout 2"
"$MX" device create m1 --arch arm64 --os 15.1 --admin admin:pw >/dev/null
t agent.enrol "$MX" fleet enroll --profile "$MDS_DIR/enroll.mobileconfig" --user-approved --insecure $AGENT
t agent.hand_install "$MX" --device m1 profiles install "$TMP/hand.mobileconfig" --as admin:pw
ctl POST "/v1/enqueue/all" '{"request_type": "RemoveProfile", "identifier": "com.example.mine"}'
U=$(jq_py 'j["command_uuid"]')
t agent.run timeout 120 "$MX" mdm agent --until idle $AGENT
ctl GET "/v1/results?uuid=$U&body=1"
jq_py '(j if isinstance(j, list) else j["results"])[0]["response"]' > "$TMP/agent-rm.plist"
eq agent.remove_chain "$(chain < "$TMP/agent-rm.plist")" "Error MDMClientError 89"
ctl GET "/v1/results?uuid=$U&body=0"
eq agent.result_valid "$(jq_py '[(r["status"], r["valid"]) for r in (j if isinstance(j, list) else j["results"])]')" '[["Error", true]]'
t_grep agent.hand_profile_stays 'com.example.mine +manual' "$MX" --device m1 profiles list
t agent.store_check "$MX" store check
mds_stop
