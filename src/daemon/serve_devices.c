/*
 * serve_devices.c — creating Macs through the API: one (POST
 * /api/v1/devices, `device create`) or up to SR_BULK_MAX in one request
 * (POST /api/v1/fleet/devices): a list of the single route's bodies, or a
 * count, a name prefix and a template, as `fleet create` names its Macs.
 * Every member is checked by the same code for both routes, the whole
 * request before anything is written; then one transaction holds every
 * device of the request, so it creates all of them or none (the error
 * names the device that failed).  A password is hashed once per request,
 * however many Macs share it (as `fleet create` does).  docs/api.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/serve_int.h"
#include "macext/core.h"

/* Distinct passwords in one bulk request: each costs a PBKDF2 derivation
 * (~5 ms) while the daemon's write lock is held. */
#define BULK_PASSWORDS 32

typedef struct dev_req {
	mx_device_spec spec;
	mx_user_spec users[MX_MAX_USERS];
	char name[64];               /* a template's generated name */
} dev_req;

/* Prefixes err->where with "WHAT: " (or "WHAT" when it is empty). */
static void
where(mx_err *err, const char *what)
{
	if (err->where[0])
		mx_err_where(err, "%s: ", what);
	else
		mx_err_where(err, "%s", what);
}

/* The members of one device (POST /api/v1/devices): o's strings are
 * borrowed by out->spec, so o must outlive it.  named: "name" (and
 * "serial") belong to the body; a template has neither. */
static int
spec_of(json_t *o, bool named, dev_req *out, mx_err *err)
{
	static const char *const keys[] = { "name", "arch", "macos", "sip", "serial", "users", NULL };
	static const char *const tkeys[] = { "arch", "macos", "sip", "users", NULL };
	memset(out, 0, sizeof *out);
	mx_device_spec *spec = &out->spec;
	spec->arch = MX_ARCH_ARM64;
	spec->os = (mx_version){ 15, 1, 0 };
	if (!json_is_object(o))
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "expected an object");
	const char *name = NULL, *arch, *os, *sip, *serial = NULL;
	int rc;
	if ((rc = serve_json_only(o, named ? keys : tkeys, err)) ||
	    (named && (rc = serve_json_str(o, "name", 63, &name, err))) ||
	    (rc = serve_json_str(o, "arch", 16, &arch, err)) ||
	    (rc = serve_json_str(o, "macos", 16, &os, err)) ||
	    (rc = serve_json_str(o, "sip", 3, &sip, err)) ||
	    (named && (rc = serve_json_str(o, "serial", 32, &serial, err))))
		return rc;
	if (named && name == NULL)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"name\": required");
	spec->name = named ? name : "template";
	spec->serial = serial;
	if ((rc = mx_engine_device_spec_check(spec, err)) ||
	    (arch && (rc = mx_arch_parse(&spec->arch, arch, err))) ||
	    (os && (rc = mx_version_parse(&spec->os, os, err))))
		return rc;
	if (spec->arch == MX_ARCH_ARM64 && spec->os.major < 11)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"macos\": %s does not run on Apple"
		    " silicon (11.0 or later)", os);
	if (sip && strcmp(sip, "on") && strcmp(sip, "off"))
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"sip\": expected \"on\" or \"off\"");
	spec->sip_off = sip && strcmp(sip, "off") == 0;
	json_t *ua = json_object_get(o, "users");
	if (ua) {
		if (!json_is_array(ua) || json_array_size(ua) > MX_MAX_USERS)
			return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"users\": expected an array of at"
			    " most %d {name, password, admin}", MX_MAX_USERS);
		static const char *const ukeys[] = { "name", "password", "admin", NULL };
		for (size_t i = 0; i < json_array_size(ua); i++) {
			json_t *u = json_array_get(ua, i);
			const char *un, *pw;
			bool admin = false;
			if (!json_is_object(u))
				return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"users\"[%zu]: expected an"
				    " object", i);
			if ((rc = serve_json_only(u, ukeys, err)) ||
			    (rc = serve_json_str(u, "name", 63, &un, err)) ||
			    (rc = serve_json_str(u, "password", 255, &pw, err)) ||
			    (rc = serve_json_bool(u, "admin", &admin, NULL, err)))
				return rc;
			if (un == NULL || *un == '\0' || strchr(un, ':') || pw == NULL)
				return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"users\"[%zu]: a name (no ':')"
				    " and a password", i);
			out->users[i] = (mx_user_spec){ un, pw, NULL, admin };
		}
		spec->nusers = (int)json_array_size(ua);
		spec->users = out->users;
	}
	return mx_engine_device_spec_check(spec, err);
}

