/*
 * test_policy_scale.c — issue 14 §8: the merged kext and system-extension
 * policies of large allow lists keep their meaning now that merging and
 * lookups go through sorted-runs sets: duplicates across payloads are one
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
	CHECK_EQ_INT(p.nrules, 50000 + 1 + 2);
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
	CHECK_EQ_STR(p.rules[0].team_id, "T000000000");
	CHECK_EQ_STR(p.rules[p.nrules - 1].team_id, "T000049999");
	mx_kext_policy_free(&p);
	plist_free(a);
	plist_free(b);
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
