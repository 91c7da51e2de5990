# sysext_ctl.sh — systemextensionsctl as on macOS (system-extensions.md §3.5,
# §5): the exact `list` grammar (count, "---" headers with the macOS 15
# "(Go to ...)" clause, tab-separated columns, "*" markers, (short/bundle),
# [state with spaces]), `list <category>`, and developer / reset / uninstall
# refused while SIP is on with the exact three lines (exit 0), before their
# arguments are even looked at; gc.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sysext.inc"
sx_ca
CTL="$BIN/systemextensionsctl"
SIP_TEXT='At this time, this tool cannot be used if System Integrity Protection is enabled.
This limitation will be removed in the near future.
Please remember to re-enable System Integrity Protection!'

sx_ext a/com.northpolesec.santa.daemon.systemextension com.northpolesec.santa.daemon ZMCG7MLDV9 endpoint-security \
  --executable santad --version 2024.10.49 --short-version 2024.10
sx_ext a/com.example.filter.systemextension com.example.filter BBBBBBBBBB network --executable filterd --version 12 --short-version 1.2
sx_app Santa.app com.northpolesec.santa ZMCG7MLDV9 a/com.northpolesec.santa.daemon.systemextension
sx_app Filter.app com.example.filterapp BBBBBBBBBB a/com.example.filter.systemextension

for os in 14.6 15.1; do
  n=l$(echo "$os" | tr . _)
  sx_dev "$n" "$os"
  t_out "${n}_empty" "0 extension(s)" "$CTL" list
  t "${n}_install_santa" "$MX" app install "$B_DIR/Santa.app"
  t "${n}_install_filter" "$MX" app install "$B_DIR/Filter.app"
  t "${n}_activate_santa" "$MX" sysext activate com.northpolesec.santa com.northpolesec.santa.daemon
  t "${n}_allow_santa" "$MX" approve sysext com.northpolesec.santa.daemon --as admin:pw
  t "${n}_activate_filter" "$MX" sysext activate com.example.filterapp com.example.filter
  if [ "$os" = 15.1 ]; then
    ES_H="--- com.apple.system_extension.endpoint_security (Go to 'System Settings > General > Login Items & Extensions > Endpoint Security Extensions' to modify these system extension(s))"
    NE_H="--- com.apple.system_extension.network_extension (Go to 'System Settings > General > Login Items & Extensions > Network Extensions' to modify these system extension(s))"
  else
    ES_H="--- com.apple.system_extension.endpoint_security"
    NE_H="--- com.apple.system_extension.network_extension"
  fi
  want=$(printf '2 extension(s)\n%s\nenabled\tactive\tteamID\tbundleID (version)\tname\t[state]\n*\t*\tZMCG7MLDV9\tcom.northpolesec.santa.daemon (2024.10/2024.10.49)\tsantad\t[activated enabled]\n%s\nenabled\tactive\tteamID\tbundleID (version)\tname\t[state]\n\t*\tBBBBBBBBBB\tcom.example.filter (1.2/12)\tfilterd\t[activated waiting for user]' "$ES_H" "$NE_H")
  t_out "${n}_list_exact" "$want" "$CTL" list
  want=$(printf 'Category: com.apple.system_extension.network_extension\n1 extension(s)\n%s\nenabled\tactive\tteamID\tbundleID (version)\tname\t[state]\n\t*\tBBBBBBBBBB\tcom.example.filter (1.2/12)\tfilterd\t[activated waiting for user]' "$NE_H")
  t_out "${n}_list_category" "$want" "$CTL" list com.apple.system_extension.network_extension
  t_out "${n}_list_other_category" "$(printf 'Category: com.apple.system_extension.driver_extension\n0 extension(s)')" "$CTL" list com.apple.system_extension.driver_extension
