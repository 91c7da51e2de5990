# pkg.sh — flat installer packages (issue 12 §5 c): `macext pkg expand` and
# `macext pkg install` on packages forged here (xar written by libarchive in
# `macext forge pkg`; hostile payloads written by tests/cli/pkg_odc.py,
# hostile archives edited by tests/cli/pkg_xar.py, both independent of
# macext): distribution and component packages, gzip and pbzx payloads,
# AppleDouble entries applied as extended attributes, scripts listed and
# never run, the payload placed where Installer puts it, then the usual
# flows (the app activates its extension; the kext awaits approval);
# malformed packages refused, changing nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sysext.inc"
HERE=$(cd "$(dirname "$0")" && pwd)
ODC="python3 $HERE/pkg_odc.py"
XAR="python3 $HERE/pkg_xar.py"
sx_ca
cd "$TMP" || exit 1
T=G43BCU2T37
DEXT=org.pqrs.Karabiner-DriverKit-VirtualHIDDevice
MGR=org.pqrs.Karabiner-VirtualHIDDevice-Manager
APP=.Karabiner-VirtualHIDDevice-Manager.app
sx_ext k/$DEXT.dext $DEXT $T dext --version 5.0.0
sx_app m/$APP $MGR $T k/$DEXT.dext
mkdir -p root/Applications "root/Library/Application Support/org.pqrs/vhid" scripts
cp -r "$B_DIR/m/$APP" root/Applications/
echo "read me" >"root/Library/Application Support/org.pqrs/vhid/README.md"
cat >scripts/postinstall <<'EOF'
#!/bin/sh
launchctl bootstrap system /Library/LaunchDaemons/org.pqrs.vhid.plist
systemextensionsctl list
echo done
EOF
chmod +x scripts/postinstall
echo 'rm -rf "$HOME"' >scripts/preinstall
QA="Applications/$APP/Contents/Resources/README.txt=com.apple.quarantine:0083;6500;Safari;"
t forge_gzip "$MX" forge pkg karabiner.pkg --identifier $DEXT --version 5.0.0 --root root \
    --scripts scripts --appledouble "$QA"
t forge_pbzx "$MX" forge pkg karabiner-pbzx.pkg --identifier $DEXT --version 5.0.0 --root root \
    --scripts scripts --appledouble "$QA" --compression pbzx
t forge_component "$MX" forge pkg component.pkg --identifier $DEXT --version 5.0.0 --root root --component
t_out xar_magic 'xar!' head -c 4 karabiner.pkg
t_grep xar_toc_checksum '<checksum style="sha1">' $XAR toc karabiner.pkg
t_grep pbzx_payload_magic '^pbzx' sh -c "python3 - karabiner-pbzx.pkg <<'EOF'
import struct, sys, zlib, re
d = open(sys.argv[1], 'rb').read()
hs, _, clen = struct.unpack('>HHQ', d[4:16])
toc = zlib.decompress(d[hs:hs + clen]).decode()
m = re.search(r'<name>Payload</name>.*?<offset>(\d+)</offset>', toc, re.S)
print(d[hs + clen + int(m.group(1)):][:4].decode())
EOF"

# ---- expand
t expand "$MX" pkg expand karabiner.pkg x
C=x/Karabiner-DriverKit-VirtualHIDDevice.pkg
for f in Distribution Karabiner-DriverKit-VirtualHIDDevice.pkg/PackageInfo Karabiner-DriverKit-VirtualHIDDevice.pkg/Bom \
    "Karabiner-DriverKit-VirtualHIDDevice.pkg/Payload/Applications/$APP/Contents/Info.plist" \
    "Karabiner-DriverKit-VirtualHIDDevice.pkg/Payload/Library/Application Support/org.pqrs/vhid/README.md" \
    Karabiner-DriverKit-VirtualHIDDevice.pkg/Scripts/postinstall; do
	check "expand_has_$(basename "$f" | tr -c 'A-Za-z0-9\n' _)" [ -f "x/$f" ]
