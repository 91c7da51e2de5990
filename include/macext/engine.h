/*
 * engine.h — the Mac's operations, once: what every front end (the CLI,
 * `fleet apply`, `macext serve`'s HTTP API, the MDM agent) does to a
 * simulated Mac goes through these functions (DESIGN.md "Layers").
 *
 *   mx_engine  one per thread.  It owns its mx_store connection, its caches
 *              (parsed profiles, signature verdicts, AuxKC builds, SEP keys,
 *              password checks) and the clock and randomness it was given.
 *              Never share one between threads; open one engine per thread
 *              on the same state directory instead.
 *   mx_op      one device, one transaction, one clock reading.  A write op
 *              holds the store's write lock (BEGIN IMMEDIATE, or a savepoint
 *              inside a batch); a read op is a snapshot (BEGIN DEFERRED) and
 *              never takes the write lock.
 *
 * Nothing here parses argv, prints, or opens a host path it was not handed
 * by an mx_engine_import_* call: host bundles and profiles enter through the
 * imports (copied into the content store, then parsed and verified from the
 * stored copy, outside any write transaction) and reach operations as
 * content hashes and parsed values.  An import that failed is still passed
 * to its operation: the operation reports the device's state first (not
 * running macOS, not enrolled, ...) and the import's error after, in the
 * order macOS would.
 *
 * Errors are mx_err (err.h) with a domain and sub-code where Apple defines
 * one (OSSystemExtensionErrorDomain, KMErrorDomain, MCMDMErrorDomain, ...):
 * front ends map them to an exit code, an HTTP status or an MDM ErrorChain
 * without parsing text (docs/engine.md).
 */
#ifndef MACEXT_ENGINE_H
#define MACEXT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <plist/plist.h>

#include "macext/boot.h"
#include "macext/codesign.h"
#include "macext/core.h"
#include "macext/devstate.h"
#include "macext/err.h"
#include "macext/kext.h"
#include "macext/mdm.h"
#include "macext/pkg.h"
#include "macext/profile.h"
#include "macext/store.h"
#include "macext/sysext.h"

typedef struct mx_engine mx_engine;
typedef struct mx_op mx_op;

/* ==== the engine ==== */

/* What the engine never reaches for.  Every member may be NULL: now then is
 * time(2), random getrandom(2), trace nothing. */
typedef struct mx_engine_env {
	int64_t (*now)(void *arg);                          /* unix seconds */
	void (*random)(void *arg, uint8_t *buf, size_t n);  /* n fresh bytes */
	void (*trace)(void *arg, const char *line);         /* optional debug lines */
	void *arg;
} mx_engine_env;

/* Opens (creating and migrating when needed) the state in dir.  env is
 * copied (NULL: the defaults).  On success *out is the caller's
 * (mx_engine_close, which accepts NULL); it must stay on one thread. */
int mx_engine_open(mx_engine **out, const char *dir, const mx_engine_env *env, mx_err *err);
/* mx_engine_open with flags: MX_ENGINE_READONLY for a front end that only
 * reads (the store connection is read-only, so reads work on a read-only or
 * full state directory; a write op then fails naming the read-only state). */
#define MX_ENGINE_READONLY 0x1u
int mx_engine_open_flags(mx_engine **out, const char *dir, const mx_engine_env *env,
    unsigned flags, mx_err *err);
/* Rolls back whatever is open, wipes the caches (key material included),
 * closes the store and frees e. */
void mx_engine_close(mx_engine *e);
/* The engine's store connection, borrowed for as long as e lives: for the
 * whole-state work that is not a device operation (store check, digest,
 * fleet counts).  Never begin a transaction on it while an op is open. */
mx_store *mx_engine_store(mx_engine *e);
const char *mx_engine_dir(const mx_engine *e);
/* n fresh random bytes from the engine's source (the env's, or getrandom). */
void mx_engine_random(mx_engine *e, uint8_t *buf, size_t n);
/* A random (version 4) UUID, uppercase, from mx_engine_random. */
void mx_engine_uuid(mx_engine *e, char out[37]);
/* The engine's clock (the env's now, else time(2)); ops read it once at begin. */
int64_t mx_engine_now(mx_engine *e);

/* Batches (fleet runs): one write transaction around many ops; each op is a
 * savepoint inside it, so each stays atomic while the batch pays for one
 * durable commit.  Commit rolls back on failure. */
int mx_engine_batch_begin(mx_engine *e, mx_err *err);
int mx_engine_batch_commit(mx_engine *e, mx_err *err);
void mx_engine_batch_rollback(mx_engine *e);

/* ==== imports: host input, read once, before any transaction ==== */

/* Copies the directory or file at host_path into the content store (one
 * read of the source; the stored copy is named by the hash of exactly the
 * bytes copied) and returns its hash.  The path is opened only here. */
int mx_engine_import_bundle(mx_engine *e, const char *host_path, char out_hash[65],
    mx_err *err);

/* A PEM certificate (a device's extra trust anchor): read once (at most
 * 1 MiB), checked to be PEM, stored; its content hash in out_hash. */
int mx_engine_import_anchor(mx_engine *e, const char *host_path, char out_hash[65],
    mx_err *err);
/* Where the stored copy of d's extra trust anchor is (in buf), or NULL when
 * it has none: for host-side tools that verify with the device's anchor. */
const char *mx_engine_anchor_path(mx_engine *e, const mx_device *d, char *buf, size_t len);

/* How bundles are verified for a device.  By default as macOS does
 * (kSecCSConsiderExpiration off): a certificate of the chain past its
 * notAfter is reported (mx_expiry), not grounds for rejection.
 * check_expiration is `codesign --verify --check-expiration`'s strict
 * expiry: a bundle whose chain has an expired certificate is refused
 * (MX_ESIGNATURE, naming the certificate and the date).  Verdicts are
 * remembered per (bundle, trust anchor, check_expiration). */
