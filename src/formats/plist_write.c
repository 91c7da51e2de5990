/*
 * plist_write.c — writing a tree as a binary plist, and giving a tree read
 * from one the lookup indexes libplist 2.2 leaves out (issue 14 §8).
 *
 * libplist 2.2's plist_to_bin uniques objects in a hash table of 4,096
 * fixed buckets, so its cost grows with the square of the node count (a
 * 16 MiB profile: 8 s against 0.1 s to parse it).  mx_plist_to_bin writes
 * the same format (formats-and-peers.md §1.15, CFBinaryPList.c's layout):
 *
 *   "bplist00"  objects  offset table  trailer (32 bytes: 6 unused,
 *   offset size, reference size, object count, top object, table offset)
 *
 * objects in depth-first order from the top (object 0), each string
 * written once (equal strings and keys share one object, found through a
 * sorted-runs set: no quadratic or adversarial case), strings ASCII (0x5)
 * or UTF-16BE (0x6), integers in the fewest of 1/2/4/8 bytes (8-byte ones
 * signed, as CoreFoundation reads them; a value above 2^63-1 keeps its 64
 * bits), reals and dates as 8-byte doubles.  Iterative, depth-bounded.
 *
 * libplist's binary reader builds arrays and dicts without their index
 * (item i of an array costs i steps, a dict lookup a scan of its keys):
 * mx_plist_index rebuilds such a tree through plist_array_append_item and
 * plist_dict_set_item, which index arrays over 100 items and dicts over
 * 500 keys.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "macext/plist_util.h"
#include "macext/strmap.h"

/* ---- a growable output buffer ---- */

struct obuf { uint8_t *p; size_t n, cap; };

