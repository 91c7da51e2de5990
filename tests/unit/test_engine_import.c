/*
 * test_engine_import.c — issue 14 item 2, "verify the bytes you keep": a
 * bundle imported for installation is read once (copied into the content
 * store) and verified from the stored copy, so swapping the source between
 * the copy and the verification cannot pair tampered stored bytes with a
 * good verdict.  The swap happens in eng_import_hook, the test-only point
 * between the two steps: the source starts as a tampered kext and becomes
 * a well-signed one of the same identity right after the copy.  Verifying
 * the source (the old way) would record developer-id-kext for the tampered
 * bytes; the stored verdict must be the stored bytes' own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "engine/engine_int.h"
#include "tools/tools.h"

static char swap_from[600], swap_to[600];
static int swaps;

static void
swap_source(const char *stored, const char *source)
{
	(void)stored;
	char cmd[1400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -R '%s' '%s'", swap_to, swap_from, swap_to);
	if (strcmp(source, swap_to) == 0 && system(cmd) == 0)
		swaps++;
}

static int
forge(const char *dir, const char *const *args, int n)
{
	struct mx_cli cli;
	memset(&cli, 0, sizeof cli);
	cli.prog = "macext";
	cli.state_dir = dir;
	cli.quiet = true;
	char *argv[16];
	for (int i = 0; i < n; i++)
		argv[i] = (char *)args[i];
	argv[n] = NULL;
	mx_err err;
	mx_err_clear(&err);
	int rc = cmd_forge(&cli, n, argv, &err);
	if (rc)
		mx_test_fail_at(__FILE__, __LINE__, "forge %s: %s", args[1], err.msg);
	cli_close(&cli);
	return rc;
}

MX_TEST(engine_import_verifies_the_stored_copy)
{
	const char *t = mx_test_tmpdir();
	char ca[512], good[512], bad[512], src[512], state[512], root[600];
	snprintf(ca, sizeof ca, "%s/ca", t);
	snprintf(good, sizeof good, "%s/good/Acme.kext", t);
	snprintf(bad, sizeof bad, "%s/bad/Acme.kext", t);
	snprintf(src, sizeof src, "%s/src/Acme.kext", t);
	snprintf(state, sizeof state, "%s/state", t);
	snprintf(root, sizeof root, "%s/root.pem", ca);
	const char *a1[] = { "forge", "ca", ca };
	const char *a2[] = { "forge", "kext", good, "--bundle-id", "com.example.acme", "--team",
		"ACMETEAM01", "--ca", ca, "--arch", "fat" };
	const char *a3[] = { "forge", "kext", bad, "--bundle-id", "com.example.acme", "--team",
		"ACMETEAM01", "--ca", ca, "--arch", "fat", "--tamper" };
	if (forge(t, a1, 3) || forge(t, a2, 11) || forge(t, a3, 12))
		return;
	char cmd[1400];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/src' && cp -R '%s' '%s'", t, bad, src);
	CHECK_EQ_INT(system(cmd), 0);

	mx_engine *e;
	mx_err err;
	mx_err_clear(&err);
	if (mx_engine_open(&e, state, NULL, &err) != 0) {
		mx_test_fail_at(__FILE__, __LINE__, "open: %s", err.msg);
		return;
	}
	char anchor[65];
	CHECK_EQ_INT(mx_engine_import_bundle(e, root, anchor, &err), 0);
	mx_device_spec spec = { .name = "m1", .arch = MX_ARCH_X86_64, .os = { 14, 5, 0 },
		.trust_anchor = anchor };
	CHECK_EQ_INT(mx_engine_device_create(e, &spec, NULL, &err), 0);

	/* the swap, between the copy and the verification */
	snprintf(swap_from, sizeof swap_from, "%s", good);
	snprintf(swap_to, sizeof swap_to, "%s", src);
	swaps = 0;
	eng_import_hook = swap_source;
	mx_kext_import imp;
	mx_engine_import_kext(e, src, "m1", &imp);
	eng_import_hook = NULL;
	CHECK_EQ_INT(swaps, 1);
	CHECK_EQ_INT(imp.rc, 0);
	mx_op *op;
	mx_kext k;
	memset(&k, 0, sizeof k);
	CHECK_EQ_INT(mx_op_begin(&op, e, "m1", MX_OP_WRITE, &err), 0);
	CHECK_EQ_INT(mx_op_kext_install(op, &imp, &k, &err), 0);
	CHECK_EQ_INT(mx_op_commit(op, &err), 0);

	/* what is stored, verified independently: the tampered bytes */
	char stored[4096], ap[4096];
	CHECK_EQ_INT(mx_cas_path(mx_engine_store(e), k.hash, stored, sizeof stored, &err), 0);
	CHECK_EQ_INT(mx_cas_path(mx_engine_store(e), anchor, ap, sizeof ap, &err), 0);
	mx_trust trust = { ap, 0, false };
	mx_siginfo si;
	memset(&si, 0, sizeof si);
	CHECK_EQ_INT(mx_codesign_verify_path(&si, stored, &trust, &err), 0);
	CHECK(si.kind != MX_SIG_DEVELOPER_ID_KEXT);
	/* the verdict kept is the stored bytes' verdict */
	CHECK_EQ_INT(k.sig, mx_kext_sig_from(si.kind));
	CHECK(k.sig != MX_KSIG_DEVID_KEXT);
	mx_siginfo_free(&si);

	/* the good bundle imported plainly verifies as developer-id-kext */
	mx_engine_import_kext(e, good, "m1", &imp);
	CHECK_EQ_INT(imp.rc, 0);
	CHECK_EQ_INT(imp.facts.sig, MX_KSIG_DEVID_KEXT);
	mx_engine_close(e);
}
