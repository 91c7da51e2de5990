/*
 * apple_kmutil.c — `kmutil` as on macOS 11+ (load, unload, showloaded,
 * inspect, rebuild, trigger-panic-medic, log show; create is in
 * kmutil_create.c) and the legacy shims
 * kextstat, kextload, kextunload that re-exec it (kernel-extensions.md §3.5,
 * §3.6, §6.2, §6.4).  Exit codes are kmutil's: 27 approval required, 28
 * reboot required, 3 kext missing on unload, 71 incompatible architecture,
 * carried as the error's KMErrorDomain code (or, for the legacy tools, the
 * tool's own status).  The decisions are the engine's
 * (src/engine/kext_load.c); this file parses and prints.  Texts are
 * Apple's where captured; where not, ours say so in docs/kext.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "macext/fileset.h"
#include "tools.h"

#define KEXT_AUXKC_PATH "/Library/KernelCollections/AuxiliaryKernelExtensions.kc"
#define KEXT_STAGED_PREFIX "/Library/StagedExtensions"


/* "-b ID" / "--bundle-identifier ID" / "-p PATH" / "--bundle-path PATH" */
static int
targets(int argc, char **argv, const char **out, int max, int *n, const char **as, mx_err *err)
{
	*n = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool b = strcmp(a, "-b") == 0 || strcmp(a, "--bundle-identifier") == 0;
		bool p = strcmp(a, "-p") == 0 || strcmp(a, "--bundle-path") == 0;
		if ((b || p || strcmp(a, "--as") == 0) && i + 1 < argc) {
			if (strcmp(a, "--as") == 0) {
				if (as)
					*as = argv[++i];
				else
					i++;
				continue;
			}
			if (*n == max)
				return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "at most %d extensions", max);
			out[(*n)++] = argv[++i];
			continue;
		}
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "unexpected argument '%s'", a);
	}
	return 0;
}


/* Before macOS 11 kextload asks kextd itself (no kmutil): failures print
 * kextload_main.c's "%s failed to load - <libkern/kext error>; check the
 * system/kernel logs for errors or try kextutil(8)." and exit with
 * exitStatusForOSReturn: 27 for a system-policy refusal (TN2459), else
 * EX_OSERR (71). */
static void
kextload_failed(struct mx_cli *cli, const char *name, const char *why)
{
	cli_errf(cli, "%s failed to load - (libkern/kext) %s; check the system/kernel logs for"
	    " errors or try kextutil(8).\n", name, why);
}

