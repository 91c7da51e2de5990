/*
 * cs_blobs.h — Mach-O and code-signature constants, shared by the readers
 * (src/formats/macho.c, codesign*.c) and the writer (forge).  Values only:
 * no structs are cast onto input; every field is decoded through mx_rd.
 *
 * Sources (restated, not copied): xnu osfmk/kern/cs_blobs.h,
 * EXTERNAL_HEADERS/mach-o/{loader.h,fat.h}, osfmk/mach/machine.h, cctools
 * mach-o/fat.h (64-bit fat); docs/reference/formats-and-peers.md §1.2-1.12.
 * Byte order: fat headers and everything in a code signature are big-endian;
 * Mach-O headers and load commands are in the CPU's order (LE for us).
 */
#ifndef MACEXT_CS_BLOBS_H
#define MACEXT_CS_BLOBS_H

/* ---- fat (universal) files: always big-endian ---- */
#define MX_FAT_MAGIC            0xcafebabeu   /* fat_arch: 5 x u32 = 20 bytes */
#define MX_FAT_MAGIC_64         0xcafebabfu   /* fat_arch_64: 2 x u32, 2 x u64, 2 x u32 = 32 bytes */
#define MX_FAT_HEADER_SIZE      8
#define MX_FAT_ARCH_SIZE        20
#define MX_FAT_ARCH64_SIZE      32
#define MX_FAT_MAX_ARCH         16            /* real files have 1..~10; 0xcafebabe is also Java */

/* ---- Mach-O header ---- */
#define MX_MH_MAGIC             0xfeedfaceu
#define MX_MH_CIGAM             0xcefaedfeu
#define MX_MH_MAGIC_64          0xfeedfacfu
#define MX_MH_CIGAM_64          0xcffaedfeu
#define MX_MH_HEADER_SIZE       28
#define MX_MH_HEADER64_SIZE     32

#define MX_CPU_ARCH_ABI64       0x01000000u
#define MX_CPU_TYPE_X86         7u
#define MX_CPU_TYPE_I386        MX_CPU_TYPE_X86
#define MX_CPU_TYPE_X86_64      (MX_CPU_TYPE_X86 | MX_CPU_ARCH_ABI64)   /* 0x01000007 */
#define MX_CPU_TYPE_ARM         12u
#define MX_CPU_TYPE_ARM64       (MX_CPU_TYPE_ARM | MX_CPU_ARCH_ABI64)   /* 0x0100000c */
#define MX_CPU_TYPE_POWERPC     18u

#define MX_CPU_SUBTYPE_MASK         0xff000000u  /* feature bits: mask before comparing */
#define MX_CPU_SUBTYPE_PTRAUTH_ABI  0x80000000u
#define MX_CPU_SUBTYPE_LIB64        0x80000000u
#define MX_CPU_SUBTYPE_X86_ALL      3u
#define MX_CPU_SUBTYPE_X86_64_ALL   3u
#define MX_CPU_SUBTYPE_X86_64_H     8u
#define MX_CPU_SUBTYPE_ARM64_ALL    0u
#define MX_CPU_SUBTYPE_ARM64_V8     1u
#define MX_CPU_SUBTYPE_ARM64E       2u

#define MX_MH_OBJECT            0x1u
#define MX_MH_EXECUTE           0x2u
#define MX_MH_FVMLIB            0x3u
#define MX_MH_CORE              0x4u
#define MX_MH_PRELOAD           0x5u
#define MX_MH_DYLIB             0x6u
#define MX_MH_DYLINKER          0x7u
#define MX_MH_BUNDLE            0x8u
#define MX_MH_DYLIB_STUB        0x9u
#define MX_MH_DSYM              0xau
#define MX_MH_KEXT_BUNDLE       0xbu
#define MX_MH_FILESET           0xcu

#define MX_MH_NOUNDEFS          0x1u
#define MX_MH_DYLDLINK          0x4u
#define MX_MH_PIE               0x200000u
#define MX_MH_DYLIB_IN_CACHE    0x80000000u

