/*
 * test_fleet_steps.c — `fleet apply`'s typed steps (src/tools/fleet_step.c,
 * fleet_exec.c) held against the CLI verbs themselves: two copies of one
 * mixed fleet (Apple silicon and Intel, macOS 10.14 to 15, enrolled or
 * not, SIP on and off) go through the same sequence of step lines — one
 * copy through the verb each line names (fleet_run, as a CLI process would
 * run it), the other through the typed step parsed once — with the same
 * clock and random stream.  After every line each device must have ended
 * with the same exit code and the same message, and the two states must
 * have the same digest.  The lines cover every kind of the table, their
 * refusals and failures.  Also: the lines the table refuses at load.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "tools/fleet.h"
#include "tools/fleet_step.h"

#define T0 1800000000

static int
run_cli(struct mx_cli *cli, const char *const *args, int n)
{
	char *argv[24];
	for (int i = 0; i < n; i++)
		argv[i] = (char *)args[i];
	argv[n] = NULL;
	mx_err err;
	mx_err_clear(&err);
	int rc = args[0][0] == 'f' && args[0][1] == 'o' ? cmd_forge(cli, n, argv, &err) :
	    cmd_fleet(cli, n, argv, &err);
	if (rc)
		mx_test_fail_at(__FILE__, __LINE__, "%s %s: %s%s%s", args[0], args[1], err.where,
		    err.where[0] ? ": " : "", err.msg);
	return rc;
}

/* How fleet apply words a failure: the error, or an Apple tool's line. */
static void
message(char *out, size_t len, int code, const mx_err *e, bool printed, const char *said)
{
	if (code == 0)
		snprintf(out, len, "ok");
	else if (e->msg[0] && !(printed && said[0]))
		snprintf(out, len, "exit %d: %s%s%s", code, e->where, e->where[0] ? ": " : "", e->msg);
	else
		snprintf(out, len, "exit %d: %s", code, said);
}

static int
split(char *line, char **w, int max)
{
	int n = 0;
	for (char *s = NULL, *t = strtok_r(line, " ", &s); t && n < max; t = strtok_r(NULL, " ", &s))
		w[n++] = t;
	return n;
}

struct names { char n[16][64]; int count; };

static int
name_one(const mx_device *d, void *arg)
{
	struct names *nm = arg;
	if (nm->count < 16)
		snprintf(nm->n[nm->count++], 64, "%s", d->name);
	return 0;
}

static void
digest(struct mx_cli *cli, char out[65])
{
	mx_err err;
	if (mx_store_digest(cli->st, out, &err) != 0)
		mx_test_fail_at(__FILE__, __LINE__, "digest: %s", err.msg);
}

