/*
 * macho_write.c — writes small but valid 64-bit Mach-O files for forge:
 * MH_KEXT_BUNDLE (kexts) and MH_EXECUTE (system extensions, dexts, apps),
 * thin x86_64, thin arm64, or fat (FAT_MAGIC, x86_64 + arm64, slices
 * aligned 2^14).  Layout of one slice (little-endian; loader.h, §1.3-1.4):
 *
 *   0         mach_header_64 (32 bytes)
 *   32        load commands: [__PAGEZERO] __TEXT(+__text) __LINKEDIT LC_UUID
 *             LC_BUILD_VERSION [LC_MAIN] [LC_CODE_SIGNATURE]
 *   code_off  __text: a tiny function (return 0) then filler bytes derived
 *             from the seed (the bundle id), so each bundle's code differs
 *   text_end  __TEXT ends, rounded to the segment alignment (4 KiB x86_64,
 *             16 KiB arm64); __LINKEDIT starts here and holds only the code
 *             signature (dataoff = text_end = codeLimit)
 *
 * The signature space is reserved first (mx_cs_reserve) because the header
 * that LC_CODE_SIGNATURE lives in is itself in the first hashed page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "macext/cs_blobs.h"
#include "macext/forge.h"

#define FAT_ALIGN_SHIFT 14
#define EXEC_BASE 0x100000000ull     /* after __PAGEZERO, as ld64 does */
#define S_CODE_FLAGS 0x80000400u     /* S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS */

int
mx_forge_arch_parse(enum mx_forge_arch *out, const char *s, mx_err *err)
{
	if (strcmp(s, "x86_64") == 0)
		*out = MX_FORGE_X86_64;
	else if (strcmp(s, "arm64") == 0)
		*out = MX_FORGE_ARM64;
	else if (strcmp(s, "arm64e") == 0)
		*out = MX_FORGE_ARM64E;
	else if (strcmp(s, "fat") == 0 || strcmp(s, "universal") == 0)
		*out = MX_FORGE_FAT;
	else if (strcmp(s, "fat-arm64e") == 0)
		*out = MX_FORGE_FAT_ARM64E;
	else
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--arch %s: expected x86_64, arm64,"
		    " arm64e, fat or fat-arm64e", s);
	return 0;
}

const char *
mx_forge_arch_name(enum mx_forge_arch a)
{
	return a == MX_FORGE_X86_64 ? "x86_64" : a == MX_FORGE_ARM64 ? "arm64" :
	    a == MX_FORGE_ARM64E ? "arm64e" : a == MX_FORGE_FAT ? "fat" : "fat-arm64e";
}

/* Deterministic bytes: SHA-256(label | seed | counter) blocks. */
static void
seeded(uint8_t *out, size_t n, const char *label, const char *seed)
{
	uint32_t ctr = 0;
	while (n > 0) {
		uint8_t h[32], c[4];
		unsigned int hl;
		mx_put_u32be(c, ctr++);
		EVP_MD_CTX *x = EVP_MD_CTX_new();
		EVP_DigestInit_ex(x, EVP_sha256(), NULL);
		EVP_DigestUpdate(x, label, strlen(label));
		EVP_DigestUpdate(x, seed, strlen(seed));
		EVP_DigestUpdate(x, c, 4);
		EVP_DigestFinal_ex(x, h, &hl);
		EVP_MD_CTX_free(x);
		size_t k = n < 32 ? n : 32;
		memcpy(out, h, k);
		out += k;
		n -= k;
	}
}

static void
segname(mx_wbuf *b, const char *name)
{
	char n[16] = { 0 };
	memcpy(n, name, strlen(name));
	mx_wbuf_put(b, n, 16);
}

static void
segment(mx_wbuf *b, const char *name, uint64_t vmaddr, uint64_t vmsize, uint64_t fileoff,
    uint64_t filesize, uint32_t prot, uint32_t nsects)
{
	mx_wbuf_u32le(b, MX_LC_SEGMENT_64);
	mx_wbuf_u32le(b, MX_SEGMENT64_CMD_SIZE + nsects * MX_SECTION64_SIZE);
	segname(b, name);
	mx_wbuf_u64le(b, vmaddr);
	mx_wbuf_u64le(b, vmsize);
	mx_wbuf_u64le(b, fileoff);
	mx_wbuf_u64le(b, filesize);
	mx_wbuf_u32le(b, prot);      /* maxprot */
	mx_wbuf_u32le(b, prot);      /* initprot */
	mx_wbuf_u32le(b, nsects);
	mx_wbuf_u32le(b, 0);         /* flags */
}

