/*
 * cmd_alerts.c — what the user sees and does: `macext alerts` (the dialogs
 * and notices on screen now), `macext approve sysext|kext` (System
 * Settings' Allow button, handled by the extension modules) and `macext
 * log` (the device's append-only event log).
 */
#include <stdio.h>
#include <string.h>

#include "tools.h"

int
cli_alert(struct mx_cli *cli, const mx_device *d, const char *kind, const char *subject,
    const char *title, const char *text, const char *actions_json, mx_err *err)
{
	int rc = mx_store_alert_remove(cli->st, d->id, kind, subject, err);
	if (rc)
		return rc;
	mx_alert a;
	memset(&a, 0, sizeof a);
	snprintf(a.kind, sizeof a.kind, "%s", kind);
	snprintf(a.subject, sizeof a.subject, "%s", subject ? subject : "");
	snprintf(a.title, sizeof a.title, "%s", title);
	snprintf(a.text, sizeof a.text, "%s", text);
	snprintf(a.actions, sizeof a.actions, "%s", actions_json ? actions_json : "[\"OK\"]");
	a.time = cli->in.now;
	return mx_store_alert_add(cli->st, d->id, &a, err);
}

struct alerts_ctx { json_t *arr; int n; };

static int
alert_one(const mx_alert *a, void *arg)
{
	struct alerts_ctx *c = arg;
	c->n++;
	json_t *actions = json_loads(a->actions, 0, NULL);
	if (actions == NULL)
		actions = json_array();
	if (c->arr) {
		json_array_append_new(c->arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o}",
		    "id", (json_int_t)a->id, "kind", a->kind, "subject", a->subject,
		    "title", a->title, "text", a->text, "actions", actions));
		return 0;
	}
	printf("[%lld] %s\n    %s\n    ", (long long)a->id, a->title, a->text);
	size_t i;
	json_t *v;
	json_array_foreach(actions, i, v)
		printf("%s[%s]", i ? " " : "", json_string_value(v));
	printf("\n");
	json_decref(actions);
	return 0;
}

int
cmd_alerts(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext alerts [--json]", err);
	mx_device d;
	if (rc || (rc = cli_begin_device(cli, &d, err)))
		return rc;
	struct alerts_ctx c = { cli->json ? json_array() : NULL, 0 };
	rc = mx_store_alert_each(cli->st, d.id, alert_one, &c, err);
	cli_rollback(cli);
	if (cli->json) {
		if (rc == 0)
			cli_json_print(c.arr);
		else
			json_decref(c.arr);
	} else if (rc == 0 && c.n == 0) {
		printf("no alerts on %s\n", d.name);
	}
	return rc;
}

int
cmd_approve(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	if (argc >= 2 && strcmp(argv[1], "sysext") == 0)
		return cmd_sysext_approve(cli, argc - 1, argv + 1, err);
	if (argc >= 2 && strcmp(argv[1], "kext") == 0)
		return cmd_kext_approve(cli, argc - 1, argv + 1, err);
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
	    "usage: macext approve sysext|kext BUNDLE_ID --as USER:PASSWORD");
}

struct log_ctx { json_t *arr; };

static int
log_one(const mx_event *e, void *arg)
{
	struct log_ctx *c = arg;
	if (c->arr) {
		json_array_append_new(c->arr, json_pack("{s:I, s:I, s:s, s:s, s:s}", "id",
		    (json_int_t)e->id, "time", (json_int_t)e->time, "actor", e->actor, "what", e->what,
		    "why", e->why));
		return 0;
	}
	printf("%6lld  %-10s %s  (%s)\n", (long long)e->id, e->actor, e->what, e->why);
	return 0;
}

int
cmd_log(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext log [--json]", err);
	mx_device d;
	if (rc || (rc = cli_begin_device(cli, &d, err)))
		return rc;
	struct log_ctx c = { cli->json ? json_array() : NULL };
	rc = mx_store_event_each(cli->st, d.id, log_one, &c, err);
	cli_rollback(cli);
	if (cli->json) {
		if (rc == 0)
			cli_json_print(c.arr);
		else
			json_decref(c.arr);
	}
	return rc;
}
