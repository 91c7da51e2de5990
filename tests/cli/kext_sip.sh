# kext_sip.sh — "Kernel extensions with System Integrity Protection": with
# SIP on every kext's signature is verified (Developer ID with the kext
# OID); with SIP off it is not enforced, which lets unsigned and ad-hoc
# kexts be tested — but SIP off never removes the approval requirement nor
# the Apple silicon policy gate.  signed / ad-hoc / unsigned / tampered /
# Developer ID without the kext OID, each with SIP on and off.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kext_common.inc"
kx_setup

# ---- SIP on (Intel, not enrolled)
kx_dev sip-on x86_64
kx_forge com.example.signed ABCDE12345
kx_forge com.example.adhoc ABCDE12345 --adhoc
kx_forge com.example.unsigned ABCDE12345 --unsigned
kx_forge com.example.tampered ABCDE12345 --tamper
kx_forge com.example.nokextoid ABCDE12345 --no-kext-oid
for k in signed adhoc unsigned tampered nokextoid; do
	t on.install_$k "$MX" kext install "$TMP/k/com.example.$k.kext"
done
t_json on.signatures '[k["signature"] for k in j]' \
    '["adhoc", "developer-id", "developer-id-kext", "invalid", "unsigned"]' "$MX" kext list --json
t_exit 27 on.signed_needs_approval kmutil load -b com.example.signed
for k in adhoc unsigned tampered nokextoid; do
	t_exit 1 on.${k}_rejected kmutil load -b com.example.$k
	kx_state on.${k}_state com.example.$k rejected_signature
done
t_grep on.rejection_text 'Kext rejected due to invalid signature: /Library/StagedExtensions/Library/Extensions/com.example.adhoc.kext' kmutil load -b com.example.adhoc
t_exit 70 on.rejected_cannot_be_approved "$MX" approve kext com.example.adhoc --as admin:pw
t on.approve_signed "$MX" approve kext com.example.signed --as admin:pw
t on.restart "$MX" restart
kx_state on.signed_loaded com.example.signed loaded
kx_state on.adhoc_still_rejected com.example.adhoc rejected_signature
t_json on.auxkc_only_signed '[e["bundle_id"] for e in j["fileset_entries"]]' '["com.example.signed"]' kmutil inspect --json

# ---- SIP off (csr-active-config 0x7f: CSR_ALLOW_UNTRUSTED_KEXTS)
kx_dev sip-off x86_64 --sip off
for k in signed adhoc unsigned tampered; do
	case $k in signed) f= ;; tampered) f=--tamper ;; *) f=--$k ;; esac
	kx_forge com.example.$k ABCDE12345 $f
	t off.install_$k "$MX" kext install "$TMP/k/com.example.$k.kext"
	t_exit 27 off.${k}_still_needs_approval kmutil load -b com.example.$k
	kx_state off.${k}_awaiting com.example.$k awaiting_user_approval
done
kx_alert off.unsigned_developer 'signed by "Unidentified - '
t off.approve_signed "$MX" approve kext com.example.signed --as admin:pw
for k in adhoc unsigned tampered; do
	t off.approve_$k "$MX" approve kext com.example.$k --as admin:pw
	kx_state off.${k}_awaiting_restart com.example.$k awaiting_restart
done
t off.restart "$MX" restart
for k in signed adhoc unsigned tampered; do
	kx_state off.${k}_loaded com.example.$k loaded
done
t_json off.auxkc_four 'len(j["fileset_entries"])' 4 kmutil inspect --json
t off.export "$MX" kext auxkc --out "$TMP/off.kc"
t_out off.macholib_lists_four_entries 4 $PY -c "
from macholib.MachO import MachO
h = MachO('$TMP/off.kc').headers[0]
print(sum(1 for lc, c, d in h.commands if lc.cmd == 0x80000035))"
t_grep off.llvm_objdump_fileset 'FILESET' llvm-objdump-19 --macho --private-headers "$TMP/off.kc"
t_json off.history_cdhash_null_for_unsigned \
    'sorted([r["bundle_id"] for r in j if r["cdhash"] is None])' '["com.example.unsigned"]' \
    sh -c "sqlite3 -json '$MACEXT_STATE/macext.db' 'select bundle_id, cdhash from kext_load_history_v3 where device_id = (select id from devices where name = \"sip-off\")'"

# ---- SIP off on Apple silicon (Permissive): the LocalPolicy gate still holds
kx_dev sip-off-as arm64 --sip off
kx_forge com.example.adhoc ABCDE12345 --adhoc
t as.install "$MX" kext install "$TMP/k/com.example.adhoc.kext"
t_exit 27 as.gate_still_closed kmutil load -b com.example.adhoc
kx_state as.blocked com.example.adhoc blocked_by_security_policy
t_exit 70 as.cannot_approve "$MX" approve kext com.example.adhoc --as admin:pw
