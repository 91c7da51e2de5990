/*
 * fleet.h — what the fleet commands share with the crash and stress
 * drivers: running one CLI line in-process (the same command functions
 * main() dispatches to, with output off), device filters and selections,
 * the summary, and the store checks that need the policy core.
 */
#ifndef MACEXT_FLEET_H
#define MACEXT_FLEET_H

#include <stdbool.h>

#include "tools.h"

/* Runs argv (argv[0] a macext command word or an Apple tool name, as after
 * `macext`) in-process on cli's store and device.  argv is modified (flags
 * are taken out): pass a copy.  Returns the process exit code the CLI would
 * have, and leaves no transaction open (a failed command is rolled back). */
int fleet_run(struct mx_cli *cli, int argc, char **argv, mx_err *err);

/* A device filter: comma-separated terms that must all hold.
 *   name=GLOB (or a bare GLOB)   arch=arm64|x86_64     os>=V os<V os=V ...
 *   enroll=none|user|device|automated (| for several; enroll!=none)
 *   sip=on|off   env=macos|recovery|off   security=full|reduced|permissive
 *   alert=KIND   (the device shows an alert of that kind now)          */
#define FLEET_MAX_TERMS 16
struct fleet_term;
typedef struct fleet_filter {
	int n;
	struct fleet_term *t;
	bool needs_alerts;
} fleet_filter;
int fleet_filter_parse(fleet_filter *out, const char *spec, mx_err *err);
void fleet_filter_free(fleet_filter *f);
/* st is needed only for alert= terms. */
int fleet_filter_match(const fleet_filter *f, mx_store *st, const mx_device *d, bool *out,
    mx_err *err);

/* A selection of devices (ids and names, in name order). */
struct fleet_sel { int64_t *id; char (*name)[64]; long n, cap; const fleet_filter *f;
	mx_store *st; int rc; mx_err *err; };
/* The devices the filter spec (may be NULL: all) selects. */
int fleet_select(struct mx_cli *cli, const char *spec, struct fleet_sel *out, mx_err *err);
void fleet_sel_free(struct fleet_sel *s);
/* The summary counts of the selected devices; *out is the caller's. */
int fleet_summary_json(struct mx_cli *cli, const struct fleet_sel *s, json_t **out, mx_err *err);
void fleet_summary_print(struct mx_cli *cli, json_t *j);
/* `fleet apply` (fleet_apply.c). */
int fleet_apply(struct mx_cli *cli, int argc, char **argv, mx_err *err);

/* Progress on a terminal (stderr) and a monotonic clock. */
struct fleet_progress { FILE *f; bool tty; double t0, last; const char *what; };
void fleet_progress_init(struct fleet_progress *p, FILE *f, const char *what);
void fleet_progress_show(struct fleet_progress *p, long done, long total, bool final);
double fleet_now_s(void);

/* Every invariant: mx_store_check plus the extension states checked with
 * the policy core.  fn gets each violation. */
int fleet_check_all(struct mx_cli *cli, mx_check_fn fn, void *arg, long *violations,
    mx_err *err);

#endif
