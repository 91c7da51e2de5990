/*
 * enqueue.c — how the control API turns a request into a queued command:
 * the JSON shortcuts (a RequestType and a few keys, for the commands the
 * agent's tests send: InstallProfile, RemoveProfile, ProfileList,
 * SecurityInfo, DeviceInformation, InstalledApplicationList,
 * CertificateList, AvailableOSUpdates, RestartDevice, ShutDownDevice,
 * DeviceConfigured, or any other with "keys") built with libplist, and
 * mds_enqueue_plist, which checks a command plist (own reader), gives it a
 * CommandUUID when it has none, validates it against Apple's payloadkeys
 * and queues it for its targets (NanoMDM's enqueue: one command, many
 * enrollments; a UUID used before is refused).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <plist/plist.h>

#include "mdms.h"

#define MAX_PROFILE_FILE (16u << 20)

/* ---- JSON shortcuts → command plists ---- */

static plist_t
to_plist(json_t *v, int depth, mds_err *err)
{
	if (depth > 32) {
		mds_fail(err, 0, "keys nested too deeply");
		return NULL;
	}
	switch (json_typeof(v)) {
	case JSON_STRING: return plist_new_string(json_string_value(v));
	case JSON_INTEGER: return plist_new_uint((uint64_t)json_integer_value(v));
	case JSON_REAL: return plist_new_real(json_real_value(v));
	case JSON_TRUE: return plist_new_bool(1);
	case JSON_FALSE: return plist_new_bool(0);
	case JSON_ARRAY: {
		plist_t a = plist_new_array();
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			plist_t c = to_plist(x, depth + 1, err);
			if (c == NULL) {
				plist_free(a);
				return NULL;
			}
			plist_array_append_item(a, c);
		}
		return a;
	}
	case JSON_OBJECT: {
		json_t *data = json_object_get(v, "$data");
		if (data && json_is_string(data)) {
			uint8_t *d = NULL;
			size_t n = 0;
			if (mds_b64_decode(&d, &n, json_string_value(data), strlen(json_string_value(data))) != 0) {
				mds_fail(err, 0, "$data is not base64");
				return NULL;
			}
			plist_t p = plist_new_data((const char *)d, n);
			free(d);
			return p;
		}
		plist_t d = plist_new_dict();
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x) {
			plist_t c = to_plist(x, depth + 1, err);
			if (c == NULL) {
				plist_free(d);
				return NULL;
			}
			plist_dict_set_item(d, k, c);
		}
		return d;
	}
	default:
		mds_fail(err, 0, "null is not a plist value");
		return NULL;
	}
}

static void
set_bool(plist_t cmd, json_t *j, const char *jk, const char *pk)
{
	json_t *v = json_object_get(j, jk);
	if (json_is_boolean(v))
		plist_dict_set_item(cmd, pk, plist_new_bool(json_is_true(v)));
}

static int
set_strings(plist_t cmd, json_t *j, const char *jk, const char *pk, mds_err *err)
{
	json_t *v = json_object_get(j, jk);
	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return mds_fail(err, 0, "%s: expected an array of strings", jk);
	plist_t a = plist_new_array();
	size_t i;
	json_t *x;
	json_array_foreach(v, i, x) {
		if (!json_is_string(x)) {
			plist_free(a);
			return mds_fail(err, 0, "%s[%zu]: expected a string", jk, i);
		}
		plist_array_append_item(a, plist_new_string(json_string_value(x)));
	}
	plist_dict_set_item(cmd, pk, a);
	return 0;
}

