/*
 * cs_sign.c — writes embedded code signatures (the forge side of
 * codesign*.c): a SuperBlob holding
 *
 *   slot 0       CodeDirectory (0xfade0c02), version 0x20400
 *   slot 2       requirements vector (0xfade0c01) with the designated requirement
 *   slot 5       XML entitlements (0xfade7171)          } when entitlements
 *   slot 7       DER entitlements (0xfade7172)          } are given
 *   slot 0x1000  alternate SHA-256 CodeDirectory        (sha1_primary only)
 *   slot 0x10000 CMS blob wrapper (0xfade0b01): DER ContentInfo(SignedData),
 *                detached, over the slot-0 CodeDirectory bytes; empty
 *                (length 8) when ad-hoc
 *
 * CodeDirectory v0x20400 layout (all big-endian): the 88-byte header
 * (formats-and-peers.md §1.6), the identifier, the team id, then the special
 * slot hashes (slot k at hashOffset - k*hashSize) and the code slot hashes
 * (page i at hashOffset + i*hashSize).  cdhash = H(CD bytes) truncated to 20.
 * CMS signed attributes: contentType, signingTime (unless no_signing_time:
 * OpenSSL always adds one, so it is removed and the attributes signed
 * again by hand, sorted as DER's SET OF wants), messageDigest
 * (SHA-256 of CD0), hash agility v1 (1.2.840.113635.100.9.1: an XML plist
 * {cdhashes: [truncated digest of each CD]}) and v2 (…9.2: one
 * SEQUENCE {hash OID, full digest} per CD) — §1.11.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "macext/cs_blobs.h"
#include "macext/forge.h"

/* ---- byte buffer ---- */

static void
reserve(mx_wbuf *b, size_t n)
{
	if (b->cap - b->len >= n)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->len < n)
		cap *= 2;
	b->p = mx_xrealloc(b->p, cap);
	b->cap = cap;
}

