# sysext_seed.sh — one scenario per sentence of the seed's first four
# paragraphs (system extensions), on each macOS version where the behaviour
# differs, with the vendors' real profiles and forged bundles of their
# identities (Santa ZMCG7MLDV9 / EQHXZ8M8AV, CrowdStrike X9E956P446,
# SentinelOne 4AYE5J54KN).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sysext.inc"
need_testdata seed || exit 0
P=$TESTDATA/profiles
NPS=$P/northpolesec__system-extension-policy.santa.example.mobileconfig
NPS_ID=com.northpolesec.santa.system-extension-policy.40C19D5B-76D7-4C1C-BC9D-2F7EB29CFF4D
sx_ca

# the identities
sx_ext nps/com.northpolesec.santa.daemon.systemextension com.northpolesec.santa.daemon ZMCG7MLDV9 endpoint-security \
  --executable santad --team-name "North Pole Security, Inc." --version 2024.10.49 --short-version 2024.10
sx_app Santa.app com.northpolesec.santa ZMCG7MLDV9 nps/com.northpolesec.santa.daemon.systemextension
sx_ext g/com.google.santa.daemon.systemextension com.google.santa.daemon EQHXZ8M8AV endpoint-security \
  --executable com.google.santa.daemon --team-name "Google LLC" --version 2022.1
sx_app GSanta.app com.google.santa EQHXZ8M8AV g/com.google.santa.daemon.systemextension
sx_ext s1/com.sentinelone.network-monitoring.systemextension com.sentinelone.network-monitoring 4AYE5J54KN network --team-name "SentinelOne Inc."
sx_ext s1/com.sentinelone.endpoint-security.systemextension com.sentinelone.endpoint-security 4AYE5J54KN endpoint-security --team-name "SentinelOne Inc."
sx_app SentinelOne.app com.sentinelone.sentinel-extensions 4AYE5J54KN s1/com.sentinelone.network-monitoring.systemextension s1/com.sentinelone.endpoint-security.systemextension
sx_ext csnet/com.crowdstrike.falcon.Agent.systemextension com.crowdstrike.falcon.Agent X9E956P446 network --team-name "CrowdStrike Inc."
sx_app Falcon.app com.crowdstrike.falcon.App X9E956P446 csnet/com.crowdstrike.falcon.Agent.systemextension
sx_ext csdrv/com.crowdstrike.falcon.Agent.dext com.crowdstrike.falcon.Agent X9E956P446 dext --team-name "CrowdStrike Inc."
sx_app FalconDrv.app com.crowdstrike.falcon.App X9E956P446 csdrv/com.crowdstrike.falcon.Agent.dext

# ---- ¶1 s1: "macOS 10.15 or later enables developers to extend the capabilities of macOS by
# installing and managing system extensions that run in user space rather than at the kernel level."
sx_dev cat 10.15.7 --arch x86_64
t p1s1_install_app "$MX" app install "$B_DIR/Santa.app"
t_grep p1s1_request_needs_user 'needs user approval' "$MX" sysext activate com.northpolesec.santa com.northpolesec.santa.daemon
t p1s1_admin_allows "$MX" approve sysext com.northpolesec.santa.daemon --as admin:pw
check_eq p1s1_enabled_on_10_15 "$(sx_state com.northpolesec.santa.daemon)" activated_enabled
# user space: a staged bundle under /Library/SystemExtensions run by sysextd, not a kext
t_json p1s1_staged_in_user_space 'j[0]["staged_path"].startswith("/Library/SystemExtensions/"+j[0]["unique_id"]+"/com.northpolesec.santa.daemon.systemextension")' true "$MX" sysext list --json
t_json p1s1_category_not_kernel 'j[0]["category"]' com.apple.system_extension.endpoint_security "$MX" sysext list --json

# ---- ¶1 s2: "By running in user space, system extensions increase the stability and security of macOS."
# A failing extension is refused in user space and leaves the Mac as it was: no record, no file.
sx_ext bad/com.example.bad.systemextension com.example.bad AAAAAAAAAA endpoint-security --tamper
sx_app Bad.app com.example.badapp AAAAAAAAAA bad/com.example.bad.systemextension
t p1s2_install_bad "$MX" app install "$B_DIR/Bad.app"
t_exit 69 p1s2_tampered_refused "$MX" sysext activate com.example.badapp com.example.bad
check_eq p1s2_nothing_staged "$(sx_count)" 1

