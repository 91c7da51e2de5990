/*
 * test_mdm_answer.c — the MDM query answers (src/core/mdm_answer.c): a
 * table of Macs (chip, macOS, enrolment, security policy) and what each
 * answer must say for it (SecureBoot level and ReducedSecurity items,
 * BootstrapTokenAllowedForAuthentication, the keys that exist only from a
 * version on or only on Apple silicon), the DeviceInformation gating by
 * AccessRights group and the omission of unknown queries, the command gate
 * (unknown, channel, supervision, User Enrollment, rights), and every answer
 * checked key by key against Apple's response schemas by the conformance
 * server's validator (`mdmserver validate`, when it is built).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"
#include "macext/mdm_answer.h"
#include "macext/plist_util.h"
#include "mdms_run.h"

struct mac {
	const char *name;
	enum mx_arch arch;
	const char *os;
	enum mx_enroll enroll;
	bool approved;
	enum mx_secpolicy policy;
	bool kext_user, kext_remote;
	/* expected */
	const char *secure_boot;           /* NULL: no SecureBoot key */
	const char *reduced;               /* items joined by ',', NULL: no ReducedSecurity */
	const char *bootstrap_allowed;     /* NULL: no key (before macOS 11) */
};

static const struct mac macs[] = {
	{ "as-full-ade", MX_ARCH_ARM64, "15.1", MX_ENROLL_AUTOMATED, true, MX_SEC_FULL, false, false,
	  "full", NULL, "allowed" },
	{ "as-reduced-user", MX_ARCH_ARM64, "14.5", MX_ENROLL_DEVICE, true, MX_SEC_REDUCED, true,
	  false, "medium", "AllowsAnyAppleSignedOS,AllowsUserKextApproval", "disallowed" },
	{ "as-reduced-mdm", MX_ARCH_ARM64, "15.1", MX_ENROLL_DEVICE, true, MX_SEC_REDUCED, true,
	  true, "medium", "AllowsAnyAppleSignedOS,AllowsUserKextApproval,AllowsMDM", "allowed" },
	{ "as-permissive", MX_ARCH_ARM64, "12.7", MX_ENROLL_DEVICE, false, MX_SEC_PERMISSIVE, false,
	  false, "off", "AllowsAnyAppleSignedOS", "disallowed" },
	{ "as-ue", MX_ARCH_ARM64, "15.1", MX_ENROLL_USER, true, MX_SEC_FULL, false, false, "full",
	  NULL, NULL },
	{ "intel-11", MX_ARCH_X86_64, "11.6", MX_ENROLL_DEVICE, true, MX_SEC_FULL, false, false,
	  "full", NULL, "not supported" },
	{ "intel-1015", MX_ARCH_X86_64, "10.15.7", MX_ENROLL_DEVICE, false, MX_SEC_FULL, false, false,
	  "full", NULL, NULL },
};

static void
device_for(mx_device *d, const struct mac *m)
{
	mx_env_in in = { .now = 1764640000 };
	for (int i = 0; i < 32; i++)
		in.random[i] = (uint8_t)(i * 13 + strlen(m->name));
	mx_version os;
	mx_version_parse(&os, m->os, NULL);
	mx_device_init(d, m->name, m->arch, os, &in);
	uint8_t salt[16] = { 2 };
	mx_device_add_user(d, "admin", "admin", true, salt, NULL);
	mx_device_add_user(d, "ann", "ann", false, salt, NULL);
	d->enroll = m->enroll;
	d->user_approved = m->enroll != MX_ENROLL_DEVICE || m->approved;
	d->supervised = m->enroll == MX_ENROLL_AUTOMATED || (m->enroll == MX_ENROLL_DEVICE &&
	    m->approved && mx_version_at_least(os, 11, 0, 0));
	d->policy = m->policy;
	d->kext_user_management = m->kext_user;
	d->kext_remote_management = m->kext_remote;
	if (m->policy == MX_SEC_PERMISSIVE)
		d->csr = MX_CSR_DISABLE_FLAGS;
}

