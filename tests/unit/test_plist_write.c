/*
 * test_plist_write.c — issue 14 §8: mx_plist_to_bin (the linear binary
 * writer that replaced libplist's quadratic plist_to_bin) writes what
 * libplist reads back as the same tree: every node type, every integer
 * width (negative and above 2^63), non-ASCII strings (UTF-16, surrogate
 * pairs), shared strings, counts past 15, empty containers, and every
 * vendor profile of ../shared/testdata.  Sameness is judged by libplist's
 * own XML rendering of both trees.  mx_plist_index keeps a tree the same
 * while giving it lookup indexes; the strmap under both keeps its
 * comparisons near n log^2 n.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cs_build.h"
#include "harness.h"
#include "macext/plist_util.h"
#include "macext/profile.h"
#include "macext/strmap.h"

static char *
xml_of(plist_t p)
{
	char *x = NULL;
	uint32_t n = 0;
	plist_to_xml(p, &x, &n);
	return x;
}

/* Writes p, reads it back, compares; returns 0 when the same. */
static int
round_trip(plist_t p, const char *what)
{
	uint8_t *bin = NULL;
	size_t len = 0;
	mx_err err = { 0 };
	if (mx_plist_to_bin(p, &bin, &len, &err) != 0) {
		mx_test_fail_at(__FILE__, __LINE__, "%s: %s", what, err.msg);
		return -1;
	}
	plist_t q = NULL;
	int rc = mx_plist_parse(&q, bin, len, what, &err);
	if (rc != 0) {
		mx_test_fail_at(__FILE__, __LINE__, "%s: re-read: %s %s", what, err.where, err.msg);
		free(bin);
		return -1;
	}
	char *a = xml_of(p), *b = xml_of(q);
	rc = a && b && strcmp(a, b) == 0 ? 0 : -1;
	if (rc != 0)
		mx_test_fail_at(__FILE__, __LINE__, "%s: the tree read back differs", what);
	free(a);
	free(b);
	plist_free(q);
	free(bin);
	return rc;
}

MX_TEST(plist_write_every_type)
{
	plist_t d = plist_new_dict();
	static const uint64_t ints[] = { 0, 1, 255, 256, 65535, 65536, 0xFFFFFFFFu, 0x100000000ull,
		(uint64_t)INT64_MAX, (uint64_t)-1, (uint64_t)INT64_MIN, 0x8000000000000001ull };
	plist_t ia = plist_new_array();
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
		plist_array_append_item(ia, plist_new_uint(ints[i]));
	plist_dict_set_item(d, "ints", ia);
	plist_dict_set_item(d, "t", plist_new_bool(1));
	plist_dict_set_item(d, "f", plist_new_bool(0));
	plist_dict_set_item(d, "real", plist_new_real(-1.25e-7));
	plist_dict_set_item(d, "nan", plist_new_real(NAN));
	plist_dict_set_item(d, "inf", plist_new_real(-INFINITY));
	plist_dict_set_item(d, "date", plist_new_date(757382400, 0));     /* 2025-01-01 */
	plist_dict_set_item(d, "past", plist_new_date(-978307200, 0));    /* 1970 */
	plist_dict_set_item(d, "data", plist_new_data("\x00\x01\xff", 3));
	plist_dict_set_item(d, "empty_data", plist_new_data("", 0));
	plist_dict_set_item(d, "long data", plist_new_data("0123456789abcdefghij", 20));
	plist_dict_set_item(d, "uni", plist_new_string("Caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
	plist_dict_set_item(d, "long string over fifteen", plist_new_string("a string of more than 15"));
	plist_dict_set_item(d, "shared", plist_new_string("uni"));    /* equal to a key */
	plist_dict_set_item(d, "empty_string", plist_new_string(""));
	plist_dict_set_item(d, "empty_array", plist_new_array());
	plist_dict_set_item(d, "empty_dict", plist_new_dict());
	plist_dict_set_item(d, "uid", plist_new_uid(70000));
	plist_t big = plist_new_array();
	for (int i = 0; i < 300; i++) {
		plist_t e = plist_new_dict();
		char k[32];
		snprintf(k, sizeof k, "k%d", i % 20);
		plist_dict_set_item(e, k, plist_new_string(k));
		plist_dict_set_item(e, "n", plist_new_uint((uint64_t)i));
		plist_array_append_item(big, e);
	}
	plist_dict_set_item(d, "big", big);
	round_trip(d, "every type");
	plist_free(d);
	/* scalars alone at the top */
	plist_t s = plist_new_string("top");
	round_trip(s, "top string");
	plist_free(s);
}

MX_TEST(plist_write_vendor_profiles)
{
	const char *td = mx_testdata();
	if (td == NULL) {
		mx_test_skip("../shared/testdata is absent");
		return;
	}
	char dir[600];
	snprintf(dir, sizeof dir, "%s/profiles", td);
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".mobileconfig") == NULL)
			continue;
		char path[1200];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		mx_profile *p = NULL;
		mx_err err = { 0 };
		if (mx_profile_read_file(&p, path, &err) != 0) {
			mx_test_fail_at(__FILE__, __LINE__, "%s: %s", de->d_name, err.msg);
			continue;
		}
		round_trip(mx_profile_root(p), de->d_name);
		/* the profile reader accepts its own binary form */
		uint8_t *bin = NULL;
		size_t bl = 0;
		CHECK_EQ_INT(mx_profile_to_bin(p, &bin, &bl, &err), 0);
		mx_profile *q = NULL;
		CHECK_EQ_INT(mx_profile_read(&q, bin, bl, de->d_name, &err), 0);
		if (q != NULL)
			CHECK_EQ_STR(mx_profile_identifier(q), mx_profile_identifier(p));
		mx_profile_free(q);
		free(bin);
		mx_profile_free(p);
		n++;
	}
	if (d)
		closedir(d);
	CHECK(n >= 10);
}

