/*
 * engine_int.h — what the engine's files share: the engine and op objects,
 * the per-engine caches (memo.c), and the reactions one module runs when
 * another changes something it cares about (profiles changed, before a
 * restart, after a boot, an app deleted).  Every function here runs inside
 * the op's transaction.  Only src/engine/ includes this.
 */
#ifndef MACEXT_ENGINE_INT_H
#define MACEXT_ENGINE_INT_H

#include <limits.h>
#include <sys/stat.h>

#include "macext/codesign.h"
#include "macext/engine.h"
#include "macext/fileset.h"

#define KEXT_AUXKC_PATH "/Library/KernelCollections/AuxiliaryKernelExtensions.kc"
#define KEXT_STAGED_PREFIX "/Library/StagedExtensions"

/* ---- caches: everything an engine remembers between ops (memo.c) ---- */

/* An AuxKC as the boot reactions see it: bytes, parse, measurements. */
typedef struct eng_kc {
	char hash[65];                  /* its CAS content hash */
	uint8_t *kc;
	size_t len;
	mx_fileset *fs;                 /* NULL when the bytes do not parse */
	char error[256];                /* why they do not */
	uint8_t auxi[MX_LP_HASH_LEN];   /* SHA-384 of the collection */
	uint8_t auxr[MX_LP_HASH_LEN];   /* SHA-384 of its receipt (when fs) */
} eng_kc;

struct eng_memo;                    /* memo.c */

struct mx_engine {
	mx_store *st;
	mx_engine_env env;
	mx_op *op;                      /* the op open now, or NULL */
	struct eng_memo *memo;
};

struct mx_op {
	mx_engine *e;
	mx_store *st;
	mx_device d;                    /* the device as this transaction sees it */
	int64_t now;                    /* the one clock reading */
	enum mx_op_mode mode;
	bool open;                      /* the transaction is still ours to end */
};

struct eng_memo *eng_memo_new(void);
/* Frees everything, wiping key material and password digests first. */
void eng_memo_free(struct eng_memo *m);

/* A stored profile body (blob hash) parsed; *out is borrowed until the next
 * eng_profile_body call. */
int eng_profile_body(mx_op *op, const char *hash, plist_t *out, mx_err *err);
/* A new document (refs 1) taking p and bin. */
mx_profile_doc *eng_profile_doc_new(struct mx_profile *p, uint8_t *bin, size_t blen,
    const char *name);
const char *eng_profile_doc_name(const mx_profile_doc *doc);
void eng_profile_doc_bin(const mx_profile_doc *doc, const uint8_t **bin, size_t *len);
/* Profile reads by (bytes, name): a new reference on a hit, NULL on a miss. */
mx_profile_doc *eng_profile_doc_find(mx_engine *e, const uint8_t key[32]);
void eng_profile_doc_remember(mx_engine *e, const uint8_t key[32], mx_profile_doc *doc);
/* A kext bundle's verdict as an import keeps it: the facts, the expired
 * certificates, and the verifier's reason when the signature is not valid. */
typedef struct eng_kext_verdict {
	mx_kext facts;
	mx_expiry expired;
	char reason[512];
} eng_kext_verdict;
/* Kext bundle verdicts by "hash/arch/anchor/strict". */
bool eng_kext_verdict_find(mx_engine *e, const char *key, eng_kext_verdict *out);
void eng_kext_verdict_remember(mx_engine *e, const char *key, const eng_kext_verdict *v);
/* Signature verdicts over content-store paths (whose path names their bytes). */
bool eng_sig_find(mx_engine *e, const char *key, mx_siginfo *out);
void eng_sig_remember(mx_engine *e, const char *key, const mx_siginfo *si);
/* Remembers doc's tree as the parsed form of the stored body hash (its
 * binary form): the install's reactions do not parse it back. */
void eng_profile_body_adopt(mx_engine *e, const char *hash, mx_profile_doc *doc);
/* Forgets every remembered verdict of the bundle at path (its bytes were re-read). */
void eng_sig_forget_path(mx_engine *e, const char *path);
/* AuxKC slots (memo.c says when an entry is trusted: its file's identity). */
const eng_kc *eng_auxkc_find(mx_engine *e, const char *hash);
const eng_kc *eng_auxkc_fill(mx_engine *e, const char *hash, const char *path,
    const struct stat *id, bool racy, uint8_t *kc, size_t len);
