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
	int rc = arg_check(argc, argv, 1, 1, "macext app install PATH.app", err);
	if (rc || (rc = cli_store(cli, err)))
		return rc;
	mx_app_import app;
	if ((rc = mx_engine_import_app(cli->eng, argv[1], &app))) {
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
		return cli_json(cli, mx_json_app(&j, &info, err), &j);
	}
	cli_out(cli, "installed %s at %s\n", info.bundle_id, info.path);
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
