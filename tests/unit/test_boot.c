/*
 * test_boot.c — the Apple silicon boot-security rules, table-driven:
 * who may change the LocalPolicy where (arch x environment x recovery entry x
 * credential x request), the kext gate by enrolment and approver, the
 * LocalPolicy codec and the simulated SEP's signature (tamper detection).
 * Spec: kernel-extensions.md §3.7, §4.1-§4.6, §7 item 6; the seed's Apple
 * silicon table.
 */
#include <openssl/evp.h>

#include "harness.h"
#include "macext/boot.h"

static const uint8_t salt[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static void
mkdev(mx_device *d, enum mx_arch arch, enum mx_envkind env, enum mx_recovery_entry entry,
    enum mx_enroll enroll)
{
	mx_env_in in = { .now = 1700000000 };
	for (int i = 0; i < 32; i++)
		in.random[i] = (uint8_t)(i * 7 + 3);
	mx_version os = { 14, 5, 0 };
	mx_device_init(d, "m", arch, os, &in);
	/* the two users are hashed once for the file (PBKDF2 is the slow part
	 * of every row): each device gets copies of the same records */
	static mx_user users[2];
	static bool hashed;
	if (!hashed) {
		mx_device t;
		mx_device_init(&t, "t", arch, os, &in);
		mx_device_add_user(&t, "admin", "pw", true, salt, NULL);
		mx_device_add_user(&t, "std", "pw2", false, salt, NULL);
		memcpy(users, t.users, sizeof users);
		hashed = true;
	}
	memcpy(d->users, users, sizeof users);
	d->nusers = 2;
	d->env = env;
	d->recovery_entry = entry;
	d->enroll = enroll;
	if (enroll == MX_ENROLL_AUTOMATED || enroll == MX_ENROLL_DEVICE)
		d->user_approved = true;
}

enum req { R_FULL, R_REDUCED, R_RED_USER, R_RED_REMOTE, R_PERM_BPUTIL, R_PERM_SSU, R_SIP_OFF,
	R_SIP_KEXT, R_SIP_CLEAR, R_BPUTIL_K, R_BPUTIL_M, R_BPUTIL_F, R_SSV_OFF, R_MDM_TOKEN, R_SSV_ON, R_N };
static const char *req_names[R_N] = { "ssu-full", "ssu-reduced", "ssu-reduced+user-kexts",
	"ssu-reduced+remote-kexts", "bputil-n", "ssu-permissive", "csrutil-disable",
	"csrutil-enable--without-kext", "csrutil-clear", "bputil-k", "bputil-m", "bputil-f",
	"bputil-s", "mdm-bootstrap-token", "csrutil-authenticated-root-enable" };

static mx_lp_request
mkreq(enum req r)
{
	mx_lp_request q = { .origin = MX_ORIGIN_SSU, .rebuild = true, .level = MX_SEC_REDUCED };
	switch (r) {
	case R_FULL: q.level = MX_SEC_FULL; break;
	case R_REDUCED: break;
	case R_RED_USER: q.kext_user = true; break;
	case R_RED_REMOTE: q.kext_remote = true; break;
	case R_PERM_BPUTIL: q.origin = MX_ORIGIN_BPUTIL; q.level = MX_SEC_PERMISSIVE; break;
	case R_PERM_SSU: q.level = MX_SEC_PERMISSIVE; break;
	case R_SIP_OFF: q.origin = MX_ORIGIN_CSRUTIL; q.set_sip = true; q.sip0 = MX_CSR_DISABLE_FLAGS;
		q.level = MX_SEC_PERMISSIVE; q.rebuild = false; break;
	case R_SIP_KEXT: q.origin = MX_ORIGIN_CSRUTIL; q.set_sip = true;
		q.sip0 = MX_CSR_ALLOW_UNTRUSTED_KEXTS; q.level = MX_SEC_PERMISSIVE; q.rebuild = false; break;
	case R_SIP_CLEAR: q.origin = MX_ORIGIN_CSRUTIL; q.set_sip = true; q.sip0 = 0;
		q.level = MX_SEC_FULL; q.rebuild = false; break;
	case R_BPUTIL_K: q.origin = MX_ORIGIN_BPUTIL; q.kext_user = true; q.rebuild = false; break;
	case R_BPUTIL_M: q.origin = MX_ORIGIN_BPUTIL; q.kext_remote = true; q.rebuild = false; break;
	case R_BPUTIL_F: q.origin = MX_ORIGIN_BPUTIL; q.level = MX_SEC_FULL; break;
	case R_SSV_OFF: q.origin = MX_ORIGIN_BPUTIL; q.ssv_off = true; q.level = MX_SEC_PERMISSIVE;
		q.rebuild = false; break;
	case R_MDM_TOKEN: q.origin = MX_ORIGIN_MDM_BOOTSTRAP; q.rebuild = false; break;
	case R_SSV_ON: q.origin = MX_ORIGIN_CSRUTIL; q.ssv_restore = true; q.level = MX_SEC_FULL;
		q.rebuild = false; break;
	default: break;
	}
	return q;
}

enum where { W_MACOS, W_SOFT, W_1TR };
static const char *where_names[] = { "macOS", "software-recoveryOS", "1TR" };
static void
place(mx_device *d, enum where w)
{
	d->env = w == W_MACOS ? MX_ENV_MACOS : MX_ENV_RECOVERY;
	d->recovery_entry = w == W_MACOS ? MX_RECOVERY_NONE
	    : w == W_SOFT ? MX_RECOVERY_SOFTWARE : MX_RECOVERY_POWER_BUTTON;
}

/* Expected outcomes, the cells the brief and the reference name. */
static const struct {
	enum mx_arch arch; enum where w; const char *cred; enum mx_enroll enroll; enum req r;
	int rc;                              /* 0, MX_EDENIED, MX_ESTATE, MX_EINVALID */
	int level;                           /* resulting level when rc == 0 */
	bool smb2, smb3, smb4;
} rows[] = {
	/* the seed's Apple silicon cells: 1TR + administrator accepted ... */
	{ MX_ARCH_ARM64, W_1TR, "admin:pw", MX_ENROLL_NONE, R_RED_USER, 0, MX_SEC_REDUCED, 1, 0, 0 },
	{ MX_ARCH_ARM64, W_1TR, "admin:pw", MX_ENROLL_USER, R_RED_USER, 0, MX_SEC_REDUCED, 1, 0, 0 },
	{ MX_ARCH_ARM64, W_1TR, "admin:pw", MX_ENROLL_DEVICE, R_RED_REMOTE, 0, MX_SEC_REDUCED, 0, 1, 0 },
	{ MX_ARCH_ARM64, W_1TR, "admin:pw", MX_ENROLL_DEVICE, R_RED_USER, 0, MX_SEC_REDUCED, 1, 0, 0 },
	/* ... and refused from software-launched recoveryOS and from macOS */
	{ MX_ARCH_ARM64, W_SOFT, "admin:pw", MX_ENROLL_NONE, R_RED_USER, MX_EDENIED, 0, 0, 0, 0 },
	{ MX_ARCH_ARM64, W_SOFT, "admin:pw", MX_ENROLL_DEVICE, R_RED_REMOTE, MX_EDENIED, 0, 0, 0, 0 },
	{ MX_ARCH_ARM64, W_MACOS, "admin:pw", MX_ENROLL_NONE, R_RED_USER, MX_ESTATE, 0, 0, 0, 0 },
	{ MX_ARCH_ARM64, W_MACOS, "admin:pw", MX_ENROLL_NONE, R_BPUTIL_K, MX_EDENIED, 0, 0, 0, 0 },
	/* standard user, wrong password, no credential */
	{ MX_ARCH_ARM64, W_1TR, "std:pw2", MX_ENROLL_NONE, R_RED_USER, MX_EDENIED, 0, 0, 0, 0 },
	{ MX_ARCH_ARM64, W_1TR, "admin:nope", MX_ENROLL_NONE, R_RED_USER, MX_EDENIED, 0, 0, 0, 0 },
	{ MX_ARCH_ARM64, W_1TR, NULL, MX_ENROLL_NONE, R_RED_USER, MX_EDENIED, 0, 0, 0, 0 },
	{ MX_ARCH_ARM64, W_1TR, "nobody:pw", MX_ENROLL_NONE, R_RED_USER, MX_EDENIED, 0, 0, 0, 0 },
	/* §7.6: Reduced without kexts is also accepted from software recoveryOS */
	{ MX_ARCH_ARM64, W_SOFT, "admin:pw", MX_ENROLL_NONE, R_REDUCED, 0, MX_SEC_REDUCED, 0, 0, 0 },
	{ MX_ARCH_ARM64, W_SOFT, "std:pw2", MX_ENROLL_NONE, R_REDUCED, MX_EDENIED, 0, 0, 0, 0 },
	/* Full: any recoveryOS; bputil -f anywhere (§4.4) */
	{ MX_ARCH_ARM64, W_SOFT, "admin:pw", MX_ENROLL_NONE, R_FULL, 0, MX_SEC_FULL, 0, 0, 0 },
	{ MX_ARCH_ARM64, W_MACOS, "admin:pw", MX_ENROLL_NONE, R_BPUTIL_F, 0, MX_SEC_FULL, 0, 0, 0 },
	{ MX_ARCH_ARM64, W_MACOS, "std:pw2", MX_ENROLL_NONE, R_BPUTIL_F, MX_EDENIED, 0, 0, 0, 0 },
	/* Permissive: 1TR, only by command-line tools */
	{ MX_ARCH_ARM64, W_1TR, "admin:pw", MX_ENROLL_NONE, R_PERM_BPUTIL, 0, MX_SEC_PERMISSIVE, 0, 0, 0 },
	{ MX_ARCH_ARM64, W_SOFT, "admin:pw", MX_ENROLL_NONE, R_PERM_BPUTIL, MX_EDENIED, 0, 0, 0, 0 },
	/* SIP on Apple silicon: recoveryOS only; relaxing it is 1TR and Permissive */
	{ MX_ARCH_ARM64, W_1TR, "admin:pw", MX_ENROLL_NONE, R_SIP_OFF, 0, MX_SEC_PERMISSIVE, 0, 0, 0 },
	{ MX_ARCH_ARM64, W_1TR, "admin:pw", MX_ENROLL_NONE, R_SIP_KEXT, 0, MX_SEC_PERMISSIVE, 0, 0, 0 },
	{ MX_ARCH_ARM64, W_SOFT, "admin:pw", MX_ENROLL_NONE, R_SIP_OFF, MX_EDENIED, 0, 0, 0, 0 },
	{ MX_ARCH_ARM64, W_MACOS, "admin:pw", MX_ENROLL_NONE, R_SIP_OFF, MX_ESTATE, 0, 0, 0, 0 },
	{ MX_ARCH_ARM64, W_SOFT, "admin:pw", MX_ENROLL_NONE, R_SIP_CLEAR, 0, MX_SEC_FULL, 0, 0, 0 },
	/* bputil -k / -m / -s: 1TR */
	{ MX_ARCH_ARM64, W_1TR, "admin:pw", MX_ENROLL_NONE, R_BPUTIL_K, 0, MX_SEC_REDUCED, 1, 0, 0 },
	{ MX_ARCH_ARM64, W_1TR, "admin:pw", MX_ENROLL_DEVICE, R_BPUTIL_M, 0, MX_SEC_REDUCED, 0, 1, 0 },
	{ MX_ARCH_ARM64, W_SOFT, "admin:pw", MX_ENROLL_DEVICE, R_BPUTIL_M, MX_EDENIED, 0, 0, 0, 0 },
	{ MX_ARCH_ARM64, W_1TR, "admin:pw", MX_ENROLL_NONE, R_SSV_OFF, 0, MX_SEC_PERMISSIVE, 0, 0, 0 },
	/* [INF] remote management needs an MDM enrolment that can hold it */
	{ MX_ARCH_ARM64, W_1TR, "admin:pw", MX_ENROLL_NONE, R_RED_REMOTE, MX_EINVALID, 0, 0, 0, 0 },
	{ MX_ARCH_ARM64, W_1TR, "admin:pw", MX_ENROLL_USER, R_RED_REMOTE, MX_EINVALID, 0, 0, 0, 0 },
	/* ADE with the bootstrap token: the device itself, from macOS, no user */
	{ MX_ARCH_ARM64, W_MACOS, NULL, MX_ENROLL_AUTOMATED, R_MDM_TOKEN, 0, MX_SEC_REDUCED, 0, 0, 1 },
	{ MX_ARCH_ARM64, W_MACOS, NULL, MX_ENROLL_DEVICE, R_MDM_TOKEN, MX_EDENIED, 0, 0, 0, 0 },
	{ MX_ARCH_ARM64, W_MACOS, NULL, MX_ENROLL_NONE, R_MDM_TOKEN, MX_EDENIED, 0, 0, 0, 0 },
	{ MX_ARCH_ARM64, W_1TR, NULL, MX_ENROLL_AUTOMATED, R_MDM_TOKEN, MX_ESTATE, 0, 0, 0, 0 },
	/* re-enabling the signed system volume: any recoveryOS, not macOS */
	{ MX_ARCH_ARM64, W_SOFT, "admin:pw", MX_ENROLL_NONE, R_SSV_ON, 0, MX_SEC_FULL, 0, 0, 0 },
	{ MX_ARCH_ARM64, W_MACOS, "admin:pw", MX_ENROLL_NONE, R_SSV_ON, MX_ESTATE, 0, 0, 0, 0 },
	{ MX_ARCH_ARM64, W_SOFT, "std:pw2", MX_ENROLL_NONE, R_SSV_ON, MX_EDENIED, 0, 0, 0, 0 },
	/* Intel: there is no LocalPolicy */
	{ MX_ARCH_X86_64, W_SOFT, "admin:pw", MX_ENROLL_NONE, R_RED_USER, MX_ESTATE, 0, 0, 0, 0 },
	{ MX_ARCH_X86_64, W_1TR, "admin:pw", MX_ENROLL_NONE, R_SIP_OFF, MX_ESTATE, 0, 0, 0, 0 },
};

MX_TEST(boot_authorize_table)
{
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		mx_device d;
		mkdev(&d, rows[i].arch, MX_ENV_MACOS, MX_RECOVERY_NONE, rows[i].enroll);
		place(&d, rows[i].w);
		d.bootstrap_escrowed = rows[i].enroll == MX_ENROLL_AUTOMATED;
		mx_localpolicy cur, next;
		mx_lp_init(&cur, d.udid);
		mx_lp_request q = mkreq(rows[i].r);
		mx_err err;
		mx_err_clear(&err);
		int rc = mx_boot_authorize(&d, &cur, &q, rows[i].cred, &next, &err);
		if (rc != rows[i].rc) {
			mx_test_fail_at(__FILE__, __LINE__, "row %zu (%s, %s, %s, %s): rc %d (%s), wanted %d",
			    i, mx_arch_name(rows[i].arch), where_names[rows[i].w],
			    rows[i].cred ? rows[i].cred : "-", req_names[rows[i].r], rc, err.msg, rows[i].rc);
			continue;
		}
		if (rc != 0) {
			CHECK(err.msg[0] != '\0');
			continue;
		}
		if ((int)mx_lp_level(&next) != rows[i].level || next.smb2 != rows[i].smb2
		    || next.smb3 != rows[i].smb3 || next.smb4 != rows[i].smb4)
			mx_test_fail_at(__FILE__, __LINE__, "row %zu (%s): level %s smb2 %d smb3 %d smb4 %d",
			    i, req_names[rows[i].r], mx_secpolicy_name(mx_lp_level(&next)), next.smb2,
			    next.smb3, next.smb4);
		CHECK(!next.has_sig);
	}
}

