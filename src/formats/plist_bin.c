/*
 * plist_bin.c — the pre-scan of binary plists (formats-and-peers.md
 * §1.15) that runs before libplist 2.2 sees a byte (plist.c calls it):
 * trailer, offset table, every object marker and size, every reference in
 * range, dict keys strings, unique and at most MX_PLIST_MAX_DICT_KEYS,
 * strings that become UTF-8 (ASCII 0x5 objects, UTF-16 0x6 ones with
 * paired surrogates), no reference cycle, depth <= 512, and the tree
 * libplist will build (it copies shared objects) under MX_PLIST_MAX_NODES.
 * A failure names the offset and, rebuilt from the walk's stack, the key
 * path.  libplist 2.2 recurses per level and crashes on a 100,000-deep
 * binary plist: this scan is the guard.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/plist_int.h"
#include "macext/plist_util.h"
#include "macext/rd.h"

/* ---- binary pre-scan (formats-and-peers.md §1.15) ---- */

struct bscan {
	mx_rd rd;               /* the whole file */
	const char *name;
	mx_err *err;
	uint8_t offsize, refsize;
	uint64_t nobj, top, offtab;
};

static int
bfail(struct bscan *s, uint64_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
bfail(struct bscan *s, uint64_t off, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return mx_plist_failp(s->err, MX_EFORMAT, off, s->name, NULL, "binary plist: %s", msg);
}

static uint64_t
getn(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned k = 0; k < n; k++)
		v = (v << 8) | p[k];
	return v;
}

/* What one object is: its children (refs) and, for strings, its bytes. */
struct bobj {
	uint8_t type;           /* high nibble of the marker */
	uint64_t off;
	uint64_t count;         /* items (containers), bytes/units (strings, data) */
	const uint8_t *refs;    /* containers: count (dict: 2*count) refs */
	const uint8_t *bytes;   /* strings */
};

