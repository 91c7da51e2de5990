/*
 * mdm.c — the two MDM endpoints: check-in (CheckInURL, or ServerURL with
 * Content-Type application/x-apple-aspen-mdm-checkin) and command reports
 * (ServerURL), as NanoMDM answers them (mdm-observed.md §3; NanoMDM
 * service/nanomdm/service.go, service/certauth, storage/kv).
 *
 * Order of checks, and the status each failure gets, as observed: the
 * identity (Mdm-Signature or TLS client certificate) → 400; the body (not a
 * plist, unknown MessageType, no Status) → 400; cert-auth (a certificate
 * bound to another enrollment at Authenticate, or a message whose
 * enrollment is not bound to this certificate) → 500; no enrollment ID →
 * 500.  Then the message is validated against Apple's schema (violations
 * recorded; 400 in --strict mode) and applied: Authenticate clears the
 * queue and disables, TokenUpdate enables, CheckOut disables; a result
 * leaves the queue unless NotNow; the reply carries the next command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdms.h"

#define SHARED_IPAD_USER "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"
#define CHECKIN_CTYPE "application/x-apple-aspen-mdm-checkin"

/* Who a message is from, resolved as NanoMDM's Enrollment.Resolved(). */
struct who {
	char dev[80];           /* device channel id */
	char id[200];           /* the enrollment id (dev, or dev:user) */
	bool user;              /* user channel */
	bool ue;                /* user enrollment */
};

static void
resolve(const mds_pnode *root, struct who *w)
{
	memset(w, 0, sizeof *w);
	const char *udid = mds_plist_str(root, "UDID"), *eid = mds_plist_str(root, "EnrollmentID");
	const char *uid = mds_plist_str(root, "UserID"), *ushort = mds_plist_str(root, "UserShortName");
	const char *euid = mds_plist_str(root, "EnrollmentUserID");
	if (udid && udid[0]) {
		snprintf(w->dev, sizeof w->dev, "%s", udid);
		if (uid && uid[0]) {
			w->user = true;
			snprintf(w->id, sizeof w->id, "%s:%s", udid,
			    strcmp(uid, SHARED_IPAD_USER) == 0 && ushort ? ushort : uid);
			return;
		}
	} else if (eid && eid[0]) {
		snprintf(w->dev, sizeof w->dev, "%s", eid);
		w->ue = true;
		if (euid && euid[0]) {
			w->user = true;
			snprintf(w->id, sizeof w->id, "%s:%s", eid, euid);
			return;
		}
	} else {
		return;
	}
	snprintf(w->id, sizeof w->id, "%s", w->dev);
}

