/*
 * enroll.c — an MDM enrolment profile (include/macext/enroll.h), read with
 * the profile reader (XML, binary, CMS-signed) and checked key by key:
 *
 *   com.apple.mdm            IdentityCertificateUUID, Topic, ServerURL (required),
 *                            CheckInURL, SignMessage, AccessRights, UseDevelopmentAPNS,
 *                            ServerCapabilities, CheckOutWhenRemoved, *PinningCertificateUUIDs,
 *                            PinningRevocationCheckRequired, PromptUserToAllow...
 *   com.apple.security.scep  PayloadContent{URL, Name, Subject, Challenge, Keysize,
 *                            Key Type, Key Usage, CAFingerprint, Retries, RetryDelay,
 *                            SubjectAltName}
 *   com.apple.security.pkcs12  PayloadContent (data), Password
 *   com.apple.security.root / pem / pkcs1   PayloadContent: one certificate (DER or PEM)
 *
 * Spec: Apple's mdm/profiles YAML files named above; the rules their prose
 * states (AccessRights 1 with 2, 64 with 128, never 0; Topic prefix; https).
 * Choice: a multi-valued RDN in Subject is flattened into one RDN per pair.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "macext/enroll.h"
#include "macext/plist_util.h"
#include "macext/profile.h"

#define CERT_MAX_BYTES (64u << 10)
#define PKCS12_MAX_BYTES (256u << 10)

static int
fail_at(mx_err *err, int code, const char *name, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
fail_at(mx_err *err, int code, const char *name, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	MX_FAIL(err, code, MX_NO_OFFSET, "%s", msg);
	if (err != NULL)
		snprintf(err->where, sizeof err->where, "%s: %s", name, path);
	return code;
}

/* Copies a string value into a fixed buffer; too long is an error, not a cut. */
static int
get_str(char *out, size_t len, plist_t dict, const char *key, bool required,
    const char *name, const char *path, mx_err *err)
{
	const char *s = NULL;
	int rc = mx_plist_get_string(&s, dict, key, required, name, path, err);
	if (rc || s == NULL)
		return rc;
	if (strlen(s) >= len) {
		char kp[256];
		mx_path_key(kp, sizeof kp, path, key);
		return fail_at(err, MX_ETOOBIG, name, kp, "%zu bytes, at most %zu", strlen(s), len - 1);
	}
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int
check_url(const char *url, unsigned flags, const char *name, const char *path, mx_err *err)
{
	if (strncmp(url, "https://", 8) == 0 && url[8] != '\0')
		return 0;
	if ((flags & MX_ENROLL_ALLOW_HTTP) && strncmp(url, "http://", 7) == 0 && url[7] != '\0')
		return 0;
	return fail_at(err, MX_EINVALID, name, path, "'%s' is not an https:// URL%s", url,
	    strncmp(url, "http://", 7) == 0 ? " (plain http only with --insecure)" : "");
}

/* One certificate from DER or PEM bytes, checked by parsing it. */
static int
cert_payload(mx_enroll_cert *c, plist_t payload, const char *type, const char *uuid,
    const char *name, const char *path, mx_err *err)
{
	plist_t data = NULL;
	int rc = mx_plist_get_node(&data, payload, "PayloadContent", PLIST_DATA, true, name, path,
	    err);
	if (rc)
		return rc;
	char kp[256];
	mx_path_key(kp, sizeof kp, path, "PayloadContent");
	uint64_t n = 0;
	const uint8_t *p = (const uint8_t *)plist_get_data_ptr(data, &n);
	if (n == 0 || n > CERT_MAX_BYTES)
		return fail_at(err, n ? MX_ETOOBIG : MX_EINVALID, name, kp,
		    "%llu bytes: a certificate is 1 to %u bytes", (unsigned long long)n, CERT_MAX_BYTES);
	X509 *x = NULL;
	const uint8_t *q = p;
	if (p[0] == 0x30)
		x = d2i_X509(NULL, &q, (long)n);
	if (x == NULL) {
		BIO *b = BIO_new_mem_buf(p, (int)n);
		x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
	}
	ERR_clear_error();
	if (x == NULL)
		return fail_at(err, MX_EFORMAT, name, kp, "not a DER or PEM X.509 certificate");
	unsigned char *der = NULL;
	int dl = i2d_X509(x, &der);
	X509_free(x);
	if (dl <= 0)
		return fail_at(err, MX_EFORMAT, name, kp, "certificate does not re-encode");
	c->der = mx_xmalloc((size_t)dl);
	memcpy(c->der, der, (size_t)dl);
	c->der_len = (size_t)dl;
	OPENSSL_free(der);
	snprintf(c->uuid, sizeof c->uuid, "%s", uuid);
	snprintf(c->type, sizeof c->type, "%s", type);
	return 0;
}

/* Subject: [ [ [oid, value], ... ], ... ] */
static int
scep_subject(mx_enroll_scep *s, plist_t arr, const char *name, const char *path, mx_err *err)
{
	char p1[256], p2[256], p3[256];
	uint32_t n = plist_array_get_size(arr);
	for (uint32_t i = 0; i < n; i++) {
		plist_t rdn = plist_array_get_item(arr, i);
		mx_path_index(p1, sizeof p1, path, i);
		int rc = mx_plist_expect(rdn, PLIST_ARRAY, name, p1, err);
		if (rc)
			return rc;
		uint32_t m = plist_array_get_size(rdn);
		for (uint32_t j = 0; j < m; j++) {
			plist_t pair = plist_array_get_item(rdn, j);
			mx_path_index(p2, sizeof p2, p1, j);
			if ((rc = mx_plist_expect(pair, PLIST_ARRAY, name, p2, err)))
				return rc;
			if (plist_array_get_size(pair) != 2)
				return fail_at(err, MX_EINVALID, name, p2,
				    "%u items, expected 2 (an OID and a value)", plist_array_get_size(pair));
			for (uint32_t k = 0; k < 2; k++) {
				mx_path_index(p3, sizeof p3, p2, k);
				if ((rc = mx_plist_expect(plist_array_get_item(pair, k), PLIST_STRING, name,
				    p3, err)))
					return rc;
			}
			if (s->nsubject == MX_ENROLL_MAX_RDN)
				return fail_at(err, MX_ETOOBIG, name, path, "more than %d subject names",
				    MX_ENROLL_MAX_RDN);
			const char *oid = mx_plist_str(plist_array_get_item(pair, 0));
			const char *val = mx_plist_str(plist_array_get_item(pair, 1));
			if (oid[0] == '\0' || strlen(oid) >= sizeof s->subject[0].oid ||
			    strlen(val) >= sizeof s->subject[0].value)
				return fail_at(err, MX_EINVALID, name, p2,
				    "an OID of 1-63 bytes and a value under 256 bytes expected");
			int obj = OBJ_txt2nid(oid);
			if (obj == NID_undef) {
				ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
				ERR_clear_error();
				mx_path_index(p3, sizeof p3, p2, 0);
				if (o == NULL)
					return fail_at(err, MX_EINVALID, name, p3,
					    "'%s' is neither a dotted OID nor C, L, ST, O, OU, CN", oid);
				ASN1_OBJECT_free(o);
			}
			mx_enroll_rdn *r = &s->subject[s->nsubject++];
			snprintf(r->oid, sizeof r->oid, "%s", oid);
			snprintf(r->value, sizeof r->value, "%s", val);
		}
	}
	return 0;
}

/* SubjectAltName: each key a string or an array of strings. */
static int
scep_san_key(char (*out)[256], int *n, plist_t san, const char *key, const char *name,
    const char *path, mx_err *err)
{
	plist_t v = plist_dict_get_item(san, key);
	char kp[256], ip[256];
	mx_path_key(kp, sizeof kp, path, key);
	if (v == NULL)
		return 0;
	if (plist_get_node_type(v) == PLIST_STRING) {
		snprintf(out[(*n)++], 256, "%s", mx_plist_str(v));
		return 0;
	}
	int rc = mx_plist_expect(v, PLIST_ARRAY, name, kp, err);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < plist_array_get_size(v); i++) {
		mx_path_index(ip, sizeof ip, kp, i);
		plist_t e = plist_array_get_item(v, i);
		if ((rc = mx_plist_expect(e, PLIST_STRING, name, ip, err)))
			return rc;
		if (*n == MX_ENROLL_MAX_SAN)
			return fail_at(err, MX_ETOOBIG, name, kp, "more than %d names", MX_ENROLL_MAX_SAN);
		snprintf(out[(*n)++], 256, "%s", mx_plist_str(e));
	}
	return 0;
}