typedef struct mx_verify_opts {
	bool check_expiration;
} mx_verify_opts;

/* The expired certificates found when bundles were verified for a device. */
#define MX_EXPIRY_MAX 8
typedef struct mx_expiry {
	int n;
	struct mx_expired_in {
		char bundle[256];            /* "Acme.kext", "Acme.app", "com.acme.ext.systemextension" */
		mx_sig_expired cert;
	} e[MX_EXPIRY_MAX];
} mx_expiry;
/* One line for entry i: 'certificate "CN" of Acme.kext's signature expired
 * on 2026-10-24T17:39:41Z (before now)'. */
void mx_expiry_line(const mx_expiry *x, int i, char *buf, size_t len);

/* A kext bundle imported for one device: copied into the store and read and
 * verified from the stored copy (never the source again), for the device's
 * architecture and trust anchor.  rc/err hold a failed import, reported by
 * mx_op_kext_install after the device's own checks. */
typedef struct mx_kext_import {
	int rc;                      /* 0, or why the import failed (err) */
	mx_err err;
	char hash[65];               /* the stored copy's content hash */
	char name[256];              /* the bundle's directory name ("Acme.kext") */
	enum mx_arch arch;           /* what it was verified for */
	char trust_anchor[65];
	mx_kext facts;               /* identity, signature verdict, native slice (state unset) */
	bool check_expiration;       /* verified with strict expiry (mx_verify_opts) */
	mx_expiry expired;           /* expired certificates of its chain (reported) */
	char sig_reason[512];        /* the verifier's reason when the signature is not valid */
} mx_kext_import;
/* Imports host_path for device (NULL: the only one), reading that device in
 * a read transaction.  Always fills *out (out->rc says whether it worked);
 * returns out->rc.  The verdict is remembered per (hash, arch, anchor). */
int mx_engine_import_kext(mx_engine *e, const char *host_path, const char *device,
    mx_kext_import *out);
/* The same with verification options (NULL: the default). */
int mx_engine_import_kext_opts(mx_engine *e, const char *host_path, const char *device,
    const mx_verify_opts *vo, mx_kext_import *out);
/* mx_engine_import_kext in two halves, for a front end that installs one
 * bundle on many Macs (fleet apply): _copy copies host_path into the store
 * once (out->name, out->hash; out->rc/err for a failed copy; arch and
 * anchor unset); _verify fills *out (may be copied itself) from a copy for
 * a Mac of arch with trust_anchor (a content hash, "" for none), verifying
 * the stored copy (remembered per (hash, arch, anchor)); a failed copy is
 * passed on as it is.  host_path names the bundle in messages; vo as for
 * _opts (NULL: the default).  Both return out->rc. */
int mx_engine_import_kext_copy(mx_engine *e, const char *host_path, mx_kext_import *out);
int mx_engine_import_kext_verify(mx_engine *e, const mx_kext_import *copied, const char *host_path,
    enum mx_arch arch, const char *trust_anchor, const mx_verify_opts *vo, mx_kext_import *out);

/* An app bundle imported for `app install`: copied, then read from the copy. */
typedef struct mx_app_import {
	int rc;
	mx_err err;
	char hash[65];
	char name[256];              /* "Acme.app" */
	char origin[1024];           /* the host path as given, for messages only */
	char bundle_id[256];
	int system_extensions;       /* embedded in Contents/Library/SystemExtensions */
	bool verified;               /* signatures verified for a device (_opts) */
	bool check_expiration;
	mx_expiry expired;           /* expired certificates of the app's and its extensions' chains */
	char invalid[768];           /* "BUNDLE: reason" of the first invalid signature among
	                              * them, or "" (reported; judged at activation) */
} mx_app_import;
/* Always fills *out; returns out->rc.  Needs no device and verifies nothing. */
int mx_engine_import_app(mx_engine *e, const char *host_path, mx_app_import *out);
/* The same, and the app's and its embedded system extensions' signatures
 * verified for device (NULL: the only one) with its trust anchor: their
 * expiry reported, or with vo->check_expiration refused (MX_ESIGNATURE).
 * Other signature problems are left to where macOS judges them (the
 * activation request). */
int mx_engine_import_app_opts(mx_engine *e, const char *host_path, const char *device,
    const mx_verify_opts *vo, mx_app_import *out);

/* A configuration profile read once: parsed (XML, binary or CMS-signed, the
 * signature verified), its envelope checked and its stored (binary) form
 * made.  Reference-counted within one engine; never cross threads. */
typedef struct mx_profile_doc mx_profile_doc;
/* Reads buf[0..len) (name prefixes messages).  On success *out is the
 * caller's (mx_profile_doc_release).  Remembered per (bytes, name). */
int mx_engine_profile_read(mx_engine *e, const uint8_t *buf, size_t len, const char *name,
    mx_profile_doc **out, mx_err *err);
void mx_profile_doc_release(mx_profile_doc *doc);
/* Borrowed views while doc lives. */
const char *mx_profile_doc_identifier(const mx_profile_doc *doc);
const struct mx_profile *mx_profile_doc_profile(const mx_profile_doc *doc);

/* A profile import as operations take it: doc, or the reason there is none. */
typedef struct mx_profile_import {
	int rc;
	mx_err err;
	mx_profile_doc *doc;         /* owned: mx_profile_import_free */
} mx_profile_import;
/* Fills *out from buf (mx_engine_profile_read); returns out->rc. */
int mx_engine_import_profile(mx_engine *e, const uint8_t *buf, size_t len, const char *name,
    mx_profile_import *out);
void mx_profile_import_free(mx_profile_import *p);

