/*
 * kext_tools.h — what cmd_kext.c (install, list, approve, the boot hooks)
 * and apple_kmutil.c (kmutil, kextstat, kextload, kextunload) share: the
 * device's kext context (merged MDM policy, user approvals, the Apple
 * silicon gate, Intel consent), alerts, and the AuxKC on the device.
 */
#ifndef MACEXT_KEXT_TOOLS_H
#define MACEXT_KEXT_TOOLS_H

#include "macext/codesign.h"
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
/* A copy of the AuxKC the device has (NULL, 0 when none; kext_auxkc_get
 * reads it); *buf malloc'd. */
int kext_auxkc_read(struct mx_cli *cli, const mx_device *d, uint8_t **buf, size_t *len,
    mx_err *err);
/* An AuxKC as the boot hooks see it (kext_auxkc.c). */
typedef struct kext_kc {
	char hash[65];                  /* its CAS content hash */
	uint8_t *kc;
	size_t len;
	mx_fileset *fs;                 /* NULL when the bytes do not parse */
	char error[256];                /* why they do not */
	uint8_t auxi[MX_LP_HASH_LEN];   /* SHA-384 of the collection */
	uint8_t auxr[MX_LP_HASH_LEN];   /* SHA-384 of its receipt (when fs) */
} kext_kc;

/* The device's AuxKC (*out NULL when it has none), read, parsed and
 * measured once per content for the process.  *out is borrowed: it stays
 * valid until two more AuxKCs have been read or stored. */
int kext_auxkc_get(struct mx_cli *cli, const mx_device *d, const kext_kc **out,
    mx_err *err);
/* Stores kc (taken, freed on failure) in the CAS as the device's AuxKC. */
int kext_auxkc_put(struct mx_cli *cli, const mx_device *d, uint8_t *kc, size_t len,
    const kext_kc **out, mx_err *err);
/* The AuxKC this process already built from the same inputs (key: a digest
 * of everything mx_fileset_write is given), made the device's AuxKC; *out
 * NULL when there is none to reuse. */
int kext_auxkc_reuse(struct mx_cli *cli, const mx_device *d, const uint8_t key[32],
    const kext_kc **out, mx_err *err);
void kext_auxkc_remember(const uint8_t key[32], const kext_kc *a);
/* The Boot KC UUID the AuxKC links against: fixed per device and macOS
 * version (an OS update brings a new boot KC). [INF] */
void kext_boot_kcid(const mx_device *d, uint8_t out[16]);
/* "System Settings" (13+) or "System Preferences". */
const char *kext_settings_name(const mx_device *d);
/* Finds a kext by bundle id or device path.  MX_ENOTFOUND. */
int kext_find(struct mx_cli *cli, const mx_device *d, const char *id_or_path, mx_kext *out,
    mx_err *err);
/* The kext record's signature kind for a verified one. */
enum mx_kext_sig kext_sig(enum mx_sigkind k);
/* `kmutil create` (kmutil_create.c): argv[0] is "create". */
int kmutil_create(struct mx_cli *cli, int argc, char **argv, mx_err *err);
/* A kernel collection file on the host (kmutil inspect -A FILE); *buf malloc'd. */
int kmutil_read_kc(const char *path, uint8_t **buf, size_t *len, mx_err *err);

#endif
