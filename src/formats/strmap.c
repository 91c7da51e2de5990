/*
 * strmap.c — the string set of strmap.h: entries in insertion order, an
 * open-addressing index of them (linear probing, at most half full; each
 * slot holds half of its key's hash, so a probe reads entries only on a
 * likely match), the keys' bytes in blocks of their own, keyed
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

/* Key bytes live in blocks of at least BLOCK bytes, never moved: a
 * 530,000-entry allow list was 530,000 mallocs and frees (issue 14 §8). */
#define BLOCK (64 * 1024)
struct mx_strmap_block {
	struct mx_strmap_block *next;
	size_t used, size;
	char bytes[];
};

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
	mx_arena_free(&m->keys);
	free(m->v);
	free(m->h);
	free(m->slot);
	memset(m, 0, sizeof *m);
}

char *
mx_arena_copy(mx_arena *a, const void *k, size_t kl)
{
	struct mx_strmap_block *b = a->b;
	if (b == NULL || b->size - b->used < kl + 1) {
		size_t size = kl + 1 > BLOCK ? kl + 1 : BLOCK;
		b = mx_xmalloc(sizeof *b + size);
		b->used = 0;
		b->size = size;
		b->next = a->b;
		a->b = b;
	}
	char *copy = b->bytes + b->used;
	b->used += kl + 1;
	if (kl)
		memcpy(copy, k, kl);
	copy[kl] = '\0';
	return copy;
}

void
mx_arena_free(mx_arena *a)
{
	for (struct mx_strmap_block *b = a->b, *next; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->b = NULL;
}

static uint32_t
tag_of(uint64_t h)
{
	return (uint32_t)(h >> 32);
}

/* The slot of k: where it is, or the empty slot where it would go. */
static size_t
probe(const mx_strmap *m, const void *k, size_t kl, uint64_t h, uint64_t *cmps)
{
	size_t mask = m->nslot - 1;
	uint32_t tag = tag_of(h);
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		const mx_strmap_slot *s = &m->slot[i];
		if (s->at == 0)
			return i;
		if (s->tag != tag)
			continue;
		const mx_strmap_ent *e = &m->v[s->at - 1];
		if (m->h[s->at - 1] == h && e->kl == kl) {
			if (cmps)
				(*cmps)++;
			if (kl == 0 || memcmp(e->k, k, kl) == 0)
				return i;
		}
	}
}

/* An index of at least 2 * want slots (at most half full), rebuilt. */
static void
index_for(mx_strmap *m, size_t want)
{
	if (m->nslot >= 2 * want)
		return;
	size_t ns = m->nslot ? m->nslot * 2 : 32;
	while (ns < 2 * want)
		ns *= 2;
	free(m->slot);
	m->slot = mx_xcalloc(ns, sizeof *m->slot);
	m->nslot = ns;
	for (size_t i = 0; i < m->n; i++) {
		size_t mask = ns - 1, at = (size_t)m->h[i] & mask;
		while (m->slot[at].at != 0)
			at = (at + 1) & mask;
		m->slot[at] = (mx_strmap_slot){ (uint32_t)(i + 1), tag_of(m->h[i]) };
	}
}

static void
entries_for(mx_strmap *m, size_t want)
{
	if (want <= m->cap)
		return;
	size_t cap = m->cap ? m->cap : 16;
	while (cap < want)
		cap *= 2;
	m->v = mx_xrealloc(m->v, cap * sizeof *m->v);
	m->h = mx_xrealloc(m->h, cap * sizeof *m->h);
	m->cap = cap;
}

void
mx_strmap_reserve(mx_strmap *m, size_t n)
{
	if (n >= UINT32_MAX - 1)
		return;
	entries_for(m, n);
	index_for(m, n + 1);
}

bool
mx_strmap_get(const mx_strmap *m, const void *k, size_t kl, int64_t *val)
{
	if (m->n == 0)
		return false;
	uint32_t s = m->slot[probe(m, k, kl, hash(k, kl), NULL)].at;
	if (s != 0 && val)
		*val = m->v[s - 1].val;
	return s != 0;
}

static bool
add(mx_strmap *m, const void *k, size_t kl, int64_t val, int64_t *existing, bool copy)
{
	if (m->n >= UINT32_MAX - 1)
		abort();        /* 4 billion keys: no input of macext gets near */
	index_for(m, m->n + 1);
	uint64_t h = hash(k, kl);
	size_t at = probe(m, k, kl, h, &m->cmps);
	if (m->slot[at].at != 0) {
		if (existing)
			*existing = m->v[m->slot[at].at - 1].val;
		return false;
	}
	entries_for(m, m->n + 1);
	m->v[m->n] = (mx_strmap_ent){ copy ? mx_arena_copy(&m->keys, k, kl) : (const char *)k, kl, val };
	m->h[m->n] = h;
	m->slot[at] = (mx_strmap_slot){ (uint32_t)(++m->n), tag_of(h) };
	return true;
}

bool
mx_strmap_add(mx_strmap *m, const void *k, size_t kl, int64_t val, int64_t *existing)
{
	return add(m, k, kl, val, existing, true);
}

bool
mx_strmap_add_ref(mx_strmap *m, const void *k, size_t kl, int64_t val, int64_t *existing)
{
	return add(m, k, kl, val, existing, false);
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
