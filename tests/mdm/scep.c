/*
 * scep.c — the SCEP responder (RFC 8894), answering as micromdm/scep does
 * (mdm-observed.md §3 "Identity through SCEP"; captures/scep/).
 *
 *   GET ?operation=GetCACaps        text/plain, the capabilities scepserver lists
 *   GET ?operation=GetCACert        the CA (application/x-x509-ca-cert), or with
 *                                   --scep-ra a degenerate PKCS#7 of RA + CA
 *                                   (application/x-x509-ca-ra-cert)
 *   POST ?operation=PKIOperation    body: DER pkiMessage (base64 also taken)
 *   GET ?operation=PKIOperation&message=<base64>
 *
 * A pkiMessage is a CMS SignedData with the SCEP signed attributes
 * (messageType 2.16.840.1.113733.1.9.2, pkiStatus .3, failInfo .4,
 * senderNonce .5, recipientNonce .6, transactionID .7) whose content is an
 * EnvelopedData for the CA (or RA).  PKCSReq (19) carries a PKCS#10 CSR
 * with the challengePassword; GetCertInitial (20) polls a PENDING request
 * by transactionID; RenewalReq (17) is signed by a certificate we issued.
 * The CertRep (3) is signed by the CA (or RA) with the requester's digest,
 * echoes transactionID and the sender's nonce as recipientNonce; on SUCCESS
 * its content is a degenerate certs-only SignedData holding the issued
 * certificate, enveloped to the requester's signing certificate with the
 * requester's content cipher (--scep-cipher fixes it: "des" is what micromdm's
 * scepserver always uses); on PENDING or FAILURE it has no content.
 * Issued: the CSR's subject and key (and subjectAltName), keyUsage
 * digitalSignature, EKU clientAuth, --cert-days days (scepserver's rules).
 * A message that is not a SignedData gets 400; one whose signature or
 * envelope fails gets CertRep FAILURE badMessageCheck; a wrong challenge
 * FAILURE badRequest.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "mdms.h"

#define MAX_PKIMESSAGE (256 * 1024)

enum { MT_CERTREP = 3, MT_RENEWAL = 17, MT_PKCSREQ = 19, MT_CERTPOLL = 20 };
enum { ST_SUCCESS = 0, ST_FAILURE = 2, ST_PENDING = 3 };
enum { FI_BADALG = 0, FI_BADMESSAGECHECK = 1, FI_BADREQUEST = 2, FI_BADTIME = 3, FI_BADCERTID = 4 };

struct mds_pending {
	char transid[128];
	uint8_t *csr;
	size_t csrlen;
	int polls_left;
	struct mds_pending *next;
};

int
mds_scep_init(mds_server *s, mds_err *err)
{
	static const struct { const char *oid, *name; int *nid; } o[] = {
		{ "2.16.840.1.113733.1.9.2", "scepMessageType", NULL },
		{ "2.16.840.1.113733.1.9.3", "scepPkiStatus", NULL },
		{ "2.16.840.1.113733.1.9.4", "scepFailInfo", NULL },
		{ "2.16.840.1.113733.1.9.5", "scepSenderNonce", NULL },
		{ "2.16.840.1.113733.1.9.6", "scepRecipientNonce", NULL },
		{ "2.16.840.1.113733.1.9.7", "scepTransactionID", NULL },
	};
	int *nids[] = { &s->nid_msgtype, &s->nid_status, &s->nid_failinfo, &s->nid_snonce,
		&s->nid_rnonce, &s->nid_transid };
	for (size_t i = 0; i < 6; i++) {
		int nid = OBJ_txt2nid(o[i].oid);
		if (nid == NID_undef)
			nid = OBJ_create(o[i].oid, o[i].name, o[i].name);
		if (nid == NID_undef)
			return mds_fail(err, 0, "cannot register SCEP OID %s", o[i].oid);
		*nids[i] = nid;
	}
	return 0;
}

void
mds_scep_free(mds_server *s)
{
	struct mds_pending *p = s->pending;
	while (p) {
		struct mds_pending *n = p->next;
		free(p->csr);
		free(p);
		p = n;
	}
	s->pending = NULL;
}

/* A printable-string signed attribute, copied into buf. */
static bool
attr_str(CMS_SignerInfo *si, int nid, char *buf, size_t n)
{
	ASN1_STRING *v = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(nid), -3, V_ASN1_PRINTABLESTRING);
	if (v == NULL)
		v = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(nid), -3, V_ASN1_UTF8STRING);
	if (v == NULL || (size_t)ASN1_STRING_length(v) >= n)
		return false;
	memcpy(buf, ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v));
	buf[ASN1_STRING_length(v)] = 0;
	return true;
}

