/*
 * serve_upload.c — kexts and apps uploaded as archives (tar, tar.gz, zip:
 * whatever libarchive reads).  The archive is capped (the route's body
 * cap, then SERVE_UNPACK_MAX bytes and SERVE_UNPACK_ENTRIES entries
 * unpacked), unpacked into a fresh directory of the daemon's own under
 * $TMPDIR (no "..", no absolute paths, no writing through symlinks — our
 * checks and libarchive's secure-extraction flags; regular files,
 * directories and symlinks only), and must hold exactly one top-level bundle.  That bundle
 * is imported through the engine's imports (copied into the content store
 * and verified from the stored copy, as `kext install` / `app install`
 * do); the temporary directory is removed whatever happens.  The caller
 * never names a path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/dl_archive.h"

#include "daemon/serve_int.h"

#define SERVE_UNPACK_MAX (256ull << 20)
#define SERVE_UNPACK_ENTRIES 20000

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	remove(p);
	return 0;
}

void
serve_rmtree(const char *dir)
{
	if (dir)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Unpacks every entry of a into dir; fails on anything unsafe. */
static int
unpack(struct archive *a, const char *dir, mx_err *err)
{
	struct archive *w = sym_archive_write_disk_new();
	/* entries are placed under dir by their (checked) relative names: the
	 * written path is absolute, so libarchive's NOABSOLUTEPATHS check is ours */
	sym_archive_write_disk_set_options(w, ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	    ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME);
	struct archive_entry *en;
	uint64_t total = 0;
	long n = 0;
	int rc = 0, r;
	while ((r = sym_archive_read_next_header(a, &en)) == ARCHIVE_OK) {
		const char *name = sym_archive_entry_pathname(en);
		mode_t type = sym_archive_entry_filetype(en);
		if (name == NULL || name[0] == '/' || strstr(name, "..") != NULL) {
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "archive entry %ld: a path that leaves"
			    " the archive", n);
			break;
		}
		if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "archive entry %ld: only files,"
			    " directories and symbolic links", n);
			break;
		}
		if (sym_archive_entry_hardlink(en)) {
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "archive entry %ld: hard links are"
			    " refused", n);
			break;
		}
		if (type == AE_IFLNK) {
			const char *t = sym_archive_entry_symlink(en);
			if (t == NULL || t[0] == '/' || strstr(t, "..") != NULL) {
				rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "archive entry %ld: a symbolic link"
				    " out of the bundle", n);
				break;
			}
		}
		if (++n > SERVE_UNPACK_ENTRIES) {
			rc = MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "the archive has more than %d entries",
			    SERVE_UNPACK_ENTRIES);
			break;
		}
		int64_t sz = sym_archive_entry_size_is_set(en) ? sym_archive_entry_size(en) : 0;
		if (sz < 0 || (total += (uint64_t)sz) > SERVE_UNPACK_MAX) {
			rc = MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "the archive unpacks to more than %llu"
			    " bytes", (unsigned long long)SERVE_UNPACK_MAX);
			break;
		}
		char path[PATH_MAX];
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "archive entry %ld: path too long", n);
			break;
		}
		sym_archive_entry_set_pathname(en, path);
		sym_archive_entry_set_perm(en, sym_archive_entry_perm(en) & 0755);
		if (sym_archive_write_header(w, en) != ARCHIVE_OK) {
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "archive entry %ld: %s", n,
			    sym_archive_error_string(w));
			break;
		}
		const void *buf;
		size_t len;
		int64_t off;
		uint64_t got = 0;
		while ((r = sym_archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
			if ((got += len) > SERVE_UNPACK_MAX) {
				r = ARCHIVE_FATAL;
				break;
			}
			if (sym_archive_write_data_block(w, buf, len, off) != ARCHIVE_OK) {
				r = ARCHIVE_FATAL;
				break;
			}
		}
		if (r != ARCHIVE_EOF) {
			rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "archive entry %ld: %s", n,
			    sym_archive_error_string(a) ? sym_archive_error_string(a) : "cannot be unpacked");
			break;
		}
		sym_archive_write_finish_entry(w);
	}
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "the body is not an archive libarchive"
		    " reads: %s", sym_archive_error_string(a) ? sym_archive_error_string(a) : "unknown format");
	if (rc == 0 && n == 0)
		rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "the archive is empty");
	sym_archive_write_close(w);
	sym_archive_write_free(w);
	return rc;
}

