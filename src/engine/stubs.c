/*
 * stubs.c — operations not moved into the engine yet (milestone 1 of
 * issue 10): each fails loudly with MX_EINVALID "not implemented yet".
 * Removed piece by piece as each operation moves here.
 */
#include <string.h>

#include "engine_int.h"

int
mx_engine_import_bundle(mx_engine *e, const char *host_path, char out_hash[65], mx_err *err)
{
	(void)e;
	(void)host_path;
	(void)out_hash;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_engine_import_bundle: not implemented yet");
}

int
mx_engine_import_kext(mx_engine *e, const char *host_path, const char *device, mx_kext_import *out)
{
	(void)e;
	(void)host_path;
	(void)device;
	(void)out;
	return MX_EINVALID;
}

int
mx_engine_import_app(mx_engine *e, const char *host_path, mx_app_import *out)
{
	(void)e;
	(void)host_path;
	(void)out;
	return MX_EINVALID;
}

int
mx_engine_profile_read(mx_engine *e, const uint8_t *buf, size_t len, const char *name, mx_profile_doc **out, mx_err *err)
{
	(void)e;
	(void)buf;
	(void)len;
	(void)name;
	(void)out;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_engine_profile_read: not implemented yet");
}

int
mx_engine_import_profile(mx_engine *e, const uint8_t *buf, size_t len, const char *name, mx_profile_import *out)
{
	(void)e;
	(void)buf;
	(void)len;
	(void)name;
	(void)out;
	return MX_EINVALID;
}

void
mx_profile_import_free(mx_profile_import *p)
{
	(void)p;
}

int
mx_engine_mdm_request(mx_engine *e, const uint8_t *buf, size_t len, const char *name, mx_mdm_request *out, mx_err *err)
{
	(void)e;
	(void)buf;
	(void)len;
	(void)name;
	(void)out;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_engine_mdm_request: not implemented yet");
}

void
mx_mdm_request_free(mx_mdm_request *r)
{
	(void)r;
}

int
mx_engine_sysext_prepare(mx_engine *e, const char *device, const mx_sx_app_ref *app, const char *ext_id, mx_sx_request **out, mx_err *err)
{
	(void)e;
	(void)device;
	(void)app;
	(void)ext_id;
	(void)out;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_engine_sysext_prepare: not implemented yet");
}

void
mx_sx_request_free(mx_sx_request *r)
{
	(void)r;
}

int
mx_op_restart(mx_op *op, const char *cred, mx_err *err)
{
	(void)op;
	(void)cred;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_restart: not implemented yet");
}

int
mx_op_shutdown(mx_op *op, mx_err *err)
{
	(void)op;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_shutdown: not implemented yet");
}

int
mx_op_recovery(mx_op *op, enum mx_recovery_entry via, mx_err *err)
{
	(void)op;
	(void)via;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_recovery: not implemented yet");
}

int
mx_op_ssu_set(mx_op *op, enum mx_secpolicy level, bool kext_user, bool kext_remote, const char *cred, mx_err *err)
{
	(void)op;
	(void)level;
	(void)kext_user;
	(void)kext_remote;
	(void)cred;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_ssu_set: not implemented yet");
}

int
mx_op_security_set(mx_op *op, const mx_lp_request *req, const char *cred, const char *tool, mx_err *err)
{
	(void)op;
	(void)req;
	(void)cred;
	(void)tool;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_security_set: not implemented yet");
}

int
mx_op_csrutil_set(mx_op *op, const char *cmd, uint32_t csr, const char *cred, mx_err *err)
{
	(void)op;
	(void)cmd;
	(void)csr;
	(void)cred;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_csrutil_set: not implemented yet");
}

int
mx_op_csrutil_authroot(mx_op *op, bool disable, const char *cred, mx_err *err)
{
	(void)op;
	(void)disable;
	(void)cred;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_csrutil_authroot: not implemented yet");
}

int
mx_op_kext_consent_set(mx_op *op, enum mx_consent_action act, const char *team, mx_err *err)
{
	(void)op;
	(void)act;
	(void)team;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_kext_consent_set: not implemented yet");
}

int
mx_op_kext_consent_get(mx_op *op, mx_kext_consent_state *out, mx_err *err)
{
	(void)op;
	(void)out;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_kext_consent_get: not implemented yet");
}

int
mx_op_security_info(mx_op *op, mx_security_info *out, mx_err *err)
{
	(void)op;
	(void)out;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_security_info: not implemented yet");
}

void
mx_security_policy_summary(char *buf, size_t len, const mx_localpolicy *lp)
{
	(void)buf;
	(void)len;
	(void)lp;
}

int
mx_op_enroll(mx_op *op, enum mx_enroll method, bool user_approved, bool in_abm, mx_err *err)
{
	(void)op;
	(void)method;
	(void)user_approved;
	(void)in_abm;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_enroll: not implemented yet");
}

int
mx_op_unenroll(mx_op *op, mx_err *err)
{
	(void)op;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_unenroll: not implemented yet");
}

