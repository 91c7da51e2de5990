/* test_sysext_states.c — sysextd's states, the transition table, the
 * activation checks in order with their OSSystemExtensionErrorDomain codes,
 * least privilege and the plan for existing records (system-extensions.md
 * §2.5, §2.6, §2.8, §4). */
#include "harness.h"
#include "macext/sysext.h"

MX_TEST(sysext_state_names_round_trip)
{
	for (int i = 0; i < MX_SX_NSTATES; i++) {
		enum mx_sx_state s;
		CHECK_EQ_INT(mx_sx_state_parse(&s, mx_sx_state_name((enum mx_sx_state)i), NULL), 0);
		CHECK_EQ_INT(s, i);
	}
	CHECK_EQ_STR(mx_sx_state_name(MX_SX_WAITING_FOR_USER), "activated_waiting_for_user");
	CHECK_EQ_STR(mx_sx_state_name(MX_SX_TERMINATED_WAITING_UNINSTALL),
	    "terminated_waiting_to_uninstall_on_reboot");
	enum mx_sx_state s;
	CHECK_EQ_INT(mx_sx_state_parse(&s, "waiting_for_approval", NULL), MX_EFORMAT);
	/* the list markers */
	CHECK(mx_sx_state_enabled(MX_SX_ENABLED) && mx_sx_state_active(MX_SX_ENABLED));
	CHECK(!mx_sx_state_enabled(MX_SX_WAITING_FOR_USER) && mx_sx_state_active(MX_SX_WAITING_FOR_USER));
	CHECK(!mx_sx_state_enabled(MX_SX_TERMINATED_WAITING_UNINSTALL) &&
	    !mx_sx_state_active(MX_SX_TERMINATED_WAITING_UNINSTALL));
	CHECK(!mx_sx_state_active(MX_SX_VALIDATING));
}

