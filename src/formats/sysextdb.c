/*
 * sysextdb.c — /Library/SystemExtensions/db.plist, sysextd's database
 * (system-extensions.md §2.3), written and read.  Layout, keys sorted as
 * written here (macOS writes a binary plist; its key order carries no
 * meaning, a fixed one makes equal databases equal bytes):
 *
 *   { bootUUID: string, developerMode: bool,
 *     extensionPolicies: [ { allowedExtensionTypes: {TEAM: [category...]},
 *                            allowedExtensions: {TEAM: [bundle id...]},
 *                            allowedTeamIDs: [TEAM...] } ],              §1.8
 *     extensions: [ { bundleVersion: {CFBundleShortVersionString, CFBundleVersion},
 *                     categories: [category], container: {bundlePath} | "$null",
 *                     identifier, originPath,
 *                     references: [ {appIdentifier, teamID} ],
 *                     stagedBundleURL: {relative: "file:///Library/SystemExtensions/UUID/NAME/"},
 *                     stagedCdhashes: {cdhash: {cpusubtype, cputype}},
 *                     state, teamID, uniqueID } ],
 *     version: 1 }
 *
 * Reading accepts what real Macs hold: extensionPolicies as an empty string
 * (osquery's test vector), references with an appRef file-reference URL,
 * additionalLaunchdPlistEntries data, unknown keys (ignored).  Everything
 * used is type-checked and bounded; paths must be absolute without "..".
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/plist_util.h"
#include "macext/sysextdb.h"

/* MX_EINVALID at "name: path" (the key path of the value at fault) */
#define FAIL_AT(err, name, path, ...) \
	(mx_fail((err), MX_EINVALID, MX_NO_OFFSET, __FILE__, __LINE__, __VA_ARGS__), \
	 at((err), (name), (path)))

static int
at(mx_err *err, const char *name, const char *path)
{
	if (err)
		snprintf(err->where, sizeof err->where, "%s%s%s", name, path[0] ? ": " : "", path);
	return MX_EINVALID;
}

void
mx_sxdb_init(mx_sxdb *db)
{
	memset(db, 0, sizeof *db);
	db->version = 1;
	db->policies = plist_new_array();
}

void
mx_sxdb_free(mx_sxdb *db)
{
	plist_free(db->policies);
	free(db->exts);
	memset(db, 0, sizeof *db);
}

void
mx_sxdb_add_ext(mx_sxdb *db, const mx_sxdb_ext *e)
{
	db->exts = mx_xrealloc(db->exts, (db->nexts + 1) * sizeof *db->exts);
	db->exts[db->nexts++] = *e;
}

bool
mx_devpath_ok(const char *p, size_t max)
{
	size_t n = strnlen(p, max);
	if (n == 0 || n >= max || p[0] != '/')
		return false;
	for (const char *c = p; *c; ) {
		const char *s = c + 1, *e = strchr(s, '/');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		if (l == 0 || (l == 2 && s[0] == '.' && s[1] == '.') || (l == 1 && s[0] == '.'))
			return false;
		c = e ? e : s + l;
	}
	return true;
}

bool
mx_text_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p, n, cp;
		if (c < 0x80) {
			if (c < 0x20 && c != '\t')
				return false;
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return false;
		for (unsigned i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

/* ---- writing ---- */

static plist_t
str_array_copy(plist_t a)
{
	plist_t out = plist_new_array();
	for (uint32_t i = 0; a && i < plist_array_get_size(a); i++) {
		const char *s = mx_plist_str(plist_array_get_item(a, i));
		if (s)
			plist_array_append_item(out, plist_new_string(s));
	}
	return out;
}

static const char *
type_category(const char *t)
{
	static const struct { const char *type, *cat; } map[] = {
		{ "DriverExtension", "com.apple.system_extension.driver_extension" },
		{ "NetworkExtension", "com.apple.system_extension.network_extension" },
		{ "EndpointSecurityExtension", "com.apple.system_extension.endpoint_security" },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i].type, t) == 0)
			return map[i].cat;
	return t;   /* an unknown type string stays as it is */
}

