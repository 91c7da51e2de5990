/*
 * kextpolicy.c — /var/db/SystemPolicyConfiguration/KextPolicy, syspolicyd's
 * SQLite database, as a file (kernel-extensions.md §2.1-§2.3).  The DDL is
 * Apple's as captured (macinbox, `.schema` dumps), in that order, with the
 * cdhash column Apple's klist_cdhashes reads (10.15+):
 *
 *   kext_load_history_v3 (path TEXT PRIMARY KEY, team_id, bundle_id, boot_uuid,
 *                         created_at, last_seen TEXT, flags INTEGER, cdhash TEXT)
 *   kext_policy          (team_id, bundle_id TEXT, allowed BOOLEAN, developer_name TEXT,
 *                         flags INTEGER, PRIMARY KEY (team_id, bundle_id))
 *   kext_policy_mdm      (team_id, bundle_id TEXT, allowed BOOLEAN, payload_uuid TEXT,
 *                         PRIMARY KEY (team_id, bundle_id))
 *   settings             (name TEXT, value TEXT, PRIMARY KEY (name))
 *
 * Written by building the database in memory and serializing it (a
 * rollback-journal file the sqlite3 shell opens), read by deserializing
 * untrusted bytes read-only in memory: no journal, no WAL, no file of the
 * caller's touched.  The schema is checked before any row is read, then
 * every value's type and form.  The store's tables of the same names hold
 * the same columns per device (schema.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "macext/devstate.h"
#include "macext/sysextdb.h"

enum coltype { C_TEXT, C_INT };
struct col { const char *name, *decl; enum coltype type; int pk; };
static const struct tbl {
	const char *name, *ddl, *order;
	int ncols;
	struct col cols[8];
	bool required;
} tables[MX_KP_NTABLES] = {
	[MX_KP_HISTORY] = { "kext_load_history_v3",
	    "CREATE TABLE kext_load_history_v3 ( path TEXT PRIMARY KEY, team_id TEXT, bundle_id TEXT,"
	    " boot_uuid TEXT, created_at TEXT, last_seen TEXT, flags INTEGER , cdhash TEXT )",
	    "path", 8, { { "path", "TEXT", C_TEXT, 1 }, { "team_id", "TEXT", C_TEXT, 0 },
	    { "bundle_id", "TEXT", C_TEXT, 0 }, { "boot_uuid", "TEXT", C_TEXT, 0 },
	    { "created_at", "TEXT", C_TEXT, 0 }, { "last_seen", "TEXT", C_TEXT, 0 },
	    { "flags", "INTEGER", C_INT, 0 }, { "cdhash", "TEXT", C_TEXT, 0 } }, false },
	[MX_KP_POLICY] = { "kext_policy",
	    "CREATE TABLE kext_policy ( team_id TEXT, bundle_id TEXT, allowed BOOLEAN,"
	    " developer_name TEXT, flags INTEGER, PRIMARY KEY (team_id, bundle_id) )",
	    "team_id, bundle_id", 5, { { "team_id", "TEXT", C_TEXT, 1 },
	    { "bundle_id", "TEXT", C_TEXT, 2 }, { "allowed", "BOOLEAN", C_INT, 0 },
	    { "developer_name", "TEXT", C_TEXT, 0 }, { "flags", "INTEGER", C_INT, 0 } }, true },
	[MX_KP_MDM] = { "kext_policy_mdm",
	    "CREATE TABLE kext_policy_mdm ( team_id TEXT, bundle_id TEXT, allowed BOOLEAN,"
	    " payload_uuid TEXT, PRIMARY KEY (team_id, bundle_id) )",
	    "team_id, bundle_id", 4, { { "team_id", "TEXT", C_TEXT, 1 },
	    { "bundle_id", "TEXT", C_TEXT, 2 }, { "allowed", "BOOLEAN", C_INT, 0 },
	    { "payload_uuid", "TEXT", C_TEXT, 0 } }, true },
	[MX_KP_SETTINGS] = { "settings",
	    "CREATE TABLE settings ( name TEXT, value TEXT, PRIMARY KEY (name) )",
	    "name", 2, { { "name", "TEXT", C_TEXT, 1 }, { "value", "TEXT", C_TEXT, 0 } }, false },
};

const char *
mx_kpdb_table(int t)
{
	return t >= 0 && t < MX_KP_NTABLES ? tables[t].name : NULL;
}

int
mx_kpdb_ncols(int t)
{
	return t >= 0 && t < MX_KP_NTABLES ? tables[t].ncols : 0;
}

const char *
mx_kpdb_col(int t, int c)
{
	return c >= 0 && c < mx_kpdb_ncols(t) ? tables[t].cols[c].name : NULL;
}

void
mx_kpdb_free(mx_kpdb *db)
{
	for (int t = 0; t < MX_KP_NTABLES; t++) {
		size_t n = db->t[t].n * (size_t)tables[t].ncols;
		for (size_t i = 0; i < n; i++)
			free(db->t[t].v[i].s);
		free(db->t[t].v);
	}
	memset(db, 0, sizeof *db);
}

static int
db_fail(sqlite3 *db, mx_err *err, const char *name, const char *what)
{
	return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s: %s", name, what,
	    db ? sqlite3_errmsg(db) : "out of memory");
}

static void
bind_val(sqlite3_stmt *s, int i, const mx_sqlval *v)
{
	if (v->type == MX_SQL_INT)
		sqlite3_bind_int64(s, i, v->i);
	else if (v->type == MX_SQL_TEXT && v->s)
		sqlite3_bind_text(s, i, v->s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

/* "INSERT INTO t (a, b) VALUES (?1, ?2)" with an optional leading device_id */
static void
insert_sql(char *out, size_t len, int t, bool device)
{
	int o = snprintf(out, len, "INSERT INTO %s (%s", tables[t].name, device ? "device_id, " : "");
	for (int c = 0; c < tables[t].ncols; c++)
		o += snprintf(out + o, len - (size_t)o, "%s\"%s\"", c ? ", " : "", tables[t].cols[c].name);
	o += snprintf(out + o, len - (size_t)o, ") VALUES (");
	int n = tables[t].ncols + (device ? 1 : 0);
	for (int c = 0; c < n; c++)
		o += snprintf(out + o, len - (size_t)o, "%s?%d", c ? ", " : "", c + 1);
	snprintf(out + o, len - (size_t)o, ")");
}