MX_TEST(fleet_steps_match_the_verbs)
{
	const char *t = mx_test_tmpdir();
	char ca[600], kext[600], ext[600], app[600], a[600], b[600], cmd[2000], rs[600], sec[600];
	snprintf(ca, sizeof ca, "%s/ca", t);
	snprintf(kext, sizeof kext, "%s/Fleet.kext", t);
	snprintf(ext, sizeof ext, "%s/com.example.fleet.ext.systemextension", t);
	snprintf(app, sizeof app, "%s/FleetApp.app", t);
	snprintf(a, sizeof a, "%s/a", t);
	snprintf(b, sizeof b, "%s/b", t);
	snprintf(rs, sizeof rs, "%s/restart.plist", t);
	snprintf(sec, sizeof sec, "%s/security.plist", t);
	struct mx_cli m = { .prog = "macext", .state_dir = a, .quiet = true };
	m.in.now = T0;
	const char *f1[] = { "forge", "ca", ca };
	const char *f2[] = { "forge", "kext", kext, "--bundle-id", "com.example.fleet.kext", "--team",
		"FLEETTEAM1", "--ca", ca, "--arch", "fat" };
	const char *f3[] = { "forge", "sysext", ext, "--bundle-id", "com.example.fleet.ext", "--team",
		"FLEETTEAM1", "--category", "endpoint-security", "--ca", ca };
	const char *f4[] = { "forge", "app", app, "--bundle-id", "com.example.fleet.app", "--team",
		"FLEETTEAM1", "--ca", ca, "--embed", ext };
	char anchor[700];
	snprintf(anchor, sizeof anchor, "%s/root.pem", ca);
	const char *c1[] = { "fleet", "create", "--count", "10", "--prefix", "f", "--trust-anchor",
		anchor, "--user", "std:std", "--admin", "admin:admin", "--mix",
		"arm64:15.1:automated=20%,arm64:14.5:device=20%,x86_64:12.7:none=20%,"
		"x86_64:10.14.6:none=10%,x86_64:10.15.7:user=10%,arm64:13.0:none:sip-off=20%" };
	char *seed = getenv("MACEXT_SEED") ? strdup(getenv("MACEXT_SEED")) : NULL;
	setenv("MACEXT_SEED", "7", 1);
#define N(x) ((int)(sizeof x / sizeof x[0]))
	if (run_cli(&m, f1, N(f1)) || run_cli(&m, f2, N(f2)) || run_cli(&m, f3, N(f3)) ||
	    run_cli(&m, f4, N(f4)) || run_cli(&m, c1, N(c1)))
		goto out;
	cli_close(&m);
	static const char restart_xml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version="
	    "\"1.0\"><dict><key>CommandUUID</key><string>0001-R</string><key>Command</key><dict>"
	    "<key>RequestType</key><string>RestartDevice</string><key>RebuildKernelCache</key>"
	    "<true/></dict></dict></plist>\n";
	static const char sec_xml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version="
	    "\"1.0\"><dict><key>CommandUUID</key><string>0002-S</string><key>Command</key><dict>"
	    "<key>RequestType</key><string>SecurityInfo</string></dict></dict></plist>\n";
	FILE *fp = fopen(rs, "w");
	if (fp) {
		fputs(restart_xml, fp);
		fclose(fp);
	}
	if ((fp = fopen(sec, "w")) != NULL) {
		fputs(sec_xml, fp);
		fclose(fp);
	}
	snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", a, b);
	CHECK_EQ_INT(system(cmd), 0);

	/* {K} kext, {A} app, {P} kext profile, {S} sysext profile, {R}/{C} commands */
	static const char *const lines[] = {
		"device show", "alerts", "log", "profiles list", "kext list", "sysext list",
		"security show", "csrutil status", "csrutil authenticated-root status",
		"spctl kext-consent status", "systemextensionsctl list", "kmutil showloaded", "kextstat",
		"kmutil log show", "csrutil", "bputil -h", "bputil -d",
		"mdm escrow-bootstrap-token", "mdm install-profile {P}", "mdm install-profile {S}",
		"mdm install-profile /nonexistent/x.mobileconfig",
		"profiles show com.example.fleet.kext-policy", "profiles show com.example.none",
		"profiles install {P} --as admin:wrong", "profiles install {P} --as std:std",
		"profiles install {P} --as admin:admin",
		"kext install {K}", "kext install /nonexistent/X.kext",
		"kmutil load -b com.example.fleet.kext", "kextload -b com.example.fleet.kext",
		"kmutil load -b com.example.none",
		"approve kext com.example.fleet.kext --as nobody:x",
		"approve kext com.example.fleet.kext --as std:std",
		"approve kext com.example.fleet.kext --as admin:admin",
		"kmutil rebuild", "kmutil rebuild --as admin:admin",
		"restart --as std:std", "kmutil load -b com.example.fleet.kext",
		"kmutil unload -b com.example.fleet.kext", "kextunload -b com.example.fleet.kext",
		"kmutil unload -b com.example.none", "kextunload -b com.example.none",
		"app install {A}", "app install /nonexistent/Y.app",
		"sysext activate com.example.fleet.app com.example.fleet.ext",
		"sysext activate {A} com.example.fleet.ext --on-replace cancel",
		"sysext activate com.example.none com.example.fleet.ext",
		"approve sysext com.example.fleet.ext --as std:std",
		"approve sysext com.example.fleet.ext --as admin:admin",
		"sysext disable com.example.fleet.ext --as std:std",
		"sysext disable com.example.fleet.ext --as admin:admin",
		"sysext enable com.example.fleet.ext --as admin:admin",
		"sysext deactivate com.example.fleet.app com.example.fleet.ext",
		"sysext deactivate com.example.fleet.app com.example.fleet.ext --as admin:admin",
		"systemextensionsctl developer on", "systemextensionsctl developer",
		"systemextensionsctl gc", "mdm restart --rebuild-kernel-cache",
		"mdm restart --notify-user", "mdm command {R}", "mdm command {C}",
		"mdm command /nonexistent/c.plist",
		"kmutil trigger-panic-medic", "spctl kext-consent add FLEETTEAM1",
		"csrutil disable", "recovery --via power-button", "kmutil trigger-panic-medic",
		"security set reduced --kext-user-management --as admin:wrong",
		"security set reduced --kext-user-management --as admin:admin",
		"csrutil enable --without kext", "csrutil clear --as admin:admin",
		"csrutil disable --as admin:admin", "csrutil authenticated-root disable",
		"csrutil authenticated-root disable --as admin:admin",
		"spctl kext-consent add FLEETTEAM1", "spctl kext-consent add bad!team",
		"spctl kext-consent list", "spctl kext-consent disable",
		"bputil -g -k -u admin -p admin", "bputil -k -m -u admin -p wrong", "bputil -f",
		"restart", "systemextensionsctl reset",
		"systemextensionsctl uninstall FLEETTEAM1 com.example.fleet.ext",
		"recovery --via software", "shutdown", "restart",
		"kext install {K}", "kmutil load -b com.example.fleet.kext -b com.example.none",
		"app delete com.example.fleet.app", "app delete com.example.fleet.app --as admin:admin",
		"kext remove com.example.fleet.kext", "kext remove com.example.none",
		"mdm remove-profile com.example.fleet.kext-policy",
		"profiles remove com.example.fleet.kext-policy --as admin:admin",
		"profiles remove com.example.fleet.sysext-policy --as std:std",
		"mdm unenroll", "mdm enroll --method device --user-approved", "mdm enroll --method user",
		"device show f-000001", "alerts", "log",
	};
	struct mx_cli ca_ = { .prog = "macext", .state_dir = a, .quiet = true, .seed_state = 99 };
	struct mx_cli cb = { .prog = "macext", .state_dir = b, .quiet = true, .seed_state = 99 };
	mx_err err;
	struct names nm = { .count = 0 };
	if (cli_store(&ca_, &err) || cli_store(&cb, &err) ||
	    mx_engine_device_each(ca_.eng, name_one, &nm, &err)) {
		mx_test_fail_at(__FILE__, __LINE__, "open: %s", err.msg);
		goto close;
	}
	CHECK_EQ_INT(nm.count, 10);
	/* csrutil's prompts (Apple silicon, no --as) read nothing, as in a fleet run */
	int in = dup(0), nul = open("/dev/null", O_RDONLY);
	dup2(nul, 0);
	close(nul);
	int mismatches = 0;
	long outcomes[2] = { 0, 0 };
	bool seen[FS_NKINDS] = { false };
	for (size_t l = 0; l < sizeof lines / sizeof lines[0] && mismatches < 5; l++) {
		char text[1024] = "";
		for (const char *p = lines[l]; *p; p++) {
			const char *sub = NULL;
			if (p[0] == '{' && p[1] && p[2] == '}') {
				sub = p[1] == 'K' ? kext : p[1] == 'A' ? app : p[1] == 'R' ? rs :
				    p[1] == 'C' ? sec : p[1] == 'P' ? "tests/data/fleet/kext-allow.mobileconfig" :
				    "tests/data/fleet/sysext-allow.mobileconfig";
				p += 2;
			}
			size_t k = strlen(text);
			if (sub)
				snprintf(text + k, sizeof text - k, "%s", sub);
			else if (k + 1 < sizeof text)
				text[k] = *p, text[k + 1] = '\0';
		}
		char typed[1024], *tw[32];
		snprintf(typed, sizeof typed, "%s", text);
		int tn = split(typed, tw, 32);
		struct fleet_step_op op;
		mx_err_clear(&err);
		if (fleet_step_parse(&op, tn, tw, &err) != 0) {
			mx_test_fail_at(__FILE__, __LINE__, "%s: does not parse: %s", text, err.msg);
			mismatches++;
			continue;
		}
		seen[op.kind] = true;
		ca_.in.now = cb.in.now = T0 + 100 + (int64_t)l;
		if (mx_engine_batch_begin(ca_.eng, &err) || mx_engine_batch_begin(cb.eng, &err)) {
			mx_test_fail_at(__FILE__, __LINE__, "batch: %s", err.msg);
			break;
		}
		for (int d = 0; d < nm.count; d++) {
			char words[1024], *w[32], ma[1200], mb[1200];
			snprintf(words, sizeof words, "%s", text);
			int n = split(words, w, 32);
			ca_.device_name = nm.n[d];
			cli_random(&ca_);
			mx_err e;
			int code = fleet_run(&ca_, n, w, &e);
			message(ma, sizeof ma, code, &e, ca_.printed, ca_.said);
			struct fleet_outcome o;
			cli_random(&cb);
			fleet_step_run(cb.eng, &op, nm.n[d], &o);
			message(mb, sizeof mb, o.code, &o.err, o.printed, o.said);
			outcomes[o.code == 0]++;
			if (strcmp(ma, mb) != 0) {
				mx_test_fail_at(__FILE__, __LINE__, "%s on %s: the verb: %s; the step: %s",
				    text, nm.n[d], ma, mb);
				mismatches++;
			}
		}
		fleet_step_free(&op);
		if (mx_engine_batch_commit(ca_.eng, &err) || mx_engine_batch_commit(cb.eng, &err)) {
			mx_test_fail_at(__FILE__, __LINE__, "commit: %s", err.msg);
			break;
		}
		char da[65], db[65];
		digest(&ca_, da);
		digest(&cb, db);
		if (strcmp(da, db) != 0) {
			mx_test_fail_at(__FILE__, __LINE__, "%s: the states differ after it", text);
			mismatches++;
		}
	}
	dup2(in, 0);
	close(in);
	clearerr(stdin);
	/* the table was run through: every kind, failures and successes */
	for (int k = 0; k < FS_NKINDS; k++)
		if (!seen[k])
			mx_test_fail_at(__FILE__, __LINE__, "step kind %d not exercised", k);
	CHECK(outcomes[0] > 200);
	CHECK(outcomes[1] > 200);
close:
	cli_close(&ca_);
	cli_close(&cb);
out:
	cli_close(&m);
	if (seed) {
		setenv("MACEXT_SEED", seed, 1);
		free(seed);
	} else {
		unsetenv("MACEXT_SEED");
	}
}

