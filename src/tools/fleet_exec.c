/*
 * fleet_exec.c — one typed step (fleet_step.c) on one device: the engine
 * operation its CLI verb calls, in the order the verb calls it, with no
 * argv and no output.  The outcome is what the CLI line would have ended
 * with: the exit code (cli_status: an Apple tool's own status, else the
 * error's), the error, and for an Apple tool that prints its own failure
 * (kmutil's `Error Domain=KMErrorDomain Code=27 "..."`, csrutil, spctl,
 * bputil) the last line it would have written on stderr.  Host input is
 * imported at the step's first device and reused: a profile, an MDM
 * command, an app once; a kext copied once and verified once per
 * (architecture, trust anchor), before the op that installs it.  Prompts
 * an Apple tool would show (csrutil on Apple silicon without --as) get no
 * answer: a fleet run has no one at the keyboard.
 * tests/unit/test_fleet_steps.c holds each kind against the verb itself.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plist/plist.h>

#include "macext/profile.h"
#include "fleet_step.h"

/* The line an Apple tool writes on stderr: the last one is kept. */
static void __attribute__((format(printf, 2, 3)))
say(struct fleet_outcome *o, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	char *nl = strrchr(buf, '\n');
	if (n)
		snprintf(o->said, sizeof o->said, "%s", nl ? nl + 1 : buf);
}

/* An Apple tool's failure it printed itself: exit status code. */
static int
tool_fail(struct fleet_outcome *o, int code)
{
	o->printed = true;
	if (o->err.code == MX_OK)
		o->err.code = MX_EINVALID;
	return mx_err_domain(&o->err, MX_DOM_TOOL, code, o->err.code);
}

/* The rows a list read prints (nothing in a fleet run). */
static int
no_profile(const mx_profile_row *r, void *arg)
{
	(void)r, (void)arg;
	return 0;
}

static int
no_event(const mx_event *ev, void *arg)
{
	(void)ev, (void)arg;
	return 0;
}

/* ---- imports: at the step's first device, once ---- */

static void
import_once(mx_engine *e, struct fleet_step_op *s)
{
	switch (s->kind) {
	case FS_MDM_INSTALL_PROFILE: case FS_PROFILES_INSTALL: case FS_MDM_COMMAND:
	case FS_APP_INSTALL: case FS_KEXT_INSTALL: case FS_SYSEXT_ACTIVATE:
		break;
	default:
		return;              /* nothing from the host */
	}
	if (s->imp)
		return;
	struct fleet_import *im = s->imp = mx_xcalloc(1, sizeof *s->imp);
	mx_err_clear(&im->err);
	uint8_t *buf = NULL;
	size_t len = 0;
	switch (s->kind) {
	case FS_MDM_INSTALL_PROFILE:
	case FS_PROFILES_INSTALL:
		/* read, parsed and CMS-checked before any transaction */
		if ((im->rc = cli_read_file(s->path, MX_PROFILE_MAX_BYTES, &buf, &len, &im->err)))
			break;
		mx_engine_import_profile(e, buf, len, s->path, &im->profile);
		break;
	case FS_MDM_COMMAND:
		if ((im->rc = cli_read_file(s->path, 16u << 20, &buf, &len, &im->err)))
			break;
		im->rc = mx_engine_mdm_request(e, buf, len, s->path, &im->mdm, &im->err);
		im->have_mdm = im->rc == 0;
		break;
	case FS_APP_INSTALL:
		if ((im->rc = mx_engine_import_app(e, s->path, &im->app)))
			im->err = im->app.err;
		break;
	case FS_KEXT_INSTALL:
		mx_engine_import_kext_copy(e, s->path, &im->kext);
		break;
	case FS_SYSEXT_ACTIVATE:
		mx_err_clear(&im->app_err);
		if (s->path == NULL) {
			im->app_ref.bundle_id = s->id;
			break;
		}
		/* an app run from elsewhere: imported once, read from the stored copy */
		if (realpath(s->path, im->real) == NULL)
			MX_FAIL(&im->app_err, MX_ENOTFOUND, MX_NO_OFFSET, "%s: no such app", s->path);
		else if (mx_engine_import_bundle(e, im->real, im->hash, &im->app_err) == 0)
			im->app_ref.hash = im->hash;
		im->app_ref.path = im->real;
		im->app_ref.import_err = &im->app_err;
		break;
	default:
		break;
	}
	free(buf);
}

