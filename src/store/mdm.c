/*
 * mdm.c — the MDM agent's tables (include/macext/store_mdm.h, migration 2
 * in schema.c): mdm_enrollments (one row per device enrolled or enrolling
 * with a real server), mdm_commands (every CommandUUID the device executed
 * or refused, with the result it sends until the server has taken it) and
 * mdm_keys (RSA identity keys generated ahead, taken one per enrolment).
 * Every function runs in the caller's transaction: the agent writes a
 * command's record in the same transaction as the command's effects.
 */
#include <stdlib.h>
#include <string.h>

#include "macext/store_mdm.h"
#include "store_int.h"

static const char *const state_names[] = {
	"pending", "identity", "enrolled", "checked_out", "failed"
};

const char *
mx_mdm_state_name(enum mx_mdm_state s)
{
	return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "?";
}

static enum mx_mdm_state
state_parse(const char *s)
{
	for (size_t i = 0; i < sizeof state_names / sizeof state_names[0]; i++)
		if (strcmp(s, state_names[i]) == 0)
			return (enum mx_mdm_state)i;
	return MX_MDM_FAILED;
}

static void
blob(sqlite3_stmt *s, int col, uint8_t *buf, size_t cap, size_t *len)
{
	const void *p = sqlite3_column_blob(s, col);
	size_t n = (size_t)sqlite3_column_bytes(s, col);
	*len = p && n <= cap ? n : 0;
	if (*len)
		memcpy(buf, p, *len);
}

int
mx_store_mdm_put(mx_store *st, const mx_mdm_enrollment *e, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "INSERT OR REPLACE INTO mdm_enrollments (device_id, profile,"
	    " method, user_approved, insecure, state, access_rights, capabilities, identity_key,"
	    " identity_cert, push_token, push_magic, user_token, user_magic, user_enrolled,"
	    " awaiting_configuration, bootstrap_sent, last_error, failures, enrolled_at, updated_at)"
	    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", err);
	if (rc)
		return rc;
	int i = 1;
	sqlite3_bind_int64(s, i++, e->device_id);
	sqlite3_bind_text(s, i++, e->profile, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, i++, mx_enroll_name(e->method), -1, SQLITE_STATIC);
	sqlite3_bind_int(s, i++, e->user_approved);
	sqlite3_bind_int(s, i++, e->insecure);
	sqlite3_bind_text(s, i++, mx_mdm_state_name(e->state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, i++, e->access_rights);
	sqlite3_bind_int64(s, i++, e->capabilities);
	sqlite3_bind_blob(s, i++, e->key, (int)e->key_len, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, i++, e->cert, (int)e->cert_len, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, i++, e->push_token, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, i++, e->push_magic, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, i++, e->user_token, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, i++, e->user_magic, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, i++, e->user_enrolled);
	sqlite3_bind_int(s, i++, e->awaiting_configuration);
	sqlite3_bind_int(s, i++, e->bootstrap_sent);
	sqlite3_bind_text(s, i++, e->last_error, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, i++, e->failures);
	sqlite3_bind_int64(s, i++, e->enrolled_at);
	sqlite3_bind_int64(s, i++, e->updated_at);
	return st_write(st, s, "mdm enrolment", err);
}

#define ENR_COLS "e.device_id, e.profile, e.method, e.user_approved, e.insecure, e.state," \
	" e.access_rights, e.capabilities," \
	" e.identity_key, e.identity_cert, e.push_token, e.push_magic, e.user_token, e.user_magic," \
	" e.user_enrolled, e.awaiting_configuration, e.bootstrap_sent, e.last_error, e.failures," \
	" e.enrolled_at, e.updated_at"

static void
enr_row(sqlite3_stmt *s, mx_mdm_enrollment *e)
{
	char tmp[32];
	int i = 0;
	memset(e, 0, sizeof *e);
	e->device_id = sqlite3_column_int64(s, i++);
	st_text(s, i++, e->profile, sizeof e->profile);
	st_text(s, i++, tmp, sizeof tmp);
	if (mx_enroll_parse(&e->method, tmp, NULL) != 0)
		e->method = MX_ENROLL_DEVICE;
	e->user_approved = sqlite3_column_int(s, i++) != 0;
	e->insecure = sqlite3_column_int(s, i++) != 0;
	st_text(s, i++, tmp, sizeof tmp);
	e->state = state_parse(tmp);
	e->access_rights = (uint32_t)sqlite3_column_int64(s, i++);
	e->capabilities = (uint32_t)sqlite3_column_int64(s, i++);
	blob(s, i++, e->key, sizeof e->key, &e->key_len);
	blob(s, i++, e->cert, sizeof e->cert, &e->cert_len);
	st_text(s, i++, e->push_token, sizeof e->push_token);
	st_text(s, i++, e->push_magic, sizeof e->push_magic);
	st_text(s, i++, e->user_token, sizeof e->user_token);
	st_text(s, i++, e->user_magic, sizeof e->user_magic);
	e->user_enrolled = sqlite3_column_int(s, i++) != 0;
	e->awaiting_configuration = sqlite3_column_int(s, i++) != 0;
	e->bootstrap_sent = sqlite3_column_int(s, i++) != 0;
	st_text(s, i++, e->last_error, sizeof e->last_error);
	e->failures = sqlite3_column_int64(s, i++);
	e->enrolled_at = sqlite3_column_int64(s, i++);
	e->updated_at = sqlite3_column_int64(s, i++);
}

int
mx_store_mdm_get(mx_store *st, int64_t device_id, mx_mdm_enrollment *out, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "SELECT " ENR_COLS " FROM mdm_enrollments e WHERE device_id = ?",
	    err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	int step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		enr_row(s, out);
		sqlite3_reset(s);
		return 0;
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return st_fail(st, err, "mdm enrolment");
	return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "device %lld has no MDM enrolment",
	    (long long)device_id);
}

