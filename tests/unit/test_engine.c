/*
 * test_engine.c — the operations layer driven directly (engine.h): the op
 * bracket (commit keeps, abort forgets, one op at a time, a refusal leaves
 * only its event), read transactions that never block a writer (and see a
 * snapshot), one clock reading per operation, and what the device
 * operations do to the device, its log and its alerts.  Each engine runs
 * on its own state directory with a fixed clock and counted randomness.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "engine/engine_int.h"
#include "macext/engine.h"

/* ---- a test environment: a clock that counts its readings ---- */

struct tenv { int64_t t; int reads; uint64_t r; };

static int64_t
tnow(void *arg)
{
	struct tenv *te = arg;
	te->reads++;
	return te->t++;
}

static void
trandom(void *arg, uint8_t *buf, size_t n)
{
	struct tenv *te = arg;
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(te->r++ * 131 + 7);
}

static mx_engine *
open_engine(const char *dir, struct tenv *te)
{
	mx_engine_env env = { tnow, trandom, NULL, te };
	mx_engine *e = NULL;
	mx_err err;
	mx_err_clear(&err);
	if (mx_engine_open(&e, dir, &env, &err) != 0)
		mx_test_fail_at(__FILE__, __LINE__, "engine open: %s", err.msg);
	return e;
}

static int
make_device(mx_engine *e, const char *name, enum mx_arch arch, int major)
{
	mx_user_spec users[2] = { { "admin", "pw", NULL, true }, { "std", "pw2", NULL, false } };
	mx_device_spec spec = { .name = name, .arch = arch, .os = { (uint16_t)major, 1, 0 },
		.nusers = 2, .users = users };
	mx_err err;
	mx_err_clear(&err);
	int rc = mx_engine_device_create(e, &spec, NULL, &err);
	if (rc)
		mx_test_fail_at(__FILE__, __LINE__, "device create: %s", err.msg);
	return rc;
}

struct count { int n; char last_what[512]; char last_actor[64]; int64_t first_time, last_time;
	bool same_time; };

static int
count_event(const mx_event *ev, void *arg)
{
	struct count *c = arg;
	if (c->n == 0)
		c->first_time = ev->time;
	c->same_time = c->n == 0 || (c->same_time && ev->time == c->last_time);
	c->last_time = ev->time;
	c->n++;
	snprintf(c->last_what, sizeof c->last_what, "%s", ev->what);
	snprintf(c->last_actor, sizeof c->last_actor, "%s", ev->actor);
	return 0;
}

static struct count
events(mx_engine *e, const char *dev)
{
	struct count c;
	memset(&c, 0, sizeof c);
	mx_op *op;
	mx_err err;
	if (mx_op_begin(&op, e, dev, MX_OP_READ, &err) == 0) {
		mx_op_events_each(op, count_event, &c, &err);
		mx_op_commit(op, &err);
	}
	return c;
}

/* ---- the bracket ---- */

MX_TEST(engine_op_bracket_commit_abort)
{
	struct tenv te = { 1800000000, 0, 0 };
	mx_engine *e = open_engine(mx_test_tmpdir(), &te);
	if (e == NULL || make_device(e, "m1", MX_ARCH_ARM64, 15))
		return;
	int base = events(e, "m1").n;
	mx_op *op, *op2;
	mx_err err;
	mx_err_clear(&err);
	CHECK_EQ_INT(mx_op_begin(&op, e, "m1", MX_OP_WRITE, &err), 0);
	CHECK_EQ_STR(mx_op_device(op)->name, "m1");
	/* one op at a time per engine */
	CHECK_EQ_INT(mx_op_begin(&op2, e, "m1", MX_OP_READ, &err), MX_ESTATE);
	CHECK(op2 == NULL);
	CHECK_EQ_INT(mx_op_event(op, "test", "forgotten", "abort", &err), 0);
	mx_op_abort(op);
	CHECK_EQ_INT(events(e, "m1").n, base);
	CHECK_EQ_INT(mx_op_begin(&op, e, "m1", MX_OP_WRITE, &err), 0);
	CHECK_EQ_INT(mx_op_event(op, "test", "kept", "commit", &err), 0);
	CHECK_EQ_INT(mx_op_commit(op, &err), 0);
	struct count c = events(e, "m1");
	CHECK_EQ_INT(c.n, base + 1);
	CHECK_EQ_STR(c.last_what, "kept");
	/* an unknown device fails at begin and leaves no op open */
	CHECK_EQ_INT(mx_op_begin(&op, e, "nope", MX_OP_WRITE, &err), MX_ENOTFOUND);
	CHECK_EQ_INT(mx_op_begin(&op, e, "m1", MX_OP_READ, &err), 0);
	mx_op_abort(op);
	mx_engine_close(e);
}

