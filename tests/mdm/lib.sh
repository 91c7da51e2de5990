# tests/mdm/lib.sh — sourced (after tests/cli/lib.sh) by the conformance
# server's scenarios, tests/cli/mdmserver_*.sh.  The "curl device" of
# mdm-observed.md: curl sends, `openssl cms -sign -binary` signs, openssl
# makes the identities.  Nothing here links or calls macext code.
#
#   mds_start [FLAGS...]       start $BIN/mdmserver in $TMP/srv (port 0); sets MDS_BASE,
#                              MDS_SU (ServerURL), MDS_CI (CheckInURL), MDS_SCEP, MDS_CTL,
#                              MDS_DIR, MDS_PID, MDS_TOPIC
#   mds_stop                   SIGTERM it; asserts a clean exit (ASan: no leak, no error)
#   dev_identity NAME CN [EKU] a key and a certificate from the server's SCEP CA
#   dev_put URL CTYPE FILE ID [MD] [CMSFLAGS]   PUT FILE signed by identity ID; sets HTTP, RESP
#   ctl METHOD PATH [BODY|@FILE]                the control API; sets HTTP, OUT
#   jq_py EXPR                 EXPR over `j` = json of $OUT (python3)
MDM_TD="$TESTDATA/apple-device-management/mdm"
CAPS="$TESTDATA/mdm-captures"
MDS_HERE=$(cd "$(dirname "$0")/../mdm" && pwd)
CAPTURE="python3 $MDS_HERE/capture.py"
SCEPMSG="python3 $MDS_HERE/scepmsg.py"
MDS_PID=""
_mds_n=0

trap 'mds_kill; [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"' EXIT

mds_kill() { [ -n "$MDS_PID" ] && kill -9 "$MDS_PID" 2>/dev/null; MDS_PID=""; }

mds_start() {
	_mds_n=$((_mds_n + 1))
	MDS_DIR="$TMP/srv$_mds_n"
	mkdir -p "$MDS_DIR"
	"$BIN/mdmserver" --dir "$MDS_DIR/pki" --schema "$MDM_TD" --ready-file "$MDS_DIR/ready.json" \
	    --report "$MDS_DIR/report.json" --profile-out "$MDS_DIR/enroll.mobileconfig" "$@" \
	    >"$MDS_DIR/log" 2>&1 &
	MDS_PID=$!
	_i=0
	while [ ! -s "$MDS_DIR/ready.json" ]; do
		_i=$((_i + 1))
		if [ $_i -gt 300 ] || ! kill -0 "$MDS_PID" 2>/dev/null; then
			_fail "server_start_$_mds_n" "mdmserver did not start: $*" "$(cat "$MDS_DIR/log")"
			MDS_PID=""
			return 1
		fi
		sleep 0.05
	done
	eval "$(python3 -c 'import json,sys
j=json.load(open(sys.argv[1]))
for k,v in (("MDS_BASE","base_url"),("MDS_SU","server_url"),("MDS_CI","checkin_url"),
            ("MDS_SCEP","scep_url"),("MDS_CTL","control_url"),("MDS_TOPIC","topic")):
    print("%s=%s" % (k, j[v]))' "$MDS_DIR/ready.json")"
}

mds_stop() {
	[ -n "$MDS_PID" ] || return 0
	kill -TERM "$MDS_PID"
	wait "$MDS_PID"
	_rc=$?
	MDS_PID=""
	if [ $_rc -eq 0 ] && ! grep -q 'ERROR: AddressSanitizer\|runtime error' "$MDS_DIR/log"; then
		_pass "server_exit_clean_$_mds_n"
	else
		_fail "server_exit_clean_$_mds_n" "mdmserver exited $_rc" "$(tail -n 40 "$MDS_DIR/log")"
	fi
}

# A device identity issued by the server's SCEP CA (its key is in --dir).
dev_identity() {
	_eku=${3:-clientAuth}
	openssl req -new -newkey rsa:2048 -nodes -keyout "$TMP/$1.key" -subj "/O=curl device/CN=$2" \
	    -out "$TMP/$1.csr" 2>/dev/null
	if [ "$_eku" = none ]; then printf 'keyUsage=digitalSignature\n' >"$TMP/$1.ext"
	else printf 'keyUsage=digitalSignature\nextendedKeyUsage=%s\n' "$_eku" >"$TMP/$1.ext"; fi
	openssl x509 -req -in "$TMP/$1.csr" -CA "$MDS_DIR/pki/scep-ca.pem" -CAkey "$MDS_DIR/pki/scep-ca.key" \
	    -set_serial "0x$(openssl rand -hex 8)" -days ${4:-30} -extfile "$TMP/$1.ext" -out "$TMP/$1.pem" 2>/dev/null
}

