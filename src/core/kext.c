/*
 * kext.c — the kernel-extension policy core: merging
 * com.apple.syspolicy.kernel-extension-policy payloads, matching a kext
 * against them, and the per-kext state machine of kernelmanagerd and
 * syspolicyd on macOS 11+ (kernel-extensions.md §1-§3, §5, §7).
 *
 *   installed --load--> blocked_by_security_policy   (Apple silicon gate closed)
 *                    -> rejected_signature          (SIP on, §5.1 requirement unmet)
 *                    -> awaiting_user_approval      (no approval; user may approve; exit 27)
 *                    -> rejected_by_policy          (no approval; profiles forbid it; exit 27)
 *                    -> awaiting_restart            (approved, not in the AuxKC; exit 28)
 *                    -> loaded                      (codeless: approval, no restart)
 *   awaiting_restart --restart rebuilding the AuxKC--> loaded
 *   loaded --bundle deleted--> removed_awaiting_restart --restart--> (gone)
 *
 * Before macOS 11 (mx_kext_legacy: 10.13 UAKEL through 10.15) there is no
 * AuxKC: an approved kext goes straight to loaded (kextload loads it on
 * demand, TN2459), and any user may click Allow.
 *
 * Pure: no stdio, no clock, no files.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "macext/kext.h"
#include "macext/plist_util.h"
#include "macext/strmap.h"

/* ---- the merged policy ---- */

struct mx_kext_index {
	mx_kext_rule *rules;    /* in merge order; repeats too until deduped */
	size_t n, cap;
	mx_arena strings;       /* every rule's "TEAM\0BUNDLE\0", the payloads' UUIDs */
	mx_strmap uuids;        /* payload UUID -> its copy in strings */
	mx_strmap limited;      /* teams with a bundle-ID rule (AllowedKernelExtensions keys) */
	/* built at the first lookup past SCAN_LOOKUPS, or when the rules are
	 * listed: "TEAM\0BUNDLE" -> index in rules, which are then distinct */
	mx_strmap index;
	bool indexed;
	unsigned scans;         /* lookups answered by a scan so far */
};

/* A rule's strings are cut to what a KextPolicy record keeps (the payload
 * checks refuse longer ones before any is merged). */
#define TEAM_MAX 31
#define BUNDLE_MAX 255
#define UUID_MAX 63
/* A device's few kexts are looked up by scanning the rules (one pass, no
 * hashing); more lookups than this pay for the index once. */
#define SCAN_LOOKUPS 8

void
mx_kext_policy_init(mx_kext_policy *p)
{
	memset(p, 0, sizeof *p);
}

void
mx_kext_policy_free(mx_kext_policy *p)
{
	if (p == NULL)
		return;
	if (p->ix != NULL) {
		free(p->ix->rules);
		mx_arena_free(&p->ix->strings);
		mx_strmap_free(&p->ix->uuids);
		mx_strmap_free(&p->ix->limited);
		mx_strmap_free(&p->ix->index);
		free(p->ix);
	}
	memset(p, 0, sizeof *p);
}

static struct mx_kext_index *
index_of(mx_kext_policy *p)
{
	if (p->ix == NULL) {
		p->ix = mx_xcalloc(1, sizeof *p->ix);
		mx_strmap_init(&p->ix->uuids);
		mx_strmap_init(&p->ix->limited);
		mx_strmap_init(&p->ix->index);
	}
	return p->ix;
}

/* Room for n more rules. */
static void
rules_reserve(struct mx_kext_index *ix, size_t n)
{
	if (ix->n + n <= ix->cap)
		return;
	size_t cap = ix->cap ? ix->cap : 8;
	while (cap < ix->n + n)
		cap *= 2;
	ix->rules = mx_xrealloc(ix->rules, cap * sizeof *ix->rules);
	ix->cap = cap;
}

