/*
 * cmd_app.c — apps in the device's /Applications: `macext app install
 * PATH.app` (an installer copying the app in; the bundle is imported into
 * the content store once and read from the stored copy) and `app delete
 * BUNDLE_ID` (Finder's move to Trash, which may need an administrator or be
 * refused for the app's system extensions, system-extensions.md §3.4).
 * The operations are src/engine/apps.c.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

static int
app_install(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	mx_verify_opts vo = { .check_expiration = arg_flag(&argc, argv, "--check-expiration") };
	int rc = arg_check(argc, argv, 1, 1, "macext app install PATH.app [--check-expiration]",
	    err);
	if (rc || (rc = cli_store(cli, err)))
		return rc;
	/* verified for the device: the expiry of the app's and its extensions'
	 * chains is reported, or refused with --check-expiration */
	mx_app_import app;
	if ((rc = mx_engine_import_app_opts(cli->eng, argv[1], cli->device_name, &vo, &app))) {
		*err = app.err;
		return rc;
	}
	mx_op *op;
	mx_app_info info;
	if ((rc = cli_op(cli, MX_OP_WRITE, &op, err)) ||
	    (rc = cli_end(op, mx_op_app_install(op, &app, &info, err), err)))
		return rc;
	if (cli->quiet)
		return 0;
	if (cli->json) {
		json_t *j;
		if ((rc = mx_json_app(&j, &info, err)) == 0 &&
		    (rc = cli_expiry_json(j, &app.expired, err)))
			json_decref(j);
		return cli_json(cli, rc, &j);
	}
	cli_out(cli, "installed %s at %s\n", info.bundle_id, info.path);
	cli_expiry_print(cli, &app.expired);
	return 0;
}

static int
app_delete(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *cred = arg_value(&argc, argv, "--as");
	int rc = arg_check(argc, argv, 1, 1, "macext app delete BUNDLE_ID [--as USER:PASSWORD]",
	    err);
	mx_op *op;
	if (rc || (rc = cli_op(cli, MX_OP_WRITE, &op, err)))
		return rc;
	char devpath[PATH_MAX];
	if ((rc = cli_end(op, mx_op_app_delete(op, argv[1], cred, devpath, sizeof devpath, err),
	    err)))
		return rc;
	if (!cli->json)
		cli_out(cli, "moved %s to the Trash\n", devpath);
	return 0;
}

static const cli_verb app_verbs_v[] = {
	{ "install", app_install, CLI_ACT },
	{ "delete", app_delete, CLI_ACT },
};
const cli_verbs app_verbs = CLI_VERBS("app", app_verbs_v,
    "macext app install PATH.app | app delete BUNDLE_ID [--as USER:PASSWORD]");

int
cmd_app(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return cli_dispatch(cli, &app_verbs, argc, argv, err);
}
