/*
 * boot.c — the boot security rules of an Apple silicon Mac: the LocalPolicy
 * level and options, the kext gate (may third-party kexts load at all, and
 * if not, what must the user or the MDM do), and who may change the policy
 * where (Startup Security Utility, bputil, csrutil, the bootstrap token).
 *
 * Spec: kernel-extensions.md §3.4 (the AS gate), §3.7 (by enrolment), §4.1
 * (levels), §4.2 (1TR vs software-launched recoveryOS), §4.3 (tags), §4.4
 * (bputil's environment table), §4.6 (SIP on AS moves to Permissive), §7
 * item 6; the seed's "Additional steps ... Apple silicon" table (the
 * instruction texts below follow its cells).  Inferences are marked [INF]
 * and listed in docs/boot-security.md.
 */
#include <string.h>

#include "macext/boot.h"

void
mx_lp_init(mx_localpolicy *out, const char *vuid)
{
	memset(out, 0, sizeof *out);
	size_t n = vuid ? strnlen(vuid, sizeof out->vuid - 1) : 0;
	memcpy(out->vuid, vuid, n);
}

enum mx_secpolicy
mx_lp_level(const mx_localpolicy *lp)
{
	if (lp->smb0 && lp->smb1)
		return MX_SEC_PERMISSIVE;
	return lp->smb0 ? MX_SEC_REDUCED : MX_SEC_FULL;
}

void
mx_lp_from_device(mx_localpolicy *out, const mx_device *d)
{
	mx_lp_init(out, d->udid);
	enum mx_secpolicy level = d->policy;
	/* SIP relaxed on Apple silicon is only possible in Permissive (§4.6) */
	if (d->csr != 0)
		level = MX_SEC_PERMISSIVE;
	out->smb0 = level != MX_SEC_FULL;
	out->smb1 = level == MX_SEC_PERMISSIVE;
	out->smb2 = out->smb0 && d->kext_user_management;
	out->smb3 = out->smb0 && d->kext_remote_management;
	if (d->csr != 0) {
		out->has_sip0 = true;
		out->sip0 = d->csr;
	}
}

void
mx_lp_to_device(const mx_localpolicy *lp, mx_device *d)
{
	d->policy = mx_lp_level(lp);
	d->kext_user_management = lp->smb0 && lp->smb2;
	d->kext_remote_management = lp->smb0 && (lp->smb3 || lp->smb4);
}

const char *
mx_boot_secure_boot_level(const mx_device *d)
{
	if (d->arch != MX_ARCH_ARM64)
		return "not supported";
	switch (d->policy) {
	case MX_SEC_FULL: return "full";
	case MX_SEC_REDUCED: return "medium";
	default: return "off";
	}
}

/* ---- the kext gate ---- */

#define TITLE_ENABLE "Enable System Extensions"
#define STEPS_1TR \
	"To enable system extensions, you need to modify your security settings in the " \
	"Recovery environment. Shut down your Mac, then press and hold the power button " \
	"until \"Loading startup options\" appears. Choose Options, "
#define TEXT_USER_MGMT STEPS_1TR \
	"authenticate as an administrator, then open Startup Security Utility from the " \
	"Utilities menu, choose Reduced Security and select \"Allow user management of kernel " \
	"extensions from identified developers\", and restart your Mac."
#define TEXT_USER_MGMT_UE STEPS_1TR \
	"authenticate as a local administrator, then open Startup Security Utility from the " \
	"Utilities menu, choose Reduced Security and select \"Allow user management of kernel " \
	"extensions from identified developers\", and restart your Mac."
#define TEXT_REMOTE_MGMT "Your organization manages kernel extensions on this Mac. " STEPS_1TR \
	"authenticate as an administrator, then open Startup Security Utility from the " \
	"Utilities menu, choose Reduced Security and select \"Allow remote management of kernel " \
	"extensions and automatic software updates\", and restart your Mac."
#define TEXT_MDM_BOOTSTRAP \
	"Your organization manages kernel extensions on this Mac (Automated Device Enrollment " \
	"with an escrowed bootstrap token): the security policy is changed without a restart " \
	"into recoveryOS at the next restart that rebuilds the kernel extensions."
#define TEXT_TAMPERED \
	"The security policy of this Mac (LocalPolicy) failed verification by the Secure " \
	"Enclave; third-party kernel extensions are not loaded. Restart into recoveryOS by " \
	"pressing and holding the power button and set the security policy again in Startup " \
	"Security Utility."

static void
gate_set(mx_boot_gate *out, bool allowed, enum mx_gate_action a, const char *tag,
    const char *title, const char *text)
{
	out->allowed = allowed;
	out->action = a;
	out->tag = tag;
	out->title = title;
	out->text = text;
}

