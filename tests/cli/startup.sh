# startup.sh — what main() sets up before any command: usage/help, random
# bytes (kernel getrandom, or the MACEXT_SEED stream), and OpenSSL's
# configuration (the system openssl.cnf is skipped; an explicit
# OPENSSL_CONF is still read).  docs/performance.md.
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
