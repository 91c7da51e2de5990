/*
 * forge_bundle.c — lays out forged bundles on disk:
 *
 *   X.kext | X.systemextension | X.dext | X.app
 *     Contents/Info.plist                    (XML; keys per formats-and-peers.md §1.16,
 *                                             system-extensions.md §2.9)
 *     Contents/MacOS/<exe>                   the signed Mach-O (absent when codeless)
 *     Contents/Resources/README.txt          one sealed resource file
 *     Contents/Library/SystemExtensions/...  apps: the --embed bundles, copied
 *     Contents/_CodeSignature/CodeResources  files/files2 seal of every resource
 *                                             (slot 3), rules as codesign writes them
 *     Contents/_CodeSignature/CodeDirectory, CodeRequirements, CodeSignature
 *                                            codeless signed kexts only: the detached
 *                                            signature codesign writes for bundles
 *                                            without a Mach-O ([INF], docs/forge.md)
 *
 * The bundle is built in a staging directory beside OUT and renamed into
 * place, so a failure never leaves a half-written bundle.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "macext/cs_blobs.h"
#include "forge_int.h"

/* system extension categories (the db.plist / systemextensionsctl strings) */
#define CAT_DRIVER  "com.apple.system_extension.driver_extension"
#define CAT_NETWORK "com.apple.system_extension.network_extension"
#define CAT_ES      "com.apple.system_extension.endpoint_security"

/* ---- files ---- */

static int
write_file(const char *path, const void *data, size_t len, mode_t mode, mx_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path, strerror(errno));
	const uint8_t *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path, strerror(e));
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) != 0)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path, strerror(errno));
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void
rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int
read_file(const char *path, uint8_t **out, size_t *len, mx_err *err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path, strerror(errno));
	mx_wbuf b = { 0 };
	uint8_t tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		mx_wbuf_put(&b, tmp, n);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		mx_wbuf_free(&b);
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: read error", path);
	}
	*out = b.p ? b.p : mx_xcalloc(1, 1);
	*len = b.len;
	return 0;
}

static int
copy_tree(const char *src, const char *dst, int depth, mx_err *err)
{
	struct stat st;
	if (depth > 32)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: nested too deep", src);
	if (lstat(src, &st) != 0)
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s: %s", src, strerror(errno));
	if (S_ISLNK(st.st_mode)) {
		char t[PATH_MAX];
		ssize_t n = readlink(src, t, sizeof t - 1);
		if (n < 0)
			return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", src, strerror(errno));
		t[n] = '\0';
		if (symlink(t, dst) != 0)
			return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", dst, strerror(errno));
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		uint8_t *data;
		size_t len;
		int rc = read_file(src, &data, &len, err);
		if (rc == 0)
			rc = write_file(dst, data, len, st.st_mode & 0777, err);
		free(data);
		return rc;
	}
	if (!S_ISDIR(st.st_mode))
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: not a file or directory", src);
	if (mkdir(dst, 0755) != 0)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", dst, strerror(errno));
	DIR *d = opendir(src);
	if (d == NULL)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", src, strerror(errno));
	struct dirent *e;
	int rc = 0;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char s2[PATH_MAX], d2[PATH_MAX];
		if ((size_t)snprintf(s2, sizeof s2, "%s/%s", src, e->d_name) >= sizeof s2 ||
		    (size_t)snprintf(d2, sizeof d2, "%s/%s", dst, e->d_name) >= sizeof d2)
			rc = MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: path too long", src);
		else
			rc = copy_tree(s2, d2, depth + 1, err);
	}
	closedir(d);
	return rc;
}

/* ---- CodeResources ---- */

struct rfile { char *rel; char *link; };
struct rlist { struct rfile *v; size_t n, cap; };

