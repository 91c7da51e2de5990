# sysext_upgrade.sh — re-activation and upgrades (system-extensions.md §2.6 b):
# same versions are a no-op success; different versions replace the old
# record (the app's delegate decides, default replace), the old one
# terminating and the new one active, with willCompleteAfterReboot where the
# old one outlives the request (a network provider); an approval carries over.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sysext.inc"
sx_ca
T=X9E956P446
sx_dev up 14.6
sx_ext v1/com.crowdstrike.falcon.Agent.systemextension com.crowdstrike.falcon.Agent $T endpoint-security --version 7.10.18 --short-version 7.10
sx_app v1/Falcon.app com.crowdstrike.falcon.App $T v1/com.crowdstrike.falcon.Agent.systemextension
sx_ext v2/com.crowdstrike.falcon.Agent.systemextension com.crowdstrike.falcon.Agent $T endpoint-security --version 7.11.20 --short-version 7.11
sx_app v2/Falcon.app com.crowdstrike.falcon.App $T v2/com.crowdstrike.falcon.Agent.systemextension
sx_ext n1/com.example.vpn.systemextension com.example.vpn $T network --version 1 --short-version 1.0
sx_app n1/Vpn.app com.example.vpnapp $T n1/com.example.vpn.systemextension
sx_ext n2/com.example.vpn.systemextension com.example.vpn $T network --version 2 --short-version 2.0
sx_app n2/Vpn.app com.example.vpnapp $T n2/com.example.vpn.systemextension

t install_v1 "$MX" app install "$B_DIR/v1/Falcon.app"
t activate_v1 "$MX" sysext activate com.crowdstrike.falcon.App com.crowdstrike.falcon.Agent
t allow_v1 "$MX" approve sysext com.crowdstrike.falcon.Agent --as admin:pw
# same versions: succeeds at once, nothing replaced, nothing re-staged
t_json same_version_noop 'j["plan"]+" "+j["result"]' "noop completed" "$MX" sysext activate com.crowdstrike.falcon.App com.crowdstrike.falcon.Agent --json
check_eq same_version_one_record "$(sx_count)" 1
# a new version replaces it: no prompt (the team's approval carries over)
t install_v2 "$MX" app install "$B_DIR/v2/Falcon.app"
t_json upgrade_replaces 'j["plan"]+" "+j["result"]+" "+j["state"]' "replace completed activated_enabled" "$MX" sysext activate com.crowdstrike.falcon.App com.crowdstrike.falcon.Agent --json
t_json old_terminated_new_enabled '[(x["bundle_version"], x["state"]) for x in j]' '[["7.10.18", "terminated_waiting_to_uninstall_on_reboot"], ["7.11.20", "activated_enabled"]]' "$MX" sysext list --json
t_out upgrade_no_dialog "no alerts on up" "$MX" alerts
t_grep list_shows_both '^		X9E956P446	com.crowdstrike.falcon.Agent \(7.10/7.10.18\)	' "$BIN/systemextensionsctl" list
t restart "$MX" restart
t_json after_restart_only_new '[x["bundle_version"] for x in j]' '["7.11.20"]' "$MX" sysext list --json
# a downgrade is a replacement too: only "differ" is checked
t install_v1_again "$MX" app install "$B_DIR/v1/Falcon.app"
t_json downgrade_replaces 'j["plan"]' replace "$MX" sysext activate com.crowdstrike.falcon.App com.crowdstrike.falcon.Agent --json
t_json downgrade_enabled '[x["state"] for x in j if x["bundle_version"]=="7.10.18"]' '["activated_enabled"]' "$MX" sysext list --json

# a network provider keeps running until the restart: willCompleteAfterReboot
t install_n1 "$MX" app install "$B_DIR/n1/Vpn.app"
t activate_n1 "$MX" sysext activate com.example.vpnapp com.example.vpn
t allow_n1 "$MX" approve sysext com.example.vpn --as admin:pw
t install_n2 "$MX" app install "$B_DIR/n2/Vpn.app"
t_json network_upgrade_deferred 'j["result"]' willCompleteAfterReboot "$MX" sysext activate com.example.vpnapp com.example.vpn --json
t_json network_old_still_terminating '[x["state"] for x in j if x["bundle_id"]=="com.example.vpn"]' '["terminating_for_upgrade_via_delegate", "activated_enabled"]' "$MX" sysext list --json
t restart_2 "$MX" restart
t_json network_after_restart '[x["bundle_version"] for x in j if x["bundle_id"]=="com.example.vpn"]' '["2"]' "$MX" sysext list --json
# deactivating a running network provider also completes after the reboot
t_json network_deactivate_deferred 'j["result"]+" "+j["state"]' "willCompleteAfterReboot terminating_for_uninstall_but_still_running" "$MX" sysext deactivate com.example.vpnapp com.example.vpn --as admin:pw --json

# a pending request replaced by a new version: the pending one is dropped, the new one waits
sx_dev pend 14.6
t install_p1 "$MX" app install "$B_DIR/v1/Falcon.app"
t activate_p1 "$MX" sysext activate com.crowdstrike.falcon.App com.crowdstrike.falcon.Agent
t install_p2 "$MX" app install "$B_DIR/v2/Falcon.app"
t_json pending_replaced 'j["plan"]+" "+j["state"]' "replace activated_waiting_for_user" "$MX" sysext activate com.crowdstrike.falcon.App com.crowdstrike.falcon.Agent --json
t_json pending_old_dropped '[x["bundle_version"] for x in j]' '["7.11.20"]' "$MX" sysext list --json

# developer mode (SIP off) asks the delegate even for identical versions
sx_dev dev 14.6 --sip off
t dev_on "$BIN/systemextensionsctl" developer on
t install_d1 "$MX" app install "$B_DIR/v1/Falcon.app"
t activate_d1 "$MX" sysext activate com.crowdstrike.falcon.App com.crowdstrike.falcon.Agent
t allow_d1 "$MX" approve sysext com.crowdstrike.falcon.Agent --as admin:pw
t_json developer_mode_replaces_same 'j["plan"]' replace "$MX" sysext activate com.crowdstrike.falcon.App com.crowdstrike.falcon.Agent --json
t_exit 70 developer_mode_cancel "$MX" sysext activate com.crowdstrike.falcon.App com.crowdstrike.falcon.Agent --on-replace cancel
