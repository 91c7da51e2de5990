/*
 * kext.c — kernel extensions on the simulated Mac (kernelmanagerd and
 * syspolicyd's KextPolicy): the device's kext context (merged MDM policy,
 * user approvals, the Apple silicon gate, Intel consent), the alerts a
 * kext's state asks for, importing a kext bundle (copied into the content
 * store, then read and verified from the stored copy only), an installer
 * copying it into /Library/Extensions, an uninstaller removing it, System
 * Settings' Allow, the reaction to changed profiles, and the reads.
 * Decisions are the core's (src/core/kext.c, rules.c); this file applies
 * them.  The AuxKC build and the boot are in kext_boot.c, kmutil's load,
 * unload and rebuild in kext_load.c.
 * Spec: kernel-extensions.md §2-§3, §5-§7; the seed's kext tables.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/sha.h>

#include "macext/bundle.h"
#include "macext/codesign.h"
#include "macext/rules.h"
#include "engine_int.h"

/* ---- the kext context ---- */

static int
add_payload(plist_t payload, const char *profile_id, const char *payload_uuid, void *arg)
{
	mx_err *err = ((void **)arg)[1];
	int rc = mx_kext_policy_add(((void **)arg)[0], payload, payload_uuid, err);
	if (rc) {
		char w[sizeof err->where];
		snprintf(w, sizeof w, "%s", err->where);
		snprintf(err->where, sizeof err->where, "%s: %s", profile_id, w);
	}
	return rc;
}

int
eng_kext_env_load(mx_op *op, eng_kext_env *e, mx_err *err)
{
	memset(e, 0, sizeof *e);
	mx_kext_policy_init(&e->policy);
	void *arg[2] = { &e->policy, err };
	int rc = eng_payloads_each(op, MX_KEXT_POLICY_TYPE, add_payload, arg, err);
	if (rc)
		return rc;
	bool enabled = true;
	char *teams[16];
	int n = 0;
	if ((rc = eng_consent_get(op, &enabled, teams, 16, &n, err)))
		return rc;
	e->consent.disabled = !enabled;
	for (int i = 0; i < n; i++)
		snprintf(e->consent.teams[e->consent.nteams++], 32, "%s", teams[i]);
	eng_consent_free(teams, n);
	return 0;
}

void
eng_kext_env_free(eng_kext_env *e)
{
	mx_kext_policy_free(&e->policy);
}

static bool
signed_validly(const mx_kext *k)
{
	return k->sig == MX_KSIG_DEVID_KEXT || k->sig == MX_KSIG_DEVID || k->sig == MX_KSIG_APPLE;
}

int
eng_kext_ctx(mx_op *op, eng_kext_env *e, const mx_kext *k,
    mx_kext_ctx *out, mx_boot_gate *gate, mx_err *err)
{
	const mx_device *d = &op->d;
	memset(out, 0, sizeof *out);
	out->dev = d;
	out->policy = &e->policy;
	out->consent = &e->consent;
	int rc = mx_store_kext_policy_allowed(op->st, d->id, k->team_id, k->bundle_id,
	    &out->user_approved, err);
	if (rc)
		return rc;
	enum mx_kext_approver who = mx_kext_policy_allows(&e->policy, k->team_id, k->bundle_id,
	    signed_validly(k), NULL) ? MX_APPROVER_MDM : MX_APPROVER_USER;
	mx_boot_gate g;
	if ((rc = eng_kext_gate(op, who, &g, err)))
		return rc;
	/* ADE with an escrowed bootstrap token: the device enables kexts itself
	 * when it builds the AuxKC (boot_record_auxkc at the restart) */
	out->gate_ok = g.allowed || g.action == MX_GATE_MDM_BOOTSTRAP;
	if (gate)
		*gate = g;
	return 0;
}

const char *
mx_kext_settings_name(const mx_device *d)
{
	return mx_version_at_least(d->os, 13, 0, 0) ? "System Settings" : "System Preferences";
}

