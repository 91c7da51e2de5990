/*
 * cs_build.c — test-only writer of thin/fat Mach-O files with embedded code
 * signatures (ad hoc or CMS with hash agility) and a throwaway PKI.  Layout:
 *   mach_header_64 | __TEXT | __LINKEDIT | LC_UUID | LC_CODE_SIGNATURE | code ...
 *   | SuperBlob at dataoff = code_size (covered bytes = [0, code_size)).
 * CodeDirectory: header (by version), identifier, team, 5 special slots,
 * one hash per 4 KiB page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <plist/plist.h>

#include "cs_build.h"
#include "macext/cs_blobs.h"
#include "macext/rd.h"

#define NSPECIAL 5

static void
die(const char *what)
{
	fprintf(stderr, "cs_build: %s\n", what);
	abort();
}

void
tb_defaults(tb_opts *o)
{
	memset(o, 0, sizeof *o);
	o->cputype = MX_CPU_TYPE_X86_64;
	o->cpusubtype = MX_CPU_SUBTYPE_X86_64_ALL;
	o->filetype = MX_MH_EXECUTE;
	o->code_size = 3 * 4096 + 100;
	o->nhash = 1;
	o->hash[0] = MX_CS_HASHTYPE_SHA256;
	o->cd_version = 0x20400;
	o->identifier = "com.example.test";
	o->adhoc = true;
	o->agility = 3;
}

static const EVP_MD *
md_of(uint8_t t)
{
	return t == MX_CS_HASHTYPE_SHA1 ? EVP_sha1() : t == MX_CS_HASHTYPE_SHA384 ? EVP_sha384()
	    : EVP_sha256();
}

static unsigned
size_of(uint8_t t)
{
	return t == MX_CS_HASHTYPE_SHA1 ? 20 : t == MX_CS_HASHTYPE_SHA256_TRUNCATED ? 20
	    : t == MX_CS_HASHTYPE_SHA384 ? 48 : 32;
}

static void
hash(uint8_t t, const void *p, size_t n, uint8_t *out)
{
	unsigned l;
	if (EVP_Digest(p, n, out, &l, md_of(t), NULL) != 1)
		die("digest");
}

/* Builds one CodeDirectory into a malloc'd blob. */
static uint8_t *
build_cd(size_t *outlen, const tb_opts *o, uint8_t ht, const uint8_t *code, size_t code_size,
    const uint8_t *req, size_t reqlen, const uint8_t *ent, size_t entlen)
{
	unsigned hs = size_of(ht);
	size_t hdr = o->cd_version >= 0x20400 ? 88 : o->cd_version >= 0x20200 ? 52 : 48;
	size_t il = strlen(o->identifier) + 1, tl = o->team ? strlen(o->team) + 1 : 0;
	uint32_t npages = (uint32_t)((code_size + 4095) / 4096);
	size_t hoff = hdr + il + tl + NSPECIAL * hs;
	size_t len = hoff + (size_t)npages * hs;
	uint8_t *b = calloc(1, len);
	mx_put_u32be(b, MX_CSMAGIC_CODEDIRECTORY);
	mx_put_u32be(b + 4, (uint32_t)len);
	mx_put_u32be(b + 8, o->cd_version);
	mx_put_u32be(b + 12, o->adhoc ? MX_CS_ADHOC : 0);
	mx_put_u32be(b + 16, (uint32_t)hoff);
	mx_put_u32be(b + 20, (uint32_t)hdr);
	mx_put_u32be(b + 24, NSPECIAL);
	mx_put_u32be(b + 28, npages);
	mx_put_u32be(b + 32, (uint32_t)code_size);
	b[36] = (uint8_t)hs;
	b[37] = ht;
	b[39] = 12;
	if (o->cd_version >= 0x20200 && o->team)
		mx_put_u32be(b + 48, (uint32_t)(hdr + il));
	if (o->cd_version >= 0x20400) {
		mx_put_u64be(b + 72, code_size);
		mx_put_u64be(b + 80, MX_CS_EXECSEG_MAIN_BINARY);
	}
	memcpy(b + hdr, o->identifier, il);
	if (tl)
		memcpy(b + hdr + il, o->team, tl);
	uint8_t h[64];
	if (o->info) {
		hash(ht, o->info, o->info_len, h);
		memcpy(b + hoff - 1 * hs, h, hs);
	}
	hash(ht, req, reqlen, h);
	memcpy(b + hoff - 2 * hs, h, hs);
	if (ent) {
		hash(ht, ent, entlen, h);
		memcpy(b + hoff - 5 * hs, h, hs);
	}
	for (uint32_t i = 0; i < npages; i++) {
		size_t s = (size_t)i * 4096, e = s + 4096 < code_size ? s + 4096 : code_size;
		hash(ht, code + s, e - s, h);
		memcpy(b + hoff + (size_t)i * hs, h, hs);
	}
	*outlen = len;
	return b;
}