static void
put(struct obuf *b, const void *d, size_t n)
{
	if (b->cap - b->n < n) {
		size_t c = b->cap ? b->cap : 4096;
		while (c - b->n < n)
			c *= 2;
		b->p = mx_xrealloc(b->p, c);
		b->cap = c;
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void
put_be(struct obuf *b, uint64_t v, unsigned n)
{
	uint8_t t[8];
	for (unsigned i = 0; i < n; i++)
		t[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	put(b, t, n);
}

static unsigned
width(uint64_t v)
{
	return v <= 0xFF ? 1 : v <= 0xFFFF ? 2 : v <= 0xFFFFFFFFu ? 4 : 8;
}

/* marker with a count: low nibble, or 0xF and an integer object */
static void
put_count(struct obuf *b, uint8_t type, uint64_t n)
{
	if (n < 15) {
		uint8_t m = (uint8_t)(type | n);
		put(b, &m, 1);
		return;
	}
	uint8_t m = (uint8_t)(type | 0xF);
	unsigned w = width(n);
	uint8_t im = (uint8_t)(0x10 | (w == 1 ? 0 : w == 2 ? 1 : w == 4 ? 2 : 3));
	put(b, &m, 1);
	put(b, &im, 1);
	put_be(b, n, w);
}

/* ---- objects ---- */

struct obj {
	plist_t node;           /* scalars and containers; NULL for a key string */
	bool str;               /* a string or a key: s is all the writer reads */
	const char *s;          /* strings and keys: the UTF-8 bytes */
	size_t sl;
	size_t ref0;            /* containers: their references at refs[ref0..) */
	uint64_t nref;
};

struct wr {
	struct obj *o;
	size_t n, cap;
	uint64_t *refs;
	size_t nrefs, caprefs;
	mx_strmap strings;      /* string bytes -> object index */
	mx_err *err;
};

static uint64_t
new_obj(struct wr *w, plist_t node, bool str, const char *s, size_t sl)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 256;
		w->o = mx_xrealloc(w->o, w->cap * sizeof *w->o);
	}
	w->o[w->n] = (struct obj){ node, str, s, sl, 0, 0 };
	return w->n++;
}

/* The object of a string (a value or a dict key): one per distinct text.
 * A key's bytes are taken from the set's own copy once all are known. */
static uint64_t
string_obj(struct wr *w, plist_t node, const char *s, size_t sl)
{
	int64_t at;
	/* a value's bytes are the tree's, there until it is written; a key
	 * is a copy freed at once, so the set keeps its own */
	if (!(node ? mx_strmap_add_ref : mx_strmap_add)(&w->strings, s, sl, (int64_t)w->n, &at))
		return (uint64_t)at;
	return new_obj(w, node, true, node ? (s ? s : "") : NULL, sl);
}

static size_t
reserve_refs(struct wr *w, uint64_t n)
{
	while (w->caprefs - w->nrefs < n) {
		w->caprefs = w->caprefs ? w->caprefs * 2 : 1024;
		w->refs = mx_xrealloc(w->refs, w->caprefs * sizeof *w->refs);
	}
	size_t at = w->nrefs;
	w->nrefs += n;
	return at;
}

struct frame { uint64_t obj; void *it; bool dict; uint64_t i, n; };

/* The object for node (a child of a container being listed); containers
 * get their reference slots and are pushed on st. */
static int
visit(struct wr *w, plist_t node, struct frame *st, int *sp, uint64_t *out)
{
	plist_type t = plist_get_node_type(node);
	if (t == PLIST_STRING) {
		uint64_t l = 0;
		const char *s = plist_get_string_ptr(node, &l);
		*out = string_obj(w, node, s, (size_t)l);
		return 0;
	}
	uint64_t o = new_obj(w, node, false, NULL, 0);
	*out = o;
	if (t != PLIST_ARRAY && t != PLIST_DICT)
		return 0;
	if (*sp >= MX_PLIST_MAX_DEPTH + 1)
		return MX_FAIL(w->err, MX_EFORMAT, MX_NO_OFFSET, "binary plist: nesting deeper "
		    "than %d", MX_PLIST_MAX_DEPTH);
	bool dict = t == PLIST_DICT;
	uint64_t n = dict ? plist_dict_get_size(node) : plist_array_get_size(node);
	w->o[o].nref = dict ? 2 * n : n;
	w->o[o].ref0 = reserve_refs(w, w->o[o].nref);
	void *it = NULL;
	if (dict)
		plist_dict_new_iter(node, (plist_dict_iter *)&it);
	else
		plist_array_new_iter(node, (plist_array_iter *)&it);
	st[(*sp)++] = (struct frame){ o, it, dict, 0, n };
	return 0;
}

/* The 8-byte double libplist keeps for a date.  Its only getter in 2.2
 * splits it into int32 seconds and microseconds (wrong after 2069 and
 * for fractions before 2001), so the exact value is read back from
 * libplist's own one-object binary encoding (a date object is 9 bytes). */
static int
date_bits(plist_t node, uint64_t *out)
{
	plist_t c = plist_copy(node);
	char *bin = NULL;
	uint32_t bl = 0;
	plist_to_bin(c, &bin, &bl);
	plist_free(c);
	int rc = -1;
	if (bin != NULL && bl >= 8 + 9 && (uint8_t)bin[8] == 0x33) {
		uint64_t v = 0;
		for (int i = 0; i < 8; i++)
			v = (v << 8) | (uint8_t)bin[9 + i];
		*out = v;
		rc = 0;
	}
	free(bin);
	return rc;
}

/* UTF-8 s[0..n) as UTF-16 code units appended to u16 (big-endian bytes). */
static int
put_utf16(struct obuf *b, const char *s, size_t n, uint64_t *units, mx_err *err)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t start = b->n;
	for (size_t i = 0; i < n;) {
		uint32_t c = p[i];
		size_t l = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 :
		    (c & 0xF8) == 0xF0 ? 4 : 0;
		if (l == 0 || i + l > n)
			return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "binary plist: a string is not "
			    "UTF-8");
		if (l > 1) {
			c &= 0xFF >> (l + 1);
			for (size_t k = 1; k < l; k++)
				c = (c << 6) | (p[i + k] & 0x3F);
		}
		i += l;
		if (c >= 0x10000) {
			c -= 0x10000;
			put_be(b, 0xD800 | (c >> 10), 2);
			put_be(b, 0xDC00 | (c & 0x3FF), 2);
		} else {
			put_be(b, c, 2);
		}
	}
	*units = (b->n - start) / 2;
	return 0;
}

static bool
ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((uint8_t)s[i] >= 0x80)
			return false;
	return true;
}

