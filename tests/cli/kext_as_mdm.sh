# kext_as_mdm.sh — seed table 2 for the managed cells.  Device Enrolment:
# the MDM profile approves the kext, but the user must still visit 1TR and
# tick "Allow remote management of kernel extensions and automatic software
# updates".  Automated Device Enrolment with an escrowed bootstrap token:
# the MDM manages it with no trip to recoveryOS.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kext_common.inc"
kx_need_security || exit 0
kx_setup
CS=com.crowdstrike.sensor
if ! C=$(kx_profile kandji__crowdstrike_settings_with_kext.mobileconfig); then
	skip as_mdm "../shared/testdata is absent"; exit 0; fi

# ---- Device Enrolment
kx_dev as-device arm64
t device.enroll "$MX" mdm enroll --method device --user-approved
t device.profile "$MX" mdm install-profile "$C"
kx_forge $CS X9E956P446
t device.install "$MX" kext install "$TMP/k/$CS.kext"
t_exit 27 device.blocked_by_policy_gate kmutil load -b $CS
kx_state device.blocked $CS blocked_by_security_policy
kx_alert device.remote_management_instructions 'Allow remote management of kernel extensions and automatic software updates'
t_exit 70 device.mdm_restart_does_not_help_yet "$MX" approve kext $CS --as admin:pw
t device.mdm_restart "$MX" mdm restart --rebuild-kernel-cache
kx_state device.still_blocked $CS blocked_by_security_policy
t device.power_button "$MX" recovery --via power-button
t_exit 77 device.standard_user_refused "$MX" security set reduced --kext-remote-management --as bob:pw
t device.remote_management "$MX" security set reduced --kext-remote-management --as admin:pw
t device.restart "$MX" restart
kx_state device.awaiting_restart $CS awaiting_restart
kx_appr device.approval_mdm $CS mdm
t_exit 28 device.needs_reboot kmutil load -b $CS
t device.restart_device "$MX" mdm restart --rebuild-kernel-cache
kx_state device.loaded $CS loaded
t_grep device.smb3 'User-allowed MDM Control: +Enabled +\(smb3\): 1' bputil -d

# ---- Automated Device Enrolment, no bootstrap token escrowed yet: as Device Enrolment
kx_dev as-ade arm64
t ade.enroll "$MX" mdm enroll --method automated --in-abm
t ade.profile "$MX" mdm install-profile "$C"
kx_forge $CS X9E956P446
t ade.install "$MX" kext install "$TMP/k/$CS.kext"
t_exit 27 ade.no_token_blocked kmutil load -b $CS
kx_state ade.blocked $CS blocked_by_security_policy
# with the token escrowed the MDM manages kexts itself
t ade.escrow "$MX" mdm escrow-bootstrap-token
t_exit 28 ade.needs_reboot kmutil load -b $CS
kx_state ade.awaiting_restart $CS awaiting_restart
t_json ade.still_full_security 'j["security"]["policy"]' full "$MX" device show --json
t ade.restart_device "$MX" mdm restart --rebuild-kernel-cache
kx_state ade.loaded $CS loaded
t_json ade.reduced_by_mdm 'j["security"]["policy"]' reduced "$MX" device show --json
t_grep ade.smb4 'DEP-allowed MDM Control: +Enabled +\(smb4\): 1' bputil -d
t_json ade.no_recovery_visit 'len([e for e in j if "recoveryOS" in e.get("what", "")])' 0 "$MX" log --json
