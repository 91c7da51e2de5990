/*
 * test_fastpaths.c — the hand-written replacements made for speed
 * (docs/performance.md) give exactly what the library calls they replaced
 * gave: key paths as snprintf("%s.%s") / snprintf("%s[%zu]") wrote them,
 * truncation included, for every buffer size; the XML pre-scan's
 * memchr-based text scanning still finds markup, NUL character references
 * and unterminated elements at the same offsets; and range errors show the
 * value as snprintf showed it.  Every expectation here also held for the
 * code before the change (checked by linking this file against it).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "macext/plist_util.h"
#include "macext/profile.h"

MX_TEST(path_key_matches_snprintf)
{
	static const char *paths[] = { NULL, "", "PayloadContent[0]",
		"PayloadContent[12].AllowedSystemExtensions.ABCDE12345" };
	static const char *keys[] = { "", "k", "AllowedTeamIdentifiers", "a.b[3]" };
	for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++)
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
			for (size_t len = 1; len <= 80; len++) {
				char got[96], want[96];
				memset(got, 'x', sizeof got);
				memset(want, 'x', sizeof want);
				if (paths[p] == NULL || paths[p][0] == '\0')
					snprintf(want, len, "%s", keys[k]);
				else
					snprintf(want, len, "%s.%s", paths[p], keys[k]);
				mx_path_key(got, len, paths[p], keys[k]);
				if (memcmp(got, want, sizeof got) != 0)
					mx_test_fail_at(__FILE__, __LINE__, "mx_path_key(len %zu, \"%s\", \"%s\")"
					    " = \"%s\", snprintf gave \"%s\"", len, paths[p] ? paths[p] : "(null)",
					    keys[k], got, want);
			}
	char one = 'x';
	mx_path_key(&one, 0, "a", "b");   /* len 0 writes nothing, like snprintf */
	CHECK(one == 'x');
}

MX_TEST(path_index_matches_snprintf)
{
	static const char *paths[] = { NULL, "", "PayloadContent", "a.b.c[4]" };
	static const size_t idx[] = { 0, 7, 10, 4294967295u, (size_t)-1 };
	for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++)
		for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++)
			for (size_t len = 1; len <= 48; len++) {
				char got[64], want[64];
				memset(got, 'x', sizeof got);
				memset(want, 'x', sizeof want);
				snprintf(want, len, "%s[%zu]", paths[p] ? paths[p] : "", idx[i]);
				mx_path_index(got, len, paths[p], idx[i]);
				if (memcmp(got, want, sizeof got) != 0)
					mx_test_fail_at(__FILE__, __LINE__, "mx_path_index(len %zu, \"%s\", %zu)"
					    " = \"%s\", snprintf gave \"%s\"", len, paths[p] ? paths[p] : "(null)",
					    idx[i], got, want);
			}
	char one = 'x';
	mx_path_index(&one, 0, "a", 3);
	CHECK(one == 'x');
}

