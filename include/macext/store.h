/*
 * store.h — SQLite persistence for every device of a state directory.
 *
 * One database (state/macext.db, WAL) for all devices; bundles live in a
 * content-addressed tree (state/cas/) shared by all devices.  Every change
 * runs inside one IMMEDIATE transaction: mx_store_begin, changes,
 * mx_store_commit — or mx_store_rollback and nothing happened; a read runs
 * in a DEFERRED one (mx_store_begin_read).  One connection per thread.
 * Only src/store/ includes <sqlite3.h>.
 *
 * Domain tables (sysext, kext policy, ...) have their own functions in
 * src/store/<domain>.c, declared in that domain's header section below.
 */
#ifndef MACEXT_STORE_H
#define MACEXT_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "macext/err.h"
#include "macext/core.h"

typedef struct mx_store mx_store;

/* Opens (creating and migrating when needed) the state in dir. */
int mx_store_open(mx_store **out, const char *dir, mx_err *err);
/* MX_STORE_READONLY: for a command that only reads.  The connection is
 * read-only, so reads work on a read-only or full state directory, and
 * mx_store_begin starts a read transaction; any write fails naming the
 * read-only state.  A state with no database yet, or one due for a schema
 * migration, is opened for writing as by mx_store_open. */
#define MX_STORE_READONLY 0x1u
int mx_store_open_flags(mx_store **out, const char *dir, unsigned flags, mx_err *err);
/* Was st opened read-only (MX_STORE_READONLY, and a database existed)? */
bool mx_store_readonly(const mx_store *st);
void mx_store_close(mx_store *st);
const char *mx_store_dir(const mx_store *st);
int mx_store_begin(mx_store *st, mx_err *err);     /* BEGIN IMMEDIATE, waits while busy */
/* A read transaction: BEGIN DEFERRED (a savepoint inside a batch).  It
 * never takes the write lock, so readers and writers do not wait on each
 * other; end it with mx_store_commit or mx_store_rollback. */
int mx_store_begin_read(mx_store *st, mx_err *err);
int mx_store_commit(mx_store *st, mx_err *err);
void mx_store_rollback(mx_store *st);
int mx_store_schema_version(mx_store *st);
/* Batches (fleet runs): one IMMEDIATE transaction around many commands;
 * inside it mx_store_begin/commit/rollback become a savepoint, so each
 * command stays atomic while the batch pays for one durable commit. */
int mx_store_batch_begin(mx_store *st, mx_err *err);
int mx_store_batch_commit(mx_store *st, mx_err *err);   /* rolls back on failure */
void mx_store_batch_rollback(mx_store *st);
/* Write statements run so far through the fault hook (commits included). */
long mx_store_writes(const mx_store *st);
int mx_store_integrity_check(mx_store *st, mx_err *err);

/* Checks MACEXT_BUSY_MS, MACEXT_FAULT and MACEXT_FAULT_KILL (mx_store_open
 * reads them): MX_EUSAGE naming the variable when one is not a number in
 * its range. */
int mx_store_env_check(mx_err *err);

/* Test hook: MACEXT_FAULT=N makes the Nth write statement fail (EIO) or,
 * with MACEXT_FAULT_KILL=1, kill the process (SIGKILL) just before it. */
int mx_store_fault_point(mx_store *st, mx_err *err);

/* ---- devices ---- */
int mx_store_device_insert(mx_store *st, mx_device *d, mx_err *err);   /* sets d->id */
int mx_store_device_update(mx_store *st, const mx_device *d, mx_err *err);
/* name NULL: the only device (error if none or several). */
int mx_store_device_load(mx_store *st, const char *name, mx_device *out, mx_err *err);
int mx_store_device_delete(mx_store *st, int64_t id, mx_err *err);
int mx_store_device_count(mx_store *st, int64_t *out, mx_err *err);
/* Calls fn for each device in name order; stops on non-zero. */
int mx_store_device_each(mx_store *st, int (*fn)(const mx_device *, void *), void *arg,
    mx_err *err);
/* At most limit devices with a name after after ("" or NULL: from the
 * first), in name order; q (NULL or "": all) a case-insensitive substring
 * of the name or serial.  A page reads its own rows only. */
