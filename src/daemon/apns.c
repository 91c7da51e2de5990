/*
 * apns.c — the APNs provider-API stand-in (daemon/apns.h): one thread,
 * poll(2) over non-blocking sockets, TLS through OpenSSL when configured
 * (ALPN offers h2 and http/1.1), HTTP/2 through nghttp2 (a TLS client that
 * negotiated h2, or a plain one that opens with the h2c preface "PRI *
 * HTTP/2.0"), HTTP/1.1 otherwise with keep-alive.  Requests are capped
 * (headers 16 KiB, payloads 4 KiB as APNs allows, 64 connections); what to
 * answer is apns_handle's.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "daemon/agent_int.h"
#include "daemon/apns.h"
#include "daemon/dl_nghttp2.h"
#include "daemon/dl_ssl.h"

#define MAX_CONNS 64
#define MAX_BODY APNS_MAX_BODY
#define MAX_IN (64u << 10)

enum proto { P_UNKNOWN, P_H1, P_H2 };

struct h2stream {
	int32_t id;
	char method[16], path[512], topic[256], apns_id[64], push_type[32];
	unsigned char body[MAX_BODY + 1];
	size_t len;
	bool toobig;
	apns_reply reply;
	size_t sent;
	struct h2stream *next;
};

typedef struct conn {
	int fd;
	SSL *ssl;
	bool handshaken;
	enum proto proto;
	unsigned char in[MAX_IN];
	size_t inlen;
	unsigned char *out;
	size_t outlen, outcap;
	nghttp2_session *h2;
	struct h2stream *streams;
	bool close_after;
} conn;

struct agent_apns {
	struct mx_agent *a;
	int lfd, port;
	int wake[2];
	SSL_CTX *ctx;
	pthread_t thread;
	atomic_bool stop;
	conn *conns[MAX_CONNS];
};

static void
out_add(conn *c, const void *p, size_t n)
{
	if (c->outlen + n > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 4096;
		while (cap < c->outlen + n)
			cap *= 2;
		c->out = realloc(c->out, cap);
		if (c->out == NULL)
			abort();
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
}

static const char *
status_text(int s)
{
	switch (s) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 410: return "Gone";
	case 413: return "Payload Too Large";
	default: return "Error";
	}
}

/* the agent takes the pushes */
static int
push_to_agent(void *arg, const char *token, const char *topic, const char *magic,
    const char **reason)
{
	return agent_push(arg, token, topic, magic, reason);
}

/* ---- HTTP/2 ---- */

static ssize_t
h2_send(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *arg)
{
	(void)s;
	(void)flags;
	out_add(arg, data, len);
	return (ssize_t)len;
}

