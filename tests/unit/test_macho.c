/* test_macho.c — the Mach-O/fat reader on hand-built headers: every bounds
 * rule of formats-and-peers.md §1.2-1.4 and §1.13 rejects what it names. */
#include <stdlib.h>
#include <string.h>

#include "cs_build.h"
#include "harness.h"
#include "macext/cs_blobs.h"
#include "macext/macho.h"
#include "macext/rd.h"

/* A minimal thin 64-bit header with room for commands. */
static size_t
thin(uint8_t *b, size_t cap, uint32_t filetype, uint32_t ncmds, uint32_t sizeofcmds)
{
	memset(b, 0, cap);
	mx_put_u32le(b, MX_MH_MAGIC_64);
	mx_put_u32le(b + 4, MX_CPU_TYPE_ARM64);
	mx_put_u32le(b + 8, MX_CPU_SUBTYPE_ARM64E | MX_CPU_SUBTYPE_PTRAUTH_ABI);
	mx_put_u32le(b + 12, filetype);
	mx_put_u32le(b + 16, ncmds);
	mx_put_u32le(b + 20, sizeofcmds);
	return cap;
}

static int
parse(const uint8_t *b, size_t n, mx_err *e)
{
	mx_macho *m = NULL;
	mx_err_clear(e);
	int rc = mx_macho_parse(&m, b, n, e);
	CHECK((rc == 0) == (m != NULL));
	mx_macho_free(m);
	return rc;
}

MX_TEST(macho_truncated_headers)
{
	uint8_t b[64];
	mx_err e;
	thin(b, sizeof b, MX_MH_EXECUTE, 0, 0);
	for (size_t n = 0; n < 32; n++)
		CHECK(parse(b, n, &e) != 0);
	CHECK_EQ_INT(parse(b, 32, &e), 0);
	/* fat header promising an arch table it does not have */
	mx_put_u32be(b, MX_FAT_MAGIC);
	mx_put_u32be(b + 4, 2);
	CHECK_EQ_INT(parse(b, 30, &e), MX_EFORMAT);
}

MX_TEST(macho_bad_magic_and_java)
{
	uint8_t b[64];
	mx_err e;
	memset(b, 0, sizeof b);
	mx_put_u32be(b, 0x7f454c46);   /* ELF */
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
	CHECK(strstr(e.msg, "not a Mach-O") != NULL);
	mx_put_u32be(b, MX_FAT_MAGIC);
	mx_put_u32be(b + 4, 52);       /* a Java class file: major version 52 */
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
	CHECK(strstr(e.msg, "Java") != NULL);
	mx_put_u32be(b + 4, 0);
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
}

MX_TEST(macho_cmdsize_rules)
{
	uint8_t b[256];
	mx_err e;
	/* cmdsize 0 would loop forever in a naive reader */
	thin(b, sizeof b, MX_MH_EXECUTE, 1, 16);
	mx_put_u32le(b + 32, MX_LC_UUID);
	mx_put_u32le(b + 36, 0);
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
	CHECK(strstr(e.msg, "cmdsize 0") != NULL);
	CHECK_EQ_INT(e.offset, 32);
	/* not a multiple of 4 */
	mx_put_u32le(b + 36, 13);
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
	/* running past sizeofcmds */
	mx_put_u32le(b + 36, 24);
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
	CHECK(strstr(e.msg, "past sizeofcmds") != NULL);
	/* LC_UUID of the wrong size */
	thin(b, sizeof b, MX_MH_EXECUTE, 1, 32);
	mx_put_u32le(b + 32, MX_LC_UUID);
	mx_put_u32le(b + 36, 32);
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
}

MX_TEST(macho_huge_ncmds)
{
	uint8_t b[128];
	mx_err e;
	thin(b, sizeof b, MX_MH_EXECUTE, 0xffffffffu, 64);
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_ETOOBIG);
	thin(b, sizeof b, MX_MH_EXECUTE, 100, 64);      /* 100 commands in 64 bytes */
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
	thin(b, sizeof b, MX_MH_EXECUTE, 1, 0xfffffff0u);
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
	CHECK(strstr(e.msg, "sizeofcmds") != NULL);
}

MX_TEST(macho_segment_bounds)
{
	uint8_t b[512];
	mx_err e;
	thin(b, sizeof b, MX_MH_EXECUTE, 1, 72);
	mx_put_u32le(b + 32, MX_LC_SEGMENT_64);
	mx_put_u32le(b + 36, 72);
	memcpy(b + 40, "__TEXT", 6);
	mx_put_u64le(b + 72, 0);        /* fileoff */
	mx_put_u64le(b + 80, 512);      /* filesize: the whole file, fine */
	CHECK_EQ_INT(parse(b, sizeof b, &e), 0);
	mx_put_u64le(b + 80, 513);
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
	mx_put_u64le(b + 72, UINT64_MAX - 10);   /* fileoff + filesize overflows */
	mx_put_u64le(b + 80, 100);
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
	mx_put_u64le(b + 72, 0);
	mx_put_u32le(b + 96, 1);        /* nsects 1 does not fit in cmdsize 72 */
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
	CHECK(strstr(e.msg, "sections do not fit") != NULL);
	/* LC_SEGMENT in a 64-bit file */
	mx_put_u32le(b + 96, 0);
	mx_put_u32le(b + 32, MX_LC_SEGMENT);
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
}