static int
write_obj(struct wr *w, struct obuf *b, const struct obj *o, unsigned refsize)
{
	if (o->str) {
		/* (the bytes were read at the visit: the tree is not walked twice) */
		const char *s = o->s;
		size_t sl = o->sl;
		if (ascii(s, sl)) {
			put_count(b, 0x50, sl);
			put(b, s, sl);
			return 0;
		}
		/* the unit count comes first: encode into a side buffer */
		struct obuf u = { 0 };
		uint64_t units = 0;
		int rc = put_utf16(&u, s, sl, &units, w->err);
		if (rc == 0) {
			put_count(b, 0x60, units);
			put(b, u.p, u.n);
		}
		free(u.p);
		return rc;
	}
	plist_t n = o->node;
	uint8_t m;
	switch (plist_get_node_type(n)) {
	case PLIST_BOOLEAN: {
		uint8_t v = 0;
		plist_get_bool_val(n, &v);
		m = v ? 0x09 : 0x08;
		put(b, &m, 1);
		return 0;
	}
	case PLIST_UINT: {
		uint64_t v = 0;
		plist_get_uint_val(n, &v);
		unsigned wd = width(v);
		m = (uint8_t)(0x10 | (wd == 1 ? 0 : wd == 2 ? 1 : wd == 4 ? 2 : 3));
		put(b, &m, 1);
		put_be(b, v, wd);
		return 0;
	}
	case PLIST_REAL: {
		double d = 0;
		uint64_t bits;
		plist_get_real_val(n, &d);
		memcpy(&bits, &d, 8);
		m = 0x23;
		put(b, &m, 1);
		put_be(b, bits, 8);
		return 0;
	}
	case PLIST_DATE: {
		uint64_t bits = 0;
		if (date_bits(n, &bits) != 0)
			return MX_FAIL(w->err, MX_EFORMAT, MX_NO_OFFSET, "binary plist: unreadable date");
		m = 0x33;
		put(b, &m, 1);
		put_be(b, bits, 8);
		return 0;
	}
	case PLIST_DATA: {
		uint64_t l = 0;
		const char *d = plist_get_data_ptr(n, &l);
		put_count(b, 0x40, l);
		if (l)
			put(b, d, (size_t)l);
		return 0;
	}
	case PLIST_UID: {
		uint64_t v = 0;
		plist_get_uid_val(n, &v);
		unsigned wd = width(v);
		m = (uint8_t)(0x80 | (wd - 1));
		put(b, &m, 1);
		put_be(b, v, wd);
		return 0;
	}
	case PLIST_ARRAY:
	case PLIST_DICT: {
		bool dict = plist_get_node_type(n) == PLIST_DICT;
		put_count(b, dict ? 0xD0 : 0xA0, dict ? o->nref / 2 : o->nref);
		for (uint64_t i = 0; i < o->nref; i++)
			put_be(b, w->refs[o->ref0 + i], refsize);
		return 0;
	}
	default:
		return MX_FAIL(w->err, MX_EFORMAT, MX_NO_OFFSET, "binary plist: a node of type %s "
		    "cannot be written", mx_plist_type_name(n));
	}
}