void
mx_wbuf_put(mx_wbuf *b, const void *data, size_t n)
{
	if (n == 0)
		return;
	reserve(b, n);
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

void mx_wbuf_u8(mx_wbuf *b, uint8_t v) { mx_wbuf_put(b, &v, 1); }

void
mx_wbuf_u32be(mx_wbuf *b, uint32_t v)
{
	uint8_t x[4];
	mx_put_u32be(x, v);
	mx_wbuf_put(b, x, 4);
}

void
mx_wbuf_u64be(mx_wbuf *b, uint64_t v)
{
	uint8_t x[8];
	mx_put_u64be(x, v);
	mx_wbuf_put(b, x, 8);
}

void
mx_wbuf_u32le(mx_wbuf *b, uint32_t v)
{
	uint8_t x[4];
	mx_put_u32le(x, v);
	mx_wbuf_put(b, x, 4);
}

void
mx_wbuf_u64le(mx_wbuf *b, uint64_t v)
{
	uint8_t x[8];
	mx_put_u64le(x, v);
	mx_wbuf_put(b, x, 8);
}

void
mx_wbuf_zero(mx_wbuf *b, size_t n)
{
	reserve(b, n);
	memset(b->p + b->len, 0, n);
	b->len += n;
}

void
mx_wbuf_free(mx_wbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

/* ---- hashes ---- */

static const EVP_MD *
hash_md(uint32_t type)
{
	return type == MX_CS_HASHTYPE_SHA1 ? EVP_sha1() : type == MX_CS_HASHTYPE_SHA384 ?
	    EVP_sha384() : EVP_sha256();
}

static size_t
hash_size(uint32_t type)
{
	return type == MX_CS_HASHTYPE_SHA1 ? MX_CS_SHA1_LEN : type == MX_CS_HASHTYPE_SHA384 ?
	    MX_CS_SHA384_LEN : type == MX_CS_HASHTYPE_SHA256_TRUNCATED ?
	    MX_CS_SHA256_TRUNCATED_LEN : MX_CS_SHA256_LEN;
}

static const char *
hash_oid(uint32_t type)
{
	return type == MX_CS_HASHTYPE_SHA1 ? MX_OID_SHA1 : type == MX_CS_HASHTYPE_SHA384 ?
	    MX_OID_SHA384 : MX_OID_SHA256;
}

static void
digest(uint32_t type, const uint8_t *p, size_t n, uint8_t *out)
{
	unsigned int len;
	EVP_Digest(p, n, out, &len, hash_md(type), NULL);
}

/* ---- requirements (§1.9): big-endian u32 opcodes, strings and data as
 * u32 length + bytes padded to 4 ---- */

enum { OP_AND = 6, OP_IDENT = 2, OP_APPLE_GENERIC_ANCHOR = 15, OP_CERT_FIELD = 11,
	OP_CERT_GENERIC = 14, MATCH_EXISTS = 0, MATCH_EQUAL = 1 };

static void
req_data(mx_wbuf *b, const void *p, size_t n)
{
	mx_wbuf_u32be(b, (uint32_t)n);
	mx_wbuf_put(b, p, n);
	mx_wbuf_zero(b, (4 - n % 4) % 4);
}

/* OID "1.2.840..." -> DER content octets (no tag/length). */
static size_t
oid_der(const char *dotted, uint8_t *out, size_t cap)
{
	unsigned long arcs[32];
	int n = 0;
	const char *s = dotted;
	while (*s && n < 32) {
		char *end;
		arcs[n++] = strtoul(s, &end, 10);
		s = *end == '.' ? end + 1 : end;
	}
	size_t len = 0;
	for (int i = 1; i < n; i++) {
		unsigned long v = i == 1 ? arcs[0] * 40 + arcs[1] : arcs[i];
		uint8_t tmp[10];
		int k = 0;
		do {
			tmp[k++] = (uint8_t)(v & 0x7f);
			v >>= 7;
		} while (v);
		while (k > 0 && len < cap) {
			k--;
			out[len++] = (uint8_t)(tmp[k] | (k ? 0x80 : 0));
		}
	}
	return len;
}

static void
req_cert_generic(mx_wbuf *b, int32_t cert, const char *oid)
{
	uint8_t der[64];
	size_t n = oid_der(oid, der, sizeof der);
	mx_wbuf_u32be(b, OP_CERT_GENERIC);
	mx_wbuf_u32be(b, (uint32_t)cert);
	req_data(b, der, n);
	mx_wbuf_u32be(b, MATCH_EXISTS);
}

void
mx_cs_requirements_devid(mx_wbuf *out, const char *ident, const char *team)
{
	size_t start = out->len;
	mx_wbuf_u32be(out, MX_CSMAGIC_REQUIREMENTS);
	mx_wbuf_u32be(out, 0);                  /* length, patched */
	if (team == NULL || team[0] == '\0') {
		mx_wbuf_u32be(out, 0);          /* count 0: ad-hoc */
		mx_put_u32be(out->p + start + 4, (uint32_t)(out->len - start));
		return;
	}
	mx_wbuf_u32be(out, 1);
	mx_wbuf_u32be(out, MX_CSREQ_DESIGNATED);
	mx_wbuf_u32be(out, 20);                 /* offset of the requirement in the vector */
	size_t rs = out->len;
	mx_wbuf_u32be(out, MX_CSMAGIC_REQUIREMENT);
	mx_wbuf_u32be(out, 0);
	mx_wbuf_u32be(out, MX_CSREQ_KIND_EXPR);
	/* left-associative: and(and(and(and(A, B), C), D), E) */
	for (int i = 0; i < 4; i++)
		mx_wbuf_u32be(out, OP_AND);
	mx_wbuf_u32be(out, OP_IDENT);
	req_data(out, ident, strlen(ident));
	mx_wbuf_u32be(out, OP_APPLE_GENERIC_ANCHOR);
	req_cert_generic(out, 1, MX_OID_CA_DEVID);
	req_cert_generic(out, 0, MX_OID_DEVID_APPLICATION);
	mx_wbuf_u32be(out, OP_CERT_FIELD);
	mx_wbuf_u32be(out, 0);
	req_data(out, "subject.OU", 10);
	mx_wbuf_u32be(out, MATCH_EQUAL);
	req_data(out, team, strlen(team));
	mx_put_u32be(out->p + rs + 4, (uint32_t)(out->len - rs));
	mx_put_u32be(out->p + start + 4, (uint32_t)(out->len - start));
}

void
mx_cs_requirements_devid_text(char *out, size_t len, const char *ident, const char *team)
{
	if (team == NULL || team[0] == '\0') {
		snprintf(out, len, "cdhash (ad-hoc: no designated requirement stored)");
		return;
	}
	snprintf(out, len, "identifier \"%s\" and anchor apple generic and certificate "
	    "1[field.%s] /* exists */ and certificate leaf[field.%s] /* exists */ and "
	    "certificate leaf[subject.OU] = \"%s\"", ident, MX_OID_CA_DEVID,
	    MX_OID_DEVID_APPLICATION, team);
}

/* ---- entitlements (§1.10) ---- */

int
mx_cs_entitlements_xml(mx_wbuf *out, plist_t dict, mx_err *err)
{
	if (dict == NULL || plist_get_node_type(dict) != PLIST_DICT)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "entitlements: expected a dictionary");
	char *xml = NULL;
	uint32_t n = 0;
	plist_to_xml(dict, &xml, &n);
	if (xml == NULL)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "entitlements: cannot serialise");
	mx_wbuf_u32be(out, MX_CSMAGIC_EMBEDDED_ENTITLEMENTS);
	mx_wbuf_u32be(out, 8 + n);
	mx_wbuf_put(out, xml, n);
	free(xml);
	return 0;
}