static int
km_load_as(struct mx_cli *cli, int argc, char **argv, bool kextload, mx_err *err)
{
	const char *names[MX_KEXT_LOAD_MAX];
	int nn, rc = targets(argc, argv, names, MX_KEXT_LOAD_MAX, &nn, NULL, err);
	if (rc)
		return rc;
	if (nn == 0)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
		    "usage: kmutil load -b BUNDLE_ID... | -p PATH...");
	mx_op *op;
	mx_kext_load_report *r = mx_xcalloc(1, sizeof *r);
	if ((rc = cli_op(cli, MX_OP_WRITE, &op, err)))
		goto out;
	mx_device d = *mx_op_device(op);
	/* every attempt is kept, whatever its outcome */
	if ((rc = cli_end(op, mx_op_kext_load(op, names, nn, r, err), err)))
		goto out;
	if (kextload) {
		int na = 0, nx = 0;
		for (int i = 0; i < r->n; i++)
			if (r->item[i].result == MX_KLOAD_NEEDS_APPROVAL) {
				kextload_failed(cli, r->item[i].name, "system policy prevents loading");
				na++;
			}
		for (int i = 0; i < r->n; i++)
			if (r->item[i].result == MX_KLOAD_REJECTED && !r->item[i].kext.has_arch) {
				kextload_failed(cli, r->item[i].name,
				    "requested architecture/executable not found");
				nx++;
			}
		for (int i = 0; i < r->n; i++)
			if (r->item[i].result == MX_KLOAD_REJECTED && r->item[i].kext.has_arch) {
				kextload_failed(cli, r->item[i].name,
				    "authentication failure (file ownership/permissions)");
				nx++;
			}
		if (na || nx) {
			MX_FAIL(err, na ? MX_EDENIED : MX_EINVALID, MX_NO_OFFSET, "%s failed to load",
			    r->item[0].name);
			rc = cli_tool_fail(cli, na ? 27 : 71, err);
		}
		goto out;
	}
	if ((rc = mx_kext_load_error(r, &d, err)) == 0)
		goto out;
	/* kmutil prints NSError's description of the failure */
	cli->printed = true;
	switch (err->subcode) {
	case 27:
		cli_errf(cli, "Error Domain=KMErrorDomain Code=27 \"%s\"\n", err->msg);
		break;
	case 71:
		cli_errf(cli, "Error Domain=KMErrorDomain Code=71 %s\nUnsupported Error: one or"
		    " more extensions are unsupported to load.\n", err->msg);
		break;
	case 1:
		for (int i = 0; i < r->n; i++)
			if (r->item[i].result == MX_KLOAD_REJECTED && r->item[i].kext.has_arch)
				cli_errf(cli, "%s: %s%s\n", r->item[i].kext.state ==
				    MX_KEXT_REJECTED_SIGNATURE ? "Kext rejected due to invalid signature" :
				    "Kext rejected due to system policy", KEXT_STAGED_PREFIX,
				    r->item[i].kext.path);
		cli_errf(cli, "Error Domain=KMErrorDomain Code=1 \"%s\"\n", err->msg);
		break;
	default:
		cli_errf(cli, "Error Domain=KMErrorDomain Code=%d \"%s\"\n", err->subcode, err->msg);
		break;
	}
out:
	free(r);
	return rc;
}

static int
km_load(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return km_load_as(cli, argc, argv, false, err);
}

static int
kextload_legacy(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return km_load_as(cli, argc, argv, true, err);
}

static int
km_unload_as(struct mx_cli *cli, int argc, char **argv, bool kextunload, mx_err *err)
{
	const char *names[64];
	int nn, rc = targets(argc, argv, names, 64, &nn, NULL, err);
	if (rc)
		return rc;
	if (nn == 0)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "usage: kmutil unload -b BUNDLE_ID | -p PATH");
	mx_op *op;
	if ((rc = cli_op(cli, MX_OP_WRITE, &op, err)))
		return rc;
	if ((rc = cli_end(op, mx_op_kext_unload(op, names, nn, err), err)) == 0 ||
	    err->domain != MX_DOM_KMERROR)
		return rc;
	cli->printed = true;
	if (kextunload) {
		/* kextunload_main.c: "Failed to unload %s - %s.", EX_OSERR */
		const char *name = names[0];
		for (int i = 0; i < nn; i++)
			if (strstr(err->msg, names[i]))
				name = names[i];
		cli_errf(cli, "Failed to unload %s - (libkern/kext) not found.\n", name);
		return cli_tool_fail(cli, 71, err);
	}
	cli_errf(cli, "Error Domain=KMErrorDomain Code=3 \"%s\"\n", err->msg);
	return rc;
}

static int
km_unload(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return km_unload_as(cli, argc, argv, false, err);
}

static int
kextunload_legacy(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return km_unload_as(cli, argc, argv, true, err);
}

/* ---- showloaded (kextstat's columns, kextstat_main.c) ---- */

static const struct { const char *name; int refs; } pseudo[] = {
	{ "com.apple.kpi.bsd", 142 }, { "com.apple.kpi.dsep", 41 }, { "com.apple.kpi.iokit", 151 },
	{ "com.apple.kpi.kasan", 0 }, { "com.apple.kpi.libkern", 155 }, { "com.apple.kpi.mach", 147 },
	{ "com.apple.kpi.private", 87 }, { "com.apple.kpi.unsupported", 99 },
};
#define NPSEUDO ((int)(sizeof pseudo / sizeof pseudo[0]))

