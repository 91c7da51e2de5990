/*
 * profiles.c — `make bench`'s "profiles validate ÷ plistutil" row, without
 * process start-up on either side: both loops run in this one process over
 * the same .mobileconfig files, rounds interleaved so machine noise falls
 * on both alike.
 *
 *   validate:  exactly what `macext profiles validate FILE` runs per file —
 *              its command function, cmd_profiles_validate (read the file,
 *              parse + pre-scan, CMS unwrap and verify when signed, envelope,
 *              schema validation, the per-payload summary, the printed
 *              report), with stdout on /dev/null and flushed per file;
 *   plistutil: what `plistutil -i FILE -o /dev/null` (libplist 2.2) does per
 *              file — read the file, parse (plist_from_bin for "bplist00",
 *              else plist_from_xml), convert to the other format
 *              (plist_to_xml / plist_to_bin), open /dev/null, write, close.
 *
 * Linked against the CLI's objects without main() and build/libmacext.a.
 * Usage: profiles ROUNDS FILE...   Prints "validate_us X", "plistutil_us Y"
 * (median over rounds of the mean time per file, wall clock), "files N",
 * "errors N" (files the validator reports errors in: exit 66).
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <plist/plist.h>

#include "tools/tools.h"

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* One `macext profiles validate FILE`: the command function, as main()
 * calls it (fresh invocation context and argv each time). */
static int
validate_one(const char *file)
{
	struct mx_cli cli;
	memset(&cli, 0, sizeof cli);
	cli.prog = "macext";
	cli.state_dir = "/nonexistent";   /* the command touches no state */
	mx_err err;
	mx_err_clear(&err);
	char a0[] = "validate";
	char *argv[] = { a0, (char *)file, NULL };
	int rc = cmd_profiles_validate(&cli, 2, argv, &err);
	fflush(stdout);
	return rc;
}

/* One `plistutil -i FILE -o /dev/null`, as libplist 2.2's tools/plistutil.c
 * does it: fopen + fstat + fread, parse, convert, fopen the output, fwrite. */
static int
plistutil_one(const char *file)
{
	FILE *in = fopen(file, "rb");
	if (in == NULL)
		return -1;
	struct stat st;
	if (fstat(fileno(in), &st) != 0 || st.st_size < 8) {
		fclose(in);
		return -1;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = fread(buf, 1, (size_t)st.st_size, in);
	fclose(in);
	plist_t root = NULL;
	char *out = NULL;
	uint32_t olen = 0;
	if (got >= 8 && memcmp(buf, "bplist00", 8) == 0) {
		plist_from_bin(buf, (uint32_t)got, &root);
		plist_to_xml(root, &out, &olen);
	} else {
		plist_from_xml(buf, (uint32_t)got, &root);
		plist_to_bin(root, &out, &olen);
	}
	plist_free(root);
	free(buf);
	int rc = -1;
	if (out != NULL) {
		FILE *f = fopen("/dev/null", "wb");
		if (f != NULL) {
			rc = fwrite(out, 1, olen, f) == olen ? 0 : -1;
			fclose(f);
		}
	}
	free(out);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: profiles ROUNDS FILE...\n");
		return 2;
	}
	int rounds = atoi(argv[1]);
	char **files = argv + 2;
	int nf = argc - 2;
	if (rounds < 1)
		rounds = 1;
	/* the validator's report goes where plistutil's output goes */
	fflush(stdout);
	int saved = dup(1), null = open("/dev/null", O_WRONLY);
	if (saved < 0 || null < 0 || dup2(null, 1) < 0)
		return 2;
	close(null);

	int errors = 0, failed = 0;
	for (int i = 0; i < nf; i++) {   /* warm-up and outcome check */
		int rc = validate_one(files[i]);
		errors += rc == MX_EINVALID;
		failed += rc != 0 && rc != MX_EINVALID;
		failed += plistutil_one(files[i]) != 0;
	}
	double *tv = calloc((size_t)rounds, sizeof *tv), *tp = calloc((size_t)rounds, sizeof *tp);
	for (int r = 0; r < rounds; r++) {
		/* alternate which side goes first */
		for (int side = 0; side < 2; side++) {
			bool v = (side == 0) == (r % 2 == 0);
			double t0 = now_s();
			for (int i = 0; i < nf; i++) {
				if (v)
					validate_one(files[i]);
				else
					plistutil_one(files[i]);
			}
			(v ? tv : tp)[r] = (now_s() - t0) / nf;
		}
	}
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	qsort(tv, (size_t)rounds, sizeof *tv, cmp_double);
	qsort(tp, (size_t)rounds, sizeof *tp, cmp_double);
	printf("validate_us %.1f\nplistutil_us %.1f\nfiles %d\nerrors %d\n", tv[rounds / 2] * 1e6,
	    tp[rounds / 2] * 1e6, nf, errors);
	free(tv);
	free(tp);
	if (failed) {
		fprintf(stderr, "profiles: %d file(s) failed to read or convert\n", failed);
		return 1;
	}
	return 0;
}