bool eng_auxkc_build_find(mx_engine *e, const uint8_t key[32], char hash[65]);
void eng_auxkc_build_remember(mx_engine *e, const uint8_t key[32], const char *hash);
/* The SEP key pair of a seed (never leaves the engine); verified LocalPolicies. */
int eng_sep_key(mx_engine *e, const uint8_t seed[32], mx_sep_key *out, mx_err *err);
bool eng_sep_verified(mx_engine *e, const uint8_t digest[32]);
void eng_sep_remember(mx_engine *e, const uint8_t digest[32]);
/* Password checks that succeeded: (hash, SHA-256 of the password). */
struct mx_pw_memo *eng_pw_memo(mx_engine *e);

/* Test hook: called between the copy into the content store and the
 * verification of the stored copy in mx_engine_import_kext (NULL in use). */
extern void (*eng_import_hook)(const char *stored, const char *source);
/* The kext context of one device: merged MDM policy and Intel consent. */
typedef struct eng_kext_env {
	mx_kext_policy policy;
	mx_kext_consent consent;
} eng_kext_env;
int eng_kext_env_load(mx_op *op, eng_kext_env *e, mx_err *err);
void eng_kext_env_free(eng_kext_env *e);
/* The decision context for k; *gate (may be NULL) gets the gate. */
int eng_kext_ctx(mx_op *op, eng_kext_env *e, const mx_kext *k, mx_kext_ctx *out,
    mx_boot_gate *gate, mx_err *err);
/* Shows or withdraws what k's state asks for (rules.c); sets restart_pending. */
int eng_kext_alerts(mx_op *op, const mx_kext *k, const mx_boot_gate *gate, mx_err *err);
/* Saves k, logs (actor, what) when what, updates the alerts. */
int eng_kext_save(mx_op *op, const mx_kext *k, const mx_boot_gate *gate, const char *actor,
    const char *what, mx_err *err);
uint32_t eng_native_cputype(const mx_device *d);
/* The device's AuxKC (*out NULL when none), borrowed until the next AuxKC
 * call of this engine; put stores kc (taken); reuse finds an identical
 * build (key: a digest of everything mx_fileset_write is given). */
int eng_auxkc_get(mx_op *op, const eng_kc **out, mx_err *err);
int eng_auxkc_put(mx_op *op, uint8_t *kc, size_t len, const eng_kc **out, mx_err *err);
int eng_auxkc_reuse(mx_op *op, const uint8_t key[32], const eng_kc **out, mx_err *err);

/* ---- verifying stored bundles for a device (verify.c) ---- */
/* The verdict over a stored bundle (its path names its bytes) for a trust
 * anchor (a CAS hash, "" for none), with strict expiry or not, at the
 * engine's clock; remembered by the engine.  A bundle that cannot be read
 * is kind MX_SIG_INVALID with the reason. */
void eng_verify(mx_engine *e, mx_siginfo *si, const char *path, const char *anchor_hash,
    bool strict);
/* Adds si's expired certificates to x, naming bundle. */
void eng_expiry_add(mx_expiry *x, const mx_siginfo *si, const char *bundle);
/* The --check-expiration refusal: MX_ESIGNATURE (err) when strict and an
 * expired certificate left the signature (kind, reason) invalid; else 0. */
int eng_expiry_refuse(bool strict, bool invalid, int nexpired, const char *reason,
    const char *bundle, mx_err *err);

/* ---- op helpers (engine.c) ---- */
int eng_save(mx_op *op, mx_err *err);           /* saves op->d */
/* Shows an alert (replacing one of the same kind and subject) at op->now. */
int eng_alert(mx_op *op, const char *kind, const char *subject, const char *title,
    const char *text, const char *actions_json, mx_err *err);
/* Path of the device's extra trust anchor (in the CAS), or NULL. */
const char *eng_trust_anchor(mx_op *op, char *buf, size_t len);
/* Replaces every occurrence of the stored copy's path in err with origin,
 * so messages about an imported bundle name the path the caller gave. */
