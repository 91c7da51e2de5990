/*
 * textout.c — printf for text output that cannot carry forged lines
 * (issue 14 §4).  The format is the program's; the %s arguments are data
 * (names, identifiers, signer names, profile names, paths, messages) and
 * each one is escaped with mx_text_escape before it is laid out, so a name
 * holding a newline, ESC, a C1 or bidirectional control, or an invalid
 * byte prints as visible escapes on the line it belongs to.  Every other
 * conversion is formatted by the C library, one conversion at a time.
 * %.Ns takes N bytes of the argument (as printf does), then escapes them;
 * a width pads the escaped text.  %n is not supported (printed as is).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "macext/err.h"
#include "macext/text.h"

/* The output under construction.  It may start in the caller's stack
 * array (heap false): the first growth past it moves it to the heap. */
struct buf { char *p; size_t n, cap; bool heap; };

static void
grow(struct buf *b, size_t more)
{
	if (b->n + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->n + more + 1)
		cap *= 2;
	if (b->heap) {
		b->p = mx_xrealloc(b->p, cap);
	} else {
		char *q = mx_xmalloc(cap);
		if (b->n)
			memcpy(q, b->p, b->n);
		b->p = q;
		b->heap = true;
	}
	b->cap = cap;
}

static void
append(struct buf *b, const char *s, size_t n)
{
	grow(b, n);
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

enum lenmod { L_NONE, L_HH, L_H, L_L, L_LL, L_Z, L_J, L_T, L_BIG };

/* Lays out one non-%s conversion spec (NUL-terminated, its * arguments in
 * star[0..nstar)) with the next argument, of type T (read once): into a
 * local buffer, and only when that is too small a second time in place. */
#define EMIT(T) do { \
	T v = va_arg(ap, T); \
	char tmp_[128]; \
	int need_ = nstar == 0 ? snprintf(tmp_, sizeof tmp_, spec, v) : nstar == 1 ? \
	    snprintf(tmp_, sizeof tmp_, spec, star[0], v) : \
	    snprintf(tmp_, sizeof tmp_, spec, star[0], star[1], v); \
	if (need_ > 0 && (size_t)need_ < sizeof tmp_) { \
		grow(b, (size_t)need_); \
		memcpy(b->p + b->n, tmp_, (size_t)need_ + 1); \
		b->n += (size_t)need_; \
	} else if (need_ > 0) { \
		grow(b, (size_t)need_); \
		if (nstar == 0) \
			snprintf(b->p + b->n, (size_t)need_ + 1, spec, v); \
		else if (nstar == 1) \
			snprintf(b->p + b->n, (size_t)need_ + 1, spec, star[0], v); \
		else \
			snprintf(b->p + b->n, (size_t)need_ + 1, spec, star[0], star[1], v); \
		b->n += (size_t)need_; \
	} \
} while (0)

/* %d, %i and %u with a length modifier and nothing else (no flag, width or
 * precision) are laid out here: the digits printf would write. */
static void
emit_u(struct buf *b, bool neg, uintmax_t mag)
{
	char d[24];
	size_t k = sizeof d;
	do
		d[--k] = (char)('0' + mag % 10);
	while ((mag /= 10) != 0);
	if (neg)
		d[--k] = '-';
	append(b, d + k, sizeof d - k);
}

static void
emit_i(struct buf *b, intmax_t v)
{
	/* the magnitude of INTMAX_MIN, without overflowing */
	emit_u(b, v < 0, v < 0 ? (uintmax_t)-(v + 1) + 1 : (uintmax_t)v);
}

/* Bytes that mx_text_escape copies as they are: printable ASCII but '\\'
 * (0x5C). */
static const uint8_t plain_byte[256] = { [0x20 ... 0x5B] = 1, [0x5D ... 0x7E] = 1 };

