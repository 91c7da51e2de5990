/*
 * serve_router.h — the HTTP API's routes and the checks of what a request
 * carries, without the HTTP server: which route a method and raw path name
 * (path identifiers percent-decoded and validated: never used as paths),
 * and the body and query parsers.  Pure (no I/O), so tests/fuzz/serve_router
 * drives it directly and tests/unit/test_serve_routes.c checks docs/openapi.json
 * against serve_routes[].  docs/api.md documents every route.
 */
#ifndef MACEXT_DAEMON_SERVE_ROUTER_H
#define MACEXT_DAEMON_SERVE_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "macext/err.h"

enum serve_route_id {
	R_SESSION_POST, R_SESSION_DELETE, R_FLEET, R_MDM_STATUS, R_EVENTS,
	R_DEVICES_GET, R_DEVICES_POST, R_DEVICE_GET, R_DEVICE_DELETE, R_DEVICE_EVENTS,
	R_PROFILES_GET, R_PROFILES_POST, R_POLICY_GET, R_PROFILE_GET, R_PROFILE_DELETE,
	R_SYSEXTS_GET, R_SYSEXT_APPROVE, R_SYSEXT_ENABLED,
	R_KEXTS_GET, R_KEXTS_POST, R_KEXT_APPROVE, R_APPS_POST,
	R_ALERTS, R_LOG, R_SECURITY_GET, R_SECURITY_POST,
	R_RESTART, R_SHUTDOWN, R_POWER_ON, R_RECOVERY, R_MDM_COMMAND,
	R_SYSEXT_ACTIVATE, R_KEXT_LOAD, R_MDM_ENROLL, R_ALERT_DISMISS, R_FLEET_DEVICES_POST,
	R_NROUTES
};

/* flags */
#define SR_MUTATES 0x1u          /* needs the bearer token or the session cookie */
#define SR_SSE     0x2u          /* a text/event-stream */
#define SR_NOAUTH  0x4u          /* mutating, but how authentication starts (POST session) */

/* Body caps, checked against Content-Length before reading and while reading */
#define SR_BODY_NONE  0
#define SR_BODY_JSON  (64u << 10)
#define SR_BODY_PLIST (4u << 20)
#define SR_BODY_ARCHIVE (64u << 20)
#define SR_BODY_BULK  (4u << 20)     /* POST /api/v1/fleet/devices: up to SR_BULK_MAX devices */
#define SR_BULK_MAX   1000

typedef struct serve_route {
	enum serve_route_id id;
	const char *method;
	const char *pattern;         /* "/api/v1/devices/{name}/kexts/{id}/approve" */
	unsigned flags;
	size_t body_max;
	const char *body_type;       /* "json", "plist", "mobileconfig", "archive" or NULL */
	const char *summary;
} serve_route;

extern const serve_route serve_routes[R_NROUTES];

#define SR_MAX_PARAMS 3
#define SR_PARAM_MAX 256
typedef struct serve_match {
	const serve_route *route;
	int nparams;
	char param[SR_MAX_PARAMS][SR_PARAM_MAX];   /* decoded, validated: [0] the device */
} serve_match;

/* Matches method and the raw (still percent-encoded, query removed) path.
 * Returns 0 with *out filled; MX_ENOTFOUND when no route has that path;
 * MX_EUSAGE when the path exists but not for method (err->msg says which
 * methods, *allow gets them "GET, DELETE"); MX_EINVALID when an identifier
 * of the path is malformed (err names it).  path at most 4096 bytes. */
int serve_route_match(const char *method, const char *path, serve_match *out, char *allow,
    size_t allow_len, mx_err *err);

/* Percent-decodes s[0..n) into out (at most cap-1 bytes + NUL).  Fails
 * (MX_EINVALID) on a bad escape, a NUL, or overflow. */
int serve_pct_decode(const char *s, size_t n, char *out, size_t cap, mx_err *err);
/* A device name: letters, digits, '-', '_', '.', 1..63 bytes, not "." or "..". */
bool serve_valid_name(const char *s);
/* A bundle or profile identifier: letters, digits, '-', '_', '.', 1..255
 * bytes, not starting with '.'. */
bool serve_valid_ident(const char *s);

/* ---- bodies ---- */
/* A JSON object of at most len bytes (duplicate keys refused).  *out is the
 * caller's.  An empty body is {} when empty_ok. */
int serve_body_object(const uint8_t *buf, size_t len, bool empty_ok, json_t **out, mx_err *err);
/* Optional string member key (NULL when absent); MX_EINVALID naming key for
 * another type, a string over max bytes or holding a NUL. */
int serve_json_str(json_t *o, const char *key, size_t max, const char **out, mx_err *err);
/* Optional boolean member (*out untouched when absent; *present may be NULL). */
int serve_json_bool(json_t *o, const char *key, bool *out, bool *present, mx_err *err);
/* "user":"password" as --as carries it ("USER:PASSWORD"); cred[0] is NUL
 * when the body names no user.  A user with ':' is refused. */
int serve_body_cred(json_t *o, char *cred, size_t len, mx_err *err);
/* Refuses members other than the keys listed (NULL-terminated). */
int serve_json_only(json_t *o, const char *const *keys, mx_err *err);

/* ---- queries ---- */
/* Finds key in a raw query string ("a=1&b=2"), percent-decoded ('+' is a
 * space) into out.  Returns 1 found, 0 absent, or -MX_EINVALID. */
int serve_query_get(const char *query, const char *key, char *out, size_t cap, mx_err *err);
/* ?limit= (1..max, default def) and ?after= (a device name or empty). */
int serve_query_limit(const char *query, int def, int max, int *out, mx_err *err);

#endif
