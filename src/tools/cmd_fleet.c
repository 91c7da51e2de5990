/*
 * cmd_fleet.c — `macext fleet create|apply|summary`: many simulated Macs
 * at once, in one process with the store opened once.
 *
 *   create  N devices from a mix (arch:os[:enrolment][:sip-on|sip-off]=P%),
 *           named PREFIX-000001..., 1,000 per transaction (each batch
 *           atomic); a password is hashed once and the hash reused.
 *   apply   a steps file (one CLI line per step, docs/fleet.md) on every
 *           device a filter selects, calling the CLI's own command
 *           functions per device; each step is a savepoint inside a batch
 *           transaction of --batch devices, so a step is atomic and a batch
 *           costs one durable commit.  Ends with the summary.
 *   summary how many devices are in each kext / system extension state
 *           and which user action the alerts they show ask for.
 * Design: DESIGN.md "Embedded default and scale"; docs/fleet.md.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "fleet.h"

#define CREATE_USAGE "macext fleet create --count N --mix SPEC [--prefix NAME]" \
	" [--admin USER:PASSWORD]... [--user USER:PASSWORD]... [--trust-anchor CERT.pem]" \
	" [--batch N]"
#define APPLY_USAGE "macext fleet apply STEPS-FILE [--devices FILTER] [--batch N] [--json]"
#define SUMMARY_USAGE "macext fleet summary [--devices FILTER] [--json]"
#define MAX_MIX 32
#define MAX_COUNT 10000000L

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- progress on a terminal (stderr) ---- */

struct progress { FILE *f; bool tty; double t0, last; const char *what; };

static void
progress_init(struct progress *p, FILE *f, const char *what)
{
	p->f = f;
	p->tty = f && isatty(fileno(f));
	p->t0 = p->last = now_s();
	p->what = what;
}

static void
progress_show(struct progress *p, long done, long total, bool final)
{
	if (!p->tty)
		return;
	double t = now_s();
	if (!final && t - p->last < 0.1)
		return;
	p->last = t;
	int w = 30, fill = total ? (int)((double)done * w / (double)total) : w;
	fprintf(p->f, "\r%s [", p->what);
	for (int i = 0; i < w; i++)
		fputc(i < fill ? '#' : ' ', p->f);
	fprintf(p->f, "] %ld/%ld devices  %.1f s", done, total, t - p->t0);
	if (final)
		fputs("\n", p->f);
	fflush(p->f);
}

/* ---- fleet create ---- */

struct mix {
	enum mx_arch arch;
	mx_version os;
	enum mx_enroll enroll;
	bool user_approved;          /* device enrolment approved by the user */
	bool sip_off;
	double pct;
	long count, made;
	char label[96];
};

static int
parse_mix(struct mix *m, int *n, const char *spec, mx_err *err)
{
	char buf[2048];
	snprintf(buf, sizeof buf, "%s", spec);
	*n = 0;
	double sum = 0;
	char *save = NULL;
	for (char *e = strtok_r(buf, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_MIX)
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--mix: at most %d entries", MAX_MIX);
		struct mix *x = &m[*n];
		memset(x, 0, sizeof *x);
		char *eq = strrchr(e, '=');
		if (eq == NULL)
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET,
			    "--mix entry '%s': expected ARCH:OS[:ENROLMENT][:sip-on|sip-off]=PERCENT%%", e);
		*eq = '\0';
		char *end;
		x->pct = strtod(eq + 1, &end);
		if (end == eq + 1 || (*end && strcmp(end, "%")) || !(x->pct > 0) || x->pct > 100)
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--mix entry '%s': bad percentage"
			    " '%s'", e, eq + 1);
		snprintf(x->label, sizeof x->label, "%s", e);
		char *fs = NULL, *f = strtok_r(e, ":", &fs);
		int rc;
		if (f == NULL || (rc = mx_arch_parse(&x->arch, f, err)))
			return f ? rc : MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--mix: empty entry");
		if ((f = strtok_r(NULL, ":", &fs)) == NULL)
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--mix entry '%s': no macOS version",
			    x->label);
		if ((rc = mx_version_parse(&x->os, f, err))) {
			mx_err_where(err, "--mix entry '%s'", x->label);
			return rc;
		}
		if (x->arch == MX_ARCH_ARM64 && x->os.major < 11)
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--mix entry '%s': macOS %s does not"
			    " run on Apple silicon (11.0 or later)", x->label, f);
		x->enroll = MX_ENROLL_NONE;
		while ((f = strtok_r(NULL, ":", &fs)) != NULL) {
			if (strcmp(f, "sip-off") == 0)
				x->sip_off = true;
			else if (strcmp(f, "sip-on") == 0)
				x->sip_off = false;
			else if (strcmp(f, "device") == 0)
				x->enroll = MX_ENROLL_DEVICE, x->user_approved = true;
			else if (strcmp(f, "device-unapproved") == 0)
				x->enroll = MX_ENROLL_DEVICE, x->user_approved = false;
			else if ((rc = mx_enroll_parse(&x->enroll, f, NULL)) != 0)
				return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--mix entry '%s': unknown field"
				    " '%s' (none, user, device, device-unapproved, automated, sip-on,"
				    " sip-off)", x->label, f);
		}
		sum += x->pct;
		(*n)++;
	}
	if (*n == 0)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--mix: no entries");
	if (fabs(sum - 100) > 0.001)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--mix: percentages add up to %g, not 100",
		    sum);
	return 0;
}

