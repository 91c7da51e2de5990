/*
 * page.c — looks up an embedded page file (page.h) by request path.
 */
#include <string.h>

#include "daemon/page.h"

const mx_page_asset *
mx_page_asset_find(const char *path)
{
	if (path == NULL)
		return NULL;
	if (strcmp(path, "/") == 0 || path[0] == '\0')
		path = "/index.html";
	for (unsigned long i = 0; i < mx_page_nassets; i++)
		if (strcmp(mx_page_assets[i].path, path) == 0)
			return &mx_page_assets[i];
	return NULL;
}
