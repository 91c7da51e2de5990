/*
 * export.c — a device's state as the files a real Mac holds, and a new
 * device from such files (issue 12 §4; docs/export.md), as engine
 * operations: the gathering runs in the op's transaction (the LocalPolicy
 * loaded, and made at first use, as every operation does), the writing of
 * the export directory after it; an import reads and checks its host
 * directory (src/store/import.c) before its one transaction, and takes its
 * clock and randomness from the engine.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

static int
cmp_rule(const void *a, const void *b)
{
	const mx_kext_rule *x = *(const mx_kext_rule *const *)a, *y = *(const mx_kext_rule *const *)b;
	int c = strcmp(x->team_id, y->team_id);
	return c ? c : strcmp(x->bundle_id, y->bundle_id);     /* "" (NULL) first, as SQLite */
}

/* kext_policy_mdm as syspolicyd writes it from the installed profiles: a
 * row per distinct rule of the merged kernel-extension policy, bundle_id
 * NULL for a team-wide one, in primary-key order (equal policies, equal
 * bytes).  The store keeps no such rows (src/store/kext.c). */
static int
mdm_rows(mx_op *op, mx_kp_rows *out, mx_err *err)
{
	eng_kext_env e;
	int rc = eng_kext_env_load(op, &e, err);
	size_t n = rc ? 0 : mx_kext_policy_count(&e.policy);
	if (n > 0) {
		const mx_kext_rule **order = mx_xcalloc(n, sizeof *order);
		for (size_t i = 0; i < n; i++)
			order[i] = mx_kext_policy_rule(&e.policy, i);
		qsort(order, n, sizeof *order, cmp_rule);
		int nc = mx_kpdb_ncols(MX_KP_MDM);
		out->v = mx_xcalloc(n * (size_t)nc, sizeof *out->v);
		for (size_t i = 0; i < n; i++) {
			const mx_kext_rule *r = order[i];
			mx_sqlval *row = &out->v[i * (size_t)nc];
			row[0] = (mx_sqlval){ .type = MX_SQL_TEXT, .s = mx_xstrdup(r->team_id) };
			if (r->bundle_id[0])
				row[1] = (mx_sqlval){ .type = MX_SQL_TEXT, .s = mx_xstrdup(r->bundle_id) };
			else
				row[1] = (mx_sqlval){ .type = MX_SQL_NULL };
			row[2] = (mx_sqlval){ .type = MX_SQL_INT, .i = 1 };
			row[3] = (mx_sqlval){ .type = MX_SQL_TEXT, .s = mx_xstrdup(r->payload_uuid) };
		}
		out->n = n;
		free(order);
	}
	eng_kext_env_free(&e);
	return rc;
}

int
mx_op_devstate(mx_op *op, mx_devstate *out, bool *lp_valid, mx_err *err)
{
	mx_localpolicy lp;
	bool valid = true;
	int rc;
	bool as = op->d.arch == MX_ARCH_ARM64;
	if (as && (rc = eng_lp_load(op, &lp, &valid, err)))
		return rc;
	if (lp_valid)
		*lp_valid = valid;
	if ((rc = mx_devstate_gather(op->st, &op->d, as ? &lp : NULL, out, err)))
		return rc;
	/* rows imported without their profiles describe the device until its
	 * profiles change; otherwise the profiles' merged policy is the table */
	if (out->kp.t[MX_KP_MDM].n == 0 && (rc = mdm_rows(op, &out->kp.t[MX_KP_MDM], err)))
		mx_devstate_free(out);
	return rc;
}

int
mx_engine_devstate_export(mx_engine *e, const mx_devstate *s, const char *dir, mx_err *err)
{
	if (e->op)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "an operation is already open");
	return mx_devstate_export(e->st, s, dir, err);
}

int
mx_engine_devstate_read(mx_engine *e, const char *host_dir, const char *name, mx_devstate *out,
    mx_err *err)
{
	if (e->op)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "an operation is already open");
	return mx_devstate_read(e->st, host_dir, name, out, err);
}

int
mx_engine_devstate_import(mx_engine *e, const mx_devstate *s, int64_t *device_id, mx_err *err)
{
	if (e->op)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "an operation is already open");
	uint8_t random[96];
	for (int i = 0; i < 3; i++)
		mx_engine_random(e, random + 32 * i, 32);
	int rc = mx_devstate_import(e->st, s, mx_engine_now(e), random, device_id, err);
	memset(random, 0, sizeof random);       /* [64, 96) was the new SEP key's seed */
	return rc;
}
