/*
 * sysext.c — sysextd's database on a simulated Mac (db.plist: one row per
 * record, the developer-mode setting and the boot UUID), the moves between
 * states that log each step as sysextd does, the policy decision, System
 * Settings' Allow, the reactions to profile changes, restarts and Finder
 * deletions, and the bodies of systemextensionsctl developer, reset,
 * uninstall and gc.  The rules are src/core/sysext*.c and rules.c; the
 * activation and deactivation requests of apps are sysext_req.c.
 * Spec: docs/reference/system-extensions.md; choices: docs/sysext.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/rules.h"
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
sx_load(struct sx *s, mx_op *op, mx_err *err)
{
	memset(s, 0, sizeof *s);
	s->op = op;
	s->pol = mx_sxpolicy_new();
	struct polctx pc = { s->pol, err };
	int rc;
	if ((rc = mx_store_sysext_load(op->st, op->d.id, &s->recs, &s->n, err)) ||
	    (rc = mx_store_sysext_settings_get(op->st, op->d.id, &s->devmode, s->boot_uuid, err)) ||
	    (rc = eng_payloads_each(op, "com.apple.system-extension-policy", add_payload, &pc,
	    err))) {
		sx_free(s);
		return rc < 0 ? MX_EINVALID : rc;
	}
	return 0;
}

int
sx_load_macos(struct sx *s, mx_op *op, mx_err *err)
{
	if (op->d.env != MX_ENV_MACOS)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is not running macOS", op->d.name);
	return sx_load(s, op, err);
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
sx_show(struct sx *s, const mx_alert_spec *a, mx_err *err)
{
	return eng_alert(s->op, a->kind, a->subject, a->title, a->text, a->actions, err);
}

int
sx_event(struct sx *s, const char *actor, const char *why, mx_err *err, const char *fmt, ...)
{
	char what[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return mx_op_event(s->op, actor, what, why, err);
}

int
sx_withdraw_alerts(struct sx *s, const char *identifier, mx_err *err)
{
	int rc = mx_store_alert_remove(s->op->st, s->op->d.id, "sysext-blocked", identifier, err);
	if (rc == 0)
		rc = mx_store_alert_remove(s->op->st, s->op->d.id, "sysext-auth", identifier, err);
	return rc;
}

int
sx_remove(struct sx *s, mx_sx_rec *r, const char *why, mx_err *err)
{
	int rc;
	if (r->staged_path[0] &&
	    (rc = mx_store_file_remove(s->op->st, s->op->d.id, r->staged_path, err)) &&
	    rc != MX_ENOTFOUND)
		return rc;
	if ((rc = mx_store_sysext_delete(s->op->st, s->op->d.id, r->unique_id, err)))
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
	return mx_store_sysext_put(s->op->st, s->op->d.id, r, err);
}

void
mx_sysext_category_header(char *buf, size_t len, const char *category, mx_version os)
{
	const char *pane = mx_sx_category_pane(category);
	/* [INF §5.2, Q8] the "(Go to ...)" clause appears with macOS 15 */
	if (pane && mx_version_at_least(os, 15, 0, 0))
		snprintf(buf, len, "--- %s (Go to 'System Settings > General > Login Items & Extensions"
		    " > %s' to modify these system extension(s))", category, pane);
	else
		snprintf(buf, len, "--- %s", category);
}

/* ---- activation ---- */

mx_sx_rec *
sx_live_record(struct sx *s, const char *identifier)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->recs[i].identifier, identifier) == 0 &&
		    mx_sx_state_live(s->recs[i].state))
			return &s->recs[i];
	return NULL;
}

/* Enables r (a validated or waiting record) because approval is present. */
int
sx_enable(struct sx *s, mx_sx_rec *r, enum mx_sx_event ev, const char *approval, const char *why,
    mx_err *err)
{
	int rc;
	snprintf(r->approval, sizeof r->approval, "%s", approval);
	if ((rc = sx_move(s, r, ev, why, err)) || (rc = sx_move(s, r, MX_SXE_STARTED, why, err)))
		return rc;
	return sx_withdraw_alerts(s, r->identifier, err);
}