static void
der_len(mx_wbuf *b, size_t n)
{
	if (n < 0x80) {
		mx_wbuf_u8(b, (uint8_t)n);
		return;
	}
	uint8_t tmp[8];
	int k = 0;
	while (n) {
		tmp[k++] = (uint8_t)(n & 0xff);
		n >>= 8;
	}
	mx_wbuf_u8(b, (uint8_t)(0x80 | k));
	while (k > 0)
		mx_wbuf_u8(b, tmp[--k]);
}

static void
der_tlv(mx_wbuf *b, uint8_t tag, const void *p, size_t n)
{
	mx_wbuf_u8(b, tag);
	der_len(b, n);
	mx_wbuf_put(b, p, n);
}

static int der_value(mx_wbuf *b, plist_t v, const char *path, int depth, mx_err *err);

struct kv { const char *key; plist_t val; };

static int
by_key(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->key, ((const struct kv *)b)->key);
}

static int
der_dict(mx_wbuf *b, plist_t d, const char *path, int depth, mx_err *err)
{
	uint32_t n = plist_dict_get_size(d);
	struct kv *kv = mx_xcalloc(n ? n : 1, sizeof *kv);
	plist_dict_iter it = NULL;
	plist_dict_new_iter(d, &it);
	uint32_t k = 0;
	for (;;) {
		char *key = NULL;
		plist_t val = NULL;
		plist_dict_next_item(d, it, &key, &val);
		if (key == NULL)
			break;
		if (k < n) {
			kv[k].key = key;
			kv[k].val = val;
			k++;
		} else {
			free(key);
		}
	}
	free(it);
	qsort(kv, k, sizeof *kv, by_key);
	mx_wbuf body = { 0 };
	int rc = 0;
	for (uint32_t i = 0; i < k && rc == 0; i++) {
		mx_wbuf pair = { 0 };
		char sub[256];
		snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", kv[i].key);
		der_tlv(&pair, 0x0c, kv[i].key, strlen(kv[i].key));
		rc = der_value(&pair, kv[i].val, sub, depth + 1, err);
		if (rc == 0)
			der_tlv(&body, 0x30, pair.p, pair.len);
		mx_wbuf_free(&pair);
	}
	if (rc == 0)
		der_tlv(b, 0xb0, body.p, body.len);   /* [CONTEXT 16] constructed */
	mx_wbuf_free(&body);
	for (uint32_t i = 0; i < k; i++)
		free((char *)kv[i].key);
	free(kv);
	return rc;
}

