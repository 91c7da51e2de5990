/*
 * strmap.h — a set of byte strings with a value each, for the merges and
 * duplicate checks over untrusted lists (issue 14 §8: allow lists of
 * 100,000 entries, profiles of 40,000 payloads).  A hash table with linear
 * probing over entries kept in insertion order: an insert or a lookup is
 * O(1) expected.  The hash is SipHash-2-4 under a key drawn at random once
 * per process, so no input can be crafted to collide (what is slow for one
 * run is not for the next); the results never depend on the key, only the
 * time does.  Keys are copied, into blocks the map owns: a key's bytes
 * (NUL-terminated) stay where they are until mx_strmap_free, so callers
 * may keep pointers to them.  Owner: src/formats/strmap.c.
 */
#ifndef MACEXT_STRMAP_H
#define MACEXT_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mx_strmap_ent { const char *k; size_t kl; int64_t val; } mx_strmap_ent;

/* Bytes copied into blocks that never move, freed all at once. */
struct mx_strmap_block;
typedef struct mx_arena { struct mx_strmap_block *b; } mx_arena;
/* A copy of k[0..kl) with a NUL after it. */
char *mx_arena_copy(mx_arena *a, const void *k, size_t kl);
void mx_arena_free(mx_arena *a);        /* and back to empty */

typedef struct mx_strmap_slot { uint32_t at, tag; } mx_strmap_slot;

typedef struct mx_strmap {
	mx_strmap_ent *v;       /* n entries, in the order they were added */
	size_t n, cap;
	uint64_t *h;            /* h[i]: the hash of v[i].k */
	/* nslot (a power of two) slots: at 0 empty, else index + 1; tag the
	 * hash's high half, so a probe past another key reads no entry */
	mx_strmap_slot *slot;
	size_t nslot;
	mx_arena keys;          /* the key bytes */
	uint64_t cmps;          /* key comparisons made by mx_strmap_add (tests read it) */
} mx_strmap;

void mx_strmap_init(mx_strmap *m);
void mx_strmap_free(mx_strmap *m);      /* and back to empty */
/* Adds k[0..kl) with val unless k is there already: then false, and
 * *existing (may be NULL) gets the value the first add gave it. */
bool mx_strmap_add(mx_strmap *m, const void *k, size_t kl, int64_t val, int64_t *existing);
/* The same without copying k: the caller keeps k[0..kl) (NUL after it or
 * not) where it is, unchanged, until the map is freed. */
bool mx_strmap_add_ref(mx_strmap *m, const void *k, size_t kl, int64_t val, int64_t *existing);
/* Room for n entries in all without growing (a hint: adds work past it). */
void mx_strmap_reserve(mx_strmap *m, size_t n);
/* Is k there?  *val (may be NULL) gets its value. */
bool mx_strmap_get(const mx_strmap *m, const void *k, size_t kl, int64_t *val);
/* The same for a C string. */
bool mx_strmap_add_str(mx_strmap *m, const char *k, int64_t val);
bool mx_strmap_has_str(const mx_strmap *m, const char *k);
size_t mx_strmap_count(const mx_strmap *m);
/* Entry i (0 <= i < count), in the order added; borrowed. */
const mx_strmap_ent *mx_strmap_at(const mx_strmap *m, size_t i);

#endif
