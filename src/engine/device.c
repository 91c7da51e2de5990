/*
 * device.c — creating, deleting and reading simulated Macs (DESIGN.md
 * "device"): the checks of a device specification, the users with their
 * password hashes, the event that records the creation.  Creation and
 * deletion are whole-device operations (there is no device to begin an op
 * on, or none left after), each in its own transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

static bool
valid_name(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 63)
		return false;
	/* "." and "..": no route of the API, no page could name the device */
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') && !(*s >= '0' && *s <= '9')
		    && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

int
mx_engine_device_spec_check(const mx_device_spec *spec, mx_err *err)
{
	if (!valid_name(spec->name))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "bad device name '%s': use letters, digits, '-', '_' and '.' (at most 63; not"
		    " '.' or '..')",
		    spec->name ? spec->name : "");
	if (spec->arch == MX_ARCH_ARM64 && spec->os.major < 11) {
		char os[16];
		mx_version_str(spec->os, os, sizeof os);
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "macOS %s does not run on Apple silicon (11.0 or later)", os);
	}
	if (spec->nusers > MX_MAX_USERS)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "at most %d users", MX_MAX_USERS);
	if (spec->serial && (strlen(spec->serial) < 8 || strlen(spec->serial) > 14))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "bad serial '%s': 8 to 14 characters",
		    spec->serial);
	return 0;
}

/* Fills d from spec (users hashed with fresh salts), without storing it. */
static int
build(mx_engine *e, const mx_device_spec *spec, int64_t now, mx_device *d, mx_err *err)
{
	mx_env_in in;
	memset(&in, 0, sizeof in);
	in.now = now;
	if (spec->random)
		memcpy(in.random, spec->random, sizeof in.random);
	else
		mx_engine_random(e, in.random, sizeof in.random);
	mx_device_init(d, spec->name, spec->arch, spec->os, &in);
	if (spec->serial)
		snprintf(d->serial, sizeof d->serial, "%s", spec->serial);
	if (spec->sip_off) {
		d->csr = MX_CSR_DISABLE_FLAGS;
		if (spec->arch == MX_ARCH_ARM64)
			d->policy = MX_SEC_PERMISSIVE;   /* SIP off on Apple silicon means Permissive */
	}
	if (spec->trust_anchor)
		snprintf(d->trust_anchor, sizeof d->trust_anchor, "%s", spec->trust_anchor);
	static const mx_user_spec def = { "admin", "admin", NULL, true };
	const mx_user_spec *users = spec->nusers ? spec->users : &def;
	int n = spec->nusers ? spec->nusers : 1;
	for (int i = 0; i < n; i++) {
		const mx_user_spec *u = &users[i];
		if (u->pwhash) {
			if (d->nusers == MX_MAX_USERS || u->name == NULL || strlen(u->name) >= 64)
				return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "bad user '%s'",
				    u->name ? u->name : "");
			mx_user *du = &d->users[d->nusers++];
			memset(du, 0, sizeof *du);
			snprintf(du->name, sizeof du->name, "%s", u->name);
			du->admin = u->admin;
			snprintf(du->pwhash, sizeof du->pwhash, "%s", u->pwhash);
			continue;
		}
		uint8_t salt[32];
		mx_engine_random(e, salt, sizeof salt);
		int rc = mx_device_add_user(d, u->name, u->password ? u->password : "", u->admin, salt,
		    err);
		if (rc)
			return rc;
	}
	return 0;
}

int
mx_engine_device_create(mx_engine *e, const mx_device_spec *spec, mx_device *out, mx_err *err)
{
	int rc = mx_engine_device_spec_check(spec, err);
	if (rc)
		return rc;
	if (e->op)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "an operation is already open");
	/* a random serial may collide with another device's: draw again (only
	 * when nothing fixes the serial or the random bytes) */
	bool retry = spec->serial == NULL && spec->random == NULL;
	mx_device d;
	int64_t now = mx_engine_now(e);         /* the one clock reading */
	rc = MX_EEXIST;
	for (int attempt = 0; attempt < 8 && rc == MX_EEXIST; attempt++) {
		if ((rc = build(e, spec, now, &d, err)) || (rc = mx_store_begin(e->st, err)))
			return rc;
		char what[128], os[16];
		mx_version_str(d.os, os, sizeof os);
		snprintf(what, sizeof what, "device created: %s, macOS %s", mx_arch_name(d.arch), os);
		if ((rc = mx_store_device_insert(e->st, &d, err)) == 0 &&
		    (rc = mx_store_event(e->st, d.id, now, "macext", what,
		    spec->why ? spec->why : "device create", err)) == 0 &&
		    (rc = mx_store_commit(e->st, err)) == 0)
			break;
		mx_store_rollback(e->st);
		if (rc != MX_EEXIST || !retry)
			return rc;
		mx_device other;
		if (mx_engine_device_get(e, spec->name, &other, NULL) == 0)
			return MX_FAIL(err, MX_EEXIST, MX_NO_OFFSET, "a device named '%s' already"
			    " exists", spec->name);
	}
	if (rc)
		return rc;
	if (out)
		*out = d;
	return 0;
}

