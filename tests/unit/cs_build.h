/*
 * cs_build.h — a small, test-only Mach-O + code-signature writer, written
 * independently of forge so that the readers are tested against bytes built
 * here from the format notes (formats-and-peers.md §1.3-1.11), plus a test PKI.
 */
#ifndef MACEXT_TEST_CS_BUILD_H
#define MACEXT_TEST_CS_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

typedef struct tb_pki {
	EVP_PKEY *root_key, *ca_key, *leaf_key;
	X509 *root, *ca, *leaf;
} tb_pki;

typedef struct tb_opts {
	uint32_t cputype, cpusubtype, filetype;
	size_t code_size;               /* bytes before the signature */
	int nhash;                      /* CodeDirectories: hash types in slot order */
	uint8_t hash[3];
	uint32_t cd_version;            /* default 0x20400 */
	const char *identifier, *team;  /* team NULL: none */
	const char *entitlements_xml;   /* NULL: no entitlements blob */
	const uint8_t *info;            /* bind Info.plist bytes in slot 1 */
	size_t info_len;
	bool adhoc;                     /* CS_ADHOC, empty CMS wrapper */
	bool unsigned_;                 /* no LC_CODE_SIGNATURE at all */
	const tb_pki *pki;              /* sign with pki->leaf when not adhoc */
	int agility;                    /* 0 none, 1 v1 plist, 2 v2, 3 both */
	bool agility_extra;             /* name a CD that does not exist */
	int64_t signing_time;           /* 0: now */
	size_t sig_alloc;               /* LC_CODE_SIGNATURE datasize; 0: 32 KiB */
} tb_opts;

void tb_defaults(tb_opts *o);
/* Builds a thin 64-bit Mach-O; *out is malloc'd. */
void tb_macho(uint8_t **out, size_t *len, const tb_opts *o);
/* A fat file of the given thin files (32-bit fat header, 4 KiB alignment). */
void tb_fat(uint8_t **out, size_t *len, uint8_t *const *thin, const size_t *lens, int n);
/* A test PKI: root -> "Developer ID"-like CA (…6.2.6) -> leaf (…6.1.13 and,
 * when kext, …6.1.18), team in UID and OU; validity [nb, na]. */
void tb_pki_new(tb_pki *p, bool kext, const char *team, int64_t nb, int64_t na);
/* The same with the CA's own window [ca_nb, ca_na] (the root spans both). */
void tb_pki_new_windows(tb_pki *p, bool kext, const char *team, int64_t nb, int64_t na,
    int64_t ca_nb, int64_t ca_na);
void tb_pki_free(tb_pki *p);
/* Writes x as PEM to path. */
void tb_write_pem(const char *path, X509 *x);
void tb_write_file(const char *path, const void *p, size_t n);

#endif
