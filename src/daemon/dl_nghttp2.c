/*
 * dl_nghttp2.c — the libnghttp2 table (dl_nghttp2.h) and its loader.
 */
#include "daemon/dl_nghttp2.h"

MX_DL_NGHTTP2_SYMS(MX_DL_DEFINE)

static const struct mx_dl_sym syms[] = { MX_DL_NGHTTP2_SYMS(MX_DL_ENTRY) };
static struct mx_dl_lib lib = {
	.soname = "libnghttp2.so.14",
	.package = "libnghttp2-14",
	.purpose = "by the MDM agent's APNs stand-in (mdm agent --apns-listen)",
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
mx_dl_nghttp2(mx_err *err)
{
	pthread_once(&lib.once, open_lib);
	return mx_dl_result(&lib, err);
}