void
mx_boot_kext_gate(const mx_device *d, const mx_localpolicy *lp, bool lp_valid,
    enum mx_kext_approver who, mx_boot_gate *out)
{
	/* Intel: no LocalPolicy; SIP and approval are the only gates (§3.4). */
	if (d->arch != MX_ARCH_ARM64) {
		gate_set(out, true, MX_GATE_NONE, NULL, "", "");
		return;
	}
	if (lp == NULL || !lp_valid) {
		gate_set(out, false, MX_GATE_TAMPERED, NULL, "Security Policy Invalid", TEXT_TAMPERED);
		return;
	}
	/* Kexts need a lowered level (smb0) and one of the kext options. */
	if (lp->smb0 && lp->smb2) {
		gate_set(out, true, MX_GATE_NONE, "smb2", "", "");
		return;
	}
	/* [INF] smb3/smb4 ("MDM control") let the MDM's kexts load; a user's
	 * own approval still needs smb2 (the "user management" option). */
	if (who == MX_APPROVER_MDM && lp->smb0 && (lp->smb3 || lp->smb4)) {
		gate_set(out, true, MX_GATE_NONE, lp->smb3 ? "smb3" : "smb4", "", "");
		return;
	}
	switch (d->enroll) {
	case MX_ENROLL_USER:
		/* seed: "authenticate as a local administrator" */
		gate_set(out, false, MX_GATE_1TR_USER_MGMT, NULL, TITLE_ENABLE, TEXT_USER_MGMT_UE);
		return;
	case MX_ENROLL_AUTOMATED:
		/* seed: "MDM solutions can manage this automatically"; §3.7: with
		 * the bootstrap token escrowed the device needs no user. */
		if (who == MX_APPROVER_MDM && d->bootstrap_escrowed) {
			gate_set(out, false, MX_GATE_MDM_BOOTSTRAP, NULL, TITLE_ENABLE,
			    TEXT_MDM_BOOTSTRAP);
			return;
		}
		/* fall through: without the token ADE is like Device Enrolment */
		/* FALLTHROUGH */
	case MX_ENROLL_DEVICE:
		if (who == MX_APPROVER_MDM) {
			gate_set(out, false, MX_GATE_1TR_REMOTE_MGMT, NULL, TITLE_ENABLE,
			    TEXT_REMOTE_MGMT);
			return;
		}
		gate_set(out, false, MX_GATE_1TR_USER_MGMT, NULL, TITLE_ENABLE, TEXT_USER_MGMT);
		return;
	default:
		gate_set(out, false, MX_GATE_1TR_USER_MGMT, NULL, TITLE_ENABLE, TEXT_USER_MGMT);
		return;
	}
}

/* ---- who may change the policy ---- */

#define SEP_REFUSES_1TR \
	"the Secure Enclave did not accept the security policy change: it is accepted only in " \
	"recoveryOS started by pressing and holding the power button. Shut down, press and hold " \
	"the power button until \"Loading startup options\" appears, choose Options and try again"

static bool
is_1tr(const mx_device *d)
{
	return d->env == MX_ENV_RECOVERY && d->recovery_entry == MX_RECOVERY_POWER_BUTTON;
}

/* Does the request lower security in a way that needs 1TR (bputil table, §4.4)?
 * Full, and Reduced without options, do not; every option, Permissive and
 * any SIP relaxation do. */
static const char *
needs_1tr(const mx_localpolicy *cur, const mx_lp_request *r)
{
	if (r->level == MX_SEC_PERMISSIVE && mx_lp_level(cur) != MX_SEC_PERMISSIVE)
		return "Permissive Security";
	if (r->kext_user)
		return "Allow user management of kernel extensions from identified developers";
	if (r->kext_remote)
		return "Allow remote management of kernel extensions and automatic software updates";
	if (r->set_sip && r->sip0 != 0)
		return "changing System Integrity Protection";
	if (r->ssv_off)
		return "disabling the Signed System Volume";
	if (r->ctrr_off)
		return "disabling Kernel CTRR";
	if (r->bootargs_off)
		return "disabling boot-args filtering";
	return NULL;
}

static void
clear_aux_if_no_kexts(mx_localpolicy *lp)
{
	if (lp->smb0 && (lp->smb2 || lp->smb3 || lp->smb4))
		return;
	lp->has_auxp = lp->has_auxi = lp->has_auxr = false;
	memset(lp->auxp, 0, sizeof lp->auxp);
	memset(lp->auxi, 0, sizeof lp->auxi);
	memset(lp->auxr, 0, sizeof lp->auxr);
}