int
mx_kpdb_write(const mx_kpdb *db, uint8_t **out, size_t *len, mx_err *err)
{
	*out = NULL;
	*len = 0;
	sqlite3 *s = NULL;
	if (sqlite3_open_v2(":memory:", &s, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		return db_fail(s, err, "KextPolicy", "open");
	int rc = 0;
	if (sqlite3_exec(s, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		rc = db_fail(s, err, "KextPolicy", "begin");
	for (int t = 0; rc == 0 && t < MX_KP_NTABLES; t++)
		if (sqlite3_exec(s, tables[t].ddl, NULL, NULL, NULL) != SQLITE_OK)
			rc = db_fail(s, err, "KextPolicy", tables[t].name);
	for (int t = 0; rc == 0 && t < MX_KP_NTABLES; t++) {
		char sql[512];
		insert_sql(sql, sizeof sql, t, false);
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(s, sql, -1, &st, NULL) != SQLITE_OK) {
			rc = db_fail(s, err, "KextPolicy", tables[t].name);
			break;
		}
		for (size_t r = 0; rc == 0 && r < db->t[t].n; r++) {
			for (int c = 0; c < tables[t].ncols; c++)
				bind_val(st, c + 1, &db->t[t].v[r * (size_t)tables[t].ncols + (size_t)c]);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = db_fail(s, err, "KextPolicy", tables[t].name);
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
		}
		sqlite3_finalize(st);
	}
	if (rc == 0 && sqlite3_exec(s, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = db_fail(s, err, "KextPolicy", "commit");
	if (rc == 0) {
		sqlite3_int64 n = 0;
		unsigned char *img = sqlite3_serialize(s, "main", &n, 0);
		if (img == NULL || n <= 0) {
			rc = db_fail(s, err, "KextPolicy", "serialize");
		} else {
			*out = mx_xmalloc((size_t)n);
			memcpy(*out, img, (size_t)n);
			*len = (size_t)n;
		}
		sqlite3_free(img);
	}
	sqlite3_close(s);
	return rc;
}

/* ---- reading untrusted bytes ---- */

static bool
team_ok(const char *s)
{
	size_t n = strlen(s);
	if (n > 20)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]))
			return false;
	return true;
}

static bool
bundle_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-._", s[i]))
			return false;
	return true;
}

/* The form a value must have in its column: protects everything that
 * later reads these rows (policy decisions, paths, alerts). */
static const char *
check_value(int t, int c, const mx_sqlval *v)
{
	const char *col = tables[t].cols[c].name;
	if (v->type == MX_SQL_NULL)
		return (t == MX_KP_HISTORY && c == 0) || (t == MX_KP_SETTINGS && c == 0)
		    ? "may not be NULL" : NULL;
	if (v->type == MX_SQL_INT) {
		if (strcmp(col, "allowed") == 0 && v->i != 0 && v->i != 1)
			return "expected 0 or 1";
		if (strcmp(col, "flags") == 0 && (v->i < 0 || v->i > 0xffffffffLL))
			return "expected a 32-bit flag word";
		return NULL;
	}
	const char *s = v->s;
	if (strcmp(col, "team_id") == 0)
		return team_ok(s) ? NULL : "expected a Team ID (up to 20 letters and digits) or ''";
	if (strcmp(col, "bundle_id") == 0)
		return bundle_ok(s) ? NULL : "expected a bundle identifier";
	if (strcmp(col, "path") == 0)
		return mx_devpath_ok(s, 1024) ? NULL : "expected an absolute path without \"..\"";
	if (strcmp(col, "cdhash") == 0) {
		size_t n = strlen(s);
		bool hex = n == 40 || n == 64;
		for (size_t i = 0; hex && i < n; i++)
			hex = isxdigit((unsigned char)s[i]);
		return hex ? NULL : "expected a hex cdhash";
	}
	return NULL;
}

/* The schema: only Apple's tables (and SQLite's own indexes for their
 * primary keys); each table's columns by name, declared type and key. */
static int
check_schema(sqlite3 *s, const char *name, bool present[MX_KP_NTABLES], bool *has_cdhash,
    mx_err *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s, "SELECT type, name, tbl_name FROM sqlite_master", -1, &st, NULL)
	    != SQLITE_OK)
		return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: unreadable schema: %s", name,
		    sqlite3_errmsg(s));
	int rc = 0, step;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		const char *n = (const char *)sqlite3_column_text(st, 1);
		const char *tbl = (const char *)sqlite3_column_text(st, 2);
		type = type ? type : "";
		n = n ? n : "";
		tbl = tbl ? tbl : "";
		int t = -1;
		for (int k = 0; k < MX_KP_NTABLES; k++)
			if (strcmp(tbl, tables[k].name) == 0)
				t = k;
		char want[80];
		snprintf(want, sizeof want, "sqlite_autoindex_%s_1", tbl);
		if (strcmp(type, "table") == 0 && t >= 0 && strcmp(n, tbl) == 0)
			present[t] = true;
		else if (!(strcmp(type, "index") == 0 && t >= 0 && strcmp(n, want) == 0))
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: %s '%.64s' is not part of Apple's"
			    " KextPolicy schema (kext_policy, kext_policy_mdm, kext_load_history_v3,"
			    " settings)", name, type, n);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: unreadable schema: %s", name,
		    sqlite3_errmsg(s));
	sqlite3_finalize(st);
	for (int t = 0; rc == 0 && t < MX_KP_NTABLES; t++) {
		if (!present[t]) {
			if (tables[t].required)
				rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: no table %s", name,
				    tables[t].name);
			continue;
		}
		char sql[128];
		snprintf(sql, sizeof sql, "SELECT name, type, pk FROM pragma_table_info('%s')",
		    tables[t].name);
		if (sqlite3_prepare_v2(s, sql, -1, &st, NULL) != SQLITE_OK)
			return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: %s: %s", name, tables[t].name,
			    sqlite3_errmsg(s));
		int c = 0;
		while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
			const char *cn = (const char *)sqlite3_column_text(st, 0);
			const char *ct = (const char *)sqlite3_column_text(st, 1);
			int pk = sqlite3_column_int(st, 2);
			const struct col *w = c < tables[t].ncols ? &tables[t].cols[c] : NULL;
			if (w == NULL || cn == NULL || ct == NULL || strcmp(cn, w->name) != 0 ||
			    strcasecmp(ct, w->decl) != 0 || pk != w->pk)
				rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: %s column %d is %s %s%s,"
				    " Apple's is %s %s%s", name, tables[t].name, c + 1, cn ? cn : "?",
				    ct ? ct : "?", pk ? " (key)" : "", w ? w->name : "(none)",
				    w ? w->decl : "", w && w->pk ? " (key)" : "");
			c++;
		}
		sqlite3_finalize(st);
		/* kext_load_history_v3 without cdhash is Apple's pre-10.15 form */
		int want = tables[t].ncols;
		if (t == MX_KP_HISTORY && c == want - 1) {
			*has_cdhash = false;
		} else if (rc == 0 && c != want) {
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: %s has %d columns, Apple's has %d",
			    name, tables[t].name, c, want);
		}
	}
	return rc;
}

