/* fuzz.c — the pbzx reader (src/formats/pbzx.c) over any bytes: refused
 * with a message or decoded within the cap; never past it. */
#include <stdint.h>
#include <stdlib.h>

#include "macext/pkg.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *out = NULL;
	size_t n = 0;
	mx_err err;
	mx_err_clear(&err);
	int rc = mx_pbzx_decode(data, size, 1u << 22, &out, &n, &err);
	if (rc != 0 && (err.code == 0 || err.msg[0] == '\0' || out != NULL))
		abort();
	if (rc == 0 && n > (1u << 22))
		abort();
	free(out);
	return 0;
}
