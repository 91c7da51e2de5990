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

/* ---- bad servers, SCEP outcomes, TLS, identities ---- */

typedef struct scen {
	mdms m;
	mx_agent *a;
	char state[1100];
	int n;
} scen;

/* A server with flags, n Device Enrollment Macs on Apple silicon, an agent
 * with fast retries; false (and a failure recorded) when it cannot start. */
static bool
scen_start(scen *s, const char *name, const char *const *flags, int n, const mx_agent_options *opt)
{
	char srv[1100];
	memset(s, 0, sizeof *s);
	snprintf(srv, sizeof srv, "%s/%s-srv", mx_test_tmpdir(), name);
	snprintf(s->state, sizeof s->state, "%s/%s-state", mx_test_tmpdir(), name);
	s->n = n;
	if (mdms_start(&s->m, srv, flags) != 0) {
		mx_test_fail_at(__FILE__, __LINE__, "%s: mdmserver did not start (%s/log)", name, srv);
		return false;
	}
	if (fleet(s->state, n, s->m.profile, NULL, NULL) != 0) {
		mx_test_fail_at(__FILE__, __LINE__, "%s: no fleet", name);
		mdms_stop(&s->m);
		return false;
	}
	mx_agent_options o;
	if (opt)
		o = *opt;
	else
		mx_agent_options_default(&o);
	o.backend = agent_test_backend();
	o.backoff_min = 0.05;
	o.backoff_max = 0.4;
	o.log = logline;
	o.seed = 11;
	if (o.timeout == 30)
		o.timeout = 3;
	mx_err err;
	if (mx_agent_start(&s->a, s->state, &o, &err) != 0) {
		mx_test_fail_at(__FILE__, __LINE__, "%s: agent: %s", name, err.msg);
		mdms_stop(&s->m);
		return false;
	}
	return true;
}

static void
scen_stop(scen *s)
{
	mx_agent_stop(s->a);
	s->a = NULL;
	CHECK_EQ_INT(mdms_stop(&s->m), 0);
	mx_store *st;
	mx_err err;
	long viol = -1;
	if (mx_store_open(&st, s->state, &err) == 0) {
		CHECK_EQ_INT(mx_store_check(st, NULL, NULL, &viol, &err), 0);
		mx_store_close(st);
	}
	CHECK_EQ_INT(viol, 0);
}

/* The stored last error of the first device. */
static void
stored_error(const scen *s, char *buf, size_t len)
{
	mx_store *st;
	mx_err err;
	buf[0] = '\0';
	if (mx_store_open(&st, s->state, &err) != 0)
		return;
	mx_mdm_enrollment *e = malloc(sizeof *e);
	if (mx_store_mdm_get(st, 1, e, &err) == 0)
		snprintf(buf, len, "%s [%s]", e->last_error, mx_mdm_state_name(e->state));
	free(e);
	mx_store_close(st);
}

