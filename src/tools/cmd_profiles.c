/*
 * cmd_profiles.c — installed configuration profiles: `macext profiles
 * list|show|install|validate`, Apple's `profiles` tool, and the payload
 * iterator the extension modules build their merged policies from.
 *
 * Installing (MDM or by hand) lives here too, so `mdm install-profile`,
 * the raw MDM InstallProfile command and a manual install share one path
 * with macOS's delivery rules: payloads that Apple marks not manually
 * installable (the system- and kernel-extension policies among them) come
 * only through MDM; payloads that need a user-approved enrollment are
 * refused without one; payloads forbidden under User Enrollment are
 * refused there.  A profile with the same PayloadIdentifier replaces the
 * old one.  Both extension modules then see the change (hooks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "macext/profile.h"
#include "tools.h"

/* ---- payload iteration with a small cache of parsed bodies ---- */

#define BODY_CACHE 8
static struct { char hash[65]; plist_t root; unsigned long used; } cache[BODY_CACHE];
static unsigned long cache_clock;

static plist_t
body_plist(struct mx_cli *cli, const char *hash, mx_err *err)
{
	int free_slot = 0;
	for (int i = 0; i < BODY_CACHE; i++) {
		if (cache[i].root && strcmp(cache[i].hash, hash) == 0) {
			cache[i].used = ++cache_clock;
			return cache[i].root;
		}
		if (cache[i].used < cache[free_slot].used)
			free_slot = i;
	}
	uint8_t *buf;
	size_t len;
	if (mx_store_blob_get(cli->st, hash, &buf, &len, err))
		return NULL;
	plist_t root = NULL;
	plist_from_bin((const char *)buf, (uint32_t)len, &root);
	free(buf);
	if (root == NULL || plist_get_node_type(root) != PLIST_DICT) {
		plist_free(root);
		MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "stored profile body %s is not a dictionary",
		    hash);
		return NULL;
	}
	plist_free(cache[free_slot].root);
	snprintf(cache[free_slot].hash, sizeof cache[free_slot].hash, "%s", hash);
	cache[free_slot].root = root;
	cache[free_slot].used = ++cache_clock;
	return root;
}

static const char *
dict_str(plist_t dict, const char *key)
{
	plist_t n = plist_dict_get_item(dict, key);
	if (n == NULL || plist_get_node_type(n) != PLIST_STRING)
		return NULL;
	return plist_get_string_ptr(n, NULL);
}

struct each_ctx {
	struct mx_cli *cli;
	const char *type;
	mx_payload_fn fn;
	void *arg;
	mx_err *err;
};

static int
each_profile(const mx_profile_row *r, void *arg)
{
	struct each_ctx *c = arg;
	if (c->type && strstr(r->payload_types, c->type) == NULL)
		return 0;
	plist_t root = body_plist(c->cli, r->body, c->err);
	if (root == NULL)
		return c->err->code;
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
		int rc = c->fn(p, r->identifier, u ? u : "", c->arg);
		if (rc)
			return rc;
	}
	return 0;
}

int
cli_payloads_each(struct mx_cli *cli, const mx_device *d, const char *payload_type,
    mx_payload_fn fn, void *arg, mx_err *err)
{
	struct each_ctx c = { cli, payload_type, fn, arg, err };
	return mx_store_profile_each(cli->st, d->id, each_profile, &c, err);
}

/* ---- installing ---- */

/* A fleet installs the same profile on thousands of Macs: the last few
 * profiles read (parsed, CMS-checked, converted to the stored binary form)
 * are remembered for the process by a SHA-256 of their bytes and name, so
 * each is read once.  mx_profile_read depends on nothing else. */
#define READ_MEMO 4
static struct {
	uint8_t key[32];
	mx_profile *p;
	uint8_t *bin;
	size_t blen;
	unsigned long used;
} read_memo[READ_MEMO];
static unsigned long read_clock;

