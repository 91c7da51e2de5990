/*
 * serve_sse.c — Server-Sent Events: `event: change` the moment an
 * operation commits, whoever ran it (this daemon, a CLI in another
 * process, the MDM agent).  One thread polls the store's PRAGMA
 * data_version (a few microseconds when nothing changed) every 50 ms; when
 * it moved, it reads the events committed since (the change feed,
 * mx_store_event_feed) into a ring of the last SSE_RING changes and wakes
 * the streams.  A stream is a suspended libmicrohttpd connection: it costs
 * no thread while it waits, and gets a keep-alive comment every 15 s (--keepalive).
 * The number of streams is bounded (--max-streams); a stream that falls
 * more than SSE_RING changes behind gets `event: overflow` and carries on.
 * A reconnecting EventSource's Last-Event-ID resumes it where it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <sys/socket.h>

#include "daemon/dl_mhd.h"

#include "daemon/serve_int.h"
#include "macext/text.h"

#define SSE_RING 1024
#define SSE_POLL_NS 50000000L

struct sse_ev {
	uint64_t seq;
	char device[64];             /* "" for none */
	char kind[12];               /* "change", "mdm" */
	char *data;                  /* one line of JSON */
};

struct stream {
	struct serve_sse *h;
	struct MHD_Connection *c;
	char device[64];             /* "" : the fleet */
	uint64_t next;               /* the next seq to send */
	bool suspended, ended;
	long long last_ms;
	char buf[8192];
	size_t len, off;
	struct stream *prev, *nxt;
};

struct serve_sse {
	serve_srv *srv;
	pthread_mutex_t mu;
	pthread_t th;
	bool running, stop;
	struct sse_ev ring[SSE_RING];
	uint64_t head;               /* seq of the next change (the first is 1) */
	struct stream *streams;
	int nstreams;
	mx_engine *e;
	int64_t last_event, data_version;
	uint64_t agent_gen;
	long long keepalive_ms;
	int64_t rescanned_version;
	long long rescanned_ms;
};

static long long
mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Appends a change (h->mu held). data_obj is consumed. */
static void
push(struct serve_sse *h, const char *kind, const char *device, json_t *obj)
{
	uint64_t seq = h->head++;
	struct sse_ev *ev = &h->ring[seq % SSE_RING];
	free(ev->data);
	json_object_set_new(obj, "seq", json_integer((json_int_t)seq));
	ev->data = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	ev->seq = seq;
	snprintf(ev->device, sizeof ev->device, "%s", device ? device : "");
	snprintf(ev->kind, sizeof ev->kind, "%s", kind);
}

static json_t *
jstr(const char *s)
{
	if (s == NULL)
		return json_null();
	if (mx_utf8_valid(s, strlen(s)))
		return json_string(s);
	char *e = mx_text_escape_dup(s);
	json_t *j = json_string(e);
	free(e);
	return j;
}

static void
change(struct serve_sse *h, const char *device, const char *what, int64_t event_id)
{
	json_t *o = json_object();
	json_object_set_new(o, "device", jstr(device));
	json_object_set_new(o, "what", jstr(what));
	if (event_id)
		json_object_set_new(o, "event", json_integer(event_id));
	push(h, "change", device, o);
}

void
serve_sse_note(serve_srv *s, const char *device, const char *what)
{
	struct serve_sse *h = s->sse;
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	change(h, device, what, 0);
	pthread_mutex_unlock(&h->mu);
}

static bool
wants(const struct stream *st, const struct sse_ev *ev)
{
	if (st->device[0] == '\0')
		return true;
	return strcmp(st->device, ev->device) == 0;
}

/* Fills st->buf with what is due (h->mu held). */
static void
fill(struct stream *st)
{
	struct serve_sse *h = st->h;
	st->len = st->off = 0;
	if (h->head > SSE_RING && st->next < h->head - SSE_RING) {
		st->len = (size_t)snprintf(st->buf, sizeof st->buf, "event: overflow\ndata: {\"missed\":"
		    " %llu}\n\n", (unsigned long long)(h->head - SSE_RING - st->next));
		st->next = h->head - SSE_RING;
	}
	while (st->next < h->head) {
		const struct sse_ev *ev = &h->ring[st->next % SSE_RING];
		if (wants(st, ev) && ev->data) {
			size_t need = strlen(ev->data) + strlen(ev->kind) + 48;
			if (st->len + need > sizeof st->buf) {
				if (st->len)
					break;
				st->next++;     /* an event bigger than the buffer: cannot happen with
				                 * what the store holds; skipped, never truncated */
				continue;
			}
			st->len += (size_t)snprintf(st->buf + st->len, sizeof st->buf - st->len,
			    "id: %llu\nevent: %s\ndata: %s\n\n", (unsigned long long)ev->seq, ev->kind,
			    ev->data);
		}
		st->next++;
	}
	if (st->len == 0 && mono_ms() - st->last_ms >= h->keepalive_ms)
		st->len = (size_t)snprintf(st->buf, sizeof st->buf, ": keep-alive\n\n");
}

