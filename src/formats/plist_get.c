/*
 * plist_get.c — typed access to a parsed property list: the type names
 * messages use and the dictionary getters that check a value's type
 * before handing it out (kext_tools' CFGetTypeID rule, STYLE.md), each
 * failure naming the file and key path: "x.mobileconfig:
 * PayloadContent[0].AllowedTeamIdentifiers: expected array, got string".
 */
#include <stdio.h>
#include <string.h>

#include "formats/plist_int.h"
#include "macext/plist_util.h"

/* ---- typed access ---- */

const char *
mx_plist_type_name(plist_t node)
{
	if (node == NULL)
		return "nothing";
	switch (plist_get_node_type(node)) {
	case PLIST_BOOLEAN: return "boolean";
	case PLIST_UINT:    return "integer";
	case PLIST_REAL:    return "real";
	case PLIST_STRING:  return "string";
	case PLIST_ARRAY:   return "array";
	case PLIST_DICT:    return "dictionary";
	case PLIST_DATE:    return "date";
	case PLIST_DATA:    return "data";
	case PLIST_KEY:     return "key";
	case PLIST_UID:     return "uid";
	default:            return "unknown";
	}
}

static const char *
want_name(plist_type t)
{
	switch (t) {
	case PLIST_BOOLEAN: return "boolean";
	case PLIST_UINT:    return "integer";
	case PLIST_REAL:    return "real";
	case PLIST_STRING:  return "string";
	case PLIST_ARRAY:   return "array";
	case PLIST_DICT:    return "dictionary";
	case PLIST_DATE:    return "date";
	case PLIST_DATA:    return "data";
	default:            return "value";
	}
}

int
mx_plist_expect(plist_t node, plist_type want, const char *name, const char *path, mx_err *err)
{
	if (node != NULL && plist_get_node_type(node) == want)
		return 0;
	return mx_plist_failp(err, MX_EINVALID, MX_NO_OFFSET, name, path, "expected %s, got %s",
	    want_name(want), mx_plist_type_name(node));
}

int
mx_plist_get_node(plist_t *out, plist_t dict, const char *key, plist_type want, bool required,
    const char *name, const char *path, mx_err *err)
{
	plist_t v = dict ? plist_dict_get_item(dict, key) : NULL;
	if (v != NULL && plist_get_node_type(v) == want) {
		*out = v;
		return 0;
	}
	if (v == NULL && !required)
		return 0;
	char kp[256];   /* only for the message */
	mx_path_key(kp, sizeof kp, path, key);
	if (v == NULL)
		return mx_plist_failp(err, MX_EINVALID, MX_NO_OFFSET, name, kp, "required key missing");
	return mx_plist_expect(v, want, name, kp, err);
}

int
mx_plist_get_string(const char **out, plist_t dict, const char *key, bool required,
    const char *name, const char *path, mx_err *err)
{
	plist_t v = NULL;
	int rc = mx_plist_get_node(&v, dict, key, PLIST_STRING, required, name, path, err);
	if (rc == 0 && v != NULL)
		*out = mx_plist_str(v);
	return rc;
}

int
mx_plist_get_bool(bool *out, plist_t dict, const char *key, bool required,
    const char *name, const char *path, mx_err *err)
{
	plist_t v = NULL;
	int rc = mx_plist_get_node(&v, dict, key, PLIST_BOOLEAN, required, name, path, err);
	if (rc == 0 && v != NULL) {
		uint8_t b = 0;
		plist_get_bool_val(v, &b);
		*out = b != 0;
	}
	return rc;
}

int
mx_plist_get_int(int64_t *out, plist_t dict, const char *key, bool required,
    const char *name, const char *path, mx_err *err)
{
	plist_t v = NULL;
	int rc = mx_plist_get_node(&v, dict, key, PLIST_UINT, required, name, path, err);
	if (rc == 0 && v != NULL) {
		uint64_t u = 0;
		plist_get_uint_val(v, &u);
		*out = (int64_t)u;   /* libplist 2.2 keeps negative integers two's-complement */
	}
	return rc;
}

const char *
mx_plist_str(plist_t node)
{
	if (node == NULL || plist_get_node_type(node) != PLIST_STRING)
		return NULL;
	uint64_t n = 0;
	return plist_get_string_ptr(node, &n);
}
