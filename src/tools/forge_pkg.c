/*
 * forge_pkg.c — `macext forge pkg OUT.pkg`: a flat installer package as
 * productbuild writes one, for the pkg tests (docs/forge.md "Packages"):
 * a xar archive (libarchive's writer: zlib TOC, SHA-1 TOC checksum, SHA-1
 * archived checksums) holding Distribution and NAME.pkg/{PackageInfo, Bom,
 * Payload, Scripts}, or with --component only the four members.  Payload is
 * an odc cpio of --root DIR ("./"-relative paths, as pkgbuild writes them)
 * compressed with gzip (default), pbzx (xz chunks, as newer Apple tools) or
 * nothing; or the bytes of --payload-file as they are (for malformed
 * payloads made by a test).  --appledouble REL=NAME:VALUE adds the
 * "._NAME" AppleDouble entry a non-Mac extraction would show for REL's
 * extended attribute.  The Bom is a stub (macext does not read Boms).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/dl_archive.h"

#include "macext/forge.h"
#include "macext/rd.h"
#include "forge_int.h"
#include "tools.h"
#include "macext/text.h"

#define USAGE "macext forge pkg OUT.pkg --identifier ID [--version V] [--install-location PATH]" \
    " [--root DIR | --payload-file FILE] [--scripts DIR] [--compression gzip|pbzx|none]" \
    " [--component] [--appledouble REL=NAME:VALUE]... [--name NAME.pkg] [--force]"

struct ad { const char *rel; char name[128]; const char *value; };

/* ---- an in-memory archive writer ---- */

static int
mem_open(struct archive **a, bool cpio, const char *filter, mx_err *err)
{
	*a = sym_archive_write_new();
	if (cpio ? sym_archive_write_set_format_cpio_odc(*a) : sym_archive_write_set_format_raw(*a))
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "forge pkg: %s", sym_archive_error_string(*a));
	if (filter && strcmp(filter, "gzip") == 0)
		sym_archive_write_add_filter_gzip(*a);
	else if (filter && strcmp(filter, "xz") == 0)
		sym_archive_write_add_filter_xz(*a);
	sym_archive_write_set_bytes_in_last_block(*a, 1);
	return 0;
}

static la_ssize_t
wb_write(struct archive *a, void *arg, const void *p, size_t n)
{
	(void)a;
	mx_wbuf_put(arg, p, n);
	return (la_ssize_t)n;
}

static int
entry(struct archive *a, const char *path, mode_t type, mode_t perm, const void *data, size_t n,
    const char *link, mx_err *err)
{
	struct archive_entry *e = sym_archive_entry_new();
	sym_archive_entry_set_pathname(e, path);
	sym_archive_entry_set_filetype(e, type);
	sym_archive_entry_set_perm(e, perm);
	sym_archive_entry_set_size(e, type == AE_IFREG ? (la_int64_t)n : 0);
	if (link)
		sym_archive_entry_set_symlink(e, link);
	sym_archive_entry_set_mtime(e, 1700000000, 0);
	int rc = sym_archive_write_header(a, e) == ARCHIVE_OK &&
	    (type != AE_IFREG || n == 0 || sym_archive_write_data(a, data, n) == (la_ssize_t)n) ? 0 :
	    MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "forge pkg: %s: %s", path, sym_archive_error_string(a));
	sym_archive_entry_free(e);
	return rc;
}

/* An AppleDouble file holding one extended attribute (appledouble.c's layout). */
static void
appledouble(mx_wbuf *b, const char *name, const char *value)
{
	size_t nl = strlen(name) + 1, vl = strlen(value);
	size_t ent = (11 + nl + 3) & ~(size_t)3, data = 120 + ent;
	uint8_t h[120];
	memset(h, 0, sizeof h);
	mx_put_u32be(h, 0x00051607);
	mx_put_u32be(h + 4, 0x00020000);
	memcpy(h + 8, "Mac OS X        ", 16);
	h[24] = 0, h[25] = 2;                       /* two entries */
	mx_put_u32be(h + 26, 9);                    /* Finder Info */
	mx_put_u32be(h + 30, 50);
	mx_put_u32be(h + 34, (uint32_t)(data + vl - 50));
	mx_put_u32be(h + 38, 2);                    /* resource fork: empty */
	mx_put_u32be(h + 42, (uint32_t)(data + vl));
	mx_put_u32be(h + 46, 0);
	/* 50..82 Finder info (zero), 82..84 pad, 84.. ATTR header */
	memcpy(h + 84, "ATTR", 4);
	mx_put_u32be(h + 92, (uint32_t)(data + vl));      /* total_size */
	mx_put_u32be(h + 96, (uint32_t)data);             /* data_start */
	mx_put_u32be(h + 100, (uint32_t)vl);              /* data_length */
	h[118] = 0, h[119] = 1;                           /* num_attrs */
	mx_wbuf_put(b, h, sizeof h);
	uint8_t e[12];
	mx_put_u32be(e, (uint32_t)data);
	mx_put_u32be(e + 4, (uint32_t)vl);
	e[8] = e[9] = 0;
	e[10] = (uint8_t)nl;
	mx_wbuf_put(b, e, 11);
	mx_wbuf_put(b, name, nl);
	mx_wbuf_zero(b, ent - 11 - nl);
	mx_wbuf_put(b, value, vl);
}