/* ---- load commands (cmd u32, cmdsize u32, in CPU order) ---- */
#define MX_LC_REQ_DYLD              0x80000000u
#define MX_LC_SEGMENT               0x1u
#define MX_LC_SYMTAB                0x2u
#define MX_LC_DYSYMTAB              0xbu
#define MX_LC_LOAD_DYLIB            0xcu
#define MX_LC_ID_DYLIB              0xdu
#define MX_LC_LOAD_DYLINKER         0xeu
#define MX_LC_SEGMENT_64            0x19u
#define MX_LC_UUID                  0x1bu
#define MX_LC_CODE_SIGNATURE        0x1du
#define MX_LC_SEGMENT_SPLIT_INFO    0x1eu
#define MX_LC_ENCRYPTION_INFO       0x21u
#define MX_LC_VERSION_MIN_MACOSX    0x24u
#define MX_LC_FUNCTION_STARTS       0x26u
#define MX_LC_MAIN                  (0x28u | MX_LC_REQ_DYLD)
#define MX_LC_DATA_IN_CODE          0x29u
#define MX_LC_SOURCE_VERSION        0x2au
#define MX_LC_ENCRYPTION_INFO_64    0x2cu
#define MX_LC_BUILD_VERSION         0x32u
#define MX_LC_DYLD_EXPORTS_TRIE     (0x33u | MX_LC_REQ_DYLD)
#define MX_LC_DYLD_CHAINED_FIXUPS   (0x34u | MX_LC_REQ_DYLD)
#define MX_LC_FILESET_ENTRY         (0x35u | MX_LC_REQ_DYLD)   /* 0x80000035 */

#define MX_LC_HEADER_SIZE           8
#define MX_SEGMENT_CMD_SIZE         56    /* segment_command (32-bit) */
#define MX_SEGMENT64_CMD_SIZE       72    /* segment_command_64 */
#define MX_SECTION_SIZE             68    /* section (32-bit) */
#define MX_SECTION64_SIZE           80    /* section_64 */
#define MX_LINKEDIT_DATA_CMD_SIZE   16    /* LC_CODE_SIGNATURE: dataoff u32, datasize u32 */
#define MX_UUID_CMD_SIZE            24
#define MX_BUILD_VERSION_CMD_SIZE   24    /* + ntools * 8 */
#define MX_FILESET_ENTRY_CMD_SIZE   32    /* vmaddr u64, fileoff u64, entry_id lc_str u32, reserved u32 */

#define MX_PLATFORM_MACOS           1u
#define MX_PLATFORM_IOS             2u
#define MX_PLATFORM_DRIVERKIT       10u

#define MX_VM_PROT_READ             0x1u
#define MX_VM_PROT_WRITE            0x2u
#define MX_VM_PROT_EXECUTE          0x4u

/* ---- code signature blobs (all big-endian) ---- */
#define MX_CSMAGIC_REQUIREMENT               0xfade0c00u
#define MX_CSMAGIC_REQUIREMENTS              0xfade0c01u
#define MX_CSMAGIC_CODEDIRECTORY             0xfade0c02u
#define MX_CSMAGIC_EMBEDDED_SIGNATURE        0xfade0cc0u
#define MX_CSMAGIC_EMBEDDED_SIGNATURE_OLD    0xfade0b02u
#define MX_CSMAGIC_DETACHED_SIGNATURE        0xfade0cc1u
#define MX_CSMAGIC_EMBEDDED_ENTITLEMENTS     0xfade7171u
#define MX_CSMAGIC_EMBEDDED_DER_ENTITLEMENTS 0xfade7172u
#define MX_CSMAGIC_EMBEDDED_LAUNCH_CONSTRAINT 0xfade8181u
#define MX_CSMAGIC_BLOBWRAPPER               0xfade0b01u   /* CMS payload (DER) */

#define MX_CS_SUPERBLOB_HEADER_SIZE  12   /* magic, length, count */
#define MX_CS_BLOBINDEX_SIZE         8    /* type, offset (from SuperBlob start) */
#define MX_CS_GENERICBLOB_HEADER     8    /* magic, length */
#define MX_CS_MAX_BLOBS              64   /* cap on SuperBlob.count */

/* slots (BlobIndex.type) = special-slot numbers */
#define MX_CSSLOT_CODEDIRECTORY              0u
#define MX_CSSLOT_INFOSLOT                   1u
#define MX_CSSLOT_REQUIREMENTS               2u
#define MX_CSSLOT_RESOURCEDIR                3u
#define MX_CSSLOT_APPLICATION                4u
#define MX_CSSLOT_ENTITLEMENTS               5u
#define MX_CSSLOT_REP_SPECIFIC               6u
#define MX_CSSLOT_DER_ENTITLEMENTS           7u
#define MX_CSSLOT_LAUNCH_CONSTRAINT_SELF     8u
#define MX_CSSLOT_LAUNCH_CONSTRAINT_PARENT   9u
#define MX_CSSLOT_LAUNCH_CONSTRAINT_RESPONSIBLE 10u
#define MX_CSSLOT_LIBRARY_CONSTRAINT         11u
#define MX_CSSLOT_ALTERNATE_CODEDIRECTORIES  0x1000u
#define MX_CSSLOT_ALTERNATE_CODEDIRECTORY_MAX 5u
#define MX_CSSLOT_ALTERNATE_CODEDIRECTORY_LIMIT \
	(MX_CSSLOT_ALTERNATE_CODEDIRECTORIES + MX_CSSLOT_ALTERNATE_CODEDIRECTORY_MAX)
