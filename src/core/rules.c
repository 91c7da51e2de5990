/*
 * rules.c — decisions as pure functions returning effects (rules.h): the
 * alerts macOS shows for kexts and system extensions and their exact
 * words, enrolment and bootstrap-token rules, RestartDevice, what a kext
 * update does to its approval, and profile delivery.  The engine applies
 * what these return; tests/unit/test_rules.c is their table.
 * Spec: kernel-extensions.md §2.4, §3.3, §3.7; system-extensions.md §3.3;
 * mdm-protocol-and-peers.md §1.3-§1.6.  Inferences are marked [INF] and
 * documented in docs/mdm.md, docs/kext.md and docs/sysext.md.
 */
#include <stdio.h>
#include <string.h>

#include "macext/profile.h"
#include "macext/rules.h"

static void
spec(mx_alert_spec *a, const char *kind, const char *subject, const char *title,
    const char *text, const char *actions)
{
	memset(a, 0, sizeof *a);
	snprintf(a->kind, sizeof a->kind, "%s", kind);
	snprintf(a->subject, sizeof a->subject, "%s", subject ? subject : "");
	snprintf(a->title, sizeof a->title, "%s", title);
	snprintf(a->text, sizeof a->text, "%s", text);
	snprintf(a->actions, sizeof a->actions, "%s", actions);
}

/* ---- kexts ---- */

static const char *
settings_name(const mx_device *d)
{
	return mx_version_at_least(d->os, 13, 0, 0) ? "System Settings" : "System Preferences";
}

void
mx_kext_restart_alert(mx_alert_spec *out)
{
	spec(out, "restart-required", "kext", "Restart Required",
	    "A restart is required before new system software can be used.",
	    "[\"Not Now\", \"Restart\"]");
}

void
mx_kext_alert(const mx_device *d, const mx_kext *k, const mx_boot_gate *gate,
    mx_kext_alert_fx *out)
{
	memset(out, 0, sizeof *out);
	char text[1024];
	bool v13 = mx_version_at_least(d->os, 13, 0, 0);
	switch (k->state) {
	case MX_KEXT_AWAITING_USER_APPROVAL:
	case MX_KEXT_REJECTED_BY_POLICY:
		/* TN2459 / HT210999: "System Extension Blocked" */
		snprintf(text, sizeof text, "A program tried to load new system extension(s) signed by"
		    " \"%s\". If you want to enable these extensions, open %s %s.%s",
		    k->developer_name, v13 ? "Privacy & Security" : "Security & Privacy",
		    settings_name(d), k->state == MX_KEXT_REJECTED_BY_POLICY ?
		    " Your organisation's policy does not allow approving this extension." : "");
		out->show = true;
		spec(&out->alert, "kext-blocked", k->bundle_id, "System Extension Blocked", text,
		    k->state == MX_KEXT_REJECTED_BY_POLICY ? "[\"OK\"]" :
		    v13 ? "[\"Open System Settings\", \"OK\"]" :
		    "[\"Open Security Preferences\", \"OK\"]");
		return;
	case MX_KEXT_BLOCKED_BY_SECURITY_POLICY:
		out->show = true;
		if (gate && gate->title && gate->text && gate->text[0]) {
			spec(&out->alert, "kext-blocked", k->bundle_id, gate->title, gate->text, "[\"OK\"]");
			return;
		}
		spec(&out->alert, "kext-blocked", k->bundle_id, "System Extension Blocked",
		    "To enable system extensions, you need to modify your security settings in the"
		    " Recovery environment. To do this, shut down your system. Then press and hold"
		    " the Touch ID or power button to launch Startup Security Utility. In Startup"
		    " Security Utility, enable kernel extensions from the Security Policy button.",
		    "[\"OK\"]");
		return;
	case MX_KEXT_AWAITING_RESTART:
		out->withdraw_blocked = true;
		out->restart_pending = true;
		out->show = true;
		mx_kext_restart_alert(&out->alert);
		return;
	default:
		out->withdraw_blocked = true;
		return;
	}
}

void
mx_kext_update(const mx_kext *old, mx_kext *k, bool *same, bool *revoke_consent)
{
	*same = false;
	*revoke_consent = false;
	/* the same bytes again: nothing changes */
	if (strcmp(old->hash, k->hash) == 0 && old->state != MX_KEXT_REMOVED_AWAITING_RESTART) {
		*same = true;
		return;
	}
	/* an update: the old version keeps running until the update is approved
	 * and built into the AuxKC (§3.3 step 9) */
	if (old->in_auxkc) {
		snprintf(k->running_version, sizeof k->running_version, "%s", old->version);
		snprintf(k->running_cdhash, sizeof k->running_cdhash, "%s", old->cdhash);
		snprintf(k->running_hash, sizeof k->running_hash, "%s", old->hash);
	} else if (old->running_version[0]) {
		snprintf(k->running_version, sizeof k->running_version, "%s", old->running_version);
		snprintf(k->running_cdhash, sizeof k->running_cdhash, "%s", old->running_cdhash);
		snprintf(k->running_hash, sizeof k->running_hash, "%s", old->running_hash);
	}
	/* "an updated kext still needs user consent" (§2.4): the user's Allow
	 * covered the old version */
	*revoke_consent = true;
}

/* ---- system extensions ---- */

