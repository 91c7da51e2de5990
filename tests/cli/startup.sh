# startup.sh — what main() sets up before any command: usage/help, random
# bytes (kernel getrandom, or the MACEXT_SEED stream), and OpenSSL's
# configuration (the system openssl.cnf is skipped; an explicit
# OPENSSL_CONF is still read), and the libraries opened on first use
# rather than linked (src/formats/dl.h).  docs/performance.md.
. "$(dirname "$0")/lib.sh"

# ---- usage and help: unchanged text, exit codes ----
t_grep help_lists_commands '^  device +create\|list\|show\|delete' "$MX" --help
t_exit 0 help_exit "$MX" --help
t_exit 0 help_word "$MX" help
t_exit 0 help_short "$MX" -h
_run "$MX" --help
check help_on_stdout [ -n "$OUT" ] && [ -z "$ERR" ]
t_exit 64 no_command_is_usage "$MX"
check no_command_usage_on_stderr sh -c 'printf "%s" "$0" | grep -q "^usage: macext"' "$ERR"
t_exit 64 unknown_command "$MX" frobnicate
check unknown_command_message sh -c 'printf "%s" "$0" | grep -q "unknown command .frobnicate."' "$ERR"

# ---- random bytes without MACEXT_SEED: fresh in every process ----
ids() {  # ids STATE NAME: "serial udid boot_session" of a new device
	env -u MACEXT_SEED "$MX" --state "$1" device create "$2" --json |
	    python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["serial"], j["udid"], j["boot_session"])'
}
a=$(ids "$TMP/r1" m) b=$(ids "$TMP/r2" m) c=$(ids "$TMP/r1" n)
check random_ids_made [ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ]
check random_differs_between_processes [ "$a" != "$b" ]
check random_differs_in_one_state [ "$a" != "$c" ]
check random_fields_distinct python3 -c '
import sys
v = sys.argv[1].split() + sys.argv[2].split() + sys.argv[3].split()
sys.exit(0 if len(v) == 9 and len(set(v)) == 9 else 1)' "$a" "$b" "$c"

# ---- MACEXT_SEED: the same byte stream as before getrandom(2) replaced
# RAND_bytes (values recorded from the OpenSSL build), in any state dir ----
seeded() {
	MACEXT_SEED=7 MACEXT_FAKE_TIME=1700000000 "$MX" --state "$1" device create "$2" --json |
	    python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["serial"], j["udid"], j["boot_session"])'
}
want="GGR5417J0M 022AB1BA-8040-48E6-8B29-3E6770EB3A95 D70D3259-E4E1-4B63-9C66-3CF4D73C4C04"
s1=$(seeded "$TMP/s1" a) s2=$(seeded "$TMP/s2" a)
check seed_stream_unchanged [ "$s1" = "$want" ]
check seed_same_in_two_states [ "$s1" = "$s2" ]
s3=$(MACEXT_SEED=8 MACEXT_FAKE_TIME=1700000000 "$MX" --state "$TMP/s3" device create a --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["serial"])')
check other_seed_other_serial [ "$s3" != "GGR5417J0M" ]

# ---- OpenSSL: works without the system openssl.cnf; OPENSSL_CONF honoured ----
"$MX" forge ca "$TMP/ca" >/dev/null
t forge_kext "$MX" forge kext "$TMP/K.kext" --bundle-id com.example.startup --team ABCDE12345 \
    --ca "$TMP/ca" --arch x86_64
t_grep verify_without_system_config 'developer-id-kext' \
    "$MX" codesign verify "$TMP/K.kext" --trust-anchor "$TMP/ca/root.pem"
# a configuration that activates only OpenSSL's null provider: no SHA-256,
# so the same verification must fail if (and only if) the file was read
cat > "$TMP/null.cnf" <<'EOF'
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
null = null_sect
[null_sect]
activate = 1
EOF
t_exit 69 openssl_conf_is_read env OPENSSL_CONF="$TMP/null.cnf" \
    "$MX" codesign verify "$TMP/K.kext" --trust-anchor "$TMP/ca/root.pem"

