/* test_serve_routes.c — macext serve's router and request parsers
 * (src/daemon/serve_router.c): which route a method and raw path reach,
 * path identifiers refused before any handler ("..%2F", NUL, long),
 * query and body parsing; and docs/openapi.json and docs/api.md checked
 * against the route table itself, both ways. */
#include <stdlib.h>

#include "daemon/serve_router.h"
#include "harness.h"

MX_TEST(serve_router_table)
{
	static const struct {
		const char *method, *path;
		int rc;                      /* 0, or the mx code */
		int route;                   /* expected route id when rc is 0 */
		const char *p0, *p1;
	} rows[] = {
		{ "GET", "/api/v1/fleet", 0, R_FLEET, NULL, NULL },
		{ "HEAD", "/api/v1/fleet", 0, R_FLEET, NULL, NULL },
		{ "GET", "/api/v1/devices", 0, R_DEVICES_GET, NULL, NULL },
		{ "GET", "/api/v1/devices/", 0, R_DEVICES_GET, NULL, NULL },
		{ "POST", "/api/v1/devices", 0, R_DEVICES_POST, NULL, NULL },
		{ "GET", "/api/v1/devices/mac-1", 0, R_DEVICE_GET, "mac-1", NULL },
		{ "DELETE", "/api/v1/devices/mac-1", 0, R_DEVICE_DELETE, "mac-1", NULL },
		{ "GET", "/api/v1/devices/m%2D1", 0, R_DEVICE_GET, "m-1", NULL },
		{ "GET", "/api/v1/devices/mac-1/profiles/policy", 0, R_POLICY_GET, "mac-1", NULL },
		{ "GET", "/api/v1/devices/mac-1/profiles/com.acme.p", 0, R_PROFILE_GET, "mac-1",
		  "com.acme.p" },
		{ "POST", "/api/v1/devices/a.b_c/kexts/org.virtualbox.kext.VBoxDrv/approve", 0,
		  R_KEXT_APPROVE, "a.b_c", "org.virtualbox.kext.VBoxDrv" },
		{ "POST", "/api/v1/devices/x/sysexts/com.a.b/enabled", 0, R_SYSEXT_ENABLED, "x", "com.a.b" },
		{ "GET", "/api/v1/devices/x/events", 0, R_DEVICE_EVENTS, "x", NULL },
		{ "GET", "/api/v1/events", 0, R_EVENTS, NULL, NULL },
		{ "POST", "/api/v1/session", 0, R_SESSION_POST, NULL, NULL },
		/* wrong method: the path exists */
		{ "PUT", "/api/v1/devices/mac-1", MX_EUSAGE, 0, NULL, NULL },
		{ "GET", "/api/v1/devices/mac-1/restart", MX_EUSAGE, 0, NULL, NULL },
		/* no such path */
		{ "GET", "/api/v1/nothing", MX_ENOTFOUND, 0, NULL, NULL },
		{ "GET", "/api/v1/devices/mac-1/nothing", MX_ENOTFOUND, 0, NULL, NULL },
		{ "GET", "/api/v1//fleet", MX_ENOTFOUND, 0, NULL, NULL },
		{ "GET", "api/v1/fleet", MX_ENOTFOUND, 0, NULL, NULL },
		/* identifiers that are paths, or not identifiers */
		{ "GET", "/api/v1/devices/..", MX_EINVALID, 0, NULL, NULL },
		{ "GET", "/api/v1/devices/.", MX_EINVALID, 0, NULL, NULL },
		{ "GET", "/api/v1/devices/..%2F..%2Fetc", MX_EINVALID, 0, NULL, NULL },
		{ "GET", "/api/v1/devices/a%2Fb/profiles", MX_EINVALID, 0, NULL, NULL },
		{ "GET", "/api/v1/devices/a%00b", MX_EINVALID, 0, NULL, NULL },
		{ "GET", "/api/v1/devices/a%zz", MX_EINVALID, 0, NULL, NULL },
		{ "GET", "/api/v1/devices/a%2", MX_EINVALID, 0, NULL, NULL },
		{ "GET", "/api/v1/devices/a b", MX_EINVALID, 0, NULL, NULL },
		{ "GET", "/api/v1/devices/%C3%A9", MX_EINVALID, 0, NULL, NULL },
		{ "GET", "/api/v1/devices/mac-1/profiles/.hidden", MX_EINVALID, 0, NULL, NULL },
		{ "POST", "/api/v1/devices/mac-1/kexts/..%2F..%2Fx/approve", MX_EINVALID, 0, NULL, NULL },
		{ "GET", "/api/v1/devices/0123456789012345678901234567890123456789012345678901234567890123",
		  MX_EINVALID, 0, NULL, NULL },   /* 64 bytes */
		{ "GET", "/api/v1/devices/012345678901234567890123456789012345678901234567890123456789012",
		  0, R_DEVICE_GET, "012345678901234567890123456789012345678901234567890123456789012", NULL },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		serve_match m;
		mx_err err;
		char allow[64];
		mx_err_clear(&err);
		int rc = serve_route_match(rows[i].method, rows[i].path, &m, allow, sizeof allow, &err);
		if (rc != rows[i].rc) {
			mx_test_fail_at(__FILE__, __LINE__, "row %zu %s %s: rc %d, wanted %d (%s)", i,
			    rows[i].method, rows[i].path, rc, rows[i].rc, err.msg);
			continue;
		}
		if (rc) {
			CHECK(err.msg[0] != '\0');
			if (rc == MX_EUSAGE)
				CHECK(allow[0] != '\0');
			continue;
		}
		CHECK_EQ_INT(m.route->id, rows[i].route);
		if (rows[i].p0)
			CHECK_EQ_STR(m.param[0], rows[i].p0);
		if (rows[i].p1)
			CHECK_EQ_STR(m.param[1], rows[i].p1);
	}
	/* a path over 4096 bytes is refused without being walked */
	char *big = malloc(6000);
	memset(big, 'a', 5999);
	big[0] = '/';
	big[5999] = '\0';
	serve_match m;
	CHECK_EQ_INT(serve_route_match("GET", big, &m, NULL, 0, NULL), MX_EINVALID);
	free(big);
	/* every route's id is its index, and mutating routes have caps that fit their bodies */
	for (int r = 0; r < R_NROUTES; r++) {
		CHECK_EQ_INT(serve_routes[r].id, r);
		CHECK(strcmp(serve_routes[r].method, "GET") != 0 || serve_routes[r].body_max == 0);
		CHECK(strcmp(serve_routes[r].method, "GET") == 0 || (serve_routes[r].flags & SR_MUTATES));
	}
}

