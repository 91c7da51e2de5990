/*
 * sysext_req.c — an app's requests to sysextd (OSSystemExtensionRequest):
 * activation and deactivation.  A request is prepared outside the write
 * transaction (mx_engine_sysext_prepare): the app is found (in the Mac's
 * /Applications, or imported from elsewhere into the content store), the
 * extension inside it is found and both signatures are verified, all from
 * stored copies; then mx_op_sysext_activate runs sysextd's checks in order
 * (src/core/sysext.c), plans against the existing records, stages the
 * extension and puts it through the policy.  A request that fails is
 * refused: only its event remains, and the error carries
 * OSSystemExtensionErrorDomain and its code.
 * Spec: system-extensions.md §2.6, §2.8, §3.4, §4; choices: docs/sysext.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/bundle.h"
#include "macext/codesign.h"
#include "macext/rules.h"
#include "sysext_int.h"

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
request_failed(mx_op *op, const char *app_id, const char *kind, const char *ext_id,
    mx_err *err)
{
	char what[700];
	snprintf(what, sizeof what, "%s request for %s from %s failed", kind, ext_id, app_id);
	return mx_op_refuse(op, app_id, what, err);
}

struct mx_sx_request {
	int rc;                         /* no app to ask for (reported as a plain error) */
	mx_err err;
	int find_rc;                    /* the extension is not usable (a refused request) */
	mx_err find_err;
	char ext_id[256];
	char app_id[256], devpath[PATH_MAX], real[PATH_MAX];
	char app_hash[65];              /* the app's stored content */
	bool in_applications;
	mx_bundle *app;
	struct found_ext fe;
	mx_siginfo asig, esig;
	struct ents ee;
	mx_sx_facts f;                  /* pointers into this request */
	mx_expiry expired;              /* of both signatures (reported) */
};

void
mx_sx_request_free(mx_sx_request *q)
{
	if (q == NULL)
		return;
	mx_bundle_free(q->app);
	mx_bundle_free(q->fe.b);
	mx_siginfo_free(&q->asig);
	mx_siginfo_free(&q->esig);
	ents_free(&q->ee);
	free(q);
}

/* Finds the app (read transaction): a bundle id in /Applications, or an
 * imported app; fills devpath, real (the stored copy) and app_hash. */
static int
resolve_app(mx_engine *e, const char *device, const mx_sx_app_ref *app, mx_sx_request *q,
    mx_device *d, mx_err *err)
{
	mx_op *op;
	int rc = mx_op_begin(&op, e, device, MX_OP_READ, err);
	if (rc)
		return rc;
	*d = op->d;
	if (app->hash) {
		snprintf(q->app_hash, sizeof q->app_hash, "%s", app->hash);
		snprintf(q->devpath, sizeof q->devpath, "%s", app->path ? app->path : "");
		rc = mx_cas_path(op->st, app->hash, q->real, sizeof q->real, err);
	} else if ((rc = eng_app_find(op, app->bundle_id ? app->bundle_id : "", q->devpath,
	    sizeof q->devpath, q->real, sizeof q->real, err)) == 0) {
		rc = mx_store_file_get(op->st, op->d.id, q->devpath, q->app_hash, err);
	}
	if (rc) {
		mx_op_abort(op);
		return rc;
	}
	return mx_op_commit(op, err);
}

int
mx_engine_sysext_prepare(mx_engine *e, const char *device, const mx_sx_app_ref *app,
    const char *ext_id, mx_sx_request **out, mx_err *err)
{
	return mx_engine_sysext_prepare_opts(e, device, app, ext_id, NULL, out, err);
}

const mx_expiry *
mx_sx_request_expiry(const mx_sx_request *q)
{
	return &q->expired;
}

