/*
 * agent_session.c — the command channel of one simulated Mac (agent_int.h):
 * what comes after enrolment (SetBootstrapToken, the user channel, the
 * next poll with jitter, the NotNow re-check), a session — Idle or a
 * result the server has not taken yet, the server's command, its result —
 * until the server has nothing more, the faults injected there (NotNow,
 * Error, dropped uploads, delayed results), a RestartDevice or ShutDownDevice
 * taking the Mac away, CheckOut after the enrolment profile went, and
 * GetBootstrapToken before a kernel-cache rebuild.
 * Spec: mdm-protocol-and-peers.md §1.4 (the loop, NotNow), mdm-observed.md §3.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "daemon/agent_int.h"
#include "macext/mdm.h"
#include "macext/plist_util.h"

#define NOTNOW_RECHECK 1.0   /* seconds before a Mac that answered NotNow checks in again */

/* ---- phases ---- */

static bool
bootstrap_wanted(const agent_dev *d)
{
	/* macOS 10.15+ creates and escrows a bootstrap token only when the server
	 * advertises com.apple.mdm.bootstraptoken, on a supervised Mac */
	return (d->prof->p.capabilities & MX_CAP_BOOTSTRAP_TOKEN) && !d->bootstrap_sent &&
	    d->f.supervised && d->method != MX_ENROLL_USER && mx_version_at_least(d->f.os, 10, 15, 0);
}

static bool
user_channel_wanted(const agent_dev *d)
{
	return (d->prof->p.capabilities & MX_CAP_PER_USER_CONNECTIONS) && d->f.user[0] &&
	    !d->user_enrolled && !d->user_declined;
}

/* After enrolment and after every change: what to do next. */
void
agent_next(mx_agent *a, agent_dev *d)
{
	if (bootstrap_wanted(d)) {
		agent_go(a, d, PH_BOOTSTRAP);
		return;
	}
	if (user_channel_wanted(d)) {
		d->ua_round = 0;
		agent_go(a, d, d->method == MX_ENROLL_USER ? PH_USER_TOKEN : PH_USER_AUTH);
		return;
	}
	d->phase = PH_SESSION;
	if (d->recheck[CH_DEVICE] || d->recheck[CH_USER]) {
		for (int c = 0; c < 2; c++) {
			d->wake[c] |= d->recheck[c];
			d->recheck[c] = false;
		}
		double iv = a->o.poll_interval > 0 ? a->o.poll_interval : 300;
		agent_timer(a, d, agent_now() + (iv < NOTNOW_RECHECK ? iv : NOTNOW_RECHECK));
		agent_release(a, d);
		return;
	}
	if (d->wake[CH_DEVICE] || (d->wake[CH_USER] && d->user_enrolled) || d->result) {
		agent_flow_step(a, d);
		return;
	}
	/* nothing to do: the next poll, with jitter; memory stays bounded when
	 * many Macs are idle: this one parses its key again next time */
	if (d->pkey && atomic_load(&a->parsed_keys) > AGENT_PARSED_KEYS_MAX) {
		EVP_PKEY_free(d->pkey);
		X509_free(d->x509);
		d->pkey = NULL;
		d->x509 = NULL;
		atomic_fetch_sub(&a->parsed_keys, 1);
	}
	double iv = a->o.poll_interval > 0 ? a->o.poll_interval : 300;
	double j = a->o.poll_jitter >= 0 ? a->o.poll_jitter : 0.2;
	d->next_poll = agent_now() + iv * (1 + j * (2 * agent_rand01(a) - 1));
	agent_timer(a, d, d->next_poll);
	agent_status_bump(a);
	agent_release(a, d);
}

void
agent_session_start(mx_agent *a, agent_dev *d)
{
	if (d->offline) {
		d->step = ST_IDLE;
		return;
	}
	if (!d->wake[CH_DEVICE] && !(d->wake[CH_USER] && d->user_enrolled) && d->result == NULL) {
		/* a poll: both channels check in */
		d->wake[CH_DEVICE] = true;
		d->wake[CH_USER] = d->user_enrolled;
	}
	if (d->result == NULL)
		d->channel = d->wake[CH_DEVICE] ? CH_DEVICE : CH_USER;
	d->notnow_last = false;
	agent_status_bump(a);
	if (d->result) {
		/* a result the server has not taken yet goes first */
		uint8_t *b = mx_xmalloc(d->result_len);
		memcpy(b, d->result, d->result_len);
		d->sent = 1;
		agent_put(a, d, false, b, d->result_len);
		return;
	}
	size_t n;
	uint8_t *b = agent_msg_idle(d, d->channel, &n);
	d->sent = 0;
	agent_put(a, d, false, b, n);
}

/* ---- command sessions ---- */

