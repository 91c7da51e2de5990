/*
 * fleet_check.c — `macext store check [--json]` and `macext store digest`:
 * is this state directory sound?  SQLite's own checks, the device
 * invariants (src/store/check.c) and the extension invariants, which need
 * the extension modules' tables:
 *   - a loaded kext is approved (user, MDM or consent) and in the AuxKC;
 *   - an enabled system extension has a record a policy or a user allowed.
 * Exits 0 when sound; MX_EIO (74) with one line per violation otherwise.
 * The crash, I/O-fault and concurrency tests run it after every fault.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macext/fileset.h"
#include "fleet.h"
#include "macext/text.h"

#define KEXT_AUXKC_PATH "/Library/KernelCollections/AuxiliaryKernelExtensions.kc"


/* Extension invariants as SQL over the modules' tables; each is checked
 * only when its table exists in this schema. */
static const struct { const char *table, *rule, *sql; } ext_invariants[] = {
	{ "kexts", "a loaded kext is approved and in the AuxKC it booted with",
	  "SELECT coalesce(d.name, k.device_id), k.bundle_id || ' approval=' || k.approval"
	  " || ' in_auxkc=' || k.in_auxkc FROM kexts k LEFT JOIN devices d ON d.id = k.device_id"
	  " WHERE k.state = 'loaded' AND NOT k.codeless"
	  " AND (k.approval = 'none' OR NOT k.in_auxkc)" },
	{ "kexts", "a kext's bundle is in the device's file tree",
	  "SELECT coalesce(d.name, k.device_id), k.bundle_id || ' at ' || k.path FROM kexts k"
	  " LEFT JOIN devices d ON d.id = k.device_id WHERE k.state NOT LIKE 'removed%'"
	  " AND NOT EXISTS (SELECT 1 FROM files f WHERE f.device_id = k.device_id"
	  " AND f.path = k.path)" },
	{ "sysext", "an enabled system extension was allowed, by MDM policy or by a user",
	  "SELECT coalesce(d.name, s.device_id), s.identifier || ' ' || s.state || ' approval='"
	  " || s.approval FROM sysext s LEFT JOIN devices d ON d.id = s.device_id"
	  " WHERE s.state IN ('activated_enabling','activated_enabled')"
	  " AND s.approval NOT IN ('mdm','user')" },
	{ "sysext", "a system extension's state is one of sysextd's",
	  "SELECT coalesce(d.name, s.device_id), s.identifier || ' ' || s.state FROM sysext s"
	  " LEFT JOIN devices d ON d.id = s.device_id WHERE s.state NOT IN ("
	  "'validating','validating_by_category','activated_waiting_for_user',"
	  "'activated_enabling','activated_enabled','activated_disabled',"
	  "'activated_waiting_to_upgrade','activated_waiting_to_upgrade_on_reboot',"
	  "'terminating_for_upgrade_via_delegate','terminating_for_disable',"
	  "'terminating_for_disable_but_still_running','terminating_for_uninstall',"
	  "'terminating_for_uninstall_via_delegate','terminating_for_uninstall_but_still_running',"
	  "'terminated_waiting_to_uninstall_on_reboot','uninstalling','uninstalled')" },
};

/* A loaded kext's code must be in the AuxKC the device holds: each
 * distinct AuxKC is read and parsed once (a fleet shares a few), then every
 * loaded kext must be one of its fileset entries. */
struct kc_seen { char hash[65]; int ok; char **ids; int n; };
struct kc_ctx {
	struct mx_cli *cli;
	struct kc_seen seen[16];
	int nseen;
	mx_check_fn fn;
	void *arg;
	long *violations;
};

static struct kc_seen *
kc_load(struct kc_ctx *c, const char *hash)
{
	for (int i = 0; i < c->nseen; i++)
		if (strcmp(c->seen[i].hash, hash) == 0)
			return &c->seen[i];
	struct kc_seen *k = &c->seen[c->nseen < 16 ? c->nseen++ : 15];
	for (int i = 0; i < k->n; i++)
		free(k->ids[i]);
	free(k->ids);
	memset(k, 0, sizeof *k);
	snprintf(k->hash, sizeof k->hash, "%s", hash);
	char path[4096];
	if (mx_cas_path(c->cli->st, hash, path, sizeof path, NULL) != 0)
		return k;
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return k;
	uint8_t *buf = mx_xmalloc(MX_FILESET_MAX_SIZE);
	size_t len = fread(buf, 1, MX_FILESET_MAX_SIZE, f);
	fclose(f);
	mx_fileset *fs = NULL;
	if (mx_fileset_parse(&fs, buf, len, NULL) == 0) {
		k->ok = 1;
		k->ids = mx_xcalloc((size_t)fs->nentries + 1, sizeof *k->ids);
		for (int i = 0; i < fs->nentries; i++)
			k->ids[k->n++] = mx_xstrdup(fs->entries[i].id);
		mx_fileset_free(fs);
	}
	free(buf);
	return k;
}

