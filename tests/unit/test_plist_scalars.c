/*
 * test_plist_scalars.c — issue 14 §10: XML plist scalars are strict.  Each
 * row is one <integer>, <real>, <date> or <data> text: accepted (what
 * CFPropertyList reads and libplist 2.2 reads the same way) or refused with
 * the key path named.  The accepted rows also check the value libplist
 * then gives, so "accepted" means "read as macOS reads it".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "formats/plist_int.h"
#include "harness.h"
#include "macext/plist_util.h"

static const struct {
	const char *elem, *text;
	bool ok;
	const char *msg_has;      /* refused: part of the message */
} rows[] = {
	{ "integer", "0", true, NULL },
	{ "integer", "42", true, NULL },
	{ "integer", "-42", true, NULL },
	{ "integer", "+7", true, NULL },
	{ "integer", "  12", true, NULL },
	{ "integer", "0x1F", true, NULL },
	{ "integer", "-0x10", true, NULL },
	{ "integer", "000", true, NULL },
	{ "integer", "9223372036854775807", true, NULL },
	{ "integer", "-9223372036854775808", true, NULL },
	{ "integer", "18446744073709551615", true, NULL },
	{ "integer", "18446744073709551616", false, "out of range" },
	{ "integer", "18446744073709551617", false, "out of range" },
	{ "integer", "-9223372036854775809", false, "out of range" },
	{ "integer", "1abc", false, "is not an integer" },
	{ "integer", "", false, "empty <integer>" },
	{ "integer", "12 ", false, "is not an integer" },
	{ "integer", "- 12", false, "space after the sign" },
	{ "integer", "010", false, "leading zero" },
	{ "integer", "1.5", false, "is not an integer" },
	{ "integer", "0x", false, "no digits" },
	{ "integer", "&#49;", false, "is not an integer" },
	{ "integer", "<![CDATA[1]]>", false, "markup" },
	{ "real", "1.5", true, NULL },
	{ "real", "-0.25e-3", true, NULL },
	{ "real", ".5", true, NULL },
	{ "real", "3", true, NULL },
	{ "real", "nan", true, NULL },
	{ "real", "-Infinity", true, NULL },
	{ "real", "+inf", true, NULL },
	{ "real", "", false, "empty <real>" },
	{ "real", "1.5x", false, "not a real number" },
	{ "real", "0x1p3", false, "not a real number" },
	{ "real", "1e", false, "no exponent digits" },
	{ "real", "-nan", false, "not a real number" },
	{ "real", "1,5", false, "not a real number" },
	{ "date", "2024-02-29T23:59:59Z", true, NULL },
	{ "date", "2023-02-29T00:00:00Z", false, "out of range" },
	{ "date", "2024-13-01T00:00:00Z", false, "out of range" },
	{ "date", "2024-01-01T24:00:00Z", false, "out of range" },
	{ "date", "2024-01-01", false, "expected YYYY-MM-DDThh:mm:ssZ" },
	{ "date", " 2024-01-01T00:00:00Z", false, "expected YYYY-MM-DDThh:mm:ssZ" },
	{ "date", "yesterday", false, "expected YYYY-MM-DDThh:mm:ssZ" },
	{ "data", "aGVsbG8=", true, NULL },
	{ "data", "aGVs\n  bG8h", true, NULL },
	{ "data", "", true, NULL },
	{ "data", "aGVsbG8", false, "partial base64 group" },
	{ "data", "aGV*bG8=", false, "not base64" },
	{ "data", "aG=sbG8=", false, "'=' inside" },
	{ "data", "aGVsbG8\xc3\xa9", false, "not base64" },
	/* every class of byte (the check reads a table): padding then
	 * whitespace, all the other letters, too much padding, a letter after it */
	{ "data", "aGVsbA==\n\t ", true, NULL },
	{ "data", "+/+/\t\r\n09AZazxy", true, NULL },
	{ "data", "aGVs====", false, "more than two '='" },
	{ "data", "aGVsbA=x", false, "'=' inside" },
	{ "data", "aGVs\x7f", false, "byte 0x7f at position 4" },
};

