/*
 * cmd_profiles.c — installed configuration profiles: `macext profiles
 * list|show|policy|install|remove` (`validate` is cmd_validate.c) and Apple's
 * `profiles` tool, over the engine (src/engine/profiles.c: reading once
 * before the transaction, macOS's delivery rules, the reactions of both
 * extension modules).  System Settings asks an administrator to install or
 * remove a profile by hand; a refusal leaves only its event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/profile.h"
#include "macext/text.h"
#include "tools.h"

struct list_ctx { struct mx_cli *cli; json_t *arr; int n; mx_err *err; };

static int
list_one(const mx_profile_row *r, void *arg)
{
	struct list_ctx *lc = arg;
	lc->n++;
	if (lc->arr) {
		json_t *j;
		int rc = mx_json_profile(&j, r, NULL, lc->err);
		if (rc)
			return rc;
		json_array_append_new(lc->arr, j);
		return 0;
	}
	cli_out(lc->cli, "%-48s %-6s %s\n", r->identifier, r->source, r->payload_types);
	return 0;
}

static int
profiles_list(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext profiles list [--json]", err);
	mx_op *op;
	if (rc || (rc = cli_op(cli, MX_OP_READ, &op, err)))
		return rc;
	struct list_ctx lc = { cli, cli->json ? json_array() : NULL, 0, err };
	if (!cli->json)
		cli_out(cli, "%-48s %-6s %s\n", "IDENTIFIER", "FROM", "PAYLOADS");
	if ((rc = cli_end(op, mx_op_profiles_each(op, list_one, &lc, err), err))) {
		json_decref(lc.arr);
		return rc;
	}
	if (cli->json)
		cli_json_print(cli, lc.arr);
	return 0;
}

/* ---- profiles policy: the merged extension policies, readable ---- */

/* The profiles that carry payload type (for the text form's "from" line). */
struct from_ctx { const char *type; char **v; int n, cap; };

static int
from_one(const mx_profile_row *r, void *arg)
{
	struct from_ctx *f = arg;
	/* payload_types is space-separated */
	size_t tl = strlen(f->type);
	for (const char *p = r->payload_types; (p = strstr(p, f->type)) != NULL; p += tl)
		if ((p == r->payload_types || p[-1] == ' ') && (p[tl] == '\0' || p[tl] == ' ')) {
			if (f->n == f->cap) {
				f->cap = f->cap ? f->cap * 2 : 8;
				f->v = mx_xrealloc(f->v, (size_t)f->cap * sizeof *f->v);
			}
			size_t l = strlen(r->identifier) + strlen(r->source) + 4;
			f->v[f->n] = mx_xmalloc(l);
			snprintf(f->v[f->n++], l, "%s (%s)", r->identifier, r->source);
			break;
		}
	return 0;
}

static void
from_free(struct from_ctx *f)
{
	for (int i = 0; i < f->n; i++)
		free(f->v[i]);
	free(f->v);
}

/* One policy key: a boolean, a list of strings, or a dict of lists (Team
 * ID -> bundle ids or extension types). */
static void
policy_key(struct mx_cli *cli, const char *key, json_t *v)
{
	if (json_is_boolean(v)) {
		cli_out(cli, "  %-36s %s\n", key, json_is_true(v) ? "yes" : "no");
	} else if (json_is_array(v)) {
		cli_out(cli, "  %-36s", key);
		size_t i;
		json_t *s;
		json_array_foreach(v, i, s)
			cli_out(cli, "%s%s", i ? ", " : " ", json_string_value(s));
		cli_out(cli, "%s\n", json_array_size(v) ? "" : " (none)");
	} else if (json_is_object(v)) {
		cli_out(cli, "  %s%s\n", key, json_object_size(v) ? ":" : ": (none)");
		const char *team;
		json_t *list;
		json_object_foreach(v, team, list) {
			cli_out(cli, "    %-34s", team);
			size_t i;
			json_t *s;
			json_array_foreach(list, i, s)
				cli_out(cli, "%s%s", i ? ", " : " ", json_string_value(s));
			cli_out(cli, "%s\n", json_array_size(list) ? "" : " (none)");
		}
	}
}

