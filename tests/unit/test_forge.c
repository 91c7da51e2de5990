/*
 * test_forge.c — the forge writers byte by byte: DER entitlements, the
 * designated requirement, the CodeDirectory header and hashes, the
 * SuperBlob and the Mach-O layout; then a signed Mach-O made in-process
 * and handed to the verifier (codesign.h) with the test root as anchor.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "harness.h"
#include "macext/codesign.h"
#include "macext/cs_blobs.h"
#include "macext/forge.h"
#include "tools/forge_int.h"

static uint32_t
be(const uint8_t *p)
{
	return mx_get_u32be(p);
}

MX_TEST(forge_der_entitlements_bool)
{
	plist_t d = plist_new_dict();
	plist_dict_set_item(d, "a", plist_new_bool(1));
	mx_wbuf b = { 0 };
	mx_err err;
	CHECK_EQ_INT(mx_cs_entitlements_der(&b, d, &err), 0);
	static const uint8_t want[] = {
		0xfa, 0xde, 0x71, 0x72, 0x00, 0x00, 0x00, 0x17,
		0x70, 0x0d,                     /* [APPLICATION 16] */
		0x02, 0x01, 0x01,               /* INTEGER 1 */
		0xb0, 0x08,                     /* [CONTEXT 16] dictionary */
		0x30, 0x06, 0x0c, 0x01, 'a', 0x01, 0x01, 0xff };
	CHECK_EQ_INT(b.len, sizeof want);
	CHECK(b.len == sizeof want && memcmp(b.p, want, sizeof want) == 0);
	mx_wbuf_free(&b);
	plist_free(d);
}

MX_TEST(forge_der_entitlements_sorted_and_typed)
{
	plist_t d = plist_new_dict();
	plist_t arr = plist_new_array();
	plist_array_append_item(arr, plist_new_string("x"));
	plist_dict_set_item(d, "zz", plist_new_uint(200));   /* 200 needs a leading 0 */
	plist_dict_set_item(d, "b", arr);
	mx_wbuf b = { 0 };
	mx_err err;
	CHECK_EQ_INT(mx_cs_entitlements_der(&b, d, &err), 0);
	static const uint8_t want_dict[] = {
		0xb0, 0x14,
		0x30, 0x08, 0x0c, 0x01, 'b', 0x30, 0x03, 0x0c, 0x01, 'x',
		0x30, 0x08, 0x0c, 0x02, 'z', 'z', 0x02, 0x02, 0x00, 0xc8 };
	CHECK(b.len == 8 + 2 + 3 + sizeof want_dict);
	CHECK(b.len >= 13 + sizeof want_dict && memcmp(b.p + 13, want_dict, sizeof want_dict) == 0);
	mx_wbuf_free(&b);
	/* negative integers (two's complement in libplist's u64) stay negative */
	plist_t neg = plist_new_dict();
	plist_dict_set_item(neg, "n", plist_new_uint((uint64_t)-5));
	mx_wbuf nb = { 0 };
	CHECK_EQ_INT(mx_cs_entitlements_der(&nb, neg, &err), 0);
	static const uint8_t want_neg[] = { 0x0c, 0x01, 'n', 0x02, 0x01, 0xfb };
	CHECK(nb.len == 8 + 2 + 3 + 2 + 2 + sizeof want_neg &&
	    memcmp(nb.p + nb.len - sizeof want_neg, want_neg, sizeof want_neg) == 0);
	mx_wbuf_free(&nb);
	plist_free(neg);
	/* a date has no DER form: refused with the key named */
	plist_dict_set_item(d, "when", plist_new_date(0, 0));
	CHECK_EQ_INT(mx_cs_entitlements_der(&b, d, &err), MX_EINVALID);
	CHECK(strstr(err.msg, "when") != NULL);
	mx_wbuf_free(&b);
	plist_free(d);
}

