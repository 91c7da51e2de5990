/*
 * scep.c — SCEP messages (include/macext/scep.h) through OpenSSL's CMS:
 *
 *   PKCSReq / CertPoll   ContentInfo(SignedData {
 *                          eContent id-data = DER ContentInfo(EnvelopedData {
 *                              PKCS#10 request | IssuerAndSubject } to the CA/RA),
 *                          signer: the requester's key + a self-signed certificate,
 *                          signed attributes: contentType, messageDigest, signingTime,
 *                            messageType   2.16.840.1.113733.1.9.2  PrintableString "19" | "20"
 *                            transactionID 2.16.840.1.113733.1.9.7  PrintableString (hex)
 *                            senderNonce   2.16.840.1.113733.1.9.5  OCTET STRING (16) })
 *   CertRep              SignedData signed by the CA/RA with messageType "3",
 *                        pkiStatus (.9.3) "0" SUCCESS | "2" FAILURE | "3" PENDING,
 *                        failInfo (.9.4) "0".."4", recipientNonce (.9.6), transactionID;
 *                        SUCCESS carries EnvelopedData(to us) of a certs-only SignedData.
 *
 * Spec: RFC 8894 §3.2 (attributes), §3.3 (PKCSReq, CertRep, CertPoll), §3.5
 * (GetCACert), §3.5.2 (GetCACaps).  Every reply is untrusted: capped, parsed
 * with OpenSSL's DER decoders, checked against what we sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>
#include <pthread.h>

#include "macext/scep.h"

#define OID_MESSAGE_TYPE    "2.16.840.1.113733.1.9.2"
#define OID_PKI_STATUS      "2.16.840.1.113733.1.9.3"
#define OID_FAIL_INFO       "2.16.840.1.113733.1.9.4"
#define OID_SENDER_NONCE    "2.16.840.1.113733.1.9.5"
#define OID_RECIPIENT_NONCE "2.16.840.1.113733.1.9.6"
#define OID_TRANSACTION_ID  "2.16.840.1.113733.1.9.7"

/* The first OpenSSL error as text; clears the queue. */
static const char *
ssl_why(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	if (e == 0)
		snprintf(buf, len, "no detail");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

/* ---- GetCACaps ---- */

int
mx_scep_caps_parse(mx_scep_caps *out, const uint8_t *buf, size_t len, mx_err *err)
{
	memset(out, 0, sizeof *out);
	if (len > 64u << 10)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "GetCACaps reply of %zu bytes", len);
	size_t i = 0;
	while (i < len) {
		size_t s = i;
		while (i < len && buf[i] != '\n')
			i++;
		size_t e = i++;
		while (e > s && (buf[e - 1] == '\r' || buf[e - 1] == ' ' || buf[e - 1] == '\t'))
			e--;
		while (s < e && (buf[s] == ' ' || buf[s] == '\t'))
			s++;
		char cap[40];
		if (e - s == 0 || e - s >= sizeof cap)
			continue;
		memcpy(cap, buf + s, e - s);
		cap[e - s] = '\0';
		if (strcasecmp(cap, "POSTPKIOperation") == 0) out->post = true;
		else if (strcasecmp(cap, "SHA-256") == 0) out->sha256 = true;
		else if (strcasecmp(cap, "SHA-512") == 0) out->sha512 = true;
		else if (strcasecmp(cap, "SHA-1") == 0) out->sha1 = true;
		else if (strcasecmp(cap, "AES") == 0) out->aes = true;
		else if (strcasecmp(cap, "DES3") == 0) out->des3 = true;
		else if (strcasecmp(cap, "Renewal") == 0) out->renewal = true;
		else if (strcasecmp(cap, "GetNextCACert") == 0) out->next_ca = true;
		else if (strcasecmp(cap, "SCEPStandard") == 0)
			out->scep_standard = out->aes = out->sha256 = out->post = true;
	}
	return 0;
}

