/*
 * validate.c — checks a device message, key by key, against Apple's YAML
 * (schema.c): the heart of the server's conformance verdicts.
 *
 * For every key in the message: known (or matched by an ANY key), the
 * right type (<real> also takes an integer: both are CFNumber), a value
 * from the rangelist or the scalar's enumerated subkeys, inside range; and
 * available to a Mac in this context — the key's macOS supportedOS, after
 * inheriting from its parents and the payload (Apple docs/schema.md):
 * introduced not "n/a" and not later than the device's OS, not removed,
 * allowed on this channel (devicechannel / userchannel) and, in a user
 * enrollment, not forbidden.  Every `presence: required` key that is
 * available here must be present; a key whose userenrollment mode is
 * "required" is required only in a user enrollment (EnrollmentID).
 * Command results: the common keys (schema.c) plus the RequestType's
 * responsekeys; those are required only in an Acknowledged result; Error
 * needs an ErrorChain; CommandUUID is required except in Idle.
 * Not checked: accessrights and supervision (the server cannot know them).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdms.h"

void
mds_viol_add(mds_viols *vs, const char *kind, const char *path, const char *fmt, ...)
{
	vs->total++;
	if (vs->n >= MDS_VIOL_KEEP)
		return;
	mds_viol *v = &vs->v[vs->n++];
	snprintf(v->kind, sizeof v->kind, "%s", kind);
	snprintf(v->path, sizeof v->path, "%s", path[0] ? path : "(top level)");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->msg, sizeof v->msg, fmt, ap);
	va_end(ap);
}

/* The macOS facts in force for one key, after inheritance. */
typedef struct eff {
	const char *introduced, *removed;
	int8_t devch, userch;
	uint8_t ue;
} eff;

static eff
inherit(const eff *parent, const mds_smac *m)
{
	eff e = *parent;
	if (m == NULL || !m->present)
		return e;
	if (m->introduced)
		e.introduced = m->introduced;
	if (m->removed)
		e.removed = m->removed;
	if (m->devch >= 0)
		e.devch = m->devch;
	if (m->userch >= 0)
		e.userch = m->userch;
	if (m->ue != MDS_UE_UNSET)
		e.ue = m->ue;
	return e;
}

