# device.sh — macext device create/list/show/delete and their errors.
. "$(dirname "$0")/lib.sh"

t create_arm "$MX" device create mac1 --arch arm64 --os 14.5 --admin alice:secret --user bob:pw
t_json show_json_arch 'j["arch"]' arm64 "$MX" device show mac1 --json
t_json show_json_os 'j["os"]' 14.5 "$MX" device show mac1 --json
t_json show_json_sip 'j["sip"]["enabled"]' true "$MX" device show mac1 --json
t_json show_json_policy 'j["security"]["policy"]' full "$MX" device show mac1 --json
t_json show_json_enroll 'j["enrollment"]["method"]' none "$MX" device show mac1 --json
t_json show_json_env 'j["environment"]' macos "$MX" device show mac1 --json
t_json show_json_users '[u["name"]+(":a" if u["admin"] else "") for u in j["users"]]' '["alice:a", "bob"]' "$MX" device show mac1 --json
t create_intel_sip_off "$MX" device create mac2 --arch x86_64 --os 12.7 --sip off
t_json intel_sip_flags 'j["sip"]["flags"]' 127 "$MX" device show mac2 --json
t_json list_two 'len(j)' 2 "$MX" device list --json
t_exit 68 duplicate_name "$MX" device create mac1
t_exit 64 bad_os "$MX" device create mac3 --os 11.x
t_exit 64 arm_too_old "$MX" device create mac3 --arch arm64 --os 10.15.7
t_exit 64 bad_arch "$MX" device create mac3 --arch ppc
# names no API route or page could name (the serve_router fuzz target found them)
t_exit 64 name_dotdot "$MX" device create ..
t_exit 64 name_dot "$MX" device create .
t_grep name_dot_says "bad device name '.': use letters, digits, '-', '_' and '.' \(at most 63; not '.' or '..'\)" \
    "$MX" device create .
t_exit 64 name_slash "$MX" device create a/b
t_exit 64 bad_flag "$MX" device create mac3 --frobnicate
t_exit 64 ambiguous_device "$MX" device show
t_exit 67 unknown_device "$MX" device show nosuch
t_json nothing_changed_by_errors 'len(j)' 2 "$MX" device list --json
t delete "$MX" device delete mac2
t_json list_one_left 'len(j)' 1 "$MX" device list --json
t_json only_device_default 'j["name"]' mac1 "$MX" device show --json