/* Every combination: invariants the reference states for all cells. */
MX_TEST(boot_authorize_cross_product)
{
	static const char *creds[] = { "admin:pw", "std:pw2", "admin:wrong", NULL };
	static const enum mx_enroll enrolls[] = { MX_ENROLL_NONE, MX_ENROLL_USER, MX_ENROLL_DEVICE,
		MX_ENROLL_AUTOMATED };
	int accepted = 0, total = 0;
	static mx_pw_memo memo;
	for (int a = 0; a < 2; a++)
	for (int w = W_MACOS; w <= W_1TR; w++)
	for (int c = 0; c < 4; c++)
	for (int e = 0; e < 4; e++)
	for (int r = 0; r < R_N; r++) {
		mx_device d;
		mkdev(&d, a ? MX_ARCH_X86_64 : MX_ARCH_ARM64, MX_ENV_MACOS, MX_RECOVERY_NONE, enrolls[e]);
		place(&d, (enum where)w);
		d.bootstrap_escrowed = enrolls[e] == MX_ENROLL_AUTOMATED;
		mx_localpolicy cur, next;
		mx_lp_init(&cur, d.udid);
		mx_lp_request q = mkreq((enum req)r);
		/* as an engine does: a password that verified is not derived again
		 * (a wrong one always is) */
		q.pw_memo = &memo;
		mx_err err;
		mx_err_clear(&err);
		int rc = mx_boot_authorize(&d, &cur, &q, creds[c], &next, &err);
		total++;
		if (rc != 0)
			continue;
		accepted++;
		const char *cell = req_names[r];
		/* no LocalPolicy on Intel */
		if (a)
			mx_test_fail_at(__FILE__, __LINE__, "Intel accepted %s", cell);
		if (r == R_MDM_TOKEN) {
			/* only ADE with the token, only from macOS, only smb4 */
			if (enrolls[e] != MX_ENROLL_AUTOMATED || w != W_MACOS || next.smb2 || next.smb3)
				mx_test_fail_at(__FILE__, __LINE__, "bootstrap change accepted wrongly");
			continue;
		}
		/* a person's change needs an administrator's password */
		if (c != 0)
			mx_test_fail_at(__FILE__, __LINE__, "%s accepted with credential %s", cell,
			    creds[c] ? creds[c] : "none");
		/* kexts enabled, MDM control, Permissive, SIP relaxed: only in 1TR */
		bool lowered = next.smb2 || next.smb3 || next.smb1 || next.has_sip0 || next.sip1;
		if (lowered && w != W_1TR)
			mx_test_fail_at(__FILE__, __LINE__, "%s accepted in %s", cell, where_names[w]);
		/* from macOS only bputil -f */
		if (w == W_MACOS && r != R_BPUTIL_F)
			mx_test_fail_at(__FILE__, __LINE__, "%s accepted from macOS", cell);
		/* Startup Security Utility never yields Permissive from Full here
		 * (cmd_security refuses it before the SEP); SIP relaxed => Permissive */
		if (next.has_sip0 && next.sip0 && mx_lp_level(&next) != MX_SEC_PERMISSIVE)
			mx_test_fail_at(__FILE__, __LINE__, "SIP relaxed without Permissive");
	}
	CHECK_EQ_INT(total, 2 * 3 * 4 * 4 * R_N);
	CHECK(accepted > 0);
}

