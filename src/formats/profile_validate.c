/*
 * profile_validate.c — checks a profile against Apple's schema facts
 * (schema_table.c, generated from apple/device-management) and the prose
 * rules of the two extension payloads, for a Mac running a given macOS.
 *
 * Severity, chosen so that "exit 0" means "a Mac would take it as written":
 *   error    wrong value type, required key missing, value outside the
 *            schema's rangelist/range, more than one payload of a type the
 *            schema marks multiple: false, duplicate PayloadUUID, and the
 *            extension-payload rules (system-extensions.md §1.5: a Team ID
 *            both in AllowedTeamIdentifiers and a key of
 *            AllowedSystemExtensions, "an error" per Apple; a (team,
 *            bundle) pair both removable and non-removable; Team ID format,
 *            10 uppercase letters/digits as ProfileManifests and MDM vendors
 *            require — kernel-extensions.md §1.2; the kext payload's
 *            AllowedKernelExtensions also takes the empty key "" for
 *            unsigned kexts, per Apple's own SystemPolicyKernelExtensions
 *            example [R8]).
 *   warning  unknown key, unknown payload type, a key or payload macOS
 *            <os> does not know yet (introduced later) or no longer
 *            honours (removed), not supported on macOS at all, a payload
 *            without PayloadVersion (Kandji's CrowdStrike profiles ship one;
 *            macOS installs them).
 *   info     deprecated keys/payloads.
 * The layer is formats: no device state; mx_profile_payload_describe says
 * what a Mac of version os does with a payload, from the schema alone.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/schema_int.h"
#include "macext/plist_util.h"
#include "macext/strmap.h"
#include "macext/profile.h"

#define SYSEXT "com.apple.system-extension-policy"
#define KEXT   "com.apple.syspolicy.kernel-extension-policy"

/* ---- problem list ---- */

static void
add(mx_problems *ps, enum mx_severity sev, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
add(mx_problems *ps, enum mx_severity sev, const char *path, const char *fmt, ...)
{
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 16;
		ps->v = mx_xrealloc(ps->v, ps->cap * sizeof *ps->v);
	}
	mx_problem *p = &ps->v[ps->n++];
	p->severity = sev;
	snprintf(p->path, sizeof p->path, "%s", path);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof p->msg, fmt, ap);
	va_end(ap);
}

void
mx_problems_free(mx_problems *ps)
{
	free(ps->v);
	ps->v = NULL;
	ps->n = ps->cap = 0;
}

const char *
mx_severity_name(enum mx_severity s)
{
	return s == MX_SEV_ERROR ? "error" : s == MX_SEV_WARNING ? "warning" : "info";
}

void
mx_strings_add(mx_strings *s, const char *fmt, ...)
{
	char buf[1024];
	if (strchr(fmt, '%') == NULL) {
		/* a fixed sentence: what vsnprintf would write, without it */
		size_t l = strnlen(fmt, sizeof buf - 1);
		memcpy(buf, fmt, l);
		buf[l] = '\0';
	} else {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(buf, sizeof buf, fmt, ap);
		va_end(ap);
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = mx_xrealloc(s->v, s->cap * sizeof *s->v);
	}
	s->v[s->n++] = mx_xstrdup(buf);
}