void
agent_send_result(mx_agent *a, agent_dev *d)
{
	uint8_t *b = mx_xmalloc(d->result_len);
	memcpy(b, d->result, d->result_len);
	d->sent = 1;
	agent_put(a, d, false, b, d->result_len);
}

void
agent_set_result(agent_dev *d, uint8_t *xml, size_t len, const char *uuid, const char *status)
{
	free(d->result);
	d->result = xml;
	d->result_len = len;
	if (uuid != d->result_uuid)
		snprintf(d->result_uuid, sizeof d->result_uuid, "%s", uuid);
	snprintf(d->result_status, sizeof d->result_status, "%s", status);
}

void
agent_exec_done(mx_agent *a, agent_dev *d, agent_job *j)
{
	char why[800];
	snprintf(why, sizeof why, "%s%s%s", j->err.where, j->err.where[0] ? ": " : "", j->err.msg);
	if (j->rc || j->out == NULL) {
		/* nothing was recorded: the server keeps the command and sends it again */
		agent_retry(a, d, "the server's command could not be run: %s", j->rc ? why : "no result");
		return;
	}
	d->f = j->after;
	if (!j->flag) {
		a->ctr.commands++;
		if (strcmp(j->text, "Acknowledged") == 0)
			a->ctr.acknowledged++;
		else if (strcmp(j->text, "NotNow") == 0)
			a->ctr.notnow++;
		else
			a->ctr.errors++;
	}
	agent_set_result(d, j->out, j->out_len, j->uuid, j->text);
	j->out = NULL;
	d->notnow_last = strcmp(j->text, "NotNow") == 0;
	if (j->restarted)
		d->restarting = true;
	if (j->shutdown)
		d->shutting_down = true;
	if (j->configured)
		d->awaiting_config = false;
	if (j->checkout || (j->unenrolled && d->state == MX_MDM_ENROLLED))
		d->phase = PH_SESSION;   /* the result goes out, then CheckOut (http_done) */
	if (j->checkout || j->unenrolled)
		d->state = MX_MDM_CHECKED_OUT;
	/* faults: a dropped upload (the result stays stored and goes again) */
	if (a->o.drop_rate > 0 && agent_rand01(a) < a->o.drop_rate) {
		agent_retry(a, d, "the result upload was dropped (fault injection: --drop-rate)");
		return;
	}
	if (a->o.ack_delay > 0) {
		d->phase = PH_SESSION;
		d->sent = 2;   /* the timer sends the result */
		agent_timer(a, d, agent_now() + a->o.ack_delay);
		return;
	}
	agent_send_result(a, d);
}