static void
reply_status(mds_server *s, mds_resp *rs, int status)
{
	static const struct { int code; const char *text; } t[] = {
		{ 400, "Bad Request" }, { 410, "Gone" }, { 413, "Request Entity Too Large" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" }, { 500, "Internal Server Error" },
	};
	const char *text = "Error";
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (t[i].code == status)
			text = t[i].text;
	char body[64];
	snprintf(body, sizeof body, "%s\n", text);
	mds_resp_text(rs, status, body);
	(void)s;
}

/* A log line for failures: tests read them in the server's stderr. */
static void
note(const mds_server *s, const char *what, const char *id, const char *msg)
{
	(void)s;
	fprintf(stderr, "mdmserver: %s%s%s: %s\n", what, id && id[0] ? " " : "", id ? id : "", msg);
}

/* The identity of the sender; false (rs filled with 400) when it has none. */
static bool
identify(mds_server *s, const mds_req *rq, mds_resp *rs, mds_identity *id, const char *what)
{
	memset(id, 0, sizeof *id);
	if (s->cfg.no_auth)
		return true;
	mds_err err = { 0 };
	if (s->cfg.mtls) {
		if (mds_verify_client_chain(id, &s->idc, s->pki.device_store, s->cfg.verify_time,
		    rq->peer_der, rq->peer_len, rq->npeer, &err) != 0) {
			mds_count(&s->rep, MDS_C_SIG_FAIL);
			note(s, what, "", err.msg);
			reply_status(s, rs, 400);
			return false;
		}
		mds_count(&s->rep, MDS_C_MTLS);
		return true;
	}
	if (mds_verify_mdm_signature(id, &s->idc, s->pki.device_store, s->cfg.verify_time,
	    rq->mdm_signature, rq->body, rq->len, &err) != 0) {
		mds_count(&s->rep, MDS_C_SIG_FAIL);
		note(s, what, "", err.msg);
		reply_status(s, rs, 400);
		return false;
	}
	mds_count(&s->rep, id->cached ? MDS_C_SIG_CACHED : MDS_C_SIG_FULL);
	if (id->fast)
		mds_count(&s->rep, MDS_C_SIG_FAST);
	return true;
}

static mds_vctx
context(mds_server *s, const struct who *w, const char *os_hint)
{
	mds_vctx c = { .user_channel = w->user, .user_enrollment = w->ue };
	char os[24] = "";
	if (os_hint && os_hint[0]) {
		snprintf(os, sizeof os, "%s", os_hint);
	} else if (w->dev[0]) {
		pthread_mutex_lock(&s->st.mu);
		mds_enr *d = mds_state_enr(&s->st, w->dev, false);
		if (d)
			snprintf(os, sizeof os, "%s", d->os_version);
		pthread_mutex_unlock(&s->st.mu);
	}
	if (os[0] && mds_version_parse(os, c.os)) {
		c.os_known = true;
	} else if (s->cfg.os_set) {
		memcpy(c.os, s->cfg.assume_os, sizeof c.os);
		c.os_known = true;
	}
	return c;
}

static void
copy_str(char *dst, size_t n, const mds_pnode *root, const char *key)
{
	const char *v = mds_plist_str(root, key);
	if (v)
		snprintf(dst, n, "%s", v);
}

static bool
get_bool(const mds_pnode *root, const char *key)
{
	const mds_pnode *n = mds_plist_get(root, key);
	return n && n->type == MDS_P_BOOL && n->v.b;
}

/* cert-auth, normalized to the device channel (certauth.go); mu held. */
static int
certauth(mds_server *s, const struct who *w, const mds_identity *id, bool authenticate, const char **why)
{
	if (s->cfg.no_auth)
		return 0;
	mds_enr *owner = mds_state_cert_owner(&s->st, id->sha256);
	if (authenticate) {
		mds_enr *d = mds_state_enr(&s->st, w->dev, false);
		if (owner != NULL && owner != d) {
			*why = "cert re-use not permitted";
			return -1;
		}
		d = mds_state_enr(&s->st, w->dev, true);
		if (d == NULL) {
			*why = "enrollment id too long";
			return -1;
		}
		mds_state_cert_bind(&s->st, d, id->sha256);
		return 0;
	}
	mds_enr *d = mds_state_enr(&s->st, w->dev, false);
	if (d == NULL || !d->has_cert || memcmp(d->cert, id->sha256, 32) != 0) {
		*why = "enrollment not associated with cert";
		return -1;
	}
	return 0;
}

/* A fault for this request: -1 none, 1 applied (the request stops here),
 * 0 a reply fault for spoil() once the request is processed. */
static int
fault(mds_server *s, unsigned scope, const char *id, const char *msgtype, mds_resp *rs, mds_fault *f)
{
	memset(f, 0, sizeof *f);
	if (!mds_fault_take(s, scope, id, msgtype, f))
		return -1;
	mds_count(&s->rep, MDS_C_FAULTS);
	switch (f->kind) {
	case MDS_F_STATUS:
		mds_resp_text(rs, f->status, "injected failure\n");
		return 1;
	case MDS_F_HOLD:
		rs->act = MDS_ACT_HOLD;
		rs->hold_ms = f->hold_ms;
		mds_resp_text(rs, 503, "held, then refused\n");
		return 1;
	case MDS_F_RESET:
		rs->act = MDS_ACT_RESET;
		return 1;
	default:
		return 0;               /* reply faults: applied after processing */
	}
}

/* Reply faults: the request was processed, the reply is spoiled. */
static void
spoil(mds_fault *f, mds_resp *rs)
{
	switch (f->kind) {
	case MDS_F_CTYPE:
		snprintf(rs->ctype, sizeof rs->ctype, "%s", f->ctype);
		break;
	case MDS_F_MALFORMED:
		mds_buf_free(&rs->body);
		mds_buf_adds(&rs->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n"
		    "<dict>\n\t<key>Command</key>\n\t<dict>\n\t\t<key>RequestType</key>\n\t\t<string>Device");
		snprintf(rs->ctype, sizeof rs->ctype, "text/xml; charset=utf-8");
		break;
	case MDS_F_HUGE:
		rs->act = MDS_ACT_HUGE;
		rs->huge = f->huge;
		break;
	case MDS_F_EMPTY:
		mds_buf_free(&rs->body);
		rs->ctype[0] = 0;
		break;
	default:
		break;
	}
}

static void
plist_reply(mds_resp *rs, const mds_pnode *root)
{
	mds_buf_free(&rs->body);
	mds_plist_write(&rs->body, root);
	rs->status = 200;
	snprintf(rs->ctype, sizeof rs->ctype, "application/xml");
}

static void
record_malformed(mds_server *s, const char *kind, const char *msg, size_t off)
{
	mds_viols vs = { .n = 0 };
	mds_viol_add(&vs, "malformed", "", "offset %zu: %s", off, msg);
	mds_report_message(&s->rep, kind, "body", &vs);
}

static void
ddm_reply(mds_server *s, const mds_pnode *root, mds_resp *rs)
{
	const char *ep = mds_plist_str(root, "Endpoint");
	if (ep && strcmp(ep, "tokens") == 0) {
		const char *j = "{\"SyncTokens\":{\"DeclarationsToken\":\"macext-empty\","
		    "\"Timestamp\":\"2026-01-01T00:00:00Z\"}}";
		mds_resp_set(rs, 200, "application/json", j, strlen(j));
	} else if (ep && strcmp(ep, "declaration-items") == 0) {
		const char *j = "{\"Declarations\":{\"Activations\":[],\"Assets\":[],\"Configurations\":[],"
		    "\"Management\":[]},\"DeclarationsToken\":\"macext-empty\"}";
		mds_resp_set(rs, 200, "application/json", j, strlen(j));
	} else if (ep && strcmp(ep, "status") == 0) {
		mds_resp_set(rs, 200, "", NULL, 0);
	} else {
		reply_status(s, rs, 404);
	}
}

void
mds_handle_checkin(mds_server *s, const mds_req *rq, mds_resp *rs, const char *endpoint)
{
	mds_count(&s->rep, MDS_C_CHECKINS);
	mds_identity id;
	if (!identify(s, rq, rs, &id, "check-in"))
		return;
	mds_arena a = { 0 };
	mds_pnode *root = NULL;
	mds_err err = { 0 };
	if (mds_plist_parse(&root, &a, rq->body, rq->len, &err) != 0) {
		record_malformed(s, "checkin:?", err.msg, err.offset);
		note(s, "check-in", "", err.msg);
		reply_status(s, rs, 400);
		goto out;
	}
	const char *mt = mds_plist_str(root, "MessageType");
	const mds_sdoc *doc = s->have_schema ? mds_schema_checkin(&s->schema, mt) : NULL;
	bool known = mt && (doc != NULL || (!s->have_schema && (strcmp(mt, "Authenticate") == 0 ||
	    strcmp(mt, "TokenUpdate") == 0 || strcmp(mt, "CheckOut") == 0)));
	if (!known) {
		mds_viols vs = { .n = 0 };
		mds_viol_add(&vs, "unknown-message", "MessageType", "\"%.60s\" is not a check-in message",
		    mt ? mt : "(none)");
		mds_report_message(&s->rep, "checkin:?", "body", &vs);
		reply_status(s, rs, 400);
		goto out;
	}
	struct who w;
	resolve(root, &w);
	char where[240], kind[80];
	snprintf(kind, sizeof kind, "checkin:%s", mt);
	snprintf(where, sizeof where, "%s %s via %s", kind, w.id[0] ? w.id : "(no id)", endpoint);
	mds_viols vs = { .n = 0 };
	if (rq->content_type == NULL || strncmp(rq->content_type, CHECKIN_CTYPE, strlen(CHECKIN_CTYPE)) != 0)
		mds_viol_add(&vs, "content-type", "", "check-in sent with Content-Type \"%.60s\"",
		    rq->content_type ? rq->content_type : "");
	if (rq->method && strcmp(rq->method, "PUT") != 0)
		mds_viol_add(&vs, "method", "", "check-in sent with %s (macOS PUTs)", rq->method);
	if (doc != NULL) {
		mds_vctx ctx = context(s, &w, strcmp(mt, "Authenticate") == 0 ? mds_plist_str(root, "OSVersion") : NULL);
		mds_validate_checkin(&s->schema, doc, root, &ctx, &vs);
	}
	mds_report_message(&s->rep, kind, where, &vs);
	if (s->cfg.strict && vs.total) {
		note(s, kind, w.id, vs.v[0].msg);
		reply_status(s, rs, 400);
		goto out;
	}
	mds_fault f;
	int fr = fault(s, MDS_FS_CHECKIN, w.id, mt, rs, &f);
	if (fr > 0)
		goto out;
	bool spoil_reply = fr == 0;
	if (w.id[0] == 0) {
		note(s, kind, "", "empty enrollment id");
		reply_status(s, rs, 500);
		goto out;
	}
	bool is_auth = strcmp(mt, "Authenticate") == 0;
	const char *why = NULL;
	double now = mds_now();
	mds_resp_set(rs, 200, "", NULL, 0);
	pthread_mutex_lock(&s->st.mu);
	if (certauth(s, &w, &id, is_auth, &why) != 0) {
		pthread_mutex_unlock(&s->st.mu);
		note(s, kind, w.id, why);
		reply_status(s, rs, 500);
		goto out;
	}
	mds_enr *e = mds_state_enr(&s->st, w.id, true);
	mds_enr *dev = w.user ? mds_state_enr(&s->st, w.dev, true) : e;
	if (e == NULL || dev == NULL) {
		pthread_mutex_unlock(&s->st.mu);
		reply_status(s, rs, 500);
		goto out;
	}
	if (e->first_seen == 0) {
		e->first_seen = now;
		snprintf(e->udid, sizeof e->udid, "%s", w.dev);
		e->type = w.user ? (w.ue ? MDS_E_UE_USER : MDS_E_USER) : (w.ue ? MDS_E_UE_DEVICE : MDS_E_DEVICE);
		e->parent = w.user ? dev : NULL;
	}
	e->last_seen = now;
	e->checkins++;
	if (is_auth) {
		mds_count(&s->rep, MDS_C_AUTHENTICATE);
		copy_str(e->os_version, sizeof e->os_version, root, "OSVersion");
		copy_str(e->build, sizeof e->build, root, "BuildVersion");
		copy_str(e->serial, sizeof e->serial, root, "SerialNumber");
		copy_str(e->model, sizeof e->model, root, "Model");
		copy_str(e->model_name, sizeof e->model_name, root, "ModelName");
		copy_str(e->device_name, sizeof e->device_name, root, "DeviceName");
		copy_str(e->topic, sizeof e->topic, root, "Topic");
		e->authenticates++;
		e->token_updates = 0;
		e->enabled = false;
		mds_state_clear_queue(&s->st, e);
	} else if (strcmp(mt, "TokenUpdate") == 0) {
		mds_count(&s->rep, MDS_C_TOKENUPDATE);
		const mds_pnode *tok = mds_plist_get(root, "Token");
		if (tok && tok->type == MDS_P_DATA && tok->n <= sizeof e->token) {
			memcpy(e->token, tok->v.d, tok->n);
			e->token_len = (uint8_t)tok->n;
		}
		copy_str(e->push_magic, sizeof e->push_magic, root, "PushMagic");
		copy_str(e->topic, sizeof e->topic, root, "Topic");
		copy_str(e->user_id, sizeof e->user_id, root, "UserID");
		copy_str(e->user_short, sizeof e->user_short, root, "UserShortName");
		copy_str(e->user_long, sizeof e->user_long, root, "UserLongName");
		e->not_on_console = get_bool(root, "NotOnConsole");
		e->awaiting_configuration = get_bool(root, "AwaitingConfiguration");
		e->token_updates++;
		e->enabled = true;
	} else if (strcmp(mt, "CheckOut") == 0) {
		mds_count(&s->rep, MDS_C_CHECKOUT);
		e->checkouts++;
		e->enabled = false;
	} else if (strcmp(mt, "SetBootstrapToken") == 0 || strcmp(mt, "GetBootstrapToken") == 0) {
		bool set = mt[0] == 'S';
		mds_count(&s->rep, set ? MDS_C_SETBOOTSTRAP : MDS_C_GETBOOTSTRAP);
		if (w.user) {
			why = "bootstrap tokens are device channel only";
		} else if (set) {
			const mds_pnode *bt = mds_plist_get(root, "BootstrapToken");
			free(e->bootstrap);
			e->bootstrap = NULL;
			e->bootstrap_len = 0;
			e->has_bootstrap = false;
			if (bt && bt->type == MDS_P_DATA && bt->n > 0) {
				e->bootstrap = mds_xmalloc(bt->n);
				memcpy(e->bootstrap, bt->v.d, bt->n);
				e->bootstrap_len = bt->n;
				e->has_bootstrap = true;
			}
		} else if (e->has_bootstrap) {
			mds_pnode *d = mds_pnode_new(&a, MDS_P_DICT), *v = mds_pnode_new(&a, MDS_P_DATA);
			uint8_t *copy = mds_arena_alloc(&a, e->bootstrap_len);
			memcpy(copy, e->bootstrap, e->bootstrap_len);
			v->v.d = copy;
			v->n = (uint32_t)e->bootstrap_len;
			mds_pnode_append(d, "BootstrapToken", v);
			plist_reply(rs, d);
		}
	} else if (strcmp(mt, "UserAuthenticate") == 0) {
		mds_count(&s->rep, MDS_C_USERAUTH);
		const char *dr = mds_plist_str(root, "DigestResponse");
		if (dr == NULL || dr[0] == 0) {
			e->ua_first++;
			if (s->cfg.ua_decline) {
				why = "declining management of user (410)";
			} else {
				mds_pnode *d = mds_pnode_new(&a, MDS_P_DICT);
				mds_pnode_append(d, "DigestChallenge", mds_pnode_string(&a, ""));
				plist_reply(rs, d);
			}
		} else {
			e->ua_second++;
		}
	} else if (strcmp(mt, "DeclarativeManagement") == 0) {
		mds_count(&s->rep, MDS_C_DDM);
		if (!s->cfg.ddm)
			why = "no Declarative Management handler";
		else
			ddm_reply(s, root, rs);
	} else {
		mds_count(&s->rep, MDS_C_GETTOKEN);
		why = "no handler for this check-in";
	}
	pthread_mutex_unlock(&s->st.mu);
	if (why != NULL) {
		note(s, kind, w.id, why);
		reply_status(s, rs, strstr(why, "(410)") ? 410 : 500);
	}
	else if (spoil_reply)
		spoil(&f, rs);
out:
	mds_arena_free(&a);
}

/* Keeps a result on its delivery; mu held. */
static void
keep_result(mds_server *s, mds_delivery *d, const mds_req *rq, const mds_viols *vs)
{
	if (d->result) {
		s->st.body_bytes -= d->result_len;
		free(d->result);
		d->result = NULL;
		d->result_len = 0;
	}
	d->result = mds_state_keep_body(&s->st, rq->body, rq->len);
	d->result_len = d->result ? rq->len : 0;
	free(d->viols);
	d->viols = NULL;
	d->nviols = (uint32_t)vs->n;
	d->viols_total = (uint32_t)vs->total;
	if (vs->n) {
		d->viols = mds_xmalloc(vs->n * sizeof *d->viols);
		memcpy(d->viols, vs->v, vs->n * sizeof *d->viols);
	}
	d->t_result = mds_now();
}

void
mds_handle_command(mds_server *s, const mds_req *rq, mds_resp *rs)
{
	mds_count(&s->rep, MDS_C_REPORTS);
	mds_identity id;
	if (!identify(s, rq, rs, &id, "command report"))
		return;
	mds_arena a = { 0 };
	mds_pnode *root = NULL;
	mds_err err = { 0 };
	if (mds_plist_parse(&root, &a, rq->body, rq->len, &err) != 0) {
		record_malformed(s, "response:?", err.msg, err.offset);
		note(s, "command report", "", err.msg);
		reply_status(s, rs, 400);
		goto out;
	}
	const char *status = mds_plist_str(root, "Status");
	if (status == NULL || root->type != MDS_P_DICT) {
		mds_viols vs = { .n = 0 };
		mds_viol_add(&vs, "missing", "Status", "a command-channel message without Status");
		mds_report_message(&s->rep, "response:?", "body", &vs);
		reply_status(s, rs, 400);
		goto out;
	}
	struct who w;
	resolve(root, &w);
	bool idle = strcmp(status, "Idle") == 0;
	const char *uuid = mds_plist_str(root, "CommandUUID");
	mds_fault f;
	int fr = fault(s, MDS_FS_COMMAND, w.id, status, rs, &f);
	if (fr > 0)
		goto out;
	bool have_fault = fr == 0;

	/* the command answered, for its schema (looked up, then validated unlocked) */
	char reqtype[64] = "";
	bool known_uuid = false;
	if (!idle && uuid) {
		pthread_mutex_lock(&s->st.mu);
		mds_cmd *c = mds_state_cmd(&s->st, uuid);
		if (c) {
			known_uuid = true;
			snprintf(reqtype, sizeof reqtype, "%s", c->reqtype);
		}
		pthread_mutex_unlock(&s->st.mu);
	}
	char kind[96], where[300];
	snprintf(kind, sizeof kind, "response:%s", idle ? "Idle" : reqtype[0] ? reqtype : "?");
	snprintf(where, sizeof where, "%s %s %s%s%s", kind, status, w.id[0] ? w.id : "(no id)",
	    uuid ? " " : "", uuid ? uuid : "");
	mds_viols vs = { .n = 0 };
	if (rq->method && strcmp(rq->method, "PUT") != 0)
		mds_viol_add(&vs, "method", "", "command report sent with %s (macOS PUTs)", rq->method);
	if (s->have_schema) {
		mds_vctx ctx = context(s, &w, NULL);
		const mds_sdoc *cdoc = reqtype[0] ? mds_schema_command(&s->schema, reqtype) : NULL;
		mds_validate_response(&s->schema, cdoc, root, &ctx, &vs);
	}
	if (!idle && uuid && !known_uuid)
		mds_viol_add(&vs, "unknown-command", "CommandUUID", "%.60s was never sent", uuid);

	if (s->cfg.strict && vs.total) {
		mds_report_message(&s->rep, kind, where, &vs);
		note(s, kind, w.id, vs.v[0].msg);
		reply_status(s, rs, 400);
		goto out;
	}
	if (w.id[0] == 0 || (!idle && (uuid == NULL || uuid[0] == 0))) {
		mds_report_message(&s->rep, kind, where, &vs);
		note(s, kind, w.id, w.id[0] ? "empty command UUID" : "empty enrollment id");
		reply_status(s, rs, 500);
		goto out;
	}
	const char *why = NULL;
	pthread_mutex_lock(&s->st.mu);
	if (certauth(s, &w, &id, false, &why) != 0) {
		pthread_mutex_unlock(&s->st.mu);
		mds_report_message(&s->rep, kind, where, &vs);
		note(s, kind, w.id, why);
		reply_status(s, rs, 500);
		goto out;
	}
	mds_enr *e = mds_state_enr(&s->st, w.id, true);
	if (e == NULL) {
		pthread_mutex_unlock(&s->st.mu);
		reply_status(s, rs, 500);
		goto out;
	}
	double now = mds_now();
	if (e->first_seen == 0) {
		e->first_seen = now;
		snprintf(e->udid, sizeof e->udid, "%s", w.dev);
		e->type = w.user ? (w.ue ? MDS_E_UE_USER : MDS_E_USER) : (w.ue ? MDS_E_UE_DEVICE : MDS_E_DEVICE);
		e->parent = w.user ? mds_state_enr(&s->st, w.dev, false) : NULL;
	}
	e->last_seen = now;
	e->reports++;
	snprintf(e->last_status, sizeof e->last_status, "%s", status);
	bool notnow = strcmp(status, "NotNow") == 0;
	if (idle) {
		mds_count(&s->rep, MDS_C_IDLE);
	} else {
		enum mds_counter cc = notnow ? MDS_C_NOTNOW : strcmp(status, "Acknowledged") == 0 ? MDS_C_ACK :
		    strcmp(status, "Error") == 0 ? MDS_C_ERROR : MDS_C_FORMATERR;
		mds_count(&s->rep, cc);
		mds_cmd *c = mds_state_cmd(&s->st, uuid);
		mds_delivery *d = c ? mds_state_find_delivery(c, e) : NULL;
		if (c == NULL) {
			mds_count(&s->rep, MDS_C_UNKNOWN_UUID);
		} else if (d == NULL) {
			mds_count(&s->rep, MDS_C_UNKNOWN_UUID);
			mds_viol_add(&vs, "unknown-command", "CommandUUID", "%.60s was not sent to %.80s", uuid, w.id);
		} else if (!d->pending || d->status == MDS_D_ACK || d->status == MDS_D_ERROR ||
		    d->status == MDS_D_FORMATERR) {
			d->results++;
			mds_count(&s->rep, MDS_C_DUPLICATE);
			mds_viol_add(&vs, "duplicate-result", "CommandUUID", "%.60s was already answered (%s now)",
			    uuid, status);
		} else if (notnow) {
			d->status = MDS_D_NOTNOW;
			d->notnow++;
		} else if (cc == MDS_C_ACK || cc == MDS_C_ERROR || cc == MDS_C_FORMATERR) {
			d->status = cc == MDS_C_ACK ? MDS_D_ACK : cc == MDS_C_ERROR ? MDS_D_ERROR : MDS_D_FORMATERR;
			d->results++;
			mds_state_unlink(e, d);
			keep_result(s, d, rq, &vs);
			if (cc == MDS_C_ACK && strcmp(c->reqtype, "DeviceConfigured") == 0)
				e->awaiting_configuration = false;
		}
	}
	mds_delivery *next = mds_state_next(e, notnow);
	mds_resp_set(rs, 200, "", NULL, 0);
	if (next != NULL) {
		next->delivered++;
		next->t_delivered = now;
		mds_count(&s->rep, MDS_C_DELIVERED);
		mds_resp_set(rs, 200, "text/xml; charset=utf-8", next->cmd->xml, next->cmd->len);
	}
	pthread_mutex_unlock(&s->st.mu);
	mds_report_message(&s->rep, kind, where, &vs);
	if (have_fault)
		spoil(&f, rs);
out:
	mds_arena_free(&a);
}
