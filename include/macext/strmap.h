/*
 * strmap.h — a set of byte strings with a value each, for the merges and
 * duplicate checks over untrusted lists (issue 14 §8: allow lists of
 * 100,000 entries, profiles of 40,000 payloads).  Deterministic and with
 * no adversarial worst case: no hashing, sorted runs merged like a binary
 * counter (the "logarithmic method"): an insert costs O(log n) amortised
 * comparisons plus the duplicate lookup, a lookup O(log^2 n).  A Bloom
 * filter in front answers "certainly absent" for most new keys, so the
 * usual insert skips the lookup; crafted keys can only defeat the filter,
 * never the bound.  Keys are copied.  Owner: src/formats/strmap.c.
 */
#ifndef MACEXT_STRMAP_H
#define MACEXT_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mx_strmap_ent { char *k; size_t kl; int64_t val; } mx_strmap_ent;

typedef struct mx_strmap {
	mx_strmap_ent *v;       /* n entries: sorted runs of sizes the bits of n, largest first */
	size_t n, cap;
	mx_strmap_ent *tmp;     /* merge buffer */
	size_t tmpcap;
	uint64_t cmps;          /* key comparisons made by mx_strmap_add (tests read it) */
	uint64_t *bloom;        /* 2 bits set per key in nbits (a power of two) */
	size_t nbits;
} mx_strmap;

void mx_strmap_init(mx_strmap *m);
void mx_strmap_free(mx_strmap *m);      /* and back to empty */
/* Adds k[0..kl) with val unless k is there already: then false, and
 * *existing (may be NULL) gets the value the first add gave it. */
bool mx_strmap_add(mx_strmap *m, const void *k, size_t kl, int64_t val, int64_t *existing);
/* Is k there?  *val (may be NULL) gets its value. */
bool mx_strmap_get(const mx_strmap *m, const void *k, size_t kl, int64_t *val);
/* The same for a C string. */
bool mx_strmap_add_str(mx_strmap *m, const char *k, int64_t val);
bool mx_strmap_has_str(const mx_strmap *m, const char *k);
size_t mx_strmap_count(const mx_strmap *m);
/* Entry i (0 <= i < count), in no particular order; borrowed. */
const mx_strmap_ent *mx_strmap_at(const mx_strmap *m, size_t i);

#endif