static uint64_t
round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/* One thin slice into *out (appended). */
static int
write_slice(mx_wbuf *out, const mx_macho_spec *spec, enum mx_forge_arch a,
    const mx_cs_params *sign, mx_macho_slice *si, mx_err *err)
{
	bool arm = a != MX_FORGE_X86_64;
	/* arm64e (Apple silicon kexts): subtype ARM64E with the pointer
	 * authentication ABI bit, as ld64 writes it */
	uint32_t subtype = a == MX_FORGE_ARM64E ?
	    (MX_CPU_SUBTYPE_ARM64E | MX_CPU_SUBTYPE_PTRAUTH_ABI) :
	    arm ? MX_CPU_SUBTYPE_ARM64_ALL : MX_CPU_SUBTYPE_X86_64_ALL;
	bool exec = spec->filetype == MX_MH_EXECUTE;
	uint64_t segalign = arm ? 16384 : 4096;
	uint64_t base = exec ? EXEC_BASE : 0;
	const char *archname = mx_forge_arch_name(a);
	mx_cs_params p = { 0 };
	if (sign) {
		p = *sign;
		p.page_shift = arm ? MX_CS_PAGE_SHIFT_16K : MX_CS_PAGE_SHIFT_4K;
	}

	/* code: 2-4 pages' worth, the size itself derived from the seed */
	uint8_t sz[2];
	seeded(sz, 2, "size:", spec->seed);
	size_t code_size = 9000 + (size_t)(((unsigned)sz[0] << 8 | sz[1]) % 4096) +
	    (size_t)spec->extra_code;

	uint32_t ncmds = 0, sizeofcmds = 0;
	if (exec) {
		ncmds++;
		sizeofcmds += MX_SEGMENT64_CMD_SIZE;                     /* __PAGEZERO */
	}
	ncmds += 4;   /* __TEXT, __LINKEDIT, LC_UUID, LC_BUILD_VERSION */
	sizeofcmds += MX_SEGMENT64_CMD_SIZE + MX_SECTION64_SIZE      /* __TEXT */
	    + MX_SEGMENT64_CMD_SIZE + MX_UUID_CMD_SIZE + MX_BUILD_VERSION_CMD_SIZE;
	if (exec) {
		ncmds++;
		sizeofcmds += 24;                                        /* LC_MAIN */
	}
	if (sign) {
		ncmds++;
		sizeofcmds += MX_LINKEDIT_DATA_CMD_SIZE;
	}
	uint64_t code_off = round_up(MX_MH_HEADER64_SIZE + sizeofcmds, 16);
	uint64_t text_end = round_up(code_off + code_size, segalign);
	uint64_t sig_size = 0;
	if (sign) {
		p.exec_seg_base = 0;                 /* __TEXT, the executable segment */
		p.exec_seg_limit = text_end;
		p.exec_seg_flags = exec ? MX_CS_EXECSEG_MAIN_BINARY : 0;
		sig_size = mx_cs_reserve(&p, text_end);
	}
	uint64_t slice_size = text_end + sig_size;

	size_t start = out->len;
	mx_wbuf_u32le(out, MX_MH_MAGIC_64);
	mx_wbuf_u32le(out, arm ? MX_CPU_TYPE_ARM64 : MX_CPU_TYPE_X86_64);
	mx_wbuf_u32le(out, subtype);
	mx_wbuf_u32le(out, spec->filetype);
	mx_wbuf_u32le(out, ncmds);
	mx_wbuf_u32le(out, sizeofcmds);
	mx_wbuf_u32le(out, MX_MH_NOUNDEFS | (exec ? MX_MH_PIE : 0));
	mx_wbuf_u32le(out, 0);
	if (exec)
		segment(out, "__PAGEZERO", 0, EXEC_BASE, 0, 0, 0, 0);
	segment(out, "__TEXT", base, text_end, 0, text_end,
	    MX_VM_PROT_READ | MX_VM_PROT_EXECUTE, 1);
	segname(out, "__text");
	segname(out, "__TEXT");
	mx_wbuf_u64le(out, base + code_off);
	mx_wbuf_u64le(out, code_size);
	mx_wbuf_u32le(out, (uint32_t)code_off);
	mx_wbuf_u32le(out, 4);                   /* align 2^4 */
	mx_wbuf_u32le(out, 0);                   /* reloff */
	mx_wbuf_u32le(out, 0);                   /* nreloc */
	mx_wbuf_u32le(out, S_CODE_FLAGS);
	mx_wbuf_zero(out, 12);                   /* reserved1-3 */
	segment(out, "__LINKEDIT", base + text_end, round_up(sig_size ? sig_size : 1, segalign),
	    text_end, sig_size, MX_VM_PROT_READ, 0);
	uint8_t uuid[16];
	char useed[300];
	snprintf(useed, sizeof useed, "%s/%s", spec->seed, archname);
	seeded(uuid, 16, "uuid:", useed);
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40);
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
	mx_wbuf_u32le(out, MX_LC_UUID);
	mx_wbuf_u32le(out, MX_UUID_CMD_SIZE);
	mx_wbuf_put(out, uuid, 16);
	mx_wbuf_u32le(out, MX_LC_BUILD_VERSION);
	mx_wbuf_u32le(out, MX_BUILD_VERSION_CMD_SIZE);
	mx_wbuf_u32le(out, spec->platform);
	/* nibble-encoded X.Y.Z: macOS 11.0 / SDK 14.0, DriverKit 19.0 / SDK 23.0 */
	bool dk = spec->platform == MX_PLATFORM_DRIVERKIT;
	mx_wbuf_u32le(out, dk ? 0x00130000u : 0x000b0000u);
	mx_wbuf_u32le(out, dk ? 0x00170000u : 0x000e0000u);
	mx_wbuf_u32le(out, 0);                   /* ntools */
	if (exec) {
		mx_wbuf_u32le(out, MX_LC_MAIN);
		mx_wbuf_u32le(out, 24);
		mx_wbuf_u64le(out, code_off);        /* entryoff */
		mx_wbuf_u64le(out, 0);               /* stacksize */
	}
	if (sign) {
		mx_wbuf_u32le(out, MX_LC_CODE_SIGNATURE);
		mx_wbuf_u32le(out, MX_LINKEDIT_DATA_CMD_SIZE);
		mx_wbuf_u32le(out, (uint32_t)text_end);
		mx_wbuf_u32le(out, (uint32_t)sig_size);
	}
	mx_wbuf_zero(out, code_off - (out->len - start));
	/* __text: "return 0" then seeded filler */
	static const uint8_t x86_ret0[] = { 0x55, 0x48, 0x89, 0xe5, 0x31, 0xc0, 0x5d, 0xc3 };
	static const uint8_t arm_ret0[] = { 0x00, 0x00, 0x80, 0xd2, 0xc0, 0x03, 0x5f, 0xd6 };
	uint8_t *code = mx_xmalloc(code_size);
	seeded(code, code_size, arm ? "code-arm64:" : "code-x86_64:", spec->seed);
	memcpy(code, arm ? arm_ret0 : x86_ret0, 8);
	mx_wbuf_put(out, code, code_size);
	free(code);
	mx_wbuf_zero(out, text_end - (out->len - start));

	memset(si, 0, sizeof *si);
	si->cputype = arm ? MX_CPU_TYPE_ARM64 : MX_CPU_TYPE_X86_64;
	si->cpusubtype = subtype;
	si->size = slice_size;
	si->text_off = code_off;
	si->text_size = code_size;
	if (sign) {
		mx_wbuf sig = { 0 };
		int rc = mx_cs_sign(&sig, out->p + start, text_end, &p, &si->cs, err);
		if (rc == 0 && sig.len > sig_size)
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "signature of %zu bytes over the"
			    " %llu reserved", sig.len, (unsigned long long)sig_size);
		if (rc) {
			mx_wbuf_free(&sig);
			return rc;
		}
		mx_wbuf_put(out, sig.p, sig.len);
		mx_wbuf_zero(out, sig_size - sig.len);
		mx_wbuf_free(&sig);
		si->sig_off = text_end;
		si->sig_size = sig_size;
	}
	if (spec->tamper) {
		/* a byte in the second code page: hashed, not the header */
		si->tamper_off = code_off + code_size / 2;
		out->p[start + si->tamper_off] ^= 0x01;
	}
	return 0;
}