static size_t
attr_octets(CMS_SignerInfo *si, int nid, uint8_t *buf, size_t n)
{
	ASN1_STRING *v = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(nid), -3, V_ASN1_OCTET_STRING);
	if (v == NULL || (size_t)ASN1_STRING_length(v) > n)
		return 0;
	memcpy(buf, ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v));
	return (size_t)ASN1_STRING_length(v);
}

/* What a request asked for, and what the reply needs. */
struct rq {
	int msgtype;
	char transid[128];
	uint8_t snonce[64];
	size_t snlen;
	X509 *signer;           /* borrowed from the CMS */
	const EVP_MD *md;
	const EVP_CIPHER *cipher;
};

static int
add_str(CMS_SignerInfo *si, int nid, const char *v)
{
	/* an explicit length: with -1 OpenSSL takes v for an ASN1_STRING * */
	return CMS_signed_add1_attr_by_NID(si, nid, V_ASN1_PRINTABLESTRING, v, (int)strlen(v)) == 1 ? 0 : -1;
}

/* Builds the CertRep into rs (200, application/x-pki-message). */
static void
certrep(mds_server *s, mds_resp *rs, const struct rq *r, int status, int failinfo, X509 *issued)
{
	X509 *scert = s->pki.ra ? s->pki.ra : s->pki.scep_ca;
	EVP_PKEY *skey = s->pki.ra ? s->pki.ra_key : s->pki.scep_key;
	BIO *data = BIO_new(BIO_s_mem());
	CMS_ContentInfo *cms = NULL;
	bool ok = false;
	if (status == ST_SUCCESS) {
		/* degenerate certs-only SignedData, enveloped to the requester */
		PKCS7 *p7 = PKCS7_new();
		PKCS7_set_type(p7, NID_pkcs7_signed);
		PKCS7_content_new(p7, NID_pkcs7_data);
		PKCS7_add_certificate(p7, issued);
		uint8_t *der = NULL;
		int dl = i2d_PKCS7(p7, &der);
		PKCS7_free(p7);
		STACK_OF(X509) *rc = sk_X509_new_null();
		sk_X509_push(rc, r->signer);
		BIO *in = BIO_new_mem_buf(der, dl);
		CMS_ContentInfo *env = dl > 0 ? CMS_encrypt(rc, in, r->cipher, CMS_BINARY) : NULL;
		BIO_free(in);
		sk_X509_free(rc);
		OPENSSL_free(der);
		uint8_t *edata = NULL;
		int el = env ? i2d_CMS_ContentInfo(env, &edata) : -1;
		CMS_ContentInfo_free(env);
		if (el <= 0)
			goto out;
		if (EVP_CIPHER_get_nid(r->cipher) == NID_des_cbc)
			mds_count(&s->rep, MDS_C_SCEP_DES);
		BIO_write(data, edata, el);
		OPENSSL_free(edata);
	}
	unsigned flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
	if (status != ST_SUCCESS)
		flags |= CMS_DETACHED;
	cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	CMS_SignerInfo *si = cms ? CMS_add1_signer(cms, scert, skey, r->md, flags) : NULL;
	if (si == NULL)
		goto out;
	char num[8];
	snprintf(num, sizeof num, "%d", MT_CERTREP);
	int bad = add_str(si, s->nid_msgtype, num);
	snprintf(num, sizeof num, "%d", status);
	bad |= add_str(si, s->nid_status, num);
	if (status == ST_FAILURE) {
		snprintf(num, sizeof num, "%d", failinfo);
		bad |= add_str(si, s->nid_failinfo, num);
	}
	bad |= add_str(si, s->nid_transid, r->transid[0] ? r->transid : "unknown");
	uint8_t nonce[16];
	RAND_bytes(nonce, sizeof nonce);
	bad |= CMS_signed_add1_attr_by_NID(si, s->nid_snonce, V_ASN1_OCTET_STRING, nonce, 16) == 1 ? 0 : -1;
	if (r->snlen)
		bad |= CMS_signed_add1_attr_by_NID(si, s->nid_rnonce, V_ASN1_OCTET_STRING, r->snonce,
		    (int)r->snlen) == 1 ? 0 : -1;
	if (bad || CMS_final(cms, data, NULL, flags) != 1)
		goto out;
	uint8_t *out = NULL;
	int ol = i2d_CMS_ContentInfo(cms, &out);
	if (ol <= 0)
		goto out;
	mds_resp_set(rs, 200, "application/x-pki-message", out, (size_t)ol);
	OPENSSL_free(out);
	ok = true;
	mds_count(&s->rep, status == ST_SUCCESS ? MDS_C_SCEP_ISSUED :
	    status == ST_PENDING ? MDS_C_SCEP_PENDING : MDS_C_SCEP_FAILURE);
out:
	if (!ok) {
		ERR_clear_error();
		mds_resp_text(rs, 500, "cannot build the CertRep\n");
	}
	CMS_ContentInfo_free(cms);
	BIO_free(data);
}