/* Exact counts by largest remainder; ties go to the earlier entry. */
static void
mix_counts(struct mix *m, int n, long total)
{
	long given = 0;
	double rem[MAX_MIX];
	for (int i = 0; i < n; i++) {
		double want = (double)total * m[i].pct / 100;
		m[i].count = (long)floor(want);
		rem[i] = want - (double)m[i].count;
		given += m[i].count;
	}
	while (given < total) {
		int best = 0;
		for (int i = 1; i < n; i++)
			if (rem[i] > rem[best])
				best = i;
		m[best].count++;
		rem[best] = -1;
		given++;
	}
}

/* Device i (0-based) of total: the entry furthest behind its share, so
 * every name range holds the mix (fleet-000001..000100 is a sample). */
static int
mix_pick(struct mix *m, int n, long i, long total)
{
	int best = -1;
	long long bestd = 0;
	for (int k = 0; k < n; k++) {
		if (m[k].made >= m[k].count)
			continue;
		long long d = (long long)m[k].count * (i + 1) - (long long)m[k].made * total;
		if (best < 0 || d > bestd)
			best = k, bestd = d;
	}
	m[best].made++;
	return best;
}

struct cred { char name[64]; char hash[MX_PWHASH_LEN]; bool admin; };

static int
parse_creds(struct mx_cli *cli, struct cred *out, int *n, const char **v, int nv, bool admin,
    mx_err *err)
{
	for (int i = 0; i < nv; i++) {
		const char *colon = strchr(v[i], ':');
		if (colon == NULL || colon == v[i] || colon - v[i] >= 64 || strchr(v[i], '\n'))
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s takes USER:PASSWORD, got '%s'",
			    admin ? "--admin" : "--user", v[i]);
		if (*n == MX_MAX_USERS)
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "at most %d users", MX_MAX_USERS);
		struct cred *c = &out[(*n)++];
		snprintf(c->name, sizeof c->name, "%.*s", (int)(colon - v[i]), v[i]);
		c->admin = admin;
		/* hashed once for the whole fleet (same salt on every device) */
		cli_random(cli);
		if (mx_pw_hash(c->hash, colon + 1, cli->in.random) != 0)
			return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "password hashing failed");
	}
	return 0;
}

static int
create_one(struct mx_cli *cli, const char *name, const struct mix *x, const struct cred *creds,
    int ncreds, const char *anchor_hash, mx_err *err)
{
	mx_device d;
	int rc = MX_EEXIST;
	for (int attempt = 0; attempt < 8 && rc == MX_EEXIST; attempt++) {
		cli_random(cli);
		mx_device_init(&d, name, x->arch, x->os, &cli->in);
		if (x->sip_off) {
			d.csr = MX_CSR_DISABLE_FLAGS;
			if (x->arch == MX_ARCH_ARM64)
				d.policy = MX_SEC_PERMISSIVE;   /* as `device create --sip off` */
		}
		snprintf(d.trust_anchor, sizeof d.trust_anchor, "%s", anchor_hash);
		for (int i = 0; i < ncreds; i++) {
			mx_user *u = &d.users[d.nusers++];
			memset(u, 0, sizeof *u);
			snprintf(u->name, sizeof u->name, "%s", creds[i].name);
			u->admin = creds[i].admin;
			memcpy(u->pwhash, creds[i].hash, sizeof u->pwhash);
		}
		rc = mx_store_device_insert(cli->st, &d, err);
		if (rc == MX_EEXIST) {
			mx_device other;
			if (mx_store_device_load(cli->st, name, &other, NULL) == 0)
				return MX_FAIL(err, MX_EEXIST, MX_NO_OFFSET, "a device named '%s' already"
				    " exists (choose another --prefix)", name);
			/* else a random serial collided: draw another */
		}
	}
	if (rc)
		return rc;
	char what[160], os[16];
	mx_version_str(d.os, os, sizeof os);
	snprintf(what, sizeof what, "device created: %s, macOS %s", mx_arch_name(d.arch), os);
	if ((rc = cli_event(cli, &d, "macext", what, "fleet create", err)))
		return rc;
	if (x->enroll == MX_ENROLL_NONE)
		return 0;
	/* enrolment is the `mdm enroll` command itself, run in-process */
	char *av[6] = { "mdm", "enroll", "--method", (char *)mx_enroll_name(x->enroll), NULL, NULL };
	int ac = 4;
	if (x->user_approved && x->enroll == MX_ENROLL_DEVICE)
		av[ac++] = "--user-approved";
	const char *saved = cli->device_name;
	cli->device_name = name;
	int code = fleet_run(cli, ac, av, err);
	cli->device_name = saved;
	if (code != 0) {
		mx_err_where(err, "%s: mdm enroll: ", name);
		return err->code ? err->code : MX_EINVALID;
	}
	return 0;
}

