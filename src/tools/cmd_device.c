/*
 * cmd_device.c — `macext device create|list|show|delete`: the simulated
 * Macs of a state directory (DESIGN.md "device" JSON fields).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

#define CREATE_USAGE "macext device create NAME [--arch arm64|x86_64] [--os VERSION]" \
	" [--sip on|off] [--admin USER:PASSWORD]... [--user USER:PASSWORD]... [--serial SERIAL]" \
	" [--trust-anchor CERT.pem]"

static int
add_users(struct mx_cli *cli, mx_device *d, const char **creds, int n, bool admin, mx_err *err)
{
	for (int i = 0; i < n; i++) {
		const char *colon = strchr(creds[i], ':');
		if (colon == NULL || colon == creds[i])
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s takes USER:PASSWORD, got '%s'",
			    admin ? "--admin" : "--user", creds[i]);
		char name[64];
		snprintf(name, sizeof name, "%.*s", (int)(colon - creds[i]), creds[i]);
		cli_random(cli);
		int rc = mx_device_add_user(d, name, colon + 1, admin, cli->in.random, err);
		if (rc)
			return rc;
	}
	return 0;
}

static bool
valid_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 63)
		return false;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') && !(*s >= '0' && *s <= '9')
		    && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
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
	const char *name = argv[1];
	if (!valid_name(name))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "bad device name '%s': use letters, digits, '-', '_' and '.' (at most 63)", name);
	enum mx_arch arch = MX_ARCH_ARM64;
	mx_version os = { 15, 1, 0 };
	if (arch_s && (rc = mx_arch_parse(&arch, arch_s, err)))
		return rc;
	if (os_s && (rc = mx_version_parse(&os, os_s, err)))
		return rc;
	if (arch == MX_ARCH_ARM64 && os.major < 11)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "macOS %s does not run on Apple silicon (11.0 or later)", os_s);
	if (sip_s && strcmp(sip_s, "on") && strcmp(sip_s, "off"))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--sip takes on or off, got '%s'", sip_s);
	if (nadmins + nusers > MX_MAX_USERS)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "at most %d users", MX_MAX_USERS);

	mx_device d;
	mx_device_init(&d, name, arch, os, &cli->in);
	if (serial) {
		if (strlen(serial) < 8 || strlen(serial) > 14)
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
			    "bad serial '%s': 8 to 14 characters", serial);
		snprintf(d.serial, sizeof d.serial, "%s", serial);
	}
	if (sip_s && strcmp(sip_s, "off") == 0) {
		d.csr = MX_CSR_DISABLE_FLAGS;
		if (arch == MX_ARCH_ARM64)
			d.policy = MX_SEC_PERMISSIVE;   /* SIP off on Apple silicon means Permissive */
	}
	if (nadmins == 0 && nusers == 0) {
		static const char *def = "admin:admin";
		if ((rc = add_users(cli, &d, &def, 1, true, err)))
			return rc;
	}
	if ((rc = add_users(cli, &d, admins, nadmins, true, err)) ||
	    (rc = add_users(cli, &d, users, nusers, false, err)))
		return rc;
	if ((rc = cli_store(cli, err)) || (rc = mx_store_begin(cli->st, err)))
		return rc;
	if (anchor) {
		FILE *f = fopen(anchor, "r");
		char head[64] = "";
		if (f == NULL)
			return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s: cannot read", anchor);
		size_t n = fread(head, 1, sizeof head - 1, f);
		fclose(f);
		head[n] = '\0';
		if (strstr(head, "-----BEGIN CERTIFICATE-----") == NULL)
			return MX_FAIL(err, MX_EFORMAT, 0, "%s: not a PEM certificate", anchor);
		if ((rc = mx_cas_put_tree(cli->st, anchor, d.trust_anchor, err)))
			return rc;
	}
	if ((rc = mx_store_device_insert(cli->st, &d, err)))
		return rc;
	char what[128], os_str[16];
	mx_version_str(d.os, os_str, sizeof os_str);
	snprintf(what, sizeof what, "device created: %s, macOS %s", mx_arch_name(d.arch), os_str);
	if ((rc = cli_event(cli, &d, "macext", what, "device create", err)) ||
	    (rc = cli_commit(cli, err)))
		return rc;
	if (cli->json)
		cli_json_print(cli_device_json(&d));
	else
		cli_device_print(stdout, &d);
	return 0;
}

struct list_ctx { json_t *arr; int n; };

static int
list_one(const mx_device *d, void *arg)
{
	struct list_ctx *lc = arg;
	if (lc->arr) {
		json_array_append_new(lc->arr, cli_device_json(d));
	} else {
		char os[16];
		mx_version_str(d->os, os, sizeof os);
		printf("%-20s %-7s %-8s %-12s SIP %-8s %-10s %s\n", d->name, mx_arch_name(d->arch),
		    os, d->serial, mx_device_sip_enabled(d) ? "enabled" : "disabled",
		    mx_enroll_name(d->enroll), mx_env_name(d->env));
	}
	lc->n++;
	return 0;
}

static int
device_list(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext device list [--json]", err);
	if (rc || (rc = cli_store(cli, err)))
		return rc;
	struct list_ctx lc = { cli->json ? json_array() : NULL, 0 };
	if (!cli->json)
		printf("%-20s %-7s %-8s %-12s %-12s %-10s %s\n", "NAME", "ARCH", "MACOS", "SERIAL",
		    "SIP", "MDM", "RUNNING");
	rc = mx_store_device_each(cli->st, list_one, &lc, err);
	if (cli->json) {
		if (rc == 0)
			cli_json_print(lc.arr);
		else
			json_decref(lc.arr);
	}
	return rc;
}

static int
device_show(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 1, "macext device show [NAME] [--json]", err);
	if (rc || (rc = cli_store(cli, err)))
		return rc;
	mx_device d;
	if ((rc = mx_store_device_load(cli->st, argc > 1 ? argv[1] : cli->device_name, &d, err)))
		return rc;
	if (cli->json)
		cli_json_print(cli_device_json(&d));
	else
		cli_device_print(stdout, &d);
	return 0;
}

static int
device_delete(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 1, 1, "macext device delete NAME", err);
	if (rc || (rc = cli_store(cli, err)) || (rc = mx_store_begin(cli->st, err)))
		return rc;
	mx_device d;
	if ((rc = mx_store_device_load(cli->st, argv[1], &d, err)) ||
	    (rc = cli_event(cli, &d, "macext", "device deleted", "device delete", err)) ||
	    (rc = mx_store_device_delete(cli->st, d.id, err)) ||
	    (rc = cli_commit(cli, err)))
		return rc;
	if (!cli->json)
		printf("deleted %s\n", d.name);
	else
		cli_json_print(json_pack("{s:s, s:b}", "name", d.name, "deleted", 1));
	return 0;
}

int
cmd_device(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	static const struct { const char *name; mx_cmd_fn fn; } sub[] = {
		{ "create", device_create }, { "list", device_list },
		{ "show", device_show }, { "delete", device_delete },
		{ "export", cmd_device_export }, { "import", cmd_device_import },   /* cmd_export.c */
	};
	if (argc < 2)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "usage: macext device create|list|show|delete|export|import");
	for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++)
		if (strcmp(argv[1], sub[i].name) == 0)
			return sub[i].fn(cli, argc - 1, argv + 1, err);
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "unknown device command '%s'", argv[1]);
}
