/*
 * codesign_int.h — the parsed embedded signature shared by codesign.c
 * (structure, page and special-slot hashes, cdhash), codesign_verify.c (CMS,
 * chain, classification) and the fuzz targets.  Every pointer is a view into
 * the caller's buffer, valid as long as it is.
 */
#ifndef MACEXT_CODESIGN_INT_H
#define MACEXT_CODESIGN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <plist/plist.h>

#include "macext/cs_blobs.h"
#include "macext/err.h"
#include "macext/rd.h"

#define CS_MAX_CD (1 + MX_CSSLOT_ALTERNATE_CODEDIRECTORY_MAX)
#define CS_MAX_SPECIAL 16   /* special slots we bind; xnu knows 1..11 */

typedef struct cs_cd {
	const uint8_t *blob;            /* the whole CD, len bytes */
	uint32_t len, slot;
	uint64_t off;                   /* absolute offset of the blob, for messages */
	uint32_t version, flags, hash_offset, ident_offset, nspecial, ncode, code_limit32;
	uint8_t hash_size, hash_type, platform, page_shift;
	uint32_t scatter_offset, team_offset, runtime;
	uint64_t code_limit, exec_seg_base, exec_seg_limit, exec_seg_flags;
	const char *ident;              /* into blob, NUL-terminated */
	const char *team;               /* NULL when absent */
	uint8_t digest[MX_CS_HASH_MAX_SIZE];   /* hash of the whole blob, own type */
	unsigned digest_len;
	int rank;                       /* hash priority, higher is stronger */
} cs_cd;

typedef struct cs_blob {
	uint32_t slot, magic, len;
	const uint8_t *p;               /* the whole blob incl. its 8-byte header */
} cs_blob;

typedef struct cs_sig {
	int ncd;
	cs_cd cd[CS_MAX_CD];            /* cd[0] is slot 0 (the primary) */
	int best;                       /* index of the strongest hash type */
	int nblob;
	cs_blob blob[MX_CS_MAX_BLOBS];  /* every non-CD blob, by slot */
	const uint8_t *cms;             /* CMS DER (payload of the 0xfade0b01 wrapper) */
	uint32_t cms_len;
	bool has_cms_slot;
	bool raw_cd;                    /* a bare CodeDirectory, no SuperBlob */
} cs_sig;

/* The EVP digest of a CS hash type, or NULL when unknown. */
const EVP_MD *cs_md(uint8_t hash_type);
/* Parses a SuperBlob (or a bare CodeDirectory) at buf[0..len); base is its
 * absolute offset in the file.  Applies xnu's cs_validate_csblob rules. */
int cs_parse(cs_sig *out, const uint8_t *buf, size_t len, uint64_t base, mx_err *err);
/* Finds the blob of slot, or NULL. */
const cs_blob *cs_find(const cs_sig *sig, uint32_t slot);
/* Verifies every code-page hash of cd over code[0..code_len) (the slice,
 * which starts at absolute offset base, for messages). */
int cs_verify_pages(const cs_cd *cd, const uint8_t *code, size_t code_len, uint64_t base,
    mx_err *err);
/* Verifies cd's special slot against data (a file or a blob); a zero slot
 * hash with data present is not an error; reports mismatches. */
int cs_verify_slot(const cs_cd *cd, uint32_t slot, const uint8_t *data, size_t len, mx_err *err);
/* True when cd has a non-zero hash in that special slot. */
bool cs_slot_bound(const cs_cd *cd, uint32_t slot);
/* Entitlements: parses the XML blob (slot 5) or else the DER blob (slot 7)
 * into a new dict in *out (NULL when there are none). */
int cs_entitlements(plist_t *out, const cs_sig *sig, mx_err *err);
/* DER entitlements (payload after the 8-byte blob header) to a plist dict. */
int cs_der_entitlements(plist_t *out, const uint8_t *der, size_t len, uint64_t base, mx_err *err);
/* apple_certs.c: pushes Apple's pinned roots and Developer ID CAs (new
 * references) onto the stacks; returns how many passed their pin. */
#include <openssl/x509.h>
int cs_apple_certs(STACK_OF(X509) *roots, STACK_OF(X509) *intermediates);
bool cs_is_apple_root(X509 *x);
/* coderesources.c: checks the bundle under top against the CodeResources
 * seal res[0..len) (bound by special slot 3); 0 when it holds, else -1 and
 * why says which resource was modified, missing or added. */
int cs_verify_resources(char *why, size_t wl, const char *top, const char *main_exe_rel,
    const uint8_t *res, size_t len);
/* Lowercase hex of n bytes into out (2n+1). */

/* codesign_verify.c: the CMS signature over cd[0], the hash agility
 * attributes against every CD, the chain (at signing time, else
 * trust->now; expired certificates are recorded, and fail only with
 * trust->check_expiration) and the class.
 * Signature problems set out->kind = MX_SIG_INVALID/UNTRUSTED and
 * out->reason; err is only for a trust anchor that cannot be read. */
#include "macext/codesign.h"
typedef struct cs_cms_result {
	enum mx_sigkind kind;
	char team[32], signer[256], reason[512];
	int64_t signing_time;
	bool kext_requirement_met, devid_requirement_met;
	bool anchor_extra;      /* chained to the configured extra anchor */
	int nexpired;           /* certificates of the chain past their notAfter */
	mx_sig_expired expired[MX_SIG_MAX_EXPIRED];
} cs_cms_result;
int cs_cms_verify(cs_cms_result *out, const cs_sig *sig, const mx_trust *trust, mx_err *err);

#endif
