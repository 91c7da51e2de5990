# bputil_spctl.sh — bputil display and options by boot environment, the
# LocalPolicy's SEP signature (tampered or replayed records fail), and
# spctl kext-consent (recoveryOS-only changes, NVRAM state).
. "$(dirname "$0")/lib.sh"
BP="$BIN/bputil"

t create "$MX" device create m1 --arch arm64 --os 14.5 --admin alice:pw
t_grep display_full 'Security Mode: +Full +\(smb0\): absent' "$BP" -d
t_grep display_kexts '3rd Party Kexts Status: +Disabled +\(smb2\): absent' "$BP" -d
t_grep display_sig 'Signature Verification +: Valid' "$BP" -d
t_exit 1 usage_no_option "$BP"
t_exit 1 f_with_k "$BP" -f -k -u alice -p pw
# -k from macOS / software recoveryOS: refused by the SEP
t_exit 1 k_from_macos "$BP" -k -u alice -p pw
t rec_soft "$MX" recovery --via software
t_exit 1 k_soft "$BP" -k -u alice -p pw
t_grep k_soft_text 'Secure Enclave did not accept' printf '%s\n' "$ERR"
t g_soft "$BP" -g -u alice -p pw
t_grep g_soft_reduced 'Security Mode: +Reduced +\(smb0\): 1' "$BP" -d
t restart "$MX" restart
t f_from_macos "$BP" -f -u alice -p pw
t_json f_full '[j["smb0"], j["valid"]]' '[false, true]' "$BP" -j
t rec_1tr "$MX" recovery --via power-button
t_exit 1 k_wrong_pw "$BP" -k -u alice -p nope
t k_1tr "$BP" -k -u alice -p pw
t_json k_flags '[j["smb0"], j["smb2"], j["level"]]' '[true, true, "reduced"]' "$BP" -j
t_grep k_display '3rd Party Kexts Status: +Enabled +\(smb2\): 1' "$BP" -d

# tampering: the stored record edited without the SEP key
DB="$MACEXT_STATE/macext.db"
GOOD=$(sqlite3 "$DB" "SELECT value FROM kv WHERE key='boot.lp'")
# flip smb2 off by removing nothing but changing one signed byte (the nonce)
BAD=$(printf '%s' "$GOOD" | python3 -c 'import sys; h=sys.stdin.read(); b=bytearray.fromhex(h); i=b.find(b"lpnh")+8+7; b[i]^=1; print(b.hex())')
sqlite3 "$DB" "UPDATE kv SET value='$BAD' WHERE key='boot.lp'"
t_grep tampered_display 'Signature Verification +: Invalid' "$BP" -d
t_json tampered_gate '[j["localpolicy"]["valid"], j["third_party_kexts_user"]]' '[false, false]' "$MX" security show --json
t restart_tampered "$MX" restart
t_grep tampered_boot_event 'iboot .*LocalPolicy failed verification' "$MX" log
# replay: an older, validly signed record is refused by the SEP's nonce
t rec_again "$MX" recovery --via power-button
t reset_policy "$MX" security set reduced --kext-user-management --as alice:pw
t_json reset_valid 'j["valid"]' true "$BP" -j
OLD=$(sqlite3 "$DB" "SELECT value FROM kv WHERE key='boot.lp'")
t full2 "$MX" security set full --as alice:pw
sqlite3 "$DB" "UPDATE kv SET value='$OLD' WHERE key='boot.lp'"
t_json replay_invalid '[j["valid"], j["smb2"]]' '[false, true]' "$BP" -j
t_json replay_gate_closed 'j["third_party_kexts_user"]' false "$MX" security show --json

# spctl kext-consent (Intel)
t create_intel "$MX" device create i1 --arch x86_64 --os 10.15.7
export MACEXT_DEVICE=i1
SP="$BIN/spctl"
t_out consent_status 'Kernel Extension User Consent: ENABLED' "$SP" kext-consent status
t_exit 1 consent_add_macos "$SP" kext-consent add 3T5GSNBU6W
t_grep consent_add_macos_text '^spctl: failed to store new configuration.$' printf '%s\n' "$ERR"
t_out consent_list_empty 'Allowed Team Identifiers:' "$SP" kext-consent list
t_grep consent_refusal_event 'spctl .*kext-consent add 3T5GSNBU6W.*refused' "$MX" log
t_exit 1 consent_disable_macos "$SP" kext-consent disable
t rec_intel "$MX" recovery --via software
t consent_add "$SP" kext-consent add 3T5GSNBU6W
t consent_add2 "$SP" kext-consent add EG7KH642X6
t consent_add_dup "$SP" kext-consent add 3T5GSNBU6W
t_exit 1 consent_add_bad "$SP" kext-consent add not-a-team
t_out consent_list 'Allowed Team Identifiers:
3T5GSNBU6W
EG7KH642X6' "$SP" kext-consent list
t consent_remove "$SP" kext-consent remove 3T5GSNBU6W
t_out consent_list2 'Allowed Team Identifiers:
EG7KH642X6' "$SP" kext-consent list
t_out consent_disable 'Kernel Extension User Consent: DISABLED
Please restart for changes to take effect.' "$SP" kext-consent disable
t_out consent_status_disabled 'Kernel Extension User Consent: DISABLED' "$SP" kext-consent status
t_exit 1 spctl_other "$SP" --assess /Applications/X.app
