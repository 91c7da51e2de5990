/*
 * plist_scalar.c — strict XML plist scalars (issue 14 §10).  libplist 2.2
 * reads <integer> with strtoull(s, NULL, 0) (so "1abc" is 1, "" is 0,
 * "010" is octal 8, an overflow is clamped), <real> with atof, <date> with
 * strptime (a bad one is silently 2001-01-01) and <data> by skipping every
 * byte outside the base64 alphabet.  The pre-scan (plist.c) hands it only
 * text both parsers read alike, after CFPropertyList's XML parser
 * (CFPropertyList.c: parseIntegerTag, parseRealTag, parseDateTag,
 * __CFPLDataDecode; swift-foundation's XMLPlistDecodingFormat):
 *
 *   integer  S* [+-]? (digits | 0[xX]hexdigits), nothing after; from
 *            -2^63 to 2^64-1 (CF keeps the top half as a 128-bit number).
 *            Stricter than CF: no space after the sign and no leading zero
 *            before another digit (libplist would read them differently).
 *   real     S* [+-]? (digits [. digits] | . digits) ([eE] [+-]? digits)?,
 *            or nan, inf, infinity (signed or not, any case), which CF
 *            accepts; nothing after.
 *   date     YYYY-MM-DDThh:mm:ssZ exactly, a real calendar date and time
 *            (CF takes out-of-range fields and normalises them; libplist
 *            cannot represent the negative years CF allows).
 *   data     base64 letters, digits, '+', '/', whitespace, and '=' only as
 *            the final padding of a whole last group.  Stricter than CF,
 *            which skips other ASCII bytes and drops a partial last group:
 *            both would lose the administrator's bytes without a word.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "formats/plist_int.h"

static bool
ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int
hexval(uint8_t c)
{
	return digit(c) ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The text as it appears, shortened, for messages. */
static const char *
shown(const uint8_t *t, size_t n, char *buf, size_t len, const char *fmt)
{
	char txt[48];
	size_t k = 0;
	for (size_t i = 0; i < n && k + 5 < sizeof txt; i++)
		k += (size_t)snprintf(txt + k, sizeof txt - k, t[i] >= 0x20 && t[i] < 0x7f &&
		    t[i] != '\\' ? "%c" : "\\x%02x", t[i]);
	if (k + 5 >= sizeof txt)
		snprintf(txt + k, sizeof txt - k, "...");
	snprintf(buf, len, fmt, txt);
	return buf;
}

const char *
mx_plist_check_integer(const uint8_t *t, size_t n, char *buf, size_t len)
{
	size_t i = 0;
	while (i < n && ws(t[i]))
		i++;
	if (i == n)
		return "empty <integer> (macOS refuses it; libplist would read 0)";
	bool neg = t[i] == '-';
	if (t[i] == '-' || t[i] == '+')
		i++;
	if (i < n && ws(t[i]))
		return shown(t, n, buf, len, "'%s': space after the sign of an <integer>");
	bool hex = i + 1 < n && t[i] == '0' && (t[i + 1] == 'x' || t[i + 1] == 'X');
	if (hex)
		i += 2;
	if (i == n)
		return shown(t, n, buf, len, "'%s' is not an integer (no digits)");
	if (!hex && t[i] == '0' && i + 1 < n) {
		size_t z = i;
		while (z < n && t[z] == '0')
			z++;
		if (z < n && digit(t[z]))
			return shown(t, n, buf, len, "'%s': a leading zero (macOS reads the number as "
			    "decimal, libplist as octal)");
	}
	uint64_t v = 0;
	unsigned base = hex ? 16 : 10;
	for (; i < n; i++) {
		int d = hex ? hexval(t[i]) : digit(t[i]) ? t[i] - '0' : -1;
		if (d < 0)
			return shown(t, n, buf, len, "'%s' is not an integer");
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return shown(t, n, buf, len, "'%s' is out of range (an <integer> holds "
			    "-9223372036854775808 to 18446744073709551615)");
		v = v * base + (uint64_t)d;
	}
	if (neg && v > (uint64_t)INT64_MAX + 1)
		return shown(t, n, buf, len, "'%s' is out of range (an <integer> holds "
		    "-9223372036854775808 to 18446744073709551615)");
	return NULL;
}