static int
fleet_create(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *count_s = arg_value(&argc, argv, "--count");
	const char *mix_s = arg_value(&argc, argv, "--mix");
	const char *prefix = arg_value(&argc, argv, "--prefix");
	const char *batch_s = arg_value(&argc, argv, "--batch");
	const char *anchor = arg_value(&argc, argv, "--trust-anchor");
	const char *admins[MX_MAX_USERS], *users[MX_MAX_USERS];
	int nadmins = arg_values(&argc, argv, "--admin", admins, MX_MAX_USERS);
	int nusers = arg_values(&argc, argv, "--user", users, MX_MAX_USERS);
	int rc = arg_check(argc, argv, 0, 0, CREATE_USAGE, err);
	if (rc)
		return rc;
	if (count_s == NULL || mix_s == NULL)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "usage: %s", CREATE_USAGE);
	char *end;
	long count = strtol(count_s, &end, 10);
	if (*end || count < 1 || count > MAX_COUNT)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--count takes 1 to %ld, got '%s'",
		    MAX_COUNT, count_s);
	long batch = batch_s ? strtol(batch_s, &end, 10) : 1000;
	if ((batch_s && *end) || batch < 1 || batch > 100000)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--batch takes 1 to 100000");
	if (prefix == NULL)
		prefix = "mac";
	if (strlen(prefix) > 40 || strspn(prefix, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-_.") != strlen(prefix) || *prefix == '\0')
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "bad --prefix '%s': letters, digits, '-',"
		    " '_', '.' (at most 40)", prefix);
	struct mix m[MAX_MIX];
	int nm;
	if ((rc = parse_mix(m, &nm, mix_s, err)))
		return rc;
	mix_counts(m, nm, count);
	struct cred creds[MX_MAX_USERS];
	int ncreds = 0;
	static const char *def = "admin:admin";
	if ((rc = parse_creds(cli, creds, &ncreds, nadmins || nusers ? admins : &def,
	    nadmins || nusers ? nadmins : 1, true, err)) ||
	    (rc = parse_creds(cli, creds, &ncreds, users, nusers, false, err)))
		return rc;
	if ((rc = cli_store(cli, err)))
		return rc;
	char anchor_hash[65] = "";
	if (anchor) {
		/* as `device create --trust-anchor`: stored once, shared by every device */
		FILE *f = fopen(anchor, "r");
		char head[64] = "";
		if (f == NULL)
			return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s: cannot read", anchor);
		size_t hn = fread(head, 1, sizeof head - 1, f);
		fclose(f);
		head[hn] = '\0';
		if (strstr(head, "-----BEGIN CERTIFICATE-----") == NULL)
			return MX_FAIL(err, MX_EFORMAT, 0, "%s: not a PEM certificate", anchor);
		if ((rc = mx_cas_put_tree(cli->st, anchor, anchor_hash, err)))
			return rc;
	}
	int width = 6;
	for (long c = count; c >= 1000000; c /= 10)
		width++;
	struct progress pg;
	progress_init(&pg, stderr, "fleet create");
	double t0 = now_s();
	long done = 0;
	bool quiet = cli->quiet;
	cli->quiet = true;
	while (done < count) {
		long n = count - done < batch ? count - done : batch;
		if ((rc = mx_store_batch_begin(cli->st, err)))
			break;
		for (long i = done; i < done + n && rc == 0; i++) {
			char name[64];
			snprintf(name, sizeof name, "%s-%0*ld", prefix, width, i + 1);
			rc = create_one(cli, name, &m[mix_pick(m, nm, i, count)], creds, ncreds,
			    anchor_hash, err);
		}
		if (rc) {
			mx_store_batch_rollback(cli->st);
			break;
		}
		if ((rc = mx_store_batch_commit(cli->st, err)))
			break;
		done += n;
		progress_show(&pg, done, count, false);
	}
	cli->quiet = quiet;
	progress_show(&pg, done, count, true);
	double secs = now_s() - t0;
	if (rc) {
		mx_err_where(err, "fleet create (%ld of %ld devices created, each batch of %ld"
		    " all or nothing): ", done, count, batch);
		return rc;
	}
	if (cli->json) {
		json_t *mix = json_array();
		for (int k = 0; k < nm; k++)
			json_array_append_new(mix, json_pack("{s:s, s:I}", "spec", m[k].label,
			    "devices", (json_int_t)m[k].count));
		cli_json_print(json_pack("{s:I, s:s, s:o, s:f}", "created", (json_int_t)done,
		    "prefix", prefix, "mix", mix, "seconds", secs));
		return 0;
	}
	printf("created %ld devices %s-%0*d..%s-%0*ld in %.2f s (%.0f devices/s)\n", done, prefix,
	    width, 1, prefix, width, count, secs, secs > 0 ? (double)done / secs : 0.0);
	for (int k = 0; k < nm; k++)
		printf("  %-40s %8ld\n", m[k].label, m[k].count);
	return 0;
}

