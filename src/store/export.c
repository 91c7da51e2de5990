/*
 * export.c — a device's state gathered into a value (mx_devstate_gather)
 * and written as the files a real Mac holds, at their real paths under a
 * directory (mx_devstate_export); the layout is devstate.h's, the formats
 * are sysextdb.c (db.plist), kextpolicy.c (KextPolicy), lpolicy.c (the
 * LocalPolicy record) and sidecar.c (macext/device.plist).  Every file's
 * bytes follow from the state alone, so exporting an imported export gives
 * the same files (docs/export.md).  Files are written new (O_EXCL) into
 * DIR.partial-PID, renamed to DIR (new or empty) when complete; nothing
 * else is touched.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "store_int.h"
#include "macext/devstate.h"
#include "macext/plist_util.h"
#include "macext/profile.h"
#include "macext/rd.h"
#include "macext/sysextdb.h"

static const char *const kv_keys[] = { "nvram.csr-active-config", "nvram.kext-consent",
	"nvram.kext-allowed-teams", "boot.sep.nonce", "kext.panic_medic" };

void
mx_devstate_free(mx_devstate *s)
{
	free(s->trust_anchor_pem);
	free(s->sx);
	mx_kpdb_free(&s->kp);
	free(s->kexts);
	for (size_t i = 0; i < s->nprofiles; i++)
		free(s->profiles[i].body);
	free(s->profiles);
	free(s->files);
	for (size_t i = 0; i < s->nkv; i++)
		free(s->kv[i].value);
	free(s->kv);
	memset(s, 0, sizeof *s);
}

/* ---- gathering ---- */

struct gather { mx_store *st; mx_devstate *s; mx_err *err; };

static int
add_profile(const mx_profile_row *r, void *arg)
{
	struct gather *g = arg;
	mx_devstate *s = g->s;
	s->profiles = mx_xrealloc(s->profiles, (s->nprofiles + 1) * sizeof *s->profiles);
	mx_devstate_profile *p = &s->profiles[s->nprofiles];
	memset(p, 0, sizeof *p);
	p->row = *r;
	int rc = mx_store_blob_get(g->st, r->body, &p->body, &p->body_len, g->err);
	if (rc == 0)
		s->nprofiles++;
	return rc;
}

static int
add_file(const char *path, const char *hash, void *arg)
{
	struct gather *g = arg;
	mx_devstate *s = g->s;
	s->files = mx_xrealloc(s->files, (s->nfiles + 1) * sizeof *s->files);
	mx_devstate_file *f = &s->files[s->nfiles++];
	snprintf(f->path, sizeof f->path, "%s", path);
	snprintf(f->hash, sizeof f->hash, "%s", hash);
	return 0;
}

