/*
 * cmd_pkg.c — `macext pkg expand FILE.pkg DIR` and `macext pkg install
 * FILE.pkg [--dry-run]`: a vendor's flat installer package read as
 * Installer reads it (src/formats/pkg*.c; docs/pkg.md).  The whole package
 * — xar TOC and checksums, every component's PackageInfo, Payload and
 * Scripts, every cpio entry — is checked before anything is written, so a
 * malformed package changes nothing.  expand writes what `pkgutil
 * --expand-full` writes (Distribution; NAME.pkg/{PackageInfo, Bom,
 * Payload/, Scripts/}), AppleDouble entries applied as the files'
 * extended attributes (user.NAME here), never as files.  install places
 * every payload root where Installer would, as one engine operation
 * (src/engine/pkg.c: each root imported and verified first, then all placed
 * in one transaction): apps in /Applications and kexts in
 * /Library/Extensions as `app install` and `kext install` place them (their
 * usual flows follow), every other root as a device file; the scripts are
 * listed with the systemextensionsctl, kmutil and launchctl lines they
 * hold, never run.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "macext/pkg.h"
#include "tools.h"


/* The package and every component's payload and scripts, read and checked. */
struct loaded {
	uint8_t *file;
	size_t len;
	mx_pkg *pkg;
	int n;
	mx_pkg_tree payload[MX_PKG_MAX_COMPONENTS], scripts[MX_PKG_MAX_COMPONENTS];
	mx_pkg_root *roots;
	size_t nroots;
};

static void
unload(struct loaded *l)
{
	for (int i = 0; i < l->n; i++) {
		mx_pkg_tree_free(&l->payload[i]);
		mx_pkg_tree_free(&l->scripts[i]);
	}
	mx_pkg_free(l->pkg);
	free(l->file);
	free(l->roots);
	memset(l, 0, sizeof *l);
}

static int
load(struct loaded *l, const char *path, mx_err *err)
{
	memset(l, 0, sizeof *l);
	int rc = cli_read_file(path, MX_PKG_MAX_BYTES, &l->file, &l->len, err);
	if (rc == 0)
		rc = mx_pkg_read(&l->pkg, l->file, l->len, path, err);
	for (int i = 0; rc == 0 && i < mx_pkg_ncomponents(l->pkg); i++) {
		const mx_pkg_component *c = mx_pkg_component_at(l->pkg, i);
		char name[700];
		snprintf(name, sizeof name, "%s: %s%sPayload", path, c->name, c->name[0] ? "/" : "");
		if (c->payload && (rc = mx_pkg_tree_read(&l->payload[i], c->payload, c->payload_len,
		    name, err)))
			break;
		snprintf(name, sizeof name, "%s: %s%sScripts", path, c->name, c->name[0] ? "/" : "");
		if (c->scripts && (rc = mx_pkg_tree_read(&l->scripts[i], c->scripts, c->scripts_len,
		    name, err))) {
			mx_pkg_tree_free(&l->payload[i]);
			break;
		}
		l->n = i + 1;
		rc = mx_pkg_plan(&l->roots, &l->nroots, &l->payload[i], c->info.install_location, i, err);
	}
	if (rc)
		unload(l);
	return rc;
}

/* ---- writing a tree under a directory ---- */

static int
mkdirs(const char *path, mx_err *err)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s", path);
	for (char *c = p + 1; ; c++)
		if (*c == '/' || *c == '\0') {
			char k = *c;
			*c = '\0';
			if (mkdir(p, 0755) != 0 && errno != EEXIST)
				return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", p, strerror(errno));
			*c = k;
			if (k == '\0')
				return 0;
		}
}

static int
put(const char *path, const uint8_t *data, size_t len, mode_t mode, mx_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path, strerror(errno));
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, data + done, len - done);
		if (w <= 0) {
			int e = errno;
			close(fd);
			return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path, strerror(e));
		}
		done += (size_t)w;
	}
	return close(fd) == 0 ? 0 : MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path,
	    strerror(errno));
}

