/*
 * mdm.c — the device side of MDM: enrolment (none / User Enrollment /
 * Device Enrollment / Automated Device Enrollment, user-approved or not),
 * bootstrap token escrow, RestartDevice, and raw command plists
 * ({CommandUUID, Command: {RequestType, ...}}) answered with the response
 * the Mac would send: InstallProfile, RemoveProfile, RestartDevice,
 * ProfileList and SecurityInfo.  The rules (who may enrol how, escrow,
 * NotifyUser) are src/core/rules.c.
 * Spec: mdm-protocol-and-peers.md §1.3-1.6, kernel-extensions.md §3.7-3.9.
 *
 * ErrorChain (mx_mdm_error_chain): a failure's own domain and code when it
 * has one (OSSystemExtensionErrorDomain, KMErrorDomain, ...); otherwise
 * MCMDMErrorDomain 12021 for an unsupported RequestType (what mdmb and
 * real Macs answer), and [INF docs/mdm.md] 12001 for a malformed command,
 * MCProfileErrorDomain 1000 for an unreadable profile, MCInstallationErrorDomain
 * 4001 for a profile the delivery rules refuse, MCMDMErrorDomain 12000 for
 * any other failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plist/plist.h>

#include "macext/mdm.h"
#include "macext/profile.h"
#include "macext/rules.h"
#include "engine_int.h"

#define MDM_GENERAL_ERROR 12000
#define MDM_MALFORMED_COMMAND 12001
#define MDM_UNKNOWN_REQUEST 12021
#define PROFILE_MALFORMED 1000
#define INSTALL_FAILED 4001

static int
need_macos(const mx_device *d, mx_err *err)
{
	if (d->env != MX_ENV_MACOS)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET,
		    "%s is not running macOS (it is %s): the MDM client cannot answer", d->name,
		    d->env == MX_ENV_OFF ? "off" : "in recoveryOS");
	return 0;
}

static int
need_enrolled(const mx_device *d, mx_err *err)
{
	if (d->enroll == MX_ENROLL_NONE)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET,
		    "%s is not enrolled in MDM: run 'macext mdm enroll --method ...' first", d->name);
	return 0;
}

int
mx_op_mdm_ready(mx_op *op, mx_err *err)
{
	int rc = need_macos(&op->d, err);
	return rc ? rc : need_enrolled(&op->d, err);
}

int
mx_op_enroll(mx_op *op, enum mx_enroll method, bool user_approved, bool in_abm, mx_err *err)
{
	mx_device next;
	int rc;
	if ((rc = need_macos(&op->d, err)) ||
	    (rc = mx_enroll_plan(&op->d, method, user_approved, in_abm, &next, err)))
		return rc;
	op->d = next;
	char what[160];
	snprintf(what, sizeof what, "enrolled: %s%s%s", mx_enroll_name(method),
	    op->d.user_approved ? ", user approved" : "", op->d.supervised ? ", supervised" : "");
	if ((rc = mx_op_event(op, "mdm", what, "enrollment", err)))
		return rc;
	return eng_save(op, err);
}

struct rm_ctx { char (*ids)[256]; int n, cap; };

static int
collect_mdm(const mx_profile_row *r, void *arg)
{
	struct rm_ctx *c = arg;
	if (strcmp(r->source, "mdm") != 0)
		return 0;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->ids = mx_xrealloc(c->ids, (size_t)c->cap * sizeof *c->ids);
	}
	snprintf(c->ids[c->n++], 256, "%s", r->identifier);
	return 0;
}

int
mx_op_unenroll(mx_op *op, mx_err *err)
{
	int rc;
	if ((rc = mx_op_mdm_ready(op, err)))
		return rc;
	/* Unenrolling removes every profile the MDM server installed. */
	struct rm_ctx c = { 0 };
	rc = mx_store_profile_each(op->st, op->d.id, collect_mdm, &c, err);
	for (int i = 0; rc == 0 && i < c.n; i++)
		rc = mx_op_profile_remove(op, c.ids[i], MX_VIA_MDM, err);
	free(c.ids);
	if (rc)
		return rc;
	op->d.enroll = MX_ENROLL_NONE;
	op->d.user_approved = op->d.supervised = op->d.bootstrap_escrowed = false;
	if ((rc = mx_op_event(op, "mdm", "unenrolled; MDM profiles removed", "unenroll", err)))
		return rc;
	return eng_save(op, err);
}

