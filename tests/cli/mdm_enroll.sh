# mdm_enroll.sh — enrolment types, user approval, supervision, bootstrap token escrow.
. "$(dirname "$0")/lib.sh"

for m in none device device-approved automated user; do :; done
t create_a "$MX" device create a --arch arm64 --os 15.1
t create_b "$MX" device create b --arch arm64 --os 15.1
t create_c "$MX" device create c --arch x86_64 --os 10.15.7
t create_d "$MX" device create d --arch arm64 --os 14.5
export MACEXT_DEVICE=a
t_exit 64 bad_method "$MX" mdm enroll --method school
t_exit 70 escrow_needs_enrollment "$MX" mdm escrow-bootstrap-token
t enroll_ade "$MX" mdm enroll --method automated
t_json ade_fields '[j["enrollment"][k] for k in ("method","user_approved","supervised","in_abm")]' '["automated", true, true, true]' "$MX" device show --json
t_exit 70 enroll_twice "$MX" mdm enroll --method device
t escrow_ade "$MX" mdm escrow-bootstrap-token
t_json escrowed 'j["enrollment"]["bootstrap_token_escrowed"]' true "$MX" device show --json
t unenroll "$MX" mdm unenroll
t_json unenrolled '[j["enrollment"][k] for k in ("method","user_approved","supervised","bootstrap_token_escrowed")]' '["none", false, false, false]' "$MX" device show --json
export MACEXT_DEVICE=b
t enroll_device_not_approved "$MX" mdm enroll --method device
t_json device_not_approved '[j["enrollment"][k] for k in ("user_approved","supervised")]' '[false, false]' "$MX" device show --json
t_exit 77 escrow_refused_unsupervised "$MX" mdm escrow-bootstrap-token
export MACEXT_DEVICE=c
t enroll_device_approved_10_15 "$MX" mdm enroll --method device --user-approved
t_json approved_not_supervised_before_11 '[j["enrollment"][k] for k in ("user_approved","supervised")]' '[true, false]' "$MX" device show --json
export MACEXT_DEVICE=d
t enroll_user "$MX" mdm enroll --method user
t_json user_enrollment '[j["enrollment"][k] for k in ("method","user_approved","supervised")]' '["user", true, false]' "$MX" device show --json
t_exit 77 escrow_refused_user_enrollment "$MX" mdm escrow-bootstrap-token
t_exit 77 restart_refused_user_enrollment "$MX" mdm restart
t_grep enrollment_logged 'enrolled: user' "$MX" log