int
eng_kext_alerts(mx_op *op, const mx_kext *k, const mx_boot_gate *gate, mx_err *err)
{
	mx_kext_alert_fx fx;
	int rc;
	mx_kext_alert(&op->d, k, gate, &fx);
	if (fx.withdraw_blocked &&
	    (rc = mx_store_alert_remove(op->st, op->d.id, "kext-blocked", k->bundle_id, err)))
		return rc;
	if (fx.restart_pending)
		op->d.restart_pending = true;
	if (!fx.show)
		return 0;
	return eng_alert(op, fx.alert.kind, fx.alert.subject, fx.alert.title, fx.alert.text,
	    fx.alert.actions, err);
}

int
eng_kext_save(mx_op *op, const mx_kext *k, const mx_boot_gate *gate,
    const char *actor, const char *what, mx_err *err)
{
	int rc;
	char why[600];
	snprintf(why, sizeof why, "%s: state %s, approval %s", k->bundle_id,
	    mx_kext_state_name(k->state), mx_kext_approval_name(k->approval));
	if ((rc = mx_store_kext_put(op->st, op->d.id, k, err)) ||
	    (what && (rc = mx_op_event(op, actor, what, why, err))))
		return rc;
	return eng_kext_alerts(op, k, gate, err);
}

int
mx_op_auxkc(mx_op *op, uint8_t **buf, size_t *len, mx_err *err)
{
	const eng_kc *kc;
	*buf = NULL;
	*len = 0;
	int rc = eng_auxkc_get(op, &kc, err);
	if (rc || kc == NULL)
		return rc;
	*buf = mx_xmalloc(kc->len + 1);
	memcpy(*buf, kc->kc, kc->len);
	*len = kc->len;
	return 0;
}

void
mx_kext_boot_kcid(const mx_device *d, uint8_t out[16])
{
	char s[128], os[16];
	uint8_t h[SHA256_DIGEST_LENGTH];
	mx_version_str(d->os, os, sizeof os);
	/* the boot KC comes with the OS: one per macOS version and architecture,
	 * the same on every Mac (not per device) */
	snprintf(s, sizeof s, "BootKernelExtensions.kc %s %s", os, mx_arch_name(d->arch));
	SHA256((const uint8_t *)s, strlen(s), h);
	memcpy(out, h, 16);
	out[6] = (uint8_t)((out[6] & 0x0f) | 0x40);
	out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);
}

int
mx_op_kext_find(mx_op *op, const char *id_or_path, mx_kext *out, mx_err *err)
{
	if (id_or_path[0] != '/')
		return mx_store_kext_get(op->st, op->d.id, id_or_path, out, err);
	mx_kext *all;
	int n, rc = mx_store_kext_list(op->st, op->d.id, &all, &n, err);
	if (rc)
		return rc;
	size_t pl = strlen(id_or_path);
	while (pl > 1 && id_or_path[pl - 1] == '/')
		pl--;
	for (int i = 0; i < n; i++) {
		const char *p = all[i].path;
		char staged[1200];
		snprintf(staged, sizeof staged, "%s%s", KEXT_STAGED_PREFIX, p);
		if ((strlen(p) == pl && strncmp(p, id_or_path, pl) == 0) ||
		    (strlen(staged) == pl && strncmp(staged, id_or_path, pl) == 0)) {
			*out = all[i];
			free(all);
			return 0;
		}
	}
	free(all);
	return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "no kext at %s", id_or_path);
}

static int
need_macos(const mx_device *d, mx_err *err)
{
	if (d->env != MX_ENV_MACOS)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is not running macOS (%s)", d->name,
		    mx_env_name(d->env));
	return 0;
}

/* ---- importing and installing ---- */

enum mx_kext_sig
mx_kext_sig_from(enum mx_sigkind k)
{
	switch (k) {
	case MX_SIG_DEVELOPER_ID_KEXT: return MX_KSIG_DEVID_KEXT;
	case MX_SIG_DEVELOPER_ID: return MX_KSIG_DEVID;
	case MX_SIG_APPLE: return MX_KSIG_APPLE;
	case MX_SIG_ADHOC: return MX_KSIG_ADHOC;
	case MX_SIG_UNSIGNED: return MX_KSIG_UNSIGNED;
	case MX_SIG_UNTRUSTED: return MX_KSIG_UNTRUSTED;
	default: return MX_KSIG_INVALID;
	}
}

