/*
 * dl_archive.c — the libarchive table (dl_archive.h) and its loader.
 */
#include "formats/dl_archive.h"

MX_DL_ARCHIVE_SYMS(MX_DL_DEFINE)

static const struct mx_dl_sym syms[] = { MX_DL_ARCHIVE_SYMS(MX_DL_ENTRY) };
static struct mx_dl_lib lib = {
	.soname = "libarchive.so.13",
	.package = "libarchive13",
	.purpose = "to read and write packages and archives",
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
mx_dl_archive(mx_err *err)
{
	pthread_once(&lib.once, open_lib);
	return mx_dl_result(&lib, err);
}