MX_TEST(boot_gate_by_enrolment)
{
	static const struct {
		enum mx_arch arch; enum mx_enroll enroll; bool escrowed;
		bool smb0, smb2, smb3, smb4; enum mx_kext_approver who;
		bool allowed; enum mx_gate_action action; const char *text_has;
	} g[] = {
		/* Intel: always open */
		{ MX_ARCH_X86_64, MX_ENROLL_NONE, 0, 0, 0, 0, 0, MX_APPROVER_USER, 1, MX_GATE_NONE, "" },
		{ MX_ARCH_X86_64, MX_ENROLL_DEVICE, 0, 0, 0, 0, 0, MX_APPROVER_MDM, 1, MX_GATE_NONE, "" },
		/* Full Security: per the seed's Apple silicon table */
		{ MX_ARCH_ARM64, MX_ENROLL_NONE, 0, 0, 0, 0, 0, MX_APPROVER_USER, 0, MX_GATE_1TR_USER_MGMT,
		  "Allow user management of kernel extensions from identified developers" },
		{ MX_ARCH_ARM64, MX_ENROLL_USER, 0, 0, 0, 0, 0, MX_APPROVER_USER, 0, MX_GATE_1TR_USER_MGMT,
		  "local administrator" },
		{ MX_ARCH_ARM64, MX_ENROLL_DEVICE, 0, 0, 0, 0, 0, MX_APPROVER_MDM, 0, MX_GATE_1TR_REMOTE_MGMT,
		  "Allow remote management of kernel extensions and automatic software updates" },
		{ MX_ARCH_ARM64, MX_ENROLL_DEVICE, 0, 0, 0, 0, 0, MX_APPROVER_USER, 0, MX_GATE_1TR_USER_MGMT,
		  "press and hold the power button" },
		{ MX_ARCH_ARM64, MX_ENROLL_AUTOMATED, 1, 0, 0, 0, 0, MX_APPROVER_MDM, 0, MX_GATE_MDM_BOOTSTRAP,
		  "bootstrap token" },
		{ MX_ARCH_ARM64, MX_ENROLL_AUTOMATED, 0, 0, 0, 0, 0, MX_APPROVER_MDM, 0, MX_GATE_1TR_REMOTE_MGMT,
		  "Allow remote management" },
		/* Reduced Security with the options */
		{ MX_ARCH_ARM64, MX_ENROLL_NONE, 0, 1, 1, 0, 0, MX_APPROVER_USER, 1, MX_GATE_NONE, "" },
		{ MX_ARCH_ARM64, MX_ENROLL_DEVICE, 0, 1, 0, 1, 0, MX_APPROVER_MDM, 1, MX_GATE_NONE, "" },
		{ MX_ARCH_ARM64, MX_ENROLL_DEVICE, 0, 1, 0, 1, 0, MX_APPROVER_USER, 0, MX_GATE_1TR_USER_MGMT, "" },
		{ MX_ARCH_ARM64, MX_ENROLL_AUTOMATED, 1, 1, 0, 0, 1, MX_APPROVER_MDM, 1, MX_GATE_NONE, "" },
		{ MX_ARCH_ARM64, MX_ENROLL_DEVICE, 0, 1, 1, 0, 0, MX_APPROVER_MDM, 1, MX_GATE_NONE, "" },
		/* Reduced without the option is still closed */
		{ MX_ARCH_ARM64, MX_ENROLL_NONE, 0, 1, 0, 0, 0, MX_APPROVER_USER, 0, MX_GATE_1TR_USER_MGMT, "" },
		/* an option without smb0 (not constructible, but decodable) does not count */
		{ MX_ARCH_ARM64, MX_ENROLL_NONE, 0, 0, 1, 0, 0, MX_APPROVER_USER, 0, MX_GATE_1TR_USER_MGMT, "" },
	};
	for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
		mx_device d;
		mkdev(&d, g[i].arch, MX_ENV_MACOS, MX_RECOVERY_NONE, g[i].enroll);
		d.bootstrap_escrowed = g[i].escrowed;
		mx_localpolicy lp;
		mx_lp_init(&lp, d.udid);
		lp.smb0 = g[i].smb0; lp.smb2 = g[i].smb2; lp.smb3 = g[i].smb3; lp.smb4 = g[i].smb4;
		mx_boot_gate out;
		mx_boot_kext_gate(&d, g[i].arch == MX_ARCH_ARM64 ? &lp : NULL, true, g[i].who, &out);
		if (out.allowed != g[i].allowed || out.action != g[i].action
		    || strstr(out.text, g[i].text_has) == NULL)
			mx_test_fail_at(__FILE__, __LINE__, "gate row %zu: allowed %d action %d text %s", i,
			    out.allowed, out.action, out.text);
	}
	/* a LocalPolicy that failed verification closes the gate */
	mx_device d;
	mkdev(&d, MX_ARCH_ARM64, MX_ENV_MACOS, MX_RECOVERY_NONE, MX_ENROLL_NONE);
	mx_localpolicy lp;
	mx_lp_init(&lp, d.udid);
	lp.smb0 = lp.smb2 = true;
	mx_boot_gate out;
	mx_boot_kext_gate(&d, &lp, false, MX_APPROVER_USER, &out);
	CHECK(!out.allowed);
	CHECK_EQ_INT(out.action, MX_GATE_TAMPERED);
}

