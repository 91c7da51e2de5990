/*
 * sysext_policy.c — the merged com.apple.system-extension-policy and the
 * decision model of system-extensions.md §1.4–§1.7.
 *
 * Merge (§1.4): AllowUserOverrides is the AND over every payload (one
 * false wins; default true); every other key is a union.  Decision (§1.6):
 *
 *   allowed  = team ∈ AllowedTeamIdentifiers or bundle ∈ AllowedSystemExtensions[team]
 *              narrowed, when the team has an AllowedSystemExtensionTypes entry,
 *              to the type string of the category (no entry: all types)
 *   verdict  = allowed ? ALLOW : AllowUserOverrides ? NEEDS_USER : USER_FORBIDDEN
 *
 * The removal keys are read only by the macOS versions that know them:
 * RemovableSystemExtensions from 12.0.1 (the deployment guide and the
 * seed), NonRemovable* from 15.0 (the schema).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/sysext.h"
#include "macext/plist_util.h"
#include "macext/strmap.h"

/* A set of "TEAM\tvalue" (or "TEAM") strings: a sorted-runs string set
 * (strmap.h), so a 100,000-entry allow list merges in n log n, not n^2
 * (issue 14 §8). */
struct set { mx_strmap m; };

struct mx_sxpolicy {
	int npayloads;
	bool user_overrides;
	struct set teams;        /* AllowedTeamIdentifiers */
	struct set allowed;      /* AllowedSystemExtensions: TEAM\tbundle */
	struct set type_teams;   /* teams with an AllowedSystemExtensionTypes entry */
	struct set types;        /* TEAM\tType */
	struct set removable;    /* RemovableSystemExtensions */
	struct set nonremovable; /* NonRemovableSystemExtensions */
	struct set nonremovable_ui; /* NonRemovableFromUISystemExtensions */
};

/* "a" or "a\tb" into buf; its length. */
static size_t
set_key(char *buf, size_t len, const char *a, const char *b)
{
	size_t la = strlen(a), lb = b ? strlen(b) : 0;
	if (la + lb + 2 > len)
		return SIZE_MAX;
	memcpy(buf, a, la);
	if (b) {
		buf[la] = '\t';
		memcpy(buf + la + 1, b, lb);
		return la + 1 + lb;
	}
	return la;
}

static bool
set_has(const struct set *s, const char *a, const char *b)
{
	char key[1024];
	size_t kl = set_key(key, sizeof key, a, b);
	return kl != SIZE_MAX && mx_strmap_get(&s->m, key, kl, NULL);
}

static void
set_add(struct set *s, const char *a, const char *b)
{
	char key[1024];
	size_t kl = set_key(key, sizeof key, a, b);
	if (kl != SIZE_MAX)          /* team <= 64, item <= 255 bytes: always fits */
		mx_strmap_add(&s->m, key, kl, 0, NULL);
}

static void
set_free(struct set *s)
{
	mx_strmap_free(&s->m);
}

static void
set_merge(struct set *into, const struct set *from)
{
	for (size_t i = 0; i < mx_strmap_count(&from->m); i++) {
		const mx_strmap_ent *e = mx_strmap_at(&from->m, i);
		mx_strmap_add(&into->m, e->k, e->kl, 0, NULL);
	}
}

mx_sxpolicy *
mx_sxpolicy_new(void)
{
	mx_sxpolicy *p = mx_xcalloc(1, sizeof *p);
	p->user_overrides = true;
	return p;
}

static void
policy_clear(mx_sxpolicy *p)
{
	set_free(&p->teams);
	set_free(&p->allowed);
	set_free(&p->type_teams);
	set_free(&p->types);
	set_free(&p->removable);
	set_free(&p->nonremovable);
	set_free(&p->nonremovable_ui);
}

void
mx_sxpolicy_free(mx_sxpolicy *p)
{
	if (p == NULL)
		return;
	policy_clear(p);
	free(p);
}


/* A non-empty string of at most 255 bytes, copied into buf. */
static int
get_str(plist_t n, char *buf, size_t len, const char *where, const char *path, mx_err *err)
{
	if (plist_get_node_type(n) != PLIST_STRING)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: %s: expected string, got %s",
		    where, path, mx_plist_type_name(n));
	char *s = NULL;
	plist_get_string_val(n, &s);
	if (s == NULL || *s == '\0' || strlen(s) >= len) {
		size_t l = s ? strlen(s) : 0;
		free(s);
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: %s: expected a string of 1 to %zu "
		    "characters, got %zu", where, path, len - 1, l);
	}
	memcpy(buf, s, strlen(s) + 1);
	free(s);
	return 0;
}

