/*
 * cmd_mdm_agent.c — the MDM agent from the command line:
 *
 *   macext mdm enroll --profile ENROLL.mobileconfig [--method device|automated|user]
 *          [--user-approved] [--insecure] [--no-wait] [--timeout S] [agent flags]
 *   macext fleet enroll --profile ENROLL.mobileconfig [--devices FILTER] [same flags]
 *   macext mdm agent [--until enrolled|idle|forever] [--duration S] [agent flags] [--json]
 *   macext mdm keys generate --count N [--bits 2048] [--workers N]
 *   macext mdm keys count [--bits 2048]
 *   macext mdm status [--json]
 *
 * enroll reads and checks the profile (formats/enroll.c), records the
 * enrolment for the device(s) through an engine op, then runs the agent
 * (daemon/agent.h) until nothing is enrolling: the Macs enrol over the wire
 * with the server the profile names.  `mdm agent` is the foreground runner
 * (tests, benches, a lab without `macext serve`).  Agent flags: --poll S
 * --jitter F --connections N --workers N --http-timeout S --apns-listen
 * HOST:PORT --apns-cert PEM --apns-key PEM --notnow-rate R --error-rate R
 * --ack-delay S --drop-rate R --seed N --no-pool --reboot-delay S
 * --start-spread S --backoff-max S --ready-file FILE (JSON: pid, apns_port).
 * Spec: docs/mdm.md.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/agent.h"
#include "fleet.h"
#include "macext/enroll.h"
#include "macext/profile.h"
#include "macext/store_mdm.h"
#include "tools.h"

static volatile sig_atomic_t stop_asked;

static void
on_signal(int sig)
{
	(void)sig;
	stop_asked = 1;
}

static int
num(const char *flag, const char *v, double lo, double hi, double *out, mx_err *err)
{
	char *e = NULL;
	double x = strtod(v, &e);
	if (e == v || *e != '\0' || x < lo || x > hi)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s %s: a number from %g to %g", flag, v,
		    lo, hi);
	*out = x;
	return 0;
}

struct agent_flags { mx_agent_options o; bool debug; const char *ready_file; };

static void
log_line(void *arg, int level, const char *line)
{
	struct agent_flags *f = arg;
	if (level <= 1 || f->debug)
		fprintf(stderr, "macext: %s\n", line);
}

/* Takes the agent flags out of argv. */
static int
agent_flags(int *argc, char **argv, struct agent_flags *f, mx_err *err)
{
	mx_agent_options *o = &f->o;
	mx_agent_options_default(o);
	static const struct { const char *flag; int which; double lo, hi; } nums[] = {
		{ "--poll", 0, 0.05, 86400 }, { "--jitter", 1, 0, 1 }, { "--connections", 2, 1, 4096 },
		{ "--workers", 3, 1, 256 }, { "--http-timeout", 4, 0.1, 3600 },
		{ "--notnow-rate", 5, 0, 1 }, { "--error-rate", 6, 0, 1 }, { "--ack-delay", 7, 0, 3600 },
		{ "--drop-rate", 8, 0, 1 }, { "--reboot-delay", 9, 0, 3600 },
		{ "--start-spread", 10, 0, 3600 }, { "--backoff-max", 11, 0.01, 86400 },
		{ "--seed", 12, 0, 1e18 },
	};
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		const char *v = arg_value(argc, argv, nums[i].flag);
		double x;
		int rc;
		if (v == NULL)
			continue;
		if ((rc = num(nums[i].flag, v, nums[i].lo, nums[i].hi, &x, err)))
			return rc;
		switch (nums[i].which) {
		case 0: o->poll_interval = x; break;
		case 1: o->poll_jitter = x; break;
		case 2: o->max_connections = (int)x; break;
		case 3: o->workers = (int)x; break;
		case 4: o->timeout = x; break;
		case 5: o->notnow_rate = x; break;
		case 6: o->error_rate = x; break;
		case 7: o->ack_delay = x; break;
		case 8: o->drop_rate = x; break;
		case 9: o->reboot_delay = x; break;
		case 10: o->start_spread = x; break;
		case 11: o->backoff_max = x; break;
		case 12: o->seed = (uint64_t)x; break;
		}
	}
	const char *apns = arg_value(argc, argv, "--apns-listen");
	o->apns_listen = apns ? apns : "";
	o->apns_cert = arg_value(argc, argv, "--apns-cert");
	o->apns_key = arg_value(argc, argv, "--apns-key");
	if ((o->apns_cert != NULL) != (o->apns_key != NULL))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--apns-cert and --apns-key go together");
	o->pool_keys = !arg_flag(argc, argv, "--no-pool");
	f->debug = arg_flag(argc, argv, "--agent-debug");
	f->ready_file = arg_value(argc, argv, "--ready-file");
	o->log = log_line;
	o->log_arg = f;
	return 0;
}