static void
name_uuid(const char *name, const char *salt, char out[37])
{
	uint8_t h[SHA256_DIGEST_LENGTH];
	char s[512];
	snprintf(s, sizeof s, "%s %s", name, salt);
	SHA256((const uint8_t *)s, strlen(s), h);
	h[6] = (uint8_t)((h[6] & 0x0f) | 0x30);
	h[8] = (uint8_t)((h[8] & 0x3f) | 0x80);
	mx_device_uuid_fmt(h, out);
}

/* The pseudo-kext indices a kext links against (its OSBundleLibraries). */
static void
linked(plist_t prelink, const char *id, char *out, size_t len)
{
	out[0] = '\0';
	plist_t arr = prelink ? plist_dict_get_item(prelink, "_PrelinkInfoDictionary") : NULL;
	for (uint32_t i = 0; arr && i < plist_array_get_size(arr); i++) {
		plist_t d = plist_array_get_item(arr, i);
		plist_t idn = plist_dict_get_item(d, "CFBundleIdentifier");
		if (idn == NULL || plist_get_node_type(idn) != PLIST_STRING ||
		    strcmp(plist_get_string_ptr(idn, NULL), id) != 0)
			continue;
		plist_t libs = plist_dict_get_item(d, "OSBundleLibraries");
		if (libs == NULL || plist_get_node_type(libs) != PLIST_DICT)
			return;
		for (int p = NPSEUDO - 1; p >= 0; p--)
			if (plist_dict_get_item(libs, pseudo[p].name)) {
				size_t l = strlen(out);
				snprintf(out + l, len - l, "%s%d", l ? " " : "", p + 1);
			}
		return;
	}
}