int
mx_store_mdm_delete(mx_store *st, int64_t device_id, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "DELETE FROM mdm_enrollments WHERE device_id = ?", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	return st_write(st, s, "mdm enrolment", err);
}

int
mx_store_mdm_each(mx_store *st, int (*fn)(const mx_mdm_enrollment *, const char *, void *),
    void *arg, mx_err *err)
{
	sqlite3_stmt *s;
	bool owned;
	int rc = st_prepare_iter(st, &s, &owned, "SELECT " ENR_COLS ", d.name FROM mdm_enrollments e"
	    " JOIN devices d ON d.id = e.device_id ORDER BY e.device_id", err);
	if (rc)
		return rc;
	mx_mdm_enrollment *e = mx_xmalloc(sizeof *e);
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		char name[64];
		enr_row(s, e);
		st_text(s, 21, name, sizeof name);
		if ((rc = fn(e, name, arg)))
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = st_fail(st, err, "list mdm enrolments");
	memset(e, 0, sizeof *e);   /* the key was in it */
	free(e);
	st_done_iter(s, owned);
	return rc;
}

/* ---- executed commands ---- */

int
mx_store_mdm_cmd_put(mx_store *st, int64_t device_id, int channel, const char *uuid,
    const char *request_type, const char *status, const uint8_t *resp, size_t len,
    int64_t now, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "INSERT OR REPLACE INTO mdm_commands (device_id, channel, uuid,"
	    " request_type, status, response, reported, executed_at, seq) VALUES (?,?,?,?,?,?,0,?,"
	    " (SELECT coalesce(max(seq), 0) + 1 FROM mdm_commands WHERE device_id = ?))", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_int(s, 2, channel);
	sqlite3_bind_text(s, 3, uuid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, request_type, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 5, status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, 6, resp, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 7, now);
	sqlite3_bind_int64(s, 8, device_id);
	if ((rc = st_write(st, s, "mdm command", err)))
		return rc;
	/* bounded: the 64 newest results a server took are kept (a command
	 * sent again after those is answered from them), older ones go */
	if ((rc = st_prepare(st, &s, "DELETE FROM mdm_commands WHERE device_id = ? AND reported = 1"
	    " AND seq <= (SELECT max(seq) FROM mdm_commands WHERE device_id = ?) - 64", err)))
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_int64(s, 2, device_id);
	return st_write(st, s, "mdm command", err);
}