MX_TEST(agent_bad_servers)
{
	if (mdms_binary() == NULL) {
		mx_test_skip("tests/mdm's mdmserver is not built");
		return;
	}
	/* enrolment through 500s, resets and a hung check-in: retried with backoff */
	const char *f1[] = { "--fault", "checkin:status,status=500,count=3",
	    "--fault", "scep:reset,count=2", "--fault", "checkin:hold,hold_ms=5000,count=1", NULL };
	mx_agent_options o;
	mx_agent_options_default(&o);
	o.timeout = 1;
	o.poll_interval = 0.5;
	scen s;
	if (!scen_start(&s, "faults", f1, 3, &o))
		return;
	mx_agent_status st = wait_for(s.a, 3, 0, 60);
	CHECK_EQ_INT(st.enrolled, 3);
	CHECK(st.http_errors >= 5);
	/* commands through resets, wrong content types, malformed and huge
	 * replies: each executed once, acknowledged once */
	long before = tb_executed;
	long code;
	json_decref(mdms_ctl(&s.m, "POST", "/v1/faults", "command:reset,count=2", &code));
	CHECK_EQ_INT(code, 200);
	json_decref(mdms_ctl(&s.m, "POST", "/v1/faults", "command:ctype,content_type=text/html,count=1", &code));
	json_decref(mdms_ctl(&s.m, "POST", "/v1/faults", "command:malformed,count=1", &code));
	json_decref(mdms_ctl(&s.m, "POST", "/v1/faults", "command:huge,bytes=20000000,count=1", &code));
	json_decref(mdms_ctl(&s.m, "POST", "/v1/enqueue/all", "{\"request_type\": \"RestartDevice\"}",
	    &code));
	CHECK_EQ_INT(code, 200);
	st = wait_for(s.a, 3, 3, 60);
	CHECK_EQ_INT(st.commands, 3);
	CHECK_EQ_INT(tb_executed - before, 3);
	CHECK_EQ_INT(mdms_counter(&s.m, "duplicate_results"), 0);
	CHECK_EQ_INT(mdms_counter(&s.m, "acknowledged"), 3);
	CHECK_EQ_INT(mdms_counter(&s.m, "invalid"), 0);
	scen_stop(&s);

	/* SCEP FAILURE: the enrolment fails and says why */
	const char *f2[] = { "--scep-mode", "failure", "--scep-failinfo", "badRequest", NULL };
	if (!scen_start(&s, "scepfail", f2, 1, NULL))
		return;
	for (int i = 0; i < 200; i++) {
		mx_agent_status_get(s.a, &st);
		if (st.failed)
			break;
		sleep_ms(50);
	}
	CHECK_EQ_INT(st.failed, 1);
	CHECK(strstr(st.last_error, "FAILURE, failInfo badRequest") != NULL);
	scen_stop(&s);
	char err[600];
	stored_error(&s, err, sizeof err);
	CHECK(strstr(err, "badRequest") != NULL && strstr(err, "[failed]") != NULL);

	/* PENDING twice, then issued: CertPoll within the profile's Retries */
	const char *f3[] = { "--scep-mode", "pending", "--scep-polls", "2", NULL };
	if (!scen_start(&s, "sceppend", f3, 2, NULL))
		return;
	st = wait_for(s.a, 2, 0, 60);
	CHECK_EQ_INT(st.enrolled, 2);
	CHECK(mdms_counter(&s.m, "scep_getcertinitial") >= 4);
	scen_stop(&s);
}

/* What micromdm's scepserver does and the conformance server did not model
 * (docs/mdm.md, "Against a real server"): its CertRep envelope is single
 * DES-CBC whatever the request offered, and it has no GetCertInitial (a
 * CertPoll gets HTTP 500; here FAILURE badCertId, as for any poll the CA
 * never said PENDING to). */
MX_TEST(agent_real_scep_quirks)
{
	if (mdms_binary() == NULL) {
		mx_test_skip("tests/mdm's mdmserver is not built");
		return;
	}
	const char *f1[] = { "--scep-cipher", "des", NULL };
	scen s;
	if (!scen_start(&s, "scepdes", f1, 2, NULL))
		return;
	mx_agent_status st = wait_for(s.a, 2, 0, 60);
	CHECK_EQ_INT(st.enrolled, 2);
	CHECK_EQ_INT(mdms_counter(&s.m, "scep_certrep_des"), 2);
	CHECK_EQ_INT(mdms_counter(&s.m, "scep_issued"), 2);
	scen_stop(&s);

	/* the PKIOperation fails once (a 500): the retry is a new PKCSReq, never
	 * a CertPoll (which this CA would refuse: the enrolment would fail) */
	const char *f2[] = { "--fault", "scep:status,status=500,match=PKIOperation,count=1", NULL };
	if (!scen_start(&s, "scepretry", f2, 1, NULL))
		return;
	st = wait_for(s.a, 1, 0, 60);
	CHECK_EQ_INT(st.enrolled, 1);
	CHECK_EQ_INT(st.failed, 0);
	CHECK_EQ_INT(mdms_counter(&s.m, "faults_applied"), 1);
	CHECK_EQ_INT(mdms_counter(&s.m, "scep_getcertinitial"), 0);
	/* the fault answers before the request is read: only the retry counts */
	CHECK_EQ_INT(mdms_counter(&s.m, "scep_pkcsreq"), 1);
	scen_stop(&s);
}

