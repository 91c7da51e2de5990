/*
 * agent_engine.c — the MDM agent's backend in the product: every device
 * operation is the engine's (include/macext/engine.h), the same code the
 * CLI and the HTTP API run — mx_op_enroll + the enrolment profile installed
 * as macOS installs it, mx_op_unenroll, mx_op_escrow_bootstrap_token, and
 * each server command through mx_engine_mdm_request (parsed and CMS-checked
 * before any transaction) and mx_op_mdm_command.  One engine per thread:
 * the agent's store thread opens its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "daemon/agent_int.h"

#include "macext/engine.h"

struct agent_request {
	mx_mdm_request r;
};

typedef struct eng_ctx {
	mx_engine *e;
	/* the enrolment profiles imported once, outside any transaction */
	struct { char hash[65]; mx_profile_import imp; } prof[8];
	int nprof;
} eng_ctx;

static int
e_open(void **ctx, const char *dir, mx_err *err)
{
	eng_ctx *c = mx_xcalloc(1, sizeof *c);
	int rc = mx_engine_open(&c->e, dir, NULL, err);
	if (rc) {
		free(c);
		return rc;
	}
	*ctx = c;
	return 0;
}

static void
e_close(void *ctx)
{
	eng_ctx *c = ctx;
	for (int i = 0; i < c->nprof; i++)
		mx_profile_import_free(&c->prof[i].imp);
	mx_engine_close(c->e);
	free(c);
}

static mx_store *e_store(void *ctx) { return mx_engine_store(((eng_ctx *)ctx)->e); }
static int64_t e_now(void *ctx) { return mx_engine_now(((eng_ctx *)ctx)->e); }
static void e_random(void *ctx, uint8_t *b, size_t n) { mx_engine_random(((eng_ctx *)ctx)->e, b, n); }
static int e_batch_begin(void *ctx, mx_err *err) { return mx_engine_batch_begin(((eng_ctx *)ctx)->e, err); }
static int e_batch_commit(void *ctx, mx_err *err) { return mx_engine_batch_commit(((eng_ctx *)ctx)->e, err); }
static void e_batch_rollback(void *ctx) { mx_engine_batch_rollback(((eng_ctx *)ctx)->e); }

/* the op with the context it came from, for the enrolment profile imports */
typedef struct eng_op { mx_op *op; eng_ctx *c; } eng_op;

static int
e_begin(void *ctx, const char *device, bool write, void **out, mx_err *err)
{
	eng_op *o = mx_xcalloc(1, sizeof *o);
	o->c = ctx;
	int rc = mx_op_begin(&o->op, o->c->e, device, write ? MX_OP_WRITE : MX_OP_READ, err);
	if (rc) {
		free(o);
		return rc;
	}
	*out = o;
	return 0;
}

static int
e_commit(void *op, mx_err *err)
{
	eng_op *o = op;
	int rc = mx_op_commit(o->op, err);
	free(o);
	return rc;
}

static void
e_abort(void *op)
{
	eng_op *o = op;
	mx_op_abort(o->op);
	free(o);
}

static bool e_finished(void *op) { return mx_op_finished(((eng_op *)op)->op); }
static const mx_device *e_device(void *op) { return mx_op_device(((eng_op *)op)->op); }

static const mx_profile_import *
profile_import(eng_ctx *c, const uint8_t *bytes, size_t len)
{
	char hash[65];
	uint8_t d[32];
	if (EVP_Digest(bytes, len, d, NULL, EVP_sha256(), NULL) != 1)
		return NULL;
	for (int i = 0; i < 32; i++)
		snprintf(hash + 2 * i, 3, "%02x", d[i]);
	for (int i = 0; i < c->nprof; i++)
		if (strcmp(c->prof[i].hash, hash) == 0)
			return &c->prof[i].imp;
	if (c->nprof == (int)(sizeof c->prof / sizeof c->prof[0])) {
		mx_profile_import_free(&c->prof[0].imp);
		memmove(&c->prof[0], &c->prof[1], (size_t)(c->nprof - 1) * sizeof c->prof[0]);
		c->nprof--;
	}
	mx_engine_import_profile(c->e, bytes, len, "enrolment profile", &c->prof[c->nprof].imp);
	snprintf(c->prof[c->nprof].hash, sizeof c->prof[c->nprof].hash, "%s", hash);
	return &c->prof[c->nprof++].imp;
}

