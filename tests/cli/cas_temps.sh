# cas_temps.sh — issue 14 §11: an import killed while copying a bundle
# leaves cas/.tmp-PID-HEX behind (never referenced by any row).  `store
# check` reports such leftovers of dead processes, the next command that
# opens the store for writing removes them, and a temporary of a live
# process (an import under way) is left alone.
. "$(dirname "$0")/lib.sh"
"$MX" forge ca "$TMP/ca" >/dev/null 2>&1
t create "$MX" device create mac --arch x86_64 --os 14.5 --trust-anchor "$TMP/ca/root.pem"
t_grep clean_at_first '^ok: 1 devices' "$MX" store check
sh -c 'exit 0' & wait $!; dead=$!
mkdir -p "$MACEXT_STATE/cas/.tmp-$dead-00ff00ff00ff00ff/Big.kext/Contents/MacOS"
printf 'half a copy' > "$MACEXT_STATE/cas/.tmp-$dead-00ff00ff00ff00ff/Big.kext/Contents/MacOS/big"
sleep 30 & live=$!
mkdir -p "$MACEXT_STATE/cas/.tmp-$live-0123456789abcdef"
t_exit 74 leftover_reported "$MX" store check
t_grep leftover_named "violation: cas-temporary: .*/cas/\.tmp-$dead-00ff00ff00ff00ff: left by an import that was killed" "$MX" store check
check live_not_reported sh -c '! printf "%s\n" "$1" | grep -q 0123456789abcdef' - "$OUT$ERR"
check_re one_violation '1 invariant violation' "$ERR"
check read_only_check_keeps_it test -d "$MACEXT_STATE/cas/.tmp-$dead-00ff00ff00ff00ff"
t next_write "$MX" device create mac2
check leftover_removed test ! -e "$MACEXT_STATE/cas/.tmp-$dead-00ff00ff00ff00ff"
check live_temp_kept test -d "$MACEXT_STATE/cas/.tmp-$live-0123456789abcdef"
t_grep clean_after '^ok: 2 devices' "$MX" store check
kill "$live" 2>/dev/null; wait "$live" 2>/dev/null
rmdir "$MACEXT_STATE/cas/.tmp-$live-0123456789abcdef"

# a real kill during a kext install's copy into the store, when one lands
# there (each attempt on a fresh state: a stored tree is never copied again)
"$MX" forge kext "$TMP/Big.kext" --bundle-id com.example.big --team FLEETTEAM1 --ca "$TMP/ca" \
    --arch x86_64 --extra-code 60000000 >/dev/null
left=""; n=0
for delay in 0.05 0.08 0.1 0.12 0.15 0.2 0.25 0.3 0.4 0.5; do
	n=$((n + 1)); export MACEXT_STATE="$TMP/kill-$n"
	"$MX" device create mac --arch x86_64 --os 14.5 --trust-anchor "$TMP/ca/root.pem" >/dev/null
	"$MX" kext install "$TMP/Big.kext" >/dev/null 2>&1 & pid=$!
	sleep "$delay"; kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	left=$(ls -a "$MACEXT_STATE/cas" 2>/dev/null | grep "^\.tmp-$pid-" || true)
	[ -n "$left" ] && break
	rm -rf "$MACEXT_STATE"
done
if [ -z "$left" ]; then
	skip killed_install "no kill landed inside the copy on this machine"
else
	t_exit 74 killed_install_check_fails "$MX" store check
	t_grep killed_install_reported "cas-temporary: .*/cas/$left" "$MX" store check
	t after_kill_write "$MX" device create mac2
	check killed_install_cleaned test ! -e "$MACEXT_STATE/cas/$left"
	t_grep clean_after_kill '^ok: 2 devices' "$MX" store check
fi
