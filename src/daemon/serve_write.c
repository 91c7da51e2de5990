/*
 * serve_write.c — the API's changes.  Each parses and checks its request
 * (JSON bodies member by member; profiles and MDM commands read and
 * verified by the engine's imports before the write transaction opens),
 * then runs one engine operation in one transaction on one device — the
 * same operations, documents and errors as the CLI verb it names.  Admin
 * actions carry {"user", "password"} (what --as carries); bodies that are
 * not JSON carry them in X-Macext-Admin: USER:PASSWORD.  docs/api.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "daemon/serve_int.h"
#include "macext/enroll.h"
#include "macext/profile.h"
#include "macext/text.h"

/* The JSON body (empty: {}) with only the members keys allows. */
static int
body(sreq *q, const char *const *keys, json_t **out, mx_err *err)
{
	int rc = serve_body_object(q->body, q->len, true, out, err);
	if (rc == 0 && keys && (rc = serve_json_only(*out, keys, err))) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* The credentials of a JSON body, else of X-Macext-Admin. */
static int
cred_of(sreq *q, json_t *o, char *cred, size_t len, mx_err *err)
{
	int rc = o ? serve_body_cred(o, cred, len, err) : 0;
	if (rc == 0 && cred[0] == '\0' && q->admin) {
		if (strlen(q->admin) >= len || strchr(q->admin, ':') == NULL)
			return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "X-Macext-Admin: expected"
			    " USER:PASSWORD");
		snprintf(cred, len, "%s", q->admin);
	}
	return rc;
}

/* Commits op and answers the device as it now is. */
static int
device_doc(mx_op *op, int rc, sresp *r, mx_err *err)
{
	mx_device d = *mx_op_device(op);
	if ((rc = mx_op_end(op, rc, err)))
		return rc;
	return mx_json_device(&r->json, &d, err);
}

static const char *const cred_keys[] = { "user", "password", NULL };

/* ---- session ---- */

static int
wr_session(sreq *q, sresp *r, mx_err *err)
{
	static const char *const keys[] = { "token", NULL };
	json_t *o;
	const char *tok;
	int rc = serve_body_object(q->body, q->len, false, &o, err);
	if (rc || (rc = serve_json_only(o, keys, err)) ||
	    (rc = serve_json_str(o, "token", 128, &tok, err))) {
		json_decref(o);
		return rc;
	}
	bool ok = tok && strlen(tok) == 64 && CRYPTO_memcmp(tok, q->srv->token, 64) == 0;
	json_decref(o);
	if (!ok)
		return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET, "\"token\": not this daemon's token"
		    " (STATE/serve.token)");
	char id[65];
	serve_session_new(q->srv, id);
	snprintf(r->cookie, sizeof r->cookie, "macext_session=%s; HttpOnly; SameSite=Strict;"
	    " Path=/", id);
	r->status = 204;
	return 0;
}

static int
wr_session_delete(sreq *q, sresp *r, mx_err *err)
{
	if (q->session)
		serve_session_drop(q->srv, q->session);
	snprintf(r->cookie, sizeof r->cookie, "macext_session=; HttpOnly; SameSite=Strict; Path=/;"
	    " Max-Age=0");
	r->status = 204;
	return 0;
}

/* ---- devices ---- */

static int
wr_device_delete(sreq *q, sresp *r, mx_err *err)
{
	mx_device d;
	int rc = mx_engine_device_delete(q->e, q->dev, &d, err);
	if (rc)
		return rc;
	serve_sse_note(q->srv, d.name, "device deleted");
	r->json = json_pack("{s:s, s:b}", "name", d.name, "deleted", 1);
	return 0;
}

/* ---- alerts ---- */

/* The user closes an alert: {"kind"?, "subject"?} must be the alert's
 * when given (the page names the alert it showed). */
static int
wr_alert_dismiss(sreq *q, sresp *r, mx_err *err)
{
	static const char *const keys[] = { "kind", "subject", NULL };
	json_t *o;
	const char *kind, *subject;
	int rc = body(q, keys, &o, err);
	if (rc)
		return rc;
	int64_t id = 0;
	if ((rc = serve_json_str(o, "kind", 47, &kind, err)) == 0 &&
	    (rc = serve_json_str(o, "subject", 255, &subject, err)) == 0 &&
	    !mx_parse_i64(q->m->param[1], 1, INT64_MAX, &id))
		rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "path segment 6: expected an alert id"
		    " (a whole number, `id` in GET .../alerts)");
	mx_op *op;
	mx_alert a;
	if (rc == 0 && (rc = mx_op_begin(&op, q->e, q->dev, MX_OP_WRITE, err)) == 0)
		rc = mx_op_end(op, mx_op_alert_dismiss(op, id, kind, subject, &a, err), err);
	json_decref(o);
	json_t *j;
	if (rc || (rc = mx_json_alert(&j, &a, err)))
		return rc;
	r->json = json_pack("{s:I, s:b, s:o}", "id", (json_int_t)a.id, "dismissed", 1, "alert", j);
	return 0;
}