# ---- ¶1 s3: "Even though kexts inherently have full access to the entire operating system,
# extensions running in user space are granted only the privileges necessary to perform their
# specified function."
t_json p1s3_granted_entitlements_recorded 'sorted(j[0]["entitlements"])' '["com.apple.application-identifier", "com.apple.developer.endpoint-security.client", "com.apple.developer.team-identifier"]' "$MX" sysext list --json
sx_ext greedy/com.example.greedy.systemextension com.example.greedy BBBBBBBBBB endpoint-security \
  --entitlement com.apple.developer.networking.networkextension=content-filter-provider-systemextension
sx_app Greedy.app com.example.greedyapp BBBBBBBBBB greedy/com.example.greedy.systemextension
t p1s3_install_greedy "$MX" app install "$B_DIR/Greedy.app"
t_grep p1s3_more_than_category_refused 'error 9 \(validationFailed\).*exceeds' "$MX" sysext activate com.example.greedyapp com.example.greedy
check_eq p1s3_greedy_not_recorded "$(sx_state com.example.greedy)" none

# ---- ¶2 s1: "System extensions support robust management using MDM, including the ability to
# allow all extensions from a specific developer or of a specific type (like network extensions)
# to load without user interaction."
sx_dev s1mac 14.6
sx_enroll
t p2s1_sentinelone_profile "$MX" mdm install-profile "$P/kandji__Sentinel-One-Combined-Profile.mobileconfig"
t p2s1_install_s1 "$MX" app install "$B_DIR/SentinelOne.app"
t_grep p2s1_team_network_no_prompt ': completed \(activated_enabled\)' "$MX" sysext activate com.sentinelone.sentinel-extensions com.sentinelone.network-monitoring
t_grep p2s1_team_es_no_prompt ': completed \(activated_enabled\)' "$MX" sysext activate com.sentinelone.sentinel-extensions com.sentinelone.endpoint-security
t_out p2s1_no_dialog "no alerts on s1mac" "$MX" alerts
t_json p2s1_approved_by_mdm '[x["approval"] for x in j]' '["mdm", "mdm"]' "$MX" sysext list --json
sx_dev csmac 14.6
sx_enroll
t p2s1_crowdstrike_profile "$MX" mdm install-profile "$P/kandji__crowdstrike_settings.mobileconfig"
t p2s1_install_falcon "$MX" app install "$B_DIR/Falcon.app"
t_grep p2s1_type_network_allowed ': completed \(activated_enabled\)' "$MX" sysext activate com.crowdstrike.falcon.App com.crowdstrike.falcon.Agent
sx_dev csdrv 14.6
sx_enroll
t p2s1_crowdstrike_profile_2 "$MX" mdm install-profile "$P/kandji__crowdstrike_settings.mobileconfig"
t p2s1_install_falcon_driver "$MX" app install "$B_DIR/FalconDrv.app"
t_grep p2s1_type_not_listed_waits 'needs user approval' "$MX" sysext activate com.crowdstrike.falcon.App com.crowdstrike.falcon.Agent
t_grep p2s1_type_not_listed_dialog 'System Extension Blocked' "$MX" alerts

# ---- ¶2 s2: "Optionally, MDM can disallow users from approving their own system extensions from loading."
sx_dev locked 14.6
sx_enroll
sx_profile "$TMP/nooverride.mobileconfig" com.example.sx.nooverride \
  '<key>AllowUserOverrides</key><false/><key>AllowedTeamIdentifiers</key><array><string>4AYE5J54KN</string></array>'
t p2s2_profile "$MX" mdm install-profile "$TMP/nooverride.mobileconfig"
t p2s2_install_google_santa "$MX" app install "$B_DIR/GSanta.app"
t_grep p2s2_request_waits 'MDM forbids' "$MX" sysext activate com.google.santa com.google.santa.daemon
t_out p2s2_no_allow_dialog "no alerts on locked" "$MX" alerts
t_exit 77 p2s2_admin_cannot_allow "$MX" approve sysext com.google.santa.daemon --as admin:pw
check_eq p2s2_still_waiting "$(sx_state com.google.santa.daemon)" activated_waiting_for_user
t_grep p2s2_refusal_is_an_event 'approve system extension com.google.santa.daemon.*refused.*AllowUserOverrides' "$MX" log
t p2s2_listed_team_still_loads "$MX" app install "$B_DIR/SentinelOne.app"
t_grep p2s2_listed_team_enabled ': completed' "$MX" sysext activate com.sentinelone.sentinel-extensions com.sentinelone.endpoint-security

