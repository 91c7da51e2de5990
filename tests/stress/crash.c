/*
 * crash.c — the crash-safety harness: random operation sequences over a
 * small fleet, killed with SIGKILL at chosen points, checked after every
 * kill.  (After SQLite's crash tests: kill at each write, reopen,
 * integrity_check; here also the device invariants and lost operations.)
 *
 * For each sequence (CLI lines drawn from an ops file, {dev} replaced by
 * one of the fleet's device names) a reference child runs every operation
 * without faults — each as its own "process": a fresh struct mx_cli, the
 * store opened and closed, time and randomness fixed per operation — and
 * reports the state digest before and after each one and how many store
 * writes it made.  Then crash children replay the sequence and die:
 *   - fault kills: MACEXT_FAULT=w MACEXT_FAULT_KILL=1 for operation i kills
 *     the process just before its w-th write statement (commit included);
 *   - timer kills: the parent sends SIGKILL after a random delay, wherever
 *     the child is (inside SQLite, the CAS, between operations).
 * After each kill the parent reopens the state and requires: the store
 * opens, `store check` (integrity_check, foreign keys, invariants) finds
 * nothing, and the digest equals the reference state after the last
 * operation the child reported as done, or after the one in flight (it may
 * have committed before it could report) — so every reported success is
 * present and nothing is half-applied.  The next crash child resumes from
 * the state it found, so one sequence yields many kill points.
 *
 * usage: crash OPS-FILE [--sequences N] [--ops L] [--kills-per-seq K]
 *              [--devices D] [--seed S] [--dir DIR] [-v]
 * Prints "PASS crash.<name> (...)" / "FAIL ..." lines for tests/run.sh.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "tools/fleet.h"

#define MAX_TEMPLATES 256
#define MAX_OPS 256
#define T0 1767225600          /* 2026-01-01: operation j runs at T0 + j */

static char *templates[MAX_TEMPLATES];
static int ntemplates;
static int verbose;

static uint64_t rng;
static uint64_t
next(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct op { char line[1024]; };
struct ref { char before[65], after[65]; long writes; int code; };

static void
die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "crash: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static void
rmrf(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "crash: cannot remove %s\n", dir);
}

/* Runs one operation as the CLI would in its own process. */
static int
run_op(const char *dir, const struct op *o, int j, uint64_t seed, long *writes)
{
	char buf[1024], *av[64];
	snprintf(buf, sizeof buf, "%s", o->line);
	int ac = 0;
	const char *dev = NULL;
	for (char *s = NULL, *t = strtok_r(buf, " \t", &s); t && ac < 63; t = strtok_r(NULL, " \t", &s)) {
		if (strcmp(t, "--device") == 0) {     /* the global option main() would take */
			dev = strtok_r(NULL, " \t", &s);
			continue;
		}
		av[ac++] = t;
	}
	av[ac] = NULL;
	struct mx_cli cli = { 0 };
	cli.device_name = dev;
	cli.prog = "macext";
	cli.state_dir = dir;
	cli.quiet = true;
	cli.in.now = T0 + j;
	cli.seed_state = seed * 1000003u + (uint64_t)j;
	cli_random(&cli);
	mx_err err;
	int code = fleet_run(&cli, ac, av, &err);
	if (writes)
		*writes = cli.st ? mx_store_writes(cli.st) : 0;
	cli_close(&cli);
	return code;
}

static int
digest_of(const char *dir, char out[65], long *violations, FILE *why)
{
	struct mx_cli cli = { 0 };
	cli.prog = "macext";
	cli.state_dir = dir;
	mx_err err;
	mx_err_clear(&err);
	int rc = cli_store(&cli, &err);
	long n = 0;
	if (rc == 0 && violations)
		rc = fleet_check_all(&cli, NULL, NULL, &n, &err);
	if (rc == 0)
		rc = mx_store_digest(cli.st, out, &err);
	if (rc && why)
		fprintf(why, "%s: %s%s%s\n", dir, err.where, err.where[0] ? ": " : "", err.msg);
	if (violations)
		*violations = n;
	cli_close(&cli);
	return rc;
}

/* A child with stdout/stderr quiet; it reports through fd. */
static void
child_quiet(void)
{
	int nul = open("/dev/null", O_WRONLY);
	if (nul >= 0) {
		dup2(nul, 1);
		dup2(nul, 2);
		close(nul);
	}
	setenv("MACEXT_SEED", "1", 1);     /* cli_random draws from seed_state */
	unsetenv("MACEXT_FAULT");
	unsetenv("MACEXT_FAULT_KILL");
}

static void
wr(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t k = write(fd, c, n);
		if (k <= 0)
			_exit(3);
		c += k;
		n -= (size_t)k;
	}
}