static int
collect(struct rlist *l, const char *root, const char *rel, int depth, mx_err *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s%s%s", root, rel[0] ? "/" : "", rel);
	DIR *d = opendir(path);
	if (d == NULL)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path, strerror(errno));
	struct dirent *e;
	int rc = 0;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char r2[PATH_MAX], p2[PATH_MAX];
		snprintf(r2, sizeof r2, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
		snprintf(p2, sizeof p2, "%s/%s", root, r2);
		struct stat st;
		if (lstat(p2, &st) != 0) {
			rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", p2, strerror(errno));
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if (depth < 32)
				rc = collect(l, root, r2, depth + 1, err);
			continue;
		}
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 16;
			l->v = mx_xrealloc(l->v, l->cap * sizeof *l->v);
		}
		struct rfile f = { mx_xstrdup(r2), NULL };
		if (S_ISLNK(st.st_mode)) {
			char t[PATH_MAX];
			ssize_t n = readlink(p2, t, sizeof t - 1);
			t[n > 0 ? n : 0] = '\0';
			f.link = mx_xstrdup(t);
		}
		l->v[l->n++] = f;
	}
	closedir(d);
	return rc;
}

static int
by_rel(const void *a, const void *b)
{
	return strcmp(((const struct rfile *)a)->rel, ((const struct rfile *)b)->rel);
}

static plist_t
rule(bool omit, bool optional, bool nested, int weight)
{
	plist_t d = plist_new_dict();
	if (nested)
		plist_dict_set_item(d, "nested", plist_new_bool(1));
	if (omit)
		plist_dict_set_item(d, "omit", plist_new_bool(1));
	if (optional)
		plist_dict_set_item(d, "optional", plist_new_bool(1));
	plist_dict_set_item(d, "weight", plist_new_real(weight));
	return d;
}

/* The resource rules codesign writes for macOS bundles (paths are relative
 * to Contents/); rules2 decide what files2 seals. */
static void
add_rules(plist_t cr)
{
	plist_t r1 = plist_new_dict();
	plist_dict_set_item(r1, "^Resources/", plist_new_bool(1));
	plist_dict_set_item(r1, "^Resources/.*\\.lproj/", rule(false, true, false, 1000));
	plist_dict_set_item(r1, "^Resources/.*\\.lproj/locversion.plist$",
	    rule(true, false, false, 1100));
	plist_dict_set_item(r1, "^Resources/Base\\.lproj/", rule(false, false, false, 1010));
	plist_dict_set_item(r1, "^version.plist$", plist_new_bool(1));
	plist_dict_set_item(cr, "rules", r1);
	plist_t r2 = plist_new_dict();
	plist_dict_set_item(r2, ".*\\.dSYM($|/)", rule(false, false, false, 11));
	plist_dict_set_item(r2, "^(.*/)?\\.DS_Store$", rule(true, false, false, 2000));
	plist_dict_set_item(r2, "^(Frameworks|SharedFrameworks|PlugIns|Plug-ins|XPCServices|"
	    "Helpers|MacOS|Library/(Automator|Spotlight|LoginItems))/", rule(false, false, true, 10));
	plist_dict_set_item(r2, "^.*", plist_new_bool(1));
	plist_dict_set_item(r2, "^Info\\.plist$", rule(true, false, false, 20));
	plist_dict_set_item(r2, "^PkgInfo$", rule(true, false, false, 20));
	plist_dict_set_item(r2, "^Resources/", rule(false, false, false, 20));
	plist_dict_set_item(r2, "^Resources/.*\\.lproj/", rule(false, true, false, 1000));
	plist_dict_set_item(r2, "^Resources/.*\\.lproj/locversion.plist$",
	    rule(true, false, false, 1100));
	plist_dict_set_item(r2, "^Resources/Base\\.lproj/", rule(false, false, false, 1010));
	plist_dict_set_item(r2, "^[^/]+$", rule(false, false, true, 10));
	plist_dict_set_item(r2, "^embedded\\.provisionprofile$", rule(false, false, false, 20));
	plist_dict_set_item(r2, "^version\\.plist$", rule(false, false, false, 20));
	plist_dict_set_item(cr, "rules2", r2);
}

/* Seals every file under contents except Info.plist, PkgInfo, the main
 * executable and _CodeSignature. */