/* Appends (team, bundle) for the payload whose UUID (kept) is uuid; a
 * repeat is dropped when the index is built, or found second by a scan:
 * either way the first payload naming it keeps it. */
static void
add_rule(struct mx_kext_index *ix, const char *team, const char *bundle, const char *uuid)
{
	char key[TEAM_MAX + BUNDLE_MAX + 2];
	size_t tl = strnlen(team, TEAM_MAX), bl = strnlen(bundle, BUNDLE_MAX);
	memcpy(key, team, tl);
	key[tl] = '\0';
	memcpy(key + tl + 1, bundle, bl);
	const char *k = mx_arena_copy(&ix->strings, key, tl + 1 + bl);
	rules_reserve(ix, 1);
	ix->rules[ix->n++] = (mx_kext_rule){ k, k + tl + 1, uuid };
	if (ix->indexed && !mx_strmap_add(&ix->index, k, tl + bl + 2, (int64_t)(ix->n - 1), NULL))
		ix->n--;        /* indexed already: a repeat never enters */
}

/* The payload's UUID as the policy keeps it: the set's copy, one per
 * payload. */
static const char *
keep_uuid(struct mx_kext_index *ix, const char *uuid)
{
	const char *u = uuid ? uuid : "";
	int64_t at = (int64_t)mx_strmap_count(&ix->uuids);
	mx_strmap_add(&ix->uuids, u, strnlen(u, UUID_MAX), at, &at);
	return mx_strmap_at(&ix->uuids, (size_t)at)->k;
}

/* The index, built once: repeats dropped (the first kept), rules distinct. */
static void
index_build(struct mx_kext_index *ix)
{
	if (ix->indexed)
		return;
	mx_strmap_reserve(&ix->index, ix->n);
	size_t w = 0;
	for (size_t i = 0; i < ix->n; i++) {
		mx_kext_rule r = ix->rules[i];
		size_t kl = (size_t)(r.bundle_id - r.team_id) + strlen(r.bundle_id) + 1;
		if (mx_strmap_add(&ix->index, r.team_id, kl, (int64_t)w, NULL))
			ix->rules[w++] = r;
	}
	ix->n = w;
	ix->indexed = true;
}

/* The rule for (team, bundle) exactly, or NULL. */
static const mx_kext_rule *
rule_find(const mx_kext_policy *p, const char *team, const char *bundle)
{
	struct mx_kext_index *ix = p->ix;
	size_t tl = strnlen(team, TEAM_MAX + 1), bl = strnlen(bundle, BUNDLE_MAX + 1);
	if (ix == NULL || tl > TEAM_MAX || bl > BUNDLE_MAX)
		return NULL;
	if (!ix->indexed && ix->scans < SCAN_LOOKUPS) {
		ix->scans++;
		for (size_t i = 0; i < ix->n; i++) {
			const mx_kext_rule *r = &ix->rules[i];
			if ((size_t)(r->bundle_id - r->team_id) == tl + 1 &&
			    memcmp(r->team_id, team, tl) == 0 && strcmp(r->bundle_id, bundle) == 0)
				return r;
		}
		return NULL;
	}
	index_build(ix);
	char key[TEAM_MAX + BUNDLE_MAX + 2];
	memcpy(key, team, tl);
	key[tl] = '\0';
	memcpy(key + tl + 1, bundle, bl);
	key[tl + 1 + bl] = '\0';
	int64_t at;
	if (!mx_strmap_get(&ix->index, key, tl + bl + 2, &at))
		return NULL;
	return &ix->rules[at];
}

size_t
mx_kext_policy_count(const mx_kext_policy *p)
{
	if (p->ix == NULL)
		return 0;
	index_build(p->ix);
	return p->ix->n;
}

const mx_kext_rule *
mx_kext_policy_rule(const mx_kext_policy *p, size_t i)
{
	return i < mx_kext_policy_count(p) ? &p->ix->rules[i] : NULL;
}