/* ---- GetCACert ---- */

void
mx_scep_ca_free(mx_scep_ca *ca)
{
	if (ca == NULL)
		return;
	X509_free(ca->ca);
	X509_free(ca->recipient);
	sk_X509_pop_free(ca->signers, X509_free);
	memset(ca, 0, sizeof *ca);
}

static const EVP_MD *
md_for_len(size_t n)
{
	return n == 16 ? EVP_md5() : n == 20 ? EVP_sha1() : n == 32 ? EVP_sha256() : NULL;
}

static bool
fingerprint_is(X509 *x, const uint8_t *fp, size_t fp_len)
{
	const EVP_MD *md = md_for_len(fp_len);
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	return md != NULL && X509_digest(x, md, d, &dl) == 1 && dl == fp_len &&
	    memcmp(d, fp, fp_len) == 0;
}

static bool
can_encipher(X509 *x)
{
	uint32_t ku = X509_get_key_usage(x);
	return ku == UINT32_MAX || (ku & (KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT)) != 0;
}

int
mx_scep_ca_parse(mx_scep_ca *out, const uint8_t *buf, size_t len, const char *content_type,
    const uint8_t *fp, size_t fp_len, mx_err *err)
{
	char why[256];
	memset(out, 0, sizeof *out);
	if (len > MX_SCEP_MAX_REPLY)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "GetCACert reply of %zu bytes, at most %u",
		    len, MX_SCEP_MAX_REPLY);
	if (len == 0)
		return MX_FAIL(err, MX_EFORMAT, 0, "GetCACert reply is empty");
	STACK_OF(X509) *certs = NULL;
	bool ra = content_type && strncasecmp(content_type, "application/x-x509-ca-ra-cert", 29) == 0;
	if (!ra) {
		const uint8_t *p = buf;
		X509 *x = d2i_X509(NULL, &p, (long)len);
		if (x != NULL && p == buf + len) {
			certs = sk_X509_new_null();
			sk_X509_push(certs, x);
		} else {
			X509_free(x);
		}
		ERR_clear_error();
	}
	if (certs == NULL) {
		BIO *b = BIO_new_mem_buf(buf, (int)len);
		CMS_ContentInfo *cms = b ? d2i_CMS_bio(b, NULL) : NULL;
		BIO_free(b);
		if (cms == NULL || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
			CMS_ContentInfo_free(cms);
			return MX_FAIL(err, MX_EFORMAT, 0, "GetCACert reply (%s) is neither a DER "
			    "certificate nor a certs-only PKCS#7: %s", content_type ? content_type : "no type",
			    ssl_why(why, sizeof why));
		}
		certs = CMS_get1_certs(cms);
		CMS_ContentInfo_free(cms);
		if (certs == NULL || sk_X509_num(certs) == 0) {
			sk_X509_pop_free(certs, X509_free);
			return MX_FAIL(err, MX_EFORMAT, 0, "GetCACert PKCS#7 holds no certificate");
		}
	}
	int n = sk_X509_num(certs);
	if (n > 16) {
		sk_X509_pop_free(certs, X509_free);
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "GetCACert holds %d certificates", n);
	}
	/* the CA issued another certificate of the set (or is alone); RAs did not */
	X509 *ca = NULL, *recip = NULL;
	for (int i = 0; i < n; i++) {
		X509 *c = sk_X509_value(certs, i);
		bool issuer = false;
		for (int j = 0; j < n; j++)
			if (j != i && X509_check_issued(c, sk_X509_value(certs, j)) == X509_V_OK)
				issuer = true;
		if (issuer && ca == NULL)
			ca = c;
		else if (!issuer && (recip == NULL || (!can_encipher(recip) && can_encipher(c))))
			recip = c;
	}
	if (n == 1)
		ca = recip = sk_X509_value(certs, 0);
	if (ca == NULL) {
		sk_X509_pop_free(certs, X509_free);
		return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET,
		    "GetCACert: %d certificates, none of which issued another (no CA among them)", n);
	}
	if (recip == NULL)
		recip = ca;
	if (fp_len) {
		bool ok = false;
		for (int i = 0; i < n; i++)
			ok |= fingerprint_is(sk_X509_value(certs, i), fp, fp_len);
		if (!ok) {
			sk_X509_pop_free(certs, X509_free);
			return MX_FAIL(err, MX_ESIGNATURE, MX_NO_OFFSET, "GetCACert: no certificate has "
			    "the SCEP payload's CAFingerprint (%s)", fp_len == 16 ? "MD5" :
			    fp_len == 20 ? "SHA-1" : "SHA-256");
		}
	}
	X509_up_ref(ca);
	X509_up_ref(recip);
	out->ca = ca;
	out->recipient = recip;
	out->signers = certs;
	return 0;
}

