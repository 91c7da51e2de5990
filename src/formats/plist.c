/*
 * plist.c — safe property-list reading on top of libplist 2.2.
 *
 * Before libplist sees a byte we scan the input ourselves:
 *  - XML: a small tokenizer walks the element structure (no entity or
 *    DTD expansion), enforcing depth <= 512, key/value alternation in
 *    dicts, known element names, no duplicate key in one dict (libplist
 *    keeps the last value silently), text that is UTF-8 with character
 *    references to real characters (issue 14 §9), and scalars that macOS
 *    reads and libplist reads the same way (plist_scalar.c, §10).  It
 *    names the offset and key path.
 *  - binary: plist_bin.c (structure, references, cycles, expansion, keys,
 *    strings).  libplist 2.2 recurses per level and crashes on a
 *    100,000-deep binary or 1,000,000-deep XML plist: the scans are the
 *    guard.
 * After parsing, the tree is checked again (depth, node count, XML key count
 * equals the tree's dict entry count: catches duplicates that only differ
 * by entity encoding), and a tree from a binary plist is rebuilt with
 * libplist's lookup indexes (plist_write.c: its binary reader leaves
 * them out, so every lookup would walk).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/plist_int.h"
#include "macext/plist_util.h"
#include "macext/rd.h"
#include "macext/text.h"

/* ---- messages ---- */

int
mx_plist_failp(mx_err *err, int code, uint64_t off, const char *name, const char *path,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	MX_FAIL(err, code, off, "%s", msg);
	if (err != NULL) {
		if (path != NULL && path[0] != '\0')
			snprintf(err->where, sizeof err->where, "%s: %s", name, path);
		else
			snprintf(err->where, sizeof err->where, "%s", name);
	}
	return code;
}

/* Appends s at out[n], truncating like snprintf (out[len - 1] stays for
 * the NUL); returns the new length.  The key-path helpers below run for
 * every key a validator visits, where snprintf was a tenth of the time. */
static size_t
path_cat(char *out, size_t len, size_t n, const char *s)
{
	size_t l = strlen(s);
	if (l > len - 1 - n)
		l = len - 1 - n;
	memcpy(out + n, s, l);
	n += l;
	out[n] = '\0';
	return n;
}

void
mx_path_key(char *out, size_t len, const char *path, const char *key)
{
	if (len == 0)
		return;
	size_t n = 0;
	out[0] = '\0';
	if (path != NULL && path[0] != '\0') {
		n = path_cat(out, len, n, path);
		n = path_cat(out, len, n, ".");
	}
	path_cat(out, len, n, key);
}

void
mx_path_index(char *out, size_t len, const char *path, size_t i)
{
	if (len == 0)
		return;
	char num[24];
	size_t k = sizeof num;
	num[--k] = '\0';
	do
		num[--k] = (char)('0' + i % 10);
	while ((i /= 10) != 0);
	out[0] = '\0';
	size_t n = path_cat(out, len, 0, path ? path : "");
	n = path_cat(out, len, n, "[");
	n = path_cat(out, len, n, num + k);
	path_cat(out, len, n, "]");
}

/* ---- XML pre-scan ---- */

enum { XK_PLIST, XK_DICT, XK_ARRAY };

struct xframe {
	int kind;
	size_t key0;            /* dict: its keys are x->keys[key0 .. x->nkeyst) */
	size_t index;           /* array: next item index; dict: keys so far */
	bool have_key;          /* dict: a key waits for its value */
	const uint8_t *key;     /* dict: the current key (raw text) */
	size_t keylen;
};

struct keyent { const uint8_t *s; size_t n; uint64_t off; };

struct xscan {
	const uint8_t *b;
	size_t len, i;
	const char *name;
	mx_err *err;
	struct xframe *st;      /* grows to at most MX_PLIST_MAX_DEPTH + 2 frames */
	int sp, cap;            /* frames in use, allocated */
	/* the keys of the open dicts, innermost last: dicts nest, so each
	 * one's keys are a contiguous run on this one stack (no allocation per
	 * dict); checked for duplicates when the dict closes */
	struct keyent *keys;
	size_t nkeyst, capkeys;
	size_t nkeys;
	size_t nvalues;         /* values completed: the nodes libplist will make */
	bool root_done;
	bool utf8_ok;           /* the whole text is UTF-8: no element's text can fail */
	bool keys_literal;      /* no key holds '&' or '<' (entity, CDATA, comment) */
	bool text_literal;      /* the last xtext: no CDATA, comment or entity in it */
};

