# kmutil_create.sh — `kmutil create -n aux` (developer use): an AuxKC file
# from -p bundle paths and -b device kexts; the output read back by kmutil
# inspect, by an independent Python reader (tests/cli/kc_check.py: the
# entries' bytes equal the kexts' slices) and by llvm-objdump-19 / macholib
# when present; the slice per -a in fat kexts; signature validation (SIP-on
# rules) unless -z; dependencies unless -x; errors with their exit codes;
# the device left unchanged and no state created without one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kext_common.inc"
kx_setup
kx_dev old x86_64 --os 10.15.7
kx_dev a arm64 --os 14.5
kx_dev m x86_64 --os 14.5
KC="$PY $(dirname "$0")/kc_check.py"
K="$TMP/k"
exe() { echo "$K/$1.kext/Contents/MacOS/$(ls "$K/$1.kext/Contents/MacOS")"; }

kx_forge com.example.one ABCDE12345
kx_forge com.example.two ABCDE12345
KX_ARCH=fat kx_forge com.example.fat ABCDE12345
kx_forge com.example.tampered ABCDE12345 --tamper
kx_forge com.example.unsigned ABCDE12345 --unsigned
kx_forge com.example.adhoc ABCDE12345 --adhoc
KX_ARCH=arm64 kx_forge com.example.armonly ABCDE12345

DIG0=$("$MX" store digest)
# ---- from bundle paths, validated (the device's trust anchor)
t p.build kmutil create -n aux -A "$TMP/p.kc" -p "$K/com.example.one.kext" -p "$K/com.example.two.kext"
t_json p.inspect_entries '[e["bundle_id"] for e in j["fileset_entries"]]' \
    '["com.example.one", "com.example.two"]' kmutil inspect -A "$TMP/p.kc" --json
t_json p.receipt_team_and_cdhash '[(r["team_id"], len(r["cdhash"])) for r in j["receipt"]]' \
    '[["ABCDE12345", 40], ["ABCDE12345", 40]]' kmutil inspect -A "$TMP/p.kc" --json
t_out p.bytes_are_the_executables "com.example.one x86_64 $K/com.example.one.kext same
com.example.two x86_64 $K/com.example.two.kext same" \
    $KC "$TMP/p.kc" "com.example.one=$(exe com.example.one)" "com.example.two=$(exe com.example.two)"
t_grep p.inspect_text '^Fileset entries \(2\):' kmutil inspect -A "$TMP/p.kc"
if command -v llvm-objdump-19 >/dev/null 2>&1; then
	t_grep p.llvm_objdump_fileset 'MH_MAGIC_64 +X86_64 +ALL +0x00 +FILESET' \
	    llvm-objdump-19 --macho --private-headers "$TMP/p.kc"
	t_out p.llvm_objdump_two_entries 2 sh -c "llvm-objdump-19 --macho --private-headers '$TMP/p.kc' | grep -c 'cmd ?(0x80000035)'"
else
	skip p.llvm_objdump "llvm-objdump-19 is not installed"
fi
if $PY -c 'import macholib' 2>/dev/null; then
	t_out p.macholib_entries "com.example.one com.example.two" $PY -c "
from macholib.MachO import MachO
h = MachO('$TMP/p.kc').headers[0]
ids = []
for lc, c, d in h.commands:
    if lc.cmd == 0x80000035:
        ids.append(d.split(b'\0')[0].decode())
print(' '.join(ids))"
else
	skip p.macholib "python3-macholib is not installed"
fi

# linked against this Mac's boot KC: the same _BootKCID as the AuxKC the device builds
t dev.install "$MX" kext install "$K/com.example.one.kext"
t dev.install_two "$MX" kext install "$K/com.example.two.kext"
t_exit 27 dev.load kmutil load -b com.example.one
t dev.approve "$MX" approve kext com.example.one --as admin:pw
t dev.restart "$MX" restart
BKC=$(kmutil inspect --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["boot_kcid"])')
t_json p.boot_kcid_is_the_devices 'j["boot_kcid"]' "$BKC" kmutil inspect -A "$TMP/p.kc" --json

