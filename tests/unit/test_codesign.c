/* test_codesign.c — SuperBlob/CodeDirectory validation (xnu
 * cs_validate_csblob rules), page and special-slot hashes, cdhash choice,
 * DER entitlements, the CMS path (hash agility, chain at signing time,
 * classification, Team ID), and the bundle reader. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>

#include "cs_build.h"
#include "formats/codesign_int.h"
#include "harness.h"
#include "macext/bundle.h"
#include "macext/codesign.h"
#include "macext/rd.h"

static enum mx_sigkind
verify(const uint8_t *b, size_t n, const uint8_t *info, size_t il, const char *anchor,
    mx_siginfo *out)
{
	mx_trust t = { .extra_anchor_pem = anchor };
	mx_err e;
	mx_err_clear(&e);
	int rc = mx_codesign_verify_buf(out, b, n, info, il, &t, &e);
	CHECK_EQ_INT(rc, 0);
	return out->kind;
}

static enum mx_sigkind
kind_of(const tb_opts *o, const char *anchor, char *reason, size_t rl)
{
	uint8_t *b;
	size_t n;
	tb_macho(&b, &n, o);
	mx_siginfo si;
	enum mx_sigkind k = verify(b, n, o->info, o->info_len, anchor, &si);
	if (reason)
		snprintf(reason, rl, "%s", si.reason);
	mx_siginfo_free(&si);
	free(b);
	return k;
}

/* The CodeDirectory of a built file's first slice (offset in *cd_off). */
static uint8_t *
find_cd(uint8_t *b, size_t code_size, size_t *cd_off)
{
	uint8_t *sb = b + code_size;
	uint32_t off = mx_get_u32be(sb + 16);   /* index[0] is slot 0 */
	*cd_off = code_size + off;
	return sb + off;
}

MX_TEST(codesign_unsigned_and_adhoc)
{
	tb_opts o;
	tb_defaults(&o);
	o.unsigned_ = true;
	CHECK_EQ_INT(kind_of(&o, NULL, NULL, 0), MX_SIG_UNSIGNED);
	tb_defaults(&o);
	uint8_t *b;
	size_t n;
	tb_macho(&b, &n, &o);
	mx_siginfo si;
	CHECK_EQ_INT(verify(b, n, NULL, 0, NULL, &si), MX_SIG_ADHOC);
	/* cdhash = SHA-256 of the whole CD, first 20 bytes (formats-and-peers.md §1.7) */
	size_t cdo;
	uint8_t *cd = find_cd(b, o.code_size, &cdo);
	uint8_t h[32];
	unsigned hl;
	EVP_Digest(cd, mx_get_u32be(cd + 4), h, &hl, EVP_sha256(), NULL);
	char hex[41];
	mx_hex_encode(hex, h, 20);
	CHECK_EQ_STR(si.cdhash, hex);
	CHECK_EQ_STR(si.identifier, "com.example.test");
	CHECK_EQ_STR(si.team_id, "");
	CHECK(!si.kext_requirement_met);
	CHECK_EQ_INT(si.narch, 1);
	mx_siginfo_free(&si);
	free(b);
}

MX_TEST(codesign_tampered_page_and_slots)
{
	tb_opts o;
	tb_defaults(&o);
	o.entitlements_xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><plist version=\"1.0\"><dict>"
	    "<key>com.apple.developer.driverkit</key><true/></dict></plist>";
	uint8_t *b;
	size_t n;
	tb_macho(&b, &n, &o);
	mx_siginfo si;
	CHECK_EQ_INT(verify(b, n, NULL, 0, NULL, &si), MX_SIG_ADHOC);
	CHECK(si.entitlements && plist_dict_get_item(si.entitlements, "com.apple.developer.driverkit"));
	mx_siginfo_free(&si);
	/* every page, including the last partial one, is checked */
	size_t at[] = { 300, 4096 + 17, 3 * 4096 + 99 };
	for (size_t i = 0; i < 3; i++) {
		b[at[i]] ^= 1;
		CHECK_EQ_INT(verify(b, n, NULL, 0, NULL, &si), MX_SIG_INVALID);
		if (strstr(si.reason, "does not match") == NULL)
			mx_test_fail_at(__FILE__, __LINE__, "offset %zu: %s", at[i], si.reason);
		mx_siginfo_free(&si);
		b[at[i]] ^= 1;
	}
	/* the entitlements blob is bound by special slot 5 */
	uint8_t *ent = memmem(b, n, "driverkit", 9);
	CHECK(ent != NULL);
	if (ent) {
		ent[0] = 'D';
		CHECK_EQ_INT(verify(b, n, NULL, 0, NULL, &si), MX_SIG_INVALID);
		CHECK(strstr(si.reason, "special slot 5") != NULL);
		mx_siginfo_free(&si);
		ent[0] = 'd';
	}
	free(b);
}

