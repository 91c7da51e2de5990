/*
 * test_agent.c — the MDM agent over the wire against the conformance MDM
 * server (tests/mdm), with the test-only backend (agent_testbe.c) so the
 * protocol work is tested on its own: a mixed fleet enrols (SCEP identity,
 * Authenticate, TokenUpdate; ADE with AwaitingConfiguration; Apple silicon
 * escrowing the bootstrap token; the user channel), commands pushed through
 * the APNs stand-in come back Acknowledged once per CommandUUID, a
 * RestartDevice takes the Mac away and back, and the server's schema
 * validation finds nothing wrong in any message.  Skips when the server
 * binary is not built.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_testbe.h"
#include "daemon/agent.h"
#include "daemon/agent_int.h"
#include "harness.h"
#include "macext/store.h"
#include "macext/store_mdm.h"
#include "mdms_run.h"

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	uint8_t *b = malloc(1 << 20);
	*len = fread(b, 1, 1 << 20, f);
	fclose(f);
	return b;
}

/* A state directory with n devices, each with an enrolment record for the
 * profile at path: the state `macext mdm enroll --profile` leaves. */
static int
fleet(const char *dir, int n, const char *profile, const enum mx_enroll *methods,
    const enum mx_arch *archs)
{
	mx_store *st;
	mx_err err;
	if (mx_store_open(&st, dir, &err) != 0)
		return -1;
	size_t len;
	uint8_t *p = slurp(profile, &len);
	char hash[65];
	int rc = p ? 0 : -1;
	if (rc == 0)
		rc = mx_store_begin(st, &err);
	if (rc == 0)
		rc = mx_store_blob_put(st, p, len, hash, &err);
	for (int i = 0; rc == 0 && i < n; i++) {
		mx_device d;
		mx_env_in in = { .now = 1764640000 };
		for (int k = 0; k < 32; k++)
			in.random[k] = (uint8_t)(i * 31 + k * 7 + 1);
		mx_version os = { 15, 1, 0 };
		char name[32];
		snprintf(name, sizeof name, "mac%03d", i);
		mx_device_init(&d, name, archs ? archs[i % 3] : MX_ARCH_ARM64, os, &in);
		uint8_t salt[16] = { 1 };
		mx_device_add_user(&d, "admin", "admin", true, salt, &err);
		mx_device_add_user(&d, "ann", "ann", false, salt, &err);
		if ((rc = mx_store_device_insert(st, &d, &err)))
			break;
		mx_mdm_enrollment e;
		memset(&e, 0, sizeof e);
		e.device_id = d.id;
		snprintf(e.profile, sizeof e.profile, "%s", hash);
		e.method = methods ? methods[i % 3] : MX_ENROLL_DEVICE;
		e.user_approved = true;
		e.state = MX_MDM_PENDING;
		rc = mx_store_mdm_put(st, &e, &err);
	}
	if (rc == 0)
		rc = mx_store_commit(st, &err);
	if (rc)
		fprintf(stderr, "fleet: %s: %s\n", err.where, err.msg);
	free(p);
	mx_store_close(st);
	return rc;
}

static mx_agent_status
wait_for(mx_agent *a, int64_t enrolled, int64_t commands, int seconds)
{
	mx_agent_status s;
	for (int i = 0; i < seconds * 20; i++) {
		mx_agent_status_get(a, &s);
		if (s.enrolled >= enrolled && (int64_t)s.commands >= commands && s.pending == 0)
			break;
		sleep_ms(50);
	}
	return s;
}

static void
logline(void *arg, int level, const char *line)
{
	(void)arg;
	if (getenv("AGENT_TEST_LOG") && level <= atoi(getenv("AGENT_TEST_LOG")))
		fprintf(stderr, "%s\n", line);
}