static const uint8_t oid_sha1[] = { 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a };
static const uint8_t oid_sha256[] = { 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01 };

static void
add_agility(CMS_SignerInfo *si, const tb_opts *o, uint8_t *const *cds, const size_t *cdl, int n)
{
	if (o->agility & 1) {
		plist_t d = plist_new_dict(), a = plist_new_array();
		for (int i = 0; i < n + (o->agility_extra ? 1 : 0); i++) {
			uint8_t h[64] = { 0x42 };
			if (i < n)
				hash(o->hash[i], cds[i], cdl[i], h);
			plist_array_append_item(a, plist_new_data((const char *)h, 20));
		}
		plist_dict_set_item(d, "cdhashes", a);
		char *xml = NULL;
		uint32_t xl = 0;
		plist_to_xml(d, &xml, &xl);
		if (CMS_signed_add1_attr_by_txt(si, MX_OID_CDHASHES_PLIST, V_ASN1_OCTET_STRING, xml,
		    (int)xl) != 1)
			die("agility v1");
		free(xml);
		plist_free(d);
	}
	if (o->agility & 2) {
		X509_ATTRIBUTE *attr = NULL;
		for (int i = 0; i < n + (o->agility_extra ? 1 : 0); i++) {
			uint8_t ht = i < n ? o->hash[i] : MX_CS_HASHTYPE_SHA256;
			unsigned fl = ht == MX_CS_HASHTYPE_SHA1 ? 20 : 32;
			uint8_t h[64] = { 0x42 }, der[96];
			if (i < n)
				hash(ht, cds[i], cdl[i], h);
			const uint8_t *oid = ht == MX_CS_HASHTYPE_SHA1 ? oid_sha1 : oid_sha256;
			size_t ol = ht == MX_CS_HASHTYPE_SHA1 ? sizeof oid_sha1 : sizeof oid_sha256;
			der[0] = 0x30;
			der[1] = (uint8_t)(ol + 2 + fl);
			memcpy(der + 2, oid, ol);
			der[2 + ol] = 0x04;
			der[3 + ol] = (uint8_t)fl;
			memcpy(der + 4 + ol, h, fl);
			ASN1_STRING *s = ASN1_STRING_new();
			ASN1_STRING_set(s, der, (int)(4 + ol + fl));
			if (attr == NULL)
				attr = X509_ATTRIBUTE_create_by_txt(NULL, MX_OID_CDHASHES_V2, V_ASN1_SEQUENCE,
				    (const unsigned char *)s, -1);
			else
				X509_ATTRIBUTE_set1_data(attr, V_ASN1_SEQUENCE, s, -1);
			ASN1_STRING_free(s);
		}
		if (attr == NULL || CMS_signed_add1_attr(si, attr) != 1)
			die("agility v2");
		X509_ATTRIBUTE_free(attr);
	}
}

