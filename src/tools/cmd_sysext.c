/*
 * cmd_sysext.c — sysextd on a simulated Mac: an app's activation and
 * deactivation requests (`macext sysext activate|deactivate`), the user's
 * Allow in System Settings (`macext approve sysext`), `macext sysext list`,
 * and the hooks through which profile changes, restarts and Finder
 * deletions reach the extensions.  The rules are src/core/sysext*.c; this
 * file gathers facts (bundles, signatures, policy, credentials), applies
 * the core's answers to the store, shows the dialogs and logs each step.
 * Spec: docs/reference/system-extensions.md; choices: docs/sysext.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/bundle.h"
#include "macext/codesign.h"
#include "sysext_int.h"

/* ---- the loaded db.plist ---- */

struct polctx { mx_sxpolicy *pol; mx_err *err; };

static int
add_payload(plist_t payload, const char *profile_id, const char *payload_uuid, void *arg)
{
	struct polctx *c = arg;
	char where[600];
	snprintf(where, sizeof where, "profile %s payload %s", profile_id, payload_uuid);
	return mx_sxpolicy_add_payload(c->pol, payload, where, c->err);
}

int
sx_load(struct sx *s, struct mx_cli *cli, mx_device *d, mx_err *err)
{
	memset(s, 0, sizeof *s);
	s->cli = cli;
	s->d = d;
	s->pol = mx_sxpolicy_new();
	struct polctx pc = { s->pol, err };
	int rc;
	if ((rc = mx_store_sysext_load(cli->st, d->id, &s->recs, &s->n, err)) ||
	    (rc = mx_store_sysext_settings_get(cli->st, d->id, &s->devmode, s->boot_uuid, err)) ||
	    (rc = cli_payloads_each(cli, d, "com.apple.system-extension-policy", add_payload, &pc,
	    err))) {
		sx_free(s);
		return rc < 0 ? MX_EINVALID : rc;
	}
	return 0;
}

void
sx_free(struct sx *s)
{
	free(s->recs);
	mx_sxpolicy_free(s->pol);
	s->recs = NULL;
	s->pol = NULL;
	s->n = 0;
}

int
sx_event(struct sx *s, const char *actor, const char *why, mx_err *err, const char *fmt, ...)
{
	char what[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return cli_event(s->cli, s->d, actor, what, why, err);
}

int
sx_withdraw_alerts(struct sx *s, const char *identifier, mx_err *err)
{
	int rc = mx_store_alert_remove(s->cli->st, s->d->id, "sysext-blocked", identifier, err);
	if (rc == 0)
		rc = mx_store_alert_remove(s->cli->st, s->d->id, "sysext-auth", identifier, err);
	return rc;
}

int
sx_remove(struct sx *s, mx_sx_rec *r, const char *why, mx_err *err)
{
	int rc;
	if (r->staged_path[0] &&
	    (rc = mx_store_file_remove(s->cli->st, s->d->id, r->staged_path, err)) &&
	    rc != MX_ENOTFOUND)
		return rc;
	if ((rc = mx_store_sysext_delete(s->cli->st, s->d->id, r->unique_id, err)))
		return rc;
	enum mx_sx_state to;
	if (r->state == MX_SX_UNINSTALLING && mx_sx_transition(r->state, MX_SXE_REMOVED, &to, NULL) == 0)
		r->state = to;
	return sx_event(s, "sysextd", why, err, "%s (%s) uninstalled: removed %s", r->identifier,
	    r->unique_id, r->staged_path[0] ? r->staged_path : "its record");
}

int
sx_move(struct sx *s, mx_sx_rec *r, enum mx_sx_event ev, const char *why, mx_err *err)
{
	enum mx_sx_state to, from = r->state;
	int rc = mx_sx_transition(from, ev, &to, err);
	if (rc)
		return rc;
	r->state = to;
	if ((rc = sx_event(s, "sysextd", why, err, "%s (%s): advancing state from %s to %s",
	    r->identifier, r->unique_id, mx_sx_state_name(from), mx_sx_state_name(to))))
		return rc;
	if (to == MX_SX_UNINSTALLING)
		return sx_remove(s, r, why, err);
	return mx_store_sysext_put(s->cli->st, s->d->id, r, err);
}

void
sx_category_header(char *buf, size_t len, const char *category, mx_version os)
{
	const char *pane = mx_sx_category_pane(category);
	/* [INF §5.2, Q8] the "(Go to ...)" clause appears with macOS 15 */
	if (pane && mx_version_at_least(os, 15, 0, 0))
		snprintf(buf, len, "--- %s (Go to 'System Settings > General > Login Items & Extensions"
		    " > %s' to modify these system extension(s))", category, pane);
	else
		snprintf(buf, len, "--- %s", category);
}

/* ---- facts about bundles ---- */

static const char *
base_name(const char *p)
{
	const char *b = strrchr(p, '/');
	return b ? b + 1 : p;
}

/* "Developer ID Application: Google LLC (EQHXZ8M8AV)" -> "Google LLC" */
static void
developer_name(char *out, size_t len, const mx_siginfo *si)
{
	const char *s = si->signer;
	const char *c = strchr(s, ':');
	if (c)
		s = c + 1;
	while (*s == ' ')
		s++;
	size_t l = strlen(s);
	const char *paren = strrchr(s, '(');
	if (paren && paren > s)
		l = (size_t)(paren - s);
	while (l > 0 && s[l - 1] == ' ')
		l--;
	if (l == 0)
		snprintf(out, len, "%s", si->team_id[0] ? si->team_id : "an unidentified developer");
	else
		snprintf(out, len, "%.*s", (int)l, s);
}

static bool
sig_valid(const mx_siginfo *si)
{
	return si->kind == MX_SIG_DEVELOPER_ID || si->kind == MX_SIG_DEVELOPER_ID_KEXT ||
	    si->kind == MX_SIG_APPLE;
}

static bool
ent_true(plist_t ents, const char *key)
{
	plist_t n = ents ? plist_dict_get_item(ents, key) : NULL;
	if (n == NULL || plist_get_node_type(n) != PLIST_BOOLEAN)
		return n != NULL && plist_get_node_type(n) == PLIST_ARRAY;
	uint8_t b = 0;
	plist_get_bool_val(n, &b);
	return b != 0;
}

/* The entitlement keys of a signature (at most max), borrowed from a
 * strings buffer owned by the caller. */
struct ents { char *keys[64]; size_t n; };

static void
ents_of(struct ents *e, plist_t dict)
{
	e->n = 0;
	if (dict == NULL || plist_get_node_type(dict) != PLIST_DICT)
		return;
	plist_dict_iter it = NULL;
	plist_dict_new_iter(dict, &it);
	for (;;) {
		char *k = NULL;
		plist_t v = NULL;
		plist_dict_next_item(dict, it, &k, &v);
		if (k == NULL)
			break;
		if (e->n < sizeof e->keys / sizeof e->keys[0])
			e->keys[e->n++] = k;
		else
			free(k);
	}
	free(it);
}

static void
ents_free(struct ents *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->keys[i]);
	e->n = 0;
}