static int
der_value(mx_wbuf *b, plist_t v, const char *path, int depth, mx_err *err)
{
	if (depth > 32)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "entitlements: %s: nested too deep",
		    path);
	switch (plist_get_node_type(v)) {
	case PLIST_BOOLEAN: {
		uint8_t bv = 0;
		plist_get_bool_val(v, &bv);
		uint8_t x = bv ? 0xff : 0x00;
		der_tlv(b, 0x01, &x, 1);
		return 0;
	}
	case PLIST_UINT: {
		/* libplist 2.2 keeps negative integers as two's complement in the
		 * u64; entitlements never hold values >= 2^63, so read it signed */
		uint64_t u = 0;
		plist_get_uint_val(v, &u);
		int64_t sv = (int64_t)u;
		uint8_t be[8];
		for (int i = 0; i < 8; i++)
			be[i] = (uint8_t)((uint64_t)sv >> (56 - 8 * i));
		int k = 0;    /* minimal two's complement: drop redundant sign bytes */
		while (k < 7 && ((be[k] == 0x00 && !(be[k + 1] & 0x80)) ||
		    (be[k] == 0xff && (be[k + 1] & 0x80))))
			k++;
		der_tlv(b, 0x02, be + k, (size_t)(8 - k));
		return 0;
	}
	case PLIST_STRING: {
		char *s = NULL;
		plist_get_string_val(v, &s);
		der_tlv(b, 0x0c, s ? s : "", s ? strlen(s) : 0);
		free(s);
		return 0;
	}
	case PLIST_ARRAY: {
		mx_wbuf body = { 0 };
		int rc = 0;
		uint32_t n = plist_array_get_size(v);
		for (uint32_t i = 0; i < n && rc == 0; i++) {
			char sub[256];
			snprintf(sub, sizeof sub, "%s[%u]", path, i);
			rc = der_value(&body, plist_array_get_item(v, i), sub, depth + 1, err);
		}
		if (rc == 0)
			der_tlv(b, 0x30, body.p, body.len);
		mx_wbuf_free(&body);
		return rc;
	}
	case PLIST_DICT:
		return der_dict(b, v, path, depth, err);
	default:
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "entitlements: %s: only booleans,"
		    " integers, strings, arrays and dictionaries have a DER form", path);
	}
}

int
mx_cs_entitlements_der(mx_wbuf *out, plist_t dict, mx_err *err)
{
	if (dict == NULL || plist_get_node_type(dict) != PLIST_DICT)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "entitlements: expected a dictionary");
	mx_wbuf body = { 0 }, app = { 0 };
	static const uint8_t one = 1;
	der_tlv(&body, 0x02, &one, 1);
	int rc = der_dict(&body, dict, "", 0, err);
	if (rc == 0) {
		der_tlv(&app, 0x70, body.p, body.len);    /* [APPLICATION 16] constructed */
		mx_wbuf_u32be(out, MX_CSMAGIC_EMBEDDED_DER_ENTITLEMENTS);
		mx_wbuf_u32be(out, (uint32_t)(8 + app.len));
		mx_wbuf_put(out, app.p, app.len);
	}
	mx_wbuf_free(&body);
	mx_wbuf_free(&app);
	return rc;
}

/* ---- CodeDirectory ---- */

static size_t
cd_size(const mx_cs_params *p, uint32_t type, size_t nspecial, size_t ncode)
{
	size_t team = p->team_id && p->team_id[0] ? strlen(p->team_id) + 1 : 0;
	return MX_CS_CD_SIZE_20400 + strlen(p->identifier) + 1 + team +
	    (nspecial + ncode) * hash_size(type);
}

/* special[k] (k = 1..7): the slot's hash input, or NULL (zeros). */
struct special { const uint8_t *p; size_t n; };

static void
cd_write(mx_wbuf *b, const mx_cs_params *p, uint32_t type, const uint8_t *code,
    size_t code_limit, const struct special sp[8], uint32_t nspecial)
{
	size_t hs = hash_size(type);
	size_t page = (size_t)1 << p->page_shift;
	uint32_t ncode = (uint32_t)((code_limit + page - 1) / page);
	bool team = p->team_id && p->team_id[0];
	uint32_t ident_off = MX_CS_CD_SIZE_20400;
	uint32_t team_off = team ? ident_off + (uint32_t)strlen(p->identifier) + 1 : 0;
	uint32_t strings_end = team ? team_off + (uint32_t)strlen(p->team_id) + 1 :
	    ident_off + (uint32_t)strlen(p->identifier) + 1;
	uint32_t hash_off = strings_end + nspecial * (uint32_t)hs;
	uint32_t len = hash_off + ncode * (uint32_t)hs;
	uint32_t flags = p->cd_flags | (p->adhoc ? MX_CS_ADHOC : 0);

	mx_wbuf_u32be(b, MX_CSMAGIC_CODEDIRECTORY);
	mx_wbuf_u32be(b, len);
	mx_wbuf_u32be(b, MX_CS_SUPPORTSEXECSEG);
	mx_wbuf_u32be(b, flags);
	mx_wbuf_u32be(b, hash_off);
	mx_wbuf_u32be(b, ident_off);
	mx_wbuf_u32be(b, nspecial);
	mx_wbuf_u32be(b, ncode);
	mx_wbuf_u32be(b, (uint32_t)code_limit);
	mx_wbuf_u8(b, (uint8_t)hs);
	mx_wbuf_u8(b, (uint8_t)type);
	mx_wbuf_u8(b, 0);                        /* platform: not a platform binary */
	mx_wbuf_u8(b, (uint8_t)p->page_shift);
	mx_wbuf_u32be(b, 0);                     /* spare2 */
	mx_wbuf_u32be(b, 0);                     /* scatterOffset */
	mx_wbuf_u32be(b, team_off);
	mx_wbuf_u32be(b, 0);                     /* spare3 */
	mx_wbuf_u64be(b, 0);                     /* codeLimit64: code_limit fits 32 bits */
	mx_wbuf_u64be(b, p->exec_seg_base);
	mx_wbuf_u64be(b, p->exec_seg_limit);
	mx_wbuf_u64be(b, p->exec_seg_flags);
	mx_wbuf_put(b, p->identifier, strlen(p->identifier) + 1);
	if (team)
		mx_wbuf_put(b, p->team_id, strlen(p->team_id) + 1);
	uint8_t h[EVP_MAX_MD_SIZE];
	for (uint32_t k = nspecial; k >= 1; k--) {
		if (sp[k].p) {
			digest(type, sp[k].p, sp[k].n, h);
			mx_wbuf_put(b, h, hs);
		} else {
			mx_wbuf_zero(b, hs);
		}
	}
	for (uint32_t i = 0; i < ncode; i++) {
		size_t start = (size_t)i * page;
		size_t end = start + page < code_limit ? start + page : code_limit;
		digest(type, code + start, end - start, h);
		mx_wbuf_put(b, h, hs);
	}
}