MX_TEST(agent_enrol_push_commands)
{
	char srvdir[1100], state[1100];
	snprintf(srvdir, sizeof srvdir, "%s/srv", mx_test_tmpdir());
	snprintf(state, sizeof state, "%s/state", mx_test_tmpdir());
	mdms m;
	const char *flags[] = { "--capabilities",
	    "com.apple.mdm.per-user-connections,com.apple.mdm.bootstraptoken", NULL };
	if (mdms_binary() == NULL) {
		mx_test_skip("tests/mdm's mdmserver is not built");
		return;
	}
	if (mdms_start(&m, srvdir, flags) != 0) {
		mx_test_fail_at(__FILE__, __LINE__, "mdmserver did not start (see %s/log)", srvdir);
		return;
	}
	enum mx_enroll methods[3] = { MX_ENROLL_DEVICE, MX_ENROLL_AUTOMATED, MX_ENROLL_DEVICE };
	enum mx_arch archs[3] = { MX_ARCH_ARM64, MX_ARCH_ARM64, MX_ARCH_X86_64 };
	const int n = 6;
	CHECK_EQ_INT(fleet(state, n, m.profile, methods, archs), 0);
	mx_agent_options o;
	mx_agent_options_default(&o);
	o.backend = agent_test_backend();
	o.poll_interval = 3600;
	o.reboot_delay = 0.2;
	o.apns_listen = "127.0.0.1:0";
	o.log = logline;
	o.seed = 7;
	mx_agent *a = NULL;
	mx_err err;
	CHECK_EQ_INT(mx_agent_start(&a, state, &o, &err), 0);
	if (a == NULL) {
		mdms_stop(&m);
		return;
	}
	mx_agent_status s = wait_for(a, n, 0, 60);
	CHECK_EQ_INT(s.enrolled, n);
	CHECK_EQ_INT(s.failed, 0);
	CHECK(s.apns_port > 0);
	CHECK_EQ_INT(s.keys_generated, n);
	/* the server saw each device enrol on its device channel, the ADE Macs
	 * (supervised) escrow a bootstrap token, everyone opened a user channel */
	CHECK_EQ_INT(mdms_counter(&m, "authenticate"), n);
	CHECK_EQ_INT(mdms_counter(&m, "set_bootstrap_token"), n);
	/* push: the server pushes to the agent's stand-in, the devices check in */
	char cfg[128];
	snprintf(cfg, sizeof cfg, "{\"push_url\": \"http://127.0.0.1:%d\"}", s.apns_port);
	long st;
	json_decref(mdms_ctl(&m, "PUT", "/v1/config", cfg, &st));
	CHECK_EQ_INT(st, 200);
	json_t *j = mdms_ctl(&m, "POST", "/v1/enqueue/all?push=1",
	    "{\"request_type\": \"SecurityInfo\"}", &st);
	CHECK_EQ_INT(st, 200);
	json_decref(j);
	s = wait_for(a, n, n, 30);
	CHECK_EQ_INT(s.commands, n);
	CHECK_EQ_INT(s.acknowledged, n);
	CHECK((int64_t)s.pushes >= n);
	/* a RestartDevice: acknowledged, the Mac is away, then checks in again */
	long before = tb_executed;
	j = mdms_ctl(&m, "POST", "/v1/enqueue/all?push=1", "{\"request_type\": \"RestartDevice\"}",
	    &st);
	json_decref(j);
	s = wait_for(a, n, 2 * n, 30);
	CHECK_EQ_INT(s.commands, 2 * n);
	CHECK_EQ_INT(tb_executed - before, n);
	if (getenv("AGENT_TEST_LOG")) {
		json_t *rep = mdms_ctl(&m, "GET", "/v1/report", NULL, NULL);
		char *t = json_dumps(rep, JSON_INDENT(1));
		fprintf(stderr, "%s\n", t);
		free(t);
		json_decref(rep);
	}
	/* every message the server validated is conformant */
	CHECK_EQ_INT(mdms_counter(&m, "invalid"), 0);
	CHECK_EQ_INT(mdms_counter(&m, "duplicate_results"), 0);
	mx_agent_stop(a);
	CHECK_EQ_INT(mdms_stop(&m), 0);
	/* the store: every device enrolled with its identity and token */
	mx_store *sto;
	CHECK_EQ_INT(mx_store_open(&sto, state, &err), 0);
	long viol = -1;
	CHECK_EQ_INT(mx_store_check(sto, NULL, NULL, &viol, &err), 0);
	CHECK_EQ_INT(viol, 0);
	mx_store_close(sto);
}
