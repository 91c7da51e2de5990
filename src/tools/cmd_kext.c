/*
 * cmd_kext.c — kernel extensions on the simulated Mac: `macext kext
 * install|list|remove|auxkc`, `macext approve kext` (System Settings'
 * Allow), and the hooks the foundation calls: profiles changed
 * (kext_policy_mdm), before a restart (the AuxKC rebuild: kernelmanagerd
 * builds /Library/KernelCollections/AuxiliaryKernelExtensions.kc from the
 * approved, staged kexts, verifying signatures when SIP is on, and on Apple
 * silicon records its measurement in the LocalPolicy) and after boot (load
 * what the verified AuxKC holds).  Decisions are the core's (src/core/kext.c);
 * this file reads bundles, applies effects and prints.
 * Spec: kernel-extensions.md §2-§3, §5-§7; the seed's kext tables.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "macext/bundle.h"
#include "macext/codesign.h"
#include "kext_tools.h"

/* ---- shared helpers (kext_tools.h) ---- */

static int
add_payload(plist_t payload, const char *profile_id, const char *payload_uuid, void *arg)
{
	mx_err *err = ((void **)arg)[1];
	int rc = mx_kext_policy_add(((void **)arg)[0], payload, payload_uuid, err);
	if (rc) {
		char w[sizeof err->where];
		snprintf(w, sizeof w, "%s", err->where);
		snprintf(err->where, sizeof err->where, "%s: %s", profile_id, w);
	}
	return rc;
}

int
kext_env_load(struct mx_cli *cli, const mx_device *d, kext_env *e, mx_err *err)
{
	memset(e, 0, sizeof *e);
	mx_kext_policy_init(&e->policy);
	void *arg[2] = { &e->policy, err };
	int rc = cli_payloads_each(cli, d, MX_KEXT_POLICY_TYPE, add_payload, arg, err);
	if (rc)
		return rc;
	bool enabled = true;
	char *teams[16];
	int n = 0;
	if ((rc = boot_consent_get(cli, d, &enabled, teams, 16, &n, err)))
		return rc;
	e->consent.disabled = !enabled;
	for (int i = 0; i < n; i++)
		snprintf(e->consent.teams[e->consent.nteams++], 32, "%s", teams[i]);
	boot_consent_free(teams, n);
	return 0;
}

void
kext_env_free(kext_env *e)
{
	mx_kext_policy_free(&e->policy);
}

static bool
signed_validly(const mx_kext *k)
{
	return k->sig == MX_KSIG_DEVID_KEXT || k->sig == MX_KSIG_DEVID || k->sig == MX_KSIG_APPLE;
}

int
kext_ctx(struct mx_cli *cli, const mx_device *d, kext_env *e, const mx_kext *k,
    mx_kext_ctx *out, mx_boot_gate *gate, mx_err *err)
{
	memset(out, 0, sizeof *out);
	out->dev = d;
	out->policy = &e->policy;
	out->consent = &e->consent;
	int rc = mx_store_kext_policy_allowed(cli->st, d->id, k->team_id, k->bundle_id,
	    &out->user_approved, err);
	if (rc)
		return rc;
	enum mx_kext_approver who = mx_kext_policy_allows(&e->policy, k->team_id, k->bundle_id,
	    signed_validly(k), NULL) ? MX_APPROVER_MDM : MX_APPROVER_USER;
	mx_boot_gate g;
	if ((rc = boot_kext_gate(cli, d, who, &g, err)))
		return rc;
	/* ADE with an escrowed bootstrap token: the device enables kexts itself
	 * when it builds the AuxKC (boot_record_auxkc at the restart) */
	out->gate_ok = g.allowed || g.action == MX_GATE_MDM_BOOTSTRAP;
	if (gate)
		*gate = g;
	return 0;
}

const char *
kext_settings_name(const mx_device *d)
{
	return mx_version_at_least(d->os, 13, 0, 0) ? "System Settings" : "System Preferences";
}

int
kext_alerts(struct mx_cli *cli, mx_device *d, const mx_kext *k, const mx_boot_gate *gate,
    mx_err *err)
{
	char text[1024];
	int rc;
	bool v13 = mx_version_at_least(d->os, 13, 0, 0);
	switch (k->state) {
	case MX_KEXT_AWAITING_USER_APPROVAL:
	case MX_KEXT_REJECTED_BY_POLICY:
		/* TN2459 / HT210999: "System Extension Blocked" */
		snprintf(text, sizeof text, "A program tried to load new system extension(s) signed by"
		    " \"%s\". If you want to enable these extensions, open %s %s.%s",
		    k->developer_name, v13 ? "Privacy & Security" : "Security & Privacy",
		    kext_settings_name(d), k->state == MX_KEXT_REJECTED_BY_POLICY ?
		    " Your organisation's policy does not allow approving this extension." : "");
		return cli_alert(cli, d, "kext-blocked", k->bundle_id, "System Extension Blocked", text,
		    k->state == MX_KEXT_REJECTED_BY_POLICY ? "[\"OK\"]" :
		    v13 ? "[\"Open System Settings\", \"OK\"]" :
		    "[\"Open Security Preferences\", \"OK\"]", err);
	case MX_KEXT_BLOCKED_BY_SECURITY_POLICY:
		if (gate && gate->title && gate->text && gate->text[0])
			return cli_alert(cli, d, "kext-blocked", k->bundle_id, gate->title, gate->text,
			    "[\"OK\"]", err);
		return cli_alert(cli, d, "kext-blocked", k->bundle_id, "System Extension Blocked",
		    "To enable system extensions, you need to modify your security settings in the"
		    " Recovery environment. To do this, shut down your system. Then press and hold"
		    " the Touch ID or power button to launch Startup Security Utility. In Startup"
		    " Security Utility, enable kernel extensions from the Security Policy button.",
		    "[\"OK\"]", err);
	case MX_KEXT_AWAITING_RESTART:
		if ((rc = mx_store_alert_remove(cli->st, d->id, "kext-blocked", k->bundle_id, err)))
			return rc;
		d->restart_pending = true;
		return cli_alert(cli, d, "restart-required", "kext", "Restart Required",
		    "A restart is required before new system software can be used.",
		    "[\"Not Now\", \"Restart\"]", err);
	default:
		return mx_store_alert_remove(cli->st, d->id, "kext-blocked", k->bundle_id, err);
	}
}