static int
read_cas_file(mx_store *st, const char *hash, char **out, mx_err *err)
{
	char p[PATH_MAX];
	int rc = mx_cas_path(st, hash, p, sizeof p, err);
	if (rc)
		return rc;
	FILE *f = fopen(p, "rb");
	if (f == NULL)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", p, strerror(errno));
	char *buf = mx_xmalloc(65537);
	size_t n = fread(buf, 1, 65536, f);
	bool more = fgetc(f) != EOF;
	fclose(f);
	if (more) {
		free(buf);
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: trust anchor over 64 KiB", p);
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

int
mx_devstate_gather(mx_store *st, const mx_device *d, const mx_localpolicy *lp, mx_devstate *out,
    mx_err *err)
{
	memset(out, 0, sizeof *out);
	out->dev = *d;
	out->sidecar = true;
	struct gather g = { st, out, err };
	int rc = 0;
	if (d->trust_anchor[0])
		rc = read_cas_file(st, d->trust_anchor, &out->trust_anchor_pem, err);
	if (rc == 0)
		rc = mx_store_sysext_settings_get(st, d->id, &out->developer_mode, out->boot_uuid, err);
	if (rc == 0)
		rc = mx_store_sysext_load(st, d->id, &out->sx, &out->nsx, err);
	if (rc == 0)
		rc = mx_store_kpdb_gather(st, d->id, &out->kp, err);
	if (rc == 0)
		rc = mx_store_kext_list(st, d->id, &out->kexts, &out->nkexts, err);
	if (rc == 0)
		rc = mx_store_profile_each(st, d->id, add_profile, &g, err);
	if (rc == 0)
		rc = mx_store_file_each(st, d->id, "/", add_file, &g, err);
	for (size_t i = 0; rc == 0 && i < sizeof kv_keys / sizeof kv_keys[0]; i++) {
		char *v = NULL;
		if ((rc = mx_store_kv_get(st, d->id, kv_keys[i], &v, err)) == 0 && v) {
			out->kv = mx_xrealloc(out->kv, (out->nkv + 1) * sizeof *out->kv);
			snprintf(out->kv[out->nkv].key, sizeof out->kv[out->nkv].key, "%s", kv_keys[i]);
			out->kv[out->nkv++].value = v;
		}
	}
	if (rc == 0 && lp) {
		out->has_lp = true;
		out->lp = *lp;
		out->lp.has_sig = false;     /* a real Mac's SEP signature never leaves it */
	}
	if (rc)
		mx_devstate_free(out);
	return rc;
}

/* ---- writing files ---- */

static int
mkdirs(const char *path, mx_err *err)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s", path);
	for (char *c = p + 1; ; c++) {
		if (*c == '/' || *c == '\0') {
			char keep = *c;
			*c = '\0';
			if (mkdir(p, 0755) != 0 && errno != EEXIST)
				return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", p, strerror(errno));
			*c = keep;
			if (keep == '\0')
				break;
		}
	}
	return 0;
}

/* dir/rel (rel may hold '/'), created new with its parents; mode 0644/0755. */
static int
put_file(const char *dir, const char *rel, const uint8_t *data, size_t len, mode_t mode,
    mx_err *err)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof p, "%s/%s", dir, rel) >= (int)sizeof p)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s/%s: path too long", dir, rel);
	char *slash = strrchr(p, '/');
	*slash = '\0';
	int rc = mkdirs(p, err);
	*slash = '/';
	if (rc)
		return rc;
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", p, strerror(errno));
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, data + done, len - done);
		if (w <= 0) {
			int e = errno;
			close(fd);
			return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", p, strerror(e));
		}
		done += (size_t)w;
	}
	if (close(fd) != 0)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", p, strerror(errno));
	return 0;
}

/* Copies the file or tree at src (a CAS entry) to dst, which must not exist. */
static int
copy_tree(const char *src, const char *dst, int depth, mx_err *err)
{
	struct stat sb;
	if (depth > 64)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: nested too deep", src);
	if (lstat(src, &sb) != 0)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", src, strerror(errno));
	if (S_ISDIR(sb.st_mode)) {
		if (mkdir(dst, 0755) != 0)
			return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", dst, strerror(errno));
		DIR *d = opendir(src);
		if (d == NULL)
			return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", src, strerror(errno));
		struct dirent *de;
		int rc = 0;
		while (rc == 0 && (de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			char s2[PATH_MAX], d2[PATH_MAX];
			if (snprintf(s2, sizeof s2, "%s/%s", src, de->d_name) >= (int)sizeof s2 ||
			    snprintf(d2, sizeof d2, "%s/%s", dst, de->d_name) >= (int)sizeof d2)
				rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: path too long", src);
			else
				rc = copy_tree(s2, d2, depth + 1, err);
		}
		closedir(d);
		return rc;
	}
	if (!S_ISREG(sb.st_mode))
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: not a file or directory", src);
	int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", src, strerror(errno));
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    (sb.st_mode & 0111) ? 0755 : 0644);
	if (out < 0) {
		int e = errno;
		close(in);
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", dst, strerror(e));
	}
	char buf[65536];
	ssize_t n;
	int rc = 0;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n) {
			rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", dst, strerror(errno));
			break;
		}
	if (n < 0 && rc == 0)
		rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", src, strerror(errno));
	close(in);
	if (close(out) != 0 && rc == 0)
		rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", dst, strerror(errno));
	return rc;
}

/* The CAS tree hash to dir/rel (rel a device path without its leading '/'). */
static int
put_tree(mx_store *st, const char *hash, const char *dir, const char *rel, mx_err *err)
{
	char src[PATH_MAX], dst[PATH_MAX];
	int rc = mx_cas_path(st, hash, src, sizeof src, err);
	if (rc)
		return rc;
	if (snprintf(dst, sizeof dst, "%s/%s", dir, rel) >= (int)sizeof dst)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s/%s: path too long", dir, rel);
	char *slash = strrchr(dst, '/');
	*slash = '\0';
	rc = mkdirs(dst, err);
	*slash = '/';
	return rc ? rc : copy_tree(src, dst, 0, err);
}

