/*
 * control.c — the control API that tests and benches drive the server
 * with (tests/mdm/README.md documents every route).  JSON through jansson;
 * served on its own loopback port, optionally behind a bearer token.
 *
 *   GET    /v1/health                       ports, URLs, topic
 *   GET    /v1/enrollments[?enabled=1]      every enrollment (or one: /v1/enrollments/ID)
 *   POST   /v1/enqueue/TARGET[?push=1]      TARGET: an id, ids joined by ',', "all"
 *                                           (enabled device channels) or "all-users";
 *                                           body: a command plist, or JSON shortcut
 *   GET    /v1/commands/UUID                one command and its deliveries
 *   GET    /v1/results[?uuid=&id=&status=&request_type=&body=0&limit=]
 *   GET    /v1/counters, /v1/report
 *   POST   /v1/faults (JSON or a --fault spec), GET /v1/faults, DELETE /v1/faults
 *   POST   /v1/scep {"mode":"success|pending|failure","polls":N,"fail_info":"badRequest"}
 *   POST   /v1/push/TARGET                  a push for each target to the push URL
 *   GET    /v1/config, PUT /v1/config {"push_url": "..."}
 *   GET    /v1/profile[?identity=scep|pkcs12&pin=ca|leaf|other]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mdms.h"

static void
json_reply(mds_resp *rs, int status, json_t *j)
{
	char *t = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(j);
	mds_resp_set(rs, status, "application/json", t, strlen(t));
	mds_buf_add(&rs->body, "\n", 1);
	free(t);
}

static void
json_error(mds_resp *rs, int status, const char *msg)
{
	json_t *j = json_object();
	json_object_set_new(j, "error", json_string(msg));
	json_reply(rs, status, j);
}

/* A query parameter's value (URL-decoded, copied into buf), or NULL. */
static const char *
qparam(const char *query, const char *name, char *buf, size_t n)
{
	if (query == NULL)
		return NULL;
	size_t nl = strlen(name);
	const char *p = query;
	while (*p) {
		const char *amp = strchr(p, '&');
		size_t seg = amp ? (size_t)(amp - p) : strlen(p);
		if (seg > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t o = 0;
			for (size_t i = nl + 1; i < seg && o + 1 < n; i++) {
				char c = p[i];
				if (c == '+') {
					c = ' ';
				} else if (c == '%' && i + 2 < seg) {
					char hx[3] = { p[i + 1], p[i + 2], 0 };
					c = (char)strtol(hx, NULL, 16);
					i += 2;
				}
				buf[o++] = c;
			}
			buf[o] = 0;
			return buf;
		}
		p += seg + (amp ? 1 : 0);
		if (amp == NULL)
			break;
	}
	return NULL;
}

static const char *
dstatus_name(uint8_t s)
{
	static const char *const n[] = { "Queued", "NotNow", "Acknowledged", "Error", "CommandFormatError" };
	return s < 5 ? n[s] : "?";
}

static const char *
etype_name(uint8_t t)
{
	static const char *const n[] = { "?", "Device", "User", "User Enrollment (Device)", "User Enrollment" };
	return t < 5 ? n[t] : "?";
}

