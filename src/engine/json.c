/*
 * json.c — one JSON serializer per object (DESIGN.md "JSON field names"),
 * used by every --json of the CLI and by the HTTP API: device, kext,
 * system extension, alert, profile (payload_types always an array), event,
 * security information, LocalPolicy, app, request results, errors.
 *
 * jansson refuses strings that are not valid UTF-8 (json_string returns
 * NULL), and json_pack then drops the whole object.  Here every string
 * goes through one builder that fails loudly instead: MX_EFORMAT naming
 * the object, the field and the byte offset of the first bad byte, so a
 * bad string never becomes a missing field or an empty document.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macext/rd.h"
#include "engine_int.h"

/* ---- the builder ---- */

struct jb {
	const char *obj;                /* "device 'mac-1'", for messages */
	mx_err *err;
	int rc;
};

/* Offset of the first byte that is not valid UTF-8 (RFC 3629), or -1. */
static long
bad_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; p[i];) {
		unsigned c = p[i];
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 :
		    (c & 0xf8) == 0xf0 ? 4 : 0;
		if (n == 0 || (n == 2 && c < 0xc2) || (n == 4 && c > 0xf4))
			return (long)i;
		for (size_t k = 1; k < n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return (long)i;
		if ((n == 3 && c == 0xe0 && p[i + 1] < 0xa0) ||
		    (n == 3 && c == 0xed && p[i + 1] >= 0xa0) ||
		    (n == 4 && c == 0xf0 && p[i + 1] < 0x90) ||
		    (n == 4 && c == 0xf4 && p[i + 1] >= 0x90))
			return (long)i;
		i += n;
	}
	return -1;
}

static json_t *
jstr(struct jb *b, const char *field, const char *s)
{
	if (b->rc)
		return json_null();
	json_t *v = json_string(s ? s : "");
	if (v == NULL) {
		long off = bad_utf8(s);
		b->rc = MX_FAIL(b->err, MX_EFORMAT, off < 0 ? MX_NO_OFFSET : (uint64_t)off,
		    "%s: %s is not valid UTF-8 (byte %ld): it cannot be written as JSON", b->obj,
		    field, off);
		return json_null();
	}
	return v;
}

static void
set(json_t *o, const char *key, json_t *v)
{
	json_object_set_new(o, key, v);
}

static void
sets(struct jb *b, json_t *o, const char *key, const char *s)
{
	set(o, key, jstr(b, key, s));
}

/* Hands over o when the builder succeeded, else frees it. */
static int
finish(struct jb *b, json_t *o, json_t **out)
{
	if (b->rc) {
		json_decref(o);
		*out = NULL;
		return b->rc;
	}
	*out = o;
	return 0;
}

/* ---- objects ---- */

int
mx_json_device(json_t **out, const mx_device *d, mx_err *err)
{
	char os[32], who[96];
	snprintf(who, sizeof who, "device '%.60s'", d->name);
	struct jb b = { who, err, 0 };
	mx_version_str(d->os, os, sizeof os);
	const char *re = mx_recovery_entry_name(d->recovery_entry);
	json_t *j = json_object();
	sets(&b, j, "name", d->name);
	sets(&b, j, "arch", mx_arch_name(d->arch));
	sets(&b, j, "os", os);
	sets(&b, j, "serial", d->serial);
	sets(&b, j, "udid", d->udid);
	sets(&b, j, "environment", mx_env_name(d->env));
	set(j, "recovery_entry", re ? jstr(&b, "recovery_entry", re) : json_null());
	sets(&b, j, "chip", d->arch == MX_ARCH_ARM64 ? "apple-silicon" : "intel");
	sets(&b, j, "boot_session", d->boot_session);
	set(j, "boot_count", json_integer((json_int_t)d->boot_count));
	json_t *sip = json_object();
	set(sip, "enabled", json_boolean(mx_device_sip_enabled(d)));
	set(sip, "flags", json_integer((json_int_t)d->csr));
	set(j, "sip", sip);
	json_t *sec = json_object();
	sets(&b, sec, "policy", mx_secpolicy_name(d->policy));
	set(sec, "kext_user_management", json_boolean(d->kext_user_management));
	set(sec, "kext_remote_management", json_boolean(d->kext_remote_management));
	set(j, "security", sec);
	json_t *en = json_object();
	sets(&b, en, "method", mx_enroll_name(d->enroll));
	set(en, "user_approved", json_boolean(d->user_approved));
	set(en, "supervised", json_boolean(d->supervised));
	set(en, "in_abm", json_boolean(d->in_abm));
	set(en, "bootstrap_token_escrowed", json_boolean(d->bootstrap_escrowed));
	set(j, "enrollment", en);
	set(j, "restart_pending", json_boolean(d->restart_pending));
	json_t *users = json_array();
	for (int i = 0; i < d->nusers; i++) {
		json_t *u = json_object();
		set(u, "name", jstr(&b, "users[].name", d->users[i].name));
		set(u, "admin", json_boolean(d->users[i].admin));
		json_array_append_new(users, u);
	}
	set(j, "users", users);
	return finish(&b, j, out);
}