MX_TEST(sysext_transition_table)
{
	static const struct { enum mx_sx_state from; enum mx_sx_event ev; int to; } rows[] = {
		/* -1: refused */
		{ MX_SX_VALIDATING, MX_SXE_STAGED, MX_SX_VALIDATING_BY_CATEGORY },
		{ MX_SX_VALIDATING_BY_CATEGORY, MX_SXE_INVALID, MX_SX_UNINSTALLING },
		{ MX_SX_VALIDATING_BY_CATEGORY, MX_SXE_POLICY_ALLOWS, MX_SX_ENABLING },
		{ MX_SX_VALIDATING_BY_CATEGORY, MX_SXE_NEEDS_USER, MX_SX_WAITING_FOR_USER },
		{ MX_SX_WAITING_FOR_USER, MX_SXE_APPROVED, MX_SX_ENABLING },
		{ MX_SX_WAITING_FOR_USER, MX_SXE_POLICY_ALLOWS, MX_SX_ENABLING },
		{ MX_SX_ENABLING, MX_SXE_STARTED, MX_SX_ENABLED },
		{ MX_SX_ENABLED, MX_SXE_REPLACE, MX_SX_TERMINATING_FOR_UPGRADE },
		{ MX_SX_TERMINATING_FOR_UPGRADE, MX_SXE_STOPPED, MX_SX_TERMINATED_WAITING_UNINSTALL },
		{ MX_SX_ENABLED, MX_SXE_DEACTIVATE, MX_SX_TERMINATING_FOR_UNINSTALL },
		{ MX_SX_ENABLED, MX_SXE_DEACTIVATE_RUNNING, MX_SX_TERMINATING_FOR_UNINSTALL_RUNNING },
		{ MX_SX_TERMINATING_FOR_UNINSTALL, MX_SXE_STOPPED, MX_SX_TERMINATED_WAITING_UNINSTALL },
		{ MX_SX_WAITING_FOR_USER, MX_SXE_DISCARD, MX_SX_UNINSTALLING },
		{ MX_SX_UNINSTALLING, MX_SXE_REMOVED, MX_SX_UNINSTALLED },
		{ MX_SX_TERMINATED_WAITING_UNINSTALL, MX_SXE_REBOOT, MX_SX_UNINSTALLING },
		{ MX_SX_TERMINATING_FOR_UNINSTALL_RUNNING, MX_SXE_REBOOT, MX_SX_UNINSTALLING },
		{ MX_SX_TERMINATING_FOR_UPGRADE, MX_SXE_REBOOT, MX_SX_UNINSTALLING },
		{ MX_SX_ENABLED, MX_SXE_REBOOT, MX_SX_ENABLED },
		{ MX_SX_ENABLING, MX_SXE_REBOOT, MX_SX_ENABLED },
		{ MX_SX_WAITING_FOR_USER, MX_SXE_REBOOT, MX_SX_WAITING_FOR_USER },
		{ MX_SX_ENABLED, MX_SXE_RESET, MX_SX_UNINSTALLING },
		{ MX_SX_WAITING_FOR_USER, MX_SXE_RESET, MX_SX_UNINSTALLING },
		/* refused rows: no approval of what is not waiting, no revival of the terminated */
		{ MX_SX_ENABLED, MX_SXE_APPROVED, -1 },
		{ MX_SX_TERMINATED_WAITING_UNINSTALL, MX_SXE_APPROVED, -1 },
		{ MX_SX_TERMINATED_WAITING_UNINSTALL, MX_SXE_DEACTIVATE, -1 },
		{ MX_SX_WAITING_FOR_USER, MX_SXE_STARTED, -1 },
		{ MX_SX_VALIDATING, MX_SXE_POLICY_ALLOWS, -1 },
		{ MX_SX_UNINSTALLED, MX_SXE_RESET, -1 },
		{ MX_SX_UNINSTALLED, MX_SXE_REBOOT, -1 },
		{ MX_SX_WAITING_FOR_USER, MX_SXE_REPLACE, -1 },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		enum mx_sx_state to = MX_SX_NSTATES;
		mx_err err;
		mx_err_clear(&err);
		int rc = mx_sx_transition(rows[i].from, rows[i].ev, &to, &err);
		if (rows[i].to < 0) {
			if (rc != MX_ESTATE || strstr(err.msg, mx_sx_state_name(rows[i].from)) == NULL)
				mx_test_fail_at(__FILE__, __LINE__, "row %zu should be refused", i);
		} else if (rc != 0 || (int)to != rows[i].to) {
			mx_test_fail_at(__FILE__, __LINE__, "row %zu: %s on %s gave %s, wanted %s", i,
			    mx_sx_state_name(rows[i].from), mx_sx_event_name(rows[i].ev),
			    rc ? "refusal" : mx_sx_state_name(to), mx_sx_state_name(rows[i].to));
		}
	}
	/* every record that a reboot does not remove survives it unchanged or enabled */
	for (int s = 0; s < MX_SX_NSTATES; s++) {
		enum mx_sx_state to;
		if (mx_sx_transition((enum mx_sx_state)s, MX_SXE_REBOOT, &to, NULL) != 0)
			continue;
		if (mx_sx_state_gone_on_reboot((enum mx_sx_state)s))
			CHECK_EQ_INT(to, MX_SX_UNINSTALLING);
	}
}

MX_TEST(sysext_error_names)
{
	static const char *const names[] = { NULL, "unknown", "missingEntitlement",
		"unsupportedParentBundleLocation", "extensionNotFound", "extensionMissingIdentifier",
		"duplicateExtensionIdentifer", "unknownExtensionCategory", "codeSignatureInvalid",
		"validationFailed", "forbiddenBySystemPolicy", "requestCanceled", "requestSuperseded",
		"authorizationRequired" };
	for (int i = 1; i <= 13; i++)
		CHECK_EQ_STR(mx_sx_error_name(i), names[i]);
	CHECK(mx_sx_error_name(0) == NULL && mx_sx_error_name(14) == NULL);
	mx_err err;
	mx_err_clear(&err);
	CHECK_EQ_INT(mx_sx_fail(&err, 13, "x"), MX_EDENIED);
	CHECK_EQ_INT(err.domain, MX_DOM_SYSEXT);
	CHECK_EQ_INT(err.subcode, 13);
	CHECK(strstr(err.msg, "OSSystemExtensionErrorDomain error 13 (authorizationRequired)") != NULL);
}

static const char *const es_ents[] = { "com.apple.developer.endpoint-security.client",
	"com.apple.developer.team-identifier" };