/* An MDM command read and prepared: its envelope parsed and type-checked
 * (mx_mdm_command_parse) and, for InstallProfile, its Payload read and
 * CMS-checked, all before the command's transaction. */
typedef struct mx_mdm_request {
	mx_mdm_command cmd;          /* owned */
	mx_profile_import profile;   /* InstallProfile only (doc NULL otherwise) */
} mx_mdm_request;
/* Parses buf (name prefixes messages).  Fails only when the bytes are not
 * an MDM command at all (no CommandUUID / RequestType: there is no one to
 * answer); a command with bad keys parses and is answered with an Error.
 * On success *out is the caller's (mx_mdm_request_free). */
int mx_engine_mdm_request(mx_engine *e, const uint8_t *buf, size_t len, const char *name,
    mx_mdm_request *out, mx_err *err);
void mx_mdm_request_free(mx_mdm_request *r);

/* A system extension activation request prepared for one device: the app
 * found (in the device's /Applications by bundle id, or an app imported from
 * elsewhere), the extension found inside it, both signatures verified from
 * stored copies.  Opaque; mx_sx_request_free. */
typedef struct mx_sx_request mx_sx_request;
typedef struct mx_sx_app_ref {
	const char *bundle_id;       /* an app in /Applications: its CFBundleIdentifier */
	const char *hash;            /* or an imported app (mx_engine_import_bundle) ... */
	const char *path;            /* ... and where it is on the Mac (the request's bundlePath) */
	const mx_err *import_err;    /* or why the app could not be imported (reported in order) */
} mx_sx_app_ref;
/* Prepares in a read transaction; always fills *out (errors travel inside
 * and are reported by mx_op_sysext_activate in sysextd's order). */
int mx_engine_sysext_prepare(mx_engine *e, const char *device, const mx_sx_app_ref *app,
    const char *ext_id, mx_sx_request **out, mx_err *err);
/* The same with verification options (NULL: the default): with
 * check_expiration an expired certificate makes that signature invalid, so
 * the activation is refused as for any invalid signature, with the reason. */
int mx_engine_sysext_prepare_opts(mx_engine *e, const char *device, const mx_sx_app_ref *app,
    const char *ext_id, const mx_verify_opts *vo, mx_sx_request **out, mx_err *err);
/* The expired certificates of the prepared app's and extension's chains. */
const mx_expiry *mx_sx_request_expiry(const mx_sx_request *r);
void mx_sx_request_free(mx_sx_request *r);

/* ==== installer packages (engine/pkg.c) ====
 * `pkg install` is one operation: the package is read and checked by the
 * front end (src/formats/pkg*.c), its payload roots imported for the device
 * (mx_engine_import_pkg: every bundle copied and verified) before the
 * transaction, then mx_op_pkg_install places every root in one transaction:
 * all or nothing. */
typedef struct mx_pkg_root_src {
	enum mx_pkg_place kind;      /* macext/pkg.h: app, kext, tree, file */
	const char *host_path;       /* the root as extracted (the front end's own copy) */
	const char *device_path;     /* where Installer puts it */
} mx_pkg_root_src;
typedef struct mx_pkg_root_import {
	enum mx_pkg_place kind;
	char device_path[1024];
	char hash[65];               /* tree and file roots: the stored copy */
	mx_app_import app;           /* app roots */
	mx_kext_import kext;         /* kext roots */
} mx_pkg_root_import;
typedef struct mx_pkg_import {
	int rc;                      /* 0, or the first root that could not be imported (err) */
	mx_err err;
	char name[256];              /* the package, for the log ("Acme.pkg") */
	size_t n;
	mx_pkg_root_import *roots;   /* owned: mx_pkg_import_free */
	mx_expiry expired;           /* over every bundle of the package */
} mx_pkg_import;
/* Imports every root for device (NULL: the only one) with vo (NULL: the
 * default): apps and kexts as `app install` / `kext install` import them
 * (verified from the stored copies), other roots stored as they are.  A
 * bundle whose signature is invalid (broken, or expired under
 * check_expiration) fails the import, naming the root: nothing of the
 * package is placed.  Always fills *out (its own allocation even when it
 * fails); returns out->rc. */
int mx_engine_import_pkg(mx_engine *e, const char *name, const char *device,
    const mx_verify_opts *vo, const mx_pkg_root_src *roots, size_t n, mx_pkg_import *out);
void mx_pkg_import_free(mx_pkg_import *p);
/* Installer placing an imported package (p->rc: that error, after the
 * device's own checks): plain files and trees first, then kexts
 * (/Library/Extensions: they await approval as usual), then apps (they
 * activate what they embed as usual); one transaction, so a failure at any
 * root leaves nothing placed once the caller aborts.  Logs the package. */
int mx_op_pkg_install(mx_op *op, const mx_pkg_import *p, mx_err *err);

/* ==== devices ==== */

typedef struct mx_user_spec {
	const char *name;
	const char *password;        /* hashed with a fresh salt ... */
	const char *pwhash;          /* ... or this hash as is (fleet create hashes once) */
	bool admin;
} mx_user_spec;

typedef struct mx_device_spec {
	const char *name;            /* letters, digits, '-', '_', '.'; at most 63 */
	enum mx_arch arch;
	mx_version os;
	bool sip_off;                /* CSR 0x7F (Permissive Security on Apple silicon) */
	const char *serial;          /* NULL: random */
	const char *trust_anchor;    /* content hash of an imported PEM certificate, or NULL */
	const uint8_t *random;       /* 32 bytes for serial and UDID, or NULL: drawn */
	int nusers;                  /* 0: one administrator admin:admin */
	const mx_user_spec *users;
	const char *why;             /* the creation event's reason (NULL: "device create") */
} mx_device_spec;
/* The checks mx_engine_device_create makes of spec before it creates anything. */
int mx_engine_device_spec_check(const mx_device_spec *spec, mx_err *err);

