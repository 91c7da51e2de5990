/*
 * test_policy_scale.c — issue 14 §8: the merged kext and system-extension
 * policies of large allow lists keep their meaning now that merging and
 * lookups go through hash sets built when lookups need them (a few
 * lookups scan the rules instead, with the same answers): duplicates across payloads are one
 * rule owned by the first payload, a team that is a key of
 * AllowedKernelExtensions is limited to its bundles, every listed entry is
 * found.  The payloads come from binary plists read by libplist's
 * unindexed reader, the shape the stored profile bodies have.
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "macext/kext.h"
#include "macext/plist_util.h"
#include "macext/sysext.h"

/* A payload with teams T<from>..T<to-1> and, when limited, TLIMITED0001
 * limited to two bundles; returned as libplist reads it from binary. */
static plist_t
payload(const char *type, int from, int to, bool limited)
{
	plist_t d = plist_new_dict(), a = plist_new_array();
	plist_dict_set_item(d, "PayloadType", plist_new_string(type));
	for (int i = from; i < to; i++) {
		char t[16];
		snprintf(t, sizeof t, "T%09d", i);
		plist_array_append_item(a, plist_new_string(t));
	}
	plist_array_append_item(a, plist_new_string("TLIMITED01"));
	plist_dict_set_item(d, "AllowedTeamIdentifiers", a);
	if (limited) {
		plist_t k = plist_new_dict(), b = plist_new_array();
		plist_array_append_item(b, plist_new_string("com.example.one"));
		plist_array_append_item(b, plist_new_string("com.example.two"));
		plist_dict_set_item(k, "TLIMITED01", b);
		plist_dict_set_item(d, strcmp(type, MX_KEXT_POLICY_TYPE) == 0 ?
		    "AllowedKernelExtensions" : "AllowedSystemExtensions", k);
	}
	uint8_t *bin = NULL;
	size_t len = 0;
	mx_err err = { 0 };
	plist_t out = NULL;
	if (mx_plist_to_bin(d, &bin, &len, &err) == 0)
		plist_from_bin((const char *)bin, (uint32_t)len, &out);
	free(bin);
	plist_free(d);
	return out;
}

MX_TEST(kext_policy_large_merge)
{
	plist_t a = payload(MX_KEXT_POLICY_TYPE, 0, 30000, true);
	plist_t b = payload(MX_KEXT_POLICY_TYPE, 20000, 50000, false);
	CHECK(a != NULL && b != NULL);
	mx_kext_policy p;
	mx_kext_policy_init(&p);
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_kext_policy_add(&p, a, "UUID-A", &err), 0);
	CHECK_EQ_INT(mx_kext_policy_add(&p, b, "UUID-B", &err), 0);
	/* 50,000 teams + TLIMITED01 team-wide + its two bundles */
	CHECK_EQ_INT((int)mx_kext_policy_count(&p), 50000 + 1 + 2);
	const mx_kext_rule *r = NULL;
	CHECK(mx_kext_policy_allows(&p, "T000025000", "com.any", true, &r));
	CHECK(r != NULL && strcmp(r->payload_uuid, "UUID-A") == 0);      /* the first keeps it */
	CHECK(mx_kext_policy_allows(&p, "T000049999", "com.any", true, &r));
	CHECK(r != NULL && strcmp(r->payload_uuid, "UUID-B") == 0);
	CHECK(!mx_kext_policy_allows(&p, "T000049999", "com.any", false, &r));  /* not validly signed */
	CHECK(!mx_kext_policy_allows(&p, "T000050000", "com.any", true, &r));
	/* limited: only its listed bundles, although it is in AllowedTeamIdentifiers */
	CHECK(mx_kext_policy_allows(&p, "TLIMITED01", "com.example.two", true, &r));
	CHECK(!mx_kext_policy_allows(&p, "TLIMITED01", "com.example.three", true, &r));
	/* rules stay in merge order */
	CHECK_EQ_STR(mx_kext_policy_rule(&p, 0)->team_id, "T000000000");
	CHECK_EQ_STR(mx_kext_policy_rule(&p, mx_kext_policy_count(&p) - 1)->team_id, "T000049999");
	CHECK(mx_kext_policy_rule(&p, mx_kext_policy_count(&p)) == NULL);
	mx_kext_policy_free(&p);
	plist_free(a);
	plist_free(b);
}
static void
merge_two(mx_kext_policy *p, plist_t a, plist_t b)
{
	mx_err err = { 0 };
	mx_kext_policy_init(p);
	CHECK_EQ_INT(mx_kext_policy_add(p, a, "UUID-A", &err), 0);
	CHECK_EQ_INT(mx_kext_policy_add(p, b, "UUID-B", &err), 0);
}

/* A few lookups scan the rules, more build the index: the answers (and
 * the rule, so the payload that owns it) are the same whichever way a
 * lookup went, and whatever came before it. */
