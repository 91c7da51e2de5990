/*
 * text.c — UTF-8 validity, the escaping of untrusted names for text
 * output, and strict decimal numbers (include/macext/text.h).
 *
 * UTF-8 follows RFC 3629 §4 (the well-formed byte sequences table): lead
 * bytes C2..F4, continuation bytes 80..BF with the narrower second-byte
 * ranges after E0 (A0..BF), ED (80..9F: no surrogates), F0 (90..BF) and
 * F4 (80..8F: nothing above U+10FFFF).  CFString refuses the same
 * sequences when it reads UTF-8 (kCFStringEncodingUTF8), so a profile that
 * passes here is one macOS could have read.
 *
 * Escaping exists because names, identifiers and signer names reach the
 * terminal and `macext log`: a newline forges a line, ESC drives the
 * terminal, a bidirectional override reorders what the reader sees.
 */
#include <stdlib.h>
#include <string.h>

#include "macext/err.h"
#include "macext/text.h"

/* Decodes one well-formed sequence at s[0..n): its length, the code point
 * in *cp; 0 when the bytes there are not well-formed UTF-8. */
static size_t
utf8_one(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint8_t c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	uint8_t lo = 0x80, hi = 0xBF;
	uint32_t v;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		v = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;          /* overlong below U+0800 */
		else if (c == 0xED)
			hi = 0x9F;          /* surrogates U+D800..U+DFFF */
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		v = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;          /* overlong below U+10000 */
		else if (c == 0xF4)
			hi = 0x8F;          /* above U+10FFFF */
	} else {
		return 0;                   /* 80..C1, F5..FF never lead */
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		uint8_t t = s[i];
		if (t < (i == 1 ? lo : 0x80) || t > (i == 1 ? hi : 0xBF))
			return 0;
		v = (v << 6) | (t & 0x3F);
	}
	*cp = v;
	return len;
}

size_t
mx_utf8_bad_offset(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0;
	while (i < n) {
		/* runs of ASCII, the common case, without decoding: eight bytes
		 * at a time while none has its top bit set */
		while (n - i >= 8) {
			uint64_t w;
			memcpy(&w, p + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			i += 8;
		}
		if (i == n)
			break;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		uint32_t cp;
		size_t l = utf8_one(p + i, n - i, &cp);
		if (l == 0)
			return i;
		i += l;
	}
	return n;
}

bool
mx_utf8_valid(const char *s, size_t n)
{
	return mx_utf8_bad_offset(s, n) == n;
}

static bool
bidi_control(uint32_t cp)
{
	return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
	    (cp >= 0x2066 && cp <= 0x2069);
}

/* Appends the bytes of t[0..tl) at out[*k], as far as len allows; *k counts
 * every byte the full output needs. */
static void
put(char *out, size_t len, size_t *k, const char *t, size_t tl)
{
	for (size_t i = 0; i < tl; i++, (*k)++)
		if (*k + 1 < len)
			out[*k] = t[i];
}

size_t
mx_text_escape(char *out, size_t len, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = (const uint8_t *)s;
	size_t n = strlen(s), k = 0;
	for (size_t i = 0; i < n;) {
		uint8_t c = p[i];
		char e[8];
		if (c >= 0x20 && c < 0x7F && c != '\\') {
			put(out, len, &k, (const char *)p + i, 1);
			i++;
			continue;
		}
		if (c == '\\' || c == '\n' || c == '\r' || c == '\t') {
			e[0] = '\\';
			e[1] = c == '\\' ? '\\' : c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			put(out, len, &k, e, 2);
			i++;
			continue;
		}
		uint32_t cp = 0;
		size_t l = c < 0x80 ? 0 : utf8_one(p + i, n - i, &cp);
		if (l == 0) {
			/* a C0 control, DEL, or a byte that is not well-formed UTF-8 */
			e[0] = '\\', e[1] = 'x', e[2] = hex[c >> 4], e[3] = hex[c & 15];
			put(out, len, &k, e, 4);
			i++;
			continue;
		}
		if ((cp >= 0x80 && cp <= 0x9F) || bidi_control(cp)) {
			e[0] = '\\', e[1] = 'u';
			for (int d = 0; d < 4; d++)
				e[2 + d] = hex[(cp >> (12 - 4 * d)) & 15];
			put(out, len, &k, e, 6);
		} else {
			put(out, len, &k, (const char *)p + i, l);
		}
		i += l;
	}
	if (len > 0)
		out[k < len ? k : len - 1] = '\0';
	return k;
}

char *
mx_text_escape_dup(const char *s)
{
	size_t n = mx_text_escape(NULL, 0, s);
	char *out = mx_xmalloc(n + 1);
	mx_text_escape(out, n + 1, s);
	return out;
}

bool
mx_text_needs_escape(const char *s)
{
	/* every escape is longer than what it replaces */
	return mx_text_escape(NULL, 0, s) != strlen(s);
}

/* ---- numbers ---- */

bool
mx_parse_dec(const char *s, size_t n, bool neg_ok, bool *neg, uint64_t *mag)
{
	size_t i = 0;
	*neg = false;
	*mag = 0;
	if (i < n && s[i] == '-' && neg_ok) {
		*neg = true;
		i++;
	}
	if (i == n)
		return false;
	uint64_t v = 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*mag = v;
	return true;
}

bool
mx_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	bool neg;
	uint64_t mag;
	if (s == NULL || !mx_parse_dec(s, strlen(s), min < 0, &neg, &mag))
		return false;
	int64_t v;
	if (neg) {
		if (mag > (uint64_t)INT64_MAX + 1)
			return false;
		v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	} else {
		if (mag > (uint64_t)INT64_MAX)
			return false;
		v = (int64_t)mag;
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool
mx_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	bool neg;
	uint64_t mag;
	if (s == NULL || !mx_parse_dec(s, strlen(s), false, &neg, &mag) || mag > max)
		return false;
	*out = mag;
	return true;
}
