/*
 * sysext.c — sysextd's lifecycle as pure functions: the state names and
 * the transition table (system-extensions.md §2.5, §2.6), the
 * OSSystemExtensionErrorDomain codes (§2.8), the categories (§1.3), the
 * activation checks in sysextd's order (§2.6 a), least privilege per
 * category (§4) and what a new request does to existing records (§2.6 b).
 * Where the reference marks a rule as inference the comment says so and
 * docs/sysext.md gives the choice and its sources.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/sysext.h"

/* ---- errors ---- */

static const char *const sx_error_names[] = {
	[1] = "unknown", [2] = "missingEntitlement", [3] = "unsupportedParentBundleLocation",
	[4] = "extensionNotFound", [5] = "extensionMissingIdentifier",
	[6] = "duplicateExtensionIdentifer", [7] = "unknownExtensionCategory",
	[8] = "codeSignatureInvalid", [9] = "validationFailed", [10] = "forbiddenBySystemPolicy",
	[11] = "requestCanceled", [12] = "requestSuperseded", [13] = "authorizationRequired",
};

const char *
mx_sx_error_name(int code)
{
	if (code < 1 || code > 13)
		return NULL;
	return sx_error_names[code];
}

int
mx_sx_error_mx_code(int code)
{
	switch (code) {
	case MX_SXERR_UNSUPPORTED_PARENT_BUNDLE_LOCATION: return MX_ESTATE;
	case MX_SXERR_EXTENSION_NOT_FOUND: return MX_ENOTFOUND;
	case MX_SXERR_DUPLICATE_EXTENSION_IDENTIFER: return MX_EEXIST;
	case MX_SXERR_CODE_SIGNATURE_INVALID: return MX_ESIGNATURE;
	case MX_SXERR_FORBIDDEN_BY_SYSTEM_POLICY:
	case MX_SXERR_AUTHORIZATION_REQUIRED: return MX_EDENIED;
	case MX_SXERR_REQUEST_CANCELED:
	case MX_SXERR_REQUEST_SUPERSEDED: return MX_ESTATE;
	default: return MX_EINVALID;
	}
}

#define SX_PREFIX "OSSystemExtensionErrorDomain error "

int
mx_sx_fail(mx_err *err, int sxcode, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	const char *name = mx_sx_error_name(sxcode);
	return MX_FAIL_DOM(err, mx_sx_error_mx_code(sxcode), MX_DOM_SYSEXT, sxcode,
	    SX_PREFIX "%d (%s): %s", sxcode, name ? name : "?", msg);
}

/* ---- categories ---- */

static const struct { const char *cat, *type, *pane, *entitlement; } categories[] = {
	{ MX_SX_CAT_DRIVER, "DriverExtension", "Driver Extensions", "com.apple.developer.driverkit" },
	{ MX_SX_CAT_NETWORK, "NetworkExtension", "Network Extensions",
	  "com.apple.developer.networking.networkextension" },
	{ MX_SX_CAT_ES, "EndpointSecurityExtension", "Endpoint Security Extensions",
	  "com.apple.developer.endpoint-security.client" },
	{ MX_SX_CAT_CMIO, NULL, "Camera Extensions", NULL },
};
#define NCATS (sizeof categories / sizeof categories[0])

static int
cat_index(const char *c)
{
	for (size_t i = 0; c && i < NCATS; i++)
		if (strcmp(categories[i].cat, c) == 0)
			return (int)i;
	return -1;
}

bool
mx_sx_category_known(const char *category)
{
	return cat_index(category) >= 0;
}

const char *
mx_sx_category_type_string(const char *category)
{
	int i = cat_index(category);
	return i < 0 ? NULL : categories[i].type;
}

const char *
mx_sx_category_pane(const char *category)
{
	int i = cat_index(category);
	return i < 0 ? NULL : categories[i].pane;
}

const char *
mx_sx_required_entitlement(const char *category)
{
	int i = cat_index(category);
	return i < 0 ? NULL : categories[i].entitlement;
}

/* Least privilege (§4.2): each category's own entitlement families, plus the
 * keys every signed Mac binary may carry.  Anything else — another
 * category's capability, Apple-private or SIP (rootless) entitlements — is
 * more than the extension's function needs. */
