/*
 * agent_testbe.c — a test-only backend for the MDM agent (agent_int.h's
 * mx_agent_backend) straight over the store, so the agent's protocol work
 * (SCEP, check-in, signing, sessions, push, retries) can be tested before
 * and apart from the engine.  It is not macOS: it acknowledges the command
 * types below and answers any other with the 12021 Error; RestartDevice
 * boots the record again, ShutDownDevice turns it off, "InstallProfile"
 * with a Payload that is no profile fails and rolls back.  Product code
 * never links it (the product backend is agent_engine.c).
 */
#include <stdlib.h>
#include <string.h>

#include "agent_testbe.h"
#include "daemon/agent_int.h"
#include "macext/mdm.h"
#include "macext/profile.h"

struct agent_request { mx_mdm_command c; };

typedef struct tctx { mx_store *st; uint64_t rnd; } tctx;
typedef struct top { tctx *c; mx_device d; bool write, finished; } top;

_Atomic long tb_executed;

static int
t_open(void **ctx, const char *dir, mx_err *err)
{
	tctx *c = mx_xcalloc(1, sizeof *c);
	int rc = mx_store_open(&c->st, dir, err);
	if (rc) {
		free(c);
		return rc;
	}
	c->rnd = 0x1234567;
	*ctx = c;
	return 0;
}

static void
t_close(void *ctx)
{
	tctx *c = ctx;
	mx_store_close(c->st);
	free(c);
}

static mx_store *t_store(void *ctx) { return ((tctx *)ctx)->st; }
static int64_t t_now(void *ctx) { (void)ctx; return 1764640000; }

static void
t_random(void *ctx, uint8_t *b, size_t n)
{
	tctx *c = ctx;
	for (size_t i = 0; i < n; i++) {
		c->rnd = c->rnd * 6364136223846793005ull + 1442695040888963407ull;
		b[i] = (uint8_t)(c->rnd >> 56);
	}
}

static int t_bb(void *ctx, mx_err *err) { return mx_store_batch_begin(((tctx *)ctx)->st, err); }
static int t_bc(void *ctx, mx_err *err) { return mx_store_batch_commit(((tctx *)ctx)->st, err); }
static void t_br(void *ctx) { mx_store_batch_rollback(((tctx *)ctx)->st); }

static int
t_begin(void *ctx, const char *device, bool write, void **out, mx_err *err)
{
	top *o = mx_xcalloc(1, sizeof *o);
	o->c = ctx;
	o->write = write;
	int rc = mx_store_begin(o->c->st, err);
	if (rc == 0 && (rc = mx_store_device_load(o->c->st, device, &o->d, err)) != 0)
		mx_store_rollback(o->c->st);
	if (rc) {
		free(o);
		return rc;
	}
	*out = o;
	return 0;
}

static int
t_commit(void *op, mx_err *err)
{
	top *o = op;
	int rc = 0;
	if (!o->finished) {
		if (o->write && (rc = mx_store_device_update(o->c->st, &o->d, err)) == 0)
			rc = mx_store_commit(o->c->st, err);
		else
			mx_store_rollback(o->c->st);
	}
	free(o);
	return rc;
}

static void
t_abort(void *op)
{
	top *o = op;
	if (!o->finished)
		mx_store_rollback(o->c->st);
	free(o);
}

static bool t_finished(void *op) { return ((top *)op)->finished; }
static const mx_device *t_device(void *op) { return &((top *)op)->d; }

static int
t_enroll(void *op, enum mx_enroll m, bool approved, const uint8_t *p, size_t n, mx_err *err)
{
	(void)p;
	(void)n;
	(void)err;
	top *o = op;
	o->d.enroll = m;
	o->d.user_approved = m != MX_ENROLL_DEVICE || approved;
	o->d.supervised = m == MX_ENROLL_AUTOMATED || (m == MX_ENROLL_DEVICE && approved);
	o->d.in_abm = m == MX_ENROLL_AUTOMATED;
	return 0;
}

static int
t_unenroll(void *op, const char *id, mx_err *err)
{
	(void)id;
	(void)err;
	top *o = op;
	o->d.enroll = MX_ENROLL_NONE;
	o->d.user_approved = o->d.supervised = o->d.in_abm = o->d.bootstrap_escrowed = false;
	return 0;
}

