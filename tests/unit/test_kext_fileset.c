/*
 * test_kext_fileset.c — the AuxKC as a Mach-O fileset: write, read back
 * (round trip), the thin-slice picker, and malformed inputs rejected with
 * the offset (never a crash).
 */
#include <stdlib.h>

#include "harness.h"
#include "macext/fileset.h"
#include "macext/rd.h"

/* a minimal MH_KEXT_BUNDLE image with an LC_UUID */
static void
image(uint8_t *img, size_t len, uint32_t cputype, uint8_t uuid_byte)
{
	memset(img, 0, len);
	mx_put_u32le(img, MX_MH_MAGIC_64);
	mx_put_u32le(img + 4, cputype);
	mx_put_u32le(img + 12, MX_MH_KEXT_BUNDLE);
	mx_put_u32le(img + 16, 1);
	mx_put_u32le(img + 20, 24);
	mx_put_u32le(img + 32, MX_LC_UUID);
	mx_put_u32le(img + 36, 24);
	memset(img + 40, uuid_byte, 16);
}

static int
write_two(uint8_t **out, size_t *len, uint8_t *a, uint8_t *b)
{
	image(a, 4096, MX_CPU_TYPE_X86_64, 0xab);
	image(b, 200, MX_CPU_TYPE_X86_64, 0xcd);
	plist_t info = plist_new_dict();
	plist_dict_set_item(info, "CFBundleVersion", plist_new_string("5.2.18"));
	mx_fileset_kext_in k[2] = {
		{ "org.virtualbox.kext.VBoxDrv", "5.2.18", "VB5E2TV963", "00112233445566778899aabbccddeeff00112233",
		  "/Library/StagedExtensions/Library/Extensions/VBoxDrv.kext", "Contents/MacOS/VBoxDrv",
		  info, a, 4096 },
		{ "com.example.unsigned", "1.0", "", "", "/Library/StagedExtensions/Library/Extensions/U.kext",
		  "Contents/MacOS/U", NULL, b, 200 },
	};
	uint8_t u[16] = { 0x11 }, bk[16] = { 0x22 };
	mx_err err;
	mx_err_clear(&err);
	int rc = mx_fileset_write(out, len, MX_CPU_TYPE_X86_64, MX_CPU_SUBTYPE_X86_64_ALL, u, bk, k, 2,
	    &err);
	plist_free(info);
	return rc;
}

MX_TEST(fileset_round_trip)
{
	static uint8_t a[4096], b[200];
	uint8_t *kc;
	size_t len;
	CHECK_EQ_INT(write_two(&kc, &len, a, b), 0);
	CHECK_EQ_INT(mx_get_u32le(kc + 12), MX_MH_FILESET);
	mx_fileset *fs = NULL;
	mx_err err;
	mx_err_clear(&err);
	CHECK_EQ_INT(mx_fileset_parse(&fs, kc, len, &err), 0);
	if (fs) {
		CHECK_EQ_INT(fs->nentries, 2);
		CHECK_EQ_STR(fs->entries[0].id, "org.virtualbox.kext.VBoxDrv");
		CHECK_EQ_STR(fs->entries[0].version, "5.2.18");
		CHECK_EQ_STR(fs->entries[0].uuid, "ABABABAB-ABAB-ABAB-ABAB-ABABABABABAB");
		CHECK_EQ_INT(fs->entries[0].size, 4096);
		CHECK_EQ_INT(fs->entries[0].fileoff % 0x1000, 0);
		CHECK(memcmp(kc + fs->entries[1].fileoff, b, 200) == 0);
		CHECK_EQ_STR(fs->entries[1].bundle_path,
		    "/Library/StagedExtensions/Library/Extensions/U.kext");
		CHECK_EQ_INT(fs->nreceipt, 2);
		CHECK_EQ_STR(fs->receipt[0].team_id, "VB5E2TV963");
		CHECK_EQ_STR(fs->receipt[1].team_id, "");
		CHECK_EQ_STR(fs->uuid, "11000000-0000-0000-0000-000000000000");
		CHECK_EQ_STR(fs->prelink_kcid, fs->uuid);
		CHECK_EQ_STR(fs->boot_kcid, "22000000-0000-0000-0000-000000000000");
		CHECK(fs->receipt_len > 0 && fs->receipt_off + fs->receipt_len <= len);
	}
	mx_fileset_free(fs);
	free(kc);
}

