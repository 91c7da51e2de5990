/*
 * fuzz.c — the entitlements writers (src/formats/cs_sign.c) over any plist
 * an `--entitlements FILE` could hold: read safely (mx_plist_parse), then
 * encoded as the XML (0xfade7171) and DER (0xfade7172) blobs.  Asserts the
 * blob headers are consistent and the DER nests inside its declared length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macext/cs_blobs.h"
#include "macext/forge.h"
#include "macext/plist_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	plist_t p = NULL;
	mx_err err;
	if (mx_plist_parse(&p, data, size, "fuzz", &err) != 0)
		return 0;
	if (plist_get_node_type(p) == PLIST_DICT) {
		mx_wbuf x = { 0 }, d = { 0 };
		if (mx_cs_entitlements_xml(&x, p, &err) == 0 &&
		    (x.len < 8 || mx_get_u32be(x.p) != MX_CSMAGIC_EMBEDDED_ENTITLEMENTS ||
		    mx_get_u32be(x.p + 4) != x.len))
			abort();
		if (mx_cs_entitlements_der(&d, p, &err) == 0 &&
		    (d.len < 12 || mx_get_u32be(d.p) != MX_CSMAGIC_EMBEDDED_DER_ENTITLEMENTS ||
		    mx_get_u32be(d.p + 4) != d.len || d.p[8] != 0x70))
			abort();
		mx_wbuf_free(&x);
		mx_wbuf_free(&d);
	}
	plist_free(p);
	return 0;
}
