/*
 * cmd_export.c — `macext device export [NAME] DIR` and `macext device
 * import DIR [--name NAME]`: a device's state as the files a real Mac holds
 * (db.plist, KextPolicy, the AuxKC, bundles, LocalPolicy facts, profiles),
 * and a new device from such files (issue 12 §4; docs/export.md).  The
 * work is src/store/export.c and import.c, functions over values; this file
 * is argv, the transaction around the gathering, and printing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/devstate.h"
#include "boot_tools.h"
#include "tools.h"

#define EXPORT_USAGE "macext device export [NAME] DIR"
#define IMPORT_USAGE "macext device import DIR [--name NAME] [--serial SERIAL]"

static json_t *
summary_json(const mx_devstate *s, const char *dir)
{
	size_t nrows = 0;
	for (int t = 0; t < MX_KP_NTABLES; t++)
		nrows += s->kp.t[t].n;
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:b, s:b}", "name", s->dev.name,
	    "dir", dir, "arch", mx_arch_name(s->dev.arch), "system_extensions", (json_int_t)s->nsx,
	    "kext_policy_rows", (json_int_t)nrows, "kernel_extensions", (json_int_t)s->nkexts,
	    "profiles", (json_int_t)s->nprofiles, "files", (json_int_t)s->nfiles,
	    "local_policy", s->has_lp, "sidecar", s->sidecar);
}

static void
summary_print(const char *verb, const mx_devstate *s, const char *dir)
{
	size_t nrows = 0;
	for (int t = 0; t < MX_KP_NTABLES; t++)
		nrows += s->kp.t[t].n;
	printf("%s %s %s %s\n", verb, s->dev.name, strcmp(verb, "exported") == 0 ? "to" : "from",
	    dir);
	printf("  system extensions: %zu (Library/SystemExtensions/db.plist)\n", s->nsx);
	printf("  KextPolicy rows:   %zu (var/db/SystemPolicyConfiguration/KextPolicy)\n", nrows);
	printf("  kernel extensions: %d\n", s->nkexts);
	printf("  profiles:          %zu\n", s->nprofiles);
	printf("  bundles and files: %zu\n", s->nfiles);
	printf("  LocalPolicy:       %s\n", s->has_lp ? "yes" : "none (Intel)");
}

static int
device_export(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 1, 2, EXPORT_USAGE, err);
	if (rc)
		return rc;
	const char *dir = argv[argc - 1];
	if (argc == 3)
		cli->device_name = argv[1];
	mx_device d;
	if ((rc = cli_begin_device(cli, &d, err)))
		return rc;
	mx_localpolicy lp;
	bool valid = true;
	if (d.arch == MX_ARCH_ARM64 && (rc = boot_lp_load(cli, &d, &lp, &valid, err))) {
		cli_rollback(cli);
		return rc;
	}
	mx_devstate s;
	if ((rc = mx_devstate_gather(cli->st, &d, d.arch == MX_ARCH_ARM64 ? &lp : NULL, &s, err))) {
		cli_rollback(cli);
		return rc;
	}
	/* the LocalPolicy may have been made at first use: keep it */
	if ((rc = cli_commit(cli, err)) == 0)
		rc = mx_devstate_export(cli->st, &s, dir, err);
	if (rc == 0) {
		if (cli->json)
			cli_json_print(summary_json(&s, dir));
		else if (!cli->quiet) {
			summary_print("exported", &s, dir);
			if (!valid)
				printf("  note: the LocalPolicy's signature does not verify on this Mac;"
				    " its facts are exported as they are\n");
		}
	}
	mx_devstate_free(&s);
	return rc;
}

static int
device_import(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *name = arg_value(&argc, argv, "--name");
	const char *serial = arg_value(&argc, argv, "--serial");
	int rc = arg_check(argc, argv, 1, 1, IMPORT_USAGE, err);
	if (rc)
		return rc;
	if (serial) {
		bool ok = serial[0] && strlen(serial) < sizeof ((mx_device *)0)->serial;
		for (const char *c = serial; ok && *c; c++)
			ok = (*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z');
		if (!ok)
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--serial %s: expected up to 31 letters"
			    " and digits", serial);
	}
	if ((rc = cli_store(cli, err)))
		return rc;
	mx_devstate s;
	if ((rc = mx_devstate_read(cli->st, argv[1], name, &s, err)))
		return rc;
	if (serial)
		snprintf(s.dev.serial, sizeof s.dev.serial, "%s", serial);
	uint8_t random[96];
	for (int i = 0; i < 3; i++) {
		cli_random(cli);
		memcpy(random + 32 * i, cli->in.random, 32);
	}
	int64_t id = 0;
	rc = mx_devstate_import(cli->st, &s, cli->in.now, random, &id, err);
	if (rc == 0) {
		if (cli->json)
			cli_json_print(summary_json(&s, argv[1]));
		else if (!cli->quiet) {
			summary_print("imported", &s, argv[1]);
			if (!s.sidecar)
				printf("  note: no macext/device.plist: a new %s Mac running macOS of"
				    " SystemVersion.plist, administrator admin:admin, not enrolled\n",
				    s.dev.arch == MX_ARCH_ARM64 ? "Apple silicon" : "Intel");
		}
	}
	mx_devstate_free(&s);
	return rc;
}

int
cmd_device_export(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return device_export(cli, argc, argv, err);
}

int
cmd_device_import(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return device_import(cli, argc, argv, err);
}
