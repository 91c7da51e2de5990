/*
 * kext.h — kernel extensions on macOS 11+: the merged
 * com.apple.syspolicy.kernel-extension-policy (KextPolicy's MDM rules), the
 * per-kext state machine (DESIGN.md states), who may approve by enrolment
 * type, and the pure decisions kernelmanagerd/syspolicyd take on a load
 * attempt, an approval and an AuxKC rebuild.
 *
 * Pure: no stdio, no clock, no files.  The engine (src/engine/kext*.c) reads
 * bundles and signatures, calls these, and applies the results.
 * Spec: docs/reference/kernel-extensions.md §1-§3, §5, §7; the seed's two
 * kext tables.
 */
#ifndef MACEXT_KEXT_H
#define MACEXT_KEXT_H

#include <stdbool.h>
#include <stdint.h>

#include <plist/plist.h>

#include "macext/core.h"
#include "macext/err.h"

#define MX_KEXT_POLICY_TYPE "com.apple.syspolicy.kernel-extension-policy"

/* ---- the merged MDM policy ---- */

typedef struct mx_kext_rule {
	/* borrowed from the policy that holds the rule, valid until it is freed */
	const char *team_id;        /* "" = unsigned kexts (the empty key); < 32 bytes */
	const char *bundle_id;      /* "" = every kext of team_id (AllowedTeamIdentifiers); < 256 */
	const char *payload_uuid;   /* the first payload naming it */
} mx_kext_rule;

struct mx_kext_index;
typedef struct mx_kext_policy {
	int npayloads;              /* kernel-extension-policy payloads merged */
	int overrides_true, overrides_false;        /* payloads setting AllowUserOverrides */
	int nonadmin_true, nonadmin_false;          /* ... AllowNonAdminUserApprovals */
	/* the rules in merge order and the teams limited to listed bundles;
	 * merging appends, the (team, bundle) index is built when lookups
	 * need it, so a merge nothing asks about costs no hashing (issue 14
	 * §8).  Owned, freed by mx_kext_policy_free; a policy is not copied
	 * by value, and is one thread's (lookups may build the index). */
	struct mx_kext_index *ix;
} mx_kext_policy;

void mx_kext_policy_init(mx_kext_policy *p);
void mx_kext_policy_free(mx_kext_policy *p);
/* Checks one payload dict (every key's type; Team IDs strings; bundle-ID
 * arrays of strings) and merges it into p.  On error p is unchanged and
 * err->where names the key path. */
int mx_kext_policy_add(mx_kext_policy *p, plist_t payload, const char *payload_uuid,
    mx_err *err);
/* Merge rule (kernel-extension-policy has none documented, §1.3/Q14; we take
 * the sibling payload's: false if any payload has it false): each payload's
 * value is its key or the default (false for both), and the relaxing
 * booleans are ANDed, so one payload without the key keeps them false. */
bool mx_kext_policy_user_overrides(const mx_kext_policy *p);
bool mx_kext_policy_nonadmin_approvals(const mx_kext_policy *p);

/* Does the MDM policy allow (team_id, bundle_id)?  team_id "" = unsigned or
 * ad-hoc.  Q1: a team that is a key of AllowedKernelExtensions is limited to
 * the bundle IDs listed there; AllowedTeamIdentifiers covers validly signed
 * kexts (signed_ok) of a team not so limited.  *rule (may be NULL) gets the
 * rule that matched. */
bool mx_kext_policy_allows(const mx_kext_policy *p, const char *team_id, const char *bundle_id,
    bool signed_ok, const mx_kext_rule **rule);
/* The distinct rules, in merge order (the first payload naming a (team,
 * bundle) keeps it): how many, and rule i of them (borrowed). */
size_t mx_kext_policy_count(const mx_kext_policy *p);
const mx_kext_rule *mx_kext_policy_rule(const mx_kext_policy *p, size_t i);

/* ---- one kext ---- */

enum mx_kext_state {
	MX_KEXT_INSTALLED,
	MX_KEXT_BLOCKED_BY_SECURITY_POLICY,
	MX_KEXT_AWAITING_USER_APPROVAL,
	MX_KEXT_AWAITING_RESTART,
	MX_KEXT_LOADED,
	MX_KEXT_REJECTED_SIGNATURE,
	MX_KEXT_REJECTED_BY_POLICY,
	MX_KEXT_REMOVED_AWAITING_RESTART,
};
enum mx_kext_approval { MX_KAPPROVAL_NONE, MX_KAPPROVAL_USER, MX_KAPPROVAL_MDM,
	MX_KAPPROVAL_CONSENT };
/* Signature kinds as the kext code sees them (codesign.h's mx_sigkind names). */
enum mx_kext_sig { MX_KSIG_DEVID_KEXT, MX_KSIG_DEVID, MX_KSIG_APPLE, MX_KSIG_ADHOC,
	MX_KSIG_UNSIGNED, MX_KSIG_UNTRUSTED, MX_KSIG_INVALID };

typedef struct mx_kext {
	char bundle_id[256];
	char team_id[32];            /* "" for unsigned / ad-hoc */
	char version[64];
	char path[1024];             /* device path, /Library/Extensions/X.kext */
	char hash[65];               /* CAS hash of the bundle tree */
	char cdhash[41];             /* "" when unsigned */
	char developer_name[256];    /* leaf CN's name part, or "Unidentified - <name>" */
	enum mx_kext_sig sig;
	bool requirement_met;        /* the §5.1 kext requirement */
	bool codeless;
	bool apple_auxiliary;        /* com.apple.* with OSBundleRequired = Auxiliary */
	bool has_arch;               /* the native slice for the device (arm64e / x86_64) */
	bool load_requested;         /* a load attempt was made (kernelmanagerd "discovered") */
	enum mx_kext_state state;
	enum mx_kext_approval approval;
	bool in_auxkc;               /* this version is in the AuxKC the device booted with */
	/* an update installed over a kext in the AuxKC: the old version keeps
	 * running (and stays in rebuilt AuxKCs) until the update is approved
	 * and built (§3.3 step 9); "" when there is none */
	char running_version[64];
	char running_cdhash[41];
	char running_hash[65];       /* CAS hash of the old bundle */
	int64_t installed_at;
} mx_kext;