uint32_t
eng_native_cputype(const mx_device *d)
{
	return d->arch == MX_ARCH_ARM64 ? MX_CPU_TYPE_ARM64 : MX_CPU_TYPE_X86_64;
}

/* Reads the stored kext bundle at path into k (identity, signature,
 * architecture) for a Mac of arch with extra trust anchor anchor (may be NULL). */
static int
kext_read_bundle(const char *path, enum mx_arch arch, const char *anchor, int64_t now,
    bool strict, eng_kext_verdict *v, const char *name, mx_err *err)
{
	mx_kext *k = &v->facts;
	mx_bundle *b = NULL;
	int rc = mx_bundle_open(&b, path, err);
	if (rc)
		return rc;
	if (b->kind != MX_BUNDLE_KEXT) {
		rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: not a kernel extension (%s)", path,
		    mx_bundle_kind_name(b->kind));
		mx_bundle_free(b);
		return rc;
	}
	memset(k, 0, sizeof *k);
	snprintf(k->bundle_id, sizeof k->bundle_id, "%s", b->bundle_id);
	snprintf(k->version, sizeof k->version, "%s", b->version);
	k->codeless = b->codeless;
	k->apple_auxiliary = strcmp(b->os_bundle_required, "Auxiliary") == 0;
	k->has_arch = true;
	if (!b->codeless) {
		uint8_t *exe = NULL;
		size_t len = 0, off, sl;
		mx_err e2;
		mx_err_clear(&e2);
		if ((rc = eng_read_stored(b->executable_path, MX_FILESET_MAX_SIZE, &exe, &len, err))) {
			mx_bundle_free(b);
			return rc;
		}
		k->has_arch = mx_fileset_thin_slice(exe, len, arch == MX_ARCH_ARM64 ?
		    MX_CPU_TYPE_ARM64 : MX_CPU_TYPE_X86_64, &off, &sl, &e2) == 0;
		free(exe);
	}
	mx_trust trust = { anchor, now, strict };
	mx_siginfo si;
	memset(&si, 0, sizeof si);
	if ((rc = mx_codesign_verify_path(&si, path, &trust, err))) {
		mx_bundle_free(b);
		return rc;
	}
	eng_expiry_add(&v->expired, &si, name);
	snprintf(v->reason, sizeof v->reason, "%s", si.reason[0] ? si.reason :
	    mx_sigkind_name(si.kind));
	k->sig = mx_kext_sig_from(si.kind);
	k->requirement_met = si.kext_requirement_met;
	if (k->sig == MX_KSIG_DEVID_KEXT || k->sig == MX_KSIG_DEVID || k->sig == MX_KSIG_APPLE ||
	    k->sig == MX_KSIG_UNTRUSTED)
		snprintf(k->team_id, sizeof k->team_id, "%s", si.team_id);
	if (k->sig != MX_KSIG_UNSIGNED)
		snprintf(k->cdhash, sizeof k->cdhash, "%s", si.cdhash);
	mx_kext_developer_name(k->developer_name, sizeof k->developer_name,
	    k->team_id[0] || k->sig == MX_KSIG_APPLE ? si.signer : NULL, b->name);
	mx_siginfo_free(&si);
	mx_bundle_free(b);
	return 0;
}

static const char *
base_name(const char *p)
{
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		n--;
	const char *s = p + n;
	while (s > p && s[-1] != '/')
		s--;
	return s;
}

int
mx_engine_import_kext_copy(mx_engine *e, const char *host_path, mx_kext_import *out)
{
	memset(out, 0, sizeof *out);
	mx_err_clear(&out->err);
	snprintf(out->name, sizeof out->name, "%s", base_name(host_path));
	size_t nl = strlen(out->name);
	if (nl && out->name[nl - 1] == '/')
		out->name[nl - 1] = '\0';
	/* the one read of the source: copied into the store under the hash of
	 * exactly the bytes copied; everything below reads the stored copy */
	out->rc = mx_engine_import_bundle(e, host_path, out->hash, &out->err);
	return out->rc;
}

