# kext_as_user.sh — seed table 2 ("Additional steps for adding kexts on a
# Mac with Apple silicon"), the cells where the user manages kexts: not
# enrolled and User Enrolment.  Full Security blocks every third-party kext;
# only recoveryOS entered by holding the power button, with an (a local)
# administrator, accepts Reduced Security + "Allow user management of
# kernel extensions from identified developers"; then the table-1 flow.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kext_common.inc"
kx_need_security || exit 0
kx_setup
VB=org.virtualbox.kext.VBoxDrv

for cell in none user; do
	kx_dev as-$cell arm64
	if [ $cell = user ]; then
		t user.enroll "$MX" mdm enroll --method user
		if P=$(kx_profile kandji__VirtualBox.mobileconfig); then
			t_exit 77 user.payload_refused "$MX" mdm install-profile "$P"
		else skip user.payload_refused "../shared/testdata is absent"; fi
	fi
	kx_forge $VB VB5E2TV963
	t $cell.install "$MX" kext install "$TMP/k/$VB.kext"
	t_exit 27 $cell.full_security_blocks kmutil load -b $VB
	kx_state $cell.blocked $VB blocked_by_security_policy
	kx_alert $cell.recovery_instructions 'press and hold the power button'
	kx_alert $cell.names_the_option 'Allow user management of kernel extensions from identified developers'
	t_exit 70 $cell.cannot_allow_yet "$MX" approve kext $VB --as admin:pw
	# the change is refused from macOS and from software-entered recoveryOS
	_run "$MX" security set reduced --kext-user-management --as admin:pw
	check $cell.refused_in_macos [ $RC -ne 0 ]
	t $cell.software_recovery "$MX" recovery --via software
	_run "$MX" security set reduced --kext-user-management --as admin:pw
	check $cell.refused_in_software_recovery [ $RC -ne 0 ]
	t $cell.back "$MX" restart
	kx_state $cell.still_blocked $VB blocked_by_security_policy
	# 1TR: power button, an administrator
	t $cell.power_button "$MX" recovery --via power-button
	t_exit 77 $cell.standard_user_refused "$MX" security set reduced --kext-user-management --as bob:pw
	t_exit 77 $cell.wrong_password_refused "$MX" security set reduced --kext-user-management --as admin:x
	t $cell.reduced_with_kexts "$MX" security set reduced --kext-user-management --as admin:pw
	t $cell.restart_1 "$MX" restart
	t_json $cell.policy '[j["security"]["policy"], j["security"]["kext_user_management"]]' '["reduced", true]' "$MX" device show --json
	kx_state $cell.now_awaiting_approval $VB awaiting_user_approval
	kx_alert $cell.alert_blocked 'System Extension Blocked'
	t_exit 77 $cell.standard_user_cannot_allow "$MX" approve kext $VB --as bob:pw
	t $cell.allow "$MX" approve kext $VB --as admin:pw
	kx_state $cell.awaiting_restart $VB awaiting_restart
	t_exit 28 $cell.needs_reboot kmutil load -b $VB
	kx_alert $cell.restart_dialog 'A restart is required'
	t $cell.restart_2 "$MX" restart
	kx_state $cell.loaded $VB loaded
	t_grep $cell.showloaded "0xfffffe[0-9a-f]+ .* $VB \(1.0.0\)" kmutil showloaded --collection aux
	t_grep $cell.auxi_in_localpolicy 'Auxiliary Kernel Cache Image4 Hash +\(auxi\): [0-9a-f]{96}' bputil -d
	t_grep $cell.auxr_in_localpolicy 'Kext Receipt Hash +\(auxr\): [0-9a-f]{96}' bputil -d
	t $cell.export "$MX" kext auxkc --out "$TMP/$cell.kc"
	t_grep $cell.llvm_objdump_fileset 'ARM64 +E .* FILESET' llvm-objdump-19 --macho --private-headers "$TMP/$cell.kc"
done

# a damaged AuxKC fails its LocalPolicy measurement: the kexts do not boot
H=$(sqlite3 "$MACEXT_STATE/macext.db" "select hash from files where path = '/Library/KernelCollections/AuxiliaryKernelExtensions.kc' and device_id = (select id from devices where name = 'as-user')")
KC=$(find "$MACEXT_STATE/cas" -path "*/$H/AuxiliaryKernelExtensions.kc" | head -n 1)
OFF=$(( $(wc -c < "$KC") - 8 ))
printf 'X' | dd of="$KC" bs=1 seek=$OFF count=1 conv=notrunc 2>/dev/null
t tamper.recovery "$MX" recovery --via software
t tamper.restart "$MX" restart
kx_state tamper.not_loaded $VB awaiting_restart
t_grep tamper.logged 'AuxKC.*(does not match|measurement)' "$MX" log
t tamper.rebuild "$MX" restart
kx_state tamper.rebuilt $VB loaded