static int
profile_read_memo(const uint8_t *buf, size_t len, const char *name, const mx_profile **p,
    const uint8_t **bin, size_t *blen, mx_err *err)
{
	uint8_t key[32];
	unsigned kl;
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	EVP_DigestInit_ex(x, EVP_sha256(), NULL);
	EVP_DigestUpdate(x, name, strlen(name) + 1);
	EVP_DigestUpdate(x, buf, len);
	EVP_DigestFinal_ex(x, key, &kl);
	EVP_MD_CTX_free(x);
	int slot = 0;
	for (int i = 0; i < READ_MEMO; i++) {
		if (read_memo[i].p && memcmp(read_memo[i].key, key, 32) == 0) {
			read_memo[i].used = ++read_clock;
			*p = read_memo[i].p;
			*bin = read_memo[i].bin;
			*blen = read_memo[i].blen;
			return 0;
		}
		if (read_memo[i].used < read_memo[slot].used)
			slot = i;
	}
	mx_profile *np;
	uint8_t *nb;
	size_t nl;
	int rc = mx_profile_read(&np, buf, len, name, err);
	if (rc)
		return rc;
	if ((rc = mx_profile_to_bin(np, &nb, &nl, err))) {
		mx_profile_free(np);
		return rc;
	}
	mx_profile_free(read_memo[slot].p);
	free(read_memo[slot].bin);
	memcpy(read_memo[slot].key, key, 32);
	read_memo[slot].p = np;
	read_memo[slot].bin = nb;
	read_memo[slot].blen = nl;
	read_memo[slot].used = ++read_clock;
	*p = np;
	*bin = nb;
	*blen = nl;
	return 0;
}

static const char *
enroll_title(enum mx_enroll e)
{
	static const char *t[] = { "no MDM enrollment", "User Enrollment", "Device Enrollment",
		"Automated Device Enrollment" };
	return t[e];
}

/* The delivery rules, checked for every payload before anything changes. */
static int
delivery_check(const mx_profile *p, const mx_device *d, bool via_mdm, const char *name,
    mx_err *err)
{
	for (size_t i = 0; i < mx_profile_payload_count(p); i++) {
		const char *type = mx_profile_payload_type(p, i);
		mx_payload_rules r;
		if (!mx_schema_rules(type, &r) || !r.known)
			continue;
		if (!via_mdm && !r.allow_manual_install)
			return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
			    "%s: PayloadContent[%zu]: %s payloads can only be installed by an MDM"
			    " server, not by hand", name, i, type);
		if (via_mdm && d->enroll == MX_ENROLL_USER && r.user_enrollment_forbidden)
			return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
			    "%s: PayloadContent[%zu]: %s is not allowed with User Enrollment", name, i,
			    type);
		if (via_mdm && r.requires_user_approved_mdm && !d->user_approved)
			return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
			    "%s: PayloadContent[%zu]: %s requires a user-approved MDM enrollment"
			    " (this Mac has %s, not user approved)", name, i, type,
			    enroll_title(d->enroll));
		if (via_mdm && r.requires_supervision && !d->supervised)
			return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
			    "%s: PayloadContent[%zu]: %s requires a supervised Mac", name, i, type);
	}
	return 0;
}