static int
put_plist(const char *dir, const char *rel, plist_t p, bool binary, mx_err *err)
{
	char *b = NULL;
	uint32_t n = 0;
	if (binary)
		plist_to_bin(p, &b, &n);
	else
		plist_to_xml(p, &b, &n);
	if (b == NULL)
		return MX_FAIL(err, MX_ENOMEM, MX_NO_OFFSET, "%s: could not encode", rel);
	int rc = put_file(dir, rel, (const uint8_t *)b, n, 0644, err);
	free(b);
	return rc;
}

static int
system_version(const mx_devstate *s, const char *dir, mx_err *err)
{
	char v[32];
	mx_version_str(s->dev.os, v, sizeof v);
	plist_t p = plist_new_dict();
	plist_dict_set_item(p, "ProductName", plist_new_string(
	    s->dev.os.major >= 11 ? "macOS" : "Mac OS X"));
	plist_dict_set_item(p, "ProductUserVisibleVersion", plist_new_string(v));
	plist_dict_set_item(p, "ProductVersion", plist_new_string(v));
	int rc = put_plist(dir, "System/Library/CoreServices/SystemVersion.plist", p, false, err);
	plist_free(p);
	return rc;
}

/* A store record as a db.plist record: cdhashes JSON -> entries. */
static void
sx_to_db(const mx_sx_rec *r, mx_sxdb_ext *e)
{
	memset(e, 0, sizeof *e);
	snprintf(e->unique_id, sizeof e->unique_id, "%s", r->unique_id);
	snprintf(e->identifier, sizeof e->identifier, "%s", r->identifier);
	snprintf(e->team_id, sizeof e->team_id, "%s", r->team_id);
	snprintf(e->version, sizeof e->version, "%s", r->version);
	snprintf(e->short_version, sizeof e->short_version, "%s", r->short_version);
	snprintf(e->category, sizeof e->category, "%s", r->category);
	snprintf(e->state, sizeof e->state, "%s", mx_sx_state_name(r->state));
	snprintf(e->origin_path, sizeof e->origin_path, "%s", r->origin_path);
	snprintf(e->container, sizeof e->container, "%s", r->container);
	snprintf(e->app_id, sizeof e->app_id, "%s", r->app_id);
	snprintf(e->app_team, sizeof e->app_team, "%s", r->team_id);
	snprintf(e->staged_path, sizeof e->staged_path, "%s", r->staged_path);
	json_t *j = json_loads(r->cdhashes, 0, NULL);
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v) {
		if (e->ncdhash == MX_SXDB_MAX_CDHASHES)
			break;
		mx_sxdb_cdhash *c = &e->cdhash[e->ncdhash++];
		snprintf(c->cdhash, sizeof c->cdhash, "%s", k);
		c->cputype = json_integer_value(json_object_get(v, "cputype"));
		c->cpusubtype = json_integer_value(json_object_get(v, "cpusubtype"));
	}
	json_decref(j);
}

static int
db_plist(const mx_devstate *s, const char *dir, mx_err *err)
{
	mx_sxdb db;
	mx_sxdb_init(&db);
	db.developer_mode = s->developer_mode;
	snprintf(db.boot_uuid, sizeof db.boot_uuid, "%s", s->boot_uuid);
	int rc = 0;
	/* extensionPolicies: one per installed system-extension-policy payload */
	for (size_t i = 0; rc == 0 && i < s->nprofiles; i++) {
		plist_t body = NULL;
		if (mx_plist_parse(&body, s->profiles[i].body, s->profiles[i].body_len,
		    s->profiles[i].row.identifier, NULL) != 0)
			continue;
		plist_t pc = plist_dict_get_item(body, "PayloadContent");
		for (uint32_t k = 0; rc == 0 && pc && plist_get_node_type(pc) == PLIST_ARRAY &&
		    k < plist_array_get_size(pc); k++) {
			plist_t p = plist_array_get_item(pc, k);
			const char *t = mx_plist_str(plist_dict_get_item(p, "PayloadType"));
			if (t && strcmp(t, "com.apple.system-extension-policy") == 0)
				rc = mx_sxdb_add_policy(&db, p, s->profiles[i].row.identifier, err);
		}
		plist_free(body);
	}
	for (size_t i = 0; rc == 0 && i < s->nsx; i++) {
		mx_sxdb_ext e;
		sx_to_db(&s->sx[i], &e);
		mx_sxdb_add_ext(&db, &e);
	}
	uint8_t *b = NULL;
	size_t n = 0;
	if (rc == 0)
		rc = mx_sxdb_write(&db, &b, &n, err);
	if (rc == 0)
		rc = put_file(dir, "Library/SystemExtensions/db.plist", b, n, 0644, err);
	free(b);
	mx_sxdb_free(&db);
	return rc;
}