int
mx_op_escrow_bootstrap_token(mx_op *op, mx_err *err)
{
	(void)op;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_escrow_bootstrap_token: not implemented yet");
}

int
mx_op_mdm_restart(mx_op *op, const mx_mdm_restart *req, bool *restarted, mx_err *err)
{
	(void)op;
	(void)req;
	(void)restarted;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_mdm_restart: not implemented yet");
}

int
mx_op_mdm_command(mx_op *op, const mx_mdm_request *req, plist_t *response, mx_err *err)
{
	(void)op;
	(void)req;
	(void)response;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_mdm_command: not implemented yet");
}

plist_t
mx_mdm_error_chain(const mx_err *err)
{
	return NULL;
}

int
mx_op_profile_installable(mx_op *op, enum mx_via via, mx_err *err)
{
	(void)op;
	(void)via;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_profile_installable: not implemented yet");
}

int
mx_op_profile_install(mx_op *op, const mx_profile_import *p, enum mx_via via, mx_profile_row *out, mx_err *err)
{
	(void)op;
	(void)p;
	(void)via;
	(void)out;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_profile_install: not implemented yet");
}

int
mx_op_profile_remove(mx_op *op, const char *identifier, enum mx_via via, mx_err *err)
{
	(void)op;
	(void)identifier;
	(void)via;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_profile_remove: not implemented yet");
}

int
mx_op_profiles_each(mx_op *op, int (*fn)(const mx_profile_row *, void *), void *arg, mx_err *err)
{
	(void)op;
	(void)arg;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_profiles_each: not implemented yet");
}

int
mx_op_profile_get(mx_op *op, const char *identifier, mx_profile_row *out, char **payload_xml, mx_err *err)
{
	(void)op;
	(void)identifier;
	(void)out;
	(void)payload_xml;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_profile_get: not implemented yet");
}

int
mx_op_merged_policy(mx_op *op, json_t **out, mx_err *err)
{
	(void)op;
	(void)out;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_merged_policy: not implemented yet");
}

int
mx_op_app_install(mx_op *op, const mx_app_import *app, mx_app_info *out, mx_err *err)
{
	(void)op;
	(void)app;
	(void)out;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_app_install: not implemented yet");
}

int
mx_op_app_delete(mx_op *op, const char *bundle_id, const char *cred, char *devpath, size_t devpath_len, mx_err *err)
{
	(void)op;
	(void)bundle_id;
	(void)cred;
	(void)devpath;
	(void)devpath_len;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_app_delete: not implemented yet");
}

int
mx_op_sysext_activate(mx_op *op, const mx_sx_request *req, bool replace, mx_sx_result *out, mx_err *err)
{
	(void)op;
	(void)req;
	(void)replace;
	(void)out;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_sysext_activate: not implemented yet");
}

int
mx_op_sysext_deactivate(mx_op *op, const char *app_id, const char *ext_id, const char *cred, mx_sx_result *out, mx_err *err)
{
	(void)op;
	(void)app_id;
	(void)ext_id;
	(void)cred;
	(void)out;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_sysext_deactivate: not implemented yet");
}

int
mx_op_sysext_approve(mx_op *op, const char *bundle_id, const char *cred, mx_sx_rec *out, mx_err *err)
{
	(void)op;
	(void)bundle_id;
	(void)cred;
	(void)out;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_sysext_approve: not implemented yet");
}

int
mx_op_sysext_developer(mx_op *op, const bool *on, bool *now_on, mx_err *err)
{
	(void)op;
	(void)on;
	(void)now_on;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_sysext_developer: not implemented yet");
}

int
mx_op_sysext_reset(mx_op *op, size_t *count, mx_err *err)
{
	(void)op;
	(void)count;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_sysext_reset: not implemented yet");
}

int
mx_op_sysext_uninstall(mx_op *op, const char *team, const char *bundle_id, mx_err *err)
{
	(void)op;
	(void)team;
	(void)bundle_id;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_sysext_uninstall: not implemented yet");
}

int
mx_op_sysext_gc(mx_op *op, size_t *cleaned, mx_err *err)
{
	(void)op;
	(void)cleaned;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_sysext_gc: not implemented yet");
}

int
mx_op_sysexts(mx_op *op, mx_sx_rec **out, size_t *n, mx_err *err)
{
	(void)op;
	(void)out;
	(void)n;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_sysexts: not implemented yet");
}

void
mx_sysext_category_header(char *buf, size_t len, const char *category, mx_version os)
{
	(void)buf;
	(void)len;
	(void)category;
	(void)os;
}

int
mx_op_kext_install(mx_op *op, const mx_kext_import *k, mx_kext *out, mx_err *err)
{
	(void)op;
	(void)k;
	(void)out;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_kext_install: not implemented yet");
}

int
mx_op_kext_remove(mx_op *op, const char *id_or_path, char *what, size_t what_len, mx_err *err)
{
	(void)op;
	(void)id_or_path;
	(void)what;
	(void)what_len;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_kext_remove: not implemented yet");
}