int
mx_engine_sysext_prepare_opts(mx_engine *e, const char *device, const mx_sx_app_ref *app,
    const char *ext_id, const mx_verify_opts *vo, mx_sx_request **out, mx_err *err)
{
	bool strict = vo && vo->check_expiration;
	mx_sx_request *q = mx_xcalloc(1, sizeof *q);
	*out = q;
	mx_err_clear(&q->err);
	mx_err_clear(&q->find_err);
	snprintf(q->ext_id, sizeof q->ext_id, "%s", ext_id);
	if (app->import_err && app->import_err->code) {
		q->err = *app->import_err;
		q->rc = q->err.code;
		return 0;
	}
	mx_device d;
	if ((q->rc = resolve_app(e, device, app, q, &d, &q->err)))
		return 0;
	q->in_applications = strncmp(q->devpath, "/Applications/", 14) == 0;
	if ((q->rc = mx_bundle_open(&q->app, q->real, &q->err))) {
		if (app->hash && app->path)
			eng_err_origin(&q->err, q->real, app->path);
		return 0;
	}
	snprintf(q->app_id, sizeof q->app_id, "%s", q->app->bundle_id);
	if ((q->find_rc = find_ext(&q->fe, q->app, ext_id, &q->find_err))) {
		if (app->hash && app->path)
			eng_err_origin(&q->find_err, q->real, app->path);
		return 0;
	}
	mx_sx_facts *f = &q->f;
	f->ext_found = q->fe.found;
	f->ext_has_identifier = q->fe.has_id;
	f->ext_name_matches = q->fe.name_ok;
	f->app_in_applications = q->in_applications;
	f->category = "";
	if (q->fe.found) {
		/* both signatures from the stored copies, outside any write transaction */
		eng_verify(e, &q->asig, q->real, d.trust_anchor, strict);
		eng_verify(e, &q->esig, q->fe.path, d.trust_anchor, strict);
		eng_expiry_add(&q->expired, &q->asig, q->devpath[0] ? base_name(q->devpath) : q->app_id);
		eng_expiry_add(&q->expired, &q->esig, base_name(q->fe.path));
		f->app_sig_valid = sig_valid(&q->asig);
		f->ext_sig_valid = sig_valid(&q->esig);
		f->app_sig_reason = q->asig.reason[0] ? q->asig.reason : mx_sigkind_name(q->asig.kind);
		f->ext_sig_reason = q->esig.reason[0] ? q->esig.reason : mx_sigkind_name(q->esig.kind);
		/* an unverifiable signature still names its entitlements (read unverified) */
		plist_t aents = q->asig.entitlements ? q->asig.entitlements : q->app->entitlements;
		plist_t eents = q->esig.entitlements ? q->esig.entitlements : q->fe.b->entitlements;
		f->app_install_entitlement = ent_true(aents,
		    "com.apple.developer.system-extension.install");
		f->app_team = q->asig.team_id;
		f->ext_team = q->esig.team_id;
		f->ext_redistributable = ent_true(eents,
		    "com.apple.developer.system-extension.redistributable");
		ents_of(&q->ee, eents);
		f->entitlements = (const char *const *)q->ee.keys;
		f->nentitlements = q->ee.n;
		f->category = q->fe.b->category;
		f->cat_ent_value_ok = q->fe.b->has_category_entitlement;
		f->has_usage_description = q->fe.b->has_usage_description;
		f->is_dext = q->fe.b->kind == MX_BUNDLE_DEXT;
		f->bundle_version = q->fe.b->version;
	}
	(void)err;
	return 0;
}

/* Is the prepared app still what the device holds at devpath? */
static int
still_current(mx_op *op, const mx_sx_request *q, mx_err *err)
{
	if (!q->in_applications)
		return 0;
	char hash[65];
	mx_err e2;
	mx_err_clear(&e2);
	if (mx_store_file_get(op->st, op->d.id, q->devpath, hash, &e2) != 0 ||
	    strcmp(hash, q->app_hash) != 0)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s changed since the request was"
		    " prepared: prepare it again", q->devpath);
	return 0;
}

