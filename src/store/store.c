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
#include "macext/text.h"

extern const char *const mx_schema_migrations[];
extern const int mx_schema_nmigrations;

/* What a failed write says when the file system is the cause (issue 14
 * §12): "the disk is full" and "the state directory is read-only" name the
 * path, so an administrator knows what to free or remount. */
int
st_errno_fail(mx_err *err, int code, const char *path, int e)
{
	if (e == ENOSPC || e == EDQUOT)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: the disk is full (%s)", path,
		    strerror(e));
	if (e == EROFS || e == EACCES || e == EPERM)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: the state directory is read-only (%s)",
		    path, strerror(e));
	return MX_FAIL(err, code, MX_NO_OFFSET, "%s: %s", path, strerror(e));
}

int
st_fail(mx_store *st, mx_err *err, const char *what)
{
	int rc = sqlite3_extended_errcode(st->db), prim = rc & 0xff;
	int sys = sqlite3_system_errno(st->db);
	int code = prim == SQLITE_BUSY || prim == SQLITE_LOCKED ? MX_EBUSY :
	    prim == SQLITE_CONSTRAINT ? MX_EEXIST : MX_EIO;
	if (code == MX_EBUSY)
		return MX_FAIL(err, code, MX_NO_OFFSET,
		    "%s: the state store at %s stayed locked by another macext; try again", what,
		    st->dir);
	if (prim == SQLITE_FULL || sys == ENOSPC || sys == EDQUOT)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: the disk is full (state store "
		    "%s/macext.db: %s)", what, st->dir, sqlite3_errmsg(st->db));
	if (prim == SQLITE_READONLY || sys == EROFS ||
	    (prim == SQLITE_CANTOPEN && access(st->dir, W_OK) != 0))
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: the state directory %s is read-only "
		    "(%s)", what, st->dir, sqlite3_errmsg(st->db));
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

int
st_int64(mx_store *st, const char *sql, const char *what, int64_t *out, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, sql, err);
	if (rc)
		return rc;
	if (sqlite3_step(s) != SQLITE_ROW)
		return st_fail(st, err, what);
	*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
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
			return st_errno_fail(err, MX_EIO, tmp, errno);
		*p = '/';
	}
	if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
		return st_errno_fail(err, MX_EIO, tmp, errno);
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

/* One environment knob, a whole number in [min, max]; absent: dflt.  A
 * value that is not one is refused naming the variable, like a bad option
 * (issue 14 §13): a typo must not silently mean "default" or "off". */
static int
env_num(const char *name, long min, long max, long dflt, const char *what, long *out,
    mx_err *err)
{
	const char *v = getenv(name);
	int64_t n;
	*out = dflt;
	if (v == NULL)
		return 0;
	if (!mx_parse_i64(v, min, max, &n)) {
		MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "expected %s, got '%.200s'", what, v);
		if (err != NULL)
			snprintf(err->where, sizeof err->where, "%s", name);
		return MX_EUSAGE;
	}
	*out = (long)n;
	return 0;
}

static int
store_env(long *busy_ms, long *fault_at, long *fault_kill, mx_err *err)
{
	int rc;
	if ((rc = env_num("MACEXT_BUSY_MS", 0, 86400000, 10000, "a whole number of milliseconds "
	    "from 0 to 86400000", busy_ms, err)) ||
	    (rc = env_num("MACEXT_FAULT", 0, LONG_MAX, 0, "the number of the write to fail "
	    "(0: none)", fault_at, err)) ||
	    (rc = env_num("MACEXT_FAULT_KILL", 0, 1, 0, "0 or 1", fault_kill, err)))
		return rc;
	return 0;
}

int
mx_store_env_check(mx_err *err)
{
	long a, b, c;
	return store_env(&a, &b, &c, err);
}

