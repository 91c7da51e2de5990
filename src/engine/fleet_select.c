/*
 * fleet_select.c — the reads a fleet front end needs beyond one operation: device
 * filters (the `--devices` and `when` terms of docs/fleet.md: name glob,
 * arch, macOS version, enrolment, SIP, running environment, security
 * policy, alert shown now), the selection of the devices a filter holds for,
 * and the fleet summary (how many selected devices are in each kext and
 * system extension state, which alerts they show and which user action
 * those ask for).  `fleet apply`, `fleet summary` and `macext serve` read
 * the fleet through these; none takes the write lock.
 * Spec: docs/fleet.md "Filters"; DESIGN.md "Embedded default and scale".
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

/* ---- filters ---- */

enum term_kind { T_NAME, T_ARCH, T_OS, T_ENROLL, T_SIP, T_ENV, T_SECURITY, T_ALERT };
enum term_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

struct mx_fleet_term {
	enum term_kind kind;
	enum term_op op;
	char value[128];
	mx_version v;
	int vparts;             /* components given in os=V */
};

static int
parse_term(struct mx_fleet_term *t, const char *s, mx_err *err)
{
	static const struct { const char *key; enum term_kind kind; } keys[] = {
		{ "name", T_NAME }, { "arch", T_ARCH }, { "os", T_OS }, { "enroll", T_ENROLL },
		{ "sip", T_SIP }, { "env", T_ENV }, { "security", T_SECURITY }, { "alert", T_ALERT },
	};
	memset(t, 0, sizeof *t);
	size_t kl = strcspn(s, "=!<>");
	if (s[kl] == '\0') {            /* a bare glob names devices */
		t->kind = T_NAME;
		snprintf(t->value, sizeof t->value, "%s", s);
		return 0;
	}
	size_t k;
	for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
		if (strlen(keys[k].key) == kl && strncmp(keys[k].key, s, kl) == 0)
			break;
	if (k == sizeof keys / sizeof keys[0])
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "filter term '%s': unknown key '%.*s'"
		    " (name, arch, os, enroll, sip, env, security, alert)", s, (int)kl, s);
	t->kind = keys[k].kind;
	const char *o = s + kl;
	if (strncmp(o, ">=", 2) == 0) t->op = OP_GE, o += 2;
	else if (strncmp(o, "<=", 2) == 0) t->op = OP_LE, o += 2;
	else if (strncmp(o, "!=", 2) == 0) t->op = OP_NE, o += 2;
	else if (*o == '>') t->op = OP_GT, o++;
	else if (*o == '<') t->op = OP_LT, o++;
	else if (*o == '=') t->op = OP_EQ, o++;
	else
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "filter term '%s': expected =, !=, <, <=,"
		    " > or >=", s);
	if (t->op != OP_EQ && t->op != OP_NE && t->kind != T_OS)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "filter term '%s': only os compares"
		    " with < and >", s);
	snprintf(t->value, sizeof t->value, "%s", o);
	if (t->kind == T_OS) {
		int rc = mx_version_parse(&t->v, o, err);
		if (rc) {
			mx_err_where(err, "filter term '%s'", s);
			return rc;
		}
		t->vparts = 1;
		for (const char *p = o; *p; p++)
			t->vparts += *p == '.';
	}
	return 0;
}

int
mx_fleet_filter_parse(mx_fleet_filter *out, const char *spec, mx_err *err)
{
	memset(out, 0, sizeof *out);
	if (spec == NULL || *spec == '\0')
		return 0;
	out->t = mx_xcalloc(MX_FLEET_MAX_TERMS, sizeof *out->t);
	char buf[1024];
	snprintf(buf, sizeof buf, "%s", spec);
	char *save = NULL;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (out->n == MX_FLEET_MAX_TERMS) {
			mx_fleet_filter_free(out);
			return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "filter: at most %d terms",
			    MX_FLEET_MAX_TERMS);
		}
		int rc = parse_term(&out->t[out->n], tok, err);
		if (rc) {
			mx_fleet_filter_free(out);
			return rc;
		}
		out->needs_alerts |= out->t[out->n].kind == T_ALERT;
		out->n++;
	}
	return 0;
}

void
mx_fleet_filter_free(mx_fleet_filter *f)
{
	free(f->t);
	memset(f, 0, sizeof *f);
}

