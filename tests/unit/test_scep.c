/*
 * test_scep.c — the SCEP client's messages (src/formats/scep.c): GetCACaps
 * and GetCACert as micromdm's scepserver sent them (the captures), its real
 * CertRep checked up to the envelope only its requester could open, and
 * round trips against a test CA for SUCCESS, FAILURE with failInfo,
 * PENDING, a foreign signer, a replayed nonce and a wrong transactionID.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "harness.h"
#include "macext/scep.h"
#include "scep_ca.h"

/* Where the body starts: after the first blank line (CRLF or LF). */
static size_t
body_at(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (p[i] == '\n' && p[i + 1] == '\n')
			return i + 2;
		if (i + 3 < n && memcmp(p + i, "\r\n\r\n", 4) == 0)
			return i + 4;
	}
	return n;
}

/* Splits a capture (.http) into request and response bodies (malloc'd). */
static int
capture(const char *rel, uint8_t **req, size_t *rlen, uint8_t **resp, size_t *plen)
{
	const char *td = mx_testdata();
	if (td == NULL)
		return -1;
	char path[1024];
	snprintf(path, sizeof path, "%s/mdm-captures/%s", td, rel);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	static uint8_t buf[1 << 17];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	const char *mark = "=============== RESPONSE ===============";
	uint8_t *m = memmem(buf, n, mark, strlen(mark));
	if (m == NULL)
		return -1;
	size_t rs = body_at(buf, (size_t)(m - buf));
	size_t re = (size_t)(m - buf);
	while (re > rs && (buf[re - 1] == '\n' || buf[re - 1] == '\r'))
		re--;
	size_t ps = (size_t)(m - buf) + body_at(m, n - (size_t)(m - buf));
	*rlen = re - rs;
	*req = malloc(*rlen + 1);
	memcpy(*req, buf + rs, *rlen);
	*plen = n - ps;
	*resp = malloc(*plen + 1);
	memcpy(*resp, buf + ps, *plen);
	return 0;
}

MX_TEST(scep_caps)
{
	static const char caps[] = "Renewal\nSHA-1\nSHA-256\r\nAES\n DES3 \nSCEPStandard\nPOSTPKIOperation";
	mx_scep_caps c;
	mx_err err;
	CHECK_EQ_INT(mx_scep_caps_parse(&c, (const uint8_t *)caps, strlen(caps), &err), 0);
	CHECK(c.renewal && c.sha1 && c.sha256 && c.aes && c.des3 && c.post && c.scep_standard);
	CHECK(!c.sha512 && !c.next_ca);
	CHECK_EQ_INT(mx_scep_caps_parse(&c, (const uint8_t *)"DES3\nSHA-1", 10, &err), 0);
	CHECK(c.des3 && c.sha1 && !c.aes && !c.sha256 && !c.post);
	CHECK_EQ_INT(mx_scep_caps_parse(&c, (const uint8_t *)"scepstandard", 12, &err), 0);
	CHECK(c.aes && c.sha256 && c.post);
}

