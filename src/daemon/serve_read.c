/*
 * serve_read.c — the API's reads: each is the document the CLI's --json
 * prints for the same verb (the engine's serializers, src/engine/json.c),
 * read in a read op (a snapshot that never takes the write lock).  Lists
 * of devices and of log events page (?limit=&after=) so a fleet of 100,000
 * is read a page at a time in bounded memory.  docs/api.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/serve_int.h"
#include "macext/store_mdm.h"
#include "macext/text.h"

static int
rd_fleet(sreq *q, sresp *r, mx_err *err)
{
	return mx_engine_fleet_summary(q->e, NULL, 0, &r->json, err);
}

struct mdm_counts { int64_t n[6]; };

static int
mdm_count(const mx_mdm_enrollment *e, const char *name, void *arg)
{
	struct mdm_counts *c = arg;
	if ((unsigned)e->state < 5)
		c->n[e->state]++;
	c->n[5]++;
	return 0;
}

static int
rd_mdm(sreq *q, sresp *r, mx_err *err)
{
	if (q->srv->agent) {
		r->json = mx_agent_status_json(q->srv->agent);
		json_object_set_new(r->json, "running", json_true());
		return 0;
	}
	/* no agent in this daemon: what the enrolment records say */
	struct mdm_counts c = { 0 };
	mx_store *st = mx_engine_store(q->e);
	int rc = mx_store_begin_read(st, err);
	if (rc)
		return rc;
	rc = mx_store_mdm_each(st, mdm_count, &c, err);
	mx_store_rollback(st);
	if (rc)
		return rc;
	r->json = json_pack("{s:b, s:I, s:I, s:I, s:i, s:i, s:I, s:I, s:I}", "running", 0,
	    "devices", (json_int_t)c.n[5], "enrolling", (json_int_t)(c.n[MX_MDM_PENDING] +
	    c.n[MX_MDM_IDENTITY]), "enrolled", (json_int_t)c.n[MX_MDM_ENROLLED], "idle", 0,
	    "pending", 0, "failing", (json_int_t)0, "failed", (json_int_t)c.n[MX_MDM_FAILED],
	    "checked_out", (json_int_t)c.n[MX_MDM_CHECKED_OUT]);
	return 0;
}

static int
rd_devices(sreq *q, sresp *r, mx_err *err)
{
	int limit, rc;
	char after[80] = "", text[128] = "";
	if ((rc = serve_query_limit(q->query, 100, 1000, &limit, err)))
		return rc;
	int f = serve_query_get(q->query, "after", after, sizeof after, err);
	if (f < 0)
		return -f;
	if (f && after[0] && !serve_valid_name(after))
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "?after: expected a device name");
	if ((f = serve_query_get(q->query, "q", text, sizeof text, err)) < 0)
		return -f;
	/* one more than asked: is there a next page */
	json_t *arr;
	if ((rc = mx_engine_device_list(q->e, after, text, limit + 1, &arr, err)))
		return rc;
	if (json_array_size(arr) > (size_t)limit) {
		json_array_remove(arr, (size_t)limit);
		const char *last = json_string_value(json_object_get(json_array_get(arr,
		    (size_t)limit - 1), "name"));
		char qe[400] = "";
		if (text[0]) {
			size_t k = 0;
			for (const unsigned char *s = (const unsigned char *)text; *s && k + 4 < sizeof qe; s++)
				k += (size_t)snprintf(qe + k, sizeof qe - k, (*s >= '0' && *s <= '9') ||
				    (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '-' ||
				    *s == '.' || *s == '_' ? "%c" : "%%%02X", *s);
		}
		snprintf(r->link, sizeof r->link, "</api/v1/devices?limit=%d&after=%s%s%s>; rel=\"next\"",
		    limit, last ? last : "", text[0] ? "&q=" : "", qe);
	}
	r->json = arr;
	return 0;
}

