/*
 * test_text.c — src/formats/text.c: UTF-8 validity (RFC 3629's table of
 * well-formed sequences, the edges of each row), the text escape (every
 * class of byte it changes, losslessness by decoding the escape again,
 * truncation like snprintf) and strict decimal numbers.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include "harness.h"
#include "macext/text.h"

static const struct { const char *name, *s; size_t n; bool ok; } utf8_cases[] = {
	{ "empty", "", 0, true },
	{ "ascii", "com.example.kext", 16, true },
	{ "two-byte e-acute", "\xc3\xa9", 2, true },
	{ "three-byte euro", "\xe2\x82\xac", 3, true },
	{ "four-byte U+1F600", "\xf0\x9f\x98\x80", 4, true },
	{ "U+10FFFF", "\xf4\x8f\xbf\xbf", 4, true },
	{ "U+D7FF (before surrogates)", "\xed\x9f\xbf", 3, true },
	{ "U+E000 (after surrogates)", "\xee\x80\x80", 3, true },
	{ "lone continuation", "\x80", 1, false },
	{ "lead C0 (overlong)", "\xc0\xaf", 2, false },
	{ "lead C1 (overlong)", "\xc1\xbf", 2, false },
	{ "overlong three-byte", "\xe0\x80\xaf", 3, false },
	{ "overlong four-byte", "\xf0\x80\x80\xaf", 4, false },
	{ "surrogate U+D800", "\xed\xa0\x80", 3, false },
	{ "surrogate U+DFFF", "\xed\xbf\xbf", 3, false },
	{ "above U+10FFFF", "\xf4\x90\x80\x80", 4, false },
	{ "lead F5", "\xf5\x80\x80\x80", 4, false },
	{ "lead FF", "\xff", 1, false },
	{ "truncated two-byte", "\xc3", 1, false },
	{ "truncated four-byte", "\xf0\x9f\x98", 3, false },
	{ "continuation missing mid-string", "a\xc3z", 3, false },
	{ "latin-1 e-acute", "caf\xe9", 4, false },
};

MX_TEST(text_utf8_table)
{
	for (size_t i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++) {
		bool got = mx_utf8_valid(utf8_cases[i].s, utf8_cases[i].n);
		if (got != utf8_cases[i].ok)
			mx_test_fail_at(__FILE__, __LINE__, "%s: valid=%d, expected %d",
			    utf8_cases[i].name, got, utf8_cases[i].ok);
	}
	CHECK_EQ_INT(mx_utf8_bad_offset("ab\xc3\xa9" "c\xff" "d", 7), 5);
	CHECK_EQ_INT(mx_utf8_bad_offset("abc", 3), 3);
}

static const struct { const char *in, *want; } esc_cases[] = {
	{ "admin", "admin" },
	{ "Jos\xc3\xa9 \xe2\x82\xac", "Jos\xc3\xa9 \xe2\x82\xac" },     /* UTF-8 kept */
	{ "a\nb", "a\\nb" },
	{ "a\r\tb", "a\\r\\tb" },
	{ "back\\slash", "back\\\\slash" },
	{ "\x1b[31mred", "\\x1b[31mred" },                           /* ESC */
	{ "bell\x07", "bell\\x07" },
	{ "del\x7f", "del\\x7f" },
	{ "latin1 \xe9", "latin1 \\xe9" },                             /* not UTF-8 */
	{ "\xc2\x9b" "2J", "\\u009b2J" },                              /* C1 CSI */
	{ "\xe2\x80\xae" "txt.exe", "\\u202etxt.exe" },                /* RIGHT-TO-LEFT OVERRIDE */
	{ "\xe2\x81\xa6" "x", "\\u2066x" },                            /* LEFT-TO-RIGHT ISOLATE */
	{ "kext 2024-01-01 12:00 mdm: forged", "kext 2024-01-01 12:00 mdm: forged" },
};

