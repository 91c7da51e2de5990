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

struct buf { char *p; size_t n, cap; };

static void
grow(struct buf *b, size_t more)
{
	if (b->n + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->n + more + 1)
		cap *= 2;
	b->p = mx_xrealloc(b->p, cap);
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
 * star[0..nstar)) with the next argument, of type T (read once). */
#define EMIT(T) do { \
	T v = va_arg(ap, T); \
	int need_ = nstar == 0 ? snprintf(NULL, 0, spec, v) : nstar == 1 ? \
	    snprintf(NULL, 0, spec, star[0], v) : snprintf(NULL, 0, spec, star[0], star[1], v); \
	if (need_ > 0) { \
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

static void
emit_string(struct buf *b, const char *s, bool left, int width, int prec)
{
	if (s == NULL)
		s = "(null)";
	char *cut = NULL;
	if (prec >= 0) {
		size_t l = strnlen(s, (size_t)prec);
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

char *
mx_text_vformat(const char *fmt, va_list ap0)
{
	struct buf bb = { 0 }, *b = &bb;
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
	return b->p;
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
	char *s = mx_text_vformat(fmt, ap);
	size_t n = strlen(s);
	int rc = fwrite(s, 1, n, f) == n ? (int)n : -1;
	free(s);
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
	struct buf bb = { 0 }, *b = &bb;
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