static int
t_escrow(void *op, mx_err *err)
{
	top *o = op;
	if (!o->d.supervised)
		return MX_FAIL(err, MX_EDENIED, MX_NO_OFFSET, "not supervised");
	o->d.bootstrap_escrowed = true;
	return 0;
}

static int
t_parse(void *ctx, const uint8_t *buf, size_t len, int channel, agent_request **out,
    mx_err *err)
{
	(void)ctx;
	(void)channel;
	agent_request *r = mx_xcalloc(1, sizeof *r);
	int rc = mx_mdm_command_parse(&r->c, buf, len, "command", err);
	if (rc) {
		free(r);
		*out = NULL;
		return rc;
	}
	*out = r;
	return 0;
}

static void
t_free(agent_request *r)
{
	if (r) {
		mx_mdm_command_free(&r->c);
		free(r);
	}
}

static const char *t_uuid(const agent_request *r) { return r->c.uuid; }
static const char *t_type(const agent_request *r) { return r->c.type; }
static const char *t_ident(const agent_request *r) { return r->c.identifier; }

static plist_t
resp(const top *o, const agent_request *r, const char *status)
{
	plist_t p = plist_new_dict();
	plist_dict_set_item(p, "CommandUUID", plist_new_string(r->c.uuid));
	plist_dict_set_item(p, "Status", plist_new_string(status));
	plist_dict_set_item(p, "UDID", plist_new_string(o->d.udid));
	return p;
}

static int
t_execute(void *op, const agent_request *r, plist_t *out, mx_err *err)
{
	(void)err;
	top *o = op;
	tb_executed++;
	const char *t = r->c.type;
	if (strcmp(t, "InstallProfile") == 0) {
		mx_profile *p = NULL;
		mx_err perr;
		if (r->c.bad || mx_profile_read(&p, r->c.payload, r->c.payload_len, "Payload", &perr)) {
			/* a failed command: rolled back and finished, as the engine does */
			mx_store_rollback(o->c->st);
			o->finished = true;
			*out = resp(o, r, "Error");
			return 0;
		}
		mx_profile_free(p);
		*out = resp(o, r, "Acknowledged");
		return 0;
	}
	if (strcmp(t, "RestartDevice") == 0) {
		o->d.boot_count++;
		*out = resp(o, r, "Acknowledged");
		return 0;
	}
	if (strcmp(t, "ShutDownDevice") == 0) {
		o->d.env = MX_ENV_OFF;
		*out = resp(o, r, "Acknowledged");
		return 0;
	}
	if (strcmp(t, "RemoveProfile") == 0) {
		*out = resp(o, r, "Acknowledged");
		return 0;
	}
	if (strcmp(t, "SecurityInfo") == 0) {
		*out = resp(o, r, "Acknowledged");
		plist_t si = plist_new_dict();
		plist_dict_set_item(si, "SystemIntegrityProtectionEnabled",
		    plist_new_bool(mx_device_sip_enabled(&o->d)));
		plist_dict_set_item(*out, "SecurityInfo", si);
		return 0;
	}
	*out = resp(o, r, "Error");
	plist_t chain = plist_new_array(), e = plist_new_dict();
	plist_dict_set_item(e, "ErrorCode", plist_new_uint(12021));
	plist_dict_set_item(e, "ErrorDomain", plist_new_string("MCMDMErrorDomain"));
	plist_array_append_item(chain, e);
	plist_dict_set_item(*out, "ErrorChain", chain);
	return 0;
}

static const mx_agent_backend test_backend = {
	.name = "test",
	.open = t_open, .close = t_close, .store = t_store, .now = t_now, .random = t_random,
	.batch_begin = t_bb, .batch_commit = t_bc, .batch_rollback = t_br,
	.begin = t_begin, .commit = t_commit, .abort = t_abort, .finished = t_finished,
	.device = t_device, .enroll = t_enroll, .unenroll = t_unenroll, .escrow = t_escrow,
	.parse = t_parse, .request_free = t_free, .request_uuid = t_uuid, .request_type = t_type,
	.request_identifier = t_ident, .execute = t_execute,
};

const mx_agent_backend *
agent_test_backend(void)
{
	return &test_backend;
}