static mx_localpolicy
sample_lp(void)
{
	mx_localpolicy lp;
	mx_lp_init(&lp, "C00F817D-CBB5-462C-B0C1-E171BA464084");
	lp.nonce = 7;
	lp.smb0 = lp.smb2 = true;
	lp.has_sip0 = true;
	lp.sip0 = 0x7f;
	lp.has_auxi = lp.has_auxr = lp.has_auxp = true;
	mx_boot_sha384((const uint8_t *)"kc", 2, lp.auxi);
	mx_boot_sha384((const uint8_t *)"receipt", 7, lp.auxr);
	const char *uakl[] = { "TEAM000001 com.example.a", "TEAM000002 com.example.b" };
	mx_boot_uakl_hash(uakl, 2, lp.auxp);
	return lp;
}

MX_TEST(boot_lp_codec_roundtrip)
{
	mx_localpolicy lp = sample_lp(), back;
	uint8_t seed[32] = { 9 }, pub[32];
	CHECK_EQ_INT(mx_sep_sign_lp(seed, &lp, NULL), 0);
	uint8_t buf[MX_LP_MAX_LEN], buf2[MX_LP_MAX_LEN];
	size_t n = mx_lp_encode(&lp, true, buf, sizeof buf);
	CHECK(n > 0);
	mx_err err;
	mx_err_clear(&err);
	CHECK_EQ_INT(mx_lp_decode(&back, buf, n, &err), 0);
	size_t n2 = mx_lp_encode(&back, true, buf2, sizeof buf2);
	CHECK_EQ_INT(n2, n);
	CHECK(memcmp(buf, buf2, n) == 0);
	CHECK_EQ_INT(back.nonce, 7);
	CHECK(back.smb0 && back.smb2 && !back.smb1 && back.has_sip0 && back.sip0 == 0x7f);
	CHECK_EQ_STR(back.vuid, lp.vuid);
	CHECK_EQ_INT(mx_sep_public(seed, pub, NULL), 0);
	CHECK_EQ_INT(mx_sep_verify_lp(pub, &back, NULL), 0);
	/* a small buffer is refused, not overrun */
	CHECK_EQ_INT(mx_lp_encode(&lp, true, buf, 20), 0);
}