/* The files under root/rel into the cpio, "./"-relative, sorted. */
static int
add_tree(struct archive *a, const char *root, const char *rel, const struct ad *ads, int nad,
    long *nfiles, uint64_t *bytes, int depth, mx_err *err)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s%s%s", root, rel[0] ? "/" : "", rel);
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s: %s", dir, strerror(errno));
	int rc = 0;
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		if (rc || strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0 || depth > 64)
			continue;
		char r[4096], full[8192], ar[4200];
		snprintf(r, sizeof r, "%s%s%s", rel, rel[0] ? "/" : "", nm);
		snprintf(full, sizeof full, "%s/%s", root, r);
		snprintf(ar, sizeof ar, "./%s", r);
		struct stat sb;
		if (lstat(full, &sb) != 0) {
			rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", full, strerror(errno));
		} else if (S_ISDIR(sb.st_mode)) {
			if ((rc = entry(a, ar, AE_IFDIR, 0755, NULL, 0, NULL, err)) == 0)
				rc = add_tree(a, root, r, ads, nad, nfiles, bytes, depth + 1, err);
		} else if (S_ISLNK(sb.st_mode)) {
			char t[4096];
			ssize_t l = readlink(full, t, sizeof t - 1);
			t[l > 0 ? l : 0] = '\0';
			rc = entry(a, ar, AE_IFLNK, 0755, NULL, 0, t, err);
		} else if (S_ISREG(sb.st_mode)) {
			uint8_t *buf = NULL;
			size_t len = 0;
			if ((rc = cli_read_file(full, 512u << 20, &buf, &len, err)) == 0)
				rc = entry(a, ar, AE_IFREG, (sb.st_mode & 0111) ? 0755 : 0644, buf, len, NULL, err);
			free(buf);
			(*nfiles)++;
			*bytes += len;
		}
		/* the AppleDouble companion of r, as a non-Mac extraction writes it */
		for (int k = 0; rc == 0 && k < nad; k++)
			if (strcmp(ads[k].rel, r) == 0) {
				mx_wbuf b = { 0 };
				appledouble(&b, ads[k].name, ads[k].value);
				char adp[4200];
				snprintf(adp, sizeof adp, "./%s%s._%s", rel, rel[0] ? "/" : "", nm);
				rc = entry(a, adp, AE_IFREG, 0644, b.p, b.len, NULL, err);
				mx_wbuf_free(&b);
			}
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* A cpio of root (NULL: none), compressed with comp ("gzip", "pbzx", "none"). */
static int
cpio_of(mx_wbuf *out, const char *root, const char *comp, const struct ad *ads, int nad,
    long *nfiles, uint64_t *bytes, mx_err *err)
{
	struct archive *a;
	mx_wbuf raw = { 0 };
	bool gz = strcmp(comp, "gzip") == 0;
	int rc = mem_open(&a, true, gz ? "gzip" : NULL, err);
	if (rc == 0 && sym_archive_write_open(a, gz ? out : &raw, NULL, wb_write, NULL) != ARCHIVE_OK)
		rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "forge pkg: %s", sym_archive_error_string(a));
	if (rc == 0)
		rc = entry(a, ".", AE_IFDIR, 0755, NULL, 0, NULL, err);
	if (rc == 0 && root)
		rc = add_tree(a, root, "", ads, nad, nfiles, bytes, 0, err);
	sym_archive_write_close(a);
	sym_archive_write_free(a);
	if (rc || gz) {
		mx_wbuf_free(&raw);
		return rc;
	}
	if (strcmp(comp, "none") == 0) {
		mx_wbuf_put(out, raw.p, raw.len);
		mx_wbuf_free(&raw);
		return 0;
	}
	/* pbzx: "pbzx", u64 chunk size, then (flags, length, xz stream) per 16 MiB */
	const size_t chunk = 16u << 20;
	uint8_t h[8];
	mx_wbuf_put(out, "pbzx", 4);
	mx_put_u64be(h, chunk);
	mx_wbuf_put(out, h, 8);
	for (size_t off = 0; rc == 0 && (off < raw.len || off == 0); off += chunk) {
		size_t n = raw.len - off < chunk ? raw.len - off : chunk;
		mx_wbuf xz = { 0 };
		struct archive *x;
		rc = mem_open(&x, false, "xz", err);
		struct archive_entry *e = sym_archive_entry_new();
		sym_archive_entry_set_pathname(e, "data");
		sym_archive_entry_set_filetype(e, AE_IFREG);
		if (rc == 0 && (sym_archive_write_open(x, &xz, NULL, wb_write, NULL) != ARCHIVE_OK ||
		    sym_archive_write_header(x, e) != ARCHIVE_OK ||
		    sym_archive_write_data(x, raw.p + off, n) != (la_ssize_t)n))
			rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "forge pkg: xz: %s", sym_archive_error_string(x));
		sym_archive_entry_free(e);
		sym_archive_write_close(x);
		sym_archive_write_free(x);
		bool more = off + n < raw.len;
		mx_put_u64be(h, n | (more ? 1ull << 24 : 0));
		mx_wbuf_put(out, h, 8);
		mx_put_u64be(h, xz.len);
		mx_wbuf_put(out, h, 8);
		mx_wbuf_put(out, xz.p, xz.len);
		mx_wbuf_free(&xz);
		if (raw.len == 0)
			break;
	}
	mx_wbuf_free(&raw);
	return rc;
}

