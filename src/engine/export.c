/*
 * export.c — a device's state as the files a real Mac holds, and a new
 * device from such files (issue 12 §4; docs/export.md), as engine
 * operations: the gathering runs in the op's transaction (the LocalPolicy
 * loaded, and made at first use, as every operation does), the writing of
 * the export directory after it; an import reads and checks its host
 * directory (src/store/import.c) before its one transaction, and takes its
 * clock and randomness from the engine.
 */
#include <string.h>

#include "engine_int.h"

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
	return mx_devstate_gather(op->st, &op->d, as ? &lp : NULL, out, err);
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
