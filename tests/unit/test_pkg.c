/* test_pkg.c — installer package pieces (issue 12 §5): PackageInfo and
 * Distribution as productbuild writes them (and what is refused), pbzx
 * framing, AppleDouble attributes, cpio entry checks through
 * mx_pkg_tree_read over archives built here byte by byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "macext/pkg.h"
#include "macext/rd.h"

MX_TEST(pkginfo_table)
{
	static const struct { const char *xml; int rc; const char *id, *loc, *post; } rows[] = {
		{ "<?xml version=\"1.0\"?><pkg-info format-version=\"2\" identifier=\"org.pqrs.vhid\""
		  " version=\"5.0.0\" install-location=\"/\" auth=\"root\"><scripts><postinstall"
		  " file=\"./postinstall\"/></scripts></pkg-info>", 0, "org.pqrs.vhid", "/", "postinstall" },
		{ "<pkg-info identifier='a&amp;b&#x41;&#66;' install-location=\"/Library/Application Support/X/\"/>",
		  0, "a&bAB", "/Library/Application Support/X", "" },
		{ "<!-- <pkg-info identifier=\"fake\"/> --><pkg-info identifier=\"real\"/>", 0, "real", "/", "" },
		{ "<pkg-info version=\"1\"/>", MX_EINVALID, NULL, NULL, NULL },
		{ "<pkg-info identifier=\"x\" install-location=\"/Library/../../etc\"/>", MX_EINVALID, NULL, NULL, NULL },
		{ "<pkg-info identifier=\"x\" install-location=\"relative\"/>", MX_EINVALID, NULL, NULL, NULL },
		{ "<pkg-info identifier=\"x\"><scripts><postinstall file=\"../../bin/sh\"/></scripts></pkg-info>",
		  MX_EINVALID, NULL, NULL, NULL },
		{ "<pkg-info identifier=x/>", MX_EFORMAT, NULL, NULL, NULL },
		{ "<pkg-info identifier=\"&unknown;\"/>", MX_EFORMAT, NULL, NULL, NULL },
		{ "<pkg-info identifier=\"x", MX_EFORMAT, NULL, NULL, NULL },
		{ "no xml at all", MX_EINVALID, NULL, NULL, NULL },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		mx_pkginfo pi;
		mx_err err;
		mx_err_clear(&err);
		int rc = mx_pkginfo_parse(&pi, rows[i].xml, strlen(rows[i].xml), "PackageInfo", &err);
		if (rc != rows[i].rc || (rc == 0 && (strcmp(pi.identifier, rows[i].id) ||
		    strcmp(pi.install_location, rows[i].loc) || strcmp(pi.postinstall, rows[i].post))))
			mx_test_fail_at(__FILE__, __LINE__, "row %zu: rc %d (%s), id \"%s\" loc \"%s\"", i, rc,
			    err.msg, rc ? "" : pi.identifier, rc ? "" : pi.install_location);
	}
}

MX_TEST(distribution_refs)
{
	const char *xml = "<installer-gui-script><pkg-ref id=\"a\"/><choice id=\"a\"><pkg-ref id=\"a\"/>"
	    "</choice><pkg-ref id=\"a\" version=\"1\">#My%20Tool.pkg</pkg-ref><pkg-ref id=\"b\">"
	    "file:///elsewhere.pkg</pkg-ref><pkg-ref id=\"c\"> #Second.pkg </pkg-ref>"
	    "<pkg-ref id=\"d\">#My%20Tool.pkg</pkg-ref></installer-gui-script>";
	char refs[4][256];
	int n = 0;
	mx_err err;
	CHECK_EQ_INT(mx_distribution_refs(refs, 4, &n, xml, strlen(xml), "Distribution", &err), 0);
	CHECK_EQ_INT(n, 2);
	if (n == 2) {
		CHECK_EQ_STR(refs[0], "My Tool.pkg");
		CHECK_EQ_STR(refs[1], "Second.pkg");
	}
	const char *bad = "<pkg-ref id=\"a\">#../evil.pkg</pkg-ref>";
	CHECK_EQ_INT(mx_distribution_refs(refs, 4, &n, bad, strlen(bad), "Distribution", &err), MX_EINVALID);
}

MX_TEST(pbzx_framing)
{
	uint8_t b[64];
	/* "pbzx", chunk size with bit 24, one stored chunk of 5 bytes, last */
	memcpy(b, "pbzx", 4);
	mx_put_u64be(b + 4, 1u << 24);
	mx_put_u64be(b + 12, 5);
	mx_put_u64be(b + 20, 5);
	memcpy(b + 28, "hello", 5);
	uint8_t *out;
	size_t n;
	mx_err err;
	CHECK_EQ_INT(mx_pbzx_decode(b, 33, 1024, &out, &n, &err), 0);
	CHECK(n == 5 && memcmp(out, "hello", 5) == 0);
	free(out);
	CHECK_EQ_INT(mx_pbzx_decode(b, 34, 1024, &out, &n, &err), MX_EFORMAT);      /* a byte after */
	CHECK_EQ_INT(mx_pbzx_decode(b, 30, 1024, &out, &n, &err), MX_EFORMAT);      /* chunk cut */
	CHECK_EQ_INT(mx_pbzx_decode(b, 33, 4, &out, &n, &err), MX_ETOOBIG);         /* over the cap */
	memcpy(b, "pbxz", 4);
	CHECK_EQ_INT(mx_pbzx_decode(b, 33, 1024, &out, &n, &err), MX_EFORMAT);
}

