/*
 * apps.c — apps in the device's /Applications: importing an app bundle
 * (copied into the content store, then read from the stored copy only), an
 * installer copying it in, and Finder's move to Trash, which first asks
 * the system-extension module (deleting an app that holds an active system
 * extension deactivates it, and may need an administrator or be refused,
 * system-extensions.md §3.4).  The device keeps path -> content hash.
 * Also the reads of what the user sees: alerts and the event log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/bundle.h"
#include "engine_int.h"

struct find_ctx {
	mx_op *op;
	const char *bundle_id;
	char *devpath, *real;
	size_t devlen, reallen;
	bool found;
	mx_err *err;
};

static int
find_app(const char *path, const char *hash, void *arg)
{
	struct find_ctx *f = arg;
	size_t l = strlen(path);
	/* only /Applications/X.app itself, not nested paths */
	if (l < 5 || strcmp(path + l - 4, ".app") != 0 || strchr(path + 14, '/'))
		return 0;
	char real[PATH_MAX];
	if (mx_cas_path(f->op->st, hash, real, sizeof real, f->err))
		return f->err->code;
	mx_bundle *b;
	mx_err e;
	mx_err_clear(&e);
	if (mx_bundle_open(&b, real, &e))
		return 0;       /* an unreadable app is not the one asked for */
	if (strcmp(b->bundle_id, f->bundle_id) == 0) {
		snprintf(f->devpath, f->devlen, "%s", path);
		snprintf(f->real, f->reallen, "%s", real);
		f->found = true;
	}
	mx_bundle_free(b);
	return f->found ? 1 : 0;
}

int
eng_app_find(mx_op *op, const char *bundle_id, char *devpath, size_t devlen, char *stored,
    size_t storedlen, mx_err *err)
{
	struct find_ctx f = { op, bundle_id, devpath, stored, devlen, storedlen, false, err };
	int rc = mx_store_file_each(op->st, op->d.id, "/Applications/", find_app, &f, err);
	if (rc < 0 || (rc && !f.found))
		return rc;
	if (!f.found)
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "no app '%s' in /Applications on %s",
		    bundle_id, op->d.name);
	return 0;
}

static const char *
base_name(const char *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s", p);
	size_t l = strlen(buf);
	while (l > 1 && buf[l - 1] == '/')
		buf[--l] = '\0';
	const char *b = strrchr(buf, '/');
	return b ? b + 1 : buf;
}

int
mx_engine_import_app(mx_engine *e, const char *host_path, mx_app_import *out)
{
	memset(out, 0, sizeof *out);
	mx_err_clear(&out->err);
	mx_err *err = &out->err;
	char buf[PATH_MAX];
	snprintf(out->origin, sizeof out->origin, "%s", host_path);
	snprintf(out->name, sizeof out->name, "%s", base_name(host_path, buf, sizeof buf));
	/* the one read of the source; the facts below come from the stored copy */
	if ((out->rc = mx_engine_import_bundle(e, host_path, out->hash, err)))
		return out->rc;
	char stored[PATH_MAX];
	if ((out->rc = mx_cas_path(mx_engine_store(e), out->hash, stored, sizeof stored, err)))
		return out->rc;
	mx_bundle *b;
	if ((out->rc = mx_bundle_open(&b, stored, err))) {
		eng_err_origin(err, stored, host_path);
		return out->rc;
	}
	if (b->kind != MX_BUNDLE_APP) {
		mx_bundle_free(b);
		return out->rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET,
		    "%s: not an application bundle (.app)", host_path);
	}
	snprintf(out->bundle_id, sizeof out->bundle_id, "%s", b->bundle_id);
	out->system_extensions = b->nembedded;
	mx_bundle_free(b);
	return 0;
}

/* Verifies the stored app and each system extension it embeds for d: the
 * expiry of their chains reported, or refused with strict expiry. */
static int
app_verify(mx_engine *e, const mx_device *d, const char *stored, mx_app_import *out)
{
	mx_bundle *b;
	int rc = mx_bundle_open(&b, stored, &out->err);
	if (rc) {
		eng_err_origin(&out->err, stored, out->origin);
		return rc;
	}
	for (int i = -1; rc == 0 && i < b->nembedded; i++) {
		const char *path = i < 0 ? stored : b->embedded[i];
		const char *name = i < 0 ? out->name : strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		mx_siginfo si;
		eng_verify(e, &si, path, d->trust_anchor, out->check_expiration);
		eng_expiry_add(&out->expired, &si, name);
		if (si.kind == MX_SIG_INVALID && out->invalid[0] == '\0')
			snprintf(out->invalid, sizeof out->invalid, "%.255s: %.500s", name, si.reason);
		rc = eng_expiry_refuse(out->check_expiration, si.kind == MX_SIG_INVALID, si.nexpired,
		    si.reason, name, &out->err);
		mx_siginfo_free(&si);
	}
	mx_bundle_free(b);
	return rc;
}

int
mx_engine_import_app_opts(mx_engine *e, const char *host_path, const char *device,
    const mx_verify_opts *vo, mx_app_import *out)
{
	mx_device d;
	mx_err derr;
	mx_err_clear(&derr);
	/* the device lends its trust anchor to the verdicts */
	int drc = mx_engine_device_get(e, device, &d, &derr);
	if (mx_engine_import_app(e, host_path, out))
		return out->rc;
	if (drc) {
		out->err = derr;
		return out->rc = drc;
	}
	out->verified = true;
	out->check_expiration = vo && vo->check_expiration;
	char stored[PATH_MAX];
	if ((out->rc = mx_cas_path(mx_engine_store(e), out->hash, stored, sizeof stored, &out->err)))
		return out->rc;
	return out->rc = app_verify(e, &d, stored, out);
}