/* value is "a|b|c": does s equal one of them? */
static bool
one_of(const char *value, const char *s)
{
	size_t sl = strlen(s);
	for (const char *p = value; *p; ) {
		size_t l = strcspn(p, "|");
		if (l == sl && strncmp(p, s, l) == 0)
			return true;
		p += l;
		if (*p == '|')
			p++;
	}
	return false;
}

struct alert_find { const char *kind; bool found; };

static int
alert_is(const mx_alert *a, void *arg)
{
	struct alert_find *af = arg;
	if (one_of(af->kind, a->kind)) {
		af->found = true;
		return 1;
	}
	return 0;
}

static bool
os_match(const struct mx_fleet_term *t, mx_version os)
{
	mx_version a = os;
	if (t->op == OP_EQ || t->op == OP_NE) {
		/* os=14 matches every 14.x, os=14.5 every 14.5.x */
		if (t->vparts < 3)
			a.patch = t->v.patch;
		if (t->vparts < 2)
			a.minor = t->v.minor;
	}
	int c = mx_version_cmp(a, t->v);
	switch (t->op) {
	case OP_EQ: return c == 0;
	case OP_NE: return c != 0;
	case OP_LT: return c < 0;
	case OP_LE: return c <= 0;
	case OP_GT: return c > 0;
	case OP_GE: return c >= 0;
	}
	return false;
}

/* The terms of f on d; alert= terms read d's alerts from st in the
 * transaction open on it. */
static int
filter_match(const mx_fleet_filter *f, mx_store *st, const mx_device *d, bool *out, mx_err *err)
{
	*out = true;
	for (int i = 0; i < f->n && *out; i++) {
		const struct mx_fleet_term *t = &f->t[i];
		bool m = false;
		switch (t->kind) {
		case T_NAME: m = fnmatch(t->value, d->name, 0) == 0; break;
		case T_ARCH: m = one_of(t->value, mx_arch_name(d->arch)); break;
		case T_OS: m = os_match(t, d->os); break;
		case T_ENROLL: m = one_of(t->value, mx_enroll_name(d->enroll)); break;
		case T_SIP: m = one_of(t->value, mx_device_sip_enabled(d) ? "on" : "off"); break;
		case T_ENV: m = one_of(t->value, mx_env_name(d->env)); break;
		case T_SECURITY: m = one_of(t->value, mx_secpolicy_name(d->policy)); break;
		case T_ALERT: {
			if (st == NULL)
				return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "filter term 'alert=%s' needs"
				    " the device's alerts", t->value);
			struct alert_find af = { t->value, false };
			int rc = mx_store_alert_each(st, d->id, alert_is, &af, err);
			if (rc && !af.found)
				return rc;
			m = af.found;
			break;
		}
		}
		if (t->op == OP_NE && t->kind != T_OS)
			m = !m;
		*out = m;
	}
	return 0;
}

int
mx_fleet_filter_match(const mx_fleet_filter *f, mx_engine *e, const mx_device *d, bool *out,
    mx_err *err)
{
	return filter_match(f, e ? e->st : NULL, d, out, err);
}

int
mx_engine_fleet_match(mx_engine *e, const mx_fleet_filter *f, const char *device, bool *out,
    mx_err *err)
{
	mx_op *op;
	int rc = mx_op_begin(&op, e, device, MX_OP_READ, err);
	if (rc)
		return rc;
	if ((rc = filter_match(f, op->st, &op->d, out, err))) {
		mx_op_abort(op);
		return rc;
	}
	return mx_op_commit(op, err);
}

/* ---- selections ---- */

struct select_ctx { mx_fleet_sel *s; const mx_fleet_filter *f; mx_store *st; mx_err *err; };

