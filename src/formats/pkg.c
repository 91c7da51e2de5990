/*
 * pkg.c — a flat installer package read from memory (pkg.h).  The xar
 * container (magic "xar!", a header, the zlib-compressed XML TOC, the heap
 * starting with the TOC's checksum) is read by libarchive, which checks the
 * TOC checksum and each member's archived checksum ("Sumcheck error" is a
 * refusal here).  Members used, as productbuild/pkgbuild lay them out:
 *
 *   distribution:  Distribution, NAME.pkg/{PackageInfo, Bom, Payload, Scripts}, Resources/...
 *   component:     PackageInfo, Bom, Payload, Scripts
 *
 * Payload and Scripts are cpio archives (odc), gzip- or pbzx-compressed;
 * they are decompressed under MX_PKG_MAX_PAYLOAD and read by libarchive's
 * cpio reader, every entry checked (paths, types, link targets, sizes,
 * duplicates) before the caller sees any; AppleDouble "._NAME" entries are
 * folded into NAME's extended attributes.  libarchive is opened on the
 * first read (dl_archive.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/dl_archive.h"

#include "macext/pkg.h"
#include "macext/sysextdb.h"

struct member { char name[512]; uint8_t *data; size_t len; };

struct mx_pkg {
	struct member *m;
	int nm;
	const uint8_t *dist;
	size_t dist_len;
	int ncomp;
	mx_pkg_component comp[MX_PKG_MAX_COMPONENTS];
};

/* ---- paths ---- */

/* "./a/b/" -> "a/b"; false for absolute paths, "..", empty components, non-text. */
static bool
clean_path(char *out, size_t cap, const char *in)
{
	while (in[0] == '.' && in[1] == '/')
		in += 2;
	if (strcmp(in, ".") == 0)
		in = "";
	size_t n = strlen(in);
	while (n && in[n - 1] == '/')
		n--;
	if (n >= cap || in[0] == '/')
		return false;
	memcpy(out, in, n);
	out[n] = '\0';
	if (n == 0)
		return true;
	for (const char *c = out; ; ) {
		const char *e = strchr(c, '/');
		size_t l = e ? (size_t)(e - c) : strlen(c);
		if (l == 0 || (l == 2 && c[0] == '.' && c[1] == '.') || (l == 1 && c[0] == '.'))
			return false;
		if (!e)
			break;
		c = e + 1;
	}
	return mx_text_ok(out);
}

/* Whether a link at path pointing at target stays inside the payload. */
static bool
link_inside(const char *path, const char *target)
{
	if (target[0] == '/' || target[0] == '\0' || !mx_text_ok(target))
		return false;
	int depth = 0;
	for (const char *c = path; (c = strchr(c, '/')) != NULL; c++)
		depth++;                  /* the link's directory depth */
	for (const char *c = target; *c; ) {
		const char *e = strchr(c, '/');
		size_t l = e ? (size_t)(e - c) : strlen(c);
		if (l == 2 && c[0] == '.' && c[1] == '.') {
			if (--depth < 0)
				return false;
		} else if (l > 0 && !(l == 1 && c[0] == '.')) {
			depth++;
		}
		if (!e)
			break;
		c = e + 1;
	}
	return true;
}

/* ---- Payload / Scripts ---- */

void
mx_pkg_tree_free(mx_pkg_tree *t)
{
	for (size_t i = 0; i < t->nentries; i++)
		free((void *)t->entries[i].data);
	for (int i = 0; t->ad && i < t->nappledouble; i++)
		free(t->ad[i]);
	free(t->ad);
	free(t->entries);
	free(t->buf);
	memset(t, 0, sizeof *t);
}

