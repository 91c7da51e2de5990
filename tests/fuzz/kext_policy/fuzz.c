/* fuzz.c — a kernel-extension-policy payload (XML or binary plist) through
 * mx_kext_policy_add, then the merged-policy queries. */
#include <stddef.h>
#include <stdint.h>

#include "macext/kext.h"
#include "macext/plist_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	plist_t p = NULL;
	mx_err err;
	mx_err_clear(&err);
	if (mx_plist_parse(&p, data, size, "fuzz", &err) != 0)
		return 0;
	mx_kext_policy pol;
	mx_kext_policy_init(&pol);
	if (mx_kext_policy_add(&pol, p, "UUID", &err) == 0) {
		mx_kext_policy_add(&pol, p, "UUID2", &err);
		mx_kext_policy_user_overrides(&pol);
		mx_kext_policy_nonadmin_approvals(&pol);
		mx_kext_policy_allows(&pol, "ABCDE12345", "com.example.k", true, NULL);
		mx_kext_policy_allows(&pol, "", "com.example.k", false, NULL);
	}
	mx_kext_policy_free(&pol);
	plist_free(p);
	return 0;
}
