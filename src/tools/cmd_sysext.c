/*
 * cmd_sysext.c — system extensions as an app and a user drive them:
 * `macext sysext activate|deactivate|list` (OSSystemExtensionRequest) and
 * `macext approve sysext` (System Settings' Allow), over the engine
 * (src/engine/sysext*.c).  An app given by path (one run from outside
 * /Applications, e.g. ~/Downloads) is imported into the content store once;
 * the request is prepared (bundles found, signatures verified) before the
 * write transaction.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

static int
sysext_activate(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *on_replace = arg_value(&argc, argv, "--on-replace");
	mx_verify_opts vo = { .check_expiration = arg_flag(&argc, argv, "--check-expiration") };
	int rc = arg_check(argc, argv, 2, 2, "macext sysext activate APP_ID|PATH.app EXT_ID"
	    " [--on-replace replace|cancel] [--check-expiration]", err);
	if (rc)
		return rc;
	if (on_replace && strcmp(on_replace, "replace") && strcmp(on_replace, "cancel"))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--on-replace takes replace or cancel");
	if ((rc = cli_store(cli, err)))
		return rc;
	mx_sx_app_ref app = { 0 };
	char real[PATH_MAX], hash[65];
	mx_err ierr;
	mx_err_clear(&ierr);
	if (strchr(argv[1], '/')) {
		/* an app run from elsewhere: imported once, read from the stored copy */
		if (realpath(argv[1], real) == NULL)
			MX_FAIL(&ierr, MX_ENOTFOUND, MX_NO_OFFSET, "%s: no such app", argv[1]);
		else if (mx_engine_import_bundle(cli->eng, real, hash, &ierr) == 0)
			app.hash = hash;
		app.path = real;
		app.import_err = &ierr;
	} else {
		app.bundle_id = argv[1];
	}
	mx_sx_request *req;
	if ((rc = mx_engine_sysext_prepare_opts(cli->eng, cli->device_name, &app, argv[2], &vo, &req,
	    err))) {
		mx_sx_request_free(req);
		return rc;
	}
	mx_op *op;
	mx_sx_result r;
	bool replace = !on_replace || strcmp(on_replace, "cancel") != 0;
	if ((rc = cli_op(cli, MX_OP_WRITE, &op, err)) == 0)
		rc = cli_end(op, mx_op_sysext_activate(op, req, replace, &r, err), err);
	mx_expiry expired = *mx_sx_request_expiry(req);
	mx_sx_request_free(req);
	if (rc || cli->quiet)
		return rc;
	if (cli->json) {
		json_t *j;
		if ((rc = mx_json_sysext_result(&j, &r, true, err)) == 0 &&
		    (rc = cli_expiry_json(j, &expired, err)))
			json_decref(j);
		return cli_json(cli, rc, &j);
	}
	cli_out(cli, "activation request for %s: %s (%s)\n", r.identifier, r.result,
	    mx_sx_state_name(r.state));
	cli_expiry_print(cli, &expired);
	return 0;
}

static int
sysext_deactivate(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *cred = arg_value(&argc, argv, "--as");
	int rc = arg_check(argc, argv, 2, 2,
	    "macext sysext deactivate APP_ID EXT_ID [--as USER:PASSWORD]", err);
	mx_op *op;
	if (rc || (rc = cli_op(cli, MX_OP_WRITE, &op, err)))
		return rc;
	mx_sx_result r;
	if ((rc = cli_end(op, mx_op_sysext_deactivate(op, argv[1], argv[2], cred, &r, err), err)))
		return rc;
	if (cli->quiet)
		return 0;
	if (cli->json) {
		json_t *j;
		return cli_json(cli, mx_json_sysext_result(&j, &r, false, err), &j);
	}
	cli_out(cli, "deactivation request for %s: %s (%s)%s\n", argv[2], r.result,
	    mx_sx_state_name(r.state), r.note);
	return 0;
}

