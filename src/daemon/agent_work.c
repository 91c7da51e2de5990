/*
 * agent_work.c — the MDM agent's queues and worker threads.  Crypto workers
 * (one per core by default) run RSA key generation, SCEP and Mdm-Signature
 * jobs; the store thread owns the agent's engine (its own SQLite
 * connection) and runs every device operation, draining its queue into one
 * batch transaction at a time (at most batch_max operations, each its own
 * savepoint), so a thousand devices' results cost one durable commit.
 * Finished jobs go back to the network thread, which a curl_multi_wakeup
 * rouses.  A job's effects are handed back only after its batch committed:
 * a result is never sent before it is durable.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "daemon/agent_int.h"

void
agent_queue_init(agent_queue *q)
{
	memset(q, 0, sizeof *q);
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
}

void
agent_queue_destroy(agent_queue *q)
{
	agent_job *j = q->head;
	while (j) {
		agent_job *n = j->next;
		agent_job_free(j);
		j = n;
	}
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
}

void
agent_queue_push(agent_queue *q, agent_job *j)
{
	j->next = NULL;
	pthread_mutex_lock(&q->mu);
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->n++;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

agent_job *
agent_queue_pop(mx_agent *a, agent_queue *q)
{
	pthread_mutex_lock(&q->mu);
	while (q->head == NULL && !atomic_load(&a->stop))
		pthread_cond_wait(&q->cv, &q->mu);
	agent_job *j = q->head;
	if (j) {
		q->head = j->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->n--;
		j->next = NULL;
	}
	pthread_mutex_unlock(&q->mu);
	return j;
}

agent_job *
agent_queue_take_all(agent_queue *q)
{
	pthread_mutex_lock(&q->mu);
	agent_job *j = q->head;
	q->head = q->tail = NULL;
	q->n = 0;
	pthread_mutex_unlock(&q->mu);
	return j;
}

/* Up to max jobs, waiting for the first. */
static agent_job *
take_batch(mx_agent *a, agent_queue *q, int max)
{
	pthread_mutex_lock(&q->mu);
	while (q->head == NULL && !atomic_load(&a->stop))
		pthread_cond_wait(&q->cv, &q->mu);
	agent_job *head = q->head, *last = NULL, *j = head;
	for (int n = 0; j && n < max; n++) {
		last = j;
		j = j->next;
		q->n--;
	}
	if (last)
		last->next = NULL;
	q->head = j;
	if (j == NULL)
		q->tail = NULL;
	pthread_mutex_unlock(&q->mu);
	return head;
}

agent_job *
agent_job_new(enum job_kind kind, agent_dev *d)
{
	agent_job *j = mx_xcalloc(1, sizeof *j);
	j->kind = kind;
	j->dev = d;
	return j;
}

void
agent_job_free(agent_job *j)
{
	if (j == NULL)
		return;
	/* inputs and outputs may hold key material */
	if (j->in)
		OPENSSL_cleanse(j->in, j->in_len);
	if (j->out)
		OPENSSL_cleanse(j->out, j->out_len);
	if (j->out2)
		OPENSSL_cleanse(j->out2, j->out2_len);
	free(j->in);
	free(j->out);
	free(j->out2);
	free(j->list);
	free(j);
}

void
agent_done(mx_agent *a, agent_job *j)
{
	agent_queue_push(&a->done_q, j);
	agent_net_wakeup(a);
}

void *
agent_crypto_main(void *arg)
{
	mx_agent *a = arg;
	agent_job *j;
	while ((j = agent_queue_pop(a, &a->crypto_q)) != NULL)
		agent_crypto_run(a, j);
	return NULL;
}

void *
agent_store_main(void *arg)
{
	mx_agent *a = arg;
	void *ctx = NULL;
	mx_err err;
	mx_err_clear(&err);
	int orc = a->be->open(&ctx, a->dir, &err);
	if (orc)
		agent_log(a, 1, "mdm agent: store: %s%s%s", err.where, err.where[0] ? ": " : "", err.msg);
	int max = a->o.batch_max > 0 ? a->o.batch_max : 256;
	agent_job *batch;
	while ((batch = take_batch(a, &a->store_q, max)) != NULL) {
		if (orc) {
			for (agent_job *j = batch, *n; j; j = n) {
				n = j->next;
				j->rc = orc;
				j->err = err;
				agent_done(a, j);
			}
			continue;
		}
		/* untrusted bytes are parsed before the transaction opens */
		for (agent_job *j = batch; j; j = j->next)
			agent_store_prepare(a, ctx, j);
		mx_err berr;
		mx_err_clear(&berr);
		int brc = a->be->batch_begin(ctx, &berr);
		for (agent_job *j = batch; j; j = j->next)
			if (brc == 0)
				agent_store_run(a, ctx, j);
		if (brc == 0)
			brc = a->be->batch_commit(ctx, &berr);
		for (agent_job *j = batch, *n; j; j = n) {
			n = j->next;
			if (brc) {
				/* nothing of the batch is durable: every job failed */
				j->rc = brc;
				j->err = berr;
			}
			agent_done(a, j);
		}
	}
	if (ctx)
		a->be->close(ctx);
	return NULL;
}