/* ---- the requester's certificate and PKCS#10 request ---- */

int
mx_scep_signer_cert(X509 **out, EVP_PKEY *key, const char *cn, int64_t now, mx_err *err)
{
	char why[256];
	*out = NULL;
	X509 *x = X509_new();
	X509_NAME *nm = X509_NAME_new();
	int ok = x && nm && X509_set_version(x, 2) &&
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
	    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) &&
	    X509_set_subject_name(x, nm) && X509_set_issuer_name(x, nm) &&
	    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(now - 3600)) &&
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(now + 86400)) &&
	    X509_set_pubkey(x, key) && X509_sign(x, key, EVP_sha256()) > 0;
	X509_NAME_free(nm);
	if (!ok) {
		X509_free(x);
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "SCEP signer certificate: %s",
		    ssl_why(why, sizeof why));
	}
	*out = x;
	return 0;
}

static int
add_gen(GENERAL_NAMES *gens, int type, const char *v)
{
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();
	if (g == NULL || s == NULL || !ASN1_STRING_set(s, v, -1)) {
		GENERAL_NAME_free(g);
		ASN1_IA5STRING_free(s);
		return 0;
	}
	GENERAL_NAME_set0_value(g, type, s);
	return sk_GENERAL_NAME_push(gens, g) > 0;
}

int
mx_scep_csr(X509_REQ **out, EVP_PKEY *key, const mx_enroll_rdn *subject, int nsubject,
    const char *challenge, const mx_enroll_scep *s, mx_err *err)
{
	char why[256];
	*out = NULL;
	X509_REQ *req = X509_REQ_new();
	X509_NAME *nm = X509_NAME_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	int ok = req && nm && exts && X509_REQ_set_version(req, 0);
	for (int i = 0; ok && i < nsubject; i++) {
		if (!X509_NAME_add_entry_by_txt(nm, subject[i].oid, MBSTRING_UTF8,
		    (const unsigned char *)subject[i].value, -1, -1, 0)) {
			X509_NAME_free(nm);
			X509_REQ_free(req);
			sk_X509_EXTENSION_free(exts);
			return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "Subject[%d] %s=%s: %s", i,
			    subject[i].oid, subject[i].value, ssl_why(why, sizeof why));
		}
	}
	ok = ok && X509_REQ_set_subject_name(req, nm) && X509_REQ_set_pubkey(req, key);
	if (ok && challenge && challenge[0])
		ok = X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword, MBSTRING_UTF8,
		    (const unsigned char *)challenge, -1);
	if (ok && s && s->key_usage) {
		ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
		ok = ku && (!(s->key_usage & 1) || ASN1_BIT_STRING_set_bit(ku, 0, 1)) &&
		    (!(s->key_usage & 4) || ASN1_BIT_STRING_set_bit(ku, 2, 1));
		X509_EXTENSION *e = ok ? X509V3_EXT_i2d(NID_key_usage, 1, ku) : NULL;
		ok = e && sk_X509_EXTENSION_push(exts, e);
		ASN1_BIT_STRING_free(ku);
	}
	if (ok && s && s->nsan_dns + s->nsan_email + s->nsan_uri > 0) {
		GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
		ok = gens != NULL;
		for (int i = 0; ok && i < s->nsan_dns; i++)
			ok = add_gen(gens, GEN_DNS, s->san_dns[i]);
		for (int i = 0; ok && i < s->nsan_email; i++)
			ok = add_gen(gens, GEN_EMAIL, s->san_email[i]);
		for (int i = 0; ok && i < s->nsan_uri; i++)
			ok = add_gen(gens, GEN_URI, s->san_uri[i]);
		X509_EXTENSION *e = ok ? X509V3_EXT_i2d(NID_subject_alt_name, 0, gens) : NULL;
		ok = e && sk_X509_EXTENSION_push(exts, e);
		GENERAL_NAMES_free(gens);
	}
	if (ok && sk_X509_EXTENSION_num(exts) > 0)
		ok = X509_REQ_add_extensions(req, exts);
	ok = ok && X509_REQ_sign(req, key, EVP_sha256()) > 0;
	X509_NAME_free(nm);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	if (!ok) {
		X509_REQ_free(req);
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "SCEP certificate request: %s",
		    ssl_why(why, sizeof why));
	}
	*out = req;
	return 0;
}

