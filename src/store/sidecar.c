/*
 * sidecar.c — macext/device.plist: the part of a simulated Mac's state that
 * no file of a real Mac holds (docs/export.md "macext/device.plist").  An
 * XML plist, keys in a fixed order:
 *
 *   { format: 1,
 *     device: { name, arch, os, serial, udid, csr, policy, kext_user_management,
 *               kext_remote_management, enrollment: {method, user_approved,
 *               supervised, in_abm, bootstrap_token_escrowed}, environment,
 *               recovery_entry, recovery_authenticated, boot_session, boot_count,
 *               restart_pending },
 *     users: [ {name, admin, pwhash} ], trust_anchor_pem?: string,
 *     kv: {key: value}   (NVRAM words, consent, the SEP nonce: the keys of kv_ok),
 *     system_extensions: { uniqueID: {seq, approval, name, developer_name,
 *                          entitlements: [string], created_at} },
 *     kernel_extensions: [ {bundle_id, team_id, version, path, cdhash, developer_name,
 *                          signature, requirement_met, codeless, apple_auxiliary,
 *                          has_arch, load_requested, state, approval, in_auxkc,
 *                          running_version, running_cdhash, running_hash,
 *                          installed_at} ],
 *     profiles: [ {identifier, source, signer, installed_at} ],
 *     files: [device path] }   (the bundle trees and files the device holds)
 *
 * Reading checks every value's type, size and form; what it fills is
 * merged into an mx_devstate by the directory reader (import.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "macext/devstate.h"
#include "macext/plist_util.h"
#include "macext/sysextdb.h"

#define MAX_PWHASH_ITER 1000000

static void
set_s(plist_t d, const char *k, const char *v)
{
	plist_dict_set_item(d, k, plist_new_string(v ? v : ""));
}

static void
set_b(plist_t d, const char *k, bool v)
{
	plist_dict_set_item(d, k, plist_new_bool(v));
}

static void
set_i(plist_t d, const char *k, int64_t v)
{
	plist_dict_set_item(d, k, plist_new_uint((uint64_t)v));
}

/* Which kv keys travel: device facts macOS keeps in NVRAM or the SEP's
 * nonce; never the SEP key (a real Mac's never leaves its Secure Enclave). */
static bool
kv_ok(const char *k)
{
	return strcmp(k, "nvram.csr-active-config") == 0 || strcmp(k, "nvram.kext-consent") == 0 ||
	    strcmp(k, "nvram.kext-allowed-teams") == 0 || strcmp(k, "boot.sep.nonce") == 0 ||
	    strcmp(k, "kext.panic_medic") == 0;
}

static plist_t
device_plist(const mx_device *d)
{
	char os[32];
	mx_version_str(d->os, os, sizeof os);
	plist_t p = plist_new_dict(), en = plist_new_dict();
	set_s(p, "name", d->name);
	set_s(p, "arch", mx_arch_name(d->arch));
	set_s(p, "os", os);
	set_s(p, "serial", d->serial);
	set_s(p, "udid", d->udid);
	set_i(p, "csr", d->csr);
	set_s(p, "policy", mx_secpolicy_name(d->policy));
	set_b(p, "kext_user_management", d->kext_user_management);
	set_b(p, "kext_remote_management", d->kext_remote_management);
	set_s(en, "method", mx_enroll_name(d->enroll));
	set_b(en, "user_approved", d->user_approved);
	set_b(en, "supervised", d->supervised);
	set_b(en, "in_abm", d->in_abm);
	set_b(en, "bootstrap_token_escrowed", d->bootstrap_escrowed);
	plist_dict_set_item(p, "enrollment", en);
	set_s(p, "environment", mx_env_name(d->env));
	const char *re = mx_recovery_entry_name(d->recovery_entry);
	set_s(p, "recovery_entry", re ? re : "");
	set_b(p, "recovery_authenticated", d->recovery_authenticated);
	set_s(p, "boot_session", d->boot_session);
	set_i(p, "boot_count", (int64_t)d->boot_count);
	set_b(p, "restart_pending", d->restart_pending);
	return p;
}

