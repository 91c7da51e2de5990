/*
 * bundle.h — extension and app bundles: .kext (also codeless and nested),
 * .dext, .systemextension, .app with Contents/Library/SystemExtensions/.
 * Reads Info.plist (XML or binary) with every value's type checked.
 * Owner: src/formats/bundle.c.  Spec: formats-and-peers.md §1.16,
 * system-extensions.md §2.9 and §4.
 */
#ifndef MACEXT_BUNDLE_H
#define MACEXT_BUNDLE_H

#include <limits.h>
#include <stdbool.h>

#include <plist/plist.h>

#include "macext/err.h"

enum mx_bundle_kind { MX_BUNDLE_KEXT, MX_BUNDLE_DEXT, MX_BUNDLE_SYSEXT, MX_BUNDLE_APP,
	MX_BUNDLE_OTHER };

/* System extension categories (db.plist "categories" strings). */
#define MX_CAT_DRIVER   "com.apple.system_extension.driver_extension"
#define MX_CAT_NETWORK  "com.apple.system_extension.network_extension"
#define MX_CAT_ES       "com.apple.system_extension.endpoint_security"
#define MX_CAT_CMIO     "com.apple.system_extension.cmio"

#define MX_BUNDLE_MAX_EMBEDDED 16

typedef struct mx_bundle {
	enum mx_bundle_kind kind;
	char path[PATH_MAX];             /* as opened */
	char bundle_id[256];             /* CFBundleIdentifier */
	char version[64];                /* CFBundleVersion */
	char short_version[64];          /* CFBundleShortVersionString, "" when absent */
	char name[256];                  /* CFBundleName or the directory's base name */
	char executable[256];            /* CFBundleExecutable, "" when codeless */
	char executable_path[PATH_MAX];  /* full path, "" when codeless */
	char contents_dir[PATH_MAX];     /* path/Contents, or path for a shallow bundle */
	char package_type[16];           /* CFBundlePackageType, "" when absent */
	bool codeless;
	plist_t info;                    /* owned Info.plist dict */
	plist_t entitlements;            /* owned dict from the executable's signature, or NULL */
	/* system extensions (.systemextension, .dext) */
	char category[80];               /* one of MX_CAT_*, "" when unknown */
	char category_declared[128];     /* NSSystemExtensionPointIdentifier as written, "" */
	bool has_usage_description;      /* NSSystemExtensionUsageDescription (OSBundleUsageDescription for dexts) */
	bool has_category_entitlement;   /* the entitlement the category needs (system-extensions.md §4.2) */
	char missing_entitlement[128];   /* which one is missing, "" */
	/* kexts */
	char os_bundle_required[64];     /* OSBundleRequired, "" */
	bool has_os_bundle_libraries;
	int nplugins;                    /* kexts in Contents/PlugIns (sorted) */
	char plugins[MX_BUNDLE_MAX_EMBEDDED][PATH_MAX];
	/* apps: extensions found in Contents/Library/SystemExtensions (sorted) */
	int nembedded;
	char embedded[MX_BUNDLE_MAX_EMBEDDED][PATH_MAX];
	bool has_install_entitlement;    /* com.apple.developer.system-extension.install = true */
} mx_bundle;

#define MX_BUNDLE_MAX_INFO   (1u << 20)      /* Info.plist cap */
#define MX_BUNDLE_NO_ENTITLEMENTS 0x1        /* mx_bundle_open_flags: do not read the signature */

/* Opens the bundle at path.  The kind comes from the directory suffix.
 * On success *out belongs to the caller (mx_bundle_free accepts NULL). */
int mx_bundle_open(mx_bundle **out, const char *path, mx_err *err);
int mx_bundle_open_flags(mx_bundle **out, const char *path, unsigned flags, mx_err *err);
/* Parses Info.plist bytes (XML or binary) into b's fields, checking every
 * value's type; where names the file in messages.  Used by mx_bundle_open. */
int mx_bundle_read_info(mx_bundle *b, const uint8_t *buf, size_t len, const char *where,
    mx_err *err);
void mx_bundle_free(mx_bundle *b);
const char *mx_bundle_kind_name(enum mx_bundle_kind k);  /* "kext", "dext", ... */

#endif