static void
ents_json(char *out, size_t len, const struct ents *e)
{
	json_t *a = json_array();
	for (size_t i = 0; i < e->n; i++)
		json_array_append_new(a, json_string(e->keys[i]));
	char *s = json_dumps(a, JSON_COMPACT);
	snprintf(out, len, "%s", s ? s : "[]");
	free(s);
	json_decref(a);
}

static void
cdhashes_json(char *out, size_t len, const mx_siginfo *si)
{
	json_t *o = json_object();
	for (int i = 0; i < si->narch; i++)
		json_object_set_new(o, si->arch[i].cdhash, json_pack("{s:I, s:I}", "cputype",
		    (json_int_t)si->arch[i].cputype, "cpusubtype", (json_int_t)si->arch[i].cpusubtype));
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(out, len, "%s", s ? s : "{}");
	free(s);
	json_decref(o);
}

/* ---- the alerts ---- */

static int
blocked_alert(struct sx *s, const mx_sx_rec *r, mx_err *err)
{
	char text[1024];
	const char *where, *actions;
	mx_version os = s->d->os;
	if (mx_version_at_least(os, 15, 0, 0)) {
		where = "go to System Settings > General > Login Items & Extensions";
		actions = "[\"Open System Settings\",\"OK\"]";
	} else if (mx_version_at_least(os, 13, 0, 0)) {
		where = "go to System Settings > Privacy & Security";
		actions = "[\"Open System Settings\",\"OK\"]";
	} else {
		where = "open Security & Privacy System Preferences";
		actions = "[\"Open Security Preferences\",\"OK\"]";
	}
	snprintf(text, sizeof text, "A program tried to load new system extension(s) signed by "
	    "\"%s\" (%s). If you want to enable these extensions, %s.", r->developer, r->identifier,
	    where);
	return cli_alert(s->cli, s->d, "sysext-blocked", r->identifier, "System Extension Blocked",
	    text, actions, err);
}

static int
auth_alert(struct sx *s, const mx_sx_rec *r, const char *app_name, mx_err *err)
{
	char title[128], text[1024];
	snprintf(title, sizeof title, "\"%s\" wants to remove a system extension.", app_name);
	snprintf(text, sizeof text, "Removing %s (%s/%s) needs an administrator. Enter an "
	    "administrator's name and password to allow this.", r->identifier, r->short_version,
	    r->version);
	return cli_alert(s->cli, s->d, "sysext-auth", r->identifier, title, text,
	    "[\"Cancel\",\"OK\"]", err);
}

/* ---- activation ---- */

static mx_sx_rec *
live_record(struct sx *s, const char *identifier)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->recs[i].identifier, identifier) == 0 &&
		    mx_sx_state_live(s->recs[i].state))
			return &s->recs[i];
	return NULL;
}

/* Enables r (a validated or waiting record) because approval is present. */
static int
enable(struct sx *s, mx_sx_rec *r, enum mx_sx_event ev, const char *approval, const char *why,
    mx_err *err)
{
	int rc;
	snprintf(r->approval, sizeof r->approval, "%s", approval);
	if ((rc = sx_move(s, r, ev, why, err)) || (rc = sx_move(s, r, MX_SXE_STARTED, why, err)))
		return rc;
	return sx_withdraw_alerts(s, r->identifier, err);
}