static X509 *
issue(mds_server *s, X509_REQ *req)
{
	EVP_PKEY *pub = X509_REQ_get0_pubkey(req);
	if (pub == NULL)
		return NULL;
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), atomic_fetch_add(&s->pki.serial, 1));
	X509_gmtime_adj(X509_getm_notBefore(x), -600);
	X509_gmtime_adj(X509_getm_notAfter(x), (long)s->cfg.cert_days * 86400);
	X509_set_subject_name(x, X509_REQ_get_subject_name(req));
	X509_set_issuer_name(x, X509_get_subject_name(s->pki.scep_ca));
	X509_set_pubkey(x, pub);
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, s->pki.scep_ca, x, req, NULL, 0);
	static const struct { int nid; const char *v; } ex[] = {
		{ NID_basic_constraints, "critical,CA:FALSE" },
		{ NID_key_usage, "critical,digitalSignature" },
		{ NID_ext_key_usage, "clientAuth" },
		{ NID_subject_key_identifier, "hash" },
		{ NID_authority_key_identifier, "keyid" },
	};
	for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, ex[i].nid, ex[i].v);
		if (e == NULL) {
			X509_free(x);
			return NULL;
		}
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	STACK_OF(X509_EXTENSION) *rex = X509_REQ_get_extensions(req);
	for (int i = 0; rex && i < sk_X509_EXTENSION_num(rex); i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(rex, i);
		if (OBJ_obj2nid(X509_EXTENSION_get_object(e)) == NID_subject_alt_name)
			X509_add_ext(x, e, -1);
	}
	sk_X509_EXTENSION_pop_free(rex, X509_EXTENSION_free);
	if (X509_sign(x, s->pki.scep_key, EVP_sha256()) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* The challengePassword of a CSR, or "" when it has none. */
static void
challenge(X509_REQ *req, char *buf, size_t n)
{
	buf[0] = 0;
	int loc = X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword, -1);
	X509_ATTRIBUTE *at = loc >= 0 ? X509_REQ_get_attr(req, loc) : NULL;
	ASN1_TYPE *t = at ? X509_ATTRIBUTE_get0_type(at, 0) : NULL;
	if (t == NULL || (t->type != V_ASN1_PRINTABLESTRING && t->type != V_ASN1_UTF8STRING &&
	    t->type != V_ASN1_IA5STRING && t->type != V_ASN1_T61STRING))
		return;
	ASN1_STRING *v = t->value.asn1_string;
	size_t l = (size_t)ASN1_STRING_length(v);
	if (l >= n)
		l = n - 1;
	memcpy(buf, ASN1_STRING_get0_data(v), l);
	buf[l] = 0;
}

static OSSL_PROVIDER *legacy;
static bool legacy_ok;
/* registered after OpenSSL's own exit handler, so it runs before it */
static void
unload_legacy(void)
{
	OSSL_PROVIDER_unload(legacy);
	legacy = NULL;
}
static void
load_legacy(void)
{
	legacy = OSSL_PROVIDER_try_load(NULL, "legacy", 1);
	legacy_ok = legacy != NULL;
	if (legacy_ok)
		atexit(unload_legacy);
	ERR_clear_error();
}

/* The envelope's content cipher (PKCS7 exposes it), AES-128 when unknown. */
static const EVP_CIPHER *
env_cipher(const uint8_t *p, size_t n)
{
	const uint8_t *q = p;
	PKCS7 *p7 = d2i_PKCS7(NULL, &q, (long)n);
	const EVP_CIPHER *c = NULL;
	if (p7 && PKCS7_type_is_enveloped(p7) && p7->d.enveloped && p7->d.enveloped->enc_data &&
	    p7->d.enveloped->enc_data->algorithm) {
		int nid = OBJ_obj2nid(p7->d.enveloped->enc_data->algorithm->algorithm);
		if (nid == NID_des_ede3_cbc || nid == NID_aes_128_cbc || nid == NID_aes_192_cbc ||
		    nid == NID_aes_256_cbc)
			c = EVP_get_cipherbynid(nid);
	}
	PKCS7_free(p7);
	ERR_clear_error();
	return c ? c : EVP_aes_128_cbc();
}

