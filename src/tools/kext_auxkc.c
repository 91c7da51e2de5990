/*
 * kext_auxkc.c — the device's AuxKC as the boot hooks use it: its bytes,
 * parsed, and its two SHA-384 measurements (auxi over the collection, auxr
 * over its receipt), read from the CAS once per content for the process.
 *
 * A fleet restarts thousands of Macs that build the same collection: the
 * bytes are content-addressed, so one read, one parse and one hash serve
 * them all.  An entry is used only while the stored file keeps the identity
 * (device, inode, size, modify and change times) it had when this process
 * wrote or read it, so an AuxKC altered on disk is read again and fails its
 * measurement as before.  A file read within moments of its last change is
 * not remembered (the kernel's file times tick coarsely: git's "racy" case).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "kext_tools.h"

#define AUXKC_NAME "AuxiliaryKernelExtensions.kc"
#define AUXKC_MEMO 4
#define BUILD_MEMO 8

struct slot {
	kext_kc a;
	char path[4096];
	struct stat id;
	bool racy;              /* changed too recently to trust its identity */
	unsigned long used;
};

static struct slot slots[AUXKC_MEMO];
static unsigned long clock_;
static struct { uint8_t key[32]; char hash[65]; bool valid; } builds[BUILD_MEMO];
static unsigned build_next;

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static bool
recently_changed(const struct stat *sb)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	double age = (double)(now.tv_sec - sb->st_ctim.tv_sec) +
	    (double)(now.tv_nsec - sb->st_ctim.tv_nsec) / 1e9;
	return age < 0.1;
}

static void
slot_clear(struct slot *s)
{
	free(s->a.kc);
	mx_fileset_free(s->a.fs);
	memset(s, 0, sizeof *s);
}

/* Fills a slot from kc (taken), measuring and parsing it. */
static const kext_kc *
slot_fill(const char *hash, const char *path, const struct stat *id, bool racy, uint8_t *kc,
    size_t len)
{
	struct slot *s = &slots[0];
	for (int i = 1; i < AUXKC_MEMO; i++)
		if (slots[i].used < s->used)
			s = &slots[i];
	slot_clear(s);
	snprintf(s->a.hash, sizeof s->a.hash, "%s", hash);
	snprintf(s->path, sizeof s->path, "%s", path);
	s->id = *id;
	s->racy = racy;
	s->used = ++clock_;
	s->a.kc = kc;
	s->a.len = len;
	mx_boot_sha384(kc, len, s->a.auxi);
	mx_err pe;
	mx_err_clear(&pe);
	if (mx_fileset_parse(&s->a.fs, kc, len, &pe) != 0) {
		s->a.fs = NULL;
		snprintf(s->a.error, sizeof s->a.error, "%s", pe.msg);
	} else {
		mx_boot_sha384(kc + s->a.fs->receipt_off, (size_t)s->a.fs->receipt_len,
		    s->a.auxr);
	}
	return &s->a;
}

/* The remembered entry for hash whose file is unchanged, or NULL. */
static const kext_kc *
slot_find(const char *hash)
{
	for (int i = 0; i < AUXKC_MEMO; i++) {
		struct slot *s = &slots[i];
		if (s->a.kc == NULL || s->racy || strcmp(s->a.hash, hash) != 0)
			continue;
		struct stat sb;
		if (stat(s->path, &sb) != 0 || !same_file(&sb, &s->id)) {
			s->racy = true;         /* never again; freed when evicted */
			return NULL;
		}
		s->used = ++clock_;
		return &s->a;
	}
	return NULL;
}

int
kext_auxkc_get(struct mx_cli *cli, const mx_device *d, const kext_kc **out, mx_err *err)
{
	char hash[65], path[4096];
	*out = NULL;
	int rc = mx_store_file_get(cli->st, d->id, KEXT_AUXKC_PATH, hash, err);
	if (rc == MX_ENOTFOUND) {
		mx_err_clear(err);
		return 0;
	}
	if (rc)
		return rc;
	if ((*out = slot_find(hash)) != NULL)
		return 0;
	if ((rc = mx_cas_path(cli->st, hash, path, sizeof path, err)))
		return rc;
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fileno(f), &sb) != 0 || sb.st_size > (off_t)MX_FILESET_MAX_SIZE) {
		fclose(f);
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: too large", KEXT_AUXKC_PATH);
	}
	uint8_t *kc = mx_xmalloc((size_t)sb.st_size + 1);
	size_t len = fread(kc, 1, (size_t)sb.st_size, f);
	fclose(f);
	*out = slot_fill(hash, path, &sb, len != (size_t)sb.st_size || recently_changed(&sb), kc,
	    len);
	return 0;
}

int
kext_auxkc_put(struct mx_cli *cli, const mx_device *d, uint8_t *kc, size_t len,
    const kext_kc **out, mx_err *err)
{
	char hash[65], path[4096];
	struct stat sb;
	int rc = mx_cas_put_bytes(cli->st, AUXKC_NAME, kc, len, hash, err);
	if (rc == 0)
		rc = mx_store_file_set(cli->st, d->id, KEXT_AUXKC_PATH, hash, err);
	if (rc == 0 && (rc = mx_cas_path(cli->st, hash, path, sizeof path, err)) == 0 &&
	    stat(path, &sb) != 0)
		rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path, strerror(errno));
	if (rc) {
		free(kc);
		return rc;
	}
	/* the file now holds exactly kc: this process wrote or compared it */
	*out = slot_fill(hash, path, &sb, false, kc, len);
	return 0;
}

int
kext_auxkc_reuse(struct mx_cli *cli, const mx_device *d, const uint8_t key[32],
    const kext_kc **out, mx_err *err)
{
	*out = NULL;
	for (int i = 0; i < BUILD_MEMO; i++) {
		if (!builds[i].valid || memcmp(builds[i].key, key, 32) != 0)
			continue;
		const kext_kc *a = slot_find(builds[i].hash);
		if (a == NULL)
			return 0;
		int rc = mx_store_file_set(cli->st, d->id, KEXT_AUXKC_PATH, a->hash, err);
		if (rc == 0)
			*out = a;
		return rc;
	}
	return 0;
}

void
kext_auxkc_remember(const uint8_t key[32], const kext_kc *a)
{
	unsigned i = build_next++ % BUILD_MEMO;
	memcpy(builds[i].key, key, 32);
	memcpy(builds[i].hash, a->hash, sizeof builds[i].hash);
	builds[i].valid = true;
}