static int
profiles_policy(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	static const struct { const char *name, *type, *title; } parts[] = {
		{ "system_extensions", "com.apple.system-extension-policy", "System extensions" },
		{ "kernel_extensions", "com.apple.syspolicy.kernel-extension-policy",
		  "Kernel extensions" },
	};
	int rc = arg_check(argc, argv, 0, 0, "macext profiles policy [--json]", err);
	mx_op *op;
	if (rc || (rc = cli_op(cli, MX_OP_READ, &op, err)))
		return rc;
	json_t *merged = NULL;
	struct from_ctx from[2] = { { parts[0].type, NULL, 0, 0 }, { parts[1].type, NULL, 0, 0 } };
	rc = mx_op_merged_policy(op, &merged, err);
	for (int i = 0; rc == 0 && !cli->json && i < 2; i++)
		rc = mx_op_profiles_each(op, from_one, &from[i], err);
	if ((rc = cli_end(op, rc, err))) {
		json_decref(merged);
		from_free(&from[0]);
		from_free(&from[1]);
		return rc;
	}
	if (cli->json) {
		cli_json_print(cli, merged);
		return 0;
	}
	for (int i = 0; i < 2; i++) {
		if (i)
			cli_out(cli, "\n");
		cli_out(cli, "%s (%s)\n", parts[i].title, parts[i].type);
		/* one line per profile: each identifier is escaped data */
		if (from[i].n == 0)
			cli_out(cli, "  %-36s %s\n", "from", "no installed profile (the defaults below)");
		for (int k = 0; k < from[i].n; k++)
			cli_out(cli, "  %-36s %s\n", k ? "" : "from", from[i].v[k]);
		const char *key;
		json_t *v;
		json_object_foreach(json_object_get(merged, parts[i].name), key, v)
			policy_key(cli, key, v);
		from_free(&from[i]);
	}
	json_decref(merged);
	return 0;
}

static int
profiles_show(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 1, 1, "macext profiles show IDENTIFIER [--json]", err);
	mx_op *op;
	if (rc || (rc = cli_op(cli, MX_OP_READ, &op, err)))
		return rc;
	mx_profile_row r;
	char *xml = NULL;
	if ((rc = cli_end(op, mx_op_profile_get(op, argv[1], &r, &xml, err), err)))
		return rc;
	if (cli->json) {
		json_t *j;
		rc = cli_json(cli, mx_json_profile(&j, &r, xml, err), &j);
	} else {
		cli_out(cli, "identifier:   %s\nuuid:         %s\nname:         %s\n"
		    "organization: %s\ninstalled by: %s\nsigned by:    %s\npayloads:     %s\n",
		    r.identifier, r.uuid, r.display_name, r.organization, r.source,
		    r.signer[0] ? r.signer : "(unsigned)", r.payload_types);
		if (!cli->quiet)
			mx_text_plist_xml(stdout, xml);
	}
	free(xml);
	return rc;
}

/* Reads and parses a profile file before any transaction. */
static int
import_file(struct mx_cli *cli, const char *path, mx_profile_import *out, mx_err *err)
{
	uint8_t *buf;
	size_t len;
	int rc = cli_read_file(path, MX_PROFILE_MAX_BYTES, &buf, &len, err);
	if (rc)
		return rc;
	if ((rc = cli_store(cli, err)) == 0)
		mx_engine_import_profile(cli->eng, buf, len, path, out);
	free(buf);
	return rc;
}

static int
profiles_install(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *cred = arg_value(&argc, argv, "--as");
	int rc = arg_check(argc, argv, 1, 1, "macext profiles install FILE --as USER:PASSWORD", err);
	mx_profile_import p;
	if (rc || (rc = import_file(cli, argv[1], &p, err)))
		return rc;
	mx_op *op;
	mx_profile_row row;
	if ((rc = cli_op(cli, MX_OP_WRITE, &op, err)) == 0) {
		/* System Settings asks for an administrator to install a device profile. */
		if ((rc = mx_op_auth(op, cred, true, "manual profile install", NULL, err)) == 0)
			rc = mx_op_profile_install(op, &p, MX_VIA_MANUAL, &row, err);
		rc = cli_end(op, rc, err);
	}
	mx_profile_import_free(&p);
	if (rc || cli->quiet)
		return rc;
	if (cli->json) {
		json_t *j;
		return cli_json(cli, mx_json_profile(&j, &row, NULL, err), &j);
	}
	cli_out(cli, "installed %s (%s)%s%s\n", row.identifier, row.payload_types,
	    row.signer[0] ? ", signed by " : "", row.signer);
	return 0;
}

static int
profiles_remove(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *cred = arg_value(&argc, argv, "--as");
	int rc = arg_check(argc, argv, 1, 1, "macext profiles remove IDENTIFIER --as USER:PASSWORD",
	    err);
	mx_op *op;
	if (rc || (rc = cli_op(cli, MX_OP_WRITE, &op, err)))
		return rc;
	if ((rc = cli_end(op, mx_op_profile_remove_by_user(op, argv[1], cred, err), err)))
		return rc;
	if (!cli->json)
		cli_out(cli, "removed %s\n", argv[1]);
	return 0;
}

