/*
 * mdm_command.c — an MDM command plist, parsed and type-checked before the
 * device acts on it (include/macext/mdm.h).  The bytes go through
 * mx_plist_parse (bounded size, depth and expansion, no duplicate keys);
 * then every key macext reads is checked for its type, so the command
 * handlers (src/tools/cmd_mdm.c) only see well-typed values.
 *
 *   { CommandUUID: string, Command: { RequestType: string,
 *       InstallProfile: Payload data (required)
 *       RemoveProfile:  Identifier string (required)
 *       RestartDevice:  NotifyUser bool, RebuildKernelCache bool,
 *                       KextPaths [string] (macOS 11.3+, at most 32 here) } }
 */
#include <string.h>

#include "macext/mdm.h"
#include "macext/plist_util.h"

void
mx_mdm_command_free(mx_mdm_command *c)
{
	if (c == NULL)
		return;
	plist_free(c->root);
	memset(c, 0, sizeof *c);
}

static int
restart_keys(mx_mdm_command *c, const char *name, mx_err *err)
{
	int rc;
	if ((rc = mx_plist_get_bool(&c->notify_user, c->command, "NotifyUser", false, name,
	    "Command", err)) ||
	    (rc = mx_plist_get_bool(&c->rebuild_kernel_cache, c->command, "RebuildKernelCache",
	    false, name, "Command", err)))
		return rc;
	plist_t kp = NULL;
	if ((rc = mx_plist_get_node(&kp, c->command, "KextPaths", PLIST_ARRAY, false, name,
	    "Command", err)) || kp == NULL)
		return rc;
	uint32_t n = plist_array_get_size(kp);
	if (n > MX_MDM_MAX_KEXT_PATHS)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: Command.KextPaths: %u paths, at"
		    " most %d", name, n, MX_MDM_MAX_KEXT_PATHS);
	for (uint32_t i = 0; i < n; i++) {
		plist_t e = plist_array_get_item(kp, i);
		char path[64];
		mx_path_index(path, sizeof path, "Command.KextPaths", i);
		if ((rc = mx_plist_expect(e, PLIST_STRING, name, path, err)))
			return rc;
		c->kext_paths[c->nkext_paths++] = mx_plist_str(e);
	}
	return 0;
}

int
mx_mdm_command_parse(mx_mdm_command *out, const uint8_t *buf, size_t len, const char *name,
    mx_err *err)
{
	memset(out, 0, sizeof *out);
	mx_mdm_command c = { 0 };
	int rc = mx_plist_parse(&c.root, buf, len, name, err);
	if (rc)
		return rc;
	if ((rc = mx_plist_expect(c.root, PLIST_DICT, name, "", err)) ||
	    (rc = mx_plist_get_string(&c.uuid, c.root, "CommandUUID", true, name, "", err)) ||
	    (rc = mx_plist_get_node(&c.command, c.root, "Command", PLIST_DICT, true, name, "",
	    err)) ||
	    (rc = mx_plist_get_string(&c.type, c.command, "RequestType", true, name, "Command",
	    err)))
		goto fail;
	/* key problems are the command's, answered with an Error status */
	mx_err_clear(&c.bad_err);
	if (strcmp(c.type, "InstallProfile") == 0) {
		plist_t p = NULL;
		c.bad = mx_plist_get_node(&p, c.command, "Payload", PLIST_DATA, true, name,
		    "Command", &c.bad_err);
		if (c.bad == 0) {
			uint64_t l = 0;
			c.payload = (const uint8_t *)plist_get_data_ptr(p, &l);
			c.payload_len = (size_t)l;
		}
	} else if (strcmp(c.type, "RemoveProfile") == 0) {
		c.bad = mx_plist_get_string(&c.identifier, c.command, "Identifier", true, name,
		    "Command", &c.bad_err);
	} else if (strcmp(c.type, "RestartDevice") == 0) {
		c.bad = restart_keys(&c, name, &c.bad_err);
	}
	*out = c;
	return 0;
fail:
	plist_free(c.root);
	return rc;
}
