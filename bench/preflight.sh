# bench/preflight.sh — sourced by bench/run.sh: a 6-step plan over a 5,000-device
# mix, `macext preflight` (one throw-away device per class) against the same
# six steps through `fleet apply` on all 5,000 devices (target: 50x faster).
P="$W/preflight"; mkdir -p "$P"
cp tests/data/fleet/sysext-allow.mobileconfig tests/data/fleet/kext-allow.mobileconfig "$P/"
cat > "$P/rollout.yaml" <<'X'
inputs:
  sysext-allow: { profile: sysext-allow.mobileconfig }
  kext-allow: { profile: kext-allow.mobileconfig }
  app: { app: FleetApp.app }
  kext: { kext: Fleet.kext }
timeline:
  - install-profile: sysext-allow
    when: enroll!=none
  - install-app: app
  - activate: app
  - install-profile: kext-allow
    when: enroll!=none
  - install-kext: { kext: kext, load: false }
  - mdm-restart: { rebuild-kernel-cache: true }
    when: enroll!=none
X
cat > "$P/rollout.steps" <<'X'
when enroll!=none mdm install-profile sysext-allow.mobileconfig
app install FleetApp.app
sysext activate com.example.fleet.app com.example.fleet.ext expect-exit any
when enroll!=none mdm install-profile kext-allow.mobileconfig
kext install Fleet.kext
when enroll!=none mdm restart --rebuild-kernel-cache
X
cp -R "$W/FleetApp.app" "$W/Fleet.kext" "$P/"
S="$W/pf-5000"
"$MX" --state "$S" fleet create --count 5000 --mix "$MIX" --prefix m \
    --trust-anchor "$W/ca/root.pem" >/dev/null || exit 1
/usr/bin/time -f '%e' -o "$W/time-pfa" "$MX" --state "$S" fleet apply "$P/rollout.steps" >/dev/null 2>&1
fa=$(cat "$W/time-pfa")
pf=$(timeit 5 "" "$MX" preflight "$P/rollout.yaml" --fleet "$MIX" --count 5000 \
    --trust-anchor "$W/ca/root.pem")
r=$(awk -v a="$fa" -v b="$pf" 'BEGIN { printf "%.0f", a / b }')
row "preflight ÷ fleet apply, 6-step plan over a 5000-device mix (3 classes)" "${r}x ($pf s / $fa s)" \
    "≥ 50x" "$(ok "$r" 50 ">=")" "macext preflight bench/preflight.sh's rollout.yaml --fleet MIX --count 5000 vs macext fleet apply rollout.steps on 5000 devices"
