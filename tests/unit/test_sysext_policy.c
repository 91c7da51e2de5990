/* test_sysext_policy.c — the merged com.apple.system-extension-policy and
 * the decision model (system-extensions.md §1.4, §1.6, §1.7), table-driven. */
#include <stdlib.h>

#include "harness.h"
#include "macext/sysext.h"

static plist_t
payload(const char *body)
{
	char xml[8192];
	snprintf(xml, sizeof xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">"
	    "<dict><key>PayloadType</key><string>com.apple.system-extension-policy</string>%s</dict>"
	    "</plist>", body);
	plist_t p = NULL;
	plist_from_xml(xml, (uint32_t)strlen(xml), &p);
	return p;
}

static mx_sxpolicy *
policy_of(const char *const *bodies, size_t n)
{
	mx_sxpolicy *p = mx_sxpolicy_new();
	for (size_t i = 0; i < n; i++) {
		plist_t pl = payload(bodies[i]);
		mx_err err;
		mx_err_clear(&err);
		if (mx_sxpolicy_add_payload(p, pl, "test", &err) != 0)
			mx_test_fail_at(__FILE__, __LINE__, "payload %zu: %s", i, err.msg);
		plist_free(pl);
	}
	return p;
}

/* Santa's published payload (northpolesec), CrowdStrike's (Kandji), SentinelOne's */
#define SANTA "<key>AllowUserOverrides</key><true/><key>AllowedSystemExtensions</key><dict>" \
	"<key>ZMCG7MLDV9</key><array><string>com.northpolesec.santa.daemon</string></array></dict>" \
	"<key>AllowedSystemExtensionTypes</key><dict><key>ZMCG7MLDV9</key><array>" \
	"<string>EndpointSecurityExtension</string></array></dict>"
#define CROWDSTRIKE "<key>AllowUserOverrides</key><true/><key>AllowedSystemExtensionTypes</key>" \
	"<dict><key>X9E956P446</key><array><string>EndpointSecurityExtension</string>" \
	"<string>NetworkExtension</string></array></dict><key>AllowedSystemExtensions</key><dict>" \
	"<key>X9E956P446</key><array><string>com.crowdstrike.falcon.Agent</string></array></dict>"
#define S1 "<key>AllowUserOverrides</key><true/><key>AllowedTeamIdentifiers</key><array>" \
	"<string>4AYE5J54KN</string></array>"
#define NO_OVERRIDES "<key>AllowUserOverrides</key><false/>"
#define REMOVABLE "<key>RemovableSystemExtensions</key><dict><key>ZMCG7MLDV9</key><array>" \
	"<string>com.northpolesec.santa.daemon</string></array></dict>"
#define NONREMOVABLE "<key>NonRemovableSystemExtensions</key><dict><key>X9E956P446</key><array>" \
	"<string>com.crowdstrike.falcon.Agent</string></array></dict>"
#define NONREMOVABLE_UI "<key>NonRemovableFromUISystemExtensions</key><dict><key>X9E956P446</key>" \
	"<array><string>com.crowdstrike.falcon.Agent</string></array></dict>"

