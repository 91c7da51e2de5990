/*
 * dl_nghttp2.c — the libnghttp2 table (dl_nghttp2.h) and its loader.
 */
#include "daemon/dl_nghttp2.h"

MX_DL_LIBRARY(mx_dl_nghttp2, MX_DL_NGHTTP2_SYMS, "libnghttp2.so.14", "libnghttp2-14",
    "by the MDM agent's APNs stand-in (mdm agent --apns-listen)")