int
kext_save(struct mx_cli *cli, mx_device *d, const mx_kext *k, const mx_boot_gate *gate,
    const char *actor, const char *what, mx_err *err)
{
	int rc;
	char why[600];
	snprintf(why, sizeof why, "%s: state %s, approval %s", k->bundle_id,
	    mx_kext_state_name(k->state), mx_kext_approval_name(k->approval));
	if ((rc = mx_store_kext_put(cli->st, d->id, k, err)) ||
	    (what && (rc = cli_event(cli, d, actor, what, why, err))))
		return rc;
	return kext_alerts(cli, d, k, gate, err);
}

int
kext_auxkc_read(struct mx_cli *cli, const mx_device *d, uint8_t **buf, size_t *len, mx_err *err)
{
	const kext_kc *kc;
	*buf = NULL;
	*len = 0;
	int rc = kext_auxkc_get(cli, d, &kc, err);
	if (rc || kc == NULL)
		return rc;
	*buf = mx_xmalloc(kc->len + 1);
	memcpy(*buf, kc->kc, kc->len);
	*len = kc->len;
	return 0;
}

void
kext_boot_kcid(const mx_device *d, uint8_t out[16])
{
	char s[128], os[16];
	uint8_t h[SHA256_DIGEST_LENGTH];
	mx_version_str(d->os, os, sizeof os);
	/* the boot KC comes with the OS: one per macOS version and architecture,
	 * the same on every Mac (not per device) */
	snprintf(s, sizeof s, "BootKernelExtensions.kc %s %s", os, mx_arch_name(d->arch));
	SHA256((const uint8_t *)s, strlen(s), h);
	memcpy(out, h, 16);
	out[6] = (uint8_t)((out[6] & 0x0f) | 0x40);
	out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);
}

int
kext_find(struct mx_cli *cli, const mx_device *d, const char *id_or_path, mx_kext *out,
    mx_err *err)
{
	if (id_or_path[0] != '/')
		return mx_store_kext_get(cli->st, d->id, id_or_path, out, err);
	mx_kext *all;
	int n, rc = mx_store_kext_list(cli->st, d->id, &all, &n, err);
	if (rc)
		return rc;
	size_t pl = strlen(id_or_path);
	while (pl > 1 && id_or_path[pl - 1] == '/')
		pl--;
	for (int i = 0; i < n; i++) {
		const char *p = all[i].path;
		char staged[1200];
		snprintf(staged, sizeof staged, "%s%s", KEXT_STAGED_PREFIX, p);
		if ((strlen(p) == pl && strncmp(p, id_or_path, pl) == 0) ||
		    (strlen(staged) == pl && strncmp(staged, id_or_path, pl) == 0)) {
			*out = all[i];
			free(all);
			return 0;
		}
	}
	free(all);
	return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "no kext at %s", id_or_path);
}

static int
need_macos(const mx_device *d, mx_err *err)
{
	if (d->env != MX_ENV_MACOS)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is not running macOS (%s)", d->name,
		    mx_env_name(d->env));
	return 0;
}

/* ---- kext install ---- */

enum mx_kext_sig
kext_sig(enum mx_sigkind k)
{
	switch (k) {
	case MX_SIG_DEVELOPER_ID_KEXT: return MX_KSIG_DEVID_KEXT;
	case MX_SIG_DEVELOPER_ID: return MX_KSIG_DEVID;
	case MX_SIG_APPLE: return MX_KSIG_APPLE;
	case MX_SIG_ADHOC: return MX_KSIG_ADHOC;
	case MX_SIG_UNSIGNED: return MX_KSIG_UNSIGNED;
	case MX_SIG_UNTRUSTED: return MX_KSIG_UNTRUSTED;
	default: return MX_KSIG_INVALID;
	}
}

static int
read_file(const char *path, uint8_t **buf, size_t *len, mx_err *err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s: %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fileno(f), &sb) != 0 || sb.st_size > (off_t)MX_FILESET_MAX_SIZE) {
		fclose(f);
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: larger than %u bytes", path,
		    MX_FILESET_MAX_SIZE);
	}
	*buf = mx_xmalloc((size_t)sb.st_size + 1);
	*len = fread(*buf, 1, (size_t)sb.st_size, f);
	fclose(f);
	return 0;
}

static uint32_t
native_cputype(const mx_device *d)
{
	return d->arch == MX_ARCH_ARM64 ? MX_CPU_TYPE_ARM64 : MX_CPU_TYPE_X86_64;
}

