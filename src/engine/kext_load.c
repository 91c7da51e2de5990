/*
 * kext_load.c — what kmutil asks of kernelmanagerd: load and unload
 * requests, an AuxKC rebuild with its authorisation, and arming the panic
 * medic from recoveryOS (kernel-extensions.md §3.5, §3.6, §6.2, §6.4).
 * Each load is decided by the core (mx_kext_load) and saved, whatever its
 * outcome: a kext that needs approval or a reboot keeps the state it
 * reached.  The KMErrorDomain codes front ends report come from
 * mx_kext_load_error: 27 approval required, 28 reboot required, 71
 * incompatible architecture, 1 rejected, 3 not loaded (unload).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/rules.h"
#include "engine_int.h"

int
mx_op_kext_load(mx_op *op, const char *const *names, int nn, mx_kext_load_report *out,
    mx_err *err)
{
	mx_device *d = &op->d;
	memset(out, 0, sizeof *out);
	if (nn > MX_KEXT_LOAD_MAX)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "at most %d extensions", MX_KEXT_LOAD_MAX);
	if (d->env != MX_ENV_MACOS)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is not running macOS", d->name);
	eng_kext_env e;
	int rc;
	if ((rc = eng_kext_env_load(op, &e, err))) {
		eng_kext_env_free(&e);
		return rc;
	}
	for (int i = 0; i < nn && rc == 0; i++) {
		mx_kext_load_item *it = &out->item[i];
		mx_kext_ctx c;
		mx_boot_gate g;
		snprintf(it->name, sizeof it->name, "%s", names[i]);
		if ((rc = mx_op_kext_find(op, names[i], &it->kext, err)) ||
		    (rc = eng_kext_ctx(op, &e, &it->kext, &c, &g, err)))
			break;
		mx_kext *k = &it->kext;
		enum mx_kext_state s0 = k->state;
		enum mx_kext_load_result r = mx_kext_load(&c, k);
		it->result = r;
		char what[700];
		const char *why = r == MX_KLOAD_OK ? "loaded" : r == MX_KLOAD_NEEDS_APPROVAL ?
		    "not approved to load" : r == MX_KLOAD_NEEDS_REBOOT ? "requires a reboot" :
		    !k->has_arch ? "incompatible architecture" : "rejected";
		snprintf(what, sizeof what, "load request %s: %s (%s -> %s)", k->bundle_id, why,
		    mx_kext_state_name(s0), mx_kext_state_name(k->state));
		if ((rc = eng_kext_save(op, k, &g, "kernelmanagerd", what, err)) ||
		    (rc = mx_store_kext_history_seen(op->st, d->id, k, d->boot_session, op->now, 1,
		    err)))
			break;
		out->n++;
		if (r == MX_KLOAD_REJECTED && k->has_arch) {
			char ev[1400];
			snprintf(ev, sizeof ev, "%s: %s%s", k->state == MX_KEXT_REJECTED_SIGNATURE ?
			    "Kext rejected due to invalid signature" : "Kext rejected due to system policy",
			    KEXT_STAGED_PREFIX, k->path);
			if ((rc = mx_op_event(op, "kernelmanagerd", ev, "validation", err)))
				break;
		}
	}
	eng_kext_env_free(&e);
	if (rc == 0)
		rc = eng_save(op, err);
	return rc;
}

static void
join(char *buf, size_t len, const mx_kext_load_report *r, enum mx_kext_load_result want,
    bool arch)
{
	buf[0] = '\0';
	bool first = true;
	for (int i = 0; i < r->n; i++) {
		const mx_kext_load_item *it = &r->item[i];
		if (it->result != want || (want == MX_KLOAD_REJECTED && it->kext.has_arch == arch))
			continue;
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, "%s%s", first ? "" : ", ", it->kext.bundle_id);
		first = false;
	}
}

static int
count(const mx_kext_load_report *r, enum mx_kext_load_result want, int arch)
{
	int n = 0;
	for (int i = 0; i < r->n; i++)
		n += r->item[i].result == want && (arch < 0 || r->item[i].kext.has_arch == !arch);
	return n;
}

int
mx_kext_load_error(const mx_kext_load_report *r, const mx_device *d, mx_err *err)
{
	char list[4096];
	if (count(r, MX_KLOAD_NEEDS_APPROVAL, -1)) {
		join(list, sizeof list, r, MX_KLOAD_NEEDS_APPROVAL, false);
		return MX_FAIL_DOM(err, MX_EDENIED, MX_DOM_KMERROR, 27, "Extension with identifiers %s"
		    " not approved to load. Please approve using %s.", list, mx_kext_settings_name(d));
	}
	if (count(r, MX_KLOAD_REJECTED, 1))
		return MX_FAIL_DOM(err, MX_EINVALID, MX_DOM_KMERROR, 71, "Incompatible architecture:"
		    " Cannot find %s in fat binary.", d->arch == MX_ARCH_ARM64 ? "arm64e" : "x86_64");
	if (count(r, MX_KLOAD_REJECTED, 0)) {
		join(list, sizeof list, r, MX_KLOAD_REJECTED, false);
		return MX_FAIL_DOM(err, MX_ESIGNATURE, MX_DOM_KMERROR, 1, "Extension with identifiers"
		    " %s could not be loaded.", list);
	}
	if (count(r, MX_KLOAD_NEEDS_REBOOT, -1)) {
		join(list, sizeof list, r, MX_KLOAD_NEEDS_REBOOT, false);
		return MX_FAIL_DOM(err, MX_ESTATE, MX_DOM_KMERROR, 28, "Loading extension(s): %s"
		    " requires a reboot", list);
	}
	return 0;
}

int
mx_op_kext_unload(mx_op *op, const char *const *names, int nn, mx_err *err)
{
	int rc;
	for (int i = 0; i < nn; i++) {
		mx_kext k;
		mx_err e2;
		mx_err_clear(&e2);
		if (mx_op_kext_find(op, names[i], &k, &e2) != 0 || k.state != MX_KEXT_LOADED)
			return MX_FAIL_DOM(err, MX_ENOTFOUND, MX_DOM_KMERROR, 3, "Extension with"
			    " identifier %s is not loaded.", names[i]);
		/* stopped; its code stays in the collection (before 11: in
		 * /Library/Extensions) and it can load again */
		k.state = MX_KEXT_INSTALLED;
		char what[400];
		snprintf(what, sizeof what, "kext %s unloaded", k.bundle_id);
		if ((rc = eng_kext_save(op, &k, NULL, "kmutil", what, err)))
			return rc;
	}
	return 0;
}

