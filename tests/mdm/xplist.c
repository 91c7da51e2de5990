/*
 * xplist.c — the conformance server's own XML property-list reader and
 * writer (Apple's "PropertyList-1.0.dtd" format).
 *
 * Device bodies are untrusted, so they are not handed to libplist 2.2
 * (which recurses per level and crashes on very deep input, and quietly
 * accepts `<integer>abc</integer>` or duplicate keys): this reader is
 * iterative over a bounded depth, caps the node count, decodes the five
 * XML entities and numeric character references, CDATA sections, comments,
 * processing instructions and a DOCTYPE without internal subset, and checks
 * every scalar: integers are decimal or 0x-hex within int64/uint64, reals
 * parse completely, dates are CFPropertyList's "YYYY-MM-DDTHH:MM:SSZ", data
 * is base64, strings are valid UTF-8.  A dict alternates <key> and a value
 * and has no duplicate key.  Every error names the byte offset.  Binary
 * plists ("bplist00") are refused: macOS sends XML to MDM servers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdms.h"

struct px {
	const uint8_t *b;
	size_t len, i;
	mds_arena *a;
	mds_err *err;
	size_t nodes;
};

/* A tag as read: its name, whether it is an end tag or self-closing. */
struct tag {
	char name[16];
	size_t off;
	bool end, empty, toolong;
};

static bool
is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
starts(const struct px *p, const char *s)
{
	size_t n = strlen(s);
	return p->len - p->i >= n && memcmp(p->b + p->i, s, n) == 0;
}

/* Finds s at or after i; returns its offset or len. */
static size_t
find(const struct px *p, size_t i, const char *s)
{
	size_t n = strlen(s);
	while (i + n <= p->len) {
		const uint8_t *q = memchr(p->b + i, s[0], p->len - i);
		if (q == NULL)
			return p->len;
		i = (size_t)(q - p->b);
		if (i + n <= p->len && memcmp(q, s, n) == 0)
			return i;
		i++;
	}
	return p->len;
}

/* Skips whitespace, comments and processing instructions (and, when
 * prolog, one DOCTYPE).  Returns -1 on an unterminated construct. */
static int
skip_misc(struct px *p, bool prolog)
{
	for (;;) {
		while (p->i < p->len && is_ws(p->b[p->i]))
			p->i++;
		if (starts(p, "<!--")) {
			size_t e = find(p, p->i + 4, "-->");
			if (e == p->len)
				return mds_fail(p->err, p->i, "unterminated comment");
			p->i = e + 3;
		} else if (starts(p, "<?")) {
			size_t e = find(p, p->i + 2, "?>");
			if (e == p->len)
				return mds_fail(p->err, p->i, "unterminated processing instruction");
			p->i = e + 2;
		} else if (prolog && starts(p, "<!DOCTYPE")) {
			size_t j = p->i + 9;
			char quote = 0;
			for (; j < p->len; j++) {
				uint8_t c = p->b[j];
				if (quote) {
					if (c == quote)
						quote = 0;
				} else if (c == '"' || c == '\'') {
					quote = (char)c;
				} else if (c == '[') {
					/* an internal subset could declare entities: refused */
					return mds_fail(p->err, j, "DOCTYPE with an internal subset");
				} else if (c == '>') {
					break;
				}
			}
			if (j >= p->len)
				return mds_fail(p->err, p->i, "unterminated DOCTYPE");
			p->i = j + 1;
		} else {
			return 0;
		}
	}
}

static bool
name_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == ':' || c == '-' || c == '.';
}