int
cli_install_profile(struct mx_cli *cli, mx_device *d, const uint8_t *buf, size_t len,
    const char *name, bool via_mdm, mx_profile_row *out, mx_err *err)
{
	int rc;
	if (d->env != MX_ENV_MACOS)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is not running macOS", d->name);
	if (via_mdm && d->enroll == MX_ENROLL_NONE)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET,
		    "%s is not enrolled in MDM: run 'macext mdm enroll' first", d->name);
	const mx_profile *p;
	const uint8_t *bin;
	size_t blen;
	if ((rc = profile_read_memo(buf, len, name, &p, &bin, &blen, err)))
		return rc;
	mx_profile_row row;
	memset(&row, 0, sizeof row);
	if ((rc = delivery_check(p, d, via_mdm, name, err)) ||
	    (rc = mx_store_blob_put(cli->st, bin, blen, row.body, err)))
		return rc;
	snprintf(row.identifier, sizeof row.identifier, "%s", mx_profile_identifier(p));
	snprintf(row.uuid, sizeof row.uuid, "%s", mx_profile_uuid(p));
	snprintf(row.display_name, sizeof row.display_name, "%s", mx_profile_display_name(p));
	snprintf(row.organization, sizeof row.organization, "%s", mx_profile_organization(p));
	snprintf(row.source, sizeof row.source, "%s", via_mdm ? "mdm" : "manual");
	snprintf(row.signer, sizeof row.signer, "%s", mx_profile_signer(p));
	row.installed_at = cli->in.now;
	for (size_t i = 0; i < mx_profile_payload_count(p); i++) {
		size_t l = strlen(row.payload_types);
		snprintf(row.payload_types + l, sizeof row.payload_types - l, "%s%s", l ? " " : "",
		    mx_profile_payload_type(p, i));
	}
	bool replaced;
	if ((rc = mx_store_profile_put(cli->st, d->id, &row, &replaced, err)))
		return rc;
	char what[512];
	snprintf(what, sizeof what, "profile %s %s (%s)", row.identifier,
	    replaced ? "replaced" : "installed", row.payload_types);
	if ((rc = cli_event(cli, d, via_mdm ? "mdm" : "user", what,
	    via_mdm ? "InstallProfile" : "manual install", err)) ||
	    (rc = sysext_profiles_changed(cli, d, err)) ||
	    (rc = kext_profiles_changed(cli, d, err)))
		return rc;
	if (out)
		*out = row;
	return 0;
}

int
cli_remove_profile(struct mx_cli *cli, mx_device *d, const char *identifier, bool via_mdm,
    mx_err *err)
{
	int rc;
	mx_profile_row row;
	if ((rc = mx_store_profile_remove(cli->st, d->id, identifier, &row, err)))
		return rc;
	if (!via_mdm && strcmp(row.source, "mdm") == 0)
		return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
		    "profile '%s' was installed by MDM; only the MDM server can remove it", identifier);
	char what[512];
	snprintf(what, sizeof what, "profile %s removed (%s)", identifier, row.payload_types);
	if ((rc = cli_event(cli, d, via_mdm ? "mdm" : "user", what,
	    via_mdm ? "RemoveProfile" : "manual removal", err)) ||
	    (rc = sysext_profiles_changed(cli, d, err)) ||
	    (rc = kext_profiles_changed(cli, d, err)))
		return rc;
	return 0;
}

/* ---- macext profiles list|show|install|remove ---- */

static json_t *
row_json(struct mx_cli *cli, const mx_profile_row *r, bool with_payloads, mx_err *err)
{
	json_t *types = json_array();
	char buf[1024];
	snprintf(buf, sizeof buf, "%s", r->payload_types);
	for (char *save, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
		json_array_append_new(types, json_string(t));
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o}",
	    "identifier", r->identifier, "uuid", r->uuid, "display_name", r->display_name,
	    "organization", r->organization, "source", r->source, "signer", r->signer,
	    "installed_at", (json_int_t)r->installed_at, "payload_types", types);
	if (with_payloads) {
		plist_t root = body_plist(cli, r->body, err);
		char *xml = NULL;
		uint32_t xl = 0;
		if (root) {
			plist_t content = plist_dict_get_item(root, "PayloadContent");
			if (content)
				plist_to_xml(content, &xml, &xl);
		}
		json_object_set_new(j, "payload_content_xml", json_string(xml ? xml : ""));
		free(xml);
	}
	return j;
}

struct list_ctx { struct mx_cli *cli; json_t *arr; int n; mx_err *err; };

static int
list_one(const mx_profile_row *r, void *arg)
{
	struct list_ctx *lc = arg;
	lc->n++;
	if (lc->arr) {
		json_array_append_new(lc->arr, row_json(lc->cli, r, false, lc->err));
		return 0;
	}
	printf("%-48s %-6s %s\n", r->identifier, r->source, r->payload_types);
	return 0;
}

/* The merged extension policies, as the extension modules see them. */
static json_t *merged_policy_json(struct mx_cli *cli, const mx_device *d, mx_err *err);

