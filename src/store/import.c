/*
 * import.c — a device from the files a Mac holds (mx_devstate_read), then
 * written as a new device in one transaction (mx_devstate_import).  The
 * directory is hostile input: every file is opened relative to it, one
 * component at a time, with O_NOFOLLOW (a symbolic link anywhere is
 * refused, so no path leaves it), must be a regular file under its cap, and
 * is parsed by the checking readers (sysextdb.c, kextpolicy.c, profile.c,
 * lpolicy.c, sidecar.c) before anything is stored.  Bundle trees are copied
 * into the content store (content-addressed, refusing links inside them);
 * a failure after that leaves only unreferenced entries.  Without
 * macext/device.plist (files copied off a real Mac) the device takes
 * defaults: docs/export.md says which.
 */
#include <ctype.h>
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

#include "store_int.h"
#include "macext/devstate.h"
#include "macext/plist_util.h"
#include "macext/profile.h"
#include "macext/rd.h"
#include "macext/sysextdb.h"

#define MAX_SMALL (16u << 20)      /* plists, profiles */
#define MAX_AUXKC (512u << 20)     /* the store's tree cap */
#define MAX_PROFILES 512

/* ---- reading under dir without following links ---- */

/* Opens dir/rel (rel relative, '/'-separated) one component at a time;
 * flags for the last.  -1 with err set (ENOENT: MX_ENOTFOUND). */
static int
open_under(int root, const char *dir, const char *rel, int flags, mx_err *err)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof buf, "%s", rel) >= (int)sizeof buf) {
		MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s/%s: path too long", dir, rel);
		return -1;
	}
	int fd = dup(root);
	char *save = NULL;
	for (char *c = strtok_r(buf, "/", &save); c && fd >= 0; ) {
		char *next = strtok_r(NULL, "/", &save);
		if (strcmp(c, "..") == 0 || strcmp(c, ".") == 0) {
			close(fd);
			MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s/%s: '..' in a path", dir, rel);
			return -1;
		}
		int nfd = openat(fd, c, (next ? O_DIRECTORY | O_RDONLY : flags) | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(fd);
		if (nfd < 0) {
			if (e == ELOOP || e == ENOTDIR)
				MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s/%s: '%s' is a symbolic link or not"
				    " a directory (import never follows links)", dir, rel, c);
			else if (e == ENOENT)
				MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s/%s: not found", dir, rel);
			else
				MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s/%s: %s", dir, rel, strerror(e));
			return -1;
		}
		fd = nfd;
		c = next;
	}
	return fd;
}

/* Reads dir/rel, a regular file of at most cap bytes.  MX_ENOTFOUND when absent. */
static int
read_under(int root, const char *dir, const char *rel, size_t cap, uint8_t **out, size_t *len,
    mx_err *err)
{
	*out = NULL;
	*len = 0;
	int fd = open_under(root, dir, rel, O_RDONLY, err);
	if (fd < 0)
		return err->code;
	struct stat sb;
	int rc = 0;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
		rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s/%s: not a regular file", dir, rel);
	else if ((uint64_t)sb.st_size > cap)
		rc = MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s/%s: %lld bytes, over the %zu MiB cap",
		    dir, rel, (long long)sb.st_size, cap >> 20);
	if (rc == 0) {
		uint8_t *b = mx_xmalloc((size_t)sb.st_size + 1);
		size_t got = 0;
		ssize_t n;
		while (got <= (size_t)sb.st_size && (n = read(fd, b + got, (size_t)sb.st_size + 1 - got)) > 0)
			got += (size_t)n;
		if (got != (size_t)sb.st_size) {
			free(b);
			rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s/%s: changed while read", dir, rel);
		} else {
			*out = b;
			*len = got;
		}
	}
	close(fd);
	return rc;
}