/* ---- CMS (§1.11) ---- */

static int
ossl_fail(mx_err *err, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";
	if (e)
		ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return MX_FAIL(err, MX_ESIGNATURE, MX_NO_OFFSET, "CMS: %s failed%s%s", what,
	    buf[0] ? ": " : "", buf);
}

/* v1 plist {cdhashes: [<20-byte data>...]} */
static char *
agility_v1(const mx_cs_result *r, uint32_t *len)
{
	plist_t d = plist_new_dict(), a = plist_new_array();
	for (int i = 0; i < r->ncd; i++)
		plist_array_append_item(a, plist_new_data((const char *)r->cd[i].digest,
		    MX_CS_CDHASH_LEN));
	plist_dict_set_item(d, "cdhashes", a);
	char *xml = NULL;
	plist_to_xml(d, &xml, len);
	plist_free(d);
	return xml;
}

static int
der_cmp(const void *a, const void *b)
{
	const mx_wbuf *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->p, y->p, n);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Drops signingTime from si's signed attributes and signs the rest again
 * with key: the signature is over DER SET OF the attributes, sorted. */
static int
resign_without_time(CMS_SignerInfo *si, EVP_PKEY *key, mx_err *err)
{
	int loc = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	if (loc >= 0)
		X509_ATTRIBUTE_free(CMS_signed_delete_attr(si, loc));
	int n = CMS_signed_get_attr_count(si);
	if (n <= 0 || n > 16)
		return MX_FAIL(err, MX_ESIGNATURE, MX_NO_OFFSET, "CMS: %d signed attributes", n);
	mx_wbuf enc[16], set = { 0 };
	memset(enc, 0, sizeof enc);
	size_t total = 0;
	for (int i = 0; i < n; i++) {
		uint8_t *d = NULL;
		int l = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i), &d);
		if (l > 0)
			mx_wbuf_put(&enc[i], d, (size_t)l);
		OPENSSL_free(d);
		total += enc[i].len;
	}
	qsort(enc, (size_t)n, sizeof enc[0], der_cmp);
	mx_wbuf body = { 0 };
	for (int i = 0; i < n; i++)
		mx_wbuf_put(&body, enc[i].p, enc[i].len);
	der_tlv(&set, 0x31, body.p, body.len);
	uint8_t sig[1024];
	size_t sl = sizeof sig;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && total == body.len && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1
	    && EVP_DigestSign(md, sig, &sl, set.p, set.len) == 1
	    && ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig, (int)sl) == 1;
	EVP_MD_CTX_free(md);
	for (int i = 0; i < n; i++)
		mx_wbuf_free(&enc[i]);
	mx_wbuf_free(&body);
	mx_wbuf_free(&set);
	return ok ? 0 : ossl_fail(err, "signing without signingTime");
}

