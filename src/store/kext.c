/*
 * kext.c — the KextPolicy tables as macOS keeps them (kernel-extensions.md
 * §2.2-§2.3: kext_policy, kext_policy_mdm, kext_load_history_v3 with
 * cdhash, settings), each with a device_id, and macext's own `kexts` table.
 *
 * Choices where the reference has open questions (Q2, Q3):
 *   - kext_policy_mdm: a team-wide allowance (AllowedTeamIdentifiers) is a
 *     row with bundle_id NULL; the empty Team ID key of
 *     AllowedKernelExtensions (unsigned kexts) is team_id ''.  allowed = 1.
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
#include "macext/strmap.h"

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

#define MDM_CHUNK 64
#define MDM_ROW "(?,?,?,1,?)"
#define MDM_ROW4 MDM_ROW "," MDM_ROW "," MDM_ROW "," MDM_ROW
#define MDM_ROW16 MDM_ROW4 "," MDM_ROW4 "," MDM_ROW4 "," MDM_ROW4
#define MDM_INSERT "INSERT INTO kext_policy_mdm (device_id, team_id, bundle_id, allowed," \
	" payload_uuid) VALUES "
static const char MDM_INSERT_ONE[] = MDM_INSERT MDM_ROW;
static const char MDM_INSERT_CHUNK[] = MDM_INSERT MDM_ROW16 "," MDM_ROW16 "," MDM_ROW16 ","
    MDM_ROW16;
_Static_assert(sizeof MDM_INSERT_CHUNK == sizeof MDM_INSERT + MDM_CHUNK * 12 - 1,
    "MDM_INSERT_CHUNK holds MDM_CHUNK rows");

/* Binds rule r as the row whose first parameter is at+1. */
static void
bind_rule(sqlite3_stmt *s, int at, int64_t device_id, const mx_kext_rule *r)
{
	sqlite3_bind_int64(s, at + 1, device_id);
	sqlite3_bind_text(s, at + 2, r->team_id, -1, SQLITE_STATIC);
	if (r->bundle_id[0])
		sqlite3_bind_text(s, at + 3, r->bundle_id, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, at + 3);
	sqlite3_bind_text(s, at + 4, r->payload_uuid, -1, SQLITE_STATIC);
}

/* kext_policy_mdm is rewritten from the merged payloads after every
 * profile change.  A 100,000-entry allow list is 100,000 rows, and an
 * install of any other profile merges it again: so the stored rows are
 * compared with the new policy and only the difference is written
 * (issue 14 §8), unless most rows go, when one DELETE and the inserts are
 * cheaper.  Rows: bundle_id NULL for a team-wide rule. */
