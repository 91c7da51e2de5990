/*
 * plist_util.h — property lists read safely on top of libplist 2.2.
 *
 * libplist 2.2 trusts its input more than we can: it overwrites duplicate
 * dictionary keys silently, recurses without a depth limit (a deeply nested
 * XML or binary plist overflows the stack) and copies shared binary objects
 * (a small DAG expands exponentially).  mx_plist_parse therefore scans the
 * bytes itself first (src/formats/plist.c) and only hands libplist input
 * that is bounded in size, depth and expansion and has no duplicate keys.
 * Owner: the profiles module.
 */
#ifndef MACEXT_PLIST_UTIL_H
#define MACEXT_PLIST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <plist/plist.h>

#include "macext/err.h"

#define MX_PLIST_MAX_BYTES (16u << 20)   /* bigger input: MX_ETOOBIG */
#define MX_PLIST_MAX_DEPTH 512           /* nested arrays/dicts: MX_EFORMAT */
#define MX_PLIST_MAX_NODES 1000000u      /* nodes after expanding shared binary objects */
/* libplist 2.2's XML reader inserts each dict key with a linear search:
 * 100,000 keys take 0.85 s, 400,000 take 14 s.  Real profiles stay far
 * below this cap; an XML dict over it is MX_EFORMAT. */
#define MX_PLIST_MAX_DICT_KEYS 8192

/* Parses an XML plist (leading whitespace and a UTF-8 BOM accepted) or a
 * binary plist ("bplist00") in buf[0..len).  name prefixes every message.
 * On success *out (any node type) belongs to the caller (plist_free); on
 * failure *out is NULL and err names the file and the key path or offset. */
int mx_plist_parse(plist_t *out, const uint8_t *buf, size_t len, const char *name,
    mx_err *err);
/* Writes root as a binary plist (bplist00) in time linear in its size
 * (plist_write.c; libplist 2.2's plist_to_bin is quadratic).  On success
 * *out is malloc'd (*len bytes); MX_EFORMAT for a string that is not
 * UTF-8 or nesting past MX_PLIST_MAX_DEPTH. */
int mx_plist_to_bin(plist_t root, uint8_t **out, size_t *len, mx_err *err);
/* Replaces *root by a copy whose arrays and dicts carry libplist's lookup
 * indexes (a tree read by plist_from_bin has none: plist_array_get_item
 * and plist_dict_get_item then cost a walk each).  mx_plist_parse does
 * this for binary input. */
int mx_plist_index(plist_t *root, mx_err *err);
/* Checks a tree from any source: depth <= MX_PLIST_MAX_DEPTH, node count
 * <= MX_PLIST_MAX_NODES. */
int mx_plist_check_tree(plist_t root, const char *name, mx_err *err);

/* "string", "integer", "real", "boolean", "date", "data", "array",
 * "dictionary", "uid"; "nothing" for NULL. */
const char *mx_plist_type_name(plist_t node);

/* Fails (MX_EINVALID, where "NAME: PATH") unless node has type want:
 * "x.mobileconfig: PayloadContent[0].AllowedTeamIdentifiers: expected array, got string". */
int mx_plist_expect(plist_t node, plist_type want, const char *name, const char *path,
    mx_err *err);
/* Typed dictionary getters.  path is the dictionary's own key path ("" for
 * the root); the message names path.key.  A missing key is an error when
 * required, else *out is left unchanged and 0 returned. */
int mx_plist_get_string(const char **out, plist_t dict, const char *key, bool required,
    const char *name, const char *path, mx_err *err);   /* borrowed */
int mx_plist_get_bool(bool *out, plist_t dict, const char *key, bool required,
    const char *name, const char *path, mx_err *err);
int mx_plist_get_int(int64_t *out, plist_t dict, const char *key, bool required,
    const char *name, const char *path, mx_err *err);
int mx_plist_get_node(plist_t *out, plist_t dict, const char *key, plist_type want,
    bool required, const char *name, const char *path, mx_err *err);

/* The string value of a PLIST_STRING node (borrowed), or NULL. */
const char *mx_plist_str(plist_t node);
/* Joins a key path: "A" + "B" = "A.B", "" + "B" = "B"; index: "A[3]". */
void mx_path_key(char *out, size_t len, const char *path, const char *key);
void mx_path_index(char *out, size_t len, const char *path, size_t i);

#endif
