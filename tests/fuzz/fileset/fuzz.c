/* fuzz.c — mx_fileset_parse and mx_fileset_thin_slice over arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "macext/fileset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mx_fileset *fs = NULL;
	mx_err err;
	mx_err_clear(&err);
	if (mx_fileset_parse(&fs, data, size, &err) == 0)
		mx_fileset_free(fs);
	size_t off, len;
	mx_fileset_thin_slice(data, size, MX_CPU_TYPE_ARM64, &off, &len, &err);
	mx_fileset_thin_slice(data, size, MX_CPU_TYPE_X86_64, &off, &len, &err);
	return 0;
}
