# check_expiration.sh — --check-expiration where bundles are verified for a
# device (issue 12 §1, §4): `kext install`, `sysext activate`, `app
# install`, `kmutil create` (without -z) and `pkg install`.  By default an
# expired certificate is macOS's "not automatic grounds for rejection": the
# bundle is accepted and the expiry reported (text and --json); with
# --check-expiration it is refused with the certificate and the date, and
# nothing changes.  Chains from forge: an expired leaf (no signing time),
# an intermediate expired after the signing time, Apple's CA past
# 2026-10-24 (--apple --no-signing-time).  A broken signature is not made
# worse or better by the option.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
"$MX" forge ca ca >/dev/null
F="--team ABCDE12345 --ca ca"
t create "$MX" device create i --arch x86_64 --os 13.6 --admin admin:pw --trust-anchor ca/root.pem
digest() { "$MX" store digest; }
# t_refused NAME CMD...: exit 69, the reason names the option and the expiry, no state change
t_refused() { _n=$1; shift; _d=$(digest); _run "$@"
	if [ $RC -eq 69 ] && printf '%s' "$ERR" | grep -q -- '--check-expiration: the certificate ".*" expired on' &&
	    [ "$(digest)" = "$_d" ]; then _pass "$_n"
	else _fail "$_n" "exit $RC (wanted 69, reason, state unchanged): $*" "$OUT" "$ERR"; fi; }

# ---- kext install
for k in leaf ca apple; do
	case $k in
	leaf)  args="--bundle-id com.example.leaf $F --expired-cert --no-signing-time"; sig=developer-id-kext ;;
	ca)    args="--bundle-id com.example.ca $F --ca-not-before 2020-01-01 --ca-not-after 2022-01-01 --signing-time 2021-06-01"; sig=developer-id-kext ;;
	apple) args="--bundle-id com.apple.driver.example --ca ca --apple --no-signing-time"; sig=apple ;;
	esac
	# shellcheck disable=SC2086
	"$MX" forge kext "$k.kext" $args >/dev/null
	# shellcheck disable=SC2086
	"$MX" forge kext "s$k.kext" $(echo "$args" | sed 's/--bundle-id \([^ ]*\)/--bundle-id \1.strict/') >/dev/null
	t_refused kext.$k.strict "$MX" kext install "s$k.kext" --check-expiration
	t_json kext.$k.strict_not_installed '[x["bundle_id"] for x in j if x["bundle_id"].endswith(".strict")]' '[]' "$MX" kext list --json
	t_json kext.$k.default "[j['signature'], len(j['expired_certificates']) > 0, j['expired_certificates'][0]['bundle']]" \
	    "[\"$sig\", true, \"$k.kext\"]" "$MX" kext install "$k.kext" --json
done
t_grep kext.text_reports 'expired: certificate "Developer ID Application: .*" of leaf.kext.s signature expired on 2021-01-01T00:00:00Z \(before now\)' \
    "$MX" kext install leaf.kext
t_grep kext.text_default 'not grounds for rejection' "$MX" kext install leaf.kext
t_json kext.ca_when '[j["expired_certificates"][0]["subject"][:12], j["expired_certificates"][0]["expired_before"]]' \
    '["Developer ID", "now"]' "$MX" kext install ca.kext --json
t_json kext.apple_which 'j["expired_certificates"][0]["subject"]' "Apple Code Signing Certification Authority" "$MX" kext install apple.kext --json
t_json kext.apple_no_team '[(k["team_id"], k["developer_name"]) for k in j if k["bundle_id"] == "com.apple.driver.example"]' \
    '[["", "Software Signing"]]' "$MX" kext list --json
# before the Apple CA expired, nothing to report or refuse
t_json kext.apple_before 'j["expired_certificates"]' '[]' env MACEXT_FAKE_TIME=1780000000 "$MX" kext install sapple.kext --check-expiration --json
# a valid chain: nothing reported, strict accepts it
"$MX" forge kext ok.kext --bundle-id com.example.ok $F >/dev/null
t_json kext.valid_strict '[j["signature"], j["expired_certificates"]]' '["developer-id-kext", []]' "$MX" kext install ok.kext --check-expiration --json
# a tampered kext is installed as invalid (an installer copies; loading refuses it), with or without the option
"$MX" forge kext bad.kext --bundle-id com.example.bad $F --tamper >/dev/null
t_json kext.tampered_strict 'j["signature"]' invalid "$MX" kext install bad.kext --check-expiration --json
t_exit 1 kext.tampered_not_loadable kmutil load -b com.example.bad

# ---- app install and sysext activate
"$MX" forge sysext com.example.x.systemextension --bundle-id com.example.x $F --category network --expired-cert --no-signing-time >/dev/null
"$MX" forge app X.app --bundle-id com.example.xapp $F --embed com.example.x.systemextension >/dev/null
"$MX" forge app Y.app --bundle-id com.example.yapp $F --expired-cert --no-signing-time >/dev/null
t_refused app.embedded_strict "$MX" app install X.app --check-expiration
t_grep app.embedded_names_it 'com.example.x.systemextension: invalid signature' printf '%s\n' "$ERR"
t_refused app.own_strict "$MX" app install Y.app --check-expiration
t_exit 67 app.not_placed "$MX" sysext activate com.example.yapp com.example.y
t_json app.default '[e["bundle"] for e in j["expired_certificates"]]' '["com.example.x.systemextension"]' "$MX" app install X.app --json
t_grep app.default_text 'expired: certificate .* of Y.app.s signature expired' "$MX" app install Y.app
# a refused activation request leaves only its event (as any refusal does)
t_exit 69 sysext.strict "$MX" sysext activate com.example.xapp com.example.x --check-expiration
t_grep sysext.strict_reason 'OSSystemExtensionErrorDomain error 8 \(codeSignatureInvalid\): .*--check-expiration: the certificate ".*" expired on 2021-01-01' printf '%s\n' "$ERR"
t_json sysext.strict_no_record 'len(j)' 0 "$MX" sysext list --json
t_json sysext.strict_event '"failed" in j[-1]["what"] and "--check-expiration" in j[-1]["why"]' true "$MX" log --json
t_json sysext.default '[j["state"], j["expired_certificates"][0]["bundle"]]' \
    '["activated_waiting_for_user", "com.example.x.systemextension"]' "$MX" sysext activate com.example.xapp com.example.x --json

# ---- kmutil create (a developer's collection file; -z skips the check entirely)
t kmutil.default kmutil create -n aux -A "$TMP/a.kc" -p leaf.kext
t_grep kmutil.default_warns 'Warning: leaf.kext: the certificate .* has expired \(not grounds for rejection' printf '%s\n' "$ERR"
t_exit 1 kmutil.strict kmutil create -n aux -A "$TMP/b.kc" -p leaf.kext --check-expiration
t_grep kmutil.strict_reason 'Authenticating extension com.example.leaf failed: invalid \(--check-expiration: the certificate' printf '%s\n' "$ERR"
check kmutil.strict_no_file [ ! -e "$TMP/b.kc" ]
t kmutil.noauth kmutil create -n aux -A "$TMP/c.kc" -p leaf.kext -z --check-expiration