/* Reads a tag at p->i (which is '<'), attributes skipped. */
static int
read_tag(struct px *p, struct tag *t)
{
	memset(t, 0, sizeof *t);
	t->off = p->i;
	if (p->i >= p->len || p->b[p->i] != '<')
		return mds_fail(p->err, p->i, "expected an element");
	p->i++;
	if (p->i < p->len && p->b[p->i] == '/') {
		t->end = true;
		p->i++;
	}
	size_t n = 0;
	while (p->i < p->len && name_char(p->b[p->i])) {
		if (n + 1 < sizeof t->name)
			t->name[n++] = (char)p->b[p->i];
		else
			t->toolong = true;
		p->i++;
	}
	t->name[n] = 0;
	if (n == 0)
		return mds_fail(p->err, t->off, "malformed tag");
	/* attributes: name="value" or name='value' */
	for (;;) {
		while (p->i < p->len && is_ws(p->b[p->i]))
			p->i++;
		if (p->i >= p->len)
			return mds_fail(p->err, t->off, "unterminated tag <%s", t->name);
		uint8_t c = p->b[p->i];
		if (c == '>') {
			p->i++;
			return 0;
		}
		if (c == '/' && !t->end && p->i + 1 < p->len && p->b[p->i + 1] == '>') {
			t->empty = true;
			p->i += 2;
			return 0;
		}
		if (t->end || !name_char(c))
			return mds_fail(p->err, p->i, "malformed tag <%s", t->name);
		while (p->i < p->len && name_char(p->b[p->i]))
			p->i++;
		while (p->i < p->len && is_ws(p->b[p->i]))
			p->i++;
		if (p->i >= p->len || p->b[p->i] != '=')
			return mds_fail(p->err, p->i, "attribute without value in <%s>", t->name);
		p->i++;
		while (p->i < p->len && is_ws(p->b[p->i]))
			p->i++;
		if (p->i >= p->len || (p->b[p->i] != '"' && p->b[p->i] != '\''))
			return mds_fail(p->err, p->i, "unquoted attribute in <%s>", t->name);
		uint8_t q = p->b[p->i++];
		const uint8_t *e = memchr(p->b + p->i, q, p->len - p->i);
		if (e == NULL)
			return mds_fail(p->err, t->off, "unterminated attribute in <%s>", t->name);
		if (memchr(p->b + p->i, '<', (size_t)(e - (p->b + p->i))) != NULL)
			return mds_fail(p->err, p->i, "'<' in an attribute value");
		p->i = (size_t)(e - p->b) + 1;
	}
}

static void
put_utf8(mds_buf *o, uint32_t cp)
{
	uint8_t u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (uint8_t)(0xc0 | cp >> 6);
		u[1] = (uint8_t)(0x80 | (cp & 63));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (uint8_t)(0xe0 | cp >> 12);
		u[1] = (uint8_t)(0x80 | ((cp >> 6) & 63));
		u[2] = (uint8_t)(0x80 | (cp & 63));
		n = 3;
	} else {
		u[0] = (uint8_t)(0xf0 | cp >> 18);
		u[1] = (uint8_t)(0x80 | ((cp >> 12) & 63));
		u[2] = (uint8_t)(0x80 | ((cp >> 6) & 63));
		u[3] = (uint8_t)(0x80 | (cp & 63));
		n = 4;
	}
	mds_buf_add(o, u, n);
}

/* Valid UTF-8 without overlong forms, surrogates or code points past U+10FFFF. */
static size_t
utf8_bad(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t k;
		uint32_t cp, min;
		if ((c & 0xe0) == 0xc0) {
			k = 1; cp = c & 0x1f; min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2; cp = c & 0x0f; min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3; cp = c & 0x07; min = 0x10000;
		} else {
			return i + 1;
		}
		if (n - i <= k)
			return i + 1;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return i + 1;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i + 1;
		i += k + 1;
	}
	return 0;
}

/* Reads character data up to the next markup that is not CDATA, decoding
 * entities; *out is in the arena, NUL-terminated. */
