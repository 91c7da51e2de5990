/*
 * main.c — unit test driver.  Runs every registered test (or those whose
 * name contains argv[1]) and prints one PASS/FAIL/SKIP line per test.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#include "harness.h"

static struct mx_test_case cases[2048];
static int ncases;
static int cur_failed, cur_skipped;
static char tmproot[256];
static char curtmp[512];

void
mx_test_register(const char *name, void (*fn)(void))
{
	if (ncases < (int)(sizeof cases / sizeof cases[0]))
		cases[ncases++] = (struct mx_test_case){ name, fn };
}

void
mx_test_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stdout, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	cur_failed++;
}

void
mx_test_skip(const char *why)
{
	fprintf(stdout, "  skipped: %s\n", why);
	cur_skipped = 1;
}

const char *
mx_testdata(void)
{
	static char path[512];
	const char *env = getenv("MACEXT_TESTDATA");
	struct stat st;
	snprintf(path, sizeof path, "%s", env ? env : "../shared/testdata");
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return path;
	return NULL;
}

const char *
mx_test_tmpdir(void)
{
	static int n;
	snprintf(curtmp, sizeof curtmp, "%s/t%d", tmproot, ++n);
	mkdir(curtmp, 0700);
	return curtmp;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct mx_test_case *)a)->name, ((const struct mx_test_case *)b)->name);
}

int
main(int argc, char **argv)
{
	int passed = 0, failed = 0, skipped = 0;
	snprintf(tmproot, sizeof tmproot, "/tmp/macext-unit-XXXXXX");
	if (mkdtemp(tmproot) == NULL)
		return 2;
	qsort(cases, (size_t)ncases, sizeof cases[0], by_name);
	for (int i = 0; i < ncases; i++) {
		if (argc > 1 && strstr(cases[i].name, argv[1]) == NULL)
			continue;
		cur_failed = cur_skipped = 0;
		cases[i].fn();
		if (cur_failed) {
			printf("FAIL unit.%s\n", cases[i].name);
			failed++;
		} else if (cur_skipped) {
			printf("SKIP unit.%s\n", cases[i].name);
			skipped++;
		} else {
			printf("PASS unit.%s\n", cases[i].name);
			passed++;
		}
		fflush(stdout);
	}
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmproot);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmproot);
	printf("unit: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
