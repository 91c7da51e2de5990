/*
 * ident.c — who sent a device message: the Mdm-Signature header or the TLS
 * client certificate.
 *
 * Mdm-Signature (mdm-observed.md §3, NanoMDM cryptoutil.VerifyMdmSignature,
 * http/mdm/mdm_cert.go): standard base64 of a DER CMS SignedData, detached
 * (no eContent) over the exact HTTP body, exactly one SignerInfo, the
 * signer's certificate included; SHA-1 or SHA-256, with or without signed
 * attributes.  The certificate must chain to the device anchors with
 * clientAuth or no EKU (Go x509.Verify with KeyUsages ClientAuth: so it
 * must be within its validity), and a signingTime attribute, when present,
 * must fall inside the certificate's validity (smallstep/pkcs7, whose
 * failure micromdm issue 1009 quotes).  Chain verdicts are cached by the
 * certificate's sha256, so a message costs one signature check; a cached
 * "good" expires with the certificate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "mdms.h"

#define MAX_SIG_B64 (96 * 1024)
#define CACHE_MAX 200000

struct mds_ident {
	uint8_t h[32];
	bool ok;
	time_t not_after;
	char cn[96];
	char why[200];
	struct mds_ident *next;
};

void
mds_idcache_init(mds_idcache *c)
{
	memset(c, 0, sizeof *c);
	pthread_rwlock_init(&c->lk, NULL);
}

static void
flush(mds_idcache *c)
{
	for (size_t i = 0; i < sizeof c->tab / sizeof c->tab[0]; i++) {
		struct mds_ident *e = c->tab[i];
		while (e) {
			struct mds_ident *n = e->next;
			free(e);
			e = n;
		}
		c->tab[i] = NULL;
	}
	c->n = 0;
}

void
mds_idcache_free(mds_idcache *c)
{
	flush(c);
	pthread_rwlock_destroy(&c->lk);
}

static size_t
bucket(const uint8_t h[32])
{
	return ((size_t)h[0] << 4 | h[1] >> 4) & 4095;
}

static bool
cache_get(mds_idcache *c, const uint8_t h[32], struct mds_ident *out)
{
	bool hit = false;
	pthread_rwlock_rdlock(&c->lk);
	for (struct mds_ident *e = c->tab[bucket(h)]; e; e = e->next) {
		if (memcmp(e->h, h, 32) == 0) {
			*out = *e;
			hit = true;
			break;
		}
	}
	pthread_rwlock_unlock(&c->lk);
	return hit;
}

static void
cache_put(mds_idcache *c, const struct mds_ident *v)
{
	pthread_rwlock_wrlock(&c->lk);
	if (c->n >= CACHE_MAX)
		flush(c);
	struct mds_ident *e = mds_xmalloc(sizeof *e);
	*e = *v;
	size_t b = bucket(v->h);
	e->next = c->tab[b];
	c->tab[b] = e;
	c->n++;
	pthread_rwlock_unlock(&c->lk);
}

static void
ossl_reason(char *buf, size_t n)
{
	unsigned long e = ERR_peek_last_error();
	if (e == 0)
		snprintf(buf, n, "unknown reason");
	else
		ERR_error_string_n(e, buf, n);
	ERR_clear_error();
}

static time_t
asn1_epoch(const ASN1_TIME *t)
{
	struct tm tm;
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/* Chain + EKU check of leaf (untrusted intermediates in chain), through
 * the cache. */
static int
check_cert(struct mds_ident *out, mds_idcache *c, X509_STORE *store, time_t vtime, X509 *leaf,
    STACK_OF(X509) *chain, bool *cached)
{
	unsigned int hl = 0;
	memset(out, 0, sizeof *out);
	X509_digest(leaf, EVP_sha256(), out->h, &hl);
	time_t now = vtime ? vtime : time(NULL);
	if (cache_get(c, out->h, out) && (!out->ok || now <= out->not_after)) {
		*cached = true;
		return out->ok ? 0 : -1;
	}
	*cached = false;
	X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, out->cn, sizeof out->cn);
	out->not_after = asn1_epoch(X509_get0_notAfter(leaf));
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	out->ok = false;
	if (ctx != NULL && X509_STORE_CTX_init(ctx, store, leaf, chain) == 1) {
		X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
		if (vtime)
			X509_VERIFY_PARAM_set_time(vp, vtime);
		if (X509_verify_cert(ctx) == 1) {
			/* EKU: absent, clientAuth, or anyExtendedKeyUsage (Go's rule) */
			uint32_t flags = X509_get_extension_flags(leaf);
			uint32_t xku = X509_get_extended_key_usage(leaf);
			if ((flags & EXFLAG_XKUSAGE) && !(xku & (XKU_SSL_CLIENT | XKU_ANYEKU)))
				snprintf(out->why, sizeof out->why, "identity certificate \"%s\" has no clientAuth EKU", out->cn);
			else
				out->ok = true;
		} else {
			int e = X509_STORE_CTX_get_error(ctx);
			snprintf(out->why, sizeof out->why, "identity certificate \"%s\": %s", out->cn,
			    X509_verify_cert_error_string(e));
		}
	} else {
		snprintf(out->why, sizeof out->why, "cannot verify the identity certificate");
	}
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	cache_put(c, out);
	return out->ok ? 0 : -1;
}

