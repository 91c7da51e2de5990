/*
 * cmd_fleet.c — `macext fleet create|summary` (and the dispatch of `fleet
 * apply`, fleet_apply.c): many simulated Macs at once, in one process with
 * the engine opened once.
 *
 *   create  N devices from a mix (arch:os[:enrolment][:sip-on|sip-off]=P%),
 *           named PREFIX-000001..., 1,000 per transaction (each batch
 *           atomic); a password is hashed once and the hash reused; the
 *           enrolment is the engine's mx_op_enroll.
 *   summary how many devices are in each kext / system extension state
 *           and which user action the alerts they show ask for (the
 *           engine's mx_engine_fleet_summary, which serve shares).
 * Design: DESIGN.md "Embedded default and scale"; docs/fleet.md.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fleet.h"
#include "macext/text.h"

#define CREATE_USAGE "macext fleet create --count N --mix SPEC [--prefix NAME]" \
	" [--admin USER:PASSWORD]... [--user USER:PASSWORD]... [--trust-anchor CERT.pem]" \
	" [--batch N]"
#define SUMMARY_USAGE "macext fleet summary [--devices FILTER] [--json]"
#define MAX_COUNT 10000000L

/* ---- progress on a terminal (stderr) ---- */

double
fleet_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- progress on a terminal (stderr) ---- */

void
fleet_progress_init(struct fleet_progress *p, FILE *f, const char *what)
{
	p->f = f;
	p->tty = f && isatty(fileno(f));
	p->t0 = p->last = fleet_now_s();
	p->what = what;
}

void
fleet_progress_show(struct fleet_progress *p, long done, long total, bool final)
{
	if (!p->tty)
		return;
	double t = fleet_now_s();
	if (!final && t - p->last < 0.1)
		return;
	p->last = t;
	int w = 30, fill = total ? (int)((double)done * w / (double)total) : w;
	mx_text_fprintf(p->f, "\r%s [", p->what);
	for (int i = 0; i < w; i++)
		fputc(i < fill ? '#' : ' ', p->f);
	mx_text_fprintf(p->f, "] %ld/%ld devices  %.1f s", done, total, t - p->t0);
	if (final)
		fputs("\n", p->f);
	fflush(p->f);
}

/* ---- fleet create ---- */

