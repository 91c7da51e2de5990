/*
 * agent_store.c — the store thread's jobs: every change the agent makes to
 * a device goes through the backend's operations (the engine's, in the
 * product) inside the batch transaction agent_work.c opened, one savepoint
 * per device.  J_EXEC is the command path: a CommandUUID the device already
 * executed is answered with the stored result and never run again; a new
 * one runs through the backend and its result is recorded in the same
 * transaction as its effects, so a network failure can never half-apply or
 * re-apply it, and a result whose upload failed is sent again from the
 * store.  One request belongs to the agent itself: RemoveProfile of the
 * enrolment profile (unenrol, then CheckOut when the profile asks); the
 * engine's DeviceConfigured ending ADE's AwaitingConfiguration is noticed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "daemon/agent_int.h"
#include "macext/mdm_answer.h"
#include "macext/plist_util.h"

void
agent_load_free(agent_load *l)
{
	if (l == NULL)
		return;
	for (int i = 0; i < l->n; i++) {
		if (l->v[i].key)
			OPENSSL_cleanse(l->v[i].key, l->v[i].key_len);
		free(l->v[i].key);
		free(l->v[i].cert);
	}
	for (int i = 0; i < l->nprof; i++)
		free(l->prof[i].bytes);
	free(l->v);
	free(l->prof);
	memset(l, 0, sizeof *l);
}

void
agent_dev_record(const agent_dev *d, mx_mdm_enrollment *rec)
{
	memset(rec, 0, sizeof *rec);
	rec->device_id = d->device_id;
	snprintf(rec->profile, sizeof rec->profile, "%s", d->prof ? d->prof->hash : "");
	rec->method = d->method;
	rec->user_approved = d->user_approved;
	rec->insecure = d->insecure;
	rec->state = d->state;
	if (d->prof) {
		rec->access_rights = d->prof->p.access_rights;
		rec->capabilities = d->prof->p.capabilities |
		    (d->prof->p.prompt_bootstrap_auth ? MX_MDM_CAP_PROMPT_BOOTSTRAP : 0);
	}
	if (d->key && d->key_len <= sizeof rec->key) {
		memcpy(rec->key, d->key, d->key_len);
		rec->key_len = d->key_len;
	}
	if (d->cert && d->cert_len <= sizeof rec->cert) {
		memcpy(rec->cert, d->cert, d->cert_len);
		rec->cert_len = d->cert_len;
	}
	snprintf(rec->push_token, sizeof rec->push_token, "%s", d->token[CH_DEVICE]);
	snprintf(rec->push_magic, sizeof rec->push_magic, "%s", d->magic[CH_DEVICE]);
	snprintf(rec->user_token, sizeof rec->user_token, "%s", d->token[CH_USER]);
	snprintf(rec->user_magic, sizeof rec->user_magic, "%s", d->magic[CH_USER]);
	rec->user_enrolled = d->user_enrolled;
	rec->awaiting_configuration = d->awaiting_config;
	rec->bootstrap_sent = d->bootstrap_sent;
	snprintf(rec->last_error, sizeof rec->last_error, "%s", d->last_error);
	rec->failures = d->failures;
}

static uint8_t *
dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *o = mx_xmalloc(n ? n : 1);
	memcpy(o, p, n);
	return o;
}

/* ---- J_LOAD ---- */

struct load_ctx { mx_agent *a; void *ctx; agent_load *l; mx_err *err; };

static int
load_one(const mx_mdm_enrollment *e, const char *name, void *arg)
{
	struct load_ctx *c = arg;
	agent_load *l = c->l;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = mx_xrealloc(l->v, (size_t)l->cap * sizeof *l->v);
	}
	agent_load_ent *x = &l->v[l->n];
	memset(x, 0, sizeof *x);
	x->device_id = e->device_id;
	snprintf(x->name, sizeof x->name, "%s", name);
	snprintf(x->profile, sizeof x->profile, "%s", e->profile);
	x->method = e->method;
	x->user_approved = e->user_approved;
	x->insecure = e->insecure;
	x->state = e->state;
	if (e->key_len) {
		x->key = dup_bytes(e->key, e->key_len);
		x->key_len = e->key_len;
	}
	if (e->cert_len) {
		x->cert = dup_bytes(e->cert, e->cert_len);
		x->cert_len = e->cert_len;
	}
	snprintf(x->token[0], sizeof x->token[0], "%s", e->push_token);
	snprintf(x->magic[0], sizeof x->magic[0], "%s", e->push_magic);
	snprintf(x->token[1], sizeof x->token[1], "%s", e->user_token);
	snprintf(x->magic[1], sizeof x->magic[1], "%s", e->user_magic);
	x->user_enrolled = e->user_enrolled;
	x->awaiting = e->awaiting_configuration;
	x->bootstrap_sent = e->bootstrap_sent;
	x->failures = e->failures;
	snprintf(x->last_error, sizeof x->last_error, "%s", e->last_error);
	l->n++;
	return 0;
}

