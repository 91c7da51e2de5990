/* fuzz.c — a Payload or Scripts member on its own (mx_pkg_tree_read:
 * gzip/pbzx/plain cpio, every entry checked, AppleDouble folded) and the
 * placement plan over it: the package's xar checksums would stop most
 * mutations before they reach this code, so it is fuzzed here directly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/pkg.h"
#include "macext/sysextdb.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mx_pkg_tree t;
	mx_err err;
	mx_err_clear(&err);
	if (mx_pkg_tree_read(&t, data, size, "Payload", &err) != 0) {
		if (err.code == 0 || err.msg[0] == '\0' || t.entries != NULL)
			abort();
		return 0;
	}
	for (size_t i = 0; i < t.nentries; i++) {
		const mx_pkg_entry *e = &t.entries[i];
		char dev[1100];
		snprintf(dev, sizeof dev, "/%s", e->path);
		if (!mx_devpath_ok(dev, sizeof dev) || (e->type == MX_PKG_LINK && e->link[0] == '/'))
			abort();
	}
	mx_pkg_root *roots = NULL;
	size_t n = 0;
	if (mx_pkg_plan(&roots, &n, &t, "/", 0, &err) == 0)
		for (size_t k = 0; k < n; k++)
			if (!mx_devpath_ok(roots[k].device_path, sizeof roots[k].device_path))
				abort();
	free(roots);
	mx_pkg_tree_free(&t);
	return 0;
}