/* Writes t under dir; *xattrs_set / *xattrs_skipped count the attributes. */
static int
write_tree(const mx_pkg_tree *t, const char *dir, int *xattrs_set, int *xattrs_skipped,
    mx_err *err)
{
	int rc = mkdirs(dir, err);
	for (size_t i = 0; rc == 0 && i < t->nentries; i++) {
		const mx_pkg_entry *e = &t->entries[i];
		char p[PATH_MAX];
		if (snprintf(p, sizeof p, "%s/%s", dir, e->path) >= (int)sizeof p)
			return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s/%s: path too long", dir, e->path);
		char *slash = strrchr(p, '/');
		*slash = '\0';
		rc = mkdirs(p, err);
		*slash = '/';
		if (rc)
			break;
		if (e->type == MX_PKG_DIR) {
			if (mkdir(p, 0755) != 0 && errno != EEXIST)
				rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", p, strerror(errno));
		} else if (e->type == MX_PKG_LINK) {
			if (symlink(e->link, p) != 0)
				rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", p, strerror(errno));
		} else {
			rc = put(p, e->data, e->len, (e->mode & 0111) ? 0755 : 0644, err);
		}
		/* AppleDouble: the attributes go on the file, as macOS extracts them */
		for (int k = 0; rc == 0 && k < e->xattrs.n; k++) {
			char name[160];
			snprintf(name, sizeof name, "user.%s", e->xattrs.a[k].name);
			if (e->type != MX_PKG_LINK && setxattr(p, name, e->xattrs.a[k].value,
			    e->xattrs.a[k].len, 0) == 0)
				(*xattrs_set)++;
			else
				(*xattrs_skipped)++;
		}
	}
	return rc;
}

