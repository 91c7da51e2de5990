/*
 * pfplan.c — the preflight plan (pfplan.h, docs/preflight.md) read with
 * libyaml's document loader.  The document is walked by the plan's schema
 * only (inputs, fleet, timeline; each step one action key and its options),
 * never generically, so the walk's depth is the schema's whatever the
 * document's anchors and aliases say.  Every message names the file, the
 * line of the offending node and its key path.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "macext/pfplan.h"

struct ctx {
	yaml_document_t doc;
	mx_pfplan *p;
	mx_err *err;
};

static int __attribute__((format(printf, 4, 5)))
fail(struct ctx *c, const yaml_node_t *n, const char *path, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	int line = n ? (int)n->start_mark.line + 1 : 1;
	MX_FAIL(c->err, MX_EINVALID, n ? n->start_mark.index : MX_NO_OFFSET, "%s: %s", path, msg);
	snprintf(c->err->where, sizeof c->err->where, "%s:%d", c->p->name, line);
	return MX_EINVALID;
}

static yaml_node_t *
node(struct ctx *c, int id)
{
	return yaml_document_get_node(&c->doc, id);
}

static const char *
kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a mapping";
	default: return "nothing";
	}
}

/* A scalar's text (NUL-terminated by libyaml) that fits len, else a failure. */
static int
scalar(struct ctx *c, yaml_node_t *n, const char *path, char *out, size_t len)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return fail(c, n, path, "expected a string, got %s", n ? kind_name(n) : "nothing");
	size_t l = n->data.scalar.length;
	const char *s = (const char *)n->data.scalar.value;
	if (l == 0)
		return fail(c, n, path, "empty value");
	if (l >= len)
		return fail(c, n, path, "longer than %zu bytes", len - 1);
	if (memchr(s, '\0', l))
		return fail(c, n, path, "contains a NUL byte");
	for (size_t i = 0; i < l; i++)
		if ((unsigned char)s[i] < 0x20)
			return fail(c, n, path, "contains a control character at byte %zu", i);
	memcpy(out, s, l);
	out[l] = '\0';
	return 0;
}

static int
boolean(struct ctx *c, yaml_node_t *n, const char *path, bool *out)
{
	char v[8];
	int rc = scalar(c, n, path, v, sizeof v);
	if (rc)
		return rc;
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off"))
		*out = false;
	else
		return fail(c, n, path, "expected true or false, got '%s'", v);
	return 0;
}

static int
version(struct ctx *c, yaml_node_t *n, const char *path, mx_version *out)
{
	char v[24];
	int rc = scalar(c, n, path, v, sizeof v);
	if (rc)
		return rc;
	mx_err e;
	mx_err_clear(&e);
	if (mx_version_parse(out, v, &e) || out->major < 10 || out->major > 99)
		return fail(c, n, path, "'%s' is not a macOS version (10.15, 14.6.1, 15.1 ...)", v);
	return 0;
}

/* ---- inputs ---- */

static const struct { const char *key; enum mx_pf_input_kind kind; } input_keys[] = {
	{ "profile", MX_PFI_PROFILE }, { "app", MX_PFI_APP }, { "kext", MX_PFI_KEXT },
	{ "dext", MX_PFI_DEXT }, { "pkg", MX_PFI_PKG },
};