int
mx_macho_write(mx_wbuf *out, const mx_macho_spec *spec, const mx_cs_params *sign,
    mx_macho_out *info, mx_err *err)
{
	mx_macho_out tmp;
	mx_macho_out *o = info ? info : &tmp;
	memset(o, 0, sizeof *o);
	if (spec->seed == NULL || spec->seed[0] == '\0')
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "Mach-O writer needs a seed");
	if (spec->filetype != MX_MH_EXECUTE && spec->filetype != MX_MH_KEXT_BUNDLE)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "filetype %u: not written", spec->filetype);
	if (spec->arch != MX_FORGE_FAT && spec->arch != MX_FORGE_FAT_ARM64E) {
		o->nslices = 1;
		return write_slice(out, spec, spec->arch, sign, &o->slice[0], err);
	}
	enum mx_forge_arch second = spec->arch == MX_FORGE_FAT ? MX_FORGE_ARM64 : MX_FORGE_ARM64E;
	/* fat: header, 2 fat_arch records, slices at 2^14 boundaries */
	size_t start = out->len;
	uint64_t align = 1u << FAT_ALIGN_SHIFT;
	mx_wbuf_u32be(out, MX_FAT_MAGIC);
	mx_wbuf_u32be(out, 2);
	mx_wbuf_zero(out, 2 * MX_FAT_ARCH_SIZE);
	o->nslices = 2;
	for (int i = 0; i < 2; i++) {
		uint64_t off = round_up(out->len - start, align);
		mx_wbuf_zero(out, off - (out->len - start));
		int rc = write_slice(out, spec, i == 1 ? second : MX_FORGE_X86_64, sign, &o->slice[i],
		    err);
		if (rc)
			return rc;
		o->slice[i].offset = off;
		if (off + o->slice[i].size > UINT32_MAX)
			return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "slice beyond 4 GiB");
		uint8_t *fa = out->p + start + MX_FAT_HEADER_SIZE + (size_t)i * MX_FAT_ARCH_SIZE;
		mx_put_u32be(fa, o->slice[i].cputype);
		mx_put_u32be(fa + 4, o->slice[i].cpusubtype);
		mx_put_u32be(fa + 8, (uint32_t)off);
		mx_put_u32be(fa + 12, (uint32_t)o->slice[i].size);
		mx_put_u32be(fa + 16, FAT_ALIGN_SHIFT);
	}
	return 0;
}