/* What the table refuses when the plan is loaded, with the verb's words. */
MX_TEST(fleet_steps_refused_at_load)
{
	static const struct { const char *line, *msg; } bad[] = {
		{ "fleet create --count 3", "not a device operation" },
		{ "store check", "not a device operation" },
		{ "codesign verify x", "not a device operation" },
		{ "device create x --arch arm64 --os 15.1", "not a device operation" },
		{ "device delete f-000001", "not a device operation" },
		{ "kext auxkc --out x", "not a device operation" },
		{ "kmutil create -n aux", "not a device operation" },
		{ "profiles validate x", "not a device operation" },
		{ "teleport now", "unknown command 'teleport'" },
		{ "mdm explode", "unknown mdm command 'explode'" },
		{ "restart --now", "unknown or incomplete option '--now'" },
		{ "recovery --via window", "--via takes power-button" },
		{ "security set lax --as a:b", "lax" },
		{ "security set full --kext-user-management --as a:b", "not Full" },
		{ "approve kext com.x", "needs --as" },
		{ "kmutil load", "usage: kmutil load" },
		{ "kmutil load -x y", "unexpected argument '-x'" },
		{ "kmutil showloaded --show some", "--show takes" },
		{ "kextload -q", "unsupported option '-q'" },
		{ "sysext activate a b --on-replace maybe", "--on-replace takes" },
		{ "mdm enroll --method none", "--method takes" },
		{ "systemextensionsctl developer maybe", "usage" },
		{ "systemextensionsctl uninstall T", "usage" },
		{ "spctl kext-consent add", "usage" },
		{ "csrutil enable --without magic", "unknown option for --without: magic" },
		{ "csrutil status now", "usage" },
		{ "bputil -f -g", "cannot be combined" },
		{ "bputil -g -n", "mutually exclusive" },
		{ "bputil", "no option" },
		{ "kext install", "usage: macext kext install" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char buf[256], *w[16];
		snprintf(buf, sizeof buf, "%s", bad[i].line);
		int n = split(buf, w, 16);
		struct fleet_step_op op;
		mx_err err;
		mx_err_clear(&err);
		int rc = fleet_step_parse(&op, n, w, &err);
		if (rc != MX_EUSAGE || strstr(err.msg, bad[i].msg) == NULL)
			mx_test_fail_at(__FILE__, __LINE__, "'%s': rc %d, '%s' (expected usage: '%s')",
			    bad[i].line, rc, err.msg, bad[i].msg);
		fleet_step_free(&op);
	}
}