static plist_t
kext_plist(const mx_kext *k)
{
	plist_t p = plist_new_dict();
	set_s(p, "bundle_id", k->bundle_id);
	set_s(p, "team_id", k->team_id);
	set_s(p, "version", k->version);
	set_s(p, "path", k->path);
	set_s(p, "cdhash", k->cdhash);
	set_s(p, "developer_name", k->developer_name);
	set_s(p, "signature", mx_kext_sig_name(k->sig));
	set_b(p, "requirement_met", k->requirement_met);
	set_b(p, "codeless", k->codeless);
	set_b(p, "apple_auxiliary", k->apple_auxiliary);
	set_b(p, "has_arch", k->has_arch);
	set_b(p, "load_requested", k->load_requested);
	set_s(p, "state", mx_kext_state_name(k->state));
	set_s(p, "approval", mx_kext_approval_name(k->approval));
	set_b(p, "in_auxkc", k->in_auxkc);
	set_s(p, "running_version", k->running_version);
	set_s(p, "running_cdhash", k->running_cdhash);
	set_s(p, "running_hash", k->running_hash);
	set_i(p, "installed_at", k->installed_at);
	return p;
}

int
mx_devstate_sidecar_write(const mx_devstate *s, uint8_t **out, size_t *len, mx_err *err)
{
	plist_t root = plist_new_dict();
	set_i(root, "format", 1);
	plist_dict_set_item(root, "device", device_plist(&s->dev));
	plist_t users = plist_new_array();
	for (int i = 0; i < s->dev.nusers; i++) {
		plist_t u = plist_new_dict();
		set_s(u, "name", s->dev.users[i].name);
		set_b(u, "admin", s->dev.users[i].admin);
		set_s(u, "pwhash", s->dev.users[i].pwhash);
		plist_array_append_item(users, u);
	}
	plist_dict_set_item(root, "users", users);
	if (s->trust_anchor_pem)
		set_s(root, "trust_anchor_pem", s->trust_anchor_pem);
	plist_t kv = plist_new_dict();
	for (size_t i = 0; i < s->nkv; i++)
		if (kv_ok(s->kv[i].key))
			set_s(kv, s->kv[i].key, s->kv[i].value);
	plist_dict_set_item(root, "kv", kv);
	plist_t sx = plist_new_dict();
	for (size_t i = 0; i < s->nsx; i++) {
		const mx_sx_rec *r = &s->sx[i];
		plist_t e = plist_new_dict(), ents = plist_new_array();
		set_i(e, "seq", r->seq);
		set_s(e, "approval", r->approval);
		set_s(e, "name", r->name);
		set_s(e, "developer_name", r->developer);
		json_t *j = json_loads(r->entitlements, 0, NULL);
		size_t k;
		json_t *v;
		json_array_foreach(j, k, v)
			if (json_is_string(v))
				plist_array_append_item(ents, plist_new_string(json_string_value(v)));
		json_decref(j);
		plist_dict_set_item(e, "entitlements", ents);
		set_i(e, "created_at", r->created_at);
		plist_dict_set_item(sx, r->unique_id, e);
	}
	plist_dict_set_item(root, "system_extensions", sx);
	plist_t kx = plist_new_array();
	for (int i = 0; i < s->nkexts; i++)
		plist_array_append_item(kx, kext_plist(&s->kexts[i]));
	plist_dict_set_item(root, "kernel_extensions", kx);
	plist_t pr = plist_new_array();
	for (size_t i = 0; i < s->nprofiles; i++) {
		const mx_profile_row *r = &s->profiles[i].row;
		plist_t p = plist_new_dict();
		set_s(p, "identifier", r->identifier);
		set_s(p, "source", r->source);
		set_s(p, "signer", r->signer);
		set_i(p, "installed_at", r->installed_at);
		plist_array_append_item(pr, p);
	}
	plist_dict_set_item(root, "profiles", pr);
	plist_t fl = plist_new_array();
	for (size_t i = 0; i < s->nfiles; i++)
		plist_array_append_item(fl, plist_new_string(s->files[i].path));
	plist_dict_set_item(root, "files", fl);
	char *xml = NULL;
	uint32_t n = 0;
	plist_to_xml(root, &xml, &n);
	plist_free(root);
	if (xml == NULL)
		return MX_FAIL(err, MX_ENOMEM, MX_NO_OFFSET, "macext/device.plist: could not encode");
	*out = (uint8_t *)xml;
	*len = n;
	return 0;
}

