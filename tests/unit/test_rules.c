/*
 * test_rules.c — the decisions of src/core/rules.c as tables: which alert a
 * kext's state shows (and its words per macOS version), the System
 * Extension Blocked text per version, enrolment, bootstrap-token escrow,
 * RestartDevice, and what an updated kext does to its approval.
 */
#include <string.h>

#include "harness.h"
#include "macext/rules.h"

static mx_device
dev(int major, int minor, enum mx_enroll e, bool approved, bool supervised)
{
	mx_device d;
	memset(&d, 0, sizeof d);
	snprintf(d.name, sizeof d.name, "m");
	d.os = (mx_version){ (uint16_t)major, (uint16_t)minor, 0 };
	d.enroll = e;
	d.user_approved = approved;
	d.supervised = supervised;
	return d;
}

MX_TEST(rules_kext_alerts_by_state)
{
	static const struct {
		enum mx_kext_state state;
		int major;
		bool show, withdraw, restart;
		const char *kind, *title_has, *text_has, *actions;
	} rows[] = {
		{ MX_KEXT_AWAITING_USER_APPROVAL, 15, true, false, false, "kext-blocked",
		  "System Extension Blocked", "open Privacy & Security System Settings",
		  "[\"Open System Settings\", \"OK\"]" },
		{ MX_KEXT_AWAITING_USER_APPROVAL, 12, true, false, false, "kext-blocked",
		  "System Extension Blocked", "open Security & Privacy System Preferences",
		  "[\"Open Security Preferences\", \"OK\"]" },
		{ MX_KEXT_REJECTED_BY_POLICY, 14, true, false, false, "kext-blocked",
		  "System Extension Blocked", "policy does not allow approving", "[\"OK\"]" },
		{ MX_KEXT_BLOCKED_BY_SECURITY_POLICY, 14, true, false, false, "kext-blocked",
		  "System Extension Blocked", "Startup Security Utility", "[\"OK\"]" },
		{ MX_KEXT_AWAITING_RESTART, 14, true, true, true, "restart-required",
		  "Restart Required", "A restart is required", "[\"Not Now\", \"Restart\"]" },
		{ MX_KEXT_LOADED, 14, false, true, false, NULL, NULL, NULL, NULL },
		{ MX_KEXT_INSTALLED, 14, false, true, false, NULL, NULL, NULL, NULL },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		mx_device d = dev(rows[i].major, 0, MX_ENROLL_NONE, false, false);
		mx_kext k;
		memset(&k, 0, sizeof k);
		snprintf(k.bundle_id, sizeof k.bundle_id, "com.example.k");
		snprintf(k.developer_name, sizeof k.developer_name, "Example Corp");
		k.state = rows[i].state;
		mx_kext_alert_fx fx;
		mx_kext_alert(&d, &k, NULL, &fx);
		if (fx.show != rows[i].show || fx.withdraw_blocked != rows[i].withdraw ||
		    fx.restart_pending != rows[i].restart) {
			mx_test_fail_at(__FILE__, __LINE__, "row %zu: show %d withdraw %d restart %d", i,
			    fx.show, fx.withdraw_blocked, fx.restart_pending);
			continue;
		}
		if (!fx.show)
			continue;
		CHECK_EQ_STR(fx.alert.kind, rows[i].kind);
		CHECK(strstr(fx.alert.title, rows[i].title_has) != NULL);
		if (strstr(fx.alert.text, rows[i].text_has) == NULL)
			mx_test_fail_at(__FILE__, __LINE__, "row %zu: text '%s'", i, fx.alert.text);
		CHECK_EQ_STR(fx.alert.actions, rows[i].actions);
	}
	/* the Apple silicon gate's own words replace the generic text */
	mx_device d = dev(14, 0, MX_ENROLL_NONE, false, false);
	mx_kext k;
	memset(&k, 0, sizeof k);
	k.state = MX_KEXT_BLOCKED_BY_SECURITY_POLICY;
	mx_boot_gate g = { false, MX_GATE_1TR_USER_MGMT, "smb2", "Title From Gate", "Text from gate" };
	mx_kext_alert_fx fx;
	mx_kext_alert(&d, &k, &g, &fx);
	CHECK_EQ_STR(fx.alert.title, "Title From Gate");
	CHECK_EQ_STR(fx.alert.text, "Text from gate");
}