/* The kext import for a Mac of arch with trust anchor: verified at its
 * first such Mac, then reused. */
static const mx_kext_import *
kext_for(mx_engine *e, struct fleet_step_op *s, enum mx_arch arch, const char *anchor,
    mx_kext_import *scratch)
{
	struct fleet_import *im = s->imp;
	int i;
	for (i = 0; i < FLEET_KEXT_VARIANTS && im->variant[i].used; i++)
		if (im->variant[i].imp.arch == arch && strcmp(im->variant[i].imp.trust_anchor,
		    anchor) == 0)
			return &im->variant[i].imp;
	mx_kext_import *out = i < FLEET_KEXT_VARIANTS ? &im->variant[i].imp : scratch;
	mx_engine_import_kext_verify(e, &im->kext, s->path, arch, anchor, NULL, out);
	if (i < FLEET_KEXT_VARIANTS)
		im->variant[i].used = true;
	return out;
}

static const mx_kext_import *
kext_known(struct fleet_step_op *s, const mx_device *d)
{
	for (int i = 0; i < FLEET_KEXT_VARIANTS && s->imp->variant[i].used; i++)
		if (s->imp->variant[i].imp.arch == d->arch &&
		    strcmp(s->imp->variant[i].imp.trust_anchor, d->trust_anchor) == 0)
			return &s->imp->variant[i].imp;
	return NULL;
}

/* kext install: the import is verified before the op that installs it
 * (an op is begun only to learn the Mac's kind when it is new). */
static int
kext_install(mx_engine *e, struct fleet_step_op *s, const char *device, mx_err *err)
{
	mx_op *op;
	int rc = mx_op_begin(&op, e, device, MX_OP_WRITE, err);
	if (rc)
		return rc;
	const mx_kext_import *imp = kext_known(s, mx_op_device(op));
	mx_kext_import *scratch = NULL;
	if (imp == NULL) {
		mx_device d = *mx_op_device(op);
		mx_op_abort(op);
		scratch = mx_xmalloc(sizeof *scratch);
		imp = kext_for(e, s, d.arch, d.trust_anchor, scratch);
		if ((rc = mx_op_begin(&op, e, device, MX_OP_WRITE, err))) {
			free(scratch);
			return rc;
		}
	}
	mx_kext k;
	rc = mx_op_end(op, mx_op_kext_install(op, imp, &k, err), err);
	free(scratch);
	return rc;
}

/* ---- kmutil ---- */

/* macOS before 11 has no kmutil (nor kernelmanagerd): the legacy tools are
 * the programs themselves there. */
static bool
pre11(const mx_device *d)
{
	return d->env == MX_ENV_MACOS && mx_kext_legacy(d);
}

/* The shell that does not find kmutil: zsh from 10.15, bash before. */
static int
no_kmutil(struct fleet_outcome *o, const mx_device *d)
{
	if (mx_version_at_least(d->os, 10, 15, 0))
		say(o, "zsh: command not found: kmutil\n");
	else
		say(o, "-bash: kmutil: command not found\n");
	return tool_fail(o, 127);
}

static void
kextload_failed(struct fleet_outcome *o, const char *name, const char *why)
{
	say(o, "%s failed to load - (libkern/kext) %s; check the system/kernel logs for errors or"
	    " try kextutil(8).\n", name, why);
}

/* kmutil load (kextload on 11+ is kmutil re-exec'd; before 11 kextload
 * itself, with its own lines and statuses). */