int
fleet_mix_parse(struct fleet_mix *m, int *n, const char *spec, mx_err *err)
{
	char buf[2048];
	snprintf(buf, sizeof buf, "%s", spec);
	*n = 0;
	double sum = 0;
	char *save = NULL;
	for (char *e = strtok_r(buf, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
		if (*n == FLEET_MAX_MIX)
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--mix: at most %d entries", FLEET_MAX_MIX);
		struct fleet_mix *x = &m[*n];
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
void
fleet_mix_counts(struct fleet_mix *m, int n, long total)
{
	long given = 0;
	double rem[FLEET_MAX_MIX];
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
mix_pick(struct fleet_mix *m, int n, long i, long total)
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

static void
cred_specs(const struct cred *c, int n, mx_user_spec *out)
{
	for (int i = 0; i < n; i++)
		out[i] = (mx_user_spec){ c[i].name, NULL, c[i].hash, c[i].admin };
}

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
create_one(struct mx_cli *cli, const char *name, const struct fleet_mix *x, const mx_user_spec *users,
    int nusers, const char *anchor_hash, mx_err *err)
{
	mx_device_spec spec = { .name = name, .arch = x->arch, .os = x->os, .sip_off = x->sip_off,
		.trust_anchor = anchor_hash[0] ? anchor_hash : NULL, .nusers = nusers, .users = users,
		.why = "fleet create" };
	int rc = mx_engine_device_create(cli->eng, &spec, NULL, err);
	if (rc == MX_EEXIST)
		return MX_FAIL(err, MX_EEXIST, MX_NO_OFFSET, "a device named '%s' already exists"
		    " (choose another --prefix)", name);
	if (rc || x->enroll == MX_ENROLL_NONE)
		return rc;
	/* enrolment is the `mdm enroll` operation itself */
	mx_op *op;
	if ((rc = mx_op_begin(&op, cli->eng, name, MX_OP_WRITE, err)) ||
	    (rc = cli_end(op, mx_op_enroll(op, x->enroll, x->user_approved &&
	    x->enroll == MX_ENROLL_DEVICE, false, err), err))) {
		mx_err_where(err, "%s: mdm enroll: ", name);
		return rc;
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
	struct fleet_mix m[FLEET_MAX_MIX];
	int nm;
	if ((rc = fleet_mix_parse(m, &nm, mix_s, err)))
		return rc;
	fleet_mix_counts(m, nm, count);
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
	/* as `device create --trust-anchor`: stored once, shared by every device */
	if (anchor && (rc = cli_import_anchor(cli, anchor, anchor_hash, err)))
		return rc;
	mx_user_spec uspec[MX_MAX_USERS];
	cred_specs(creds, ncreds, uspec);
	struct fleet_progress pg;
	fleet_progress_init(&pg, stderr, "fleet create");
	double t0 = fleet_now_s();
	long done = 0;
	bool quiet = cli->quiet;
	cli->quiet = true;
	while (done < count) {
		long n = count - done < batch ? count - done : batch;
		if ((rc = mx_engine_batch_begin(cli->eng, err)))
			break;
		for (long i = done; i < done + n && rc == 0; i++) {
			char name[64];
			mx_fleet_device_name(name, sizeof name, prefix, i + 1, count);
			rc = create_one(cli, name, &m[mix_pick(m, nm, i, count)], uspec, ncreds,
			    anchor_hash, err);
		}
		if (rc) {
			mx_engine_batch_rollback(cli->eng);
			break;
		}
		if ((rc = mx_engine_batch_commit(cli->eng, err)))
			break;
		done += n;
		fleet_progress_show(&pg, done, count, false);
	}
	cli->quiet = quiet;
	fleet_progress_show(&pg, done, count, true);
	double secs = fleet_now_s() - t0;
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
		cli_json_print(cli, json_pack("{s:I, s:s, s:o, s:f}", "created", (json_int_t)done,
		    "prefix", prefix, "mix", mix, "seconds", secs));
		return 0;
	}
	char first[64], last[64];
	mx_fleet_device_name(first, sizeof first, prefix, 1, count);
	mx_fleet_device_name(last, sizeof last, prefix, count, count);
	cli_out(cli, "created %ld devices %s..%s in %.2f s (%.0f devices/s)\n", done, first, last,
	    secs, secs > 0 ? (double)done / secs : 0.0);
	for (int k = 0; k < nm; k++)
		cli_out(cli, "  %-40s %8ld\n", m[k].label, m[k].count);
	return 0;
}

/* ---- device selection and the summary (the engine's fleet reads) ---- */

int
fleet_select(struct mx_cli *cli, const char *spec, mx_fleet_sel *out, mx_err *err)
{
	mx_fleet_filter f;
	memset(out, 0, sizeof *out);
	int rc = mx_fleet_filter_parse(&f, spec, err);
	if (rc) {
		mx_err_where(err, "--devices: ");
		return rc;
	}
	rc = mx_engine_fleet_select(cli->eng, &f, out, err);
	mx_fleet_filter_free(&f);
	return rc;
}

int
fleet_summary_json(struct mx_cli *cli, const mx_fleet_sel *s, json_t **out, mx_err *err)
{
	return mx_engine_fleet_summary(cli->eng, s->id, (size_t)s->n, out, err);
}

static void
print_counts(struct mx_cli *cli, const char *title, json_t *o)
{
	if (json_object_size(o) == 0)
		return;
	cli_out(cli, "%s\n", title);
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
		cli_out(cli, "  %-72s %8lld\n", k, (long long)json_integer_value(v));
}

void
fleet_summary_print(struct mx_cli *cli, json_t *j)
{
	print_counts(cli, "enrollment:", json_object_get(j, "enrollment"));
	print_counts(cli, "running:", json_object_get(j, "environment"));
	print_counts(cli, "kext states (devices with a kext in that state):",
	    json_object_get(j, "kext_states"));
	print_counts(cli, "system extension states (devices):", json_object_get(j, "sysext_states"));
	print_counts(cli, "alerts shown (devices):", json_object_get(j, "alerts"));
	json_t *a = json_object_get(j, "user_actions");
	if (json_object_size(a))
		print_counts(cli, "user action needed (devices, from their alerts):", a);
	else
		cli_out(cli, "user action needed: none\n");
}

static int
fleet_summary(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *filter = arg_value(&argc, argv, "--devices");
	int rc = arg_check(argc, argv, 0, 0, SUMMARY_USAGE, err);
	if (rc || (rc = cli_store(cli, err)))
		return rc;
	mx_fleet_sel s;
	if ((rc = fleet_select(cli, filter, &s, err)))
		return rc;
	json_t *j;
	rc = fleet_summary_json(cli, &s, &j, err);
	mx_fleet_sel_free(&s);
	if (rc)
		return rc;
	if (cli->json) {
		cli_json_print(cli, j);
		return 0;
	}
	cli_out(cli, "%lld devices\n", (long long)json_integer_value(json_object_get(j, "devices")));
	fleet_summary_print(cli, j);
	json_decref(j);
	return 0;
}

static const cli_verb fleet_verbs_v[] = {
	{ "create", fleet_create, CLI_ACT },
	{ "apply", fleet_apply, CLI_ACT },
	{ "summary", fleet_summary, CLI_SHOW },
	{ "enroll", cmd_fleet_enroll, CLI_ACT },     /* cmd_mdm_agent.c */
};
const cli_verbs fleet_verbs = CLI_VERBS("fleet", fleet_verbs_v,
    "macext fleet create|apply|summary|enroll");

int
cmd_fleet(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	return cli_dispatch(cli, &fleet_verbs, argc, argv, err);
}