static const char *
str_at(plist_t dict, const char *a, const char *b)
{
	plist_t n = plist_dict_get_item(dict, a);
	if (b)
		n = plist_dict_get_item(n, b);
	return mx_plist_str(n);
}

static void
joined(plist_t arr, char *buf, size_t len)
{
	buf[0] = '\0';
	for (uint32_t i = 0; arr && i < plist_array_get_size(arr); i++) {
		size_t o = strlen(buf);
		snprintf(buf + o, len - o, "%s%s", i ? "," : "", mx_plist_str(plist_array_get_item(arr, i)));
	}
}

/* Writes the answer as a full response to dir/name.plist for the validator. */
static void
write_response(const char *dir, const char *name, const mx_device *d, plist_t keys, int channel)
{
	plist_t r = plist_copy(keys);
	plist_dict_set_item(r, "CommandUUID", plist_new_string("0E4C1D8A-3F4B-4C2B-9A55-1B2C3D4E5F60"));
	plist_dict_set_item(r, "Status", plist_new_string("Acknowledged"));
	if (d->enroll == MX_ENROLL_USER) {
		plist_dict_set_item(r, "EnrollmentID", plist_new_string("1B2C3D4E-0000-4000-8000-000000000001"));
	} else {
		plist_dict_set_item(r, "UDID", plist_new_string(d->udid));
	}
	if (channel == MX_MDM_CH_USER) {
		if (d->enroll == MX_ENROLL_USER)
			plist_dict_set_item(r, "EnrollmentUserID",
			    plist_new_string("1B2C3D4E-0000-4000-8000-000000000002"));
		else
			plist_dict_set_item(r, "UserID", plist_new_string("1B2C3D4E-0000-4000-8000-000000000003"));
		plist_dict_set_item(r, "UserLongName", plist_new_string("ann"));
		plist_dict_set_item(r, "NotOnConsole", plist_new_bool(false));
	}
	char *xml = NULL;
	uint32_t n = 0;
	plist_to_xml(r, &xml, &n);
	char path[1200];
	snprintf(path, sizeof path, "%s/%s.plist", dir, name);
	FILE *f = fopen(path, "w");
	if (f) {
		fwrite(xml, 1, n, f);
		fclose(f);
	}
	free(xml);
	plist_free(r);
}

static const char *const all_queries[] = {
	"UDID", "DeviceName", "OSVersion", "BuildVersion", "SupplementalBuildVersion",
	"SupplementalOSVersionExtra", "ModelName", "Model", "ModelNumber", "ProductName",
	"SerialNumber", "IsAppleSilicon", "IsSupervised", "SystemIntegrityProtectionEnabled",
	"IsActivationLockEnabled", "IsActivationLockSupported", "DeviceCapacity",
	"AvailableDeviceCapacity", "HasBattery", "MDMOptions", "AwaitingConfiguration",
	"OSUpdateSettings", "LocalHostName", "HostName", "ActiveManagedUsers",
	"AutoSetupAdminAccounts", "PushToken", "BluetoothMAC", "WiFiMAC", "EthernetMAC",
	"PINRequiredForEraseDevice", "PINRequiredForDeviceLock", "SupportsiOSAppInstalls",
	"SoftwareUpdateDeviceID", "EACSPreflight", "SupportsLOMDevice", "iTunesStoreAccountIsActive",
	"NoSuchQuery", "IMEI", "PhoneNumber", "BatteryLevel",
};

static plist_t
queries(void)
{
	plist_t q = plist_new_array();
	for (size_t i = 0; i < sizeof all_queries / sizeof all_queries[0]; i++)
		plist_array_append_item(q, plist_new_string(all_queries[i]));
	return q;
}