int
serve_unpack(serve_srv *s, const uint8_t *buf, size_t len, const char *suffix, char **dir,
    char **bundle, mx_err *err)
{
	*dir = *bundle = NULL;
	if (len == 0)
		return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "the body must be an archive (tar, tar.gz,"
		    " zip) holding one %s", suffix);
	int rc = mx_dl_archive(err);
	if (rc)
		return rc;
	const char *tmp = getenv("TMPDIR");
	char tmpl[PATH_MAX];
	snprintf(tmpl, sizeof tmpl, "%s/macext-upload-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(tmpl) == NULL)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "cannot make a temporary directory: %s",
		    strerror(errno));
	struct archive *a = sym_archive_read_new();
	sym_archive_read_support_filter_all(a);
	sym_archive_read_support_format_tar(a);
	sym_archive_read_support_format_zip(a);
	sym_archive_read_support_format_cpio(a);
	if (sym_archive_read_open_memory(a, buf, len) != ARCHIVE_OK)
		rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "the body is not an archive: %s",
		    sym_archive_error_string(a) ? sym_archive_error_string(a) : "unknown format");
	else
		rc = unpack(a, tmpl, err);
	sym_archive_read_free(a);
	char found[PATH_MAX] = "";
	int nfound = 0, nother = 0;
	if (rc == 0) {
		DIR *d = opendir(tmpl);
		struct dirent *de;
		size_t sl = strlen(suffix);
		while (d && (de = readdir(d))) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			size_t nl = strlen(de->d_name);
			char p[PATH_MAX];
			struct stat sb;
			snprintf(p, sizeof p, "%s/%s", tmpl, de->d_name);
			if (nl > sl && strcmp(de->d_name + nl - sl, suffix) == 0 && lstat(p, &sb) == 0 &&
			    S_ISDIR(sb.st_mode)) {
				snprintf(found, sizeof found, "%s", p);
				nfound++;
			} else {
				nother++;
			}
		}
		if (d)
			closedir(d);
		if (nfound != 1 || nother)
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "the archive must hold exactly one %s"
			    " at its top level (found %d, and %d other entries)", suffix, nfound, nother);
	}
	if (rc) {
		serve_rmtree(tmpl);
		return rc;
	}
	*dir = mx_xstrdup(tmpl);
	*bundle = mx_xstrdup(found);
	return 0;
}

static int
expiry(json_t *j, const mx_expiry *x, mx_err *err)
{
	json_t *a;
	int rc = mx_json_expiry(&a, x, err);
	if (rc == 0)
		json_object_set_new(j, "expired_certificates", a);
	return rc;
}

int serve_upload_kext(sreq *q, sresp *r, mx_err *err);
int
serve_upload_kext(sreq *q, sresp *r, mx_err *err)
{
	char *dir, *bundle;
	mx_device d;
	/* an unknown device is refused before anything is unpacked */
	int rc = mx_engine_device_get(q->e, q->dev, &d, err);
	if (rc || (rc = serve_unpack(q->srv, q->body, q->len, ".kext", &dir, &bundle, err)))
		return rc;
	mx_kext_import imp;
	mx_engine_import_kext_opts(q->e, bundle, q->dev, NULL, &imp);
	serve_rmtree(dir);
	free(dir);
	free(bundle);
	mx_op *op;
	mx_kext k;
	if ((rc = mx_op_begin(&op, q->e, q->dev, MX_OP_WRITE, err)))
		return rc;
	rc = mx_op_kext_install(op, &imp, &k, err);
	if (rc) {
		mx_op_abort(op);
		return rc;
	}
	if ((rc = mx_op_commit(op, err)))
		return rc;
	r->status = 201;
	if ((rc = mx_json_kext_installed(&r->json, &k, err)) == 0 &&
	    (rc = expiry(r->json, &imp.expired, err))) {
		json_decref(r->json);
		r->json = NULL;
	}
	return rc;
}

int serve_upload_app(sreq *q, sresp *r, mx_err *err);
int
serve_upload_app(sreq *q, sresp *r, mx_err *err)
{
	char *dir, *bundle;
	mx_device d;
	int rc = mx_engine_device_get(q->e, q->dev, &d, err);
	if (rc || (rc = serve_unpack(q->srv, q->body, q->len, ".app", &dir, &bundle, err)))
		return rc;
	mx_app_import app;
	rc = mx_engine_import_app_opts(q->e, bundle, q->dev, NULL, &app);
	serve_rmtree(dir);
	free(dir);
	free(bundle);
	if (rc) {
		*err = app.err;
		return rc;
	}
	mx_op *op;
	mx_app_info info;
	if ((rc = mx_op_begin(&op, q->e, q->dev, MX_OP_WRITE, err)))
		return rc;
	if ((rc = mx_op_app_install(op, &app, &info, err))) {
		mx_op_abort(op);
		return rc;
	}
	if ((rc = mx_op_commit(op, err)))
		return rc;
	r->status = 201;
	if ((rc = mx_json_app(&r->json, &info, err)) == 0 &&
	    (rc = expiry(r->json, &app.expired, err))) {
		json_decref(r->json);
		r->json = NULL;
	}
	return rc;
}
