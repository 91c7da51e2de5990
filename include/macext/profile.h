/*
 * profile.h — configuration profiles (.mobileconfig) read as macOS reads
 * them: XML plist (leading whitespace accepted), binary plist, or CMS
 * SignedData wrapping either; validated against Apple's schema facts
 * (src/formats/schema_table.c, generated from apple/device-management).
 * Owner: the profiles module (src/formats/profile*.c).
 */
#ifndef MACEXT_PROFILE_H
#define MACEXT_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <plist/plist.h>

#include "macext/err.h"
#include "macext/core.h"

#define MX_PROFILE_MAX_BYTES (16u << 20)

typedef struct mx_profile mx_profile;

/* Reads a profile from buf[0..len).  name (the file name) prefixes every
 * message.  A CMS-signed profile's signature is verified (content integrity
 * and signer certificate); a broken one is MX_ESIGNATURE.  The envelope is
 * checked (PayloadType Configuration, PayloadIdentifier, PayloadUUID,
 * PayloadVersion, PayloadContent array of dicts) — failures are MX_EINVALID
 * naming the key path.  On success *out belongs to the caller. */
int mx_profile_read(mx_profile **out, const uint8_t *buf, size_t len, const char *name,
    mx_err *err);
/* Reads a file (capped at MX_PROFILE_MAX_BYTES) and calls mx_profile_read. */
int mx_profile_read_file(mx_profile **out, const char *path, mx_err *err);
void mx_profile_free(mx_profile *p);

const char *mx_profile_identifier(const mx_profile *p);
const char *mx_profile_uuid(const mx_profile *p);
const char *mx_profile_display_name(const mx_profile *p);   /* "" when absent */
const char *mx_profile_organization(const mx_profile *p);   /* "" when absent */
/* "" when unsigned; else the signer certificate's subject common name. */
const char *mx_profile_signer(const mx_profile *p);
bool mx_profile_is_signed(const mx_profile *p);
plist_t mx_profile_root(const mx_profile *p);               /* borrowed */
size_t mx_profile_payload_count(const mx_profile *p);
plist_t mx_profile_payload(const mx_profile *p, size_t i);  /* borrowed dict */
const char *mx_profile_payload_type(const mx_profile *p, size_t i);
const char *mx_profile_payload_uuid(const mx_profile *p, size_t i);
const char *mx_profile_payload_identifier(const mx_profile *p, size_t i);
/* The unwrapped plist as a binary plist (malloc'd), for the store. */
int mx_profile_to_bin(const mx_profile *p, uint8_t **out, size_t *len, mx_err *err);

/* ---- validation ---- */
enum mx_severity { MX_SEV_ERROR, MX_SEV_WARNING, MX_SEV_INFO };
typedef struct mx_problem {
	enum mx_severity severity;
	char path[256];          /* key path: "PayloadContent[0].AllowedTeamIdentifiers[2]" */
	char msg[512];
} mx_problem;
typedef struct mx_problems { mx_problem *v; size_t n, cap; } mx_problems;
void mx_problems_free(mx_problems *ps);

/* Validates every payload against the schema table and the prose rules of
 * the extension payloads, for a Mac running os.  Appends to *out; returns
 * the number of errors found. */
size_t mx_profile_validate(const mx_profile *p, mx_version os, mx_problems *out);
const char *mx_severity_name(enum mx_severity s);   /* "error", "warning", "info" */

/* A growable list of owned strings. */
typedef struct mx_strings { char **v; size_t n, cap; } mx_strings;
void mx_strings_add(mx_strings *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mx_strings_free(mx_strings *s);
/* What a Mac running os does with payload i, one sentence per line
 * ("installs only via MDM on a user-approved enrollment; refused on User
 * Enrollment", "allows every system extension of team X (all types)"),
 * from the schema and the payload alone (no device state). */
void mx_profile_payload_describe(const mx_profile *p, size_t i, mx_version os, mx_strings *out);

/* Schema facts for one payload type, NULL when unknown. */
typedef struct mx_schema_payload mx_schema_payload;
const mx_schema_payload *mx_schema_find(const char *payload_type);

/* The macOS delivery rules of a payload type (supportedOS.macOS in Apple's
 * YAML; facts the YAML lacks are encoded from the reference, cited in
 * src/formats/schema.c).  known is false (and the rest permissive) for a
 * payload type the schema does not know. */
typedef struct mx_payload_rules {
	bool known;
	char introduced[16];              /* macOS version, "" if not on macOS */
	char deprecated[16], removed[16]; /* "" when not */
	bool on_macos;                    /* false: "n/a" for macOS */
	bool allow_manual_install;        /* false: installs only through MDM */
	bool requires_user_approved_mdm;
	bool requires_supervision;
	bool requires_dep;                /* Automated Device Enrollment */
	bool user_enrollment_forbidden;
	bool multiple;                    /* more than one such payload per profile */
	bool device_channel, user_channel;
} mx_payload_rules;
bool mx_schema_rules(const char *payload_type, mx_payload_rules *out);

#endif
