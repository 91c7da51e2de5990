# security_e2e.sh — the recoveryOS path end to end on Apple silicon, from the
# boot-security side: a kext loaded after the 1TR downgrade stops booting when
# the LocalPolicy is tampered with or returned to Full Security, and boots again
# once an administrator sets the policy again in 1TR; SIP off (Permissive) keeps
# the approval and the policy gate.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kext_common.inc"
kx_setup
VB=org.virtualbox.kext.VBoxDrv
DB="$MACEXT_STATE/macext.db"

kx_dev m1 arm64
kx_forge $VB VB5E2TV963
t install "$MX" kext install "$TMP/k/$VB.kext"
t_exit 27 load_attempt kmutil load -b $VB
kx_state blocked $VB blocked_by_security_policy
t 1tr "$MX" recovery --via power-button
t reduced "$MX" security set reduced --kext-user-management --as admin:pw
t restart1 "$MX" restart
t allow "$MX" approve kext $VB --as admin:pw
t restart2 "$MX" restart
kx_state loaded $VB loaded
t_json measured '[j["valid"], j["auxi"] is not None, j["auxp"] is not None]' '[true, true, true]' bputil -j

# the LocalPolicy edited without the Secure Enclave: kexts do not boot
V=$(sqlite3 "$DB" "SELECT value FROM kv WHERE key='boot.lp' AND device_id=(SELECT id FROM devices WHERE name='m1')")
BAD=$(printf '%s' "$V" | $PY -c 'import sys; b=bytearray.fromhex(sys.stdin.read()); i=b.find(b"smb2"); b[i+3]=ord("1"); print(b.hex())')
sqlite3 "$DB" "UPDATE kv SET value='$BAD' WHERE key='boot.lp'"
t restart_tampered "$MX" restart
kx_state tampered_not_loaded $VB blocked_by_security_policy
t_grep tampered_logged 'LocalPolicy failed verification' "$MX" log
t_json tampered_gate 'j["kext_gate"]["user"]["action"]' localpolicy-invalid "$MX" security show --json

# set again in 1TR: a new record, signed; the AuxKC is measured again at the restart
t 1tr2 "$MX" recovery --via power-button
t reset "$MX" security set reduced --kext-user-management --as admin:pw
t_json reset_valid 'j["valid"]' true bputil -j
t restart3 "$MX" restart
t restart4 "$MX" restart
kx_state reloaded $VB loaded

# SIP off in 1TR: Permissive, the kext option and approval stay
t 1tr3 "$MX" recovery --via power-button
t sip_off csrutil disable --as admin:pw
t_json permissive_keeps_kexts '[j["level"], j["smb2"]]' '["permissive", true]' bputil -j
t restart5 "$MX" restart
t_out sip_disabled 'System Integrity Protection status: disabled.' csrutil status
kx_state still_loaded_permissive $VB loaded

# back to Full Security: the options and the measurement go, the kext does not boot
t 1tr4 "$MX" recovery --via power-button
t full "$MX" security set full --as admin:pw
t_json full_no_aux '[j["auxi"], j["smb2"]]' '[null, false]' bputil -j
t restart6 "$MX" restart
kx_state full_not_loaded $VB blocked_by_security_policy