static bool
name_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static int
parse_inputs(struct ctx *c, yaml_node_t *n)
{
	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, "inputs", "expected a mapping of NAME: {KIND: PATH}, got %s",
		    kind_name(n));
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	    pr++) {
		if (c->p->ninputs == MX_PFPLAN_MAX_INPUTS)
			return fail(c, node(c, pr->key), "inputs", "at most %d inputs",
			    MX_PFPLAN_MAX_INPUTS);
		mx_pf_input *in = &c->p->inputs[c->p->ninputs];
		int rc = scalar(c, node(c, pr->key), "inputs", in->name, sizeof in->name);
		if (rc)
			return rc;
		char path[128];
		snprintf(path, sizeof path, "inputs.%s", in->name);
		if (!name_ok(in->name))
			return fail(c, node(c, pr->key), path, "an input name is letters, digits, '-', '_'"
			    " and '.'");
		if (mx_pfplan_input_find(c->p, in->name) >= 0)
			return fail(c, node(c, pr->key), path, "defined twice");
		yaml_node_t *v = node(c, pr->value);
		in->line = (int)v->start_mark.line + 1;
		if (v->type != YAML_MAPPING_NODE ||
		    v->data.mapping.pairs.top - v->data.mapping.pairs.start != 1)
			return fail(c, v, path, "expected one KIND: PATH (profile, app, kext, dext, pkg)");
		yaml_node_pair_t *kv = v->data.mapping.pairs.start;
		char kind[16];
		if ((rc = scalar(c, node(c, kv->key), path, kind, sizeof kind)))
			return rc;
		size_t k;
		for (k = 0; k < sizeof input_keys / sizeof input_keys[0]; k++)
			if (strcmp(kind, input_keys[k].key) == 0)
				break;
		if (k == sizeof input_keys / sizeof input_keys[0])
			return fail(c, node(c, kv->key), path, "unknown input kind '%s' (profile, app, kext,"
			    " dext, pkg)", kind);
		in->kind = input_keys[k].kind;
		char kp[160];
		snprintf(kp, sizeof kp, "%s.%s", path, kind);
		if ((rc = scalar(c, node(c, kv->value), kp, in->path, sizeof in->path)))
			return rc;
		c->p->ninputs++;
	}
	return 0;
}

/* ---- fleet ---- */

static const char *const enroll_words[] = { "none", "user", "device", "device-unapproved",
	"automated" };

/* A list of scalars (or one scalar) for an axis: each goes through fn. */
static int
axis(struct ctx *c, yaml_node_t *n, const char *path, int *count,
    int (*fn)(struct ctx *, yaml_node_t *, const char *, int, void *), void *arg)
{
	yaml_node_item_t one = 0, *items = &one, *end = &one + 1;
	if (n->type == YAML_SEQUENCE_NODE) {
		items = n->data.sequence.items.start;
		end = n->data.sequence.items.top;
	} else if (n->type != YAML_SCALAR_NODE) {
		return fail(c, n, path, "expected a list, got %s", kind_name(n));
	}
	if (items == end)
		return fail(c, n, path, "empty list");
	*count = 0;
	for (yaml_node_item_t *it = items; it < end; it++) {
		if (*count == MX_PFPLAN_MAX_AXIS)
			return fail(c, n, path, "at most %d values", MX_PFPLAN_MAX_AXIS);
		char ip[96];
		snprintf(ip, sizeof ip, "%s[%d]", path, *count);
		yaml_node_t *v = n->type == YAML_SCALAR_NODE ? n : node(c, *it);
		int rc = fn(c, v, ip, *count, arg);
		if (rc)
			return rc;
		(*count)++;
	}
	return 0;
}

static int
ax_arch(struct ctx *c, yaml_node_t *n, const char *path, int i, void *arg)
{
	char v[16];
	int rc = scalar(c, n, path, v, sizeof v);
	mx_err e;
	mx_err_clear(&e);
	if (rc == 0 && mx_arch_parse(&c->p->fleet.arch[i], v, &e))
		rc = fail(c, n, path, "'%s' is not an architecture (arm64, x86_64)", v);
	return rc;
}

static int
ax_os(struct ctx *c, yaml_node_t *n, const char *path, int i, void *arg)
{
	return version(c, n, path, &c->p->fleet.os[i]);
}

