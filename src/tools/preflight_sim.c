/*
 * preflight_sim.c — one class of the fleet simulated: its throw-away
 * device made (created with fleet create's users and enrolment, or
 * imported from an export), the plan's timeline run step by step as typed
 * fleet steps (fleet_step_run: the engine's operations, inside no batch),
 * and after each step the device read again: the dialogs and notices that
 * appeared (new alerts, with their text), restarts (a new boot).  Then what
 * a person still has to do is found by doing it on the same device, in
 * the order macOS asks for it (allow in System Settings, recoveryOS by the
 * power button and Reduced Security, restart), until nothing changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preflight.h"

#define ADMIN "admin:admin"
#define STANDARD "user:user"
#define MAX_SEEN 512

struct sim {
	struct pf_run *r;
	struct pf_class *c;
	int64_t seen[MAX_SEEN];
	int nseen;
	uint64_t boots;
};

void
pf_moment(struct pf_class *c, int step, enum pf_mark mark, int code, const char *what,
    const char *text)
{
	if (c->nmoments == c->capmoments) {
		c->capmoments = c->capmoments ? 2 * c->capmoments : 32;
		c->m = mx_xrealloc(c->m, (size_t)c->capmoments * sizeof *c->m);
	}
	struct pf_moment *m = &c->m[c->nmoments++];
	m->step = step, m->mark = mark, m->code = code;
	snprintf(m->what, sizeof m->what, "%s", what);
	snprintf(m->text, sizeof m->text, "%s", text ? text : "");
}

/* ---- reading the device ---- */

struct alerts_new { struct sim *s; int step; };

static int
alert_new(const mx_alert *a, void *arg)
{
	struct alerts_new *x = arg;
	struct sim *s = x->s;
	for (int i = 0; i < s->nseen; i++)
		if (s->seen[i] == a->id)
			return 0;
	if (s->nseen < MAX_SEEN)
		s->seen[s->nseen++] = a->id;
	char what[256];
	snprintf(what, sizeof what, "%s: %s", a->kind, a->title);
	pf_moment(s->c, x->step, PF_MARK_DIALOG, 0, what, a->text);
	return 0;
}

/* New alerts and a new boot since the last look. */
static int
observe(struct sim *s, int step, mx_err *err)
{
	mx_op *op;
	int rc = mx_op_begin(&op, s->r->e, s->c->device, MX_OP_READ, err);
	if (rc)
		return rc;
	struct alerts_new x = { s, step };
	rc = mx_op_alerts_each(op, alert_new, &x, err);
	uint64_t boots = mx_op_device(op)->boot_count;
	mx_op_abort(op);
	if (rc == 0 && boots != s->boots) {
		s->boots = boots;
		pf_moment(s->c, step, PF_MARK_RESTART, 0, "the Mac restarts", NULL);
	}
	return rc;
}

struct exts { mx_sx_rec *sx; size_t nsx; mx_kext *k; int nk; mx_device d; };

static int
read_exts(struct sim *s, struct exts *x, mx_err *err)
{
	memset(x, 0, sizeof *x);
	mx_op *op;
	int rc = mx_op_begin(&op, s->r->e, s->c->device, MX_OP_READ, err);
	if (rc)
		return rc;
	x->d = *mx_op_device(op);
	if ((rc = mx_op_sysexts(op, &x->sx, &x->nsx, err)) == 0)
		rc = mx_op_kexts(op, &x->k, &x->nk, err);
	mx_op_abort(op);
	return rc;
}

static void
exts_free(struct exts *x)
{
	free(x->sx);
	free(x->k);
}

