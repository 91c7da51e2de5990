/*
 * fleet_run.c — one CLI line run in-process, and device filters.
 *
 * `macext fleet apply` and the crash driver call the very command functions
 * main() dispatches to, with cli->device_name set per device and the engine
 * opened once, instead of starting a process per device.  The exit code is
 * the one the CLI would return (Apple tools' own codes included).
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"

static const struct { const char *name; mx_cmd_fn fn; bool apple; } cmds[] = {
	{ "device", cmd_device, false },       { "restart", cmd_restart, false },
	{ "shutdown", cmd_shutdown, false },   { "recovery", cmd_recovery, false },
	{ "security", cmd_security, false },   { "mdm", cmd_mdm, false },
	{ "profiles", cmd_profiles, false },   { "app", cmd_app, false },
	{ "sysext", cmd_sysext, false },       { "kext", cmd_kext, false },
	{ "alerts", cmd_alerts, false },       { "approve", cmd_approve, false },
	{ "codesign", cmd_codesign, false },   { "log", cmd_log, false },
	{ "systemextensionsctl", apple_systemextensionsctl, true },
	{ "kmutil", apple_kmutil, true },      { "spctl", apple_spctl, true },
	{ "csrutil", apple_csrutil, true },    { "bputil", apple_bputil, true },
	{ "kextstat", apple_kextstat, true },  { "kextload", apple_kextload, true },
	{ "kextunload", apple_kextunload, true },
};

int
fleet_run(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	mx_err_clear(err);
	if (argc < 1)
		return mx_exit_code(MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "empty command"));
	mx_cmd_fn fn = NULL;
	bool apple = false;
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(argv[0], cmds[i].name) == 0) {
			fn = cmds[i].fn;
			apple = cmds[i].apple;
		}
	if (fn == NULL)
		return mx_exit_code(MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "unknown command '%s'", argv[0]));
	const char *prog = cli->prog;
	cli->prog = apple ? argv[0] : "macext";
	cli->printed = false;
	cli->said[0] = '\0';
	int rc = cli_finish(cli, fn(cli, argc, argv, err), err);
	cli->prog = prog;
	/* every verb ends its op (commit or abort): no transaction is left open */
	return cli_status(rc, err);
}

/* ---- filters ---- */

enum term_kind { T_NAME, T_ARCH, T_OS, T_ENROLL, T_SIP, T_ENV, T_SECURITY, T_ALERT };
enum term_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

struct fleet_term {
	enum term_kind kind;
	enum term_op op;
	char value[128];
	mx_version v;
	int vparts;             /* components given in os=V */
};

static int
parse_term(struct fleet_term *t, const char *s, mx_err *err)
{
	static const struct { const char *key; enum term_kind kind; } keys[] = {
		{ "name", T_NAME }, { "arch", T_ARCH }, { "os", T_OS }, { "enroll", T_ENROLL },
		{ "sip", T_SIP }, { "env", T_ENV }, { "security", T_SECURITY }, { "alert", T_ALERT },
	};
	memset(t, 0, sizeof *t);
	size_t kl = strcspn(s, "=!<>");
	if (s[kl] == '\0') {            /* a bare glob names devices */
		t->kind = T_NAME;
		snprintf(t->value, sizeof t->value, "%s", s);
		return 0;
	}
	size_t k;
	for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
		if (strlen(keys[k].key) == kl && strncmp(keys[k].key, s, kl) == 0)
			break;
	if (k == sizeof keys / sizeof keys[0])
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "filter term '%s': unknown key '%.*s'"
		    " (name, arch, os, enroll, sip, env, security, alert)", s, (int)kl, s);
	t->kind = keys[k].kind;
	const char *o = s + kl;
	if (strncmp(o, ">=", 2) == 0) t->op = OP_GE, o += 2;
	else if (strncmp(o, "<=", 2) == 0) t->op = OP_LE, o += 2;
	else if (strncmp(o, "!=", 2) == 0) t->op = OP_NE, o += 2;
	else if (*o == '>') t->op = OP_GT, o++;
	else if (*o == '<') t->op = OP_LT, o++;
	else if (*o == '=') t->op = OP_EQ, o++;
	else
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "filter term '%s': expected =, !=, <, <=,"
		    " > or >=", s);
	if (t->op != OP_EQ && t->op != OP_NE && t->kind != T_OS)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "filter term '%s': only os compares"
		    " with < and >", s);
	snprintf(t->value, sizeof t->value, "%s", o);
	if (t->kind == T_OS) {
		int rc = mx_version_parse(&t->v, o, err);
		if (rc) {
			mx_err_where(err, "filter term '%s'", s);
			return rc;
		}
		t->vparts = 1;
		for (const char *p = o; *p; p++)
			t->vparts += *p == '.';
	}
	return 0;
}