static int
km_showloaded(struct mx_cli *cli, int argc, char **argv, bool legacy, mx_err *err)
{
	const char *coll = NULL, *only = NULL, *show = "loaded";
	bool list_only = false, no_kernel = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if ((strcmp(a, "--collection") == 0) && i + 1 < argc)
			coll = argv[++i];
		else if ((strcmp(a, "-b") == 0 || strcmp(a, "--bundle-identifier") == 0) && i + 1 < argc)
			only = argv[++i];
		else if (strcmp(a, "--show") == 0 && i + 1 < argc)
			show = argv[++i];
		else if (strcmp(a, "--list-only") == 0)
			list_only = true;
		else if (strcmp(a, "--no-kernel-components") == 0)
			no_kernel = true;
		else
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "unexpected argument '%s'", a);
	}
	if (coll && strcmp(coll, "boot") && strcmp(coll, "sys") && strcmp(coll, "aux") &&
	    strcmp(coll, "codeless"))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--collection takes boot, sys, aux or"
		    " codeless");
	if (strcmp(show, "loaded") && strcmp(show, "unloaded") && strcmp(show, "all"))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--show takes loaded, unloaded or all");
	mx_op *op;
	int rc;
	if ((rc = cli_op(cli, MX_OP_READ, &op, err)))
		return rc;
	mx_device d = *mx_op_device(op);
	mx_kext *all;
	int n;
	uint8_t *kc = NULL;
	size_t kclen = 0;
	mx_fileset *fs = NULL;
	if ((rc = mx_op_kexts(op, &all, &n, err)))
		return cli_end(op, rc, err);
	if ((rc = cli_end(op, mx_op_auxkc(op, &kc, &kclen, err), err))) {
		free(all);
		return rc;
	}
	if (kc) {
		mx_err pe;
		mx_err_clear(&pe);
		mx_fileset_parse(&fs, kc, kclen, &pe);
	}
	/* kextstat before 11 is its own program: no kmutil variant line, and
	 * loaded kexts are not in any collection */
	bool pre11 = mx_kext_legacy(&d);
	(void)legacy;
	if (!pre11)
		cli_errf(cli, "No variant specified, falling back to release\n");
	if (!list_only)
		cli_out(cli, "Index Refs Address            Size       Wired      Name (Version) UUID"
		    " <Linked Against>\n");
	char darwin[32], uuid[37];
	mx_kext_darwin_version(d.os, darwin, sizeof darwin);
	int idx = 0;
	bool want_loaded = strcmp(show, "unloaded") != 0;
	bool want_unloaded = strcmp(show, "loaded") != 0;
	for (int p = 0; p < NPSEUDO; p++) {
		idx++;
		if (no_kernel || !want_loaded || (coll && strcmp(coll, "boot")) ||
		    (only && strcmp(only, pseudo[p].name)))
			continue;
		name_uuid(pseudo[p].name, darwin, uuid);
		cli_out(cli, "%5d %4d %#-18llx %#-10x %#-10x %s (%s) %s <>\n", idx, pseudo[p].refs, 0ull, 0u,
		    0u, pseudo[p].name, darwin, uuid);
	}
	for (int i = 0; i < n; i++) {
		mx_kext *k = &all[i];
		/* an update waiting for approval: its old version runs */
		bool old_runs = k->state != MX_KEXT_LOADED && k->running_version[0];
		bool loaded = k->state == MX_KEXT_LOADED || old_runs;
		bool in_coll = k->in_auxkc || old_runs || (loaded && (k->codeless || pre11));
		if (!in_coll)
			continue;
		idx++;
		if ((loaded && !want_loaded) || (!loaded && !want_unloaded))
			continue;
		if (only && strcmp(only, k->bundle_id))
			continue;
		if (coll && !(strcmp(coll, "aux") == 0 && k->in_auxkc) &&
		    !(strcmp(coll, "codeless") == 0 && k->codeless))
			continue;
		unsigned long long addr = 0, size = 0;
		char deps[64] = "";
		snprintf(uuid, sizeof uuid, "no UUID");
		for (int e = 0; fs && e < fs->nentries; e++)
			if (strcmp(fs->entries[e].id, k->bundle_id) == 0) {
				addr = fs->entries[e].vmaddr;
				size = fs->entries[e].size;
				if (fs->entries[e].uuid[0])
					snprintf(uuid, sizeof uuid, "%s", fs->entries[e].uuid);
				linked(fs->prelink, k->bundle_id, deps, sizeof deps);
			}
		cli_out(cli, "%5d %4d %#-18llx %#-10llx %#-10llx %s (%s) %s <%s>\n", idx, 0, addr, size,
		    size, k->bundle_id, old_runs ? k->running_version : k->version, uuid, deps);
	}
	mx_fileset_free(fs);
	free(kc);
	free(all);
	return 0;
}

/* ---- inspect: the AuxKC read back ---- */