static int
cms_sign(mx_wbuf *out, const uint8_t *cd0, size_t cd0_len, const mx_cs_result *r,
    const mx_cs_params *p, mx_err *err)
{
	const mx_cs_identity *id = p->id;
	if (id == NULL || id->key == NULL || id->leaf == NULL)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "signing needs a key and certificate");
	unsigned fl = CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP | CMS_PARTIAL;
	int rc = 0;
	BIO *in = NULL;
	ASN1_TIME *t = NULL;
	X509_ATTRIBUTE *v2 = NULL;
	uint8_t *der = NULL;
	char *xml = NULL;
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, fl);
	if (cms == NULL)
		return ossl_fail(err, "CMS_sign");
	CMS_SignerInfo *si = CMS_add1_signer(cms, id->leaf, id->key, EVP_sha256(), fl);
	if (si == NULL) {
		rc = ossl_fail(err, "adding the signer");
		goto out;
	}
	for (int i = 0; i < 4 && id->chain[i]; i++)
		if (!CMS_add1_cert(cms, id->chain[i])) {
			rc = ossl_fail(err, "adding a certificate");
			goto out;
		}
	t = ASN1_TIME_set(NULL, (time_t)p->signing_time);
	if (t == NULL || !CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, t->type, t, -1)) {
		rc = ossl_fail(err, "signingTime");
		goto out;
	}
	uint32_t xlen = 0;
	xml = agility_v1(r, &xlen);
	ASN1_OBJECT *o1 = OBJ_txt2obj(MX_OID_CDHASHES_PLIST, 1);
	int ok = o1 && CMS_signed_add1_attr_by_OBJ(si, o1, V_ASN1_OCTET_STRING, xml, (int)xlen);
	ASN1_OBJECT_free(o1);
	if (!ok) {
		rc = ossl_fail(err, "hash agility v1 attribute");
		goto out;
	}
	ASN1_OBJECT *o2 = OBJ_txt2obj(MX_OID_CDHASHES_V2, 1);
	for (int i = 0; i < r->ncd && o2; i++) {
		/* SEQUENCE { OBJECT IDENTIFIER hashAlg, OCTET STRING digest } */
		mx_wbuf seq = { 0 }, body = { 0 };
		uint8_t od[32];
		size_t on = oid_der(hash_oid(r->cd[i].hash_type), od, sizeof od);
		der_tlv(&body, 0x06, od, on);
		der_tlv(&body, 0x04, r->cd[i].digest, r->cd[i].len);
		der_tlv(&seq, 0x30, body.p, body.len);
		if (v2 == NULL)
			v2 = X509_ATTRIBUTE_create_by_OBJ(NULL, o2, V_ASN1_SEQUENCE, seq.p, (int)seq.len);
		else if (!X509_ATTRIBUTE_set1_data(v2, V_ASN1_SEQUENCE, seq.p, (int)seq.len))
			ok = 0;
		mx_wbuf_free(&seq);
		mx_wbuf_free(&body);
	}
	ASN1_OBJECT_free(o2);
	if (v2 == NULL || !ok || !CMS_signed_add1_attr(si, v2)) {
		rc = ossl_fail(err, "hash agility v2 attribute");
		goto out;
	}
	in = BIO_new_mem_buf(cd0, (int)cd0_len);
	if (in == NULL || !CMS_final(cms, in, NULL, fl & ~CMS_PARTIAL)) {
		rc = ossl_fail(err, "signing");
		goto out;
	}
	if (p->no_signing_time && (rc = resign_without_time(si, id->key, err)))
		goto out;
	int n = i2d_CMS_ContentInfo(cms, &der);
	if (n <= 0) {
		rc = ossl_fail(err, "encoding");
		goto out;
	}
	mx_wbuf_u32be(out, MX_CSMAGIC_BLOBWRAPPER);
	mx_wbuf_u32be(out, (uint32_t)(8 + n));
	mx_wbuf_put(out, der, (size_t)n);
out:
	OPENSSL_free(der);
	free(xml);
	X509_ATTRIBUTE_free(v2);
	ASN1_TIME_free(t);
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	return rc;
}

/* ---- the SuperBlob ---- */

static size_t
cert_len(X509 *x)
{
	int n = x ? i2d_X509(x, NULL) : 0;
	return n > 0 ? (size_t)n : 0;
}

/* Blobs every signature holds besides the CDs and the CMS. */
struct parts {
	mx_wbuf reqs, ents, ders;
	struct special sp[8];
	uint32_t nspecial;
};