int
mx_json_kext(json_t **out, const mx_kext *k, mx_err *err)
{
	char who[300];
	snprintf(who, sizeof who, "kext %.256s", k->bundle_id);
	struct jb b = { who, err, 0 };
	json_t *j = json_object();
	sets(&b, j, "bundle_id", k->bundle_id);
	sets(&b, j, "team_id", k->team_id);
	sets(&b, j, "version", k->version);
	sets(&b, j, "path", k->path);
	sets(&b, j, "signature", mx_kext_sig_name(k->sig));
	sets(&b, j, "approval", mx_kext_approval_name(k->approval));
	sets(&b, j, "state", mx_kext_state_name(k->state));
	set(j, "in_auxkc", json_boolean(k->in_auxkc));
	set(j, "codeless", json_boolean(k->codeless));
	sets(&b, j, "cdhash", k->cdhash);
	sets(&b, j, "developer_name", k->developer_name);
	return finish(&b, j, out);
}

int
mx_json_kext_installed(json_t **out, const mx_kext *k, mx_err *err)
{
	char who[300];
	snprintf(who, sizeof who, "kext %.256s", k->bundle_id);
	struct jb b = { who, err, 0 };
	json_t *j = json_object();
	sets(&b, j, "bundle_id", k->bundle_id);
	sets(&b, j, "version", k->version);
	sets(&b, j, "path", k->path);
	sets(&b, j, "signature", mx_kext_sig_name(k->sig));
	sets(&b, j, "state", mx_kext_state_name(k->state));
	return finish(&b, j, out);
}