static const char *const common_keys[] = {
	"com.apple.application-identifier", "com.apple.developer.team-identifier",
	"com.apple.security.application-groups", "keychain-access-groups",
	"com.apple.developer.system-extension.redistributable",
	"com.apple.security.get-task-allow",
};
static const char *const common_prefixes[] = {
	"com.apple.security.cs.",          /* hardened-runtime exceptions */
};
static const char *const driver_prefixes[] = { "com.apple.developer.driverkit" };
static const char *const network_prefixes[] = {
	"com.apple.developer.networking.networkextension",
	"com.apple.developer.networking.vpn.api",
};
static const char *const es_prefixes[] = { "com.apple.developer.endpoint-security.client" };

static bool
has_prefix(const char *s, const char *const *pre, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(s, pre[i], strlen(pre[i])) == 0)
			return true;
	return false;
}

bool
mx_sx_entitlement_allowed(const char *category, const char *key)
{
	for (size_t i = 0; i < sizeof common_keys / sizeof common_keys[0]; i++)
		if (strcmp(key, common_keys[i]) == 0)
			return true;
	if (has_prefix(key, common_prefixes, 1))
		return true;
	if (strcmp(category, MX_SX_CAT_DRIVER) == 0)
		return has_prefix(key, driver_prefixes, 1);
	if (strcmp(category, MX_SX_CAT_NETWORK) == 0)
		return has_prefix(key, network_prefixes, 2);
	if (strcmp(category, MX_SX_CAT_ES) == 0)
		return has_prefix(key, es_prefixes, 1);
	if (strcmp(category, MX_SX_CAT_CMIO) == 0)
		return false;    /* a camera extension needs nothing beyond the common keys */
	return false;
}

/* ---- states ---- */

static const char *const state_names[MX_SX_NSTATES] = {
	[MX_SX_VALIDATING] = "validating",
	[MX_SX_VALIDATING_BY_CATEGORY] = "validating_by_category",
	[MX_SX_WAITING_FOR_USER] = "activated_waiting_for_user",
	[MX_SX_ENABLING] = "activated_enabling",
	[MX_SX_ENABLED] = "activated_enabled",
	[MX_SX_DISABLED] = "activated_disabled",
	[MX_SX_WAITING_TO_UPGRADE] = "activated_waiting_to_upgrade",
	[MX_SX_WAITING_TO_UPGRADE_ON_REBOOT] = "activated_waiting_to_upgrade_on_reboot",
	[MX_SX_TERMINATING_FOR_UPGRADE] = "terminating_for_upgrade_via_delegate",
	[MX_SX_TERMINATING_FOR_DISABLE] = "terminating_for_disable",
	[MX_SX_TERMINATING_FOR_DISABLE_RUNNING] = "terminating_for_disable_but_still_running",
	[MX_SX_TERMINATING_FOR_UNINSTALL] = "terminating_for_uninstall",
	[MX_SX_TERMINATING_FOR_UNINSTALL_VIA_DELEGATE] = "terminating_for_uninstall_via_delegate",
	[MX_SX_TERMINATING_FOR_UNINSTALL_RUNNING] = "terminating_for_uninstall_but_still_running",
	[MX_SX_TERMINATED_WAITING_UNINSTALL] = "terminated_waiting_to_uninstall_on_reboot",
	[MX_SX_UNINSTALLING] = "uninstalling",
	[MX_SX_UNINSTALLED] = "uninstalled",
};

const char *
mx_sx_state_name(enum mx_sx_state s)
{
	return (unsigned)s < MX_SX_NSTATES ? state_names[s] : "?";
}

int
mx_sx_state_parse(enum mx_sx_state *out, const char *name, mx_err *err)
{
	for (int i = 0; i < MX_SX_NSTATES; i++)
		if (name && strcmp(name, state_names[i]) == 0) {
			*out = (enum mx_sx_state)i;
			return 0;
		}
	return MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "unknown system extension state '%s'",
	    name ? name : "");
}

/* [INF §2.5] enabled: approved and meant to run; active: activated_*. */
bool
mx_sx_state_enabled(enum mx_sx_state s)
{
	return s == MX_SX_ENABLED || s == MX_SX_WAITING_TO_UPGRADE ||
	    s == MX_SX_WAITING_TO_UPGRADE_ON_REBOOT;
}

bool
mx_sx_state_active(enum mx_sx_state s)
{
	return s >= MX_SX_WAITING_FOR_USER && s <= MX_SX_WAITING_TO_UPGRADE_ON_REBOOT;
}

bool
mx_sx_state_live(enum mx_sx_state s)
{
	return s <= MX_SX_WAITING_TO_UPGRADE_ON_REBOOT;
}