static int
bobject(struct bscan *s, uint64_t idx, struct bobj *o)
{
	const uint8_t *ent;
	mx_rd r = s->rd;
	if (mx_rd_seek(&r, s->offtab + idx * s->offsize, s->err) != 0 ||
	    mx_rd_bytes(&r, &ent, s->offsize, s->err) != 0)
		return bfail(s, s->offtab, "offset table entry %llu out of range", (unsigned long long)idx);
	uint64_t off = getn(ent, s->offsize);
	if (off < 8 || off >= s->offtab)
		return bfail(s, s->offtab + idx * s->offsize,
		    "object %llu at offset %llu outside the object area",
		    (unsigned long long)idx, (unsigned long long)off);
	/* objects live in [off, offtab) */
	mx_rd o_rd;
	if (mx_rd_sub(&o_rd, &s->rd, off, s->offtab - off, "object", s->err) != 0)
		return bfail(s, off, "object %llu out of range", (unsigned long long)idx);
	uint8_t m;
	if (mx_rd_u8(&o_rd, &m, s->err) != 0)
		return bfail(s, off, "truncated object");
	memset(o, 0, sizeof *o);
	o->type = m >> 4;
	o->off = off;
	uint8_t lo = m & 0x0F;
	uint64_t count = lo;
	const uint8_t *p;
	switch (o->type) {
	case 0x0:
		if (lo != 0 && lo != 8 && lo != 9 && lo != 0xF)
			return bfail(s, off, "unknown marker 0x%02x", m);
		return 0;
	case 0x1:
		if (lo > 4)
			return bfail(s, off, "integer of 2^%u bytes", lo);
		if (mx_rd_skip(&o_rd, (size_t)1 << lo, s->err) != 0)
			return bfail(s, off, "truncated integer");
		return 0;
	case 0x2:
		if (lo != 2 && lo != 3)
			return bfail(s, off, "real of 2^%u bytes", lo);
		if (mx_rd_skip(&o_rd, (size_t)1 << lo, s->err) != 0)
			return bfail(s, off, "truncated real");
		return 0;
	case 0x3:
		if (lo != 3)
			return bfail(s, off, "unknown marker 0x%02x", m);
		if (mx_rd_skip(&o_rd, 8, s->err) != 0)
			return bfail(s, off, "truncated date");
		return 0;
	case 0x8:
		if (mx_rd_skip(&o_rd, (size_t)lo + 1, s->err) != 0)
			return bfail(s, off, "truncated uid");
		return 0;
	case 0x4: case 0x5: case 0x6: case 0xA: case 0xC: case 0xD:
		break;
	default:
		return bfail(s, off, "unknown marker 0x%02x", m);
	}
	if (lo == 0xF) {
		uint8_t im;
		if (mx_rd_u8(&o_rd, &im, s->err) != 0 || (im >> 4) != 0x1 || (im & 0xF) > 3)
			return bfail(s, off, "bad length marker");
		unsigned n = 1u << (im & 0xF);
		if (mx_rd_bytes(&o_rd, &p, n, s->err) != 0)
			return bfail(s, off, "truncated length");
		count = getn(p, n);
	}
	uint64_t unit = o->type == 0x6 ? 2 : o->type == 0xD ? 2u * s->refsize :
	    (o->type == 0xA || o->type == 0xC) ? s->refsize : 1;
	size_t left = mx_rd_left(&o_rd);
	if (count > left / unit)
		return bfail(s, off, "object of %llu items runs past the object area",
		    (unsigned long long)count);
	o->count = count;
	if (mx_rd_bytes(&o_rd, &p, (size_t)(count * unit), s->err) != 0)
		return bfail(s, off, "truncated object");
	if (o->type >= 0xA)
		o->refs = p;
	else
		o->bytes = p;
	/* libplist 2.2 asserts strlen(value) == length on every string and key
	 * it hands out: a NUL inside a string would abort the process */
	if (o->type == 0x5 && memchr(p, 0, (size_t)count) != NULL)
		return bfail(s, off, "NUL character inside a string");
	/* strings must become UTF-8 (issue 14 §9): an 0x5 string is ASCII
	 * (CoreFoundation reads it so; libplist would copy other bytes as
	 * they are), an 0x6 one UTF-16 with every surrogate paired */
	if (o->type == 0x5)
		for (uint64_t u = 0; u < count; u++)
			if (p[u] >= 0x80)
				return bfail(s, off, "ASCII string object holds byte 0x%02x", p[u]);
	if (o->type == 0x6)
		for (uint64_t u = 0; u < count; u++) {
			unsigned c = ((unsigned)p[2 * u] << 8) | p[2 * u + 1];
			if (c == 0)
				return bfail(s, off, "NUL character inside a string");
			if (c >= 0xDC00 && c <= 0xDFFF)
				return bfail(s, off, "UTF-16 string with an unpaired low surrogate");
			if (c >= 0xD800 && c <= 0xDBFF) {
				unsigned c2 = u + 1 < count ? ((unsigned)p[2 * u + 2] << 8) | p[2 * u + 3] : 0;
				if (c2 < 0xDC00 || c2 > 0xDFFF)
					return bfail(s, off, "UTF-16 string with an unpaired high surrogate");
				u++;
			}
		}
	return 0;
}

static uint64_t
bref(const struct bscan *s, const struct bobj *o, uint64_t k)
{
	return getn(o->refs + k * s->refsize, s->refsize);
}

/* A dict key compared by characters, whatever its encoding: ASCII (0x5)
 * and UTF-16BE (0x6) spellings of one string are the same key. */
struct bkey { const uint8_t *p; uint64_t n; uint8_t type; };

static unsigned
bkey_ch(const struct bkey *k, uint64_t i)
{
	return k->type == 0x5 ? k->p[i] : ((unsigned)k->p[2 * i] << 8) | k->p[2 * i + 1];
}

static int
bkey_cmp(const void *a, const void *b)
{
	const struct bkey *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	for (uint64_t i = 0; i < x->n; i++) {
		unsigned cx = bkey_ch(x, i), cy = bkey_ch(y, i);
		if (cx != cy)
			return cx < cy ? -1 : 1;
	}
	return 0;
}