int
mx_op_kext_rebuild_plan(mx_op *op, mx_kext_rebuild_plan *out, mx_err *err)
{
	mx_device *d = &op->d;
	memset(out, 0, sizeof *out);
	if (d->env != MX_ENV_MACOS)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is not running macOS", d->name);
	eng_kext_env e;
	mx_kext *all = NULL;
	int n = 0;
	int rc;
	if ((rc = eng_kext_env_load(op, &e, err)) ||
	    (rc = mx_store_kext_list(op->st, d->id, &all, &n, err))) {
		eng_kext_env_free(&e);
		return rc;
	}
	out->add = mx_xcalloc((size_t)(n ? n : 1), sizeof *out->add);
	out->del = mx_xcalloc((size_t)(n ? n : 1), sizeof *out->del);
	for (int i = 0; i < n; i++) {
		mx_kext_ctx c;
		if ((rc = eng_kext_ctx(op, &e, &all[i], &c, NULL, err)))
			break;
		bool inc = mx_kext_include_in_auxkc(&c, &all[i], false, NULL);
		if (inc && !all[i].in_auxkc)
			out->add[out->nadd++] = all[i];
		if (!inc && all[i].in_auxkc)
			out->del[out->ndel++] = all[i];
	}
	eng_kext_env_free(&e);
	free(all);
	if (rc)
		mx_kext_rebuild_plan_free(out);
	return rc;
}

void
mx_kext_rebuild_plan_free(mx_kext_rebuild_plan *p)
{
	free(p->add);
	free(p->del);
	memset(p, 0, sizeof *p);
}

int
mx_op_kext_rebuild_authorize(mx_op *op, const char *cred, mx_err *err)
{
	const mx_user *u = NULL;
	int rc;
	if ((rc = mx_op_auth(op, cred, true, "kmutil rebuild", &u, err)))
		return rc;
	op->d.restart_pending = true;
	mx_alert_spec a;
	mx_kext_restart_alert(&a);
	if ((rc = eng_alert(op, a.kind, a.subject, a.title, a.text, a.actions, err)) ||
	    (rc = mx_op_event(op, u->name, "authorised an auxiliary kernel collection rebuild",
	    "kmutil rebuild", err)))
		return rc;
	return eng_save(op, err);
}

int
mx_op_kext_panic_medic(mx_op *op, mx_err *err)
{
	if (op->d.env != MX_ENV_RECOVERY)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET,
		    "trigger-panic-medic is only available in recoveryOS");
	int rc = mx_store_kv_set(op->st, op->d.id, "kext.panic_medic", "1", err);
	if (rc)
		return rc;
	return mx_op_event(op, "kmutil", "panic medic armed: the AuxKC and all kext approvals"
	    " are removed at the next boot", "trigger-panic-medic", err);
}
