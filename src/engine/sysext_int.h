/*
 * sysext_int.h — what sysext.c (db.plist, approval, the reactions,
 * systemextensionsctl) and sysext_req.c (an app's activation and
 * deactivation requests) share: the loaded db.plist of one device with its
 * merged policy, and the record moves that log each state change as
 * sysextd does ("advancing state from X to Y").  Only src/engine/.
 */
#ifndef MACEXT_ENGINE_SYSEXT_INT_H
#define MACEXT_ENGINE_SYSEXT_INT_H

#include "macext/sysext.h"
#include "engine_int.h"

struct sx {
	mx_op *op;
	mx_sx_rec *recs;
	size_t n;
	mx_sxpolicy *pol;
	bool devmode;
	char boot_uuid[40];
};

/* Loads the device's records, settings and merged policy. */
int sx_load(struct sx *s, mx_op *op, mx_err *err);
/* sx_load on a device running macOS (else MX_ESTATE, nothing loaded). */
int sx_load_macos(struct sx *s, mx_op *op, mx_err *err);
void sx_free(struct sx *s);
/* Applies event ev to r (the transition table), logs it and saves r.  A
 * record that reaches uninstalling is removed with its staged copy. */
int sx_move(struct sx *s, mx_sx_rec *r, enum mx_sx_event ev, const char *why, mx_err *err);
/* Drops r and its staged copy (uninstalling -> uninstalled). */
int sx_remove(struct sx *s, mx_sx_rec *r, const char *why, mx_err *err);
int sx_event(struct sx *s, const char *actor, const char *why, mx_err *err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Withdraws the alerts about an extension. */
int sx_withdraw_alerts(struct sx *s, const char *identifier, mx_err *err);
/* The live record of identifier, or NULL. */
mx_sx_rec *sx_live_record(struct sx *s, const char *identifier);
/* Enables r because approval is present (approval: "mdm", "user", inherited). */
int sx_enable(struct sx *s, mx_sx_rec *r, enum mx_sx_event ev, const char *approval,
    const char *why, mx_err *err);
/* Puts a validated record through the policy (§2.6 a step 5); *result gets
 * the request's outcome when the record waits for the user. */
int sx_decide(struct sx *s, mx_sx_rec *r, const char *inherited, const char *why,
    const char **result, mx_err *err);
/* Unloads r: terminating, then terminated and removed at the next restart
 * (or still running until then, a network provider, when allow_defer). */
int sx_unload(struct sx *s, mx_sx_rec *r, bool allow_defer, const char *why, const char **result,
    mx_err *err);
/* Shows an alert from an mx_alert_spec. */
struct mx_alert_spec;
int sx_show(struct sx *s, const struct mx_alert_spec *a, mx_err *err);

#endif