/* What the scan found that the tree checks need. */
struct xcounts {
	size_t nkeys, nvalues;
	bool keys_literal;
};

static void
xpath(const struct xscan *x, char *out, size_t len)
{
	out[0] = '\0';
	size_t n = 0;
	for (int f = 0; f < x->sp && n + 1 < len; f++) {
		const struct xframe *fr = &x->st[f];
		int w = 0;
		if (fr->kind == XK_DICT && fr->have_key) {
			w = snprintf(out + n, len - n, "%s%.*s", n ? "." : "",
			    (int)(fr->keylen > 100 ? 100 : fr->keylen), (const char *)fr->key);
		} else if (fr->kind == XK_ARRAY) {
			w = snprintf(out + n, len - n, "[%zu]", fr->index);
		}
		if (w < 0)
			break;
		n += (size_t)w;
		if (n >= len) {
			out[len - 1] = '\0';
			break;
		}
	}
}

static int
xfail(struct xscan *x, uint64_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
xfail(struct xscan *x, uint64_t off, const char *fmt, ...)
{
	char msg[400], path[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	xpath(x, path, sizeof path);
	return mx_plist_failp(x->err, MX_EFORMAT, off, x->name, path, "%s", msg);
}

static int
keyent_cmp(const void *a, const void *b)
{
	const struct keyent *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	int c = memcmp(x->s, y->s, x->n);
	if (c != 0)
		return c;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* A dict closes: sorts its keys (no hashing, so no adversarial
 * collisions) and fails on the first duplicate, naming its second
 * occurrence. */
static int
xdict_close(struct xscan *x, struct xframe *fr)
{
	int rc = 0;
	size_t nk = x->nkeyst - fr->key0;
	/* (no keys yet: x->keys may still be NULL, and NULL + 0 is undefined) */
	struct keyent *keys = nk ? x->keys + fr->key0 : NULL;
	if (nk > 1) {
		/* keyent_cmp is a total order (offsets differ), so any sort gives
		 * this one order; insertion sort for the usual handful of keys */
		if (nk <= 16) {
			for (size_t a = 1; a < nk; a++) {
				struct keyent e = keys[a];
				size_t b = a;
				for (; b > 0 && keyent_cmp(&keys[b - 1], &e) > 0; b--)
					keys[b] = keys[b - 1];
				keys[b] = e;
			}
		} else {
			qsort(keys, nk, sizeof *keys, keyent_cmp);
		}
		for (size_t k = 1; k < nk && rc == 0; k++) {
			const struct keyent *e = &keys[k];
			if (e->n != keys[k - 1].n || memcmp(e->s, keys[k - 1].s, e->n) != 0)
				continue;
			/* the path of the duplicate: this dict's path + the key */
			fr->key = e->s;
			fr->keylen = e->n;
			fr->have_key = true;
			rc = xfail(x, e->off, "duplicate key");
		}
	}
	x->nkeyst = fr->key0;
	return rc;
}

static bool
xstarts(const struct xscan *x, size_t at, const char *lit)
{
	size_t n = strlen(lit);
	return at <= x->len && x->len - at >= n && memcmp(x->b + at, lit, n) == 0;
}

/* Finds lit at or after x->i; returns its offset or SIZE_MAX. */
static size_t
xfind(const struct xscan *x, size_t from, const char *lit)
{
	size_t n = strlen(lit);
	if (x->len < n)
		return SIZE_MAX;
	for (size_t k = from; k + n <= x->len; k++)
		if (x->b[k] == (uint8_t)lit[0] && memcmp(x->b + k, lit, n) == 0)
			return k;
	return SIZE_MAX;
}

static bool
is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* High bit of each byte of w that equals c (exact: no carry crosses bytes). */
static inline uint64_t
bytes_eq(uint64_t w, uint8_t c)
{
	uint64_t y = w ^ (0x0101010101010101ull * c);
	uint64_t t = ((y & 0x7F7F7F7F7F7F7F7Full) + 0x7F7F7F7F7F7F7F7Full) | y;
	return ~t & 0x8080808080808080ull;
}

/* The length of the run of XML whitespace at p[0..n): eight bytes at a
 * time where the machine is little-endian, so an indentation run of any
 * length up to 8 costs no mispredicted loop exit. */
static size_t
ws_run(const uint8_t *p, size_t n)
{
	size_t k = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	while (n - k >= 8) {
		uint64_t w;
		memcpy(&w, p + k, 8);
		uint64_t ws = bytes_eq(w, ' ') | bytes_eq(w, '\t') | bytes_eq(w, '\n') | bytes_eq(w, '\r');
		uint64_t other = ~ws & 0x8080808080808080ull;
		if (other != 0)
			return k + (size_t)(__builtin_ctzll(other) >> 3);
		k += 8;
	}
#endif
	while (k < n && is_ws(p[k]))
		k++;
	return k;
}

/* a-z A-Z 0-9 _ - : . as a table: the tag-name loop is the scan's hottest */
static const uint8_t namech[256] = {
	['a' ... 'z'] = 1, ['A' ... 'Z'] = 1, ['0' ... '9'] = 1,
	['_'] = 1, ['-'] = 1, [':'] = 1, ['.'] = 1,
};

static bool
is_namech(uint8_t c)
{
	return namech[c] != 0;
}

/* Skips markup that carries no structure: <?..?>, <!--..-->, <!DOCTYPE ..>. */
static int
xskip_misc(struct xscan *x, bool *skipped)
{
	*skipped = false;
	size_t at = x->i, e;
	if (xstarts(x, at, "<?")) {
		if ((e = xfind(x, at + 2, "?>")) == SIZE_MAX)
			return xfail(x, at, "unterminated processing instruction");
		x->i = e + 2;
	} else if (xstarts(x, at, "<!--")) {
		if ((e = xfind(x, at + 4, "-->")) == SIZE_MAX)
			return xfail(x, at, "unterminated comment");
		x->i = e + 3;
	} else if (xstarts(x, at, "<!DOCTYPE")) {
		/* an internal subset [...] may contain '>' */
		size_t k = at + 9;
		int inbr = 0;
		for (; k < x->len; k++) {
			if (x->b[k] == '[')
				inbr++;
			else if (x->b[k] == ']' && inbr > 0)
				inbr--;
			else if (x->b[k] == '>' && inbr == 0)
				break;
		}
		if (k >= x->len)
			return xfail(x, at, "unterminated DOCTYPE");
		x->i = k + 1;
	} else {
		return 0;
	}
	*skipped = true;
	return 0;
}

/* The elements of a property list, by name. */
enum xel {
	XE_OTHER, XE_PLIST, XE_KEY, XE_DICT, XE_ARRAY, XE_TRUE, XE_FALSE, XE_STRING,
	XE_INTEGER, XE_REAL, XE_DATE, XE_DATA
};

/* Is the name at p (n bytes readable) exactly lit, ended by a byte that
 * is no name character?  lit is a literal, so the compare is inlined. */
#define XNAME(lit, id) (n > sizeof lit - 1 && memcmp(p, lit, sizeof lit - 1) == 0 && \
	!namech[p[sizeof lit - 1]] ? (*el = (id), sizeof lit - 1) : 0)

/* The length of the element name at p when it is a property list's own
 * (and *el its id), else 0.  One switch per tag instead of a loop over
 * the name's characters and a chain of compares: both mispredicted on
 * every tag (the names' lengths and order vary). */
static size_t
known_name(const uint8_t *p, size_t n, enum xel *el)
{
	if (n < 4)
		return 0;
	switch (p[0]) {
	case 'k': return XNAME("key", XE_KEY);
	case 's': return XNAME("string", XE_STRING);
	case 'd': return p[1] == 'i' ? XNAME("dict", XE_DICT) :
	    p[3] == 'a' ? XNAME("data", XE_DATA) : XNAME("date", XE_DATE);
	case 'a': return XNAME("array", XE_ARRAY);
	case 't': return XNAME("true", XE_TRUE);
	case 'f': return XNAME("false", XE_FALSE);
	case 'i': return XNAME("integer", XE_INTEGER);
	case 'r': return XNAME("real", XE_REAL);
	case 'p': return XNAME("plist", XE_PLIST);
	}
	return 0;
}
#undef XNAME

static enum xel
xel_of(const uint8_t *nm, size_t n)
{
	static const struct { const char *s; enum xel el; } names[] = {
		{ "plist", XE_PLIST }, { "key", XE_KEY }, { "dict", XE_DICT }, { "array", XE_ARRAY },
		{ "true", XE_TRUE }, { "false", XE_FALSE }, { "string", XE_STRING },
		{ "integer", XE_INTEGER }, { "real", XE_REAL }, { "date", XE_DATE }, { "data", XE_DATA },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i].s) == n && memcmp(nm, names[i].s, n) == 0)
			return names[i].el;
	return XE_OTHER;
}