MX_TEST(forge_designated_requirement_bytes)
{
	mx_wbuf b = { 0 };
	mx_cs_requirements_devid(&b, "com.x", "TEAM1");
	CHECK_EQ_INT(be(b.p), MX_CSMAGIC_REQUIREMENTS);
	CHECK_EQ_INT(be(b.p + 4), b.len);
	CHECK_EQ_INT(be(b.p + 8), 1);                       /* one requirement */
	CHECK_EQ_INT(be(b.p + 12), MX_CSREQ_DESIGNATED);
	CHECK_EQ_INT(be(b.p + 16), 20);
	CHECK_EQ_INT(be(b.p + 20), MX_CSMAGIC_REQUIREMENT);
	CHECK_EQ_INT(be(b.p + 24), b.len - 20);
	CHECK_EQ_INT(be(b.p + 28), MX_CSREQ_KIND_EXPR);
	for (int i = 0; i < 4; i++)
		CHECK_EQ_INT(be(b.p + 32 + 4 * i), 6);          /* opAnd x 4 */
	CHECK_EQ_INT(be(b.p + 48), 2);                      /* opIdent */
	CHECK_EQ_INT(be(b.p + 52), 5);
	CHECK(memcmp(b.p + 56, "com.x\0\0\0", 8) == 0);     /* padded to 4 */
	CHECK_EQ_INT(be(b.p + 64), 15);                     /* anchor apple generic */
	CHECK_EQ_INT(be(b.p + 68), 14);                     /* certificate 1[field.OID] */
	CHECK_EQ_INT(be(b.p + 72), 1);
	/* 1.2.840.113635.100.6.2.6 = 2a 86 48 86 f7 63 64 06 02 06 */
	static const uint8_t oid[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x06, 0x02, 0x06 };
	CHECK_EQ_INT(be(b.p + 76), 10);
	CHECK(memcmp(b.p + 80, oid, 10) == 0);
	CHECK(memcmp(b.p + b.len - 8, "TEAM1\0\0\0", 8) == 0);
	mx_wbuf_free(&b);
	/* ad-hoc: an empty requirements vector */
	mx_cs_requirements_devid(&b, "com.x", NULL);
	static const uint8_t empty[] = { 0xfa, 0xde, 0x0c, 0x01, 0, 0, 0, 12, 0, 0, 0, 0 };
	CHECK(b.len == 12 && memcmp(b.p, empty, 12) == 0);
	mx_wbuf_free(&b);
}