static int
km_load(mx_engine *e, struct fleet_step_op *s, const char *device, struct fleet_outcome *o)
{
	mx_err *err = &o->err;
	mx_op *op;
	int rc = mx_op_begin(&op, e, device, MX_OP_WRITE, err);
	if (rc)
		return rc;
	mx_device d = *mx_op_device(op);
	bool legacy = pre11(&d);
	if (legacy && s->kind == FS_KM_LOAD) {
		mx_op_abort(op);
		return no_kmutil(o, &d);
	}
	if (s->report == NULL)
		s->report = mx_xcalloc(1, sizeof *s->report);
	mx_kext_load_report *r = s->report;
	/* every attempt is kept, whatever its outcome */
	if ((rc = mx_op_end(op, mx_op_kext_load(op, s->names, s->n, r, err), err)))
		return rc;
	if (legacy) {
		int na = 0, nx = 0;
		for (int i = 0; i < r->n; i++)
			if (r->item[i].result == MX_KLOAD_NEEDS_APPROVAL) {
				kextload_failed(o, r->item[i].name, "system policy prevents loading");
				na++;
			}
		for (int i = 0; i < r->n; i++)
			if (r->item[i].result == MX_KLOAD_REJECTED && !r->item[i].kext.has_arch) {
				kextload_failed(o, r->item[i].name,
				    "requested architecture/executable not found");
				nx++;
			}
		for (int i = 0; i < r->n; i++)
			if (r->item[i].result == MX_KLOAD_REJECTED && r->item[i].kext.has_arch) {
				kextload_failed(o, r->item[i].name,
				    "authentication failure (file ownership/permissions)");
				nx++;
			}
		if (na || nx) {
			MX_FAIL(err, na ? MX_EDENIED : MX_EINVALID, MX_NO_OFFSET, "%s failed to load",
			    r->item[0].name);
			return tool_fail(o, na ? 27 : 71);
		}
		return 0;
	}
	if ((rc = mx_kext_load_error(r, &d, err)) == 0)
		return 0;
	/* kmutil prints NSError's description of the failure, last */
	o->printed = true;
	if (err->subcode == 71)
		say(o, "Unsupported Error: one or more extensions are unsupported to load.\n");
	else
		say(o, "Error Domain=KMErrorDomain Code=%d \"%s\"\n", err->subcode, err->msg);
	return rc;
}

static int
km_unload(mx_engine *e, struct fleet_step_op *s, const char *device, struct fleet_outcome *o)
{
	mx_err *err = &o->err;
	mx_op *op;
	int rc = mx_op_begin(&op, e, device, MX_OP_WRITE, err);
	if (rc)
		return rc;
	mx_device d = *mx_op_device(op);
	bool legacy = pre11(&d);
	if (legacy && s->kind == FS_KM_UNLOAD) {
		mx_op_abort(op);
		return no_kmutil(o, &d);
	}
	if ((rc = mx_op_end(op, mx_op_kext_unload(op, s->names, s->n, err), err)) == 0 ||
	    err->domain != MX_DOM_KMERROR)
		return rc;
	o->printed = true;
	if (legacy) {
		/* kextunload_main.c: "Failed to unload %s - %s.", EX_OSERR */
		const char *name = s->names[0];
		for (int i = 0; i < s->n; i++)
			if (strstr(err->msg, s->names[i]))
				name = s->names[i];
		say(o, "Failed to unload %s - (libkern/kext) not found.\n", name);
		return tool_fail(o, 71);
	}
	say(o, "Error Domain=KMErrorDomain Code=3 \"%s\"\n", err->msg);
	return rc;
}