static int
profiles_list(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext profiles list [--json]", err);
	mx_device d;
	if (rc || (rc = cli_begin_device(cli, &d, err)))
		return rc;
	struct list_ctx lc = { cli, cli->json ? json_array() : NULL, 0, err };
	if (!cli->json)
		printf("%-48s %-6s %s\n", "IDENTIFIER", "FROM", "PAYLOADS");
	rc = mx_store_profile_each(cli->st, d.id, list_one, &lc, err);
	if (rc == 0 && cli->json) {
		json_t *merged = merged_policy_json(cli, &d, err);
		cli_json_print(json_pack("{s:o, s:o}", "profiles", lc.arr, "merged_policy", merged));
	} else if (cli->json) {
		json_decref(lc.arr);
	}
	cli_rollback(cli);
	return rc;
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

static int
profiles_show(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 1, 1, "macext profiles show IDENTIFIER [--json]", err);
	mx_device d;
	if (rc || (rc = cli_begin_device(cli, &d, err)))
		return rc;
	struct find_ctx f;
	memset(&f, 0, sizeof f);
	f.id = argv[1];
	if ((rc = mx_store_profile_each(cli->st, d.id, find_one, &f, err)))
		return rc;
	if (!f.found)
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "no installed profile '%s' on %s",
		    argv[1], d.name);
	json_t *j = row_json(cli, &f.row, true, err);
	if (cli->json) {
		cli_json_print(j);
	} else {
		printf("identifier:   %s\nuuid:         %s\nname:         %s\norganization: %s\n"
		    "installed by: %s\nsigned by:    %s\npayloads:     %s\n", f.row.identifier,
		    f.row.uuid, f.row.display_name, f.row.organization, f.row.source,
		    f.row.signer[0] ? f.row.signer : "(unsigned)", f.row.payload_types);
		json_t *x = json_object_get(j, "payload_content_xml");
		fputs(json_string_value(x), stdout);
		json_decref(j);
	}
	cli_rollback(cli);
	return 0;
}

int
cli_read_file(const char *path, size_t cap, uint8_t **out, size_t *len, mx_err *err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s: cannot open", path);
	size_t n = 0, sz = 65536;
	uint8_t *buf = mx_xmalloc(sz);
	for (;;) {
		if (n == sz) {
			if (sz > cap) {
				fclose(f);
				free(buf);
				return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET,
				    "%s: larger than %zu bytes", path, cap);
			}
			sz *= 2;
			buf = mx_xrealloc(buf, sz);
		}
		size_t got = fread(buf + n, 1, sz - n, f);
		if (got == 0)
			break;
		n += got;
	}
	fclose(f);
	if (n > cap) {
		free(buf);
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: larger than %zu bytes", path, cap);
	}
	*out = buf;
	*len = n;
	return 0;
}

static void
print_installed(struct mx_cli *cli, const mx_profile_row *r)
{
	if (cli->quiet)
		return;
	if (cli->json) {
		cli_json_print(row_json(cli, r, false, NULL));
		return;
	}
	printf("installed %s (%s)%s%s\n", r->identifier, r->payload_types,
	    r->signer[0] ? ", signed by " : "", r->signer);
}

static int
profiles_install(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *cred = arg_value(&argc, argv, "--as");
	int rc = arg_check(argc, argv, 1, 1, "macext profiles install FILE --as USER:PASSWORD", err);
	if (rc)
		return rc;
	uint8_t *buf;
	size_t len;
	if ((rc = cli_read_file(argv[1], MX_PROFILE_MAX_BYTES, &buf, &len, err)))
		return rc;
	mx_device d;
	if ((rc = cli_begin_device(cli, &d, err))) {
		free(buf);
		return rc;
	}
	/* System Settings asks for an administrator to install a device profile. */
	if ((rc = mx_auth_check(&d, cred, true, NULL, err))) {
		free(buf);
		return cli_refuse(cli, &d, "user", "manual profile install", err);
	}
	mx_profile_row row;
	rc = cli_install_profile(cli, &d, buf, len, argv[1], false, &row, err);
	free(buf);
	if (rc || (rc = cli_commit(cli, err)))
		return rc;
	print_installed(cli, &row);
	return 0;
}

