/*
 * pkg_plan.c — where Installer puts a component's payload on the Mac
 * (pkg.h "where Installer puts a payload"): each entry at
 * install-location/path, grouped into the roots the device's file tree
 * keeps (a bundle, a vendor directory, a file).  Pure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/pkg.h"
#include "macext/sysextdb.h"

const char *
mx_pkg_place_name(enum mx_pkg_place k)
{
	static const char *const n[] = { "app", "kext", "tree", "file" };
	return k <= MX_PLACE_FILE ? n[k] : "?";
}

static bool
bundle_name(const char *c, size_t l)
{
	static const char *const sfx[] = { ".app", ".kext", ".dext", ".systemextension", ".bundle",
		".plugin", ".framework", ".prefPane" };
	for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		size_t sl = strlen(sfx[i]);
		if (l > sl && memcmp(c + l - sl, sfx[i], sl) == 0)
			return true;
	}
	return false;
}

int
mx_pkg_plan(mx_pkg_root **roots, size_t *n, const mx_pkg_tree *t, const char *loc, int c,
    mx_err *err)
{
	for (size_t i = 0; i < t->nentries; i++) {
		const mx_pkg_entry *e = &t->entries[i];
		char dev[2100];
		snprintf(dev, sizeof dev, "%s/%s", strcmp(loc, "/") == 0 ? "" : loc, e->path);
		if (strlen(dev) >= sizeof (*roots)->device_path || !mx_devpath_ok(dev, 1024))
			return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "payload %s: %s is not a plain"
			    " device path", e->path, dev);
		/* the root: the first bundle component, else three levels, else the file */
		size_t cut = 0;
		int depth = 0;
		bool bundle = false;
		for (const char *p = dev; *p; ) {
			const char *s = p + 1, *nx = strchr(s, '/');
			size_t l = nx ? (size_t)(nx - s) : strlen(s);
			depth++;
			if (bundle_name(s, l)) {
				cut = (size_t)(s + l - dev);
				bundle = true;
				break;
			}
			if (depth == 3 && nx) {
				cut = (size_t)(s + l - dev);
				break;
			}
			p = nx ? nx : s + l;
		}
		if (cut == 0) {
			if (e->type == MX_PKG_DIR)
				continue;          /* /Library, /Library/Extensions: structure only */
			cut = strlen(dev);
		}
		char root[1024];
		snprintf(root, sizeof root, "%.*s", (int)cut, dev);
		size_t k;
		for (k = 0; k < *n; k++)
			if (strcmp((*roots)[k].device_path, root) == 0)
				break;
		if (k < *n && (*roots)[k].component != c)
			return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s is in two components of the"
			    " package", root);
		if (k == *n) {
			*roots = mx_xrealloc(*roots, (*n + 1) * sizeof **roots);
			mx_pkg_root *r = &(*roots)[(*n)++];
			memset(r, 0, sizeof *r);
			snprintf(r->device_path, sizeof r->device_path, "%s", root);
			/* the payload path of the root: strip the install location */
			size_t ll = strcmp(loc, "/") == 0 ? 0 : strlen(loc);
			snprintf(r->rel, sizeof r->rel, "%s", root + ll + 1);
			r->component = c;
			const char *base = strrchr(root, '/');
			size_t pl = (size_t)(base - root);
			if (bundle && pl == 13 && strncmp(root, "/Applications", 13) == 0 &&
			    strcmp(root + strlen(root) - 4, ".app") == 0)
				r->kind = MX_PLACE_APP;
			else if (bundle && pl == 19 && strncmp(root, "/Library/Extensions", 19) == 0 &&
			    strcmp(root + strlen(root) - 5, ".kext") == 0)
				r->kind = MX_PLACE_KEXT;
			else
				r->kind = cut == strlen(dev) && e->type != MX_PKG_DIR && !bundle ? MX_PLACE_FILE :
				    MX_PLACE_TREE;
		}
		if (e->type == MX_PKG_FILE)
			(*roots)[k].files++;
	}
	return 0;
}
