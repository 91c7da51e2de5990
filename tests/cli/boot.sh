# boot.sh — restart, shutdown, recoveryOS entry and the boot session UUID.
. "$(dirname "$0")/lib.sh"

t create "$MX" device create mac --arch arm64 --os 15.1 --admin admin:pw
S1=$("$MX" device show --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["boot_session"])')
t restart "$MX" restart
t_json new_boot_session 'j["boot_session"] != "'"$S1"'"' true "$MX" device show --json
t_json boot_count 'j["boot_count"]' 2 "$MX" device show --json
t recovery_power_button "$MX" recovery --via power-button
t_json env_recovery 'j["environment"]' recovery "$MX" device show --json
t_json entry_power_button 'j["recovery_entry"]' power-button "$MX" device show --json
t_exit 70 already_in_recovery "$MX" recovery --via software
t_exit 70 no_mdm_in_recovery "$MX" mdm enroll --method device --user-approved
t restart_from_recovery "$MX" restart
t_json back_in_macos 'j["environment"]+"/"+str(j["recovery_entry"])' macos/None "$MX" device show --json
t recovery_software "$MX" recovery --via software
t_json entry_software 'j["recovery_entry"]' software "$MX" device show --json
t restart_again "$MX" restart
t shutdown "$MX" shutdown
t_json env_off 'j["environment"]' off "$MX" device show --json
t_exit 70 shutdown_twice "$MX" shutdown
t boot_from_off "$MX" restart
t_json env_macos 'j["environment"]' macos "$MX" device show --json
t_exit 64 bad_via "$MX" recovery --via keyboard
t_exit 77 restart_wrong_password "$MX" restart --as admin:wrong
t_grep refusal_logged 'refused: authentication failed' "$MX" log
t_grep restarts_logged 'restarted from recoveryOS' "$MX" log
