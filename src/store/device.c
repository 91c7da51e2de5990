/*
 * device.c (store) — the devices and users tables, the event log, alerts
 * and per-device key/values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "macext/text.h"

static const char *
recovery_col(enum mx_recovery_entry r)
{
	return mx_recovery_entry_name(r);
}

static void
bind_device(sqlite3_stmt *s, const mx_device *d)
{
	char os[32];
	mx_version_str(d->os, os, sizeof os);
	sqlite3_bind_text(s, 1, d->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, d->serial, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, d->udid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, mx_arch_name(d->arch), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, os, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 6, d->csr);
	sqlite3_bind_text(s, 7, mx_secpolicy_name(d->policy), -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 8, d->kext_user_management);
	sqlite3_bind_int(s, 9, d->kext_remote_management);
	sqlite3_bind_text(s, 10, mx_enroll_name(d->enroll), -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 11, d->user_approved);
	sqlite3_bind_int(s, 12, d->supervised);
	sqlite3_bind_int(s, 13, d->in_abm);
	sqlite3_bind_int(s, 14, d->bootstrap_escrowed);
	sqlite3_bind_text(s, 15, mx_env_name(d->env), -1, SQLITE_STATIC);
	if (recovery_col(d->recovery_entry))
		sqlite3_bind_text(s, 16, recovery_col(d->recovery_entry), -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 16);
	sqlite3_bind_int(s, 17, d->recovery_authenticated);
	sqlite3_bind_text(s, 18, d->boot_session, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 19, (sqlite3_int64)d->boot_count);
	sqlite3_bind_int(s, 20, d->restart_pending);
	sqlite3_bind_text(s, 21, d->trust_anchor, -1, SQLITE_TRANSIENT);
}

void
st_forget_device(mx_store *st)
{
	st->dev_ok = false;
}

static void
remember(mx_store *st, const mx_device *d)
{
	st->dev = *d;
	st->dev_ok = true;
}

static bool
same_users(const mx_device *a, const mx_device *b)
{
	if (a->nusers != b->nusers)
		return false;
	for (int i = 0; i < a->nusers; i++)
		if (strcmp(a->users[i].name, b->users[i].name) != 0 ||
		    a->users[i].admin != b->users[i].admin ||
		    strcmp(a->users[i].pwhash, b->users[i].pwhash) != 0)
			return false;
	return true;
}

/* Every stored column of the devices row. */
static bool
same_row(const mx_device *a, const mx_device *b)
{
#if defined(__x86_64__)
	_Static_assert(sizeof(mx_device) == 2112, "a field was added to mx_device: compare it here");
#endif
	return a->id == b->id && strcmp(a->name, b->name) == 0 &&
	    strcmp(a->serial, b->serial) == 0 && strcmp(a->udid, b->udid) == 0 &&
	    a->arch == b->arch && mx_version_cmp(a->os, b->os) == 0 && a->csr == b->csr &&
	    a->policy == b->policy && a->kext_user_management == b->kext_user_management &&
	    a->kext_remote_management == b->kext_remote_management && a->enroll == b->enroll &&
	    a->user_approved == b->user_approved && a->supervised == b->supervised &&
	    a->in_abm == b->in_abm && a->bootstrap_escrowed == b->bootstrap_escrowed &&
	    a->env == b->env && a->recovery_entry == b->recovery_entry &&
	    a->recovery_authenticated == b->recovery_authenticated &&
	    strcmp(a->boot_session, b->boot_session) == 0 && a->boot_count == b->boot_count &&
	    a->restart_pending == b->restart_pending &&
	    strcmp(a->trust_anchor, b->trust_anchor) == 0;
}

