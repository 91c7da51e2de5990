/*
 * cmd_mdm.c — `macext mdm enroll|unenroll|escrow-bootstrap-token|
 * install-profile|remove-profile|restart|command`: the device side of MDM
 * as a person drives it, over the engine's MDM operations
 * (src/engine/mdm.c; the rules in src/core/rules.c).  `mdm command
 * FILE.plist` takes a raw command plist ({CommandUUID, Command:
 * {RequestType, ...}}) and prints the response plist the Mac would send
 * back, its ErrorChain carrying the failure's domain and code.
 * Spec: mdm-protocol-and-peers.md §1.3-1.6, kernel-extensions.md §3.7-3.9.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plist/plist.h>

#include "macext/profile.h"
#include "tools.h"

/* Commits op and prints the device. */
static int
finish(struct mx_cli *cli, mx_op *op, int rc, mx_err *err)
{
	mx_device d = *mx_op_device(op);
	if ((rc = cli_end(op, rc, err)))
		return rc;
	return cli_device_out(cli, &d, err);
}

static int
mdm_enroll(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	/* with a real enrolment profile the Mac enrols over the wire (cmd_mdm_agent.c) */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--profile") == 0 || strncmp(argv[i], "--profile=", 10) == 0)
			return cmd_mdm_enroll_profile(cli, argc, argv, err);
	const char *method = arg_value(&argc, argv, "--method");
	bool approved = arg_flag(&argc, argv, "--user-approved");
	bool in_abm = arg_flag(&argc, argv, "--in-abm");
	int rc = arg_check(argc, argv, 0, 0,
	    "macext mdm enroll --method device|automated|user [--user-approved] [--in-abm]", err);
	if (rc)
		return rc;
	enum mx_enroll e;
	if ((rc = mx_enroll_parse(&e, method, err)))
		return rc;
	if (e == MX_ENROLL_NONE)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--method takes device, automated or user");
	mx_op *op;
	if ((rc = cli_op(cli, MX_OP_WRITE, &op, err)))
		return rc;
	return finish(cli, op, mx_op_enroll(op, e, approved, in_abm, err), err);
}

static int
mdm_unenroll(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext mdm unenroll", err);
	mx_op *op;
	if (rc || (rc = cli_op(cli, MX_OP_WRITE, &op, err)))
		return rc;
	return finish(cli, op, mx_op_unenroll(op, err), err);
}

static int
mdm_escrow(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext mdm escrow-bootstrap-token", err);
	mx_op *op;
	if (rc || (rc = cli_op(cli, MX_OP_WRITE, &op, err)))
		return rc;
	return finish(cli, op, mx_op_escrow_bootstrap_token(op, err), err);
}

static int
mdm_install_profile(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 1, 1, "macext mdm install-profile FILE", err);
	if (rc)
		return rc;
	uint8_t *buf;
	size_t len;
	if ((rc = cli_read_file(argv[1], MX_PROFILE_MAX_BYTES, &buf, &len, err)))
		return rc;
	if ((rc = cli_store(cli, err))) {
		free(buf);
		return rc;
	}
	/* parsed and CMS-checked before the transaction */
	mx_profile_import p;
	mx_engine_import_profile(cli->eng, buf, len, argv[1], &p);
	free(buf);
	mx_op *op;
	mx_profile_row row;
	if ((rc = cli_op(cli, MX_OP_WRITE, &op, err)) == 0) {
		if ((rc = mx_op_mdm_ready(op, err)) == 0)
			rc = mx_op_profile_install(op, &p, MX_VIA_MDM, &row, err);
		rc = cli_end(op, rc, err);
	}
	mx_profile_import_free(&p);
	if (rc || cli->quiet)
		return rc;
	if (cli->json) {
		json_t *j;
		if ((rc = mx_json_profile(&j, &row, NULL, err)))
			return rc;
		/* the install's summary: identifier, uuid, payload_types (an array), signer */
		json_t *o = json_object();
		const char *keep[] = { "identifier", "uuid", "payload_types", "signer" };
		for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
			json_object_set(o, keep[i], json_object_get(j, keep[i]));
		json_decref(j);
		cli_json_print(cli, o);
	} else {
		cli_out(cli, "installed %s (%s)%s%s\n", row.identifier, row.payload_types,
		    row.signer[0] ? ", signed by " : "", row.signer);
	}
	return 0;
}