/* --scep-cipher: the CertRep envelope's cipher whatever the request used.
 * micromdm's scepserver (smallstep/pkcs7's default) always uses single
 * DES-CBC, which OpenSSL 3 keeps in its legacy provider. */
static const EVP_CIPHER *
fixed_cipher(const char *name)
{
	if (strcmp(name, "des") == 0) {
		static pthread_once_t once = PTHREAD_ONCE_INIT;
		pthread_once(&once, load_legacy);
		return legacy_ok ? EVP_des_cbc() : NULL;
	}
	return strcmp(name, "des3") == 0 ? EVP_des_ede3_cbc() : strcmp(name, "aes256") == 0 ?
	    EVP_aes_256_cbc() : EVP_aes_128_cbc();
}

/* Decrypts the envelope with the RA key, then the CA key. */
static int
decrypt(mds_server *s, const uint8_t *p, size_t n, mds_buf *out)
{
	const uint8_t *q = p;
	CMS_ContentInfo *env = d2i_CMS_ContentInfo(NULL, &q, (long)n);
	int rc = -1;
	if (env == NULL || OBJ_obj2nid(CMS_get0_type(env)) != NID_pkcs7_enveloped)
		goto out;
	for (int pass = 0; pass < 2 && rc != 0; pass++) {
		X509 *c = pass == 0 ? s->pki.ra : s->pki.scep_ca;
		EVP_PKEY *k = pass == 0 ? s->pki.ra_key : s->pki.scep_key;
		if (c == NULL)
			continue;
		BIO *b = BIO_new(BIO_s_mem());
		if (CMS_decrypt(env, k, c, NULL, b, CMS_BINARY) == 1) {
			char *d = NULL;
			long l = BIO_get_mem_data(b, &d);
			mds_buf_add(out, d, (size_t)l);
			rc = 0;
		}
		BIO_free(b);
	}
out:
	ERR_clear_error();
	CMS_ContentInfo_free(env);
	return rc;
}

