/*
 * rules.h — the decisions that used to sit in the command files, as pure
 * functions returning effects: which dialog or notice macOS shows and with
 * what words, what an enrolment does to the device, who may escrow a
 * bootstrap token, what RestartDevice does, what updating a kext does to
 * its approval, which payloads a delivery channel may install.  The engine
 * applies the effects (store, events); tests/unit/test_rules.c tables them.
 * Pure: no stdio, no clock, no files.  Owner: src/core/rules.c.
 * Spec: kernel-extensions.md §2.4, §3.3, §3.7; system-extensions.md §3.3,
 * §3.4; mdm-protocol-and-peers.md §1.3-§1.6; docs/mdm.md for the [INF] choices.
 */
#ifndef MACEXT_RULES_H
#define MACEXT_RULES_H

#include <stdbool.h>

#include "macext/boot.h"
#include "macext/core.h"
#include "macext/err.h"
#include "macext/kext.h"

struct mx_profile;

/* ---- alerts: what the user sees ---- */
typedef struct mx_alert_spec {
	char kind[48];               /* "kext-blocked", "sysext-blocked", "restart-required", ... */
	char subject[256];           /* what it is about (bundle id, "mdm", "kext") */
	char title[128];
	char text[1024];
	char actions[256];           /* JSON array of button titles */
} mx_alert_spec;

/* What a kext's state asks of the screen (syspolicyd / kernelmanagerd). */
typedef struct mx_kext_alert_fx {
	bool show;                   /* show alert (replacing one of its kind and subject) */
	mx_alert_spec alert;
	bool withdraw_blocked;       /* withdraw the "kext-blocked" alert about the kext first */
	bool restart_pending;        /* the Mac now waits for a restart */
} mx_kext_alert_fx;
/* TN2459 / HT210999 texts; on Apple silicon the gate's instructions when
 * the security policy blocks the kext. */
void mx_kext_alert(const mx_device *d, const mx_kext *k, const mx_boot_gate *gate,
    mx_kext_alert_fx *out);
/* "Restart Required" after a kext change (or kmutil rebuild). */
void mx_kext_restart_alert(mx_alert_spec *out);

/* "System Extension Blocked" for a system extension waiting for Allow, as
 * the macOS version words it (System Settings from 13, Login Items &
 * Extensions from 15). */
void mx_sysext_blocked_alert(mx_version os, const char *developer, const char *identifier,
    mx_alert_spec *out);
/* The administrator dialog an app's deactivation request shows. */
void mx_sysext_auth_alert(const char *app_name, const char *identifier,
    const char *short_version, const char *version, mx_alert_spec *out);

/* ---- MDM enrolment, bootstrap token, RestartDevice ---- */
/* The device after enrolling with method (ADE: supervised, user approved,
 * in ABM; User Enrollment: user approved, never supervised; Device
 * Enrollment: supervised when user approved on 11+).  Fails (MX_ESTATE)
 * when already enrolled, (MX_EUSAGE) for MX_ENROLL_NONE. */
int mx_enroll_plan(const mx_device *d, enum mx_enroll method, bool user_approved, bool in_abm,
    mx_device *next, mx_err *err);
/* SetBootstrapToken: refused (MX_EDENIED) with User Enrollment or unsupervised. */
int mx_escrow_check(const mx_device *d, mx_err *err);

enum mx_restart_plan {
	MX_RESTART_NOW,              /* restart (rebuilding the AuxKC when asked) */
	MX_RESTART_NOTIFY,           /* NotifyUser (11.3+): a notice; the user restarts later */
};
/* RestartDevice's decision: refused with User Enrollment, KextPaths only
 * with RebuildKernelCache; NotifyUser honoured from 11.3 [INF docs/mdm.md]. */
int mx_mdm_restart_plan(const mx_device *d, bool notify_user, bool rebuild_kc, int nkext_paths,
    enum mx_restart_plan *out, mx_err *err);
/* The notice NotifyUser shows. */
void mx_mdm_restart_alert(mx_alert_spec *out);

/* ---- kext updates (§2.4, §3.3 step 9) ---- */
/* k replaces old (same bundle id): an identical bundle changes nothing
 * (*same true: keep old); an update keeps the old version running until the
 * update is built into the AuxKC (k's running_* fields), and the user's
 * Allow covered the old version only (*revoke_consent: clear it). */
void mx_kext_update(const mx_kext *old, mx_kext *k, bool *same, bool *revoke_consent);

/* ---- profile delivery (mdm-protocol-and-peers.md §1.5, Apple's YAML) ---- */
/* Each payload's delivery rules against the channel and the enrolment:
 * not manually installable, forbidden with User Enrollment, needing a
 * user-approved or supervised Mac.  name prefixes the message. */
int mx_profile_delivery_check(const struct mx_profile *p, const mx_device *d, bool via_mdm,
    const char *name, mx_err *err);

#endif
