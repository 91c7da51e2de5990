/*
 * harness.h — table-free unit test registration.  MX_TEST(name) defines a
 * test that registers itself at start-up; CHECK* record a failure with the
 * line and go on; the driver (main.c) prints "PASS name" / "FAIL name" lines
 * that tests/run.sh counts.  Tests that need ../shared/testdata call
 * mx_test_skip() when it is absent.
 */
#ifndef MACEXT_TEST_HARNESS_H
#define MACEXT_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>
#include <inttypes.h>

struct mx_test_case {
	const char *name;
	void (*fn)(void);
};

void mx_test_register(const char *name, void (*fn)(void));
void mx_test_fail_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void mx_test_skip(const char *why);
/* Path of ../shared/testdata (or $MACEXT_TESTDATA), NULL if absent. */
const char *mx_testdata(void);
/* A fresh empty temporary directory for this test (removed at exit). */
const char *mx_test_tmpdir(void);

#define MX_TEST(name) \
	static void test_##name(void); \
	__attribute__((constructor)) static void reg_##name(void) \
	{ mx_test_register(#name, test_##name); } \
	static void test_##name(void)

#define CHECK(cond) do { if (!(cond)) \
	mx_test_fail_at(__FILE__, __LINE__, "CHECK(%s)", #cond); } while (0)
#define CHECK_EQ_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
	if (a_ != b_) mx_test_fail_at(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", \
	    #a, a_, #b, b_); } while (0)
#define CHECK_EQ_STR(a, b) do { const char *a_ = (a), *b_ = (b); \
	if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) \
	    mx_test_fail_at(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, \
	        a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } while (0)

#endif