static int
bdict_keys(struct bscan *s, const struct bobj *o)
{
	/* the XML reader's cap: consumers look keys up in these dicts */
	if (o->count > MX_PLIST_MAX_DICT_KEYS)
		return bfail(s, o->off, "more than %d keys in one dictionary", MX_PLIST_MAX_DICT_KEYS);
	struct bkey *ks = mx_xcalloc(o->count ? o->count : 1, sizeof *ks);
	int rc = 0;
	for (uint64_t k = 0; k < o->count && rc == 0; k++) {
		struct bobj ko;
		uint64_t r = bref(s, o, k);
		if (r >= s->nobj) {
			rc = bfail(s, o->off, "dictionary key reference %llu out of range",
			    (unsigned long long)r);
			break;
		}
		if ((rc = bobject(s, r, &ko)) != 0)
			break;
		if (ko.type != 0x5 && ko.type != 0x6) {
			rc = bfail(s, ko.off, "dictionary key is not a string");
			break;
		}
		ks[k] = (struct bkey){ ko.bytes, ko.count, ko.type };
	}
	if (rc == 0 && o->count > 1) {
		qsort(ks, (size_t)o->count, sizeof *ks, bkey_cmp);
		for (uint64_t k = 1; k < o->count; k++)
			if (bkey_cmp(&ks[k - 1], &ks[k]) == 0) {
				bool show = ks[k].type == 0x5 && ks[k].n < 100;
				rc = mx_plist_failp(s->err, MX_EFORMAT, o->off, s->name, NULL,
				    "binary plist: duplicate key \"%.*s\" in the dictionary at offset %llu",
				    show ? (int)ks[k].n : 0, show ? (const char *)ks[k].p : "",
				    (unsigned long long)o->off);
				break;
			}
	}
	free(ks);
	return rc;
}

struct bframe { uint64_t idx, next; };

/* The key path of the object on top of the DFS stack st[0..sp), for a
 * message: ".Key" for a dict entry (ASCII keys shown), "[i]" for an array
 * item.  Best effort: objects were all read once already. */
