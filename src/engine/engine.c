/*
 * engine.c — the engine object and the operation bracket (engine.h): one
 * store connection and one set of caches per engine; an op is one device,
 * one transaction (IMMEDIATE for a write, DEFERRED for a read, a savepoint
 * inside a batch) and one clock reading.  Also the small helpers every
 * operation uses: events, alerts, refusals, authentication, randomness.
 * Design: DESIGN.md "Layers"; docs/engine.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "engine_int.h"

/* ---- defaults for what the environment does not give ---- */

static int64_t
default_now(void *arg)
{
	(void)arg;
	return (int64_t)time(NULL);
}

/* the kernel's CSPRNG directly: OpenSSL's generator costs milliseconds to set up */
static void
default_random(void *arg, uint8_t *buf, size_t n)
{
	(void)arg;
	size_t got = 0;
	while (got < n) {
		ssize_t k = getrandom(buf + got, n - got, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			fprintf(stderr, "macext: no random bytes: %s\n", strerror(errno));
			abort();
		}
		got += (size_t)k;
	}
}

int
mx_engine_open(mx_engine **out, const char *dir, const mx_engine_env *env, mx_err *err)
{
	return mx_engine_open_flags(out, dir, env, 0, err);
}

int
mx_engine_open_flags(mx_engine **out, const char *dir, const mx_engine_env *env,
    unsigned flags, mx_err *err)
{
	*out = NULL;
	mx_engine *e = mx_xcalloc(1, sizeof *e);
	if (env)
		e->env = *env;
	if (e->env.now == NULL)
		e->env.now = default_now;
	if (e->env.random == NULL)
		e->env.random = default_random;
	int rc = mx_store_open_flags(&e->st, dir,
	    (flags & MX_ENGINE_READONLY) ? MX_STORE_READONLY : 0, err);
	if (rc) {
		free(e);
		return rc;
	}
	e->memo = eng_memo_new();
	*out = e;
	return 0;
}

void
mx_engine_close(mx_engine *e)
{
	if (e == NULL)
		return;
	if (e->op)
		mx_op_abort(e->op);
	mx_store_close(e->st);
	eng_memo_free(e->memo);
	free(e);
}

mx_store *
mx_engine_store(mx_engine *e)
{
	return e->st;
}

const char *
mx_engine_dir(const mx_engine *e)
{
	return mx_store_dir(e->st);
}

void
mx_engine_random(mx_engine *e, uint8_t *buf, size_t n)
{
	e->env.random(e->env.arg, buf, n);
}

void
mx_engine_uuid(mx_engine *e, char out[37])
{
	uint8_t r[32];
	mx_engine_random(e, r, sizeof r);
	uint8_t u[16];
	memcpy(u, r, 16);
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	mx_device_uuid_fmt(u, out);
}

int64_t
mx_engine_now(mx_engine *e)
{
	return e->env.now(e->env.arg);
}

int
mx_engine_batch_begin(mx_engine *e, mx_err *err)
{
	return mx_store_batch_begin(e->st, err);
}

int
mx_engine_batch_commit(mx_engine *e, mx_err *err)
{
	return mx_store_batch_commit(e->st, err);
}

void
mx_engine_batch_rollback(mx_engine *e)
{
	mx_store_batch_rollback(e->st);
}

/* ---- the bracket ---- */

int
mx_op_begin(mx_op **out, mx_engine *e, const char *device, enum mx_op_mode mode, mx_err *err)
{
	*out = NULL;
	if (e->op)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET,
		    "an operation is already open on this engine (one at a time per thread)");
	int rc = mode == MX_OP_WRITE ? mx_store_begin(e->st, err) : mx_store_begin_read(e->st, err);
	if (rc)
		return rc;
	mx_op *op = mx_xcalloc(1, sizeof *op);
	op->e = e;
	op->st = e->st;
	op->mode = mode;
	op->open = true;
	if ((rc = mx_store_device_load(e->st, device, &op->d, err))) {
		mx_store_rollback(e->st);
		free(op);
		return rc;
	}
	op->now = mx_engine_now(e);
	e->op = op;
	*out = op;
	return 0;
}

static void
op_free(mx_op *op)
{
	if (op->e->op == op)
		op->e->op = NULL;
	free(op);
}

int
mx_op_commit(mx_op *op, mx_err *err)
{
	int rc = 0;
	if (op->open)
		rc = mx_store_commit(op->st, err);
	op_free(op);
	return rc;
}

void
mx_op_abort(mx_op *op)
{
	if (op == NULL)
		return;
	if (op->open)
		mx_store_rollback(op->st);
	op_free(op);
}

int
mx_op_end(mx_op *op, int rc, mx_err *err)
{
	if (rc) {
		mx_op_abort(op);
		return rc;
	}
	return mx_op_commit(op, err);
}

const mx_device *
mx_op_device(const mx_op *op)
{
	return &op->d;
}

int64_t
mx_op_now(const mx_op *op)
{
	return op->now;
}

mx_engine *
mx_op_engine(const mx_op *op)
{
	return op->e;
}