static int
read_text(struct px *p, const char **out, size_t *outlen)
{
	size_t start = p->i;
	/* fast path: no entity, no CDATA before the next '<' */
	const uint8_t *lt = memchr(p->b + p->i, '<', p->len - p->i);
	size_t end = lt ? (size_t)(lt - p->b) : p->len;
	if (memchr(p->b + start, '&', end - start) == NULL && !(end + 9 <= p->len &&
	    memcmp(p->b + end, "<![CDATA[", 9) == 0)) {
		if (utf8_bad(p->b + start, end - start))
			return mds_fail(p->err, start, "invalid UTF-8 in text");
		if (memchr(p->b + start, 0, end - start) != NULL)
			return mds_fail(p->err, start, "NUL byte in text");
		*out = mds_arena_strndup(p->a, (const char *)p->b + start, end - start);
		*outlen = end - start;
		p->i = end;
		return 0;
	}
	mds_buf o = { 0 };
	while (p->i < p->len) {
		uint8_t c = p->b[p->i];
		if (c == '<') {
			if (!starts(p, "<![CDATA["))
				break;
			size_t e = find(p, p->i + 9, "]]>");
			if (e == p->len) {
				mds_buf_free(&o);
				return mds_fail(p->err, p->i, "unterminated CDATA section");
			}
			mds_buf_add(&o, p->b + p->i + 9, e - p->i - 9);
			p->i = e + 3;
			continue;
		}
		if (c != '&') {
			mds_buf_add(&o, &c, 1);
			p->i++;
			continue;
		}
		size_t e = p->i + 1;
		while (e < p->len && e - p->i < 12 && p->b[e] != ';')
			e++;
		if (e >= p->len || p->b[e] != ';') {
			mds_buf_free(&o);
			return mds_fail(p->err, p->i, "unterminated entity reference");
		}
		const char *ent = (const char *)p->b + p->i + 1;
		size_t en = e - p->i - 1;
		if (en == 2 && memcmp(ent, "lt", 2) == 0) {
			mds_buf_adds(&o, "<");
		} else if (en == 2 && memcmp(ent, "gt", 2) == 0) {
			mds_buf_adds(&o, ">");
		} else if (en == 3 && memcmp(ent, "amp", 3) == 0) {
			mds_buf_adds(&o, "&");
		} else if (en == 4 && memcmp(ent, "quot", 4) == 0) {
			mds_buf_adds(&o, "\"");
		} else if (en == 4 && memcmp(ent, "apos", 4) == 0) {
			mds_buf_adds(&o, "'");
		} else if (en >= 2 && ent[0] == '#') {
			bool hex = ent[1] == 'x' || ent[1] == 'X';
			uint32_t cp = 0;
			size_t j = hex ? 2 : 1;
			if (j >= en)
				cp = 0x110000;
			for (; j < en; j++) {
				char d = ent[j];
				int v = d >= '0' && d <= '9' ? d - '0' :
				    hex && d >= 'a' && d <= 'f' ? d - 'a' + 10 :
				    hex && d >= 'A' && d <= 'F' ? d - 'A' + 10 : -1;
				if (v < 0 || cp > 0x10ffff) {
					cp = 0x110000;
					break;
				}
				cp = cp * (hex ? 16 : 10) + (uint32_t)v;
			}
			if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
				mds_buf_free(&o);
				return mds_fail(p->err, p->i, "bad character reference &%.*s;", (int)en, ent);
			}
			put_utf8(&o, cp);
		} else {
			mds_buf_free(&o);
			return mds_fail(p->err, p->i, "unknown entity &%.*s;", (int)en, ent);
		}
		p->i = e + 1;
	}
	if (o.len && utf8_bad(o.p, o.len)) {
		mds_buf_free(&o);
		return mds_fail(p->err, start, "invalid UTF-8 in text");
	}
	if (o.len && memchr(o.p, 0, o.len) != NULL) {
		mds_buf_free(&o);
		return mds_fail(p->err, start, "NUL byte in text");
	}
	*out = mds_arena_strndup(p->a, o.p ? (const char *)o.p : "", o.len);
	*outlen = o.len;
	mds_buf_free(&o);
	return 0;
}

/* After a scalar's text: its end tag must follow. */
static int
expect_end(struct px *p, const char *name)
{
	struct tag t;
	size_t at = p->i;
	if (read_tag(p, &t) != 0)
		return -1;
	if (!t.end || strcmp(t.name, name) != 0)
		return mds_fail(p->err, at, "expected </%s>", name);
	return 0;
}