int
mx_engine_import_kext_verify(mx_engine *e, const mx_kext_import *copied, const char *host_path,
    enum mx_arch arch, const char *trust_anchor, const mx_verify_opts *vo, mx_kext_import *out)
{
	if (out != copied)
		*out = *copied;
	out->arch = arch;
	snprintf(out->trust_anchor, sizeof out->trust_anchor, "%s", trust_anchor);
	if (out->rc)
		return out->rc;
	mx_err *err = &out->err;
	/* Fleet runs install the same bundle on thousands of Macs: what the
	 * bundle says and its signature verdict depend only on its bytes, the
	 * Mac's architecture and its trust anchor, so they are verified once
	 * per (content hash, arch, anchor, strict expiry) in an engine. */
	out->check_expiration = vo && vo->check_expiration;
	char key[160];
	snprintf(key, sizeof key, "%s/%s/%s/%d", out->hash, mx_arch_name(arch), out->trust_anchor,
	    out->check_expiration ? 1 : 0);
	eng_kext_verdict v;
	if (!eng_kext_verdict_find(e, key, &v)) {
		char stored[PATH_MAX], anchor[PATH_MAX];
		const char *ap = NULL;
		if ((out->rc = mx_cas_path(mx_engine_store(e), out->hash, stored, sizeof stored, err)))
			return out->rc;
		if (out->trust_anchor[0] &&
		    mx_cas_path(mx_engine_store(e), out->trust_anchor, anchor, sizeof anchor, NULL) == 0)
			ap = anchor;
		if (eng_import_hook)
			eng_import_hook(stored, host_path);
		memset(&v, 0, sizeof v);
		if ((out->rc = kext_read_bundle(stored, arch, ap, mx_engine_now(e),
		    out->check_expiration, &v, out->name, err))) {
			/* messages name the bundle as the caller gave it */
			eng_err_origin(err, stored, host_path);
			return out->rc;
		}
		eng_kext_verdict_remember(e, key, &v);
	}
	out->facts = v.facts;
	out->expired = v.expired;
	if (v.facts.sig == MX_KSIG_INVALID)
		snprintf(out->sig_reason, sizeof out->sig_reason, "%s", v.reason);
	/* strict expiry: an expired certificate that made the signature invalid refuses it */
	return out->rc = eng_expiry_refuse(out->check_expiration,
	    v.facts.sig == MX_KSIG_INVALID, v.expired.n, v.reason, out->name, err);
}

int
mx_engine_import_kext_opts(mx_engine *e, const char *host_path, const char *device,
    const mx_verify_opts *vo, mx_kext_import *out)
{
	memset(out, 0, sizeof *out);
	mx_err_clear(&out->err);
	mx_device d;
	/* the device lends its architecture and trust anchor to the verdict */
	if ((out->rc = mx_engine_device_get(e, device, &d, &out->err)))
		return out->rc;
	mx_engine_import_kext_copy(e, host_path, out);
	return mx_engine_import_kext_verify(e, out, host_path, d.arch, d.trust_anchor, vo, out);
}

int
mx_engine_import_kext(mx_engine *e, const char *host_path, const char *device,
    mx_kext_import *out)
{
	return mx_engine_import_kext_opts(e, host_path, device, NULL, out);
}

