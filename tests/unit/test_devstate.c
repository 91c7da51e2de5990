/* test_devstate.c — the pieces of `device export|import` (issue 12 §4):
 * device paths, the db.plist codec (sysextdb.c) and the KextPolicy codec
 * (kextpolicy.c): written bytes are deterministic and read back the same;
 * what is not Apple's form is refused naming the key or column. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "macext/devstate.h"
#include "macext/sysextdb.h"

MX_TEST(devpath_ok_table)
{
	static const struct { const char *p; bool ok; } rows[] = {
		{ "/Applications/Santa.app", true },
		{ "/Applications/.Karabiner-VirtualHIDDevice-Manager.app", true },
		{ "/Library/Application Support/Vendor/X.kext", true },
		{ "/", false },            /* an empty last component */
		{ "", false },
		{ "Applications/X.app", false },
		{ "/Applications/../etc", false },
		{ "/Applications/..", false },
		{ "/Applications/./X.app", false },
		{ "/Applications//X.app", false },
		{ "/a/..b", true },
		{ "/a/b..", true },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (mx_devpath_ok(rows[i].p, 1024) != rows[i].ok)
			mx_test_fail_at(__FILE__, __LINE__, "mx_devpath_ok(\"%s\") != %d", rows[i].p,
			    rows[i].ok);
	char big[2000];
	memset(big, 'a', sizeof big);
	big[0] = '/';
	big[sizeof big - 1] = '\0';
	CHECK(!mx_devpath_ok(big, 1024));
}

