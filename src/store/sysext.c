/*
 * sysext.c (store) — sysextd's /Library/SystemExtensions/db.plist as two
 * tables: `sysext`, one row per extension record with the db.plist field
 * names (system-extensions.md §2.3), and `sysext_settings` for the
 * top-level developerMode and bootUUID.  The container and references
 * columns hold the db.plist shapes as JSON ({bundlePath}, [{appIdentifier,
 * teamID}]).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store_int.h"
#include "macext/sysext.h"

int
mx_store_sysext_put(mx_store *st, int64_t device_id, mx_sx_rec *r, mx_err *err)
{
	sqlite3_stmt *s;
	int rc;
	if (r->seq == 0) {
		if ((rc = st_prepare(st, &s, "SELECT COALESCE(MAX(seq), 0) + 1 FROM sysext"
		    " WHERE device_id=?1", err)))
			return rc;
		sqlite3_bind_int64(s, 1, device_id);
		if (sqlite3_step(s) != SQLITE_ROW)
			return st_fail(st, err, "sysext sequence");
		r->seq = sqlite3_column_int64(s, 0);
	}
	json_t *cont = json_pack("{s:s}", "bundlePath", r->container);
	json_t *refs = json_pack("[{s:s, s:s}]", "appIdentifier", r->app_id, "teamID", r->team_id);
	char *cs = json_dumps(cont, JSON_COMPACT), *rs = json_dumps(refs, JSON_COMPACT);
	json_decref(cont);
	json_decref(refs);
	rc = st_prepare(st, &s,
	    "INSERT OR REPLACE INTO sysext (device_id, uniqueID, seq, identifier, teamID,"
	    " bundleVersion, bundleShortVersion, name, developerName, categories, state, approval,"
	    " originPath, container, app_id, \"references\", stagedCdhashes, stagedBundle,"
	    " entitlements, created_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,"
	    "?15,?16,?17,?18,?19,?20)", err);
	if (rc == 0) {
		sqlite3_bind_int64(s, 1, device_id);
		sqlite3_bind_text(s, 2, r->unique_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, r->seq);
		sqlite3_bind_text(s, 4, r->identifier, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, r->team_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, r->version, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 7, r->short_version, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 8, r->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 9, r->developer, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 10, r->category, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 11, mx_sx_state_name(r->state), -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 12, r->approval, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 13, r->origin_path, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 14, cs ? cs : "{}", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 15, r->app_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 16, rs ? rs : "[]", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 17, r->cdhashes, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 18, r->staged_path, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 19, r->entitlements, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 20, r->created_at);
		rc = st_write(st, s, "save system extension record", err);
		sqlite3_clear_bindings(s);
	}
	free(cs);
	free(rs);
	return rc;
}

int
mx_store_sysext_delete(mx_store *st, int64_t device_id, const char *unique_id, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "DELETE FROM sysext WHERE device_id=?1 AND uniqueID=?2", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_text(s, 2, unique_id, -1, SQLITE_TRANSIENT);
	return st_write(st, s, "delete system extension record", err);
}

int
mx_store_sysext_load(mx_store *st, int64_t device_id, mx_sx_rec **out, size_t *n, mx_err *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s,
	    "SELECT uniqueID, seq, identifier, teamID, bundleVersion, bundleShortVersion, name,"
	    " developerName, categories, state, approval, originPath, container, app_id,"
	    " stagedCdhashes, stagedBundle, entitlements, created_at FROM sysext"
	    " WHERE device_id=?1 ORDER BY seq", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	size_t cap = 0;
	mx_sx_rec *v = NULL;
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			v = mx_xrealloc(v, cap * sizeof *v);
		}
		mx_sx_rec *r = &v[*n];
		memset(r, 0, sizeof *r);
		char state[64], cont[1200];
		st_text(s, 0, r->unique_id, sizeof r->unique_id);
		r->seq = sqlite3_column_int64(s, 1);
		st_text(s, 2, r->identifier, sizeof r->identifier);
		st_text(s, 3, r->team_id, sizeof r->team_id);
		st_text(s, 4, r->version, sizeof r->version);
		st_text(s, 5, r->short_version, sizeof r->short_version);
		st_text(s, 6, r->name, sizeof r->name);
		st_text(s, 7, r->developer, sizeof r->developer);
		st_text(s, 8, r->category, sizeof r->category);
		st_text(s, 9, state, sizeof state);
		st_text(s, 10, r->approval, sizeof r->approval);
		st_text(s, 11, r->origin_path, sizeof r->origin_path);
		st_text(s, 12, cont, sizeof cont);
		st_text(s, 13, r->app_id, sizeof r->app_id);
		st_text(s, 14, r->cdhashes, sizeof r->cdhashes);
		st_text(s, 15, r->staged_path, sizeof r->staged_path);
		st_text(s, 16, r->entitlements, sizeof r->entitlements);
		r->created_at = sqlite3_column_int64(s, 17);
		json_t *cj = json_loads(cont, 0, NULL);
		const char *bp = cj ? json_string_value(json_object_get(cj, "bundlePath")) : NULL;
		snprintf(r->container, sizeof r->container, "%s", bp ? bp : "");
		json_decref(cj);
		if ((rc = mx_sx_state_parse(&r->state, state, err))) {
			mx_err_where(err, "sysext %s", r->unique_id);
			free(v);
			return rc;
		}
		(*n)++;
	}
	if (step != SQLITE_DONE) {
		free(v);
		*n = 0;
		return st_fail(st, err, "load system extension records");
	}
	*out = v;
	return 0;
}

int
mx_store_sysext_settings_get(mx_store *st, int64_t device_id, bool *developer_mode,
    char boot_uuid[40], mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "SELECT developerMode, bootUUID FROM sysext_settings"
	    " WHERE device_id=?1", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	*developer_mode = false;
	if (boot_uuid)
		boot_uuid[0] = '\0';
	int step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		*developer_mode = sqlite3_column_int(s, 0) != 0;
		if (boot_uuid)
			st_text(s, 1, boot_uuid, 40);
	} else if (step != SQLITE_DONE) {
		rc = st_fail(st, err, "load system extension settings");
	}
	/* a statement left on its row keeps a read snapshot open past the
	 * transaction: the connection's next BEGIN IMMEDIATE then fails with
	 * SQLITE_BUSY_SNAPSHOT once another process has committed */
	sqlite3_reset(s);
	return rc;
}

int
mx_store_sysext_settings_set(mx_store *st, int64_t device_id, bool developer_mode,
    const char *boot_uuid, mx_err *err)
{
	sqlite3_stmt *s;
	int rc = st_prepare(st, &s, "INSERT OR REPLACE INTO sysext_settings (device_id,"
	    " developerMode, bootUUID) VALUES (?1, ?2, ?3)", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, device_id);
	sqlite3_bind_int(s, 2, developer_mode ? 1 : 0);
	sqlite3_bind_text(s, 3, boot_uuid ? boot_uuid : "", -1, SQLITE_TRANSIENT);
	return st_write(st, s, "save system extension settings", err);
}