/* An array of strings: each becomes (team, item) in s, or (item) when team is NULL. */
static int
get_array(plist_t n, struct set *s, const char *team, const char *where, const char *path,
    mx_err *err)
{
	if (plist_get_node_type(n) != PLIST_ARRAY)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: %s: expected array, got %s",
		    where, path, mx_plist_type_name(n));
	uint32_t cnt = plist_array_get_size(n);
	plist_array_iter it = NULL;
	plist_array_new_iter(n, &it);   /* item i of an unindexed array costs i steps */
	int rc = 0;
	for (uint32_t i = 0; i < cnt && rc == 0; i++) {
		char item[256], ip[600];
		plist_t v = NULL;
		plist_array_next_item(n, it, &v);
		snprintf(ip, sizeof ip, "%s[%u]", path, i);
		if ((rc = get_str(v, item, sizeof item, where, ip, err)) == 0)
			set_add(s, team ? team : item, team ? item : NULL);
	}
	free(it);
	return rc;
}

/* A dictionary TEAM -> array of strings. */
static int
get_dict(plist_t n, struct set *s, struct set *teams, const char *where, const char *key,
    mx_err *err)
{
	if (plist_get_node_type(n) != PLIST_DICT)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: %s: expected dictionary, got %s",
		    where, key, mx_plist_type_name(n));
	plist_dict_iter it = NULL;
	plist_dict_new_iter(n, &it);
	int rc = 0;
	for (;;) {
		char *k = NULL;
		plist_t v = NULL;
		plist_dict_next_item(n, it, &k, &v);
		if (k == NULL)
			break;
		char path[600];
		snprintf(path, sizeof path, "%s.%.200s", key, k);
		if (*k == '\0' || strlen(k) > 64)
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: %s: a Team ID key must have "
			    "1 to 64 characters", where, path);
		else {
			if (teams)
				set_add(teams, k, NULL);
			rc = get_array(v, s, k, where, path, err);
		}
		free(k);
		if (rc)
			break;
	}
	free(it);
	return rc;
}

int
mx_sxpolicy_add_payload(mx_sxpolicy *p, plist_t payload, const char *where, mx_err *err)
{
	if (where == NULL)
		where = "com.apple.system-extension-policy";
	if (payload == NULL || plist_get_node_type(payload) != PLIST_DICT)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: expected a payload dictionary",
		    where);
	mx_sxpolicy tmp;
	memset(&tmp, 0, sizeof tmp);
	tmp.user_overrides = true;
	int rc = 0;
	plist_t n;
	if ((n = plist_dict_get_item(payload, "AllowUserOverrides")) != NULL) {
		if (plist_get_node_type(n) != PLIST_BOOLEAN) {
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET,
			    "%s: AllowUserOverrides: expected boolean, got %s", where, mx_plist_type_name(n));
			goto out;
		}
		uint8_t b = 1;
		plist_get_bool_val(n, &b);
		tmp.user_overrides = b != 0;
	}
	if ((n = plist_dict_get_item(payload, "AllowedTeamIdentifiers")) != NULL &&
	    (rc = get_array(n, &tmp.teams, NULL, where, "AllowedTeamIdentifiers", err)))
		goto out;
	static const struct { const char *key; size_t off; bool teams; } dicts[] = {
		{ "AllowedSystemExtensions", offsetof(mx_sxpolicy, allowed), false },
		{ "AllowedSystemExtensionTypes", offsetof(mx_sxpolicy, types), true },
		{ "RemovableSystemExtensions", offsetof(mx_sxpolicy, removable), false },
		{ "NonRemovableSystemExtensions", offsetof(mx_sxpolicy, nonremovable), false },
		{ "NonRemovableFromUISystemExtensions", offsetof(mx_sxpolicy, nonremovable_ui), false },
	};
	for (size_t i = 0; i < sizeof dicts / sizeof dicts[0]; i++) {
		if ((n = plist_dict_get_item(payload, dicts[i].key)) == NULL)
			continue;
		struct set *s = (struct set *)((char *)&tmp + dicts[i].off);
		if ((rc = get_dict(n, s, dicts[i].teams ? &tmp.type_teams : NULL, where,
		    dicts[i].key, err)))
			goto out;
	}
	/* only now does p change */
	p->npayloads++;
	p->user_overrides = p->user_overrides && tmp.user_overrides;
	set_merge(&p->teams, &tmp.teams);
	set_merge(&p->allowed, &tmp.allowed);
	set_merge(&p->type_teams, &tmp.type_teams);
	set_merge(&p->types, &tmp.types);
	set_merge(&p->removable, &tmp.removable);
	set_merge(&p->nonremovable, &tmp.nonremovable);
	set_merge(&p->nonremovable_ui, &tmp.nonremovable_ui);