static void
emit_string(struct buf *b, const char *s, bool left, int width, int prec)
{
	if (s == NULL)
		s = "(null)";
	/* the common case: nothing to escape, so the text is the bytes */
	const uint8_t *u = (const uint8_t *)s;
	size_t l = 0, lim = prec >= 0 ? (size_t)prec : SIZE_MAX;
	while (l < lim && plain_byte[u[l]])
		l++;
	if (l == lim || u[l] == '\0') {
		size_t pad = width > 0 && (size_t)width > l ? (size_t)width - l : 0;
		grow(b, l + pad);
		if (!left) {
			memset(b->p + b->n, ' ', pad);
			b->n += pad;
		}
		memcpy(b->p + b->n, s, l);
		b->n += l;
		if (left) {
			memset(b->p + b->n, ' ', pad);
			b->n += pad;
		}
		b->p[b->n] = '\0';
		return;
	}
	char *cut = NULL;
	if (prec >= 0) {
		l = strnlen(s, (size_t)prec);
		cut = mx_xmalloc(l + 1);
		memcpy(cut, s, l);
		cut[l] = '\0';
		s = cut;
	}
	size_t need = mx_text_escape(NULL, 0, s);
	size_t pad = width > 0 && (size_t)width > need ? (size_t)width - need : 0;
	grow(b, need + pad);
	if (!left) {
		memset(b->p + b->n, ' ', pad);
		b->n += pad;
	}
	mx_text_escape(b->p + b->n, need + 1, s);
	b->n += need;
	if (left) {
		memset(b->p + b->n, ' ', pad);
		b->n += pad;
	}
	b->p[b->n] = '\0';
	free(cut);
}

static void
vformat(struct buf *b, const char *fmt, va_list ap0)
{
	va_list ap;
	va_copy(ap, ap0);
	append(b, "", 0);
	const char *p = fmt;
	while (*p) {
		if (*p != '%') {
			const char *q = strchr(p, '%');
			size_t n = q ? (size_t)(q - p) : strlen(p);
			append(b, p, n);
			p += n;
			continue;
		}
		const char *start = p++;
		if (*p == '%') {
			append(b, "%", 1);
			p++;
			continue;
		}
		bool left = false;
		while (*p && strchr("-+ #0'", *p)) {
			if (*p == '-')
				left = true;
			p++;
		}
		int star[2] = { 0, 0 }, nstar = 0, width = -1, prec = -1;
		if (*p == '*') {
			width = star[nstar++] = va_arg(ap, int);
			if (width < 0) {
				left = true;
				width = -width;
			}
			p++;
		} else if (isdigit((unsigned char)*p)) {
			width = 0;
			while (isdigit((unsigned char)*p))
				width = width < 100000 ? width * 10 + (*p - '0') : width, p++;
		}
		if (*p == '.') {
			p++;
			prec = 0;
			if (*p == '*') {
				prec = star[nstar++] = va_arg(ap, int);
				p++;
			} else {
				while (isdigit((unsigned char)*p))
					prec = prec < 100000 ? prec * 10 + (*p - '0') : prec, p++;
			}
		}
		enum lenmod lm = L_NONE;
		const char *lmstart = p;
		if (p[0] == 'h' && p[1] == 'h')
			lm = L_HH, p += 2;
		else if (p[0] == 'l' && p[1] == 'l')
			lm = L_LL, p += 2;
		else if (*p == 'h')
			lm = L_H, p++;
		else if (*p == 'l')
			lm = L_L, p++;
		else if (*p == 'z')
			lm = L_Z, p++;
		else if (*p == 'j')
			lm = L_J, p++;
		else if (*p == 't')
			lm = L_T, p++;
		else if (*p == 'L')
			lm = L_BIG, p++;
		char conv = *p;
		/* "%" + length modifier + conversion: nothing else to lay out */
		bool bare = lmstart == start + 1;
		if (conv == '\0') {
			append(b, start, strlen(start));
			break;
		}
		p++;
		char spec[64];
		size_t sl = (size_t)(p - start);
		if (sl >= sizeof spec) {
			append(b, start, sl);
			continue;
		}
		memcpy(spec, start, sl);
		spec[sl] = '\0';
		switch (conv) {
		case 's':
			emit_string(b, va_arg(ap, const char *), left, width, prec);
			break;
		case 'd': case 'i':
			if (bare && lm != L_T && lm != L_BIG) {
				switch (lm) {
				case L_HH: emit_i(b, (signed char)va_arg(ap, int)); break;
				case L_H: emit_i(b, (short)va_arg(ap, int)); break;
				case L_L: emit_i(b, va_arg(ap, long)); break;
				case L_LL: emit_i(b, va_arg(ap, long long)); break;
				case L_Z: emit_i(b, va_arg(ap, ssize_t)); break;
				case L_J: emit_i(b, va_arg(ap, intmax_t)); break;
				default: emit_i(b, va_arg(ap, int)); break;
				}
				break;
			}
			switch (lm) {
			case L_L: EMIT(long); break;
			case L_LL: EMIT(long long); break;
			case L_Z: EMIT(ssize_t); break;
			case L_J: EMIT(intmax_t); break;
			case L_T: EMIT(ptrdiff_t); break;
			default: EMIT(int); break;
			}
			break;
		case 'u': case 'o': case 'x': case 'X':
			if (conv == 'u' && bare && lm != L_T && lm != L_BIG) {
				switch (lm) {
				case L_HH: emit_u(b, false, (unsigned char)va_arg(ap, unsigned int)); break;
				case L_H: emit_u(b, false, (unsigned short)va_arg(ap, unsigned int)); break;
				case L_L: emit_u(b, false, va_arg(ap, unsigned long)); break;
				case L_LL: emit_u(b, false, va_arg(ap, unsigned long long)); break;
				case L_Z: emit_u(b, false, va_arg(ap, size_t)); break;
				case L_J: emit_u(b, false, va_arg(ap, uintmax_t)); break;
				default: emit_u(b, false, va_arg(ap, unsigned int)); break;
				}
				break;
			}
			switch (lm) {
			case L_L: EMIT(unsigned long); break;
			case L_LL: EMIT(unsigned long long); break;
			case L_Z: EMIT(size_t); break;
			case L_J: EMIT(uintmax_t); break;
			case L_T: EMIT(ptrdiff_t); break;
			default: EMIT(unsigned int); break;
			}
			break;
		case 'c':
			EMIT(int);
			break;
		case 'p':
			EMIT(void *);
			break;
		case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A':
			if (lm == L_BIG)
				EMIT(long double);
			else
				EMIT(double);
			break;
		default:
			append(b, spec, sl);
			break;
		}
	}
	va_end(ap);
}

