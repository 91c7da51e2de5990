/*
 * dl_curl.c — the libcurl table (dl_curl.h) and its loader.
 */
#include "daemon/dl_curl.h"

MX_DL_LIBRARY(mx_dl_curl, MX_DL_CURL_SYMS, "libcurl.so.4", "libcurl4",
    "by the MDM agent (mdm agent, serve --mdm)")
