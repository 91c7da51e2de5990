/*
 * codesign_verify.c — the CMS blob of a code signature (slot 0x10000), as
 * formats-and-peers.md §1.11-1.12 and kernel-extensions.md §5 describe it:
 *   1. ContentInfo{signedData}, eContentType id-data, detached; one SignerInfo
 *      whose signature verifies over the signed attributes and whose
 *      messageDigest is H_signer(the slot-0 CodeDirectory, all its bytes);
 *   2. the hash agility attributes name exactly the CDs present: v1
 *      (1.2.840.113635.100.9.1) a plist {cdhashes: [20-byte data, ...]} in slot
 *      order, v2 (…9.2) a set of {hashAlg, full digest}; both optional, but a
 *      signature with alternate CDs must carry one of them;
 *   3. the chain from the leaf to Apple's pinned roots, or to the configured
 *      extra anchor, valid at the signing time (signingTime attribute, else the
 *      RFC 3161 timestamp's genTime whose imprint covers our signature, else the
 *      caller's clock, trust->now).  As Security.framework does by default
 *      (kSecCSConsiderExpiration off), a certificate past its notAfter — at
 *      the signing time or by now — does not break the chain: it is recorded
 *      in out->expired; trust->check_expiration makes it invalid.  A
 *      certificate not yet valid at that time, or a bad certificate
 *      signature, is invalid either way.  No clock is read here.
 *   4. the Team ID from the leaf subject UID, else OU; the class from the
 *      certificate OIDs.  Apple's critical leaf extensions (1.2.840.113635.100.*)
 *      are accepted though OpenSSL does not know them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>   /* timegm, gmtime_r: conversions only */

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "formats/codesign_int.h"
#include "macext/plist_util.h"

#define REASON(out, ...) snprintf((out)->reason, sizeof (out)->reason, __VA_ARGS__)

static bool
has_ext(X509 *x, const char *oid)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	bool r = o && X509_get_ext_by_OBJ(x, o, -1) >= 0;
	ASN1_OBJECT_free(o);
	return r;
}

/* Accepts critical extensions OpenSSL does not handle only when they are
 * Apple's, and lets an expired certificate through: the caller reads the
 * chain's notAfter dates afterwards (expired_facts) and decides. */
static int
verify_cb(int ok, X509_STORE_CTX *ctx)
{
	if (!ok && X509_STORE_CTX_get_error(ctx) == X509_V_ERR_CERT_HAS_EXPIRED) {
		X509_STORE_CTX_set_error(ctx, X509_V_OK);
		return 1;
	}
	if (ok || X509_STORE_CTX_get_error(ctx) != X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION)
		return ok;
	X509 *x = X509_STORE_CTX_get_current_cert(ctx);
	if (x == NULL)
		return 0;
	for (int i = 0; i < X509_get_ext_count(x); i++) {
		X509_EXTENSION *e = X509_get_ext(x, i);
		if (!X509_EXTENSION_get_critical(e) || X509_supported_extension(e))
			continue;
		char oid[128];
		OBJ_obj2txt(oid, sizeof oid, X509_EXTENSION_get_object(e), 1);
		if (strncmp(oid, "1.2.840.113635.100.", 19) != 0)
			return 0;
	}
	X509_STORE_CTX_set_error(ctx, X509_V_OK);
	return 1;
}

static void
subject_field(X509 *x, int nid, char *out, size_t len)
{
	out[0] = '\0';
	X509_NAME *n = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(n, nid, -1);
	if (i < 0)
		return;
	ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
	unsigned char *u = NULL;
	int ul = ASN1_STRING_to_UTF8(&u, s);
	if (ul >= 0)
		snprintf(out, len, "%.*s", ul, (const char *)u);
	OPENSSL_free(u);
}