MX_TEST(codesign_info_plist_slot)
{
	static const uint8_t info[] = "<plist><dict/></plist>";
	tb_opts o;
	tb_defaults(&o);
	o.info = info;
	o.info_len = sizeof info - 1;
	CHECK_EQ_INT(kind_of(&o, NULL, NULL, 0), MX_SIG_ADHOC);
	uint8_t *b;
	size_t n;
	tb_macho(&b, &n, &o);
	mx_siginfo si;
	static const uint8_t other[] = "<plist><dict></dict></plist>";
	CHECK_EQ_INT(verify(b, n, other, sizeof other - 1, NULL, &si), MX_SIG_INVALID);
	CHECK(strstr(si.reason, "Info.plist") != NULL);
	mx_siginfo_free(&si);
	/* verifying the bare Mach-O (no Info.plist given) cannot check slot 1 */
	CHECK_EQ_INT(verify(b, n, NULL, 0, NULL, &si), MX_SIG_ADHOC);
	mx_siginfo_free(&si);
	free(b);
}

MX_TEST(codesign_best_cdhash_of_alternates)
{
	tb_opts o;
	tb_defaults(&o);
	o.nhash = 2;
	o.hash[0] = MX_CS_HASHTYPE_SHA1;
	o.hash[1] = MX_CS_HASHTYPE_SHA256;
	uint8_t *b;
	size_t n;
	tb_macho(&b, &n, &o);
	cs_sig sig;
	mx_err e;
	mx_err_clear(&e);
	CHECK_EQ_INT(cs_parse(&sig, b + o.code_size, 32768, o.code_size, &e), 0);
	CHECK_EQ_INT(sig.ncd, 2);
	mx_siginfo si;
	CHECK_EQ_INT(verify(b, n, NULL, 0, NULL, &si), MX_SIG_ADHOC);
	char hex[41];
	mx_hex_encode(hex, sig.cd[1].digest, 20);     /* the SHA-256 alternate wins */
	CHECK_EQ_STR(si.cdhash, hex);
	mx_siginfo_free(&si);
	/* the alternate's pages are verified too */
	size_t cdo;
	find_cd(b, o.code_size, &cdo);
	uint8_t *alt = b + o.code_size + mx_get_u32be(b + o.code_size + 12 + 8 * 2 + 4);
	CHECK_EQ_INT(mx_get_u32be(alt), MX_CSMAGIC_CODEDIRECTORY);
	uint32_t hoff = mx_get_u32be(alt + 16);
	alt[hoff + 32 * 2] ^= 0xff;      /* page 2's SHA-256 */
	CHECK_EQ_INT(verify(b, n, NULL, 0, NULL, &si), MX_SIG_INVALID);
	CHECK(strstr(si.reason, "slot 0x1000") != NULL);
	mx_siginfo_free(&si);
	free(b);
}