/* Reads a kext bundle at path into k (identity, signature, architecture). */
static int
kext_read_bundle(struct mx_cli *cli, const mx_device *d, const char *path, mx_kext *k,
    mx_err *err)
{
	mx_bundle *b = NULL;
	int rc = mx_bundle_open(&b, path, err);
	if (rc)
		return rc;
	if (b->kind != MX_BUNDLE_KEXT) {
		rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s: not a kernel extension (%s)", path,
		    mx_bundle_kind_name(b->kind));
		mx_bundle_free(b);
		return rc;
	}
	memset(k, 0, sizeof *k);
	snprintf(k->bundle_id, sizeof k->bundle_id, "%s", b->bundle_id);
	snprintf(k->version, sizeof k->version, "%s", b->version);
	k->codeless = b->codeless;
	k->apple_auxiliary = strcmp(b->os_bundle_required, "Auxiliary") == 0;
	k->has_arch = true;
	if (!b->codeless) {
		uint8_t *exe = NULL;
		size_t len = 0, off, sl;
		mx_err e2;
		mx_err_clear(&e2);
		if ((rc = read_file(b->executable_path, &exe, &len, err))) {
			mx_bundle_free(b);
			return rc;
		}
		k->has_arch = mx_fileset_thin_slice(exe, len, native_cputype(d), &off, &sl, &e2) == 0;
		free(exe);
	}
	char anchor[4096];
	mx_trust trust = { cli_trust_anchor(cli, d, anchor, sizeof anchor), cli->in.now, false };
	mx_siginfo si;
	memset(&si, 0, sizeof si);
	if ((rc = mx_codesign_verify_path(&si, path, &trust, err))) {
		mx_bundle_free(b);
		return rc;
	}
	k->sig = kext_sig(si.kind);
	k->requirement_met = si.kext_requirement_met;
	if (k->sig == MX_KSIG_DEVID_KEXT || k->sig == MX_KSIG_DEVID || k->sig == MX_KSIG_APPLE ||
	    k->sig == MX_KSIG_UNTRUSTED)
		snprintf(k->team_id, sizeof k->team_id, "%s", si.team_id);
	if (k->sig != MX_KSIG_UNSIGNED)
		snprintf(k->cdhash, sizeof k->cdhash, "%s", si.cdhash);
	mx_kext_developer_name(k->developer_name, sizeof k->developer_name,
	    k->team_id[0] ? si.signer : NULL, b->name);
	mx_siginfo_free(&si);
	mx_bundle_free(b);
	return 0;
}

static const char *
base_name(const char *p)
{
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		n--;
	const char *s = p + n;
	while (s > p && s[-1] != '/')
		s--;
	return s;
}

static int
kext_install(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 1, 1, "macext kext install PATH.kext", err);
	if (rc)
		return rc;
	mx_device d;
	if ((rc = cli_begin_device(cli, &d, err)) || (rc = need_macos(&d, err)))
		return rc;
	/* Fleet runs install the same bundle on thousands of Macs: what the
	 * bundle says and its signature verdict depend only on its bytes, the
	 * Mac's architecture and its trust anchor, so they are verified once
	 * per (content hash, arch, anchor) in a process. */
	static struct { char key[160]; mx_kext k; } memo[4];
	static unsigned memo_next;
	char hash[65], key[160];
	if ((rc = mx_cas_put_tree(cli->st, argv[1], hash, err)))
		return rc;
	snprintf(key, sizeof key, "%s/%s/%s", hash, mx_arch_name(d.arch), d.trust_anchor);
	mx_kext k;
	size_t mi;
	for (mi = 0; mi < sizeof memo / sizeof memo[0]; mi++)
		if (strcmp(memo[mi].key, key) == 0)
			break;
	if (mi < sizeof memo / sizeof memo[0]) {
		k = memo[mi].k;
	} else {
		if ((rc = kext_read_bundle(cli, &d, argv[1], &k, err)))
			return rc;
		mi = memo_next++ % (sizeof memo / sizeof memo[0]);
		snprintf(memo[mi].key, sizeof memo[mi].key, "%s", key);
		memo[mi].k = k;
	}
	char name[256];
	snprintf(name, sizeof name, "%s", base_name(argv[1]));
	size_t nl = strlen(name);
	if (nl && name[nl - 1] == '/')
		name[nl - 1] = '\0';
	snprintf(k.path, sizeof k.path, "/Library/Extensions/%s", name);
	snprintf(k.hash, sizeof k.hash, "%s", hash);
	if ((rc = mx_store_file_set(cli->st, d.id, k.path, k.hash, err)))
		return rc;
	k.state = MX_KEXT_INSTALLED;
	k.approval = MX_KAPPROVAL_NONE;
	k.installed_at = cli->in.now;
	mx_kext old;
	mx_err e2;
	mx_err_clear(&e2);
	if (mx_store_kext_get(cli->st, d.id, k.bundle_id, &old, &e2) == 0) {
		if (strcmp(old.path, k.path) != 0 &&
		    (rc = mx_store_file_remove(cli->st, d.id, old.path, err)))
			return rc;
		/* the same bytes again: nothing changes */
		if (strcmp(old.hash, k.hash) == 0 && old.state != MX_KEXT_REMOVED_AWAITING_RESTART) {
			k = old;
		} else {
			/* an update: the old version keeps running until the update
			 * is approved and built into the AuxKC (§3.3 step 9) */
			if (old.in_auxkc) {
				snprintf(k.running_version, sizeof k.running_version, "%s", old.version);
				snprintf(k.running_cdhash, sizeof k.running_cdhash, "%s", old.cdhash);
				snprintf(k.running_hash, sizeof k.running_hash, "%s", old.hash);
			} else if (old.running_version[0]) {
				snprintf(k.running_version, sizeof k.running_version, "%s", old.running_version);
				snprintf(k.running_cdhash, sizeof k.running_cdhash, "%s", old.running_cdhash);
				snprintf(k.running_hash, sizeof k.running_hash, "%s", old.running_hash);
			}
			/* "an updated kext still needs user consent" (§2.4): the
			 * user's Allow covered the old version */
			bool was = false;
			if ((rc = mx_store_kext_policy_allowed(cli->st, d.id, old.team_id, old.bundle_id,
			    &was, err)))
				return rc;
			if (was && (rc = mx_store_kext_policy_set(cli->st, d.id, old.team_id,
			    old.bundle_id, false, old.developer_name, 1, err)))
				return rc;
		}
	}
	char what[600];
	snprintf(what, sizeof what, "kext %s %s installed at %s (%s)", k.bundle_id, k.version,
	    k.path, mx_kext_sig_name(k.sig));
	if ((rc = kext_save(cli, &d, &k, NULL, "installer", what, err)) ||
	    (rc = cli_save_device(cli, &d, err)) || (rc = cli_commit(cli, err)))
		return rc;
	if (cli->json)
		cli_json_print(json_pack("{s:s, s:s, s:s, s:s, s:s}", "bundle_id", k.bundle_id,
		    "version", k.version, "path", k.path, "signature", mx_kext_sig_name(k.sig),
		    "state", mx_kext_state_name(k.state)));
	else if (!cli->quiet)
		printf("installed %s %s at %s (signature: %s)\n", k.bundle_id, k.version, k.path,
		    mx_kext_sig_name(k.sig));
	return 0;
}

