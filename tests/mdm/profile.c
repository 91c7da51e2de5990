/*
 * profile.c — writes the enrolment profile for this server: a real
 * .mobileconfig, built with libplist, whose payloads follow Apple's
 * profile schemas (mdm/profiles/com.apple.mdm.yaml, com.apple.security.scep
 * .yaml, com.apple.security.pkcs12.yaml, com.apple.security.root.yaml,
 * com.apple.security.pkcs1.yaml) and NanoMDM's docs/enroll.mobileconfig:
 *
 *   com.apple.security.root    the TLS CA (when the server speaks HTTPS)
 *   com.apple.security.scep    URL, Name, Subject [[["O",..]],[["CN","%HardwareUUID%"]]],
 *                              Challenge, Keysize, Key Type RSA, Key Usage 5,
 *                              CAFingerprint (SHA-1 of the CA), Retries, RetryDelay
 *     or com.apple.security.pkcs12  a fresh identity from the SCEP CA, with Password
 *   com.apple.security.pkcs1   the pinned certificate (--pin leaf|other)
 *   com.apple.mdm              IdentityCertificateUUID, Topic, ServerURL, CheckInURL,
 *                              SignMessage, AccessRights, CheckOutWhenRemoved,
 *                              ServerCapabilities, *PinningCertificateUUIDs
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pkcs12.h>
#include <openssl/sha.h>
#include <plist/plist.h>

#include "mdms.h"

static plist_t
payload(const char *type, const char *ident, const char *name, char uuid[37])
{
	mds_uuid(uuid);
	plist_t d = plist_new_dict();
	plist_dict_set_item(d, "PayloadType", plist_new_string(type));
	plist_dict_set_item(d, "PayloadVersion", plist_new_uint(1));
	plist_dict_set_item(d, "PayloadIdentifier", plist_new_string(ident));
	plist_dict_set_item(d, "PayloadUUID", plist_new_string(uuid));
	plist_dict_set_item(d, "PayloadDisplayName", plist_new_string(name));
	return d;
}

static plist_t
cert_payload(const char *type, const char *ident, const char *name, X509 *x, const char *file,
    char uuid[37])
{
	plist_t d = payload(type, ident, name, uuid);
	uint8_t *der = NULL;
	size_t n = 0;
	mds_pki_der(x, &der, &n);
	plist_dict_set_item(d, "PayloadContent", plist_new_data((const char *)der, n));
	plist_dict_set_item(d, "PayloadCertificateFileName", plist_new_string(file));
	OPENSSL_free(der);
	return d;
}

static plist_t
subject_rdn(const char *k, const char *v)
{
	plist_t pair = plist_new_array();
	plist_array_append_item(pair, plist_new_string(k));
	plist_array_append_item(pair, plist_new_string(v));
	plist_t rdn = plist_new_array();
	plist_array_append_item(rdn, pair);
	return rdn;
}

static plist_t
scep_payload(mds_server *s, char uuid[37])
{
	plist_t d = payload("com.apple.security.scep", "com.macext.mdmserver.enroll.scep",
	    "macext MDM identity (SCEP)", uuid);
	plist_t c = plist_new_dict();
	plist_dict_set_item(c, "URL", plist_new_string(s->scep_url));
	plist_dict_set_item(c, "Name", plist_new_string("macext-mdm-scep"));
	plist_t subj = plist_new_array();
	plist_array_append_item(subj, subject_rdn("O", "macext MDM Lab"));
	plist_array_append_item(subj, subject_rdn("CN", "%HardwareUUID%"));
	plist_dict_set_item(c, "Subject", subj);
	if (s->cfg.scep_challenge)
		plist_dict_set_item(c, "Challenge", plist_new_string(s->cfg.scep_challenge));
	plist_dict_set_item(c, "Keysize", plist_new_uint((uint64_t)s->cfg.keysize));
	plist_dict_set_item(c, "Key Type", plist_new_string("RSA"));
	plist_dict_set_item(c, "Key Usage", plist_new_uint(5));
	uint8_t *der = NULL;
	size_t n = 0;
	mds_pki_der(s->pki.scep_ca, &der, &n);
	uint8_t fp[SHA_DIGEST_LENGTH];
	SHA1(der, n, fp);
	OPENSSL_free(der);
	plist_dict_set_item(c, "CAFingerprint", plist_new_data((const char *)fp, sizeof fp));
	plist_dict_set_item(c, "Retries", plist_new_uint(5));
	plist_dict_set_item(c, "RetryDelay", plist_new_uint(1));
	plist_dict_set_item(d, "PayloadContent", c);
	return d;
}

static plist_t
pkcs12_payload(mds_server *s, char uuid[37], mds_err *err)
{
	char cn[64];
	char id[37];
	mds_uuid(id);
	snprintf(cn, sizeof cn, "%s", id);
	EVP_PKEY *k = mds_pki_rsa(2048);
	X509 *x = k ? mds_pki_cert(k, cn, "macext MDM Lab", s->pki.scep_ca, s->pki.scep_key, "client",
	    NULL, -600, (long)s->cfg.cert_days * 86400, atomic_fetch_add(&s->pki.serial, 1)) : NULL;
	STACK_OF(X509) *ca = sk_X509_new_null();
	sk_X509_push(ca, s->pki.scep_ca);
	PKCS12 *p12 = x ? PKCS12_create(s->cfg.p12_password, "macext MDM identity", k, x, ca, 0, 0, 0, 0, 0) : NULL;
	sk_X509_free(ca);
	uint8_t *der = NULL;
	int n = p12 ? i2d_PKCS12(p12, &der) : -1;
	PKCS12_free(p12);
	X509_free(x);
	EVP_PKEY_free(k);
	if (n <= 0) {
		mds_fail(err, 0, "cannot build the PKCS#12 identity");
		return NULL;
	}
	plist_t d = payload("com.apple.security.pkcs12", "com.macext.mdmserver.enroll.identity",
	    "macext MDM identity (PKCS#12)", uuid);
	plist_dict_set_item(d, "PayloadContent", plist_new_data((const char *)der, (uint64_t)n));
	plist_dict_set_item(d, "PayloadCertificateFileName", plist_new_string("identity.p12"));
	plist_dict_set_item(d, "Password", plist_new_string(s->cfg.p12_password));
	OPENSSL_free(der);
	return d;
}

int
mds_profile_build(mds_server *s, mds_buf *out, const char *identity, const char *pin, mds_err *err)
{
	if (identity == NULL)
		identity = s->cfg.identity ? s->cfg.identity : "scep";
	if (pin == NULL)
		pin = s->cfg.pin;
	if (pin && strcmp(pin, "none") == 0)
		pin = NULL;
	if (strcmp(identity, "scep") != 0 && strcmp(identity, "pkcs12") != 0)
		return mds_fail(err, 0, "identity must be scep or pkcs12, not %s", identity);
	if (pin && strcmp(pin, "ca") != 0 && strcmp(pin, "leaf") != 0 && strcmp(pin, "other") != 0)
		return mds_fail(err, 0, "pin must be ca, leaf, other or none, not %s", pin);
	plist_t content = plist_new_array();
	char root_uuid[37] = "", id_uuid[37], pin_uuid[37] = "", mdm_uuid[37], top_uuid[37];
	if (s->cfg.tls)
		plist_array_append_item(content, cert_payload("com.apple.security.root",
		    "com.macext.mdmserver.enroll.root", "macext MDM TLS CA", s->pki.tls_ca, "tls-ca.cer", root_uuid));
	plist_t idp = strcmp(identity, "scep") == 0 ? scep_payload(s, id_uuid) : pkcs12_payload(s, id_uuid, err);
	if (idp == NULL) {
		plist_free(content);
		return -1;
	}
	plist_array_append_item(content, idp);
	if (pin && strcmp(pin, "ca") == 0) {
		if (!s->cfg.tls) {
			plist_free(content);
			return mds_fail(err, 0, "--pin ca needs --tls");
		}
		snprintf(pin_uuid, sizeof pin_uuid, "%s", root_uuid);
	} else if (pin) {
		X509 *x = strcmp(pin, "leaf") == 0 ? s->pki.tls_cert : s->pki.other_ca;
		plist_array_append_item(content, cert_payload("com.apple.security.pkcs1",
		    "com.macext.mdmserver.enroll.pin", "macext MDM pinned certificate", x, "pin.cer", pin_uuid));
	}
	plist_t m = payload("com.apple.mdm", "com.macext.mdmserver.enroll.mdm", "macext conformance MDM", mdm_uuid);
	plist_dict_set_item(m, "IdentityCertificateUUID", plist_new_string(id_uuid));
	plist_dict_set_item(m, "Topic", plist_new_string(s->cfg.topic));
	char url[512];
	snprintf(url, sizeof url, "%s%s", s->base_url, s->cfg.mdm_path);
	plist_dict_set_item(m, "ServerURL", plist_new_string(url));
	if (!s->cfg.no_checkin_url) {
		snprintf(url, sizeof url, "%s%s", s->base_url, s->cfg.checkin_path);
		plist_dict_set_item(m, "CheckInURL", plist_new_string(url));
	}
	bool sign = s->cfg.sign_message_set ? s->cfg.sign_message : !s->cfg.mtls;
	plist_dict_set_item(m, "SignMessage", plist_new_bool(sign));
	plist_dict_set_item(m, "AccessRights", plist_new_uint((uint64_t)s->cfg.access_rights));
	plist_dict_set_item(m, "CheckOutWhenRemoved", plist_new_bool(s->cfg.checkout_when_removed));
	plist_t caps = plist_new_array();
	if (s->cfg.capabilities) {
		char *dup = mds_xstrdup(s->cfg.capabilities), *save = NULL;
		for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save))
			if (t[0])
				plist_array_append_item(caps, plist_new_string(t));
		free(dup);
	}
	plist_dict_set_item(m, "ServerCapabilities", caps);
	if (pin_uuid[0]) {
		plist_t a1 = plist_new_array(), a2 = plist_new_array();
		plist_array_append_item(a1, plist_new_string(pin_uuid));
		plist_array_append_item(a2, plist_new_string(pin_uuid));
		plist_dict_set_item(m, "ServerURLPinningCertificateUUIDs", a1);
		plist_dict_set_item(m, "CheckInURLPinningCertificateUUIDs", a2);
		plist_dict_set_item(m, "PinningRevocationCheckRequired", plist_new_bool(0));
	}
	plist_array_append_item(content, m);
	mds_uuid(top_uuid);
	plist_t top = plist_new_dict();
	plist_dict_set_item(top, "PayloadContent", content);
	plist_dict_set_item(top, "PayloadDisplayName", plist_new_string("macext conformance MDM enrolment"));
	plist_dict_set_item(top, "PayloadIdentifier", plist_new_string("com.macext.mdmserver.enroll"));
	plist_dict_set_item(top, "PayloadOrganization", plist_new_string("macext"));
	plist_dict_set_item(top, "PayloadScope", plist_new_string("System"));
	plist_dict_set_item(top, "PayloadType", plist_new_string("Configuration"));
	plist_dict_set_item(top, "PayloadUUID", plist_new_string(top_uuid));
	plist_dict_set_item(top, "PayloadVersion", plist_new_uint(1));
	char *xml = NULL;
	uint32_t xl = 0;
	plist_to_xml(top, &xml, &xl);
	plist_free(top);
	if (xml == NULL)
		return mds_fail(err, 0, "cannot serialize the profile");
	mds_buf_add(out, xml, xl);
	plist_to_xml_free(xml);
	return 0;
}