/* buf[0..len) decompressed by libarchive's filters (gzip, bzip2, xz) into *out. */
static int
inflate_all(const uint8_t *buf, size_t len, uint8_t **out, size_t *olen, const char *name,
    mx_err *err)
{
	struct archive *a = sym_archive_read_new();
	struct archive_entry *e;
	sym_archive_read_support_filter_all(a);
	sym_archive_read_support_format_raw(a);
	int rc = 0;
	*out = NULL;
	*olen = 0;
	size_t cap = 0;
	if (sym_archive_read_open_memory(a, buf, len) != ARCHIVE_OK ||
	    sym_archive_read_next_header(a, &e) != ARCHIVE_OK) {
		rc = MX_FAIL(err, MX_EFORMAT, 0, "%s: %s", name, sym_archive_error_string(a) ?
		    sym_archive_error_string(a) : "unreadable");
	}
	while (rc == 0) {
		if (*olen == cap) {
			if (cap > MX_PKG_MAX_PAYLOAD) {
				rc = MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: over %llu MiB uncompressed",
				    name, MX_PKG_MAX_PAYLOAD >> 20);
				break;
			}
			cap = cap ? cap * 2 : 1 << 20;
			*out = mx_xrealloc(*out, cap + 1);
		}
		la_ssize_t n = sym_archive_read_data(a, *out + *olen, cap + 1 - *olen > cap - *olen ?
		    cap - *olen : cap + 1 - *olen);
		if (n < 0) {
			rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: %s", name, sym_archive_error_string(a) ?
			    sym_archive_error_string(a) : "corrupt");
			break;
		}
		if (n == 0)
			break;
		*olen += (size_t)n;
	}
	sym_archive_read_free(a);
	if (rc) {
		free(*out);
		*out = NULL;
		*olen = 0;
	}
	return rc;
}

static mx_pkg_entry *
find(mx_pkg_tree *t, const char *path)
{
	for (size_t i = 0; i < t->nentries; i++)
		if (strcmp(t->entries[i].path, path) == 0)
			return &t->entries[i];
	return NULL;
}

static bool
is_appledouble(const mx_pkg_entry *e)
{
	const char *base = strrchr(e->path, '/');
	base = base ? base + 1 : e->path;
	return e->type == MX_PKG_FILE && strncmp(base, "._", 2) == 0 && base[2] &&
	    mx_appledouble_sniff(e->data, e->len);
}

/* Folds each "dir/._name" AppleDouble entry into "dir/name"'s attributes and
 * takes it out of the list (its bytes stay in t->ad: the values point there). */
static int
fold_appledouble(mx_pkg_tree *t, const char *name, mx_err *err)
{
	for (size_t i = 0; i < t->nentries; i++) {
		mx_pkg_entry *e = &t->entries[i];
		if (!is_appledouble(e))
			continue;
		const char *base = strrchr(e->path, '/');
		base = base ? base + 1 : e->path;
		char target[1024];
		snprintf(target, sizeof target, "%.*s%s", (int)(base - e->path), e->path, base + 2);
		mx_xattrs x;
		int rc = mx_appledouble_parse(&x, e->data, e->len, err);
		if (rc) {
			snprintf(err->where, sizeof err->where, "%s: %s", name, e->path);
			return rc;
		}
		mx_pkg_entry *f = find(t, target);
		if (f)
			f->xattrs = x;
	}
	size_t w = 0, nad = 0;
	t->ad = mx_xcalloc(t->nentries + 1, sizeof *t->ad);
	for (size_t i = 0; i < t->nentries; i++) {
		if (is_appledouble(&t->entries[i]))
			t->ad[nad++] = (uint8_t *)t->entries[i].data;
		else
			t->entries[w++] = t->entries[i];
	}
	t->nentries = w;
	t->nappledouble = (int)nad;
	return 0;
}