/* The agent's flags for a host of the agent (`macext serve --mdm`). */
int
cli_agent_options(int *argc, char **argv, mx_agent_options *out, mx_err *err)
{
	static struct agent_flags f;   /* the log callback's argument: lives as long as the agent */
	int rc = agent_flags(argc, argv, &f, err);
	if (rc == 0)
		*out = f.o;
	return rc;
}

enum until { UNTIL_ENROLLED, UNTIL_IDLE, UNTIL_FOREVER };

/* Runs the agent over the state until the condition holds (or the
 * duration passes, or a signal).  *st gets the final status. */
static int
run_agent(struct mx_cli *cli, struct agent_flags *f, enum until until, double duration,
    mx_agent_status *st, mx_err *err)
{
	/* the agent opens its own engine: this one must not hold the store */
	mx_agent *a = NULL;
	int rc = mx_agent_start(&a, cli->state_dir, &f->o, err);
	if (rc)
		return rc;
	if (f->ready_file) {
		/* tests and benches learn the stand-in's port here */
		for (int i = 0; i < 100; i++) {
			mx_agent_status_get(a, st);
			if (st->apns_port || f->o.apns_listen[0] == '\0')
				break;
			struct timespec ts = { 0, 20000000 };
			nanosleep(&ts, NULL);
		}
		FILE *rf = fopen(f->ready_file, "w");
		if (rf) {
			fprintf(rf, "{\"pid\": %ld, \"apns_port\": %d}\n", (long)getpid(), st->apns_port);
			fclose(rf);
		}
	}
	stop_asked = 0;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	struct fleet_progress p;
	fleet_progress_init(&p, cli->quiet ? NULL : stderr, "mdm");
	double t0 = fleet_now_s();
	int quiet_for = 0;
	for (;;) {
		struct timespec ts = { 0, 100000000 };
		nanosleep(&ts, NULL);
		mx_agent_status_get(a, st);
		if (p.tty && !cli->quiet) {
			char line[400];
			mx_agent_status_line(st, line, sizeof line);
			fprintf(stderr, "\r\033[K%s", line);
		}
		double t = fleet_now_s() - t0;
		if (stop_asked || (duration > 0 && t >= duration))
			break;
		bool loaded = st->uptime > 0.3;
		bool enrolled = loaded && st->enrolling == 0;
		bool idle = enrolled && st->pending == 0;
		quiet_for = (until == UNTIL_IDLE ? idle : enrolled) ? quiet_for + 1 : 0;
		/* the condition must hold for 0.3 s: a session may be about to start */
		if (until != UNTIL_FOREVER && quiet_for >= 3)
			break;
	}
	if (p.tty && !cli->quiet)
		fputc('\n', stderr);
	mx_agent_stop(a);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	return 0;
}

/* ---- enroll ---- */

struct enrol_req {
	mx_enroll_profile prof;
	char hash[65];
	uint8_t *bytes;
	size_t len;
	enum mx_enroll method;
	bool approved, insecure;
};

/* The enrolment record for the op's device (engine/mdm_enrol.c). */
static int
record(struct mx_cli *cli, mx_op *op, const struct enrol_req *r, mx_err *err)
{
	(void)cli;
	return mx_op_mdm_enrol_record(op, &r->prof, r->bytes, r->len, r->method, r->approved,
	    r->insecure, "mdm enroll --profile", err);
}

