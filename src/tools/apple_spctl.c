/*
 * apple_spctl.c — `spctl kext-consent`: the Intel kext user-consent switch
 * and its Team ID allow-list, kept in NVRAM (not in KextPolicy), changeable
 * only in recoveryOS (kernel-extensions.md §2.5).  Outside recoveryOS a
 * change fails with "spctl: failed to store new configuration.", as
 * captured on 10.14.6.  On Apple silicon the commands store the same state
 * but it has no effect: the LocalPolicy is the mechanism there [INF, Q5].
 * The list output format is not captured anywhere [INF, Q4].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

#define FAILED_STORE "spctl: failed to store new configuration."

static void
usage(struct mx_cli *cli)
{
	cli_etext(cli, "System Policy Kernel Extension User Consent\n"
	    "Usage: spctl kext-consent <action>\n"
	    "    status\n        Print whether kernel extension user consent is enabled or disabled.\n"
	    "Modifications only available in Recovery OS:\n"
	    "    enable\n        Require user consent for kernel extensions.\n"
	    "    disable\n        Do not require user consent for kernel extensions.\n"
	    "    add <team-id>\n        Insert a new Team Identifier into the list allowed to load "
	    "kernel extensions without user consent.\n"
	    "    list\n        Print the list of Team Identifiers allowed to load without user "
	    "consent.\n"
	    "    remove <team-id>\n        Remove a Team Identifier from the list allowed to load "
	    "kernel extensions without user consent.\n");
}

int
apple_spctl(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	if (argc < 2 || strcmp(argv[1], "kext-consent") != 0) {
		cli_errf(cli, "spctl: only the kext-consent command is implemented by macext\n");
		usage(cli);
		return cli_tool_fail(cli, 1, err);
	}
	if (argc < 3) {
		usage(cli);
		return cli_tool_fail(cli, 1, err);
	}
	static const struct { const char *name; enum mx_consent_action act; bool team; } acts[] = {
		{ "enable", MX_CONSENT_ENABLE, false }, { "disable", MX_CONSENT_DISABLE, false },
		{ "add", MX_CONSENT_ADD, true }, { "remove", MX_CONSENT_REMOVE, true },
		{ "status", 0, false }, { "list", 0, false },
	};
	const char *act = argv[2];
	size_t k;
	for (k = 0; k < sizeof acts / sizeof acts[0]; k++)
		if (strcmp(act, acts[k].name) == 0)
			break;
	if (k == sizeof acts / sizeof acts[0] || argc != (acts[k].team ? 4 : 3)) {
		usage(cli);
		return cli_tool_fail(cli, 1, err);
	}
	bool query = strcmp(act, "status") == 0 || strcmp(act, "list") == 0;
	mx_op *op;
	int rc = cli_op(cli, query ? MX_OP_READ : MX_OP_WRITE, &op, err);
	if (rc)
		return rc;
	if (query) {
		mx_kext_consent_state c;
		if ((rc = cli_end(op, mx_op_kext_consent_get(op, &c, err), err)))
			return rc;
		if (strcmp(act, "status") == 0) {
			cli_out(cli, "Kernel Extension User Consent: %s\n", c.enabled ? "ENABLED" :
			    "DISABLED");
		} else {
			cli_out(cli, "Allowed Team Identifiers:\n");
			for (int i = 0; i < c.nteams; i++)
				cli_out(cli, "%s\n", c.teams[i]);
		}
		return 0;
	}
	if ((rc = mx_op_kext_consent_set(op, acts[k].act, acts[k].team ? argv[3] : NULL, err))) {
		/* outside recoveryOS the refusal is logged; a bad Team ID is not */
		bool refused = mx_op_finished(op);
		mx_op_abort(op);
		if (refused)
			cli_errf(cli, FAILED_STORE "\n");
		else
			cli_errf(cli, "spctl: %s\n", err->msg);
		return cli_tool_fail(cli, 1, err);
	}
	if ((rc = mx_op_commit(op, err)))
		return rc;
	if (acts[k].act == MX_CONSENT_ENABLE || acts[k].act == MX_CONSENT_DISABLE)
		cli_out(cli, "Kernel Extension User Consent: %s\nPlease restart for changes to take"
		    " effect.\n", acts[k].act == MX_CONSENT_ENABLE ? "ENABLED" : "DISABLED");
	return 0;
}