MX_TEST(scep_captured_scepserver)
{
	uint8_t *req, *ca_der, *rep;
	size_t rl, cl, pl;
	if (capture("scep/scepclient-01-GetCACert.http", &req, &rl, &ca_der, &cl) != 0) {
		mx_test_skip("no mdm-captures");
		return;
	}
	free(req);
	mx_scep_ca ca;
	mx_err err;
	mx_err_clear(&err);
	int rc = mx_scep_ca_parse(&ca, ca_der, cl, "application/x-x509-ca-cert", NULL, 0, &err);
	CHECK_EQ_INT(rc, 0);
	if (rc) {
		free(ca_der);
		return;
	}
	CHECK(ca.ca == ca.recipient && sk_X509_num(ca.signers) == 1);
	char cn[128];
	X509_NAME_get_text_by_NID(X509_get_subject_name(ca.ca), NID_commonName, cn, sizeof cn);
	CHECK_EQ_STR(cn, "MDM LAB SCEP CA");
	/* CAFingerprint: the right SHA-256 passes, a wrong one is a signature error */
	uint8_t fp[32];
	unsigned int fl = 0;
	X509_digest(ca.ca, EVP_sha256(), fp, &fl);
	mx_scep_ca c2;
	CHECK_EQ_INT(mx_scep_ca_parse(&c2, ca_der, cl, NULL, fp, 32, &err), 0);
	mx_scep_ca_free(&c2);
	fp[3] ^= 0x40;
	CHECK_EQ_INT(mx_scep_ca_parse(&c2, ca_der, cl, NULL, fp, 32, &err), MX_ESIGNATURE);
	CHECK(strstr(err.msg, "CAFingerprint") != NULL);
	free(ca_der);

	/* the real CertRep answers the real PKCSReq: everything checks out up to the
	 * envelope, which only the requester's key opens */
	if (capture("scep/scepclient-03-PKIOperation-PKCSReq__CertRep.http", &req, &rl, &rep,
	    &pl) != 0) {
		mx_scep_ca_free(&ca);
		mx_test_fail_at(__FILE__, __LINE__, "PKIOperation capture unreadable");
		return;
	}
	BIO *b = BIO_new_mem_buf(req, (int)rl);
	CMS_ContentInfo *cms = d2i_CMS_bio(b, NULL);
	BIO_free(b);
	CHECK(cms != NULL);
	mx_scep_msg m;
	memset(&m, 0, sizeof m);
	if (cms) {
		CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
		ASN1_OBJECT *o = OBJ_txt2obj("2.16.840.1.113733.1.9.7", 1);
		const ASN1_STRING *t = CMS_signed_get0_data_by_OBJ(si, o, -3, V_ASN1_PRINTABLESTRING);
		ASN1_OBJECT_free(o);
		o = OBJ_txt2obj("2.16.840.1.113733.1.9.5", 1);
		const ASN1_STRING *nn = CMS_signed_get0_data_by_OBJ(si, o, -3, V_ASN1_OCTET_STRING);
		ASN1_OBJECT_free(o);
		CHECK(t != NULL && nn != NULL && ASN1_STRING_length(nn) == 16);
		if (t && nn) {
			snprintf(m.transaction_id, sizeof m.transaction_id, "%.*s", ASN1_STRING_length(t),
			    ASN1_STRING_get0_data(t));
			memcpy(m.nonce, ASN1_STRING_get0_data(nn), 16);
		}
		CMS_ContentInfo_free(cms);
	}
	EVP_PKEY *other = EVP_RSA_gen(1024);
	X509 *osign = NULL;
	CHECK_EQ_INT(mx_scep_signer_cert(&osign, other, "other", 1764640000, &err), 0);
	mx_scep_reply r;
	rc = mx_scep_certrep_parse(&r, rep, pl, &ca, &m, other, osign, &err);
	CHECK_EQ_INT(rc, MX_ESIGNATURE);
	CHECK(strstr(err.msg, "does not decrypt") != NULL);
	/* the same reply against another nonce is refused before that */
	m.nonce[0] ^= 1;
	CHECK_EQ_INT(mx_scep_certrep_parse(&r, rep, pl, &ca, &m, other, osign, &err), MX_EINVALID);
	CHECK(strstr(err.msg, "recipientNonce") != NULL);
	X509_free(osign);
	EVP_PKEY_free(other);
	mx_scep_ca_free(&ca);
	free(req);
	free(rep);
}

struct rt {
	tca ca;
	mx_scep_ca sca;
	EVP_PKEY *key;
	X509 *signer;
	X509_REQ *csr;
	mx_scep_caps caps;
};

static int
rt_setup(struct rt *t)
{
	static EVP_PKEY *dev_key;   /* one key for every round trip: RSA generation is slow */
	mx_err err;
	memset(t, 0, sizeof *t);
	if (dev_key == NULL)
		dev_key = EVP_RSA_gen(1024);
	t->key = dev_key;
	EVP_PKEY_up_ref(dev_key);
	if (tca_new(&t->ca, "Test SCEP CA", 1024) != 0)
		return -1;
	snprintf(t->ca.challenge, sizeof t->ca.challenge, "sesame");
	uint8_t *der;
	size_t dl;
	tca_cert_der(&t->ca, &der, &dl);
	int rc = mx_scep_ca_parse(&t->sca, der, dl, "application/x-x509-ca-cert", NULL, 0, &err);
	free(der);
	mx_enroll_rdn subj[2] = { { "O", "MDM Lab" }, { "CN", "D91C5EC1-7FD3-43A5-A22F-10FAD4A2882C" } };
	mx_enroll_scep s;
	memset(&s, 0, sizeof s);
	s.key_usage = 5;
	s.nsan_dns = 1;
	snprintf(s.san_dns[0], sizeof s.san_dns[0], "mac.example.org");
	t->caps.aes = t->caps.sha256 = t->caps.post = true;
	if (rc || mx_scep_signer_cert(&t->signer, t->key, "SCEP SIGNER", 1764640000, &err) ||
	    mx_scep_csr(&t->csr, t->key, subj, 2, "sesame", &s, &err))
		return -1;
	return 0;
}

