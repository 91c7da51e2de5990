/*
 * bundle.c — extension and app bundles as macOS lays them out:
 *   deep (kexts, .systemextension, apps): X/Contents/Info.plist,
 *        X/Contents/MacOS/<CFBundleExecutable>, X/Contents/_CodeSignature/;
 *   shallow (DriverKit .dext, iOS-style): X/Info.plist, X/<exe>, X/_CodeSignature/.
 * Nested kexts live in X.kext/Contents/PlugIns/X.kext; an app's system
 * extensions in X.app/Contents/Library/SystemExtensions/.{systemextension,dext}.
 * Info.plist may be XML or binary; every value we use has its type checked
 * and a wrong one is reported with its key path.  The category of a system
 * extension and the entitlements it needs follow system-extensions.md §2.4,
 * §2.9, §4 and formats-and-peers.md §1.16 (docs/codesign.md says which parts
 * are inference).  Sizes are capped: Info.plist 1 MiB, 16 embedded bundles.
 *
 * This is the one bundle reader for `codesign verify`, `kext install`, `app
 * install` and sysext staging, so they give one answer (issue 14 §6): the
 * parts a signature vouches for — Contents, Info.plist, MacOS and the
 * executable, _CodeSignature, the embedded bundles — must be real files and
 * directories of the bundle, never symbolic links (macOS's strict
 * validation refuses a link that leaves the bundle; the content store
 * accepts no link at all).  Files are then opened O_NOFOLLOW.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macext/bundle.h"
#include "macext/codesign.h"
#include "macext/plist_util.h"

static const struct { const char *suffix; enum mx_bundle_kind kind; const char *name; } kinds[] = {
	{ ".kext", MX_BUNDLE_KEXT, "kext" },
	{ ".dext", MX_BUNDLE_DEXT, "dext" },
	{ ".systemextension", MX_BUNDLE_SYSEXT, "systemextension" },
	{ ".app", MX_BUNDLE_APP, "app" },
};

const char *
mx_bundle_kind_name(enum mx_bundle_kind k)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (kinds[i].kind == k)
			return kinds[i].name;
	return "bundle";
}

void
mx_bundle_free(mx_bundle *b)
{
	if (b == NULL)
		return;
	plist_free(b->info);
	plist_free(b->entitlements);
	free(b);
}


/* dict[key] if it has type t; NULL when absent; an error when of another type. */
static int
get_typed(plist_t *out, plist_t dict, const char *key, plist_type t, const char *where, mx_err *err)
{
	plist_t n = plist_dict_get_item(dict, key);
	*out = NULL;
	if (n == NULL)
		return 0;
	if (plist_get_node_type(n) != t) {
		static const struct { plist_type t; const char *n; } names[] = { { PLIST_STRING, "string" },
		    { PLIST_DICT, "dict" }, { PLIST_ARRAY, "array" }, { PLIST_BOOLEAN, "boolean" } };
		const char *want = "?";
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (names[i].t == t)
				want = names[i].n;
		int rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: expected %s, got %s", key, want,
		    mx_plist_type_name(n));
		mx_err_where(err, "%s: ", where);
		return rc;
	}
	*out = n;
	return 0;
}

/* A string value copied into out (at most len-1 bytes, else an error). */
static int
get_string(char *out, size_t len, plist_t dict, const char *key, bool required, const char *where,
    mx_err *err)
{
	plist_t n;
	out[0] = '\0';
	int rc = get_typed(&n, dict, key, PLIST_STRING, where, err);
	if (rc)
		return rc;
	if (n == NULL) {
		if (!required)
			return 0;
		rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: missing", key);
		mx_err_where(err, "%s: ", where);
		return rc;
	}
	uint64_t l = 0;
	const char *s = plist_get_string_ptr(n, &l);
	if (s == NULL || l >= len || strlen(s) != l) {
		rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: string of %llu bytes (at most %zu)",
		    key, (unsigned long long)l, len - 1);
		mx_err_where(err, "%s: ", where);
		return rc;
	}
	memcpy(out, s, l + 1);
	return 0;
}

/* Bundle identifiers: letters, digits, '-', '.' (CFBundleIdentifier rules). */
static bool
valid_bundle_id(const char *s)
{
	if (*s == '\0' || *s == '.')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')
		    || *s == '-' || *s == '.' || *s == '_'))
			return false;
	return true;
}

