/* cmd_fleet.c — placeholder until the fleets (issue 6) module lands; replaced by it. */
#include "tools.h"

int
cmd_fleet(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s: not in this build yet", argv[0]);
}