/* Removes the tree at path (our own temporary directories only). */
static void
rm_tree(const char *path)
{
	char cmd[PATH_MAX + 32];
	struct stat sb;
	if (lstat(path, &sb) != 0)
		return;
	/* a small recursive walk: nftw would follow nothing either, this is clearer */
	if (S_ISDIR(sb.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *de;
		while (d && (de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(cmd, sizeof cmd, "%s/%s", path, de->d_name);
			rm_tree(cmd);
		}
		if (d)
			closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static int
expand_to(const struct loaded *l, const char *dir, int *set, int *skipped, mx_err *err)
{
	int rc = mkdirs(dir, err);
	size_t dl = 0;
	const char *dist = mx_pkg_distribution(l->pkg, &dl);
	char p[PATH_MAX];
	if (rc == 0 && dist) {
		snprintf(p, sizeof p, "%s/Distribution", dir);
		rc = put(p, (const uint8_t *)dist, dl, 0644, err);
	}
	for (int i = 0; rc == 0 && i < l->n; i++) {
		const mx_pkg_component *c = mx_pkg_component_at(l->pkg, i);
		char cd[PATH_MAX];
		snprintf(cd, sizeof cd, "%s%s%s", dir, c->name[0] ? "/" : "", c->name);
		if ((rc = mkdirs(cd, err)))
			break;
		snprintf(p, sizeof p, "%s/PackageInfo", cd);
		if ((rc = put(p, c->packageinfo, c->packageinfo_len, 0644, err)))
			break;
		if (c->bom) {
			snprintf(p, sizeof p, "%s/Bom", cd);
			if ((rc = put(p, c->bom, c->bom_len, 0644, err)))
				break;
		}
		snprintf(p, sizeof p, "%s/Payload", cd);
		if (c->payload && (rc = write_tree(&l->payload[i], p, set, skipped, err)))
			break;
		snprintf(p, sizeof p, "%s/Scripts", cd);
		if (c->scripts && (rc = write_tree(&l->scripts[i], p, set, skipped, err)))
			break;
	}
	return rc;
}

/* ---- reporting ---- */

static bool
interesting(const char *line, size_t n)
{
	static const char *const tools[] = { "systemextensionsctl", "kmutil", "launchctl",
		"kextload", "kextutil", "kextcache", "spctl", "profiles" };
	for (size_t t = 0; t < sizeof tools / sizeof tools[0]; t++) {
		size_t tl = strlen(tools[t]);
		for (size_t i = 0; i + tl <= n; i++)
			if (memcmp(line + i, tools[t], tl) == 0)
				return true;
	}
	return false;
}

static json_t *
scripts_json(struct mx_cli *cli, const struct loaded *l, bool print)
{
	json_t *a = json_array();
	for (int i = 0; i < l->n; i++) {
		const mx_pkg_component *c = mx_pkg_component_at(l->pkg, i);
		for (size_t k = 0; k < l->scripts[i].nentries; k++) {
			const mx_pkg_entry *e = &l->scripts[i].entries[k];
			if (e->type != MX_PKG_FILE)
				continue;
			bool hook = strcmp(e->path, c->info.preinstall) == 0 ||
			    strcmp(e->path, c->info.postinstall) == 0;
			json_t *lines = json_array();
			const char *s = (const char *)e->data, *end = s + e->len;
			while (s < end) {
				const char *nl = memchr(s, '\n', (size_t)(end - s));
				size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
				if (interesting(s, n) && n < 4096) {
					char *line = mx_xmalloc(n + 1);
					memcpy(line, s, n);
					line[n] = '\0';
					for (char *q = line; *q; q++)
						if ((unsigned char)*q < 0x20 && *q != '\t')
							*q = ' ';
					json_t *js = json_string(line);
					json_array_append_new(lines, js ? js : json_string("(not UTF-8 text)"));
					free(line);
				}
				s = nl ? nl + 1 : end;
			}
			if (print) {
				cli_out(cli, "  script %s%s%s%s (not run)\n", c->name, c->name[0] ? "/" : "", e->path,
				    hook ? (strcmp(e->path, c->info.preinstall) == 0 ? ", preinstall" :
				    ", postinstall") : "");
				size_t j;
				json_t *v;
				json_array_foreach(lines, j, v)
					cli_out(cli, "    %s\n", json_string_value(v));
			}
			json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:o}", "component", c->name,
			    "file", e->path, "hook", hook, "lines", lines));
		}
	}
	return a;
}

static json_t *
plan_json(struct mx_cli *cli, const struct loaded *l, bool print)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->nroots; i++) {
		const mx_pkg_root *r = &l->roots[i];
		if (print)
			cli_out(cli, "  %-5s %s (%ld file%s)\n", mx_pkg_place_name(r->kind), r->device_path, r->files,
			    r->files == 1 ? "" : "s");
		json_array_append_new(a, json_pack("{s:s, s:s, s:I}", "kind", mx_pkg_place_name(r->kind),
		    "path", r->device_path, "files", (json_int_t)r->files));
	}
	return a;
}

static json_t *
components_json(const struct loaded *l, int *nad)
{
	json_t *a = json_array();
	*nad = 0;
	for (int i = 0; i < l->n; i++) {
		const mx_pkg_component *c = mx_pkg_component_at(l->pkg, i);
		*nad += l->payload[i].nappledouble;
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:I, s:i}", "name", c->name,
		    "identifier", c->info.identifier, "version", c->info.version, "install_location",
		    c->info.install_location, "entries", (json_int_t)l->payload[i].nentries,
		    "appledouble", l->payload[i].nappledouble));
	}
	return a;
}

/* ---- verbs ---- */