static int
code_resources(const char *contents, const char *exe_rel, mx_wbuf *out, int *nsealed,
    mx_err *err)
{
	struct rlist l = { 0 };
	int rc = collect(&l, contents, "", 0, err);
	plist_t cr = plist_new_dict(), files = plist_new_dict(), files2 = plist_new_dict();
	*nsealed = 0;
	if (rc == 0)
		qsort(l.v, l.n, sizeof *l.v, by_rel);
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		const char *rel = l.v[i].rel;
		if (strcmp(rel, "Info.plist") == 0 || strcmp(rel, "PkgInfo") == 0 ||
		    strncmp(rel, "_CodeSignature/", 15) == 0 || (exe_rel && strcmp(rel, exe_rel) == 0))
			continue;
		if (l.v[i].link) {
			plist_t e = plist_new_dict();
			plist_dict_set_item(e, "symlink", plist_new_string(l.v[i].link));
			plist_dict_set_item(files2, rel, e);
			(*nsealed)++;
			continue;
		}
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/%s", contents, rel);
		uint8_t *data;
		size_t len;
		if ((rc = read_file(path, &data, &len, err)))
			break;
		uint8_t h1[20], h2[32];
		unsigned int n;
		EVP_Digest(data, len, h1, &n, EVP_sha1(), NULL);
		EVP_Digest(data, len, h2, &n, EVP_sha256(), NULL);
		free(data);
		if (strncmp(rel, "Resources/", 10) == 0 || strcmp(rel, "version.plist") == 0)
			plist_dict_set_item(files, rel, plist_new_data((const char *)h1, 20));
		plist_t e = plist_new_dict();
		plist_dict_set_item(e, "hash", plist_new_data((const char *)h1, 20));
		plist_dict_set_item(e, "hash2", plist_new_data((const char *)h2, 32));
		plist_dict_set_item(files2, rel, e);
		(*nsealed)++;
	}
	for (size_t i = 0; i < l.n; i++) {
		free(l.v[i].rel);
		free(l.v[i].link);
	}
	free(l.v);
	plist_dict_set_item(cr, "files", files);
	plist_dict_set_item(cr, "files2", files2);
	add_rules(cr);
	if (rc == 0) {
		char *xml = NULL;
		uint32_t n = 0;
		plist_to_xml(cr, &xml, &n);
		mx_wbuf_put(out, xml, n);
		free(xml);
	}
	plist_free(cr);
	return rc;
}

/* ---- Info.plist and entitlements ---- */

const char *
forge_category_id(const struct forge_spec *s)
{
	if (s->kind == FORGE_DEXT)
		return CAT_DRIVER;
	if (s->kind != FORGE_SYSEXT || s->category == NULL)
		return NULL;
	if (strcmp(s->category, "network") == 0)
		return CAT_NETWORK;
	if (strcmp(s->category, "endpoint-security") == 0)
		return CAT_ES;
	if (strcmp(s->category, "driver") == 0)
		return CAT_DRIVER;
	return NULL;
}

static void
set_str(plist_t d, const char *k, const char *v)
{
	plist_dict_set_item(d, k, plist_new_string(v));
}

/* true when this spec makes a DriverKit extension (forge dext, or forge
 * sysext --category driver) */
static bool
is_driverkit(const struct forge_spec *s)
{
	return s->kind == FORGE_DEXT || (s->kind == FORGE_SYSEXT && s->category &&
	    strcmp(s->category, "driver") == 0);
}

