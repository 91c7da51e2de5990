/*
 * apple_spctl.c — `spctl kext-consent`: the Intel kext user-consent switch
 * and its Team ID allow-list, kept in NVRAM (not in KextPolicy), changeable
 * only in recoveryOS (kernel-extensions.md §2.5).  Outside recoveryOS a
 * change fails with "spctl: failed to store new configuration.", as
 * captured on 10.14.6.  On Apple silicon the commands store the same state
 * but it has no effect: the LocalPolicy is the mechanism there [INF, Q5].
 * The list output format is not captured anywhere [INF, Q4].
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot_tools.h"

#define FAILED_STORE "spctl: failed to store new configuration."
#define MAX_TEAMS 64

static void
usage(FILE *f)
{
	fputs("System Policy Kernel Extension User Consent\n"
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
	    "kernel extensions without user consent.\n", f);
}

static bool
valid_team(const char *s)
{
	if (strlen(s) != 10)
		return false;
	for (; *s; s++)
		if (!isupper((unsigned char)*s) && !isdigit((unsigned char)*s))
			return false;
	return true;
}

static int
store_teams(struct mx_cli *cli, const mx_device *d, char **teams, int n, mx_err *err)
{
	char buf[MAX_TEAMS * 11 + 1] = "";
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(buf, " ");
		strcat(buf, teams[i]);
	}
	return mx_store_kv_set(cli->st, d->id, "nvram.kext-allowed-teams", buf, err);
}

int
apple_spctl(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	if (argc < 2 || strcmp(argv[1], "kext-consent") != 0) {
		fputs("spctl: only the kext-consent command is implemented by macext\n", stderr);
		usage(stderr);
		return -1;
	}
	if (argc < 3) {
		usage(stderr);
		return -1;
	}
	const char *act = argv[2];
	bool needs_team = strcmp(act, "add") == 0 || strcmp(act, "remove") == 0;
	bool known = needs_team || strcmp(act, "status") == 0 || strcmp(act, "list") == 0
	    || strcmp(act, "enable") == 0 || strcmp(act, "disable") == 0;
	if (!known || argc != (needs_team ? 4 : 3)) {
		usage(stderr);
		return -1;
	}
	mx_device d;
	int rc = cli_begin_device(cli, &d, err);
	if (rc)
		return rc;
	bool enabled;
	char *teams[MAX_TEAMS];
	int n = 0;
	/* read the NVRAM state as stored, whatever the architecture */
	char *v = NULL;
	if ((rc = mx_store_kv_get(cli->st, d.id, "nvram.kext-consent", &v, err)))
		return rc;
	enabled = v == NULL || strcmp(v, "disabled") != 0;
	free(v);
	v = NULL;
	if ((rc = mx_store_kv_get(cli->st, d.id, "nvram.kext-allowed-teams", &v, err)))
		return rc;
	if (v) {
		char *save = NULL;
		for (char *t = strtok_r(v, " ", &save); t && n < MAX_TEAMS; t = strtok_r(NULL, " ", &save))
			teams[n++] = mx_xstrdup(t);
		free(v);
	}
	if (strcmp(act, "status") == 0 || strcmp(act, "list") == 0) {
		rc = cli_commit(cli, err);
		if (rc == 0 && strcmp(act, "status") == 0)
			printf("Kernel Extension User Consent: %s\n", enabled ? "ENABLED" : "DISABLED");
		else if (rc == 0) {
			printf("Allowed Team Identifiers:\n");
			for (int i = 0; i < n; i++)
				printf("%s\n", teams[i]);
		}
		boot_consent_free(teams, n);
		return rc;
	}
	char what[96];
	snprintf(what, sizeof what, "spctl kext-consent %s%s%s", act, needs_team ? " " : "",
	    needs_team ? argv[3] : "");
	if (d.env != MX_ENV_RECOVERY) {
		boot_consent_free(teams, n);
		mx_err_clear(err);
		MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET, "modifications are only available in Recovery OS");
		boot_refuse(cli, &d, "spctl", what, err);
		mx_err_clear(err);
		fprintf(stderr, FAILED_STORE "\n");
		return -1;
	}
	if (needs_team && !valid_team(argv[3])) {
		boot_consent_free(teams, n);
		cli_rollback(cli);
		fprintf(stderr, "spctl: invalid Team Identifier '%s'\n", argv[3]);
		return -1;
	}
	if (strcmp(act, "enable") == 0 || strcmp(act, "disable") == 0) {
		enabled = strcmp(act, "enable") == 0;
		rc = mx_store_kv_set(cli->st, d.id, "nvram.kext-consent", enabled ? "enabled" : "disabled",
		    err);
	} else if (strcmp(act, "add") == 0) {
		int i;
		for (i = 0; i < n; i++)
			if (strcmp(teams[i], argv[3]) == 0)
				break;
		if (i == n && n < MAX_TEAMS)
			teams[n++] = mx_xstrdup(argv[3]);
		rc = store_teams(cli, &d, teams, n, err);
	} else {
		int o = 0;
		for (int i = 0; i < n; i++) {
			if (strcmp(teams[i], argv[3]) == 0)
				free(teams[i]);
			else
				teams[o++] = teams[i];
		}
		n = o;
		rc = store_teams(cli, &d, teams, n, err);
	}
	boot_consent_free(teams, n);
	if (rc || (rc = cli_event(cli, &d, "spctl", what,
	    d.arch == MX_ARCH_ARM64 ? "NVRAM written in recoveryOS (no effect on Apple silicon)"
	    : "NVRAM written in recoveryOS; takes effect at the next restart", err))
	    || (rc = cli_commit(cli, err)))
		return rc;
	if (strcmp(act, "enable") == 0 || strcmp(act, "disable") == 0)
		printf("Kernel Extension User Consent: %s\nPlease restart for changes to take effect.\n",
		    enabled ? "ENABLED" : "DISABLED");
	return 0;
}