static int
kc_row(const char *const *col, int n, void *arg)
{
	struct kc_ctx *c = arg;
	char detail[600];
	if (n < 3)
		return 0;
	if (col[2][0] == '\0') {
		snprintf(detail, sizeof detail, "%s: %s is loaded but the Mac has no AuxKC", col[0],
		    col[1]);
	} else {
		struct kc_seen *k = kc_load(c, col[2]);
		if (!k->ok) {
			snprintf(detail, sizeof detail, "%s: its AuxKC %s is missing or unreadable",
			    col[0], col[2]);
		} else {
			for (int i = 0; i < k->n; i++)
				if (strcmp(k->ids[i], col[1]) == 0)
					return 0;
			snprintf(detail, sizeof detail, "%s: %s is loaded but not in its AuxKC",
			    col[0], col[1]);
		}
	}
	(*c->violations)++;
	if (c->fn)
		c->fn("a loaded kext's code is in the device's AuxKC", detail, c->arg);
	return 0;
}

int
fleet_check_all(struct mx_cli *cli, mx_check_fn fn, void *arg, long *violations, mx_err *err)
{
	int rc = mx_store_check(cli->st, fn, arg, violations, err);
	for (size_t i = 0; rc == 0 && i < sizeof ext_invariants / sizeof ext_invariants[0]; i++)
		if (mx_store_has_table(cli->st, ext_invariants[i].table))
			rc = mx_store_check_query(cli->st, ext_invariants[i].rule, ext_invariants[i].sql,
			    fn, arg, violations, err);
	if (rc == 0 && mx_store_has_table(cli->st, "kexts")) {
		struct kc_ctx c = { .cli = cli, .fn = fn, .arg = arg, .violations = violations };
		rc = mx_store_query_rows(cli->st, "SELECT d.name, k.bundle_id, coalesce(f.hash, '')"
		    " FROM kexts k JOIN devices d ON d.id = k.device_id LEFT JOIN files f"
		    " ON f.device_id = k.device_id AND f.path = '" KEXT_AUXKC_PATH "'"
		    " WHERE k.state = 'loaded' AND NOT k.codeless", kc_row, &c, err);
		for (int i = 0; i < c.nseen; i++) {
			for (int j = 0; j < c.seen[i].n; j++)
				free(c.seen[i].ids[j]);
			free(c.seen[i].ids);
		}
	}
	return rc;
}

static void
print_violation(const char *rule, const char *detail, void *arg)
{
	json_t *arr = arg;
	if (arr)
		json_array_append_new(arr, json_pack("{s:s, s:s}", "rule", rule, "detail", detail));
	else
		mx_text_printf("violation: %s: %s\n", rule, detail);
}

struct cas_report { mx_check_fn fn; void *arg; };

static void
cas_bad(const char *hash, const mx_err *why, void *arg)
{
	const struct cas_report *r = arg;
	char detail[sizeof why->msg + 160];
	snprintf(detail, sizeof detail, "%s: %s", hash, why->msg);
	r->fn("a content-store entry has its content hash", detail, r->arg);
}

#define STORE_CHECK_USAGE "macext store check [--fast] [--json]"

static int
store_check(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	bool fast = false;
	int j = 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--fast") == 0)
			fast = true;
		else
			argv[j++] = argv[i];
	argc = j;
	int rc = arg_check(argc, argv, 0, 0, STORE_CHECK_USAGE, err);
	if (rc || (rc = cli_store(cli, err)))
		return rc;
	json_t *arr = cli->json ? json_array() : NULL;
	long n = 0, bad = 0;
	int64_t ndev = 0;
	struct cas_report r = { print_violation, arr };
	if ((rc = fleet_check_all(cli, print_violation, arr, &n, err)) ||
	    (!fast && (rc = mx_cas_check(cli->st, cas_bad, &r, &bad, err))) ||
	    (rc = mx_store_device_count(cli->st, &ndev, err))) {
		json_decref(arr);
		return rc;
	}
	n += bad;
	if (arr)
		cli_json_print(cli, json_pack("{s:b, s:I, s:I, s:b, s:o}", "ok", n == 0, "devices",
		    (json_int_t)ndev, "violations", (json_int_t)n, "content_hashed", !fast,
		    "problems", arr));
	else if (n == 0)
		mx_text_printf("ok: %lld devices, integrity and invariants hold%s\n", (long long)ndev,
		    fast ? " (content store not re-hashed: --fast)" : ", every content-store entry"
		    " has its hash");
	if (n)
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "%s: %ld invariant violation%s",
		    mx_store_dir(cli->st), n, n == 1 ? "" : "s");
	return 0;
}

static int
store_digest(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	int rc = arg_check(argc, argv, 0, 0, "macext store digest [--json]", err);
	if (rc || (rc = cli_store(cli, err)))
		return rc;
	char d[65];
	if ((rc = mx_store_digest(cli->st, d, err)))
		return rc;
	if (cli->json)
		cli_json_print(cli, json_pack("{s:s}", "digest", d));
	else
		mx_text_printf("%s\n", d);
	return 0;
}

static const cli_verb store_verbs_v[] = {
	{ "check", store_check, CLI_SHOW },
	{ "digest", store_digest, CLI_SHOW },
};
const cli_verbs store_verbs = CLI_VERBS("store", store_verbs_v,
    "macext store check|digest");

int
cmd_store(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return cli_dispatch(cli, &store_verbs, argc, argv, err);
}