/* Creates and logs a device in its own write transaction (or savepoint of
 * a batch).  out (may be NULL) gets the stored record.  A random serial that
 * collides with another device's is drawn again; a name that exists fails
 * with MX_EEXIST. */
int mx_engine_device_create(mx_engine *e, const mx_device_spec *spec, mx_device *out,
    mx_err *err);
/* Deletes device name with everything it holds; out (may be NULL) gets it. */
int mx_engine_device_delete(mx_engine *e, const char *name, mx_device *out, mx_err *err);
/* Each device in name order, in one read transaction; fn's non-zero return
 * stops and is returned.  The device is borrowed for the call. */
int mx_engine_device_each(mx_engine *e, int (*fn)(const mx_device *, void *), void *arg,
    mx_err *err);
/* The device name (NULL: the only one), read in its own read transaction. */
int mx_engine_device_get(mx_engine *e, const char *name, mx_device *out, mx_err *err);

/* ==== the operation bracket ==== */

enum mx_op_mode { MX_OP_READ, MX_OP_WRITE };

/* Begins a transaction of mode on device (NULL: the only one) and loads it;
 * reads the engine's clock once (mx_op_now).  On success *out is the
 * caller's until mx_op_commit or mx_op_abort (exactly one of them). */
int mx_op_begin(mx_op **out, mx_engine *e, const char *device, enum mx_op_mode mode,
    mx_err *err);
/* Commits and frees op, whatever the outcome.  An op whose transaction an
 * operation already ended (a refusal, a dialog shown) just frees. */
int mx_op_commit(mx_op *op, mx_err *err);
/* Rolls back (if still open) and frees op; NULL is fine. */
void mx_op_abort(mx_op *op);
/* Ends op by the outcome of its operation: commits it when rc is 0 (and
 * returns the commit's result), else aborts it and returns rc. */
int mx_op_end(mx_op *op, int rc, mx_err *err);
/* The device as the transaction sees it, borrowed until commit/abort. */
const mx_device *mx_op_device(const mx_op *op);
int64_t mx_op_now(const mx_op *op);
mx_engine *mx_op_engine(const mx_op *op);
/* True once an operation ended the transaction itself (mx_op_refuse, or a
 * request that committed a dialog before failing); commit then only frees. */
bool mx_op_finished(const mx_op *op);

/* A refused attempt (wrong password, standard user, wrong environment):
 * rolls back everything the op did, logs "refused: <why->msg>" by actor in
 * a transaction of its own, and returns why->code (MX_EDENIED if 0), so a
 * refusal leaves no trace but its event.  The op is then finished. */
int mx_op_refuse(mx_op *op, const char *actor, const char *what, const mx_err *why);
/* Checks "USER:PASSWORD" against the device's users (an administrator when
 * need_admin); on failure refuses (mx_op_refuse by "user", what) and
 * returns the code.  *out (may be NULL) points at the user, borrowed. */
int mx_op_auth(mx_op *op, const char *cred, bool need_admin, const char *what,
    const mx_user **out, mx_err *err);
/* Appends an event (actor, what, why) to the device's log at mx_op_now. */
int mx_op_event(mx_op *op, const char *actor, const char *what, const char *why, mx_err *err);

/* ==== power: restart, shutdown, recovery (engine/power.c) ==== */

/* The Apple menu's Restart: cred (may be NULL) names who clicked (any user,
 * checked); from macOS the AuxKC is rebuilt while macOS shuts down, then the
 * Mac boots (new boot session; uninstalls on reboot; the AuxKC loads). */
int mx_op_restart(mx_op *op, const char *cred, mx_err *err);
int mx_op_shutdown(mx_op *op, mx_err *err);
/* Restarts into recoveryOS, remembering how it was entered. */
int mx_op_recovery(mx_op *op, enum mx_recovery_entry via, mx_err *err);

/* ==== boot security: SSU, bputil, csrutil, spctl (engine/security.c) ==== */

/* Startup Security Utility in recoveryOS: Full or Reduced (Permissive only
 * when already Permissive), the two kext options; an administrator (cred). */
int mx_op_ssu_set(mx_op *op, enum mx_secpolicy level, bool kext_user, bool kext_remote,
    const char *cred, mx_err *err);
/* Any LocalPolicy change (bputil's): authorise req with cred, sign at a new
 * nonce, store, log by tool ("bputil", ...).  A refusal is logged. */
int mx_op_security_set(mx_op *op, const mx_lp_request *req, const char *cred, const char *tool,
    mx_err *err);
/* csrutil enable/disable/clear in recoveryOS: Intel writes NVRAM
 * csr-active-config; Apple silicon asks the SEP for sip0 (cred, an owner).
 * cmd is "enable", "disable" or "clear" (for the log).  Outside recoveryOS:
 * refused and logged (MX_ESTATE). */
int mx_op_csrutil_set(mx_op *op, const char *cmd, uint32_t csr, const char *cred, mx_err *err);
/* csrutil authenticated-root enable|disable (recoveryOS). */
int mx_op_csrutil_authroot(mx_op *op, bool disable, const char *cred, mx_err *err);
/* spctl kext-consent enable|disable|add TEAM|remove TEAM (recoveryOS; NVRAM). */
enum mx_consent_action { MX_CONSENT_ENABLE, MX_CONSENT_DISABLE, MX_CONSENT_ADD,
	MX_CONSENT_REMOVE };
int mx_op_kext_consent_set(mx_op *op, enum mx_consent_action act, const char *team,
    mx_err *err);
/* The NVRAM kext-consent state as stored (any architecture). */
#define MX_CONSENT_MAX_TEAMS 64
typedef struct mx_kext_consent_state {
	bool enabled;
	int nteams;
	char teams[MX_CONSENT_MAX_TEAMS][16];
} mx_kext_consent_state;
int mx_op_kext_consent_get(mx_op *op, mx_kext_consent_state *out, mx_err *err);