/* Whether dir/rel exists as a file or directory (not a link: that is an error). */
static int
kind_under(int root, const char *dir, const char *rel, mode_t *mode, mx_err *err)
{
	char parent[PATH_MAX];
	snprintf(parent, sizeof parent, "%s", rel);
	char *slash = strrchr(parent, '/');
	const char *base = slash ? slash + 1 : parent;
	int pfd = root;
	if (slash) {
		*slash = '\0';
		if ((pfd = open_under(root, dir, parent, O_DIRECTORY | O_RDONLY, err)) < 0)
			return err->code;
	}
	struct stat sb;
	int rc = fstatat(pfd, base, &sb, AT_SYMLINK_NOFOLLOW);
	int e = errno;
	if (slash)
		close(pfd);
	if (rc != 0)
		return e == ENOENT ? MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s/%s: not found", dir,
		    rel) : MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s/%s: %s", dir, rel, strerror(e));
	if (S_ISLNK(sb.st_mode))
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s/%s: a symbolic link (import never"
		    " follows links)", dir, rel);
	*mode = sb.st_mode;
	return 0;
}

/* The names in dir/rel (sorted), NULL-terminated; empty when absent. */
static int
list_under(int root, const char *dir, const char *rel, char ***out, size_t *n, mx_err *err)
{
	*out = NULL;
	*n = 0;
	int fd = open_under(root, dir, rel, O_DIRECTORY | O_RDONLY, err);
	if (fd < 0)
		return err->code == MX_ENOTFOUND ? (mx_err_clear(err), 0) : err->code;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s/%s: %s", dir, rel, strerror(errno));
	}
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (*n == 10000) {
			rc = MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s/%s: more than 10000 entries", dir, rel);
			break;
		}
		*out = mx_xrealloc(*out, (*n + 2) * sizeof **out);
		(*out)[(*n)++] = mx_xstrdup(de->d_name);
		(*out)[*n] = NULL;
	}
	closedir(d);
	for (size_t i = 1; i < *n; i++)       /* insertion sort: small lists */
		for (size_t k = i; k > 0 && strcmp((*out)[k - 1], (*out)[k]) > 0; k--) {
			char *t = (*out)[k];
			(*out)[k] = (*out)[k - 1];
			(*out)[k - 1] = t;
		}
	return rc;
}

static void
names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool
has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a > b && strcmp(s + a - b, suf) == 0;
}

/* ---- the parts ---- */

static int
read_version(int root, const char *dir, mx_devstate *s, mx_err *err)
{
	uint8_t *b;
	size_t n;
	const char *rel = "System/Library/CoreServices/SystemVersion.plist";
	int rc = read_under(root, dir, rel, 1 << 20, &b, &n, err);
	if (rc == MX_ENOTFOUND) {
		mx_err_clear(err);
		return 0;
	}
	plist_t p = NULL;
	const char *v = NULL;
	if (rc == 0 && (rc = mx_plist_parse(&p, b, n, "SystemVersion.plist", err)) == 0 &&
	    (rc = mx_plist_expect(p, PLIST_DICT, "SystemVersion.plist", "", err)) == 0 &&
	    (rc = mx_plist_get_string(&v, p, "ProductVersion", true, "SystemVersion.plist", "", err))
	    == 0)
		rc = mx_version_parse(&s->dev.os, v, err);
	plist_free(p);
	free(b);
	return rc;
}

/* A db.plist record as the store keeps it; macext's extras default here
 * and come from the sidecar when there is one. */