plist_t
forge_info_plist(const struct forge_spec *s)
{
	plist_t d = plist_new_dict();
	bool dk = is_driverkit(s);
	const char *type = s->kind == FORGE_KEXT ? "KEXT" : s->kind == FORGE_APP ? "APPL" :
	    dk ? "DEXT" : "SYSX";
	set_str(d, "CFBundleDevelopmentRegion", "en");
	if (!(s->kind == FORGE_KEXT && s->codeless))
		set_str(d, "CFBundleExecutable", s->executable);
	set_str(d, "CFBundleIdentifier", s->bundle_id);
	set_str(d, "CFBundleInfoDictionaryVersion", "6.0");
	set_str(d, "CFBundleName", s->executable);
	set_str(d, "CFBundlePackageType", type);
	set_str(d, "CFBundleShortVersionString", s->short_version);
	set_str(d, "CFBundleSignature", "????");
	plist_t plats = plist_new_array();
	plist_array_append_item(plats, plist_new_string(dk ? "DriverKit" : "MacOSX"));
	plist_dict_set_item(d, "CFBundleSupportedPlatforms", plats);
	set_str(d, "CFBundleVersion", s->version);
	char cls[300];
	snprintf(cls, sizeof cls, "%s", s->executable);
	if (s->kind == FORGE_KEXT) {
		plist_t libs = plist_new_dict();
		set_str(libs, "com.apple.kpi.iokit", "19.0");
		set_str(libs, "com.apple.kpi.libkern", "19.0");
		plist_dict_set_item(d, "OSBundleLibraries", libs);
		plist_t pers = plist_new_dict(), p = plist_new_dict();
		if (s->codeless) {
			/* a codeless kext only matches an Apple driver to a device */
			set_str(p, "CFBundleIdentifier", "com.apple.driver.usb.cdc");
			set_str(p, "IOClass", "AppleUSBCDC");
			set_str(p, "IOProviderClass", "IOUSBHostDevice");
			plist_dict_set_item(p, "idVendor", plist_new_uint(0x1234));
			plist_dict_set_item(p, "idProduct", plist_new_uint(0x5678));
		} else {
			set_str(p, "CFBundleIdentifier", s->bundle_id);
			set_str(p, "IOClass", cls);
			set_str(p, "IOMatchCategory", s->bundle_id);
			set_str(p, "IOProviderClass", "IOResources");
			set_str(p, "IOResourceMatch", "IOKit");
		}
		plist_dict_set_item(pers, s->executable, p);
		plist_dict_set_item(d, "IOKitPersonalities", pers);
		set_str(d, "LSMinimumSystemVersion", "11.0");
		return d;
	}
	if (dk) {
		plist_t pers = plist_new_dict(), p = plist_new_dict();
		set_str(p, "CFBundleIdentifier", s->bundle_id);
		set_str(p, "CFBundleIdentifierKernel", "com.apple.kpi.iokit");
		set_str(p, "IOClass", "IOUserService");
		set_str(p, "IOMatchCategory", s->bundle_id);
		set_str(p, "IOProviderClass", "IOUserResources");
		set_str(p, "IOResourceMatch", "IOKit");
		set_str(p, "IOUserClass", cls);
		set_str(p, "IOUserServerName", s->bundle_id);
		plist_dict_set_item(pers, s->executable, p);
		plist_dict_set_item(d, "IOKitPersonalities", pers);
		set_str(d, "OSMinimumDriverKitVersion", "19.0");
		if (!s->no_usage_description)
			set_str(d, "OSBundleUsageDescription", "Drives the forged test device.");
		return d;
	}
	set_str(d, "LSMinimumSystemVersion", "11.0");
	if (s->kind == FORGE_APP) {
		if (!s->no_usage_description)
			set_str(d, "NSSystemExtensionUsageDescription",
			    "Installs the forged test system extensions.");
		return d;
	}
	/* .systemextension */
	const char *cat = forge_category_id(s);
	if (cat)
		set_str(d, "NSSystemExtensionPointIdentifier", cat);
	if (!s->no_usage_description)
		set_str(d, "NSSystemExtensionUsageDescription", "Forged test system extension.");
	char mach[512];
	snprintf(mach, sizeof mach, "%s.%s", s->team ? s->team : "", s->bundle_id);
	if (s->category && strcmp(s->category, "network") == 0) {
		plist_t ne = plist_new_dict(), classes = plist_new_dict();
		set_str(ne, "NEMachServiceName", mach);
		char pc[400];
		snprintf(pc, sizeof pc, "%s.FilterDataProvider", s->executable);
		set_str(classes, "com.apple.networkextension.filter-data", pc);
		plist_dict_set_item(ne, "NEProviderClasses", classes);
		plist_dict_set_item(d, "NetworkExtension", ne);
	} else if (s->category && strcmp(s->category, "endpoint-security") == 0) {
		set_str(d, "NSEndpointSecurityMachServiceName", mach);
		plist_dict_set_item(d, "NSEndpointSecurityEarlyBoot", plist_new_bool(0));
	}
	return d;
}