int
mx_op_kext_install(mx_op *op, const mx_kext_import *imp, mx_kext *out, mx_err *err)
{
	mx_device *d = &op->d;
	int rc;
	if ((rc = need_macos(d, err)))
		return rc;
	if (imp->rc) {
		*err = imp->err;
		return imp->rc;
	}
	if (imp->arch != d->arch || strcmp(imp->trust_anchor, d->trust_anchor) != 0)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s was verified for another Mac's"
		    " architecture or trust anchor: import it for %s", imp->name, d->name);
	mx_kext k = imp->facts;
	snprintf(k.path, sizeof k.path, "/Library/Extensions/%s", imp->name);
	snprintf(k.hash, sizeof k.hash, "%s", imp->hash);
	if ((rc = mx_store_file_set(op->st, d->id, k.path, k.hash, err)))
		return rc;
	k.state = MX_KEXT_INSTALLED;
	k.approval = MX_KAPPROVAL_NONE;
	k.installed_at = op->now;
	mx_kext old;
	mx_err e2;
	mx_err_clear(&e2);
	if (mx_store_kext_get(op->st, d->id, k.bundle_id, &old, &e2) == 0) {
		if (strcmp(old.path, k.path) != 0 &&
		    (rc = mx_store_file_remove(op->st, d->id, old.path, err)))
			return rc;
		bool same, revoke;
		mx_kext_update(&old, &k, &same, &revoke);
		if (same) {
			k = old;
		} else if (revoke) {
			bool was = false;
			if ((rc = mx_store_kext_policy_allowed(op->st, d->id, old.team_id, old.bundle_id,
			    &was, err)))
				return rc;
			if (was && (rc = mx_store_kext_policy_set(op->st, d->id, old.team_id,
			    old.bundle_id, false, old.developer_name, 1, err)))
				return rc;
		}
	}
	char what[600];
	snprintf(what, sizeof what, "kext %s %s installed at %s (%s)", k.bundle_id, k.version,
	    k.path, mx_kext_sig_name(k.sig));
	if ((rc = eng_kext_save(op, &k, NULL, "installer", what, err)) ||
	    (rc = eng_save(op, err)))
		return rc;
	if (out)
		*out = k;
	return 0;
}

int
mx_op_kext_remove(mx_op *op, const char *id_or_path, char *what, size_t what_len, mx_err *err)
{
	mx_device *d = &op->d;
	mx_kext k;
	int rc;
	if ((rc = need_macos(d, err)) || (rc = mx_op_kext_find(op, id_or_path, &k, err)))
		return rc;
	if (k.state == MX_KEXT_REMOVED_AWAITING_RESTART)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is already removed", k.bundle_id);
	if ((rc = mx_store_file_remove(op->st, d->id, k.path, err)) ||
	    (rc = mx_store_alert_remove(op->st, d->id, "kext-blocked", k.bundle_id, err)))
		return rc;
	char w[600];
	if (k.in_auxkc || k.running_version[0]) {
		/* the code stays in the AuxKC until it is rebuilt; the kernel
		 * marks it non-loadable (MissingAuxKCBundles, §3.3 step 9) */
		k.state = MX_KEXT_REMOVED_AWAITING_RESTART;
		d->restart_pending = true;
		snprintf(w, sizeof w, "kext %s removed from %s; it leaves the AuxKC at the next"
		    " restart", k.bundle_id, k.path);
		if ((rc = eng_kext_save(op, &k, NULL, "installer", w, err)))
			return rc;
	} else {
		snprintf(w, sizeof w, "kext %s removed from %s", k.bundle_id, k.path);
		if ((rc = mx_store_kext_delete(op->st, d->id, k.bundle_id, err)) ||
		    (rc = mx_op_event(op, "installer", w, "kext remove", err)))
			return rc;
	}
	if ((rc = eng_save(op, err)))
		return rc;
	if (what)
		snprintf(what, what_len, "%s", w);
	return 0;
}

/* ---- System Settings: Allow ---- */