static int
parts_build(struct parts *pt, const mx_cs_params *p, mx_err *err)
{
	memset(pt, 0, sizeof *pt);
	if (p->requirements)
		mx_wbuf_put(&pt->reqs, p->requirements, p->req_len);
	else
		mx_cs_requirements_devid(&pt->reqs, p->identifier, p->adhoc ? NULL : p->team_id);
	int rc;
	if (p->entitlements && ((rc = mx_cs_entitlements_xml(&pt->ents, p->entitlements, err)) ||
	    (rc = mx_cs_entitlements_der(&pt->ders, p->entitlements, err))))
		return rc;
	pt->sp[MX_CSSLOT_INFOSLOT] = (struct special){ p->info_plist, p->info_len };
	pt->sp[MX_CSSLOT_REQUIREMENTS] = (struct special){ pt->reqs.p, pt->reqs.len };
	pt->sp[MX_CSSLOT_RESOURCEDIR] = (struct special){ p->resources, p->resources_len };
	if (p->entitlements) {
		pt->sp[MX_CSSLOT_ENTITLEMENTS] = (struct special){ pt->ents.p, pt->ents.len };
		pt->sp[MX_CSSLOT_DER_ENTITLEMENTS] = (struct special){ pt->ders.p, pt->ders.len };
		pt->nspecial = MX_CSSLOT_DER_ENTITLEMENTS;
	} else {
		pt->nspecial = MX_CSSLOT_RESOURCEDIR;
	}
	return 0;
}

static void
parts_free(struct parts *pt)
{
	mx_wbuf_free(&pt->reqs);
	mx_wbuf_free(&pt->ents);
	mx_wbuf_free(&pt->ders);
}

size_t
mx_cs_reserve(const mx_cs_params *p, size_t code_limit)
{
	struct parts pt;
	size_t page = (size_t)1 << p->page_shift;
	size_t ncode = (code_limit + page - 1) / page;
	size_t total = MX_CS_SUPERBLOB_HEADER_SIZE + 6 * MX_CS_BLOBINDEX_SIZE;
	if (parts_build(&pt, p, NULL) == 0)
		total += pt.reqs.len + pt.ents.len + pt.ders.len;
	else
		total += 1u << 16;                 /* mx_cs_sign will report the error */
	parts_free(&pt);
	total += cd_size(p, MX_CS_HASHTYPE_SHA256, 7, ncode);
	if (p->sha1_primary)
		total += cd_size(p, MX_CS_HASHTYPE_SHA1, 7, ncode);
	total += 8;
	if (!p->adhoc && p->id) {
		/* certificates + signer info: attributes (~600 bytes), the signature
		 * (key size), names and serials repeated from the leaf */
		total += cert_len(p->id->leaf) * 2 + 4096;
		for (int i = 0; i < 4 && p->id->chain[i]; i++)
			total += cert_len(p->id->chain[i]);
	}
	return (total + 15) & ~(size_t)15;
}

static void
cd_result(mx_cs_result *r, int i, uint32_t type, const uint8_t *cd, size_t n)
{
	r->cd[i].hash_type = type;
	r->cd[i].len = EVP_MD_get_size(hash_md(type));
	digest(type, cd, n, r->cd[i].digest);
	r->ncd = i + 1;
}

static int
build(mx_wbuf *cd0, mx_wbuf *cd1, struct parts *pt, const uint8_t *code, size_t code_limit,
    const mx_cs_params *p, mx_cs_result *r, mx_err *err)
{
	memset(pt, 0, sizeof *pt);
	if (p->identifier == NULL || p->identifier[0] == '\0')
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "signing needs an identifier");
	if (p->page_shift != MX_CS_PAGE_SHIFT_4K && p->page_shift != MX_CS_PAGE_SHIFT_16K)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "page shift %u: expected 12 or 14",
		    p->page_shift);
	if (code_limit > UINT32_MAX)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "code over 4 GiB");
	int rc = parts_build(pt, p, err);
	if (rc)
		return rc;
	memset(r, 0, sizeof *r);
	uint32_t t0 = p->sha1_primary ? MX_CS_HASHTYPE_SHA1 : MX_CS_HASHTYPE_SHA256;
	cd_write(cd0, p, t0, code, code_limit, pt->sp, pt->nspecial);
	cd_result(r, 0, t0, cd0->p, cd0->len);
	if (p->sha1_primary) {
		cd_write(cd1, p, MX_CS_HASHTYPE_SHA256, code, code_limit, pt->sp, pt->nspecial);
		cd_result(r, 1, MX_CS_HASHTYPE_SHA256, cd1->p, cd1->len);
	}
	/* effective cdhash: the strongest hash type (SHA-256 here), truncated */
	memcpy(r->cdhash, r->cd[r->ncd - 1].digest, MX_CS_CDHASH_LEN);
	r->page_size = 1u << p->page_shift;
	r->code_limit = (uint32_t)code_limit;
	r->n_code_slots = (uint32_t)((code_limit + r->page_size - 1) / r->page_size);
	return 0;
}

