/*
 * kext.c — the KextPolicy tables as macOS keeps them (kernel-extensions.md
 * §2.2-§2.3: kext_policy, kext_policy_mdm, kext_load_history_v3 with
 * cdhash, settings), each with a device_id, and macext's own `kexts` table.
 *
 * Choices where the reference has open questions (Q2, Q3):
 *   - kext_policy_mdm: a team-wide allowance (AllowedTeamIdentifiers) is a
 *     row with bundle_id NULL; the empty Team ID key of
 *     AllowedKernelExtensions (unsigned kexts) is team_id ''.  allowed = 1.
 *     The rows are made from the profiles at export (mx_op_devstate); the
 *     table keeps only imported rows (mx_store_kext_policy_mdm_drop).
 *   - kext_policy.flags = 1 for an approval in System Settings (the value
 *     seen on every 11+ capture); unsigned kexts have team_id ''.
 *   - kext_load_history_v3 timestamps are UTC 'YYYY-MM-DD HH:MM:SS';
 *     flags is the caller's (we set 1 evaluated, 2 approved, 4 in AuxKC).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macext/kext.h"
#include "store_int.h"

int
mx_store_kext_put(mx_store *st, int64_t device_id, const mx_kext *k, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "INSERT OR REPLACE INTO kexts (device_id, bundle_id, team_id,"
	    " version, path, hash, cdhash, developer_name, signature, requirement_met, codeless,"
	    " apple_auxiliary, has_arch, load_requested, state, approval, in_auxkc, installed_at,"
	    " running_version, running_cdhash, running_hash)"
	    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_text(s, 2, k->bundle_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, k->team_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, k->version, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 5, k->path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 6, k->hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 7, k->cdhash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 8, k->developer_name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 9, mx_kext_sig_name(k->sig), -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 10, k->requirement_met);
	sqlite3_bind_int(s, 11, k->codeless);
	sqlite3_bind_int(s, 12, k->apple_auxiliary);
	sqlite3_bind_int(s, 13, k->has_arch);
	sqlite3_bind_int(s, 14, k->load_requested);
	sqlite3_bind_text(s, 15, mx_kext_state_name(k->state), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 16, mx_kext_approval_name(k->approval), -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 17, k->in_auxkc);
	sqlite3_bind_int64(s, 18, k->installed_at);
	sqlite3_bind_text(s, 19, k->running_version, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 20, k->running_cdhash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 21, k->running_hash, -1, SQLITE_TRANSIENT);
	return st_write(st, s, "kexts", err);
}

static int
row(sqlite3_stmt *s, mx_kext *k, mx_err *err)
{
	char buf[64];
	int rc;
	memset(k, 0, sizeof *k);
	st_text(s, 0, k->bundle_id, sizeof k->bundle_id);
	st_text(s, 1, k->team_id, sizeof k->team_id);
	st_text(s, 2, k->version, sizeof k->version);
	st_text(s, 3, k->path, sizeof k->path);
	st_text(s, 4, k->hash, sizeof k->hash);
	st_text(s, 5, k->cdhash, sizeof k->cdhash);
	st_text(s, 6, k->developer_name, sizeof k->developer_name);
	st_text(s, 7, buf, sizeof buf);
	if ((rc = mx_kext_sig_parse(&k->sig, buf, err)))
		return rc;
	k->requirement_met = sqlite3_column_int(s, 8);
	k->codeless = sqlite3_column_int(s, 9);
	k->apple_auxiliary = sqlite3_column_int(s, 10);
	k->has_arch = sqlite3_column_int(s, 11);
	k->load_requested = sqlite3_column_int(s, 12);
	st_text(s, 13, buf, sizeof buf);
	if ((rc = mx_kext_state_parse(&k->state, buf, err)))
		return rc;
	st_text(s, 14, buf, sizeof buf);
	if ((rc = mx_kext_approval_parse(&k->approval, buf, err)))
		return rc;
	k->in_auxkc = sqlite3_column_int(s, 15);
	k->installed_at = sqlite3_column_int64(s, 16);
	st_text(s, 17, k->running_version, sizeof k->running_version);
	st_text(s, 18, k->running_cdhash, sizeof k->running_cdhash);
	st_text(s, 19, k->running_hash, sizeof k->running_hash);
	return 0;
}

int
mx_store_kext_get(mx_store *st, int64_t device_id, const char *bundle_id, mx_kext *out,
    mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "SELECT bundle_id, team_id, version, path, hash, cdhash,"
	    " developer_name, signature, requirement_met, codeless, apple_auxiliary, has_arch,"
	    " load_requested, state, approval, in_auxkc, installed_at, running_version,"
	    " running_cdhash, running_hash FROM kexts"
	    " WHERE device_id = ? AND bundle_id = ?", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_text(s, 2, bundle_id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		rc = row(s, out, err);
		sqlite3_reset(s);
		return rc;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return st_fail(st, err, "kexts");
	return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "no kext with identifier %s", bundle_id);
}

int
mx_store_kext_list(mx_store *st, int64_t device_id, mx_kext **out, int *n, mx_err *err)
{
	sqlite3_stmt *s;
	*out = NULL;
	*n = 0;
	int rc = st_prepare(st, &s, "SELECT bundle_id, team_id, version, path, hash, cdhash,"
	    " developer_name, signature, requirement_met, codeless, apple_auxiliary, has_arch,"
	    " load_requested, state, approval, in_auxkc, installed_at, running_version,"
	    " running_cdhash, running_hash FROM kexts"
	    " WHERE device_id = ? ORDER BY bundle_id", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	int cap = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			*out = mx_xrealloc(*out, (size_t)cap * sizeof **out);
		}
		if ((rc = row(s, &(*out)[*n], err))) {
			sqlite3_reset(s);
			free(*out);
			*out = NULL;
			*n = 0;
			return rc;
		}
		(*n)++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(*out);
		*out = NULL;
		*n = 0;
		return st_fail(st, err, "kexts");
	}
	return 0;
}

int
mx_store_kext_delete(mx_store *st, int64_t device_id, const char *bundle_id, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "DELETE FROM kexts WHERE device_id = ? AND bundle_id = ?", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_text(s, 2, bundle_id, -1, SQLITE_TRANSIENT);
	return st_write(st, s, "kexts", err);
}

int
mx_store_kext_policy_set(mx_store *st, int64_t device_id, const char *team_id,
    const char *bundle_id, bool allowed, const char *developer_name, int flags, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "INSERT OR REPLACE INTO kext_policy (device_id, team_id,"
	    " bundle_id, allowed, developer_name, flags) VALUES (?,?,?,?,?,?)", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_text(s, 2, team_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, bundle_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 4, allowed);
	sqlite3_bind_text(s, 5, developer_name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 6, flags);
	return st_write(st, s, "kext_policy", err);
}

int
mx_store_kext_policy_allowed(mx_store *st, int64_t device_id, const char *team_id,
    const char *bundle_id, bool *out, mx_err *err)
{
	sqlite3_stmt *s;
	*out = false;
	int rc = st_prepare(st, &s, "SELECT allowed FROM kext_policy WHERE device_id = ? AND"
	    " team_id = ? AND bundle_id = ?", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_text(s, 2, team_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, bundle_id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(s, 0) != 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st_fail(st, err, "kext_policy");
	return 0;
}

int
mx_store_kext_policy_clear(mx_store *st, int64_t device_id, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "DELETE FROM kext_policy WHERE device_id = ?", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	return st_write(st, s, "kext_policy", err);
}

/* The MDM kext policy is the profiles' own: merged from their payloads
 * when asked (src/engine/kext.c), never copied to a row per entry (a
 * 530,000-entry allow list was 530,000 rows, most of its install; issue
 * 14 §8).  kext_policy_mdm holds only rows that came without their
 * profiles: a real Mac's KextPolicy imported, or what an earlier macext
 * kept.  They describe the device until its profiles next change; then
 * they go, and `device export` writes the merged policy instead. */