static void
trim(const char **s, size_t *n)
{
	while (*n && is_ws((uint8_t)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_ws((uint8_t)(*s)[*n - 1]))
		(*n)--;
}

static int
parse_integer(struct px *p, mds_pnode *nd, const char *s, size_t n)
{
	trim(&s, &n);
	bool neg = false;
	size_t i = 0;
	if (i < n && (s[i] == '-' || s[i] == '+')) {
		neg = s[i] == '-';
		i++;
	}
	bool hex = n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X');
	if (hex)
		i += 2;
	if (i >= n)
		return mds_fail(p->err, nd->off, "integer without digits");
	uint64_t v = 0;
	for (; i < n; i++) {
		int d = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' :
		    hex && s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10 :
		    hex && s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10 : -1;
		if (d < 0)
			return mds_fail(p->err, nd->off, "bad integer \"%.*s\"", (int)(n > 40 ? 40 : n), s);
		uint64_t base = hex ? 16 : 10;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return mds_fail(p->err, nd->off, "integer out of range");
		v = v * base + (uint64_t)d;
	}
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return mds_fail(p->err, nd->off, "integer out of range");
		nd->v.i = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else if (v > (uint64_t)INT64_MAX) {
		nd->big = true;
		memcpy(&nd->v.i, &v, sizeof v);
	} else {
		nd->v.i = (int64_t)v;
	}
	return 0;
}

static int
parse_real(struct px *p, mds_pnode *nd, const char *s, size_t n)
{
	trim(&s, &n);
	if (n == 0 || n > 64)
		return mds_fail(p->err, nd->off, "bad real");
	char tmp[72];
	memcpy(tmp, s, n);
	tmp[n] = 0;
	for (size_t i = 0; i < n; i++)
		if (!((tmp[i] >= '0' && tmp[i] <= '9') || strchr("+-.eEinfatyINFATY", tmp[i])))
			return mds_fail(p->err, nd->off, "bad real \"%s\"", tmp);
	char *end = NULL;
	nd->v.r = strtod(tmp, &end);
	if (end == tmp || *end != 0)
		return mds_fail(p->err, nd->off, "bad real \"%s\"", tmp);
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static int
parse_date(struct px *p, mds_pnode *nd, const char *s, size_t n)
{
	trim(&s, &n);
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
	if (n != sizeof pat - 1)
		return mds_fail(p->err, nd->off, "date is not YYYY-MM-DDTHH:MM:SSZ");
	for (size_t i = 0; i < n; i++)
		if (pat[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != pat[i])
			return mds_fail(p->err, nd->off, "date is not YYYY-MM-DDTHH:MM:SSZ");
	int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	int h = digits(s + 11, 2), mi = digits(s + 14, 2), se = digits(s + 17, 2);
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60)
		return mds_fail(p->err, nd->off, "date out of range");
	nd->v.s = mds_arena_strndup(p->a, s, n);
	nd->date = (double)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se);
	return 0;
}

static mds_pnode *
node(struct px *p, enum mds_ptype t, size_t off)
{
	if (++p->nodes > MDS_PLIST_MAX_NODES) {
		mds_fail(p->err, off, "more than %d plist elements", MDS_PLIST_MAX_NODES);
		return NULL;
	}
	mds_pnode *nd = mds_arena_alloc(p->a, sizeof *nd);
	nd->type = t;
	nd->off = off;
	return nd;
}

void
mds_pnode_append(mds_pnode *parent, const char *key, mds_pnode *child)
{
	child->key = key;
	child->next = NULL;
	if (parent->last)
		parent->last->next = child;
	else
		parent->first = child;
	parent->last = child;
	parent->n++;
}

/* One open container on the explicit stack. */
struct frame {
	mds_pnode *nd;
	const char *key;        /* dict: the key read, waiting for its value */
	size_t keyoff;
};

/* Finishes a scalar element whose start tag t was read. */
static mds_pnode *
scalar(struct px *p, const struct tag *t)
{
	const char *nm = t->name;
	mds_pnode *nd = NULL;
	if (strcmp(nm, "true") == 0 || strcmp(nm, "false") == 0) {
		if ((nd = node(p, MDS_P_BOOL, t->off)) == NULL)
			return NULL;
		nd->v.b = nm[0] == 't';
		if (!t->empty) {
			while (p->i < p->len && is_ws(p->b[p->i]))
				p->i++;
			if (expect_end(p, nm) != 0)
				return NULL;
		}
		return nd;
	}
	enum mds_ptype ty;
	if (strcmp(nm, "string") == 0)
		ty = MDS_P_STRING;
	else if (strcmp(nm, "integer") == 0)
		ty = MDS_P_INTEGER;
	else if (strcmp(nm, "real") == 0)
		ty = MDS_P_REAL;
	else if (strcmp(nm, "date") == 0)
		ty = MDS_P_DATE;
	else if (strcmp(nm, "data") == 0)
		ty = MDS_P_DATA;
	else {
		mds_fail(p->err, t->off, "unknown element <%s%s>", nm, t->toolong ? "..." : "");
		return NULL;
	}
	if ((nd = node(p, ty, t->off)) == NULL)
		return NULL;
	const char *s = "";
	size_t n = 0;
	if (!t->empty && (read_text(p, &s, &n) != 0 || expect_end(p, nm) != 0))
		return NULL;
	int rc = 0;
	switch (ty) {
	case MDS_P_STRING:
		nd->v.s = s;
		nd->n = (uint32_t)n;
		break;
	case MDS_P_INTEGER:
		rc = parse_integer(p, nd, s, n);
		break;
	case MDS_P_REAL:
		rc = parse_real(p, nd, s, n);
		break;
	case MDS_P_DATE:
		rc = parse_date(p, nd, s, n);
		break;
	case MDS_P_DATA: {
		uint8_t *d = NULL;
		size_t dn = 0;
		if (mds_b64_decode(&d, &dn, s, n) != 0) {
			rc = mds_fail(p->err, t->off, "bad base64 in <data>");
			break;
		}
		uint8_t *ad = mds_arena_alloc(p->a, dn + 1);
		if (dn)
			memcpy(ad, d, dn);
		free(d);
		nd->v.d = ad;
		nd->n = (uint32_t)dn;
		break;
	}
	default:
		break;
	}
	return rc == 0 ? nd : NULL;
}

static bool
dict_has(const mds_pnode *d, const char *key)
{
	for (const mds_pnode *c = d->first; c; c = c->next)
		if (strcmp(c->key, key) == 0)
			return true;
	return false;
}

/* Dicts up to DUP_LINEAR entries are checked for duplicate keys as each
 * key arrives; bigger ones once more, sorted, when they close (so a
 * 400,000-key dict costs n log n, not n squared). */
#define DUP_LINEAR 16

static int
keycmp(const void *a, const void *b)
{
	const mds_pnode *x = *(const mds_pnode *const *)a, *y = *(const mds_pnode *const *)b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->off > y->off) - (x->off < y->off);
}