void
mx_strings_free(mx_strings *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* ---- versions as the schema writes them ("10.13.2", "15.0", "n/a") ---- */

static bool
na(const char *v)
{
	return v == NULL || strcmp(v, "n/a") == 0;
}

/* <0, 0, >0 comparing the schema version text v ("10.13.2", "15.0") with
 * os; 0 when v does not start with a number.  By hand: this runs for every
 * key checked, and sscanf was a tenth of a profile's validation time. */
static int
vcmp(const char *v, mx_version os)
{
	unsigned s[3] = { 0, 0, 0 };
	for (int i = 0; i < 3; i++) {
		if (*v < '0' || *v > '9') {
			if (i == 0)
				return 0;
			break;
		}
		unsigned n = 0;
		while (*v >= '0' && *v <= '9')
			n = n * 10 + (unsigned)(*v++ - '0');
		s[i] = n;
		if (*v++ != '.')
			break;
	}
	unsigned o[3] = { os.major, os.minor, os.patch };
	for (int i = 0; i < 3; i++)
		if (s[i] != o[i])
			return s[i] < o[i] ? -1 : 1;
	return 0;
}

static void
vstr(mx_version v, char *buf, size_t len)
{
	if (v.patch)
		snprintf(buf, len, "%u.%u.%u", v.major, v.minor, v.patch);
	else
		snprintf(buf, len, "%u.%u", v.major, v.minor);
}

/* ---- schema-driven checks ---- */

struct vctx {
	mx_version os;
	char osname[24];
	mx_problems *out;
	size_t errors;
};

static void
err_at(struct vctx *c, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
err_at(struct vctx *c, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	add(c->out, MX_SEV_ERROR, path, "%s", msg);
	c->errors++;
}

static const char *
stype_name(uint8_t t)
{
	static const char *const n[] = { "any", "string", "integer", "boolean", "array",
		"dictionary", "data", "date", "real" };
	return t < sizeof n / sizeof n[0] ? n[t] : "?";
}

static bool
type_ok(uint8_t want, plist_t v)
{
	plist_type t = plist_get_node_type(v);
	switch (want) {
	case MX_ST_ANY:     return true;
	case MX_ST_STRING:  return t == PLIST_STRING;
	case MX_ST_INTEGER: return t == PLIST_UINT;
	case MX_ST_BOOLEAN: return t == PLIST_BOOLEAN;
	case MX_ST_ARRAY:   return t == PLIST_ARRAY;
	case MX_ST_DICT:    return t == PLIST_DICT;
	case MX_ST_DATA:    return t == PLIST_DATA;
	case MX_ST_DATE:    return t == PLIST_DATE;
	case MX_ST_REAL:    return t == PLIST_REAL || t == PLIST_UINT;   /* CF reads 3 as 3.0 */
	}
	return false;
}

static const mx_schema_key *
find_key(const mx_schema_keyset *ks, const char *name)
{
	if (ks == NULL)
		return NULL;
	/* the first two bytes as one number (the NUL of an empty name counts
	 * as both): one comparison per schema key, rarely true, so the scan's
	 * branches predict; most names differ there */
	const unsigned char *nu = (const unsigned char *)name;
	unsigned want = nu[0] | (nu[0] ? (unsigned)nu[1] << 8 : 0);
	const mx_schema_key *any = NULL;
	for (size_t i = 0; i < ks->n; i++) {
		const unsigned char *kn = (const unsigned char *)ks->v[i].name;
		unsigned have = kn[0] | (kn[0] ? (unsigned)kn[1] << 8 : 0);
		if (have == want && strcmp((const char *)kn, name) == 0)
			return &ks->v[i];
		if (have == ('A' | 'N' << 8) && strcmp((const char *)kn, "ANY") == 0)
			any = &ks->v[i];
	}
	return any;
}

static void
check_range(struct vctx *c, const mx_schema_key *k, plist_t v, const char *path)
{
	if (k->nrange == 0 && !k->has_min && !k->has_max)
		return;   /* nothing to check: skip formatting the value */
	char val[200];
	double num = 0;
	bool isnum = false;
	switch (plist_get_node_type(v)) {
	case PLIST_STRING: {
		/* snprintf("%s") by hand (a value per ranged key) */
		const char *str = mx_plist_str(v);
		if (str == NULL)
			str = "(null)";
		size_t l = strnlen(str, sizeof val - 1);
		memcpy(val, str, l);
		val[l] = '\0';
		break;
	}
	case PLIST_UINT: {
		uint64_t u = 0;
		plist_get_uint_val(v, &u);
		/* snprintf("%lld") by hand */
		char digits[24];
		size_t at = sizeof digits;
		bool neg = (int64_t)u < 0;
		uint64_t mag = neg ? 0 - u : u;
		digits[--at] = '\0';
		do
			digits[--at] = (char)('0' + mag % 10);
		while ((mag /= 10) != 0);
		if (neg)
			digits[--at] = '-';
		memcpy(val, digits + at, sizeof digits - at);
		num = (double)(int64_t)u;
		isnum = true;
		break;
	}
	case PLIST_REAL:
		plist_get_real_val(v, &num);
		snprintf(val, sizeof val, "%g", num);
		isnum = true;
		break;
	default:
		return;
	}
	if (k->nrange > 0) {
		bool found = false;
		const char *casefold = NULL;
		for (uint16_t i = 0; i < k->nrange && !found; i++) {
			if (isnum) {
				char *end;
				double r = strtod(k->rangelist[i], &end);
				found = *end == '\0' && r == num;
			} else {
				found = strcmp(k->rangelist[i], val) == 0;
				if (!found && strcasecmp(k->rangelist[i], val) == 0)
					casefold = k->rangelist[i];
			}
		}
		if (!found && casefold != NULL) {
			/* Kandji's Bitdefender TCC payload says "Path" for "path" */
			add(c->out, MX_SEV_WARNING, path, "value \"%s\" differs from the schema's "
			    "\"%s\" only in case", val, casefold);
		} else if (!found) {
			char allowed[300] = "";
			size_t n = 0;
			for (uint16_t i = 0; i < k->nrange && n + 1 < sizeof allowed; i++) {
				int w = snprintf(allowed + n, sizeof allowed - n, "%s%s", i ? ", " : "",
				    k->rangelist[i]);
				if (w < 0)
					break;
				n += (size_t)w;
			}
			if (n >= sizeof allowed)
				snprintf(allowed + sizeof allowed - 5, 5, "...");
			err_at(c, path, "value \"%s\" is not one of: %s", val, allowed);
		}
	}
	if (isnum && ((k->has_min && num < k->min) || (k->has_max && num > k->max)))
		err_at(c, path, "value %s outside %g..%g", val, k->has_min ? k->min : -1e300,
		    k->has_max ? k->max : 1e300);
}

/* Version gates of one key.  intro is the inherited macOS introduced.
 * Returns false when macOS ignores the key (deeper checks are moot for
 * version purposes but types are still checked). */
static bool
check_versions(struct vctx *c, const mx_schema_key *k, const char **intro, bool quiet,
    const char *path)
{
	if (k->introduced != NULL)
		*intro = k->introduced;
	if (quiet)   /* an ancestor (or the payload) is already reported as ignored */
		return false;
	if (*intro != NULL && strcmp(*intro, "n/a") == 0) {
		add(c->out, MX_SEV_WARNING, path, "not supported on macOS: ignored");
		return false;
	}
	if (*intro != NULL && vcmp(*intro, c->os) > 0) {
		add(c->out, MX_SEV_WARNING, path, "introduced in macOS %s: ignored by macOS %s",
		    *intro, c->osname);
		return false;
	}
	if (!na(k->removed) && vcmp(k->removed, c->os) <= 0) {
		add(c->out, MX_SEV_WARNING, path, "removed in macOS %s: ignored by macOS %s",
		    k->removed, c->osname);
		return false;
	}
	if (!na(k->deprecated) && vcmp(k->deprecated, c->os) <= 0)
		add(c->out, MX_SEV_INFO, path, "deprecated since macOS %s", k->deprecated);
	return true;
}

static void check_dict(struct vctx *c, plist_t d, const mx_schema_keyset *ks,
    const mx_schema_keyset *extra, const char *intro, bool quiet, const char *path, int depth);

static void
check_value(struct vctx *c, plist_t v, const mx_schema_key *k, const char *intro, bool quiet,
    const char *path, int depth)
{
	if (!check_versions(c, k, &intro, quiet, path))
		quiet = true;
	if (k->type == MX_ST_BOOLEAN && plist_get_node_type(v) == PLIST_UINT) {
		/* macOS daemons read booleans with -boolValue, which NSNumber
		 * integers answer too; vendors ship <integer>1</integer> (Kandji's
		 * Bitdefender and FortiClient TCC payloads) and it works */
		uint64_t u = 0;
		plist_get_uint_val(v, &u);
		add(c->out, MX_SEV_WARNING, path, "expected boolean, got integer %llu: macOS reads "
		    "it as %s", (unsigned long long)u, u ? "true" : "false");
		return;
	}
	if (!type_ok(k->type, v)) {
		err_at(c, path, "expected %s, got %s", stype_name(k->type), mx_plist_type_name(v));
		return;
	}
	check_range(c, k, v, path);
	if (depth > MX_PLIST_MAX_DEPTH)
		return;
	if (k->type == MX_ST_ARRAY && k->sub != NULL && k->sub->n > 0) {
		const mx_schema_key *item = &k->sub->v[0];
		uint32_t n = plist_array_get_size(v);
		for (uint32_t i = 0; i < n; i++) {
			char ip[256];
			mx_path_index(ip, sizeof ip, path, i);
			check_value(c, plist_array_get_item(v, i), item, intro, quiet, ip, depth + 1);
		}
	} else if (k->type == MX_ST_DICT && k->sub != NULL && k->sub->n > 0) {
		check_dict(c, v, k->sub, NULL, intro, quiet, path, depth + 1);
	}
}

/* Checks every entry of d against ks (then extra: CommonPayloadKeys) and
 * the required keys of ks. */
static void
check_dict(struct vctx *c, plist_t d, const mx_schema_keyset *ks, const mx_schema_keyset *extra,
    const char *intro, bool quiet, const char *path, int depth)
{
	/* schema keys of ks met in d (by index), so the required-key pass below
	 * need not search the dict for each; keys past the map are searched */
	uint64_t seen[8] = { 0 };
	const size_t nseen = sizeof seen * 8;
	plist_dict_iter it = NULL;
	plist_dict_new_iter(d, &it);
	for (;;) {
		char *key = NULL;
		plist_t v = NULL;
		plist_dict_next_item(d, it, &key, &v);
		if (v == NULL) {
			free(key);
			break;
		}
		char kp[256];
		mx_path_key(kp, sizeof kp, path, key);
		const mx_schema_key *k = find_key(ks, key);
		if (k != NULL && (size_t)(k - ks->v) < nseen)
			seen[(k - ks->v) / 64] |= 1ull << ((k - ks->v) % 64);
		if (k == NULL)
			k = find_key(extra, key);
		if (k == NULL)
			add(c->out, MX_SEV_WARNING, kp, "unknown key: macOS ignores it");
		else
			check_value(c, v, k, intro, quiet, kp, depth);
		free(key);
	}
	free(it);
	for (size_t i = 0; ks != NULL && i < ks->n; i++) {
		const mx_schema_key *k = &ks->v[i];
		if (!k->required || strcmp(k->name, "ANY") == 0 ||
		    (i < nseen && (seen[i / 64] >> (i % 64) & 1)) || plist_dict_get_item(d, k->name))
			continue;
		const char *ki = k->introduced ? k->introduced : intro;
		if (ki != NULL && (strcmp(ki, "n/a") == 0 || vcmp(ki, c->os) > 0))
			continue;   /* not required on this macOS */
		char kp[256];
		mx_path_key(kp, sizeof kp, path, k->name);
		err_at(c, kp, "required key missing");
	}
}

/* ---- the extension payloads' prose rules ---- */

static bool
team_id_ok(const char *t)
{
	if (strlen(t) != 10)
		return false;
	for (const char *p = t; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return false;
	return true;
}

static void
check_team(struct vctx *c, const char *team, bool allow_empty, const char *path)
{
	if (allow_empty && team[0] == '\0')
		return;
	if (!team_id_ok(team))
		err_at(c, path, "Team ID \"%.60s\" is not 10 uppercase letters or digits", team);
}

/* Team-ID-keyed dict: checks the keys' format. */
static void
check_team_dict(struct vctx *c, plist_t pl, const char *key, bool allow_empty, const char *path)
{
	plist_t d = plist_dict_get_item(pl, key);
	if (d == NULL || plist_get_node_type(d) != PLIST_DICT)
		return;
	plist_dict_iter it = NULL;
	plist_dict_new_iter(d, &it);
	for (;;) {
		char *team = NULL;
		plist_t v = NULL;
		plist_dict_next_item(d, it, &team, &v);
		if (v == NULL) {
			free(team);
			break;
		}
		char kp[256], tp[300];
		mx_path_key(kp, sizeof kp, path, key);
		mx_path_key(tp, sizeof tp, kp, team);
		check_team(c, team, allow_empty, tp);
		free(team);
	}
	free(it);
}

/* The strings of an array as a set: the "also in AllowedTeamIdentifiers"
 * checks below ask it once per dictionary key, which was a scan of the
 * array each time (quadratic in a large allow list: issue 14 §8). */
static void
array_set(mx_strmap *m, plist_t arr)
{
	mx_strmap_init(m);
	if (arr == NULL || plist_get_node_type(arr) != PLIST_ARRAY)
		return;
	plist_array_iter it = NULL;
	plist_array_new_iter(arr, &it);
	for (;;) {
		plist_t v = NULL;
		plist_array_next_item(arr, it, &v);
		if (v == NULL)
			break;
		const char *x = mx_plist_str(v);
		if (x != NULL)
			mx_strmap_add_str(m, x, 0);
	}
	free(it);
}

static void
check_team_array(struct vctx *c, plist_t pl, const char *path)
{
	plist_t a = plist_dict_get_item(pl, "AllowedTeamIdentifiers");
	if (a == NULL || plist_get_node_type(a) != PLIST_ARRAY)
		return;
	for (uint32_t i = 0; i < plist_array_get_size(a); i++) {
		const char *t = mx_plist_str(plist_array_get_item(a, i));
		char kp[256], ip[300];
		mx_path_key(kp, sizeof kp, path, "AllowedTeamIdentifiers");
		mx_path_index(ip, sizeof ip, kp, i);
		if (t != NULL)
			check_team(c, t, false, ip);
	}
}

static void
check_sysext_rules(struct vctx *c, plist_t pl, const char *path)
{
	static const char *const dicts[] = { "AllowedSystemExtensions", "AllowedSystemExtensionTypes",
		"RemovableSystemExtensions", "NonRemovableSystemExtensions",
		"NonRemovableFromUISystemExtensions" };
	check_team_array(c, pl, path);
	for (size_t i = 0; i < sizeof dicts / sizeof dicts[0]; i++)
		check_team_dict(c, pl, dicts[i], false, path);

	/* Apple: "It's an error for the same team identifier to appear in both
	 * this array and as a key in the 'AllowedSystemExtensions' dictionary." */
	plist_t teams = plist_dict_get_item(pl, "AllowedTeamIdentifiers");
	plist_t ase = plist_dict_get_item(pl, "AllowedSystemExtensions");
	mx_strmap team_set;
	array_set(&team_set, teams);
	if (ase != NULL && plist_get_node_type(ase) == PLIST_DICT) {
		plist_dict_iter it = NULL;
		plist_dict_new_iter(ase, &it);
		for (;;) {
			char *team = NULL;
			plist_t v = NULL;
			plist_dict_next_item(ase, it, &team, &v);
			if (v == NULL) {
				free(team);
				break;
			}
			if (mx_strmap_has_str(&team_set, team)) {
				char kp[256], tp[300];
				mx_path_key(kp, sizeof kp, path, "AllowedSystemExtensions");
				mx_path_key(tp, sizeof tp, kp, team);
				err_at(c, tp, "Team ID %s is also in AllowedTeamIdentifiers "
				    "(Apple: an error to list it in both)", team);
			}
			free(team);
		}
		free(it);
	}
	mx_strmap_free(&team_set);

	/* Apple: "It's an error for the same mapping to appear in the dictionary
	 * values corresponding to 'RemovableSystemExtensions' and
	 * 'NonRemovableSystemExtensions' keys." */
	plist_t rem = plist_dict_get_item(pl, "RemovableSystemExtensions");
	plist_t non = plist_dict_get_item(pl, "NonRemovableSystemExtensions");
	if (rem != NULL && non != NULL && plist_get_node_type(rem) == PLIST_DICT &&
	    plist_get_node_type(non) == PLIST_DICT) {
		plist_dict_iter it = NULL;
		plist_dict_new_iter(non, &it);
		for (;;) {
			char *team = NULL;
			plist_t arr = NULL;
			plist_dict_next_item(non, it, &team, &arr);
			if (arr == NULL) {
				free(team);
				break;
			}
			mx_strmap rset;
			array_set(&rset, plist_dict_get_item(rem, team));
			uint32_t na = plist_get_node_type(arr) == PLIST_ARRAY ? plist_array_get_size(arr) : 0;
			plist_array_iter ai = NULL;
			if (na)
				plist_array_new_iter(arr, &ai);
			for (uint32_t i = 0; i < na; i++) {
				plist_t bn = NULL;
				plist_array_next_item(arr, ai, &bn);
				const char *b = mx_plist_str(bn);
				if (b == NULL || !mx_strmap_has_str(&rset, b))
					continue;
				char kp[256], tp[300], ip[320];
				mx_path_key(kp, sizeof kp, path, "NonRemovableSystemExtensions");
				mx_path_key(tp, sizeof tp, kp, team);
				mx_path_index(ip, sizeof ip, tp, i);
				err_at(c, ip, "%s %s is also in RemovableSystemExtensions "
				    "(Apple: an error to list it in both)", team, b);
			}
			free(ai);
			mx_strmap_free(&rset);
			free(team);
		}
		free(it);
	}

	/* The allowed type strings (the schema says so in prose, no rangelist) */
	plist_t types = plist_dict_get_item(pl, "AllowedSystemExtensionTypes");
	if (types != NULL && plist_get_node_type(types) == PLIST_DICT) {
		plist_dict_iter it = NULL;
		plist_dict_new_iter(types, &it);
		for (;;) {
			char *team = NULL;
			plist_t arr = NULL;
			plist_dict_next_item(types, it, &team, &arr);
			if (arr == NULL) {
				free(team);
				break;
			}
			for (uint32_t i = 0; plist_get_node_type(arr) == PLIST_ARRAY &&
			    i < plist_array_get_size(arr); i++) {
				const char *t = mx_plist_str(plist_array_get_item(arr, i));
				if (t == NULL || strcmp(t, "DriverExtension") == 0 ||
				    strcmp(t, "NetworkExtension") == 0 ||
				    strcmp(t, "EndpointSecurityExtension") == 0)
					continue;
				char kp[256], tp[300], ip[320];
				mx_path_key(kp, sizeof kp, path, "AllowedSystemExtensionTypes");
				mx_path_key(tp, sizeof tp, kp, team);
				mx_path_index(ip, sizeof ip, tp, i);
				err_at(c, ip, "value \"%.60s\" is not one of: DriverExtension, "
				    "NetworkExtension, EndpointSecurityExtension", t);
			}
			free(team);
		}
		free(it);
	}
}

static void
check_kext_rules(struct vctx *c, plist_t pl, const char *path)
{
	check_team_array(c, pl, path);
	/* "" = unsigned kexts (Apple's SystemPolicyKernelExtensions example) */
	check_team_dict(c, pl, "AllowedKernelExtensions", true, path);
	plist_t teams = plist_dict_get_item(pl, "AllowedTeamIdentifiers");
	plist_t ake = plist_dict_get_item(pl, "AllowedKernelExtensions");
	if (ake == NULL || plist_get_node_type(ake) != PLIST_DICT)
		return;
	mx_strmap team_set;
	array_set(&team_set, teams);
	plist_dict_iter it = NULL;
	plist_dict_new_iter(ake, &it);
	for (;;) {
		char *team = NULL;
		plist_t v = NULL;
		plist_dict_next_item(ake, it, &team, &v);
		if (v == NULL) {
			free(team);
			break;
		}
		if (team[0] != '\0' && mx_strmap_has_str(&team_set, team)) {
			char kp[256], tp[300];
			mx_path_key(kp, sizeof kp, path, "AllowedKernelExtensions");
			mx_path_key(tp, sizeof tp, kp, team);
			/* kernel-extensions.md §1.2: ProfileManifests and MaaS360 say the
			 * per-bundle list then narrows the team-wide entry; Apple is silent */
			add(c->out, MX_SEV_WARNING, tp, "Team ID %s is also in AllowedTeamIdentifiers; "
			    "MDM vendors report that only the listed bundle IDs are then allowed", team);
		}
		free(team);
	}
	free(it);
	mx_strmap_free(&team_set);
}

/* ---- the profile ---- */

struct keyed { const char *s; size_t i; };

static int
keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->s, y->s);
	return c ? c : (x->i < y->i ? -1 : x->i > y->i);
}

/* out[i] = the first payload before i whose get() equals i's, or SIZE_MAX. */
static void
first_equal(const mx_profile *p, const char *(*get)(const mx_profile *, size_t), size_t *out)
{
	size_t n = mx_profile_payload_count(p);
	struct keyed *k = mx_xcalloc(n ? n : 1, sizeof *k);
	for (size_t i = 0; i < n; i++) {
		k[i] = (struct keyed){ get(p, i), i };
		out[i] = SIZE_MAX;
	}
	qsort(k, n, sizeof *k, keyed_cmp);
	for (size_t a = 0; a < n;) {
		size_t b = a + 1;
		while (b < n && strcmp(k[a].s, k[b].s) == 0)
			out[k[b++].i] = k[a].i;
		a = b;
	}
	free(k);
}

size_t
mx_profile_validate(const mx_profile *p, mx_version os, mx_problems *out)
{
	struct vctx c = { .os = os, .out = out };
	vstr(os, c.osname, sizeof c.osname);
	const mx_schema_payload *top = mx_schema_find("TopLevel");
	const mx_schema_payload *common = mx_schema_find("CommonPayloadKeys");
	plist_t root = mx_profile_root(p);

	/* the envelope, minus PayloadContent (checked payload by payload) */
	plist_dict_iter it = NULL;
	plist_dict_new_iter(root, &it);
	for (;;) {
		char *key = NULL;
		plist_t v = NULL;
		plist_dict_next_item(root, it, &key, &v);
		if (v == NULL) {
			free(key);
			break;
		}
		if (strcmp(key, "PayloadContent") != 0) {
			const mx_schema_key *k = top ? find_key(top->keys, key) : NULL;
			if (k == NULL)
				add(out, MX_SEV_WARNING, key, "unknown key: macOS ignores it");
			else
				check_value(&c, v, k, top->introduced, false, key, 1);
		}
		free(key);
	}
	free(it);

	size_t n = mx_profile_payload_count(p);
	/* earlier payload with the same UUID / type, by sorting (a profile may
	 * carry many payloads: no quadratic scans) */
	size_t *by_uuid = mx_xcalloc(n ? n : 1, sizeof *by_uuid);
	size_t *by_type = mx_xcalloc(n ? n : 1, sizeof *by_type);
	first_equal(p, mx_profile_payload_uuid, by_uuid);
	first_equal(p, mx_profile_payload_type, by_type);
	for (size_t i = 0; i < n; i++) {
		plist_t pl = mx_profile_payload(p, i);
		const char *type = mx_profile_payload_type(p, i);
		char path[64];
		mx_path_index(path, sizeof path, "PayloadContent", i);
		const mx_schema_payload *sp = mx_schema_find(type);
		if (plist_dict_get_item(pl, "PayloadVersion") == NULL) {
			char kp[96];
			mx_path_key(kp, sizeof kp, path, "PayloadVersion");
			add(out, MX_SEV_WARNING, kp, "missing (Apple's schema requires it; macOS "
			    "installs such payloads)");
		}
		/* duplicate UUIDs within the profile */
		if (by_uuid[i] != SIZE_MAX) {
			char kp[96];
			mx_path_key(kp, sizeof kp, path, "PayloadUUID");
			err_at(&c, kp, "same PayloadUUID as PayloadContent[%zu]", by_uuid[i]);
		}
		if (sp == NULL) {
			char tp[96];
			mx_path_key(tp, sizeof tp, path, "PayloadType");
			add(out, MX_SEV_WARNING, tp, "unknown payload type %s: not in Apple's schema, "
			    "its keys are not checked", type);
			continue;
		}
		bool quiet = true;
		if (na(sp->introduced)) {
			add(out, MX_SEV_WARNING, path, "%s is not supported on macOS: ignored", type);
		} else if (vcmp(sp->introduced, os) > 0) {
			add(out, MX_SEV_WARNING, path, "%s was introduced in macOS %s: ignored by macOS %s",
			    type, sp->introduced, c.osname);
		} else if (!na(sp->removed) && vcmp(sp->removed, os) <= 0) {
			add(out, MX_SEV_WARNING, path, "%s was removed in macOS %s: ignored by macOS %s",
			    type, sp->removed, c.osname);
		} else {
			quiet = false;
			if (!na(sp->deprecated) && vcmp(sp->deprecated, os) <= 0)
				add(out, MX_SEV_INFO, path, "%s is deprecated since macOS %s", type,
				    sp->deprecated);
		}
		if (!sp->multiple && by_type[i] != SIZE_MAX)
			err_at(&c, path, "a second %s payload (PayloadContent[%zu]): the schema "
			    "allows one per profile", type, by_type[i]);
		check_dict(&c, pl, sp->keys, common ? common->keys : NULL, sp->introduced, quiet, path, 1);
		if (strcmp(type, SYSEXT) == 0)
			check_sysext_rules(&c, pl, path);
		else if (strcmp(type, KEXT) == 0)
			check_kext_rules(&c, pl, path);
	}
	free(by_uuid);
	free(by_type);
	return c.errors;
}

/* ---- what a Mac does with a payload ---- */

/* snprintf(buf + *n, cap - *n, "%s%s", a, b) and *n += what it returns, by
 * hand (once per listed team or bundle ID); *n < cap - 1 on entry. */
static void
cat2(char *buf, size_t cap, size_t *n, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), room = cap - *n - 1;
	size_t ca = la < room ? la : room, cb = lb < room - ca ? lb : room - ca;
	memcpy(buf + *n, a, ca);
	memcpy(buf + *n + ca, b, cb);
	buf[*n + ca + cb] = '\0';
	*n += la + lb;
}

