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

/* The plan kmutil create writes from: pieces ascending and disjoint, every
 * gap zero and shorter than a page, the kexts' pieces pointing at their own
 * bytes (no copy), and the plan assembled equal to mx_fileset_write's
 * buffer, for both page sizes and for 0..3 kexts. */
MX_TEST(fileset_plan_matches_write)
{
	static uint8_t a[5000], b[200], c[70000];
	image(a, sizeof a, MX_CPU_TYPE_X86_64, 0x01);
	image(b, sizeof b, MX_CPU_TYPE_X86_64, 0x02);
	image(c, sizeof c, MX_CPU_TYPE_X86_64, 0x03);
	for (size_t i = 100; i < sizeof c; i++)
		c[i] = (uint8_t)(i * 31);
	plist_t info = plist_new_dict();
	plist_dict_set_item(info, "CFBundleName", plist_new_string("A"));
	mx_fileset_kext_in k[3] = {
		{ "com.example.a", "1", "TEAMA", "aa", "/L/E/a.kext", "Contents/MacOS/a", info, a, sizeof a },
		{ "com.example.bee.with.a.longer.identifier", "2", "", "", "/b", NULL, NULL, b, sizeof b },
		{ "c", NULL, NULL, NULL, "/c", "c", info, c, sizeof c },
	};
	uint8_t u[16] = { 0x33 }, bk[16] = { 0x44 };
	for (int arch = 0; arch < 2; arch++) {
		uint32_t ct = arch ? MX_CPU_TYPE_ARM64 : MX_CPU_TYPE_X86_64;
		for (int n = 0; n <= 3; n++) {
			mx_err err;
			mx_err_clear(&err);
			mx_fileset_plan plan;
			uint8_t *kc = NULL;
			size_t len = 0;
			CHECK_EQ_INT(mx_fileset_plan_make(&plan, ct, 0, u, bk, k, n, &err), 0);
			CHECK_EQ_INT(mx_fileset_write(&kc, &len, ct, 0, u, bk, k, n, &err), 0);
			CHECK_EQ_INT(plan.page, arch ? 0x4000 : 0x1000);
			CHECK_EQ_INT(plan.total, len);
			CHECK_EQ_INT(plan.total % plan.page, 0);
			CHECK_EQ_INT(plan.npieces, n + 3);
			uint64_t at = 0;
			uint8_t *re = calloc(1, len);
			for (int i = 0; i < plan.npieces; i++) {
				const mx_fileset_piece *p = &plan.pieces[i];
				CHECK(p->off >= at);
				CHECK(p->off - at < plan.page);
				for (uint64_t z = at; z < p->off; z++)
					if (kc[z] != 0) {
						CHECK(kc[z] == 0);
						break;
					}
				memcpy(re + p->off, p->p, p->len);
				at = p->off + p->len;
				if (i >= 1 && i <= n) {
					CHECK(p->p == k[i - 1].exec);      /* borrowed, not copied */
					CHECK_EQ_INT(p->off % plan.page, 0);
				}
			}
			CHECK(at <= plan.total && plan.total - at < plan.page);
			CHECK(memcmp(re, kc, len) == 0);
			free(re);
			free(kc);
			mx_fileset_plan_free(&plan);
		}
	}
	/* what the writer refuses, the plan refuses */
	mx_fileset_plan plan;
	mx_err err;
	mx_err_clear(&err);
	mx_fileset_kext_in bad = { "x", "1", "", "", "/x", "x", NULL, b + 1, 100 };
	CHECK_EQ_INT(mx_fileset_plan_make(&plan, MX_CPU_TYPE_X86_64, 0, u, bk, &bad, 1, &err),
	    MX_EFORMAT);
	CHECK(plan.pieces == NULL && plan.head == NULL);
	plist_free(info);
}