static int
scep_payload(mx_enroll_scep *s, plist_t payload, unsigned flags, const char *name,
    const char *ppath, mx_err *err)
{
	plist_t pc = NULL;
	char path[256], kp[256];
	int rc = mx_plist_get_node(&pc, payload, "PayloadContent", PLIST_DICT, true, name, ppath,
	    err);
	if (rc)
		return rc;
	mx_path_key(path, sizeof path, ppath, "PayloadContent");
	int64_t keysize = 1024, usage = 0, retries = 3, delay = 10;
	const char *ktype = "RSA";
	plist_t subject = NULL, fp = NULL, san = NULL;
	if ((rc = get_str(s->url, sizeof s->url, pc, "URL", true, name, path, err)) ||
	    (rc = get_str(s->name, sizeof s->name, pc, "Name", false, name, path, err)) ||
	    (rc = get_str(s->challenge, sizeof s->challenge, pc, "Challenge", false, name, path,
	    err)) ||
	    (rc = mx_plist_get_int(&keysize, pc, "Keysize", false, name, path, err)) ||
	    (rc = mx_plist_get_string(&ktype, pc, "Key Type", false, name, path, err)) ||
	    (rc = mx_plist_get_int(&usage, pc, "Key Usage", false, name, path, err)) ||
	    (rc = mx_plist_get_int(&retries, pc, "Retries", false, name, path, err)) ||
	    (rc = mx_plist_get_int(&delay, pc, "RetryDelay", false, name, path, err)) ||
	    (rc = mx_plist_get_node(&subject, pc, "Subject", PLIST_ARRAY, false, name, path, err)) ||
	    (rc = mx_plist_get_node(&fp, pc, "CAFingerprint", PLIST_DATA, false, name, path, err)) ||
	    (rc = mx_plist_get_node(&san, pc, "SubjectAltName", PLIST_DICT, false, name, path, err)))
		return rc;
	mx_path_key(kp, sizeof kp, path, "URL");
	if ((rc = check_url(s->url, flags, name, kp, err)))
		return rc;
	if (keysize != 1024 && keysize != 2048 && keysize != 4096) {
		mx_path_key(kp, sizeof kp, path, "Keysize");
		return fail_at(err, MX_EINVALID, name, kp, "%lld, expected 1024, 2048 or 4096",
		    (long long)keysize);
	}
	if (strcmp(ktype, "RSA") != 0) {
		mx_path_key(kp, sizeof kp, path, "Key Type");
		return fail_at(err, MX_EINVALID, name, kp, "'%s', expected RSA", ktype);
	}
	if (usage < 0 || (usage & ~5) != 0) {
		mx_path_key(kp, sizeof kp, path, "Key Usage");
		return fail_at(err, MX_EINVALID, name, kp, "%lld: only 1 (signing) and 4 (encryption)",
		    (long long)usage);
	}
	/* a negative integer arrives two's-complement: a huge count is a mistake too */
	if (retries < 0 || retries > 100 || delay < 0 || delay > 86400) {
		mx_path_key(kp, sizeof kp, path, retries < 0 || retries > 100 ? "Retries" : "RetryDelay");
		return fail_at(err, MX_EINVALID, name, kp, "%lld is out of range (Retries 0-100, "
		    "RetryDelay 0-86400 s)", (long long)(retries < 0 || retries > 100 ? retries : delay));
	}
	s->keysize = (int)keysize;
	s->key_usage = (int)usage;
	s->retries = (int)retries;
	s->retry_delay = (int)delay;
	if (subject != NULL) {
		mx_path_key(kp, sizeof kp, path, "Subject");
		if ((rc = scep_subject(s, subject, name, kp, err)))
			return rc;
	}
	if (fp != NULL) {
		uint64_t n = 0;
		const char *b = plist_get_data_ptr(fp, &n);
		if (n != 16 && n != 20 && n != 32) {
			mx_path_key(kp, sizeof kp, path, "CAFingerprint");
			return fail_at(err, MX_EINVALID, name, kp,
			    "%llu bytes: an MD5 (16), SHA-1 (20) or SHA-256 (32) digest expected",
			    (unsigned long long)n);
		}
		memcpy(s->ca_fingerprint, b, (size_t)n);
		s->ca_fingerprint_len = (size_t)n;
	}
	if (san != NULL) {
		mx_path_key(kp, sizeof kp, path, "SubjectAltName");
		if ((rc = scep_san_key(s->san_dns, &s->nsan_dns, san, "dNSName", name, kp, err)) ||
		    (rc = scep_san_key(s->san_email, &s->nsan_email, san, "rfc822Name", name, kp, err)) ||
		    (rc = scep_san_key(s->san_uri, &s->nsan_uri, san, "uniformResourceIdentifier", name,
		    kp, err)))
			return rc;
	}
	return 0;
}