struct slotblob { uint32_t slot; const mx_wbuf *b; };

int
mx_cs_sign(mx_wbuf *out, const uint8_t *code, size_t code_limit, const mx_cs_params *p,
    mx_cs_result *res, mx_err *err)
{
	mx_cs_result r;
	struct parts pt;
	mx_wbuf cd0 = { 0 }, cd1 = { 0 }, cms = { 0 };
	int rc = build(&cd0, &cd1, &pt, code, code_limit, p, &r, err);
	if (rc == 0) {
		if (p->adhoc) {
			mx_wbuf_u32be(&cms, MX_CSMAGIC_BLOBWRAPPER);
			mx_wbuf_u32be(&cms, 8);
		} else {
			rc = cms_sign(&cms, cd0.p, cd0.len, &r, p, err);
		}
	}
	if (rc == 0) {
		struct slotblob blobs[6];
		int n = 0;
		blobs[n++] = (struct slotblob){ MX_CSSLOT_CODEDIRECTORY, &cd0 };
		blobs[n++] = (struct slotblob){ MX_CSSLOT_REQUIREMENTS, &pt.reqs };
		if (p->entitlements) {
			blobs[n++] = (struct slotblob){ MX_CSSLOT_ENTITLEMENTS, &pt.ents };
			blobs[n++] = (struct slotblob){ MX_CSSLOT_DER_ENTITLEMENTS, &pt.ders };
		}
		if (p->sha1_primary)
			blobs[n++] = (struct slotblob){ MX_CSSLOT_ALTERNATE_CODEDIRECTORIES, &cd1 };
		blobs[n++] = (struct slotblob){ MX_CSSLOT_SIGNATURESLOT, &cms };
		size_t start = out->len;
		uint32_t off = MX_CS_SUPERBLOB_HEADER_SIZE + (uint32_t)n * MX_CS_BLOBINDEX_SIZE;
		mx_wbuf_u32be(out, MX_CSMAGIC_EMBEDDED_SIGNATURE);
		mx_wbuf_u32be(out, 0);
		mx_wbuf_u32be(out, (uint32_t)n);
		for (int i = 0; i < n; i++) {
			mx_wbuf_u32be(out, blobs[i].slot);
			mx_wbuf_u32be(out, off);
			off += (uint32_t)blobs[i].b->len;
		}
		for (int i = 0; i < n; i++)
			mx_wbuf_put(out, blobs[i].b->p, blobs[i].b->len);
		mx_put_u32be(out->p + start + 4, (uint32_t)(out->len - start));
		r.sig_len = out->len - start;
		if (res)
			*res = r;
	}
	parts_free(&pt);
	mx_wbuf_free(&cd0);
	mx_wbuf_free(&cd1);
	mx_wbuf_free(&cms);
	return rc;
}

int
mx_cs_sign_detached(mx_wbuf *cd, mx_wbuf *reqs, mx_wbuf *cms, const mx_cs_params *p,
    mx_cs_result *res, mx_err *err)
{
	mx_cs_result r;
	struct parts pt;
	mx_wbuf cd1 = { 0 };
	mx_cs_params q = *p;
	q.sha1_primary = false;             /* one CodeDirectory file */
	int rc = build(cd, &cd1, &pt, NULL, 0, &q, &r, err);
	if (rc == 0) {
		mx_wbuf_put(reqs, pt.reqs.p, pt.reqs.len);
		if (q.adhoc) {
			mx_wbuf_u32be(cms, MX_CSMAGIC_BLOBWRAPPER);
			mx_wbuf_u32be(cms, 8);
		} else {
			rc = cms_sign(cms, cd->p, cd->len, &r, &q, err);
		}
	}
	if (rc == 0 && res)
		*res = r;
	parts_free(&pt);
	mx_wbuf_free(&cd1);
	return rc;
}
