/*
 * fleet_apply.c — `macext fleet apply STEPS-FILE`: a steps file (one CLI
 * line per step, docs/fleet.md) on every device a filter selects.  The
 * plan is loaded once: each line's `when` filter, `expect-exit` codes and
 * command are parsed into a typed step (fleet_step.c); a line the table
 * does not know, or whose arguments its command would reject, is a plan
 * error naming the file and line.  Per device each step calls its engine
 * operation directly (fleet_exec.c) — no argv, no output — as a savepoint
 * inside a batch transaction of --batch devices, so a step is atomic and a
 * batch costs one durable commit.  Ends with the summary (cmd_fleet.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleet.h"
#include "fleet_step.h"

#define APPLY_USAGE "macext fleet apply STEPS-FILE [--devices FILTER] [--batch N] [--json]"

/* ---- steps files ---- */

#define MAX_ARGS 48
#define MAX_CODES 8

struct step {
	int line;
	char text[512];
	int argc;
	char *argv[MAX_ARGS];
	mx_fleet_filter when;
	struct fleet_step_op op;     /* the typed step (its strings are argv's) */
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
		fleet_step_free(&p->s[i].op);
		for (int a = 0; a < p->s[i].argc; a++)
			free(p->s[i].argv[a]);
		mx_fleet_filter_free(&p->s[i].when);
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
			if ((rc = mx_fleet_filter_parse(&s->when, w[1], err))) {
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
		/* typed once: the step's operation and its arguments */
		if ((rc = fleet_step_parse(&s->op, s->argc, s->argv, err))) {
			mx_err_where(err, "%s:%d%s", file, ln, err->where[0] ? ": " : "");
			break;
		}
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

static int
apply_device(struct mx_cli *cli, struct plan *p, const char *name, bool *failed, mx_err *err)
{
	*failed = false;
	for (int i = 0; i < p->n; i++) {
		struct step *s = &p->s[i];
		if (s->when.n) {
			bool m;
			int rc = mx_engine_fleet_match(cli->eng, &s->when, name, &m, err);
			if (rc)
				return rc;
			if (!m) {
				s->skipped++;
				continue;
			}
		}
		struct fleet_outcome o;
		double t = fleet_now_s();
		int code = fleet_step_run(cli->eng, &s->op, name, &o);
		s->secs += fleet_now_s() - t;
		s->ran++;
		step_record(s, code);
		if (code != 0 && (o.err.code == MX_EIO || o.err.code == MX_EBUSY)) {
			/* the store failed, not the device: stop the run, roll back the batch */
			*err = o.err;
			mx_err_where(err, "%s: %s: ", name, s->text);
			return o.err.code;
		}
		if (step_expects(s, code)) {
			s->ok++;
			continue;
		}
		s->failed++;
		if (s->first_failure[0] == '\0') {
			/* what the step said: its error, or the line an Apple tool
			 * printed itself (kmutil's "Error Domain=...") */
			const mx_err *e = &o.err;
			if (e->msg[0] && !(o.printed && o.said[0]))
				snprintf(s->first_failure, sizeof s->first_failure, "%s: exit %d: %s%s%s",
				    name, code, e->where, e->where[0] ? ": " : "", e->msg);
			else
				snprintf(s->first_failure, sizeof s->first_failure, "%s: exit %d: %s", name,
				    code, o.said);
		}
		*failed = true;
		return 0;
	}
	return 0;
}

int
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
	mx_fleet_sel s;
	if ((rc = cli_store(cli, err)) || (rc = fleet_select(cli, filter, &s, err))) {
		plan_free(&p);
		return rc;
	}
	struct fleet_progress pg;
	fleet_progress_init(&pg, stderr, "fleet apply");
	double t0 = fleet_now_s();
	long done = 0, failed = 0;
	while (rc == 0 && done < s.n) {
		long n = s.n - done < batch ? s.n - done : batch;
		long batch_failed = 0;
		if ((rc = mx_engine_batch_begin(cli->eng, err)))
			break;
		for (long i = done; i < done + n && rc == 0; i++) {
			bool f;
			rc = apply_device(cli, &p, s.name[i], &f, err);
			batch_failed += f;
		}
		if (rc) {
			mx_engine_batch_rollback(cli->eng);
			break;
		}
		if ((rc = mx_engine_batch_commit(cli->eng, err)))
			break;
		done += n;
		failed += batch_failed;
		fleet_progress_show(&pg, done, s.n, false);
	}
	double secs = fleet_now_s() - t0;
	fleet_progress_show(&pg, done, s.n, true);
	if (rc) {
		mx_err_where(err, "fleet apply (%ld of %ld devices done; the batch of %ld being"
		    " applied was rolled back whole): ", done, s.n, batch);
		mx_fleet_sel_free(&s);
		plan_free(&p);
		return rc;
	}
	json_t *j = NULL;
	if ((rc = fleet_summary_json(cli, &s, &j, err))) {
		mx_fleet_sel_free(&s);
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
		cli_json_print(cli, j);
	} else {
		cli_out(cli, "fleet apply %s: %ld devices in %.2f s (%.0f devices/s): %ld completed every"
		    " step, %ld stopped at a failed step\n", argv[1], done, secs,
		    secs > 0 ? (double)done / secs : 0.0, done - failed, failed);
		cli_out(cli, "steps:\n");
		for (int i = 0; i < p.n; i++) {
			struct step *st = &p.s[i];
			cli_out(cli, "  %2d %-48.48s ran %ld", i + 1, st->text, st->ran);
			if (st->skipped)
				cli_out(cli, ", skipped %ld", st->skipped);
			for (int c = 0; c < st->ncodes; c++)
				cli_out(cli, ", exit %d: %ld", st->code[c], st->code_n[c]);
			if (st->failed)
				cli_out(cli, ", FAILED %ld", st->failed);
			if (st->ran)
				cli_out(cli, " (%.2f ms each)", st->secs * 1000 / (double)st->ran);
			cli_out(cli, "\n");
			if (st->first_failure[0])
				cli_out(cli, "       first failure: %s\n", st->first_failure);
		}
		fleet_summary_print(cli, j);
		json_decref(j);
	}
	mx_fleet_sel_free(&s);
	plan_free(&p);
	/* a step that failed on some device makes the run fail (after the summary) */
	if (failed)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "fleet apply: %ld of %ld devices stopped"
		    " at a step that failed (see the summary)", failed, done);
	return 0;
}