static int
pkg_expand(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 2, 2, "macext pkg expand FILE.pkg DIR", err);
	if (rc)
		return rc;
	const char *dir = argv[2];
	struct stat sb;
	if (lstat(dir, &sb) == 0)
		return MX_FAIL(err, MX_EEXIST, MX_NO_OFFSET, "%s exists (expand writes a new directory)",
		    dir);
	struct loaded l;
	if ((rc = load(&l, argv[1], err)))
		return rc;
	/* written under a temporary name, renamed into place when complete */
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s.partial-%ld", dir, (long)getpid());
	int set = 0, skipped = 0;
	rc = expand_to(&l, tmp, &set, &skipped, err);
	if (rc == 0 && rename(tmp, dir) != 0)
		rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", dir, strerror(errno));
	if (rc)
		rm_tree(tmp);
	if (rc == 0) {
		int nad;
		json_t *comps = components_json(&l, &nad);
		if (cli->json) {
			json_t *j = json_pack("{s:s, s:s, s:b, s:o, s:i, s:i, s:i}", "package", argv[1],
			    "dir", dir, "distribution", mx_pkg_is_distribution(l.pkg), "components", comps,
			    "appledouble", nad, "xattrs_set", set, "xattrs_not_set", skipped);
			json_object_set_new(j, "placement", plan_json(cli, &l, false));
			json_object_set_new(j, "scripts", scripts_json(cli, &l, false));
			cli_json_print(cli, j);
		} else if (!cli->quiet) {
			json_decref(comps);
			cli_out(cli, "expanded %s into %s\n", argv[1], dir);
			for (int i = 0; i < l.n; i++) {
				const mx_pkg_component *c = mx_pkg_component_at(l.pkg, i);
				cli_out(cli, "  component %s %s %s -> %s (%zu entries)\n", c->name[0] ? c->name : "(top)",
				    c->info.identifier, c->info.version, c->info.install_location,
				    l.payload[i].nentries);
			}
			if (nad)
				cli_out(cli, "  AppleDouble entries: %d, applied as extended attributes (%d set, %d"
				    " the file system refused), not written as files\n", nad, set, skipped);
			json_decref(scripts_json(cli, &l, true));
		} else {
			json_decref(comps);
		}
	}
	unload(&l);
	return rc;
}

/* The package's roots imported for device with e (pkg.h): the payload
 * extracted into the state's tmp/, every root copied and verified
 * (mx_engine_import_pkg), the extraction removed.  *out is filled (its own
 * allocation) whenever the extraction worked; an import that failed is in
 * out->rc, reported by mx_op_pkg_install after the device's checks. */
static int
import_loaded(mx_engine *e, const struct loaded *l, const char *file, const char *device,
    const mx_verify_opts *vo, mx_pkg_import *out, mx_err *err)
{
	char tmp[PATH_MAX];
	static unsigned seq;
	snprintf(tmp, sizeof tmp, "%s/tmp/pkg-%ld-%u", mx_engine_dir(e), (long)getpid(), seq++);
	rm_tree(tmp);
	int set = 0, skipped = 0, rc = 0;
	for (int i = 0; rc == 0 && i < l->n; i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s/%d", tmp, i);
		rc = write_tree(&l->payload[i], p, &set, &skipped, err);
	}
	mx_pkg_root_src *src = mx_xcalloc(l->nroots ? l->nroots : 1, sizeof *src);
	char (*host)[PATH_MAX] = mx_xcalloc(l->nroots ? l->nroots : 1, sizeof *host);
	for (size_t i = 0; i < l->nroots; i++) {
		snprintf(host[i], sizeof host[i], "%s/%d/%s", tmp, l->roots[i].component, l->roots[i].rel);
		src[i] = (mx_pkg_root_src){ l->roots[i].kind, host[i], l->roots[i].device_path };
	}
	const char *base = strrchr(file, '/');
	memset(out, 0, sizeof *out);
	if (rc == 0)
		mx_engine_import_pkg(e, base ? base + 1 : file, device, vo, src, l->nroots, out);
	free(src);
	free(host);
	rm_tree(tmp);
	return rc;
}