int
mx_json_expiry(json_t **out, const mx_expiry *x, mx_err *err)
{
	struct jb b = { "expired certificates", err, 0 };
	json_t *a = json_array();
	for (int i = 0; i < x->n && i < MX_EXPIRY_MAX; i++) {
		char na[32];
		time_t t = (time_t)x->e[i].cert.not_after;
		struct tm tm;
		if (gmtime_r(&t, &tm) == NULL)
			snprintf(na, sizeof na, "%lld", (long long)x->e[i].cert.not_after);
		else
			strftime(na, sizeof na, "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_t *o = json_object();
		sets(&b, o, "bundle", x->e[i].bundle);
		sets(&b, o, "subject", x->e[i].cert.subject);
		sets(&b, o, "not_after", na);
		sets(&b, o, "expired_before", x->e[i].cert.at_signing_time ? "signing-time" : "now");
		json_array_append_new(a, o);
	}
	return finish(&b, a, out);
}

/* A JSON text the engine wrote itself (entitlements, cdhashes, actions); empty of kind when unreadable. */
static json_t *
stored_json(const char *text, bool array)
{
	json_t *v = json_loads(text, 0, NULL);
	if (v == NULL || (array ? !json_is_array(v) : !json_is_object(v))) {
		json_decref(v);
		v = array ? json_array() : json_object();
	}
	return v;
}

int
mx_json_sysext(json_t **out, const mx_sx_rec *r, mx_err *err)
{
	char who[300];
	snprintf(who, sizeof who, "system extension %.256s", r->identifier);
	struct jb b = { who, err, 0 };
	json_t *j = json_object();
	sets(&b, j, "team_id", r->team_id);
	sets(&b, j, "bundle_id", r->identifier);
	sets(&b, j, "version", r->short_version);
	sets(&b, j, "bundle_version", r->version);
	sets(&b, j, "name", r->name);
	sets(&b, j, "category", r->category);
	sets(&b, j, "state", mx_sx_state_name(r->state));
	set(j, "enabled", json_boolean(mx_sx_state_enabled(r->state)));
	set(j, "active", json_boolean(mx_sx_state_active(r->state)));
	sets(&b, j, "app_id", r->app_id);
	sets(&b, j, "container", r->container);
	set(j, "approval", r->approval[0] ? jstr(&b, "approval", r->approval) : json_null());
	set(j, "entitlements", stored_json(r->entitlements, true));
	sets(&b, j, "unique_id", r->unique_id);
	sets(&b, j, "staged_path", r->staged_path);
	sets(&b, j, "origin_path", r->origin_path);
	set(j, "staged_cdhashes", stored_json(r->cdhashes, false));
	return finish(&b, j, out);
}

int
mx_json_alert(json_t **out, const mx_alert *a, mx_err *err)
{
	char who[96];
	snprintf(who, sizeof who, "alert %lld", (long long)a->id);
	struct jb b = { who, err, 0 };
	json_t *j = json_object();
	set(j, "id", json_integer((json_int_t)a->id));
	sets(&b, j, "kind", a->kind);
	sets(&b, j, "subject", a->subject);
	sets(&b, j, "title", a->title);
	sets(&b, j, "text", a->text);
	set(j, "actions", stored_json(a->actions, true));
	return finish(&b, j, out);
}

int
mx_json_profile(json_t **out, const mx_profile_row *r, const char *payload_xml, mx_err *err)
{
	char who[300];
	snprintf(who, sizeof who, "profile %.256s", r->identifier);
	struct jb b = { who, err, 0 };
	json_t *j = json_object();
	sets(&b, j, "identifier", r->identifier);
	sets(&b, j, "uuid", r->uuid);
	sets(&b, j, "display_name", r->display_name);
	sets(&b, j, "organization", r->organization);
	sets(&b, j, "source", r->source);
	sets(&b, j, "signer", r->signer);
	set(j, "installed_at", json_integer((json_int_t)r->installed_at));
	json_t *types = json_array();
	char buf[sizeof r->payload_types];
	snprintf(buf, sizeof buf, "%s", r->payload_types);
	for (char *save, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
		json_array_append_new(types, jstr(&b, "payload_types[]", t));
	set(j, "payload_types", types);
	if (payload_xml)
		sets(&b, j, "payload_content_xml", payload_xml);
	return finish(&b, j, out);
}

int
mx_json_event(json_t **out, const mx_event *ev, mx_err *err)
{
	char who[64];
	snprintf(who, sizeof who, "event %lld", (long long)ev->id);
	struct jb b = { who, err, 0 };
	json_t *j = json_object();
	set(j, "id", json_integer((json_int_t)ev->id));
	set(j, "time", json_integer((json_int_t)ev->time));
	sets(&b, j, "actor", ev->actor);
	sets(&b, j, "what", ev->what);
	sets(&b, j, "why", ev->why);
	return finish(&b, j, out);
}

int
mx_json_localpolicy(json_t **out, const mx_localpolicy *lp, bool valid, mx_err *err)
{
	struct jb b = { "LocalPolicy", err, 0 };
	char h[2 * MX_LP_HASH_LEN + 1];
	json_t *j = json_object();
	set(j, "valid", json_boolean(valid));
	sets(&b, j, "volume_group", lp->vuid);
	set(j, "nonce", json_integer((json_int_t)lp->nonce));
	sets(&b, j, "level", mx_secpolicy_name(mx_lp_level(lp)));
	set(j, "smb0", json_boolean(lp->smb0));
	set(j, "smb1", json_boolean(lp->smb1));
	set(j, "smb2", json_boolean(lp->smb2));
	set(j, "smb3", json_boolean(lp->smb3));
	set(j, "smb4", json_boolean(lp->smb4));
	set(j, "sip0", lp->has_sip0 ? json_integer(lp->sip0) : json_null());
	set(j, "sip1", json_boolean(lp->sip1));
	set(j, "sip2", json_boolean(lp->sip2));
	set(j, "sip3", json_boolean(lp->sip3));
	const struct { const char *k; bool has; const uint8_t *v; } aux[3] = {
		{ "auxp", lp->has_auxp, lp->auxp }, { "auxi", lp->has_auxi, lp->auxi },
		{ "auxr", lp->has_auxr, lp->auxr } };
	for (int i = 0; i < 3; i++) {
		if (aux[i].has)
			mx_hex_encode(h, aux[i].v, MX_LP_HASH_LEN);
		set(j, aux[i].k, aux[i].has ? json_string(h) : json_null());
	}
	return finish(&b, j, out);
}

int
mx_json_security_info(json_t **out, const mx_security_info *si, mx_err *err)
{
	struct jb b = { "security information", err, 0 };
	bool as = si->apple_silicon;
	json_t *j = json_object();
	set(j, "SystemIntegrityProtectionEnabled", json_boolean(si->csr == 0));
	json_t *sb = json_object();
	sets(&b, sb, "SecureBootLevel", si->secure_boot_level);
	if (as && si->policy == MX_SEC_REDUCED) {
		json_t *rs = json_array();
		if (si->kext_user_management)
			json_array_append_new(rs, json_string("AllowsUserKextApproval"));
		if (si->kext_remote_management)
			json_array_append_new(rs, json_string("AllowsMDM"));
		set(sb, "ReducedSecurity", rs);
	}
	set(j, "SecureBoot", sb);
	set(j, "AuthenticatedRootVolumeEnabled", json_boolean(si->authenticated_root));
	const char *bt = !as ? "not supported"
	    : si->enroll == MX_ENROLL_AUTOMATED && si->bootstrap_escrowed ? "allowed" : "disallowed";
	sets(&b, j, "BootstrapTokenAllowedForAuthentication", bt);
	set(j, "BootstrapTokenRequiredForKernelExtensionApproval",
	    json_boolean(as && strcmp(bt, "allowed") == 0));
	sets(&b, j, "policy", mx_secpolicy_name(si->policy));
	set(j, "kext_user_management", json_boolean(si->kext_user_management));
	set(j, "kext_remote_management", json_boolean(si->kext_remote_management));
	set(j, "third_party_kexts_user", json_boolean(si->gate_user.allowed));
	set(j, "third_party_kexts_mdm", json_boolean(si->gate_mdm.allowed));
	json_t *gates = json_object();
	const mx_boot_gate *gs[2] = { &si->gate_user, &si->gate_mdm };
	static const char *const gate_names[2] = { "user", "mdm" };
	static const char *const actions[] = { [MX_GATE_NONE] = "none",
		[MX_GATE_1TR_USER_MGMT] = "recovery-power-button-user-management",
		[MX_GATE_1TR_REMOTE_MGMT] = "recovery-power-button-remote-management",
		[MX_GATE_MDM_BOOTSTRAP] = "mdm-bootstrap-token",
		[MX_GATE_TAMPERED] = "localpolicy-invalid" };
	for (int i = 0; i < 2; i++) {
		json_t *g = json_object();
		set(g, "allowed", json_boolean(gs[i]->allowed));
		sets(&b, g, "action", actions[gs[i]->action]);
		set(g, "tag", gs[i]->tag ? jstr(&b, "tag", gs[i]->tag) : json_null());
		sets(&b, g, "text", gs[i]->text);
		set(gates, gate_names[i], g);
	}
	set(j, "kext_gate", gates);
	json_t *lp = json_null();
	if (as && mx_json_localpolicy(&lp, &si->lp, si->lp_valid, err) != 0) {
		json_decref(j);
		return err ? err->code : MX_EFORMAT;
	}
	set(j, "localpolicy", lp);
	return finish(&b, j, out);
}

int
mx_json_app(json_t **out, const mx_app_info *a, mx_err *err)
{
	char who[300];
	snprintf(who, sizeof who, "app %.256s", a->bundle_id);
	struct jb b = { who, err, 0 };
	json_t *j = json_object();
	sets(&b, j, "bundle_id", a->bundle_id);
	sets(&b, j, "path", a->path);
	sets(&b, j, "content", a->content);
	set(j, "system_extensions", json_integer(a->system_extensions));
	return finish(&b, j, out);
}

int
mx_json_sysext_result(json_t **out, const mx_sx_result *r, bool activation, mx_err *err)
{
	char who[300];
	snprintf(who, sizeof who, "request for %.256s", r->identifier);
	struct jb b = { who, err, 0 };
	json_t *j = json_object();
	sets(&b, j, "identifier", r->identifier);
	if (activation) {
		sets(&b, j, "app_id", r->app_id);
		sets(&b, j, "plan", r->plan ? r->plan : "");
	}
	sets(&b, j, "result", r->result ? r->result : "");
	sets(&b, j, "state", mx_sx_state_name(r->state));
	if (activation)
		sets(&b, j, "unique_id", r->unique_id);
	return finish(&b, j, out);
}

int
mx_json_error(json_t **out, const mx_err *e, mx_err *err)
{
	struct jb b = { "error", err, 0 };
	json_t *j = json_object(), *o = json_object();
	set(o, "code", json_integer(mx_exit_code(e->code)));
	sets(&b, o, "name", mx_code_name(e->code));
	sets(&b, o, "domain", mx_domain_name(e->domain));
	set(o, "subcode", json_integer(e->subcode));
	sets(&b, o, "where", e->where);
	sets(&b, o, "message", e->msg);
	set(j, "error", o);
	return finish(&b, j, out);
}

/* ---- the merged extension policies (profiles policy --json) ---- */

/* Appends to arr every string of the plist array val not already in it. */
static void
union_strings(struct jb *b, json_t *arr, plist_t val, const char *key)
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
		if (!dup) {
			json_t *js = jstr(b, key, s);
			if (b->rc) {
				json_decref(js);
				return;
			}
			json_array_append_new(arr, js);
		}
	}
}