bool
mx_sx_state_gone_on_reboot(enum mx_sx_state s)
{
	return s == MX_SX_TERMINATING_FOR_UPGRADE || s == MX_SX_TERMINATING_FOR_UNINSTALL ||
	    s == MX_SX_TERMINATING_FOR_UNINSTALL_VIA_DELEGATE ||
	    s == MX_SX_TERMINATING_FOR_UNINSTALL_RUNNING || s == MX_SX_TERMINATED_WAITING_UNINSTALL;
}

/* ---- transitions ---- */

static const char *const event_names[MX_SXE_NEVENTS] = {
	[MX_SXE_STAGED] = "staged", [MX_SXE_INVALID] = "invalid",
	[MX_SXE_POLICY_ALLOWS] = "policy-allows", [MX_SXE_NEEDS_USER] = "needs-user",
	[MX_SXE_APPROVED] = "approved", [MX_SXE_STARTED] = "started",
	[MX_SXE_REPLACE] = "replace", [MX_SXE_DEACTIVATE] = "deactivate",
	[MX_SXE_DEACTIVATE_RUNNING] = "deactivate-running", [MX_SXE_STOPPED] = "stopped",
	[MX_SXE_DISCARD] = "discard", [MX_SXE_REMOVED] = "removed", [MX_SXE_REBOOT] = "reboot",
	[MX_SXE_RESET] = "reset", [MX_SXE_DISABLE] = "disable",
	[MX_SXE_DISABLE_RUNNING] = "disable-running", [MX_SXE_ENABLE] = "enable",
};

const char *
mx_sx_event_name(enum mx_sx_event e)
{
	return (unsigned)e < MX_SXE_NEVENTS ? event_names[e] : "?";
}

/* The transition table.  Rows not listed are refused.  Sources: §2.6 (a)
 * activation, (b) upgrade, (c) deactivation, (g) reboot, (h) reset. */
