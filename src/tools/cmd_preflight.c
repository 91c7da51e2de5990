/*
 * cmd_preflight.c — `macext preflight PLAN [--fleet MIX | --state DIR |
 * --from-export DIR...] [--count N] [--trust-anchor CERT.pem] [--json]
 * [--html OUT.html]` (docs/preflight.md).  Reads the plan (pfplan.c),
 * opens an engine on a temporary state directory of its own, reads every
 * input once, works out the fleet's distinct classes (one device each:
 * created, or imported from the given state or exports, which are only
 * read), runs the timeline on each (preflight_sim.c), derives the findings
 * (preflight_find.c) and prints the report (preflight_out.c).  Exit 0:
 * nothing for a person to do; 1: person steps; 2: findings that block;
 * otherwise the usual error codes.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macext/bundle.h"
#include "macext/codesign.h"
#include "fleet.h"
#include "preflight.h"

#define PF_USAGE "macext preflight PLAN.yaml [--fleet MIX | --state DIR | --from-export DIR...]" \
	" [--count N] [--trust-anchor CERT.pem] [--json] [--html OUT.html]"
#define PF_MAX_EXPORTS 64

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

static void
rm_tree(const char *dir)
{
	if (dir[0])
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the plan's inputs, read once ---- */

static void
ext_add(struct pf_run *r, bool kext, const mx_bundle *b, const char *team, const char *app_id,
    int input)
{
	int i;
	for (i = 0; i < PF_MAX_EXT && r->ext[i].id[0]; i++)
		if (!strcmp(r->ext[i].id, b->bundle_id) && r->ext[i].input == input)
			return;
	if (i == PF_MAX_EXT)
		return;
	struct pf_ext *x = &r->ext[i];
	x->kext = kext;
	snprintf(x->id, sizeof x->id, "%s", b->bundle_id);
	snprintf(x->team, sizeof x->team, "%s", team);
	snprintf(x->category, sizeof x->category, "%s", b->category);
	snprintf(x->app_id, sizeof x->app_id, "%s", app_id ? app_id : "");
	x->input = input;
}

static void
team_of(struct pf_run *r, const char *path, char *team, size_t len)
{
	mx_siginfo si;
	mx_engine_stored_signature(r->e, path, r->anchor, &si);
	snprintf(team, len, "%s", si.team_id[0] ? si.team_id : si.narch ? si.arch[0].team_id : "");
	mx_siginfo_free(&si);
}

/* What a stored bundle holds: an app's embedded extensions, a kext or dext. */
void
pf_bundle_facts(struct pf_run *r, int input, const char *stored, char *bundle_id, size_t len)
{
	mx_bundle *b;
	mx_err e;
	if (mx_bundle_open(&b, stored, &e) != 0)
		return;
	snprintf(bundle_id, len, "%s", b->bundle_id);
	char team[32];
	team_of(r, stored, team, sizeof team);
	if (b->kind == MX_BUNDLE_KEXT || b->kind == MX_BUNDLE_DEXT || b->kind == MX_BUNDLE_SYSEXT)
		ext_add(r, b->kind == MX_BUNDLE_KEXT, b, team, NULL, input);
	for (int i = 0; b->kind == MX_BUNDLE_APP && i < b->nembedded; i++) {
		mx_bundle *x;
		if (mx_bundle_open(&x, b->embedded[i], &e) != 0)
			continue;
		char xt[32];
		team_of(r, b->embedded[i], xt, sizeof xt);
		ext_add(r, false, x, xt, b->bundle_id, input);
		mx_bundle_free(x);
	}
	mx_bundle_free(b);
}

