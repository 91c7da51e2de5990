#!/bin/sh
# demo.sh — `make run`: a small demo fleet in ./macext-state, created once.
#
# Two Macs: "studio" (Apple silicon, macOS 15.1, not enrolled) and "imac"
# (Intel, macOS 12.7, Device Enrollment approved by the user).  Both get the
# same vendor kext (VirtualBox's identity) and system extension (Santa's),
# forged and signed by a test CA the Macs trust; the imac also gets the
# vendors' real MDM profiles when ../shared/testdata is there.  Then it shows
# what each Mac looks like, what its user sees, and what to try next.
B=${1:-build}
MX="$(cd "$B" && pwd)/macext"
BIN=$(dirname "$MX")
export MACEXT_STATE=${MACEXT_STATE:-./macext-state}
DEMO="$MACEXT_STATE/demo"
P=../shared/testdata/profiles
q() { "$@" >/dev/null || { echo "demo: failed: $*" >&2; exit 1; }; }
kmutil() { "$BIN/kmutil" "$@"; }

if ! "$MX" device list --json 2>/dev/null | grep -q '"name"'; then
	echo "Creating the demo fleet in $MACEXT_STATE ..."
	mkdir -p "$DEMO"
	q "$MX" forge ca "$DEMO/ca"
	q "$MX" forge kext "$DEMO/VBoxDrv.kext" --bundle-id org.virtualbox.kext.VBoxDrv \
	    --team VB5E2TV963 --version 7.0.12 --arch fat --ca "$DEMO/ca"
	q "$MX" forge sysext "$DEMO/com.google.santa.daemon.systemextension" \
	    --bundle-id com.google.santa.daemon --team EQHXZ8M8AV --category endpoint-security \
	    --version 2024.1 --ca "$DEMO/ca"
	q "$MX" forge app "$DEMO/Santa.app" --bundle-id com.google.santa --team EQHXZ8M8AV \
	    --embed "$DEMO/com.google.santa.daemon.systemextension" --ca "$DEMO/ca"
	if [ -d "$P" ]; then
		KEXT_PROFILE=$P/kandji__VirtualBox.mobileconfig
		SYSEXT_PROFILE=$P/google__system-extension-policy.santa.example.mobileconfig
	else    # no test data: equivalent hand-made profiles
		KEXT_PROFILE=$DEMO/virtualbox.mobileconfig
		SYSEXT_PROFILE=$DEMO/santa.mobileconfig
		python3 - "$KEXT_PROFILE" "$SYSEXT_PROFILE" <<'PY'
import plistlib, sys, uuid
def profile(ident, payload):
    u = lambda: str(uuid.uuid4()).upper()
    payload.update(PayloadIdentifier=ident + ".p", PayloadUUID=u(), PayloadVersion=1)
    return dict(PayloadType="Configuration", PayloadVersion=1, PayloadIdentifier=ident,
                PayloadUUID=u(), PayloadDisplayName=ident, PayloadContent=[payload])
plistlib.dump(profile("demo.virtualbox", dict(PayloadType="com.apple.syspolicy.kernel-extension-policy",
    AllowedKernelExtensions={"VB5E2TV963": ["org.virtualbox.kext.VBoxDrv"]})), open(sys.argv[1], "wb"))
plistlib.dump(profile("demo.santa", dict(PayloadType="com.apple.system-extension-policy",
    AllowedSystemExtensions={"EQHXZ8M8AV": ["com.google.santa.daemon"]})), open(sys.argv[2], "wb"))
PY
	fi
	q "$MX" device create studio --arch arm64 --os 15.1 --admin admin:admin \
	    --trust-anchor "$DEMO/ca/root.pem"
	q "$MX" device create imac --arch x86_64 --os 12.7 --admin admin:admin \
	    --trust-anchor "$DEMO/ca/root.pem"
	# imac: enrolled; MDM pre-approves both extensions, then restarts to load the kext
	export MACEXT_DEVICE=imac
	q "$MX" mdm enroll --method device --user-approved
	q "$MX" mdm install-profile "$KEXT_PROFILE"
	q "$MX" mdm install-profile "$SYSEXT_PROFILE"
	q "$MX" kext install "$DEMO/VBoxDrv.kext"
	kmutil load -b org.virtualbox.kext.VBoxDrv >/dev/null 2>&1    # 28: needs a restart
	q "$MX" mdm restart --rebuild-kernel-cache
	q "$MX" app install "$DEMO/Santa.app"
	q "$MX" sysext activate com.google.santa com.google.santa.daemon
	# studio: not enrolled; the same software waits for its user
	export MACEXT_DEVICE=studio
	q "$MX" kext install "$DEMO/VBoxDrv.kext"
	kmutil load -b org.virtualbox.kext.VBoxDrv >/dev/null 2>&1    # 27: needs approval
	q "$MX" app install "$DEMO/Santa.app"
	q "$MX" sysext activate com.google.santa com.google.santa.daemon
	unset MACEXT_DEVICE
	echo
fi

"$MX" device list
for d in imac studio; do
	"$MX" device show "$d" >/dev/null 2>&1 || continue
	echo
	echo "================================================================ $d"
	MACEXT_DEVICE=$d "$MX" device show
	echo "--- kernel extensions"
	MACEXT_DEVICE=$d "$MX" kext list
	echo "--- system extensions (systemextensionsctl list)"
	MACEXT_DEVICE=$d "$BIN/systemextensionsctl" list
	echo "--- what the user sees"
	MACEXT_DEVICE=$d "$MX" alerts
done
cat <<EOF2

Next, try (state in $MACEXT_STATE; PATH=$BIN:\$PATH gives the macOS tool names):
  export MACEXT_DEVICE=studio PATH=$BIN:\$PATH
  macext approve sysext com.google.santa.daemon --as admin:admin   # System Settings: Allow
  macext recovery --via power-button                                # hold the power button
  macext security set reduced --kext-user-management --as admin:admin
  macext restart && kmutil load -b org.virtualbox.kext.VBoxDrv      # 27: approve first
  macext approve kext org.virtualbox.kext.VBoxDrv --as admin:admin && macext restart
  kmutil showloaded; bputil -d; csrutil status; macext log
  macext profiles validate ../shared/testdata/profiles/kandji__Sophos_Central_Settings_with_KEXT.mobileconfig
  rm -rf $MACEXT_STATE   # start over
EOF2

# The same fleet in the daemon: the System Settings page and the JSON API
# (docs/api.md).  SERVE=0 make run stops here; LISTEN=HOST:PORT moves it.
[ "${SERVE:-1}" = 0 ] && exit 0
LISTEN=${LISTEN:-127.0.0.1:8460}
echo
echo "Starting macext serve on http://$LISTEN/ (Ctrl-C stops it; SERVE=0 make run skips this)."
echo "The page asks once for the daemon's token: cat $MACEXT_STATE/serve.token"
exec "$MX" serve --state "$MACEXT_STATE" --listen "$LISTEN"