MX_TEST(plist_scalar_table)
{
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char doc[512];
		int n = snprintf(doc, sizeof doc, "<plist><dict><key>Outer</key><array><dict>"
		    "<key>Value</key><%s>%s</%s></dict></array></dict></plist>", rows[i].elem,
		    rows[i].text, rows[i].elem);
		plist_t p = NULL;
		mx_err err = { 0 };
		int rc = mx_plist_parse(&p, (const uint8_t *)doc, (size_t)n, "t.plist", &err);
		if (rows[i].ok != (rc == 0)) {
			mx_test_fail_at(__FILE__, __LINE__, "<%s>%s: rc %d (%s)", rows[i].elem,
			    rows[i].text, rc, err.msg);
		} else if (rc != 0) {
			if (strstr(err.msg, rows[i].msg_has) == NULL)
				mx_test_fail_at(__FILE__, __LINE__, "<%s>%s: \"%s\"", rows[i].elem,
				    rows[i].text, err.msg);
			CHECK_EQ_STR(err.where, "t.plist: Outer[0].Value");
			CHECK(err.offset != MX_NO_OFFSET);
		}
		plist_free(p);
	}
}

/* Accepted values read as macOS reads them. */
MX_TEST(plist_scalar_values)
{
	static const struct { const char *text; uint64_t want; } ints[] = {
		{ "42", 42 }, { "-42", (uint64_t)-42 }, { "0x1F", 31 }, { "+7", 7 }, { "  12", 12 },
		{ "000", 0 }, { "18446744073709551615", UINT64_MAX },
		{ "-9223372036854775808", (uint64_t)INT64_MIN },
	};
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		char doc[256];
		int n = snprintf(doc, sizeof doc, "<plist><integer>%s</integer></plist>", ints[i].text);
		plist_t p = NULL;
		mx_err err = { 0 };
		CHECK_EQ_INT(mx_plist_parse(&p, (const uint8_t *)doc, (size_t)n, "t", &err), 0);
		uint64_t v = 1;
		if (p != NULL)
			plist_get_uint_val(p, &v);
		if (v != ints[i].want)
			mx_test_fail_at(__FILE__, __LINE__, "%s read as %llu", ints[i].text,
			    (unsigned long long)v);
		plist_free(p);
	}
	const char *doc = "<plist><real>-Infinity</real></plist>";
	plist_t p = NULL;
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_plist_parse(&p, (const uint8_t *)doc, strlen(doc), "t", &err), 0);
	double d = 0;
	if (p != NULL)
		plist_get_real_val(p, &d);
	CHECK(isinf(d) && d < 0);
	plist_free(p);
}

/* The checkers alone, on text with no element around it. */
MX_TEST(plist_scalar_checkers_direct)
{
	char buf[160];
	CHECK(mx_plist_check_integer((const uint8_t *)"12", 2, buf, sizeof buf) == NULL);
	CHECK(mx_plist_check_integer((const uint8_t *)"1\x00", 2, buf, sizeof buf) != NULL);
	CHECK(mx_plist_check_date((const uint8_t *)"2000-02-29T12:00:00Z", 20, buf, sizeof buf) == NULL);
	CHECK(mx_plist_check_date((const uint8_t *)"1900-02-29T12:00:00Z", 20, buf, sizeof buf) != NULL);
	CHECK(mx_plist_check_data((const uint8_t *)"AA==", 4, buf, sizeof buf) == NULL);
	CHECK(mx_plist_check_data((const uint8_t *)"A===", 4, buf, sizeof buf) != NULL);
	CHECK(mx_plist_check_real((const uint8_t *)"1e5", 3, buf, sizeof buf) == NULL);
}