/* Undoes mx_text_escape: the test of losslessness. */
static char *
unescape(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;
	while (*s) {
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		s++;
		if (*s == 'n') { *o++ = '\n'; s++; }
		else if (*s == 'r') { *o++ = '\r'; s++; }
		else if (*s == 't') { *o++ = '\t'; s++; }
		else if (*s == '\\') { *o++ = '\\'; s++; }
		else if (*s == 'x') { *o++ = (char)strtol((char[]){ s[1], s[2], 0 }, NULL, 16); s += 3; }
		else if (*s == 'u') {
			long cp = strtol((char[]){ s[1], s[2], s[3], s[4], 0 }, NULL, 16);
			if (cp < 0x800) {
				*o++ = (char)(0xC0 | (cp >> 6));
				*o++ = (char)(0x80 | (cp & 0x3F));
			} else {
				*o++ = (char)(0xE0 | (cp >> 12));
				*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
				*o++ = (char)(0x80 | (cp & 0x3F));
			}
			s += 5;
		}
	}
	*o = '\0';
	return out;
}

MX_TEST(text_escape_table)
{
	for (size_t i = 0; i < sizeof esc_cases / sizeof esc_cases[0]; i++) {
		char *got = mx_text_escape_dup(esc_cases[i].in);
		CHECK_EQ_STR(got, esc_cases[i].want);
		char *back = unescape(got);
		CHECK_EQ_STR(back, esc_cases[i].in);
		CHECK(mx_text_needs_escape(esc_cases[i].in) == (strcmp(esc_cases[i].in,
		    esc_cases[i].want) != 0));
		/* no escaped output holds a control byte */
		for (const char *p = got; *p; p++)
			CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
		free(back);
		free(got);
	}
}

MX_TEST(text_escape_truncates_like_snprintf)
{
	char buf[6];
	size_t n = mx_text_escape(buf, sizeof buf, "a\nbcdef");
	CHECK_EQ_INT(n, 8);                 /* a \ n b c d e f */
	CHECK_EQ_STR(buf, "a\\nbc");
	CHECK_EQ_INT(mx_text_escape(NULL, 0, "\x1b"), 4);
	/* stable: escaping twice gives the same text both times */
	char *a = mx_text_escape_dup("x\x1by"), *b = mx_text_escape_dup("x\x1by");
	CHECK_EQ_STR(a, b);
	free(a);
	free(b);
}