/* ---- profiles ---- */

static int
wr_profile_install(sreq *q, sresp *r, mx_err *err)
{
	char via[16] = "", cred[330] = "";
	int f = serve_query_get(q->query, "via", via, sizeof via, err);
	if (f < 0)
		return -f;
	bool mdm = f && strcmp(via, "mdm") == 0;
	if (f && !mdm && strcmp(via, "manual") != 0)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "?via: expected manual or mdm");
	int rc = cred_of(q, NULL, cred, sizeof cred, err);
	if (rc)
		return rc;
	if (q->len == 0)
		return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "the body must be a .mobileconfig");
	/* parsed, CMS-checked and its envelope checked before the transaction */
	mx_profile_import p;
	mx_engine_import_profile(q->e, q->body, q->len, "request body", &p);
	mx_op *op;
	mx_profile_row row;
	if ((rc = mx_op_begin(&op, q->e, q->dev, MX_OP_WRITE, err)) == 0) {
		if (!mdm)
			rc = mx_op_auth(op, cred[0] ? cred : NULL, true, "manual profile install", NULL, err);
		if (rc == 0)
			rc = mx_op_profile_install(op, &p, mdm ? MX_VIA_MDM : MX_VIA_MANUAL, &row, err);
		rc = mx_op_end(op, rc, err);
	}
	mx_profile_import_free(&p);
	if (rc)
		return rc;
	r->status = 201;
	return mx_json_profile(&r->json, &row, NULL, err);
}

static int
wr_profile_remove(sreq *q, sresp *r, mx_err *err)
{
	static const char *const keys[] = { "user", "password", "via", NULL };
	json_t *o;
	int rc = body(q, keys, &o, err);
	if (rc)
		return rc;
	char cred[330];
	const char *via;
	if ((rc = cred_of(q, o, cred, sizeof cred, err)) ||
	    (rc = serve_json_str(o, "via", 8, &via, err))) {
		json_decref(o);
		return rc;
	}
	bool mdm = via && strcmp(via, "mdm") == 0;
	if (via && !mdm && strcmp(via, "manual") != 0) {
		json_decref(o);
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"via\": expected manual or mdm");
	}
	json_decref(o);
	mx_op *op;
	if ((rc = mx_op_begin(&op, q->e, q->dev, MX_OP_WRITE, err)))
		return rc;
	rc = mdm ? mx_op_profile_remove(op, q->m->param[1], MX_VIA_MDM, err) :
	    mx_op_profile_remove_by_user(op, q->m->param[1], cred[0] ? cred : NULL, err);
	if ((rc = mx_op_end(op, rc, err)))
		return rc;
	r->json = json_pack("{s:s, s:b}", "identifier", q->m->param[1], "removed", 1);
	return 0;
}

/* ---- approvals ---- */

/* The admin credentials of the body (required), then a write op on the
 * request's device. */
static int
admin_op(sreq *q, char *cred, size_t len, mx_op **op, mx_err *err)
{
	json_t *o;
	int rc = body(q, cred_keys, &o, err);
	if (rc)
		return rc;
	rc = cred_of(q, o, cred, len, err);
	json_decref(o);
	if (rc == 0 && cred[0] == '\0')
		rc = MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET, "an administrator's \"user\" and"
		    " \"password\" are required");
	return rc ? rc : mx_op_begin(op, q->e, q->dev, MX_OP_WRITE, err);
}

static int
wr_sysext_approve(sreq *q, sresp *r, mx_err *err)
{
	char cred[330];
	mx_op *op;
	int rc = admin_op(q, cred, sizeof cred, &op, err);
	if (rc)
		return rc;
	mx_sx_rec rec;
	if ((rc = mx_op_end(op, mx_op_sysext_approve(op, q->m->param[1], cred, &rec, err), err)))
		return rc;
	return mx_json_sysext(&r->json, &rec, err);
}

