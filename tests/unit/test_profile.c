/*
 * test_profile.c — the profile reader (plist edge cases, envelope, CMS),
 * the schema rules, and the 16 real vendor profiles of
 * ../shared/testdata/profiles (expected values written by reading each
 * file by hand; SOURCES.md lists where they come from).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "harness.h"
#include "macext/plist_util.h"
#include "macext/profile.h"

static const char *
mkprof(char *buf, size_t len, const char *payload_xml)
{
	snprintf(buf, len,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<plist version=\"1.0\"><dict>"
	    "<key>PayloadType</key><string>Configuration</string>"
	    "<key>PayloadIdentifier</key><string>com.example.p</string>"
	    "<key>PayloadUUID</key><string>11111111-2222-3333-4444-555555555555</string>"
	    "<key>PayloadVersion</key><integer>1</integer>"
	    "<key>PayloadDisplayName</key><string>Example</string>"
	    "<key>PayloadContent</key><array>%s</array>"
	    "</dict></plist>", payload_xml);
	return buf;
}

#define SYSEXT_PAYLOAD(extra) \
	"<dict><key>PayloadType</key><string>com.apple.system-extension-policy</string>" \
	"<key>PayloadIdentifier</key><string>com.example.p.sysext</string>" \
	"<key>PayloadUUID</key><string>AAAAAAAA-2222-3333-4444-555555555555</string>" \
	"<key>PayloadVersion</key><integer>1</integer>" extra "</dict>"

/* ---- plist edge cases, table-driven ---- */

static const struct {
	const char *name, *text;
	int code;              /* expected mx_plist_parse result */
	const char *msg_has;   /* substring of err.msg or err.where */
} plist_cases[] = {
	{ "xml_plain", "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>a</key><string>x</string></dict></plist>", 0, NULL },
	{ "leading_newline", "\n<?xml version=\"1.0\"?>\n<plist version=\"1\"><dict/></plist>", 0, NULL },
	{ "leading_spaces_tabs", " \t\r\n  <plist><array><true/><integer>3</integer></array></plist>", 0, NULL },
	{ "bom", "\xEF\xBB\xBF<plist><string>x</string></plist>", 0, NULL },
	{ "doctype_comment", "<?xml version=\"1.0\"?><!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"x.dtd\"><!-- c --><plist><dict><key>k</key><!-- c2 --><false/></dict></plist>", 0, NULL },
	{ "cdata", "<plist><string><![CDATA[<not a tag>]]></string></plist>", 0, NULL },
	{ "empty_key", "<plist><dict><key/><string>x</string><key></key2></dict></plist>", MX_EFORMAT, "closed by" },
	{ "duplicate_key", "<plist><dict><key>a</key><true/><key>b</key><true/><key>a</key><false/></dict></plist>", MX_EFORMAT, "duplicate key" },
	{ "duplicate_key_path", "<plist><dict><key>Outer</key><array><dict/><dict><key>x</key><true/><key>x</key><true/></dict></array></dict></plist>", MX_EFORMAT, "Outer[1].x" },
	{ "same_key_other_dicts", "<plist><array><dict><key>a</key><true/></dict><dict><key>a</key><true/></dict></array></plist>", 0, NULL },
	{ "duplicate_by_entity", "<plist><dict><key>a&amp;b</key><true/><key>a&#38;b</key><true/></dict></plist>", MX_EFORMAT, "duplicate" },
	/* the other ways two key texts are one key in libplist's tree (the scan
	 * compares texts; the tree is then counted) */
	{ "duplicate_by_cdata", "<plist><dict><key>ab</key><true/><key><![CDATA[ab]]></key><true/></dict></plist>", MX_EFORMAT, "duplicate dictionary key" },
	{ "duplicate_by_comment", "<plist><dict><key>ab</key><true/><key>a<!-- x -->b</key><true/></dict></plist>", MX_EFORMAT, "duplicate dictionary key" },
	{ "duplicate_by_entity_nested", "<plist><array><dict><key>x</key><dict><key>&lt;</key><true/><key>&#60;</key><true/></dict></dict></array></plist>", MX_EFORMAT, "duplicate dictionary key" },
	{ "entities_distinct", "<plist><dict><key>a&amp;b</key><true/><key>a&amp;c</key><true/><key>a</key><dict><key>&lt;</key><false/></dict></dict></plist>", 0, NULL },
	{ "unclosed", "<plist><dict><key>a</key><string>x</string>", MX_EFORMAT, "truncated" },
	{ "mismatched", "<plist><dict></array></plist>", MX_EFORMAT, "closed by" },
	{ "key_without_value", "<plist><dict><key>a</key></dict></plist>", MX_EFORMAT, "key without a value" },
	{ "value_without_key", "<plist><dict><string>x</string></dict></plist>", MX_EFORMAT, "without a key" },
	{ "unknown_element", "<plist><dict><key>a</key><stving>x</stving></dict></plist>", MX_EFORMAT, "unknown element <stving>" },
	{ "text_outside", "hello <plist/>", MX_EFORMAT, "not a property list" },
	{ "not_plist", "\x01\x02\x03", MX_EFORMAT, "not a property list" },
	{ "empty", "", MX_EFORMAT, "empty" },
	{ "nul_byte", "<plist><string>a</string>\0</plist>", MX_EFORMAT, NULL },
	{ "two_roots", "<plist><true/><false/></plist>", MX_EFORMAT, "more than one" },
	/* libplist 2.2 reads 12; macOS refuses it (issue 14 §10) */
	{ "bad_integer", "<plist><integer>12abc</integer></plist>", MX_EFORMAT, "is not an integer" },
	{ "bplist_truncated", "bplist00\xd0", MX_EFORMAT, "too short" },
};

MX_TEST(plist_parse_table)
{
	for (size_t i = 0; i < sizeof plist_cases / sizeof plist_cases[0]; i++) {
		mx_err err = { 0 };
		plist_t p = NULL;
		size_t len = strlen(plist_cases[i].text);
		if (strcmp(plist_cases[i].name, "nul_byte") == 0)
			len = 34;
		int rc = mx_plist_parse(&p, (const uint8_t *)plist_cases[i].text, len, "t.plist", &err);
		if (rc != plist_cases[i].code)
			mx_test_fail_at(__FILE__, __LINE__, "%s: rc %d, expected %d (%s: %s)",
			    plist_cases[i].name, rc, plist_cases[i].code, err.where, err.msg);
		if (rc == 0)
			CHECK(p != NULL);
		else
			CHECK(p == NULL);
		if (rc != 0 && plist_cases[i].msg_has != NULL &&
		    strstr(err.msg, plist_cases[i].msg_has) == NULL &&
		    strstr(err.where, plist_cases[i].msg_has) == NULL)
			mx_test_fail_at(__FILE__, __LINE__, "%s: message \"%s: %s\" lacks \"%s\"",
			    plist_cases[i].name, err.where, err.msg, plist_cases[i].msg_has);
		if (rc != 0)
			CHECK(strncmp(err.where, "t.plist", 7) == 0);
		plist_free(p);
	}
}

static uint8_t *
deep_xml(size_t depth, size_t *len)
{
	size_t n = 7 + depth * 7 + depth * 8 + 8;
	uint8_t *b = malloc(n + 1), *q = b;
	memcpy(q, "<plist>", 7), q += 7;
	for (size_t i = 0; i < depth; i++)
		memcpy(q, "<array>", 7), q += 7;
	for (size_t i = 0; i < depth; i++)
		memcpy(q, "</array>", 8), q += 8;
	memcpy(q, "</plist>", 8), q += 8;
	*len = (size_t)(q - b);
	return b;
}

