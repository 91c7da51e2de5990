/*
 * dl_ssl.c — the libssl table (dl_ssl.h) and its loader.
 */
#include "daemon/dl_ssl.h"

MX_DL_LIBRARY(mx_dl_ssl, MX_DL_SSL_SYMS, "libssl.so.3", "libssl3",
    "by the MDM agent (mdm agent, serve --mdm)")