MX_TEST(rules_sysext_blocked_alert_by_version)
{
	static const struct { int major; const char *where, *button; } rows[] = {
		{ 11, "open Security & Privacy System Preferences", "Open Security Preferences" },
		{ 12, "open Security & Privacy System Preferences", "Open Security Preferences" },
		{ 13, "go to System Settings > Privacy & Security", "Open System Settings" },
		{ 14, "go to System Settings > Privacy & Security", "Open System Settings" },
		{ 15, "go to System Settings > General > Login Items & Extensions",
		  "Open System Settings" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		mx_alert_spec a;
		mx_sysext_blocked_alert((mx_version){ (uint16_t)rows[i].major, 0, 0 }, "Dev Inc",
		    "com.example.ext", &a);
		CHECK_EQ_STR(a.kind, "sysext-blocked");
		CHECK_EQ_STR(a.subject, "com.example.ext");
		if (strstr(a.text, rows[i].where) == NULL || strstr(a.actions, rows[i].button) == NULL)
			mx_test_fail_at(__FILE__, __LINE__, "macOS %d: '%s' %s", rows[i].major, a.text,
			    a.actions);
		CHECK(strstr(a.text, "\"Dev Inc\" (com.example.ext)") != NULL);
	}
	mx_alert_spec a;
	mx_sysext_auth_alert("Acme.app", "com.example.ext", "1.0", "42", &a);
	CHECK_EQ_STR(a.title, "\"Acme.app\" wants to remove a system extension.");
	CHECK(strstr(a.text, "com.example.ext (1.0/42)") != NULL);
}

MX_TEST(rules_enrolment_escrow_restart)
{
	static const struct {
		enum mx_enroll method;
		bool approved, in_abm;
		int major;
		int rc;
		bool want_approved, supervised, abm;
	} en[] = {
		{ MX_ENROLL_AUTOMATED, false, false, 14, 0, true, true, true },
		{ MX_ENROLL_USER, false, false, 14, 0, true, false, false },
		{ MX_ENROLL_DEVICE, true, false, 14, 0, true, true, false },
		{ MX_ENROLL_DEVICE, true, false, 10, 0, true, false, false },   /* 11+ supervises */
		{ MX_ENROLL_DEVICE, false, true, 14, 0, false, false, true },
		{ MX_ENROLL_NONE, false, false, 14, MX_EUSAGE, false, false, false },
	};
	for (size_t i = 0; i < sizeof en / sizeof en[0]; i++) {
		mx_device d = dev(en[i].major, 15, MX_ENROLL_NONE, false, false), n;
		mx_err err;
		int rc = mx_enroll_plan(&d, en[i].method, en[i].approved, en[i].in_abm, &n, &err);
		CHECK_EQ_INT(rc, en[i].rc);
		if (rc)
			continue;
		if (n.user_approved != en[i].want_approved || n.supervised != en[i].supervised ||
		    n.in_abm != en[i].abm || n.enroll != en[i].method)
			mx_test_fail_at(__FILE__, __LINE__, "enrol row %zu", i);
	}
	mx_device enrolled = dev(14, 0, MX_ENROLL_DEVICE, true, true), n;
	mx_err err;
	CHECK_EQ_INT(mx_enroll_plan(&enrolled, MX_ENROLL_USER, false, false, &n, &err), MX_ESTATE);

	static const struct { enum mx_enroll e; bool supervised; int rc; } es[] = {
		{ MX_ENROLL_AUTOMATED, true, 0 }, { MX_ENROLL_DEVICE, true, 0 },
		{ MX_ENROLL_DEVICE, false, MX_EDENIED }, { MX_ENROLL_USER, false, MX_EDENIED },
	};
	for (size_t i = 0; i < sizeof es / sizeof es[0]; i++) {
		mx_device d = dev(14, 0, es[i].e, true, es[i].supervised);
		CHECK_EQ_INT(mx_escrow_check(&d, &err), es[i].rc);
	}

	static const struct {
		enum mx_enroll e;
		int major, minor;
		bool notify, rebuild;
		int npaths, rc;
		enum mx_restart_plan plan;
	} rs[] = {
		{ MX_ENROLL_DEVICE, 14, 0, false, false, 0, 0, MX_RESTART_NOW },
		{ MX_ENROLL_DEVICE, 14, 0, true, false, 0, 0, MX_RESTART_NOTIFY },
		{ MX_ENROLL_DEVICE, 11, 3, true, false, 0, 0, MX_RESTART_NOTIFY },
		{ MX_ENROLL_DEVICE, 11, 2, true, false, 0, 0, MX_RESTART_NOW },  /* before 11.3 */
		{ MX_ENROLL_DEVICE, 14, 0, false, false, 2, MX_EUSAGE, MX_RESTART_NOW },
		{ MX_ENROLL_DEVICE, 14, 0, false, true, 2, 0, MX_RESTART_NOW },
		{ MX_ENROLL_USER, 14, 0, false, false, 0, MX_EDENIED, MX_RESTART_NOW },
	};
	for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) {
		mx_device d = dev(rs[i].major, rs[i].minor, rs[i].e, true, true);
		enum mx_restart_plan p;
		int rc = mx_mdm_restart_plan(&d, rs[i].notify, rs[i].rebuild, rs[i].npaths, &p, &err);
		if (rc != rs[i].rc || (rc == 0 && p != rs[i].plan))
			mx_test_fail_at(__FILE__, __LINE__, "restart row %zu: rc %d plan %d", i, rc, p);
	}
}