/* "2023-03-31 01:14:38 +0000", as profiles(1) prints ProfileInstallDate */
static void
install_date(char *out, size_t len, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M:%S +0000", &tm);
}

static bool
common_key(const char *k)
{
	static const char *const keys[] = { "PayloadDisplayName", "PayloadIdentifier",
		"PayloadType", "PayloadUUID", "PayloadVersion", "PayloadOrganization",
		"PayloadDescription" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(k, keys[i]) == 0)
			return true;
	return false;
}

/* One _computerlevel entry of `profiles show -output stdout-xml`. */
static plist_t
show_entry(const mx_devstate_profile *p, plist_t body)
{
	plist_t e = plist_new_dict(), items = plist_new_array();
	const char *desc = mx_plist_str(plist_dict_get_item(body, "PayloadDescription"));
	char date[40];
	install_date(date, sizeof date, p->row.installed_at);
	plist_dict_set_item(e, "ProfileDescription", plist_new_string(desc ? desc : ""));
	plist_dict_set_item(e, "ProfileDisplayName", plist_new_string(p->row.display_name));
	plist_dict_set_item(e, "ProfileIdentifier", plist_new_string(p->row.identifier));
	plist_dict_set_item(e, "ProfileInstallDate", plist_new_string(date));
	plist_t pc = plist_dict_get_item(body, "PayloadContent");
	for (uint32_t i = 0; pc && plist_get_node_type(pc) == PLIST_ARRAY &&
	    i < plist_array_get_size(pc); i++) {
		plist_t pl = plist_array_get_item(pc, i), it = plist_new_dict(), content = plist_new_dict();
		if (plist_get_node_type(pl) != PLIST_DICT)
			continue;
		plist_dict_iter di = NULL;
		plist_dict_new_iter(pl, &di);
		for (;;) {
			char *k = NULL;
			plist_t v = NULL;
			plist_dict_next_item(pl, di, &k, &v);
			if (k == NULL)
				break;
			plist_dict_set_item(common_key(k) ? it : content, k, plist_copy(v));
			free(k);
		}
		free(di);
		plist_dict_set_item(it, "PayloadContent", content);
		plist_array_append_item(items, it);
	}
	plist_dict_set_item(e, "ProfileItems", items);
	plist_dict_set_item(e, "ProfileOrganization", plist_new_string(p->row.organization));
	plist_dict_set_item(e, "ProfileType", plist_new_string("Configuration"));
	plist_dict_set_item(e, "ProfileUUID", plist_new_string(p->row.uuid));
	plist_dict_set_item(e, "ProfileVerificationState", plist_new_string(
	    p->row.signer[0] ? "verified" : "unsigned"));
	plist_dict_set_item(e, "ProfileVersion", plist_new_uint(1));
	return e;
}

static int
profiles_out(const mx_devstate *s, const char *dir, mx_err *err)
{
	plist_t show = plist_new_dict(), cl = plist_new_array();
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < s->nprofiles; i++) {
		const mx_devstate_profile *p = &s->profiles[i];
		plist_t body = NULL;
		if ((rc = mx_plist_parse(&body, p->body, p->body_len, p->row.identifier, err)))
			break;
		char rel[600];
		snprintf(rel, sizeof rel, "macext/profiles/%02zu-%s.mobileconfig", i + 1,
		    p->row.identifier);
		rc = put_plist(dir, rel, body, false, err);
		plist_array_append_item(cl, show_entry(p, body));
		plist_free(body);
	}
	plist_dict_set_item(show, "_computerlevel", cl);
	if (rc == 0)
		rc = put_plist(dir, "macext/profiles-show.xml", show, false, err);
	plist_free(show);
	return rc;
}