/* ---- reading ---- */

/* A string at dict[key] into out[cap]: required unless def; form-checked. */
static int
str_at(char *out, size_t cap, plist_t d, const char *key, const char *def, const char *name,
    const char *path, bool (*ok)(const char *), mx_err *err)
{
	const char *v = NULL;
	int rc = mx_plist_get_string(&v, d, key, def == NULL, name, path, err);
	if (rc)
		return rc;
	if (v == NULL)
		v = def;
	char p[256];
	mx_path_key(p, sizeof p, path, key);
	if (strlen(v) >= cap || !mx_text_ok(v) || (ok && !ok(v))) {
		rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "\"%.80s\" is not a valid value%s", v,
		    strlen(v) >= cap ? " (too long)" : "");
		snprintf(err->where, sizeof err->where, "%s: %s", name, p);
		return rc;
	}
	snprintf(out, cap, "%s", v);
	return 0;
}

static bool
name_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > 63)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

static bool
alnum_ok(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s))
			return false;
	return true;
}

static bool
uuidish_ok(const char *s)
{
	if (*s == '\0')
		return true;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

static bool
hex_ok(const char *s)
{
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s))
			return false;
	return true;
}

static bool
bundle_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-._", *s))
			return false;
	return true;
}

static bool
path_ok(const char *s)
{
	return mx_devpath_ok(s, 1024);
}

static bool
pwhash_ok(const char *s)
{
	int iter = 0, n = 0;
	char salt[33], dk[65];
	return sscanf(s, "pbkdf2-sha256$%d$%32[0-9a-f]$%64[0-9a-f]%n", &iter, salt, dk, &n) == 3 &&
	    s[n] == '\0' && iter >= 1000 && iter <= MAX_PWHASH_ITER && strlen(salt) == 32 &&
	    strlen(dk) == 64;
}

static int
bad(mx_err *err, const char *name, const char *path, const char *what)
{
	int rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s", what);
	if (err)
		snprintf(err->where, sizeof err->where, "%s: %s", name, path);
	return rc;
}