int
mx_op_sysext_activate(mx_op *op, const mx_sx_request *q, bool replace, mx_sx_result *out,
    mx_err *err)
{
	mx_device *d = &op->d;
	int rc;
	memset(out, 0, sizeof *out);
	if (d->env != MX_ENV_MACOS)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is not running macOS", d->name);
	/* seed ¶1 s1: SystemExtensions.framework arrived with 10.15; before it
	 * there is no sysextd and no request to submit (nothing recorded) */
	if (!mx_version_at_least(d->os, 10, 15, 0)) {
		char os[16];
		mx_version_str(d->os, os, sizeof os);
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "system extensions need macOS 10.15 or"
		    " later (%s runs macOS %s: no SystemExtensions framework)", d->name, os);
	}
	if (q->rc) {
		*err = q->err;
		return q->rc;
	}
	if ((rc = still_current(op, q, err)))
		return rc;
	const char *ext_id = q->ext_id;
	mx_sx_rec *nr = NULL;
	struct sx s;
	if ((rc = sx_load(&s, op, err)))
		return rc;
	if ((rc = sx_event(&s, q->app_id, "OSSystemExtensionRequest", err,
	    "client activation request for %s", ext_id)))
		goto out;

	/* the checks, in sysextd's order */
	if (q->find_rc) {
		*err = q->find_err;
		rc = q->find_rc;
		goto refuse;
	}
	mx_sx_facts f = q->f;
	f.developer_mode = s.devmode;
	f.sip_enabled = mx_device_sip_enabled(d);
	if ((rc = mx_sx_check_request(&f, err)))
		goto refuse;
	if (!q->fe.name_ok) {
		rc = mx_sx_fail(err, MX_SXERR_VALIDATION_FAILED, "the bundle's file name %s is not %s.%s",
		    base_name(q->fe.path), ext_id, f.is_dext ? "dext" : "systemextension");
		goto refuse;
	}
	const mx_bundle *eb = q->fe.b;

	/* existing records: no-op, retry, replacement, duplicates */
	mx_sx_exist *ex = mx_xcalloc(s.n ? s.n : 1, sizeof *ex);
	for (size_t i = 0; i < s.n; i++)
		ex[i] = (mx_sx_exist){ s.recs[i].identifier, s.recs[i].team_id, s.recs[i].version,
		    s.recs[i].short_version, s.recs[i].app_id, s.recs[i].state };
	enum mx_sx_plan plan;
	int which;
	rc = mx_sx_plan_request(ex, s.n, ext_id, q->esig.team_id, q->app_id, eb->version,
	    eb->short_version, s.devmode, replace, &plan, &which, err);
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
		    (rc = sx_decide(&s, r, NULL, why, &result, err)))
			goto out;
	} else {
		nr = mx_xcalloc(1, sizeof *nr);
		r = nr;
		eng_uuid(op, nr->unique_id);
		snprintf(nr->identifier, sizeof nr->identifier, "%s", eb->bundle_id);
		snprintf(nr->team_id, sizeof nr->team_id, "%s", q->esig.team_id);
		snprintf(nr->version, sizeof nr->version, "%s", eb->version);
		snprintf(nr->short_version, sizeof nr->short_version, "%s", eb->short_version);
		snprintf(nr->name, sizeof nr->name, "%s", eb->name);
		developer_name(nr->developer, sizeof nr->developer, &q->esig);
		snprintf(nr->category, sizeof nr->category, "%s", eb->category);
		nr->state = MX_SX_VALIDATING;
		snprintf(nr->origin_path, sizeof nr->origin_path, "%s/Contents/Library/SystemExtensions/%s",
		    q->devpath, base_name(q->fe.path));
		snprintf(nr->container, sizeof nr->container, "%s", q->devpath);
		snprintf(nr->app_id, sizeof nr->app_id, "%s", q->app_id);
		snprintf(nr->staged_path, sizeof nr->staged_path, "/Library/SystemExtensions/%s/%s",
		    nr->unique_id, base_name(q->fe.path));
		cdhashes_json(nr->cdhashes, sizeof nr->cdhashes, &q->esig);
		ents_json(nr->entitlements, sizeof nr->entitlements, &q->ee);
		nr->created_at = op->now;
		char hash[65];
		/* staged from the app's stored copy (the bytes that were verified) */
		if ((rc = mx_cas_put_tree(op->st, q->fe.path, hash, err)) ||
		    (rc = mx_store_file_set(op->st, d->id, nr->staged_path, hash, err)) ||
		    (rc = mx_store_sysext_put(op->st, d->id, nr, err)) ||
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
		rc = sx_decide(&s, nr, inherited, why, &res2, err);
		if (res2 != result && strcmp(result, "willCompleteAfterReboot") != 0)
			result = res2;
		if (rc)
			goto out;
	}
	if ((rc = sx_event(&s, q->app_id, why, err, "activation request for %s: %s", r->identifier,
	    result)))
		goto out;
	snprintf(out->identifier, sizeof out->identifier, "%s", r->identifier);
	snprintf(out->app_id, sizeof out->app_id, "%s", q->app_id);
	snprintf(out->unique_id, sizeof out->unique_id, "%s", r->unique_id);
	out->plan = mx_sx_plan_name(plan);
	out->result = result;
	out->state = r->state;
	goto out;
refuse:
	rc = request_failed(op, q->app_id, "activation", ext_id, err);
out:
	sx_free(&s);
	free(nr);
	return rc;
}

