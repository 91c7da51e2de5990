# kext_legacy.sh — kexts before macOS 11 (10.13-10.15): User-Approved
# Kernel Extension Loading (TN2459).  The seed: "In macOS 11 or later ...
# they can't be loaded into the kernel on demand. They require the user's
# approval and restarting" — so before 11 an unapproved kext is blocked
# with "System Extension Blocked", and once the user (any user) or an MDM
# allow list approves it, kextload loads it on demand: no restart, no AuxKC,
# no kmutil.  SIP still enforces the signature.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kext_common.inc"
kx_setup
VB=org.virtualbox.kext.VBoxDrv

# a kernel-extension-policy profile allowing TEAM (kx_kext_profile FILE TEAM)
kx_kext_profile() { cat >"$1" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>PayloadType</key><string>Configuration</string>
<key>PayloadIdentifier</key><string>com.example.kext-policy</string>
<key>PayloadUUID</key><string>6C1E1E2A-3B0B-4C57-9F1B-0D5B4A7D1E01</string>
<key>PayloadVersion</key><integer>1</integer>
<key>PayloadDisplayName</key><string>Kernel Extensions</string>
<key>PayloadContent</key><array><dict>
<key>PayloadType</key><string>com.apple.syspolicy.kernel-extension-policy</string>
<key>PayloadIdentifier</key><string>com.example.kext-policy.kext</string>
<key>PayloadUUID</key><string>6C1E1E2A-3B0B-4C57-9F1B-0D5B4A7D1E02</string>
<key>PayloadVersion</key><integer>1</integer>
<key>AllowedTeamIdentifiers</key><array><string>$2</string></array>
</dict></array></dict></plist>
EOF
}

# ---- 10.15.7, not enrolled: blocked -> Allow -> kextload loads, no restart
kx_dev c-none x86_64 --os 10.15.7
kx_forge $VB VB5E2TV963
t none.install "$MX" kext install "$TMP/k/$VB.kext"
t_exit 27 none.kextload_blocked kextload /Library/Extensions/$VB.kext
t_grep none.kextload_text "^/Library/Extensions/$VB.kext failed to load - \(libkern/kext\) system policy prevents loading; check the system/kernel logs for errors or try kextutil\(8\)\.$" kextload /Library/Extensions/$VB.kext
_run kextload -b $VB
check none.no_kmutil_reexec sh -c '! printf "%s\n" "$1" | grep -q Executing' - "$ERR"
kx_state none.awaiting_user_approval $VB awaiting_user_approval
kx_alert none.alert_blocked '^\[[0-9]+\] System Extension Blocked'
kx_alert none.alert_security_privacy 'open Security & Privacy System Preferences'
t_exit 77 none.wrong_password_refused "$MX" approve kext $VB --as admin:nope
t none.admin_allows "$MX" approve kext $VB --as admin:pw
kx_state none.approved_not_yet_loaded $VB installed
kx_appr none.approval_user $VB user
kx_no_alert none.no_restart_dialog 'Restart Required|restart is required'
kx_no_alert none.blocked_alert_withdrawn 'System Extension Blocked'
t_json none.no_restart_pending 'j["restart_pending"]' false "$MX" device show --json
t none.kextload_loads kextload -b $VB
kx_state none.loaded $VB loaded
t_grep none.kextstat_lists "^ +[0-9]+ +0 .* $VB \(1.0.0\)" kextstat
_run kextstat
check none.kextstat_no_kmutil sh -c '! printf "%s\n" "$1" | grep -Eq "Executing|No variant"' - "$ERR"
t_json none.not_in_auxkc '[k["in_auxkc"] for k in j]' '[false]' "$MX" kext list --json
t_exit 127 none.kmutil_not_found kmutil load -b $VB
t_grep none.kmutil_not_found_text '^zsh: command not found: kmutil$' kmutil showloaded
t none.kextunload kextunload -b $VB
kx_state none.unloaded $VB installed
t_exit 71 none.kextunload_not_loaded kextunload -b $VB
t_grep none.kextunload_text "Failed to unload $VB - \(libkern/kext\) not found\." kextunload -b $VB
t none.kextload_again kextload -b $VB
kx_state none.loaded_again $VB loaded
# a restart builds nothing: no AuxKC file, and the kext loads again on demand
t none.restart "$MX" restart
_run "$MX" kext auxkc --out "$TMP/none.kc"
check none.no_auxkc [ $RC -ne 0 ]
kx_state none.after_restart_installed $VB installed
t none.kextload_after_restart kextload -b $VB
kx_state none.loaded_after_restart $VB loaded

