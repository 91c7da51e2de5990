/*
 * kext_tools.h — what cmd_kext.c (install, list, approve, the boot hooks)
 * and apple_kmutil.c (kmutil, kextstat, kextload, kextunload) share: the
 * device's kext context (merged MDM policy, user approvals, the Apple
 * silicon gate, Intel consent), alerts, and the AuxKC on the device.
 */
#ifndef MACEXT_KEXT_TOOLS_H
#define MACEXT_KEXT_TOOLS_H

#include "macext/fileset.h"
#include "macext/kext.h"
#include "boot_tools.h"
#include "tools.h"

#define KEXT_AUXKC_PATH "/Library/KernelCollections/AuxiliaryKernelExtensions.kc"
#define KEXT_STAGED_PREFIX "/Library/StagedExtensions"

/* Everything the core's decisions need for one device. */
typedef struct kext_env {
	mx_kext_policy policy;
	mx_kext_consent consent;
} kext_env;

int kext_env_load(struct mx_cli *cli, const mx_device *d, kext_env *e, mx_err *err);
void kext_env_free(kext_env *e);
/* The decision context for k (user approval from kext_policy, the gate for
 * the approver that would apply).  *gate (may be NULL) gets the gate. */
int kext_ctx(struct mx_cli *cli, const mx_device *d, kext_env *e, const mx_kext *k,
    mx_kext_ctx *out, mx_boot_gate *gate, mx_err *err);
/* Shows or withdraws the alert k's state asks for; sets d->restart_pending
 * when a kext waits for a restart.  Does not save d. */
int kext_alerts(struct mx_cli *cli, mx_device *d, const mx_kext *k, const mx_boot_gate *gate,
    mx_err *err);
/* Applies a state change: saves k, logs an event (actor, what), updates
 * alerts and the load history. */
int kext_save(struct mx_cli *cli, mx_device *d, const mx_kext *k, const mx_boot_gate *gate,
    const char *actor, const char *what, mx_err *err);
/* The AuxKC the device has (NULL, 0 when none); *buf malloc'd. */
int kext_auxkc_read(struct mx_cli *cli, const mx_device *d, uint8_t **buf, size_t *len,
    mx_err *err);
/* The Boot KC UUID the AuxKC links against: fixed per device and macOS
 * version (an OS update brings a new boot KC). [INF] */
void kext_boot_kcid(const mx_device *d, uint8_t out[16]);
/* "System Settings" (13+) or "System Preferences". */
const char *kext_settings_name(const mx_device *d);
/* Finds a kext by bundle id or device path.  MX_ENOTFOUND. */
int kext_find(struct mx_cli *cli, const mx_device *d, const char *id_or_path, mx_kext *out,
    mx_err *err);

#endif
