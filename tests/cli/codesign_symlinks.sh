# codesign_symlinks.sh — issue 14 §6: `codesign verify` agrees with
# install.  A kext whose executable, Info.plist or Contents is a symbolic
# link out of the bundle (to a copy of the genuine signed file) verified as
# developer-id-kext, exit 0, while `kext install` refused it.  The one bundle
# reader (src/formats/bundle.c) now refuses such links for both; a genuine
# bundle still verifies and installs.
. "$(dirname "$0")/lib.sh"
"$MX" forge ca "$TMP/ca" >/dev/null 2>&1
A="$TMP/ca/root.pem"
for v in good exe info contents plugin; do
	"$MX" forge kext "$TMP/$v.kext" --bundle-id "com.example.$v" --team FLEETTEAM1 --ca "$TMP/ca" \
	    --arch x86_64 --executable exe >/dev/null
done
mkdir -p "$TMP/out"
mv "$TMP/exe.kext/Contents/MacOS/exe" "$TMP/out/exe" && ln -s ../../../out/exe "$TMP/exe.kext/Contents/MacOS/exe"
mv "$TMP/info.kext/Contents/Info.plist" "$TMP/out/Info.plist" && ln -s ../../out/Info.plist "$TMP/info.kext/Contents/Info.plist"
mv "$TMP/contents.kext/Contents" "$TMP/out/Contents" && ln -s ../out/Contents "$TMP/contents.kext/Contents"
mkdir -p "$TMP/plugin.kext/Contents/PlugIns" && ln -s ../../../good.kext "$TMP/plugin.kext/Contents/PlugIns/good.kext"

t_grep good_verifies '^.*good.kext: developer-id-kext$' "$MX" codesign verify "$TMP/good.kext" --trust-anchor "$A"
t create "$MX" device create mac --arch x86_64 --os 14.5 --trust-anchor "$A"
t good_installs "$MX" kext install "$TMP/good.kext"
for v in exe:Contents/MacOS/exe info:Contents/Info.plist contents:Contents plugin:Contents/PlugIns/good.kext; do
	name=${v%%:*}; rel=${v#*:}
	t_exit 66 "${name}_link_verify_refused" "$MX" codesign verify "$TMP/$name.kext" --trust-anchor "$A"
	t_grep "${name}_link_verify_message" "$name.kext: $rel is a symbolic link" "$MX" codesign verify "$TMP/$name.kext" --trust-anchor "$A"
	t_exit 66 "${name}_link_install_refused" "$MX" kext install "$TMP/$name.kext"
	t_grep "${name}_link_install_message" "$name.kext: .*$rel is a symbolic link" "$MX" kext install "$TMP/$name.kext"
done
t_json only_good_installed '[k["bundle_id"] for k in j]' '["com.example.good"]' "$MX" kext list --json