static void
rt_free(struct rt *t)
{
	tca_free(&t->ca);
	mx_scep_ca_free(&t->sca);
	EVP_PKEY_free(t->key);
	X509_free(t->signer);
	X509_REQ_free(t->csr);
}

static const uint8_t nonce[16] = "0123456789abcdef";

MX_TEST(scep_round_trip)
{
	static const struct {
		const char *name;
		int status, fail_info, tamper;
		const char *challenge;
		int rc, want_status, want_fail;
		const char *msg;
	} cases[] = {
		{ "success", 0, 0, 0, "sesame", 0, MX_SCEP_SUCCESS, -1, NULL },
		{ "failure badRequest", 2, 2, 0, "sesame", 0, MX_SCEP_FAILURE, 2, NULL },
		{ "failure badCertId", 2, 4, 0, "sesame", 0, MX_SCEP_FAILURE, 4, NULL },
		{ "pending", 3, 0, 0, "sesame", 0, MX_SCEP_PENDING, -1, NULL },
		{ "wrong challenge", 0, 0, 0, "other", 0, MX_SCEP_FAILURE, 2, NULL },
		{ "replayed nonce", 0, 0, 1, "sesame", MX_EINVALID, 0, 0, "recipientNonce" },
		{ "foreign transaction", 0, 0, 2, "sesame", MX_EINVALID, 0, 0, "transactionID" },
	};
	struct rt t;
	if (rt_setup(&t) != 0) {
		mx_test_fail_at(__FILE__, __LINE__, "setup failed");
		return;
	}
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mx_err err;
		mx_err_clear(&err);
		snprintf(t.ca.challenge, sizeof t.ca.challenge, "%s", cases[i].challenge);
		mx_scep_msg m;
		int rc = mx_scep_request(&m, MX_SCEP_PKCSREQ, t.csr, NULL, t.key, t.signer, &t.sca,
		    &t.caps, nonce, 1764640000, &err);
		CHECK_EQ_INT(rc, 0);
		CHECK_EQ_INT(strlen(m.transaction_id), 64);
		uint8_t *rep = NULL;
		size_t rl = 0;
		if (rc || tca_answer(&t.ca, m.der, m.len, cases[i].status, cases[i].fail_info,
		    cases[i].tamper, &rep, &rl) != 0) {
			mx_test_fail_at(__FILE__, __LINE__, "%s: the test CA did not answer", cases[i].name);
			mx_scep_msg_free(&m);
			continue;
		}
		/* the CA's answer: the challenge check happened there, not here */
		snprintf(t.ca.challenge, sizeof t.ca.challenge, "sesame");
		mx_scep_reply r;
		rc = mx_scep_certrep_parse(&r, rep, rl, &t.sca, &m, t.key, t.signer, &err);
		if (rc != cases[i].rc)
			mx_test_fail_at(__FILE__, __LINE__, "%s: rc %d, expected %d (%s)", cases[i].name,
			    rc, cases[i].rc, err.msg);
		if (rc == 0) {
			if ((int)r.status != cases[i].want_status || r.fail_info != cases[i].want_fail)
				mx_test_fail_at(__FILE__, __LINE__, "%s: status %d failInfo %d", cases[i].name,
				    r.status, r.fail_info);
			if (r.status == MX_SCEP_SUCCESS) {
				CHECK(r.cert != NULL && X509_check_private_key(r.cert, t.key) == 1);
				char cn[64];
				X509_NAME_get_text_by_NID(X509_get_subject_name(r.cert), NID_commonName, cn,
				    sizeof cn);
				CHECK_EQ_STR(cn, "D91C5EC1-7FD3-43A5-A22F-10FAD4A2882C");
			}
			mx_scep_reply_free(&r);
		} else if (cases[i].msg && strstr(err.msg, cases[i].msg) == NULL) {
			mx_test_fail_at(__FILE__, __LINE__, "%s: message '%s'", cases[i].name, err.msg);
		}
		free(rep);
		mx_scep_msg_free(&m);
	}
	CHECK_EQ_STR(mx_scep_fail_info_name(2), "badRequest");
	CHECK_EQ_STR(mx_scep_fail_info_name(9), "unknown");
	rt_free(&t);
}

