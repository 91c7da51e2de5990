# env_knobs.sh — issue 14 §13: garbage in MACEXT_FAKE_TIME, MACEXT_SEED,
# MACEXT_BUSY_MS, MACEXT_FAULT and MACEXT_FAULT_KILL used to be read as 0 or
# as a prefix ("1abc" as 1) and silently ignored; now each is refused like
# a bad option: exit 64, one line naming the variable and the value, and
# the command does nothing.
. "$(dirname "$0")/lib.sh"
t create "$MX" device create mac1
before=$("$MX" store digest)
# knob=value → refused with this text
while IFS='|' read -r var val want; do
	[ -n "$var" ] || continue
	n=$(printf '%s_%s' "$var" "$val" | tr -c 'A-Za-z0-9_\n' '_')
	t_exit 64 "refused_$n" env "$var=$val" "$MX" device create mac2
	t_grep "message_$n" "^macext: $var: expected $want.*, got '" env "$var=$val" "$MX" device list
done <<'TABLE'
MACEXT_FAKE_TIME|1abc|whole seconds since 1970
MACEXT_FAKE_TIME||whole seconds since 1970
MACEXT_FAKE_TIME|-5|whole seconds since 1970
MACEXT_FAKE_TIME|99999999999999999999|whole seconds since 1970
MACEXT_FAKE_TIME| 1700000000|whole seconds since 1970
MACEXT_SEED|seven|a whole number
MACEXT_SEED|-1|a whole number
MACEXT_SEED|18446744073709551616|a whole number
MACEXT_SEED|0x10|a whole number
MACEXT_BUSY_MS|abc|a whole number of milliseconds
MACEXT_BUSY_MS|10s|a whole number of milliseconds
MACEXT_BUSY_MS|-1|a whole number of milliseconds
MACEXT_FAULT|x|the number of the write to fail
MACEXT_FAULT|3x|the number of the write to fail
MACEXT_FAULT_KILL|yes|0 or 1
TABLE
t_out nothing_changed "$before" "$MX" store digest
# a control character in the value is shown escaped, not sent to the terminal
t_grep value_escaped "got '3\\\\x1b\\[2J'" env "MACEXT_FAULT=$(printf '3\033[2J')" "$MX" device list
# well-formed values still work
t fake_time_device env MACEXT_FAKE_TIME=1700000000 "$MX" device create mac3
t_json fake_time_used 'j[-1]["time"]' 1700000000 env MACEXT_DEVICE=mac3 "$MX" log --json
a=$(MACEXT_SEED=42 "$MX" --state "$TMP/s1" device create x --json)
b=$(MACEXT_SEED=42 "$MX" --state "$TMP/s2" device create x --json)
check seed_used test -n "$a" -a "$a" = "$b"
t busy_ok env MACEXT_BUSY_MS=500 "$MX" device list
t fault_zero_is_off env MACEXT_FAULT=0 MACEXT_FAULT_KILL=0 "$MX" device create mac4