/* Edits of a valid signature that cs_parse must reject. */
MX_TEST(codesign_superblob_and_cd_rules)
{
	tb_opts o;
	tb_defaults(&o);
	o.nhash = 2;
	o.hash[0] = MX_CS_HASHTYPE_SHA1;
	o.hash[1] = MX_CS_HASHTYPE_SHA256;
	uint8_t *b;
	size_t n;
	tb_macho(&b, &n, &o);
	uint8_t *sb = b + o.code_size, *copy = malloc(32768);
	struct { const char *name; uint32_t at; uint32_t val; int relcd; const char *msg; } rows[] = {
		{ "count too large", 8, 5000, -1, "index entries" },
		{ "length past buffer", 4, 40000, -1, "length" },
		{ "blob offset past end", 16, 40000, -1, "offset" },
		{ "duplicate slot", 12 + 8, 0, -1, "appears twice" },
		{ "same hash type twice", 0, 0, 2, "same hash type" },
		{ "nSpecialSlots overflow", 24, 0x7fffffff, 0, "special" },
		{ "hashOffset past length", 16, 0xfffffff0u, 0, "hashOffset" },
		{ "nCodeSlots too many", 28, 0x10000000, 0, "nCodeSlots" },
		{ "codeLimit/nCodeSlots mismatch", 32, 4096, 0, "nCodeSlots" },
		{ "identOffset past end", 20, 0x00ffffff, 0, "identOffset" },
		{ "bad magic", 0, 0xfade0c99, 0, "magic" },
		{ "version too old", 8, 0x100, 0, "version" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		memcpy(copy, sb, 32768);
		uint32_t cd0 = mx_get_u32be(copy + 16), cd1 = mx_get_u32be(copy + 12 + 8 * 2 + 4);
		if (rows[i].relcd < 0)
			mx_put_u32be(copy + rows[i].at, rows[i].val);
		else if (rows[i].relcd == 2)
			copy[cd1 + 37] = MX_CS_HASHTYPE_SHA1, copy[cd1 + 36] = 20;
		else
			mx_put_u32be(copy + cd0 + rows[i].at, rows[i].val);
		cs_sig sig;
		mx_err e;
		mx_err_clear(&e);
		int rc = cs_parse(&sig, copy, 32768, 0, &e);
		if (rc == 0 || strstr(e.msg, rows[i].msg) == NULL)
			mx_test_fail_at(__FILE__, __LINE__, "%s: rc %d, message '%s'", rows[i].name, rc,
			    e.msg);
	}
	/* hashType/hashSize disagreement */
	memcpy(copy, sb, 32768);
	copy[mx_get_u32be(copy + 16) + 36] = 32;
	cs_sig sig;
	mx_err e;
	mx_err_clear(&e);
	CHECK(cs_parse(&sig, copy, 32768, 0, &e) != 0 && strstr(e.msg, "hashSize") != NULL);
	/* a signature whose parse fails makes the file invalid, not an error */
	memcpy(sb, copy, 32768);
	mx_siginfo si;
	CHECK_EQ_INT(verify(b, n, NULL, 0, NULL, &si), MX_SIG_INVALID);
	mx_siginfo_free(&si);
	free(copy);
	free(b);
}

MX_TEST(codesign_der_entitlements)
{
	/* 70 { 02 01 01, b0 { 30 {0c "a", 01 ff}, 30 {0c "b", 30 {0c "x", 02 01 07}},
	 *                     30 {0c "c", 31 {30 {0c "k", 0c "v"}}} } } */
	static const uint8_t der[] = {
		0x70, 0x2b, 0x02, 0x01, 0x01, 0xb0, 0x26,
		0x30, 0x06, 0x0c, 0x01, 'a', 0x01, 0x01, 0xff,
		0x30, 0x0c, 0x0c, 0x01, 'b', 0x30, 0x07, 0x0c, 0x01, 'x', 0x02, 0x02, 0x01, 0x07,
		0x30, 0x0e, 0x0c, 0x01, 'c', 0x31, 0x09, 0x30, 0x07, 0x0c, 0x01, 'k', 0x0c, 0x02,
		'v', 'w',
	};
	plist_t p = NULL;
	mx_err e;
	mx_err_clear(&e);
	CHECK_EQ_INT(cs_der_entitlements(&p, der, sizeof der, 0, &e), 0);
	if (p) {
		uint8_t t = 0;
		uint64_t v = 0;
		plist_get_bool_val(plist_dict_get_item(p, "a"), &t);
		CHECK(t == 1);
		plist_t arr = plist_dict_get_item(p, "b");
		CHECK(arr && plist_array_get_size(arr) == 2);
		plist_get_uint_val(plist_array_get_item(arr, 1), &v);
		CHECK_EQ_INT(v, 0x107);
		plist_t d = plist_dict_get_item(p, "c");
		CHECK(d && plist_get_node_type(d) == PLIST_DICT);
		CHECK_EQ_STR(plist_get_string_ptr(plist_dict_get_item(d, "k"), NULL), "vw");
		plist_free(p);
	}
	/* sentry-cli's empty dict, and truncations of the sample */
	static const uint8_t empty[] = { 0x70, 0x05, 0x02, 0x01, 0x01, 0xb0, 0x00 };
	CHECK_EQ_INT(cs_der_entitlements(&p, empty, sizeof empty, 0, &e), 0);
	CHECK(p && plist_dict_get_size(p) == 0);
	plist_free(p);
	for (size_t k = 0; k < sizeof der; k++)
		CHECK(cs_der_entitlements(&p, der, k, 0, &e) != 0 && p == NULL);
}

/* ---- CMS ---- */

static const char *
write_anchor(const tb_pki *p)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/root.pem", mx_test_tmpdir());
	tb_write_pem(path, p->root);
	return path;
}

MX_TEST(codesign_cms_classification)
{
	int64_t now = (int64_t)time(NULL);
	tb_pki kext, app;
	tb_pki_new(&kext, true, "KEXTTEAM01", now - 86400, now + 86400 * 365);
	tb_pki_new(&app, false, "APPTEAM002", now - 86400, now + 86400 * 365);
	char kanchor[512];
	snprintf(kanchor, sizeof kanchor, "%s", write_anchor(&kext));
	char anchor2[512];
	snprintf(anchor2, sizeof anchor2, "%s", write_anchor(&app));
	tb_opts o;
	tb_defaults(&o);
	o.adhoc = false;
	o.pki = &kext;
	o.team = "KEXTTEAM01";
	uint8_t *b;
	size_t n;
	tb_macho(&b, &n, &o);
	mx_siginfo si;
	/* the configured anchor stands in for Apple's roots */
	CHECK_EQ_INT(verify(b, n, NULL, 0, kanchor, &si), MX_SIG_DEVELOPER_ID_KEXT);
	if (si.kind != MX_SIG_DEVELOPER_ID_KEXT)
		mx_test_fail_at(__FILE__, __LINE__, "reason: %s", si.reason);
	CHECK_EQ_STR(si.team_id, "KEXTTEAM01");
	CHECK_EQ_STR(si.signer, "Developer ID Application: Test (KEXTTEAM01)");
	CHECK(si.kext_requirement_met);
	CHECK(si.devid_requirement_met);
	CHECK(si.signing_time > now - 60 && si.signing_time < now + 60);
	mx_siginfo_free(&si);
	/* without the anchor the same chain is untrusted, not invalid */
	CHECK_EQ_INT(verify(b, n, NULL, 0, NULL, &si), MX_SIG_UNTRUSTED);
	CHECK(strstr(si.reason, "macext test root") != NULL);
	CHECK(!si.kext_requirement_met);
	mx_siginfo_free(&si);
	/* another anchor does not help */
	CHECK_EQ_INT(verify(b, n, NULL, 0, anchor2, &si), MX_SIG_UNTRUSTED);
	mx_siginfo_free(&si);
	free(b);
	/* leaf without the kext OID */
	o.pki = &app;
	o.team = "APPTEAM002";
	tb_macho(&b, &n, &o);
	CHECK_EQ_INT(verify(b, n, NULL, 0, anchor2, &si), MX_SIG_DEVELOPER_ID);
	CHECK(!si.kext_requirement_met);
	CHECK(si.devid_requirement_met);
	CHECK(strstr(si.reason, "1.2.840.113635.100.6.1.18") != NULL);
	mx_siginfo_free(&si);
	free(b);
	/* the CD's team must be the certificate's */
	o.team = "OTHERTEAM9";
	char why[512];
	CHECK_EQ_INT(kind_of(&o, anchor2, why, sizeof why), MX_SIG_INVALID);
	CHECK(strstr(why, "OTHERTEAM9") != NULL);
	/* a CD without a team field (version 0x20100) relies on the certificate */
	o.team = NULL;
	o.cd_version = 0x20100;
	CHECK_EQ_INT(kind_of(&o, anchor2, NULL, 0), MX_SIG_DEVELOPER_ID);
	tb_pki_free(&kext);
	tb_pki_free(&app);
}

