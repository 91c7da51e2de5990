/*
 * tools.h — what the CLI's command files share: the invocation context,
 * argument helpers, JSON output, and the hooks through which the
 * foundation (device, restart, MDM, profiles) tells the system-extension
 * and kernel-extension modules that something they care about happened.
 * Every hook runs inside the command's one transaction.
 */
#ifndef MACEXT_TOOLS_H
#define MACEXT_TOOLS_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "macext/core.h"
#include "macext/store.h"

struct mx_cli {
	const char *prog;           /* "macext" or the Apple tool name it runs as */
	const char *state_dir;      /* --state, $MACEXT_STATE, ./macext-state */
	const char *device_name;    /* --device, $MACEXT_DEVICE, NULL = the only one */
	bool json, debug;
	mx_store *st;               /* opened by cli_store() */
	mx_env_in in;               /* now + random; MACEXT_FAKE_TIME / MACEXT_SEED fix them */
	uint64_t seed_state;        /* for MACEXT_SEED */
	bool quiet;                 /* fleet runs: no per-command output */
	bool read_only;             /* the verb only reads: cli_store opens MX_STORE_READONLY */
};

typedef int (*mx_cmd_fn)(struct mx_cli *cli, int argc, char **argv, mx_err *err);

/* ---- context ---- */
int cli_store(struct mx_cli *cli, mx_err *err);
/* Opens the store, begins the transaction and loads the selected device. */
int cli_begin_device(struct mx_cli *cli, mx_device *out, mx_err *err);
int cli_commit(struct mx_cli *cli, mx_err *err);
void cli_rollback(struct mx_cli *cli);
/* Fills cli->in.random with fresh bytes (deterministic under MACEXT_SEED). */
void cli_random(struct mx_cli *cli);
void cli_uuid(struct mx_cli *cli, char out[37]);
/* Appends to the device's event log. */
int cli_event(struct mx_cli *cli, const mx_device *d, const char *actor, const char *what,
    const char *why, mx_err *err);
/* For a refused attempt (wrong password, standard user, ...): rolls back
 * whatever the command did, logs the refusal as an event in its own
 * transaction, and returns err->code — so a refusal leaves no trace but
 * the event. */
int cli_refuse(struct mx_cli *cli, const mx_device *d, const char *actor, const char *what,
    mx_err *err);
/* Restarts the Mac (caller holds the transaction and saves nothing):
 * from macOS the shutdown runs kext_before_restart(rebuild_kc, paths);
 * then macOS boots (new boot session) and sysext_after_boot and
 * kext_after_boot run; "restart-required" notices are withdrawn.
 * Saves the device and logs the restart by actor. */
int cli_restart(struct mx_cli *cli, mx_device *d, bool rebuild_kc, const char **kext_paths,
    int npaths, const char *actor, mx_err *err);
/* Saves the device record (mx_store_device_update). */
int cli_save_device(struct mx_cli *cli, const mx_device *d, mx_err *err);
/* Path of the device's extra trust anchor (in the CAS), or NULL. */
const char *cli_trust_anchor(struct mx_cli *cli, const mx_device *d, char *buf, size_t len);

/* ---- installed profiles and apps (cmd_profiles.c, cmd_app.c) ---- */
#include <plist/plist.h>
/* Calls fn for each payload of payload_type in the device's installed
 * profiles, in install order (the merge order).  payload is borrowed. */
typedef int (*mx_payload_fn)(plist_t payload, const char *profile_id, const char *payload_uuid,
    void *arg);
int cli_payloads_each(struct mx_cli *cli, const mx_device *d, const char *payload_type,
    mx_payload_fn fn, void *arg, mx_err *err);
/* Finds the app with CFBundleIdentifier bundle_id in the device's
 * /Applications: devpath gets "/Applications/X.app", realpath the stored
 * copy to read.  MX_ENOTFOUND when absent. */
int cli_app_find(struct mx_cli *cli, const mx_device *d, const char *bundle_id,
    char *devpath, size_t devlen, char *realpath_out, size_t reallen, mx_err *err);
/* Installs a profile from bytes (MDM InstallProfile, or a manual install
 * when via_mdm is false) with macOS's delivery rules, replacing one with the
 * same identifier; runs the extension hooks.  out may be NULL. */
struct mx_profile_row;
int cli_install_profile(struct mx_cli *cli, mx_device *d, const uint8_t *buf, size_t len,
    const char *name, bool via_mdm, struct mx_profile_row *out, mx_err *err);
int cli_remove_profile(struct mx_cli *cli, mx_device *d, const char *identifier, bool via_mdm,
    mx_err *err);
/* Reads a whole file of at most cap bytes (malloc'd). */
int cli_read_file(const char *path, size_t cap, uint8_t **out, size_t *len, mx_err *err);
/* Shows an alert (replacing one of the same kind and subject). */
int cli_alert(struct mx_cli *cli, const mx_device *d, const char *kind, const char *subject,
    const char *title, const char *text, const char *actions_json, mx_err *err);

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
void cli_json_print(json_t *j);              /* prints and releases j */
json_t *cli_device_json(const mx_device *d);
void cli_device_print(FILE *f, const mx_device *d);

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
int cmd_profiles(struct mx_cli *, int, char **, mx_err *);
int cmd_profiles_validate(struct mx_cli *, int, char **, mx_err *);
int cmd_app(struct mx_cli *, int, char **, mx_err *);
int cmd_sysext(struct mx_cli *, int, char **, mx_err *);
int cmd_kext(struct mx_cli *, int, char **, mx_err *);
int cmd_pkg(struct mx_cli *, int, char **, mx_err *);          /* cmd_pkg.c */
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

/* ---- hooks: the foundation calls these inside the command's transaction ---- */
/* The set of installed profiles changed (install, replace, remove). */
int sysext_profiles_changed(struct mx_cli *cli, mx_device *d, mx_err *err);
int kext_profiles_changed(struct mx_cli *cli, mx_device *d, mx_err *err);
/* A restart was asked for; runs while macOS shuts down (rebuild_kc from
 * MDM RestartDevice RebuildKernelCache; kext_paths its KextPaths). */
int kext_before_restart(struct mx_cli *cli, mx_device *d, bool rebuild_kc,
    const char **kext_paths, int npaths, mx_err *err);
/* The Mac booted macOS (after mx_device_boot). */
int sysext_after_boot(struct mx_cli *cli, mx_device *d, mx_err *err);
int kext_after_boot(struct mx_cli *cli, mx_device *d, mx_err *err);
/* An app is being deleted from /Applications (Finder move-to-Trash);
 * cred is --as (may be NULL).  May refuse. */
int sysext_app_deleting(struct mx_cli *cli, mx_device *d, const char *app_bundle_id,
    const char *cred, mx_err *err);

#endif