static int
wr_kext_approve(sreq *q, sresp *r, mx_err *err)
{
	char cred[330];
	mx_op *op;
	int rc = admin_op(q, cred, sizeof cred, &op, err);
	if (rc)
		return rc;
	mx_kext_approve_result res;
	if ((rc = mx_op_end(op, mx_op_kext_approve(op, q->m->param[1], cred, &res, err), err)))
		return rc;
	json_t *k;
	if ((rc = mx_json_kext(&k, &res.kext, err)))
		return rc;
	r->json = json_pack("{s:o, s:s, s:i, s:b}", "kext", k, "allowed_by", res.user, "approved",
	    res.napproved, "restart_required", res.kext.state == MX_KEXT_AWAITING_RESTART);
	return r->json ? 0 : MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "the user name is not UTF-8");
}

/* ---- power and security ---- */

static int
wr_restart(sreq *q, sresp *r, mx_err *err)
{
	json_t *o;
	char cred[330];
	int rc = body(q, cred_keys, &o, err);
	if (rc)
		return rc;
	rc = cred_of(q, o, cred, sizeof cred, err);
	json_decref(o);
	mx_op *op;
	if (rc || (rc = mx_op_begin(&op, q->e, q->dev, MX_OP_WRITE, err)))
		return rc;
	return device_doc(op, mx_op_restart(op, cred[0] ? cred : NULL, err), r, err);
}

static int
wr_power_on(sreq *q, sresp *r, mx_err *err)
{
	json_t *o;
	int rc = body(q, cred_keys, &o, err);
	if (rc)
		return rc;
	json_decref(o);
	mx_op *op;
	if ((rc = mx_op_begin(&op, q->e, q->dev, MX_OP_WRITE, err)))
		return rc;
	if (mx_op_device(op)->env != MX_ENV_OFF)
		rc = MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is not shut down", q->dev);
	else
		rc = mx_op_restart(op, NULL, err);
	return device_doc(op, rc, r, err);
}

static int
wr_shutdown(sreq *q, sresp *r, mx_err *err)
{
	json_t *o;
	int rc = body(q, cred_keys, &o, err);
	if (rc)
		return rc;
	json_decref(o);
	mx_op *op;
	if ((rc = mx_op_begin(&op, q->e, q->dev, MX_OP_WRITE, err)))
		return rc;
	return device_doc(op, mx_op_shutdown(op, err), r, err);
}

static int
wr_recovery(sreq *q, sresp *r, mx_err *err)
{
	static const char *const keys[] = { "via", NULL };
	json_t *o;
	const char *via;
	int rc = body(q, keys, &o, err);
	if (rc)
		return rc;
	if ((rc = serve_json_str(o, "via", 16, &via, err))) {
		json_decref(o);
		return rc;
	}
	enum mx_recovery_entry entry;
	if (via && strcmp(via, "power-button") == 0) {
		entry = MX_RECOVERY_POWER_BUTTON;
	} else if (via && strcmp(via, "software") == 0) {
		entry = MX_RECOVERY_SOFTWARE;
	} else {
		json_decref(o);
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"via\": expected \"power-button\" (press"
		    " and hold the power button at start-up) or \"software\"");
	}
	json_decref(o);
	mx_op *op;
	if ((rc = mx_op_begin(&op, q->e, q->dev, MX_OP_WRITE, err)))
		return rc;
	return device_doc(op, mx_op_recovery(op, entry, err), r, err);
}

static int
wr_security(sreq *q, sresp *r, mx_err *err)
{
	static const char *const keys[] = { "policy", "allow_kexts", "allow_mdm_kexts", "user",
		"password", NULL };
	json_t *o;
	const char *pol;
	bool kuser = false, kremote = false;
	char cred[330];
	int rc = body(q, keys, &o, err);
	if (rc)
		return rc;
	if ((rc = serve_json_str(o, "policy", 16, &pol, err)) ||
	    (rc = serve_json_bool(o, "allow_kexts", &kuser, NULL, err)) ||
	    (rc = serve_json_bool(o, "allow_mdm_kexts", &kremote, NULL, err)) ||
	    (rc = cred_of(q, o, cred, sizeof cred, err))) {
		json_decref(o);
		return rc;
	}
	enum mx_secpolicy level;
	if (pol == NULL)
		rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"policy\": full, reduced or permissive");
	else if ((rc = mx_secpolicy_parse(&level, pol, err)) == 0 && level == MX_SEC_FULL &&
	    (kuser || kremote))
		rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "the kernel extension options belong to"
		    " Reduced Security (or Permissive), not Full");
	json_decref(o);
	if (rc)
		return rc;
	mx_op *op;
	mx_security_info si;
	if ((rc = mx_op_begin(&op, q->e, q->dev, MX_OP_WRITE, err)))
		return rc;
	if ((rc = mx_op_ssu_set(op, level, kuser, kremote, cred[0] ? cred : NULL, err)) == 0)
		rc = mx_op_security_info(op, &si, err);
	if ((rc = mx_op_end(op, rc, err)))
		return rc;
	return mx_json_security_info(&r->json, &si, err);
}

