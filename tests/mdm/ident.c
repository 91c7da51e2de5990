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
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "mdms.h"

#define MAX_SIG_B64 (96 * 1024)
#define CACHE_MAX 200000

struct mds_ident {
	uint8_t h[32];
	bool ok;
	time_t not_before, not_after;
	EVP_PKEY *pkey;         /* the certificate's key, for the fast path (ok only) */
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
			EVP_PKEY_free(e->pkey);
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
			if (out->pkey)
				EVP_PKEY_up_ref(out->pkey);     /* the caller's reference */
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
	if (e->pkey)
		EVP_PKEY_up_ref(e->pkey);           /* the cache's reference */
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
	if (cache_get(c, out->h, out)) {
		EVP_PKEY_free(out->pkey);
		out->pkey = NULL;
		if (!out->ok || now <= out->not_after) {
			*cached = true;
			return out->ok ? 0 : -1;
		}
		memset(out, 0, sizeof *out);
		X509_digest(leaf, EVP_sha256(), out->h, &hl);
	}
	*cached = false;
	X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, out->cn, sizeof out->cn);
	out->not_before = asn1_epoch(X509_get0_notBefore(leaf));
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
	out->pkey = out->ok ? X509_get0_pubkey(leaf) : NULL;
	cache_put(c, out);
	out->pkey = NULL;
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

/*
 * The fast path.  OpenSSL 3.0's CMS parse of one Mdm-Signature (the embedded
 * certificate's key goes through the provider decoders) costs several
 * times the RSA check itself, so for a certificate the cache already
 * vouches for, the DER is walked here and only the cryptography is left to
 * OpenSSL.  It can only accept: any structure it does not expect (BER
 * lengths, several signers or certificates it cannot match, a
 * subjectKeyIdentifier signer, attached content, an unknown algorithm, a
 * missing contentType or messageDigest) and any failed check return
 * "unsure", and the full CMS path above decides and explains.
 *
 *   ContentInfo ::= SEQ { OID signedData, [0] SignedData }
 *   SignedData  ::= SEQ { version, SET digestAlgorithms, SEQ encap { OID [, [0] content] },
 *                         [0] certificates OPTIONAL, [1] crls OPTIONAL, SET signerInfos }
 *   SignerInfo  ::= SEQ { version, sid (SEQ { issuer, serial }), SEQ digestAlgorithm,
 *                         [0] signedAttrs OPTIONAL, SEQ signatureAlgorithm, OCTET STRING sig, ... }
 * With signedAttrs the signature covers their DER with the SET tag (0x31)
 * in place of [0]; contentType must be id-data and messageDigest the body's
 * digest (RFC 5652 §5.4); without them it covers the body.
 */
struct tlv {
	uint8_t tag;
	const uint8_t *v, *whole;       /* contents; the element from its tag */
	size_t len, wlen;
};

/* Reads one DER element from [*p, end): single-byte tags, definite lengths. */
static bool
tlv_next(const uint8_t **p, const uint8_t *end, struct tlv *t)
{
	const uint8_t *q = *p;
	if (end - q < 2 || (q[0] & 0x1f) == 0x1f)
		return false;
	t->tag = q[0];
	size_t len = q[1], hl = 2;
	if (len & 0x80) {
		size_t k = len & 0x7f;
		if (k == 0 || k > 4 || (size_t)(end - q) < 2 + k)
			return false;   /* indefinite or absurd */
		len = 0;
		for (size_t i = 0; i < k; i++)
			len = len << 8 | q[2 + i];
		hl = 2 + k;
	}
	if ((size_t)(end - q) - hl < len)
		return false;
	t->whole = q;
	t->v = q + hl;
	t->len = len;
	t->wlen = hl + len;
	*p = q + hl + len;
	return true;
}

static bool
tlv_in(const struct tlv *outer, const uint8_t **p, struct tlv *t)
{
	return tlv_next(p, outer->v + outer->len, t);
}