/* {TEAM: [string...]} from a payload dict of the same shape; map types. */
static int
team_map(plist_t *out, plist_t src, bool types, const char *where, const char *key, mx_err *err)
{
	*out = plist_new_dict();
	if (src == NULL)
		return 0;
	if (plist_get_node_type(src) != PLIST_DICT) {
		plist_free(*out);
		*out = NULL;
		return FAIL_AT(err, where, key, "expected dictionary, got %s", mx_plist_type_name(src));
	}
	plist_dict_iter it = NULL;
	plist_dict_new_iter(src, &it);
	int rc = 0;
	for (;;) {
		char *team = NULL;
		plist_t v = NULL;
		plist_dict_next_item(src, it, &team, &v);
		if (team == NULL)
			break;
		if (plist_get_node_type(v) != PLIST_ARRAY) {
			char p[512];
			mx_path_key(p, sizeof p, key, team);
			rc = FAIL_AT(err, where, p, "expected array, got %s", mx_plist_type_name(v));
			free(team);
			break;
		}
		plist_t a = plist_new_array();
		for (uint32_t i = 0; i < plist_array_get_size(v); i++) {
			const char *s = mx_plist_str(plist_array_get_item(v, i));
			if (s)
				plist_array_append_item(a, plist_new_string(types ? type_category(s) : s));
		}
		plist_dict_set_item(*out, team, a);
		free(team);
	}
	free(it);
	if (rc) {
		plist_free(*out);
		*out = NULL;
	}
	return rc;
}

int
mx_sxdb_add_policy(mx_sxdb *db, plist_t payload, const char *where, mx_err *err)
{
	if (db->npolicies >= MX_SXDB_MAX_POLICIES)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "more than %d system extension policies",
		    MX_SXDB_MAX_POLICIES);
	plist_t teams = plist_dict_get_item(payload, "AllowedTeamIdentifiers");
	if (teams && plist_get_node_type(teams) != PLIST_ARRAY)
		return FAIL_AT(err, where, "AllowedTeamIdentifiers", "expected array, got %s",
		    mx_plist_type_name(teams));
	plist_t types = NULL, exts = NULL;
	int rc = team_map(&types, plist_dict_get_item(payload, "AllowedSystemExtensionTypes"), true,
	    where, "AllowedSystemExtensionTypes", err);
	if (rc == 0)
		rc = team_map(&exts, plist_dict_get_item(payload, "AllowedSystemExtensions"), false,
		    where, "AllowedSystemExtensions", err);
	if (rc) {
		plist_free(types);
		return rc;
	}
	plist_t p = plist_new_dict();
	plist_dict_set_item(p, "allowedExtensionTypes", types);
	plist_dict_set_item(p, "allowedExtensions", exts);
	plist_dict_set_item(p, "allowedTeamIDs", str_array_copy(teams));
	plist_array_append_item(db->policies, p);
	db->npolicies++;
	return 0;
}

/* "file://" + path + "/", bytes outside [A-Za-z0-9/._~-] percent-encoded. */
static plist_t
file_url(const char *path)
{
	size_t n = strlen(path);
	char *u = mx_xmalloc(8 + 3 * n + 2);
	char *o = u + sprintf(u, "file://");
	for (const unsigned char *c = (const unsigned char *)path; *c; c++)
		if (isalnum(*c) || strchr("/._~-", *c))
			*o++ = (char)*c;
		else
			o += sprintf(o, "%%%02X", *c);
	*o++ = '/';
	*o = '\0';
	plist_t s = plist_new_string(u);
	free(u);
	return s;
}