/* depth arrays each holding the next: objects 0..depth-1, refsize 3, offsets 4 */
static uint8_t *
deep_bplist(size_t depth, size_t *len)
{
	size_t n = 8 + depth * 4 + depth * 4 + 32;
	uint8_t *b = calloc(1, n), *q = b;
	memcpy(q, "bplist00", 8), q += 8;
	uint32_t *offs = calloc(depth, sizeof *offs);
	for (size_t i = 0; i < depth; i++) {
		offs[i] = (uint32_t)(q - b);
		if (i + 1 == depth) {
			*q++ = 0xA0;
		} else {
			*q++ = 0xA1;
			*q++ = (uint8_t)((i + 1) >> 16), *q++ = (uint8_t)((i + 1) >> 8), *q++ = (uint8_t)(i + 1);
		}
	}
	size_t offtab = (size_t)(q - b);
	for (size_t i = 0; i < depth; i++) {
		q[0] = (uint8_t)(offs[i] >> 24), q[1] = (uint8_t)(offs[i] >> 16);
		q[2] = (uint8_t)(offs[i] >> 8), q[3] = (uint8_t)offs[i];
		q += 4;
	}
	free(offs);
	memset(q, 0, 32);
	q[6] = 4, q[7] = 3;
	for (int k = 0; k < 8; k++) {
		q[8 + k] = (uint8_t)((uint64_t)depth >> (56 - 8 * k));
		q[24 + k] = (uint8_t)((uint64_t)offtab >> (56 - 8 * k));
	}
	q += 32;
	*len = (size_t)(q - b);
	return b;
}

MX_TEST(plist_depth_limits)
{
	static const struct { bool bin; size_t depth; int code; } cases[] = {
		{ false, 512, 0 }, { false, 513, MX_EFORMAT }, { false, 1000000, MX_EFORMAT },
		{ true, 512, 0 }, { true, 513, MX_EFORMAT }, { true, 200000, MX_EFORMAT },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len;
		uint8_t *b = cases[i].bin ? deep_bplist(cases[i].depth, &len) : deep_xml(cases[i].depth, &len);
		mx_err err = { 0 };
		plist_t p = NULL;
		int rc = mx_plist_parse(&p, b, len, "deep", &err);
		if (rc != cases[i].code)
			mx_test_fail_at(__FILE__, __LINE__, "%s depth %zu: rc %d (%s)",
			    cases[i].bin ? "binary" : "xml", cases[i].depth, rc, err.msg);
		if (rc != 0)
			CHECK(strstr(err.msg, "nesting deeper than 512") != NULL);
		plist_free(p);
		free(b);
	}
}

/* XML of a dict holding, under "k" (literal) or "&#107;" (an entity: the
 * tree is walked), an array of rows arrays of cols <true/>: 2 + rows +
 * rows * cols values.  Rows keep each array short (libplist grows an array
 * by a fixed step, which the sanitizer's realloc makes quadratic). */
static uint8_t *
many_xml(size_t rows, size_t cols, bool entity_key, size_t *len)
{
	const char *head = entity_key ? "<plist><dict><key>&#107;</key><array>" :
	    "<plist><dict><key>k</key><array>";
	size_t hl = strlen(head), cap = hl + rows * (15 + cols * 7) + 64;
	uint8_t *b = malloc(cap), *q = b;
	memcpy(q, head, hl), q += hl;
	for (size_t r = 0; r < rows; r++) {
		memcpy(q, "<array>", 7), q += 7;
		for (size_t i = 0; i < cols; i++)
			memcpy(q, "<true/>", 7), q += 7;
		memcpy(q, "</array>", 8), q += 8;
	}
	memcpy(q, "</array></dict></plist>", 23), q += 23;
	*len = (size_t)(q - b);
	return b;
}

/* The node cap holds for XML whether the nodes are counted by the scan
 * (literal keys) or by walking the tree (a key with an entity). */
MX_TEST(plist_xml_node_cap)
{
	for (int entity = 0; entity < 2; entity++) {
		size_t len;
		/* 1,001,002 values */
		uint8_t *b = many_xml(1000, 1000, entity, &len);
		mx_err err = { 0 };
		plist_t p = NULL;
		CHECK_EQ_INT(mx_plist_parse(&p, b, len, "many", &err), MX_ETOOBIG);
		CHECK(p == NULL);
		CHECK(strstr(err.msg, "more than 1000000 plist nodes") != NULL);
		free(b);
		/* 999,002: under the cap */
		b = many_xml(998, 1000, entity, &len);
		CHECK_EQ_INT(mx_plist_parse(&p, b, len, "some", &err), 0);
		CHECK(p != NULL && plist_array_get_size(plist_dict_get_item(p, "k")) == 998);
		plist_free(p);
		free(b);
	}
}

/* Hand-made binary plists: each a small object table. */
static uint8_t *
bplist(const uint8_t *objs, size_t objlen, const uint8_t *offsets, size_t nobj, uint8_t refsize,
    size_t *len)
{
	size_t n = 8 + objlen + nobj + 32;
	uint8_t *b = calloc(1, n);
	memcpy(b, "bplist00", 8);
	memcpy(b + 8, objs, objlen);
	for (size_t i = 0; i < nobj; i++)
		b[8 + objlen + i] = (uint8_t)(8 + offsets[i]);
	uint8_t *t = b + 8 + objlen + nobj;
	t[6] = 1;
	t[7] = refsize;
	t[15] = (uint8_t)nobj;
	t[31] = (uint8_t)(8 + objlen);
	*len = n;
	return b;
}