static int
rd_device(sreq *q, sresp *r, mx_err *err)
{
	mx_device d;
	int rc = mx_engine_device_get(q->e, q->dev, &d, err);
	return rc ? rc : mx_json_device(&r->json, &d, err);
}

static int
rd_device_events(sreq *q, sresp *r, mx_err *err)
{
	mx_device d;
	int rc = mx_engine_device_get(q->e, q->dev, &d, err);
	if (rc == 0)
		r->sse = 2;
	return rc;
}

static int
rd_events(sreq *q, sresp *r, mx_err *err)
{
	r->sse = 1;
	return 0;
}

struct arr { json_t *arr; mx_err *err; int64_t after; int limit, n; };

/* Appends j to a's array when rc is 0; returns rc. */
static int
add(struct arr *a, json_t *j, int rc)
{
	if (rc == 0)
		json_array_append_new(a->arr, j);
	return rc;
}

/* A read op on the request's device in which fill appends each item's
 * document to an array: the answer when the op commits. */
static int
read_array(sreq *q, sresp *r, int (*fill)(mx_op *, struct arr *, mx_err *), mx_err *err)
{
	mx_op *op;
	int rc = mx_op_begin(&op, q->e, q->dev, MX_OP_READ, err);
	if (rc)
		return rc;
	struct arr a = { json_array(), err, 0, 0, 0 };
	if ((rc = mx_op_end(op, fill(op, &a, err), err)))
		json_decref(a.arr);
	else
		r->json = a.arr;
	return rc;
}

static int
profile_one(const mx_profile_row *row, void *arg)
{
	json_t *j = NULL;
	struct arr *a = arg;
	int rc = mx_json_profile(&j, row, NULL, a->err);
	return add(a, j, rc);
}

static int
profiles_fill(mx_op *op, struct arr *a, mx_err *err)
{
	return mx_op_profiles_each(op, profile_one, a, err);
}

static int
rd_profiles(sreq *q, sresp *r, mx_err *err)
{
	return read_array(q, r, profiles_fill, err);
}

static int
rd_policy(sreq *q, sresp *r, mx_err *err)
{
	mx_op *op;
	int rc = mx_op_begin(&op, q->e, q->dev, MX_OP_READ, err);
	return rc ? rc : mx_op_end(op, mx_op_merged_policy(op, &r->json, err), err);
}

static int
rd_profile(sreq *q, sresp *r, mx_err *err)
{
	mx_op *op;
	int rc = mx_op_begin(&op, q->e, q->dev, MX_OP_READ, err);
	if (rc)
		return rc;
	mx_profile_row row;
	char *xml = NULL;
	if ((rc = mx_op_end(op, mx_op_profile_get(op, q->m->param[1], &row, &xml, err), err)) == 0)
		rc = mx_json_profile(&r->json, &row, xml, err);
	free(xml);
	return rc;
}

static int
sysexts_fill(mx_op *op, struct arr *a, mx_err *err)
{
	mx_sx_rec *recs = NULL;
	size_t n = 0;
	int rc = mx_op_sysexts(op, &recs, &n, err);
	for (size_t i = 0; i < n && rc == 0; i++) {
		json_t *j = NULL;
		rc = mx_json_sysext(&j, &recs[i], err);
		add(a, j, rc);
	}
	free(recs);
	return rc;
}

static int
rd_sysexts(sreq *q, sresp *r, mx_err *err)
{
	return read_array(q, r, sysexts_fill, err);
}

static int
kexts_fill(mx_op *op, struct arr *a, mx_err *err)
{
	mx_kext *all = NULL;
	int n = 0;
	int rc = mx_op_kexts(op, &all, &n, err);
	for (int i = 0; i < n && rc == 0; i++) {
		json_t *j = NULL;
		rc = mx_json_kext(&j, &all[i], err);
		add(a, j, rc);
	}
	free(all);
	return rc;
}

static int
rd_kexts(sreq *q, sresp *r, mx_err *err)
{
	return read_array(q, r, kexts_fill, err);
}