int
pkg_import_file(mx_engine *e, const char *file, const char *device, const mx_verify_opts *vo,
    mx_pkg_import *out, mx_err *err)
{
	struct loaded l;
	memset(out, 0, sizeof *out);
	int rc = load(&l, file, err);
	if (rc)
		return rc;
	rc = import_loaded(e, &l, file, device, vo, out, err);
	unload(&l);
	return rc;
}

/* pkg install: the package read and checked, its roots imported for the
 * device (import_loaded), then placed in one operation (mx_op_pkg_install):
 * all or nothing. */
static int
install(struct mx_cli *cli, const struct loaded *l, const char *file, const mx_verify_opts *vo,
    json_t *done, mx_expiry *expired, mx_err *err)
{
	int rc = cli_store(cli, err);
	if (rc)
		return rc;
	mx_pkg_import imp;
	memset(&imp, 0, sizeof imp);
	if ((rc = import_loaded(cli->eng, l, file, cli->device_name, vo, &imp, err)) == 0) {
		/* an import that failed is reported by the operation after the device's checks */
		mx_op *op;
		if ((rc = cli_op(cli, MX_OP_WRITE, &op, err)) == 0)
			rc = cli_end(op, mx_op_pkg_install(op, &imp, err), err);
	}
	if (rc == 0) {
		for (size_t i = 0; i < imp.n; i++)
			json_array_append_new(done, json_string(imp.roots[i].device_path));
		*expired = imp.expired;
	}
	mx_pkg_import_free(&imp);
	return rc;
}

static int
pkg_install(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	bool dry = arg_flag(&argc, argv, "--dry-run");
	mx_verify_opts vo = { .check_expiration = arg_flag(&argc, argv, "--check-expiration") };
	int rc = arg_check(argc, argv, 1, 1,
	    "macext pkg install FILE.pkg [--dry-run] [--check-expiration]", err);
	if (rc)
		return rc;
	struct loaded l;
	if ((rc = load(&l, argv[1], err)))
		return rc;
	bool print = !cli->json && !cli->quiet;
	if (print)
		cli_out(cli, "%s %s: %d component%s\n", dry ? "would install" : "installing", argv[1], l.n,
		    l.n == 1 ? "" : "s");
	json_t *plan = plan_json(cli, &l, print);
	json_t *done = json_array();
	mx_expiry expired = { 0 };
	if (!dry)
		rc = install(cli, &l, argv[1], &vo, done, &expired, err);
	if (rc == 0) {
		json_t *scripts = scripts_json(cli, &l, print);
		if (cli->json) {
			int nad;
			json_t *j = json_pack("{s:s, s:b, s:o, s:o, s:o, s:o}", "package", argv[1],
			    "dry_run", dry, "components", components_json(&l, &nad), "placement", plan,
			    "placed", done, "scripts", scripts);
			json_object_set_new(j, "scripts_run", json_false());
			plan = done = NULL;
			if ((rc = cli_expiry_json(j, &expired, err)) == 0)
				cli_json_print(cli, j);
			else
				json_decref(j);
		} else {
			json_decref(scripts);
			if (print) {
				cli_expiry_print(cli, &expired);
				cli_out(cli, "  scripts are listed, not run: %s\n", dry ? "nothing was installed" :
				    "what they would do is up to you");
			}
		}
	}
	json_decref(plan);
	json_decref(done);
	unload(&l);
	return rc;
}

static const cli_verb pkg_verbs_v[] = {
	{ "expand", pkg_expand, CLI_ACT },
	{ "install", pkg_install, CLI_ACT },
};
const cli_verbs pkg_verbs = CLI_VERBS("pkg", pkg_verbs_v,
    "macext pkg expand FILE.pkg DIR | pkg install FILE.pkg [--dry-run] [--check-expiration]");

int
cmd_pkg(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return cli_dispatch(cli, &pkg_verbs, argc, argv, err);
}
