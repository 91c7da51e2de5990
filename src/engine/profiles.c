/*
 * profiles.c — installed configuration profiles: reading one (parsed,
 * CMS-checked and converted to the stored form once, before any
 * transaction; remembered per engine by its bytes and name), installing
 * and removing with macOS's delivery rules (src/core/rules.c) and the
 * reactions of both extension modules, the payload iterator their merged
 * policies are built from, and the reads (list, show, the merged policy).
 * A profile with the same PayloadIdentifier replaces the old one.
 * Spec: mdm-protocol-and-peers.md §1.5; docs/profiles.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "macext/profile.h"
#include "macext/rules.h"
#include "engine_int.h"

/* mdmclient's MDMClientError codes a Mac answers profile commands with
 * (seen in servers' records of real Macs: fleetdm/fleet's profile tests) */
#define MDMCLIENT_PROFILE_NOT_FOUND 89  /* "Profile with identifier 'X' not found." */
#define MDMCLIENT_NOT_MDM_PROFILE 96    /* "Cannot replace profile 'X' because it was not
                                         * installed by the MDM server." */

/* ---- payload iteration ---- */

static const char *
dict_str(plist_t dict, const char *key)
{
	plist_t n = plist_dict_get_item(dict, key);
	if (n == NULL || plist_get_node_type(n) != PLIST_STRING)
		return NULL;
	return plist_get_string_ptr(n, NULL);
}

struct each_ctx {
	mx_op *op;
	const char *type;
	eng_payload_fn fn;
	void *arg;
	mx_err *err;
};

static int
each_profile(const mx_profile_row *r, void *arg)
{
	struct each_ctx *c = arg;
	if (c->type && strstr(r->payload_types, c->type) == NULL)
		return 0;
	plist_t root;
	int rc = eng_profile_body(c->op, r->body, &root, c->err);
	if (rc)
		return rc;
	plist_t content = plist_dict_get_item(root, "PayloadContent");
	if (content == NULL || plist_get_node_type(content) != PLIST_ARRAY)
		return 0;
	uint32_t n = plist_array_get_size(content);
	for (uint32_t i = 0; i < n; i++) {
		plist_t p = plist_array_get_item(content, i);
		if (plist_get_node_type(p) != PLIST_DICT)
			continue;
		const char *t = dict_str(p, "PayloadType");
		if (t == NULL || (c->type && strcmp(t, c->type) != 0))
			continue;
		const char *u = dict_str(p, "PayloadUUID");
		if ((rc = c->fn(p, r->identifier, u ? u : "", c->arg)))
			return rc;
	}
	return 0;
}

int
eng_payloads_each(mx_op *op, const char *payload_type, eng_payload_fn fn, void *arg, mx_err *err)
{
	struct each_ctx c = { op, payload_type, fn, arg, err };
	return mx_store_profile_each(op->st, op->d.id, each_profile, &c, err);
}

/* ---- reading ---- */

/* A fleet installs the same profile on thousands of Macs: the last few
 * profiles read are remembered by a SHA-256 of their bytes and name, so
 * each is read once.  mx_profile_read depends on nothing else. */
int
mx_engine_profile_read(mx_engine *e, const uint8_t *buf, size_t len, const char *name,
    mx_profile_doc **out, mx_err *err)
{
	uint8_t key[32];
	unsigned kl;
	*out = NULL;
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	EVP_DigestInit_ex(x, EVP_sha256(), NULL);
	EVP_DigestUpdate(x, name, strlen(name) + 1);
	EVP_DigestUpdate(x, buf, len);
	EVP_DigestFinal_ex(x, key, &kl);
	EVP_MD_CTX_free(x);
	if ((*out = eng_profile_doc_find(e, key)) != NULL)
		return 0;
	mx_profile *p;
	uint8_t *bin;
	size_t blen;
	int rc = mx_profile_read(&p, buf, len, name, err);
	if (rc)
		return rc;
	if ((rc = mx_profile_to_bin(p, &bin, &blen, err))) {
		mx_profile_free(p);
		return rc;
	}
	*out = eng_profile_doc_new(p, bin, blen, name);
	eng_profile_doc_remember(e, key, *out);
	return 0;
}

int
mx_engine_import_profile(mx_engine *e, const uint8_t *buf, size_t len, const char *name,
    mx_profile_import *out)
{
	memset(out, 0, sizeof *out);
	mx_err_clear(&out->err);
	out->rc = mx_engine_profile_read(e, buf, len, name, &out->doc, &out->err);
	return out->rc;
}

void
mx_profile_import_free(mx_profile_import *p)
{
	if (p == NULL)
		return;
	mx_profile_doc_release(p->doc);
	p->doc = NULL;
}

/* ---- installing and removing ---- */

int
mx_op_profile_installable(mx_op *op, enum mx_via via, mx_err *err)
{
	const mx_device *d = &op->d;
	if (d->env != MX_ENV_MACOS)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is not running macOS", d->name);
	if (via == MX_VIA_MDM && d->enroll == MX_ENROLL_NONE)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET,
		    "%s is not enrolled in MDM: run 'macext mdm enroll' first", d->name);
	return 0;
}