static int
km_inspect(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *path = KEXT_AUXKC_PATH;
	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-A") == 0 || strcmp(argv[i], "--aux-path") == 0) && i + 1 < argc)
			path = argv[++i];
		else if (strncmp(argv[i], "--show-", 7) != 0)
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "unexpected argument '%s'", argv[i]);
	}
	mx_op *op;
	int rc;
	uint8_t *kc;
	size_t len;
	/* the device's AuxKC, or a collection file on the host (kmutil create -A) */
	bool device = strcmp(path, KEXT_AUXKC_PATH) == 0;
	if (device && ((rc = cli_op(cli, MX_OP_READ, &op, err)) ||
	    (rc = cli_end(op, mx_op_auxkc(op, &kc, &len, err), err))))
		return rc;
	if (!device && (rc = kmutil_read_kc(path, &kc, &len, err)))
		return rc;
	if (kc == NULL)
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET,
		    "Error: could not read the auxiliary kernel collection at %s", path);
	mx_fileset *fs;
	rc = mx_fileset_parse(&fs, kc, len, err);
	free(kc);
	if (rc) {
		mx_err_where(err, "%s", path);
		return rc;
	}
	if (cli->json) {
		json_t *ents = json_array(), *rec = json_array();
		for (int i = 0; i < fs->nentries; i++) {
			char va[32], fo[32];
			snprintf(va, sizeof va, "%#llx", (unsigned long long)fs->entries[i].vmaddr);
			snprintf(fo, sizeof fo, "%#llx", (unsigned long long)fs->entries[i].fileoff);
			json_array_append_new(ents, json_pack("{s:s, s:s, s:s, s:s, s:s}", "bundle_id",
			    fs->entries[i].id, "version", fs->entries[i].version, "uuid",
			    fs->entries[i].uuid, "vmaddr", va, "fileoff", fo));
		}
		for (int i = 0; i < fs->nreceipt; i++)
			json_array_append_new(rec, json_pack("{s:s, s:s, s:s, s:s}", "bundle_id",
			    fs->receipt[i].bundle_id, "version", fs->receipt[i].version, "team_id",
			    fs->receipt[i].team_id, "cdhash", fs->receipt[i].cdhash));
		cli_json_print(cli, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "path", path,
		    "kind", "auxiliary", "uuid", fs->uuid, "boot_kcid", fs->boot_kcid,
		    "fileset_entries", ents, "receipt", rec));
	} else {
		cli_out(cli, "Extension Information (Auxiliary Kernel Collection): %s\n", path);
		cli_out(cli, "UUID: %s\nBoot kernel collection UUID: %s\n", fs->uuid, fs->boot_kcid);
		cli_out(cli, "Fileset entries (%d):\n", fs->nentries);
		for (int i = 0; i < fs->nentries; i++)
			cli_out(cli, "  %#018llx %#010llx %s (%s) %s\n",
			    (unsigned long long)fs->entries[i].vmaddr,
			    (unsigned long long)fs->entries[i].fileoff, fs->entries[i].id,
			    fs->entries[i].version, fs->entries[i].uuid[0] ? fs->entries[i].uuid : "no UUID");
		cli_out(cli, "Kext receipt (%d):\n", fs->nreceipt < 0 ? 0 : fs->nreceipt);
		for (int i = 0; i < fs->nreceipt; i++)
			cli_out(cli, "  %s\t%s\t%s\t%s\n", fs->receipt[i].bundle_id, fs->receipt[i].version,
			    fs->receipt[i].team_id[0] ? fs->receipt[i].team_id : "-",
			    fs->receipt[i].cdhash[0] ? fs->receipt[i].cdhash : "-");
	}
	mx_fileset_free(fs);
	return 0;
}

/* ---- rebuild: re-evaluate the AuxKC; authorisation and a reboot ---- */

static int
km_rebuild(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *cred = NULL, *dummy[1];
	int nn, rc = targets(argc, argv, dummy, 0, &nn, &cred, err);
	if (rc)
		return rc;
	mx_op *op;
	mx_kext_rebuild_plan plan;
	if ((rc = cli_op(cli, MX_OP_WRITE, &op, err)))
		return rc;
	if ((rc = mx_op_kext_rebuild_plan(op, &plan, err)))
		return cli_end(op, rc, err);
	cli_out(cli, "Checking the auxiliary kernel collection...\n");
	if (plan.nadd == 0 && plan.ndel == 0) {
		cli_out(cli, "No changes to the auxiliary kernel collection are needed.\n");
		mx_kext_rebuild_plan_free(&plan);
		return cli_end(op, 0, err);
	}
	if (plan.nadd) {
		cli_out(cli, "Attempting to add the following extensions (%d):\n", plan.nadd);
		for (int i = 0; i < plan.nadd; i++)
			cli_out(cli, "[+] %s\t%s\t%s\n", plan.add[i].bundle_id, plan.add[i].version,
			    plan.add[i].path);
	}
	if (plan.ndel) {
		cli_out(cli, "Attempting to remove the following extensions (%d):\n", plan.ndel);
		for (int i = 0; i < plan.ndel; i++)
			cli_out(cli, "[-] %s\t%s\t%s\n", plan.del[i].bundle_id, plan.del[i].version,
			    plan.del[i].path);
	}
	mx_kext_rebuild_plan_free(&plan);
	cli_out(cli, "Requesting user approval (times out in 60 seconds)...\n");
	fflush(stdout);
	/* the authorisation dialog: an administrator's name and password (--as) */
	if (cred == NULL) {
		mx_op_abort(op);
		cli_errf(cli, "Error: user approval was not given\n");
		return cli_tool_fail(cli, 1, err);
	}
	if ((rc = cli_end(op, mx_op_kext_rebuild_authorize(op, cred, err), err)))
		return rc;
	cli_out(cli, "A system reboot is required for the operation to take effect\n");
	return 0;
}

