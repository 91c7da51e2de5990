/* cmd_sysext.c — placeholder until the system extensions (issue 4) module lands; replaced by it. */
#include "tools.h"

int
cmd_sysext(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s: not in this build yet", argv[0]);
}

int
apple_systemextensionsctl(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s: not in this build yet", argv[0]);
}

int
cmd_sysext_approve(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s: not in this build yet", argv[0]);
}

int sysext_profiles_changed(struct mx_cli *cli, mx_device *d, mx_err *err) { return 0; }
int sysext_after_boot(struct mx_cli *cli, mx_device *d, mx_err *err) { return 0; }
int sysext_app_deleting(struct mx_cli *cli, mx_device *d, const char *app, const char *cred, mx_err *err) { return 0; }