static int
save_users(mx_store *st, const mx_device *d, mx_err *err)
{
	sqlite3_stmt *s;
	int rc;
	if ((rc = st_prepare(st, &s, "DELETE FROM users WHERE device_id = ?", err)))
		return rc;
	sqlite3_bind_int64(s, 1, d->id);
	if ((rc = st_write(st, s, "save users", err)))
		return rc;
	for (int i = 0; i < d->nusers; i++) {
		if ((rc = st_prepare(st, &s,
		    "INSERT INTO users (device_id, name, admin, pwhash) VALUES (?,?,?,?)", err)))
			return rc;
		sqlite3_bind_int64(s, 1, d->id);
		sqlite3_bind_text(s, 2, d->users[i].name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(s, 3, d->users[i].admin);
		sqlite3_bind_text(s, 4, d->users[i].pwhash, -1, SQLITE_TRANSIENT);
		if ((rc = st_write(st, s, "save users", err)))
			return rc;
	}
	return 0;
}

int
mx_store_device_insert(mx_store *st, mx_device *d, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s,
	    "INSERT INTO devices (name, serial, udid, arch, os, csr, policy, kext_user_management,"
	    " kext_remote_management, enroll, user_approved, supervised, in_abm, bootstrap_escrowed,"
	    " env, recovery_entry, recovery_authenticated, boot_session, boot_count, restart_pending,"
	    " trust_anchor) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", err);
	if (rc)
		return rc;
	bind_device(s, d);
	if ((rc = mx_store_fault_point(st, err)))
		return rc;
	if (sqlite3_step(s) != SQLITE_DONE) {
		if ((sqlite3_extended_errcode(st->db) & 0xff) == SQLITE_CONSTRAINT)
			return MX_FAIL(err, MX_EEXIST, MX_NO_OFFSET,
			    "a device named '%s' or with serial %s already exists", d->name, d->serial);
		return st_fail(st, err, "insert device");
	}
	d->id = sqlite3_last_insert_rowid(st->db);
	st_forget_device(st);
	if ((rc = save_users(st, d, err)) == 0)
		remember(st, d);
	return rc;
}

int
mx_store_device_update(mx_store *st, const mx_device *d, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s,
	    "UPDATE devices SET name=?1, serial=?2, udid=?3, arch=?4, os=?5, csr=?6, policy=?7,"
	    " kext_user_management=?8, kext_remote_management=?9, enroll=?10, user_approved=?11,"
	    " supervised=?12, in_abm=?13, bootstrap_escrowed=?14, env=?15, recovery_entry=?16,"
	    " recovery_authenticated=?17, boot_session=?18, boot_count=?19, restart_pending=?20,"
	    " trust_anchor=?21 WHERE id=?22", err);
	if (rc)
		return rc;
	bool row = !st->dev_ok || !same_row(&st->dev, d);
	bool users = !st->dev_ok || st->dev.id != d->id || !same_users(&st->dev, d);
	st_forget_device(st);
	if (row) {
		bind_device(s, d);
		sqlite3_bind_int64(s, 22, d->id);
		if ((rc = st_write(st, s, "update device", err)))
			return rc;
	}
	if (users && (rc = save_users(st, d, err)))
		return rc;
	remember(st, d);
	return 0;
}

#define DEVICE_COLS "id, name, serial, udid, arch, os, csr, policy, kext_user_management," \
	" kext_remote_management, enroll, user_approved, supervised, in_abm, bootstrap_escrowed," \
	" env, recovery_entry, recovery_authenticated, boot_session, boot_count, restart_pending," \
	" trust_anchor"

static int
read_device(mx_store *st, sqlite3_stmt *s, mx_device *d, mx_err *err)
{
	char buf[64];
	int rc;
	memset(d, 0, sizeof *d);
	d->id = sqlite3_column_int64(s, 0);
	st_text(s, 1, d->name, sizeof d->name);
	st_text(s, 2, d->serial, sizeof d->serial);
	st_text(s, 3, d->udid, sizeof d->udid);
	st_text(s, 4, buf, sizeof buf);
	if ((rc = mx_arch_parse(&d->arch, buf, err)))
		return rc;
	st_text(s, 5, buf, sizeof buf);
	if ((rc = mx_version_parse(&d->os, buf, err)))
		return rc;
	d->csr = (uint32_t)sqlite3_column_int64(s, 6);
	st_text(s, 7, buf, sizeof buf);
	if ((rc = mx_secpolicy_parse(&d->policy, buf, err)))
		return rc;
	d->kext_user_management = sqlite3_column_int(s, 8);
	d->kext_remote_management = sqlite3_column_int(s, 9);
	st_text(s, 10, buf, sizeof buf);
	if ((rc = mx_enroll_parse(&d->enroll, buf, err)))
		return rc;
	d->user_approved = sqlite3_column_int(s, 11);
	d->supervised = sqlite3_column_int(s, 12);
	d->in_abm = sqlite3_column_int(s, 13);
	d->bootstrap_escrowed = sqlite3_column_int(s, 14);
	st_text(s, 15, buf, sizeof buf);
	d->env = strcmp(buf, "recovery") == 0 ? MX_ENV_RECOVERY :
	    strcmp(buf, "off") == 0 ? MX_ENV_OFF : MX_ENV_MACOS;
	st_text(s, 16, buf, sizeof buf);
	d->recovery_entry = strcmp(buf, "power-button") == 0 ? MX_RECOVERY_POWER_BUTTON :
	    strcmp(buf, "software") == 0 ? MX_RECOVERY_SOFTWARE : MX_RECOVERY_NONE;
	d->recovery_authenticated = sqlite3_column_int(s, 17);
	st_text(s, 18, d->boot_session, sizeof d->boot_session);
	d->boot_count = (uint64_t)sqlite3_column_int64(s, 19);
	d->restart_pending = sqlite3_column_int(s, 20);
	st_text(s, 21, d->trust_anchor, sizeof d->trust_anchor);
	return 0;
}