static plist_t
ext_plist(const mx_sxdb_ext *e)
{
	plist_t d = plist_new_dict(), bv = plist_new_dict(), cats = plist_new_array();
	plist_dict_set_item(bv, "CFBundleShortVersionString", plist_new_string(e->short_version));
	plist_dict_set_item(bv, "CFBundleVersion", plist_new_string(e->version));
	plist_dict_set_item(d, "bundleVersion", bv);
	plist_array_append_item(cats, plist_new_string(e->category));
	plist_dict_set_item(d, "categories", cats);
	if (e->container[0]) {
		plist_t c = plist_new_dict();
		plist_dict_set_item(c, "bundlePath", plist_new_string(e->container));
		plist_dict_set_item(d, "container", c);
	} else {
		plist_dict_set_item(d, "container", plist_new_string("$null"));
	}
	plist_dict_set_item(d, "identifier", plist_new_string(e->identifier));
	if (e->origin_path[0])
		plist_dict_set_item(d, "originPath", plist_new_string(e->origin_path));
	plist_t refs = plist_new_array();
	if (e->app_id[0]) {
		plist_t r = plist_new_dict();
		plist_dict_set_item(r, "appIdentifier", plist_new_string(e->app_id));
		plist_dict_set_item(r, "teamID", plist_new_string(e->app_team));
		plist_array_append_item(refs, r);
	}
	plist_dict_set_item(d, "references", refs);
	if (e->staged_path[0]) {
		plist_t url = plist_new_dict();
		plist_dict_set_item(url, "relative", file_url(e->staged_path));
		plist_dict_set_item(d, "stagedBundleURL", url);
	}
	plist_t cds = plist_new_dict();
	for (int i = 0; i < e->ncdhash; i++) {
		plist_t a = plist_new_dict();
		plist_dict_set_item(a, "cpusubtype", plist_new_uint((uint64_t)e->cdhash[i].cpusubtype));
		plist_dict_set_item(a, "cputype", plist_new_uint((uint64_t)e->cdhash[i].cputype));
		plist_dict_set_item(cds, e->cdhash[i].cdhash, a);
	}
	plist_dict_set_item(d, "stagedCdhashes", cds);
	plist_dict_set_item(d, "state", plist_new_string(e->state));
	plist_dict_set_item(d, "teamID", plist_new_string(e->team_id));
	plist_dict_set_item(d, "uniqueID", plist_new_string(e->unique_id));
	return d;
}

int
mx_sxdb_write(const mx_sxdb *db, uint8_t **out, size_t *len, mx_err *err)
{
	plist_t root = plist_new_dict(), exts = plist_new_array();
	plist_dict_set_item(root, "bootUUID", plist_new_string(db->boot_uuid));
	plist_dict_set_item(root, "developerMode", plist_new_bool(db->developer_mode));
	plist_dict_set_item(root, "extensionPolicies", db->policies ? plist_copy(db->policies)
	    : plist_new_array());
	for (size_t i = 0; i < db->nexts; i++)
		plist_array_append_item(exts, ext_plist(&db->exts[i]));
	plist_dict_set_item(root, "extensions", exts);
	plist_dict_set_item(root, "version", plist_new_uint((uint64_t)db->version));
	char *bin = NULL;
	uint32_t n = 0;
	plist_to_bin(root, &bin, &n);
	plist_free(root);
	if (bin == NULL)
		return MX_FAIL(err, MX_ENOMEM, MX_NO_OFFSET, "db.plist: could not encode");
	*out = (uint8_t *)bin;
	*len = n;
	return 0;
}

/* ---- reading ---- */

static bool
uuid_ok(const char *s)
{
	static const int dash[] = { 8, 13, 18, 23 };
	if (strlen(s) != 36)
		return false;
	for (int i = 0, k = 0; i < 36; i++) {
		if (k < 4 && i == dash[k]) {
			if (s[i] != '-')
				return false;
			k++;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

/* letters, digits and "-._" (bundle ids, categories), 1..max-1 bytes */
static bool
ident_ok(const char *s, size_t max, bool allow_empty)
{
	size_t n = strnlen(s, max);
	if (n >= max || (n == 0 && !allow_empty))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-._", s[i]))
			return false;
	return true;
}

static bool
team_ok(const char *s)
{
	size_t n = strnlen(s, 32);
	if (n > 20)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]))
			return false;
	return true;
}

