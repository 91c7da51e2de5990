/*
 * policy.c — `make bench`'s policy row: how many "is this extension
 * allowed on this device now?" decisions the pure core takes per second on
 * one core.  Linked against build/libmacext.a; no store, no files.
 *
 *   sysext: mx_sx_decide over a merged com.apple.system-extension-policy
 *           (team allow list, (team, bundle) pairs, type narrowing);
 *   kext:   mx_kext_load (signature check, approval source: MDM rule, user
 *           approval, consent; the Apple silicon gate) on a merged
 *           com.apple.syspolicy.kernel-extension-policy.
 * Queries cycle through a table mixing allowed and blocked extensions.
 * Prints "sysext N" and "kext N" (decisions per second).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <plist/plist.h>

#include "macext/core.h"
#include "macext/kext.h"
#include "macext/sysext.h"

#define NQ 64

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);   /* per core: CPU time, not wall */
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static plist_t
strings(const char *prefix, int n)
{
	plist_t a = plist_new_array();
	for (int i = 0; i < n; i++) {
		char s[64];
		snprintf(s, sizeof s, "%s%d", prefix, i);
		plist_array_append_item(a, plist_new_string(s));
	}
	return a;
}

int
main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 20000000L;
	/* system extension policy as MDM policies are (a handful of vendors):
	 * 6 teams allowed outright, 4 more by bundle, types narrowed for two */
	plist_t sp = plist_new_dict();
	plist_dict_set_item(sp, "AllowUserOverrides", plist_new_bool(1));
	plist_dict_set_item(sp, "AllowedTeamIdentifiers", strings("TEAMA", 6));
	plist_t pairs = plist_new_dict();
	for (int i = 0; i < 4; i++) {
		char t[32], b[64];
		snprintf(t, sizeof t, "TEAMB%d", i);
		snprintf(b, sizeof b, "com.vendor%d.ext", i);
		plist_t a = plist_new_array();
		plist_array_append_item(a, plist_new_string(b));
		plist_dict_set_item(pairs, t, a);
	}
	plist_dict_set_item(sp, "AllowedSystemExtensions", pairs);
	plist_t types = plist_new_dict();
	plist_t ta = plist_new_array();
	plist_array_append_item(ta, plist_new_string("NetworkExtension"));
	plist_dict_set_item(types, "TEAMA0", ta);
	plist_dict_set_item(types, "TEAMA1", plist_copy(ta));
	plist_dict_set_item(sp, "AllowedSystemExtensionTypes", types);
	mx_sxpolicy *sx = mx_sxpolicy_new();
	mx_err err;
	mx_err_clear(&err);
	if (mx_sxpolicy_add_payload(sx, sp, "bench", &err) != 0) {
		fprintf(stderr, "policy: %s %s\n", err.where, err.msg);
		return 1;
	}
	struct { char team[32], bundle[64]; const char *cat; } q[NQ];
	static const char *cats[] = { MX_SX_CAT_NETWORK, MX_SX_CAT_ES, MX_SX_CAT_DRIVER };
	for (int i = 0; i < NQ; i++) {
		snprintf(q[i].team, sizeof q[i].team, "%s%d", i % 3 == 0 ? "TEAMA" : i % 3 == 1 ?
		    "TEAMB" : "OTHER", i % 8);
		snprintf(q[i].bundle, sizeof q[i].bundle, "com.vendor%d.ext", i % 6);
		q[i].cat = cats[i % 3];
	}
	volatile long allowed = 0;
	double t0 = now_s();
	for (long i = 0; i < iters; i++) {
		int k = (int)(i & (NQ - 1));
		allowed += mx_sx_decide(sx, q[k].team, q[k].bundle, q[k].cat) == MX_SXV_ALLOW;
	}
	double sx_rate = (double)iters / (now_s() - t0);

	/* kext policy: the same 6 teams and 4 (team, bundle) rules */
	plist_t kp = plist_new_dict();
	plist_dict_set_item(kp, "AllowUserOverrides", plist_new_bool(1));
	plist_dict_set_item(kp, "AllowedTeamIdentifiers", strings("TEAMA", 6));
	plist_dict_set_item(kp, "AllowedKernelExtensions", plist_copy(pairs));
	mx_kext_policy pol;
	mx_kext_policy_init(&pol);
	if (mx_kext_policy_add(&pol, kp, "B1A2C3D4-0000-4000-8000-000000000001", &err) != 0) {
		fprintf(stderr, "kext policy: %s %s\n", err.where, err.msg);
		return 1;
	}
	mx_device d;
	mx_env_in in = { 0 };
	mx_version v = { 15, 1, 0 };
	mx_device_init(&d, "bench", MX_ARCH_ARM64, v, &in);
	d.policy = MX_SEC_REDUCED;
	d.kext_remote_management = true;
	d.enroll = MX_ENROLL_AUTOMATED;
	mx_kext_ctx ctx = { &d, &pol, NULL, false, true };
	static mx_kext ks[NQ];
	for (int i = 0; i < NQ; i++) {
		mx_kext *k = &ks[i];
		snprintf(k->bundle_id, sizeof k->bundle_id, "%s", q[i].bundle);
		snprintf(k->team_id, sizeof k->team_id, "%s", q[i].team);
		k->sig = i % 7 == 6 ? MX_KSIG_ADHOC : MX_KSIG_DEVID_KEXT;
		k->requirement_met = k->sig == MX_KSIG_DEVID_KEXT;
		k->has_arch = true;
	}
	t0 = now_s();
	for (long i = 0; i < iters; i++) {
		mx_kext *k = &ks[i & (NQ - 1)];
		k->state = MX_KEXT_INSTALLED;
		k->approval = MX_KAPPROVAL_NONE;
		k->in_auxkc = false;
		allowed += mx_kext_load(&ctx, k) == MX_KLOAD_NEEDS_REBOOT;
	}
	double kx_rate = (double)iters / (now_s() - t0);
	printf("sysext %.0f\nkext %.0f\n", sx_rate, kx_rate);
	mx_kext_policy_free(&pol);
	mx_sxpolicy_free(sx);
	plist_free(sp);
	plist_free(kp);
	return 0;
}