MX_TEST(kext_policy_scan_agrees_with_index)
{
	plist_t a = payload(MX_KEXT_POLICY_TYPE, 0, 3000, true);
	plist_t b = payload(MX_KEXT_POLICY_TYPE, 2000, 5000, false);
	CHECK(a != NULL && b != NULL);
	static const struct { const char *team, *bundle; bool signed_ok, allowed; const char *uuid; }
	    q[] = {
		{ "T000000000", "com.any", true, true, "UUID-A" },
		{ "T000002500", "com.any", true, true, "UUID-A" },     /* in both: the first's */
		{ "T000004999", "com.any", true, true, "UUID-B" },
		{ "T000004999", "com.any", false, false, NULL },       /* not validly signed */
		{ "T000005000", "com.any", true, false, NULL },
		{ "TLIMITED01", "com.example.two", true, true, "UUID-A" },
		{ "TLIMITED01", "com.example.three", true, false, NULL },  /* limited */
		{ "", "com.example.two", true, false, NULL },
		{ "T00000000", "com.any", true, false, NULL },         /* a prefix of a team */
		{ "T0000000000", "com.any", true, false, NULL },       /* one longer */
		{ "TLIMITED01", "", true, false, NULL },
		{ "T000001234", "com.other", true, true, "UUID-A" },
	};
	size_t nq = sizeof q / sizeof q[0];
	mx_kext_policy in_order, indexed;
	merge_two(&in_order, a, b);
	merge_two(&indexed, a, b);
	CHECK_EQ_INT((int)mx_kext_policy_count(&indexed), 5000 + 1 + 2);   /* builds the index */
	for (size_t i = 0; i < nq; i++) {
		mx_kext_policy fresh;
		merge_two(&fresh, a, b);        /* its one lookup is a scan */
		const mx_kext_rule *r1 = NULL, *r2 = NULL, *r3 = NULL;
		bool x1 = mx_kext_policy_allows(&in_order, q[i].team, q[i].bundle, q[i].signed_ok, &r1);
		bool x2 = mx_kext_policy_allows(&indexed, q[i].team, q[i].bundle, q[i].signed_ok, &r2);
		bool x3 = mx_kext_policy_allows(&fresh, q[i].team, q[i].bundle, q[i].signed_ok, &r3);
		if (x1 != q[i].allowed || x2 != q[i].allowed || x3 != q[i].allowed)
			mx_test_fail_at(__FILE__, __LINE__, "query %zu (%s, %s): %d/%d/%d, expected %d", i,
			    q[i].team, q[i].bundle, x1, x2, x3, q[i].allowed);
		const char *u1 = r1 ? r1->payload_uuid : NULL, *u2 = r2 ? r2->payload_uuid : NULL;
		const char *u3 = r3 ? r3->payload_uuid : NULL;
		if (q[i].uuid && !(u1 && u2 && u3 && strcmp(u1, q[i].uuid) == 0 &&
		    strcmp(u2, q[i].uuid) == 0 && strcmp(u3, q[i].uuid) == 0))
			mx_test_fail_at(__FILE__, __LINE__, "query %zu: rule of %s/%s/%s, expected %s", i,
			    u1 ? u1 : "-", u2 ? u2 : "-", u3 ? u3 : "-", q[i].uuid);
		mx_kext_policy_free(&fresh);
	}
	/* a payload merged after the index was built is indexed too, repeats dropped */
	plist_t c = payload(MX_KEXT_POLICY_TYPE, 4990, 5010, false);
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_kext_policy_add(&indexed, c, "UUID-C", &err), 0);
	CHECK_EQ_INT((int)mx_kext_policy_count(&indexed), 5010 + 1 + 2);
	const mx_kext_rule *r = NULL;
	CHECK(mx_kext_policy_allows(&indexed, "T000005005", "com.any", true, &r));
	CHECK(r != NULL && strcmp(r->payload_uuid, "UUID-C") == 0);
	CHECK(mx_kext_policy_allows(&indexed, "T000004995", "com.any", true, &r));
	CHECK(r != NULL && strcmp(r->payload_uuid, "UUID-B") == 0);
	mx_kext_policy_free(&in_order);
	mx_kext_policy_free(&indexed);
	plist_free(a);
	plist_free(b);
	plist_free(c);
}

MX_TEST(sysext_policy_large_merge)
{
	plist_t a = payload("com.apple.system-extension-policy", 0, 30000, true);
	plist_t b = payload("com.apple.system-extension-policy", 20000, 50000, false);
	mx_sxpolicy *p = mx_sxpolicy_new();
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_sxpolicy_add_payload(p, a, NULL, &err), 0);
	CHECK_EQ_INT(mx_sxpolicy_add_payload(p, b, NULL, &err), 0);
	CHECK(mx_sxpolicy_lists(p, "T000000000", "com.any"));
	CHECK(mx_sxpolicy_lists(p, "T000049999", "com.any"));
	CHECK(!mx_sxpolicy_lists(p, "T000050000", "com.any"));
	CHECK(mx_sxpolicy_lists(p, "TLIMITED01", "com.example.one"));
	CHECK_EQ_INT(mx_sxpolicy_npayloads(p), 2);
	mx_sxpolicy_free(p);
	plist_free(a);
	plist_free(b);
}