int
mx_op_escrow_bootstrap_token(mx_op *op, mx_err *err)
{
	int rc;
	if ((rc = mx_op_mdm_ready(op, err)) || (rc = mx_escrow_check(&op->d, err)))
		return rc;
	op->d.bootstrap_escrowed = true;
	if ((rc = mx_op_event(op, "mdm", "bootstrap token escrowed", "SetBootstrapToken", err)))
		return rc;
	return eng_save(op, err);
}

/* RestartDevice (mdm/commands/device.restart.yaml), the device being ready. */
static int
restart_device(mx_op *op, const mx_mdm_restart *req, bool *restarted, mx_err *err)
{
	int rc;
	enum mx_restart_plan plan;
	*restarted = false;
	if ((rc = mx_mdm_restart_plan(&op->d, req->notify_user, req->rebuild_kernel_cache,
	    req->nkext_paths, &plan, err)))
		return rc;
	if (plan == MX_RESTART_NOTIFY) {
		/* NotifyUser: the user restarts when convenient (and may dismiss it);
		 * that restart rebuilds the AuxKC like any restart from macOS. */
		mx_alert_spec a;
		mx_mdm_restart_alert(&a);
		op->d.restart_pending = true;
		if ((rc = eng_alert(op, a.kind, a.subject, a.title, a.text, a.actions, err)) ||
		    (rc = eng_save(op, err)))
			return rc;
		return mx_op_event(op, "mdm", "RestartDevice with NotifyUser: user notified to restart",
		    "RestartDevice", err);
	}
	if ((rc = mx_op_event(op, "mdm", req->rebuild_kernel_cache ?
	    "RestartDevice (RebuildKernelCache)" : "RestartDevice", "RestartDevice", err)) ||
	    (rc = eng_restart(op, req->rebuild_kernel_cache, req->kext_paths, req->nkext_paths, "mdm",
	    err)))
		return rc;
	*restarted = true;
	return 0;
}

int
mx_op_mdm_restart(mx_op *op, const mx_mdm_restart *req, bool *restarted, mx_err *err)
{
	bool r;
	int rc = mx_op_mdm_ready(op, err);
	if (rc == 0)
		rc = restart_device(op, req, &r, err);
	if (restarted)
		*restarted = rc == 0 && r;
	return rc;
}

/* ---- raw MDM commands ---- */

int
mx_engine_mdm_request(mx_engine *e, const uint8_t *buf, size_t len, const char *name,
    mx_mdm_request *out, mx_err *err)
{
	memset(out, 0, sizeof *out);
	mx_err_clear(&out->profile.err);
	/* the envelope and every key's type are checked by the formats layer */
	int rc = mx_mdm_command_parse(&out->cmd, buf, len, name, err);
	if (rc)
		return rc;
	/* InstallProfile: the payload is read and CMS-checked now, before the
	 * command's transaction */
	if (!out->cmd.bad && strcmp(out->cmd.type, "InstallProfile") == 0) {
		mx_engine_import_profile(e, out->cmd.payload, out->cmd.payload_len, "Command.Payload",
		    &out->profile);
		if (out->profile.rc && out->profile.err.domain == MX_DOM_NONE)
			mx_err_domain(&out->profile.err, MX_DOM_PROFILE, PROFILE_MALFORMED, 0);
	}
	return 0;
}

void
mx_mdm_request_free(mx_mdm_request *r)
{
	if (r == NULL)
		return;
	mx_profile_import_free(&r->profile);
	mx_mdm_command_free(&r->cmd);
	memset(r, 0, sizeof *r);
}

int
mx_engine_mdm_command(mx_engine *e, const char *device, const uint8_t *buf, size_t len,
    const char *name, char **xml, uint32_t *xml_len, mx_err *err)
{
	*xml = NULL;
	*xml_len = 0;
	mx_mdm_request req;
	int rc = mx_engine_mdm_request(e, buf, len, name, &req, err);
	if (rc)
		return rc;
	mx_op *op;
	plist_t resp = NULL;
	if ((rc = mx_op_begin(&op, e, device, MX_OP_WRITE, err)) == 0)
		rc = mx_op_end(op, mx_op_mdm_command(op, &req, &resp, err), err);
	mx_mdm_request_free(&req);
	if (rc == 0)
		plist_to_xml(resp, xml, xml_len);
	plist_free(resp);
	return rc;
}