static struct h2stream *
stream_of(conn *c, int32_t id)
{
	for (struct h2stream *s = c->streams; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

static int
h2_begin(nghttp2_session *s, const nghttp2_frame *f, void *arg)
{
	(void)s;
	conn *c = arg;
	if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	struct h2stream *st = calloc(1, sizeof *st);
	if (st == NULL)
		abort();
	st->id = f->hd.stream_id;
	st->next = c->streams;
	c->streams = st;
	return 0;
}

static void
copy_hdr(char *dst, size_t cap, const uint8_t *v, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static int
h2_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nl,
    const uint8_t *value, size_t vl, uint8_t flags, void *arg)
{
	(void)s;
	(void)flags;
	struct h2stream *st = stream_of(arg, f->hd.stream_id);
	if (st == NULL)
		return 0;
#define IS(n) (nl == sizeof(n) - 1 && memcmp(name, n, nl) == 0)
	if (IS(":method"))
		copy_hdr(st->method, sizeof st->method, value, vl);
	else if (IS(":path"))
		copy_hdr(st->path, sizeof st->path, value, vl);
	else if (IS("apns-topic"))
		copy_hdr(st->topic, sizeof st->topic, value, vl);
	else if (IS("apns-id"))
		copy_hdr(st->apns_id, sizeof st->apns_id, value, vl);
	else if (IS("apns-push-type"))
		copy_hdr(st->push_type, sizeof st->push_type, value, vl);
#undef IS
	return 0;
}

static int
h2_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *arg)
{
	(void)s;
	(void)flags;
	struct h2stream *st = stream_of(arg, id);
	if (st == NULL)
		return 0;
	if (st->len + len > MAX_BODY)
		st->toobig = true;
	else {
		memcpy(st->body + st->len, data, len);
		st->len += len;
	}
	return 0;
}

static ssize_t
h2_read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
    nghttp2_data_source *src, void *arg)
{
	(void)s;
	(void)id;
	(void)arg;
	struct h2stream *st = src->ptr;
	size_t left = strlen(st->reply.body) - st->sent;
	size_t n = left < len ? left : len;
	memcpy(buf, st->reply.body + st->sent, n);
	st->sent += n;
	if (st->sent == strlen(st->reply.body))
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static void
h2_answer(struct agent_apns *srv, conn *c, struct h2stream *st)
{
	apns_request r = { st->method, st->path, st->topic[0] ? st->topic : NULL,
		st->apns_id[0] ? st->apns_id : NULL, st->push_type[0] ? st->push_type : NULL,
		st->body, st->toobig ? MAX_BODY + 1 : st->len };
	apns_handle(push_to_agent, srv->a, &r, &st->reply);
	agent_push_count(srv->a, st->reply.status == 200);
	char status[8];
	snprintf(status, sizeof status, "%d", st->reply.status);
	nghttp2_nv hdrs[3] = {
		{ (uint8_t *)":status", (uint8_t *)status, 7, strlen(status), NGHTTP2_NV_FLAG_NONE },
		{ (uint8_t *)"apns-id", (uint8_t *)st->reply.apns_id, 7, strlen(st->reply.apns_id),
		  NGHTTP2_NV_FLAG_NONE },
		{ (uint8_t *)"content-type", (uint8_t *)"application/json", 12, 16,
		  NGHTTP2_NV_FLAG_NONE },
	};
	nghttp2_data_provider dp = { .source.ptr = st, .read_callback = h2_read_body };
	sym_nghttp2_submit_response(c->h2, st->id, hdrs, st->reply.body[0] ? 3 : 2,
	    st->reply.body[0] ? &dp : NULL);
}

static int
h2_frame(nghttp2_session *s, const nghttp2_frame *f, void *arg)
{
	(void)s;
	conn *c = arg;
	if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
	    (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
		struct h2stream *st = stream_of(c, f->hd.stream_id);
		if (st)
			st->reply.status = -1;   /* answered by the loop below (needs the server) */
	}
	return 0;
}

static int
h2_close(nghttp2_session *s, int32_t id, uint32_t code, void *arg)
{
	(void)s;
	(void)code;
	conn *c = arg;
	for (struct h2stream **p = &c->streams; *p; p = &(*p)->next)
		if ((*p)->id == id) {
			struct h2stream *st = *p;
			*p = st->next;
			free(st);
			break;
		}
	return 0;
}

static void
h2_start(conn *c)
{
	nghttp2_session_callbacks *cb;
	sym_nghttp2_session_callbacks_new(&cb);
	sym_nghttp2_session_callbacks_set_send_callback(cb, h2_send);
	sym_nghttp2_session_callbacks_set_on_begin_headers_callback(cb, h2_begin);
	sym_nghttp2_session_callbacks_set_on_header_callback(cb, h2_header);
	sym_nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, h2_data);
	sym_nghttp2_session_callbacks_set_on_frame_recv_callback(cb, h2_frame);
	sym_nghttp2_session_callbacks_set_on_stream_close_callback(cb, h2_close);
	sym_nghttp2_session_server_new(&c->h2, cb, c);
	sym_nghttp2_session_callbacks_del(cb);
	nghttp2_settings_entry iv[1] = { { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100 } };
	sym_nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, 1);
	c->proto = P_H2;
}

/* Feeds c->in to nghttp2, answers finished requests, queues output. */
static int
h2_feed(struct agent_apns *srv, conn *c)
{
	ssize_t n = sym_nghttp2_session_mem_recv(c->h2, c->in, c->inlen);
	if (n < 0)
		return -1;
	c->inlen = 0;
	for (struct h2stream *st = c->streams; st; st = st->next)
		if (st->reply.status == -1)
			h2_answer(srv, c, st);
	if (sym_nghttp2_session_send(c->h2) != 0)
		return -1;
	return sym_nghttp2_session_want_read(c->h2) || sym_nghttp2_session_want_write(c->h2) ? 0 : -1;
}

/* ---- HTTP/1.1 ---- */

/* Handles every complete request in c->in; -1 closes the connection. */
static int
h1_feed(struct agent_apns *srv, conn *c)
{
	for (;;) {
		apns_h1 q;
		long n = apns_h1_parse(&q, c->in, c->inlen, sizeof c->in);
		if (n <= 0)
			return (int)n;
		apns_request r = { q.method, q.path, q.has_topic ? q.topic : NULL,
			q.has_id ? q.id : NULL, q.has_push_type ? q.push_type : NULL, q.body, q.len };
		apns_reply rep;
		apns_handle(push_to_agent, srv->a, &r, &rep);
		agent_push_count(srv->a, rep.status == 200);
		char hdr[512];
		int hn = snprintf(hdr, sizeof hdr, "HTTP/1.1 %d %s\r\napns-id: %s\r\nContent-Type: "
		    "application/json\r\nContent-Length: %zu\r\n%s\r\n", rep.status,
		    status_text(rep.status), rep.apns_id, strlen(rep.body),
		    q.close ? "Connection: close\r\n" : "");
		out_add(c, hdr, (size_t)hn);
		out_add(c, rep.body, strlen(rep.body));
		memmove(c->in, c->in + n, c->inlen - (size_t)n);
		c->inlen -= (size_t)n;
		if (q.close)
			c->close_after = true;
	}
}