static int
read_inputs(struct pf_run *r, mx_err *err)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", r->plan_path);
	char *d = dirname(dir);
	for (int i = 0; i < r->plan->ninputs; i++) {
		const mx_pf_input *pi = &r->plan->inputs[i];
		struct pf_in *in = &r->in[i];
		if (pi->path[0] == '/' || strcmp(d, ".") == 0)
			snprintf(in->path, sizeof in->path, "%s", pi->path);
		else
			snprintf(in->path, sizeof in->path, "%s/%s", d, pi->path);
		mx_err_clear(&in->err);
		if (access(in->path, R_OK) != 0) {
			MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "inputs.%s: %s: no such file or bundle",
			    pi->name, in->path);
			snprintf(err->where, sizeof err->where, "%s:%d", r->plan->name, pi->line);
			return MX_ENOTFOUND;
		}
		char stored[PATH_MAX];
		const char *hash = NULL;
		if (pi->kind == MX_PFI_PROFILE) {
			/* read, parsed and CMS-checked once: the analysis and every step share it */
			in->read_rc = cli_read_file(in->path, MX_PROFILE_MAX_BYTES, &in->bytes, &in->len,
			    &in->err);
			if (in->read_rc == 0 && mx_engine_import_profile(r->e, in->bytes, in->len, in->path,
			    &in->doc) == 0)
				in->prof = mx_profile_doc_profile(in->doc.doc);
			else if (in->read_rc == 0)
				in->err = in->doc.err;
			in->ok = in->prof != NULL;
		} else if (pi->kind == MX_PFI_APP) {
			/* copied into the content store once; the facts read from the stored copy */
			if (mx_engine_import_app(r->e, in->path, &in->app) == 0)
				hash = in->app.hash;
			else
				in->err = in->app.err;
		} else if (pi->kind == MX_PFI_KEXT) {
			if (mx_engine_import_kext_copy(r->e, in->path, &in->kext) == 0)
				hash = in->kext.hash;
			else
				in->err = in->kext.err;
		} else if (pi->kind == MX_PFI_DEXT) {
			char h[65];
			if (mx_engine_import_bundle(r->e, in->path, h, &in->err) == 0 &&
			    mx_cas_path(mx_engine_store(r->e), h, stored, sizeof stored, &in->err) == 0) {
				pf_bundle_facts(r, i, stored, in->bundle_id, sizeof in->bundle_id);
				in->ok = true;
			}
		} else {
			in->ok = true;       /* packages: imported per kind of Mac (pkg.h) */
		}
		if (hash && mx_cas_path(mx_engine_store(r->e), hash, stored, sizeof stored, &in->err) == 0) {
			pf_bundle_facts(r, i, stored, in->bundle_id, sizeof in->bundle_id);
			in->ok = true;
		}
	}
	/* every step's when, checked before anything runs */
	for (int i = 0; i < r->plan->nsteps; i++) {
		const mx_pf_step *st = &r->plan->steps[i];
		mx_fleet_filter f;
		if (st->when[0] == '\0')
			continue;
		if (mx_fleet_filter_parse(&f, st->when, err)) {
			mx_err_where(err, "%s:%d: timeline[%d].when", r->plan->name, st->line, i);
			err->code = MX_EUSAGE;
			return MX_EUSAGE;
		}
		mx_fleet_filter_free(&f);
	}
	return 0;
}

/* Each step's typed fleet step, its host input the one import of its input
 * (fleet_exec.c then imports nothing again). */
static void
prepare_ops(struct pf_run *r)
{
	r->ops = mx_xcalloc((size_t)r->plan->nsteps + 1, sizeof *r->ops);
	for (int i = 0; i < r->plan->nsteps; i++) {
		const mx_pf_step *st = &r->plan->steps[i];
		struct fleet_step_op *op = &r->ops[i];
		struct pf_in *in = st->input >= 0 ? &r->in[st->input] : NULL;
		struct fleet_import *im;
		switch (st->kind) {
		case MX_PFS_INSTALL_PROFILE:
			op->kind = st->manual ? FS_PROFILES_INSTALL : FS_MDM_INSTALL_PROFILE;
			im = op->imp = mx_xcalloc(1, sizeof *op->imp);
			mx_err_clear(&im->err);
			if ((im->rc = in->read_rc) != 0)
				im->err = in->err;
			else      /* the same bytes: the engine hands out the same parsed document */
				mx_engine_import_profile(r->e, in->bytes, in->len, in->path, &im->profile);
			break;
		case MX_PFS_INSTALL_APP:
			op->kind = FS_APP_INSTALL;
			im = op->imp = mx_xcalloc(1, sizeof *op->imp);
			im->app = in->app;
			if ((im->rc = in->app.rc) != 0)
				im->err = in->app.err;
			break;
		case MX_PFS_INSTALL_KEXT:
			op->kind = FS_KEXT_INSTALL;
			im = op->imp = mx_xcalloc(1, sizeof *op->imp);
			mx_err_clear(&im->err);
			im->kext = in->kext;
			break;
		default:
			break;
		}
	}
	for (int i = 0; i < r->plan->ninputs; i++) {
		free(r->in[i].bytes);
		r->in[i].bytes = NULL;
	}
}