static int
xar_member(struct archive *a, const char *name, const void *p, size_t n, mx_err *err)
{
	return entry(a, name, AE_IFREG, 0644, p, n, NULL, err);
}

static int
xar_dir(struct archive *a, const char *name, mx_err *err)
{
	return entry(a, name, AE_IFDIR, 0755, NULL, 0, NULL, err);
}

int
forge_pkg_cmd(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *id = arg_value(&argc, argv, "--identifier");
	const char *version = arg_value(&argc, argv, "--version");
	const char *loc = arg_value(&argc, argv, "--install-location");
	const char *root = arg_value(&argc, argv, "--root");
	const char *payload_file = arg_value(&argc, argv, "--payload-file");
	const char *scripts = arg_value(&argc, argv, "--scripts");
	const char *comp = arg_value(&argc, argv, "--compression");
	const char *cname = arg_value(&argc, argv, "--name");
	const char *adv[32];
	int nadv = arg_values(&argc, argv, "--appledouble", adv, 32);
	bool component_only = arg_flag(&argc, argv, "--component");
	bool force = arg_flag(&argc, argv, "--force");
	int rc = arg_check(argc, argv, 1, 1, USAGE, err);
	if (rc || (rc = mx_dl_archive(err)))
		return rc;
	if (id == NULL || (root && payload_file))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "usage: %s", USAGE);
	comp = comp ? comp : "gzip";
	if (strcmp(comp, "gzip") && strcmp(comp, "pbzx") && strcmp(comp, "none"))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--compression: gzip, pbzx or none");
	struct ad ads[32];
	for (int i = 0; i < nadv; i++) {
		const char *eq = strchr(adv[i], '='), *colon = eq ? strchr(eq, ':') : NULL;
		if (eq == NULL || colon == NULL || (size_t)(colon - eq - 1) >= sizeof ads[i].name)
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--appledouble %s: expected"
			    " REL=NAME:VALUE", adv[i]);
		static char rels[32][1024];
		snprintf(rels[i], sizeof rels[i], "%.*s", (int)(eq - adv[i]), adv[i]);
		ads[i].rel = rels[i];
		snprintf(ads[i].name, sizeof ads[i].name, "%.*s", (int)(colon - eq - 1), eq + 1);
		ads[i].value = colon + 1;
	}
	struct stat sb;
	if (lstat(argv[1], &sb) == 0 && !force)
		return MX_FAIL(err, MX_EEXIST, MX_NO_OFFSET, "%s exists (--force replaces it)", argv[1]);
	char comp_name[300];
	if (cname)
		snprintf(comp_name, sizeof comp_name, "%s", cname);
	else {
		const char *dot = strrchr(id, '.');
		snprintf(comp_name, sizeof comp_name, "%s.pkg", dot && dot[1] ? dot + 1 : id);
	}
	mx_wbuf payload = { 0 }, scr = { 0 };
	long nfiles = 0;
	uint64_t bytes = 0;
	if (payload_file) {
		uint8_t *b;
		size_t n;
		if ((rc = cli_read_file(payload_file, 512u << 20, &b, &n, err)))
			return rc;
		mx_wbuf_put(&payload, b, n);
		free(b);
	} else if ((rc = cpio_of(&payload, root, comp, ads, nadv, &nfiles, &bytes, err))) {
		mx_wbuf_free(&payload);
		return rc;
	}
	long ns = 0;
	uint64_t sbytes = 0;
	if (scripts && (rc = cpio_of(&scr, scripts, "gzip", NULL, 0, &ns, &sbytes, err))) {
		mx_wbuf_free(&payload);
		return rc;
	}
	char pre[64] = "", post[64] = "", p[4200];
	snprintf(p, sizeof p, "%s/preinstall", scripts ? scripts : "/nonexistent");
	if (scripts && stat(p, &sb) == 0)
		snprintf(pre, sizeof pre, "<preinstall file=\"./preinstall\"/>");
	snprintf(p, sizeof p, "%s/postinstall", scripts ? scripts : "/nonexistent");
	if (scripts && stat(p, &sb) == 0)
		snprintf(post, sizeof post, "<postinstall file=\"./postinstall\"/>");
	const char *v = version ? version : "1.0";
	char info[4096], dist[4096];
	snprintf(info, sizeof info, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<pkg-info"
	    " overwrite-permissions=\"true\" relocatable=\"false\" identifier=\"%s\""
	    " postinstall-action=\"none\" version=\"%s\" format-version=\"2\""
	    " generator-version=\"macext-forge\" install-location=\"%s\" auth=\"root\">\n"
	    "    <payload numberOfFiles=\"%ld\" installKBytes=\"%llu\"/>\n    <bundle-version/>\n"
	    "    <scripts>%s%s</scripts>\n</pkg-info>\n", id, v, loc ? loc : "/", nfiles,
	    (unsigned long long)(bytes + 1023) / 1024, pre, post);
	snprintf(dist, sizeof dist, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<installer-gui-script minSpecVersion=\"2\">\n    <title>%s</title>\n"
	    "    <pkg-ref id=\"%s\"/>\n    <options customize=\"never\" require-scripts=\"false\""
	    " hostArchitectures=\"x86_64,arm64\"/>\n    <choices-outline>\n"
	    "        <line choice=\"default\"><line choice=\"%s\"/></line>\n    </choices-outline>\n"
	    "    <choice id=\"default\"/>\n    <choice id=\"%s\" visible=\"false\"><pkg-ref id=\"%s\"/></choice>\n"
	    "    <pkg-ref id=\"%s\" version=\"%s\" onConclusion=\"none\">#%s</pkg-ref>\n"
	    "</installer-gui-script>\n", id, id, id, id, id, id, v, comp_name);
	static const char bom[] = "BOMStore\0\0\0\1";
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
	struct archive *a = sym_archive_write_new();
	sym_archive_write_set_format_xar(a);
	sym_archive_write_set_option(a, "xar", "toc-checksum", "sha1");
	sym_archive_write_set_option(a, "xar", "checksum", "sha1");
	sym_archive_write_set_option(a, "xar", "compression", "none");
	if (sym_archive_write_open_filename(a, tmp) != ARCHIVE_OK)
		rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", tmp, sym_archive_error_string(a));
	char m[600];
	const char *pfx = component_only ? "" : comp_name;