out:
	policy_clear(&tmp);
	return rc;
}

int
mx_sxpolicy_npayloads(const mx_sxpolicy *p)
{
	return p ? p->npayloads : 0;
}

bool
mx_sxpolicy_user_overrides(const mx_sxpolicy *p)
{
	return p == NULL || p->user_overrides;
}

bool
mx_sxpolicy_lists(const mx_sxpolicy *p, const char *team, const char *bundle)
{
	if (p == NULL || team == NULL || *team == '\0')
		return false;
	return set_has(&p->teams, team, NULL) || set_has(&p->allowed, team, bundle);
}

bool
mx_sxpolicy_allows(const mx_sxpolicy *p, const char *team, const char *bundle,
    const char *category)
{
	if (!mx_sxpolicy_lists(p, team, bundle))
		return false;
	if (!set_has(&p->type_teams, team, NULL))
		return true;                    /* no entry: all types [APPLE R1] */
	/* types narrow both allow forms [INF §1.6]; cmio has no type string */
	const char *t = mx_sx_category_type_string(category);
	return t != NULL && set_has(&p->types, team, t);
}

static bool
pair_listed(const struct set *s, const char *team, const char *bundle)
{
	return team && *team && set_has(s, team, bundle);
}

bool
mx_sxpolicy_removable(const mx_sxpolicy *p, mx_version os, const char *team, const char *bundle)
{
	return p && mx_version_at_least(os, 12, 0, 1) && pair_listed(&p->removable, team, bundle);
}

bool
mx_sxpolicy_nonremovable(const mx_sxpolicy *p, mx_version os, bool sip_enabled,
    const char *team, const char *bundle)
{
	return p && sip_enabled && mx_version_at_least(os, 15, 0, 0) &&
	    pair_listed(&p->nonremovable, team, bundle);
}

bool
mx_sxpolicy_nonremovable_from_ui(const mx_sxpolicy *p, mx_version os, const char *team,
    const char *bundle)
{
	return p && mx_version_at_least(os, 15, 0, 0) &&
	    pair_listed(&p->nonremovable_ui, team, bundle);
}

enum mx_sx_verdict
mx_sx_decide(const mx_sxpolicy *p, const char *team, const char *bundle, const char *category)
{
	if (mx_sxpolicy_allows(p, team, bundle, category))
		return MX_SXV_ALLOW;
	return mx_sxpolicy_user_overrides(p) ? MX_SXV_NEEDS_USER : MX_SXV_USER_FORBIDDEN;
}

const char *
mx_sx_verdict_name(enum mx_sx_verdict v)
{
	switch (v) {
	case MX_SXV_ALLOW: return "allow";
	case MX_SXV_NEEDS_USER: return "needs-user";
	case MX_SXV_USER_FORBIDDEN: return "user-forbidden";
	}
	return "?";
}

bool
mx_sx_profiles_change_state(mx_version os)
{
	/* Q3: the schema says "beginning in 11.3" with no end and Santa's
	 * migration guide shows the unload on current releases, so the rule
	 * that the deployment guide scopes to 11.3-11.6.4 continues after it. */
	return mx_version_at_least(os, 11, 3, 0);
}

bool
mx_sx_unload_needs_admin(const mx_sxpolicy *p, mx_version os, const char *team,
    const char *bundle, bool via_finder)
{
	/* Q15: RemovableSystemExtensions speaks of the app's own deactivation
	 * request; a Finder deletion keeps its administrator prompt. */
	if (via_finder)
		return true;
	return !mx_sxpolicy_removable(p, os, team, bundle);
}
