/*
 * xpwrite.c — the other half of the server's property lists: lookups in a
 * parsed tree (xplist.c), nodes built for the writer, and the writer of
 * Apple's XML plist format (PropertyList-1.0.dtd, tab-indented as
 * CFPropertyList writes it; strings escaped, data as one base64 line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdms.h"

/* ---- lookups ---- */

const mds_pnode *
mds_plist_get(const mds_pnode *dict, const char *key)
{
	if (dict == NULL || dict->type != MDS_P_DICT)
		return NULL;
	for (const mds_pnode *c = dict->first; c; c = c->next)
		if (strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

const char *
mds_plist_str(const mds_pnode *dict, const char *key)
{
	const mds_pnode *n = mds_plist_get(dict, key);
	return n && n->type == MDS_P_STRING ? n->v.s : NULL;
}

const char *
mds_ptype_name(enum mds_ptype t)
{
	static const char *const names[] = { "dictionary", "array", "string", "integer",
		"real", "boolean", "date", "data" };
	return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

mds_pnode *
mds_pnode_new(mds_arena *a, enum mds_ptype t)
{
	mds_pnode *n = mds_arena_alloc(a, sizeof *n);
	n->type = t;
	return n;
}

mds_pnode *
mds_pnode_string(mds_arena *a, const char *s)
{
	mds_pnode *n = mds_pnode_new(a, MDS_P_STRING);
	n->n = (uint32_t)strlen(s);
	n->v.s = mds_arena_strndup(a, s, n->n);
	return n;
}

/* ---- writer ---- */

static void
indent(mds_buf *o, int d)
{
	for (int i = 0; i < d; i++)
		mds_buf_add(o, "\t", 1);
}

static void
write_node(mds_buf *o, const mds_pnode *n, int d)
{
	indent(o, d);
	switch (n->type) {
	case MDS_P_DICT:
	case MDS_P_ARRAY: {
		const char *tag = n->type == MDS_P_DICT ? "dict" : "array";
		if (n->first == NULL) {
			mds_buf_printf(o, "<%s/>\n", tag);
			return;
		}
		mds_buf_printf(o, "<%s>\n", tag);
		for (const mds_pnode *c = n->first; c; c = c->next) {
			if (n->type == MDS_P_DICT) {
				indent(o, d + 1);
				mds_buf_adds(o, "<key>");
				mds_buf_xml_escape(o, c->key, strlen(c->key));
				mds_buf_adds(o, "</key>\n");
			}
			write_node(o, c, d + 1);
		}
		indent(o, d);
		mds_buf_printf(o, "</%s>\n", tag);
		return;
	}
	case MDS_P_STRING:
		mds_buf_adds(o, "<string>");
		mds_buf_xml_escape(o, n->v.s, n->n);
		mds_buf_adds(o, "</string>\n");
		return;
	case MDS_P_INTEGER:
		if (n->big) {
			uint64_t u;
			memcpy(&u, &n->v.i, sizeof u);
			mds_buf_printf(o, "<integer>%llu</integer>\n", (unsigned long long)u);
		} else {
			mds_buf_printf(o, "<integer>%lld</integer>\n", (long long)n->v.i);
		}
		return;
	case MDS_P_REAL:
		mds_buf_printf(o, "<real>%.17g</real>\n", n->v.r);
		return;
	case MDS_P_BOOL:
		mds_buf_adds(o, n->v.b ? "<true/>\n" : "<false/>\n");
		return;
	case MDS_P_DATE:
		mds_buf_printf(o, "<date>%s</date>\n", n->v.s);
		return;
	case MDS_P_DATA: {
		char *b = mds_b64_encode(n->v.d, n->n);
		mds_buf_printf(o, "<data>%s</data>\n", b);
		free(b);
		return;
	}
	}
}

void
mds_plist_write(mds_buf *out, const mds_pnode *root)
{
	mds_buf_adds(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
	    "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\n");
	write_node(out, root, 0);
	mds_buf_adds(out, "</plist>\n");
}