static int
get_bool(plist_t payload, const char *key, int *out, mx_err *err)
{
	plist_t n = plist_dict_get_item(payload, key);
	*out = -1;
	if (n == NULL)
		return 0;
	if (plist_get_node_type(n) != PLIST_BOOLEAN) {
		mx_fail(err, MX_EINVALID, MX_NO_OFFSET, __FILE__, __LINE__,
		    "expected boolean, got %s", mx_plist_type_name(n));
		snprintf(err->where, sizeof err->where, "%s", key);
		return MX_EINVALID;
	}
	uint8_t b = 0;
	plist_get_bool_val(n, &b);
	*out = b ? 1 : 0;
	return 0;
}

static int
fail_at(mx_err *err, const char *where, const char *fmt, const char *arg)
{
	mx_fail(err, MX_EINVALID, MX_NO_OFFSET, __FILE__, __LINE__, fmt, arg);
	snprintf(err->where, sizeof err->where, "%s", where);
	return MX_EINVALID;
}

/* A Team ID as the payload may carry it: up to 31 printable characters
 * (MDM vendors require 10 uppercase alphanumerics; Apple's schema states no
 * format, so we only refuse what could not be one). */
static bool
team_ok(const char *s)
{
	size_t n = strlen(s);
	if (n >= 32)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

int
mx_kext_policy_add(mx_kext_policy *p, plist_t payload, const char *payload_uuid, mx_err *err)
{
	if (payload == NULL || plist_get_node_type(payload) != PLIST_DICT)
		return fail_at(err, "payload", "expected dictionary, got %s",
		    payload ? mx_plist_type_name(payload) : "nothing");
	int ov, na, rc;
	if ((rc = get_bool(payload, "AllowUserOverrides", &ov, err)) ||
	    (rc = get_bool(payload, "AllowNonAdminUserApprovals", &na, err)))
		return rc;
	char where[320];
	/* validate everything before touching p: no half-merged policy */
	plist_t teams = plist_dict_get_item(payload, "AllowedTeamIdentifiers");
	if (teams && plist_get_node_type(teams) != PLIST_ARRAY)
		return fail_at(err, "AllowedTeamIdentifiers", "expected array, got %s", mx_plist_type_name(teams));
	/* arrays are walked with iterators: an array read from a binary
	 * plist has no index in libplist 2.2, so item i costs i steps */
	uint32_t nt = teams ? plist_array_get_size(teams) : 0;
	plist_array_iter ai = NULL;
	if (teams)
		plist_array_new_iter(teams, &ai);
	for (uint32_t i = 0; i < nt; i++) {
		plist_t t = NULL;
		plist_array_next_item(teams, ai, &t);
		if (t == NULL || plist_get_node_type(t) != PLIST_STRING) {
			free(ai);
			snprintf(where, sizeof where, "AllowedTeamIdentifiers[%u]", i);
			return fail_at(err, where, "expected string, got %s", mx_plist_type_name(t));
		}
		const char *s = plist_get_string_ptr(t, NULL);
		if (s == NULL || s[0] == '\0' || !team_ok(s)) {
			free(ai);
			snprintf(where, sizeof where, "AllowedTeamIdentifiers[%u]", i);
			return fail_at(err, where, "not a Team ID: '%s'", s ? s : "");
		}
	}
	free(ai);
	plist_t kexts = plist_dict_get_item(payload, "AllowedKernelExtensions");
	if (kexts && plist_get_node_type(kexts) != PLIST_DICT)
		return fail_at(err, "AllowedKernelExtensions", "expected dictionary, got %s",
		    mx_plist_type_name(kexts));
	plist_dict_iter it = NULL;
	size_t total = nt;      /* rules this payload names, duplicates included */
	if (kexts) {
		plist_dict_new_iter(kexts, &it);
		for (;;) {
			char *key = NULL;
			plist_t v = NULL;
			plist_dict_next_item(kexts, it, &key, &v);
			if (key == NULL)
				break;
			snprintf(where, sizeof where, "AllowedKernelExtensions.%s", key);
			int bad = !team_ok(key);
			free(key);
			if (bad) {
				free(it);
				return fail_at(err, where, "not a Team ID%s", "");
			}
			if (plist_get_node_type(v) != PLIST_ARRAY) {
				free(it);
				return fail_at(err, where, "expected array, got %s", mx_plist_type_name(v));
			}
			uint32_t nb = plist_array_get_size(v);
			total += nb;
			plist_array_iter bi = NULL;
			plist_array_new_iter(v, &bi);
			for (uint32_t i = 0; i < nb; i++) {
				plist_t b = NULL;
				plist_array_next_item(v, bi, &b);
				const char *s = b && plist_get_node_type(b) == PLIST_STRING ?
				    plist_get_string_ptr(b, NULL) : NULL;
				if (s == NULL || s[0] == '\0' || strlen(s) >= 256) {
					size_t wl = strlen(where);
					snprintf(where + wl, sizeof where - wl, "[%u]", i);
					free(bi);
					free(it);
					if (s != NULL) {
						/* empty, or longer than a policy record keeps: refused
						 * here, never cut there (issue 14 §9) */
						char got[48];
						snprintf(got, sizeof got, "%zu bytes", strlen(s));
						return fail_at(err, where, "expected a bundle identifier of 1 "
						    "to 255 bytes, got %s", got);
					}
					return fail_at(err, where, "expected a bundle identifier, got %s",
					    mx_plist_type_name(b));
				}
			}
			free(bi);
		}
		free(it);
	}
	/* merge */
	p->npayloads++;
	if (ov == 1) p->overrides_true++;
	if (ov == 0) p->overrides_false++;
	if (na == 1) p->nonadmin_true++;
	if (na == 0) p->nonadmin_false++;
	struct mx_kext_index *ix = index_of(p);
	rules_reserve(ix, total);
	const char *uuid = keep_uuid(ix, payload_uuid);
	if (teams) {
		plist_array_new_iter(teams, &ai);
		for (uint32_t i = 0; i < nt; i++) {
			plist_t t = NULL;
			plist_array_next_item(teams, ai, &t);
			add_rule(ix, plist_get_string_ptr(t, NULL), "", uuid);
		}
		free(ai);
	}
	if (kexts) {
		plist_dict_new_iter(kexts, &it);
		for (;;) {
			char *key = NULL;
			plist_t v = NULL;
			plist_dict_next_item(kexts, it, &key, &v);
			if (key == NULL)
				break;
			uint32_t nb = plist_array_get_size(v);
			plist_array_iter bi = NULL;
			plist_array_new_iter(v, &bi);
			for (uint32_t i = 0; i < nb; i++) {
				plist_t b = NULL;
				plist_array_next_item(v, bi, &b);
				add_rule(ix, key, plist_get_string_ptr(b, NULL), uuid);
			}
			free(bi);
			/* a key of AllowedKernelExtensions limits its team to the
			 * bundles it lists (Q1); one with an empty list adds no rule
			 * and limits nothing */
			if (nb > 0)
				mx_strmap_add(&ix->limited, key, strnlen(key, TEAM_MAX), 1, NULL);
			free(key);
		}
		free(it);
	}
	return 0;
}

bool
mx_kext_policy_user_overrides(const mx_kext_policy *p)
{
	return p->npayloads > 0 && p->overrides_true == p->npayloads;
}

bool
mx_kext_policy_nonadmin_approvals(const mx_kext_policy *p)
{
	return p->npayloads > 0 && p->nonadmin_true == p->npayloads;
}

bool
mx_kext_policy_allows(const mx_kext_policy *p, const char *team_id, const char *bundle_id,
    bool signed_ok, const mx_kext_rule **rule)
{
	if (rule)
		*rule = NULL;
	/* a named kext: a named unsigned kext ("" key) needs no signature; a
	 * named signed one needs its Team ID, which signing gave */
	const mx_kext_rule *r = bundle_id[0] != '\0' ? rule_find(p, team_id, bundle_id) : NULL;
	if (r != NULL) {
		if (rule)
			*rule = r;
		return true;
	}
	/* AllowedTeamIdentifiers: "Team IDs whose validly signed kexts may
	 * load", unless the team is a key of AllowedKernelExtensions (Q1) */
	bool team_limited = p->ix != NULL && mx_strmap_has_str(&p->ix->limited, team_id);
	const mx_kext_rule *team_rule = rule_find(p, team_id, "");
	if (team_rule && !team_limited && team_id[0] != '\0' && signed_ok) {
		if (rule)
			*rule = team_rule;
		return true;
	}
	return false;
}

/* ---- names ---- */

static const char *const state_names[] = {
	"installed", "blocked_by_security_policy", "awaiting_user_approval", "awaiting_restart",
	"loaded", "rejected_signature", "rejected_by_policy", "removed_awaiting_restart",
};
static const char *const approval_names[] = { "none", "user", "mdm", "consent" };
static const char *const sig_names[] = { "developer-id-kext", "developer-id", "apple", "adhoc",
	"unsigned", "untrusted", "invalid" };

const char *mx_kext_state_name(enum mx_kext_state s) { return state_names[s]; }
const char *mx_kext_approval_name(enum mx_kext_approval a) { return approval_names[a]; }
const char *mx_kext_sig_name(enum mx_kext_sig s) { return sig_names[s]; }

static int
parse_name(int *out, const char *const *names, int n, const char *s, const char *what,
    mx_err *err)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0) {
			*out = i;
			return 0;
		}
	return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "unknown kext %s '%s'", what, s);
}