static void
pkioperation(mds_server *s, const uint8_t *msg, size_t n, mds_resp *rs)
{
	const uint8_t *q = msg;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &q, (long)n);
	STACK_OF(X509) *certs = NULL;
	mds_buf content = { 0 }, plain = { 0 };
	struct rq r = { .md = EVP_sha256() };
	X509_REQ *req = NULL;
	if (cms == NULL || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed ||
	    sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)) != 1) {
		mds_resp_text(rs, 400, "not a SCEP pkiMessage (a SignedData with one signer)\n");
		goto out;
	}
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	char mt[16] = "";
	attr_str(si, s->nid_msgtype, mt, sizeof mt);
	attr_str(si, s->nid_transid, r.transid, sizeof r.transid);
	r.snlen = attr_octets(si, s->nid_snonce, r.snonce, sizeof r.snonce);
	r.msgtype = atoi(mt);
	X509_ALGOR *dig = NULL;
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
	if (dig) {
		const ASN1_OBJECT *obj = NULL;
		X509_ALGOR_get0(&obj, NULL, NULL, dig);
		int nid = OBJ_obj2nid(obj);
		if (nid == NID_sha1 || nid == NID_sha256 || nid == NID_sha384 || nid == NID_sha512)
			r.md = EVP_get_digestbynid(nid);
	}
	certs = CMS_get1_certs(cms);
	for (int i = 0; certs && i < sk_X509_num(certs); i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0)
			r.signer = sk_X509_value(certs, i);
	if (r.signer == NULL || r.transid[0] == 0 || mt[0] == 0) {
		/* nobody to encrypt to, or no transaction: not answerable as SCEP */
		mds_resp_text(rs, 400, "pkiMessage without signer certificate, messageType or transactionID\n");
		goto out;
	}
	if (mds_cms_digests_known(msg, n) == 0) {
		certrep(s, rs, &r, ST_FAILURE, FI_BADALG, NULL);
		goto out;
	}
	BIO *bc = BIO_new(BIO_s_mem());
	int vok = CMS_verify(cms, NULL, NULL, NULL, bc, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY);
	char *cd = NULL;
	long cl = BIO_get_mem_data(bc, &cd);
	if (vok == 1)
		mds_buf_add(&content, cd, (size_t)cl);
	BIO_free(bc);
	ERR_clear_error();
	if (vok != 1) {
		certrep(s, rs, &r, ST_FAILURE, FI_BADMESSAGECHECK, NULL);
		goto out;
	}
	r.cipher = s->cfg.scep_cipher ? fixed_cipher(s->cfg.scep_cipher) : env_cipher(content.p, content.len);
	if (r.cipher == NULL) {
		fprintf(stderr, "mdmserver: SCEP: --scep-cipher %s is not available\n", s->cfg.scep_cipher);
		certrep(s, rs, &r, ST_FAILURE, FI_BADALG, NULL);
		goto out;
	}
	if (decrypt(s, content.p, content.len, &plain) != 0) {
		certrep(s, rs, &r, ST_FAILURE, FI_BADMESSAGECHECK, NULL);
		goto out;
	}
	pthread_mutex_lock(&s->fmu);
	int mode = s->scep_mode, polls = s->scep_polls, finfo = s->scep_failinfo;
	pthread_mutex_unlock(&s->fmu);
	if (r.msgtype == MT_CERTPOLL) {
		mds_count(&s->rep, MDS_C_SCEP_POLL);
		pthread_mutex_lock(&s->fmu);
		struct mds_pending **pp = &s->pending, *p = NULL;
		for (; *pp; pp = &(*pp)->next)
			if (strcmp((*pp)->transid, r.transid) == 0)
				break;
		p = *pp;
		uint8_t *csr = NULL;
		size_t csrlen = 0;
		bool ready = false;
		if (p && --p->polls_left <= 0) {
			*pp = p->next;
			csr = p->csr;
			csrlen = p->csrlen;
			free(p);
			ready = true;
		}
		pthread_mutex_unlock(&s->fmu);
		if (p == NULL) {
			certrep(s, rs, &r, ST_FAILURE, FI_BADCERTID, NULL);
		} else if (!ready) {
			certrep(s, rs, &r, ST_PENDING, 0, NULL);
		} else {
			const uint8_t *cq = csr;
			req = d2i_X509_REQ(NULL, &cq, (long)csrlen);
			X509 *x = req ? issue(s, req) : NULL;
			if (x)
				certrep(s, rs, &r, ST_SUCCESS, 0, x);
			else
				certrep(s, rs, &r, ST_FAILURE, FI_BADREQUEST, NULL);
			X509_free(x);
			free(csr);
		}
		goto out;
	}
	if (r.msgtype != MT_PKCSREQ && r.msgtype != MT_RENEWAL) {
		certrep(s, rs, &r, ST_FAILURE, FI_BADREQUEST, NULL);
		goto out;
	}
	mds_count(&s->rep, MDS_C_SCEP_PKCSREQ);
	const uint8_t *cq = plain.p;
	req = d2i_X509_REQ(NULL, &cq, (long)plain.len);
	if (req == NULL || X509_REQ_verify(req, X509_REQ_get0_pubkey(req)) != 1) {
		ERR_clear_error();
		certrep(s, rs, &r, ST_FAILURE, FI_BADMESSAGECHECK, NULL);
		goto out;
	}
	if (r.msgtype == MT_PKCSREQ && s->cfg.scep_challenge != NULL) {
		char pw[256];
		challenge(req, pw, sizeof pw);
		if (strcmp(pw, s->cfg.scep_challenge) != 0) {
			fprintf(stderr, "mdmserver: SCEP %s: wrong challenge password\n", r.transid);
			certrep(s, rs, &r, ST_FAILURE, FI_BADREQUEST, NULL);
			goto out;
		}
	}
	if (r.msgtype == MT_RENEWAL) {
		/* a renewal is signed by an identity we issued */
		X509_STORE_CTX *ctx = X509_STORE_CTX_new();
		int ok = ctx && X509_STORE_CTX_init(ctx, s->pki.device_store, r.signer, NULL) == 1 &&
		    X509_verify_cert(ctx) == 1;
		X509_STORE_CTX_free(ctx);
		ERR_clear_error();
		if (!ok) {
			certrep(s, rs, &r, ST_FAILURE, FI_BADREQUEST, NULL);
			goto out;
		}
	}
	if (mode == MDS_SCEP_FAILURE) {
		certrep(s, rs, &r, ST_FAILURE, finfo, NULL);
	} else if (mode == MDS_SCEP_PENDING && polls > 0) {
		struct mds_pending *p = mds_xcalloc(1, sizeof *p);
		snprintf(p->transid, sizeof p->transid, "%s", r.transid);
		p->csr = mds_xmalloc(plain.len);
		memcpy(p->csr, plain.p, plain.len);
		p->csrlen = plain.len;
		p->polls_left = polls;
		pthread_mutex_lock(&s->fmu);
		p->next = s->pending;
		s->pending = p;
		pthread_mutex_unlock(&s->fmu);
		certrep(s, rs, &r, ST_PENDING, 0, NULL);
	} else {
		X509 *x = issue(s, req);
		if (x)
			certrep(s, rs, &r, ST_SUCCESS, 0, x);
		else
			certrep(s, rs, &r, ST_FAILURE, FI_BADREQUEST, NULL);
		X509_free(x);
	}