static int
read_profile(const char *path, struct enrol_req *r, mx_err *err)
{
	int rc = cli_read_file(path, MX_PROFILE_MAX_BYTES, &r->bytes, &r->len, err);
	if (rc)
		return rc;
	rc = mx_enroll_profile_read(&r->prof, r->bytes, r->len, path,
	    r->insecure ? MX_ENROLL_ALLOW_HTTP : 0, err);
	if (rc) {
		free(r->bytes);
		r->bytes = NULL;
	}
	return rc;
}

static int
enrol_flags(int *argc, char **argv, struct enrol_req *r, const char **profile, mx_err *err)
{
	memset(r, 0, sizeof *r);
	*profile = arg_value(argc, argv, "--profile");
	const char *method = arg_value(argc, argv, "--method");
	r->approved = arg_flag(argc, argv, "--user-approved");
	r->insecure = arg_flag(argc, argv, "--insecure");
	r->method = MX_ENROLL_DEVICE;
	if (*profile == NULL)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--profile ENROLL.mobileconfig is required");
	if (method && (mx_enroll_parse(&r->method, method, err) || r->method == MX_ENROLL_NONE))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--method takes device, automated or user");
	if (r->insecure)
		fprintf(stderr, "macext: WARNING: --insecure: the MDM server's TLS certificate will NOT be"
		    " verified and plain http is accepted; never use this outside a lab\n");
	return 0;
}

/* The outcome of the devices just asked to enrol, as a report. */
static int
report(struct mx_cli *cli, const mx_fleet_sel *sel, const mx_agent_status *st, mx_err *err)
{
	mx_store *s = mx_engine_store(cli->eng);
	json_t *arr = json_array();
	long ok = 0, bad = 0;
	mx_mdm_enrollment *e = mx_xmalloc(sizeof *e);
	for (long i = 0; i < sel->n; i++) {
		mx_err e2;
		if (mx_store_mdm_get(s, sel->id[i], e, &e2) != 0)
			continue;
		if (e->state == MX_MDM_ENROLLED)
			ok++;
		else
			bad++;
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "device", sel->name[i],
		    "state", mx_mdm_state_name(e->state), "last_error", e->last_error));
		if (!cli->json && e->state != MX_MDM_ENROLLED)
			cli_errf(cli, "macext: %s: %s: %s\n", sel->name[i], mx_mdm_state_name(e->state),
			    e->last_error[0] ? e->last_error : "not enrolled yet");
	}
	memset(e, 0, sizeof *e);
	free(e);
	if (cli->json) {
		json_t *j = json_pack("{s:o, s:I, s:I, s:o}", "devices", arr, "enrolled", (json_int_t)ok,
		    "not_enrolled", (json_int_t)bad, "agent", mx_agent_status_to_json(st));
		cli_json_print(cli, j);
	} else {
		json_decref(arr);
		if (sel->n == 1 && ok == 1)
			cli_out(cli, "%s enrolled\n", sel->name[0]);
		else
			cli_out(cli, "%ld of %ld enrolled\n", ok, sel->n);
	}
	if (bad)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%ld of %ld devices did not enrol", bad,
		    sel->n);
	return 0;
}