done
t_out expand_no_appledouble_files 0 sh -c "find x -name '._*' | wc -l"
t_out expand_xattr_applied '0083;6500;Safari;' python3 -c "
import os, sys
try:
    print(os.getxattr('$C/Payload/Applications/$APP/Contents/Resources/README.txt', 'user.com.apple.quarantine').decode())
except OSError as e:
    print('the file system refuses user xattrs:', e)"
t_json expand_json '[j["distribution"], j["components"][0]["identifier"], j["appledouble"], j["xattrs_set"] + j["xattrs_not_set"]]' \
    "[true, \"$DEXT\", 1, 1]" "$MX" pkg expand karabiner.pkg x2 --json
t_grep expand_lists_postinstall 'script .*postinstall, postinstall \(not run\)' "$MX" pkg expand karabiner.pkg x3
t_grep expand_shows_launchctl '^    launchctl bootstrap system /Library/LaunchDaemons/org.pqrs.vhid.plist$' "$MX" pkg expand karabiner.pkg x4
t_grep expand_shows_systemextensionsctl '^    systemextensionsctl list$' "$MX" pkg expand karabiner.pkg x5
check scripts_not_run [ -d "$HOME" ]
t expand_pbzx "$MX" pkg expand karabiner-pbzx.pkg xp
t pbzx_same_payload diff -r "$C/Payload" xp/Karabiner-DriverKit-VirtualHIDDevice.pkg/Payload
t expand_component "$MX" pkg expand component.pkg xc
t component_same_payload diff -r "$C/Payload" xc/Payload
check component_packageinfo [ -f xc/PackageInfo ]
t_exit 68 expand_refuses_existing "$MX" pkg expand karabiner.pkg x

# ---- install: where Installer puts it, then the usual flows
sx_dev mac 15.1 --arch arm64
DIG0=$("$MX" store digest)
t_grep dry_run_plan "app +/Applications/$APP" "$MX" pkg install karabiner.pkg --dry-run
t_grep dry_run_tree "tree +/Library/Application Support/org.pqrs" "$MX" pkg install karabiner.pkg --dry-run
t_out dry_run_changes_nothing "$DIG0" "$MX" store digest
t_json install_json '[j["dry_run"], sorted(j["placed"]), j["scripts_run"], [s["file"] for s in j["scripts"]]]' \
    "[false, [\"/Applications/$APP\", \"/Library/Application Support/org.pqrs\"], false, [\"postinstall\", \"preinstall\"]]" \
    "$MX" pkg install karabiner.pkg --json
t_json install_script_lines '[l for s in j["scripts"] for l in s["lines"]]' \
    '["launchctl bootstrap system /Library/LaunchDaemons/org.pqrs.vhid.plist", "systemextensionsctl list"]' \
    "$MX" pkg install karabiner.pkg --dry-run --json
t_grep app_installed "$MGR" "$MX" log
t_grep tree_placed 'installer placed /Library/Application Support/org.pqrs' "$MX" log
t_grep activate_from_pkg 'needs user approval' "$MX" sysext activate $MGR $DEXT
t approve "$MX" approve sysext $DEXT --as admin:pw
check_eq() { if [ "$2" = "$3" ]; then _pass "$1"; else _fail "$1" "got '$2', wanted '$3'"; fi; }
check_eq dext_enabled "$(sx_state $DEXT)" activated_enabled
# a kext package: into /Library/Extensions, then it awaits approval like any installed kext
sx_dev intel 12.7 --arch x86_64
"$MX" forge kext kroot/Library/Extensions/Vendor.kext --bundle-id com.example.vendor --team VB5E2TV963 --ca "$CA" >/dev/null
t forge_kext_pkg "$MX" forge pkg kext.pkg --identifier com.example.vendor.pkg --root kroot
t_grep kext_plan 'kext +/Library/Extensions/Vendor.kext' "$MX" pkg install kext.pkg
t_json kext_installed '[j[0]["path"], j[0]["state"]]' '["/Library/Extensions/Vendor.kext", "installed"]' "$MX" kext list --json
t_exit 27 kext_awaits_approval "$BIN/kmutil" load -b com.example.vendor
t_json kext_awaiting '[k["state"] for k in j]' '["awaiting_user_approval"]' "$MX" kext list --json