plist_t
forge_default_entitlements(const struct forge_spec *s)
{
	if (s->kind == FORGE_KEXT)
		return NULL;
	plist_t d = plist_new_dict();
	if (s->team && s->team[0]) {
		char app_id[512];
		snprintf(app_id, sizeof app_id, "%s.%s", s->team, s->bundle_id);
		set_str(d, "com.apple.application-identifier", app_id);
		set_str(d, "com.apple.developer.team-identifier", s->team);
	}
	if (s->kind == FORGE_APP) {
		plist_dict_set_item(d, "com.apple.developer.system-extension.install",
		    plist_new_bool(1));
	} else if (is_driverkit(s)) {
		plist_dict_set_item(d, "com.apple.developer.driverkit", plist_new_bool(1));
		plist_t usb = plist_new_array(), m = plist_new_dict();
		plist_dict_set_item(m, "idVendor", plist_new_uint(0x1234));
		plist_array_append_item(usb, m);
		plist_dict_set_item(d, "com.apple.developer.driverkit.transport.usb", usb);
	} else if (s->category && strcmp(s->category, "network") == 0) {
		plist_t a = plist_new_array();
		plist_array_append_item(a, plist_new_string("content-filter-provider-systemextension"));
		plist_dict_set_item(d, "com.apple.developer.networking.networkextension", a);
	} else if (s->category && strcmp(s->category, "endpoint-security") == 0) {
		plist_dict_set_item(d, "com.apple.developer.endpoint-security.client",
		    plist_new_bool(1));
	}
	return d;
}

/* ---- the bundle ---- */

