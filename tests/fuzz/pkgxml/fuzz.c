/* fuzz.c — the PackageInfo and Distribution scanner (src/formats/pkgxml.c):
 * any text is refused with a message or gives fields that are UTF-8 text,
 * an install location that is "/" or a plain absolute path, and component
 * names without '/'. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macext/pkg.h"
#include "macext/sysextdb.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mx_pkginfo pi;
	mx_err err;
	mx_err_clear(&err);
	if (mx_pkginfo_parse(&pi, (const char *)data, size, "PackageInfo", &err) == 0) {
		if (!mx_text_ok(pi.identifier) || !mx_text_ok(pi.version) || !mx_text_ok(pi.install_location))
			abort();
		if (strcmp(pi.install_location, "/") != 0 &&
		    !mx_devpath_ok(pi.install_location, sizeof pi.install_location))
			abort();
		if (strchr(pi.preinstall, '/') || strchr(pi.postinstall, '/'))
			abort();
	} else if (err.code == 0 || err.msg[0] == '\0') {
		abort();
	}
	char refs[8][256];
	int n = 0;
	mx_err_clear(&err);
	if (mx_distribution_refs(refs, 8, &n, (const char *)data, size, "Distribution", &err) == 0) {
		for (int i = 0; i < n; i++)
			if (strchr(refs[i], '/') || refs[i][0] == '\0')
				abort();
	} else if (err.code == 0 || err.msg[0] == '\0') {
		abort();
	}
	return 0;
}
