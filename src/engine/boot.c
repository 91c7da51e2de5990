/*
 * boot.c — the device's LocalPolicy as stored state: created and signed by
 * the simulated SEP at first use, re-signed at a new nonce on every change,
 * verified whenever it is read; the AuxKC measurement written after a build
 * and checked at boot; the ADE bootstrap-token downgrade; SIP taking effect
 * at boot; Intel's kext-consent NVRAM.  The SEP's expanded key pairs and
 * the records that verified are remembered by the engine (memo.c), never in
 * static memory.  Spec: kernel-extensions.md §4; docs/boot-security.md.
 *
 * kv keys (per device): boot.lp (hex of the signed record), boot.sep.seed
 * (the SEP key; never printed), boot.sep.nonce, nvram.csr-active-config
 * (Intel, the SIP word csrutil wrote), nvram.kext-consent and
 * nvram.kext-allowed-teams (spctl kext-consent).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "macext/rd.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Decodes hex into out[0..cap); returns the length or -1. */
static long
fromhex(uint8_t *out, size_t cap, const char *s)
{
	size_t n = strlen(s);
	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int a = hexval(s[2 * i]), b = hexval(s[2 * i + 1]);
		if (a < 0 || b < 0)
			return -1;
		out[i] = (uint8_t)(a << 4 | b);
	}
	return (long)(n / 2);
}

/* The SEP key of the device, generated at first use. */
static int
sep_seed(mx_op *op, uint8_t seed[32], bool create, bool *found,
    mx_err *err)
{
	char *v = NULL;
	int rc = mx_store_kv_get(op->st, op->d.id, "boot.sep.seed", &v, err);
	if (rc)
		return rc;
	*found = v != NULL;
	if (v) {
		long n = fromhex(seed, 32, v);
		free(v);
		if (n != 32)
			*found = false;
		return 0;
	}
	if (!create)
		return 0;
	eng_random32(op, seed);
	char hex[65];
	mx_hex_encode(hex, seed, 32);
	*found = true;
	return mx_store_kv_set(op->st, op->d.id, "boot.sep.seed", hex, err);
}

static int
sep_nonce(mx_op *op, uint64_t *out, mx_err *err)
{
	char *v = NULL;
	int rc = mx_store_kv_get(op->st, op->d.id, "boot.sep.nonce", &v, err);
	if (rc)
		return rc;
	*out = v ? strtoull(v, NULL, 10) : 0;
	free(v);
	return 0;
}

/* Signs lp at the next nonce and stores it; does not touch the device. */
static int
lp_put(mx_op *op, mx_localpolicy *lp, mx_err *err)
{
	uint8_t seed[32], buf[MX_LP_MAX_LEN];
	bool found;
	uint64_t nonce;
	int rc;
	if ((rc = sep_seed(op, seed, true, &found, err)) || (rc = sep_nonce(op, &nonce, err)))
		return rc;
	nonce++;
	lp->nonce = nonce;
	snprintf(lp->vuid, sizeof lp->vuid, "%s", op->d.udid);
	mx_sep_key key;
	rc = eng_sep_key(op->e, seed, &key, err);
	memset(seed, 0, sizeof seed);
	if (rc == 0)
		rc = mx_sep_sign_lp_key(&key, lp, err);
	/* a signature just made verifies: remember it */
	uint8_t dg[32];
	if (rc == 0 && mx_sep_lp_digest(key.pk, lp, dg, NULL) == 0)
		eng_sep_remember(op->e, dg);
	mx_sep_key_wipe(&key);
	if (rc)
		return rc;
	size_t n = mx_lp_encode(lp, true, buf, sizeof buf);
	if (n == 0)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "LocalPolicy does not fit");
	char *hex = mx_xmalloc(2 * n + 1), ns[24];
	mx_hex_encode(hex, buf, n);
	snprintf(ns, sizeof ns, "%llu", (unsigned long long)nonce);
	if ((rc = mx_store_kv_set(op->st, op->d.id, "boot.lp", hex, err)) == 0)
		rc = mx_store_kv_set(op->st, op->d.id, "boot.sep.nonce", ns, err);
	free(hex);
	return rc;
}