# ---- 10.15.7, Device Enrolment with an allow list: loads at the first kextload
kx_dev c-mdm x86_64 --os 10.15.7
t mdm.enroll "$MX" mdm enroll --method device --user-approved
kx_kext_profile "$TMP/kext.mobileconfig" VB5E2TV963
t mdm.profile "$MX" mdm install-profile "$TMP/kext.mobileconfig"
kx_forge $VB VB5E2TV963
t mdm.install "$MX" kext install "$TMP/k/$VB.kext"
t mdm.first_kextload_loads kextload -b $VB
kx_state mdm.loaded $VB loaded
kx_appr mdm.approval_mdm $VB mdm
kx_no_alert mdm.no_alert 'System Extension Blocked|Restart Required'
# another team is still blocked, and the profile (AllowUserOverrides false) refuses the user
kx_forge com.example.other ABCDE12345
t mdm.install_other "$MX" kext install "$TMP/k/com.example.other.kext"
t_exit 27 mdm.other_blocked kextload -b com.example.other
kx_state mdm.other_rejected_by_policy com.example.other rejected_by_policy
t_exit 77 mdm.user_cannot_override "$MX" approve kext com.example.other --as admin:pw

# ---- 10.15.7, SIP on: an ad-hoc kext is refused before any approval question
kx_dev c-sip x86_64 --os 10.15.7
kx_forge com.example.adhoc ABCDE12345 --adhoc
t sip.install "$MX" kext install "$TMP/k/com.example.adhoc.kext"
t_exit 71 sip.adhoc_refused kextload -b com.example.adhoc
t_grep sip.adhoc_text '^com.example.adhoc failed to load - \(libkern/kext\) authentication failure' kextload -b com.example.adhoc
kx_state sip.rejected_signature com.example.adhoc rejected_signature
t_exit 70 sip.cannot_be_approved "$MX" approve kext com.example.adhoc --as admin:pw
kx_no_alert sip.no_blocked_alert 'System Extension Blocked'

# ---- 10.13.6: a standard user may Allow (HT208019: "any user, even a non-admin")
kx_dev hs x86_64 --os 10.13.6
kx_forge $VB VB5E2TV963
t hs.install "$MX" kext install "$TMP/k/$VB.kext"
t_exit 27 hs.kextload_blocked kextload -b $VB
t_exit 77 hs.wrong_password_refused "$MX" approve kext $VB --as bob:nope
t hs.standard_user_allows "$MX" approve kext $VB --as bob:pw
kx_appr hs.approval_user $VB user
t hs.kextload_loads kextload -b $VB
kx_state hs.loaded $VB loaded
t_grep hs.kmutil_bash_not_found '^-bash: kmutil: command not found$' kmutil load -b $VB

# ---- 11.7 keeps the macOS 11 rules (the version branch is exact)
kx_dev bs x86_64 --os 11.7
kx_forge $VB VB5E2TV963
t bs.install "$MX" kext install "$TMP/k/$VB.kext"
t_grep bs.kextload_reexecs '^Executing: /usr/bin/kmutil load -b' kextload -b $VB
t_exit 77 bs.standard_user_refused "$MX" approve kext $VB --as bob:pw
t bs.admin_allows "$MX" approve kext $VB --as admin:pw
t_exit 28 bs.needs_reboot kextload -b $VB