/* Puts a validated record through the policy (§2.6 a step 5). */
static int
decide(struct sx *s, mx_sx_rec *r, const char *inherited, const char *why, const char **result,
    mx_err *err)
{
	if (inherited && *inherited)
		return enable(s, r, MX_SXE_POLICY_ALLOWS, inherited, why, err);
	enum mx_sx_verdict v = mx_sx_decide(s->pol, r->team_id, r->identifier, r->category);
	if (v == MX_SXV_ALLOW)
		return enable(s, r, MX_SXE_POLICY_ALLOWS, "mdm", why, err);
	int rc = r->state == MX_SX_WAITING_FOR_USER ? 0 : sx_move(s, r, MX_SXE_NEEDS_USER, why, err);
	if (rc)
		return rc;
	*result = v == MX_SXV_NEEDS_USER ? "needs user approval" :
	    "needs user approval, which MDM forbids (AllowUserOverrides is false)";
	/* [INF §3.3] no Allow button to offer when overrides are off: no dialog */
	if (v == MX_SXV_NEEDS_USER)
		return blocked_alert(s, r, err);
	return mx_store_alert_remove(s->cli->st, s->d->id, "sysext-blocked", r->identifier, err);
}

struct found_ext {
	mx_bundle *b;
	char path[PATH_MAX];
	bool found, has_id, name_ok;
};

static int
find_ext(struct found_ext *fe, const mx_bundle *app, const char *ext_id, mx_err *err)
{
	memset(fe, 0, sizeof *fe);
	for (int i = 0; i < app->nembedded && !fe->found; i++) {
		const char *base = base_name(app->embedded[i]);
		char stem[512];
		snprintf(stem, sizeof stem, "%s", base);
		char *dot = strrchr(stem, '.');
		bool suffix_ok = dot && (strcmp(dot, ".systemextension") == 0 || strcmp(dot, ".dext") == 0);
		if (dot)
			*dot = '\0';
		mx_bundle *b = NULL;
		mx_err e;
		mx_err_clear(&e);
		if (mx_bundle_open(&b, app->embedded[i], &e) != 0) {
			if (strcmp(stem, ext_id) == 0 && (strstr(e.msg, "CFBundleIdentifier") ||
			    strstr(e.where, "CFBundleIdentifier")))
				return mx_sx_fail(err, MX_SXERR_EXTENSION_MISSING_IDENTIFIER, "%s: the "
				    "extension's Info.plist has no usable CFBundleIdentifier", base);
			if (strcmp(stem, ext_id) == 0)
				return mx_sx_fail(err, MX_SXERR_VALIDATION_FAILED, "%s: %s%s%s", base, e.where,
				    e.where[0] ? ": " : "", e.msg);
			continue;
		}
		if (strcmp(b->bundle_id, ext_id) == 0 || (b->bundle_id[0] == '\0' &&
		    strcmp(stem, ext_id) == 0)) {
			fe->b = b;
			fe->found = true;
			fe->has_id = b->bundle_id[0] != '\0';
			fe->name_ok = suffix_ok && strcmp(stem, b->bundle_id) == 0;
			snprintf(fe->path, sizeof fe->path, "%s", app->embedded[i]);
		} else {
			mx_bundle_free(b);
		}
	}
	return 0;
}

/* A refused request leaves only its event (and, for a request of the app, the error). */
static int
request_failed(struct mx_cli *cli, mx_device *d, const char *app_id, const char *kind,
    const char *ext_id, mx_err *err)
{
	char what[700];
	snprintf(what, sizeof what, "%s request for %s from %s failed", kind, ext_id, app_id);
	return cli_refuse(cli, d, app_id, what, err);
}

struct req {
	const char *app_arg, *ext_id;
	char app_id[256], devpath[PATH_MAX], real[PATH_MAX];
	bool in_applications;
	mx_bundle *app;
	struct found_ext fe;
	mx_siginfo asig, esig;
	struct ents ee;
};

static void
req_free(struct req *q)
{
	mx_bundle_free(q->app);
	mx_bundle_free(q->fe.b);
	mx_siginfo_free(&q->asig);
	mx_siginfo_free(&q->esig);
	ents_free(&q->ee);
}

/* Finds the app: a bundle id in /Applications, or a path on this machine
 * (an app run from elsewhere, e.g. ~/Downloads). */
static int
resolve_app(struct req *q, struct mx_cli *cli, mx_device *d, mx_err *err)
{
	int rc;
	if (strchr(q->app_arg, '/')) {
		if (realpath(q->app_arg, q->real) == NULL)
			return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s: no such app", q->app_arg);
		snprintf(q->devpath, sizeof q->devpath, "%s", q->real);
	} else if ((rc = cli_app_find(cli, d, q->app_arg, q->devpath, sizeof q->devpath, q->real,
	    sizeof q->real, err))) {
		return rc;
	}
	q->in_applications = strncmp(q->devpath, "/Applications/", 14) == 0;
	if ((rc = mx_bundle_open(&q->app, q->real, err)))
		return rc;
	snprintf(q->app_id, sizeof q->app_id, "%s", q->app->bundle_id);
	return 0;
}

/* Fleet runs activate the same extension on thousands of Macs: the verdict
 * over a bundle in the state's content-addressed store (whose path names
 * its bytes) is remembered per (path, trust anchor) for the process.  A
 * bundle elsewhere is verified every time. */
#define VERIFY_MEMO 8
static struct { char key[PATH_MAX + 80]; mx_siginfo si; } vmemo[VERIFY_MEMO];
static unsigned vmemo_next;

static void
siginfo_copy(mx_siginfo *dst, const mx_siginfo *src)
{
	*dst = *src;
	dst->entitlements = src->entitlements ? plist_copy(src->entitlements) : NULL;
}