/* ---- deactivation ---- */

int
mx_op_sysext_deactivate(mx_op *op, const char *app_id, const char *ext_id, const char *cred,
    mx_sx_result *out, mx_err *err)
{
	mx_device *d = &op->d;
	int rc;
	memset(out, 0, sizeof *out);
	struct sx s;
	if ((rc = sx_load_macos(&s, op, err)))
		return rc;
	const char *why = "deactivation request";
	mx_sx_rec *r = sx_live_record(&s, ext_id);
	char devpath[PATH_MAX], real[PATH_MAX];
	mx_err e2;
	mx_err_clear(&e2);
	/* §2.6 c: only the app that activated it, still installed, may ask */
	if (r == NULL || strcmp(r->app_id, app_id) != 0 ||
	    eng_app_find(op, app_id, devpath, sizeof devpath, real, sizeof real, &e2) != 0) {
		rc = mx_sx_fail(err, MX_SXERR_EXTENSION_NOT_FOUND,
		    "Extension not found in App bundle: perhaps App is not validly structured");
		goto refuse;
	}
	if (mx_sxpolicy_nonremovable(s.pol, d->os, mx_device_sip_enabled(d), r->team_id,
	    r->identifier)) {
		/* [INF Q11] refused by policy: error 10 */
		rc = mx_sx_fail(err, MX_SXERR_FORBIDDEN_BY_SYSTEM_POLICY, "%s is listed in "
		    "NonRemovableSystemExtensions and System Integrity Protection is enabled", ext_id);
		goto refuse;
	}
	const char *actor = app_id;
	char auth_note[128] = "";
	if (r->state != MX_SX_WAITING_FOR_USER &&
	    mx_sx_unload_needs_admin(s.pol, d->os, r->team_id, r->identifier, false)) {
		if (cred == NULL) {
			/* the dialog is up; the request waits for it (or fails headless):
			 * the dialog is committed, then the request fails */
			mx_alert_spec a;
			mx_sysext_auth_alert(base_name(devpath), r->identifier, r->short_version,
			    r->version, &a);
			if ((rc = sx_show(&s, &a, err)) ||
			    (rc = sx_event(&s, "sysextd", why, err, "deactivation of %s needs an "
			    "administrator: authorization dialog shown", ext_id)) ||
			    (rc = mx_store_commit(op->st, err)))
				goto out;
			op->open = false;
			rc = mx_sx_fail(err, MX_SXERR_AUTHORIZATION_REQUIRED, "removing %s needs an "
			    "administrator's name and password (answer the dialog with --as USER:PASSWORD)",
			    ext_id);
			goto out;
		}
		const mx_user *u;
		if ((rc = mx_auth_check_memo(d, cred, true, eng_pw_memo(op->e), &u, err))) {
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
	if ((rc = sx_unload(&s, r, true, why, &result, err)) ||
	    (rc = sx_event(&s, actor, why, err, "deactivation request for %s: %s%s", ext_id, result,
	    auth_note)))
		goto out;
	snprintf(out->identifier, sizeof out->identifier, "%s", ext_id);
	snprintf(out->app_id, sizeof out->app_id, "%s", app_id);
	snprintf(out->unique_id, sizeof out->unique_id, "%s", r->unique_id);
	out->result = result;
	out->state = r->state;
	snprintf(out->note, sizeof out->note, "%s", auth_note);
	goto out;
refuse:
	rc = request_failed(op, app_id, "deactivation", ext_id, err);
out:
	sx_free(&s);
	return rc;
}