/* mu held */
static json_t *
enr_json(const mds_enr *e)
{
	json_t *j = json_object();
	char hex[2 * 64 + 1];
	json_object_set_new(j, "id", json_string(e->id));
	json_object_set_new(j, "udid", json_string(e->udid));
	json_object_set_new(j, "type", json_string(etype_name(e->type)));
	json_object_set_new(j, "enabled", json_boolean(e->enabled));
	if (e->user_id[0])
		json_object_set_new(j, "user_id", json_string(e->user_id));
	if (e->user_short[0])
		json_object_set_new(j, "user_short_name", json_string(e->user_short));
	if (e->user_long[0])
		json_object_set_new(j, "user_long_name", json_string(e->user_long));
	json_object_set_new(j, "topic", json_string(e->topic));
	mds_hex(hex, e->token, e->token_len);
	json_object_set_new(j, "token_hex", json_string(hex));
	json_object_set_new(j, "push_magic", json_string(e->push_magic));
	json_object_set_new(j, "awaiting_configuration", json_boolean(e->awaiting_configuration));
	json_object_set_new(j, "bootstrap_token", json_boolean(e->has_bootstrap));
	if (e->has_bootstrap) {
		char *b = mds_b64_encode(e->bootstrap, e->bootstrap_len);
		json_object_set_new(j, "bootstrap_token_base64", json_string(b));
		free(b);
	}
	if (e->has_cert) {
		mds_hex(hex, e->cert, 32);
		json_object_set_new(j, "cert_sha256", json_string(hex));
	}
	json_object_set_new(j, "authenticate_count", json_integer(e->authenticates));
	json_object_set_new(j, "token_update_tally", json_integer(e->token_updates));
	json_object_set_new(j, "checkout_count", json_integer(e->checkouts));
	json_object_set_new(j, "checkins", json_integer(e->checkins));
	json_object_set_new(j, "reports", json_integer(e->reports));
	json_object_set_new(j, "user_authenticate_first", json_integer(e->ua_first));
	json_object_set_new(j, "user_authenticate_second", json_integer(e->ua_second));
	json_object_set_new(j, "queue_length", json_integer(e->qlen));
	json_object_set_new(j, "last_status", json_string(e->last_status));
	static const struct { const char *k; size_t off; } strs[] = {
		{ "os_version", offsetof(mds_enr, os_version) }, { "build_version", offsetof(mds_enr, build) },
		{ "serial_number", offsetof(mds_enr, serial) }, { "model", offsetof(mds_enr, model) },
		{ "model_name", offsetof(mds_enr, model_name) }, { "device_name", offsetof(mds_enr, device_name) },
	};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
		const char *v = (const char *)e + strs[i].off;
		if (v[0])
			json_object_set_new(j, strs[i].k, json_string(v));
	}
	json_object_set_new(j, "first_seen", json_real(e->first_seen));
	json_object_set_new(j, "last_seen", json_real(e->last_seen));
	return j;
}

/* mu held */
static json_t *
delivery_json(const mds_delivery *d, bool body)
{
	json_t *j = json_object();
	json_object_set_new(j, "command_uuid", json_string(d->cmd->uuid));
	json_object_set_new(j, "request_type", json_string(d->cmd->reqtype));
	json_object_set_new(j, "id", json_string(d->enr->id));
	json_object_set_new(j, "status", json_string(d->pending && d->status == MDS_D_QUEUED ?
	    (d->delivered ? "Delivered" : "Queued") : d->pending ? "NotNow" : dstatus_name(d->status)));
	json_object_set_new(j, "pending", json_boolean(d->pending));
	json_object_set_new(j, "delivered", json_integer(d->delivered));
	json_object_set_new(j, "not_now", json_integer(d->notnow));
	json_object_set_new(j, "results", json_integer(d->results));
	json_object_set_new(j, "duplicate_results", json_integer(d->results > 1 ? d->results - 1 : 0));
	bool answered = !d->pending && d->results > 0;
	if (answered) {
		json_object_set_new(j, "valid", json_boolean(d->viols_total == 0));
		json_t *vs = json_array();
		for (uint32_t i = 0; i < d->nviols; i++) {
			json_t *v = json_object();
			json_object_set_new(v, "kind", json_string(d->viols[i].kind));
			json_object_set_new(v, "path", json_string(d->viols[i].path));
			json_object_set_new(v, "message", json_string(d->viols[i].msg));
			json_array_append_new(vs, v);
		}
		json_object_set_new(j, "violations", vs);
		json_object_set_new(j, "violations_total", json_integer(d->viols_total));
		if (body && d->result)
			json_object_set_new(j, "response", json_stringn(d->result, d->result_len));
		else if (body)
			json_object_set_new(j, "response", json_null());
		json_object_set_new(j, "latency_s", json_real(d->t_delivered > 0 ? d->t_result - d->cmd->enqueued : 0));
	}
	return j;
}

/* Splits TARGET (ids joined by ',') into ids; returns the count. */
static size_t
split_ids(char *t, const char **ids, size_t max)
{
	size_t n = 0;
	char *save = NULL;
	for (char *p = strtok_r(t, ",", &save); p && n < max; p = strtok_r(NULL, ",", &save))
		ids[n++] = p;
	return n;
}

/* The ids of a target: one or a list, or every enabled device (user) channel. */
static json_t *
target_ids(mds_server *s, const char *target)
{
	json_t *a = json_array();
	bool all = strcmp(target, "all") == 0, users = strcmp(target, "all-users") == 0;
	if (!all && !users) {
		char *t = mds_xstrdup(target);
		const char *ids[1024];
		size_t n = split_ids(t, ids, 1024);
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, json_string(ids[i]));
		free(t);
		return a;
	}
	pthread_mutex_lock(&s->st.mu);
	for (mds_enr *e = s->st.ehead; e; e = e->lnext) {
		bool user = e->type == MDS_E_USER || e->type == MDS_E_UE_USER;
		if (e->enabled && user == users)
			json_array_append_new(a, json_string(e->id));
	}
	pthread_mutex_unlock(&s->st.mu);
	return a;
}

