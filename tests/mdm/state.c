/*
 * state.c — the server's enrollments, command queues, results and
 * cert-auth bindings, in memory, behind one mutex (mds_state.mu; callers
 * hold it).
 *
 * Semantics follow NanoMDM (micromdm/nanomdm storage/kv): a command is
 * stored once by CommandUUID and queued for each target enrollment; it
 * stays in the queue, handed out again on every poll, until a result other
 * than NotNow arrives (queue.go StoreCommandReport); NotNow marks it, and
 * the reply to that NotNow skips marked commands while an Idle or another
 * result does not (RetrieveNextCommand's skipNotNow).  Cert-auth keeps two
 * maps (certauth.go): enrollment → the sha256 of its identity, and every
 * sha256 ever bound → its enrollment, so a certificate once used by one
 * device is refused for another.  Hash tables grow by doubling; an
 * enrollment is about 1 KB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdms.h"

static uint64_t
fnv(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ull;
	}
	return h;
}

void
mds_state_init(mds_state *st, size_t body_cap)
{
	memset(st, 0, sizeof *st);
	pthread_mutex_init(&st->mu, NULL);
	st->ecap = 1024;
	st->etab = mds_xcalloc(st->ecap, sizeof *st->etab);
	st->ccap = 1024;
	st->ctab = mds_xcalloc(st->ccap, sizeof *st->ctab);
	st->hcap = 1024;
	st->htab = mds_xcalloc(st->hcap, sizeof *st->htab);
	st->body_cap = body_cap;
}

static void
free_delivery(mds_delivery *d)
{
	free(d->result);
	free(d->viols);
	free(d);
}

void
mds_state_free(mds_state *st)
{
	for (size_t i = 0; i < st->ccap; i++) {
		mds_cmd *c = st->ctab[i];
		while (c) {
			mds_cmd *n = c->hnext;
			mds_delivery *d = c->deliveries;
			while (d) {
				mds_delivery *dn = d->cnext;
				free_delivery(d);
				d = dn;
			}
			free(c->xml);
			free(c);
			c = n;
		}
	}
	for (mds_enr *e = st->ehead; e;) {
		mds_enr *n = e->lnext;
		free(e->bootstrap);
		free(e);
		e = n;
	}
	for (size_t i = 0; i < st->hcap; i++) {
		struct mds_certent *h = st->htab[i];
		while (h) {
			struct mds_certent *n = h->next;
			free(h);
			h = n;
		}
	}
	free(st->etab);
	free(st->ctab);
	free(st->htab);
	pthread_mutex_destroy(&st->mu);
	memset(st, 0, sizeof *st);
}

static void
grow_enr(mds_state *st)
{
	size_t cap = st->ecap * 2;
	mds_enr **t = mds_xcalloc(cap, sizeof *t);
	for (mds_enr *e = st->ehead; e; e = e->lnext) {
		size_t b = fnv(e->id, strlen(e->id)) & (cap - 1);
		e->hnext = t[b];
		t[b] = e;
	}
	free(st->etab);
	st->etab = t;
	st->ecap = cap;
}

mds_enr *
mds_state_enr(mds_state *st, const char *id, bool create)
{
	size_t n = strlen(id);
	size_t b = fnv(id, n) & (st->ecap - 1);
	for (mds_enr *e = st->etab[b]; e; e = e->hnext)
		if (strcmp(e->id, id) == 0)
			return e;
	if (!create || n >= sizeof ((mds_enr *)0)->id)
		return NULL;
	if (st->en + 1 > st->ecap / 2) {
		grow_enr(st);
		b = fnv(id, n) & (st->ecap - 1);
	}
	mds_enr *e = mds_xcalloc(1, sizeof *e);
	memcpy(e->id, id, n + 1);
	e->hnext = st->etab[b];
	st->etab[b] = e;
	if (st->etail)
		st->etail->lnext = e;
	else
		st->ehead = e;
	st->etail = e;
	st->en++;
	return e;
}

mds_cmd *
mds_state_cmd(mds_state *st, const char *uuid)
{
	size_t b = fnv(uuid, strlen(uuid)) & (st->ccap - 1);
	for (mds_cmd *c = st->ctab[b]; c; c = c->hnext)
		if (strcmp(c->uuid, uuid) == 0)
			return c;
	return NULL;
}

static void
grow_cmd(mds_state *st)
{
	size_t cap = st->ccap * 2;
	mds_cmd **t = mds_xcalloc(cap, sizeof *t);
	for (size_t i = 0; i < st->ccap; i++) {
		mds_cmd *c = st->ctab[i];
		while (c) {
			mds_cmd *n = c->hnext;
			size_t b = fnv(c->uuid, strlen(c->uuid)) & (cap - 1);
			c->hnext = t[b];
			t[b] = c;
			c = n;
		}
	}
	free(st->ctab);
	st->ctab = t;
	st->ccap = cap;
}

mds_cmd *
mds_state_cmd_new(mds_state *st, const char *uuid, const char *reqtype, uint8_t *xml, size_t len)
{
	if (st->cn + 1 > st->ccap / 2)
		grow_cmd(st);
	mds_cmd *c = mds_xcalloc(1, sizeof *c);
	snprintf(c->uuid, sizeof c->uuid, "%s", uuid);
	snprintf(c->reqtype, sizeof c->reqtype, "%s", reqtype);
	c->xml = xml;
	c->len = len;
	c->enqueued = mds_now();
	size_t b = fnv(c->uuid, strlen(c->uuid)) & (st->ccap - 1);
	c->hnext = st->ctab[b];
	st->ctab[b] = c;
	st->cn++;
	return c;
}

mds_delivery *
mds_state_enqueue(mds_state *st, mds_cmd *c, mds_enr *e)
{
	(void)st;
	mds_delivery *d = mds_xcalloc(1, sizeof *d);
	d->cmd = c;
	d->enr = e;
	d->status = MDS_D_QUEUED;
	d->pending = true;
	d->cnext = c->deliveries;
	c->deliveries = d;
	d->qprev = e->qtail;
	if (e->qtail)
		e->qtail->qnext = d;
	else
		e->qhead = d;
	e->qtail = d;
	e->qlen++;
	return d;
}

void
mds_state_unlink(mds_enr *e, mds_delivery *d)
{
	if (!d->pending)
		return;
	if (d->qprev)
		d->qprev->qnext = d->qnext;
	else
		e->qhead = d->qnext;
	if (d->qnext)
		d->qnext->qprev = d->qprev;
	else
		e->qtail = d->qprev;
	d->qnext = d->qprev = NULL;
	d->pending = false;
	e->qlen--;
}

void
mds_state_clear_queue(mds_state *st, mds_enr *e)
{
	(void)st;
	while (e->qhead) {
		mds_delivery *d = e->qhead;
		mds_state_unlink(e, d);
		d->status = MDS_D_QUEUED;       /* never answered: stays in the results as cleared */
	}
}