MX_TEST(codesign_cms_hash_agility)
{
	int64_t now = (int64_t)time(NULL);
	tb_pki p;
	tb_pki_new(&p, true, "AGILETEAM1", now - 86400, now + 86400 * 365);
	const char *anchor = write_anchor(&p);
	tb_opts o;
	tb_defaults(&o);
	o.adhoc = false;
	o.pki = &p;
	o.nhash = 2;
	o.hash[0] = MX_CS_HASHTYPE_SHA1;
	o.hash[1] = MX_CS_HASHTYPE_SHA256;
	static const struct { int agility; bool extra; enum mx_sigkind want; const char *why; } rows[] = {
		{ 3, false, MX_SIG_DEVELOPER_ID_KEXT, "" },
		{ 1, false, MX_SIG_DEVELOPER_ID_KEXT, "" },
		{ 2, false, MX_SIG_DEVELOPER_ID_KEXT, "" },
		{ 0, false, MX_SIG_INVALID, "no hash agility" },
		{ 1, true, MX_SIG_INVALID, "v1 names 3" },
		{ 2, true, MX_SIG_INVALID, "v2 names 3" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		o.agility = rows[i].agility;
		o.agility_extra = rows[i].extra;
		char why[512];
		enum mx_sigkind k = kind_of(&o, anchor, why, sizeof why);
		if (k != rows[i].want || (rows[i].why[0] && strstr(why, rows[i].why) == NULL))
			mx_test_fail_at(__FILE__, __LINE__, "row %zu: kind %s, reason '%s'", i,
			    mx_sigkind_name(k), why);
	}
	/* an alternate CD swapped after signing: agility no longer matches */
	o.agility = 1;
	o.agility_extra = false;
	uint8_t *b;
	size_t n;
	tb_macho(&b, &n, &o);
	uint8_t *alt = b + o.code_size + mx_get_u32be(b + o.code_size + 12 + 8 * 2 + 4);
	alt[mx_get_u32be(alt + 20)] ^= 0x20;   /* identifier's first letter: still parses */
	mx_siginfo si;
	CHECK_EQ_INT(verify(b, n, NULL, 0, anchor, &si), MX_SIG_INVALID);
	mx_siginfo_free(&si);
	free(b);
	tb_pki_free(&p);
}

/* Expired and not-yet-valid certificates (issue 12 §1): as Security.framework
 * by default, expiry at the signing time or by now is a reported fact, not a
 * failure; trust.check_expiration (kSecCSConsiderExpiration) makes it one; a
 * certificate not yet valid at the signing time is invalid either way. */
MX_TEST(codesign_cms_expiry_table)
{
	const int64_t D = 86400, nb = 1577836800, na = 1609459200;   /* 2020-01-01 .. 2021-01-01 */
	static const struct {
		const char *name;
		bool ca_expires;             /* the CA's window ends at na, the leaf's at na + 3000 D */
		int64_t signed_at, now;      /* now 0: no clock given */
		bool strict;
		enum mx_sigkind kind;
		int nexpired;                /* expired certificates reported */
		bool first_at_signing;       /* the first of them expired before the signing time */
		const char *reason;          /* substring of the reason, or NULL */
	} rows[] = {
		{ "valid throughout", false, nb + 100 * D, nb + 200 * D, false, MX_SIG_DEVELOPER_ID, 0,
		  false, NULL },
		{ "valid throughout, strict", false, nb + 100 * D, nb + 200 * D, true,
		  MX_SIG_DEVELOPER_ID, 0, false, NULL },
		{ "leaf expired by now", false, nb + 100 * D, na + 10 * D, false, MX_SIG_DEVELOPER_ID, 3,
		  false, NULL },
		{ "leaf expired by now, strict", false, nb + 100 * D, na + 10 * D, true, MX_SIG_INVALID,
		  3, false, "before now" },
		{ "leaf expired at signing", false, na + 10 * D, na + 20 * D, false, MX_SIG_DEVELOPER_ID,
		  3, true, NULL },
		{ "leaf expired at signing, strict", false, na + 10 * D, na + 20 * D, true,
		  MX_SIG_INVALID, 3, true, "before the signing time" },
		{ "leaf expired at signing, no clock", false, na + 10 * D, 0, false, MX_SIG_DEVELOPER_ID,
		  3, true, NULL },
		{ "not yet valid at signing", false, nb - 10 * D, nb + 10 * D, false, MX_SIG_INVALID, 0,
		  false, "not yet valid" },
		{ "not yet valid at signing, strict", false, nb - 10 * D, nb + 10 * D, true,
		  MX_SIG_INVALID, 0, false, "not yet valid" },
		{ "intermediate expired by now", true, nb + 100 * D, na + 10 * D, false,
		  MX_SIG_DEVELOPER_ID, 1, false, NULL },
		{ "intermediate expired by now, strict", true, nb + 100 * D, na + 10 * D, true,
		  MX_SIG_INVALID, 1, false, "Developer ID CA\" expired" },
		{ "intermediate expired at signing", true, na + 10 * D, na + 20 * D, false,
		  MX_SIG_DEVELOPER_ID, 1, true, NULL },
	};
	tb_pki plain, inter;
	tb_pki_new(&plain, false, "EXPIRY0001", nb, na);
	tb_pki_new_windows(&inter, false, "EXPIRY0002", nb, na + 3000 * D, nb - 3600, na);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		tb_pki *p = rows[i].ca_expires ? &inter : &plain;
		char anchor[600];
		snprintf(anchor, sizeof anchor, "%s/expiry-root-%d.pem", mx_test_tmpdir(),
		    rows[i].ca_expires);
		tb_write_pem(anchor, p->root);
		tb_opts o;
		tb_defaults(&o);
		o.adhoc = false;
		o.pki = p;
		o.signing_time = rows[i].signed_at;
		uint8_t *b;
		size_t n;
		tb_macho(&b, &n, &o);
		mx_trust t = { .extra_anchor_pem = anchor, .now = rows[i].now,
			.check_expiration = rows[i].strict };
		mx_siginfo si;
		mx_err e;
		mx_err_clear(&e);
		CHECK_EQ_INT(mx_codesign_verify_buf(&si, b, n, NULL, 0, &t, &e), 0);
		if (si.kind != rows[i].kind || si.nexpired != rows[i].nexpired ||
		    si.expired != (rows[i].nexpired > 0) ||
		    (si.nexpired && si.expired_certs[0].at_signing_time != rows[i].first_at_signing) ||
		    (rows[i].reason && strstr(si.reason, rows[i].reason) == NULL))
			mx_test_fail_at(__FILE__, __LINE__, "%s: kind %s, %d expired (first at signing %d),"
			    " reason \"%s\"", rows[i].name, mx_sigkind_name(si.kind), si.nexpired,
			    si.nexpired ? si.expired_certs[0].at_signing_time : -1, si.reason);
		if (rows[i].ca_expires && si.nexpired)
			CHECK_EQ_INT(si.expired_certs[0].not_after, na);
		mx_siginfo_free(&si);
		free(b);
	}
	tb_pki_free(&plain);
	tb_pki_free(&inter);
}

