# alerts_dismiss.sh — `macext alerts dismiss ID`: the user closes an alert
# (OK, Not Now, the close box).  It leaves `macext alerts`, the device's log
# says so, and what it was about stays as it was: the kext still waits for
# approval, and the next load attempt shows the alert again.  Bad ids, an
# id the screen does not have and a Mac that is off are refused with the
# CLI's usual codes; a store failure at any write of the
# operation leaves the alert and no event (one transaction).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kext_common.inc"
kx_setup
kx_dev m x86_64 --os 14.6
kx_forge com.example.dismiss DISMISS001
t setup.install "$MX" kext install "$TMP/k/com.example.dismiss.kext"
t_exit 27 setup.load kmutil load -b com.example.dismiss
kx_state setup.awaiting com.example.dismiss awaiting_user_approval
ID=$("$MX" alerts --json | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['id'])")

t_exit 64 usage.no_id "$MX" alerts dismiss
t_exit 64 usage.not_a_number "$MX" alerts dismiss one
t_exit 64 usage.zero "$MX" alerts dismiss 0
t_exit 64 usage.two_ids "$MX" alerts dismiss "$ID" "$ID"
t_exit 67 not_found "$MX" alerts dismiss 999
t_grep not_found_says "no alert 999 on m's screen" "$MX" alerts dismiss 999
t_grep listed_in_verbs '^macext alerts +dismiss +action' "$MX" help verbs

# a store failure at any write: the alert stays and nothing is logged, or
# it is gone and the log says so
for n in 1 2 3; do
	MACEXT_FAULT=$n "$MX" alerts dismiss "$ID" >/dev/null 2>&1
	shown=$("$MX" alerts --json | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")
	logged=$("$MX" log | grep -c "alert $ID \"" || true)
	if [ "$shown" = 1 ] && [ "$logged" = 0 ]; then _pass "fault_$n.all_or_nothing"
	elif [ "$shown" = 0 ]; then
		_fail "fault_$n.all_or_nothing" "write $n failed yet the alert is gone (logged $logged)"
		break
	else _fail "fault_$n.all_or_nothing" "alerts $shown, events $logged"; fi
done

t_json json.document '[j["id"] == '"$ID"', j["dismissed"], j["alert"]["kind"], j["alert"]["subject"]]' \
    "[true, true, \"kext-blocked\", \"com.example.dismiss\"]" "$MX" alerts dismiss "$ID" --json
t_out none_on_screen "no alerts on m" "$MX" alerts
t_grep logged "user +alert $ID \"[^\"]+\" closed \(kext-blocked com.example.dismiss\); what it was about is unchanged" "$MX" log
t_exit 67 twice_not_found "$MX" alerts dismiss "$ID"
kx_state state_unchanged com.example.dismiss awaiting_user_approval
t_json summary_no_alert 'j["summary"]["alerts"]' '{}' sh -c "'$MX' device list --json | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[0]))'"
t_json summary_still_awaiting 'j[0]["summary"]["kext_states"]' '{"awaiting_user_approval": 1}' "$MX" device list --json

# the next attempt shows it again; the text form names it
t_exit 27 again.load kmutil load -b com.example.dismiss
t_grep again.shown "System Extension Blocked|Blocked" "$MX" alerts
ID2=$("$MX" alerts --json | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['id'])")
t_grep text_form "^dismissed alert \[$ID2\] " "$MX" alerts dismiss "$ID2"

# only while macOS runs: a Mac that is off shows nothing to close
t_exit 27 off.load kmutil load -b com.example.dismiss
ID3=$("$MX" alerts --json | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['id'])")
t off.shutdown "$MX" shutdown
t_exit 70 off.refused "$MX" alerts dismiss "$ID3"
t_grep off.says "m is shut down: its alerts are on screen only while macOS runs" "$MX" alerts dismiss "$ID3"
t off.restart "$MX" restart

# (a read-only state directory refuses it: tests/cli/state_dir.sh)

# not a fleet step: an alert's id is one device's
printf 'alerts dismiss 1\n' > "$TMP/d.steps"
t_exit 64 fleet.not_a_step "$MX" fleet apply "$TMP/d.steps"
t_grep fleet.says "'alerts dismiss' is not a device operation fleet apply runs" "$MX" fleet apply "$TMP/d.steps"
t store_check "$MX" store check
