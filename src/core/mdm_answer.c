/*
 * mdm_answer.c — the MDM query answers of a simulated Mac (mdm_answer.h),
 * built from its state alone: pure, no I/O, no clock.
 *
 *   commands[]   every RequestType Apple's YAML lists for macOS, with its
 *                channels, macOS version, AccessRights bit, supervision and
 *                User Enrollment rule, and whether macext runs it
 *   SecurityInfo SIP, SecureBoot (Reduced Security items from the
 *                LocalPolicy options), AuthenticatedRootVolumeEnabled, the
 *                bootstrap-token keys, ManagementStatus, FDE/firewall defaults
 *   DeviceInformation  each query a Mac answers, gated by its AccessRights
 *                group (device 16, network 32), by macOS version and by
 *                channel; unknown queries are left out
 *   ProfileList, InstalledApplicationList, CertificateList, AvailableOSUpdates
 *
 * Keys follow information.security.yaml, information.device.yaml,
 * profile.list.yaml, application.installed.list.yaml, certificate.list.yaml
 * and system.update.available.yaml (macOS 15.1 release, b6202ca).  Values a
 * device record does not hold (model, capacity, MAC addresses, build) are
 * those of a Mac mini of the device's chip, derived from its UDID: docs/mdm.md.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "macext/mdm_answer.h"
#include "macext/plist_util.h"

/* AccessRights bits (com.apple.mdm.yaml) */
enum { AR_INSPECT = 1, AR_INSTALL = 2, AR_LOCK = 4, AR_ERASE = 8, AR_DEVICE = 16, AR_NETWORK = 32,
	AR_PROV = 64, AR_PROV_INSTALL = 128, AR_APPS = 256, AR_RESTRICT = 512, AR_SECURITY = 1024,
	AR_SETTINGS = 2048, AR_APP_MGMT = 4096 };

static const struct cmd {
	const char *type, *introduced;
	bool device, user, supervised, ue_forbidden;
	unsigned rights;
	bool simulated;            /* macext answers it (else: a refusal naming it) */
} commands[] = {
	/* from Apple's mdm/commands YAML files, supportedOS.macOS (b6202ca) */
	{ "AccountConfiguration", "10.11", true, false, false, true, 0, false },
	{ "ActiveNSExtensions", "10.13", false, true, false, true, AR_APPS, false },
	{ "ActivationLockBypassCode", "10.15", true, false, true, true, 0, false },
	{ "AvailableOSUpdates", "10.11", true, false, false, true, 0, true },
	{ "CertificateList", "10.7", true, true, false, false, AR_INSPECT, true },
	{ "ClearActivationLockBypassCode", "10.15", true, false, true, true, 0, false },
	{ "ContentCachingInformation", "10.15.4", true, false, false, true, AR_NETWORK, false },
	{ "DeclarativeManagement", "13.0", true, true, false, false, 0, false },
	{ "DeleteUser", "10.13", true, false, true, true, 0, false },
	{ "DeviceConfigured", "10.11", true, false, false, true, 0, true },
	{ "DeviceInformation", "10.7", true, true, false, false, 0, true },
	{ "DeviceLock", "10.7", true, false, false, true, AR_LOCK, false },
	{ "DisableRemoteDesktop", "10.14.4", true, false, true, true, 0, false },
	{ "EnableRemoteDesktop", "10.14.4", true, false, true, true, 0, false },
	{ "EraseDevice", "10.7", true, false, false, true, AR_ERASE, false },
	{ "InstallApplication", "10.9", true, true, false, false, AR_APP_MGMT, false },
	{ "InstallEnterpriseApplication", "10.13.6", true, false, false, false, AR_APP_MGMT, false },
	{ "InstallMedia", "10.9", false, true, false, true, AR_APP_MGMT, false },
	{ "InstallProfile", "10.7", true, true, false, false, AR_INSTALL, true },
	{ "InstallProvisioningProfile", "11.0", true, false, false, false, 0, false },
	{ "InstalledApplicationList", "10.7", true, true, false, true, AR_APPS, true },
	{ "InviteToProgram", "10.9", false, true, false, true, 0, false },
	{ "LOMDeviceRequest", "11.0", true, false, false, true, AR_LOCK, false },
	{ "LOMSetupRequest", "11.0", true, false, false, true, AR_LOCK, false },
	{ "ManagedApplicationConfiguration", "10.15", true, false, false, false, AR_APP_MGMT, false },
	{ "ManagedApplicationFeedback", "11.0", false, true, false, true, AR_APP_MGMT, false },
	{ "ManagedApplicationList", "11.0", true, true, false, false, AR_APP_MGMT, false },
	{ "NSExtensionMappings", "10.13", false, true, false, true, AR_APPS, false },
	{ "OSUpdateStatus", "10.11.5", true, false, true, true, 0, false },
	{ "ProfileList", "10.7", true, true, false, false, AR_INSPECT, true },
	{ "ProvisioningProfileList", "11.0", true, false, false, false, 0, false },
	{ "RemoveApplication", "11.0", true, false, false, true, AR_APP_MGMT, false },
	{ "RemoveProfile", "10.7", true, true, false, false, AR_INSTALL, true },
	{ "RemoveProvisioningProfile", "11.0", true, false, false, false, 0, false },
	{ "RequestMirroring", "10.10", true, false, false, false, 0, false },
	{ "RestartDevice", "10.13", true, false, false, true, AR_LOCK, true },
	{ "RotateFileVaultKey", "10.9", true, false, false, true, AR_LOCK, false },
	{ "ScheduleOSUpdate", "10.11", true, false, true, true, 0, false },
	{ "ScheduleOSUpdateScan", "10.11", true, false, true, true, 0, false },
	{ "SecurityInfo", "10.7", true, true, false, false, AR_SECURITY, true },
	{ "SetAutoAdminPassword", "10.11", true, false, false, true, 0, false },
	{ "SetFirmwarePassword", "10.13", true, false, false, true, AR_LOCK, false },
	{ "SetRecoveryLock", "11.5", true, false, false, true, AR_LOCK, false },
	{ "Settings", "10.9", true, true, false, false, AR_SETTINGS, false },
	{ "ShutDownDevice", "10.13", true, false, false, true, AR_LOCK, true },
	{ "StopMirroring", "10.10", true, false, false, true, 0, false },
	{ "UnlockUserAccount", "10.13", true, false, false, true, AR_LOCK, false },
	{ "UserList", "10.13", true, false, true, true, 0, false },
	{ "VerifyFirmwarePassword", "10.13", true, false, false, true, 0, false },
	{ "VerifyRecoveryLock", "11.5", true, false, false, true, AR_LOCK, false },
};