static void
list_dict(mx_strings *out, plist_t pl, const char *key, const char *verb, const char *types_key)
{
	plist_t d = plist_dict_get_item(pl, key);
	if (d == NULL || plist_get_node_type(d) != PLIST_DICT)
		return;
	plist_t types = types_key ? plist_dict_get_item(pl, types_key) : NULL;
	plist_dict_iter it = NULL;
	plist_dict_new_iter(d, &it);
	for (;;) {
		char *team = NULL;
		plist_t arr = NULL;
		plist_dict_next_item(d, it, &team, &arr);
		if (arr == NULL) {
			free(team);
			break;
		}
		char ids[600] = "", tl[200] = "";
		size_t n = 0;
		for (uint32_t i = 0; plist_get_node_type(arr) == PLIST_ARRAY &&
		    i < plist_array_get_size(arr) && n + 1 < sizeof ids; i++) {
			const char *b = mx_plist_str(plist_array_get_item(arr, i));
			cat2(ids, sizeof ids, &n, n ? ", " : "", b ? b : "?");
		}
		plist_t ta = types && plist_get_node_type(types) == PLIST_DICT ?
		    plist_dict_get_item(types, team) : NULL;
		if (types_key != NULL) {
			size_t m = 0;
			for (uint32_t i = 0; ta && plist_get_node_type(ta) == PLIST_ARRAY &&
			    i < plist_array_get_size(ta) && m + 1 < sizeof tl; i++) {
				const char *t = mx_plist_str(plist_array_get_item(ta, i));
				cat2(tl, sizeof tl, &m, m ? ", " : "", t ? t : "?");
			}
		}
		if (team[0] == '\0')
			mx_strings_add(out, "%s unsigned kexts %s", verb, ids);
		else if (types_key != NULL)
			mx_strings_add(out, "%s %s of team %s (%s)", verb, ids, team,
			    tl[0] ? tl : "all types");
		else
			mx_strings_add(out, "%s %s of team %s", verb, ids, team);
		free(team);
	}
	free(it);
}