# ---- libraries opened on first use (src/formats/dl.h): not linked, not
# loaded by a command that does not need them, loaded by one that does, and
# a clear error when one is missing ----
LAZY='libcurl|libarchive|libmicrohttpd|libssl|libnghttp2'
needed=$(readelf -d "$MX" | grep NEEDED)
check lazy_libs_not_linked sh -c '! printf "%s" "$1" | grep -Eq "$2"' sh "$needed" "$LAZY"
check crypto_still_linked sh -c 'printf "%s" "$1" | grep -q "libcrypto.so"' sh "$needed"
"$MX" --state "$TMP/l" device create lazy >/dev/null
LD_DEBUG=files "$MX" --state "$TMP/l" device show >/dev/null 2>"$TMP/ld-show"
check device_show_loads_none sh -c '! grep -Eq "file=($2)" "$1"' sh "$TMP/ld-show" "$LAZY"
check device_show_ld_debug_read grep -q 'file=libsqlite3.so.0' "$TMP/ld-show"
mkdir -p "$TMP/root/Library" && echo hi > "$TMP/root/Library/a.txt"
LD_DEBUG=files "$MX" forge pkg "$TMP/a.pkg" --identifier com.example.lazy --version 1.0 \
    --root "$TMP/root" >/dev/null 2>"$TMP/ld-pkg"
check forge_pkg_made [ -s "$TMP/a.pkg" ]
check forge_pkg_dlopens_libarchive grep -q 'file=libarchive.so.13 .*dynamically loaded' "$TMP/ld-pkg"
check forge_pkg_loads_no_curl sh -c '! grep -Eq "file=(libcurl|libmicrohttpd)" "$1"' sh "$TMP/ld-pkg"

# a library that is not there: an LD_PRELOAD shim makes dlopen of one SONAME
# fail the way a missing file does (the sanitizer runtime then is not first)
cat > "$TMP/hide.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
void *dlopen(const char *file, int flags)
{
	static void *(*next)(const char *, int);
	if (next == NULL)
		next = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	const char *hide = getenv("HIDE_SONAME");
	char gone[512];
	if (file && hide && strcmp(file, hide) == 0) {
		snprintf(gone, sizeof gone, "/nonexistent/%s", file);
		file = gone;
	}
	return next(file, flags);
}
C
if cc -shared -fPIC -o "$TMP/hide.so" "$TMP/hide.c" 2>"$TMP/cc.err"; then
	hid() { _h=$1; shift; HIDE_SONAME=$_h LD_PRELOAD="$TMP/hide.so" \
	    ASAN_OPTIONS="${ASAN_OPTIONS}:verify_asan_link_order=0" "$@"; }
	t_exit 74 missing_libarchive_exit hid libarchive.so.13 "$MX" forge pkg "$TMP/b.pkg" \
	    --identifier com.example.lazy --version 1.0 --root "$TMP/root"
	check_re missing_libarchive_message '^macext: .*libarchive\.so\.13, needed to read and write packages and archives, cannot be loaded: .*No such file.*\(Debian package libarchive13\)' "$ERR"
	check missing_libarchive_no_file [ ! -e "$TMP/b.pkg" ]
	t_exit 74 missing_libarchive_expand hid libarchive.so.13 "$MX" pkg expand "$TMP/a.pkg" "$TMP/x"
	check_re missing_libarchive_expand_message 'libarchive\.so\.13, needed' "$ERR"
	t missing_libarchive_device_show_works hid libarchive.so.13 "$MX" --state "$TMP/l" device show
	t_exit 74 missing_libmicrohttpd_serve hid libmicrohttpd.so.12 "$MX" --state "$TMP/l" serve \
	    --listen 127.0.0.1:0
	check_re missing_libmicrohttpd_message 'libmicrohttpd\.so\.12, needed by macext serve, cannot be loaded: .*\(Debian package libmicrohttpd12\)' "$ERR"
	t_exit 74 missing_libcurl_agent hid libcurl.so.4 "$MX" --state "$TMP/l" mdm agent --until idle
	check_re missing_libcurl_message 'libcurl\.so\.4, needed by the MDM agent .*\(Debian package libcurl4\)' "$ERR"
	t agent_with_libcurl "$MX" --state "$TMP/l" mdm agent --until idle
else
	skip missing_library "cc could not build the dlopen shim: $(cat "$TMP/cc.err")"
fi
