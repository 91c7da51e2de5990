/*
 * test_utf8_door.c — issue 14 §9, the door: text that is not UTF-8 never
 * gets into a parsed plist (so never into a JSON document).  XML: raw
 * bytes in a <string> or <key>, character references to surrogates or past
 * U+10FFFF, bytes in a comment; binary: an ASCII (0x5) string with a high
 * byte, UTF-16 (0x6) strings with unpaired surrogates.  Each is refused
 * naming the key path; well-formed UTF-8 and UTF-16 (an emoji) pass and
 * read back as UTF-8.  Account names: mx_user_name_valid.
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "macext/core.h"
#include "macext/plist_util.h"
#include "macext/text.h"

static const struct { const char *name, *doc; const char *where, *msg_has; } xml_rows[] = {
	{ "utf8_ok", "<plist><dict><key>Name</key><string>Jos\xc3\xa9 \xf0\x9f\x98\x80</string></dict></plist>",
	    NULL, NULL },
	{ "latin1_string", "<plist><dict><key>Name</key><string>Jos\xe9</string></dict></plist>",
	    "t: Name", "is not valid UTF-8 (byte 0xe9)" },
	{ "overlong_string", "<plist><array><string>\xc0\xaf</string></array></plist>",
	    "t: [0]", "is not valid UTF-8" },
	{ "latin1_key", "<plist><dict><key>N\xe9</key><string>x</string></dict></plist>",
	    "t", "<key> is not valid UTF-8" },
	{ "surrogate_ref", "<plist><dict><key>A</key><string>&#xDC00;</string></dict></plist>",
	    "t: A", "UTF-16 surrogate" },
	{ "past_unicode_ref", "<plist><dict><key>A</key><string>&#1114112;</string></dict></plist>",
	    "t: A", "past U+10FFFF" },
	{ "huge_ref", "<plist><dict><key>A</key><string>&#x1000000000000041;</string></dict></plist>",
	    "t: A", "past U+10FFFF" },
	{ "comment", "<plist><!-- caf\xe9 --><string>x</string></plist>", "t", "not valid UTF-8" },
};

MX_TEST(utf8_door_xml)
{
	for (size_t i = 0; i < sizeof xml_rows / sizeof xml_rows[0]; i++) {
		plist_t p = NULL;
		mx_err err = { 0 };
		int rc = mx_plist_parse(&p, (const uint8_t *)xml_rows[i].doc, strlen(xml_rows[i].doc),
		    "t", &err);
		if (xml_rows[i].msg_has == NULL) {
			if (rc != 0)
				mx_test_fail_at(__FILE__, __LINE__, "%s: %s", xml_rows[i].name, err.msg);
		} else if (rc == 0 || strstr(err.msg, xml_rows[i].msg_has) == NULL ||
		    strcmp(err.where, xml_rows[i].where) != 0) {
			mx_test_fail_at(__FILE__, __LINE__, "%s: rc %d where \"%s\" msg \"%s\"",
			    xml_rows[i].name, rc, err.where, err.msg);
		}
		plist_free(p);
	}
}

/* bplist00 { "Key": <string object> } with the string object's marker
 * and bytes given; offsets computed here. */
static size_t
bin_dict1(uint8_t *out, uint8_t marker, const uint8_t *sbytes, size_t slen)
{
	size_t n = 0;
	memcpy(out, "bplist00", 8);
	n = 8;
	size_t o0 = n;                       /* object 0: dict of 1 */
	out[n++] = 0xD1;
	out[n++] = 1;                        /* key ref */
	out[n++] = 2;                        /* value ref */
	size_t o1 = n;                       /* object 1: "Key" */
	out[n++] = 0x53;
	memcpy(out + n, "Key", 3);
	n += 3;
	size_t o2 = n;                       /* object 2: the string */
	out[n++] = marker;
	memcpy(out + n, sbytes, slen);
	n += slen;
	size_t ot = n;
	out[n++] = (uint8_t)o0;
	out[n++] = (uint8_t)o1;
	out[n++] = (uint8_t)o2;
	memset(out + n, 0, 32);
	out[n + 6] = 1;                      /* offset size */
	out[n + 7] = 1;                      /* ref size */
	out[n + 15] = 3;                     /* objects */
	out[n + 23] = 0;                     /* top */
	out[n + 31] = (uint8_t)ot;           /* offset table */
	return n + 32;
}