int mx_store_device_page(mx_store *st, const char *after, const char *q, int limit,
    int (*fn)(const mx_device *, void *), void *arg, mx_err *err);
/* PRAGMA data_version: changes when another connection committed. */
int mx_store_data_version(mx_store *st, int64_t *out, mx_err *err);
/* Events after after_id (at most max), oldest first, with the device's name
 * (NULL once the device is deleted): the change feed of serve's SSE. */
int mx_store_event_feed(mx_store *st, int64_t after_id, int max,
    int (*fn)(int64_t id, const char *device, const char *what, void *), void *arg, mx_err *err);
/* The newest event's id (0: none). */
int mx_store_event_last(mx_store *st, int64_t *out, mx_err *err);

/* ---- event log (append-only) ---- */
int mx_store_event(mx_store *st, int64_t device_id, int64_t time, const char *actor,
    const char *what, const char *why, mx_err *err);
typedef struct mx_event { int64_t id, time; char actor[64]; char what[512]; char why[512]; } mx_event;
int mx_store_event_each(mx_store *st, int64_t device_id, int (*fn)(const mx_event *, void *),
    void *arg, mx_err *err);

/* ---- alerts: the dialogs and notices a user currently sees ---- */
typedef struct mx_alert {
	int64_t id;
	char kind[48];          /* "sysext-blocked", "kext-blocked", "restart-required", ... */
	char subject[256];      /* bundle id or other key, so an alert can be withdrawn */
	char title[128];
	char text[1024];
	char actions[256];      /* JSON array of button titles */
	int64_t time;
} mx_alert;
int mx_store_alert_add(mx_store *st, int64_t device_id, mx_alert *a, mx_err *err); /* sets id */
/* Removes alerts of kind (NULL: any) about subject (NULL: any). */
int mx_store_alert_remove(mx_store *st, int64_t device_id, const char *kind,
    const char *subject, mx_err *err);
int mx_store_alert_each(mx_store *st, int64_t device_id, int (*fn)(const mx_alert *, void *),
    void *arg, mx_err *err);
/* What device list items' summaries count, for the devices ids[0..n) (ids
 * NULL: every device), in one statement: fn(device_id, 0, state, NULL) for
 * each of their kexts, fn(device_id, 1, state, NULL) for each system
 * extension record, fn(device_id, 2, kind, ACTION) for each alert on screen,
 * ACTION being action_sql (an SQL expression over the alerts table's columns:
 * the fleet summary's; the same at every call: the statement is kept) for
 * that alert.  Rows come in no particular order;
 * fn's non-zero return stops and is returned.  Runs in the caller's
 * transaction. */
int mx_store_device_summaries(mx_store *st, const int64_t *ids, size_t n, const char *action_sql,
    int (*fn)(int64_t device_id, int what, const char *key, const char *action, void *), void *arg,
    mx_err *err);
/* Removes alert id of device_id; MX_ENOTFOUND when the device has no such alert. */
int mx_store_alert_remove_id(mx_store *st, int64_t device_id, int64_t id, mx_err *err);

/* ---- blobs: small content-addressed byte strings (profile bodies, AuxKC) ---- */
int mx_store_blob_put(mx_store *st, const uint8_t *data, size_t len, char out_hash[65],
    mx_err *err);
/* *out is malloc'd; caller frees. */
int mx_store_blob_get(mx_store *st, const char *hash, uint8_t **out, size_t *len, mx_err *err);

/* ---- the device's file tree: path -> content-addressed bundle tree ---- */
/* Copies the directory (or file) at src into state/cas/ once per content and
 * returns its hash.  The tree keeps its base name: cas/<hh>/<hash>/<basename>. */
int mx_cas_put_tree(mx_store *st, const char *src, char out_hash[65], mx_err *err);
/* Stores data as a one-file tree named name (the hash mx_cas_put_tree would
 * give that file) without a temporary copy; writes only when absent. */
int mx_cas_put_bytes(mx_store *st, const char *name, const uint8_t *data, size_t len,
    char out_hash[65], mx_err *err);
