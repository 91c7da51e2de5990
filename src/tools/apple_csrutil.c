/*
 * apple_csrutil.c — `csrutil`: System Integrity Protection as macOS's tool
 * shows and changes it (kernel-extensions.md §4.6).
 *
 * status prints the active configuration (the CSR word the running OS
 * booted with).  enable [--without ...], disable and clear work only in
 * recoveryOS and take effect at the next restart: on Intel they write NVRAM
 * csr-active-config; on Apple silicon they ask the Secure Enclave to change
 * the LocalPolicy's sip0 — an owner must authenticate, and any relaxation
 * moves the OS to Permissive Security, which needs recoveryOS entered with
 * the power button.  `csrutil disable` is CSR_DISABLE_FLAGS (0x7F), which
 * does not include CSR_ALLOW_UNAPPROVED_KEXTS.  macext extension: --as
 * USER:PASSWORD answers the Apple silicon prompts (otherwise read on stdin).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

#define NOT_RECOVERY "csrutil: failed to modify system integrity configuration. This tool " \
	"needs to be executed from the Recovery OS."
#define RESTART_INTEL "Please restart the machine for the changes to take effect."

static void
usage(struct mx_cli *cli, bool to_stderr)
{
	(to_stderr ? cli_etext : cli_text)(cli, "usage: csrutil <command>\n"
	    "Modify the System Integrity Protection configuration. All configuration changes "
	    "apply to the entire machine.\n"
	    "Available commands:\n\n"
	    "    clear\n        Clear the existing configuration.\n"
	    "    disable\n        Disable the protection on the machine. Only available in "
	    "Recovery OS.\n"
	    "    enable\n        Enable the protection on the machine. Only available in "
	    "Recovery OS.\n"
	    "    status\n        Display the current configuration.\n\n"
	    "    authenticated-root\n"
	    "        disable\n            Disable the authenticated root configuration.\n"
	    "        enable\n            Enable the authenticated root configuration.\n"
	    "        status\n            Display the authenticated root configuration.\n");
}

/* The lines of a custom configuration; "enabled" means the protection is on,
 * except Apple Internal, which is on when its bit is set. */
static const struct { const char *label; uint32_t bits; bool positive; } cfg[] = {
	{ "Apple Internal", MX_CSR_ALLOW_APPLE_INTERNAL, true },
	{ "Kext Signing", MX_CSR_ALLOW_UNTRUSTED_KEXTS, false },
	{ "Filesystem Protections", MX_CSR_ALLOW_UNRESTRICTED_FS, false },
	{ "Debugging Restrictions", MX_CSR_ALLOW_TASK_FOR_PID | MX_CSR_ALLOW_KERNEL_DEBUGGER, false },
	{ "DTrace Restrictions", MX_CSR_ALLOW_UNRESTRICTED_DTRACE, false },
	{ "NVRAM Protections", MX_CSR_ALLOW_UNRESTRICTED_NVRAM, false },
	{ "BaseSystem Verification", MX_CSR_ALLOW_ANY_RECOVERY_OS, false },
};

/* enable --without NAME */
static const struct { const char *name; uint32_t bits; } without[] = {
	{ "kext", MX_CSR_ALLOW_UNTRUSTED_KEXTS },
	{ "fs", MX_CSR_ALLOW_UNRESTRICTED_FS },
	{ "debug", MX_CSR_ALLOW_TASK_FOR_PID | MX_CSR_ALLOW_KERNEL_DEBUGGER },
	{ "dtrace", MX_CSR_ALLOW_UNRESTRICTED_DTRACE },
	{ "nvram", MX_CSR_ALLOW_UNRESTRICTED_NVRAM },
	{ "basesystem", MX_CSR_ALLOW_ANY_RECOVERY_OS },
};

