# sysext_errors.sh — every OSSystemExtensionErrorDomain code a request can
# get here, in sysextd's order of checks (system-extensions.md §2.6 a, §2.8),
# and that a failed request leaves no record, no staged file, only its event.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sysext.inc"
sx_ca
T=AAAAAAAAAA
# activate APP EXT and expect error CODE (name) in the message, exit EXIT
want_err() { _n=$1; _code=$2; _exit=$3; shift 3
  _run "$MX" sysext activate "$@"
  if [ $RC -eq "$_exit" ] && printf '%s' "$ERR" | grep -q "OSSystemExtensionErrorDomain error $_code "; then
    _pass "$_n"; else _fail "$_n" "exit $RC (wanted $_exit, error $_code): $*" "$OUT" "$ERR"; fi; }

sx_dev e15 15.1
sx_ext ok/com.example.es.systemextension com.example.es $T endpoint-security
sx_app Good.app com.example.good $T ok/com.example.es.systemextension

# 2 missingEntitlement: the app lacks the install entitlement; the extension its category's
sx_app NoInstall.app com.example.noinstall $T ok/com.example.es.systemextension -- --no-install-entitlement
t install_noinstall "$MX" app install "$B_DIR/NoInstall.app"
want_err e2_no_install_entitlement 2 66 com.example.noinstall com.example.es
sx_ext noes/com.example.noes.systemextension com.example.noes $T endpoint-security \
  --drop-entitlement com.apple.developer.endpoint-security.client
sx_app NoEs.app com.example.noesapp $T noes/com.example.noes.systemextension
t install_noes "$MX" app install "$B_DIR/NoEs.app"
want_err e2_no_category_entitlement 2 66 com.example.noesapp com.example.noes
sx_ext nenovar/com.example.ne.systemextension com.example.ne $T network \
  --drop-entitlement com.apple.developer.networking.networkextension \
  --entitlement com.apple.developer.networking.networkextension=[packet-tunnel-provider]
sx_app NeNoVar.app com.example.neapp $T nenovar/com.example.ne.systemextension
t install_nenovar "$MX" app install "$B_DIR/NeNoVar.app"
want_err e2_ne_not_systemextension_variant 2 66 com.example.neapp com.example.ne

# 3 unsupportedParentBundleLocation: run from outside /Applications
want_err e3_outside_applications 3 70 "$B_DIR/Good.app" com.example.es

# 4 extensionNotFound: not in the app; deactivation from another app
t install_good "$MX" app install "$B_DIR/Good.app"
want_err e4_not_in_app 4 67 com.example.good com.example.missing
t activate_good "$MX" sysext activate com.example.good com.example.es
t approve_good "$MX" approve sysext com.example.es --as admin:pw
t_exit 67 e4_deactivate_from_other_app "$MX" sysext deactivate com.example.noesapp com.example.es --as admin:pw
t_grep e4_other_app_message 'error 4 \(extensionNotFound\): Extension not found in App bundle' "$MX" sysext deactivate com.example.noesapp com.example.es --as admin:pw

# 6 duplicateExtensionIdentifer: the identifier is another team's
sx_ext dup/com.example.es.systemextension com.example.es BBBBBBBBBB endpoint-security
sx_app Dup.app com.example.dup BBBBBBBBBB dup/com.example.es.systemextension
t install_dup "$MX" app install "$B_DIR/Dup.app"
want_err e6_duplicate_identifier 6 68 com.example.dup com.example.es

# 8 codeSignatureInvalid: tampered, ad hoc, unsigned, untrusted root, Team ID mismatch
sx_ext tamper/com.example.t.systemextension com.example.t $T endpoint-security --tamper
sx_app Tamper.app com.example.tamper $T tamper/com.example.t.systemextension
sx_ext adhoc/com.example.a.systemextension com.example.a $T endpoint-security --adhoc
sx_app Adhoc.app com.example.adhoc $T adhoc/com.example.a.systemextension
sx_ext other/com.example.o.systemextension com.example.o BBBBBBBBBB endpoint-security
sx_app Mismatch.app com.example.mismatch $T other/com.example.o.systemextension
sx_ext redist/com.example.r.systemextension com.example.r BBBBBBBBBB endpoint-security \
  --entitlement com.apple.developer.system-extension.redistributable=true