/* The member key of obj, created with make() when absent; NULL (b->rc set)
 * for a key that is not UTF-8, which jansson would drop with its value. */
static json_t *
member(struct jb *b, json_t *obj, const char *key, json_t *(*make)(void))
{
	long off = bad_utf8(key);
	if (off >= 0) {
		b->rc = MX_FAIL(b->err, MX_EFORMAT, (uint64_t)off, "%s: the key '%s' is not valid"
		    " UTF-8 (byte %ld): it cannot be written as JSON", b->obj, key, off);
		return NULL;
	}
	json_t *cur = json_object_get(obj, key);
	if (cur == NULL)
		json_object_set_new(obj, key, cur = make());
	return cur;
}

/* Lists union (a dict of lists unions per key); booleans AND; envelope keys skipped. */
int
eng_json_merge_payload(json_t *obj, plist_t payload, const char *profile_id, mx_err *err)
{
	char who[300];
	snprintf(who, sizeof who, "profile %.256s", profile_id);
	struct jb b = { who, err, 0 };
	plist_dict_iter it = NULL;
	plist_dict_new_iter(payload, &it);
	for (;;) {
		char *key = NULL;
		plist_t val = NULL;
		plist_dict_next_item(payload, it, &key, &val);
		if (key == NULL)
			break;
		plist_type t = plist_get_node_type(val);
		json_t *cur;
		if (strncmp(key, "Payload", 7) == 0) {
			/* envelope keys are not policy */
		} else if (t == PLIST_BOOLEAN) {
			uint8_t v = 0;
			plist_get_bool_val(val, &v);
			if ((cur = member(&b, obj, key, json_true)) != NULL)
				json_object_set_new(obj, key, json_boolean(v && json_is_true(cur)));
		} else if (t == PLIST_ARRAY) {
			if ((cur = member(&b, obj, key, json_array)) != NULL)
				union_strings(&b, cur, val, key);
		} else if (t == PLIST_DICT && (cur = member(&b, obj, key, json_object)) != NULL) {
			plist_dict_iter it2 = NULL;
			plist_dict_new_iter(val, &it2);
			for (;;) {
				char *k2 = NULL;
				plist_t v2 = NULL;
				plist_dict_next_item(val, it2, &k2, &v2);
				if (k2 == NULL)
					break;
				json_t *list = member(&b, cur, k2, json_array);
				if (list)
					union_strings(&b, list, v2, k2);
				free(k2);
				if (b.rc)
					break;
			}
			free(it2);
		}
		free(key);
		if (b.rc)
			break;
	}
	free(it);
	return b.rc;
}
