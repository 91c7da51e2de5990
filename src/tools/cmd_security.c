/*
 * cmd_security.c — Startup Security Utility (`macext security set|show`)
 * and `bputil`, the two ways a person changes an Apple silicon Mac's
 * LocalPolicy.  The rules (where, who, what each option implies) are the
 * core's (mx_boot_authorize) and the operations the engine's
 * (src/engine/security.c, boot.c); this file parses and prints.
 * Spec: kernel-extensions.md §4.1-§4.4; bputil(1) for flags and output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/rd.h"
#include "tools.h"

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
	enum mx_secpolicy level;
	if ((rc = mx_secpolicy_parse(&level, argv[1], err)))
		return rc;
	if (level == MX_SEC_FULL && (kuser || kremote))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "the kernel extension options belong to Reduced Security (or Permissive), not Full");
	mx_op *op;
	mx_security_info si;
	if ((rc = cli_op(cli, MX_OP_WRITE, &op, err)))
		return rc;
	if ((rc = mx_op_ssu_set(op, level, kuser, kremote, cred, err)) == 0)
		rc = mx_op_security_info(op, &si, err);
	if ((rc = cli_end(op, rc, err)))
		return rc;
	char sum[400];
	mx_security_policy_summary(sum, sizeof sum, &si.lp);
	cli_out(cli, "Security policy of \"Macintosh HD\" set to %s.\n"
	    "Restart your Mac for the change to take effect.\n", sum);
	return 0;
}

/* SecurityInfo-like (information.security.yaml) plus the LocalPolicy. */
static int
security_show(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext security show [--json]", err);
	mx_op *op;
	mx_security_info si;
	if (rc || (rc = cli_op(cli, MX_OP_READ, &op, err)))
		return rc;
	if ((rc = cli_end(op, mx_op_security_info(op, &si, err), err)))
		return rc;
	if (cli->json) {
		json_t *j;
		return cli_json(cli, mx_json_security_info(&j, &si, err), &j);
	}
	bool as = si.apple_silicon;
	cli_out(cli, "Security policy:        %s\n", as ? level_title(si.policy) :
	    "(Intel: no LocalPolicy)");
	if (as) {
		cli_out(cli, "User kext management:   %s\n", si.kext_user_management ? "allowed" :
		    "not allowed");
		cli_out(cli, "Remote kext management: %s\n", si.kext_remote_management ? "allowed" :
		    "not allowed");
		cli_out(cli, "LocalPolicy signature:  %s\n", si.lp_valid ? "valid" : "INVALID");
	}
	cli_out(cli, "SIP:                    %s (0x%x)\n", si.csr == 0 ? "enabled" :
	    "disabled/custom", si.csr);
	const mx_boot_gate *gu = &si.gate_user, *gm = &si.gate_mdm;
	cli_out(cli, "Third-party kexts:      %s\n", gu->allowed ? "may load after approval"
	    : gm->allowed ? "MDM-approved only" : "blocked by the security policy");
	if (!gu->allowed && gu->text[0])
		cli_out(cli, "\nKexts you approve: %s\n", gu->text);
	if (!gm->allowed && gm->text[0] && strcmp(gm->text, gu->text) != 0)
		cli_out(cli, "\nKexts your organization approves: %s\n", gm->text);
	return 0;
}

static const cli_verb security_verbs_v[] = {
	{ "set", security_set, CLI_ACT },
	{ "show", security_show, CLI_SHOW },
};
const cli_verbs security_verbs = CLI_VERBS("security", security_verbs_v,
    SET_USAGE " | macext security show [--json]");

int
cmd_security(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return cli_dispatch(cli, &security_verbs, argc, argv, err);
}

/* ---- bputil ---- */

static void
bputil_usage(struct mx_cli *cli, bool to_stderr)
{
	(to_stderr ? cli_etext : cli_text)(cli, "bputil v0.1.3 - a tool to modify boot policies\n"
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
	    "  -s, --disable-ssv             implies Permissive (1TR)\n");
}

static const char *
yesno(bool b, const char *y, const char *n)
{
	return b ? y : n;
}

static void
aux_line(struct mx_cli *cli, const char *label, const char *tag, bool has, const uint8_t *h)
{
	char hx[2 * MX_LP_HASH_LEN + 1];
	if (has)
		mx_hex_encode(hx, h, MX_LP_HASH_LEN);
	cli_out(cli, "%-40s(%s): %s\n", label, tag, has ? hx : "absent");
}

static void
flag_line(struct mx_cli *cli, const char *label, const char *state, const char *tag, bool present)
{
	cli_out(cli, "%-29s%-11s(%s): %s\n", label, state, tag, present ? "1" : "absent");
}

