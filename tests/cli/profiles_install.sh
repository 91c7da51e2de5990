# profiles_install.sh — MDM delivery of real vendor profiles, replacement by
# PayloadIdentifier, removal, the delivery rules and the merged policy.
. "$(dirname "$0")/lib.sh"
need_testdata all_vendor_profiles || exit 0
P=$TESTDATA/profiles

t create "$MX" device create mac --arch arm64 --os 15.1 --admin admin:pw
t_exit 70 install_needs_enrollment "$MX" mdm install-profile "$P/kandji__Dropbox.mobileconfig"
t enroll "$MX" mdm enroll --method device --user-approved
n=0
for f in "$P"/*.mobileconfig; do
	n=$((n + 1))
	t "install_$(basename "$f" .mobileconfig)" "$MX" mdm install-profile "$f"
done
# two vendor profiles share a PayloadIdentifier: the later one replaces the earlier
ids=$(python3 -c "import plistlib,sys
print(len({plistlib.loads(open(f,'rb').read().lstrip())['PayloadIdentifier'] for f in sys.argv[1:]}))" "$P"/*.mobileconfig)
check distinct_identifiers_fewer_than_files [ "$ids" -lt "$n" ]
n=$ids
t_json all_installed 'len(j)' "$n" "$MX" profiles list --json
# merged system-extension policy (`profiles policy`): lists are unions, AllowUserOverrides is an AND
t_json list_is_array 'isinstance(j, list) and all(isinstance(p, dict) for p in j)' true "$MX" profiles list --json
t_json policy_is_object 'sorted(j)' '["kernel_extensions", "system_extensions"]' "$MX" profiles policy --json
t_grep policy_text_sysext '^System extensions \(com.apple.system-extension-policy\)' "$MX" profiles policy
t_grep policy_text_kext '^Kernel extensions \(com.apple.syspolicy.kernel-extension-policy\)' "$MX" profiles policy
t_grep policy_text_team '^    X9E956P446 +.*com.crowdstrike' "$MX" profiles policy
t_grep policy_text_from '^  from +[^ ]+ \(mdm\)' "$MX" profiles policy
t_json merged_sysext_teams 'sorted(set(["EQHXZ8M8AV","ZMCG7MLDV9","X9E956P446","4AYE5J54KN","2H5GFH3774"]) - set(j["system_extensions"].get("AllowedTeamIdentifiers",[]) + list(j["system_extensions"].get("AllowedSystemExtensions",{}).keys())))' '[]' "$MX" profiles policy --json
t_json merged_kext_teams 'sorted(set(["M683GB7CPW","G7HH3F8CAK","EQHXZ8M8AV","VB5E2TV963","BJ4HAAB9B3"]) - set(j["kernel_extensions"].get("AllowedTeamIdentifiers",[]) + list(j["kernel_extensions"].get("AllowedKernelExtensions",{}).keys())))' '[]' "$MX" profiles policy --json
t_json kext_overrides_default_false 'j["kernel_extensions"]["AllowNonAdminUserApprovals"]' false "$MX" profiles policy --json

# replacement by identifier, then removal
ID=$(python3 -c "import plistlib,sys; print(plistlib.load(open(sys.argv[1],'rb'))['PayloadIdentifier'])" "$P/kandji__Dropbox.mobileconfig")
t reinstall_same_identifier "$MX" mdm install-profile "$P/kandji__Dropbox.mobileconfig"
t_json replaced_not_added 'len(j)' "$n" "$MX" profiles list --json
t_grep replaced_logged "profile $ID replaced" "$MX" log
t_json show_profile 'j["identifier"]' "$ID" "$MX" profiles show "$ID" --json
t remove "$MX" mdm remove-profile "$ID"
t_json removed 'len(j)' "$((n - 1))" "$MX" profiles list --json
t_exit 67 remove_unknown "$MX" mdm remove-profile "$ID"

# delivery rules
t create_b "$MX" device create b --arch x86_64 --os 12.7
t create_u "$MX" device create u --arch arm64 --os 14.5
t_exit 0 enroll_b_not_approved env MACEXT_DEVICE=b "$MX" mdm enroll --method device
t_exit 77 needs_user_approved env MACEXT_DEVICE=b "$MX" mdm install-profile "$P/kandji__Dropbox.mobileconfig"
t_grep needs_user_approved_msg 'requires a user-approved MDM enrollment' env MACEXT_DEVICE=b "$MX" mdm install-profile "$P/kandji__Dropbox.mobileconfig"
t_json nothing_installed_on_b 'len(j)' 0 env MACEXT_DEVICE=b "$MX" profiles list --json
t_exit 0 enroll_u_user env MACEXT_DEVICE=u "$MX" mdm enroll --method user
t_exit 77 kext_payload_refused_on_user_enrollment env MACEXT_DEVICE=u "$MX" mdm install-profile "$P/kandji__VirtualBox.mobileconfig"
t_grep user_enrollment_msg "not allowed with User Enrollment" env MACEXT_DEVICE=u "$MX" mdm install-profile "$P/google__system-extension-policy.santa.example.mobileconfig"
t_exit 77 sysext_payload_refused_on_user_enrollment env MACEXT_DEVICE=u "$MX" mdm install-profile "$P/google__system-extension-policy.santa.example.mobileconfig"
t_exit 77 manual_install_refused env MACEXT_DEVICE=mac "$MX" profiles install "$P/kandji__Dropbox.mobileconfig" --as admin:pw
t_grep manual_install_msg 'can only be installed by an MDM server' env MACEXT_DEVICE=mac "$MX" profiles install "$P/kandji__Dropbox.mobileconfig" --as admin:pw
t_exit 1 apple_profiles_install_refused_on_11_plus env MACEXT_DEVICE=mac profiles install -path "$P/kandji__Dropbox.mobileconfig"
t_grep apple_profiles_install_msg 'profiles tool no longer supports installs' env MACEXT_DEVICE=mac profiles install -path "$P/kandji__Dropbox.mobileconfig"
t_out apple_profiles_status "Enrolled via DEP: No
MDM enrollment: Yes (User Approved)" env MACEXT_DEVICE=mac profiles status -type enrollment
t_grep apple_profiles_list "There are $((n - 1)) configuration profiles installed" env MACEXT_DEVICE=mac profiles list
