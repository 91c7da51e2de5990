/* fuzz.c — the LocalPolicy reader (src/formats/lpolicy.c): any bytes either
 * fail with an error or decode into a record that re-encodes to the same
 * bytes when they were in canonical order, and whose signature check
 * (against a fixed key) returns without crashing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macext/boot.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mx_localpolicy lp;
	mx_err err;
	mx_err_clear(&err);
	if (mx_lp_decode(&lp, data, size, &err) != 0) {
		if (err.code == 0 || err.msg[0] == '\0')
			abort();        /* a refusal always says why */
		return 0;
	}
	uint8_t buf[MX_LP_MAX_LEN + 128];
	size_t n = mx_lp_encode(&lp, true, buf, sizeof buf);
	if (n == 0 || n > size)
		abort();            /* a decoded record never grows */
	mx_localpolicy again;
	if (mx_lp_decode(&again, buf, n, &err) != 0)
		abort();            /* what we write we read back */
	size_t n2 = mx_lp_encode(&again, true, buf + 0, sizeof buf);
	if (n2 != n)
		abort();
	static const uint8_t seed[32] = { 1 };
	uint8_t pub[32];
	if (mx_sep_public(seed, pub, NULL) == 0)
		(void)mx_sep_verify_lp(pub, &lp, NULL);
	return 0;
}
