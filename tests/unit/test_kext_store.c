/*
 * test_kext_store.c — KextPolicy tables and kext records in the store:
 * round trip of a kext record, kext_policy rows, kext_policy_mdm replaced
 * from a merged policy (team-wide rows with bundle_id NULL), history.
 */
#include <stdlib.h>

#include "harness.h"
#include "macext/kext.h"
#include "macext/store.h"

static plist_t
pl(const char *xml)
{
	plist_t p = NULL;
	plist_from_xml(xml, (uint32_t)strlen(xml), &p);
	return p;
}

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

	mx_kext_policy p;
	mx_kext_policy_init(&p);
	plist_t pay = pl("<plist><dict><key>AllowedTeamIdentifiers</key><array><string>X9E956P446"
	    "</string></array><key>AllowedKernelExtensions</key><dict><key></key><array><string>"
	    "com.example.mydriver</string></array></dict></dict></plist>");
	CHECK_EQ_INT(mx_kext_policy_add(&p, pay, "5671B4FB", &err), 0);
	CHECK_EQ_INT(mx_store_kext_policy_mdm_replace(st, d.id, &p, &err), 0);
	CHECK_EQ_INT(mx_store_kext_policy_mdm_replace(st, d.id, &p, &err), 0);
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
	plist_free(pay);
	mx_kext_policy_free(&p);
	mx_store_close(st);
}
