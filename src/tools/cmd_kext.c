/* cmd_kext.c — placeholder until the kernel extensions (issue 5) module lands; replaced by it. */
#include "tools.h"

int
cmd_kext(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s: not in this build yet", argv[0]);
}

int
apple_kmutil(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s: not in this build yet", argv[0]);
}

int
apple_kextstat(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s: not in this build yet", argv[0]);
}

int
apple_kextload(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s: not in this build yet", argv[0]);
}

int
apple_kextunload(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s: not in this build yet", argv[0]);
}

int
cmd_kext_approve(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s: not in this build yet", argv[0]);
}

int kext_profiles_changed(struct mx_cli *cli, mx_device *d, mx_err *err) { return 0; }
int kext_before_restart(struct mx_cli *cli, mx_device *d, bool rebuild_kc, const char **kext_paths, int npaths, mx_err *err) { return 0; }
int kext_after_boot(struct mx_cli *cli, mx_device *d, mx_err *err) { return 0; }