static void
push_targets(mds_server *s, json_t *ids, json_t *out)
{
	size_t i;
	json_t *x;
	size_t ok = 0, failed = 0;
	json_t *fails = json_array();
	json_array_foreach(ids, i, x) {
		mds_enr snap;
		bool found = false;
		pthread_mutex_lock(&s->st.mu);
		mds_enr *e = mds_state_enr(&s->st, json_string_value(x), false);
		if (e) {
			snap = *e;
			found = true;
		}
		pthread_mutex_unlock(&s->st.mu);
		char detail[256] = "no such enrollment";
		int rc = found ? mds_push(s, &snap, detail, sizeof detail) : -1;
		if (rc == 0) {
			ok++;
		} else {
			failed++;
			if (json_array_size(fails) < 100) {
				json_t *f = json_object();
				json_object_set_new(f, "id", json_string(json_string_value(x)));
				json_object_set_new(f, "error", json_string(detail));
				json_array_append_new(fails, f);
			}
		}
	}
	json_object_set_new(out, "pushed", json_integer((json_int_t)ok));
	json_object_set_new(out, "push_failed", json_integer((json_int_t)failed));
	json_object_set_new(out, "push_errors", fails);
}

static void
enqueue(mds_server *s, const mds_req *rq, const char *target, mds_resp *rs)
{
	mds_err err = { 0 };
	mds_buf plist = { 0 };
	size_t i = 0;
	while (i < rq->len && (rq->body[i] == ' ' || rq->body[i] == '\n' || rq->body[i] == '\r' || rq->body[i] == '\t'))
		i++;
	if (i < rq->len && rq->body[i] == '{') {
		json_error_t je;
		json_t *j = json_loadb((const char *)rq->body, rq->len, 0, &je);
		if (j == NULL || !json_is_object(j)) {
			json_decref(j);
			json_error(rs, 400, "body is neither a plist nor a JSON object");
			return;
		}
		int rc = mds_shortcut(j, &plist, &err);
		json_decref(j);
		if (rc != 0) {
			json_error(rs, 400, err.msg);
			return;
		}
	} else {
		mds_buf_add(&plist, rq->body, rq->len);
	}
	json_t *ids = target_ids(s, target);
	size_t nids = json_array_size(ids);
	const char **idv = mds_xcalloc(nids + 1, sizeof *idv);
	for (size_t k = 0; k < nids; k++)
		idv[k] = json_string_value(json_array_get(ids, k));
	char uuid[64], rt[64];
	mds_viols vs = { .n = 0 };
	int n = nids ? mds_enqueue_plist(s, plist.p, plist.len, idv, nids, uuid, rt, &vs, &err) :
	    mds_fail(&err, 0, "no enrollment to send it to");
	free(idv);
	mds_buf_free(&plist);
	if (n < 0) {
		json_decref(ids);
		json_error(rs, strstr(err.msg, "already exists") ? 409 :
		    strstr(err.msg, "no such") || strstr(err.msg, "no enrollment") ? 404 : 400, err.msg);
		return;
	}
	json_t *j = json_object();
	json_object_set_new(j, "command_uuid", json_string(uuid));
	json_object_set_new(j, "request_type", json_string(rt));
	json_object_set_new(j, "targets", json_integer(n));
	/* what Apple's payloadkeys say about the command (sent regardless) */
	json_t *cv = json_array();
	for (size_t k = 0; k < vs.n; k++)
		json_array_append_new(cv, json_sprintf("%s: %s: %s", vs.v[k].kind, vs.v[k].path, vs.v[k].msg));
	json_object_set_new(j, "command_violations", cv);
	char pv[8];
	if (qparam(rq->query, "push", pv, sizeof pv) && strcmp(pv, "1") == 0)
		push_targets(s, ids, j);
	json_decref(ids);
	json_reply(rs, 200, j);
}

