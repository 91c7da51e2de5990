/*
 * cmd_export.c — `macext device export [NAME] DIR` and `macext device
 * import DIR [--name NAME]`: a device's state as the files a real Mac holds
 * (db.plist, KextPolicy, the AuxKC, bundles, LocalPolicy facts, profiles),
 * and a new device from such files (issue 12 §4; docs/export.md).  The
 * work is src/store/export.c and import.c, run as engine operations
 * (src/engine/export.c); this file is argv and printing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/devstate.h"
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
summary_print(struct mx_cli *cli, const char *verb, const mx_devstate *s, const char *dir)
{
	size_t nrows = 0;
	for (int t = 0; t < MX_KP_NTABLES; t++)
		nrows += s->kp.t[t].n;
	cli_out(cli, "%s %s %s %s\n", verb, s->dev.name, strcmp(verb, "exported") == 0 ? "to" : "from",
	    dir);
	cli_out(cli, "  system extensions: %zu (Library/SystemExtensions/db.plist)\n", s->nsx);
	cli_out(cli, "  KextPolicy rows:   %zu (var/db/SystemPolicyConfiguration/KextPolicy)\n", nrows);
	cli_out(cli, "  kernel extensions: %d\n", s->nkexts);
	cli_out(cli, "  profiles:          %zu\n", s->nprofiles);
	cli_out(cli, "  bundles and files: %zu\n", s->nfiles);
	cli_out(cli, "  LocalPolicy:       %s\n", s->has_lp ? "yes" : "none (Intel)");
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
	mx_op *op;
	mx_devstate s;
	bool valid = true;
	/* a write op: the LocalPolicy may be made at first use, and is kept */
	if ((rc = cli_op(cli, MX_OP_WRITE, &op, err)))
		return rc;
	if ((rc = mx_op_devstate(op, &s, &valid, err))) {
		mx_op_abort(op);
		return rc;
	}
	if ((rc = mx_op_commit(op, err)) == 0)
		rc = mx_engine_devstate_export(cli->eng, &s, dir, err);
	if (rc == 0) {
		if (cli->json)
			cli_json_print(cli, summary_json(&s, dir));
		else if (!cli->quiet) {
			summary_print(cli, "exported", &s, dir);
			if (!valid)
				cli_out(cli, "  note: the LocalPolicy's signature does not verify on this Mac;"
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
	if ((rc = mx_engine_devstate_read(cli->eng, argv[1], name, &s, err)))
		return rc;
	if (serial)
		snprintf(s.dev.serial, sizeof s.dev.serial, "%s", serial);
	int64_t id = 0;
	rc = mx_engine_devstate_import(cli->eng, &s, &id, err);
	if (rc == 0) {
		if (cli->json)
			cli_json_print(cli, summary_json(&s, argv[1]));
		else if (!cli->quiet) {
			summary_print(cli, "imported", &s, argv[1]);
			if (!s.sidecar)
				cli_out(cli, "  note: no macext/device.plist: a new %s Mac running macOS of"
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
