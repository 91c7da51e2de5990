/*
 * store.c — opening the state directory, migrations, transactions, the
 * statement cache and the fault-injection hook used by the crash tests.
 *
 * Durability: WAL with synchronous=FULL, so a command that reported success
 * survives a crash or power loss; a killed command leaves the last committed
 * state (SQLite's atomic commit).  Writers wait up to MACEXT_BUSY_MS
 * (default 10 s) for the lock, then fail with MX_EBUSY.
 */
#include <errno.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_int.h"

extern const char *const mx_schema_migrations[];
extern const int mx_schema_nmigrations;

int
st_fail(mx_store *st, mx_err *err, const char *what)
{
	int rc = sqlite3_extended_errcode(st->db);
	int code = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ? MX_EBUSY :
	    (rc & 0xff) == SQLITE_FULL ? MX_EIO : (rc & 0xff) == SQLITE_CONSTRAINT ? MX_EEXIST : MX_EIO;
	if (code == MX_EBUSY)
		return MX_FAIL(err, code, MX_NO_OFFSET,
		    "%s: the state store at %s stayed locked by another macext; try again", what,
		    st->dir);
	return MX_FAIL(err, code, MX_NO_OFFSET, "%s: %s (state store %s/macext.db)", what,
	    sqlite3_errmsg(st->db), st->dir);
}

int
st_prepare(mx_store *st, sqlite3_stmt **out, const char *sql, mx_err *err)
{
	int i;
	for (i = 0; i < ST_CACHE && st->cache[i].sql; i++)
		if (st->cache[i].sql == sql) {
			sqlite3_reset(st->cache[i].stmt);
			sqlite3_clear_bindings(st->cache[i].stmt);
			*out = st->cache[i].stmt;
			return 0;
		}
	sqlite3_stmt *s;
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
		return st_fail(st, err, "prepare");
	if (i < ST_CACHE) {
		st->cache[i].sql = sql;
		st->cache[i].stmt = s;
	} else {
		/* cache full: replace the last entry */
		sqlite3_finalize(st->cache[ST_CACHE - 1].stmt);
		st->cache[ST_CACHE - 1].sql = sql;
		st->cache[ST_CACHE - 1].stmt = s;
	}
	*out = s;
	return 0;
}

int
mx_store_fault_point(mx_store *st, mx_err *err)
{
	st->writes++;
	if (st->fault_at > 0 && st->writes == st->fault_at) {
		if (st->fault_kill)
			kill(getpid(), SIGKILL);
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET,
		    "injected I/O fault at write %ld (MACEXT_FAULT)", st->writes);
	}
	return 0;
}

int
st_write(mx_store *st, sqlite3_stmt *s, const char *what, mx_err *err)
{
	int rc = mx_store_fault_point(st, err);
	if (rc)
		return rc;
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return st_fail(st, err, what);
	return 0;
}

int
st_run(mx_store *st, const char *sql, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, sql, err);
	if (rc)
		return rc;
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		rc = st_fail(st, err, "exec");
		sqlite3_reset(s);
		return rc;
	}
	sqlite3_reset(s);
	return 0;
}

int
st_prepare_iter(mx_store *st, sqlite3_stmt **out, bool *owned, const char *sql, mx_err *err)
{
	*owned = false;
	for (int i = 0; i < ST_CACHE && st->cache[i].sql; i++)
		if (st->cache[i].sql == sql && sqlite3_stmt_busy(st->cache[i].stmt)) {
			/* an iteration over the same query is under way: a fresh one */
			*owned = true;
			if (sqlite3_prepare_v2(st->db, sql, -1, out, NULL) != SQLITE_OK)
				return st_fail(st, err, "prepare");
			return 0;
		}
	return st_prepare(st, out, sql, err);
}

void
st_done_iter(sqlite3_stmt *s, bool owned)
{
	if (owned)
		sqlite3_finalize(s);
	else
		sqlite3_reset(s);
}

int
st_exec(mx_store *st, const char *sql, mx_err *err)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = st_fail(st, err, "exec");
		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

