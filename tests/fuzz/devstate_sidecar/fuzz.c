/* fuzz.c — the macext/device.plist reader (src/store/sidecar.c) that `device
 * import` runs: any bytes are refused with a message or read into a device
 * value whose written form reads back to the same device. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macext/devstate.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mx_devstate s;
	memset(&s, 0, sizeof s);
	mx_err err;
	mx_err_clear(&err);
	if (mx_devstate_sidecar_read(&s, data, size, "device.plist", &err) != 0) {
		if (err.code == 0 || err.msg[0] == '\0')
			abort();
		mx_devstate_free(&s);
		return 0;
	}
	uint8_t *out = NULL;
	size_t len = 0;
	if (mx_devstate_sidecar_write(&s, &out, &len, &err) != 0)
		abort();
	mx_devstate again;
	memset(&again, 0, sizeof again);
	if (mx_devstate_sidecar_read(&again, out, len, "device.plist", &err) != 0)
		abort();
	if (strcmp(again.dev.name, s.dev.name) || strcmp(again.dev.serial, s.dev.serial) ||
	    again.dev.nusers != s.dev.nusers || again.nkexts != s.nkexts ||
	    again.nfiles != s.nfiles || again.dev.csr != s.dev.csr)
		abort();
	mx_devstate_free(&again);
	mx_devstate_free(&s);
	free(out);
	return 0;
}