done
# a terminated record precedes the active one within its category
export MACEXT_DEVICE=l15_1
t deactivate_santa "$MX" sysext deactivate com.northpolesec.santa com.northpolesec.santa.daemon --as admin:pw
t_grep terminated_row_no_markers "$(printf '^\t\tZMCG7MLDV9\tcom.northpolesec.santa.daemon \\(2024.10/2024.10.49\\)\tsantad\t\\[terminated waiting to uninstall on reboot\\]$')" "$CTL" list
t_grep macext_name_works_too '^2 extension\(s\)$' "$MX" systemextensionsctl list

# SIP on: the three lines, exit 0, nothing changed — even with bad or missing arguments
t_out sip_developer "$SIP_TEXT" "$CTL" developer
t_out sip_developer_on "$SIP_TEXT" "$CTL" developer on
t_out sip_reset "$SIP_TEXT" "$CTL" reset
t_out sip_uninstall "$SIP_TEXT" "$CTL" uninstall ZMCG7MLDV9 com.northpolesec.santa.daemon
t_out sip_uninstall_one_arg "$SIP_TEXT" "$CTL" uninstall ZMCG7MLDV9
check_eq sip_nothing_changed "$(sx_count)" 2
t_exit 64 usage "$CTL" frobnicate
t_grep usage_text '^systemextensionsctl: usage:' "$CTL"

# SIP off: developer mode, reset, uninstall
sx_dev open 15.1 --sip off
t_out developer_status_off "Developer mode is off" "$CTL" developer
t_exit 70 outside_applications_refused "$MX" sysext activate "$B_DIR/Santa.app" com.northpolesec.santa.daemon
t_out developer_on "Developer mode is on" "$CTL" developer on
t_out developer_status_on "Developer mode is on" "$CTL" developer
t_grep developer_mode_runs_from_anywhere 'needs user approval' "$MX" sysext activate "$B_DIR/Santa.app" com.northpolesec.santa.daemon
t install_filter_open "$MX" app install "$B_DIR/Filter.app"
t activate_filter_open "$MX" sysext activate com.example.filterapp com.example.filter
t_exit 64 uninstall_needs_two_args "$CTL" uninstall BBBBBBBBBB
t uninstall_one "$CTL" uninstall BBBBBBBBBB com.example.filter
t_json uninstalled_gone '[x["bundle_id"] for x in j]' '["com.northpolesec.santa.daemon"]' "$MX" sysext list --json
t_exit 67 uninstall_unknown "$CTL" uninstall BBBBBBBBBB com.example.filter
t reset "$CTL" reset
check_eq reset_clears_all "$(sx_count)" 0
t_out reset_withdraws_dialogs "no alerts on open" "$MX" alerts
t_out developer_survives_reset "Developer mode is on" "$CTL" developer
t_out developer_off "Developer mode is off" "$CTL" developer off
t_exit 70 developer_off_enforces_location "$MX" sysext activate "$B_DIR/Santa.app" com.northpolesec.santa.daemon
t_grep reset_logged 'all system extension state reset' "$MX" log

# gc: a pending record whose app is gone (deleted outside Finder) is cleaned; a terminated one waits for the reboot
sx_dev gcmac 15.1
t gc_install "$MX" app install "$B_DIR/Santa.app"
t gc_install_filter "$MX" app install "$B_DIR/Filter.app"
t gc_activate "$MX" sysext activate com.northpolesec.santa com.northpolesec.santa.daemon
t gc_allow "$MX" approve sysext com.northpolesec.santa.daemon --as admin:pw
t gc_deactivate "$MX" sysext deactivate com.northpolesec.santa com.northpolesec.santa.daemon --as admin:pw
t gc_activate_filter "$MX" sysext activate com.example.filterapp com.example.filter
t_out gc_nothing_orphaned "" "$CTL" gc
t gc_delete_filter_app "$MX" app delete com.example.filterapp
t_json gc_app_delete_dropped_pending '[x["bundle_id"] for x in j]' '["com.northpolesec.santa.daemon"]' "$MX" sysext list --json
t_out gc_keeps_terminated "" "$CTL" gc
check_eq gc_terminated_stays "$(sx_state com.northpolesec.santa.daemon)" terminated_waiting_to_uninstall_on_reboot