static int
ax_enroll(struct ctx *c, yaml_node_t *n, const char *path, int i, void *arg)
{
	char *v = c->p->fleet.enroll[i];
	int rc = scalar(c, n, path, v, sizeof c->p->fleet.enroll[i]);
	if (rc)
		return rc;
	for (size_t k = 0; k < sizeof enroll_words / sizeof enroll_words[0]; k++)
		if (strcmp(v, enroll_words[k]) == 0)
			return 0;
	return fail(c, n, path, "'%s' is not an enrolment (none, user, device, device-unapproved,"
	    " automated)", v);
}

static int
ax_sip(struct ctx *c, yaml_node_t *n, const char *path, int i, void *arg)
{
	bool on;
	int rc = boolean(c, n, path, &on);
	c->p->fleet.sip_off[i] = !on;
	return rc;
}

static int
parse_fleet(struct ctx *c, yaml_node_t *n)
{
	mx_pf_fleet *f = &c->p->fleet;
	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, "fleet", "expected a mapping (mix, or arch/macos/enrollment/sip;"
		    " count), got %s", kind_name(n));
	f->given = true;
	int rc = 0;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; rc == 0 &&
	    pr < n->data.mapping.pairs.top; pr++) {
		char key[32];
		if ((rc = scalar(c, node(c, pr->key), "fleet", key, sizeof key)))
			return rc;
		yaml_node_t *v = node(c, pr->value);
		char path[48];
		snprintf(path, sizeof path, "fleet.%s", key);
		if (strcmp(key, "mix") == 0) {
			rc = scalar(c, v, path, f->mix, sizeof f->mix);
			f->mix_line = (int)v->start_mark.line + 1;
		} else if (strcmp(key, "count") == 0) {
			char num[16], *end;
			if ((rc = scalar(c, v, path, num, sizeof num)))
				return rc;
			f->count = strtol(num, &end, 10);
			if (*end || f->count < 1 || f->count > 10000000)
				rc = fail(c, v, path, "expected a device count from 1 to 10000000, got '%s'",
				    num);
		} else if (strcmp(key, "arch") == 0) {
			rc = axis(c, v, path, &f->narch, ax_arch, NULL);
		} else if (strcmp(key, "macos") == 0) {
			rc = axis(c, v, path, &f->nos, ax_os, NULL);
		} else if (strcmp(key, "enrollment") == 0 || strcmp(key, "enrolment") == 0) {
			rc = axis(c, v, path, &f->nenroll, ax_enroll, NULL);
		} else if (strcmp(key, "sip") == 0) {
			rc = axis(c, v, path, &f->nsip, ax_sip, NULL);
		} else {
			rc = fail(c, node(c, pr->key), path, "unknown key (mix, count, arch, macos,"
			    " enrollment, sip)");
		}
	}
	if (rc)
		return rc;
	bool axes = f->narch || f->nos || f->nenroll || f->nsip;
	if (f->mix[0] && axes)
		return fail(c, n, "fleet", "give either mix or the arch/macos/enrollment/sip lists,"
		    " not both");
	if (!f->mix[0] && (f->narch == 0 || f->nos == 0))
		return fail(c, n, "fleet", "needs mix, or at least arch and macos");
	return 0;
}

/* ---- timeline ---- */

static const struct { const char *key; enum mx_pf_step_kind kind; } step_keys[] = {
	{ "install-profile", MX_PFS_INSTALL_PROFILE }, { "remove-profile", MX_PFS_REMOVE_PROFILE },
	{ "install-app", MX_PFS_INSTALL_APP }, { "activate", MX_PFS_ACTIVATE },
	{ "install-kext", MX_PFS_INSTALL_KEXT }, { "install-pkg", MX_PFS_INSTALL_PKG },
	{ "mdm-restart", MX_PFS_MDM_RESTART }, { "upgrade", MX_PFS_UPGRADE },
	{ "approve", MX_PFS_APPROVE }, { "restart", MX_PFS_RESTART },
	{ "recovery-security", MX_PFS_RECOVERY_SECURITY }, { "toggle", MX_PFS_TOGGLE },
};

