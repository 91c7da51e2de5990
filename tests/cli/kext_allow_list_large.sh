# kext_allow_list_large.sh — issue 14 §8: a kext allow list of 120,000
# entries (bench/bigprofile.py's shape: 60,000 Team IDs, 60,000 bundle IDs
# over 4,000 teams) end to end.  The MDM kext policy is the profile's own,
# not a row per entry in the store: the install leaves kext_policy_mdm
# empty, a listed kext loads by MDM approval, one not listed waits for the
# user, and `device export` writes every distinct rule as syspolicyd's row
# (more than the 100,000 rows per table import used to accept), which
# imports back and exports again byte for byte.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
python3 "$ROOT/bench/bigprofile.py" kext 120000 > "$TMP/big.mobileconfig"
"$MX" forge ca "$TMP/ca" >/dev/null
"$MX" forge kext "$TMP/Listed.kext" --bundle-id com.example.b7 --team T000120007 --ca "$TMP/ca" >/dev/null
"$MX" forge kext "$TMP/Other.kext" --bundle-id com.example.other --team T000120007 --ca "$TMP/ca" >/dev/null
"$MX" forge kext "$TMP/Team.kext" --bundle-id com.example.any --team T000000042 --ca "$TMP/ca" >/dev/null

t create "$MX" device create big --arch x86_64 --os 14.5 --trust-anchor "$TMP/ca/root.pem"
t enroll "$MX" mdm enroll --method device --user-approved
for k in Listed Other Team; do t "install_$k" "$MX" kext install "$TMP/$k.kext"; done
t install_profile "$MX" mdm install-profile "$TMP/big.mobileconfig"
t_out no_rows_in_store 0 sqlite3 "$MACEXT_STATE/macext.db" "select count(*) from kext_policy_mdm"
# T000120007 is a key of AllowedKernelExtensions: only its listed bundles (Q1)
t_exit 28 listed_approved kmutil load -b com.example.b7
t_exit 28 team_approved kmutil load -b com.example.any
t_exit 27 unlisted_waits kmutil load -b com.example.other
t_json states '[[k["bundle_id"], k["state"], k["approval"]] for k in j]' \
    '[["com.example.any", "awaiting_restart", "mdm"], ["com.example.b7", "awaiting_restart", "mdm"], ["com.example.other", "awaiting_user_approval", "none"]]' \
    "$MX" kext list --json
t export "$MX" device export big "$TMP/e"
KP="$TMP/e/var/db/SystemPolicyConfiguration/KextPolicy"
t_out exported_rows 120000 sqlite3 "$KP" "select count(*) from kext_policy_mdm"
t_out team_wide_row "T000000042||1" sqlite3 "$KP" "select team_id, bundle_id, allowed from kext_policy_mdm where team_id = 'T000000042'"
t_out named_row "T000120007|com.example.b7" sqlite3 "$KP" "select team_id, bundle_id from kext_policy_mdm where bundle_id = 'com.example.b7'"
t_out key_order "" sqlite3 "$KP" "select a.team_id from kext_policy_mdm a join kext_policy_mdm b on b.rowid = a.rowid + 1 where a.team_id > b.team_id or (a.team_id = b.team_id and coalesce(a.bundle_id, '') >= coalesce(b.bundle_id, ''))"
t import "$MX" --state "$TMP/s2" device import "$TMP/e"
t export_again "$MX" --state "$TMP/s2" device export big "$TMP/e2"
t same_files diff -r "$TMP/e" "$TMP/e2"
t store_check "$MX" --state "$TMP/s2" store check