/* SecurityInfo and more: what `security show`, bputil -d, csrutil status and
 * the MDM SecurityInfo query report.  Works in a read op (a LocalPolicy not
 * created yet is reported as it would be created, without writing). */
typedef struct mx_security_info {
	bool apple_silicon;
	uint32_t csr;                /* active SIP configuration (0: enabled) */
	bool authenticated_root;     /* false when CSR_ALLOW_UNAUTHENTICATED_ROOT or sip1 */
	enum mx_secpolicy policy;
	bool kext_user_management, kext_remote_management;
	mx_localpolicy lp;           /* Apple silicon */
	bool lp_valid;
	mx_boot_gate gate_user, gate_mdm;   /* may third-party kexts load, by approver */
	enum mx_enroll enroll;
	bool user_approved;
	bool bootstrap_escrowed;
	const char *secure_boot_level;   /* "full", "medium", "off" (static) */
} mx_security_info;
int mx_op_security_info(mx_op *op, mx_security_info *out, mx_err *err);
/* "Reduced Security, \"Allow user management ...\"" for lp. */
void mx_security_policy_summary(char *buf, size_t len, const mx_localpolicy *lp);

/* ==== MDM (engine/mdm.c) ==== */

enum mx_via { MX_VIA_MANUAL, MX_VIA_MDM };

/* Can the MDM client answer: macOS running (MX_ESTATE otherwise) and enrolled? */
int mx_op_mdm_ready(mx_op *op, mx_err *err);

int mx_op_enroll(mx_op *op, enum mx_enroll method, bool user_approved, bool in_abm,
    mx_err *err);
/* Removes every MDM-installed profile (with the extension reactions), then unenrolls. */
int mx_op_unenroll(mx_op *op, mx_err *err);
/* SetBootstrapToken: supervised Macs only, never User Enrollment. */
int mx_op_escrow_bootstrap_token(mx_op *op, mx_err *err);
/* RestartDevice: NotifyUser (11.3+) shows the notice instead of restarting;
 * RebuildKernelCache and KextPaths go to the AuxKC build.  *restarted (may
 * be NULL) tells which happened. */
typedef struct mx_mdm_restart {
	bool notify_user, rebuild_kernel_cache;
	int nkext_paths;
	const char *const *kext_paths;
} mx_mdm_restart;
int mx_op_mdm_restart(mx_op *op, const mx_mdm_restart *req, bool *restarted, mx_err *err);
/* Runs a prepared command and fills *response (the caller's, plist_free):
 * Acknowledged with the query's keys, or Error with an ErrorChain (domain
 * and code from the failure's mx_err; docs/engine.md).  A command that
 * fails is not an engine failure: its effects are rolled back, its failure
 * is logged in a transaction of its own and the op is finished; the return
 * is non-zero only when the store itself failed. */
int mx_op_mdm_command(mx_op *op, const mx_mdm_request *req, plist_t *response, mx_err *err);
/* The whole of a raw MDM command sent to device (NULL: the only one): parses
 * buf (mx_engine_mdm_request; name prefixes messages), runs it in a write op
 * (mx_op_mdm_command) and gives its response as XML in *xml (the caller's,
 * free) of *xml_len bytes — what `mdm command` prints and POST .../mdm
 * answers. */
int mx_engine_mdm_command(mx_engine *e, const char *device, const uint8_t *buf, size_t len,
    const char *name, char **xml, uint32_t *xml_len, mx_err *err);
/* The ErrorChain entry {ErrorCode, ErrorDomain, LocalizedDescription,
 * USEnglishDescription} an MDM client sends for err (caller's, plist_free). */
plist_t mx_mdm_error_chain(const mx_err *err);

/* ==== profiles (engine/profiles.c) ==== */

/* Would an install via be accepted before looking at the profile (macOS
 * running; enrolled for MDM)?  mx_op_profile_install checks this first. */
int mx_op_profile_installable(mx_op *op, enum mx_via via, mx_err *err);
/* Installs p (p->rc non-zero: that error, after the device checks) with
 * macOS's delivery rules, replacing a profile of the same identifier, then
 * runs the system-extension and kext reactions.  out (may be NULL) gets the
 * stored row.  Authenticate first (mx_op_auth) where System Settings asks. */
int mx_op_profile_install(mx_op *op, const mx_profile_import *p, enum mx_via via,
    mx_profile_row *out, mx_err *err);
/* Removes a profile (MX_EDENIED by hand for an MDM-installed one), with the reactions. */
int mx_op_profile_remove(mx_op *op, const char *identifier, enum mx_via via, mx_err *err);
/* A person removes a profile (System Settings' "−", `profiles remove --as`):
 * one that MDM installed is refused at once (MX_EDENIED, the message of
 * mx_op_profile_remove), as macOS offers no removal of it, without asking
 * for a password; otherwise an administrator authenticates (cred; a failure
 * is mx_op_auth's refusal) and the profile is removed. */
int mx_op_profile_remove_by_user(mx_op *op, const char *identifier, const char *cred,
    mx_err *err);
/* Installed profiles in install order; fn's non-zero return stops. */
int mx_op_profiles_each(mx_op *op, int (*fn)(const mx_profile_row *, void *), void *arg,
    mx_err *err);
/* One installed profile; *payload_xml (may be NULL) gets its PayloadContent
 * as XML (malloc'd, "" when none).  MX_ENOTFOUND when not installed. */
int mx_op_profile_get(mx_op *op, const char *identifier, mx_profile_row *out, char **payload_xml,
    mx_err *err);
/* The merged extension policies as the extension modules see them
 * ({"system_extensions": {...}, "kernel_extensions": {...}}); *out is the caller's. */
