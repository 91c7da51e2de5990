# kext_intel.sh — seed table 1 ("Adding kexts on an Intel-based or Apple
# silicon Mac with macOS 11 or later") on Intel Macs, one cell per device:
# not enrolled, User Enrolment, Device Enrolment, Automated Device Enrolment.
# Each walks install -> load attempt -> approval -> restart -> loaded and
# asserts every state, alert and exit code on the way.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kext_common.inc"
kx_setup
VB=org.virtualbox.kext.VBoxDrv

# ---- Not enrolled: alert, admin approves in System Settings, restart from the dialog
kx_dev intel-none x86_64
kx_forge $VB VB5E2TV963
t none.install "$MX" kext install "$TMP/k/$VB.kext"
kx_state none.installed $VB installed
t_exit 27 none.load_needs_approval kmutil load -b $VB
t_grep none.load_27_text "Error Domain=KMErrorDomain Code=27 \"Extension with identifiers $VB not approved to load. Please approve using System Settings.\"" kmutil load -b $VB
kx_state none.awaiting_user_approval $VB awaiting_user_approval
kx_alert none.alert_blocked '^\[[0-9]+\] System Extension Blocked'
kx_alert none.alert_names_developer 'signed by "macext Test Developer"'
t_exit 77 none.standard_user_refused "$MX" approve kext $VB --as bob:pw
t_exit 77 none.wrong_password_refused "$MX" approve kext $VB --as admin:nope
kx_state none.refusals_change_nothing $VB awaiting_user_approval
t_grep none.refusals_logged 'approve kext.*refused' "$MX" log
t none.admin_approves "$MX" approve kext $VB --as admin:pw
kx_state none.awaiting_restart $VB awaiting_restart
kx_appr none.approval_user $VB user
kx_alert none.restart_dialog 'A restart is required before new system software can be used'
kx_no_alert none.blocked_alert_withdrawn 'System Extension Blocked'
t_exit 28 none.load_needs_reboot kmutil load -b $VB
t_grep none.load_28_text "Error Domain=KMErrorDomain Code=28 \"Loading extension\(s\): $VB requires a reboot\"" kmutil load -p /Library/Extensions/$VB.kext
t_json none.restart_pending 'j["restart_pending"]' true "$MX" device show --json
t none.restart "$MX" restart
kx_state none.loaded $VB loaded
t_json none.in_auxkc '[k["in_auxkc"] for k in j]' '[true]' "$MX" kext list --json
t none.load_after_restart kmutil load -b $VB
t_grep none.showloaded "^ +[0-9]+ +0 0xffffff80[0-9a-f]+ +0x[0-9a-f]+ +0x[0-9a-f]+ +$VB \(1.0.0\) [0-9A-F-]{36} <" kmutil showloaded
t_grep none.kextstat_shim '^Executing: /usr/bin/kmutil showloaded' kextstat
t_grep none.kextstat_lists "$VB \(1.0.0\)" kextstat
kx_no_alert none.no_alert_left 'Restart Required|Blocked'

# ---- User Enrolment: the payload cannot arrive; the user approves as not enrolled
kx_dev intel-user x86_64
t user.enroll "$MX" mdm enroll --method user
if P=$(kx_profile kandji__VirtualBox.mobileconfig); then
	t_exit 77 user.payload_refused "$MX" mdm install-profile "$P"
	t_grep user.payload_refusal_text 'not allowed with User Enrollment' "$MX" mdm install-profile "$P"
	t_json user.no_profile 'len(j)' 0 "$MX" profiles list --json
else skip user.payload_refused "../shared/testdata is absent"; fi
kx_forge $VB VB5E2TV963
t user.install "$MX" kext install "$TMP/k/$VB.kext"
t_exit 27 user.load_needs_approval kmutil load -b $VB
kx_state user.awaiting_user_approval $VB awaiting_user_approval
kx_alert user.alert_blocked 'System Extension Blocked'
t_exit 77 user.standard_user_refused "$MX" approve kext $VB --as bob:pw
t user.admin_approves "$MX" approve kext $VB --as admin:pw
kx_state user.awaiting_restart $VB awaiting_restart
_run "$MX" mdm restart --rebuild-kernel-cache
check user.restart_device_refused [ $RC -ne 0 ]
kx_state user.still_awaiting_restart $VB awaiting_restart
t user.restart "$MX" restart
kx_state user.loaded $VB loaded