#define MX_CSSLOT_SIGNATURESLOT              0x10000u
#define MX_CSSLOT_IDENTIFICATIONSLOT         0x10001u
#define MX_CSSLOT_TICKETSLOT                 0x10002u

/* requirement types inside the requirements vector */
#define MX_CSREQ_HOST        1u
#define MX_CSREQ_GUEST       2u
#define MX_CSREQ_DESIGNATED  3u
#define MX_CSREQ_LIBRARY     4u
#define MX_CSREQ_PLUGIN      5u
#define MX_CSREQ_KIND_EXPR   1u   /* requirement blob kind: expression */

/* ---- hash types ---- */
#define MX_CS_HASHTYPE_SHA1              1u
#define MX_CS_HASHTYPE_SHA256            2u
#define MX_CS_HASHTYPE_SHA256_TRUNCATED  3u
#define MX_CS_HASHTYPE_SHA384            4u
#define MX_CS_SHA1_LEN                   20
#define MX_CS_SHA256_LEN                 32
#define MX_CS_SHA256_TRUNCATED_LEN       20
#define MX_CS_SHA384_LEN                 48
#define MX_CS_CDHASH_LEN                 20   /* always: longer hashes are truncated */
#define MX_CS_HASH_MAX_SIZE              48

/* ---- CodeDirectory ---- */
#define MX_CS_CD_HEADER_MIN              44   /* fields up to spare2 */
#define MX_CS_SUPPORTSSCATTER            0x20100u
#define MX_CS_SUPPORTSTEAMID             0x20200u
#define MX_CS_SUPPORTSCODELIMIT64        0x20300u
#define MX_CS_SUPPORTSEXECSEG            0x20400u
#define MX_CS_SUPPORTSRUNTIME            0x20500u
#define MX_CS_SUPPORTSLINKAGE            0x20600u
#define MX_CS_CD_VERSION_EARLIEST        0x20001u
#define MX_CS_CD_VERSION_CURRENT         0x20600u
/* byte offsets of the fields in a CodeDirectory */
#define MX_CS_CD_OFF_VERSION         8
#define MX_CS_CD_OFF_FLAGS           12
#define MX_CS_CD_OFF_HASHOFFSET      16
#define MX_CS_CD_OFF_IDENTOFFSET     20
#define MX_CS_CD_OFF_NSPECIALSLOTS   24
#define MX_CS_CD_OFF_NCODESLOTS      28
#define MX_CS_CD_OFF_CODELIMIT       32
#define MX_CS_CD_OFF_HASHSIZE        36
#define MX_CS_CD_OFF_HASHTYPE        37
#define MX_CS_CD_OFF_PLATFORM        38
#define MX_CS_CD_OFF_PAGESIZE        39
#define MX_CS_CD_OFF_SPARE2          40
#define MX_CS_CD_OFF_SCATTEROFFSET   44   /* >= 0x20100 */
#define MX_CS_CD_OFF_TEAMOFFSET      48   /* >= 0x20200 */
#define MX_CS_CD_OFF_SPARE3          52   /* >= 0x20300 */
#define MX_CS_CD_OFF_CODELIMIT64     56   /* >= 0x20300 */
#define MX_CS_CD_OFF_EXECSEGBASE     64   /* >= 0x20400 */
#define MX_CS_CD_OFF_EXECSEGLIMIT    72
#define MX_CS_CD_OFF_EXECSEGFLAGS    80
#define MX_CS_CD_OFF_RUNTIME         88   /* >= 0x20500 */
#define MX_CS_CD_OFF_PREENCRYPT      92
#define MX_CS_CD_OFF_LINKAGE         96   /* >= 0x20600 */
/* header size promised by each version */
#define MX_CS_CD_SIZE_20100          48
#define MX_CS_CD_SIZE_20200          52
#define MX_CS_CD_SIZE_20300          64
#define MX_CS_CD_SIZE_20400          88
#define MX_CS_CD_SIZE_20500          96
#define MX_CS_CD_SIZE_20600          108

#define MX_CS_PAGE_SHIFT_4K          12
#define MX_CS_PAGE_SHIFT_16K         14