/* ---- requests ---- */

void
mx_scep_msg_free(mx_scep_msg *m)
{
	if (m == NULL)
		return;
	free(m->der);
	memset(m, 0, sizeof *m);
}

static ASN1_OBJECT *
oid(const char *txt)
{
	return OBJ_txt2obj(txt, 1);
}

static int
add_attr(CMS_SignerInfo *si, const char *o, int type, const void *v, int len)
{
	ASN1_OBJECT *obj = oid(o);
	int ok = obj && CMS_signed_add1_attr_by_OBJ(si, obj, type, v, len);
	ASN1_OBJECT_free(obj);
	return ok;
}

/* DER SEQUENCE { issuer Name, subject Name } (RFC 8894 §3.3.3) */
static int
issuer_and_subject(BIO *out, const X509_NAME *issuer, const X509_NAME *subject)
{
	unsigned char *a = NULL, *b = NULL;
	int al = i2d_X509_NAME(issuer, &a), bl = i2d_X509_NAME(subject, &b);
	int ok = al > 0 && bl > 0;
	if (ok) {
		size_t n = (size_t)al + (size_t)bl;
		unsigned char hdr[6];
		size_t hl = 0;
		hdr[hl++] = 0x30;
		if (n < 0x80) {
			hdr[hl++] = (unsigned char)n;
		} else if (n < 0x100) {
			hdr[hl++] = 0x81;
			hdr[hl++] = (unsigned char)n;
		} else {
			hdr[hl++] = 0x82;
			hdr[hl++] = (unsigned char)(n >> 8);
			hdr[hl++] = (unsigned char)n;
		}
		ok = n < 0x10000 && BIO_write(out, hdr, (int)hl) == (int)hl &&
		    BIO_write(out, a, al) == al && BIO_write(out, b, bl) == bl;
	}
	OPENSSL_free(a);
	OPENSSL_free(b);
	return ok;
}

static void
transaction_id(EVP_PKEY *key, char out[65])
{
	unsigned char *der = NULL, d[32];
	int n = i2d_PUBKEY(key, &der);
	out[0] = '\0';
	if (n <= 0 || EVP_Digest(der, (size_t)n, d, NULL, EVP_sha256(), NULL) != 1) {
		OPENSSL_free(der);
		return;
	}
	OPENSSL_free(der);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02X", d[i]);
}

