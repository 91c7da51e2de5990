/* fuzz.c — SuperBlob / CodeDirectory validation, page and slot hashing,
 * entitlements (XML and DER) and the CMS path, on a raw signature blob. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/codesign_int.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t code[1 << 16];
	cs_sig sig;
	mx_err err;
	mx_err_clear(&err);
	if (cs_parse(&sig, data, size, 0, &err) == 0) {
		for (int i = 0; i < sig.ncd; i++) {
			const cs_cd *cd = &sig.cd[i];
			if (cd->blob < data || cd->blob + cd->len > data + size)
				abort();
			cs_verify_pages(cd, code, sizeof code, 0, &err);
			for (uint32_t s = 1; s <= 7; s++)
				cs_verify_slot(cd, s, data, size < 64 ? size : 64, &err);
		}
		plist_t ents = NULL;
		if (cs_entitlements(&ents, &sig, &err) == 0)
			plist_free(ents);
		if (sig.has_cms_slot && sig.cms_len > 0) {
			cs_cms_result r;
			cs_cms_verify(&r, &sig, NULL, &err);
		}
	}
	/* the DER entitlements reader on its own */
	plist_t p = NULL;
	if (cs_der_entitlements(&p, data, size, 0, &err) == 0)
		plist_free(p);
	return 0;
}