/* ---- code-signing flags (CodeDirectory.flags) ---- */
#define MX_CS_VALID                  0x00000001u
#define MX_CS_ADHOC                  0x00000002u
#define MX_CS_GET_TASK_ALLOW         0x00000004u
#define MX_CS_INSTALLER              0x00000008u
#define MX_CS_FORCED_LV              0x00000010u
#define MX_CS_INVALID_ALLOWED        0x00000020u
#define MX_CS_HARD                   0x00000100u
#define MX_CS_KILL                   0x00000200u
#define MX_CS_CHECK_EXPIRATION       0x00000400u
#define MX_CS_RESTRICT               0x00000800u
#define MX_CS_ENFORCEMENT            0x00001000u
#define MX_CS_REQUIRE_LV             0x00002000u
#define MX_CS_ENTITLEMENTS_VALIDATED 0x00004000u
#define MX_CS_NVRAM_UNRESTRICTED     0x00008000u
#define MX_CS_RUNTIME                0x00010000u
#define MX_CS_LINKER_SIGNED          0x00020000u
#define MX_CS_ALLOWED_MACHO          (MX_CS_ADHOC | MX_CS_HARD | MX_CS_KILL | \
	MX_CS_CHECK_EXPIRATION | MX_CS_RESTRICT | MX_CS_ENFORCEMENT | MX_CS_REQUIRE_LV | \
	MX_CS_RUNTIME | MX_CS_LINKER_SIGNED)

/* ---- exec segment flags (CodeDirectory.execSegFlags) ---- */
#define MX_CS_EXECSEG_MAIN_BINARY     0x1u
#define MX_CS_EXECSEG_ALLOW_UNSIGNED  0x10u
#define MX_CS_EXECSEG_DEBUGGER        0x20u
#define MX_CS_EXECSEG_JIT             0x40u
#define MX_CS_EXECSEG_SKIP_LV         0x80u
#define MX_CS_EXECSEG_CAN_LOAD_CDHASH 0x100u
#define MX_CS_EXECSEG_CAN_EXEC_CDHASH 0x200u

/* ---- OIDs (dotted strings, for OBJ_txt2obj) ---- */
#define MX_OID_SIGNED_DATA           "1.2.840.113549.1.7.2"
#define MX_OID_DATA                  "1.2.840.113549.1.7.1"
#define MX_OID_CONTENT_TYPE          "1.2.840.113549.1.9.3"
#define MX_OID_MESSAGE_DIGEST        "1.2.840.113549.1.9.4"
#define MX_OID_SIGNING_TIME          "1.2.840.113549.1.9.5"
#define MX_OID_TIMESTAMP_TOKEN       "1.2.840.113549.1.9.16.2.14"
#define MX_OID_CDHASHES_PLIST        "1.2.840.113635.100.9.1"   /* hash agility v1 */
#define MX_OID_CDHASHES_V2           "1.2.840.113635.100.9.2"   /* hash agility v2 */
#define MX_OID_APPLE_CERT_POLICY     "1.2.840.113635.100.5.1"
#define MX_OID_DEVID_APPLICATION     "1.2.840.113635.100.6.1.13"
#define MX_OID_DEVID_INSTALLER       "1.2.840.113635.100.6.1.14"
#define MX_OID_DEVID_KEXT            "1.2.840.113635.100.6.1.18"
#define MX_OID_DEVID_DATE            "1.2.840.113635.100.6.1.33"
#define MX_OID_MAC_DEVELOPER         "1.2.840.113635.100.6.1.12"
#define MX_OID_MAS_APP               "1.2.840.113635.100.6.1.9"
#define MX_OID_APPLE_SOFTWARE_SIGNING "1.2.840.113635.100.6.22"
#define MX_OID_CA_WWDR               "1.2.840.113635.100.6.2.1"
#define MX_OID_CA_DEVID              "1.2.840.113635.100.6.2.6"
#define MX_OID_CA_TIMESTAMP          "1.2.840.113635.100.6.2.9"
#define MX_OID_EKU_CODE_SIGNING      "1.3.6.1.5.5.7.3.3"
#define MX_OID_SUBJECT_UID           "0.9.2342.19200300.100.1.1"
#define MX_OID_SUBJECT_OU            "2.5.4.11"
#define MX_OID_SHA1                  "1.3.14.3.2.26"
#define MX_OID_SHA256                "2.16.840.1.101.3.4.2.1"
#define MX_OID_SHA384                "2.16.840.1.101.3.4.2.2"

#endif