static int
select_one(const mx_device *d, void *arg)
{
	struct select_ctx *c = arg;
	mx_fleet_sel *s = c->s;
	bool m = true;
	int rc;
	if (c->f && (rc = filter_match(c->f, c->st, d, &m, c->err)))
		return rc;
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

int
mx_engine_fleet_select(mx_engine *e, const mx_fleet_filter *f, mx_fleet_sel *out, mx_err *err)
{
	memset(out, 0, sizeof *out);
	struct select_ctx c = { out, f && f->n ? f : NULL, e->st, err };
	int rc = mx_engine_device_each(e, select_one, &c, err);
	if (rc)
		mx_fleet_sel_free(out);
	return rc;
}

void
mx_fleet_sel_free(mx_fleet_sel *s)
{
	free(s->id);
	free(s->name);
	memset(s, 0, sizeof *s);
}

/* ---- the summary ----
 * Branch serve has the same function, with the same signature and
 * document, in its src/engine/fleet.c (GET /api/v1/fleet/summary): when the
 * two meet keep one of them. */

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

/* ACTION_SQL for one alert, in C (preflight's person steps): the same
 * cases in the same order.  buf holds the "other: ..." text. */
const char *
mx_alert_user_action(const mx_alert *a, char *buf, size_t len)
{
	if (strcasestr(a->kind, "restart"))
		return "restart the Mac";
	if (strcasestr(a->text, "Recovery") || strcasestr(a->text, "recoveryOS") ||
	    strcasestr(a->text, "power button"))
		return "restart into recoveryOS (hold the power button), lower security, restart";
	if (strcasestr(a->text, "policy does not allow"))
		return "none possible: policy forbids approval";
	if (strcasestr(a->kind, "blocked") || strcasestr(a->kind, "approv"))
		return "allow in System Settings (administrator approval)";
	if (strcasestr(a->kind, "uninstall") || strcasestr(a->kind, "deactivat"))
		return "administrator authentication to remove";
	snprintf(buf, len, "other: %s (%s)", a->kind, a->title);
	return buf;
}

static int
count_into(const char *value, int64_t devices, void *arg)
{
	json_object_set_new((json_t *)arg, value[0] ? value : "(none)", json_integer(devices));
	return 0;
}

struct ids { int64_t *id; size_t n, cap; };

static int
id_one(const mx_device *d, void *arg)
{
	struct ids *x = arg;
	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 1024;
		x->id = mx_xrealloc(x->id, x->cap * sizeof *x->id);
	}
	x->id[x->n++] = d->id;
	return 0;
}

/* The counts, in the read transaction the caller opened. */
static int
summary_counts(mx_store *st, const int64_t *ids, size_t n, json_t **out, mx_err *err)
{
	int rc = mx_store_fleet_select(st, ids, n, err);
	if (rc)
		return rc;
	json_t *j = json_object(), *kext = json_object(), *sx = json_object(),
	    *alerts = json_object(), *actions = json_object(), *env = json_object(),
	    *pending = json_object(), *enroll = json_object();
	/* kext and system extension tables belong to their modules; a table
	 * not (yet) in this schema counts nothing */
	if ((rc = mx_store_fleet_count(st, "kexts", "state", count_into, kext, err)) ||
	    (rc = mx_store_fleet_count(st, "sysext", "state", count_into, sx, err)) ||
	    (rc = mx_store_fleet_count(st, "alerts", "kind", count_into, alerts, err)) ||
	    (rc = mx_store_fleet_count(st, "alerts", ACTION_SQL, count_into, actions, err)) ||
	    (rc = mx_store_fleet_count(st, "devices", "env", count_into, env, err)) ||
	    (rc = mx_store_fleet_count(st, "devices", "enroll", count_into, enroll, err)) ||
	    (rc = mx_store_fleet_count(st, "devices",
	    "CASE restart_pending WHEN 1 THEN 'yes' ELSE 'no' END", count_into, pending, err))) {
		json_decref(j);
		json_decref(kext); json_decref(sx); json_decref(alerts); json_decref(actions);
		json_decref(env); json_decref(pending); json_decref(enroll);
		return rc;
	}
	json_object_set_new(j, "devices", json_integer((json_int_t)n));
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

int
mx_engine_fleet_summary(mx_engine *e, const int64_t *ids, size_t n, json_t **out, mx_err *err)
{
	*out = NULL;
	if (e->op)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "an operation is already open");
	struct ids all = { NULL, 0, 0 };
	int rc = mx_store_begin_read(e->st, err);
	if (rc)
		return rc;
	if (ids == NULL) {
		if ((rc = mx_store_device_each(e->st, id_one, &all, err)))
			goto out;
		ids = all.id;
		n = all.n;
	}
	rc = summary_counts(e->st, ids, n, out, err);
out:
	if (rc)
		mx_store_rollback(e->st);
	else if ((rc = mx_store_commit(e->st, err))) {
		json_decref(*out);
		*out = NULL;
	}
	free(all.id);
	return rc;
}

/* ---- device list items: each device with its summary ---- */