int
mx_pkg_tree_read(mx_pkg_tree *out, const uint8_t *buf, size_t len, const char *name,
    mx_err *err)
{
	memset(out, 0, sizeof *out);
	int rc;
	if ((rc = mx_dl_archive(err)))
		return rc;
	uint8_t *cpio = NULL;
	size_t clen = 0;
	if (len >= 4 && memcmp(buf, "pbzx", 4) == 0) {
		if ((rc = mx_pbzx_decode(buf, len, MX_PKG_MAX_PAYLOAD, &cpio, &clen, err))) {
			if (err && err->where[0])
				mx_err_where(err, "%s: ", name);
			else if (err)
				snprintf(err->where, sizeof err->where, "%s", name);
			return rc;
		}
	} else if ((rc = inflate_all(buf, len, &cpio, &clen, name, err))) {
		return rc;
	}
	out->buf = cpio;
	struct archive *a = sym_archive_read_new();
	sym_archive_read_support_format_cpio(a);
	struct archive_entry *ae;
	size_t cap = 0, total = 0;
	if (sym_archive_read_open_memory(a, cpio, clen) != ARCHIVE_OK)
		rc = MX_FAIL(err, MX_EFORMAT, 0, "%s: not a cpio archive: %s", name,
		    sym_archive_error_string(a) ? sym_archive_error_string(a) : "unknown");
	while (rc == 0) {
		int r = sym_archive_read_next_header(a, &ae);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: cpio: %s", name,
			    sym_archive_error_string(a) ? sym_archive_error_string(a) : "unreadable entry");
			break;
		}
		const char *raw = sym_archive_entry_pathname(ae);
		char path[1024];
		if (raw == NULL || !clean_path(path, sizeof path, raw)) {
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: entry \"%.200s\" is not a relative"
			    " path inside the payload (absolute, \"..\" or not text)", name, raw ? raw : "");
			break;
		}
		if (path[0] == '\0')
			continue;        /* the payload's root, "." */
		if (out->nentries == MX_PKG_MAX_ENTRIES) {
			rc = MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: more than %d entries", name,
			    MX_PKG_MAX_ENTRIES);
			break;
		}
		if (find(out, path)) {
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: %s appears twice", name, path);
			break;
		}
		mx_pkg_entry e;
		memset(&e, 0, sizeof e);
		snprintf(e.path, sizeof e.path, "%s", path);
		e.mode = sym_archive_entry_perm(ae) & 07777;
		const char *hl = sym_archive_entry_hardlink(ae);
		mode_t ft = sym_archive_entry_filetype(ae);
		if (hl) {
			char t2[1024];
			mx_pkg_entry *src = clean_path(t2, sizeof t2, hl) ? find(out, t2) : NULL;
			if (src == NULL || src->type != MX_PKG_FILE) {
				rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: %s: a hard link to \"%.200s\","
				    " which is not an earlier file of the payload", name, path, hl);
				break;
			}
			e.type = MX_PKG_FILE;
			e.len = src->len;
			e.data = mx_xmalloc(src->len ? src->len : 1);
			memcpy((void *)e.data, src->data, src->len);
		} else if (ft == AE_IFDIR) {
			e.type = MX_PKG_DIR;
		} else if (ft == AE_IFLNK) {
			const char *tg = sym_archive_entry_symlink(ae);
			if (tg == NULL || strlen(tg) >= sizeof e.link || !link_inside(path, tg)) {
				rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: %s: a symbolic link to"
				    " \"%.200s\", out of the payload", name, path, tg ? tg : "");
				break;
			}
			e.type = MX_PKG_LINK;
			snprintf(e.link, sizeof e.link, "%s", tg);
		} else if (ft == AE_IFREG) {
			la_int64_t sz = sym_archive_entry_size(ae);
			if (sz < 0 || (uint64_t)sz > MX_PKG_MAX_PAYLOAD - total) {
				rc = MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: %s: %lld bytes, over the"
				    " payload cap", name, path, (long long)sz);
				break;
			}
			e.type = MX_PKG_FILE;
			e.len = (size_t)sz;
			e.data = mx_xmalloc(e.len ? e.len : 1);
			la_ssize_t got = e.len ? sym_archive_read_data(a, (void *)e.data, e.len) : 0;
			if (got < 0 || (size_t)got != e.len) {
				free((void *)e.data);
				rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: %s: truncated data", name, path);
				break;
			}
			total += e.len;
		} else {
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: %s: a device, socket or pipe"
			    " (type 0%o), which a payload may not hold", name, path, (unsigned)ft);
			break;
		}
		if (out->nentries == cap) {
			cap = cap ? cap * 2 : 64;
			out->entries = mx_xrealloc(out->entries, cap * sizeof *out->entries);
		}
		out->entries[out->nentries++] = e;
	}
	sym_archive_read_free(a);
	/* every file's parent directories must be directories of the payload */
	for (size_t i = 0; rc == 0 && i < out->nentries; i++) {
		char parent[1024];
		snprintf(parent, sizeof parent, "%s", out->entries[i].path);
		for (char *s = strrchr(parent, '/'); rc == 0 && s; s = strrchr(parent, '/')) {
			*s = '\0';
			mx_pkg_entry *p = find(out, parent);
			if (p && p->type != MX_PKG_DIR)
				rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: %s lies under %s, which is not"
				    " a directory", name, out->entries[i].path, parent);
		}
	}
	if (rc == 0)
		rc = fold_appledouble(out, name, err);
	if (rc)
		mx_pkg_tree_free(out);
	return rc;
}

