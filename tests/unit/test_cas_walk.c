/*
 * test_cas_walk.c — issue 14 §7: the content store's tree walk is bounded
 * and iterative.  A tree whose directories nest 32 deep below its root is
 * stored (and hashes the same however it was reached); 33 deep is refused
 * with a message naming the bound; 1,000 deep (the stack overflow that
 * crashed `kext install`) is refused the same way.  Also: the temporaries a
 * killed import left (dead PID) are found, a live PID's are not.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <string.h>

#include "cs_build.h"
#include "harness.h"
#include "macext/store.h"

/* root/T.kext/Contents then depth-1 more directories "d", a file at the bottom. */
static void
make_deep(char *tree, size_t tl, const char *root, int depth)
{
	snprintf(tree, tl, "%s/T.kext", root);
	mkdir(tree, 0755);
	char *p = malloc(8192);
	snprintf(p, 8192, "%s/Contents", tree);
	mkdir(p, 0755);
	for (int i = 1; i < depth; i++) {
		size_t l = strlen(p);
		snprintf(p + l, 8192 - l, "/d");
		CHECK_EQ_INT(mkdir(p, 0755), 0);
	}
	size_t l = strlen(p);
	snprintf(p + l, 8192 - l, "/f");
	tb_write_file(p, "x", 1);
	free(p);
}

MX_TEST(cas_walk_depth_bound)
{
	static const struct { int depth; int code; } cases[] = {
		{ 1, 0 }, { 32, 0 }, { 33, MX_ETOOBIG }, { 1000, MX_ETOOBIG },
	};
	char dir[1024], state[1100];
	snprintf(dir, sizeof dir, "%s", mx_test_tmpdir());
	snprintf(state, sizeof state, "%s/state", dir);
	mx_store *st = NULL;
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_store_open(&st, state, &err), 0);
	if (st == NULL)
		return;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char root[1200], tree[1300], hash[65] = "";
		snprintf(root, sizeof root, "%s/src%zu", dir, i);
		mkdir(root, 0755);
		make_deep(tree, sizeof tree, root, cases[i].depth);
		mx_err_clear(&err);
		int rc = mx_cas_put_tree(st, tree, hash, &err);
		if (rc != cases[i].code)
			mx_test_fail_at(__FILE__, __LINE__, "depth %d: rc %d (%s)", cases[i].depth, rc,
			    err.msg);
		if (rc != 0 && strstr(err.msg, "nests deeper than 32 directories") == NULL)
			mx_test_fail_at(__FILE__, __LINE__, "depth %d: \"%s\"", cases[i].depth, err.msg);
		if (rc == 0) {
			/* stored: the copy is there and walks to the same hash again */
			char path[2048], again[65];
			CHECK_EQ_INT(mx_cas_path(st, hash, path, sizeof path, &err), 0);
			CHECK_EQ_INT(mx_cas_put_tree(st, path, again, &err), 0);
			CHECK_EQ_STR(again, hash);
		}
	}
	long n = -1;
	CHECK_EQ_INT(mx_cas_stale_temps(st, false, NULL, NULL, &n, &err), 0);
	CHECK_EQ_INT(n, 0);            /* the refused imports left no temporary */
	mx_store_close(st);
}