static int
load_users(mx_store *st, mx_device *d, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s,
	    "SELECT name, admin, pwhash FROM users WHERE device_id = ? ORDER BY rowid", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, d->id);
	d->nusers = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && d->nusers < MX_MAX_USERS) {
		mx_user *u = &d->users[d->nusers++];
		st_text(s, 0, u->name, sizeof u->name);
		u->admin = sqlite3_column_int(s, 1);
		st_text(s, 2, u->pwhash, sizeof u->pwhash);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return st_fail(st, err, "load users");
	sqlite3_reset(s);
	return 0;
}

int
mx_store_device_load(mx_store *st, const char *name, mx_device *out, mx_err *err)
{
	sqlite3_stmt *s;
	int rc;
	if (name && st->dev_ok && strcmp(st->dev.name, name) == 0) {
		*out = st->dev;
		return 0;
	}
	if (name) {
		rc = st_prepare(st, &s, "SELECT " DEVICE_COLS " FROM devices WHERE name = ?", err);
		if (rc)
			return rc;
		sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
	} else {
		rc = st_prepare(st, &s, "SELECT " DEVICE_COLS " FROM devices ORDER BY name LIMIT 2", err);
		if (rc)
			return rc;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		if (rc != SQLITE_DONE)
			return st_fail(st, err, "load device");
		if (name) {
			/* from the command line: text output escapes it (mx_text_vformat) */
			return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "no device named '%.200s' in %s",
			    name, st->dir);
		}
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET,
		    "no device in %s: create one with 'macext device create NAME'", st->dir);
	}
	if ((rc = read_device(st, s, out, err)))
		return rc;
	if (!name && sqlite3_step(s) == SQLITE_ROW) {
		sqlite3_reset(s);
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "%s holds several devices: name one with --device NAME or $MACEXT_DEVICE", st->dir);
	}
	sqlite3_reset(s);
	if ((rc = load_users(st, out, err)) == 0)
		remember(st, out);
	return rc;
}

int
mx_store_device_delete(mx_store *st, int64_t id, mx_err *err)
{
	st_forget_device(st);
	sqlite3_stmt *s;
	int rc;
	/* events are kept on purpose (append-only log) except the device row's own */
	static const char *const sqls[] = {
		"DELETE FROM kv WHERE device_id = ?",
		"DELETE FROM devices WHERE id = ?",
	};
	for (size_t i = 0; i < sizeof sqls / sizeof sqls[0]; i++) {
		if ((rc = st_prepare(st, &s, sqls[i], err)))
			return rc;
		sqlite3_bind_int64(s, 1, id);
		if ((rc = st_write(st, s, "delete device", err)))
			return rc;
	}
	return 0;
}

int
mx_store_device_count(mx_store *st, int64_t *out, mx_err *err)
{
	return st_int64(st, "SELECT count(*) FROM devices", "count devices", out, err);
}

/* Calls fn with each device s (prepared, not cached: fn may itself use the
 * store) selects, stopping at fn's first non-zero; finalizes s. */
/* The devices of s's rows; s is finalized after, or reset when it is a
 * cached statement (owned false: st_prepare_iter's). */
static int
each_row(mx_store *st, sqlite3_stmt *s, bool owned, int (*fn)(const mx_device *, void *),
    void *arg, mx_err *err)
{
	int rc = 0, step;
	mx_device d;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if ((rc = read_device(st, s, &d, err)) || (rc = load_users(st, &d, err)))
			break;
		if ((rc = fn(&d, arg)))
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = st_fail(st, err, "list devices");
	st_done_iter(s, owned);
	return rc;
}

int
mx_store_device_each(mx_store *st, int (*fn)(const mx_device *, void *), void *arg, mx_err *err)
{
	sqlite3_stmt *s;
	/* not cached: fn may itself use the store */
	if (sqlite3_prepare_v2(st->db, "SELECT " DEVICE_COLS " FROM devices ORDER BY name", -1, &s,
	    NULL) != SQLITE_OK)
		return st_fail(st, err, "list devices");
	return each_row(st, s, true, fn, arg, err);
}