void eng_err_origin(mx_err *err, const char *stored, const char *origin);
/* Reads a whole file of at most cap bytes (malloc'd) — stored copies only. */
int eng_read_stored(const char *path, size_t cap, uint8_t **out, size_t *len, mx_err *err);
/* 32 fresh random bytes (the engine's source). */
void eng_random32(mx_op *op, uint8_t out[32]);
void eng_uuid(mx_op *op, char out[37]);

/* ---- profiles (profiles.c) ---- */
typedef int (*eng_payload_fn)(plist_t payload, const char *profile_id, const char *payload_uuid,
    void *arg);
/* Each payload of payload_type in the installed profiles, in install order. */
int eng_payloads_each(mx_op *op, const char *payload_type, eng_payload_fn fn, void *arg,
    mx_err *err);

/* Merges one extension-policy payload into obj (json.c): lists union,
 * booleans AND; a key or string that is not UTF-8 fails (MX_EFORMAT). */
int eng_json_merge_payload(json_t *obj, plist_t payload, const char *profile_id, mx_err *err);

/* ---- MDM queries (mdm_query.c) ---- */
/* The gate for mc, then the queries: *answered says whether mc was one
 * (its keys added to resp); a refusal or a bad request key fails with
 * cerr carrying MCMDMErrorDomain and its code. */
struct mx_mdm_command;
int eng_mdm_query(mx_op *op, const struct mx_mdm_command *mc, plist_t resp, bool *answered,
    mx_err *cerr);

/* ---- apps (apps.c) ---- */
/* The app with CFBundleIdentifier bundle_id in /Applications: devpath gets
 * "/Applications/X.app", stored the copy to read.  MX_ENOTFOUND. */
int eng_app_find(mx_op *op, const char *bundle_id, char *devpath, size_t devlen, char *stored,
    size_t storedlen, mx_err *err);

/* ---- the reactions ---- */
int eng_sysext_profiles_changed(mx_op *op, mx_err *err);
int eng_kext_profiles_changed(mx_op *op, mx_err *err);
/* The profiles changed: system extensions, then kexts. */
int eng_profiles_changed(mx_op *op, mx_err *err);
/* While macOS shuts down for a restart (the AuxKC rebuild). */
int eng_kext_before_restart(mx_op *op, bool rebuild_kc, const char *const *kext_paths,
    int npaths, mx_err *err);
int eng_sysext_after_boot(mx_op *op, mx_err *err);
int eng_kext_after_boot(mx_op *op, mx_err *err);
/* Restarts the Mac (boot.c's after-boot, then sysext and kext), logs by actor. */
int eng_restart(mx_op *op, bool rebuild_kc, const char *const *kext_paths, int npaths,
    const char *actor, mx_err *err);
/* Finder deletes an app: may refuse (MX_EDENIED). */
int eng_sysext_app_deleting(mx_op *op, const char *app_bundle_id, const char *cred,
    mx_err *err);

/* ---- boot security (boot.c) ---- */
/* The LocalPolicy, created and signed at first use in a write op (in a read
 * op: as it would be created, not stored).  *valid: signature and nonce. */
int eng_lp_load(mx_op *op, mx_localpolicy *out, bool *valid, mx_err *err);
/* Signs lp at a new nonce, stores it, copies its level into op->d, saves. */
int eng_lp_store(mx_op *op, mx_localpolicy *lp, mx_err *err);
int eng_kext_gate(mx_op *op, enum mx_kext_approver who, mx_boot_gate *out, mx_err *err);
int eng_record_auxkc(mx_op *op, const uint8_t *auxi, const uint8_t *auxr,
    const char *const *uakl, size_t n, bool mdm_enable, mx_err *err);
int eng_verify_auxkc(mx_op *op, const uint8_t *auxi, const uint8_t *auxr,
    const char *const *uakl, size_t n, bool *ok, char *reason, size_t reasonlen, mx_err *err);
int eng_boot_after_boot(mx_op *op, mx_err *err);
int eng_consent_get(mx_op *op, bool *enabled, char **teams, int max, int *n, mx_err *err);
void eng_consent_free(char **teams, int n);
/* The USER of "USER:PASSWORD" (or "unknown"), for event actors. */
const char *eng_cred_user(const char *cred, char *buf, size_t len);

#endif