int
mx_scep_request(mx_scep_msg *out, enum mx_scep_msgtype type, X509_REQ *csr,
    const X509_NAME *subject_of_csr, EVP_PKEY *key, X509 *signer, const mx_scep_ca *ca,
    const mx_scep_caps *caps, const uint8_t nonce[16], int64_t now, mx_err *err)
{
	char why[256];
	memset(out, 0, sizeof *out);
	BIO *inner = BIO_new(BIO_s_mem()), *envbio = NULL, *outbio = BIO_new(BIO_s_mem());
	CMS_ContentInfo *env = NULL, *sd = NULL;
	STACK_OF(X509) *rcpt = sk_X509_new_null();
	ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)now);
	int ok = inner && outbio && rcpt && t;
	if (ok && type == MX_SCEP_PKCSREQ)
		ok = csr && i2d_X509_REQ_bio(inner, csr);
	else if (ok)
		ok = subject_of_csr && issuer_and_subject(inner, X509_get_subject_name(ca->ca),
		    subject_of_csr);
	const EVP_CIPHER *cipher = (caps->aes || !caps->des3) ? EVP_aes_128_cbc() : EVP_des_ede3_cbc();
	ok = ok && sk_X509_push(rcpt, ca->recipient);
	env = ok ? CMS_encrypt(rcpt, inner, cipher, CMS_BINARY) : NULL;
	ok = env != NULL;
	envbio = BIO_new(BIO_s_mem());
	ok = ok && envbio && i2d_CMS_bio(envbio, env);
	/* SHA-256 unless the CA offers only SHA-1 */
	const EVP_MD *md = (caps->sha256 || !caps->sha1) ? EVP_sha256() : EVP_sha1();
	sd = ok ? CMS_sign(NULL, NULL, NULL, NULL, CMS_BINARY | CMS_PARTIAL) : NULL;
	CMS_SignerInfo *si = sd ? CMS_add1_signer(sd, signer, key, md, CMS_BINARY |
	    CMS_NOSMIMECAP) : NULL;
	char mt[4];
	snprintf(mt, sizeof mt, "%d", (int)type);
	transaction_id(key, out->transaction_id);
	memcpy(out->nonce, nonce, 16);
	ok = si && out->transaction_id[0] &&
	    CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, V_ASN1_UTCTIME, t, -1) &&
	    add_attr(si, OID_MESSAGE_TYPE, V_ASN1_PRINTABLESTRING, mt, (int)strlen(mt)) &&
	    add_attr(si, OID_TRANSACTION_ID, V_ASN1_PRINTABLESTRING, out->transaction_id,
	    (int)strlen(out->transaction_id)) &&
	    add_attr(si, OID_SENDER_NONCE, V_ASN1_OCTET_STRING, nonce, 16) &&
	    CMS_final(sd, envbio, NULL, CMS_BINARY) && i2d_CMS_bio(outbio, sd);
	if (ok) {
		char *p = NULL;
		long n = BIO_get_mem_data(outbio, &p);
		ok = n > 0;
		if (ok) {
			out->der = mx_xmalloc((size_t)n);
			memcpy(out->der, p, (size_t)n);
			out->len = (size_t)n;
		}
	}
	int rc = ok ? 0 : MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "SCEP %s: %s",
	    type == MX_SCEP_PKCSREQ ? "PKCSReq" : "CertPoll", ssl_why(why, sizeof why));
	ASN1_TIME_free(t);
	sk_X509_free(rcpt);
	CMS_ContentInfo_free(env);
	CMS_ContentInfo_free(sd);
	BIO_free(inner);
	BIO_free(envbio);
	BIO_free(outbio);
	return rc;
}

/* ---- CertRep ---- */

void
mx_scep_reply_free(mx_scep_reply *r)
{
	if (r == NULL)
		return;
	X509_free(r->cert);
	sk_X509_pop_free(r->chain, X509_free);
	memset(r, 0, sizeof *r);
}

const char *
mx_scep_fail_info_name(int f)
{
	static const char *const names[] = { "badAlg", "badMessageCheck", "badRequest", "badTime",
	    "badCertId" };
	return f >= 0 && f < 5 ? names[f] : "unknown";
}