/* The state directory named by --state / MACEXT_STATE must be one. */
static int
check_dir(const char *dir, bool may_miss, mx_err *err)
{
	struct stat sb;
	if (stat(dir, &sb) != 0) {
		if (may_miss && errno == ENOENT)
			return 0;
		return MX_FAIL(err, errno == ENOENT ? MX_ENOTFOUND : MX_EIO, MX_NO_OFFSET,
		    "state directory %s: %s", dir, strerror(errno));
	}
	if (!S_ISDIR(sb.st_mode))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "state directory %s is not a directory "
		    "(--state and MACEXT_STATE name the directory that holds macext.db)", dir);
	return 0;
}

/* "file:" URI of path with immutable=1 (RFC 3986 escaping of the bytes a
 * path may hold that a URI may not). */
static void
immutable_uri(char *out, size_t len, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t k = 0;
	k += (size_t)snprintf(out, len, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p && k + 4 < len; p++) {
		if (*p == '%' || *p == '?' || *p == '#' || *p <= ' ' || *p >= 0x7f) {
			out[k++] = '%';
			out[k++] = hex[*p >> 4];
			out[k++] = hex[*p & 15];
		} else {
			out[k++] = (char)*p;
		}
	}
	snprintf(out + k, len - k, "?immutable=1");
}

/* A read-only connection for commands that only read (issue 14 §12): it
 * works on a read-only or full state directory.  SQLite reads a WAL
 * database read-only when its -shm and -wal files exist or can be made;
 * when neither is possible (a read-only mount after a clean close, a full
 * disk where -shm cannot grow) no process can be writing either, so the
 * file is opened immutable.  Returns 1 when the state must be opened for
 * writing instead (no database yet, or a schema migration is due). */
static int
open_readonly(mx_store *st, const char *path, mx_err *err)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		char uri[PATH_MAX * 3 + 32];
		if (attempt == 1)
			immutable_uri(uri, sizeof uri, path);
		int fl = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | (attempt ? SQLITE_OPEN_URI : 0);
		if (sqlite3_open_v2(attempt ? uri : path, &st->db, fl, NULL) == SQLITE_OK) {
			sqlite3_stmt *s = NULL;
			int have = -1;
			if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
			    sqlite3_step(s) == SQLITE_ROW)
				have = sqlite3_column_int(s, 0);
			sqlite3_finalize(s);
			if (have >= 0) {
				if (have < mx_schema_nmigrations) {
					sqlite3_close(st->db);
					st->db = NULL;
					return 1;
				}
				st->readonly = true;
				return 0;
			}
		}
		sqlite3_close(st->db);
		st->db = NULL;
	}
	return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: cannot be opened for reading", path);
}

