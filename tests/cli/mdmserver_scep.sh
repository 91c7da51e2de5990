# mdmserver_scep.sh — the conformance server's SCEP responder (RFC 8894) and a
# whole enrolment through it: the test's own client (tests/mdm/scepmsg.py +
# openssl req/cms/dgst) reads the enrolment profile the server wrote, asks
# for a certificate with the profile's challenge and subject, and enrols
# (Authenticate, TokenUpdate, Idle, Acknowledged) with the identity it got.
# PENDING with GetCertInitial polls, FAILURE modes, GET and POST forms, an RA,
# renewal, and the recorded PKCSReq of mdmb (encrypted to another CA).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../mdm/lib.sh"
need_testdata scep || exit 0

mds_start || exit 0
S="$MDS_SCEP"
# --- GetCACaps, GetCACert ---
t_out getcacaps "$(printf 'Renewal\nSHA-1\nSHA-256\nAES\nDES3\nSCEPStandard\nPOSTPKIOperation')" curl -s "$S?operation=GetCACaps"
CT=$(curl -s -o "$TMP/ca.der" -w '%{content_type}' "$S?operation=GetCACert")
eq getcacert_content_type "$CT" application/x-x509-ca-cert
openssl x509 -inform DER -in "$TMP/ca.der" -out "$TMP/ca.pem"
eq getcacert_is_the_ca "$(openssl x509 -in "$TMP/ca.pem" -noout -fingerprint -sha256)" \
    "$(openssl x509 -in "$MDS_DIR/pki/scep-ca.pem" -noout -fingerprint -sha256)"

# --- the profile's SCEP payload drives the request ---
PROF="$MDS_DIR/enroll.mobileconfig"
eval "$(python3 -c 'import plistlib,sys,hashlib
p=plistlib.load(open(sys.argv[1],"rb"))
scep=[x for x in p["PayloadContent"] if x["PayloadType"]=="com.apple.security.scep"][0]
mdm=[x for x in p["PayloadContent"] if x["PayloadType"]=="com.apple.mdm"][0]
c=scep["PayloadContent"]
print("P_URL=%s P_CHAL=%s P_KEYSIZE=%d P_FP=%s P_IDMATCH=%s" % (c["URL"], c["Challenge"], c["Keysize"],
  c["CAFingerprint"].hex(), mdm["IdentityCertificateUUID"]==scep["PayloadUUID"]))
subj="".join("/%s=%s" % tuple(rdn[0]) for rdn in c["Subject"])
print("P_SUBJ=\"%s\"" % subj)' "$PROF")"
eq profile_scep_url "$P_URL" "$S"
eq profile_identity_is_scep_payload "$P_IDMATCH" True
eq profile_ca_fingerprint "$P_FP" "$(openssl x509 -in "$TMP/ca.pem" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d : | tr A-F a-f)"
HW=4F3C2B1A-0000-4111-8222-933344445555
SUBJ=$(printf '%s' "$P_SUBJ" | sed "s/%HardwareUUID%/$HW/")
eq profile_subject "$SUBJ" "/O=macext MDM Lab/CN=$HW"