static void
print_status(struct mx_cli *cli, uint32_t csr)
{
	if (csr == 0) {
		cli_out(cli, "System Integrity Protection status: enabled.\n");
		return;
	}
	if ((csr & MX_CSR_DISABLE_FLAGS) == MX_CSR_DISABLE_FLAGS) {
		cli_out(cli, "System Integrity Protection status: disabled.\n");
		return;
	}
	cli_out(cli, "System Integrity Protection status: enabled (Custom Configuration).\n\n"
	    "Configuration:\n");
	for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
		bool set = (csr & cfg[i].bits) != 0;
		cli_out(cli, "    %s: %s\n", cfg[i].label,
		    (cfg[i].positive ? set : !set) ? "enabled" : "disabled");
	}
	cli_out(cli, "\nThis is an unsupported configuration, likely to break in the future and leave "
	    "your machine in an unknown state.\n");
}

/* Reads one line from stdin after printing prompt; "" at EOF. */
static void
ask(struct mx_cli *cli, const char *prompt, char *buf, size_t len)
{
	cli_out(cli, "%s", prompt);
	fflush(stdout);
	buf[0] = '\0';
	if (fgets(buf, (int)len, stdin) == NULL)
		buf[0] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
}

static const char *ask_cred(struct mx_cli *cli, char *cbuf, size_t len);

/* A failure csrutil reports itself: its message on stderr, exit 1. */
static int
failed(struct mx_cli *cli, mx_op *op, const char *prefix, mx_err *err)
{
	mx_op_abort(op);
	cli_errf(cli, "%s%s\n", prefix, err->msg);
	return cli_tool_fail(cli, 1, err);
}

static int
change(struct mx_cli *cli, const char *cmd, uint32_t bits, const char *cred, mx_err *err)
{
	mx_op *op;
	int rc = cli_op(cli, MX_OP_WRITE, &op, err);
	if (rc)
		return rc;
	const mx_device *d = mx_op_device(op);
	/* outside recoveryOS the engine refuses (and logs) before any prompt */
	if (d->env != MX_ENV_RECOVERY || d->arch != MX_ARCH_ARM64) {
		bool intel = d->arch != MX_ARCH_ARM64 && d->env == MX_ENV_RECOVERY;
		if ((rc = mx_op_csrutil_set(op, cmd, bits, cred, err)))
			return failed(cli, op, "", err);
		if ((rc = mx_op_commit(op, err)))
			return rc;
		if (intel)
			cli_out(cli, "Successfully %s System Integrity Protection. " RESTART_INTEL "\n",
			    strcmp(cmd, "disable") == 0 ? "disabled" : strcmp(cmd, "clear") == 0 ?
			    "cleared" : "enabled");
		return 0;
	}
	/* Apple silicon: the Secure Enclave changes sip0 for an owner */
	char cbuf[300];
	if (cred == NULL) {
		char yn[16];
		if (bits != 0) {
			cli_out(cli, "Turning System Integrity Protection %s requires modifying system "
			    "security.\n", strcmp(cmd, "disable") == 0 ? "off" : "to a custom configuration");
			ask(cli, "Allow booting unsigned operating systems and any kernel extensions for OS "
			    "\"Macintosh HD\"? [y/n]: ", yn, sizeof yn);
			if (yn[0] != 'y' && yn[0] != 'Y') {
				mx_op_abort(op);
				cli_errf(cli, "csrutil: cancelled.\n");
				return cli_tool_fail(cli, 1, err);
			}
		}
		cred = ask_cred(cli, cbuf, sizeof cbuf);
	}
	rc = mx_op_csrutil_set(op, cmd, bits, cred, err);
	memset(cbuf, 0, sizeof cbuf);
	if (rc)
		return failed(cli, op, "csrutil: ", err);
	if ((rc = mx_op_commit(op, err)))
		return rc;
	cli_out(cli, "System Integrity Protection is %s.\n"
	    "Restart the machine for the changes to take effect.\n", bits ? "off" : "on");
	return 0;
}

/* Asks for an authorized user on Apple silicon when --as is absent. */
static const char *
ask_cred(struct mx_cli *cli, char *cbuf, size_t len)
{
	char user[64], pw[200], prompt[128];
	ask(cli, "Enter an authorized user name: ", user, sizeof user);
	snprintf(prompt, sizeof prompt, "Enter password for user %s: ", user);
	ask(cli, prompt, pw, sizeof pw);
	snprintf(cbuf, len, "%s:%s", user, pw);
	memset(pw, 0, sizeof pw);
	return cbuf;
}

