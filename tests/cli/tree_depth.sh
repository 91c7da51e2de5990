# tree_depth.sh — issue 14 §7: a signed kext or app whose Contents/Resources
# nests 1,000 directories deep used to crash `kext install` and `app
# install` (SIGSEGV: unbounded recursion in the content store's walk).  Every
# tree walk is bounded at 32 levels like `codesign verify`'s: the install is
# refused with a clear message, nothing is stored, and the state stays
# consistent.
. "$(dirname "$0")/lib.sh"
"$MX" forge ca "$TMP/ca" >/dev/null 2>&1
t create "$MX" device create mac --arch x86_64 --os 14.5 --admin admin:pw --trust-anchor "$TMP/ca/root.pem"
deep() {   # deep DIR: 1,000 nested directories with a file at the bottom
	p="$1"; i=0; while [ $i -lt 1000 ]; do p="$p/d"; i=$((i + 1)); done
	mkdir -p "$p" && echo x > "$p/f"; }
t forge_kext "$MX" forge kext "$TMP/Deep.kext" --bundle-id com.example.deep --team FLEETTEAM1 \
    --ca "$TMP/ca" --arch x86_64
deep "$TMP/Deep.kext/Contents/Resources"
t_exit 71 kext_install_refused "$MX" kext install "$TMP/Deep.kext"
t_grep kext_install_message "Deep.kext: the tree nests deeper than 32 directories" "$MX" kext install "$TMP/Deep.kext"
t_json kext_not_installed 'len(j)' 0 "$MX" kext list --json
t forge_app "$MX" forge app "$TMP/Deep.app" --bundle-id com.example.deepapp --team FLEETTEAM1 --ca "$TMP/ca"
deep "$TMP/Deep.app/Contents/Resources"
t_exit 71 app_install_refused "$MX" app install "$TMP/Deep.app"
t_grep app_install_message "Deep.app: the tree nests deeper than 32 directories" "$MX" app install "$TMP/Deep.app"
t_grep codesign_verify_agrees "invalid signature: the bundle nests deeper than 32" "$MX" codesign verify "$TMP/Deep.kext" --trust-anchor "$TMP/ca/root.pem"
t_grep state_consistent '^ok: 1 devices' "$MX" store check
check no_temporaries_left sh -c '! ls -a "$1/cas" 2>/dev/null | grep -q "^\.tmp-"' - "$MACEXT_STATE"