static int
verify(mx_siginfo *si, struct mx_cli *cli, mx_device *d, const char *path)
{
	char anchor[PATH_MAX], cas[PATH_MAX], key[sizeof vmemo[0].key];
	mx_trust trust = { cli_trust_anchor(cli, d, anchor, sizeof anchor), cli->in.now, false };
	snprintf(cas, sizeof cas, "%s/cas/", mx_store_dir(cli->st));
	bool in_cas = strncmp(path, cas, strlen(cas)) == 0;
	snprintf(key, sizeof key, "%s\n%s", path, d->trust_anchor);
	for (int i = 0; in_cas && i < VERIFY_MEMO; i++)
		if (vmemo[i].key[0] && strcmp(vmemo[i].key, key) == 0) {
			siginfo_copy(si, &vmemo[i].si);
			return 0;
		}
	mx_err e;
	mx_err_clear(&e);
	if (mx_codesign_verify_path(si, path, &trust, &e) != 0) {
		si->kind = MX_SIG_INVALID;
		snprintf(si->reason, sizeof si->reason, "%s%s%s", e.where, e.where[0] ? ": " : "", e.msg);
	}
	if (in_cas) {
		unsigned i = vmemo_next++ % VERIFY_MEMO;
		mx_siginfo_free(&vmemo[i].si);
		snprintf(vmemo[i].key, sizeof vmemo[i].key, "%s", key);
		siginfo_copy(&vmemo[i].si, si);
	}
	return 0;
}