static int64_t
asn1_time_unix(const ASN1_TIME *t)
{
	struct tm tm;
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

/* Only attribute "oid" of the signed attributes; NULL when absent; -1 via
 * *dup when it appears twice. */
static X509_ATTRIBUTE *
signed_attr(CMS_SignerInfo *si, const char *oid, bool *dup)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	int i = CMS_signed_get_attr_by_OBJ(si, o, -1);
	*dup = i >= 0 && CMS_signed_get_attr_by_OBJ(si, o, i) >= 0;
	ASN1_OBJECT_free(o);
	return i >= 0 ? CMS_signed_get_attr(si, i) : NULL;
}

static int
cd_md_nid(uint8_t hash_type)
{
	switch (hash_type) {
	case MX_CS_HASHTYPE_SHA1: return NID_sha1;
	case MX_CS_HASHTYPE_SHA256:
	case MX_CS_HASHTYPE_SHA256_TRUNCATED: return NID_sha256;
	case MX_CS_HASHTYPE_SHA384: return NID_sha384;
	}
	return NID_undef;
}

/* v1: OCTET STRING holding an XML plist {cdhashes: [data]} = every CD's
 * digest truncated to 20 bytes, primary first.  Returns a reason or NULL. */
static const char *
check_agility_v1(X509_ATTRIBUTE *a, const cs_sig *sig, char *why, size_t wl)
{
	ASN1_TYPE *t = X509_ATTRIBUTE_count(a) == 1 ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
	if (t == NULL || t->type != V_ASN1_OCTET_STRING)
		return "hash agility v1 attribute is not one OCTET STRING";
	const ASN1_OCTET_STRING *os = t->value.octet_string;
	plist_t p = NULL;
	mx_err pe;
	mx_err_clear(&pe);
	if (ASN1_STRING_length(os) > 0 && ASN1_STRING_length(os) < (1 << 20))
		mx_plist_parse(&p, ASN1_STRING_get0_data(os), (size_t)ASN1_STRING_length(os),
		    "cdhashes", &pe);
	plist_t arr = p && plist_get_node_type(p) == PLIST_DICT ? plist_dict_get_item(p, "cdhashes")
	    : NULL;
	const char *r = NULL;
	if (arr == NULL || plist_get_node_type(arr) != PLIST_ARRAY) {
		r = "hash agility v1 attribute is not a plist with a cdhashes array";
	} else if (plist_array_get_size(arr) != (uint32_t)sig->ncd) {
		snprintf(why, wl, "hash agility v1 names %u CodeDirectories, the signature has %d",
		    plist_array_get_size(arr), sig->ncd);
		r = why;
	} else {
		for (int i = 0; i < sig->ncd && r == NULL; i++) {
			plist_t d = plist_array_get_item(arr, (uint32_t)i);
			uint64_t n = 0;
			const char *b = d && plist_get_node_type(d) == PLIST_DATA
			    ? plist_get_data_ptr(d, &n) : NULL;
			if (b == NULL || n != MX_CS_CDHASH_LEN
			    || memcmp(b, sig->cd[i].digest, MX_CS_CDHASH_LEN) != 0) {
				snprintf(why, wl, "hash agility v1 cdhash %d does not match the CodeDirectory "
				    "in slot 0x%x", i, sig->cd[i].slot);
				r = why;
			}
		}
	}
	plist_free(p);
	return r;
}

/* v2: each value SEQUENCE { OID hashAlg, OCTET STRING digest } ; the set must
 * equal the set of (hash, full digest) of the CDs present. */