/* ---- classes ---- */

static struct pf_class *
add_class(struct pf_run *r, mx_err *err)
{
	if (r->nclasses == PF_MAX_CLASSES) {
		MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "at most %d distinct kinds of Mac", PF_MAX_CLASSES);
		return NULL;
	}
	struct pf_class *c = &r->cls[r->nclasses++];
	memset(c, 0, sizeof *c);
	snprintf(c->device, sizeof c->device, "class-%03d", r->nclasses);
	return c;
}

static void
class_label(struct pf_class *c, const char *enroll_word)
{
	char os[24];
	mx_version_str(c->os, os, sizeof os);
	snprintf(c->label, sizeof c->label, "%s %s %s SIP %s", mx_arch_name(c->arch), os,
	    enroll_word, c->sip_off ? "off" : "on");
}

static int
classes_from_mix(struct pf_run *r, const char *spec, long count, mx_err *err)
{
	struct fleet_mix m[FLEET_MAX_MIX];
	int n, rc;
	if ((rc = fleet_mix_parse(m, &n, spec, err)))
		return rc;
	fleet_mix_counts(m, n, count);
	for (int i = 0; i < n; i++) {
		struct pf_class *c = add_class(r, err);
		if (c == NULL)
			return MX_EUSAGE;
		c->arch = m[i].arch, c->os = m[i].os, c->enroll = m[i].enroll;
		c->user_approved = m[i].user_approved, c->sip_off = m[i].sip_off;
		c->devices = m[i].count;
		const char *w = mx_enroll_name(c->enroll);
		if (c->enroll == MX_ENROLL_DEVICE && !c->user_approved)
			w = "device-unapproved";
		class_label(c, w);
	}
	return 0;
}

/* The plan's axes crossed: arch x macos x enrollment x sip, equal shares. */
static int
classes_from_axes(struct pf_run *r, const mx_pf_fleet *f, long count, mx_err *err)
{
	int ne = f->nenroll ? f->nenroll : 1, ns = f->nsip ? f->nsip : 1;
	long total = (long)f->narch * f->nos * ne * ns, k = 0;
	for (int a = 0; a < f->narch; a++)
		for (int o = 0; o < f->nos; o++)
			for (int e = 0; e < ne; e++)
				for (int s = 0; s < ns; s++, k++) {
					const char *w = f->nenroll ? f->enroll[e] : "none";
					if (f->arch[a] == MX_ARCH_ARM64 && f->os[o].major < 11)
						continue;        /* no such Mac */
					struct pf_class *c = add_class(r, err);
					if (c == NULL)
						return MX_EUSAGE;
					c->arch = f->arch[a], c->os = f->os[o];
					c->sip_off = f->nsip ? f->sip_off[s] : false;
					c->user_approved = strcmp(w, "device") == 0;
					if (strcmp(w, "device-unapproved") == 0)
						c->enroll = MX_ENROLL_DEVICE;
					else
						mx_enroll_parse(&c->enroll, w, NULL);
					c->devices = count / total + (k < count % total);
					class_label(c, w);
				}
	return r->nclasses ? 0 : MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "the fleet has no Mac (Apple"
	    " silicon runs macOS 11 or later)");
}