static void
list_teams(mx_strings *out, plist_t pl, const char *what, const char *types_key)
{
	plist_t a = plist_dict_get_item(pl, "AllowedTeamIdentifiers");
	if (a == NULL || plist_get_node_type(a) != PLIST_ARRAY)
		return;
	plist_t types = types_key ? plist_dict_get_item(pl, types_key) : NULL;
	for (uint32_t i = 0; i < plist_array_get_size(a); i++) {
		const char *t = mx_plist_str(plist_array_get_item(a, i));
		if (t == NULL)
			continue;
		plist_t ta = types && plist_get_node_type(types) == PLIST_DICT ?
		    plist_dict_get_item(types, t) : NULL;
		char tl[200] = "";
		size_t m = 0;
		for (uint32_t k = 0; ta && plist_get_node_type(ta) == PLIST_ARRAY &&
		    k < plist_array_get_size(ta) && m + 1 < sizeof tl; k++) {
			const char *s = mx_plist_str(plist_array_get_item(ta, k));
			cat2(tl, sizeof tl, &m, m ? ", " : "", s ? s : "?");
		}
		if (types_key)
			mx_strings_add(out, "allows every %s of team %s (%s)", what, t, tl[0] ? tl : "all types");
		else
			mx_strings_add(out, "allows every %s of team %s", what, t);
	}
}