# ---- ¶3 s1+s2: "In macOS 11.3 through macOS 11.6.4, making changes to a system extension profile
# directly affects the state of an extension. For example, if an extension is pending approval and
# a configuration profile is pushed that allows the extension, the extension is allowed to load."
for os in 11.4 11.6.4; do
  n=$(echo "$os" | tr . _)
  sx_dev "m$n" "$os"
  sx_enroll
  t "p3_${n}_install" "$MX" app install "$B_DIR/Santa.app"
  t_grep "p3_${n}_pending" 'needs user approval' "$MX" sysext activate com.northpolesec.santa com.northpolesec.santa.daemon
  t "p3_${n}_push_allowing_profile" "$MX" mdm install-profile "$NPS"
  check_eq "p3_${n}_pending_now_loads" "$(sx_state com.northpolesec.santa.daemon)" activated_enabled
  t_out "p3_${n}_dialog_withdrawn" "no alerts on m$n" "$MX" alerts
  # ¶3 s3: "Conversely, if an approval is revoked, the system extension is unloaded and marked
  # for removal on the next restart of the Mac."
  t "p3_${n}_revoke" "$MX" mdm remove-profile "$NPS_ID"
  check_eq "p3_${n}_unloaded" "$("$MX" sysext list --json | python3 -c 'import json,sys;print(json.load(sys.stdin)[0]["state"])')" terminated_waiting_to_uninstall_on_reboot
  t_json "p3_${n}_marked_restart" 'j["restart_pending"]' true "$MX" device show --json
  t "p3_${n}_restart" "$MX" restart
  check_eq "p3_${n}_removed_on_restart" "$(sx_count)" 0
done
# before 11.3 a profile only affects later requests
sx_dev m11_2 11.2
sx_enroll
t p3_11_2_install "$MX" app install "$B_DIR/Santa.app"
t_grep p3_11_2_pending 'needs user approval' "$MX" sysext activate com.northpolesec.santa com.northpolesec.santa.daemon
t p3_11_2_push_profile "$MX" mdm install-profile "$NPS"
check_eq p3_11_2_profile_does_not_change_state "$(sx_state com.northpolesec.santa.daemon)" activated_waiting_for_user
t_grep p3_11_2_later_request_allowed ': completed \(activated_enabled\)' "$MX" sysext activate com.northpolesec.santa com.northpolesec.santa.daemon
t_grep p3_11_2_superseded_pending 'superseded: OSSystemExtensionErrorDomain error 12' "$MX" log
t p3_11_2_remove_profile "$MX" mdm remove-profile "$NPS_ID"
check_eq p3_11_2_removal_keeps_it "$(sx_state com.northpolesec.santa.daemon)" activated_enabled
# after 11.6.4 (Q3, docs/sysext.md): the rule continues
sx_dev m15 15.1
sx_enroll
t p3_15_install "$MX" app install "$B_DIR/Santa.app"
t_grep p3_15_pending 'needs user approval' "$MX" sysext activate com.northpolesec.santa com.northpolesec.santa.daemon
t p3_15_push_profile "$MX" mdm install-profile "$NPS"
check_eq p3_15_profile_enables "$(sx_state com.northpolesec.santa.daemon)" activated_enabled
t p3_15_revoke "$MX" mdm remove-profile "$NPS_ID"
t_grep p3_15_revoked_unloaded 'terminated waiting to uninstall on reboot' "$BIN/systemextensionsctl" list
# a user's approval is not a profile's: removing a profile leaves a user-approved extension (SOTI, §1.7)
sx_dev m11_5 11.5
sx_enroll
t p3_user_install "$MX" app install "$B_DIR/Santa.app"
t p3_user_request "$MX" sysext activate com.northpolesec.santa com.northpolesec.santa.daemon
t p3_user_allows "$MX" approve sysext com.northpolesec.santa.daemon --as admin:pw
t p3_user_profile_in "$MX" mdm install-profile "$NPS"
t p3_user_profile_out "$MX" mdm remove-profile "$NPS_ID"
check_eq p3_user_approval_stays "$(sx_state com.northpolesec.santa.daemon)" activated_enabled