/* ---- steps files ---- */

#define MAX_ARGS 48
#define MAX_CODES 8

struct step {
	int line;
	char text[512];
	int argc;
	char *argv[MAX_ARGS];
	fleet_filter when;
	bool expect_any;
	int nexpect;
	int expect[MAX_CODES];
	/* outcome */
	long ran, skipped, ok, failed;
	double secs;
	int ncodes;
	int code[MAX_CODES];
	long code_n[MAX_CODES];
	char first_failure[700];
};

struct plan { struct step *s; int n; };

static void
plan_free(struct plan *p)
{
	for (int i = 0; i < p->n; i++) {
		for (int a = 0; a < p->s[i].argc; a++)
			free(p->s[i].argv[a]);
		fleet_filter_free(&p->s[i].when);
	}
	free(p->s);
}

/* Splits a line into words: blanks separate, '...' and "..." quote. */
static int
split(char *line, char **out, int max, const char *file, int ln, mx_err *err)
{
	int n = 0;
	char *p = line, *w = line;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (n == max)
			return -MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s:%d: more than %d words", file, ln,
			    max);
		out[n++] = w;
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '"' || *p == '\'') {
				char q = *p++;
				while (*p && *p != q)
					*w++ = *p++;
				if (*p != q)
					return -MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s:%d: unterminated %c",
					    file, ln, q);
				p++;
			} else {
				*w++ = *p++;
			}
		}
		if (*p)
			p++;
		*w++ = '\0';
	}
	return n;
}

/* A word naming a file next to the steps file is resolved against its
 * directory, so a steps file and its profiles and bundles travel together. */
static char *
resolve(const char *dir, const char *word)
{
	if (word[0] == '-' || word[0] == '/' || dir[0] == '\0')
		return mx_xstrdup(word);
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, word);
	if (access(path, F_OK) == 0)
		return mx_xstrdup(path);
	return mx_xstrdup(word);
}

