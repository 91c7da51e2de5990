/*
 * agent_flow.c — one simulated Mac's side of the MDM protocol, as a state
 * machine the network thread drives (agent_int.h enum dev_phase):
 *
 *   START -> identity: KEY (pool or inline) -> SCEP GetCACaps, GetCACert,
 *            PKCSReq [-> PENDING: CertPoll every RetryDelay, Retries times]
 *            or PKCS12 -> SAVE_IDENTITY
 *         -> Authenticate -> TokenUpdate (AwaitingConfiguration under ADE)
 *         -> ENROLLED (the engine installs the profile, the Mac is managed)
 *         -> SetBootstrapToken (when the server advertises it; supervised)
 *         -> UserAuthenticate + user TokenUpdate (per-user connections)
 *         -> SESSION: Idle -> command -> result ... (agent_session.c)
 *
 * Failures of the network or the server (4xx/5xx, resets, timeouts, wrong
 * Content-Type, malformed or huge replies) are retried with exponential
 * backoff and jitter and reported in the device's last error; a refusal
 * that no retry can change (SCEP FAILURE, PENDING past Retries, a CA
 * fingerprint that does not match, a PKCS#12 that does not open) ends the
 * enrolment as failed.  A command's result is durable before it is sent
 * and sent again until the server takes it (agent_store.c).
 * Spec: mdm-protocol-and-peers.md §1.3-1.5, mdm-observed.md §3.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "daemon/agent_int.h"
#include "macext/mdm.h"
#include "macext/plist_util.h"

#define CHECKIN_CTYPE "application/x-apple-aspen-mdm-checkin"
#define REPORT_CTYPE  "application/x-apple-aspen-mdm"


void
agent_release(mx_agent *a, agent_dev *d)
{
	if (d->admitted) {
		d->admitted = false;
		a->active--;
	}
	while (a->wait_head && a->active < a->active_max) {
		agent_dev *w = a->wait_head;
		a->wait_head = w->qnext;
		if (a->wait_head == NULL)
			a->wait_tail = NULL;
		w->qnext = NULL;
		if (w->step != ST_QUEUED)
			continue;
		agent_flow_step(a, w);
	}
}

void
agent_dev_free(agent_dev *d)
{
	if (d == NULL)
		return;
	if (d->key)
		OPENSSL_cleanse(d->key, d->key_len);
	free(d->key);
	free(d->cert);
	EVP_PKEY_free(d->pkey);
	X509_free(d->x509);
	agent_scep_free(d->scep);
	free(d->result);
	agent_job_free(d->held);
	if (d->pending)
		free(d->pending->body);
	free(d->pending);
	free(d);
}

static double
backoff(mx_agent *a, agent_dev *d)
{
	double lo = a->o.backoff_min > 0 ? a->o.backoff_min : 1;
	double hi = a->o.backoff_max > lo ? a->o.backoff_max : lo;
	double t = lo * pow(2, d->failures > 20 ? 20 : d->failures - 1);
	if (t > hi)
		t = hi;
	return t * (0.5 + agent_rand01(a));   /* jitter: never in lockstep */
}

/* A failure worth retrying: the same phase again, later. */
void
agent_retry(mx_agent *a, agent_dev *d, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	d->failures++;
	agent_set_error(a, d, "%s", msg);
	double t = backoff(a, d);
	agent_log(a, 1, "mdm agent: %s: %s (attempt %d, again in %.1f s)", d->name, msg, d->failures,
	    t);
	agent_timer(a, d, agent_now() + t);
	agent_release(a, d);   /* backing off, it holds no slot */
}

void
agent_save(mx_agent *a, agent_dev *d)
{
	agent_job *j = agent_job_new(J_SAVE, d);
	mx_mdm_enrollment *rec = mx_xmalloc(sizeof *rec);
	agent_dev_record(d, rec);
	j->list = rec;
	d->step = ST_JOB;
	agent_queue_push(&a->store_q, j);
}