int
mx_op_kext_approve(mx_op *op, const char *bundle_id, const char *cred,
    mx_kext_approve_result *out, mx_err *err)
{
	mx_device *d = &op->d;
	mx_kext k;
	int rc;
	memset(out, 0, sizeof *out);
	if ((rc = need_macos(d, err)) || (rc = mx_store_kext_get(op->st, d->id, bundle_id, &k, err)))
		return rc;
	eng_kext_env e;
	mx_kext_ctx c;
	mx_boot_gate g;
	if ((rc = eng_kext_env_load(op, &e, err)) || (rc = eng_kext_ctx(op, &e, &k, &c, &g, err)))
		goto out;
	if (k.state != MX_KEXT_AWAITING_USER_APPROVAL && k.state != MX_KEXT_REJECTED_BY_POLICY &&
	    k.state != MX_KEXT_BLOCKED_BY_SECURITY_POLICY) {
		rc = MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is not waiting for approval (%s)",
		    k.bundle_id, mx_kext_state_name(k.state));
		goto out;
	}
	bool need_admin;
	if ((rc = mx_kext_user_may_approve(&c, &k, &need_admin, err))) {
		rc = mx_op_refuse(op, "user", "approve kext", err);
		goto out;
	}
	const mx_user *u = NULL;
	if ((rc = mx_op_auth(op, cred, need_admin, "approve kext", &u, err)))
		goto out;
	/* TN2459 scoping: Allow also covers the same developer's other
	 * blocked kexts in /Library/Extensions */
	mx_kext *all;
	int n;
	if ((rc = mx_store_kext_list(op->st, d->id, &all, &n, err)))
		goto out;
	int napproved = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		mx_kext *o = &all[i];
		bool same = strcmp(o->bundle_id, k.bundle_id) == 0;
		if (!same && !(k.team_id[0] && strcmp(o->team_id, k.team_id) == 0 &&
		    o->state == MX_KEXT_AWAITING_USER_APPROVAL))
			continue;
		if ((rc = mx_store_kext_policy_set(op->st, d->id, o->team_id, o->bundle_id, true,
		    o->developer_name, 1, err)))
			break;
		mx_kext_ctx oc;
		mx_boot_gate og;
		if ((rc = eng_kext_ctx(op, &e, o, &oc, &og, err)))
			break;
		mx_kext_reevaluate(&oc, o);
		char what[600];
		snprintf(what, sizeof what, "%s allowed system software from \"%s\" (%s)", u->name,
		    o->developer_name, o->bundle_id);
		if ((rc = eng_kext_save(op, o, &og, u->name, what, err)) ||
		    (rc = mx_store_kext_history_seen(op->st, d->id, o, d->boot_session, op->now, 2,
		    err)))
			break;
		napproved++;
		if (same)
			k = *o;
	}
	free(all);
	if (rc || (rc = eng_save(op, err)))
		goto out;
	out->kext = k;
	out->napproved = napproved;
	snprintf(out->user, sizeof out->user, "%s", u->name);
out:
	eng_kext_env_free(&e);
	return rc;
}

/* ---- reads ---- */

int
mx_op_kexts(mx_op *op, mx_kext **out, int *n, mx_err *err)
{
	return mx_store_kext_list(op->st, op->d.id, out, n, err);
}

/* ---- the reaction to changed profiles ---- */

int
eng_kext_profiles_changed(mx_op *op, mx_err *err)
{
	eng_kext_env e;
	int rc = eng_kext_env_load(op, &e, err);
	if (rc) {
		eng_kext_env_free(&e);
		return rc;
	}
	mx_kext *all = NULL;
	int n = 0;
	if ((rc = mx_store_kext_policy_mdm_drop(op->st, op->d.id, err)) ||
	    (rc = mx_store_kext_list(op->st, op->d.id, &all, &n, err)))
		goto out;
	for (int i = 0; i < n; i++) {
		mx_kext_ctx c;
		mx_boot_gate g;
		mx_kext *k = &all[i];
		if ((rc = eng_kext_ctx(op, &e, k, &c, &g, err)))
			break;
		enum mx_kext_state s0 = k->state;
		if (!mx_kext_reevaluate(&c, k))
			continue;
		char what[600];
		snprintf(what, sizeof what, "kext %s: %s -> %s (kernel extension policy changed)",
		    k->bundle_id, mx_kext_state_name(s0), mx_kext_state_name(k->state));
		if ((rc = eng_kext_save(op, k, &g, "syspolicyd", what, err)))
			break;
	}
out:
	free(all);
	eng_kext_env_free(&e);
	return rc;
}