static int
parse_steps(struct plan *p, const char *file, mx_err *err)
{
	memset(p, 0, sizeof *p);
	FILE *f = fopen(file, "r");
	if (f == NULL)
		return MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s: cannot read the steps file", file);
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", file);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		dir[0] = '\0';
	char line[2048];
	int ln = 0, rc = 0, cap = 0;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		ln++;
		size_t l = strlen(line);
		if (l == sizeof line - 1 && line[l - 1] != '\n') {
			rc = MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s:%d: line too long", file, ln);
			break;
		}
		while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' '))
			line[--l] = '\0';
		char *t = line + strspn(line, " \t");
		if (*t == '\0' || *t == '#')
			continue;
		if (p->n == 10000) {
			rc = MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s: more than 10000 steps", file);
			break;
		}
		if (p->n == cap) {
			cap = cap ? cap * 2 : 16;
			p->s = mx_xrealloc(p->s, (size_t)cap * sizeof *p->s);
		}
		struct step *s = &p->s[p->n];
		memset(s, 0, sizeof *s);
		s->line = ln;
		snprintf(s->text, sizeof s->text, "%s", t);
		char *w[MAX_ARGS + 4];
		int nw = split(t, w, MAX_ARGS + 4, file, ln, err);
		if (nw < 0) {
			rc = -nw;
			break;
		}
		int first = 0;
		p->n++;   /* owned from here on: plan_free cleans up */
		if (nw >= 2 && strcmp(w[0], "when") == 0) {
			if ((rc = fleet_filter_parse(&s->when, w[1], err))) {
				mx_err_where(err, "%s:%d: when: ", file, ln);
				break;
			}
			first = 2;
		}
		if (nw - first >= 2 && strcmp(w[nw - 2], "expect-exit") == 0) {
			if (strcmp(w[nw - 1], "any") == 0) {
				s->expect_any = true;
			} else {
				char *save = NULL;
				for (char *c = strtok_r(w[nw - 1], ",", &save); c;
				    c = strtok_r(NULL, ",", &save)) {
					char *e;
					long v = strtol(c, &e, 10);
					if (*e || v < 0 || v > 255 || s->nexpect == MAX_CODES) {
						rc = MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s:%d: expect-exit takes"
						    " up to %d exit codes (0-255) or 'any'", file, ln, MAX_CODES);
						break;
					}
					s->expect[s->nexpect++] = (int)v;
				}
				if (rc)
					break;
			}
			nw -= 2;
		} else {
			s->expect[s->nexpect++] = 0;
		}
		if (nw - first < 1) {
			rc = MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s:%d: no command", file, ln);
			break;
		}
		if (strcmp(w[first], "macext") == 0)
			first++;
		if (nw - first < 1 || strcmp(w[first], "fleet") == 0) {
			rc = MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s:%d: a step is one macext command"
			    " (not fleet)", file, ln);
			break;
		}
		for (int i = first; i < nw; i++)
			s->argv[s->argc++] = resolve(dir, w[i]);
	}
	fclose(f);
	if (rc == 0 && p->n == 0)
		rc = MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "%s: no steps", file);
	if (rc)
		plan_free(p);
	return rc;
}

static void
step_record(struct step *s, int code)
{
	for (int i = 0; i < s->ncodes; i++)
		if (s->code[i] == code) {
			s->code_n[i]++;
			return;
		}
	if (s->ncodes < MAX_CODES) {
		s->code[s->ncodes] = code;
		s->code_n[s->ncodes++] = 1;
	}
}

static bool
step_expects(const struct step *s, int code)
{
	if (s->expect_any)
		return true;
	for (int i = 0; i < s->nexpect; i++)
		if (s->expect[i] == code)
			return true;
	return false;
}

/* ---- device selection ---- */

struct sel { int64_t *id; char (*name)[64]; long n, cap; const fleet_filter *f; mx_store *st;
	int rc; mx_err *err; };

static int
select_one(const mx_device *d, void *arg)
{
	struct sel *s = arg;
	bool m = true;
	if (s->f && (s->rc = fleet_filter_match(s->f, s->st, d, &m, s->err)))
		return s->rc;
	if (!m)
		return 0;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->id = mx_xrealloc(s->id, (size_t)s->cap * sizeof *s->id);
		s->name = mx_xrealloc(s->name, (size_t)s->cap * sizeof *s->name);
	}
	s->id[s->n] = d->id;
	snprintf(s->name[s->n], sizeof s->name[0], "%s", d->name);
	s->n++;
	return 0;
}

static int
select_devices(struct mx_cli *cli, const char *spec, struct sel *out, mx_err *err)
{
	fleet_filter f;
	int rc = fleet_filter_parse(&f, spec, err);
	if (rc) {
		mx_err_where(err, "--devices: ");
		return rc;
	}
	memset(out, 0, sizeof *out);
	out->f = &f;
	out->st = cli->st;
	out->err = err;
	rc = mx_store_device_each(cli->st, select_one, out, err);
	out->f = NULL;
	fleet_filter_free(&f);
	if (rc) {
		free(out->id);
		free(out->name);
		memset(out, 0, sizeof *out);
	}
	return rc;
}

static void
sel_free(struct sel *s)
{
	free(s->id);
	free(s->name);
}

/* ---- the summary ---- */

/* The user action an alert asks for, from its kind and text (the alerts
 * macOS shows: "System Extension Blocked" with or without the Recovery
 * instructions of Apple silicon, "Restart Required", ...). */
#define ACTION_SQL \
	"CASE WHEN kind LIKE '%restart%' THEN 'restart the Mac'" \
	" WHEN text LIKE '%Recovery%' OR text LIKE '%recoveryOS%' OR text LIKE '%power button%'" \
	" THEN 'restart into recoveryOS (hold the power button), lower security, restart'" \
	" WHEN text LIKE '%policy does not allow%' THEN 'none possible: policy forbids approval'" \
	" WHEN kind LIKE '%blocked%' OR kind LIKE '%approv%'" \
	" THEN 'allow in System Settings (administrator approval)'" \
	" WHEN kind LIKE '%uninstall%' OR kind LIKE '%deactivat%'" \
	" THEN 'administrator authentication to remove'" \
	" ELSE 'other: ' || kind || ' (' || title || ')' END"