MX_TEST(agent_tls_pins_identities)
{
	if (mdms_binary() == NULL) {
		mx_test_skip("tests/mdm's mdmserver is not built");
		return;
	}
	scen s;
	mx_agent_status st;
	/* https verified against the profile's root payload, and pinned to it */
	const char *f1[] = { "--tls", "--pin", "ca", NULL };
	if (!scen_start(&s, "tls", f1, 2, NULL))
		return;
	st = wait_for(s.a, 2, 0, 60);
	CHECK_EQ_INT(st.enrolled, 2);
	scen_stop(&s);
	/* a server certificate from a CA the profile does not carry: refused, retried */
	const char *f2[] = { "--tls", "--tls-mode", "other-ca", NULL };
	if (!scen_start(&s, "tlsbad", f2, 1, NULL))
		return;
	sleep_ms(1500);
	mx_agent_status_get(s.a, &st);
	CHECK_EQ_INT(st.enrolled, 0);
	CHECK(st.failing == 1);
	CHECK(strstr(st.last_error, "certificate") != NULL);
	scen_stop(&s);
	/* pinned to a certificate the server's chain does not hold */
	const char *f3[] = { "--tls", "--pin", "other", NULL };
	if (!scen_start(&s, "pinbad", f3, 1, NULL))
		return;
	sleep_ms(1500);
	mx_agent_status_get(s.a, &st);
	CHECK_EQ_INT(st.enrolled, 0);
	CHECK(st.failing == 1);
	scen_stop(&s);
	/* no SignMessage: the identity is the TLS client certificate */
	const char *f4[] = { "--tls", "--mtls", "--sign-message", "no", NULL };
	if (!scen_start(&s, "mtls", f4, 2, NULL))
		return;
	st = wait_for(s.a, 2, 0, 60);
	CHECK_EQ_INT(st.enrolled, 2);
	CHECK(mdms_counter(&s.m, "mtls_verified") >= 2);
	scen_stop(&s);
	/* a PKCS#12 identity in the profile: no SCEP at all */
	const char *f5[] = { "--identity", "pkcs12", NULL };
	if (!scen_start(&s, "p12", f5, 1, NULL))
		return;
	st = wait_for(s.a, 1, 0, 60);
	CHECK_EQ_INT(st.enrolled, 1);
	CHECK_EQ_INT(mdms_counter(&s.m, "scep_pkcsreq"), 0);
	scen_stop(&s);
}

MX_TEST(agent_key_pool)
{
	if (mdms_binary() == NULL) {
		mx_test_skip("tests/mdm's mdmserver is not built");
		return;
	}
	/* keys generated ahead are taken by the enrolments: no RSA generation inline */
	const char *flags[] = { "--keysize", "1024", NULL };
	scen s;
	char srv[1100];
	snprintf(srv, sizeof srv, "%s/pool-srv", mx_test_tmpdir());
	snprintf(s.state, sizeof s.state, "%s/pool-state", mx_test_tmpdir());
	if (mdms_start(&s.m, srv, flags) != 0) {
		mx_test_fail_at(__FILE__, __LINE__, "mdmserver did not start");
		return;
	}
	CHECK_EQ_INT(fleet(s.state, 3, s.m.profile, NULL, NULL), 0);
	int made = 0;
	mx_err err;
	CHECK_EQ_INT(mx_agent_keys_generate(s.state, 5, 1024, 2, agent_test_backend(), NULL, NULL,
	    &made, &err), 0);
	CHECK_EQ_INT(made, 5);
	int64_t left = -1;
	CHECK_EQ_INT(mx_agent_keys_count(s.state, 1024, agent_test_backend(), &left, &err), 0);
	CHECK_EQ_INT(left, 5);
	CHECK_EQ_INT(mx_agent_keys_generate(s.state, 1, 1000, 1, agent_test_backend(), NULL, NULL,
	    &made, &err), MX_EUSAGE);
	mx_agent_options o;
	mx_agent_options_default(&o);
	o.backend = agent_test_backend();
	o.log = logline;
	CHECK_EQ_INT(mx_agent_start(&s.a, s.state, &o, &err), 0);
	if (s.a == NULL) {
		mdms_stop(&s.m);
		return;
	}
	mx_agent_status st = wait_for(s.a, 3, 0, 60);
	CHECK_EQ_INT(st.enrolled, 3);
	CHECK_EQ_INT(st.keys_pooled, 3);
	CHECK_EQ_INT(st.keys_generated, 0);
	s.n = 3;
	scen_stop(&s);
	CHECK_EQ_INT(mx_agent_keys_count(s.state, 1024, agent_test_backend(), &left, &err), 0);
	CHECK_EQ_INT(left, 2);
}