MX_TEST(cas_stale_temps_dead_pids_only)
{
	char dir[1024], state[1100], p[1400];
	snprintf(dir, sizeof dir, "%s", mx_test_tmpdir());
	snprintf(state, sizeof state, "%s/state", dir);
	mx_store *st = NULL;
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_store_open(&st, state, &err), 0);
	if (st == NULL)
		return;
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	snprintf(p, sizeof p, "%s/cas", state);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/cas/.tmp-%d-aa", state, (int)dead);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/cas/.tmp-%d-aa/X.kext", state, (int)dead);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/cas/.tmp-%d-aa/X.kext/half", state, (int)dead);
	tb_write_file(p, "half", 4);
	snprintf(p, sizeof p, "%s/cas/.tmp-%d-bb", state, (int)getpid());
	mkdir(p, 0755);
	long n = 0;
	CHECK_EQ_INT(mx_cas_stale_temps(st, false, NULL, NULL, &n, &err), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(mx_cas_stale_temps(st, true, NULL, NULL, &n, &err), 0);
	CHECK_EQ_INT(n, 1);
	snprintf(p, sizeof p, "%s/cas/.tmp-%d-aa", state, (int)dead);
	struct stat sb;
	CHECK(stat(p, &sb) != 0 && errno == ENOENT);
	snprintf(p, sizeof p, "%s/cas/.tmp-%d-bb", state, (int)getpid());
	CHECK(stat(p, &sb) == 0);       /* a live writer's temporary stays */
	CHECK_EQ_INT(mx_cas_stale_temps(st, false, NULL, NULL, &n, &err), 0);
	CHECK_EQ_INT(n, 0);
	rmdir(p);
	mx_store_close(st);
}

/* issue 14 §1: a stored tree is re-hashed against its hash.  Intact (a
 * directory tree and a one-file tree) it verifies, a second time without
 * being read again; a flipped byte, a file added or removed, a file
 * truncated — each made after this connection verified it — is found, and
 * mx_cas_check reports exactly the bad entries. */
MX_TEST(cas_verify_finds_changed_bytes)
{
	char dir[1024], state[1100];
	snprintf(dir, sizeof dir, "%s", mx_test_tmpdir());
	snprintf(state, sizeof state, "%s/state", dir);
	mx_store *st = NULL;
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_store_open(&st, state, &err), 0);
	if (st == NULL)
		return;
	enum { FLIP, ADD, REMOVE, TRUNCATE, NCASE };
	char hash[NCASE][65], path[NCASE][1400];
	for (int c = 0; c < NCASE; c++) {
		char tree[1200], p[1300];
		snprintf(tree, sizeof tree, "%s/src%d/V%d.kext", dir, c, c);
		snprintf(p, sizeof p, "%s/src%d", dir, c);
		mkdir(p, 0755);
		mkdir(tree, 0755);
		snprintf(p, sizeof p, "%s/Contents", tree);
		mkdir(p, 0755);
		snprintf(p, sizeof p, "%s/Contents/exe", tree);
		tb_write_file(p, "0123456789abcdef", 16);
		snprintf(p, sizeof p, "%s/Contents/two", tree);
		tb_write_file(p, "second", 6);
		CHECK_EQ_INT(mx_cas_put_tree(st, tree, hash[c], &err), 0);
		CHECK_EQ_INT(mx_cas_path(st, hash[c], path[c], sizeof path[c], &err), 0);
	}
	char one[65];
	CHECK_EQ_INT(mx_cas_put_bytes(st, "One.kc", (const uint8_t *)"bytes", 5, one, &err), 0);
	usleep(150 * 1000);     /* past the racy window: verified trees are remembered */
	for (int c = 0; c < NCASE; c++) {
		bool reread = false;
		CHECK_EQ_INT(mx_cas_verify(st, hash[c], &reread, &err), 0);
		CHECK(reread);
		CHECK_EQ_INT(mx_cas_verify(st, hash[c], &reread, &err), 0);
		CHECK(!reread);
	}
	CHECK_EQ_INT(mx_cas_verify(st, one, NULL, &err), 0);
	char p[1500];
	snprintf(p, sizeof p, "%s/Contents/exe", path[FLIP]);
	tb_write_file(p, "0123456789abcdeF", 16);
	snprintf(p, sizeof p, "%s/Contents/extra", path[ADD]);
	tb_write_file(p, "x", 1);
	snprintf(p, sizeof p, "%s/Contents/two", path[REMOVE]);
	CHECK_EQ_INT(unlink(p), 0);
	snprintf(p, sizeof p, "%s/Contents/exe", path[TRUNCATE]);
	CHECK_EQ_INT(truncate(p, 3), 0);
	for (int c = 0; c < NCASE; c++) {
		mx_err_clear(&err);
		bool reread = false;
		CHECK_EQ_INT(mx_cas_verify(st, hash[c], &reread, &err), MX_ESIGNATURE);
		CHECK(reread);
		CHECK(strstr(err.msg, "no longer have their content hash") != NULL);
	}
	long n = -1;
	CHECK_EQ_INT(mx_cas_check(st, NULL, NULL, &n, &err), 0);
	CHECK_EQ_INT(n, NCASE);
	mx_store_close(st);
}