int
mx_plist_to_bin(plist_t root, uint8_t **out, size_t *len, mx_err *err)
{
	*out = NULL;
	*len = 0;
	if (root == NULL)
		return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "binary plist: no tree to write");
	struct wr w = { .err = err };
	mx_strmap_init(&w.strings);
	struct frame *st = mx_xcalloc(MX_PLIST_MAX_DEPTH + 2, sizeof *st);
	int sp = 0, rc;
	uint64_t top;
	rc = visit(&w, root, st, &sp, &top);
	while (rc == 0 && sp > 0) {
		struct frame *f = &st[sp - 1];
		if (f->i == f->n) {
			free(f->it);
			sp--;
			continue;
		}
		uint64_t i = f->i++, child;
		plist_t v = NULL;
		struct obj *o = &w.o[f->obj];
		size_t ref0 = o->ref0;
		if (f->dict) {
			char *key = NULL;
			plist_dict_next_item(w.o[f->obj].node, f->it, &key, &v);
			if (key == NULL || v == NULL) {
				free(key);
				rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "binary plist: a dictionary "
				    "changed size while written");
				break;
			}
			uint64_t ko = string_obj(&w, NULL, key, strlen(key));
			free(key);
			w.refs[ref0 + i] = ko;
			if ((rc = visit(&w, v, st, &sp, &child)) == 0)
				w.refs[ref0 + f->n + i] = child;   /* f stays valid: st is fixed */
		} else {
			plist_array_next_item(w.o[f->obj].node, f->it, &v);
			if (v == NULL) {
				rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "binary plist: an array "
				    "changed size while written");
				break;
			}
			if ((rc = visit(&w, v, st, &sp, &child)) == 0)
				w.refs[ref0 + i] = child;
		}
	}
	while (sp > 0)
		free(st[--sp].it);
	free(st);
	/* key strings point into the set's copies */
	for (size_t i = 0; rc == 0 && i < mx_strmap_count(&w.strings); i++) {
		const mx_strmap_ent *e = mx_strmap_at(&w.strings, i);
		if (w.o[e->val].node == NULL)
			w.o[e->val].s = e->k;
	}
	struct obuf b = { 0 };
	uint64_t *offs = NULL;
	if (rc == 0) {
		unsigned refsize = width(w.n) > 4 ? 8 : width(w.n);
		offs = mx_xmalloc((w.n ? w.n : 1) * sizeof *offs);
		put(&b, "bplist00", 8);
		for (size_t i = 0; rc == 0 && i < w.n; i++) {
			offs[i] = b.n;
			rc = write_obj(&w, &b, &w.o[i], refsize);
		}
		if (rc == 0) {
			uint64_t table = b.n;
			unsigned offsize = width(table);
			for (size_t i = 0; i < w.n; i++)
				put_be(&b, offs[i], offsize);
			uint8_t tr[6] = { 0 };
			put(&b, tr, 6);
			uint8_t sizes[2] = { (uint8_t)offsize, (uint8_t)refsize };
			put(&b, sizes, 2);
			put_be(&b, w.n, 8);
			put_be(&b, top, 8);
			put_be(&b, table, 8);
		}
	}
	free(offs);
	free(w.o);
	free(w.refs);
	mx_strmap_free(&w.strings);
	if (rc != 0) {
		free(b.p);
		return rc;
	}
	*out = b.p;
	*len = b.n;
	return 0;
}

/* ---- indexes for trees read from binary plists ---- */

struct iframe { plist_t src, dst; void *it; bool dict; };

static plist_t
new_like(plist_t n)
{
	plist_type t = plist_get_node_type(n);
	return t == PLIST_DICT ? plist_new_dict() : t == PLIST_ARRAY ? plist_new_array() :
	    plist_copy(n);
}

int
mx_plist_index(plist_t *root, mx_err *err)
{
	plist_t src = *root;
	plist_type t = plist_get_node_type(src);
	if (t != PLIST_ARRAY && t != PLIST_DICT)
		return 0;
	plist_t dst = new_like(src);
	struct iframe *st = mx_xcalloc(MX_PLIST_MAX_DEPTH + 2, sizeof *st);
	int sp = 0, rc = 0;
	st[sp].src = src;
	st[sp].dst = dst;
	st[sp].dict = t == PLIST_DICT;
	if (st[sp].dict)
		plist_dict_new_iter(src, (plist_dict_iter *)&st[sp].it);
	else
		plist_array_new_iter(src, (plist_array_iter *)&st[sp].it);
	sp++;
	while (sp > 0) {
		struct iframe *f = &st[sp - 1];
		char *key = NULL;
		plist_t v = NULL;
		if (f->dict)
			plist_dict_next_item(f->src, f->it, &key, &v);
		else
			plist_array_next_item(f->src, f->it, &v);
		if (v == NULL) {
			free(key);
			free(f->it);
			sp--;
			continue;
		}
		plist_t c = new_like(v);
		if (f->dict)
			plist_dict_set_item(f->dst, key, c);
		else
			plist_array_append_item(f->dst, c);
		free(key);
		plist_type ct = plist_get_node_type(v);
		if (ct == PLIST_ARRAY || ct == PLIST_DICT) {
			if (sp >= MX_PLIST_MAX_DEPTH + 1) {
				rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "nesting deeper than %d",
				    MX_PLIST_MAX_DEPTH);
				break;
			}
			st[sp] = (struct iframe){ v, c, NULL, ct == PLIST_DICT };
			if (st[sp].dict)
				plist_dict_new_iter(v, (plist_dict_iter *)&st[sp].it);
			else
				plist_array_new_iter(v, (plist_array_iter *)&st[sp].it);
			sp++;
		}
	}
	while (sp > 0)
		free(st[--sp].it);
	free(st);
	if (rc != 0) {
		plist_free(dst);
		return rc;
	}
	plist_free(src);
	*root = dst;
	return 0;
}