/* Builds a command plist from {"request_type": ..., shortcut keys, "keys": {...}}. */
int
mds_shortcut(void *json, mds_buf *out, mds_err *err)
{
	json_t *j = json;
	const char *rt = json_string_value(json_object_get(j, "request_type"));
	if (rt == NULL || rt[0] == 0)
		return mds_fail(err, 0, "request_type is required");
	plist_t cmd = plist_new_dict();
	plist_dict_set_item(cmd, "RequestType", plist_new_string(rt));
	int rc = 0;
	if (strcmp(rt, "InstallProfile") == 0) {
		const char *file = json_string_value(json_object_get(j, "profile_file"));
		const char *b64 = json_string_value(json_object_get(j, "payload_base64"));
		uint8_t *p = NULL;
		size_t n = 0;
		if (file)
			rc = mds_read_file(&p, &n, file, MAX_PROFILE_FILE, err);
		else if (b64)
			rc = mds_b64_decode(&p, &n, b64, strlen(b64)) == 0 ? 0 : mds_fail(err, 0, "payload_base64 is not base64");
		else
			rc = mds_fail(err, 0, "InstallProfile needs profile_file or payload_base64");
		if (rc == 0)
			plist_dict_set_item(cmd, "Payload", plist_new_data((const char *)p, n));
		free(p);
	} else if (strcmp(rt, "RemoveProfile") == 0) {
		const char *id = json_string_value(json_object_get(j, "identifier"));
		if (id)
			plist_dict_set_item(cmd, "Identifier", plist_new_string(id));
		else
			rc = mds_fail(err, 0, "RemoveProfile needs identifier");
	} else if (strcmp(rt, "DeviceInformation") == 0) {
		if (json_object_get(j, "queries")) {
			rc = set_strings(cmd, j, "queries", "Queries", err);
		} else {
			static const char *const q[] = { "DeviceName", "OSVersion", "BuildVersion", "ModelName",
				"Model", "ProductName", "SerialNumber", "UDID", "IsSupervised", "IsAppleSilicon",
				"SystemIntegrityProtectionEnabled", "IsActivationLockEnabled", "AwaitingConfiguration" };
			plist_t a = plist_new_array();
			for (size_t i = 0; i < sizeof q / sizeof q[0]; i++)
				plist_array_append_item(a, plist_new_string(q[i]));
			plist_dict_set_item(cmd, "Queries", a);
		}
	} else if (strcmp(rt, "ProfileList") == 0 || strcmp(rt, "CertificateList") == 0) {
		set_bool(cmd, j, "managed_only", "ManagedOnly");
	} else if (strcmp(rt, "InstalledApplicationList") == 0) {
		rc = set_strings(cmd, j, "identifiers", "Identifiers", err);
		set_bool(cmd, j, "managed_apps_only", "ManagedAppsOnly");
	} else if (strcmp(rt, "RestartDevice") == 0) {
		set_bool(cmd, j, "notify_user", "NotifyUser");
		set_bool(cmd, j, "rebuild_kernel_cache", "RebuildKernelCache");
		rc = set_strings(cmd, j, "kext_paths", "KextPaths", err);
	}
	json_t *keys = json_object_get(j, "keys");
	if (rc == 0 && keys != NULL) {
		if (!json_is_object(keys)) {
			rc = mds_fail(err, 0, "keys: expected an object");
		} else {
			const char *k;
			json_t *x;
			json_object_foreach(keys, k, x) {
				plist_t c = to_plist(x, 0, err);
				if (c == NULL) {
					rc = -1;
					break;
				}
				plist_dict_set_item(cmd, k, c);
			}
		}
	}
	if (rc != 0) {
		plist_free(cmd);
		return -1;
	}
	plist_t top = plist_new_dict();
	plist_dict_set_item(top, "Command", cmd);
	const char *uuid = json_string_value(json_object_get(j, "command_uuid"));
	char u[37];
	if (uuid == NULL) {
		mds_uuid(u);
		uuid = u;
	}
	plist_dict_set_item(top, "CommandUUID", plist_new_string(uuid));
	char *xml = NULL;
	uint32_t xl = 0;
	plist_to_xml(top, &xml, &xl);
	plist_free(top);
	if (xml == NULL)
		return mds_fail(err, 0, "cannot serialize the command");
	mds_buf_add(out, xml, xl);
	plist_to_xml_free(xml);
	return 0;
}

