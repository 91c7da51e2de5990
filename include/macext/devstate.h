/*
 * devstate.h — one simulated Mac's whole state as a value, and that state
 * as the files a real Mac holds (issue 12 §4; docs/export.md):
 *
 *   System/Library/CoreServices/SystemVersion.plist     the macOS version
 *   Library/SystemExtensions/db.plist                   sysextd's database
 *   var/db/SystemPolicyConfiguration/KextPolicy         syspolicyd's SQLite database
 *   Library/KernelCollections/AuxiliaryKernelExtensions.kc   (with its receipt inside)
 *   Applications/..., Library/Extensions/..., Library/SystemExtensions/UUID/...
 *                                                       the device's bundles
 *   System/Volumes/iSCPreboot/VUID/LocalPolicy/HASH.mxlp   Apple silicon: the LocalPolicy
 *                                                       facts (macext's record, unsigned)
 *   macext/profiles/NN-IDENTIFIER.mobileconfig, macext/profiles-show.xml
 *                                                       installed profiles; what
 *                                                       `profiles show -output stdout-xml` prints
 *   macext/device.plist                                 what no file of a Mac holds
 *                                                       (name, serial, users, SIP word,
 *                                                       enrolment, macext's own records)
 *
 * Gathering (export) reads one device in the caller's transaction;
 * mx_devstate_import writes a new device from a value in one transaction of
 * its own.  Reading a directory checks every file (types, sizes, paths,
 * Apple's KextPolicy schema) before anything is written.  Owner:
 * src/store/export.c, import.c, kextpolicy.c, sidecar.c.
 */
#ifndef MACEXT_DEVSTATE_H
#define MACEXT_DEVSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/boot.h"
#include "macext/core.h"
#include "macext/err.h"
#include "macext/kext.h"
#include "macext/store.h"
#include "macext/sysext.h"

/* ---- KextPolicy: Apple's four tables as rows of SQL values ---- */
enum mx_sqltype { MX_SQL_NULL, MX_SQL_INT, MX_SQL_TEXT };
typedef struct mx_sqlval {
	enum mx_sqltype type;
	int64_t i;
	char *s;                        /* owned, when MX_SQL_TEXT */
} mx_sqlval;

enum mx_kp_table { MX_KP_HISTORY, MX_KP_POLICY, MX_KP_MDM, MX_KP_SETTINGS, MX_KP_NTABLES };
typedef struct mx_kp_rows {
	size_t n;                       /* rows */
	mx_sqlval *v;                   /* n * mx_kpdb_ncols(table) values, row-major */
} mx_kp_rows;
typedef struct mx_kpdb { mx_kp_rows t[MX_KP_NTABLES]; } mx_kpdb;

#define MX_KPDB_MAX_BYTES (64u << 20)
#define MX_KPDB_MAX_ROWS (1 << 20)       /* per table: more than a 16 MiB profile can name */
#define MX_KPDB_MAX_TEXT 4096            /* bytes per value */

const char *mx_kpdb_table(int t);                  /* "kext_policy", ... */
int mx_kpdb_ncols(int t);
const char *mx_kpdb_col(int t, int c);
void mx_kpdb_free(mx_kpdb *db);
/* The database file as macOS keeps it: Apple's DDL (kernel-extensions.md
 * §2.2, with kext_load_history_v3.cdhash), the rows in the order given.
 * Equal values give equal bytes.  *out malloc'd. */
int mx_kpdb_write(const mx_kpdb *db, uint8_t **out, size_t *len, mx_err *err);
/* Reads untrusted bytes: opened read-only in memory (never a file), the
 * schema checked against Apple's before any row is read (no other table,
 * index, view or trigger; each column's name and type; cdhash optional),
 * then every value's type, size and form (Team IDs, bundle ids, paths,
 * 0/1 flags).  name prefixes messages.  *out is the caller's
 * (mx_kpdb_free); empty on failure. */
int mx_kpdb_read(mx_kpdb *out, const uint8_t *buf, size_t len, const char *name, mx_err *err);
/* The device's rows (ordered by each table's key) / written as a new
 * device's, inside the caller's transaction. */