MX_TEST(forge_codedirectory_layout)
{
	size_t n = 10000;
	uint8_t *code = malloc(n);
	for (size_t i = 0; i < n; i++)
		code[i] = (uint8_t)(i * 7);
	const char info[] = "<plist/>";
	mx_cs_params p = { .identifier = "com.example.cd", .adhoc = true,
		.page_shift = MX_CS_PAGE_SHIFT_4K, .exec_seg_limit = 8192,
		.info_plist = (const uint8_t *)info, .info_len = sizeof info - 1 };
	mx_wbuf sb = { 0 };
	mx_cs_result r;
	mx_err err;
	CHECK_EQ_INT(mx_cs_sign(&sb, code, n, &p, &r, &err), 0);
	CHECK(sb.len <= mx_cs_reserve(&p, n));
	CHECK_EQ_INT(be(sb.p), MX_CSMAGIC_EMBEDDED_SIGNATURE);
	CHECK_EQ_INT(be(sb.p + 4), sb.len);
	CHECK_EQ_INT(be(sb.p + 8), 3);                      /* CD, requirements, CMS */
	CHECK_EQ_INT(be(sb.p + 12), MX_CSSLOT_CODEDIRECTORY);
	CHECK_EQ_INT(be(sb.p + 28), MX_CSSLOT_SIGNATURESLOT);
	uint32_t cdo = be(sb.p + 16);
	const uint8_t *cd = sb.p + cdo;
	uint32_t cdlen = be(cd + 4);
	CHECK_EQ_INT(be(cd), MX_CSMAGIC_CODEDIRECTORY);
	CHECK_EQ_INT(be(cd + MX_CS_CD_OFF_VERSION), 0x20400);
	CHECK_EQ_INT(be(cd + MX_CS_CD_OFF_FLAGS), MX_CS_ADHOC);
	CHECK_EQ_INT(be(cd + MX_CS_CD_OFF_NCODESLOTS), 3);
	CHECK_EQ_INT(be(cd + MX_CS_CD_OFF_NSPECIALSLOTS), 3);
	CHECK_EQ_INT(be(cd + MX_CS_CD_OFF_CODELIMIT), n);
	CHECK_EQ_INT(cd[MX_CS_CD_OFF_HASHSIZE], 32);
	CHECK_EQ_INT(cd[MX_CS_CD_OFF_HASHTYPE], MX_CS_HASHTYPE_SHA256);
	CHECK_EQ_INT(cd[MX_CS_CD_OFF_PAGESIZE], 12);
	CHECK_EQ_INT(be(cd + MX_CS_CD_OFF_TEAMOFFSET), 0);
	CHECK_EQ_INT(mx_get_u32be(cd + MX_CS_CD_OFF_EXECSEGLIMIT + 4), 8192);
	CHECK(strcmp((const char *)cd + be(cd + MX_CS_CD_OFF_IDENTOFFSET), "com.example.cd") == 0);
	uint32_t ho = be(cd + MX_CS_CD_OFF_HASHOFFSET);
	uint8_t h[32];
	unsigned int hl;
	EVP_Digest(code + 8192, n - 8192, h, &hl, EVP_sha256(), NULL);   /* last, partial page */
	CHECK(memcmp(cd + ho + 2 * 32, h, 32) == 0);
	EVP_Digest(info, sizeof info - 1, h, &hl, EVP_sha256(), NULL);     /* special slot 1 */
	CHECK(memcmp(cd + ho - 32, h, 32) == 0);
	EVP_Digest(cd, cdlen, h, &hl, EVP_sha256(), NULL);                 /* cdhash */
	CHECK(memcmp(r.cdhash, h, 20) == 0);
	CHECK_EQ_INT(r.n_code_slots, 3);
	/* the CMS slot of an ad-hoc signature is an empty wrapper */
	uint32_t cmso = be(sb.p + 32);
	CHECK_EQ_INT(be(sb.p + cmso), MX_CSMAGIC_BLOBWRAPPER);
	CHECK_EQ_INT(be(sb.p + cmso + 4), 8);
	mx_wbuf_free(&sb);
	/* bad page size, missing identifier */
	p.page_shift = 13;
	CHECK_EQ_INT(mx_cs_sign(&sb, code, n, &p, &r, &err), MX_EUSAGE);
	p.page_shift = 12;
	p.identifier = "";
	CHECK_EQ_INT(mx_cs_sign(&sb, code, n, &p, &r, &err), MX_EUSAGE);
	mx_wbuf_free(&sb);
	free(code);
}

MX_TEST(forge_macho_layout)
{
	mx_macho_spec s = { .filetype = MX_MH_KEXT_BUNDLE, .platform = MX_PLATFORM_MACOS,
		.seed = "com.example.layout", .arch = MX_FORGE_FAT };
	mx_wbuf b = { 0 };
	mx_macho_out o;
	mx_err err;
	CHECK_EQ_INT(mx_macho_write(&b, &s, NULL, &o, &err), 0);
	CHECK_EQ_INT(be(b.p), MX_FAT_MAGIC);
	CHECK_EQ_INT(be(b.p + 4), 2);
	CHECK_EQ_INT(o.nslices, 2);
	for (int i = 0; i < 2; i++) {
		const uint8_t *fa = b.p + 8 + 20 * i;
		CHECK_EQ_INT(be(fa + 8) % 16384, 0);
		CHECK_EQ_INT(be(fa + 8), o.slice[i].offset);
		CHECK_EQ_INT(be(fa + 12), o.slice[i].size);
		CHECK_EQ_INT(be(fa + 16), 14);
		const uint8_t *m = b.p + o.slice[i].offset;
		CHECK_EQ_INT(mx_get_u32le(m), MX_MH_MAGIC_64);
		CHECK_EQ_INT(mx_get_u32le(m + 12), MX_MH_KEXT_BUNDLE);
		CHECK_EQ_INT(o.slice[i].sig_size, 0);
	}
	CHECK_EQ_INT(be(b.p + 8), MX_CPU_TYPE_X86_64);
	CHECK_EQ_INT(be(b.p + 28), MX_CPU_TYPE_ARM64);
	CHECK_EQ_INT(b.len, o.slice[1].offset + o.slice[1].size);
	/* the same seed gives the same bytes */
	mx_wbuf b2 = { 0 };
	CHECK_EQ_INT(mx_macho_write(&b2, &s, NULL, NULL, &err), 0);
	CHECK(b.len == b2.len && memcmp(b.p, b2.p, b.len) == 0);
	mx_wbuf_free(&b2);
	s.seed = "com.example.other";
	CHECK_EQ_INT(mx_macho_write(&b2, &s, NULL, NULL, &err), 0);
	CHECK(b.len != b2.len || memcmp(b.p, b2.p, b.len) != 0);
	mx_wbuf_free(&b2);
	s.filetype = MX_MH_DYLIB;
	CHECK_EQ_INT(mx_macho_write(&b2, &s, NULL, NULL, &err), MX_EUSAGE);
	mx_wbuf_free(&b2);
	mx_wbuf_free(&b);
}