# csr NAME SUBJECT CHALLENGE: key + DER CSR with a challengePassword
csr() {
	{
		printf '[req]\ndistinguished_name=dn\nprompt=no\n'
		[ -n "$3" ] && printf 'attributes=attrs\n'
		printf '[dn]\n'
		printf '%s\n' "$2" | tr '/' '\n' | sed '/^$/d'
		[ -n "$3" ] && printf '[attrs]\nchallengePassword=%s\n' "$3"
	} >"$TMP/$1.cnf"
	openssl req -new -newkey "rsa:$P_KEYSIZE" -nodes -keyout "$TMP/$1.key" -config "$TMP/$1.cnf" \
	    -outform DER -out "$TMP/$1.csr" 2>/dev/null
	openssl req -x509 -key "$TMP/$1.key" -subj "/CN=SCEP SIGNER" -days 1 -out "$TMP/$1.signer" 2>/dev/null
}
# pkiop NAME TYPE TRANSID [build flags]: POST a pkiMessage; sets HTTP, REP (the parsed attributes)
pkiop() {
	_n=$1 _ty=$2 _tx=$3
	shift 3
	$SCEPMSG build --type "$_ty" --key "$TMP/$_n.key" --signer "$TMP/$_n.signer" --recipient "${RECIP:-$TMP/ca.pem}" \
	    --content "$TMP/$_n.csr" --transid "$_tx" --nonce 00112233445566778899aabbccddeeff "$@" >"$TMP/$_n.req"
	HTTP=$(curl -s -o "$TMP/$_n.rep" -w '%{http_code}' -X POST -H 'Content-Type: application/octet-stream' \
	    --data-binary "@$TMP/$_n.req" "$S?operation=PKIOperation")
	REP=$($SCEPMSG parse "$TMP/$_n.rep" 2>&1)
}
rep() { printf '%s' "$REP" | python3 -c "import json,sys
j=json.load(sys.stdin)
print(' '.join(str(j.get(k)) for k in sys.argv[1:]))" "$@"; }
# issued NAME: verify the CertRep with the CA, decrypt, extract the certificate
issued() {
	openssl cms -verify -inform DER -in "$TMP/$1.rep" -CAfile "$TMP/ca.pem" -purpose any -binary -out "$TMP/$1.env" 2>/dev/null &&
	    openssl cms -decrypt -inform DER -in "$TMP/$1.env" -recip "$TMP/$1.signer" -inkey "$TMP/$1.key" -binary -out "$TMP/$1.p7" &&
	    openssl pkcs7 -inform DER -in "$TMP/$1.p7" -print_certs -out "$TMP/$1.pem" 2>/dev/null
}

# --- PKCSReq → CertRep SUCCESS ---
csr dev "$SUBJ" "$P_CHAL"
pkiop dev 19 TX-DEV-1
eq pkcsreq_200 "$HTTP" 200
eq certrep_success "$(rep messageType pkiStatus transactionID recipientNonce has_content)" \
    "3 0 TX-DEV-1 00112233445566778899aabbccddeeff True"
check certrep_decrypts issued dev
eq issued_subject "$(openssl x509 -in "$TMP/dev.pem" -noout -subject)" "subject=O = macext MDM Lab, CN = $HW"
t_grep issued_eku_clientauth 'TLS Web Client Authentication' openssl x509 -in "$TMP/dev.pem" -noout -ext extendedKeyUsage
t issued_chains_to_ca openssl verify -CAfile "$TMP/ca.pem" -purpose sslclient "$TMP/dev.pem"
eq issued_key_is_csr_key "$(openssl x509 -in "$TMP/dev.pem" -noout -pubkey | openssl sha256)" \
    "$(openssl pkey -in "$TMP/dev.key" -pubout | openssl sha256)"

# --- and enrol with it: Authenticate, TokenUpdate, Idle, Acknowledged ---
pl_auth "$TMP/auth" "$HW"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/auth" dev
eq scep_identity_authenticate "$HTTP" 200
pl_tokenupdate "$TMP/tu" "$HW"
dev_put "$MDS_CI" "$CHECKIN_CT" "$TMP/tu" dev sha1
eq scep_identity_tokenupdate "$HTTP" 200
ctl POST "/v1/enqueue/$HW" '{"request_type":"SecurityInfo","command_uuid":"SI-1"}'
pl_status "$TMP/idle" Idle "$HW"
dev_put "$MDS_SU" "" "$TMP/idle" dev
eq scep_identity_idle_gets_command "$HTTP:$(resp_uuid)" "200:SI-1"
pl_status "$TMP/ack" Acknowledged "$HW" SI-1 "<key>SecurityInfo</key><dict><key>SystemIntegrityProtectionEnabled</key><true/><key>AuthenticatedRootVolumeEnabled</key><true/></dict>"
dev_put "$MDS_SU" "" "$TMP/ack" dev
eq scep_identity_ack "$HTTP:$(wc -c <"$RESP")" "200:0"
ctl GET "/v1/results?uuid=SI-1"
eq scep_identity_result "$(jq_py '[j["results"][0][k] for k in ("status","valid")]')" '["Acknowledged", true]'
ctl GET "/v1/enrollments/$HW"
eq enrolled "$(jq_py '[j["enabled"], j["cert_sha256"]]')" \
    "[true, \"$(openssl x509 -in "$TMP/dev.pem" -outform DER | openssl sha256 -r | cut -d' ' -f1)\"]"

# --- GET form: message= base64 ---
csr devg "$SUBJ" "$P_CHAL"
$SCEPMSG build --type 19 --key "$TMP/devg.key" --signer "$TMP/devg.signer" --recipient "$TMP/ca.pem" \
    --content "$TMP/devg.csr" --transid TX-GET >"$TMP/devg.req"
MSG=$(base64 -w0 "$TMP/devg.req" | python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.stdin.read(),safe=""))')
HTTP=$(curl -s -o "$TMP/devg.rep" -w '%{http_code}' "$S?operation=PKIOperation&message=$MSG")
REP=$($SCEPMSG parse "$TMP/devg.rep")
eq get_form_success "$HTTP $(rep pkiStatus transactionID)" "200 0 TX-GET"
check get_form_issued issued devg

