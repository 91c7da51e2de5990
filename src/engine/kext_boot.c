/*
 * kext_boot.c — the kext module around a restart: the AuxKC rebuild while
 * macOS shuts down (kernelmanagerd builds
 * /Library/KernelCollections/AuxiliaryKernelExtensions.kc from the
 * approved, staged kexts, verifying signatures when SIP is on, and on Apple
 * silicon records its measurement in the LocalPolicy), and at boot loading
 * what the verified AuxKC holds (the booter's checks: a well-formed
 * fileset, linked against this boot KC, with a receipt, measured in the
 * LocalPolicy), the panic medic, and the device's AuxKC as the content
 * store holds it (read, parsed and measured once per content per engine;
 * memo.c says when an entry is trusted).
 * Spec: kernel-extensions.md §3.3-§3.5, §4.5.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>

#include "macext/bundle.h"
#include "engine_int.h"

#define AUXKC_NAME "AuxiliaryKernelExtensions.kc"

/* ---- the device's AuxKC in the content store ---- */

static bool
recently_changed(const struct stat *sb)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	double age = (double)(now.tv_sec - sb->st_ctim.tv_sec) +
	    (double)(now.tv_nsec - sb->st_ctim.tv_nsec) / 1e9;
	return age < 0.1;
}

int
eng_auxkc_get(mx_op *op, const eng_kc **out, mx_err *err)
{
	char hash[65], path[4096];
	*out = NULL;
	int rc = mx_store_file_get(op->st, op->d.id, KEXT_AUXKC_PATH, hash, err);
	if (rc == MX_ENOTFOUND) {
		mx_err_clear(err);
		return 0;
	}
	if (rc)
		return rc;
	if ((*out = eng_auxkc_find(op->e, hash)) != NULL)
		return 0;
	if ((rc = mx_cas_path(op->st, hash, path, sizeof path, err)))
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
	*out = eng_auxkc_fill(op->e, hash, path, &sb, len != (size_t)sb.st_size ||
	    recently_changed(&sb), kc, len);
	return 0;
}

int
eng_auxkc_put(mx_op *op, uint8_t *kc, size_t len,
    const eng_kc **out, mx_err *err)
{
	char hash[65], path[4096];
	struct stat sb;
	int rc = mx_cas_put_bytes(op->st, AUXKC_NAME, kc, len, hash, err);
	if (rc == 0)
		rc = mx_store_file_set(op->st, op->d.id, KEXT_AUXKC_PATH, hash, err);
	if (rc == 0 && (rc = mx_cas_path(op->st, hash, path, sizeof path, err)) == 0 &&
	    stat(path, &sb) != 0)
		rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %s", path, strerror(errno));
	if (rc) {
		free(kc);
		return rc;
	}
	/* the file now holds exactly kc: this process wrote or compared it */
	*out = eng_auxkc_fill(op->e, hash, path, &sb, false, kc, len);
	return 0;
}

