/*
 * check.c — what `macext store check` and the crash harness ask of a state
 * directory after anything went wrong: SQLite's integrity and foreign-key
 * checks, the invariants every device's rows must keep (written as SQL
 * queries that return the rows breaking them), content references that must
 * resolve (profile bodies in blobs, device files in the CAS), no temporary
 * a killed import left in the CAS, and a digest
 * of the whole logical state so a crash test can compare it with a run that
 * was never interrupted.  Also the selection and counting queries of
 * `macext fleet` (a temporary table of device ids).
 * Invariants over the policy core (a loaded kext is approved, an enabled
 * system extension is allowed) live in src/tools/fleet_check.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "store_int.h"

/* Each query returns (device name or "", detail) for every row that breaks
 * the rule named first.  Tables created by later modules are checked only
 * once they exist (see table_exists). */
static const struct inv { const char *table, *rule, *sql; } invariants[] = {
	{ "devices", "enrollment method is one of none, user, device, automated",
	  "SELECT name, enroll FROM devices WHERE enroll NOT IN ('none','user','device','automated')" },
	{ "devices", "Automated Device Enrollment is user approved, supervised and in ABM",
	  "SELECT name, 'user_approved=' || user_approved || ' supervised=' || supervised"
	  " || ' in_abm=' || in_abm FROM devices WHERE enroll = 'automated'"
	  " AND (user_approved = 0 OR supervised = 0 OR in_abm = 0)" },
	{ "devices", "an unenrolled Mac is neither user approved, supervised nor escrowed",
	  "SELECT name, 'user_approved=' || user_approved || ' supervised=' || supervised"
	  " || ' escrowed=' || bootstrap_escrowed FROM devices WHERE enroll = 'none'"
	  " AND (user_approved OR supervised OR bootstrap_escrowed)" },
	{ "devices", "User Enrollment is never supervised",
	  "SELECT name, 'supervised' FROM devices WHERE enroll = 'user' AND supervised" },
	{ "devices", "a bootstrap token is escrowed only by a supervised Mac",
	  "SELECT name, 'escrowed while not supervised' FROM devices"
	  " WHERE bootstrap_escrowed AND NOT supervised" },
	{ "devices", "an Intel Mac has Full Security and no Apple silicon kext options",
	  "SELECT name, policy FROM devices WHERE arch = 'x86_64' AND (policy <> 'full'"
	  " OR kext_user_management OR kext_remote_management)" },
	{ "devices", "kext management options exist only under Reduced Security",
	  "SELECT name, policy FROM devices WHERE arch = 'arm64' AND policy = 'full'"
	  " AND (kext_user_management OR kext_remote_management)" },
	{ "devices", "the running environment is macos, recovery or off",
	  "SELECT name, env FROM devices WHERE env NOT IN ('macos','recovery','off')" },
	{ "devices", "a recovery entry is recorded exactly while in recoveryOS",
	  "SELECT name, env || '/' || coalesce(recovery_entry, 'null') FROM devices"
	  " WHERE (env = 'recovery') <> (recovery_entry IS NOT NULL)" },
	{ "users", "every password is stored as a PBKDF2 hash",
	  "SELECT d.name, u.name FROM users u JOIN devices d ON d.id = u.device_id"
	  " WHERE u.pwhash NOT LIKE 'pbkdf2-sha256$%'" },
	{ "profiles", "an installed profile's body is in the blob store",
	  "SELECT coalesce(d.name, p.device_id), p.identifier FROM profiles p"
	  " LEFT JOIN devices d ON d.id = p.device_id"
	  " WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.hash = p.body)" },
	{ "kv", "per-device settings belong to an existing device",
	  "SELECT kv.device_id, kv.key FROM kv WHERE NOT EXISTS"
	  " (SELECT 1 FROM devices d WHERE d.id = kv.device_id)" },
	{ "mdm_enrollments", "an MDM enrolment that reached the server has an identity and a push token",
	  "SELECT d.name, e.state FROM mdm_enrollments e JOIN devices d ON d.id = e.device_id"
	  " WHERE e.state = 'enrolled' AND (length(e.identity_key) = 0 OR length(e.identity_cert) = 0"
	  " OR length(e.push_token) <> 64 OR e.push_magic = '')" },
	{ "mdm_enrollments", "a Mac enrolled through the agent is enrolled on the device",
	  "SELECT d.name, e.state || '/' || d.enroll FROM mdm_enrollments e JOIN devices d"
	  " ON d.id = e.device_id WHERE e.state = 'enrolled' AND d.enroll = 'none'" },
	{ "mdm_enrollments", "the enrolment profile is in the blob store",
	  "SELECT coalesce(d.name, e.device_id), e.profile FROM mdm_enrollments e LEFT JOIN devices d"
	  " ON d.id = e.device_id WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.hash = e.profile)" },
	{ "mdm_commands", "a command result not yet taken by the server is kept to send again",
	  "SELECT coalesce(d.name, c.device_id), c.uuid FROM mdm_commands c LEFT JOIN devices d"
	  " ON d.id = c.device_id WHERE (c.reported = 0 AND coalesce(length(c.response), 0) = 0)"
	  " OR c.status NOT IN"
	  " ('Acknowledged','Error','NotNow','CommandFormatError')" },
	{ "alerts", "an alert has a kind and a title",
	  "SELECT coalesce(d.name, a.device_id), a.id FROM alerts a LEFT JOIN devices d"
	  " ON d.id = a.device_id WHERE a.kind = '' OR a.title = ''" },
};

