/*
 * scep_ca.c — a test-only SCEP CA (tests/unit/scep_ca.h): verifies the
 * request's signature with the certificate inside it, reads messageType,
 * transactionID and senderNonce, decrypts the envelope with the CA key and
 * answers with a CertRep signed by the CA (RFC 8894 §3.3.2).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "scep_ca.h"

int
tca_new(tca *ca, const char *cn, int bits)
{
	memset(ca, 0, sizeof *ca);
	ca->key = EVP_RSA_gen((unsigned)bits);
	ca->cert = X509_new();
	X509_NAME *nm = X509_NAME_new();
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_version(ca->cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(ca->cert), 1000);
	X509_set_subject_name(ca->cert, nm);
	X509_set_issuer_name(ca->cert, nm);
	X509_gmtime_adj(X509_getm_notBefore(ca->cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(ca->cert), 86400L * 365);
	X509_set_pubkey(ca->cert, ca->key);
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, ca->cert, ca->cert, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");
	X509_add_ext(ca->cert, e, -1);
	X509_EXTENSION_free(e);
	X509_NAME_free(nm);
	return X509_sign(ca->cert, ca->key, EVP_sha256()) > 0 ? 0 : -1;
}

void
tca_free(tca *ca)
{
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	memset(ca, 0, sizeof *ca);
}

int
tca_cert_der(tca *ca, uint8_t **out, size_t *len)
{
	unsigned char *d = NULL;
	int n = i2d_X509(ca->cert, &d);
	if (n <= 0)
		return -1;
	*out = malloc((size_t)n);
	memcpy(*out, d, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(d);
	return 0;
}

static const ASN1_STRING *
attr(CMS_SignerInfo *si, const char *o, int type)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(o, 1);
	const ASN1_STRING *s = CMS_signed_get0_data_by_OBJ(si, obj, -3, type);
	ASN1_OBJECT_free(obj);
	return s;
}

static int
add(CMS_SignerInfo *si, const char *o, int type, const void *v, int len)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(o, 1);
	int ok = CMS_signed_add1_attr_by_OBJ(si, obj, type, v, len);
	ASN1_OBJECT_free(obj);
	return ok;
}

static BIO *
mem(const void *p, size_t n)
{
	return BIO_new_mem_buf(p, (int)n);
}

int
tca_answer(tca *ca, const uint8_t *req, size_t len, int status, int fail_info, int tamper,
    uint8_t **out, size_t *out_len)
{
	int rc = -1;
	BIO *in = mem(req, len), *env_der = BIO_new(BIO_s_mem()), *plain = BIO_new(BIO_s_mem());
	BIO *deg_der = BIO_new(BIO_s_mem()), *resp_env = BIO_new(BIO_s_mem());
	BIO *outb = BIO_new(BIO_s_mem());
	CMS_ContentInfo *cms = d2i_CMS_bio(in, NULL), *env = NULL, *deg = NULL, *renv = NULL;
	CMS_ContentInfo *rep = NULL;
	X509_REQ *csr = NULL;
	X509 *issued = NULL;
	STACK_OF(X509) *signers = NULL, *rcpt = sk_X509_new_null(), *certs = sk_X509_new_null();
	if (cms == NULL || CMS_verify(cms, NULL, NULL, NULL, env_der,
	    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1)
		goto done;
	signers = CMS_get0_signers(cms);
	X509 *requester = sk_X509_value(signers, 0);
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	const ASN1_STRING *tid = attr(si, "2.16.840.1.113733.1.9.7", V_ASN1_PRINTABLESTRING);
	const ASN1_STRING *nonce = attr(si, "2.16.840.1.113733.1.9.5", V_ASN1_OCTET_STRING);
	const ASN1_STRING *mt = attr(si, "2.16.840.1.113733.1.9.2", V_ASN1_PRINTABLESTRING);
	if (tid == NULL || nonce == NULL || mt == NULL)
		goto done;
	env = d2i_CMS_bio(env_der, NULL);
	if (env == NULL || CMS_decrypt(env, ca->key, ca->cert, NULL, plain, CMS_BINARY) != 1)
		goto done;
	if (status == 0 && memcmp(ASN1_STRING_get0_data(mt), "19", 2) == 0) {
		csr = d2i_X509_REQ_bio(plain, NULL);
		if (csr == NULL)
			goto done;
		if (ca->challenge[0]) {
			int i = X509_REQ_get_attr_by_NID(csr, NID_pkcs9_challengePassword, -1);
			X509_ATTRIBUTE *a = i >= 0 ? X509_REQ_get_attr(csr, i) : NULL;
			ASN1_TYPE *t = a ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
			if (t == NULL || t->type != V_ASN1_UTF8STRING ||
			    ASN1_STRING_length(t->value.asn1_string) != (int)strlen(ca->challenge) ||
			    memcmp(ASN1_STRING_get0_data(t->value.asn1_string), ca->challenge,
			    strlen(ca->challenge)) != 0) {
				status = 2;
				fail_info = 2;
			}
		}
	}
	if (status == 0) {
		EVP_PKEY *pub = csr ? X509_REQ_get0_pubkey(csr) : X509_get0_pubkey(requester);
		issued = X509_new();
		X509_set_version(issued, 2);
		ASN1_INTEGER_set(X509_get_serialNumber(issued), 4242);
		X509_set_subject_name(issued, csr ? X509_REQ_get_subject_name(csr) :
		    X509_get_subject_name(requester));
		X509_set_issuer_name(issued, X509_get_subject_name(ca->cert));
		X509_gmtime_adj(X509_getm_notBefore(issued), -60);
		X509_gmtime_adj(X509_getm_notAfter(issued), 86400L * 365);
		X509_set_pubkey(issued, pub);
		X509_sign(issued, ca->key, EVP_sha256());
		sk_X509_push(certs, issued);
		deg = CMS_sign(NULL, NULL, certs, NULL, CMS_BINARY | CMS_PARTIAL);
		i2d_CMS_bio(deg_der, deg);
		sk_X509_push(rcpt, requester);
		renv = CMS_encrypt(rcpt, deg_der, EVP_aes_128_cbc(), CMS_BINARY);
		i2d_CMS_bio(resp_env, renv);
	}
	rep = CMS_sign(NULL, NULL, NULL, NULL, CMS_BINARY | CMS_PARTIAL |
	    (status == 0 ? 0 : CMS_DETACHED));
	CMS_SignerInfo *rsi = CMS_add1_signer(rep, ca->cert, ca->key, EVP_sha256(),
	    CMS_BINARY | CMS_NOSMIMECAP);
	char st[2] = { (char)('0' + status), 0 }, fi[2] = { (char)('0' + fail_info), 0 };
	uint8_t n[16];
	memcpy(n, ASN1_STRING_get0_data(nonce), 16);
	if (tamper == 1)
		n[0] ^= 1;
	char t[80];
	snprintf(t, sizeof t, "%.*s", ASN1_STRING_length(tid), ASN1_STRING_get0_data(tid));
	if (tamper == 2)
		t[0] = t[0] == 'A' ? 'B' : 'A';
	add(rsi, "2.16.840.1.113733.1.9.2", V_ASN1_PRINTABLESTRING, "3", 1);
	add(rsi, "2.16.840.1.113733.1.9.3", V_ASN1_PRINTABLESTRING, st, 1);
	if (status == 2)
		add(rsi, "2.16.840.1.113733.1.9.4", V_ASN1_PRINTABLESTRING, fi, 1);
	add(rsi, "2.16.840.1.113733.1.9.7", V_ASN1_PRINTABLESTRING, t, (int)strlen(t));
	add(rsi, "2.16.840.1.113733.1.9.6", V_ASN1_OCTET_STRING, n, 16);
	add(rsi, "2.16.840.1.113733.1.9.5", V_ASN1_OCTET_STRING, n, 16);
	BIO *empty = BIO_new_mem_buf("", 0);
	int ok = CMS_final(rep, status == 0 ? resp_env : empty, NULL, CMS_BINARY) &&
	    i2d_CMS_bio(outb, rep);
	BIO_free(empty);
	if (!ok)
		goto done;
	char *p;
	long pl = BIO_get_mem_data(outb, &p);
	*out = malloc((size_t)pl);
	memcpy(*out, p, (size_t)pl);
	*out_len = (size_t)pl;
	rc = 0;
done:
	ERR_clear_error();
	sk_X509_free(signers);
	sk_X509_free(rcpt);
	sk_X509_pop_free(certs, X509_free);
	X509_REQ_free(csr);
	CMS_ContentInfo_free(cms);
	CMS_ContentInfo_free(env);
	CMS_ContentInfo_free(deg);
	CMS_ContentInfo_free(renv);
	CMS_ContentInfo_free(rep);
	BIO_free(in);
	BIO_free(env_der);
	BIO_free(plain);
	BIO_free(deg_der);
	BIO_free(resp_env);
	BIO_free(outb);
	return rc;
}