static const char *
check_agility_v2(X509_ATTRIBUTE *a, const cs_sig *sig, char *why, size_t wl)
{
	int n = X509_ATTRIBUTE_count(a);
	bool used[CS_MAX_CD] = { false };
	if (n != sig->ncd) {
		snprintf(why, wl, "hash agility v2 names %d CodeDirectories, the signature has %d", n,
		    sig->ncd);
		return why;
	}
	for (int i = 0; i < n; i++) {
		ASN1_TYPE *t = X509_ATTRIBUTE_get0_type(a, i);
		if (t == NULL || t->type != V_ASN1_SEQUENCE)
			return "hash agility v2 value is not a SEQUENCE";
		const unsigned char *p = ASN1_STRING_get0_data(t->value.sequence);
		long len = ASN1_STRING_length(t->value.sequence), hl;
		int tag, cls;
		const unsigned char *end = p + len;
		if (ASN1_get_object(&p, &hl, &tag, &cls, len) & 0x80 || tag != V_ASN1_SEQUENCE
		    || p + hl != end)
			return "hash agility v2 value is not a SEQUENCE";
		ASN1_OBJECT *oid = d2i_ASN1_OBJECT(NULL, &p, end - p);
		ASN1_OCTET_STRING *dg = oid ? d2i_ASN1_OCTET_STRING(NULL, &p, end - p) : NULL;
		const char *r = NULL;
		if (oid == NULL || dg == NULL || p != end) {
			r = "hash agility v2 value is not {OID, OCTET STRING}";
		} else {
			int nid = OBJ_obj2nid(oid), hit = -1;
			for (int j = 0; j < sig->ncd && hit < 0; j++) {
				const cs_cd *cd = &sig->cd[j];
				if (!used[j] && cd_md_nid(cd->hash_type) == nid
				    && (unsigned)ASN1_STRING_length(dg) == cd->digest_len
				    && memcmp(ASN1_STRING_get0_data(dg), cd->digest, cd->digest_len) == 0)
					hit = j;
			}
			if (hit < 0) {
				snprintf(why, wl, "hash agility v2 value %d names no CodeDirectory present", i);
				r = why;
			} else {
				used[hit] = true;
			}
		}
		ASN1_OBJECT_free(oid);
		ASN1_OCTET_STRING_free(dg);
		if (r)
			return r;
	}
	return NULL;
}

/* genTime of the RFC 3161 token in the unsigned attributes, when its message
 * imprint is the hash of our SignerInfo's signature; 0 otherwise.  The
 * token's own signature is not verified (docs/codesign.md). */
static int64_t
timestamp_time(CMS_SignerInfo *si)
{
	ASN1_OBJECT *o = OBJ_txt2obj(MX_OID_TIMESTAMP_TOKEN, 1);
	int i = CMS_unsigned_get_attr_by_OBJ(si, o, -1);
	ASN1_OBJECT_free(o);
	if (i < 0)
		return 0;
	ASN1_TYPE *t = X509_ATTRIBUTE_get0_type(CMS_unsigned_get_attr(si, i), 0);
	if (t == NULL || t->type != V_ASN1_SEQUENCE)
		return 0;
	const unsigned char *p = ASN1_STRING_get0_data(t->value.sequence);
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, ASN1_STRING_length(t->value.sequence));
	TS_TST_INFO *tst = p7 ? PKCS7_to_TS_TST_INFO(p7) : NULL;
	int64_t when = 0;
	if (tst != NULL) {
		TS_MSG_IMPRINT *mi = TS_TST_INFO_get_msg_imprint(tst);
		const EVP_MD *md = EVP_get_digestbyobj(TS_MSG_IMPRINT_get_algo(mi)->algorithm);
		ASN1_OCTET_STRING *sigv = CMS_SignerInfo_get0_signature(si);
		ASN1_OCTET_STRING *want = TS_MSG_IMPRINT_get_msg(mi);
		uint8_t h[EVP_MAX_MD_SIZE];
		unsigned hl;
		if (md && sigv && EVP_Digest(ASN1_STRING_get0_data(sigv), (size_t)ASN1_STRING_length(sigv),
		    h, &hl, md, NULL) == 1 && (unsigned)ASN1_STRING_length(want) == hl
		    && memcmp(ASN1_STRING_get0_data(want), h, hl) == 0)
			when = asn1_time_unix(TS_TST_INFO_get_time(tst));
	}
	TS_TST_INFO_free(tst);
	PKCS7_free(p7);
	return when;
}