/* The writer and the verifier, in one process: a kext signed with a fresh
 * test CA verifies as developer-id-kext with the root as anchor, untrusted
 * without it, and invalid once a code byte changes. */
MX_TEST(forge_signed_macho_verifies)
{
	char dir[600];
	snprintf(dir, sizeof dir, "%s/ca", mx_test_tmpdir());
	forge_ca *ca = NULL;
	mx_cs_identity id;
	mx_err err;
	CHECK_EQ_INT(forge_ca_open(&ca, dir, &err), 0);
	if (ca == NULL)
		return;
	CHECK_EQ_INT(forge_ca_leaf(ca, "TEAM123456", "Unit", FORGE_LEAF_KEXT, &id, &err), 0);
	const char info[] = "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict/></plist>";
	mx_cs_params p = { .identifier = "com.example.unit", .team_id = "TEAM123456",
		.info_plist = (const uint8_t *)info, .info_len = sizeof info - 1, .id = &id,
		.signing_time = 1700000000 };
	mx_macho_spec s = { .filetype = MX_MH_KEXT_BUNDLE, .platform = MX_PLATFORM_MACOS,
		.seed = "com.example.unit", .arch = MX_FORGE_X86_64 };
	mx_wbuf b = { 0 };
	mx_macho_out o;
	CHECK_EQ_INT(mx_macho_write(&b, &s, &p, &o, &err), 0);
	char root[700];
	snprintf(root, sizeof root, "%s/root.pem", dir);
	mx_trust t = { .extra_anchor_pem = root }, none = { 0 };
	mx_siginfo si;
	memset(&si, 0, sizeof si);
	CHECK_EQ_INT(mx_codesign_verify_buf(&si, b.p, b.len, (const uint8_t *)info,
	    sizeof info - 1, &t, &err), 0);
	CHECK_EQ_STR(mx_sigkind_name(si.kind), "developer-id-kext");
	CHECK_EQ_STR(si.team_id, "TEAM123456");
	CHECK(si.kext_requirement_met);
	CHECK_EQ_INT(si.signing_time, 1700000000);
	char hex[41];
	for (int i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", o.slice[0].cs.cdhash[i]);
	CHECK_EQ_STR(si.cdhash, hex);
	mx_siginfo_free(&si);
	memset(&si, 0, sizeof si);
	CHECK_EQ_INT(mx_codesign_verify_buf(&si, b.p, b.len, (const uint8_t *)info,
	    sizeof info - 1, &none, &err), 0);
	CHECK_EQ_STR(mx_sigkind_name(si.kind), "untrusted");
	mx_siginfo_free(&si);
	b.p[o.slice[0].text_off + 5000] ^= 0x80;
	memset(&si, 0, sizeof si);
	CHECK_EQ_INT(mx_codesign_verify_buf(&si, b.p, b.len, (const uint8_t *)info,
	    sizeof info - 1, &t, &err), 0);
	CHECK_EQ_STR(mx_sigkind_name(si.kind), "invalid");
	mx_siginfo_free(&si);
	mx_wbuf_free(&b);
	forge_ca_free(ca);
}