out:
	ERR_clear_error();
	X509_REQ_free(req);
	mds_buf_free(&content);
	mds_buf_free(&plain);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
}

void
mds_handle_scep(mds_server *s, const mds_req *rq, mds_resp *rs)
{
	const char *op = rq->q_operation ? rq->q_operation : "";
	mds_fault f;
	if (mds_fault_take(s, MDS_FS_SCEP, NULL, op, &f)) {
		mds_count(&s->rep, MDS_C_FAULTS);
		if (f.kind == MDS_F_RESET) {
			rs->act = MDS_ACT_RESET;
			return;
		}
		if (f.kind == MDS_F_HOLD) {
			rs->act = MDS_ACT_HOLD;
			rs->hold_ms = f.hold_ms;
			mds_resp_text(rs, 503, "held, then refused\n");
			return;
		}
		if (f.kind == MDS_F_STATUS) {
			mds_resp_text(rs, f.status, "injected failure\n");
			return;
		}
	}
	if (strcmp(op, "GetCACaps") == 0) {
		mds_count(&s->rep, MDS_C_SCEP_CACAPS);
		const char *caps = "Renewal\nSHA-1\nSHA-256\nAES\nDES3\nSCEPStandard\nPOSTPKIOperation";
		mds_resp_set(rs, 200, "text/plain", caps, strlen(caps));
		return;
	}
	if (strcmp(op, "GetCACert") == 0) {
		mds_count(&s->rep, MDS_C_SCEP_CACERT);
		uint8_t *der = NULL;
		int n;
		if (s->pki.ra) {
			PKCS7 *p7 = PKCS7_new();
			PKCS7_set_type(p7, NID_pkcs7_signed);
			PKCS7_content_new(p7, NID_pkcs7_data);
			PKCS7_add_certificate(p7, s->pki.ra);
			PKCS7_add_certificate(p7, s->pki.scep_ca);
			n = i2d_PKCS7(p7, &der);
			PKCS7_free(p7);
			if (n > 0)
				mds_resp_set(rs, 200, "application/x-x509-ca-ra-cert", der, (size_t)n);
		} else {
			n = i2d_X509(s->pki.scep_ca, &der);
			if (n > 0)
				mds_resp_set(rs, 200, "application/x-x509-ca-cert", der, (size_t)n);
		}
		OPENSSL_free(der);
		if (n <= 0)
			mds_resp_text(rs, 500, "cannot encode the CA\n");
		return;
	}
	if (strcmp(op, "PKIOperation") != 0) {
		mds_resp_text(rs, 400, "unknown SCEP operation\n");
		return;
	}
	uint8_t *msg = NULL;
	size_t n = 0;
	bool is_post = strcmp(rq->method, "POST") == 0;
	if (is_post && rq->len > 0 && rq->body[0] == 0x30) {
		msg = mds_xmalloc(rq->len);
		memcpy(msg, rq->body, rq->len);
		n = rq->len;
	} else {
		const char *b64 = is_post ? (const char *)rq->body : rq->q_message;
		size_t bl = is_post ? rq->len : b64 ? strlen(b64) : 0;
		if (b64 == NULL || bl == 0 || bl > MAX_PKIMESSAGE * 2 || mds_b64_decode(&msg, &n, b64, bl) != 0) {
			mds_resp_text(rs, 400, "PKIOperation without a DER or base64 message\n");
			return;
		}
	}
	if (n > MAX_PKIMESSAGE) {
		free(msg);
		mds_resp_text(rs, 413, "pkiMessage too large\n");
		return;
	}
	pkioperation(s, msg, n, rs);
	free(msg);
}