const char *
mx_pfplan_step_name(enum mx_pf_step_kind k)
{
	for (size_t i = 0; i < sizeof step_keys / sizeof step_keys[0]; i++)
		if (step_keys[i].kind == k)
			return step_keys[i].key;
	return "?";
}

const char *
mx_pfplan_input_kind_name(enum mx_pf_input_kind k)
{
	for (size_t i = 0; i < sizeof input_keys / sizeof input_keys[0]; i++)
		if (input_keys[i].kind == k)
			return input_keys[i].key;
	return "?";
}

bool
mx_pfplan_step_is_person(enum mx_pf_step_kind k)
{
	return k == MX_PFS_APPROVE || k == MX_PFS_RESTART || k == MX_PFS_RECOVERY_SECURITY ||
	    k == MX_PFS_TOGGLE;
}

int
mx_pfplan_input_find(const mx_pfplan *p, const char *name)
{
	for (int i = 0; i < p->ninputs; i++)
		if (strcmp(p->inputs[i].name, name) == 0)
			return i;
	return -1;
}

/* The input a step names, which must be of one of the kinds in mask. */
static int
step_input(struct ctx *c, yaml_node_t *n, const char *path, unsigned mask, mx_pf_step *s)
{
	char name[64];
	int rc = scalar(c, n, path, name, sizeof name);
	if (rc)
		return rc;
	if ((s->input = mx_pfplan_input_find(c->p, name)) < 0)
		return fail(c, n, path, "no input named '%s' (inputs: must come first)", name);
	if (!(mask & (1u << c->p->inputs[s->input].kind)))
		return fail(c, n, path, "'%s' is a %s input", name,
		    mx_pfplan_input_kind_name(c->p->inputs[s->input].kind));
	return 0;
}

static int
who(struct ctx *c, yaml_node_t *n, const char *path, mx_pf_step *s)
{
	char v[16];
	int rc = scalar(c, n, path, v, sizeof v);
	if (rc)
		return rc;
	if (strcmp(v, "admin") == 0)
		s->standard_user = false;
	else if (strcmp(v, "standard") == 0)
		s->standard_user = true;
	else
		return fail(c, n, path, "expected admin or standard, got '%s'", v);
	return 0;
}

#define MASK(k) (1u << (k))