static int
db_to_sx(const mx_sxdb_ext *e, size_t i, mx_sx_rec *r, mx_err *err)
{
	memset(r, 0, sizeof *r);
	if (mx_sx_state_parse(&r->state, e->state, err)) {
		char msg[sizeof err->msg];
		snprintf(msg, sizeof msg, "%s", err->msg);
		MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s", msg);
		snprintf(err->where, sizeof err->where, "Library/SystemExtensions/db.plist:"
		    " extensions[%zu].state", i);
		return MX_EINVALID;
	}
	r->seq = (int64_t)i + 1;
	snprintf(r->unique_id, sizeof r->unique_id, "%s", e->unique_id);
	for (char *c = r->unique_id; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	snprintf(r->identifier, sizeof r->identifier, "%s", e->identifier);
	snprintf(r->team_id, sizeof r->team_id, "%s", e->team_id);
	snprintf(r->version, sizeof r->version, "%s", e->version);
	snprintf(r->short_version, sizeof r->short_version, "%s", e->short_version);
	const char *dot = strrchr(e->identifier, '.');
	snprintf(r->name, sizeof r->name, "%s", dot && dot[1] ? dot + 1 : e->identifier);
	snprintf(r->category, sizeof r->category, "%s", e->category);
	/* approval is not in db.plist: an enabled record was approved by someone */
	snprintf(r->approval, sizeof r->approval, "%s", mx_sx_state_enabled(r->state) ? "user" : "");
	snprintf(r->origin_path, sizeof r->origin_path, "%s", e->origin_path);
	snprintf(r->container, sizeof r->container, "%s", e->container);
	snprintf(r->app_id, sizeof r->app_id, "%s", e->app_id);
	snprintf(r->staged_path, sizeof r->staged_path, "%s", e->staged_path);
	json_t *cd = json_object();
	for (int k = 0; k < e->ncdhash; k++)
		json_object_set_new(cd, e->cdhash[k].cdhash, json_pack("{s:I, s:I}", "cpusubtype",
		    (json_int_t)e->cdhash[k].cpusubtype, "cputype", (json_int_t)e->cdhash[k].cputype));
	char *js = json_dumps(cd, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(cd);
	snprintf(r->cdhashes, sizeof r->cdhashes, "%s", js ? js : "{}");
	free(js);
	snprintf(r->entitlements, sizeof r->entitlements, "[]");
	return 0;
}

static int
read_db(int root, const char *dir, mx_devstate *s, mx_err *err)
{
	uint8_t *b;
	size_t n;
	int rc = read_under(root, dir, "Library/SystemExtensions/db.plist", MX_SXDB_MAX_BYTES, &b,
	    &n, err);
	if (rc == MX_ENOTFOUND) {
		mx_err_clear(err);
		return 0;
	}
	if (rc)
		return rc;
	mx_sxdb db;
	rc = mx_sxdb_parse(&db, b, n, "Library/SystemExtensions/db.plist", err);
	free(b);
	if (rc)
		return rc;
	s->developer_mode = db.developer_mode;
	snprintf(s->boot_uuid, sizeof s->boot_uuid, "%s", db.boot_uuid);
	s->sx = db.nexts ? mx_xcalloc(db.nexts, sizeof *s->sx) : NULL;
	for (size_t i = 0; rc == 0 && i < db.nexts; i++)
		if ((rc = db_to_sx(&db.exts[i], i, &s->sx[i], err)) == 0)
			s->nsx++;
	mx_sxdb_free(&db);
	return rc;
}

static int
read_kextpolicy(int root, const char *dir, mx_devstate *s, mx_err *err)
{
	const char *rel = "var/db/SystemPolicyConfiguration/KextPolicy";
	uint8_t *b;
	size_t n;
	int rc = read_under(root, dir, rel, MX_KPDB_MAX_BYTES, &b, &n, err);
	if (rc == MX_ENOTFOUND) {
		mx_err_clear(err);
		return 0;
	}
	if (rc)
		return rc;
	/* a write-ahead log beside it holds rows the main file lacks */
	uint8_t *w;
	size_t wn;
	int wrc = read_under(root, dir, "var/db/SystemPolicyConfiguration/KextPolicy-wal", 1,
	    &w, &wn, err);
	free(w);
	if (wrc != MX_ENOTFOUND && !(wrc == 0 && wn == 0)) {
		free(b);
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s/%s-wal: the database's write-ahead"
		    " log is not empty; on the Mac, copy it with `sqlite3 KextPolicy \".backup"
		    " KextPolicy.copy\"` and import that", dir, rel);
	}
	mx_err_clear(err);
	rc = mx_kpdb_read(&s->kp, b, n, rel, err);
	free(b);
	return rc;
}

static int
read_profiles(int root, const char *dir, mx_devstate *s, mx_err *err)
{
	char **names;
	size_t nn;
	int rc = list_under(root, dir, "macext/profiles", &names, &nn, err);
	for (size_t i = 0; rc == 0 && i < nn; i++) {
		if (!has_suffix(names[i], ".mobileconfig"))
			continue;
		if (s->nprofiles == MAX_PROFILES) {
			rc = MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s/macext/profiles: more than %d",
			    dir, MAX_PROFILES);
			break;
		}
		char rel[PATH_MAX];
		snprintf(rel, sizeof rel, "macext/profiles/%s", names[i]);
		uint8_t *b;
		size_t n;
		if ((rc = read_under(root, dir, rel, MX_PROFILE_MAX_BYTES, &b, &n, err)))
			break;
		mx_profile *p = NULL;
		rc = mx_profile_read(&p, b, n, rel, err);
		free(b);
		if (rc)
			break;
		mx_devstate_profile dp;
		memset(&dp, 0, sizeof dp);
		mx_profile_row *r = &dp.row;
		snprintf(r->identifier, sizeof r->identifier, "%s", mx_profile_identifier(p));
		snprintf(r->uuid, sizeof r->uuid, "%s", mx_profile_uuid(p));
		snprintf(r->display_name, sizeof r->display_name, "%s", mx_profile_display_name(p));
		snprintf(r->organization, sizeof r->organization, "%s", mx_profile_organization(p));
		snprintf(r->source, sizeof r->source, "manual");
		snprintf(r->signer, sizeof r->signer, "%s", mx_profile_signer(p));
		for (size_t k = 0; k < mx_profile_payload_count(p); k++) {
			size_t l = strlen(r->payload_types);
			snprintf(r->payload_types + l, sizeof r->payload_types - l, "%s%s", l ? " " : "",
			    mx_profile_payload_type(p, k));
		}
		for (size_t k = 0; rc == 0 && k < s->nprofiles; k++)
			if (strcmp(s->profiles[k].row.identifier, r->identifier) == 0)
				rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: profile %s is installed"
				    " twice", rel, r->identifier);
		if (rc == 0)
			rc = mx_profile_to_bin(p, &dp.body, &dp.body_len, err);
		mx_profile_free(p);
		if (rc)
			break;
		s->profiles = mx_xrealloc(s->profiles, (s->nprofiles + 1) * sizeof *s->profiles);
		s->profiles[s->nprofiles++] = dp;
	}
	names_free(names, nn);
	return rc;
}

