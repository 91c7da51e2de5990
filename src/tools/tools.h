/*
 * tools.h — what the CLI's command files share: the invocation context
 * (the engine it opened, the device it names, --json), argument helpers,
 * and output.  Commands are argv parsing and printing over the engine
 * (include/macext/engine.h): parse, import host files, begin an op, call
 * the operation, commit, print its result.  Output goes through cli_out
 * and cli_errf, which a fleet run silences (cli->quiet) without touching
 * file descriptors; an Apple tool's own error line is kept in cli->said.
 */
#ifndef MACEXT_TOOLS_H
#define MACEXT_TOOLS_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "macext/core.h"
#include "macext/engine.h"
#include "macext/store.h"

struct mx_cli {
	const char *prog;           /* "macext" or the Apple tool name it runs as */
	const char *state_dir;      /* --state, $MACEXT_STATE, ./macext-state */
	bool state_given;           /* --state was on the command line (preflight: the fleet) */
	const char *device_name;    /* --device, $MACEXT_DEVICE, NULL = the only one */
	bool json, debug;
	mx_engine *eng;             /* opened by cli_store() */
	mx_store *st;               /* the engine's store (whole-state commands) */
	/* in.now: a fixed clock (MACEXT_FAKE_TIME, the crash driver), 0 = time(2);
	 * in.random: the first random block, drawn at start (device create uses it) */
	mx_env_in in;
	uint64_t seed_state;        /* for MACEXT_SEED */
	bool quiet;                 /* fleet runs: nothing on stdout or stderr */
	bool printed;               /* the command printed its own error (Apple tools) */
	char said[512];             /* quiet: the last line an Apple tool wrote to stderr */
	bool json_failed;           /* cli_json_print was handed no document */
	bool read_only;             /* the verb only reads: the engine opens MX_STORE_READONLY */
};

typedef int (*mx_cmd_fn)(struct mx_cli *cli, int argc, char **argv, mx_err *err);

/* ---- verbs: what each command accepts and what its --json prints ----
 * DESIGN.md's contract: a list verb's --json is an array of objects, a show
 * or verify verb's one object.  Every command's verbs are in one table of
 * these; the command dispatches through it (cli_dispatch) and `macext help
 * verbs` prints it, so the test that runs every list and show verb
 * (tests/cli/json_shapes.sh) cannot miss a new one. */
enum cli_shape {
	CLI_ACT,                    /* a change: prints its result (one object with --json) or nothing */
	CLI_LIST,                   /* a query: --json prints an array of objects */
	CLI_SHOW,                   /* a query or verification: --json prints one object */
	CLI_TEXT,                   /* an Apple tool's own text output: it has no JSON form */
};
typedef struct cli_verb {
	const char *name;
	mx_cmd_fn fn;               /* called with argv[0] the verb */
	enum cli_shape shape;
} cli_verb;
typedef struct cli_verbs {
	const char *command;        /* "kext", "kmutil", ... (for messages) */
	const cli_verb *v;
	size_t n;
	const char *usage;          /* the one-line synopsis, without "usage: " */
} cli_verbs;
#define CLI_VERBS(cmd, table, usage) { cmd, table, sizeof table / sizeof table[0], usage }
/* Runs the verb argv[1] names (argv shifted: the verb is its argv[0]);
 * MX_EUSAGE with the synopsis when there is none or it is unknown. */
int cli_dispatch(struct mx_cli *cli, const cli_verbs *t, int argc, char **argv, mx_err *err);
const char *cli_shape_name(enum cli_shape s);
/* The verb tables of the commands that have verbs (one per command file). */
extern const cli_verbs device_verbs, profiles_verbs, app_verbs, sysext_verbs, kext_verbs,
    pkg_verbs, approve_verbs, alerts_verbs, codesign_verbs, forge_verbs, fleet_verbs, store_verbs,
    security_verbs, mdm_verbs, kmutil_verbs;

