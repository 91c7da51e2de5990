/*
 * forge_int.h — what cmd_forge.c shares with forge_ca.c (the test CA) and
 * forge_bundle.c (bundle layout).  docs/forge.md describes the material.
 */
#ifndef MACEXT_FORGE_INT_H
#define MACEXT_FORGE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "macext/forge.h"

/* ---- the test CA (forge_ca.c) ----
 * DIR/root.pem, root.key          "macext Test Root CA" (self-signed)
 * DIR/devid-ca.pem, devid-ca.key  "Developer ID Certification Authority"-like
 *                                 intermediate with 1.2.840.113635.100.6.2.6
 * DIR/leaves/<file>.pem           leaf certificate + key, made on demand per
 *                                 Team ID and variant
 * Creation is serialised by flock(DIR/.lock) and files appear by rename, so
 * parallel forges share one CA. */
typedef struct forge_ca forge_ca;

enum forge_leaf_flags {
	FORGE_LEAF_KEXT = 1,        /* + 1.2.840.113635.100.6.1.18 */
	FORGE_LEAF_EXPIRED = 2,     /* valid 2020-01-01 .. 2021-01-01 only */
	FORGE_LEAF_APPLE = 4,       /* "Software Signing" (…6.22) under an "Apple Code Signing
	                             * Certification Authority"-like intermediate */
};

/* Validity windows, "YYYYMMDDHHMMSSZ"; NULL for the defaults (leaf
 * 2020-01-01..2040-01-01; the CA's own intermediate).  An intermediate
 * window (or FORGE_LEAF_APPLE) issues a separate intermediate, kept in
 * DIR/intermediates/, between the root and the leaf. */
typedef struct forge_leaf_opts {
	unsigned flags;
	const char *not_before, *not_after;
	const char *ca_not_before, *ca_not_after;
} forge_leaf_opts;
#define FORGE_LEAF_NB "20200101000000Z"
#define FORGE_LEAF_NA "20400101000000Z"
#define FORGE_APPLE_CA_NB "20111024173941Z"   /* Apple Code Signing CA's own window */
#define FORGE_APPLE_CA_NA "20261024173941Z"

/* Opens the CA in dir, creating it when absent. */
int forge_ca_open(forge_ca **out, const char *dir, mx_err *err);
void forge_ca_free(forge_ca *ca);
/* Loads (or issues and stores) the leaf for team; *out borrows from ca. */
int forge_ca_leaf(forge_ca *ca, const char *team, const char *team_name, unsigned flags,
    mx_cs_identity *out, mx_err *err);
/* The same with validity windows and a separate intermediate (o). */
int forge_ca_leaf_opts(forge_ca *ca, const char *team, const char *team_name,
    const forge_leaf_opts *o, mx_cs_identity *out, mx_err *err);
const char *forge_ca_dir(const forge_ca *ca);
/* SHA-256 fingerprint of the root, hex. */
void forge_ca_root_sha256(const forge_ca *ca, char out[65]);
/* Subject CN of a certificate. */
void forge_cert_cn(X509 *x, char *out, size_t len);

/* mkdir -p */
int forge_mkdirs(const char *path, mx_err *err);

/* ---- bundles (forge_bundle.c) ---- */
enum forge_kind { FORGE_KEXT, FORGE_SYSEXT, FORGE_DEXT, FORGE_APP };
enum forge_sig { FORGE_SIGNED, FORGE_ADHOC, FORGE_UNSIGNED };

#define FORGE_MAX_EMBED 16

struct forge_spec {
	enum forge_kind kind;
	uint64_t extra_code;             /* --code-size: bytes added to __text (benchmarks) */
	const char *out;                 /* the bundle directory to create */
	const char *bundle_id, *team, *cd_team;  /* cd_team: CodeDirectory team field */
	const char *version, *short_version, *executable;
	const char *category;            /* sysext: "network", "endpoint-security", "driver" */
	enum mx_forge_arch arch;
	enum forge_sig sig;
	bool tamper, tamper_resource, codeless, sha1_primary, no_usage_description, force;
	plist_t entitlements;            /* final entitlements (borrowed), NULL = none */
	const char *embed[FORGE_MAX_EMBED];
	int nembed;
	int64_t signing_time;
	bool no_signing_time;            /* omit the CMS signingTime (Apple's own binaries have none) */
	const mx_cs_identity *id;        /* signer when sig == FORGE_SIGNED */
};

struct forge_result {
	bool has_exe;
	char exe_rel[512];               /* "Contents/MacOS/X", "" when codeless */
	mx_macho_out mo;                 /* slices when has_exe */
	bool detached;                   /* codeless signed: _CodeSignature/CodeDirectory */
	mx_cs_result dcs;
	uint8_t info_sha256[32];
	int nresources;                  /* files sealed in CodeResources */
};

/* Builds spec->out (staged next to it, then renamed into place). */
int forge_bundle(const struct forge_spec *s, struct forge_result *r, mx_err *err);
/* The default Info.plist for s (owned by the caller). */
plist_t forge_info_plist(const struct forge_spec *s);
/* Default entitlements of a kind/category (owned; NULL for kexts). */
plist_t forge_default_entitlements(const struct forge_spec *s);
/* The category string (MX_CAT_*-like) of a system extension spec, or NULL. */
const char *forge_category_id(const struct forge_spec *s);

/* ---- packages (forge_pkg.c): `forge pkg OUT.pkg ...`, argv[0] "pkg" ---- */
struct mx_cli;
int forge_pkg_cmd(struct mx_cli *cli, int argc, char **argv, mx_err *err);

#endif
