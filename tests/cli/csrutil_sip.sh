# csrutil_sip.sh — csrutil's texts and exit codes; changes only in recoveryOS,
# active after the next restart; Intel NVRAM word vs Apple silicon sip0 +
# Permissive; csrutil disable = 0x7F (not CSR_ALLOW_UNAPPROVED_KEXTS).
. "$(dirname "$0")/lib.sh"
CSR="$BIN/csrutil"

t create_intel "$MX" device create i1 --arch x86_64 --os 12.7 --admin a:pw
export MACEXT_DEVICE=i1
t_out intel_status 'System Integrity Protection status: enabled.' "$CSR" status
t_exit 1 intel_disable_macos "$CSR" disable
t_grep intel_disable_macos_text '^csrutil: failed to modify system integrity configuration. This tool needs to be executed from the Recovery OS.$' printf '%s\n' "$ERR"
t_grep intel_refusal_event 'csrutil .*refused: csrutil: failed to modify' "$MX" log
t_json intel_unchanged 'j["sip"]["flags"]' 0 "$MX" device show --json
t rec "$MX" recovery --via software
t_out intel_disable 'Successfully disabled System Integrity Protection. Please restart the machine for the changes to take effect.' "$CSR" disable
t_out intel_not_yet 'System Integrity Protection status: enabled.' "$CSR" status
t restart "$MX" restart
t_out intel_disabled 'System Integrity Protection status: disabled.' "$CSR" status
t_json intel_flags_7f 'j["sip"]["flags"]' 127 "$MX" device show --json
t_json intel_not_unapproved_kexts 'j["sip"]["flags"] & 512' 0 "$MX" device show --json
t rec2 "$MX" recovery --via software
t_out intel_enable_without 'Successfully enabled System Integrity Protection. Please restart the machine for the changes to take effect.' "$CSR" enable --without kext
t restart2 "$MX" restart
t_out intel_custom 'System Integrity Protection status: enabled (Custom Configuration).

Configuration:
    Apple Internal: disabled
    Kext Signing: disabled
    Filesystem Protections: enabled
    Debugging Restrictions: enabled
    DTrace Restrictions: enabled
    NVRAM Protections: enabled
    BaseSystem Verification: enabled

This is an unsupported configuration, likely to break in the future and leave your machine in an unknown state.' "$CSR" status
t rec3 "$MX" recovery --via software
t_out intel_clear 'Successfully cleared System Integrity Protection. Please restart the machine for the changes to take effect.' "$CSR" clear
t restart3 "$MX" restart
t_out intel_clear_active 'System Integrity Protection status: enabled.' "$CSR" status
t_exit 1 bad_without "$CSR" enable --without nothing
t_out auth_root 'Authenticated Root status: enabled' "$CSR" authenticated-root status

# Apple silicon: an owner authenticates; relaxing SIP needs 1TR and means Permissive
t create_as "$MX" device create m1 --arch arm64 --os 14.5 --admin alice:pw --user bob:pw2
export MACEXT_DEVICE=m1
t_exit 1 as_macos "$CSR" disable --as alice:pw
t as_soft "$MX" recovery --via software
t_exit 1 as_soft_refused "$CSR" disable --as alice:pw
t_grep as_soft_text 'Secure Enclave did not accept' printf '%s\n' "$ERR"
t_json as_soft_unchanged '[j["smb0"], j["sip0"]]' '[false, null]' "$BIN/bputil" -j
t restart_as "$MX" restart
t as_1tr "$MX" recovery --via power-button
t_exit 1 as_standard_user "$CSR" disable --as bob:pw2
t_exit 1 as_wrong_password "$CSR" disable --as alice:nope
t_json as_refusals_unchanged '[j["smb0"], j["sip0"]]' '[false, null]' "$BIN/bputil" -j
# the prompts, answered on stdin
_run sh -c "printf 'y\nalice\npw\n' | '$CSR' disable"
check as_prompt_rc [ "$RC" -eq 0 ]
check as_prompt_confirm sh -c "printf '%s' \"\$0\" | grep -q 'Allow booting unsigned operating systems and any kernel extensions for OS \"Macintosh HD\"? \[y/n\]'" "$OUT"
check as_prompt_done sh -c "printf '%s' \"\$0\" | grep -q 'System Integrity Protection is off.'" "$OUT"
t_json as_permissive '[j["smb0"], j["smb1"], j["sip0"]]' '[true, true, 127]' "$BIN/bputil" -j
t_json as_device_policy 'j["security"]["policy"]' permissive "$MX" device show --json
t_out as_not_yet 'System Integrity Protection status: enabled.' "$CSR" status
t restart_as2 "$MX" restart
t_out as_disabled 'System Integrity Protection status: disabled.' "$CSR" status
t_grep as_bputil_permissive 'Security Mode: +Permissive \(smb0 && smb1\): 1' "$BIN/bputil" -d
# SIP off does not open the kext gate (reference §4.6)
t_json as_sip_off_gate_closed 'j["third_party_kexts_user"]' false "$MX" security show --json
t as_1tr2 "$MX" recovery --via power-button
t_out as_enable 'System Integrity Protection is on.
Restart the machine for the changes to take effect.' "$CSR" enable --as alice:pw
t restart_as3 "$MX" restart
t_out as_enabled 'System Integrity Protection status: enabled.' "$CSR" status

# authenticated-root: recoveryOS only; on Apple silicon disabling the SSV is 1TR + Permissive
t_exit 1 ar_macos "$CSR" authenticated-root disable --as alice:pw
t ar_soft "$MX" recovery --via software
t_exit 1 ar_soft_refused "$CSR" authenticated-root disable --as alice:pw
t_out ar_still_enabled 'Authenticated Root status: enabled' "$CSR" authenticated-root status
t ar_restart "$MX" restart
t ar_1tr "$MX" recovery --via power-button
t ar_disable "$CSR" authenticated-root disable --as alice:pw
t_out ar_disabled 'Authenticated Root status: disabled' "$CSR" authenticated-root status
t_grep ar_sip1 'Signed System Volume Status: +Disabled +\(sip1\): 1' "$BIN/bputil" -d
t ar_enable "$CSR" authenticated-root enable --as alice:pw
t_out ar_enabled 'Authenticated Root status: enabled' "$CSR" authenticated-root status
t ar_restart2 "$MX" restart
export MACEXT_DEVICE=i1
t ar_intel_rec "$MX" recovery --via software
t_out ar_intel_disable 'Successfully disabled Authenticated Root. Please restart the machine for the changes to take effect.' "$CSR" authenticated-root disable
t ar_intel_restart "$MX" restart
t_out ar_intel_status 'Authenticated Root status: disabled' "$CSR" authenticated-root status
t_json ar_intel_bit11 'j["sip"]["flags"] & 2048' 2048 "$MX" device show --json