int
mx_boot_authorize(const mx_device *d, const mx_localpolicy *cur, const mx_lp_request *r,
    const char *cred, mx_localpolicy *next, mx_err *err)
{
	if (d->arch != MX_ARCH_ARM64)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET,
		    "%s has an Intel processor: there is no LocalPolicy to change (Apple silicon only)",
		    d->name);
	mx_localpolicy n = *cur;
	n.has_sig = false;

	if (r->origin == MX_ORIGIN_MDM_BOOTSTRAP) {
		/* §3.7/§7.6: the device itself, with the bootstrap token, for
		 * MDM-managed kexts: Reduced + DEP-allowed MDM control (smb4). */
		if (d->env != MX_ENV_MACOS)
			return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET,
			    "the bootstrap token is used by macOS, not in recoveryOS");
		if (d->enroll != MX_ENROLL_AUTOMATED || !d->bootstrap_escrowed)
			return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
			    "the Secure Enclave did not accept the security policy change: no bootstrap "
			    "token is allowed for authentication (needs Automated Device Enrollment "
			    "and an escrowed bootstrap token)");
		if (r->level == MX_SEC_PERMISSIVE || r->kext_user || r->set_sip || r->ssv_off
		    || r->ctrr_off || r->bootargs_off)
			return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
			    "the bootstrap token authorises only kernel extension management");
		if (!n.smb0)
			n.smb0 = true;
		n.smb4 = true;
		*next = n;
		return 0;
	}

	/* Where the tool runs.  Startup Security Utility and csrutil's changes
	 * exist only in recoveryOS; bputil runs anywhere but the SEP checks
	 * the boot state for downgrades. */
	bool downgrade_free = r->level == MX_SEC_FULL && !r->kext_user && !r->kext_remote
	    && !r->set_sip && !r->ssv_restore;
	if (d->env != MX_ENV_RECOVERY) {
		if (r->origin == MX_ORIGIN_SSU)
			return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET,
			    "Startup Security Utility is available only in recoveryOS: restart into "
			    "recoveryOS by pressing and holding the power button");
		if (r->origin == MX_ORIGIN_CSRUTIL)
			return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET,
			    "failed to modify system integrity configuration. This tool needs to be "
			    "executed from the Recovery OS.");
		/* bputil: -f anywhere (§4.4); -g, -r, -z need recoveryOS */
		if (!downgrade_free && needs_1tr(cur, r) == NULL)
			return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET,
			    "this operation requires recoveryOS");
	}
	/* The owner: an administrator's name and password unlock the key the
	 * SEP signs with (§4.2).  Checked before the boot state, as the SEP
	 * command needs the credential first. */
	int rc = mx_auth_check_memo(d, cred, true, r->pw_memo, NULL, err);
	if (rc)
		return rc;
	const char *what = needs_1tr(cur, r);
	if (what && !is_1tr(d))
		return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET, "%s: " SEP_REFUSES_1TR, what);
	/* [INF] "Allow remote management" exists for MDM-enrolled Macs; User
	 * Enrollment cannot grant MDM control (bootstrap token is not for UE). */
	if (r->kext_remote && (d->enroll == MX_ENROLL_NONE || d->enroll == MX_ENROLL_USER))
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET,
		    "\"Allow remote management of kernel extensions and automatic software updates\" "
		    "requires enrollment in device management (not %s)",
		    d->enroll == MX_ENROLL_NONE ? "a Mac that is not enrolled" : "User Enrollment");

	if (r->ssv_restore) {
		/* re-enabling the signed system volume is an upgrade: any
		 * recoveryOS, the level stays [INF] */
		n.sip1 = false;
		*next = n;
		return 0;
	}
	if (r->set_sip) {
		/* csrutil: the SIP word goes to sip0; any relaxation moves the OS
		 * to Permissive (§4.6).  Re-enabling keeps the level [INF]: the
		 * user restores Full or Reduced in Startup Security Utility. */
		n.has_sip0 = r->sip0 != 0;
		n.sip0 = r->sip0;
		if (r->sip0 != 0)
			n.smb0 = n.smb1 = true;
		*next = n;
		return 0;
	}
	if (r->level == MX_SEC_FULL) {
		/* bputil -f / Full Security: every downgrade option disappears,
		 * the AuxKC measurement with them (§4.5 step 5). */
		mx_localpolicy f;
		mx_lp_init(&f, cur->vuid);
		f.nonce = cur->nonce;
		*next = f;
		return 0;
	}
	if (r->rebuild) {
		/* SSU / bputil -g / -n: the policy is rebuilt with only the given options */
		n.smb2 = r->kext_user;
		n.smb3 = r->kext_remote;
		if (r->level == MX_SEC_REDUCED) {
			n.smb1 = false;
			n.has_sip0 = false;
			n.sip0 = 0;
			n.sip1 = n.sip2 = n.sip3 = false;
		}
	} else {
		n.smb2 = n.smb2 || r->kext_user;
		n.smb3 = n.smb3 || r->kext_remote;
	}
	n.smb0 = true;
	n.smb1 = r->level == MX_SEC_PERMISSIVE || (!r->rebuild && n.smb1);
	if (r->ssv_off) n.sip1 = true;
	if (r->ctrr_off) n.sip2 = true;
	if (r->bootargs_off) n.sip3 = true;
	if (r->ssv_off || r->ctrr_off || r->bootargs_off)
		n.smb1 = true;       /* -s/-c/-a imply Permissive */
	clear_aux_if_no_kexts(&n);
	*next = n;
	return 0;
}