int mx_store_kpdb_gather(mx_store *st, int64_t device_id, mx_kpdb *out, mx_err *err);
int mx_store_kpdb_insert(mx_store *st, int64_t device_id, const mx_kpdb *db, mx_err *err);

/* ---- the whole device ---- */
typedef struct mx_devstate_profile {
	mx_profile_row row;             /* row.body: the blob hash once stored */
	uint8_t *body;                  /* owned: the profile as a binary plist */
	size_t body_len;
} mx_devstate_profile;

typedef struct mx_devstate_file {
	char path[1024];                /* device path, "/Applications/X.app" */
	char hash[65];                  /* CAS tree */
} mx_devstate_file;

typedef struct mx_devstate_kv {
	char key[64];
	char *value;                    /* owned */
} mx_devstate_kv;

typedef struct mx_devstate {
	mx_device dev;                  /* users included; id ignored on import */
	char *trust_anchor_pem;         /* owned, NULL when none */
	bool developer_mode;
	char boot_uuid[40];             /* db.plist bootUUID */
	mx_sx_rec *sx;                  /* owned, creation order */
	size_t nsx;
	mx_kpdb kp;
	mx_kext *kexts;                 /* owned */
	int nkexts;
	mx_devstate_profile *profiles;  /* owned, install order */
	size_t nprofiles;
	mx_devstate_file *files;        /* owned, path order (hash "" until stored) */
	size_t nfiles;
	mx_devstate_kv *kv;             /* owned: NVRAM words, consent, the SEP nonce, ... */
	size_t nkv;
	bool has_lp;                    /* Apple silicon: the LocalPolicy (signature not kept) */
	mx_localpolicy lp;
	bool sidecar;                   /* read from a macext/device.plist (else defaults) */
} mx_devstate;

void mx_devstate_free(mx_devstate *s);

/* Reads device d (as loaded) in the caller's transaction.  lp is the
 * device's LocalPolicy when it has one (the caller verified it), NULL
 * otherwise; its signature is not kept.  *out is the caller's
 * (mx_devstate_free). */
int mx_devstate_gather(mx_store *st, const mx_device *d, const mx_localpolicy *lp,
    mx_devstate *out, mx_err *err);
/* Writes s as files under dir (it must be empty or absent): into
 * dir.partial-PID, renamed to dir when complete, removed on failure.
 * Bundle trees are copied from the store.  Nothing else is written. */
int mx_devstate_export(mx_store *st, const mx_devstate *s, const char *dir, mx_err *err);

/* Reads the files under dir (as export writes them, or as copied off a real
 * Mac: then name, arch (LocalPolicy present = Apple silicon) and the rest
 * take defaults, see docs/export.md).  Every file is checked before this
 * returns; no symlink is followed, no path leaves dir, every size is capped.
 * Bundle trees are copied into the store's content area (content-addressed:
 * a failed import leaves only unreferenced entries).  name (NULL: the
 * sidecar's) names the new device.  *out is the caller's. */
int mx_devstate_read(mx_store *st, const char *dir, const char *name, mx_devstate *out,
    mx_err *err);
/* Creates the device of s in one transaction (its own; a savepoint inside a
 * batch), logged at now.  random holds fresh bytes: [0, 32) the serial and
 * UDID of a device that has no sidecar, [32, 48) its administrator's salt,
 * [64, 96) the new device's SEP key (its LocalPolicy is signed with it; a
 * real Mac's key never leaves its Secure Enclave).  *device_id is its row id. */
int mx_devstate_import(mx_store *st, const mx_devstate *s, int64_t now,
    const uint8_t random[96], int64_t *device_id, mx_err *err);

/* The sidecar (macext/device.plist) codec, for the import reader and the
 * fuzz target: what the Mac's own files do not hold. */
int mx_devstate_sidecar_write(const mx_devstate *s, uint8_t **out, size_t *len, mx_err *err);
int mx_devstate_sidecar_read(mx_devstate *s, const uint8_t *buf, size_t len, const char *name,
    mx_err *err);

#endif
