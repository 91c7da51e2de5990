# mdmserver_tls.sh — the conformance server over HTTPS: a server certificate
# from the test TLS CA (what the profile's com.apple.security.root carries),
# the bad certificates an agent must refuse (another CA, a wrong host name,
# expired), the pinning payloads of the profile, and TLS client-certificate
# identity (--mtls) instead of Mdm-Signature.  curl and openssl s_client are
# the clients.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../mdm/lib.sh"
need_testdata tls || exit 0

U1=0E5AE1D7-1111-4222-8333-944455556666
U2=0E5AE1D7-2222-4222-8333-944455556666
prof() { # EXPR over the profile p (python3, plistlib)
	python3 -c "import plistlib,sys
p=plistlib.load(open(sys.argv[1],'rb'))
by={x['PayloadType']:x for x in p['PayloadContent']}
v=($1)
print(v)" "$MDS_DIR/enroll.mobileconfig"
}

# --- good: trusted through the profile's root payload ---
mds_start --tls --scep-port 0 || exit 0
eq https_urls "$(echo "$MDS_SU" | cut -c1-8):$(echo "$MDS_SCEP" | cut -c1-7)" "https://:http://"
pl_auth "$TMP/auth1" "$U1"
dev_identity d1 "$U1"
sig=$(openssl cms -sign -binary -in "$TMP/auth1" -signer "$TMP/d1.pem" -inkey "$TMP/d1.key" -outform DER | base64 -w0)
HTTP=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$MDS_DIR/pki/tls-ca.pem" -X PUT -H "Content-Type: $CHECKIN_CT" \
    -H "Mdm-Signature: $sig" --data-binary "@$TMP/auth1" "$MDS_CI")
eq https_authenticate "$HTTP" 200
t_exit 60 untrusted_without_the_ca curl -s -o /dev/null "$MDS_CI"
prof "by['com.apple.security.root']['PayloadContent'].hex()" >"$TMP/root.hex"
eq profile_root_is_tls_ca "$(cat "$TMP/root.hex")" "$(openssl x509 -in "$MDS_DIR/pki/tls-ca.pem" -outform DER | od -An -tx1 -v | tr -d ' \n')"
eq profile_urls_https "$(prof "by['com.apple.mdm']['ServerURL'] + ' ' + by['com.apple.mdm']['CheckInURL']")" "$MDS_SU $MDS_CI"
eq profile_sign_message "$(prof "by['com.apple.mdm']['SignMessage']")" True
openssl s_client -connect "127.0.0.1:$(echo "$MDS_BASE" | sed 's/.*://')" -CAfile "$MDS_DIR/pki/tls-ca.pem" \
    -verify_ip 127.0.0.1 -verify_return_error </dev/null >"$TMP/sc.out" 2>&1
t_grep s_client_verifies 'Verify return code: 0 \(ok\)' cat "$TMP/sc.out"
t_grep server_key_ec 'Server public key is 256 bit' cat "$TMP/sc.out"
# the pinned certificates
for pin in ca leaf other; do
	ctl GET "/v1/profile?pin=$pin"
	printf '%s' "$OUT" >"$TMP/pin-$pin.mobileconfig"
	eval "$(python3 -c 'import plistlib,sys
p=plistlib.load(open(sys.argv[1],"rb"))
m=[x for x in p["PayloadContent"] if x["PayloadType"]=="com.apple.mdm"][0]
u=m["ServerURLPinningCertificateUUIDs"]
c=[x for x in p["PayloadContent"] if x["PayloadUUID"]==u[0]][0]
open(sys.argv[2],"wb").write(c["PayloadContent"])
print("PIN_TYPE=%s PIN_SAME=%s PIN_REV=%s" % (c["PayloadType"], m["CheckInURLPinningCertificateUUIDs"]==u, m["PinningRevocationCheckRequired"]))' \
	    "$TMP/pin-$pin.mobileconfig" "$TMP/pin-$pin.der")"
	eq "pin_${pin}_payload" "$PIN_TYPE $PIN_SAME $PIN_REV" \
	    "$([ $pin = ca ] && echo com.apple.security.root || echo com.apple.security.pkcs1) True False"
done
openssl x509 -in "$MDS_DIR/pki/tls-server.pem" -outform DER -out "$TMP/leaf.der"
t pin_leaf_is_server_cert cmp "$TMP/pin-leaf.der" "$TMP/leaf.der"
openssl x509 -in "$MDS_DIR/pki/other-ca.pem" -outform DER -out "$TMP/other.der"
t pin_other_is_unrelated_ca cmp "$TMP/pin-other.der" "$TMP/other.der"
ctl GET "/v1/profile?pin=bogus"
eq pin_bogus_400 "$HTTP" 400
mds_stop