static int
profiles_remove(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *cred = arg_value(&argc, argv, "--as");
	int rc = arg_check(argc, argv, 1, 1, "macext profiles remove IDENTIFIER --as USER:PASSWORD",
	    err);
	mx_device d;
	if (rc || (rc = cli_begin_device(cli, &d, err)))
		return rc;
	if ((rc = mx_auth_check(&d, cred, true, NULL, err)))
		return cli_refuse(cli, &d, "user", "manual profile removal", err);
	if ((rc = cli_remove_profile(cli, &d, argv[1], false, err)) || (rc = cli_commit(cli, err)))
		return rc;
	if (!cli->quiet && !cli->json)
		printf("removed %s\n", argv[1]);
	return 0;
}

int
cmd_profiles(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	static const struct { const char *name; mx_cmd_fn fn; } sub[] = {
		{ "list", profiles_list }, { "show", profiles_show },
		{ "install", profiles_install }, { "remove", profiles_remove },
		{ "validate", cmd_profiles_validate },
	};
	if (argc < 2)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "usage: macext profiles list|show|install|remove|validate");
	for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++)
		if (strcmp(argv[1], sub[i].name) == 0)
			return sub[i].fn(cli, argc - 1, argv + 1, err);
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "unknown profiles command '%s'", argv[1]);
}

/* ---- merged policy view ---- */

struct merge_ctx { json_t *obj; };

/* Appends to arr every string of the plist array val not already in it. */
static void
union_strings(json_t *arr, plist_t val)
{
	if (plist_get_node_type(val) != PLIST_ARRAY)
		return;
	for (uint32_t i = 0; i < plist_array_get_size(val); i++) {
		plist_t e = plist_array_get_item(val, i);
		if (plist_get_node_type(e) != PLIST_STRING)
			continue;
		const char *s = plist_get_string_ptr(e, NULL);
		size_t k;
		json_t *v;
		bool dup = false;
		json_array_foreach(arr, k, v)
			dup |= strcmp(json_string_value(v), s) == 0;
		if (!dup)
			json_array_append_new(arr, json_string(s));
	}
}

/* json_object_get, creating the member with make() when absent. */
static json_t *
member(json_t *obj, const char *key, json_t *(*make)(void))
{
	json_t *cur = json_object_get(obj, key);
	if (cur == NULL)
		json_object_set_new(obj, key, cur = make());
	return cur;
}

/* Lists union (a dict of lists unions per key); booleans AND. */
static int
merge_one(plist_t payload, const char *profile_id, const char *payload_uuid, void *arg)
{
	struct merge_ctx *m = arg;
	plist_dict_iter it = NULL;
	plist_dict_new_iter(payload, &it);
	for (;;) {
		char *key = NULL;
		plist_t val = NULL;
		plist_dict_next_item(payload, it, &key, &val);
		if (key == NULL)
			break;
		plist_type t = plist_get_node_type(val);
		if (strncmp(key, "Payload", 7) == 0) {
			/* envelope keys are not policy */
		} else if (t == PLIST_BOOLEAN) {
			uint8_t b = 0;
			plist_get_bool_val(val, &b);
			json_t *cur = json_object_get(m->obj, key);
			json_object_set_new(m->obj, key, json_boolean(b && (cur == NULL || json_is_true(cur))));
		} else if (t == PLIST_ARRAY) {
			union_strings(member(m->obj, key, json_array), val);
		} else if (t == PLIST_DICT) {
			json_t *cur = member(m->obj, key, json_object);
			plist_dict_iter it2 = NULL;
			plist_dict_new_iter(val, &it2);
			for (;;) {
				char *k2 = NULL;
				plist_t v2 = NULL;
				plist_dict_next_item(val, it2, &k2, &v2);
				if (k2 == NULL)
					break;
				union_strings(member(cur, k2, json_array), v2);
				free(k2);
			}
			free(it2);
		}
		free(key);
	}
	free(it);
	(void)profile_id;
	(void)payload_uuid;
	return 0;
}

