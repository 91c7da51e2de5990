#!/bin/sh
# demo.sh — `make run`: a small demo fleet in ./macext-state (created once).
B=${1:-build}
MX="$B/macext"
export MACEXT_STATE=${MACEXT_STATE:-./macext-state}
if ! "$MX" device list --json 2>/dev/null | grep -q '"name"'; then
	"$MX" device create studio --arch arm64 --os 15.1 --admin admin:admin >/dev/null || exit 1
	"$MX" device create imac --arch x86_64 --os 12.7 --admin admin:admin >/dev/null || exit 1
fi
"$MX" device list
echo
for d in $("$MX" device list --json | python3 -c 'import json,sys; print(" ".join(x["name"] for x in json.load(sys.stdin)))'); do
	"$MX" --device "$d" device show
	echo
done