static int
pkcs12_payload(mx_enroll_pkcs12 *k, plist_t payload, const char *name, const char *path,
    mx_err *err)
{
	plist_t data = NULL;
	int rc;
	if ((rc = mx_plist_get_node(&data, payload, "PayloadContent", PLIST_DATA, true, name, path,
	    err)) ||
	    (rc = get_str(k->password, sizeof k->password, payload, "Password", false, name, path,
	    err)))
		return rc;
	uint64_t n = 0;
	const char *b = plist_get_data_ptr(data, &n);
	if (n == 0 || n > PKCS12_MAX_BYTES) {
		char kp[256];
		mx_path_key(kp, sizeof kp, path, "PayloadContent");
		return fail_at(err, n ? MX_ETOOBIG : MX_EINVALID, name, kp,
		    "%llu bytes: a PKCS#12 identity is 1 to %u bytes", (unsigned long long)n,
		    PKCS12_MAX_BYTES);
	}
	k->der = mx_xmalloc((size_t)n);
	memcpy(k->der, b, (size_t)n);
	k->der_len = (size_t)n;
	return 0;
}

static int
pin_list(int *out, int *n, plist_t mdm, const char *key, const mx_enroll_profile *p,
    const char *name, const char *path, mx_err *err)
{
	plist_t arr = NULL;
	char kp[256], ip[256];
	int rc = mx_plist_get_node(&arr, mdm, key, PLIST_ARRAY, false, name, path, err);
	if (rc || arr == NULL)
		return rc;
	mx_path_key(kp, sizeof kp, path, key);
	uint32_t m = plist_array_get_size(arr);
	if (m > MX_ENROLL_MAX_PINS)
		return fail_at(err, MX_ETOOBIG, name, kp, "%u pins, at most %d", m, MX_ENROLL_MAX_PINS);
	for (uint32_t i = 0; i < m; i++) {
		plist_t e = plist_array_get_item(arr, i);
		mx_path_index(ip, sizeof ip, kp, i);
		if ((rc = mx_plist_expect(e, PLIST_STRING, name, ip, err)))
			return rc;
		int found = -1;
		for (int c = 0; c < p->ncerts; c++)
			if (strcmp(p->certs[c].uuid, mx_plist_str(e)) == 0)
				found = c;
		if (found < 0)
			return fail_at(err, MX_EINVALID, name, ip,
			    "'%s' is not the PayloadUUID of a certificate payload in this profile",
			    mx_plist_str(e));
		out[(*n)++] = found;
	}
	return 0;
}