int
fleet_filter_parse(fleet_filter *out, const char *spec, mx_err *err)
{
	memset(out, 0, sizeof *out);
	if (spec == NULL || *spec == '\0')
		return 0;
	out->t = mx_xcalloc(FLEET_MAX_TERMS, sizeof *out->t);
	char buf[1024];
	snprintf(buf, sizeof buf, "%s", spec);
	char *save = NULL;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (out->n == FLEET_MAX_TERMS) {
			fleet_filter_free(out);
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "filter: at most %d terms",
			    FLEET_MAX_TERMS);
		}
		int rc = parse_term(&out->t[out->n], tok, err);
		if (rc) {
			fleet_filter_free(out);
			return rc;
		}
		out->needs_alerts |= out->t[out->n].kind == T_ALERT;
		out->n++;
	}
	return 0;
}

void
fleet_filter_free(fleet_filter *f)
{
	free(f->t);
	memset(f, 0, sizeof *f);
}

/* value is "a|b|c": does s equal one of them? */
static bool
one_of(const char *value, const char *s)
{
	size_t sl = strlen(s);
	for (const char *p = value; *p; ) {
		size_t l = strcspn(p, "|");
		if (l == sl && strncmp(p, s, l) == 0)
			return true;
		p += l;
		if (*p == '|')
			p++;
	}
	return false;
}

struct alert_find { const char *kind; bool found; };

static int
alert_is(const mx_alert *a, void *arg)
{
	struct alert_find *af = arg;
	if (one_of(af->kind, a->kind)) {
		af->found = true;
		return 1;
	}
	return 0;
}

static bool
os_match(const struct fleet_term *t, mx_version os)
{
	mx_version a = os;
	if (t->op == OP_EQ || t->op == OP_NE) {
		/* os=14 matches every 14.x, os=14.5 every 14.5.x */
		if (t->vparts < 3)
			a.patch = t->v.patch;
		if (t->vparts < 2)
			a.minor = t->v.minor;
	}
	int c = mx_version_cmp(a, t->v);
	switch (t->op) {
	case OP_EQ: return c == 0;
	case OP_NE: return c != 0;
	case OP_LT: return c < 0;
	case OP_LE: return c <= 0;
	case OP_GT: return c > 0;
	case OP_GE: return c >= 0;
	}
	return false;
}

int
fleet_filter_match(const fleet_filter *f, mx_store *st, const mx_device *d, bool *out,
    mx_err *err)
{
	*out = true;
	for (int i = 0; i < f->n && *out; i++) {
		const struct fleet_term *t = &f->t[i];
		bool m = false;
		switch (t->kind) {
		case T_NAME: m = fnmatch(t->value, d->name, 0) == 0; break;
		case T_ARCH: m = one_of(t->value, mx_arch_name(d->arch)); break;
		case T_OS: m = os_match(t, d->os); break;
		case T_ENROLL: m = one_of(t->value, mx_enroll_name(d->enroll)); break;
		case T_SIP: m = one_of(t->value, mx_device_sip_enabled(d) ? "on" : "off"); break;
		case T_ENV: m = one_of(t->value, mx_env_name(d->env)); break;
		case T_SECURITY: m = one_of(t->value, mx_secpolicy_name(d->policy)); break;
		case T_ALERT: {
			struct alert_find af = { t->value, false };
			int rc = mx_store_alert_each(st, d->id, alert_is, &af, err);
			if (rc && !af.found)
				return rc;
			m = af.found;
			break;
		}
		}
		if (t->op == OP_NE && t->kind != T_OS)
			m = !m;
		*out = m;
	}
	return 0;
}