/* One option of a step's mapping form. */
static int
step_option(struct ctx *c, mx_pf_step *s, const char *key, yaml_node_t *v, const char *path)
{
	enum mx_pf_step_kind k = s->kind;
	bool prof = k == MX_PFS_INSTALL_PROFILE || k == MX_PFS_REMOVE_PROFILE;
	if (prof && strcmp(key, "profile") == 0) {
		if (k == MX_PFS_REMOVE_PROFILE) {
			/* an input's name, or the identifier of a profile already there */
			int rc = scalar(c, v, path, s->id, sizeof s->id);
			s->input = rc ? -1 : mx_pfplan_input_find(c->p, s->id);
			return rc;
		}
		return step_input(c, v, path, MASK(MX_PFI_PROFILE), s);
	}
	if (prof && strcmp(key, "via") == 0) {
		char via[16];
		int rc = scalar(c, v, path, via, sizeof via);
		if (rc == 0 && strcmp(via, "mdm") && strcmp(via, "manual"))
			rc = fail(c, v, path, "expected mdm or manual, got '%s'", via);
		s->manual = rc == 0 && strcmp(via, "manual") == 0;
		return rc;
	}
	if (k == MX_PFS_ACTIVATE && strcmp(key, "app") == 0)
		return step_input(c, v, path, MASK(MX_PFI_APP) | MASK(MX_PFI_PKG), s);
	if ((k == MX_PFS_ACTIVATE && strcmp(key, "extension") == 0) ||
	    ((k == MX_PFS_APPROVE || k == MX_PFS_TOGGLE) && strcmp(key, "extension") == 0))
		return scalar(c, v, path, s->id, sizeof s->id);
	if (k == MX_PFS_TOGGLE && strcmp(key, "enabled") == 0)
		return boolean(c, v, path, &s->enable);
	if (k == MX_PFS_INSTALL_KEXT && strcmp(key, "kext") == 0)
		return step_input(c, v, path, MASK(MX_PFI_KEXT), s);
	if (k == MX_PFS_INSTALL_KEXT && strcmp(key, "load") == 0)
		return boolean(c, v, path, &s->load);
	if (k == MX_PFS_MDM_RESTART && strcmp(key, "notify-user") == 0)
		return boolean(c, v, path, &s->notify_user);
	if (k == MX_PFS_MDM_RESTART && strcmp(key, "rebuild-kernel-cache") == 0)
		return boolean(c, v, path, &s->rebuild_kernel_cache);
	if (k == MX_PFS_UPGRADE && strcmp(key, "macos") == 0)
		return version(c, v, path, &s->os);
	if ((k == MX_PFS_APPROVE || k == MX_PFS_RESTART || k == MX_PFS_RECOVERY_SECURITY ||
	    k == MX_PFS_TOGGLE) && strcmp(key, "as") == 0)
		return who(c, v, path, s);
	if (k == MX_PFS_RECOVERY_SECURITY && strcmp(key, "policy") == 0) {
		char lv[16];
		mx_err e;
		mx_err_clear(&e);
		int rc = scalar(c, v, path, lv, sizeof lv);
		if (rc == 0 && (mx_secpolicy_parse(&s->level, lv, &e) || s->level == MX_SEC_PERMISSIVE))
			rc = fail(c, v, path, "expected full or reduced (Startup Security Utility's"
			    " choices), got '%s'", lv);
		return rc;
	}
	if (k == MX_PFS_RECOVERY_SECURITY && strcmp(key, "kext-user-management") == 0)
		return boolean(c, v, path, &s->kext_user);
	if (k == MX_PFS_RECOVERY_SECURITY && strcmp(key, "kext-remote-management") == 0)
		return boolean(c, v, path, &s->kext_remote);
	return fail(c, v, path, "not an option of %s", mx_pfplan_step_name(k));
}

/* The scalar form: `install-profile: NAME`, `upgrade: 15.1`, `approve: ID`, ... */
static int
step_scalar(struct ctx *c, mx_pf_step *s, yaml_node_t *v, const char *path)
{
	switch (s->kind) {
	case MX_PFS_INSTALL_PROFILE:
		return step_input(c, v, path, MASK(MX_PFI_PROFILE), s);
	case MX_PFS_REMOVE_PROFILE: return step_option(c, s, "profile", v, path);
	case MX_PFS_INSTALL_APP:
		return step_input(c, v, path, MASK(MX_PFI_APP), s);
	case MX_PFS_ACTIVATE:
		return step_input(c, v, path, MASK(MX_PFI_APP) | MASK(MX_PFI_PKG), s);
	case MX_PFS_INSTALL_KEXT: return step_input(c, v, path, MASK(MX_PFI_KEXT), s);
	case MX_PFS_INSTALL_PKG: return step_input(c, v, path, MASK(MX_PFI_PKG), s);
	case MX_PFS_UPGRADE: return version(c, v, path, &s->os);
	case MX_PFS_APPROVE:
	case MX_PFS_TOGGLE: return scalar(c, v, path, s->id, sizeof s->id);
	case MX_PFS_RESTART: return who(c, v, path, s);
	default:
		return fail(c, v, path, "takes a mapping of options");
	}
}