struct counts { json_t *obj; };

static int
count_into(const char *value, int64_t devices, void *arg)
{
	json_t *o = arg;
	json_object_set_new(o, value[0] ? value : "(none)", json_integer(devices));
	return 0;
}

static int
summary_json(struct mx_cli *cli, const struct sel *s, json_t **out, mx_err *err)
{
	int rc = mx_store_fleet_select(cli->st, s->id, (size_t)s->n, err);
	if (rc)
		return rc;
	json_t *j = json_object(), *kext = json_object(), *sx = json_object(),
	    *alerts = json_object(), *actions = json_object(), *env = json_object(),
	    *pending = json_object(), *enroll = json_object();
	/* kext and system extension tables belong to their modules; a table
	 * not (yet) in this schema counts nothing */
	if ((rc = mx_store_fleet_count(cli->st, "kexts", "state", count_into, kext, err)) ||
	    (rc = mx_store_fleet_count(cli->st, "sysext", "state", count_into, sx, err)) ||
	    (rc = mx_store_fleet_count(cli->st, "alerts", "kind", count_into, alerts, err)) ||
	    (rc = mx_store_fleet_count(cli->st, "alerts", ACTION_SQL, count_into, actions, err)) ||
	    (rc = mx_store_fleet_count(cli->st, "devices", "env", count_into, env, err)) ||
	    (rc = mx_store_fleet_count(cli->st, "devices", "enroll", count_into, enroll, err)) ||
	    (rc = mx_store_fleet_count(cli->st, "devices",
	    "CASE restart_pending WHEN 1 THEN 'yes' ELSE 'no' END", count_into, pending, err))) {
		json_decref(j);
		json_decref(kext); json_decref(sx); json_decref(alerts); json_decref(actions);
		json_decref(env); json_decref(pending); json_decref(enroll);
		return rc;
	}
	json_object_set_new(j, "devices", json_integer(s->n));
	json_object_set_new(j, "enrollment", enroll);
	json_object_set_new(j, "environment", env);
	json_object_set_new(j, "restart_pending", pending);
	json_object_set_new(j, "kext_states", kext);
	json_object_set_new(j, "sysext_states", sx);
	json_object_set_new(j, "alerts", alerts);
	json_object_set_new(j, "user_actions", actions);
	*out = j;
	return 0;
}

static void
print_counts(const char *title, json_t *o)
{
	if (json_object_size(o) == 0)
		return;
	printf("%s\n", title);
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
		printf("  %-72s %8lld\n", k, (long long)json_integer_value(v));
}

static void
summary_print(json_t *j)
{
	print_counts("enrollment:", json_object_get(j, "enrollment"));
	print_counts("running:", json_object_get(j, "environment"));
	print_counts("kext states (devices with a kext in that state):",
	    json_object_get(j, "kext_states"));
	print_counts("system extension states (devices):", json_object_get(j, "sysext_states"));
	print_counts("alerts shown (devices):", json_object_get(j, "alerts"));
	json_t *a = json_object_get(j, "user_actions");
	if (json_object_size(a))
		print_counts("user action needed (devices, from their alerts):", a);
	else
		printf("user action needed: none\n");
}

static int
fleet_summary(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *filter = arg_value(&argc, argv, "--devices");
	int rc = arg_check(argc, argv, 0, 0, SUMMARY_USAGE, err);
	if (rc || (rc = cli_store(cli, err)))
		return rc;
	struct sel s;
	if ((rc = select_devices(cli, filter, &s, err)))
		return rc;
	json_t *j;
	rc = summary_json(cli, &s, &j, err);
	sel_free(&s);
	if (rc)
		return rc;
	if (cli->json) {
		cli_json_print(j);
		return 0;
	}
	printf("%lld devices\n", (long long)json_integer_value(json_object_get(j, "devices")));
	summary_print(j);
	json_decref(j);
	return 0;
}

/* ---- fleet apply ---- */

/* Commands print their own results; a fleet run keeps stdout and stderr
 * for its progress and summary, so the steps write to /dev/null. */
struct hush { int out, err, cap; };

static struct hush *hushed;