int
mx_op_app_install(mx_op *op, const mx_app_import *app, mx_app_info *out, mx_err *err)
{
	if (app->rc) {
		*err = app->err;
		return app->rc;
	}
	char devpath[PATH_MAX];
	snprintf(devpath, sizeof devpath, "/Applications/%s", app->name);
	int rc;
	if ((rc = mx_store_file_set(op->st, op->d.id, devpath, app->hash, err)))
		return rc;
	char what[PATH_MAX + 64];
	snprintf(what, sizeof what, "app %s installed at %s (%d system extension%s inside)",
	    app->bundle_id, devpath, app->system_extensions, app->system_extensions == 1 ? "" : "s");
	if ((rc = mx_op_event(op, "installer", what, "app install", err)))
		return rc;
	if (out) {
		memset(out, 0, sizeof *out);
		snprintf(out->bundle_id, sizeof out->bundle_id, "%s", app->bundle_id);
		snprintf(out->path, sizeof out->path, "%s", devpath);
		snprintf(out->content, sizeof out->content, "%s", app->hash);
		out->system_extensions = app->system_extensions;
	}
	return 0;
}

int
mx_op_app_delete(mx_op *op, const char *bundle_id, const char *cred, char *devpath_out,
    size_t devpath_len, mx_err *err)
{
	char devpath[PATH_MAX], real[PATH_MAX];
	int rc;
	if ((rc = eng_app_find(op, bundle_id, devpath, sizeof devpath, real, sizeof real, err)))
		return rc;
	if ((rc = eng_sysext_app_deleting(op, bundle_id, cred, err))) {
		if (rc == MX_EDENIED)
			return mx_op_refuse(op, "user", "app delete", err);
		return rc;
	}
	char what[PATH_MAX + 64];
	snprintf(what, sizeof what, "app %s moved to the Trash from %s", bundle_id, devpath);
	if ((rc = mx_store_file_remove(op->st, op->d.id, devpath, err)) ||
	    (rc = mx_op_event(op, "user", what, "app delete", err)))
		return rc;
	if (devpath_out)
		snprintf(devpath_out, devpath_len, "%s", devpath);
	return 0;
}

int
mx_op_file_place(mx_op *op, const char *devpath, const char *hash, const char *why, mx_err *err)
{
	if (op->d.env != MX_ENV_MACOS)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is not running macOS", op->d.name);
	int rc = mx_store_file_set(op->st, op->d.id, devpath, hash, err);
	if (rc)
		return rc;
	char what[1200];
	snprintf(what, sizeof what, "installer placed %s", devpath);
	return mx_op_event(op, "installer", what, why, err);
}

/* ---- what the user sees ---- */

int
mx_op_alerts_each(mx_op *op, int (*fn)(const mx_alert *, void *), void *arg, mx_err *err)
{
	return mx_store_alert_each(op->st, op->d.id, fn, arg, err);
}

struct alert_find { int64_t id; mx_alert a; bool found; };

static int
alert_find_one(const mx_alert *a, void *arg)
{
	struct alert_find *f = arg;
	if (a->id == f->id) {
		f->a = *a;
		f->found = true;
	}
	return 0;
}

int
mx_op_alert_dismiss(mx_op *op, int64_t id, const char *kind, const char *subject, mx_alert *out,
    mx_err *err)
{
	if (op->d.env != MX_ENV_MACOS)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is %s: its alerts are on screen only"
		    " while macOS runs", op->d.name, op->d.env == MX_ENV_OFF ? "shut down" :
		    "in recoveryOS");
	struct alert_find f = { id, { 0 }, false };
	int rc = mx_store_alert_each(op->st, op->d.id, alert_find_one, &f, err);
	if (rc)
		return rc;
	if (!f.found)
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "no alert %lld on %s's screen (`macext"
		    " alerts` lists them)", (long long)id, op->d.name);
	/* the id of a withdrawn alert may have gone to a new one: the caller
	 * names the one it saw */
	if ((kind && strcmp(kind, f.a.kind) != 0) || (subject && strcmp(subject, f.a.subject) != 0))
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "alert %lld is now \"%s\" (%s %s), not"
		    " the alert the request names: it was left on screen", (long long)id, f.a.title,
		    f.a.kind, f.a.subject);
	if ((rc = mx_store_alert_remove_id(op->st, op->d.id, id, err)))
		return rc;
	char what[1400];
	snprintf(what, sizeof what, "alert %lld \"%s\" closed (%s%s%s); what it was about is"
	    " unchanged", (long long)id, f.a.title, f.a.kind, f.a.subject[0] ? " " : "", f.a.subject);
	if ((rc = mx_op_event(op, "user", what, "the user closed the alert", err)))
		return rc;
	if (out)
		*out = f.a;
	return 0;
}

int
mx_op_events_each(mx_op *op, int (*fn)(const mx_event *, void *), void *arg, mx_err *err)
{
	return mx_store_event_each(op->st, op->d.id, fn, arg, err);
}
