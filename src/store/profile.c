/*
 * profile.c (store) — installed configuration profiles per device, in
 * install order (the order payloads merge in).  Bodies are blobs shared by
 * content hash: a fleet with one profile stores it once.
 */
#include <string.h>

#include "store_int.h"

static void
read_row(sqlite3_stmt *s, mx_profile_row *r)
{
	st_text(s, 0, r->identifier, sizeof r->identifier);
	st_text(s, 1, r->uuid, sizeof r->uuid);
	st_text(s, 2, r->display_name, sizeof r->display_name);
	st_text(s, 3, r->organization, sizeof r->organization);
	st_text(s, 4, r->source, sizeof r->source);
	st_text(s, 5, r->signer, sizeof r->signer);
	r->installed_at = sqlite3_column_int64(s, 6);
	st_text(s, 7, r->body, sizeof r->body);
	st_text(s, 8, r->payload_types, sizeof r->payload_types);
}

#define ROW_COLS "identifier, uuid, display_name, organization, source, signer, installed_at," \
	" body, payload_types"

int
mx_store_profile_put(mx_store *st, int64_t device_id, const mx_profile_row *r, bool *replaced,
    mx_err *err)
{
	int rc = mx_store_profile_remove(st, device_id, r->identifier, NULL, err);
	if (rc && rc != MX_ENOTFOUND)
		return rc;
	if (replaced)
		*replaced = rc == 0;
	sqlite3_stmt *s;
	if ((rc = st_prepare(st, &s, "INSERT INTO profiles (device_id, " ROW_COLS ")"
	    " VALUES (?,?,?,?,?,?,?,?,?,?)", err)))
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_text(s, 2, r->identifier, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, r->uuid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, r->display_name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 5, r->organization, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 6, r->source, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 7, r->signer, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 8, r->installed_at);
	sqlite3_bind_text(s, 9, r->body, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 10, r->payload_types, -1, SQLITE_TRANSIENT);
	return st_write(st, s, "install profile", err);
}

int
mx_store_profile_get(mx_store *st, int64_t device_id, const char *identifier,
    mx_profile_row *out, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "SELECT " ROW_COLS " FROM profiles WHERE device_id = ?"
	    " AND identifier = ?", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_text(s, 2, identifier, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		if (rc != SQLITE_DONE)
			return st_fail(st, err, "find profile");
		sqlite3_reset(s);
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "no installed profile '%s'",
		    identifier);
	}
	if (out)
		read_row(s, out);
	sqlite3_reset(s);
	return 0;
}

int
mx_store_profile_remove(mx_store *st, int64_t device_id, const char *identifier,
    mx_profile_row *out, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = mx_store_profile_get(st, device_id, identifier, out, err);
	if (rc || (rc = st_prepare(st, &s, "DELETE FROM profiles WHERE device_id = ? AND"
	    " identifier = ?", err)))
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_text(s, 2, identifier, -1, SQLITE_TRANSIENT);
	return st_write(st, s, "remove profile", err);
}

int
mx_store_profile_each(mx_store *st, int64_t device_id, int (*fn)(const mx_profile_row *, void *),
    void *arg, mx_err *err)
{
	sqlite3_stmt *s;
	bool owned;
	int prc = st_prepare_iter(st, &s, &owned, "SELECT " ROW_COLS " FROM profiles WHERE device_id = ?"
	    " ORDER BY seq", err);
	if (prc)
		return prc;
	sqlite3_bind_int64(s, 1, device_id);
	int rc = 0, step;
	mx_profile_row r;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		read_row(s, &r);
		if ((rc = fn(&r, arg)))
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = st_fail(st, err, "list profiles");
	st_done_iter(s, owned);
	return rc;
}