static bool
known_category(const char *c)
{
	return strcmp(c, MX_CAT_DRIVER) == 0 || strcmp(c, MX_CAT_NETWORK) == 0
	    || strcmp(c, MX_CAT_ES) == 0 || strcmp(c, MX_CAT_CMIO) == 0;
}

int
mx_bundle_read_info(mx_bundle *b, const uint8_t *buf, size_t len, const char *where, mx_err *err)
{
	if (len > MX_BUNDLE_MAX_INFO)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: %zu bytes is over the 1 MiB cap",
		    where, len);
	plist_t p = NULL;
	/* bounded depth, size and expansion; no duplicate keys (plist_util.h) */
	int prc = mx_plist_parse(&p, buf, len, where, err);
	if (prc)
		return prc;
	if (plist_get_node_type(p) != PLIST_DICT) {
		int rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: expected dict, got %s", where,
		    mx_plist_type_name(p));
		plist_free(p);
		return rc;
	}
	plist_free(b->info);
	b->info = p;
	int rc;
	bool need_version = b->kind != MX_BUNDLE_APP && b->kind != MX_BUNDLE_OTHER;
	if ((rc = get_string(b->bundle_id, sizeof b->bundle_id, p, "CFBundleIdentifier", true, where,
	    err)) || (rc = get_string(b->version, sizeof b->version, p, "CFBundleVersion", need_version,
	    where, err)) || (rc = get_string(b->short_version, sizeof b->short_version, p,
	    "CFBundleShortVersionString", false, where, err)) || (rc = get_string(b->executable,
	    sizeof b->executable, p, "CFBundleExecutable", false, where, err))
	    || (rc = get_string(b->package_type, sizeof b->package_type, p, "CFBundlePackageType",
	    false, where, err)) || (rc = get_string(b->os_bundle_required,
	    sizeof b->os_bundle_required, p, "OSBundleRequired", false, where, err)))
		return rc;
	char name[256];
	if ((rc = get_string(name, sizeof name, p, "CFBundleName", false, where, err)))
		return rc;
	if (name[0])
		snprintf(b->name, sizeof b->name, "%s", name);
	if (!valid_bundle_id(b->bundle_id))
		return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: CFBundleIdentifier: '%s' is not a "
		    "bundle identifier", where, b->bundle_id);
	if (b->executable[0] && (strchr(b->executable, '/') || strcmp(b->executable, ".") == 0
	    || strcmp(b->executable, "..") == 0))
		return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: CFBundleExecutable: '%s' is not a "
		    "file name", where, b->executable);
	b->codeless = b->executable[0] == '\0';

	/* OSBundleLibraries: dict of bundle id -> version string */
	plist_t libs;
	if ((rc = get_typed(&libs, p, "OSBundleLibraries", PLIST_DICT, where, err)))
		return rc;
	b->has_os_bundle_libraries = libs != NULL;
	if (libs) {
		plist_dict_iter it = NULL;
		plist_dict_new_iter(libs, &it);
		for (;;) {
			char *k = NULL;
			plist_t v = NULL;
			plist_dict_next_item(libs, it, &k, &v);
			if (k == NULL)
				break;
			bool bad = plist_get_node_type(v) != PLIST_STRING;
			if (bad)
				rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: OSBundleLibraries.%s: expected "
				    "string, got %s", where, k, mx_plist_type_name(v));
			free(k);
			if (bad)
				break;
		}
		free(it);
		if (rc)
			return rc;
	}
	plist_t pers;
	if ((rc = get_typed(&pers, p, "IOKitPersonalities", PLIST_DICT, where, err)))
		return rc;

	/* usage description: NSSystemExtensionUsageDescription, OSBundleUsageDescription (dexts) */
	char tmp[1024];
	if ((rc = get_string(tmp, sizeof tmp, p, "NSSystemExtensionUsageDescription", false, where,
	    err)))
		return rc;
	b->has_usage_description = tmp[0] != '\0';
	if ((rc = get_string(tmp, sizeof tmp, p, "OSBundleUsageDescription", false, where, err)))
		return rc;
	b->has_usage_description |= tmp[0] != '\0';

	/* the category a system extension declares */
	if ((rc = get_string(b->category_declared, sizeof b->category_declared, p,
	    "NSSystemExtensionPointIdentifier", false, where, err)))
		return rc;
	plist_t nsext, ne, cmio;
	if ((rc = get_typed(&nsext, p, "NSExtension", PLIST_DICT, where, err)))
		return rc;
	if (nsext && b->category_declared[0] == '\0'
	    && (rc = get_string(b->category_declared, sizeof b->category_declared, nsext,
	    "NSExtensionPointIdentifier", false, where, err))) {
		mx_err_where(err, "NSExtension.");
		return rc;
	}
	if ((rc = get_typed(&ne, p, "NetworkExtension", PLIST_DICT, where, err))
	    || (rc = get_typed(&cmio, p, "CMIOExtension", PLIST_DICT, where, err)))
		return rc;
	b->category[0] = '\0';
	if (b->kind == MX_BUNDLE_DEXT) {
		snprintf(b->category, sizeof b->category, "%s", MX_CAT_DRIVER);
	} else if (b->kind == MX_BUNDLE_SYSEXT) {
		if (b->category_declared[0]) {
			if (known_category(b->category_declared))
				snprintf(b->category, sizeof b->category, "%s", b->category_declared);
		} else if (ne) {
			snprintf(b->category, sizeof b->category, "%s", MX_CAT_NETWORK);
		} else if (cmio) {
			snprintf(b->category, sizeof b->category, "%s", MX_CAT_CMIO);
		} else if (plist_dict_get_item(p, "NSEndpointSecurityEarlyBoot")
		    || plist_dict_get_item(p, "NSEndpointSecurityMachServiceName")
		    || plist_dict_get_item(p, "NSEndpointSecurityRebootRequired")) {
			snprintf(b->category, sizeof b->category, "%s", MX_CAT_ES);
		}
	}
	return 0;
}