/* A single-valued signed attribute as a string of one of the types. */
static const ASN1_STRING *
attr_str(CMS_SignerInfo *si, const char *o, int type)
{
	ASN1_OBJECT *obj = oid(o);
	const ASN1_STRING *s = obj ? CMS_signed_get0_data_by_OBJ(si, obj, -3, type) : NULL;
	if (s == NULL && obj && type == V_ASN1_PRINTABLESTRING)
		s = CMS_signed_get0_data_by_OBJ(si, obj, -3, V_ASN1_UTF8STRING);
	if (s == NULL && obj && type == V_ASN1_PRINTABLESTRING)
		s = CMS_signed_get0_data_by_OBJ(si, obj, -3, V_ASN1_IA5STRING);
	ASN1_OBJECT_free(obj);
	ERR_clear_error();
	return s;
}

static bool
str_is(const ASN1_STRING *s, const char *v)
{
	return s && ASN1_STRING_length(s) == (int)strlen(v) &&
	    memcmp(ASN1_STRING_get0_data(s), v, strlen(v)) == 0;
}

static int
small_int(const ASN1_STRING *s)
{
	if (s == NULL || ASN1_STRING_length(s) != 1)
		return -1;
	unsigned char c = ASN1_STRING_get0_data(s)[0];
	return c >= '0' && c <= '9' ? c - '0' : -1;
}

/* The content cipher an EnvelopedData names (PKCS7 exposes it; CMS does not). */
static int
envelope_cipher_nid(const uint8_t *p, size_t n)
{
	const uint8_t *q = p;
	PKCS7 *p7 = n <= MX_SCEP_MAX_REPLY ? d2i_PKCS7(NULL, &q, (long)n) : NULL;
	int nid = NID_undef;
	if (p7 && PKCS7_type_is_enveloped(p7) && p7->d.enveloped && p7->d.enveloped->enc_data &&
	    p7->d.enveloped->enc_data->algorithm)
		nid = OBJ_obj2nid(p7->d.enveloped->enc_data->algorithm->algorithm);
	PKCS7_free(p7);
	ERR_clear_error();
	return nid;
}

/* Single DES lives in OpenSSL 3's legacy provider; loaded once, beside the
 * default one, only when a CertRep is enveloped with it. */
static pthread_once_t legacy_once = PTHREAD_ONCE_INIT;
static OSSL_PROVIDER *legacy;
static bool legacy_ok;
/* registered after OpenSSL's own exit handler, so it runs before it */
static void
legacy_unload(void)
{
	OSSL_PROVIDER_unload(legacy);
	legacy = NULL;
}
static void
legacy_load(void)
{
	legacy = OSSL_PROVIDER_try_load(NULL, "legacy", 1);
	legacy_ok = legacy != NULL;
	if (legacy_ok)
		atexit(legacy_unload);
	ERR_clear_error();
}

/* The issued certificate inside a SUCCESS envelope.  micromdm's scepserver
 * (smallstep/pkcs7's default) envelopes it with single DES-CBC whatever the
 * request used, and macOS decrypts that: so do we (docs/mdm.md, "Against a
 * real server"). */