/* Puts a validated record through the policy (§2.6 a step 5). */
int
sx_decide(struct sx *s, mx_sx_rec *r, const char *inherited, const char *why, const char **result,
    mx_err *err)
{
	if (inherited && *inherited)
		return sx_enable(s, r, MX_SXE_POLICY_ALLOWS, inherited, why, err);
	enum mx_sx_verdict v = mx_sx_decide(s->pol, r->team_id, r->identifier, r->category);
	if (v == MX_SXV_ALLOW)
		return sx_enable(s, r, MX_SXE_POLICY_ALLOWS, "mdm", why, err);
	int rc = r->state == MX_SX_WAITING_FOR_USER ? 0 : sx_move(s, r, MX_SXE_NEEDS_USER, why, err);
	if (rc)
		return rc;
	*result = v == MX_SXV_NEEDS_USER ? "needs user approval" :
	    "needs user approval, which MDM forbids (AllowUserOverrides is false)";
	/* [INF §3.3] no Allow button to offer when overrides are off: no dialog */
	if (v == MX_SXV_NEEDS_USER) {
		mx_alert_spec a;
		mx_sysext_blocked_alert(s->op->d.os, r->developer, r->identifier, &a);
		return sx_show(s, &a, err);
	}
	return mx_store_alert_remove(s->op->st, s->op->d.id, "sysext-blocked", r->identifier, err);
}

/* Unloads r: terminating, then terminated and marked for removal at the
 * next restart — or still running until then (a network provider). */
int
sx_unload(struct sx *s, mx_sx_rec *r, bool allow_defer, const char *why, const char **result,
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
	    !s->op->d.restart_pending) {
		s->op->d.restart_pending = true;
		rc = eng_save(s->op, err);
	}
	return rc;
}

/* ---- System Settings: Allow ---- */

/* cred checked as an administrator of the device (*u); a wrong one is
 * refused: logged as what, in a transaction of its own. */
static int
admin_check(mx_op *op, const char *cred, const char *what, const mx_user **u, mx_err *err)
{
	int rc = mx_auth_check_memo(&op->d, cred, true, eng_pw_memo(op->e), u, err);
	if (rc == MX_EDENIED)
		rc = mx_op_refuse(op, "user", what, err);
	return rc;
}

int
mx_op_sysext_approve(mx_op *op, const char *id, const char *cred, mx_sx_rec *out, mx_err *err)
{
	mx_device *d = &op->d;
	int rc;
	struct sx s;
	if ((rc = sx_load_macos(&s, op, err)))
		return rc;
	mx_sx_rec *r = sx_live_record(&s, id);
	if (r == NULL) {
		rc = MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "no system extension %s waits for "
		    "approval on %s", id, d->name);
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
	if ((rc = admin_check(op, cred, what, &u, err)))
		goto out;
	if (mx_sx_decide(s.pol, r->team_id, r->identifier, r->category) == MX_SXV_USER_FORBIDDEN) {
		rc = MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET, "%s cannot be allowed by a user: a "
		    "configuration profile sets AllowUserOverrides to false and does not allow it", id);
		rc = mx_op_refuse(op, u->name, what, err);
		goto out;
	}
	char actor[80], why[200];
	snprintf(actor, sizeof actor, "user:%s", u->name);
	snprintf(why, sizeof why, "Allow in System Settings by administrator %s", u->name);
	if ((rc = sx_enable(&s, r, MX_SXE_APPROVED, "user", why, err)) ||
	    (rc = sx_event(&s, actor, why, err, "allowed system extension %s", id)))
		goto out;
	if (out)
		*out = *r;
out:
	sx_free(&s);
	return rc;
}

/* ---- System Settings (macOS 15): the extension's switch ---- */

