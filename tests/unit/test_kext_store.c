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

/* The rows of kext_policy_mdm as "TEAM|BUNDLE|UUID" lines, sorted. */
static int
row_line(const char *const *cols, int n, void *arg)
{
	char *buf = arg;
	size_t l = strlen(buf);
	snprintf(buf + l, 8192 - l, "%s|%s|%s\n", cols[0], cols[1], cols[2]);
	return 0;
}

static int
cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
policy_of(mx_kext_policy *p, const char *xml, const char *uuid)
{
	plist_t d = pl(xml);
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_kext_policy_add(p, d, uuid, &err), 0);
	plist_free(d);
}

/* issue 14 §8: the rows are written as a difference; whatever the path,
 * the table ends up holding exactly the new policy. */
MX_TEST(kext_store_mdm_replace_writes_the_difference)
{
	mx_store *st = NULL;
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_store_open(&st, mx_test_tmpdir(), &err), 0);
	if (st == NULL)
		return;
	mx_device d;
	mx_env_in in = { 0 };
	mx_device_init(&d, "m", MX_ARCH_X86_64, (mx_version){ 14, 0, 0 }, &in);
	CHECK_EQ_INT(mx_store_begin(st, &err), 0);
	CHECK_EQ_INT(mx_store_device_insert(st, &d, &err), 0);
	static const char *const steps[][2] = {
		{ "<dict><key>AllowedTeamIdentifiers</key><array><string>AAAAAAAAAA</string>"
		  "<string>BBBBBBBBBB</string><string>CCCCCCCCCC</string></array>"
		  "<key>AllowedKernelExtensions</key><dict><key>DDDDDDDDDD</key><array>"
		  "<string>com.d.one</string></array></dict></dict>", "U1" },
		/* the same again: nothing changes */
		{ "<dict><key>AllowedTeamIdentifiers</key><array><string>AAAAAAAAAA</string>"
		  "<string>BBBBBBBBBB</string><string>CCCCCCCCCC</string></array>"
		  "<key>AllowedKernelExtensions</key><dict><key>DDDDDDDDDD</key><array>"
		  "<string>com.d.one</string></array></dict></dict>", "U1" },
		/* most kept, one gone, one added: the incremental path */
		{ "<dict><key>AllowedTeamIdentifiers</key><array><string>AAAAAAAAAA</string>"
		  "<string>BBBBBBBBBB</string><string>EEEEEEEEEE</string></array>"
		  "<key>AllowedKernelExtensions</key><dict><key>DDDDDDDDDD</key><array>"
		  "<string>com.d.one</string></array></dict></dict>", "U1" },
		/* every row's payload UUID changes: each is replaced */
		{ "<dict><key>AllowedTeamIdentifiers</key><array><string>AAAAAAAAAA</string>"
		  "<string>BBBBBBBBBB</string><string>EEEEEEEEEE</string></array></dict>", "U2" },
		/* almost everything goes: the rewrite path */
		{ "<dict><key>AllowedTeamIdentifiers</key><array><string>FFFFFFFFFF</string></array>"
		  "</dict>", "U3" },
		{ "<dict/>", "U4" },
	};
	long writes_before_same = 0, writes_after_same = 0;
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		mx_kext_policy p;
		mx_kext_policy_init(&p);
		policy_of(&p, steps[i][0], steps[i][1]);
		if (i == 1)
			writes_before_same = mx_store_writes(st);
		CHECK_EQ_INT(mx_store_kext_policy_mdm_replace(st, d.id, &p, &err), 0);
		if (i == 1)
			writes_after_same = mx_store_writes(st);
		/* what the table must hold: the policy's rules, sorted */
		char want[8192] = "", got[8192] = "";
		char **lines = calloc((size_t)p.nrules + 1, sizeof *lines);
		for (int r = 0; r < p.nrules; r++) {
			char l[400];
			snprintf(l, sizeof l, "%s|%s|%s\n", p.rules[r].team_id, p.rules[r].bundle_id,
			    p.rules[r].payload_uuid);
			lines[r] = strdup(l);
		}
		qsort(lines, (size_t)p.nrules, sizeof *lines, cmp_line);
		for (int r = 0; r < p.nrules; r++) {
			strcat(want, lines[r]);
			free(lines[r]);
		}
		free(lines);
		CHECK_EQ_INT(mx_store_query_rows(st, "SELECT team_id, coalesce(bundle_id, ''),"
		    " payload_uuid FROM kext_policy_mdm ORDER BY 1, 2, 3", row_line, got, &err), 0);
		if (strcmp(got, want) != 0)
			mx_test_fail_at(__FILE__, __LINE__, "step %zu: rows\n%s, expected\n%s", i, got, want);
		mx_kext_policy_free(&p);
	}
	CHECK_EQ_INT(writes_after_same - writes_before_same, 0);   /* unchanged: no write */
	mx_store_rollback(st);
	mx_store_close(st);
}