int
mx_kext_state_parse(enum mx_kext_state *out, const char *s, mx_err *err)
{
	int v = 0, rc = parse_name(&v, state_names, 8, s, "state", err);
	if (rc == 0)
		*out = (enum mx_kext_state)v;
	return rc;
}

int
mx_kext_approval_parse(enum mx_kext_approval *out, const char *s, mx_err *err)
{
	int v = 0, rc = parse_name(&v, approval_names, 4, s, "approval", err);
	if (rc == 0)
		*out = (enum mx_kext_approval)v;
	return rc;
}

int
mx_kext_sig_parse(enum mx_kext_sig *out, const char *s, mx_err *err)
{
	int v = 0, rc = parse_name(&v, sig_names, 7, s, "signature", err);
	if (rc == 0)
		*out = (enum mx_kext_sig)v;
	return rc;
}

/* ---- decisions ---- */

static bool
apple_prefixed(const char *id)
{
	return strncmp(id, "com.apple.", 10) == 0;
}

bool
mx_kext_legacy(const mx_device *d)
{
	return !mx_version_at_least(d->os, 11, 0, 0);
}

bool
mx_kext_signature_ok(const mx_device *d, const mx_kext *k)
{
	if (!mx_device_kext_signing_enforced(d))
		return true;   /* CSR_ALLOW_UNTRUSTED_KEXTS: "Kext with invalid signature allowed" */
	if (apple_prefixed(k->bundle_id))
		return k->sig == MX_KSIG_APPLE;
	return k->sig == MX_KSIG_DEVID_KEXT && k->requirement_met;
}