/* Every extension's state now, into states[].state (after: into .after). */
static int
record_states(struct sim *s, bool after, mx_err *err)
{
	struct exts x;
	int rc = read_exts(s, &x, err);
	if (rc)
		return rc;
	struct pf_class *c = s->c;
	for (int k = 0; after && k < c->nstates; k++)
		snprintf(c->states[k].after, sizeof c->states[k].after, "%s", "removed");
	for (size_t i = 0; i < x.nsx + (size_t)x.nk; i++) {
		bool kext = i >= x.nsx;
		const char *id = kext ? x.k[i - x.nsx].bundle_id : x.sx[i].identifier;
		const char *st = kext ? mx_kext_state_name(x.k[i - x.nsx].state) :
		    mx_sx_state_name(x.sx[i].state);
		int k;
		for (k = 0; k < c->nstates; k++)
			if (c->states[k].kext == kext && strcmp(c->states[k].id, id) == 0)
				break;
		if (k == c->nstates) {
			if (k == (int)(sizeof c->states / sizeof c->states[0]))
				continue;
			c->nstates++;
			memset(&c->states[k], 0, sizeof c->states[k]);
			snprintf(c->states[k].id, sizeof c->states[k].id, "%s", id);
			c->states[k].kext = kext;
			snprintf(c->states[k].state, sizeof c->states[k].state, "%s", "(none)");
		}
		snprintf(after ? c->states[k].after : c->states[k].state, sizeof c->states[k].state,
		    "%s", st);
		if (!kext)
			snprintf(c->states[k].approval, sizeof c->states[k].approval, "%s", x.sx[i].approval);
		else
			snprintf(c->states[k].approval, sizeof c->states[k].approval, "%s",
			    mx_kext_approval_name(x.k[i - x.nsx].approval));
	}
	c->final_os = x.d.os;
	exts_free(&x);
	return 0;
}

/* ---- the device ---- */

static int
make_device(struct sim *s, mx_err *err)
{
	struct pf_run *r = s->r;
	struct pf_class *c = s->c;
	int rc;
	if (c->from[0]) {
		int64_t newid;
		mx_devstate st;
		memset(&st, 0, sizeof st);
		if ((rc = mx_engine_devstate_read(r->e, c->from, c->device, &st, err)) == 0)
			rc = mx_engine_devstate_import(r->e, &st, &newid, err);
		mx_devstate_free(&st);
		return rc;
	}
	mx_user_spec users[2] = { { "admin", NULL, r->pw_admin, true },
		{ "user", NULL, r->pw_user, false } };
	mx_device_spec spec = { .name = c->device, .arch = c->arch, .os = c->os,
		.sip_off = c->sip_off, .trust_anchor = c->anchor[0] ? c->anchor : NULL,
		.nusers = r->standard ? 2 : 1, .users = users, .why = "preflight" };
	if ((rc = mx_engine_device_create(r->e, &spec, NULL, err)) || c->enroll == MX_ENROLL_NONE)
		return rc;
	mx_op *op;
	if ((rc = mx_op_begin(&op, r->e, c->device, MX_OP_WRITE, err)))
		return rc;
	rc = mx_op_enroll(op, c->enroll, c->user_approved && c->enroll == MX_ENROLL_DEVICE, false, err);
	return rc ? (mx_op_abort(op), rc) : mx_op_commit(op, err);
}

/* A macOS upgrade: the device's whole state carried to the new version (an
 * export and import of itself under a new name), then the restart into it. */
static int
upgrade(struct sim *s, mx_version to, mx_err *err)
{
	struct pf_class *c = s->c;
	mx_op *op;
	mx_devstate st;
	memset(&st, 0, sizeof st);
	int rc = mx_op_begin(&op, s->r->e, c->device, MX_OP_WRITE, err);
	if (rc)
		return rc;
	if (mx_version_cmp(to, mx_op_device(op)->os) <= 0) {
		char have[24], want[24];
		mx_version_str(mx_op_device(op)->os, have, sizeof have);
		mx_version_str(to, want, sizeof want);
		mx_op_abort(op);
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "runs macOS %s already (not older than %s)",
		    have, want);
	}
	rc = mx_op_devstate(op, &st, NULL, err);
	rc = rc ? (mx_op_abort(op), rc) : mx_op_commit(op, err);
	char old[64];
	int64_t newid;
	snprintf(old, sizeof old, "%s", c->device);
	if (rc == 0) {
		st.dev.os = to;
		size_t l = strcspn(c->device, "+");
		snprintf(st.dev.name, sizeof st.dev.name, "%.*s+u%d", (int)l, c->device,
		    (int)(st.dev.boot_count % 1000));
		/* the same Mac (serial, users) on the new version: the old record goes first */
		if ((rc = mx_engine_device_delete(s->r->e, old, NULL, err)) == 0 &&
		    (rc = mx_engine_devstate_import(s->r->e, &st, &newid, err)) == 0)
			snprintf(c->device, sizeof c->device, "%s", st.dev.name);
	}
	mx_devstate_free(&st);
	if (rc)
		return rc;
	struct fleet_step_op rs = { .kind = FS_RESTART };
	struct fleet_outcome o;
	fleet_step_run(s->r->e, &rs, c->device, &o);
	fleet_step_free(&rs);
	if (o.code) {
		*err = o.err;
		return o.err.code ? o.err.code : MX_ESTATE;
	}
	return 0;
}