int
eng_profiles_changed(mx_op *op, mx_err *err)
{
	int rc = eng_sysext_profiles_changed(op, err);
	return rc ? rc : eng_kext_profiles_changed(op, err);
}

int
mx_op_profile_install(mx_op *op, const mx_profile_import *imp, enum mx_via via,
    mx_profile_row *out, mx_err *err)
{
	int rc;
	bool via_mdm = via == MX_VIA_MDM;
	if ((rc = mx_op_profile_installable(op, via, err)))
		return rc;
	if (imp->rc || imp->doc == NULL) {
		if (imp->rc == 0)
			return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "no profile to install");
		*err = imp->err;
		return imp->rc;
	}
	const mx_profile *p = mx_profile_doc_profile(imp->doc);
	const uint8_t *bin;
	size_t blen;
	eng_profile_doc_bin(imp->doc, &bin, &blen);
	mx_profile_row row;
	memset(&row, 0, sizeof row);
	if ((rc = mx_profile_delivery_check(p, &op->d, via_mdm, eng_profile_doc_name(imp->doc),
	    err)) ||
	    (rc = mx_store_blob_put(op->st, bin, blen, row.body, err)))
		return rc;
	eng_profile_body_adopt(op->e, row.body, imp->doc);
	snprintf(row.identifier, sizeof row.identifier, "%s", mx_profile_identifier(p));
	snprintf(row.uuid, sizeof row.uuid, "%s", mx_profile_uuid(p));
	snprintf(row.display_name, sizeof row.display_name, "%s", mx_profile_display_name(p));
	snprintf(row.organization, sizeof row.organization, "%s", mx_profile_organization(p));
	snprintf(row.source, sizeof row.source, "%s", via_mdm ? "mdm" : "manual");
	snprintf(row.signer, sizeof row.signer, "%s", mx_profile_signer(p));
	row.installed_at = op->now;
	/* the distinct types, in order of first appearance: 40,000 Wi-Fi
	 * payloads are one type (listing each once overflowed the record and
	 * cut the list silently, hiding any payload after the cut from the
	 * reactions); a list that still does not fit is refused */
	for (size_t i = 0; i < mx_profile_payload_count(p); i++) {
		const char *t = mx_profile_payload_type(p, i);
		size_t tl = strlen(t), l = strlen(row.payload_types);
		bool seen = false;
		for (const char *q = row.payload_types; !seen && (q = strstr(q, t)) != NULL; q += tl)
			seen = (q == row.payload_types || q[-1] == ' ') && (q[tl] == '\0' || q[tl] == ' ');
		if (seen)
			continue;
		if (l + (l ? 1 : 0) + tl >= sizeof row.payload_types)
			return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: more distinct payload types"
			    " than a profile record keeps (%zu bytes of names)", row.identifier,
			    sizeof row.payload_types - 1);
		snprintf(row.payload_types + l, sizeof row.payload_types - l, "%s%s", l ? " " : "", t);
	}
	/* a profile belongs to the channel that installed it (docs/profiles.md
	 * "Who owns a profile"): neither replaces the other's */
	mx_profile_row old;
	mx_err e2;
	mx_err_clear(&e2);
	if ((rc = mx_store_profile_get(op->st, op->d.id, row.identifier, &old, &e2)) == 0) {
		bool old_mdm = strcmp(old.source, "mdm") == 0;
		if (old_mdm && !via_mdm)
			return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET, "profile '%s' was installed by MDM;"
			    " a profile installed by hand cannot replace it (only the MDM server can)",
			    row.identifier);
		if (!old_mdm && via_mdm)
			return MX_FAIL_DOM(err, MX_EDENIED, MX_DOM_MDMCLIENT, MDMCLIENT_NOT_MDM_PROFILE,
			    "Cannot replace profile '%s' because it was not installed by the MDM"
			    " server.", row.identifier);
	} else if (rc != MX_ENOTFOUND) {
		*err = e2;
		return rc;
	}
	bool replaced;
	if ((rc = mx_store_profile_put(op->st, op->d.id, &row, &replaced, err)))
		return rc;
	char what[512];
	snprintf(what, sizeof what, "profile %s %s (%s)", row.identifier,
	    replaced ? "replaced" : "installed", row.payload_types);
	if ((rc = mx_op_event(op, via_mdm ? "mdm" : "user", what,
	    via_mdm ? "InstallProfile" : "manual install", err)) ||
	    (rc = eng_profiles_changed(op, err)))
		return rc;
	if (out)
		*out = row;
	return 0;
}

static int
mdm_owned(const char *identifier, mx_err *err)
{
	return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
	    "profile '%s' was installed by MDM; only the MDM server can remove it", identifier);
}

