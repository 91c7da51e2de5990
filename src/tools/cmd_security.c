/*
 * cmd_security.c — Startup Security Utility (`macext security set|show`)
 * and `bputil`, the two ways a person changes an Apple silicon Mac's
 * LocalPolicy.  The rules (where, who, what each option implies) are the
 * core's (mx_boot_authorize); this file parses, prints, stores, and records
 * every change and every refusal in the event log.
 * Spec: kernel-extensions.md §4.1-§4.4; bputil(1) for flags and output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot_tools.h"
#include "macext/rd.h"

#define SET_USAGE "macext security set full|reduced|permissive [--kext-user-management]" \
	" [--kext-remote-management] --as USER:PASSWORD"

static const char *
level_title(enum mx_secpolicy p)
{
	return p == MX_SEC_FULL ? "Full Security" : p == MX_SEC_REDUCED ? "Reduced Security"
	    : "Permissive Security";
}

static int
security_set(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *cred = arg_value(&argc, argv, "--as");
	bool kuser = arg_flag(&argc, argv, "--kext-user-management");
	bool kremote = arg_flag(&argc, argv, "--kext-remote-management");
	int rc = arg_check(argc, argv, 1, 1, SET_USAGE, err);
	if (rc)
		return rc;
	mx_lp_request req = { .origin = MX_ORIGIN_SSU, .rebuild = true };
	if ((rc = mx_secpolicy_parse(&req.level, argv[1], err)))
		return rc;
	if (req.level == MX_SEC_FULL && (kuser || kremote))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "the kernel extension options belong to Reduced Security (or Permissive), not Full");
	req.kext_user = kuser;
	req.kext_remote = kremote;
	mx_device d;
	if ((rc = cli_begin_device(cli, &d, err)))
		return rc;
	if (d.arch != MX_ARCH_ARM64)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET,
		    "%s is an Intel Mac: the Full/Reduced/Permissive security policy belongs to Macs "
		    "with Apple silicon", d.name);
	if (req.level == MX_SEC_PERMISSIVE && d.policy != MX_SEC_PERMISSIVE) {
		/* §4.1: Permissive is reachable only with command-line tools;
		 * the utility shows it once the OS is already Permissive. */
		mx_err_clear(err);
		MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET,
		    "Startup Security Utility offers Full and Reduced Security; Permissive Security "
		    "is set with csrutil or bputil -n in recoveryOS");
		return boot_refuse(cli, &d, "ssu", "Startup Security Utility: Permissive Security", err);
	}
	if ((rc = boot_apply_request(cli, &d, &req, cred, "Startup Security Utility", err)))
		return rc;
	mx_localpolicy lp;
	bool valid;
	if ((rc = boot_lp_load(cli, &d, &lp, &valid, err)) || (rc = cli_commit(cli, err)))
		return rc;
	char sum[400];
	boot_policy_summary(sum, sizeof sum, &lp);
	if (!cli->quiet)
		printf("Security policy of \"Macintosh HD\" set to %s.\n"
		    "Restart your Mac for the change to take effect.\n", sum);
	return 0;
}

static json_t *
lp_json(const mx_localpolicy *lp, bool valid)
{
	char h[2 * MX_LP_HASH_LEN + 1];
	json_t *j = json_object();
	json_object_set_new(j, "valid", json_boolean(valid));
	json_object_set_new(j, "volume_group", json_string(lp->vuid));
	json_object_set_new(j, "nonce", json_integer((json_int_t)lp->nonce));
	json_object_set_new(j, "level", json_string(mx_secpolicy_name(mx_lp_level(lp))));
	json_object_set_new(j, "smb0", json_boolean(lp->smb0));
	json_object_set_new(j, "smb1", json_boolean(lp->smb1));
	json_object_set_new(j, "smb2", json_boolean(lp->smb2));
	json_object_set_new(j, "smb3", json_boolean(lp->smb3));
	json_object_set_new(j, "smb4", json_boolean(lp->smb4));
	json_object_set_new(j, "sip0", lp->has_sip0 ? json_integer(lp->sip0) : json_null());
	json_object_set_new(j, "sip1", json_boolean(lp->sip1));
	json_object_set_new(j, "sip2", json_boolean(lp->sip2));
	json_object_set_new(j, "sip3", json_boolean(lp->sip3));
	const struct { const char *k; bool has; const uint8_t *v; } aux[3] = {
		{ "auxp", lp->has_auxp, lp->auxp }, { "auxi", lp->has_auxi, lp->auxi },
		{ "auxr", lp->has_auxr, lp->auxr } };
	for (int i = 0; i < 3; i++) {
		if (aux[i].has)
			mx_hex_encode(h, aux[i].v, MX_LP_HASH_LEN);
		json_object_set_new(j, aux[i].k, aux[i].has ? json_string(h) : json_null());
	}
	return j;
}