static void
results(mds_server *s, const mds_req *rq, mds_resp *rs)
{
	char uuid[80], id[200], status[32], rt[64], body[8], lim[16];
	const char *fu = qparam(rq->query, "uuid", uuid, sizeof uuid);
	const char *fi = qparam(rq->query, "id", id, sizeof id);
	const char *fs = qparam(rq->query, "status", status, sizeof status);
	const char *fr = qparam(rq->query, "request_type", rt, sizeof rt);
	bool want_body = !(qparam(rq->query, "body", body, sizeof body) && strcmp(body, "0") == 0);
	long limit = qparam(rq->query, "limit", lim, sizeof lim) ? atol(lim) : 100000;
	json_t *a = json_array();
	long n = 0;
	pthread_mutex_lock(&s->st.mu);
	for (size_t b = 0; b < s->st.ccap && n < limit; b++) {
		for (mds_cmd *c = s->st.ctab[b]; c && n < limit; c = c->hnext) {
			if (fu && strcmp(c->uuid, fu) != 0)
				continue;
			if (fr && strcmp(c->reqtype, fr) != 0)
				continue;
			for (mds_delivery *d = c->deliveries; d && n < limit; d = d->cnext) {
				if (fi && strcmp(d->enr->id, fi) != 0)
					continue;
				json_t *dj = delivery_json(d, want_body);
				if (fs && strcmp(json_string_value(json_object_get(dj, "status")), fs) != 0) {
					json_decref(dj);
					continue;
				}
				json_array_append_new(a, dj);
				n++;
			}
		}
	}
	pthread_mutex_unlock(&s->st.mu);
	json_t *j = json_object();
	json_object_set_new(j, "results", a);
	json_object_set_new(j, "count", json_integer(n));
	json_reply(rs, 200, j);
}

static int
failinfo_value(const char *s)
{
	static const char *const n[] = { "badAlg", "badMessageCheck", "badRequest", "badTime", "badCertId" };
	for (int i = 0; i < 5; i++)
		if (strcmp(s, n[i]) == 0)
			return i;
	return -1;
}

static void
faults_post(mds_server *s, const mds_req *rq, mds_resp *rs)
{
	mds_fault f;
	mds_err err = { 0 };
	char spec[512];
	size_t n = rq->len < sizeof spec - 1 ? rq->len : sizeof spec - 1;
	memcpy(spec, rq->body, n);
	spec[n] = 0;
	if (n && spec[0] == '{') {
		json_error_t je;
		json_t *j = json_loads(spec, 0, &je);
		const char *scope = json_string_value(json_object_get(j, "scope"));
		const char *kind = json_string_value(json_object_get(j, "kind"));
		char built[512];
		int w = snprintf(built, sizeof built, "%s:%s", scope ? scope : "any", kind ? kind : "");
		static const char *const opt[] = { "status", "hold_ms", "content_type", "bytes", "count", "id", "match" };
		for (size_t i = 0; j && i < sizeof opt / sizeof opt[0] && w < (int)sizeof built; i++) {
			json_t *v = json_object_get(j, opt[i]);
			if (json_is_integer(v))
				w += snprintf(built + w, sizeof built - (size_t)w, ",%s=%lld", opt[i], (long long)json_integer_value(v));
			else if (json_is_string(v))
				w += snprintf(built + w, sizeof built - (size_t)w, ",%s=%s", opt[i], json_string_value(v));
		}
		json_decref(j);
		snprintf(spec, sizeof spec, "%s", built);
	}
	if (mds_fault_parse(&f, spec, &err) != 0) {
		json_error(rs, 400, err.msg);
		return;
	}
	pthread_mutex_lock(&s->fmu);
	bool full = s->nfaults == sizeof s->faults / sizeof s->faults[0];
	if (!full)
		s->faults[s->nfaults++] = f;
	pthread_mutex_unlock(&s->fmu);
	if (full) {
		json_error(rs, 409, "too many faults");
		return;
	}
	json_t *j = json_object();
	json_object_set_new(j, "fault", json_string(spec));
	json_reply(rs, 200, j);
}

static void
faults_get(mds_server *s, mds_resp *rs)
{
	json_t *a = json_array();
	static const char *const kinds[] = { "status", "hold", "reset", "ctype", "malformed", "huge", "empty" };
	pthread_mutex_lock(&s->fmu);
	for (size_t i = 0; i < s->nfaults; i++) {
		const mds_fault *f = &s->faults[i];
		json_t *o = json_object();
		json_object_set_new(o, "kind", json_string(kinds[f->kind]));
		json_object_set_new(o, "scope", json_integer(f->scope));
		json_object_set_new(o, "remaining", json_integer(f->remaining));
		json_object_set_new(o, "hits", json_integer((json_int_t)f->hits));
		json_array_append_new(a, o);
	}
	pthread_mutex_unlock(&s->fmu);
	json_t *j = json_object();
	json_object_set_new(j, "faults", a);
	json_reply(rs, 200, j);
}

