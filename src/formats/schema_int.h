/*
 * schema_int.h — the shape of the schema table generated from Apple's
 * device-management YAML (tools/gen_schema.py -> schema_table.c).
 * Private to src/formats; the public view is profile.h (mx_schema_rules,
 * mx_schema_find) and the validator.
 */
#ifndef MACEXT_SCHEMA_INT_H
#define MACEXT_SCHEMA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mx_stype {
	MX_ST_ANY, MX_ST_STRING, MX_ST_INTEGER, MX_ST_BOOLEAN, MX_ST_ARRAY, MX_ST_DICT,
	MX_ST_DATA, MX_ST_DATE, MX_ST_REAL
};
enum mx_user_enrollment {
	MX_UE_UNSPECIFIED, MX_UE_ALLOWED, MX_UE_FORBIDDEN, MX_UE_REQUIRED, MX_UE_IGNORED
};

typedef struct mx_schema_keyset mx_schema_keyset;

typedef struct mx_schema_key {
	const char *name;            /* "ANY": any dictionary key */
	uint8_t type;                /* enum mx_stype */
	bool required;
	/* the key's own supportedOS.macOS; NULL = inherited from the parent.
	 * introduced "n/a" = not supported on macOS */
	const char *introduced, *deprecated, *removed;
	const char *const *rangelist;   /* allowed values, as text */
	uint16_t nrange;
	bool has_min, has_max;
	double min, max;
	const mx_schema_keyset *sub;    /* array: its item; dict: its keys */
} mx_schema_key;

struct mx_schema_keyset {
	const mx_schema_key *v;
	size_t n;
};

struct mx_schema_payload {
	const char *type, *title;
	const char *introduced, *deprecated, *removed;   /* macOS; "n/a" or NULL = not on macOS */
	bool multiple, allow_manual_install, requires_dep, user_approved_mdm, supervised;
	bool device_channel, user_channel;
	uint8_t user_enrollment;                         /* enum mx_user_enrollment */
	const mx_schema_keyset *keys;
};
typedef struct mx_schema_payload mx_schema_payload;

extern const mx_schema_payload mx_schema_payloads[];
extern const size_t mx_schema_npayloads;

#endif