/* ---- connections ---- */

static void
conn_free(conn *c)
{
	if (c == NULL)
		return;
	if (c->h2)
		sym_nghttp2_session_del(c->h2);
	while (c->streams) {
		struct h2stream *n = c->streams->next;
		free(c->streams);
		c->streams = n;
	}
	sym_SSL_free(c->ssl);
	close(c->fd);
	free(c->out);
	free(c);
}

static int
io_read(conn *c)
{
	if (c->inlen == sizeof c->in)
		return -1;
	if (c->ssl) {
		if (!c->handshaken) {
			int r = sym_SSL_accept(c->ssl);
			if (r != 1) {
				int e = sym_SSL_get_error(c->ssl, r);
				ERR_clear_error();
				return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
			}
			c->handshaken = true;
			const unsigned char *alpn = NULL;
			unsigned int al = 0;
			sym_SSL_get0_alpn_selected(c->ssl, &alpn, &al);
			if (al == 2 && memcmp(alpn, "h2", 2) == 0)
				h2_start(c);
		}
		int r = sym_SSL_read(c->ssl, c->in + c->inlen, (int)(sizeof c->in - c->inlen));
		if (r <= 0) {
			int e = sym_SSL_get_error(c->ssl, r);
			ERR_clear_error();
			return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
		}
		c->inlen += (size_t)r;
		return 1;
	}
	ssize_t r = read(c->fd, c->in + c->inlen, sizeof c->in - c->inlen);
	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (r == 0)
		return -1;
	c->inlen += (size_t)r;
	return 1;
}

static int
io_write(conn *c)
{
	while (c->outlen > 0) {
		ssize_t w;
		if (c->ssl) {
			int r = sym_SSL_write(c->ssl, c->out, (int)c->outlen);
			if (r <= 0) {
				int e = sym_SSL_get_error(c->ssl, r);
				ERR_clear_error();
				return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
			}
			w = r;
		} else {
			w = write(c->fd, c->out, c->outlen);
			if (w < 0)
				return errno == EAGAIN || errno == EINTR ? 0 : -1;
		}
		memmove(c->out, c->out + w, c->outlen - (size_t)w);
		c->outlen -= (size_t)w;
	}
	return 0;
}

static int
on_readable(struct agent_apns *s, conn *c)
{
	int r = io_read(c);
	if (r < 0)
		return -1;
	if (c->inlen == 0)
		return 0;
	if (c->proto == P_UNKNOWN) {
		static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
		size_t n = c->inlen < sizeof preface - 1 ? c->inlen : sizeof preface - 1;
		if (memcmp(c->in, preface, n) != 0)
			c->proto = P_H1;
		else if (n == sizeof preface - 1)
			h2_start(c);
		else
			return 0;   /* wait for the rest of the preface */
	}
	return c->proto == P_H2 ? h2_feed(s, c) : h1_feed(s, c);
}

