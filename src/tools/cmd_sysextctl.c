/*
 * cmd_sysextctl.c — `systemextensionsctl` as on macOS (system-extensions.md
 * §3.5, §5): `list [category]` in its exact format (count line, "---"
 * category headers, tab-separated columns, `*` markers, "(short/bundle)"
 * versions, "[state with spaces]"), `developer [on|off]`, `reset` and
 * `uninstall <teamId> <bundleId>` (all three refused while SIP is enabled
 * with the three-line message, exit 0, before looking at their
 * arguments), and `gc`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysext_int.h"

static void
usage(void)
{
	fputs("systemextensionsctl: usage:\n"
	    "\tsystemextensionsctl developer [on|off]\n"
	    "\tsystemextensionsctl list [category]\n"
	    "\tsystemextensionsctl reset  - reset all System Extensions state\n"
	    "\tsystemextensionsctl uninstall <teamId> <bundleId>; can also accept '-' for teamID\n"
	    "\tsystemextensionsctl gc\n", stderr);
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
print_list(const mx_sx_rec *recs, size_t n, const char *only, mx_version os)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		if (only == NULL || strcmp(recs[i].category, only) == 0)
			count++;
	if (only)
		printf("Category: %s\n", only);
	printf("%zu extension(s)\n", count);
	/* categories in order of their first record, records in creation order [INF Q9] */
	bool *done = mx_xcalloc(n ? n : 1, sizeof *done);
	for (size_t i = 0; i < n; i++) {
		if (done[i] || (only && strcmp(recs[i].category, only) != 0))
			continue;
		char header[512];
		sx_category_header(header, sizeof header, recs[i].category, os);
		printf("%s\n", header);
		printf("enabled\tactive\tteamID\tbundleID (version)\tname\t[state]\n");
		for (size_t k = i; k < n; k++) {
			const mx_sx_rec *r = &recs[k];
			if (done[k] || strcmp(r->category, recs[i].category) != 0)
				continue;
			done[k] = true;
			char st[96];
			state_words(st, sizeof st, r->state);
			printf("%s\t%s\t%s\t%s (%s/%s)\t%s\t[%s]\n", mx_sx_state_enabled(r->state) ? "*" : "",
			    mx_sx_state_active(r->state) ? "*" : "", r->team_id[0] ? r->team_id : "-",
			    r->identifier, r->short_version, r->version, r->name, st);
		}
	}
	free(done);
}

static int
ctl_list(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	if (argc > 3) {
		usage();
		return -64;
	}
	mx_device d;
	int rc = cli_begin_device(cli, &d, err);
	if (rc)
		return rc;
	mx_sx_rec *recs;
	size_t n;
	if ((rc = mx_store_sysext_load(cli->st, d.id, &recs, &n, err)) ||
	    (rc = cli_commit(cli, err)))
		return rc;
	print_list(recs, n, argc == 3 ? argv[2] : NULL, d.os);
	free(recs);
	return 0;
}

/* The SIP gate of developer, reset and uninstall: checked first. */
static int
sip_gate(struct mx_cli *cli, mx_device *d, bool *refused, mx_err *err)
{
	int rc = cli_begin_device(cli, d, err);
	if (rc)
		return rc;
	*refused = mx_device_sip_enabled(d);
	if (*refused) {
		fputs(sip_refusal, stdout);
		mx_store_rollback(cli->st);
	}
	return 0;
}

static int
ctl_developer(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	mx_device d;
	bool refused;
	int rc = sip_gate(cli, &d, &refused, err);
	if (rc || refused)
		return rc;
	if (argc > 3 || (argc == 3 && strcmp(argv[2], "on") && strcmp(argv[2], "off"))) {
		mx_store_rollback(cli->st);
		usage();
		return -64;
	}
	struct sx s;
	if ((rc = sx_load(&s, cli, &d, err)))
		return rc;
	if (argc == 3) {
		bool on = strcmp(argv[2], "on") == 0;
		if (on != s.devmode) {
			s.devmode = on;
			if ((rc = mx_store_sysext_settings_set(cli->st, d.id, on, s.boot_uuid, err)) ||
			    (rc = sx_event(&s, "systemextensionsctl", "systemextensionsctl developer", err,
			    "system extension developer mode turned %s", on ? "on" : "off")))
				goto out;
		}
	}
	if ((rc = cli_commit(cli, err)))
		goto out;
	printf("Developer mode is %s\n", s.devmode ? "on" : "off");
out:
	sx_free(&s);
	return rc;
}