void
mx_sysext_blocked_alert(mx_version os, const char *developer, const char *identifier,
    mx_alert_spec *out)
{
	char text[1024];
	const char *where, *actions;
	if (mx_version_at_least(os, 15, 0, 0)) {
		where = "go to System Settings > General > Login Items & Extensions";
		actions = "[\"Open System Settings\",\"OK\"]";
	} else if (mx_version_at_least(os, 13, 0, 0)) {
		where = "go to System Settings > Privacy & Security";
		actions = "[\"Open System Settings\",\"OK\"]";
	} else {
		where = "open Security & Privacy System Preferences";
		actions = "[\"Open Security Preferences\",\"OK\"]";
	}
	snprintf(text, sizeof text, "A program tried to load new system extension(s) signed by "
	    "\"%s\" (%s). If you want to enable these extensions, %s.", developer, identifier,
	    where);
	spec(out, "sysext-blocked", identifier, "System Extension Blocked", text, actions);
}

void
mx_sysext_auth_alert(const char *app_name, const char *identifier, const char *short_version,
    const char *version, mx_alert_spec *out)
{
	char title[128], text[1024];
	snprintf(title, sizeof title, "\"%s\" wants to remove a system extension.", app_name);
	snprintf(text, sizeof text, "Removing %s (%s/%s) needs an administrator. Enter an "
	    "administrator's name and password to allow this.", identifier, short_version, version);
	spec(out, "sysext-auth", identifier, title, text, "[\"Cancel\",\"OK\"]");
}

/* ---- MDM ---- */

int
mx_enroll_plan(const mx_device *d, enum mx_enroll method, bool user_approved, bool in_abm,
    mx_device *next, mx_err *err)
{
	if (method == MX_ENROLL_NONE)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--method takes device, automated or user");
	if (d->enroll != MX_ENROLL_NONE)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET,
		    "%s is already enrolled (%s): unenroll first", d->name, mx_enroll_name(d->enroll));
	*next = *d;
	next->enroll = method;
	next->in_abm = in_abm || method == MX_ENROLL_AUTOMATED;
	switch (method) {
	case MX_ENROLL_AUTOMATED:
		next->user_approved = true;
		next->supervised = true;
		break;
	case MX_ENROLL_USER:
		/* User Enrollment is initiated by the user; never supervised. */
		next->user_approved = true;
		next->supervised = false;
		break;
	default:
		/* [INF docs/mdm.md] macOS 11 supervises user-approved Device Enrollments */
		next->user_approved = user_approved;
		next->supervised = user_approved && mx_version_at_least(d->os, 11, 0, 0);
		break;
	}
	return 0;
}

int
mx_escrow_check(const mx_device *d, mx_err *err)
{
	/* SetBootstrapToken: supervised only, never with User Enrollment. */
	if (d->enroll == MX_ENROLL_USER)
		return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
		    "SetBootstrapToken is not allowed with User Enrollment");
	if (!d->supervised)
		return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
		    "SetBootstrapToken needs a supervised Mac (this enrollment is not)");
	return 0;
}

int
mx_mdm_restart_plan(const mx_device *d, bool notify_user, bool rebuild_kc, int nkext_paths,
    enum mx_restart_plan *out, mx_err *err)
{
	*out = MX_RESTART_NOW;
	if (d->enroll == MX_ENROLL_USER)
		return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
		    "RestartDevice is not allowed with User Enrollment");
	if (nkext_paths && !rebuild_kc)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "KextPaths only applies with RebuildKernelCache");
	/* NotifyUser from 11.3 (the key's description; the seed's "11.3 or
	 * later") rather than the YAML's 11.4 [INF docs/mdm.md] */
	if (notify_user && mx_version_at_least(d->os, 11, 3, 0))
		*out = MX_RESTART_NOTIFY;
	return 0;
}

void
mx_mdm_restart_alert(mx_alert_spec *out)
{
	spec(out, "restart-required", "mdm", "Restart Required",
	    "Your organisation requires this Mac to restart to finish installing updates"
	    " to system software. Restart when convenient.", "[\"Restart\", \"Later\"]");
}

/* ---- profile delivery ---- */

static const char *
enroll_title(enum mx_enroll e)
{
	static const char *t[] = { "no MDM enrollment", "User Enrollment", "Device Enrollment",
		"Automated Device Enrollment" };
	return t[e];
}

int
mx_profile_delivery_check(const mx_profile *p, const mx_device *d, bool via_mdm,
    const char *name, mx_err *err)
{
	for (size_t i = 0; i < mx_profile_payload_count(p); i++) {
		const char *type = mx_profile_payload_type(p, i);
		mx_payload_rules r;
		if (!mx_schema_rules(type, &r) || !r.known)
			continue;
		if (!via_mdm && !r.allow_manual_install)
			return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
			    "%s: PayloadContent[%zu]: %s payloads can only be installed by an MDM"
			    " server, not by hand", name, i, type);
		if (via_mdm && d->enroll == MX_ENROLL_USER && r.user_enrollment_forbidden)
			return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
			    "%s: PayloadContent[%zu]: %s is not allowed with User Enrollment", name, i,
			    type);
		if (via_mdm && r.requires_user_approved_mdm && !d->user_approved)
			return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
			    "%s: PayloadContent[%zu]: %s requires a user-approved MDM enrollment"
			    " (this Mac has %s, not user approved)", name, i, type,
			    enroll_title(d->enroll));
		if (via_mdm && r.requires_supervision && !d->supervised)
			return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
			    "%s: PayloadContent[%zu]: %s requires a supervised Mac", name, i, type);
	}
	return 0;
}