char *
mx_text_vformat(const char *fmt, va_list ap)
{
	struct buf b = { NULL, 0, 0, true };
	vformat(&b, fmt, ap);
	return b.p;
}

char *
mx_text_format(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = mx_text_vformat(fmt, ap);
	va_end(ap);
	return s;
}

int
mx_text_vfprintf(FILE *f, const char *fmt, va_list ap)
{
	/* a line of output fits the stack; a longer one moves to the heap */
	char first[1024];
	struct buf b = { first, 0, sizeof first, false };
	vformat(&b, fmt, ap);
	size_t n = strlen(b.p);   /* as printed before: up to a NUL from %c */
	int rc = fwrite(b.p, 1, n, f) == n ? (int)n : -1;
	if (b.heap)
		free(b.p);
	return rc;
}

int
mx_text_fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = mx_text_vfprintf(f, fmt, ap);
	va_end(ap);
	return rc;
}

int
mx_text_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = mx_text_vfprintf(stdout, fmt, ap);
	va_end(ap);
	return rc;
}

int
mx_text_plist_xml(FILE *f, const char *xml)
{
	/* the layout (tags, indentation, base64 lines) is the writer's and is
	 * written as is; the text of each <key> and <string> is data, escaped
	 * like every name (libplist writes & < > in it as entities, so the
	 * next '<' ends it) */
	struct buf bb = { NULL, 0, 0, true }, *b = &bb;
	append(b, "", 0);
	const char *p = xml;
	while (*p) {
		const char *lt = strchr(p, '<');
		if (lt == NULL) {
			append(b, p, strlen(p));
			break;
		}
		append(b, p, (size_t)(lt - p));
		const char *gt = strchr(lt, '>');
		if (gt == NULL) {
			append(b, lt, strlen(lt));
			break;
		}
		append(b, lt, (size_t)(gt - lt + 1));
		p = gt + 1;
		bool text = (gt - lt == 4 && strncmp(lt, "<key>", 5) == 0) ||
		    (gt - lt == 7 && strncmp(lt, "<string>", 8) == 0);
		if (text) {
			const char *end = strchr(p, '<');
			size_t n = end ? (size_t)(end - p) : strlen(p);
			char *t = mx_xmalloc(n + 1);
			memcpy(t, p, n);
			t[n] = '\0';
			emit_string(b, t, false, -1, -1);
			free(t);
			p += n;
		}
	}
	size_t n = strlen(b->p);
	int rc = fwrite(b->p, 1, n, f) == n ? 0 : -1;
	free(b->p);
	return rc;
}