static const struct { enum mx_sx_state from; enum mx_sx_event ev; enum mx_sx_state to; } rows[] = {
	/* (a) activation: staged, category validation, policy */
	{ MX_SX_VALIDATING, MX_SXE_STAGED, MX_SX_VALIDATING_BY_CATEGORY },
	{ MX_SX_VALIDATING, MX_SXE_INVALID, MX_SX_UNINSTALLING },
	{ MX_SX_VALIDATING_BY_CATEGORY, MX_SXE_INVALID, MX_SX_UNINSTALLING },
	{ MX_SX_VALIDATING_BY_CATEGORY, MX_SXE_POLICY_ALLOWS, MX_SX_ENABLING },
	{ MX_SX_VALIDATING_BY_CATEGORY, MX_SXE_NEEDS_USER, MX_SX_WAITING_FOR_USER },
	{ MX_SX_WAITING_FOR_USER, MX_SXE_APPROVED, MX_SX_ENABLING },
	{ MX_SX_WAITING_FOR_USER, MX_SXE_POLICY_ALLOWS, MX_SX_ENABLING },
	{ MX_SX_DISABLED, MX_SXE_APPROVED, MX_SX_ENABLING },
	{ MX_SX_ENABLING, MX_SXE_STARTED, MX_SX_ENABLED },
	{ MX_SX_WAITING_TO_UPGRADE, MX_SXE_STARTED, MX_SX_ENABLED },
	/* (b) upgrade: the old record terminates; a pending one is dropped */
	{ MX_SX_ENABLED, MX_SXE_REPLACE, MX_SX_TERMINATING_FOR_UPGRADE },
	{ MX_SX_DISABLED, MX_SXE_REPLACE, MX_SX_TERMINATING_FOR_UPGRADE },
	{ MX_SX_ENABLING, MX_SXE_REPLACE, MX_SX_TERMINATING_FOR_UPGRADE },
	{ MX_SX_WAITING_FOR_USER, MX_SXE_DISCARD, MX_SX_UNINSTALLING },
	{ MX_SX_TERMINATING_FOR_UPGRADE, MX_SXE_STOPPED, MX_SX_TERMINATED_WAITING_UNINSTALL },
	/* (c) deactivation, profile revocation, app deletion */
	{ MX_SX_ENABLED, MX_SXE_DEACTIVATE, MX_SX_TERMINATING_FOR_UNINSTALL },
	{ MX_SX_ENABLING, MX_SXE_DEACTIVATE, MX_SX_TERMINATING_FOR_UNINSTALL },
	{ MX_SX_DISABLED, MX_SXE_DEACTIVATE, MX_SX_TERMINATING_FOR_UNINSTALL },
	{ MX_SX_ENABLED, MX_SXE_DEACTIVATE_RUNNING, MX_SX_TERMINATING_FOR_UNINSTALL_RUNNING },
	{ MX_SX_ENABLING, MX_SXE_DEACTIVATE_RUNNING, MX_SX_TERMINATING_FOR_UNINSTALL_RUNNING },
	{ MX_SX_TERMINATING_FOR_UNINSTALL, MX_SXE_STOPPED, MX_SX_TERMINATED_WAITING_UNINSTALL },
	{ MX_SX_TERMINATING_FOR_UNINSTALL_VIA_DELEGATE, MX_SXE_STOPPED,
	  MX_SX_TERMINATED_WAITING_UNINSTALL },
	{ MX_SX_TERMINATING_FOR_DISABLE, MX_SXE_STOPPED, MX_SX_DISABLED },
	{ MX_SX_TERMINATING_FOR_DISABLE_RUNNING, MX_SXE_STOPPED, MX_SX_DISABLED },
	{ MX_SX_UNINSTALLING, MX_SXE_REMOVED, MX_SX_UNINSTALLED },
	/* (i) the macOS 15 switch in Login Items & Extensions */
	{ MX_SX_ENABLED, MX_SXE_DISABLE, MX_SX_TERMINATING_FOR_DISABLE },
	{ MX_SX_ENABLING, MX_SXE_DISABLE, MX_SX_TERMINATING_FOR_DISABLE },
	{ MX_SX_ENABLED, MX_SXE_DISABLE_RUNNING, MX_SX_TERMINATING_FOR_DISABLE_RUNNING },
	{ MX_SX_ENABLING, MX_SXE_DISABLE_RUNNING, MX_SX_TERMINATING_FOR_DISABLE_RUNNING },
	{ MX_SX_DISABLED, MX_SXE_ENABLE, MX_SX_ENABLING },
	/* (g) reboot: marked records go; approved ones start again */
	{ MX_SX_TERMINATED_WAITING_UNINSTALL, MX_SXE_REBOOT, MX_SX_UNINSTALLING },
	{ MX_SX_TERMINATING_FOR_UNINSTALL, MX_SXE_REBOOT, MX_SX_UNINSTALLING },
	{ MX_SX_TERMINATING_FOR_UNINSTALL_VIA_DELEGATE, MX_SXE_REBOOT, MX_SX_UNINSTALLING },
	{ MX_SX_TERMINATING_FOR_UNINSTALL_RUNNING, MX_SXE_REBOOT, MX_SX_UNINSTALLING },
	{ MX_SX_TERMINATING_FOR_UPGRADE, MX_SXE_REBOOT, MX_SX_UNINSTALLING },
	{ MX_SX_TERMINATING_FOR_DISABLE, MX_SXE_REBOOT, MX_SX_DISABLED },
	{ MX_SX_TERMINATING_FOR_DISABLE_RUNNING, MX_SXE_REBOOT, MX_SX_DISABLED },
	{ MX_SX_VALIDATING, MX_SXE_REBOOT, MX_SX_UNINSTALLING },
	{ MX_SX_VALIDATING_BY_CATEGORY, MX_SXE_REBOOT, MX_SX_UNINSTALLING },
	{ MX_SX_UNINSTALLING, MX_SXE_REBOOT, MX_SX_UNINSTALLING },
	{ MX_SX_WAITING_FOR_USER, MX_SXE_REBOOT, MX_SX_WAITING_FOR_USER },
	{ MX_SX_ENABLING, MX_SXE_REBOOT, MX_SX_ENABLED },
	{ MX_SX_ENABLED, MX_SXE_REBOOT, MX_SX_ENABLED },
	{ MX_SX_DISABLED, MX_SXE_REBOOT, MX_SX_DISABLED },
	{ MX_SX_WAITING_TO_UPGRADE, MX_SXE_REBOOT, MX_SX_ENABLED },
	{ MX_SX_WAITING_TO_UPGRADE_ON_REBOOT, MX_SXE_REBOOT, MX_SX_ENABLED },
};

int
mx_sx_transition(enum mx_sx_state from, enum mx_sx_event ev, enum mx_sx_state *out, mx_err *err)
{
	/* (h) reset and uninstall drop every record that is not gone already */
	if (ev == MX_SXE_RESET && (unsigned)from < MX_SX_NSTATES && from != MX_SX_UNINSTALLED) {
		*out = MX_SX_UNINSTALLING;
		return 0;
	}
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		if (rows[i].from == from && rows[i].ev == ev) {
			*out = rows[i].to;
			return 0;
		}
	return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "no transition from %s on %s",
	    mx_sx_state_name(from), mx_sx_event_name(ev));
}