MX_TEST(utf8_door_binary)
{
	static const struct { const char *name; uint8_t marker; const char *bytes; size_t n;
		const char *msg_has; } rows[] = {
		{ "ascii_ok", 0x53, "abc", 3, NULL },
		{ "ascii_high_byte", 0x53, "a\xe9" "c", 3, "ASCII string object holds byte 0xe9" },
		{ "utf16_emoji_ok", 0x62, "\xd8\x3d\xde\x00", 4, NULL },
		{ "utf16_lone_high", 0x62, "\xd8\x3d\x00\x41", 4, "unpaired high surrogate" },
		{ "utf16_lone_low", 0x61, "\xde\x00", 2, "unpaired low surrogate" },
		{ "utf16_high_at_end", 0x61, "\xd8\x3d", 2, "unpaired high surrogate" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		uint8_t b[128];
		size_t n = bin_dict1(b, rows[i].marker, (const uint8_t *)rows[i].bytes, rows[i].n);
		plist_t p = NULL;
		mx_err err = { 0 };
		int rc = mx_plist_parse(&p, b, n, "b", &err);
		if (rows[i].msg_has == NULL) {
			if (rc != 0) {
				mx_test_fail_at(__FILE__, __LINE__, "%s: %s", rows[i].name, err.msg);
			} else {
				const char *s = mx_plist_str(plist_dict_get_item(p, "Key"));
				CHECK(s != NULL && mx_utf8_valid(s, strlen(s)));
			}
		} else if (rc == 0 || strstr(err.msg, rows[i].msg_has) == NULL ||
		    strcmp(err.where, "b: Key") != 0) {
			mx_test_fail_at(__FILE__, __LINE__, "%s: rc %d where \"%s\" msg \"%s\"",
			    rows[i].name, rc, err.where, err.msg);
		}
		plist_free(p);
	}
}

MX_TEST(user_names)
{
	static const struct { const char *name; bool ok; } rows[] = {
		{ "admin", true }, { "alice.smith-2", true }, { "_mbsetupuser", true }, { "Bob", true },
		{ "", false }, { "-rf", false }, { ".hidden", false }, { "a b", false },
		{ "a:b", false }, { "a\nb", false }, { "\x1b[31m", false }, { "jos\xc3\xa9", false },
		{ "tab\there", false }, { "del\x7f", false },
		{ "a123456789012345678901234567890123456789012345678901234567890123", false },
		{ "a12345678901234567890123456789012345678901234567890123456789012", true },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (mx_user_name_valid(rows[i].name) != rows[i].ok)
			mx_test_fail_at(__FILE__, __LINE__, "'%s': expected %d", rows[i].name, rows[i].ok);
	mx_device d;
	memset(&d, 0, sizeof d);
	uint8_t salt[16] = { 0 };
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_device_add_user(&d, "ad\nmin", "pw", true, salt, &err), MX_EUSAGE);
	/* the message carries the name as typed; every text output escapes it
	 * once (mx_text_vformat), JSON escapes it its own way */
	CHECK(strstr(err.msg, "'ad\nmin'") != NULL);
	char *shown = mx_text_format("%s", err.msg);
	CHECK(strstr(shown, "'ad\\nmin'") != NULL && strchr(shown, '\n') == NULL);
	free(shown);
	CHECK_EQ_INT(d.nusers, 0);
	CHECK_EQ_INT(mx_device_add_user(&d, "admin", "pw", true, salt, &err), 0);
	CHECK_EQ_INT(mx_auth_check(&d, "x\x1b[2Jy:pw", false, NULL, &err), MX_EDENIED);
	CHECK(strstr(err.msg, "no user 'x\x1b[2Jy'") != NULL);
	shown = mx_text_format("%s", err.msg);
	CHECK(strstr(shown, "no user 'x\\x1b[2Jy'") != NULL && strchr(shown, 0x1b) == NULL);
	free(shown);
}