/* ---- kext list ---- */

static json_t *
kext_json(const mx_kext *k)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:s}",
	    "bundle_id", k->bundle_id, "team_id", k->team_id, "version", k->version,
	    "path", k->path, "signature", mx_kext_sig_name(k->sig),
	    "approval", mx_kext_approval_name(k->approval), "state", mx_kext_state_name(k->state),
	    "in_auxkc", k->in_auxkc, "codeless", k->codeless, "cdhash", k->cdhash,
	    "developer_name", k->developer_name);
}

static int
kext_list(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext kext list [--json]", err);
	if (rc)
		return rc;
	mx_device d;
	if ((rc = cli_begin_device(cli, &d, err)))
		return rc;
	mx_kext *all;
	int n;
	if ((rc = mx_store_kext_list(cli->st, d.id, &all, &n, err)))
		return rc;
	if (cli->json) {
		json_t *arr = json_array();
		for (int i = 0; i < n; i++)
			json_array_append_new(arr, kext_json(&all[i]));
		cli_json_print(arr);
	} else {
		for (int i = 0; i < n; i++)
			printf("%-40s %-10s %-12s %-18s %-26s %-8s%s\n", all[i].bundle_id,
			    all[i].team_id[0] ? all[i].team_id : "-", all[i].version,
			    mx_kext_sig_name(all[i].sig), mx_kext_state_name(all[i].state),
			    mx_kext_approval_name(all[i].approval), all[i].in_auxkc ? " (in AuxKC)" : "");
	}
	free(all);
	return cli_commit(cli, err);
}

/* ---- kext remove: an uninstaller deleting the bundle ---- */

static int
kext_remove(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 1, 1, "macext kext remove BUNDLE_ID|PATH", err);
	if (rc)
		return rc;
	mx_device d;
	mx_kext k;
	if ((rc = cli_begin_device(cli, &d, err)) || (rc = need_macos(&d, err)) ||
	    (rc = kext_find(cli, &d, argv[1], &k, err)))
		return rc;
	if (k.state == MX_KEXT_REMOVED_AWAITING_RESTART)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is already removed", k.bundle_id);
	if ((rc = mx_store_file_remove(cli->st, d.id, k.path, err)) ||
	    (rc = mx_store_alert_remove(cli->st, d.id, "kext-blocked", k.bundle_id, err)))
		return rc;
	char what[600];
	if (k.in_auxkc || k.running_version[0]) {
		/* the code stays in the AuxKC until it is rebuilt; the kernel
		 * marks it non-loadable (MissingAuxKCBundles, §3.3 step 9) */
		k.state = MX_KEXT_REMOVED_AWAITING_RESTART;
		d.restart_pending = true;
		snprintf(what, sizeof what, "kext %s removed from %s; it leaves the AuxKC at the next"
		    " restart", k.bundle_id, k.path);
		if ((rc = kext_save(cli, &d, &k, NULL, "installer", what, err)))
			return rc;
	} else {
		snprintf(what, sizeof what, "kext %s removed from %s", k.bundle_id, k.path);
		if ((rc = mx_store_kext_delete(cli->st, d.id, k.bundle_id, err)) ||
		    (rc = cli_event(cli, &d, "installer", what, "kext remove", err)))
			return rc;
	}
	if ((rc = cli_save_device(cli, &d, err)) || (rc = cli_commit(cli, err)))
		return rc;
	if (!cli->quiet)
		printf("%s\n", what);
	return 0;
}

/* ---- kext auxkc: copy the device's AuxKC out (for other readers) ---- */

static int
kext_auxkc(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *out = arg_value(&argc, argv, "--out");
	int rc = arg_check(argc, argv, 0, 0, "macext kext auxkc --out FILE", err);
	if (rc)
		return rc;
	if (out == NULL)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "usage: macext kext auxkc --out FILE");
	mx_device d;
	uint8_t *buf;
	size_t len;
	if ((rc = cli_begin_device(cli, &d, err)) || (rc = kext_auxkc_read(cli, &d, &buf, &len, err)))
		return rc;
	if (buf == NULL)
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s: no auxiliary kernel collection",
		    KEXT_AUXKC_PATH);
	FILE *f = fopen(out, "wb");
	if (f == NULL || fwrite(buf, 1, len, f) != len) {
		if (f)
			fclose(f);
		free(buf);
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", out, strerror(errno));
	}
	fclose(f);
	free(buf);
	return cli_commit(cli, err);
}

int
cmd_kext(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	if (argc < 2)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "usage: macext kext install|list|remove|auxkc ...");
	if (strcmp(argv[1], "install") == 0)
		return kext_install(cli, argc - 1, argv + 1, err);
	if (strcmp(argv[1], "list") == 0)
		return kext_list(cli, argc - 1, argv + 1, err);
	if (strcmp(argv[1], "remove") == 0 || strcmp(argv[1], "uninstall") == 0)
		return kext_remove(cli, argc - 1, argv + 1, err);
	if (strcmp(argv[1], "auxkc") == 0)
		return kext_auxkc(cli, argc - 1, argv + 1, err);
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "unknown kext command '%s'", argv[1]);
}

/* ---- approve kext ID --as USER:PASSWORD (System Settings, Allow) ---- */

