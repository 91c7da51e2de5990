/*
 * pkgxml.c — the few facts Installer's placement needs from a flat
 * package's XML, scanned without an XML library:
 *
 *   PackageInfo   <pkg-info identifier="…" version="…" install-location="/…" auth="root">
 *                   <scripts><preinstall file="./preinstall"/><postinstall file="./postinstall"/>
 *   Distribution  <pkg-ref id="…" …>#Component.pkg</pkg-ref>
 *
 * (formats-and-peers.md has no section on installer packages; the element
 * and attribute names are those productbuild/pkgbuild write, docs/pkg.md.)
 * The scanner skips comments, processing instructions, CDATA and DOCTYPE,
 * reads attributes name="v" or name='v', decodes the five predefined
 * entities and numeric character references; no DTD, no external entity is
 * ever read.  Input is bounded (MX_PKG_MAX_XML) and every value must fit
 * its field and be UTF-8 text.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/pkg.h"
#include "macext/sysextdb.h"

struct scan { const char *start, *p, *end, *name; mx_err *err; };

static int
xfail(struct scan *s, const char *what)
{
	return MX_FAIL(s->err, MX_EFORMAT, (uint64_t)(s->p - s->start), "%s: %s", s->name, what);
}

/* Skips to just past the next occurrence of lit; false at the end. */
static bool
skip_past(struct scan *s, const char *lit)
{
	size_t n = strlen(lit);
	for (const char *q = s->p; q + n <= s->end; q++)
		if (memcmp(q, lit, n) == 0) {
			s->p = q + n;
			return true;
		}
	s->p = s->end;
	return false;
}