MX_TEST(sysext_policy_decide_table)
{
	static const struct {
		const char *name;
		const char *payloads[3];
		const char *team, *bundle, *category;
		enum mx_sx_verdict want;
	} rows[] = {
		{ "no profile: the user decides", { NULL }, "ZMCG7MLDV9",
		  "com.northpolesec.santa.daemon", MX_SX_CAT_ES, MX_SXV_NEEDS_USER },
		{ "santa: listed bundle of its type", { SANTA }, "ZMCG7MLDV9",
		  "com.northpolesec.santa.daemon", MX_SX_CAT_ES, MX_SXV_ALLOW },
		{ "santa: other bundle of the team", { SANTA }, "ZMCG7MLDV9",
		  "com.northpolesec.santa.netd", MX_SX_CAT_ES, MX_SXV_NEEDS_USER },
		{ "santa: listed bundle, type not allowed", { SANTA }, "ZMCG7MLDV9",
		  "com.northpolesec.santa.daemon", MX_SX_CAT_NETWORK, MX_SXV_NEEDS_USER },
		{ "crowdstrike: network type allowed", { CROWDSTRIKE }, "X9E956P446",
		  "com.crowdstrike.falcon.Agent", MX_SX_CAT_NETWORK, MX_SXV_ALLOW },
		{ "crowdstrike: driver type narrowed out", { CROWDSTRIKE }, "X9E956P446",
		  "com.crowdstrike.falcon.Agent", MX_SX_CAT_DRIVER, MX_SXV_NEEDS_USER },
		{ "sentinelone: whole team, any bundle", { S1 }, "4AYE5J54KN",
		  "com.sentinelone.network-monitoring", MX_SX_CAT_NETWORK, MX_SXV_ALLOW },
		{ "sentinelone: no types entry allows driver", { S1 }, "4AYE5J54KN",
		  "com.sentinelone.driver", MX_SX_CAT_DRIVER, MX_SXV_ALLOW },
		{ "sentinelone: cmio under a team entry", { S1 }, "4AYE5J54KN",
		  "com.sentinelone.camera", MX_SX_CAT_CMIO, MX_SXV_ALLOW },
		{ "other team not listed", { S1, SANTA }, "AAAAAAAAAA", "com.example.x", MX_SX_CAT_ES,
		  MX_SXV_NEEDS_USER },
		{ "union of two payloads", { S1, SANTA }, "ZMCG7MLDV9",
		  "com.northpolesec.santa.daemon", MX_SX_CAT_ES, MX_SXV_ALLOW },
		{ "AllowUserOverrides false forbids the user", { NO_OVERRIDES }, "AAAAAAAAAA",
		  "com.example.x", MX_SX_CAT_ES, MX_SXV_USER_FORBIDDEN },
		{ "one false wins over true", { SANTA, NO_OVERRIDES, S1 }, "AAAAAAAAAA",
		  "com.example.x", MX_SX_CAT_ES, MX_SXV_USER_FORBIDDEN },
		{ "false still lets listed ones load", { SANTA, NO_OVERRIDES }, "ZMCG7MLDV9",
		  "com.northpolesec.santa.daemon", MX_SX_CAT_ES, MX_SXV_ALLOW },
		{ "unsigned (no team) never listed", { S1 }, "", "com.example.x", MX_SX_CAT_ES,
		  MX_SXV_NEEDS_USER },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		size_t n = 0;
		while (n < 3 && rows[i].payloads[n])
			n++;
		mx_sxpolicy *p = policy_of(rows[i].payloads, n);
		enum mx_sx_verdict v = mx_sx_decide(p, rows[i].team, rows[i].bundle, rows[i].category);
		if (v != rows[i].want)
			mx_test_fail_at(__FILE__, __LINE__, "%s: got %s, wanted %s", rows[i].name,
			    mx_sx_verdict_name(v), mx_sx_verdict_name(rows[i].want));
		mx_sxpolicy_free(p);
	}
}

MX_TEST(sysext_policy_removal_keys_by_version)
{
	static const char *const b[] = { REMOVABLE, NONREMOVABLE, NONREMOVABLE_UI };
	mx_sxpolicy *p = policy_of(b, 3);
	static const struct { const char *os; bool sip, removable, nonremovable, nonremovable_ui; }
	rows[] = {
		{ "11.6.4", true, false, false, false },
		{ "12.0", true, false, false, false },      /* the guide says 12.0.1 */
		{ "12.0.1", true, true, false, false },
		{ "14.6", true, true, false, false },
		{ "15.0", true, true, true, true },
		{ "15.0", false, true, false, true },       /* NonRemovable only while SIP is on */
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		mx_version os;
		mx_version_parse(&os, rows[i].os, NULL);
		if (mx_sxpolicy_removable(p, os, "ZMCG7MLDV9", "com.northpolesec.santa.daemon") !=
		    rows[i].removable ||
		    mx_sxpolicy_nonremovable(p, os, rows[i].sip, "X9E956P446",
		    "com.crowdstrike.falcon.Agent") != rows[i].nonremovable ||
		    mx_sxpolicy_nonremovable_from_ui(p, os, "X9E956P446",
		    "com.crowdstrike.falcon.Agent") != rows[i].nonremovable_ui)
			mx_test_fail_at(__FILE__, __LINE__, "row %zu (%s, SIP %d)", i, rows[i].os,
			    rows[i].sip);
		/* Removable spares the API path the admin prompt, never Finder (Q15) */
		CHECK(mx_sx_unload_needs_admin(p, os, "ZMCG7MLDV9", "com.northpolesec.santa.daemon",
		    false) == !rows[i].removable);
		CHECK(mx_sx_unload_needs_admin(p, os, "ZMCG7MLDV9", "com.northpolesec.santa.daemon",
		    true));
	}
	CHECK(!mx_sxpolicy_removable(p, (mx_version){ 15, 0, 0 }, "ZMCG7MLDV9", "com.other"));
	mx_sxpolicy_free(p);
}

MX_TEST(sysext_policy_profile_rule_by_version)
{
	static const struct { const char *os; bool direct; } rows[] = {
		{ "10.15", false }, { "10.15.7", false }, { "11.2", false }, { "11.2.3", false },
		{ "11.3", true }, { "11.4", true }, { "11.6.4", true },
		{ "12.0.1", true }, { "15.1", true },     /* Q3: continues after 11.6.4 */
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		mx_version os;
		mx_version_parse(&os, rows[i].os, NULL);
		if (mx_sx_profiles_change_state(os) != rows[i].direct)
			mx_test_fail_at(__FILE__, __LINE__, "%s", rows[i].os);
	}
}

