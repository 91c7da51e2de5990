/*
 * macho.h — thin and universal (fat) Mach-O files, read for code signing:
 * headers, segments and sections, LC_CODE_SIGNATURE, LC_UUID,
 * LC_BUILD_VERSION and LC_FILESET_ENTRY.  Every slice may have its own file
 * type (a fat kext may hold an MH_OBJECT i386 stub).  Owner:
 * src/formats/macho.c.  Spec: formats-and-peers.md §1.1-1.4, §1.13.
 */
#ifndef MACEXT_MACHO_H
#define MACEXT_MACHO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macext/err.h"

#define MX_MACHO_MAX_CMDS     4096     /* ncmds cap (real files: tens) */
#define MX_MACHO_MAX_SEGS     256
#define MX_MACHO_MAX_SECTS    4096
#define MX_MACHO_MAX_FILESET  4096     /* LC_FILESET_ENTRY cap (a KC holds hundreds) */

typedef struct mx_macho_segment {
	char name[17];
	uint64_t vmaddr, vmsize, fileoff, filesize;
	uint32_t maxprot, initprot, nsects, flags;
} mx_macho_segment;

typedef struct mx_macho_section {
	char sectname[17], segname[17];
	uint64_t addr, size;
	uint32_t offset, flags;
} mx_macho_section;

typedef struct mx_macho_fileset_entry {
	char entry_id[256];
	uint64_t vmaddr, fileoff;
} mx_macho_fileset_entry;

typedef struct mx_macho_slice {
	uint32_t cputype, cpusubtype, filetype, ncmds, sizeofcmds, flags;
	bool is64, swapped;             /* swapped: big-endian Mach-O (ppc) */
	uint64_t offset, size;          /* of the slice in the file */
	const uint8_t *data;            /* points into the parsed buffer */
	uint32_t fat_align;             /* log2, 0 for a thin file */
	bool has_uuid;
	uint8_t uuid[16];
	bool has_code_signature;
	uint32_t cs_dataoff, cs_datasize;    /* relative to the slice, within it */
	bool has_build_version;
	uint32_t platform, minos, sdk;       /* LC_BUILD_VERSION (or LC_VERSION_MIN_MACOSX) */
	bool has_text;                       /* __TEXT: the exec segment of the CD */
	uint64_t text_fileoff, text_filesize;
	int nsegs, nsects, nfileset;
	mx_macho_segment *segs;
	mx_macho_section *sects;
	mx_macho_fileset_entry *fileset;
} mx_macho_slice;

typedef struct mx_macho {
	bool fat, fat64;
	int nslices;
	mx_macho_slice *slices;
} mx_macho;

/* Parses a Mach-O or fat file in buf[0..len). On success *out belongs to the caller
 * (mx_macho_free, which accepts NULL); buf must outlive it: slices point into buf. */
int mx_macho_parse(mx_macho **out, const uint8_t *buf, size_t len, mx_err *err);
void mx_macho_free(mx_macho *m);
/* True when buf starts with a Mach-O or fat magic (no further checks). */
bool mx_macho_sniff(const uint8_t *buf, size_t len);
/* "x86_64", "x86_64h", "arm64", "arm64e", "i386", "arm64_32", ... or "cpu-0x..". Static storage
 * for known names; unknown ones are formatted into buf. */
const char *mx_macho_arch_name(uint32_t cputype, uint32_t cpusubtype, char *buf, size_t len);
const char *mx_macho_filetype_name(uint32_t filetype);

#endif