static int
alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
    unsigned int inlen, void *arg)
{
	(void)ssl;
	(void)arg;
	static const unsigned char prefs[] = "\x02h2\x08http/1.1";
	if (sym_SSL_select_next_proto((unsigned char **)out, outlen, prefs, sizeof prefs - 1, in, inlen)
	    != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	return SSL_TLSEXT_ERR_OK;
}

static void *
apns_main(void *arg)
{
	struct agent_apns *s = arg;
	struct pollfd pfd[MAX_CONNS + 2];
	while (!atomic_load(&s->stop)) {
		int n = 0;
		pfd[n++] = (struct pollfd){ s->lfd, POLLIN, 0 };
		pfd[n++] = (struct pollfd){ s->wake[0], POLLIN, 0 };
		int map[MAX_CONNS];
		for (int i = 0; i < MAX_CONNS; i++)
			if (s->conns[i]) {
				map[n - 2] = i;
				pfd[n++] = (struct pollfd){ s->conns[i]->fd,
				    (short)(POLLIN | (s->conns[i]->outlen ? POLLOUT : 0)), 0 };
			}
		if (poll(pfd, (nfds_t)n, 500) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN) {
			int fd = accept(s->lfd, NULL, NULL);
			int slot = -1;
			for (int i = 0; i < MAX_CONNS && fd >= 0 && slot < 0; i++)
				if (s->conns[i] == NULL)
					slot = i;
			if (fd >= 0 && slot < 0) {
				close(fd);   /* bounded: a client over the limit is turned away */
			} else if (fd >= 0) {
				fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
				conn *c = calloc(1, sizeof *c);
				if (c == NULL)
					abort();
				c->fd = fd;
				if (s->ctx) {
					c->ssl = sym_SSL_new(s->ctx);
					sym_SSL_set_fd(c->ssl, fd);
				}
				s->conns[slot] = c;
			}
		}
		for (int k = 2; k < n; k++) {
			int i = map[k - 2];
			conn *c = s->conns[i];
			bool drop = (pfd[k].revents & (POLLERR | POLLNVAL)) != 0;
			if (!drop && (pfd[k].revents & (POLLIN | POLLHUP)))
				drop = on_readable(s, c) < 0;
			if (!drop && io_write(c) < 0)
				drop = true;
			if (!drop && c->close_after && c->outlen == 0)
				drop = true;
			if (drop) {
				conn_free(c);
				s->conns[i] = NULL;
			}
		}
	}
	return NULL;
}

int
agent_apns_start(struct agent_apns **out, struct mx_agent *a, const char *listen_at,
    const char *cert, const char *key, mx_err *err)
{
	*out = NULL;
	int rc;
	if ((rc = mx_dl_ssl(err)) || (rc = mx_dl_nghttp2(err)))
		return rc;
	char host[256];
	snprintf(host, sizeof host, "%s", listen_at);
	char *colon = strrchr(host, ':');
	const char *port = "0";
	if (colon) {
		*colon = '\0';
		port = colon + 1;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE }, *ai = NULL;
	if (getaddrinfo(host[0] ? host : NULL, port, &hints, &ai) != 0 || ai == NULL)
		return MX_FAIL(err, MX_EUSAGE, MX_NO_OFFSET, "--apns-listen %s: not HOST:PORT",
		    listen_at);
	struct agent_apns *s = calloc(1, sizeof *s);
	if (s == NULL)
		abort();
	s->a = a;
	s->lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (s->lfd < 0 || bind(s->lfd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(s->lfd, 128) != 0) {
		int e = errno;
		freeaddrinfo(ai);
		if (s->lfd >= 0)
			close(s->lfd);
		free(s);
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "APNs stand-in on %s: %s", listen_at,
		    strerror(e));
	}
	freeaddrinfo(ai);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	getsockname(s->lfd, (struct sockaddr *)&ss, &sl);
	s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	fcntl(s->lfd, F_SETFL, fcntl(s->lfd, F_GETFL) | O_NONBLOCK);
	if (cert && key) {
		s->ctx = sym_SSL_CTX_new(sym_TLS_server_method());
		if (s->ctx == NULL || sym_SSL_CTX_use_certificate_chain_file(s->ctx, cert) != 1 ||
		    sym_SSL_CTX_use_PrivateKey_file(s->ctx, key, SSL_FILETYPE_PEM) != 1) {
			char why[256];
			ERR_error_string_n(ERR_get_error(), why, sizeof why);
			ERR_clear_error();
			sym_SSL_CTX_free(s->ctx);
			close(s->lfd);
			free(s);
			return MX_FAIL(err, MX_EINVALID, MX_NO_OFFSET, "APNs stand-in TLS %s / %s: %s",
			    cert, key, why);
		}
		/* SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION), a macro over SSL_CTX_ctrl */
		sym_SSL_CTX_ctrl(s->ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, NULL);
		sym_SSL_CTX_set_alpn_select_cb(s->ctx, alpn_select, NULL);
	}
	if (pipe(s->wake) != 0) {
		sym_SSL_CTX_free(s->ctx);
		close(s->lfd);
		free(s);
		return MX_FAIL(err, MX_EIO, MX_NO_OFFSET, "pipe: %s", strerror(errno));
	}
	pthread_create(&s->thread, NULL, apns_main, s);
	*out = s;
	return 0;
}

void
agent_apns_stop(struct agent_apns *s)
{
	if (s == NULL)
		return;
	atomic_store(&s->stop, true);
	if (write(s->wake[1], "x", 1) < 0) {
		/* poll's timeout ends the loop anyway */
	}
	pthread_join(s->thread, NULL);
	for (int i = 0; i < MAX_CONNS; i++)
		conn_free(s->conns[i]);
	close(s->wake[0]);
	close(s->wake[1]);
	close(s->lfd);
	sym_SSL_CTX_free(s->ctx);
	free(s);
}

int
agent_apns_port(const struct agent_apns *s)
{
	return s ? s->port : 0;
}