/* SecurityInfo-like (information.security.yaml) plus the LocalPolicy. */
static int
security_show(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext security show [--json]", err);
	mx_device d;
	if (rc || (rc = cli_begin_device(cli, &d, err)))
		return rc;
	mx_localpolicy lp;
	bool valid;
	if ((rc = boot_lp_load(cli, &d, &lp, &valid, err)) || (rc = cli_commit(cli, err)))
		return rc;
	bool as = d.arch == MX_ARCH_ARM64;
	json_t *j = json_object();
	json_object_set_new(j, "SystemIntegrityProtectionEnabled", json_boolean(d.csr == 0));
	json_t *sb = json_object();
	json_object_set_new(sb, "SecureBootLevel", json_string(mx_boot_secure_boot_level(&d)));
	if (as && d.policy == MX_SEC_REDUCED) {
		json_t *rs = json_array();
		if (d.kext_user_management)
			json_array_append_new(rs, json_string("AllowsUserKextApproval"));
		if (d.kext_remote_management)
			json_array_append_new(rs, json_string("AllowsMDM"));
		json_object_set_new(sb, "ReducedSecurity", rs);
	}
	json_object_set_new(j, "SecureBoot", sb);
	json_object_set_new(j, "AuthenticatedRootVolumeEnabled",
	    json_boolean(!(d.csr & MX_CSR_ALLOW_UNAUTHENTICATED_ROOT) && !(as && lp.sip1)));
	const char *bt = !as ? "not supported"
	    : d.enroll == MX_ENROLL_AUTOMATED && d.bootstrap_escrowed ? "allowed" : "disallowed";
	json_object_set_new(j, "BootstrapTokenAllowedForAuthentication", json_string(bt));
	json_object_set_new(j, "BootstrapTokenRequiredForKernelExtensionApproval",
	    json_boolean(as && strcmp(bt, "allowed") == 0));
	json_object_set_new(j, "policy", json_string(mx_secpolicy_name(d.policy)));
	json_object_set_new(j, "kext_user_management", json_boolean(d.kext_user_management));
	json_object_set_new(j, "kext_remote_management", json_boolean(d.kext_remote_management));
	mx_boot_gate gu, gm;
	mx_boot_kext_gate(&d, as ? &lp : NULL, valid, MX_APPROVER_USER, &gu);
	mx_boot_kext_gate(&d, as ? &lp : NULL, valid, MX_APPROVER_MDM, &gm);
	json_object_set_new(j, "third_party_kexts_user", json_boolean(gu.allowed));
	json_object_set_new(j, "third_party_kexts_mdm", json_boolean(gm.allowed));
	json_t *gates = json_object();
	const mx_boot_gate *gs[2] = { &gu, &gm };
	static const char *gates_names[2] = { "user", "mdm" };
	static const char *actions[] = { [MX_GATE_NONE] = "none",
		[MX_GATE_1TR_USER_MGMT] = "recovery-power-button-user-management",
		[MX_GATE_1TR_REMOTE_MGMT] = "recovery-power-button-remote-management",
		[MX_GATE_MDM_BOOTSTRAP] = "mdm-bootstrap-token",
		[MX_GATE_TAMPERED] = "localpolicy-invalid" };
	for (int i = 0; i < 2; i++) {
		json_t *g = json_object();
		json_object_set_new(g, "allowed", json_boolean(gs[i]->allowed));
		json_object_set_new(g, "action", json_string(actions[gs[i]->action]));
		json_object_set_new(g, "tag", gs[i]->tag ? json_string(gs[i]->tag) : json_null());
		json_object_set_new(g, "text", json_string(gs[i]->text));
		json_object_set_new(gates, gates_names[i], g);
	}
	json_object_set_new(j, "kext_gate", gates);
	json_object_set_new(j, "localpolicy", as ? lp_json(&lp, valid) : json_null());
	if (cli->json) {
		cli_json_print(j);
		return 0;
	}
	printf("Security policy:        %s\n", as ? level_title(d.policy) : "(Intel: no LocalPolicy)");
	if (as) {
		printf("User kext management:   %s\n", d.kext_user_management ? "allowed" : "not allowed");
		printf("Remote kext management: %s\n", d.kext_remote_management ? "allowed" : "not allowed");
		printf("LocalPolicy signature:  %s\n", valid ? "valid" : "INVALID");
	}
	printf("SIP:                    %s (0x%x)\n", d.csr == 0 ? "enabled" : "disabled/custom", d.csr);
	printf("Third-party kexts:      %s\n", gu.allowed ? "may load after approval"
	    : gm.allowed ? "MDM-approved only" : "blocked by the security policy");
	if (!gu.allowed && gu.text[0])
		printf("\nKexts you approve: %s\n", gu.text);
	if (!gm.allowed && gm.text[0] && strcmp(gm.text, gu.text) != 0)
		printf("\nKexts your organization approves: %s\n", gm.text);
	json_decref(j);
	return 0;
}

