# fleet_create.sh — macext fleet create: exact mix counts, deterministic
# names, enrolment through `mdm enroll`, SIP, one password hash, batches
# all or nothing, usage errors; fleet summary and --devices filters.
. "$(dirname "$0")/lib.sh"

MIX='arm64:15.1:automated=40%,arm64:14.5:device=30%,x86_64:12.7:none:sip-off=20%,x86_64:13.6:device-unapproved=10%'
t create_100 "$MX" fleet create --count 100 --mix "$MIX" --prefix f
check_re create_reports_count '^created 100 devices f-000001..f-000100' "$OUT"
t_json names_deterministic '[d["name"] for d in j][:3] + [j[-1]["name"]]' \
    '["f-000001", "f-000002", "f-000003", "f-000100"]' "$MX" device list --json
t_json mix_exact 'sorted([list(k), v] for k, v in __import__("collections").Counter((d["arch"], d["os"], d["enrollment"]["method"], d["sip"]["enabled"]) for d in j).items())' \
    '[[["arm64", "14.5", "device", true], 30], [["arm64", "15.1", "automated", true], 40], [["x86_64", "12.7", "none", false], 20], [["x86_64", "13.6", "device", true], 10]]' \
    "$MX" device list --json
t_json mix_spread_over_names '[d["arch"] + ":" + d["os"] for d in j[:5]]' \
    '["arm64:15.1", "arm64:14.5", "x86_64:12.7", "arm64:15.1", "arm64:14.5"]' "$MX" device list --json
t_json ade_supervised_in_abm 'all(d["enrollment"]["supervised"] and d["enrollment"]["in_abm"] and d["enrollment"]["user_approved"] for d in j if d["enrollment"]["method"] == "automated")' \
    true "$MX" device list --json
t_json device_user_approved 'sorted(set((d["os"], d["enrollment"]["user_approved"]) for d in j if d["enrollment"]["method"] == "device"))' \
    '[["13.6", false], ["14.5", true]]' "$MX" device list --json
t_json sip_off_flags 'sorted(set(d["sip"]["flags"] for d in j if d["arch"] == "x86_64" and d["os"] == "12.7"))' \
    '[127]' "$MX" device list --json
t_out one_password_hash 1 sqlite3 "$MACEXT_STATE/macext.db" "SELECT count(DISTINCT pwhash) FROM users"
t_out every_device_has_admin 100 sqlite3 "$MACEXT_STATE/macext.db" "SELECT count(*) FROM users WHERE name = 'admin' AND admin"
t_json enrolment_logged 'sum(1 for e in j if e.get("what", "").startswith("enrolled"))' 1 \
    "$MX" --device f-000001 log --json
t serials_unique sh -c "test \$(sqlite3 '$MACEXT_STATE/macext.db' 'SELECT count(DISTINCT serial) FROM devices') = 100"
t store_check_after_create "$MX" store check

# summary and filters
t_json summary_enrollment 'j["enrollment"]' '{"automated": 40, "device": 40, "none": 20}' \
    "$MX" fleet summary --json
t_json filter_arch 'j["devices"]' 30 "$MX" fleet summary --devices arch=x86_64 --json
t_json filter_os_range 'j["devices"]' 40 "$MX" fleet summary --devices 'os>=13,os<15' --json
t_json filter_os_major 'j["devices"]' 30 "$MX" fleet summary --devices 'os=14' --json
t_json filter_enroll_set 'j["devices"]' 80 "$MX" fleet summary --devices 'enroll=automated|device' --json
t_json filter_not_enrolled 'j["devices"]' 80 "$MX" fleet summary --devices 'enroll!=none' --json
t_json filter_glob 'j["devices"]' 9 "$MX" fleet summary --devices 'f-00000*' --json
t_json filter_sip 'j["devices"]' 20 "$MX" fleet summary --devices 'sip=off' --json
t_json filter_combined 'j["devices"]' 10 "$MX" fleet summary --devices 'arch=x86_64,sip=on,name=f-*' --json
t_exit 64 filter_bad_key "$MX" fleet summary --devices 'colour=red'
t_exit 64 filter_bad_os "$MX" fleet summary --devices 'os>=x'

# errors apply nothing
before=$("$MX" store digest)
t_exit 64 mix_not_100 "$MX" fleet create --count 10 --mix 'arm64:15.1=50%,x86_64:12.7=40%'
t_exit 64 mix_bad_arch "$MX" fleet create --count 10 --mix 'ppc:10.4=100%'
t_exit 64 mix_arm_too_old "$MX" fleet create --count 10 --mix 'arm64:10.15=100%'
t_exit 64 mix_bad_field "$MX" fleet create --count 10 --mix 'arm64:15.1:sometimes=100%'
t_exit 64 count_zero "$MX" fleet create --count 0 --mix 'arm64:15.1=100%'
t_exit 64 missing_mix "$MX" fleet create --count 10
t_exit 68 name_taken "$MX" fleet create --count 5 --mix 'arm64:15.1=100%' --prefix f
check_re name_taken_message "a device named 'f-000001' already exists" "$ERR"
t_out errors_applied_nothing "$before" "$MX" store digest

# batches: with --batch 7, 20 devices are 3 transactions
t create_batches "$MX" fleet create --count 20 --mix 'x86_64:11.7=100%' --prefix g --batch 7 --json
t_json create_json 'j["created"]' 20 printf '%s' "$OUT"
t_json batches_all_there 'len([d for d in j if d["name"].startswith("g-")])' 20 "$MX" device list --json