static mx_sx_facts
good_facts(void)
{
	mx_sx_facts f = {
		.ext_found = true, .ext_has_identifier = true, .ext_name_matches = true,
		.app_in_applications = true, .sip_enabled = true, .app_sig_valid = true,
		.ext_sig_valid = true, .app_install_entitlement = true, .app_team = "ZMCG7MLDV9",
		.ext_team = "ZMCG7MLDV9", .category = MX_SX_CAT_ES, .cat_ent_value_ok = true, .entitlements = es_ents,
		.nentitlements = 2, .has_usage_description = true, .bundle_version = "2024.10.49",
	};
	return f;
}

MX_TEST(sysext_checks_in_order)
{
	static const char *const no_ents[] = { "com.apple.developer.team-identifier" };
	static const char *const too_much[] = { "com.apple.developer.endpoint-security.client",
		"com.apple.developer.networking.networkextension" };
	static const char *const private_ent[] = { "com.apple.developer.endpoint-security.client",
		"com.apple.private.security.storage.SystemExtensionManagement" };
	enum { NOT_FOUND, NO_ID, OUTSIDE, OUTSIDE_DEV, BAD_APP_SIG, BAD_EXT_SIG, BAD_SIG_NO_SIP,
		NO_INSTALL, NO_CAT_ENT, NE_WRONG_VALUE, TEAM_MISMATCH, REDISTRIBUTABLE, UNKNOWN_CAT, NO_USAGE,
		DEXT_VERSION, EXCEEDS, PRIVATE, TWO_FAULTS, OK };
	static const struct { int row; int want_req, want_cat; } rows[] = {
		{ NOT_FOUND, 4, 0 }, { NO_ID, 5, 0 }, { OUTSIDE, 3, 0 }, { OUTSIDE_DEV, 0, 0 },
		{ BAD_APP_SIG, 8, 0 }, { BAD_EXT_SIG, 8, 0 }, { BAD_SIG_NO_SIP, 0, 0 },
		{ NO_INSTALL, 2, 0 }, { NO_CAT_ENT, 2, 0 }, { NE_WRONG_VALUE, 2, 0 }, { TEAM_MISMATCH, 8, 0 },
		{ REDISTRIBUTABLE, 0, 0 }, { UNKNOWN_CAT, 7, 0 }, { NO_USAGE, 0, 9 },
		{ DEXT_VERSION, 0, 9 }, { EXCEEDS, 0, 9 }, { PRIVATE, 0, 9 },
		{ TWO_FAULTS, 3, 0 },    /* location is checked before the signature */
		{ OK, 0, 0 },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		mx_sx_facts f = good_facts();
		switch (rows[i].row) {
		case NOT_FOUND: f.ext_found = false; break;
		case NO_ID: f.ext_has_identifier = false; break;
		case OUTSIDE: f.app_in_applications = false; break;
		case OUTSIDE_DEV: f.app_in_applications = false; f.developer_mode = true; break;
		case BAD_APP_SIG: f.app_sig_valid = false; break;
		case BAD_EXT_SIG: f.ext_sig_valid = false; break;
		case BAD_SIG_NO_SIP: f.ext_sig_valid = false; f.sip_enabled = false; break;
		case NO_INSTALL: f.app_install_entitlement = false; break;
		case NO_CAT_ENT: f.entitlements = no_ents; f.nentitlements = 1; break;
		case NE_WRONG_VALUE: f.category = MX_SX_CAT_NETWORK; f.cat_ent_value_ok = false; {
				static const char *const n[] = { "com.apple.developer.networking.networkextension" };
				f.entitlements = n; f.nentitlements = 1; }
			break;
		case TEAM_MISMATCH: f.app_team = "AAAAAAAAAA"; break;
		case REDISTRIBUTABLE: f.app_team = "AAAAAAAAAA"; f.ext_redistributable = true; break;
		case UNKNOWN_CAT: f.category = ""; break;
		case NO_USAGE: f.has_usage_description = false; break;
		case DEXT_VERSION: f.category = MX_SX_CAT_DRIVER; f.is_dext = true;
			f.bundle_version = "1.200"; {
				static const char *const d[] = { "com.apple.developer.driverkit" };
				f.entitlements = d; f.nentitlements = 1; }
			break;
		case EXCEEDS: f.entitlements = too_much; break;
		case PRIVATE: f.entitlements = private_ent; break;
		case TWO_FAULTS: f.app_in_applications = false; f.ext_sig_valid = false; break;
		}
		mx_err err;
		mx_err_clear(&err);
		int rc = mx_sx_check_request(&f, &err);
		int got = rc && err.domain == MX_DOM_SYSEXT ? err.subcode : 0;
		if (got != rows[i].want_req)
			mx_test_fail_at(__FILE__, __LINE__, "row %zu: request check gave %d (%s), wanted %d",
			    i, got, err.msg, rows[i].want_req);
		if (got)
			continue;
		mx_err_clear(&err);
		rc = mx_sx_check_category(&f, &err);
		got = rc && err.domain == MX_DOM_SYSEXT ? err.subcode : 0;
		if (got != rows[i].want_cat)
			mx_test_fail_at(__FILE__, __LINE__, "row %zu: category check gave %d (%s), wanted %d",
			    i, got, err.msg, rows[i].want_cat);
	}
}