static int
parse_step(struct ctx *c, yaml_node_t *n, int i)
{
	char path[64];
	snprintf(path, sizeof path, "timeline[%d]", i);
	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, path, "expected a mapping (ACTION: VALUE), got %s", kind_name(n));
	mx_pf_step *s = &c->p->steps[i];
	memset(s, 0, sizeof *s);
	s->line = (int)n->start_mark.line + 1;
	s->input = -1;
	s->load = true;
	s->level = MX_SEC_REDUCED;
	yaml_node_pair_t *act = NULL;
	int rc;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	    pr++) {
		char key[32];
		if ((rc = scalar(c, node(c, pr->key), path, key, sizeof key)))
			return rc;
		if (strcmp(key, "when") == 0) {
			char wp[80];
			snprintf(wp, sizeof wp, "%s.when", path);
			if ((rc = scalar(c, node(c, pr->value), wp, s->when, sizeof s->when)))
				return rc;
			continue;
		}
		size_t k;
		for (k = 0; k < sizeof step_keys / sizeof step_keys[0]; k++)
			if (strcmp(key, step_keys[k].key) == 0)
				break;
		if (k == sizeof step_keys / sizeof step_keys[0]) {
			return fail(c, node(c, pr->key), path, "unknown action '%s' (install-profile,"
			    " remove-profile, install-app, activate, install-kext, install-pkg, mdm-restart,"
			    " upgrade, approve, restart, recovery-security, toggle)", key);
		}
		if (act)
			return fail(c, node(c, pr->key), path, "one action per step ('%s' is a second)", key);
		act = pr;
		s->kind = step_keys[k].kind;
	}
	if (act == NULL)
		return fail(c, n, path, "no action");
	char ap[80];
	snprintf(ap, sizeof ap, "%s.%s", path, mx_pfplan_step_name(s->kind));
	yaml_node_t *v = node(c, act->value);
	bool empty = v->type == YAML_SCALAR_NODE && (v->data.scalar.length == 0 ||
	    (v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    strcmp((const char *)v->data.scalar.value, "null") == 0));
	if (empty) {
		if (s->kind != MX_PFS_MDM_RESTART && s->kind != MX_PFS_RESTART)
			return fail(c, v, ap, "needs a value");
	} else if (v->type == YAML_SCALAR_NODE) {
		if ((rc = step_scalar(c, s, v, ap)))
			return rc;
	} else if (v->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *pr = v->data.mapping.pairs.start; pr < v->data.mapping.pairs.top;
		    pr++) {
			char key[32], op[128];
			if ((rc = scalar(c, node(c, pr->key), ap, key, sizeof key)))
				return rc;
			snprintf(op, sizeof op, "%s.%s", ap, key);
			if ((rc = step_option(c, s, key, node(c, pr->value), op)))
				return rc;
		}
	} else {
		return fail(c, v, ap, "expected a value or a mapping of options, got %s", kind_name(v));
	}
	/* what each action cannot do without */
	bool needs_input = s->kind == MX_PFS_INSTALL_PROFILE || s->kind == MX_PFS_INSTALL_APP ||
	    s->kind == MX_PFS_ACTIVATE || s->kind == MX_PFS_INSTALL_KEXT ||
	    s->kind == MX_PFS_INSTALL_PKG;
	if (needs_input && s->input < 0)
		return fail(c, v, ap, "names no input");
	if (s->kind == MX_PFS_REMOVE_PROFILE && s->id[0] == '\0')
		return fail(c, v, ap, "names no profile");
	if ((s->kind == MX_PFS_APPROVE || s->kind == MX_PFS_TOGGLE) && s->id[0] == '\0')
		return fail(c, v, ap, "names no extension (a bundle id)");
	if (s->kind == MX_PFS_UPGRADE && s->os.major == 0)
		return fail(c, v, ap, "names no macOS version");
	if (s->kind == MX_PFS_RECOVERY_SECURITY && s->level == MX_SEC_FULL &&
	    (s->kext_user || s->kext_remote))
		return fail(c, v, ap, "the kernel extension options belong to Reduced Security");
	return 0;
}

