# sysext_toggle.sh — the macOS 15 switch in General > Login Items & Extensions
# (`macext sysext disable|enable ID --as USER:PASSWORD`, mx_op_sysext_set_enabled):
# an administrator turns an enabled extension off (activated_disabled through
# terminating_for_disable) and on again; a network extension stays
# terminating_for_disable_but_still_running until the restart; refused without
# a password under NonRemovableFromUISystemExtensions (CrowdStrike's real macOS 15
# profile: error 10), with a wrong password or a standard user (logged), and
# before macOS 15 (no such switch).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sysext.inc"
need_testdata toggle || exit 0
P=$TESTDATA/profiles
sx_ca
sx_ext nps/com.northpolesec.santa.daemon.systemextension com.northpolesec.santa.daemon ZMCG7MLDV9 endpoint-security
sx_app Santa.app com.northpolesec.santa ZMCG7MLDV9 nps/com.northpolesec.santa.daemon.systemextension
sx_ext cs/com.crowdstrike.falcon.Agent.systemextension com.crowdstrike.falcon.Agent X9E956P446 network --team-name "CrowdStrike Inc."
sx_app Falcon.app com.crowdstrike.falcon.App X9E956P446 cs/com.crowdstrike.falcon.Agent.systemextension

# ---- an endpoint-security extension, turned off and on
sx_dev m15 15.1
t es_install "$MX" app install "$B_DIR/Santa.app"
t es_activate "$MX" sysext activate com.northpolesec.santa com.northpolesec.santa.daemon
t es_allow "$MX" approve sysext com.northpolesec.santa.daemon --as admin:pw
check_eq es_enabled "$(sx_state com.northpolesec.santa.daemon)" activated_enabled
t_grep es_needs_admin 'error 13 \(authorizationRequired\)' "$MX" sysext disable com.northpolesec.santa.daemon
t_exit 77 es_wrong_password "$MX" sysext disable com.northpolesec.santa.daemon --as admin:bad
t_exit 77 es_standard_user "$MX" sysext disable com.northpolesec.santa.daemon --as bob:pw
t_grep es_refusal_logged 'refused' last_event
check_eq es_refusals_change_nothing "$(sx_state com.northpolesec.santa.daemon)" activated_enabled
t_out es_disable "disabled com.northpolesec.santa.daemon: activated_disabled" \
  "$MX" sysext disable com.northpolesec.santa.daemon --as admin:pw
t_grep es_moves_logged 'terminating_for_disable' "$MX" log
t_json es_json '[x["state"] for x in j]' '["activated_disabled"]' "$MX" sysext list --json
t_out es_disable_again_is_no_change "disabled com.northpolesec.santa.daemon: activated_disabled" \
  "$MX" sysext disable com.northpolesec.santa.daemon --as admin:pw
t es_restart "$MX" restart
check_eq es_stays_disabled_after_restart "$(sx_state com.northpolesec.santa.daemon)" activated_disabled
t_json es_enable '[j["state"]]' '["activated_enabled"]' \
  "$MX" sysext enable com.northpolesec.santa.daemon --as admin:pw --json
t_exit 67 es_unknown "$MX" sysext disable com.example.none --as admin:pw

# ---- a network extension keeps running until the restart
sx_dev net15 15.1
t net_install "$MX" app install "$B_DIR/Falcon.app"
t net_activate "$MX" sysext activate com.crowdstrike.falcon.App com.crowdstrike.falcon.Agent
t net_allow "$MX" approve sysext com.crowdstrike.falcon.Agent --as admin:pw
t_out net_disable "disabled com.crowdstrike.falcon.Agent: terminating_for_disable_but_still_running" \
  "$MX" sysext disable com.crowdstrike.falcon.Agent --as admin:pw
t net_restart "$MX" restart
check_eq net_disabled_after_restart "$(sx_state com.crowdstrike.falcon.Agent)" activated_disabled

# ---- NonRemovableFromUISystemExtensions: the switch is locked
sx_dev cs15 15.1
sx_enroll
t cs_allow_profile "$MX" mdm install-profile "$P/kandji__crowdstrike_settings.mobileconfig"
t cs_nonremovable_ui_profile "$MX" mdm install-profile "$P/kandji__crowdstrike_settings_macOS15.mobileconfig"
t cs_install "$MX" app install "$B_DIR/Falcon.app"
t cs_activate "$MX" sysext activate com.crowdstrike.falcon.App com.crowdstrike.falcon.Agent
t_exit 77 cs_refused "$MX" sysext disable com.crowdstrike.falcon.Agent --as admin:pw
t_grep cs_reason 'error 10 \(forbiddenBySystemPolicy\).*NonRemovableFromUISystemExtensions' \
  "$MX" sysext disable com.crowdstrike.falcon.Agent --as admin:pw
check_eq cs_still_enabled "$(sx_state com.crowdstrike.falcon.Agent)" activated_enabled

# ---- before macOS 15 there is no switch
sx_dev m14 14.6
t m14_install "$MX" app install "$B_DIR/Santa.app"
t m14_activate "$MX" sysext activate com.northpolesec.santa com.northpolesec.santa.daemon
t m14_allow "$MX" approve sysext com.northpolesec.santa.daemon --as admin:pw
t_exit 70 m14_no_switch "$MX" sysext disable com.northpolesec.santa.daemon --as admin:pw
t_grep m14_says_why 'macOS 15' "$MX" sysext disable com.northpolesec.santa.daemon --as admin:pw

# ---- the same switch as a fleet apply step, on every macOS 15 Mac of the fleet: switched off
# where it may be, refused (and reported) under NonRemovableFromUISystemExtensions
printf 'sysext disable com.northpolesec.santa.daemon --as admin:pw\nsysext disable com.crowdstrike.falcon.Agent --as admin:pw\n' > "$TMP/toggle.steps"
MACEXT_DEVICE= "$MX" fleet apply "$TMP/toggle.steps" --devices 'name=m15' >/dev/null 2>&1
check_eq fleet_step_disables "$(MACEXT_DEVICE=m15 sx_state com.northpolesec.santa.daemon)" activated_disabled
MACEXT_DEVICE= "$MX" fleet apply "$TMP/toggle.steps" --devices 'name=cs15' >/dev/null 2>&1
check_eq fleet_step_refused_under_nonremovable "$(MACEXT_DEVICE=cs15 sx_state com.crowdstrike.falcon.Agent)" activated_enabled