static bool
consent_allows(const mx_kext_ctx *c, const mx_kext *k)
{
	/* spctl kext-consent is Intel NVRAM state (Q5: nothing on Apple silicon) */
	if (c->consent == NULL || c->dev->arch != MX_ARCH_X86_64 || k->team_id[0] == '\0')
		return false;
	if (c->consent->disabled)
		return true;
	for (int i = 0; i < c->consent->nteams && i < 16; i++)
		if (strcmp(c->consent->teams[i], k->team_id) == 0)
			return true;
	return false;
}

enum mx_kext_approval
mx_kext_approval_source(const mx_kext_ctx *c, const mx_kext *k)
{
	bool signed_ok = k->sig == MX_KSIG_DEVID_KEXT || k->sig == MX_KSIG_DEVID ||
	    k->sig == MX_KSIG_APPLE;
	if (c->policy && mx_kext_policy_allows(c->policy, k->team_id, k->bundle_id, signed_ok, NULL))
		return MX_KAPPROVAL_MDM;
	if (c->user_approved)
		return MX_KAPPROVAL_USER;
	if (consent_allows(c, k))
		return MX_KAPPROVAL_CONSENT;
	return MX_KAPPROVAL_NONE;
}

int
mx_kext_user_may_approve(const mx_kext_ctx *c, const mx_kext *k, bool *need_admin, mx_err *err)
{
	*need_admin = true;
	if (!c->gate_ok)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET,
		    "%s: system extensions are not enabled in this Mac's security policy: shut down,"
		    " press and hold the power button, and in Startup Security Utility allow user"
		    " management of kernel extensions from identified developers", k->bundle_id);
	/* AllowUserOverrides (default false): with kernel-extension payloads
	 * installed, users may approve only what a profile allows */
	if (c->policy && c->policy->npayloads > 0 && !mx_kext_policy_user_overrides(c->policy))
		return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
		    "%s: your organization's kernel extension policy does not allow users to"
		    " approve this extension (AllowUserOverrides is false)", k->bundle_id);
	/* 10.13: "any user, even a non-admin" (HT208019); the admin rule and
	 * AllowNonAdminUserApprovals are 11.0 (kernel-extensions.md §2.4) */
	if (mx_kext_legacy(c->dev) ||
	    (c->policy && mx_kext_policy_nonadmin_approvals(c->policy)))
		*need_admin = false;
	return 0;
}

