/* fuzz.c — the AppleDouble reader (src/formats/appledouble.c): any bytes
 * are refused with a message or give attributes whose values lie inside
 * the input and whose names are NUL-terminated UTF-8. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macext/pkg.h"
#include "macext/sysextdb.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mx_xattrs x;
	mx_err err;
	mx_err_clear(&err);
	if (mx_appledouble_parse(&x, data, size, &err) != 0) {
		if (err.code == 0 || err.msg[0] == '\0')
			abort();
		return 0;
	}
	for (int i = 0; i < x.n; i++) {
		if (x.a[i].len && (x.a[i].value < data || x.a[i].value + x.a[i].len > data + size))
			abort();
		if (memchr(x.a[i].name, '\0', sizeof x.a[i].name) == NULL || !mx_text_ok(x.a[i].name))
			abort();
	}
	return 0;
}