static int
sysext_activate(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *on_replace = arg_value(&argc, argv, "--on-replace");
	int rc = arg_check(argc, argv, 2, 2,
	    "macext sysext activate APP_ID|PATH.app EXT_ID [--on-replace replace|cancel]", err);
	if (rc)
		return rc;
	if (on_replace && strcmp(on_replace, "replace") && strcmp(on_replace, "cancel"))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--on-replace takes replace or cancel");
	mx_device d;
	if ((rc = cli_begin_device(cli, &d, err)))
		return rc;
	if (d.env != MX_ENV_MACOS)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is not running macOS", d.name);
	/* seed ¶1 s1: SystemExtensions.framework arrived with 10.15; before it
	 * there is no sysextd and no request to submit (nothing recorded) */
	if (!mx_version_at_least(d.os, 10, 15, 0)) {
		char os[16];
		mx_version_str(d.os, os, sizeof os);
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "system extensions need macOS 10.15 or"
		    " later (%s runs macOS %s: no SystemExtensions framework)", d.name, os);
	}
	struct req q;
	memset(&q, 0, sizeof q);
	mx_sx_rec *nr = NULL;
	q.app_arg = argv[1];
	q.ext_id = argv[2];
	struct sx s;
	if ((rc = resolve_app(&q, cli, &d, err)))
		goto out0;
	if ((rc = sx_load(&s, cli, &d, err)))
		goto out0;
	if ((rc = sx_event(&s, q.app_id, "OSSystemExtensionRequest", err,
	    "client activation request for %s", q.ext_id)))
		goto out;

	/* the checks, in sysextd's order */
	if ((rc = find_ext(&q.fe, q.app, q.ext_id, err)))
		goto refuse;
	mx_sx_facts f = { 0 };
	f.ext_found = q.fe.found;
	f.ext_has_identifier = q.fe.has_id;
	f.ext_name_matches = q.fe.name_ok;
	f.app_in_applications = q.in_applications;
	f.developer_mode = s.devmode;
	f.sip_enabled = mx_device_sip_enabled(&d);
	f.category = "";
	if (q.fe.found) {
		verify(&q.asig, cli, &d, q.real);
		verify(&q.esig, cli, &d, q.fe.path);
		f.app_sig_valid = sig_valid(&q.asig);
		f.ext_sig_valid = sig_valid(&q.esig);
		f.app_sig_reason = q.asig.reason[0] ? q.asig.reason : mx_sigkind_name(q.asig.kind);
		f.ext_sig_reason = q.esig.reason[0] ? q.esig.reason : mx_sigkind_name(q.esig.kind);
		/* an unverifiable signature still names its entitlements (read unverified) */
		plist_t aents = q.asig.entitlements ? q.asig.entitlements : q.app->entitlements;
		plist_t eents = q.esig.entitlements ? q.esig.entitlements : q.fe.b->entitlements;
		f.app_install_entitlement = ent_true(aents,
		    "com.apple.developer.system-extension.install");
		f.app_team = q.asig.team_id;
		f.ext_team = q.esig.team_id;
		f.ext_redistributable = ent_true(eents,
		    "com.apple.developer.system-extension.redistributable");
		ents_of(&q.ee, eents);
		f.entitlements = (const char *const *)q.ee.keys;
		f.nentitlements = q.ee.n;
		f.category = q.fe.b->category;
		f.cat_ent_value_ok = q.fe.b->has_category_entitlement;
		f.has_usage_description = q.fe.b->has_usage_description;
		f.is_dext = q.fe.b->kind == MX_BUNDLE_DEXT;
		f.bundle_version = q.fe.b->version;
	}
	if ((rc = mx_sx_check_request(&f, err)))
		goto refuse;
	if (!q.fe.name_ok) {
		rc = mx_sx_fail(err, MX_SXERR_VALIDATION_FAILED, "the bundle's file name %s is not %s.%s",
		    base_name(q.fe.path), q.ext_id, f.is_dext ? "dext" : "systemextension");
		goto refuse;
	}
	const mx_bundle *eb = q.fe.b;

	/* existing records: no-op, retry, replacement, duplicates */
	mx_sx_exist *ex = mx_xcalloc(s.n ? s.n : 1, sizeof *ex);
	for (size_t i = 0; i < s.n; i++)
		ex[i] = (mx_sx_exist){ s.recs[i].identifier, s.recs[i].team_id, s.recs[i].version,
		    s.recs[i].short_version, s.recs[i].app_id, s.recs[i].state };
	enum mx_sx_plan plan;
	int which;
	rc = mx_sx_plan_request(ex, s.n, q.ext_id, q.esig.team_id, q.app_id, eb->version,
	    eb->short_version, s.devmode, !on_replace || strcmp(on_replace, "cancel") != 0, &plan,
	    &which, err);
	free(ex);
	if (rc)
		goto refuse;
	const char *why = "activation request";
	const char *result = "completed";
	mx_sx_rec *r = NULL;
	if (plan == MX_SXP_NOOP) {
		r = &s.recs[which];
		if ((rc = sx_event(&s, "sysextd", why, err, "%s %s/%s is already %s: nothing to replace",
		    r->identifier, r->short_version, r->version, mx_sx_state_name(r->state))))
			goto out;
	} else if (plan == MX_SXP_RETRY) {
		r = &s.recs[which];
		if ((rc = sx_event(&s, "sysextd", why, err, "the pending activation request for %s is "
		    "superseded: " "OSSystemExtensionErrorDomain error 12 (requestSuperseded)",
		    r->identifier)) ||
		    (rc = decide(&s, r, NULL, why, &result, err)))
			goto out;
	} else {
		nr = mx_xcalloc(1, sizeof *nr);
		r = nr;
		cli_uuid(cli, nr->unique_id);
		snprintf(nr->identifier, sizeof nr->identifier, "%s", eb->bundle_id);
		snprintf(nr->team_id, sizeof nr->team_id, "%s", q.esig.team_id);
		snprintf(nr->version, sizeof nr->version, "%s", eb->version);
		snprintf(nr->short_version, sizeof nr->short_version, "%s", eb->short_version);
		snprintf(nr->name, sizeof nr->name, "%s", eb->name);
		developer_name(nr->developer, sizeof nr->developer, &q.esig);
		snprintf(nr->category, sizeof nr->category, "%s", eb->category);
		nr->state = MX_SX_VALIDATING;
		snprintf(nr->origin_path, sizeof nr->origin_path, "%s/Contents/Library/SystemExtensions/%s",
		    q.devpath, base_name(q.fe.path));
		snprintf(nr->container, sizeof nr->container, "%s", q.devpath);
		snprintf(nr->app_id, sizeof nr->app_id, "%s", q.app_id);
		snprintf(nr->staged_path, sizeof nr->staged_path, "/Library/SystemExtensions/%s/%s",
		    nr->unique_id, base_name(q.fe.path));
		cdhashes_json(nr->cdhashes, sizeof nr->cdhashes, &q.esig);
		ents_json(nr->entitlements, sizeof nr->entitlements, &q.ee);
		nr->created_at = cli->in.now;
		char hash[65];
		if ((rc = mx_cas_put_tree(cli->st, q.fe.path, hash, err)) ||
		    (rc = mx_store_file_set(cli->st, d.id, nr->staged_path, hash, err)) ||
		    (rc = mx_store_sysext_put(cli->st, d.id, nr, err)) ||
		    (rc = sx_event(&s, "sysextd", why, err, "staged %s %s/%s at %s", nr->identifier,
		    nr->short_version, nr->version, nr->staged_path)) ||
		    (rc = sx_move(&s, nr, MX_SXE_STAGED, why, err))) {
			goto out;
		}
		/* the category daemon validates; least privilege is checked here */
		if ((rc = mx_sx_check_category(&f, err))) {
			goto refuse;
		}
		char inherited[8] = "";
		if (plan == MX_SXP_REPLACE) {
			mx_sx_rec *old = &s.recs[which];
			/* [INF Q7] an approved (team, bundle) stays approved across versions */
			if (old->state != MX_SX_WAITING_FOR_USER)
				snprintf(inherited, sizeof inherited, "%s", old->approval);
			if (old->state == MX_SX_WAITING_FOR_USER) {
				if ((rc = sx_event(&s, "sysextd", why, err, "the pending activation request for"
				    " %s is superseded: OSSystemExtensionErrorDomain error 12 "
				    "(requestSuperseded)", old->identifier)) ||
				    (rc = sx_move(&s, old, MX_SXE_DISCARD, why, err))) {
					goto out;
				}
			} else {
				if ((rc = sx_event(&s, "sysextd", why, err, "replacing %s %s/%s with %s/%s",
				    old->identifier, old->short_version, old->version, nr->short_version,
				    nr->version)) ||
				    (rc = sx_move(&s, old, MX_SXE_REPLACE, why, err))) {
					goto out;
				}
				if (mx_sx_stop_deferred(old->category))
					result = "willCompleteAfterReboot";
				else if ((rc = sx_move(&s, old, MX_SXE_STOPPED, why, err))) {
					goto out;
				}
			}
		}
		const char *res2 = result;
		rc = decide(&s, nr, inherited, why, &res2, err);
		if (res2 != result && strcmp(result, "willCompleteAfterReboot") != 0)
			result = res2;
		if (rc)
			goto out;
	}
	if ((rc = sx_event(&s, q.app_id, why, err, "activation request for %s: %s", r->identifier,
	    result)) || (rc = cli_commit(cli, err)))
		goto out;
	if (!cli->quiet) {
		if (cli->json)
			cli_json_print(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "identifier",
			    r->identifier, "app_id", q.app_id, "plan", mx_sx_plan_name(plan), "result", result,
			    "state", mx_sx_state_name(r->state), "unique_id", r->unique_id));
		else
			printf("activation request for %s: %s (%s)\n", r->identifier, result,
			    mx_sx_state_name(r->state));
	}
	goto out;