static int
load_anchor(X509_STORE *store, const char *path, int *n, mx_err *err)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: cannot open the trust anchor", path);
	X509 *x;
	*n = 0;
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		X509_STORE_add_cert(store, x);
		X509_free(x);
		(*n)++;
	}
	ERR_clear_error();
	fclose(f);
	if (*n == 0)
		return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: no PEM certificate in the trust anchor",
		    path);
	return 0;
}

/* Verifies leaf's chain in store at time when (0: validity periods are not
 * checked); expired certificates pass (verify_cb).  Returns the X509 error
 * (0 = ok) and, on success, a new reference to the chain in *chain. */
static int
build_chain(X509_STORE *store, X509 *leaf, STACK_OF(X509) *untrusted, int64_t when,
    STACK_OF(X509) **chain)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int e = X509_V_ERR_UNSPECIFIED;
	*chain = NULL;
	if (ctx && X509_STORE_CTX_init(ctx, store, leaf, untrusted) == 1) {
		if (when)
			X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)when);
		else
			X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx),
			    X509_V_FLAG_NO_CHECK_TIME);
		X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
		if (X509_verify_cert(ctx) == 1) {
			e = 0;
			*chain = X509_STORE_CTX_get1_chain(ctx);
		} else {
			e = X509_STORE_CTX_get_error(ctx);
			if (e == X509_V_OK)
				e = X509_V_ERR_UNSPECIFIED;
		}
	}
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return e;
}

static bool
no_anchor_error(int e)
{
	return e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
	    || e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT
	    || e == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN
	    || e == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT;
}

static void
iso(char *out, size_t len, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL)
		snprintf(out, len, "@%lld", (long long)t);
	else
		strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Records every certificate of chain whose notAfter is before the signing
 * time or before now (either 0 = unknown); with check_expiration the first
 * one makes the signature invalid, and the reason says which and when. */
static void
expired_facts(cs_cms_result *out, STACK_OF(X509) *chain, int64_t signed_at, int64_t now,
    bool check_expiration)
{
	for (int i = 0; i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);
		int64_t na = asn1_time_unix(X509_get0_notAfter(x));
		bool at_sign = signed_at && na < signed_at;
		if (!at_sign && !(now && na < now))
			continue;
		if (out->nexpired == MX_SIG_MAX_EXPIRED)
			break;
		mx_sig_expired *e = &out->expired[out->nexpired++];
		subject_field(x, NID_commonName, e->subject, sizeof e->subject);
		e->not_after = na;
		e->at_signing_time = at_sign;
	}
	if (check_expiration && out->nexpired > 0 && out->kind != MX_SIG_INVALID) {
		const mx_sig_expired *e = &out->expired[0];
		char na[32], at[32];
		iso(na, sizeof na, e->not_after);
		iso(at, sizeof at, e->at_signing_time ? signed_at : now);
		out->kind = MX_SIG_INVALID;
		REASON(out, "--check-expiration: the certificate \"%s\" expired on %s, before %s (%s)",
		    e->subject, na, e->at_signing_time ? "the signing time" : "now", at);
	}
}

/* A chain that reaches no trusted root (first_error is why) is "untrusted"
 * when it is sound on its own (verified with its own self-signed
 * certificates as anchors), else invalid for the first error found. */
static void
classify_unanchored(cs_cms_result *out, X509 *leaf, STACK_OF(X509) *certs, int64_t when,
    int first_error, int64_t now, bool check_expiration)
{
	X509_STORE *own = X509_STORE_new();
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);
		if (X509_check_issued(x, x) == X509_V_OK)
			X509_STORE_add_cert(own, x);
	}
	STACK_OF(X509) *chain = NULL;
	int e = build_chain(own, leaf, certs, when, &chain);
	if (e == 0 || (no_anchor_error(e) && no_anchor_error(first_error))) {
		out->kind = MX_SIG_UNTRUSTED;
		X509 *top = e == 0 ? sk_X509_value(chain, sk_X509_num(chain) - 1) : NULL;
		char cn[256] = "";
		if (top)
			subject_field(top, NID_commonName, cn, sizeof cn);
		REASON(out, "the certificate chain ends at %s%s%s, which is neither an Apple root nor a "
		    "configured trust anchor", top ? "\"" : "", top ? cn : "an unknown issuer",
		    top ? "\"" : "");
		if (chain)
			expired_facts(out, chain, out->signing_time, now, check_expiration);
	} else {
		out->kind = MX_SIG_INVALID;
		REASON(out, "certificate chain at the signing time: %s",
		    X509_verify_cert_error_string(no_anchor_error(first_error) ? e : first_error));
	}
	sk_X509_pop_free(chain, X509_free);
	X509_STORE_free(own);
}