static const cli_verb profiles_verbs_v[] = {
	{ "list", profiles_list, CLI_LIST },
	{ "show", profiles_show, CLI_SHOW },
	{ "policy", profiles_policy, CLI_SHOW },
	{ "install", profiles_install, CLI_ACT },
	{ "remove", profiles_remove, CLI_ACT },
	{ "validate", cmd_profiles_validate, CLI_SHOW },
};
const cli_verbs profiles_verbs = CLI_VERBS("profiles", profiles_verbs_v,
    "macext profiles list|show|policy|install|remove|validate");

int
cmd_profiles(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return cli_dispatch(cli, &profiles_verbs, argc, argv, err);
}

/* ---- Apple's profiles(1) ---- */

struct apple_list { struct mx_cli *cli; int n; };

static int
apple_list_one(const mx_profile_row *r, void *arg)
{
	struct apple_list *a = arg;
	a->n++;
	cli_out(a->cli, "_computerlevel[%d] attribute: profileIdentifier: %s\n", a->n,
	    r->identifier);
	return 0;
}

int
apple_profiles(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *type = arg_value(&argc, argv, "-type");
	const char *path = arg_value(&argc, argv, "-path");
	const char *ident = arg_value(&argc, argv, "-identifier");
	if (argc < 2)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "usage: profiles list | show | status -type enrollment | install -path FILE |"
		    " remove -identifier ID");
	const char *verb = argv[1];
	bool query = strcmp(verb, "list") == 0 || strcmp(verb, "show") == 0 ||
	    strcmp(verb, "status") == 0;
	mx_op *op;
	int rc;
	if ((rc = cli_op(cli, query ? MX_OP_READ : MX_OP_WRITE, &op, err)))
		return rc;
	const mx_device *d = mx_op_device(op);
	if (strcmp(verb, "list") == 0 || strcmp(verb, "show") == 0) {
		struct apple_list a = { cli, 0 };
		if ((rc = cli_end(op, mx_op_profiles_each(op, apple_list_one, &a, err), err)))
			return rc;
		if (a.n == 0)
			cli_out(cli, "There are no configuration profiles installed\n");
		else
			cli_out(cli, "There are %d configuration profiles installed\n", a.n);
		return 0;
	}
	if (strcmp(verb, "status") == 0) {
		if (type == NULL || strcmp(type, "enrollment") != 0)
			return cli_end(op, MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
			    "usage: profiles status -type enrollment"), err);
		cli_out(cli, "Enrolled via DEP: %s\n", d->enroll == MX_ENROLL_AUTOMATED ? "Yes" : "No");
		cli_out(cli, "MDM enrollment: %s\n", d->enroll == MX_ENROLL_NONE ? "No" :
		    d->user_approved ? "Yes (User Approved)" : "Yes");
		return cli_end(op, 0, err);
	}
	if (strcmp(verb, "install") == 0) {
		/* Since macOS 11 the tool refuses to install configuration profiles. */
		if (mx_version_at_least(d->os, 11, 0, 0))
			return cli_end(op, MX_FAIL_DOM(err, MX_EDENIED, MX_DOM_TOOL, 1,
			    "profiles tool no longer supports installs. Use System %s Profiles to add"
			    " configuration profiles.",
			    mx_version_at_least(d->os, 13, 0, 0) ? "Settings" : "Preferences"), err);
		if (path == NULL)
			return cli_end(op, MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
			    "usage: profiles install -path FILE"), err);
		/* the old tool installs as root: no password dialog */
		mx_op_abort(op);
		mx_profile_import p;
		if ((rc = import_file(cli, path, &p, err)))
			return rc;
		if ((rc = cli_op(cli, MX_OP_WRITE, &op, err)) == 0)
			rc = cli_end(op, mx_op_profile_install(op, &p, MX_VIA_MANUAL, NULL, err), err);
		mx_profile_import_free(&p);
		return rc;
	}
	if (strcmp(verb, "remove") == 0) {
		if (ident == NULL)
			return cli_end(op, MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
			    "usage: profiles remove -identifier ID"), err);
		return cli_end(op, mx_op_profile_remove(op, ident, MX_VIA_MANUAL, err), err);
	}
	return cli_end(op, MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "profiles: unknown verb '%s'",
	    verb), err);
}