/* Apple silicon: one macext LocalPolicy record under iSCPreboot. */
static int
read_localpolicy(int root, const char *dir, mx_devstate *s, mx_err *err)
{
	char **vgs;
	size_t nv;
	int rc = list_under(root, dir, "System/Volumes/iSCPreboot", &vgs, &nv, err);
	for (size_t i = 0; rc == 0 && i < nv; i++) {
		char rel[PATH_MAX];
		snprintf(rel, sizeof rel, "System/Volumes/iSCPreboot/%s/LocalPolicy", vgs[i]);
		char **lps;
		size_t nl;
		if ((rc = list_under(root, dir, rel, &lps, &nl, err)))
			break;
		for (size_t k = 0; rc == 0 && k < nl; k++) {
			if (!has_suffix(lps[k], ".mxlp"))
				continue;
			if (s->has_lp) {
				rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s/%s: a second LocalPolicy record"
				    " (macext models one installed macOS)", dir, rel);
				break;
			}
			char f[PATH_MAX];
			snprintf(f, sizeof f, "%s/%s", rel, lps[k]);
			uint8_t *b;
			size_t n;
			if ((rc = read_under(root, dir, f, MX_LP_MAX_LEN, &b, &n, err)))
				break;
			rc = mx_lp_decode(&s->lp, b, n, err);
			free(b);
			if (rc)
				mx_err_where(err, "%s: ", f);
			s->has_lp = rc == 0;
		}
		names_free(lps, nl);
	}
	names_free(vgs, nv);
	return rc;
}