MX_TEST(sysext_policy_rejects_bad_types)
{
	static const struct { const char *body, *where; } rows[] = {
		{ "<key>AllowUserOverrides</key><string>no</string>", "AllowUserOverrides: expected boolean" },
		{ "<key>AllowedTeamIdentifiers</key><string>X</string>", "AllowedTeamIdentifiers: expected array" },
		{ "<key>AllowedTeamIdentifiers</key><array><integer>1</integer></array>",
		  "AllowedTeamIdentifiers[0]: expected string" },
		{ "<key>AllowedSystemExtensions</key><array/>", "AllowedSystemExtensions: expected dictionary" },
		{ "<key>AllowedSystemExtensions</key><dict><key>T</key><string>x</string></dict>",
		  "AllowedSystemExtensions.T: expected array" },
		{ "<key>RemovableSystemExtensions</key><dict><key>T</key><array><true/></array></dict>",
		  "RemovableSystemExtensions.T[0]: expected string" },
		{ "<key>AllowedTeamIdentifiers</key><array><string></string></array>",
		  "AllowedTeamIdentifiers[0]: expected a string" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		mx_sxpolicy *p = mx_sxpolicy_new();
		plist_t pl = payload(rows[i].body);
		mx_err err;
		mx_err_clear(&err);
		int rc = mx_sxpolicy_add_payload(p, pl, "prof", &err);
		if (rc != MX_EINVALID || strstr(err.msg, rows[i].where) == NULL)
			mx_test_fail_at(__FILE__, __LINE__, "row %zu: rc %d msg '%s'", i, rc, err.msg);
		CHECK_EQ_INT(mx_sxpolicy_npayloads(p), 0);   /* unchanged */
		plist_free(pl);
		mx_sxpolicy_free(p);
	}
	mx_sxpolicy *p = mx_sxpolicy_new();
	mx_err err;
	CHECK_EQ_INT(mx_sxpolicy_add_payload(p, NULL, "x", &err), MX_EINVALID);
	mx_sxpolicy_free(p);
}

MX_TEST(sysext_policy_real_vendor_profiles)
{
	const char *td = mx_testdata();
	if (td == NULL) {
		mx_test_skip("../shared/testdata is absent");
		return;
	}
	static const struct { const char *file, *team, *bundle, *category; bool allowed; } rows[] = {
		{ "northpolesec__system-extension-policy.santa.example.mobileconfig", "ZMCG7MLDV9",
		  "com.northpolesec.santa.daemon", MX_SX_CAT_ES, true },
		{ "google__system-extension-policy.santa.example.mobileconfig", "EQHXZ8M8AV",
		  "com.google.santa.daemon", MX_SX_CAT_ES, true },
		{ "kandji__crowdstrike_settings.mobileconfig", "X9E956P446",
		  "com.crowdstrike.falcon.Agent", MX_SX_CAT_NETWORK, true },
		{ "kandji__Sentinel-One-Combined-Profile.mobileconfig", "4AYE5J54KN",
		  "com.sentinelone.network-monitoring", MX_SX_CAT_NETWORK, true },
		{ "kandji__crowdstrike_settings_macOS15.mobileconfig", "X9E956P446",
		  "com.crowdstrike.falcon.Agent", MX_SX_CAT_ES, false },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/profiles/%s", td, rows[i].file);
		FILE *f = fopen(path, "rb");
		if (f == NULL) {
			mx_test_fail_at(__FILE__, __LINE__, "%s missing", path);
			continue;
		}
		static char buf[1 << 16];
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = '\0';
		char *x = strstr(buf, "<?xml");
		plist_t root = NULL;
		plist_from_xml(x, (uint32_t)strlen(x), &root);
		plist_t content = root ? plist_dict_get_item(root, "PayloadContent") : NULL;
		mx_sxpolicy *p = mx_sxpolicy_new();
		for (uint32_t k = 0; content && k < plist_array_get_size(content); k++) {
			plist_t pl = plist_array_get_item(content, k);
			char *type = NULL;
			plist_get_string_val(plist_dict_get_item(pl, "PayloadType"), &type);
			if (type && strcmp(type, "com.apple.system-extension-policy") == 0) {
				mx_err err;
				mx_err_clear(&err);
				if (mx_sxpolicy_add_payload(p, pl, rows[i].file, &err))
					mx_test_fail_at(__FILE__, __LINE__, "%s", err.msg);
			}
			free(type);
		}
		CHECK_EQ_INT(mx_sxpolicy_npayloads(p), 1);
		if (mx_sxpolicy_allows(p, rows[i].team, rows[i].bundle, rows[i].category) !=
		    rows[i].allowed)
			mx_test_fail_at(__FILE__, __LINE__, "%s", rows[i].file);
		mx_sxpolicy_free(p);
		plist_free(root);
	}
}