static const struct cmd *
find_cmd(const char *type)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].type, type) == 0)
			return &commands[i];
	return NULL;
}

bool
mx_mdm_known_on_macos(const char *type)
{
	return find_cmd(type) != NULL;
}

static bool
at_least(const mx_device *d, const char *v)
{
	mx_version want;
	if (mx_version_parse(&want, v, NULL) != 0)
		return true;
	return mx_version_cmp(d->os, want) >= 0;
}

static bool
has_right(const mx_mdm_facts *f, unsigned bit)
{
	return bit == 0 || f->access_rights == 0 || (f->access_rights & bit) != 0;
}

int
mx_mdm_gate(const mx_mdm_facts *f, const char *type, int *code, mx_err *err)
{
	const struct cmd *c = find_cmd(type);
	bool user = f->channel == MX_MDM_CH_USER;
	if (c == NULL) {
		*code = MX_MDM_ERR_UNKNOWN_COMMAND;
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "Unknown command: %s", type);
	}
	if (!at_least(f->d, c->introduced)) {
		*code = MX_MDM_ERR_MACOS_VERSION;
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s needs macOS %s or later", type,
		    c->introduced);
	}
	if (user ? !c->user : !c->device) {
		*code = MX_MDM_ERR_WRONG_CHANNEL;
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s is not available on the %s channel",
		    type, user ? "user" : "device");
	}
	if (c->ue_forbidden && f->d->enroll == MX_ENROLL_USER) {
		*code = MX_MDM_ERR_USER_ENROLLMENT;
		return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET, "%s is not allowed with User Enrollment",
		    type);
	}
	if (c->supervised && !f->d->supervised) {
		*code = MX_MDM_ERR_NEEDS_SUPERVISION;
		return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET, "%s needs a supervised Mac", type);
	}
	if (!has_right(f, c->rights)) {
		*code = MX_MDM_ERR_ACCESS_RIGHTS;
		return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET,
		    "the MDM profile's AccessRights (%u) do not include %u, which %s needs",
		    f->access_rights, c->rights, type);
	}
	if (!c->simulated) {
		*code = MX_MDM_ERR_NOT_SIMULATED;
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET,
		    "%s is a macOS command this simulated Mac does not carry out", type);
	}
	return 0;
}