int
mx_store_event(mx_store *st, int64_t device_id, int64_t time, const char *actor,
    const char *what, const char *why, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s,
	    "INSERT INTO events (device_id, time, actor, what, why) VALUES (?,?,?,?,?)", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_int64(s, 2, time);
	sqlite3_bind_text(s, 3, actor ? actor : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, what ? what : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 5, why ? why : "", -1, SQLITE_TRANSIENT);
	return st_write(st, s, "log event", err);
}

int
mx_store_event_each(mx_store *st, int64_t device_id, int (*fn)(const mx_event *, void *),
    void *arg, mx_err *err)
{
	sqlite3_stmt *s;
	bool owned;
	int prc = st_prepare_iter(st, &s, &owned, "SELECT id, time, actor, what, why FROM events"
	    " WHERE device_id = ? ORDER BY id", err);
	if (prc)
		return prc;
	sqlite3_bind_int64(s, 1, device_id);
	int rc = 0, step;
	mx_event e;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		e.id = sqlite3_column_int64(s, 0);
		e.time = sqlite3_column_int64(s, 1);
		st_text(s, 2, e.actor, sizeof e.actor);
		st_text(s, 3, e.what, sizeof e.what);
		st_text(s, 4, e.why, sizeof e.why);
		if ((rc = fn(&e, arg)))
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = st_fail(st, err, "list events");
	st_done_iter(s, owned);
	return rc;
}

int
mx_store_alert_add(mx_store *st, int64_t device_id, mx_alert *a, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "INSERT INTO alerts (device_id, kind, subject, title, text,"
	    " actions, time) VALUES (?,?,?,?,?,?,?)", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_text(s, 2, a->kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, a->subject, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, a->title, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 5, a->text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 6, a->actions[0] ? a->actions : "[]", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 7, a->time);
	if ((rc = st_write(st, s, "add alert", err)))
		return rc;
	a->id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
mx_store_alert_remove(mx_store *st, int64_t device_id, const char *kind, const char *subject,
    mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "DELETE FROM alerts WHERE device_id = ?1"
	    " AND (?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR subject = ?3)", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	if (kind)
		sqlite3_bind_text(s, 2, kind, -1, SQLITE_TRANSIENT);
	if (subject)
		sqlite3_bind_text(s, 3, subject, -1, SQLITE_TRANSIENT);
	return st_write(st, s, "remove alert", err);
}

int
mx_store_device_summaries(mx_store *st, const int64_t *ids, size_t n, const char *action_sql,
    int (*fn)(int64_t device_id, int what, const char *key, const char *action, void *), void *arg,
    mx_err *err)
{
	/* the page's ids as one JSON array bound once: each table is walked by
	 * its primary key or index prefix (device_id, ...) for each of them */
	char **sql = &st->summary_sql[ids ? 0 : 1];
	if (*sql == NULL) {
		const char *in = ids ? " WHERE device_id IN (SELECT value FROM json_each(?1))" : "";
		*sql = sqlite3_mprintf("SELECT device_id, 0, state, NULL FROM kexts%s"
		    " UNION ALL SELECT device_id, 1, state, NULL FROM sysext%s"
		    " UNION ALL SELECT device_id, 2, kind, %s FROM alerts%s", in, in, action_sql, in);
		if (*sql == NULL)
			return MX_FAIL(err, MX_ENOMEM, MX_NO_OFFSET, "device summaries: out of memory");
	}
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, *sql, err);
	if (rc)
		return rc;
	char *list = NULL;
	if (ids) {
		size_t cap = n * 21 + 3, k = 0;
		list = mx_xcalloc(1, cap);
		list[k++] = '[';
		for (size_t i = 0; i < n; i++)
			k += (size_t)snprintf(list + k, cap - k, "%s%lld", i ? "," : "", (long long)ids[i]);
		list[k++] = ']';
		sqlite3_bind_text(s, 1, list, (int)k, SQLITE_STATIC);
	}
	rc = 0;
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(s, 2);
		if ((rc = fn(sqlite3_column_int64(s, 0), sqlite3_column_int(s, 1), key ? key : "",
		    (const char *)sqlite3_column_text(s, 3), arg)))
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = st_fail(st, err, "device summaries");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);   /* list is freed next */
	free(list);
	return rc;
}

int
mx_store_alert_remove_id(mx_store *st, int64_t device_id, int64_t id, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "DELETE FROM alerts WHERE device_id = ? AND id = ?", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_int64(s, 2, id);
	if ((rc = st_write(st, s, "remove alert", err)))
		return rc;
	if (sqlite3_changes(st->db) == 0)
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "no alert %lld on this device",
		    (long long)id);
	return 0;
}

