/*
 * dl_mhd.c — the libmicrohttpd table (dl_mhd.h) and its loader.
 */
#include "daemon/dl_mhd.h"

MX_DL_MHD_SYMS(MX_DL_DEFINE)

static const struct mx_dl_sym syms[] = { MX_DL_MHD_SYMS(MX_DL_ENTRY) };
static struct mx_dl_lib lib = {
	.soname = "libmicrohttpd.so.12",
	.package = "libmicrohttpd12",
	.purpose = "by macext serve",
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
mx_dl_mhd(mx_err *err)
{
	pthread_once(&lib.once, open_lib);
	return mx_dl_result(&lib, err);
}