int
eng_lp_load(mx_op *op, mx_localpolicy *out, bool *valid,
    mx_err *err)
{
	memset(out, 0, sizeof *out);
	*valid = true;
	if (op->d.arch != MX_ARCH_ARM64)
		return 0;
	char *v = NULL;
	int rc = mx_store_kv_get(op->st, op->d.id, "boot.lp", &v, err);
	if (rc)
		return rc;
	if (v == NULL) {
		/* first use: the policy the Mac was set up with, signed now; a read
		 * reports it as it will be signed (at the first nonce) and writes nothing */
		mx_lp_from_device(out, &op->d);
		if (op->mode == MX_OP_READ) {
			uint64_t nonce;
			if ((rc = sep_nonce(op, &nonce, err)))
				return rc;
			out->nonce = nonce + 1;
			snprintf(out->vuid, sizeof out->vuid, "%s", op->d.udid);
			out->has_sig = true;
			return 0;
		}
		return lp_put(op, out, err);
	}
	uint8_t buf[MX_LP_MAX_LEN];
	long n = fromhex(buf, sizeof buf, v);
	free(v);
	mx_err e2;
	mx_err_clear(&e2);
	if (n < 0 || mx_lp_decode(out, buf, (size_t)n, &e2) != 0) {
		/* unreadable: nothing of it is trusted */
		mx_lp_init(out, op->d.udid);
		*valid = false;
		return 0;
	}
	uint8_t seed[32], pub[32];
	bool found;
	uint64_t nonce;
	if ((rc = sep_seed(op, seed, false, &found, err)) || (rc = sep_nonce(op, &nonce, err)))
		return rc;
	mx_sep_key key;
	uint8_t dg[32];
	if (!found || eng_sep_key(op->e, seed, &key, &e2) != 0)
		*valid = false;
	else {
		memcpy(pub, key.pk, 32);
		mx_sep_key_wipe(&key);
		/* a record that verified before (same key, bytes, signature) is not
		 * verified again; a changed byte changes the digest */
		if (mx_sep_lp_digest(pub, out, dg, &e2) != 0)
			*valid = false;
		else if (!eng_sep_verified(op->e, dg)) {
			if (mx_sep_verify_lp(pub, out, &e2) != 0)
				*valid = false;
			else
				eng_sep_remember(op->e, dg);
		}
	}
	if (out->nonce != nonce || strcmp(out->vuid, op->d.udid) != 0)
		*valid = false;
	memset(seed, 0, sizeof seed);
	return 0;
}

int
eng_lp_store(mx_op *op, mx_localpolicy *lp, mx_err *err)
{
	if (op->d.arch != MX_ARCH_ARM64)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "an Intel Mac has no LocalPolicy");
	int rc = lp_put(op, lp, err);
	if (rc)
		return rc;
	mx_lp_to_device(lp, &op->d);
	return eng_save(op, err);
}

int
eng_kext_gate(mx_op *op, enum mx_kext_approver who,
    mx_boot_gate *out, mx_err *err)
{
	mx_localpolicy lp;
	bool valid;
	int rc = eng_lp_load(op, &lp, &valid, err);
	if (rc)
		return rc;
	mx_boot_kext_gate(&op->d, op->d.arch == MX_ARCH_ARM64 ? &lp : NULL, valid, who, out);
	return 0;
}

static bool
kexts_enabled(const mx_localpolicy *lp)
{
	return lp->smb0 && (lp->smb2 || lp->smb3 || lp->smb4);
}

/* ADE with an escrowed bootstrap token: lowers lp (in memory) to Reduced +
 * smb4 (DEP-allowed MDM control) when MDM-approved kexts need it, and logs
 * it; the caller signs once for this and the AuxKC measurement. */
static int
mdm_enable_kexts(mx_op *op, mx_localpolicy *lp, mx_err *err)
{
	mx_boot_gate g;
	mx_boot_kext_gate(&op->d, lp, true, MX_APPROVER_MDM, &g);
	if (g.allowed)
		return 0;
	mx_localpolicy next;
	mx_lp_request req = { .origin = MX_ORIGIN_MDM_BOOTSTRAP, .level = MX_SEC_REDUCED };
	int rc = mx_boot_authorize(&op->d, lp, &req, NULL, &next, err);
	if (rc)
		return rc;
	*lp = next;
	return mx_op_event(op, "mdm",
	    "security policy: Reduced Security, DEP-allowed MDM control of kernel extensions (smb4)",
	    "Automated Device Enrollment: the escrowed bootstrap token authorised the change", err);
}