# --- bad certificates: each must be refused by a client trusting the TLS CA ---
mds_start --tls-mode other-ca || exit 0
t_exit 60 other_ca_refused curl -s -o /dev/null --cacert "$MDS_DIR/pki/tls-ca.pem" "$MDS_SU"
t_exit 0 other_ca_is_other curl -s -o /dev/null --cacert "$MDS_DIR/pki/other-ca.pem" "$MDS_SU"
mds_stop
mds_start --tls-mode wrong-host || exit 0
t_grep wrong_host_refused 'subject name|alternative|does not match' curl -sS -o /dev/null --cacert "$MDS_DIR/pki/tls-ca.pem" "$MDS_SU"
P=$(echo "$MDS_BASE" | sed 's/.*://')
t_exit 0 wrong_host_is_for_that_name curl -s -o /dev/null --cacert "$MDS_DIR/pki/tls-ca.pem" \
    --resolve "wrong-host.invalid:$P:127.0.0.1" "https://wrong-host.invalid:$P/mdm"
mds_stop
mds_start --tls-mode expired || exit 0
t_grep expired_refused 'expired' curl -sS -o /dev/null --cacert "$MDS_DIR/pki/tls-ca.pem" "$MDS_SU"
mds_stop
mds_start --tls --tls-rsa || exit 0
openssl s_client -connect "127.0.0.1:$(echo "$MDS_BASE" | sed 's/.*://')" -CAfile "$MDS_DIR/pki/tls-ca.pem" </dev/null >"$TMP/sc.out" 2>&1
t_grep server_key_rsa 'Server public key is 2048 bit' cat "$TMP/sc.out"
mds_stop

# --- mTLS: the identity is the TLS client certificate, no Mdm-Signature ---
mds_start --mtls || exit 0
eq mtls_profile_sign_message_false "$(prof "by['com.apple.mdm']['SignMessage']")" False
dev_identity m1 "$U1"
dev_identity m2 "$U2"
mput() { # FILE CERT-NAME [CTYPE] [URL]
	HTTP=$(curl -s -o "$TMP/mresp" -w '%{http_code}' --cacert "$MDS_DIR/pki/tls-ca.pem" \
	    ${2:+--cert "$TMP/$2.pem" --key "$TMP/$2.key"} -X PUT ${3:+-H "Content-Type: $3"} --data-binary "@$1" "${4:-$MDS_CI}")
}
pl_auth "$TMP/mauth1" "$U1"
mput "$TMP/mauth1" m1 "$CHECKIN_CT"
eq mtls_authenticate "$HTTP" 200
pl_tokenupdate "$TMP/mtu1" "$U1"
mput "$TMP/mtu1" m1 "$CHECKIN_CT"
eq mtls_tokenupdate "$HTTP" 200
ctl POST "/v1/enqueue/$U1" '{"request_type":"CertificateList","command_uuid":"CL1"}'
pl_status "$TMP/midle1" Idle "$U1"
mput "$TMP/midle1" m1 "" "$MDS_SU"
eq mtls_idle_gets_command "$HTTP:$(python3 -c 'import plistlib,sys;print(plistlib.load(open(sys.argv[1],"rb"))["CommandUUID"])' "$TMP/mresp")" "200:CL1"
mput "$TMP/midle1" "" "" "$MDS_SU"
eq mtls_no_client_cert_400 "$HTTP" 400
mput "$TMP/midle1" m2 "" "$MDS_SU"
eq mtls_other_cert_500 "$HTTP" 500
openssl req -new -newkey rsa:2048 -nodes -keyout "$TMP/rogue.key" -subj "/CN=$U1" -out "$TMP/rogue.csr" 2>/dev/null
openssl x509 -req -in "$TMP/rogue.csr" -CA "$MDS_DIR/pki/other-ca.pem" -CAkey "$MDS_DIR/pki/other-ca.key" \
    -set_serial 5 -days 2 -out "$TMP/rogue.pem" 2>/dev/null
mput "$TMP/midle1" rogue "" "$MDS_SU"
eq mtls_unknown_ca_400 "$HTTP" 400
ctl GET /v1/report
eq mtls_counted "$(jq_py '[j["counters"]["mtls_verified"] >= 3, j["counters"]["signature_verified_full"]]')" '[true, 0]'
mds_stop