static void
unhex(uint8_t *out, const char *h)
{
	for (size_t i = 0; h[2 * i]; i++)
		sscanf(h + 2 * i, "%2hhx", &out[i]);
}

static int
openssl_verify(const uint8_t pub[32], const uint8_t *sig, const uint8_t *msg, size_t n)
{
	EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = k && ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) == 1 &&
	    EVP_DigestVerify(ctx, sig, MX_LP_SIG_LEN, msg, n) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	return ok;
}

/* RFC 8032 §7.1 TEST 1: the SEP's key is standard Ed25519, and its
 * LocalPolicy signatures verify with an independent implementation
 * (OpenSSL's). */
MX_TEST(boot_sep_ed25519_rfc8032)
{
	uint8_t seed[32], pub[32], want[32];
	unhex(seed, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
	unhex(want, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
	CHECK_EQ_INT(mx_sep_public(seed, pub, NULL), 0);
	CHECK(memcmp(pub, want, 32) == 0);
	mx_localpolicy lp = sample_lp();
	CHECK_EQ_INT(mx_sep_sign_lp(seed, &lp, NULL), 0);
	uint8_t buf[MX_LP_MAX_LEN];
	size_t n = mx_lp_encode(&lp, false, buf, sizeof buf);
	CHECK(openssl_verify(pub, lp.sig, buf, n));
	buf[n - 1] ^= 1;
	CHECK(!openssl_verify(pub, lp.sig, buf, n));
}

MX_TEST(boot_lp_tamper_detected)
{
	mx_localpolicy lp = sample_lp();
	uint8_t seed[32] = { 9 }, other[32] = { 10 }, pub[32], opub[32];
	mx_sep_sign_lp(seed, &lp, NULL);
	mx_sep_public(seed, pub, NULL);
	mx_sep_public(other, opub, NULL);
	uint8_t buf[MX_LP_MAX_LEN];
	size_t n = mx_lp_encode(&lp, true, buf, sizeof buf);
	/* flipping any single byte of the signed record either fails to decode
	 * or fails the signature */
	int decoded = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t t[MX_LP_MAX_LEN];
		memcpy(t, buf, n);
		t[i] ^= 0x01;
		mx_localpolicy x;
		mx_err err;
		mx_err_clear(&err);
		if (mx_lp_decode(&x, t, n, &err) != 0) {
			CHECK(err.code == MX_EFORMAT);
			continue;
		}
		decoded++;
		if (mx_sep_verify_lp(pub, &x, NULL) == 0)
			mx_test_fail_at(__FILE__, __LINE__, "byte %zu flipped and still verifies", i);
	}
	CHECK(decoded > 0);
	/* a field changed and the record not re-signed */
	mx_localpolicy x = lp;
	x.smb2 = false;
	CHECK_EQ_INT(mx_sep_verify_lp(pub, &x, NULL), MX_ESIGNATURE);
	x = lp;
	x.auxi[0] ^= 1;
	CHECK_EQ_INT(mx_sep_verify_lp(pub, &x, NULL), MX_ESIGNATURE);
	/* another Mac's key */
	CHECK_EQ_INT(mx_sep_verify_lp(opub, &lp, NULL), MX_ESIGNATURE);
	/* unsigned */
	x = lp;
	x.has_sig = false;
	CHECK_EQ_INT(mx_sep_verify_lp(pub, &x, NULL), MX_ESIGNATURE);
}

MX_TEST(boot_lp_decode_rejects)
{
	mx_localpolicy lp = sample_lp();
	uint8_t buf[MX_LP_MAX_LEN];
	size_t n = mx_lp_encode(&lp, false, buf, sizeof buf);
	mx_localpolicy x;
	mx_err err;
	/* truncated anywhere */
	for (size_t cut = 0; cut < n; cut++) {
		mx_err_clear(&err);
		if (mx_lp_decode(&x, buf, cut, &err) == 0)
			mx_test_fail_at(__FILE__, __LINE__, "decoded %zu of %zu bytes", cut, n);
	}
	/* trailing bytes */
	uint8_t t[MX_LP_MAX_LEN];
	memcpy(t, buf, n);
	t[n] = 0;
	mx_err_clear(&err);
	CHECK(mx_lp_decode(&x, t, n + 1, &err) != 0);
	/* bad magic, version */
	memcpy(t, buf, n);
	t[0] = 'X';
	CHECK_EQ_INT(mx_lp_decode(&x, t, n, &err), MX_EFORMAT);
	memcpy(t, buf, n);
	t[7] = 2;
	CHECK_EQ_INT(mx_lp_decode(&x, t, n, &err), MX_EFORMAT);
	/* a repeated tag: turn "smb2" into "smb0" */
	memcpy(t, buf, n);
	for (size_t i = 12; i + 4 <= n; i++)
		if (memcmp(t + i, "smb2", 4) == 0) {
			t[i + 3] = '0';
			break;
		}
	mx_err_clear(&err);
	CHECK_EQ_INT(mx_lp_decode(&x, t, n, &err), MX_EFORMAT);
	CHECK(strstr(err.msg, "repeated") != NULL);
	/* too big */
	CHECK_EQ_INT(mx_lp_decode(&x, t, MX_LP_MAX_LEN + 1, &err), MX_ETOOBIG);
}

MX_TEST(boot_uakl_hash_order_free)
{
	const char *a[] = { "B com.b", "A com.a", "C com.c" };
	const char *b[] = { "A com.a", "C com.c", "B com.b", "A com.a" };
	const char *c[] = { "A com.a", "B com.b" };
	uint8_t ha[48], hb[48], hc[48], h0[48], h0b[48];
	mx_boot_uakl_hash(a, 3, ha);
	mx_boot_uakl_hash(b, 4, hb);
	mx_boot_uakl_hash(c, 2, hc);
	mx_boot_uakl_hash(NULL, 0, h0);
	mx_boot_sha384(NULL, 0, h0b);
	CHECK(memcmp(ha, hb, 48) == 0);
	CHECK(memcmp(ha, hc, 48) != 0);
	CHECK(memcmp(h0, h0b, 48) == 0);   /* empty list = SHA-384 of "" */
}

MX_TEST(boot_lp_from_device)
{
	mx_device d;
	mkdev(&d, MX_ARCH_ARM64, MX_ENV_MACOS, MX_RECOVERY_NONE, MX_ENROLL_NONE);
	mx_localpolicy lp;
	mx_lp_from_device(&lp, &d);
	CHECK_EQ_INT(mx_lp_level(&lp), MX_SEC_FULL);
	CHECK(!lp.smb0 && !lp.has_sip0);
	/* a Mac created with SIP off is Permissive with sip0 */
	d.csr = MX_CSR_DISABLE_FLAGS;
	mx_lp_from_device(&lp, &d);
	CHECK_EQ_INT(mx_lp_level(&lp), MX_SEC_PERMISSIVE);
	CHECK(lp.has_sip0 && lp.sip0 == 0x7f);
	/* csrutil disable is 0x7F: not CSR_ALLOW_UNAPPROVED_KEXTS */
	CHECK((MX_CSR_DISABLE_FLAGS & MX_CSR_ALLOW_UNAPPROVED_KEXTS) == 0);
	lp.smb2 = true;
	mx_lp_to_device(&lp, &d);
	CHECK_EQ_INT(d.policy, MX_SEC_PERMISSIVE);
	CHECK(d.kext_user_management);
	CHECK_EQ_STR(mx_boot_secure_boot_level(&d), "off");
}