static bool
ent_true(plist_t ents, const char *key)
{
	plist_t v = ents ? plist_dict_get_item(ents, key) : NULL;
	uint8_t t = 0;
	if (v && plist_get_node_type(v) == PLIST_BOOLEAN)
		plist_get_bool_val(v, &t);
	return t != 0;
}

/* system-extensions.md §4.2: the entitlement each category needs; when the
 * Info.plist did not name a category, the entitlements decide it. */
static void
apply_entitlements(mx_bundle *b)
{
	plist_t e = b->entitlements;
	if (b->kind == MX_BUNDLE_APP)
		b->has_install_entitlement = ent_true(e, "com.apple.developer.system-extension.install");
	if (b->kind != MX_BUNDLE_SYSEXT && b->kind != MX_BUNDLE_DEXT)
		return;
	plist_t nex = e ? plist_dict_get_item(e, "com.apple.developer.networking.networkextension")
	    : NULL;
	bool ne_ok = false;
	if (nex && plist_get_node_type(nex) == PLIST_ARRAY)
		for (uint32_t i = 0; i < plist_array_get_size(nex); i++) {
			plist_t s = plist_array_get_item(nex, i);
			const char *v = s && plist_get_node_type(s) == PLIST_STRING
			    ? plist_get_string_ptr(s, NULL) : NULL;
			size_t l = v ? strlen(v) : 0;
			if (l > 16 && strcmp(v + l - 16, "-systemextension") == 0)
				ne_ok = true;
		}
	bool es_ok = ent_true(e, "com.apple.developer.endpoint-security.client");
	bool dk_ok = ent_true(e, "com.apple.developer.driverkit");
	if (b->category[0] == '\0' && b->category_declared[0] == '\0' && b->kind == MX_BUNDLE_SYSEXT) {
		if (es_ok)
			snprintf(b->category, sizeof b->category, "%s", MX_CAT_ES);
		else if (nex)
			snprintf(b->category, sizeof b->category, "%s", MX_CAT_NETWORK);
	}
	const char *need = NULL;
	bool ok = false;
	if (strcmp(b->category, MX_CAT_DRIVER) == 0)
		need = "com.apple.developer.driverkit", ok = dk_ok;
	else if (strcmp(b->category, MX_CAT_NETWORK) == 0)
		need = "com.apple.developer.networking.networkextension", ok = ne_ok;
	else if (strcmp(b->category, MX_CAT_ES) == 0)
		need = "com.apple.developer.endpoint-security.client", ok = es_ok;
	else if (strcmp(b->category, MX_CAT_CMIO) == 0)
		ok = true;      /* no entitlement is documented for camera extensions */
	b->has_category_entitlement = ok;
	snprintf(b->missing_entitlement, sizeof b->missing_entitlement, "%s", ok || !need ? "" : need);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists dir's entries ending in one of the suffixes, sorted, into out[]. */
static int
list_bundles(char out[][PATH_MAX], int *n, const char *dir, const char *s1, const char *s2,
    mx_err *err)
{
	*n = 0;
	DIR *d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT || errno == ENOTDIR ? 0
		    : MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", dir, strerror(errno));
	char *names[MX_BUNDLE_MAX_EMBEDDED];
	int k = 0, rc = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		bool m1 = l > strlen(s1) && strcmp(de->d_name + l - strlen(s1), s1) == 0;
		bool m2 = s2 && l > strlen(s2) && strcmp(de->d_name + l - strlen(s2), s2) == 0;
		if (!m1 && !m2)
			continue;
		if (k == MX_BUNDLE_MAX_EMBEDDED) {
			rc = MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: more than %d bundles", dir,
			    MX_BUNDLE_MAX_EMBEDDED);
			break;
		}
		names[k++] = mx_xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, (size_t)k, sizeof names[0], cmp_str);
	for (int i = 0; i < k; i++) {
		if (rc == 0)
			snprintf(out[(*n)++], PATH_MAX, "%s/%s", dir, names[i]);
		free(names[i]);
	}
	return rc;
}