static int
alert_one(const mx_alert *al, void *arg)
{
	json_t *j = NULL;
	struct arr *a = arg;
	int rc = mx_json_alert(&j, al, a->err);
	return add(a, j, rc);
}

static int
alerts_fill(mx_op *op, struct arr *a, mx_err *err)
{
	return mx_op_alerts_each(op, alert_one, a, err);
}

static int
rd_alerts(sreq *q, sresp *r, mx_err *err)
{
	return read_array(q, r, alerts_fill, err);
}

static int
event_one(const mx_event *ev, void *arg)
{
	struct arr *a = arg;
	if (ev->id <= a->after)
		return 0;
	if (a->n == a->limit) {
		a->n++;
		return 1;
	}
	json_t *j;
	int rc = mx_json_event(&j, ev, a->err);
	if (rc == 0) {
		json_array_append_new(a->arr, j);
		a->n++;
	}
	return rc;
}

static int
rd_log(sreq *q, sresp *r, mx_err *err)
{
	int limit, rc;
	char after[32] = "";
	if ((rc = serve_query_limit(q->query, 1000, 10000, &limit, err)))
		return rc;
	int f = serve_query_get(q->query, "after", after, sizeof after, err);
	if (f < 0)
		return -f;
	int64_t aft = 0;
	if (f && after[0] && !mx_parse_i64(after, 0, INT64_MAX, &aft))
		return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "?after: expected an event id (a whole"
		    " number)");
	mx_op *op;
	if ((rc = mx_op_begin(&op, q->e, q->dev, MX_OP_READ, err)))
		return rc;
	struct arr a = { json_array(), err, aft, limit, 0 };
	rc = mx_op_events_each(op, event_one, &a, err);
	if (rc == 1)
		rc = 0;
	if ((rc = mx_op_end(op, rc, err))) {
		json_decref(a.arr);
		return rc;
	}
	if (a.n > limit) {
		json_t *lastj = json_array_get(a.arr, json_array_size(a.arr) - 1);
		json_int_t last = json_integer_value(json_object_get(lastj, "id"));
		snprintf(r->link, sizeof r->link, "</api/v1/devices/%s/log?limit=%d&after=%lld>;"
		    " rel=\"next\"", q->dev, limit, (long long)last);
	}
	r->json = a.arr;
	return 0;
}

static int
rd_security(sreq *q, sresp *r, mx_err *err)
{
	mx_op *op;
	int rc = mx_op_begin(&op, q->e, q->dev, MX_OP_READ, err);
	if (rc)
		return rc;
	mx_security_info si;
	if ((rc = mx_op_end(op, mx_op_security_info(op, &si, err), err)))
		return rc;
	return mx_json_security_info(&r->json, &si, err);
}

int
serve_read_handler(enum serve_route_id id, serve_handler *out)
{
	static const struct { enum serve_route_id id; serve_handler h; } t[] = {
		{ R_FLEET, rd_fleet }, { R_MDM_STATUS, rd_mdm }, { R_EVENTS, rd_events },
		{ R_DEVICES_GET, rd_devices }, { R_DEVICE_GET, rd_device },
		{ R_DEVICE_EVENTS, rd_device_events }, { R_PROFILES_GET, rd_profiles },
		{ R_POLICY_GET, rd_policy }, { R_PROFILE_GET, rd_profile }, { R_SYSEXTS_GET, rd_sysexts },
		{ R_KEXTS_GET, rd_kexts }, { R_ALERTS, rd_alerts }, { R_LOG, rd_log },
		{ R_SECURITY_GET, rd_security },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (t[i].id == id) {
			*out = t[i].h;
			return 1;
		}
	return 0;
}

serve_handler
serve_handler_for(enum serve_route_id id)
{
	serve_handler h = NULL;
	if (serve_read_handler(id, &h) || serve_write_handler(id, &h))
		return h;
	return NULL;
}