/* ---- MDM ---- */

static int
wr_mdm_command(sreq *q, sresp *r, mx_err *err)
{
	if (q->len == 0)
		return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "the body must be an MDM command plist");
	char *xml;
	uint32_t xl;
	int rc = mx_engine_mdm_command(q->e, q->dev, q->body, q->len, "request body", &xml, &xl, err);
	if (rc)
		return rc;
	r->raw = xml;
	r->rawlen = xl;
	r->ctype = "application/xml";
	return 0;
}

/* The macOS 15 switch: {"enabled": BOOL, "user", "password"}. */
static int
wr_sysext_enabled(sreq *q, sresp *r, mx_err *err)
{
	static const char *const keys[] = { "enabled", "user", "password", NULL };
	json_t *o;
	bool on = false, present = false;
	char cred[330];
	int rc = body(q, keys, &o, err);
	if (rc)
		return rc;
	if ((rc = serve_json_bool(o, "enabled", &on, &present, err)) == 0 &&
	    (rc = cred_of(q, o, cred, sizeof cred, err)) == 0 && !present)
		rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"enabled\": required (true or false)");
	json_decref(o);
	mx_op *op;
	if (rc || (rc = mx_op_begin(&op, q->e, q->dev, MX_OP_WRITE, err)))
		return rc;
	mx_sx_rec rec;
	if ((rc = mx_op_end(op, mx_op_sysext_set_enabled(op, q->m->param[1], on, cred[0] ? cred : NULL,
	    &rec, err), err)))
		return rc;
	return mx_json_sysext(&r->json, &rec, err);
}

/* OSSystemExtensionRequest.activationRequest by the app {"app": BUNDLE_ID}
 * in /Applications; "on_replace": "replace" (default) or "cancel". */
static int
wr_sysext_activate(sreq *q, sresp *r, mx_err *err)
{
	static const char *const keys[] = { "app", "on_replace", NULL };
	json_t *o;
	const char *app_id, *onr;
	int rc = body(q, keys, &o, err);
	if (rc)
		return rc;
	if ((rc = serve_json_str(o, "app", 255, &app_id, err)) == 0 &&
	    (rc = serve_json_str(o, "on_replace", 8, &onr, err)) == 0) {
		if (app_id == NULL || !serve_valid_ident(app_id))
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"app\": the bundle identifier of an"
			    " app in /Applications");
		else if (onr && strcmp(onr, "replace") && strcmp(onr, "cancel"))
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"on_replace\": replace or cancel");
	}
	if (rc) {
		json_decref(o);
		return rc;
	}
	char app_s[256];
	snprintf(app_s, sizeof app_s, "%s", app_id);
	bool replace = !onr || strcmp(onr, "cancel") != 0;
	json_decref(o);
	mx_sx_app_ref app = { .bundle_id = app_s };
	mx_sx_request *req;
	if ((rc = mx_engine_sysext_prepare(q->e, q->dev, &app, q->m->param[1], &req, err))) {
		mx_sx_request_free(req);
		return rc;
	}
	mx_op *op;
	mx_sx_result res;
	if ((rc = mx_op_begin(&op, q->e, q->dev, MX_OP_WRITE, err)) == 0)
		rc = mx_op_end(op, mx_op_sysext_activate(op, req, replace, &res, err), err);
	mx_expiry expired = *mx_sx_request_expiry(req);
	mx_sx_request_free(req);
	if (rc)
		return rc;
	json_t *ex;
	if ((rc = mx_json_sysext_result(&r->json, &res, true, err)) == 0 &&
	    (rc = mx_json_expiry(&ex, &expired, err)) == 0)
		json_object_set_new(r->json, "expired_certificates", ex);
	return rc;
}

/* kmutil load -b ID: what each attempt reached is kept (committed) even
 * when the kext needs approval or a restart; then the KMErrorDomain
 * problem, or the kext as loaded. */