static void
hush_on(struct hush *h)
{
	fflush(stdout);
	fflush(stderr);
	h->out = dup(1);
	h->err = dup(2);
	int nul = open("/dev/null", O_WRONLY);
	if (nul >= 0) {
		dup2(nul, 1);
		close(nul);
	}
	/* stderr goes to a scratch file: an Apple tool's own message (kmutil's
	 * "Error Domain=...") is what a failed step reports */
	FILE *tf = tmpfile();
	h->cap = tf ? dup(fileno(tf)) : -1;
	if (tf)
		fclose(tf);
	if (h->cap >= 0)
		dup2(h->cap, 2);
	hushed = h;
}

/* The last line a step wrote to stderr (empty if none); resets the capture. */
static void
hush_take(char *out, size_t len)
{
	out[0] = '\0';
	if (hushed == NULL || hushed->cap < 0)
		return;
	fflush(stderr);
	off_t end = lseek(hushed->cap, 0, SEEK_END);
	if (end <= 0)
		return;         /* nothing said since the last take */
	{
		char buf[1024];
		off_t from = end > (off_t)sizeof buf - 1 ? end - (off_t)sizeof buf + 1 : 0;
		ssize_t n = pread(hushed->cap, buf, (size_t)(end - from), from);
		if (n > 0) {
			buf[n] = '\0';
			while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
				buf[--n] = '\0';
			char *nl = strrchr(buf, '\n');
			snprintf(out, len, "%s", nl ? nl + 1 : buf);
		}
	}
	if (ftruncate(hushed->cap, 0) == 0)
		lseek(hushed->cap, 0, SEEK_SET);
}

static void
hush_off(struct hush *h)
{
	fflush(stdout);
	fflush(stderr);
	if (h->out >= 0) {
		dup2(h->out, 1);
		close(h->out);
	}
	if (h->err >= 0) {
		dup2(h->err, 2);
		close(h->err);
	}
	if (h->cap >= 0)
		close(h->cap);
	hushed = NULL;
}

static int
apply_device(struct mx_cli *cli, struct plan *p, const char *name, bool *failed, mx_err *err)
{
	*failed = false;
	cli->device_name = name;
	for (int i = 0; i < p->n; i++) {
		struct step *s = &p->s[i];
		if (s->when.n) {
			mx_device d;
			bool m;
			int rc = mx_store_device_load(cli->st, name, &d, err);
			if (rc == 0)
				rc = fleet_filter_match(&s->when, cli->st, &d, &m, err);
			if (rc)
				return rc;
			if (!m) {
				s->skipped++;
				continue;
			}
		}
		char *av[MAX_ARGS + 1];
		memcpy(av, s->argv, sizeof(char *) * (size_t)s->argc);
		av[s->argc] = NULL;
		mx_err e;
		cli_random(cli);
		char junk[8];
		hush_take(junk, sizeof junk);
		double t = now_s();
		int code = fleet_run(cli, s->argc, av, &e);
		s->secs += now_s() - t;
		s->ran++;
		step_record(s, code);
		if (code != 0 && (e.code == MX_EIO || e.code == MX_EBUSY)) {
			/* the store failed, not the device: stop the run, roll back the batch */
			*err = e;
			mx_err_where(err, "%s: %s: ", name, s->text);
			return e.code;
		}
		if (step_expects(s, code)) {
			s->ok++;
			continue;
		}
		s->failed++;
		if (s->first_failure[0] == '\0') {
			char said[512];
			hush_take(said, sizeof said);
			if (e.msg[0])
				snprintf(s->first_failure, sizeof s->first_failure, "%s: exit %d: %s%s%s",
				    name, code, e.where, e.where[0] ? ": " : "", e.msg);
			else
				snprintf(s->first_failure, sizeof s->first_failure, "%s: exit %d: %s", name,
				    code, said);
		}
		*failed = true;
		return 0;
	}
	return 0;
}