# An identity with chosen validity (openssl ca: OpenSSL 3.0's x509 -req has no -not_before).
dev_identity_dated() { # NAME CN START END (YYYYMMDDHHMMSSZ)
	_d="$TMP/ca-$1"
	mkdir -p "$_d"
	: >"$_d/index.txt"
	printf '[ca]\ndefault_ca=c\n[c]\ndatabase=%s/index.txt\nnew_certs_dir=%s\nserial=%s/serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n[x]\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n' \
	    "$_d" "$_d" "$_d" >"$_d/cnf"
	openssl rand -hex 8 >"$_d/serial"
	openssl req -new -newkey rsa:2048 -nodes -keyout "$TMP/$1.key" -subj "/CN=$2" -out "$TMP/$1.csr" 2>/dev/null
	openssl ca -batch -config "$_d/cnf" -extensions x -startdate "$3" -enddate "$4" -notext \
	    -cert "$MDS_DIR/pki/scep-ca.pem" -keyfile "$MDS_DIR/pki/scep-ca.key" -in "$TMP/$1.csr" \
	    -out "$TMP/$1.pem" 2>/dev/null
}

# dev_put URL CTYPE FILE ID [MD] [CMSFLAGS]: ID "-" sends no Mdm-Signature.
dev_put() {
	_hdr=""
	if [ "$4" != - ]; then
		_sig=$(openssl cms -sign -binary -in "$3" -signer "$TMP/$4.pem" -inkey "$TMP/$4.key" \
		    -outform DER -md "${5:-sha256}" ${6:-} | base64 -w0)
		_hdr="Mdm-Signature: $_sig"
	fi
	RESP="$TMP/resp.body"
	HTTP=$(curl -s -o "$RESP" -w '%{http_code}' -X PUT ${2:+-H "Content-Type: $2"} \
	    ${_hdr:+-H "$_hdr"} --data-binary "@$3" "$1")
}

CHECKIN_CT=application/x-apple-aspen-mdm-checkin

plist_file() { # FILE KEYS-XML
	printf '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n<dict>\n%s\n</dict>\n</plist>\n' "$2" >"$1"
}
# An Authenticate as macOS sends it (the keys of captures/curl/01).
pl_auth() { # FILE UDID [OS]
	plist_file "$1" "<key>BuildVersion</key><string>24E263</string>
<key>DeviceName</key><string>curl Mac</string><key>MessageType</key><string>Authenticate</string>
<key>Model</key><string>Mac16,10</string><key>ModelName</key><string>Mac mini</string>
<key>OSVersion</key><string>${3:-15.4}</string><key>ProductName</key><string>Mac16,10</string>
<key>SerialNumber</key><string>CURL00000001</string><key>Topic</key><string>$MDS_TOPIC</string>
<key>UDID</key><string>$2</string>"
}
pl_tokenupdate() { # FILE UDID [EXTRA-XML]
	plist_file "$1" "<key>AwaitingConfiguration</key><false/><key>MessageType</key><string>TokenUpdate</string>
<key>PushMagic</key><string>PM-$2</string><key>Token</key><data>d7LtdLVlPYUjy+8+LoJUDg6q1fqBmMlrt1nrfZfaS5k=</data>
<key>Topic</key><string>$MDS_TOPIC</string><key>UDID</key><string>$2</string>${3:-}"
}
pl_status() { # FILE STATUS UDID [UUID] [EXTRA-XML]
	plist_file "$1" "<key>Status</key><string>$2</string><key>UDID</key><string>$3</string>${4:+<key>CommandUUID</key><string>$4</string>}${5:-}"
}
# The CommandUUID of the plist in $RESP ("" when the reply is empty).
resp_uuid() { python3 -c 'import plistlib,sys
d=open(sys.argv[1],"rb").read()
print(plistlib.loads(d)["CommandUUID"] if d.strip() else "")' "$RESP"; }
resp_reqtype() { python3 -c 'import plistlib,sys
d=open(sys.argv[1],"rb").read()
print(plistlib.loads(d)["Command"]["RequestType"] if d.strip() else "")' "$RESP"; }

ctl() { # METHOD PATH [BODY|@FILE]
	if [ $# -ge 3 ]; then
		OUT=$(curl -s -w '\n%{http_code}' -X "$1" --data-binary "$3" "$MDS_CTL$2")
	else
		OUT=$(curl -s -w '\n%{http_code}' -X "$1" "$MDS_CTL$2")
	fi
	HTTP=$(printf '%s' "$OUT" | tail -n 1)
	OUT=$(printf '%s' "$OUT" | sed '$d')
}
jq_py() { printf '%s' "$OUT" | python3 -c "import json,sys
j=json.load(sys.stdin)
v=($1)
print(json.dumps(v) if not isinstance(v,str) else v)"; }
# eq NAME GOT WANT
eq() { if [ "$2" = "$3" ]; then _pass "$1"; else _fail "$1" "got: $2" "wanted: $3"; fi; }