static int
wr_kext_load(sreq *q, sresp *r, mx_err *err)
{
	json_t *o;
	int rc = body(q, cred_keys, &o, err);
	if (rc)
		return rc;
	json_decref(o);
	mx_op *op;
	if ((rc = mx_op_begin(&op, q->e, q->dev, MX_OP_WRITE, err)))
		return rc;
	static __thread mx_kext_load_report rep;   /* 80 KiB: not on a worker's stack */
	const char *names[1] = { q->m->param[1] };
	mx_device d = *mx_op_device(op);
	if ((rc = mx_op_end(op, mx_op_kext_load(op, names, 1, &rep, err), err)))
		return rc;
	if ((rc = mx_kext_load_error(&rep, &d, err)))
		return rc;
	return mx_json_kext(&r->json, &rep.item[0].kext, err);
}

/* `mdm enroll --profile`: the body is the enrolment profile; the agent
 * (serve --mdm, or `macext mdm agent`) enrols the Mac over the wire. */
static int
wr_mdm_enroll(sreq *q, sresp *r, mx_err *err)
{
	char method_s[16] = "", approved_s[8] = "", insecure_s[8] = "";
	int f;
	if ((f = serve_query_get(q->query, "method", method_s, sizeof method_s, err)) < 0 ||
	    (f = serve_query_get(q->query, "user_approved", approved_s, sizeof approved_s, err)) < 0 ||
	    (f = serve_query_get(q->query, "insecure", insecure_s, sizeof insecure_s, err)) < 0)
		return -f;
	enum mx_enroll method = MX_ENROLL_DEVICE;
	if (method_s[0] && (mx_enroll_parse(&method, method_s, err) || method == MX_ENROLL_NONE))
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "?method: device, automated or user");
	bool approved = strcmp(approved_s, "1") == 0 || strcmp(approved_s, "true") == 0;
	bool insecure = strcmp(insecure_s, "1") == 0 || strcmp(insecure_s, "true") == 0;
	if (q->len == 0)
		return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "the body must be an enrolment profile");
	mx_enroll_profile prof;
	int rc = mx_enroll_profile_read(&prof, q->body, q->len, "request body",
	    insecure ? MX_ENROLL_ALLOW_HTTP : 0, err);
	if (rc)
		return rc;
	mx_op *op;
	if ((rc = mx_op_begin(&op, q->e, q->dev, MX_OP_WRITE, err)) == 0)
		rc = mx_op_end(op, mx_op_mdm_enrol_record(op, &prof, q->body, q->len, method, approved, insecure,
		    "serve: mdm enroll", err), err);
	if (rc == 0) {
		r->status = 202;
		r->json = json_pack("{s:s, s:s, s:s, s:s?, s:b, s:b}", "device", q->dev, "state",
		    "pending", "method", mx_enroll_name(method), "server_url", prof.server_url,
		    "user_approved", approved || method != MX_ENROLL_DEVICE, "insecure", insecure);
		if (q->srv->agent)
			mx_agent_rescan(q->srv->agent);
	}
	mx_enroll_profile_free(&prof);
	return rc;
}

int serve_upload_kext(sreq *q, sresp *r, mx_err *err);
int serve_upload_app(sreq *q, sresp *r, mx_err *err);

int
serve_write_handler(enum serve_route_id id, serve_handler *out)
{
	static const struct { enum serve_route_id id; serve_handler h; } t[] = {
		{ R_SESSION_POST, wr_session }, { R_SESSION_DELETE, wr_session_delete },
		{ R_DEVICES_POST, serve_device_create }, { R_DEVICE_DELETE, wr_device_delete },
		{ R_PROFILES_POST, wr_profile_install }, { R_PROFILE_DELETE, wr_profile_remove },
		{ R_SYSEXT_APPROVE, wr_sysext_approve }, { R_SYSEXT_ENABLED, wr_sysext_enabled },
		{ R_KEXT_APPROVE, wr_kext_approve }, { R_KEXTS_POST, serve_upload_kext },
		{ R_APPS_POST, serve_upload_app }, { R_SECURITY_POST, wr_security },
		{ R_RESTART, wr_restart }, { R_SHUTDOWN, wr_shutdown }, { R_POWER_ON, wr_power_on },
		{ R_RECOVERY, wr_recovery }, { R_MDM_COMMAND, wr_mdm_command },
		{ R_SYSEXT_ACTIVATE, wr_sysext_activate }, { R_KEXT_LOAD, wr_kext_load },
		{ R_MDM_ENROLL, wr_mdm_enroll }, { R_ALERT_DISMISS, wr_alert_dismiss },
		{ R_FLEET_DEVICES_POST, serve_fleet_devices },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (t[i].id == id) {
			*out = t[i].h;
			return 1;
		}
	return 0;
}