static void
scep_post(mds_server *s, const mds_req *rq, mds_resp *rs)
{
	json_error_t je;
	json_t *j = json_loadb((const char *)rq->body, rq->len, 0, &je);
	const char *mode = json_string_value(json_object_get(j, "mode"));
	int m = mode == NULL ? -1 : strcmp(mode, "success") == 0 ? MDS_SCEP_SUCCESS :
	    strcmp(mode, "pending") == 0 ? MDS_SCEP_PENDING : strcmp(mode, "failure") == 0 ? MDS_SCEP_FAILURE : -1;
	const char *fi = json_string_value(json_object_get(j, "fail_info"));
	int fv = fi ? failinfo_value(fi) : 2;
	json_int_t polls = json_integer_value(json_object_get(j, "polls"));
	char name[16];
	snprintf(name, sizeof name, "%s", mode ? mode : "");
	json_decref(j);
	if (m < 0 || fv < 0) {
		json_error(rs, 400, "mode is success, pending or failure; fail_info one of RFC 8894's names");
		return;
	}
	pthread_mutex_lock(&s->fmu);
	s->scep_mode = m;
	s->scep_failinfo = fv;
	s->scep_polls = polls > 0 ? (int)polls : 2;
	pthread_mutex_unlock(&s->fmu);
	json_t *o = json_object();
	json_object_set_new(o, "mode", json_string(name));
	json_reply(rs, 200, o);
}

static void
health(mds_server *s, mds_resp *rs)
{
	json_t *j = json_object();
	json_object_set_new(j, "ok", json_true());
	json_object_set_new(j, "base_url", json_string(s->base_url));
	json_object_set_new(j, "server_url", json_sprintf("%s%s", s->base_url, s->cfg.mdm_path));
	json_object_set_new(j, "checkin_url", json_sprintf("%s%s", s->base_url, s->cfg.checkin_path));
	json_object_set_new(j, "scep_url", json_string(s->scep_url));
	json_object_set_new(j, "control_url", json_string(s->control_url));
	json_object_set_new(j, "port", json_integer(s->port));
	json_object_set_new(j, "control_port", json_integer(s->control_port));
	json_object_set_new(j, "topic", json_string(s->cfg.topic));
	json_object_set_new(j, "tls", json_boolean(s->cfg.tls));
	json_object_set_new(j, "mtls", json_boolean(s->cfg.mtls));
	json_object_set_new(j, "schema", json_boolean(s->have_schema));
	pthread_mutex_lock(&s->fmu);
	json_object_set_new(j, "push_url", s->push_url ? json_string(s->push_url) : json_null());
	pthread_mutex_unlock(&s->fmu);
	json_reply(rs, 200, j);
}