static int
enrol_devices(struct mx_cli *cli, int argc, char **argv, const char *filter, bool fleet,
    mx_err *err)
{
	struct enrol_req r;
	const char *path;
	struct agent_flags af;
	bool no_wait = arg_flag(&argc, argv, "--no-wait");
	const char *tmo = arg_value(&argc, argv, "--timeout");
	int rc;
	if ((rc = enrol_flags(&argc, argv, &r, &path, err)) || (rc = agent_flags(&argc, argv, &af, err)))
		return rc;
	double timeout = 0;
	if (tmo && (rc = num("--timeout", tmo, 0.1, 86400 * 7, &timeout, err)))
		return rc;
	if ((rc = arg_check(argc, argv, 0, 0, fleet ?
	    "macext fleet enroll --profile FILE [--devices FILTER] [--method M] [--user-approved]"
	    " [--insecure] [--no-wait]" :
	    "macext mdm enroll --profile FILE [--method device|automated|user] [--user-approved]"
	    " [--insecure] [--no-wait]", err)))
		return rc;
	if ((rc = read_profile(path, &r, err)))
		return rc;
	mx_fleet_sel sel = { 0 };
	if ((rc = cli_store(cli, err)) == 0) {
		if (fleet) {
			rc = fleet_select(cli, filter, &sel, err);
		} else {
			/* the device the invocation names (or the only one) */
			mx_device d;
			if ((rc = mx_engine_device_get(cli->eng, cli->device_name, &d, err)) == 0) {
				sel.id = mx_xmalloc(sizeof *sel.id);
				sel.name = mx_xmalloc(sizeof *sel.name);
				sel.id[0] = d.id;
				snprintf(sel.name[0], sizeof sel.name[0], "%s", d.name);
				sel.n = 1;
			}
		}
	}
	long skipped = 0;
	if (rc == 0 && (rc = mx_engine_batch_begin(cli->eng, err)) == 0) {
		for (long i = 0; rc == 0 && i < sel.n; i++) {
			mx_op *op;
			mx_err e2;
			if ((rc = mx_op_begin(&op, cli->eng, sel.name[i], MX_OP_WRITE, err)))
				break;
			int r2 = record(cli, op, &r, &e2);
			if (r2 && fleet && (r2 == MX_ESTATE || r2 == MX_EEXIST)) {
				/* a fleet skips the Macs that cannot enrol and says how many */
				mx_op_abort(op);
				sel.name[i][0] = '\0';
				skipped++;
				continue;
			}
			if (r2) {
				mx_op_abort(op);
				*err = e2;
				rc = r2;
				break;
			}
			rc = mx_op_commit(op, err);
		}
		if (rc == 0)
			rc = mx_engine_batch_commit(cli->eng, err);
		else
			mx_engine_batch_rollback(cli->eng);
	}
	/* keep only the devices recorded */
	long k = 0;
	for (long i = 0; i < sel.n; i++)
		if (sel.name[i][0]) {
			sel.id[k] = sel.id[i];
			memcpy(sel.name[k], sel.name[i], sizeof sel.name[0]);
			k++;
		}
	sel.n = k;
	if (skipped && !cli->quiet)
		cli_errf(cli, "macext: %ld devices skipped (not running macOS, or enrolled already)\n",
		    skipped);
	mx_enroll_profile_free(&r.prof);
	free(r.bytes);
	if (rc == 0 && sel.n == 0)
		rc = MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "no device to enrol");
	if (rc || no_wait) {
		if (rc == 0 && !cli->quiet)
			cli_out(cli, "%ld enrolment%s recorded; `macext mdm agent` or `macext serve` carries"
			    " them out\n", sel.n, sel.n == 1 ? "" : "s");
		mx_fleet_sel_free(&sel);
		return rc;
	}
	mx_agent_status st;
	if ((rc = run_agent(cli, &af, UNTIL_ENROLLED, timeout, &st, err)) == 0)
		rc = report(cli, &sel, &st, err);
	mx_fleet_sel_free(&sel);
	return rc;
}

int
cmd_mdm_enroll_profile(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return enrol_devices(cli, argc, argv, NULL, false, err);
}

int
cmd_fleet_enroll(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *filter = arg_value(&argc, argv, "--devices");
	return enrol_devices(cli, argc, argv, filter, true, err);
}

/* ---- mdm agent ---- */

int
cmd_mdm_agent(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	struct agent_flags af;
	const char *until_s = arg_value(&argc, argv, "--until");
	const char *dur_s = arg_value(&argc, argv, "--duration");
	int rc = agent_flags(&argc, argv, &af, err);
	if (rc || (rc = arg_check(argc, argv, 0, 0, "macext mdm agent [--until enrolled|idle|forever]"
	    " [--duration S] [agent flags] [--json]", err)))
		return rc;
	enum until until = UNTIL_FOREVER;
	if (until_s && strcmp(until_s, "enrolled") == 0)
		until = UNTIL_ENROLLED;
	else if (until_s && strcmp(until_s, "idle") == 0)
		until = UNTIL_IDLE;
	else if (until_s && strcmp(until_s, "forever") != 0)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--until takes enrolled, idle or forever");
	double duration = 0;
	if (dur_s && (rc = num("--duration", dur_s, 0.1, 86400 * 365, &duration, err)))
		return rc;
	mx_agent_status st;
	if ((rc = run_agent(cli, &af, until, duration, &st, err)))
		return rc;
	if (cli->json) {
		cli_json_print(cli, mx_agent_status_to_json(&st));
	} else {
		char line[400];
		mx_agent_status_line(&st, line, sizeof line);
		cli_out(cli, "%s\n", line);
		if (st.last_error[0])
			cli_out(cli, "last error: %s\n", st.last_error);
	}
	return 0;
}