static int
read_device(mx_device *d, plist_t p, const char *name, mx_err *err)
{
	const char *P = "device";
	char buf[64], os[32], pol[32], env[32], re[32], meth[32];
	int rc;
	int64_t csr = 0, boots = 0;
	if ((rc = mx_plist_expect(p, PLIST_DICT, name, P, err)) ||
	    (rc = str_at(d->name, sizeof d->name, p, "name", NULL, name, P, name_ok, err)) ||
	    (rc = str_at(buf, sizeof buf, p, "arch", NULL, name, P, NULL, err)) ||
	    (rc = mx_arch_parse(&d->arch, buf, err)) ||
	    (rc = str_at(os, sizeof os, p, "os", NULL, name, P, NULL, err)) ||
	    (rc = mx_version_parse(&d->os, os, err)) ||
	    (rc = str_at(d->serial, sizeof d->serial, p, "serial", NULL, name, P, alnum_ok, err)) ||
	    (rc = str_at(d->udid, sizeof d->udid, p, "udid", "", name, P, uuidish_ok, err)) ||
	    (rc = mx_plist_get_int(&csr, p, "csr", false, name, P, err)) ||
	    (rc = str_at(pol, sizeof pol, p, "policy", "full", name, P, NULL, err)) ||
	    (rc = mx_secpolicy_parse(&d->policy, pol, err)) ||
	    (rc = mx_plist_get_bool(&d->kext_user_management, p, "kext_user_management", false, name,
	    P, err)) ||
	    (rc = mx_plist_get_bool(&d->kext_remote_management, p, "kext_remote_management", false,
	    name, P, err)) ||
	    (rc = str_at(env, sizeof env, p, "environment", "macos", name, P, NULL, err)) ||
	    (rc = str_at(re, sizeof re, p, "recovery_entry", "", name, P, NULL, err)) ||
	    (rc = mx_plist_get_bool(&d->recovery_authenticated, p, "recovery_authenticated", false,
	    name, P, err)) ||
	    (rc = str_at(d->boot_session, sizeof d->boot_session, p, "boot_session", "", name, P,
	    uuidish_ok, err)) ||
	    (rc = mx_plist_get_int(&boots, p, "boot_count", false, name, P, err)) ||
	    (rc = mx_plist_get_bool(&d->restart_pending, p, "restart_pending", false, name, P, err)))
		goto fail;
	if (csr < 0 || csr > 0xffffffffLL)
		return bad(err, name, "device.csr", "expected a 32-bit CSR word");
	if (boots < 0)
		return bad(err, name, "device.boot_count", "expected a count");
	d->csr = (uint32_t)csr;
	d->boot_count = (uint64_t)boots;
	static const char *const envs[] = { "macos", "recovery", "off" };
	int e = -1;
	for (int i = 0; i < 3; i++)
		if (strcmp(env, envs[i]) == 0)
			e = i;
	if (e < 0)
		return bad(err, name, "device.environment", "expected macos, recovery or off");
	d->env = (enum mx_envkind)e;
	if (strcmp(re, "power-button") == 0)
		d->recovery_entry = MX_RECOVERY_POWER_BUTTON;
	else if (strcmp(re, "software") == 0)
		d->recovery_entry = MX_RECOVERY_SOFTWARE;
	else if (re[0])
		return bad(err, name, "device.recovery_entry", "expected power-button, software or \"\"");
	plist_t en = NULL;
	if ((rc = mx_plist_get_node(&en, p, "enrollment", PLIST_DICT, true, name, P, err)) ||
	    (rc = str_at(meth, sizeof meth, en, "method", "none", name, "device.enrollment", NULL,
	    err)) ||
	    (rc = mx_enroll_parse(&d->enroll, meth, err)) ||
	    (rc = mx_plist_get_bool(&d->user_approved, en, "user_approved", false, name,
	    "device.enrollment", err)) ||
	    (rc = mx_plist_get_bool(&d->supervised, en, "supervised", false, name,
	    "device.enrollment", err)) ||
	    (rc = mx_plist_get_bool(&d->in_abm, en, "in_abm", false, name, "device.enrollment", err))
	    || (rc = mx_plist_get_bool(&d->bootstrap_escrowed, en, "bootstrap_token_escrowed", false,
	    name, "device.enrollment", err)))
		goto fail;
	return 0;
fail:
	if (err && err->where[0] == '\0')
		snprintf(err->where, sizeof err->where, "%s: device", name);
	return rc;
}

static int
read_users(mx_device *d, plist_t a, const char *name, mx_err *err)
{
	if (a == NULL)
		return 0;
	if (plist_get_node_type(a) != PLIST_ARRAY)
		return bad(err, name, "users", "expected array");
	if (plist_array_get_size(a) > MX_MAX_USERS)
		return bad(err, name, "users", "more users than a simulated Mac holds (8)");
	d->nusers = 0;
	for (uint32_t i = 0; i < plist_array_get_size(a); i++) {
		char p[32];
		mx_path_index(p, sizeof p, "users", i);
		plist_t u = plist_array_get_item(a, i);
		mx_user *w = &d->users[d->nusers];
		int rc;
		if ((rc = mx_plist_expect(u, PLIST_DICT, name, p, err)) ||
		    (rc = str_at(w->name, sizeof w->name, u, "name", NULL, name, p, NULL, err)) ||
		    (rc = mx_plist_get_bool(&w->admin, u, "admin", false, name, p, err)) ||
		    (rc = str_at(w->pwhash, sizeof w->pwhash, u, "pwhash", NULL, name, p, pwhash_ok,
		    err)))
			return rc;
		if (w->name[0] == '\0' || strchr(w->name, ':'))
			return bad(err, name, p, "bad user name");
		for (int k = 0; k < d->nusers; k++)
			if (strcmp(d->users[k].name, w->name) == 0)
				return bad(err, name, p, "user appears twice");
		d->nusers++;
	}
	return 0;
}