MX_TEST(plist_binary_table)
{
	/* object bytes, offsets (relative to the object area), expectation */
	static const struct {
		const char *name;
		uint8_t objs[24];
		size_t objlen;
		uint8_t offs[6];
		size_t nobj;
		int code;
		const char *msg_has;
	} cases[] = {
		/* {a: true}: dict(1) key 1 value 2, "a", true */
		{ "dict_ok", { 0xD1, 1, 2, 0x51, 'a', 0x09 }, 6, { 0, 3, 5 }, 3, 0, NULL },
		/* {a: true, a: false} */
		{ "dup_key", { 0xD2, 1, 1, 2, 3, 0x51, 'a', 0x09, 0x08 }, 9, { 0, 5, 7, 8 }, 4, MX_EFORMAT, "duplicate key \"a\"" },
		/* {"a" (ascii), "a" (utf-16)} */
		{ "dup_key_utf16", { 0xD2, 1, 2, 3, 3, 0x51, 'a', 0x61, 0, 'a', 0x09 }, 11, { 0, 5, 7, 10 }, 4, MX_EFORMAT, "duplicate key" },
		/* array containing itself */
		{ "cycle", { 0xA1, 0 }, 2, { 0 }, 1, MX_EFORMAT, "cycle" },
		/* reference out of range */
		{ "bad_ref", { 0xA1, 9 }, 2, { 0 }, 1, MX_EFORMAT, "out of range" },
		/* dict key that is an integer */
		{ "int_key", { 0xD1, 1, 2, 0x10, 5, 0x09 }, 6, { 0, 3, 5 }, 3, MX_EFORMAT, "not a string" },
		/* string longer than the object area */
		{ "long_string", { 0x5F, 0x10, 0x7F, 'a' }, 4, { 0 }, 1, MX_EFORMAT, "runs past" },
		/* unknown marker */
		{ "bad_marker", { 0x70 }, 1, { 0 }, 1, MX_EFORMAT, "unknown marker" },
		/* {"\0": true} as UTF-16: libplist 2.2 would abort on its strlen assertion */
		{ "nul_key_utf16", { 0xD1, 1, 2, 0x61, 0, 0, 0x09 }, 7, { 0, 3, 6 }, 3, MX_EFORMAT, "NUL character" },
		{ "nul_string", { 0x53, 'a', 0, 'b' }, 4, { 0 }, 1, MX_EFORMAT, "NUL character" },
		/* 32-byte integer */
		{ "int_2p5", { 0x15 }, 1, { 0 }, 1, MX_EFORMAT, "integer of 2^5" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len;
		uint8_t *b = bplist(cases[i].objs, cases[i].objlen, cases[i].offs, cases[i].nobj, 1, &len);
		mx_err err = { 0 };
		plist_t p = NULL;
		int rc = mx_plist_parse(&p, b, len, "b.plist", &err);
		if (rc != cases[i].code)
			mx_test_fail_at(__FILE__, __LINE__, "%s: rc %d, expected %d (%s)",
			    cases[i].name, rc, cases[i].code, err.msg);
		if (rc != 0 && cases[i].msg_has && strstr(err.msg, cases[i].msg_has) == NULL)
			mx_test_fail_at(__FILE__, __LINE__, "%s: \"%s\" lacks \"%s\"", cases[i].name,
			    err.msg, cases[i].msg_has);
		plist_free(p);
		free(b);
	}
}

MX_TEST(plist_binary_expansion_bomb)
{
	/* 40 arrays, each [next, next]: 2^40 nodes once libplist copies shared objects */
	uint8_t objs[160], offs[41];
	size_t n = 0;
	for (int i = 0; i < 40; i++) {
		offs[i] = (uint8_t)n;
		objs[n++] = 0xA2, objs[n++] = (uint8_t)(i + 1), objs[n++] = (uint8_t)(i + 1);
	}
	offs[40] = (uint8_t)n;
	objs[n++] = 0x09;
	size_t len;
	uint8_t *b = bplist(objs, n, offs, 41, 1, &len);
	mx_err err = { 0 };
	plist_t p = NULL;
	CHECK_EQ_INT(mx_plist_parse(&p, b, len, "bomb", &err), MX_EFORMAT);
	CHECK(strstr(err.msg, "expands") != NULL);
	free(b);
}

MX_TEST(plist_size_cap)
{
	size_t len = MX_PLIST_MAX_BYTES + 1;
	uint8_t *b = calloc(1, len);
	mx_err err = { 0 };
	plist_t p = NULL;
	CHECK_EQ_INT(mx_plist_parse(&p, b, len, "big", &err), MX_ETOOBIG);
	mx_profile *pr = NULL;
	CHECK_EQ_INT(mx_profile_read(&pr, b, len, "big", &err), MX_ETOOBIG);
	CHECK(pr == NULL);
	free(b);
}

MX_TEST(plist_typed_getters)
{
	static const char *x = "<plist><dict><key>s</key><string>v</string><key>i</key><integer>-3</integer>"
	    "<key>b</key><true/><key>a</key><array/></dict></plist>";
	plist_t p = NULL;
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_plist_parse(&p, (const uint8_t *)x, strlen(x), "x.mobileconfig", &err), 0);
	const char *s = NULL;
	int64_t i = 0;
	bool b = false;
	CHECK_EQ_INT(mx_plist_get_string(&s, p, "s", true, "x", "", &err), 0);
	CHECK_EQ_STR(s, "v");
	CHECK_EQ_INT(mx_plist_get_int(&i, p, "i", true, "x", "", &err), 0);
	CHECK_EQ_INT(i, -3);
	CHECK_EQ_INT(mx_plist_get_bool(&b, p, "b", true, "x", "", &err), 0);
	CHECK(b);
	CHECK_EQ_INT(mx_plist_get_string(&s, p, "missing", false, "x", "", &err), 0);
	CHECK_EQ_INT(mx_plist_get_string(&s, p, "missing", true, "x", "P[0]", &err), MX_EINVALID);
	CHECK_EQ_STR(err.where, "x: P[0].missing");
	CHECK_EQ_INT(mx_plist_get_string(&s, p, "a", true, "x.mobileconfig",
	    "PayloadContent[0]", &err), MX_EINVALID);
	CHECK_EQ_STR(err.where, "x.mobileconfig: PayloadContent[0].a");
	CHECK_EQ_STR(err.msg, "expected string, got array");
	plist_free(p);
}

/* ---- the envelope ---- */

MX_TEST(profile_envelope_table)
{
	static const struct { const char *name, *from, *to; int code; const char *where; } cases[] = {
		{ "ok", NULL, NULL, 0, NULL },
		{ "not_configuration", "<string>Configuration</string>", "<string>Config</string>", MX_EINVALID, "t: PayloadType" },
		{ "identifier_wrong_type", "<string>com.example.p</string>", "<integer>4</integer>", MX_EINVALID, "t: PayloadIdentifier" },
		{ "no_uuid", "<key>PayloadUUID</key>", "<key>PayloadUUIDx</key>", MX_EINVALID, "t: PayloadUUID" },
		{ "version_string", "<integer>1</integer><key>PayloadDisplayName", "<string>1</string><key>PayloadDisplayName", MX_EINVALID, "t: PayloadVersion" },
		{ "content_dict", "<key>PayloadContent</key><array>", "<key>PayloadContent</key><dict/><key>X</key><array>", MX_EINVALID, "t: PayloadContent" },
		{ "payload_no_type", "<string>com.apple.system-extension-policy</string>", "<integer>1</integer>", MX_EINVALID, "t: PayloadContent[0].PayloadType" },
		{ "payload_not_dict", "<key>PayloadContent</key><array>", "<key>PayloadContent</key><array><string>x</string>", MX_EINVALID, "t: PayloadContent[0]" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char buf[4096], out[4200];
		mkprof(buf, sizeof buf, SYSEXT_PAYLOAD(""));
		if (cases[i].from != NULL) {
			char *at = strstr(buf, cases[i].from);
			CHECK(at != NULL);
			if (at == NULL)
				continue;
			snprintf(out, sizeof out, "%.*s%s%s", (int)(at - buf), buf, cases[i].to,
			    at + strlen(cases[i].from));
		} else {
			snprintf(out, sizeof out, "%s", buf);
		}
		mx_profile *p = NULL;
		mx_err err = { 0 };
		int rc = mx_profile_read(&p, (const uint8_t *)out, strlen(out), "t", &err);
		if (rc != cases[i].code)
			mx_test_fail_at(__FILE__, __LINE__, "%s: rc %d (%s: %s)", cases[i].name, rc,
			    err.where, err.msg);
		if (rc != 0 && cases[i].where != NULL && strcmp(err.where, cases[i].where) != 0)
			mx_test_fail_at(__FILE__, __LINE__, "%s: where \"%s\", expected \"%s\"",
			    cases[i].name, err.where, cases[i].where);
		if (rc == 0) {
			CHECK_EQ_STR(mx_profile_identifier(p), "com.example.p");
			CHECK_EQ_STR(mx_profile_display_name(p), "Example");
			CHECK_EQ_STR(mx_profile_organization(p), "");
			CHECK_EQ_INT(mx_profile_payload_count(p), 1);
			CHECK_EQ_STR(mx_profile_payload_type(p, 0), "com.apple.system-extension-policy");
			CHECK_EQ_STR(mx_profile_payload_identifier(p, 0), "com.example.p.sysext");
			CHECK(!mx_profile_is_signed(p));
			CHECK_EQ_STR(mx_profile_signer(p), "");
		}
		mx_profile_free(p);
	}
}

MX_TEST(profile_binary_roundtrip)
{
	char buf[4096];
	mkprof(buf, sizeof buf, SYSEXT_PAYLOAD("<key>AllowUserOverrides</key><false/>"));
	mx_profile *p = NULL, *q = NULL;
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_profile_read(&p, (const uint8_t *)buf, strlen(buf), "t", &err), 0);
	if (p == NULL)
		return;
	uint8_t *bin = NULL;
	size_t blen = 0;
	CHECK_EQ_INT(mx_profile_to_bin(p, &bin, &blen, &err), 0);
	CHECK(blen > 8 && memcmp(bin, "bplist00", 8) == 0);
	CHECK_EQ_INT(mx_profile_read(&q, bin, blen, "t.bin", &err), 0);
	if (q != NULL) {
		CHECK_EQ_STR(mx_profile_uuid(q), "11111111-2222-3333-4444-555555555555");
		char *x1 = NULL, *x2 = NULL;
		uint32_t l1 = 0, l2 = 0;
		plist_to_xml(mx_profile_root(p), &x1, &l1);
		plist_to_xml(mx_profile_root(q), &x2, &l2);
		CHECK(l1 > 0 && l1 == l2 && memcmp(x1, x2, l1) == 0);
		free(x1);
		free(x2);
	}
	free(bin);
	mx_profile_free(p);
	mx_profile_free(q);
}

