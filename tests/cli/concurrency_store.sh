# concurrency_store.sh — several processes drive one state directory at
# once: nothing is lost or corrupted; a store held locked past
# MACEXT_BUSY_MS fails with exit 75 and a clear message, and applies nothing.
. "$(dirname "$0")/lib.sh"

t create_seed "$MX" device create seed
# 4 writers x 12 creates, plus two fleet creates, all at the same time
for w in 1 2 3 4; do
	( for i in $(seq 1 12); do "$MX" device create "w$w-$i" --arch x86_64 --os 12.7 \
	    >/dev/null 2>>"$TMP/errs" || echo "w$w-$i failed" >>"$TMP/errs"; done ) &
done
( "$MX" fleet create --count 300 --batch 50 --prefix fa --mix 'arm64:15.1=50%,x86_64:13.6=50%' \
    >/dev/null 2>>"$TMP/errs" || echo "fleet fa failed" >>"$TMP/errs" ) &
( "$MX" fleet create --count 300 --batch 50 --prefix fb --mix 'arm64:14.5:sip-off=100%' \
    >/dev/null 2>>"$TMP/errs" || echo "fleet fb failed" >>"$TMP/errs" ) &
wait
check no_operation_failed test ! -s "$TMP/errs"
[ -s "$TMP/errs" ] && cat "$TMP/errs"
t_json every_device_present 'len(j)' 649 "$MX" device list --json
t_json every_writer_complete 'sorted(set(d["name"].split("-")[0] for d in j))' \
    '["fa", "fb", "seed", "w1", "w2", "w3", "w4"]' "$MX" device list --json
t_json fleet_mix_exact 'sum(1 for d in j if d["name"].startswith("fb") and not d["sip"]["enabled"])' \
    300 "$MX" device list --json
t store_check_after_concurrency "$MX" store check

# every concurrent creation left its event (append-only log, nothing lost)
t_out one_event_per_create 649 sqlite3 "$MACEXT_STATE/macext.db" \
    "SELECT count(*) FROM events WHERE what LIKE 'device created%'"

# a writer holding the store: a short wait succeeds, a shorter budget fails clean
hold() { python3 -c "
import sqlite3, sys, time, os
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
c.execute('BEGIN IMMEDIATE')
open(sys.argv[2], 'w').close()
time.sleep(float(sys.argv[3]))
c.execute('ROLLBACK')" "$MACEXT_STATE/macext.db" "$1" "$2"; }
before=$("$MX" store digest)
hold "$TMP/locked1" 3 &
hp=$!
while [ ! -e "$TMP/locked1" ]; do sleep 0.05; done
MACEXT_BUSY_MS=300 t_exit 75 busy_fails_with_75 "$MX" device create late1
check_re busy_message_clear 'stayed locked by another macext; try again' "$ERR"
wait $hp
t_out busy_applied_nothing "$before" "$MX" store digest
t_exit 67 busy_device_absent "$MX" device show late1

hold "$TMP/locked2" 1 &
hp=$!
while [ ! -e "$TMP/locked2" ]; do sleep 0.05; done
MACEXT_BUSY_MS=8000 t busy_waits_then_succeeds "$MX" device create late2
wait $hp
t_json waited_device_created 'j["name"]' late2 "$MX" device show late2 --json
t store_check_end "$MX" store check