/* A refusal no retry changes: the enrolment has failed. */
void
agent_give_up(mx_agent *a, agent_dev *d, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	agent_set_error(a, d, "%s", msg);
	agent_log(a, 1, "mdm agent: %s: enrolment failed: %s", d->name, msg);
	d->state = MX_MDM_FAILED;
	d->phase = PH_DONE;
	agent_scep_free(d->scep);
	d->scep = NULL;
	agent_status_bump(a);
	agent_save(a, d);
	agent_release(a, d);
}

void
agent_ok(mx_agent *a, agent_dev *d)
{
	if (d->failures || d->last_error[0]) {
		d->failures = 0;
		d->last_error[0] = '\0';
		agent_status_bump(a);
	}
}

/* ---- sending ---- */

const char *
agent_url_for(const agent_dev *d, bool checkin)
{
	return checkin ? d->prof->p.checkin_url : d->prof->p.server_url;
}

/* PUTs body (owned) to CheckInURL or ServerURL, signed when SignMessage. */
void
agent_put(mx_agent *a, agent_dev *d, bool checkin, uint8_t *body, size_t len)
{
	agent_http *h = mx_xcalloc(1, sizeof *h);
	h->method = NET_PUT;
	snprintf(h->url, sizeof h->url, "%s", agent_url_for(d, checkin));
	h->ctype = checkin ? CHECKIN_CTYPE : REPORT_CTYPE;
	h->body = body;
	h->len = len;
	h->pin_set = checkin ? 2 : 1;
	h->max_reply = checkin ? (1u << 20) : (16u << 20);
	h->mtls = !d->prof->p.sign_message;
	if (d->prof->p.sign_message) {
		agent_job *j = agent_job_new(J_SIGN, d);
		j->in = mx_xmalloc(len ? len : 1);
		memcpy(j->in, body, len);
		j->in_len = len;
		d->pending = h;
		d->step = ST_JOB;
		agent_queue_push(&a->crypto_q, j);
		return;
	}
	a->ctr.requests++;
	agent_net_send(a, d, h);
	free(h);
}

static void
scep_get(mx_agent *a, agent_dev *d, const char *op)
{
	agent_http h;
	memset(&h, 0, sizeof h);
	h.method = NET_GET;
	const char *url = d->prof->p.scep.url;
	snprintf(h.url, sizeof h.url, "%s%coperation=%s%s%s", url, strchr(url, '?') ? '&' : '?', op,
	    d->prof->p.scep.name[0] ? "&message=" : "", d->prof->p.scep.name);
	h.max_reply = MX_SCEP_MAX_REPLY;
	a->ctr.requests++;
	a->ctr.scep_requests++;
	agent_net_send(a, d, &h);
}

/* PKIOperation: POST when the CA says POSTPKIOperation, else GET with the
 * message base64- and URL-encoded (RFC 8894 §4.3). */
static void
scep_pkiop(mx_agent *a, agent_dev *d, uint8_t *der, size_t len)
{
	agent_http h;
	memset(&h, 0, sizeof h);
	const char *url = d->prof->p.scep.url;
	char sep = strchr(url, '?') ? '&' : '?';
	h.max_reply = MX_SCEP_MAX_REPLY;
	if (d->scep->caps.post) {
		h.method = NET_POST;
		snprintf(h.url, sizeof h.url, "%s%coperation=PKIOperation", url, sep);
		h.ctype = "application/x-pki-message";
		h.body = der;
		h.len = len;
	} else {
		char *b64 = mx_xmalloc(4 * (len + 2) / 3 + 1);
		EVP_EncodeBlock((unsigned char *)b64, der, (int)len);
		free(der);
		size_t o = (size_t)snprintf(h.url, sizeof h.url, "%s%coperation=PKIOperation&message=",
		    url, sep);
		for (const char *p = b64; *p && o + 4 < sizeof h.url; p++)
			o += (size_t)snprintf(h.url + o, sizeof h.url - o, *p == '+' ? "%%2B" : *p == '/' ?
			    "%%2F" : *p == '=' ? "%%3D" : "%c", *p);
		free(b64);
		h.method = NET_GET;
	}
	a->ctr.requests++;
	a->ctr.scep_requests++;
	agent_net_send(a, d, &h);
}