static void
classify_chain(cs_cms_result *out, STACK_OF(X509) *chain)
{
	X509 *leaf = sk_X509_value(chain, 0);
	X509 *ca1 = sk_X509_num(chain) > 1 ? sk_X509_value(chain, 1) : NULL;
	bool devid_ca = ca1 && has_ext(ca1, MX_OID_CA_DEVID);
	bool app = has_ext(leaf, MX_OID_DEVID_APPLICATION);
	bool kext = has_ext(leaf, MX_OID_DEVID_KEXT);
	/* kernel-extensions.md §5.1: anchor apple generic and certificate 1[field.…6.2.6]
	 * and certificate leaf[field.…6.1.13] and certificate leaf[field.…6.1.18] */
	out->devid_requirement_met = devid_ca && app;
	out->kext_requirement_met = devid_ca && app && kext;
	if (has_ext(leaf, MX_OID_APPLE_SOFTWARE_SIGNING)) {
		out->kind = MX_SIG_APPLE;
	} else if (out->kext_requirement_met) {
		out->kind = MX_SIG_DEVELOPER_ID_KEXT;
	} else if (out->devid_requirement_met) {
		out->kind = MX_SIG_DEVELOPER_ID;
	} else {
		out->kind = MX_SIG_UNTRUSTED;
		REASON(out, "the chain reaches %s, but the leaf is not a Developer ID Application "
		    "certificate (%s) under a Developer ID CA (%s)", out->anchor_extra ?
		    "the configured trust anchor" : "an Apple root", MX_OID_DEVID_APPLICATION,
		    MX_OID_CA_DEVID);
	}
}