MX_TEST(scep_certpoll_and_foreign_signer)
{
	struct rt t;
	if (rt_setup(&t) != 0) {
		mx_test_fail_at(__FILE__, __LINE__, "setup failed");
		return;
	}
	mx_err err;
	mx_scep_msg m;
	CHECK_EQ_INT(mx_scep_request(&m, MX_SCEP_CERTPOLL, NULL, X509_REQ_get_subject_name(t.csr),
	    t.key, t.signer, &t.sca, &t.caps, nonce, 1764640000, &err), 0);
	uint8_t *rep = NULL;
	size_t rl = 0;
	/* CertPoll SUCCESS: the CA issues for the signer's key */
	CHECK_EQ_INT(tca_answer(&t.ca, m.der, m.len, 0, 0, 0, &rep, &rl), 0);
	mx_scep_reply r;
	CHECK_EQ_INT(mx_scep_certrep_parse(&r, rep, rl, &t.sca, &m, t.key, t.signer, &err), 0);
	CHECK(r.status == MX_SCEP_SUCCESS && r.cert != NULL);
	mx_scep_reply_free(&r);
	free(rep);
	/* a CertRep signed by another CA is refused */
	tca other;
	CHECK_EQ_INT(tca_new(&other, "Other CA", 1024), 0);
	mx_scep_msg m2;
	mx_scep_ca oca;
	uint8_t *der;
	size_t dl;
	tca_cert_der(&other, &der, &dl);
	CHECK_EQ_INT(mx_scep_ca_parse(&oca, der, dl, NULL, NULL, 0, &err), 0);
	free(der);
	CHECK_EQ_INT(mx_scep_request(&m2, MX_SCEP_PKCSREQ, t.csr, NULL, t.key, t.signer, &oca,
	    &t.caps, nonce, 1764640000, &err), 0);
	CHECK_EQ_INT(tca_answer(&other, m2.der, m2.len, 3, 0, 0, &rep, &rl), 0);
	CHECK_EQ_INT(mx_scep_certrep_parse(&r, rep, rl, &t.sca, &m2, t.key, t.signer, &err),
	    MX_ESIGNATURE);
	CHECK(strstr(err.msg, "not signed by the SCEP CA") != NULL);
	/* garbage and oversize */
	CHECK_EQ_INT(mx_scep_certrep_parse(&r, (const uint8_t *)"junk", 4, &t.sca, &m2, t.key,
	    t.signer, &err), MX_EFORMAT);
	CHECK_EQ_INT(mx_scep_certrep_parse(&r, rep, MX_SCEP_MAX_REPLY + 1, &t.sca, &m2, t.key,
	    t.signer, &err), MX_ETOOBIG);
	free(rep);
	mx_scep_msg_free(&m);
	mx_scep_msg_free(&m2);
	mx_scep_ca_free(&oca);
	tca_free(&other);
	rt_free(&t);
}

MX_TEST(scep_ca_ra_pkcs7)
{
	/* RA + CA as a certs-only PKCS#7: the RA (issued by the CA) is the recipient */
	tca root;
	CHECK_EQ_INT(tca_new(&root, "Root CA", 1024), 0);
	EVP_PKEY *rk = EVP_RSA_gen(1024);
	X509 *ra = X509_new();
	X509_set_version(ra, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(ra), 7);
	X509_NAME *nm = X509_NAME_new();
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)"RA", -1, -1, 0);
	X509_set_subject_name(ra, nm);
	X509_set_issuer_name(ra, X509_get_subject_name(root.cert));
	X509_gmtime_adj(X509_getm_notBefore(ra), -60);
	X509_gmtime_adj(X509_getm_notAfter(ra), 86400);
	X509_set_pubkey(ra, rk);
	X509_sign(ra, root.key, EVP_sha256());
	STACK_OF(X509) *certs = sk_X509_new_null();
	sk_X509_push(certs, ra);
	sk_X509_push(certs, root.cert);
	CMS_ContentInfo *deg = CMS_sign(NULL, NULL, certs, NULL, CMS_BINARY | CMS_PARTIAL);
	unsigned char *d = NULL;
	int dl = i2d_CMS_ContentInfo(deg, &d);
	mx_scep_ca ca;
	mx_err err;
	CHECK_EQ_INT(mx_scep_ca_parse(&ca, d, (size_t)dl, "application/x-x509-ca-ra-cert", NULL, 0,
	    &err), 0);
	CHECK(X509_cmp(ca.ca, root.cert) == 0);
	CHECK(X509_cmp(ca.recipient, ra) == 0);
	CHECK_EQ_INT(sk_X509_num(ca.signers), 2);
	mx_scep_ca_free(&ca);
	OPENSSL_free(d);
	CMS_ContentInfo_free(deg);
	sk_X509_free(certs);
	X509_NAME_free(nm);
	X509_free(ra);
	EVP_PKEY_free(rk);
	tca_free(&root);
}