/* ---- one step ---- */

static void
describe(const struct pf_run *r, const mx_pf_step *st, char *buf, size_t len)
{
	const char *in = st->input >= 0 ? r->plan->inputs[st->input].name : st->id;
	char os[24];
	switch (st->kind) {
	case MX_PFS_MDM_RESTART:
		snprintf(buf, len, "MDM RestartDevice%s%s", st->notify_user ? " NotifyUser" : "",
		    st->rebuild_kernel_cache ? " RebuildKernelCache" : "");
		return;
	case MX_PFS_UPGRADE:
		mx_version_str(st->os, os, sizeof os);
		snprintf(buf, len, "upgrade to macOS %s", os);
		return;
	case MX_PFS_RESTART:
		snprintf(buf, len, "a person restarts the Mac (%s)", st->standard_user ? "standard user" :
		    "administrator");
		return;
	case MX_PFS_RECOVERY_SECURITY:
		snprintf(buf, len, "a person starts recoveryOS (power button), sets %s Security%s%s,"
		    " restarts", mx_secpolicy_name(st->level), st->kext_user ?
		    " + user management of kexts" : "", st->kext_remote ? " + remote management" : "");
		return;
	case MX_PFS_APPROVE:
		snprintf(buf, len, "a person (%s) clicks Allow for %s", st->standard_user ?
		    "standard user" : "administrator", st->id);
		return;
	case MX_PFS_TOGGLE:
		snprintf(buf, len, "a person (%s) switches %s %s in Login Items & Extensions",
		    st->standard_user ? "standard user" : "administrator", st->id,
		    st->enable ? "on" : "off");
		return;
	default:
		snprintf(buf, len, "%s %s%s", mx_pfplan_step_name(st->kind), in,
		    st->manual ? " (by hand)" : (st->kind == MX_PFS_INSTALL_PROFILE ||
		    st->kind == MX_PFS_REMOVE_PROFILE) ? " (MDM)" : "");
	}
}

static int
run_op(struct sim *s, struct fleet_step_op *op, struct fleet_outcome *o)
{
	fleet_step_run(s->r->e, op, s->c->device, o);
	return o->code;
}

/* A fleet step of kind k with no host input, run once. */
static int
run_simple(struct sim *s, enum fleet_kind k, const char *id, const char *cred, bool a, bool b,
    struct fleet_outcome *o)
{
	struct fleet_step_op op = { .kind = k, .id = id, .cred = cred, .a = a, .b = b };
	if (k == FS_KM_LOAD) {
		op.n = 1;
		op.names[0] = id;
	}
	if (k == FS_RECOVERY)
		op.v.via = MX_RECOVERY_POWER_BUTTON;
	run_op(s, &op, o);
	fleet_step_free(&op);
	return o->code;
}

static bool
is_kext_on(struct sim *s, const char *id)
{
	struct exts x;
	mx_err e;
	bool found = false;
	if (read_exts(s, &x, &e) == 0)
		for (int i = 0; i < x.nk; i++)
			found |= strcmp(x.k[i].bundle_id, id) == 0;
	exts_free(&x);
	return found;
}

