/*
 * cmd_sysextctl.c — `systemextensionsctl` as on macOS (system-extensions.md
 * §3.5, §5): `list [category]` in its exact format (count line, "---"
 * category headers, tab-separated columns, `*` markers, "(short/bundle)"
 * versions, "[state with spaces]"), `developer [on|off]`, `reset` and
 * `uninstall <teamId> <bundleId>` (all three refused while SIP is enabled
 * with the three-line message, exit 0, before looking at their
 * arguments), and `gc`, over the engine's operations (src/engine/sysext.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

static void
usage(struct mx_cli *cli)
{
	cli_etext(cli, "systemextensionsctl: usage:\n"
	    "\tsystemextensionsctl developer [on|off]\n"
	    "\tsystemextensionsctl list [category]\n"
	    "\tsystemextensionsctl reset  - reset all System Extensions state\n"
	    "\tsystemextensionsctl uninstall <teamId> <bundleId>; can also accept '-' for teamID\n"
	    "\tsystemextensionsctl gc\n");
}

static const char sip_refusal[] =
    "At this time, this tool cannot be used if System Integrity Protection is enabled.\n"
    "This limitation will be removed in the near future.\n"
    "Please remember to re-enable System Integrity Protection!\n";

/* the list columns: state with '_' -> ' ' */
static void
state_words(char *out, size_t len, enum mx_sx_state st)
{
	snprintf(out, len, "%s", mx_sx_state_name(st));
	for (char *p = out; *p; p++)
		if (*p == '_')
			*p = ' ';
}

static void
print_list(struct mx_cli *cli, const mx_sx_rec *recs, size_t n, const char *only, mx_version os)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		if (only == NULL || strcmp(recs[i].category, only) == 0)
			count++;
	if (only)
		cli_out(cli, "Category: %s\n", only);
	cli_out(cli, "%zu extension(s)\n", count);
	/* categories in order of their first record, records in creation order [INF Q9] */
	bool *done = mx_xcalloc(n ? n : 1, sizeof *done);
	for (size_t i = 0; i < n; i++) {
		if (done[i] || (only && strcmp(recs[i].category, only) != 0))
			continue;
		char header[512];
		mx_sysext_category_header(header, sizeof header, recs[i].category, os);
		cli_out(cli, "%s\n", header);
		cli_out(cli, "enabled\tactive\tteamID\tbundleID (version)\tname\t[state]\n");
		for (size_t k = i; k < n; k++) {
			const mx_sx_rec *r = &recs[k];
			if (done[k] || strcmp(r->category, recs[i].category) != 0)
				continue;
			done[k] = true;
			char st[96];
			state_words(st, sizeof st, r->state);
			cli_out(cli, "%s\t%s\t%s\t%s (%s/%s)\t%s\t[%s]\n", mx_sx_state_enabled(r->state) ? "*" : "",
			    mx_sx_state_active(r->state) ? "*" : "", r->team_id[0] ? r->team_id : "-",
			    r->identifier, r->short_version, r->version, r->name, st);
		}
	}
	free(done);
}

/* The usage error: exit 64 (EX_USAGE), as macOS's tool. */
static int
usage_fail(struct mx_cli *cli, mx_err *err)
{
	usage(cli);
	return cli_tool_fail(cli, 64, err);
}

static int
ctl_list(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	if (argc > 3)
		return usage_fail(cli, err);
	mx_op *op;
	int rc = cli_op(cli, MX_OP_READ, &op, err);
	if (rc)
		return rc;
	mx_version os = mx_op_device(op)->os;
	mx_sx_rec *recs;
	size_t n;
	if ((rc = cli_end(op, mx_op_sysexts(op, &recs, &n, err), err)))
		return rc;
	print_list(cli, recs, n, argc == 3 ? argv[2] : NULL, os);
	free(recs);
	return 0;
}

/* The SIP gate of developer, reset and uninstall: checked first; the
 * refusal is the tool's three lines on stdout and exit 0. */
static int
sip_gate(struct mx_cli *cli, mx_op **op, bool *refused, mx_err *err)
{
	int rc = cli_op(cli, MX_OP_WRITE, op, err);
	if (rc)
		return rc;
	*refused = mx_device_sip_enabled(mx_op_device(*op));
	if (*refused) {
		cli_text(cli, sip_refusal);
		mx_op_abort(*op);
		*op = NULL;
	}
	return 0;
}

static int
ctl_developer(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	mx_op *op;
	bool refused;
	int rc = sip_gate(cli, &op, &refused, err);
	if (rc || refused)
		return rc;
	if (argc > 3 || (argc == 3 && strcmp(argv[2], "on") && strcmp(argv[2], "off"))) {
		mx_op_abort(op);
		return usage_fail(cli, err);
	}
	bool on = argc == 3 && strcmp(argv[2], "on") == 0, now;
	if ((rc = cli_end(op, mx_op_sysext_developer(op, argc == 3 ? &on : NULL, &now, err), err)))
		return rc;
	cli_out(cli, "Developer mode is %s\n", now ? "on" : "off");
	return 0;
}

static int
ctl_reset(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	mx_op *op;
	bool refused;
	int rc = sip_gate(cli, &op, &refused, err);
	if (rc || refused)
		return rc;
	return cli_end(op, mx_op_sysext_reset(op, NULL, err), err);
}

static int
ctl_uninstall(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	mx_op *op;
	bool refused;
	int rc = sip_gate(cli, &op, &refused, err);
	if (rc || refused)
		return rc;      /* the SIP check comes before the arguments (R21) */
	if (argc != 4) {
		mx_op_abort(op);
		return usage_fail(cli, err);
	}
	return cli_end(op, mx_op_sysext_uninstall(op, argv[2], argv[3], err), err);
}

/* gc: records whose staged copy is gone, and pending records whose app is
 * gone; a valid terminated record stays for the reboot (§3.5). */
static int
ctl_gc(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	mx_op *op;
	int rc = cli_op(cli, MX_OP_WRITE, &op, err);
	if (rc)
		return rc;
	size_t cleaned = 0;
	if ((rc = cli_end(op, mx_op_sysext_gc(op, &cleaned, err), err)))
		return rc;
	for (size_t i = 0; i < cleaned; i++)
		cli_out(cli, "Successfully cleaned up\n");
	return 0;
}

int
apple_systemextensionsctl(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	/* argv[0] is the tool; macext's own --json does not apply here */
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return ctl_list(cli, argc, argv, err);
	if (argc >= 2 && strcmp(argv[1], "developer") == 0)
		return ctl_developer(cli, argc, argv, err);
	if (argc >= 2 && strcmp(argv[1], "reset") == 0)
		return ctl_reset(cli, argc, argv, err);
	if (argc >= 2 && strcmp(argv[1], "uninstall") == 0)
		return ctl_uninstall(cli, argc, argv, err);
	if (argc >= 2 && strcmp(argv[1], "gc") == 0)
		return ctl_gc(cli, argc, argv, err);
	return usage_fail(cli, err);
}