int
mx_op_profile_remove(mx_op *op, const char *identifier, enum mx_via via, mx_err *err)
{
	int rc;
	bool via_mdm = via == MX_VIA_MDM;
	mx_profile_row row;
	mx_err e2;
	mx_err_clear(&e2);
	if ((rc = mx_store_profile_get(op->st, op->d.id, identifier, &row, &e2)) != 0 &&
	    rc != MX_ENOTFOUND) {
		*err = e2;
		return rc;
	}
	/* RemoveProfile reaches the profiles MDM installed: one installed by
	 * hand is, to the server, not there (mdmclient's answer for an
	 * identifier it does not have), and stays */
	if (via_mdm && (rc == MX_ENOTFOUND || strcmp(row.source, "mdm") != 0))
		return MX_FAIL_DOM(err, MX_ENOTFOUND, MX_DOM_MDMCLIENT, MDMCLIENT_PROFILE_NOT_FOUND,
		    "Profile with identifier '%s' not found.", identifier);
	if (rc) {
		*err = e2;
		return rc;
	}
	if (!via_mdm && strcmp(row.source, "mdm") == 0)
		return mdm_owned(identifier, err);
	if ((rc = mx_store_profile_remove(op->st, op->d.id, identifier, NULL, err)))
		return rc;
	char what[512];
	snprintf(what, sizeof what, "profile %s removed (%s)", identifier, row.payload_types);
	if ((rc = mx_op_event(op, via_mdm ? "mdm" : "user", what,
	    via_mdm ? "RemoveProfile" : "manual removal", err)) ||
	    (rc = eng_profiles_changed(op, err)))
		return rc;
	return 0;
}

int
mx_op_profile_remove_by_user(mx_op *op, const char *identifier, const char *cred, mx_err *err)
{
	mx_profile_row row;
	mx_err e2;
	mx_err_clear(&e2);
	int rc = mx_store_profile_get(op->st, op->d.id, identifier, &row, &e2);
	if (rc == 0 && strcmp(row.source, "mdm") == 0)
		return mdm_owned(identifier, err);
	if (rc && rc != MX_ENOTFOUND) {
		*err = e2;
		return rc;
	}
	if ((rc = mx_op_auth(op, cred, true, "manual profile removal", NULL, err)))
		return rc;
	return mx_op_profile_remove(op, identifier, MX_VIA_MANUAL, err);
}

/* ---- reads ---- */

int
mx_op_profiles_each(mx_op *op, int (*fn)(const mx_profile_row *, void *), void *arg,
    mx_err *err)
{
	return mx_store_profile_each(op->st, op->d.id, fn, arg, err);
}

struct find_ctx { const char *id; mx_profile_row row; bool found; };

static int
find_one(const mx_profile_row *r, void *arg)
{
	struct find_ctx *f = arg;
	if (strcmp(r->identifier, f->id) == 0) {
		f->row = *r;
		f->found = true;
	}
	return 0;
}

int
mx_op_profile_get(mx_op *op, const char *identifier, mx_profile_row *out, char **payload_xml,
    mx_err *err)
{
	struct find_ctx f;
	memset(&f, 0, sizeof f);
	f.id = identifier;
	if (payload_xml)
		*payload_xml = NULL;
	int rc = mx_store_profile_each(op->st, op->d.id, find_one, &f, err);
	if (rc)
		return rc;
	if (!f.found)
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "no installed profile '%s' on %s",
		    identifier, op->d.name);
	*out = f.row;
	if (payload_xml == NULL)
		return 0;
	plist_t root;
	char *xml = NULL;
	uint32_t xl = 0;
	if (eng_profile_body(op, f.row.body, &root, NULL) == 0) {
		plist_t content = plist_dict_get_item(root, "PayloadContent");
		if (content)
			plist_to_xml(content, &xml, &xl);
	}
	*payload_xml = xml ? xml : mx_xstrdup("");
	return 0;
}

/* ---- merged policy view ---- */

struct merge_ctx { json_t *obj; mx_err *err; };

static int
merge_one(plist_t payload, const char *profile_id, const char *payload_uuid, void *arg)
{
	struct merge_ctx *m = arg;
	(void)payload_uuid;
	return eng_json_merge_payload(m->obj, payload, profile_id, m->err);
}

int
mx_op_merged_policy(mx_op *op, json_t **result, mx_err *err)
{
	static const struct { const char *type, *name; bool user_overrides_default; } types[] = {
		{ "com.apple.system-extension-policy", "system_extensions", true },
		{ "com.apple.syspolicy.kernel-extension-policy", "kernel_extensions", false },
	};
	*result = NULL;
	json_t *out = json_object();
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		struct merge_ctx m = { json_object(), err };
		int rc = eng_payloads_each(op, types[i].type, merge_one, &m, err);
		if (rc) {
			json_decref(m.obj);
			json_decref(out);
			return rc;
		}
		if (json_object_get(m.obj, "AllowUserOverrides") == NULL)
			json_object_set_new(m.obj, "AllowUserOverrides",
			    json_boolean(types[i].user_overrides_default));
		if (i == 1 && json_object_get(m.obj, "AllowNonAdminUserApprovals") == NULL)
			json_object_set_new(m.obj, "AllowNonAdminUserApprovals", json_false());
		json_object_set_new(out, types[i].name, m.obj);
	}
	*result = out;
	return 0;
}