void
st_text(sqlite3_stmt *s, int col, char *buf, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	size_t n = t ? (size_t)sqlite3_column_bytes(s, col) : 0;
	if (len == 0)
		return;
	if (n >= len)
		n = len - 1;
	if (n)
		memcpy(buf, t, n);
	buf[n] = '\0';
}

static int
mkdirs(const char *dir, mx_err *err)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", tmp, strerror(errno));
	return 0;
}

static int
migrate(mx_store *st, mx_err *err)
{
	sqlite3_stmt *s;
	int have = 0, rc;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return st_fail(st, err, "read schema version");
	if (sqlite3_step(s) == SQLITE_ROW)
		have = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (have == mx_schema_nmigrations)
		return 0;
	if (have > mx_schema_nmigrations)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET,
		    "%s/macext.db has schema version %d, newer than this macext (%d)", st->dir, have,
		    mx_schema_nmigrations);
	if ((rc = st_exec(st, "BEGIN IMMEDIATE", err)))
		return rc;
	/* re-read under the lock: another process may have migrated meanwhile */
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return st_fail(st, err, "read schema version");
	if (sqlite3_step(s) == SQLITE_ROW)
		have = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	for (int v = have; v < mx_schema_nmigrations; v++) {
		if ((rc = st_exec(st, mx_schema_migrations[v], err))) {
			st_exec(st, "ROLLBACK", NULL);
			mx_err_where(err, "migration %d: ", v + 1);
			return rc;
		}
	}
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", mx_schema_nmigrations);
	if ((rc = st_exec(st, sql, err)) || (rc = st_exec(st, "COMMIT", err))) {
		st_exec(st, "ROLLBACK", NULL);
		return rc;
	}
	return 0;
}

static pthread_once_t configure_once = PTHREAD_ONCE_INIT;

static void
configure_sqlite(void)
{
	sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int
mx_store_open(mx_store **out, const char *dir, mx_err *err)
{
	*out = NULL;
	int rc;
	/* One thread uses a connection (each thread of macext serve opens its
	 * own engine, hence its own connection): no per-call mutexes, no global
	 * memory statistics (a mutex on every allocation).  This only works
	 * before SQLite initialises, i.e. once, before the first open. */
	pthread_once(&configure_once, configure_sqlite);
	if ((rc = mkdirs(dir, err)))
		return rc;
	mx_store *st = mx_xcalloc(1, sizeof *st);
	if (realpath(dir, st->dir) == NULL)
		snprintf(st->dir, sizeof st->dir, "%s", dir);
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/macext.db", st->dir);
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL)
	    != SQLITE_OK) {
		rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path,
		    st->db ? sqlite3_errmsg(st->db) : "cannot open");
		mx_store_close(st);
		return rc;
	}
	const char *busy = getenv("MACEXT_BUSY_MS");
	sqlite3_busy_timeout(st->db, busy ? atoi(busy) : 10000);
	const char *fault = getenv("MACEXT_FAULT");
	st->fault_at = fault ? atol(fault) : 0;
	st->fault_kill = getenv("MACEXT_FAULT_KILL") != NULL;
	if ((rc = st_exec(st, "PRAGMA journal_mode=WAL", err)) ||
	    (rc = st_exec(st, "PRAGMA synchronous=FULL", err)) ||
	    (rc = st_exec(st, "PRAGMA foreign_keys=ON", err)) ||
	    (rc = st_exec(st, "PRAGMA cache_size=-32768", err)) ||
	    (rc = st_exec(st, "PRAGMA temp_store=MEMORY", err)) ||
	    (rc = migrate(st, err))) {
		mx_store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void
mx_store_close(mx_store *st)
{
	if (st == NULL)
		return;
	if (st->in_tx)
		mx_store_rollback(st);
	if (st->batch)
		mx_store_batch_rollback(st);
	for (int i = 0; i < ST_CACHE && st->cache[i].sql; i++)
		sqlite3_finalize(st->cache[i].stmt);
	sqlite3_close(st->db);
	free(st);
}

const char *
mx_store_dir(const mx_store *st)
{
	return st->dir;
}

int
mx_store_begin(mx_store *st, mx_err *err)
{
	if (!st->batch)
		st_forget_device(st);
	/* inside a batch a command's transaction is a savepoint of the batch's */
	if (st->batch && sqlite3_get_autocommit(st->db))
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "the batch transaction was rolled back by"
		    " an earlier store error (state store %s/macext.db)", st->dir);
	int rc = st_run(st, st->batch ? "SAVEPOINT cmd" : "BEGIN IMMEDIATE", err);
	if (rc == 0) {
		st->in_tx = 1;
		st->read_tx = 0;
	}
	return rc;
}