/* Reads a tag at x->i ('<' there).  Sets name (pointer, length) and which
 * element it names, whether it is an end tag and whether it is
 * self-closing; x->i moves past '>'. */
static int
xtag(struct xscan *x, const uint8_t **nm, size_t *nmlen, enum xel *el, bool *end,
    bool *selfclose)
{
	size_t at = x->i, k = at + 1;
	*end = false;
	*selfclose = false;
	if (k < x->len && x->b[k] == '/') {
		*end = true;
		k++;
	}
	size_t ns = k, kn = k < x->len ? known_name(x->b + k, x->len - k, el) : 0;
	if (kn != 0) {
		k += kn;
	} else {
		while (k < x->len && is_namech(x->b[k]))
			k++;
		*el = xel_of(x->b + ns, k - ns);
	}
	if (k == ns)
		return xfail(x, at, "malformed tag");
	*nm = x->b + ns;
	*nmlen = k - ns;
	/* the usual ends, "name>" and "name/>" (b[k - 1] is then no '/') */
	if (k < x->len && x->b[k] == '>') {
		x->i = k + 1;
		return 0;
	}
	if (k + 1 < x->len && x->b[k] == '/' && x->b[k + 1] == '>') {
		*selfclose = !*end;
		x->i = k + 2;
		return 0;
	}
	/* attributes: skip to '>' honouring quotes */
	uint8_t q = 0;
	for (; k < x->len; k++) {
		uint8_t c = x->b[k];
		if (q) {
			if (c == q)
				q = 0;
		} else if (c == '"' || c == '\'') {
			q = c;
		} else if (c == '>') {
			break;
		} else if (c == '<') {
			return xfail(x, at, "malformed tag <%.*s", (int)*nmlen, (const char *)*nm);
		}
	}
	if (k >= x->len)
		return xfail(x, at, "unterminated tag <%.*s", (int)*nmlen, (const char *)*nm);
	if (k > at && x->b[k - 1] == '/' && !*end)
		*selfclose = true;
	x->i = k + 1;
	return 0;
}