/* The temporaries killed imports left in cas/ (.tmp-PID-HEX whose PID is
 * not running): *n of them; fn (may be NULL) gets each name; remove
 * deletes them.  mx_store_open removes them; `store check` reports them. */
int mx_cas_stale_temps(mx_store *st, bool remove, void (*fn)(const char *name, void *),
    void *arg, long *n, mx_err *err);
/* Re-hashes the stored tree of hash: 0 when its bytes still have that hash,
 * MX_ESIGNATURE naming what they hash to when not (an entry changed after it
 * was stored).  Trees this connection verified and whose entries keep their
 * identity (inode, size, times) are not read again; *reread (may be NULL)
 * says whether this call read them. */
int mx_cas_verify(mx_store *st, const char *hash, bool *reread, mx_err *err);
/* Verifies every entry under cas/ (sorted by hash), calling fn for each
 * whose bytes no longer have their hash; *n counts them. */
int mx_cas_check(mx_store *st, void (*fn)(const char *hash, const mx_err *why, void *arg),
    void *arg, long *n, mx_err *err);
/* Path of the stored copy (cas/<hh>/<hash>/<basename>) in out. */
int mx_cas_path(mx_store *st, const char *hash, char *out, size_t len, mx_err *err);
int mx_store_file_set(mx_store *st, int64_t device_id, const char *path, const char *hash,
    mx_err *err);
/* ENOTFOUND when absent; out_hash may be NULL to test existence. */
int mx_store_file_get(mx_store *st, int64_t device_id, const char *path, char out_hash[65],
    mx_err *err);
int mx_store_file_remove(mx_store *st, int64_t device_id, const char *path, mx_err *err);
/* Each file whose path starts with prefix, in path order. */
int mx_store_file_each(mx_store *st, int64_t device_id, const char *prefix,
    int (*fn)(const char *path, const char *hash, void *), void *arg, mx_err *err);

/* ---- installed configuration profiles (body: a blob hash of the binary plist) ---- */
typedef struct mx_profile_row {
	char identifier[256], uuid[64], display_name[256], organization[256];
	char source[16];          /* "mdm" or "manual" */
	char signer[256];         /* "" when unsigned */
	int64_t installed_at;
	char body[65];            /* blob hash */
	char payload_types[1024]; /* space-separated PayloadType values */
} mx_profile_row;
/* Inserts, or replaces the profile with the same identifier (it then
 * counts as newest in install order). *replaced (may be NULL) says so. */
int mx_store_profile_put(mx_store *st, int64_t device_id, const mx_profile_row *row,
    bool *replaced, mx_err *err);
/* The installed profile with identifier: MX_ENOTFOUND when none. */
int mx_store_profile_get(mx_store *st, int64_t device_id, const char *identifier,
    mx_profile_row *out, mx_err *err);
/* MX_ENOTFOUND when no such profile; out (may be NULL) gets the removed row. */
int mx_store_profile_remove(mx_store *st, int64_t device_id, const char *identifier,
    mx_profile_row *out, mx_err *err);
/* In install order. */
int mx_store_profile_each(mx_store *st, int64_t device_id,
    int (*fn)(const mx_profile_row *, void *), void *arg, mx_err *err);

/* ---- generic per-device key/value (small settings of any module) ---- */
int mx_store_kv_set(mx_store *st, int64_t device_id, const char *key, const char *value,
    mx_err *err);
/* value NULL when absent (returns 0); *value malloc'd. */
int mx_store_kv_get(mx_store *st, int64_t device_id, const char *key, char **value,
    mx_err *err);

/* ---- checks (check.c): `macext store check`, the crash and stress tests ---- */
typedef void (*mx_check_fn)(const char *rule, const char *detail, void *arg);
/* PRAGMA integrity_check and foreign_key_check, the device invariants that
 * are plain SQL, and every device file's content present in the CAS.
 * fn (may be NULL) gets each violation; *violations their number. */
int mx_store_check(mx_store *st, mx_check_fn fn, void *arg, long *violations, mx_err *err);
/* Runs one invariant query (its rows, (subject, detail), are violations). */
int mx_store_check_query(mx_store *st, const char *rule, const char *sql, mx_check_fn fn,
    void *arg, long *violations, mx_err *err);
