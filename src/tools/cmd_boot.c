/*
 * cmd_boot.c — restarting the simulated Mac: `macext restart`, `shutdown`,
 * `recovery --via power-button|software`.  A restart from macOS lets the
 * kext module rebuild the Auxiliary Kernel Collection while macOS shuts
 * down (kernel-extensions.md §3.3: the AuxKC is rebuilt before the kernel
 * boots), then boots with a new boot session UUID and lets the extension
 * modules do their on-boot work (uninstall-on-reboot, loading the AuxKC).
 * recoveryOS remembers how it was entered: only the power-button entry
 * ("1TR") lets the Secure Enclave accept a lower security policy.
 */
#include <stdio.h>
#include <string.h>

#include "tools.h"
#include "boot_tools.h"

int
cli_restart(struct mx_cli *cli, mx_device *d, bool rebuild_kc, const char **kext_paths,
    int npaths, const char *actor, mx_err *err)
{
	int rc;
	enum mx_envkind from = d->env;
	if (from == MX_ENV_MACOS &&
	    (rc = kext_before_restart(cli, d, rebuild_kc, kext_paths, npaths, err)))
		return rc;
	cli_random(cli);
	mx_device_boot(d, &cli->in);
	d->restart_pending = false;
	if ((rc = mx_store_alert_remove(cli->st, d->id, "restart-required", NULL, err)) ||
	    (rc = cli_save_device(cli, d, err)))
		return rc;
	char what[128];
	snprintf(what, sizeof what, "restarted from %s%s; boot session %s",
	    from == MX_ENV_MACOS ? "macOS" : from == MX_ENV_RECOVERY ? "recoveryOS" : "off",
	    from == MX_ENV_MACOS && rebuild_kc ? " (kernel collection rebuild)" : "",
	    d->boot_session);
	/* SIP set in recoveryOS becomes active; the LocalPolicy is verified */
	if ((rc = cli_event(cli, d, actor, what, "restart", err)) ||
	    (rc = boot_after_boot(cli, d, err)) ||
	    (rc = sysext_after_boot(cli, d, err)) ||
	    (rc = kext_after_boot(cli, d, err)))
		return rc;
	return cli_save_device(cli, d, err);
}

static int
print_state(struct mx_cli *cli, const mx_device *d)
{
	if (cli->quiet)
		return 0;
	if (cli->json)
		cli_json_print(cli_device_json(d));
	else
		cli_device_print(stdout, d);
	return 0;
}

int
cmd_restart(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *cred = arg_value(&argc, argv, "--as");
	int rc = arg_check(argc, argv, 0, 0, "macext restart [--as USER:PASSWORD]", err);
	if (rc)
		return rc;
	mx_device d;
	if ((rc = cli_begin_device(cli, &d, err)))
		return rc;
	const mx_user *u = NULL;
	/* Restarting from the menu needs no password; --as names who clicked. */
	if (cred && (rc = mx_auth_check(&d, cred, false, &u, err)))
		return cli_refuse(cli, &d, "user", "restart", err);
	if ((rc = cli_restart(cli, &d, true, NULL, 0, u ? u->name : "user", err)) ||
	    (rc = cli_commit(cli, err)))
		return rc;
	return print_state(cli, &d);
}

int
cmd_shutdown(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext shutdown", err);
	if (rc)
		return rc;
	mx_device d;
	if ((rc = cli_begin_device(cli, &d, err)))
		return rc;
	if (d.env == MX_ENV_OFF)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is already off", d.name);
	/* Shutting down from macOS runs the same staging work as a restart. */
	if (d.env == MX_ENV_MACOS && (rc = kext_before_restart(cli, &d, true, NULL, 0, err)))
		return rc;
	d.env = MX_ENV_OFF;
	d.recovery_entry = MX_RECOVERY_NONE;
	d.recovery_authenticated = false;
	if ((rc = cli_save_device(cli, &d, err)) ||
	    (rc = cli_event(cli, &d, "user", "shut down", "shutdown", err)) ||
	    (rc = cli_commit(cli, err)))
		return rc;
	return print_state(cli, &d);
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
	mx_device d;
	if ((rc = cli_begin_device(cli, &d, err)))
		return rc;
	if (d.env == MX_ENV_RECOVERY)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET,
		    "%s is already in recoveryOS; restart first", d.name);
	/* An Intel Mac enters recovery with Command-R; "power-button" stands for
	 * a deliberate start-up key press there too. */
	if (d.env == MX_ENV_MACOS && (rc = kext_before_restart(cli, &d, false, NULL, 0, err)))
		return rc;
	cli_random(cli);
	mx_device_boot(&d, &cli->in);
	d.env = MX_ENV_RECOVERY;
	d.recovery_entry = entry;
	char what[160];
	snprintf(what, sizeof what, "started recoveryOS (%s)",
	    entry == MX_RECOVERY_POWER_BUTTON ? "power button pressed and held" : "from software");
	if ((rc = cli_save_device(cli, &d, err)) ||
	    (rc = cli_event(cli, &d, "user", what, "recovery", err)) ||
	    (rc = cli_commit(cli, err)))
		return rc;
	return print_state(cli, &d);
}