/* OIDs as their DER content bytes ("\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02" is 1.2.840.113549.1.7.2) */
#define OID_IS(t, bytes) oid_is((t), (const uint8_t *)(bytes), sizeof(bytes) - 1)

static bool
oid_is(const struct tlv *t, const uint8_t *b, size_t n)
{
	return t->tag == 0x06 && t->len == n && memcmp(t->v, b, n) == 0;
}

static const EVP_MD *
fast_md(const struct tlv *oid)
{
	if (OID_IS(oid, "\x2b\x0e\x03\x02\x1a"))
		return EVP_sha1();
	if (OID_IS(oid, "\x60\x86\x48\x01\x65\x03\x04\x02\x01"))
		return EVP_sha256();
	if (OID_IS(oid, "\x60\x86\x48\x01\x65\x03\x04\x02\x02"))
		return EVP_sha384();
	if (OID_IS(oid, "\x60\x86\x48\x01\x65\x03\x04\x02\x03"))
		return EVP_sha512();
	return NULL;
}

/* The signature algorithm fits the key and the digest? */
static bool
fast_sigalg(const struct tlv *oid, const EVP_MD *md, EVP_PKEY *pk)
{
	int rsa = EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA, ec = EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC;
	if (rsa && OID_IS(oid, "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01"))
		return true;
	if (ec && OID_IS(oid, "\x2a\x86\x48\xce\x3d\x02\x01"))
		return true;
	static const struct { const char *oid; size_t n; int rsa; const char *md; } t[] = {
		{ "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x05", 9, 1, "SHA1" }, { "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b", 9, 1, "SHA256" },
		{ "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0c", 9, 1, "SHA384" }, { "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0d", 9, 1, "SHA512" },
		{ "\x2a\x86\x48\xce\x3d\x04\x03\x01", 8, 0, "SHA1" }, { "\x2a\x86\x48\xce\x3d\x04\x03\x02", 8, 0, "SHA256" },
		{ "\x2a\x86\x48\xce\x3d\x04\x03\x03", 8, 0, "SHA384" }, { "\x2a\x86\x48\xce\x3d\x04\x03\x04", 8, 0, "SHA512" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (oid_is(oid, (const uint8_t *)t[i].oid, t[i].n))
			return (t[i].rsa ? rsa : ec) && EVP_MD_is_a(md, t[i].md);
	return false;
}

static bool
fast_verify(EVP_PKEY *pk, const EVP_MD *md, const uint8_t *m, size_t mlen, const struct tlv *sig)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, pk) == 1 &&
	    EVP_DigestVerify(ctx, sig->v, sig->len, m, mlen) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* signedAttrs: contentType id-data, messageDigest = digest(body), and the
 * signing time inside [nb, na]. */
static bool
fast_attrs(const struct tlv *attrs, const EVP_MD *md, const uint8_t *body, size_t len, time_t nb, time_t na)
{
	uint8_t dg[EVP_MAX_MD_SIZE];
	unsigned dl = 0;
	if (EVP_Digest(body, len, dg, &dl, md, NULL) != 1)
		return false;
	bool ctype = false, digest = false;
	const uint8_t *p = attrs->v;
	struct tlv a;
	while (p < attrs->v + attrs->len) {
		if (!tlv_in(attrs, &p, &a) || a.tag != 0x30)
			return false;
		const uint8_t *q = a.v;
		struct tlv oid, set, val;
		if (!tlv_in(&a, &q, &oid) || !tlv_in(&a, &q, &set) || set.tag != 0x31)
			return false;
		const uint8_t *r = set.v;
		if (!tlv_in(&set, &r, &val) || r != set.v + set.len)
			return false;   /* exactly one value */
		if (OID_IS(&oid, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x03")) {
			if (ctype || !OID_IS(&val, "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01"))
				return false;
			ctype = true;
		} else if (OID_IS(&oid, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x04")) {
			if (digest || val.tag != 0x04 || val.len != dl || CRYPTO_memcmp(val.v, dg, dl) != 0)
				return false;
			digest = true;
		} else if (OID_IS(&oid, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x05")) {
			const uint8_t *tp = val.whole;
			ASN1_TIME *at = d2i_ASN1_TIME(NULL, &tp, (long)val.wlen);
			time_t st = at ? asn1_epoch(at) : 0;
			ASN1_TIME_free(at);
			if (st == 0 || st < nb || st > na)
				return false;
		}
	}
	return ctype && digest;
}

/* DER well-formedness of everything in t, as OpenSSL's decoder would
 * insist: children cover constructed elements exactly; INTEGERs minimal;
 * OIDs well encoded; BOOLEAN one byte; NULL empty; BIT STRING's unused
 * bits at most 7.  Depth-limited. */
static bool
der_ok(const struct tlv *t, int depth)
{
	if (depth > 16)
		return false;
	if (t->tag & 0x20) {
		const uint8_t *p = t->v;
		struct tlv c;
		while (p < t->v + t->len)
			if (!tlv_in(t, &p, &c) || !der_ok(&c, depth + 1))
				return false;
		return true;
	}
	switch (t->tag) {
	case 0x01: return t->len == 1;
	case 0x02: return t->len >= 1 && !(t->len > 1 && ((t->v[0] == 0 && !(t->v[1] & 0x80)) ||
	    (t->v[0] == 0xff && (t->v[1] & 0x80))));
	case 0x03: return t->len >= 1 && t->v[0] <= 7;
	case 0x05: return t->len == 0;
	case 0x06:
		if (t->len == 0 || (t->v[t->len - 1] & 0x80))
			return false;
		for (size_t i = 0; i < t->len; i++)
			if (t->v[i] == 0x80 && (i == 0 || !(t->v[i - 1] & 0x80)))
				return false;   /* a subidentifier with a leading 0x80 */
		return true;
	default:
		return true;
	}
}

/* AlgorithmIdentifier: SEQ { OID [, NULL] } and nothing else. */
static bool
alg_ok(const struct tlv *alg, struct tlv *oid)
{
	const uint8_t *p = alg->v;
	struct tlv n;
	if (alg->tag != 0x30 || !tlv_in(alg, &p, oid) || oid->tag != 0x06 || !der_ok(oid, 0))
		return false;
	if (p == alg->v + alg->len)
		return true;
	return tlv_in(alg, &p, &n) && n.tag == 0x05 && n.len == 0 && p == alg->v + alg->len;
}

/* The signed attributes real clients send: contentType, signingTime,
 * messageDigest (all), S/MIME capabilities (openssl cms). */
static bool
attrs_known(const struct tlv *attrs)
{
	const uint8_t *p = attrs->v;
	struct tlv a, oid;
	while (p < attrs->v + attrs->len) {
		if (!tlv_in(attrs, &p, &a) || a.tag != 0x30 || !der_ok(&a, 0))
			return false;
		const uint8_t *q = a.v;
		if (!tlv_in(&a, &q, &oid) || !(OID_IS(&oid, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x03") ||
		    OID_IS(&oid, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x04") ||
		    OID_IS(&oid, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x05") ||
		    OID_IS(&oid, "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x0f")))
			return false;
	}
	return true;
}

/* Next element must exist with this tag. */
static bool
want(const struct tlv *outer, const uint8_t **p, struct tlv *t, uint8_t tag)
{
	return tlv_in(outer, p, t) && t->tag == tag;
}

/* 1: verified, 0: not sure (take the full path).  The shape accepted is
 * exactly: ContentInfo{signedData, [0]{SignedData{INTEGER 1, SET of known
 * digests, SEQ{id-data}, [0]{one certificate}, SET{one SignerInfo{INTEGER
 * 1, SEQ{issuer, serial}, alg, [0] attrs?, alg, OCTET STRING}}}}}. */
static int
fast_path(mds_identity *out, mds_idcache *c, time_t vtime, const uint8_t *der, size_t dl,
    const uint8_t *body, size_t len)
{
	const uint8_t *p = der, *q;
	struct tlv ci, oid, w, sd, t, certs, cert, sis, si, sid, iss, ser, dalg, attrs = { 0 }, salg, sig, doid, soid;
	if (!tlv_next(&p, der + dl, &ci) || ci.tag != 0x30 || p != der + dl)
		return 0;
	p = ci.v;
	if (!want(&ci, &p, &oid, 0x06) || !OID_IS(&oid, "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02") ||
	    !want(&ci, &p, &w, 0xa0) || p != ci.v + ci.len)
		return 0;
	p = w.v;
	if (!want(&w, &p, &sd, 0x30) || p != w.v + w.len)
		return 0;
	p = sd.v;
	struct tlv digests;
	if (!want(&sd, &p, &t, 0x02) || t.len != 1 || t.v[0] != 1 || !want(&sd, &p, &digests, 0x31))
		return 0;
	/* every digestAlgorithms entry one we know (CMS_verify refuses the others) */
	for (q = digests.v; q < digests.v + digests.len;) {
		struct tlv alg, aoid;
		if (!tlv_in(&digests, &q, &alg) || !alg_ok(&alg, &aoid) || fast_md(&aoid) == NULL)
			return 0;
	}
	if (!want(&sd, &p, &t, 0x30))
		return 0;
	q = t.v;
	struct tlv eoid;
	if (!want(&t, &q, &eoid, 0x06) || !OID_IS(&eoid, "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01") || q != t.v + t.len)
		return 0;       /* not id-data, or content present: not detached */
	if (!want(&sd, &p, &certs, 0xa0))
		return 0;
	q = certs.v;
	if (!want(&certs, &q, &cert, 0x30) || q != certs.v + certs.len)
		return 0;       /* exactly one certificate: the identity */
	if (!want(&sd, &p, &sis, 0x31) || p != sd.v + sd.len)
		return 0;       /* no CRLs, nothing after the signers */
	q = sis.v;
	if (!want(&sis, &q, &si, 0x30) || q != sis.v + sis.len || !der_ok(&si, 0))
		return 0;       /* exactly one signer, well formed */
	q = si.v;
	if (!want(&si, &q, &t, 0x02) || t.len != 1 || t.v[0] != 1 || !want(&si, &q, &sid, 0x30) ||
	    !tlv_in(&si, &q, &dalg) || !alg_ok(&dalg, &doid) || !tlv_in(&si, &q, &t))
		return 0;
	if (t.tag == 0xa0) {
		attrs = t;
		if (!attrs_known(&attrs) || !tlv_in(&si, &q, &t))
			return 0;
	}
	salg = t;
	if (!alg_ok(&salg, &soid) || !want(&si, &q, &sig, 0x04) || q != si.v + si.len)
		return 0;       /* no unsigned attributes */
	const uint8_t *ip = sid.v;
	if (!want(&sid, &ip, &iss, 0x30) || !want(&sid, &ip, &ser, 0x02) || ip != sid.v + sid.len)
		return 0;
	/* the certificate is the signer's: issuer and serial byte for byte */
	const uint8_t *x = cert.v, *y;
	struct tlv tbs, f, falg, fiss;
	if (!want(&cert, &x, &tbs, 0x30))
		return 0;
	y = tbs.v;
	if (!tlv_in(&tbs, &y, &f) || (f.tag == 0xa0 && !tlv_in(&tbs, &y, &f)) || f.tag != 0x02 ||
	    !tlv_in(&tbs, &y, &falg) || !tlv_in(&tbs, &y, &fiss))
		return 0;
	if (f.wlen != ser.wlen || memcmp(f.whole, ser.whole, f.wlen) != 0 || fiss.wlen != iss.wlen ||
	    memcmp(fiss.whole, iss.whole, fiss.wlen) != 0)
		return 0;
	struct mds_ident v;
	uint8_t h[32];
	SHA256(cert.whole, cert.wlen, h);
	time_t now = vtime ? vtime : time(NULL);
	if (!cache_get(c, h, &v))
		return 0;       /* a certificate OpenSSL has not vouched for yet */
	int rc = 0;
	const EVP_MD *md = NULL;
	if (!v.ok || v.pkey == NULL || now > v.not_after || now < v.not_before)
		goto out;
	if ((md = fast_md(&doid)) == NULL || !fast_sigalg(&soid, md, v.pkey))
		goto out;
	/* the signer's digest must be one the SignedData lists (CMS_verify
	 * digests the content only with those) */
	bool listed = false;
	for (q = digests.v; q < digests.v + digests.len && !listed;) {
		struct tlv alg, aoid;
		if (!tlv_in(&digests, &q, &alg) || !alg_ok(&alg, &aoid))
			goto out;
		listed = aoid.len == doid.len && memcmp(aoid.v, doid.v, doid.len) == 0;
	}
	if (!listed)
		goto out;
	if (attrs.len) {
		if (!fast_attrs(&attrs, md, body, len, v.not_before, v.not_after))
			goto out;
		uint8_t *m = mds_xmalloc(attrs.wlen);
		memcpy(m, attrs.whole, attrs.wlen);
		m[0] = 0x31;    /* what was signed: the SET OF, not the [0] */
		bool ok = fast_verify(v.pkey, md, m, attrs.wlen, &sig);
		free(m);
		if (!ok)
			goto out;
	} else if (!fast_verify(v.pkey, md, body, len, &sig)) {
		goto out;
	}
	memcpy(out->sha256, h, 32);
	snprintf(out->cn, sizeof out->cn, "%s", v.cn);
	out->cached = true;
	out->fast = true;
	rc = 1;
out:
	EVP_PKEY_free(v.pkey);
	ERR_clear_error();
	return rc;
}

/* Every digestAlgorithms entry is a digest OpenSSL has: CMS_verify
 * (OpenSSL 3.0.19) leaks its digest BIO chain when one is not, so such a
 * message is refused before it gets there.  1 known, 0 unknown, -1 the DER
 * was not walked (CMS_verify decides). */
int
mds_cms_digests_known(const uint8_t *der, size_t dl)
{
	const uint8_t *p = der;
	struct tlv ci, oid, w, sd, t;
	if (!tlv_next(&p, der + dl, &ci) || ci.tag != 0x30)
		return -1;
	p = ci.v;
	if (!want(&ci, &p, &oid, 0x06) || !want(&ci, &p, &w, 0xa0))
		return -1;
	p = w.v;
	if (!want(&w, &p, &sd, 0x30))
		return -1;
	p = sd.v;
	if (!want(&sd, &p, &t, 0x02) || !want(&sd, &p, &t, 0x31))
		return -1;
	for (const uint8_t *q = t.v; q < t.v + t.len;) {
		struct tlv alg, aoid;
		const uint8_t *a;
		if (!tlv_in(&t, &q, &alg) || alg.tag != 0x30 || (a = alg.v, !want(&alg, &a, &aoid, 0x06)))
			return -1;
		const uint8_t *op = aoid.whole;
		ASN1_OBJECT *obj = d2i_ASN1_OBJECT(NULL, &op, (long)aoid.wlen);
		const EVP_MD *md = obj ? EVP_get_digestbyobj(obj) : NULL;
		ASN1_OBJECT_free(obj);
		if (md == NULL)
			return 0;
	}
	return 1;
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
	if (!c->no_fast && fast_path(out, c, vtime, der, dl, body, len) == 1) {
		free(der);
		return 0;
	}
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
	if (mds_cms_digests_known(der, dl) == 0) {
		mds_fail(err, 0, "Mdm-Signature names a digest algorithm OpenSSL does not know");
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
