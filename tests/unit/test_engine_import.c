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

/* Issue 12 §4: verdicts are remembered per engine, and the memo keys on
 * strict expiry: the same expired bundle imported by default, strictly,
 * then by default again in one engine gives accepted / refused / accepted
 * (a memo keyed on the bytes alone would answer the second or third from
 * the first).  Kexts, apps and system extension requests alike. */
MX_TEST(engine_import_memo_keys_on_check_expiration)
{
	const char *t = mx_test_tmpdir();
	char ca[512], kx[512], ext[512], app[512], state[512], root[600];
	snprintf(ca, sizeof ca, "%s/ca", t);
	snprintf(kx, sizeof kx, "%s/Old.kext", t);
	snprintf(ext, sizeof ext, "%s/com.example.old.ext.systemextension", t);
	snprintf(app, sizeof app, "%s/Old.app", t);
	snprintf(state, sizeof state, "%s/state", t);
	snprintf(root, sizeof root, "%s/root.pem", ca);
	const char *a1[] = { "forge", "ca", ca };
	const char *a2[] = { "forge", "kext", kx, "--bundle-id", "com.example.old", "--team",
		"ACMETEAM01", "--ca", ca, "--expired-cert", "--no-signing-time" };
	const char *a3[] = { "forge", "sysext", ext, "--bundle-id", "com.example.old.ext",
		"--team", "ACMETEAM01", "--ca", ca, "--category", "network", "--expired-cert",
		"--no-signing-time" };
	const char *a4[] = { "forge", "app", app, "--bundle-id", "com.example.old.app", "--team",
		"ACMETEAM01", "--ca", ca, "--embed", ext };
	if (forge(t, a1, 3) || forge(t, a2, 11) || forge(t, a3, 13) || forge(t, a4, 11))
		return;
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
	/* the app in /Applications, for the activation requests */
	mx_app_import inst;
	mx_op *op;
	CHECK_EQ_INT(mx_engine_import_app(e, app, &inst), 0);
	CHECK_EQ_INT(mx_op_begin(&op, e, "m1", MX_OP_WRITE, &err), 0);
	CHECK_EQ_INT(mx_op_app_install(op, &inst, NULL, &err), 0);
	CHECK_EQ_INT(mx_op_commit(op, &err), 0);
	const mx_verify_opts strict = { .check_expiration = true }, dflt = { false };
	const mx_verify_opts *order[] = { &dflt, &strict, &dflt, &strict };
	for (int i = 0; i < 4; i++) {
		bool s = order[i]->check_expiration;
		mx_kext_import k;
		mx_engine_import_kext_opts(e, kx, "m1", order[i], &k);
		CHECK_EQ_INT(k.rc, s ? MX_ESIGNATURE : 0);
		CHECK_EQ_INT(k.expired.n, 1);
		if (!s)
			CHECK_EQ_INT(k.facts.sig, MX_KSIG_DEVID_KEXT);
		CHECK(!s || strstr(k.err.msg, "--check-expiration") != NULL);

		mx_app_import a;
		mx_engine_import_app_opts(e, app, "m1", order[i], &a);
		CHECK_EQ_INT(a.rc, s ? MX_ESIGNATURE : 0);
		CHECK_EQ_INT(a.expired.n, 1);
		CHECK_EQ_STR(a.expired.e[0].bundle, "com.example.old.ext.systemextension");

		mx_sx_app_ref ref = { .bundle_id = "com.example.old.app" };
		mx_sx_request *req = NULL;
		CHECK_EQ_INT(mx_engine_sysext_prepare_opts(e, "m1", &ref, "com.example.old.ext",
		    order[i], &req, &err), 0);
		/* the extension's signature as the request's checks see it */
		const mx_expiry *x = mx_sx_request_expiry(req);
		CHECK_EQ_INT(x->n, 1);
		mx_sx_result r;
		CHECK_EQ_INT(mx_op_begin(&op, e, "m1", MX_OP_WRITE, &err), 0);
		int rc = mx_op_sysext_activate(op, req, true, &r, &err);
		/* accepted (waiting for the user) by default; strictly the
		 * extension's signature is invalid: error 8, codeSignatureInvalid */
		CHECK_EQ_INT(rc, s ? MX_ESIGNATURE : 0);
		if (s) {
			CHECK_EQ_INT(err.domain, MX_DOM_SYSEXT);
			CHECK_EQ_INT(err.subcode, 8);
		} else {
			CHECK_EQ_INT(r.state, MX_SX_WAITING_FOR_USER);
		}
		if (rc == 0 || mx_op_finished(op))
			CHECK_EQ_INT(mx_op_commit(op, &err), 0);
		else
			mx_op_abort(op);
		mx_sx_request_free(req);
	}
	mx_engine_close(e);
}