int
serve_device_create(sreq *q, sresp *r, mx_err *err)
{
	json_t *o;
	int rc = serve_body_object(q->body, q->len, true, &o, err);
	if (rc)
		return rc;
	dev_req dr;
	mx_device d;
	if ((rc = spec_of(o, true, &dr, err)) == 0) {
		dr.spec.why = "serve: device create";
		rc = mx_engine_device_create(q->e, &dr.spec, &d, err);
	}
	if (rc == 0) {
		r->status = 201;
		snprintf(r->location, sizeof r->location, "/api/v1/devices/%s", d.name);
		rc = mx_json_device(&r->json, &d, err);
	}
	json_decref(o);
	return rc;
}

/* ---- many at once ---- */

struct pw_memo { const char *pw; char hash[MX_PWHASH_LEN]; };

/* Each user's password of the n requests hashed once per distinct password
 * (one fresh salt for each): users[].pwhash then points into memo. */
static int
hash_once(sreq *q, dev_req *dr, size_t n, struct pw_memo *memo, mx_err *err)
{
	int nm = 0;
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < dr[i].spec.nusers; k++) {
			mx_user_spec *u = &dr[i].users[k];
			int m = 0;
			while (m < nm && strcmp(memo[m].pw, u->password) != 0)
				m++;
			if (m == nm) {
				if (nm == BULK_PASSWORDS)
					return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "at most %d different"
					    " passwords in one request (each costs a key derivation); send"
					    " several requests", BULK_PASSWORDS);
				uint8_t salt[16];
				mx_engine_random(q->e, salt, sizeof salt);
				memo[nm].pw = u->password;
				if (mx_pw_hash(memo[nm].hash, u->password, salt) != 0)
					return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "password hashing failed");
				nm++;
			}
			u->pwhash = memo[m].hash;
			u->password = NULL;
		}
	}
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	const dev_req *const *x = a, *const *y = b;
	return strcmp((*x)->spec.name, (*y)->spec.name);
}

/* A name given twice in one request is refused before anything is written. */
static int
no_twice(dev_req *dr, size_t n, mx_err *err)
{
	dev_req **by = mx_xcalloc(n, sizeof *by);
	for (size_t i = 0; i < n; i++)
		by[i] = &dr[i];
	qsort(by, n, sizeof *by, name_cmp);
	int rc = 0;
	for (size_t i = 1; i < n && rc == 0; i++) {
		if (strcmp(by[i - 1]->spec.name, by[i]->spec.name) != 0)
			continue;
		size_t a = (size_t)(by[i - 1] - dr), b = (size_t)(by[i] - dr);
		rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"devices\": the name '%s' is given twice"
		    " (devices[%zu] and devices[%zu])", by[i]->spec.name, a < b ? a : b, a < b ? b : a);
	}
	free(by);
	return rc;
}

/* An integer member in [lo, hi] (*out untouched when absent). */
static int
json_int(json_t *o, const char *key, long lo, long hi, long *out, bool *present, mx_err *err)
{
	json_t *v = json_object_get(o, key);
	*present = v != NULL;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"%s\": expected a whole number", key);
	json_int_t x = json_integer_value(v);
	if (x < lo || x > hi)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"%s\": expected %ld to %ld, got %lld",
		    key, lo, hi, (long long)x);
	*out = (long)x;
	return 0;
}

/* The requests of the body: its "devices", or "count" names from
 * "prefix" and "start" with "template"'s members.  *out (n entries) is
 * the caller's (free). */
