/*
 * cmd_boot.c — restarting the simulated Mac: `macext restart`, `shutdown`,
 * `recovery --via power-button|software`, over the engine's power
 * operations (src/engine/power.c: the AuxKC rebuild while macOS shuts
 * down, the boot, recoveryOS entered by the power button or from software).
 */
#include <stdio.h>
#include <string.h>

#include "tools.h"

/* Commits op and prints the device as it now is. */
static int
done(struct mx_cli *cli, mx_op *op, int rc, mx_err *err)
{
	mx_device d = *mx_op_device(op);
	if ((rc = cli_end(op, rc, err)))
		return rc;
	return cli_device_out(cli, &d, err);
}

int
cmd_restart(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *cred = arg_value(&argc, argv, "--as");
	int rc = arg_check(argc, argv, 0, 0, "macext restart [--as USER:PASSWORD]", err);
	mx_op *op;
	if (rc || (rc = cli_op(cli, MX_OP_WRITE, &op, err)))
		return rc;
	return done(cli, op, mx_op_restart(op, cred, err), err);
}

int
cmd_shutdown(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext shutdown", err);
	mx_op *op;
	if (rc || (rc = cli_op(cli, MX_OP_WRITE, &op, err)))
		return rc;
	return done(cli, op, mx_op_shutdown(op, err), err);
}

int
cmd_recovery(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *via = arg_value(&argc, argv, "--via");
	int rc = arg_check(argc, argv, 0, 0, "macext recovery --via power-button|software", err);
	if (rc)
		return rc;
	enum mx_recovery_entry entry;
	if (via && strcmp(via, "power-button") == 0)
		entry = MX_RECOVERY_POWER_BUTTON;
	else if (via && strcmp(via, "software") == 0)
		entry = MX_RECOVERY_SOFTWARE;
	else
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "--via takes power-button (press and hold the power button at start-up) or"
		    " software (restart to recovery from macOS)");
	mx_op *op;
	if ((rc = cli_op(cli, MX_OP_WRITE, &op, err)))
		return rc;
	return done(cli, op, mx_op_recovery(op, entry, err), err);
}
