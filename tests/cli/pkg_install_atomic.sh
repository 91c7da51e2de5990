# pkg_install_atomic.sh — `pkg install` is one engine operation (issue 12):
# every payload root is imported and its bundle verified before the
# transaction, then all roots are placed in one transaction.  A package
# whose second root fails (a tampered kext, a kext whose CodeDirectory
# names another team, an expired one under --check-expiration) places
# nothing, and a write failure at any point of the placement (MACEXT_FAULT)
# leaves the state digest as it was.  A good vendor-shaped package (an app
# embedding a system extension, a kext, Application Support files) is
# placed whole, and the usual flows follow: the app activates its
# extension, the kext awaits approval.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sysext.inc"
sx_ca
cd "$TMP" || exit 1
T=ABCDE12345
sx_dev mac 13.6 --arch x86_64
log_n() { "$MX" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

# a package root: Application Support first (placed first), then the kext
mkroot() { d=$1; shift
	rm -rf "$d"; mkdir -p "$d/Library/Application Support/Acme" "$d/Library/Extensions"
	echo "settings" >"$d/Library/Application Support/Acme/settings.plist"
	"$MX" forge kext "$d/Library/Extensions/Acme.kext" --bundle-id com.acme.driver --team $T \
	    --ca "$CA" "$@" >/dev/null; }

# ---- a failing second root: nothing placed
for k in tampered other_team; do
	case $k in tampered) a=--tamper ;; other_team) a="--cd-team ZZZZZ99999" ;; esac
	# shellcheck disable=SC2086
	mkroot "r-$k" $a
	"$MX" forge pkg "$k.pkg" --identifier "com.acme.$k" --root "r-$k" >/dev/null
	D=$("$MX" store digest); N=$(log_n)
	t_exit 69 "$k.refused" "$MX" pkg install "$k.pkg"
	t_grep "$k.names_root" "$k.pkg: /Library/Extensions/Acme.kext: Acme.kext: invalid signature" printf '%s\n' "$ERR"
	t_out "$k.digest_unchanged" "$D" "$MX" store digest
	check "$k.nothing_logged" [ "$(log_n)" -eq "$N" ]
	t_json "$k.no_kext" 'len(j)' 0 "$MX" kext list --json
done
# expired: refused only with --check-expiration, accepted (reported) by default
mkroot r-expired --expired-cert --no-signing-time
"$MX" forge pkg expired.pkg --identifier com.acme.expired --root r-expired >/dev/null
D=$("$MX" store digest)
t_exit 69 expired.strict "$MX" pkg install expired.pkg --check-expiration
t_grep expired.strict_reason 'Acme.kext: invalid signature: --check-expiration: the certificate' printf '%s\n' "$ERR"
t_out expired.strict_digest_unchanged "$D" "$MX" store digest
t_json expired.default '[j["placed"], [e["bundle"] for e in j["expired_certificates"]]]' \
    '[["/Library/Application Support/Acme", "/Library/Extensions/Acme.kext"], ["Acme.kext"]]' \
    "$MX" pkg install expired.pkg --json
t_json expired.kext_valid '[k["signature"] for k in j]' '["developer-id-kext"]' "$MX" kext list --json
t remove_expired "$MX" kext remove com.acme.driver

# ---- a write failure anywhere in the placement: all or nothing
sx_ext x/com.acme.ext.systemextension com.acme.ext $T network
sx_app x/Acme.app com.acme.app $T x/com.acme.ext.systemextension
mkroot r-good
mkdir -p r-good/Applications && cp -R "$B_DIR/x/Acme.app" r-good/Applications/
"$MX" forge pkg acme.pkg --identifier com.acme.pkg --root r-good >/dev/null
sx_dev fault 13.6 --arch x86_64
D=$("$MX" store digest); N=$(log_n)
n=1; partial=0; exits=0
while [ $n -le 80 ]; do
	MACEXT_FAULT=$n "$MX" pkg install acme.pkg >/dev/null 2>"$TMP/e"
	rc=$?
	[ $rc -eq 0 ] && break
	[ $rc -eq 74 ] || exits=1
	[ "$("$MX" store digest)" = "$D" ] || partial=1
	n=$((n + 1))
done
check fault.points_exercised [ "$n" -gt 5 ]
check fault.every_failure_exit_74 [ "$exits" -eq 0 ]
check fault.never_half_installed [ "$partial" -eq 0 ]
check fault.then_installed [ "$rc" -eq 0 ]
t_json fault.one_event '[e["what"] for e in j][-1]' 'package acme.pkg installed (3 payload roots)' "$MX" log --json

# ---- the good vendor-shaped package, then the usual flows
export MACEXT_DEVICE=mac
t_json good.install 'sorted(j["placed"])' \
    '["/Applications/Acme.app", "/Library/Application Support/Acme", "/Library/Extensions/Acme.kext"]' \
    "$MX" pkg install acme.pkg --json
t_grep good.logged 'package acme.pkg installed \(3 payload roots\)' "$MX" log
t_grep good.activates 'needs user approval' "$MX" sysext activate com.acme.app com.acme.ext
t good.approve_sysext "$MX" approve sysext com.acme.ext --as admin:pw
t_json good.sysext_enabled '[s["state"] for s in j]' '["activated_enabled"]' "$MX" sysext list --json
t_json good.kext_installed '[(k["path"], k["state"], k["signature"]) for k in j]' \
    '[["/Library/Extensions/Acme.kext", "installed", "developer-id-kext"]]' "$MX" kext list --json
t_exit 27 good.kext_awaits_approval kmutil load -b com.acme.driver
t_json good.kext_awaiting '[k["state"] for k in j]' '["awaiting_user_approval"]' "$MX" kext list --json
t good.store_check "$MX" store check
