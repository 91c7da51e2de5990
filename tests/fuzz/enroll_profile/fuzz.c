/*
 * fuzz.c — libFuzzer target for MDM enrolment profiles
 * (mx_enroll_profile_read): any bytes must be read or refused with an
 * error naming a place, never crash or leak; a read profile's strings are
 * terminated, its pins index its certificates, and the substitution of its
 * SCEP subject stays within bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macext/enroll.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mx_enroll_profile p;
	mx_err err;
	mx_err_clear(&err);
	unsigned flags = size & 1 ? MX_ENROLL_ALLOW_HTTP : 0;
	if (mx_enroll_profile_read(&p, data, size, "fuzz", flags, &err) != 0) {
		if (err.code == 0 || strnlen(err.msg, sizeof err.msg) == sizeof err.msg)
			abort();
		return 0;
	}
	volatile size_t sink = strlen(p.server_url) + strlen(p.checkin_url) + strlen(p.topic);
	for (int i = 0; i < p.nserver_pins; i++)
		if (p.server_pins[i] < 0 || p.server_pins[i] >= p.ncerts)
			abort();
	for (int i = 0; i < p.ncheckin_pins; i++)
		if (p.checkin_pins[i] < 0 || p.checkin_pins[i] >= p.ncerts)
			abort();
	for (int i = 0; i < p.ncerts; i++)
		sink += p.certs[i].der[p.certs[i].der_len - 1];
	mx_enroll_vars v = { "D91C5EC1-7FD3-43A5-A22F-10FAD4A2882C", "C02XL0GHJGH5", "Mac" };
	for (int i = 0; i < p.scep.nsubject; i++) {
		char out[300];
		if (mx_enroll_subst(out, sizeof out, p.scep.subject[i].value, &v, &err) == 0)
			sink += strlen(out);
	}
	(void)sink;
	mx_enroll_profile_free(&p);
	return 0;
}