MX_TEST(plist_index_keeps_the_tree)
{
	/* a binary plist with a 2,000-item array and a 1,000-key dict */
	plist_t d = plist_new_dict(), a = plist_new_array(), k = plist_new_dict();
	for (int i = 0; i < 2000; i++)
		plist_array_append_item(a, plist_new_uint((uint64_t)i));
	for (int i = 0; i < 1000; i++) {
		char key[16];
		snprintf(key, sizeof key, "key%d", i);
		plist_dict_set_item(k, key, plist_new_uint((uint64_t)i));
	}
	plist_dict_set_item(d, "a", a);
	plist_dict_set_item(d, "k", k);
	uint8_t *bin = NULL;
	size_t len = 0;
	mx_err err = { 0 };
	CHECK_EQ_INT(mx_plist_to_bin(d, &bin, &len, &err), 0);
	plist_t q = NULL;
	CHECK_EQ_INT(mx_plist_parse(&q, bin, len, "b", &err), 0);   /* indexes it */
	if (q != NULL) {
		uint64_t v = 0;
		plist_get_uint_val(plist_array_get_item(plist_dict_get_item(q, "a"), 1999), &v);
		CHECK_EQ_INT(v, 1999);
		plist_get_uint_val(plist_dict_get_item(plist_dict_get_item(q, "k"), "key777"), &v);
		CHECK_EQ_INT(v, 777);
		char *x1 = xml_of(d), *x2 = xml_of(q);
		CHECK(x1 && x2 && strcmp(x1, x2) == 0);
		free(x1);
		free(x2);
	}
	plist_free(q);
	plist_free(d);
	free(bin);
}

MX_TEST(strmap_cost_and_semantics)
{
	mx_strmap m;
	mx_strmap_init(&m);
	enum { N = 1 << 16 };
	for (int i = 0; i < N; i++) {
		char k[24];
		snprintf(k, sizeof k, "T%09d", (i * 7919) % N);   /* a permutation */
		CHECK(mx_strmap_add_str(&m, k, i));
	}
	/* duplicates keep the first value */
	int64_t v = -1;
	CHECK(!mx_strmap_add(&m, "T000000000", 10, 99, &v));
	CHECK_EQ_INT(v, 0);
	CHECK_EQ_INT(mx_strmap_count(&m), N);
	CHECK(mx_strmap_has_str(&m, "T000065535"));
	CHECK(!mx_strmap_has_str(&m, "T000065536"));
	CHECK(!mx_strmap_has_str(&m, "T00000000"));     /* a prefix is another key */
	/* O(1) per insert, not a scan: a key is compared only with keys of the
	 * same 64-bit hash and length (none here, but the duplicate's own
	 * match), where a list scanned per insert would need ~2^31 */
	CHECK(m.cmps <= 2);
	/* entries come back in the order they were added, keys copied whole */
	for (size_t i = 0; i < 5; i++) {
		char k[24];
		snprintf(k, sizeof k, "T%09d", (int)((i * 7919) % N));
		const mx_strmap_ent *e = mx_strmap_at(&m, i);
		CHECK(e != NULL && e->kl == strlen(k) && memcmp(e->k, k, e->kl) == 0 && e->val == (int64_t)i);
	}
	CHECK(mx_strmap_at(&m, N) == NULL);
	mx_strmap_free(&m);
	CHECK_EQ_INT(mx_strmap_count(&m), 0);
}