MX_TEST(engine_refusal_leaves_only_its_event)
{
	struct tenv te = { 1800000000, 0, 0 };
	mx_engine *e = open_engine(mx_test_tmpdir(), &te);
	if (e == NULL || make_device(e, "m1", MX_ARCH_ARM64, 15))
		return;
	int base = events(e, "m1").n;
	mx_op *op;
	mx_err err;
	mx_err_clear(&err);
	CHECK_EQ_INT(mx_op_begin(&op, e, "m1", MX_OP_WRITE, &err), 0);
	CHECK_EQ_INT(mx_op_event(op, "test", "rolled back", "by the refusal", &err), 0);
	/* a standard user cannot do what needs an administrator */
	CHECK_EQ_INT(mx_op_auth(op, "std:pw2", true, "test action", NULL, &err), MX_EDENIED);
	CHECK(mx_op_finished(op));
	CHECK_EQ_INT(mx_op_commit(op, &err), 0);        /* only frees */
	struct count c = events(e, "m1");
	CHECK_EQ_INT(c.n, base + 1);
	CHECK_EQ_STR(c.last_what, "test action");
	CHECK(strncmp(c.last_actor, "user", 4) == 0);
	/* a wrong password is refused the same way; the right one passes */
	CHECK_EQ_INT(mx_op_begin(&op, e, "m1", MX_OP_WRITE, &err), 0);
	CHECK_EQ_INT(mx_op_auth(op, "admin:wrong", true, "test action", NULL, &err), MX_EDENIED);
	mx_op_abort(op);
	CHECK_EQ_INT(mx_op_begin(&op, e, "m1", MX_OP_WRITE, &err), 0);
	const mx_user *u = NULL;
	CHECK_EQ_INT(mx_op_auth(op, "admin:pw", true, "test action", &u, &err), 0);
	CHECK(u && strcmp(u->name, "admin") == 0);
	CHECK(!mx_op_finished(op));
	mx_op_abort(op);
	CHECK_EQ_INT(events(e, "m1").n, base + 2);
	mx_engine_close(e);
}

/* A read op is a snapshot that does not take the write lock: another
 * connection writes and commits while it is open (with a 50 ms busy
 * timeout, a writer blocked by it would fail with MX_EBUSY). */
