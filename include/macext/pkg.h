/*
 * pkg.h — flat installer packages (.pkg) as Installer reads them, from
 * untrusted bytes: the xar archive (header, zlib TOC with its checksum,
 * heap; read with libarchive, which checks the TOC and every member's
 * archived checksum), the Distribution and PackageInfo XML, and each
 * component's Payload and Scripts: a cpio archive (odc), gzip- or
 * pbzx-compressed (pbzx: Apple's framing of xz chunks, read here).  Every
 * entry is checked before anything is written: relative paths without
 * "..", regular files, directories and links only, links that stay inside
 * the payload, sizes under caps.  AppleDouble entries ("._NAME") become the
 * extended attributes of NAME, as macOS extracts them, not files.  Pure:
 * no files, no clock.  Owner: src/formats/pkg*.c, pbzx.c, appledouble.c.
 * Layout notes and sources: docs/pkg.md.
 */
#ifndef MACEXT_PKG_H
#define MACEXT_PKG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/err.h"

#define MX_PKG_MAX_BYTES (1ull << 30)        /* the .pkg file */
#define MX_PKG_MAX_PAYLOAD (512ull << 20)    /* one component's payload, uncompressed */
#define MX_PKG_MAX_ENTRIES 100000            /* cpio entries per payload */
#define MX_PKG_MAX_COMPONENTS 64
#define MX_PKG_MAX_XML (4u << 20)            /* Distribution, PackageInfo */

/* ---- pbzx: "pbzx", u64 chunk size, then (u64 flags, u64 length, data)*
 * while the previous flags have bit 24; data is an xz stream, or stored
 * when it is not (length = chunk size).  All integers big-endian. ---- */
/* Decodes buf[0..len) into *out (malloc'd), at most cap bytes. */
int mx_pbzx_decode(const uint8_t *buf, size_t len, size_t cap, uint8_t **out, size_t *out_len,
    mx_err *err);

/* ---- AppleDouble (RFC 1740, version 2, with Apple's "ATTR" extended
 * attribute header inside the Finder Info entry) ---- */
#define MX_XATTR_MAX 64
typedef struct mx_xattr {
	char name[128];                  /* "com.apple.quarantine", ... (UTF-8) */
	const uint8_t *value;            /* into the AppleDouble bytes */
	size_t len;
} mx_xattr;
typedef struct mx_xattrs {
	int n;
	mx_xattr a[MX_XATTR_MAX];
} mx_xattrs;
/* True when buf starts like an AppleDouble file (magic 0x00051607). */
bool mx_appledouble_sniff(const uint8_t *buf, size_t len);
/* The extended attributes buf[0..len) carries: the ATTR entries, the
 * Finder info (com.apple.FinderInfo, when not all zero) and the resource
 * fork (com.apple.ResourceFork).  Values point into buf. */
int mx_appledouble_parse(mx_xattrs *out, const uint8_t *buf, size_t len, mx_err *err);

/* ---- the XML of Distribution and PackageInfo: only the elements and
 * attributes Installer's placement needs, scanned without an XML library
 * (no DTD, no entities beyond the five predefined, bounded) ---- */
typedef struct mx_pkginfo {
	char identifier[256];
	char version[64];
	char install_location[1024];     /* "/" when absent */
	char preinstall[256], postinstall[256];   /* script file names, "" when none */
	char auth[16];                   /* "root" or "none" */
} mx_pkginfo;
int mx_pkginfo_parse(mx_pkginfo *out, const char *xml, size_t len, const char *name,
    mx_err *err);
/* The component packages a Distribution names (<pkg-ref ...>#NAME.pkg</pkg-ref>),
 * at most max, in order; *n how many. */
int mx_distribution_refs(char (*out)[256], int max, int *n, const char *xml, size_t len,
    const char *name, mx_err *err);

/* ---- a package ---- */
enum mx_pkg_type { MX_PKG_FILE, MX_PKG_DIR, MX_PKG_LINK };
typedef struct mx_pkg_entry {
	char path[1024];                 /* relative, "Applications/X.app/Contents/Info.plist" */
	enum mx_pkg_type type;
	uint32_t mode;                   /* permission bits */
	const uint8_t *data;             /* file contents, owned by the tree */
	size_t len;
	char link[1024];                 /* link target (relative, inside the payload) */
	mx_xattrs xattrs;                /* from the entry's AppleDouble companion */
} mx_pkg_entry;

typedef struct mx_pkg_tree {
	uint8_t *buf;                    /* the uncompressed cpio bytes, owned */
	size_t nentries;
	mx_pkg_entry *entries;           /* owned, in archive order (AppleDouble ones removed) */
	int nappledouble;                /* "._" entries turned into extended attributes */
	uint8_t **ad;                    /* their bytes (attribute values point into them), owned */
} mx_pkg_tree;
void mx_pkg_tree_free(mx_pkg_tree *t);
/* Reads a Payload or Scripts member: gzip, pbzx, or plain cpio.  name
 * prefixes messages ("Karabiner.pkg/Payload"). */
int mx_pkg_tree_read(mx_pkg_tree *out, const uint8_t *buf, size_t len, const char *name,
    mx_err *err);

typedef struct mx_pkg_component {
	char name[256];                  /* "Karabiner.pkg", "" for a component package */
	mx_pkginfo info;
	const uint8_t *payload, *scripts, *bom, *packageinfo;   /* members, owned by the package */
	size_t payload_len, scripts_len, bom_len, packageinfo_len;
} mx_pkg_component;

typedef struct mx_pkg mx_pkg;
/* Reads a flat package from buf[0..len) (the caller keeps buf).  On success
 * *out is the caller's (mx_pkg_free). */
int mx_pkg_read(mx_pkg **out, const uint8_t *buf, size_t len, const char *name, mx_err *err);
void mx_pkg_free(mx_pkg *p);
bool mx_pkg_is_distribution(const mx_pkg *p);
const char *mx_pkg_distribution(const mx_pkg *p, size_t *len);   /* NULL when none */
int mx_pkg_ncomponents(const mx_pkg *p);
const mx_pkg_component *mx_pkg_component_at(const mx_pkg *p, int i);

/* ---- where Installer puts a payload (pkg_plan.c) ----
 * Each payload path lands at install-location + path.  The device's files
 * are kept as roots: the first component that is a bundle (.app, .kext,
 * .dext, .systemextension, .bundle, .plugin, .framework, .prefPane), else
 * a directory three levels down (/Library/Application Support/Vendor), else
 * the file itself.  Apps directly in /Applications and kexts directly in
 * /Library/Extensions are installed as those (the usual flows follow). */
enum mx_pkg_place { MX_PLACE_APP, MX_PLACE_KEXT, MX_PLACE_TREE, MX_PLACE_FILE };
typedef struct mx_pkg_root {
	char device_path[1024];          /* "/Applications/X.app" */
	char rel[1024];                  /* the same root inside the payload */
	enum mx_pkg_place kind;
	int component;                   /* index of its component */
	long files;                      /* files under it */
} mx_pkg_root;
const char *mx_pkg_place_name(enum mx_pkg_place k);   /* "app", "kext", "tree", "file" */
/* Appends component c's roots (payload t, install location loc) to *roots
 * (realloc'd; *n counts them).  A device path that would not be a plain
 * absolute path, or a root two components claim, is refused. */
int mx_pkg_plan(mx_pkg_root **roots, size_t *n, const mx_pkg_tree *t, const char *loc, int c,
    mx_err *err);

#endif