static ssize_t
reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	struct serve_sse *h = st->h;
	pthread_mutex_lock(&h->mu);
	if (st->ended) {
		pthread_mutex_unlock(&h->mu);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	if (st->off == st->len)
		fill(st);
	if (st->off == st->len) {
		st->suspended = true;
		sym_MHD_suspend_connection(st->c);
		pthread_mutex_unlock(&h->mu);
		return 0;
	}
	size_t n = st->len - st->off;
	if (n > max)
		n = max;
	memcpy(buf, st->buf + st->off, n);
	st->off += n;
	st->last_ms = mono_ms();
	pthread_mutex_unlock(&h->mu);
	return (ssize_t)n;
}

static void
stream_free(void *cls)
{
	struct stream *st = cls;
	struct serve_sse *h = st->h;
	pthread_mutex_lock(&h->mu);
	if (st->prev)
		st->prev->nxt = st->nxt;
	else
		h->streams = st->nxt;
	if (st->nxt)
		st->nxt->prev = st->prev;
	h->nstreams--;
	pthread_mutex_unlock(&h->mu);
	free(st);
}

struct MHD_Response *
serve_sse_response(serve_srv *s, struct MHD_Connection *c, const char *device, mx_err *err)
{
	struct serve_sse *h = s->sse;
	int max = s->o->max_streams > 0 ? s->o->max_streams : 64;
	pthread_mutex_lock(&h->mu);
	if (h->nstreams >= max) {
		pthread_mutex_unlock(&h->mu);
		MX_FAIL(err, MX_EBUSY, MX_NO_OFFSET, "%d event streams are open already (--max-streams)",
		    max);
		return NULL;
	}
	struct stream *st = mx_xcalloc(1, sizeof *st);
	st->h = h;
	st->c = c;
	snprintf(st->device, sizeof st->device, "%s", device ? device : "");
	st->next = h->head;
	/* EventSource reconnecting: resume after the last change it saw, if the
	 * ring still holds what came since (a daemon restarted numbers anew) */
	const char *last = sym_MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
	int64_t lid;
	if (last && mx_parse_i64(last, 0, INT64_MAX, &lid) && (uint64_t)lid < h->head &&
	    (uint64_t)lid + 1 + SSE_RING >= h->head)
		st->next = (uint64_t)lid + 1;
	st->last_ms = 0;             /* the first read sends a comment at once: headers go out */
	st->nxt = h->streams;
	if (h->streams)
		h->streams->prev = st;
	h->streams = st;
	h->nstreams++;
	pthread_mutex_unlock(&h->mu);
	struct MHD_Response *r = sym_MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, st,
	    stream_free);
	sym_MHD_add_response_header(r, "Content-Type", "text/event-stream");
	sym_MHD_add_response_header(r, "Cache-Control", "no-store");
	sym_MHD_add_response_header(r, "X-Accel-Buffering", "no");
	return r;
}

static int
feed_one(int64_t id, const char *device, const char *what, void *arg)
{
	struct serve_sse *h = arg;
	change(h, device, what, id);
	h->last_event = id;
	return 0;
}

/* Has the client of a waiting stream gone?  A suspended connection is not
 * polled by libmicrohttpd, so its slot would otherwise stay taken until a
 * keep-alive write fails. */