int mx_op_merged_policy(mx_op *op, json_t **out, mx_err *err);

/* ==== apps (engine/apps.c) ==== */

typedef struct mx_app_info {
	char bundle_id[256];
	char path[1024];             /* /Applications/X.app */
	char content[65];            /* CAS hash */
	int system_extensions;
} mx_app_info;
/* An installer copying app into /Applications (app->rc: that error). */
int mx_op_app_install(mx_op *op, const mx_app_import *app, mx_app_info *out, mx_err *err);
/* An installer placing an imported file or tree (content hash) at devpath
 * (macOS running); why names the installer in the log. */
int mx_op_file_place(mx_op *op, const char *devpath, const char *hash, const char *why,
    mx_err *err);
/* Finder's move to Trash: first the system-extension reaction (deleting an
 * app with an active extension asks an administrator: cred; may refuse). */
int mx_op_app_delete(mx_op *op, const char *bundle_id, const char *cred, char *devpath,
    size_t devpath_len, mx_err *err);

/* ==== system extensions (engine/sysext*.c) ==== */

typedef struct mx_sx_result {
	char identifier[256];
	char app_id[256];
	char unique_id[40];
	const char *plan;            /* mx_sx_plan_name, static */
	const char *result;          /* "completed", "willCompleteAfterReboot", "needs user approval", ... */
	enum mx_sx_state state;
	char note[128];              /* " (authorized by administrator NAME)" or "" */
} mx_sx_result;
/* OSSystemExtensionRequest activation of a prepared request.  on_replace
 * false: the delegate cancels a replacement (error 11).  A request that
 * fails validation is refused (its event only) with the sysext domain. */
int mx_op_sysext_activate(mx_op *op, const mx_sx_request *req, bool replace, mx_sx_result *out,
    mx_err *err);
/* Deactivation by the app that activated it; cred answers the admin dialog
 * (NULL: the dialog is shown and committed, then error 13). */
int mx_op_sysext_deactivate(mx_op *op, const char *app_id, const char *ext_id, const char *cred,
    mx_sx_result *out, mx_err *err);
/* System Settings' Allow (an administrator). out (may be NULL) gets the record. */
int mx_op_sysext_approve(mx_op *op, const char *bundle_id, const char *cred, mx_sx_rec *out,
    mx_err *err);
/* systemextensionsctl developer on|off (query: on NULL), reset, uninstall
 * TEAM|- BUNDLE, gc.  developer/reset/uninstall are refused while SIP is
 * enabled (MX_EDENIED; the tool prints its own three lines). */
int mx_op_sysext_developer(mx_op *op, const bool *on, bool *now_on, mx_err *err);
int mx_op_sysext_reset(mx_op *op, size_t *count, mx_err *err);
int mx_op_sysext_uninstall(mx_op *op, const char *team, const char *bundle_id, mx_err *err);
int mx_op_sysext_gc(mx_op *op, size_t *cleaned, mx_err *err);
/* The device's records (db.plist) in creation order; *out malloc'd (free). */
int mx_op_sysexts(mx_op *op, mx_sx_rec **out, size_t *n, mx_err *err);
/* The list line's "--- category" header for this macOS. */
void mx_sysext_category_header(char *buf, size_t len, const char *category, mx_version os);

/* ==== kernel extensions (engine/kext*.c) ==== */

/* An installer copying an imported kext into /Library/Extensions. */
int mx_op_kext_install(mx_op *op, const mx_kext_import *k, mx_kext *out, mx_err *err);
/* An uninstaller deleting it (by bundle id or device path); what (may be
 * NULL) gets the event's sentence. */
int mx_op_kext_remove(mx_op *op, const char *id_or_path, char *what, size_t what_len,
    mx_err *err);
typedef struct mx_kext_approve_result {
	mx_kext kext;                /* the kext asked for, after */
	char user[64];               /* who allowed it */
	int napproved;               /* with the same developer's other blocked kexts */
} mx_kext_approve_result;
/* System Settings' Allow (TN2459 scope).  cred: who (an administrator
 * unless AllowNonAdminUserApprovals); a refusal is logged. */
int mx_op_kext_approve(mx_op *op, const char *bundle_id, const char *cred,
    mx_kext_approve_result *out, mx_err *err);

#define MX_KEXT_LOAD_MAX 64
typedef struct mx_kext_load_item {
	char name[1024];             /* as asked: bundle id or path */
	mx_kext kext;                /* after the attempt */
	enum mx_kext_load_result result;
} mx_kext_load_item;
typedef struct mx_kext_load_report {
	int n;
	mx_kext_load_item item[MX_KEXT_LOAD_MAX];
} mx_kext_load_report;
/* kmutil load: each name decided and saved (the states it reaches are kept
 * even when a kext needs approval or a reboot); *out says what happened.
 * Returns 0 when every attempt was processed; the KMErrorDomain outcome is
 * mx_kext_load_error's.  A name that is no kext fails the op. */
int mx_op_kext_load(mx_op *op, const char *const *names, int n, mx_kext_load_report *out,
    mx_err *err);
/* The KMErrorDomain error of a load report (0 when everything loaded):
 * 27 approval needed, 71 architecture, 1 rejected, 28 reboot needed — in
 * that order, as kmutil reports the first.  System Settings' name is in the text. */
int mx_kext_load_error(const mx_kext_load_report *r, const mx_device *d, mx_err *err);
/* kmutil unload: each must be loaded (KMErrorDomain 3 otherwise, naming it). */
int mx_op_kext_unload(mx_op *op, const char *const *names, int n, mx_err *err);
/* kmutil rebuild: what the AuxKC would gain and lose (arrays malloc'd). */
typedef struct mx_kext_rebuild_plan {
	int nadd, ndel;
	mx_kext *add, *del;
} mx_kext_rebuild_plan;
int mx_op_kext_rebuild_plan(mx_op *op, mx_kext_rebuild_plan *out, mx_err *err);
void mx_kext_rebuild_plan_free(mx_kext_rebuild_plan *p);
/* ... and the authorisation dialog's answer: an administrator; then a
 * restart is required. */