/* A tree stored before directories counted as size 0 in its hash (its
 * directories' st_size went in) still verifies under that hash; changed
 * bytes under it are still found. */
static void
legacy_hash(const char *root, const char *base, const char *const *rel, int n, char out[65])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, base, strlen(base) + 1);
	for (int i = 0; i < n; i++) {
		char full[1600], hdr[64];
		struct stat sb;
		snprintf(full, sizeof full, "%s/%s", root, rel[i]);
		stat(full, &sb);
		int hl = snprintf(hdr, sizeof hdr, "%c%c%llu%c", S_ISDIR(sb.st_mode) ? 'd' : 'f', 0,
		    (unsigned long long)sb.st_size, 0);
		EVP_DigestUpdate(ctx, rel[i], strlen(rel[i]) + 1);
		EVP_DigestUpdate(ctx, hdr, (size_t)hl);
		if (!S_ISDIR(sb.st_mode)) {
			FILE *f = fopen(full, "rb");
			char b[256];
			size_t k = f ? fread(b, 1, sizeof b, f) : 0;
			if (f)
				fclose(f);
			EVP_DigestUpdate(ctx, b, k);
		}
	}
	uint8_t d[32];
	unsigned dl;
	EVP_DigestFinal_ex(ctx, d, &dl);
	EVP_MD_CTX_free(ctx);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

MX_TEST(cas_verify_accepts_tree_hashed_with_dir_sizes)
{
	char dir[1024], state[1100], tree[1200], p[1300];
	snprintf(dir, sizeof dir, "%s", mx_test_tmpdir());
	snprintf(state, sizeof state, "%s/state", dir);
	mx_store *st = NULL;
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_store_open(&st, state, &err), 0);
	if (st == NULL)
		return;
	snprintf(tree, sizeof tree, "%s/L.kext", dir);
	mkdir(tree, 0755);
	snprintf(p, sizeof p, "%s/Contents", tree);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/Contents/exe", tree);
	tb_write_file(p, "0123456789abcdef", 16);
	char hash[65], stored[1400], legacy[65];
	CHECK_EQ_INT(mx_cas_put_tree(st, tree, hash, &err), 0);
	CHECK_EQ_INT(mx_cas_path(st, hash, stored, sizeof stored, &err), 0);
	static const char *const rel[] = { "Contents", "Contents/exe" };
	legacy_hash(stored, "L.kext", rel, 2, legacy);
	CHECK(strcmp(legacy, hash) != 0);
	/* the entry as an older macext named it */
	char from[1300], to[1300];
	snprintf(from, sizeof from, "%s/cas/%.2s/%s", state, hash, hash);
	snprintf(p, sizeof p, "%s/cas/%.2s", state, legacy);
	mkdir(p, 0755);
	snprintf(to, sizeof to, "%s/cas/%.2s/%s", state, legacy, legacy);
	CHECK_EQ_INT(rename(from, to), 0);
	usleep(150 * 1000);
	CHECK_EQ_INT(mx_cas_verify(st, legacy, NULL, &err), 0);
	snprintf(p, sizeof p, "%s/L.kext/Contents/exe", to);
	tb_write_file(p, "0123456789abcdeF", 16);
	mx_store_close(st);
	CHECK_EQ_INT(mx_store_open(&st, state, &err), 0);
	if (st == NULL)
		return;
	CHECK_EQ_INT(mx_cas_verify(st, legacy, NULL, &err), MX_ESIGNATURE);
	mx_store_close(st);
}
