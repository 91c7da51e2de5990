/*
 * dl_mhd.c — the libmicrohttpd table (dl_mhd.h) and its loader.
 */
#include "daemon/dl_mhd.h"

MX_DL_LIBRARY(mx_dl_mhd, MX_DL_MHD_SYMS, "libmicrohttpd.so.12", "libmicrohttpd12",
    "by macext serve")
