# iofault_write.sh — a write failure at every write statement of a command
# (MACEXT_FAULT=N) makes it fail with a clear error (exit 74) and leaves the
# previous state exactly as it was; fleet batches are all or nothing.
. "$(dirname "$0")/lib.sh"

t create_first "$MX" device create mac1
before=$("$MX" store digest)
n=1; lost=0; msg=0
while [ $n -le 40 ]; do
	MACEXT_FAULT=$n "$MX" device create mac2 --arch x86_64 --os 12.7 >/dev/null 2>"$TMP/e"
	rc=$?
	[ $rc -eq 0 ] && break
	[ $rc -eq 74 ] || lost=1
	grep -q "injected I/O fault at write $n" "$TMP/e" || msg=1
	[ "$("$MX" store digest)" = "$before" ] || lost=1
	n=$((n + 1))
done
check fault_points_exercised test "$n" -gt 3
check every_fault_exit_74_state_unchanged test "$lost" -eq 0
check every_fault_message_clear test "$msg" -eq 0
t_json succeeded_without_fault 'j["arch"]' x86_64 "$MX" device show mac2 --json

# fleet create: a fault in the second batch keeps the first, drops the second whole
MACEXT_FAULT=150 t_exit 74 fleet_fault_fails "$MX" fleet create --count 60 --batch 20 --prefix b \
    --mix 'arm64:15.1=100%'
check_re fleet_fault_names_progress 'of 60 devices created, each batch of 20 all or nothing' "$ERR"
t_json fleet_whole_batches_only 'len([d for d in j if d["name"].startswith("b-")]) % 20' 0 \
    "$MX" device list --json
t store_check_after_faults "$MX" store check
