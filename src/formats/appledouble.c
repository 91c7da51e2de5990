/*
 * appledouble.c — AppleDouble files ("._NAME"), what tar, zip, cpio and
 * ditto write for a file's Finder info, resource fork and extended
 * attributes on file systems without them (RFC 1740, version 2), with
 * Apple's extended-attribute block inside the Finder Info entry (xnu
 * bsd/vfs/vfs_xattr.c).  All integers big-endian:
 *
 *   0   u32 magic 0x00051607   u32 version 0x00020000   16 filler
 *   24  u16 entries, then per entry: u32 id, u32 offset, u32 length
 *       (id 9 Finder Info, id 2 resource fork; offsets from the file start)
 *   Finder Info: 32 bytes, 2 pad, then optionally the ATTR header:
 *       u32 'ATTR' u32 debug_tag u32 total_size u32 data_start u32 data_length
 *       u32 reserved[3] u16 flags u16 num_attrs
 *       entries, each 4-aligned: u32 offset u32 length u16 flags u8 namelen
 *       name[namelen] (NUL-terminated UTF-8)
 *
 * Every offset and length is checked against the file; names must be
 * NUL-terminated UTF-8.  macOS applies these as the file's extended
 * attributes when it extracts an archive; so does `macext pkg`.
 */
#include <stdio.h>
#include <string.h>

#include "macext/pkg.h"
#include "macext/rd.h"
#include "macext/sysextdb.h"

#define AD_MAGIC 0x00051607u
#define AD_VERSION 0x00020000u
#define ATTR_MAGIC 0x41545452u   /* "ATTR" */

bool
mx_appledouble_sniff(const uint8_t *buf, size_t len)
{
	return len >= 26 && mx_get_u32be(buf) == AD_MAGIC;
}

static int
add(mx_xattrs *out, const char *name, const uint8_t *v, size_t n, uint64_t off, mx_err *err)
{
	if (out->n == MX_XATTR_MAX)
		return MX_FAIL(err, MX_ETOOBIG, off, "AppleDouble: more than %d attributes", MX_XATTR_MAX);
	for (int i = 0; i < out->n; i++)
		if (strcmp(out->a[i].name, name) == 0)
			return MX_FAIL(err, MX_EFORMAT, off, "AppleDouble: attribute %s twice", name);
	mx_xattr *x = &out->a[out->n++];
	memset(x, 0, sizeof *x);
	snprintf(x->name, sizeof x->name, "%s", name);
	x->value = v;
	x->len = n;
	return 0;
}