/* ---- activation checks ---- */

int
mx_sx_check_request(const mx_sx_facts *f, mx_err *err)
{
	if (!f->ext_found)
		return mx_sx_fail(err, MX_SXERR_EXTENSION_NOT_FOUND,
		    "Extension not found in App bundle: perhaps App is not validly structured");
	if (!f->ext_has_identifier)
		return mx_sx_fail(err, MX_SXERR_EXTENSION_MISSING_IDENTIFIER,
		    "the extension's Info.plist has no CFBundleIdentifier");
	if (!f->app_in_applications && !f->developer_mode)
		return mx_sx_fail(err, MX_SXERR_UNSUPPORTED_PARENT_BUNDLE_LOCATION,
		    "App containing System Extension to be activated must be in /Applications folder");
	/* SIP off bypasses the code-signing checks during development (R11) */
	if (f->sip_enabled) {
		if (!f->app_sig_valid)
			return mx_sx_fail(err, MX_SXERR_CODE_SIGNATURE_INVALID, "the app: %s",
			    f->app_sig_reason && *f->app_sig_reason ? f->app_sig_reason : "not validly signed");
		if (!f->ext_sig_valid)
			return mx_sx_fail(err, MX_SXERR_CODE_SIGNATURE_INVALID, "the extension: %s",
			    f->ext_sig_reason && *f->ext_sig_reason ? f->ext_sig_reason : "not validly signed");
	}
	if (!f->app_install_entitlement)
		return mx_sx_fail(err, MX_SXERR_MISSING_ENTITLEMENT,
		    "the app lacks com.apple.developer.system-extension.install");
	const char *need = mx_sx_required_entitlement(f->category);
	if (need) {
		bool has = false;
		for (size_t i = 0; i < f->nentitlements; i++)
			if (strcmp(f->entitlements[i], need) == 0)
				has = true;
		if (!has || !f->cat_ent_value_ok)
			return mx_sx_fail(err, MX_SXERR_MISSING_ENTITLEMENT,
			    "the %s category needs the %s entitlement%s", f->category, need,
			    has ? " with its system-extension value" : "");
	}
	/* Team IDs must match unless the extension is redistributable (§4.1); [INF] code 8 */
	if (f->sip_enabled && !f->ext_redistributable &&
	    strcmp(f->app_team ? f->app_team : "", f->ext_team ? f->ext_team : "") != 0)
		return mx_sx_fail(err, MX_SXERR_CODE_SIGNATURE_INVALID,
		    "the app's Team ID %s does not match the extension's %s",
		    f->app_team && *f->app_team ? f->app_team : "(none)",
		    f->ext_team && *f->ext_team ? f->ext_team : "(none)");
	if (!mx_sx_category_known(f->category))
		return mx_sx_fail(err, MX_SXERR_UNKNOWN_EXTENSION_CATEGORY,
		    "unknown extension category '%s'", f->category ? f->category : "");
	return 0;
}

bool
mx_sx_kext_version_valid(const char *v)
{
	/* major[.minor[.revision]]: major <= 65535, minor and revision <= 99 */
	if (v == NULL || *v == '\0')
		return false;
	int part = 0;
	const char *p = v;
	while (*p) {
		unsigned n = 0;
		int digits = 0;
		while (*p >= '0' && *p <= '9') {
			n = n * 10 + (unsigned)(*p++ - '0');
			if (++digits > 5)
				return false;
		}
		if (digits == 0 || n > (part == 0 ? 65535u : 99u))
			return false;
		if (++part > 3)
			return false;
		if (*p == '.') {
			p++;
			if (*p == '\0')
				return false;
		} else if (*p) {
			return false;
		}
	}
	return true;
}

int
mx_sx_check_category(const mx_sx_facts *f, mx_err *err)
{
	if (!f->has_usage_description)
		return mx_sx_fail(err, MX_SXERR_VALIDATION_FAILED, "the extension has no %s",
		    f->is_dext ? "OSBundleUsageDescription" : "NSSystemExtensionUsageDescription");
	if (f->is_dext && !mx_sx_kext_version_valid(f->bundle_version))
		return mx_sx_fail(err, MX_SXERR_VALIDATION_FAILED,
		    "a driver extension's CFBundleVersion must be a kext version, got '%s'",
		    f->bundle_version ? f->bundle_version : "");
	for (size_t i = 0; i < f->nentitlements; i++)
		if (!mx_sx_entitlement_allowed(f->category, f->entitlements[i]))
			return mx_sx_fail(err, MX_SXERR_VALIDATION_FAILED,
			    "entitlement %s exceeds what a %s extension may have", f->entitlements[i],
			    mx_sx_category_type_string(f->category) ? mx_sx_category_type_string(f->category) :
			    "camera");
	return 0;
}