/* ---- CMS ---- */

/* A self-signed P-256 certificate with CN cn, and the attached SignedData
 * over content.  The caller frees *der. */
static int
cms_sign(const char *cn, const uint8_t *content, size_t clen, uint8_t **der, size_t *dlen)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	if (key == NULL || x == NULL)
		return -1;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME *nm = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, nm);
	X509_set_pubkey(x, key);
	X509_sign(x, key, EVP_sha256());
	BIO *in = BIO_new_mem_buf(content, (int)clen);
	CMS_ContentInfo *cms = CMS_sign(x, key, NULL, in, CMS_BINARY);
	BIO *out = BIO_new(BIO_s_mem());
	int rc = -1;
	if (cms != NULL && i2d_CMS_bio(out, cms) == 1) {
		char *d = NULL;
		long n = BIO_get_mem_data(out, &d);
		*der = malloc((size_t)n);
		memcpy(*der, d, (size_t)n);
		*dlen = (size_t)n;
		rc = 0;
	}
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	BIO_free(out);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

MX_TEST(profile_cms_table)
{
	char buf[4096];
	mkprof(buf, sizeof buf, SYSEXT_PAYLOAD("<key>AllowedTeamIdentifiers</key><array><string>ABCDE12345</string></array>"));
	uint8_t *der = NULL;
	size_t dlen = 0;
	CHECK_EQ_INT(cms_sign("Example MDM Signer", (const uint8_t *)buf, strlen(buf), &der, &dlen), 0);
	if (der == NULL)
		return;
	/* where the plist sits inside the DER, for the forgery */
	uint8_t *team = memmem(der, dlen, "ABCDE12345", 10);
	CHECK(team != NULL);
	static const struct { const char *name; int mutate; int code; const char *msg_has; } cases[] = {
		{ "valid", 0, 0, NULL },
		{ "forged_content", 1, MX_ESIGNATURE, "does not verify" },
		{ "truncated_half", 2, MX_EFORMAT, "malformed CMS" },
		{ "truncated_tail", 3, MX_EFORMAT, "malformed CMS" },
		{ "forged_signature", 4, MX_ESIGNATURE, "does not verify" },
		/* issue 14 §5: bytes after the SignedData verified before */
		{ "trailing_junk", 5, MX_EFORMAT, "400 bytes after the CMS SignedData" },
		{ "trailing_nul", 6, MX_EFORMAT, "1 bytes after the CMS SignedData" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t *b = malloc(dlen + 400);
		memcpy(b, der, dlen);
		size_t len = dlen;
		if (cases[i].mutate == 5) {
			memset(b + dlen, 'J', 400);
			len = dlen + 400;
		} else if (cases[i].mutate == 6) {
			b[dlen] = 0;
			len = dlen + 1;
		}
		if (cases[i].mutate == 1 && team != NULL)
			b[team - der] = 'X';
		else if (cases[i].mutate == 2)
			len = dlen / 2;
		else if (cases[i].mutate == 3)
			len = dlen - 1;
		else if (cases[i].mutate == 4)
			b[dlen - 5] ^= 0x55;     /* inside the signature value at the end */
		mx_profile *p = NULL;
		mx_err err = { 0 };
		int rc = mx_profile_read(&p, b, len, "signed.mobileconfig", &err);
		if (rc != cases[i].code)
			mx_test_fail_at(__FILE__, __LINE__, "%s: rc %d (%s)", cases[i].name, rc, err.msg);
		if (rc != 0 && strstr(err.msg, cases[i].msg_has) == NULL)
			mx_test_fail_at(__FILE__, __LINE__, "%s: \"%s\"", cases[i].name, err.msg);
		if (rc != 0)
			CHECK_EQ_STR(err.where, "signed.mobileconfig");
		if (cases[i].mutate >= 5)
			CHECK_EQ_INT(err.offset, dlen);     /* where the uncovered bytes start */
		if (rc == 0) {
			CHECK(mx_profile_is_signed(p));
			CHECK_EQ_STR(mx_profile_signer(p), "Example MDM Signer");
			CHECK_EQ_STR(mx_profile_identifier(p), "com.example.p");
			CHECK_EQ_INT(mx_profile_payload_count(p), 1);
		}
		mx_profile_free(p);
		free(b);
	}
	/* a signed binary plist */
	mx_profile *p = NULL;
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_profile_read(&p, (const uint8_t *)buf, strlen(buf), "t", &err), 0);
	uint8_t *bin = NULL, *der2 = NULL;
	size_t blen = 0, d2 = 0;
	if (p != NULL && mx_profile_to_bin(p, &bin, &blen, &err) == 0 &&
	    cms_sign("Bin Signer", bin, blen, &der2, &d2) == 0) {
		mx_profile *q = NULL;
		CHECK_EQ_INT(mx_profile_read(&q, der2, d2, "signed-bin", &err), 0);
		if (q != NULL)
			CHECK_EQ_STR(mx_profile_signer(q), "Bin Signer");
		mx_profile_free(q);
	}
	free(bin);
	free(der2);
	mx_profile_free(p);
	free(der);
}

/* ---- schema rules ---- */

