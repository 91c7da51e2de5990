/* fuzz.c — a whole flat package (src/formats/pkg.c, pkgxml.c, pbzx.c,
 * appledouble.c, pkg_plan.c): the xar, the XML, every component's payload
 * and scripts and the placement plan.  Any bytes are refused with a
 * message, or give entries whose paths are relative without "..", links
 * that stay inside, and plan roots that are plain device paths. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macext/pkg.h"
#include "macext/sysextdb.h"

static void
check_tree(const mx_pkg_tree *t)
{
	for (size_t i = 0; i < t->nentries; i++) {
		const mx_pkg_entry *e = &t->entries[i];
		if (e->path[0] == '/' || strstr(e->path, "..") == e->path || strstr(e->path, "/../"))
			abort();
		if (e->type == MX_PKG_LINK && e->link[0] == '/')
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mx_pkg *p = NULL;
	mx_err err;
	mx_err_clear(&err);
	if (mx_pkg_read(&p, data, size, "fuzz.pkg", &err) != 0) {
		if (err.code == 0 || err.msg[0] == '\0' || p != NULL)
			abort();
		return 0;
	}
	mx_pkg_root *roots = NULL;
	size_t n = 0;
	for (int i = 0; i < mx_pkg_ncomponents(p); i++) {
		const mx_pkg_component *c = mx_pkg_component_at(p, i);
		mx_pkg_tree t;
		if (c->payload && mx_pkg_tree_read(&t, c->payload, c->payload_len, "Payload", &err) == 0) {
			check_tree(&t);
			if (mx_pkg_plan(&roots, &n, &t, c->info.install_location, i, &err) == 0)
				for (size_t k = 0; k < n; k++)
					if (!mx_devpath_ok(roots[k].device_path, sizeof roots[k].device_path))
						abort();
			mx_pkg_tree_free(&t);
		}
		if (c->scripts && mx_pkg_tree_read(&t, c->scripts, c->scripts_len, "Scripts", &err) == 0) {
			check_tree(&t);
			mx_pkg_tree_free(&t);
		}
	}
	free(roots);
	mx_pkg_free(p);
	return 0;
}