static int
km_panic_medic(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "kmutil trigger-panic-medic", err);
	mx_op *op;
	if (rc || (rc = cli_op(cli, MX_OP_WRITE, &op, err)))
		return rc;
	if ((rc = mx_op_kext_panic_medic(op, err))) {
		mx_op_abort(op);
		if (rc != MX_ESTATE)
			return rc;
		cli_errf(cli, "Error: %s\n", err->msg);
		return cli_tool_fail(cli, 1, err);
	}
	if ((rc = mx_op_commit(op, err)))
		return rc;
	cli_out(cli, "The auxiliary kernel collection and all kernel extension approvals will be"
	    " removed on the next boot.\n");
	return 0;
}

struct log_ctx { struct mx_cli *cli; int n; };

static int
log_one(const mx_event *ev, void *arg)
{
	static const char *const actors[] = { "kernelmanagerd", "syspolicyd", "kernel", "kmutil",
		"installer" };
	for (size_t i = 0; i < sizeof actors / sizeof actors[0]; i++)
		if (strcmp(ev->actor, actors[i]) == 0) {
			time_t t = (time_t)ev->time;
			struct tm tm;
			char ts[32];
			gmtime_r(&t, &tm);
			strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
			cli_out(((struct log_ctx *)arg)->cli, "%s %-14s %s\n", ts, ev->actor, ev->what);
			((struct log_ctx *)arg)->n++;
		}
	return 0;
}

static int
km_log(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 1, "kmutil log show", err);
	if (rc)
		return rc;
	if (argc == 2 && strcmp(argv[1], "show"))
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "usage: kmutil log show");
	mx_op *op;
	struct log_ctx lc = { cli, 0 };
	if ((rc = cli_op(cli, MX_OP_READ, &op, err)))
		return rc;
	return cli_end(op, mx_op_events_each(op, log_one, &lc, err), err);
}

/* Is the selected device running macOS before 11 (no kmutil, no
 * kernelmanagerd)?  Reads the device in its own transaction; *zsh: the
 * login shell is zsh (10.15+). */
static int
device_pre11(struct mx_cli *cli, bool *pre11, bool *zsh, mx_err *err)
{
	mx_device d;
	*pre11 = *zsh = false;
	if (cli_store(cli, err) != 0 ||
	    mx_engine_device_get(cli->eng, cli->device_name, &d, err) != 0) {
		/* no device: the command itself reports it */
		mx_err_clear(err);
		return 0;
	}
	*pre11 = d.env == MX_ENV_MACOS && mx_kext_legacy(&d);
	*zsh = mx_version_at_least(d.os, 10, 15, 0);
	return 0;
}

static int
km_showloaded_verb(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return km_showloaded(cli, argc, argv, false, err);
}

/* kmutil's verbs: text as Apple prints it, but inspect's --json (one object) */
static const cli_verb kmutil_v[] = {
	{ "load", km_load, CLI_TEXT }, { "unload", km_unload, CLI_TEXT },
	{ "showloaded", km_showloaded_verb, CLI_TEXT }, { "inspect", km_inspect, CLI_SHOW },
	{ "create", kmutil_create, CLI_TEXT }, { "rebuild", km_rebuild, CLI_TEXT },
	{ "trigger-panic-medic", km_panic_medic, CLI_TEXT }, { "log", km_log, CLI_TEXT },
};
const cli_verbs kmutil_verbs = CLI_VERBS("kmutil", kmutil_v,
    "kmutil load|unload|showloaded|inspect|create|rebuild|trigger-panic-medic|log ...");