static void
job_load(mx_agent *a, void *ctx, agent_job *j)
{
	const mx_agent_backend *be = a->be;
	agent_load *l = mx_xcalloc(1, sizeof *l);
	struct load_ctx c = { a, ctx, l, &j->err };
	j->list = l;
	if ((j->rc = mx_store_mdm_each(be->store(ctx), load_one, &c, &j->err)))
		return;
	for (int i = 0; i < l->n; i++) {
		void *op = NULL;
		mx_err e;
		if (be->begin(ctx, l->v[i].name, false, &op, &e) == 0) {
			agent_facts_from(&l->v[i].f, be->device(op));
			be->abort(op);
		}
		bool have = false;
		for (int k = 0; k < l->nprof && !have; k++)
			have = strcmp(l->prof[k].hash, l->v[i].profile) == 0;
		if (have)
			continue;
		l->prof = mx_xrealloc(l->prof, (size_t)(l->nprof + 1) * sizeof *l->prof);
		struct agent_load_prof *p = &l->prof[l->nprof];
		snprintf(p->hash, sizeof p->hash, "%s", l->v[i].profile);
		if (mx_store_blob_get(be->store(ctx), p->hash, &p->bytes, &p->len, &e) != 0) {
			p->bytes = NULL;
			p->len = 0;
		}
		l->nprof++;
	}
}

/* ---- helpers: one op around a device ---- */

static int
op_begin(mx_agent *a, void *ctx, agent_dev *d, bool write, void **op, mx_err *err)
{
	return a->be->begin(ctx, d->name, write, op, err);
}

/* J_SAVE: the record as the network thread has it. */
static void
job_save(mx_agent *a, void *ctx, agent_job *j)
{
	void *op = NULL;
	mx_mdm_enrollment *rec = j->list;
	if ((j->rc = op_begin(a, ctx, j->dev, true, &op, &j->err)))
		return;
	rec->updated_at = a->be->now(ctx);
	if ((j->rc = mx_store_mdm_put(a->be->store(ctx), rec, &j->err))) {
		a->be->abort(op);
		return;
	}
	j->rc = a->be->commit(op, &j->err);
}