MX_TEST(schema_rules_extension_payloads)
{
	static const struct {
		const char *type;
		bool known;
		const char *introduced;
		bool manual, uamdm, ue_forbidden, multiple, supervised;
	} cases[] = {
		{ "com.apple.system-extension-policy", true, "10.15", false, true, true, true, false },
		{ "com.apple.syspolicy.kernel-extension-policy", true, "10.13.2", false, true, true, true, false },
		{ "com.apple.TCC.configuration-profile-policy", true, "10.14", false, true, true, true, false },
		{ "com.apple.webcontent-filter", true, "10.15", true, false, true, true, false },
		{ "com.apple.system-extensions.admin", false, "", true, false, false, false, false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mx_payload_rules r;
		bool known = mx_schema_rules(cases[i].type, &r);
		if (known != cases[i].known || r.known != cases[i].known ||
		    strcmp(r.introduced, cases[i].introduced) != 0 ||
		    r.allow_manual_install != cases[i].manual ||
		    r.requires_user_approved_mdm != cases[i].uamdm ||
		    r.user_enrollment_forbidden != cases[i].ue_forbidden ||
		    r.multiple != cases[i].multiple || r.requires_supervision != cases[i].supervised)
			mx_test_fail_at(__FILE__, __LINE__,
			    "%s: known %d intro %s manual %d uamdm %d ue_forbidden %d multiple %d supervised %d",
			    cases[i].type, r.known, r.introduced, r.allow_manual_install,
			    r.requires_user_approved_mdm, r.user_enrollment_forbidden, r.multiple,
			    r.requires_supervision);
	}
	CHECK(mx_schema_find("TopLevel") != NULL);
	CHECK(mx_schema_find("com.apple.MCX") != NULL);
	CHECK(mx_schema_find("nope") == NULL);
}

/* ---- the 16 real vendor profiles ---- */

struct vendor_row {
	const char *file;
	const char *identifier;
	const char *types;     /* payload types in order, "com.apple." omitted */
	const char *teams;     /* Team IDs named by the two extension payloads, sorted, unique */
	const char *bundles;   /* TEAM/bundle pairs the two payloads allow or mark, in file order */
};

static const struct vendor_row vendor_rows[] = {
	{ "google__system-extension-policy.santa.example.mobileconfig",
	  "com.google.santa.system-extension-policy.40C19D5B-76D7-4C1C-BC9D-2F7EB29CFF4D",
	  "system-extension-policy", "EQHXZ8M8AV", "EQHXZ8M8AV/com.google.santa.daemon" },
	{ "kandji__BoxDrive.mobileconfig", "com.kandji.profile.custom.04aa8ee2-42a7-4185-8164-2d63022e9ed1",
	  "syspolicy.kernel-extension-policy", "M683GB7CPW", "M683GB7CPW/com.box.filesystems.osxfuse" },
	{ "kandji__Dropbox.mobileconfig", "com.kandji.profile.custom.0f365841-9366-4f70-82b8-44b05317d00c",
	  "syspolicy.kernel-extension-policy", "G7HH3F8CAK", "G7HH3F8CAK/com.getdropbox.dropbox.kext" },
	{ "kandji__GoogleDrive.mobileconfig", "com.kandji.profile.custom.3170e686-73a0-4700-92bc-2da3787dcbc5",
	  "syspolicy.kernel-extension-policy", "EQHXZ8M8AV", "EQHXZ8M8AV/com.google.drivefs.filesystems.dfsfuse" },
	{ "kandji__Sentinel-One-Combined-Profile.mobileconfig", "io.kandji.SentinelOne.822C6371-3484-41FF-BBC7-F8D1C06D4968",
	  "TCC.configuration-profile-policy,webcontent-filter,notificationsettings,system-extension-policy",
	  "4AYE5J54KN", "" },
	{ "kandji__Sophos_Central_Settings_with_KEXT.mobileconfig", "com.kandji.profile.custom.1e69d4c7-3bb2-44c3-a5c4-be0570305ebc",
	  "webcontent-filter,system-extension-policy,syspolicy.kernel-extension-policy,notificationsettings,TCC.configuration-profile-policy",
	  "2H5GFH3774", "2H5GFH3774/com.sophos.endpoint.networkextension,2H5GFH3774/com.sophos.endpoint.scanextension" },
	{ "kandji__VirtualBox.mobileconfig", "com.kandji.profile.custom.ca8dd7b8-1c61-4a33-94cf-517b32654fd2",
	  "syspolicy.kernel-extension-policy", "VB5E2TV963",
	  "VB5E2TV963/org.virtualbox.kext.VBoxDrv,VB5E2TV963/org.virtualbox.kext.VBoxUSB,"
	  "VB5E2TV963/org.virtualbox.kext.VBoxNetFlt,VB5E2TV963/org.virtualbox.kext.VBoxNetAdp" },
	{ "kandji__ZoomRooms.mobileconfig", "com.kandji.profile.custom.a02d71a5-5af3-4566-814c-e10c6ec85680",
	  "syspolicy.kernel-extension-policy", "BJ4HAAB9B3", "BJ4HAAB9B3/zoom.us.ZoomAudioDevice" },
	{ "kandji__bitdefender_settings.mobileconfig", "com.kandji.profile.custom.E3D409CC-D789-4934-8D48-EECE678F8508",
	  "notificationsettings,system-extension-policy,TCC.configuration-profile-policy,security.root,webcontent-filter",
	  "GUNFMW623Y", "GUNFMW623Y/com.bitdefender.cst.net.dci.dci-network-extension" },
	{ "kandji__bitdefender_settings_macOS15.mobileconfig", "io.kandji.profile.custom.f6fa498c-38fc-4e86-975b-973fdb57ce66",
	  "system-extension-policy", "GUNFMW623Y", "GUNFMW623Y/com.bitdefender.cst.net.dci.dci-network-extension" },
	{ "kandji__bitdefender_with_kext_settings.mobileconfig", "com.kandji.profile.custom.E3D409CC-D789-4934-8D48-EECE678F8508",
	  "notificationsettings,syspolicy.kernel-extension-policy,system-extension-policy,TCC.configuration-profile-policy,security.root,webcontent-filter",
	  "GUNFMW623Y", "GUNFMW623Y/com.bitdefender.cst.net.dci.dci-network-extension" },
	{ "kandji__crowdstrike_settings.mobileconfig", "io.kandji.profile.custom.9e5ce1bc-8ddb-4d1f-9567-5647e60cbb0d",
	  "webcontent-filter,system-extensions.admin,TCC.configuration-profile-policy,system-extension-policy,notificationsettings",
	  "X9E956P446", "X9E956P446/com.crowdstrike.falcon.Agent" },
	{ "kandji__crowdstrike_settings_macOS15.mobileconfig", "io.kandji.profile.custom.04499e0f-4334-46ba-b24a-d9cd56548f75",
	  "system-extension-policy", "X9E956P446", "X9E956P446/com.crowdstrike.falcon.Agent" },
	{ "kandji__crowdstrike_settings_with_kext.mobileconfig", "com.kandji.crowdstrike",
	  "webcontent-filter,system-extension-policy,notificationsettings,syspolicy.kernel-extension-policy,TCC.configuration-profile-policy",
	  "X9E956P446", "X9E956P446/com.crowdstrike.falcon.Agent" },
	{ "kandji__forticlient_settings.mobileconfig", "962a9590-1fbb-11ec-9621-0242ac130002",
	  "webcontent-filter,TCC.configuration-profile-policy,system-extension-policy,notificationsettings,vpn.managed",
	  "AH4XFXJ7DK", "AH4XFXJ7DK/com.fortinet.forticlient.macos.vpn.nwextension,AH4XFXJ7DK/com.fortinet.forticlient.macos.webfilter" },
	{ "northpolesec__system-extension-policy.santa.example.mobileconfig",
	  "com.northpolesec.santa.system-extension-policy.40C19D5B-76D7-4C1C-BC9D-2F7EB29CFF4D",
	  "system-extension-policy", "ZMCG7MLDV9", "ZMCG7MLDV9/com.northpolesec.santa.daemon" },
};

static void
append(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);
	snprintf(buf + n, len - n, "%s%s", n ? "," : "", s);
}

