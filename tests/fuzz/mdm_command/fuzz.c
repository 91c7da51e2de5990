/*
 * fuzz.c — libFuzzer target for MDM command plists (mx_mdm_command_parse):
 * any bytes must parse or fail with an error, never crash or leak; a
 * parsed command's borrowed fields must be readable.
 */
#include <stdint.h>
#include <string.h>

#include "macext/mdm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mx_mdm_command c;
	mx_err err;
	mx_err_clear(&err);
	if (mx_mdm_command_parse(&c, data, size, "fuzz", &err) != 0)
		return 0;
	volatile size_t sink = strlen(c.uuid) + strlen(c.type);
	if (c.identifier)
		sink += strlen(c.identifier);
	for (size_t i = 0; i < c.payload_len; i++)
		sink += c.payload[i];
	for (int i = 0; i < c.nkext_paths; i++)
		sink += strlen(c.kext_paths[i]);
	(void)sink;
	mx_mdm_command_free(&c);
	return 0;
}