MX_TEST(sysext_least_privilege_table)
{
	static const struct { const char *cat, *key; bool ok; } rows[] = {
		{ MX_SX_CAT_ES, "com.apple.developer.endpoint-security.client", true },
		{ MX_SX_CAT_ES, "com.apple.developer.networking.networkextension", false },
		{ MX_SX_CAT_ES, "com.apple.developer.driverkit", false },
		{ MX_SX_CAT_NETWORK, "com.apple.developer.networking.networkextension", true },
		{ MX_SX_CAT_NETWORK, "com.apple.developer.endpoint-security.client", false },
		{ MX_SX_CAT_DRIVER, "com.apple.developer.driverkit", true },
		{ MX_SX_CAT_DRIVER, "com.apple.developer.driverkit.transport.usb", true },
		{ MX_SX_CAT_DRIVER, "com.apple.developer.endpoint-security.client", false },
		{ MX_SX_CAT_CMIO, "com.apple.developer.driverkit", false },
		{ MX_SX_CAT_ES, "com.apple.security.application-groups", true },
		{ MX_SX_CAT_NETWORK, "com.apple.developer.team-identifier", true },
		{ MX_SX_CAT_ES, "com.apple.security.cs.allow-jit", true },
		{ MX_SX_CAT_ES, "com.apple.rootless.install", false },
		{ MX_SX_CAT_ES, "com.apple.private.tcc.allow", false },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (mx_sx_entitlement_allowed(rows[i].cat, rows[i].key) != rows[i].ok)
			mx_test_fail_at(__FILE__, __LINE__, "%s may%s have %s", rows[i].cat,
			    rows[i].ok ? "" : " not", rows[i].key);
}

MX_TEST(sysext_kext_versions)
{
	static const struct { const char *v; bool ok; } rows[] = {
		{ "1", true }, { "1.0", true }, { "1.0.99", true }, { "65535.99.99", true },
		{ "65536", false }, { "1.100", false }, { "1.0.0.1", false }, { "", false },
		{ "1.", false }, { "a", false }, { "1.2b", false },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (mx_sx_kext_version_valid(rows[i].v) != rows[i].ok)
			mx_test_fail_at(__FILE__, __LINE__, "'%s'", rows[i].v);
}

MX_TEST(sysext_plan_table)
{
	static const mx_sx_exist enabled = { "com.x.ext", "TEAMAAAAAA", "10", "1.0", "com.x.app",
		MX_SX_ENABLED };
	static const mx_sx_exist waiting = { "com.x.ext", "TEAMAAAAAA", "10", "1.0", "com.x.app",
		MX_SX_WAITING_FOR_USER };
	static const mx_sx_exist gone = { "com.x.ext", "TEAMAAAAAA", "9", "0.9", "com.x.app",
		MX_SX_TERMINATED_WAITING_UNINSTALL };
	static const struct {
		const char *name; const mx_sx_exist *rec; const char *team, *app, *ver, *sver;
		bool dev, replace; int err; enum mx_sx_plan plan;
	} rows[] = {
		{ "nothing there", NULL, "TEAMAAAAAA", "com.x.app", "10", "1.0", false, true, 0, MX_SXP_NEW },
		{ "only a terminated record", &gone, "TEAMAAAAAA", "com.x.app", "10", "1.0", false, true,
		  0, MX_SXP_NEW },
		{ "same versions: no-op", &enabled, "TEAMAAAAAA", "com.x.app", "10", "1.0", false, true,
		  0, MX_SXP_NOOP },
		{ "same versions pending: retry", &waiting, "TEAMAAAAAA", "com.x.app", "10", "1.0",
		  false, true, 0, MX_SXP_RETRY },
		{ "bundle version differs", &enabled, "TEAMAAAAAA", "com.x.app", "11", "1.0", false,
		  true, 0, MX_SXP_REPLACE },
		{ "short version differs (downgrade)", &enabled, "TEAMAAAAAA", "com.x.app", "10",
		  "0.9", false, true, 0, MX_SXP_REPLACE },
		{ "delegate cancels", &enabled, "TEAMAAAAAA", "com.x.app", "11", "1.1", false, false,
		  11, MX_SXP_NEW },
		{ "developer mode asks even when equal", &enabled, "TEAMAAAAAA", "com.x.app", "10",
		  "1.0", true, true, 0, MX_SXP_REPLACE },
		{ "identifier of another team", &enabled, "TEAMBBBBBB", "com.x.app", "10", "1.0",
		  false, true, 6, MX_SXP_NEW },
		{ "identifier of another app", &enabled, "TEAMAAAAAA", "com.y.app", "10", "1.0",
		  false, true, 6, MX_SXP_NEW },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		enum mx_sx_plan plan;
		int which;
		mx_err err;
		mx_err_clear(&err);
		int rc = mx_sx_plan_request(rows[i].rec, rows[i].rec ? 1 : 0, "com.x.ext", rows[i].team,
		    rows[i].app, rows[i].ver, rows[i].sver, rows[i].dev, rows[i].replace, &plan, &which,
		    &err);
		int got = rc && err.domain == MX_DOM_SYSEXT ? err.subcode : 0;
		if (got != rows[i].err || (!rc && plan != rows[i].plan))
			mx_test_fail_at(__FILE__, __LINE__, "%s: error %d plan %s", rows[i].name, got,
			    mx_sx_plan_name(plan));
	}
}

/* The macOS 15 switch (mx_sx_toggle_plan) and its rows in the table. */
MX_TEST(sysext_toggle_plan)
{
	static const struct {
		enum mx_sx_state from;
		const char *cat;
		bool enable;
		int major;
		bool ui, nonremovable;
		int rc, subcode;             /* expected result; subcode: sysext domain */
		int n;
		enum mx_sx_event ev0, ev1;
		int final;                   /* the state after the events, -1 none */
	} rows[] = {
		{ MX_SX_ENABLED, MX_SX_CAT_ES, false, 15, false, false, 0, 0, 2, MX_SXE_DISABLE,
		  MX_SXE_STOPPED, MX_SX_DISABLED },
		{ MX_SX_ENABLING, MX_SX_CAT_ES, false, 15, false, false, 0, 0, 2, MX_SXE_DISABLE,
		  MX_SXE_STOPPED, MX_SX_DISABLED },
		{ MX_SX_ENABLED, MX_SX_CAT_NETWORK, false, 15, false, false, 0, 0, 1,
		  MX_SXE_DISABLE_RUNNING, 0, MX_SX_TERMINATING_FOR_DISABLE_RUNNING },
		{ MX_SX_ENABLED, MX_SX_CAT_DRIVER, false, 26, false, false, 0, 0, 2, MX_SXE_DISABLE,
		  MX_SXE_STOPPED, MX_SX_DISABLED },
		{ MX_SX_DISABLED, MX_SX_CAT_ES, true, 15, false, false, 0, 0, 2, MX_SXE_ENABLE,
		  MX_SXE_STARTED, MX_SX_ENABLED },
		/* turning on stays allowed under a profile */
		{ MX_SX_DISABLED, MX_SX_CAT_ES, true, 15, true, true, 0, 0, 2, MX_SXE_ENABLE,
		  MX_SXE_STARTED, MX_SX_ENABLED },
		/* already where asked: nothing */
		{ MX_SX_DISABLED, MX_SX_CAT_ES, false, 15, false, false, 0, 0, 0, 0, 0, -1 },
		{ MX_SX_TERMINATING_FOR_DISABLE_RUNNING, MX_SX_CAT_NETWORK, false, 15, false, false, 0,
		  0, 0, 0, 0, -1 },
		{ MX_SX_ENABLED, MX_SX_CAT_ES, true, 15, false, false, 0, 0, 0, 0, 0, -1 },
		/* refused */
		{ MX_SX_ENABLED, MX_SX_CAT_ES, false, 15, true, false, MX_EDENIED, 10, 0, 0, 0, -1 },
		{ MX_SX_ENABLED, MX_SX_CAT_NETWORK, false, 15, false, true, MX_EDENIED, 10, 0, 0, 0, -1 },
		{ MX_SX_ENABLED, MX_SX_CAT_ES, false, 14, false, false, MX_ESTATE, 0, 0, 0, 0, -1 },
		{ MX_SX_DISABLED, MX_SX_CAT_ES, true, 13, false, false, MX_ESTATE, 0, 0, 0, 0, -1 },
		{ MX_SX_WAITING_FOR_USER, MX_SX_CAT_ES, false, 15, false, false, MX_ESTATE, 0, 0, 0, 0, -1 },
		{ MX_SX_WAITING_FOR_USER, MX_SX_CAT_ES, true, 15, false, false, MX_ESTATE, 0, 0, 0, 0, -1 },
		{ MX_SX_TERMINATING_FOR_UNINSTALL, MX_SX_CAT_ES, true, 15, false, false, MX_ESTATE, 0, 0,
		  0, 0, -1 },
		{ MX_SX_TERMINATING_FOR_DISABLE_RUNNING, MX_SX_CAT_NETWORK, true, 15, false, false,
		  MX_ESTATE, 0, 0, 0, 0, -1 },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		mx_sx_toggle t;
		mx_err err;
		mx_err_clear(&err);
		mx_version os = { rows[i].major, 1, 0 };
		int rc = mx_sx_toggle_plan(&t, rows[i].from, rows[i].cat, rows[i].enable, os, rows[i].ui,
		    rows[i].nonremovable, &err);
		if (rc != rows[i].rc) {
			mx_test_fail_at(__FILE__, __LINE__, "row %zu: rc %d, wanted %d (%s)", i, rc,
			    rows[i].rc, err.msg);
			continue;
		}
		if (rc) {
			CHECK_EQ_INT(err.domain, rows[i].subcode ? MX_DOM_SYSEXT : MX_DOM_NONE);
			CHECK_EQ_INT(err.subcode, rows[i].subcode);
			if (rows[i].subcode)
				CHECK(strstr(err.msg, rows[i].ui ? "NonRemovableFromUISystemExtensions" :
				    "NonRemovableSystemExtensions") != NULL);
			continue;
		}
		CHECK_EQ_INT(t.n, rows[i].n);
		if (t.n > 0)
			CHECK_EQ_INT(t.ev[0], rows[i].ev0);
		if (t.n > 1)
			CHECK_EQ_INT(t.ev[1], rows[i].ev1);
		/* the events are rows of the transition table, ending where the row says */
		enum mx_sx_state s = rows[i].from;
		for (int k = 0; k < t.n; k++)
			CHECK_EQ_INT(mx_sx_transition(s, t.ev[k], &s, NULL), 0);
		if (rows[i].final >= 0)
			CHECK_EQ_INT(s, rows[i].final);
	}
	/* a disabled extension survives a reboot disabled; one still running becomes disabled */
	enum mx_sx_state to;
	CHECK_EQ_INT(mx_sx_transition(MX_SX_TERMINATING_FOR_DISABLE_RUNNING, MX_SXE_REBOOT, &to,
	    NULL), 0);
	CHECK_EQ_INT(to, MX_SX_DISABLED);
	CHECK(mx_sx_transition(MX_SX_WAITING_FOR_USER, MX_SXE_DISABLE, &to, NULL) == MX_ESTATE);
	CHECK(mx_sx_transition(MX_SX_ENABLED, MX_SXE_ENABLE, &to, NULL) == MX_ESTATE);
}
