/*
 * device.c — the simulated Mac's record: defaults of a new Mac, SIP as the
 * real CSR word (csrutil disable = 0x7F), boot sessions, enum names.
 * Spec: docs/reference kernel-extensions.md §4.1 (policies), §4.6 (CSR).
 */
#include <stdio.h>
#include <string.h>

#include "macext/core.h"

const char *
mx_device_uuid_fmt(const uint8_t b[16], char out[37])
{
	static const char hex[] = "0123456789ABCDEF";
	int o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
	return out;
}

void
mx_device_init(mx_device *out, const char *name, enum mx_arch arch, mx_version os,
    const mx_env_in *in)
{
	static const char serial_chars[] = "0123456789CDFGHJKLMNPQRTVWXY";
	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "%s", name);
	out->arch = arch;
	out->os = os;
	out->csr = 0;
	out->policy = MX_SEC_FULL;
	out->enroll = MX_ENROLL_NONE;
	out->env = MX_ENV_MACOS;
	out->recovery_entry = MX_RECOVERY_NONE;
	/* Serial numbers of 2021+ Macs: 10 random characters. */
	out->serial[0] = arch == MX_ARCH_ARM64 ? 'G' : 'C';
	for (int i = 1; i < 10; i++)
		out->serial[i] = serial_chars[in->random[i] % (sizeof serial_chars - 1)];
	uint8_t u[16];
	memcpy(u, in->random + 16, 16);
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	mx_device_uuid_fmt(u, out->udid);
	mx_device_boot(out, in);
}

void
mx_device_boot(mx_device *d, const mx_env_in *in)
{
	uint8_t u[16];
	memcpy(u, in->random, 16);
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	mx_device_uuid_fmt(u, d->boot_session);
	d->boot_count++;
	d->env = MX_ENV_MACOS;
	d->recovery_entry = MX_RECOVERY_NONE;
	d->recovery_authenticated = false;
}

bool
mx_device_sip_enabled(const mx_device *d)
{
	return d->csr == 0;
}

bool
mx_device_kext_signing_enforced(const mx_device *d)
{
	return (d->csr & MX_CSR_ALLOW_UNTRUSTED_KEXTS) == 0;
}

static const char *arch_names[] = { [MX_ARCH_ARM64] = "arm64", [MX_ARCH_X86_64] = "x86_64" };
static const char *env_names[] = { [MX_ENV_MACOS] = "macos", [MX_ENV_RECOVERY] = "recovery",
	[MX_ENV_OFF] = "off" };
static const char *sec_names[] = { [MX_SEC_FULL] = "full", [MX_SEC_REDUCED] = "reduced",
	[MX_SEC_PERMISSIVE] = "permissive" };
static const char *enroll_names[] = { [MX_ENROLL_NONE] = "none", [MX_ENROLL_USER] = "user",
	[MX_ENROLL_DEVICE] = "device", [MX_ENROLL_AUTOMATED] = "automated" };

const char *mx_arch_name(enum mx_arch a) { return arch_names[a]; }
const char *mx_env_name(enum mx_envkind e) { return env_names[e]; }
const char *mx_secpolicy_name(enum mx_secpolicy p) { return sec_names[p]; }
const char *mx_enroll_name(enum mx_enroll e) { return enroll_names[e]; }

const char *
mx_recovery_entry_name(enum mx_recovery_entry r)
{
	switch (r) {
	case MX_RECOVERY_POWER_BUTTON: return "power-button";
	case MX_RECOVERY_SOFTWARE: return "software";
	default: return NULL;
	}
}

static int
parse_name(int *out, const char *s, const char **names, int n, const char *what, mx_err *err)
{
	for (int i = 0; i < n; i++)
		if (s && strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	char choices[128] = "";
	for (int i = 0; i < n; i++) {
		strncat(choices, names[i], sizeof choices - strlen(choices) - 1);
		if (i + 1 < n)
			strncat(choices, "|", sizeof choices - strlen(choices) - 1);
	}
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "bad %s '%s': expected %s", what,
	    s ? s : "", choices);
}

int
mx_arch_parse(enum mx_arch *out, const char *s, mx_err *err)
{
	int v;
	if (s && strcmp(s, "apple-silicon") == 0)
		s = "arm64";
	if (s && strcmp(s, "intel") == 0)
		s = "x86_64";
	if (parse_name(&v, s, arch_names, 2, "architecture", err))
		return err ? err->code : MX_EUSAGE;
	*out = (enum mx_arch)v;
	return 0;
}

int
mx_secpolicy_parse(enum mx_secpolicy *out, const char *s, mx_err *err)
{
	int v;
	if (parse_name(&v, s, sec_names, 3, "security policy", err))
		return err ? err->code : MX_EUSAGE;
	*out = (enum mx_secpolicy)v;
	return 0;
}

int
mx_enroll_parse(enum mx_enroll *out, const char *s, mx_err *err)
{
	int v;
	if (parse_name(&v, s, enroll_names, 4, "enrollment method", err))
		return err ? err->code : MX_EUSAGE;
	*out = (enum mx_enroll)v;
	return 0;
}