static bool
getbool(plist_t pl, const char *key, bool dflt)
{
	plist_t v = plist_dict_get_item(pl, key);
	if (v == NULL || plist_get_node_type(v) != PLIST_BOOLEAN)
		return dflt;
	uint8_t b = 0;
	plist_get_bool_val(v, &b);
	return b != 0;
}

static bool
key_live(const char *intro, mx_version os)
{
	return vcmp(intro, os) <= 0;
}

void
mx_profile_payload_describe(const mx_profile *p, size_t i, mx_version os, mx_strings *out)
{
	const char *type = mx_profile_payload_type(p, i);
	plist_t pl = mx_profile_payload(p, i);
	const mx_schema_payload *sp = mx_schema_find(type);
	if (sp == NULL) {
		mx_strings_add(out, "not in Apple's schema: installed as written, keys unchecked");
		return;
	}
	if (na(sp->introduced)) {
		mx_strings_add(out, "not supported on macOS: ignored");
		return;
	}
	if (vcmp(sp->introduced, os) > 0) {
		char osname[24];
		vstr(os, osname, sizeof osname);
		mx_strings_add(out, "ignored: needs macOS %s (this Mac runs %s)", sp->introduced, osname);
		return;
	}
	if (!na(sp->removed) && vcmp(sp->removed, os) <= 0) {
		mx_strings_add(out, "ignored: removed in macOS %s", sp->removed);
		return;
	}
	if (!sp->allow_manual_install || sp->user_approved_mdm || sp->user_enrollment == MX_UE_FORBIDDEN) {
		char how[300];
		size_t n = 0;
		cat2(how, sizeof how, &n, "installs only via ",
		    sp->allow_manual_install ? "manual install or MDM" : "MDM");
		cat2(how, sizeof how, &n, sp->user_approved_mdm ? " on a user-approved enrollment" : "",
		    sp->supervised ? ", supervised" : "");
		cat2(how, sizeof how, &n, sp->user_enrollment == MX_UE_FORBIDDEN ?
		    "; refused on User Enrollment" : "", "");
		mx_strings_add(out, "%s", how);
	} else {
		mx_strings_add(out, "installs by hand or via MDM");
	}
	if (strcmp(type, SYSEXT) == 0) {
		list_teams(out, pl, "system extension", "AllowedSystemExtensionTypes");
		list_dict(out, pl, "AllowedSystemExtensions", "allows", "AllowedSystemExtensionTypes");
		bool over = getbool(pl, "AllowUserOverrides", true);
		mx_strings_add(out, over ? "users may approve other system extensions (AllowUserOverrides true)" :
		    "users may not approve other system extensions (AllowUserOverrides false)");
		if (plist_dict_get_item(pl, "RemovableSystemExtensions")) {
			if (key_live("12.0", os))
				list_dict(out, pl, "RemovableSystemExtensions",
				    "lets its app deactivate without an admin:", NULL);
			else
				mx_strings_add(out, "ignores RemovableSystemExtensions (needs macOS 12.0)");
		}
		if (plist_dict_get_item(pl, "NonRemovableSystemExtensions")) {
			if (key_live("15.0", os))
				list_dict(out, pl, "NonRemovableSystemExtensions",
				    "protects from removal while SIP is on:", NULL);
			else
				mx_strings_add(out, "ignores NonRemovableSystemExtensions (needs macOS 15.0)");
		}
		if (plist_dict_get_item(pl, "NonRemovableFromUISystemExtensions")) {
			if (key_live("15.0", os))
				list_dict(out, pl, "NonRemovableFromUISystemExtensions",
				    "hides removal in System Settings and Finder for", NULL);
			else
				mx_strings_add(out, "ignores NonRemovableFromUISystemExtensions (needs macOS 15.0)");
		}
		if (!key_live("11.3", os))
			mx_strings_add(out, "before macOS 11.3 installing it does not change extensions "
			    "already waiting or active");
	} else if (strcmp(type, KEXT) == 0) {
		list_teams(out, pl, "kext", NULL);
		list_dict(out, pl, "AllowedKernelExtensions", "allows", NULL);
		bool over = getbool(pl, "AllowUserOverrides", false);
		mx_strings_add(out, over ? "users may approve other kexts (AllowUserOverrides true)" :
		    "users may not approve other kexts (AllowUserOverrides false)");
		if (plist_dict_get_item(pl, "AllowNonAdminUserApprovals")) {
			if (!key_live("11.0", os))
				mx_strings_add(out, "ignores AllowNonAdminUserApprovals (needs macOS 11.0)");
			else if (getbool(pl, "AllowNonAdminUserApprovals", false))
				mx_strings_add(out, "standard users may approve kexts too");
		}
	} else {
		mx_strings_add(out, "%s (macOS %s+)", sp->title ? sp->title : type, sp->introduced);
	}
}