static int
sysext_list(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext sysext list [--json]", err);
	mx_op *op;
	if (rc || (rc = cli_op(cli, MX_OP_READ, &op, err)))
		return rc;
	mx_sx_rec *recs;
	size_t n;
	if ((rc = cli_end(op, mx_op_sysexts(op, &recs, &n, err), err)))
		return rc;
	if (cli->json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n && rc == 0; i++) {
			json_t *j;
			if ((rc = mx_json_sysext(&j, &recs[i], err)) == 0)
				json_array_append_new(a, j);
		}
		if (rc)
			json_decref(a);
		else
			cli_json_print(cli, a);
	} else {
		if (n == 0)
			cli_out(cli, "no system extensions\n");
		for (size_t i = 0; i < n; i++) {
			const mx_sx_rec *r = &recs[i];
			char ver[140];
			snprintf(ver, sizeof ver, "%s/%s", r->short_version, r->version);
			const char *cat = strrchr(r->category, '.');
			cli_out(cli, "%-40s %-10s %-18s %-18s %-42s app %s%s%s\n", r->identifier,
			    r->team_id[0] ? r->team_id : "-", ver, cat ? cat + 1 : r->category,
			    mx_sx_state_name(r->state), r->app_id, r->approval[0] ? ", approved by " : "",
			    r->approval);
		}
	}
	free(recs);
	return rc;
}

/* What a change to one record prints: its document (--json), else
 * "DONE ID: STATE". */
static int
print_rec(struct mx_cli *cli, const char *done, const char *id, const mx_sx_rec *r, mx_err *err)
{
	if (cli->quiet)
		return 0;
	if (cli->json) {
		json_t *j;
		return cli_json(cli, mx_json_sysext(&j, r, err), &j);
	}
	cli_out(cli, "%s %s: %s\n", done, id, mx_sx_state_name(r->state));
	return 0;
}

/* The macOS 15 switch in General > Login Items & Extensions:
 * `sysext disable|enable EXT_ID --as USER:PASSWORD`. */
static int
sysext_toggle(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	bool enable = strcmp(argv[0], "enable") == 0;
	const char *cred = arg_value(&argc, argv, "--as");
	int rc = arg_check(argc, argv, 1, 1, enable ? "macext sysext enable EXT_ID --as USER:PASSWORD"
	    : "macext sysext disable EXT_ID --as USER:PASSWORD", err);
	mx_op *op;
	if (rc || (rc = cli_op(cli, MX_OP_WRITE, &op, err)))
		return rc;
	mx_sx_rec r;
	if ((rc = cli_end(op, mx_op_sysext_set_enabled(op, argv[1], enable, cred, &r, err), err)))
		return rc;
	return print_rec(cli, enable ? "enabled" : "disabled", argv[1], &r, err);
}

static const cli_verb sysext_verbs_v[] = {
	{ "activate", sysext_activate, CLI_ACT },
	{ "deactivate", sysext_deactivate, CLI_ACT },
	{ "list", sysext_list, CLI_LIST },
	{ "disable", sysext_toggle, CLI_ACT },
	{ "enable", sysext_toggle, CLI_ACT },
};
const cli_verbs sysext_verbs = CLI_VERBS("sysext", sysext_verbs_v,
    "macext sysext activate APP_ID EXT_ID [--on-replace replace|cancel] | deactivate APP_ID EXT_ID [--as USER:PASSWORD] | list [--json] | disable|enable EXT_ID --as USER:PASSWORD");

int
cmd_sysext(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return cli_dispatch(cli, &sysext_verbs, argc, argv, err);
}

/* ---- System Settings: Allow ---- */

int
cmd_sysext_approve(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *cred = arg_value(&argc, argv, "--as");
	int rc = arg_check(argc, argv, 1, 1, "macext approve sysext BUNDLE_ID --as USER:PASSWORD",
	    err);
	mx_op *op;
	if (rc || (rc = cli_op(cli, MX_OP_WRITE, &op, err)))
		return rc;
	mx_sx_rec r;
	if ((rc = cli_end(op, mx_op_sysext_approve(op, argv[1], cred, &r, err), err)))
		return rc;
	return print_rec(cli, "allowed", argv[1], &r, err);
}
