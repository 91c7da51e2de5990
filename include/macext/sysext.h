/*
 * sysext.h — sysextd's policy core: the merged
 * com.apple.system-extension-policy, the decision model, the activation
 * checks in sysextd's order with OSSystemExtensionErrorDomain codes, the
 * least-privilege entitlement rules per category, and the state machine
 * with macOS's own state names.  Pure: no stdio, no clock, no files.
 * Owner: src/core/sysext*.c.  Spec: docs/reference/system-extensions.md
 * (§1.6 decision model, §1.7 profile changes, §2.5 states, §2.6
 * transitions, §2.8 error codes, §4 least privilege).
 */
#ifndef MACEXT_SYSEXT_H
#define MACEXT_SYSEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <plist/plist.h>

#include "macext/core.h"
#include "macext/err.h"

/* ---- OSSystemExtensionErrorDomain (SDK header values, §2.8) ---- */
enum mx_sx_error {
	MX_SXERR_NONE = 0,
	MX_SXERR_UNKNOWN = 1,
	MX_SXERR_MISSING_ENTITLEMENT = 2,
	MX_SXERR_UNSUPPORTED_PARENT_BUNDLE_LOCATION = 3,
	MX_SXERR_EXTENSION_NOT_FOUND = 4,
	MX_SXERR_EXTENSION_MISSING_IDENTIFIER = 5,
	MX_SXERR_DUPLICATE_EXTENSION_IDENTIFER = 6,
	MX_SXERR_UNKNOWN_EXTENSION_CATEGORY = 7,
	MX_SXERR_CODE_SIGNATURE_INVALID = 8,
	MX_SXERR_VALIDATION_FAILED = 9,
	MX_SXERR_FORBIDDEN_BY_SYSTEM_POLICY = 10,
	MX_SXERR_REQUEST_CANCELED = 11,
	MX_SXERR_REQUEST_SUPERSEDED = 12,
	MX_SXERR_AUTHORIZATION_REQUIRED = 13,
};
/* "codeSignatureInvalid", ... (Apple's spelling, "duplicateExtensionIdentifer"); NULL out of range */
const char *mx_sx_error_name(int code);
/* The mx_code a request failure maps to (exit code of the CLI). */
int mx_sx_error_mx_code(int code);
/* Fills err with "OSSystemExtensionErrorDomain error N (name): msg", domain
 * MX_DOM_SYSEXT and subcode N, and returns the mapped mx_code. */
