/*
 * forge.h — writers for synthetic but valid test material: 64-bit Mach-O
 * files (thin x86_64 / arm64 and fat) and their embedded code signatures
 * (SuperBlob, CodeDirectory, requirements, entitlements, CMS).  The CLI
 * (`macext forge`, src/tools/cmd_forge.c) builds bundles from these.
 * Owners: src/formats/macho_write.c, src/formats/cs_sign.c.
 * Spec: docs/reference/formats-and-peers.md §1.2-1.12; docs/forge.md.
 *
 * Writers never read files or the clock: every input (certificates, keys,
 * the signing time, Info.plist and CodeResources bytes) comes in as an
 * argument, so the same inputs give the same bytes (except the CMS
 * signature itself when the key is RSA-PSS or ECDSA; we use PKCS#1 v1.5).
 */
#ifndef MACEXT_FORGE_H
#define MACEXT_FORGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <plist/plist.h>

#include "macext/err.h"
#include "macext/rd.h"

/* ---- a growable byte buffer for writers ---- */
typedef struct mx_wbuf { uint8_t *p; size_t len, cap; } mx_wbuf;
void mx_wbuf_put(mx_wbuf *b, const void *data, size_t n);
void mx_wbuf_u8(mx_wbuf *b, uint8_t v);
void mx_wbuf_u32be(mx_wbuf *b, uint32_t v);
void mx_wbuf_u64be(mx_wbuf *b, uint64_t v);
void mx_wbuf_u32le(mx_wbuf *b, uint32_t v);
void mx_wbuf_u64le(mx_wbuf *b, uint64_t v);
void mx_wbuf_zero(mx_wbuf *b, size_t n);
void mx_wbuf_free(mx_wbuf *b);

/* ---- who signs: a leaf key and certificate plus the CA certificates
 * (intermediate first, then the root) that go into the CMS ---- */
typedef struct mx_cs_identity {
	EVP_PKEY *key;          /* borrowed */
	X509 *leaf;             /* borrowed */
	X509 *chain[4];         /* borrowed, NULL-terminated */
} mx_cs_identity;

/* What to sign and how. */
typedef struct mx_cs_params {
	const char *identifier;         /* CodeDirectory identifier (the bundle id) */
	const char *team_id;            /* CodeDirectory team field; NULL or "" = none */
	bool adhoc;                     /* CS_ADHOC, empty CMS wrapper, empty requirements */
	bool sha1_primary;              /* SHA-1 CD in slot 0 + SHA-256 alternate (old signers) */
	uint32_t cd_flags;              /* extra CodeDirectory flags (CS_RUNTIME, ...) */
	unsigned page_shift;            /* 12 (4 KiB) or 14 (16 KiB) */
	uint64_t exec_seg_base, exec_seg_limit, exec_seg_flags;
	/* special slots: NULL = not bound (hash of zeros) */
	const uint8_t *info_plist; size_t info_len;       /* slot 1: Info.plist file bytes */
	const uint8_t *resources; size_t resources_len;   /* slot 3: CodeResources file bytes */
	const uint8_t *requirements; size_t req_len;      /* slot 2 blob; NULL = designated default */
	plist_t entitlements;           /* dict, or NULL: slots 5 (XML) and 7 (DER) */
	const mx_cs_identity *id;       /* NULL when adhoc */
	int64_t signing_time;           /* unix seconds, the CMS signingTime attribute */
	bool no_signing_time;           /* omit signingTime, as Apple's own signatures do */
} mx_cs_params;

#define MX_CS_MAX_CD 2
typedef struct mx_cs_result {
	int ncd;                         /* CodeDirectories written (slot order) */
	struct {
		uint32_t hash_type;      /* MX_CS_HASHTYPE_* */
		size_t len;              /* digest length */
		uint8_t digest[48];      /* full digest of the CD blob with its own hash */
	} cd[MX_CS_MAX_CD];
	uint8_t cdhash[20];              /* effective cdhash: strongest CD, truncated */
	uint32_t code_limit, n_code_slots, page_size;
	size_t sig_len;                  /* SuperBlob length */
} mx_cs_result;

/* Designated requirement blob (a 0xfade0c01 requirements vector holding one
 * 0xfade0c00 expression of type 3) for Developer ID code:
 *   identifier "ID" and anchor apple generic
 *   and certificate 1[field.1.2.840.113635.100.6.2.6] exists
 *   and certificate leaf[field.1.2.840.113635.100.6.1.13] exists
 *   and certificate leaf[subject.OU] = TEAM
 * adhoc (team NULL): an empty vector, as codesign writes for ad-hoc code. */