static uint8_t *
build_cms(size_t *outlen, const tb_opts *o, uint8_t *const *cds, const size_t *cdl, int n)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	sk_X509_push(chain, o->pki->ca);
	sk_X509_push(chain, o->pki->root);
	unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, chain, NULL, flags);
	CMS_SignerInfo *si = cms ? CMS_add1_signer(cms, o->pki->leaf, o->pki->leaf_key, EVP_sha256(),
	    flags) : NULL;
	if (si == NULL)
		die("CMS_sign");
	ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)(o->signing_time ? o->signing_time : time(NULL)));
	CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, t->type, t, -1);
	ASN1_TIME_free(t);
	add_agility(si, o, cds, cdl, n);
	BIO *bio = BIO_new_mem_buf(cds[0], (int)cdl[0]);
	if (CMS_final(cms, bio, NULL, flags) != 1)
		die("CMS_final");
	BIO_free(bio);
	unsigned char *der = NULL;
	int dl = i2d_CMS_ContentInfo(cms, &der);
	if (dl <= 0)
		die("i2d_CMS");
	uint8_t *out = malloc((size_t)dl);
	memcpy(out, der, (size_t)dl);
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	sk_X509_free(chain);
	*outlen = (size_t)dl;
	return out;
}

/* Builds the SuperBlob for code[0..code_size). */
static size_t
build_sig(uint8_t *out, const tb_opts *o, const uint8_t *code, size_t code_size)
{
	uint8_t req[12];
	mx_put_u32be(req, MX_CSMAGIC_REQUIREMENTS);
	mx_put_u32be(req + 4, 12);
	mx_put_u32be(req + 8, 0);
	uint8_t *ent = NULL;
	size_t entlen = 0;
	if (o->entitlements_xml) {
		size_t xl = strlen(o->entitlements_xml);
		entlen = 8 + xl;
		ent = malloc(entlen);
		mx_put_u32be(ent, MX_CSMAGIC_EMBEDDED_ENTITLEMENTS);
		mx_put_u32be(ent + 4, (uint32_t)entlen);
		memcpy(ent + 8, o->entitlements_xml, xl);
	}
	uint8_t *cds[3];
	size_t cdl[3];
	for (int i = 0; i < o->nhash; i++)
		cds[i] = build_cd(&cdl[i], o, o->hash[i], code, code_size, req, sizeof req, ent, entlen);
	uint8_t *cms = NULL;
	size_t cmslen = 0;
	if (!o->adhoc)
		cms = build_cms(&cmslen, o, cds, cdl, o->nhash);
	struct tb_blob { uint32_t slot; const uint8_t *p; size_t n; bool wrap; } blobs[8];
	int nb = 0;
	blobs[nb++] = (struct tb_blob){ 0, cds[0], cdl[0], false };
	blobs[nb++] = (struct tb_blob){ 2, req, sizeof req, false };
	if (ent)
		blobs[nb++] = (struct tb_blob){ 5, ent, entlen, false };
	for (int i = 1; i < o->nhash; i++)
		blobs[nb++] = (struct tb_blob){ 0x1000 + (uint32_t)i - 1, cds[i], cdl[i], false };
	blobs[nb++] = (struct tb_blob){ 0x10000, cms, cmslen, true };
	size_t at = 12 + 8 * (size_t)nb;
	for (int i = 0; i < nb; i++) {
		mx_put_u32be(out + 12 + 8 * i, blobs[i].slot);
		mx_put_u32be(out + 16 + 8 * i, (uint32_t)at);
		if (blobs[i].wrap) {
			mx_put_u32be(out + at, MX_CSMAGIC_BLOBWRAPPER);
			mx_put_u32be(out + at + 4, (uint32_t)(8 + blobs[i].n));
			at += 8;
		}
		if (blobs[i].n)
			memcpy(out + at, blobs[i].p, blobs[i].n);
		at += blobs[i].n;
	}
	if (at > (o->sig_alloc ? o->sig_alloc : 32768))
		die("signature too large");
	mx_put_u32be(out, MX_CSMAGIC_EMBEDDED_SIGNATURE);
	mx_put_u32be(out + 4, (uint32_t)at);
	mx_put_u32be(out + 8, (uint32_t)nb);
	for (int i = 0; i < o->nhash; i++)
		free(cds[i]);
	free(ent);
	free(cms);
	return at;
}