const char *mx_kext_state_name(enum mx_kext_state s);
const char *mx_kext_approval_name(enum mx_kext_approval a);
const char *mx_kext_sig_name(enum mx_kext_sig s);
int mx_kext_state_parse(enum mx_kext_state *out, const char *s, mx_err *err);
int mx_kext_approval_parse(enum mx_kext_approval *out, const char *s, mx_err *err);
int mx_kext_sig_parse(enum mx_kext_sig *out, const char *s, mx_err *err);

/* Intel-only NVRAM consent (spctl kext-consent): enabled + Team IDs. */
typedef struct mx_kext_consent {
	bool disabled;               /* `spctl kext-consent disable` */
	int nteams;
	char teams[16][32];
} mx_kext_consent;

/* Everything a decision depends on besides the kext itself. */
typedef struct mx_kext_ctx {
	const mx_device *dev;
	const mx_kext_policy *policy;   /* merged payloads (may have npayloads 0) */
	const mx_kext_consent *consent; /* may be NULL */
	bool user_approved;             /* a kext_policy row with allowed = 1 */
	bool gate_ok;                   /* Apple silicon LocalPolicy allows third-party kexts
	                                   (boot.h's gate; always true on Intel) */
} mx_kext_ctx;

/* macOS before 11 (10.13-10.15): User-Approved Kernel Extension Loading
 * without kernelmanagerd.  There is no AuxKC and no restart: an approved kext
 * loads on demand (kextload), any user may approve (TN2459/HT208019: "any
 * user, even a non-admin" on 10.13; the administrator rule and
 * AllowNonAdminUserApprovals arrive with 11.0), and kmutil does not exist.
 * SIP still enforces the kext signature. */
bool mx_kext_legacy(const mx_device *d);

/* Does the signature pass where it must?  With SIP's kext signing enforced
 * (no CSR_ALLOW_UNTRUSTED_KEXTS) a third-party kext needs the Developer ID
 * kext requirement (§5.1); an Apple-prefixed one needs an Apple signature.
 * Without enforcement any signature (or none) passes. */
bool mx_kext_signature_ok(const mx_device *d, const mx_kext *k);

/* Where an approval comes from now, in the order of §7.2: MDM (team, bundle)
 * or team rule, then a user approval, then the Intel consent list. */
enum mx_kext_approval mx_kext_approval_source(const mx_kext_ctx *c, const mx_kext *k);

/* May a user approve k in System Settings?  Apple silicon needs the gate
 * first; installed kext-policy payloads forbid it unless AllowUserOverrides.
 * need_admin tells whether an administrator must authenticate
 * (AllowNonAdminUserApprovals lifts it; before 11 any user may approve).  Fails with MX_ESTATE or
 * MX_EDENIED and macOS's reason. */
int mx_kext_user_may_approve(const mx_kext_ctx *c, const mx_kext *k, bool *need_admin,
    mx_err *err);

/* The outcome of `kmutil load`: */
enum mx_kext_load_result {
	MX_KLOAD_OK,               /* already loaded, or started from the AuxKC / codeless;
	                              before 11: any approved kext, on demand */
	MX_KLOAD_NEEDS_APPROVAL,   /* exit 27 */
	MX_KLOAD_NEEDS_REBOOT,     /* exit 28 (never before macOS 11) */
	MX_KLOAD_REJECTED,         /* signature, architecture or removed: exit 1 */
};
/* Decides a load attempt and moves k to its next state (k->state,
 * k->approval, k->load_requested).  Pure.  The caller shows the alert the
 * new state asks for. */
enum mx_kext_load_result mx_kext_load(const mx_kext_ctx *c, mx_kext *k);
/* Re-evaluates a waiting kext after the policy or approvals changed (a
 * profile installed or removed, the user clicked Allow): moves between
 * awaiting_user_approval, rejected_by_policy, awaiting_restart and (codeless)
 * loaded; before 11 an approved kext becomes installed (loadable on demand).  Kexts not waiting are left alone.  Returns true if k changed. */
bool mx_kext_reevaluate(const mx_kext_ctx *c, mx_kext *k);
/* Should k go into the AuxKC built now?  rebuild from a restart that
 * rebuilds the kernel cache; kext_paths non-NULL when MDM named KextPaths
 * (kexts never load-attempted are added only when named).  *why gets the
 * reason when it is left out. */
bool mx_kext_include_in_auxkc(const mx_kext_ctx *c, const mx_kext *k, bool named_in_paths,
    const char **why);

/* The developer name shown in alerts: from "Developer ID Application: NAME
 * (TEAM)" → NAME; unsigned/ad-hoc → "Unidentified - <bundle name>". */
void mx_kext_developer_name(char *out, size_t len, const char *signer_cn,
    const char *bundle_name);

/* Darwin kernel version of a macOS version (11.4 → 20.5.0), for the
 * kernel pseudo-kexts kmutil showloaded lists. [INF] */
void mx_kext_darwin_version(mx_version os, char *out, size_t len);

#endif