MX_TEST(codesign_cms_tampered)
{
	int64_t now = (int64_t)time(NULL);
	tb_pki p;
	tb_pki_new(&p, true, "TAMPER0001", now - 86400, now + 86400);
	const char *anchor = write_anchor(&p);
	tb_opts o;
	tb_defaults(&o);
	o.adhoc = false;
	o.pki = &p;
	uint8_t *b;
	size_t n;
	tb_macho(&b, &n, &o);
	/* the identifier lives in the CD: changing it changes the CMS messageDigest input */
	size_t cdo;
	uint8_t *cd = find_cd(b, o.code_size, &cdo);
	cd[mx_get_u32be(cd + 20)] ^= 0x20;
	mx_siginfo si;
	CHECK_EQ_INT(verify(b, n, NULL, 0, anchor, &si), MX_SIG_INVALID);
	mx_siginfo_free(&si);
	free(b);
	/* a CS_ADHOC CD carrying a CMS blob */
	tb_macho(&b, &n, &o);
	cd = find_cd(b, o.code_size, &cdo);
	mx_put_u32be(cd + 12, MX_CS_ADHOC);
	CHECK_EQ_INT(verify(b, n, NULL, 0, anchor, &si), MX_SIG_INVALID);
	mx_siginfo_free(&si);
	free(b);
	tb_pki_free(&p);
}