int
apple_kmutil(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	/* kmutil arrived with macOS 11 (kernel collections); before that the
	 * shell does not find it: zsh is the login shell from 10.15, bash
	 * before, and both exit 127 */
	/* create reads the device only if there is one: it works without */
	if (argc >= 2 && strcmp(argv[1], "create") == 0)
		return kmutil_create(cli, argc - 1, argv + 1, err);
	bool pre11 = false, zsh = false;
	int rc = device_pre11(cli, &pre11, &zsh, err);
	if (rc)
		return rc;
	if (pre11) {
		if (zsh)
			cli_errf(cli, "zsh: command not found: kmutil\n");
		else
			cli_errf(cli, "-bash: kmutil: command not found\n");
		return cli_tool_fail(cli, 127, err);
	}
	return cli_dispatch(cli, &kmutil_verbs, argc, argv, err);
}

/* ---- legacy shims: print what they execute, then run kmutil ---- */

/* Before macOS 11 the legacy tools are the real thing: legacy_fn runs
 * without the kmutil re-exec line. */
static int
shim(struct mx_cli *cli, const char *verb, int argc, char **argv,
    int (*fn)(struct mx_cli *, int, char **, mx_err *),
    int (*legacy_fn)(struct mx_cli *, int, char **, mx_err *), mx_err *err)
{
	char *nargv[72];
	int nn = 0;
	char line[2048];
	nargv[nn++] = (char *)verb;
	snprintf(line, sizeof line, "Executing: /usr/bin/kmutil %s", verb);
	for (int i = 1; i < argc && nn < 70; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-b") == 0 || strcmp(a, "-bundle-id") == 0) {
			nargv[nn++] = "-b";
		} else if (strcmp(a, "-d") == 0 || strcmp(a, "-dependency") == 0) {
			nargv[nn++] = "-p";
		} else if (strcmp(a, "-l") == 0 || strcmp(a, "-list-only") == 0) {
			nargv[nn++] = "--list-only";
		} else if (strcmp(a, "-k") == 0 || strcmp(a, "-no-kernel") == 0) {
			nargv[nn++] = "--no-kernel-components";
		} else if (a[0] != '-' && i > 1 && (strcmp(argv[i - 1], "-b") == 0 ||
		    strcmp(argv[i - 1], "-d") == 0 || strcmp(argv[i - 1], "-bundle-id") == 0)) {
			nargv[nn++] = (char *)a;
		} else if (a[0] != '-' && strcmp(verb, "showloaded") != 0) {
			nargv[nn++] = "-p";
			nargv[nn++] = (char *)a;
		} else {
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "unsupported option '%s'", a);
		}
	}
	for (int i = 1; i < nn; i++) {
		size_t l = strlen(line);
		snprintf(line + l, sizeof line - l, " %s", nargv[i]);
	}
	nargv[nn] = NULL;
	bool pre11 = false, zsh = false;
	int rc = device_pre11(cli, &pre11, &zsh, err);
	if (rc)
		return rc;
	if (pre11)
		return legacy_fn(cli, nn, nargv, err);
	cli_errf(cli, "%s\n", line);
	return fn(cli, nn, nargv, err);
}

static int
showloaded_fn(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return km_showloaded(cli, argc, argv, true, err);
}

int
apple_kextstat(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return shim(cli, "showloaded", argc, argv, showloaded_fn, showloaded_fn, err);
}

int
apple_kextload(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return shim(cli, "load", argc, argv, km_load, kextload_legacy, err);
}

int
apple_kextunload(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return shim(cli, "unload", argc, argv, km_unload, kextunload_legacy, err);
}