MX_TEST(engine_read_does_not_block_writer)
{
	const char *dir = mx_test_tmpdir();
	struct tenv ta = { 1800000000, 0, 0 }, tb = { 1800000000, 0, 1000 };
	setenv("MACEXT_BUSY_MS", "50", 1);
	mx_engine *a = open_engine(dir, &ta), *b = open_engine(dir, &tb);
	unsetenv("MACEXT_BUSY_MS");
	if (a == NULL || b == NULL || make_device(a, "m1", MX_ARCH_ARM64, 15)) {
		mx_engine_close(a);
		mx_engine_close(b);
		return;
	}
	mx_op *r, *w;
	mx_err err;
	mx_err_clear(&err);
	CHECK_EQ_INT(mx_op_begin(&r, a, "m1", MX_OP_READ, &err), 0);
	struct count before;
	memset(&before, 0, sizeof before);
	CHECK_EQ_INT(mx_op_events_each(r, count_event, &before, &err), 0);
	/* the writer goes ahead while the read is open */
	CHECK_EQ_INT(mx_op_begin(&w, b, "m1", MX_OP_WRITE, &err), 0);
	CHECK_EQ_INT(mx_op_event(w, "writer", "during the read", "test", &err), 0);
	CHECK_EQ_INT(mx_op_commit(w, &err), 0);
	/* and the reader still sees its snapshot */
	struct count during;
	memset(&during, 0, sizeof during);
	CHECK_EQ_INT(mx_op_events_each(r, count_event, &during, &err), 0);
	CHECK_EQ_INT(during.n, before.n);
	CHECK_EQ_INT(mx_op_commit(r, &err), 0);
	CHECK_EQ_INT(events(a, "m1").n, before.n + 1);
	/* a second writer, by contrast, waits for the first one's lock and gives up */
	CHECK_EQ_INT(mx_op_begin(&w, b, "m1", MX_OP_WRITE, &err), 0);
	mx_op *w2;
	CHECK_EQ_INT(mx_op_begin(&w2, a, "m1", MX_OP_WRITE, &err), MX_EBUSY);
	mx_op_abort(w);
	mx_engine_close(a);
	mx_engine_close(b);
}

struct at_ctx { int64_t t; int n, at_t; };

static int
count_at(const mx_event *ev, void *arg)
{
	struct at_ctx *c = arg;
	c->n++;
	c->at_t += ev->time == c->t;
	return 0;
}

/* One clock reading per op, whatever the op does: a restart writes many
 * events and alerts, all at the op's time. */
MX_TEST(engine_clock_read_once_per_op)
{
	struct tenv te = { 1800000000, 0, 0 };
	mx_engine *e = open_engine(mx_test_tmpdir(), &te);
	if (e == NULL || make_device(e, "m1", MX_ARCH_ARM64, 15))
		return;
	int base = events(e, "m1").n;
	mx_op *op;
	mx_err err;
	mx_err_clear(&err);
	CHECK_EQ_INT(mx_op_begin(&op, e, "m1", MX_OP_WRITE, &err), 0);
	int reads = te.reads;
	int64_t t = mx_op_now(op);
	CHECK_EQ_INT(mx_op_restart(op, NULL, &err), 0);
	CHECK_EQ_INT(mx_op_recovery(op, MX_RECOVERY_POWER_BUTTON, &err), 0);
	CHECK_EQ_INT(te.reads, reads);          /* no reading inside the op */
	CHECK_EQ_INT(mx_op_commit(op, &err), 0);
	mx_op *rd;
	CHECK_EQ_INT(mx_op_begin(&rd, e, "m1", MX_OP_READ, &err), 0);
	CHECK(mx_op_now(rd) > t);               /* the next op reads the clock again */
	struct at_ctx at = { t, 0, 0 };
	CHECK_EQ_INT(mx_op_events_each(rd, count_at, &at, &err), 0);
	mx_op_abort(rd);
	/* the restart's and the recovery's (shut down, power button) events,
	 * all at the op's one time */
	CHECK_EQ_INT(at.n - base, 3);
	CHECK_EQ_INT(at.at_t, 3);
	mx_engine_close(e);
}

/* ---- what the operations do ---- */