int mx_op_kext_rebuild_authorize(mx_op *op, const char *cred, mx_err *err);
/* kmutil trigger-panic-medic (recoveryOS only: MX_ESTATE otherwise). */
int mx_op_kext_panic_medic(mx_op *op, mx_err *err);
/* The device's kexts in bundle-id order; *out malloc'd (free). */
int mx_op_kexts(mx_op *op, mx_kext **out, int *n, mx_err *err);
/* A kext by bundle id or device path (also /Library/StagedExtensions/...). */
int mx_op_kext_find(mx_op *op, const char *id_or_path, mx_kext *out, mx_err *err);
/* A copy of the device's AuxKC (*buf NULL, *len 0 when it has none); *buf malloc'd. */
int mx_op_auxkc(mx_op *op, uint8_t **buf, size_t *len, mx_err *err);
/* "System Settings" (13+) or "System Preferences". */
const char *mx_kext_settings_name(const mx_device *d);
/* The Boot KC UUID an AuxKC links against: one per macOS version and
 * architecture, as the OS ships it [INF docs/fleet.md]. */
void mx_kext_boot_kcid(const mx_device *d, uint8_t out[16]);
/* The kext record's signature kind for a verification result. */
enum mx_kext_sig mx_kext_sig_from(enum mx_sigkind k);

/* ==== export and import of a device's state (engine/export.c) ==== */

/* The device's state as export writes it (the LocalPolicy loaded, made at
 * first use in a write op); *lp_valid (may be NULL): its signature verifies.
 * *out is the caller's (mx_devstate_free). */
int mx_op_devstate(mx_op *op, mx_devstate *out, bool *lp_valid, mx_err *err);
/* Writes s under dir (no op open): docs/export.md. */
int mx_engine_devstate_export(mx_engine *e, const mx_devstate *s, const char *dir, mx_err *err);
/* Reads and checks a host directory of a device's files (an import: the one
 * place it is read); name (NULL: the sidecar's) names the new device. */
int mx_engine_devstate_read(mx_engine *e, const char *host_dir, const char *name,
    mx_devstate *out, mx_err *err);
/* Creates the device of s in its own transaction, at the engine's clock,
 * with fresh random bytes for serial, salt and SEP key. */
int mx_engine_devstate_import(mx_engine *e, const mx_devstate *s, int64_t *device_id,
    mx_err *err);

/* ==== what the user sees (engine/alerts.c) ==== */

/* Alerts on screen now, oldest first; fn's non-zero return stops. */
int mx_op_alerts_each(mx_op *op, int (*fn)(const mx_alert *, void *), void *arg, mx_err *err);
/* The user closes alert id (OK, Not Now, the close box; `macext alerts
 * dismiss`): it leaves the screen, what it was about stays (a kext still
 * awaits approval; the next attempt shows a new alert).  kind and subject
 * (NULL: any) must be the alert's, so an id reused by a newer alert is not
 * closed unseen (MX_ESTATE).  Only while macOS runs (MX_ESTATE); MX_ENOTFOUND
 * when the screen has no such alert.  *out (may be NULL) gets the alert. */
int mx_op_alert_dismiss(mx_op *op, int64_t id, const char *kind, const char *subject,
    mx_alert *out, mx_err *err);
/* The event log, oldest first. */
int mx_op_events_each(mx_op *op, int (*fn)(const mx_event *, void *), void *arg, mx_err *err);

/* ==== fleets: filters, selections, the summary (engine/fleet_select.c) ==== */

/* The name of a fleet's Mac number n (of 1..last): PREFIX-NNNNNN, zero
 * padded to six digits or to last's width (`fleet create`, POST
 * /api/v1/fleet/devices). */
void mx_fleet_device_name(char *out, size_t len, const char *prefix, long n, long last);

/* A device filter: comma-separated terms that must all hold (docs/fleet.md):
 *   name=GLOB (or a bare GLOB)   arch=arm64|x86_64     os>=V os<V os=V ...
 *   enroll=none|user|device|automated (| for several; enroll!=none)
 *   sip=on|off   env=macos|recovery|off   security=full|reduced|permissive
 *   alert=KIND   (the device shows an alert of that kind now)          */
#define MX_FLEET_MAX_TERMS 16
struct mx_fleet_term;
typedef struct mx_fleet_filter {
	int n;                       /* 0: every device */
	struct mx_fleet_term *t;     /* owned */
	bool needs_alerts;           /* an alert= term: matching reads the store */
} mx_fleet_filter;
/* Parses spec (NULL or "": no terms); on success *out is the caller's
 * (mx_fleet_filter_free); on failure it holds nothing. */
int mx_fleet_filter_parse(mx_fleet_filter *out, const char *spec, mx_err *err);
void mx_fleet_filter_free(mx_fleet_filter *f);
/* Does f hold for d?  alert= terms read d's alerts through e's store in the
 * transaction open on it (e may be NULL when !f->needs_alerts). */
int mx_fleet_filter_match(const mx_fleet_filter *f, mx_engine *e, const mx_device *d, bool *out,
    mx_err *err);
/* The same for device (NULL: the only one) as it is now, in a read op of
 * its own (a savepoint inside a batch). */
int mx_engine_fleet_match(mx_engine *e, const mx_fleet_filter *f, const char *device, bool *out,
    mx_err *err);