int
eng_record_auxkc(mx_op *op, const uint8_t *auxi, const uint8_t *auxr,
    const char *const *uakl, size_t n, bool mdm_enable, mx_err *err)
{
	if (op->d.arch != MX_ARCH_ARM64)
		return 0;
	mx_localpolicy lp;
	bool valid;
	int rc = eng_lp_load(op, &lp, &valid, err);
	if (rc)
		return rc;
	if (mdm_enable && !valid)
		return MX_FAIL(err, MX_ESIGNATURE, MX_NO_OFFSET,
		    "the LocalPolicy failed verification by the Secure Enclave");
	if (mdm_enable && (rc = mdm_enable_kexts(op, &lp, err)))
		return rc;
	if (!valid)
		/* The SEP does not sign onto a record that fails verification;
		 * the build goes on (the restart must not fail) and the kexts
		 * of this AuxKC will not boot. */
		return mx_op_event(op, "secure-enclave", "AuxKC measurement not recorded",
		    "the LocalPolicy failed verification; set the security policy again in "
		    "recoveryOS (power button)", err);
	if (auxi == NULL) {
		if (!lp.has_auxi && !lp.has_auxr && !lp.has_auxp)
			return 0;
		lp.has_auxp = lp.has_auxi = lp.has_auxr = false;
	} else {
		if (!kexts_enabled(&lp))
			return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET,
			    "the security policy (%s Security) does not allow third-party kernel "
			    "extensions; the AuxKC measurement was not recorded",
			    lp.smb0 ? (lp.smb1 ? "Permissive" : "Reduced") : "Full");
		memcpy(lp.auxi, auxi, sizeof lp.auxi);
		memcpy(lp.auxr, auxr, sizeof lp.auxr);
		mx_boot_uakl_hash(uakl, uakl ? n : 0, lp.auxp);
		lp.has_auxp = lp.has_auxi = lp.has_auxr = true;
	}
	if ((rc = eng_lp_store(op, &lp, err)))
		return rc;
	char why[160];
	snprintf(why, sizeof why, "%s", auxi ? "AuxKC built: auxi, auxr and auxp signed into the LocalPolicy"
	    : "AuxKC removed: auxi, auxr and auxp cleared");
	return mx_op_event(op, "secure-enclave", "LocalPolicy updated", why, err);
}

int
eng_verify_auxkc(mx_op *op, const uint8_t *auxi,
    const uint8_t *auxr, const char *const *uakl, size_t n, bool *ok, char *reason,
    size_t reasonlen, mx_err *err)
{
	*ok = true;
	if (reasonlen)
		reason[0] = '\0';
	if (op->d.arch != MX_ARCH_ARM64)
		return 0;
	mx_localpolicy lp;
	bool valid;
	int rc = eng_lp_load(op, &lp, &valid, err);
	if (rc)
		return rc;
	const char *why = NULL;
	uint8_t h[MX_LP_HASH_LEN];
	if (!valid)
		why = "LocalPolicy signature is invalid";
	else if (!kexts_enabled(&lp))
		why = "third-party kernel extensions are disabled by the security policy";
	else if (!lp.has_auxi || !lp.has_auxr || !lp.has_auxp)
		why = "the LocalPolicy has no AuxKC measurement";
	if (why == NULL && (auxi == NULL || memcmp(auxi, lp.auxi, sizeof lp.auxi) != 0))
		why = "AuxKC measurement does not match the LocalPolicy (auxi)";
	if (why == NULL && (auxr == NULL || memcmp(auxr, lp.auxr, sizeof lp.auxr) != 0))
		why = "kext receipt does not match the LocalPolicy (auxr)";
	if (why == NULL) {
		mx_boot_uakl_hash(uakl, uakl ? n : 0, h);
		if (memcmp(h, lp.auxp, sizeof h) != 0)
			why = "user-authorized kext list does not match the LocalPolicy (auxp)";
	}
	if (why) {
		*ok = false;
		if (reasonlen)
			snprintf(reason, reasonlen, "%s", why);
	}
	return 0;
}


