/*
 * test_enroll.c — enrolment profiles (src/formats/enroll.c): the example
 * profile (tests/data/mdm/enroll-scep.mobileconfig) read key by key, then one
 * edit per row, each breaking one rule of com.apple.mdm.yaml /
 * com.apple.security.scep.yaml, with the key path the error must name; a
 * PKCS#12 identity with root and pinning payloads; a CMS-signed profile;
 * the %HardwareUUID% / %SerialNumber% / %ComputerName% substitution.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "harness.h"
#include "macext/enroll.h"
#include "macext/scep.h"
#include "scep_ca.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	static char buf[1 << 16];
	*len = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[*len] = '\0';
	char *s = malloc(*len + 1);
	memcpy(s, buf, *len + 1);
	return s;
}

/* s with the first occurrence of from replaced by to (malloc'd). */
static char *
edit(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	if (at == NULL)
		return NULL;
	size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
	char *o = malloc(n);
	snprintf(o, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	return o;
}

MX_TEST(enroll_example_profile)
{
	size_t len;
	char *x = slurp("tests/data/mdm/enroll-scep.mobileconfig", &len);
	CHECK(x != NULL);
	if (x == NULL)
		return;
	mx_enroll_profile p;
	mx_err err;
	mx_err_clear(&err);
	int rc = mx_enroll_profile_read(&p, (const uint8_t *)x, len, "enroll.mobileconfig", 0, &err);
	CHECK_EQ_INT(rc, 0);
	if (rc) {
		fprintf(stderr, "%s: %s\n", err.where, err.msg);
		free(x);
		return;
	}
	CHECK_EQ_STR(p.identifier, "org.example.mdm");
	CHECK_EQ_STR(p.server_url, "https://mdm.example.org/mdm");
	CHECK_EQ_STR(p.checkin_url, "https://mdm.example.org/checkin");
	CHECK_EQ_STR(p.topic, "com.apple.mgmt.External.6feb6c6a-08a1-4658-b09e-2873c7c89487");
	CHECK(p.sign_message && p.checkout_when_removed && !p.use_development_apns);
	CHECK_EQ_INT(p.access_rights, 8191);
	CHECK_EQ_INT(p.capabilities, MX_CAP_PER_USER_CONNECTIONS | MX_CAP_BOOTSTRAP_TOKEN);
	CHECK_EQ_INT(p.identity_kind, MX_ID_SCEP);
	CHECK_EQ_STR(p.scep.url, "https://mdm.example.org/scep");
	CHECK_EQ_STR(p.scep.challenge, "sesame");
	CHECK_EQ_INT(p.scep.keysize, 2048);
	CHECK_EQ_INT(p.scep.key_usage, 5);
	CHECK_EQ_INT(p.scep.retries, 2);
	CHECK_EQ_INT(p.scep.retry_delay, 1);
	CHECK_EQ_INT(p.scep.nsubject, 2);
	CHECK_EQ_STR(p.scep.subject[1].oid, "CN");
	CHECK_EQ_STR(p.scep.subject[1].value, "%HardwareUUID%");
	CHECK_EQ_STR(p.mdm_payload_uuid, "96B11019-B54C-49DC-9480-43525834DE7B");
	mx_enroll_profile_free(&p);

	/* defaults: no CheckInURL (= ServerURL), no Keysize (1024), no Retries (3, 10 s) */
	char *a = edit(x, "<key>CheckInURL</key>\n\t\t\t<string>https://mdm.example.org/checkin</string>", "");
	char *b = a ? edit(a, "<key>Keysize</key>\n\t\t\t\t<integer>2048</integer>", "") : NULL;
	char *c = b ? edit(b, "<key>Retries</key>\n\t\t\t\t<integer>2</integer>", "") : NULL;
	char *d = c ? edit(c, "<key>RetryDelay</key>\n\t\t\t\t<integer>1</integer>", "") : NULL;
	CHECK(d != NULL);
	if (d && mx_enroll_profile_read(&p, (const uint8_t *)d, strlen(d), "e", 0, &err) == 0) {
		CHECK_EQ_STR(p.checkin_url, p.server_url);
		CHECK_EQ_INT(p.scep.keysize, 1024);
		CHECK_EQ_INT(p.scep.retries, 3);
		CHECK_EQ_INT(p.scep.retry_delay, 10);
		mx_enroll_profile_free(&p);
	} else {
		mx_test_fail_at(__FILE__, __LINE__, "defaults: %s %s", err.where, err.msg);
	}
	free(a);
	free(b);
	free(c);
	free(d);
	free(x);
}

static const struct {
	const char *name, *from, *to;
	unsigned flags;
	int rc;
	const char *where;     /* the key path the error names */
	const char *msg;       /* a phrase of the message */
} bad[] = {
	{ "http server", "<string>https://mdm.example.org/mdm</string>",
	  "<string>http://mdm.example.org/mdm</string>", 0, MX_EINVALID,
	  "PayloadContent[1].ServerURL", "--insecure" },
	{ "http allowed", "<string>https://mdm.example.org/mdm</string>",
	  "<string>http://mdm.example.org/mdm</string>", MX_ENROLL_ALLOW_HTTP, 0, "", "" },
	{ "http checkin", "<string>https://mdm.example.org/checkin</string>",
	  "<string>ftp://x</string>", 0, MX_EINVALID, "PayloadContent[1].CheckInURL", "https" },
	{ "no topic", "<key>Topic</key>", "<key>Topix</key>", 0, MX_EINVALID,
	  "PayloadContent[1].Topic", "required" },
	{ "topic prefix", "com.apple.mgmt.External.6feb", "com.example.6feb", 0, MX_EINVALID,
	  "PayloadContent[1].Topic", "com.apple.mgmt." },
	{ "rights 0", "<integer>8191</integer>", "<integer>0</integer>", 0, MX_EINVALID,
	  "PayloadContent[1].AccessRights", "1-8191" },
	{ "rights 2 without 1", "<integer>8191</integer>", "<integer>2</integer>", 0, MX_EINVALID,
	  "PayloadContent[1].AccessRights", "needs 1" },
	{ "rights 128 without 64", "<integer>8191</integer>", "<integer>131</integer>", 0,
	  MX_EINVALID, "PayloadContent[1].AccessRights", "needs 64" },
	{ "rights string", "<integer>8191</integer>", "<string>8191</string>", 0, MX_EINVALID,
	  "PayloadContent[1].AccessRights", "expected integer" },
	{ "sign string", "<key>SignMessage</key>\n\t\t\t<true/>",
	  "<key>SignMessage</key><string>yes</string>", 0, MX_EINVALID,
	  "PayloadContent[1].SignMessage", "expected boolean" },
	{ "identity elsewhere", "<key>IdentityCertificateUUID</key>\n\t\t\t<string>CB90E976",
	  "<key>IdentityCertificateUUID</key>\n\t\t\t<string>00000000", 0, MX_EINVALID,
	  "PayloadContent[1].IdentityCertificateUUID", "not the PayloadUUID" },
	{ "identity is mdm", "<key>IdentityCertificateUUID</key>\n\t\t\t<string>CB90E976-AD44-4B69-8108-8095E6260978",
	  "<key>IdentityCertificateUUID</key>\n\t\t\t<string>96B11019-B54C-49DC-9480-43525834DE7B", 0,
	  MX_EINVALID, "PayloadContent[1].IdentityCertificateUUID", "names a com.apple.mdm" },
	{ "no mdm payload", "<string>com.apple.mdm</string>", "<string>com.apple.dock</string>", 0,
	  MX_EINVALID, "PayloadContent", "not an MDM enrolment profile" },
	{ "keysize 3000", "<integer>2048</integer>", "<integer>3000</integer>", 0, MX_EINVALID,
	  "PayloadContent[0].PayloadContent.Keysize", "1024, 2048 or 4096" },
	{ "key type EC", "<string>RSA</string>", "<string>ECSECPrimeRandom</string>", 0,
	  MX_EINVALID, "PayloadContent[0].PayloadContent.Key Type", "expected RSA" },
	{ "key usage 2", "<key>Key Usage</key>\n\t\t\t\t<integer>5</integer>",
	  "<key>Key Usage</key><integer>2</integer>", 0, MX_EINVALID,
	  "PayloadContent[0].PayloadContent.Key Usage", "signing" },
	{ "scep url missing", "<key>URL</key>", "<key>URI</key>", 0, MX_EINVALID,
	  "PayloadContent[0].PayloadContent.URL", "required" },
	{ "subject pair of 1", "<array><string>O</string><string>MDM Lab</string></array>",
	  "<array><string>O</string></array>", 0, MX_EINVALID,
	  "PayloadContent[0].PayloadContent.Subject[0][0]", "expected 2" },
	{ "subject not array", "<array><array><string>O</string>", "<array><dict/><array><string>O</string>",
	  0, MX_EINVALID, "PayloadContent[0].PayloadContent.Subject[0][0]", "expected array" },
	{ "subject bad oid", "<string>O</string>", "<string>NOPE</string>", 0, MX_EINVALID,
	  "PayloadContent[0].PayloadContent.Subject[0][0][0]", "dotted OID" },
	{ "fingerprint 5 bytes", "<key>URL</key>", "<key>CAFingerprint</key><data>AAECAwQ=</data><key>URL</key>",
	  0, MX_EINVALID, "PayloadContent[0].PayloadContent.CAFingerprint", "SHA-1 (20)" },
	{ "retries negative", "<integer>2</integer>", "<integer>-1</integer>", 0, MX_EINVALID,
	  "PayloadContent[0].PayloadContent.Retries", "out of range" },
	{ "pin unknown", "<key>SignMessage</key>",
	  "<key>ServerURLPinningCertificateUUIDs</key><array><string>X</string></array><key>SignMessage</key>",
	  0, MX_EINVALID, "PayloadContent[1].ServerURLPinningCertificateUUIDs[0]", "certificate payload" },
	{ "not a profile", "<key>PayloadType</key>\n\t<string>Configuration</string>",
	  "<key>PayloadType</key>\n\t<string>Other</string>", 0, MX_EINVALID, "PayloadType", "" },
};

MX_TEST(enroll_bad_profiles)
{
	size_t len;
	char *x = slurp("tests/data/mdm/enroll-scep.mobileconfig", &len);
	if (x == NULL) {
		mx_test_fail_at(__FILE__, __LINE__, "example profile missing");
		return;
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *y = edit(x, bad[i].from, bad[i].to);
		if (y == NULL) {
			mx_test_fail_at(__FILE__, __LINE__, "%s: edit does not apply", bad[i].name);
			continue;
		}
		mx_enroll_profile p;
		mx_err err;
		mx_err_clear(&err);
		int rc = mx_enroll_profile_read(&p, (const uint8_t *)y, strlen(y), "e.mobileconfig",
		    bad[i].flags, &err);
		if (rc != bad[i].rc) {
			mx_test_fail_at(__FILE__, __LINE__, "%s: rc %d, expected %d (%s: %s)", bad[i].name,
			    rc, bad[i].rc, err.where, err.msg);
		} else if (rc) {
			char want[300];
			snprintf(want, sizeof want, "e.mobileconfig: %s", bad[i].where);
			if (strcmp(err.where, want) != 0 || strstr(err.msg, bad[i].msg) == NULL)
				mx_test_fail_at(__FILE__, __LINE__, "%s: '%s: %s', expected '%s' and '%s'",
				    bad[i].name, err.where, err.msg, want, bad[i].msg);
		} else {
			mx_enroll_profile_free(&p);
		}
		free(y);
	}
	free(x);
}

static char *
b64(const uint8_t *p, size_t n)
{
	char *o = malloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)o, p, (int)n);
	return o;
}

