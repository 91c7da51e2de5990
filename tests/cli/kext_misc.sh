# kext_misc.sh — codeless kexts (approval, no restart), removal
# (removed_awaiting_restart until the AuxKC is rebuilt), kmutil rebuild,
# trigger-panic-medic (recoveryOS only; AuxKC and approvals gone at the
# next boot), unload (exit 3), the legacy shims, a missing architecture
# (exit 71), kmutil inspect, a damaged AuxKC on disk, and Apple's
# approval scoping (Allow covers the same developer's blocked kexts).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kext_common.inc"
kx_setup
kx_dev m x86_64 --os 12.6

# codeless: approval but no restart
kx_forge com.example.codeless ABCDE12345 --codeless
t codeless.install "$MX" kext install "$TMP/k/com.example.codeless.kext"
t_exit 27 codeless.needs_approval kmutil load -b com.example.codeless
t_grep codeless.preferences_before_13 'Please approve using System Preferences' kmutil load -b com.example.codeless
kx_alert codeless.security_privacy 'open Security & Privacy System Preferences'
t codeless.approve "$MX" approve kext com.example.codeless --as admin:pw
kx_state codeless.loaded_without_restart com.example.codeless loaded
t_json codeless.no_restart_pending 'j["restart_pending"]' false "$MX" device show --json
t codeless.load_ok kmutil load -b com.example.codeless

# approval scoping (TN2459): one Allow covers the developer's blocked kexts
kx_forge com.example.a ABCDE12345
kx_forge com.example.b ABCDE12345
t scope.install_a "$MX" kext install "$TMP/k/com.example.a.kext"
t scope.install_b "$MX" kext install "$TMP/k/com.example.b.kext"
t_exit 27 scope.load_both kmutil load -b com.example.a -b com.example.b
t_grep scope.both_named 'identifiers com.example.a, com.example.b not approved' kmutil load -b com.example.a -b com.example.b
t scope.approve_one "$MX" approve kext com.example.a --as admin:pw
kx_state scope.other_approved_too com.example.b awaiting_restart
t scope.restart "$MX" restart
kx_state scope.a_loaded com.example.a loaded
kx_state scope.b_loaded com.example.b loaded
t_json scope.kext_policy_rows 'sorted(r["bundle_id"] for r in j)' '["com.example.a", "com.example.b", "com.example.codeless"]' \
    sh -c "sqlite3 -json '$MACEXT_STATE/macext.db' 'select bundle_id from kext_policy where allowed = 1'"

# showloaded, kextstat, kextload, kextunload
t_grep shim.kextstat_lists_both 'com.example.b \(1.0.0\)' kextstat
t_grep shim.variant_line '^No variant specified, falling back to release' kmutil showloaded
t_out shim.aux_only "com.example.a com.example.b" sh -c "kmutil showloaded --collection aux --list-only 2>/dev/null | awk '{print \$6}' | xargs"
t_grep shim.kextunload 'Executing: /usr/bin/kmutil unload -b com.example.b' kextunload -b com.example.b
kx_state shim.unloaded_stays_in_auxkc com.example.b installed
t_exit 3 shim.unload_missing kmutil unload -b com.example.b
t_grep shim.kextload 'Executing: /usr/bin/kmutil load -b com.example.b' kextload -b com.example.b
kx_state shim.reloaded_without_restart com.example.b loaded

# inspect
t_json inspect.entries '[e["bundle_id"] for e in j["fileset_entries"]]' '["com.example.a", "com.example.b"]' kmutil inspect --json
t_json inspect.receipt '[r["team_id"] for r in j["receipt"]]' '["ABCDE12345", "ABCDE12345"]' kmutil inspect --json
t_grep inspect.text '^Fileset entries \(2\):' kmutil inspect

# rebuild and removal
t remove.delete "$MX" kext remove com.example.b
kx_state remove.awaiting_restart com.example.b removed_awaiting_restart
t_exit 1 remove.not_loadable kmutil load -b com.example.b
t_out rebuild.lists "Checking the auxiliary kernel collection...
Attempting to remove the following extensions (1):
[-] com.example.b	1.0.0	/Library/Extensions/com.example.b.kext
Requesting user approval (times out in 60 seconds)...
A system reboot is required for the operation to take effect" kmutil rebuild --as admin:pw
t_exit 77 rebuild.standard_user "$MX" kmutil rebuild --as bob:pw
t remove.restart "$MX" restart
t_json remove.gone '[k["bundle_id"] for k in j]' '["com.example.a", "com.example.codeless"]' "$MX" kext list --json
t_json remove.auxkc_without_it '[e["bundle_id"] for e in j["fileset_entries"]]' '["com.example.a"]' kmutil inspect --json
t_out rebuild.nothing "Checking the auxiliary kernel collection...
No changes to the auxiliary kernel collection are needed." kmutil rebuild

