/*
 * test_kext_store.c — KextPolicy tables and kext records in the store:
 * round trip of a kext record, kext_policy rows, history; kext_policy_mdm
 * keeps only imported rows, dropped at the next profile change (the
 * merged policy's rows are made at export: tests/cli/device_export.sh).
 */
#include <stdlib.h>

#include "harness.h"
#include "macext/devstate.h"
#include "macext/kext.h"
#include "macext/store.h"

MX_TEST(kext_store_round_trip)
{
	mx_store *st = NULL;
	mx_err err;
	mx_err_clear(&err);
	CHECK_EQ_INT(mx_store_open(&st, mx_test_tmpdir(), &err), 0);
	if (st == NULL)
		return;
	mx_device d;
	mx_env_in in = { 0 };
	mx_device_init(&d, "m", MX_ARCH_X86_64, (mx_version){ 14, 0, 0 }, &in);
	CHECK_EQ_INT(mx_store_begin(st, &err), 0);
	CHECK_EQ_INT(mx_store_device_insert(st, &d, &err), 0);
	mx_kext k;
	memset(&k, 0, sizeof k);
	strcpy(k.bundle_id, "com.crowdstrike.sensor");
	strcpy(k.team_id, "X9E956P446");
	strcpy(k.path, "/Library/Extensions/CS.kext");
	strcpy(k.cdhash, "00112233445566778899aabbccddeeff00112233");
	k.sig = MX_KSIG_DEVID_KEXT;
	k.state = MX_KEXT_AWAITING_RESTART;
	k.approval = MX_KAPPROVAL_MDM;
	k.in_auxkc = true;
	k.codeless = true;
	CHECK_EQ_INT(mx_store_kext_put(st, d.id, &k, &err), 0);
	mx_kext g;
	CHECK_EQ_INT(mx_store_kext_get(st, d.id, "com.crowdstrike.sensor", &g, &err), 0);
	CHECK_EQ_STR(g.team_id, "X9E956P446");
	CHECK_EQ_INT(g.state, MX_KEXT_AWAITING_RESTART);
	CHECK_EQ_INT(g.approval, MX_KAPPROVAL_MDM);
	CHECK_EQ_INT(g.sig, MX_KSIG_DEVID_KEXT);
	CHECK(g.in_auxkc && g.codeless);
	CHECK_EQ_INT(mx_store_kext_get(st, d.id, "nope", &g, &err), MX_ENOTFOUND);

	bool allowed = true;
	CHECK_EQ_INT(mx_store_kext_policy_allowed(st, d.id, "X9E956P446", "com.crowdstrike.sensor",
	    &allowed, &err), 0);
	CHECK(!allowed);
	CHECK_EQ_INT(mx_store_kext_policy_set(st, d.id, "X9E956P446", "com.crowdstrike.sensor", true,
	    "CrowdStrike Inc.", 1, &err), 0);
	CHECK_EQ_INT(mx_store_kext_policy_allowed(st, d.id, "X9E956P446", "com.crowdstrike.sensor",
	    &allowed, &err), 0);
	CHECK(allowed);
	CHECK_EQ_INT(mx_store_kext_policy_clear(st, d.id, &err), 0);
	CHECK_EQ_INT(mx_store_kext_policy_allowed(st, d.id, "X9E956P446", "com.crowdstrike.sensor",
	    &allowed, &err), 0);
	CHECK(!allowed);

	CHECK_EQ_INT(mx_store_kext_history_seen(st, d.id, &k, "BOOT-1", 1700000000, 1, &err), 0);
	CHECK_EQ_INT(mx_store_kext_history_seen(st, d.id, &k, "BOOT-2", 1700000100, 4, &err), 0);
	mx_kext *all;
	int n;
	CHECK_EQ_INT(mx_store_kext_list(st, d.id, &all, &n, &err), 0);
	CHECK_EQ_INT(n, 1);
	free(all);
	CHECK_EQ_INT(mx_store_kext_delete(st, d.id, "com.crowdstrike.sensor", &err), 0);
	CHECK_EQ_INT(mx_store_kext_list(st, d.id, &all, &n, &err), 0);
	CHECK_EQ_INT(n, 0);
	free(all);
	CHECK_EQ_INT(mx_store_commit(st, &err), 0);
	mx_store_close(st);
}