int
cmd_security(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	if (argc >= 2 && strcmp(argv[1], "set") == 0)
		return security_set(cli, argc - 1, argv + 1, err);
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return security_show(cli, argc - 1, argv + 1, err);
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "usage: %s | macext security show [--json]",
	    SET_USAGE);
}

/* ---- bputil ---- */

static void
bputil_usage(FILE *f)
{
	fputs("bputil v0.1.3 - a tool to modify boot policies\n"
	    "Usage: bputil [options]\n"
	    "  -u, --username USER           owner's user name\n"
	    "  -p, --password PASSWORD       owner's password\n"
	    "  -d, --display-policy          display the local policy of the booted OS\n"
	    "  -e, --display-all-policies    display the local policies of every OS\n"
	    "  -j, --json                    display as JSON\n"
	    "  -f, --full-security           Full Security (any environment)\n"
	    "  -g, --reduced-security        Reduced Security, from scratch (recoveryOS)\n"
	    "  -n, --permissive-security     Permissive Security, from scratch (1TR)\n"
	    "  -k, --enable-kexts            allow third-party kexts; implies Reduced (1TR)\n"
	    "  -m, --enable-mdm              allow MDM management of kexts and software updates;\n"
	    "                                implies Reduced (1TR)\n"
	    "  -c, --disable-kernel-ctrr     implies Permissive (1TR)\n"
	    "  -a, --disable-boot-args-restriction  implies Permissive (1TR)\n"
	    "  -s, --disable-ssv             implies Permissive (1TR)\n", f);
}

static const char *
yesno(bool b, const char *y, const char *n)
{
	return b ? y : n;
}

static void
aux_line(const char *label, const char *tag, bool has, const uint8_t *h)
{
	char hx[2 * MX_LP_HASH_LEN + 1];
	if (has)
		mx_hex_encode(hx, h, MX_LP_HASH_LEN);
	printf("%-40s(%s): %s\n", label, tag, has ? hx : "absent");
}

static void
flag_line(const char *label, const char *state, const char *tag, bool present)
{
	printf("%-29s%-11s(%s): %s\n", label, state, tag, present ? "1" : "absent");
}

static void
bputil_display(const mx_device *d, const mx_localpolicy *lp, bool valid)
{
	printf("Local policy for volume group %s:\n", lp->vuid);
	printf("OS environment:\n");
	printf("%-46s: %s\n", "OS Type", d->env == MX_ENV_RECOVERY ? "recoveryOS" : "macOS");
	printf("%-46s: %s\n", "OS Pairing Status", "Paired");
	printf("Local policy:\n");
	printf("%-46s: %s\n", "Pairing Integrity", "Valid");
	printf("%-46s: %s\n", "Signature Type", "SEP (simulated, Ed25519)");
	printf("%-46s: %s\n", "Signature Verification", valid ? "Valid" : "Invalid");
	printf("%-46s: %llu\n", "LocalPolicy Nonce Generation", (unsigned long long)lp->nonce);
	aux_line("User Authorized Kext List Hash", "auxp", lp->has_auxp, lp->auxp);
	aux_line("Auxiliary Kernel Cache Image4 Hash", "auxi", lp->has_auxi, lp->auxi);
	aux_line("Kext Receipt Hash", "auxr", lp->has_auxr, lp->auxr);
	printf("%-40s(%s): %s\n", "CustomKC or fuOS Image4 Hash", "coih", "absent");
	if (lp->smb0 && lp->smb1)
		printf("%-29s%-11s(smb0 && smb1): 1\n", "Security Mode:", "Permissive");
	else
		flag_line("Security Mode:", lp->smb0 ? "Reduced" : "Full", "smb0", lp->smb0);
	flag_line("3rd Party Kexts Status:", yesno(lp->smb2, "Enabled", "Disabled"), "smb2", lp->smb2);
	flag_line("User-allowed MDM Control:", yesno(lp->smb3, "Enabled", "Disabled"), "smb3", lp->smb3);
	flag_line("DEP-allowed MDM Control:", yesno(lp->smb4, "Enabled", "Disabled"), "smb4", lp->smb4);
	if (lp->has_sip0)
		printf("%-29s%-11s(sip0): 0x%x\n", "SIP Status:", lp->sip0 ? "Disabled" : "Enabled",
		    lp->sip0);
	else
		flag_line("SIP Status:", "Enabled", "sip0", false);
	flag_line("Signed System Volume Status:", yesno(lp->sip1, "Disabled", "Enabled"), "sip1", lp->sip1);
	flag_line("Kernel CTRR Status:", yesno(lp->sip2, "Disabled", "Enabled"), "sip2", lp->sip2);
	flag_line("Boot Args Filtering Status:", yesno(lp->sip3, "Disabled", "Enabled"), "sip3", lp->sip3);
}