int
mds_enqueue_plist(mds_server *s, const uint8_t *p, size_t n, const char *const *ids, size_t nids,
    char uuid[64], char reqtype[64], mds_viols *viols, mds_err *err)
{
	mds_arena a = { 0 };
	mds_pnode *root = NULL;
	int rc = -1;
	if (mds_plist_parse(&root, &a, p, n, err) != 0)
		goto out;
	const mds_pnode *cmd = mds_plist_get(root, "Command");
	const char *rt = mds_plist_str(cmd, "RequestType");
	if (root->type != MDS_P_DICT || rt == NULL) {
		mds_fail(err, 0, "a command plist is {Command: {RequestType: ...}, CommandUUID: ...}");
		goto out;
	}
	const char *cu = mds_plist_str(root, "CommandUUID");
	mds_buf xml = { 0 };
	if (cu == NULL || cu[0] == 0) {
		/* no CommandUUID (or an empty one): give it one, and write the plist anew */
		char u[37];
		mds_uuid(u);
		mds_pnode *un = NULL;
		for (mds_pnode *c = root->first; c; c = c->next)
			if (strcmp(c->key, "CommandUUID") == 0)
				un = c;
		if (un == NULL) {
			un = mds_pnode_string(&a, u);
			mds_pnode_append(root, "CommandUUID", un);
		} else {
			un->type = MDS_P_STRING;
			un->v.s = mds_arena_strndup(&a, u, 36);
			un->n = 36;
		}
		cu = un->v.s;
		mds_plist_write(&xml, root);
	} else {
		mds_buf_add(&xml, p, n);
	}
	if (strlen(cu) >= 64 || strlen(rt) >= 64) {
		mds_buf_free(&xml);
		mds_fail(err, 0, "CommandUUID or RequestType longer than 63 bytes");
		goto out;
	}
	snprintf(uuid, 64, "%s", cu);
	snprintf(reqtype, 64, "%s", rt);
	if (viols != NULL && s->have_schema) {
		mds_vctx ctx = { .user_channel = false };
		mds_validate_command(&s->schema, root, &ctx, viols);
	}
	pthread_mutex_lock(&s->st.mu);
	if (mds_state_cmd(&s->st, cu) != NULL) {
		pthread_mutex_unlock(&s->st.mu);
		mds_buf_free(&xml);
		mds_fail(err, 0, "command already exists: %s", cu);
		goto out;
	}
	/* targets first: a command for nobody is not stored */
	size_t count = 0;
	bool all = nids == 1 && (strcmp(ids[0], "all") == 0 || strcmp(ids[0], "all-users") == 0);
	bool users = all && strcmp(ids[0], "all-users") == 0;
	mds_cmd *c = NULL;
	if (all) {
		for (mds_enr *e = s->st.ehead; e; e = e->lnext) {
			bool user = e->type == MDS_E_USER || e->type == MDS_E_UE_USER;
			if (!e->enabled || user != users)
				continue;
			if (c == NULL)
				c = mds_state_cmd_new(&s->st, cu, rt, xml.p, xml.len);
			mds_state_enqueue(&s->st, c, e);
			count++;
		}
	} else {
		for (size_t i = 0; i < nids; i++) {
			mds_enr *e = mds_state_enr(&s->st, ids[i], false);
			if (e == NULL)
				continue;
			if (c == NULL)
				c = mds_state_cmd_new(&s->st, cu, rt, xml.p, xml.len);
			mds_state_enqueue(&s->st, c, e);
			count++;
		}
	}
	pthread_mutex_unlock(&s->st.mu);
	if (c == NULL) {
		mds_buf_free(&xml);
		mds_fail(err, 0, "no such enrollment");
		goto out;
	}
	atomic_fetch_add_explicit(&s->rep.c[MDS_C_ENQUEUED], count, memory_order_relaxed);
	rc = (int)count;
out:
	mds_arena_free(&a);
	return rc;
}