/* dir/rel (a bundle tree or one file, never a link) into the store. */
static int
put_tree(mx_store *st, int root, const char *dir, const char *rel, char hash[65], mx_err *err)
{
	mode_t m;
	int rc = kind_under(root, dir, rel, &m, err);
	if (rc)
		return rc;
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	if ((rc = mx_cas_put_tree(st, p, hash, err)))
		mx_err_where(err, "%s/%s: ", dir, rel);
	return rc;
}

/* The trees: the sidecar's list, else what a Mac's standard places hold. */
static int
read_files(mx_store *st, int root, const char *dir, mx_devstate *s, mx_err *err)
{
	int rc = 0;
	if (!s->sidecar) {
		static const struct { const char *dir, *suffix; } places[] = {
			{ "Applications", ".app" }, { "Library/Extensions", ".kext" } };
		for (size_t p = 0; rc == 0 && p < sizeof places / sizeof places[0]; p++) {
			char **names;
			size_t n;
			if ((rc = list_under(root, dir, places[p].dir, &names, &n, err)))
				break;
			for (size_t i = 0; i < n; i++)
				if (has_suffix(names[i], places[p].suffix)) {
					s->files = mx_xrealloc(s->files, (s->nfiles + 1) * sizeof *s->files);
					memset(&s->files[s->nfiles], 0, sizeof s->files[0]);
					snprintf(s->files[s->nfiles++].path, sizeof s->files[0].path, "/%s/%s",
					    places[p].dir, names[i]);
				}
			names_free(names, n);
		}
		for (size_t i = 0; rc == 0 && i < s->nsx; i++) {
			mode_t m;
			if (s->sx[i].staged_path[0] == '\0')
				continue;
			if (kind_under(root, dir, s->sx[i].staged_path + 1, &m, err) != 0) {
				if (err->code != MX_ENOTFOUND)
					rc = err->code;
				mx_err_clear(err);
				continue;
			}
			s->files = mx_xrealloc(s->files, (s->nfiles + 1) * sizeof *s->files);
			memset(&s->files[s->nfiles], 0, sizeof s->files[0]);
			snprintf(s->files[s->nfiles++].path, sizeof s->files[0].path, "%s",
			    s->sx[i].staged_path);
		}
		mode_t m;
		const char *kc = "Library/KernelCollections/AuxiliaryKernelExtensions.kc";
		if (rc == 0 && kind_under(root, dir, kc, &m, err) == 0) {
			s->files = mx_xrealloc(s->files, (s->nfiles + 1) * sizeof *s->files);
			memset(&s->files[s->nfiles], 0, sizeof s->files[0]);
			snprintf(s->files[s->nfiles++].path, sizeof s->files[0].path, "/%s", kc);
		} else if (rc == 0 && err->code != MX_ENOTFOUND) {
			rc = err->code;
		}
		if (rc == 0)
			mx_err_clear(err);
	}
	for (size_t i = 0; rc == 0 && i < s->nfiles; i++)
		rc = put_tree(st, root, dir, s->files[i].path + 1, s->files[i].hash, err);
	/* kexts: their bundle is the tree at their path; an old version still in
	 * the AuxKC comes from macext/cas/HASH/NAME and must hash to HASH */
	for (int i = 0; rc == 0 && i < s->nkexts; i++) {
		mx_kext *k = &s->kexts[i];
		k->hash[0] = '\0';
		for (size_t f = 0; f < s->nfiles; f++)
			if (strcmp(s->files[f].path, k->path) == 0)
				snprintf(k->hash, sizeof k->hash, "%s", s->files[f].hash);
		if (k->hash[0] == '\0') {
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "macext/device.plist:"
			    " kernel_extensions: %s: no bundle at %s", k->bundle_id, k->path);
			break;
		}
		if (k->running_hash[0] == '\0')
			continue;
		bool have = false;
		for (size_t f = 0; f < s->nfiles && !have; f++)
			have = strcmp(s->files[f].hash, k->running_hash) == 0;
		if (have)
			continue;
		char rel[200], **names;
		size_t n;
		snprintf(rel, sizeof rel, "macext/cas/%s", k->running_hash);
		if ((rc = list_under(root, dir, rel, &names, &n, err)))
			break;
		if (n != 1) {
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s/%s: expected the one bundle of %s's"
			    " running version", dir, rel, k->bundle_id);
		} else {
			char sub[PATH_MAX], h[65];
			snprintf(sub, sizeof sub, "%s/%s", rel, names[0]);
			if ((rc = put_tree(st, root, dir, sub, h, err)) == 0 &&
			    strcmp(h, k->running_hash) != 0)
				rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s/%s: its content hashes to %s,"
				    " not the name it is kept under", dir, sub, h);
		}
		names_free(names, n);
	}
	return rc;
}