/* The reads and writes of kmutil's other verbs (and kextstat). */
static int
km_other(mx_engine *e, struct fleet_step_op *s, const char *device, struct fleet_outcome *o)
{
	mx_err *err = &o->err;
	bool reads = s->kind == FS_KM_SHOWLOADED || s->kind == FS_KEXTSTAT || s->kind == FS_KM_LOG;
	mx_op *op;
	int rc = mx_op_begin(&op, e, device, reads ? MX_OP_READ : MX_OP_WRITE, err);
	if (rc)
		return rc;
	if (s->kind != FS_KEXTSTAT && pre11(mx_op_device(op))) {
		mx_device d = *mx_op_device(op);
		mx_op_abort(op);
		return no_kmutil(o, &d);
	}
	switch (s->kind) {
	case FS_KM_SHOWLOADED:
	case FS_KEXTSTAT: {
		mx_kext *all = NULL;
		int n;
		uint8_t *kc = NULL;
		size_t kclen = 0;
		if ((rc = mx_op_kexts(op, &all, &n, err)) == 0)
			rc = mx_op_end(op, mx_op_auxkc(op, &kc, &kclen, err), err);
		else
			mx_op_abort(op);
		free(kc);
		free(all);
		return rc;
	}
	case FS_KM_LOG:
		return mx_op_end(op, mx_op_events_each(op, no_event, NULL, err), err);
	case FS_KM_REBUILD: {
		mx_kext_rebuild_plan plan;
		if ((rc = mx_op_kext_rebuild_plan(op, &plan, err)))
			return mx_op_end(op, rc, err);
		bool none = plan.nadd == 0 && plan.ndel == 0;
		mx_kext_rebuild_plan_free(&plan);
		if (none)
			return mx_op_end(op, 0, err);
		/* the authorisation dialog: an administrator's name and password (--as) */
		if (s->cred == NULL) {
			mx_op_abort(op);
			say(o, "Error: user approval was not given\n");
			return tool_fail(o, 1);
		}
		return mx_op_end(op, mx_op_kext_rebuild_authorize(op, s->cred, err), err);
	}
	default:             /* FS_KM_PANIC_MEDIC */
		if ((rc = mx_op_kext_panic_medic(op, err))) {
			mx_op_abort(op);
			if (rc != MX_ESTATE)
				return rc;
			say(o, "Error: %s\n", err->msg);
			return tool_fail(o, 1);
		}
		return mx_op_commit(op, err);
	}
}

/* ---- csrutil, spctl, bputil, systemextensionsctl ---- */

static int
csrutil(mx_engine *e, struct fleet_step_op *s, const char *device, struct fleet_outcome *o)
{
	mx_err *err = &o->err;
	mx_op *op;
	bool authroot = s->kind == FS_CSRUTIL_AUTHROOT_SET;
	int rc = mx_op_begin(&op, e, device, MX_OP_WRITE, err);
	if (rc)
		return rc;
	const mx_device *d = mx_op_device(op);
	/* Apple silicon in recoveryOS asks the Secure Enclave for an owner:
	 * without --as the prompts get no answer */
	bool sep = d->env == MX_ENV_RECOVERY && d->arch == MX_ARCH_ARM64;
	const char *cred = s->cred;
	if (sep && cred == NULL) {
		if (!authroot && s->v.csr != 0) {
			mx_op_abort(op);
			say(o, "csrutil: cancelled.\n");
			return tool_fail(o, 1);
		}
		cred = ":";
	}
	rc = authroot ? mx_op_csrutil_authroot(op, s->a, cred, err) :
	    mx_op_csrutil_set(op, s->cmd, s->v.csr, cred, err);
	if (rc) {
		mx_op_abort(op);
		say(o, "%s%s\n", sep ? "csrutil: " : "", err->msg);
		return tool_fail(o, 1);
	}
	return mx_op_commit(op, err);
}

static int
spctl_set(mx_engine *e, struct fleet_step_op *s, const char *device, struct fleet_outcome *o)
{
	mx_err *err = &o->err;
	mx_op *op;
	int rc = mx_op_begin(&op, e, device, MX_OP_WRITE, err);
	if (rc)
		return rc;
	if ((rc = mx_op_kext_consent_set(op, s->v.consent, s->id, err))) {
		/* outside recoveryOS the refusal is logged; a bad Team ID is not */
		bool refused = mx_op_finished(op);
		mx_op_abort(op);
		if (refused)
			say(o, "spctl: failed to store new configuration.\n");
		else
			say(o, "spctl: %s\n", err->msg);
		return tool_fail(o, 1);
	}
	return mx_op_commit(op, err);
}

