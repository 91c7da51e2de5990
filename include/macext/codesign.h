/*
 * codesign.h — Mach-O code signatures verified as macOS verifies them:
 * page hashes, special slots, cdhash (best hash type, 20 bytes), the CMS
 * signature over the CodeDirectory with Apple's hash agility attributes,
 * the certificate chain to Apple's roots (or a device's extra trust anchor)
 * checked at signing time, and the Team ID.  Expired certificates are a
 * reported fact, not a failure, unless the caller asks as
 * kSecCSConsiderExpiration does.  Owner: src/formats/codesign*.c.
 * Spec: docs/reference formats-and-peers.md §1.5-1.12, kernel-extensions.md §5.
 */
#ifndef MACEXT_CODESIGN_H
#define MACEXT_CODESIGN_H

#include <stdbool.h>
#include <stdint.h>

#include <plist/plist.h>

#include "macext/err.h"

enum mx_sigkind {
	MX_SIG_UNSIGNED,
	MX_SIG_ADHOC,
	MX_SIG_APPLE,                /* anchor apple */
	MX_SIG_DEVELOPER_ID,
	MX_SIG_DEVELOPER_ID_KEXT,    /* leaf carries 1.2.840.113635.100.6.1.18 */
	MX_SIG_UNTRUSTED,            /* valid CMS, chain to a non-Apple, non-configured root */
	MX_SIG_INVALID,              /* any hash, CMS or structure failure */
};
const char *mx_sigkind_name(enum mx_sigkind k);  /* "developer-id-kext", ... as in DESIGN.md */

/* What is trusted besides Apple's pinned roots, and when.  The chain is
 * evaluated at the signing time when the signature has one, else at now;
 * with neither (now 0) validity periods are not checked at all. */
typedef struct mx_trust {
	const char *extra_anchor_pem;   /* path of a PEM root, or NULL */
	int64_t now;                    /* the verification clock (unix seconds), 0 = none given */
	bool check_expiration;          /* kSecCSConsiderExpiration (`codesign --check-expiration`):
	                                 * a certificate expired at the signing time or by now makes
	                                 * the signature invalid; otherwise it is only reported */
} mx_trust;

/* A certificate of the chain past its notAfter. */
#define MX_SIG_MAX_EXPIRED 4
typedef struct mx_sig_expired {
	char subject[256];              /* subject CN */
	int64_t not_after;              /* unix seconds */
	bool at_signing_time;           /* expired already when signed (else only by now) */
} mx_sig_expired;

#define MX_SIG_MAX_ARCH 8

typedef struct mx_sig_arch {
	uint32_t cputype, cpusubtype;
	char cdhash[41];                /* effective cdhash, hex, 20 bytes */
	char identifier[256];
	char team_id[32];               /* from the CodeDirectory, "" when absent */
	enum mx_sigkind kind;
} mx_sig_arch;

typedef struct mx_siginfo {
	enum mx_sigkind kind;           /* the worst over all slices */
	char team_id[32];               /* leaf certificate UID (else OU); "" unsigned/adhoc */
	char identifier[256];           /* CodeDirectory identifier */
	char signer[256];               /* leaf subject CN, e.g. "Developer ID Application: X (TEAM)" */
	char cdhash[41];                /* effective cdhash of the first slice */
	int64_t signing_time;           /* CMS signing time (unix), 0 when absent */
	bool kext_requirement_met;      /* the third-party kext requirement of kernel-extensions.md §5.1 */
	bool devid_requirement_met;     /* the Developer ID requirement of MDM designated requirements
	                                 * (anchor apple generic, cert 1 …6.2.6, leaf …6.1.13): what a
	                                 * Developer ID system extension / dext satisfies */
	int narch;
	mx_sig_arch arch[MX_SIG_MAX_ARCH];
	plist_t entitlements;           /* owned dict, or NULL */
	bool expired;                   /* some certificate of the chain has expired (nexpired > 0) */
	int nexpired;
	mx_sig_expired expired_certs[MX_SIG_MAX_EXPIRED];   /* leaf first */
	char reason[512];               /* why invalid / untrusted / requirement not met */
} mx_siginfo;

/* Verifies a bundle directory (its main executable, Info.plist and
 * CodeResources slots) or a single Mach-O file.  Signature problems are not
 * errors: they set out->kind and out->reason.  err is for I/O and for input
 * that is not a bundle or Mach-O at all.  A codeless kext has kind UNSIGNED
 * unless its _CodeSignature says otherwise. */
int mx_codesign_verify_path(mx_siginfo *out, const char *path, const mx_trust *trust,
    mx_err *err);
/* The same over bytes of a Mach-O (thin or fat) with optional Info.plist bytes. */
int mx_codesign_verify_buf(mx_siginfo *out, const uint8_t *buf, size_t len,
    const uint8_t *info_plist, size_t info_len, const mx_trust *trust, mx_err *err);
void mx_siginfo_free(mx_siginfo *si);
/* The entitlements of the first signed slice of the Mach-O at path, without
 * verifying anything (bundle reading).  *out is a new dict or NULL. */
int mx_codesign_copy_entitlements(plist_t *out, const char *path, mx_err *err);

#endif