void
agent_flow_step(mx_agent *a, agent_dev *d)
{
	size_t n;
	uint8_t *b;
	d->step = ST_IDLE;
	if (atomic_load(&a->stop))
		return;
	if (d->offline && d->phase != PH_START && d->phase != PH_DONE) {
		agent_release(a, d);
		return;   /* the watch wakes it when it is back in macOS */
	}
	if (d->phase != PH_NONE && d->phase != PH_DONE && !d->admitted) {
		if (a->active >= a->active_max) {
			/* busy enough: wait for a slot (FIFO) */
			d->step = ST_QUEUED;
			d->qnext = NULL;
			if (a->wait_tail)
				a->wait_tail->qnext = d;
			else
				a->wait_head = d;
			a->wait_tail = d;
			return;
		}
		d->admitted = true;
		a->active++;
	}
	switch (d->phase) {
	case PH_NONE:
	case PH_DONE:
		return;
	case PH_START: {
		agent_job *j = agent_job_new(J_START, d);
		j->bits = d->prof->p.identity_kind == MX_ID_SCEP ? d->prof->p.scep.keysize : 0;
		d->step = ST_JOB;
		agent_queue_push(&a->store_q, j);
		return;
	}
	case PH_KEY: {
		if (d->prof->p.identity_kind == MX_ID_PKCS12) {
			agent_go(a, d, PH_P12);
			return;
		}
		if (d->key) {
			agent_go(a, d, PH_SCEP_CAPS);
			return;
		}
		agent_job *j = agent_job_new(J_KEYGEN, d);
		j->bits = d->prof->p.scep.keysize;
		d->step = ST_JOB;
		agent_queue_push(&a->crypto_q, j);
		return;
	}
	case PH_P12:
		d->step = ST_JOB;
		agent_queue_push(&a->crypto_q, agent_job_new(J_P12, d));
		return;
	case PH_SCEP_CAPS:
		if (d->scep == NULL)
			d->scep = mx_xcalloc(1, sizeof *d->scep);
		scep_get(a, d, "GetCACaps");
		return;
	case PH_SCEP_CACERT:
		scep_get(a, d, "GetCACert");
		return;
	case PH_SCEP_BUILD:
		d->step = ST_JOB;
		agent_queue_push(&a->crypto_q, agent_job_new(J_SCEP_BUILD, d));
		return;
	case PH_SCEP_SEND:
	case PH_SCEP_PARSE:
		/* reached only by a retry: build the request again */
		agent_go(a, d, PH_SCEP_BUILD);
		return;
	case PH_SAVE_IDENTITY:
		d->state = MX_MDM_IDENTITY;
		agent_save(a, d);
		return;
	case PH_AUTHENTICATE:
		b = agent_msg_authenticate(d, &n);
		agent_put(a, d, true, b, n);
		return;
	case PH_TOKENUPDATE:
		b = agent_msg_token_update(d, CH_DEVICE, &n);
		agent_put(a, d, true, b, n);
		return;
	case PH_ENROLLED_SAVE: {
		agent_job *j = agent_job_new(J_ENROLLED, d);
		mx_mdm_enrollment *rec = mx_xmalloc(sizeof *rec);
		agent_dev_record(d, rec);
		j->list = rec;
		d->step = ST_JOB;
		agent_queue_push(&a->store_q, j);
		return;
	}
	case PH_BOOTSTRAP: {
		uint8_t tok[32];
		agent_bootstrap_token(d, tok);
		b = agent_msg_bootstrap(d, true, tok, sizeof tok, &n);
		agent_put(a, d, true, b, n);
		return;
	}
	case PH_USER_AUTH:
		b = agent_msg_user_auth(d, &n);
		agent_put(a, d, true, b, n);
		return;
	case PH_USER_TOKEN:
		b = agent_msg_token_update(d, CH_USER, &n);
		agent_put(a, d, true, b, n);
		return;
	case PH_SESSION:
		agent_session_start(a, d);
		return;
	case PH_CHECKOUT:
		b = agent_msg_checkout(d, &n);
		agent_put(a, d, true, b, n);
		return;
	case PH_GET_BOOTSTRAP:
		b = agent_msg_bootstrap(d, false, NULL, 0, &n);
		agent_put(a, d, true, b, n);
		return;
	}
}