MX_TEST(macho_code_signature_bounds)
{
	uint8_t b[256];
	mx_err e;
	thin(b, sizeof b, MX_MH_EXECUTE, 1, 16);
	mx_put_u32le(b + 32, MX_LC_CODE_SIGNATURE);
	mx_put_u32le(b + 36, 16);
	mx_put_u32le(b + 40, 200);
	mx_put_u32le(b + 44, 56);
	mx_macho *m = NULL;
	mx_err_clear(&e);
	CHECK_EQ_INT(mx_macho_parse(&m, b, sizeof b, &e), 0);
	CHECK(m && m->slices[0].has_code_signature && m->slices[0].cs_dataoff == 200);
	mx_macho_free(m);
	mx_put_u32le(b + 44, 57);
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
	mx_put_u32le(b + 40, 0xffffffffu);
	mx_put_u32le(b + 44, 2);
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
	/* two of them */
	thin(b, sizeof b, MX_MH_EXECUTE, 2, 32);
	for (int i = 0; i < 2; i++) {
		mx_put_u32le(b + 32 + 16 * i, MX_LC_CODE_SIGNATURE);
		mx_put_u32le(b + 36 + 16 * i, 16);
	}
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
	CHECK(strstr(e.msg, "second LC_CODE_SIGNATURE") != NULL);
}

MX_TEST(macho_fat_overlap_and_bounds)
{
	uint8_t t1[64];
	thin(t1, sizeof t1, MX_MH_EXECUTE, 0, 0);
	uint8_t b[8192];
	mx_err e;
	memset(b, 0, sizeof b);
	mx_put_u32be(b, MX_FAT_MAGIC);
	mx_put_u32be(b + 4, 2);
	/* two slices at 4096 (64 bytes) and 4100: overlap */
	for (int i = 0; i < 2; i++) {
		mx_put_u32be(b + 8 + 20 * i, MX_CPU_TYPE_ARM64);
		mx_put_u32be(b + 12 + 20 * i, i == 0 ? 0 : 2);
		mx_put_u32be(b + 16 + 20 * i, i == 0 ? 4096 : 4100);
		mx_put_u32be(b + 20 + 20 * i, 64);
		mx_put_u32be(b + 24 + 20 * i, 2);
	}
	memcpy(b + 4096, t1, 64);
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
	CHECK(strstr(e.msg, "overlaps") != NULL);
	/* second slice past the end of the file */
	mx_put_u32be(b + 36, 8192);
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
	/* a slice inside the fat header itself */
	mx_put_u32be(b + 36, 16);
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
	/* fat_arch cpu disagrees with the slice's header */
	mx_put_u32be(b + 4, 1);
	mx_put_u32be(b + 8, MX_CPU_TYPE_X86_64);
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
	mx_put_u32be(b + 8, MX_CPU_TYPE_ARM64);
	mx_put_u32be(b + 12, 2);   /* header says arm64e|PTRAUTH: features masked */
	CHECK_EQ_INT(parse(b, sizeof b, &e), 0);
}

MX_TEST(macho_fat64_with_object_slice)
{
	/* a 64-bit fat header: an x86_64 kext + an i386 MH_OBJECT stub (Lilu-style) */
	uint8_t b[3 * 4096];
	memset(b, 0, sizeof b);
	mx_put_u32be(b, MX_FAT_MAGIC_64);
	mx_put_u32be(b + 4, 2);
	uint8_t *a = b + 8;
	mx_put_u32be(a, MX_CPU_TYPE_X86_64);
	mx_put_u32be(a + 4, 3);
	mx_put_u64be(a + 8, 4096);
	mx_put_u64be(a + 16, 4096);
	mx_put_u32be(a + 24, 12);
	a += 32;
	mx_put_u32be(a, MX_CPU_TYPE_I386);
	mx_put_u32be(a + 4, 3);
	mx_put_u64be(a + 8, 8192);
	mx_put_u64be(a + 16, 28);
	mx_put_u32be(a + 24, 12);
	uint8_t *s = b + 4096;
	mx_put_u32le(s, MX_MH_MAGIC_64);
	mx_put_u32le(s + 4, MX_CPU_TYPE_X86_64);
	mx_put_u32le(s + 8, 3);
	mx_put_u32le(s + 12, MX_MH_KEXT_BUNDLE);
	s = b + 8192;
	mx_put_u32le(s, MX_MH_MAGIC);
	mx_put_u32le(s + 4, MX_CPU_TYPE_I386);
	mx_put_u32le(s + 8, 3);
	mx_put_u32le(s + 12, MX_MH_OBJECT);
	mx_macho *m = NULL;
	mx_err e;
	mx_err_clear(&e);
	CHECK_EQ_INT(mx_macho_parse(&m, b, sizeof b, &e), 0);
	if (m == NULL)
		return;
	CHECK(m->fat && m->fat64);
	CHECK_EQ_INT(m->nslices, 2);
	CHECK_EQ_INT(m->slices[0].filetype, MX_MH_KEXT_BUNDLE);
	CHECK_EQ_INT(m->slices[1].filetype, MX_MH_OBJECT);
	CHECK(!m->slices[1].is64);
	char buf[32];
	CHECK_EQ_STR(mx_macho_arch_name(m->slices[0].cputype, m->slices[0].cpusubtype, buf, 32),
	    "x86_64");
	CHECK_EQ_STR(mx_macho_arch_name(m->slices[1].cputype, m->slices[1].cpusubtype, buf, 32),
	    "i386");
	CHECK_EQ_STR(mx_macho_filetype_name(m->slices[0].filetype), "kext_bundle");
	mx_macho_free(m);
}

