/*
 * cmd_device.c — `macext device create|list|show|delete`: the simulated
 * Macs of a state directory (DESIGN.md "device" JSON fields), over
 * mx_engine_device_* (src/engine/device.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

#define CREATE_USAGE "macext device create NAME [--arch arm64|x86_64] [--os VERSION]" \
	" [--sip on|off] [--admin USER:PASSWORD]... [--user USER:PASSWORD]... [--serial SERIAL]" \
	" [--trust-anchor CERT.pem]"

/* "USER:PASSWORD" strings into user specs (names copied into names[]). */
static int
parse_users(mx_user_spec *out, char (*names)[64], int *n, const char **creds, int nc, bool admin,
    mx_err *err)
{
	for (int i = 0; i < nc; i++) {
		const char *colon = strchr(creds[i], ':');
		if (colon == NULL || colon == creds[i])
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s takes USER:PASSWORD, got '%s'",
			    admin ? "--admin" : "--user", creds[i]);
		snprintf(names[*n], 64, "%.*s", (int)(colon - creds[i]), creds[i]);
		out[*n] = (mx_user_spec){ names[*n], colon + 1, NULL, admin };
		(*n)++;
	}
	return 0;
}

static int
device_create(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *arch_s = arg_value(&argc, argv, "--arch");
	const char *os_s = arg_value(&argc, argv, "--os");
	const char *sip_s = arg_value(&argc, argv, "--sip");
	const char *serial = arg_value(&argc, argv, "--serial");
	const char *anchor = arg_value(&argc, argv, "--trust-anchor");
	const char *admins[MX_MAX_USERS], *users[MX_MAX_USERS];
	int nadmins = arg_values(&argc, argv, "--admin", admins, MX_MAX_USERS);
	int nusers = arg_values(&argc, argv, "--user", users, MX_MAX_USERS);
	int rc = arg_check(argc, argv, 1, 1, CREATE_USAGE, err);
	if (rc)
		return rc;
	/* the checks in their old order: name, arch, os, sip, user count, serial, users */
	mx_device_spec spec = { .name = argv[1], .arch = MX_ARCH_ARM64, .os = { 15, 1, 0 },
		.random = cli->in.random };
	mx_user_spec users_spec[2 * MX_MAX_USERS];
	char names[2 * MX_MAX_USERS][64];
	int nspec = 0;
	if ((rc = mx_engine_device_spec_check(&spec, err)))
		return rc;
	if (arch_s && (rc = mx_arch_parse(&spec.arch, arch_s, err)))
		return rc;
	if (os_s && (rc = mx_version_parse(&spec.os, os_s, err)))
		return rc;
	if (spec.arch == MX_ARCH_ARM64 && spec.os.major < 11)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "macOS %s does not run on Apple silicon (11.0 or later)", os_s);
	if (sip_s && strcmp(sip_s, "on") && strcmp(sip_s, "off"))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--sip takes on or off, got '%s'", sip_s);
	if (nadmins + nusers > MX_MAX_USERS)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "at most %d users", MX_MAX_USERS);
	spec.serial = serial;
	if ((rc = mx_engine_device_spec_check(&spec, err)) ||
	    (rc = parse_users(users_spec, names, &nspec, admins, nadmins, true, err)) ||
	    (rc = parse_users(users_spec, names, &nspec, users, nusers, false, err)))
		return rc;
	spec.nusers = nspec;
	spec.users = users_spec;
	spec.sip_off = sip_s && strcmp(sip_s, "off") == 0;
	char anchor_hash[65];
	if ((rc = cli_store(cli, err)))
		return rc;
	if (anchor) {
		if ((rc = cli_import_anchor(cli, anchor, anchor_hash, err)))
			return rc;
		spec.trust_anchor = anchor_hash;
	}
	mx_device d;
	if ((rc = mx_engine_device_create(cli->eng, &spec, &d, err)))
		return rc;
	return cli_device_out(cli, &d, err);
}

static int
list_one(const mx_device *d, void *arg)
{
	struct mx_cli *cli = arg;
	char os[16];
	mx_version_str(d->os, os, sizeof os);
	cli_out(cli, "%-20s %-7s %-8s %-12s SIP %-8s %-10s %s\n", d->name, mx_arch_name(d->arch),
	    os, d->serial, mx_device_sip_enabled(d) ? "enabled" : "disabled",
	    mx_enroll_name(d->enroll), mx_env_name(d->env));
	return 0;
}

static int
device_list(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext device list [--json]", err);
	if (rc || (rc = cli_store(cli, err)))
		return rc;
	if (cli->json) {
		/* each device with its summary: the items of GET /api/v1/devices */
		json_t *arr;
		if ((rc = mx_engine_device_list(cli->eng, NULL, NULL, 0, &arr, err)) == 0)
			cli_json_print(cli, arr);
		return rc;
	}
	cli_out(cli, "%-20s %-7s %-8s %-12s %-12s %-10s %s\n", "NAME", "ARCH", "MACOS",
	    "SERIAL", "SIP", "MDM", "RUNNING");
	return mx_engine_device_each(cli->eng, list_one, cli, err);
}

static int
device_show(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 1, "macext device show [NAME] [--json]", err);
	if (rc || (rc = cli_store(cli, err)))
		return rc;
	mx_device d;
	if ((rc = mx_engine_device_get(cli->eng, argc > 1 ? argv[1] : cli->device_name, &d, err)))
		return rc;
	return cli_device_out(cli, &d, err);
}

static int
device_delete(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 1, 1, "macext device delete NAME", err);
	mx_device d;
	if (rc || (rc = cli_store(cli, err)) ||
	    (rc = mx_engine_device_delete(cli->eng, argv[1], &d, err)))
		return rc;
	if (!cli->json) {
		cli_out(cli, "deleted %s\n", d.name);
		return 0;
	}
	json_t *j;
	if ((rc = mx_json_device(&j, &d, err)))
		return rc;
	json_t *name = json_incref(json_object_get(j, "name"));
	json_decref(j);
	json_t *o = json_object();
	json_object_set_new(o, "name", name);
	json_object_set_new(o, "deleted", json_true());
	cli_json_print(cli, o);
	return 0;
}

static const cli_verb device_verbs_v[] = {
	{ "create", device_create, CLI_ACT },
	{ "list", device_list, CLI_LIST },
	{ "show", device_show, CLI_SHOW },
	{ "delete", device_delete, CLI_ACT },
	{ "export", cmd_device_export, CLI_ACT },
	{ "import", cmd_device_import, CLI_ACT },
};
const cli_verbs device_verbs = CLI_VERBS("device", device_verbs_v,
    "macext device create|list|show|delete|export|import");

int
cmd_device(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return cli_dispatch(cli, &device_verbs, argc, argv, err);
}