/* A string at dict[key] copied into out (cap), checked by ok; required or "" */
static int
get_str(char *out, size_t cap, plist_t dict, const char *key, bool required,
    bool (*ok)(const char *, size_t), const char *name, const char *path, mx_err *err)
{
	const char *s = NULL;
	int rc = mx_plist_get_string(&s, dict, key, required, name, path, err);
	if (rc)
		return rc;
	out[0] = '\0';
	if (s == NULL)
		return 0;
	char p[512];
	mx_path_key(p, sizeof p, path, key);
	if (strlen(s) >= cap)
		return FAIL_AT(err, name, p, "longer than %zu bytes", cap - 1);
	if (!mx_text_ok(s))
		return FAIL_AT(err, name, p, "not UTF-8 text");
	if (ok && !ok(s, cap))
		return FAIL_AT(err, name, p, "\"%.80s\" is not allowed here", s);
	snprintf(out, cap, "%s", s);
	return 0;
}

static bool
any_ok(const char *s, size_t cap)
{
	(void)s;
	(void)cap;
	return true;
}

static bool
id_ok(const char *s, size_t cap)
{
	return ident_ok(s, cap, false);
}

static bool
team_cb(const char *s, size_t cap)
{
	(void)cap;
	return team_ok(s);
}

static bool
state_ok(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	if (n == 0 || n >= cap)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

static bool
uuid_cb(const char *s, size_t cap)
{
	(void)cap;
	return uuid_ok(s);
}

static bool
path_or_empty(const char *s, size_t cap)
{
	return s[0] == '\0' || mx_devpath_ok(s, cap);
}

static bool
uuid_or_empty(const char *s, size_t cap)
{
	return s[0] == '\0' || uuid_cb(s, cap);
}

/* "file:///a/b%20c/" -> "/a/b c" */
static int
url_path(char *out, size_t cap, const char *url, const char *name, const char *path, mx_err *err)
{
	if (strncmp(url, "file://", 7) != 0)
		return FAIL_AT(err, name, path, "expected a file:// URL, got \"%.80s\"", url);
	size_t o = 0;
	for (const char *c = url + 7; *c; c++) {
		int ch = (unsigned char)*c;
		if (ch == '%') {
			unsigned v;
			if (!isxdigit((unsigned char)c[1]) || !isxdigit((unsigned char)c[2]) ||
			    sscanf(c + 1, "%2x", &v) != 1 || v == 0)
				return FAIL_AT(err, name, path, "bad percent escape in \"%.80s\"", url);
			ch = (int)v;
			c += 2;
		}
		if (o + 1 >= cap)
			return FAIL_AT(err, name, path, "longer than %zu bytes", cap - 1);
		out[o++] = (char)ch;
	}
	while (o > 1 && out[o - 1] == '/')
		o--;
	out[o] = '\0';
	if (!mx_text_ok(out) || !mx_devpath_ok(out, cap))
		return FAIL_AT(err, name, path, "\"%.80s\" is not an absolute path without \"..\"", out);
	return 0;
}

static int
parse_ext(mx_sxdb_ext *e, plist_t d, const char *name, const char *path, mx_err *err)
{
	memset(e, 0, sizeof *e);
	int rc;
	char p[512];
	if ((rc = mx_plist_expect(d, PLIST_DICT, name, path, err)) ||
	    (rc = get_str(e->identifier, sizeof e->identifier, d, "identifier", true, id_ok, name,
	    path, err)) ||
	    (rc = get_str(e->team_id, sizeof e->team_id, d, "teamID", false, team_cb, name, path,
	    err)) ||
	    (rc = get_str(e->state, sizeof e->state, d, "state", true, state_ok, name, path, err)) ||
	    (rc = get_str(e->unique_id, sizeof e->unique_id, d, "uniqueID", true, uuid_cb, name,
	    path, err)) ||
	    (rc = get_str(e->origin_path, sizeof e->origin_path, d, "originPath", false, path_or_empty,
	    name, path, err)))
		return rc;
	plist_t bv = NULL;
	mx_path_key(p, sizeof p, path, "bundleVersion");
	if ((rc = mx_plist_get_node(&bv, d, "bundleVersion", PLIST_DICT, true, name, path, err)) ||
	    (rc = get_str(e->version, sizeof e->version, bv, "CFBundleVersion", true, any_ok, name, p,
	    err)) ||
	    (rc = get_str(e->short_version, sizeof e->short_version, bv, "CFBundleShortVersionString",
	    false, any_ok, name, p, err)))
		return rc;
	plist_t cats = NULL;
	if ((rc = mx_plist_get_node(&cats, d, "categories", PLIST_ARRAY, true, name, path, err)))
		return rc;
	mx_path_key(p, sizeof p, path, "categories");
	uint32_t nc = plist_array_get_size(cats);
	if (nc == 0 || nc > 4)
		return FAIL_AT(err, name, p, "expected 1 to 4 categories, got %u", nc);
	for (uint32_t i = 0; i < nc; i++) {
		const char *c = mx_plist_str(plist_array_get_item(cats, i));
		char q[512];
		mx_path_index(q, sizeof q, p, i);
		if (c == NULL)
			return FAIL_AT(err, name, q, "expected string, got %s",
			    mx_plist_type_name(plist_array_get_item(cats, i)));
		if (!ident_ok(c, sizeof e->category, false))
			return FAIL_AT(err, name, q, "\"%.80s\" is not a category identifier", c);
		if (i == 0)
			snprintf(e->category, sizeof e->category, "%s", c);
	}
	/* container: {bundlePath} or the keyed-archiver null "$null" */
	plist_t cont = plist_dict_get_item(d, "container");
	mx_path_key(p, sizeof p, path, "container");
	if (cont && plist_get_node_type(cont) == PLIST_DICT) {
		if ((rc = get_str(e->container, sizeof e->container, cont, "bundlePath", true,
		    mx_devpath_ok, name, p, err)))
			return rc;
	} else if (cont && !(mx_plist_str(cont) && strcmp(mx_plist_str(cont), "$null") == 0)) {
		return FAIL_AT(err, name, p, "expected dictionary or \"$null\", got %s",
		    mx_plist_type_name(cont));
	}
	plist_t refs = NULL;
	if ((rc = mx_plist_get_node(&refs, d, "references", PLIST_ARRAY, false, name, path, err)))
		return rc;
	for (uint32_t i = 0; refs && i < plist_array_get_size(refs); i++) {
		char q[512], app[256], team[32];
		mx_path_key(p, sizeof p, path, "references");
		mx_path_index(q, sizeof q, p, i);
		plist_t r = plist_array_get_item(refs, i);
		if ((rc = mx_plist_expect(r, PLIST_DICT, name, q, err)) ||
		    (rc = get_str(app, sizeof app, r, "appIdentifier", true, id_ok, name, q, err)) ||
		    (rc = get_str(team, sizeof team, r, "teamID", false, team_cb, name, q, err)))
			return rc;
		if (i == 0) {
			snprintf(e->app_id, sizeof e->app_id, "%s", app);
			snprintf(e->app_team, sizeof e->app_team, "%s", team);
		}
	}
	plist_t url = NULL;
	if ((rc = mx_plist_get_node(&url, d, "stagedBundleURL", PLIST_DICT, false, name, path, err)))
		return rc;
	if (url) {
		const char *rel = NULL;
		mx_path_key(p, sizeof p, path, "stagedBundleURL");
		if ((rc = mx_plist_get_string(&rel, url, "relative", true, name, p, err)))
			return rc;
		char q[512];
		mx_path_key(q, sizeof q, p, "relative");
		if ((rc = url_path(e->staged_path, sizeof e->staged_path, rel, name, q, err)))
			return rc;
	}
	plist_t cds = NULL;
	if ((rc = mx_plist_get_node(&cds, d, "stagedCdhashes", PLIST_DICT, false, name, path, err)))
		return rc;
	if (cds) {
		mx_path_key(p, sizeof p, path, "stagedCdhashes");
		if (plist_dict_get_size(cds) > MX_SXDB_MAX_CDHASHES)
			return FAIL_AT(err, name, p, "more than %d entries", MX_SXDB_MAX_CDHASHES);
		plist_dict_iter it = NULL;
		plist_dict_new_iter(cds, &it);
		for (;;) {
			char *k = NULL;
			plist_t v = NULL;
			plist_dict_next_item(cds, it, &k, &v);
			if (k == NULL)
				break;
			char q[512];
			mx_path_key(q, sizeof q, p, k);
			mx_sxdb_cdhash *c = &e->cdhash[e->ncdhash];
			bool hex = strlen(k) == 40;
			for (size_t i = 0; hex && i < 40; i++)
				hex = isxdigit((unsigned char)k[i]);
			if (!hex)
				rc = FAIL_AT(err, name, q, "expected a 40-digit hex cdhash");
			else if ((rc = mx_plist_expect(v, PLIST_DICT, name, q, err)) == 0 &&
			    (rc = mx_plist_get_int(&c->cputype, v, "cputype", true, name, q, err)) == 0)
				rc = mx_plist_get_int(&c->cpusubtype, v, "cpusubtype", true, name, q, err);
			if (rc == 0) {
				for (size_t i = 0; i < 40; i++)
					c->cdhash[i] = (char)tolower((unsigned char)k[i]);
				e->ncdhash++;
			}
			free(k);
			if (rc)
				break;
		}
		free(it);
		if (rc)
			return rc;
	}
	return 0;
}

/* extensionPolicies: an array of dicts of the three keys, or "" (empty). */
static int
parse_policies(mx_sxdb *db, plist_t a, const char *name, mx_err *err)
{
	if (a == NULL || (mx_plist_str(a) && mx_plist_str(a)[0] == '\0'))
		return 0;
	if (plist_get_node_type(a) != PLIST_ARRAY)
		return FAIL_AT(err, name, "extensionPolicies", "expected array, got %s",
		    mx_plist_type_name(a));
	if (plist_array_get_size(a) > MX_SXDB_MAX_POLICIES)
		return FAIL_AT(err, name, "extensionPolicies", "more than %d entries",
		    MX_SXDB_MAX_POLICIES);
	for (uint32_t i = 0; i < plist_array_get_size(a); i++) {
		char p[64];
		mx_path_index(p, sizeof p, "extensionPolicies", i);
		plist_t e = plist_array_get_item(a, i);
		if (plist_get_node_type(e) != PLIST_DICT)
			return FAIL_AT(err, name, p, "expected dictionary, got %s", mx_plist_type_name(e));
		plist_t teams = plist_dict_get_item(e, "allowedTeamIDs");
		if (teams && plist_get_node_type(teams) != PLIST_ARRAY)
			return FAIL_AT(err, name, p, "allowedTeamIDs: expected array, got %s",
			    mx_plist_type_name(teams));
		for (uint32_t k = 0; teams && k < plist_array_get_size(teams); k++) {
			const char *t = mx_plist_str(plist_array_get_item(teams, k));
			if (t == NULL || !mx_text_ok(t))
				return FAIL_AT(err, name, p, "allowedTeamIDs[%u]: expected a string", k);
		}
		/* the element is rebuilt from what was checked: only the three keys,
		 * only strings (keys with other bytes never reach a writer) */
		plist_t clean = plist_new_dict();
		if (teams)
			plist_dict_set_item(clean, "allowedTeamIDs", str_array_copy(teams));
		static const char *const maps[] = { "allowedExtensions", "allowedExtensionTypes" };
		int rc = 0;
		for (int m = 0; m < 2 && rc == 0; m++) {
			plist_t d = plist_dict_get_item(e, maps[m]);
			if (d == NULL)
				continue;
			if (plist_get_node_type(d) != PLIST_DICT) {
				rc = FAIL_AT(err, name, p, "%s: expected dictionary, got %s", maps[m],
				    mx_plist_type_name(d));
				break;
			}
			plist_t cd = plist_new_dict();
			plist_dict_iter it = NULL;
			plist_dict_new_iter(d, &it);
			for (;;) {
				char *k = NULL;
				plist_t v = NULL;
				plist_dict_next_item(d, it, &k, &v);
				if (k == NULL)
					break;
				if (!mx_text_ok(k))
					rc = FAIL_AT(err, name, p, "%s: a key that is not UTF-8 text", maps[m]);
				else if (plist_get_node_type(v) != PLIST_ARRAY)
					rc = FAIL_AT(err, name, p, "%s.%s: expected array, got %s", maps[m], k,
					    mx_plist_type_name(v));
				for (uint32_t j = 0; rc == 0 && j < plist_array_get_size(v); j++) {
					const char *t = mx_plist_str(plist_array_get_item(v, j));
					if (t == NULL || !mx_text_ok(t))
						rc = FAIL_AT(err, name, p, "%s.%s[%u]: expected a string", maps[m], k, j);
				}
				if (rc == 0)
					plist_dict_set_item(cd, k, str_array_copy(v));
				free(k);
				if (rc)
					break;
			}
			free(it);
			plist_dict_set_item(clean, maps[m], cd);
		}
		if (rc) {
			plist_free(clean);
			return rc;
		}
		plist_array_append_item(db->policies, clean);
		db->npolicies++;
	}
	return 0;
}

int
mx_sxdb_parse(mx_sxdb *out, const uint8_t *buf, size_t len, const char *name, mx_err *err)
{
	mx_sxdb_init(out);
	if (len > MX_SXDB_MAX_BYTES) {
		mx_sxdb_free(out);
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: %zu bytes, over the %u MiB cap", name,
		    len, MX_SXDB_MAX_BYTES >> 20);
	}
	plist_t root = NULL;
	int rc = mx_plist_parse(&root, buf, len, name, err);
	if (rc == 0)
		rc = mx_plist_expect(root, PLIST_DICT, name, "", err);
	if (rc == 0)
		rc = mx_plist_get_int(&out->version, root, "version", false, name, "", err);
	if (rc == 0 && out->version != 1)
		rc = FAIL_AT(err, name, "version", "expected 1, got %lld", (long long)out->version);
	if (rc == 0)
		rc = get_str(out->boot_uuid, sizeof out->boot_uuid, root, "bootUUID", false, uuid_or_empty,
		    name, "", err);
	if (rc == 0)
		rc = mx_plist_get_bool(&out->developer_mode, root, "developerMode", false, name, "", err);
	if (rc == 0)
		rc = parse_policies(out, plist_dict_get_item(root, "extensionPolicies"), name, err);
	plist_t exts = NULL;
	if (rc == 0)
		rc = mx_plist_get_node(&exts, root, "extensions", PLIST_ARRAY, false, name, "", err);
	uint32_t n = exts ? plist_array_get_size(exts) : 0;
	if (rc == 0 && n > MX_SXDB_MAX_EXTS)
		rc = FAIL_AT(err, name, "extensions", "more than %d records", MX_SXDB_MAX_EXTS);
	if (rc == 0 && n)
		out->exts = mx_xcalloc(n, sizeof *out->exts);
	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		char p[64];
		mx_path_index(p, sizeof p, "extensions", i);
		rc = parse_ext(&out->exts[i], plist_array_get_item(exts, i), name, p, err);
		for (uint32_t k = 0; rc == 0 && k < i; k++)
			if (strcasecmp(out->exts[k].unique_id, out->exts[i].unique_id) == 0)
				rc = FAIL_AT(err, name, p, "uniqueID %s appears twice", out->exts[i].unique_id);
		if (rc == 0)
			out->nexts++;
	}
	plist_free(root);
	if (rc)
		mx_sxdb_free(out);
	return rc;
}