static int
read_table(sqlite3 *s, int t, bool has_cdhash, mx_kp_rows *out, const char *name, mx_err *err)
{
	int nc = tables[t].ncols, nread = (t == MX_KP_HISTORY && !has_cdhash) ? nc - 1 : nc;
	char sql[512];
	int o = snprintf(sql, sizeof sql, "SELECT ");
	for (int c = 0; c < nread; c++)
		o += snprintf(sql + o, sizeof sql - (size_t)o, "%s\"%s\"", c ? ", " : "",
		    tables[t].cols[c].name);
	snprintf(sql + o, sizeof sql - (size_t)o, " FROM %s ORDER BY rowid", tables[t].name);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s, sql, -1, &st, NULL) != SQLITE_OK)
		return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: %s: %s", name, tables[t].name,
		    sqlite3_errmsg(s));
	int rc = 0, step;
	size_t cap = 0;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->n == MX_KPDB_MAX_ROWS) {
			rc = MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: %s: more than %d rows", name,
			    tables[t].name, MX_KPDB_MAX_ROWS);
			break;
		}
		if (out->n == cap) {
			cap = cap ? cap * 2 : 16;
			out->v = mx_xrealloc(out->v, cap * (size_t)nc * sizeof *out->v);
		}
		mx_sqlval *row = &out->v[out->n * (size_t)nc];
		memset(row, 0, (size_t)nc * sizeof *row);
		out->n++;
		for (int c = 0; rc == 0 && c < nread; c++) {
			mx_sqlval *v = &row[c];
			int ty = sqlite3_column_type(st, c);
			const char *why = NULL;
			if (ty == SQLITE_NULL) {
				v->type = MX_SQL_NULL;
			} else if (ty == SQLITE_INTEGER && tables[t].cols[c].type == C_INT) {
				v->type = MX_SQL_INT;
				v->i = sqlite3_column_int64(st, c);
			} else if (ty == SQLITE_TEXT && tables[t].cols[c].type == C_TEXT) {
				const unsigned char *tx = sqlite3_column_text(st, c);
				int nb = sqlite3_column_bytes(st, c);
				if (nb > MX_KPDB_MAX_TEXT)
					why = "longer than 4096 bytes";
				else if (tx == NULL || strlen((const char *)tx) != (size_t)nb)
					why = "holds a NUL byte";
				else if (!mx_text_ok((const char *)tx))
					why = "not UTF-8 text";
				else {
					v->type = MX_SQL_TEXT;
					v->s = mx_xstrdup((const char *)tx);
				}
			} else {
				why = tables[t].cols[c].type == C_INT ? "expected an integer" : "expected text";
			}
			if (why == NULL)
				why = check_value(t, c, v);
			if (why)
				rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: %s row %zu, %s: %s", name,
				    tables[t].name, out->n, tables[t].cols[c].name, why);
		}
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: %s: %s", name, tables[t].name,
		    sqlite3_errmsg(s));
	sqlite3_finalize(st);
	return rc;
}