static bool
client_gone(struct stream *st)
{
	const union MHD_ConnectionInfo *ci = sym_MHD_get_connection_info(st->c,
	    MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return false;
	struct pollfd p = { .fd = ci->connect_fd, .events = POLLIN | POLLRDHUP };
	if (poll(&p, 1, 0) != 1)
		return false;
	if (p.revents & (POLLRDHUP | POLLHUP | POLLERR))
		return true;
	char c;
	return recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* Wakes every waiting stream that has something due (h->mu held); one
 * whose client has gone is woken to end. */
static void
wake(struct serve_sse *h, bool all)
{
	long long now = mono_ms();
	for (struct stream *st = h->streams; st; st = st->nxt) {
		if (!st->suspended)
			continue;
		if (!all && client_gone(st))
			st->ended = true;
		if (all || st->ended || st->next < h->head || now - st->last_ms >= h->keepalive_ms) {
			st->suspended = false;
			sym_MHD_resume_connection(st->c);
		}
	}
}

static void *
poller(void *arg)
{
	struct serve_sse *h = arg;
	mx_store *st = mx_engine_store(h->e);
	for (;;) {
		struct timespec ts = { 0, SSE_POLL_NS };
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&h->mu);
		bool stop = h->stop;
		pthread_mutex_unlock(&h->mu);
		if (stop)
			break;
		mx_err err;
		int64_t dv = 0;
		bool moved = mx_store_data_version(st, &dv, &err) == 0 && dv != h->data_version;
		pthread_mutex_lock(&h->mu);
		if (moved) {
			h->data_version = dv;
			uint64_t before = h->head;
			/* at most 4 x 500 per round: the rest comes at the next */
			for (int i = 0; i < 4; i++) {
				uint64_t b = h->head;
				if (mx_store_event_feed(st, h->last_event, 500, feed_one, h, &err) ||
				    h->head - b < 500)
					break;
			}
			/* a commit without an event of its own (a device deleted elsewhere) */
			if (h->head == before)
				change(h, NULL, "state changed", 0);
		}
		/* enrolments recorded by a CLI or the API reach the hosted agent */
		if (h->srv->agent && h->data_version != h->rescanned_version &&
		    mono_ms() - h->rescanned_ms >= 2000) {
			h->rescanned_version = h->data_version;
			h->rescanned_ms = mono_ms();
			mx_agent_rescan(h->srv->agent);
		}
		if (h->srv->agent) {
			mx_agent_status as;
			mx_agent_status_get(h->srv->agent, &as);
			if (as.generation != h->agent_gen) {
				h->agent_gen = as.generation;
				push(h, "mdm", NULL, mx_agent_status_to_json(&as));
			}
		}
		wake(h, false);
		pthread_mutex_unlock(&h->mu);
	}
	return NULL;
}

int
serve_sse_start(serve_srv *s, mx_err *err)
{
	struct serve_sse *h = mx_xcalloc(1, sizeof *h);
	h->srv = s;
	h->head = 1;
	h->keepalive_ms = s->o->keepalive > 0 ? (long long)(s->o->keepalive * 1000) : 15000;
	pthread_mutex_init(&h->mu, NULL);
	int rc = mx_engine_open(&h->e, s->dir, NULL, err);
	if (rc == 0)
		rc = mx_store_event_last(mx_engine_store(h->e), &h->last_event, err);
	if (rc == 0)
		rc = mx_store_data_version(mx_engine_store(h->e), &h->data_version, err);
	if (rc == 0 && pthread_create(&h->th, NULL, poller, h) != 0)
		rc = MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "cannot start the event thread");
	if (rc) {
		mx_engine_close(h->e);
		free(h);
		return rc;
	}
	h->running = true;
	s->sse = h;
	return 0;
}

/* Ends every stream (they are resumed to send their end), stops the poller. */
void
serve_sse_stop(serve_srv *s)
{
	struct serve_sse *h = s->sse;
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	h->stop = true;
	for (struct stream *st = h->streams; st; st = st->nxt)
		st->ended = true;
	wake(h, true);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->th, NULL);
	/* the streams' connections finish on the MHD threads */
	for (int i = 0; i < 100; i++) {
		pthread_mutex_lock(&h->mu);
		int n = h->nstreams;
		pthread_mutex_unlock(&h->mu);
		if (n == 0)
			break;
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
}

/* After MHD stopped: nothing refers to the hub any more. */
void
serve_sse_free(serve_srv *s)
{
	struct serve_sse *h = s->sse;
	if (h == NULL)
		return;
	for (int i = 0; i < SSE_RING; i++)
		free(h->ring[i].data);
	mx_engine_close(h->e);
	pthread_mutex_destroy(&h->mu);
	free(h);
	s->sse = NULL;
}