/* ---- context ---- */
/* Opens the engine on cli->state_dir (once). */
int cli_store(struct mx_cli *cli, mx_err *err);
/* Begins an op of mode on the selected device. */
int cli_op(struct mx_cli *cli, enum mx_op_mode mode, mx_op **out, mx_err *err);
/* Commits op and returns rc if rc is 0, else aborts it and returns rc. */
int cli_end(mx_op *op, int rc, mx_err *err);
/* Closes the engine. */
void cli_close(struct mx_cli *cli);
/* Fills cli->in.random with fresh bytes (deterministic under MACEXT_SEED). */
void cli_random(struct mx_cli *cli);
/* This invocation's clock (MACEXT_FAKE_TIME, else time(2)), for host-side tools. */
int64_t cli_now(struct mx_cli *cli);
/* The engine environment of this invocation (clock and randomness above). */
void cli_env(struct mx_cli *cli, mx_engine_env *out);
/* The process exit status for a command's result (Apple tools' own codes
 * come as MX_DOM_TOOL / MX_DOM_KMERROR sub-codes). */
int cli_status(int rc, const mx_err *err);
/* Reads a whole host file of at most cap bytes (malloc'd). */
int cli_read_file(const char *path, size_t cap, uint8_t **out, size_t *len, mx_err *err);
/* Imports the PEM certificate at path into the content store (its hash in out). */
int cli_import_anchor(struct mx_cli *cli, const char *path, char out[65], mx_err *err);

/* ---- arguments: flags may appear anywhere after the command words ---- */
/* Removes "--flag VALUE" (or "--flag=VALUE") from argv; returns VALUE or NULL. */
const char *arg_value(int *argc, char **argv, const char *flag);
/* Removes every "--flag VALUE"; returns how many were stored in out (max n). */
int arg_values(int *argc, char **argv, const char *flag, const char **out, int n);
bool arg_flag(int *argc, char **argv, const char *flag);
/* After taking flags: fails on any leftover "--x" and on a positional count
 * outside [min, max]. usage is the one-line synopsis for the message. */
int arg_check(int argc, char **argv, int min, int max, const char *usage, mx_err *err);

/* ---- output ---- */
/* Text output: every %s argument is data and is escaped (mx_text_vformat,
 * issue 14 §4); the format is the program's.  cli_text/cli_etext write a
 * program-owned text (a usage, a tool's fixed message) as it is. */