int
mx_op_sysext_set_enabled(mx_op *op, const char *id, bool enable, const char *cred,
    mx_sx_rec *out, mx_err *err)
{
	mx_device *d = &op->d;
	int rc;
	struct sx s;
	if ((rc = sx_load_macos(&s, op, err)))
		return rc;
	mx_sx_rec *r = sx_live_record(&s, id);
	for (size_t i = 0; r == NULL && i < s.n; i++)
		if (strcmp(s.recs[i].identifier, id) == 0 &&
		    (s.recs[i].state == MX_SX_TERMINATING_FOR_DISABLE ||
		    s.recs[i].state == MX_SX_TERMINATING_FOR_DISABLE_RUNNING))
			r = &s.recs[i];
	if (r == NULL) {
		rc = MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "no system extension %s on %s", id,
		    d->name);
		goto out;
	}
	/* the switch is greyed out under a profile: no password is asked */
	mx_sx_toggle plan;
	if ((rc = mx_sx_toggle_plan(&plan, r->state, r->category, enable, d->os,
	    mx_sxpolicy_nonremovable_from_ui(s.pol, d->os, r->team_id, r->identifier),
	    mx_sxpolicy_nonremovable(s.pol, d->os, mx_device_sip_enabled(d), r->team_id,
	    r->identifier), err)))
		goto out;
	char what[400];
	snprintf(what, sizeof what, "%s system extension %s", enable ? "enable" : "disable", id);
	if (cred == NULL) {
		rc = mx_sx_fail(err, MX_SXERR_AUTHORIZATION_REQUIRED, "System Settings asks for an "
		    "administrator's name and password to turn %s %s (--as USER:PASSWORD)",
		    enable ? "on" : "off", id);
		goto out;
	}
	const mx_user *u;
	if ((rc = admin_check(op, cred, what, &u, err)))
		goto out;
	char actor[80], why[200];
	snprintf(actor, sizeof actor, "user:%s", u->name);
	snprintf(why, sizeof why, "Login Items & Extensions switch turned %s by administrator %s",
	    enable ? "on" : "off", u->name);
	for (int i = 0; i < plan.n && rc == 0; i++)
		rc = sx_move(&s, r, plan.ev[i], why, err);
	if (rc == 0 && plan.n)
		rc = sx_event(&s, actor, why, err, "%s system extension %s: %s", enable ? "enabled" :
		    "disabled", id, mx_sx_state_name(r->state));
	if (rc == 0 && out)
		*out = *r;
out:
	sx_free(&s);
	return rc;
}

/* ---- the reactions ---- */

int
eng_sysext_profiles_changed(mx_op *op, mx_err *err)
{
	mx_device *d = &op->d;
	struct sx s;
	int rc = sx_load(&s, op, err);
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
			rc = sx_enable(&s, r, MX_SXE_POLICY_ALLOWS, "mdm", why, err);
		} else if ((r->state == MX_SX_ENABLED || r->state == MX_SX_ENABLING ||
		    r->state == MX_SX_DISABLED) && strcmp(r->approval, "mdm") == 0 && !allowed) {
			/* approval revoked: unloaded, removed at the next restart */
			const char *result;
			rc = sx_unload(&s, r, false, why, &result, err);
		}
	}
	sx_free(&s);
	return rc;
}

int
eng_sysext_after_boot(mx_op *op, mx_err *err)
{
	mx_device *d = &op->d;
	struct sx s;
	int rc = sx_load(&s, op, err);
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
		rc = mx_store_sysext_settings_set(op->st, d->id, s.devmode, d->boot_session, err);
	sx_free(&s);
	return rc;
}

int
eng_sysext_app_deleting(mx_op *op, const char *app_bundle_id, const char *cred, mx_err *err)
{
	mx_device *d = &op->d;
	struct sx s;
	int rc = sx_load(&s, op, err);
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
		if ((rc = mx_auth_check_memo(d, cred, true, eng_pw_memo(op->e), &u, err))) {
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
		if ((rc = sx_unload(&s, r, true, "app moved to the Trash", &result, err)) == 0)
			rc = sx_event(&s, actor, "app moved to the Trash", err, "uninstalling %s with its "
			    "app %s: %s%s", r->identifier, app_bundle_id, result, note);
	}
out:
	sx_free(&s);
	return rc;
}

/* ---- systemextensionsctl ---- */

/* developer, reset and uninstall need SIP disabled (§3.5). */
static int
sip_gate(mx_op *op, mx_err *err)
{
	if (mx_device_sip_enabled(&op->d))
		return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET, "At this time, this tool cannot be used"
		    " if System Integrity Protection is enabled.");
	return 0;
}