MX_TEST(engine_power_and_enrolment_effects)
{
	struct tenv te = { 1800000000, 0, 0 };
	mx_engine *e = open_engine(mx_test_tmpdir(), &te);
	if (e == NULL || make_device(e, "m1", MX_ARCH_ARM64, 15))
		return;
	static const struct {
		const char *step;
		int want_rc;
		enum mx_envkind env;
		enum mx_enroll enroll;
		bool supervised;
	} rows[] = {
		{ "enroll-device-approved", 0, MX_ENV_MACOS, MX_ENROLL_DEVICE, true },
		{ "enroll-again", MX_ESTATE, MX_ENV_MACOS, MX_ENROLL_DEVICE, true },
		{ "escrow", 0, MX_ENV_MACOS, MX_ENROLL_DEVICE, true },
		{ "shutdown", 0, MX_ENV_OFF, MX_ENROLL_DEVICE, true },
		{ "shutdown", MX_ESTATE, MX_ENV_OFF, MX_ENROLL_DEVICE, true },
		{ "restart", 0, MX_ENV_MACOS, MX_ENROLL_DEVICE, true },
		{ "recovery", 0, MX_ENV_RECOVERY, MX_ENROLL_DEVICE, true },
		/* the power button from recoveryOS: shut down, then held (issue 12 §2) */
		{ "recovery", 0, MX_ENV_RECOVERY, MX_ENROLL_DEVICE, true },
		{ "recovery-software", MX_ESTATE, MX_ENV_RECOVERY, MX_ENROLL_DEVICE, true },
		{ "shutdown", 0, MX_ENV_OFF, MX_ENROLL_DEVICE, true },
		{ "recovery", 0, MX_ENV_RECOVERY, MX_ENROLL_DEVICE, true },
		{ "restart", 0, MX_ENV_MACOS, MX_ENROLL_DEVICE, true },
		{ "unenroll", 0, MX_ENV_MACOS, MX_ENROLL_NONE, false },
		{ "escrow", MX_ESTATE, MX_ENV_MACOS, MX_ENROLL_NONE, false },
		{ "enroll-user", 0, MX_ENV_MACOS, MX_ENROLL_USER, false },
		{ "escrow", MX_EDENIED, MX_ENV_MACOS, MX_ENROLL_USER, false },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		mx_op *op;
		mx_err err;
		mx_err_clear(&err);
		if (mx_op_begin(&op, e, "m1", MX_OP_WRITE, &err) != 0) {
			mx_test_fail_at(__FILE__, __LINE__, "begin: %s", err.msg);
			break;
		}
		uint64_t boots = mx_op_device(op)->boot_count;
		const char *s = rows[i].step;
		int rc = strcmp(s, "enroll-device-approved") == 0 ?
		    mx_op_enroll(op, MX_ENROLL_DEVICE, true, false, &err) :
		    strcmp(s, "enroll-again") == 0 ? mx_op_enroll(op, MX_ENROLL_USER, false, false, &err) :
		    strcmp(s, "enroll-user") == 0 ? mx_op_enroll(op, MX_ENROLL_USER, false, false, &err) :
		    strcmp(s, "escrow") == 0 ? mx_op_escrow_bootstrap_token(op, &err) :
		    strcmp(s, "shutdown") == 0 ? mx_op_shutdown(op, &err) :
		    strcmp(s, "restart") == 0 ? mx_op_restart(op, NULL, &err) :
		    strcmp(s, "recovery") == 0 ? mx_op_recovery(op, MX_RECOVERY_POWER_BUTTON, &err) :
		    strcmp(s, "recovery-software") == 0 ? mx_op_recovery(op, MX_RECOVERY_SOFTWARE, &err) :
		    mx_op_unenroll(op, &err);
		if (rc != rows[i].want_rc)
			mx_test_fail_at(__FILE__, __LINE__, "row %zu %s: rc %d, want %d (%s)", i, s, rc,
			    rows[i].want_rc, err.msg);
		if (rc) {
			mx_op_abort(op);
			continue;
		}
		const mx_device *d = mx_op_device(op);
		if (d->env != rows[i].env || d->enroll != rows[i].enroll ||
		    d->supervised != rows[i].supervised)
			mx_test_fail_at(__FILE__, __LINE__, "row %zu %s: env %d enroll %d supervised %d",
			    i, s, d->env, d->enroll, d->supervised);
		if ((strcmp(s, "restart") == 0 || strcmp(s, "recovery") == 0) &&
		    d->boot_count != boots + 1)
			mx_test_fail_at(__FILE__, __LINE__, "row %zu %s: no new boot", i, s);
		CHECK_EQ_INT(mx_op_commit(op, &err), 0);
	}
	/* each change is in the device record that the next op loads */
	mx_device d;
	mx_err err;
	CHECK_EQ_INT(mx_engine_device_get(e, "m1", &d, &err), 0);
	CHECK_EQ_INT(d.enroll, MX_ENROLL_USER);
	CHECK(!d.bootstrap_escrowed);
	mx_engine_close(e);
}