static int
certrep_content(mx_scep_reply *out, const uint8_t *p, size_t n, EVP_PKEY *key, X509 *signer,
    mx_err *err)
{
	char why[256];
	BIO *in = BIO_new_mem_buf(p, (int)n), *dec = BIO_new(BIO_s_mem());
	CMS_ContentInfo *env = in ? d2i_CMS_bio(in, NULL) : NULL, *deg = NULL;
	int rc = 0;
	if (env == NULL || OBJ_obj2nid(CMS_get0_type(env)) != NID_pkcs7_enveloped) {
		rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET,
		    "CertRep SUCCESS content is not an EnvelopedData: %s", ssl_why(why, sizeof why));
		goto done;
	}
	if (envelope_cipher_nid(p, n) == NID_des_cbc) {
		pthread_once(&legacy_once, legacy_load);
		if (!legacy_ok) {
			rc = MX_FAIL(err, MX_ESIGNATURE, MX_NO_OFFSET,
			    "CertRep envelope uses DES-CBC, and OpenSSL's legacy provider (which has it)"
			    " does not load");
			goto done;
		}
	}
	if (!dec || CMS_decrypt(env, key, signer, NULL, dec, CMS_BINARY) != 1) {
		rc = MX_FAIL(err, MX_ESIGNATURE, MX_NO_OFFSET,
		    "CertRep envelope does not decrypt with this device's key: %s",
		    ssl_why(why, sizeof why));
		goto done;
	}
	char *d = NULL;
	long dl = BIO_get_mem_data(dec, &d);
	BIO *db = dl > 0 ? BIO_new_mem_buf(d, (int)dl) : NULL;
	deg = db ? d2i_CMS_bio(db, NULL) : NULL;
	BIO_free(db);
	STACK_OF(X509) *certs = deg && OBJ_obj2nid(CMS_get0_type(deg)) == NID_pkcs7_signed ?
	    CMS_get1_certs(deg) : NULL;
	if (certs == NULL) {
		rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET,
		    "CertRep envelope holds no certs-only PKCS#7: %s", ssl_why(why, sizeof why));
		goto done;
	}
	for (int i = 0; i < sk_X509_num(certs) && out->cert == NULL; i++) {
		X509 *c = sk_X509_value(certs, i);
		if (X509_check_private_key(c, key) == 1) {
			out->cert = c;
			(void)sk_X509_delete(certs, i);
		}
	}
	ERR_clear_error();
	if (out->cert == NULL) {
		sk_X509_pop_free(certs, X509_free);
		rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET,
		    "CertRep SUCCESS: no certificate for this device's key among %d", sk_X509_num(certs));
		goto done;
	}
	out->chain = certs;
done:
	CMS_ContentInfo_free(env);
	CMS_ContentInfo_free(deg);
	BIO_free(in);
	BIO_free(dec);
	return rc;
}