MX_TEST(sysextdb_round_trip)
{
	mx_sxdb db;
	mx_sxdb_init(&db);
	snprintf(db.boot_uuid, sizeof db.boot_uuid, "7F74F3E0-65C8-4095-805E-FFCDFEB5730E");
	mx_sxdb_ext e;
	memset(&e, 0, sizeof e);
	snprintf(e.unique_id, sizeof e.unique_id, "EF929C0F-D8F9-49C6-B652-A0096DBE85CE");
	snprintf(e.identifier, sizeof e.identifier, "com.google.santa.daemon");
	snprintf(e.team_id, sizeof e.team_id, "EQHXZ8M8AV");
	snprintf(e.version, sizeof e.version, "2024.1");
	snprintf(e.short_version, sizeof e.short_version, "2024.1");
	snprintf(e.category, sizeof e.category, "com.apple.system_extension.endpoint_security");
	snprintf(e.state, sizeof e.state, "activated_enabled");
	snprintf(e.origin_path, sizeof e.origin_path, "/Applications/Santa.app/Contents/Library/"
	    "SystemExtensions/com.google.santa.daemon.systemextension");
	snprintf(e.staged_path, sizeof e.staged_path, "/Library/SystemExtensions/EF929C0F-D8F9-49C6-"
	    "B652-A0096DBE85CE/a name with spaces%%.systemextension");
	e.ncdhash = 1;
	snprintf(e.cdhash[0].cdhash, sizeof e.cdhash[0].cdhash, "6c58ab0e582d40cfa92841385c0e310026a93c8b");
	e.cdhash[0].cputype = 16777223;
	e.cdhash[0].cpusubtype = 3;
	mx_sxdb_add_ext(&db, &e);
	uint8_t *a = NULL, *b = NULL;
	size_t al = 0, bl = 0;
	mx_err err;
	CHECK_EQ_INT(mx_sxdb_write(&db, &a, &al, &err), 0);
	CHECK_EQ_INT(mx_sxdb_write(&db, &b, &bl, &err), 0);
	CHECK(al == bl && memcmp(a, b, al) == 0);      /* equal databases, equal bytes */
	CHECK(al > 8 && memcmp(a, "bplist00", 8) == 0);
	mx_sxdb back;
	CHECK_EQ_INT(mx_sxdb_parse(&back, a, al, "db.plist", &err), 0);
	CHECK_EQ_INT(back.nexts, 1);
	if (back.nexts == 1) {
		CHECK_EQ_STR(back.exts[0].staged_path, e.staged_path);
		CHECK_EQ_STR(back.exts[0].container, "");       /* written as "$null" */
		CHECK_EQ_STR(back.exts[0].cdhash[0].cdhash, e.cdhash[0].cdhash);
		CHECK_EQ_INT(back.exts[0].cdhash[0].cputype, 16777223);
	}
	CHECK_EQ_STR(back.boot_uuid, db.boot_uuid);
	mx_sxdb_free(&back);
	mx_sxdb_free(&db);
	free(a);
	free(b);
	/* refusals name the key path */
	static const struct { const char *xml, *where; } bad[] = {
		{ "<plist><dict><key>version</key><integer>2</integer></dict></plist>", "db.plist: version" },
		{ "<plist><dict><key>extensions</key><dict/></dict></plist>", "db.plist: extensions" },
		{ "<plist><dict><key>extensions</key><array><dict><key>identifier</key><string>a b</string>"
		  "</dict></array></dict></plist>", "db.plist: extensions[0].identifier" },
		{ "<plist><dict><key>bootUUID</key><string>not-a-uuid</string></dict></plist>",
		  "db.plist: bootUUID" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		mx_err_clear(&err);
		mx_sxdb x;
		if (mx_sxdb_parse(&x, (const uint8_t *)bad[i].xml, strlen(bad[i].xml), "db.plist", &err)
		    == 0 || strcmp(err.where, bad[i].where) != 0)
			mx_test_fail_at(__FILE__, __LINE__, "bad[%zu]: where \"%s\", wanted \"%s\" (%s)", i,
			    err.where, bad[i].where, err.msg);
	}
}

MX_TEST(kextpolicy_round_trip)
{
	mx_kpdb db;
	memset(&db, 0, sizeof db);
	mx_sqlval pol[5] = { { MX_SQL_TEXT, 0, strdup("54GTJ2AU36") },
		{ MX_SQL_TEXT, 0, strdup("com.joshuawise.kexts.HoRNDIS") }, { MX_SQL_INT, 1, NULL },
		{ MX_SQL_TEXT, 0, strdup("Joshua Wise") }, { MX_SQL_INT, 1, NULL } };
	mx_sqlval mdm[4] = { { MX_SQL_TEXT, 0, strdup("X9E956P446") }, { MX_SQL_NULL, 0, NULL },
		{ MX_SQL_INT, 1, NULL }, { MX_SQL_TEXT, 0, strdup("F00") } };
	db.t[MX_KP_POLICY].n = 1;
	db.t[MX_KP_POLICY].v = malloc(sizeof pol);
	memcpy(db.t[MX_KP_POLICY].v, pol, sizeof pol);
	db.t[MX_KP_MDM].n = 1;
	db.t[MX_KP_MDM].v = malloc(sizeof mdm);
	memcpy(db.t[MX_KP_MDM].v, mdm, sizeof mdm);
	uint8_t *a = NULL, *b = NULL;
	size_t al = 0, bl = 0;
	mx_err err;
	CHECK_EQ_INT(mx_kpdb_write(&db, &a, &al, &err), 0);
	CHECK_EQ_INT(mx_kpdb_write(&db, &b, &bl, &err), 0);
	CHECK(al == bl && memcmp(a, b, al) == 0);
	CHECK(al >= 100 && memcmp(a, "SQLite format 3", 16) == 0);
	mx_kpdb back;
	CHECK_EQ_INT(mx_kpdb_read(&back, a, al, "KextPolicy", &err), 0);
	CHECK_EQ_INT(back.t[MX_KP_POLICY].n, 1);
	CHECK_EQ_INT(back.t[MX_KP_MDM].n, 1);
	if (back.t[MX_KP_MDM].n == 1) {
		CHECK_EQ_INT(back.t[MX_KP_MDM].v[1].type, MX_SQL_NULL);   /* the team-wide row */
		CHECK_EQ_STR(back.t[MX_KP_POLICY].v[3].s, "Joshua Wise");
	}
	mx_kpdb_free(&back);
	/* a value its column does not hold */
	db.t[MX_KP_POLICY].v[2].i = 5;
	free(a);
	CHECK_EQ_INT(mx_kpdb_write(&db, &a, &al, &err), 0);
	mx_err_clear(&err);
	CHECK_EQ_INT(mx_kpdb_read(&back, a, al, "KextPolicy", &err), MX_EINVALID);
	CHECK(strstr(err.msg, "kext_policy row 1, allowed: expected 0 or 1") != NULL);
	mx_kpdb_free(&db);
	free(a);
	free(b);
}