static int
bputil(mx_engine *e, struct fleet_step_op *s, const char *device, struct fleet_outcome *o)
{
	mx_err *err = &o->err;
	bool modify = s->kind == FS_BPUTIL_SET;
	mx_op *op;
	int rc = mx_op_begin(&op, e, device, modify ? MX_OP_WRITE : MX_OP_READ, err);
	if (rc)
		return rc;
	const mx_device *d = mx_op_device(op);
	if (d->arch != MX_ARCH_ARM64) {
		mx_op_abort(op);
		say(o, "bputil: this tool is only supported on Macs with Apple silicon\n");
		return tool_fail(o, 1);
	}
	if (modify) {
		mx_lp_request req = s->lp;
		if (s->a && d->policy == MX_SEC_PERMISSIVE)
			req.level = MX_SEC_PERMISSIVE;
		if ((rc = mx_op_security_set(op, &req, s->cred, "bputil", err))) {
			mx_op_abort(op);
			say(o, "bputil: %s\n", err->msg);
			return tool_fail(o, 1);
		}
	}
	mx_security_info si;
	return mx_op_end(op, mx_op_security_info(op, &si, err), err);
}

static int
sxctl(mx_engine *e, struct fleet_step_op *s, const char *device, mx_err *err)
{
	mx_op *op;
	int rc = mx_op_begin(&op, e, device, s->kind == FS_SXCTL_LIST ? MX_OP_READ : MX_OP_WRITE,
	    err);
	if (rc)
		return rc;
	if (s->kind == FS_SXCTL_LIST || s->kind == FS_SXCTL_GC) {
		mx_sx_rec *recs = NULL;
		size_t n = 0;
		rc = s->kind == FS_SXCTL_GC ? mx_op_sysext_gc(op, &n, err) :
		    mx_op_sysexts(op, &recs, &n, err);
		rc = mx_op_end(op, rc, err);
		free(recs);
		return rc;
	}
	/* developer, reset, uninstall: refused while SIP is enabled (the
	 * tool's three lines, exit 0), before anything else */
	if (mx_device_sip_enabled(mx_op_device(op))) {
		mx_op_abort(op);
		return 0;
	}
	if (s->kind == FS_SXCTL_DEVELOPER) {
		bool on = s->b, now;
		return mx_op_end(op, mx_op_sysext_developer(op, s->a ? &on : NULL, &now, err), err);
	}
	if (s->kind == FS_SXCTL_RESET)
		return mx_op_end(op, mx_op_sysext_reset(op, NULL, err), err);
	return mx_op_end(op, mx_op_sysext_uninstall(op, s->id, s->id2, err), err);
}

/* ---- the macext verbs ---- */

static int
alert_json(const mx_alert *a, void *arg)
{
	json_t *j;
	/* `alerts` serializes each alert even as text: a bad string fails it */
	int rc = mx_json_alert(&j, a, arg);
	if (rc == 0)
		json_decref(j);
	return rc;
}

/* A read op of the device running fn (one of the list reads). */
static int
read_op(mx_engine *e, struct fleet_step_op *s, const char *device, mx_err *err)
{
	mx_op *op;
	int rc = mx_op_begin(&op, e, device, MX_OP_READ, err);
	if (rc)
		return rc;
	switch (s->kind) {
	case FS_SECURITY_SHOW:
	case FS_CSRUTIL_AUTHROOT_STATUS: {
		mx_security_info si;
		return mx_op_end(op, mx_op_security_info(op, &si, err), err);
	}
	case FS_PROFILES_LIST:
		return mx_op_end(op, mx_op_profiles_each(op, no_profile, NULL, err), err);
	case FS_PROFILES_SHOW: {
		mx_profile_row r;
		char *xml = NULL;
		rc = mx_op_end(op, mx_op_profile_get(op, s->id, &r, &xml, err), err);
		free(xml);
		return rc;
	}
	case FS_SYSEXT_LIST: {
		mx_sx_rec *recs = NULL;
		size_t n;
		rc = mx_op_end(op, mx_op_sysexts(op, &recs, &n, err), err);
		free(recs);
		return rc;
	}
	case FS_KEXT_LIST: {
		mx_kext *all = NULL;
		int n;
		rc = mx_op_end(op, mx_op_kexts(op, &all, &n, err), err);
		free(all);
		return rc;
	}
	case FS_ALERTS:
		return mx_op_end(op, mx_op_alerts_each(op, alert_json, err, err), err);
	case FS_LOG:
		return mx_op_end(op, mx_op_events_each(op, no_event, NULL, err), err);
	default: {             /* FS_SPCTL_GET */
		mx_kext_consent_state c;
		return mx_op_end(op, mx_op_kext_consent_get(op, &c, err), err);
	}
	}
}

