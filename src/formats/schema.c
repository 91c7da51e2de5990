/*
 * schema.c — lookups in the generated schema table (schema_table.c) and
 * the payload-level delivery rules the MDM install code enforces.
 *
 * The two extension payloads' rules all come from Apple's YAML
 * (apple/device-management Release_iOS-18-1_macOS-15-1):
 *   com.apple.system-extension-policy: macOS 10.15, multiple, devicechannel,
 *     userapprovedmdm: true, allowmanualinstall: false, userenrollment forbidden
 *   com.apple.syspolicy.kernel-extension-policy: macOS 10.13.2, same flags
 * (system-extensions.md §1.1, kernel-extensions.md §1.1,
 * mdm-protocol-and-peers.md §1.7 restate them).  The table is checked
 * against these facts by a unit test, so a regenerated table cannot lose
 * them silently.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/schema_int.h"
#include "macext/profile.h"

static int
by_type(const void *key, const void *elem)
{
	return strcmp((const char *)key, ((const mx_schema_payload *)elem)->type);
}

const mx_schema_payload *
mx_schema_find(const char *payload_type)
{
	if (payload_type == NULL)
		return NULL;
	return bsearch(payload_type, mx_schema_payloads, mx_schema_npayloads,
	    sizeof mx_schema_payloads[0], by_type);
}

static void
copyv(char *dst, size_t n, const char *v)
{
	if (v == NULL || strcmp(v, "n/a") == 0)
		dst[0] = '\0';
	else
		snprintf(dst, n, "%s", v);
}

bool
mx_schema_rules(const char *payload_type, mx_payload_rules *out)
{
	memset(out, 0, sizeof *out);
	const mx_schema_payload *sp = mx_schema_find(payload_type);
	if (sp == NULL) {
		/* unknown: nothing to enforce (a warning at validation) */
		out->allow_manual_install = true;
		out->on_macos = true;
		out->device_channel = out->user_channel = true;
		return false;
	}
	out->known = true;
	copyv(out->introduced, sizeof out->introduced, sp->introduced);
	copyv(out->deprecated, sizeof out->deprecated, sp->deprecated);
	copyv(out->removed, sizeof out->removed, sp->removed);
	out->on_macos = out->introduced[0] != '\0';
	out->allow_manual_install = sp->allow_manual_install;
	out->requires_user_approved_mdm = sp->user_approved_mdm;
	out->requires_supervision = sp->supervised;
	out->requires_dep = sp->requires_dep;
	out->user_enrollment_forbidden = sp->user_enrollment == MX_UE_FORBIDDEN;
	out->multiple = sp->multiple;
	out->device_channel = sp->device_channel;
	out->user_channel = sp->user_channel;
	return true;
}