void
mds_handle_control(mds_server *s, const mds_req *rq, mds_resp *rs)
{
	if (s->cfg.control_token) {
		char want[300];
		snprintf(want, sizeof want, "Bearer %s", s->cfg.control_token);
		if (rq->authorization == NULL || strcmp(rq->authorization, want) != 0) {
			json_error(rs, 401, "a bearer token is required");
			return;
		}
	} else if (!rq->from_loopback) {
		json_error(rs, 403, "the control API answers loopback clients only");
		return;
	}
	const char *p = rq->path, *m = rq->method;
	bool get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0;
	if (get && strcmp(p, "/v1/health") == 0) {
		health(s, rs);
	} else if (get && (strcmp(p, "/v1/enrollments") == 0 || strncmp(p, "/v1/enrollments/", 16) == 0)) {
		const char *one = p[15] == '/' ? p + 16 : NULL;
		char en[8];
		bool only_enabled = qparam(rq->query, "enabled", en, sizeof en) && strcmp(en, "1") == 0;
		json_t *a = json_array();
		json_t *single = NULL;
		pthread_mutex_lock(&s->st.mu);
		if (one) {
			mds_enr *e = mds_state_enr(&s->st, one, false);
			if (e)
				single = enr_json(e);
		} else {
			for (mds_enr *e = s->st.ehead; e; e = e->lnext)
				if (!only_enabled || e->enabled)
					json_array_append_new(a, enr_json(e));
		}
		pthread_mutex_unlock(&s->st.mu);
		if (one) {
			json_decref(a);
			if (single)
				json_reply(rs, 200, single);
			else
				json_error(rs, 404, "no such enrollment");
		} else {
			json_t *j = json_object();
			json_object_set_new(j, "count", json_integer((json_int_t)json_array_size(a)));
			json_object_set_new(j, "enrollments", a);
			json_reply(rs, 200, j);
		}
	} else if (post && strncmp(p, "/v1/enqueue/", 12) == 0 && p[12]) {
		enqueue(s, rq, p + 12, rs);
	} else if (get && strncmp(p, "/v1/commands/", 13) == 0) {
		json_t *j = NULL;
		pthread_mutex_lock(&s->st.mu);
		mds_cmd *c = mds_state_cmd(&s->st, p + 13);
		if (c) {
			j = json_object();
			json_object_set_new(j, "command_uuid", json_string(c->uuid));
			json_object_set_new(j, "request_type", json_string(c->reqtype));
			json_object_set_new(j, "command", json_stringn((const char *)c->xml, c->len));
			json_t *a = json_array();
			for (mds_delivery *d = c->deliveries; d; d = d->cnext)
				json_array_append_new(a, delivery_json(d, true));
			json_object_set_new(j, "deliveries", a);
		}
		pthread_mutex_unlock(&s->st.mu);
		if (j)
			json_reply(rs, 200, j);
		else
			json_error(rs, 404, "no such command");
	} else if (get && strcmp(p, "/v1/results") == 0) {
		results(s, rq, rs);
	} else if (get && (strcmp(p, "/v1/report") == 0 || strcmp(p, "/v1/counters") == 0)) {
		char *t = mds_report_json(s);
		if (strcmp(p, "/v1/counters") == 0) {
			json_error_t je;
			json_t *full = json_loads(t, 0, &je);
			free(t);
			json_t *j = json_object();
			json_object_set(j, "counters", json_object_get(full, "counters"));
			json_object_set(j, "enrollments", json_object_get(full, "enrollments"));
			json_object_set(j, "enrollments_enabled", json_object_get(full, "enrollments_enabled"));
			json_object_set(j, "violations_total", json_object_get(json_object_get(full, "validation"), "violations_total"));
			json_decref(full);
			json_reply(rs, 200, j);
		} else {
			mds_resp_set(rs, 200, "application/json", t, strlen(t));
			mds_buf_add(&rs->body, "\n", 1);
			free(t);
		}
	} else if (strcmp(p, "/v1/faults") == 0) {
		if (post) {
			faults_post(s, rq, rs);
		} else if (strcmp(m, "DELETE") == 0) {
			pthread_mutex_lock(&s->fmu);
			s->nfaults = 0;
			pthread_mutex_unlock(&s->fmu);
			json_reply(rs, 200, json_pack("{s:b}", "cleared", 1));
		} else {
			faults_get(s, rs);
		}
	} else if (post && strcmp(p, "/v1/scep") == 0) {
		scep_post(s, rq, rs);
	} else if (post && strncmp(p, "/v1/push/", 9) == 0 && p[9]) {
		json_t *ids = target_ids(s, p + 9);
		json_t *j = json_object();
		json_object_set_new(j, "targets", json_integer((json_int_t)json_array_size(ids)));
		push_targets(s, ids, j);
		json_decref(ids);
		json_reply(rs, 200, j);
	} else if (strcmp(p, "/v1/config") == 0) {
		if (post) {
			json_error_t je;
			json_t *j = json_loadb((const char *)rq->body, rq->len, 0, &je);
			const char *u = json_string_value(json_object_get(j, "push_url"));
			if (u) {
				pthread_mutex_lock(&s->fmu);
				free(s->push_url);
				s->push_url = mds_xstrdup(u);
				pthread_mutex_unlock(&s->fmu);
			}
			json_decref(j);
		}
		health(s, rs);
	} else if (get && strcmp(p, "/v1/profile") == 0) {
		char id[16], pin[16];
		mds_buf out = { 0 };
		mds_err err = { 0 };
		if (mds_profile_build(s, &out, qparam(rq->query, "identity", id, sizeof id),
		    qparam(rq->query, "pin", pin, sizeof pin), &err) != 0) {
			json_error(rs, 400, err.msg);
		} else {
			mds_resp_set(rs, 200, "application/x-apple-aspen-config", out.p, out.len);
		}
		mds_buf_free(&out);
	} else {
		json_error(rs, 404, "no such route");
	}
}
