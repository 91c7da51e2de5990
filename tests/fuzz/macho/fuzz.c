/* fuzz.c — the Mach-O/fat reader and the whole signature check over it
 * (mx_codesign_verify_buf: SuperBlob, CDs, pages, slots, CMS). */
#include <stdint.h>
#include <stdlib.h>

#include "macext/codesign.h"
#include "macext/macho.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mx_macho *m = NULL;
	mx_err err;
	mx_err_clear(&err);
	if (mx_macho_parse(&m, data, size, &err) == 0) {
		for (int i = 0; i < m->nslices; i++) {
			const mx_macho_slice *s = &m->slices[i];
			/* every view the parser hands out must lie in the buffer */
			if (s->data < data || s->offset + s->size > size)
				abort();
			if (s->has_code_signature && (uint64_t)s->cs_dataoff + s->cs_datasize > s->size)
				abort();
		}
	}
	mx_macho_free(m);
	mx_siginfo si;
	mx_err_clear(&err);
	if (mx_codesign_verify_buf(&si, data, size, NULL, 0, NULL, &err) == 0)
		mx_siginfo_free(&si);
	return 0;
}
