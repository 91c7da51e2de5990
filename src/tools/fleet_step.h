/*
 * fleet_step.h — the typed steps of `fleet apply` (docs/fleet.md): a steps
 * file's line is parsed once, at plan load, into a kind and its arguments
 * (fleet_step.c); per device the step calls its engine operation directly
 * (fleet_exec.c), inside the batch, and yields the outcome the CLI line
 * would have had: the exit code, the error, and the line an Apple tool
 * would have printed about it.  Host input (profiles, bundles, MDM command
 * files) is read and imported once per plan, at the first device that runs
 * the step; a kext is verified once per (architecture, trust anchor).
 */
#ifndef MACEXT_FLEET_STEP_H
#define MACEXT_FLEET_STEP_H

#include <limits.h>
#include <stdbool.h>

#include "tools.h"

enum fleet_kind {
	FS_NOOP,                     /* csrutil, bputil -h: a usage text, exit 0 */
	FS_RESTART, FS_SHUTDOWN, FS_RECOVERY,
	FS_SECURITY_SET, FS_SECURITY_SHOW,
	FS_MDM_ENROLL, FS_MDM_UNENROLL, FS_MDM_ESCROW, FS_MDM_INSTALL_PROFILE,
	FS_MDM_REMOVE_PROFILE, FS_MDM_RESTART, FS_MDM_COMMAND,
	FS_PROFILES_INSTALL, FS_PROFILES_REMOVE, FS_PROFILES_LIST, FS_PROFILES_SHOW,
	FS_APP_INSTALL, FS_APP_DELETE,
	FS_SYSEXT_ACTIVATE, FS_SYSEXT_DEACTIVATE, FS_SYSEXT_LIST, FS_SYSEXT_APPROVE,
	FS_SYSEXT_SET_ENABLED,        /* sysext enable|disable ID: a = enable (the macOS 15 switch) */
	FS_KEXT_INSTALL, FS_KEXT_REMOVE, FS_KEXT_LIST, FS_KEXT_APPROVE,
	FS_ALERTS, FS_LOG, FS_DEVICE_SHOW,
	/* kmutil, and the legacy tools (the pre-11 programs, or kmutil re-exec'd) */
	FS_KM_LOAD, FS_KM_UNLOAD, FS_KM_SHOWLOADED, FS_KM_REBUILD, FS_KM_PANIC_MEDIC, FS_KM_LOG,
	FS_KEXTLOAD, FS_KEXTUNLOAD, FS_KEXTSTAT,
	FS_SXCTL_LIST, FS_SXCTL_DEVELOPER, FS_SXCTL_RESET, FS_SXCTL_UNINSTALL, FS_SXCTL_GC,
	FS_SPCTL_SET, FS_SPCTL_GET,
	FS_CSRUTIL_STATUS, FS_CSRUTIL_SET, FS_CSRUTIL_AUTHROOT_STATUS, FS_CSRUTIL_AUTHROOT_SET,
	FS_BPUTIL_SET, FS_BPUTIL_SHOW,
	FS_NKINDS
};

/* A kext imported for one (architecture, trust anchor). */
#define FLEET_KEXT_VARIANTS 8
struct fleet_kext_variant { bool used; mx_kext_import imp; };

/* Host input of a step, read once (at the first device that runs it). */
struct fleet_import {
	int rc;                      /* a failure the verb reports before any op */
	mx_err err;
	mx_profile_import profile;   /* mdm install-profile, profiles install */
	bool have_mdm;
	mx_mdm_request mdm;          /* mdm command */
	mx_app_import app;           /* app install */
	mx_kext_import kext;         /* kext install: the copy ... */
	struct fleet_kext_variant variant[FLEET_KEXT_VARIANTS];   /* ... verified per Mac kind */
	char real[PATH_MAX], hash[65];     /* sysext activate PATH.app */
	mx_err app_err;
	mx_sx_app_ref app_ref;
};

struct fleet_step_op {
	enum fleet_kind kind;
	const char *cred;            /* --as USER:PASSWORD (bputil: -u:-p), or NULL */
	const char *id, *id2;        /* the identifiers the step names (bundle ids, app/ext,
	                              * team/bundle, profile identifier, device name) */
	const char *path;            /* the host file or bundle (resolved) */
	bool a, b, c;                /* the kind's flags (see fleet_step.c) */
	int n;                       /* kmutil targets / kext paths */
	const char *names[MX_KEXT_LOAD_MAX];
	union {
		enum mx_recovery_entry via;
		enum mx_secpolicy level;
		enum mx_enroll method;
		enum mx_consent_action consent;
		uint32_t csr;            /* csrutil enable/disable/clear: the bits */
	} v;
	char cmd[16];                /* csrutil's command word for the log */
	mx_lp_request lp;            /* bputil's request (level fixed per device) */
	char owned_cred[300];        /* bputil's "USER:PASSWORD" */
	struct fleet_import *imp;    /* host input, at the first device (owned) */
	mx_kext_load_report *report; /* kmutil load's, reused per device (owned) */
};

/* Parses argv[0..argc) (the words of one step after `when` and
 * `expect-exit`; argv[0] a macext command or an Apple tool's name) into *s.
 * The strings stay argv's (which must outlive s).  A command that is not a
 * device operation fleet apply runs, or arguments the command would reject,
 * fail with MX_EUSAGE. */
int fleet_step_parse(struct fleet_step_op *s, int argc, char **argv, mx_err *err);
/* Frees what the step imported and holds. */
void fleet_step_free(struct fleet_step_op *s);

/* What a step did on one device, as the CLI line would have ended. */
struct fleet_outcome {
	int code;                    /* the process exit code */
	mx_err err;
	bool printed;                /* an Apple tool printed its own error ... */
	char said[512];              /* ... and this is its last line */
};
/* Runs s on device with e (no op open; a batch may be).  Leaves no op
 * open.  Returns out->code. */
int fleet_step_run(mx_engine *e, struct fleet_step_op *s, const char *device,
    struct fleet_outcome *out);

#endif