int
cmd_kext_approve(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *cred = arg_value(&argc, argv, "--as");
	int rc = arg_check(argc, argv, 1, 1, "macext approve kext BUNDLE_ID --as USER:PASSWORD", err);
	if (rc)
		return rc;
	if (cred == NULL)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "approving a kernel extension needs --as USER:PASSWORD");
	mx_device d;
	mx_kext k;
	if ((rc = cli_begin_device(cli, &d, err)) || (rc = need_macos(&d, err)) ||
	    (rc = mx_store_kext_get(cli->st, d.id, argv[1], &k, err)))
		return rc;
	kext_env e;
	mx_kext_ctx c;
	mx_boot_gate g;
	if ((rc = kext_env_load(cli, &d, &e, err)) || (rc = kext_ctx(cli, &d, &e, &k, &c, &g, err)))
		goto out;
	if (k.state != MX_KEXT_AWAITING_USER_APPROVAL && k.state != MX_KEXT_REJECTED_BY_POLICY &&
	    k.state != MX_KEXT_BLOCKED_BY_SECURITY_POLICY) {
		rc = MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "%s is not waiting for approval (%s)",
		    k.bundle_id, mx_kext_state_name(k.state));
		goto out;
	}
	bool need_admin;
	if ((rc = mx_kext_user_may_approve(&c, &k, &need_admin, err))) {
		kext_env_free(&e);
		return cli_refuse(cli, &d, "user", "approve kext", err);
	}
	const mx_user *u = NULL;
	if ((rc = mx_auth_check(&d, cred, need_admin, &u, err))) {
		kext_env_free(&e);
		return cli_refuse(cli, &d, "user", "approve kext", err);
	}
	/* TN2459 scoping: Allow also covers the same developer's other
	 * blocked kexts in /Library/Extensions */
	mx_kext *all;
	int n;
	if ((rc = mx_store_kext_list(cli->st, d.id, &all, &n, err)))
		goto out;
	int napproved = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		mx_kext *o = &all[i];
		bool same = strcmp(o->bundle_id, k.bundle_id) == 0;
		if (!same && !(k.team_id[0] && strcmp(o->team_id, k.team_id) == 0 &&
		    o->state == MX_KEXT_AWAITING_USER_APPROVAL))
			continue;
		if ((rc = mx_store_kext_policy_set(cli->st, d.id, o->team_id, o->bundle_id, true,
		    o->developer_name, 1, err)))
			break;
		mx_kext_ctx oc;
		mx_boot_gate og;
		if ((rc = kext_ctx(cli, &d, &e, o, &oc, &og, err)))
			break;
		mx_kext_reevaluate(&oc, o);
		char what[600];
		snprintf(what, sizeof what, "%s allowed system software from \"%s\" (%s)", u->name,
		    o->developer_name, o->bundle_id);
		if ((rc = kext_save(cli, &d, o, &og, u->name, what, err)) ||
		    (rc = mx_store_kext_history_seen(cli->st, d.id, o, d.boot_session, cli->in.now, 2,
		    err)))
			break;
		napproved++;
		if (same)
			k = *o;
	}
	free(all);
	if (rc || (rc = cli_save_device(cli, &d, err)) || (rc = cli_commit(cli, err)))
		goto out;
	if (!cli->quiet)
		printf("allowed system software from developer \"%s\" (%d extension%s)%s\n",
		    k.developer_name, napproved, napproved == 1 ? "" : "s",
		    k.state == MX_KEXT_AWAITING_RESTART ?
		    "; a restart is required before it can be used" : "");
out:
	kext_env_free(&e);
	return rc;
}

/* ---- hooks ---- */

int
kext_profiles_changed(struct mx_cli *cli, mx_device *d, mx_err *err)
{
	kext_env e;
	int rc = kext_env_load(cli, d, &e, err);
	if (rc) {
		kext_env_free(&e);
		return rc;
	}
	mx_kext *all = NULL;
	int n = 0;
	if ((rc = mx_store_kext_policy_mdm_replace(cli->st, d->id, &e.policy, err)) ||
	    (rc = mx_store_kext_list(cli->st, d->id, &all, &n, err)))
		goto out;
	for (int i = 0; i < n; i++) {
		mx_kext_ctx c;
		mx_boot_gate g;
		mx_kext *k = &all[i];
		if ((rc = kext_ctx(cli, d, &e, k, &c, &g, err)))
			break;
		enum mx_kext_state s0 = k->state;
		if (!mx_kext_reevaluate(&c, k))
			continue;
		char what[600];
		snprintf(what, sizeof what, "kext %s: %s -> %s (kernel extension policy changed)",
		    k->bundle_id, mx_kext_state_name(s0), mx_kext_state_name(k->state));
		if ((rc = kext_save(cli, d, k, &g, "syspolicyd", what, err)))
			break;
	}
out:
	free(all);
	kext_env_free(&e);
	return rc;
}

/* One kext going into the AuxKC being built. */
struct build_item {
	mx_kext k;
	mx_bundle *b;
	uint8_t *exe;
	size_t exe_len, off, len;
	char staged[1200], relpath[512];
};

/* Opens the staged kext of it->k; on failure frees what it opened and
 * leaves it->b and it->exe NULL. */
static int
load_item(struct mx_cli *cli, const mx_device *d, struct build_item *it, mx_err *err)
{
	char cas[4096];
	int rc;
	if ((rc = mx_cas_path(cli->st, it->k.hash, cas, sizeof cas, err)) ||
	    (rc = mx_bundle_open(&it->b, cas, err)) ||
	    (rc = read_file(it->b->executable_path, &it->exe, &it->exe_len, err)) ||
	    (rc = mx_fileset_thin_slice(it->exe, it->exe_len, native_cputype(d), &it->off, &it->len,
	    err))) {
		mx_bundle_free(it->b);
		free(it->exe);
		it->b = NULL;
		it->exe = NULL;
		return rc;
	}
	snprintf(it->staged, sizeof it->staged, "%s%s", KEXT_STAGED_PREFIX, it->k.path);
	snprintf(it->relpath, sizeof it->relpath, "Contents/MacOS/%s", it->b->executable);
	return 0;
}

/* What an AuxKC is built from, digested: the first 16 bytes name the
 * collection (its UUID: the boot KC and each kext's identity and content),
 * all 32 are the key kext_auxkc_reuse finds an identical build by (adding
 * the CPU type and each kext's team and cdhash). */