static void
fill(mds_identity *o, const struct mds_ident *v, bool cached)
{
	memcpy(o->sha256, v->h, 32);
	snprintf(o->cn, sizeof o->cn, "%s", v->cn);
	o->cached = cached;
}

/* signingTime, when signed, inside the signer's validity. */
static int
signing_time_ok(CMS_SignerInfo *si, X509 *signer, char *why, size_t n)
{
	int loc = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	if (loc < 0)
		return 0;
	X509_ATTRIBUTE *at = CMS_signed_get_attr(si, loc);
	ASN1_TYPE *t = at ? X509_ATTRIBUTE_get0_type(at, 0) : NULL;
	if (t == NULL || (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME)) {
		snprintf(why, n, "signingTime attribute is not a time");
		return -1;
	}
	const ASN1_TIME *st = (const ASN1_TIME *)t->value.utctime;
	if (ASN1_TIME_compare(st, X509_get0_notBefore(signer)) < 0 ||
	    ASN1_TIME_compare(st, X509_get0_notAfter(signer)) > 0) {
		snprintf(why, n, "signing time is outside the identity certificate's validity");
		return -1;
	}
	return 0;
}

int
mds_verify_mdm_signature(mds_identity *out, mds_idcache *c, X509_STORE *store, time_t vtime,
    const char *b64, const uint8_t *body, size_t len, mds_err *err)
{
	memset(out, 0, sizeof *out);
	if (b64 == NULL || b64[0] == 0)
		return mds_fail(err, 0, "empty Mdm-Signature header");
	size_t bl = strlen(b64);
	if (bl > MAX_SIG_B64)
		return mds_fail(err, 0, "Mdm-Signature of %zu bytes (cap %d)", bl, MAX_SIG_B64);
	uint8_t *der = NULL;
	size_t dl = 0;
	if (mds_b64_decode(&der, &dl, b64, bl) != 0)
		return mds_fail(err, 0, "Mdm-Signature is not base64");
	const uint8_t *q = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &q, (long)dl);
	int rc = -1;
	STACK_OF(X509) *certs = NULL;
	char why[256];
	if (cms == NULL) {
		ERR_clear_error();
		mds_fail(err, 0, "Mdm-Signature is not a DER CMS message");
		goto out;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		mds_fail(err, 0, "Mdm-Signature is not a SignedData");
		goto out;
	}
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	if (sk_CMS_SignerInfo_num(sis) != 1) {
		mds_fail(err, 0, "Mdm-Signature has %d signers (exactly one wanted)", sk_CMS_SignerInfo_num(sis));
		goto out;
	}
	ASN1_OCTET_STRING **content = CMS_get0_content(cms);
	if (content != NULL && *content != NULL) {
		mds_fail(err, 0, "Mdm-Signature carries its content (it must be detached)");
		goto out;
	}
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);
	certs = CMS_get1_certs(cms);
	X509 *signer = NULL;
	for (int i = 0; certs && i < sk_X509_num(certs); i++) {
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0) {
			signer = sk_X509_value(certs, i);
			break;
		}
	}
	if (signer == NULL) {
		mds_fail(err, 0, "Mdm-Signature: no certificate for the signer");
		goto out;
	}
	struct mds_ident v;
	bool cached = false;
	if (check_cert(&v, c, store, vtime, signer, certs, &cached) != 0) {
		fill(out, &v, cached);
		mds_fail(err, 0, "%s", v.why);
		goto out;
	}
	fill(out, &v, cached);
	if (signing_time_ok(si, signer, why, sizeof why) != 0) {
		mds_fail(err, 0, "Mdm-Signature: %s", why);
		goto out;
	}
	BIO *bio = BIO_new_mem_buf(body, (int)len);
	int ok = CMS_verify(cms, NULL, NULL, bio, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY);
	BIO_free(bio);
	if (ok != 1) {
		ossl_reason(why, sizeof why);
		mds_fail(err, 0, "Mdm-Signature does not verify over the body (%s)", why);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	free(der);
	return rc;
}

int
mds_verify_client_chain(mds_identity *out, mds_idcache *c, X509_STORE *store, time_t vtime,
    const uint8_t *const *der, const size_t *lens, size_t n, mds_err *err)
{
	memset(out, 0, sizeof *out);
	if (n == 0)
		return mds_fail(err, 0, "no TLS client certificate");
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509 *leaf = NULL;
	int rc = -1;
	for (size_t i = 0; i < n && i < 8; i++) {
		const uint8_t *q = der[i];
		X509 *x = d2i_X509(NULL, &q, (long)lens[i]);
		if (x == NULL) {
			mds_fail(err, 0, "TLS client certificate %zu is not DER X.509", i);
			goto out;
		}
		if (i == 0)
			leaf = x;
		else
			sk_X509_push(chain, x);
	}
	struct mds_ident v;
	bool cached = false;
	if (check_cert(&v, c, store, vtime, leaf, chain, &cached) != 0) {
		fill(out, &v, cached);
		mds_fail(err, 0, "%s", v.why);
		goto out;
	}
	fill(out, &v, cached);
	rc = 0;
out:
	ERR_clear_error();
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}
