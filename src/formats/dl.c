/*
 * dl.c — opening a shared library on first use (dl.h): dlopen of a SONAME,
 * dlsym of a table of functions, an error that names the library and its
 * Debian package.  The per-library tables are dl_archive.c,
 * daemon/dl_curl.c and daemon/dl_mhd.c.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "formats/dl.h"

/* dlsym returns an object pointer; POSIX requires it to convert to a
 * function pointer.  The copy goes through memcpy so no pointer is read
 * through the wrong type. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "function pointers are data-pointer sized");

static void
clear_slots(struct mx_dl_lib *lib)
{
	void *none = NULL;
	for (size_t i = 0; i < lib->nsyms; i++)
		memcpy(lib->syms[i].slot, &none, sizeof none);
}

void
mx_dl_open(struct mx_dl_lib *lib)
{
	/* RTLD_NODELETE: the pointers stay valid for the life of the process */
	void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (h == NULL) {
		const char *why = dlerror();
		snprintf(lib->msg, sizeof lib->msg, "%s, needed %s, cannot be loaded: %s"
		    " (Debian package %s)", lib->soname, lib->purpose, why ? why : "dlopen failed",
		    lib->package);
		clear_slots(lib);
		lib->rc = MX_EIO;
		return;
	}
	for (size_t i = 0; i < lib->nsyms; i++) {
		dlerror();
		void *p = dlsym(h, lib->syms[i].name);
		if (p == NULL) {
			snprintf(lib->msg, sizeof lib->msg, "%s, needed %s, has no function %s:"
			    " a different version than macext was built for (Debian package %s)",
			    lib->soname, lib->purpose, lib->syms[i].name, lib->package);
			clear_slots(lib);
			lib->rc = MX_EIO;
			return;
		}
		memcpy(lib->syms[i].slot, &p, sizeof p);
	}
	lib->rc = 0;
}

int
mx_dl_result(const struct mx_dl_lib *lib, mx_err *err)
{
	if (lib->rc == 0)
		return 0;
	return MX_FAIL(err, lib->rc, MX_NO_OFFSET, "%s", lib->msg);
}