static void
auxkc_key(const struct build_item *items, int n, const uint8_t bkc[16], uint32_t cputype,
    uint32_t sub, uint8_t out[32])
{
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned hl;
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	EVP_DigestInit_ex(x, EVP_sha256(), NULL);
	EVP_DigestUpdate(x, "AuxiliaryKernelExtensions.kc", 29);
	EVP_DigestUpdate(x, bkc, 16);
	for (int i = 0; i < n; i++) {
		char staged[1200];
		snprintf(staged, sizeof staged, "%s%s", KEXT_STAGED_PREFIX, items[i].k.path);
		EVP_DigestUpdate(x, items[i].k.bundle_id, strlen(items[i].k.bundle_id) + 1);
		EVP_DigestUpdate(x, items[i].k.version, strlen(items[i].k.version) + 1);
		EVP_DigestUpdate(x, items[i].k.hash, strlen(items[i].k.hash) + 1);
		EVP_DigestUpdate(x, staged, strlen(staged) + 1);
	}
	EVP_DigestFinal_ex(x, h, &hl);
	memcpy(out, h, 16);
	EVP_DigestInit_ex(x, EVP_sha256(), NULL);
	EVP_DigestUpdate(x, h, hl);
	EVP_DigestUpdate(x, &cputype, sizeof cputype);
	EVP_DigestUpdate(x, &sub, sizeof sub);
	for (int i = 0; i < n; i++) {
		EVP_DigestUpdate(x, items[i].k.team_id, strlen(items[i].k.team_id) + 1);
		EVP_DigestUpdate(x, items[i].k.cdhash, strlen(items[i].k.cdhash) + 1);
	}
	EVP_DigestFinal_ex(x, h, &hl);
	EVP_MD_CTX_free(x);
	memcpy(out + 16, h, 16);
}

/* Is the kext named by RestartDevice's KextPaths? */
static bool
named(const mx_kext *k, const char **paths, int n)
{
	char staged[1200];
	snprintf(staged, sizeof staged, "%s%s", KEXT_STAGED_PREFIX, k->path);
	for (int i = 0; i < n; i++) {
		size_t l = strlen(paths[i]);
		while (l > 1 && paths[i][l - 1] == '/')
			l--;
		if ((strlen(k->path) == l && strncmp(paths[i], k->path, l) == 0) ||
		    (strlen(staged) == l && strncmp(paths[i], staged, l) == 0))
			return true;
	}
	return false;
}