MX_TEST(text_parse_numbers)
{
	int64_t v;
	uint64_t u;
	CHECK(mx_parse_i64("0", 0, 10, &v) && v == 0);
	CHECK(mx_parse_i64("-9223372036854775808", INT64_MIN, INT64_MAX, &v) && v == INT64_MIN);
	CHECK(mx_parse_i64("9223372036854775807", INT64_MIN, INT64_MAX, &v) && v == INT64_MAX);
	CHECK(!mx_parse_i64("9223372036854775808", INT64_MIN, INT64_MAX, &v));
	CHECK(!mx_parse_i64("-1", 0, 100, &v));        /* no sign when min >= 0 */
	CHECK(!mx_parse_i64("101", 0, 100, &v));
	static const char *const bad[] = { "", "-", "1abc", " 1", "1 ", "+1", "0x10", "1e3",
		"1.0", "abc", "--1" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (mx_parse_i64(bad[i], INT64_MIN, INT64_MAX, &v))
			mx_test_fail_at(__FILE__, __LINE__, "'%s' parsed as %lld", bad[i], (long long)v);
	CHECK(mx_parse_u64("18446744073709551615", UINT64_MAX, &u) && u == UINT64_MAX);
	CHECK(!mx_parse_u64("18446744073709551616", UINT64_MAX, &u));
	CHECK(!mx_parse_u64("18446744073709551617", UINT64_MAX, &u));
	CHECK(!mx_parse_u64("-1", UINT64_MAX, &u));
	bool neg;
	CHECK(mx_parse_dec("-00", 3, true, &neg, &u) && neg && u == 0);
}

/* issue 14 §4: mx_text_format lays out every conversion as printf does,
 * in order (each argument read once), and escapes exactly the %s
 * arguments: a newline in the format stays, one in an argument does not. */
MX_TEST(text_format_matches_printf_but_escapes_strings)
{
	char want[512];
	static const struct { const char *fmt; } plain[] = {
		{ "%6lld|%-10s|%s" }, { "%d %u %x %X %o" }, { "%zu %zd %jd" }, { "%5.2f %g %e" },
		{ "%c%c" }, { "%%literal%%" }, { "%*d|%-*s|%.*s" }, { "%hhd %hd %ld %lu" },
	};
	char *got;
	snprintf(want, sizeof want, plain[0].fmt, 42LL, "actor", "what");
	got = mx_text_format(plain[0].fmt, 42LL, "actor", "what");
	CHECK_EQ_STR(got, want);
	free(got);
	snprintf(want, sizeof want, plain[1].fmt, -7, 7u, 255u, 255u, 8u);
	got = mx_text_format(plain[1].fmt, -7, 7u, 255u, 255u, 8u);
	CHECK_EQ_STR(got, want);
	free(got);
	snprintf(want, sizeof want, plain[2].fmt, (size_t)123, (ssize_t)-5, (intmax_t)-9);
	got = mx_text_format(plain[2].fmt, (size_t)123, (ssize_t)-5, (intmax_t)-9);
	CHECK_EQ_STR(got, want);
	free(got);
	snprintf(want, sizeof want, plain[3].fmt, 3.14159, 0.5, 1e10);
	got = mx_text_format(plain[3].fmt, 3.14159, 0.5, 1e10);
	CHECK_EQ_STR(got, want);
	free(got);
	snprintf(want, sizeof want, plain[4].fmt, 'a', 'b');
	got = mx_text_format(plain[4].fmt, 'a', 'b');
	CHECK_EQ_STR(got, want);
	free(got);
	got = mx_text_format("%%literal%%");
	CHECK_EQ_STR(got, "%literal%");
	free(got);
	snprintf(want, sizeof want, plain[6].fmt, 5, 12, 4, "ab", 3, "abcdef");
	got = mx_text_format(plain[6].fmt, 5, 12, 4, "ab", 3, "abcdef");
	CHECK_EQ_STR(got, want);
	free(got);
	snprintf(want, sizeof want, plain[7].fmt, (signed char)-3, (short)-4, -5L, 6UL);
	got = mx_text_format(plain[7].fmt, (signed char)-3, (short)-4, -5L, 6UL);
	CHECK_EQ_STR(got, want);
	free(got);

	static const struct { const char *fmt, *arg, *want; } esc[] = {
		{ "line: %s\n", "a\nFORGED line", "line: a\\nFORGED line\n" },
		{ "[%s]", "\x1b[31mred", "[\\x1b[31mred]" },
		{ "[%s]", "C1 \xc2\x9b" "2J", "[C1 \\u009b2J]" },
		{ "[%s]", "bidi \xe2\x80\xae" "olleh", "[bidi \\u202eolleh]" },
		{ "[%-6s]", "\t", "[\\t    ]" },
		{ "[%6s]", "\r", "[    \\r]" },
		{ "[%.3s]", "ab\ncd", "[ab\\n]" },
		{ "[%s]", "non-BMP \xf0\x9f\x98\x80 ok", "[non-BMP \xf0\x9f\x98\x80 ok]" },
		{ "[%s]", "back\\slash", "[back\\\\slash]" },
	};
	for (size_t i = 0; i < sizeof esc / sizeof esc[0]; i++) {
		got = mx_text_format(esc[i].fmt, esc[i].arg);
		CHECK_EQ_STR(got, esc[i].want);
		free(got);
	}
}

/* The ASCII fast path of mx_utf8_bad_offset (eight bytes at a time) still
 * finds the first bad byte: every utf8_cases sequence at every offset
 * 0..17 with 0..24 ASCII bytes after it (the sequence falls at each
 * position of a word), and one bad byte at each position of a long run. */
MX_TEST(text_utf8_word_scan_finds_same_offset)
{
	char buf[80];
	for (size_t c = 0; c < sizeof utf8_cases / sizeof utf8_cases[0]; c++) {
		size_t n = utf8_cases[c].n;
		for (size_t pre = 0; pre < 18; pre++)
			for (size_t post = 0; post < 25; post++) {
				memset(buf, 'a', pre);
				memcpy(buf + pre, utf8_cases[c].s, n);
				memset(buf + pre + n, 'b', post);
				size_t total = pre + n + post;
				/* the ASCII around the sequence is good: a bad offset, if
				 * any, lies inside the sequence */
				size_t got = mx_utf8_bad_offset(buf, total);
				if (utf8_cases[c].ok && got != total)
					mx_test_fail_at(__FILE__, __LINE__, "%s at %zu+%zu: bad at %zu", utf8_cases[c].name,
					    pre, post, got);
				if (!utf8_cases[c].ok && (got < pre || got >= pre + n))
					mx_test_fail_at(__FILE__, __LINE__, "%s at %zu+%zu: bad at %zu, not in [%zu, %zu)",
					    utf8_cases[c].name, pre, post, got, pre, pre + n);
			}
	}
	/* a long ASCII run with one bad byte at each position */
	char big[200];
	for (size_t at = 0; at < sizeof big; at++) {
		memset(big, 'x', sizeof big);
		big[at] = (char)0xff;
		CHECK_EQ_INT(mx_utf8_bad_offset(big, sizeof big), at);
	}
	memset(big, 'x', sizeof big);
	CHECK_EQ_INT(mx_utf8_bad_offset(big, sizeof big), sizeof big);
	CHECK_EQ_INT(mx_utf8_bad_offset(big, 0), 0);
}

/* mx_text_format's fast paths (bare %d/%i/%u with any length modifier laid
 * out by hand, strings with nothing to escape copied, a stack buffer for
 * mx_text_printf) give what snprintf gives: extremes of every integer type,
 * strings of every byte, widths and precisions, and outputs longer than
 * any internal buffer. */
MX_TEST(text_format_fast_paths_match_snprintf)
{
	char want[9000];
	char *got;
#define SAME(...) do { snprintf(want, sizeof want, __VA_ARGS__); got = mx_text_format(__VA_ARGS__); \
	CHECK_EQ_STR(got, want); free(got); } while (0)
	SAME("%d %i %d %d", 0, -1, INT_MIN, INT_MAX);
	SAME("%u %u", 0u, UINT_MAX);
	SAME("%hhd %hhd %hhu %hd %hu", 300, -129, 511u, 70000, 70000u);
	SAME("%ld %ld %lu", LONG_MIN, LONG_MAX, ULONG_MAX);
	SAME("%lld %lld %llu", LLONG_MIN, LLONG_MAX, ULLONG_MAX);
	SAME("%zu %zd %zd", SIZE_MAX, (ssize_t)-1, (ssize_t)SSIZE_MAX);
	SAME("%jd %jd %ju", INTMAX_MIN, INTMAX_MAX, UINTMAX_MAX);
	SAME("%td %5d|%-5d|%05d|%+d|% d|%.3d|%x|%lx", (ptrdiff_t)-7, 42, 42, 42, 42, 42, 42, 255u, 255ul);
	SAME("[%s] [%10s] [%-10s] [%.2s] [%.0s] [%.20s] [%s]", "plain", "pad", "left", "cut", "none",
	    "short", "");
	SAME("%s=%d;%s=%zu", "a", 1, "b", (size_t)2);
	SAME("%400d|%-300s|%s", 7, "w", "");
	static char longs[8200];
	memset(longs, 'q', sizeof longs - 1);
	SAME("%s/%s", longs, "end");
	SAME("%.5000s|%d", longs, 3);
#undef SAME
	/* every byte in a string: escaped exactly as mx_text_escape does */
	for (int c = 1; c < 256; c++) {
		char s[4] = { 'a', (char)c, 'z', 0 };
		char *e = mx_text_escape_dup(s);
		snprintf(want, sizeof want, "<%s>", e);
		got = mx_text_format("<%s>", s);
		if (strcmp(got, want) != 0)
			mx_test_fail_at(__FILE__, __LINE__, "byte 0x%02x: \"%s\", expected \"%s\"", c, got, want);
		free(got);
		free(e);
	}
	/* mx_text_fprintf through its stack buffer and past it */
	FILE *f = tmpfile();
	CHECK(f != NULL);
	if (f) {
		CHECK_EQ_INT(mx_text_fprintf(f, "%s|%d\n", "short", 5), 8);
		CHECK_EQ_INT(mx_text_fprintf(f, "%s\n", longs), (int)sizeof longs);
		CHECK_EQ_INT(mx_text_fprintf(f, "[%s]", "a\nb"), 6);
		rewind(f);
		static char back[8300];
		size_t n = fread(back, 1, sizeof back, f);
		CHECK_EQ_INT(n, 8 + sizeof longs + 6);
		CHECK(memcmp(back, "short|5\n", 8) == 0);
		CHECK(memcmp(back + 8, longs, sizeof longs - 1) == 0);
		CHECK(memcmp(back + 8 + sizeof longs, "[a\\nb]", 6) == 0);
		fclose(f);
	}
}
