/*
 * cmd_alerts.c — what the user sees and does: `macext alerts` (the dialogs
 * and notices on screen now), `macext approve sysext|kext` (System
 * Settings' Allow, cmd_sysext.c and cmd_kext.c) and `macext log` (the
 * device's append-only event log).  Reads run in read transactions.
 */
#include <stdio.h>
#include <string.h>

#include "macext/text.h"
#include "tools.h"

struct alerts_ctx { struct mx_cli *cli; json_t *arr; int n; mx_err *err; };

static int
alert_one(const mx_alert *a, void *arg)
{
	struct alerts_ctx *c = arg;
	c->n++;
	json_t *j;
	int rc = mx_json_alert(&j, a, c->err);
	if (rc)
		return rc;
	if (c->arr) {
		json_array_append_new(c->arr, j);
		return 0;
	}
	cli_out(c->cli, "[%lld] %s\n    %s\n    ", (long long)a->id, a->title, a->text);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(j, "actions"), i, v)
		cli_out(c->cli, "%s[%s]", i ? " " : "", json_string_value(v));
	cli_out(c->cli, "\n");
	json_decref(j);
	return 0;
}

/* `macext alerts dismiss ID`: the user closes the alert (OK, Not Now, the
 * close box); what it was about stays as it is. */
static int
alerts_dismiss(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 1, 1, "macext alerts dismiss ID [--json]", err);
	if (rc)
		return rc;
	int64_t id;
	if (!mx_parse_i64(argv[1], 1, INT64_MAX, &id))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "alerts dismiss: expected an alert id (the"
		    " number `macext alerts` shows in brackets), got '%.100s'", argv[1]);
	mx_op *op;
	if ((rc = cli_op(cli, MX_OP_WRITE, &op, err)))
		return rc;
	mx_alert a;
	if ((rc = cli_end(op, mx_op_alert_dismiss(op, id, NULL, NULL, &a, err), err)) || cli->quiet)
		return rc;
	json_t *j;
	if ((rc = mx_json_alert(&j, &a, err)))
		return rc;
	if (cli->json) {
		cli_json_print(cli, json_pack("{s:I, s:b, s:o}", "id", (json_int_t)a.id, "dismissed", 1,
		    "alert", j));
		return 0;
	}
	json_decref(j);
	cli_out(cli, "dismissed alert [%lld] %s\n", (long long)a.id, a.title);
	return 0;
}

static const cli_verb alerts_verbs_v[] = {
	{ "dismiss", alerts_dismiss, CLI_ACT },
};
const cli_verbs alerts_verbs = CLI_VERBS("alerts", alerts_verbs_v,
    "macext alerts [--json] | macext alerts dismiss ID [--json]");

int
cmd_alerts(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	if (argc >= 2 && argv[1][0] != '-')
		return cli_dispatch(cli, &alerts_verbs, argc, argv, err);
	int rc = arg_check(argc, argv, 0, 0, "macext alerts [--json] | macext alerts dismiss ID", err);
	mx_op *op;
	if (rc || (rc = cli_op(cli, MX_OP_READ, &op, err)))
		return rc;
	struct alerts_ctx c = { cli, cli->json ? json_array() : NULL, 0, err };
	mx_device d = *mx_op_device(op);
	rc = cli_end(op, mx_op_alerts_each(op, alert_one, &c, err), err);
	if (cli->json) {
		if (rc == 0)
			cli_json_print(cli, c.arr);
		else
			json_decref(c.arr);
	} else if (rc == 0 && c.n == 0) {
		cli_out(cli, "no alerts on %s\n", d.name);
	}
	return rc;
}

static const cli_verb approve_verbs_v[] = {
	{ "sysext", cmd_sysext_approve, CLI_ACT },
	{ "kext", cmd_kext_approve, CLI_ACT },
};
const cli_verbs approve_verbs = CLI_VERBS("approve", approve_verbs_v,
    "macext approve sysext|kext BUNDLE_ID --as USER:PASSWORD");

int
cmd_approve(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return cli_dispatch(cli, &approve_verbs, argc, argv, err);
}

struct log_ctx { struct mx_cli *cli; json_t *arr; mx_err *err; };

static int
log_one(const mx_event *e, void *arg)
{
	struct log_ctx *c = arg;
	if (c->arr) {
		json_t *j;
		int rc = mx_json_event(&j, e, c->err);
		if (rc)
			return rc;
		json_array_append_new(c->arr, j);
		return 0;
	}
	cli_out(c->cli, "%6lld  %-10s %s  (%s)\n", (long long)e->id, e->actor, e->what, e->why);
	return 0;
}

int
cmd_log(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext log [--json]", err);
	mx_op *op;
	if (rc || (rc = cli_op(cli, MX_OP_READ, &op, err)))
		return rc;
	struct log_ctx c = { cli, cli->json ? json_array() : NULL, err };
	rc = cli_end(op, mx_op_events_each(op, log_one, &c, err), err);
	if (cli->json) {
		if (rc == 0)
			cli_json_print(cli, c.arr);
		else
			json_decref(c.arr);
	}
	return rc;
}