/* ---- existing records ---- */

static const char *const plan_names[] = { "new", "noop", "retry", "replace" };

const char *
mx_sx_plan_name(enum mx_sx_plan p)
{
	return (unsigned)p < 4 ? plan_names[p] : "?";
}

int
mx_sx_plan_request(const mx_sx_exist *recs, size_t n, const char *identifier, const char *team,
    const char *app_id, const char *version, const char *short_version, bool developer_mode,
    bool delegate_replaces, enum mx_sx_plan *out, int *which, mx_err *err)
{
	*out = MX_SXP_NEW;
	*which = -1;
	int found = -1;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(recs[i].identifier, identifier) != 0 || !mx_sx_state_live(recs[i].state))
			continue;
		/* the identifier is already another extension's */
		if (strcmp(recs[i].team, team) != 0 || strcmp(recs[i].app_id, app_id) != 0)
			return mx_sx_fail(err, MX_SXERR_DUPLICATE_EXTENSION_IDENTIFER,
			    "%s is already used by an extension of Team ID %s (app %s)", identifier,
			    *recs[i].team ? recs[i].team : "-", recs[i].app_id);
		found = (int)i;
	}
	if (found < 0)
		return 0;
	*which = found;
	const mx_sx_exist *e = &recs[found];
	bool same = strcmp(e->version, version) == 0 && strcmp(e->short_version, short_version) == 0;
	if (same && !developer_mode) {
		*out = e->state == MX_SX_WAITING_FOR_USER ? MX_SXP_RETRY : MX_SXP_NOOP;
		return 0;
	}
	/* versions differ (or developer mode): the delegate's
	 * actionForReplacingExtension decides; a pending record is replaced too */
	if (!delegate_replaces)
		return mx_sx_fail(err, MX_SXERR_REQUEST_CANCELED,
		    "the app's delegate cancelled replacing %s (%s/%s) with (%s/%s)", identifier,
		    e->short_version, e->version, short_version, version);
	*out = MX_SXP_REPLACE;
	return 0;
}

bool
mx_sx_stop_deferred(const char *category)
{
	return category && strcmp(category, MX_SX_CAT_NETWORK) == 0;
}

/* ---- the macOS 15 switch ---- */

int
mx_sx_toggle_plan(mx_sx_toggle *out, enum mx_sx_state from, const char *category,
    bool enable, mx_version os, bool ui, bool nonremovable, mx_err *err)
{
	out->n = 0;
	if (os.major < 15)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "macOS %d.%d has no switch for system "
		    "extensions (General > Login Items & Extensions is macOS 15 and later)", os.major,
		    os.minor);
	if (enable) {
		switch (from) {
		case MX_SX_ENABLED: case MX_SX_ENABLING:
			return 0;
		case MX_SX_DISABLED:
			out->ev[out->n++] = MX_SXE_ENABLE;
			out->ev[out->n++] = MX_SXE_STARTED;
			return 0;
		default:
			break;
		}
	} else {
		switch (from) {
		case MX_SX_DISABLED: case MX_SX_TERMINATING_FOR_DISABLE:
		case MX_SX_TERMINATING_FOR_DISABLE_RUNNING:
			return 0;
		case MX_SX_ENABLED: case MX_SX_ENABLING:
			if (ui || nonremovable)
				return mx_sx_fail(err, MX_SXERR_FORBIDDEN_BY_SYSTEM_POLICY, "a configuration "
				    "profile's %s keeps this extension on: it cannot be turned off in System "
				    "Settings", ui ? "NonRemovableFromUISystemExtensions" :
				    "NonRemovableSystemExtensions");
			if (mx_sx_stop_deferred(category)) {
				out->ev[out->n++] = MX_SXE_DISABLE_RUNNING;
			} else {
				out->ev[out->n++] = MX_SXE_DISABLE;
				out->ev[out->n++] = MX_SXE_STOPPED;
			}
			return 0;
		default:
			break;
		}
	}
	return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "the switch is not shown for an extension in "
	    "state %s", mx_sx_state_name(from));
}