static int
localpolicy_out(const mx_devstate *s, const char *dir, mx_err *err)
{
	uint8_t buf[MX_LP_MAX_LEN], h[MX_LP_HASH_LEN];
	size_t n = mx_lp_encode(&s->lp, false, buf, sizeof buf);
	if (n == 0)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "LocalPolicy: could not encode");
	unsigned hl = 0;
	EVP_Digest(buf, n, h, &hl, EVP_sha384(), NULL);
	char hex[2 * MX_LP_HASH_LEN + 1], rel[300];
	mx_hex_encode(hex, h, sizeof h);
	snprintf(rel, sizeof rel, "System/Volumes/iSCPreboot/%s/LocalPolicy/%s.mxlp",
	    s->lp.vuid[0] ? s->lp.vuid : s->dev.udid, hex);
	return put_file(dir, rel, buf, n, 0644, err);
}

/* Removes a partial export (our own directory) after a failure. */
static void
rm_tree(const char *path)
{
	struct stat sb;
	if (lstat(path, &sb) != 0)
		return;
	if (S_ISDIR(sb.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *de;
		while (d && (de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			char p[PATH_MAX];
			snprintf(p, sizeof p, "%s/%s", path, de->d_name);
			rm_tree(p);
		}
		if (d)
			closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static int export_into(mx_store *st, const mx_devstate *s, const char *dir, mx_err *err);

int
mx_devstate_export(mx_store *st, const mx_devstate *s, const char *final, mx_err *err)
{
	struct stat sb;
	const char *dir = final;
	if (lstat(dir, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode))
			return MX_FAIL(err, MX_EEXIST, MX_NO_OFFSET, "%s: exists and is not a directory", dir);
		DIR *d = opendir(dir);
		struct dirent *de;
		bool empty = d != NULL;
		while (d && (de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				empty = false;
		if (d)
			closedir(d);
		if (!empty)
			return MX_FAIL(err, MX_EEXIST, MX_NO_OFFSET, "%s: not empty (export writes into an"
			    " empty or new directory)", dir);
	}
	/* written beside it and renamed into place when complete: a failed
	 * export leaves no half-written directory */
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.partial-%ld", final, (long)getpid()) >= (int)sizeof tmp)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: path too long", final);
	rm_tree(tmp);
	int rc = export_into(st, s, tmp, err);
	if (rc == 0 && rename(tmp, final) != 0)
		rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", final, strerror(errno));
	if (rc)
		rm_tree(tmp);
	return rc;
}

static int
export_into(mx_store *st, const mx_devstate *s, const char *dir, mx_err *err)
{
	struct stat sb;
	int rc = mkdirs(dir, err);
	if (rc == 0)
		rc = system_version(s, dir, err);
	if (rc == 0)
		rc = db_plist(s, dir, err);
	uint8_t *b = NULL;
	size_t n = 0;
	if (rc == 0 && (rc = mx_kpdb_write(&s->kp, &b, &n, err)) == 0)
		rc = put_file(dir, "var/db/SystemPolicyConfiguration/KextPolicy", b, n, 0644, err);
	free(b);
	/* the device's bundles and its AuxKC, at their paths */
	for (size_t i = 0; rc == 0 && i < s->nfiles; i++) {
		if (!mx_devpath_ok(s->files[i].path, sizeof s->files[i].path))
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "device file '%s': not a plain path",
			    s->files[i].path);
		else
			rc = put_tree(st, s->files[i].hash, dir, s->files[i].path + 1, err);
	}
	/* bundles still running from an AuxKC that the files no longer hold */
	for (int i = 0; rc == 0 && i < s->nkexts; i++) {
		const char *h = s->kexts[i].running_hash;
		bool have = h[0] == '\0';
		for (size_t k = 0; !have && k < s->nfiles; k++)
			have = strcmp(s->files[k].hash, h) == 0;
		char rel[128];
		snprintf(rel, sizeof rel, "macext/cas/%s", h);
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s/%s", dir, rel);
		if (!have && lstat(p, &sb) != 0) {
			const char *base = strrchr(s->kexts[i].path, '/');
			char rel2[1200];
			snprintf(rel2, sizeof rel2, "%s%s", rel, base ? base : "/bundle");
			rc = put_tree(st, h, dir, rel2, err);
		}
	}
	if (rc == 0 && s->has_lp)
		rc = localpolicy_out(s, dir, err);
	if (rc == 0)
		rc = profiles_out(s, dir, err);
	b = NULL;
	if (rc == 0 && (rc = mx_devstate_sidecar_write(s, &b, &n, err)) == 0)
		rc = put_file(dir, "macext/device.plist", b, n, 0644, err);
	free(b);
	return rc;
}