static int
mdm_payload(mx_enroll_profile *p, plist_t mdm, unsigned flags, const char *name,
    const char *path, mx_err *err)
{
	int rc;
	int64_t rights = MX_AR_ALL;
	bool have_rights = plist_dict_get_item(mdm, "AccessRights") != NULL;
	plist_t caps = NULL;
	char kp[256], ip[256];
	if ((rc = get_str(p->identity_uuid, sizeof p->identity_uuid, mdm, "IdentityCertificateUUID",
	    true, name, path, err)) ||
	    (rc = get_str(p->topic, sizeof p->topic, mdm, "Topic", true, name, path, err)) ||
	    (rc = get_str(p->server_url, sizeof p->server_url, mdm, "ServerURL", true, name, path,
	    err)) ||
	    (rc = get_str(p->checkin_url, sizeof p->checkin_url, mdm, "CheckInURL", false, name,
	    path, err)) ||
	    (rc = mx_plist_get_bool(&p->sign_message, mdm, "SignMessage", false, name, path, err)) ||
	    (rc = mx_plist_get_int(&rights, mdm, "AccessRights", false, name, path, err)) ||
	    (rc = mx_plist_get_bool(&p->use_development_apns, mdm, "UseDevelopmentAPNS", false, name,
	    path, err)) ||
	    (rc = mx_plist_get_bool(&p->checkout_when_removed, mdm, "CheckOutWhenRemoved", false,
	    name, path, err)) ||
	    (rc = mx_plist_get_bool(&p->prompt_bootstrap_auth, mdm,
	    "PromptUserToAllowBootstrapTokenForAuthentication", false, name, path, err)) ||
	    (rc = mx_plist_get_bool(&p->pinning_revocation_check, mdm,
	    "PinningRevocationCheckRequired", false, name, path, err)) ||
	    (rc = mx_plist_get_node(&caps, mdm, "ServerCapabilities", PLIST_ARRAY, false, name, path,
	    err)))
		return rc;
	mx_path_key(kp, sizeof kp, path, "ServerURL");
	if ((rc = check_url(p->server_url, flags, name, kp, err)))
		return rc;
	if (p->checkin_url[0] == '\0')
		snprintf(p->checkin_url, sizeof p->checkin_url, "%s", p->server_url);
	else if (mx_path_key(kp, sizeof kp, path, "CheckInURL"),
	    (rc = check_url(p->checkin_url, flags, name, kp, err)))
		return rc;
	if (strncmp(p->topic, "com.apple.mgmt.", 15) != 0 || p->topic[15] == '\0') {
		mx_path_key(kp, sizeof kp, path, "Topic");
		return fail_at(err, MX_EINVALID, name, kp,
		    "'%s' does not start with com.apple.mgmt. (the push certificate's topic)", p->topic);
	}
	mx_path_key(kp, sizeof kp, path, "AccessRights");
	if (have_rights && (rights <= 0 || rights > MX_AR_ALL))
		return fail_at(err, MX_EINVALID, name, kp, "%lld is outside 1-8191", (long long)rights);
	if ((rights & MX_AR_INSTALL_PROFILES) && !(rights & MX_AR_INSPECT_PROFILES))
		return fail_at(err, MX_EINVALID, name, kp,
		    "%lld: 2 (install/remove profiles) needs 1 (inspect profiles)", (long long)rights);
	if ((rights & MX_AR_INSTALL_PROV) && !(rights & MX_AR_INSPECT_PROV))
		return fail_at(err, MX_EINVALID, name, kp, "%lld: 128 (install/remove provisioning "
		    "profiles) needs 64 (inspect them)", (long long)rights);
	p->access_rights = (uint32_t)rights;
	if (caps != NULL) {
		mx_path_key(kp, sizeof kp, path, "ServerCapabilities");
		for (uint32_t i = 0; i < plist_array_get_size(caps); i++) {
			plist_t e = plist_array_get_item(caps, i);
			mx_path_index(ip, sizeof ip, kp, i);
			if ((rc = mx_plist_expect(e, PLIST_STRING, name, ip, err)))
				return rc;
			const char *c = mx_plist_str(e);
			/* unknown capabilities are ignored, as a Mac ignores them */
			if (strcmp(c, "com.apple.mdm.per-user-connections") == 0)
				p->capabilities |= MX_CAP_PER_USER_CONNECTIONS;
			else if (strcmp(c, "com.apple.mdm.bootstraptoken") == 0)
				p->capabilities |= MX_CAP_BOOTSTRAP_TOKEN;
			else if (strcmp(c, "com.apple.mdm.token") == 0)
				p->capabilities |= MX_CAP_TOKEN;
		}
	}
	if ((rc = pin_list(p->server_pins, &p->nserver_pins, mdm, "ServerURLPinningCertificateUUIDs",
	    p, name, path, err)) ||
	    (rc = pin_list(p->checkin_pins, &p->ncheckin_pins, mdm,
	    "CheckInURLPinningCertificateUUIDs", p, name, path, err)))
		return rc;
	return 0;
}

