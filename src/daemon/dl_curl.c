/*
 * dl_curl.c — the libcurl table (dl_curl.h) and its loader.
 */
#include "daemon/dl_curl.h"

MX_DL_CURL_SYMS(MX_DL_DEFINE)

static const struct mx_dl_sym syms[] = { MX_DL_CURL_SYMS(MX_DL_ENTRY) };
static struct mx_dl_lib lib = {
	.soname = "libcurl.so.4",
	.package = "libcurl4",
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
mx_dl_curl(mx_err *err)
{
	pthread_once(&lib.once, open_lib);
	return mx_dl_result(&lib, err);
}