static int
auth_root(struct mx_cli *cli, int argc, char **argv, const char *cred, mx_err *err)
{
	bool st = argc == 3 && strcmp(argv[2], "status") == 0;
	bool en = argc == 3 && strcmp(argv[2], "enable") == 0;
	bool dis = argc == 3 && strcmp(argv[2], "disable") == 0;
	if (!st && !en && !dis) {
		usage(cli, true);
		return cli_tool_fail(cli, 1, err);
	}
	mx_op *op;
	int rc = cli_op(cli, st ? MX_OP_READ : MX_OP_WRITE, &op, err);
	if (rc)
		return rc;
	if (st) {
		mx_security_info si;
		if ((rc = cli_end(op, mx_op_security_info(op, &si, err), err)))
			return rc;
		cli_out(cli, "Authenticated Root status: %s\n", si.authenticated_root ? "enabled" :
		    "disabled");
		return 0;
	}
	const mx_device *d = mx_op_device(op);
	if (d->env != MX_ENV_RECOVERY || d->arch != MX_ARCH_ARM64) {
		bool intel = d->arch != MX_ARCH_ARM64 && d->env == MX_ENV_RECOVERY;
		if ((rc = mx_op_csrutil_authroot(op, dis, cred, err)))
			return failed(cli, op, "", err);
		if ((rc = mx_op_commit(op, err)))
			return rc;
		if (intel)
			cli_out(cli, "Successfully %s Authenticated Root. " RESTART_INTEL "\n",
			    dis ? "disabled" : "enabled");
		return 0;
	}
	char cbuf[300];
	if (cred == NULL)
		cred = ask_cred(cli, cbuf, sizeof cbuf);
	rc = mx_op_csrutil_authroot(op, dis, cred, err);
	memset(cbuf, 0, sizeof cbuf);
	if (rc)
		return failed(cli, op, "csrutil: ", err);
	if ((rc = mx_op_commit(op, err)))
		return rc;
	cli_out(cli, "Authenticated Root is %s.\nRestart the machine for the changes to take effect.\n",
	    dis ? "off" : "on");
	return 0;
}

int
apple_csrutil(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *cred = arg_value(&argc, argv, "--as");
	const char *wo[8];
	int nwo = arg_values(&argc, argv, "--without", wo, 8);
	if (argc < 2) {
		usage(cli, false);
		return 0;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "authenticated-root") == 0)
		return auth_root(cli, argc, argv, cred, err);
	if (argc != 2 || (nwo && strcmp(cmd, "enable") != 0)) {
		usage(cli, true);
		return cli_tool_fail(cli, 1, err);
	}
	if (strcmp(cmd, "status") == 0) {
		mx_device d;
		int rc = cli_store(cli, err);
		if (rc || (rc = mx_engine_device_get(cli->eng, cli->device_name, &d, err)))
			return rc;
		print_status(cli, d.csr);
		return 0;
	}
	uint32_t bits = 0;
	if (strcmp(cmd, "disable") == 0) {
		bits = MX_CSR_DISABLE_FLAGS;
	} else if (strcmp(cmd, "enable") == 0) {
		for (int i = 0; i < nwo; i++) {
			size_t k;
			for (k = 0; k < sizeof without / sizeof without[0]; k++)
				if (strcmp(wo[i], without[k].name) == 0)
					break;
			if (k == sizeof without / sizeof without[0]) {
				cli_errf(cli, "csrutil: unknown option for --without: %s\n", wo[i]);
				return cli_tool_fail(cli, 1, err);
			}
			bits |= without[k].bits;
		}
	} else if (strcmp(cmd, "clear") != 0) {
		usage(cli, true);
		return cli_tool_fail(cli, 1, err);
	}
	return change(cli, cmd, bits, cred, err);
}