static void
put32(uint8_t **p, uint32_t v)
{
	mx_put_u32le(*p, v);
	*p += 4;
}

static void
put64(uint8_t **p, uint64_t v)
{
	mx_put_u64le(*p, v);
	*p += 8;
}

static void
segment(uint8_t **p, const char *name, uint64_t vm, uint64_t fileoff, uint64_t filesize)
{
	put32(p, MX_LC_SEGMENT_64);
	put32(p, 72);
	memset(*p, 0, 16);
	memcpy(*p, name, strlen(name));
	*p += 16;
	put64(p, vm);
	put64(p, (filesize + 4095) & ~4095ull);
	put64(p, fileoff);
	put64(p, filesize);
	put32(p, 5);
	put32(p, 5);
	put32(p, 0);
	put32(p, 0);
}

void
tb_macho(uint8_t **out, size_t *len, const tb_opts *o)
{
	size_t sig_alloc = o->sig_alloc ? o->sig_alloc : 32768;
	size_t total = o->code_size + (o->unsigned_ ? 0 : sig_alloc);
	uint8_t *b = calloc(1, total);
	for (size_t i = 0; i < o->code_size; i++)
		b[i] = (uint8_t)(i * 7 + 3);
	uint8_t *p = b;
	uint32_t ncmds = o->unsigned_ ? 3 : 4;
	uint32_t sizeofcmds = 72 + 72 + 24 + (o->unsigned_ ? 0 : 16);
	put32(&p, MX_MH_MAGIC_64);
	put32(&p, o->cputype);
	put32(&p, o->cpusubtype);
	put32(&p, o->filetype);
	put32(&p, ncmds);
	put32(&p, sizeofcmds);
	put32(&p, 0);
	put32(&p, 0);
	segment(&p, "__TEXT", 0x100000000ull, 0, o->code_size);
	segment(&p, "__LINKEDIT", 0x100100000ull, o->code_size, o->unsigned_ ? 0 : sig_alloc);
	put32(&p, MX_LC_UUID);
	put32(&p, 24);
	for (int i = 0; i < 16; i++)
		*p++ = (uint8_t)(0xa0 + i);
	if (!o->unsigned_) {
		put32(&p, MX_LC_CODE_SIGNATURE);
		put32(&p, 16);
		put32(&p, (uint32_t)o->code_size);
		put32(&p, (uint32_t)sig_alloc);
		build_sig(b + o->code_size, o, b, o->code_size);
	}
	*out = b;
	*len = total;
}

void
tb_fat(uint8_t **out, size_t *len, uint8_t *const *thin, const size_t *lens, int n)
{
	size_t off = 4096, total = off;
	for (int i = 0; i < n; i++)
		total += (lens[i] + 4095) & ~(size_t)4095;
	uint8_t *b = calloc(1, total);
	mx_put_u32be(b, MX_FAT_MAGIC);
	mx_put_u32be(b + 4, (uint32_t)n);
	for (int i = 0; i < n; i++) {
		uint8_t *a = b + 8 + 20 * i;
		mx_put_u32be(a, mx_get_u32le(thin[i] + 4));
		mx_put_u32be(a + 4, mx_get_u32le(thin[i] + 8));
		mx_put_u32be(a + 8, (uint32_t)off);
		mx_put_u32be(a + 12, (uint32_t)lens[i]);
		mx_put_u32be(a + 16, 12);
		memcpy(b + off, thin[i], lens[i]);
		off += (lens[i] + 4095) & ~(size_t)4095;
	}
	*out = b;
	*len = total;
}

