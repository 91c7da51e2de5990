# kext_cas_tamper.sh — issue 14 §1, the seed's rule at the moment it matters:
# "If SIP is enabled, the signature of each kext is verified before being
# included in the AuxKC."  Two bytes of a staged executable are flipped in
# the state directory's content store after install and approval: the AuxKC
# rebuilt by `restart`, `mdm restart --rebuild-kernel-cache` and
# `kmutil create -b` leaves it out and it is rejected_signature, never
# loaded; `store check` re-hashes the content store and names the entry
# (`--fast` skips that).  With SIP off signatures are not enforced.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kext_common.inc"
kx_setup
PY=/usr/bin/python3

# flip NAME ID: flips two bytes in the middle of kext ID's stored executable
flip() { $PY - "$MACEXT_STATE/cas" "$1" <<'EOF'
import os, sys
root, kid = sys.argv[1], sys.argv[2]
hits = []
for d, dirs, files in os.walk(root):
    if d.endswith(os.path.join(kid + ".kext", "Contents", "MacOS")):
        hits += [os.path.join(d, f) for f in files]
assert len(hits) == 1, hits
p = hits[0]
b = bytearray(open(p, "rb").read())
i = len(b) // 2
b[i] ^= 0xff
b[i + 1] ^= 0xff
open(p, "wb").write(bytes(b))
print(p)
EOF
}

# ---- SIP on: restart
kx_dev sip-on x86_64
kx_forge com.example.good ABCDE12345
kx_forge com.example.victim ABCDE12345
for k in good victim; do
	t on.install_$k "$MX" kext install "$TMP/k/com.example.$k.kext"
	t_exit 27 on.load_$k kmutil load -b com.example.$k
	t on.approve_$k "$MX" approve kext com.example.$k --as admin:pw
done
t on.restart "$MX" restart
kx_state on.victim_loaded com.example.victim loaded
t_grep on.store_ok 'every content-store entry has its hash' "$MX" store check
t on.flip flip com.example.victim
t_exit 74 on.store_check_finds_it "$MX" store check
t_grep on.store_check_names_it 'violation: a content-store entry has its content hash: [0-9a-f]{64}: .*com\.example\.victim\.kext: the stored bytes no longer have their content hash' "$MX" store check
t_grep on.store_check_json '"rule": ?"a content-store entry has its content hash"' "$MX" store check --json
t_grep on.store_check_fast_skips '^ok: .*not re-hashed: --fast' "$MX" store check --fast
t_exit 1 on.kmutil_create_refuses kmutil create -n aux -A "$TMP/aux.kc" -b com.example.victim
t_grep on.kmutil_create_says 'Authenticating extension com.example.victim failed: .*no longer have their content hash' kmutil create -n aux -A "$TMP/aux.kc" -b com.example.victim
t on.kmutil_create_good kmutil create -n aux -A "$TMP/aux.kc" -b com.example.good
t on.restart_after_flip "$MX" restart
kx_state on.victim_rejected com.example.victim rejected_signature
kx_state on.good_still_loaded com.example.good loaded
t_json on.victim_signature_invalid '[k["signature"] for k in j if k["bundle_id"] == "com.example.victim"]' \
    '["invalid"]' "$MX" kext list --json
t_json on.auxkc_without_victim '[e["bundle_id"] for e in j["fileset_entries"]]' \
    '["com.example.good"]' kmutil inspect --json
t_grep on.log_says_why 'Kext rejected due to invalid signature: Authenticating extension com.example.victim failed' "$MX" log
t_exit 1 on.victim_not_loadable kmutil load -b com.example.victim
t on.restart_again "$MX" restart
kx_state on.victim_stays_rejected com.example.victim rejected_signature

# ---- SIP on: the MDM's RestartDevice with RebuildKernelCache
kx_dev mdm-on x86_64
t mdm.enroll "$MX" mdm enroll --method device --user-approved
kx_forge com.example.managed ABCDE12345
t mdm.install "$MX" kext install "$TMP/k/com.example.managed.kext"
t_exit 27 mdm.load kmutil load -b com.example.managed
t mdm.approve "$MX" approve kext com.example.managed --as admin:pw
t mdm.flip flip com.example.managed
t mdm.restart "$MX" mdm restart --rebuild-kernel-cache
kx_state mdm.rejected com.example.managed rejected_signature
t_grep mdm.log_says_why 'Kext rejected due to invalid signature: Authenticating extension com.example.managed' "$MX" log

# ---- SIP off: not enforced (the tampered bytes are built, as macOS does)
kx_dev sip-off x86_64 --sip off
kx_forge com.example.loose ABCDE12345
t off.install "$MX" kext install "$TMP/k/com.example.loose.kext"
t_exit 27 off.load kmutil load -b com.example.loose
t off.approve "$MX" approve kext com.example.loose --as admin:pw
t off.flip flip com.example.loose
t off.restart "$MX" restart
kx_state off.loaded com.example.loose loaded