static bool
is_cert_type(const char *t)
{
	return strcmp(t, "com.apple.security.root") == 0 || strcmp(t, "com.apple.security.pem") == 0 ||
	    strcmp(t, "com.apple.security.pkcs1") == 0;
}

void
mx_enroll_profile_free(mx_enroll_profile *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < p->ncerts; i++)
		free(p->certs[i].der);
	if (p->pkcs12.der != NULL)
		OPENSSL_cleanse(p->pkcs12.der, p->pkcs12.der_len);
	free(p->pkcs12.der);
	OPENSSL_cleanse(p->pkcs12.password, sizeof p->pkcs12.password);
	OPENSSL_cleanse(p->scep.challenge, sizeof p->scep.challenge);
	memset(p, 0, sizeof *p);
}

const mx_enroll_cert *
mx_enroll_cert_find(const mx_enroll_profile *p, const char *uuid)
{
	for (int i = 0; i < p->ncerts; i++)
		if (strcmp(p->certs[i].uuid, uuid) == 0)
			return &p->certs[i];
	return NULL;
}

int
mx_enroll_profile_read(mx_enroll_profile *out, const uint8_t *buf, size_t len,
    const char *name, unsigned flags, mx_err *err)
{
	mx_enroll_profile *p = mx_xcalloc(1, sizeof *p);
	mx_profile *prof = NULL;
	int rc = mx_profile_read(&prof, buf, len, name, err);
	if (rc) {
		free(p);
		memset(out, 0, sizeof *out);
		return rc;
	}
	snprintf(p->identifier, sizeof p->identifier, "%s", mx_profile_identifier(prof));
	snprintf(p->uuid, sizeof p->uuid, "%s", mx_profile_uuid(prof));
	snprintf(p->display_name, sizeof p->display_name, "%s", mx_profile_display_name(prof));
	p->is_signed = mx_profile_is_signed(prof);
	snprintf(p->signer, sizeof p->signer, "%s", mx_profile_signer(prof));
	size_t n = mx_profile_payload_count(prof), mdm_at = SIZE_MAX;
	char path[64];
	/* certificates first: pins and the identity refer to them by UUID */
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *t = mx_profile_payload_type(prof, i);
		if (!is_cert_type(t))
			continue;
		snprintf(path, sizeof path, "PayloadContent[%zu]", i);
		if (p->ncerts == MX_ENROLL_MAX_CERTS) {
			rc = fail_at(err, MX_ETOOBIG, name, path, "more than %d certificate payloads",
			    MX_ENROLL_MAX_CERTS);
			break;
		}
		rc = cert_payload(&p->certs[p->ncerts], mx_profile_payload(prof, i), t,
		    mx_profile_payload_uuid(prof, i), name, path, err);
		if (rc == 0)
			p->ncerts++;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (strcmp(mx_profile_payload_type(prof, i), "com.apple.mdm") != 0)
			continue;
		snprintf(path, sizeof path, "PayloadContent[%zu]", i);
		if (mdm_at != SIZE_MAX) {
			rc = fail_at(err, MX_EINVALID, name, path,
			    "a second com.apple.mdm payload (the first is PayloadContent[%zu])", mdm_at);
			break;
		}
		mdm_at = i;
		snprintf(p->mdm_payload_uuid, sizeof p->mdm_payload_uuid, "%s",
		    mx_profile_payload_uuid(prof, i));
		snprintf(p->mdm_payload_identifier, sizeof p->mdm_payload_identifier, "%s",
		    mx_profile_payload_identifier(prof, i));
		rc = mdm_payload(p, mx_profile_payload(prof, i), flags, name, path, err);
	}
	if (rc == 0 && mdm_at == SIZE_MAX)
		rc = fail_at(err, MX_EINVALID, name, "PayloadContent",
		    "no com.apple.mdm payload: this is not an MDM enrolment profile");
	/* the identity IdentityCertificateUUID names */
	size_t id_at = SIZE_MAX;
	for (size_t i = 0; i < n && rc == 0; i++)
		if (strcmp(mx_profile_payload_uuid(prof, i), p->identity_uuid) == 0)
			id_at = i;
	if (rc == 0 && id_at == SIZE_MAX) {
		snprintf(path, sizeof path, "PayloadContent[%zu].IdentityCertificateUUID", mdm_at);
		rc = fail_at(err, MX_EINVALID, name, path,
		    "'%s' is not the PayloadUUID of a payload in this profile", p->identity_uuid);
	}
	if (rc == 0) {
		const char *t = mx_profile_payload_type(prof, id_at);
		snprintf(path, sizeof path, "PayloadContent[%zu]", id_at);
		if (strcmp(t, "com.apple.security.scep") == 0) {
			p->identity_kind = MX_ID_SCEP;
			rc = scep_payload(&p->scep, mx_profile_payload(prof, id_at), flags, name, path, err);
		} else if (strcmp(t, "com.apple.security.pkcs12") == 0) {
			p->identity_kind = MX_ID_PKCS12;
			rc = pkcs12_payload(&p->pkcs12, mx_profile_payload(prof, id_at), name, path, err);
		} else {
			snprintf(path, sizeof path, "PayloadContent[%zu].IdentityCertificateUUID", mdm_at);
			rc = fail_at(err, MX_EINVALID, name, path, "names a %s payload; the identity must "
			    "be com.apple.security.scep or com.apple.security.pkcs12", t);
		}
	}
	mx_profile_free(prof);
	if (rc) {
		mx_enroll_profile_free(p);
		free(p);
		memset(out, 0, sizeof *out);
		return rc;
	}
	*out = *p;
	free(p);
	return 0;
}

int
mx_enroll_subst(char *out, size_t len, const char *in, const mx_enroll_vars *v, mx_err *err)
{
	static const struct { const char *var; size_t off; } vars[] = {
		{ "%HardwareUUID%", offsetof(mx_enroll_vars, udid) },
		{ "%SerialNumber%", offsetof(mx_enroll_vars, serial) },
		{ "%ComputerName%", offsetof(mx_enroll_vars, computer_name) },
	};
	size_t o = 0;
	while (*in) {
		const char *rep = NULL;
		size_t skip = 1;
		for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
			size_t vl = strlen(vars[i].var);
			if (strncmp(in, vars[i].var, vl) == 0) {
				rep = *(const char *const *)((const char *)v + vars[i].off);
				rep = rep ? rep : "";
				skip = vl;
				break;
			}
		}
		size_t rl = rep ? strlen(rep) : 1;
		if (o + rl >= len)
			return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET,
			    "substituted value longer than %zu bytes", len - 1);
		memcpy(out + o, rep ? rep : in, rl);
		o += rl;
		in += skip;
	}
	out[o] = '\0';
	return 0;
}