static X509 *
mkcert(const char *cn, const char *ou, const char *uid, X509 *issuer, EVP_PKEY *ikey,
    EVP_PKEY *key, bool ca, const char *const *oids, int64_t nb, int64_t na)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb);
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na);
	X509_NAME *n = X509_get_subject_name(x);
	if (uid)
		X509_NAME_add_entry_by_NID(n, NID_userId, MBSTRING_UTF8, (const unsigned char *)uid, -1,
		    -1, 0);
	X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8, (const unsigned char *)cn, -1,
	    -1, 0);
	if (ou)
		X509_NAME_add_entry_by_NID(n, NID_organizationalUnitName, MBSTRING_UTF8,
		    (const unsigned char *)ou, -1, -1, 0);
	X509_NAME_add_entry_by_NID(n, NID_organizationName, MBSTRING_UTF8,
	    (const unsigned char *)"macext test", -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_set_pubkey(x, key);
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	    ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	e = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, ca ? "critical,keyCertSign,cRLSign"
	    : "critical,digitalSignature");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	static const uint8_t null_der[] = { 0x05, 0x00 };
	for (int i = 0; oids && oids[i]; i++) {
		ASN1_OBJECT *o = OBJ_txt2obj(oids[i], 1);
		ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
		ASN1_OCTET_STRING_set(v, null_der, 2);
		e = X509_EXTENSION_create_by_OBJ(NULL, o, !ca, v);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
		ASN1_OCTET_STRING_free(v);
		ASN1_OBJECT_free(o);
	}
	if (X509_sign(x, ikey, EVP_sha256()) <= 0)
		die("X509_sign");
	return x;
}

void
tb_pki_new(tb_pki *p, bool kext, const char *team, int64_t nb, int64_t na)
{
	tb_pki_new_windows(p, kext, team, nb, na, nb - 3600, na + 3600);
}

void
tb_pki_new_windows(tb_pki *p, bool kext, const char *team, int64_t nb, int64_t na,
    int64_t ca_nb, int64_t ca_na)
{
	memset(p, 0, sizeof *p);
	p->root_key = EVP_EC_gen("P-256");
	p->ca_key = EVP_EC_gen("P-256");
	p->leaf_key = EVP_EC_gen("P-256");
	if (!p->root_key || !p->ca_key || !p->leaf_key)
		die("keygen");
	const char *ca_oids[] = { MX_OID_CA_DEVID, NULL };
	const char *leaf_oids[] = { MX_OID_DEVID_APPLICATION, kext ? MX_OID_DEVID_KEXT : NULL, NULL };
	int64_t lo = nb < ca_nb ? nb : ca_nb, hi = na > ca_na ? na : ca_na;
	p->root = mkcert("macext test root", NULL, NULL, NULL, p->root_key, p->root_key, true, NULL,
	    lo - 86400, hi + 86400);
	p->ca = mkcert("macext test Developer ID CA", NULL, NULL, p->root, p->root_key, p->ca_key,
	    true, ca_oids, ca_nb, ca_na);
	char cn[128];
	snprintf(cn, sizeof cn, "Developer ID Application: Test (%s)", team);
	p->leaf = mkcert(cn, team, team, p->ca, p->ca_key, p->leaf_key, false, leaf_oids, nb, na);
}

void
tb_pki_free(tb_pki *p)
{
	X509_free(p->root);
	X509_free(p->ca);
	X509_free(p->leaf);
	EVP_PKEY_free(p->root_key);
	EVP_PKEY_free(p->ca_key);
	EVP_PKEY_free(p->leaf_key);
}

void
tb_write_pem(const char *path, X509 *x)
{
	FILE *f = fopen(path, "w");
	if (f == NULL || PEM_write_X509(f, x) != 1)
		die("write pem");
	fclose(f);
}

void
tb_write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(p, 1, n, f) != n)
		die("write file");
	fclose(f);
}