/* A profile as the store keeps it, for ProfileList. */
static plist_t
profile_plist(void)
{
	static const char xml[] = "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict>"
	    "<key>PayloadType</key><string>Configuration</string><key>PayloadVersion</key><integer>1</integer>"
	    "<key>PayloadIdentifier</key><string>com.example.sysext</string><key>PayloadUUID</key>"
	    "<string>9D9B4F6A-1111-4222-8333-444455556666</string><key>PayloadDescription</key>"
	    "<string>Allows the vendor's extension</string><key>PayloadRemovalDisallowed</key><true/>"
	    "<key>PayloadContent</key><array><dict><key>PayloadType</key>"
	    "<string>com.apple.system-extension-policy</string><key>PayloadVersion</key><integer>1</integer>"
	    "<key>PayloadIdentifier</key><string>com.example.sysext.p</string><key>PayloadUUID</key>"
	    "<string>9D9B4F6A-1111-4222-8333-777788889999</string><key>PayloadDisplayName</key>"
	    "<string>System Extensions</string></dict><dict><key>PayloadType</key>"
	    "<string>com.apple.TCC.configuration-profile-policy</string>"
	    "<key>PayloadIdentifier</key><string>com.example.tcc</string><key>PayloadUUID</key>"
	    "<string>9D9B4F6A-1111-4222-8333-aaaabbbbcccc</string></dict></array></dict></plist>";
	plist_t p = NULL;
	mx_plist_parse(&p, (const uint8_t *)xml, sizeof xml - 1, "profile", NULL);
	return p;
}

static int
validate(const char *dir, const char *os, const char *rt, bool user, bool ue, const char *file)
{
	const char *bin = mdms_binary(), *td = mx_testdata();
	if (bin == NULL || td == NULL)
		return -1;
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "'%s' validate --schema '%s/apple-device-management/mdm' --os %s"
	    " --request-type %s %s %s '%s/%s' > '%s/%s.out' 2>&1", bin, td, os, rt,
	    user ? "--user-channel" : "", ue ? "--user-enrollment" : "", dir, file, dir, file);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}