/* What makes two existing devices behave alike: their hardware, software,
 * enrolment, security and everything installed. */
static void
devstate_key(const mx_devstate *s, char *key, size_t len)
{
	const mx_device *d = &s->dev;
	char os[24];
	mx_version_str(d->os, os, sizeof os);
	size_t l = (size_t)snprintf(key, len, "%d|%s|%d|%d|%d|%u|%d|%d|%d|%s|", d->arch, os, d->enroll,
	    d->user_approved, d->supervised, d->csr, d->policy, d->kext_user_management,
	    d->kext_remote_management, s->trust_anchor_pem ? "anchor" : "");
	for (size_t i = 0; i < s->nprofiles && l < len; i++)
		l += (size_t)snprintf(key + l, len - l, "p:%s;", s->profiles[i].row.identifier);
	for (int i = 0; i < s->nkexts && l < len; i++)
		l += (size_t)snprintf(key + l, len - l, "k:%s=%d;", s->kexts[i].bundle_id,
		    s->kexts[i].state);
	for (size_t i = 0; i < s->nsx && l < len; i++)
		l += (size_t)snprintf(key + l, len - l, "s:%s=%d;", s->sx[i].identifier, s->sx[i].state);
}

static struct pf_class *
class_for_state(struct pf_run *r, char (*keys)[4096], const mx_devstate *s, bool *isnew,
    mx_err *err)
{
	char key[4096];
	devstate_key(s, key, sizeof key);
	for (int i = 0; i < r->nclasses; i++)
		if (strcmp(keys[i], key) == 0) {
			*isnew = false;
			r->cls[i].devices++;
			return &r->cls[i];
		}
	struct pf_class *c = add_class(r, err);
	if (c == NULL)
		return NULL;
	snprintf(keys[r->nclasses - 1], 4096, "%s", key);
	*isnew = true;
	c->arch = s->dev.arch, c->os = s->dev.os, c->enroll = s->dev.enroll;
	c->user_approved = s->dev.user_approved, c->sip_off = s->dev.csr != 0;
	c->devices = 1;
	class_label(c, c->enroll == MX_ENROLL_DEVICE && !c->user_approved ? "device-unapproved" :
	    mx_enroll_name(c->enroll));
	size_t l = strlen(c->label);
	if (s->nprofiles || s->nkexts || s->nsx)
		snprintf(c->label + l, sizeof c->label - l, " +%zu profiles %d kexts %zu sysexts",
		    s->nprofiles, s->nkexts, s->nsx);
	return c;
}

/* --state DIR: read-only; one export per class under tmpdir/exports. */
static int
classes_from_state(struct pf_run *r, const char *dir, mx_engine_env *env, mx_err *err)
{
	mx_engine *src;
	int rc = mx_engine_open_flags(&src, dir, env, MX_ENGINE_READONLY, err);
	if (rc)
		return rc;
	mx_fleet_sel sel = { 0 };
	char (*keys)[4096] = mx_xcalloc(PF_MAX_CLASSES, sizeof *keys);
	if ((rc = mx_engine_fleet_select(src, NULL, &sel, err)) == 0 && sel.n == 0)
		rc = MX_FAIL(err, MX_ENOTFOUND, MX_NO_OFFSET, "%s: no devices", dir);
	for (long i = 0; rc == 0 && i < sel.n; i++) {
		mx_op *op;
		mx_devstate s;
		memset(&s, 0, sizeof s);
		if ((rc = mx_op_begin(&op, src, sel.name[i], MX_OP_READ, err)))
			break;
		rc = mx_op_devstate(op, &s, NULL, err);
		mx_op_abort(op);
		bool isnew = false;
		struct pf_class *c = rc ? NULL : class_for_state(r, keys, &s, &isnew, err);
		if (rc == 0 && c == NULL)
			rc = MX_EUSAGE;
		if (rc == 0 && isnew) {
			snprintf(c->from, sizeof c->from, "%s/exports/%s", r->tmpdir, c->device);
			rc = mx_engine_devstate_export(src, &s, c->from, err);
		}
		mx_devstate_free(&s);
	}
	mx_fleet_sel_free(&sel);
	free(keys);
	mx_engine_close(src);
	return rc;
}