int
mx_devstate_read(mx_store *st, const char *dir, const char *name, mx_devstate *out, mx_err *err)
{
	memset(out, 0, sizeof *out);
	struct stat sb;
	if (lstat(dir, &sb) == 0 && S_ISLNK(sb.st_mode))
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: a symbolic link (import never"
		    " follows links; name the directory itself)", dir);
	int root = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (root < 0)
		return MX_FAIL(err, errno == ENOENT ? MX_ENOTFOUND : MX_EINVALID, MX_NO_OFFSET,
		    "%s: %s", dir, strerror(errno));
	/* macOS defaults; the files and the sidecar override them */
	mx_version_parse(&out->dev.os, "15.1", NULL);
	int rc = read_version(root, dir, out, err);
	if (rc == 0)
		rc = read_db(root, dir, out, err);
	if (rc == 0)
		rc = read_kextpolicy(root, dir, out, err);
	if (rc == 0)
		rc = read_profiles(root, dir, out, err);
	if (rc == 0)
		rc = read_localpolicy(root, dir, out, err);
	uint8_t *b = NULL;
	size_t n = 0;
	if (rc == 0) {
		int src = read_under(root, dir, "macext/device.plist", MAX_SMALL, &b, &n, err);
		if (src == 0) {
			mx_version os = out->dev.os;
			rc = mx_devstate_sidecar_read(out, b, n, "macext/device.plist", err);
			if (rc == 0 && mx_version_cmp(os, out->dev.os) != 0)
				rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "macext/device.plist: device.os"
				    " does not match SystemVersion.plist");
		} else if (src == MX_ENOTFOUND) {
			mx_err_clear(err);
			out->dev.arch = out->has_lp ? MX_ARCH_ARM64 : MX_ARCH_X86_64;
		} else {
			rc = src;
		}
		free(b);
	}
	if (rc == 0 && name) {
		size_t l = strlen(name);
		bool ok = l > 0 && l < 64;
		for (size_t i = 0; ok && i < l; i++)
			ok = isalnum((unsigned char)name[i]) || strchr("-_.", name[i]);
		if (!ok)
			rc = MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "bad device name '%s': use letters,"
			    " digits, '-', '_' and '.' (at most 63)", name);
		else
			snprintf(out->dev.name, sizeof out->dev.name, "%s", name);
	}
	if (rc == 0 && out->dev.name[0] == '\0')
		rc = MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s has no macext/device.plist (files copied"
		    " off a real Mac?): name the new device with --name NAME", dir);
	if (rc == 0 && out->has_lp && out->dev.arch != MX_ARCH_ARM64)
		rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: a LocalPolicy on an Intel Mac", dir);
	if (rc == 0)
		rc = read_files(st, root, dir, out, err);
	close(root);
	if (rc)
		mx_devstate_free(out);
	return rc;
}

/* ---- writing the new device ---- */

static int
kv(mx_store *st, int64_t id, const char *k, const char *v, mx_err *err)
{
	return mx_store_kv_set(st, id, k, v, err);
}

/* The LocalPolicy signed by the new device's SEP (kv keys of tools/boot_store.c:
 * boot.sep.seed hex, boot.lp hex of the signed record, boot.sep.nonce). */
