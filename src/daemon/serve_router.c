/*
 * serve_router.c — the route table of `macext serve`'s API, the matcher,
 * and the parsers of what a request carries (JSON bodies, credentials,
 * query strings).  Identifiers from the path are percent-decoded one
 * segment at a time and must be a device name or a bundle identifier:
 * "..%2F", a NUL, a slash or anything long is refused before any handler
 * runs.  No I/O: tests/fuzz/serve_router drives it with hostile bytes.
 */
#include <stdio.h>
#include <string.h>

#include "daemon/serve_router.h"

#define D "/api/v1/devices/{name}"
const serve_route serve_routes[R_NROUTES] = {
	{ R_SESSION_POST, "POST", "/api/v1/session", SR_MUTATES | SR_NOAUTH, SR_BODY_JSON, "json",
	  "exchange the token for a session cookie" },
	{ R_SESSION_DELETE, "DELETE", "/api/v1/session", SR_MUTATES | SR_NOAUTH, SR_BODY_NONE, NULL,
	  "log out (the cookie is cleared)" },
	{ R_FLEET, "GET", "/api/v1/fleet", 0, 0, NULL, "fleet summary --json" },
	{ R_MDM_STATUS, "GET", "/api/v1/mdm", 0, 0, NULL, "the MDM agent's counts" },
	{ R_EVENTS, "GET", "/api/v1/events", SR_SSE, 0, NULL, "change events of the fleet (SSE)" },
	{ R_DEVICES_GET, "GET", "/api/v1/devices", 0, 0, NULL,
	  "a page of device list --json (?limit=&after=&q=)" },
	{ R_DEVICES_POST, "POST", "/api/v1/devices", SR_MUTATES, SR_BODY_JSON, "json",
	  "device create" },
	{ R_DEVICE_GET, "GET", D, 0, 0, NULL, "device show --json" },
	{ R_DEVICE_DELETE, "DELETE", D, SR_MUTATES, 0, NULL, "device delete" },
	{ R_DEVICE_EVENTS, "GET", D "/events", SR_SSE, 0, NULL, "change events of one device (SSE)" },
	{ R_PROFILES_GET, "GET", D "/profiles", 0, 0, NULL, "profiles list --json" },
	{ R_PROFILES_POST, "POST", D "/profiles", SR_MUTATES, SR_BODY_PLIST, "mobileconfig",
	  "profiles install (body: the .mobileconfig; ?via=mdm or admin credentials in headers)" },
	{ R_POLICY_GET, "GET", D "/profiles/policy", 0, 0, NULL, "profiles policy --json" },
	{ R_PROFILE_GET, "GET", D "/profiles/{id}", 0, 0, NULL, "profiles show ID --json" },
	{ R_PROFILE_DELETE, "DELETE", D "/profiles/{id}", SR_MUTATES, SR_BODY_JSON, "json",
	  "profiles remove (admin)" },
	{ R_SYSEXTS_GET, "GET", D "/sysexts", 0, 0, NULL, "sysext list --json" },
	{ R_SYSEXT_APPROVE, "POST", D "/sysexts/{id}/approve", SR_MUTATES, SR_BODY_JSON, "json",
	  "approve sysext (admin)" },
	{ R_SYSEXT_ENABLED, "POST", D "/sysexts/{id}/enabled", SR_MUTATES, SR_BODY_JSON, "json",
	  "sysext enable|disable: the macOS 15 toggle (admin)" },
	{ R_KEXTS_GET, "GET", D "/kexts", 0, 0, NULL, "kext list --json" },
	{ R_KEXTS_POST, "POST", D "/kexts", SR_MUTATES, SR_BODY_ARCHIVE, "archive",
	  "kext install (body: an archive holding one .kext)" },
	{ R_KEXT_APPROVE, "POST", D "/kexts/{id}/approve", SR_MUTATES, SR_BODY_JSON, "json",
	  "approve kext (admin)" },
	{ R_APPS_POST, "POST", D "/apps", SR_MUTATES, SR_BODY_ARCHIVE, "archive",
	  "app install (body: an archive holding one .app)" },
	{ R_ALERTS, "GET", D "/alerts", 0, 0, NULL, "alerts --json" },
	{ R_LOG, "GET", D "/log", 0, 0, NULL, "log --json (?limit=&after=)" },
	{ R_SECURITY_GET, "GET", D "/security", 0, 0, NULL, "security show --json" },
	{ R_SECURITY_POST, "POST", D "/security", SR_MUTATES, SR_BODY_JSON, "json",
	  "security set: Startup Security Utility (admin)" },
	{ R_RESTART, "POST", D "/restart", SR_MUTATES, SR_BODY_JSON, "json", "restart" },
	{ R_SHUTDOWN, "POST", D "/shutdown", SR_MUTATES, SR_BODY_JSON, "json", "shutdown" },
	{ R_POWER_ON, "POST", D "/power-on", SR_MUTATES, SR_BODY_JSON, "json",
	  "press the power button of a Mac that is off" },
	{ R_RECOVERY, "POST", D "/recovery", SR_MUTATES, SR_BODY_JSON, "json",
	  "recovery {\"via\": \"power-button\"|\"software\"}" },
	{ R_MDM_COMMAND, "POST", D "/mdm", SR_MUTATES, SR_BODY_PLIST, "plist",
	  "mdm command (body: the command plist; answer: the response plist)" },
	{ R_SYSEXT_ACTIVATE, "POST", D "/sysexts/{id}/activate", SR_MUTATES, SR_BODY_JSON, "json",
	  "sysext activate: the app in /Applications asks for its extension {\"app\"}" },
	{ R_KEXT_LOAD, "POST", D "/kexts/{id}/load", SR_MUTATES, SR_BODY_JSON, "json",
	  "kmutil load -b ID (the states reached are kept; KMErrorDomain problem when it did not load)" },
	{ R_MDM_ENROLL, "POST", D "/mdm/enroll", SR_MUTATES, SR_BODY_PLIST, "mobileconfig",
	  "mdm enroll --profile (body: the enrolment profile; ?method=&user_approved=&insecure=)" },
	{ R_ALERT_DISMISS, "POST", D "/alerts/{id}/dismiss", SR_MUTATES, SR_BODY_JSON, "json",
	  "alerts dismiss ID: the user closes the alert ({\"kind\", \"subject\"} optional guards)" },
	{ R_FLEET_DEVICES_POST, "POST", "/api/v1/fleet/devices", SR_MUTATES, SR_BODY_BULK, "json",
	  "device create for up to 1000 Macs in one transaction (devices, or count + template)" },
};
#undef D