static void
bputil_display(struct mx_cli *cli, const mx_device *d, const mx_localpolicy *lp, bool valid)
{
	cli_out(cli, "Local policy for volume group %s:\n", lp->vuid);
	cli_out(cli, "OS environment:\n");
	cli_out(cli, "%-46s: %s\n", "OS Type", d->env == MX_ENV_RECOVERY ? "recoveryOS" : "macOS");
	cli_out(cli, "%-46s: %s\n", "OS Pairing Status", "Paired");
	cli_out(cli, "Local policy:\n");
	cli_out(cli, "%-46s: %s\n", "Pairing Integrity", "Valid");
	cli_out(cli, "%-46s: %s\n", "Signature Type", "SEP (simulated, Ed25519)");
	cli_out(cli, "%-46s: %s\n", "Signature Verification", valid ? "Valid" : "Invalid");
	cli_out(cli, "%-46s: %llu\n", "LocalPolicy Nonce Generation", (unsigned long long)lp->nonce);
	aux_line(cli, "User Authorized Kext List Hash", "auxp", lp->has_auxp, lp->auxp);
	aux_line(cli, "Auxiliary Kernel Cache Image4 Hash", "auxi", lp->has_auxi, lp->auxi);
	aux_line(cli, "Kext Receipt Hash", "auxr", lp->has_auxr, lp->auxr);
	cli_out(cli, "%-40s(%s): %s\n", "CustomKC or fuOS Image4 Hash", "coih", "absent");
	if (lp->smb0 && lp->smb1)
		cli_out(cli, "%-29s%-11s(smb0 && smb1): 1\n", "Security Mode:", "Permissive");
	else
		flag_line(cli, "Security Mode:", lp->smb0 ? "Reduced" : "Full", "smb0", lp->smb0);
	flag_line(cli, "3rd Party Kexts Status:", yesno(lp->smb2, "Enabled", "Disabled"), "smb2", lp->smb2);
	flag_line(cli, "User-allowed MDM Control:", yesno(lp->smb3, "Enabled", "Disabled"), "smb3", lp->smb3);
	flag_line(cli, "DEP-allowed MDM Control:", yesno(lp->smb4, "Enabled", "Disabled"), "smb4", lp->smb4);
	if (lp->has_sip0)
		cli_out(cli, "%-29s%-11s(sip0): 0x%x\n", "SIP Status:", lp->sip0 ? "Disabled" : "Enabled",
		    lp->sip0);
	else
		flag_line(cli, "SIP Status:", "Enabled", "sip0", false);
	flag_line(cli, "Signed System Volume Status:", yesno(lp->sip1, "Disabled", "Enabled"), "sip1", lp->sip1);
	flag_line(cli, "Kernel CTRR Status:", yesno(lp->sip2, "Disabled", "Enabled"), "sip2", lp->sip2);
	flag_line(cli, "Boot Args Filtering Status:", yesno(lp->sip3, "Disabled", "Enabled"), "sip3", lp->sip3);
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
		bputil_usage(cli, false);
		return 0;
	}
	if (argc > 1 || (!disp && !dall && !json && !f && !g && !n && !k && !m && !c && !a && !s)) {
		if (argc > 1)
			cli_errf(cli, "bputil: unknown option '%s'\n", argv[1]);
		bputil_usage(cli, true);
		return cli_tool_fail(cli, 1, err);
	}
	bool modify = f || g || n || k || m || c || a || s;
	if (f && (g || n || k || m || c || a || s)) {
		cli_errf(cli, "bputil: -f (Full Security) cannot be combined with any option that lowers "
		    "security\n");
		return cli_tool_fail(cli, 1, err);
	}
	if (g && n) {
		cli_errf(cli, "bputil: -g and -n are mutually exclusive\n");
		return cli_tool_fail(cli, 1, err);
	}
	mx_op *op;
	int rc = cli_op(cli, modify ? MX_OP_WRITE : MX_OP_READ, &op, err);
	if (rc)
		return rc;
	const mx_device *d = mx_op_device(op);
	if (d->arch != MX_ARCH_ARM64) {
		mx_op_abort(op);
		cli_errf(cli, "bputil: this tool is only supported on Macs with Apple silicon\n");
		return cli_tool_fail(cli, 1, err);
	}
	if (modify) {
		mx_lp_request req = { .origin = MX_ORIGIN_BPUTIL };
		req.level = f ? MX_SEC_FULL : n || c || a || s ? MX_SEC_PERMISSIVE : MX_SEC_REDUCED;
		if (!f && !g && !n && d->policy == MX_SEC_PERMISSIVE)
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
		if ((rc = mx_op_security_set(op, &req, credp, "bputil", err))) {
			mx_op_abort(op);
			cli_errf(cli, "bputil: %s\n", err->msg);
			return cli_tool_fail(cli, 1, err);
		}
		cli_out(cli, "Successfully updated the local policy of volume group %s.\n", d->udid);
	}
	mx_device dev = *d;
	mx_security_info si;
	if ((rc = cli_end(op, mx_op_security_info(op, &si, err), err)))
		return rc;
	if (json) {
		json_t *j;
		return cli_json(cli, mx_json_localpolicy(&j, &si.lp, si.lp_valid, err), &j);
	} else if (disp || dall) {
		bputil_display(cli, &dev, &si.lp, si.lp_valid);
	}
	return 0;
}
