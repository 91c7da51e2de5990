/*
 * agent.c — the MDM agent's life (daemon/agent.h): start and stop the
 * threads, the network thread's loop (finished jobs, wake requests, timers,
 * transfers), the devices loaded from the enrolment records, the timer
 * heap, the push-token table the APNs stand-in reads, the periodic watch
 * that notices a Mac shut down, restarted or unenrolled from elsewhere (the
 * CLI or the API on the same state directory), and the status snapshot.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "daemon/agent_int.h"
#include "daemon/apns.h"

#define WATCH_INTERVAL 2.0
#define STATUS_INTERVAL 0.2

double
agent_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
agent_log(mx_agent *a, int level, const char *fmt, ...)
{
	if (a->o.log == NULL)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	a->o.log(a->o.log_arg, level, line);
}

/* splitmix64: the fault dice, reproducible from --seed */
double
agent_rand01(mx_agent *a)
{
	uint64_t z = (a->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

void
agent_status_bump(mx_agent *a)
{
	a->ctr.generation++;
}

void
agent_set_error(mx_agent *a, agent_dev *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->last_error, sizeof d->last_error, fmt, ap);
	va_end(ap);
	snprintf(a->last_error, sizeof a->last_error, "%s: %s", d->name, d->last_error);
	agent_status_bump(a);
}

/* ---- timers: a binary min-heap on due ---- */

static void
heap_swap(mx_agent *a, int i, int k)
{
	agent_dev *t = a->heap[i];
	a->heap[i] = a->heap[k];
	a->heap[k] = t;
	a->heap[i]->heap_at = i;
	a->heap[k]->heap_at = k;
}

static void
heap_up(mx_agent *a, int i)
{
	while (i > 0 && a->heap[(i - 1) / 2]->due > a->heap[i]->due) {
		heap_swap(a, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(mx_agent *a, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < a->nheap && a->heap[l]->due < a->heap[m]->due)
			m = l;
		if (r < a->nheap && a->heap[r]->due < a->heap[m]->due)
			m = r;
		if (m == i)
			return;
		heap_swap(a, i, m);
		i = m;
	}
}

static void
heap_remove(mx_agent *a, agent_dev *d)
{
	int i = d->heap_at;
	if (i < 0)
		return;
	a->nheap--;
	if (i != a->nheap) {
		a->heap[i] = a->heap[a->nheap];
		a->heap[i]->heap_at = i;
		heap_down(a, i);
		heap_up(a, i);
	}
	d->heap_at = -1;
}

void
agent_timer(mx_agent *a, agent_dev *d, double when)
{
	heap_remove(a, d);
	d->due = when;
	d->step = ST_TIMER;
	a->heap[a->nheap] = d;
	d->heap_at = a->nheap++;
	heap_up(a, d->heap_at);
}

/* ---- devices from the store ---- */

/* The certificates which[0..n) of p (all when which is NULL) as PEM. */
static char *
pem_of(const mx_enroll_profile *p, const int *which, int n, size_t *len)
{
	size_t cap = 1;
	for (int i = 0; i < n; i++)
		cap += p->certs[which ? which[i] : i].der_len * 2 + 80;
	char *out = mx_xmalloc(cap);
	size_t o = 0;
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		const mx_enroll_cert *c = &p->certs[which ? which[i] : i];
		char *b64 = mx_xmalloc(c->der_len * 2 + 4);
		int bl = EVP_EncodeBlock((unsigned char *)b64, c->der, (int)c->der_len);
		o += (size_t)snprintf(out + o, cap - o, "-----BEGIN CERTIFICATE-----\n");
		for (int k = 0; k < bl; k += 64)
			o += (size_t)snprintf(out + o, cap - o, "%.64s\n", b64 + k);
		o += (size_t)snprintf(out + o, cap - o, "-----END CERTIFICATE-----\n");
		free(b64);
	}
	*len = o;
	return out;
}

static agent_profile *
profile_get(mx_agent *a, const struct agent_load_prof *lp)
{
	for (int i = 0; i < a->nprofiles; i++)
		if (strcmp(a->profiles[i]->hash, lp->hash) == 0)
			return a->profiles[i];
	if (lp->bytes == NULL)
		return NULL;
	agent_profile *p = mx_xcalloc(1, sizeof *p);
	mx_err err;
	if (mx_enroll_profile_read(&p->p, lp->bytes, lp->len, "enrolment profile",
	    MX_ENROLL_ALLOW_HTTP, &err) != 0) {
		agent_log(a, 1, "mdm agent: enrolment profile %s: %s: %s", lp->hash, err.where, err.msg);
		free(p);
		return NULL;
	}
	snprintf(p->hash, sizeof p->hash, "%s", lp->hash);
	p->bytes = mx_xmalloc(lp->len);
	memcpy(p->bytes, lp->bytes, lp->len);
	p->len = lp->len;
	/* the profile's certificate payloads as PEM, for CURLOPT_CAINFO_BLOB;
	 * each pinned URL's pinned certificates apart */
	p->anchors_pem = pem_of(&p->p, NULL, p->p.ncerts, &p->anchors_len);
	if (p->p.nserver_pins)
		p->pins_pem[0] = pem_of(&p->p, p->p.server_pins, p->p.nserver_pins, &p->pins_len[0]);
	if (p->p.ncheckin_pins)
		p->pins_pem[1] = pem_of(&p->p, p->p.checkin_pins, p->p.ncheckin_pins, &p->pins_len[1]);
	a->profiles = mx_xrealloc(a->profiles, (size_t)(a->nprofiles + 1) * sizeof *a->profiles);
	a->profiles[a->nprofiles++] = p;
	return p;
}

static agent_dev *
dev_by_id(mx_agent *a, int64_t id)
{
	/* devices are appended in device-id order (a rescan that finds an older
	 * id sets devs_unsorted and lookups scan) */
	if (!a->devs_unsorted) {
		int lo = 0, hi = a->ndevs - 1;
		while (lo <= hi) {
			int m = (lo + hi) / 2;
			if (a->devs[m]->device_id == id)
				return a->devs[m];
			if (a->devs[m]->device_id < id)
				lo = m + 1;
			else
				hi = m - 1;
		}
		return NULL;
	}
	for (int i = 0; i < a->ndevs; i++)
		if (a->devs[i]->device_id == id)
			return a->devs[i];
	return NULL;
}

static void
load_done(mx_agent *a, agent_job *j)
{
	agent_load *l = j->list;
	if (j->rc) {
		agent_log(a, 1, "mdm agent: loading the enrolments: %s: %s", j->err.where, j->err.msg);
		return;
	}
	double now = agent_now();
	long insecure = 0;
	double spread = a->o.start_spread >= 0 ? a->o.start_spread : 5;
	if (a->o.poll_interval > 0 && a->o.poll_interval < spread)
		spread = a->o.poll_interval;
	for (int i = 0; i < l->n; i++) {
		agent_load_ent *e = &l->v[i];
		if (dev_by_id(a, e->device_id))
			continue;
		agent_profile *p = NULL;
		for (int k = 0; k < l->nprof && p == NULL; k++)
			if (strcmp(l->prof[k].hash, e->profile) == 0)
				p = profile_get(a, &l->prof[k]);
		agent_dev *d = mx_xcalloc(1, sizeof *d);
		d->device_id = e->device_id;
		snprintf(d->name, sizeof d->name, "%s", e->name);
		d->prof = p;
		d->f = e->f;
		d->method = e->method;
		d->user_approved = e->user_approved;
		d->insecure = e->insecure;
		d->state = e->state;
		d->key = e->key;
		d->key_len = e->key_len;
		d->cert = e->cert;
		d->cert_len = e->cert_len;
		e->key = e->cert = NULL;
		memcpy(d->token, e->token, sizeof d->token);
		memcpy(d->magic, e->magic, sizeof d->magic);
		d->user_enrolled = e->user_enrolled;
		d->awaiting_config = e->awaiting;
		d->bootstrap_sent = e->bootstrap_sent;
		d->failures = (int)e->failures;
		snprintf(d->last_error, sizeof d->last_error, "%s", e->last_error);
		d->heap_at = -1;
		if (a->ndevs == a->capdevs) {
			a->capdevs = a->capdevs ? a->capdevs * 2 : 256;
			a->devs = mx_xrealloc(a->devs, (size_t)a->capdevs * sizeof *a->devs);
			a->heap = mx_xrealloc(a->heap, (size_t)a->capdevs * sizeof *a->heap);
		}
		d->idx = a->ndevs;
		if (a->ndevs > 0 && a->devs[a->ndevs - 1]->device_id > d->device_id)
			a->devs_unsorted = true;
		a->devs[a->ndevs++] = d;
		d->offline = d->f.env != MX_ENV_MACOS;
		if (p == NULL) {
			snprintf(d->last_error, sizeof d->last_error,
			    "the enrolment profile %s cannot be read", e->profile);
			d->state = MX_MDM_FAILED;
			d->phase = PH_DONE;
			continue;
		}
		if (d->insecure)
			insecure++;
		switch (d->state) {
		case MX_MDM_ENROLLED:
			agent_token_set(a, d, CH_DEVICE);
			if (d->user_enrolled)
				agent_token_set(a, d, CH_USER);
			/* mdmclient checks in when it starts: spread over the first seconds */
			d->phase = PH_SESSION;
			d->wake[CH_DEVICE] = true;
			d->wake[CH_USER] = d->user_enrolled;
			agent_timer(a, d, now + spread * agent_rand01(a));
			break;
		case MX_MDM_PENDING:
		case MX_MDM_IDENTITY:
			d->phase = PH_START;
			agent_timer(a, d, now);
			break;
		default:
			d->phase = PH_DONE;
		}
	}
	if (insecure)
		agent_log(a, 1, "mdm agent: --insecure: %ld device%s do NOT verify the server's TLS"
		    " certificate", insecure, insecure == 1 ? "" : "s");
	agent_status_bump(a);
}

/* The watch: a Mac shut down, started, restarted or unenrolled elsewhere. */
static void
watch_done(mx_agent *a, agent_job *j)
{
	agent_watch *w = j->list;
	if (j->rc || w == NULL)
		return;
	for (int i = 0; i < w->n; i++) {
		agent_dev *d = dev_by_id(a, w->v[i].device_id);
		if (d == NULL)
			continue;
		bool was_off = d->offline;
		d->f.env = w->v[i].env;
		bool rebooted = w->v[i].boot_count != d->f.boot_count;
		d->f.boot_count = w->v[i].boot_count;
		d->offline = d->f.env != MX_ENV_MACOS;
		if (d->offline != was_off)
			agent_status_bump(a);
		if (d->offline || d->step == ST_JOB || d->step == ST_HTTP || d->step == ST_QUEUED)
			continue;
		if (d->state == MX_MDM_ENROLLED && w->v[i].enroll == MX_ENROLL_NONE &&
		    d->phase == PH_SESSION) {
			/* unenrolled on the Mac itself: the profile is gone */
			d->state = MX_MDM_CHECKED_OUT;
			if (d->prof->p.checkout_when_removed) {
				d->phase = PH_CHECKOUT;
				agent_flow_step(a, d);
			} else {
				d->phase = PH_DONE;
				agent_token_gone(a, d);
				agent_release(a, d);
			}
			agent_status_bump(a);
			continue;
		}
		if ((was_off || rebooted) && d->phase != PH_DONE && d->phase != PH_NONE) {
			/* back in macOS: it checks in */
			d->wake[CH_DEVICE] = true;
			d->wake[CH_USER] = d->user_enrolled;
			heap_remove(a, d);
			agent_flow_step(a, d);
		}
	}
}

static void
handle_done(mx_agent *a)
{
	agent_job *j = agent_queue_take_all(&a->done_q);
	while (j) {
		agent_job *n = j->next;
		if (j->kind == J_LOAD)
			load_done(a, j);
		else if (j->kind == J_WATCH)
			watch_done(a, j);
		else if (j->dev)
			agent_flow_job_done(a, j);
		if (j->kind == J_LOAD)
			agent_load_free(j->list);
		if (j->kind == J_WATCH && j->list)
			free(((agent_watch *)j->list)->v);
		if (j->kind == J_START || j->kind == J_SAVE || j->kind == J_ENROLLED ||
		    j->kind == J_ESCROW || j->kind == J_CHECKOUT) {
			if (j->list)
				OPENSSL_cleanse(j->list, sizeof(mx_mdm_enrollment));
		}
		if (j->kind == J_WATCH)
			a->next_watch = agent_now() + WATCH_INTERVAL;
		agent_job_free(j);
		j = n;
	}
}

static void
handle_wakes(mx_agent *a)
{
	pthread_mutex_lock(&a->wake_mu);
	int *w = a->wakes;
	size_t n = a->nwakes;
	bool all = a->wake_all, rescan = a->rescan;
	a->wakes = NULL;
	a->nwakes = a->capwakes = 0;
	a->wake_all = a->rescan = false;
	char (*names)[64] = a->wake_names;
	size_t nnames = a->nwake_names;
	a->wake_names = NULL;
	a->nwake_names = 0;
	pthread_mutex_unlock(&a->wake_mu);
	if (rescan)
		agent_queue_push(&a->store_q, agent_job_new(J_LOAD, NULL));
	for (size_t k = 0; k < nnames; k++)
		for (int i = 0; i < a->ndevs; i++)
			if (strcmp(a->devs[i]->name, names[k]) == 0) {
				w = mx_xrealloc(w, (n + 2) * sizeof *w);
				w[n++] = i * 2;
				w[n++] = i * 2 + 1;
			}
	free(names);
	for (size_t i = 0; i < n + (all ? (size_t)a->ndevs * 2 : 0); i++) {
		int di = i < n ? w[i] / 2 : (int)(i - n) / 2;
		int ch = i < n ? w[i] % 2 : (int)(i - n) % 2;
		if (di < 0 || di >= a->ndevs)
			continue;
		agent_dev *d = a->devs[di];
		agent_log(a, 2, "mdm agent: %s: wake channel %d (phase %d, step %d)", d->name, ch,
		    (int)d->phase, (int)d->step);
		if (d->state != MX_MDM_ENROLLED || (ch == CH_USER && !d->user_enrolled))
			continue;
		d->wake[ch] = true;
		if (d->phase == PH_SESSION && (d->step == ST_TIMER || d->step == ST_IDLE) &&
		    !d->offline) {
			heap_remove(a, d);
			agent_flow_step(a, d);
		}
	}
	free(w);
}

static void
status_update(mx_agent *a)
{
	mx_agent_status s = a->ctr;   /* the network thread's own counters */
	s.devices = a->ndevs;
	s.enrolling = s.enrolled = s.idle = s.pending = s.failing = s.failed = 0;
	s.checked_out = s.offline = 0;
	for (int i = 0; i < a->ndevs; i++) {
		agent_dev *d = a->devs[i];
		if (d->failures > 0 && d->state != MX_MDM_FAILED)
			s.failing++;
		switch (d->state) {
		case MX_MDM_PENDING:
		case MX_MDM_IDENTITY:
			s.enrolling++;
			break;
		case MX_MDM_ENROLLED:
			s.enrolled++;
			if (d->offline)
				s.offline++;
			else if (d->step == ST_HTTP || d->step == ST_JOB || d->wake[0] ||
			    (d->wake[1] && d->user_enrolled) || d->result || d->phase != PH_SESSION)
				s.pending++;
			else
				s.idle++;
			break;
		case MX_MDM_FAILED:
			s.failed++;
			break;
		case MX_MDM_CHECKED_OUT:
			s.checked_out++;
			break;
		}
	}
	s.uptime = agent_now() - a->started;
	s.apns_port = a->apns ? agent_apns_port(a->apns) : 0;
	snprintf(s.last_error, sizeof s.last_error, "%s", a->last_error);
	pthread_mutex_lock(&a->st_mu);
	uint64_t pushes = a->st.pushes, rej = a->st.push_rejected;
	s.pushes = pushes;
	s.push_rejected = rej;
	a->st = s;
	pthread_mutex_unlock(&a->st_mu);
}

static void *
net_main(void *arg)
{
	mx_agent *a = arg;
	double last_status = 0;
	agent_queue_push(&a->store_q, agent_job_new(J_LOAD, NULL));
	a->next_watch = agent_now() + WATCH_INTERVAL;
	while (!atomic_load(&a->stop)) {
		handle_done(a);
		handle_wakes(a);
		double now = agent_now();
		while (a->nheap > 0 && a->heap[0]->due <= now) {
			agent_dev *d = a->heap[0];
			heap_remove(a, d);
			d->step = ST_IDLE;
			agent_flow_step(a, d);
		}
		if (a->next_watch <= now) {
			agent_queue_push(&a->store_q, agent_job_new(J_WATCH, NULL));
			a->next_watch = now + 3600;   /* the answer sets the next one */
		}
		if (now - last_status >= STATUS_INTERVAL) {
			status_update(a);
			last_status = now;
		}
		double wait = a->nheap > 0 ? a->heap[0]->due - agent_now() : 0.2;
		if (wait > 0.2)
			wait = 0.2;
		if (wait < 0)
			wait = 0;
		agent_net_poll(a, (int)ceil(wait * 1000));
	}
	status_update(a);
	return NULL;
}

/* ---- the public API ---- */

void
mx_agent_options_default(mx_agent_options *o)
{
	memset(o, 0, sizeof *o);
	o->max_connections = 64;
	o->poll_interval = 300;
	o->poll_jitter = 0.2;
	o->timeout = 30;
	o->backoff_min = 1;
	o->backoff_max = 60;
	o->reboot_delay = 2;
	o->start_spread = 5;
	o->pool_keys = true;
	o->batch_max = 256;
	o->apns_listen = "";
}

int
mx_agent_start(mx_agent **out, const char *dir, const mx_agent_options *o, mx_err *err)
{
	*out = NULL;
	mx_agent *a = mx_xcalloc(1, sizeof *a);
	a->o = *o;
	a->be = o->backend ? o->backend : mx_agent_engine_backend();
	snprintf(a->dir, sizeof a->dir, "%s", dir);
	a->rng = o->seed ? o->seed : (uint64_t)(agent_now() * 1e6);
	a->active_max = o->max_active > 0 ? o->max_active :
	    4 * (o->max_connections > 0 ? o->max_connections : 64);
	a->started = agent_now();
	agent_queue_init(&a->crypto_q);
	agent_queue_init(&a->store_q);
	agent_queue_init(&a->done_q);
	pthread_mutex_init(&a->tok_mu, NULL);
	pthread_mutex_init(&a->wake_mu, NULL);
	pthread_mutex_init(&a->st_mu, NULL);
	int rc;
	if ((rc = agent_net_init(a, err)))
		goto fail;
	if (o->apns_listen && o->apns_listen[0] &&
	    (rc = agent_apns_start(&a->apns, a, o->apns_listen, o->apns_cert, o->apns_key, err)))
		goto fail;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	a->nworkers = o->workers > 0 ? o->workers : (ncpu > 0 ? (int)ncpu : 1);
	a->workers = mx_xcalloc((size_t)a->nworkers, sizeof *a->workers);
	for (int i = 0; i < a->nworkers; i++)
		pthread_create(&a->workers[i], NULL, agent_crypto_main, a);
	pthread_create(&a->store_thread, NULL, agent_store_main, a);
	pthread_create(&a->net_thread, NULL, net_main, a);
	*out = a;
	return 0;
fail:
	agent_apns_stop(a->apns);
	agent_net_free(a);
	free(a);
	return rc;
}

static void
wake_queue(mx_agent *a, agent_queue *q)
{
	pthread_mutex_lock(&q->mu);
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

void
mx_agent_stop(mx_agent *a)
{
	if (a == NULL)
		return;
	atomic_store(&a->stop, true);
	agent_net_wakeup(a);
	wake_queue(a, &a->crypto_q);
	wake_queue(a, &a->store_q);
	pthread_join(a->net_thread, NULL);
	for (int i = 0; i < a->nworkers; i++)
		pthread_join(a->workers[i], NULL);
	pthread_join(a->store_thread, NULL);
	agent_apns_stop(a->apns);
	/* finished jobs nobody took: their effects are durable, their results
	 * are sent again at the next start */
	agent_job *j = agent_queue_take_all(&a->done_q);
	while (j) {
		agent_job *n = j->next;
		if (j->kind == J_LOAD)
			agent_load_free(j->list);
		else if (j->kind == J_WATCH && j->list)
			free(((agent_watch *)j->list)->v);
		agent_job_free(j);
		j = n;
	}
	agent_net_free(a);
	for (int i = 0; i < a->ndevs; i++)
		agent_dev_free(a->devs[i]);
	for (int i = 0; i < a->nprofiles; i++) {
		mx_enroll_profile_free(&a->profiles[i]->p);
		free(a->profiles[i]->bytes);
		free(a->profiles[i]->anchors_pem);
		free(a->profiles[i]->pins_pem[0]);
		free(a->profiles[i]->pins_pem[1]);
		free(a->profiles[i]);
	}
	free(a->profiles);
	free(a->devs);
	free(a->heap);
	free(a->toks);
	free(a->wakes);
	free(a->wake_names);
	free(a->workers);
	agent_queue_destroy(&a->crypto_q);
	agent_queue_destroy(&a->store_q);
	agent_queue_destroy(&a->done_q);
	pthread_mutex_destroy(&a->tok_mu);
	pthread_mutex_destroy(&a->wake_mu);
	pthread_mutex_destroy(&a->st_mu);
	free(a);
}

void
mx_agent_status_get(mx_agent *a, mx_agent_status *out)
{
	pthread_mutex_lock(&a->st_mu);
	*out = a->st;
	pthread_mutex_unlock(&a->st_mu);
}

json_t *
mx_agent_status_json(void *arg)
{
	mx_agent_status s;
	mx_agent_status_get(arg, &s);
	return mx_agent_status_to_json(&s);
}

json_t *
mx_agent_status_to_json(const mx_agent_status *sp)
{
	mx_agent_status s = *sp;
	json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
	    " s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:I, s:i, s:f}",
	    "devices", (json_int_t)s.devices, "enrolling", (json_int_t)s.enrolling,
	    "enrolled", (json_int_t)s.enrolled, "idle", (json_int_t)s.idle,
	    "pending", (json_int_t)s.pending, "failing", (json_int_t)s.failing,
	    "failed", (json_int_t)s.failed, "checked_out", (json_int_t)s.checked_out,
	    "offline", (json_int_t)s.offline, "counters",
	    "requests", (json_int_t)s.requests, "http_errors", (json_int_t)s.http_errors,
	    "commands", (json_int_t)s.commands, "acknowledged", (json_int_t)s.acknowledged,
	    "errors", (json_int_t)s.errors, "notnow", (json_int_t)s.notnow,
	    "pushes", (json_int_t)s.pushes, "push_rejected", (json_int_t)s.push_rejected,
	    "scep_requests", (json_int_t)s.scep_requests, "keys_pooled", (json_int_t)s.keys_pooled,
	    "keys_generated", (json_int_t)s.keys_generated, "enrolments", (json_int_t)s.enrolments,
	    "generation", (json_int_t)s.generation, "apns_port", s.apns_port, "uptime", s.uptime);
	if (j && s.last_error[0])
		json_object_set_new(j, "last_error", json_string(s.last_error));
	return j;
}

void
mx_agent_status_line(const mx_agent_status *s, char *buf, size_t len)
{
	snprintf(buf, len, "enrolled %lld/%lld, enrolling %lld, idle %lld, pending %lld, failing %lld,"
	    " failed %lld, offline %lld; %llu commands (%llu acknowledged, %llu errors, %llu NotNow)",
	    (long long)s->enrolled, (long long)s->devices, (long long)s->enrolling, (long long)s->idle,
	    (long long)s->pending, (long long)s->failing, (long long)s->failed, (long long)s->offline,
	    (unsigned long long)s->commands, (unsigned long long)s->acknowledged,
	    (unsigned long long)s->errors, (unsigned long long)s->notnow);
}

void
mx_agent_wake(mx_agent *a, const char *device)
{
	pthread_mutex_lock(&a->wake_mu);
	if (device == NULL) {
		a->wake_all = true;
	} else {
		/* the network thread owns the device table: it matches the name */
		a->wake_names = mx_xrealloc(a->wake_names, (a->nwake_names + 1) * sizeof *a->wake_names);
		snprintf(a->wake_names[a->nwake_names++], 64, "%s", device);
	}
	pthread_mutex_unlock(&a->wake_mu);
	agent_net_wakeup(a);
}

void
mx_agent_rescan(mx_agent *a)
{
	pthread_mutex_lock(&a->wake_mu);
	a->rescan = true;
	pthread_mutex_unlock(&a->wake_mu);
	agent_net_wakeup(a);
}