int
mx_store_open_flags(mx_store **out, const char *dir, unsigned flags, mx_err *err)
{
	*out = NULL;
	int rc;
	/* One thread uses a connection (each thread of macext serve opens its
	 * own engine, hence its own connection): no per-call mutexes, no global
	 * memory statistics (a mutex on every allocation).  This only works
	 * before SQLite initialises, i.e. once, before the first open. */
	pthread_once(&configure_once, configure_sqlite);
	long busy_ms, fault_at, fault_kill;
	if ((rc = store_env(&busy_ms, &fault_at, &fault_kill, err)))
		return rc;
	if (dir == NULL || *dir == '\0')
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "the state directory name is empty");
	char path[PATH_MAX + 16];
	struct stat sb;
	bool ro = (flags & MX_STORE_READONLY) != 0;
	if (ro) {
		/* no state yet: open for writing, which creates it, as before */
		if ((rc = check_dir(dir, true, err)))
			return rc;
		snprintf(path, sizeof path, "%s/macext.db", dir);
		if (stat(path, &sb) != 0)
			ro = false;
	}
	if (!ro && ((rc = mkdirs(dir, err)) || (rc = check_dir(dir, false, err))))
		return rc;
	mx_store *st = mx_xcalloc(1, sizeof *st);
	if (realpath(dir, st->dir) == NULL)
		snprintf(st->dir, sizeof st->dir, "%s", dir);
	snprintf(path, sizeof path, "%s/macext.db", st->dir);
	if (ro && (rc = open_readonly(st, path, err)) != 0) {
		if (rc != 1) {
			mx_store_close(st);
			return rc;
		}
		ro = false;
	}
	if (!ro && sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		int e = st->db ? sqlite3_system_errno(st->db) : 0;
		rc = e ? st_errno_fail(err, MX_EIO, path, e) : MX_FAIL(err, MX_EIO, MX_NO_OFFSET,
		    "%s: %s", path, st->db ? sqlite3_errmsg(st->db) : "cannot open");
		mx_store_close(st);
		return rc;
	}
	sqlite3_busy_timeout(st->db, (int)busy_ms);
	st->fault_at = fault_at;
	st->fault_kill = fault_kill != 0;
	if (ro) {
		if ((rc = st_exec(st, "PRAGMA foreign_keys=ON", err)) ||
		    (rc = st_exec(st, "PRAGMA cache_size=-32768", err)) ||
		    (rc = st_exec(st, "PRAGMA temp_store=MEMORY", err))) {
			mx_store_close(st);
			return rc;
		}
		*out = st;
		return 0;
	}
	if ((rc = st_exec(st, "PRAGMA journal_mode=WAL", err)) ||
	    (rc = st_exec(st, "PRAGMA synchronous=FULL", err)) ||
	    (rc = st_exec(st, "PRAGMA foreign_keys=ON", err)) ||
	    (rc = st_exec(st, "PRAGMA cache_size=-32768", err)) ||
	    (rc = st_exec(st, "PRAGMA temp_store=MEMORY", err)) ||
	    (rc = migrate(st, err))) {
		mx_store_close(st);
		return rc;
	}
	/* what killed imports left behind (issue 14 §11); a failure to remove
	 * one is not this command's failure: `store check` keeps reporting it */
	long stale;
	mx_cas_stale_temps(st, true, NULL, NULL, &stale, NULL);
	*out = st;
	return 0;
}

int
mx_store_open(mx_store **out, const char *dir, mx_err *err)
{
	return mx_store_open_flags(out, dir, 0, err);
}

bool
mx_store_readonly(const mx_store *st)
{
	return st->readonly;
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
	sqlite3_free(st->summary_sql[0]);
	sqlite3_free(st->summary_sql[1]);
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
	/* a read-only connection reads one snapshot: a deferred transaction */
	int rc = st_run(st, st->batch ? "SAVEPOINT cmd" : st->readonly ? "BEGIN" : "BEGIN IMMEDIATE",
	    err);
	if (rc == 0) {
		st->in_tx = 1;
		st->read_tx = st->readonly;
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

static void reset_cached(mx_store *st);

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
	reset_cached(st);
	return 0;
}

/* Resets the cached statements still on a row.  A statement stepped to
 * its one row and never reset holds the read snapshot of the transaction
 * that ran it past COMMIT or ROLLBACK; a long-lived connection (serve's
 * workers, the agent) would then fail its next BEGIN IMMEDIATE with
 * SQLITE_BUSY_SNAPSHOT as soon as another connection commits.  Not inside
 * a batch, whose loops may still be stepping a statement. */
static void
reset_cached(mx_store *st)
{
	if (st->batch)
		return;
	for (int i = 0; i < ST_CACHE; i++)
		if (st->cache[i].stmt && sqlite3_stmt_busy(st->cache[i].stmt))
			sqlite3_reset(st->cache[i].stmt);
}

void
mx_store_rollback(mx_store *st)
{
	st_forget_device(st);
	if (st->in_tx)
		sqlite3_exec(st->db, st->batch ? "ROLLBACK TO cmd; RELEASE cmd" : "ROLLBACK", NULL,
		    NULL, NULL);
	reset_cached(st);
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
