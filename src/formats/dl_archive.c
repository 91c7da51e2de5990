/*
 * dl_archive.c — the libarchive table (dl_archive.h) and its loader.
 */
#include "formats/dl_archive.h"

MX_DL_LIBRARY(mx_dl_archive, MX_DL_ARCHIVE_SYMS, "libarchive.so.13", "libarchive13",
    "to read and write packages and archives")
