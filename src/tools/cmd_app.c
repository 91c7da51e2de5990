/* cmd_app.c — placeholder, being written (foundation). */
#include "tools.h"

int
cmd_app(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s: not in this build yet", argv[0]);
}

