/*
 * page.h — the System Settings page's files, embedded into the binary at
 * build time (tools/embed_page.py turns every file under src/daemon/page/
 * into mx_page_assets[]; the Makefile regenerates it when one changes).
 * `macext serve` answers GET of every path outside /api/ from this table.
 */
#ifndef MACEXT_DAEMON_PAGE_H
#define MACEXT_DAEMON_PAGE_H

#include <stddef.h>

typedef struct mx_page_asset {
	const char *path;            /* "/index.html", "/app.js", ... */
	const char *content_type;
	const unsigned char *bytes;  /* NUL-terminated, len bytes before the NUL */
	size_t len;
} mx_page_asset;

extern const mx_page_asset mx_page_assets[];   /* ends with a NULL path */
extern const unsigned long mx_page_nassets;

/* The asset for a request path ("/" is /index.html), or NULL.  path is
 * compared as bytes: it never reaches the file system. */
const mx_page_asset *mx_page_asset_find(const char *path);

#endif