int
eng_boot_after_boot(mx_op *op, mx_err *err)
{
	int rc;
	uint32_t before = op->d.csr;
	if (op->d.arch != MX_ARCH_ARM64) {
		char *v = NULL;
		if ((rc = mx_store_kv_get(op->st, op->d.id, "nvram.csr-active-config", &v, err)))
			return rc;
		if (v) {
			op->d.csr = (uint32_t)strtoul(v, NULL, 0);
			free(v);
		}
	} else {
		mx_localpolicy lp;
		bool valid;
		if ((rc = eng_lp_load(op, &lp, &valid, err)))
			return rc;
		if (!valid)
			return mx_op_event(op, "iboot", "LocalPolicy failed verification",
			    "the Secure Enclave signature or nonce does not match; third-party kernel "
			    "extensions will not be loaded", err);
		/* the kernel's csr config comes from the LocalPolicy's sip0 (§4.6) */
		op->d.csr = lp.has_sip0 ? lp.sip0 : 0;
		mx_lp_to_device(&lp, &op->d);
	}
	if ((rc = eng_save(op, err)))
		return rc;
	if (op->d.csr != before) {
		char what[96];
		snprintf(what, sizeof what, "SIP configuration 0x%x is active", op->d.csr);
		return mx_op_event(op, "boot", what, "set in recoveryOS before this restart", err);
	}
	return 0;
}

static const char *
level_title(enum mx_secpolicy p)
{
	return p == MX_SEC_FULL ? "Full Security" : p == MX_SEC_REDUCED ? "Reduced Security"
	    : "Permissive Security";
}

void
mx_security_policy_summary(char *buf, size_t len, const mx_localpolicy *lp)
{
	char sip[48] = "";
	if (lp->has_sip0)
		snprintf(sip, sizeof sip, ", SIP configuration 0x%x (sip0)", lp->sip0);
	snprintf(buf, len, "%s%s%s%s%s", level_title(mx_lp_level(lp)),
	    lp->smb2 ? ", \"Allow user management of kernel extensions from identified developers\"" : "",
	    lp->smb3 ? ", \"Allow remote management of kernel extensions and automatic software updates\"" : "",
	    lp->smb4 ? ", DEP-allowed MDM control" : "", sip);
}

static const char *
where_name(const mx_device *d)
{
	if (d->env != MX_ENV_RECOVERY)
		return "macOS";
	return d->recovery_entry == MX_RECOVERY_POWER_BUTTON
	    ? "recoveryOS (power button)" : "recoveryOS (software-launched)";
}

/* Applies a request: authorise, sign, store, log.  On refusal: event only. */
int
mx_op_security_set(mx_op *op, const mx_lp_request *req0, const char *cred, const char *tool,
    mx_err *err)
{
	mx_lp_request r = *req0;
	const mx_lp_request *req = &r;
	if (r.pw_memo == NULL)
		r.pw_memo = eng_pw_memo(op->e);
	mx_localpolicy cur, next;
	bool valid;
	char user[64], what[400], why[200];
	int rc = eng_lp_load(op, &cur, &valid, err);
	if (rc)
		return rc;
	if (!valid) {
		/* a policy that fails verification is replaced from scratch */
		mx_lp_init(&cur, op->d.udid);
	}
	eng_cred_user(cred, user, sizeof user);
	rc = mx_boot_authorize(&op->d, &cur, req, cred, &next, err);
	if (rc) {
		snprintf(what, sizeof what, "%s: security policy change to %s", tool,
		    level_title(req->level));
		return mx_op_refuse(op, user, what, err);
	}
	if ((rc = eng_lp_store(op, &next, err)))
		return rc;
	mx_security_policy_summary(what, sizeof what - 32, &next);
	char w2[480];
	snprintf(w2, sizeof w2, "security policy: %s", what);
	snprintf(why, sizeof why, "%s in %s, authenticated as administrator %s", tool,
	    where_name(&op->d), user);
	return mx_op_event(op, user, w2, why, err);
}