/* Drops every matching record at once (uninstall, reset). */
static int
drop_records(struct sx *s, const char *team, const char *bundle, const char *why, size_t *count,
    mx_err *err)
{
	int rc = 0;
	*count = 0;
	for (size_t i = 0; i < s->n && rc == 0; i++) {
		mx_sx_rec *r = &s->recs[i];
		if (bundle && (strcmp(r->identifier, bundle) != 0 ||
		    strcmp(strcmp(team, "-") == 0 ? "" : team, r->team_id) != 0))
			continue;
		(*count)++;
		if ((rc = sx_withdraw_alerts(s, r->identifier, err)) == 0)
			rc = sx_move(s, r, MX_SXE_RESET, why, err);
	}
	return rc;
}

static int
ctl_reset(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	mx_device d;
	bool refused;
	int rc = sip_gate(cli, &d, &refused, err);
	if (rc || refused)
		return rc;
	struct sx s;
	if ((rc = sx_load(&s, cli, &d, err)))
		return rc;
	size_t count;
	if ((rc = drop_records(&s, NULL, NULL, "systemextensionsctl reset", &count, err)) == 0 &&
	    (rc = sx_event(&s, "systemextensionsctl", "systemextensionsctl reset", err,
	    "all system extension state reset (%zu record(s))", count)) == 0)
		rc = cli_commit(cli, err);
	sx_free(&s);
	return rc;
}

static int
ctl_uninstall(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	mx_device d;
	bool refused;
	int rc = sip_gate(cli, &d, &refused, err);
	if (rc || refused)
		return rc;      /* the SIP check comes before the arguments (R21) */
	if (argc != 4) {
		mx_store_rollback(cli->st);
		usage();
		return -64;
	}
	struct sx s;
	if ((rc = sx_load(&s, cli, &d, err)))
		return rc;
	size_t count;
	char why[600];
	snprintf(why, sizeof why, "systemextensionsctl uninstall %s %s", argv[2], argv[3]);
	if ((rc = drop_records(&s, argv[2], argv[3], why, &count, err)))
		goto out;
	if (count == 0) {
		rc = MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "no system extension %s %s", argv[2],
		    argv[3]);
		goto out;
	}
	rc = cli_commit(cli, err);
out:
	sx_free(&s);
	return rc;
}

/* gc: records whose staged copy is gone, and pending records whose app is
 * gone; a valid terminated record stays for the reboot (§3.5). */
static int
ctl_gc(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	mx_device d;
	int rc = cli_begin_device(cli, &d, err);
	if (rc)
		return rc;
	struct sx s;
	if ((rc = sx_load(&s, cli, &d, err)))
		return rc;
	size_t cleaned = 0;
	for (size_t i = 0; i < s.n && rc == 0; i++) {
		mx_sx_rec *r = &s.recs[i];
		mx_err e;
		mx_err_clear(&e);
		bool staged = mx_store_file_get(cli->st, d.id, r->staged_path, NULL, &e) == 0;
		bool app = mx_store_file_get(cli->st, d.id, r->container, NULL, &e) == 0 ||
		    strncmp(r->container, "/Applications/", 14) != 0;
		if (staged && (app || r->state != MX_SX_WAITING_FOR_USER))
			continue;
		if ((rc = sx_withdraw_alerts(&s, r->identifier, err)) ||
		    (rc = sx_move(&s, r, MX_SXE_RESET, "systemextensionsctl gc", err)))
			break;
		cleaned++;
	}
	if (rc == 0)
		rc = cli_commit(cli, err);
	for (size_t i = 0; rc == 0 && i < cleaned; i++)
		printf("Successfully cleaned up\n");
	sx_free(&s);
	return rc;
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
	usage();
	return -64;
}