# ---- ¶3 s4: "If a system extension tries to unload itself, an interactive authentication dialogue
# appears that requires administrator credentials to authorise the unloading."
export MACEXT_DEVICE=m11_5
t_exit 77 p3s4_unload_needs_admin "$MX" sysext deactivate com.northpolesec.santa com.northpolesec.santa.daemon
t_grep p3s4_dialog_shown 'wants to remove a system extension' "$MX" alerts
t_grep p3s4_headless_error_13 'error 13 \(authorizationRequired\)' "$MX" sysext deactivate com.northpolesec.santa com.northpolesec.santa.daemon
t_exit 77 p3s4_standard_user_refused "$MX" sysext deactivate com.northpolesec.santa com.northpolesec.santa.daemon --as bob:pw
t_exit 77 p3s4_wrong_password_refused "$MX" sysext deactivate com.northpolesec.santa com.northpolesec.santa.daemon --as admin:nope
check_eq p3s4_refusals_change_nothing "$(sx_state com.northpolesec.santa.daemon)" activated_enabled
t_grep p3s4_refusal_event 'deactivation request for com.northpolesec.santa.daemon from com.northpolesec.santa failed.*wrong password' last_event
t_grep p3s4_admin_authorises 'completed \(terminated_waiting_to_uninstall_on_reboot\)' "$MX" sysext deactivate com.northpolesec.santa com.northpolesec.santa.daemon --as admin:pw
t_out p3s4_dialog_gone "no alerts on m11_5" "$MX" alerts

# ---- ¶4 s1+s2: "In macOS 12.0.1 or later, a dictionary in the System Extensions payload — called
# RemovableSystemExtensions — allows an MDM administrator to specify which apps should be able to
# remove their own system extensions. No local administrator authentication is required to remove
# the system extensions."
sx_profile "$TMP/removable.mobileconfig" com.example.sx.removable \
  '<key>AllowedSystemExtensions</key><dict><key>ZMCG7MLDV9</key><array><string>com.northpolesec.santa.daemon</string></array></dict><key>RemovableSystemExtensions</key><dict><key>ZMCG7MLDV9</key><array><string>com.northpolesec.santa.daemon</string></array></dict>'
for os in 11.6.4 12.0 12.0.1 15.1; do
  n=r$(echo "$os" | tr . _)
  sx_dev "$n" "$os"
  sx_enroll
  t "p4_${n}_profile" "$MX" mdm install-profile "$TMP/removable.mobileconfig"
  t "p4_${n}_install" "$MX" app install "$B_DIR/Santa.app"
  t_grep "p4_${n}_loads_without_prompt" ': completed' "$MX" sysext activate com.northpolesec.santa com.northpolesec.santa.daemon
  case $os in
  12.0.1|15.1)
    t_grep "p4_${n}_removes_itself_without_admin" 'completed.*RemovableSystemExtensions' "$MX" sysext deactivate com.northpolesec.santa com.northpolesec.santa.daemon
    t_grep "p4_${n}_no_admin_dialog" '^no alerts' "$MX" alerts ;;
  *)
    t_exit 77 "p4_${n}_key_not_read_before_12_0_1" "$MX" sysext deactivate com.northpolesec.santa com.northpolesec.santa.daemon ;;
  esac
done
# ¶4 s3: "This is especially useful for vendors that may provide automated uninstallers for their
# apps." — a scripted uninstall (no one at the keyboard) completes, then the app goes.
export MACEXT_DEVICE=r12_0_1
t p4s3_reinstall "$MX" restart
t p4s3_reactivate "$MX" sysext activate com.northpolesec.santa com.northpolesec.santa.daemon
t_grep p4s3_headless_uninstaller ': completed' "$MX" sysext deactivate com.northpolesec.santa com.northpolesec.santa.daemon
t p4s3_app_removed "$MX" app delete com.northpolesec.santa
t p4s3_restart "$MX" restart
check_eq p4s3_nothing_left "$(sx_count)" 0