int
mx_op_kext_approve(mx_op *op, const char *bundle_id, const char *cred, mx_kext_approve_result *out, mx_err *err)
{
	(void)op;
	(void)bundle_id;
	(void)cred;
	(void)out;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_kext_approve: not implemented yet");
}

int
mx_op_kext_load(mx_op *op, const char *const *names, int n, mx_kext_load_report *out, mx_err *err)
{
	(void)op;
	(void)names;
	(void)n;
	(void)out;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_kext_load: not implemented yet");
}

int
mx_kext_load_error(const mx_kext_load_report *r, const mx_device *d, mx_err *err)
{
	(void)r;
	(void)d;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_kext_load_error: not implemented yet");
}

int
mx_op_kext_unload(mx_op *op, const char *const *names, int n, mx_err *err)
{
	(void)op;
	(void)names;
	(void)n;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_kext_unload: not implemented yet");
}

int
mx_op_kext_rebuild_plan(mx_op *op, mx_kext_rebuild_plan *out, mx_err *err)
{
	(void)op;
	(void)out;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_kext_rebuild_plan: not implemented yet");
}

void
mx_kext_rebuild_plan_free(mx_kext_rebuild_plan *p)
{
	(void)p;
}

int
mx_op_kext_rebuild_authorize(mx_op *op, const char *cred, mx_err *err)
{
	(void)op;
	(void)cred;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_kext_rebuild_authorize: not implemented yet");
}

int
mx_op_kext_panic_medic(mx_op *op, mx_err *err)
{
	(void)op;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_kext_panic_medic: not implemented yet");
}

int
mx_op_kexts(mx_op *op, mx_kext **out, int *n, mx_err *err)
{
	(void)op;
	(void)out;
	(void)n;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_kexts: not implemented yet");
}

int
mx_op_kext_find(mx_op *op, const char *id_or_path, mx_kext *out, mx_err *err)
{
	(void)op;
	(void)id_or_path;
	(void)out;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_kext_find: not implemented yet");
}

int
mx_op_auxkc(mx_op *op, uint8_t **buf, size_t *len, mx_err *err)
{
	(void)op;
	(void)buf;
	(void)len;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_auxkc: not implemented yet");
}

const char *
mx_kext_settings_name(const mx_device *d)
{
	(void)d;
	return NULL;
}

int
mx_op_alerts_each(mx_op *op, int (*fn)(const mx_alert *, void *), void *arg, mx_err *err)
{
	(void)op;
	(void)arg;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_alerts_each: not implemented yet");
}

int
mx_op_events_each(mx_op *op, int (*fn)(const mx_event *, void *), void *arg, mx_err *err)
{
	(void)op;
	(void)arg;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_op_events_each: not implemented yet");
}

int
mx_json_device(json_t **out, const mx_device *d, mx_err *err)
{
	(void)out;
	(void)d;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_json_device: not implemented yet");
}

int
mx_json_kext(json_t **out, const mx_kext *k, mx_err *err)
{
	(void)out;
	(void)k;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_json_kext: not implemented yet");
}

int
mx_json_sysext(json_t **out, const mx_sx_rec *r, mx_err *err)
{
	(void)out;
	(void)r;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_json_sysext: not implemented yet");
}

int
mx_json_alert(json_t **out, const mx_alert *a, mx_err *err)
{
	(void)out;
	(void)a;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_json_alert: not implemented yet");
}

int
mx_json_profile(json_t **out, const mx_profile_row *r, const char *payload_xml, mx_err *err)
{
	(void)out;
	(void)r;
	(void)payload_xml;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_json_profile: not implemented yet");
}

int
mx_json_event(json_t **out, const mx_event *ev, mx_err *err)
{
	(void)out;
	(void)ev;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_json_event: not implemented yet");
}

int
mx_json_security_info(json_t **out, const mx_security_info *si, mx_err *err)
{
	(void)out;
	(void)si;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_json_security_info: not implemented yet");
}

int
mx_json_localpolicy(json_t **out, const mx_localpolicy *lp, bool valid, mx_err *err)
{
	(void)out;
	(void)lp;
	(void)valid;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_json_localpolicy: not implemented yet");
}

int
mx_json_app(json_t **out, const mx_app_info *a, mx_err *err)
{
	(void)out;
	(void)a;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_json_app: not implemented yet");
}

int
mx_json_sysext_result(json_t **out, const mx_sx_result *r, bool activation, mx_err *err)
{
	(void)out;
	(void)r;
	(void)activation;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_json_sysext_result: not implemented yet");
}

int
mx_json_kext_installed(json_t **out, const mx_kext *k, mx_err *err)
{
	(void)out;
	(void)k;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_json_kext_installed: not implemented yet");
}

int
mx_json_error(json_t **out, const mx_err *e, mx_err *err)
{
	(void)out;
	(void)e;
	return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "mx_json_error: not implemented yet");
}