/* An AppleDouble file with one attribute (layout of appledouble.c). */
static size_t
ad_build(uint8_t *b, const char *name, const char *value)
{
	size_t nl = strlen(name) + 1, vl = strlen(value), ent = (11 + nl + 3) & ~(size_t)3;
	size_t data = 120 + ent;
	memset(b, 0, data + vl);
	mx_put_u32be(b, 0x00051607);
	mx_put_u32be(b + 4, 0x00020000);
	b[25] = 2;
	mx_put_u32be(b + 26, 9), mx_put_u32be(b + 30, 50), mx_put_u32be(b + 34, (uint32_t)(data + vl - 50));
	mx_put_u32be(b + 38, 2), mx_put_u32be(b + 42, (uint32_t)(data + vl)), mx_put_u32be(b + 46, 0);
	memcpy(b + 84, "ATTR", 4);
	mx_put_u32be(b + 96, (uint32_t)data);
	b[119] = 1;
	mx_put_u32be(b + 120, (uint32_t)data);
	mx_put_u32be(b + 124, (uint32_t)vl);
	b[130] = (uint8_t)nl;
	memcpy(b + 131, name, nl);
	memcpy(b + data, value, vl);
	return data + vl;
}

MX_TEST(appledouble_attributes)
{
	uint8_t b[512];
	size_t n = ad_build(b, "com.apple.quarantine", "0083;6500;Safari;");
	mx_xattrs x;
	mx_err err;
	CHECK(mx_appledouble_sniff(b, n));
	CHECK_EQ_INT(mx_appledouble_parse(&x, b, n, &err), 0);
	CHECK_EQ_INT(x.n, 1);
	if (x.n == 1) {
		CHECK_EQ_STR(x.a[0].name, "com.apple.quarantine");
		CHECK(x.a[0].len == 17 && memcmp(x.a[0].value, "0083;6500;Safari;", 17) == 0);
	}
	/* the value's offset past the end */
	mx_put_u32be(b + 124, 4000);
	CHECK_EQ_INT(mx_appledouble_parse(&x, b, n, &err), MX_EFORMAT);
	CHECK(strstr(err.msg, "past the end") != NULL);
	/* a name without its NUL */
	n = ad_build(b, "com.apple.quarantine", "v");
	b[131 + 20] = 'X';
	CHECK_EQ_INT(mx_appledouble_parse(&x, b, n, &err), MX_EFORMAT);
	b[0] = 0x01;
	CHECK(!mx_appledouble_sniff(b, n));
}

/* An odc cpio entry, as pkg_odc.py writes them (built independently here). */
static size_t
odc(uint8_t *o, const char *name, unsigned mode, const char *data)
{
	size_t nl = strlen(name) + 1, dl = data ? strlen(data) : 0;
	int h = sprintf((char *)o, "070707%06o%06o%06o%06o%06o%06o%06o%011o%06o%011o", 0, 1, mode, 0, 0,
	    1, 0, 0, (unsigned)nl, (unsigned)dl);
	memcpy(o + h, name, nl);
	if (dl)
		memcpy(o + h + nl, data, dl);
	return (size_t)h + nl + dl;
}

MX_TEST(pkg_tree_entries)
{
	static const struct { const char *path; unsigned mode; const char *data; int rc; const char *msg; } rows[] = {
		{ "./Applications/a.txt", 0100644, "x", 0, NULL },
		{ "./Applications/../../etc/x", 0100644, "x", MX_EINVALID, "not a relative path" },
		{ "/etc/passwd", 0100644, "x", MX_EINVALID, "not a relative path" },
		{ "./Applications/l", 0120755, "../Library/x", 0, NULL },           /* stays inside */
		{ "./Applications/l", 0120755, "../../x", MX_EINVALID, "out of the payload" },
		{ "./Applications/l", 0120755, "/etc", MX_EINVALID, "out of the payload" },
		{ "./Applications/f", 0010644, NULL, MX_EINVALID, "a device, socket or pipe" },
		{ "./Applications/c", 0020644, NULL, MX_EINVALID, "a device, socket or pipe" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		uint8_t buf[4096];
		size_t n = 0;
		n += odc(buf + n, ".", 040755, NULL);
		n += odc(buf + n, "./Applications", 040755, NULL);
		n += odc(buf + n, rows[i].path, rows[i].mode, rows[i].data);
		n += odc(buf + n, "TRAILER!!!", 0, NULL);
		mx_pkg_tree t;
		mx_err err;
		mx_err_clear(&err);
		int rc = mx_pkg_tree_read(&t, buf, n, "Payload", &err);
		if (rc != rows[i].rc || (rows[i].msg && strstr(err.msg, rows[i].msg) == NULL))
			mx_test_fail_at(__FILE__, __LINE__, "row %zu (%s): rc %d: %s", i, rows[i].path, rc,
			    err.msg);
		if (rc == 0) {
			CHECK_EQ_INT(t.nentries, 2);
			mx_pkg_tree_free(&t);
		}
	}
}
