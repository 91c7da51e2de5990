# preflight_html.sh — the --html report is one self-contained page (no
# external resources), opened in headless Chromium (Debian's): the DOM has
# the table, the findings and one SVG timeline per class, and the page
# renders to a screenshot.
. "$(dirname "$0")/lib.sh"
need_testdata html || exit 0
W="$TMP/w"; mkdir -p "$W"; cd "$W" || exit 1
"$MX" forge ca ca >/dev/null
"$MX" forge kext VBoxDrv.kext --bundle-id org.virtualbox.kext.VBoxDrv --team VB5E2TV963 --ca ca \
    --arch fat-arm64e >/dev/null
cp "$TESTDATA/profiles/kandji__VirtualBox.mobileconfig" vbox.mobileconfig
cat > plan.yaml <<'X'
inputs:
  vbox: { kext: VBoxDrv.kext }
  vbox-profile: { profile: vbox.mobileconfig }
fleet: { mix: "arm64:14.6:automated=60%,x86_64:13.6:none=40%", count: 5000 }
timeline:
  - install-kext: vbox
  - install-profile: vbox-profile
    when: enroll!=none
  - mdm-restart: { rebuild-kernel-cache: true }
    when: enroll!=none
X
t_exit 1 report_written "$MX" preflight plan.yaml --trust-anchor ca/root.pem --html "$W/r.html"
check self_contained sh -c "! grep -Eq '(src|href)=\"(https?:)?//' '$W/r.html'"
t_grep two_svg_timelines '^2$' sh -c "grep -o '<svg' '$W/r.html' | wc -l"
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then skip chromium "Debian's chromium is not installed (make deps)"; exit 0; fi
chrome() { timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$(mktemp -d "$TMP/ud.XXXXXX")" "$@"; }
chrome --dump-dom "file://$W/r.html" > "$W/dom.html" 2>/dev/null
check_re dom_title 'Preflight: plan.yaml' "$(cat "$W/dom.html")"
check_re dom_verdict 'a person has steps to do' "$(cat "$W/dom.html")"
check_re dom_class_arm 'arm64 14.6 automated SIP on' "$(cat "$W/dom.html")"
check_re dom_ordering_race 'ordering-race' "$(cat "$W/dom.html")"
check_re dom_still_needed 'still needed 1: <b>a person starts recoveryOS' "$(cat "$W/dom.html")"
chrome --screenshot="$W/shot.png" --window-size=1280,1600 "file://$W/r.html" >/dev/null 2>&1
check screenshot_png sh -c "[ \"\$(head -c 8 '$W/shot.png' | od -An -tx1 | tr -d ' ')\" = 89504e470d0a1a0a ]"
check screenshot_not_blank sh -c "[ \$(wc -c < '$W/shot.png') -gt 20000 ]"
[ -n "${PREFLIGHT_SHOT:-}" ] && cp "$W/shot.png" "$PREFLIGHT_SHOT"
exit 0