/* ---- keys ---- */

struct keyprog { struct fleet_progress p; long total; };

static void
key_progress(void *arg, int done)
{
	struct keyprog *k = arg;
	fleet_progress_show(&k->p, done, k->total, false);
}

int
cmd_mdm_keys(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *count = arg_value(&argc, argv, "--count");
	const char *bits_s = arg_value(&argc, argv, "--bits");
	const char *workers_s = arg_value(&argc, argv, "--workers");
	int rc = arg_check(argc, argv, 1, 1, "macext mdm keys generate --count N [--bits 2048]"
	    " [--workers N] | count [--bits 2048]", err);
	if (rc)
		return rc;
	double bits = 2048, n = 0, workers = 0;
	if ((bits_s && (rc = num("--bits", bits_s, 1024, 4096, &bits, err))) ||
	    (workers_s && (rc = num("--workers", workers_s, 1, 256, &workers, err))))
		return rc;
	if (strcmp(argv[1], "count") == 0) {
		int64_t left = 0;
		if ((rc = mx_agent_keys_count(cli->state_dir, (int)bits, NULL, &left, err)))
			return rc;
		if (cli->json)
			cli_json_print(cli, json_pack("{s:i, s:I}", "bits", (int)bits, "keys",
			    (json_int_t)left));
		else
			cli_out(cli, "%lld RSA-%d keys in the pool\n", (long long)left, (int)bits);
		return 0;
	}
	if (strcmp(argv[1], "generate") != 0)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "mdm keys: generate or count");
	if (count == NULL || (rc = num("--count", count, 1, 10000000, &n, err)))
		return rc ? rc : MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--count N is required");
	struct keyprog kp = { .total = (long)n };
	fleet_progress_init(&kp.p, cli->quiet ? NULL : stderr, "keys");
	int made = 0;
	double t0 = fleet_now_s();
	rc = mx_agent_keys_generate(cli->state_dir, (int)n, (int)bits, (int)workers, NULL,
	    key_progress, &kp, &made, err);
	fleet_progress_show(&kp.p, made, kp.total, true);
	if (rc)
		return rc;
	double t = fleet_now_s() - t0;
	if (cli->json)
		cli_json_print(cli, json_pack("{s:i, s:i, s:f, s:f}", "generated", made, "bits", (int)bits,
		    "seconds", t, "per_second", t > 0 ? made / t : 0));
	else
		cli_out(cli, "%d RSA-%d keys generated in %.2f s (%.1f/s)\n", made, (int)bits, t,
		    t > 0 ? made / t : 0);
	return 0;
}

/* ---- status ---- */

struct status_ctx { struct mx_cli *cli; json_t *arr; };

static int
status_one(const mx_mdm_enrollment *e, const char *name, void *arg)
{
	struct status_ctx *c = arg;
	if (c->cli->json) {
		json_array_append_new(c->arr, json_pack("{s:s, s:s, s:s, s:b, s:b, s:I, s:s}", "device",
		    name, "state", mx_mdm_state_name(e->state), "method", mx_enroll_name(e->method),
		    "user_channel", e->user_enrolled, "bootstrap_token_sent", e->bootstrap_sent,
		    "failures", (json_int_t)e->failures, "last_error", e->last_error));
	} else {
		cli_out(c->cli, "%-20s %-12s %-10s%s%s\n", name, mx_mdm_state_name(e->state),
		    mx_enroll_name(e->method), e->last_error[0] ? "  " : "", e->last_error);
	}
	return 0;
}

int
cmd_mdm_status(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext mdm status [--json]", err);
	if (rc || (rc = cli_store(cli, err)))
		return rc;
	struct status_ctx c = { cli, json_array() };
	rc = mx_store_mdm_each(mx_engine_store(cli->eng), status_one, &c, err);
	if (rc == 0 && cli->json)
		cli_json_print(cli, c.arr);
	else
		json_decref(c.arr);
	return rc;
}
