/*
 * security.c — changing and reading a Mac's boot security: Startup
 * Security Utility in recoveryOS (Full / Reduced, the two kext options;
 * Permissive only with the command-line tools), csrutil (Intel: NVRAM
 * csr-active-config; Apple silicon: the LocalPolicy's sip0 through the
 * Secure Enclave, for an owner), spctl kext-consent (Intel NVRAM), and the
 * security summary `security show`, bputil -d and MDM SecurityInfo report.
 * The rules (where, who, what each option implies) are the core's
 * (mx_boot_authorize, mx_boot_kext_gate); every change and every refusal
 * is logged.  Spec: kernel-extensions.md §2.5, §4.1-§4.6.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

#define NOT_RECOVERY "csrutil: failed to modify system integrity configuration. This tool " \
	"needs to be executed from the Recovery OS."

int
mx_op_ssu_set(mx_op *op, enum mx_secpolicy level, bool kext_user, bool kext_remote,
    const char *cred, mx_err *err)
{
	const mx_device *d = &op->d;
	if (level == MX_SEC_FULL && (kext_user || kext_remote))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "the kernel extension options belong to Reduced Security (or Permissive), not Full");
	if (d->arch != MX_ARCH_ARM64)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET,
		    "%s is an Intel Mac: the Full/Reduced/Permissive security policy belongs to Macs "
		    "with Apple silicon", d->name);
	if (level == MX_SEC_PERMISSIVE && d->policy != MX_SEC_PERMISSIVE) {
		/* §4.1: Permissive is reachable only with command-line tools;
		 * the utility shows it once the OS is already Permissive. */
		MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET,
		    "Startup Security Utility offers Full and Reduced Security; Permissive Security "
		    "is set with csrutil or bputil -n in recoveryOS");
		return mx_op_refuse(op, "ssu", "Startup Security Utility: Permissive Security", err);
	}
	mx_lp_request req = { .origin = MX_ORIGIN_SSU, .rebuild = true, .level = level,
		.kext_user = kext_user, .kext_remote = kext_remote };
	return mx_op_security_set(op, &req, cred, "Startup Security Utility", err);
}

/* A change outside recoveryOS: the refusal is logged (MX_ESTATE). */
static int
not_recovery(mx_op *op, const char *what, mx_err *err)
{
	MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s", NOT_RECOVERY);
	return mx_op_refuse(op, "csrutil", what, err);
}

static int
nvram_csr(mx_op *op, uint32_t w, const char *what, mx_err *err)
{
	char v[16];
	snprintf(v, sizeof v, "0x%x", w);
	int rc = mx_store_kv_set(op->st, op->d.id, "nvram.csr-active-config", v, err);
	if (rc)
		return rc;
	return mx_op_event(op, "csrutil", what,
	    "NVRAM csr-active-config written in recoveryOS; active at the next restart", err);
}

int
mx_op_csrutil_set(mx_op *op, const char *cmd, uint32_t bits, const char *cred, mx_err *err)
{
	char what[96];
	snprintf(what, sizeof what, "csrutil %s (0x%x)", cmd, bits);
	if (op->d.env != MX_ENV_RECOVERY)
		return not_recovery(op, what, err);
	if (op->d.arch != MX_ARCH_ARM64)
		return nvram_csr(op, bits, what, err);
	/* Apple silicon: the Secure Enclave changes sip0 for an owner */
	mx_lp_request req = { .origin = MX_ORIGIN_CSRUTIL, .set_sip = true, .sip0 = bits,
		.level = bits ? MX_SEC_PERMISSIVE : op->d.policy };
	return mx_op_security_set(op, &req, cred, "csrutil", err);
}

int
mx_op_csrutil_authroot(mx_op *op, bool disable, const char *cred, mx_err *err)
{
	char what[64];
	snprintf(what, sizeof what, "csrutil authenticated-root %s", disable ? "disable" : "enable");
	if (op->d.env != MX_ENV_RECOVERY)
		return not_recovery(op, what, err);
	if (op->d.arch != MX_ARCH_ARM64) {
		/* Intel: CSR_ALLOW_UNAUTHENTICATED_ROOT in the NVRAM word */
		char *v = NULL;
		int rc = mx_store_kv_get(op->st, op->d.id, "nvram.csr-active-config", &v, err);
		if (rc)
			return rc;
		uint32_t w = v ? (uint32_t)strtoul(v, NULL, 0) : op->d.csr;
		free(v);
		w = disable ? w | MX_CSR_ALLOW_UNAUTHENTICATED_ROOT : w & ~MX_CSR_ALLOW_UNAUTHENTICATED_ROOT;
		return nvram_csr(op, w, what, err);
	}
	mx_lp_request req = { .origin = MX_ORIGIN_CSRUTIL, .ssv_off = disable,
		.ssv_restore = !disable, .level = disable ? MX_SEC_PERMISSIVE : op->d.policy };
	return mx_op_security_set(op, &req, cred, "csrutil", err);
}

/* ---- spctl kext-consent (Intel NVRAM; stored on Apple silicon too, without effect) ---- */

