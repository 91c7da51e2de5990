#!/bin/sh
# bench/profile_curve.sh BUILD-DIR [SIZES] — the cost curve of issue 14 §8:
# wall seconds of `mdm install-profile` for a kext allow list and for N
# Wi-Fi payloads, of `kmutil load` after the kext profile, and of
# `profiles validate`, at each size (default 5000 10000 20000 40000).
# Each install runs on a fresh enrolled Mac.  Prints one table.
set -u
B=${1:-build}
SIZES=${2:-5000 10000 20000 40000}
cd "$(dirname "$0")/.." || exit 2
MX="$PWD/$B/macext"
[ -x "$MX" ] || { echo "profile_curve: $MX missing (make first)" >&2; exit 2; }
W=$(mktemp -d /tmp/macext-curve-XXXXXX)
trap 'rm -rf "$W"' EXIT
# wall seconds; kmutil load exits 28 (approved, restart needed): any exit counts
secs() { /usr/bin/time -f %e -o "$W/t" "$@" >/dev/null 2>"$W/err"; tail -1 "$W/t"; }
"$MX" forge ca "$W/ca" >/dev/null
"$MX" forge kext "$W/K.kext" --bundle-id com.example.b0 --team T000000000 --ca "$W/ca" >/dev/null
printf '| entries | kext install | kmutil load after it | kext validate | Wi-Fi payloads install | Wi-Fi validate |\n|---|---|---|---|---|---|\n'
for n in $SIZES; do
	python3 bench/bigprofile.py kext "$n" > "$W/k.mobileconfig"
	python3 bench/bigprofile.py wifi "$n" > "$W/w.mobileconfig"
	S="$W/s-$n"
	"$MX" --state "$S" device create m --arch x86_64 --os 14.5 --trust-anchor "$W/ca/root.pem" >/dev/null
	"$MX" --state "$S" mdm enroll --method device --user-approved >/dev/null
	"$MX" --state "$S" kext install "$W/K.kext" >/dev/null
	ki=$(secs "$MX" --state "$S" mdm install-profile "$W/k.mobileconfig")
	kl=$(secs "$MX" --state "$S" kmutil load -b com.example.b0)
	kv=$(secs "$MX" profiles validate "$W/k.mobileconfig")
	S="$W/w-$n"
	"$MX" --state "$S" device create m --arch x86_64 --os 14.5 >/dev/null
	"$MX" --state "$S" mdm enroll --method device --user-approved >/dev/null
	wi=$(secs "$MX" --state "$S" mdm install-profile "$W/w.mobileconfig")
	wv=$(secs "$MX" profiles validate "$W/w.mobileconfig")
	printf '| %s | %s s | %s s | %s s | %s s | %s s |\n' "$n" "$ki" "$kl" "$kv" "$wi" "$wv"
	rm -rf "$W/s-$n" "$W/w-$n"
done