static bool
user_can_approve(const mx_kext_ctx *c, const mx_kext *k)
{
	bool na;
	mx_err e;
	mx_err_clear(&e);
	return mx_kext_user_may_approve(c, k, &na, &e) == 0;
}

/* The state a kext waits in when it is not (yet) loadable.  loading: a load
 * request is being answered (before 11 an approved kext then loads; an
 * approval given later only makes it loadable: installed). */
static void
waiting_state(const mx_kext_ctx *c, mx_kext *k, bool loading)
{
	if (!c->gate_ok) {
		k->state = MX_KEXT_BLOCKED_BY_SECURITY_POLICY;
		k->approval = MX_KAPPROVAL_NONE;
		return;
	}
	k->approval = mx_kext_approval_source(c, k);
	if (k->approval != MX_KAPPROVAL_NONE && mx_kext_legacy(c->dev))
		k->state = loading ? MX_KEXT_LOADED : MX_KEXT_INSTALLED;
	else if (k->approval != MX_KAPPROVAL_NONE)
		k->state = (k->codeless || k->in_auxkc) ? MX_KEXT_LOADED : MX_KEXT_AWAITING_RESTART;
	else
		k->state = user_can_approve(c, k) ? MX_KEXT_AWAITING_USER_APPROVAL :
		    MX_KEXT_REJECTED_BY_POLICY;
}

enum mx_kext_load_result
mx_kext_load(const mx_kext_ctx *c, mx_kext *k)
{
	if (k->state == MX_KEXT_LOADED)
		return MX_KLOAD_OK;
	if (k->state == MX_KEXT_REMOVED_AWAITING_RESTART)
		return MX_KLOAD_REJECTED;
	k->load_requested = true;
	if (!k->has_arch || (apple_prefixed(k->bundle_id) && !k->apple_auxiliary))
		return MX_KLOAD_REJECTED;
	/* staging validation: the signature before any policy question */
	if (!mx_kext_signature_ok(c->dev, k)) {
		k->state = MX_KEXT_REJECTED_SIGNATURE;
		k->approval = MX_KAPPROVAL_NONE;
		return MX_KLOAD_REJECTED;
	}
	waiting_state(c, k, true);
	switch (k->state) {
	case MX_KEXT_LOADED: return MX_KLOAD_OK;
	case MX_KEXT_AWAITING_RESTART: return MX_KLOAD_NEEDS_REBOOT;
	default: return MX_KLOAD_NEEDS_APPROVAL;
	}
}