static json_t *
merged_policy_json(struct mx_cli *cli, const mx_device *d, mx_err *err)
{
	static const struct { const char *type, *name; bool user_overrides_default; } types[] = {
		{ "com.apple.system-extension-policy", "system_extensions", true },
		{ "com.apple.syspolicy.kernel-extension-policy", "kernel_extensions", false },
	};
	json_t *out = json_object();
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		struct merge_ctx m = { json_object() };
		cli_payloads_each(cli, d, types[i].type, merge_one, &m, err);
		if (json_object_get(m.obj, "AllowUserOverrides") == NULL)
			json_object_set_new(m.obj, "AllowUserOverrides",
			    json_boolean(types[i].user_overrides_default));
		if (i == 1 && json_object_get(m.obj, "AllowNonAdminUserApprovals") == NULL)
			json_object_set_new(m.obj, "AllowNonAdminUserApprovals", json_false());
		json_object_set_new(out, types[i].name, m.obj);
	}
	return out;
}

/* ---- Apple's profiles(1) ---- */

struct apple_list { int n; };

static int
apple_list_one(const mx_profile_row *r, void *arg)
{
	struct apple_list *a = arg;
	a->n++;
	printf("_computerlevel[%d] attribute: profileIdentifier: %s\n", a->n, r->identifier);
	return 0;
}

int
apple_profiles(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *type = arg_value(&argc, argv, "-type");
	const char *path = arg_value(&argc, argv, "-path");
	const char *ident = arg_value(&argc, argv, "-identifier");
	if (argc < 2)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "usage: profiles list | show | status -type enrollment | install -path FILE |"
		    " remove -identifier ID");
	const char *verb = argv[1];
	mx_device d;
	int rc;
	if ((rc = cli_begin_device(cli, &d, err)))
		return rc;
	if (strcmp(verb, "list") == 0 || strcmp(verb, "show") == 0) {
		struct apple_list a = { 0 };
		if ((rc = mx_store_profile_each(cli->st, d.id, apple_list_one, &a, err)))
			return rc;
		if (a.n == 0)
			printf("There are no configuration profiles installed\n");
		else
			printf("There are %d configuration profiles installed\n", a.n);
		cli_rollback(cli);
		return 0;
	}
	if (strcmp(verb, "status") == 0) {
		if (type == NULL || strcmp(type, "enrollment") != 0)
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "usage: profiles status -type enrollment");
		printf("Enrolled via DEP: %s\n", d.enroll == MX_ENROLL_AUTOMATED ? "Yes" : "No");
		printf("MDM enrollment: %s\n", d.enroll == MX_ENROLL_NONE ? "No" :
		    d.user_approved ? "Yes (User Approved)" : "Yes");
		cli_rollback(cli);
		return 0;
	}
	if (strcmp(verb, "install") == 0) {
		/* Since macOS 11 the tool refuses to install configuration profiles. */
		if (mx_version_at_least(d.os, 11, 0, 0)) {
			MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
			    "profiles tool no longer supports installs. Use System %s Profiles to add"
			    " configuration profiles.",
			    mx_version_at_least(d.os, 13, 0, 0) ? "Settings" : "Preferences");
			return -1;
		}
		if (path == NULL)
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "usage: profiles install -path FILE");
		uint8_t *buf;
		size_t len;
		if ((rc = cli_read_file(path, MX_PROFILE_MAX_BYTES, &buf, &len, err)))
			return rc;
		mx_profile_row row;
		rc = cli_install_profile(cli, &d, buf, len, path, false, &row, err);
		free(buf);
		if (rc || (rc = cli_commit(cli, err)))
			return rc;
		return 0;
	}
	if (strcmp(verb, "remove") == 0) {
		if (ident == NULL)
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "usage: profiles remove -identifier ID");
		if ((rc = cli_remove_profile(cli, &d, ident, false, err)) || (rc = cli_commit(cli, err)))
			return rc;
		return 0;
	}
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "profiles: unknown verb '%s'", verb);
}
