/*
 * agent_keys.c — the identity key pool (agent.h mx_agent_keys_generate):
 * RSA keys generated ahead on every core and kept in the state store like
 * the other device secrets (mdm_keys, store_mdm.h), so an enrolment costs a
 * SCEP round trip instead of 0.1-0.2 s of RSA generation.  Workers hand
 * DER keys (heap buffers, wiped after use) to the calling thread, which
 * stores them 64 per transaction.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <unistd.h>

#include "daemon/agent_int.h"

#define BATCH 64

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int bits;
	atomic_int left;           /* keys still to generate */
	struct key { uint8_t *der; size_t len; struct key *next; } *ready;
	int nready;
	bool failed;
};

static void *
gen_main(void *arg)
{
	struct pool *p = arg;
	while (atomic_fetch_sub(&p->left, 1) > 0) {
		EVP_PKEY *k = EVP_RSA_gen((unsigned)p->bits);
		PKCS8_PRIV_KEY_INFO *p8 = k ? EVP_PKEY2PKCS8(k) : NULL;
		unsigned char *d = NULL;
		int n = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, &d) : -1;
		PKCS8_PRIV_KEY_INFO_free(p8);
		EVP_PKEY_free(k);
		struct key *key = NULL;
		if (n > 0) {
			key = mx_xmalloc(sizeof *key);
			key->der = mx_xmalloc((size_t)n);
			memcpy(key->der, d, (size_t)n);
			key->len = (size_t)n;
			OPENSSL_clear_free(d, (size_t)n);
		}
		pthread_mutex_lock(&p->mu);
		if (key) {
			key->next = p->ready;
			p->ready = key;
			p->nready++;
		} else {
			p->failed = true;
		}
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

int
mx_agent_keys_generate(const char *dir, int n, int bits, int workers,
    const mx_agent_backend *be, void (*progress)(void *, int), void *arg, int *made, mx_err *err)
{
	*made = 0;
	if (be == NULL)
		be = mx_agent_engine_backend();
	if (bits != 1024 && bits != 2048 && bits != 4096)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--bits %d: 1024, 2048 or 4096", bits);
	void *ctx = NULL;
	int rc = be->open(&ctx, dir, err);
	if (rc)
		return rc;
	struct pool p = { .bits = bits };
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	atomic_store(&p.left, n);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int nw = workers > 0 ? workers : (ncpu > 0 ? (int)ncpu : 1);
	pthread_t *t = mx_xcalloc((size_t)nw, sizeof *t);
	for (int i = 0; i < nw; i++)
		pthread_create(&t[i], NULL, gen_main, &p);
	int stored = 0;
	while (rc == 0 && stored < n) {
		pthread_mutex_lock(&p.mu);
		while (p.nready < BATCH && p.nready + stored < n && !p.failed)
			pthread_cond_wait(&p.cv, &p.mu);
		struct key *batch = p.ready;
		int nb = p.nready;
		p.ready = NULL;
		p.nready = 0;
		bool failed = p.failed;
		pthread_mutex_unlock(&p.mu);
		if (failed && nb == 0) {
			rc = MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "RSA key generation failed");
			break;
		}
		if ((rc = be->batch_begin(ctx, err)) == 0) {
			for (struct key *k = batch; k && rc == 0; k = k->next)
				rc = mx_store_mdm_key_put(be->store(ctx), bits, k->der, k->len, err);
			if (rc == 0)
				rc = be->batch_commit(ctx, err);
			else
				be->batch_rollback(ctx);
		}
		while (batch) {
			struct key *nx = batch->next;
			OPENSSL_cleanse(batch->der, batch->len);
			free(batch->der);
			free(batch);
			batch = nx;
		}
		if (rc == 0) {
			stored += nb;
			if (progress)
				progress(arg, stored);
		}
	}
	atomic_store(&p.left, 0);
	for (int i = 0; i < nw; i++)
		pthread_join(t[i], NULL);
	for (struct key *k = p.ready, *nx; k; k = nx) {
		nx = k->next;
		OPENSSL_cleanse(k->der, k->len);
		free(k->der);
		free(k);
	}
	free(t);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
	be->close(ctx);
	*made = stored;
	return rc;
}

int
mx_agent_keys_count(const char *dir, int bits, const mx_agent_backend *be, int64_t *out,
    mx_err *err)
{
	*out = 0;
	if (be == NULL)
		be = mx_agent_engine_backend();
	void *ctx = NULL;
	int rc = be->open(&ctx, dir, err);
	if (rc == 0) {
		rc = mx_store_mdm_key_count(be->store(ctx), bits, out, err);
		be->close(ctx);
	}
	return rc;
}