static int
e_enroll(void *op, enum mx_enroll method, bool approved, const uint8_t *profile, size_t len,
    mx_err *err)
{
	eng_op *o = op;
	const mx_profile_import *imp = profile_import(o->c, profile, len);
	if (imp == NULL)
		return MX_FAIL(err, MX_ENOMEM, MX_NO_OFFSET, "the enrolment profile could not be hashed");
	int rc = mx_op_enroll(o->op, method, approved, method == MX_ENROLL_AUTOMATED, err);
	if (rc)
		return rc;
	/* macOS keeps the enrolment profile among its profiles (ProfileList shows it) */
	return mx_op_profile_install(o->op, imp, MX_VIA_MANUAL, NULL, err);
}

static int
e_unenroll(void *op, const char *profile_identifier, mx_err *err)
{
	eng_op *o = op;
	int rc = mx_op_unenroll(o->op, err);
	if (rc || profile_identifier == NULL)
		return rc;
	mx_err e2;
	rc = mx_op_profile_remove(o->op, profile_identifier, MX_VIA_MANUAL, &e2);
	if (rc == MX_ENOTFOUND)
		return 0;   /* removed by hand already */
	if (rc)
		*err = e2;
	return rc;
}

static int e_escrow(void *op, mx_err *err) { return mx_op_escrow_bootstrap_token(((eng_op *)op)->op, err); }

static int
e_parse(void *ctx, const uint8_t *buf, size_t len, int channel, agent_request **out,
    mx_err *err)
{
	eng_ctx *c = ctx;
	agent_request *r = mx_xcalloc(1, sizeof *r);
	int rc = mx_engine_mdm_request(c->e, buf, len, "MDM command", &r->r, err);
	if (rc) {
		free(r);
		*out = NULL;
		return rc;
	}
	r->r.cmd.channel = channel;   /* the gate and the answers differ by channel */
	*out = r;
	return 0;
}

static void
e_request_free(agent_request *r)
{
	if (r == NULL)
		return;
	mx_mdm_request_free(&r->r);
	free(r);
}

static const char *e_uuid(const agent_request *r) { return r->r.cmd.uuid; }
static const char *e_type(const agent_request *r) { return r->r.cmd.type; }
static const char *e_ident(const agent_request *r) { return r->r.cmd.identifier; }

static void
e_prepare_profile(void *ctx, const uint8_t *bytes, size_t len)
{
	(void)profile_import(ctx, bytes, len);
}

static int
e_execute(void *op, const agent_request *r, plist_t *response, mx_err *err)
{
	return mx_op_mdm_command(((eng_op *)op)->op, &r->r, response, err);
}

static const mx_agent_backend engine_backend = {
	.name = "engine",
	.open = e_open, .close = e_close, .store = e_store, .now = e_now, .random = e_random,
	.batch_begin = e_batch_begin, .batch_commit = e_batch_commit,
	.batch_rollback = e_batch_rollback,
	.begin = e_begin, .commit = e_commit, .abort = e_abort, .finished = e_finished,
	.device = e_device,
	.prepare_profile = e_prepare_profile, .enroll = e_enroll, .unenroll = e_unenroll,
	.escrow = e_escrow,
	.parse = e_parse, .request_free = e_request_free, .request_uuid = e_uuid,
	.request_type = e_type, .request_identifier = e_ident, .execute = e_execute,
};

const mx_agent_backend *
mx_agent_engine_backend(void)
{
	return &engine_backend;
}