/* Appends the UTF-8 of code point cp to out[*o..cap). */
static bool
put_cp(char *out, size_t *o, size_t cap, unsigned long cp)
{
	char b[4];
	size_t n;
	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return false;
	if (cp < 0x80)
		b[0] = (char)cp, n = 1;
	else if (cp < 0x800)
		b[0] = (char)(0xc0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	else if (cp < 0x10000)
		b[0] = (char)(0xe0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
		b[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	else
		b[0] = (char)(0xf0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3f)),
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	if (*o + n >= cap)
		return false;
	memcpy(out + *o, b, n);
	*o += n;
	return true;
}

/* Decodes in[0..n) (character data or an attribute value) into out[cap]. */
static bool
decode(char *out, size_t cap, const char *in, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; ) {
		if (in[i] != '&') {
			if (o + 1 >= cap || in[i] == '<')
				return false;
			out[o++] = in[i++];
			continue;
		}
		const char *semi = memchr(in + i, ';', n - i < 12 ? n - i : 12);
		if (semi == NULL)
			return false;
		size_t l = (size_t)(semi - (in + i)) + 1;
		static const struct { const char *e; char c; } ents[] = {
			{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' } };
		bool done = false;
		for (size_t k = 0; k < 5 && !done; k++)
			if (l == strlen(ents[k].e) && memcmp(in + i, ents[k].e, l) == 0) {
				if (o + 1 >= cap)
					return false;
				out[o++] = ents[k].c;
				done = true;
			}
		if (!done) {
			if (l < 4 || in[i + 1] != '#')
				return false;
			bool hex = in[i + 2] == 'x';
			unsigned long cp = 0;
			for (size_t k = i + (hex ? 3 : 2); k < i + l - 1; k++) {
				int c = (unsigned char)in[k];
				int d = isdigit(c) ? c - '0' : hex && isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
				if (d < 0 || cp > 0x10ffff)
					return false;
				cp = cp * (hex ? 16 : 10) + (unsigned long)d;
			}
			if (!put_cp(out, &o, cap, cp))
				return false;
		}
		i += l;
	}
	out[o] = '\0';
	return mx_text_ok(out);
}

/* Finds the next start tag named tag at or after s->p; *attrs / *alen its
 * attribute text, *empty for "<x/>"; s->p just past the tag.  false at the end. */
static int
next_tag(struct scan *s, const char *tag, const char **attrs, size_t *alen, bool *empty,
    bool *found)
{
	size_t tl = strlen(tag);
	*found = false;
	while (s->p < s->end) {
		const char *lt = memchr(s->p, '<', (size_t)(s->end - s->p));
		if (lt == NULL) {
			s->p = s->end;
			return 0;
		}
		s->p = lt;
		size_t left = (size_t)(s->end - lt);
		if (left >= 4 && memcmp(lt, "<!--", 4) == 0) {
			if (!skip_past(s, "-->"))
				return xfail(s, "unterminated comment");
			continue;
		}
		if (left >= 9 && memcmp(lt, "<![CDATA[", 9) == 0) {
			if (!skip_past(s, "]]>"))
				return xfail(s, "unterminated CDATA");
			continue;
		}
		if (left >= 2 && (lt[1] == '?' || lt[1] == '!')) {
			if (!skip_past(s, ">"))
				return xfail(s, "unterminated declaration");
			continue;
		}
		const char *gt = memchr(lt, '>', left);
		if (gt == NULL)
			return xfail(s, "unterminated tag");
		s->p = gt + 1;
		if (left > tl + 1 && memcmp(lt + 1, tag, tl) == 0 &&
		    (isspace((unsigned char)lt[1 + tl]) || lt[1 + tl] == '/' || lt[1 + tl] == '>')) {
			*attrs = lt + 1 + tl;
			*alen = (size_t)(gt - *attrs);
			*empty = *alen > 0 && (*attrs)[*alen - 1] == '/';
			if (*empty)
				(*alen)--;
			*found = true;
			return 0;
		}
	}
	return 0;
}

/* The value of attribute name in a[0..n) into out[cap]; "" when absent. */
static int
attr(struct scan *s, const char *a, size_t n, const char *name, char *out, size_t cap)
{
	out[0] = '\0';
	size_t nl = strlen(name);
	for (size_t i = 0; i < n; ) {
		while (i < n && isspace((unsigned char)a[i]))
			i++;
		size_t k = i;
		while (k < n && (isalnum((unsigned char)a[k]) || strchr("-_:.", a[k])))
			k++;
		if (k == i)
			return i == n ? 0 : xfail(s, "bad attribute");
		size_t an = k - i;
		while (k < n && isspace((unsigned char)a[k]))
			k++;
		if (k >= n || a[k] != '=')
			return xfail(s, "attribute without a value");
		k++;
		while (k < n && isspace((unsigned char)a[k]))
			k++;
		if (k >= n || (a[k] != '"' && a[k] != '\''))
			return xfail(s, "unquoted attribute value");
		char q = a[k++];
		const char *v = a + k, *e = memchr(v, q, n - k);
		if (e == NULL)
			return xfail(s, "unterminated attribute value");
		if (an == nl && memcmp(a + i, name, nl) == 0) {
			if (!decode(out, cap, v, (size_t)(e - v))) {
				char msg[160];
				snprintf(msg, sizeof msg, "attribute %s: too long or not text", name);
				return xfail(s, msg);
			}
			return 0;
		}
		i = (size_t)(e - a) + 1;
	}
	return 0;
}

int
mx_pkginfo_parse(mx_pkginfo *out, const char *xml, size_t len, const char *name, mx_err *err)
{
	memset(out, 0, sizeof *out);
	if (len > MX_PKG_MAX_XML)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: over %u MiB", name, MX_PKG_MAX_XML >> 20);
	struct scan s = { xml, xml, xml + len, name, err };
	const char *a;
	size_t an;
	bool empty, found;
	int rc = next_tag(&s, "pkg-info", &a, &an, &empty, &found);
	if (rc)
		return rc;
	if (!found)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: no <pkg-info> element", name);
	if ((rc = attr(&s, a, an, "identifier", out->identifier, sizeof out->identifier)) ||
	    (rc = attr(&s, a, an, "version", out->version, sizeof out->version)) ||
	    (rc = attr(&s, a, an, "install-location", out->install_location,
	    sizeof out->install_location)) ||
	    (rc = attr(&s, a, an, "auth", out->auth, sizeof out->auth)))
		return rc;
	if (out->identifier[0] == '\0')
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: pkg-info has no identifier", name);
	if (out->install_location[0] == '\0')
		snprintf(out->install_location, sizeof out->install_location, "/");
	/* "/" itself, or an absolute path without ".." */
	if (strcmp(out->install_location, "/") != 0) {
		size_t l = strlen(out->install_location);
		while (l > 1 && out->install_location[l - 1] == '/')
			out->install_location[--l] = '\0';
		if (!mx_devpath_ok(out->install_location, sizeof out->install_location))
			return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: install-location \"%s\" is not"
			    " an absolute path without \"..\"", name, out->install_location);
	}
	static const char *const scripts[] = { "preinstall", "postinstall" };
	char *dst[] = { out->preinstall, out->postinstall };
	for (int i = 0; i < 2; i++) {
		s.p = xml;
		if ((rc = next_tag(&s, scripts[i], &a, &an, &empty, &found)))
			return rc;
		if (found && (rc = attr(&s, a, an, "file", dst[i], sizeof out->preinstall)))
			return rc;
		const char *f = dst[i];
		if (strncmp(f, "./", 2) == 0)
			memmove(dst[i], f + 2, strlen(f + 2) + 1);
		if (strchr(dst[i], '/') || strcmp(dst[i], "..") == 0)
			return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: %s file \"%s\" is not a name in"
			    " Scripts", name, scripts[i], dst[i]);
	}
	return 0;
}

int
mx_distribution_refs(char (*out)[256], int max, int *n, const char *xml, size_t len,
    const char *name, mx_err *err)
{
	*n = 0;
	if (len > MX_PKG_MAX_XML)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: over %u MiB", name, MX_PKG_MAX_XML >> 20);
	struct scan s = { xml, xml, xml + len, name, err };
	for (;;) {
		const char *a;
		size_t an;
		bool empty, found;
		int rc = next_tag(&s, "pkg-ref", &a, &an, &empty, &found);
		if (rc)
			return rc;
		if (!found)
			return 0;
		if (empty)
			continue;           /* <pkg-ref id="…"/>: a reference without a location */
		const char *close = s.p;
		while (close < s.end && *close != '<')
			close++;
		char text[512];
		if (!decode(text, sizeof text, s.p, (size_t)(close - s.p)))
			return xfail(&s, "pkg-ref: too long or not text");
		char *t = text;
		while (isspace((unsigned char)*t))
			t++;
		size_t tl = strlen(t);
		while (tl && isspace((unsigned char)t[tl - 1]))
			t[--tl] = '\0';
		if (t[0] != '#')
			continue;           /* an absolute URL is not part of this archive */
		t++;
		/* percent-decoding: "#My%20Tool.pkg" */
		char dec[256];
		size_t o = 0;
		for (const char *c = t; *c; c++) {
			unsigned v;
			if (*c == '%' && isxdigit((unsigned char)c[1]) && isxdigit((unsigned char)c[2]) &&
			    sscanf(c + 1, "%2x", &v) == 1 && v) {
				c += 2;
				if (o + 1 >= sizeof dec)
					return xfail(&s, "pkg-ref: too long");
				dec[o++] = (char)v;
			} else {
				if (o + 1 >= sizeof dec)
					return xfail(&s, "pkg-ref: too long");
				dec[o++] = *c;
			}
		}
		dec[o] = '\0';
		if (dec[0] == '\0' || strchr(dec, '/') || strcmp(dec, "..") == 0 || strcmp(dec, ".") == 0 ||
		    !mx_text_ok(dec))
			return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: pkg-ref \"%s\" is not a component"
			    " in this archive", name, dec);
		bool dup = false;
		for (int k = 0; k < *n; k++)
			dup |= strcmp(out[k], dec) == 0;
		if (dup)
			continue;
		if (*n == max)
			return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: more than %d components", name, max);
		snprintf(out[(*n)++], 256, "%s", dec);
	}
}