int
mx_store_kext_policy_mdm_drop(mx_store *st, int64_t device_id, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "SELECT 1 FROM kext_policy_mdm WHERE device_id = ? LIMIT 1", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	int step = sqlite3_step(s);
	sqlite3_reset(s);
	if (step == SQLITE_DONE)
		return 0;               /* none: no write */
	if (step != SQLITE_ROW)
		return st_fail(st, err, "kext_policy_mdm");
	if ((rc = st_prepare(st, &s, "DELETE FROM kext_policy_mdm WHERE device_id = ?", err)))
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	return st_write(st, s, "kext_policy_mdm", err);
}

int
mx_store_kext_history_seen(mx_store *st, int64_t device_id, const mx_kext *k,
    const char *boot_uuid, int64_t now, int flags, mx_err *err)
{
	char ts[32];
	time_t t = (time_t)now;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
	char staged[1200];
	snprintf(staged, sizeof staged, "/Library/StagedExtensions%s", k->path);
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "INSERT INTO kext_load_history_v3 (device_id, path, team_id,"
	    " bundle_id, boot_uuid, created_at, last_seen, flags, cdhash) VALUES (?,?,?,?,?,?,?,?,?)"
	    " ON CONFLICT (device_id, path) DO UPDATE SET team_id = excluded.team_id,"
	    " bundle_id = excluded.bundle_id, boot_uuid = excluded.boot_uuid,"
	    " last_seen = excluded.last_seen, flags = flags | excluded.flags,"
	    " cdhash = excluded.cdhash", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_text(s, 2, staged, -1, SQLITE_TRANSIENT);
	if (k->team_id[0])
		sqlite3_bind_text(s, 3, k->team_id, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 3);
	sqlite3_bind_text(s, 4, k->bundle_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 5, boot_uuid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 6, ts, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 7, ts, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 8, flags);
	if (k->cdhash[0])
		sqlite3_bind_text(s, 9, k->cdhash, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 9);
	return st_write(st, s, "kext_load_history_v3", err);
}

int
mx_store_kext_setting_set(mx_store *st, int64_t device_id, const char *name, const char *value,
    mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "INSERT OR REPLACE INTO settings (device_id, name, value)"
	    " VALUES (?,?,?)", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, value, -1, SQLITE_TRANSIENT);
	return st_write(st, s, "settings", err);
}