MX_TEST(engine_mdm_command_error_chain)
{
	struct tenv te = { 1800000000, 0, 0 };
	mx_engine *e = open_engine(mx_test_tmpdir(), &te);
	if (e == NULL || make_device(e, "m1", MX_ARCH_ARM64, 15))
		return;
	mx_op *op;
	mx_err err;
	mx_err_clear(&err);
	CHECK_EQ_INT(mx_op_begin(&op, e, "m1", MX_OP_WRITE, &err), 0);
	CHECK_EQ_INT(mx_op_enroll(op, MX_ENROLL_AUTOMATED, false, false, &err), 0);
	CHECK_EQ_INT(mx_op_commit(op, &err), 0);
	static const struct { const char *type; const char *status; const char *domain; int code; }
	    rows[] = {
		{ "SecurityInfo", "Acknowledged", NULL, 0 },
		{ "ProfileList", "Acknowledged", NULL, 0 },
		{ "EraseDevice", "Error", "MCMDMErrorDomain", 12022 },    /* macOS has it; not simulated */
		{ "RefreshCellularPlans", "Error", "MCMDMErrorDomain", 12021 },   /* not on macOS */
		{ "RemoveProfile", "Error", "MCMDMErrorDomain", 12001 },   /* no Identifier */
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char xml[1024];
		snprintf(xml, sizeof xml, "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict>"
		    "<key>CommandUUID</key><string>C-%zu</string><key>Command</key><dict>"
		    "<key>RequestType</key><string>%s</string></dict></dict></plist>", i,
		    rows[i].type);
		mx_mdm_request req;
		CHECK_EQ_INT(mx_engine_mdm_request(e, (const uint8_t *)xml, strlen(xml), "cmd", &req,
		    &err), 0);
		plist_t resp = NULL;
		CHECK_EQ_INT(mx_op_begin(&op, e, "m1", MX_OP_WRITE, &err), 0);
		CHECK_EQ_INT(mx_op_mdm_command(op, &req, &resp, &err), 0);
		CHECK_EQ_INT(mx_op_commit(op, &err), 0);
		mx_mdm_request_free(&req);
		plist_t st = resp ? plist_dict_get_item(resp, "Status") : NULL;
		CHECK(st && strcmp(plist_get_string_ptr(st, NULL), rows[i].status) == 0);
		plist_t chain = resp ? plist_dict_get_item(resp, "ErrorChain") : NULL;
		if (rows[i].domain == NULL) {
			CHECK(chain == NULL);
		} else if (chain == NULL || plist_array_get_size(chain) != 1) {
			mx_test_fail_at(__FILE__, __LINE__, "%s: no ErrorChain", rows[i].type);
		} else {
			plist_t e0 = plist_array_get_item(chain, 0);
			uint64_t code = 0;
			plist_get_uint_val(plist_dict_get_item(e0, "ErrorCode"), &code);
			CHECK_EQ_INT(code, rows[i].code);
			CHECK_EQ_STR(plist_get_string_ptr(plist_dict_get_item(e0, "ErrorDomain"), NULL),
			    rows[i].domain);
		}
		plist_free(resp);
	}
	mx_engine_close(e);
}

/* ---- JSON ---- */