static int
build(const struct forge_spec *s, const char *stage, struct forge_result *r, mx_err *err)
{
	char p[PATH_MAX], contents[PATH_MAX];
	int rc;
	bool codeless = s->kind == FORGE_KEXT && s->codeless;
	snprintf(contents, sizeof contents, "%s/Contents", stage);
	snprintf(p, sizeof p, "%s/Resources", contents);
	if ((rc = forge_mkdirs(p, err)))
		return rc;

	/* Info.plist */
	plist_t info = forge_info_plist(s);
	char *xml = NULL;
	uint32_t xlen = 0;
	plist_to_xml(info, &xml, &xlen);
	plist_free(info);
	snprintf(p, sizeof p, "%s/Info.plist", contents);
	rc = write_file(p, xml, xlen, 0644, err);
	mx_wbuf infob = { 0 };
	mx_wbuf_put(&infob, xml, xlen);
	free(xml);
	unsigned int hn;
	EVP_Digest(infob.p, infob.len, r->info_sha256, &hn, EVP_sha256(), NULL);

	char readme[1024];
	int rn = snprintf(readme, sizeof readme, "Forged by macext forge: %s %s (%s).\n"
	    "Test material only: signed by the macext Test Root CA, not by Apple.\n",
	    s->bundle_id, s->version, s->team ? s->team : "no team");
	snprintf(p, sizeof p, "%s/Resources/README.txt", contents);
	if (rc == 0)
		rc = write_file(p, readme, (size_t)rn, 0644, err);
	if (rc == 0 && s->kind == FORGE_APP) {
		snprintf(p, sizeof p, "%s/PkgInfo", contents);
		rc = write_file(p, "APPL????", 8, 0644, err);
	}
	if (rc == 0 && s->kind == FORGE_APP && s->nembed > 0) {
		snprintf(p, sizeof p, "%s/Library/SystemExtensions", contents);
		rc = forge_mkdirs(p, err);
		for (int i = 0; rc == 0 && i < s->nembed; i++) {
			char src[PATH_MAX], dst[PATH_MAX + 300];
			snprintf(src, sizeof src, "%s", s->embed[i]);
			size_t n = strlen(src);
			while (n > 1 && src[n - 1] == '/')
				src[--n] = '\0';
			const char *base = strrchr(src, '/');
			base = base ? base + 1 : src;
			snprintf(dst, sizeof dst, "%s/%s", p, base);
			rc = copy_tree(src, dst, 0, err);
			if (rc)
				mx_err_where(err, "--embed %s", s->embed[i]);
		}
	}

	if (!codeless) {
		r->has_exe = true;
		snprintf(r->exe_rel, sizeof r->exe_rel, "Contents/MacOS/%s", s->executable);
	}
	mx_wbuf cres = { 0 };
	if (rc == 0 && s->sig != FORGE_UNSIGNED) {
		char exe_rel[400];
		snprintf(exe_rel, sizeof exe_rel, "MacOS/%s", s->executable);
		rc = code_resources(contents, codeless ? NULL : exe_rel, &cres, &r->nresources, err);
		snprintf(p, sizeof p, "%s/_CodeSignature", contents);
		if (rc == 0)
			rc = forge_mkdirs(p, err);
		snprintf(p, sizeof p, "%s/_CodeSignature/CodeResources", contents);
		if (rc == 0)
			rc = write_file(p, cres.p, cres.len, 0644, err);
	}

	mx_cs_params cp = {
		.identifier = s->bundle_id,
		.team_id = s->sig == FORGE_SIGNED ? (s->cd_team ? s->cd_team : s->team) : NULL,
		.adhoc = s->sig == FORGE_ADHOC,
		.sha1_primary = s->sha1_primary,
		.page_shift = MX_CS_PAGE_SHIFT_4K,
		.info_plist = infob.p, .info_len = infob.len,
		.resources = cres.p, .resources_len = cres.len,
		.entitlements = codeless ? NULL : s->entitlements,
		.id = s->sig == FORGE_SIGNED ? s->id : NULL,
		.signing_time = s->signing_time,
		.no_signing_time = s->no_signing_time,
	};
	if (rc == 0 && !codeless) {
		mx_macho_spec ms = {
			.filetype = s->kind == FORGE_KEXT ? MX_MH_KEXT_BUNDLE : MX_MH_EXECUTE,
			.platform = is_driverkit(s) ? MX_PLATFORM_DRIVERKIT : MX_PLATFORM_MACOS,
			.seed = s->bundle_id, .arch = s->arch, .tamper = s->tamper,
			.extra_code = s->extra_code,
		};
		mx_wbuf mo = { 0 };
		rc = mx_macho_write(&mo, &ms, s->sig == FORGE_UNSIGNED ? NULL : &cp, &r->mo, err);
		snprintf(p, sizeof p, "%s/MacOS", contents);
		if (rc == 0)
			rc = forge_mkdirs(p, err);
		snprintf(p, sizeof p, "%s/MacOS/%s", contents, s->executable);
		if (rc == 0)
			rc = write_file(p, mo.p, mo.len, 0755, err);
		mx_wbuf_free(&mo);
	} else if (rc == 0 && s->sig != FORGE_UNSIGNED) {
		mx_wbuf cd = { 0 }, reqs = { 0 }, cms = { 0 };
		rc = mx_cs_sign_detached(&cd, &reqs, &cms, &cp, &r->dcs, err);
		const struct { const char *name; mx_wbuf *b; } f[] = {
			{ "CodeDirectory", &cd }, { "CodeRequirements", &reqs }, { "CodeSignature", &cms } };
		for (int i = 0; rc == 0 && i < 3; i++) {
			snprintf(p, sizeof p, "%s/_CodeSignature/%s", contents, f[i].name);
			rc = write_file(p, f[i].b->p, f[i].b->len, 0644, err);
		}
		r->detached = rc == 0;
		mx_wbuf_free(&cd);
		mx_wbuf_free(&reqs);
		mx_wbuf_free(&cms);
	}
	if (rc == 0 && s->tamper_resource) {
		/* after sealing: the resource no longer matches files2 */
		snprintf(p, sizeof p, "%s/Resources/README.txt", contents);
		FILE *f = fopen(p, "a");
		if (f == NULL || fputs("Changed after signing.\n", f) < 0)
			rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", p, strerror(errno));
		if (f && fclose(f) != 0 && rc == 0)
			rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", p, strerror(errno));
	}
	mx_wbuf_free(&cres);
	mx_wbuf_free(&infob);
	return rc;
}

int
forge_bundle(const struct forge_spec *s, struct forge_result *r, mx_err *err)
{
	memset(r, 0, sizeof *r);
	struct stat st;
	bool exists = lstat(s->out, &st) == 0;
	if (exists && !s->force)
		return MX_FAIL(err, MX_EEXIST, MX_NO_OFFSET, "%s: already exists (--force replaces it)",
		    s->out);
	char stage[PATH_MAX], old[PATH_MAX];
	if ((size_t)snprintf(stage, sizeof stage, "%s.forge-%ld", s->out, (long)getpid()) >=
	    sizeof stage - 512)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: path too long", s->out);
	snprintf(old, sizeof old, "%s.forge-old-%ld", s->out, (long)getpid());
	rm_rf(stage);
	int rc = build(s, stage, r, err);
	if (rc == 0 && exists && rename(s->out, old) != 0)
		rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", s->out, strerror(errno));
	if (rc == 0 && rename(stage, s->out) != 0) {
		rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", s->out, strerror(errno));
		if (exists)
			rename(old, s->out);
	}
	if (rc == 0 && exists)
		rm_rf(old);
	if (rc)
		rm_rf(stage);
	return rc;
}