bool
mx_kext_reevaluate(const mx_kext_ctx *c, mx_kext *k)
{
	switch (k->state) {
	case MX_KEXT_BLOCKED_BY_SECURITY_POLICY:
	case MX_KEXT_AWAITING_USER_APPROVAL:
	case MX_KEXT_AWAITING_RESTART:
	case MX_KEXT_REJECTED_BY_POLICY:
		break;
	case MX_KEXT_REJECTED_SIGNATURE:
		/* SIP may have been turned off (or on) since */
		if (!mx_kext_signature_ok(c->dev, k))
			return false;
		break;
	default:
		return false;
	}
	enum mx_kext_state s0 = k->state;
	enum mx_kext_approval a0 = k->approval;
	if (!mx_kext_signature_ok(c->dev, k)) {
		k->state = MX_KEXT_REJECTED_SIGNATURE;
		k->approval = MX_KAPPROVAL_NONE;
	} else {
		waiting_state(c, k, false);
	}
	return k->state != s0 || k->approval != a0;
}

bool
mx_kext_include_in_auxkc(const mx_kext_ctx *c, const mx_kext *k, bool named_in_paths,
    const char **why)
{
	const char *w = NULL;
	if (k->state == MX_KEXT_REMOVED_AWAITING_RESTART)
		w = "removed";
	else if (mx_kext_legacy(c->dev))
		w = "no auxiliary kernel collection before macOS 11";
	else if (!c->gate_ok)
		w = "third-party kexts are not allowed by the security policy";
	else if (k->codeless)
		w = "codeless (its personalities are sent at boot)";
	else if (!k->has_arch)
		w = "no slice for this Mac's architecture";
	else if (apple_prefixed(k->bundle_id) && !k->apple_auxiliary)
		w = "Apple-prefixed without OSBundleRequired Auxiliary";
	else if (!mx_kext_signature_ok(c->dev, k))
		w = "invalid signature";
	else if (mx_kext_approval_source(c, k) == MX_KAPPROVAL_NONE)
		w = "not approved";
	else if (!k->load_requested && !named_in_paths)
		w = "never requested to load";
	if (why)
		*why = w;
	return w == NULL;
}

void
mx_kext_developer_name(char *out, size_t len, const char *signer_cn, const char *bundle_name)
{
	static const char pre[] = "Developer ID Application: ";
	if (signer_cn && signer_cn[0]) {
		const char *s = signer_cn;
		if (strncmp(s, pre, sizeof pre - 1) == 0)
			s += sizeof pre - 1;
		size_t n = strlen(s);
		const char *paren = strrchr(s, '(');
		if (paren && paren > s && s[n - 1] == ')')
			n = (size_t)(paren - s);
		while (n > 0 && s[n - 1] == ' ')
			n--;
		snprintf(out, len, "%.*s", (int)n, s);
		return;
	}
	snprintf(out, len, "Unidentified - %s", bundle_name);
}

void
mx_kext_darwin_version(mx_version os, char *out, size_t len)
{
	int maj, min;
	if (os.major == 10) {
		maj = os.minor + 4;
		min = os.patch;
	} else if (os.major <= 13) {
		maj = os.major + 9;
		min = os.minor + 1;
	} else {
		maj = os.major + 9;
		min = os.minor;
	}
	snprintf(out, len, "%d.%d.0", maj, min);
}