int
eng_auxkc_reuse(mx_op *op, const uint8_t key[32], const eng_kc **out, mx_err *err)
{
	char hash[65];
	*out = NULL;
	if (!eng_auxkc_build_find(op->e, key, hash))
		return 0;
	const eng_kc *a = eng_auxkc_find(op->e, hash);
	if (a == NULL)
		return 0;
	int rc = mx_store_file_set(op->st, op->d.id, KEXT_AUXKC_PATH, a->hash, err);
	if (rc == 0)
		*out = a;
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
load_item(mx_op *op, struct build_item *it, mx_err *err)
{
	mx_device *d = &op->d;
	char cas[4096];
	int rc;
	if ((rc = mx_cas_path(op->st, it->k.hash, cas, sizeof cas, err)) ||
	    (rc = mx_bundle_open(&it->b, cas, err)) ||
	    (rc = eng_read_stored(it->b->executable_path, MX_FILESET_MAX_SIZE, &it->exe,
	    &it->exe_len, err)) ||
	    (rc = mx_fileset_thin_slice(it->exe, it->exe_len, eng_native_cputype(d), &it->off, &it->len,
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
 * all 32 are the key eng_auxkc_reuse finds an identical build by (adding
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

/* kernelmanagerd with SIP on authenticates each kext it builds into the
 * AuxKC (seed: "If SIP is enabled, the signature of each kext is verified
 * before being included in the AuxKC"), as `kmutil create` without -z does:
 * the stored tree (hash) must still have its content hash, and its
 * signature must verify now and still be the one recorded (cdhash).  The
 * re-hash is skipped for a tree this connection verified whose entries keep
 * their identity (mx_cas_verify); when it re-reads, the remembered verdict
 * for that path is dropped so the signature is verified afresh.  false with
 * why set when the kext may not go in. */
static bool
authenticate(mx_op *op, const mx_kext *k, const char *hash, const char *cdhash, char *why,
    size_t len)
{
	mx_err e;
	mx_err_clear(&e);
	bool reread = false;
	char path[4096];
	if (mx_cas_verify(op->st, hash, &reread, &e) != 0 ||
	    mx_cas_path(op->st, hash, path, sizeof path, &e) != 0) {
		snprintf(why, len, "%s%s%s", e.where, e.where[0] ? ": " : "", e.msg);
		return false;
	}
	if (reread)
		eng_sig_forget_path(op->e, path);
	mx_siginfo si;
	memset(&si, 0, sizeof si);
	eng_verify(op->e, &si, path, op->d.trust_anchor, false);
	mx_kext now = *k;
	now.sig = mx_kext_sig_from(si.kind);
	now.requirement_met = si.kext_requirement_met;
	bool ok = mx_kext_signature_ok(&op->d, &now);
	if (!ok)
		snprintf(why, len, "%s (%s)", mx_sigkind_name(si.kind),
		    si.reason[0] ? si.reason : "the kext signing requirement is not met");
	else if (cdhash[0] && strcmp(si.cdhash, cdhash) != 0)
		snprintf(why, len, "its signature is not the one it was installed with (cdhash %s,"
		    " was %s)", si.cdhash, cdhash);
	ok = ok && (!cdhash[0] || strcmp(si.cdhash, cdhash) == 0);
	mx_siginfo_free(&si);
	return ok;
}

/* Is the kext named by RestartDevice's KextPaths? */
static bool
named(const mx_kext *k, const char *const *paths, int n)
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
eng_kext_before_restart(mx_op *op, bool rebuild_kc, const char *const *kext_paths,
    int npaths, mx_err *err)
{
	mx_device *d = &op->d;
	if (!rebuild_kc || d->env != MX_ENV_MACOS || mx_kext_legacy(d))
		return 0;   /* the AuxKC stays as it is (before 11 there is none) */
	eng_kext_env e;
	int rc = eng_kext_env_load(op, &e, err);
	mx_kext *all = NULL;
	int n = 0;
	struct build_item *items = NULL;
	int ni = 0;
	mx_fileset_kext_in *in = NULL;
	uint8_t *kc = NULL;
	size_t kclen = 0;
	if (rc || (rc = mx_store_kext_list(op->st, d->id, &all, &n, err)))
		goto out;
	items = mx_xcalloc((size_t)(n ? n : 1), sizeof *items);
	bool mdm_bootstrap = false, changed = false, stale = false;
	for (int i = 0; i < n; i++) {
		mx_kext *k = &all[i];
		mx_kext_ctx c;
		mx_boot_gate g;
		if ((rc = eng_kext_ctx(op, &e, k, &c, &g, err)))
			goto out;
		const char *why = NULL;
		bool inc = mx_kext_include_in_auxkc(&c, k, named(k, kext_paths, npaths), &why);
		bool sip = mx_device_kext_signing_enforced(d);
		char bad[1400];
		if (!inc && k->running_hash[0] && c.gate_ok &&
		    k->state != MX_KEXT_REMOVED_AWAITING_RESTART) {
			/* the update is not built yet: its old version stays */
			if (sip && !authenticate(op, k, k->running_hash, k->running_cdhash, bad,
			    sizeof bad)) {
				char what[1800];
				snprintf(what, sizeof what, "AuxKC: left out %s %s: authenticating the"
				    " extension failed: %s", k->bundle_id, k->running_version, bad);
				if ((rc = mx_op_event(op, "kernelmanagerd", what, "AuxKC rebuild", err)))
					goto out;
				continue;
			}
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
				if ((rc = mx_op_event(op, "kernelmanagerd", what, "AuxKC rebuild", err)))
					goto out;
				if (!mx_kext_signature_ok(d, k) && k->state != MX_KEXT_REJECTED_SIGNATURE) {
					k->state = MX_KEXT_REJECTED_SIGNATURE;
					k->approval = MX_KAPPROVAL_NONE;
					if ((rc = eng_kext_save(op, k, &g, "kernelmanagerd", NULL, err)))
						goto out;
				}
			}
			continue;
		}
		if (sip && !authenticate(op, k, k->hash, k->cdhash, bad, sizeof bad)) {
			/* what kmutil create reports (KMErrorDomain 1); the kext is
			 * rejected as one with an invalid signature, not built */
			char what[1800];
			snprintf(what, sizeof what, "Kext rejected due to invalid signature: "
			    "Authenticating extension %s failed: %s", k->bundle_id, bad);
			k->state = MX_KEXT_REJECTED_SIGNATURE;
			k->approval = MX_KAPPROVAL_NONE;
			k->sig = MX_KSIG_INVALID;
			k->in_auxkc = false;
			if ((rc = eng_kext_save(op, k, &g, "kernelmanagerd", what, err)))
				goto out;
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
	const eng_kc *old = NULL;
	if ((rc = eng_auxkc_get(op, &old, err)))
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
		if ((rc = mx_store_file_remove(op->st, d->id, KEXT_AUXKC_PATH, err)) ||
		    (rc = eng_record_auxkc(op, NULL, NULL, NULL, 0, false, err)) ||
		    (rc = mx_op_event(op, "kernelmanagerd", "AuxKC removed: no third-party kexts",
		    "AuxKC rebuild", err)))
			goto out;
		goto out;
	}
	uint8_t bkc[16], key[32];
	mx_kext_boot_kcid(d, bkc);
	uint32_t sub = d->arch == MX_ARCH_ARM64 ? MX_CPU_SUBTYPE_ARM64E : MX_CPU_SUBTYPE_X86_64_ALL;
	auxkc_key(items, ni, bkc, eng_native_cputype(d), sub, key);
	const eng_kc *a = NULL;
	if ((rc = eng_auxkc_reuse(op, key, &a, err)))
		goto out;
	if (a == NULL) {
		/* not built by this process yet: build it */
		for (int i = 0; i < ni; i++)
			if ((rc = load_item(op, &items[i], err)))
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
		if ((rc = mx_fileset_write(&kc, &kclen, eng_native_cputype(d), sub, uuid, bkc, in, ni,
		    err)))
			goto out;
		rc = eng_auxkc_put(op, kc, kclen, &a, err);
		kc = NULL;      /* taken */
		if (rc)
			goto out;
		if (a->fs == NULL) {
			rc = MX_FAIL(err, MX_EFORMAT, MX_NO_OFFSET, "built AuxKC does not parse: %s",
			    a->error);
			goto out;
		}
		eng_auxkc_build_remember(op->e, key, a->hash);
	}
	const char **uakl = mx_xcalloc((size_t)ni, sizeof *uakl);
	char (*ids)[320] = mx_xcalloc((size_t)ni, sizeof *ids);
	for (int i = 0; i < ni; i++) {
		snprintf(ids[i], sizeof ids[i], "%s %s", items[i].k.team_id[0] ? items[i].k.team_id :
		    "-", items[i].k.bundle_id);
		uakl[i] = ids[i];
	}
	rc = eng_record_auxkc(op, a->auxi, a->auxr, uakl, (size_t)ni, mdm_bootstrap, err);
	free(uakl);
	free(ids);
	char what[256];
	snprintf(what, sizeof what, "AuxKC built with %d kext%s, UUID %s", ni, ni == 1 ? "" : "s",
	    a->fs->uuid);
	if (rc || (rc = mx_op_event(op, "kernelmanagerd", what, "AuxKC rebuild", err)))
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
	eng_kext_env_free(&e);
	return rc;
}

/* trigger-panic-medic, applied at the next boot: no AuxKC, no approvals. */
static int
panic_medic(mx_op *op, mx_kext *all, int n, mx_err *err)
{
	mx_device *d = &op->d;
	int rc;
	mx_err e2;
	mx_err_clear(&e2);
	if (mx_store_file_get(op->st, d->id, KEXT_AUXKC_PATH, NULL, &e2) == 0 &&
	    (rc = mx_store_file_remove(op->st, d->id, KEXT_AUXKC_PATH, err)))
		return rc;
	if ((rc = eng_record_auxkc(op, NULL, NULL, NULL, 0, false, err)) ||
	    (rc = mx_store_kext_policy_clear(op->st, d->id, err)) ||
	    (rc = mx_store_kv_set(op->st, d->id, "kext.panic_medic", NULL, err)))
		return rc;
	for (int i = 0; i < n; i++) {
		mx_kext *k = &all[i];
		if (k->state == MX_KEXT_REMOVED_AWAITING_RESTART) {
			if ((rc = mx_store_kext_delete(op->st, d->id, k->bundle_id, err)))
				return rc;
			continue;
		}
		k->in_auxkc = false;
		k->load_requested = false;
		k->state = MX_KEXT_INSTALLED;
		k->approval = MX_KAPPROVAL_NONE;
		if ((rc = eng_kext_save(op, k, NULL, "kernelmanagerd", NULL, err)))
			return rc;
	}
	return mx_op_event(op, "kernelmanagerd", "panic medic: removed the AuxKC and all kext"
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
eng_kext_after_boot(mx_op *op, mx_err *err)
{
	mx_device *d = &op->d;
	if (d->env != MX_ENV_MACOS)
		return 0;
	mx_kext *all = NULL;
	int n = 0;
	eng_kext_env e;
	int rc = eng_kext_env_load(op, &e, err);
	const eng_kc *kc = NULL;
	const mx_fileset *fs = NULL;
	char *medic = NULL;
	if (rc || (rc = mx_store_kext_list(op->st, d->id, &all, &n, err)) ||
	    (rc = mx_store_kv_get(op->st, d->id, "kext.panic_medic", &medic, err)))
		goto out;
	if (medic) {
		rc = panic_medic(op, all, n, err);
		goto out;
	}
	if ((rc = eng_auxkc_get(op, &kc, err)))
		goto out;
	if (kc) {
		/* the booter: a well-formed fileset, linked against this boot KC,
		 * with a receipt; on Apple silicon measured in the LocalPolicy */
		char reason[512] = "", bk[37];
		uint8_t bkc[16];
		mx_kext_boot_kcid(d, bkc);
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
			rc = eng_verify_auxkc(op, kc->auxi, kc->auxr, uakl, (size_t)fs->nreceipt,
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
			if ((rc = mx_op_event(op, "kernel", reason, "AuxKC not loaded", err)))
				goto out;
		} else {
			char what[128];
			snprintf(what, sizeof what, "KextLog: Loading Aux KC %s (%d kexts)", fs->uuid,
			    fs->nreceipt);
			if ((rc = mx_op_event(op, "kernel", what, "boot", err)))
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
				if ((rc = mx_store_kext_put(op->st, d->id, k, err)))
					goto out;
				continue;
			}
			char what[600];
			snprintf(what, sizeof what, "kext %s is gone from the AuxKC", k->bundle_id);
			if ((rc = mx_store_kext_delete(op->st, d->id, k->bundle_id, err)) ||
			    (rc = mx_op_event(op, "kernelmanagerd", what, "boot", err)))
				goto out;
			continue;
		}
		if ((rc = eng_kext_ctx(op, &e, k, &c, &g, err)))
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
		if ((rc = eng_kext_save(op, k, &g, "kernelmanagerd", k->state != s0 ? what : NULL,
		    err)))
			goto out;
		if (k->state == MX_KEXT_LOADED &&
		    (rc = mx_store_kext_history_seen(op->st, d->id, k, d->boot_session, op->now,
		    in ? 4 : 0, err)))
			goto out;
	}
out:
	free(medic);
	free(all);
	eng_kext_env_free(&e);
	return rc;
}