static int
store_lp(mx_store *st, int64_t id, const mx_localpolicy *lp0, const mx_device *d,
    const uint8_t seed[32], bool nonce_given, mx_err *err)
{
	mx_localpolicy lp = *lp0;
	snprintf(lp.vuid, sizeof lp.vuid, "%s", d->udid);
	int rc = mx_sep_sign_lp(seed, &lp, err);
	if (rc)
		return rc;
	uint8_t buf[MX_LP_MAX_LEN];
	size_t n = mx_lp_encode(&lp, true, buf, sizeof buf);
	if (n == 0)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "LocalPolicy: could not encode");
	char *hex = mx_xmalloc(2 * n + 1), sh[65], ns[32];
	mx_hex_encode(hex, buf, n);
	mx_hex_encode(sh, seed, 32);
	snprintf(ns, sizeof ns, "%llu", (unsigned long long)lp.nonce);
	if ((rc = kv(st, id, "boot.sep.seed", sh, err)) == 0 &&
	    (rc = kv(st, id, "boot.lp", hex, err)) == 0 && !nonce_given)
		rc = kv(st, id, "boot.sep.nonce", ns, err);
	free(hex);
	return rc;
}

int
mx_devstate_import(mx_store *st, const mx_devstate *s, int64_t now, const uint8_t random[96],
    int64_t *device_id, mx_err *err)
{
	mx_device d = s->dev;
	if (!s->sidecar) {
		/* a real Mac's files: a new Mac of that version, its administrator admin:admin */
		mx_env_in in = { .now = now };
		memcpy(in.random, random, 32);
		mx_device_init(&d, s->dev.name, s->dev.arch, s->dev.os, &in);
		if (s->dev.serial[0])
			snprintf(d.serial, sizeof d.serial, "%s", s->dev.serial);
		int rc = mx_device_add_user(&d, "admin", "admin", true, random + 32, err);
		if (rc)
			return rc;
		if (s->has_lp)
			mx_lp_to_device(&s->lp, &d);
	}
	d.id = 0;
	int rc = mx_store_begin(st, err);
	if (rc)
		return rc;
	if (s->trust_anchor_pem)
		rc = mx_cas_put_bytes(st, "trust-anchor.pem", (const uint8_t *)s->trust_anchor_pem,
		    strlen(s->trust_anchor_pem), d.trust_anchor, err);
	else
		d.trust_anchor[0] = '\0';
	if (rc == 0)
		rc = mx_store_device_insert(st, &d, err);
	if (rc == 0)
		rc = mx_store_sysext_settings_set(st, d.id, s->developer_mode, s->boot_uuid, err);
	for (size_t i = 0; rc == 0 && i < s->nsx; i++) {
		mx_sx_rec r = s->sx[i];
		rc = mx_store_sysext_put(st, d.id, &r, err);
	}
	if (rc == 0)
		rc = mx_store_kpdb_insert(st, d.id, &s->kp, err);
	for (int i = 0; rc == 0 && i < s->nkexts; i++)
		rc = mx_store_kext_put(st, d.id, &s->kexts[i], err);
	for (size_t i = 0; rc == 0 && i < s->nprofiles; i++) {
		mx_profile_row r = s->profiles[i].row;
		if ((rc = mx_store_blob_put(st, s->profiles[i].body, s->profiles[i].body_len, r.body,
		    err)) == 0)
			rc = mx_store_profile_put(st, d.id, &r, NULL, err);
	}
	for (size_t i = 0; rc == 0 && i < s->nfiles; i++)
		rc = mx_store_file_set(st, d.id, s->files[i].path, s->files[i].hash, err);
	bool nonce_given = false;
	for (size_t i = 0; rc == 0 && i < s->nkv; i++) {
		nonce_given |= strcmp(s->kv[i].key, "boot.sep.nonce") == 0;
		rc = kv(st, d.id, s->kv[i].key, s->kv[i].value, err);
	}
	if (rc == 0 && s->has_lp)
		rc = store_lp(st, d.id, &s->lp, &d, random + 64, nonce_given, err);
	if (rc == 0)
		rc = mx_store_event(st, d.id, now, "admin", "device imported from a Mac's files",
		    s->sidecar ? "macext export" : "files copied off a Mac", err);
	if (rc == 0)
		rc = mx_store_commit(st, err);
	if (rc) {
		mx_store_rollback(st);
		return rc;
	}
	*device_id = d.id;
	return 0;
}