/* The server's reply to Idle or a result. */
void
agent_session_reply(mx_agent *a, agent_dev *d, const char *ctype, uint8_t *body, size_t len)
{
	if (d->sent == 1 && d->result) {
		/* the server took the result */
		agent_job *j = agent_job_new(J_REPORTED, d);
		j->channel = d->channel;
		j->in = (uint8_t *)mx_xstrdup(d->result_uuid);
		j->in_len = strlen(d->result_uuid) + 1;
		agent_queue_push(&a->store_q, j);
		free(d->result);
		d->result = NULL;
		d->result_len = 0;
	}
	if (len == 0) {
		/* nothing more on this channel; a Mac whose last answer was NotNow
		 * checks in again by itself once the condition passes */
		free(body);
		d->wake[d->channel] = false;
		if (d->notnow_last)
			d->recheck[d->channel] = true;
		if (d->state == MX_MDM_CHECKED_OUT) {
			free(d->result);
			d->result = NULL;
			if (d->prof->p.checkout_when_removed) {
				agent_go(a, d, PH_CHECKOUT);
			} else {
				d->phase = PH_DONE;
				agent_token_gone(a, d);
				agent_status_bump(a);
				agent_release(a, d);
			}
			return;
		}
		if (d->restarting || d->shutting_down) {
			/* the Mac goes down now: a restart is back after reboot_delay and
			 * checks in on both channels; a shut-down Mac waits to be started */
			d->wake[CH_DEVICE] = true;
			d->wake[CH_USER] = d->user_enrolled;
			if (d->shutting_down) {
				d->shutting_down = d->restarting = false;
				d->offline = true;
				d->step = ST_IDLE;
			} else {
				d->restarting = false;
				d->phase = PH_SESSION;
				agent_timer(a, d, agent_now() + (a->o.reboot_delay >= 0 ? a->o.reboot_delay : 2));
			}
			agent_status_bump(a);
			agent_release(a, d);
			return;
		}
		if (d->channel == CH_DEVICE && d->wake[CH_USER] && d->user_enrolled) {
			d->channel = CH_USER;
			agent_session_start(a, d);
			return;
		}
		agent_next(a, d);
		return;
	}
	if (d->state == MX_MDM_CHECKED_OUT) {
		/* the Mac is no longer managed: it runs nothing more and checks out */
		free(body);
		agent_session_reply(a, d, ctype, NULL, 0);
		return;
	}
	/* a command: check what came before running anything */
	bool plist_type = ctype[0] == '\0' || strncasecmp(ctype, "text/xml", 8) == 0 ||
	    strncasecmp(ctype, "application/xml", 15) == 0 ||
	    strncasecmp(ctype, "application/x-plist", 19) == 0 ||
	    strncasecmp(ctype, "application/x-apple-aspen", 25) == 0 ||
	    strncasecmp(ctype, "application/octet-stream", 24) == 0;
	if (!plist_type) {
		free(body);
		agent_retry(a, d, "%s answered with Content-Type %s, not a property list", agent_url_for(d, false),
		    ctype);
		return;
	}
	agent_job *j = agent_job_new(J_EXEC, d);
	j->in = body;
	j->in_len = len;
	j->channel = d->channel;
	/* faults and the restarting Mac: answered without running the command */
	bool going_down = d->restarting || d->shutting_down;
	bool notnow = going_down || (a->o.notnow_rate > 0 && agent_rand01(a) < a->o.notnow_rate);
	bool error = !notnow && a->o.error_rate > 0 && agent_rand01(a) < a->o.error_rate;
	if (notnow || error) {
		mx_mdm_command c;
		mx_err e;
		if (mx_mdm_command_parse(&c, body, len, "command", &e) != 0) {
			agent_job_free(j);
			agent_retry(a, d, "the server sent something that is not a command: %s", e.msg);
			return;
		}
		size_t n;
		uint8_t *r = notnow ? agent_msg_status(d, d->channel, c.uuid, "NotNow", &n) :
		    agent_msg_fault_error(d, d->channel, c.uuid, &n);
		agent_job_free(j);
		agent_set_result(d, r, n, c.uuid, notnow ? "NotNow" : "Error");
		mx_mdm_command_free(&c);
		a->ctr.commands++;
		if (notnow)
			a->ctr.notnow++;
		else
			a->ctr.errors++;
		d->notnow_last = notnow;
		agent_send_result(a, d);
		return;
	}
	/* RestartDevice(RebuildKernelCache) on Apple silicon whose bootstrap token
	 * may authenticate: the Mac first asks the server for the token
	 * (device.restart.yaml), then rebuilds */
	if (d->channel == CH_DEVICE && d->f.arch == MX_ARCH_ARM64 && d->bootstrap_sent &&
	    (d->f.enroll == MX_ENROLL_AUTOMATED || d->f.kext_remote) &&
	    memmem(body, len, "RebuildKernelCache", 18) != NULL) {
		mx_mdm_command c;
		mx_err e;
		if (mx_mdm_command_parse(&c, body, len, "command", &e) == 0) {
			bool rebuild = strcmp(c.type, "RestartDevice") == 0 && c.rebuild_kernel_cache;
			mx_mdm_command_free(&c);
			if (rebuild) {
				d->held = j;
				agent_go(a, d, PH_GET_BOOTSTRAP);
				return;
			}
		}
	}
	d->step = ST_JOB;
	agent_queue_push(&a->store_q, j);
}

/* The server's GetBootstrapToken answer: the token this Mac escrowed, or none. */
void
agent_bootstrap_reply(mx_agent *a, agent_dev *d, uint8_t *body, size_t len)
{
	uint8_t mine[32];
	agent_bootstrap_token(d, mine);
	plist_t p = NULL;
	mx_err e;
	bool same = false;
	if (len && mx_plist_parse(&p, body, len, "GetBootstrapToken", &e) == 0) {
		plist_t t = plist_dict_get_item(p, "BootstrapToken");
		uint64_t n = 0;
		const char *v = t && plist_get_node_type(t) == PLIST_DATA ? plist_get_data_ptr(t, &n) : NULL;
		same = v && n == sizeof mine && memcmp(v, mine, sizeof mine) == 0;
	}
	plist_free(p);
	free(body);
	if (!same)
		agent_set_error(a, d, "GetBootstrapToken: the server %s this Mac's bootstrap token: the"
		    " rebuild would ask a user to authenticate", len ? "answered with another than" :
		    "does not hold");
	agent_log(a, same ? 2 : 1, "mdm agent: %s: GetBootstrapToken: %s", d->name,
	    same ? "the escrowed token" : "no matching token");
	agent_job *j = d->held;
	d->held = NULL;
	d->phase = PH_SESSION;
	if (j == NULL)
		return;
	d->step = ST_JOB;
	agent_queue_push(&a->store_q, j);
}