/* 1 to max bytes, each a letter, a digit, '-', '_' or '.'. */
static bool
name_chars(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

bool
serve_valid_name(const char *s)
{
	return name_chars(s, strlen(s), 63) && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

bool
serve_valid_ident(const char *s)
{
	return name_chars(s, strlen(s), 255) && s[0] != '.';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
serve_pct_decode(const char *s, size_t n, char *out, size_t cap, mx_err *err)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n)
				return MX_FAIL(err, MX_EINVALID, i, "a '%%' escape is cut short");
			int a = hexval((unsigned char)s[i + 1]), b = hexval((unsigned char)s[i + 2]);
			if (a < 0 || b < 0)
				return MX_FAIL(err, MX_EINVALID, i, "a '%%' escape is not two hex digits");
			c = a * 16 + b;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c == 0)
			return MX_FAIL(err, MX_EINVALID, i, "a NUL byte");
		if (k + 1 >= cap)
			return MX_FAIL(err, MX_EINVALID, i, "longer than %zu bytes", cap - 1);
		out[k++] = (char)c;
	}
	out[k] = '\0';
	return 0;
}

/* The segments of p: at most 16, none empty except that a trailing '/' is
 * ignored. */
static int
split(const char *p, const char *seg[16], size_t len[16])
{
	int n = 0;
	if (*p != '/')
		return -1;
	while (*p == '/') {
		p++;
		if (*p == '\0')
			break;
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == 0 || n == 16)
			return -1;
		seg[n] = p;
		len[n++] = l;
		p += l;
	}
	return n;
}

int
serve_route_match(const char *method, const char *path, serve_match *out, char *allow,
    size_t allow_len, mx_err *err)
{
	memset(out, 0, sizeof *out);
	if (allow && allow_len)
		allow[0] = '\0';
	if (strlen(path) > 4096)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "the path is longer than 4096 bytes");
	const char *seg[16];
	size_t len[16];
	int n = split(path, seg, len);
	if (n < 0)
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "no such resource");
	bool path_ok = false;
	int bad = 0;
	mx_err bad_err;
	mx_err_clear(&bad_err);
	for (int r = 0; r < R_NROUTES; r++) {
		const serve_route *rt = &serve_routes[r];
		const char *pseg[16];
		size_t plen[16];
		int pn = split(rt->pattern, pseg, plen);
		if (pn != n)
			continue;
		serve_match m;
		memset(&m, 0, sizeof m);
		int i, why = 0;
		for (i = 0; i < n; i++) {
			if (pseg[i][0] == '{') {
				bool is_name = strncmp(pseg[i], "{name}", 6) == 0;
				char *dst = m.param[m.nparams];
				mx_err e2;
				if (serve_pct_decode(seg[i], len[i], dst, SR_PARAM_MAX, &e2) ||
				    !(is_name ? serve_valid_name(dst) : serve_valid_ident(dst))) {
					why = MX_EINVALID;
					/* fixed segments after it must still match for this to be the route */
					snprintf(bad_err.where, sizeof bad_err.where, "path segment %d", i + 1);
					snprintf(bad_err.msg, sizeof bad_err.msg, "%s",
					    is_name ? "expected a device name (letters, digits, '-', '_', '.'; at"
					    " most 63 bytes)" : "expected an identifier (letters, digits, '-', '_',"
					    " '.'; at most 255 bytes)");
					continue;
				}
				m.nparams++;
			} else if (len[i] != plen[i] || memcmp(seg[i], pseg[i], len[i]) != 0) {
				break;
			}
		}
		if (i < n)
			continue;
		if (why) {
			bad = why;
			continue;
		}
		path_ok = true;
		if (strcmp(method, rt->method) == 0 || (strcmp(method, "HEAD") == 0 &&
		    strcmp(rt->method, "GET") == 0)) {
			m.route = rt;
			*out = m;
			return 0;
		}
		if (allow) {
			size_t l = strlen(allow);
			snprintf(allow + l, allow_len - l, "%s%s", l ? ", " : "", rt->method);
		}
	}
	if (path_ok)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "method %.16s is not allowed here (allowed: %s)",
		    method, allow ? allow : "");
	if (bad) {
		int rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s", bad_err.msg);
		snprintf(err->where, sizeof err->where, "%s", bad_err.where);
		return rc;
	}
	return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "no such resource");
}