MX_TEST(rules_kext_update_revokes_consent)
{
	mx_kext old, k;
	memset(&old, 0, sizeof old);
	snprintf(old.hash, sizeof old.hash, "aaaa");
	snprintf(old.version, sizeof old.version, "1.0");
	snprintf(old.cdhash, sizeof old.cdhash, "c1");
	old.state = MX_KEXT_LOADED;
	old.in_auxkc = true;
	bool same, revoke;
	/* the same bytes again: nothing changes */
	k = old;
	mx_kext_update(&old, &k, &same, &revoke);
	CHECK(same && !revoke);
	/* the same bytes after a removal: a fresh install */
	old.state = MX_KEXT_REMOVED_AWAITING_RESTART;
	mx_kext_update(&old, &k, &same, &revoke);
	CHECK(!same && revoke);
	/* an update over a kext in the AuxKC: the old version keeps running */
	old.state = MX_KEXT_LOADED;
	memset(&k, 0, sizeof k);
	snprintf(k.hash, sizeof k.hash, "bbbb");
	snprintf(k.version, sizeof k.version, "2.0");
	mx_kext_update(&old, &k, &same, &revoke);
	CHECK(!same && revoke);
	CHECK_EQ_STR(k.running_version, "1.0");
	CHECK_EQ_STR(k.running_cdhash, "c1");
	CHECK_EQ_STR(k.running_hash, "aaaa");
	/* an update over an update not built yet: the running one stays */
	mx_kext k3;
	memset(&k3, 0, sizeof k3);
	snprintf(k3.hash, sizeof k3.hash, "cccc");
	k.in_auxkc = false;
	mx_kext_update(&k, &k3, &same, &revoke);
	CHECK_EQ_STR(k3.running_version, "1.0");
	CHECK_EQ_STR(k3.running_hash, "aaaa");
}