/* The write ops whose verb begins the op, calls one operation and ends. */
static int
write_op(mx_engine *e, struct fleet_step_op *s, const char *device, mx_err *err)
{
	struct fleet_import *im = s->imp;
	mx_sx_request *req = NULL;
	int rc;
	/* what the verb does before its op: a failed read or import, a request
	 * prepared in a read transaction */
	if (im && im->rc && (s->kind == FS_MDM_INSTALL_PROFILE || s->kind == FS_PROFILES_INSTALL ||
	    s->kind == FS_MDM_COMMAND || s->kind == FS_APP_INSTALL)) {
		*err = im->err;
		return im->rc;
	}
	if (s->kind == FS_SYSEXT_ACTIVATE &&
	    (rc = mx_engine_sysext_prepare(e, device, &im->app_ref, s->id2, &req, err))) {
		mx_sx_request_free(req);
		return rc;
	}
	mx_op *op;
	if ((rc = mx_op_begin(&op, e, device, MX_OP_WRITE, err))) {
		mx_sx_request_free(req);
		return rc;
	}
	char buf[PATH_MAX];
	union {
		mx_profile_row row;
		mx_app_info app;
		mx_sx_result sx;
		mx_sx_rec rec;
		mx_kext_approve_result approve;
		mx_security_info si;
	} out;
	switch (s->kind) {
	case FS_RESTART: rc = mx_op_restart(op, s->cred, err); break;
	case FS_SHUTDOWN: rc = mx_op_shutdown(op, err); break;
	case FS_RECOVERY: rc = mx_op_recovery(op, s->v.via, err); break;
	case FS_SECURITY_SET:
		if ((rc = mx_op_ssu_set(op, s->v.level, s->a, s->b, s->cred, err)) == 0)
			rc = mx_op_security_info(op, &out.si, err);
		break;
	case FS_MDM_ENROLL: rc = mx_op_enroll(op, s->v.method, s->a, s->b, err); break;
	case FS_MDM_UNENROLL: rc = mx_op_unenroll(op, err); break;
	case FS_MDM_ESCROW: rc = mx_op_escrow_bootstrap_token(op, err); break;
	case FS_MDM_INSTALL_PROFILE:
		if ((rc = mx_op_mdm_ready(op, err)) == 0)
			rc = mx_op_profile_install(op, &im->profile, MX_VIA_MDM, &out.row, err);
		break;
	case FS_MDM_REMOVE_PROFILE:
		if ((rc = mx_op_mdm_ready(op, err)) == 0)
			rc = mx_op_profile_remove(op, s->id, MX_VIA_MDM, err);
		break;
	case FS_MDM_RESTART: {
		mx_mdm_restart r = { s->a, s->b, s->n, s->names };
		bool restarted;
		rc = mx_op_mdm_restart(op, &r, &restarted, err);
		break;
	}
	case FS_MDM_COMMAND: {
		plist_t resp = NULL;
		rc = mx_op_mdm_command(op, &im->mdm, &resp, err);
		plist_free(resp);
		break;
	}
	case FS_PROFILES_INSTALL:
		/* System Settings asks for an administrator to install a device profile. */
		if ((rc = mx_op_auth(op, s->cred, true, "manual profile install", NULL, err)) == 0)
			rc = mx_op_profile_install(op, &im->profile, MX_VIA_MANUAL, &out.row, err);
		break;
	case FS_PROFILES_REMOVE: rc = mx_op_profile_remove_by_user(op, s->id, s->cred, err); break;
	case FS_APP_INSTALL: rc = mx_op_app_install(op, &im->app, &out.app, err); break;
	case FS_APP_DELETE: rc = mx_op_app_delete(op, s->id, s->cred, buf, sizeof buf, err); break;
	case FS_SYSEXT_ACTIVATE: rc = mx_op_sysext_activate(op, req, s->a, &out.sx, err); break;
	case FS_SYSEXT_DEACTIVATE:
		rc = mx_op_sysext_deactivate(op, s->id, s->id2, s->cred, &out.sx, err);
		break;
	case FS_SYSEXT_APPROVE: rc = mx_op_sysext_approve(op, s->id, s->cred, &out.rec, err); break;
	case FS_SYSEXT_SET_ENABLED:
		rc = mx_op_sysext_set_enabled(op, s->id, s->a, s->cred, &out.rec, err);
		break;
	case FS_KEXT_REMOVE: rc = mx_op_kext_remove(op, s->id, buf, sizeof buf, err); break;
	case FS_KEXT_APPROVE:
		rc = mx_op_kext_approve(op, s->id, s->cred, &out.approve, err);
		break;
	default:
		rc = MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "step kind %d is not a write op", s->kind);
		break;
	}
	rc = mx_op_end(op, rc, err);
	mx_sx_request_free(req);
	return rc;
}