int
mx_engine_device_delete(mx_engine *e, const char *name, mx_device *out, mx_err *err)
{
	if (e->op)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "an operation is already open");
	int rc = mx_store_begin(e->st, err);
	if (rc)
		return rc;
	mx_device d;
	if ((rc = mx_store_device_load(e->st, name, &d, err)) ||
	    (rc = mx_store_event(e->st, d.id, mx_engine_now(e), "macext", "device deleted",
	    "device delete", err)) ||
	    (rc = mx_store_device_delete(e->st, d.id, err)) ||
	    (rc = mx_store_commit(e->st, err))) {
		mx_store_rollback(e->st);
		return rc;
	}
	if (out)
		*out = d;
	return 0;
}

int
mx_engine_import_anchor(mx_engine *e, const char *host_path, char out_hash[65], mx_err *err)
{
	/* read once: the bytes checked are the bytes stored */
	FILE *f = fopen(host_path, "rb");
	if (f == NULL)
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s: cannot read", host_path);
	size_t cap = 1u << 20, len = 0;
	uint8_t *buf = mx_xmalloc(cap + 1);
	len = fread(buf, 1, cap + 1, f);
	fclose(f);
	int rc;
	if (len > cap)
		rc = MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: larger than %zu bytes", host_path, cap);
	else {
		char head[64];
		size_t hl = len < sizeof head - 1 ? len : sizeof head - 1;
		memcpy(head, buf, hl);
		head[hl] = '\0';
		if (strstr(head, "-----BEGIN CERTIFICATE-----") == NULL)
			rc = MX_FAIL(err, MX_EFORMAT, 0, "%s: not a PEM certificate", host_path);
		else {
			const char *base = strrchr(host_path, '/');
			rc = mx_cas_put_bytes(e->st, base ? base + 1 : host_path, buf, len, out_hash, err);
		}
	}
	free(buf);
	return rc;
}

const char *
mx_engine_anchor_path(mx_engine *e, const mx_device *d, char *buf, size_t len)
{
	if (d == NULL || d->trust_anchor[0] == '\0' ||
	    mx_cas_path(e->st, d->trust_anchor, buf, len, NULL) != 0)
		return NULL;
	return buf;
}

int
mx_engine_device_each(mx_engine *e, int (*fn)(const mx_device *, void *), void *arg,
    mx_err *err)
{
	if (e->op)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "an operation is already open");
	int rc = mx_store_begin_read(e->st, err);
	if (rc)
		return rc;
	rc = mx_store_device_each(e->st, fn, arg, err);
	if (rc)
		mx_store_rollback(e->st);
	else
		rc = mx_store_commit(e->st, err);
	return rc;
}

int
mx_engine_device_get(mx_engine *e, const char *name, mx_device *out, mx_err *err)
{
	mx_op *op;
	int rc = mx_op_begin(&op, e, name, MX_OP_READ, err);
	if (rc)
		return rc;
	*out = op->d;
	return mx_op_commit(op, err);
}

int
mx_engine_device_page(mx_engine *e, const char *after, const char *q, int limit,
    int (*fn)(const mx_device *, void *), void *arg, mx_err *err)
{
	if (e->op)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "an operation is already open");
	int rc = mx_store_begin_read(e->st, err);
	if (rc)
		return rc;
	rc = mx_store_device_page(e->st, after, q, limit, fn, arg, err);
	if (rc)
		mx_store_rollback(e->st);
	else
		rc = mx_store_commit(e->st, err);
	return rc;
}
