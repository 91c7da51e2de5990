/*
 * main.c — the multi-call binary.  As `macext` it dispatches on its first
 * word (the command table below); under an Apple tool's name (a link named
 * kmutil, csrutil, ...) it behaves as that tool.  Global options --state,
 * --device, --json, --debug may appear anywhere.  Errors print as one line,
 * "PROG: WHERE: MESSAGE", and exit with the code of err.c's table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "macext/text.h"
#include "tools.h"

/* Each command and Apple tool: its verb table (in its command file), or,
 * without verbs, what its --json prints (tools.h, cli_shape). */
struct command {
	const char *name;
	mx_cmd_fn fn;
	const cli_verbs *verbs;
	enum cli_shape shape;
	const char *help;
};

static int cmd_help(struct mx_cli *, int, char **, mx_err *);
static const cli_verbs help_verbs_table;

static const struct command commands[] = {
	{ "device",   cmd_device,   &device_verbs,   0, "create|list|show|delete|export|import  simulated Macs" },
	{ "restart",  cmd_restart,  NULL, CLI_ACT,  "restart the Mac (AuxKC rebuild, uninstall on reboot)" },
	{ "shutdown", cmd_shutdown, NULL, CLI_ACT,  "turn the Mac off" },
	{ "recovery", cmd_recovery, NULL, CLI_ACT,  "--via power-button|software  start recoveryOS" },
	{ "security", cmd_security, &security_verbs, 0, "set full|reduced|permissive|show  Startup Security Utility" },
	{ "mdm",      cmd_mdm,      &mdm_verbs,      0, "enroll|unenroll|install-profile|remove-profile|restart|command|agent|status" },
	{ "profiles", cmd_profiles, &profiles_verbs, 0, "list|show|policy|validate  configuration profiles" },
	{ "app",      cmd_app,      &app_verbs,      0, "install|delete  apps in /Applications" },
	{ "sysext",   cmd_sysext,   &sysext_verbs,   0, "activate|deactivate|list|disable|enable  system extensions" },
	{ "kext",     cmd_kext,     &kext_verbs,     0, "install|list  kernel extensions" },
	{ "pkg",      cmd_pkg,      &pkg_verbs,      0, "expand|install  flat installer packages (.pkg)" },
	{ "alerts",   cmd_alerts,   &alerts_verbs, CLI_LIST, "[dismiss ID]  dialogs and notices the user sees now" },
	{ "approve",  cmd_approve,  &approve_verbs,  0, "sysext|kext ID --as USER:PASSWORD  System Settings Allow" },
	{ "codesign", cmd_codesign, &codesign_verbs, 0, "verify PATH  code signatures" },
	{ "forge",    cmd_forge,    &forge_verbs,    0, "ca|kext|sysext|dext|app|pkg  signed test material" },
	{ "log",      cmd_log,      NULL, CLI_LIST, "the device's event log" },
	{ "fleet",    cmd_fleet,    &fleet_verbs,    0, "create|apply|summary|enroll  many devices at once" },
	{ "preflight", cmd_preflight, NULL, CLI_SHOW, "PLAN.yaml [--fleet MIX|--state DIR|--from-export DIR...]  what a rollout will do" },
	{ "store",    cmd_store,    &store_verbs,    0, "check|digest  integrity and invariants of the state" },
	{ "serve",    cmd_serve,    NULL, CLI_ACT,  "[--listen HOST:PORT] [--mdm]  the fleet as a daemon: JSON API, page, SSE" },
	{ "help",     cmd_help,     &help_verbs_table, 0, "[verbs]  this text, or every verb and its JSON shape" },
};

/* The Apple tools print Apple's text; bputil -j and kmutil inspect --json
 * are their JSON forms. */
static const struct command apple_tools[] = {
	{ "systemextensionsctl", apple_systemextensionsctl, NULL, CLI_TEXT, NULL },
	{ "kmutil",     apple_kmutil,     &kmutil_verbs, 0, NULL },
	{ "spctl",      apple_spctl,      NULL, CLI_TEXT, NULL },
	{ "csrutil",    apple_csrutil,    NULL, CLI_TEXT, NULL },
	{ "bputil",     apple_bputil,     NULL, CLI_SHOW, NULL },
	{ "profiles",   apple_profiles,   NULL, CLI_TEXT, NULL },
	{ "kextstat",   apple_kextstat,   NULL, CLI_TEXT, NULL },
	{ "kextload",   apple_kextload,   NULL, CLI_TEXT, NULL },
	{ "kextunload", apple_kextunload, NULL, CLI_TEXT, NULL },
};

/* The verbs that only read the state (issue 14 §12): their store is opened
 * read-only, so they work on a read-only or full state directory.  argv is
 * what the command function gets (argv[0] the command or tool name). */