static int
mdm_remove_profile(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 1, 1, "macext mdm remove-profile IDENTIFIER", err);
	mx_op *op;
	if (rc || (rc = cli_op(cli, MX_OP_WRITE, &op, err)))
		return rc;
	if ((rc = mx_op_mdm_ready(op, err)) == 0)
		rc = mx_op_profile_remove(op, argv[1], MX_VIA_MDM, err);
	if ((rc = cli_end(op, rc, err)))
		return rc;
	if (!cli->json)
		cli_out(cli, "removed %s\n", argv[1]);
	return 0;
}

static int
mdm_restart(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	bool notify = arg_flag(&argc, argv, "--notify-user");
	bool rebuild = arg_flag(&argc, argv, "--rebuild-kernel-cache");
	const char *paths[MX_MDM_MAX_KEXT_PATHS];
	int np = arg_values(&argc, argv, "--kext-path", paths, MX_MDM_MAX_KEXT_PATHS);
	int rc = arg_check(argc, argv, 0, 0, "macext mdm restart [--notify-user]"
	    " [--rebuild-kernel-cache] [--kext-path P]...", err);
	mx_op *op;
	if (rc || (rc = cli_op(cli, MX_OP_WRITE, &op, err)))
		return rc;
	mx_mdm_restart req = { notify, rebuild, np, paths };
	bool restarted;
	rc = mx_op_mdm_restart(op, &req, &restarted, err);
	mx_device d = *mx_op_device(op);
	if ((rc = cli_end(op, rc, err)))
		return rc;
	if (cli->json)
		return cli_device_out(cli, &d, err);
	if (restarted)
		cli_out(cli, "%s restarted (boot session %s)\n", d.name, d.boot_session);
	else
		cli_out(cli, "%s: the user was notified to restart\n", d.name);
	return 0;
}

static int
mdm_command(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 1, 1, "macext mdm command FILE.plist", err);
	if (rc)
		return rc;
	uint8_t *buf;
	size_t len;
	if ((rc = cli_read_file(argv[1], 16u << 20, &buf, &len, err)))
		return rc;
	if ((rc = cli_store(cli, err))) {
		free(buf);
		return rc;
	}
	char *xml;
	uint32_t xl;
	rc = mx_engine_mdm_command(cli->eng, cli->device_name, buf, len, argv[1], &xml, &xl, err);
	free(buf);
	if (rc)
		return rc;
	cli_write(cli, xml, xl);
	free(xml);
	return 0;
}

static const cli_verb mdm_verbs_v[] = {
	{ "enroll", mdm_enroll, CLI_ACT },
	{ "unenroll", mdm_unenroll, CLI_ACT },
	{ "escrow-bootstrap-token", mdm_escrow, CLI_ACT },
	{ "install-profile", mdm_install_profile, CLI_ACT },
	{ "remove-profile", mdm_remove_profile, CLI_ACT },
	{ "restart", mdm_restart, CLI_ACT },
	{ "command", mdm_command, CLI_ACT },
	{ "agent", cmd_mdm_agent, CLI_ACT },         /* cmd_mdm_agent.c: its status object */
	{ "keys", cmd_mdm_keys, CLI_ACT },           /* generate|count: one object */
	{ "status", cmd_mdm_status, CLI_LIST },      /* each agent-enrolled device */
};
const cli_verbs mdm_verbs = CLI_VERBS("mdm", mdm_verbs_v,
    "macext mdm enroll|unenroll|escrow-bootstrap-token|install-profile|remove-profile|restart|"
    "command|agent|keys|status");

int
cmd_mdm(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return cli_dispatch(cli, &mdm_verbs, argc, argv, err);
}