static void
hex(char *out, const uint8_t *p, size_t n)
{
	static const char h[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = h[p[i] >> 4];
		out[2 * i + 1] = h[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
new_token(mx_agent *a, void *ctx, char token[129], char magic[40])
{
	uint8_t r[48];
	a->be->random(ctx, r, sizeof r);
	hex(token, r, 32);
	r[32 + 6] = (uint8_t)((r[32 + 6] & 0x0f) | 0x40);
	r[32 + 8] = (uint8_t)((r[32 + 8] & 0x3f) | 0x80);
	mx_device_uuid_fmt(r + 32, magic);
}

/* J_START: the device as it is now, push tokens, and a pooled key if the
 * device has none (j->flag), all saved before anything goes on the wire. */
static void
job_start(mx_agent *a, void *ctx, agent_job *j)
{
	const mx_agent_backend *be = a->be;
	agent_dev *d = j->dev;
	void *op = NULL;
	if ((j->rc = op_begin(a, ctx, d, true, &op, &j->err)))
		return;
	mx_store *st = be->store(ctx);
	mx_mdm_enrollment *rec = mx_xmalloc(sizeof *rec);
	if ((j->rc = mx_store_mdm_get(st, d->device_id, rec, &j->err)))
		goto out;
	agent_facts_from(&j->after, be->device(op));
	if (rec->push_token[0] == '\0')
		new_token(a, ctx, rec->push_token, rec->push_magic);
	if (rec->user_token[0] == '\0')
		new_token(a, ctx, rec->user_token, rec->user_magic);
	int bits = j->bits;
	if (rec->key_len == 0 && a->o.pool_keys && bits > 0) {
		bool found = false;
		if ((j->rc = mx_store_mdm_key_take(st, bits, rec->key, sizeof rec->key, &rec->key_len,
		    &found, &j->err)))
			goto out;
		j->flag = found;
	}
	rec->updated_at = be->now(ctx);
	if ((j->rc = mx_store_mdm_put(st, rec, &j->err)))
		goto out;
	j->list = rec;
	rec = NULL;
	j->rc = be->commit(op, &j->err);
	op = NULL;
out:
	if (op)
		be->abort(op);
	if (rec) {
		OPENSSL_cleanse(rec, sizeof *rec);
		free(rec);
	}
}

/* J_ENROLLED: macOS installs the enrolment profile and is managed. */
static void
job_enrolled(mx_agent *a, void *ctx, agent_job *j)
{
	const mx_agent_backend *be = a->be;
	agent_dev *d = j->dev;
	void *op = NULL;
	mx_mdm_enrollment *rec = j->list;
	if ((j->rc = op_begin(a, ctx, d, true, &op, &j->err)))
		return;
	const mx_device *dv = be->device(op);
	if (dv->enroll == MX_ENROLL_NONE &&
	    (j->rc = be->enroll(op, d->method, d->user_approved, d->prof->bytes, d->prof->len,
	    &j->err))) {
		be->abort(op);   /* frees it, finished or not */
		return;
	}
	if (be->finished(op)) {
		be->abort(op);
		j->rc = MX_FAIL(&j->err, MX_ESTATE, MX_NO_OFFSET, "the enrolment was refused");
		return;
	}
	agent_facts_from(&j->after, be->device(op));
	rec->state = MX_MDM_ENROLLED;
	rec->enrolled_at = rec->updated_at = be->now(ctx);
	if ((j->rc = mx_store_mdm_put(be->store(ctx), rec, &j->err))) {
		be->abort(op);
		return;
	}
	j->rc = be->commit(op, &j->err);
}

static void
job_escrow(mx_agent *a, void *ctx, agent_job *j)
{
	const mx_agent_backend *be = a->be;
	void *op = NULL;
	mx_mdm_enrollment *rec = j->list;
	if ((j->rc = op_begin(a, ctx, j->dev, true, &op, &j->err)))
		return;
	if (!be->device(op)->bootstrap_escrowed && (j->rc = be->escrow(op, &j->err))) {
		be->abort(op);   /* frees it, finished or not */
		return;
	}
	agent_facts_from(&j->after, be->device(op));
	rec->bootstrap_sent = true;
	rec->updated_at = be->now(ctx);
	if ((j->rc = mx_store_mdm_put(be->store(ctx), rec, &j->err))) {
		be->abort(op);
		return;
	}
	j->rc = be->commit(op, &j->err);
}

/* J_CHECKOUT: the device is no longer managed. */
static void
job_checkout(mx_agent *a, void *ctx, agent_job *j)
{
	const mx_agent_backend *be = a->be;
	void *op = NULL;
	mx_mdm_enrollment *rec = j->list;
	if ((j->rc = op_begin(a, ctx, j->dev, true, &op, &j->err)))
		return;
	if (be->device(op)->enroll != MX_ENROLL_NONE && (j->rc = be->unenroll(op, j->dev->prof ? j->dev->prof->p.identifier : NULL,
	    &j->err))) {
		be->abort(op);   /* frees it, finished or not */
		return;
	}
	agent_facts_from(&j->after, be->device(op));
	rec->state = MX_MDM_CHECKED_OUT;
	rec->updated_at = be->now(ctx);
	mx_store *st = be->store(ctx);
	if ((j->rc = mx_store_mdm_put(st, rec, &j->err))) {
		be->abort(op);
		return;
	}
	j->rc = be->commit(op, &j->err);
}

/* ---- J_EXEC ---- */

void
agent_store_prepare(mx_agent *a, void *ctx, agent_job *j)
{
	if (j->kind == J_ENROLLED && j->dev->prof && a->be->prepare_profile)
		a->be->prepare_profile(ctx, j->dev->prof->bytes, j->dev->prof->len);
	if (j->kind != J_EXEC)
		return;
	agent_request *r = NULL;
	j->rc = a->be->parse(ctx, j->in, j->in_len, j->channel, &r, &j->err);
	if (j->rc == 0 && r == NULL)
		j->rc = MX_FAIL(&j->err, MX_EFORMAT, MX_NO_OFFSET, "not an MDM command");
	j->req = r;
}

static const char *
response_status(plist_t resp)
{
	const char *s = mx_plist_str(plist_dict_get_item(resp, "Status"));
	return s ? s : "Error";
}

/* A response the agent builds itself (Acknowledged, or Error with a chain). */
static plist_t
own_response(agent_dev *d, int channel, const char *uuid, const char *status, int code,
    const char *msg)
{
	plist_t p = plist_new_dict();
	plist_dict_set_item(p, "CommandUUID", plist_new_string(uuid));
	plist_dict_set_item(p, "Status", plist_new_string(status));
	agent_msg_ids(p, d, channel);
	if (code) {
		plist_t chain = plist_new_array(), e = plist_new_dict();
		plist_dict_set_item(e, "ErrorCode", plist_new_uint((uint64_t)code));
		plist_dict_set_item(e, "ErrorDomain", plist_new_string("MCMDMErrorDomain"));
		plist_dict_set_item(e, "LocalizedDescription", plist_new_string(msg));
		plist_dict_set_item(e, "USEnglishDescription", plist_new_string(msg));
		plist_array_append_item(chain, e);
		plist_dict_set_item(p, "ErrorChain", chain);
	}
	return p;
}

static void
job_exec(mx_agent *a, void *ctx, agent_job *j)
{
	const mx_agent_backend *be = a->be;
	agent_dev *d = j->dev;
	if (j->rc)
		return;   /* the bytes were no command (prepare) */
	const char *uuid = be->request_uuid(j->req), *type = be->request_type(j->req);
	snprintf(j->uuid, sizeof j->uuid, "%s", uuid);
	mx_store *st = be->store(ctx);
	void *op = NULL;
	plist_t resp = NULL;
	if ((j->rc = op_begin(a, ctx, d, true, &op, &j->err)))
		goto out;
	const mx_device *before = be->device(op);
	uint64_t boots = before->boot_count;
	agent_facts_from(&j->after, before);
	/* executed before: the same answer, never a second execution */
	bool found = false;
	mx_mdm_done done;
	if ((j->rc = mx_store_mdm_cmd_get(st, d->device_id, j->channel, uuid, &found, &done,
	    &j->err)))
		goto out;
	if (found) {
		j->flag = true;
		snprintf(j->text, sizeof j->text, "%s", done.status);
		j->out = done.response;
		j->out_len = done.response_len;
		if (j->out == NULL) {
			resp = own_response(d, j->channel, uuid, done.status, 0, "");
			j->out = agent_plist_xml(resp, &j->out_len);
		}
		be->abort(op);
		op = NULL;
		goto out;
	}
	/* a Mac not running macOS does not run commands; the server keeps it */
	if (before->env != MX_ENV_MACOS) {
		snprintf(j->text, sizeof j->text, "NotNow");
		resp = own_response(d, j->channel, uuid, "NotNow", 0, "");
		be->abort(op);
		op = NULL;
		goto out;
	}
	mx_err cerr;
	mx_err_clear(&cerr);
	if (strcmp(type, "RemoveProfile") == 0 && j->channel == CH_DEVICE && d->prof &&
	    be->request_identifier(j->req) &&
	    strcmp(be->request_identifier(j->req), d->prof->p.identifier) == 0) {
		/* removing the enrolment profile unenrols the Mac */
		if ((j->rc = be->unenroll(op, d->prof->p.identifier, &cerr)) != 0) {
			be->abort(op);
			op = NULL;
			j->rc = 0;
			resp = own_response(d, j->channel, uuid, "Error", MX_MDM_ERR_REMOVE_FAILED,
			    cerr.msg);
		} else {
			resp = own_response(d, j->channel, uuid, "Acknowledged", 0, "");
			j->checkout = true;
		}
	} else {
		int rc = be->execute(op, j->req, &resp, &cerr);
		if (rc) {
			/* the store itself failed: nothing was recorded, nothing is sent */
			j->rc = rc;
			j->err = cerr;
			be->abort(op);
			op = NULL;
			plist_free(resp);
			resp = NULL;
			goto out;
		}
	}
	if (resp == NULL)
		resp = own_response(d, j->channel, uuid, "Error", MX_MDM_ERR_UNKNOWN_COMMAND,
		    "no response");
	snprintf(j->text, sizeof j->text, "%s", response_status(resp));
	j->out = agent_plist_xml(resp, &j->out_len);
	/* a failed command's transaction was ended by the backend (nothing was
	 * applied, the failure logged): its Error is recorded in one of its own */
	if (op && be->finished(op)) {
		be->abort(op);   /* only frees it */
		op = NULL;
	}
	if (op == NULL && (j->rc = op_begin(a, ctx, d, true, &op, &j->err)))
		goto out;
	const mx_device *after = be->device(op);
	agent_facts_from(&j->after, after);
	if (d->awaiting_config) {
		/* DeviceConfigured (the engine's) ended Setup Assistant's wait */
		mx_mdm_enrollment *r2 = mx_xmalloc(sizeof *r2);
		mx_err e2;
		if (mx_store_mdm_get(st, d->device_id, r2, &e2) == 0 && !r2->awaiting_configuration)
			j->configured = true;
		OPENSSL_cleanse(r2, sizeof *r2);
		free(r2);
	}
	j->restarted = after->boot_count != boots && after->env == MX_ENV_MACOS;
	j->shutdown = after->env == MX_ENV_OFF;
	j->unenrolled = after->enroll == MX_ENROLL_NONE;
	if ((j->rc = mx_store_mdm_cmd_put(st, d->device_id, j->channel, uuid, type, j->text, j->out,
	    j->out_len, be->now(ctx), &j->err)))
		goto out;
	if (j->checkout) {
		mx_mdm_enrollment *rec = mx_xmalloc(sizeof *rec);
		agent_dev_record(d, rec);
		rec->state = MX_MDM_CHECKED_OUT;
		rec->updated_at = be->now(ctx);
		j->rc = mx_store_mdm_put(st, rec, &j->err);
		OPENSSL_cleanse(rec, sizeof *rec);
		free(rec);
		if (j->rc)
			goto out;
	}
	j->rc = be->commit(op, &j->err);
	op = NULL;
out:
	if (op)
		be->abort(op);
	if (resp && j->out == NULL)
		j->out = agent_plist_xml(resp, &j->out_len);
	plist_free(resp);
	be->request_free(j->req);
	j->req = NULL;
}

static void
job_reported(mx_agent *a, void *ctx, agent_job *j)
{
	void *op = NULL;
	if ((j->rc = op_begin(a, ctx, j->dev, true, &op, &j->err)))
		return;
	if ((j->rc = mx_store_mdm_cmd_reported(a->be->store(ctx), j->dev->device_id, j->channel,
	    (const char *)j->in, &j->err))) {
		a->be->abort(op);
		return;
	}
	j->rc = a->be->commit(op, &j->err);
}

/* J_WATCH: every device's environment, enrolment and boot count. */
static int
watch_row(const char *const *cols, int n, void *arg)
{
	agent_watch *w = arg;
	if (n < 4)
		return 0;
	w->v = mx_xrealloc(w->v, (size_t)(w->n + 1) * sizeof *w->v);
	struct agent_watch_ent *e = &w->v[w->n++];
	e->device_id = strtoll(cols[0], NULL, 10);
	e->env = strcmp(cols[1], "macos") == 0 ? MX_ENV_MACOS : strcmp(cols[1], "off") == 0 ?
	    MX_ENV_OFF : MX_ENV_RECOVERY;
	if (mx_enroll_parse(&e->enroll, cols[2], NULL) != 0)
		e->enroll = MX_ENROLL_NONE;
	e->boot_count = strtoull(cols[3], NULL, 10);
	return 0;
}

static void
job_watch(mx_agent *a, void *ctx, agent_job *j)
{
	agent_watch *w = mx_xcalloc(1, sizeof *w);
	j->list = w;
	j->rc = mx_store_query_rows(a->be->store(ctx), "SELECT d.id, d.env, d.enroll, d.boot_count"
	    " FROM devices d JOIN mdm_enrollments e ON e.device_id = d.id", watch_row, w, &j->err);
}

void
agent_store_run(mx_agent *a, void *ctx, agent_job *j)
{
	switch (j->kind) {
	case J_LOAD: job_load(a, ctx, j); break;
	case J_START: job_start(a, ctx, j); break;
	case J_SAVE: job_save(a, ctx, j); break;
	case J_ENROLLED: job_enrolled(a, ctx, j); break;
	case J_ESCROW: job_escrow(a, ctx, j); break;
	case J_EXEC: job_exec(a, ctx, j); break;
	case J_REPORTED: job_reported(a, ctx, j); break;
	case J_CHECKOUT: job_checkout(a, ctx, j); break;
	case J_WATCH: job_watch(a, ctx, j); break;
	default:
		j->rc = MX_FAIL(&j->err, MX_EINVALID, MX_NO_OFFSET, "job %d is not a store job",
		    (int)j->kind);
	}
}