/* Text content of a scalar element up to its end tag </name>.  CDATA is
 * allowed; any other markup inside is an error. */
static int
xtext(struct xscan *x, const uint8_t *nm, size_t nmlen, const uint8_t **txt, size_t *txtlen)
{
	size_t start = x->i, k = x->i;
	x->text_literal = true;
	for (;;) {
		const uint8_t *lt = k < x->len ? memchr(x->b + k, '<', x->len - k) : NULL;
		if (lt == NULL)
			return xfail(x, start, "unterminated <%.*s>", (int)nmlen, (const char *)nm);
		k = (size_t)(lt - x->b);
		if (xstarts(x, k, "<![CDATA[")) {
			x->text_literal = false;
			size_t e = xfind(x, k + 9, "]]>");
			if (e == SIZE_MAX)
				return xfail(x, k, "unterminated CDATA");
			k = e + 3;
			continue;
		}
		if (xstarts(x, k, "<!--")) {
			x->text_literal = false;
			size_t e = xfind(x, k + 4, "-->");
			if (e == SIZE_MAX)
				return xfail(x, k, "unterminated comment");
			k = e + 3;
			continue;
		}
		break;
	}
	*txt = x->b + start;
	*txtlen = k - start;
	/* the text must be UTF-8 (what macOS decodes and JSON can carry:
	 * issue 14 §9).  When the whole document is (checked once, before the
	 * scan), so is this run: it starts after '>' and ends at '<', ASCII
	 * bytes no sequence spans */
	size_t bad = x->utf8_ok ? k - start :
	    mx_utf8_bad_offset((const char *)x->b + start, k - start);
	if (bad < k - start)
		return xfail(x, start + bad, "<%.*s> is not valid UTF-8 (byte 0x%02x)", (int)nmlen,
		    (const char *)nm, x->b[start + bad]);
	/* character references: "&#0;" would put a NUL into the string
	 * (libplist aborts on its own strlen assertion); a surrogate or a
	 * number past U+10FFFF would decode into bytes that are not UTF-8.
	 * (An '&' in the last two bytes is no reference libplist decodes: it
	 * keeps one last, and refuses "&;" and an unterminated one.) */
	for (size_t a = start; a + 2 < k; a++) {
		const uint8_t *amp = memchr(x->b + a, '&', k - 2 - a);
		if (amp == NULL)
			break;
		x->text_literal = false;
		a = (size_t)(amp - x->b);
		if (x->b[a + 1] != '#')
			continue;
		size_t d = a + 2;
		bool hex = d < k && (x->b[d] == 'x' || x->b[d] == 'X');
		if (hex)
			d++;
		uint32_t v = 0;
		size_t digits = 0;
		for (; d < k && x->b[d] != ';'; d++, digits++) {
			uint8_t c = x->b[d];
			int dv = c >= '0' && c <= '9' ? c - '0' : hex && (c | 0x20) >= 'a' &&
			    (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
			if (dv < 0)
				break;
			if (v <= 0x10FFFF)
				v = v * (hex ? 16 : 10) + (uint32_t)dv;
		}
		if (digits == 0)
			continue;
		if (v == 0)
			return xfail(x, a, "character reference to NUL");
		if ((v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
			return xfail(x, a, "character reference to %s, which is not a character",
			    v > 0x10FFFF ? "a number past U+10FFFF" : "a UTF-16 surrogate");
	}
	/* the usual end tag, exactly "</name>": what xtag would accept */
	if (x->len - k >= nmlen + 3 && x->b[k + 1] == '/' &&
	    memcmp(x->b + k + 2, nm, nmlen) == 0 && x->b[k + 2 + nmlen] == '>') {
		x->i = k + 3 + nmlen;
		return 0;
	}
	x->i = k;
	const uint8_t *en;
	size_t enlen;
	enum xel eel;
	bool end, sc;
	if (xtag(x, &en, &enlen, &eel, &end, &sc) != 0)
		return x->err ? x->err->code : MX_EFORMAT;
	if (!end || enlen != nmlen || memcmp(en, nm, nmlen) != 0)
		return xfail(x, k, "<%.*s> closed by <%s%.*s>", (int)nmlen, (const char *)nm,
		    end ? "/" : "", (int)enlen, (const char *)en);
	return 0;
}

/* Pushes a frame (callers bound the depth at MX_PLIST_MAX_DEPTH + 2). */
static void
xpush(struct xscan *x, int kind)
{
	if (x->sp == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 16;
		x->st = mx_xrealloc(x->st, (size_t)x->cap * sizeof *x->st);
	}
	x->st[x->sp++] = (struct xframe){ .kind = kind, .key0 = x->nkeyst };
}

/* A value (anything but a key) is about to be added to the top frame. */
static int
xvalue_slot(struct xscan *x, uint64_t off)
{
	if (x->sp == 0)
		return xfail(x, off, "content outside <plist>");
	struct xframe *fr = &x->st[x->sp - 1];
	if (fr->kind == XK_DICT && !fr->have_key)
		return xfail(x, off, "dictionary value without a key");
	if (fr->kind == XK_PLIST && x->root_done)
		return xfail(x, off, "more than one top-level value");
	return 0;
}

/* The value is complete: advance the top frame. */
static void
xvalue_done(struct xscan *x)
{
	struct xframe *fr = &x->st[x->sp - 1];
	x->nvalues++;
	if (fr->kind == XK_DICT)
		fr->have_key = false;
	else if (fr->kind == XK_ARRAY)
		fr->index++;
	else
		x->root_done = true;
}

static int
xml_scan(const uint8_t *b, size_t len, const char *name, struct xcounts *out, mx_err *err)
{
	/* the frame stack grows with the nesting (a full-depth stack is ~33 KB,
	 * and clearing one cost more than scanning a small profile) */
	struct xscan xs = { 0 }, *x = &xs;
	x->b = b;
	x->len = len;
	x->name = name;
	x->err = err;
	x->keys_literal = true;
	int rc = 0;
	bool seen_plist = false, plist_closed = false;
	const uint8_t *nul = memchr(b, 0, len);
	if (nul != NULL)
		rc = xfail(x, (uint64_t)(nul - b), "NUL byte in XML");
	x->utf8_ok = mx_utf8_valid((const char *)b, len);

	while (x->i < x->len && rc == 0) {
		uint8_t c = x->b[x->i];
		if (c == 0) {
			rc = xfail(x, x->i, "NUL byte in XML");
			break;
		}
		if (c != '<') {
			if (!is_ws(c)) {
				rc = xfail(x, x->i, "unexpected text outside an element");
				break;
			}
			/* a run of indentation */
			x->i += 1 + ws_run(x->b + x->i + 1, x->len - x->i - 1);
			continue;
		}
		/* <?..?>, <!--..-->, <!DOCTYPE..>: only '?' or '!' can start one */
		bool skipped;
		if (x->i + 1 < x->len && (x->b[x->i + 1] == '?' || x->b[x->i + 1] == '!') &&
		    ((rc = xskip_misc(x, &skipped)) != 0 || skipped))
			continue;
		size_t at = x->i;
		const uint8_t *nm;
		size_t nl;
		enum xel el;
		bool end, sc;
		if ((rc = xtag(x, &nm, &nl, &el, &end, &sc)) != 0)
			break;
		if (plist_closed) {
			rc = xfail(x, at, "content after </plist>");
			break;
		}
		if (end) {
			if (x->sp == 0) {
				rc = xfail(x, at, "unexpected </%.*s>", (int)nl, (const char *)nm);
				break;
			}
			struct xframe *fr = &x->st[x->sp - 1];
			const char *want = fr->kind == XK_DICT ? "dict" : fr->kind == XK_ARRAY ? "array" : "plist";
			if (el != (fr->kind == XK_DICT ? XE_DICT : fr->kind == XK_ARRAY ? XE_ARRAY : XE_PLIST)) {
				rc = xfail(x, at, "<%s> closed by </%.*s>", want, (int)nl, (const char *)nm);
				break;
			}
			if (fr->kind == XK_DICT && fr->have_key) {
				rc = xfail(x, at, "key without a value");
				break;
			}
			if (fr->kind == XK_DICT && (rc = xdict_close(x, fr)) != 0)
				break;
			x->sp--;
			if (fr->kind == XK_PLIST)
				plist_closed = true;
			else
				xvalue_done(x);
			continue;
		}
		if (el == XE_PLIST) {
			if (seen_plist || sc) {
				rc = xfail(x, at, seen_plist ? "nested <plist>" : "empty <plist/>");
				break;
			}
			seen_plist = true;
			xpush(x, XK_PLIST);
			continue;
		}
		if (!seen_plist) {
			rc = xfail(x, at, "expected <plist>, found <%.*s>", (int)nl, (const char *)nm);
			break;
		}
		if (el == XE_KEY) {
			struct xframe *fr = x->sp ? &x->st[x->sp - 1] : NULL;
			if (fr == NULL || fr->kind != XK_DICT) {
				rc = xfail(x, at, "<key> outside a dictionary");
				break;
			}
			if (fr->have_key) {
				rc = xfail(x, at, "key without a value");
				break;
			}
			const uint8_t *t = x->b + x->i;
			size_t tl = 0;
			if (!sc && (rc = xtext(x, nm, nl, &t, &tl)) != 0)
				break;
			/* libplist decodes entities, drops comments and unwraps CDATA
			 * in a key (and reads <key/> as no key): then two different
			 * texts can be one key, which only the tree shows */
			if (sc || !x->text_literal)
				x->keys_literal = false;
			fr->key = t;
			fr->keylen = tl;
			fr->have_key = true;
			x->nkeys++;
			if (++fr->index > MX_PLIST_MAX_DICT_KEYS) {
				rc = xfail(x, at, "more than %d keys in one dictionary",
				    MX_PLIST_MAX_DICT_KEYS);
				break;
			}
			if (x->nkeyst == x->capkeys) {
				x->capkeys = x->capkeys ? x->capkeys * 2 : 64;
				x->keys = mx_xrealloc(x->keys, x->capkeys * sizeof *x->keys);
			}
			/* an empty key has a non-NULL pointer too: t points into the buffer */
			x->keys[x->nkeyst++] = (struct keyent){ t, tl, at };
			continue;
		}
		if ((rc = xvalue_slot(x, at)) != 0)
			break;
		if (el == XE_DICT || el == XE_ARRAY) {
			if (sc) {
				xvalue_done(x);
				continue;
			}
			int containers = x->sp - 1;   /* frames minus <plist> */
			if (containers >= MX_PLIST_MAX_DEPTH) {
				rc = xfail(x, at, "nesting deeper than %d", MX_PLIST_MAX_DEPTH);
				break;
			}
			xpush(x, el == XE_DICT ? XK_DICT : XK_ARRAY);
			continue;
		}
		if (el == XE_TRUE || el == XE_FALSE) {
			if (!sc) {
				const uint8_t *t;
				size_t tl;
				if ((rc = xtext(x, nm, nl, &t, &tl)) != 0)
					break;
			}
			xvalue_done(x);
			continue;
		}
		if (el == XE_STRING) {
			if (!sc) {
				const uint8_t *t;
				size_t tl;
				if ((rc = xtext(x, nm, nl, &t, &tl)) != 0)
					break;
			}
			xvalue_done(x);
			continue;
		}
		if (el == XE_INTEGER || el == XE_REAL || el == XE_DATE || el == XE_DATA) {
			/* strict scalars (issue 14 §10, plist_scalar.c): what macOS
			 * refuses or libplist would misread is an error here */
			const uint8_t *t = x->b + x->i;
			size_t tl = 0;
			if (!sc && (rc = xtext(x, nm, nl, &t, &tl)) != 0)
				break;
			char why[160];
			const char *bad = NULL;
			if (memchr(t, '<', tl) != NULL)
				bad = "markup (CDATA or a comment) inside a number, date or data element";
			else if (el == XE_INTEGER)
				bad = mx_plist_check_integer(t, tl, why, sizeof why);
			else if (el == XE_REAL)
				bad = mx_plist_check_real(t, tl, why, sizeof why);
			else if (el == XE_DATE)
				bad = mx_plist_check_date(t, tl, why, sizeof why);
			else if (sc)
				bad = "empty <data/> (macOS refuses it)";
			else
				bad = mx_plist_check_data(t, tl, why, sizeof why);
			if (bad != NULL) {
				rc = xfail(x, (uint64_t)(t - x->b), "%s", bad);
				break;
			}
			xvalue_done(x);
			continue;
		}
		rc = xfail(x, at, "unknown element <%.*s>", (int)(nl > 40 ? 40 : nl), (const char *)nm);
	}
	if (rc == 0 && !seen_plist)
		rc = xfail(x, 0, "no <plist> element");
	else if (rc == 0 && !plist_closed)
		rc = xfail(x, x->len, "unterminated <plist> (truncated?)");
	else if (rc == 0 && !x->root_done)
		rc = xfail(x, x->len, "empty <plist>");
	/* what no element held (comments, the DOCTYPE) must be UTF-8 too:
	 * macOS decodes the whole document before it parses */
	size_t bad;
	if (rc == 0 && !x->utf8_ok && (bad = mx_utf8_bad_offset((const char *)b, len)) < len)
		rc = xfail(x, bad, "not valid UTF-8 (byte 0x%02x)", b[bad]);
	out->nkeys = x->nkeys;
	out->nvalues = x->nvalues;
	out->keys_literal = x->keys_literal;
	free(x->keys);
	free(x->st);
	return rc;
}

/* ---- the tree ---- */

struct tstat { size_t nodes, dict_entries; int maxdepth; bool too_deep; };

static void
walk_tree(plist_t n, int depth, struct tstat *ts)
{
	ts->nodes++;
	if (ts->too_deep || ts->nodes > MX_PLIST_MAX_NODES)
		return;
	plist_type t = plist_get_node_type(n);
	if (t != PLIST_ARRAY && t != PLIST_DICT)
		return;
	if (depth + 1 > ts->maxdepth)
		ts->maxdepth = depth + 1;
	if (depth + 1 > MX_PLIST_MAX_DEPTH) {
		ts->too_deep = true;
		return;
	}
	if (t == PLIST_ARRAY) {
		/* an iterator: item i of an unindexed array costs i steps */
		plist_array_iter it = NULL;
		plist_array_new_iter(n, &it);
		for (;;) {
			plist_t v = NULL;
			plist_array_next_item(n, it, &v);
			if (v == NULL)
				break;
			walk_tree(v, depth + 1, ts);
		}
		free(it);
		return;
	}
	ts->dict_entries += plist_dict_get_size(n);
	plist_dict_iter it = NULL;
	plist_dict_new_iter(n, &it);
	for (;;) {
		plist_t v = NULL;
		plist_dict_next_item(n, it, NULL, &v);   /* values only: no key copies */
		if (v == NULL)
			break;
		walk_tree(v, depth + 1, ts);
	}
	free(it);
}

static int
tree_fail(const struct tstat *ts, const char *name, mx_err *err)
{
	if (ts->too_deep)
		return mx_plist_failp(err, MX_EFORMAT, MX_NO_OFFSET, name, NULL,
		    "nesting deeper than %d", MX_PLIST_MAX_DEPTH);
	if (ts->nodes > MX_PLIST_MAX_NODES)
		return mx_plist_failp(err, MX_ETOOBIG, MX_NO_OFFSET, name, NULL,
		    "more than %u plist nodes", MX_PLIST_MAX_NODES);
	return 0;
}

int
mx_plist_check_tree(plist_t root, const char *name, mx_err *err)
{
	struct tstat ts = { 0 };
	walk_tree(root, 0, &ts);
	return tree_fail(&ts, name, err);
}

int
mx_plist_parse(plist_t *out, const uint8_t *buf, size_t len, const char *name, mx_err *err)
{
	*out = NULL;
	if (len > MX_PLIST_MAX_BYTES)
		return mx_plist_failp(err, MX_ETOOBIG, MX_NO_OFFSET, name, NULL,
		    "%zu bytes is over the %u-byte limit", len, MX_PLIST_MAX_BYTES);
	plist_t p = NULL;
	struct tstat ts = { 0 };
	if (len >= 8 && memcmp(buf, "bplist00", 8) == 0) {
		int rc = mx_plist_bin_scan(buf, len, name, err);
		if (rc != 0)
			return rc;
		plist_from_bin((const char *)buf, (uint32_t)len, &p);
		if (p == NULL)
			return mx_plist_failp(err, MX_EFORMAT, MX_NO_OFFSET, name, NULL,
			    "malformed binary plist");
		/* libplist's binary reader leaves arrays and dicts unindexed:
		 * every later lookup would be a walk (issue 14 §8) */
		if ((rc = mx_plist_index(&p, err)) != 0) {
			plist_free(p);
			mx_err_where(err, "%s: ", name);
			return rc;
		}
	} else {
		size_t skip = 0;
		if (len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF)
			skip = 3;
		while (skip < len && is_ws(buf[skip]))
			skip++;
		if (skip >= len || buf[skip] != '<')
			return mx_plist_failp(err, MX_EFORMAT, skip, name, NULL,
			    skip >= len ? "empty input: not a property list" :
			    "not a property list (neither XML nor bplist00)");
		struct xcounts xc = { 0 };
		int rc = xml_scan(buf + skip, len - skip, name, &xc, err);
		if (rc != 0) {
			if (err != NULL && err->offset != MX_NO_OFFSET)
				err->offset += skip;
			return rc;
		}
		plist_from_xml((const char *)buf + skip, (uint32_t)(len - skip), &p);
		if (p == NULL)
			return mx_plist_failp(err, MX_EFORMAT, MX_NO_OFFSET, name, NULL,
			    "malformed XML plist (a value libplist rejects)");
		if (xc.keys_literal) {
			/* every key is its text, and the scan found the texts of each
			 * dict distinct: the tree is the text's, one node per value
			 * counted, no deeper than the scan allowed.  No walk needed
			 * (it was a twentieth of `profiles validate`) */
			ts.nodes = xc.nvalues;
		} else {
			walk_tree(p, 0, &ts);
			if (!ts.too_deep && ts.nodes <= MX_PLIST_MAX_NODES && ts.dict_entries != xc.nkeys) {
				plist_free(p);
				return mx_plist_failp(err, MX_EFORMAT, MX_NO_OFFSET, name, NULL,
				    "duplicate dictionary key (%zu keys in the text, %zu in the tree)",
				    xc.nkeys, ts.dict_entries);
			}
		}
	}
	/* the tree checks of mx_plist_check_tree; an XML tree was walked or
	 * counted above */
	if (ts.nodes == 0)
		walk_tree(p, 0, &ts);
	int rc = tree_fail(&ts, name, err);
	if (rc != 0) {
		plist_free(p);
		return rc;
	}
	*out = p;
	return 0;
}