static int
classes_from_exports(struct pf_run *r, const char **dirs, int n, mx_err *err)
{
	char (*keys)[4096] = mx_xcalloc(PF_MAX_CLASSES, sizeof *keys);
	int rc = 0;
	for (int i = 0; rc == 0 && i < n; i++) {
		mx_devstate s;
		memset(&s, 0, sizeof s);
		if ((rc = mx_engine_devstate_read(r->e, dirs[i], "probe", &s, err)))
			break;
		bool isnew = false;
		struct pf_class *c = class_for_state(r, keys, &s, &isnew, err);
		if (c == NULL)
			rc = MX_EUSAGE;
		else if (isnew && realpath(dirs[i], c->from) == NULL)
			snprintf(c->from, sizeof c->from, "%s", dirs[i]);
		mx_devstate_free(&s);
	}
	free(keys);
	return rc;
}

/* ---- the verb ---- */

static int
run(struct mx_cli *cli, struct pf_run *r, const char *fleet, const char *state,
    const char **exports, int nexports, long count, const char *anchor, mx_err *err)
{
	mx_engine_env env;
	cli_env(cli, &env);
	/* throw-away state needs no durability: memory-backed /dev/shm when there
	 * is one (commits cost no disk flush), else $TMPDIR, else /tmp */
	const char *t = getenv("TMPDIR");
	if (!(t && *t))
		t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(r->tmpdir, sizeof r->tmpdir, "%s/macext-preflight-XXXXXX", t);
	if (mkdtemp(r->tmpdir) == NULL) {
		r->tmpdir[0] = '\0';
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "cannot make a temporary state directory");
	}
	char sdir[PATH_MAX + 8];
	snprintf(sdir, sizeof sdir, "%s/state", r->tmpdir);
	int rc = mx_engine_open(&r->e, sdir, &env, err);
	if (rc)
		return rc;
	/* the throw-away devices' passwords, hashed once for the run */
	uint8_t salt[16];
	mx_engine_random(r->e, salt, sizeof salt);
	bool standard = false;
	for (int i = 0; i < r->plan->nsteps; i++)
		standard |= r->plan->steps[i].standard_user;
	r->standard = standard;
	if (mx_pw_hash(r->pw_admin, "admin", salt) || (standard &&
	    mx_pw_hash(r->pw_user, "user", salt)))
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "password hashing failed");
	char anchor_hash[65] = "";
	if (anchor && (rc = mx_engine_import_anchor(r->e, anchor, anchor_hash, err)))
		return rc;
	snprintf(r->anchor, sizeof r->anchor, "%s", anchor_hash);
	if ((rc = read_inputs(r, err)))
		return rc;
	const mx_pf_fleet *f = &r->plan->fleet;
	long n = count ? count : f->count ? f->count : 100;
	if (state) {
		r->fleet_desc = state;
		rc = classes_from_state(r, state, &env, err);
	} else if (nexports) {
		r->fleet_desc = "--from-export";
		rc = classes_from_exports(r, exports, nexports, err);
	} else if (fleet) {
		r->fleet_desc = fleet;
		rc = classes_from_mix(r, fleet, n, err);
	} else if (f->mix[0]) {
		r->fleet_desc = f->mix;
		if ((rc = classes_from_mix(r, f->mix, n, err)))
			mx_err_where(err, "%s:%d: fleet.mix", r->plan->name, f->mix_line);
	} else if (f->given) {
		r->fleet_desc = "the plan's fleet";
		rc = classes_from_axes(r, f, n, err);
	} else {
		rc = MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "no fleet: the plan has no fleet: section"
		    " and none of --fleet, --state, --from-export was given");
	}
	if (rc)
		return rc;
	for (int i = 0; i < r->nclasses; i++) {
		r->devices += r->cls[i].devices;
		snprintf(r->cls[i].anchor, sizeof r->cls[i].anchor, "%s", anchor_hash);
	}
	/* the typed steps, shared by every class: host input imported once */
	prepare_ops(r);
	double t0 = fleet_now_s();
	for (int i = 0; i < r->nclasses; i++) {
		struct pf_class *c = &r->cls[i];
		/* a class's steps are savepoints of one batch: the throw-away state
		 * pays one commit per class, as fleet apply pays one per batch */
		if ((rc = mx_engine_batch_begin(r->e, err)))
			return rc;
		if ((c->run_rc = pf_sim_class(r, c, &c->run_err)) != 0 &&
		    (c->run_rc == MX_EIO || c->run_rc == MX_EBUSY || c->run_rc == MX_ENOMEM)) {
			mx_engine_batch_rollback(r->e);
			*err = c->run_err;
			return c->run_rc;
		}
		if ((rc = mx_engine_batch_commit(r->e, err)))
			return rc;
	}
	r->seconds = fleet_now_s() - t0;
	pf_find_all(r);
	return 0;
}

