/* test_alert_action.c — mx_alert_user_action (what preflight lists as a
 * person's step) says, for each kind of alert, what the fleet summary's
 * user_actions count says for it (ACTION_SQL in src/engine/fleet_select.c):
 * one table of alerts, both answers compared. */
#include <stdlib.h>
#include <string.h>

#include "macext/engine.h"
#include "harness.h"

MX_TEST(alert_user_action_matches_summary)
{
	static const struct { const char *kind, *title, *text, *want; } t[] = {
		{ "restart-required", "Restart Required", "A restart is required.", "restart the Mac" },
		{ "kext-blocked", "Enable System Extensions", "modify your security settings in the"
		  " Recovery environment", "restart into recoveryOS (hold the power button), lower"
		  " security, restart" },
		{ "kext-blocked", "Blocked", "hold the Power Button", "restart into recoveryOS (hold the"
		  " power button), lower security, restart" },
		{ "sysext-blocked", "System Extension Blocked", "Your organization's policy does not allow"
		  " it", "none possible: policy forbids approval" },
		{ "sysext-blocked", "System Extension Blocked", "go to System Settings", "allow in System"
		  " Settings (administrator approval)" },
		{ "sysext-approval", "x", "y", "allow in System Settings (administrator approval)" },
		{ "sysext-uninstall", "x", "y", "administrator authentication to remove" },
		{ "sysext-auth", "Authenticate", "z", "other: sysext-auth (Authenticate)" },
	};
	size_t n = sizeof t / sizeof t[0];
	mx_engine *e;
	mx_err err;
	mx_err_clear(&err);
	if (mx_engine_open(&e, mx_test_tmpdir(), NULL, &err) != 0) {
		mx_test_fail_at(__FILE__, __LINE__, "open: %s", err.msg);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof name, "m%zu", i);
		mx_device_spec spec = { .name = name, .arch = MX_ARCH_ARM64, .os = { 15, 1, 0 } };
		mx_device d;
		CHECK(mx_engine_device_create(e, &spec, &d, &err) == 0);
		mx_alert a;
		memset(&a, 0, sizeof a);
		snprintf(a.kind, sizeof a.kind, "%s", t[i].kind);
		snprintf(a.title, sizeof a.title, "%s", t[i].title);
		snprintf(a.text, sizeof a.text, "%s", t[i].text);
		snprintf(a.actions, sizeof a.actions, "[\"OK\"]");
		mx_store *st = mx_engine_store(e);
		CHECK(mx_store_begin(st, &err) == 0);
		CHECK(mx_store_alert_add(st, d.id, &a, &err) == 0);
		CHECK(mx_store_commit(st, &err) == 0);
		char buf[256];
		CHECK_EQ_STR(mx_alert_user_action(&a, buf, sizeof buf), t[i].want);
		/* the summary of this one device counts the same action */
		int64_t id = d.id;
		json_t *j = NULL;
		CHECK(mx_engine_fleet_summary(e, &id, 1, &j, &err) == 0);
		json_t *acts = j ? json_object_get(j, "user_actions") : NULL;
		CHECK(acts && json_object_size(acts) == 1 && json_object_get(acts, t[i].want));
		json_decref(j);
	}
	mx_engine_close(e);
}
