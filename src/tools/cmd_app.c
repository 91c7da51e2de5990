/*
 * cmd_app.c — apps in the device's /Applications: `macext app install
 * PATH.app` (an installer copying the app in) and `app delete BUNDLE_ID`
 * (Finder's move to Trash, which first asks the system-extension module:
 * deleting an app that holds an active system extension deactivates it,
 * and may need an administrator or be refused, system-extensions.md §3.4).
 * Bundles go to the shared content store; the device keeps path -> hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/bundle.h"
#include "tools.h"

struct find_ctx {
	struct mx_cli *cli;
	const char *bundle_id;
	char *devpath, *real;
	size_t devlen, reallen;
	bool found;
	mx_err *err;
};

static int
find_app(const char *path, const char *hash, void *arg)
{
	struct find_ctx *f = arg;
	size_t l = strlen(path);
	/* only /Applications/X.app itself, not nested paths */
	if (l < 5 || strcmp(path + l - 4, ".app") != 0 || strchr(path + 14, '/'))
		return 0;
	char real[PATH_MAX];
	if (mx_cas_path(f->cli->st, hash, real, sizeof real, f->err))
		return f->err->code;
	mx_bundle *b;
	mx_err e;
	mx_err_clear(&e);
	if (mx_bundle_open(&b, real, &e))
		return 0;       /* an unreadable app is not the one asked for */
	if (strcmp(b->bundle_id, f->bundle_id) == 0) {
		snprintf(f->devpath, f->devlen, "%s", path);
		snprintf(f->real, f->reallen, "%s", real);
		f->found = true;
	}
	mx_bundle_free(b);
	return f->found ? 1 : 0;
}

int
cli_app_find(struct mx_cli *cli, const mx_device *d, const char *bundle_id, char *devpath,
    size_t devlen, char *realpath_out, size_t reallen, mx_err *err)
{
	struct find_ctx f = { cli, bundle_id, devpath, realpath_out, devlen, reallen, false, err };
	int rc = mx_store_file_each(cli->st, d->id, "/Applications/", find_app, &f, err);
	if (rc < 0 || (rc && !f.found))
		return rc;
	if (!f.found)
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "no app '%s' in /Applications on %s",
		    bundle_id, d->name);
	return 0;
}

static int
app_install(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 1, 1, "macext app install PATH.app", err);
	if (rc)
		return rc;
	mx_bundle *b;
	if ((rc = mx_bundle_open(&b, argv[1], err)))
		return rc;
	if (b->kind != MX_BUNDLE_APP) {
		mx_bundle_free(b);
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: not an application bundle (.app)",
		    argv[1]);
	}
	mx_device d;
	char hash[65], devpath[PATH_MAX];
	const char *base = strrchr(b->path, '/');
	base = base ? base + 1 : b->path;
	snprintf(devpath, sizeof devpath, "/Applications/%s", base);
	size_t dl = strlen(devpath);
	while (dl > 1 && devpath[dl - 1] == '/')
		devpath[--dl] = '\0';
	if ((rc = cli_begin_device(cli, &d, err)) == 0 &&
	    (rc = mx_cas_put_tree(cli->st, argv[1], hash, err)) == 0 &&
	    (rc = mx_store_file_set(cli->st, d.id, devpath, hash, err)) == 0) {
		char what[PATH_MAX + 64];
		snprintf(what, sizeof what, "app %s installed at %s (%d system extension%s inside)",
		    b->bundle_id, devpath, b->nembedded, b->nembedded == 1 ? "" : "s");
		rc = cli_event(cli, &d, "installer", what, "app install", err);
	}
	if (rc == 0)
		rc = cli_commit(cli, err);
	if (rc == 0 && !cli->quiet) {
		if (cli->json)
			cli_json_print(json_pack("{s:s, s:s, s:s, s:i}", "bundle_id", b->bundle_id,
			    "path", devpath, "content", hash, "system_extensions", b->nembedded));
		else
			printf("installed %s at %s\n", b->bundle_id, devpath);
	}
	mx_bundle_free(b);
	return rc;
}

static int
app_delete(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *cred = arg_value(&argc, argv, "--as");
	int rc = arg_check(argc, argv, 1, 1, "macext app delete BUNDLE_ID [--as USER:PASSWORD]",
	    err);
	mx_device d;
	if (rc || (rc = cli_begin_device(cli, &d, err)))
		return rc;
	char devpath[PATH_MAX], real[PATH_MAX];
	if ((rc = cli_app_find(cli, &d, argv[1], devpath, sizeof devpath, real, sizeof real, err)))
		return rc;
	if ((rc = sysext_app_deleting(cli, &d, argv[1], cred, err))) {
		if (rc == MX_EDENIED)
			return cli_refuse(cli, &d, "user", "app delete", err);
		return rc;
	}
	char what[PATH_MAX + 64];
	snprintf(what, sizeof what, "app %s moved to the Trash from %s", argv[1], devpath);
	if ((rc = mx_store_file_remove(cli->st, d.id, devpath, err)) ||
	    (rc = cli_event(cli, &d, "user", what, "app delete", err)) ||
	    (rc = cli_commit(cli, err)))
		return rc;
	if (!cli->quiet && !cli->json)
		printf("moved %s to the Trash\n", devpath);
	return 0;
}

int
cmd_app(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	if (argc >= 2 && strcmp(argv[1], "install") == 0)
		return app_install(cli, argc - 1, argv + 1, err);
	if (argc >= 2 && strcmp(argv[1], "delete") == 0)
		return app_delete(cli, argc - 1, argv + 1, err);
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "usage: macext app install PATH.app |"
	    " app delete BUNDLE_ID [--as USER:PASSWORD]");
}