static int
table_exists(mx_store *st, const char *table)
{
	sqlite3_stmt *s;
	int found = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM sqlite_master WHERE type = 'table'"
	    " AND name = ?", -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

int
mx_store_has_table(mx_store *st, const char *table)
{
	return table_exists(st, table);
}

/* Runs sql (rows: a, b) and reports each row as a violation of rule. */
static int
report_rows(mx_store *st, const char *rule, const char *sql, mx_check_fn fn, void *arg,
    long *n, mx_err *err)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return st_fail(st, err, rule);
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		char detail[600];
		const char *a = (const char *)sqlite3_column_text(s, 0);
		const char *b = sqlite3_column_count(s) > 1 ?
		    (const char *)sqlite3_column_text(s, 1) : NULL;
		snprintf(detail, sizeof detail, "%s%s%s", a ? a : "", b ? ": " : "", b ? b : "");
		(*n)++;
		if (fn)
			fn(rule, detail, arg);
	}
	int rc = step == SQLITE_DONE ? 0 : st_fail(st, err, rule);
	sqlite3_finalize(s);
	return rc;
}

static int
check_files(mx_store *st, mx_check_fn fn, void *arg, long *n, mx_err *err)
{
	/* each distinct content once: 100,000 devices share a handful of trees */
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, "SELECT DISTINCT hash FROM files", -1, &s, NULL)
	    != SQLITE_OK)
		return st_fail(st, err, "files");
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(s, 0);
		char path[PATH_MAX];
		if (h == NULL || mx_cas_path(st, h, path, sizeof path, NULL) != 0) {
			(*n)++;
			if (fn)
				fn("a device file's content is in the CAS", h ? h : "(null)", arg);
		}
	}
	int rc = step == SQLITE_DONE ? 0 : st_fail(st, err, "files");
	sqlite3_finalize(s);
	return rc;
}

struct temps_ctx { mx_check_fn fn; void *arg; const char *dir; };

static void
temp_one(const char *name, void *arg)
{
	const struct temps_ctx *c = arg;
	char detail[PATH_MAX + 400];
	snprintf(detail, sizeof detail, "%s/cas/%s: left by an import that was killed "
	    "(never referenced; the next command that writes removes it)", c->dir, name);
	if (c->fn)
		c->fn("cas-temporary", detail, c->arg);
}

/* Temporaries of killed imports (cas/.tmp-PID-HEX of a dead PID).  A
 * writing open removes them; `store check` opens read-only and reports
 * the ones still there. */
static int
check_temps(mx_store *st, mx_check_fn fn, void *arg, long *n, mx_err *err)
{
	struct temps_ctx c = { fn, arg, st->dir };
	long k = 0;
	int rc = mx_cas_stale_temps(st, false, temp_one, &c, &k, err);
	*n += k;
	return rc;
}

int
mx_store_check(mx_store *st, mx_check_fn fn, void *arg, long *violations, mx_err *err)
{
	long n = 0;
	int rc;
	if ((rc = report_rows(st, "SQLite integrity_check",
	    "SELECT integrity_check, NULL FROM pragma_integrity_check"
	    " WHERE integrity_check <> 'ok'", fn, arg, &n, err)) ||
	    (rc = report_rows(st, "SQLite foreign_key_check",
	    "SELECT \"table\", 'rowid ' || rowid || ' -> ' || parent FROM pragma_foreign_key_check",
	    fn, arg, &n, err)))
		return rc;
	for (size_t i = 0; i < sizeof invariants / sizeof invariants[0]; i++) {
		if (!table_exists(st, invariants[i].table))
			continue;
		if ((rc = report_rows(st, invariants[i].rule, invariants[i].sql, fn, arg, &n, err)))
			return rc;
	}
	if ((rc = check_files(st, fn, arg, &n, err)) || (rc = check_temps(st, fn, arg, &n, err)))
		return rc;
	*violations = n;
	return 0;
}