/* ---- the xar ---- */

static const struct member *
member(const mx_pkg *p, const char *name)
{
	for (int i = 0; i < p->nm; i++)
		if (strcmp(p->m[i].name, name) == 0)
			return &p->m[i];
	return NULL;
}

void
mx_pkg_free(mx_pkg *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < p->nm; i++)
		free(p->m[i].data);
	free(p->m);
	free(p);
}

static bool
wanted(const char *name)
{
	static const char *const leaves[] = { "Distribution", "PackageInfo", "Bom", "Payload",
		"Scripts" };
	const char *slash = strchr(name, '/');
	const char *leaf = slash ? slash + 1 : name;
	if (slash && (strchr(leaf, '/') || (size_t)(slash - name) < 5 ||
	    strncmp(slash - 4, ".pkg", 4) != 0))
		return false;
	for (size_t i = 0; i < sizeof leaves / sizeof leaves[0]; i++)
		if (strcmp(leaf, leaves[i]) == 0)
			return !(slash && i == 0);
	return false;
}

static int
component(mx_pkg *p, const char *dir, const char *name, mx_err *err)
{
	if (p->ncomp == MX_PKG_MAX_COMPONENTS)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: more than %d components", name,
		    MX_PKG_MAX_COMPONENTS);
	mx_pkg_component *c = &p->comp[p->ncomp];
	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "%s", dir);
	char m[600];
	snprintf(m, sizeof m, "%s%sPackageInfo", dir, dir[0] ? "/" : "");
	const struct member *pi = member(p, m);
	if (pi == NULL)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: no %s", name, m);
	char where[700];
	snprintf(where, sizeof where, "%s: %s", name, m);
	int rc = mx_pkginfo_parse(&c->info, (const char *)pi->data, pi->len, where, err);
	if (rc)
		return rc;
	c->packageinfo = pi->data;
	c->packageinfo_len = pi->len;
	static const char *const parts[] = { "Payload", "Scripts", "Bom" };
	const uint8_t **dst[] = { &c->payload, &c->scripts, &c->bom };
	size_t *dl[] = { &c->payload_len, &c->scripts_len, &c->bom_len };
	for (int i = 0; i < 3; i++) {
		snprintf(m, sizeof m, "%s%s%s", dir, dir[0] ? "/" : "", parts[i]);
		const struct member *x = member(p, m);
		if (x) {
			*dst[i] = x->data;
			*dl[i] = x->len;
		}
	}
	p->ncomp++;
	return 0;
}

