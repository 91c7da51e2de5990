/*
 * store_int.h — what the store's files share: the handle, a prepared
 * statement cache keyed by the SQL text's address (the SQL is always a
 * string literal), and error mapping.  Only src/store/ includes this.
 */
#ifndef MACEXT_STORE_INT_H
#define MACEXT_STORE_INT_H

#include <sqlite3.h>
#include <limits.h>

#include "macext/store.h"

#define ST_CACHE 128
#define ST_TREE_MEMO 8

struct mx_store {
	sqlite3 *db;
	char dir[PATH_MAX];
	int in_tx;
	int read_tx;            /* the open transaction is mx_store_begin_read's */
	bool readonly;          /* MX_STORE_READONLY: opened for a command that only reads */
	int batch;              /* mx_store_batch_begin: commands run as savepoints */
	long writes;            /* write statements run, for the fault hook */
	long fault_at;          /* MACEXT_FAULT: fail the Nth write (0 = off) */
	int fault_kill;         /* MACEXT_FAULT_KILL: SIGKILL instead of failing */
	struct { const char *sql; sqlite3_stmt *stmt; } cache[ST_CACHE];
	/* the device (row and users) as this transaction last read or wrote
	 * it: loading it again is a copy, saving it unchanged writes nothing.
	 * A batch keeps it across its commands' savepoints; any rollback, a
	 * top-level begin or commit, or a device delete forgets it. */
	bool dev_ok;
	mx_device dev;
	/* bundle trees hashed by this connection, by their entries' identity
	 * (cas.c: mx_cas_put_tree reads a tree once) */
	struct { uint8_t id[32]; char hash[65]; bool valid; } tree_memo[ST_TREE_MEMO];
	unsigned tree_next;
	/* stored trees this connection re-hashed and found intact, by their
	 * entries' identity (mx_cas_verify) */
	struct { uint8_t id[32]; char hash[65]; bool valid; } verified_memo[ST_TREE_MEMO];
	unsigned verified_next;
	/* mx_store_device_summaries' two statements (some devices, every
	 * device), built at first use: st_prepare keeps them by address */
	char *summary_sql[2];
};

/* Forgets the remembered device. */
void st_forget_device(mx_store *st);

/* A reset, bound-cleared statement for sql (a string literal). */
int st_prepare(mx_store *st, sqlite3_stmt **out, const char *sql, mx_err *err);
/* MX_EIO / MX_EBUSY from the connection's last error, naming what; a full
 * disk and a read-only state directory say so. */
int st_fail(mx_store *st, mx_err *err, const char *what);
/* A failed file-system call on path with errno e: "the disk is full",
 * "the state directory is read-only", else strerror; code otherwise. */
int st_errno_fail(mx_err *err, int code, const char *path, int e);
/* sqlite3_step for a write statement: runs the fault hook, maps errors. */
int st_write(mx_store *st, sqlite3_stmt *s, const char *what, mx_err *err);
/* Runs sql (a string literal, one statement) as a cached statement. */
int st_run(mx_store *st, const char *sql, mx_err *err);
/* For a loop over result rows whose body may run other queries: the cached
 * statement, or a fresh one (*owned) when that one is already being
 * stepped.  st_done_iter resets or finalizes it. */
int st_prepare_iter(mx_store *st, sqlite3_stmt **out, bool *owned, const char *sql,
    mx_err *err);
void st_done_iter(sqlite3_stmt *s, bool owned);
/* Runs a one-shot statement with no result rows. */
int st_exec(mx_store *st, const char *sql, mx_err *err);
/* The first column of the one row sql (a string literal, no parameters)
 * answers; a missing row fails naming what. */
int st_int64(mx_store *st, const char *sql, const char *what, int64_t *out, mx_err *err);
/* Copies column text into buf (empty when NULL). */
void st_text(sqlite3_stmt *s, int col, char *buf, size_t len);

#endif
