/* cmd_validate.c — placeholder until the profile validation (issue 2) module lands; replaced by it. */
#include "tools.h"

int
cmd_profiles_validate(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s: not in this build yet", argv[0]);
}

