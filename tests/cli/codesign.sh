# codesign.sh — `macext codesign verify` on a real Developer ID signed fat
# Mach-O (npm @sentry/cli-darwin@3.8.0, fetched once into a cache with
# `npm pack`, pinned by sha256) and on broken input.
. "$(dirname "$0")/lib.sh"

# t_json_rc CODE NAME EXPR WANT CMD...: t_json for a command that exits with CODE
t_json_rc() { code=$1; n=$2; expr=$3; want=$4; shift 4; _run "$@"
  got=$(printf '%s' "$OUT" | python3 -c "import json,sys
j=json.load(sys.stdin)
v=($expr)
print(json.dumps(v) if not isinstance(v,str) else v)" 2>&1)
  if [ $RC -eq "$code" ] && [ "$got" = "$want" ]; then _pass "$n"
  else _fail "$n" "exit $RC (wanted $code): $*" "$expr = $got, wanted $want" "$ERR"; fi; }

SENTRY_TGZ_SHA256=711d8d61e448b2e8a10c217acbfe206db7456e0072f041136e3bf7935fdf5cfa
CACHE=${MACEXT_TEST_CACHE:-${HOME:-/tmp}/.cache/macext-test}

# usage and input errors
t_exit 64 no_subcommand "$MX" codesign
t_exit 64 bad_subcommand "$MX" codesign frobnicate x
t_exit 64 no_path "$MX" codesign verify
t_exit 67 missing_path "$MX" codesign verify "$TMP/nope"
printf 'hello, not a Mach-O\n' >"$TMP/text"
t_exit 65 not_macho "$MX" codesign verify "$TMP/text"
t_grep not_macho_msg 'not a Mach-O file' "$MX" codesign verify "$TMP/text"
# a Mach-O header cut short is an invalid signature, not a crash
printf '\317\372\355\376\007\000\000\001' >"$TMP/cut"
t_exit 69 truncated_macho_invalid "$MX" codesign verify "$TMP/cut"

sentry=""
fetch_sentry() {
	mkdir -p "$CACHE" || return 1
	tgz="$CACHE/sentry-cli-darwin-3.8.0.tgz"
	if [ ! -f "$tgz" ]; then
		command -v npm >/dev/null 2>&1 || return 1
		(cd "$CACHE" && timeout 300 npm pack --silent @sentry/cli-darwin@3.8.0 >/dev/null 2>&1) || return 1
	fi
	echo "$SENTRY_TGZ_SHA256  $tgz" | sha256sum -c --status || { echo "sentry tarball checksum mismatch" >&2; return 1; }
	mkdir -p "$TMP/sentry" && tar xzf "$tgz" -C "$TMP/sentry" package/bin/sentry-cli || return 1
	sentry="$TMP/sentry/package/bin/sentry-cli"
}
if ! fetch_sentry; then
	skip sentry_developer_id "npm or the network is unavailable (npm pack @sentry/cli-darwin@3.8.0)"
else
	t_json sentry_kind 'j["kind"]' developer-id "$MX" codesign verify "$sentry" --json
	t_json sentry_team 'j["team_id"]' 97JCY7859U "$MX" codesign verify "$sentry" --json
	t_json sentry_signer 'j["signer"]' "Developer ID Application: GetSentry LLC (97JCY7859U)" \
	    "$MX" codesign verify "$sentry" --json
	# cdhashes cross-checked with a Python SHA-256 over each slice's CodeDirectory
	t_json sentry_archs '[(a["arch"], a["cdhash"]) for a in j["archs"]]' \
	    '[["x86_64", "fcd45ae42c5190bdde8c0709168c2286074aadeb"], ["arm64", "0b061c70be64938c3cefa26bb236f2ef5d6c9425"]]' \
	    "$MX" codesign verify "$sentry" --json
	t_json sentry_not_kext 'j["kext_requirement_met"]' false "$MX" codesign verify "$sentry" --json
	t_json sentry_devid_req 'j["devid_requirement_met"]' true "$MX" codesign verify "$sentry" --json
	t_json sentry_signing_time 'j["signing_time"]' 2026-09-16T14:16:55Z "$MX" codesign verify "$sentry" --json
	t_grep sentry_text 'developer-id' "$MX" codesign verify "$sentry"
	# one byte flipped inside a code page of the arm64 slice: invalid, exit 69
	cp "$sentry" "$TMP/flipped"
	off=$(python3 -c "import struct;d=open('$sentry','rb').read(48);print(struct.unpack('>I',d[36:40])[0]+70000)")
	python3 -c "
f=open('$TMP/flipped','r+b'); f.seek($off); b=f.read(1); f.seek($off); f.write(bytes([b[0]^1]))"
	t_exit 69 flipped_exit "$MX" codesign verify "$TMP/flipped"
	t_json_rc 69 flipped_kind 'j["kind"]' invalid "$MX" codesign verify "$TMP/flipped" --json
	t_json_rc 69 flipped_reason '"page 17 " in j["reason"] and "does not match" in j["reason"]' true \
	    "$MX" codesign verify "$TMP/flipped" --json
	t_json_rc 69 flipped_other_slice_ok '[a["kind"] for a in j["archs"]]' '["developer-id", "invalid"]' \
	    "$MX" codesign verify "$TMP/flipped" --json
	# a byte of the CMS blob flipped: the signature no longer verifies
	cp "$sentry" "$TMP/cms"
	python3 - "$TMP/cms" <<'EOF'
import struct, sys
p = sys.argv[1]
d = bytearray(open(p, 'rb').read())
off = struct.unpack('>I', d[16:20])[0]          # first slice
s = d[off:]
n = struct.unpack('<I', s[16:20])[0]; q = 32
for _ in range(n):
    cmd, cs = struct.unpack('<II', s[q:q+8])
    if cmd == 0x1d:
        dataoff = struct.unpack('<I', s[q+8:q+12])[0]
    q += cs
sb = off + dataoff
cnt = struct.unpack('>I', d[sb+8:sb+12])[0]
for k in range(cnt):
    t, o = struct.unpack('>II', d[sb+12+8*k:sb+20+8*k])
    if t == 0x10000:
        ln = struct.unpack('>I', d[sb+o+4:sb+o+8])[0]
        cms = bytes(d[sb+o:sb+o+ln])
        # the messageDigest signed attribute: OID 1.2.840.113549.1.9.4, SET { OCTET STRING }
        at = cms.index(bytes.fromhex('06092a864886f70d010904')) + 11 + 4
        d[sb + o + at] ^= 0x55
open(p, 'wb').write(d)
EOF
	t_json_rc 69 cms_flipped_reason '"CMS signature" in j["reason"]' true "$MX" codesign verify "$TMP/cms" --json
	t_json_rc 69 cms_flipped_kind 'j["kind"]' invalid "$MX" codesign verify "$TMP/cms" --json
fi