static void
add_team(char teams[][16], int *nteams, const char *t)
{
	for (int i = 0; i < *nteams; i++)
		if (strcmp(teams[i], t) == 0)
			return;
	if (*nteams < 16)
		snprintf(teams[(*nteams)++], 16, "%s", t);
}

static int
cmp16(const void *a, const void *b)
{
	return strcmp(a, b);
}

MX_TEST(profile_vendor_table)
{
	const char *td = mx_testdata();
	if (td == NULL) {
		mx_test_skip("../shared/testdata is absent");
		return;
	}
	static const char *const dict_keys[] = {
		"AllowedSystemExtensions", "AllowedKernelExtensions", "AllowedSystemExtensionTypes",
		"RemovableSystemExtensions", "NonRemovableSystemExtensions",
		"NonRemovableFromUISystemExtensions",
	};
	for (size_t r = 0; r < sizeof vendor_rows / sizeof vendor_rows[0]; r++) {
		const struct vendor_row *row = &vendor_rows[r];
		char path[1024];
		snprintf(path, sizeof path, "%s/profiles/%s", td, row->file);
		mx_profile *p = NULL;
		mx_err err = { 0 };
		if (mx_profile_read_file(&p, path, &err) != 0) {
			mx_test_fail_at(__FILE__, __LINE__, "%s: %s: %s", row->file, err.where, err.msg);
			continue;
		}
		CHECK_EQ_STR(mx_profile_identifier(p), row->identifier);
		char types[1024] = "", bundles[2048] = "", teamstr[512] = "";
		char teams[16][16];
		int nteams = 0;
		for (size_t i = 0; i < mx_profile_payload_count(p); i++) {
			const char *t = mx_profile_payload_type(p, i);
			append(types, sizeof types, strncmp(t, "com.apple.", 10) == 0 ? t + 10 : t);
			if (strcmp(t, "com.apple.system-extension-policy") != 0 &&
			    strcmp(t, "com.apple.syspolicy.kernel-extension-policy") != 0)
				continue;
			plist_t pl = mx_profile_payload(p, i);
			plist_t ids = plist_dict_get_item(pl, "AllowedTeamIdentifiers");
			for (uint32_t k = 0; ids && k < plist_array_get_size(ids); k++)
				add_team(teams, &nteams, mx_plist_str(plist_array_get_item(ids, k)));
			for (size_t d = 0; d < sizeof dict_keys / sizeof dict_keys[0]; d++) {
				plist_t dict = plist_dict_get_item(pl, dict_keys[d]);
				if (dict == NULL)
					continue;
				plist_dict_iter it = NULL;
				plist_dict_new_iter(dict, &it);
				for (;;) {
					char *team = NULL;
					plist_t arr = NULL;
					plist_dict_next_item(dict, it, &team, &arr);
					if (arr == NULL)
						break;
					add_team(teams, &nteams, team);
					if (d != 2)   /* types name kinds, not bundles */
						for (uint32_t k = 0; k < plist_array_get_size(arr); k++) {
							char pair[300];
							snprintf(pair, sizeof pair, "%s/%s", team,
							    mx_plist_str(plist_array_get_item(arr, k)));
							if (strstr(bundles, pair) == NULL)
								append(bundles, sizeof bundles, pair);
						}
					free(team);
				}
				free(it);
			}
		}
		qsort(teams, (size_t)nteams, sizeof teams[0], cmp16);
		for (int i = 0; i < nteams; i++)
			append(teamstr, sizeof teamstr, teams[i]);
		if (strcmp(types, row->types) != 0)
			mx_test_fail_at(__FILE__, __LINE__, "%s: types %s", row->file, types);
		if (strcmp(teamstr, row->teams) != 0)
			mx_test_fail_at(__FILE__, __LINE__, "%s: teams %s", row->file, teamstr);
		if (strcmp(bundles, row->bundles) != 0)
			mx_test_fail_at(__FILE__, __LINE__, "%s: bundles %s", row->file, bundles);
		CHECK(!mx_profile_is_signed(p));
		mx_profile_free(p);
	}
}

/* ---- validation, table-driven ---- */