# ---- Device Enrolment: the allow-list profile first, then a restart by user or MDM
kx_dev intel-device x86_64
t device.enroll "$MX" mdm enroll --method device --user-approved
if P=$(kx_profile kandji__VirtualBox.mobileconfig) && C=$(kx_profile kandji__crowdstrike_settings_with_kext.mobileconfig); then
	kx_forge org.virtualbox.kext.VBoxUSB VB5E2TV963
	kx_forge org.virtualbox.kext.VBoxNetFlt VB5E2TV963
	kx_forge com.example.other ABCDE12345
	t device.install_a "$MX" kext install "$TMP/k/org.virtualbox.kext.VBoxUSB.kext"
	t device.install_b "$MX" kext install "$TMP/k/org.virtualbox.kext.VBoxNetFlt.kext"
	t device.install_c "$MX" kext install "$TMP/k/com.example.other.kext"
	# before the profile: the user is asked, as without MDM
	t_exit 27 device.no_profile_yet kmutil load -b org.virtualbox.kext.VBoxUSB
	kx_state device.awaiting_before_profile org.virtualbox.kext.VBoxUSB awaiting_user_approval
	t device.profile "$MX" mdm install-profile "$P"
	kx_state device.profile_approves org.virtualbox.kext.VBoxUSB awaiting_restart
	kx_appr device.approval_mdm org.virtualbox.kext.VBoxUSB mdm
	kx_no_alert device.blocked_withdrawn 'System Extension Blocked'
	t_exit 28 device.load_needs_reboot kmutil load -b org.virtualbox.kext.VBoxNetFlt
	kx_state device.no_prompt org.virtualbox.kext.VBoxNetFlt awaiting_restart
	# a restart without RebuildKernelCache leaves the AuxKC as it is
	t device.plain_restart "$MX" mdm restart
	kx_state device.still_awaiting org.virtualbox.kext.VBoxUSB awaiting_restart
	t device.restart_device_rebuild "$MX" mdm restart --rebuild-kernel-cache
	kx_state device.loaded_a org.virtualbox.kext.VBoxUSB loaded
	kx_state device.loaded_b org.virtualbox.kext.VBoxNetFlt loaded
	# CrowdStrike's payload has no AllowUserOverrides: users cannot approve others
	t device.profile_cs "$MX" mdm install-profile "$C"
	# syspolicyd's kext_policy_mdm, as the exported KextPolicy has it (made from the profiles)
	t_json device.kext_policy_mdm_teams 'sorted(set(r["team_id"] for r in j))' '["VB5E2TV963", "X9E956P446"]' \
	    sh -c "rm -rf '$TMP/x1' && '$MX' device export intel-device '$TMP/x1' >/dev/null && sqlite3 -json '$TMP/x1/var/db/SystemPolicyConfiguration/KextPolicy' 'select team_id, bundle_id from kext_policy_mdm'"
	t_exit 27 device.other_blocked kmutil load -b com.example.other
	kx_state device.rejected_by_policy com.example.other rejected_by_policy
	t_exit 77 device.user_cannot_override "$MX" approve kext com.example.other --as admin:pw
	# NotifyUser (11.3+): a notice, the user restarts at their convenience
	kx_forge com.crowdstrike.sensor X9E956P446
	t device.install_cs "$MX" kext install "$TMP/k/com.crowdstrike.sensor.kext"
	t_exit 28 device.cs_needs_reboot kmutil load -b com.crowdstrike.sensor
	t device.notify_user "$MX" mdm restart --notify-user --rebuild-kernel-cache
	kx_alert device.restart_notice 'Restart Required'
	kx_state device.cs_waits com.crowdstrike.sensor awaiting_restart
	t device.user_restarts "$MX" restart
	kx_state device.cs_loaded com.crowdstrike.sensor loaded
else skip device.cell "../shared/testdata is absent"; fi

# ---- Automated Device Enrolment: the same, RestartDevice with KextPaths
kx_dev intel-ade x86_64
t ade.enroll "$MX" mdm enroll --method automated --in-abm
if P=$(kx_profile kandji__Sophos_Central_Settings_with_KEXT.mobileconfig); then
	t ade.profile "$MX" mdm install-profile "$P"
	kx_forge com.sophos.kext.sav 2H5GFH3774
	kx_forge com.sophos.nke.swi 2H5GFH3774
	t ade.install "$MX" kext install "$TMP/k/com.sophos.kext.sav.kext"
	t ade.install2 "$MX" kext install "$TMP/k/com.sophos.nke.swi.kext"
	t_exit 28 ade.load_needs_reboot kmutil load -b com.sophos.kext.sav
	kx_appr ade.team_allowed com.sophos.kext.sav mdm
	kx_state ade.never_loaded com.sophos.nke.swi installed
	t ade.restart_device "$MX" mdm restart --rebuild-kernel-cache --kext-path /Library/Extensions/com.sophos.nke.swi.kext
	kx_state ade.loaded com.sophos.kext.sav loaded
	kx_state ade.kextpaths_added com.sophos.nke.swi loaded
	t_grep ade.inspect 'com.sophos.nke.swi' kmutil inspect