void
agent_go(mx_agent *a, agent_dev *d, enum dev_phase ph)
{
	d->phase = ph;
	agent_flow_step(a, d);
}

/* ---- job completions ---- */

static void
take(uint8_t **dst, size_t *dlen, agent_job *j, bool second)
{
	if (*dst) {
		OPENSSL_cleanse(*dst, *dlen);
		free(*dst);
	}
	*dst = second ? j->out2 : j->out;
	*dlen = second ? j->out2_len : j->out_len;
	if (second)
		j->out2 = NULL;
	else
		j->out = NULL;
}

void
agent_flow_job_done(mx_agent *a, agent_job *j)
{
	agent_dev *d = j->dev;
	char why[800];
	snprintf(why, sizeof why, "%s%s%s", j->err.where, j->err.where[0] ? ": " : "", j->err.msg);
	if (j->kind == J_REPORTED) {
		/* runs beside the session: the device is busy with something else */
		if (j->rc)
			agent_log(a, 1, "mdm agent: %s: %s", d->name, why);
		return;
	}
	d->step = ST_IDLE;
	switch (j->kind) {
	case J_START: {
		if (j->rc) {
			agent_retry(a, d, "starting the enrolment: %s", why);
			return;
		}
		mx_mdm_enrollment *rec = j->list;
		d->f = j->after;
		for (int c = 0; c < 2; c++) {
			snprintf(d->token[c], sizeof d->token[c], "%s", c ? rec->user_token : rec->push_token);
			snprintf(d->magic[c], sizeof d->magic[c], "%s", c ? rec->user_magic : rec->push_magic);
		}
		if (rec->key_len && d->key == NULL) {
			d->key = mx_xmalloc(rec->key_len);
			memcpy(d->key, rec->key, rec->key_len);
			d->key_len = rec->key_len;
			if (j->flag)
				a->ctr.keys_pooled++;
		}
		OPENSSL_cleanse(rec, sizeof *rec);
		if (d->f.env != MX_ENV_MACOS) {
			d->offline = true;
			agent_status_bump(a);
			agent_release(a, d);
			return;
		}
		if (d->f.enroll != MX_ENROLL_NONE && d->state != MX_MDM_ENROLLED) {
			agent_give_up(a, d, "the Mac is already enrolled (%s) outside this server: unenroll it first",
			    mx_enroll_name(d->f.enroll));
			return;
		}
		d->awaiting_config = d->method == MX_ENROLL_AUTOMATED && d->state == MX_MDM_PENDING;
		agent_go(a, d, d->state == MX_MDM_IDENTITY && d->cert ? PH_AUTHENTICATE : PH_KEY);
		return;
	}
	case J_KEYGEN:
		if (j->rc) {
			agent_give_up(a, d, "generating the identity key: %s", why);
			return;
		}
		take(&d->key, &d->key_len, j, false);
		a->ctr.keys_generated++;
		agent_go(a, d, PH_SCEP_CAPS);
		return;
	case J_P12:
		if (j->rc) {
			agent_give_up(a, d, "%s", why);
			return;
		}
		take(&d->key, &d->key_len, j, false);
		take(&d->cert, &d->cert_len, j, true);
		agent_go(a, d, PH_SAVE_IDENTITY);
		return;
	case J_SCEP_BUILD:
		if (j->rc) {
			agent_give_up(a, d, "SCEP: %s", why);
			return;
		}
		d->phase = PH_SCEP_SEND;
		scep_pkiop(a, d, j->out, j->out_len);
		j->out = NULL;
		return;
	case J_SCEP_PARSE:
		if (j->rc) {
			agent_retry(a, d, "SCEP CertRep: %s", why);
			return;
		}
		if (j->status == MX_SCEP_FAILURE) {
			agent_give_up(a, d, "the SCEP server refused the certificate request: FAILURE, failInfo %s"
			    " (%d)", mx_scep_fail_info_name(j->fail_info), j->fail_info);
			return;
		}
		if (j->status == MX_SCEP_PENDING) {
			const mx_enroll_scep *s = &d->prof->p.scep;
			if (d->scep->polls >= s->retries) {
				agent_give_up(a, d, "the SCEP request is still PENDING after %d polls (Retries %d,"
				    " RetryDelay %d s)", d->scep->polls, s->retries, s->retry_delay);
				return;
			}
			/* the first retry goes at once, later ones after RetryDelay */
			double wait = d->scep->polls == 0 ? 0 : s->retry_delay;
			d->scep->polls++;
			d->phase = PH_SCEP_BUILD;
			agent_timer(a, d, agent_now() + wait);
			return;
		}
		take(&d->cert, &d->cert_len, j, false);
		agent_ok(a, d);
		agent_scep_free(d->scep);
		d->scep = NULL;
		agent_go(a, d, PH_SAVE_IDENTITY);
		return;
	case J_SIGN: {
		agent_http *h = d->pending;
		d->pending = NULL;
		if (j->rc || h == NULL || j->out_len >= sizeof h->signature) {
			if (h)
				free(h->body);
			free(h);
			agent_give_up(a, d, "Mdm-Signature: %s", j->rc ? why : "signature too long");
			return;
		}
		memcpy(h->signature, j->out, j->out_len);
		h->signature[j->out_len] = '\0';
		a->ctr.requests++;
		agent_net_send(a, d, h);
		free(h);
		return;
	}
	case J_SAVE:
		if (j->rc) {
			agent_retry(a, d, "saving the enrolment: %s", why);
			return;
		}
		if (d->phase == PH_SAVE_IDENTITY)
			agent_go(a, d, PH_AUTHENTICATE);
		else if (d->phase == PH_USER_TOKEN)
			agent_next(a, d);
		return;
	case J_ENROLLED:
		if (j->rc) {
			agent_give_up(a, d, "the Mac refused the enrolment profile: %s", why);
			return;
		}
		d->f = j->after;
		d->state = MX_MDM_ENROLLED;
		a->ctr.enrolments++;
		agent_token_set(a, d, CH_DEVICE);
		/* a freshly enrolled Mac checks in at once */
		d->wake[CH_DEVICE] = true;
		agent_ok(a, d);
		agent_next(a, d);
		return;
	case J_ESCROW:
		if (j->rc) {
			/* the server has it; the Mac could not record it: say so, go on */
			agent_set_error(a, d, "bootstrap token escrow: %s", why);
		} else {
			d->f = j->after;
		}
		d->bootstrap_sent = true;
		agent_next(a, d);
		return;
	case J_EXEC:
		agent_exec_done(a, d, j);
		return;
	case J_CHECKOUT:
		if (j->rc) {
			agent_retry(a, d, "unenrolling: %s", why);
			return;
		}
		d->f = j->after;
		d->state = MX_MDM_CHECKED_OUT;
		d->phase = PH_DONE;
		agent_token_gone(a, d);
		agent_status_bump(a);
		agent_release(a, d);
		return;
	default:
		return;
	}
}