static bool
read_only_verb(const char *cmd, int argc, char **argv)
{
	static const struct { const char *cmd, *sub; } verbs[] = {
		{ "device", "list" }, { "device", "show" }, { "profiles", "list" },
		{ "profiles", "show" }, { "profiles", "policy" }, { "kext", "list" }, { "sysext", "list" },
		{ "store", "check" }, { "store", "digest" },
		{ "fleet", "summary" }, { "systemextensionsctl", "list" }, { "kextstat", NULL },
		{ "alerts", NULL }, { "log", NULL },
	};
	const char *sub = argc > 1 ? argv[1] : NULL;
	if (strcmp(cmd, "alerts") == 0 && sub && strcmp(sub, "dismiss") == 0)
		return false;
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
		if (strcmp(cmd, verbs[i].cmd) != 0)
			continue;
		if (verbs[i].sub == NULL || (sub != NULL && strcmp(sub, verbs[i].sub) == 0))
			return true;
	}
	return false;
}

static void usage(FILE *f);

/* One row per verb (or per command without verbs), from the tables above:
 * what `macext help verbs` prints and tests/cli/json_shapes.sh runs. */
static void
verb_row(struct mx_cli *cli, json_t *arr, const char *prog, const char *verb,
    enum cli_shape shape)
{
	if (arr)
		json_array_append_new(arr, json_pack("{s:s, s:s?, s:s}", "program", prog, "verb", verb,
		    "json", cli_shape_name(shape)));
	else
		cli_out(cli, "%-28s %-24s %s\n", prog, verb ? verb : "-", cli_shape_name(shape));
}

static void
verb_rows(struct mx_cli *cli, json_t *arr, const struct command *c, size_t n, bool apple)
{
	for (size_t i = 0; i < n; i++) {
		char prog[64];
		snprintf(prog, sizeof prog, "%s%s", apple ? "" : "macext ", c[i].name);
		/* a command with verbs that also runs without one (alerts) has a
		 * shape of its own other than CLI_ACT, the table's zero */
		if (c[i].verbs == NULL || c[i].shape != CLI_ACT)
			verb_row(cli, arr, prog, NULL, c[i].shape);
		for (size_t k = 0; c[i].verbs && k < c[i].verbs->n; k++)
			verb_row(cli, arr, prog, c[i].verbs->v[k].name, c[i].verbs->v[k].shape);
	}
}

static int
help_verbs(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext help verbs [--json]", err);
	if (rc)
		return rc;
	json_t *arr = cli->json ? json_array() : NULL;
	if (!arr)
		cli_out(cli, "%-28s %-24s %s\n", "PROGRAM", "VERB", "JSON");
	verb_rows(cli, arr, commands, sizeof commands / sizeof commands[0], false);
	verb_rows(cli, arr, apple_tools, sizeof apple_tools / sizeof apple_tools[0], true);
	if (arr)
		cli_json_print(cli, arr);
	return 0;
}

static const cli_verb help_v[] = { { "verbs", help_verbs, CLI_LIST } };
static const cli_verbs help_verbs_table = CLI_VERBS("help", help_v, "macext help [verbs [--json]]");

static int
cmd_help(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	return cli_dispatch(cli, &help_verbs_table, argc, argv, err);
}

static void
usage(FILE *f)
{
	mx_text_fprintf(f, "usage: macext [--state DIR] [--device NAME] [--json] COMMAND ...\n\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		mx_text_fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
	mx_text_fprintf(f, "\nAs systemextensionsctl, kmutil, spctl, csrutil, bputil, profiles, kextstat,\n"
	    "kextload or kextunload (a link of that name) it behaves as that macOS tool.\n");
}

static void
print_err(const struct mx_cli *cli, const mx_err *err)
{
	mx_text_fprintf(stderr, "%s: %s%s%s", cli->prog, err->where, err->where[0] ? ": " : "", err->msg);
	if (err->offset != MX_NO_OFFSET && strstr(err->msg, "offset") == NULL)
		mx_text_fprintf(stderr, " (at offset %llu)", (unsigned long long)err->offset);
	fputc('\n', stderr);
	if (cli->debug && err->src_file)
		mx_text_fprintf(stderr, "%s: [%s] raised at %s:%d\n", cli->prog, mx_code_name(err->code),
		    err->src_file, err->src_line);
}

/* A bad MACEXT_* knob, refused like a bad option (issue 14 §13). */
static int
bad_env(mx_err *err, const char *name, const char *want, const char *got)
{
	MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "expected %s, got '%.200s'", want, got);
	snprintf(err->where, sizeof err->where, "%s", name);
	return MX_EUSAGE;
}

/* The global options and environment every command shares: --state (a
 * bare or empty one is an error, not the default), the clock and the
 * random stream. */
