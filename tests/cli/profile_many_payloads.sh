# profile_many_payloads.sh — issue 14 §8/§9: a profile of many payloads of one
# type (the 40,000 Wi-Fi payloads case) is recorded with its distinct
# payload types; listing every payload once overflowed the record's list
# and cut it silently — `profiles list --json` showed a type cut in half,
# and a kext allow-list payload after the cut was missed by the merged
# policy.  Here 200 Wi-Fi payloads precede the allow list.
. "$(dirname "$0")/lib.sh"
python3 - "$TMP/many.mobileconfig" <<'PY'
import plistlib, sys
pl = [{"PayloadType": "com.apple.wifi.managed", "PayloadVersion": 1, "SSID_STR": "net%d" % i,
       "EncryptionType": "None", "PayloadIdentifier": "w.%d" % i,
       "PayloadUUID": "00000000-0000-4000-8000-%012d" % i} for i in range(200)]
pl.append({"PayloadType": "com.apple.syspolicy.kernel-extension-policy", "PayloadVersion": 1,
           "PayloadIdentifier": "k", "PayloadUUID": "00000000-0000-4000-8000-999999999999",
           "AllowedTeamIdentifiers": ["QQQQQ77777"]})
plistlib.dump({"PayloadType": "Configuration", "PayloadVersion": 1, "PayloadIdentifier": "com.example.many",
               "PayloadUUID": "00000000-0000-4000-8000-888888888888", "PayloadContent": pl},
              open(sys.argv[1], "wb"))
PY
t create "$MX" device create m --arch x86_64 --os 14.5
t enroll "$MX" mdm enroll --method device --user-approved
t install "$MX" mdm install-profile "$TMP/many.mobileconfig"
t_json types_distinct 'j[0]["payload_types"]' \
    '["com.apple.wifi.managed", "com.apple.syspolicy.kernel-extension-policy"]' "$MX" profiles list --json
t_json kext_payload_merged '"QQQQQ77777" in j["kernel_extensions"].get("AllowedTeamIdentifiers", [])' true \
    "$MX" profiles policy --json