MX_TEST(fileset_rejects_malformed)
{
	static uint8_t a[4096], b[200];
	uint8_t *kc;
	size_t len;
	CHECK_EQ_INT(write_two(&kc, &len, a, b), 0);
	static const struct { size_t off; uint32_t val; const char *what; } rows[] = {
		{ 0, 0xcafebabe, "not a 64-bit Mach-O" },
		{ 12, MX_MH_KEXT_BUNDLE, "filetype" },
		{ 20, 0x7fffffff, "sizeofcmds" },
		{ 16, 0x7fffffff, "ncmds" },
		{ 32 + 4, 3, "cmdsize" },
		{ 32 + 40, 0x7fffff00, "segment past the end" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		uint8_t *bad = malloc(len);
		memcpy(bad, kc, len);
		mx_put_u32le(bad + rows[i].off, rows[i].val);
		mx_fileset *fs = NULL;
		mx_err err;
		mx_err_clear(&err);
		if (mx_fileset_parse(&fs, bad, len, &err) == 0 || fs != NULL)
			mx_test_fail_at(__FILE__, __LINE__, "row %zu (%s) accepted", i, rows[i].what);
		free(bad);
	}
	/* truncated anywhere: an error, never a read past the end */
	for (size_t cut = 0; cut < 700; cut += 7) {
		mx_fileset *fs = NULL;
		mx_err err;
		uint8_t *t = malloc(cut ? cut : 1);
		memcpy(t, kc, cut);
		CHECK(mx_fileset_parse(&fs, t, cut, &err) != 0);
		CHECK(fs == NULL);
		free(t);
	}
	/* an entry whose fileoff does not point at a Mach-O header */
	mx_fileset *fs = NULL;
	mx_err err;
	mx_fileset_parse(&fs, kc, len, &err);
	CHECK(fs != NULL);
	mx_fileset_free(fs);
	free(kc);
}

MX_TEST(fileset_thin_slice)
{
	static uint8_t fat[8192];
	memset(fat, 0, sizeof fat);
	mx_put_u32be(fat, MX_FAT_MAGIC);
	mx_put_u32be(fat + 4, 2);
	/* x86_64 at 4096 (size 100), arm64 at 6144 (size 100) */
	mx_put_u32be(fat + 8, MX_CPU_TYPE_X86_64);
	mx_put_u32be(fat + 16, 4096);
	mx_put_u32be(fat + 20, 100);
	mx_put_u32be(fat + 28, MX_CPU_TYPE_ARM64);
	mx_put_u32be(fat + 32, 2);
	mx_put_u32be(fat + 36, 6144);
	mx_put_u32be(fat + 40, 100);
	image(fat + 4096, 100, MX_CPU_TYPE_X86_64, 1);
	image(fat + 6144, 100, MX_CPU_TYPE_ARM64, 2);
	size_t off, len;
	mx_err err;
	CHECK_EQ_INT(mx_fileset_thin_slice(fat, sizeof fat, MX_CPU_TYPE_ARM64, &off, &len, &err), 0);
	CHECK_EQ_INT(off, 6144);
	CHECK_EQ_INT(mx_fileset_thin_slice(fat, sizeof fat, MX_CPU_TYPE_X86_64, &off, &len, &err), 0);
	CHECK_EQ_INT(off, 4096);
	mx_put_u32be(fat + 36, 8100);   /* slice past the end */
	CHECK(mx_fileset_thin_slice(fat, sizeof fat, MX_CPU_TYPE_ARM64, &off, &len, &err) != 0);
	CHECK_EQ_INT(mx_fileset_thin_slice(fat + 4096, 100, MX_CPU_TYPE_ARM64, &off, &len, &err),
	    MX_ENOTFOUND);
	CHECK_EQ_INT(mx_fileset_thin_slice(fat + 4096, 100, MX_CPU_TYPE_X86_64, &off, &len, &err), 0);
}