int
mx_store_kext_policy_mdm_replace(mx_store *st, int64_t device_id, const mx_kext_policy *p,
    mx_err *err)
{
	sqlite3_stmt *s;
	mx_strmap old;          /* "TEAM\0BUNDLE\0UUID" of every stored row */
	mx_strmap_init(&old);
	int rc = st_prepare(st, &s, "SELECT team_id, bundle_id, payload_uuid FROM kext_policy_mdm"
	    " WHERE device_id = ?", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	int step;
	char key[sizeof p->rules[0].team_id + sizeof p->rules[0].bundle_id +
	    sizeof p->rules[0].payload_uuid];
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		size_t k = 0;
		for (int c = 0; c < 3; c++) {
			const unsigned char *t = sqlite3_column_text(s, c);
			size_t n = t ? (size_t)sqlite3_column_bytes(s, c) : 0;
			if (k + n + 1 > sizeof key)
				n = sizeof key - k - 1;
			memcpy(key + k, t ? (const char *)t : "", n);
			k += n;
			key[k++] = '\0';
		}
		mx_strmap_add(&old, key, k, 0, NULL);
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE) {
		mx_strmap_free(&old);
		return st_fail(st, err, "kext_policy_mdm");
	}
	/* which new rules are already stored, exactly */
	size_t kept = 0;
	bool *have = mx_xcalloc((size_t)p->nrules + 1, sizeof *have);
	for (int i = 0; i < p->nrules; i++) {
		const mx_kext_rule *r = &p->rules[i];
		size_t tl = strlen(r->team_id), bl = strlen(r->bundle_id), ul = strlen(r->payload_uuid);
		memcpy(key, r->team_id, tl + 1);
		memcpy(key + tl + 1, r->bundle_id, bl + 1);
		memcpy(key + tl + bl + 2, r->payload_uuid, ul + 1);
		if (mx_strmap_get(&old, key, tl + bl + ul + 3, NULL)) {
			have[i] = true;
			kept++;
		}
	}
	size_t stale = mx_strmap_count(&old) - kept;
	bool rewrite = stale > kept;    /* most rows go: one DELETE, then insert all */
	if (rewrite) {
		if ((rc = st_prepare(st, &s, "DELETE FROM kext_policy_mdm WHERE device_id = ?", err)))
			goto out;
		sqlite3_bind_int64(s, 1, device_id);
		if ((rc = st_write(st, s, "kext_policy_mdm", err)))
			goto out;
		memset(have, 0, ((size_t)p->nrules + 1) * sizeof *have);
	} else if (stale > 0) {
		/* the stored rows the new policy lacks */
		mx_strmap keep;
		mx_strmap_init(&keep);
		for (int i = 0; i < p->nrules; i++) {
			if (!have[i])
				continue;
			const mx_kext_rule *r = &p->rules[i];
			size_t tl = strlen(r->team_id), bl = strlen(r->bundle_id);
			size_t ul = strlen(r->payload_uuid);
			memcpy(key, r->team_id, tl + 1);
			memcpy(key + tl + 1, r->bundle_id, bl + 1);
			memcpy(key + tl + bl + 2, r->payload_uuid, ul + 1);
			mx_strmap_add(&keep, key, tl + bl + ul + 3, 0, NULL);
		}
		for (size_t e = 0; rc == 0 && e < mx_strmap_count(&old); e++) {
			const mx_strmap_ent *o = mx_strmap_at(&old, e);
			if (mx_strmap_get(&keep, o->k, o->kl, NULL))
				continue;
			const char *team = o->k, *bundle = team + strlen(team) + 1;
			if ((rc = st_prepare(st, &s, "DELETE FROM kext_policy_mdm WHERE device_id = ?1"
			    " AND team_id = ?2 AND bundle_id IS ?3", err)))
				break;
			sqlite3_bind_int64(s, 1, device_id);
			sqlite3_bind_text(s, 2, team, -1, SQLITE_STATIC);
			if (bundle[0])
				sqlite3_bind_text(s, 3, bundle, -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(s, 3);
			rc = st_write(st, s, "kext_policy_mdm", err);
		}
		mx_strmap_free(&keep);
		if (rc)
			goto out;
	}
	/* the rules not stored yet, 64 rows to a statement: one row per
	 * statement cost SQLite ~16,000 instructions of statement overhead
	 * each (the rows of a 100,000-entry list).  Stale rows are gone, so
	 * nothing conflicts: a plain INSERT */
	int todo[MDM_CHUNK], nt = 0;
	for (int i = 0; i < p->nrules && rc == 0; i++) {
		if (have[i])
			continue;
		todo[nt++] = i;
		if (nt < MDM_CHUNK)
			continue;
		if ((rc = st_prepare(st, &s, MDM_INSERT_CHUNK, err)) == 0) {
			for (int k = 0; k < nt; k++)
				bind_rule(s, 4 * k, device_id, &p->rules[todo[k]]);
			rc = st_write(st, s, "kext_policy_mdm", err);
		}
		nt = 0;
	}
	for (int k = 0; rc == 0 && k < nt; k++) {       /* the last few, one row each */
		if ((rc = st_prepare(st, &s, MDM_INSERT_ONE, err)) == 0) {
			bind_rule(s, 0, device_id, &p->rules[todo[k]]);
			rc = st_write(st, s, "kext_policy_mdm", err);
		}
	}
out:
	free(have);
	mx_strmap_free(&old);
	return rc;
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