refuse:
	rc = request_failed(cli, &d, q.app_id, "activation", q.ext_id, err);
out:
	sx_free(&s);
out0:
	free(nr);
	req_free(&q);
	return rc;
}

/* ---- deactivation ---- */

/* Unloads r: terminating, then terminated and marked for removal at the
 * next restart — or still running until then (a network provider). */
static int
unload(struct sx *s, mx_sx_rec *r, bool allow_defer, const char *why, const char **result,
    mx_err *err)
{
	int rc;
	*result = "completed";
	if (r->state == MX_SX_WAITING_FOR_USER)
		rc = sx_move(s, r, MX_SXE_DISCARD, why, err);
	else if (allow_defer && mx_sx_stop_deferred(r->category)) {
		*result = "willCompleteAfterReboot";
		rc = sx_move(s, r, MX_SXE_DEACTIVATE_RUNNING, why, err);
	} else {
		if ((rc = sx_move(s, r, MX_SXE_DEACTIVATE, why, err)) == 0)
			rc = sx_move(s, r, MX_SXE_STOPPED, why, err);
	}
	if (rc == 0)
		rc = sx_withdraw_alerts(s, r->identifier, err);
	if (rc == 0 && r->state != MX_SX_UNINSTALLING && r->state != MX_SX_UNINSTALLED &&
	    !s->d->restart_pending) {
		s->d->restart_pending = true;
		rc = cli_save_device(s->cli, s->d, err);
	}
	return rc;
}

static int
sysext_deactivate(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *cred = arg_value(&argc, argv, "--as");
	int rc = arg_check(argc, argv, 2, 2,
	    "macext sysext deactivate APP_ID EXT_ID [--as USER:PASSWORD]", err);
	if (rc)
		return rc;
	mx_device d;
	if ((rc = cli_begin_device(cli, &d, err)))
		return rc;
	if (d.env != MX_ENV_MACOS)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is not running macOS", d.name);
	const char *app_id = argv[1], *ext_id = argv[2];
	struct sx s;
	if ((rc = sx_load(&s, cli, &d, err)))
		return rc;
	const char *why = "deactivation request";
	mx_sx_rec *r = live_record(&s, ext_id);
	char devpath[PATH_MAX], real[PATH_MAX];
	mx_err e2;
	mx_err_clear(&e2);
	/* §2.6 c: only the app that activated it, still installed, may ask */
	if (r == NULL || strcmp(r->app_id, app_id) != 0 ||
	    cli_app_find(cli, &d, app_id, devpath, sizeof devpath, real, sizeof real, &e2) != 0) {
		rc = mx_sx_fail(err, MX_SXERR_EXTENSION_NOT_FOUND,
		    "Extension not found in App bundle: perhaps App is not validly structured");
		goto refuse;
	}
	if (mx_sxpolicy_nonremovable(s.pol, d.os, mx_device_sip_enabled(&d), r->team_id,
	    r->identifier)) {
		/* [INF Q11] refused by policy: error 10 */
		rc = mx_sx_fail(err, MX_SXERR_FORBIDDEN_BY_SYSTEM_POLICY, "%s is listed in "
		    "NonRemovableSystemExtensions and System Integrity Protection is enabled", ext_id);
		goto refuse;
	}
	const char *actor = app_id;
	char auth_note[128] = "";
	if (r->state != MX_SX_WAITING_FOR_USER &&
	    mx_sx_unload_needs_admin(s.pol, d.os, r->team_id, r->identifier, false)) {
		if (cred == NULL) {
			/* the dialog is up; the request waits for it (or fails headless) */
			const char *app_name = base_name(devpath);
			if ((rc = auth_alert(&s, r, app_name, err)) ||
			    (rc = sx_event(&s, "sysextd", why, err, "deactivation of %s needs an "
			    "administrator: authorization dialog shown", ext_id)) ||
			    (rc = cli_commit(cli, err)))
				goto out;
			rc = mx_sx_fail(err, MX_SXERR_AUTHORIZATION_REQUIRED, "removing %s needs an "
			    "administrator's name and password (answer the dialog with --as USER:PASSWORD)",
			    ext_id);
			goto out;
		}
		const mx_user *u;
		if ((rc = mx_auth_check(&d, cred, true, &u, err))) {
			if (rc == MX_EDENIED) {
				char msg[sizeof err->msg];
				snprintf(msg, sizeof msg, "%s", err->msg);
				rc = mx_sx_fail(err, MX_SXERR_AUTHORIZATION_REQUIRED, "%s", msg);
				goto refuse;
			}
			goto out;
		}
		snprintf(auth_note, sizeof auth_note, " (authorized by administrator %s)", u->name);
	} else if (r->state != MX_SX_WAITING_FOR_USER) {
		snprintf(auth_note, sizeof auth_note, " (RemovableSystemExtensions: no authorization)");
	}
	const char *result;
	if ((rc = unload(&s, r, true, why, &result, err)) ||
	    (rc = sx_event(&s, actor, why, err, "deactivation request for %s: %s%s", ext_id, result,
	    auth_note)) || (rc = cli_commit(cli, err)))
		goto out;
	if (!cli->quiet) {
		if (cli->json)
			cli_json_print(json_pack("{s:s, s:s, s:s}", "identifier", ext_id, "result", result,
			    "state", mx_sx_state_name(r->state)));
		else
			printf("deactivation request for %s: %s (%s)%s\n", ext_id, result,
			    mx_sx_state_name(r->state), auth_note);
	}
	goto out;
refuse:
	rc = request_failed(cli, &d, app_id, "deactivation", ext_id, err);
out:
	sx_free(&s);
	return rc;
}