static int
parse_timeline(struct ctx *c, yaml_node_t *n)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "timeline", "expected a list of steps, got %s", kind_name(n));
	int i = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	    it++, i++) {
		if (i == MX_PFPLAN_MAX_STEPS)
			return fail(c, n, "timeline", "at most %d steps", MX_PFPLAN_MAX_STEPS);
		int rc = parse_step(c, node(c, *it), i);
		if (rc)
			return rc;
		c->p->nsteps = i + 1;
	}
	if (i == 0)
		return fail(c, n, "timeline", "no steps");
	return 0;
}

int
mx_pfplan_parse(mx_pfplan **out, const uint8_t *buf, size_t len, const char *name, mx_err *err)
{
	*out = NULL;
	if (len > MX_PFPLAN_MAX_BYTES)
		return MX_FAIL(err, MX_ETOOBIG, MX_NO_OFFSET, "%s: %zu bytes (a plan is at most %u)",
		    name, len, MX_PFPLAN_MAX_BYTES);
	struct ctx c = { .err = err };
	c.p = mx_xcalloc(1, sizeof *c.p);
	snprintf(c.p->name, sizeof c.p->name, "%s", name);
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser)) {
		free(c.p);
		return MX_FAIL(err, MX_ENOMEM, MX_NO_OFFSET, "%s: YAML parser", name);
	}
	yaml_parser_set_input_string(&parser, buf, len);
	int rc = 0;
	if (!yaml_parser_load(&parser, &c.doc)) {
		MX_FAIL(err, MX_EFORMAT, parser.problem_offset, "not YAML: %s%s%s",
		    parser.problem ? parser.problem : "error", parser.context ? " " : "",
		    parser.context ? parser.context : "");
		snprintf(err->where, sizeof err->where, "%s:%d", name,
		    (int)parser.problem_mark.line + 1);
		yaml_parser_delete(&parser);
		free(c.p);
		return MX_EFORMAT;
	}
	yaml_parser_delete(&parser);
	yaml_node_t *root = yaml_document_get_root_node(&c.doc);
	yaml_node_t *inputs = NULL, *fleet = NULL, *timeline = NULL;
	if (root == NULL || root->type != YAML_MAPPING_NODE) {
		rc = fail(&c, root, "(document)", "a plan is a mapping with inputs, fleet and timeline");
		goto done;
	}
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	    pr < root->data.mapping.pairs.top; pr++) {
		char key[32];
		if ((rc = scalar(&c, node(&c, pr->key), "(document)", key, sizeof key)))
			goto done;
		yaml_node_t **slot = !strcmp(key, "inputs") ? &inputs : !strcmp(key, "fleet") ? &fleet :
		    !strcmp(key, "timeline") ? &timeline : NULL;
		if (strcmp(key, "version") == 0) {
			char v[8];
			if ((rc = scalar(&c, node(&c, pr->value), "version", v, sizeof v)))
				goto done;
			if (strcmp(v, "1") != 0) {
				rc = fail(&c, node(&c, pr->value), "version", "this macext reads plan version 1");
				goto done;
			}
			continue;
		}
		if (slot == NULL) {
			rc = fail(&c, node(&c, pr->key), key, "unknown key (version, inputs, fleet, timeline)");
			goto done;
		}
		if (*slot) {
			rc = fail(&c, node(&c, pr->key), key, "given twice");
			goto done;
		}
		*slot = node(&c, pr->value);
	}
	/* inputs first: the timeline names them */
	if (inputs && (rc = parse_inputs(&c, inputs)))
		goto done;
	if (fleet && (rc = parse_fleet(&c, fleet)))
		goto done;
	if (timeline == NULL)
		rc = fail(&c, root, "timeline", "missing");
	else
		rc = parse_timeline(&c, timeline);
done:
	yaml_document_delete(&c.doc);
	if (rc) {
		free(c.p);
		return rc;
	}
	*out = c.p;
	return 0;
}

void
mx_pfplan_free(mx_pfplan *p)
{
	free(p);
}
