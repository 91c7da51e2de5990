/* fuzz.c — the db.plist reader (src/formats/sysextdb.c) that `device import`
 * runs over a Mac's /Library/SystemExtensions/db.plist: any bytes either fail
 * with a message or parse into records that write back as a binary plist
 * which parses again to the same records (nothing read is lost or grows). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macext/sysextdb.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mx_sxdb db;
	mx_err err;
	mx_err_clear(&err);
	if (mx_sxdb_parse(&db, data, size, "db.plist", &err) != 0) {
		if (err.code == 0 || err.msg[0] == '\0' || db.nexts != 0 || db.exts != NULL)
			abort();        /* a refusal says why and leaves nothing behind */
		return 0;
	}
	for (size_t i = 0; i < db.nexts; i++)
		if (!mx_devpath_ok(db.exts[i].staged_path, sizeof db.exts[i].staged_path) &&
		    db.exts[i].staged_path[0])
			abort();        /* a path read is a plain absolute path */
	uint8_t *out = NULL;
	size_t len = 0;
	if (mx_sxdb_write(&db, &out, &len, &err) != 0)
		abort();
	mx_sxdb again;
	if (mx_sxdb_parse(&again, out, len, "db.plist", &err) != 0)
		abort();            /* what we write we read back */
	if (again.nexts != db.nexts || again.npolicies != db.npolicies ||
	    again.developer_mode != db.developer_mode || strcmp(again.boot_uuid, db.boot_uuid) != 0)
		abort();
	for (size_t i = 0; i < db.nexts; i++) {
		const mx_sxdb_ext *a = &db.exts[i], *b = &again.exts[i];
		if (strcmp(a->identifier, b->identifier) || strcmp(a->state, b->state) ||
		    strcmp(a->staged_path, b->staged_path) || strcmp(a->container, b->container) ||
		    strcmp(a->app_id, b->app_id) || a->ncdhash != b->ncdhash)
			abort();
	}
	mx_sxdb_free(&again);
	mx_sxdb_free(&db);
	free(out);
	return 0;
}