MX_TEST(codesign_fat_mixed)
{
	tb_opts o;
	tb_defaults(&o);
	uint8_t *x, *a, *f;
	size_t xl, al, fl;
	tb_macho(&x, &xl, &o);
	o.cputype = MX_CPU_TYPE_ARM64;
	o.cpusubtype = 0;
	o.unsigned_ = true;
	tb_macho(&a, &al, &o);
	uint8_t *thins[] = { x, a };
	size_t lens[] = { xl, al };
	tb_fat(&f, &fl, thins, lens, 2);
	mx_siginfo si;
	CHECK_EQ_INT(verify(f, fl, NULL, 0, NULL, &si), MX_SIG_INVALID);
	CHECK(strstr(si.reason, "some architectures") != NULL);
	CHECK_EQ_INT(si.narch, 2);
	CHECK_EQ_INT(si.arch[0].kind, MX_SIG_ADHOC);
	CHECK_EQ_INT(si.arch[1].kind, MX_SIG_UNSIGNED);
	mx_siginfo_free(&si);
	free(a);
	free(f);
	o.unsigned_ = false;
	tb_macho(&a, &al, &o);
	thins[1] = a;
	lens[1] = al;
	tb_fat(&f, &fl, thins, lens, 2);
	CHECK_EQ_INT(verify(f, fl, NULL, 0, NULL, &si), MX_SIG_ADHOC);
	CHECK(strcmp(si.arch[0].cdhash, si.arch[1].cdhash) != 0);
	mx_siginfo_free(&si);
	free(a);
	free(f);
	/* an unsigned MH_OBJECT stub (Lilu's i386 slice) does not decide the kind */
	o.cputype = MX_CPU_TYPE_ARM64;
	o.filetype = MX_MH_OBJECT;
	o.unsigned_ = true;
	tb_macho(&a, &al, &o);
	thins[1] = a;
	lens[1] = al;
	tb_fat(&f, &fl, thins, lens, 2);
	CHECK_EQ_INT(verify(f, fl, NULL, 0, NULL, &si), MX_SIG_ADHOC);
	CHECK_EQ_INT(si.arch[1].kind, MX_SIG_UNSIGNED);
	mx_siginfo_free(&si);
	free(x);
	free(a);
	free(f);
}

/* ---- bundles ---- */