else skip ade.cell "../shared/testdata is absent"; fi

# ---- NotifyUser before 11.3 (Q8; the command text says 11.3): a forced restart
kx_dev intel-11-2 x86_64 --os 11.2
if P=$(kx_profile kandji__VirtualBox.mobileconfig); then
	t notify.enroll "$MX" mdm enroll --method device --user-approved
	t notify.profile "$MX" mdm install-profile "$P"
	kx_forge $VB VB5E2TV963
	t notify.install "$MX" kext install "$TMP/k/$VB.kext"
	t_exit 28 notify.needs_reboot kmutil load -b $VB
	t notify.restart_device "$MX" mdm restart --notify-user --rebuild-kernel-cache
	kx_state notify.restarted_at_once $VB loaded
else skip notify.cell "../shared/testdata is absent"; fi

# ---- AllowNonAdminUserApprovals: standard users may Allow (ANDed across payloads)
kx_dev intel-nonadmin x86_64
if B=$(kx_profile kandji__bitdefender_with_kext_settings.mobileconfig); then
	cat > "$TMP/nonadmin.mobileconfig" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>PayloadType</key><string>Configuration</string>
<key>PayloadIdentifier</key><string>test.kext.nonadmin</string>
<key>PayloadUUID</key><string>6E0C6F8A-3C1B-4F1E-9F7A-1D2C3B4A5E6F</string>
<key>PayloadVersion</key><integer>1</integer>
<key>PayloadDisplayName</key><string>Kext policy</string>
<key>PayloadScope</key><string>System</string>
<key>PayloadContent</key><array><dict>
  <key>PayloadType</key><string>com.apple.syspolicy.kernel-extension-policy</string>
  <key>PayloadIdentifier</key><string>test.kext.nonadmin.kext</string>
  <key>PayloadUUID</key><string>7F1D7A9B-4D2C-4A2F-8B8B-2E3D4C5B6A7F</string>
  <key>PayloadVersion</key><integer>1</integer>
  <key>AllowUserOverrides</key><true/>
  <key>AllowNonAdminUserApprovals</key><true/>
  <key>AllowedKernelExtensions</key><dict>
    <key></key><array><string>com.example.unsigned</string></array>
  </dict>
</dict></array>
</dict></plist>
XML
	t nonadmin.enroll "$MX" mdm enroll --method device --user-approved
	t nonadmin.profile "$MX" mdm install-profile "$TMP/nonadmin.mobileconfig"
	t nonadmin.bitdefender "$MX" mdm install-profile "$B"
	t_json nonadmin.mdm_rows '[[r["team_id"], r["bundle_id"]] for r in j]' '[["", "com.example.unsigned"], ["GUNFMW623Y", null]]' \
	    sh -c "rm -rf '$TMP/x2' && '$MX' device export intel-nonadmin '$TMP/x2' >/dev/null && sqlite3 -json '$TMP/x2/var/db/SystemPolicyConfiguration/KextPolicy' 'select team_id, bundle_id from kext_policy_mdm'"
	kx_forge com.example.other ABCDE12345
	t nonadmin.install "$MX" kext install "$TMP/k/com.example.other.kext"
	t_exit 27 nonadmin.load kmutil load -b com.example.other
	kx_state nonadmin.user_may_approve com.example.other awaiting_user_approval
	# Bitdefender's payload says AllowNonAdminUserApprovals false: ANDed, admins only
	t_exit 77 nonadmin.bitdefender_says_no "$MX" approve kext com.example.other --as bob:pw
	t nonadmin.remove_bitdefender "$MX" mdm remove-profile "$("$PY" -c "import plistlib,sys; print(plistlib.load(open(sys.argv[1],'rb'))['PayloadIdentifier'])" "$B")"
	t nonadmin.standard_user_allows "$MX" approve kext com.example.other --as bob:pw
	kx_appr nonadmin.approval_user com.example.other user
	# the empty Team ID names an unsigned kext by bundle ID (SIP must be off to load it)
	kx_forge com.example.unsigned ABCDE12345 --unsigned
	t nonadmin.install_unsigned "$MX" kext install "$TMP/k/com.example.unsigned.kext"
	t_exit 1 nonadmin.unsigned_needs_sip_off kmutil load -b com.example.unsigned
	kx_state nonadmin.unsigned_rejected com.example.unsigned rejected_signature
else skip nonadmin.cell "../shared/testdata is absent"; fi
