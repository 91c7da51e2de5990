/*
 * test_store_memo.c — what the store remembers for fleets must never hide a
 * change: a bundle tree changed between two imports gets its new content
 * hash (within the coarse-clock "racy" window and after it), and the device
 * a transaction remembers is forgotten by a rollback, so a later save
 * writes what the caller holds.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cs_build.h"
#include "harness.h"
#include "macext/store.h"

static void
put_file(const char *path, const char *text)
{
	tb_write_file(path, text, strlen(text));
}

static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* A small bundle tree: B.kext/Contents/{Info.plist, MacOS/b}. */
static void
make_tree(const char *root, const char *exe_text)
{
	char p[1024];
	snprintf(p, sizeof p, "%s/B.kext", root);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/B.kext/Contents", root);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/B.kext/Contents/MacOS", root);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/B.kext/Contents/Info.plist", root);
	put_file(p, "<plist/>");
	snprintf(p, sizeof p, "%s/B.kext/Contents/MacOS/b", root);
	put_file(p, exe_text);
}

MX_TEST(store_tree_hash_follows_changes)
{
	char dir[1024], src[1100], tree[1200], exe[1300];
	snprintf(dir, sizeof dir, "%s", mx_test_tmpdir());
	snprintf(src, sizeof src, "%s/src", dir);
	mkdir(src, 0755);
	make_tree(src, "AAAA");
	snprintf(tree, sizeof tree, "%s/B.kext", src);
	snprintf(exe, sizeof exe, "%s/B.kext/Contents/MacOS/b", src);
	char sdir[1100];
	snprintf(sdir, sizeof sdir, "%s/state", dir);
	mx_store *st = NULL;
	mx_err err;
	mx_err_clear(&err);
	CHECK_EQ_INT(mx_store_open(&st, sdir, &err), 0);
	if (st == NULL)
		return;
	char h1[65], h1b[65], h2[65], h3[65], h3b[65];
	/* just written: inside the racy window, hashed from the bytes */
	CHECK_EQ_INT(mx_cas_put_tree(st, tree, h1, &err), 0);
	put_file(exe, "BBBB");          /* same size, same tick */
	CHECK_EQ_INT(mx_cas_put_tree(st, tree, h2, &err), 0);
	CHECK(strcmp(h1, h2) != 0);
	/* settled: remembered by identity, and an unchanged tree keeps its hash */
	nap_ms(250);
	CHECK_EQ_INT(mx_cas_put_tree(st, tree, h3, &err), 0);
	CHECK_EQ_STR(h3, h2);
	CHECK_EQ_INT(mx_cas_put_tree(st, tree, h3b, &err), 0);
	CHECK_EQ_STR(h3b, h2);
	/* a change of the same size after it was remembered: a new identity */
	put_file(exe, "AAAA");
	CHECK_EQ_INT(mx_cas_put_tree(st, tree, h1b, &err), 0);
	CHECK_EQ_STR(h1b, h1);
	/* an added file changes the tree too */
	nap_ms(250);
	char extra[1400];
	snprintf(extra, sizeof extra, "%s/B.kext/Contents/extra", src);
	put_file(extra, "x");
	char h4[65];
	CHECK_EQ_INT(mx_cas_put_tree(st, tree, h4, &err), 0);
	CHECK(strcmp(h4, h1) != 0);
	mx_store_close(st);
}

MX_TEST(store_device_memo_forgotten_by_rollback)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s", mx_test_tmpdir());
	mx_store *st = NULL;
	mx_err err;
	mx_err_clear(&err);
	CHECK_EQ_INT(mx_store_open(&st, dir, &err), 0);
	if (st == NULL)
		return;
	mx_device d, back;
	mx_env_in in = { 0 };
	mx_device_init(&d, "m1", MX_ARCH_ARM64, (mx_version){ 15, 1, 0 }, &in);
	CHECK_EQ_INT(mx_store_batch_begin(st, &err), 0);
	CHECK_EQ_INT(mx_store_begin(st, &err), 0);
	CHECK_EQ_INT(mx_store_device_insert(st, &d, &err), 0);
	CHECK_EQ_INT(mx_store_commit(st, &err), 0);
	/* a command changes the device, then fails: its savepoint rolls back */
	CHECK_EQ_INT(mx_store_begin(st, &err), 0);
	CHECK_EQ_INT(mx_store_device_load(st, "m1", &back, &err), 0);
	back.boot_count = 7;
	CHECK_EQ_INT(mx_store_device_update(st, &back, &err), 0);
	mx_store_rollback(st);
	/* the next command reads the stored row, not the rolled-back one */
	CHECK_EQ_INT(mx_store_begin(st, &err), 0);
	CHECK_EQ_INT(mx_store_device_load(st, "m1", &back, &err), 0);
	CHECK_EQ_INT(back.boot_count, d.boot_count);
	/* saving what the caller holds writes it, even if equal to a forgotten copy */
	back.boot_count = 7;
	CHECK_EQ_INT(mx_store_device_update(st, &back, &err), 0);
	CHECK_EQ_INT(mx_store_commit(st, &err), 0);
	CHECK_EQ_INT(mx_store_batch_commit(st, &err), 0);
	mx_store_close(st);
	/* a fresh connection sees the committed value */
	CHECK_EQ_INT(mx_store_open(&st, dir, &err), 0);
	if (st == NULL)
		return;
	CHECK_EQ_INT(mx_store_begin(st, &err), 0);
	CHECK_EQ_INT(mx_store_device_load(st, "m1", &back, &err), 0);
	CHECK_EQ_INT(back.boot_count, 7);
	mx_store_rollback(st);
	mx_store_close(st);
}