MX_TEST(mdm_answers_table)
{
	const char *dir = mx_test_tmpdir();
	static const uint8_t token[32] = { 0xd7, 0xb2, 0xed };
	plist_t prof = profile_plist();
	CHECK(prof != NULL);
	bool have_validator = mdms_binary() != NULL && mx_testdata() != NULL;
	for (size_t i = 0; i < sizeof macs / sizeof macs[0]; i++) {
		const struct mac *m = &macs[i];
		mx_device d;
		device_for(&d, m);
		/* a stand-in DER certificate is enough for CertificateList's shape */
		static const uint8_t der[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
		mx_mdm_profile_fact pf[2] = {
			{ "com.example.sysext", "9D9B4F6A-1111-4222-8333-444455556666", "Sysext", "Example",
			  true, MX_MDM_CH_DEVICE, prof },
			{ "com.example.enroll", "1D9B4F6A-1111-4222-8333-444455556666", "Enrolment", "",
			  false, MX_MDM_CH_DEVICE, prof },
		};
		mx_mdm_app_fact apps[1] = { { "com.example.app", "Example", "42", "4.2", 123456, false } };
		mx_mdm_cert_fact certs[1] = { { der, sizeof der, true, true } };
		mx_mdm_facts f = { .d = &d, .channel = MX_MDM_CH_DEVICE, .authenticated_root = true,
			.access_rights = 8191, .bootstrap_capability = true, .push_token = token,
			.push_token_len = sizeof token, .profiles = pf, .nprofiles = 2, .apps = apps,
			.napps = 1, .certs = certs, .ncerts = 1 };
		plist_t si = mx_mdm_security_info(&f);
		const char *sb = str_at(plist_dict_get_item(si, "SecurityInfo") ?
		    plist_dict_get_item(si, "SecurityInfo") : si, "SecureBoot", "SecureBootLevel");
		plist_t s_in = si;
		if (m->secure_boot == NULL ? sb != NULL : sb == NULL || strcmp(sb, m->secure_boot) != 0)
			mx_test_fail_at(__FILE__, __LINE__, "%s: SecureBootLevel %s, expected %s", m->name,
			    sb ? sb : "(none)", m->secure_boot ? m->secure_boot : "(none)");
		char items[200];
		plist_t rs = plist_dict_get_item(plist_dict_get_item(s_in, "SecureBoot"), "ReducedSecurity");
		joined(rs, items, sizeof items);
		if (m->reduced == NULL ? rs != NULL : strcmp(items, m->reduced) != 0)
			mx_test_fail_at(__FILE__, __LINE__, "%s: ReducedSecurity [%s], expected [%s]", m->name,
			    items, m->reduced ? m->reduced : "(none)");
		const char *ba = str_at(s_in, "BootstrapTokenAllowedForAuthentication", NULL);
		if (m->bootstrap_allowed == NULL ? ba != NULL : ba == NULL || strcmp(ba, m->bootstrap_allowed))
			mx_test_fail_at(__FILE__, __LINE__, "%s: BootstrapTokenAllowedForAuthentication %s",
			    m->name, ba ? ba : "(none)");
		plist_t sip = plist_dict_get_item(s_in, "SystemIntegrityProtectionEnabled");
		uint8_t b = 2;
		plist_get_bool_val(sip, &b);
		CHECK_EQ_INT(b, m->policy != MX_SEC_PERMISSIVE);
		CHECK((plist_dict_get_item(s_in, "FirmwarePasswordStatus") != NULL) == (m->arch != MX_ARCH_ARM64));
		/* the answers wrapped as responses, then validated against Apple's YAML */
		plist_t wrap = plist_new_dict();
		plist_dict_set_item(wrap, "SecurityInfo", si);
		char name[128];
		snprintf(name, sizeof name, "%s-SecurityInfo", m->name);
		write_response(dir, name, &d, wrap, MX_MDM_CH_DEVICE);
		plist_free(wrap);
		plist_t q = queries();
		plist_t di = mx_mdm_device_information(&f, q);
		plist_t qr = plist_dict_get_item(di, "QueryResponses");
		CHECK(plist_dict_get_item(qr, "NoSuchQuery") == NULL);
		CHECK(plist_dict_get_item(qr, "IMEI") == NULL);
		CHECK(plist_dict_get_item(qr, "BatteryLevel") == NULL);
		CHECK((plist_dict_get_item(qr, "IsAppleSilicon") != NULL) == mx_version_at_least(d.os, 12, 0, 0));
		CHECK((plist_dict_get_item(qr, "ModelNumber") != NULL) == (m->arch == MX_ARCH_ARM64));
		CHECK((plist_dict_get_item(qr, "SerialNumber") != NULL) == (m->enroll != MX_ENROLL_USER));
		CHECK_EQ_STR(mx_plist_str(plist_dict_get_item(qr, "DeviceName")), m->name);
		snprintf(name, sizeof name, "%s-DeviceInformation", m->name);
		write_response(dir, name, &d, di, MX_MDM_CH_DEVICE);
		/* without AllowQueryDeviceInformation (16) and network (32): only the general queries */
		f.access_rights = 1;
		plist_t di2 = mx_mdm_device_information(&f, q);
		plist_t qr2 = plist_dict_get_item(di2, "QueryResponses");
		CHECK(plist_dict_get_item(qr2, "DeviceName") == NULL);
		CHECK(plist_dict_get_item(qr2, "WiFiMAC") == NULL);
		CHECK((plist_dict_get_item(qr2, "UDID") != NULL) == (m->enroll != MX_ENROLL_USER));
		plist_free(di2);
		f.access_rights = 8191;
		plist_free(di);
		plist_free(q);
		plist_t pl = mx_mdm_profile_list(&f, false);
		CHECK_EQ_INT(plist_array_get_size(plist_dict_get_item(pl, "ProfileList")), 2);
		snprintf(name, sizeof name, "%s-ProfileList", m->name);
		write_response(dir, name, &d, pl, MX_MDM_CH_DEVICE);
		plist_free(pl);
		pl = mx_mdm_profile_list(&f, true);
		CHECK_EQ_INT(plist_array_get_size(plist_dict_get_item(pl, "ProfileList")), 1);
		plist_free(pl);
		plist_t apl = mx_mdm_installed_apps(&f, NULL, false);
		snprintf(name, sizeof name, "%s-InstalledApplicationList", m->name);
		write_response(dir, name, &d, apl, MX_MDM_CH_DEVICE);
		plist_free(apl);
		plist_t cl = mx_mdm_certificate_list(&f, false);
		snprintf(name, sizeof name, "%s-CertificateList", m->name);
		write_response(dir, name, &d, cl, MX_MDM_CH_DEVICE);
		plist_free(cl);
		plist_t up = mx_mdm_available_os_updates(&f);
		snprintf(name, sizeof name, "%s-AvailableOSUpdates", m->name);
		write_response(dir, name, &d, up, MX_MDM_CH_DEVICE);
		plist_free(up);
		/* the user channel: SecurityInfo has ManagementStatus only */
		f.channel = MX_MDM_CH_USER;
		plist_t usi = mx_mdm_security_info(&f);
		CHECK(plist_dict_get_item(usi, "SystemIntegrityProtectionEnabled") == NULL);
		CHECK((plist_dict_get_item(usi, "ManagementStatus") != NULL) ==
		    mx_version_at_least(d.os, 10, 13, 2));
		wrap = plist_new_dict();
		plist_dict_set_item(wrap, "SecurityInfo", usi);
		snprintf(name, sizeof name, "%s-user-SecurityInfo", m->name);
		write_response(dir, name, &d, wrap, MX_MDM_CH_USER);
		plist_free(wrap);
		plist_t upl = mx_mdm_profile_list(&f, false);
		CHECK_EQ_INT(plist_array_get_size(plist_dict_get_item(upl, "ProfileList")), 0);
		plist_free(upl);
		if (!have_validator)
			continue;
		static const char *const rts[] = { "SecurityInfo", "DeviceInformation", "ProfileList",
		    "InstalledApplicationList", "CertificateList", "AvailableOSUpdates" };
		for (size_t k = 0; k < sizeof rts / sizeof rts[0]; k++) {
			int code;
			if (mx_mdm_gate(&(mx_mdm_facts){ .d = &d }, rts[k], &code, NULL) != 0)
				continue;   /* the Mac refuses it here (User Enrollment): no answer */
			char file[160];
			snprintf(file, sizeof file, "%s-%s.plist", m->name, rts[k]);
			int rc = validate(dir, m->os, rts[k], false, m->enroll == MX_ENROLL_USER, file);
			if (rc != 0) {
				char out[1300], line[600];
				snprintf(out, sizeof out, "%s/%s.out", dir, file);
				FILE *o = fopen(out, "r");
				while (o && fgets(line, sizeof line, o))
					fprintf(stderr, "    %s", line);
				if (o)
					fclose(o);
				mx_test_fail_at(__FILE__, __LINE__, "%s: %s does not validate", m->name, rts[k]);
			}
		}
		char file[160];
		snprintf(file, sizeof file, "%s-user-SecurityInfo.plist", m->name);
		if (validate(dir, m->os, "SecurityInfo", true, m->enroll == MX_ENROLL_USER, file) != 0)
			mx_test_fail_at(__FILE__, __LINE__, "%s: user SecurityInfo does not validate", m->name);
	}
	plist_free(prof);
	if (!have_validator)
		mx_test_skip("the schema validator (tests/mdm's mdmserver) is not built");
}

MX_TEST(mdm_answers_gate)
{
	static const struct {
		const char *type;
		enum mx_enroll enroll;
		bool supervised;
		int channel;
		uint32_t rights;
		const char *os;
		int rc, code;
	} cases[] = {
		{ "SecurityInfo", MX_ENROLL_DEVICE, false, MX_MDM_CH_DEVICE, 8191, "15.1", 0, 0 },
		{ "SecurityInfo", MX_ENROLL_DEVICE, false, MX_MDM_CH_DEVICE, 1, "15.1", MX_EDENIED,
		  MX_MDM_ERR_ACCESS_RIGHTS },
		{ "InstallProfile", MX_ENROLL_DEVICE, false, MX_MDM_CH_DEVICE, 1, "15.1", MX_EDENIED,
		  MX_MDM_ERR_ACCESS_RIGHTS },
		{ "RestartDevice", MX_ENROLL_DEVICE, false, MX_MDM_CH_USER, 8191, "15.1", MX_EINVALID,
		  MX_MDM_ERR_WRONG_CHANNEL },
		{ "RestartDevice", MX_ENROLL_USER, false, MX_MDM_CH_DEVICE, 8191, "15.1", MX_EDENIED,
		  MX_MDM_ERR_USER_ENROLLMENT },
		{ "UserList", MX_ENROLL_DEVICE, false, MX_MDM_CH_DEVICE, 8191, "15.1", MX_EDENIED,
		  MX_MDM_ERR_NEEDS_SUPERVISION },
		{ "DeclarativeManagement", MX_ENROLL_DEVICE, true, MX_MDM_CH_DEVICE, 8191, "12.7",
		  MX_EINVALID, MX_MDM_ERR_MACOS_VERSION },
		{ "EraseDevice", MX_ENROLL_DEVICE, true, MX_MDM_CH_DEVICE, 8191, "15.1", MX_EINVALID,
		  MX_MDM_ERR_NOT_SIMULATED },
		{ "ClearRestrictionsPassword", MX_ENROLL_DEVICE, true, MX_MDM_CH_DEVICE, 8191, "15.1",
		  MX_EINVALID, MX_MDM_ERR_UNKNOWN_COMMAND },
		{ "ProfileList", MX_ENROLL_DEVICE, false, MX_MDM_CH_USER, 8191, "15.1", 0, 0 },
		{ "AvailableOSUpdates", MX_ENROLL_DEVICE, false, MX_MDM_CH_DEVICE, 1, "15.1", 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mac m = { "gate", MX_ARCH_ARM64, cases[i].os, cases[i].enroll, true, MX_SEC_FULL,
			false, false, NULL, NULL, NULL };
		mx_device d;
		device_for(&d, &m);
		d.supervised = cases[i].supervised;
		mx_mdm_facts f = { .d = &d, .channel = cases[i].channel, .access_rights = cases[i].rights };
		int code = 0;
		mx_err err;
		mx_err_clear(&err);
		int rc = mx_mdm_gate(&f, cases[i].type, &code, &err);
		if (rc != cases[i].rc || code != cases[i].code)
			mx_test_fail_at(__FILE__, __LINE__, "%s: rc %d code %d (%s), expected %d %d",
			    cases[i].type, rc, code, err.msg, cases[i].rc, cases[i].code);
	}
	CHECK(mx_mdm_known_on_macos("SetRecoveryLock"));
	CHECK(!mx_mdm_known_on_macos("RefreshCellularPlans"));
}

MX_TEST(mdm_answers_os_updates)
{
	struct mac m = { "upd", MX_ARCH_ARM64, "15.1", MX_ENROLL_DEVICE, true, MX_SEC_FULL, false,
		false, NULL, NULL, NULL };
	mx_device d;
	device_for(&d, &m);
	mx_mdm_facts f = { .d = &d };
	plist_t u = mx_mdm_available_os_updates(&f);
	plist_t arr = plist_dict_get_item(u, "AvailableOSUpdates");
	/* 15.1 on Apple silicon: the newest 15.x and the next major release */
	CHECK_EQ_INT(plist_array_get_size(arr), 2);
	CHECK_EQ_STR(mx_plist_str(plist_dict_get_item(plist_array_get_item(arr, 0), "Version")), "15.6");
	uint8_t major = 0;
	plist_get_bool_val(plist_dict_get_item(plist_array_get_item(arr, 1), "IsMajorOSUpdate"), &major);
	CHECK(major);
	plist_free(u);
	d.os = (mx_version){ 26, 0, 0 };
	u = mx_mdm_available_os_updates(&f);
	CHECK_EQ_INT(plist_array_get_size(plist_dict_get_item(u, "AvailableOSUpdates")), 0);
	plist_free(u);
	char b[16];
	mx_mdm_build((mx_version){ 15, 1, 0 }, b, sizeof b);
	CHECK_EQ_STR(b, "24B83");
	mx_mdm_build((mx_version){ 13, 2, 1 }, b, sizeof b);
	CHECK_EQ_STR(b, "22C101");
}