# --- SHA-1 and 3DES, as older clients (mdmb's capture) send ---
csr dev1 "$SUBJ" "$P_CHAL"
pkiop dev1 19 TX-SHA1 --md sha1 --cipher des3
eq sha1_des3_success "$(rep pkiStatus)" 0
check sha1_des3_issued issued dev1
t_grep reply_uses_requesters_digest 'sha1' sh -c "openssl cms -cmsout -print -inform DER -in '$TMP/dev1.rep' | grep -A1 'digestAlgorithm:' | head -2"
t_grep reply_uses_requesters_cipher 'des-ede3-cbc' sh -c "openssl cms -cmsout -print -inform DER -in '$TMP/dev1.env' | grep -A1 contentEncryptionAlgorithm"

# --- wrong challenge: FAILURE badRequest, no content ---
csr bad "$SUBJ" wrong-secret
pkiop bad 19 TX-BAD
eq wrong_challenge_failure "$HTTP $(rep pkiStatus failInfo has_content)" "200 2 2 False"
t cms_failure_reply_verifies openssl cms -verify -inform DER -in "$TMP/bad.rep" -CAfile "$TMP/ca.pem" -purpose any -binary -content /dev/null -out /dev/null

# --- a message the server cannot decrypt: FAILURE badMessageCheck ---
openssl x509 -in "$MDS_DIR/pki/other-ca.pem" -out "$TMP/other.pem"
RECIP="$TMP/other.pem" pkiop bad 19 TX-OTHER-CA
eq undecryptable_badmessagecheck "$(rep pkiStatus failInfo transactionID)" "2 1 TX-OTHER-CA"
# mdmb's recorded PKCSReq, encrypted to the lab CA of the captures
$CAPTURE "$CAPS/scep/mdmb-03-PKIOperation-PKCSReq__CertRep.http" body >"$TMP/mdmb.req"
TXM=$($SCEPMSG parse "$TMP/mdmb.req" | python3 -c 'import json,sys;j=json.load(sys.stdin);print(j["messageType"], j["transactionID"])')
eq mdmb_pkcsreq_parsed_by_test_client "$(echo "$TXM" | cut -d' ' -f1)" 19
HTTP=$(curl -s -o "$TMP/mdmb.rep" -w '%{http_code}' -X POST --data-binary "@$TMP/mdmb.req" "$S?operation=PKIOperation")
REP=$($SCEPMSG parse "$TMP/mdmb.rep")
eq mdmb_pkcsreq_answered "$HTTP $(rep pkiStatus failInfo transactionID)" "200 2 1 $(echo "$TXM" | cut -d' ' -f2)"
$CAPTURE "$CAPS/scep/scepclient-03-PKIOperation-PKCSReq__CertRep.http" body >"$TMP/scepclient.req"
HTTP=$(curl -s -o "$TMP/sc.rep" -w '%{http_code}' -X POST --data-binary "@$TMP/scepclient.req" "$S?operation=PKIOperation")
REP=$($SCEPMSG parse "$TMP/sc.rep")
eq scepclient_pkcsreq_answered "$HTTP $(rep pkiStatus failInfo)" "200 2 1"
head -c 300 /dev/urandom >"$TMP/garbage"
HTTP=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary "@$TMP/garbage" "$S?operation=PKIOperation")
eq garbage_400 "$HTTP" 400
HTTP=$(curl -s -o /dev/null -w '%{http_code}' "$S?operation=GetCRL")
eq unknown_operation_400 "$HTTP" 400