#define MEMBER(leaf, ptr, len) (snprintf(m, sizeof m, "%s%s%s", pfx, pfx[0] ? "/" : "", leaf), \
	xar_member(a, m, ptr, len, err))
	if (rc == 0 && !component_only)
		rc = xar_member(a, "Distribution", dist, strlen(dist), err);
	if (rc == 0 && !component_only)
		rc = xar_dir(a, comp_name, err);
	if (rc == 0)
		rc = MEMBER("PackageInfo", info, strlen(info));
	if (rc == 0)
		rc = MEMBER("Bom", bom, sizeof bom - 1);
	if (rc == 0)
		rc = MEMBER("Payload", payload.p, payload.len);
	if (rc == 0 && scripts)
		rc = MEMBER("Scripts", scr.p, scr.len);
#undef MEMBER
	if (sym_archive_write_close(a) != ARCHIVE_OK && rc == 0)
		rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", tmp, sym_archive_error_string(a));
	sym_archive_write_free(a);
	mx_wbuf_free(&payload);
	mx_wbuf_free(&scr);
	if (rc == 0 && rename(tmp, argv[1]) != 0)
		rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", argv[1], strerror(errno));
	if (rc) {
		remove(tmp);
		return rc;
	}
	if (cli->json)
		cli_json_print(cli, json_pack("{s:s, s:s, s:s, s:s, s:I, s:b}", "path", argv[1], "identifier",
		    id, "component", component_only ? "" : comp_name, "compression", payload_file ?
		    "given" : comp, "files", (json_int_t)nfiles, "distribution", !component_only));
	else if (!cli->quiet)
		mx_text_printf("forged pkg %s %s -> %s (%ld files, %s payload%s)\n", id, v, argv[1], nfiles,
		    payload_file ? "given" : comp, component_only ? ", component package" : "");
	return 0;
}
