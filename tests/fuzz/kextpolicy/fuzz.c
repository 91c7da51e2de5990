/* fuzz.c — the KextPolicy reader (src/store/kextpolicy.c) that `device
 * import` runs over a Mac's /var/db/SystemPolicyConfiguration/KextPolicy:
 * any bytes are refused with a message or read (schema checked first, every
 * value checked) into rows that write back as a database which reads again
 * to the same rows.  SQLite runs on a private in-memory copy. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macext/devstate.h"

static bool
same(const mx_kpdb *a, const mx_kpdb *b)
{
	for (int t = 0; t < MX_KP_NTABLES; t++) {
		if (a->t[t].n != b->t[t].n)
			return false;
		size_t n = a->t[t].n * (size_t)mx_kpdb_ncols(t);
		for (size_t i = 0; i < n; i++) {
			const mx_sqlval *x = &a->t[t].v[i], *y = &b->t[t].v[i];
			if (x->type != y->type || (x->type == MX_SQL_INT && x->i != y->i) ||
			    (x->type == MX_SQL_TEXT && strcmp(x->s, y->s) != 0))
				return false;
		}
	}
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mx_kpdb db;
	mx_err err;
	mx_err_clear(&err);
	if (mx_kpdb_read(&db, data, size, "KextPolicy", &err) != 0) {
		if (err.code == 0 || err.msg[0] == '\0')
			abort();
		return 0;
	}
	uint8_t *out = NULL;
	size_t len = 0;
	if (mx_kpdb_write(&db, &out, &len, &err) != 0)
		abort();
	mx_kpdb again;
	if (mx_kpdb_read(&again, out, len, "KextPolicy", &err) != 0 || !same(&db, &again))
		abort();            /* what we write we read back, row for row */
	mx_kpdb_free(&again);
	mx_kpdb_free(&db);
	free(out);
	return 0;
}