MX_TEST(macho_arch_names)
{
	static const struct { uint32_t cpu, sub; const char *name; } rows[] = {
		{ MX_CPU_TYPE_X86_64, 3, "x86_64" },
		{ MX_CPU_TYPE_X86_64, 8, "x86_64h" },
		{ MX_CPU_TYPE_ARM64, 0, "arm64" },
		{ MX_CPU_TYPE_ARM64, 2, "arm64e" },
		{ MX_CPU_TYPE_ARM64, 2 | MX_CPU_SUBTYPE_PTRAUTH_ABI, "arm64e" },
		{ MX_CPU_TYPE_I386, 3, "i386" },
		{ 0x42, 1, "cpu-0x42-0x1" },
	};
	char buf[32];
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		CHECK_EQ_STR(mx_macho_arch_name(rows[i].cpu, rows[i].sub, buf, sizeof buf), rows[i].name);
}

MX_TEST(macho_fileset_entries)
{
	uint8_t b[4096];
	mx_err e;
	thin(b, sizeof b, MX_MH_FILESET, 2, 112);
	const char *ids[] = { "com.apple.kernel", "com.example.driver" };
	for (int i = 0; i < 2; i++) {
		uint8_t *c = b + 32 + 56 * i;
		mx_put_u32le(c, MX_LC_FILESET_ENTRY);
		mx_put_u32le(c + 4, 56);
		mx_put_u64le(c + 8, 0xfffffe0000000000ull + 0x4000u * (unsigned)i);
		mx_put_u64le(c + 16, 1024 + 1024u * (unsigned)i);
		mx_put_u32le(c + 24, 32);
		memcpy(c + 32, ids[i], strlen(ids[i]) + 1);
	}
	mx_macho *m = NULL;
	mx_err_clear(&e);
	CHECK_EQ_INT(mx_macho_parse(&m, b, sizeof b, &e), 0);
	if (m == NULL)
		mx_test_fail_at(__FILE__, __LINE__, "%s", e.msg);
	if (m) {
		CHECK_EQ_INT(m->slices[0].nfileset, 2);
		CHECK_EQ_STR(m->slices[0].fileset[1].entry_id, "com.example.driver");
		CHECK_EQ_INT(m->slices[0].fileset[1].fileoff, 2048);
		mx_macho_free(m);
	}
	/* entry_id offset outside the command */
	mx_put_u32le(b + 32 + 24, 56);
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
	/* id without its NUL inside the command */
	mx_put_u32le(b + 32 + 24, 32);
	memset(b + 32 + 32, 'x', 24);
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
	/* fileoff beyond the file */
	memcpy(b + 32 + 32, "a", 2);
	mx_put_u64le(b + 32 + 16, 4090);
	CHECK_EQ_INT(parse(b, sizeof b, &e), MX_EFORMAT);
}

MX_TEST(macho_builder_roundtrip)
{
	tb_opts o;
	tb_defaults(&o);
	uint8_t *x = NULL, *a = NULL, *f = NULL;
	size_t xl, al, fl;
	tb_macho(&x, &xl, &o);
	o.cputype = MX_CPU_TYPE_ARM64;
	o.cpusubtype = MX_CPU_SUBTYPE_ARM64E;
	tb_macho(&a, &al, &o);
	uint8_t *thins[] = { x, a };
	size_t lens[] = { xl, al };
	tb_fat(&f, &fl, thins, lens, 2);
	mx_macho *m = NULL;
	mx_err e;
	mx_err_clear(&e);
	CHECK_EQ_INT(mx_macho_parse(&m, f, fl, &e), 0);
	if (m) {
		CHECK_EQ_INT(m->nslices, 2);
		CHECK(m->slices[1].has_uuid && m->slices[1].uuid[0] == 0xa0);
		CHECK(m->slices[0].has_text && m->slices[0].text_filesize == o.code_size);
		CHECK_EQ_INT(m->slices[1].cs_dataoff, o.code_size);
		CHECK_EQ_INT(m->slices[0].nsegs, 2);
		mx_macho_free(m);
	}
	free(x);
	free(a);
	free(f);
}
