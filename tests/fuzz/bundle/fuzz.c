/* fuzz.c — the bundle reader: the input becomes the Info.plist of a
 * temporary .systemextension bundle (with a codeless kext nested in it) that
 * mx_bundle_open and mx_codesign_verify_path read from disk. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macext/bundle.h"
#include "macext/codesign.h"

static char root[256];

static void
write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		abort();
	if (n)
		fwrite(p, 1, n, f);
	fclose(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char p[512];
	if (root[0] == '\0') {
		snprintf(root, sizeof root, "/tmp/macext-fuzz-bundle-%d", (int)getpid());
		mkdir(root, 0700);
		snprintf(p, sizeof p, "%s/x.systemextension", root);
		mkdir(p, 0700);
		snprintf(p, sizeof p, "%s/x.systemextension/Contents", root);
		mkdir(p, 0700);
		snprintf(p, sizeof p, "%s/x.systemextension/Contents/MacOS", root);
		mkdir(p, 0700);
		snprintf(p, sizeof p, "%s/x.systemextension/Contents/PlugIns", root);
		mkdir(p, 0700);
		snprintf(p, sizeof p, "%s/x.systemextension/Contents/PlugIns/y.kext", root);
		mkdir(p, 0700);
		/* an executable that is not a Mach-O, named by common CFBundleExecutable values */
		static const char *names[] = { "x", "a", "es" };
		for (size_t i = 0; i < 3; i++) {
			snprintf(p, sizeof p, "%s/x.systemextension/Contents/MacOS/%s", root, names[i]);
			write_file(p, (const uint8_t *)"\xcf\xfa\xed\xfe", 4);
		}
	}
	snprintf(p, sizeof p, "%s/x.systemextension/Contents/Info.plist", root);
	write_file(p, data, size);
	snprintf(p, sizeof p, "%s/x.systemextension/Contents/PlugIns/y.kext/Info.plist", root);
	write_file(p, data, size);
	const char *paths[] = { "x.systemextension", "x.systemextension/Contents/PlugIns/y.kext" };
	for (int i = 0; i < 2; i++) {
		char bp[512];
		snprintf(bp, sizeof bp, "%s/%s", root, paths[i]);
		mx_bundle *b = NULL;
		mx_err err;
		mx_err_clear(&err);
		if (mx_bundle_open(&b, bp, &err) == 0 && b->info == NULL)
			abort();
		mx_bundle_free(b);
		mx_siginfo si;
		mx_err_clear(&err);
		if (mx_codesign_verify_path(&si, bp, NULL, &err) == 0)
			mx_siginfo_free(&si);
	}
	return 0;
}