static void
run_free(struct pf_run *r)
{
	if (r->ops)
		for (int i = 0; i < r->plan->nsteps; i++)
			fleet_step_free(&r->ops[i]);
	free(r->ops);
	for (int i = 0; i < MX_PFPLAN_MAX_INPUTS; i++) {
		mx_profile_import_free(&r->in[i].doc);
		free(r->in[i].bytes);
	}
	for (int i = 0; i < r->nclasses; i++)
		free(r->cls[i].m);
	json_decref(r->coverage);
	mx_engine_close(r->e);
	rm_tree(r->tmpdir);
	mx_pfplan_free(r->plan);
}

int
cmd_preflight(struct mx_cli *cli, int argc, char **argv, mx_err *err)
{
	const char *fleet = arg_value(&argc, argv, "--fleet");
	const char *state = cli->state_given ? cli->state_dir : NULL;
	const char *html = arg_value(&argc, argv, "--html");
	const char *count_s = arg_value(&argc, argv, "--count");
	const char *anchor = arg_value(&argc, argv, "--trust-anchor");
	const char *exports[PF_MAX_EXPORTS];
	int nexports = arg_values(&argc, argv, "--from-export", exports, PF_MAX_EXPORTS);
	bool json = arg_flag(&argc, argv, "--json") || cli->json;
	int rc = arg_check(argc, argv, 1, 1, PF_USAGE, err);
	if (rc)
		return rc;
	if ((fleet != NULL) + (state != NULL) + (nexports > 0) > 1)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "give one of --fleet, --state, --from-export");
	long count = 0;
	if (count_s) {
		char *end;
		count = strtol(count_s, &end, 10);
		if (*end || count < 1 || count > 10000000)
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--count takes 1 to 10000000");
	}
	struct pf_run *r = mx_xcalloc(1, sizeof *r);
	snprintf(r->plan_path, sizeof r->plan_path, "%s", argv[1]);
	uint8_t *buf = NULL;
	size_t len = 0;
	if ((rc = cli_read_file(argv[1], MX_PFPLAN_MAX_BYTES, &buf, &len, err)) == 0)
		rc = mx_pfplan_parse(&r->plan, buf, len, argv[1], err);
	free(buf);
	if (rc == 0)
		rc = run(cli, r, fleet, state, exports, nexports, count, anchor, err);
	if (rc == 0 && html)
		rc = pf_write_html(r, html, err);
	if (rc == 0) {
		if (json)
			cli_json_print(cli, pf_json(r));
		else if (!cli->quiet)
			pf_print_text(cli, r);
		int code = pf_exit_code(r);
		if (code) {
			MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "%s", code == 2 ? "findings block the rollout" :
			    "a person has steps to do");
			rc = cli_tool_fail(cli, code, err);
		}
	}
	run_free(r);
	free(r);
	return rc;
}
