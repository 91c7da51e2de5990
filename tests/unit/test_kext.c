/*
 * test_kext.c — the kext policy core: payload checks and merge, matching
 * (Team IDs, Team → bundle IDs, the empty Team ID for unsigned kexts),
 * SIP signature enforcement, the load decision table, approvals by
 * enrolment, and AuxKC inclusion.  Rows name the rule they test.
 */
#include <stdlib.h>

#include "harness.h"
#include "macext/kext.h"

static plist_t
payload(const char *xml)
{
	plist_t p = NULL;
	plist_from_xml(xml, (uint32_t)strlen(xml), &p);
	return p;
}

#define PL(body) "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict>" body "</dict></plist>"

static void
add(mx_kext_policy *p, const char *xml)
{
	mx_err err;
	mx_err_clear(&err);
	plist_t d = payload(xml);
	CHECK(d != NULL);
	CHECK_EQ_INT(mx_kext_policy_add(p, d, "UUID-1", &err), 0);
	plist_free(d);
}

MX_TEST(kext_policy_user_overrides_merge)
{
	static const struct { const char *a, *b; bool want; const char *rule; } rows[] = {
		{ NULL, NULL, false, "no payload: AllowUserOverrides defaults to false" },
		{ PL(""), NULL, false, "absent key: default false" },
		{ PL("<key>AllowUserOverrides</key><true/>"), NULL, true, "one payload true" },
		{ PL("<key>AllowUserOverrides</key><true/>"), PL("<key>AllowUserOverrides</key><false/>"),
		  false, "any payload false wins (sibling payload's rule, Q14)" },
		{ PL("<key>AllowUserOverrides</key><true/>"), PL(""), false,
		  "absent is the default false and ANDs" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		mx_kext_policy p;
		mx_kext_policy_init(&p);
		if (rows[i].a)
			add(&p, rows[i].a);
		if (rows[i].b)
			add(&p, rows[i].b);
		if (mx_kext_policy_user_overrides(&p) != rows[i].want)
			mx_test_fail_at(__FILE__, __LINE__, "row %zu (%s)", i, rows[i].rule);
		mx_kext_policy_free(&p);
	}
}

MX_TEST(kext_policy_nonadmin_merge)
{
	mx_kext_policy p;
	mx_kext_policy_init(&p);
	CHECK(!mx_kext_policy_nonadmin_approvals(&p));
	add(&p, PL("<key>AllowNonAdminUserApprovals</key><true/>"));
	CHECK(mx_kext_policy_nonadmin_approvals(&p));
	add(&p, PL("<key>AllowNonAdminUserApprovals</key><false/>"));
	CHECK(!mx_kext_policy_nonadmin_approvals(&p));
	mx_kext_policy_free(&p);
}

MX_TEST(kext_policy_matching)
{
	mx_kext_policy p;
	mx_kext_policy_init(&p);
	add(&p, PL("<key>AllowedTeamIdentifiers</key><array><string>2H5GFH3774</string>"
	    "<string>ABCDE12345</string></array>"
	    "<key>AllowedKernelExtensions</key><dict>"
	    "<key>VB5E2TV963</key><array><string>org.virtualbox.kext.VBoxDrv</string></array>"
	    "<key>ABCDE12345</key><array><string>com.example.kext.mydriver</string></array>"
	    "<key></key><array><string>com.example.mydriver</string></array>"
	    "</dict>"));
	static const struct { const char *team, *bundle; bool signed_ok, want; const char *rule; }
	rows[] = {
		{ "2H5GFH3774", "com.sophos.kext.sav", true, true, "AllowedTeamIdentifiers: any kext of the team" },
		{ "2H5GFH3774", "com.sophos.kext.sav", false, false, "team rule needs a valid signature" },
		{ "VB5E2TV963", "org.virtualbox.kext.VBoxDrv", true, true, "Team -> bundle id listed" },
		{ "VB5E2TV963", "org.virtualbox.kext.VBoxUSB", true, false, "bundle id of the team not listed" },
		{ "ABCDE12345", "com.example.kext.mydriver", true, true, "listed bundle of a listed team" },
		{ "ABCDE12345", "com.example.other", true, false, "Q1: a bundle list limits the team-wide entry" },
		{ "", "com.example.mydriver", false, true, "empty Team ID: unsigned kext by bundle id" },
		{ "", "com.example.other", false, false, "unsigned kext not named" },
		{ "ZZZZZZZZZZ", "com.example.mydriver", true, false, "bundle id under another team" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (mx_kext_policy_allows(&p, rows[i].team, rows[i].bundle, rows[i].signed_ok, NULL) !=
		    rows[i].want)
			mx_test_fail_at(__FILE__, __LINE__, "row %zu (%s)", i, rows[i].rule);
	mx_kext_policy_free(&p);
}

MX_TEST(kext_policy_rejects_bad_payloads)
{
	static const struct { const char *xml, *where; } rows[] = {
		{ PL("<key>AllowUserOverrides</key><string>yes</string>"), "AllowUserOverrides" },
		{ PL("<key>AllowedTeamIdentifiers</key><string>X</string>"), "AllowedTeamIdentifiers" },
		{ PL("<key>AllowedTeamIdentifiers</key><array><integer>1</integer></array>"),
		  "AllowedTeamIdentifiers[0]" },
		{ PL("<key>AllowedTeamIdentifiers</key><array><string></string></array>"),
		  "AllowedTeamIdentifiers[0]" },
		{ PL("<key>AllowedKernelExtensions</key><array/>"), "AllowedKernelExtensions" },
		{ PL("<key>AllowedKernelExtensions</key><dict><key>T1</key><string>a</string></dict>"),
		  "AllowedKernelExtensions.T1" },
		{ PL("<key>AllowedKernelExtensions</key><dict><key>T1</key><array><true/></array></dict>"),
		  "AllowedKernelExtensions.T1[0]" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		mx_kext_policy p;
		mx_kext_policy_init(&p);
		mx_err err;
		mx_err_clear(&err);
		plist_t d = payload(rows[i].xml);
		CHECK_EQ_INT(mx_kext_policy_add(&p, d, "U", &err), MX_EINVALID);
		CHECK_EQ_STR(err.where, rows[i].where);
		CHECK_EQ_INT(p.npayloads, 0);
		CHECK_EQ_INT((int)mx_kext_policy_count(&p), 0);
		plist_free(d);
		mx_kext_policy_free(&p);
	}
}

static mx_device
dev(enum mx_arch arch, bool sip)
{
	mx_device d;
	mx_env_in in = { 0 };
	mx_version v = { 15, 1, 0 };
	mx_device_init(&d, "t", arch, v, &in);
	if (!sip)
		d.csr = MX_CSR_DISABLE_FLAGS;
	return d;
}

static mx_kext
kext(const char *id, const char *team, enum mx_kext_sig sig)
{
	mx_kext k;
	memset(&k, 0, sizeof k);
	snprintf(k.bundle_id, sizeof k.bundle_id, "%s", id);
	snprintf(k.team_id, sizeof k.team_id, "%s", team);
	snprintf(k.developer_name, sizeof k.developer_name, "Dev");
	k.sig = sig;
	k.requirement_met = sig == MX_KSIG_DEVID_KEXT;
	k.has_arch = true;
	return k;
}

MX_TEST(kext_sip_signature_enforcement)
{
	/* seed: "If SIP is enabled, the signature of each kext is verified
	 * before being included in the AuxKC.  If SIP is disabled, the kext
	 * signature isn't enforced." */
	static const struct { enum mx_kext_sig sig; bool sip, want; } rows[] = {
		{ MX_KSIG_DEVID_KEXT, true, true }, { MX_KSIG_DEVID_KEXT, false, true },
		{ MX_KSIG_DEVID, true, false },      { MX_KSIG_DEVID, false, true },
		{ MX_KSIG_ADHOC, true, false },      { MX_KSIG_ADHOC, false, true },
		{ MX_KSIG_UNSIGNED, true, false },   { MX_KSIG_UNSIGNED, false, true },
		{ MX_KSIG_INVALID, true, false },    { MX_KSIG_INVALID, false, true },
		{ MX_KSIG_UNTRUSTED, true, false },  { MX_KSIG_UNTRUSTED, false, true },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		mx_device d = dev(MX_ARCH_X86_64, rows[i].sip);
		mx_kext k = kext("com.example.k", rows[i].sig == MX_KSIG_DEVID_KEXT ||
		    rows[i].sig == MX_KSIG_DEVID ? "ABCDE12345" : "", rows[i].sig);
		if (mx_kext_signature_ok(&d, &k) != rows[i].want)
			mx_test_fail_at(__FILE__, __LINE__, "row %zu: %s with SIP %s", i,
			    mx_kext_sig_name(rows[i].sig), rows[i].sip ? "on" : "off");
	}
	/* an Apple-prefixed kext needs Apple's signature */
	mx_device d = dev(MX_ARCH_X86_64, true);
	mx_kext k = kext("com.apple.driver.X", "ABCDE12345", MX_KSIG_DEVID_KEXT);
	CHECK(!mx_kext_signature_ok(&d, &k));
}

MX_TEST(kext_load_decisions)
{
	mx_kext_policy none, allow, strict;
	mx_kext_policy_init(&none);
	mx_kext_policy_init(&allow);
	mx_kext_policy_init(&strict);
	add(&allow, PL("<key>AllowedTeamIdentifiers</key><array><string>ABCDE12345</string></array>"));
	add(&strict, PL("<key>AllowedTeamIdentifiers</key><array><string>OTHER00000</string></array>"));
	static const struct {
		bool sip, gate, user_ok, codeless; int policy; enum mx_kext_sig sig;
		enum mx_kext_load_result r; enum mx_kext_state s; enum mx_kext_approval a;
		const char *rule;
	} rows[] = {
		{ true, true, false, false, 0, MX_KSIG_DEVID_KEXT, MX_KLOAD_NEEDS_APPROVAL,
		  MX_KEXT_AWAITING_USER_APPROVAL, MX_KAPPROVAL_NONE, "new kext: user approval (exit 27)" },
		{ true, true, true, false, 0, MX_KSIG_DEVID_KEXT, MX_KLOAD_NEEDS_REBOOT,
		  MX_KEXT_AWAITING_RESTART, MX_KAPPROVAL_USER, "approved: restart (exit 28)" },
		{ true, true, false, false, 1, MX_KSIG_DEVID_KEXT, MX_KLOAD_NEEDS_REBOOT,
		  MX_KEXT_AWAITING_RESTART, MX_KAPPROVAL_MDM, "allow-list profile names it: restart" },
		{ true, true, false, false, 2, MX_KSIG_DEVID_KEXT, MX_KLOAD_NEEDS_APPROVAL,
		  MX_KEXT_REJECTED_BY_POLICY, MX_KAPPROVAL_NONE, "profile without it, overrides false" },
		{ true, false, false, false, 0, MX_KSIG_DEVID_KEXT, MX_KLOAD_NEEDS_APPROVAL,
		  MX_KEXT_BLOCKED_BY_SECURITY_POLICY, MX_KAPPROVAL_NONE, "Apple silicon Full Security" },
		{ true, false, true, false, 0, MX_KSIG_DEVID_KEXT, MX_KLOAD_NEEDS_APPROVAL,
		  MX_KEXT_BLOCKED_BY_SECURITY_POLICY, MX_KAPPROVAL_NONE, "gate before approval" },
		{ true, true, true, true, 0, MX_KSIG_DEVID_KEXT, MX_KLOAD_OK,
		  MX_KEXT_LOADED, MX_KAPPROVAL_USER, "codeless: approval but no restart" },
		{ true, true, false, true, 0, MX_KSIG_DEVID_KEXT, MX_KLOAD_NEEDS_APPROVAL,
		  MX_KEXT_AWAITING_USER_APPROVAL, MX_KAPPROVAL_NONE, "codeless still needs approval" },
		{ true, true, true, false, 0, MX_KSIG_ADHOC, MX_KLOAD_REJECTED,
		  MX_KEXT_REJECTED_SIGNATURE, MX_KAPPROVAL_NONE, "SIP on: ad-hoc rejected" },
		{ true, true, true, false, 0, MX_KSIG_UNSIGNED, MX_KLOAD_REJECTED,
		  MX_KEXT_REJECTED_SIGNATURE, MX_KAPPROVAL_NONE, "SIP on: unsigned rejected" },
		{ true, true, true, false, 0, MX_KSIG_INVALID, MX_KLOAD_REJECTED,
		  MX_KEXT_REJECTED_SIGNATURE, MX_KAPPROVAL_NONE, "SIP on: tampered rejected" },
		{ false, true, false, false, 0, MX_KSIG_ADHOC, MX_KLOAD_NEEDS_APPROVAL,
		  MX_KEXT_AWAITING_USER_APPROVAL, MX_KAPPROVAL_NONE, "SIP off never removes approval" },
		{ false, true, true, false, 0, MX_KSIG_UNSIGNED, MX_KLOAD_NEEDS_REBOOT,
		  MX_KEXT_AWAITING_RESTART, MX_KAPPROVAL_USER, "SIP off: unsigned approved, restart" },
		{ false, false, true, false, 0, MX_KSIG_ADHOC, MX_KLOAD_NEEDS_APPROVAL,
		  MX_KEXT_BLOCKED_BY_SECURITY_POLICY, MX_KAPPROVAL_NONE, "SIP off never removes the gate" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		mx_device d = dev(MX_ARCH_X86_64, rows[i].sip);
		bool signed_ok = rows[i].sig == MX_KSIG_DEVID_KEXT;
		mx_kext k = kext("com.example.k", signed_ok ? "ABCDE12345" : "", rows[i].sig);
		k.codeless = rows[i].codeless;
		mx_kext_ctx c = { &d, rows[i].policy == 1 ? &allow : rows[i].policy == 2 ? &strict :
		    &none, NULL, rows[i].user_ok, rows[i].gate };
		enum mx_kext_load_result r = mx_kext_load(&c, &k);
		if (r != rows[i].r || k.state != rows[i].s || k.approval != rows[i].a || !k.load_requested)
			mx_test_fail_at(__FILE__, __LINE__, "row %zu (%s): got %d %s %s", i, rows[i].rule,
			    (int)r, mx_kext_state_name(k.state), mx_kext_approval_name(k.approval));
	}
	mx_kext_policy_free(&none);
	mx_kext_policy_free(&allow);
	mx_kext_policy_free(&strict);
}

MX_TEST(kext_load_missing_arch_and_loaded)
{
	mx_device d = dev(MX_ARCH_ARM64, true);
	mx_kext_policy p;
	mx_kext_policy_init(&p);
	mx_kext k = kext("com.example.k", "ABCDE12345", MX_KSIG_DEVID_KEXT);
	k.has_arch = false;
	mx_kext_ctx c = { &d, &p, NULL, true, true };
	CHECK_EQ_INT(mx_kext_load(&c, &k), MX_KLOAD_REJECTED);
	CHECK_EQ_INT(k.state, MX_KEXT_INSTALLED);
	k.has_arch = true;
	k.state = MX_KEXT_LOADED;
	CHECK_EQ_INT(mx_kext_load(&c, &k), MX_KLOAD_OK);
	/* unloaded but still in the AuxKC: loads again without a restart */
	k.state = MX_KEXT_INSTALLED;
	k.in_auxkc = true;
	CHECK_EQ_INT(mx_kext_load(&c, &k), MX_KLOAD_OK);
	CHECK_EQ_INT(k.state, MX_KEXT_LOADED);
	k.state = MX_KEXT_REMOVED_AWAITING_RESTART;
	CHECK_EQ_INT(mx_kext_load(&c, &k), MX_KLOAD_REJECTED);
	/* com.apple.* from /Library/Extensions needs OSBundleRequired Auxiliary */
	mx_kext a = kext("com.apple.driver.Foo", "", MX_KSIG_APPLE);
	CHECK_EQ_INT(mx_kext_load(&c, &a), MX_KLOAD_REJECTED);
	mx_kext_policy_free(&p);
}

MX_TEST(kext_consent_intel_only)
{
	mx_kext_policy p;
	mx_kext_policy_init(&p);
	mx_kext_consent cons = { false, 1, { "ABCDE12345" } };
	mx_kext k = kext("com.example.k", "ABCDE12345", MX_KSIG_DEVID_KEXT);
	mx_device intel = dev(MX_ARCH_X86_64, true), arm = dev(MX_ARCH_ARM64, true);
	mx_kext_ctx c = { &intel, &p, &cons, false, true };
	CHECK_EQ_INT(mx_kext_approval_source(&c, &k), MX_KAPPROVAL_CONSENT);
	c.dev = &arm;
	CHECK_EQ_INT(mx_kext_approval_source(&c, &k), MX_KAPPROVAL_NONE);
	mx_kext_policy_free(&p);
}

MX_TEST(kext_user_may_approve)
{
	mx_device d = dev(MX_ARCH_X86_64, true);
	mx_kext k = kext("com.example.k", "ABCDE12345", MX_KSIG_DEVID_KEXT);
	mx_kext_policy p;
	mx_kext_policy_init(&p);
	mx_kext_ctx c = { &d, &p, NULL, false, true };
	bool na;
	mx_err err;
	mx_err_clear(&err);
	CHECK_EQ_INT(mx_kext_user_may_approve(&c, &k, &na, &err), 0);
	CHECK(na);                                       /* 11+: an administrator */
	add(&p, PL("<key>AllowUserOverrides</key><true/><key>AllowNonAdminUserApprovals</key><true/>"));
	CHECK_EQ_INT(mx_kext_user_may_approve(&c, &k, &na, &err), 0);
	CHECK(!na);                                      /* AllowNonAdminUserApprovals */
	add(&p, PL("<key>AllowedTeamIdentifiers</key><array><string>X</string></array>"));
	CHECK_EQ_INT(mx_kext_user_may_approve(&c, &k, &na, &err), MX_EDENIED);   /* overrides false */
	c.gate_ok = false;
	CHECK_EQ_INT(mx_kext_user_may_approve(&c, &k, &na, &err), MX_ESTATE);
	mx_kext_policy_free(&p);
}

MX_TEST(kext_reevaluate_on_profile)
{
	mx_device d = dev(MX_ARCH_X86_64, true);
	mx_kext_policy none, allow;
	mx_kext_policy_init(&none);
	mx_kext_policy_init(&allow);
	add(&allow, PL("<key>AllowedKernelExtensions</key><dict><key>ABCDE12345</key><array>"
	    "<string>com.example.k</string></array></dict>"));
	mx_kext k = kext("com.example.k", "ABCDE12345", MX_KSIG_DEVID_KEXT);
	mx_kext_ctx c = { &d, &none, NULL, false, true };
	mx_kext_load(&c, &k);
	CHECK_EQ_INT(k.state, MX_KEXT_AWAITING_USER_APPROVAL);
	c.policy = &allow;
	CHECK(mx_kext_reevaluate(&c, &k));
	CHECK_EQ_INT(k.state, MX_KEXT_AWAITING_RESTART);
	CHECK_EQ_INT(k.approval, MX_KAPPROVAL_MDM);
	c.policy = &none;                          /* profile removed before the restart */
	CHECK(mx_kext_reevaluate(&c, &k));
	CHECK_EQ_INT(k.state, MX_KEXT_AWAITING_USER_APPROVAL);
	k.state = MX_KEXT_INSTALLED;               /* never load-attempted: untouched */
	CHECK(!mx_kext_reevaluate(&c, &k));
	mx_kext_policy_free(&none);
	mx_kext_policy_free(&allow);
}

MX_TEST(kext_auxkc_inclusion)
{
	mx_device d = dev(MX_ARCH_X86_64, true);
	mx_kext_policy p;
	mx_kext_policy_init(&p);
	add(&p, PL("<key>AllowedTeamIdentifiers</key><array><string>ABCDE12345</string></array>"));
	mx_kext k = kext("com.example.k", "ABCDE12345", MX_KSIG_DEVID_KEXT);
	mx_kext_ctx c = { &d, &p, NULL, false, true };
	const char *why;
	CHECK(!mx_kext_include_in_auxkc(&c, &k, false, &why));   /* never discovered */
	CHECK_EQ_STR(why, "never requested to load");
	CHECK(mx_kext_include_in_auxkc(&c, &k, true, &why));     /* RestartDevice KextPaths */
	k.load_requested = true;
	CHECK(mx_kext_include_in_auxkc(&c, &k, false, &why));
	k.codeless = true;
	CHECK(!mx_kext_include_in_auxkc(&c, &k, false, &why));
	k.codeless = false;
	k.state = MX_KEXT_REMOVED_AWAITING_RESTART;
	CHECK(!mx_kext_include_in_auxkc(&c, &k, false, &why));
	k.state = MX_KEXT_AWAITING_RESTART;
	k.sig = MX_KSIG_ADHOC;
	k.requirement_met = false;
	CHECK(!mx_kext_include_in_auxkc(&c, &k, false, &why));
	CHECK_EQ_STR(why, "invalid signature");
	c.gate_ok = false;
	CHECK(!mx_kext_include_in_auxkc(&c, &k, false, &why));
	mx_kext_policy_free(&p);
}

MX_TEST(kext_names_and_versions)
{
	char b[256];
	mx_kext_developer_name(b, sizeof b, "Developer ID Application: Sophos Ltd (2H5GFH3774)", "X");
	CHECK_EQ_STR(b, "Sophos Ltd");
	mx_kext_developer_name(b, sizeof b, NULL, "RegionSpoof");
	CHECK_EQ_STR(b, "Unidentified - RegionSpoof");
	mx_version v = { 11, 4, 0 };
	mx_kext_darwin_version(v, b, sizeof b);
	CHECK_EQ_STR(b, "20.5.0");
	v = (mx_version){ 15, 1, 0 };
	mx_kext_darwin_version(v, b, sizeof b);
	CHECK_EQ_STR(b, "24.1.0");
	for (int s = 0; s <= MX_KEXT_REMOVED_AWAITING_RESTART; s++) {
		enum mx_kext_state o;
		mx_err err;
		CHECK_EQ_INT(mx_kext_state_parse(&o, mx_kext_state_name((enum mx_kext_state)s), &err), 0);
		CHECK_EQ_INT(o, s);
	}
}

MX_TEST(kext_legacy_before_macos_11)
{
	/* seed: "In macOS 11 or later ... they can't be loaded into the kernel
	 * on demand"; before 11 (TN2459 UAKEL) an approved kext loads on
	 * demand, any user may approve, SIP still checks the signature */
	static const struct {
		mx_version os; bool legacy, user_ok; enum mx_kext_sig sig; bool need_admin;
		enum mx_kext_load_result r; enum mx_kext_state s;
	} rows[] = {
		{ { 10, 13, 6 }, true, false, MX_KSIG_DEVID_KEXT, false, MX_KLOAD_NEEDS_APPROVAL,
		  MX_KEXT_AWAITING_USER_APPROVAL },
		{ { 10, 13, 6 }, true, true, MX_KSIG_DEVID_KEXT, false, MX_KLOAD_OK, MX_KEXT_LOADED },
		{ { 10, 14, 6 }, true, true, MX_KSIG_DEVID_KEXT, false, MX_KLOAD_OK, MX_KEXT_LOADED },
		{ { 10, 15, 7 }, true, true, MX_KSIG_DEVID_KEXT, false, MX_KLOAD_OK, MX_KEXT_LOADED },
		{ { 10, 15, 7 }, true, true, MX_KSIG_ADHOC, false, MX_KLOAD_REJECTED,
		  MX_KEXT_REJECTED_SIGNATURE },
		{ { 11, 0, 0 }, false, true, MX_KSIG_DEVID_KEXT, true, MX_KLOAD_NEEDS_REBOOT,
		  MX_KEXT_AWAITING_RESTART },
		{ { 11, 0, 0 }, false, false, MX_KSIG_DEVID_KEXT, true, MX_KLOAD_NEEDS_APPROVAL,
		  MX_KEXT_AWAITING_USER_APPROVAL },
	};
	mx_kext_policy none;
	mx_kext_policy_init(&none);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		mx_device d;
		mx_env_in in = { 0 };
		mx_device_init(&d, "t", MX_ARCH_X86_64, rows[i].os, &in);
		mx_kext k = kext("com.example.k", rows[i].sig == MX_KSIG_DEVID_KEXT ? "ABCDE12345" : "",
		    rows[i].sig);
		mx_kext_ctx c = { &d, &none, NULL, rows[i].user_ok, true };
		bool need_admin = !rows[i].need_admin;
		mx_err err;
		mx_err_clear(&err);
		int may = mx_kext_user_may_approve(&c, &k, &need_admin, &err);
		enum mx_kext_load_result r = mx_kext_load(&c, &k);
		const char *why = NULL;
		bool inc = mx_kext_include_in_auxkc(&c, &k, true, &why);
		if (mx_kext_legacy(&d) != rows[i].legacy || may != 0 ||
		    need_admin != rows[i].need_admin || r != rows[i].r || k.state != rows[i].s ||
		    (rows[i].legacy && inc))
			mx_test_fail_at(__FILE__, __LINE__, "row %zu (%d.%d.%d): got r %d state %s"
			    " admin %d auxkc %d", i, rows[i].os.major, rows[i].os.minor, rows[i].os.patch,
			    (int)r, mx_kext_state_name(k.state), need_admin, inc);
	}
	/* an approval given after the blocked attempt makes the kext loadable
	 * (installed), it does not load it; the next load request does */
	mx_device d;
	mx_env_in in = { 0 };
	mx_version v = { 10, 15, 7 };
	mx_device_init(&d, "t", MX_ARCH_X86_64, v, &in);
	mx_kext k = kext("com.example.k", "ABCDE12345", MX_KSIG_DEVID_KEXT);
	mx_kext_ctx c = { &d, &none, NULL, false, true };
	CHECK_EQ_INT(mx_kext_load(&c, &k), MX_KLOAD_NEEDS_APPROVAL);
	c.user_approved = true;
	CHECK(mx_kext_reevaluate(&c, &k));
	CHECK_EQ_INT(k.state, MX_KEXT_INSTALLED);
	CHECK_EQ_INT(k.approval, MX_KAPPROVAL_USER);
	CHECK_EQ_INT(mx_kext_load(&c, &k), MX_KLOAD_OK);
	CHECK_EQ_INT(k.state, MX_KEXT_LOADED);
	const char *why = NULL;
	CHECK(!mx_kext_include_in_auxkc(&c, &k, true, &why));
	CHECK_EQ_STR(why, "no auxiliary kernel collection before macOS 11");
	mx_kext_policy_free(&none);
}