# architecture: an x86_64-only kext on Apple silicon
kx_dev arm arm64
KX_ARCH=x86_64
kx_forge com.example.intelonly ABCDE12345
t arch.install "$MX" kext install "$TMP/k/com.example.intelonly.kext"
t_exit 71 arch.incompatible kmutil load -b com.example.intelonly
t_grep arch.text 'Code=71 Incompatible architecture: Cannot find arm64e in fat binary' kmutil load -b com.example.intelonly
KX_ARCH=fat
kx_forge com.example.universal ABCDE12345
t arch.install_fat "$MX" kext install "$TMP/k/com.example.universal.kext"
t_grep arch.fat_has_arm64e 'Executing: /usr/bin/kmutil load -p /Library/Extensions/com.example.universal.kext' kextload /Library/Extensions/com.example.universal.kext
kx_state arch.fat_blocked_only_by_policy com.example.universal blocked_by_security_policy
export MACEXT_DEVICE=m

# a damaged AuxKC does not load; the next rebuild repairs it
H=$(sqlite3 "$MACEXT_STATE/macext.db" "select hash from files where path = '/Library/KernelCollections/AuxiliaryKernelExtensions.kc' and device_id = (select id from devices where name = 'm')")
KC=$(find "$MACEXT_STATE/cas" -path "*/$H/AuxiliaryKernelExtensions.kc" | head -n 1)
cp "$KC" "$TMP/kc.bak"; chmod u+w "$KC" 2>/dev/null
printf 'XXXX' | dd of="$KC" bs=1 count=4 conv=notrunc 2>/dev/null
t damaged.mdm_enroll "$MX" mdm enroll --method device --user-approved
t damaged.restart_without_rebuild "$MX" mdm restart
kx_state damaged.not_loaded com.example.a awaiting_restart
t_grep damaged.logged 'AuxKC is malformed' "$MX" log
cp "$TMP/kc.bak" "$KC"
t damaged.restart "$MX" restart
kx_state damaged.rebuilt com.example.a loaded

# trigger-panic-medic: recoveryOS only; removes the AuxKC and all approvals
t_exit 1 medic.not_in_macos kmutil trigger-panic-medic
t medic.recovery "$MX" recovery --via software
t_grep medic.armed 'will be removed on the next boot' kmutil trigger-panic-medic
t medic.restart "$MX" restart
kx_state medic.a_unapproved com.example.a installed
kx_appr medic.a_no_approval com.example.a none
t_exit 67 medic.no_auxkc kmutil inspect
t_json medic.no_user_approvals 'len(j)' 0 sh -c "sqlite3 -json '$MACEXT_STATE/macext.db' 'select * from kext_policy' | grep . || echo '[]'"
t_exit 27 medic.prompts_again kmutil load -b com.example.a

# an update: the old version keeps running until the update is approved and built
kx_dev upd x86_64
kx_forge com.example.u ABCDE12345 --version 1.0.0
t update.install_v1 "$MX" kext install "$TMP/k/com.example.u.kext"
t_exit 27 update.load_v1 kmutil load -b com.example.u
t update.approve_v1 "$MX" approve kext com.example.u --as admin:pw
t update.restart_v1 "$MX" restart
kx_state update.v1_loaded com.example.u loaded
kx_forge com.example.u ABCDE12345 --version 2.0.0
t update.install_v2 "$MX" kext install "$TMP/k/com.example.u.kext"
t_grep update.v1_still_runs 'com.example.u \(1.0.0\)' kmutil showloaded
t_exit 27 update.needs_consent_again kmutil load -b com.example.u
kx_alert update.alert_again 'System Extension Blocked'
t update.restart_unapproved "$MX" restart
t_grep update.v1_runs_after_restart 'com.example.u \(1.0.0\)' kmutil showloaded
t_json update.auxkc_has_v1 '[e["version"] for e in j["fileset_entries"]]' '["1.0.0"]' kmutil inspect --json
t update.approve_v2 "$MX" approve kext com.example.u --as admin:pw
t_exit 28 update.v2_needs_reboot kmutil load -b com.example.u
t update.restart_v2 "$MX" restart
kx_state update.v2_loaded com.example.u loaded
t_grep update.v2_runs 'com.example.u \(2.0.0\)' kmutil showloaded
t_json update.auxkc_has_v2 '[e["version"] for e in j["fileset_entries"]]' '["2.0.0"]' kmutil inspect --json
