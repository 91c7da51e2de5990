/*
 * dl_ssl.c — the libssl table (dl_ssl.h) and its loader.
 */
#include "daemon/dl_ssl.h"

MX_DL_SSL_SYMS(MX_DL_DEFINE)

static const struct mx_dl_sym syms[] = { MX_DL_SSL_SYMS(MX_DL_ENTRY) };
static struct mx_dl_lib lib = {
	.soname = "libssl.so.3",
	.package = "libssl3",
	.purpose = "by the MDM agent (mdm agent, serve --mdm)",
	.syms = syms,
	.nsyms = sizeof syms / sizeof syms[0],
	.once = PTHREAD_ONCE_INIT,
};

static void
open_lib(void)
{
	mx_dl_open(&lib);
}

int
mx_dl_ssl(mx_err *err)
{
	pthread_once(&lib.once, open_lib);
	return mx_dl_result(&lib, err);
}