int mx_sx_fail(mx_err *err, int sxcode, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- categories (§1.3) ---- */
#define MX_SX_CAT_DRIVER   "com.apple.system_extension.driver_extension"
#define MX_SX_CAT_NETWORK  "com.apple.system_extension.network_extension"
#define MX_SX_CAT_ES       "com.apple.system_extension.endpoint_security"
#define MX_SX_CAT_CMIO     "com.apple.system_extension.cmio"
bool mx_sx_category_known(const char *category);
/* The MDM type string of AllowedSystemExtensionTypes ("DriverExtension",
 * "NetworkExtension", "EndpointSecurityExtension"); NULL for cmio/unknown. */
const char *mx_sx_category_type_string(const char *category);
/* The System Settings pane of macOS 15 ("Endpoint Security Extensions"), or NULL. */
const char *mx_sx_category_pane(const char *category);

/* ---- states (§2.5): db.plist names ---- */
enum mx_sx_state {
	MX_SX_VALIDATING,
	MX_SX_VALIDATING_BY_CATEGORY,
	MX_SX_WAITING_FOR_USER,            /* activated_waiting_for_user */
	MX_SX_ENABLING,                    /* activated_enabling */
	MX_SX_ENABLED,                     /* activated_enabled */
	MX_SX_DISABLED,                    /* activated_disabled */
	MX_SX_WAITING_TO_UPGRADE,          /* activated_waiting_to_upgrade */
	MX_SX_WAITING_TO_UPGRADE_ON_REBOOT,/* activated_waiting_to_upgrade_on_reboot */
	MX_SX_TERMINATING_FOR_UPGRADE,     /* terminating_for_upgrade_via_delegate */
	MX_SX_TERMINATING_FOR_DISABLE,
	MX_SX_TERMINATING_FOR_DISABLE_RUNNING, /* terminating_for_disable_but_still_running */
	MX_SX_TERMINATING_FOR_UNINSTALL,
	MX_SX_TERMINATING_FOR_UNINSTALL_VIA_DELEGATE,
	MX_SX_TERMINATING_FOR_UNINSTALL_RUNNING, /* terminating_for_uninstall_but_still_running */
	MX_SX_TERMINATED_WAITING_UNINSTALL,      /* terminated_waiting_to_uninstall_on_reboot */
	MX_SX_UNINSTALLING,
	MX_SX_UNINSTALLED,
	MX_SX_NSTATES
};
const char *mx_sx_state_name(enum mx_sx_state s);          /* "activated_enabled" */
int mx_sx_state_parse(enum mx_sx_state *out, const char *name, mx_err *err);
/* The `systemextensionsctl list` markers (§2.5 "mapping"). */
bool mx_sx_state_enabled(enum mx_sx_state s);
bool mx_sx_state_active(enum mx_sx_state s);
/* A live record: not terminating, terminated, uninstalling or uninstalled. */
bool mx_sx_state_live(enum mx_sx_state s);
/* Removed at the next boot (terminated_* and terminating_*). */
bool mx_sx_state_gone_on_reboot(enum mx_sx_state s);

/* ---- transitions (§2.6) ---- */
enum mx_sx_event {
	MX_SXE_STAGED,            /* validating -> validating_by_category */
	MX_SXE_INVALID,           /* validating(_by_category) -> uninstalling (request fails) */
	MX_SXE_POLICY_ALLOWS,     /* validating_by_category -> activated_enabling (MDM) */
	MX_SXE_NEEDS_USER,        /* validating_by_category -> activated_waiting_for_user */
	MX_SXE_APPROVED,          /* waiting_for_user -> activated_enabling (user or 11.3+ profile) */
	MX_SXE_STARTED,           /* activated_enabling -> activated_enabled */
	MX_SXE_REPLACE,           /* a new version replaces it -> terminating_for_upgrade_via_delegate */
	MX_SXE_DEACTIVATE,        /* deactivation or unload -> terminating_for_uninstall */
	MX_SXE_DEACTIVATE_RUNNING,/* ... whose process outlives the request (willCompleteAfterReboot) */
	MX_SXE_STOPPED,           /* the process exited: terminating_* -> terminated_waiting_... */
	MX_SXE_DISCARD,           /* a never-enabled record is dropped -> uninstalling */
	MX_SXE_REMOVED,           /* uninstalling -> uninstalled */
	MX_SXE_REBOOT,            /* the Mac restarted */
	MX_SXE_RESET,             /* systemextensionsctl reset / uninstall */
	MX_SXE_DISABLE,           /* the macOS 15 toggle off: enabled -> terminating_for_disable */
	MX_SXE_DISABLE_RUNNING,   /* ... whose process outlives it: terminating_for_disable_but_still_running */
	MX_SXE_ENABLE,            /* the toggle on: activated_disabled -> activated_enabling */
	MX_SXE_NEVENTS
};
const char *mx_sx_event_name(enum mx_sx_event e);
/* The state after event ev in state from; MX_ESTATE (naming both) when the
 * transition table has no such row.  The reboot row keeps enabled records. */
int mx_sx_transition(enum mx_sx_state from, enum mx_sx_event ev, enum mx_sx_state *out,
    mx_err *err);

/* The macOS 15 switch of General > Login Items & Extensions (Extensions,
 * "i" per category): an administrator turns an enabled system extension
 * off (terminating_for_disable, then activated_disabled once its process
 * stopped; a category whose process outlives the request stays
 * terminating_for_disable_but_still_running until the next boot) and on
 * again (activated_enabling, then activated_enabled).  What the switch does
 * for a record in state from, of category (mx_sx_stop_deferred), on macOS
 * os: out->ev[0..n) are the events to apply in order (n 0: the switch is
 * already where it is asked to be).  Refused: before macOS 15 (MX_ESTATE:
 * no such switch), when a NonRemovableFromUISystemExtensions entry (ui) or
 * a NonRemovableSystemExtensions entry (nonremovable) covers the extension
 * (OSSystemExtensionErrorDomain 10, forbidden by system policy; turning it
 * on stays allowed), and in a state the switch does not show (MX_ESTATE). */
typedef struct mx_sx_toggle {
	int n;
	enum mx_sx_event ev[2];
} mx_sx_toggle;
int mx_sx_toggle_plan(mx_sx_toggle *out, enum mx_sx_state from, const char *category,
    bool enable, mx_version os, bool ui, bool nonremovable, mx_err *err);

/* ---- the merged com.apple.system-extension-policy (§1.4) ---- */
typedef struct mx_sxpolicy mx_sxpolicy;
mx_sxpolicy *mx_sxpolicy_new(void);
void mx_sxpolicy_free(mx_sxpolicy *p);
/* Merges one payload dict (borrowed): AllowUserOverrides is ANDed, every
 * other key is a union.  Every value's type is checked; a bad one fails
 * with MX_EINVALID naming where (e.g. the profile id) and the key path,
 * and leaves p unchanged. */
int mx_sxpolicy_add_payload(mx_sxpolicy *p, plist_t payload, const char *where, mx_err *err);
int mx_sxpolicy_npayloads(const mx_sxpolicy *p);
bool mx_sxpolicy_user_overrides(const mx_sxpolicy *p);      /* AND; true with no payload */
/* §1.6 allowed_by_policy: team listed (AllowedTeamIdentifiers) or (team,
 * bundle) listed (AllowedSystemExtensions), narrowed by
 * AllowedSystemExtensionTypes when the team has an entry. */
bool mx_sxpolicy_allows(const mx_sxpolicy *p, const char *team, const char *bundle,
    const char *category);
/* Listed in any allow key (osquery's mdm_managed test, types ignored). */
bool mx_sxpolicy_lists(const mx_sxpolicy *p, const char *team, const char *bundle);
/* The removal keys, each gated by the macOS version that reads it:
 * RemovableSystemExtensions 12.0.1, NonRemovable* 15.0 (the first also
 * only while SIP is enabled). */
bool mx_sxpolicy_removable(const mx_sxpolicy *p, mx_version os, const char *team,
    const char *bundle);
bool mx_sxpolicy_nonremovable(const mx_sxpolicy *p, mx_version os, bool sip_enabled,
    const char *team, const char *bundle);
bool mx_sxpolicy_nonremovable_from_ui(const mx_sxpolicy *p, mx_version os, const char *team,
    const char *bundle);

/* The decision for a validated activation request (§1.6, §2.6 step 5). */
enum mx_sx_verdict {
	MX_SXV_ALLOW,             /* loads with no prompt and no admin authorization */
	MX_SXV_NEEDS_USER,        /* "System Extension Blocked", waits for Allow */
	MX_SXV_USER_FORBIDDEN,    /* waits, but AllowUserOverrides=false: no one can Allow */
};
enum mx_sx_verdict mx_sx_decide(const mx_sxpolicy *p, const char *team, const char *bundle,
    const char *category);
const char *mx_sx_verdict_name(enum mx_sx_verdict v);

/* What a profile change does to existing records (§1.7): before 11.3
 * nothing (profiles affect later requests only); from 11.3 state changes
 * at once.  After 11.6.4 the rule continues (Q3, docs/sysext.md). */
bool mx_sx_profiles_change_state(mx_version os);
/* Whether an app's deactivation (or the Finder deletion of its app) of
 * this extension needs an administrator: everything not listed in
 * RemovableSystemExtensions (12.0.1+); Finder deletion always asks. */
bool mx_sx_unload_needs_admin(const mx_sxpolicy *p, mx_version os, const char *team,
    const char *bundle, bool via_finder);

/* ---- least privilege (§4) ---- */
/* The entitlement a category requires on the extension (NULL: none). */
const char *mx_sx_required_entitlement(const char *category);
/* Whether an extension of category may carry entitlement key: its own
 * category's keys and the common ones (application identifier, team,
 * app groups, keychain groups, hardened-runtime exceptions, redistributable). */
bool mx_sx_entitlement_allowed(const char *category, const char *key);

/* ---- the activation checks, in sysextd's order (§2.6 a) ---- */
typedef struct mx_sx_facts {
	/* where */
	bool ext_found;               /* <id>.systemextension|.dext in Contents/Library/SystemExtensions */
	bool ext_has_identifier;      /* its Info.plist has CFBundleIdentifier */
	bool ext_name_matches;        /* file name == CFBundleIdentifier + suffix */
	bool app_in_applications;
	bool developer_mode;
	bool sip_enabled;
	/* signatures */
	bool app_sig_valid, ext_sig_valid;  /* Developer ID / Apple, intact, trusted */
	const char *app_sig_reason, *ext_sig_reason;
	bool app_install_entitlement; /* com.apple.developer.system-extension.install */
	const char *app_team, *ext_team;
	bool ext_redistributable;     /* com.apple.developer.system-extension.redistributable */
	/* the extension */
	const char *category;         /* "" when the bundle names none */
	bool cat_ent_value_ok;        /* the category entitlement grants the system-extension form
	                               * (NE: a "...-systemextension" value) */
	const char *const *entitlements;   /* the extension's entitlement keys */
	size_t nentitlements;
	bool has_usage_description;   /* NSSystemExtensionUsageDescription / OSBundleUsageDescription */
	bool is_dext;
	const char *bundle_version;   /* CFBundleVersion */
} mx_sx_facts;
/* The checks up to staging, in order: 4 not found, 5 missing identifier,
 * 3 outside /Applications (unless developer mode), 8 signature (not while
 * SIP is disabled), 2 install entitlement, 2 category entitlement,
 * 8 Team ID mismatch, 7 unknown category.  0 when the request may stage. */
int mx_sx_check_request(const mx_sx_facts *f, mx_err *err);
/* validating_by_category: 9 for a missing usage description, a dext
 * version that is not a kext version, or entitlements beyond the
 * category (least privilege).  0 when valid. */
int mx_sx_check_category(const mx_sx_facts *f, mx_err *err);
/* A dext CFBundleVersion: up to three dot-separated numbers, first <= 65535,
 * others <= 99 (§2.9). */
bool mx_sx_kext_version_valid(const char *v);

/* ---- what a new activation request does to existing records (§2.6 b) ---- */
typedef struct mx_sx_exist {
	const char *identifier, *team, *version, *short_version, *app_id;
	enum mx_sx_state state;
} mx_sx_exist;
enum mx_sx_plan {
	MX_SXP_NEW,               /* no live record: stage a new one */
	MX_SXP_NOOP,              /* same versions, enabled: succeeds at once */
	MX_SXP_RETRY,             /* same versions, pending: supersedes the pending request */
	MX_SXP_REPLACE,           /* different version (or developer mode): delegate said replace */
};
/* Looks at the live records of the same identifier.  Fails with 6 when one
 * belongs to another team or app, 11 when the delegate cancels a
 * replacement.  *which is the index of the record concerned (or -1). */
int mx_sx_plan_request(const mx_sx_exist *recs, size_t n, const char *identifier,
    const char *team, const char *app_id, const char *version, const char *short_version,
    bool developer_mode, bool delegate_replaces, enum mx_sx_plan *out, int *which, mx_err *err);
const char *mx_sx_plan_name(enum mx_sx_plan p);

/* Whether stopping an extension of this category outlives the request
 * (a running network provider): the request then completes with
 * willCompleteAfterReboot (§2.6 b, c).  [INF] network only. */
bool mx_sx_stop_deferred(const char *category);

/* ---- a db.plist record (§2.3); the store keeps one row per record ---- */
typedef struct mx_sx_rec {
	char unique_id[40];            /* uniqueID: also the staging directory name */
	int64_t seq;                   /* creation order (list order within a category) */
	char identifier[256];          /* CFBundleIdentifier */
	char team_id[32];              /* "" when unsigned (SIP off) */
	char version[64];              /* CFBundleVersion */
	char short_version[64];        /* CFBundleShortVersionString */
	char name[256];                /* CFBundleName (the list's name column) */
	char developer[256];           /* signer's organisation, for the alert */
	char category[80];
	enum mx_sx_state state;
	char approval[8];              /* "mdm", "user" or "" (not approved) */
	char origin_path[1024];        /* the extension inside the app */
	char container[1024];          /* the app's bundlePath */
	char app_id[256];              /* the app's bundle id (references[0].appIdentifier) */
	char staged_path[1024];        /* /Library/SystemExtensions/<uuid>/<id>.<ext> */
	char cdhashes[1024];           /* JSON: cdhash -> {cputype, cpusubtype} */
	char entitlements[4096];       /* JSON array: the entitlements granted at activation */
	int64_t created_at;
} mx_sx_rec;

#endif
