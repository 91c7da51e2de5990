/*
 * fileset.h — kernel collections as Mach-O filesets (MH_FILESET): the
 * Auxiliary Kernel Collection macext builds at restart and reads back for
 * `kmutil inspect` and the boot.  Owner: src/formats/fileset.c.
 * Spec: formats-and-peers.md §1.13, kernel-extensions.md §3.3 step 7.
 */
#ifndef MACEXT_FILESET_H
#define MACEXT_FILESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <plist/plist.h>

#include "macext/cs_blobs.h"
#include "macext/err.h"

#define MX_FILESET_MAX_ENTRIES  4096
#define MX_FILESET_MAX_SIZE     (64u << 20)     /* the arm64e AuxKC limit (§3.3) */

/* One kext to put into a collection.  exec is a thin 64-bit Mach-O
 * (mx_fileset_thin_slice picks it from a fat file).  info is borrowed. */
typedef struct mx_fileset_kext_in {
	const char *bundle_id;
	const char *version;
	const char *team_id;            /* "" unsigned */
	const char *cdhash;             /* "" unsigned */
	const char *bundle_path;        /* _PrelinkBundlePath: the staged path */
	const char *exec_relpath;       /* _PrelinkExecutableRelativePath, "Contents/MacOS/X" */
	plist_t info;                   /* Info.plist dict */
	const uint8_t *exec;
	size_t exec_len;
} mx_fileset_kext_in;

/* Writes an AuxKC: a mach_header_64 (filetype MH_FILESET) whose load
 * commands are __TEXT, __PRELINK_TEXT (the kexts' Mach-O images),
 * __PRELINK_INFO,__info (the prelink plist), __RECEIPT_INFO,__aux_kc_receipt
 * (the receipt), LC_UUID and one LC_FILESET_ENTRY per kext.  *out is
 * malloc'd.  Fails (MX_ETOOBIG) past MX_FILESET_MAX_SIZE. */
int mx_fileset_write(uint8_t **out, size_t *out_len, uint32_t cputype, uint32_t cpusubtype,
    const uint8_t kc_uuid[16], const uint8_t boot_kcid[16], const mx_fileset_kext_in *kexts,
    int n, mx_err *err);

/* The same collection laid out but not assembled, so that a writer can
 * send it to a file straight from the kexts' (mapped) executables without
 * copying them into one buffer first.  Every byte of the file
 * [0, total) is inside exactly one piece (ascending offsets, no overlap) or
 * is zero; each gap between pieces, and after the last, is shorter than
 * page.  Pieces point into the kexts' exec buffers (borrowed: keep them
 * alive) and into the plan's own head/info_xml/rec_xml.  mx_fileset_write
 * is this plan copied into one buffer: the bytes are identical. */
typedef struct mx_fileset_piece {
	uint64_t off;
	const uint8_t *p;
	size_t len;
} mx_fileset_piece;

typedef struct mx_fileset_plan {
	uint64_t total;                 /* file size */
	uint64_t page;                  /* alignment: 4 KiB x86_64, 16 KiB arm64 */
	int npieces;
	mx_fileset_piece *pieces;
	uint8_t *head;                  /* mach header + load commands (owned) */
	char *info_xml, *rec_xml;       /* prelink info and receipt plists (owned) */
} mx_fileset_plan;

int mx_fileset_plan_make(mx_fileset_plan *plan, uint32_t cputype, uint32_t cpusubtype,
    const uint8_t kc_uuid[16], const uint8_t boot_kcid[16], const mx_fileset_kext_in *kexts,
    int n, mx_err *err);
void mx_fileset_plan_free(mx_fileset_plan *plan);

typedef struct mx_fileset_entry {
	char id[256];                   /* entry_id: the bundle identifier */
	uint64_t vmaddr, fileoff, size;
	char uuid[37];                  /* the entry's LC_UUID, "" when absent */
	char version[64];               /* from the prelink info, "" when absent */
	char bundle_path[1024];
	uint32_t cputype;
} mx_fileset_entry;

typedef struct mx_fileset_receipt_item {
	char bundle_id[256];
	char version[64];
	char team_id[32];
	char cdhash[41];
} mx_fileset_receipt_item;

typedef struct mx_fileset {
	uint32_t cputype, cpusubtype;
	char uuid[37];                  /* LC_UUID of the collection */
	char prelink_kcid[37];          /* _PrelinkKCID */
	char boot_kcid[37];             /* _BootKCID */
	int nentries;
	mx_fileset_entry *entries;
	int nreceipt;                   /* -1: no receipt section */
	uint64_t receipt_off, receipt_len;  /* the receipt section's bytes in the parsed buffer */
	mx_fileset_receipt_item *receipt;
	plist_t prelink;                /* owned prelink info dict */
} mx_fileset;

/* Parses buf[0..len) (untrusted).  On success *out belongs to the caller
 * (mx_fileset_free accepts NULL); nothing points into buf. */
int mx_fileset_parse(mx_fileset **out, const uint8_t *buf, size_t len, mx_err *err);
void mx_fileset_free(mx_fileset *fs);

/* Finds the thin 64-bit slice of cputype in a thin or fat Mach-O:
 * [*off, *off + *len) of buf.  MX_ENOTFOUND when there is none. */
int mx_fileset_thin_slice(const uint8_t *buf, size_t len, uint32_t cputype, size_t *off,
    size_t *slice_len, mx_err *err);

#endif
