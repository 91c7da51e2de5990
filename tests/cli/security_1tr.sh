# security_1tr.sh — Startup Security Utility on Apple silicon (seed: "Only when
# recoveryOS is entered using the power button press will the Secure Enclave
# accept the change of policy"): refusals from macOS, from software-launched
# recoveryOS, by a standard user, with a wrong password leave only an event;
# 1TR + administrator changes the signed LocalPolicy.
. "$(dirname "$0")/lib.sh"

t create "$MX" device create m1 --arch arm64 --os 14.5 --admin alice:secret --user bob:pw
lp() { "$BIN/bputil" -j; }
events() { "$MX" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

t_json starts_full 'j["security"]["policy"]' full "$MX" device show --json
t_json gate_closed 'j["third_party_kexts_user"]' false "$MX" security show --json
t_grep gate_text 'press and hold the power button.*Allow user management of kernel extensions from identified developers' "$MX" security show
LP0=$(lp); E0=$(events)

# from macOS: Startup Security Utility is not there
t_exit 70 from_macos "$MX" security set reduced --kext-user-management --as alice:secret
t_grep from_macos_text 'only in recoveryOS' printf '%s\n' "$ERR"
check from_macos_no_change [ "$(lp)" = "$LP0" ]
check from_macos_event [ "$(events)" -eq $((E0 + 1)) ]
t_grep from_macos_event_text 'refused: Startup Security Utility is available only in recoveryOS' "$MX" log

# software-launched recoveryOS: the Secure Enclave refuses kext management
t soft_recovery "$MX" recovery --via software
E1=$(events)
t_exit 77 soft_refused "$MX" security set reduced --kext-user-management --as alice:secret
t_grep soft_refused_text 'Secure Enclave did not accept.*pressing and holding the power button' printf '%s\n' "$ERR"
check soft_no_change [ "$(lp)" = "$LP0" ]
check soft_event [ "$(events)" -eq $((E1 + 1)) ]
t_exit 77 soft_remote_refused "$MX" security set reduced --kext-remote-management --as alice:secret
check soft_remote_no_change [ "$(lp)" = "$LP0" ]
# ... but Reduced without kexts is accepted there (reference §7 item 6)
t soft_reduced_ok "$MX" security set reduced --as alice:secret
t_json soft_reduced_policy 'j["security"]["policy"]' reduced "$MX" device show --json
t_json soft_reduced_no_kexts 'j["security"]["kext_user_management"]' false "$MX" device show --json
t_json soft_reduced_gate 'j["third_party_kexts_user"]' false "$MX" security show --json
t back_full_soft "$MX" security set full --as alice:secret
LP1=$(lp)
t restart1 "$MX" restart

# 1TR: standard user and wrong password refused, with an event each
t power_button "$MX" recovery --via power-button
t_json env_1tr 'j["recovery_entry"]' power-button "$MX" device show --json
E2=$(events)
t_exit 77 standard_user "$MX" security set reduced --kext-user-management --as bob:pw
t_grep standard_user_text "not an administrator" printf '%s\n' "$ERR"
t_exit 77 wrong_password "$MX" security set reduced --kext-user-management --as alice:nope
t_exit 77 no_credentials "$MX" security set reduced --kext-user-management
check refusals_no_change [ "$(lp)" = "$LP1" ]
check refusals_events [ "$(events)" -eq $((E2 + 3)) ]
t_grep wrong_password_event 'alice .*refused: authentication failed' "$MX" log
# Permissive is not offered by the utility
t_exit 66 ssu_no_permissive "$MX" security set permissive --as alice:secret
# remote management needs an MDM enrolment
t_exit 66 remote_not_enrolled "$MX" security set reduced --kext-remote-management --as alice:secret
check still_no_change [ "$(lp)" = "$LP1" ]

# accepted: Reduced + user management, signed by the SEP
t_out accepted 'Security policy of "Macintosh HD" set to Reduced Security, "Allow user management of kernel extensions from identified developers".
Restart your Mac for the change to take effect.' "$MX" security set reduced --kext-user-management --as alice:secret
t_json policy_reduced 'j["security"]["policy"]' reduced "$MX" device show --json
t_json kext_user_true 'j["security"]["kext_user_management"]' true "$MX" device show --json
t_json lp_smb0 '[j["smb0"], j["smb1"], j["smb2"], j["smb3"], j["valid"]]' '[true, false, true, false, true]' "$BIN/bputil" -j
t_json gate_open 'j["third_party_kexts_user"]' true "$MX" security show --json
t_grep accepted_event 'alice .*security policy: Reduced Security, "Allow user management.*recoveryOS \(power button\)' "$MX" log
t_json securityinfo_reduced 'j["SecureBoot"]' '{"SecureBootLevel": "medium", "ReducedSecurity": ["AllowsUserKextApproval"]}' "$MX" security show --json
t restart2 "$MX" restart
t_json survives_restart '[j["policy"], j["kext_user_management"], j["localpolicy"]["valid"]]' '["reduced", true, true]' "$MX" security show --json

# back to Full: the options disappear (reference §4.5 step 5)
t power_button2 "$MX" recovery --via power-button
t full_again "$MX" security set full --as alice:secret
t_json full_clears '[j["smb0"], j["smb2"]]' '[false, false]' "$BIN/bputil" -j
t_json full_gate_closed 'j["third_party_kexts_user"]' false "$MX" security show --json

# Intel has no such policy
t create_intel "$MX" device create i1 --arch x86_64 --os 12.7 --admin a:b
t recovery_intel "$MX" --device i1 recovery --via power-button
t_exit 70 intel_refused "$MX" --device i1 security set reduced --as a:b
t_json intel_gate_open 'j["third_party_kexts_user"]' true "$MX" --device i1 security show --json