static int
rd(int fd, void *p, size_t n)
{
	char *c = p;
	while (n) {
		ssize_t k = read(fd, c, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

/* The reference run: digests before/after each operation. */
static int
reference(const char *dir, struct op *ops, int n, uint64_t seed, struct ref *ref)
{
	int pfd[2];
	if (pipe(pfd))
		die("pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		child_quiet();
		char d[65];
		long nv;
		if (digest_of(dir, d, &nv, NULL))
			_exit(4);
		for (int j = 0; j < n; j++) {
			struct ref r;
			memcpy(r.before, d, 65);
			r.code = run_op(dir, &ops[j], j, seed, &r.writes);
			if (digest_of(dir, d, &nv, NULL) || nv)
				_exit(5);
			memcpy(r.after, d, 65);
			wr(pfd[1], &r, sizeof r);
		}
		_exit(0);
	}
	close(pfd[1]);
	int got = 0;
	while (got < n && rd(pfd[0], &ref[got], sizeof ref[got]) == 0)
		got++;
	close(pfd[0]);
	int st;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || got != n) {
		printf("FAIL crash.reference (seed %llu: the uninterrupted run stopped at operation"
		    " %d of %d, status %d%s)\n", (unsigned long long)seed, got, n, st,
		    WIFEXITED(st) && WEXITSTATUS(st) == 5 ? ": store check found a violation" : "");
		return -1;
	}
	return 0;
}

struct stats { long fault_kills, timer_kills, unreached, failures, ops_run; };

/* Runs ops[from..] in a child that is killed at write w of operation i
 * (w > 0), or by the parent after delay_us (w == 0).  Returns the index of
 * the operation to resume from, or -1 on a failed check. */
static int
crash_once(const char *dir, struct op *ops, int n, uint64_t seed, const struct ref *ref,
    int from, int i, long w, long delay_us, struct stats *s)
{
	int pfd[2];
	if (pipe(pfd))
		die("pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		child_quiet();
		for (int j = from; j < n; j++) {
			if (w > 0 && j == i) {
				char b[32];
				snprintf(b, sizeof b, "%ld", w);
				setenv("MACEXT_FAULT", b, 1);
				setenv("MACEXT_FAULT_KILL", "1", 1);
			}
			run_op(dir, &ops[j], j, seed, NULL);
			unsetenv("MACEXT_FAULT");
			unsetenv("MACEXT_FAULT_KILL");
			int32_t done = j;
			wr(pfd[1], &done, sizeof done);
		}
		_exit(0);
	}
	close(pfd[1]);
	if (w == 0) {
		struct timespec ts = { delay_us / 1000000, (delay_us % 1000000) * 1000 };
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
	}
	int last = from - 1;
	int32_t done;
	while (rd(pfd[0], &done, sizeof done) == 0)
		last = done;
	close(pfd[0]);
	int st;
	waitpid(pid, &st, 0);
	bool killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
	if (!killed) {
		if (w > 0) {
			/* the replay made fewer writes than the reference: not deterministic */
			s->unreached++;
			s->failures++;
			printf("FAIL crash.unreached (seed %llu: operation %d (%s) never reached write"
			    " %ld of the reference's %ld)\n", (unsigned long long)seed, i, ops[i].line, w,
			    ref[i].writes);
		}
		return n;
	}
	if (w > 0)
		s->fault_kills++;
	else
		s->timer_kills++;
	s->ops_run += last - from + 1;
	char d[65];
	long nv = 0;
	char why[600] = "";
	FILE *wf = fmemopen(why, sizeof why, "w");
	int rc = digest_of(dir, d, &nv, wf);
	fclose(wf);
	/* allowed: after the last reported operation, or after the one in flight */
	int cand[2] = { last, last + 1 };
	for (int c = 0; rc == 0 && nv == 0 && c < 2; c++) {
		int k = cand[c];
		if (k >= n)
			continue;
		const char *want = k < 0 ? ref[0].before : ref[k].after;
		if (strcmp(d, want) == 0)
			return k + 1;
	}
	s->failures++;
	printf("FAIL crash.kill (seed %llu, ops %d..: killed %s, last reported done %d: %s)\n",
	    (unsigned long long)seed, from, w > 0 ? "at a write" : "by timer", last,
	    rc ? why : nv ? "store check found invariant violations" :
	    "the state matches neither the last reported operation nor the one in flight");
	if (w > 0)
		printf("  fault: operation %d (%s), write %ld of %ld\n", i, ops[i].line, w,
		    ref[i].writes);
	if (verbose) {
		for (int k = 0; k < n; k++)
			printf("  op %d: %s -> exit %d, %ld writes\n", k, ops[k].line, ref[k].code,
			    ref[k].writes);
	}
	return -1;
}

static void
load_templates(const char *file)
{
	FILE *f = fopen(file, "r");
	if (f == NULL)
		die("%s: %s", file, strerror(errno));
	char line[1024];
	while (fgets(line, sizeof line, f) && ntemplates < MAX_TEMPLATES) {
		line[strcspn(line, "\r\n")] = '\0';
		char *t = line + strspn(line, " \t");
		if (*t == '\0' || *t == '#')
			continue;
		templates[ntemplates++] = strdup(t);
	}
	fclose(f);
	if (ntemplates == 0)
		die("%s: no operations", file);
}

static void
expand(struct op *o, const char *tmpl, int ndev)
{
	char dev[32];
	snprintf(dev, sizeof dev, "dev%d", (int)(next() % (uint64_t)ndev) + 1);
	size_t w = 0;
	for (const char *p = tmpl; *p && w < sizeof o->line - 40; ) {
		if (strncmp(p, "{dev}", 5) == 0) {
			w += (size_t)snprintf(o->line + w, sizeof o->line - w, "%s", dev);
			p += 5;
		} else {
			o->line[w++] = *p++;
		}
	}
	o->line[w] = '\0';
}

int
main(int argc, char **argv)
{
	int nseq = 20, nops = 30, kps = 10, ndev = 3;
	uint64_t seed = 1;
	const char *root = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", *opsfile = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0) verbose = 1;
		else if (i + 1 < argc && strcmp(argv[i], "--sequences") == 0) nseq = atoi(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--ops") == 0) nops = atoi(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--kills-per-seq") == 0) kps = atoi(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--devices") == 0) ndev = atoi(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--seed") == 0) seed = strtoull(argv[++i], NULL, 10);
		else if (i + 1 < argc && strcmp(argv[i], "--dir") == 0) root = argv[++i];
		else if (opsfile == NULL && argv[i][0] != '-') opsfile = argv[i];
		else die("usage: crash OPS-FILE [--sequences N] [--ops L] [--kills-per-seq K]"
		    " [--devices D] [--seed S] [--dir DIR] [-v]");
	}
	if (opsfile == NULL || nops < 1 || nops > MAX_OPS || ndev < 1 || nseq < 1 || kps < 1)
		die("usage: crash OPS-FILE [--sequences N] [--ops L (1-%d)] ...", MAX_OPS);
	load_templates(opsfile);
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/macext-crash-%d", root, (int)getpid());
	struct op *ops = calloc(MAX_OPS, sizeof *ops);
	struct ref *ref = calloc(MAX_OPS, sizeof *ref);
	struct stats s = { 0 };
	long seqs_ok = 0, nonzero_exit = 0;
	for (int q = 0; q < nseq; q++) {
		uint64_t sseed = seed * 7919u + (uint64_t)q;
		rng = sseed;
		/* every sequence starts by creating its devices, then draws at random */
		int n = 0;
		for (int d = 1; d <= ndev && n < nops; d++)
			snprintf(ops[n++].line, sizeof ops[0].line, "device create dev%d%s", d,
			    d % 2 ? "" : " --arch x86_64 --os 12.7");
		while (n < nops)
			expand(&ops[n++], templates[next() % (uint64_t)ntemplates], ndev);
		rmrf(dir);
		if (reference(dir, ops, n, sseed, ref) != 0) {
			s.failures++;
			continue;
		}
		for (int j = 0; j < n; j++)
			nonzero_exit += ref[j].code != 0;
		/* each kill point lands within the next few operations after where
		 * the last kill left the state, so a sequence yields about one kill
		 * per operation; every third kill is a timer kill instead */
		rmrf(dir);
		int from = 0, ok = 1;
		for (int k = 0; k < kps && ok && from < n; k++) {
			int end = from + 3 < n ? from + 3 : n;
			long window = 0;
			for (int j = from; j < end; j++)
				window += ref[j].writes;
			int r;
			if (k % 3 == 2 || window == 0) {
				long us = (long)(next() % 15000);
				r = crash_once(dir, ops, n, sseed, ref, from, -1, 0, us, &s);
			} else {
				long p = (long)(next() % (uint64_t)window) + 1;
				int i = from;
				while (p > ref[i].writes)
					p -= ref[i++].writes;
				r = crash_once(dir, ops, n, sseed, ref, from, i, p, 0, &s);
			}
			if (r < 0)
				ok = 0;
			else
				from = r;
		}
		/* finish the sequence and compare the end state with the reference */
		if (ok && from < n) {
			pid_t pid = fork();
			if (pid == 0) {
				child_quiet();
				for (int j = from; j < n; j++)
					run_op(dir, &ops[j], j, sseed, NULL);
				_exit(0);
			}
			int st;
			waitpid(pid, &st, 0);
		}
		if (ok) {
			char d[65];
			long nv;
			if (digest_of(dir, d, &nv, stdout) || nv || strcmp(d, ref[n - 1].after)) {
				printf("FAIL crash.resume (seed %llu: after the kills, finishing the sequence"
				    " does not give the uninterrupted run's state)\n",
				    (unsigned long long)sseed);
				s.failures++;
				ok = 0;
			}
		}
		seqs_ok += ok;
	}
	rmrf(dir);
	long kills = s.fault_kills + s.timer_kills;
	printf("crash: %d sequences of %d operations over %d devices (%ld exited non-zero in the"
	    " reference, as expected refusals), %ld kill points (%ld at store writes, %ld by timer),"
	    " %ld fault points not reached, %ld failures\n", nseq, nops, ndev, nonzero_exit, kills,
	    s.fault_kills, s.timer_kills, s.unreached, s.failures);
	if (s.failures == 0)
		printf("PASS crash.kill_points (%ld kills, %ld sequences)\n", kills, seqs_ok);
	free(ops);
	free(ref);
	for (int i = 0; i < ntemplates; i++)
		free(templates[i]);
	return s.failures ? 1 : 0;
}