plist_t
mx_mdm_error_chain(const mx_err *err)
{
	const char *domain = mx_domain_name(err->domain);
	int code = err->subcode;
	if (domain[0] == '\0') {
		domain = "MCMDMErrorDomain";
		code = MDM_GENERAL_ERROR;
	}
	char msg[800];
	snprintf(msg, sizeof msg, "%s%s%s", err->where, err->where[0] ? ": " : "", err->msg);
	plist_t chain = plist_new_array(), e = plist_new_dict();
	plist_dict_set_item(e, "ErrorCode", plist_new_uint((uint64_t)code));
	plist_dict_set_item(e, "ErrorDomain", plist_new_string(domain));
	plist_dict_set_item(e, "LocalizedDescription", plist_new_string(msg));
	plist_dict_set_item(e, "USEnglishDescription", plist_new_string(msg));
	plist_array_append_item(chain, e);
	return chain;
}

int
mx_op_mdm_command(mx_op *op, const mx_mdm_request *req, plist_t *response, mx_err *err)
{
	const mx_mdm_command *mc = &req->cmd;
	*response = NULL;
	int rc;
	if ((rc = mx_op_mdm_ready(op, err)))
		return rc;
	plist_t resp = plist_new_dict();
	plist_dict_set_item(resp, "CommandUUID", plist_new_string(mc->uuid));
	plist_dict_set_item(resp, "UDID", plist_new_string(op->d.udid));
	mx_err cerr;
	mx_err_clear(&cerr);
	int crc = 0;
	bool answered = false;
	if (mc->bad) {
		crc = mc->bad;
		cerr = mc->bad_err;
		mx_err_domain(&cerr, MX_DOM_MDM, MDM_MALFORMED_COMMAND, 0);
	} else if ((crc = eng_mdm_query(op, mc, resp, &answered, &cerr)) != 0 || answered) {
		/* refused by the gate (mdm_query.c), or a query it answered */
	} else if (strcmp(mc->type, "InstallProfile") == 0) {
		crc = mx_op_profile_install(op, &req->profile, MX_VIA_MDM, NULL, &cerr);
		if (crc && cerr.domain == MX_DOM_NONE && req->profile.rc == 0)
			mx_err_domain(&cerr, MX_DOM_INSTALL, INSTALL_FAILED, 0);
	} else if (strcmp(mc->type, "RemoveProfile") == 0) {
		crc = mx_op_profile_remove(op, mc->identifier, MX_VIA_MDM, &cerr);
	} else if (strcmp(mc->type, "RestartDevice") == 0) {
		bool restarted;
		mx_mdm_restart r = { mc->notify_user, mc->rebuild_kernel_cache, mc->nkext_paths,
			mc->kext_paths };
		crc = restart_device(op, &r, &restarted, &cerr);
	} else if (strcmp(mc->type, "ShutDownDevice") == 0) {
		crc = mx_op_shutdown(op, &cerr);
	} else {
		crc = MX_FAIL_DOM(&cerr, MX_EINVALID, MX_DOM_MDM, MDM_UNKNOWN_REQUEST,
		    "RequestType '%s' is not supported by this Mac", mc->type);
	}
	if (crc) {
		/* the command failed: nothing it did is kept, the error goes back to
		 * the server and into the log (in a transaction of its own) */
		mx_store_rollback(op->st);
		op->open = false;
		plist_dict_set_item(resp, "Status", plist_new_string("Error"));
		plist_dict_set_item(resp, "ErrorChain", mx_mdm_error_chain(&cerr));
		char msg[800];
		snprintf(msg, sizeof msg, "%s%s%s", cerr.where, cerr.where[0] ? ": " : "", cerr.msg);
		if ((rc = mx_store_begin(op->st, err)) ||
		    (rc = mx_op_event(op, "mdm", mc->type, msg, err)) ||
		    (rc = mx_store_commit(op->st, err))) {
			mx_store_rollback(op->st);
			plist_free(resp);
			return rc;
		}
	} else {
		plist_dict_set_item(resp, "Status", plist_new_string("Acknowledged"));
	}
	*response = resp;
	return 0;
}