# ---- from bundle ids: the device's installed (staged) copies
DIG1=$("$MX" store digest)
t b.build kmutil create -n aux -A "$TMP/b.kc" -b com.example.two -b com.example.one
t_out b.staged_paths "com.example.two x86_64 /Library/StagedExtensions/Library/Extensions/com.example.two.kext same
com.example.one x86_64 /Library/StagedExtensions/Library/Extensions/com.example.one.kext same" \
    $KC "$TMP/b.kc" "com.example.one=$(exe com.example.one)" "com.example.two=$(exe com.example.two)"
t b.mixed kmutil create -n aux -A "$TMP/m.kc" -b com.example.one -p "$K/com.example.fat.kext"
t_json b.mixed_entries '[e["bundle_id"] for e in j["fileset_entries"]]' \
    '["com.example.one", "com.example.fat"]' kmutil inspect -A "$TMP/m.kc" --json
t_exit 1 b.unknown_id kmutil create -n aux -A "$TMP/x.kc" -b com.example.nothere
t_grep b.unknown_id_text 'Unable to find extension with identifier com.example.nothere' \
    kmutil create -n aux -A "$TMP/x.kc" -b com.example.nothere
t_exit 1 b.twice kmutil create -n aux -A "$TMP/x.kc" -b com.example.one -p "$K/com.example.one.kext"

# ---- fat kexts: the slice of -a (default: the device's)
t fat.default_x86 kmutil create -n aux -A "$TMP/fx.kc" -p "$K/com.example.fat.kext"
t_out fat.x86_slice "com.example.fat x86_64 $K/com.example.fat.kext same" \
    $KC "$TMP/fx.kc" "com.example.fat=$(exe com.example.fat)"
t_exit 1 fat.arch_not_the_boot_kcs kmutil create -n aux -A "$TMP/x.kc" -a arm64e -p "$K/com.example.fat.kext"
t_exit 71 fat.no_x86_slice kmutil create -n aux -A "$TMP/x.kc" -p "$K/com.example.armonly.kext"
t_grep fat.no_x86_slice_text 'Code=71 Incompatible architecture: Cannot find x86_64 in fat binary' \
    kmutil create -n aux -A "$TMP/x.kc" -p "$K/com.example.armonly.kext"
export MACEXT_DEVICE=a
t fat.default_arm64e kmutil create -n aux -A "$TMP/fa.kc" -p "$K/com.example.fat.kext"
t_out fat.arm64_slice "com.example.fat arm64 $K/com.example.fat.kext same" \
    $KC "$TMP/fa.kc" "com.example.fat=$(exe com.example.fat)"
t_json fat.arm64e_header '[j["fileset_entries"][0]["bundle_id"], j["boot_kcid"] != "'"$BKC"'"]' \
    '["com.example.fat", true]' kmutil inspect -A "$TMP/fa.kc" --json
export MACEXT_DEVICE=m

# ---- validation: SIP-on rules unless -z
for k in tampered unsigned adhoc; do
	t_exit 1 auth.${k}_refused kmutil create -n aux -A "$TMP/$k.kc" -p "$K/com.example.one.kext" -p "$K/com.example.$k.kext"
	t_grep auth.${k}_refused_text "Kext rejected due to invalid signature: $K/com.example.$k.kext" \
	    kmutil create -n aux -A "$TMP/$k.kc" -p "$K/com.example.$k.kext"
	check auth.${k}_no_output test ! -e "$TMP/$k.kc"
	t auth.${k}_with_z kmutil create -n aux -z -A "$TMP/$k.kc" -p "$K/com.example.$k.kext"
	t_out auth.${k}_with_z_bytes "com.example.$k x86_64 $K/com.example.$k.kext same" \
	    $KC "$TMP/$k.kc" "com.example.$k=$(exe com.example.$k)"