MX_TEST(engine_json_fails_loudly_on_bad_utf8)
{
	mx_profile_row r;
	memset(&r, 0, sizeof r);
	snprintf(r.identifier, sizeof r.identifier, "com.example.p");
	snprintf(r.source, sizeof r.source, "mdm");
	snprintf(r.payload_types, sizeof r.payload_types, "com.apple.a com.apple.b");
	json_t *j = NULL;
	mx_err err;
	mx_err_clear(&err);
	CHECK_EQ_INT(mx_json_profile(&j, &r, NULL, &err), 0);
	json_t *types = j ? json_object_get(j, "payload_types") : NULL;
	CHECK(json_is_array(types) && json_array_size(types) == 2);
	json_decref(j);
	/* one single payload type is still an array */
	snprintf(r.payload_types, sizeof r.payload_types, "com.apple.a");
	CHECK_EQ_INT(mx_json_profile(&j, &r, NULL, &err), 0);
	CHECK(j && json_is_array(json_object_get(j, "payload_types")));
	json_decref(j);
	/* a string that is not UTF-8: an error naming the field, never NULL and 0 */
	snprintf(r.display_name, sizeof r.display_name, "bad \xff name");
	j = (json_t *)1;
	CHECK_EQ_INT(mx_json_profile(&j, &r, NULL, &err), MX_EFORMAT);
	CHECK(j == NULL);
	CHECK(strstr(err.msg, "display_name") != NULL);
	CHECK_EQ_INT(err.offset, 4);
	mx_device d;
	memset(&d, 0, sizeof d);
	snprintf(d.name, sizeof d.name, "m");
	d.nusers = 1;
	snprintf(d.users[0].name, sizeof d.users[0].name, "\xc3\x28");
	CHECK_EQ_INT(mx_json_device(&j, &d, &err), MX_EFORMAT);
	CHECK(strstr(err.msg, "users[].name") != NULL);
	snprintf(d.users[0].name, sizeof d.users[0].name, "J\xc3\xa9r\xc3\xb4me");
	CHECK_EQ_INT(mx_json_device(&j, &d, &err), 0);
	json_decref(j);
}

MX_TEST(engine_merged_policy_json_unions_and_fails_loudly)
{
	plist_t a = plist_new_dict(), b = plist_new_dict();
	plist_t t1 = plist_new_array(), t2 = plist_new_array();
	plist_array_append_item(t1, plist_new_string("TEAM1"));
	plist_array_append_item(t2, plist_new_string("TEAM1"));
	plist_array_append_item(t2, plist_new_string("TEAM2"));
	plist_dict_set_item(a, "AllowedTeamIdentifiers", t1);
	plist_dict_set_item(a, "AllowUserOverrides", plist_new_bool(1));
	plist_dict_set_item(a, "PayloadUUID", plist_new_string("not policy"));
	plist_dict_set_item(b, "AllowedTeamIdentifiers", t2);
	plist_dict_set_item(b, "AllowUserOverrides", plist_new_bool(0));
	json_t *o = json_object();
	mx_err err;
	mx_err_clear(&err);
	CHECK_EQ_INT(eng_json_merge_payload(o, a, "p1", &err), 0);
	CHECK_EQ_INT(eng_json_merge_payload(o, b, "p2", &err), 0);
	json_t *teams = json_object_get(o, "AllowedTeamIdentifiers");
	CHECK(json_is_array(teams) && json_array_size(teams) == 2);       /* a union */
	CHECK(json_is_false(json_object_get(o, "AllowUserOverrides")));   /* an AND */
	CHECK(json_object_get(o, "PayloadUUID") == NULL);
	/* a string jansson cannot hold is an error naming the profile, not a dropped value */
	plist_t c = plist_new_dict(), t3 = plist_new_array();
	plist_array_append_item(t3, plist_new_string("bad\xfe"));
	plist_dict_set_item(c, "AllowedTeamIdentifiers", t3);
	CHECK_EQ_INT(eng_json_merge_payload(o, c, "p3", &err), MX_EFORMAT);
	CHECK(strstr(err.msg, "p3") != NULL);
	CHECK_EQ_INT(json_array_size(teams), 2);
	json_decref(o);
	plist_free(a);
	plist_free(b);
	plist_free(c);
}
