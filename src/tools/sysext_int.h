/*
 * sysext_int.h — what cmd_sysext.c (the app's requests, approval, the
 * hooks) and cmd_sysextctl.c (systemextensionsctl) share: the loaded
 * db.plist of one device with its merged policy, and the record moves that
 * log each state change as sysextd does ("advancing state from X to Y").
 */
#ifndef MACEXT_SYSEXT_INT_H
#define MACEXT_SYSEXT_INT_H

#include "macext/sysext.h"
#include "tools.h"

struct sx {
	struct mx_cli *cli;
	mx_device *d;
	mx_sx_rec *recs;
	size_t n;
	mx_sxpolicy *pol;
	bool devmode;
	char boot_uuid[40];
};

/* Loads the device's records, settings and merged policy (inside the
 * command's transaction). */
int sx_load(struct sx *s, struct mx_cli *cli, mx_device *d, mx_err *err);
void sx_free(struct sx *s);
/* Applies event ev to r (the transition table), logs it and saves r.  A
 * record that reaches uninstalling is removed with its staged copy. */
int sx_move(struct sx *s, mx_sx_rec *r, enum mx_sx_event ev, const char *why, mx_err *err);
/* Drops r and its staged copy (uninstalling -> uninstalled). */
int sx_remove(struct sx *s, mx_sx_rec *r, const char *why, mx_err *err);
/* Logs an event on the device. */
int sx_event(struct sx *s, const char *actor, const char *why, mx_err *err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Withdraws the alerts about an extension. */
int sx_withdraw_alerts(struct sx *s, const char *identifier, mx_err *err);
/* The list line's "--- category" header for this macOS. */
void sx_category_header(char *buf, size_t len, const char *category, mx_version os);

#endif