MX_TEST(serve_query_and_bodies)
{
	char v[16];
	CHECK_EQ_INT(serve_query_get("limit=5&after=mac-2", "after", v, sizeof v, NULL), 1);
	CHECK_EQ_STR(v, "mac-2");
	CHECK_EQ_INT(serve_query_get("a=1", "after", v, sizeof v, NULL), 0);
	CHECK_EQ_INT(serve_query_get("q=a%20b+c", "q", v, sizeof v, NULL), 1);
	CHECK_EQ_STR(v, "a b c");
	CHECK_EQ_INT(serve_query_get("q=%00", "q", v, sizeof v, NULL), -MX_EINVALID);
	CHECK_EQ_INT(serve_query_get("q=0123456789abcdefghij", "q", v, sizeof v, NULL), -MX_EINVALID);
	CHECK_EQ_INT(serve_query_get("after", "after", v, sizeof v, NULL), 1);
	CHECK_EQ_STR(v, "");
	static const struct { const char *q; int rc, want; } lim[] = {
		{ "", 0, 100 }, { "limit=1", 0, 1 }, { "limit=1000", 0, 1000 },
		{ "limit=0", MX_EINVALID, 0 }, { "limit=1001", MX_EINVALID, 0 },
		{ "limit=-1", MX_EINVALID, 0 }, { "limit=9999999999999999999", MX_EINVALID, 0 },
		{ "limit=12a", MX_EINVALID, 0 }, { "limit=", MX_EINVALID, 0 },
	};
	for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++) {
		int n = -1;
		int rc = serve_query_limit(lim[i].q, 100, 1000, &n, NULL);
		CHECK_EQ_INT(rc, lim[i].rc);
		if (rc == 0)
			CHECK_EQ_INT(n, lim[i].want);
	}
	static const struct { const char *body; int rc; } bodies[] = {
		{ "{}", 0 }, { "{\"user\": \"admin\", \"password\": \"pw\"}", 0 },
		{ "", 0 },                   /* empty: {} */
		{ "[]", MX_EFORMAT }, { "\"x\"", MX_EFORMAT }, { "{", MX_EFORMAT },
		{ "{\"a\": 1, \"a\": 2}", MX_EFORMAT }, { "{} {}", MX_EFORMAT }, { "\xff", MX_EFORMAT },
		{ "{\"user\": \"a\\u0000b\"}", MX_EFORMAT },   /* NUL in a string */
	};
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		json_t *o = NULL;
		mx_err err;
		int rc = serve_body_object((const uint8_t *)bodies[i].body, strlen(bodies[i].body), true,
		    &o, &err);
		if (rc != bodies[i].rc)
			mx_test_fail_at(__FILE__, __LINE__, "body %zu: rc %d, wanted %d", i, rc, bodies[i].rc);
		CHECK((rc == 0) == (o != NULL));
		json_decref(o);
	}
	static const struct { const char *body; int rc; const char *cred; } creds[] = {
		{ "{}", 0, "" }, { "{\"user\": \"admin\", \"password\": \"p:w\"}", 0, "admin:p:w" },
		{ "{\"user\": \"admin\"}", 0, "admin:" },
		{ "{\"password\": \"pw\"}", MX_EINVALID, NULL },
		{ "{\"user\": \"a:b\", \"password\": \"pw\"}", MX_EINVALID, NULL },
		{ "{\"user\": 7, \"password\": \"pw\"}", MX_EINVALID, NULL },
	};
	for (size_t i = 0; i < sizeof creds / sizeof creds[0]; i++) {
		json_t *o;
		mx_err err;
		char cred[64];
		CHECK_EQ_INT(serve_body_object((const uint8_t *)creds[i].body, strlen(creds[i].body),
		    false, &o, &err), 0);
		int rc = serve_body_cred(o, cred, sizeof cred, &err);
		CHECK_EQ_INT(rc, creds[i].rc);
		if (rc == 0)
			CHECK_EQ_STR(cred, creds[i].cred);
		json_decref(o);
	}
	static const char *const keys[] = { "user", "password", NULL };
	json_t *o = json_pack("{s:s, s:s}", "user", "a", "evil", "b");
	mx_err err;
	CHECK_EQ_INT(serve_json_only(o, keys, &err), MX_EINVALID);
	CHECK(strstr(err.msg, "\"evil\"") != NULL);
	json_decref(o);
}