int
kext_before_restart(struct mx_cli *cli, mx_device *d, bool rebuild_kc, const char **kext_paths,
    int npaths, mx_err *err)
{
	if (!rebuild_kc || d->env != MX_ENV_MACOS || mx_kext_legacy(d))
		return 0;   /* the AuxKC stays as it is (before 11 there is none) */
	kext_env e;
	int rc = kext_env_load(cli, d, &e, err);
	mx_kext *all = NULL;
	int n = 0;
	struct build_item *items = NULL;
	int ni = 0;
	mx_fileset_kext_in *in = NULL;
	uint8_t *kc = NULL;
	size_t kclen = 0;
	if (rc || (rc = mx_store_kext_list(cli->st, d->id, &all, &n, err)))
		goto out;
	items = mx_xcalloc((size_t)(n ? n : 1), sizeof *items);
	bool mdm_bootstrap = false, changed = false, stale = false;
	for (int i = 0; i < n; i++) {
		mx_kext *k = &all[i];
		mx_kext_ctx c;
		mx_boot_gate g;
		if ((rc = kext_ctx(cli, d, &e, k, &c, &g, err)))
			goto out;
		const char *why = NULL;
		bool inc = mx_kext_include_in_auxkc(&c, k, named(k, kext_paths, npaths), &why);
		if (!inc && k->running_hash[0] && c.gate_ok &&
		    k->state != MX_KEXT_REMOVED_AWAITING_RESTART) {
			/* the update is not built yet: its old version stays */
			items[ni].k = *k;
			snprintf(items[ni].k.version, sizeof items[ni].k.version, "%s", k->running_version);
			snprintf(items[ni].k.cdhash, sizeof items[ni].k.cdhash, "%s", k->running_cdhash);
			snprintf(items[ni].k.hash, sizeof items[ni].k.hash, "%s", k->running_hash);
			ni++;
			continue;
		}
		if (!inc) {
			/* report what a load was asked for but did not make it */
			if (k->load_requested && why && k->state != MX_KEXT_REMOVED_AWAITING_RESTART &&
			    !k->codeless) {
				char what[700];
				snprintf(what, sizeof what, "AuxKC: left out %s: %s", k->bundle_id, why);
				if ((rc = cli_event(cli, d, "kernelmanagerd", what, "AuxKC rebuild", err)))
					goto out;
				if (!mx_kext_signature_ok(d, k) && k->state != MX_KEXT_REJECTED_SIGNATURE) {
					k->state = MX_KEXT_REJECTED_SIGNATURE;
					k->approval = MX_KAPPROVAL_NONE;
					if ((rc = kext_save(cli, d, k, &g, "kernelmanagerd", NULL, err)))
						goto out;
				}
			}
			continue;
		}
		if (!g.allowed && g.action == MX_GATE_MDM_BOOTSTRAP)
			mdm_bootstrap = true;
		/* not in the AuxKC that booted (new, or that AuxKC failed its checks) */
		if (!k->in_auxkc)
			stale = true;
		items[ni].k = *k;
		ni++;
	}
	const kext_kc *old = NULL;
	if ((rc = kext_auxkc_get(cli, d, &old, err)))
		goto out;
	/* rebuild only when the set of (bundle, cdhash) changes */
	const mx_fileset *ofs = old ? old->fs : NULL;
	if (old == NULL)
		changed = ni > 0;
	else if (ofs == NULL || ofs->nreceipt != ni)
		changed = true;
	for (int i = 0; ofs && !changed && i < ni; i++) {
		bool found = false;
		for (int r = 0; r < ofs->nreceipt && !found; r++)
			found = strcmp(ofs->receipt[r].bundle_id, items[i].k.bundle_id) == 0 &&
			    strcmp(ofs->receipt[r].cdhash, items[i].k.cdhash) == 0;
		changed = !found;
	}
	if (!changed && !stale)
		goto out;   /* the AuxKC already holds exactly these kexts */
	if (ni == 0) {
		if ((rc = mx_store_file_remove(cli->st, d->id, KEXT_AUXKC_PATH, err)) ||
		    (rc = boot_record_auxkc(cli, d, NULL, NULL, NULL, 0, false, err)) ||
		    (rc = cli_event(cli, d, "kernelmanagerd", "AuxKC removed: no third-party kexts",
		    "AuxKC rebuild", err)))
			goto out;
		goto out;
	}
	uint8_t bkc[16], key[32];
	kext_boot_kcid(d, bkc);
	uint32_t sub = d->arch == MX_ARCH_ARM64 ? MX_CPU_SUBTYPE_ARM64E : MX_CPU_SUBTYPE_X86_64_ALL;
	auxkc_key(items, ni, bkc, native_cputype(d), sub, key);
	const kext_kc *a = NULL;
	if ((rc = kext_auxkc_reuse(cli, d, key, &a, err)))
		goto out;
	if (a == NULL) {
		/* not built by this process yet: build it */
		for (int i = 0; i < ni; i++)
			if ((rc = load_item(cli, d, &items[i], err)))
				goto out;
		in = mx_xcalloc((size_t)ni, sizeof *in);
		for (int i = 0; i < ni; i++)
			in[i] = (mx_fileset_kext_in){ items[i].k.bundle_id, items[i].k.version,
			    items[i].k.team_id, items[i].k.cdhash, items[i].staged, items[i].relpath,
			    items[i].b->info, items[i].exe + items[i].off, items[i].len };
		/* The AuxKC's UUID derives from what it is built from (boot KC,
		 * each kext's identity and bytes), so Macs building the same
		 * collection get the same bytes and share one copy in the CAS: a
		 * fleet of 100,000 Macs with one vendor kext stores one AuxKC per
		 * OS and architecture, not 100,000 (docs/fleet.md).  A different
		 * set still gives a new UUID. */
		uint8_t uuid[16];
		memcpy(uuid, key, 16);
		uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40);
		uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
		if ((rc = mx_fileset_write(&kc, &kclen, native_cputype(d), sub, uuid, bkc, in, ni,
		    err)))
			goto out;
		rc = kext_auxkc_put(cli, d, kc, kclen, &a, err);
		kc = NULL;      /* taken */
		if (rc)
			goto out;
		if (a->fs == NULL) {
			rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "built AuxKC does not parse: %s",
			    a->error);
			goto out;
		}
		kext_auxkc_remember(key, a);
	}
	const char **uakl = mx_xcalloc((size_t)ni, sizeof *uakl);
	char (*ids)[320] = mx_xcalloc((size_t)ni, sizeof *ids);
	for (int i = 0; i < ni; i++) {
		snprintf(ids[i], sizeof ids[i], "%s %s", items[i].k.team_id[0] ? items[i].k.team_id :
		    "-", items[i].k.bundle_id);
		uakl[i] = ids[i];
	}
	rc = boot_record_auxkc(cli, d, a->auxi, a->auxr, uakl, (size_t)ni, mdm_bootstrap, err);
	free(uakl);
	free(ids);
	char what[256];
	snprintf(what, sizeof what, "AuxKC built with %d kext%s, UUID %s", ni, ni == 1 ? "" : "s",
	    a->fs->uuid);
	if (rc || (rc = cli_event(cli, d, "kernelmanagerd", what, "AuxKC rebuild", err)))
		goto out;
out:
	for (int i = 0; items && i < ni; i++) {
		mx_bundle_free(items[i].b);
		free(items[i].exe);
	}
	free(items);
	free(in);
	free(kc);
	free(all);
	kext_env_free(&e);
	return rc;
}

/* trigger-panic-medic, applied at the next boot: no AuxKC, no approvals. */
static int
panic_medic(struct mx_cli *cli, mx_device *d, mx_kext *all, int n, mx_err *err)
{
	int rc;
	mx_err e2;
	mx_err_clear(&e2);
	if (mx_store_file_get(cli->st, d->id, KEXT_AUXKC_PATH, NULL, &e2) == 0 &&
	    (rc = mx_store_file_remove(cli->st, d->id, KEXT_AUXKC_PATH, err)))
		return rc;
	if ((rc = boot_record_auxkc(cli, d, NULL, NULL, NULL, 0, false, err)) ||
	    (rc = mx_store_kext_policy_clear(cli->st, d->id, err)) ||
	    (rc = mx_store_kv_set(cli->st, d->id, "kext.panic_medic", NULL, err)))
		return rc;
	for (int i = 0; i < n; i++) {
		mx_kext *k = &all[i];
		if (k->state == MX_KEXT_REMOVED_AWAITING_RESTART) {
			if ((rc = mx_store_kext_delete(cli->st, d->id, k->bundle_id, err)))
				return rc;
			continue;
		}
		k->in_auxkc = false;
		k->load_requested = false;
		k->state = MX_KEXT_INSTALLED;
		k->approval = MX_KAPPROVAL_NONE;
		if ((rc = kext_save(cli, d, k, NULL, "kernelmanagerd", NULL, err)))
			return rc;
	}
	return cli_event(cli, d, "kernelmanagerd", "panic medic: removed the AuxKC and all kext"
	    " approvals; every kext must be approved again", "trigger-panic-medic", err);
}

static bool
in_receipt_cdhash(const mx_fileset *fs, const char *bundle_id, const char *cdhash)
{
	for (int i = 0; fs && i < fs->nreceipt; i++)
		if (strcmp(fs->receipt[i].bundle_id, bundle_id) == 0 &&
		    strcmp(fs->receipt[i].cdhash, cdhash) == 0)
			return true;
	return false;
}