static void
bpath(struct bscan *s, const struct bframe *st, int sp, char *out, size_t len)
{
	size_t n = 0;
	out[0] = '\0';
	for (int f = 0; f + 1 < sp && n + 1 < len; f++) {
		struct bobj o, k;
		uint64_t ci = st[f].next - 1;
		if (bobject(s, st[f].idx, &o) != 0)
			break;
		int w = 0;
		if (o.type == 0xD) {
			uint64_t kr = bref(s, &o, ci);
			if (kr < s->nobj && bobject(s, kr, &k) == 0 && k.type == 0x5 && k.count < 100)
				w = snprintf(out + n, len - n, "%s%.*s", n ? "." : "", (int)k.count,
				    (const char *)k.bytes);
			else
				w = snprintf(out + n, len - n, "%s(key %llu)", n ? "." : "",
				    (unsigned long long)ci);
		} else if (o.type == 0xA || o.type == 0xC) {
			w = snprintf(out + n, len - n, "[%llu]", (unsigned long long)ci);
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

int
mx_plist_bin_scan(const uint8_t *b, size_t len, const char *name, mx_err *err)
{
	struct bscan s = { .name = name, .err = err };
	mx_rd_init(&s.rd, b, len, 0, "binary plist");
	if (len < 8 + 1 + 32)
		return bfail(&s, 0, "%zu bytes is too short", len);
	const uint8_t *t = b + len - 32;
	s.offsize = t[6];
	s.refsize = t[7];
	s.nobj = getn(t + 8, 8);
	s.top = getn(t + 16, 8);
	s.offtab = getn(t + 24, 8);
	uint64_t toff = len - 32;
	if (s.offsize < 1 || s.offsize > 8 || s.refsize < 1 || s.refsize > 8)
		return bfail(&s, toff + 6, "offset size %u / reference size %u not in 1..8",
		    s.offsize, s.refsize);
	if (s.nobj == 0 || s.top >= s.nobj)
		return bfail(&s, toff + 8, "%llu objects, top object %llu",
		    (unsigned long long)s.nobj, (unsigned long long)s.top);
	if (s.offtab < 9 || s.offtab > toff || s.nobj > (toff - s.offtab) / s.offsize)
		return bfail(&s, toff + 24, "offset table at %llu with %llu entries does not fit",
		    (unsigned long long)s.offtab, (unsigned long long)s.nobj);

	/* iterative DFS from the top object, memoised, cycle-checked */
	uint8_t *state = mx_xcalloc((size_t)s.nobj, 1);           /* 0 new, 1 open, 2 done */
	uint16_t *height = mx_xcalloc((size_t)s.nobj, sizeof *height);
	uint32_t *nodes = mx_xcalloc((size_t)s.nobj, sizeof *nodes);  /* saturating */
	struct bframe *st = mx_xcalloc(MX_PLIST_MAX_DEPTH + 2, sizeof *st);
	int sp = 0, rc = 0;
	st[sp++] = (struct bframe){ s.top, 0 };
	state[s.top] = 1;
	while (sp > 0 && rc == 0) {
		struct bframe *f = &st[sp - 1];
		struct bobj o;
		if ((rc = bobject(&s, f->idx, &o)) != 0)
			break;
		uint64_t nchild = o.type == 0xD ? o.count : (o.type == 0xA || o.type == 0xC) ? o.count : 0;
		if (f->next == 0 && o.type == 0xD && (rc = bdict_keys(&s, &o)) != 0)
			break;
		if (f->next < nchild) {
			/* dict values follow the keys */
			uint64_t r = bref(&s, &o, o.type == 0xD ? o.count + f->next : f->next);
			f->next++;
			if (r >= s.nobj) {
				rc = bfail(&s, o.off, "reference %llu out of range", (unsigned long long)r);
				break;
			}
			if (state[r] == 2)
				continue;
			if (state[r] == 1) {
				rc = bfail(&s, o.off, "reference cycle through object %llu",
				    (unsigned long long)r);
				break;
			}
			if (sp > MX_PLIST_MAX_DEPTH) {
				rc = bfail(&s, o.off, "nesting deeper than %d", MX_PLIST_MAX_DEPTH);
				break;
			}
			state[r] = 1;
			st[sp++] = (struct bframe){ r, 0 };
			continue;
		}
		/* all children done: height and expanded node count */
		uint32_t h = 0;
		uint64_t n = 1 + (o.type == 0xD ? o.count : 0);   /* libplist adds key nodes */
		for (uint64_t k = 0; k < nchild; k++) {
			uint64_t r = bref(&s, &o, o.type == 0xD ? o.count + k : k);
			if (height[r] > h)
				h = height[r];
			n += nodes[r];
		}
		if (nchild > 0 && h + 1u > MX_PLIST_MAX_DEPTH) {
			rc = bfail(&s, o.off, "nesting deeper than %d", MX_PLIST_MAX_DEPTH);
			break;
		}
		if (n > MX_PLIST_MAX_NODES) {
			rc = bfail(&s, o.off, "object graph expands to more than %u nodes",
			    MX_PLIST_MAX_NODES);
			break;
		}
		height[f->idx] = (uint16_t)(nchild > 0 ? h + 1 : 0);
		nodes[f->idx] = (uint32_t)n;
		state[f->idx] = 2;
		sp--;
	}
	if (rc != 0 && sp > 1 && err != NULL) {
		/* name where in the tree it happened; bobject's messages are
		 * silenced here (err already holds the real one) */
		char path[200];
		mx_err *saved = s.err;
		s.err = NULL;
		bpath(&s, st, sp, path, sizeof path);
		s.err = saved;
		if (path[0] != '\0')
			snprintf(err->where, sizeof err->where, "%s: %s", name, path);
	}
	free(state);
	free(height);
	free(nodes);
	free(st);
	return rc;
}

