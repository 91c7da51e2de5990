# sysext_removal.sh — removing system extensions (system-extensions.md §2.6 c, d
# and §3.4): deleting the app in Finder uninstalls its extensions after an
# administrator authenticates; from macOS 15 NonRemovableSystemExtensions
# (while SIP is on) and NonRemovableFromUISystemExtensions refuse removal,
# with CrowdStrike's and Bitdefender's real macOS 15 profiles.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sysext.inc"
need_testdata removal || exit 0
P=$TESTDATA/profiles
sx_ca
sx_ext cs/com.crowdstrike.falcon.Agent.systemextension com.crowdstrike.falcon.Agent X9E956P446 network --team-name "CrowdStrike Inc."
sx_app Falcon.app com.crowdstrike.falcon.App X9E956P446 cs/com.crowdstrike.falcon.Agent.systemextension
sx_ext bd/com.bitdefender.cst.net.dci.dci-network-extension.systemextension com.bitdefender.cst.net.dci.dci-network-extension GUNFMW623Y network
sx_app Bitdefender.app com.bitdefender.cst.net.dci GUNFMW623Y bd/com.bitdefender.cst.net.dci.dci-network-extension.systemextension
sx_ext nps/com.northpolesec.santa.daemon.systemextension com.northpolesec.santa.daemon ZMCG7MLDV9 endpoint-security
sx_app Santa.app com.northpolesec.santa ZMCG7MLDV9 nps/com.northpolesec.santa.daemon.systemextension

# ---- Finder deletion of an app with an active extension needs an administrator
sx_dev finder 14.6
t f_install "$MX" app install "$B_DIR/Santa.app"
t f_activate "$MX" sysext activate com.northpolesec.santa com.northpolesec.santa.daemon
t f_allow "$MX" approve sysext com.northpolesec.santa.daemon --as admin:pw
t_grep f_delete_asks_admin 'error 13 \(authorizationRequired\)' "$MX" app delete com.northpolesec.santa
t_exit 77 f_standard_user_refused "$MX" app delete com.northpolesec.santa --as bob:pw
t_exit 77 f_wrong_password_refused "$MX" app delete com.northpolesec.santa --as admin:bad
check_eq f_refusals_change_nothing "$(sx_state com.northpolesec.santa.daemon)" activated_enabled
t_grep f_refusal_logged 'refused.*authorizationRequired' last_event
t f_admin_deletes "$MX" app delete com.northpolesec.santa --as admin:pw
t_json f_extension_marked '[x["state"] for x in j]' '["terminated_waiting_to_uninstall_on_reboot"]' "$MX" sysext list --json
t f_restart "$MX" restart
check_eq f_gone_after_restart "$(sx_count)" 0
# an extension still waiting for the user goes with its app, no authentication needed
t f_install2 "$MX" app install "$B_DIR/Santa.app"
t f_activate2 "$MX" sysext activate com.northpolesec.santa com.northpolesec.santa.daemon
t f_delete_pending "$MX" app delete com.northpolesec.santa
check_eq f_pending_dropped "$(sx_count)" 0
t_out f_pending_dialog_withdrawn "no alerts on finder" "$MX" alerts

# ---- macOS 15: NonRemovableFromUISystemExtensions (CrowdStrike's real profile)
sx_dev cs15 15.1
sx_enroll
t cs_allow_profile "$MX" mdm install-profile "$P/kandji__crowdstrike_settings.mobileconfig"
t cs_nonremovable_ui_profile "$MX" mdm install-profile "$P/kandji__crowdstrike_settings_macOS15.mobileconfig"
t cs_install "$MX" app install "$B_DIR/Falcon.app"
t_grep cs_loads ': completed' "$MX" sysext activate com.crowdstrike.falcon.App com.crowdstrike.falcon.Agent
t_exit 77 cs_finder_refused "$MX" app delete com.crowdstrike.falcon.App --as admin:pw
t_grep cs_finder_reason 'error 10 \(forbiddenBySystemPolicy\).*NonRemovableFromUISystemExtensions' "$MX" app delete com.crowdstrike.falcon.App --as admin:pw
check_eq cs_still_enabled "$(sx_state com.crowdstrike.falcon.Agent)" activated_enabled
# the app's own deactivation request is not a UI path: allowed with an administrator
t_grep cs_api_path_allowed 'willCompleteAfterReboot' "$MX" sysext deactivate com.crowdstrike.falcon.App com.crowdstrike.falcon.Agent --as admin:pw
# the same profile on macOS 14 is not read: Finder deletion works
sx_dev cs14 14.6
sx_enroll
t cs14_allow_profile "$MX" mdm install-profile "$P/kandji__crowdstrike_settings.mobileconfig"
t cs14_nonremovable_ui_profile "$MX" mdm install-profile "$P/kandji__crowdstrike_settings_macOS15.mobileconfig"
t cs14_install "$MX" app install "$B_DIR/Falcon.app"
t cs14_activate "$MX" sysext activate com.crowdstrike.falcon.App com.crowdstrike.falcon.Agent
t cs14_finder_allowed "$MX" app delete com.crowdstrike.falcon.App --as admin:pw

