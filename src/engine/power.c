/*
 * power.c — restarting the simulated Mac: the Apple menu's Restart and
 * Shut Down, and restarting into recoveryOS.  A restart from macOS lets
 * the kext module rebuild the Auxiliary Kernel Collection while macOS
 * shuts down (kernel-extensions.md §3.3: the AuxKC is rebuilt before the
 * kernel boots), then boots with a new boot session UUID: the SIP
 * configuration written in recoveryOS takes effect, then the extension
 * modules do their on-boot work (uninstall on reboot, loading the AuxKC).
 * recoveryOS remembers how it was entered: only the power-button entry
 * ("1TR") lets the Secure Enclave accept a lower security policy, and it
 * is reached from anywhere as a person reaches it: Shut Down, then press
 * and hold the power button.
 */
#include <stdio.h>
#include <string.h>

#include "engine_int.h"

int
eng_restart(mx_op *op, bool rebuild_kc, const char *const *kext_paths, int npaths,
    const char *actor, mx_err *err)
{
	int rc;
	mx_device *d = &op->d;
	enum mx_envkind from = d->env;
	if (from == MX_ENV_MACOS &&
	    (rc = eng_kext_before_restart(op, rebuild_kc, kext_paths, npaths, err)))
		return rc;
	mx_env_in in = { .now = op->now };
	eng_random32(op, in.random);
	mx_device_boot(d, &in);
	d->restart_pending = false;
	if ((rc = mx_store_alert_remove(op->st, d->id, "restart-required", NULL, err)) ||
	    (rc = eng_save(op, err)))
		return rc;
	char what[128];
	snprintf(what, sizeof what, "restarted from %s%s; boot session %s",
	    from == MX_ENV_MACOS ? "macOS" : from == MX_ENV_RECOVERY ? "recoveryOS" : "off",
	    from == MX_ENV_MACOS && rebuild_kc ? " (kernel collection rebuild)" : "",
	    d->boot_session);
	/* SIP set in recoveryOS becomes active; the LocalPolicy is verified */
	if ((rc = mx_op_event(op, actor, what, "restart", err)) ||
	    (rc = eng_boot_after_boot(op, err)) ||
	    (rc = eng_sysext_after_boot(op, err)) ||
	    (rc = eng_kext_after_boot(op, err)))
		return rc;
	return eng_save(op, err);
}

int
mx_op_restart(mx_op *op, const char *cred, mx_err *err)
{
	const mx_user *u = NULL;
	int rc;
	/* Restarting from the menu needs no password; cred names who clicked. */
	if (cred && (rc = mx_op_auth(op, cred, false, "restart", &u, err)))
		return rc;
	return eng_restart(op, true, NULL, 0, u ? u->name : "user", err);
}

/* Shut Down from the Apple menu (or, in recoveryOS, from its Apple menu):
 * from macOS the same staging work as a restart, then the Mac is off. */
int
mx_op_shutdown(mx_op *op, mx_err *err)
{
	mx_device *d = &op->d;
	int rc;
	if (d->env == MX_ENV_OFF)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is already off", d->name);
	enum mx_envkind from = d->env;
	enum mx_recovery_entry entry = d->recovery_entry;
	/* Shutting down from macOS runs the same staging work as a restart. */
	if (d->env == MX_ENV_MACOS && (rc = eng_kext_before_restart(op, true, NULL, 0, err)))
		return rc;
	d->env = MX_ENV_OFF;
	d->recovery_entry = MX_RECOVERY_NONE;
	d->recovery_authenticated = false;
	if ((rc = eng_save(op, err)))
		return rc;
	return mx_op_event(op, "user", from == MX_ENV_MACOS ? "shut down from macOS" :
	    entry == MX_RECOVERY_POWER_BUTTON ? "shut down from recoveryOS (power button)" :
	    "shut down from recoveryOS (software)", "shutdown", err);
}

/* recoveryOS by the power button is what a person does wherever the Mac
 * is: Shut Down (from macOS or either recoveryOS; nothing when it is off),
 * then press and hold the power button until "Loading startup options"
 * (Apple silicon; Command-R at start-up on an Intel Mac).  Both steps are
 * logged.  From software ("restart to recoveryOS") needs a running macOS
 * (or, from off, the start-up key): recoveryOS cannot restart into itself. */
int
mx_op_recovery(mx_op *op, enum mx_recovery_entry entry, mx_err *err)
{
	mx_device *d = &op->d;
	int rc;
	if (entry != MX_RECOVERY_POWER_BUTTON && entry != MX_RECOVERY_SOFTWARE)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "recoveryOS is entered with the power"
		    " button or from software");
	if (entry == MX_RECOVERY_POWER_BUTTON) {
		if (d->env != MX_ENV_OFF && (rc = mx_op_shutdown(op, err)))
			return rc;
	} else if (d->env == MX_ENV_RECOVERY) {
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is already in recoveryOS; restart"
		    " first, or shut down and press and hold the power button (--via power-button)",
		    d->name);
	} else if (d->env == MX_ENV_MACOS &&
	    (rc = eng_kext_before_restart(op, false, NULL, 0, err))) {
		return rc;
	}
	mx_env_in in = { .now = op->now };
	eng_random32(op, in.random);
	mx_device_boot(d, &in);
	d->env = MX_ENV_RECOVERY;
	d->recovery_entry = entry;
	char what[160];
	snprintf(what, sizeof what, "started recoveryOS (%s)",
	    entry == MX_RECOVERY_POWER_BUTTON ? "power button pressed and held" : "from software");
	if ((rc = eng_save(op, err)))
		return rc;
	return mx_op_event(op, "user", what, "recovery", err);
}
