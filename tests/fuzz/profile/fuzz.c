/*
 * fuzz.c — libFuzzer target for the profile reader: XML, binary and CMS
 * SignedData profiles through mx_profile_read, then mx_profile_validate
 * and mx_profile_to_bin on whatever reads.
 */
#include <stdint.h>
#include <stdlib.h>

#include "macext/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mx_profile *p = NULL;
	mx_err err = { 0 };
	if (mx_profile_read(&p, data, size, "fuzz.mobileconfig", &err) != 0)
		return 0;
	static const mx_version oses[] = { { 10, 14, 6 }, { 11, 6, 4 }, { 15, 1, 0 } };
	for (size_t o = 0; o < sizeof oses / sizeof oses[0]; o++) {
		mx_problems ps = { 0 };
		mx_profile_validate(p, oses[o], &ps);
		mx_problems_free(&ps);
	}
	for (size_t i = 0; i < mx_profile_payload_count(p); i++) {
		mx_payload_rules r;
		mx_schema_rules(mx_profile_payload_type(p, i), &r);
		mx_strings s = { 0 };
		mx_profile_payload_describe(p, i, oses[1], &s);
		mx_strings_free(&s);
	}
	uint8_t *bin = NULL;
	size_t len = 0;
	if (mx_profile_to_bin(p, &bin, &len, &err) == 0)
		free(bin);
	mx_profile_free(p);
	return 0;
}