/* docs/openapi.json lists exactly the router's routes, and docs/api.md names each */
MX_TEST(serve_routes_match_openapi)
{
	json_error_t je;
	json_t *doc = json_load_file("docs/openapi.json", 0, &je);
	if (doc == NULL) {
		mx_test_fail_at(__FILE__, __LINE__, "docs/openapi.json: %s", je.text);
		return;
	}
	FILE *f = fopen("docs/api.md", "r");
	static char md[200000];
	size_t mdn = f ? fread(md, 1, sizeof md - 1, f) : 0;
	md[mdn] = '\0';
	if (f)
		fclose(f);
	CHECK(mdn > 0);
	json_t *paths = json_object_get(doc, "paths");
	size_t nops = 0;
	const char *p;
	json_t *ops;
	json_object_foreach(paths, p, ops) {
		const char *m;
		json_t *op;
		json_object_foreach(ops, m, op) {
			nops++;
			bool found = false;
			for (int r = 0; r < R_NROUTES && !found; r++) {
				char lower[16];
				size_t k = 0;
				for (; serve_routes[r].method[k] && k < sizeof lower - 1; k++)
					lower[k] = (char)(serve_routes[r].method[k] | 0x20);
				lower[k] = '\0';
				found = strcmp(serve_routes[r].pattern, p) == 0 && strcmp(lower, m) == 0;
			}
			if (!found)
				mx_test_fail_at(__FILE__, __LINE__, "openapi.json has %s %s; the router does not",
				    m, p);
		}
	}
	CHECK_EQ_INT(nops, R_NROUTES);
	const char *dev = "/api/v1/devices/{name}";
	for (int r = 0; r < R_NROUTES; r++) {
		const serve_route *rt = &serve_routes[r];
		char lower[16];
		size_t k = 0;
		for (; rt->method[k] && k < sizeof lower - 1; k++)
			lower[k] = (char)(rt->method[k] | 0x20);
		lower[k] = '\0';
		if (json_object_get(json_object_get(paths, rt->pattern), lower) == NULL)
			mx_test_fail_at(__FILE__, __LINE__, "the router has %s %s; openapi.json does not",
			    rt->method, rt->pattern);
		char want[300];
		if (strncmp(rt->pattern, dev, strlen(dev)) == 0 && strlen(rt->pattern) > strlen(dev))
			snprintf(want, sizeof want, "`%s ...%s", rt->method, rt->pattern + strlen(dev));
		else
			snprintf(want, sizeof want, "`%s %s", rt->method, rt->pattern);
		if (strstr(md, want) == NULL)
			mx_test_fail_at(__FILE__, __LINE__, "docs/api.md does not document %s", want + 1);
	}
	json_decref(doc);
}