static int
dup_sorted(struct px *p, const mds_pnode *d)
{
	const mds_pnode **v = mds_xmalloc(d->n * sizeof *v);
	size_t n = 0;
	for (const mds_pnode *c = d->first; c; c = c->next)
		v[n++] = c;
	qsort(v, n, sizeof *v, keycmp);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(v[i - 1]->key, v[i]->key) == 0) {
			mds_fail(p->err, v[i]->off, "duplicate key \"%s\"", v[i]->key);
			free(v);
			return -1;
		}
	}
	free(v);
	return 0;
}

/* Parses one value (a tree) starting at the tag t already read. */
static mds_pnode *
value(struct px *p, struct tag *t)
{
	struct frame st[MDS_PLIST_MAX_DEPTH];
	int depth = 0;
	mds_pnode *root = NULL;
	for (;;) {
		mds_pnode *done = NULL;         /* a finished value to attach */
		if (t->end) {
			if (depth == 0) {
				mds_fail(p->err, t->off, "unexpected </%s>", t->name);
				return NULL;
			}
			struct frame *f = &st[depth - 1];
			const char *want = f->nd->type == MDS_P_DICT ? "dict" : "array";
			if (strcmp(t->name, want) != 0) {
				mds_fail(p->err, t->off, "expected </%s>, got </%s>", want, t->name);
				return NULL;
			}
			if (f->key != NULL) {
				mds_fail(p->err, f->keyoff, "key \"%s\" without a value", f->key);
				return NULL;
			}
			if (f->nd->type == MDS_P_DICT && f->nd->n > DUP_LINEAR && dup_sorted(p, f->nd) != 0)
				return NULL;
			done = f->nd;
			depth--;
		} else if (strcmp(t->name, "key") == 0) {
			struct frame *f = depth ? &st[depth - 1] : NULL;
			if (f == NULL || f->nd->type != MDS_P_DICT) {
				mds_fail(p->err, t->off, "<key> outside a dict");
				return NULL;
			}
			if (f->key != NULL) {
				mds_fail(p->err, t->off, "two keys in a row (\"%s\")", f->key);
				return NULL;
			}
			const char *k = "";
			size_t kn = 0;
			if (!t->empty && (read_text(p, &k, &kn) != 0 || expect_end(p, "key") != 0))
				return NULL;
			if (f->nd->n < DUP_LINEAR && dict_has(f->nd, k)) {
				mds_fail(p->err, t->off, "duplicate key \"%s\"", k);
				return NULL;
			}
			f->key = k;
			f->keyoff = t->off;
		} else if (strcmp(t->name, "dict") == 0 || strcmp(t->name, "array") == 0) {
			mds_pnode *nd = node(p, t->name[0] == 'd' ? MDS_P_DICT : MDS_P_ARRAY, t->off);
			if (nd == NULL)
				return NULL;
			if (t->empty) {
				done = nd;
			} else {
				if (depth == MDS_PLIST_MAX_DEPTH) {
					mds_fail(p->err, t->off, "nesting deeper than %d", MDS_PLIST_MAX_DEPTH);
					return NULL;
				}
				st[depth].nd = nd;
				st[depth].key = NULL;
				depth++;
			}
		} else {
			if (depth && st[depth - 1].nd->type == MDS_P_DICT && st[depth - 1].key == NULL) {
				mds_fail(p->err, t->off, "value <%s> without a key", t->name);
				return NULL;
			}
			if ((done = scalar(p, t)) == NULL)
				return NULL;
		}
		if (done != NULL) {
			if (depth == 0) {
				root = done;
				return root;
			}
			struct frame *f = &st[depth - 1];
			if (f->nd->type == MDS_P_DICT && f->key == NULL) {
				mds_fail(p->err, done->off, "value without a key");
				return NULL;
			}
			mds_pnode_append(f->nd, f->key, done);
			f->key = NULL;
		}
		/* the next tag inside the open container */
		if (skip_misc(p, false) != 0)
			return NULL;
		if (p->i >= p->len) {
			mds_fail(p->err, p->i, "unexpected end of input inside <%s>",
			    st[depth - 1].nd->type == MDS_P_DICT ? "dict" : "array");
			return NULL;
		}
		if (p->b[p->i] != '<') {
			mds_fail(p->err, p->i, "text between elements");
			return NULL;
		}
		if (read_tag(p, t) != 0)
			return NULL;
	}
}