/* The pre-scan's text scanning (memchr for '<' and '&'): outcomes and offsets. */
MX_TEST(xml_prescan_text_scanning)
{
	static const struct {
		const char *xml;
		int code;              /* 0 = parses */
		long long offset;      /* of the error, -1 = none/any */
		const char *msg;       /* substring of the message, NULL = none */
	} cases[] = {
		{ "<plist><string>a &amp; b &#65; c</string></plist>", 0, -1, NULL },
		{ "<plist><string>&#0;</string></plist>", MX_EFORMAT, 15, "character reference to NUL" },
		{ "<plist><string>abc&#x000;</string></plist>", MX_EFORMAT, 18, "character reference to NUL" },
		{ "<plist><string>abc&#;</string></plist>", MX_EFORMAT, -1, "a value libplist rejects" },
		{ "<plist><string>&&&#00</string></plist>", MX_EFORMAT, 17, "character reference to NUL" },
		{ "<plist><string>x&#", MX_EFORMAT, 15, "unterminated <string>" },
		{ "<plist><string>no end tag", MX_EFORMAT, 15, "unterminated <string>" },
		{ "<plist><string>a<![CDATA[<b>&#0;]]>c</string></plist>", MX_EFORMAT, 28, "character reference to NUL" },
		{ "<plist><string>a<![CDATA[<b>]]>c</string></plist>", 0, -1, NULL },
		{ "<plist><string>a<!-- < -->b</string></plist>", 0, -1, NULL },
		{ "<plist><string>a<![CDATA[never closed</string></plist>", MX_EFORMAT, 16, "unterminated CDATA" },
		{ "<plist><string>a<b>c</b></string></plist>", MX_EFORMAT, 16, "closed by <b>" },
		{ "<plist><dict><key>k&#0;</key><true/></dict></plist>", MX_EFORMAT, 19, "character reference to NUL" },
		/* duplicate keys with nested dicts (one key stack for all open dicts) */
		{ "<plist><dict><key>a</key><dict><key>a</key><true/></dict><key>b</key><true/></dict></plist>", 0, -1, NULL },
		{ "<plist><dict><key>a</key><dict><key>a</key><true/></dict><key>a</key><true/></dict></plist>", MX_EFORMAT, 57, "duplicate key" },
		{ "<plist><dict><key>a</key><dict><key>b</key><true/><key>b</key><false/></dict></dict></plist>", MX_EFORMAT, 50, "duplicate key" },
		{ "<plist><array><dict><key>x</key><true/></dict><dict><key>x</key><true/></dict></array></plist>", 0, -1, NULL },
		{ "<plist><dict><key>z</key><array><dict><key>q</key><true/></dict></array><key>y</key><true/><key>z</key><true/></dict></plist>", MX_EFORMAT, 91, "duplicate key" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mx_err err;
		mx_err_clear(&err);
		plist_t p = NULL;
		int rc = mx_plist_parse(&p, (const uint8_t *)cases[i].xml, strlen(cases[i].xml), "t.plist",
		    &err);
		if (rc != cases[i].code)
			mx_test_fail_at(__FILE__, __LINE__, "case %zu: rc %d, want %d (%s)", i, rc,
			    cases[i].code, err.msg);
		if (cases[i].offset >= 0 && (long long)err.offset != cases[i].offset)
			mx_test_fail_at(__FILE__, __LINE__, "case %zu: offset %llu, want %lld (%s)", i,
			    (unsigned long long)err.offset, cases[i].offset, err.msg);
		if (cases[i].msg && strstr(err.msg, cases[i].msg) == NULL)
			mx_test_fail_at(__FILE__, __LINE__, "case %zu: message \"%s\", want \"%s\"", i,
			    err.msg, cases[i].msg);
		CHECK((rc == 0) == (p != NULL));
		plist_free(p);
	}
}

/* check_range formats the offending value by hand now: integers as %lld
 * did (two's complement from libplist, so 2^64-1 reads -1), strings cut
 * at 199 bytes as snprintf into the 200-byte buffer did. */
MX_TEST(validate_range_value_text)
{
	static const struct { const char *xml_value, *shown; } ints[] = {
		{ "-9223372036854775808", "-9223372036854775808" }, { "-5", "-5" }, { "0", "0" },
		{ "7", "7" }, { "9223372036854775807", "9223372036854775807" },
		{ "18446744073709551615", "-1" },
	};
	char big[301];
	memset(big, 'Y', 300);
	big[300] = '\0';
	for (size_t i = 0; i <= sizeof ints / sizeof ints[0]; i++) {
		bool str = i == sizeof ints / sizeof ints[0];
		char xml[2048], want[512];
		snprintf(xml, sizeof xml,
		    "<plist version=\"1.0\"><dict>"
		    "<key>PayloadType</key><string>Configuration</string>"
		    "<key>PayloadIdentifier</key><string>com.example.p</string>"
		    "<key>PayloadUUID</key><string>11111111-2222-3333-4444-555555555555</string>"
		    "<key>PayloadVersion</key><integer>1</integer>"
		    "<key>PayloadContent</key><array><dict>"
		    "<key>PayloadType</key><string>com.apple.TCC.configuration-profile-policy</string>"
		    "<key>PayloadIdentifier</key><string>com.example.p.t</string>"
		    "<key>PayloadUUID</key><string>11111111-2222-3333-4444-555555555557</string>"
		    "<key>PayloadVersion</key><integer>%s</integer>"
		    "<key>Services</key><dict><key>Accessibility</key><array><dict>"
		    "<key>Identifier</key><string>com.example.app</string>"
		    "<key>IdentifierType</key><string>%s</string>"
		    "<key>CodeRequirement</key><string>identifier \"com.example.app\"</string>"
		    "<key>Allowed</key><true/></dict></array></dict></dict></array></dict></plist>",
		    str ? "1" : ints[i].xml_value, str ? big : "bundleID");
		if (str)
			snprintf(want, sizeof want, "value \"%.199s\" is not one of: bundleID, path", big);
		else
			snprintf(want, sizeof want, "value \"%s\" is not one of: 1", ints[i].shown);
		mx_err err;
		mx_err_clear(&err);
		mx_profile *p = NULL;
		if (mx_profile_read(&p, (const uint8_t *)xml, strlen(xml), "r.mobileconfig", &err) != 0) {
			mx_test_fail_at(__FILE__, __LINE__, "case %zu: read: %s", i, err.msg);
			continue;
		}
		mx_problems ps = { 0 };
		mx_version os = { 15, 1, 0 };
		size_t nerr = mx_profile_validate(p, os, &ps);
		bool found = false;
		for (size_t k = 0; k < ps.n; k++)
			found |= ps.v[k].severity == MX_SEV_ERROR && strcmp(ps.v[k].msg, want) == 0;
		if (nerr != 1 || !found)
			mx_test_fail_at(__FILE__, __LINE__, "case %zu: %zu errors, first \"%s\"; want \"%s\"",
			    i, nerr, ps.n ? ps.v[0].msg : "", want);
		mx_problems_free(&ps);
		mx_profile_free(p);
	}
}
