# security_enrolled.sh — the Apple silicon table's enrolled rows: Device
# Enrolment ticks "Allow remote management ..." in 1TR; User Enrolment needs a
# local administrator; ADE with an escrowed bootstrap token is managed by MDM
# without the trip (the kext module lowers the policy with the token).
. "$(dirname "$0")/lib.sh"

t create_de "$MX" device create de --arch arm64 --os 14.5 --admin alice:secret
t enroll_de "$MX" --device de mdm enroll --method device --user-approved
t_grep de_gate_text 'Allow remote management of kernel extensions and automatic software updates' "$MX" --device de security show
t_json de_gate_mdm_closed 'j["third_party_kexts_mdm"]' false "$MX" --device de security show --json
t de_1tr "$MX" --device de recovery --via power-button
t de_remote "$MX" --device de security set reduced --kext-remote-management --as alice:secret
t_json de_remote_flag 'j["security"]["kext_remote_management"]' true "$MX" --device de device show --json
t_json de_mdm_open '[j["third_party_kexts_mdm"], j["third_party_kexts_user"]]' '[true, false]' "$MX" --device de security show --json
t_json de_smb3 'j["smb3"]' true "$BIN/bputil" --device de -j
t_json de_securityinfo 'j["SecureBoot"]["ReducedSecurity"]' '["AllowsMDM"]' "$MX" --device de security show --json

t create_ue "$MX" device create ue --arch arm64 --os 14.5 --admin carol:pw
t enroll_ue "$MX" --device ue mdm enroll --method user
t_grep ue_local_admin 'authenticate as a local administrator' "$MX" --device ue security show
t ue_1tr "$MX" --device ue recovery --via power-button
t_exit 66 ue_no_remote "$MX" --device ue security set reduced --kext-remote-management --as carol:pw
t ue_user_mgmt "$MX" --device ue security set reduced --kext-user-management --as carol:pw
t_json ue_open 'j["third_party_kexts_user"]' true "$MX" --device ue security show --json

t create_ade "$MX" device create ade --arch arm64 --os 14.5 --admin dan:pw
t enroll_ade "$MX" --device ade mdm enroll --method automated --in-abm
t_json ade_no_token 'j["BootstrapTokenAllowedForAuthentication"]' disallowed "$MX" --device ade security show --json
t escrow "$MX" --device ade mdm escrow-bootstrap-token
t_json ade_token 'j["BootstrapTokenAllowedForAuthentication"]' allowed "$MX" --device ade security show --json
t_json ade_still_full 'j["policy"]' full "$MX" --device ade security show --json
t_json ade_gate_action 'j["kext_gate"]["mdm"]["action"]' mdm-bootstrap-token "$MX" --device ade security show --json