/* A removal that took an extension out of activated_enabled or loaded. */
static void
deactivated(struct sim *s, int i, const struct exts *b, const struct exts *a)
{
	const mx_pf_step *st = &s->r->plan->steps[i];
	const char *name = st->input >= 0 ? s->r->plan->inputs[st->input].name : st->id;
	for (size_t k = 0; k < b->nsx; k++) {
		if (b->sx[k].state != MX_SX_ENABLED)
			continue;
		const char *now = "uninstalled";
		for (size_t j = 0; j < a->nsx; j++)
			if (!strcmp(a->sx[j].unique_id, b->sx[k].unique_id))
				now = mx_sx_state_name(a->sx[j].state);
		if (strcmp(now, "activated_enabled"))
			pf_finding(s->r, "removal-deactivates", false, s->c, "system-extensions.md §1.7:"
			    " a profile change re-evaluates every record (11.3+); without an allowing"
			    " payload an MDM-approved extension waits for the user again",
			    "removing %s (step %d) takes %s from activated_enabled to %s", name, i + 1,
			    b->sx[k].identifier, now);
	}
	for (int k = 0; k < b->nk; k++) {
		if (b->k[k].state != MX_KEXT_LOADED)
			continue;
		const char *now = "removed";
		for (int j = 0; j < a->nk; j++)
			if (!strcmp(a->k[j].bundle_id, b->k[k].bundle_id))
				now = mx_kext_state_name(a->k[j].state);
		if (strcmp(now, "loaded"))
			pf_finding(s->r, "removal-deactivates", false, s->c, "kernel-extensions.md: the MDM"
			    " kext policy's approvals go with its profile", "removing %s (step %d) takes %s"
			    " from loaded to %s", name, i + 1, b->k[k].bundle_id, now);
	}
}

