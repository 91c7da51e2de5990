/*
 * strmap.c — the string set of strmap.h: entries in insertion order, an
 * open-addressing index of them (linear probing, at most half full), keyed
 * SipHash-2-4 (libsodium's crypto_shorthash) under a per-process random
 * key.  It replaced sorted runs merged like a binary counter with a Bloom
 * filter in front (n log n merging, ~1,700 instructions per insert: a
 * quarter of a 16 MiB allow list's install, issue 14 §8).
 */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "macext/err.h"
#include "macext/strmap.h"

static unsigned char hkey[crypto_shorthash_KEYBYTES];
static pthread_once_t hkey_once = PTHREAD_ONCE_INIT;

static void
hkey_init(void)
{
	randombytes_buf(hkey, sizeof hkey);
}

static uint64_t
hash(const void *k, size_t kl)
{
	unsigned char out[crypto_shorthash_BYTES];
	pthread_once(&hkey_once, hkey_init);
	crypto_shorthash(out, k, kl, hkey);
	uint64_t h;
	memcpy(&h, out, sizeof h);
	return h;
}

void
mx_strmap_init(mx_strmap *m)
{
	memset(m, 0, sizeof *m);
}

void
mx_strmap_free(mx_strmap *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].k);
	free(m->v);
	free(m->h);
	free(m->slot);
	memset(m, 0, sizeof *m);
}

/* The slot of k: where it is, or the empty slot where it would go. */
static size_t
probe(const mx_strmap *m, const void *k, size_t kl, uint64_t h, uint64_t *cmps)
{
	size_t mask = m->nslot - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		uint32_t s = m->slot[i];
		if (s == 0)
			return i;
		const mx_strmap_ent *e = &m->v[s - 1];
		if (m->h[s - 1] == h && e->kl == kl) {
			if (cmps)
				(*cmps)++;
			if (kl == 0 || memcmp(e->k, k, kl) == 0)
				return i;
		}
	}
}

/* Keeps the index at most half full: rebuilt at twice the size. */
static void
grow_index(mx_strmap *m)
{
	if (m->nslot >= 2 * (m->n + 1))
		return;
	size_t ns = m->nslot ? m->nslot * 2 : 32;
	while (ns < 2 * (m->n + 1))
		ns *= 2;
	free(m->slot);
	m->slot = mx_xcalloc(ns, sizeof *m->slot);
	m->nslot = ns;
	for (size_t i = 0; i < m->n; i++) {
		size_t mask = ns - 1, at = (size_t)m->h[i] & mask;
		while (m->slot[at] != 0)
			at = (at + 1) & mask;
		m->slot[at] = (uint32_t)(i + 1);
	}
}

bool
mx_strmap_get(const mx_strmap *m, const void *k, size_t kl, int64_t *val)
{
	if (m->n == 0)
		return false;
	uint32_t s = m->slot[probe(m, k, kl, hash(k, kl), NULL)];
	if (s != 0 && val)
		*val = m->v[s - 1].val;
	return s != 0;
}

bool
mx_strmap_add(mx_strmap *m, const void *k, size_t kl, int64_t val, int64_t *existing)
{
	if (m->n >= UINT32_MAX - 1)
		abort();        /* 4 billion keys: no input of macext gets near */
	grow_index(m);
	uint64_t h = hash(k, kl);
	size_t at = probe(m, k, kl, h, &m->cmps);
	if (m->slot[at] != 0) {
		if (existing)
			*existing = m->v[m->slot[at] - 1].val;
		return false;
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->v = mx_xrealloc(m->v, m->cap * sizeof *m->v);
		m->h = mx_xrealloc(m->h, m->cap * sizeof *m->h);
	}
	char *copy = mx_xmalloc(kl + 1);
	if (kl)
		memcpy(copy, k, kl);
	copy[kl] = '\0';
	m->v[m->n] = (mx_strmap_ent){ copy, kl, val };
	m->h[m->n] = h;
	m->slot[at] = (uint32_t)(++m->n);
	return true;
}

bool
mx_strmap_add_str(mx_strmap *m, const char *k, int64_t val)
{
	return mx_strmap_add(m, k, strlen(k), val, NULL);
}

bool
mx_strmap_has_str(const mx_strmap *m, const char *k)
{
	return mx_strmap_get(m, k, strlen(k), NULL);
}

size_t
mx_strmap_count(const mx_strmap *m)
{
	return m->n;
}

const mx_strmap_ent *
mx_strmap_at(const mx_strmap *m, size_t i)
{
	return i < m->n ? &m->v[i] : NULL;
}