void mx_cs_requirements_devid(mx_wbuf *out, const char *ident, const char *team);
/* The requirement text of the blob above, for messages and docs. */
void mx_cs_requirements_devid_text(char *out, size_t len, const char *ident, const char *team);

/* Entitlements blobs (with their 8-byte header).  XML: 0xfade7171 + XML
 * plist.  DER: 0xfade7172 + [APPLICATION 16] { INTEGER 1, [CONTEXT 16]
 * dict } where a dict is a SET of SEQUENCE { UTF8String key, value } sorted
 * by key; values are BOOLEAN, INTEGER, UTF8String, SEQUENCE (array) or a
 * nested dict.  Other plist types are MX_EINVALID. */
int mx_cs_entitlements_xml(mx_wbuf *out, plist_t dict, mx_err *err);
int mx_cs_entitlements_der(mx_wbuf *out, plist_t dict, mx_err *err);

/* An upper bound of the SuperBlob size mx_cs_sign will write for code of
 * code_limit bytes, so the Mach-O writer can reserve __LINKEDIT space
 * before the pages (which include LC_CODE_SIGNATURE) are hashed. */
size_t mx_cs_reserve(const mx_cs_params *p, size_t code_limit);

/* Signs code[0..code_limit): writes the SuperBlob into *out (appended).
 * res (may be NULL) receives the cdhashes.  code_limit 0 is allowed (a
 * codeless bundle's detached CodeDirectory). */
int mx_cs_sign(mx_wbuf *out, const uint8_t *code, size_t code_limit, const mx_cs_params *p,
    mx_cs_result *res, mx_err *err);

/* The pieces separately, for detached signatures of codeless bundles
 * (_CodeSignature/CodeDirectory, CodeRequirements, CodeSignature):
 * mx_cs_sign_detached fills three buffers. */
int mx_cs_sign_detached(mx_wbuf *cd, mx_wbuf *reqs, mx_wbuf *cms, const mx_cs_params *p,
    mx_cs_result *res, mx_err *err);

/* ---- Mach-O ---- */
/* fat = x86_64 + arm64; fat-arm64e = x86_64 + arm64e (Apple silicon kexts) */
enum mx_forge_arch { MX_FORGE_X86_64, MX_FORGE_ARM64, MX_FORGE_ARM64E, MX_FORGE_FAT,
	MX_FORGE_FAT_ARM64E };
int mx_forge_arch_parse(enum mx_forge_arch *out, const char *s, mx_err *err);
const char *mx_forge_arch_name(enum mx_forge_arch a);

typedef struct mx_macho_spec {
	uint32_t filetype;       /* MX_MH_KEXT_BUNDLE or MX_MH_EXECUTE */
	uint32_t platform;       /* MX_PLATFORM_MACOS or MX_PLATFORM_DRIVERKIT */
	const char *seed;        /* code bytes and LC_UUID derive from it (the bundle id) */
	enum mx_forge_arch arch;
	bool tamper;             /* after signing, flip one byte inside a code page of every slice */
	uint64_t extra_code;     /* bytes added to __text (large binaries for benchmarks); 0 */
} mx_macho_spec;

#define MX_MACHO_MAX_SLICES 2
typedef struct mx_macho_slice {
	uint32_t cputype, cpusubtype;
	uint64_t offset, size;           /* in the file (offset 0 when thin) */
	uint64_t text_off, text_size;    /* the __text section, slice-relative */
	uint64_t sig_off, sig_size;      /* LC_CODE_SIGNATURE dataoff/datasize; 0 when unsigned */
	uint64_t tamper_off;             /* slice-relative byte flipped, 0 when none */
	mx_cs_result cs;
} mx_macho_slice;

typedef struct mx_macho_out {
	int nslices;
	mx_macho_slice slice[MX_MACHO_MAX_SLICES];
} mx_macho_out;

/* Writes a Mach-O (thin or fat) into *out.  sign NULL: no LC_CODE_SIGNATURE
 * (unsigned).  Each slice gets its own signature with the slice's page size
 * (x86_64 4 KiB, arm64 16 KiB).  info (may be NULL) describes the slices. */
int mx_macho_write(mx_wbuf *out, const mx_macho_spec *spec, const mx_cs_params *sign,
    mx_macho_out *info, mx_err *err);

#endif
