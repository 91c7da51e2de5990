/*
 * fuzz.c — libFuzzer target for mx_plist_parse (XML and binary plists:
 * our pre-scan with its strict scalars and UTF-8 checks, then libplist
 * 2.2, then the re-index of binary trees) and the typed getters; every
 * tree it accepts must go through mx_plist_to_bin and be read back by
 * mx_plist_parse (the writer only writes what the reader takes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macext/plist_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	plist_t p = NULL;
	mx_err err = { 0 };
	if (mx_plist_parse(&p, data, size, "fuzz", &err) != 0)
		return 0;
	if (plist_get_node_type(p) == PLIST_DICT) {
		const char *s = NULL;
		int64_t i = 0;
		bool b = false;
		plist_t n = NULL;
		mx_plist_get_string(&s, p, "PayloadType", false, "fuzz", "", &err);
		mx_plist_get_int(&i, p, "PayloadVersion", false, "fuzz", "", &err);
		mx_plist_get_bool(&b, p, "AllowUserOverrides", false, "fuzz", "", &err);
		mx_plist_get_node(&n, p, "PayloadContent", PLIST_ARRAY, false, "fuzz", "", &err);
	}
	mx_plist_check_tree(p, "fuzz", &err);
	uint8_t *bin = NULL;
	size_t blen = 0;
	if (mx_plist_to_bin(p, &bin, &blen, &err) != 0)
		abort();        /* an accepted tree the writer cannot write */
	plist_t q = NULL;
	if (mx_plist_parse(&q, bin, blen, "fuzz-bin", &err) != 0)
		abort();        /* the writer wrote what the reader refuses */
	plist_free(q);
	free(bin);
	plist_free(p);
	return 0;
}