static int
read_kext(mx_kext *k, plist_t e, const char *name, const char *p, mx_err *err)
{
	memset(k, 0, sizeof *k);
	char sig[32], state[48], appr[16];
	int rc;
	if ((rc = mx_plist_expect(e, PLIST_DICT, name, p, err)) ||
	    (rc = str_at(k->bundle_id, sizeof k->bundle_id, e, "bundle_id", NULL, name, p, bundle_ok,
	    err)) ||
	    (rc = str_at(k->team_id, sizeof k->team_id, e, "team_id", "", name, p, alnum_ok, err)) ||
	    (rc = str_at(k->version, sizeof k->version, e, "version", "", name, p, NULL, err)) ||
	    (rc = str_at(k->path, sizeof k->path, e, "path", NULL, name, p, path_ok, err)) ||
	    (rc = str_at(k->cdhash, sizeof k->cdhash, e, "cdhash", "", name, p, hex_ok, err)) ||
	    (rc = str_at(k->developer_name, sizeof k->developer_name, e, "developer_name", "", name,
	    p, NULL, err)) ||
	    (rc = str_at(sig, sizeof sig, e, "signature", NULL, name, p, NULL, err)) ||
	    (rc = mx_kext_sig_parse(&k->sig, sig, err)) ||
	    (rc = mx_plist_get_bool(&k->requirement_met, e, "requirement_met", false, name, p, err))
	    || (rc = mx_plist_get_bool(&k->codeless, e, "codeless", false, name, p, err)) ||
	    (rc = mx_plist_get_bool(&k->apple_auxiliary, e, "apple_auxiliary", false, name, p, err))
	    || (rc = mx_plist_get_bool(&k->has_arch, e, "has_arch", false, name, p, err)) ||
	    (rc = mx_plist_get_bool(&k->load_requested, e, "load_requested", false, name, p, err)) ||
	    (rc = str_at(state, sizeof state, e, "state", NULL, name, p, NULL, err)) ||
	    (rc = mx_kext_state_parse(&k->state, state, err)) ||
	    (rc = str_at(appr, sizeof appr, e, "approval", "none", name, p, NULL, err)) ||
	    (rc = mx_kext_approval_parse(&k->approval, appr, err)) ||
	    (rc = mx_plist_get_bool(&k->in_auxkc, e, "in_auxkc", false, name, p, err)) ||
	    (rc = str_at(k->running_version, sizeof k->running_version, e, "running_version", "",
	    name, p, NULL, err)) ||
	    (rc = str_at(k->running_cdhash, sizeof k->running_cdhash, e, "running_cdhash", "", name,
	    p, hex_ok, err)) ||
	    (rc = str_at(k->running_hash, sizeof k->running_hash, e, "running_hash", "", name, p,
	    hex_ok, err)) ||
	    (rc = mx_plist_get_int(&k->installed_at, e, "installed_at", false, name, p, err)))
		return rc;
	if (k->running_hash[0] && strlen(k->running_hash) != 64)
		return bad(err, name, p, "running_hash: expected a SHA-256 content hash");
	return 0;
}