static int
count_row(const char *const *cols, int n, void *arg)
{
	(void)cols;
	(void)n;
	(*(int *)arg)++;
	return 0;
}

/* issue 14 §8: kext_policy_mdm holds only rows that came without their
 * profiles (a real Mac's KextPolicy imported); the device's next profile
 * change drops them, and a device without any costs no write. */
MX_TEST(kext_store_mdm_rows_dropped_once)
{
	mx_store *st = NULL;
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_store_open(&st, mx_test_tmpdir(), &err), 0);
	if (st == NULL)
		return;
	mx_device d, other;
	mx_env_in in = { 0 }, in2 = { .random = { [1] = 1, [16] = 1 } };   /* another serial and UDID */
	mx_device_init(&d, "m", MX_ARCH_X86_64, (mx_version){ 14, 0, 0 }, &in);
	mx_device_init(&other, "o", MX_ARCH_X86_64, (mx_version){ 14, 0, 0 }, &in2);
	CHECK_EQ_INT(mx_store_begin(st, &err), 0);
	CHECK_EQ_INT(mx_store_device_insert(st, &d, &err), 0);
	CHECK_EQ_INT(mx_store_device_insert(st, &other, &err), 0);
	/* two imported rows on each: a team-wide one (bundle_id NULL) and a named kext */
	mx_sqlval v[8] = {
		{ .type = MX_SQL_TEXT, .s = "VB5E2TV963" }, { .type = MX_SQL_NULL },
		{ .type = MX_SQL_INT, .i = 1 }, { .type = MX_SQL_TEXT, .s = "U1" },
		{ .type = MX_SQL_TEXT, .s = "X9E956P446" }, { .type = MX_SQL_TEXT, .s = "com.cs.sensor" },
		{ .type = MX_SQL_INT, .i = 1 }, { .type = MX_SQL_TEXT, .s = "U1" },
	};
	mx_kpdb db;
	memset(&db, 0, sizeof db);
	db.t[MX_KP_MDM] = (mx_kp_rows){ 2, v };
	CHECK_EQ_INT(mx_store_kpdb_insert(st, d.id, &db, &err), 0);
	CHECK_EQ_INT(mx_store_kpdb_insert(st, other.id, &db, &err), 0);
	int n = 0;
	CHECK_EQ_INT(mx_store_query_rows(st, "SELECT 1 FROM kext_policy_mdm", count_row, &n, &err), 0);
	CHECK_EQ_INT(n, 4);
	long w0 = mx_store_writes(st);
	CHECK_EQ_INT(mx_store_kext_policy_mdm_drop(st, d.id, &err), 0);
	CHECK(mx_store_writes(st) > w0);
	n = 0;
	CHECK_EQ_INT(mx_store_query_rows(st, "SELECT 1 FROM kext_policy_mdm", count_row, &n, &err), 0);
	CHECK_EQ_INT(n, 2);                     /* the other device keeps its rows */
	long w1 = mx_store_writes(st);
	CHECK_EQ_INT(mx_store_kext_policy_mdm_drop(st, d.id, &err), 0);
	CHECK_EQ_INT(mx_store_writes(st) - w1, 0);      /* none left: no write */
	mx_kpdb got;
	CHECK_EQ_INT(mx_store_kpdb_gather(st, other.id, &got, &err), 0);
	CHECK_EQ_INT((int)got.t[MX_KP_MDM].n, 2);
	if (got.t[MX_KP_MDM].n != 2) {
		mx_store_rollback(st);
		mx_store_close(st);
		return;
	}
	/* in key order: VB5E2TV963's team-wide row (bundle_id NULL) first */
	CHECK_EQ_STR(got.t[MX_KP_MDM].v[0].s, "VB5E2TV963");
	CHECK(got.t[MX_KP_MDM].v[1].type == MX_SQL_NULL);
	mx_kpdb_free(&got);
	mx_store_rollback(st);
	mx_store_close(st);
}