# --- PENDING: two GetCertInitial polls, then the certificate ---
ctl POST /v1/scep '{"mode":"pending","polls":2}'
eq scep_mode_pending "$HTTP" 200
csr pend "$SUBJ" "$P_CHAL"
pkiop pend 19 TX-PEND
eq pkcsreq_pending "$(rep pkiStatus has_content)" "3 False"
pkiop pend 20 TX-PEND
eq poll1_pending "$(rep messageType pkiStatus)" "3 3"
pkiop pend 20 TX-PEND
eq poll2_success "$(rep pkiStatus has_content)" "0 True"
check poll2_issued issued pend
pkiop pend 20 TX-NEVER
eq poll_unknown_transaction_badcertid "$(rep pkiStatus failInfo)" "2 4"

# --- FAILURE mode ---
ctl POST /v1/scep '{"mode":"failure","fail_info":"badTime"}'
csr fail "$SUBJ" "$P_CHAL"
pkiop fail 19 TX-FAIL
eq failure_mode "$(rep pkiStatus failInfo)" "2 3"
ctl POST /v1/scep '{"mode":"bogus"}'
eq scep_mode_bogus_400 "$HTTP" 400
ctl POST /v1/scep '{"mode":"success"}'

# --- renewal: a RenewalReq signed by the identity we issued ---
csr ren "$SUBJ" ""
cp "$TMP/dev.pem" "$TMP/ren.signer"
cp "$TMP/dev.key" "$TMP/ren.key"
openssl req -new -key "$TMP/ren.key" -config "$TMP/ren.cnf" -outform DER -out "$TMP/ren.csr" 2>/dev/null
pkiop ren 17 TX-RENEW
eq renewal_success "$(rep pkiStatus)" 0
csr ren2 "$SUBJ" ""
pkiop ren2 17 TX-RENEW-SELF
eq renewal_self_signed_refused "$(rep pkiStatus failInfo)" "2 2"
ctl GET /v1/report
eq scep_counters "$(jq_py '[j["counters"][k] for k in ("scep_pkcsreq","scep_getcertinitial","scep_issued","scep_pending")]')" '[8, 3, 5, 2]'
mds_stop

# --- an RA: GetCACert answers RA + CA, requests are encrypted to the RA ---
mds_start --scep-ra --scep-port 0 || exit 0
S="$MDS_SCEP"
eq separate_scep_port "$(echo "$S" | grep -c "^http://127.0.0.1:[0-9]*/scep$")" 1
CT=$(curl -s -o "$TMP/ra.p7" -w '%{content_type}' "$S?operation=GetCACert")
eq ra_content_type "$CT" application/x-x509-ca-ra-cert
openssl pkcs7 -inform DER -in "$TMP/ra.p7" -print_certs -out "$TMP/ra-all.pem"
eq ra_two_certs "$(grep -c 'BEGIN CERTIFICATE' "$TMP/ra-all.pem")" 2
openssl x509 -in "$MDS_DIR/pki/scep-ca.pem" -out "$TMP/ca.pem"
awk '/BEGIN/{n++} n==1' "$TMP/ra-all.pem" >"$TMP/ra.pem"
t_grep ra_is_not_ca 'macext MDM SCEP RA' openssl x509 -in "$TMP/ra.pem" -noout -subject
csr rad "$SUBJ" "$P_CHAL"
RECIP="$TMP/ra.pem" pkiop rad 19 TX-RA
eq ra_success "$(rep pkiStatus)" 0
check ra_reply_verifies_to_ca issued rad
openssl cms -verify -inform DER -in "$TMP/rad.rep" -CAfile "$TMP/ca.pem" -purpose any -binary -out /dev/null \
    -signer "$TMP/rad.repsigner" 2>/dev/null
t_grep ra_signed_reply 'macext MDM SCEP RA' openssl x509 -in "$TMP/rad.repsigner" -noout -subject
mds_stop
