/*
 * fleet.h — what the fleet commands share with the crash and stress
 * drivers: running one CLI line in-process (the same command functions
 * main() dispatches to, with output off: the crash driver's operations),
 * selections and the summary over the engine's fleet reads, and the store
 * checks that need the policy core.  `fleet apply`'s typed steps are
 * fleet_step.h.
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

/* The devices the filter spec selects (NULL or "": all), in name order, as
 * the engine selects them (mx_engine_fleet_select); *out is the caller's
 * (mx_fleet_sel_free).  A bad spec fails naming --devices. */
int fleet_select(struct mx_cli *cli, const char *spec, mx_fleet_sel *out, mx_err *err);
/* The summary counts of the selected devices (mx_engine_fleet_summary);
 * *out is the caller's. */
int fleet_summary_json(struct mx_cli *cli, const mx_fleet_sel *s, json_t **out, mx_err *err);
void fleet_summary_print(struct mx_cli *cli, json_t *j);
/* One entry of fleet create's --mix (ARCH:OS[:ENROLMENT][:sip-on|sip-off]=P%):
 * fleet_mix_parse fills m[0..*n) (at most FLEET_MAX_MIX) or fails naming the
 * entry; fleet_mix_counts gives each its exact count of total (largest
 * remainder).  `macext preflight --fleet` reads the same syntax. */
#define FLEET_MAX_MIX 32
struct fleet_mix {
	enum mx_arch arch;
	mx_version os;
	enum mx_enroll enroll;
	bool user_approved;          /* device enrolment approved by the user */
	bool sip_off;
	double pct;
	long count, made;
	char label[96];
};
int fleet_mix_parse(struct fleet_mix *m, int *n, const char *spec, mx_err *err);
void fleet_mix_counts(struct fleet_mix *m, int n, long total);
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
