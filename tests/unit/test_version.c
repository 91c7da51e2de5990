/* test_version.c — macOS versions parse and compare as numbers. */
#include "harness.h"
#include "macext/core.h"

MX_TEST(version_order)
{
	/* the seed's boundaries, in increasing order */
	static const char *order[] = { "10.15", "10.15.7", "11.0", "11.2", "11.3", "11.4",
		"11.6.4", "11.7", "12.0", "12.0.1", "14.5", "15.0", "15.1", "26.0" };
	size_t n = sizeof order / sizeof order[0];
	for (size_t i = 0; i + 1 < n; i++) {
		mx_version a, b;
		CHECK_EQ_INT(mx_version_parse(&a, order[i], NULL), 0);
		CHECK_EQ_INT(mx_version_parse(&b, order[i + 1], NULL), 0);
		if (mx_version_cmp(a, b) >= 0)
			mx_test_fail_at(__FILE__, __LINE__, "%s should be < %s", order[i], order[i + 1]);
	}
	mx_version v;
	mx_version_parse(&v, "11.6.4", NULL);
	CHECK(mx_version_at_least(v, 11, 3, 0));
	CHECK(!mx_version_at_least(v, 11, 6, 5));
	char buf[16];
	mx_version_str(v, buf, sizeof buf);
	CHECK_EQ_STR(buf, "11.6.4");
}

MX_TEST(version_rejects)
{
	static const char *bad[] = { "", "11.", ".3", "11..3", "11.3.4.5", "abc", "9.1",
		"11.x", "999999.1", "11.3 " };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		mx_version v;
		mx_err err;
		mx_err_clear(&err);
		if (mx_version_parse(&v, bad[i], &err) != MX_EUSAGE)
			mx_test_fail_at(__FILE__, __LINE__, "'%s' should be rejected", bad[i]);
	}
}