MX_TEST(enroll_pkcs12_root_pins_signed)
{
	/* an identity issued by a test CA, as PKCS#12 with a password */
	tca ca;
	CHECK_EQ_INT(tca_new(&ca, "Lab Root", 1024), 0);
	EVP_PKEY *k = EVP_RSA_gen(1024);
	X509 *c = X509_new();
	X509_set_version(c, 2);
	X509_NAME *nm = X509_NAME_new();
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)"device", -1, -1, 0);
	X509_set_subject_name(c, nm);
	X509_set_issuer_name(c, X509_get_subject_name(ca.cert));
	X509_gmtime_adj(X509_getm_notBefore(c), -60);
	X509_gmtime_adj(X509_getm_notAfter(c), 86400);
	X509_set_pubkey(c, k);
	X509_sign(c, ca.key, EVP_sha256());
	PKCS12 *p12 = PKCS12_create("s3cret", "device", k, c, NULL, 0, 0, 0, 0, 0);
	unsigned char *pd = NULL;
	int pl = i2d_PKCS12(p12, &pd);
	uint8_t *rootder;
	size_t rl;
	tca_cert_der(&ca, &rootder, &rl);
	char *p12b = b64(pd, (size_t)pl), *rootb = b64(rootder, rl);
	size_t n = strlen(p12b) + strlen(rootb) + 4096;
	char *xml = malloc(n);
	snprintf(xml, n, "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict>"
	    "<key>PayloadType</key><string>Configuration</string><key>PayloadVersion</key><integer>1</integer>"
	    "<key>PayloadIdentifier</key><string>lab.enroll</string><key>PayloadUUID</key><string>P-1</string>"
	    "<key>PayloadContent</key><array>"
	    "<dict><key>PayloadType</key><string>com.apple.security.pkcs12</string><key>PayloadVersion</key><integer>1</integer>"
	    "<key>PayloadIdentifier</key><string>lab.id</string><key>PayloadUUID</key><string>ID-1</string>"
	    "<key>Password</key><string>s3cret</string><key>PayloadContent</key><data>%s</data></dict>"
	    "<dict><key>PayloadType</key><string>com.apple.security.root</string><key>PayloadVersion</key><integer>1</integer>"
	    "<key>PayloadIdentifier</key><string>lab.root</string><key>PayloadUUID</key><string>ROOT-1</string>"
	    "<key>PayloadContent</key><data>%s</data></dict>"
	    "<dict><key>PayloadType</key><string>com.apple.mdm</string><key>PayloadVersion</key><integer>1</integer>"
	    "<key>PayloadIdentifier</key><string>lab.mdm</string><key>PayloadUUID</key><string>MDM-1</string>"
	    "<key>IdentityCertificateUUID</key><string>ID-1</string><key>Topic</key><string>com.apple.mgmt.lab</string>"
	    "<key>ServerURL</key><string>https://127.0.0.1:9/mdm</string><key>AccessRights</key><integer>3</integer>"
	    "<key>ServerURLPinningCertificateUUIDs</key><array><string>ROOT-1</string></array>"
	    "<key>CheckInURLPinningCertificateUUIDs</key><array><string>ROOT-1</string></array>"
	    "</dict></array></dict></plist>", p12b, rootb);
	/* signed with CMS like an MDM server's enrolment profile */
	BIO *in = BIO_new_mem_buf(xml, (int)strlen(xml)), *out = BIO_new(BIO_s_mem());
	CMS_ContentInfo *cms = CMS_sign(ca.cert, ca.key, NULL, in, CMS_BINARY | CMS_NOSMIMECAP);
	i2d_CMS_bio(out, cms);
	char *sd;
	long sl = BIO_get_mem_data(out, &sd);
	mx_enroll_profile p;
	mx_err err;
	mx_err_clear(&err);
	int rc = mx_enroll_profile_read(&p, (const uint8_t *)sd, (size_t)sl, "signed.mobileconfig", 0,
	    &err);
	CHECK_EQ_INT(rc, 0);
	if (rc == 0) {
		CHECK(p.is_signed);
		CHECK_EQ_STR(p.signer, "Lab Root");
		CHECK_EQ_INT(p.identity_kind, MX_ID_PKCS12);
		CHECK_EQ_INT(p.ncerts, 1);
		CHECK_EQ_INT(p.nserver_pins, 1);
		CHECK_EQ_INT(p.server_pins[0], 0);
		CHECK_EQ_INT(p.ncheckin_pins, 1);
		CHECK_EQ_STR(p.checkin_url, "https://127.0.0.1:9/mdm");
		CHECK(mx_enroll_cert_find(&p, "ROOT-1") != NULL && mx_enroll_cert_find(&p, "X") == NULL);
		CHECK_EQ_INT((long long)p.certs[0].der_len, (long long)rl);
		EVP_PKEY *ok = NULL;
		X509 *oc = NULL;
		CHECK_EQ_INT(mx_pkcs12_open(&ok, &oc, NULL, p.pkcs12.der, p.pkcs12.der_len,
		    p.pkcs12.password, "id", &err), 0);
		CHECK(oc != NULL && X509_cmp(oc, c) == 0);
		EVP_PKEY_free(ok);
		X509_free(oc);
		CHECK_EQ_INT(mx_pkcs12_open(&ok, &oc, NULL, p.pkcs12.der, p.pkcs12.der_len, "wrong",
		    "id", &err), MX_EINVALID);
		CHECK(strstr(err.msg, "Password") != NULL && ok == NULL && oc == NULL);
		mx_enroll_profile_free(&p);
	} else {
		fprintf(stderr, "%s: %s\n", err.where, err.msg);
	}
	/* a byte flipped inside the signed content: the signature no longer verifies */
	char *flip = memmem(sd, (size_t)sl, "lab.enroll", 10);
	CHECK(flip != NULL);
	if (flip) {
		flip[0] = 'X';
		CHECK_EQ_INT(mx_enroll_profile_read(&p, (const uint8_t *)sd, (size_t)sl, "s", 0, &err),
		    MX_ESIGNATURE);
	}
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	BIO_free(out);
	free(xml);
	free(p12b);
	free(rootb);
	free(rootder);
	OPENSSL_free(pd);
	PKCS12_free(p12);
	X509_NAME_free(nm);
	X509_free(c);
	EVP_PKEY_free(k);
	tca_free(&ca);
}

MX_TEST(enroll_subst)
{
	static const struct { const char *in, *out; int rc; } cases[] = {
		{ "%HardwareUUID%", "D91C5EC1-7FD3-43A5-A22F-10FAD4A2882C", 0 },
		{ "mac-%SerialNumber%.lab", "mac-C02XL0GHJGH5.lab", 0 },
		{ "%ComputerName% (%SerialNumber%)", "Lab Mac 1 (C02XL0GHJGH5)", 0 },
		{ "100% %Unknown% %", "100% %Unknown% %", 0 },
		{ "%HardwareUUID%%HardwareUUID%", NULL, MX_ETOOBIG },
	};
	mx_enroll_vars v = { "D91C5EC1-7FD3-43A5-A22F-10FAD4A2882C", "C02XL0GHJGH5", "Lab Mac 1" };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[64];
		mx_err err;
		int rc = mx_enroll_subst(out, sizeof out, cases[i].in, &v, &err);
		CHECK_EQ_INT(rc, cases[i].rc);
		if (rc == 0)
			CHECK_EQ_STR(out, cases[i].out);
	}
}
