/*
 * strmap.h — a set of byte strings with a value each, for the merges and
 * duplicate checks over untrusted lists (issue 14 §8: allow lists of
 * 100,000 entries, profiles of 40,000 payloads).  A hash table with linear
 * probing over entries kept in insertion order: an insert or a lookup is
 * O(1) expected.  The hash is SipHash-2-4 under a key drawn at random once
 * per process, so no input can be crafted to collide (what is slow for one
 * run is not for the next); the results never depend on the key, only the
 * time does.  Keys are copied.  Owner: src/formats/strmap.c.
 */
#ifndef MACEXT_STRMAP_H
#define MACEXT_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mx_strmap_ent { char *k; size_t kl; int64_t val; } mx_strmap_ent;

typedef struct mx_strmap {
	mx_strmap_ent *v;       /* n entries, in the order they were added */
	size_t n, cap;
	uint64_t *h;            /* h[i]: the hash of v[i].k */
	uint32_t *slot;         /* nslot (a power of two) slots: 0 empty, else index + 1 */
	size_t nslot;
	uint64_t cmps;          /* key comparisons made by mx_strmap_add (tests read it) */
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
/* Entry i (0 <= i < count), in the order added; borrowed. */
const mx_strmap_ent *mx_strmap_at(const mx_strmap *m, size_t i);

#endif