bool
mx_op_finished(const mx_op *op)
{
	return !op->open;
}

int
mx_op_event(mx_op *op, const char *actor, const char *what, const char *why, mx_err *err)
{
	return mx_store_event(op->st, op->d.id, op->now, actor, what, why, err);
}

int
mx_op_refuse(mx_op *op, const char *actor, const char *what, const mx_err *why)
{
	int code = why->code ? why->code : MX_EDENIED;
	if (!op->open)
		return code;
	mx_store_rollback(op->st);
	op->open = false;
	char reason[600];
	snprintf(reason, sizeof reason, "refused: %s", why->msg);
	mx_err e2;
	mx_err_clear(&e2);
	/* the refusal's own transaction: the event is all that remains */
	if (mx_store_begin(op->st, &e2) == 0) {
		if (mx_store_event(op->st, op->d.id, op->now, actor, what, reason, &e2) == 0)
			mx_store_commit(op->st, &e2);
		else
			mx_store_rollback(op->st);
	}
	return code;
}

int
mx_op_auth(mx_op *op, const char *cred, bool need_admin, const char *what, const mx_user **out,
    mx_err *err)
{
	int rc = mx_auth_check_memo(&op->d, cred, need_admin, eng_pw_memo(op->e), out, err);
	if (rc)
		return mx_op_refuse(op, "user", what, err);
	return 0;
}

/* ---- helpers ---- */

int
eng_save(mx_op *op, mx_err *err)
{
	return mx_store_device_update(op->st, &op->d, err);
}

int
eng_alert(mx_op *op, const char *kind, const char *subject, const char *title, const char *text,
    const char *actions_json, mx_err *err)
{
	int rc = mx_store_alert_remove(op->st, op->d.id, kind, subject, err);
	if (rc)
		return rc;
	mx_alert a;
	memset(&a, 0, sizeof a);
	snprintf(a.kind, sizeof a.kind, "%s", kind);
	snprintf(a.subject, sizeof a.subject, "%s", subject ? subject : "");
	snprintf(a.title, sizeof a.title, "%s", title);
	snprintf(a.text, sizeof a.text, "%s", text);
	snprintf(a.actions, sizeof a.actions, "%s", actions_json ? actions_json : "[\"OK\"]");
	a.time = op->now;
	return mx_store_alert_add(op->st, op->d.id, &a, err);
}

const char *
eng_trust_anchor(mx_op *op, char *buf, size_t len)
{
	if (op->d.trust_anchor[0] == '\0')
		return NULL;
	if (mx_cas_path(op->st, op->d.trust_anchor, buf, len, NULL) != 0)
		return NULL;
	return buf;
}

static void
replace_in(char *s, size_t cap, const char *from, const char *to)
{
	size_t fl = strlen(from);
	if (fl == 0)
		return;
	char out[1024];
	size_t o = 0;
	for (const char *p = s; *p && o + 1 < sizeof out;) {
		if (strncmp(p, from, fl) == 0) {
			int n = snprintf(out + o, sizeof out - o, "%s", to);
			o = n < 0 ? o : o + (size_t)n >= sizeof out ? sizeof out - 1 : o + (size_t)n;
			p += fl;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
	snprintf(s, cap, "%s", out);
}

void
eng_err_origin(mx_err *err, const char *stored, const char *origin)
{
	if (err == NULL || stored == NULL || origin == NULL)
		return;
	replace_in(err->msg, sizeof err->msg, stored, origin);
	replace_in(err->where, sizeof err->where, stored, origin);
}

int
eng_read_stored(const char *path, size_t cap, uint8_t **out, size_t *len, mx_err *err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s: %s", path, strerror(errno));
	struct stat sb;
	if (fstat(fileno(f), &sb) != 0 || sb.st_size < 0 || (uint64_t)sb.st_size > cap) {
		fclose(f);
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: larger than %zu bytes", path, cap);
	}
	*out = mx_xmalloc((size_t)sb.st_size + 1);
	*len = fread(*out, 1, (size_t)sb.st_size, f);
	fclose(f);
	return 0;
}

void
eng_random32(mx_op *op, uint8_t out[32])
{
	mx_engine_random(op->e, out, 32);
}

void
eng_uuid(mx_op *op, char out[37])
{
	mx_engine_uuid(op->e, out);
}

const char *
eng_cred_user(const char *cred, char *buf, size_t len)
{
	const char *c = cred ? strchr(cred, ':') : NULL;
	if (c == NULL)
		snprintf(buf, len, "%s", "unknown");
	else
		snprintf(buf, len, "%.*s", (int)(c - cred), cred);
	return buf;
}

/* ---- imports ---- */

void (*eng_import_hook)(const char *stored, const char *source);

int
mx_engine_import_bundle(mx_engine *e, const char *host_path, char out_hash[65], mx_err *err)
{
	/* mx_cas_put_tree reads each source file once, hashes exactly those
	 * bytes and writes them: the stored copy is what its name says */
	return mx_cas_put_tree(e->st, host_path, out_hash, err);
}