int
mx_op_sysext_developer(mx_op *op, const bool *on, bool *now_on, mx_err *err)
{
	int rc;
	struct sx s;
	if ((rc = sip_gate(op, err)) || (rc = sx_load(&s, op, err)))
		return rc;
	if (on && *on != s.devmode) {
		s.devmode = *on;
		if ((rc = mx_store_sysext_settings_set(op->st, op->d.id, *on, s.boot_uuid, err)) ||
		    (rc = sx_event(&s, "systemextensionsctl", "systemextensionsctl developer", err,
		    "system extension developer mode turned %s", *on ? "on" : "off")))
			goto out;
	}
	if (now_on)
		*now_on = s.devmode;
out:
	sx_free(&s);
	return rc;
}

/* Drops every matching record at once (uninstall, reset). */
static int
drop_records(struct sx *s, const char *team, const char *bundle, const char *why, size_t *count,
    mx_err *err)
{
	int rc = 0;
	*count = 0;
	for (size_t i = 0; i < s->n && rc == 0; i++) {
		mx_sx_rec *r = &s->recs[i];
		if (bundle && (strcmp(r->identifier, bundle) != 0 ||
		    strcmp(strcmp(team, "-") == 0 ? "" : team, r->team_id) != 0))
			continue;
		(*count)++;
		if ((rc = sx_withdraw_alerts(s, r->identifier, err)) == 0)
			rc = sx_move(s, r, MX_SXE_RESET, why, err);
	}
	return rc;
}

int
mx_op_sysext_reset(mx_op *op, size_t *count, mx_err *err)
{
	int rc;
	struct sx s;
	size_t n = 0;
	if ((rc = sip_gate(op, err)) || (rc = sx_load(&s, op, err)))
		return rc;
	if ((rc = drop_records(&s, NULL, NULL, "systemextensionsctl reset", &n, err)) == 0)
		rc = sx_event(&s, "systemextensionsctl", "systemextensionsctl reset", err,
		    "all system extension state reset (%zu record(s))", n);
	sx_free(&s);
	if (count)
		*count = n;
	return rc;
}

int
mx_op_sysext_uninstall(mx_op *op, const char *team, const char *bundle_id, mx_err *err)
{
	int rc;
	struct sx s;
	if ((rc = sip_gate(op, err)) || (rc = sx_load(&s, op, err)))
		return rc;
	size_t count;
	char why[600];
	snprintf(why, sizeof why, "systemextensionsctl uninstall %s %s", team, bundle_id);
	if ((rc = drop_records(&s, team, bundle_id, why, &count, err)) == 0 && count == 0)
		rc = MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "no system extension %s %s", team,
		    bundle_id);
	sx_free(&s);
	return rc;
}

/* gc: records whose staged copy is gone, and pending records whose app is
 * gone; a valid terminated record stays for the reboot (§3.5). */
int
mx_op_sysext_gc(mx_op *op, size_t *cleaned, mx_err *err)
{
	struct sx s;
	int rc = sx_load(&s, op, err);
	if (rc)
		return rc;
	size_t n = 0;
	for (size_t i = 0; i < s.n && rc == 0; i++) {
		mx_sx_rec *r = &s.recs[i];
		mx_err e;
		mx_err_clear(&e);
		bool staged = mx_store_file_get(op->st, op->d.id, r->staged_path, NULL, &e) == 0;
		bool app = mx_store_file_get(op->st, op->d.id, r->container, NULL, &e) == 0 ||
		    strncmp(r->container, "/Applications/", 14) != 0;
		if (staged && (app || r->state != MX_SX_WAITING_FOR_USER))
			continue;
		if ((rc = sx_withdraw_alerts(&s, r->identifier, err)) ||
		    (rc = sx_move(&s, r, MX_SXE_RESET, "systemextensionsctl gc", err)))
			break;
		n++;
	}
	sx_free(&s);
	if (cleaned)
		*cleaned = n;
	return rc;
}

/* ---- reads ---- */

int
mx_op_sysexts(mx_op *op, mx_sx_rec **out, size_t *n, mx_err *err)
{
	return mx_store_sysext_load(op->st, op->d.id, out, n, err);
}