# ---- malformed packages: refused with a clear message, nothing changed
DIG=$("$MX" store digest)
bad() { n=$1; code=$2; re=$3; f=$4
	t_exit "$code" "$n.refused" "$MX" pkg install "$f"
	t_grep "$n.message" "$re" "$MX" pkg install "$f"
	t_exit "$code" "$n.expand_refused" "$MX" pkg expand "$f" "y-$n"
	check "$n.no_expand_dir" [ ! -e "y-$n" ]
	t_out "$n.nothing_changed" "$DIG" "$MX" store digest
}
for k in dotdot absolute symlink abslink device huge truncated dup; do
	$ODC "p-$k.gz" "$k"
	"$MX" forge pkg "p-$k.pkg" --identifier "com.example.$k" --payload-file "p-$k.gz" >/dev/null
done
bad cpio_dotdot 66 'entry "\./Applications/\.\./\.\./etc/x" is not a relative path inside the payload' p-dotdot.pkg
bad cpio_absolute 66 'entry "/etc/passwd" is not a relative path inside the payload' p-absolute.pkg
bad cpio_symlink_out 66 'Applications/evil: a symbolic link to "\.\./\.\./\.\./etc", out of the payload' p-symlink.pkg
bad cpio_absolute_link 66 'a symbolic link to "/etc/passwd", out of the payload' p-abslink.pkg
bad cpio_device 66 'Applications/null: a device, socket or pipe' p-device.pkg
bad cpio_huge 71 'Applications/big: 629145600 bytes, over the payload cap' p-huge.pkg
bad cpio_truncated 65 'Applications/short: truncated data' p-truncated.pkg
bad cpio_duplicate 66 'Applications/a appears twice' p-dup.pkg
$ODC p-good.gz good && "$MX" forge pkg good.pkg --identifier com.example.good --payload-file p-good.gz >/dev/null
$XAR corrupt-toc good.pkg badtoc.pkg
bad xar_bad_toc 65 'badtoc.pkg: xar TOC' badtoc.pkg
$XAR bad-checksum good.pkg badsum.pkg
bad xar_toc_checksum 65 'badsum.pkg: xar TOC: Sumcheck error' badsum.pkg
$XAR flip-member good.pkg badmember.pkg Payload
bad xar_member_checksum 65 'badmember.pkg: good.pkg/Payload: Sumcheck error' badmember.pkg
$XAR edit good.pkg dotdotmember.pkg 'toc.replace("<name>Payload</name>", "<name>../Payload</name>")'
bad xar_dotdot_member 66 'member "good.pkg/\.\./Payload" is not a relative path' dotdotmember.pkg
printf 'not a package' >junk.pkg
bad not_xar 65 'junk.pkg: not a flat package' junk.pkg
"$MX" forge pkg badloc.pkg --identifier com.example.loc --install-location /Library/../../etc --payload-file p-good.gz >/dev/null
bad install_location_dotdot 66 'install-location "/Library/\.\./\.\./etc" is not an absolute path' badloc.pkg
printf 'pbzx\000\000\000\000\001\000\000\000\000\000\000\000\000\000\000\000\377\377\377\377\377\377\377\377' >badpbzx
"$MX" forge pkg badpbzx.pkg --identifier com.example.pbzx --payload-file badpbzx >/dev/null
bad pbzx_chunk_past_end 65 'pbzx: chunk of 18446744073709551615 bytes' badpbzx.pkg