/* Step i; its outcome recorded.  A store failure is returned. */
static int
run_step(struct sim *s, int i, mx_err *err)
{
	struct pf_run *r = s->r;
	const mx_pf_step *st = &r->plan->steps[i];
	struct fleet_step_op *op = &r->ops[i];
	const char *path = st->input >= 0 ? r->in[st->input].path : NULL;
	const char *cred = st->standard_user ? STANDARD : ADMIN;
	char what[256];
	describe(r, st, what, sizeof what);
	bool person = mx_pfplan_step_is_person(st->kind);
	enum pf_mark mark = person ? PF_MARK_PERSON : PF_MARK_STEP;
	if (st->when[0]) {
		mx_fleet_filter f;
		bool match = false;
		int rc = mx_fleet_filter_parse(&f, st->when, err);
		if (rc == 0)
			rc = mx_engine_fleet_match(r->e, &f, s->c->device, &match, err);
		mx_fleet_filter_free(&f);
		if (rc)
			return rc;
		if (!match) {
			pf_moment(s->c, i, mark, -1, what, "skipped: when does not hold");
			return 0;
		}
	}
	struct fleet_outcome o;
	memset(&o, 0, sizeof o);
	mx_err_clear(&o.err);
	switch (st->kind) {
	case MX_PFS_INSTALL_PROFILE:
		op->kind = st->manual ? FS_PROFILES_INSTALL : FS_MDM_INSTALL_PROFILE;
		op->path = path;
		op->cred = ADMIN;
		run_op(s, op, &o);
		break;
	case MX_PFS_REMOVE_PROFILE: {
		op->kind = st->manual ? FS_PROFILES_REMOVE : FS_MDM_REMOVE_PROFILE;
		op->id = st->input >= 0 && r->in[st->input].prof ?
		    mx_profile_identifier(r->in[st->input].prof) : st->id;
		op->cred = ADMIN;
		struct exts before, after;
		int rc = read_exts(s, &before, err);
		if (rc)
			return rc;
		if (run_op(s, op, &o) == 0 && read_exts(s, &after, err) == 0) {
			deactivated(s, i, &before, &after);
			exts_free(&after);
		}
		exts_free(&before);
		break;
	}
	case MX_PFS_INSTALL_APP:
		op->kind = FS_APP_INSTALL;
		op->path = path;
		run_op(s, op, &o);
		break;
	case MX_PFS_ACTIVATE: {
		int n = 0;
		for (int k = 0; k < PF_MAX_EXT && r->ext[k].id[0]; k++) {
			const struct pf_ext *x = &r->ext[k];
			if (x->kext || x->input != st->input || (st->id[0] && strcmp(st->id, x->id)))
				continue;
			struct fleet_step_op a = { .kind = FS_SYSEXT_ACTIVATE, .id = x->app_id,
				.id2 = x->id, .a = true };
			struct fleet_outcome ao;
			run_op(s, &a, &ao);
			fleet_step_free(&a);
			char w[256];
			snprintf(w, sizeof w, "activate %s", x->id);
			pf_moment(s->c, i, mark, ao.code, w, ao.code ? ao.err.msg : NULL);
			n++;
		}
		if (n == 0) {
			MX_FAIL(&o.err, MX_ENOTFOUND, MX_NO_OFFSET, "%s holds no system extension %s",
			    r->plan->inputs[st->input].name, st->id);
			o.code = mx_exit_code(MX_ENOTFOUND);
			break;
		}
		return observe(s, i, err);
	}
	case MX_PFS_INSTALL_KEXT:
		op->kind = FS_KEXT_INSTALL;
		op->path = path;
		if (run_op(s, op, &o) == 0 && st->load && r->in[st->input].bundle_id[0]) {
			pf_moment(s->c, i, mark, 0, what, NULL);
			run_simple(s, FS_KM_LOAD, r->in[st->input].bundle_id, NULL, false, false, &o);
			snprintf(what, sizeof what, "the installer loads %s (kmutil load)",
			    r->in[st->input].bundle_id);
			/* 27 and 28 are the way to loaded, not failures of the step */
			if (o.code == 27 || o.code == 28) {
				pf_moment(s->c, i, mark, o.code, what, o.err.msg);
				return observe(s, i, err);
			}
		}
		break;
	case MX_PFS_INSTALL_PKG: {
		mx_pkg_import imp;
		int rc = pkg_import_file(r->e, path, s->c->device, NULL, &imp, &o.err);
		char kexts[8][256];
		int nk = 0;
		if (rc == 0) {
			for (size_t k = 0; k < imp.n; k++) {
				const mx_pkg_root_import *ri = &imp.roots[k];
				const char *h = ri->kind == MX_PLACE_APP ? ri->app.hash :
				    ri->kind == MX_PLACE_KEXT ? ri->kext.hash : NULL;
				char stored[PATH_MAX], id[256];
				mx_err e;
				if (h && h[0] && mx_cas_path(mx_engine_store(r->e), h, stored, sizeof stored,
				    &e) == 0)
					pf_bundle_facts(r, st->input, stored, id, sizeof id);
				if (ri->kind == MX_PLACE_KEXT && nk < 8)
					snprintf(kexts[nk++], 256, "%s", ri->kext.facts.bundle_id);
			}
			mx_op *wop;
			if ((rc = mx_op_begin(&wop, r->e, s->c->device, MX_OP_WRITE, &o.err)) == 0) {
				rc = mx_op_pkg_install(wop, &imp, &o.err);
				rc = rc ? (mx_op_abort(wop), rc) : mx_op_commit(wop, &o.err);
			}
			mx_pkg_import_free(&imp);
		}
		o.code = cli_status(rc, &o.err);
		/* the package's postinstall loads its kexts, as vendors' installers do */
		for (int k = 0; rc == 0 && k < nk; k++) {
			struct fleet_outcome lo;
			run_simple(s, FS_KM_LOAD, kexts[k], NULL, false, false, &lo);
			char w[320];
			snprintf(w, sizeof w, "the installer loads %s (kmutil load)", kexts[k]);
			pf_moment(s->c, i, mark, lo.code, w, lo.code ? lo.err.msg : NULL);
		}
		break;
	}
	case MX_PFS_MDM_RESTART:
		run_simple(s, FS_MDM_RESTART, NULL, NULL, st->notify_user, st->rebuild_kernel_cache, &o);
		break;
	case MX_PFS_UPGRADE: {
		int rc = upgrade(s, st->os, &o.err);
		if (rc == MX_EIO || rc == MX_EBUSY) {
			*err = o.err;
			return rc;
		}
		o.code = cli_status(rc, &o.err);
		break;
	}
	case MX_PFS_APPROVE:
		run_simple(s, is_kext_on(s, st->id) ? FS_KEXT_APPROVE : FS_SYSEXT_APPROVE, st->id, cred,
		    false, false, &o);
		break;
	case MX_PFS_RESTART:
		run_simple(s, FS_RESTART, NULL, cred, false, false, &o);
		break;
	case MX_PFS_TOGGLE:
		run_simple(s, FS_SYSEXT_SET_ENABLED, st->id, cred, st->enable, false, &o);
		break;
	case MX_PFS_RECOVERY_SECURITY:
		if (s->c->arch != MX_ARCH_ARM64) {
			pf_moment(s->c, i, mark, -1, what, "skipped: an Intel Mac has no Startup Security"
			    " Utility setting for kernel extensions");
			return 0;
		}
		if (run_simple(s, FS_RECOVERY, NULL, NULL, false, false, &o) == 0) {
			struct fleet_step_op sec = { .kind = FS_SECURITY_SET, .cred = cred,
				.a = st->kext_user, .b = st->kext_remote };
			sec.v.level = st->level;
			if (run_op(s, &sec, &o) == 0)
				run_simple(s, FS_RESTART, NULL, cred, false, false, &o);
			fleet_step_free(&sec);
		}
		break;
	default:
		break;
	}
	if (o.err.code == MX_EIO || o.err.code == MX_EBUSY || o.err.code == MX_ENOMEM) {
		*err = o.err;
		return o.err.code;
	}
	pf_moment(s->c, i, mark, o.code, what, o.code ? (o.said[0] ? o.said : o.err.msg) : NULL);
	return observe(s, i, err);
}