/* The summary objects of a device exist once it has something to count:
 * every device with nothing shares one empty summary (most of a fleet's
 * page, and no allocation for it). */
struct item { int64_t id; json_t *doc, *kext, *sx, *alerts, *actions; };
struct items { json_t *arr, *empty; struct item *v; size_t n, cap; mx_err *err; };

static json_t *
summary_new(json_t **kext, json_t **sx, json_t **alerts, json_t **actions)
{
	*kext = json_object(); *sx = json_object(); *alerts = json_object(); *actions = json_object();
	return json_pack("{s:O, s:O, s:O, s:O}", "kext_states", *kext, "sysext_states", *sx,
	    "alerts", *alerts, "user_actions", *actions);
}

static int
item_one(const mx_device *d, void *arg)
{
	struct items *it = arg;
	json_t *j;
	int rc = mx_json_device(&j, d, it->err);
	if (rc)
		return rc;
	if (it->n == it->cap) {
		it->cap = it->cap ? 2 * it->cap : 128;
		it->v = mx_xrealloc(it->v, it->cap * sizeof *it->v);
	}
	it->v[it->n++] = (struct item){ .id = d->id, .doc = j };
	json_object_set(j, "summary", it->empty);
	json_array_append_new(it->arr, j);
	return 0;
}

static int
by_id(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static void
bump(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key[0] ? key : "(none)");
	if (v)
		json_integer_set(v, json_integer_value(v) + 1);
	else
		json_object_set_new(o, key[0] ? key : "(none)", json_integer(1));
}

static int
count_one(int64_t device_id, int what, const char *key, const char *action, void *arg)
{
	struct items *it = arg;
	struct item k = { .id = device_id };
	struct item *x = bsearch(&k, it->v, it->n, sizeof *it->v, by_id);
	if (x == NULL)
		return 0;                /* a device the page does not hold (every device: none) */
	if (x->kext == NULL)
		json_object_set_new(x->doc, "summary", summary_new(&x->kext, &x->sx, &x->alerts,
		    &x->actions));
	if (what == 0) {
		bump(x->kext, key);
	} else if (what == 1) {
		bump(x->sx, key);
	} else {
		bump(x->alerts, key);
		bump(x->actions, action ? action : "");
	}
	return 0;
}

int
mx_engine_device_list(mx_engine *e, const char *after, const char *q, int limit, json_t **out,
    mx_err *err)
{
	*out = NULL;
	if (e->op)
		return MX_FAIL(err, MX_ESTATE, MX_NO_OFFSET, "an operation is already open");
	json_t *k, *x, *a, *u;
	struct items it = { json_array(), summary_new(&k, &x, &a, &u), NULL, 0, 0, err };
	json_decref(k); json_decref(x); json_decref(a); json_decref(u);
	int rc = mx_store_begin_read(e->st, err);
	if (rc) {
		json_decref(it.arr);
		json_decref(it.empty);
		return rc;
	}
	rc = limit > 0 ? mx_store_device_page(e->st, after, q, limit, item_one, &it, err) :
	    mx_store_device_each(e->st, item_one, &it, err);
	/* the counts of the page's devices in one statement (every device's when
	 * the list is whole): a page is one request's work, not one per Mac */
	int64_t *ids = NULL;
	if (rc == 0 && it.n) {
		if (limit > 0) {
			ids = mx_xcalloc(it.n, sizeof *ids);
			for (size_t i = 0; i < it.n; i++)
				ids[i] = it.v[i].id;
		}
		qsort(it.v, it.n, sizeof *it.v, by_id);
		rc = mx_store_device_summaries(e->st, ids, it.n, ACTION_SQL, count_one, &it, err);
	}
	if (rc)
		mx_store_rollback(e->st);
	else
		rc = mx_store_commit(e->st, err);
	for (size_t i = 0; i < it.n; i++) {
		json_decref(it.v[i].kext); json_decref(it.v[i].sx);
		json_decref(it.v[i].alerts); json_decref(it.v[i].actions);
	}
	json_decref(it.empty);
	free(it.v);
	free(ids);
	if (rc)
		json_decref(it.arr);
	else
		*out = it.arr;
	return rc;
}

void
mx_fleet_device_name(char *out, size_t len, const char *prefix, long n, long last)
{
	int width = 6;
	for (long c = last; c >= 1000000; c /= 10)
		width++;
	snprintf(out, len, "%s-%0*ld", prefix, width, n);
}