mds_delivery *
mds_state_next(mds_enr *e, bool skip_notnow)
{
	for (mds_delivery *d = e->qhead; d; d = d->qnext)
		if (!(skip_notnow && d->status == MDS_D_NOTNOW))
			return d;
	return NULL;
}

mds_delivery *
mds_state_find_delivery(mds_cmd *c, const mds_enr *e)
{
	for (mds_delivery *d = c->deliveries; d; d = d->cnext)
		if (d->enr == e)
			return d;
	return NULL;
}

static void
grow_cert(mds_state *st)
{
	size_t cap = st->hcap * 2;
	struct mds_certent **t = mds_xcalloc(cap, sizeof *t);
	for (size_t i = 0; i < st->hcap; i++) {
		struct mds_certent *h = st->htab[i];
		while (h) {
			struct mds_certent *n = h->next;
			size_t b = fnv(h->h, 32) & (cap - 1);
			h->next = t[b];
			t[b] = h;
			h = n;
		}
	}
	free(st->htab);
	st->htab = t;
	st->hcap = cap;
}

mds_enr *
mds_state_cert_owner(mds_state *st, const uint8_t h[32])
{
	size_t b = fnv(h, 32) & (st->hcap - 1);
	for (struct mds_certent *c = st->htab[b]; c; c = c->next)
		if (memcmp(c->h, h, 32) == 0)
			return c->e;
	return NULL;
}

void
mds_state_cert_bind(mds_state *st, mds_enr *e, const uint8_t h[32])
{
	memcpy(e->cert, h, 32);
	e->has_cert = true;
	if (mds_state_cert_owner(st, h) != NULL)
		return;
	if (st->hn + 1 > st->hcap / 2)
		grow_cert(st);
	struct mds_certent *c = mds_xcalloc(1, sizeof *c);
	memcpy(c->h, h, 32);
	c->e = e;
	size_t b = fnv(h, 32) & (st->hcap - 1);
	c->next = st->htab[b];
	st->htab[b] = c;
	st->hn++;
}

char *
mds_state_keep_body(mds_state *st, const uint8_t *p, size_t n)
{
	if (st->body_bytes + n > st->body_cap)
		return NULL;
	st->body_bytes += n;
	return mds_xstrndup((const char *)p, n);
}