int
mx_store_alert_each(mx_store *st, int64_t device_id, int (*fn)(const mx_alert *, void *),
    void *arg, mx_err *err)
{
	sqlite3_stmt *s;
	bool owned;
	int prc = st_prepare_iter(st, &s, &owned, "SELECT id, kind, subject, title, text, actions, time"
	    " FROM alerts WHERE device_id = ? ORDER BY id", err);
	if (prc)
		return prc;
	sqlite3_bind_int64(s, 1, device_id);
	int rc = 0, step;
	mx_alert a;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		a.id = sqlite3_column_int64(s, 0);
		st_text(s, 1, a.kind, sizeof a.kind);
		st_text(s, 2, a.subject, sizeof a.subject);
		st_text(s, 3, a.title, sizeof a.title);
		st_text(s, 4, a.text, sizeof a.text);
		st_text(s, 5, a.actions, sizeof a.actions);
		a.time = sqlite3_column_int64(s, 6);
		if ((rc = fn(&a, arg)))
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = st_fail(st, err, "list alerts");
	st_done_iter(s, owned);
	return rc;
}

int
mx_store_kv_set(mx_store *st, int64_t device_id, const char *key, const char *value,
    mx_err *err)
{
	sqlite3_stmt *s;
	int rc;
	if (value == NULL) {
		rc = st_prepare(st, &s, "DELETE FROM kv WHERE device_id = ? AND key = ?", err);
		if (rc)
			return rc;
		sqlite3_bind_int64(s, 1, device_id);
		sqlite3_bind_text(s, 2, key, -1, SQLITE_TRANSIENT);
		return st_write(st, s, "kv", err);
	}
	rc = st_prepare(st, &s, "INSERT OR REPLACE INTO kv (device_id, key, value) VALUES (?,?,?)",
	    err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, value, -1, SQLITE_TRANSIENT);
	return st_write(st, s, "kv", err);
}

int
mx_store_kv_get(mx_store *st, int64_t device_id, const char *key, char **value, mx_err *err)
{
	sqlite3_stmt *s;
	*value = NULL;
	int rc = st_prepare(st, &s, "SELECT value FROM kv WHERE device_id = ? AND key = ?", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*value = mx_xstrdup((const char *)sqlite3_column_text(s, 0));
	else if (rc != SQLITE_DONE)
		return st_fail(st, err, "kv");
	sqlite3_reset(s);
	return 0;
}

int
mx_store_device_page(mx_store *st, const char *after, const char *q, int limit,
    int (*fn)(const mx_device *, void *), void *arg, mx_err *err)
{
	sqlite3_stmt *s;
	/* name > after uses the UNIQUE index on name: a page costs its rows, not
	 * the fleet's; q is a case-insensitive substring of the name or serial.
	 * Kept prepared (a page is the daemon's most frequent list); fn may use
	 * the store, even this query (st_prepare_iter prepares a fresh one) */
	bool owned;
	int prc = st_prepare_iter(st, &s, &owned, "SELECT " DEVICE_COLS " FROM devices WHERE name > ?1"
	    " AND (?2 IS NULL OR instr(lower(name), lower(?2)) > 0 OR instr(lower(serial), lower(?2)) > 0)"
	    " ORDER BY name LIMIT ?3", err);
	if (prc)
		return prc;
	sqlite3_bind_text(s, 1, after ? after : "", -1, SQLITE_TRANSIENT);
	if (q && *q)
		sqlite3_bind_text(s, 2, q, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 2);
	sqlite3_bind_int(s, 3, limit);
	return each_row(st, s, owned, fn, arg, err);
}

int
mx_store_data_version(mx_store *st, int64_t *out, mx_err *err)
{
	return st_int64(st, "PRAGMA data_version", "data_version", out, err);
}

int
mx_store_event_feed(mx_store *st, int64_t after_id, int max,
    int (*fn)(int64_t id, const char *device, const char *what, void *), void *arg, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "SELECT e.id, d.name, e.what FROM events e"
	    " LEFT JOIN devices d ON d.id = e.device_id WHERE e.id > ? ORDER BY e.id LIMIT ?", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, after_id);
	sqlite3_bind_int(s, 2, max);
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if ((rc = fn(sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1),
		    (const char *)sqlite3_column_text(s, 2), arg)))
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = st_fail(st, err, "event feed");
	sqlite3_reset(s);
	return rc;
}

int
mx_store_event_last(mx_store *st, int64_t *out, mx_err *err)
{
	return st_int64(st, "SELECT coalesce(max(id), 0) FROM events", "last event", out, err);
}