static bool
is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A part of the bundle a signature covers, at path (rel names it in the
 * message): absent is fine (the caller decides), a symbolic link is not. */
static int
no_link(const char *bundle, const char *path, const char *rel, mx_err *err)
{
	struct stat st;
	if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode))
		return 0;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: %s is a symbolic link (a bundle's "
	    "Contents, Info.plist, executable, signature and embedded bundles must be its own files)",
	    bundle, rel);
}

static int
read_info(mx_bundle *b, const char *path, mx_err *err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return MX_FAIL(err, errno == ENOENT ? MX_EFORMAT : errno == ELOOP ? MX_EINVALID : MX_EIO,
		    MX_NO_OFFSET, "%s: %s", path, errno == ENOENT ? "the bundle has no Info.plist" :
		    errno == ELOOP ? "is a symbolic link" : strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: not a regular file", path);
	}
	uint8_t *buf = mx_xmalloc(MX_BUNDLE_MAX_INFO + 1);
	size_t len = 0;
	bool ioerr = false;
	while (len < MX_BUNDLE_MAX_INFO + 1) {
		ssize_t n = read(fd, buf + len, MX_BUNDLE_MAX_INFO + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ioerr = true;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	int rc = ioerr ? MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: read error", path)
	    : mx_bundle_read_info(b, buf, len, path, err);
	free(buf);
	return rc;
}

int
mx_bundle_open_flags(mx_bundle **out, const char *path, unsigned flags, mx_err *err)
{
	*out = NULL;
	if (!is_dir(path))
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s: not a bundle directory", path);
	mx_bundle *b = mx_xcalloc(1, sizeof *b);
	snprintf(b->path, sizeof b->path, "%s", path);
	/* strip trailing slashes, then classify by suffix */
	size_t l = strlen(b->path);
	while (l > 1 && b->path[l - 1] == '/')
		b->path[--l] = '\0';
	b->kind = MX_BUNDLE_OTHER;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		size_t sl = strlen(kinds[i].suffix);
		if (l > sl && strcmp(b->path + l - sl, kinds[i].suffix) == 0)
			b->kind = kinds[i].kind;
	}
	const char *base = strrchr(b->path, '/');
	base = base ? base + 1 : b->path;
	/* the name without its suffix; a leading dot (a hidden bundle) is part of it */
	const char *suffix = strrchr(base, '.');
	snprintf(b->name, sizeof b->name, "%.*s", (int)(suffix && suffix != base
	    ? (size_t)(suffix - base) : strlen(base)), base);

	char p[PATH_MAX];
	int rc;
	snprintf(b->contents_dir, sizeof b->contents_dir, "%s/Contents", b->path);
	if ((rc = no_link(b->path, b->contents_dir, "Contents", err)))
		goto fail;
	snprintf(p, sizeof p, "%s/Info.plist", b->contents_dir);
	struct stat st;
	if (!is_dir(b->contents_dir) || lstat(p, &st) != 0) {
		/* shallow bundle: Info.plist at the top */
		snprintf(b->contents_dir, sizeof b->contents_dir, "%s", b->path);
		snprintf(p, sizeof p, "%s/Info.plist", b->path);
	}
	bool shallow = strcmp(b->contents_dir, b->path) == 0;
	const char *cd = shallow ? "" : "Contents/";
	char rel[300], q[PATH_MAX + 32];
	snprintf(rel, sizeof rel, "%sInfo.plist", cd);
	if ((rc = no_link(b->path, p, rel, err)))
		goto fail;
	snprintf(q, sizeof q, "%s/_CodeSignature", b->contents_dir);
	snprintf(rel, sizeof rel, "%s_CodeSignature", cd);
	if ((rc = no_link(b->path, q, rel, err)))
		goto fail;
	if ((rc = read_info(b, p, err)))
		goto fail;
	if (!b->codeless) {
		if (!shallow) {
			snprintf(q, sizeof q, "%s/MacOS", b->contents_dir);
			if ((rc = no_link(b->path, q, "Contents/MacOS", err)))
				goto fail;
		}
		snprintf(b->executable_path, sizeof b->executable_path, "%s%s/%s", b->contents_dir,
		    shallow ? "" : "/MacOS", b->executable);
		snprintf(rel, sizeof rel, "%s%s", shallow ? "" : "Contents/MacOS/", b->executable);
		if ((rc = no_link(b->path, b->executable_path, rel, err)))
			goto fail;
		if (stat(b->executable_path, &st) != 0 || !S_ISREG(st.st_mode)) {
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: CFBundleExecutable '%s' is "
			    "missing from the bundle", b->path, b->executable);
			goto fail;
		}
		if (!(flags & MX_BUNDLE_NO_ENTITLEMENTS)) {
			mx_err e;
			mx_err_clear(&e);
			/* an unreadable signature has no entitlements; verification reports why */
			if (mx_codesign_copy_entitlements(&b->entitlements, b->executable_path, &e))
				b->entitlements = NULL;
		}
	}
	apply_entitlements(b);
	snprintf(p, sizeof p, "%s/PlugIns", b->contents_dir);
	snprintf(rel, sizeof rel, "%sPlugIns", cd);
	if ((rc = no_link(b->path, p, rel, err)) ||
	    (rc = list_bundles(b->plugins, &b->nplugins, p, ".kext", NULL, err)))
		goto fail;
	for (int i = 0; i < b->nplugins; i++) {
		snprintf(rel, sizeof rel, "%sPlugIns/%s", cd, strrchr(b->plugins[i], '/') + 1);
		if ((rc = no_link(b->path, b->plugins[i], rel, err)))
			goto fail;
	}
	if (b->kind == MX_BUNDLE_APP) {
		snprintf(p, sizeof p, "%s/Library", b->contents_dir);
		if ((rc = no_link(b->path, p, "Contents/Library", err)))
			goto fail;
		snprintf(p, sizeof p, "%s/Library/SystemExtensions", b->contents_dir);
		if ((rc = no_link(b->path, p, "Contents/Library/SystemExtensions", err)) ||
		    (rc = list_bundles(b->embedded, &b->nembedded, p, ".systemextension", ".dext", err)))
			goto fail;
		for (int i = 0; i < b->nembedded; i++) {
			snprintf(rel, sizeof rel, "Contents/Library/SystemExtensions/%s",
			    strrchr(b->embedded[i], '/') + 1);
			if ((rc = no_link(b->path, b->embedded[i], rel, err)))
				goto fail;
		}
	}
	*out = b;
	return 0;
fail:
	mx_bundle_free(b);
	return rc;
}

int
mx_bundle_open(mx_bundle **out, const char *path, mx_err *err)
{
	return mx_bundle_open_flags(out, path, 0, err);
}