/* ---- what the device is ---- */

const char *
mx_mdm_model(enum mx_arch arch)
{
	return arch == MX_ARCH_ARM64 ? "Mac14,3" : "Macmini8,1";
}

const char *
mx_mdm_model_name(enum mx_arch arch)
{
	(void)arch;
	return "Mac mini";
}

void
mx_mdm_build(mx_version os, char *buf, size_t len)
{
	static const struct { int maj, min; const char *build; } builds[] = {
		{ 10, 15, "19H2026" }, { 11, 3, "20E232" }, { 11, 6, "20G165" }, { 11, 7, "20G1427" },
		{ 12, 6, "21G115" }, { 12, 7, "21G816" }, { 13, 5, "22G74" }, { 13, 6, "22G120" },
		{ 14, 5, "23F79" }, { 14, 6, "23G80" }, { 14, 7, "23H124" }, { 15, 0, "24A335" },
		{ 15, 1, "24B83" }, { 15, 2, "24C101" }, { 15, 3, "24D60" }, { 15, 4, "24E263" },
		{ 15, 5, "24F74" }, { 15, 6, "24G84" }, { 26, 0, "25A354" }, { 26, 1, "25B78" },
	};
	for (size_t i = 0; i < sizeof builds / sizeof builds[0]; i++)
		if (builds[i].maj == os.major && builds[i].min == os.minor) {
			snprintf(buf, len, "%s", builds[i].build);
			return;
		}
	/* Darwin's major is macOS's + 9 from macOS 11 (macOS 26 is Darwin 25);
	 * the letter counts minor releases */
	int darwin = os.major >= 26 ? os.major - 1 : os.major >= 11 ? os.major + 9 :
	    os.minor + 4;
	snprintf(buf, len, "%d%c%d", darwin, 'A' + (os.major >= 11 ? os.minor % 26 : 0),
	    100 + os.patch);
}

void
mx_mdm_derived_uuid(char out[37], const char *label, const char *a, const char *b)
{
	uint8_t h[32];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, label, strlen(label) + 1);
	EVP_DigestUpdate(c, a, strlen(a) + 1);
	EVP_DigestUpdate(c, b, strlen(b));
	EVP_DigestFinal_ex(c, h, NULL);
	EVP_MD_CTX_free(c);
	h[6] = (uint8_t)((h[6] & 0x0f) | 0x40);
	h[8] = (uint8_t)((h[8] & 0x3f) | 0x80);
	mx_device_uuid_fmt(h, out);
}

static void
mac_address(const mx_device *d, int which, char out[18])
{
	uint8_t h[32];
	char label[16];
	snprintf(label, sizeof label, "mac%d", which);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, label, strlen(label));
	EVP_DigestUpdate(c, d->udid, strlen(d->udid));
	EVP_DigestFinal_ex(c, h, NULL);
	EVP_MD_CTX_free(c);
	/* Apple's OUI ac:de:48 (locally unique in the lab) */
	snprintf(out, 18, "ac:de:48:%02x:%02x:%02x", h[0], h[1], h[2]);
}

static void
set_bool(plist_t p, const char *k, bool v)
{
	plist_dict_set_item(p, k, plist_new_bool(v));
}

static void
set_str(plist_t p, const char *k, const char *v)
{
	plist_dict_set_item(p, k, plist_new_string(v));
}

/* ---- SecurityInfo ---- */

