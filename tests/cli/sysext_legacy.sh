# sysext_legacy.sh — seed ¶1 s1: "macOS 10.15 or later enables developers to
# extend the capabilities of macOS by installing and managing system
# extensions".  On 10.14 there is no SystemExtensions framework: an app's
# activation request fails (state error, exit 70) and nothing is recorded
# or staged; the same app on 10.15 gets as far as the user's approval.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sysext.inc"
sx_ca
sx_ext es/com.example.es.systemextension com.example.es ABCDE12345 endpoint-security
sx_app Sec.app com.example.sec ABCDE12345 es/com.example.es.systemextension

sx_dev mojave 10.14.6 --arch x86_64
t mojave.install_app "$MX" app install "$B_DIR/Sec.app"
t_exit 70 mojave.activation_refused "$MX" sysext activate com.example.sec com.example.es
t_grep mojave.refusal_text '^macext: .*system extensions need macOS 10.15 or later \(mojave runs macOS 10.14.6' "$MX" sysext activate com.example.sec com.example.es
check_eq mojave.nothing_recorded "$(sx_count)" 0
check_eq mojave.no_state "$(sx_state com.example.es)" none
_run "$MX" alerts
check mojave.no_alert sh -c '! printf "%s\n" "$1" | grep -q "System Extension Blocked"' - "$OUT"

sx_dev catalina 10.15 --arch x86_64
t catalina.install_app "$MX" app install "$B_DIR/Sec.app"
t_grep catalina.activation_needs_user 'needs user approval' "$MX" sysext activate com.example.sec com.example.es
check_eq catalina.waiting "$(sx_state com.example.es)" activated_waiting_for_user