int
mx_store_begin_read(mx_store *st, mx_err *err)
{
	if (!st->batch)
		st_forget_device(st);
	if (st->batch && sqlite3_get_autocommit(st->db))
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "the batch transaction was rolled back by"
		    " an earlier store error (state store %s/macext.db)", st->dir);
	/* DEFERRED: a snapshot at the first read, no write lock, so readers never
	 * wait for (or block) the writers of WAL mode */
	int rc = st_run(st, st->batch ? "SAVEPOINT cmd" : "BEGIN DEFERRED", err);
	if (rc == 0) {
		st->in_tx = 1;
		st->read_tx = 1;
	}
	return rc;
}

int
mx_store_commit(mx_store *st, mx_err *err)
{
	if (!st->batch)
		st_forget_device(st);
	/* a read transaction wrote nothing: no fault point for it */
	int rc = st->read_tx ? 0 : mx_store_fault_point(st, err);
	if (rc == 0)
		rc = st_run(st, st->batch ? "RELEASE cmd" : "COMMIT", err);
	if (rc) {
		mx_store_rollback(st);
		return rc;
	}
	st->in_tx = 0;
	st->read_tx = 0;
	return 0;
}

void
mx_store_rollback(mx_store *st)
{
	st_forget_device(st);
	if (st->in_tx)
		sqlite3_exec(st->db, st->batch ? "ROLLBACK TO cmd; RELEASE cmd" : "ROLLBACK", NULL,
		    NULL, NULL);
	st->in_tx = 0;
	st->read_tx = 0;
}

int
mx_store_batch_begin(mx_store *st, mx_err *err)
{
	st_forget_device(st);
	if (st->batch || st->in_tx)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "a store transaction is already open");
	int rc = st_exec(st, "BEGIN IMMEDIATE", err);
	if (rc == 0)
		st->batch = 1;
	return rc;
}

int
mx_store_batch_commit(mx_store *st, mx_err *err)
{
	st_forget_device(st);
	if (st->in_tx)
		mx_store_rollback(st);
	if (st->batch && sqlite3_get_autocommit(st->db)) {
		/* SQLite rolled the whole transaction back after an I/O or full-disk error */
		st->batch = 0;
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET,
		    "the batch was rolled back by an earlier store error (state store %s/macext.db)",
		    st->dir);
	}
	int rc = mx_store_fault_point(st, err);
	if (rc == 0)
		rc = st_exec(st, "COMMIT", err);
	if (rc) {
		mx_store_batch_rollback(st);
		return rc;
	}
	st->batch = 0;
	return 0;
}

void
mx_store_batch_rollback(mx_store *st)
{
	st_forget_device(st);
	if (st->batch)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->batch = 0;
	st->in_tx = 0;
}

long
mx_store_writes(const mx_store *st)
{
	return st->writes;
}

int
mx_store_schema_version(mx_store *st)
{
	(void)st;
	return mx_schema_nmigrations;
}

int
mx_store_integrity_check(mx_store *st, mx_err *err)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK)
		return st_fail(st, err, "integrity_check");
	int ok = sqlite3_step(s) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0;
	char first[256] = "";
	if (!ok && sqlite3_column_text(s, 0))
		snprintf(first, sizeof first, "%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return ok ? 0 : MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "integrity_check: %s", first);
}