# Bitdefender's real macOS 15 profile, with a user-approved extension
sx_dev bd15 15.1
sx_enroll
t bd_profile "$MX" mdm install-profile "$P/kandji__bitdefender_settings_macOS15.mobileconfig"
t bd_install "$MX" app install "$B_DIR/Bitdefender.app"
t bd_activate "$MX" sysext activate com.bitdefender.cst.net.dci com.bitdefender.cst.net.dci.dci-network-extension
t bd_allow "$MX" approve sysext com.bitdefender.cst.net.dci.dci-network-extension --as admin:pw
t_exit 77 bd_finder_refused "$MX" app delete com.bitdefender.cst.net.dci --as admin:pw

# ---- macOS 15: NonRemovableSystemExtensions, only while SIP is on
sx_profile "$TMP/nonremovable.mobileconfig" com.example.sx.nonremovable \
  '<key>AllowedTeamIdentifiers</key><array><string>ZMCG7MLDV9</string></array><key>NonRemovableSystemExtensions</key><dict><key>ZMCG7MLDV9</key><array><string>com.northpolesec.santa.daemon</string></array></dict>'
for sip in on off; do
  sx_dev "nr_$sip" 15.1 --sip "$sip"
  sx_enroll
  t "nr_${sip}_profile" "$MX" mdm install-profile "$TMP/nonremovable.mobileconfig"
  t "nr_${sip}_install" "$MX" app install "$B_DIR/Santa.app"
  t "nr_${sip}_activate" "$MX" sysext activate com.northpolesec.santa com.northpolesec.santa.daemon
  if [ "$sip" = on ]; then
    t_grep nr_on_deactivation_refused 'error 10 \(forbiddenBySystemPolicy\).*NonRemovableSystemExtensions' "$MX" sysext deactivate com.northpolesec.santa com.northpolesec.santa.daemon --as admin:pw
    t_exit 77 nr_on_finder_refused "$MX" app delete com.northpolesec.santa --as admin:pw
    check_eq nr_on_still_enabled "$(sx_state com.northpolesec.santa.daemon)" activated_enabled
    # removing the profile first (Santa's advice) makes it removable again — and, 11.3+, unloads it
    t nr_on_remove_profile "$MX" mdm remove-profile com.example.sx.nonremovable
    check_eq nr_on_profile_removal_unloads "$("$MX" sysext list --json | python3 -c 'import json,sys;print(json.load(sys.stdin)[0]["state"])')" terminated_waiting_to_uninstall_on_reboot
  else
    t_grep nr_off_deactivation_allowed ': completed' "$MX" sysext deactivate com.northpolesec.santa com.northpolesec.santa.daemon --as admin:pw
  fi
done
# the key is not read before macOS 15
sx_dev nr14 14.6
sx_enroll
t nr14_profile "$MX" mdm install-profile "$TMP/nonremovable.mobileconfig"
t nr14_install "$MX" app install "$B_DIR/Santa.app"
t nr14_activate "$MX" sysext activate com.northpolesec.santa com.northpolesec.santa.daemon
t_grep nr14_deactivation_allowed ': completed' "$MX" sysext deactivate com.northpolesec.santa com.northpolesec.santa.daemon --as admin:pw