/* ---- what a person still has to do ---- */

static bool
need(struct sim *s, int *k, const char *what, struct fleet_outcome *o)
{
	pf_moment(s->c, s->r->plan->nsteps + *k, PF_MARK_NEEDED, o->code, what,
	    o->code ? (o->said[0] ? o->said : o->err.msg) : NULL);
	mx_err e;
	observe(s, s->r->plan->nsteps + *k, &e);
	(*k)++;
	s->c->person_needed++;
	return o->code == 0;
}

static int
resolve(struct sim *s, mx_err *err)
{
	struct pf_class *c = s->c;
	char tried[64][256];
	int ntried = 0, k = 0;
	for (int round = 0; round < 8; round++) {
		struct exts x;
		int rc = read_exts(s, &x, err);
		if (rc)
			return rc;
		bool changed = false;
		struct fleet_outcome o;
		char what[512];
		for (size_t i = 0; i < x.nsx && !changed; i++) {
			if (x.sx[i].state != MX_SX_WAITING_FOR_USER)
				continue;
			int t;
			for (t = 0; t < ntried && strcmp(tried[t], x.sx[i].identifier); t++)
				;
			if (t < ntried || ntried == 64)
				continue;
			snprintf(tried[ntried++], 256, "%s", x.sx[i].identifier);
			run_simple(s, FS_SYSEXT_APPROVE, x.sx[i].identifier, ADMIN, false, false, &o);
			snprintf(what, sizeof what, "an administrator allows %s in %s", x.sx[i].identifier,
			    mx_kext_settings_name(&x.d));
			changed = need(s, &k, what, &o);
		}
		for (int i = 0; i < x.nk && !changed; i++) {
			const mx_kext *kx = &x.k[i];
			if (kx->state == MX_KEXT_AWAITING_USER_APPROVAL ||
			    kx->state == MX_KEXT_BLOCKED_BY_SECURITY_POLICY) {
				int t;
				char key[300];
				snprintf(key, sizeof key, "%d%s", kx->state, kx->bundle_id);
				for (t = 0; t < ntried && strcmp(tried[t], key); t++)
					;
				if (t < ntried || ntried == 64)
					continue;
				snprintf(tried[ntried++], 256, "%s", key);
			}
			if (kx->state == MX_KEXT_BLOCKED_BY_SECURITY_POLICY && x.d.arch == MX_ARCH_ARM64) {
				if (run_simple(s, FS_RECOVERY, NULL, NULL, false, false, &o) == 0) {
					struct fleet_step_op sec = { .kind = FS_SECURITY_SET, .cred = ADMIN,
						.a = true };
					sec.v.level = MX_SEC_REDUCED;
					if (run_op(s, &sec, &o) == 0)
						run_simple(s, FS_RESTART, NULL, ADMIN, false, false, &o);
					fleet_step_free(&sec);
				}
				changed = need(s, &k, "a person starts recoveryOS (hold the power button), sets"
				    " Reduced Security + user management of kernel extensions in Startup Security"
				    " Utility, restarts", &o);
				if (changed)
					run_simple(s, FS_KM_LOAD, kx->bundle_id, NULL, false, false, &o);
			} else if (kx->state == MX_KEXT_AWAITING_USER_APPROVAL) {
				run_simple(s, FS_KEXT_APPROVE, kx->bundle_id, ADMIN, false, false, &o);
				snprintf(what, sizeof what, "an administrator allows %s (%s) in %s",
				    kx->developer_name, kx->bundle_id, mx_kext_settings_name(&x.d));
				changed = need(s, &k, what, &o);
			} else if (kx->state == MX_KEXT_INSTALLED && kx->load_requested) {
				/* the vendor's app tries again */
				run_simple(s, FS_KM_LOAD, kx->bundle_id, NULL, false, false, &o);
				struct exts y;
				if (read_exts(s, &y, err) == 0)
					for (int j = 0; j < y.nk; j++)
						if (!strcmp(y.k[j].bundle_id, kx->bundle_id))
							changed = y.k[j].state != kx->state;
				exts_free(&y);
			}
		}
		if (!changed && (x.d.restart_pending || (x.d.env != MX_ENV_MACOS))) {
			run_simple(s, FS_RESTART, NULL, ADMIN, false, false, &o);
			changed = need(s, &k, "a person restarts the Mac", &o);
			c->restarts_needed++;
			for (int i = 0; i < x.nk; i++)
				if (x.k[i].load_requested && x.k[i].state != MX_KEXT_LOADED)
					run_simple(s, FS_KM_LOAD, x.k[i].bundle_id, NULL, false, false, &o);
		}
		exts_free(&x);
		if (!changed)
			break;
	}
	return 0;
}

int
pf_sim_class(struct pf_run *r, struct pf_class *c, mx_err *err)
{
	struct sim s = { .r = r, .c = c };
	int rc = make_device(&s, err);
	if (rc)
		return rc;
	if ((rc = observe(&s, -1, err)))
		return rc;
	c->nmoments = 0;             /* what the device showed before the plan is not the plan's */
	for (int i = 0; i < r->plan->nsteps; i++) {
		if ((rc = run_step(&s, i, err)))
			return rc;
	}
	for (int i = 0; i < c->nmoments; i++) {
		c->restarts += c->m[i].mark == PF_MARK_RESTART;
		c->person_in_plan += c->m[i].mark == PF_MARK_PERSON && c->m[i].code != -1;
	}
	if ((rc = record_states(&s, false, err)) || (rc = resolve(&s, err)) ||
	    (rc = record_states(&s, true, err)))
		return rc;
	for (int i = 0; i < c->nstates; i++) {
		const char *a = c->states[i].after;
		if (strcmp(a, "loaded") && strcmp(a, "activated_enabled") && strcmp(a, "removed") &&
		    strcmp(a, "uninstalled") && strcmp(a, "installed"))
			c->never_loads = true;
	}
	return 0;
}