static int
global_setup(struct mx_cli *cli, int *argc, char **argv, mx_err *err)
{
	const char *st = arg_value(argc, argv, "--state");
	for (int i = 1; st == NULL && i < *argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--state") == 0)
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
			    "--state needs a directory (usage: --state DIR)");
	if (st != NULL && *st == '\0')
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "--state: expected a directory, got an empty string");
	const char *env = getenv("MACEXT_STATE");
	if (st == NULL && env != NULL && *env == '\0')
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "MACEXT_STATE: expected a directory, got an empty string");
	cli->state_dir = st ? st : env ? env : "./macext-state";
	cli->state_given = st != NULL;
	const char *dev = arg_value(argc, argv, "--device");
	cli->device_name = dev ? dev : getenv("MACEXT_DEVICE");
	if (cli->device_name && *cli->device_name == '\0')
		cli->device_name = NULL;
	cli->json = arg_flag(argc, argv, "--json");
	cli->debug = arg_flag(argc, argv, "--debug");
	/* year 0 of Unix time to the last second of 9999: what gmtime and the
	 * logs' dates can print */
	const char *ft = getenv("MACEXT_FAKE_TIME");
	int64_t now = (int64_t)time(NULL);
	if (ft != NULL && !mx_parse_i64(ft, 0, 253402300799, &now))
		return bad_env(err, "MACEXT_FAKE_TIME",
		    "whole seconds since 1970 (0 to 253402300799)", ft);
	/* a fixed clock for reproducible outputs; otherwise each operation reads
	 * the real one (the engine's env, cli.c) */
	cli->in.now = ft != NULL ? now : 0;
	const char *seed = getenv("MACEXT_SEED");
	uint64_t sv = 0;
	if (seed != NULL && !mx_parse_u64(seed, UINT64_MAX, &sv))
		return bad_env(err, "MACEXT_SEED", "a whole number from 0 to 18446744073709551615",
		    seed);
	cli->seed_state = sv;
	return mx_store_env_check(err);
}

int
main(int argc, char **argv)
{
	struct mx_cli cli = { 0 };
	mx_err err;
	mx_err_clear(&err);
	/* OpenSSL would read the system openssl.cnf at its first use (~0.5 ms);
	 * macext needs nothing from it (docs/performance.md).  OPENSSL_CONF
	 * set explicitly is still honoured. */
	if (getenv("OPENSSL_CONF") == NULL)
		OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
	const char *base = strrchr(argv[0], '/');
	cli.prog = base ? base + 1 : argv[0];

	if (global_setup(&cli, &argc, argv, &err) != 0) {
		print_err(&cli, &err);
		return mx_exit_code(err.code);
	}
	cli_random(&cli);

	mx_cmd_fn fn = NULL;
	int rc;
	for (size_t i = 0; i < sizeof apple_tools / sizeof apple_tools[0]; i++)
		if (strcmp(cli.prog, apple_tools[i].name) == 0)
			fn = apple_tools[i].fn;
	if (fn) {
		cli.read_only = read_only_verb(cli.prog, argc, argv);
		rc = fn(&cli, argc, argv, &err);
	} else {
		cli.prog = "macext";
		if (argc < 2 || (strcmp(argv[1], "help") == 0 && argc == 2) ||
		    strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
			usage(argc < 2 ? stderr : stdout);
			return argc < 2 ? mx_exit_code(MX_EUSAGE) : 0;
		}
		for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
			if (strcmp(argv[1], commands[i].name) == 0)
				fn = commands[i].fn;
		/* `macext kmutil ...` and friends reach the Apple tools too */
		for (size_t i = 0; fn == NULL && i < sizeof apple_tools / sizeof apple_tools[0]; i++)
			if (strcmp(argv[1], apple_tools[i].name) == 0 && strcmp(argv[1], "profiles")) {
				fn = apple_tools[i].fn;
				cli.prog = apple_tools[i].name;
			}
		if (fn == NULL) {
			mx_text_fprintf(stderr, "macext: unknown command '%s'\n", argv[1]);
			usage(stderr);
			return mx_exit_code(MX_EUSAGE);
		}
		cli.read_only = read_only_verb(argv[1], argc - 1, argv + 1);
		rc = fn(&cli, argc - 1, argv + 1, &err);
	}
	/* an Apple tool's own exit status travels as the error's MX_DOM_TOOL or
	 * KMErrorDomain sub-code (cli_status); a tool that printed its own
	 * message (kmutil's "Error Domain=...", csrutil's refusal) says so */
	rc = cli_finish(&cli, rc, &err);
	int status = cli_status(rc, &err);
	if (rc != 0 && !cli.printed && (err.msg[0] || err.domain == MX_DOM_NONE))
		print_err(&cli, &err);
	cli_close(&cli);
	fflush(stdout);
	return status;
}
