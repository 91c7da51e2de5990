/*
 * fleet_run.c — one CLI line run in-process: the crash driver
 * (tests/stress/crash.c) calls the very command functions main()
 * dispatches to, with cli->device_name set and output off, instead of
 * starting a process per operation.  The exit code is the one the CLI
 * would return (Apple tools' own codes included).  `fleet apply` does not
 * come here: its steps are typed once and call the engine (fleet_step.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"

static const struct { const char *name; mx_cmd_fn fn; bool apple; } cmds[] = {
	{ "device", cmd_device, false },       { "restart", cmd_restart, false },
	{ "shutdown", cmd_shutdown, false },   { "recovery", cmd_recovery, false },
	{ "security", cmd_security, false },   { "mdm", cmd_mdm, false },
	{ "profiles", cmd_profiles, false },   { "app", cmd_app, false },
	{ "sysext", cmd_sysext, false },       { "kext", cmd_kext, false },
	{ "alerts", cmd_alerts, false },       { "approve", cmd_approve, false },
	{ "codesign", cmd_codesign, false },   { "log", cmd_log, false },
	{ "systemextensionsctl", apple_systemextensionsctl, true },
	{ "kmutil", apple_kmutil, true },      { "spctl", apple_spctl, true },
	{ "csrutil", apple_csrutil, true },    { "bputil", apple_bputil, true },
	{ "kextstat", apple_kextstat, true },  { "kextload", apple_kextload, true },
	{ "kextunload", apple_kextunload, true },
};

int
fleet_run(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	mx_err_clear(err);
	if (argc < 1)
		return mx_exit_code(MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "empty command"));
	mx_cmd_fn fn = NULL;
	bool apple = false;
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(argv[0], cmds[i].name) == 0) {
			fn = cmds[i].fn;
			apple = cmds[i].apple;
		}
	if (fn == NULL)
		return mx_exit_code(MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "unknown command '%s'", argv[0]));
	const char *prog = cli->prog;
	cli->prog = apple ? argv[0] : "macext";
	cli->printed = false;
	cli->said[0] = '\0';
	int rc = cli_finish(cli, fn(cli, argc, argv, err), err);
	cli->prog = prog;
	/* every verb ends its op (commit or abort): no transaction is left open */
	return cli_status(rc, err);
}