/* ---- list ---- */

json_t *sx_rec_json(const mx_sx_rec *r);

json_t *
sx_rec_json(const mx_sx_rec *r)
{
	json_t *ents = json_loads(r->entitlements, 0, NULL);
	if (ents == NULL)
		ents = json_array();
	json_t *cd = json_loads(r->cdhashes, 0, NULL);
	if (cd == NULL)
		cd = json_object();
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:s, s:s?, s:o,"
	    " s:s, s:s, s:s, s:o}",
	    "team_id", r->team_id, "bundle_id", r->identifier, "version", r->short_version,
	    "bundle_version", r->version, "name", r->name, "category", r->category,
	    "state", mx_sx_state_name(r->state), "enabled", mx_sx_state_enabled(r->state),
	    "active", mx_sx_state_active(r->state), "app_id", r->app_id, "container", r->container,
	    "approval", r->approval[0] ? r->approval : NULL, "entitlements", ents,
	    "unique_id", r->unique_id, "staged_path", r->staged_path, "origin_path", r->origin_path,
	    "staged_cdhashes", cd);
}

static int
sysext_list(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext sysext list [--json]", err);
	mx_device d;
	if (rc || (rc = cli_begin_device(cli, &d, err)))
		return rc;
	mx_sx_rec *recs;
	size_t n;
	if ((rc = mx_store_sysext_load(cli->st, d.id, &recs, &n, err)) ||
	    (rc = cli_commit(cli, err))) {
		return rc;
	}
	if (cli->json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, sx_rec_json(&recs[i]));
		cli_json_print(a);
	} else {
		if (n == 0)
			printf("no system extensions\n");
		for (size_t i = 0; i < n; i++) {
			const mx_sx_rec *r = &recs[i];
			char ver[140];
			snprintf(ver, sizeof ver, "%s/%s", r->short_version, r->version);
			const char *cat = strrchr(r->category, '.');
			printf("%-40s %-10s %-18s %-18s %-42s app %s%s%s\n", r->identifier,
			    r->team_id[0] ? r->team_id : "-", ver, cat ? cat + 1 : r->category,
			    mx_sx_state_name(r->state), r->app_id, r->approval[0] ? ", approved by " : "",
			    r->approval);
		}
	}
	free(recs);
	return 0;
}

int
cmd_sysext(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	if (argc >= 2 && strcmp(argv[1], "activate") == 0)
		return sysext_activate(cli, argc - 1, argv + 1, err);
	if (argc >= 2 && strcmp(argv[1], "deactivate") == 0)
		return sysext_deactivate(cli, argc - 1, argv + 1, err);
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return sysext_list(cli, argc - 1, argv + 1, err);
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "usage: macext sysext activate APP_ID EXT_ID"
	    " [--on-replace replace|cancel] | deactivate APP_ID EXT_ID [--as USER:PASSWORD] |"
	    " list [--json]");
}

/* ---- System Settings: Allow ---- */

int
cmd_sysext_approve(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *cred = arg_value(&argc, argv, "--as");
	int rc = arg_check(argc, argv, 1, 1, "macext approve sysext BUNDLE_ID --as USER:PASSWORD",
	    err);
	if (rc)
		return rc;
	const char *id = argv[1];
	mx_device d;
	if ((rc = cli_begin_device(cli, &d, err)))
		return rc;
	if (d.env != MX_ENV_MACOS)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is not running macOS", d.name);
	struct sx s;
	if ((rc = sx_load(&s, cli, &d, err)))
		return rc;
	mx_sx_rec *r = live_record(&s, id);
	if (r == NULL) {
		rc = MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "no system extension %s waits for "
		    "approval on %s", id, d.name);
		goto out;
	}
	if (r->state != MX_SX_WAITING_FOR_USER) {
		rc = MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is %s: nothing to allow", id,
		    mx_sx_state_name(r->state));
		goto out;
	}
	char what[400];
	snprintf(what, sizeof what, "approve system extension %s", id);
	if (cred == NULL) {
		rc = MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "Allow asks for an administrator's name and "
		    "password (--as USER:PASSWORD)");
		goto out;
	}
	const mx_user *u;
	if ((rc = mx_auth_check(&d, cred, true, &u, err))) {
		if (rc == MX_EDENIED)
			rc = cli_refuse(cli, &d, "user", what, err);
		goto out;
	}
	if (mx_sx_decide(s.pol, r->team_id, r->identifier, r->category) == MX_SXV_USER_FORBIDDEN) {
		rc = MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET, "%s cannot be allowed by a user: a "
		    "configuration profile sets AllowUserOverrides to false and does not allow it", id);
		rc = cli_refuse(cli, &d, u->name, what, err);
		goto out;
	}
	char actor[80], why[200];
	snprintf(actor, sizeof actor, "user:%s", u->name);
	snprintf(why, sizeof why, "Allow in System Settings by administrator %s", u->name);
	if ((rc = enable(&s, r, MX_SXE_APPROVED, "user", why, err)) ||
	    (rc = sx_event(&s, actor, why, err, "allowed system extension %s", id)) ||
	    (rc = cli_commit(cli, err)))
		goto out;
	if (!cli->quiet && !cli->json)
		printf("allowed %s: %s\n", id, mx_sx_state_name(r->state));
	else if (!cli->quiet)
		cli_json_print(sx_rec_json(r));