/* The devices a filter selects, in name order: ids and names (72 bytes each). */
typedef struct mx_fleet_sel {
	int64_t *id;
	char (*name)[64];
	long n, cap;
} mx_fleet_sel;
/* Fills *out (the caller's: mx_fleet_sel_free) in one read transaction; f
 * may be NULL (every device). */
int mx_engine_fleet_select(mx_engine *e, const mx_fleet_filter *f, mx_fleet_sel *out,
    mx_err *err);
void mx_fleet_sel_free(mx_fleet_sel *s);
/* The `fleet summary` document of devices ids[0..n) (ids NULL: every
 * device), read in one snapshot: devices, enrollment, environment,
 * restart_pending, kext_states, sysext_states, alerts, user_actions (each
 * a {value: devices} object).  *out is the caller's. */
int mx_engine_fleet_summary(mx_engine *e, const int64_t *ids, size_t n, json_t **out,
    mx_err *err);

/* The items of `device list --json` and GET /api/v1/devices, in name order,
 * read in one snapshot: each device's document (mx_json_device) with its
 * "summary" — kext_states and sysext_states (how many of its kexts and system
 * extension records are in each state), alerts (how many on screen, by kind)
 * and user_actions (by the fleet summary's words, mx_alert_user_action), each
 * a {value: count} object.  limit > 0: at most limit devices with a name
 * after after (NULL or "": from the first) and q (NULL or "": any) a
 * case-insensitive substring of the name or serial, as mx_engine_device_page;
 * limit <= 0: every device.  *out (an array) is the caller's, to dump:
 * the items of devices with nothing to count share one summary object. */
int mx_engine_device_list(mx_engine *e, const char *after, const char *q, int limit, json_t **out,
    mx_err *err);

/* The signature of a stored bundle (a path in the content store, from
 * mx_cas_path) as operations verify it for a trust anchor (a content hash,
 * "" or NULL for none), with the verdicts they remember: asking first costs
 * a later activation of the same bytes nothing.  *si is the caller's
 * (mx_siginfo_free). */
void mx_engine_stored_signature(mx_engine *e, const char *stored_path, const char *anchor_hash,
    mx_siginfo *si);

/* The user action an alert asks for, as the summary's user_actions counts
 * it ("allow in System Settings (administrator approval)", "restart the
 * Mac", ...); buf (len bytes) holds an "other: KIND (TITLE)" answer. */
const char *mx_alert_user_action(const mx_alert *a, char *buf, size_t len);

/* ==== JSON: one serializer per object (engine/json.c) ====
 * The DESIGN.md contract, shared by every --json and the HTTP API.  Each
 * fills *out (the caller's, json_decref) or fails with MX_EFORMAT naming the
 * object and field: a string that is not valid UTF-8 is never dropped and
 * never turns the document into nothing. */
int mx_json_device(json_t **out, const mx_device *d, mx_err *err);
int mx_json_kext(json_t **out, const mx_kext *k, mx_err *err);
int mx_json_sysext(json_t **out, const mx_sx_rec *r, mx_err *err);
int mx_json_alert(json_t **out, const mx_alert *a, mx_err *err);
/* payload_types is always an array; payload_xml (may be NULL) adds payload_content_xml. */
int mx_json_profile(json_t **out, const mx_profile_row *r, const char *payload_xml, mx_err *err);
int mx_json_event(json_t **out, const mx_event *ev, mx_err *err);
int mx_json_security_info(json_t **out, const mx_security_info *si, mx_err *err);
int mx_json_localpolicy(json_t **out, const mx_localpolicy *lp, bool valid, mx_err *err);
int mx_json_app(json_t **out, const mx_app_info *a, mx_err *err);
int mx_json_sysext_result(json_t **out, const mx_sx_result *r, bool activation, mx_err *err);
/* The result of kext install: bundle_id, version, path, signature, state. */
int mx_json_kext_installed(json_t **out, const mx_kext *k, mx_err *err);
/* [{bundle, subject, not_after, expired_before: "signing-time"|"now"}] */
int mx_json_expiry(json_t **out, const mx_expiry *x, mx_err *err);
/* {"error": {code, name, domain, subcode, where, message}} for a failure. */
int mx_json_error(json_t **out, const mx_err *e, mx_err *err);

/* ==== for the daemon (macext serve) ==== */

/* One page of devices (mx_store_device_page) in one read transaction: at
 * most limit with a name after after, q a substring of name or serial. */
int mx_engine_device_page(mx_engine *e, const char *after, const char *q, int limit,
    int (*fn)(const mx_device *, void *), void *arg, mx_err *err);

/* The macOS 15 switch in General > Login Items & Extensions
 * (mx_sx_toggle_plan): turns system extension id off (enable false:
 * activated_disabled, through terminating_for_disable) or on again, asking
 * an administrator (cred; MX_EDENIED and the refusal logged otherwise).
 * Refused without a password where a NonRemovableFromUISystemExtensions (or
 * NonRemovableSystemExtensions) entry covers it (OSSystemExtensionErrorDomain
 * 10) and before macOS 15 (MX_ESTATE).  out (may be NULL) gets the record. */
int mx_op_sysext_set_enabled(mx_op *op, const char *id, bool enable, const char *cred,
    mx_sx_rec *out, mx_err *err);

/* Records an MDM enrolment for the agent (engine/mdm_enrol.c): the device
 * (running macOS, not enrolled, without a live enrolment record: MX_ESTATE /
 * MX_EEXIST otherwise) gets a pending record naming the profile's bytes
 * (stored as a blob), prof (read by mx_enroll_profile_read) says the
 * server; why is the event's reason.  The agent enrols it over the wire. */
struct mx_enroll_profile;
int mx_op_mdm_enrol_record(mx_op *op, const struct mx_enroll_profile *prof,
    const uint8_t *bytes, size_t len, enum mx_enroll method, bool approved, bool insecure,
    const char *why, mx_err *err);

#endif