void cli_out(struct mx_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_errf(struct mx_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_text(struct mx_cli *cli, const char *text);
void cli_etext(struct mx_cli *cli, const char *text);
void cli_write(struct mx_cli *cli, const void *buf, size_t len);
/* Prints and releases j (nothing in quiet mode). */
void cli_json_print(struct mx_cli *cli, json_t *j);
/* Prints the serializer's result: *j when rc is 0 (read after the
 * serializer ran: pass its output pointer); returns rc. */
int cli_json(struct mx_cli *cli, int rc, json_t **j);
/* Expired certificates found when verifying for a device, reported after
 * an accepted install (macOS's default: not grounds for rejection). */
void cli_expiry_print(struct mx_cli *cli, const mx_expiry *x);
/* Adds "expired_certificates" (mx_json_expiry) to the result object j. */
int cli_expiry_json(json_t *j, const mx_expiry *x, mx_err *err);
/* The device as `device show` prints it. */
void cli_device_print(struct mx_cli *cli, const mx_device *d);
/* --json: the device document; else the text. */
int cli_device_out(struct mx_cli *cli, const mx_device *d, mx_err *err);
/* The command's result, failing one that succeeded but could not print its
 * JSON document (a string that is not UTF-8): never an empty document and 0. */
int cli_finish(struct mx_cli *cli, int rc, mx_err *err);
/* An Apple tool's failure that the tool printed itself (exit status code). */
int cli_tool_fail(struct mx_cli *cli, int code, mx_err *err);

/* ---- commands (one file each) ---- */
int cmd_device(struct mx_cli *, int, char **, mx_err *);
/* `device export` / `device import` (cmd_export.c): argv[0] is the verb */
int cmd_device_export(struct mx_cli *, int, char **, mx_err *);
int cmd_device_import(struct mx_cli *, int, char **, mx_err *);
int cmd_restart(struct mx_cli *, int, char **, mx_err *);
int cmd_recovery(struct mx_cli *, int, char **, mx_err *);
int cmd_shutdown(struct mx_cli *, int, char **, mx_err *);
int cmd_security(struct mx_cli *, int, char **, mx_err *);
int cmd_mdm(struct mx_cli *, int, char **, mx_err *);
/* the MDM agent's verbs (cmd_mdm_agent.c) */
int cmd_mdm_enroll_profile(struct mx_cli *, int, char **, mx_err *);
int cmd_mdm_agent(struct mx_cli *, int, char **, mx_err *);
int cmd_mdm_keys(struct mx_cli *, int, char **, mx_err *);
int cmd_mdm_status(struct mx_cli *, int, char **, mx_err *);
int cmd_fleet_enroll(struct mx_cli *, int, char **, mx_err *);
/* Takes `mdm agent`'s flags (--poll, --connections, --apns-listen, ...) out
 * of argv into *out (cmd_mdm_agent.c), for `macext serve --mdm`. */
struct mx_agent_options;
int cli_agent_options(int *argc, char **argv, struct mx_agent_options *out, mx_err *err);
/* `macext serve` (cmd_serve.c) */
int cmd_serve(struct mx_cli *, int, char **, mx_err *);
int cmd_profiles(struct mx_cli *, int, char **, mx_err *);
int cmd_profiles_validate(struct mx_cli *, int, char **, mx_err *);
int cmd_app(struct mx_cli *, int, char **, mx_err *);
int cmd_sysext(struct mx_cli *, int, char **, mx_err *);
int cmd_kext(struct mx_cli *, int, char **, mx_err *);
int cmd_pkg(struct mx_cli *, int, char **, mx_err *);          /* cmd_pkg.c */
/* A package read and checked, its roots imported for device (NULL: the only
 * one) with e: mx_pkg_import_free(out) once rc is 0 (cmd_pkg.c). */
int pkg_import_file(mx_engine *e, const char *file, const char *device, const mx_verify_opts *vo,
    mx_pkg_import *out, mx_err *err);
int cmd_preflight(struct mx_cli *, int, char **, mx_err *);    /* cmd_preflight.c */
int cmd_alerts(struct mx_cli *, int, char **, mx_err *);
int cmd_approve(struct mx_cli *, int, char **, mx_err *);
/* `approve sysext ...` / `approve kext ...`: argv[0] is "sysext" or "kext" */
int cmd_sysext_approve(struct mx_cli *, int, char **, mx_err *);
int cmd_kext_approve(struct mx_cli *, int, char **, mx_err *);
int cmd_codesign(struct mx_cli *, int, char **, mx_err *);
int cmd_forge(struct mx_cli *, int, char **, mx_err *);
int cmd_log(struct mx_cli *, int, char **, mx_err *);
int cmd_fleet(struct mx_cli *, int, char **, mx_err *);
int cmd_store(struct mx_cli *, int, char **, mx_err *);
/* Apple tool personalities (argv[0]) */
int apple_systemextensionsctl(struct mx_cli *, int, char **, mx_err *);
int apple_kmutil(struct mx_cli *, int, char **, mx_err *);
int apple_spctl(struct mx_cli *, int, char **, mx_err *);
int apple_csrutil(struct mx_cli *, int, char **, mx_err *);
int apple_bputil(struct mx_cli *, int, char **, mx_err *);
int apple_profiles(struct mx_cli *, int, char **, mx_err *);
int apple_kextstat(struct mx_cli *, int, char **, mx_err *);
int apple_kextload(struct mx_cli *, int, char **, mx_err *);
int apple_kextunload(struct mx_cli *, int, char **, mx_err *);
/* `kmutil create` (kmutil_create.c): argv[0] is "create". */
int kmutil_create(struct mx_cli *cli, int argc, char **argv, mx_err *err);
/* A kernel collection file on the host (kmutil inspect -A FILE); *buf malloc'd. */
int kmutil_read_kc(const char *path, uint8_t **buf, size_t *len, mx_err *err);

#endif