int
mx_scep_certrep_parse(mx_scep_reply *out, const uint8_t *buf, size_t len,
    const mx_scep_ca *ca, const mx_scep_msg *req, EVP_PKEY *key, X509 *signer, mx_err *err)
{
	char why[256];
	memset(out, 0, sizeof *out);
	out->fail_info = -1;
	if (len > MX_SCEP_MAX_REPLY)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "CertRep of %zu bytes, at most %u", len,
		    MX_SCEP_MAX_REPLY);
	BIO *in = BIO_new_mem_buf(buf, (int)len), *content = BIO_new(BIO_s_mem()), *empty = NULL;
	CMS_ContentInfo *cms = in ? d2i_CMS_bio(in, NULL) : NULL;
	int rc = 0;
	if (cms == NULL || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		rc = MX_FAIL(err, MX_EFORMAT, 0, "CertRep is not a DER CMS SignedData: %s",
		    ssl_why(why, sizeof why));
		goto done;
	}
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	if (sk_CMS_SignerInfo_num(sis) != 1) {
		rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "CertRep has %d signers, expected 1",
		    sk_CMS_SignerInfo_num(sis));
		goto done;
	}
	/* FAILURE and PENDING carry no content: verify as detached over nothing */
	ASN1_OCTET_STRING **pos = CMS_get0_content(cms);
	bool has_content = pos != NULL && *pos != NULL;
	if (!has_content)
		empty = BIO_new_mem_buf("", 0);
	if (CMS_verify(cms, ca->signers, NULL, empty, content,
	    CMS_NO_SIGNER_CERT_VERIFY | CMS_NOINTERN | CMS_BINARY) != 1) {
		rc = MX_FAIL(err, MX_ESIGNATURE, MX_NO_OFFSET, "CertRep is not signed by the SCEP CA "
		    "or RA that GetCACert named, or its signature does not verify: %s",
		    ssl_why(why, sizeof why));
		goto done;
	}
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);
	const ASN1_STRING *mt = attr_str(si, OID_MESSAGE_TYPE, V_ASN1_PRINTABLESTRING);
	const ASN1_STRING *tid = attr_str(si, OID_TRANSACTION_ID, V_ASN1_PRINTABLESTRING);
	const ASN1_STRING *rn = attr_str(si, OID_RECIPIENT_NONCE, V_ASN1_OCTET_STRING);
	const ASN1_STRING *st = attr_str(si, OID_PKI_STATUS, V_ASN1_PRINTABLESTRING);
	if (!str_is(mt, "3")) {
		rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "CertRep messageType is %s, expected 3",
		    mt ? "another value" : "missing");
		goto done;
	}
	if (!str_is(tid, req->transaction_id)) {
		rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET,
		    "CertRep transactionID %s the one sent", tid ? "differs from" : "is missing, not");
		goto done;
	}
	if (rn == NULL || ASN1_STRING_length(rn) != 16 ||
	    memcmp(ASN1_STRING_get0_data(rn), req->nonce, 16) != 0) {
		rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "CertRep recipientNonce %s our senderNonce"
		    " (a replayed or foreign reply)", rn ? "differs from" : "is missing, not");
		goto done;
	}
	int status = small_int(st);
	if (status != 0 && status != 2 && status != 3) {
		rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET,
		    "CertRep pkiStatus is %s, expected 0, 2 or 3", st ? "another value" : "missing");
		goto done;
	}
	out->status = (enum mx_scep_status)status;
	if (status == MX_SCEP_FAILURE) {
		out->fail_info = small_int(attr_str(si, OID_FAIL_INFO, V_ASN1_PRINTABLESTRING));
		goto done;
	}
	if (status == MX_SCEP_PENDING)
		goto done;
	char *p = NULL;
	long n = BIO_get_mem_data(content, &p);
	if (!has_content || n <= 0) {
		rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "CertRep SUCCESS without content");
		goto done;
	}
	rc = certrep_content(out, (const uint8_t *)p, (size_t)n, key, signer, err);
done:
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	BIO_free(content);
	BIO_free(empty);
	ERR_clear_error();
	if (rc)
		mx_scep_reply_free(out);
	return rc;
}

/* ---- PKCS#12 ---- */

int
mx_pkcs12_open(EVP_PKEY **key, X509 **cert, STACK_OF(X509) **chain, const uint8_t *der,
    size_t len, const char *password, const char *name, mx_err *err)
{
	char why[256];
	*key = NULL;
	*cert = NULL;
	if (chain)
		*chain = NULL;
	const uint8_t *p = der;
	PKCS12 *p12 = len <= (256u << 10) ? d2i_PKCS12(NULL, &p, (long)len) : NULL;
	if (p12 == NULL) {
		int rc = MX_FAIL(err, len > (256u << 10) ? MX_ETOOBIG : MX_EFORMAT, 0,
		    "PKCS#12 identity is not DER PKCS#12: %s", ssl_why(why, sizeof why));
		mx_err_where(err, "%s", name);
		return rc;
	}
	STACK_OF(X509) *ca = NULL;
	int ok = PKCS12_parse(p12, password ? password : "", key, cert, &ca);
	PKCS12_free(p12);
	if (!ok || *key == NULL || *cert == NULL) {
		EVP_PKEY_free(*key);
		X509_free(*cert);
		sk_X509_pop_free(ca, X509_free);
		*key = NULL;
		*cert = NULL;
		int rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "PKCS#12 identity does not open "
		    "with the payload's Password, or holds no key and certificate: %s",
		    ssl_why(why, sizeof why));
		mx_err_where(err, "%s", name);
		return rc;
	}
	if (chain)
		*chain = ca;
	else
		sk_X509_pop_free(ca, X509_free);
	return 0;
}
