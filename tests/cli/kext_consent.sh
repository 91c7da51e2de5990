# kext_consent.sh — Intel's `spctl kext-consent` (NVRAM, recoveryOS only):
# a Team ID on the consent list approves its kexts without a prompt
# (approval "consent"); a restart still builds the AuxKC.  On Apple silicon
# the list has no effect (the LocalPolicy is the mechanism, Q5).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kext_common.inc"
kx_need_security || exit 0
kx_setup
kx_dev c x86_64
kx_forge com.example.k ABCDE12345
t consent.install "$MX" kext install "$TMP/k/com.example.k.kext"
_run spctl kext-consent add ABCDE12345
check consent.refused_in_macos [ $RC -ne 0 ]
t consent.recovery "$MX" recovery --via power-button
t consent.add spctl kext-consent add ABCDE12345
t consent.restart "$MX" restart
t_exit 28 consent.no_prompt kmutil load -b com.example.k
kx_appr consent.approval_consent com.example.k consent
kx_no_alert consent.no_blocked_alert 'System Extension Blocked'
t consent.restart2 "$MX" restart
kx_state consent.loaded com.example.k loaded