int
mds_plist_parse(mds_pnode **out, mds_arena *a, const uint8_t *buf, size_t len, mds_err *err)
{
	*out = NULL;
	struct px p = { .b = buf, .len = len, .a = a, .err = err };
	if (len >= 8 && memcmp(buf, "bplist00", 8) == 0)
		return mds_fail(err, 0, "binary plist (MDM messages are XML)");
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		p.i = 3;
	if (skip_misc(&p, true) != 0)
		return -1;
	if (p.i >= len)
		return mds_fail(err, p.i, "empty document");
	struct tag t;
	if (read_tag(&p, &t) != 0)
		return -1;
	bool wrapped = !t.end && strcmp(t.name, "plist") == 0;
	if (wrapped) {
		if (t.empty)
			return mds_fail(err, t.off, "empty <plist/>");
		if (skip_misc(&p, false) != 0)
			return -1;
		if (p.i >= len || p.b[p.i] != '<')
			return mds_fail(err, p.i, "expected a value inside <plist>");
		if (read_tag(&p, &t) != 0)
			return -1;
	}
	mds_pnode *root = value(&p, &t);
	if (root == NULL)
		return -1;
	if (skip_misc(&p, false) != 0)
		return -1;
	if (wrapped) {
		size_t at = p.i;
		if (p.i >= len || read_tag(&p, &t) != 0 || !t.end || strcmp(t.name, "plist") != 0)
			return mds_fail(err, at, "expected </plist>");
		if (skip_misc(&p, false) != 0)
			return -1;
	}
	if (p.i != len)
		return mds_fail(err, p.i, "content after the document");
	*out = root;
	return 0;
}