static const struct {
	const char *name;
	const char *payloads;   /* PayloadContent items */
	const char *os;
	size_t errors;
	enum mx_severity sev;   /* the problem expected at path (if path) */
	const char *path, *msg_has;
} validate_cases[] = {
	{ "clean_sysext", SYSEXT_PAYLOAD("<key>AllowedTeamIdentifiers</key><array><string>ABCDE12345</string></array>"),
	  "15.1", 0, MX_SEV_ERROR, NULL, NULL },
	{ "wrong_type", SYSEXT_PAYLOAD("<key>AllowedTeamIdentifiers</key><string>ABCDE12345</string>"),
	  "15.1", 1, MX_SEV_ERROR, "PayloadContent[0].AllowedTeamIdentifiers", "expected array, got string" },
	{ "wrong_item_type", SYSEXT_PAYLOAD("<key>AllowedSystemExtensions</key><dict><key>ABCDE12345</key><array><integer>3</integer></array></dict>"),
	  "15.1", 1, MX_SEV_ERROR, "PayloadContent[0].AllowedSystemExtensions.ABCDE12345[0]", "expected string, got integer" },
	{ "bool_as_string", SYSEXT_PAYLOAD("<key>AllowUserOverrides</key><string>no</string>"),
	  "15.1", 1, MX_SEV_ERROR, "PayloadContent[0].AllowUserOverrides", "expected boolean, got string" },
	{ "bool_as_integer", SYSEXT_PAYLOAD("<key>AllowUserOverrides</key><integer>0</integer>"),
	  "15.1", 0, MX_SEV_WARNING, "PayloadContent[0].AllowUserOverrides", "macOS reads it as false" },
	{ "unknown_key", SYSEXT_PAYLOAD("<key>AllowEverything</key><true/>"),
	  "15.1", 0, MX_SEV_WARNING, "PayloadContent[0].AllowEverything", "unknown key" },
	{ "team_in_both", SYSEXT_PAYLOAD("<key>AllowedTeamIdentifiers</key><array><string>ABCDE12345</string></array>"
	  "<key>AllowedSystemExtensions</key><dict><key>ABCDE12345</key><array><string>com.x</string></array></dict>"),
	  "15.1", 1, MX_SEV_ERROR, "PayloadContent[0].AllowedSystemExtensions.ABCDE12345", "also in AllowedTeamIdentifiers" },
	{ "removable_and_not", SYSEXT_PAYLOAD("<key>RemovableSystemExtensions</key><dict><key>ABCDE12345</key><array><string>com.x</string></array></dict>"
	  "<key>NonRemovableSystemExtensions</key><dict><key>ABCDE12345</key><array><string>com.y</string><string>com.x</string></array></dict>"),
	  "15.1", 1, MX_SEV_ERROR, "PayloadContent[0].NonRemovableSystemExtensions.ABCDE12345[1]", "also in RemovableSystemExtensions" },
	{ "removable_and_not_from_ui_may_overlap", SYSEXT_PAYLOAD("<key>RemovableSystemExtensions</key><dict><key>ABCDE12345</key><array><string>com.x</string></array></dict>"
	  "<key>NonRemovableFromUISystemExtensions</key><dict><key>ABCDE12345</key><array><string>com.x</string></array></dict>"),
	  "15.1", 0, MX_SEV_ERROR, NULL, NULL },
	{ "team_lowercase", SYSEXT_PAYLOAD("<key>AllowedTeamIdentifiers</key><array><string>abcde12345</string></array>"),
	  "15.1", 1, MX_SEV_ERROR, "PayloadContent[0].AllowedTeamIdentifiers[0]", "not 10 uppercase" },
	{ "team_short_key", SYSEXT_PAYLOAD("<key>AllowedSystemExtensions</key><dict><key>ABC</key><array><string>com.x</string></array></dict>"),
	  "15.1", 1, MX_SEV_ERROR, "PayloadContent[0].AllowedSystemExtensions.ABC", "not 10 uppercase" },
	{ "sysext_empty_team", SYSEXT_PAYLOAD("<key>AllowedSystemExtensions</key><dict><key></key><array><string>com.x</string></array></dict>"),
	  "15.1", 1, MX_SEV_ERROR, "PayloadContent[0].AllowedSystemExtensions.", "not 10 uppercase" },
	{ "bad_type_string", SYSEXT_PAYLOAD("<key>AllowedSystemExtensionTypes</key><dict><key>ABCDE12345</key><array><string>KernelExtension</string></array></dict>"),
	  "15.1", 1, MX_SEV_ERROR, "PayloadContent[0].AllowedSystemExtensionTypes.ABCDE12345[0]", "not one of" },
	{ "key_too_new", SYSEXT_PAYLOAD("<key>NonRemovableSystemExtensions</key><dict><key>ABCDE12345</key><array><string>com.x</string></array></dict>"),
	  "14.6", 0, MX_SEV_WARNING, "PayloadContent[0].NonRemovableSystemExtensions", "introduced in macOS 15.0: ignored by macOS 14.6" },
	{ "removable_on_11", SYSEXT_PAYLOAD("<key>RemovableSystemExtensions</key><dict><key>ABCDE12345</key><array><string>com.x</string></array></dict>"),
	  "11.6.4", 0, MX_SEV_WARNING, "PayloadContent[0].RemovableSystemExtensions", "introduced in macOS 12.0: ignored by macOS 11.6.4" },
	{ "payload_too_new", SYSEXT_PAYLOAD(""), "10.14.6", 0, MX_SEV_WARNING, "PayloadContent[0]",
	  "introduced in macOS 10.15: ignored by macOS 10.14.6" },
	{ "unknown_payload", "<dict><key>PayloadType</key><string>com.example.thing</string><key>PayloadIdentifier</key><string>x</string>"
	  "<key>PayloadUUID</key><string>B</string><key>PayloadVersion</key><integer>1</integer><key>Whatever</key><true/></dict>",
	  "15.1", 0, MX_SEV_WARNING, "PayloadContent[0].PayloadType", "unknown payload type com.example.thing" },
	{ "kext_unsigned_key", "<dict><key>PayloadType</key><string>com.apple.syspolicy.kernel-extension-policy</string>"
	  "<key>PayloadIdentifier</key><string>k</string><key>PayloadUUID</key><string>K</string><key>PayloadVersion</key><integer>1</integer>"
	  "<key>AllowedKernelExtensions</key><dict><key></key><array><string>com.example.unsigned</string></array></dict></dict>",
	  "10.15.7", 0, MX_SEV_ERROR, NULL, NULL },
	{ "kext_empty_team_in_array", "<dict><key>PayloadType</key><string>com.apple.syspolicy.kernel-extension-policy</string>"
	  "<key>PayloadIdentifier</key><string>k</string><key>PayloadUUID</key><string>K</string><key>PayloadVersion</key><integer>1</integer>"
	  "<key>AllowedTeamIdentifiers</key><array><string></string></array></dict>",
	  "10.15.7", 1, MX_SEV_ERROR, "PayloadContent[0].AllowedTeamIdentifiers[0]", "not 10 uppercase" },
	{ "kext_nonadmin_too_new", "<dict><key>PayloadType</key><string>com.apple.syspolicy.kernel-extension-policy</string>"
	  "<key>PayloadIdentifier</key><string>k</string><key>PayloadUUID</key><string>K</string><key>PayloadVersion</key><integer>1</integer>"
	  "<key>AllowNonAdminUserApprovals</key><true/></dict>",
	  "10.15.7", 0, MX_SEV_WARNING, "PayloadContent[0].AllowNonAdminUserApprovals", "introduced in macOS 11.0" },
	{ "rangelist", "<dict><key>PayloadType</key><string>com.apple.webcontent-filter</string>"
	  "<key>PayloadIdentifier</key><string>w</string><key>PayloadUUID</key><string>W</string><key>PayloadVersion</key><integer>1</integer>"
	  "<key>FilterType</key><string>Firewall</string></dict>",
	  "15.1", 1, MX_SEV_ERROR, "PayloadContent[0].FilterType", "value \"Firewall\" is not one of: BuiltIn, Plugin" },
	{ "missing_required", "<dict><key>PayloadType</key><string>com.apple.security.root</string>"
	  "<key>PayloadIdentifier</key><string>r</string><key>PayloadUUID</key><string>R</string><key>PayloadVersion</key><integer>1</integer></dict>",
	  "15.1", 1, MX_SEV_ERROR, "PayloadContent[0].PayloadContent", "required key missing" },
	{ "duplicate_uuid", SYSEXT_PAYLOAD("") SYSEXT_PAYLOAD(""), "15.1", 1, MX_SEV_ERROR,
	  "PayloadContent[1].PayloadUUID", "same PayloadUUID as PayloadContent[0]" },
	{ "payload_version_missing", "<dict><key>PayloadType</key><string>com.apple.system-extension-policy</string>"
	  "<key>PayloadIdentifier</key><string>s</string><key>PayloadUUID</key><string>S</string></dict>",
	  "15.1", 0, MX_SEV_WARNING, "PayloadContent[0].PayloadVersion", "missing" },
};