static int
vcmp(const int a[3], const int b[3])
{
	for (int i = 0; i < 3; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

/* Why a key with facts e cannot appear in ctx, or NULL when it can. */
static const char *
unavailable(const eff *e, const mds_vctx *c, char *buf, size_t n)
{
	int v[3];
	if (e->introduced && strcmp(e->introduced, "n/a") == 0)
		return "not available on macOS";
	if (c->os_known && e->introduced && mds_version_parse(e->introduced, v) && vcmp(c->os, v) < 0) {
		snprintf(buf, n, "introduced in macOS %s, device runs %d.%d.%d", e->introduced,
		    c->os[0], c->os[1], c->os[2]);
		return buf;
	}
	if (c->os_known && e->removed && mds_version_parse(e->removed, v) && vcmp(c->os, v) >= 0) {
		snprintf(buf, n, "removed in macOS %s", e->removed);
		return buf;
	}
	if (c->user_channel && e->userch == 0)
		return "not sent on the user channel";
	if (!c->user_channel && e->devch == 0)
		return "not sent on the device channel";
	if (c->user_enrollment && e->ue == MDS_UE_FORBIDDEN)
		return "forbidden in a user enrollment";
	return NULL;
}

static bool
type_ok(enum mds_stype t, enum mds_ptype p)
{
	switch (t) {
	case MDS_S_ANY: return true;
	case MDS_S_STRING: return p == MDS_P_STRING;
	case MDS_S_INTEGER: return p == MDS_P_INTEGER;
	case MDS_S_REAL: return p == MDS_P_REAL || p == MDS_P_INTEGER;
	case MDS_S_BOOL: return p == MDS_P_BOOL;
	case MDS_S_DATE: return p == MDS_P_DATE;
	case MDS_S_DATA: return p == MDS_P_DATA;
	case MDS_S_ARRAY: return p == MDS_P_ARRAY;
	case MDS_S_DICT: return p == MDS_P_DICT;
	}
	return false;
}

static const char *
stype_name(enum mds_stype t)
{
	static const char *const n[] = { "any", "string", "integer", "real", "boolean", "date",
		"data", "array", "dictionary" };
	return n[t];
}

static double
num(const mds_pnode *n)
{
	if (n->type == MDS_P_REAL)
		return n->v.r;
	if (n->big) {
		uint64_t u;
		memcpy(&u, &n->v.i, sizeof u);
		return (double)u;
	}
	return (double)n->v.i;
}

/* Does the scalar n equal the YAML text t? */
static bool
value_is(const mds_pnode *n, const char *t)
{
	switch (n->type) {
	case MDS_P_STRING:
		return strcmp(n->v.s, t) == 0;
	case MDS_P_BOOL:
		return strcmp(t, n->v.b ? "true" : "false") == 0;
	case MDS_P_INTEGER:
	case MDS_P_REAL: {
		char *end = NULL;
		double d = strtod(t, &end);
		return end != t && *end == 0 && d == num(n);
	}
	default:
		return false;
	}
}

static void
show_value(const mds_pnode *n, char *buf, size_t len)
{
	switch (n->type) {
	case MDS_P_STRING: snprintf(buf, len, "\"%.60s\"", n->v.s); break;
	case MDS_P_BOOL: snprintf(buf, len, "%s", n->v.b ? "true" : "false"); break;
	case MDS_P_INTEGER: snprintf(buf, len, "%.0f", num(n)); break;
	case MDS_P_REAL: snprintf(buf, len, "%g", n->v.r); break;
	default: snprintf(buf, len, "(%s)", mds_ptype_name(n->type)); break;
	}
}

static void check_value(const mds_skey *k, const eff *e, const mds_pnode *n, const mds_vctx *c,
    const char *path, mds_viols *out);

/* Looks a key up in up to two key sets: exact names first, then ANY. */
static const mds_skey *
lookup(const mds_skeyset *const *sets, size_t nsets, const char *name)
{
	const mds_skey *any = NULL;
	for (size_t s = 0; s < nsets; s++) {
		if (sets[s] == NULL)
			continue;
		for (size_t i = 0; i < sets[s]->n; i++) {
			const mds_skey *k = &sets[s]->keys[i];
			if (k->any) {
				if (any == NULL)
					any = k;
			} else if (strcmp(k->name, name) == 0) {
				return k;
			}
		}
	}
	return any;
}

static void
join(char *out, size_t n, const char *path, const char *key)
{
	snprintf(out, n, "%s%s%s", path, path[0] ? "." : "", key);
}

/* A dict against up to two key sets, each with its parent's facts
 * (parents[s]); require_mask bit s: enforce the required keys of set s. */
static void
check_dict(const mds_skeyset *const *sets, size_t nsets, unsigned require_mask, const eff *parents,
    const mds_pnode *d, const mds_vctx *c, const char *path, mds_viols *out)
{
	char sub[256], why[96];
	for (const mds_pnode *ch = d->first; ch; ch = ch->next) {
		join(sub, sizeof sub, path, ch->key);
		const mds_skey *k = lookup(sets, nsets, ch->key);
		if (k == NULL) {
			mds_viol_add(out, "unknown-key", sub, "key not in Apple's schema");
			continue;
		}
		const eff *parent = &parents[0];
		for (size_t s = 1; s < nsets; s++)
			if (sets[s] && k >= sets[s]->keys && k < sets[s]->keys + sets[s]->n)
				parent = &parents[s];
		eff e = inherit(parent, &k->mac);
		const char *u = unavailable(&e, c, why, sizeof why);
		if (u != NULL)
			mds_viol_add(out, "unavailable", sub, "%s", u);
		check_value(k, &e, ch, c, sub, out);
	}
	for (size_t s = 0; s < nsets; s++) {
		if (sets[s] == NULL || !(require_mask & (1u << s)))
			continue;
		for (size_t i = 0; i < sets[s]->n; i++) {
			const mds_skey *k = &sets[s]->keys[i];
			if (!k->required || k->any)
				continue;
			eff e = inherit(&parents[s], &k->mac);
			if (unavailable(&e, c, why, sizeof why) != NULL)
				continue;
			if (e.ue == MDS_UE_REQUIRED && !c->user_enrollment)
				continue;
			if (mds_plist_get(d, k->name) == NULL) {
				join(sub, sizeof sub, path, k->name);
				mds_viol_add(out, "missing", sub, "required key absent");
			}
		}
	}
}

static void
check_value(const mds_skey *k, const eff *e, const mds_pnode *n, const mds_vctx *c,
    const char *path, mds_viols *out)
{
	char v[96];
	if (!type_ok(k->type, n->type)) {
		mds_viol_add(out, "type", path, "expected %s, got %s", stype_name(k->type),
		    mds_ptype_name(n->type));
		return;
	}
	if (k->nrange) {
		bool ok = false;
		for (size_t i = 0; i < k->nrange && !ok; i++)
			ok = value_is(n, k->range[i]);
		if (!ok) {
			show_value(n, v, sizeof v);
			mds_viol_add(out, "range", path, "%s is not in the rangelist (%s%s)", v,
			    k->range[0], k->nrange > 1 ? ", ..." : "");
		}
	}
	if (k->nenum && n->type == MDS_P_STRING) {
		bool ok = false;
		for (size_t i = 0; i < k->nenum && !ok; i++)
			ok = strcmp(n->v.s, k->enumv[i]) == 0;
		if (!ok) {
			show_value(n, v, sizeof v);
			mds_viol_add(out, "range", path, "%s is not one of the values the schema lists", v);
		}
	}
	if ((k->has_min || k->has_max) && (n->type == MDS_P_INTEGER || n->type == MDS_P_REAL)) {
		double x = num(n);
		if ((k->has_min && x < k->min) || (k->has_max && x > k->max)) {
			show_value(n, v, sizeof v);
			mds_viol_add(out, "range", path, "%s is outside [%g, %g]", v,
			    k->has_min ? k->min : -1e308, k->has_max ? k->max : 1e308);
		}
	}
	if (k->sub == NULL)
		return;
	if (n->type == MDS_P_DICT && k->type == MDS_S_DICT) {
		const mds_skeyset *sets[1] = { k->sub };
		check_dict(sets, 1, 1, e, n, c, path, out);
	} else if (n->type == MDS_P_ARRAY && k->type == MDS_S_ARRAY && k->sub->n > 0) {
		/* one subkey describes every item; several are alternatives
		 * (Settings: one dictionary per Item): an item is judged by the
		 * alternative it fits best */
		char sub[256];
		size_t i = 0;
		for (const mds_pnode *ch = n->first; ch; ch = ch->next, i++) {
			snprintf(sub, sizeof sub, "%s[%zu]", path, i);
			mds_viols best = { .total = (size_t)-1 };
			for (size_t a = 0; a < k->sub->n && best.total != 0; a++) {
				const mds_skey *item = &k->sub->keys[a];
				eff ie = inherit(e, &item->mac);
				mds_viols try = { .n = 0 };
				check_value(item, &ie, ch, c, sub, &try);
				if (try.total < best.total)
					best = try;
			}
			for (size_t b = 0; b < best.n; b++)
				mds_viol_add(out, best.v[b].kind, best.v[b].path, "%s", best.v[b].msg);
			for (size_t b = best.n; b < best.total; b++)
				out->total++;
		}
	}
}

static eff
root_eff(void)
{
	eff e = { .devch = -1, .userch = -1, .ue = MDS_UE_UNSET };
	return e;
}

void
mds_validate_keys(const mds_skeyset *ks, const mds_smac *parent, const mds_pnode *dict,
    const mds_vctx *ctx, const char *path, bool require, mds_viols *out)
{
	eff r = root_eff();
	eff e = inherit(&r, parent);
	if (dict == NULL || dict->type != MDS_P_DICT) {
		mds_viol_add(out, "type", path, "expected dictionary");
		return;
	}
	const mds_skeyset *sets[1] = { ks };
	check_dict(sets, 1, require ? 1 : 0, &e, dict, ctx, path, out);
}

void
mds_validate_checkin(const mds_schema *s, const mds_sdoc *doc, const mds_pnode *root,
    const mds_vctx *ctx, mds_viols *out)
{
	eff r = root_eff();
	eff e = inherit(&r, &doc->mac);
	char why[96];
	const char *u = unavailable(&e, ctx, why, sizeof why);
	if (u != NULL)
		mds_viol_add(out, "unavailable", "MessageType", "%s: %s", doc->name, u);
	if (root == NULL || root->type != MDS_P_DICT) {
		mds_viol_add(out, "type", "", "expected dictionary");
		return;
	}
	const mds_skeyset *sets[2] = { doc->req, &s->checkin_common };
	eff parents[2] = { e, e };
	check_dict(sets, 2, 1, parents, root, ctx, "", out);
}

void
mds_validate_response(const mds_schema *s, const mds_sdoc *cmd, const mds_pnode *root,
    const mds_vctx *ctx, mds_viols *out)
{
	if (root == NULL || root->type != MDS_P_DICT) {
		mds_viol_add(out, "type", "", "expected dictionary");
		return;
	}
	const char *status = mds_plist_str(root, "Status");
	bool ack = status && strcmp(status, "Acknowledged") == 0;
	const mds_skeyset *sets[2] = { &s->common, cmd ? cmd->resp : NULL };
	eff r = root_eff();
	eff e = cmd ? inherit(&r, &cmd->mac) : r;
	char why[96];
	const char *u = cmd && ack ? unavailable(&e, ctx, why, sizeof why) : NULL;
	if (u != NULL) {
		/* said once; its keys are then judged on their own facts */
		mds_viol_add(out, "unavailable", "RequestType", "%s: %s", cmd->name, u);
		e = r;
	}
	eff parents[2] = { r, e };
	check_dict(sets, 2, ack ? 3 : 1, parents, root, ctx, "", out);
	if (status && strcmp(status, "Idle") != 0 && mds_plist_get(root, "CommandUUID") == NULL)
		mds_viol_add(out, "missing", "CommandUUID", "a %s result names no command", status);
	if (status && strcmp(status, "Error") == 0 && mds_plist_get(root, "ErrorChain") == NULL)
		mds_viol_add(out, "missing", "ErrorChain", "Status Error without an ErrorChain");
	const char *rt = mds_plist_str(root, "RequestType");
	if (cmd && rt && rt[0] && strcmp(rt, cmd->name) != 0)
		mds_viol_add(out, "request-type", "RequestType",
		    "\"%.60s\" answers a %s command", rt, cmd->name);
}

void
mds_validate_command(const mds_schema *s, const mds_pnode *root, const mds_vctx *ctx, mds_viols *out)
{
	const mds_pnode *cmd = mds_plist_get(root, "Command");
	const char *rt = mds_plist_str(cmd, "RequestType");
	if (root == NULL || root->type != MDS_P_DICT || cmd == NULL || cmd->type != MDS_P_DICT || rt == NULL) {
		mds_viol_add(out, "missing", "Command.RequestType", "a command is {Command: {RequestType: ...}, CommandUUID: ...}");
		return;
	}
	if (mds_plist_str(root, "CommandUUID") == NULL)
		mds_viol_add(out, "missing", "CommandUUID", "a command needs a CommandUUID");
	for (const mds_pnode *c = root->first; c; c = c->next)
		if (strcmp(c->key, "Command") != 0 && strcmp(c->key, "CommandUUID") != 0)
			mds_viol_add(out, "unknown-key", c->key, "a command has only Command and CommandUUID");
	const mds_sdoc *doc = mds_schema_command(s, rt);
	if (doc == NULL) {
		mds_viol_add(out, "unknown-command", "Command.RequestType", "\"%.60s\" has no schema", rt);
		return;
	}
	static const mds_skey rtkey = { .name = "RequestType", .type = MDS_S_STRING, .required = true,
		.mac = { .devch = -1, .userch = -1 } };
	static const mds_skeyset rtset = { (mds_skey *)&rtkey, 1 };
	eff r = root_eff();
	eff e = inherit(&r, &doc->mac);
	char why[96];
	const char *u = unavailable(&e, ctx, why, sizeof why);
	if (u != NULL) {
		mds_viol_add(out, "unavailable", "Command.RequestType", "%s: %s", rt, u);
		e = r;
	}
	const mds_skeyset *sets[2] = { doc->req, &rtset };
	eff parents[2] = { e, r };
	check_dict(sets, 2, 3, parents, cmd, ctx, "Command", out);
}