sx_app Redist.app com.example.redist $T redist/com.example.r.systemextension
for a in Tamper Adhoc Mismatch Redist; do t "install_$a" "$MX" app install "$B_DIR/$a.app"; done
want_err e8_tampered 8 69 com.example.tamper com.example.t
want_err e8_adhoc 8 69 com.example.adhoc com.example.a
want_err e8_team_mismatch 8 69 com.example.mismatch com.example.o
t_grep redistributable_may_differ 'needs user approval' "$MX" sysext activate com.example.redist com.example.r
"$MX" device create untrusting --os 15.1 >/dev/null
MACEXT_DEVICE=untrusting t install_untrusting "$MX" app install "$B_DIR/Good.app"
MACEXT_DEVICE=untrusting want_err e8_untrusted_root 8 69 com.example.good com.example.es

# 9 validationFailed: no usage description, entitlements beyond the category, a dext version
sx_ext nousage/com.example.nu.systemextension com.example.nu $T endpoint-security --no-usage-description
sx_app NoUsage.app com.example.nousage $T nousage/com.example.nu.systemextension
sx_ext badver/com.example.drv.dext com.example.drv $T dext --version 1.200
sx_app BadVer.app com.example.badver $T badver/com.example.drv.dext
sx_ext greedy/com.example.g.systemextension com.example.g $T network --entitlement com.apple.developer.endpoint-security.client=true
sx_app Greedy.app com.example.greedy $T greedy/com.example.g.systemextension
for a in NoUsage BadVer Greedy; do t "install_$a" "$MX" app install "$B_DIR/$a.app"; done
want_err e9_no_usage_description 9 66 com.example.nousage com.example.nu
want_err e9_dext_version 9 66 com.example.badver com.example.drv
want_err e9_least_privilege 9 66 com.example.greedy com.example.g

# 11 requestCanceled: the delegate cancels a replacement
sx_ext v2/com.example.es.systemextension com.example.es $T endpoint-security --version 2.0
sx_app v2/Good.app com.example.good $T v2/com.example.es.systemextension
t install_good2 "$MX" app install "$B_DIR/v2/Good.app"
want_err e11_delegate_cancels 11 70 com.example.good com.example.es --on-replace cancel
check_eq e11_old_version_stays "$(sx_json "print([x['bundle_version'] for x in j if x['bundle_id']=='com.example.es'])")" "['1.0.0']"

# 12 requestSuperseded: a second request while the first waits for the user
sx_ext wait/com.example.w.systemextension com.example.w $T endpoint-security
sx_app Wait.app com.example.wait $T wait/com.example.w.systemextension
t install_wait "$MX" app install "$B_DIR/Wait.app"
t first_request "$MX" sysext activate com.example.wait com.example.w
t second_request "$MX" sysext activate com.example.wait com.example.w
t_grep e12_first_superseded 'pending activation request for com.example.w is superseded: OSSystemExtensionErrorDomain error 12 \(requestSuperseded\)' "$MX" log

# the failures left no record and no staged copy, only events
t_json failures_left_no_records 'sorted(x["bundle_id"] for x in j)' '["com.example.es", "com.example.r", "com.example.w"]' "$MX" sysext list --json
t_grep failures_are_events 'activation request for com.example.t from com.example.tamper failed.*error 8' "$MX" log

# 5 and 7 need an Info.plist edited after signing: only with SIP disabled (no signature enforcement)
sx_dev nosip 15.1 --sip off
edit_info() { python3 - "$1" "$2" "$3" <<'EOF'
import plistlib, sys
p, key, val = sys.argv[1:4]
d = plistlib.load(open(p, 'rb'))
if val == '-': d.pop(key, None)
else: d[key] = val
plistlib.dump(d, open(p, 'wb'))
EOF
}
sx_ext noid/com.example.noid.systemextension com.example.noid $T endpoint-security
sx_app NoId.app com.example.noidapp $T noid/com.example.noid.systemextension
edit_info "$B_DIR/NoId.app/Contents/Library/SystemExtensions/com.example.noid.systemextension/Contents/Info.plist" CFBundleIdentifier -
sx_ext cat/com.example.cat.systemextension com.example.cat $T endpoint-security
sx_app Cat.app com.example.catapp $T cat/com.example.cat.systemextension
edit_info "$B_DIR/Cat.app/Contents/Library/SystemExtensions/com.example.cat.systemextension/Contents/Info.plist" NSSystemExtensionPointIdentifier com.example.unknown_category
for a in NoId Cat; do t "install_$a" "$MX" app install "$B_DIR/$a.app"; done
want_err e5_missing_identifier 5 66 com.example.noidapp com.example.noid
want_err e7_unknown_category 7 66 com.example.catapp com.example.cat
# with SIP off a broken signature is not enforced (R11), so the tampered one loads there
t install_tamper_nosip "$MX" app install "$B_DIR/Tamper.app"
t_grep sip_off_skips_signature 'needs user approval' "$MX" sysext activate com.example.tamper com.example.t