out:
	sx_free(&s);
	return rc;
}

/* ---- hooks ---- */

int
sysext_profiles_changed(struct mx_cli *cli, mx_device *d, mx_err *err)
{
	struct sx s;
	int rc = sx_load(&s, cli, d, err);
	if (rc)
		return rc;
	/* §1.7: before 11.3 a profile only affects later requests */
	if (!mx_sx_profiles_change_state(d->os)) {
		sx_free(&s);
		return 0;
	}
	const char *why = "configuration profile change";
	for (size_t i = 0; i < s.n && rc == 0; i++) {
		mx_sx_rec *r = &s.recs[i];
		bool allowed = mx_sxpolicy_allows(s.pol, r->team_id, r->identifier, r->category);
		if (r->state == MX_SX_WAITING_FOR_USER && allowed) {
			rc = enable(&s, r, MX_SXE_POLICY_ALLOWS, "mdm", why, err);
		} else if ((r->state == MX_SX_ENABLED || r->state == MX_SX_ENABLING ||
		    r->state == MX_SX_DISABLED) && strcmp(r->approval, "mdm") == 0 && !allowed) {
			/* approval revoked: unloaded, removed at the next restart */
			const char *result;
			rc = unload(&s, r, false, why, &result, err);
		}
	}
	sx_free(&s);
	return rc;
}

int
sysext_after_boot(struct mx_cli *cli, mx_device *d, mx_err *err)
{
	struct sx s;
	int rc = sx_load(&s, cli, d, err);
	if (rc)
		return rc;
	const char *why = "boot";
	for (size_t i = 0; i < s.n && rc == 0; i++) {
		mx_sx_rec *r = &s.recs[i];
		enum mx_sx_state to;
		if (mx_sx_transition(r->state, MX_SXE_REBOOT, &to, NULL) != 0 || to == r->state)
			continue;
		rc = sx_move(&s, r, MX_SXE_REBOOT, why, err);
	}
	if (rc == 0)
		rc = mx_store_sysext_settings_set(cli->st, d->id, s.devmode, d->boot_session, err);
	sx_free(&s);
	return rc;
}

int
sysext_app_deleting(struct mx_cli *cli, mx_device *d, const char *app_bundle_id,
    const char *cred, mx_err *err)
{
	struct sx s;
	int rc = sx_load(&s, cli, d, err);
	if (rc)
		return rc;
	bool any_active = false;
	for (size_t i = 0; i < s.n; i++) {
		mx_sx_rec *r = &s.recs[i];
		if (strcmp(r->app_id, app_bundle_id) != 0 || !mx_sx_state_live(r->state))
			continue;
		if (mx_sxpolicy_nonremovable_from_ui(s.pol, d->os, r->team_id, r->identifier) ||
		    mx_sxpolicy_nonremovable(s.pol, d->os, mx_device_sip_enabled(d), r->team_id,
		    r->identifier)) {
			rc = mx_sx_fail(err, MX_SXERR_FORBIDDEN_BY_SYSTEM_POLICY, "the app holds %s, which "
			    "a configuration profile makes non-removable (%s)", r->identifier,
			    mx_sxpolicy_nonremovable_from_ui(s.pol, d->os, r->team_id, r->identifier) ?
			    "NonRemovableFromUISystemExtensions" : "NonRemovableSystemExtensions");
			goto out;
		}
		if (r->state != MX_SX_WAITING_FOR_USER)
			any_active = true;
	}
	const char *actor = "Finder";
	char note[128] = "";
	if (any_active) {
		const mx_user *u;
		if (cred == NULL) {
			rc = mx_sx_fail(err, MX_SXERR_AUTHORIZATION_REQUIRED, "Finder asks for an "
			    "administrator's name and password to remove the app's system extensions "
			    "(--as USER:PASSWORD)");
			goto out;
		}
		if ((rc = mx_auth_check(d, cred, true, &u, err))) {
			if (rc == MX_EDENIED) {
				char msg[sizeof err->msg];
				snprintf(msg, sizeof msg, "%s", err->msg);
				rc = mx_sx_fail(err, MX_SXERR_AUTHORIZATION_REQUIRED, "%s", msg);
			}
			goto out;
		}
		snprintf(note, sizeof note, " (authorized by administrator %s)", u->name);
	}
	for (size_t i = 0; i < s.n && rc == 0; i++) {
		mx_sx_rec *r = &s.recs[i];
		if (strcmp(r->app_id, app_bundle_id) != 0 || !mx_sx_state_live(r->state))
			continue;
		const char *result;
		if ((rc = unload(&s, r, true, "app moved to the Trash", &result, err)) == 0)
			rc = sx_event(&s, actor, "app moved to the Trash", err, "uninstalling %s with its "
			    "app %s: %s%s", r->identifier, app_bundle_id, result, note);
	}
out:
	sx_free(&s);
	return rc;
}
