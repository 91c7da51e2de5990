/*
 * strmap.c — the sorted-runs string set of strmap.h.
 *
 * Layout: v[0..n) holds one sorted run per set bit of n, the largest first
 * (n = 13 = 8+4+1: v[0..8), v[8..12), v[12..13)).  An insert appends one
 * entry, then, while the two last runs have the same size, merges them,
 * exactly as adding 1 to a binary counter carries: every entry takes part
 * in at most log2 n merges.  A lookup binary-searches each run.  Keys
 * compare by bytes, then by length (a total order: the result never
 * depends on the input's arrangement, so no input is slow).  The Bloom
 * filter has 16 bits per key (two probes of one FNV-1a hash: about one
 * false "maybe" in 70) and is rebuilt at twice the size whenever the keys
 * outgrow it, so it costs O(1) amortised per key.
 */
#include <stdlib.h>
#include <string.h>

#include "macext/err.h"
#include "macext/strmap.h"

static int
cmp(const void *a, size_t al, const void *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	if (c != 0)
		return c;
	return al < bl ? -1 : al > bl;
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
	free(m->tmp);
	free(m->bloom);
	memset(m, 0, sizeof *m);
}

static uint64_t
fnv1a(const void *k, size_t kl)
{
	const uint8_t *p = k;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < kl; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

static void
bloom_set(mx_strmap *m, uint64_t h)
{
	uint64_t a = h & (m->nbits - 1), b = ((h >> 32) | 1) * 0x9e3779b97f4a7c15ull >> 7 &
	    (m->nbits - 1);
	m->bloom[a / 64] |= 1ull << (a % 64);
	m->bloom[b / 64] |= 1ull << (b % 64);
}

static bool
bloom_maybe(const mx_strmap *m, uint64_t h)
{
	if (m->bloom == NULL)
		return true;
	uint64_t a = h & (m->nbits - 1), b = ((h >> 32) | 1) * 0x9e3779b97f4a7c15ull >> 7 &
	    (m->nbits - 1);
	return (m->bloom[a / 64] >> (a % 64) & 1) && (m->bloom[b / 64] >> (b % 64) & 1);
}

/* Makes room for one more key: a filter of 16 bits per key, rebuilt from
 * every key when they outgrow it. */
static void
bloom_grow(mx_strmap *m)
{
	if (m->nbits >= 16 * (m->n + 1))
		return;
	size_t nb = m->nbits ? m->nbits * 2 : 1024;
	while (nb < 16 * (m->n + 1))
		nb *= 2;
	free(m->bloom);
	m->bloom = mx_xcalloc(nb / 64, sizeof *m->bloom);
	m->nbits = nb;
	for (size_t i = 0; i < m->n; i++)
		bloom_set(m, fnv1a(m->v[i].k, m->v[i].kl));
}

/* The run of size s at v[off..off+s): where k is, or -1. */
static long
run_find(const mx_strmap_ent *v, size_t off, size_t s, const void *k, size_t kl, uint64_t *cmps)
{
	size_t lo = off, hi = off + s;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp(v[mid].k, v[mid].kl, k, kl);
		if (cmps)
			(*cmps)++;
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static long
find(const mx_strmap *m, const void *k, size_t kl, uint64_t *cmps)
{
	size_t off = 0;
	/* the runs, largest first: the set bits of n from the top */
	for (size_t left = m->n; left != 0;) {
		size_t s = (size_t)1 << (63 - __builtin_clzll((unsigned long long)left));
		long at = run_find(m->v, off, s, k, kl, cmps);
		if (at >= 0)
			return at;
		off += s;
		left -= s;
	}
	return -1;
}

bool
mx_strmap_get(const mx_strmap *m, const void *k, size_t kl, int64_t *val)
{
	if (m->n == 0 || !bloom_maybe(m, fnv1a(k, kl)))
		return false;
	long at = find(m, k, kl, NULL);
	if (at >= 0 && val)
		*val = m->v[at].val;
	return at >= 0;
}

bool
mx_strmap_add(mx_strmap *m, const void *k, size_t kl, int64_t val, int64_t *existing)
{
	bloom_grow(m);
	uint64_t h = fnv1a(k, kl);
	long at = bloom_maybe(m, h) ? find(m, k, kl, &m->cmps) : -1;
	if (at >= 0) {
		if (existing)
			*existing = m->v[at].val;
		return false;
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->v = mx_xrealloc(m->v, m->cap * sizeof *m->v);
	}
	char *copy = mx_xmalloc(kl + 1);
	if (kl)
		memcpy(copy, k, kl);
	copy[kl] = '\0';
	m->v[m->n++] = (mx_strmap_ent){ copy, kl, val };
	bloom_set(m, h);
	/* carry: merge the two last runs while they have the same size */
	for (size_t s = 1; (m->n & (2 * s - 1)) == 0; s *= 2) {
		mx_strmap_ent *a = m->v + m->n - 2 * s, *b = m->v + m->n - s;
		if (m->tmpcap < 2 * s) {
			m->tmpcap = 2 * s;
			m->tmp = mx_xrealloc(m->tmp, m->tmpcap * sizeof *m->tmp);
		}
		size_t i = 0, j = 0, o = 0;
		while (i < s && j < s) {
			m->cmps++;
			m->tmp[o++] = cmp(a[i].k, a[i].kl, b[j].k, b[j].kl) <= 0 ? a[i++] : b[j++];
		}
		while (i < s)
			m->tmp[o++] = a[i++];
		while (j < s)
			m->tmp[o++] = b[j++];
		memcpy(a, m->tmp, 2 * s * sizeof *a);
	}
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