int
cs_cms_verify(cs_cms_result *out, const cs_sig *sig, const mx_trust *trust, mx_err *err)
{
	memset(out, 0, sizeof *out);
	out->kind = MX_SIG_INVALID;
	const unsigned char *p = sig->cms;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, sig->cms_len);
	X509_STORE *store = NULL;
	STACK_OF(X509) *certs = NULL, *signers = NULL, *chain = NULL, *roots = NULL, *inter = NULL;
	BIO *cd = NULL;
	int rc = 0;
	char why[256];
	if (cms == NULL) {
		REASON(out, "the CMS blob is not DER ContentInfo");
		goto done;
	}
	for (const unsigned char *q = p; q < sig->cms + sig->cms_len; q++)
		if (*q != 0) {
			REASON(out, "%ld bytes follow the CMS ContentInfo", (long)(sig->cms + sig->cms_len - p));
			goto done;
		}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed
	    || OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data || CMS_is_detached(cms) != 1) {
		REASON(out, "the CMS blob is not a detached SignedData over id-data");
		goto done;
	}
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	if (sk_CMS_SignerInfo_num(sis) != 1) {
		REASON(out, "the CMS blob has %d signers, expected 1", sk_CMS_SignerInfo_num(sis));
		goto done;
	}
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);
	/* 1. signature over the signed attributes, messageDigest over CD0 */
	/* A buffering filter over the memory BIO: OpenSSL 3.0's CMS_verify copies a
	 * bare memory BIO into a temporary one that it leaks when the SignerInfo
	 * names a digest it cannot set up (found by the macho fuzz target). */
	cd = BIO_push(BIO_new(BIO_f_buffer()), BIO_new_mem_buf(sig->cd[0].blob, (int)sig->cd[0].len));
	if (CMS_verify(cms, NULL, NULL, cd, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
		unsigned long e = ERR_peek_last_error();
		REASON(out, "the CMS signature over the CodeDirectory does not verify: %s",
		    e ? ERR_reason_error_string(e) : "unknown");
		goto done;
	}
	signers = CMS_get0_signers(cms);
	X509 *leaf = sk_X509_num(signers) == 1 ? sk_X509_value(signers, 0) : NULL;
	if (leaf == NULL) {
		REASON(out, "the CMS blob does not carry its signer's certificate");
		goto done;
	}
	/* 2. hash agility: every CD present, and no other */
	bool dup1, dup2;
	X509_ATTRIBUTE *v1 = signed_attr(si, MX_OID_CDHASHES_PLIST, &dup1);
	X509_ATTRIBUTE *v2 = signed_attr(si, MX_OID_CDHASHES_V2, &dup2);
	const char *bad = NULL;
	if (dup1 || dup2)
		bad = "a hash agility attribute appears twice";
	else if (v1 && (bad = check_agility_v1(v1, sig, why, sizeof why)) != NULL)
		;
	else if (v2 && (bad = check_agility_v2(v2, sig, why, sizeof why)) != NULL)
		;
	else if (!v1 && !v2 && sig->ncd > 1)
		bad = "the signature has alternate CodeDirectories but no hash agility attribute binds them";
	if (bad) {
		REASON(out, "%s", bad);
		goto done;
	}
	/* 3. the signing time */
	bool dupt;
	X509_ATTRIBUTE *st = signed_attr(si, MX_OID_SIGNING_TIME, &dupt);
	ASN1_TYPE *stv = st ? X509_ATTRIBUTE_get0_type(st, 0) : NULL;
	if (stv && (stv->type == V_ASN1_UTCTIME || stv->type == V_ASN1_GENERALIZEDTIME))
		out->signing_time = asn1_time_unix(stv->value.utctime);
	if (out->signing_time == 0)
		out->signing_time = timestamp_time(si);
	int64_t now = trust ? trust->now : 0;
	bool strict = trust && trust->check_expiration;
	int64_t when = out->signing_time ? out->signing_time : now;
	/* 4. identity */
	subject_field(leaf, NID_commonName, out->signer, sizeof out->signer);
	subject_field(leaf, NID_userId, out->team, sizeof out->team);
	if (out->team[0] == '\0')
		subject_field(leaf, NID_organizationalUnitName, out->team, sizeof out->team);
	/* 5. the chain */
	store = X509_STORE_new();
	roots = sk_X509_new_null();
	inter = sk_X509_new_null();
	cs_apple_certs(roots, inter);
	for (int i = 0; i < sk_X509_num(roots); i++)
		X509_STORE_add_cert(store, sk_X509_value(roots, i));
	int nextra = 0;
	if (trust && trust->extra_anchor_pem
	    && (rc = load_anchor(store, trust->extra_anchor_pem, &nextra, err)))
		goto done;
	certs = CMS_get1_certs(cms);
	if (certs == NULL)
		certs = sk_X509_new_null();
	for (int i = 0; i < sk_X509_num(inter); i++)
		sk_X509_push(certs, X509_dup(sk_X509_value(inter, i)));
	int e = build_chain(store, leaf, certs, when, &chain);
	if (e == 0) {
		out->anchor_extra = !cs_is_apple_root(sk_X509_value(chain, sk_X509_num(chain) - 1));
		classify_chain(out, chain);
		expired_facts(out, chain, out->signing_time, now, strict);
	} else {
		classify_unanchored(out, leaf, certs, when, e, now, strict);
	}
done:
	ERR_clear_error();
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(certs, X509_free);
	sk_X509_pop_free(roots, X509_free);
	sk_X509_pop_free(inter, X509_free);
	sk_X509_free(signers);
	X509_STORE_free(store);
	BIO_free_all(cd);
	CMS_ContentInfo_free(cms);
	return rc;
}
