/*
 * fuzz.c — libFuzzer target for the merged com.apple.system-extension-policy
 * (mx_sxpolicy_add_payload) and the decision functions over it.  The input
 * is a payload plist (XML or binary) read with mx_plist_parse; the same
 * payload is merged twice to exercise the union and the AND.
 */
#include <stdint.h>
#include <stdlib.h>

#include "macext/plist_util.h"
#include "macext/sysext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	plist_t p = NULL;
	mx_err err = { 0 };
	if (mx_plist_parse(&p, data, size, "fuzz", &err) != 0)
		return 0;
	mx_sxpolicy *pol = mx_sxpolicy_new();
	if (mx_sxpolicy_add_payload(pol, p, "fuzz", &err) == 0)
		mx_sxpolicy_add_payload(pol, p, "fuzz", &err);
	static const char *const cats[] = { MX_SX_CAT_DRIVER, MX_SX_CAT_NETWORK, MX_SX_CAT_ES,
		MX_SX_CAT_CMIO, "" };
	mx_version os = { 15, 1, 0 };
	for (size_t i = 0; i < sizeof cats / sizeof cats[0]; i++) {
		(void)mx_sx_decide(pol, "ZMCG7MLDV9", "com.northpolesec.santa.daemon", cats[i]);
		(void)mx_sxpolicy_lists(pol, "", "x");
	}
	(void)mx_sxpolicy_removable(pol, os, "ZMCG7MLDV9", "com.northpolesec.santa.daemon");
	(void)mx_sxpolicy_nonremovable(pol, os, true, "X9E956P446", "com.crowdstrike.falcon.Agent");
	(void)mx_sxpolicy_nonremovable_from_ui(pol, os, "X9E956P446", "com.crowdstrike.falcon.Agent");
	mx_sxpolicy_free(pol);
	plist_free(p);
	return 0;
}