int
mx_pkg_read(mx_pkg **out, const uint8_t *buf, size_t len, const char *name, mx_err *err)
{
	*out = NULL;
	if (len > MX_PKG_MAX_BYTES)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: %zu bytes, over the %llu MiB cap",
		    name, len, MX_PKG_MAX_BYTES >> 20);
	if (len < 28 || memcmp(buf, "xar!", 4) != 0)
		return MX_FAIL(err, MX_EFORMAT, 0, "%s: not a flat package (no xar header)", name);
	int rc = mx_dl_archive(err);
	if (rc)
		return rc;
	mx_pkg *p = mx_xcalloc(1, sizeof *p);
	struct archive *a = sym_archive_read_new();
	sym_archive_read_support_format_xar(a);
	struct archive_entry *ae;
	int cap = 0;
	size_t total = 0;
	if (sym_archive_read_open_memory(a, buf, len) != ARCHIVE_OK)
		rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: xar: %s", name,
		    sym_archive_error_string(a) ? sym_archive_error_string(a) : "unreadable TOC");
	while (rc == 0) {
		int r = sym_archive_read_next_header(a, &ae);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: xar TOC: %s", name,
			    sym_archive_error_string(a) ? sym_archive_error_string(a) : "unreadable");
			break;
		}
		const char *raw = sym_archive_entry_pathname(ae);
		char mname[512];
		if (raw == NULL || !clean_path(mname, sizeof mname, raw)) {
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: member \"%.200s\" is not a relative"
			    " path (absolute, \"..\" or not text)", name, raw ? raw : "");
			break;
		}
		if (sym_archive_entry_filetype(ae) != AE_IFREG || !wanted(mname))
			continue;
		la_int64_t sz = sym_archive_entry_size(ae);
		if (sz < 0 || (uint64_t)sz > MX_PKG_MAX_BYTES - total) {
			rc = MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: %s: %lld bytes, over the cap", name,
			    mname, (long long)sz);
			break;
		}
		if (member(p, mname)) {
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: %s appears twice", name, mname);
			break;
		}
		if (p->nm == cap) {
			cap = cap ? cap * 2 : 16;
			p->m = mx_xrealloc(p->m, (size_t)cap * sizeof *p->m);
		}
		struct member *m = &p->m[p->nm];
		snprintf(m->name, sizeof m->name, "%s", mname);
		m->len = (size_t)sz;
		m->data = mx_xmalloc(m->len + 1);
		la_ssize_t got = m->len ? sym_archive_read_data(a, m->data, m->len) : 0;
		if (got < 0 || (size_t)got != m->len) {
			free(m->data);
			rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: %s: %s", name, mname,
			    got < 0 && sym_archive_error_string(a) ? sym_archive_error_string(a) : "truncated");
			break;
		}
		m->data[m->len] = '\0';
		total += m->len;
		p->nm++;
	}
	sym_archive_read_free(a);
	const struct member *dist = rc == 0 ? member(p, "Distribution") : NULL;
	if (rc == 0 && dist) {
		p->dist = dist->data;
		p->dist_len = dist->len;
		char refs[MX_PKG_MAX_COMPONENTS][256];
		int nr = 0;
		char where[600];
		snprintf(where, sizeof where, "%s: Distribution", name);
		rc = mx_distribution_refs(refs, MX_PKG_MAX_COMPONENTS, &nr, (const char *)dist->data,
		    dist->len, where, err);
		for (int i = 0; rc == 0 && i < nr; i++)
			rc = component(p, refs[i], name, err);
		if (rc == 0 && nr == 0)
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: the Distribution names no"
			    " component package of this archive", name);
	} else if (rc == 0) {
		rc = component(p, "", name, err);
	}
	if (rc) {
		mx_pkg_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

bool
mx_pkg_is_distribution(const mx_pkg *p)
{
	return p->dist != NULL;
}

const char *
mx_pkg_distribution(const mx_pkg *p, size_t *len)
{
	if (len)
		*len = p->dist_len;
	return (const char *)p->dist;
}

int
mx_pkg_ncomponents(const mx_pkg *p)
{
	return p->ncomp;
}

const mx_pkg_component *
mx_pkg_component_at(const mx_pkg *p, int i)
{
	return i >= 0 && i < p->ncomp ? &p->comp[i] : NULL;
}