static bool
word(const uint8_t *t, size_t n, const char *w)
{
	size_t l = strlen(w);
	if (n != l)
		return false;
	for (size_t i = 0; i < l; i++)
		if ((t[i] | 0x20) != w[i])
			return false;
	return true;
}

const char *
mx_plist_check_real(const uint8_t *t, size_t n, char *buf, size_t len)
{
	size_t i = 0;
	while (i < n && ws(t[i]))
		i++;
	if (i == n)
		return "empty <real> (macOS refuses it; libplist would read 0)";
	const uint8_t *s = t + i;
	size_t m = n - i;
	/* CFPropertyList's special values */
	if (word(s, m, "nan") || word(s, m, "inf") || word(s, m, "infinity"))
		return NULL;
	if ((s[0] == '+' || s[0] == '-') && (word(s + 1, m - 1, "inf") ||
	    word(s + 1, m - 1, "infinity")))
		return NULL;
	size_t k = 0, digits = 0;
	if (s[k] == '+' || s[k] == '-')
		k++;
	while (k < m && digit(s[k]))
		k++, digits++;
	if (k < m && s[k] == '.') {
		k++;
		while (k < m && digit(s[k]))
			k++, digits++;
	}
	if (digits == 0)
		return shown(t, n, buf, len, "'%s' is not a real number");
	if (k < m && (s[k] == 'e' || s[k] == 'E')) {
		k++;
		if (k < m && (s[k] == '+' || s[k] == '-'))
			k++;
		size_t e = 0;
		while (k < m && digit(s[k]))
			k++, e++;
		if (e == 0)
			return shown(t, n, buf, len, "'%s' is not a real number (no exponent digits)");
	}
	if (k != m)
		return shown(t, n, buf, len, "'%s' is not a real number");
	return NULL;
}

static int
num(const uint8_t *p, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!digit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

const char *
mx_plist_check_date(const uint8_t *t, size_t n, char *buf, size_t len)
{
	static const char form[] = "dddd-dd-ddTdd:dd:ddZ";
	bool ok = n == sizeof form - 1;
	for (size_t i = 0; ok && i < n; i++)
		ok = form[i] == 'd' ? digit(t[i]) : t[i] == (uint8_t)form[i];
	if (!ok)
		return shown(t, n, buf, len, "'%s' is not a date (expected YYYY-MM-DDThh:mm:ssZ)");
	int y = num(t, 4), mo = num(t + 5, 2), d = num(t + 8, 2);
	int h = num(t + 11, 2), mi = num(t + 14, 2), s = num(t + 17, 2);
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo < 1 || mo > 12 || d < 1 || d > dim[mo - 1] + (mo == 2 && leap) || h > 23 || mi > 59 ||
	    s > 59)
		return shown(t, n, buf, len, "'%s' is not a date (a field is out of range)");
	return NULL;
}

const char *
mx_plist_check_data(const uint8_t *t, size_t n, char *buf, size_t len)
{
	/* each byte's class by table: base64 letters, digits and case mix
	 * unpredictably, and a chain of range compares mispredicted per byte */
	enum { BAD, WS, B64, PAD };
	static const uint8_t cls[256] = {
		[' '] = WS, ['\t'] = WS, ['\r'] = WS, ['\n'] = WS,
		['A' ... 'Z'] = B64, ['a' ... 'z'] = B64, ['0' ... '9'] = B64, ['+'] = B64, ['/'] = B64,
		['='] = PAD,
	};
	size_t chars = 0, pad = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = t[i];
		uint8_t k = cls[c];
		if (k == B64 && pad == 0) {
			chars++;
			continue;
		}
		if (k == WS)
			continue;
		bool b64 = k == B64;
		if (c == '=') {
			pad++;
			chars++;
			continue;
		}
		if (!b64) {
			snprintf(buf, len, "byte 0x%02x at position %zu of <data> is not base64", c, i);
			return buf;
		}
		if (pad > 0)
			return "'=' inside <data> (base64 padding comes only at the end)";
		chars++;
	}
	if (chars % 4 != 0)
		return "<data> ends in a partial base64 group (its last bytes would be lost)";
	if (pad > 2)
		return "more than two '=' of base64 padding in <data>";
	return NULL;
}