/* 403 {"code": "com.apple.unrecognized.device"}: the server disowns the Mac. */
static bool
unrecognized(const uint8_t *body, size_t len)
{
	return body && len && memmem(body, len, "com.apple.unrecognized.device", 29) != NULL;
}

void
agent_flow_http_done(mx_agent *a, agent_dev *d, long status, const char *ctype, uint8_t *body,
    size_t len, const mx_err *err)
{
	if (status == 0) {
		a->ctr.http_errors++;
		free(body);
		agent_retry(a, d, "%s%s%s", err->where, err->msg, "");
		return;
	}
	if (status == 403 && unrecognized(body, len) && d->state == MX_MDM_ENROLLED) {
		free(body);
		agent_set_error(a, d, "the server does not recognize this Mac (403"
		    " com.apple.unrecognized.device): unenrolled");
		agent_job *j = agent_job_new(J_CHECKOUT, d);
		mx_mdm_enrollment *rec = mx_xmalloc(sizeof *rec);
		agent_dev_record(d, rec);
		j->list = rec;
		d->step = ST_JOB;
		agent_queue_push(&a->store_q, j);
		return;
	}
	/* UserAuthenticate 410: the server wants no user channel */
	if (d->phase == PH_USER_AUTH && status == 410) {
		free(body);
		d->user_declined = true;
		agent_ok(a, d);
		agent_next(a, d);
		return;
	}
	if (status == 404 && d->phase == PH_SCEP_CAPS) {
		/* a CA without GetCACaps: RFC 8894 §3.5.2 says assume none */
		free(body);
		body = NULL;
		len = 0;
		status = 200;
	}
	if (status != 200) {
		a->ctr.http_errors++;
		char snippet[120] = "";
		if (body && len)
			snprintf(snippet, sizeof snippet, ": %.*s", (int)(len < 100 ? len : 100),
			    (const char *)body);
		for (char *p = snippet; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
				*p = ' ';   /* the server's bytes, shown as text */
		free(body);
		agent_retry(a, d, "%sHTTP %ld%s", err->where, status, snippet);
		return;
	}
	agent_ok(a, d);
	switch (d->phase) {
	case PH_SCEP_CAPS:
		mx_scep_caps_parse(&d->scep->caps, body ? body : (const uint8_t *)"", len, NULL);
		free(body);
		agent_go(a, d, PH_SCEP_CACERT);
		return;
	case PH_SCEP_CACERT:
		free(d->scep->cacert);
		d->scep->cacert = body;
		d->scep->cacert_len = len;
		snprintf(d->scep->cacert_type, sizeof d->scep->cacert_type, "%s", ctype);
		d->scep->ca_ok = false;
		agent_go(a, d, PH_SCEP_BUILD);
		return;
	case PH_SCEP_SEND: {
		agent_job *j = agent_job_new(J_SCEP_PARSE, d);
		j->in = body;
		j->in_len = len;
		d->phase = PH_SCEP_PARSE;
		d->step = ST_JOB;
		agent_queue_push(&a->crypto_q, j);
		return;
	}
	case PH_AUTHENTICATE:
		free(body);
		agent_go(a, d, PH_TOKENUPDATE);
		return;
	case PH_TOKENUPDATE:
		free(body);
		agent_go(a, d, PH_ENROLLED_SAVE);
		return;
	case PH_BOOTSTRAP: {
		free(body);
		agent_job *j = agent_job_new(J_ESCROW, d);
		mx_mdm_enrollment *rec = mx_xmalloc(sizeof *rec);
		agent_dev_record(d, rec);
		j->list = rec;
		d->step = ST_JOB;
		agent_queue_push(&a->store_q, j);
		return;
	}
	case PH_USER_AUTH:
		free(body);
		if (d->ua_round == 0) {
			/* a DigestChallenge (NanoMDM -ua-zero-digest): answer it */
			d->ua_round = 1;
			agent_go(a, d, PH_USER_AUTH);
			return;
		}
		agent_go(a, d, PH_USER_TOKEN);
		return;
	case PH_USER_TOKEN:
		free(body);
		d->user_enrolled = true;
		agent_token_set(a, d, CH_USER);
		d->wake[CH_USER] = true;
		agent_save(a, d);
		return;
	case PH_SESSION:
		agent_session_reply(a, d, ctype, body, len);
		return;
	case PH_GET_BOOTSTRAP:
		agent_bootstrap_reply(a, d, body, len);
		return;
	case PH_CHECKOUT:
		free(body);
		d->phase = PH_DONE;
		agent_token_gone(a, d);
		agent_save(a, d);
		agent_status_bump(a);
		agent_release(a, d);
		return;
	default:
		free(body);
		return;
	}
}