plist_t
mx_mdm_security_info(const mx_mdm_facts *f)
{
	const mx_device *d = f->d;
	bool as = d->arch == MX_ARCH_ARM64;
	plist_t si = plist_new_dict();
	plist_t ms = plist_new_dict();
	set_bool(ms, "EnrolledViaDEP", d->enroll == MX_ENROLL_AUTOMATED);
	set_bool(ms, "UserApprovedEnrollment", d->user_approved);
	if (at_least(d, "10.15")) {
		set_bool(ms, "IsUserEnrollment", d->enroll == MX_ENROLL_USER);
		set_bool(ms, "IsActivationLockManageable", d->supervised);
	}
	if (at_least(d, "10.13.2"))
		plist_dict_set_item(si, "ManagementStatus", ms);
	else
		plist_free(ms);
	if (f->channel == MX_MDM_CH_USER)
		return si;   /* every other key is the device channel's */
	/* the keys information.security.yaml forbids under User Enrollment are left out */
	bool ue = d->enroll == MX_ENROLL_USER;
	set_bool(si, "FDE_Enabled", false);
	if (!ue) {
		set_bool(si, "FDE_HasPersonalRecoveryKey", false);
		set_bool(si, "FDE_HasInstitutionalRecoveryKey", false);
	}
	set_bool(si, "SystemIntegrityProtectionEnabled", mx_device_sip_enabled(d));
	plist_t fw = plist_new_dict();
	set_bool(fw, "FirewallEnabled", false);
	set_bool(fw, "BlockAllIncoming", false);
	set_bool(fw, "StealthMode", false);
	if (!ue)
		plist_dict_set_item(fw, "Applications", plist_new_array());
	if (at_least(d, "12.0")) {
		set_bool(fw, "LoggingEnabled", false);
		set_str(fw, "LoggingOption", "throttled");
	}
	plist_dict_set_item(si, "FirewallSettings", fw);
	if (!as) {
		/* a firmware password exists on Intel Macs; Apple silicon has Recovery Lock */
		plist_t fp = plist_new_dict();
		set_bool(fp, "PasswordExists", false);
		set_bool(fp, "ChangePending", false);
		set_bool(fp, "AllowOroms", false);
		plist_dict_set_item(si, "FirmwarePasswordStatus", fp);
	}
	if (at_least(d, "10.15")) {
		plist_t sb = plist_new_dict();
		if (as) {
			set_str(sb, "SecureBootLevel", d->policy == MX_SEC_FULL ? "full" :
			    d->policy == MX_SEC_REDUCED ? "medium" : "off");
			set_str(sb, "ExternalBootLevel", "not supported");
			if (d->policy != MX_SEC_FULL && at_least(d, "11.0")) {
				/* Reduced Security runs any version Apple signed; the two
				 * kext options are the LocalPolicy's */
				plist_t rs = plist_new_array();
				plist_array_append_item(rs, plist_new_string("AllowsAnyAppleSignedOS"));
				if (d->kext_user_management)
					plist_array_append_item(rs, plist_new_string("AllowsUserKextApproval"));
				if (d->kext_remote_management)
					plist_array_append_item(rs, plist_new_string("AllowsMDM"));
				plist_dict_set_item(sb, "ReducedSecurity", rs);
			}
		} else {
			/* the T2 of an Intel Mac mini: Full Security, external boot off */
			set_str(sb, "SecureBootLevel", "full");
			set_str(sb, "ExternalBootLevel", "disallowed");
		}
		plist_dict_set_item(si, "SecureBoot", sb);
	}
	if (at_least(d, "10.14.4") && !ue)
		set_bool(si, "RemoteDesktopEnabled", false);
	if (at_least(d, "11.0") && !ue) {
		set_bool(si, "AuthenticatedRootVolumeEnabled", f->authenticated_root);
		/* Apple silicon: allowed automatically for ADE, else by the user in
		 * recoveryOS (the "remote management" option); Intel: not supported */
		set_str(si, "BootstrapTokenAllowedForAuthentication", !as ? "not supported" :
		    d->enroll == MX_ENROLL_AUTOMATED || d->kext_remote_management ? "allowed" :
		    "disallowed");
		set_bool(si, "BootstrapTokenRequiredForSoftwareUpdate", as);
		set_bool(si, "BootstrapTokenRequiredForKernelExtensionApproval", as);
	}
	if (as && at_least(d, "11.5") && !ue)
		set_bool(si, "IsRecoveryLockEnabled", false);
	return si;
}

/* ---- DeviceInformation ---- */

enum q_right { Q_NONE, Q_DEVICE, Q_NETWORK };

static void
user_guids(const mx_device *d, plist_t arr, bool admins)
{
	for (int i = 0; i < d->nusers; i++) {
		if (admins && !d->users[i].admin)
			continue;
		char g[37];
		mx_mdm_derived_uuid(g, "UserID", d->udid, d->users[i].name);
		if (admins) {
			plist_t a = plist_new_dict();
			set_str(a, "GUID", g);
			set_str(a, "shortName", d->users[i].name);
			plist_array_append_item(arr, a);
		} else {
			plist_array_append_item(arr, plist_new_string(g));
		}
	}
}