static const char *
opt(int *argc, char **argv, const char *s, const char *l)
{
	const char *v = arg_value(argc, argv, s);
	return v ? v : arg_value(argc, argv, l);
}

static bool
flg(int *argc, char **argv, const char *s, const char *l)
{
	bool a = arg_flag(argc, argv, s);
	bool b = arg_flag(argc, argv, l);
	return a || b;
}

int
apple_bputil(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *user = opt(&argc, argv, "-u", "--username");
	const char *pass = opt(&argc, argv, "-p", "--password");
	bool disp = flg(&argc, argv, "-d", "--display-policy");
	bool dall = flg(&argc, argv, "-e", "--display-all-policies");
	bool json = flg(&argc, argv, "-j", "--json") || cli->json;
	bool f = flg(&argc, argv, "-f", "--full-security");
	bool g = flg(&argc, argv, "-g", "--reduced-security");
	bool n = flg(&argc, argv, "-n", "--permissive-security");
	bool k = flg(&argc, argv, "-k", "--enable-kexts");
	bool m = flg(&argc, argv, "-m", "--enable-mdm");
	bool c = flg(&argc, argv, "-c", "--disable-kernel-ctrr");
	bool a = flg(&argc, argv, "-a", "--disable-boot-args-restriction");
	bool s = flg(&argc, argv, "-s", "--disable-ssv");
	bool help = flg(&argc, argv, "-h", "--help");
	if (help) {
		bputil_usage(stdout);
		return 0;
	}
	if (argc > 1 || (!disp && !dall && !json && !f && !g && !n && !k && !m && !c && !a && !s)) {
		if (argc > 1)
			fprintf(stderr, "bputil: unknown option '%s'\n", argv[1]);
		bputil_usage(stderr);
		return -1;
	}
	bool modify = f || g || n || k || m || c || a || s;
	if (f && (g || n || k || m || c || a || s)) {
		fputs("bputil: -f (Full Security) cannot be combined with any option that lowers "
		    "security\n", stderr);
		return -1;
	}
	if (g && n) {
		fputs("bputil: -g and -n are mutually exclusive\n", stderr);
		return -1;
	}
	mx_device d;
	int rc = cli_begin_device(cli, &d, err);
	if (rc)
		return rc;
	if (d.arch != MX_ARCH_ARM64) {
		cli_rollback(cli);
		fputs("bputil: this tool is only supported on Macs with Apple silicon\n", stderr);
		return -1;
	}
	if (modify) {
		mx_lp_request req = { .origin = MX_ORIGIN_BPUTIL };
		req.level = f ? MX_SEC_FULL : n || c || a || s ? MX_SEC_PERMISSIVE : MX_SEC_REDUCED;
		if (!f && !g && !n && d.policy == MX_SEC_PERMISSIVE)
			req.level = MX_SEC_PERMISSIVE;     /* -k/-m keep a Permissive OS Permissive */
		req.rebuild = g || n;
		req.kext_user = k;
		req.kext_remote = m;
		req.ctrr_off = c;
		req.bootargs_off = a;
		req.ssv_off = s;
		char cred[256];
		const char *credp = NULL;
		if (user && pass) {
			snprintf(cred, sizeof cred, "%s:%s", user, pass);
			credp = cred;
		}
		rc = boot_apply_request(cli, &d, &req, credp, "bputil", err);
		if (rc) {
			fprintf(stderr, "bputil: %s\n", err->msg);
			mx_err_clear(err);
			return -1;
		}
		printf("Successfully updated the local policy of volume group %s.\n", d.udid);
	}
	mx_localpolicy lp;
	bool valid;
	if ((rc = boot_lp_load(cli, &d, &lp, &valid, err)) || (rc = cli_commit(cli, err)))
		return rc;
	if (json) {
		cli_json_print(lp_json(&lp, valid));
	} else if (disp || dall) {
		bputil_display(&d, &lp, valid);
	}
	return 0;
}