done
t_json auth.z_receipt_unauthenticated '[j["receipt"][0]["team_id"], j["receipt"][0]["cdhash"]]' \
    '["", ""]' kmutil inspect -A "$TMP/adhoc.kc" --json

# ---- dependencies: third-party OSBundleLibraries come along unless -x
kx_forge com.example.user ABCDE12345
$PY - "$K/com.example.user.kext/Contents/Info.plist" <<'EOF'
import plistlib, sys
p = sys.argv[1]
d = plistlib.load(open(p, "rb"))
d["OSBundleLibraries"]["com.example.two"] = "1.0"
plistlib.dump(d, open(p, "wb"))
EOF
t dep.pulled_in kmutil create -n aux -z -A "$TMP/dep.kc" -p "$K/com.example.user.kext"
t_json dep.entries '[e["bundle_id"] for e in j["fileset_entries"]]' \
    '["com.example.user", "com.example.two"]' kmutil inspect -A "$TMP/dep.kc" --json
t dep.explicit_only kmutil create -n aux -z -x -A "$TMP/depx.kc" -p "$K/com.example.user.kext"
t_json dep.explicit_entries '[e["bundle_id"] for e in j["fileset_entries"]]' \
    '["com.example.user"]' kmutil inspect -A "$TMP/depx.kc" --json
t dep.named_once kmutil create -n aux -z -A "$TMP/dep2.kc" -p "$K/com.example.user.kext" -b com.example.two
t_json dep.named_once_entries 'len(j["fileset_entries"])' 2 kmutil inspect -A "$TMP/dep2.kc" --json
t_exit 1 dep.modified_plist_refused_without_z kmutil create -n aux -A "$TMP/x.kc" -p "$K/com.example.user.kext"

# ---- errors
t_exit 64 err.empty_list kmutil create -n aux -A "$TMP/x.kc"
t_grep err.empty_list_text 'No extensions specified' kmutil create -n aux -A "$TMP/x.kc"
t_exit 64 err.no_new kmutil create -A "$TMP/x.kc" -p "$K/com.example.one.kext"
t_exit 64 err.no_output kmutil create -n aux -p "$K/com.example.one.kext"
t_exit 64 err.bad_arch kmutil create -n aux -A "$TMP/x.kc" -a ppc -p "$K/com.example.one.kext"
t_exit 64 err.bad_option kmutil create -n aux -A "$TMP/x.kc" --frobnicate -p "$K/com.example.one.kext"
t_exit 1 err.boot_needs_kdk kmutil create -n boot -A "$TMP/x.kc" -p "$K/com.example.one.kext"
t_exit 1 err.missing_dir kmutil create -n aux -A "$TMP/no/such/dir/x.kc" -p "$K/com.example.one.kext"
t_grep err.missing_dir_text "$TMP/no/such/dir/x.kc: unable to write the collection" \
    kmutil create -n aux -A "$TMP/no/such/dir/x.kc" -p "$K/com.example.one.kext"
echo x > "$TMP/plainfile"
t_exit 1 err.output_under_a_file kmutil create -n aux -A "$TMP/plainfile/x.kc" -p "$K/com.example.one.kext"
t_exit 1 err.missing_bundle kmutil create -n aux -A "$TMP/x.kc" -p "$K/nothere.kext"
t_grep err.missing_bundle_text "$K/nothere.kext: No such file or directory" \
    kmutil create -n aux -A "$TMP/x.kc" -p "$K/nothere.kext"
t_exit 1 err.not_a_directory kmutil create -n aux -A "$TMP/x.kc" -p "$TMP/plainfile"
mkdir -p "$TMP/empty.kext"
t_grep err.no_info_plist "$TMP/empty.kext: unable to read the bundle" \
    kmutil create -n aux -A "$TMP/x.kc" -p "$TMP/empty.kext"