int
mx_devstate_sidecar_read(mx_devstate *s, const uint8_t *buf, size_t len, const char *name,
    mx_err *err)
{
	plist_t root = NULL;
	int rc = mx_plist_parse(&root, buf, len, name, err);
	int64_t fmt = 0;
	if (rc == 0)
		rc = mx_plist_expect(root, PLIST_DICT, name, "", err);
	if (rc == 0)
		rc = mx_plist_get_int(&fmt, root, "format", true, name, "", err);
	if (rc == 0 && fmt != 1)
		rc = bad(err, name, "format", "expected 1 (written by a newer macext?)");
	if (rc == 0)
		rc = read_device(&s->dev, plist_dict_get_item(root, "device"), name, err);
	if (rc == 0)
		rc = read_users(&s->dev, plist_dict_get_item(root, "users"), name, err);
	const char *pem = NULL;
	if (rc == 0)
		rc = mx_plist_get_string(&pem, root, "trust_anchor_pem", false, name, "", err);
	if (rc == 0 && pem) {
		bool ascii = true;
		for (const char *c = pem; *c; c++)
			ascii &= (*c >= 0x20 && *c < 0x7f) || *c == '\n' || *c == '\r';
		if (!ascii || strlen(pem) > 65536 || strstr(pem, "-----BEGIN CERTIFICATE-----") == NULL)
			rc = bad(err, name, "trust_anchor_pem", "expected one PEM certificate (64 KiB at most)");
		else
			s->trust_anchor_pem = mx_xstrdup(pem);
	}
	plist_t kv = NULL;
	if (rc == 0)
		rc = mx_plist_get_node(&kv, root, "kv", PLIST_DICT, false, name, "", err);
	if (rc == 0 && kv) {
		plist_dict_iter it = NULL;
		plist_dict_new_iter(kv, &it);
		for (;;) {
			char *k = NULL;
			plist_t v = NULL;
			plist_dict_next_item(kv, it, &k, &v);
			if (k == NULL)
				break;
			char p[128];
			mx_path_key(p, sizeof p, "kv", k);
			const char *sv = mx_plist_str(v);
			if (!kv_ok(k))
				rc = bad(err, name, p, "not a key macext exports");
			else if (sv == NULL || strlen(sv) > 4096 || !mx_text_ok(sv))
				rc = bad(err, name, p, "expected a string of at most 4096 bytes");
			else {
				s->kv = mx_xrealloc(s->kv, (s->nkv + 1) * sizeof *s->kv);
				snprintf(s->kv[s->nkv].key, sizeof s->kv[s->nkv].key, "%s", k);
				s->kv[s->nkv++].value = mx_xstrdup(sv);
			}
			free(k);
			if (rc)
				break;
		}
		free(it);
	}
	/* per-record extras of the db.plist records, matched by uniqueID */
	plist_t sx = NULL;
	if (rc == 0)
		rc = mx_plist_get_node(&sx, root, "system_extensions", PLIST_DICT, false, name, "", err);
	for (size_t i = 0; rc == 0 && sx && i < s->nsx; i++) {
		mx_sx_rec *r = &s->sx[i];
		plist_t e = plist_dict_get_item(sx, r->unique_id);
		if (e == NULL)
			continue;
		char p[128];
		mx_path_key(p, sizeof p, "system_extensions", r->unique_id);
		plist_t ents = NULL;
		if ((rc = mx_plist_expect(e, PLIST_DICT, name, p, err)) ||
		    (rc = mx_plist_get_int(&r->seq, e, "seq", false, name, p, err)) ||
		    (rc = str_at(r->approval, sizeof r->approval, e, "approval", "", name, p, NULL, err)) ||
		    (rc = str_at(r->name, sizeof r->name, e, "name", "", name, p, NULL, err)) ||
		    (rc = str_at(r->developer, sizeof r->developer, e, "developer_name", "", name, p,
		    NULL, err)) ||
		    (rc = mx_plist_get_node(&ents, e, "entitlements", PLIST_ARRAY, false, name, p, err)) ||
		    (rc = mx_plist_get_int(&r->created_at, e, "created_at", false, name, p, err)))
			break;
		if (strcmp(r->approval, "") && strcmp(r->approval, "mdm") && strcmp(r->approval, "user")) {
			rc = bad(err, name, p, "approval: expected \"mdm\", \"user\" or \"\"");
			break;
		}
		if (r->seq < 1) {
			rc = bad(err, name, p, "seq: expected a positive sequence number");
			break;
		}
		json_t *j = json_array();
		for (uint32_t k = 0; ents && k < plist_array_get_size(ents); k++) {
			const char *sv = mx_plist_str(plist_array_get_item(ents, k));
			if (sv == NULL || !bundle_ok(sv)) {
				rc = bad(err, name, p, "entitlements: expected entitlement keys");
				break;
			}
			json_array_append_new(j, json_string(sv));
		}
		char *js = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		if (rc == 0 && (js == NULL || strlen(js) >= sizeof r->entitlements))
			rc = bad(err, name, p, "entitlements: too many");
		if (rc == 0)
			snprintf(r->entitlements, sizeof r->entitlements, "%s", js);
		free(js);
	}
	plist_t kx = NULL;
	if (rc == 0)
		rc = mx_plist_get_node(&kx, root, "kernel_extensions", PLIST_ARRAY, false, name, "", err);
	uint32_t nk = kx ? plist_array_get_size(kx) : 0;
	if (rc == 0 && nk > 4096)
		rc = bad(err, name, "kernel_extensions", "more than 4096 kexts");
	if (rc == 0 && nk) {
		s->kexts = mx_xcalloc(nk, sizeof *s->kexts);
		for (uint32_t i = 0; rc == 0 && i < nk; i++) {
			char p[64];
			mx_path_index(p, sizeof p, "kernel_extensions", i);
			rc = read_kext(&s->kexts[i], plist_array_get_item(kx, i), name, p, err);
			for (int k = 0; rc == 0 && k < s->nkexts; k++)
				if (strcmp(s->kexts[k].bundle_id, s->kexts[i].bundle_id) == 0)
					rc = bad(err, name, p, "bundle_id appears twice");
			if (rc == 0)
				s->nkexts++;
		}
	}
	/* profile metadata, matched by identifier */
	plist_t pr = NULL;
	if (rc == 0)
		rc = mx_plist_get_node(&pr, root, "profiles", PLIST_ARRAY, false, name, "", err);
	for (uint32_t i = 0; rc == 0 && pr && i < plist_array_get_size(pr); i++) {
		char p[64];
		mx_path_index(p, sizeof p, "profiles", i);
		plist_t e = plist_array_get_item(pr, i);
		char id[256];
		if ((rc = mx_plist_expect(e, PLIST_DICT, name, p, err)) ||
		    (rc = str_at(id, sizeof id, e, "identifier", NULL, name, p, NULL, err)))
			break;
		for (size_t k = 0; k < s->nprofiles; k++) {
			mx_profile_row *r = &s->profiles[k].row;
			if (strcmp(r->identifier, id) != 0)
				continue;
			if ((rc = str_at(r->source, sizeof r->source, e, "source", "manual", name, p, NULL,
			    err)) ||
			    (rc = str_at(r->signer, sizeof r->signer, e, "signer", "", name, p, NULL, err)) ||
			    (rc = mx_plist_get_int(&r->installed_at, e, "installed_at", false, name, p, err)))
				break;
			if (strcmp(r->source, "mdm") && strcmp(r->source, "manual"))
				rc = bad(err, name, p, "source: expected \"mdm\" or \"manual\"");
		}
	}
	plist_t fl = NULL;
	if (rc == 0)
		rc = mx_plist_get_node(&fl, root, "files", PLIST_ARRAY, false, name, "", err);
	uint32_t nf = fl ? plist_array_get_size(fl) : 0;
	if (rc == 0 && nf > 100000)
		rc = bad(err, name, "files", "more than 100000 entries");
	for (uint32_t i = 0; rc == 0 && i < nf; i++) {
		char p[64];
		mx_path_index(p, sizeof p, "files", i);
		const char *f = mx_plist_str(plist_array_get_item(fl, i));
		if (f == NULL || !mx_devpath_ok(f, sizeof s->files[0].path)) {
			rc = bad(err, name, p, "expected an absolute device path without \"..\"");
			break;
		}
		for (size_t k = 0; k < s->nfiles; k++)
			if (strcmp(s->files[k].path, f) == 0)
				rc = bad(err, name, p, "listed twice");
		if (rc)
			break;
		s->files = mx_xrealloc(s->files, (s->nfiles + 1) * sizeof *s->files);
		memset(&s->files[s->nfiles], 0, sizeof s->files[0]);
		snprintf(s->files[s->nfiles++].path, sizeof s->files[0].path, "%s", f);
	}
	plist_free(root);
	if (rc == 0)
		s->sidecar = true;
	return rc;
}