int
mx_op_kext_consent_get(mx_op *op, mx_kext_consent_state *out, mx_err *err)
{
	memset(out, 0, sizeof *out);
	/* the NVRAM state as stored, whatever the architecture */
	char *v = NULL;
	int rc = mx_store_kv_get(op->st, op->d.id, "nvram.kext-consent", &v, err);
	if (rc)
		return rc;
	out->enabled = v == NULL || strcmp(v, "disabled") != 0;
	free(v);
	v = NULL;
	if ((rc = mx_store_kv_get(op->st, op->d.id, "nvram.kext-allowed-teams", &v, err)))
		return rc;
	if (v) {
		char *save = NULL;
		for (char *t = strtok_r(v, " ", &save); t && out->nteams < MX_CONSENT_MAX_TEAMS;
		    t = strtok_r(NULL, " ", &save))
			snprintf(out->teams[out->nteams++], sizeof out->teams[0], "%s", t);
		free(v);
	}
	return 0;
}

static bool
valid_team(const char *s)
{
	if (s == NULL || strlen(s) != 10)
		return false;
	for (; *s; s++)
		if (!(*s >= 'A' && *s <= 'Z') && !(*s >= '0' && *s <= '9'))
			return false;
	return true;
}

static int
store_teams(mx_op *op, const mx_kext_consent_state *c, mx_err *err)
{
	char buf[MX_CONSENT_MAX_TEAMS * 17 + 1] = "";
	for (int i = 0; i < c->nteams; i++) {
		if (i)
			strcat(buf, " ");
		strcat(buf, c->teams[i]);
	}
	return mx_store_kv_set(op->st, op->d.id, "nvram.kext-allowed-teams", buf, err);
}

int
mx_op_kext_consent_set(mx_op *op, enum mx_consent_action act, const char *team, mx_err *err)
{
	static const char *const names[] = { "enable", "disable", "add", "remove" };
	bool needs_team = act == MX_CONSENT_ADD || act == MX_CONSENT_REMOVE;
	char what[96];
	snprintf(what, sizeof what, "spctl kext-consent %s%s%s", names[act], needs_team ? " " : "",
	    needs_team ? team : "");
	if (op->d.env != MX_ENV_RECOVERY) {
		MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET, "modifications are only available in Recovery OS");
		return mx_op_refuse(op, "spctl", what, err);
	}
	if (needs_team && !valid_team(team))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "invalid Team Identifier '%s'", team);
	mx_kext_consent_state c;
	int rc = mx_op_kext_consent_get(op, &c, err);
	if (rc)
		return rc;
	if (act == MX_CONSENT_ENABLE || act == MX_CONSENT_DISABLE) {
		rc = mx_store_kv_set(op->st, op->d.id, "nvram.kext-consent",
		    act == MX_CONSENT_ENABLE ? "enabled" : "disabled", err);
	} else if (act == MX_CONSENT_ADD) {
		int i;
		for (i = 0; i < c.nteams; i++)
			if (strcmp(c.teams[i], team) == 0)
				break;
		if (i == c.nteams && c.nteams < MX_CONSENT_MAX_TEAMS)
			snprintf(c.teams[c.nteams++], sizeof c.teams[0], "%s", team);
		rc = store_teams(op, &c, err);
	} else {
		int o = 0;
		for (int i = 0; i < c.nteams; i++)
			if (strcmp(c.teams[i], team) != 0)
				memmove(c.teams[o++], c.teams[i], sizeof c.teams[0]);
		c.nteams = o;
		rc = store_teams(op, &c, err);
	}
	if (rc)
		return rc;
	return mx_op_event(op, "spctl", what, op->d.arch == MX_ARCH_ARM64 ?
	    "NVRAM written in recoveryOS (no effect on Apple silicon)" :
	    "NVRAM written in recoveryOS; takes effect at the next restart", err);
}

int
eng_consent_get(mx_op *op, bool *enabled, char **teams, int max, int *n, mx_err *err)
{
	*enabled = true;
	*n = 0;
	if (op->d.arch == MX_ARCH_ARM64)
		return 0;       /* [INF] Q5: the LocalPolicy is the mechanism on Apple silicon */
	mx_kext_consent_state c;
	int rc = mx_op_kext_consent_get(op, &c, err);
	if (rc)
		return rc;
	*enabled = c.enabled;
	for (int i = 0; i < c.nteams && *n < max; i++)
		teams[(*n)++] = mx_xstrdup(c.teams[i]);
	return 0;
}

void
eng_consent_free(char **teams, int n)
{
	for (int i = 0; i < n; i++)
		free(teams[i]);
}

/* ---- reading ---- */

int
mx_op_security_info(mx_op *op, mx_security_info *out, mx_err *err)
{
	const mx_device *d = &op->d;
	memset(out, 0, sizeof *out);
	int rc = eng_lp_load(op, &out->lp, &out->lp_valid, err);
	if (rc)
		return rc;
	out->apple_silicon = d->arch == MX_ARCH_ARM64;
	out->csr = d->csr;
	out->authenticated_root = (d->csr & MX_CSR_ALLOW_UNAUTHENTICATED_ROOT) == 0 &&
	    !(out->apple_silicon && out->lp.sip1);
	out->policy = d->policy;
	out->kext_user_management = d->kext_user_management;
	out->kext_remote_management = d->kext_remote_management;
	out->enroll = d->enroll;
	out->user_approved = d->user_approved;
	out->bootstrap_escrowed = d->bootstrap_escrowed;
	out->secure_boot_level = mx_boot_secure_boot_level(d);
	const mx_localpolicy *lp = out->apple_silicon ? &out->lp : NULL;
	mx_boot_kext_gate(d, lp, out->lp_valid, MX_APPROVER_USER, &out->gate_user);
	mx_boot_kext_gate(d, lp, out->lp_valid, MX_APPROVER_MDM, &out->gate_mdm);
	return 0;
}
