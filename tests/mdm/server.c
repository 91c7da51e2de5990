/*
 * server.c — sets the conformance server up (schema, PKI, state), routes
 * the MDM port (ServerURL, CheckInURL, SCEP) and keeps the bad-server
 * faults.
 *
 * Routing as NanoMDM with -checkin (http/mdm/mdm.go): CheckInURL takes
 * check-ins; ServerURL takes command reports, and check-ins too when their
 * Content-Type starts with application/x-apple-aspen-mdm-checkin.  Both
 * accept PUT (what macOS sends) and POST (recorded as a violation, since
 * MicroMDM routes PUT only).
 *
 * A fault spec is SCOPE:KIND[,key=value...]: SCOPE checkin, command, mdm
 * (both), scep or any; KIND status (status=503), hold (hold_ms=...), reset,
 * ctype (content_type=...), malformed, huge (bytes=...), empty; options
 * count=N (-1: until cleared; default 1), id=ENROLLMENT, match=MessageType
 * or Status (or SCEP operation).  status, hold and reset stop the request
 * before it changes any state; the others spoil the reply of a request
 * that was processed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdms.h"

void
mds_resp_set(mds_resp *r, int status, const char *ctype, const void *body, size_t n)
{
	r->status = status;
	snprintf(r->ctype, sizeof r->ctype, "%s", ctype ? ctype : "");
	r->body.len = 0;
	if (n)
		mds_buf_add(&r->body, body, n);
}

void
mds_resp_text(mds_resp *r, int status, const char *text)
{
	mds_resp_set(r, status, "text/plain; charset=utf-8", text, strlen(text));
}

int
mds_fault_parse(mds_fault *f, const char *spec, mds_err *err)
{
	memset(f, 0, sizeof *f);
	f->remaining = 1;
	f->status = 500;
	f->hold_ms = 30000;
	f->huge = 64u << 20;
	snprintf(f->ctype, sizeof f->ctype, "text/html");
	char buf[512];
	snprintf(buf, sizeof buf, "%s", spec);
	char *colon = strchr(buf, ':');
	if (colon == NULL)
		return mds_fail(err, 0, "fault %s: expected SCOPE:KIND", spec);
	*colon = 0;
	const char *scope = buf;
	char *rest = colon + 1, *save = NULL;
	char *kind = strtok_r(rest, ",", &save);
	if (strcmp(scope, "checkin") == 0)
		f->scope = MDS_FS_CHECKIN;
	else if (strcmp(scope, "command") == 0)
		f->scope = MDS_FS_COMMAND;
	else if (strcmp(scope, "mdm") == 0)
		f->scope = MDS_FS_CHECKIN | MDS_FS_COMMAND;
	else if (strcmp(scope, "scep") == 0)
		f->scope = MDS_FS_SCEP;
	else if (strcmp(scope, "any") == 0)
		f->scope = MDS_FS_CHECKIN | MDS_FS_COMMAND | MDS_FS_SCEP;
	else
		return mds_fail(err, 0, "fault %s: scope is checkin, command, mdm, scep or any", spec);
	static const char *const kinds[] = { "status", "hold", "reset", "ctype", "malformed", "huge", "empty" };
	size_t k = 0;
	for (; kind && k < sizeof kinds / sizeof kinds[0]; k++)
		if (strcmp(kind, kinds[k]) == 0)
			break;
	if (kind == NULL || k == sizeof kinds / sizeof kinds[0])
		return mds_fail(err, 0, "fault %s: kind is status, hold, reset, ctype, malformed, huge or empty", spec);
	f->kind = (enum mds_fkind)k;
	for (char *o = strtok_r(NULL, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(o, '=');
		if (eq == NULL)
			return mds_fail(err, 0, "fault %s: option %s without =value", spec, o);
		*eq = 0;
		const char *v = eq + 1;
		if (strcmp(o, "status") == 0) {
			f->status = atoi(v);
			if (f->status < 100 || f->status > 599)
				return mds_fail(err, 0, "fault %s: status %s", spec, v);
		} else if (strcmp(o, "hold_ms") == 0) {
			f->hold_ms = (unsigned)strtoul(v, NULL, 10);
		} else if (strcmp(o, "content_type") == 0) {
			snprintf(f->ctype, sizeof f->ctype, "%s", v);
		} else if (strcmp(o, "bytes") == 0) {
			f->huge = (size_t)strtoull(v, NULL, 10);
		} else if (strcmp(o, "count") == 0) {
			f->remaining = atoi(v);
			if (f->remaining == 0 || f->remaining < -1)
				return mds_fail(err, 0, "fault %s: count is positive or -1", spec);
		} else if (strcmp(o, "id") == 0) {
			snprintf(f->id, sizeof f->id, "%s", v);
		} else if (strcmp(o, "match") == 0) {
			snprintf(f->msgtype, sizeof f->msgtype, "%s", v);
		} else {
			return mds_fail(err, 0, "fault %s: unknown option %s", spec, o);
		}
	}
	return 0;
}

bool
mds_fault_take(mds_server *s, unsigned scope, const char *id, const char *msgtype, mds_fault *out)
{
	bool hit = false;
	pthread_mutex_lock(&s->fmu);
	for (size_t i = 0; i < s->nfaults; i++) {
		mds_fault *f = &s->faults[i];
		if (!(f->scope & scope))
			continue;
		if (f->id[0] && (id == NULL || strcmp(f->id, id) != 0))
			continue;
		if (f->msgtype[0] && (msgtype == NULL || strcmp(f->msgtype, msgtype) != 0))
			continue;
		f->hits++;
		if (out)
			*out = *f;
		if (f->remaining > 0 && --f->remaining == 0) {
			memmove(f, f + 1, (s->nfaults - i - 1) * sizeof *f);
			s->nfaults--;
		}
		hit = true;
		break;
	}
	pthread_mutex_unlock(&s->fmu);
	return hit;
}

int
mds_server_init(mds_server *s, const mds_config *cfg, mds_err *err)
{
	memset(s, 0, sizeof *s);
	s->cfg = *cfg;
	mds_report_init(&s->rep);
	mds_state_init(&s->st, cfg->keep_bodies ? cfg->keep_bodies : 256u << 20);
	mds_idcache_init(&s->idc);
	s->idc.no_fast = cfg->no_fast_verify;
	pthread_mutex_init(&s->fmu, NULL);
	if (s->cfg.topic == NULL) {
		char u[37];
		mds_uuid(u);
		for (char *p = u; *p; p++)
			if (*p >= 'A' && *p <= 'F')
				*p = (char)(*p - 'A' + 'a');
		snprintf(s->topic_buf, sizeof s->topic_buf, "com.apple.mgmt.External.%s", u);
		s->cfg.topic = s->topic_buf;
	}
	if (s->cfg.schema_dir != NULL) {
		if (mds_schema_load(&s->schema, s->cfg.schema_dir, err) != 0)
			return -1;
		s->have_schema = true;
	}
	if (mds_pki_setup(&s->pki, s->cfg.dir, s->cfg.tls_mode, s->cfg.host, s->cfg.ec_tls, s->cfg.scep_ra,
	    s->cfg.device_cas, s->cfg.ndevice_cas, err) != 0)
		return -1;
	if (mds_scep_init(s, err) != 0)
		return -1;
	s->scep_mode = s->cfg.scep_mode;
	s->scep_polls = s->cfg.scep_polls;
	s->scep_failinfo = s->cfg.scep_failinfo;
	if (s->cfg.push_url)
		s->push_url = mds_xstrdup(s->cfg.push_url);
	if (mds_pki_der(s->pki.tls_ca, &s->tls_ca_der, &s->tls_ca_len) != 0)
		return mds_fail(err, 0, "cannot encode the TLS CA");
	return 0;
}

void
mds_server_free(mds_server *s)
{
	mds_scep_free(s);
	mds_state_free(&s->st);
	mds_idcache_free(&s->idc);
	mds_report_free(&s->rep);
	if (s->have_schema)
		mds_schema_free(&s->schema);
	mds_pki_free(&s->pki);
	free(s->push_url);
	OPENSSL_free(s->tls_ca_der);
	pthread_mutex_destroy(&s->fmu);
}

static bool
prefix(const char *ct, const char *p)
{
	return ct != NULL && strncmp(ct, p, strlen(p)) == 0;
}

void
mds_handle_main(mds_server *s, const mds_req *rq, mds_resp *rs)
{
	mds_count(&s->rep, MDS_C_REQUESTS);
	const char *p = rq->path;
	bool put = strcmp(rq->method, "PUT") == 0 || strcmp(rq->method, "POST") == 0;
	if (strcmp(p, s->cfg.scep_path) == 0) {
		if (strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "POST") == 0)
			mds_handle_scep(s, rq, rs);
		else
			mds_resp_text(rs, 405, "Method Not Allowed\n");
	} else if (strcmp(p, s->cfg.checkin_path) == 0 && strcmp(s->cfg.checkin_path, s->cfg.mdm_path) != 0) {
		if (put)
			mds_handle_checkin(s, rq, rs, "CheckInURL");
		else
			mds_resp_text(rs, 405, "Method Not Allowed\n");
	} else if (strcmp(p, s->cfg.mdm_path) == 0) {
		if (!put)
			mds_resp_text(rs, 405, "Method Not Allowed\n");
		else if (prefix(rq->content_type, "application/x-apple-aspen-mdm-checkin"))
			mds_handle_checkin(s, rq, rs, "ServerURL");
		else
			mds_handle_command(s, rq, rs);
	} else {
		mds_resp_text(rs, 404, "Not Found\n");
	}
	int st = rs->status;
	if (rs->act == MDS_ACT_RESET)
		return;
	mds_count(&s->rep, st < 300 ? MDS_C_HTTP_2XX : st < 500 ? MDS_C_HTTP_4XX : MDS_C_HTTP_5XX);
}