/* One query's answer (NULL: not answered on this Mac/channel/version). */
static plist_t
query(const mx_mdm_facts *f, const char *q, enum q_right *right)
{
	const mx_device *d = f->d;
	bool as = d->arch == MX_ARCH_ARM64, user = f->channel == MX_MDM_CH_USER;
	char buf[64];
	*right = Q_DEVICE;
	if (strcmp(q, "UDID") == 0) {
		*right = Q_NONE;
		return d->enroll == MX_ENROLL_USER ? NULL : plist_new_string(d->udid);
	}
	if (strcmp(q, "AwaitingConfiguration") == 0) {
		*right = Q_NONE;
		return at_least(d, "10.11") && !user ? plist_new_bool(f->awaiting_configuration) : NULL;
	}
	if (strcmp(q, "MDMOptions") == 0) {
		*right = Q_NONE;
		if (!at_least(d, "11.0") || user)
			return NULL;
		plist_t o = plist_new_dict();
		set_bool(o, "ActivationLockAllowedWhileSupervised", false);
		set_bool(o, "BootstrapTokenAllowed", f->bootstrap_capability);
		if (as)
			set_bool(o, "PromptUserToAllowBootstrapTokenForAuthentication", f->prompt_bootstrap);
		return o;
	}
	if (strcmp(q, "DeviceName") == 0)
		return plist_new_string(d->name);
	if (strcmp(q, "OSVersion") == 0) {
		mx_version_str(d->os, buf, sizeof buf);
		return plist_new_string(buf);
	}
	if (strcmp(q, "BuildVersion") == 0 || strcmp(q, "SupplementalBuildVersion") == 0) {
		if (strcmp(q, "SupplementalBuildVersion") == 0 && !at_least(d, "13.0"))
			return NULL;
		mx_mdm_build(d->os, buf, sizeof buf);
		return plist_new_string(buf);
	}
	if (strcmp(q, "SupplementalOSVersionExtra") == 0)
		return at_least(d, "13.0") ? plist_new_string("") : NULL;
	if (strcmp(q, "ModelName") == 0)
		return plist_new_string(mx_mdm_model_name(d->arch));
	if (strcmp(q, "Model") == 0 || strcmp(q, "ProductName") == 0)
		return plist_new_string(mx_mdm_model(d->arch));
	if (strcmp(q, "ModelNumber") == 0)
		return as ? plist_new_string("MMFJ3LL/A") : NULL;   /* Apple silicon only */
	if (strcmp(q, "IsAppleSilicon") == 0)
		return at_least(d, "12.0") ? plist_new_bool(as) : NULL;
	if (strcmp(q, "SerialNumber") == 0)
		return d->enroll == MX_ENROLL_USER ? NULL : plist_new_string(d->serial);
	if (strcmp(q, "DeviceCapacity") == 0)
		return plist_new_real(494.38);
	if (strcmp(q, "AvailableDeviceCapacity") == 0)
		return plist_new_real(351.17);
	if (strcmp(q, "HasBattery") == 0)
		return at_least(d, "13.3") ? plist_new_bool(false) : NULL;   /* a Mac mini */
	if (strcmp(q, "IsSupervised") == 0)
		return at_least(d, "10.15") ? plist_new_bool(d->supervised) : NULL;
	if (strcmp(q, "IsActivationLockEnabled") == 0)
		return plist_new_bool(false);
	if (strcmp(q, "IsActivationLockSupported") == 0)
		return plist_new_bool(true);   /* Apple silicon and the T2 */
	if (strcmp(q, "SupportsLOMDevice") == 0)
		return at_least(d, "11.0") ? plist_new_bool(false) : NULL;
	if (strcmp(q, "ActiveManagedUsers") == 0 || strcmp(q, "AutoSetupAdminAccounts") == 0) {
		if (!at_least(d, "10.11") || user)
			return NULL;
		plist_t a = plist_new_array();
		user_guids(d, a, strcmp(q, "AutoSetupAdminAccounts") == 0);
		return a;
	}
	if (strcmp(q, "OSUpdateSettings") == 0) {
		if (!at_least(d, "10.11") || user)
			return NULL;
		plist_t o = plist_new_dict();
		set_str(o, "CatalogURL", "https://swscan.apple.com/content/catalogs/others/"
		    "index-15-14-13-12-10.16-10.15-10.14-10.13-10.12-10.11-10.10-10.9-mountainlion-"
		    "lion-snowleopard-leopard.merged-1.sucatalog.gz");
		set_bool(o, "IsDefaultCatalog", true);
		set_bool(o, "PerformPeriodicCheck", true);
		set_bool(o, "AutoCheckEnabled", true);
		set_bool(o, "BackgroundDownloadEnabled", true);
		set_bool(o, "AutomaticAppInstallationEnabled", false);
		set_bool(o, "AutomaticOSInstallationEnabled", false);
		set_bool(o, "AutomaticSecurityUpdatesEnabled", true);
		return o;
	}
	if (strcmp(q, "LocalHostName") == 0 || strcmp(q, "HostName") == 0) {
		if (!at_least(d, "10.11"))
			return NULL;
		size_t o = 0;
		for (const char *p = d->name; *p && o + 7 < sizeof buf; p++)
			buf[o++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') ? *p : '-';
		buf[o] = '\0';
		if (strcmp(q, "HostName") == 0)
			snprintf(buf + o, sizeof buf - o, ".local");
		return plist_new_string(buf);
	}
	if (strcmp(q, "SystemIntegrityProtectionEnabled") == 0)
		return at_least(d, "10.12") && !user ? plist_new_bool(mx_device_sip_enabled(d)) : NULL;
	if (strcmp(q, "PushToken") == 0)
		return at_least(d, "10.12") && f->push_token_len ?
		    plist_new_data((const char *)f->push_token, f->push_token_len) : NULL;
	if (strcmp(q, "PINRequiredForEraseDevice") == 0 || strcmp(q, "PINRequiredForDeviceLock") == 0)
		return at_least(d, "11.0") && !user ? plist_new_bool(!as) : NULL;
	if (strcmp(q, "SupportsiOSAppInstalls") == 0)
		return at_least(d, "11.0") ? plist_new_bool(as) : NULL;
	bool ue = d->enroll == MX_ENROLL_USER;   /* both forbidden under User Enrollment */
	if (strcmp(q, "SoftwareUpdateDeviceID") == 0)
		return at_least(d, "12.0") && !ue ? plist_new_string(as ? "J473AP" : "J174AP") : NULL;
	if (strcmp(q, "EACSPreflight") == 0)
		return at_least(d, "13.3") && !user && !ue ? plist_new_string("success") : NULL;
	if (strcmp(q, "iTunesStoreAccountIsActive") == 0)
		return at_least(d, "10.9") ? plist_new_bool(false) : NULL;
	*right = Q_NETWORK;
	static const char *const macs[] = { "BluetoothMAC", "WiFiMAC", "EthernetMAC" };
	for (int i = 0; i < 3; i++)
		if (strcmp(q, macs[i]) == 0) {
			char mac[18];
			mac_address(d, i, mac);
			return plist_new_string(mac);
		}
	/* OrganizationInfo (only after a Settings command sets it), iTunesStoreAccountHash
	 * (no Apple Account), DevicePropertiesAttestation (needs Apple's attestation CA),
	 * BatteryLevel (no battery), and every query macOS does not know: left out */
	return NULL;
}

plist_t
mx_mdm_device_information(const mx_mdm_facts *f, plist_t queries)
{
	plist_t r = plist_new_dict();
	uint32_t n = queries && plist_get_node_type(queries) == PLIST_ARRAY ?
	    plist_array_get_size(queries) : 0;
	for (uint32_t i = 0; i < n; i++) {
		const char *q = mx_plist_str(plist_array_get_item(queries, i));
		if (q == NULL || plist_dict_get_item(r, q))
			continue;
		enum q_right right;
		plist_t v = query(f, q, &right);
		if (v == NULL)
			continue;
		/* each query is gated by its group's right (DeviceInformation's
		 * "Special Case"): device information 16, network information 32 */
		if ((right == Q_DEVICE && !has_right(f, AR_DEVICE)) ||
		    (right == Q_NETWORK && !has_right(f, AR_NETWORK))) {
			plist_free(v);
			continue;
		}
		plist_dict_set_item(r, q, v);
	}
	plist_t out = plist_new_dict();
	plist_dict_set_item(out, "QueryResponses", r);
	return out;
}

/* ---- ProfileList ---- */

static void
copy_key(plist_t dst, plist_t src, const char *key, plist_type want)
{
	plist_t v = plist_dict_get_item(src, key);
	if (v && plist_get_node_type(v) == want)
		plist_dict_set_item(dst, key, plist_copy(v));
}

plist_t
mx_mdm_profile_list(const mx_mdm_facts *f, bool managed_only)
{
	plist_t arr = plist_new_array();
	for (size_t i = 0; i < f->nprofiles; i++) {
		const mx_mdm_profile_fact *p = &f->profiles[i];
		if (p->channel != f->channel || (managed_only && !p->managed))
			continue;
		plist_t it = plist_new_dict();
		set_str(it, "PayloadUUID", p->uuid);
		set_str(it, "PayloadIdentifier", p->identifier);
		if (p->display_name && p->display_name[0])
			set_str(it, "PayloadDisplayName", p->display_name);
		if (p->organization && p->organization[0])
			set_str(it, "PayloadOrganization", p->organization);
		copy_key(it, p->root, "PayloadVersion", PLIST_UINT);
		copy_key(it, p->root, "PayloadDescription", PLIST_STRING);
		plist_t rd = plist_dict_get_item(p->root, "PayloadRemovalDisallowed");
		uint8_t disallowed = 0;
		if (rd && plist_get_node_type(rd) == PLIST_BOOLEAN)
			plist_get_bool_val(rd, &disallowed);
		set_bool(it, "PayloadRemovalDisallowed", disallowed != 0);
		set_bool(it, "HasRemovalPasscode", false);
		set_bool(it, "IsEncrypted", false);
		plist_t content = plist_dict_get_item(p->root, "PayloadContent");
		plist_t pc = plist_new_array();
		uint32_t n = content && plist_get_node_type(content) == PLIST_ARRAY ?
		    plist_array_get_size(content) : 0;
		for (uint32_t k = 0; k < n; k++) {
			plist_t pl = plist_array_get_item(content, k), o = plist_new_dict();
			if (plist_get_node_type(pl) != PLIST_DICT) {
				plist_free(o);
				continue;
			}
			copy_key(o, pl, "PayloadType", PLIST_STRING);
			/* PayloadVersion is required in the answer: 1 when the payload has none */
			if (plist_dict_get_item(pl, "PayloadVersion") &&
			    plist_get_node_type(plist_dict_get_item(pl, "PayloadVersion")) == PLIST_UINT)
				copy_key(o, pl, "PayloadVersion", PLIST_UINT);
			else
				plist_dict_set_item(o, "PayloadVersion", plist_new_uint(1));
			copy_key(o, pl, "PayloadIdentifier", PLIST_STRING);
			if (at_least(f->d, "14.0"))
				copy_key(o, pl, "PayloadUUID", PLIST_STRING);
			copy_key(o, pl, "PayloadDisplayName", PLIST_STRING);
			copy_key(o, pl, "PayloadDescription", PLIST_STRING);
			copy_key(o, pl, "PayloadOrganization", PLIST_STRING);
			plist_array_append_item(pc, o);
		}
		plist_dict_set_item(it, "PayloadContent", pc);
		plist_array_append_item(arr, it);
	}
	plist_t out = plist_new_dict();
	plist_dict_set_item(out, "ProfileList", arr);
	return out;
}

/* ---- InstalledApplicationList ---- */

plist_t
mx_mdm_installed_apps(const mx_mdm_facts *f, plist_t identifiers, bool managed_only)
{
	plist_t arr = plist_new_array();
	uint32_t nid = identifiers && plist_get_node_type(identifiers) == PLIST_ARRAY ?
	    plist_array_get_size(identifiers) : 0;
	for (size_t i = 0; i < f->napps; i++) {
		const mx_mdm_app_fact *a = &f->apps[i];
		if (managed_only && !a->managed)
			continue;
		if (nid) {
			bool want = false;
			for (uint32_t k = 0; k < nid && !want; k++) {
				const char *s = mx_plist_str(plist_array_get_item(identifiers, k));
				want = s && a->bundle_id && strcmp(s, a->bundle_id) == 0;
			}
			if (!want)
				continue;
		}
		plist_t it = plist_new_dict();
		if (a->bundle_id && a->bundle_id[0])
			set_str(it, "Identifier", a->bundle_id);
		if (a->name && a->name[0])
			set_str(it, "Name", a->name);
		if (a->version && a->version[0])
			set_str(it, "Version", a->version);
		if (a->short_version && a->short_version[0])
			set_str(it, "ShortVersion", a->short_version);
		if (a->bundle_size >= 0)
			plist_dict_set_item(it, "BundleSize", plist_new_uint((uint64_t)a->bundle_size));
		set_bool(it, "Installing", false);
		if (at_least(f->d, "10.13.4"))
			set_bool(it, "HasUpdateAvailable", false);
		plist_array_append_item(arr, it);
	}
	plist_t out = plist_new_dict();
	plist_dict_set_item(out, "InstalledApplicationList", arr);
	return out;
}

/* ---- CertificateList ---- */

plist_t
mx_mdm_certificate_list(const mx_mdm_facts *f, bool managed_only)
{
	plist_t arr = plist_new_array();
	for (size_t i = 0; i < f->ncerts; i++) {
		const mx_mdm_cert_fact *c = &f->certs[i];
		if (managed_only && !c->managed)
			continue;
		const unsigned char *p = c->der;
		X509 *x = d2i_X509(NULL, &p, (long)c->len);
		char cn[256] = "";
		if (x != NULL) {
			X509_NAME *nm = X509_get_subject_name(x);
			if (X509_NAME_get_text_by_NID(nm, NID_commonName, cn, sizeof cn) < 0)
				X509_NAME_oneline(nm, cn, sizeof cn);
			X509_free(x);
		}
		plist_t it = plist_new_dict();
		set_str(it, "CommonName", cn);
		set_bool(it, "IsIdentity", c->identity);
		plist_dict_set_item(it, "Data", plist_new_data((const char *)c->der, c->len));
		plist_array_append_item(arr, it);
	}
	plist_t out = plist_new_dict();
	plist_dict_set_item(out, "CertificateList", arr);
	return out;
}

/* ---- AvailableOSUpdates ---- */

static const struct release {
	int maj, min, patch;
	const char *name, *build;
	uint64_t size;
} releases[] = {
	/* the newest release of each major macOS the simulated catalog offers */
	{ 12, 7, 6, "macOS Monterey", "21H1320", 1932735283ull },
	{ 13, 7, 8, "macOS Ventura", "22H730", 2254857830ull },
	{ 14, 7, 8, "macOS Sonoma", "23H730", 2469606195ull },
	{ 15, 6, 0, "macOS Sequoia", "24G84", 2791728742ull },
	{ 26, 0, 0, "macOS Tahoe", "25A354", 14495514624ull },
};

static void
add_update(plist_t arr, const mx_device *d, const struct release *r, bool major)
{
	plist_t u = plist_new_dict();
	char ver[32], name[96], key[96];
	if (r->patch)
		snprintf(ver, sizeof ver, "%d.%d.%d", r->maj, r->min, r->patch);
	else
		snprintf(ver, sizeof ver, "%d.%d", r->maj, r->min);
	snprintf(name, sizeof name, "%s %s", r->name, ver);
	snprintf(key, sizeof key, "%s_%s_%s", major ? "MSU_MAJOR" : "MSU_UPDATE", r->build, ver);
	set_str(u, "ProductKey", key);
	set_str(u, "HumanReadableName", name);
	set_str(u, "HumanReadableNameLocale", "en");
	set_str(u, "MetadataURL", "");
	set_str(u, "Version", ver);
	set_str(u, "Build", r->build);
	if (at_least(d, "10.12"))
		plist_dict_set_item(u, "DownloadSize", plist_new_uint(r->size));
	plist_dict_set_item(u, "AppIdentifiersToClose", plist_new_array());
	set_bool(u, "IsCritical", false);
	set_bool(u, "IsConfigDataUpdate", false);
	set_bool(u, "IsFirmwareUpdate", false);
	if (at_least(d, "10.11.4"))
		set_bool(u, "IsMajorOSUpdate", major);
	set_bool(u, "RestartRequired", true);
	set_bool(u, "AllowsInstallLater", true);
	if (at_least(d, "11.0"))
		set_bool(u, "RequiresBootstrapToken", d->arch == MX_ARCH_ARM64);
	if (at_least(d, "13.1"))
		set_bool(u, "IsSecurityResponse", false);
	plist_array_append_item(arr, u);
}

plist_t
mx_mdm_available_os_updates(const mx_mdm_facts *f)
{
	const mx_device *d = f->d;
	plist_t arr = plist_new_array();
	size_t n = sizeof releases / sizeof releases[0];
	for (size_t i = 0; i < n; i++) {
		const struct release *r = &releases[i];
		mx_version v = { (uint16_t)r->maj, (uint16_t)r->min, (uint16_t)r->patch };
		if (r->maj == d->os.major && mx_version_cmp(v, d->os) > 0)
			add_update(arr, d, r, false);   /* the newest of this major */
	}
	/* the next major release, for a Mac whose chip it supports */
	const struct release *top = &releases[n - 1];
	if (d->os.major < top->maj && (d->arch == MX_ARCH_ARM64 || top->maj < 26))
		add_update(arr, d, top, true);
	plist_t out = plist_new_dict();
	plist_dict_set_item(out, "AvailableOSUpdates", arr);
	return out;
}