/* ---- bodies ---- */

int
serve_body_object(const uint8_t *buf, size_t len, bool empty_ok, json_t **out, mx_err *err)
{
	*out = NULL;
	if (len == 0 && empty_ok) {
		*out = json_object();
		return 0;
	}
	json_error_t je;
	json_t *j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL)
		return MX_FAIL(err, MX_EFORMAT, (uint64_t)je.position,
		    "the body is not JSON: %s (line %d, column %d)", je.text, je.line, je.column);
	if (!json_is_object(j)) {
		json_decref(j);
		return MX_FAIL(err, MX_EFORMAT, 0, "the body must be a JSON object");
	}
	*out = j;
	return 0;
}

static const char *
type_name(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: case JSON_REAL: return "number";
	case JSON_TRUE: case JSON_FALSE: return "boolean";
	default: return "null";
	}
}

int
serve_json_str(json_t *o, const char *key, size_t max, const char **out, mx_err *err)
{
	*out = NULL;
	json_t *v = json_object_get(o, key);
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"%s\": expected a string, got %s", key,
		    type_name(v));
	if (json_string_length(v) > max || strlen(json_string_value(v)) != json_string_length(v))
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET,
		    "\"%s\": expected at most %zu bytes and no NUL", key, max);
	*out = json_string_value(v);
	return 0;
}

int
serve_json_bool(json_t *o, const char *key, bool *out, bool *present, mx_err *err)
{
	json_t *v = json_object_get(o, key);
	if (present)
		*present = v != NULL;
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"%s\": expected a boolean, got %s", key,
		    type_name(v));
	*out = json_is_true(v);
	return 0;
}

int
serve_body_cred(json_t *o, char *cred, size_t len, mx_err *err)
{
	const char *u, *p;
	int rc;
	cred[0] = '\0';
	if ((rc = serve_json_str(o, "user", 63, &u, err)) ||
	    (rc = serve_json_str(o, "password", 255, &p, err)))
		return rc;
	if (u == NULL && p == NULL)
		return 0;
	if (u == NULL || *u == '\0')
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"user\": the administrator's name is"
		    " required with \"password\"");
	if (strchr(u, ':'))
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"user\": a user name has no ':'");
	snprintf(cred, len, "%s:%s", u, p ? p : "");
	return 0;
}

int
serve_json_only(json_t *o, const char *const *keys, mx_err *err)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		bool ok = false;
		for (int i = 0; keys[i] && !ok; i++)
			ok = strcmp(k, keys[i]) == 0;
		if (!ok) {
			char shown[80];
			size_t i = 0;
			for (; k[i] && i < sizeof shown - 1; i++)
				shown[i] = (k[i] >= 0x20 && k[i] < 0x7f) ? k[i] : '?';
			shown[i] = '\0';
			return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"%s\": unknown member", shown);
		}
	}
	return 0;
}

/* ---- queries ---- */

int
serve_query_get(const char *query, const char *key, char *out, size_t cap, mx_err *err)
{
	size_t kl = strlen(key);
	const char *p = query ? query : "";
	while (*p) {
		const char *amp = strchr(p, '&');
		size_t l = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', l);
		size_t nl = eq ? (size_t)(eq - p) : l;
		if (nl == kl && memcmp(p, key, kl) == 0) {
			const char *v = eq ? eq + 1 : p + l;
			size_t vl = eq ? l - nl - 1 : 0;
			if (serve_pct_decode(v, vl, out, cap, err)) {
				mx_err_where(err, "?%s", key);
				return -MX_EINVALID;
			}
			return 1;
		}
		p += l;
		if (*p == '&')
			p++;
	}
	return 0;
}

int
serve_query_limit(const char *query, int def, int max, int *out, mx_err *err)
{
	char v[32];
	int r = serve_query_get(query, "limit", v, sizeof v, err);
	if (r < 0)
		return -r;
	*out = def;
	if (r == 0)
		return 0;
	long x = 0;
	size_t i = 0;
	for (; v[i] >= '0' && v[i] <= '9' && x <= max; i++)
		x = x * 10 + (v[i] - '0');
	if (i == 0 || v[i] != '\0' || x < 1 || x > max)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "?limit: expected a whole number from 1"
		    " to %d", max);
	*out = (int)x;
	return 0;
}
