/*
 * sysextdb.h — sysextd's /Library/SystemExtensions/db.plist as bytes:
 * written as macOS writes it (a binary plist) and read back from a real
 * Mac's copy, every value type-checked and bounded.  Pure: no files, no
 * clock.  Owner: src/formats/sysextdb.c.  Spec: system-extensions.md §1.8
 * (extensionPolicies), §2.3 (top level and per-extension record), §2.5
 * (state names); osquery's system_extensions table reads the same keys.
 */
#ifndef MACEXT_SYSEXTDB_H
#define MACEXT_SYSEXTDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <plist/plist.h>

#include "macext/err.h"

#define MX_SXDB_MAX_BYTES (16u << 20)    /* a db.plist over this is MX_ETOOBIG */
#define MX_SXDB_MAX_EXTS 4096            /* records */
#define MX_SXDB_MAX_CDHASHES 8           /* stagedCdhashes entries per record */
#define MX_SXDB_MAX_POLICIES 256         /* extensionPolicies entries */

typedef struct mx_sxdb_cdhash {
	char cdhash[41];                 /* 40 lowercase hex digits */
	int64_t cputype, cpusubtype;
} mx_sxdb_cdhash;

/* One element of "extensions" (§2.3). */
typedef struct mx_sxdb_ext {
	char unique_id[40];              /* uniqueID, 8-4-4-4-12 hex */
	char identifier[256];
	char team_id[32];                /* "" when unsigned */
	char version[64];                /* bundleVersion.CFBundleVersion */
	char short_version[64];          /* bundleVersion.CFBundleShortVersionString */
	char category[80];               /* categories[0] (records name one) */
	char state[64];                  /* "activated_enabled", ...: checked by the caller */
	char origin_path[1024];
	char container[1024];            /* container.bundlePath, "" for the "$null" container */
	char app_id[256];                /* references[0].appIdentifier, "" when none */
	char app_team[32];               /* references[0].teamID */
	char staged_path[1024];          /* stagedBundleURL.relative, as a path, no trailing '/' */
	int ncdhash;
	mx_sxdb_cdhash cdhash[MX_SXDB_MAX_CDHASHES];
} mx_sxdb_ext;

/* One element of "extensionPolicies" (§1.8): allowedTeamIDs, and per team
 * the allowed bundle ids and category identifiers.  Strings are kept as a
 * plist (borrowed views are awkward in C): policy is a dict with exactly
 * those three keys, owned by the mx_sxdb. */
typedef struct mx_sxdb {
	int64_t version;                 /* 1 */
	char boot_uuid[40];              /* "" when absent */
	bool developer_mode;
	size_t npolicies;
	plist_t policies;                /* array of dicts, owned (never NULL after parse/new) */
	size_t nexts;
	mx_sxdb_ext *exts;               /* owned */
} mx_sxdb;

/* An empty database (version 1, no records, an empty policy array). */
void mx_sxdb_init(mx_sxdb *db);
void mx_sxdb_free(mx_sxdb *db);
/* Appends a record (copied). */
void mx_sxdb_add_ext(mx_sxdb *db, const mx_sxdb_ext *e);
/* Appends the extensionPolicies element of one com.apple.system-extension-policy
 * payload (borrowed; only its AllowedTeamIdentifiers, AllowedSystemExtensions and
 * AllowedSystemExtensionTypes are read, types mapped to category identifiers).
 * Values of the wrong type fail with MX_EINVALID naming where.key. */
int mx_sxdb_add_policy(mx_sxdb *db, plist_t payload, const char *where, mx_err *err);

/* The binary plist, keys in a fixed order, so equal databases give equal
 * bytes.  *out is malloc'd (free). */
int mx_sxdb_write(const mx_sxdb *db, uint8_t **out, size_t *len, mx_err *err);
/* Reads untrusted bytes (binary or XML plist) named name.  On success *out
 * is the caller's (mx_sxdb_free); on failure it is empty and err names the
 * key path: "db.plist: extensions[3].uniqueID: expected a UUID, got ...". */
int mx_sxdb_parse(mx_sxdb *out, const uint8_t *buf, size_t len, const char *name, mx_err *err);

/* An absolute device path that names no parent (no "..", no NUL, no empty
 * component), at most max-1 bytes: what every path read from a device's
 * files must be before it is used. */
bool mx_devpath_ok(const char *p, size_t max);
/* Well-formed UTF-8 (no overlongs, surrogates or code points past
 * U+10FFFF) and no control characters but tab: what every string read
 * from a device's files must be (plist writers and sqlite3 keep it). */
bool mx_text_ok(const char *s);

#endif