int
mx_store_query_rows(mx_store *st, const char *sql, int (*fn)(const char *const *cols, int n,
    void *), void *arg, mx_err *err)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return st_fail(st, err, "query");
	int rc = 0, step, n = sqlite3_column_count(s);
	const char *cols[16];
	if (n > 16)
		n = 16;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++) {
			const unsigned char *t = sqlite3_column_text(s, i);
			cols[i] = t ? (const char *)t : "";
		}
		if ((rc = fn(cols, n, arg)))
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = st_fail(st, err, "query");
	sqlite3_finalize(s);
	return rc;
}

int
mx_store_check_query(mx_store *st, const char *rule, const char *sql, mx_check_fn fn,
    void *arg, long *violations, mx_err *err)
{
	return report_rows(st, rule, sql, fn, arg, violations, err);
}

/* ---- the logical state as one hash ---- */

static void
hash_value(EVP_MD_CTX *ctx, sqlite3_stmt *s, int col)
{
	int t = sqlite3_column_type(s, col);
	uint8_t tag = (uint8_t)t;
	EVP_DigestUpdate(ctx, &tag, 1);
	if (t == SQLITE_NULL)
		return;
	if (t == SQLITE_INTEGER) {
		int64_t v = sqlite3_column_int64(s, col);
		EVP_DigestUpdate(ctx, &v, sizeof v);
		return;
	}
	if (t == SQLITE_FLOAT) {
		double v = sqlite3_column_double(s, col);
		EVP_DigestUpdate(ctx, &v, sizeof v);
		return;
	}
	const void *p = t == SQLITE_BLOB ? sqlite3_column_blob(s, col) :
	    (const void *)sqlite3_column_text(s, col);
	uint64_t len = (uint64_t)sqlite3_column_bytes(s, col);
	EVP_DigestUpdate(ctx, &len, sizeof len);
	if (len)
		EVP_DigestUpdate(ctx, p, (size_t)len);
}

int
mx_store_digest(mx_store *st, char out[65], mx_err *err)
{
	sqlite3_stmt *tabs, *s;
	if (sqlite3_prepare_v2(st->db, "SELECT name FROM sqlite_master WHERE type = 'table'"
	    " AND name NOT LIKE 'sqlite_%' ORDER BY name", -1, &tabs, NULL) != SQLITE_OK)
		return st_fail(st, err, "digest");
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	int rc = 0, step;
	while (rc == 0 && (step = sqlite3_step(tabs)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(tabs, 0);
		EVP_DigestUpdate(ctx, t, strlen(t) + 1);
		/* a full scan visits rows in rowid / primary-key order: equal
		 * contents give equal digests */
		char *sql = sqlite3_mprintf("SELECT * FROM \"%w\"", t);
		if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
			sqlite3_free(sql);
			rc = st_fail(st, err, "digest");
			break;
		}
		sqlite3_free(sql);
		int ncol = sqlite3_column_count(s);
		while ((step = sqlite3_step(s)) == SQLITE_ROW)
			for (int c = 0; c < ncol; c++)
				hash_value(ctx, s, c);
		if (step != SQLITE_DONE)
			rc = st_fail(st, err, "digest");
		sqlite3_finalize(s);
	}
	sqlite3_finalize(tabs);
	uint8_t d[32];
	unsigned dl;
	EVP_DigestFinal_ex(ctx, d, &dl);
	EVP_MD_CTX_free(ctx);
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
	return rc;
}

/* ---- fleet selections ---- */

int
mx_store_fleet_select(mx_store *st, const int64_t *ids, size_t n, mx_err *err)
{
	int rc;
	if ((rc = st_exec(st, "CREATE TEMP TABLE IF NOT EXISTS fleet_sel (id INTEGER PRIMARY KEY);"
	    "DELETE FROM fleet_sel", err)))
		return rc;
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, "INSERT OR IGNORE INTO fleet_sel (id) VALUES (?)", -1, &s,
	    NULL) != SQLITE_OK)
		return st_fail(st, err, "fleet selection");
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, ids[i]);
		if (sqlite3_step(s) != SQLITE_DONE) {
			rc = st_fail(st, err, "fleet selection");
			break;
		}
	}
	sqlite3_finalize(s);
	return rc;
}

int
mx_store_fleet_count(mx_store *st, const char *table, const char *expr,
    int (*fn)(const char *value, int64_t devices, void *), void *arg, mx_err *err)
{
	if (!table_exists(st, table))
		return 0;
	const char *key = strcmp(table, "devices") == 0 ? "id" : "device_id";
	char *sql = sqlite3_mprintf("SELECT %s, count(DISTINCT %s) FROM \"%w\""
	    " WHERE %s IN (SELECT id FROM fleet_sel) GROUP BY 1 ORDER BY 2 DESC, 1", expr, key,
	    table, key);
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return st_fail(st, err, "fleet count");
	rc = 0;
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		if ((rc = fn(v ? v : "", sqlite3_column_int64(s, 1), arg)))
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = st_fail(st, err, "fleet count");
	sqlite3_finalize(s);
	return rc;
}