MX_TEST(profile_validate_table)
{
	for (size_t i = 0; i < sizeof validate_cases / sizeof validate_cases[0]; i++) {
		char buf[8192];
		mkprof(buf, sizeof buf, validate_cases[i].payloads);
		mx_profile *p = NULL;
		mx_err err = { 0 };
		if (mx_profile_read(&p, (const uint8_t *)buf, strlen(buf), "v", &err) != 0) {
			mx_test_fail_at(__FILE__, __LINE__, "%s: read: %s: %s", validate_cases[i].name,
			    err.where, err.msg);
			continue;
		}
		mx_version os;
		CHECK_EQ_INT(mx_version_parse(&os, validate_cases[i].os, &err), 0);
		mx_problems ps = { 0 };
		size_t n = mx_profile_validate(p, os, &ps);
		bool found = validate_cases[i].path == NULL;
		size_t counted = 0;
		for (size_t k = 0; k < ps.n; k++) {
			counted += ps.v[k].severity == MX_SEV_ERROR;
			if (validate_cases[i].path && strcmp(ps.v[k].path, validate_cases[i].path) == 0 &&
			    ps.v[k].severity == validate_cases[i].sev &&
			    strstr(ps.v[k].msg, validate_cases[i].msg_has) != NULL)
				found = true;
		}
		if (n != validate_cases[i].errors || counted != n || !found) {
			mx_test_fail_at(__FILE__, __LINE__, "%s: %zu errors (expected %zu), %s", validate_cases[i].name,
			    n, validate_cases[i].errors, found ? "problem found" : "problem NOT found");
			for (size_t k = 0; k < ps.n; k++)
				printf("    %s %s: %s\n", mx_severity_name(ps.v[k].severity), ps.v[k].path, ps.v[k].msg);
		}
		mx_problems_free(&ps);
		mx_profile_free(p);
	}
}

MX_TEST(profile_vendor_validate_clean)
{
	const char *td = mx_testdata();
	if (td == NULL) {
		mx_test_skip("../shared/testdata is absent");
		return;
	}
	static const char *const oses[] = { "10.15.7", "11.6.4", "12.7", "14.5", "15.1" };
	for (size_t r = 0; r < sizeof vendor_rows / sizeof vendor_rows[0]; r++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/profiles/%s", td, vendor_rows[r].file);
		mx_profile *p = NULL;
		mx_err err = { 0 };
		if (mx_profile_read_file(&p, path, &err) != 0) {
			mx_test_fail_at(__FILE__, __LINE__, "%s: %s", vendor_rows[r].file, err.msg);
			continue;
		}
		for (size_t o = 0; o < sizeof oses / sizeof oses[0]; o++) {
			mx_version os;
			mx_version_parse(&os, oses[o], &err);
			mx_problems ps = { 0 };
			size_t n = mx_profile_validate(p, os, &ps);
			if (n != 0)
				mx_test_fail_at(__FILE__, __LINE__, "%s on %s: %zu errors", vendor_rows[r].file,
				    oses[o], n);
			mx_problems_free(&ps);
			for (size_t i = 0; i < mx_profile_payload_count(p); i++) {
				mx_strings s = { 0 };
				mx_profile_payload_describe(p, i, os, &s);
				CHECK(s.n > 0);
				mx_strings_free(&s);
			}
		}
		mx_profile_free(p);
	}
}

MX_TEST(profile_describe_sysext)
{
	char buf[4096];
	mkprof(buf, sizeof buf, SYSEXT_PAYLOAD("<key>AllowUserOverrides</key><false/>"
	    "<key>AllowedTeamIdentifiers</key><array><string>EQHXZ8M8AV</string></array>"
	    "<key>AllowedSystemExtensions</key><dict><key>ABCDE12345</key><array><string>com.x.ext</string></array></dict>"
	    "<key>AllowedSystemExtensionTypes</key><dict><key>ABCDE12345</key><array><string>NetworkExtension</string></array></dict>"));
	mx_profile *p = NULL;
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_profile_read(&p, (const uint8_t *)buf, strlen(buf), "d", &err), 0);
	if (p == NULL)
		return;
	static const struct { const char *os; const char *lines; } cases[] = {
		{ "15.1", "installs only via MDM on a user-approved enrollment; refused on User Enrollment|"
		  "allows every system extension of team EQHXZ8M8AV (all types)|"
		  "allows com.x.ext of team ABCDE12345 (NetworkExtension)|"
		  "users may not approve other system extensions (AllowUserOverrides false)" },
		{ "10.15.7", "installs only via MDM on a user-approved enrollment; refused on User Enrollment|"
		  "allows every system extension of team EQHXZ8M8AV (all types)|"
		  "allows com.x.ext of team ABCDE12345 (NetworkExtension)|"
		  "users may not approve other system extensions (AllowUserOverrides false)|"
		  "before macOS 11.3 installing it does not change extensions already waiting or active" },
		{ "10.14.6", "ignored: needs macOS 10.15 (this Mac runs 10.14.6)" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mx_version os;
		mx_version_parse(&os, cases[i].os, &err);
		mx_strings s = { 0 };
		mx_profile_payload_describe(p, 0, os, &s);
		char all[2048] = "";
		for (size_t k = 0; k < s.n; k++) {
			size_t l = strlen(all);
			snprintf(all + l, sizeof all - l, "%s%s", k ? "|" : "", s.v[k]);
		}
		if (strcmp(all, cases[i].lines) != 0)
			mx_test_fail_at(__FILE__, __LINE__, "%s: %s", cases[i].os, all);
		mx_strings_free(&s);
	}
	mx_profile_free(p);
}

/* Many payloads and big dicts stay linear: libplist 2.2 is quadratic on
 * XML dict keys (hence MX_PLIST_MAX_DICT_KEYS) and duplicate checks sort. */
MX_TEST(profile_scale_limits)
{
	size_t n = 5000, cap = n * 300 + 4096;
	char *pls = malloc(cap), *buf = malloc(cap + 1024);
	size_t off = 0;
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(pls + off, cap - off,
		    "<dict><key>PayloadType</key><string>com.apple.system-extension-policy</string>"
		    "<key>PayloadIdentifier</key><string>p%zu</string><key>PayloadUUID</key>"
		    "<string>U%zu</string><key>PayloadVersion</key><integer>1</integer></dict>",
		    i, i == n - 1 ? (size_t)17 : i);
	snprintf(buf, cap + 1024,
	    "<plist><dict><key>PayloadType</key><string>Configuration</string>"
	    "<key>PayloadIdentifier</key><string>x</string><key>PayloadUUID</key><string>X</string>"
	    "<key>PayloadVersion</key><integer>1</integer><key>PayloadContent</key><array>%s</array>"
	    "</dict></plist>", pls);
	mx_profile *p = NULL;
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_profile_read(&p, (const uint8_t *)buf, strlen(buf), "many", &err), 0);
	if (p != NULL) {
		CHECK_EQ_INT(mx_profile_payload_count(p), n);
		CHECK_EQ_STR(mx_profile_payload_identifier(p, n - 1), "p4999");
		mx_problems ps = { 0 };
		mx_version os = { 15, 1, 0 };
		CHECK_EQ_INT(mx_profile_validate(p, os, &ps), 1);
		CHECK(ps.n >= 1 && strcmp(ps.v[ps.n - 1].path, "PayloadContent[4999].PayloadUUID") == 0 &&
		    strstr(ps.v[ps.n - 1].msg, "PayloadContent[17]") != NULL);
		mx_problems_free(&ps);
	}
	mx_profile_free(p);
	/* a dict one key over the cap */
	off = (size_t)snprintf(buf, cap, "<plist><dict>");
	for (int i = 0; i <= MX_PLIST_MAX_DICT_KEYS; i++)
		off += (size_t)snprintf(buf + off, cap - off, "<key>k%d</key><true/>", i);
	off += (size_t)snprintf(buf + off, cap - off, "</dict></plist>");
	plist_t t = NULL;
	CHECK_EQ_INT(mx_plist_parse(&t, (const uint8_t *)buf, off, "wide", &err), MX_EFORMAT);
	CHECK(strstr(err.msg, "more than 8192 keys") != NULL);
	free(pls);
	free(buf);
}
