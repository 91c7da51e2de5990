# vendor_bundles.sh — bundles as real vendors ship them (issue 12 §5 a, b):
# a hidden manager app (Karabiner's /Applications/.Karabiner-VirtualHIDDevice-Manager.app,
# Developer ID team G43BCU2T37) embedding its DriverKit extension, and the
# AppleDouble "._" files a non-Mac extraction leaves in a bundle.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sysext.inc"
sx_ca
T=G43BCU2T37
DEXT=org.pqrs.Karabiner-DriverKit-VirtualHIDDevice
MGR=org.pqrs.Karabiner-VirtualHIDDevice-Manager
sx_ext k/$DEXT.dext $DEXT $T dext --team-name "Fumihiko Takayama" --version 1.8.0
sx_app .Karabiner-VirtualHIDDevice-Manager.app $MGR $T k/$DEXT.dext -- --team-name "Fumihiko Takayama"

# ---- a. a bundle name that begins with a dot ----
sx_dev mac 15.1 --arch arm64
t_grep hidden_app_installs 'installed .* at /Applications/\.Karabiner-VirtualHIDDevice-Manager\.app' \
    "$MX" app install "$B_DIR/.Karabiner-VirtualHIDDevice-Manager.app"
t_grep hidden_app_activates 'needs user approval' "$MX" sysext activate $MGR $DEXT
t_json hidden_app_container 'j[0]["app_id"], j[0]["state"]' "[\"$MGR\", \"activated_waiting_for_user\"]" \
    "$MX" sysext list --json
t hidden_app_approve "$MX" approve sysext $DEXT --as admin:pw
check_eq() { if [ "$2" = "$3" ]; then _pass "$1"; else _fail "$1" "got '$2', wanted '$3'"; fi; }
check_eq hidden_app_enabled "$(sx_state $DEXT)" activated_enabled
# the staged copy and the app are both readable from the store: nothing depends on the dot
t_out hidden_ctl_list "$(printf '1 extension(s)\n--- com.apple.system_extension.driver_extension (Go to '"'"'System Settings > General > Login Items & Extensions > Driver Extensions'"'"' to modify these system extension(s))\nenabled\tactive\tteamID\tbundleID (version)\tname\t[state]\n*\t*\t%s\t%s (1.8.0/1.8.0)\t%s\t[activated enabled]' $T $DEXT Karabiner-DriverKit-VirtualHIDDevice)" \
    "$BIN/systemextensionsctl" list
t store_check "$MX" store check
# a hidden bundle keeps its dot in its name
t_json hidden_app_name 'j["identifier"]' $MGR "$MX" codesign verify "$B_DIR/.Karabiner-VirtualHIDDevice-Manager.app" --json --trust-anchor "$CA/root.pem"

# ---- b. AppleDouble files in a bundle extracted on Linux ----
A="--trust-anchor $CA/root.pem"
cp -r "$B_DIR/.Karabiner-VirtualHIDDevice-Manager.app" "$TMP/ad.app"
res=$TMP/ad.app/Contents/Library/SystemExtensions/$DEXT.dext/Contents/Resources
# an AppleDouble header (RFC 1740): magic 0x00051607, version 0x00020000, filler, 0 entries
printf '\000\005\026\007\000\002\000\000Mac OS X        \000\000' >"$res/._README.txt"
t_exit 69 appledouble_invalid "$MX" codesign verify "$TMP/ad.app/Contents/Library/SystemExtensions/$DEXT.dext" $A
t_grep appledouble_named 'resource "Resources/\._README\.txt" was added after signing: it is AppleDouble metadata \(the extended attributes of "Resources/README\.txt"' \
    "$MX" codesign verify "$TMP/ad.app/Contents/Library/SystemExtensions/$DEXT.dext" $A
t_grep appledouble_what_macos_does 'macOS keeps extended attributes with the file, not as a file in the bundle' \
    "$MX" codesign verify "$TMP/ad.app/Contents/Library/SystemExtensions/$DEXT.dext" $A
# a "._" file that is not AppleDouble gets the plain verdict
printf 'not apple double' >"$res/._README.txt"
t_grep not_appledouble_plain 'resource "Resources/\._README\.txt" was added after signing$' \
    "$MX" codesign verify "$TMP/ad.app/Contents/Library/SystemExtensions/$DEXT.dext" $A
rm -f "$res/._README.txt"
t_json appledouble_removed_valid 'j["kind"]' developer-id "$MX" codesign verify "$TMP/ad.app/Contents/Library/SystemExtensions/$DEXT.dext" --json $A