static void
done_row(sqlite3_stmt *s, int col, mx_mdm_done *out)
{
	memset(out, 0, sizeof *out);
	st_text(s, col, out->status, sizeof out->status);
	st_text(s, col + 1, out->request_type, sizeof out->request_type);
	out->reported = sqlite3_column_int(s, col + 2) != 0;
	const void *p = sqlite3_column_blob(s, col + 3);
	size_t n = (size_t)sqlite3_column_bytes(s, col + 3);
	if (p != NULL && n > 0) {
		out->response = mx_xmalloc(n);
		memcpy(out->response, p, n);
		out->response_len = n;
	}
}

int
mx_store_mdm_cmd_get(mx_store *st, int64_t device_id, int channel, const char *uuid,
    bool *found, mx_mdm_done *out, mx_err *err)
{
	sqlite3_stmt *s;
	*found = false;
	int rc = st_prepare(st, &s, "SELECT status, request_type, reported, response FROM"
	    " mdm_commands WHERE device_id = ? AND channel = ? AND uuid = ?", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_int(s, 2, channel);
	sqlite3_bind_text(s, 3, uuid, -1, SQLITE_TRANSIENT);
	int step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		done_row(s, 0, out);
		*found = true;
	}
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return st_fail(st, err, "mdm command");
	return 0;
}

int
mx_store_mdm_cmd_reported(mx_store *st, int64_t device_id, int channel, const char *uuid,
    mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "UPDATE mdm_commands SET reported = 1"
	    " WHERE device_id = ? AND channel = ? AND uuid = ?", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_int(s, 2, channel);
	sqlite3_bind_text(s, 3, uuid, -1, SQLITE_TRANSIENT);
	return st_write(st, s, "mdm command", err);
}

int
mx_store_mdm_cmd_unreported(mx_store *st, int64_t device_id, int channel, bool *found,
    char uuid[64], mx_mdm_done *out, mx_err *err)
{
	sqlite3_stmt *s;
	*found = false;
	int rc = st_prepare(st, &s, "SELECT uuid, status, request_type, reported, response FROM"
	    " mdm_commands WHERE device_id = ? AND channel = ? AND reported = 0 ORDER BY seq LIMIT 1",
	    err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_int(s, 2, channel);
	int step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		st_text(s, 0, uuid, 64);
		done_row(s, 1, out);
		*found = true;
	}
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return st_fail(st, err, "mdm command");
	return 0;
}

int
mx_store_mdm_cmd_clear(mx_store *st, int64_t device_id, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "DELETE FROM mdm_commands WHERE device_id = ?", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	return st_write(st, s, "mdm commands", err);
}

/* ---- key pool ---- */

int
mx_store_mdm_key_put(mx_store *st, int bits, const uint8_t *der, size_t len, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "INSERT INTO mdm_keys (bits, der) VALUES (?, ?)", err);
	if (rc)
		return rc;
	sqlite3_bind_int(s, 1, bits);
	sqlite3_bind_blob(s, 2, der, (int)len, SQLITE_TRANSIENT);
	return st_write(st, s, "mdm key pool", err);
}

int
mx_store_mdm_key_take(mx_store *st, int bits, uint8_t *der, size_t cap, size_t *len,
    bool *found, mx_err *err)
{
	sqlite3_stmt *s;
	*found = false;
	*len = 0;
	int rc = st_prepare(st, &s, "SELECT id, der FROM mdm_keys WHERE bits = ? ORDER BY id LIMIT 1",
	    err);
	if (rc)
		return rc;
	sqlite3_bind_int(s, 1, bits);
	int step = sqlite3_step(s);
	int64_t id = 0;
	if (step == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		blob(s, 1, der, cap, len);
	}
	sqlite3_reset(s);
	if (step != SQLITE_ROW)
		return step == SQLITE_DONE ? 0 : st_fail(st, err, "mdm key pool");
	if ((rc = st_prepare(st, &s, "DELETE FROM mdm_keys WHERE id = ?", err)))
		return rc;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = st_write(st, s, "mdm key pool", err)))
		return rc;
	*found = *len > 0;
	return 0;
}

int
mx_store_mdm_key_count(mx_store *st, int bits, int64_t *out, mx_err *err)
{
	sqlite3_stmt *s;
	*out = 0;
	int rc = st_prepare(st, &s, "SELECT count(*) FROM mdm_keys WHERE bits = ?", err);
	if (rc)
		return rc;
	sqlite3_bind_int(s, 1, bits);
	if (sqlite3_step(s) == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}
