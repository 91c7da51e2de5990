/*
 * parse.c — the denominator of `make bench`'s "profile install ÷ parse"
 * row (issue 14 §8): the in-process time of mx_profile_read_file on one
 * .mobileconfig (read the file, pre-scan, libplist parse, CMS when signed,
 * the envelope), the median of ROUNDS runs in CPU seconds of this
 * process (the install side is measured in CPU seconds too: on a shared
 * machine wall time measures the neighbours), printed as "parse_s X".
 * Usage: parse ROUNDS FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "macext/profile.h"

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: parse ROUNDS FILE\n");
		return 2;
	}
	int rounds = atoi(argv[1]);
	if (rounds < 1)
		rounds = 1;
	double *t = calloc((size_t)rounds, sizeof *t);
	for (int r = 0; r < rounds; r++) {
		mx_err err;
		mx_err_clear(&err);
		mx_profile *p = NULL;
		double t0 = now_s();
		int rc = mx_profile_read_file(&p, argv[2], &err);
		t[r] = now_s() - t0;
		mx_profile_free(p);
		if (rc) {
			fprintf(stderr, "parse: %s: %s\n", err.where, err.msg);
			return 1;
		}
	}
	qsort(t, (size_t)rounds, sizeof *t, cmp_double);
	printf("parse_s %.4f\n", t[rounds / 2]);
	free(t);
	return 0;
}