"$MX" forge app "$TMP/Some.app" --bundle-id com.example.app --team ABCDE12345 --ca "$TMP/ca" >/dev/null 2>&1
t_grep err.not_a_kext "$TMP/Some.app: not a kernel extension" \
    kmutil create -n aux -A "$TMP/x.kc" -p "$TMP/Some.app"
kx_forge com.example.codeless ABCDE12345 --codeless
t_grep err.codeless 'codeless kext com.example.codeless' \
    kmutil create -n aux -A "$TMP/x.kc" -p "$K/com.example.codeless.kext"
check err.no_partial_output test ! -e "$TMP/x.kc"
# a failed build leaves an existing output as it was
cp "$TMP/p.kc" "$TMP/keep.kc"
t_exit 1 err.failed_rebuild kmutil create -n aux -A "$TMP/keep.kc" -p "$K/com.example.tampered.kext"
check err.old_output_kept cmp -s "$TMP/p.kc" "$TMP/keep.kc"
check err.no_temporary_left sh -c "! ls '$TMP' | grep -q 'keep.kc.'"

# ---- the device did not change (digest after the restart above)
t_out state.unchanged "$DIG1" "$MX" store digest
check state.changed_by_the_restart test "$DIG0" != "$DIG1"

# ---- without a device: no state created; -B links against a collection file
N="$TMP/nostate"
NOD="env -u MACEXT_DEVICE $MX --state $N"
t nodev.unlinked_x86 $NOD kmutil create -n aux -z -a x86_64 -A "$TMP/u.kc" -p "$K/com.example.fat.kext"
t_grep nodev.warning 'not linked against one' $NOD kmutil create -n aux -z -a x86_64 -A "$TMP/u.kc" -p "$K/com.example.fat.kext"
t_json nodev.zero_boot_kcid 'j["boot_kcid"]' 00000000-0000-0000-0000-000000000000 kmutil inspect -A "$TMP/u.kc" --json
t_out nodev.default_arm64e "com.example.fat arm64 $K/com.example.fat.kext same" \
    sh -c "$NOD kmutil create -n aux -z -A '$TMP/u2.kc' -p '$K/com.example.fat.kext' 2>/dev/null && $KC '$TMP/u2.kc' 'com.example.fat=$(exe com.example.fat)'"
t nodev.boot_path $NOD kmutil create -n aux -z -B "$TMP/p.kc" -A "$TMP/u3.kc" -p "$K/com.example.two.kext"
t_json nodev.boot_path_links_its_uuid 'j["boot_kcid"]' \
    "$(kmutil inspect -A "$TMP/p.kc" --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["uuid"])')" \
    kmutil inspect -A "$TMP/u3.kc" --json
t_exit 1 nodev.untrusted_without_anchor $NOD kmutil create -n aux -B "$TMP/p.kc" -A "$TMP/x.kc" -p "$K/com.example.two.kext"
t_exit 1 nodev.b_needs_device $NOD kmutil create -n aux -z -A "$TMP/x.kc" -b com.example.one
t_exit 1 nodev.dependency_needs_device $NOD kmutil create -n aux -z -a x86_64 -A "$TMP/x.kc" -p "$K/com.example.user.kext"
t nodev.dependency_explicit_only $NOD kmutil create -n aux -z -x -a x86_64 -A "$TMP/x2.kc" -p "$K/com.example.user.kext"
t_exit 1 nodev.boot_path_not_a_kc $NOD kmutil create -n aux -z -B "$TMP/plainfile" -A "$TMP/x.kc" -p "$K/com.example.two.kext"
check nodev.no_state_created test ! -e "$N"

# ---- before macOS 11 there is no kmutil
export MACEXT_DEVICE=old
t_exit 127 old.no_kmutil kmutil create -n aux -z -A "$TMP/x.kc" -p "$K/com.example.one.kext"
