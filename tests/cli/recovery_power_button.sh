# recovery_power_button.sh — "press and hold the power button" works from
# wherever the Mac is (issue 12 §2): from macOS, from software-entered
# recoveryOS, from power-button recoveryOS and from off, `recovery --via
# power-button` does what a person does — Shut Down (not when already off),
# then start into recoveryOS by holding the power button — and logs both.
# After each, the Secure Enclave accepts a policy change (security set
# reduced --kext-user-management), which only the power-button entry allows.
. "$(dirname "$0")/lib.sh"

t create "$MX" device create m --arch arm64 --os 14.5 --admin alice:secret
# the last N events' "what", oldest first
last() { "$MX" log --json | python3 -c 'import json,sys; print(json.dumps([e["what"] for e in json.load(sys.stdin)][-'"$1"':]))'; }
nevents() { "$MX" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
boots() { "$MX" device show --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["boot_count"])'; }
START='started recoveryOS (power button pressed and held)'

# reduce, then back to Full and restart, so each starting point begins at Full in macOS
policy_change() {
	t "$1.reduced" "$MX" security set reduced --kext-user-management --as alice:secret
	t_json "$1.reduced_policy" '[j["security"]["policy"], j["security"]["kext_user_management"]]' \
	    '["reduced", true]' "$MX" device show --json
	t "$1.full" "$MX" security set full --as alice:secret
	t "$1.restart" "$MX" restart
}
in_1tr() {
	t_json "$1.env" '[j["environment"], j["recovery_entry"]]' '["recovery", "power-button"]' \
	    "$MX" device show --json
}

# from macOS
B=$(boots)
t macos.power_button "$MX" recovery --via power-button
in_1tr macos
t_json macos.log 'j' "[\"shut down from macOS\", \"$START\"]" last 2
check macos.one_boot [ "$(boots)" -eq $((B + 1)) ]
policy_change macos

# from recoveryOS entered from software, where the SEP refuses kext management
t soft.enter "$MX" recovery --via software
t_exit 77 soft.refused_there "$MX" security set reduced --kext-user-management --as alice:secret
B=$(boots)
t soft.power_button "$MX" recovery --via power-button
in_1tr soft
t_json soft.log 'j' "[\"shut down from recoveryOS (software)\", \"$START\"]" last 2
check soft.one_boot [ "$(boots)" -eq $((B + 1)) ]
policy_change soft

# from recoveryOS already entered by the power button: shut down and hold it again
t again.enter "$MX" recovery --via power-button
B=$(boots); N=$(nevents)
t again.power_button "$MX" recovery --via power-button
in_1tr again
t_json again.log 'j' "[\"shut down from recoveryOS (power button)\", \"$START\"]" last 2
check again.two_events [ "$(nevents)" -eq $((N + 2)) ]
check again.one_boot [ "$(boots)" -eq $((B + 1)) ]
policy_change again

# from off: nothing to shut down, one event
t off.shutdown "$MX" shutdown
t_json off.is_off 'j["environment"]' off "$MX" device show --json
N=$(nevents)
t off.power_button "$MX" recovery --via power-button
in_1tr off
t_json off.log 'j' "[\"$START\"]" last 1
check off.one_event [ "$(nevents)" -eq $((N + 1)) ]
policy_change off

# software entry stays what it is: from recoveryOS it is refused (nothing
# changes, nothing is logged) and the message says how to get there
t sw.enter "$MX" recovery --via software
N=$(nevents)
t_exit 70 sw.from_recovery "$MX" recovery --via software
t_grep sw.says_power_button 'shut down and press and hold the power button' printf '%s\n' "$ERR"
check sw.nothing_logged [ "$(nevents)" -eq "$N" ]
t_json sw.still_software 'j["recovery_entry"]' software "$MX" device show --json

# an Intel Mac: the same two steps (Command-R at start-up stands for the button)
t intel.create "$MX" device create i --arch x86_64 --os 13.6 --admin a:b
t intel.soft "$MX" --device i recovery --via software
t intel.power_button "$MX" --device i recovery --via power-button
t_json intel.env '[j["environment"], j["recovery_entry"]]' '["recovery", "power-button"]' \
    "$MX" --device i device show --json
t_json intel.log '[e["what"] for e in j][-2:]' "[\"shut down from recoveryOS (software)\", \"$START\"]" \
    "$MX" --device i log --json
t intel.consent "$MX" --device i spctl kext-consent add ABCDE12345