static int
fleet_apply(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *filter = arg_value(&argc, argv, "--devices");
	const char *batch_s = arg_value(&argc, argv, "--batch");
	int rc = arg_check(argc, argv, 1, 1, APPLY_USAGE, err);
	if (rc)
		return rc;
	char *end;
	long batch = batch_s ? strtol(batch_s, &end, 10) : 500;
	if ((batch_s && *end) || batch < 1 || batch > 100000)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--batch takes 1 to 100000");
	struct plan p;
	if ((rc = parse_steps(&p, argv[1], err)))
		return rc;
	struct sel s;
	if ((rc = cli_store(cli, err)) || (rc = select_devices(cli, filter, &s, err))) {
		plan_free(&p);
		return rc;
	}
	struct hush h;
	int tty = dup(2);
	FILE *ttyf = tty >= 0 ? fdopen(tty, "w") : NULL;
	struct progress pg;
	progress_init(&pg, ttyf, "fleet apply");
	bool quiet = cli->quiet, json = cli->json;
	const char *devname = cli->device_name;
	cli->quiet = true;
	cli->json = false;
	hush_on(&h);
	double t0 = now_s();
	long done = 0, failed = 0;
	while (rc == 0 && done < s.n) {
		long n = s.n - done < batch ? s.n - done : batch;
		long batch_failed = 0;
		if ((rc = mx_store_batch_begin(cli->st, err)))
			break;
		for (long i = done; i < done + n && rc == 0; i++) {
			bool f;
			rc = apply_device(cli, &p, s.name[i], &f, err);
			batch_failed += f;
		}
		if (rc) {
			mx_store_batch_rollback(cli->st);
			break;
		}
		if ((rc = mx_store_batch_commit(cli->st, err)))
			break;
		done += n;
		failed += batch_failed;
		progress_show(&pg, done, s.n, false);
	}
	double secs = now_s() - t0;
	hush_off(&h);
	progress_show(&pg, done, s.n, true);
	if (ttyf)
		fclose(ttyf);
	cli->quiet = quiet;
	cli->json = json;
	cli->device_name = devname;
	if (rc) {
		mx_err_where(err, "fleet apply (%ld of %ld devices done; the batch of %ld being"
		    " applied was rolled back whole): ", done, s.n, batch);
		sel_free(&s);
		plan_free(&p);
		return rc;
	}
	json_t *j = NULL;
	if ((rc = summary_json(cli, &s, &j, err))) {
		sel_free(&s);
		plan_free(&p);
		return rc;
	}
	json_t *steps = json_array();
	for (int i = 0; i < p.n; i++) {
		struct step *st = &p.s[i];
		json_t *codes = json_object();
		for (int c = 0; c < st->ncodes; c++) {
			char k[16];
			snprintf(k, sizeof k, "%d", st->code[c]);
			json_object_set_new(codes, k, json_integer(st->code_n[c]));
		}
		json_array_append_new(steps, json_pack("{s:i, s:s, s:I, s:I, s:I, s:I, s:f, s:o, s:s?}",
		    "line", st->line, "step", st->text, "ran", (json_int_t)st->ran,
		    "skipped", (json_int_t)st->skipped, "ok", (json_int_t)st->ok,
		    "failed", (json_int_t)st->failed, "seconds", st->secs, "exit_codes", codes,
		    "first_failure", st->first_failure[0] ? st->first_failure : NULL));
	}
	json_object_set_new(j, "completed", json_integer(done - failed));
	json_object_set_new(j, "failed", json_integer(failed));
	json_object_set_new(j, "seconds", json_real(secs));
	json_object_set_new(j, "devices_per_second", json_real(secs > 0 ? (double)done / secs : 0));
	json_object_set_new(j, "steps", steps);
	if (cli->json) {
		cli_json_print(j);
	} else {
		printf("fleet apply %s: %ld devices in %.2f s (%.0f devices/s): %ld completed every"
		    " step, %ld stopped at a failed step\n", argv[1], done, secs,
		    secs > 0 ? (double)done / secs : 0.0, done - failed, failed);
		printf("steps:\n");
		for (int i = 0; i < p.n; i++) {
			struct step *st = &p.s[i];
			printf("  %2d %-48.48s ran %ld", i + 1, st->text, st->ran);
			if (st->skipped)
				printf(", skipped %ld", st->skipped);
			for (int c = 0; c < st->ncodes; c++)
				printf(", exit %d: %ld", st->code[c], st->code_n[c]);
			if (st->failed)
				printf(", FAILED %ld", st->failed);
			if (st->ran)
				printf(" (%.2f ms each)", st->secs * 1000 / (double)st->ran);
			putchar('\n');
			if (st->first_failure[0])
				printf("       first failure: %s\n", st->first_failure);
		}
		summary_print(j);
		json_decref(j);
	}
	sel_free(&s);
	plan_free(&p);
	/* a step that failed on some device makes the run fail (after the summary) */
	if (failed)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "fleet apply: %ld of %ld devices stopped"
		    " at a step that failed (see the summary)", failed, done);
	return 0;
}

int
cmd_fleet(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	static const struct { const char *name; mx_cmd_fn fn; } sub[] = {
		{ "create", fleet_create }, { "apply", fleet_apply }, { "summary", fleet_summary },
	};
	if (argc < 2)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "usage: macext fleet create|apply|summary");
	for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++)
		if (strcmp(argv[1], sub[i].name) == 0)
			return sub[i].fn(cli, argc - 1, argv + 1, err);
	return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "unknown fleet command '%s'", argv[1]);
}