int
fleet_step_run(mx_engine *e, struct fleet_step_op *s, const char *device,
    struct fleet_outcome *o)
{
	memset(o, 0, sizeof *o);
	mx_err_clear(&o->err);
	mx_err *err = &o->err;
	import_once(e, s);
	int rc;
	switch (s->kind) {
	case FS_NOOP:
		rc = 0;
		break;
	case FS_SECURITY_SHOW: case FS_PROFILES_LIST: case FS_PROFILES_SHOW: case FS_SYSEXT_LIST:
	case FS_KEXT_LIST: case FS_ALERTS: case FS_LOG: case FS_SPCTL_GET:
	case FS_CSRUTIL_AUTHROOT_STATUS:
		rc = read_op(e, s, device, err);
		break;
	case FS_DEVICE_SHOW:
	case FS_CSRUTIL_STATUS: {
		mx_device d;
		rc = mx_engine_device_get(e, s->id ? s->id : device, &d, err);
		break;
	}
	case FS_KEXT_INSTALL: rc = kext_install(e, s, device, err); break;
	case FS_KM_LOAD: case FS_KEXTLOAD: rc = km_load(e, s, device, o); break;
	case FS_KM_UNLOAD: case FS_KEXTUNLOAD: rc = km_unload(e, s, device, o); break;
	case FS_KM_SHOWLOADED: case FS_KEXTSTAT: case FS_KM_REBUILD: case FS_KM_PANIC_MEDIC:
	case FS_KM_LOG:
		rc = km_other(e, s, device, o);
		break;
	case FS_SXCTL_LIST: case FS_SXCTL_DEVELOPER: case FS_SXCTL_RESET: case FS_SXCTL_UNINSTALL:
	case FS_SXCTL_GC:
		rc = sxctl(e, s, device, err);
		break;
	case FS_SPCTL_SET: rc = spctl_set(e, s, device, o); break;
	case FS_CSRUTIL_SET: case FS_CSRUTIL_AUTHROOT_SET: rc = csrutil(e, s, device, o); break;
	case FS_BPUTIL_SET: case FS_BPUTIL_SHOW: rc = bputil(e, s, device, o); break;
	default:
		rc = write_op(e, s, device, err);
		break;
	}
	o->code = cli_status(rc, err);
	return o->code;
}