int
mx_kpdb_read(mx_kpdb *out, const uint8_t *buf, size_t len, const char *name, mx_err *err)
{
	memset(out, 0, sizeof *out);
	if (len > MX_KPDB_MAX_BYTES)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: %zu bytes, over the %u MiB cap", name,
		    len, MX_KPDB_MAX_BYTES >> 20);
	/* the header before SQLite sees anything: magic, a page size it allows,
	 * a length that is whole pages */
	if (len < 100 || memcmp(buf, "SQLite format 3", 16) != 0)
		return MX_FAIL(err, MX_EFORMAT, 0, "%s: not an SQLite 3 database", name);
	unsigned ps = (unsigned)buf[16] << 8 | buf[17];
	if (ps == 1)
		ps = 65536;
	if (ps < 512 || (ps & (ps - 1)) || len % ps)
		return MX_FAIL(err, MX_EFORMAT, 16, "%s: page size %u does not divide %zu bytes", name,
		    ps, len);
	if (buf[18] < 1 || buf[18] > 2 || buf[19] < 1 || buf[19] > 2)
		return MX_FAIL(err, MX_EFORMAT, 18, "%s: file format versions %u/%u", name, buf[18],
		    buf[19]);
	sqlite3 *s = NULL;
	if (sqlite3_open_v2(":memory:", &s, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_close(s);
		return db_fail(NULL, err, name, "open");
	}
	sqlite3_db_config(s, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(s, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(s, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_db_config(s, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
	sqlite3_limit(s, SQLITE_LIMIT_LENGTH, 1 << 20);
	sqlite3_limit(s, SQLITE_LIMIT_SQL_LENGTH, 1 << 16);
	unsigned char *img = sqlite3_malloc64(len);
	int rc = 0;
	if (img == NULL) {
		rc = MX_FAIL(err, MX_ENOMEM, MX_NO_OFFSET, "%s: out of memory", name);
	} else {
		memcpy(img, buf, len);
		/* a WAL-mode file read alone is its last checkpoint: read it as a
		 * rollback-journal file (the caller refuses a non-empty -wal beside it) */
		img[18] = img[19] = 1;
		if (sqlite3_deserialize(s, "main", img, (sqlite3_int64)len, (sqlite3_int64)len,
		    SQLITE_DESERIALIZE_READONLY | SQLITE_DESERIALIZE_FREEONCLOSE) != SQLITE_OK)
			rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: %s", name, sqlite3_errmsg(s));
	}
	/* a page-level check first: a corrupt b-tree is a clear refusal */
	if (rc == 0) {
		sqlite3_stmt *st = NULL;
		const unsigned char *r = NULL;
		if (sqlite3_prepare_v2(s, "PRAGMA quick_check(1)", -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			r = sqlite3_column_text(st, 0);
		if (r == NULL || strcmp((const char *)r, "ok") != 0)
			rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "%s: damaged database: %.200s", name,
			    r ? (const char *)r : sqlite3_errmsg(s));
		sqlite3_finalize(st);
	}
	bool present[MX_KP_NTABLES] = { false }, has_cdhash = true;
	if (rc == 0)
		rc = check_schema(s, name, present, &has_cdhash, err);
	for (int t = 0; rc == 0 && t < MX_KP_NTABLES; t++)
		if (present[t])
			rc = read_table(s, t, has_cdhash, &out->t[t], name, err);
	sqlite3_close(s);
	if (rc)
		mx_kpdb_free(out);
	return rc;
}

/* ---- the device's rows in the store ---- */

int
mx_store_kpdb_gather(mx_store *st, int64_t device_id, mx_kpdb *out, mx_err *err)
{
	memset(out, 0, sizeof *out);
	for (int t = 0; t < MX_KP_NTABLES; t++) {
		char sql[512];
		int o = snprintf(sql, sizeof sql, "SELECT ");
		for (int c = 0; c < tables[t].ncols; c++)
			o += snprintf(sql + o, sizeof sql - (size_t)o, "%s\"%s\"", c ? ", " : "",
			    tables[t].cols[c].name);
		snprintf(sql + o, sizeof sql - (size_t)o, " FROM %s WHERE device_id = ?1 ORDER BY %s",
		    tables[t].name, tables[t].order);
		sqlite3_stmt *s = NULL;
		if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
			mx_kpdb_free(out);
			return st_fail(st, err, tables[t].name);
		}
		sqlite3_bind_int64(s, 1, device_id);
		int nc = tables[t].ncols, step;
		size_t cap = 0;
		mx_kp_rows *r = &out->t[t];
		while ((step = sqlite3_step(s)) == SQLITE_ROW) {
			if (r->n == cap) {
				cap = cap ? cap * 2 : 16;
				r->v = mx_xrealloc(r->v, cap * (size_t)nc * sizeof *r->v);
			}
			mx_sqlval *row = &r->v[r->n++ * (size_t)nc];
			for (int c = 0; c < nc; c++) {
				memset(&row[c], 0, sizeof row[c]);
				int ty = sqlite3_column_type(s, c);
				if (ty == SQLITE_INTEGER) {
					row[c].type = MX_SQL_INT;
					row[c].i = sqlite3_column_int64(s, c);
				} else if (ty != SQLITE_NULL) {
					row[c].type = MX_SQL_TEXT;
					row[c].s = mx_xstrdup((const char *)sqlite3_column_text(s, c));
				}
			}
		}
		sqlite3_finalize(s);
		if (step != SQLITE_DONE) {
			mx_kpdb_free(out);
			return st_fail(st, err, tables[t].name);
		}
	}
	return 0;
}

int
mx_store_kpdb_insert(mx_store *st, int64_t device_id, const mx_kpdb *db, mx_err *err)
{
	for (int t = 0; t < MX_KP_NTABLES; t++) {
		char sql[512];
		insert_sql(sql, sizeof sql, t, true);
		sqlite3_stmt *s = NULL;
		if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
			return st_fail(st, err, tables[t].name);
		int rc = 0;
		for (size_t r = 0; rc == 0 && r < db->t[t].n; r++) {
			sqlite3_bind_int64(s, 1, device_id);
			for (int c = 0; c < tables[t].ncols; c++)
				bind_val(s, c + 2, &db->t[t].v[r * (size_t)tables[t].ncols + (size_t)c]);
			rc = st_write(st, s, tables[t].name, err);
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
		}
		sqlite3_finalize(s);
		if (rc)
			return rc;
	}
	return 0;
}