/* The ATTR block at fi[34..) of the Finder Info entry at file offset fo. */
static int
attrs(mx_xattrs *out, const uint8_t *buf, size_t len, uint32_t fo, uint32_t flen, mx_err *err)
{
	mx_rd rd;
	int rc;
	if (flen < 34 + 36)
		return 0;
	mx_rd_init(&rd, buf, len, 0, "AppleDouble");
	uint32_t magic, tag, total, dstart, dlen, r;
	uint16_t flags, nattr;
	if ((rc = mx_rd_seek(&rd, (uint64_t)fo + 34, err)) || (rc = mx_rd_u32be(&rd, &magic, err)))
		return rc;
	if (magic != ATTR_MAGIC)
		return 0;   /* Finder info without extended attributes */
	if ((rc = mx_rd_u32be(&rd, &tag, err)) || (rc = mx_rd_u32be(&rd, &total, err)) ||
	    (rc = mx_rd_u32be(&rd, &dstart, err)) || (rc = mx_rd_u32be(&rd, &dlen, err)) ||
	    (rc = mx_rd_u32be(&rd, &r, err)) || (rc = mx_rd_u32be(&rd, &r, err)) ||
	    (rc = mx_rd_u32be(&rd, &r, err)) || (rc = mx_rd_u16be(&rd, &flags, err)) ||
	    (rc = mx_rd_u16be(&rd, &nattr, err)))
		return rc;
	if (nattr > MX_XATTR_MAX)
		return MX_FAIL(err, MX_ETOOBIG, fo + 34, "AppleDouble: %u attributes", nattr);
	for (unsigned i = 0; i < nattr; i++) {
		uint64_t at = mx_rd_off(&rd);
		uint32_t off, n;
		uint16_t f;
		uint8_t nl;
		const uint8_t *name;
		if ((rc = mx_rd_u32be(&rd, &off, err)) || (rc = mx_rd_u32be(&rd, &n, err)) ||
		    (rc = mx_rd_u16be(&rd, &f, err)) || (rc = mx_rd_u8(&rd, &nl, err)) ||
		    (rc = mx_rd_bytes(&rd, &name, nl, err)))
			return rc;
		if (nl < 2 || nl > 128 || name[nl - 1] != '\0' || memchr(name, '\0', nl - 1))
			return MX_FAIL(err, MX_EFORMAT, at, "AppleDouble: attribute %u: name is not"
			    " NUL-terminated", i);
		char nm[128];
		memcpy(nm, name, nl);
		if (!mx_text_ok(nm))
			return MX_FAIL(err, MX_EFORMAT, at, "AppleDouble: attribute %u: name is not UTF-8", i);
		if ((uint64_t)off + n > len)
			return MX_FAIL(err, MX_EFORMAT, at, "AppleDouble: attribute %s: %u bytes at %u"
			    " past the end (%zu)", nm, n, off, len);
		if ((rc = add(out, nm, buf + off, n, at, err)))
			return rc;
		/* entries are 4-aligned: 11 bytes + name, rounded up */
		size_t used = (size_t)(mx_rd_off(&rd) - at), pad = ((11 + nl + 3) & ~3u) - used;
		if (i + 1 < nattr && (rc = mx_rd_skip(&rd, pad, err)))
			return rc;
	}
	return 0;
}

int
mx_appledouble_parse(mx_xattrs *out, const uint8_t *buf, size_t len, mx_err *err)
{
	memset(out, 0, sizeof *out);
	mx_rd rd;
	mx_rd_init(&rd, buf, len, 0, "AppleDouble");
	uint32_t magic, version;
	uint16_t n;
	int rc;
	if ((rc = mx_rd_u32be(&rd, &magic, err)) || (rc = mx_rd_u32be(&rd, &version, err)))
		return rc;
	if (magic != AD_MAGIC)
		return MX_FAIL(err, MX_EFORMAT, 0, "AppleDouble: bad magic 0x%08x", magic);
	if (version != AD_VERSION)
		return MX_FAIL(err, MX_EFORMAT, 4, "AppleDouble: version 0x%08x, expected 2", version);
	if ((rc = mx_rd_skip(&rd, 16, err)) || (rc = mx_rd_u16be(&rd, &n, err)))
		return rc;
	if (n > 16)
		return MX_FAIL(err, MX_EFORMAT, 24, "AppleDouble: %u entries", n);
	for (unsigned i = 0; i < n; i++) {
		uint64_t at = mx_rd_off(&rd);
		uint32_t id, off, l;
		if ((rc = mx_rd_u32be(&rd, &id, err)) || (rc = mx_rd_u32be(&rd, &off, err)) ||
		    (rc = mx_rd_u32be(&rd, &l, err)))
			return rc;
		if ((uint64_t)off + l > len)
			return MX_FAIL(err, MX_EFORMAT, at, "AppleDouble: entry %u (id %u): %u bytes at %u"
			    " past the end (%zu)", i, id, l, off, len);
		if (id == 9 && l >= 32) {
			static const uint8_t zero[32];
			if (memcmp(buf + off, zero, 32) != 0 &&
			    (rc = add(out, "com.apple.FinderInfo", buf + off, 32, at, err)))
				return rc;
			if ((rc = attrs(out, buf, len, off, l, err)))
				return rc;
		} else if (id == 2 && l > 0) {
			if ((rc = add(out, "com.apple.ResourceFork", buf + off, l, at, err)))
				return rc;
		}
	}
	return 0;
}
