/*
 * cmd_kext.c — kernel extensions on the simulated Mac as installers and
 * users drive them: `macext kext install|list|remove|auxkc` and `macext
 * approve kext` (System Settings' Allow), over the engine
 * (src/engine/kext*.c).  A bundle is imported once before the
 * transaction: copied into the content store and verified from the stored
 * copy, for the device's architecture and trust anchor.
 * Spec: kernel-extensions.md §2-§3, §5-§7.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

static int
kext_install(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	mx_verify_opts vo = { .check_expiration = arg_flag(&argc, argv, "--check-expiration") };
	int rc = arg_check(argc, argv, 1, 1, "macext kext install PATH.kext [--check-expiration]",
	    err);
	if (rc || (rc = cli_store(cli, err)))
		return rc;
	mx_kext_import imp;
	mx_engine_import_kext_opts(cli->eng, argv[1], cli->device_name, &vo, &imp);
	mx_op *op;
	mx_kext k;
	if ((rc = cli_op(cli, MX_OP_WRITE, &op, err)) ||
	    (rc = cli_end(op, mx_op_kext_install(op, &imp, &k, err), err)))
		return rc;
	if (cli->quiet)
		return 0;
	if (cli->json) {
		json_t *j;
		if ((rc = mx_json_kext_installed(&j, &k, err)) == 0 &&
		    (rc = cli_expiry_json(j, &imp.expired, err)))
			json_decref(j);
		return cli_json(cli, rc, &j);
	}
	cli_out(cli, "installed %s %s at %s (signature: %s)\n", k.bundle_id, k.version, k.path,
	    mx_kext_sig_name(k.sig));
	cli_expiry_print(cli, &imp.expired);
	return 0;
}

static int
kext_list(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext kext list [--json]", err);
	mx_op *op;
	if (rc || (rc = cli_op(cli, MX_OP_READ, &op, err)))
		return rc;
	mx_kext *all;
	int n;
	if ((rc = cli_end(op, mx_op_kexts(op, &all, &n, err), err)))
		return rc;
	if (cli->json) {
		json_t *arr = json_array();
		for (int i = 0; i < n && rc == 0; i++) {
			json_t *j;
			if ((rc = mx_json_kext(&j, &all[i], err)) == 0)
				json_array_append_new(arr, j);
		}
		if (rc)
			json_decref(arr);
		else
			cli_json_print(cli, arr);
	} else {
		for (int i = 0; i < n; i++)
			cli_out(cli, "%-40s %-10s %-12s %-18s %-26s %-8s%s\n", all[i].bundle_id,
			    all[i].team_id[0] ? all[i].team_id : "-", all[i].version,
			    mx_kext_sig_name(all[i].sig), mx_kext_state_name(all[i].state),
			    mx_kext_approval_name(all[i].approval), all[i].in_auxkc ? " (in AuxKC)" : "");
	}
	free(all);
	return rc;
}

/* ---- kext remove: an uninstaller deleting the bundle ---- */

static int
kext_remove(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 1, 1, "macext kext remove BUNDLE_ID|PATH", err);
	mx_op *op;
	if (rc || (rc = cli_op(cli, MX_OP_WRITE, &op, err)))
		return rc;
	char what[600];
	if ((rc = cli_end(op, mx_op_kext_remove(op, argv[1], what, sizeof what, err), err)))
		return rc;
	cli_out(cli, "%s\n", what);
	return 0;
}

/* ---- kext auxkc: copy the device's AuxKC out (for other readers) ---- */

static int
kext_auxkc(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *out = arg_value(&argc, argv, "--out");
	int rc = arg_check(argc, argv, 0, 0, "macext kext auxkc --out FILE", err);
	if (rc)
		return rc;
	if (out == NULL)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "usage: macext kext auxkc --out FILE");
	mx_op *op;
	uint8_t *buf;
	size_t len;
	if ((rc = cli_op(cli, MX_OP_READ, &op, err)) ||
	    (rc = cli_end(op, mx_op_auxkc(op, &buf, &len, err), err)))
		return rc;
	if (buf == NULL)
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s: no auxiliary kernel collection",
		    "/Library/KernelCollections/AuxiliaryKernelExtensions.kc");
	FILE *f = fopen(out, "wb");
	if (f == NULL || fwrite(buf, 1, len, f) != len) {
		if (f)
			fclose(f);
		free(buf);
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", out, strerror(errno));
	}
	fclose(f);
	free(buf);
	return 0;
}

static const cli_verb kext_verbs_v[] = {
	{ "install", kext_install, CLI_ACT },
	{ "list", kext_list, CLI_LIST },
	{ "remove", kext_remove, CLI_ACT },
	{ "uninstall", kext_remove, CLI_ACT },
	{ "auxkc", kext_auxkc, CLI_ACT },
};
const cli_verbs kext_verbs = CLI_VERBS("kext", kext_verbs_v,
    "macext kext install|list|remove|auxkc ...");

int
cmd_kext(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return cli_dispatch(cli, &kext_verbs, argc, argv, err);
}

/* ---- approve kext ID --as USER:PASSWORD (System Settings, Allow) ---- */

int
cmd_kext_approve(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *cred = arg_value(&argc, argv, "--as");
	int rc = arg_check(argc, argv, 1, 1, "macext approve kext BUNDLE_ID --as USER:PASSWORD", err);
	if (rc)
		return rc;
	if (cred == NULL)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "approving a kernel extension needs --as USER:PASSWORD");
	mx_op *op;
	mx_kext_approve_result r;
	if ((rc = cli_op(cli, MX_OP_WRITE, &op, err)) ||
	    (rc = cli_end(op, mx_op_kext_approve(op, argv[1], cred, &r, err), err)))
		return rc;
	cli_out(cli, "allowed system software from developer \"%s\" (%d extension%s)%s\n",
	    r.kext.developer_name, r.napproved, r.napproved == 1 ? "" : "s",
	    r.kext.state == MX_KEXT_AWAITING_RESTART ?
	    "; a restart is required before it can be used" : "");
	return 0;
}
