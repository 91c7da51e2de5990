/*
 * text.h — the text checks every layer shares (issue 14 §4, §9, §10, §13):
 * UTF-8 validity (what may reach a JSON serializer), the one escaping of
 * names and identifiers for text output (control characters and ESC made
 * visible, losslessly), strict decimal numbers (plist <integer>,
 * environment knobs) and strict reals.  Pure functions; no allocation
 * except mx_text_escape_dup.  Owner: src/formats/text.c.
 */
#ifndef MACEXT_TEXT_H
#define MACEXT_TEXT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Is s[0..n) well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates U+D800..U+DFFF, nothing above U+10FFFF)?  NUL bytes count as
 * valid here; callers that hold C strings never see them. */
bool mx_utf8_valid(const char *s, size_t n);
/* The offset of the first byte that is not part of well-formed UTF-8, or
 * n when there is none. */
size_t mx_utf8_bad_offset(const char *s, size_t n);

/* Escapes s for one line of text output, like snprintf: writes at most
 * len - 1 bytes and a NUL into out (out may be NULL when len is 0) and
 * returns the length the whole escaped text needs.
 *   \\ for a backslash, \n \r \t for those controls, \xHH for any other
 *   C0 control byte, DEL and every byte that is not well-formed UTF-8,
 *   \uHHHH for the C1 controls U+0080..U+009F and the bidirectional
 *   controls U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069.
 * Everything else (printable ASCII, other UTF-8) is copied.  Lossless:
 * the original bytes can be recovered; stable: the same input gives the
 * same output. */
size_t mx_text_escape(char *out, size_t len, const char *s);
/* The same into a malloc'd string (the caller frees it). */
char *mx_text_escape_dup(const char *s);
/* Does s need escaping (would mx_text_escape change it)? */
bool mx_text_needs_escape(const char *s);

/* printf for text output (src/formats/textout.c): every %s argument is
 * escaped with mx_text_escape (%.Ns takes N bytes first), every other
 * conversion formatted as printf does, so data can never add a line or
 * reach the terminal as a control sequence (issue 14 §4).  The format
 * itself is the program's and is copied.  _vformat/_format return a
 * malloc'd string. */
char *mx_text_vformat(const char *fmt, va_list ap);
char *mx_text_format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int mx_text_vfprintf(FILE *f, const char *fmt, va_list ap);
int mx_text_fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int mx_text_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes an XML property list for reading: its layout as it is, the text of
 * every <key> and <string> escaped like a name (no line a value holds can
 * pass for one of the document's). */
int mx_text_plist_xml(FILE *f, const char *xml);

/* Strict decimal integers: optional leading '-' (only when neg_ok),
 * then one or more digits, nothing else (no spaces, no '+', no "0x", no
 * trailing text).  *neg and *mag get the sign and the magnitude; false
 * when malformed or the magnitude is over UINT64_MAX. */
bool mx_parse_dec(const char *s, size_t n, bool neg_ok, bool *neg, uint64_t *mag);
/* A whole C string as an integer in [min, max]. */
bool mx_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
bool mx_parse_u64(const char *s, uint64_t max, uint64_t *out);

#endif