static int
requests_of(json_t *o, dev_req **out, size_t *n, mx_err *err)
{
	static const char *const keys[] = { "devices", "count", "prefix", "start", "template", NULL };
	*out = NULL;
	*n = 0;
	int rc = serve_json_only(o, keys, err);
	if (rc)
		return rc;
	json_t *list = json_object_get(o, "devices");
	long count = 0, start = 1;
	bool has_count, has_start;
	const char *prefix;
	if ((rc = json_int(o, "count", 1, LONG_MAX / 2, &count, &has_count, err)) ||
	    (rc = json_int(o, "start", 1, 99999999, &start, &has_start, err)) ||
	    (rc = serve_json_str(o, "prefix", 40, &prefix, err)))
		return rc;
	json_t *tmpl = json_object_get(o, "template");
	if (list && (has_count || has_start || prefix || tmpl))
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "either \"devices\" (a list of"
		    " devices) or \"count\" with \"prefix\", \"start\" and \"template\", not both");
	if (!list && !has_count)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"devices\" (a list of what POST"
		    " /api/v1/devices takes) or \"count\" (with \"prefix\" and \"template\") is required");
	if (list && !json_is_array(list))
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"devices\": expected an array of"
		    " {name, arch, macos, sip, serial, users}");
	size_t want = list ? json_array_size(list) : (size_t)count;
	if (want == 0)
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"devices\": empty: nothing to create");
	if (want > SR_BULK_MAX)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%zu devices in one request: at most %d"
		    " (send several requests, or use `macext fleet create` for a large fleet)", want,
		    SR_BULK_MAX);
	if (tmpl && !json_is_object(tmpl))
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"template\": expected an object"
		    " {arch, macos, sip, users}");
	if (prefix == NULL)
		prefix = "mac";
	if (*prefix == '\0' || strspn(prefix, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-_.") != strlen(prefix))
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"prefix\": letters, digits, '-', '_',"
		    " '.' (1 to 40)");
	dev_req *dr = mx_xcalloc(want, sizeof *dr);
	dev_req t;
	if (!list) {
		json_t *empty = tmpl ? NULL : json_object();
		rc = spec_of(tmpl ? tmpl : empty, false, &t, err);
		json_decref(empty);
		if (rc) {
			where(err, "\"template\"");
			free(dr);
			return rc;
		}
	}
	for (size_t i = 0; i < want && rc == 0; i++) {
		if (list) {
			if ((rc = spec_of(json_array_get(list, i), true, &dr[i], err))) {
				char w[32];
				snprintf(w, sizeof w, "devices[%zu]", i);
				where(err, w);
			}
			continue;
		}
		dr[i] = t;
		dr[i].spec.users = t.spec.nusers ? dr[i].users : NULL;
		mx_fleet_device_name(dr[i].name, sizeof dr[i].name, prefix, start + (long)i,
		    start + (long)want - 1);
		dr[i].spec.name = dr[i].name;
	}
	if (rc) {
		free(dr);
		return rc;
	}
	*out = dr;
	*n = want;
	return 0;
}

int
serve_fleet_devices(sreq *q, sresp *r, mx_err *err)
{
	json_t *o;
	int rc = serve_body_object(q->body, q->len, false, &o, err);
	if (rc)
		return rc;
	dev_req *dr;
	size_t n;
	struct pw_memo *memo = mx_xcalloc(BULK_PASSWORDS, sizeof *memo);
	json_t *docs = NULL;
	if ((rc = requests_of(o, &dr, &n, err)))
		goto out;
	if ((rc = no_twice(dr, n, err)) || (rc = hash_once(q, dr, n, memo, err)))
		goto free_dr;
	/* one transaction: every device of the request, or none */
	if ((rc = mx_engine_batch_begin(q->e, err)))
		goto free_dr;
	docs = json_array();
	for (size_t i = 0; i < n && rc == 0; i++) {
		mx_device d;
		json_t *j;
		dr[i].spec.why = "serve: fleet devices";
		if ((rc = mx_engine_device_create(q->e, &dr[i].spec, &d, err)) == 0 &&
		    (rc = mx_json_device(&j, &d, err)) == 0)
			json_array_append_new(docs, j);
		if (rc) {
			char w[120];
			snprintf(w, sizeof w, "devices[%zu] (%s)", i, dr[i].spec.name);
			where(err, w);
		}
	}
	if (rc)
		mx_engine_batch_rollback(q->e);
	else
		rc = mx_engine_batch_commit(q->e, err);
	if (rc == 0) {
		r->status = 201;
		r->json = json_pack("{s:I, s:o}", "created", (json_int_t)n, "devices", docs);
		docs = NULL;
	}
	json_decref(docs);
free_dr:
	free(dr);
out:
	free(memo);
	json_decref(o);
	return rc;
}