static void
mkdirs(const char *root, const char *rel)
{
	char p[1024];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	for (char *s = p + strlen(root) + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	mkdir(p, 0755);
}

static void
put(const char *root, const char *rel, const void *data, size_t n)
{
	char p[1024];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	tb_write_file(p, data, n);
}

static const char *
info_xml(char *buf, size_t n, const char *id, const char *exe, const char *extra)
{
	snprintf(buf, n, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><plist version=\"1.0\"><dict>"
	    "<key>CFBundleIdentifier</key><string>%s</string>"
	    "<key>CFBundleVersion</key><string>1.2.3</string>"
	    "<key>CFBundleShortVersionString</key><string>1.2</string>%s%s%s%s</dict></plist>",
	    id, exe ? "<key>CFBundleExecutable</key><string>" : "", exe ? exe : "",
	    exe ? "</string>" : "", extra);
	return buf;
}

MX_TEST(bundle_kext_codeless_nested_and_signed)
{
	const char *d = mx_test_tmpdir();
	char buf[4096];
	mkdirs(d, "A.kext/Contents/PlugIns/B.kext/Contents");
	info_xml(buf, sizeof buf, "com.example.a", NULL, "<key>OSBundleRequired</key>"
	    "<string>Root</string><key>OSBundleLibraries</key><dict><key>com.apple.kpi.libkern</key>"
	    "<string>10.7</string></dict>");
	put(d, "A.kext/Contents/Info.plist", buf, strlen(buf));
	/* the nested kext has an ad hoc signed executable whose slot 1 binds its Info.plist */
	info_xml(buf, sizeof buf, "com.example.b", "B", "");
	put(d, "A.kext/Contents/PlugIns/B.kext/Contents/Info.plist", buf, strlen(buf));
	tb_opts o;
	tb_defaults(&o);
	o.filetype = MX_MH_KEXT_BUNDLE;
	o.identifier = "com.example.b";
	o.info = (const uint8_t *)buf;
	o.info_len = strlen(buf);
	uint8_t *b;
	size_t n;
	tb_macho(&b, &n, &o);
	mkdirs(d, "A.kext/Contents/PlugIns/B.kext/Contents/MacOS");
	put(d, "A.kext/Contents/PlugIns/B.kext/Contents/MacOS/B", b, n);
	free(b);

	char p[1024];
	snprintf(p, sizeof p, "%s/A.kext", d);
	mx_bundle *bu = NULL;
	mx_err e;
	mx_err_clear(&e);
	CHECK_EQ_INT(mx_bundle_open(&bu, p, &e), 0);
	if (bu) {
		CHECK_EQ_INT(bu->kind, MX_BUNDLE_KEXT);
		CHECK(bu->codeless);
		CHECK_EQ_STR(bu->bundle_id, "com.example.a");
		CHECK_EQ_STR(bu->os_bundle_required, "Root");
		CHECK(bu->has_os_bundle_libraries);
		CHECK_EQ_INT(bu->nplugins, 1);
		CHECK(strstr(bu->plugins[0], "PlugIns/B.kext") != NULL);
		mx_bundle_free(bu);
	}
	mx_siginfo si;
	CHECK_EQ_INT(mx_codesign_verify_path(&si, p, NULL, &e), 0);
	CHECK_EQ_INT(si.kind, MX_SIG_UNSIGNED);
	mx_siginfo_free(&si);
	snprintf(p, sizeof p, "%s/A.kext/Contents/PlugIns/B.kext", d);
	CHECK_EQ_INT(mx_codesign_verify_path(&si, p, NULL, &e), 0);
	CHECK_EQ_INT(si.kind, MX_SIG_ADHOC);
	CHECK_EQ_STR(si.identifier, "com.example.b");
	mx_siginfo_free(&si);
	/* Info.plist edited after signing */
	info_xml(buf, sizeof buf, "com.example.b", "B", "<key>X</key><true/>");
	put(d, "A.kext/Contents/PlugIns/B.kext/Contents/Info.plist", buf, strlen(buf));
	CHECK_EQ_INT(mx_codesign_verify_path(&si, p, NULL, &e), 0);
	CHECK_EQ_INT(si.kind, MX_SIG_INVALID);
	CHECK(strstr(si.reason, "Info.plist") != NULL);
	mx_siginfo_free(&si);
}

MX_TEST(bundle_info_plist_types)
{
	static const struct { const char *xml; const char *msg; } rows[] = {
		{ "<dict><key>CFBundleIdentifier</key><integer>3</integer></dict>",
		  "CFBundleIdentifier: expected string, got integer" },
		{ "<dict><key>CFBundleVersion</key><string>1</string></dict>", "CFBundleIdentifier: missing" },
		{ "<dict><key>CFBundleIdentifier</key><string>a b</string><key>CFBundleVersion</key>"
		  "<string>1</string></dict>", "not a bundle identifier" },
		{ "<dict><key>CFBundleIdentifier</key><string>a.b</string><key>CFBundleVersion</key>"
		  "<string>1</string><key>OSBundleLibraries</key><dict><key>x</key><integer>1</integer>"
		  "</dict></dict>", "OSBundleLibraries.x: expected string, got integer" },
		{ "<dict><key>CFBundleIdentifier</key><string>a.b</string><key>CFBundleVersion</key>"
		  "<string>1</string><key>CFBundleExecutable</key><string>../x</string></dict>",
		  "not a file name" },
		{ "<dict><key>CFBundleIdentifier</key><string>a.b</string><key>CFBundleVersion</key>"
		  "<string>1</string><key>NSExtension</key><string>x</string></dict>",
		  "NSExtension: expected dict, got string" },
		{ "<array/>", "expected dict, got array" },
		{ "garbage", "malformed" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char xml[1024];
		snprintf(xml, sizeof xml, "<?xml version=\"1.0\"?><plist version=\"1.0\">%s</plist>",
		    strcmp(rows[i].xml, "garbage") ? rows[i].xml : "<dict");
		mx_bundle b;
		memset(&b, 0, sizeof b);
		b.kind = MX_BUNDLE_KEXT;
		mx_err e;
		mx_err_clear(&e);
		int rc = mx_bundle_read_info(&b, (const uint8_t *)xml, strlen(xml), "X/Info.plist", &e);
		char full[1024];
		snprintf(full, sizeof full, "%s%s", e.where, e.msg);
		if (rc == 0 || strstr(full, rows[i].msg) == NULL)
			mx_test_fail_at(__FILE__, __LINE__, "row %zu: rc %d, '%s'", i, rc, full);
		plist_free(b.info);
	}
}

MX_TEST(bundle_app_with_system_extensions)
{
	const char *d = mx_test_tmpdir();
	char buf[4096];
	mkdirs(d, "My.app/Contents/MacOS");
	mkdirs(d, "My.app/Contents/Library/SystemExtensions/com.example.es.systemextension/Contents/MacOS");
	mkdirs(d, "My.app/Contents/Library/SystemExtensions/com.example.drv.dext");
	info_xml(buf, sizeof buf, "com.example.app", "My", "");
	put(d, "My.app/Contents/Info.plist", buf, strlen(buf));
	tb_opts o;
	tb_defaults(&o);
	o.entitlements_xml = "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>"
	    "com.apple.developer.system-extension.install</key><true/></dict></plist>";
	uint8_t *b;
	size_t n;
	tb_macho(&b, &n, &o);
	put(d, "My.app/Contents/MacOS/My", b, n);
	free(b);
	/* ES extension: category from NSSystemExtensionPointIdentifier, binary plist */
	plist_t ip = plist_new_dict();
	plist_dict_set_item(ip, "CFBundleIdentifier", plist_new_string("com.example.es"));
	plist_dict_set_item(ip, "CFBundleVersion", plist_new_string("7"));
	plist_dict_set_item(ip, "CFBundleExecutable", plist_new_string("es"));
	plist_dict_set_item(ip, "CFBundlePackageType", plist_new_string("SYSX"));
	plist_dict_set_item(ip, "NSSystemExtensionPointIdentifier", plist_new_string(MX_CAT_ES));
	plist_dict_set_item(ip, "NSSystemExtensionUsageDescription", plist_new_string("why"));
	char *bin = NULL;
	uint32_t binl = 0;
	plist_to_bin(ip, &bin, &binl);
	plist_free(ip);
	put(d, "My.app/Contents/Library/SystemExtensions/com.example.es.systemextension/Contents/"
	    "Info.plist", bin, binl);
	free(bin);
	tb_defaults(&o);
	tb_macho(&b, &n, &o);
	put(d, "My.app/Contents/Library/SystemExtensions/com.example.es.systemextension/Contents/"
	    "MacOS/es", b, n);
	free(b);
	/* a shallow dext with the driverkit entitlement */
	info_xml(buf, sizeof buf, "com.example.drv", "drv", "<key>OSBundleUsageDescription</key>"
	    "<string>x</string><key>IOKitPersonalities</key><dict/>");
	put(d, "My.app/Contents/Library/SystemExtensions/com.example.drv.dext/Info.plist", buf,
	    strlen(buf));
	o.entitlements_xml = "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>"
	    "com.apple.developer.driverkit</key><true/></dict></plist>";
	tb_macho(&b, &n, &o);
	put(d, "My.app/Contents/Library/SystemExtensions/com.example.drv.dext/drv", b, n);
	free(b);

	char p[1024];
	snprintf(p, sizeof p, "%s/My.app", d);
	mx_bundle *app = NULL;
	mx_err e;
	mx_err_clear(&e);
	CHECK_EQ_INT(mx_bundle_open(&app, p, &e), 0);
	if (app == NULL)
		return;
	CHECK_EQ_INT(app->kind, MX_BUNDLE_APP);
	CHECK(app->has_install_entitlement);
	CHECK_EQ_INT(app->nembedded, 2);
	CHECK(strstr(app->embedded[0], "com.example.drv.dext") != NULL);
	CHECK(strstr(app->embedded[1], "com.example.es.systemextension") != NULL);
	mx_bundle *es = NULL, *drv = NULL;
	CHECK_EQ_INT(mx_bundle_open(&es, app->embedded[1], &e), 0);
	CHECK_EQ_INT(mx_bundle_open(&drv, app->embedded[0], &e), 0);
	if (es) {
		CHECK_EQ_INT(es->kind, MX_BUNDLE_SYSEXT);
		CHECK_EQ_STR(es->category, MX_CAT_ES);
		CHECK_EQ_STR(es->package_type, "SYSX");
		CHECK(es->has_usage_description);
		CHECK(!es->has_category_entitlement);
		CHECK_EQ_STR(es->missing_entitlement, "com.apple.developer.endpoint-security.client");
	}
	if (drv) {
		CHECK_EQ_INT(drv->kind, MX_BUNDLE_DEXT);
		CHECK_EQ_STR(drv->category, MX_CAT_DRIVER);
		CHECK(drv->has_category_entitlement);
		CHECK(drv->has_usage_description);
		CHECK(strstr(drv->executable_path, "com.example.drv.dext/drv") != NULL);
	}
	mx_bundle_free(es);
	mx_bundle_free(drv);
	mx_bundle_free(app);
	/* a declared but unknown category is kept as declared, not mapped */
	mx_bundle b2;
	memset(&b2, 0, sizeof b2);
	b2.kind = MX_BUNDLE_SYSEXT;
	const char *x = "<plist><dict><key>CFBundleIdentifier</key><string>a.b</string><key>"
	    "CFBundleVersion</key><string>1</string><key>NSSystemExtensionPointIdentifier</key>"
	    "<string>com.example.bogus</string></dict></plist>";
	CHECK_EQ_INT(mx_bundle_read_info(&b2, (const uint8_t *)x, strlen(x), "I", &e), 0);
	CHECK_EQ_STR(b2.category, "");
	CHECK_EQ_STR(b2.category_declared, "com.example.bogus");
	plist_free(b2.info);
	/* a NetworkExtension dictionary makes a network extension */
	memset(&b2, 0, sizeof b2);
	b2.kind = MX_BUNDLE_SYSEXT;
	x = "<plist><dict><key>CFBundleIdentifier</key><string>a.b</string><key>"
	    "CFBundleVersion</key><string>1</string><key>NetworkExtension</key><dict/></dict></plist>";
	CHECK_EQ_INT(mx_bundle_read_info(&b2, (const uint8_t *)x, strlen(x), "I", &e), 0);
	CHECK_EQ_STR(b2.category, MX_CAT_NETWORK);
	plist_free(b2.info);
}

MX_TEST(bundle_missing_executable)
{
	const char *d = mx_test_tmpdir();
	char buf[2048];
	mkdirs(d, "C.kext/Contents");
	info_xml(buf, sizeof buf, "com.example.c", "C", "");
	put(d, "C.kext/Contents/Info.plist", buf, strlen(buf));
	char p[1024];
	snprintf(p, sizeof p, "%s/C.kext", d);
	mx_bundle *b = NULL;
	mx_err e;
	mx_err_clear(&e);
	CHECK_EQ_INT(mx_bundle_open(&b, p, &e), MX_EINVALID);
	CHECK(b == NULL);
	CHECK(strstr(e.msg, "missing") != NULL);
	snprintf(p, sizeof p, "%s/none.kext", d);
	CHECK_EQ_INT(mx_bundle_open(&b, p, &e), MX_ENOTFOUND);
}
