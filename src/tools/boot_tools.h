/*
 * boot_tools.h — the boot-security module's tools-level functions: the
 * device's stored, SEP-signed LocalPolicy, the kext gate with it, the AuxKC
 * measurement (auxi/auxr/auxp) written at build time and checked at boot,
 * the device's own bootstrap-token downgrade (ADE), SIP taking effect at
 * boot, and the Intel kext-consent NVRAM state.  Code: src/tools/boot_*.c.
 * Apple silicon only where it says so; on Intel the gate is always open.
 */
#ifndef MACEXT_BOOT_TOOLS_H
#define MACEXT_BOOT_TOOLS_H

#include "macext/boot.h"
#include "tools.h"

/* Loads the device's LocalPolicy, creating and signing it at first use.
 * *valid: the SEP signature and nonce verify.  Intel: *out zeroed,
 * *valid true (there is no LocalPolicy). */
int boot_lp_load(struct mx_cli *cli, const mx_device *d, mx_localpolicy *out, bool *valid,
    mx_err *err);
/* Signs lp with the device's SEP key at a new nonce, stores it, copies its
 * level and kext flags into d and saves d. */
int boot_lp_store(struct mx_cli *cli, mx_device *d, mx_localpolicy *lp, mx_err *err);
/* The kext gate of this device (mx_boot_kext_gate with its stored policy). */
int boot_kext_gate(struct mx_cli *cli, const mx_device *d, enum mx_kext_approver who,
    mx_boot_gate *out, mx_err *err);
/* Records the AuxKC measurement: auxi = SHA-384(kc), auxr = SHA-384(receipt)
 * (as the caller measured them), auxp = mx_boot_uakl_hash(uakl) — re-signed.
 * auxi NULL: clears the three.  mdm_enable (ADE with an escrowed bootstrap
 * token): first lowers the policy to Reduced + smb4 (DEP-allowed MDM control)
 * when MDM-approved kexts need it — refused (MX_EDENIED) without the token —
 * so one signature covers both changes.
 * Apple silicon only (no-op on Intel).  MX_ESTATE when the policy does not
 * allow third-party kexts.  A LocalPolicy that fails verification is not
 * signed onto: an event, and 0 (the kexts will not boot). */
int boot_record_auxkc(struct mx_cli *cli, mx_device *d, const uint8_t *auxi, const uint8_t *auxr,
    const char *const *uakl, size_t n, bool mdm_enable, mx_err *err);
/* At boot: *ok when the kexts of this AuxKC may boot (Intel: always).  On
 * Apple silicon the LocalPolicy must verify, allow kexts, and carry the same
 * three hashes as the booted AuxKC's measurements auxi and auxr (NULL: none)
 * and uakl; otherwise *ok is false and reason says why. */
int boot_verify_auxkc(struct mx_cli *cli, const mx_device *d, const uint8_t *auxi,
    const uint8_t *auxr, const char *const *uakl, size_t n, bool *ok, char *reason,
    size_t reasonlen, mx_err *err);
/* Called right after mx_device_boot(): the SIP configuration written in
 * recoveryOS (Intel NVRAM csr-active-config, Apple silicon LocalPolicy sip0)
 * becomes the active d->csr; the LocalPolicy is verified and logged. */
int boot_after_boot(struct mx_cli *cli, mx_device *d, mx_err *err);
/* spctl kext-consent state (Intel NVRAM): *enabled (default true) and up to
 * max Team IDs (each malloc'd; free with boot_consent_free).  Apple silicon:
 * enabled, empty (the LocalPolicy is the mechanism there). */
int boot_consent_get(struct mx_cli *cli, const mx_device *d, bool *enabled, char **teams,
    int max, int *n, mx_err *err);
void boot_consent_free(char **teams, int n);
/* A refused attempt (wrong password, standard user, wrong environment):
 * rolls the command back, logs the refusal as an event in its own
 * transaction and returns err->code — no trace but the event. */
int boot_refuse(struct mx_cli *cli, const mx_device *d, const char *actor, const char *what,
    mx_err *err);
/* Authorises req (mx_boot_authorize) with cred, signs and stores the new
 * LocalPolicy, logs it; a refusal is logged by boot_refuse and returned.
 * tool names the actor's tool in the event ("bputil", "csrutil", ...). */
int boot_apply_request(struct mx_cli *cli, mx_device *d, const mx_lp_request *req,
    const char *cred, const char *tool, mx_err *err);
/* "Reduced Security, \"Allow user management ...\"" */
void boot_policy_summary(char *buf, size_t len, const mx_localpolicy *lp);
/* The USER of "USER:PASSWORD" (or "unknown"), for event actors. */
const char *boot_cred_user(const char *cred, char *buf, size_t len);

#endif