int mx_store_has_table(mx_store *st, const char *table);
/* Runs a read-only query; fn gets each row's columns as text ("" for NULL,
 * at most 16); a non-zero return stops and is returned. */
int mx_store_query_rows(mx_store *st, const char *sql, int (*fn)(const char *const *cols, int n,
    void *), void *arg, mx_err *err);
/* SHA-256 over every table's rows in key order: equal logical states give
 * equal digests (the crash tests compare against an uninterrupted run). */
int mx_store_digest(mx_store *st, char out[65], mx_err *err);
/* Fleet selections: a temporary table of device ids, then the number of
 * selected devices per value of expr (SQL over table's columns) in table. */
int mx_store_fleet_select(mx_store *st, const int64_t *ids, size_t n, mx_err *err);
int mx_store_fleet_count(mx_store *st, const char *table, const char *expr,
    int (*fn)(const char *value, int64_t devices, void *), void *arg, mx_err *err);

/* ---- system extensions: sysextd's db.plist (src/store/sysext.c) ---- */
struct mx_sx_rec;
/* Inserts or replaces the record (by unique_id); a record with seq 0 gets
 * the next creation sequence number. */
int mx_store_sysext_put(mx_store *st, int64_t device_id, struct mx_sx_rec *r, mx_err *err);
int mx_store_sysext_delete(mx_store *st, int64_t device_id, const char *unique_id, mx_err *err);
/* Every record of the device in creation order; *out malloc'd (may be NULL when *n is 0). */
int mx_store_sysext_load(mx_store *st, int64_t device_id, struct mx_sx_rec **out, size_t *n,
    mx_err *err);
/* db.plist's developerMode and bootUUID (false and "" when never set). */
int mx_store_sysext_settings_get(mx_store *st, int64_t device_id, bool *developer_mode,
    char boot_uuid[40], mx_err *err);
int mx_store_sysext_settings_set(mx_store *st, int64_t device_id, bool developer_mode,
    const char *boot_uuid, mx_err *err);

/* ---- kernel extensions: KextPolicy and kext records (src/store/kext.c) ---- */
struct mx_kext;
struct mx_kext_policy;
int mx_store_kext_put(mx_store *st, int64_t device_id, const struct mx_kext *k, mx_err *err);
/* MX_ENOTFOUND when absent. */
int mx_store_kext_get(mx_store *st, int64_t device_id, const char *bundle_id, struct mx_kext *out,
    mx_err *err);
/* Every kext of the device in bundle-id order; *out malloc'd (free it). */
int mx_store_kext_list(mx_store *st, int64_t device_id, struct mx_kext **out, int *n, mx_err *err);
int mx_store_kext_delete(mx_store *st, int64_t device_id, const char *bundle_id, mx_err *err);
/* kext_policy: the user's decisions (team_id "" for unsigned kexts). */
int mx_store_kext_policy_set(mx_store *st, int64_t device_id, const char *team_id,
    const char *bundle_id, bool allowed, const char *developer_name, int flags, mx_err *err);
int mx_store_kext_policy_allowed(mx_store *st, int64_t device_id, const char *team_id,
    const char *bundle_id, bool *out, mx_err *err);
int mx_store_kext_policy_clear(mx_store *st, int64_t device_id, mx_err *err);
/* kext_policy_mdm keeps only rows imported without their profiles (or
 * kept by an earlier version): dropped at the device's next profile
 * change, when the merged policy of its profiles takes over (made into
 * rows at export).  No write when there are none. */
int mx_store_kext_policy_mdm_drop(mx_store *st, int64_t device_id, mx_err *err);
/* kext_load_history_v3: a path evaluated in boot session boot_uuid at now. */
int mx_store_kext_history_seen(mx_store *st, int64_t device_id, const struct mx_kext *k,
    const char *boot_uuid, int64_t now, int flags, mx_err *err);
int mx_store_kext_setting_set(mx_store *st, int64_t device_id, const char *name,
    const char *value, mx_err *err);

#endif