static bool
in_receipt(const mx_fileset *fs, const mx_kext *k)
{
	return in_receipt_cdhash(fs, k->bundle_id, k->cdhash);
}

int
kext_after_boot(struct mx_cli *cli, mx_device *d, mx_err *err)
{
	if (d->env != MX_ENV_MACOS)
		return 0;
	mx_kext *all = NULL;
	int n = 0;
	kext_env e;
	int rc = kext_env_load(cli, d, &e, err);
	const kext_kc *kc = NULL;
	const mx_fileset *fs = NULL;
	char *medic = NULL;
	if (rc || (rc = mx_store_kext_list(cli->st, d->id, &all, &n, err)) ||
	    (rc = mx_store_kv_get(cli->st, d->id, "kext.panic_medic", &medic, err)))
		goto out;
	if (medic) {
		rc = panic_medic(cli, d, all, n, err);
		goto out;
	}
	if ((rc = kext_auxkc_get(cli, d, &kc, err)))
		goto out;
	if (kc) {
		/* the booter: a well-formed fileset, linked against this boot KC,
		 * with a receipt; on Apple silicon measured in the LocalPolicy */
		char reason[512] = "", bk[37];
		uint8_t bkc[16];
		kext_boot_kcid(d, bkc);
		mx_device_uuid_fmt(bkc, bk);
		fs = kc->fs;
		if (fs == NULL) {
			snprintf(reason, sizeof reason, "AuxKC is malformed: %s", kc->error);
		} else if (strcasecmp(fs->boot_kcid, bk) != 0) {
			snprintf(reason, sizeof reason, "AuxKC _BootKCID %s does not match the boot"
			    " kernel collection %s", fs->boot_kcid, bk);
		} else if (fs->nreceipt < 0) {
			snprintf(reason, sizeof reason, "Failed to load AuxKC: missing receipt");
		} else {
			const char **uakl = mx_xcalloc((size_t)fs->nreceipt + 1, sizeof *uakl);
			char (*ids)[320] = mx_xcalloc((size_t)fs->nreceipt + 1, sizeof *ids);
			for (int i = 0; i < fs->nreceipt; i++) {
				snprintf(ids[i], sizeof ids[i], "%s %s", fs->receipt[i].team_id[0] ?
				    fs->receipt[i].team_id : "-", fs->receipt[i].bundle_id);
				uakl[i] = ids[i];
			}
			bool ok = false;
			rc = boot_verify_auxkc(cli, d, kc->auxi, kc->auxr, uakl, (size_t)fs->nreceipt,
			    &ok, reason, sizeof reason, err);
			free(uakl);
			free(ids);
			if (rc)
				goto out;
			if (ok)
				reason[0] = '\0';
			else if (reason[0] == '\0')
				snprintf(reason, sizeof reason, "AuxKC verification failed");
		}
		if (reason[0]) {
			fs = NULL;
			if ((rc = cli_event(cli, d, "kernel", reason, "AuxKC not loaded", err)))
				goto out;
		} else {
			char what[128];
			snprintf(what, sizeof what, "KextLog: Loading Aux KC %s (%d kexts)", fs->uuid,
			    fs->nreceipt);
			if ((rc = cli_event(cli, d, "kernel", what, "boot", err)))
				goto out;
		}
	}
	for (int i = 0; i < n; i++) {
		mx_kext *k = &all[i];
		mx_kext_ctx c;
		mx_boot_gate g;
		bool in = in_receipt(fs, k);
		bool old_in = k->running_cdhash[0] && in_receipt_cdhash(fs, k->bundle_id,
		    k->running_cdhash);
		if (in || !old_in)
			k->running_version[0] = k->running_cdhash[0] = k->running_hash[0] = '\0';
		enum mx_kext_state s0 = k->state;
		if (k->state == MX_KEXT_REMOVED_AWAITING_RESTART) {
			if (in || old_in) {
				/* not rebuilt yet: still in the AuxKC, not loadable */
				if ((rc = mx_store_kext_put(cli->st, d->id, k, err)))
					goto out;
				continue;
			}
			char what[600];
			snprintf(what, sizeof what, "kext %s is gone from the AuxKC", k->bundle_id);
			if ((rc = mx_store_kext_delete(cli->st, d->id, k->bundle_id, err)) ||
			    (rc = cli_event(cli, d, "kernelmanagerd", what, "boot", err)))
				goto out;
			continue;
		}
		if ((rc = kext_ctx(cli, d, &e, k, &c, &g, err)))
			goto out;
		k->in_auxkc = in;
		if (in && c.gate_ok && mx_kext_signature_ok(d, k)) {
			/* Q15: a kext in the booted AuxKC loads; approvals revoked
			 * since take effect at the next rebuild */
			k->state = MX_KEXT_LOADED;
			if (k->approval == MX_KAPPROVAL_NONE)
				k->approval = mx_kext_approval_source(&c, k);
		} else if (k->state == MX_KEXT_LOADED || k->state == MX_KEXT_AWAITING_RESTART) {
			/* before 11 a restart unloads: the kext is loadable
			 * again on demand (mx_kext_reevaluate -> installed) */
			k->state = MX_KEXT_AWAITING_RESTART;
			mx_kext_reevaluate(&c, k);
		} else {
			mx_kext_reevaluate(&c, k);
		}
		char what[600];
		snprintf(what, sizeof what, "kext %s: %s -> %s at boot", k->bundle_id,
		    mx_kext_state_name(s0), mx_kext_state_name(k->state));
		if ((rc = kext_save(cli, d, k, &g, "kernelmanagerd", k->state != s0 ? what : NULL,
		    err)))
			goto out;
		if (k->state == MX_KEXT_LOADED &&
		    (rc = mx_store_kext_history_seen(cli->st, d->id, k, d->boot_session, cli->in.now,
		    in ? 4 : 0, err)))
			goto out;
	}
out:
	free(medic);
	free(all);
	kext_env_free(&e);
	return rc;
}
